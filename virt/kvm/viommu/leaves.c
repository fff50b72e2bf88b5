// SPDX-License-Identifier: GPL-2.0
/*
 * Leaves: sparse arrays of 8-byte entries, the storage of the shadows
 * (IOVA page -> what is mapped there) and of the pin table (guest frame ->
 * host page).
 *
 * Entries live in 4 KiB leaves of VIOMMU_LEAF_ENTRIES, each covering
 * 2 MiB of IOVA or of guest memory, found through an xarray indexed by
 * entry index / VIOMMU_LEAF_ENTRIES.  A dense run of entries therefore
 * costs 8 bytes each plus one xarray slot per 512, and the sequential
 * walks a refresh makes touch plain arrays.  An entry of zero is empty.
 * Each leaf counts its nonzero entries in its page's private field.  A
 * leaf whose count drops to zero stays in the array, idle, until another
 * leaf empties or a leaf is needed elsewhere: mapping and unmapping the
 * same few pages over and over, as a guest's DMA buffers go, then neither
 * allocates nor updates the xarray.  One more empty leaf, out of the
 * array, is kept as the spare for the next allocation; other empty leaves
 * are freed.  The last leaf looked up is remembered: walks go leaf by
 * leaf.
 *
 * The caller serialises all access (viommu_container.lock).
 */
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/xarray.h>

#include "viommu.h"

static_assert(VIOMMU_LEAF_ENTRIES * sizeof(u64) == PAGE_SIZE);

/**
 * viommu_leaves_init - set up an empty array
 * @l: the array.
 * @bytes: counter of the container the leaves' memory is reported in.
 */
void viommu_leaves_init(struct viommu_leaves *l, u64 *bytes)
{
	xa_init(&l->xa);
	l->spare = NULL;
	l->idle = NULL;
	l->bytes = bytes;
	l->last = NULL;
}

/* Take the empty leaf @leaf (leaf number @li) out of the array. */
static void viommu_leaf_retire(struct viommu_leaves *l, u64 *leaf,
			       unsigned long li)
{
	xa_erase(&l->xa, li);
	if (l->last == leaf)
		l->last = NULL;
	if (l->idle == leaf)
		l->idle = NULL;
	if (!l->spare) {
		l->spare = leaf;
		return;
	}
	free_page((unsigned long)leaf);
	*l->bytes -= PAGE_SIZE;
}

/* The idle leaf, if it is still empty; else none. */
static u64 *viommu_leaf_idle(struct viommu_leaves *l)
{
	if (l->idle && viommu_leaf_count(l->idle))
		l->idle = NULL;
	return l->idle;
}

/**
 * viommu_leaf_lookup - find (or make) the leaf holding entry @index
 * @l: the array.
 * @index: entry index.
 * @alloc: allocate the leaf if it does not exist.
 *
 * The slow path of viommu_leaf(): the leaf found becomes the last one.
 *
 * Return: the leaf, or NULL when it does not exist and @alloc is false or
 * allocation failed.
 */
u64 *viommu_leaf_lookup(struct viommu_leaves *l, unsigned long index,
			bool alloc)
{
	unsigned long li = index / VIOMMU_LEAF_ENTRIES;
	u64 *leaf;
	void *old;

	leaf = xa_load(&l->xa, li);
	if (leaf || !alloc)
		goto found;

	/* A leaf for new entries: the spare, else the idle one, else new. */
	if (!l->spare && viommu_leaf_idle(l))
		viommu_leaf_retire(l, l->idle, l->idle_index);
	leaf = l->spare;
	l->spare = NULL;
	if (!leaf) {
		leaf = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
		if (!leaf)
			return NULL;
		*l->bytes += PAGE_SIZE;
		viommu_leaf_set_count(leaf, 0);
	}
	old = xa_store(&l->xa, li, leaf, GFP_KERNEL_ACCOUNT);
	if (xa_is_err(old)) {
		l->spare = leaf;
		return NULL;
	}
found:
	if (leaf) {
		l->last = leaf;
		l->last_index = li;
	}
	return leaf;
}

