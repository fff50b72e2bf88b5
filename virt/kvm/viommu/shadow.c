// SPDX-License-Identifier: GPL-2.0
/*
 * The shadow: range refresh (walk the guest table -> diff against what is
 * mapped -> map/unmap) and teardown.
 *
 * Per 4 KiB IOVA page the shadow xarray records which guest frame is mapped
 * there and with which permission; the frame's pin is held in the
 * container's pin table (pins.c).  A refresh walks the guest table over
 * the range and, span by span, leaves each page either mapped exactly as
 * the guest says or unmapped (a refusal).  Unmaps go through an IOTLB
 * gather; the pins behind them wait in the refresh's unpin list and are
 * released only after the gather is synced, once per refresh, so a
 * device can never reach a page we have already let go.
 */
#include <linux/bitfield.h>
#include <linux/iommu.h>
#include <linux/kvm_host.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "viommu.h"

#define VIOMMU_PAGE_SHIFT	12

/*
 * Most IOVA pages one container may map.  Pins are charged to locked_vm per
 * guest frame, but one frame may back many IOVA pages, and each costs shadow
 * and IOMMU page-table memory the guest alone decides on: this bounds it.
 * Set it to the IOVA space the largest assigned guest needs.
 */
unsigned long viommu_max_mapped_pages = 1UL << 26;	/* 256 GiB of IOVA */
module_param_named(max_mapped_pages, viommu_max_mapped_pages, ulong, 0644);
MODULE_PARM_DESC(max_mapped_pages,
		 "Most 4 KiB IOVA pages one container may map (default 2^26)");

/* Spans the walk may report between two yields. */
#define VIOMMU_SPAN_YIELD	64

/* Returned through the walker when the work budget is spent. */
#define VIOMMU_STOP		1

static_assert(PAGE_SIZE == SZ_4K, "kvm-viommu shadows at 4 KiB granularity");

/**
 * struct viommu_refresh_ctx - state of one refresh
 * @c: the container (lock held).
 * @t: the table being refreshed.
 * @out: the result counters handed back to userspace.
 * @gather: unmaps not yet synced from the IOTLB.
 * @no_more_pins: a MEMLOCK or LIMIT refusal happened; map nothing more.
 * @stop_why: that refusal.
 * @limited: @budget applies.
 * @budget: work units left (pages visited, mappings removed, spans).
 * @next: when the budget ran out, the first IOVA not refreshed.
 * @spans: spans the walk reported, for yielding now and then.
 * @rd_slot: memslot of the table page last read by the walk, or NULL.
 * @pending: spans the walk reported, merged while each continues the
 *	last, not handled yet (valid when @pending.last >= @pending.iova).
 * @pending_4k: @pending is a run of 4 KiB guest leaves, which become a
 *	large IOMMU mapping only in a KVM_VIOMMU_TABLE_MERGE table.
 * @nr_runs: runs in @run_*, to be mapped: consecutive IOVA pages
 *	where the shadow has nothing, to consecutive guest frames.
 * @nr_queued: pages in those runs, at most VIOMMU_BATCH.
 * @run_iova: IOVA of each run's first page.
 * @run_gfn: guest frame of its first page.
 * @run_pages: pages in it.
 * @run_prot: VIOMMU_PROT_* to map it with.
 * @map_pfn: the host page frame numbers behind the run being mapped.
 * @map_page: scratch for pinning them.
 * @walk_buf: the guest entries the walk has read, a table page at a time.
 * @unpin: pages unmapped in @gather, to release once it is synced.
 *
 * One per container (viommu_container.refresh), allocated at bind:
 * refreshes are serialised by the container lock.  The fields from
 * @run_iova on are not reset between refreshes; the unpin list is empty
 * outside one (every refresh ends with viommu_flush()).
 */
struct viommu_refresh_ctx {
	struct viommu_container *c;
	struct viommu_table *t;
	struct kvm_viommu_refresh *out;
	struct iommu_iotlb_gather gather;
	bool no_more_pins;
	u32 stop_why;
	bool limited;
	u64 budget;
	u64 next;
	unsigned int spans;
	struct kvm_memory_slot *rd_slot;
	struct viommu_span pending;
	bool pending_4k;
	unsigned int nr_runs;
	unsigned int nr_queued;
	u64 run_iova[VIOMMU_BATCH];
	gfn_t run_gfn[VIOMMU_BATCH];
	u16 run_pages[VIOMMU_BATCH];
	u8 run_prot[VIOMMU_BATCH];
	unsigned long map_pfn[VIOMMU_BATCH];
	struct page *map_page[VIOMMU_BATCH];
	struct viommu_walk_buf walk_buf;
	struct viommu_unpin_list unpin;
};

/*
 * A shadow entry, 0 when nothing is mapped: the guest frame (as a guest
 * physical address), whether the page is part of a large IOMMU mapping
 * (and of which size), and the permission.
 */
#define VIOMMU_SHADOW_PROT	GENMASK_ULL(1, 0)
#define VIOMMU_SHADOW_BLOCK	GENMASK_ULL(3, 2) /* 0: 4 KiB, 1: 2 MiB, 2: 1 GiB */
#define VIOMMU_SHADOW_VALID	BIT_ULL(4)
#define VIOMMU_SHADOW_GFN_SHIFT	12

static const u64 viommu_block_sizes[] = { 0, SZ_2M, SZ_1G };

static u64 viommu_shadow_entry(gfn_t gfn, u32 prot)
{
	return (gfn << VIOMMU_SHADOW_GFN_SHIFT) | VIOMMU_SHADOW_VALID | prot;
}

static gfn_t viommu_shadow_gfn(u64 entry)
{
	return entry >> VIOMMU_SHADOW_GFN_SHIFT;
}

static u32 viommu_shadow_prot(u64 entry)
{
	return entry & VIOMMU_SHADOW_PROT;
}

/* Size of the large IOMMU mapping the page is part of, or 0. */
static u64 viommu_shadow_block(u64 entry)
{
	return viommu_block_sizes[FIELD_GET(VIOMMU_SHADOW_BLOCK, entry)];
}

/* Does @entry map what @want (a 4 KiB entry) says, whatever its block? */
static bool viommu_shadow_same(u64 entry, u64 want)
{
	return (entry & ~VIOMMU_SHADOW_BLOCK) == want;
}

