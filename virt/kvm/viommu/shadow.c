// SPDX-License-Identifier: GPL-2.0
/*
 * The shadow: range refresh (walk the guest table -> diff against what is
 * mapped -> map/unmap) and teardown.
 *
 * Per 4 KiB IOVA page the shadow xarray records which guest frame is mapped
 * there and with which permission; the frame's pin is held in the
 * container's pin table (guest_mem.c).  A refresh walks the guest table over the
 * range and, span by span, leaves each page either mapped exactly as the
 * guest says or unmapped (a refusal).  Unmaps go through an IOTLB gather;
 * the pins behind them are released only after the gather is synced, so a
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

#include "viommu.h"

#define VIOMMU_PAGE_SHIFT	12
#define VIOMMU_UNPIN_BATCH	64

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
 * @nr_unpin: pages in @unpin.
 * @unpin: pages unmapped in @gather, to release once it is synced.
 * @dirty: per @unpin entry: it was mapped writable.
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
	unsigned int nr_unpin;
	struct page *unpin[VIOMMU_UNPIN_BATCH];
	bool dirty[VIOMMU_UNPIN_BATCH];
};

/*
 * A shadow entry: the guest frame, whether the page is part of a large
 * IOMMU mapping (and of which size), and the permission.
 */
#define VIOMMU_SHADOW_PROT	GENMASK(1, 0)
#define VIOMMU_SHADOW_BLOCK	GENMASK(3, 2)	/* 0: 4 KiB, 1: 2 MiB, 2: 1 GiB */
#define VIOMMU_SHADOW_GFN_SHIFT	4

static const u64 viommu_block_sizes[] = { 0, SZ_2M, SZ_1G };

static unsigned long viommu_shadow_entry(gfn_t gfn, u32 prot)
{
	return (gfn << VIOMMU_SHADOW_GFN_SHIFT) | prot;
}

static gfn_t viommu_shadow_gfn(unsigned long entry)
{
	return entry >> VIOMMU_SHADOW_GFN_SHIFT;
}

static u32 viommu_shadow_prot(unsigned long entry)
{
	return entry & VIOMMU_SHADOW_PROT;
}

/* Size of the large IOMMU mapping the page is part of, or 0. */
static u64 viommu_shadow_block(unsigned long entry)
{
	return viommu_block_sizes[FIELD_GET(VIOMMU_SHADOW_BLOCK, entry)];
}

