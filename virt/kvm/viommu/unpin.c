// SPDX-License-Identifier: GPL-2.0
/*
 * The unpin list: pages whose IOVA mappings a refresh has unmapped, in an
 * IOTLB gather not synced yet.  A device may still reach them through its
 * IOTLB, so they stay pinned until the refresh syncs, once at its end
 * unless the list grows past viommu_max_pending_unpins or a chunk cannot
 * be allocated (shadow.c then syncs early and releases them).
 *
 * The list is a chain of chunks of VIOMMU_UNPIN_CHUNK pages, one 4 KiB
 * allocation each; the first is part of the list itself, and up to
 * VIOMMU_UNPIN_SPARE emptied ones are kept for the next refresh.  It is
 * used under the container lock, by one refresh at a time.
 */
#include <linux/minmax.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "viommu.h"

/* Chunks kept for the next refresh: 32 KiB, 4000 pages without kmalloc. */
#define VIOMMU_UNPIN_SPARE	8

/*
 * Pages the list may hold before shadow.c must sync: checked when a chunk
 * fills, so up to a chunk more may wait.  At most
 * VIOMMU_PENDING_UNPINS_MAX.
 */
static unsigned long viommu_max_pending_unpins = 1UL << 16;	/* 256 MiB */
module_param_named(max_pending_unpins, viommu_max_pending_unpins, ulong, 0644);
MODULE_PARM_DESC(max_pending_unpins,
		 "Unmapped pages a refresh may hold until its IOTLB sync, rounded up to a chunk of 453 (default 2^16, at most 2^20)");
#define VIOMMU_PENDING_UNPINS_MAX	BIT(20)	/* 4 GiB, 9 MiB of chunks */

static_assert(sizeof(struct viommu_unpin_chunk) <= PAGE_SIZE);

/**
 * viommu_unpin_init - set up an empty unpin list
 * @l: the list.
 */
void viommu_unpin_init(struct viommu_unpin_list *l)
{
	l->nr = 0;
	l->tail = &l->first;
	l->nr_spare = 0;
	l->spare = NULL;
	l->first.next = NULL;
	l->first.nr = 0;
}

/**
 * viommu_unpin_destroy - free an unpin list's spare chunks
 * @l: the list, empty.
 */
void viommu_unpin_destroy(struct viommu_unpin_list *l)
{
	struct viommu_unpin_chunk *ch;

	WARN_ON_ONCE(l->nr);
	while ((ch = l->spare)) {
		l->spare = ch->next;
		kfree(ch);
	}
	l->nr_spare = 0;
}

/**
 * viommu_unpin_grow - add a chunk to a list whose last chunk is full
 * @l: the list.
 *
 * The slow path of viommu_unpin_room(): a spare chunk, or one allocated.
 *
 * Return: the new chunk, or NULL when the caller must sync the IOTLB and
 * viommu_unpin_release() first: the list holds viommu_max_pending_unpins
 * pages or more, or no chunk could be allocated.
 */
struct viommu_unpin_chunk *viommu_unpin_grow(struct viommu_unpin_list *l)
{
	struct viommu_unpin_chunk *ch;

	if (l->nr >= min(READ_ONCE(viommu_max_pending_unpins),
			 VIOMMU_PENDING_UNPINS_MAX))
		return NULL;
	if (l->spare) {
		ch = l->spare;
		l->spare = ch->next;
		l->nr_spare--;
	} else {
		/* Short of memory, an early sync is the cheaper way out. */
		ch = kmalloc(sizeof(*ch), GFP_KERNEL_ACCOUNT | __GFP_NORETRY |
			     __GFP_NOWARN);
		if (!ch)
			return NULL;
	}
	ch->next = NULL;
	ch->nr = 0;
	l->tail->next = ch;
	l->tail = ch;
	return ch;
}

/**
 * viommu_unpin_release_chunks - viommu_unpin_release() of several chunks
 * @l: the list.
 */
void viommu_unpin_release_chunks(struct viommu_unpin_list *l)
{
	struct viommu_unpin_chunk *ch, *next;

	viommu_gm_unpin(l->first.pages, l->first.dirty, l->first.nr);
	for (ch = l->first.next; ch; ch = next) {
		next = ch->next;
		/* Up to 2^20 pages: let others run between chunks. */
		cond_resched();
		viommu_gm_unpin(ch->pages, ch->dirty, ch->nr);
		if (l->nr_spare < VIOMMU_UNPIN_SPARE) {
			ch->next = l->spare;
			l->spare = ch;
			l->nr_spare++;
		} else {
			kfree(ch);
		}
	}
	l->first.nr = 0;
	l->first.next = NULL;
	l->tail = &l->first;
	l->nr = 0;
}