/* The shadow entry of IOVA page @index (0: nothing mapped). */
static u64 viommu_shadow_get(struct viommu_refresh_ctx *r, unsigned long index)
{
	u64 *leaf = viommu_leaf(&r->t->shadow, index, false);

	return leaf ? leaf[index % VIOMMU_LEAF_ENTRIES] : 0;
}

/* Set the shadow entry of IOVA page @index; -ENOMEM only when setting. */
static int viommu_shadow_set(struct viommu_refresh_ctx *r, unsigned long index,
			     u64 val)
{
	u64 *leaf = viommu_leaf(&r->t->shadow, index, val);

	if (!leaf)
		return val ? -ENOMEM : 0;
	viommu_leaf_set(&r->t->shadow, leaf, index, val);
	return 0;
}

/*
 * Fill the shadow entries of IOVA pages @index .. @index + @n - 1, where
 * nothing is mapped, with @entry and the entries of the frames after its,
 * a leaf at a time.  Return: entries filled; fewer than @n only when a
 * leaf cannot be allocated.
 */
static unsigned long viommu_shadow_fill(struct viommu_refresh_ctx *r,
					unsigned long index, unsigned long n,
					u64 entry)
{
	unsigned long done = 0, m, k;
	u64 *e;

	while (done < n) {
		e = viommu_leaf_entries(&r->t->shadow, index + done, n - done,
					true, &m);
		if (!e)
			break;
		for (k = 0; k < m; k++) {
			e[k] = entry;
			entry += BIT_ULL(VIOMMU_SHADOW_GFN_SHIFT);
		}
		viommu_leaf_count_add(e, m);
		done += m;
	}
	return done;
}

/*
 * Fill the shadow entries of IOVA pages from @index, where nothing is
 * mapped, with @entry and the entries of the frames after its, for as
 * long as the host page frames @pfns (at most @n) are consecutive, a leaf
 * at a time.  Return: entries filled, at least one unless a leaf cannot
 * be allocated (*@nomem).
 */
static unsigned long viommu_shadow_fill_run(struct viommu_refresh_ctx *r,
					    unsigned long index,
					    const unsigned long *pfns,
					    unsigned long n, u64 entry,
					    bool *nomem)
{
	unsigned long done = 0, m, k, pfn = pfns[0];
	u64 *e;

	*nomem = false;
	do {
		e = viommu_leaf_entries(&r->t->shadow, index + done, n - done,
					true, &m);
		if (!e) {
			*nomem = true;
			break;
		}
		for (k = 0; k < m && pfns[done + k] == pfn + done + k; k++) {
			e[k] = entry;
			entry += BIT_ULL(VIOMMU_SHADOW_GFN_SHIFT);
		}
		viommu_leaf_count_add(e, k);
		done += k;
	} while (k == m && done < n && pfns[done] == pfn + done);
	return done;
}

/*
 * How many shadow entries from IOVA page @index on, at most @n, are as
 * @want says: empty when @want is 0, else mapping the consecutive frames
 * from @want's (in a large mapping or not).
 */
static unsigned long viommu_shadow_scan(struct viommu_refresh_ctx *r,
					unsigned long index, unsigned long n,
					u64 want)
{
	unsigned long done = 0, k, m;
	const u64 *e;

	while (done < n) {
		e = viommu_leaf_entries(&r->t->shadow, index + done, n - done,
					false, &m);
		if (!e || viommu_leaf_empty(e)) {
			if (want)
				break;
			done += m;
			continue;
		}
		if (!want) {
			for (k = 0; k < m && !e[k]; k++)
				;
		} else {
			for (k = 0; k < m && viommu_shadow_same(e[k], want); k++)
				want += BIT_ULL(VIOMMU_SHADOW_GFN_SHIFT);
		}
		done += k;
		if (k < m)
			break;
	}
	return done;
}

/*
 * Does any of the shadow entries of IOVA pages @index .. @index + @n - 1
 * map what the guest says, the frames from @want's (a 4 KiB entry) on?
 */
static bool viommu_shadow_any_same(struct viommu_refresh_ctx *r,
				   unsigned long index, unsigned long n,
				   u64 want)
{
	unsigned long k, j, m;
	const u64 *e;

	for (k = 0; k < n; k += m) {
		e = viommu_leaf_entries(&r->t->shadow, index + k, n - k, false,
					&m);
		if (!e)
			continue;
		for (j = 0; j < m; j++)
			if (e[j] &&
			    viommu_shadow_same(e[j], want +
					       ((k + j) <<
						VIOMMU_SHADOW_GFN_SHIFT)))
				return true;
	}
	return false;
}

/* Drop a hold on @gfn that no device can use: unpin at once if the last. */
static void viommu_pin_put_now(struct viommu_container *c, gfn_t gfn)
{
	struct page *page;
	bool dirty;

	page = viommu_pin_put(c, gfn, &dirty);
	if (page)
		viommu_gm_unpin(&page, &dirty, 1);
}

/* DMA is cache coherent, as with vfio_iommu_type1 (see table.c). */
static int viommu_iommu_prot(u32 prot)
{
	return IOMMU_CACHE |
	       ((prot & VIOMMU_PROT_READ) ? IOMMU_READ : 0) |
	       ((prot & VIOMMU_PROT_WRITE) ? IOMMU_WRITE : 0);
}

static int viommu_iommu_map(struct viommu_refresh_ctx *r, u64 iova,
			    phys_addr_t pa, u64 size, u32 prot)
{
	r->c->iommu_maps++;
	return iommu_map(r->t->domain, iova, pa, size, viommu_iommu_prot(prot),
			 GFP_KERNEL_ACCOUNT);
}

static size_t viommu_iommu_unmap(struct viommu_refresh_ctx *r, u64 iova,
				 u64 size)
{
	r->c->iommu_unmaps++;
	return iommu_unmap_fast(r->t->domain, iova, size, &r->gather);
}

/* Sync the IOTLB, then release the pins of what it no longer maps. */
static void viommu_flush(struct viommu_refresh_ctx *r)
{
	/* Nothing gathered: nothing to invalidate. */
	if (r->gather.start <= r->gather.end) {
		iommu_iotlb_sync(r->t->domain, &r->gather);
		r->c->iotlb_syncs++;
	}
	iommu_iotlb_gather_init(&r->gather);
	if (r->unpin.nr)
		viommu_unpin_release(&r->unpin);
}

