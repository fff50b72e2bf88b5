// SPDX-License-Identifier: GPL-2.0
/*
 * The pin table: which guest frames the container holds pinned, the host
 * page behind each, and their locked_vm charge.
 *
 * Each guest frame mapped anywhere in the container is pinned once
 * (FOLL_LONGTERM, and FOLL_WRITE unless its memslot is read-only, so the
 * page behind a frame cannot change under a later writable mapping) and
 * charged once to locked_vm, however many IOVA pages map it.  The table
 * (viommu_container.pins, leaves indexed by guest frame) holds per frame:
 *   - the host page frame number;
 *   - WRITABLE: pinned for writing.  A frame pinned read-only (its memslot
 *     was read-only) is never handed out for a writable mapping, even if
 *     the memslot has become writable since: the pinned page may be one the
 *     VMM cannot write, such as the page cache of a file it mapped
 *     read-only;
 *   - DIRTY: a writable mapping used it: dirty the page on unpin;
 *   - KEEP: pre-pinned (KVM_VIOMMU_BIND_PREPIN or KVM_VIOMMU_PREPIN): the
 *     frame stays pinned when no IOVA maps it;
 *   - MARK: pinned or kept by the KVM_VIOMMU_PREPIN call in progress, to
 *     undo it if the call fails;
 *   - the number of IOVA pages mapping it ("holds"), bounded so that a
 *     guest mapping one page everywhere cannot push the page's reference
 *     count anywhere near overflow: GUP adds GUP_PIN_COUNTING_BIAS per pin,
 *     we add one pin per frame.
 * A frame is in the table while it has holds or KEEP; it is unpinned (and
 * its charge returned) when the last of both goes.
 *
 * Frames absent from the table are pinned in runs: consecutive guest
 * frames of one memslot are consecutive VMM addresses, pinned with one
 * pin_user_pages_fast() call and charged with one locked_vm update.
 *
 * Everything here runs under viommu_container.lock in the VMM's context
 * (current->mm == c->mm, checked by the callers), inside a kvm->srcu read
 * section when memslots are looked at.
 */
#include <linux/kvm_host.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>

#include "viommu.h"

#define VIOMMU_PIN_COUNT_BITS	20
#define VIOMMU_PIN_COUNT_MAX	(BIT_ULL(VIOMMU_PIN_COUNT_BITS) - 1)
#define VIOMMU_PIN_MARK		BIT_ULL(20)
#define VIOMMU_PIN_KEEP		BIT_ULL(21)
#define VIOMMU_PIN_DIRTY	BIT_ULL(22)
#define VIOMMU_PIN_WRITABLE	BIT_ULL(23)
#define VIOMMU_PIN_PFN_SHIFT	24

/* Largest run pinned by one call: bounds the work between resched points. */
#define VIOMMU_PIN_RUN		512

/* Pre-pinned frames released per unpin call (a stack array). */
#define VIOMMU_UNPIN_BATCH	32

static struct page *viommu_pin_entry_page(u64 v)
{
	return pfn_to_page(v >> VIOMMU_PIN_PFN_SHIFT);
}

static int viommu_gm_charge(struct viommu_container *c, long npages)
{
	int ret;

	/* An mm that has exited has no locked_vm left to charge or return. */
	if (!mmget_not_zero(c->mm))
		return npages > 0 ? -ESRCH : 0;
	mmap_write_lock(c->mm);
	ret = __account_locked_vm(c->mm, abs(npages), npages > 0, c->task,
				  c->lock_cap);
	mmap_write_unlock(c->mm);
	mmput(c->mm);
	return ret;
}

/*
 * locked_vm is charged under the mmap write lock, too dear per 4 KiB page:
 * pins draw on c->charge_credit, topped up at least VIOMMU_CHARGE_BATCH
 * pages at a time (exactly what is missing once that no longer fits under
 * RLIMIT_MEMLOCK, so the limit is still met exactly), and releases return
 * to it.  viommu_gm_settle() gives the credit back, so outside a refresh
 * locked_vm is exactly the pinned frames.
 */
