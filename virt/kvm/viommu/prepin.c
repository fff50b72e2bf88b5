// SPDX-License-Identifier: GPL-2.0
/*
 * Pre-pinned guest memory and memslot removal.
 *
 * A VMM may have guest memory pinned once rather than page by page as
 * IOVAs come to map it (the model of Power's preregistered memory): the
 * whole VM at bind time (KVM_VIOMMU_BIND_PREPIN) or ranges it names
 * (KVM_VIOMMU_PREPIN).  Such frames carry KEEP in the pin table
 * (pins.c), so a refresh finds them pinned and only looks them up.
 *
 * Whatever the mode, the container learns of memslot deletion through a
 * KVM page-track notifier (x86's only hook for it open to modules): when
 * KVM deletes a memslot, every IOVA mapping one of its frames is unmapped
 * and every pin on them released before KVM_SET_USER_MEMORY_REGION
 * returns, so a device never keeps reaching memory the guest no longer
 * has.  Registering the notifier turns on KVM's write-tracking metadata
 * (2 bytes per guest page); no page is ever write-tracked.
 *
 * Locking: the notifier runs with KVM's slots_lock held (not
 * slots_arch_lock) and takes viommu_container.lock, so the lock order is
 * kvm->slots_lock -> viommu_container.lock.  Unregistering waits for the
 * notifier to finish, so it must never run under viommu_container.lock.
 */
#include <linux/kvm_host.h>
#include <linux/mm.h>
#include <asm/kvm_page_track.h>

#include "viommu.h"

static void viommu_track_remove_region(gfn_t gfn, unsigned long nr_pages,
				       struct kvm_page_track_notifier_node *n)
{
	struct viommu_container *c = container_of(n, struct viommu_container,
						  track);

	if (!nr_pages)
		return;
	mutex_lock(&c->lock);
	/* A container being released still has DMA to stop. */
	if (c->kvm) {
		viommu_shadow_forget(c, gfn, gfn + nr_pages - 1);
		viommu_pin_unkeep(c, gfn, gfn + nr_pages - 1);
		viommu_gm_settle(c);
		/* The tables above the kept one may have gone with it. */
		viommu_refresh_forget_path(c);
	}
	mutex_unlock(&c->lock);
}

/**
 * viommu_track - start following the bound VM's memslot deletions
 * @c: the container (lock held, VM just bound, current->mm the VM's).
 *
 * Return: 0 or a negative errno from KVM.
 */
int viommu_track(struct viommu_container *c)
{
	int ret;

	lockdep_assert_held(&c->lock);

	c->track.track_remove_region = viommu_track_remove_region;
	ret = kvm_page_track_register_notifier(c->kvm, &c->track);
	if (ret)
		return ret;
	c->tracking = true;
	return 0;
}

/**
 * viommu_untrack - stop following memslot deletions
 * @c: the container, whose lock the caller must NOT hold: this waits for
 *	a notifier in progress, which takes it.  The container must be dead
 *	(viommu_container.dead), so that nothing can bind it meanwhile.
 */
void viommu_untrack(struct viommu_container *c)
{
	lockdep_assert_not_held(&c->lock);

	if (!c->tracking)
		return;
	kvm_page_track_unregister_notifier(c->kvm, &c->track);
	c->tracking = false;
}

/*
 * Does @slot map device memory: is any of the VMM's address range behind it
 * a VM_IO or VM_PFNMAP mapping, such as an assigned device's BAR the VMM
 * mmapped and gave the guest?  Such memory has no pages to pin.
 */
static bool viommu_slot_is_device(struct mm_struct *mm,
				  const struct kvm_memory_slot *slot)
{
	unsigned long start = slot->userspace_addr;
	unsigned long end = start + (slot->npages << PAGE_SHIFT);
	struct vm_area_struct *vma;
	struct vma_iterator vmi;
	bool device = false;

	vma_iter_init(&vmi, mm, start);
	mmap_read_lock(mm);
	for_each_vma_range(vmi, vma, end) {
		if (vma->vm_flags & (VM_IO | VM_PFNMAP)) {
			device = true;
			break;
		}
	}
	mmap_read_unlock(mm);
	return device;
}