/*
 * Before pinning more: a page waiting for the sync has given its locked_vm
 * charge to the credit new pins draw on, so release the waiting pages
 * first when there are more than VIOMMU_BATCH of them.  A refresh that
 * only unmaps still syncs once.
 */
static void viommu_unpin_bound(struct viommu_refresh_ctx *r)
{
	if (r->unpin.nr > VIOMMU_BATCH)
		viommu_flush(r);
}

/*
 * Forget @n shadow pages from IOVA page @index, no longer mapped in the
 * domain: @e, their entries in one leaf, all nonzero.
 */
static void viommu_shadow_drop_run(struct viommu_refresh_ctx *r,
				   unsigned long index, u64 *e,
				   unsigned long n)
{
	struct viommu_unpin_chunk *ch;
	unsigned long k, j, room;
	unsigned int got;
	gfn_t gfn;

	/*
	 * Holds go a run of consecutive frames at a time, as much of it as
	 * the chunk being filled has room for.
	 */
	for (k = 0; k < n; k = j) {
		ch = viommu_unpin_room(&r->unpin);
		if (!ch) {
			/* Too many waiting, or no memory: release them now. */
			viommu_flush(r);
			ch = r->unpin.tail;
		}
		room = VIOMMU_UNPIN_CHUNK - ch->nr;
		gfn = viommu_shadow_gfn(e[k]);
		for (j = k + 1; j < n && j - k < room &&
		     viommu_shadow_gfn(e[j]) == gfn + (j - k); j++)
			;
		got = viommu_pin_put_run(r->c, gfn, j - k, ch->pages + ch->nr,
					 ch->dirty + ch->nr);
		ch->nr += got;
		r->unpin.nr += got;
	}
	memset(e, 0, n * sizeof(*e));
	viommu_leaf_cleared(&r->t->shadow, e - index % VIOMMU_LEAF_ENTRIES,
			    index, n);
	r->c->mapped_pages -= n;
	r->out->unmapped += n;
}

/* Forget a shadow page that is no longer mapped in the domain. */
static void viommu_shadow_drop(struct viommu_refresh_ctx *r, u64 iova)
{
	unsigned long index = iova >> VIOMMU_PAGE_SHIFT, m;
	u64 *e = viommu_leaf_entries(&r->t->shadow, index, 1, false, &m);

	if (!WARN_ON_ONCE(!e || !*e))
		viommu_shadow_drop_run(r, index, e, 1);
}

/*
 * Replace the large IOMMU mapping around @iova by 4 KiB mappings of the
 * same pages, so that part of it can change.  The IOMMU API cannot split a
 * mapping in place: between the unmap and the maps a device that misses in
 * its IOTLB faults on the block.  Only a guest that changes part of a large
 * leaf pays this.  A page that cannot be remapped is dropped.
 */
static void viommu_split_block(struct viommu_refresh_ctx *r, u64 iova,
			       u64 entry)
{
	u64 size = viommu_shadow_block(entry);
	u64 base = iova & ~(size - 1), off;
	size_t unmapped;

	unmapped = viommu_iommu_unmap(r, base, size);
	WARN_ON_ONCE(unmapped != size);
	r->c->mapped_blocks--;

	for (off = 0; off < size; off += SZ_4K) {
		unsigned long index = (base + off) >> VIOMMU_PAGE_SHIFT;
		u64 e = viommu_shadow_get(r, index);
		struct page *page = viommu_pin_page(r->c, viommu_shadow_gfn(e));

		if (!page ||
		    viommu_iommu_map(r, base + off, page_to_phys(page), SZ_4K,
				     viommu_shadow_prot(e))) {
			viommu_shadow_drop(r, base + off);
			continue;
		}
		/* The leaf exists and the entry stays nonzero. */
		viommu_shadow_set(r, index, e & ~VIOMMU_SHADOW_BLOCK);
	}
}

/* Unmap the whole large IOMMU mapping starting at @base. */
static void viommu_unmap_block(struct viommu_refresh_ctx *r, u64 base,
			       u64 size)
{
	unsigned long index = base >> VIOMMU_PAGE_SHIFT, k, m;
	unsigned long n = size >> VIOMMU_PAGE_SHIFT;
	size_t unmapped;
	u64 *e;

	unmapped = viommu_iommu_unmap(r, base, size);
	WARN_ON_ONCE(unmapped != size);
	r->c->mapped_blocks--;
	/* Every page of the block has its shadow entry. */
	for (k = 0; k < n; k += m) {
		e = viommu_leaf_entries(&r->t->shadow, index + k, n - k, false,
					&m);
		if (WARN_ON_ONCE(!e))
			continue;
		viommu_shadow_drop_run(r, index + k, e, m);
	}
}

static void viommu_unmap_page(struct viommu_refresh_ctx *r, u64 iova,
			      u64 entry)
{
	size_t size;

	if (viommu_shadow_block(entry))
		viommu_split_block(r, iova, entry);
	/* The split may have had to drop this very page. */
	entry = viommu_shadow_get(r, iova >> VIOMMU_PAGE_SHIFT);
	if (!entry)
		return;

	size = viommu_iommu_unmap(r, iova, SZ_4K);
	/* The shadow says it is mapped: the domain must agree. */
	WARN_ON_ONCE(size != SZ_4K);
	viommu_shadow_drop(r, iova);
}

static void viommu_refuse(struct viommu_refresh_ctx *r, u64 iova,
			  u64 npages, u32 why)
{
	if (!r->out->refused) {
		r->out->fail_iova = iova;
		r->out->fail_reason = why;
	}
	r->out->refused += npages;
	r->c->refusals += npages;
	if (why == KVM_VIOMMU_REFUSED_MEMLOCK ||
	    why == KVM_VIOMMU_REFUSED_LIMIT) {
		r->no_more_pins = true;
		r->stop_why = why;
	}
}

/*
 * Spend one unit of work at @iova; true when the budget is gone, and the
 * refresh must stop before @iova.
 */
static bool viommu_spend(struct viommu_refresh_ctx *r, u64 iova)
{
	if (!r->limited)
		return false;
	if (!r->budget) {
		r->next = iova;
		return true;
	}
	r->budget--;
	return false;
}

/* Yield now and then: a refresh may cover millions of pages. */
static int viommu_yield(void)
{
	if (fatal_signal_pending(current))
		return -EINTR;
	cond_resched();
	return 0;
}