#define VIOMMU_CHARGE_BATCH	64

/* Make @n pages of credit available; false when RLIMIT_MEMLOCK forbids. */
static bool viommu_gm_reserve(struct viommu_container *c, u64 n)
{
	u64 need;

	if (c->charge_credit >= n)
		return true;
	need = n - c->charge_credit;
	if (!viommu_gm_charge(c, max_t(u64, need, VIOMMU_CHARGE_BATCH))) {
		c->charge_credit += max_t(u64, need, VIOMMU_CHARGE_BATCH);
		return true;
	}
	if (need < VIOMMU_CHARGE_BATCH && !viommu_gm_charge(c, need)) {
		c->charge_credit += need;
		return true;
	}
	return false;
}

/**
 * viommu_pin_reserve - charge, in one go, what holding some frames will pin
 * @c: the container (lock held, VM bound).
 * @gfn: first guest frame of each run about to be held.
 * @n: frames in each run.
 * @nr: number of runs.
 *
 * Counts the frames absent from the pin table (a frame listed twice
 * counts twice; the excess goes back with viommu_gm_settle()) and charges
 * exactly the credit missing, so that mapping a batch costs one locked_vm
 * update and leaves no credit to return.  When RLIMIT_MEMLOCK forbids
 * that, nothing is charged and the pins are charged as they come.
 */
void viommu_pin_reserve(struct viommu_container *c, const gfn_t *gfn,
			const u16 *n, unsigned int nr)
{
	unsigned long k, j, m;
	u64 absent = 0;
	const u64 *e;
	unsigned int i;

	for (i = 0; i < nr; i++) {
		for (k = 0; k < n[i]; k += m) {
			e = viommu_leaf_entries(&c->pins, gfn[i] + k, n[i] - k,
						false, &m);
			if (!e) {
				absent += m;
				continue;
			}
			/* Pre-pinned guest memory fills its leaves. */
			if (viommu_leaf_full(e))
				continue;
			for (j = 0; j < m; j++)
				absent += !e[j];
		}
	}
	if (absent > c->charge_credit &&
	    !viommu_gm_charge(c, absent - c->charge_credit))
		c->charge_credit = absent;
}

/**
 * viommu_gm_settle - return the unused locked_vm credit
 * @c: the container (lock held).
 */
void viommu_gm_settle(struct viommu_container *c)
{
	if (c->charge_credit)
		viommu_gm_charge(c, -(long)c->charge_credit);
	c->charge_credit = 0;
}

/* Drop a frame from the table; the caller unpins the page. */
static void viommu_pin_forget(struct viommu_container *c, u64 *leaf,
			      gfn_t gfn)
{
	viommu_leaf_set(&c->pins, leaf, gfn, 0);
	c->charge_credit++;
	c->pinned_pages--;
}

/*
 * Pin @n frames from @gfn, all absent from the table and in one memslot
 * from VMM address @hva, and enter them with @flags (one hold, or KEEP).
 * @pages: room for @n, scratch.  @pfns: NULL, or room for @n: the host
 * page frame numbers.  Return: frames pinned (from the first); when fewer
 * than @n, *@why says why the next one is not.
 */
