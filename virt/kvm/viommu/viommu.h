/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvm-viommu engine: private structures, lock order and lifetime rules.
 *
 * Objects
 * -------
 * struct viommu_container is the VFIO container's iommu_data: created by
 * the VFIO core through vfio_iommu_driver_ops.open() at VFIO_SET_IOMMU and
 * destroyed by .release() when the last group leaves the container.  It
 * owns:
 *   - one struct viommu_group per IOMMU group attached by the VFIO core
 *     (.attach_group/.detach_group);
 *   - the VM binding (struct kvm reference, the VMM's mm and task);
 *   - the tables: struct viommu_table, each an iommu_domain plus the shadow
 *     of one guest IO page table, shared by the groups pointing at it.
 *
 * Locking
 * -------
 * viommu_container.lock (a mutex) protects every field of the container,
 * its groups and its tables, including the shadow xarrays and the domains'
 * mappings.  Refreshes of one container are therefore serialised.  Taken:
 *   - from our container ioctls (the VFIO core calls them with no lock);
 *   - from .attach_group/.detach_group/.release, which the VFIO core calls
 *     with its container group_lock (an rwsem) held for write.
 *   - from doorbell workers (doorbell.c), which run with the VMM's mm.
 *   - from KVM's memslot deletion (prepin.c), with kvm->slots_lock held.
 * Lock order, outermost first:
 *   VFIO container->group_lock, kvm->slots_lock, or (doorbell passes in a
 *   vCPU thread: vcpu->mutex ->) viommu_doorbell.tw_lock
 *   -> viommu_container.lock -> kvm->srcu (read) -> mm mmap_lock (inside
 *   GUP and locked_vm accounting)
 * Nothing under viommu_container.lock takes vcpu->mutex or
 * kvm->slots_lock.
 * Doorbell teardown waits for the worker (cancel_work_sync), and
 * unregistering the memslot notifier waits for the notifier: neither may
 * run with viommu_container.lock held.
 * We never call back into the VFIO core with our lock held.
 *
 * Lifetime
 * --------
 * - The container holds a reference on the bound struct kvm (kvm_get_kvm)
 *   until .release(), so memslots stay valid however the VM fd is closed;
 *   memslot pointers are used only inside a kvm->srcu read section.
 * - The container holds mmgrab() on the VMM's mm and a task reference on
 *   the binding task's group leader (for RLIMIT_MEMLOCK and CAP_IPC_LOCK,
 *   as vfio_iommu_type1 does), dropped in .release().
 * - Every 4 KiB IOVA page in a table's shadow is mapped in its domain and
 *   holds the pin of its guest frame in viommu_container.pins (pins.c).
 *   A frame is pinned (FOLL_LONGTERM) and charged to locked_vm once per
 *   container however many IOVA pages map it; the last hold returns the
 *   charge at the unmap (unless the frame is pre-pinned), and the pin is
 *   released only after the unmap is flushed from the IOTLB: the pages
 *   wait in the refresh's unpin list (unpin.c) for its one sync, and a
 *   refresh syncs early before pinning more while over VIOMMU_BATCH
 *   wait, so within one refresh at most VIOMMU_BATCH pages are pinned
 *   uncharged.
 * - Pre-pinned frames (prepin.c) stay pinned without holds until their
 *   memslot is deleted, the VMM releases them, or the container is
 *   released; the memslot notifier is registered from bind to release.
 * - Destroying a table detaches its groups first (their DMA is then
 *   blocked by VFIO's DMA ownership), then unpins and frees.  Destroy never
 *   fails.
 */
#ifndef _VIOMMU_H
#define _VIOMMU_H

#include <linux/iommu.h>
#include <linux/kref.h>
#include <linux/kvm_host.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/mm_types.h>
#include <linux/mutex.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <asm/kvm_page_track.h>

#include "fmt/viommu_fmt.h"

/* Entries per leaf of a struct viommu_leaves: one 4 KiB page of u64. */
#define VIOMMU_LEAF_ENTRIES	512
/* Pages a refresh pins and maps per batch (a u16 counts them). */
#define VIOMMU_BATCH		512

/**
 * struct viommu_leaves - a sparse array of 8-byte entries (leaves.c)
 * @xa: index / VIOMMU_LEAF_ENTRIES -> leaf (a page of u64 entries).
 * @spare: an empty leaf out of @xa, kept for the next allocation, or NULL.
 * @idle: the leaf of @xa that last became empty, left in place, or NULL;
 *	no longer idle once it has entries again (its count says).
 * @idle_index: its index in @xa.
 * @bytes: the container counter the leaves' memory is reported in.
 * @last: the leaf last looked up, or NULL.
 * @last_index: its index in @xa.
 */
struct viommu_leaves {
	struct xarray xa;
	u64 *spare;
	u64 *idle;
	unsigned long idle_index;
	u64 *bytes;
	u64 *last;
	unsigned long last_index;
};

struct viommu_refresh_ctx;

/**
 * struct viommu_group - an IOMMU group attached to the container
 * @node: entry in viommu_container.groups.
 * @group: the IOMMU group (the VFIO core holds the reference).
 * @id: iommu_group_id(), the N of /dev/vfio/N.
 * @table: the table whose domain the group is attached to, or NULL when
 *	the group's DMA is blocked (VFIO's DMA ownership domain).
 * @pgsize_bitmap: page sizes a paging domain for this group supports.
 * @aperture_start: lowest IOVA such a domain can map.
 * @aperture_end: highest IOVA such a domain can map (inclusive).
 * @resv_regions: the group's reserved IOVA regions (struct
 *	iommu_resv_region, from iommu_get_group_resv_regions()): never mapped.
 */
struct viommu_group {
	struct list_head node;
	struct iommu_group *group;
	int id;
	struct viommu_table *table;
	unsigned long pgsize_bitmap;
	dma_addr_t aperture_start;
	dma_addr_t aperture_end;
	struct list_head resv_regions;
};

/**
 * struct viommu_table - one guest IO page table and its shadow
 * @id: index in viommu_container.tables, the uAPI table_id.
 * @fmt: decoder of the guest format.
 * @flags: KVM_VIOMMU_TABLE_* it was created with.
 * @format: the uAPI format number.
 * @cfg: layout of the guest table (levels, page size, IOVA base).
 * @root_gpa: guest physical address of the top-level table.
 * @aperture_start: lowest IOVA the guest may map.
 * @aperture_last: highest IOVA the guest may map (inclusive).
 * @domain: the paging domain holding the shadow mappings.
 * @shadow: 4 KiB IOVA page number -> guest frame, whether the page is part
 *	of a large IOMMU mapping, VIOMMU_PROT_*: what is mapped there
 *	(encoding in shadow.c); the page itself is in the pin table.
 * @nr_groups: groups attached to @domain; the table dies with the last.
 */
struct viommu_table {
	u32 id;
	const struct viommu_fmt *fmt;
	u32 flags;
	u32 format;
	struct viommu_fmt_cfg cfg;
	u64 root_gpa;
	u64 aperture_start;
	u64 aperture_last;
	struct iommu_domain *domain;
	struct viommu_leaves shadow;
	unsigned int nr_groups;
};

/**
 * struct viommu_container - state behind one VFIO container
 * @ref: one reference for the VFIO core (dropped at .release()) and one
 *	per ioctl in progress: the VFIO core calls our ioctls without its
 *	container lock, so an ioctl may still be on its way in, or waiting
 *	for @lock, when the last group leaves.
 * @dead: set under @lock when .release() starts: ioctls then fail with
 *	-ENODEV and nothing new (VM binding, doorbell) can be created.
 * @lock: protects everything below; see the lock order above.
 * @groups: attached groups (struct viommu_group).
 * @tables: table id -> struct viommu_table.
 * @next_table_id: where the cyclic allocation of table ids goes on.
 * @kvm: the bound VM (reference held), or NULL before KVM_VIOMMU_BIND_VM.
 * @mm: the VMM's mm (mmgrab), the only mm we pin from and charge.
 * @task: group leader of the binding task (reference held), whose
 *	RLIMIT_MEMLOCK limits our pins.
 * @lock_cap: the binding task had CAP_IPC_LOCK: no RLIMIT_MEMLOCK check.
 * @doorbells: doorbell id -> struct viommu_doorbell (doorbell.c, which
 *	documents their worker, teardown order and serialisation).
 * @bind_flags: KVM_VIOMMU_BIND_* the VM was bound with.
 * @track: KVM page-track notifier: memslot deletion (prepin.c).
 * @tracking: @track is registered.
 * @refresh: refresh state (shadow.c), allocated at bind.
 * @pins: guest frame -> host page, holds and flags (pins.c); set up at
 *	bind.
 * @charge_credit: pages charged to locked_vm but not used by a pin yet
 *	(guest_mem.c); zero outside a refresh.
 * @pinned_pages: guest frames pinned now (= pages charged to locked_vm
 *	outside a refresh).
 * @mapped_pages: IOVA pages mapped now.
 * @mapped_blocks: large (2 MiB, 1 GiB) IOMMU mappings among them.
 * @refreshes: completed refresh requests.
 * @refusals: refused pages, cumulative.
 * @iommu_maps: iommu_map() calls, cumulative.
 * @iommu_unmaps: iommu_unmap_fast() calls, cumulative.
 * @iotlb_syncs: iommu_iotlb_sync() calls, cumulative.
 * @shadow_bytes: memory of every table's shadow leaves.
 * @pin_bytes: memory of @pins' leaves.
 */
struct viommu_container {
	struct kref ref;
	bool dead;
	struct mutex lock;	/* see "Locking" at the top of this file */
	struct list_head groups;
	struct xarray tables;
	u32 next_table_id;
	struct kvm *kvm;
	struct mm_struct *mm;
	struct task_struct *task;
	bool lock_cap;
	u32 bind_flags;
	struct kvm_page_track_notifier_node track;
	bool tracking;
	struct xarray doorbells;
	struct viommu_refresh_ctx *refresh;
	struct viommu_leaves pins;
	u64 charge_credit;
	u64 pinned_pages;
	u64 mapped_pages;
	u64 mapped_blocks;
	u64 refreshes;
	u64 refusals;
	u64 iommu_maps;
	u64 iommu_unmaps;
	u64 iotlb_syncs;
	u64 shadow_bytes;
	u64 pin_bytes;
};

/* vfio_iommu_kvm.c: the container */
int viommu_lock(struct viommu_container *c);
extern struct workqueue_struct *viommu_wq;

/* bind.c: the VM binding */
int viommu_bind_vm(struct viommu_container *c, int vm_fd, u32 flags);
void viommu_unbind_vm(struct viommu_container *c);

/* table.c: groups and tables */
int viommu_group_add(struct viommu_container *c, struct iommu_group *group);
void viommu_group_del(struct viommu_container *c, struct iommu_group *group);
int viommu_set_table(struct viommu_container *c,
		     struct kvm_viommu_set_table *arg);
void viommu_table_destroy(struct viommu_container *c, struct viommu_table *t);
void viommu_table_info(struct viommu_container *c,
		       struct kvm_viommu_info *info);

/* leaves.c: sparse arrays of 8-byte entries */
void viommu_leaves_init(struct viommu_leaves *l, u64 *bytes);
u64 *viommu_leaf_lookup(struct viommu_leaves *l, unsigned long index,
			bool alloc);
void viommu_leaf_cleared(struct viommu_leaves *l, u64 *leaf,
			 unsigned long index, unsigned long n);
u64 viommu_leaves_next(struct viommu_leaves *l, unsigned long *index,
		       unsigned long last);
void viommu_leaves_destroy(struct viommu_leaves *l);

/**
 * viommu_leaf - the leaf holding entry @index
 * @l: the array.
 * @index: entry index.
 * @alloc: allocate the leaf if it does not exist.
 *
 * Refreshes go leaf by leaf, so the last leaf found is checked inline and
 * only a change of leaf costs a call.
 *
 * Return: the leaf (entry @index is leaf[@index % VIOMMU_LEAF_ENTRIES]), or
 * NULL when it does not exist and @alloc is false or allocation failed.
 */
static inline u64 *viommu_leaf(struct viommu_leaves *l, unsigned long index,
			       bool alloc)
{
	if (likely(l->last && l->last_index == index / VIOMMU_LEAF_ENTRIES))
		return l->last;
	return viommu_leaf_lookup(l, index, alloc);
}

/* The count of nonzero entries of a leaf lives in its page's private field. */
static inline unsigned long viommu_leaf_count(const u64 *leaf)
{
	return page_private(virt_to_page(leaf));
}

static inline void viommu_leaf_set_count(u64 *leaf, unsigned long count)
{
	set_page_private(virt_to_page(leaf), count);
}

/* Is every entry of the leaf holding entry @e zero (an idle leaf)? */
static inline bool viommu_leaf_empty(const u64 *e)
{
	return !viommu_leaf_count(PTR_ALIGN_DOWN(e, PAGE_SIZE));
}

/* Is every entry of the leaf holding entry @e nonzero? */
static inline bool viommu_leaf_full(const u64 *e)
{
	return viommu_leaf_count(PTR_ALIGN_DOWN(e, PAGE_SIZE)) ==
	       VIOMMU_LEAF_ENTRIES;
}

/* The caller made @n empty entries of the leaf holding entry @e nonzero. */
static inline void viommu_leaf_count_add(u64 *e, unsigned long n)
{
	viommu_leaf_set_count(PTR_ALIGN_DOWN(e, PAGE_SIZE),
			      viommu_leaf_count(PTR_ALIGN_DOWN(e, PAGE_SIZE)) +
			      n);
}

/**
 * viommu_leaf_entries - the entries from @index on, within one leaf
 * @l: the array.
 * @index: first entry index.
 * @n: most entries wanted.
 * @alloc: allocate the leaf if it does not exist.
 * @m: set to the number of entries from @index to the end of the request
 *	or of the leaf, whichever comes first.
 *
 * For loops that go over a range a leaf at a time.
 *
 * Return: entry @index (the next *@m follow it), or NULL when the leaf
 * does not exist and @alloc is false or allocation failed.
 */
static inline u64 *viommu_leaf_entries(struct viommu_leaves *l,
				       unsigned long index, unsigned long n,
				       bool alloc, unsigned long *m)
{
	u64 *leaf = viommu_leaf(l, index, alloc);

	*m = min(n, VIOMMU_LEAF_ENTRIES - index % VIOMMU_LEAF_ENTRIES);
	return leaf ? leaf + index % VIOMMU_LEAF_ENTRIES : NULL;
}

/**
 * viommu_leaf_set - write one entry of a leaf
 * @l: the array.
 * @leaf: the leaf holding @index (from viommu_leaf()).
 * @index: entry index.
 * @val: new value, 0 to empty the entry.
 */
static inline void viommu_leaf_set(struct viommu_leaves *l, u64 *leaf,
				   unsigned long index, u64 val)
{
	u64 *e = &leaf[index % VIOMMU_LEAF_ENTRIES];
	unsigned long count;

	if (!*e != !val) {
		count = viommu_leaf_count(leaf);
		if (!val && count <= 1) {
			*e = 0;
			viommu_leaf_cleared(l, leaf, index, 1);
			return;
		}
		viommu_leaf_set_count(leaf, val ? count + 1 : count - 1);
	}
	*e = val;
}

/* guest_mem.c: guest memory through the VM's memslots */
int viommu_gm_read_entry(struct viommu_container *c, u64 gpa, u64 *raw);
int viommu_gm_table_hva(struct viommu_container *c, gfn_t gfn,
			struct kvm_memory_slot **slot, unsigned long *hva);
int viommu_gm_access(struct viommu_container *c, u64 gpa, void *buf,
		     unsigned int len, bool write);
int viommu_gm_read_u32(struct viommu_container *c, u64 gpa, u32 *val);
unsigned long viommu_gm_rw_page(struct viommu_container *c, gfn_t gfn,
				struct kvm_memory_slot **slot);
bool viommu_gm_writable(struct viommu_container *c, u64 gpa);
u32 viommu_gm_frame(struct viommu_container *c, gfn_t gfn, bool write,
		    unsigned long *hva, bool *ro, gfn_t *slot_last);

/* pins.c: the pin table and locked_vm */
unsigned int viommu_pin_hold(struct viommu_container *c, gfn_t gfn,
			     unsigned int n, bool write, unsigned long *pfns,
			     struct page **pages, u32 *why);
unsigned int viommu_pin_put_run(struct viommu_container *c, gfn_t gfn,
				unsigned long n, struct page **pages,
				bool *dirty);
struct page *viommu_pin_put(struct viommu_container *c, gfn_t gfn,
			    bool *dirty);
struct page *viommu_pin_page(struct viommu_container *c, gfn_t gfn);
void viommu_gm_unpin(struct page **pages, const bool *dirty, unsigned int n);
void viommu_gm_settle(struct viommu_container *c);
void viommu_pin_reserve(struct viommu_container *c, const gfn_t *gfn,
			const u16 *n, unsigned int nr);
int viommu_pin_keep(struct viommu_container *c, gfn_t gfn, gfn_t last,
		    u64 *pinned);
void viommu_pin_keep_end(struct viommu_container *c, gfn_t gfn, gfn_t last,
			 bool undo);
u64 viommu_pin_unkeep(struct viommu_container *c, gfn_t gfn, gfn_t last);
void viommu_pin_unkeep_orphans(struct viommu_container *c);

/* Pages per struct viommu_unpin_chunk: it fits in 4 KiB. */
#define VIOMMU_UNPIN_CHUNK	((PAGE_SIZE - 2 * sizeof(void *)) / \
				 (sizeof(struct page *) + sizeof(bool)))