/*
 * Map @n pages from @iova to the held guest frames from @gfn (host page
 * frames @pfns), where the shadow has nothing, with as few iommu_map()
 * calls as the host pages allow: one per physically contiguous run.  The
 * IOMMU core maps such a run with the largest page sizes that fit it; a
 * 4 KiB guest leaf must stay a 4 KiB IOMMU page (else changing its
 * neighbour would mean splitting a live block), so a run whose IOVA and
 * host address agree modulo 2 MiB is cut short of any whole aligned
 * 2 MiB.  A run that cannot be mapped is refused.
 */
static void viommu_map_held(struct viommu_refresh_ctx *r, u64 iova, gfn_t gfn,
			    u32 prot, const unsigned long *pfns, unsigned int n)
{
	struct viommu_container *c = r->c;
	unsigned int i, j, k, end;
	unsigned long set;
	bool nomem;

	for (i = 0; i < n; i = j) {
		u64 at = iova + (u64)i * SZ_4K;
		phys_addr_t pa = PFN_PHYS(pfns[i]);

		end = ((at ^ pa) & (SZ_2M - 1)) ? n :
		      min(n, i + SZ_2M / SZ_4K - 1);
		/* The shadow first, which finds the run: leaves may be new. */
		set = viommu_shadow_fill_run(r, at >> VIOMMU_PAGE_SHIFT,
					     pfns + i, end - i,
					     viommu_shadow_entry(gfn + i, prot),
					     &nomem);
		/* A page whose shadow leaf cannot be allocated goes too. */
		j = i + set + nomem;
		if (nomem ||
		    viommu_iommu_map(r, at, pa, (u64)set * SZ_4K, prot)) {
			for (k = i; k < j; k++) {
				if (k - i < set)
					viommu_shadow_set(r, (iova >>
							      VIOMMU_PAGE_SHIFT) +
							  k, 0);
				viommu_pin_put_now(c, gfn + k);
			}
			viommu_refuse(r, at, j - i, KVM_VIOMMU_REFUSED_MAP);
			continue;
		}
		c->mapped_pages += set;
		r->out->mapped += set;
	}
}

/*
 * Hold and map @n pages from @iova to the consecutive guest frames from
 * @gfn with @prot, where the shadow has nothing.  A page that cannot be
 * held is refused, and the pages after it tried again.
 */
static void viommu_map_run(struct viommu_refresh_ctx *r, u64 iova, gfn_t gfn,
			   unsigned int n, u32 prot)
{
	struct viommu_container *c = r->c;
	bool write = prot & VIOMMU_PROT_WRITE;
	unsigned int i, m, held;
	u64 room;
	u32 why;

	for (i = 0; i < n; i += m) {
		u64 at = iova + (u64)i * SZ_4K;

		m = n - i;
		if (r->no_more_pins) {
			viommu_refuse(r, at, m, r->stop_why);
			return;
		}
		room = READ_ONCE(viommu_max_mapped_pages);
		room = room > c->mapped_pages ? room - c->mapped_pages : 0;
		if (!room) {
			held = 0;
			why = KVM_VIOMMU_REFUSED_LIMIT;
		} else {
			held = viommu_pin_hold(c, gfn + i, min_t(u64, m, room),
					       write, r->map_pfn + i,
					       r->map_page + i, &why);
			if (held == min_t(u64, m, room) && held < m)
				why = KVM_VIOMMU_REFUSED_LIMIT;
		}
		viommu_map_held(r, at, gfn + i, prot, r->map_pfn + i, held);
		if (held < m) {
			/* The first page not held is refused; retry the rest. */
			viommu_refuse(r, at + (u64)held * SZ_4K, 1, why);
			m = held + 1;
		}
	}
}

/*
 * Map the batch, run by run in IOVA order, so that refusals are reported
 * in walk order; what the pins will charge is charged first, in one go.
 */
static int viommu_batch_flush(struct viommu_refresh_ctx *r)
{
	struct viommu_container *c = r->c;
	unsigned int n = r->nr_runs, i;

	if (!n)
		return 0;
	r->nr_runs = 0;
	r->nr_queued = 0;
	if (!r->no_more_pins) {
		viommu_unpin_bound(r);
		viommu_pin_reserve(c, r->run_gfn, r->run_pages, n);
	}
	for (i = 0; i < n; i++)
		viommu_map_run(r, r->run_iova[i], r->run_gfn[i],
			       r->run_pages[i], r->run_prot[i]);
	return viommu_yield();
}

/*
 * Queue the mapping of @n pages from @iova, where the shadow has nothing,
 * to the guest frames from @gfn (at most VIOMMU_BATCH - nr_queued).
 */
static int viommu_batch_add(struct viommu_refresh_ctx *r, u64 iova, gfn_t gfn,
			    unsigned int n, u32 prot)
{
	unsigned int i = r->nr_runs;

	if (i && r->run_prot[i - 1] == prot &&
	    r->run_iova[i - 1] + (u64)r->run_pages[i - 1] * SZ_4K == iova &&
	    r->run_gfn[i - 1] + r->run_pages[i - 1] == gfn) {
		r->run_pages[i - 1] += n;
	} else {
		r->run_iova[i] = iova;
		r->run_gfn[i] = gfn;
		r->run_pages[i] = n;
		r->run_prot[i] = prot;
		r->nr_runs++;
	}
	r->nr_queued += n;
	if (r->nr_queued == VIOMMU_BATCH)
		return viommu_batch_flush(r);
	return 0;
}

/*
 * Unmap whatever the shadow has in [@iova, @last], contiguous 4 KiB runs
 * with one iommu_unmap_fast() call each: 0, VIOMMU_STOP or -EINTR.
 */