static unsigned int viommu_pin_run(struct viommu_container *c, gfn_t gfn,
				   unsigned int n, unsigned long hva, bool ro,
				   u64 flags, struct page **pages,
				   unsigned long *pfns, u32 *why)
{
	unsigned long m, k;
	unsigned int got, i;
	int ret;

	if (!viommu_gm_reserve(c, n)) {
		*why = KVM_VIOMMU_REFUSED_MEMLOCK;
		if (n == 1 || !viommu_gm_reserve(c, 1))
			return 0;
		n = 1;
	}
	*why = KVM_VIOMMU_REFUSED_PIN;
	ret = pin_user_pages_fast(hva, n, FOLL_LONGTERM | (ro ? 0 : FOLL_WRITE),
				  pages);
	if (ret <= 0)
		return 0;
	got = ret;
	flags |= ro ? 0 : VIOMMU_PIN_WRITABLE;

	/* Enter them a leaf at a time; the run is absent from the table. */
	for (i = 0; i < got; i += k) {
		u64 *e = viommu_leaf_entries(&c->pins, gfn + i, got - i, true,
					     &m);

		if (!e)
			break;
		for (k = 0; k < m; k++) {
			unsigned long pfn = page_to_pfn(pages[i + k]);

			if (WARN_ON_ONCE(pfn >> (64 - VIOMMU_PIN_PFN_SHIFT) ||
					 e[k]))
				break;
			e[k] = (u64)pfn << VIOMMU_PIN_PFN_SHIFT | flags;
			if (pfns)
				pfns[i + k] = pfn;
		}
		viommu_leaf_count_add(e, k);
		if (k < m) {
			i += k;
			break;
		}
	}
	if (i < got)
		unpin_user_pages(pages + i, got - i);
	c->charge_credit -= i;
	c->pinned_pages += i;
	return i;
}

/*
 * The memslot facts of a run of guest frames, looked up once per memslot:
 * the memslot decides what the guest may do with each frame.
 */
struct viommu_frame_cursor {
	gfn_t first;		/* frame @hva is the address of */
	gfn_t last;		/* last frame of its memslot; 0: look up */
	unsigned long hva;
	bool ro;
};

static u32 viommu_frame_hva(struct viommu_container *c,
			    struct viommu_frame_cursor *fc, gfn_t gfn,
			    bool write, unsigned long *hva)
{
	u32 why;

	if (!fc->last || gfn < fc->first || gfn > fc->last) {
		why = viommu_gm_frame(c, gfn, write, &fc->hva, &fc->ro,
				      &fc->last);
		if (why) {
			fc->last = 0;
			return why;
		}
		fc->first = gfn;
	} else if (write && fc->ro) {
		return KVM_VIOMMU_REFUSED_READONLY_SLOT;
	}
	*hva = fc->hva + ((gfn - fc->first) << PAGE_SHIFT);
	return KVM_VIOMMU_REFUSED_NONE;
}

/*
 * How many of the @max entries from @e (from viommu_leaf_entries(), NULL
 * for a leaf that does not exist), the first absent, are absent in a row.
 */
static unsigned int viommu_absent_run(const u64 *e, unsigned long max)
{
	unsigned int m;

	for (m = 1; m < max && !(e && e[m]); m++)
		;
	return m;
}

/*
 * One more hold on each of the @m entries from @e, from the first, while
 * it is a pinned frame that can take one: not at the most holds, and with
 * the @need bits (WRITABLE for a writable use).  @set: bits to add (DIRTY
 * for a writable use).  @pfns gets their host page frame numbers.
 * Return: frames held.
 */
static unsigned int viommu_hold_pinned(u64 *e, unsigned long m, u64 need,
				       u64 set, unsigned long *pfns)
{
	const u64 *end = e + m;
	u64 *p, v;

	for (p = e; p < end; p++, pfns++) {
		v = *p + 1;
		/* Absent, at the most holds already, or read-only. */
		if (v == 1 || !(v & VIOMMU_PIN_COUNT_MAX) || (v & need) != need)
			break;
		*p = v | set;
		*pfns = v >> VIOMMU_PIN_PFN_SHIFT;
	}
	return p - e;
}

/**
 * viommu_pin_hold - hold @n consecutive guest frames for IOVA pages
 * @c: the container (VM bound, srcu held).
 * @gfn: first guest frame.
 * @n: frames.
 * @write: the IOVA pages will be writable.
 * @pfns: the host page frame number of each frame held.
 * @pages: room for @n page pointers, scratch.
 * @why: when fewer than @n are held, why the next one is not.
 *
 * A frame absent from the table is pinned and charged one page of
 * locked_vm; absent frames are pinned in runs.
 *
 * Return: frames held, from the first; each has one more hold.
 */