/**
 * viommu_prepin_all - pre-pin every user memslot of the bound VM
 * @c: the container (lock held, VM bound, current->mm the VM's).
 *
 * Memslots backed by guest_memfd, and KVM's internal memslots, are not
 * memory a device may be given and are skipped; so are memslots over
 * device memory (viommu_slot_is_device()), which a VMM creates for the
 * BARs of the devices it assigns and which cannot be pinned: leaves that
 * point there are refused as on demand.  All or nothing.
 *
 * Return: 0, -ENOMEM (RLIMIT_MEMLOCK or no memory), -EFAULT or -EINTR.
 */
int viommu_prepin_all(struct viommu_container *c)
{
	struct kvm_memory_slot *slot;
	u64 pinned = 0;
	int bkt, idx, ret = 0;

	lockdep_assert_held(&c->lock);

	idx = srcu_read_lock(&c->kvm->srcu);
	kvm_for_each_memslot(slot, bkt, kvm_memslots(c->kvm)) {
		if (slot->id >= KVM_USER_MEM_SLOTS ||
		    slot->flags & (KVM_MEM_GUEST_MEMFD | KVM_MEMSLOT_INVALID) ||
		    viommu_slot_is_device(c->mm, slot))
			continue;
		ret = viommu_pin_keep(c, slot->base_gfn,
				      slot->base_gfn + slot->npages - 1,
				      &pinned);
		if (ret)
			break;
	}
	viommu_pin_keep_end(c, 0, ULONG_MAX, ret);
	srcu_read_unlock(&c->kvm->srcu, idx);
	viommu_gm_settle(c);
	return ret;
}

/**
 * viommu_prepin_recheck - drop pre-pins of memslots deleted meanwhile
 * @c: the container (lock held), whose notifier was just registered.
 *
 * viommu_prepin_all() ran before the notifier was registered (registering
 * first would leave bind unable to unregister it on failure: that waits
 * for a notifier blocked on our lock).  A memslot KVM deleted in between
 * was not reported to us; it is gone from the memslots by the time KVM
 * would have reported it, so looking the frames up now finds it.  Later
 * deletions reach the notifier.
 */
void viommu_prepin_recheck(struct viommu_container *c)
{
	int idx;

	lockdep_assert_held(&c->lock);

	idx = srcu_read_lock(&c->kvm->srcu);
	viommu_pin_unkeep_orphans(c);
	srcu_read_unlock(&c->kvm->srcu, idx);
	viommu_gm_settle(c);
}

/**
 * viommu_prepin - KVM_VIOMMU_PREPIN
 * @c: the container (lock held).
 * @arg: the request; its output fields are filled in.
 *
 * Return: 0, -EINVAL, -EPERM, -EFAULT, -ENOMEM or -EINTR (see the uAPI).
 */
int viommu_prepin(struct viommu_container *c, struct kvm_viommu_prepin *arg)
{
	gfn_t gfn, last;
	int idx, ret = 0;
	u64 end;

	lockdep_assert_held(&c->lock);

	if (!c->kvm || !arg->size || !PAGE_ALIGNED(arg->gpa | arg->size) ||
	    check_add_overflow(arg->gpa, arg->size - 1, &end))
		return -EINVAL;
	if (current->mm != c->mm)
		return -EPERM;
	gfn = gpa_to_gfn(arg->gpa);
	last = gpa_to_gfn(end);

	if (arg->flags & KVM_VIOMMU_PREPIN_RELEASE) {
		arg->released = viommu_pin_unkeep(c, gfn, last);
	} else {
		idx = srcu_read_lock(&c->kvm->srcu);
		ret = viommu_pin_keep(c, gfn, last, &arg->pinned);
		viommu_pin_keep_end(c, gfn, last, ret);
		srcu_read_unlock(&c->kvm->srcu, idx);
		if (ret)
			arg->pinned = 0;
	}
	viommu_gm_settle(c);
	return ret;
}