static int viommu_unmap_range(struct viommu_refresh_ctx *r, u64 iova,
			      u64 last)
{
	unsigned long index = iova >> VIOMMU_PAGE_SHIFT;
	unsigned long end = last >> VIOMMU_PAGE_SHIFT, run, m;
	unsigned int n = 0;
	u64 entry, *e;
	int ret;

	while ((entry = viommu_leaves_next(&r->t->shadow, &index, end))) {
		u64 at = (u64)index << VIOMMU_PAGE_SHIFT;
		u64 size = viommu_shadow_block(entry);

		if (viommu_spend(r, at))
			return VIOMMU_STOP;
		if (size) {
			/* A large mapping wholly inside goes at once. */
			if (at == (at & ~(size - 1)) &&
			    at + (size - 1) <= last) {
				viommu_unmap_block(r, at, size);
				index += size >> VIOMMU_PAGE_SHIFT;
			} else {
				viommu_unmap_page(r, at, entry);
				index++;
			}
		} else {
			/* The run of 4 KiB mappings from here, in this leaf. */
			e = viommu_leaf_entries(&r->t->shadow, index,
						min(end - index,
						    VIOMMU_LEAF_ENTRIES - 1UL) + 1,
						false, &m);
			if (r->limited)
				m = min_t(u64, m, r->budget + 1);
			for (run = 1; run < m && e[run] &&
			     !viommu_shadow_block(e[run]); run++)
				;
			if (r->limited)
				r->budget -= run - 1;
			WARN_ON_ONCE(viommu_iommu_unmap(r, at, run * SZ_4K) !=
				     run * SZ_4K);
			viommu_shadow_drop_run(r, index, e, run);
			index += run;
		}
		/* A hole over millions of mappings must not hog the CPU. */
		if (++n % 64 == 0) {
			ret = viommu_yield();
			if (ret)
				return ret;
		}
		if (!index || index > end)
			break;
	}
	return 0;
}

/*
 * Unmap [@iova, @last] and count the pages the guest maps there as refused
 * for @why; when the budget stops it midway, only the part done counts.
 */
static int viommu_refuse_range(struct viommu_refresh_ctx *r, u64 iova,
			       u64 last, u32 why)
{
	int ret = viommu_unmap_range(r, iova, last);

	if (ret < 0)
		return ret;
	if (ret) {
		/* Stopped before anything was done. */
		if (r->next == iova)
			return ret;
		last = r->next - 1;
	}
	if (last >= iova)
		viommu_refuse(r, iova,
			      ((last - iova) >> VIOMMU_PAGE_SHIFT) + 1, why);
	return ret;
}

/*
 * Try to shadow the pages from @iova (@npages of them left in a guest leaf
 * from @gfn) with one large IOMMU mapping of @size: possible when IOVA,
 * guest frame and host memory are all aligned to @size and the host pages
 * behind the guest frames are physically contiguous (hugetlbfs or THP
 * backed guest memory).  Return: pages handled, or 0 when not possible
 * (the caller then goes page by page).  It needs budget for clearing the
 * block and for mapping it, checked before anything is done.
 */
static u64 viommu_refresh_block(struct viommu_refresh_ctx *r, u64 iova,
				gfn_t gfn, u64 npages, u32 prot, u64 size)
{
	u64 n = size >> VIOMMU_PAGE_SHIFT, k, held = 0;
	u64 want = viommu_shadow_entry(gfn, prot);
	struct viommu_container *c = r->c;
	struct viommu_table *t = r->t;
	unsigned long index = iova >> VIOMMU_PAGE_SHIFT;
	phys_addr_t pa0 = 0;
	u64 entry;
	u32 why;

	if (!(t->domain->pgsize_bitmap & size) || (iova & (size - 1)) ||
	    (gfn & (n - 1)) || npages < n || r->no_more_pins ||
	    (r->limited && r->budget < 2 * n) ||
	    c->mapped_pages + n > READ_ONCE(viommu_max_mapped_pages))
		return 0;

	/* Already shadowed by the same large mapping: nothing to do. */
	entry = viommu_shadow_get(r, index);
	if (entry && viommu_shadow_block(entry) == size &&
	    viommu_shadow_same(entry, want)) {
		r->out->unchanged += n;
		if (r->limited)
			r->budget -= n;
		return n;
	}

	/*
	 * A page the shadow already maps as the guest says stays as it is: a
	 * block may only replace mappings that all change anyway.
	 */
	if (viommu_shadow_any_same(r, index, n, want))
		return 0;

	/* Hold every frame; they must be one aligned physical run. */
	viommu_unpin_bound(r);
	while (held < n) {
		unsigned int m = min_t(u64, n - held, VIOMMU_BATCH), got, i;

		got = viommu_pin_hold(c, gfn + held, m, prot & VIOMMU_PROT_WRITE,
				      r->map_pfn, r->map_page, &why);
		for (i = 0; i < got; i++) {
			if (!held && !i)
				pa0 = PFN_PHYS(r->map_pfn[0]);
			if (PFN_PHYS(r->map_pfn[i]) !=
			    pa0 + (held + i) * SZ_4K || (pa0 & (size - 1)))
				break;
		}
		for (k = i; k < got; k++)
			viommu_pin_put_now(c, gfn + held + k);
		held += i;
		if (i < m)
			goto err_put;
	}
	if (viommu_unmap_range(r, iova, iova + size - 1))
		goto err_sync;
	/* The pages it unmapped are only released after the IOTLB sync. */

	if (viommu_iommu_map(r, iova, pa0, size, prot))
		goto err_sync;
	k = viommu_shadow_fill(r, index, n, want |
			       FIELD_PREP(VIOMMU_SHADOW_BLOCK,
					  size == SZ_1G ? 2 : 1));
	if (k < n)
		goto err_unmap;

	c->mapped_blocks++;
	c->mapped_pages += n;
	r->out->mapped += n;
	if (r->limited)
		r->budget -= n;
	return n;

err_unmap:
	viommu_iommu_unmap(r, iova, size);
	while (k--)
		viommu_shadow_set(r, index + k, 0);
err_sync:
	/*
	 * The block may have been live, and a held frame may also have been
	 * mapped elsewhere in the range, its other hold dropped by the unmap:
	 * our hold can be the last, so no device may reach the frame through
	 * the IOTLB when it goes.
	 */
	viommu_flush(r);
err_put:
	while (held--)
		viommu_pin_put_now(c, gfn + held);
	return 0;
}

/*
 * Shadow the pages of a leaf span: run by run of what the shadow has there
 * (the same already, nothing, or something else), each run within a
 * shadow leaf and ending where a large IOMMU page could start.
 */