unsigned int viommu_pin_hold(struct viommu_container *c, gfn_t gfn,
			     unsigned int n, bool write, unsigned long *pfns,
			     struct page **pages, u32 *why)
{
	u64 flags = 1 | (write ? VIOMMU_PIN_DIRTY : 0) |
		    (c->bind_flags & KVM_VIOMMU_BIND_PREPIN ?
		     VIOMMU_PIN_KEEP : 0);
	struct viommu_frame_cursor fc = { };
	unsigned int i = 0, got;
	unsigned long hva, m, k;
	u64 *e;
	gfn_t g;

	*why = KVM_VIOMMU_REFUSED_NONE;
	while (i < n) {
		g = gfn + i;
		*why = viommu_frame_hva(c, &fc, g, write, &hva);
		if (*why)
			return i;
		/* Frames left in the request, the leaf and the memslot. */
		e = viommu_leaf_entries(&c->pins, g,
					min_t(u64, n - i, fc.last - g + 1),
					false, &m);
		if (e && *e) {
			/* Frames pinned already: one more hold each. */
			k = viommu_hold_pinned(e, m,
					       write ? VIOMMU_PIN_WRITABLE : 0,
					       flags & VIOMMU_PIN_DIRTY,
					       pfns + i);
			i += k;
			/* Stopped at a frame that cannot take the hold. */
			if (k < m && e[k]) {
				*why = KVM_VIOMMU_REFUSED_PIN;
				return i;
			}
			continue;
		}

		m = viommu_absent_run(e, min_t(unsigned long, m,
					       VIOMMU_PIN_RUN));
		got = viommu_pin_run(c, g, m, hva, fc.ro, flags, pages + i,
				     pfns + i, why);
		if (!got)
			return i;
		i += got;
		*why = KVM_VIOMMU_REFUSED_NONE;
	}
	return i;
}

/**
 * viommu_pin_put_run - drop one hold of each of @n consecutive guest frames
 * @c: the container.
 * @gfn: first guest frame.
 * @n: frames, each with a hold.
 * @pages: room for @n: the pages to unpin.
 * @dirty: room for @n: per page returned, it was ever mapped writable.
 *
 * The last hold of a frame that is not pre-pinned takes it out of the
 * table and returns its locked_vm charge at once, so that a refresh
 * replacing entries at the RLIMIT_MEMLOCK limit does not fail for pages it
 * is releasing.
 *
 * Return: how many pages to unpin, with viommu_gm_unpin(), once no device
 * can reach them any more (after the IOTLB flush); the other frames stay
 * pinned.
 */
unsigned int viommu_pin_put_run(struct viommu_container *c, gfn_t gfn,
				unsigned long n, struct page **pages,
				bool *dirty)
{
	unsigned long i, k, m, gone;
	unsigned int out = 0;
	u64 *e, v;

	for (i = 0; i < n; i += m) {
		e = viommu_leaf_entries(&c->pins, gfn + i, n - i, false, &m);
		if (WARN_ON_ONCE(!e))
			continue;
		for (k = 0, gone = 0; k < m; k++) {
			v = e[k];
			if (WARN_ON_ONCE(!(v & VIOMMU_PIN_COUNT_MAX)))
				continue;
			e[k] = --v;
			if (v & (VIOMMU_PIN_COUNT_MAX | VIOMMU_PIN_KEEP))
				continue;
			e[k] = 0;
			gone++;
			dirty[out] = v & VIOMMU_PIN_DIRTY;
			pages[out++] = viommu_pin_entry_page(v);
		}
		if (gone) {
			viommu_leaf_cleared(&c->pins, e - (gfn + i) %
					    VIOMMU_LEAF_ENTRIES, gfn + i, gone);
			c->charge_credit += gone;
			c->pinned_pages -= gone;
		}
	}
	return out;
}