/**
 * struct viommu_unpin_chunk - pages unmapped, to release after the IOTLB sync
 * @next: the chunk filled after this one, or NULL.
 * @nr: pages in @pages.
 * @pages: the pages.
 * @dirty: per page: it was mapped writable.
 */
struct viommu_unpin_chunk {
	struct viommu_unpin_chunk *next;
	unsigned int nr;
	struct page *pages[VIOMMU_UNPIN_CHUNK];
	bool dirty[VIOMMU_UNPIN_CHUNK];
};

/**
 * struct viommu_unpin_list - pages unmapped but not released yet (unpin.c)
 * @nr: pages in the list; 0 means no chunk but @first.
 * @tail: the chunk being filled: @first, or the last added.
 * @nr_spare: chunks in @spare.
 * @spare: empty chunks kept for reuse, linked by ->next.
 * @first: the first chunk.
 *
 * Part of the refresh state (shadow.c), used under the container lock;
 * empty outside a refresh.
 */
struct viommu_unpin_list {
	unsigned long nr;
	struct viommu_unpin_chunk *tail;
	unsigned int nr_spare;
	struct viommu_unpin_chunk *spare;
	struct viommu_unpin_chunk first;
};

/* unpin.c: pages waiting for the IOTLB sync */
void viommu_unpin_init(struct viommu_unpin_list *l);
void viommu_unpin_destroy(struct viommu_unpin_list *l);
struct viommu_unpin_chunk *viommu_unpin_grow(struct viommu_unpin_list *l);
void viommu_unpin_release_chunks(struct viommu_unpin_list *l);