/**
 * viommu_leaf_cleared - count entries the caller has emptied
 * @l: the array.
 * @leaf: the leaf holding entry @index.
 * @index: index of an entry of @leaf.
 * @n: nonzero entries of @leaf the caller has just set to zero.
 *
 * A leaf left with no nonzero entry becomes the idle leaf, in place; the
 * leaf idle before, if still empty, leaves the array.
 */
void viommu_leaf_cleared(struct viommu_leaves *l, u64 *leaf,
			 unsigned long index, unsigned long n)
{
	unsigned long count = viommu_leaf_count(leaf);

	if (count > n) {
		viommu_leaf_set_count(leaf, count - n);
		return;
	}
	viommu_leaf_set_count(leaf, 0);
	/* A count that was wrong: whatever is left in the leaf stays. */
	if (WARN_ON_ONCE(count < n))
		return;

	if (viommu_leaf_idle(l) && l->idle != leaf)
		viommu_leaf_retire(l, l->idle, l->idle_index);
	l->idle = leaf;
	l->idle_index = index / VIOMMU_LEAF_ENTRIES;
}

/*
 * The first nonzero entry of @leaf (leaf number @li) whose index is at
 * least *@from and at most @last, its index in *@from; 0 when none.
 */
static u64 viommu_leaf_scan(const u64 *leaf, unsigned long li,
			    unsigned long *from, unsigned long last)
{
	unsigned long base = li * VIOMMU_LEAF_ENTRIES;
	unsigned long i = max(*from, base) - base;

	for (; i < VIOMMU_LEAF_ENTRIES && base + i <= last; i++) {
		if (leaf[i]) {
			*from = base + i;
			return leaf[i];
		}
	}
	return 0;
}

/**
 * viommu_leaves_next - the next nonzero entry
 * @l: the array.
 * @index: in: where to start looking; out: the entry's index.
 * @last: last index to look at (inclusive).
 *
 * Callers go through a range entry by entry, so the last leaf looked at is
 * searched first, without the xarray, and the leaf holding the entry found
 * becomes the last one.
 *
 * Return: the entry's value, or 0 when there is none in [*@index, @last].
 */
u64 viommu_leaves_next(struct viommu_leaves *l, unsigned long *index,
		       unsigned long last)
{
	unsigned long li = *index / VIOMMU_LEAF_ENTRIES;
	u64 *leaf, v;

	if (*index > last)
		return 0;
	if (l->last && l->last_index == li) {
		v = viommu_leaf_scan(l->last, li, index, last);
		/* The leaf ends at or after @last, or leaves room for li + 1. */
		if (v || last / VIOMMU_LEAF_ENTRIES == li)
			return v;
		li++;
	}
	xa_for_each_range(&l->xa, li, leaf, li, last / VIOMMU_LEAF_ENTRIES) {
		v = viommu_leaf_scan(leaf, li, index, last);
		if (v) {
			l->last = leaf;
			l->last_index = li;
			return v;
		}
	}
	return 0;
}

/**
 * viommu_leaves_destroy - free every leaf
 * @l: the array; its entries must all be zero already.
 */
void viommu_leaves_destroy(struct viommu_leaves *l)
{
	unsigned long li;
	u64 *leaf;

	xa_for_each(&l->xa, li, leaf) {
		WARN_ON_ONCE(viommu_leaf_count(leaf));
		free_page((unsigned long)leaf);
		*l->bytes -= PAGE_SIZE;
	}
	xa_destroy(&l->xa);
	l->last = NULL;
	l->idle = NULL;
	if (l->spare) {
		free_page((unsigned long)l->spare);
		*l->bytes -= PAGE_SIZE;
		l->spare = NULL;
	}
}