/**
 * viommu_pin_put - drop one hold of guest frame @gfn
 * @c: the container.
 * @gfn: guest frame.
 * @dirty: set when the returned page was ever mapped writable.
 *
 * As viommu_pin_put_run() for one frame.
 *
 * Return: the page to unpin once no device can reach it, or NULL while the
 * frame stays pinned.
 */
struct page *viommu_pin_put(struct viommu_container *c, gfn_t gfn, bool *dirty)
{
	struct page *page;

	return viommu_pin_put_run(c, gfn, 1, &page, dirty) ? page : NULL;
}

/**
 * viommu_pin_page - the page behind a guest frame the container holds
 * @c: the container.
 * @gfn: guest frame, pinned.
 *
 * Return: the page, or NULL (and a warning) if @gfn is not pinned.
 */
struct page *viommu_pin_page(struct viommu_container *c, gfn_t gfn)
{
	u64 *leaf = viommu_leaf(&c->pins, gfn, false);

	if (WARN_ON_ONCE(!leaf || !leaf[gfn % VIOMMU_LEAF_ENTRIES]))
		return NULL;
	return viommu_pin_entry_page(leaf[gfn % VIOMMU_LEAF_ENTRIES]);
}

/**
 * viommu_gm_unpin - release pins returned by viommu_pin_put()
 * @pages: the pages, no longer reachable by any device.
 * @dirty: per page: it was mapped writable, so mark it dirty.
 * @n: number of pages.
 */
void viommu_gm_unpin(struct page **pages, const bool *dirty, unsigned int n)
{
	unsigned int i, j;

	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && dirty[j] == dirty[i]; j++)
			;
		unpin_user_pages_dirty_lock(pages + i, j - i, dirty[i]);
	}
}

/**
 * viommu_pin_keep - pre-pin guest frames [@gfn, @last]
 * @c: the container (VM bound, srcu held, current->mm the VMM's).
 * @gfn: first guest frame.
 * @last: last guest frame.
 * @pinned: frames pinned by this call, added to.
 *
 * Pins every frame not pinned yet and marks every frame KEEP.  Frames this
 * call pins or marks KEEP also get MARK, for viommu_pin_keep_end().
 *
 * Return: 0, -EFAULT (a frame is not in a memslot the container may pin),
 * -ENOMEM (RLIMIT_MEMLOCK or no memory) or -EINTR.
 */
int viommu_pin_keep(struct viommu_container *c, gfn_t gfn, gfn_t last,
		    u64 *pinned)
{
	struct viommu_frame_cursor fc = { };
	struct page *pages[64];
	unsigned long hva, m;
	unsigned int got;
	gfn_t g = gfn;
	u64 *e;
	u32 why;

	while (g <= last) {
		if (viommu_frame_hva(c, &fc, g, false, &hva))
			return -EFAULT;
		/* Frames left in the range, the leaf, the memslot, @pages. */
		e = viommu_leaf_entries(&c->pins, g,
					min_t(u64, min(last, fc.last) - g + 1,
					      ARRAY_SIZE(pages)),
					false, &m);
		if (e && *e) {
			if (!(*e & VIOMMU_PIN_KEEP))
				*e |= VIOMMU_PIN_KEEP | VIOMMU_PIN_MARK;
			g++;
			continue;
		}
		got = viommu_pin_run(c, g, viommu_absent_run(e, m), hva, fc.ro,
				     VIOMMU_PIN_KEEP | VIOMMU_PIN_MARK, pages,
				     NULL, &why);
		if (!got)
			return why == KVM_VIOMMU_REFUSED_MEMLOCK ? -ENOMEM :
								   -EFAULT;
		*pinned += got;
		g += got;
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
	}
	return 0;
}