/**
 * viommu_unpin_room - the chunk to add pages to
 * @l: the list.
 *
 * Return: the chunk being filled if it has room, else a new one added at
 * the tail, or NULL when the caller must sync the IOTLB and
 * viommu_unpin_release() first (see viommu_unpin_grow()).
 */
static inline struct viommu_unpin_chunk *
viommu_unpin_room(struct viommu_unpin_list *l)
{
	if (l->tail->nr < VIOMMU_UNPIN_CHUNK)
		return l->tail;
	return viommu_unpin_grow(l);
}

/**
 * viommu_unpin_release - release every page of the list
 * @l: the list, its pages no longer reachable by any device (the IOTLB
 *	synced since they were unmapped).
 *
 * Unpins them (dirty where they were mapped writable) and empties the
 * list, keeping up to VIOMMU_UNPIN_SPARE chunks (unpin.c).
 */
static inline void viommu_unpin_release(struct viommu_unpin_list *l)
{
	if (l->first.next) {
		viommu_unpin_release_chunks(l);
		return;
	}
	/* The common case, one chunk. */
	viommu_gm_unpin(l->first.pages, l->first.dirty, l->first.nr);
	l->first.nr = 0;
	l->nr = 0;
}

/* prepin.c: pre-pinned memory, memslot deletion */
int viommu_track(struct viommu_container *c);
void viommu_untrack(struct viommu_container *c);
int viommu_prepin_all(struct viommu_container *c);
void viommu_prepin_recheck(struct viommu_container *c);
int viommu_prepin(struct viommu_container *c, struct kvm_viommu_prepin *arg);