static int viommu_refresh_leaf(struct viommu_refresh_ctx *r,
			       const struct viommu_span *span, bool small)
{
	u64 npages = ((span->last - span->iova) >> VIOMMU_PAGE_SHIFT) + 1;
	u64 i, done, m;
	int ret;

	for (i = 0; i < npages; i += done) {
		u64 iova = span->iova + (i << VIOMMU_PAGE_SHIFT);
		unsigned long index = iova >> VIOMMU_PAGE_SHIFT;
		gfn_t gfn = (span->gpa >> VIOMMU_PAGE_SHIFT) + i;
		u64 want = viommu_shadow_entry(gfn, span->prot);

		/* Where a large IOMMU page could start, try one. */
		if (!small && !(iova & (SZ_2M - 1)) &&
		    npages - i >= SZ_2M / SZ_4K) {
			ret = viommu_batch_flush(r);
			if (ret)
				return ret;
			done = viommu_refresh_block(r, iova, gfn, npages - i,
						    span->prot, SZ_1G) ?:
			       viommu_refresh_block(r, iova, gfn, npages - i,
						    span->prot, SZ_2M);
			if (done)
				continue;
		}

		m = npages - i;
		if (!small)
			m = min(m, (SZ_2M - (iova & (SZ_2M - 1))) >>
				   VIOMMU_PAGE_SHIFT);
		if (r->limited) {
			if (!r->budget) {
				r->next = iova;
				return VIOMMU_STOP;
			}
			m = min(m, r->budget);
		}

		/* Mapped as the guest says: nothing to do. */
		done = viommu_shadow_scan(r, index, m, want);
		if (done) {
			r->out->unchanged += done;
			if (r->limited)
				r->budget -= done;
			continue;
		}

		/* Nothing mapped: queue the run. */
		done = viommu_shadow_scan(r, index,
					  min_t(u64, m, VIOMMU_BATCH -
							r->nr_queued), 0);
		if (!done) {
			/* Mapped to something else: replace it. */
			done = 1;
			viommu_unmap_page(r, iova, viommu_shadow_get(r, index));
		}
		if (r->limited)
			r->budget -= done;
		ret = viommu_batch_add(r, iova, gfn, done, span->prot);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * The lowest reserved IOVA region of the table's groups that meets
 * [@iova, @last], clipped to it and widened to whole pages, in
 * [*@rs, *@rl].  Directly mapped regions that may be relaxed (USB and GPU
 * RMRRs) do not count, as in vfio_iommu_type1.
 */
static bool viommu_reserved_overlap(struct viommu_refresh_ctx *r, u64 iova,
				    u64 last, u64 *rs, u64 *rl)
{
	struct iommu_resv_region *region;
	struct viommu_group *g;
	bool found = false;

	list_for_each_entry(g, &r->c->groups, node) {
		if (g->table != r->t)
			continue;
		list_for_each_entry(region, &g->resv_regions, list) {
			u64 start = region->start;
			u64 end = region->start + region->length - 1;

			if (region->type == IOMMU_RESV_DIRECT_RELAXABLE ||
			    !region->length || end < iova || start > last)
				continue;
			start = max(start, iova) & ~(u64)(SZ_4K - 1);
			if (found && start >= *rs)
				continue;
			*rs = start;
			*rl = min(end, last) | (SZ_4K - 1);
			found = true;
		}
	}
	return found;
}

/* A leaf span: reserved IOVAs inside it are refused, the rest shadowed. */
static int viommu_refresh_leaf_span(struct viommu_refresh_ctx *r,
				    const struct viommu_span *span, bool small)
{
	struct viommu_span part = *span;
	u64 rs, rl;
	int ret;

	while (viommu_reserved_overlap(r, part.iova, part.last, &rs, &rl)) {
		if (rs > part.iova) {
			struct viommu_span head = part;

			head.last = rs - 1;
			ret = viommu_refresh_leaf(r, &head, small);
			if (ret)
				return ret;
		}
		ret = viommu_batch_flush(r);
		if (ret)
			return ret;
		ret = viommu_refuse_range(r, rs, rl,
					  KVM_VIOMMU_REFUSED_RESERVED_IOVA);
		if (ret)
			return ret;
		if (rl == part.last)
			return 0;
		part.gpa += rl + 1 - part.iova;
		part.iova = rl + 1;
	}
	return viommu_refresh_leaf(r, &part, small);
}

static int viommu_handle_span(struct viommu_refresh_ctx *r,
			      const struct viommu_span *span, bool small)
{
	int ret;

	if (span->kind == VIOMMU_SPAN_LEAF && span->prot)
		return viommu_refresh_leaf_span(r, span, small);

	/* Keep refusals in walk order: map what is queued first. */
	ret = viommu_batch_flush(r);
	if (ret)
		return ret;
	switch (span->kind) {
	case VIOMMU_SPAN_HOLE:
		return viommu_unmap_range(r, span->iova, span->last);
	default:
		return viommu_refuse_range(r, span->iova, span->last,
					   span->refusal);
	}
}

/* A span of 4 KiB guest leaves, which stay 4 KiB IOMMU pages. */
static bool viommu_span_small(const struct viommu_span *span)
{
	return span->kind == VIOMMU_SPAN_LEAF &&
	       span->leaf_shift == VIOMMU_PAGE_SHIFT;
}

/* Does @next continue the pending span: the same meaning, after it? */
static bool viommu_span_continues(struct viommu_refresh_ctx *r,
				  const struct viommu_span *next)
{
	const struct viommu_span *span = &r->pending;

	if (span->last < span->iova || next->kind != span->kind ||
	    next->iova != span->last + 1 || next->iova < span->iova)
		return false;
	switch (span->kind) {
	case VIOMMU_SPAN_LEAF:
		/* Only 4 KiB leaves merge: a large one may become a block. */
		return r->pending_4k && viommu_span_small(next) &&
		       next->prot == span->prot &&
		       next->gpa == span->gpa + (next->iova - span->iova);
	case VIOMMU_SPAN_HOLE:
		return true;
	default:
		return next->refusal == span->refusal;
	}
}

/* Handle the pending span, if any. */
static int viommu_handle_pending(struct viommu_refresh_ctx *r)
{
	struct viommu_span span = r->pending;

	if (span.last < span.iova)
		return 0;
	r->pending.last = 0;
	r->pending.iova = 1;
	/* KVM_VIOMMU_TABLE_MERGE lets runs of 4 KiB leaves become blocks. */
	return viommu_handle_span(r, &span, r->pending_4k &&
				  !(r->t->flags & KVM_VIOMMU_TABLE_MERGE));
}

/*
 * The walk reports a span per run of like entries among those it read
 * together; runs that continue one another (4 KiB leaves of consecutive
 * guest pages, empty entries) are merged here and handled as one, so that
 * a run is unmapped with one call and per-span work is paid per run.
 */
static int viommu_refresh_span(void *ctx, const struct viommu_span *span)
{
	struct viommu_refresh_ctx *r = ctx;
	struct viommu_span next = *span;
	int ret;

	/*
	 * A hostile table can make the walk report a span per entry it
	 * reads, merged or not (a table page whose entries all point at
	 * itself): spend budget per span reported, and yield every
	 * VIOMMU_SPAN_YIELD of them.
	 */
	if (!(++r->spans % VIOMMU_SPAN_YIELD)) {
		ret = viommu_yield();
		if (ret)
			return ret;
	}
	if (r->limited && !r->budget) {
		/* Stop after what is pending, or before it if no budget. */
		ret = viommu_handle_pending(r);
		if (ret)
			return ret;
		r->next = next.iova;
		return VIOMMU_STOP;
	}
	if (r->limited)
		r->budget--;

	/* A leaf granting nothing maps nothing. */
	if (next.kind == VIOMMU_SPAN_LEAF && !next.prot)
		next.kind = VIOMMU_SPAN_HOLE;
	if (viommu_span_continues(r, &next)) {
		r->pending.last = next.last;
		return 0;
	}
	ret = viommu_handle_pending(r);
	r->pending = next;
	r->pending_4k = viommu_span_small(&next);
	return ret;
}

/*
 * Read @n entries of a guest table page (the walk never crosses a page):
 * one user access window, one 8-byte load per entry.  The page's memslot
 * is kept for the next read.
 */
static int viommu_read_guest_entries(void *ctx, u64 gpa, unsigned int n,
				     u64 *raw)
{
	struct viommu_refresh_ctx *r = ctx;
	const u64 __user *p;
	unsigned long hva;
	unsigned int i;

	if (gpa & (sizeof(u64) - 1) ||
	    offset_in_page(gpa) + n * sizeof(u64) > PAGE_SIZE)
		return -EFAULT;
	if (viommu_gm_table_hva(r->c, gpa_to_gfn(gpa), &r->rd_slot, &hva))
		return -EFAULT;
	p = (const u64 __user *)(hva + offset_in_page(gpa));
	if (!user_read_access_begin(p, n * sizeof(u64)))
		return -EFAULT;
	/* The guest may be rewriting an entry: never tear one. */
	for (i = 0; i < n; i++)
		unsafe_get_user(raw[i], &p[i], efault);
	user_read_access_end();
	return 0;

efault:
	user_read_access_end();
	return -EFAULT;
}

/* The container's refresh state, reset for a refresh of @t. */
static struct viommu_refresh_ctx *
viommu_refresh_begin(struct viommu_container *c, struct viommu_table *t,
		     struct kvm_viommu_refresh *out)
{
	struct viommu_refresh_ctx *r = c->refresh;

	/* The last refresh's flush emptied the unpin list. */
	WARN_ON_ONCE(r->unpin.nr);
	memset(r, 0, offsetof(struct viommu_refresh_ctx, run_iova));
	r->pending.iova = 1;	/* none */
	r->c = c;
	r->t = t;
	r->out = out;
	iommu_iotlb_gather_init(&r->gather);
	return r;
}

/* Sync the IOTLB, release the pins it covered, settle locked_vm. */
static void viommu_refresh_end(struct viommu_refresh_ctx *r)
{
	viommu_flush(r);
	viommu_gm_settle(r->c);
}

/**
 * viommu_refresh_alloc - allocate a container's refresh state
 * @c: the container, being bound: refreshes and memslot removal then never
 *	fail for want of it.
 *
 * Return: 0 or -ENOMEM.
 */
int viommu_refresh_alloc(struct viommu_container *c)
{
	c->refresh = kvzalloc(sizeof(*c->refresh), GFP_KERNEL_ACCOUNT);
	if (!c->refresh)
		return -ENOMEM;
	viommu_unpin_init(&c->refresh->unpin);
	return 0;
}

/**
 * viommu_refresh_free - free a container's refresh state
 * @c: the container, being unbound.
 */
void viommu_refresh_free(struct viommu_container *c)
{
	if (c->refresh)
		viommu_unpin_destroy(&c->refresh->unpin);
	kvfree(c->refresh);
	c->refresh = NULL;
}

/**
 * viommu_refresh_forget_path - forget the table entries the walks kept
 * @c: the container (lock held).
 *
 * A KVM_VIOMMU_REFRESH_LEAF_ONLY refresh starts from the table entries a
 * walk read since the last walk without the flag (of any table of the
 * container: the path is kept per container and matched by root), which
 * is what the guest's word covers for a table that has had such a walk.
 * Called when that no longer holds: a table is created (it has had no
 * refresh, but another table over the same root may have left a path),
 * or a memslot is deleted (entries above the kept table may have been in
 * it: a full walk would now refuse what the kept path still reaches).
 */
void viommu_refresh_forget_path(struct viommu_container *c)
{
	lockdep_assert_held(&c->lock);

	if (c->refresh)
		viommu_walk_forget(&c->refresh->walk_buf);
}

/**
 * viommu_refresh_path_walks - walks that started from the kept path
 * @c: the container (lock held).
 *
 * Return: how many walks of leaf-only refreshes and ring requests started
 * from the table the path kept (KVM_VIOMMU_GET_INFO's kept_path_walks); 0
 * before the bind.
 */
u64 viommu_refresh_path_walks(struct viommu_container *c)
{
	lockdep_assert_held(&c->lock);

	return c->refresh ? c->refresh->walk_buf.path_walks : 0;
}

/**
 * viommu_refresh_table - synchronise part of a table's shadow with the guest
 * @c: the container (lock held, VM bound, current->mm the VMM's).
 * @t: the table.
 * @iova: first IOVA (4 KiB aligned, inside the aperture).
 * @last: last IOVA (inclusive, inside the aperture).
 * @budget: work units (pages visited, mappings removed, spans) left, used
 *	and updated; NULL for no limit.
 * @out: counters, added to (not reset); its flags are read
 *	(%KVM_VIOMMU_REFRESH_LEAF_ONLY).
 * @next: on -EAGAIN, the first IOVA not refreshed yet.
 *
 * Whatever happens, the IOTLB is synchronised before returning, so every
 * page refreshed so far is in force.
 *
 * Return: 0 when [@iova, @last] is done, -EAGAIN when the budget ran out,
 * -EINTR on a fatal signal, -ENOMEM.
 */
int viommu_refresh_table(struct viommu_container *c, struct viommu_table *t,
			 u64 iova, u64 last, u64 *budget,
			 struct kvm_viommu_refresh *out, u64 *next)
{
	struct viommu_refresh_ctx *r;
	struct viommu_walk w;
	int idx, ret;

	lockdep_assert_held(&c->lock);

	r = viommu_refresh_begin(c, t, out);
	r->limited = budget;
	r->budget = budget ? *budget : 0;
	if (out->fail_reason == KVM_VIOMMU_REFUSED_MEMLOCK ||
	    out->fail_reason == KVM_VIOMMU_REFUSED_LIMIT) {
		r->no_more_pins = true;
		r->stop_why = out->fail_reason;
	}

	w = (struct viommu_walk) {
		.fmt = t->fmt,
		.cfg = t->cfg,
		.leaf_only = out->flags & KVM_VIOMMU_REFRESH_LEAF_ONLY,
		.root = t->root_gpa,
		.read = viommu_read_guest_entries,
		.emit = viommu_refresh_span,
		.ctx = r,
		.buf = &r->walk_buf,
	};

	idx = srcu_read_lock(&c->kvm->srcu);
	ret = viommu_walk(&w, iova, last);
	if (!ret)
		ret = viommu_handle_pending(r);
	/* Whatever stopped the walk, what it queued is before it. */
	viommu_batch_flush(r);
	srcu_read_unlock(&c->kvm->srcu, idx);

	viommu_refresh_end(r);
	if (budget)
		*budget = r->budget;
	if (ret == VIOMMU_STOP) {
		*next = r->next;
		ret = -EAGAIN;
	}
	return ret;
}

/**
 * viommu_refresh_check - validate a refresh request against its table
 * @c: the container (lock held).
 * @table_id: the table.
 * @iova: first IOVA.
 * @size: bytes.
 * @last: set to the last IOVA.
 *
 * Return: the table, or ERR_PTR(-ENOENT) or ERR_PTR(-EINVAL).
 */
struct viommu_table *viommu_refresh_check(struct viommu_container *c,
					  u32 table_id, u64 iova, u64 size,
					  u64 *last)
{
	struct viommu_table *t;

	lockdep_assert_held(&c->lock);

	t = xa_load(&c->tables, table_id);
	if (!t)
		return ERR_PTR(-ENOENT);
	if (!size || !IS_ALIGNED(iova | size, SZ_4K) ||
	    check_add_overflow(iova, size - 1, last) ||
	    iova < t->aperture_start || *last > t->aperture_last)
		return ERR_PTR(-EINVAL);
	return t;
}

/**
 * viommu_refresh - KVM_VIOMMU_REFRESH
 * @c: the container (lock held).
 * @arg: the request; its output fields are filled in.
 *
 * Return: 0 (refusals are reported in @arg), -EINVAL, -ENOENT, -EPERM,
 * -ENOMEM or -EINTR (see the uAPI).
 */
int viommu_refresh(struct viommu_container *c, struct kvm_viommu_refresh *arg)
{
	struct viommu_table *t;
	u64 last, next;
	int ret;

	lockdep_assert_held(&c->lock);

	if (!c->kvm)
		return -EINVAL;
	if (current->mm != c->mm)
		return -EPERM;
	t = viommu_refresh_check(c, arg->table_id, arg->iova, arg->size, &last);
	if (IS_ERR(t))
		return PTR_ERR(t);

	ret = viommu_refresh_table(c, t, arg->iova, last, NULL, arg, &next);
	if (!ret)
		c->refreshes++;
	return ret;
}

/**
 * viommu_shadow_clear - release every page a table maps
 * @c: the container (lock held).
 * @t: the table, whose domain no group is attached to any more.
 *
 * With no device attached the IOTLB holds nothing of the domain, so the pins
 * go at once (unless another table still maps the frame); the mappings
 * themselves go with the domain.  Never fails.
 */
void viommu_shadow_clear(struct viommu_container *c, struct viommu_table *t)
{
	unsigned long index = 0;
	u64 entry;

	lockdep_assert_held(&c->lock);
	WARN_ON(t->nr_groups);

	while ((entry = viommu_leaves_next(&t->shadow, &index, ULONG_MAX))) {
		u64 size = viommu_shadow_block(entry);
		u64 *leaf = viommu_leaf(&t->shadow, index, false);

		if (size && !(((u64)index << VIOMMU_PAGE_SHIFT) & (size - 1)))
			c->mapped_blocks--;
		viommu_leaf_set(&t->shadow, leaf, index, 0);
		c->mapped_pages--;
		viommu_pin_put_now(c, viommu_shadow_gfn(entry));
		if (!(++index % 4096))
			cond_resched();
	}
	viommu_leaves_destroy(&t->shadow);
}

/**
 * viommu_shadow_forget - unmap every IOVA that maps guest frames being removed
 * @c: the container (lock held).
 * @gfn: first guest frame of a memslot being deleted.
 * @last: its last guest frame.
 *
 * Every table's shadow is scanned: memslot deletion is rare, and the
 * shadow is indexed by IOVA.  The IOTLB is synced before the pins go.
 * Never fails.
 */
void viommu_shadow_forget(struct viommu_container *c, gfn_t gfn, gfn_t last)
{
	struct kvm_viommu_refresh out = { };
	struct viommu_refresh_ctx *r;
	struct viommu_table *t;
	unsigned long id, index;
	u64 entry;

	lockdep_assert_held(&c->lock);

	xa_for_each(&c->tables, id, t) {
		r = viommu_refresh_begin(c, t, &out);
		index = 0;
		while ((entry = viommu_leaves_next(&t->shadow, &index,
						   ULONG_MAX))) {
			u64 size = viommu_shadow_block(entry);
			u64 at = (u64)index << VIOMMU_PAGE_SHIFT;
			gfn_t g = viommu_shadow_gfn(entry);

			if (g < gfn || g > last) {
				index++;
			} else if (size && !(at & (size - 1)) &&
				   g + (size >> VIOMMU_PAGE_SHIFT) - 1 <= last) {
				/* A block wholly in the memslot goes whole. */
				viommu_unmap_block(r, at, size);
				index += size >> VIOMMU_PAGE_SHIFT;
			} else {
				viommu_unmap_page(r, at, entry);
				index++;
			}
			if (!(index % 4096))
				cond_resched();
		}
		viommu_refresh_end(r);
	}
}
