// SPDX-License-Identifier: GPL-2.0
/*
 * Guest memory access: memslot lookup, reading guest tables, pinning the
 * guest pages a table references, and charging them to locked_vm.
 *
 * Everything here runs in the context of the VMM (current->mm == c->mm,
 * checked by the callers) inside a kvm->srcu read section, so memslot
 * pointers are stable and their userspace addresses are ours to access.
 * Guest memory is reached only through the bound VM's memslots (address
 * space 0): a guest physical address outside every memslot, or backed by
 * guest_memfd, is never read nor mapped.
 */
#include <linux/kvm_host.h>
#include <linux/mm.h>
#include <linux/uaccess.h>

#include "viommu.h"

/*
 * The VMM address backing guest frame @gfn, for reading or (@write) for
 * writing, or the reason there is none.
 */
static u32 viommu_gm_hva(struct viommu_container *c, gfn_t gfn, bool write,
			 unsigned long *hva)
{
	struct kvm_memory_slot *slot;

	slot = __gfn_to_memslot(kvm_memslots(c->kvm), gfn);
	/* A slot being deleted or moved is already gone for the guest. */
	if (!slot || (slot->flags & KVM_MEMSLOT_INVALID))
		return KVM_VIOMMU_REFUSED_NO_MEMSLOT;
	if (slot->flags & KVM_MEM_GUEST_MEMFD)
		return KVM_VIOMMU_REFUSED_PRIVATE;
	if (write && (slot->flags & KVM_MEM_READONLY))
		return KVM_VIOMMU_REFUSED_READONLY_SLOT;
	*hva = __gfn_to_hva_memslot(slot, gfn);
	return KVM_VIOMMU_REFUSED_NONE;
}

/**
 * viommu_gm_read_entry - read one 8-byte guest table entry
 * @c: the container (VM bound, srcu held).
 * @gpa: guest physical address of the entry (8-byte aligned).
 * @raw: the entry, in guest memory byte order.
 *
 * Return: 0, or -EFAULT when @gpa is not readable guest memory.
 */
int viommu_gm_read_entry(struct viommu_container *c, u64 gpa, u64 *raw)
{
	unsigned long hva;

	if (gpa & (sizeof(u64) - 1))
		return -EFAULT;
	if (viommu_gm_hva(c, gpa_to_gfn(gpa), false, &hva))
		return -EFAULT;
	hva += offset_in_page(gpa);
	if (copy_from_user(raw, (const void __user *)hva, sizeof(*raw)))
		return -EFAULT;
	return 0;
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

/**
 * viommu_gm_pin - pin the guest page @gfn for DMA and charge it
 * @c: the container (VM bound, srcu held).
 * @gfn: guest frame.
 * @write: the device may write the page.
 * @page: the pinned page.
 *
 * Return: KVM_VIOMMU_REFUSED_NONE with one long-term pin taken and one page
 * charged to locked_vm, or the reason nothing was taken.
 */
u32 viommu_gm_pin(struct viommu_container *c, gfn_t gfn, bool write,
		  struct page **page)
{
	unsigned int gup = FOLL_LONGTERM | (write ? FOLL_WRITE : 0);
	unsigned long hva;
	u32 why;

	why = viommu_gm_hva(c, gfn, write, &hva);
	if (why)
		return why;

	if (viommu_gm_charge(c, 1))
		return KVM_VIOMMU_REFUSED_MEMLOCK;
	if (pin_user_pages_fast(hva, 1, gup, page) != 1) {
		viommu_gm_charge(c, -1);
		return KVM_VIOMMU_REFUSED_PIN;
	}
	c->pinned_pages++;
	return KVM_VIOMMU_REFUSED_NONE;
}

/**
 * viommu_gm_uncharge - return @n pages of locked_vm charge
 * @c: the container.
 * @n: pages.
 *
 * Done as soon as a page is unmapped, even though its pin is held until the
 * IOTLB is synced: a refresh that replaces entries at the RLIMIT_MEMLOCK
 * limit must not fail for pages it is about to release.
 */
void viommu_gm_uncharge(struct viommu_container *c, unsigned int n)
{
	if (n)
		viommu_gm_charge(c, -(long)n);
}

/**
 * viommu_gm_unpin - release pins taken by viommu_gm_pin()
 * @c: the container.
 * @pages: the pages, no longer reachable by any device.
 * @dirty: per page: it was mapped writable, so mark it dirty.
 * @n: number of pages.
 *
 * The charge is returned separately, by viommu_gm_uncharge().
 */
void viommu_gm_unpin(struct viommu_container *c, struct page **pages,
		     const bool *dirty, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		unpin_user_pages_dirty_lock(&pages[i], 1, dirty[i]);
	c->pinned_pages -= n;
}
