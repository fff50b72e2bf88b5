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
 * Each leaf counts its nonzero entries in its page's private field; a leaf
 * whose count drops to zero is freed, except that one empty leaf per
 * array is kept for the next allocation, so that mapping and unmapping
 * the same few pages over and over does not allocate each time.  The
 * last leaf looked up is remembered: walks go leaf by leaf.
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
	l->bytes = bytes;
	l->last = NULL;
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
 * viommu_leaf_emptied - clear the last nonzero entry of a leaf
 * @l: the array.
 * @leaf: the leaf holding @index, whose count is at most 1.
 * @index: entry index.
 *
 * The slow path of viommu_leaf_set(): the leaf, now empty, leaves the array
 * and is kept as the spare or freed.
 *
 * Return: true when the leaf is gone (false only for a leaf whose count
 * was already wrong).
 */
bool viommu_leaf_emptied(struct viommu_leaves *l, u64 *leaf,
			 unsigned long index)
{
	leaf[index % VIOMMU_LEAF_ENTRIES] = 0;
	if (WARN_ON_ONCE(!viommu_leaf_count(leaf)))
		return false;

	viommu_leaf_set_count(leaf, 0);
	xa_erase(&l->xa, index / VIOMMU_LEAF_ENTRIES);
	if (l->last == leaf)
		l->last = NULL;
	if (!l->spare) {
		l->spare = leaf;
	} else {
		free_page((unsigned long)leaf);
		*l->bytes -= PAGE_SIZE;
	}
	return true;
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
	if (l->spare) {
		free_page((unsigned long)l->spare);
		*l->bytes -= PAGE_SIZE;
		l->spare = NULL;
	}
}