/* doorbell.c: guest requests processed by a kernel worker */
int viommu_set_doorbell(struct viommu_container *c,
			struct kvm_viommu_set_doorbell *arg);
int viommu_get_doorbell(struct viommu_container *c,
			struct kvm_viommu_doorbell_info *info);
void viommu_doorbells_destroy(struct viommu_container *c);

/* shadow.c: refresh and teardown of the shadow */
extern unsigned long viommu_max_mapped_pages;
int viommu_refresh(struct viommu_container *c,
		   struct kvm_viommu_refresh *arg);
struct viommu_table *viommu_refresh_check(struct viommu_container *c,
					  u32 table_id, u64 iova, u64 size,
					  u64 *last);
void viommu_refresh_forget_path(struct viommu_container *c);
u64 viommu_refresh_path_walks(struct viommu_container *c);
int viommu_refresh_table(struct viommu_container *c, struct viommu_table *t,
			 u64 iova, u64 last, u64 *budget,
			 struct kvm_viommu_refresh *out, u64 *next);
void viommu_shadow_clear(struct viommu_container *c, struct viommu_table *t);
void viommu_shadow_forget(struct viommu_container *c, gfn_t gfn, gfn_t last);
int viommu_refresh_alloc(struct viommu_container *c);
void viommu_refresh_free(struct viommu_container *c);

/* tce.c: the Power TCE hypercalls on sPAPR TCE tables */
int viommu_tce(struct viommu_container *c, struct kvm_viommu_tce *arg);
int viommu_tce_write(struct viommu_container *c, struct kvm_viommu_tce *arg,
		     u64 *first, u64 *last);

#ifdef KVM_VIOMMU_TEST
/* test_raw.c: the raw pin + iommu_map limit, for make bench only */
#include "viommu_test_raw.h"
long viommu_ioctl_test_raw(struct viommu_container *c, unsigned long arg);
#endif

#endif /* _VIOMMU_H */