/* Does @entry map what @want (a 4 KiB entry) says, whatever its block? */
static bool viommu_shadow_same(unsigned long entry, unsigned long want)
{
	return (entry & ~VIOMMU_SHADOW_BLOCK) == want;
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

/* Sync the IOTLB, then release the pins of what it no longer maps. */
static void viommu_flush(struct viommu_refresh_ctx *r)
{
	/* Nothing gathered: nothing to invalidate. */
	if (r->gather.start <= r->gather.end)
		iommu_iotlb_sync(r->t->domain, &r->gather);
	iommu_iotlb_gather_init(&r->gather);
	viommu_gm_unpin(r->unpin, r->dirty, r->nr_unpin);
	r->nr_unpin = 0;
}

/* Release @gfn's hold for a page the IOTLB may still reach until the flush. */
static void viommu_put_deferred(struct viommu_refresh_ctx *r, gfn_t gfn)
{
	struct page *page;
	bool dirty;

	page = viommu_pin_put(r->c, gfn, &dirty);
	if (!page)
		return;
	r->unpin[r->nr_unpin] = page;
	r->dirty[r->nr_unpin] = dirty;
	if (++r->nr_unpin == VIOMMU_UNPIN_BATCH)
		viommu_flush(r);
}

/* Forget a shadow page that is no longer mapped in the domain. */
static void viommu_shadow_drop(struct viommu_refresh_ctx *r, u64 iova,
			       unsigned long entry)
{
	xa_erase(&r->t->shadow, iova >> VIOMMU_PAGE_SHIFT);
	r->c->mapped_pages--;
	r->out->unmapped++;
	viommu_put_deferred(r, viommu_shadow_gfn(entry));
}

/*
 * Replace the large IOMMU mapping around @iova by 4 KiB mappings of the
 * same pages, so that part of it can change.  The IOMMU API cannot split a
 * mapping in place: between the unmap and the maps a device that misses in
 * its IOTLB faults on the block.  Only a guest that changes part of a large
 * leaf pays this.  A page that cannot be remapped is dropped.
 */
static void viommu_split_block(struct viommu_refresh_ctx *r, u64 iova,
			       unsigned long entry)
{
	struct viommu_table *t = r->t;
	u64 size = viommu_shadow_block(entry);
	u64 base = iova & ~(size - 1), off;
	size_t unmapped;

	unmapped = iommu_unmap_fast(t->domain, base, size, &r->gather);
	WARN_ON_ONCE(unmapped != size);
	r->c->mapped_blocks--;

	for (off = 0; off < size; off += SZ_4K) {
		unsigned long index = (base + off) >> VIOMMU_PAGE_SHIFT;
		unsigned long e = xa_to_value(xa_load(&t->shadow, index));
		struct page *page = viommu_pin_page(r->c, viommu_shadow_gfn(e));

		if (!page ||
		    iommu_map(t->domain, base + off, page_to_phys(page), SZ_4K,
			      viommu_iommu_prot(viommu_shadow_prot(e)),
			      GFP_KERNEL_ACCOUNT)) {
			viommu_shadow_drop(r, base + off, e);
			continue;
		}
		/* Replacing a present value allocates nothing. */
		xa_store(&t->shadow, index,
			 xa_mk_value(e & ~VIOMMU_SHADOW_BLOCK), GFP_KERNEL);
	}
}

/* Unmap the whole large IOMMU mapping starting at @base. */
static void viommu_unmap_block(struct viommu_refresh_ctx *r, u64 base,
			       u64 size)
{
	struct viommu_table *t = r->t;
	size_t unmapped;
	u64 off;

	unmapped = iommu_unmap_fast(t->domain, base, size, &r->gather);
	WARN_ON_ONCE(unmapped != size);
	r->c->mapped_blocks--;
	for (off = 0; off < size; off += SZ_4K) {
		void *e = xa_load(&t->shadow, (base + off) >> VIOMMU_PAGE_SHIFT);

		viommu_shadow_drop(r, base + off, xa_to_value(e));
	}
}

static void viommu_unmap_page(struct viommu_refresh_ctx *r, u64 iova,
			      unsigned long entry)
{
	struct viommu_table *t = r->t;
	size_t size;

	if (viommu_shadow_block(entry))
		viommu_split_block(r, iova, entry);
	/* The split may have had to drop this very page. */
	if (!xa_load(&t->shadow, iova >> VIOMMU_PAGE_SHIFT))
		return;

	size = iommu_unmap_fast(t->domain, iova, SZ_4K, &r->gather);
	/* The shadow says it is mapped: the domain must agree. */
	WARN_ON_ONCE(size != SZ_4K);
	viommu_shadow_drop(r, iova, entry);
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

/*
 * Unmap whatever the shadow has in [@iova, @last]: 0, VIOMMU_STOP or
 * -EINTR.
 */
static int viommu_unmap_range(struct viommu_refresh_ctx *r, u64 iova,
			      u64 last)
{
	unsigned int n = 0;
	unsigned long index;
	void *entry;

	xa_for_each_range(&r->t->shadow, index, entry,
			  iova >> VIOMMU_PAGE_SHIFT, last >> VIOMMU_PAGE_SHIFT) {
		u64 at = (u64)index << VIOMMU_PAGE_SHIFT;
		u64 size = viommu_shadow_block(xa_to_value(entry));

		if (viommu_spend(r, at))
			return VIOMMU_STOP;
		/* A large mapping wholly inside goes at once, unsplit. */
		if (size && at == (at & ~(size - 1)) &&
		    at + (size - 1) <= last) {
			viommu_unmap_block(r, at, size);
			continue;
		}
		viommu_unmap_page(r, at, xa_to_value(entry));
		/* A hole over millions of mappings must not hog the CPU. */
		if (!(++n & 511)) {
			if (fatal_signal_pending(current))
				return -EINTR;
			cond_resched();
		}
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

/* Map one guest frame at @iova; the IOVA is not mapped on entry. */
static u32 viommu_map_page(struct viommu_refresh_ctx *r, u64 iova, gfn_t gfn,
			   u32 prot)
{
	struct viommu_container *c = r->c;
	struct viommu_table *t = r->t;
	bool write = prot & VIOMMU_PROT_WRITE;
	struct page *page;
	void *old;
	u32 why;

	if (r->no_more_pins)
		return r->stop_why;
	if (c->mapped_pages >= READ_ONCE(viommu_max_mapped_pages))
		return KVM_VIOMMU_REFUSED_LIMIT;

	why = viommu_pin_get(c, gfn, write, &page);
	if (why)
		return why;

	if (iommu_map(t->domain, iova, page_to_phys(page), SZ_4K,
		      viommu_iommu_prot(prot), GFP_KERNEL_ACCOUNT))
		goto err_put;

	old = xa_store(&t->shadow, iova >> VIOMMU_PAGE_SHIFT,
		       xa_mk_value(viommu_shadow_entry(gfn, prot)),
		       GFP_KERNEL_ACCOUNT);
	if (xa_is_err(old))
		goto err_unmap;

	c->mapped_pages++;
	r->out->mapped++;
	return KVM_VIOMMU_REFUSED_NONE;

err_unmap:
	iommu_unmap(t->domain, iova, SZ_4K);
err_put:
	viommu_pin_put_now(c, gfn);
	return KVM_VIOMMU_REFUSED_MAP;
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
	u64 n = size >> VIOMMU_PAGE_SHIFT, k, pfn0 = 0;
	unsigned long want = viommu_shadow_entry(gfn, prot);
	struct viommu_container *c = r->c;
	struct viommu_table *t = r->t;
	bool write = prot & VIOMMU_PROT_WRITE;
	unsigned long index = iova >> VIOMMU_PAGE_SHIFT;
	void *entry;

	if (!(t->domain->pgsize_bitmap & size) || (iova & (size - 1)) ||
	    (gfn & (n - 1)) || npages < n || r->no_more_pins ||
	    (r->limited && r->budget < 2 * n) ||
	    c->mapped_pages + n > READ_ONCE(viommu_max_mapped_pages))
		return 0;

	/* Already shadowed by the same large mapping: nothing to do. */
	entry = xa_load(&t->shadow, index);
	if (entry && viommu_shadow_block(xa_to_value(entry)) == size &&
	    viommu_shadow_same(xa_to_value(entry), want)) {
		r->out->unchanged += n;
		if (r->limited)
			r->budget -= n;
		return n;
	}

	/*
	 * A page the shadow already maps as the guest says stays as it is: a
	 * block may only replace mappings that all change anyway.
	 */
	for (k = 0; k < n; k++) {
		entry = xa_load(&t->shadow, index + k);
		if (entry && viommu_shadow_same(xa_to_value(entry),
						viommu_shadow_entry(gfn + k,
								    prot)))
			return 0;
	}

	/* Hold every frame; they must be one aligned physical run. */
	for (k = 0; k < n; k++) {
		struct page *page;

		if (viommu_pin_get(c, gfn + k, write, &page))
			break;
		if (!k)
			pfn0 = page_to_pfn(page);
		if (page_to_pfn(page) != pfn0 + k || (pfn0 & (n - 1))) {
			viommu_pin_put_now(c, gfn + k);
			break;
		}
	}
	if (k < n || viommu_unmap_range(r, iova, iova + size - 1))
		goto err_put;

	if (iommu_map(t->domain, iova, PFN_PHYS(pfn0), size,
		      viommu_iommu_prot(prot), GFP_KERNEL_ACCOUNT))
		goto err_put;
	for (k = 0; k < n; k++) {
		unsigned long e = viommu_shadow_entry(gfn + k, prot) |
				  FIELD_PREP(VIOMMU_SHADOW_BLOCK,
					     size == SZ_1G ? 2 : 1);

		if (xa_is_err(xa_store(&t->shadow, index + k, xa_mk_value(e),
				       GFP_KERNEL_ACCOUNT)))
			goto err_unmap;
	}

	c->mapped_blocks++;
	c->mapped_pages += n;
	r->out->mapped += n;
	if (r->limited)
		r->budget -= n;
	return n;

err_unmap:
	iommu_unmap(t->domain, iova, size);
	while (k--)
		xa_erase(&t->shadow, index + k);
	k = n;
err_put:
	while (k--)
		viommu_pin_put_now(c, gfn + k);
	return 0;
}

static int viommu_refresh_leaf(struct viommu_refresh_ctx *r,
			       const struct viommu_span *span)
{
	u64 npages = ((span->last - span->iova) >> VIOMMU_PAGE_SHIFT) + 1;
	u64 i, done;

	for (i = 0; i < npages; i++) {
		u64 iova = span->iova + (i << VIOMMU_PAGE_SHIFT);
		gfn_t gfn = (span->gpa >> VIOMMU_PAGE_SHIFT) + i;
		unsigned long want = viommu_shadow_entry(gfn, span->prot);
		void *entry;
		u32 why;

		done = viommu_refresh_block(r, iova, gfn, npages - i,
					    span->prot, SZ_1G) ?:
		       viommu_refresh_block(r, iova, gfn, npages - i,
					    span->prot, SZ_2M);
		if (done) {
			i += done - 1;
			continue;
		}

		if (viommu_spend(r, iova))
			return VIOMMU_STOP;
		entry = xa_load(&r->t->shadow, iova >> VIOMMU_PAGE_SHIFT);
		if (entry && viommu_shadow_same(xa_to_value(entry), want)) {
			r->out->unchanged++;
			continue;
		}
		if (entry)
			viommu_unmap_page(r, iova, xa_to_value(entry));

		why = viommu_map_page(r, iova, gfn, span->prot);
		if (why)
			viommu_refuse(r, iova, 1, why);

		if ((i & 511) == 511) {
			if (fatal_signal_pending(current))
				return -EINTR;
			cond_resched();
		}
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
				    const struct viommu_span *span)
{
	struct viommu_span part = *span;
	u64 rs, rl;
	int ret;

	while (viommu_reserved_overlap(r, part.iova, part.last, &rs, &rl)) {
		if (rs > part.iova) {
			struct viommu_span head = part;

			head.last = rs - 1;
			ret = viommu_refresh_leaf(r, &head);
			if (ret)
				return ret;
		}
		ret = viommu_refuse_range(r, rs, rl,
					  KVM_VIOMMU_REFUSED_RESERVED_IOVA);
		if (ret)
			return ret;
		if (rl == part.last)
			return 0;
		part.gpa += rl + 1 - part.iova;
		part.iova = rl + 1;
	}
	return viommu_refresh_leaf(r, &part);
}

static int viommu_refresh_span(void *ctx, const struct viommu_span *span)
{
	struct viommu_refresh_ctx *r = ctx;

	/*
	 * A hostile table can make every span a single page (a table page
	 * whose entries all point at itself): yield per span, not per leaf.
	 */
	if (fatal_signal_pending(current))
		return -EINTR;
	cond_resched();
	if (viommu_spend(r, span->iova))
		return VIOMMU_STOP;

	switch (span->kind) {
	case VIOMMU_SPAN_LEAF:
		if (span->prot)
			return viommu_refresh_leaf_span(r, span);
		fallthrough;	/* a leaf granting nothing maps nothing */
	case VIOMMU_SPAN_HOLE:
		return viommu_unmap_range(r, span->iova, span->last);
	default:
		return viommu_refuse_range(r, span->iova, span->last,
					   span->refusal);
	}
}

static int viommu_read_guest_entry(void *ctx, u64 gpa, u64 *raw)
{
	struct viommu_refresh_ctx *r = ctx;

	return viommu_gm_read_entry(r->c, gpa, raw);
}

/**
 * viommu_refresh_table - synchronise part of a table's shadow with the guest
 * @c: the container (lock held, VM bound, current->mm the VMM's).
 * @t: the table.
 * @iova: first IOVA (4 KiB aligned, inside the aperture).
 * @last: last IOVA (inclusive, inside the aperture).
 * @budget: work units (pages visited, mappings removed, spans) left, used
 *	and updated; NULL for no limit.
 * @out: counters, added to (not reset).
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

	r = kzalloc(sizeof(*r), GFP_KERNEL_ACCOUNT);
	if (!r)
		return -ENOMEM;
	r->c = c;
	r->t = t;
	r->out = out;
	r->limited = budget;
	r->budget = budget ? *budget : 0;
	if (out->fail_reason == KVM_VIOMMU_REFUSED_MEMLOCK ||
	    out->fail_reason == KVM_VIOMMU_REFUSED_LIMIT) {
		r->no_more_pins = true;
		r->stop_why = out->fail_reason;
	}
	iommu_iotlb_gather_init(&r->gather);

	w = (struct viommu_walk) {
		.fmt = t->fmt,
		.cfg = t->cfg,
		.root = t->root_gpa,
		.read = viommu_read_guest_entry,
		.emit = viommu_refresh_span,
		.ctx = r,
	};

	idx = srcu_read_lock(&c->kvm->srcu);
	ret = viommu_walk(&w, iova, last);
	srcu_read_unlock(&c->kvm->srcu, idx);

	viommu_flush(r);
	viommu_gm_settle(c);
	if (budget)
		*budget = r->budget;
	if (ret == VIOMMU_STOP) {
		*next = r->next;
		ret = -EAGAIN;
	}
	kfree(r);
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
	unsigned long index;
	void *entry;

	lockdep_assert_held(&c->lock);
	WARN_ON(t->nr_groups);

	xa_for_each(&t->shadow, index, entry) {
		u64 size = viommu_shadow_block(xa_to_value(entry));

		if (size && !(((u64)index << VIOMMU_PAGE_SHIFT) & (size - 1)))
			c->mapped_blocks--;
		xa_erase(&t->shadow, index);
		c->mapped_pages--;
		viommu_pin_put_now(c, viommu_shadow_gfn(xa_to_value(entry)));
	}
}