/**
 * viommu_pin_keep_end - finish a viommu_pin_keep() series
 * @c: the container.
 * @gfn: first guest frame of the series.
 * @last: last guest frame of the series.
 * @undo: the series failed: undo what it did.
 *
 * Clears MARK; with @undo, frames that were marked lose KEEP, and those no
 * IOVA holds are unpinned.  Never fails.
 */
void viommu_pin_keep_end(struct viommu_container *c, gfn_t gfn, gfn_t last,
			 bool undo)
{
	unsigned long index = gfn;
	u64 v;

	while ((v = viommu_leaves_next(&c->pins, &index, last))) {
		u64 *leaf = viommu_leaf(&c->pins, index, false);
		u64 *e = &leaf[index % VIOMMU_LEAF_ENTRIES];

		if (v & VIOMMU_PIN_MARK) {
			*e &= ~VIOMMU_PIN_MARK;
			if (undo) {
				*e &= ~VIOMMU_PIN_KEEP;
				if (!(*e & VIOMMU_PIN_COUNT_MAX)) {
					struct page *page =
						viommu_pin_entry_page(*e);

					viommu_pin_forget(c, leaf, index);
					unpin_user_page(page);
				}
			}
		}
		if (index++ == last)
			break;
	}
}

/**
 * viommu_pin_unkeep - release pre-pinned frames in [@gfn, @last]
 * @c: the container (lock held).
 * @gfn: first guest frame.
 * @last: last guest frame.
 *
 * Frames lose KEEP; those no IOVA holds any more are unpinned and their
 * charge returned (the caller settles it).  Never fails.
 *
 * Return: frames unpinned.
 */
u64 viommu_pin_unkeep(struct viommu_container *c, gfn_t gfn, gfn_t last)
{
	unsigned long index = gfn, seen = 0;
	struct page *pages[VIOMMU_UNPIN_BATCH];
	bool dirty[VIOMMU_UNPIN_BATCH];
	unsigned int nr = 0;
	u64 released = 0, v;

	while ((v = viommu_leaves_next(&c->pins, &index, last))) {
		u64 *leaf = viommu_leaf(&c->pins, index, false);
		u64 *e = &leaf[index % VIOMMU_LEAF_ENTRIES];

		if (v & VIOMMU_PIN_KEEP) {
			*e &= ~VIOMMU_PIN_KEEP;
			if (!(*e & VIOMMU_PIN_COUNT_MAX)) {
				pages[nr] = viommu_pin_entry_page(v);
				dirty[nr++] = v & VIOMMU_PIN_DIRTY;
				viommu_pin_forget(c, leaf, index);
				released++;
			}
		}
		/* Unpinned in batches: a folio's pages go together. */
		if (nr == VIOMMU_UNPIN_BATCH) {
			viommu_gm_unpin(pages, dirty, nr);
			nr = 0;
		}
		if (index++ == last)
			break;
		if (!(++seen % 512))
			cond_resched();
	}
	viommu_gm_unpin(pages, dirty, nr);
	return released;
}

/**
 * viommu_pin_unkeep_orphans - release pre-pinned frames outside every memslot
 * @c: the container (lock held, srcu held).
 */
void viommu_pin_unkeep_orphans(struct viommu_container *c)
{
	unsigned long index = 0, hva;
	gfn_t slot_last = 0;
	bool in_slot = false, ro;
	u64 v;

	while ((v = viommu_leaves_next(&c->pins, &index, ULONG_MAX))) {
		/* One lookup per memslot (stable under srcu), not per frame. */
		if (v & VIOMMU_PIN_KEEP && !(in_slot && index <= slot_last)) {
			in_slot = !viommu_gm_frame(c, index, false, &hva, &ro,
						   &slot_last);
			if (!in_slot)
				viommu_pin_unkeep(c, index, index);
		}
		if (index++ == ULONG_MAX)
			break;
		if (!(index % 4096))
			cond_resched();
	}
}
