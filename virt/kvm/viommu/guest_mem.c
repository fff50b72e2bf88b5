// SPDX-License-Identifier: GPL-2.0
/*
 * Guest memory access: memslot lookup and reading guest tables (the pins
 * of the pages they reference are in pins.c).
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
 * writing, or the reason there is none; *@ro tells whether the memslot is
 * read-only.
 */
static u32 viommu_gm_slot(struct viommu_container *c, gfn_t gfn, bool write,
			  unsigned long *hva, bool *ro,
			  struct kvm_memory_slot **slotp)
{
	struct kvm_memory_slot *slot;

	slot = __gfn_to_memslot(kvm_memslots(c->kvm), gfn);
	*slotp = slot;
	/* A slot being deleted or moved is already gone for the guest. */
	if (!slot || (slot->flags & KVM_MEMSLOT_INVALID))
		return KVM_VIOMMU_REFUSED_NO_MEMSLOT;
	if (slot->flags & KVM_MEM_GUEST_MEMFD)
		return KVM_VIOMMU_REFUSED_PRIVATE;
	*ro = slot->flags & KVM_MEM_READONLY;
	if (write && *ro)
		return KVM_VIOMMU_REFUSED_READONLY_SLOT;
	*hva = __gfn_to_hva_memslot(slot, gfn);
	return KVM_VIOMMU_REFUSED_NONE;
}

static u32 viommu_gm_hva(struct viommu_container *c, gfn_t gfn, bool write,
			 unsigned long *hva, bool *ro)
{
	struct kvm_memory_slot *slot;

	return viommu_gm_slot(c, gfn, write, hva, ro, &slot);
}

/*
 * As viommu_gm_slot(), but @slot, when not NULL, is a memslot found by an
 * earlier call with the same @write in the same srcu section, looked at
 * first: checked when it was found, and memslots are stable under srcu.
 * On failure *@slot is NULL.
 */
static u32 viommu_gm_cached(struct viommu_container *c, gfn_t gfn,
			    bool write, struct kvm_memory_slot **slot,
			    unsigned long *hva)
{
	struct kvm_memory_slot *s = *slot;
	bool ro;
	u32 why;

	if (s && gfn >= s->base_gfn && gfn - s->base_gfn < s->npages) {
		*hva = __gfn_to_hva_memslot(s, gfn);
		return KVM_VIOMMU_REFUSED_NONE;
	}
	why = viommu_gm_slot(c, gfn, write, hva, &ro, slot);
	if (why)
		*slot = NULL;
	return why;
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
	bool ro;

	if (gpa & (sizeof(u64) - 1))
		return -EFAULT;
	if (viommu_gm_hva(c, gpa_to_gfn(gpa), false, &hva, &ro))
		return -EFAULT;
	hva += offset_in_page(gpa);
	/* One 8-byte access: the guest may be rewriting the entry. */
	if (get_user(*raw, (u64 __user *)hva))
		return -EFAULT;
	return 0;
}

/**
 * viommu_gm_table_hva - the VMM address of a guest page holding a table
 * @c: the container (VM bound, srcu held).
 * @gfn: guest frame of the table page.
 * @slot: in: NULL, or the memslot of a table page found earlier in the
 *	same srcu section, which is looked at first (a table's pages are
 *	mostly in one memslot); out: @gfn's, or NULL.
 * @hva: its VMM address, valid for reads until the srcu section ends.
 *
 * Return: 0, or -EFAULT when @gfn is not readable guest memory.
 */
int viommu_gm_table_hva(struct viommu_container *c, gfn_t gfn,
			struct kvm_memory_slot **slot, unsigned long *hva)
{
	return viommu_gm_cached(c, gfn, false, slot, hva) ? -EFAULT : 0;
}

/**
 * viommu_gm_rw_page - the VMM address of a guest page we read and write
 * @c: the container (VM bound, srcu held).
 * @gfn: guest frame.
 * @slot: in: NULL, or a memslot this function found earlier in the same
 *	srcu section, which is looked at first; out: @gfn's, or NULL.
 *
 * For objects the kernel both reads and writes in guest memory (doorbell
 * rings): the page must be in a writable memslot.
 *
 * Return: the VMM address of @gfn, valid until the srcu section ends, or
 * 0 when @gfn is not writable guest memory.
 */
unsigned long viommu_gm_rw_page(struct viommu_container *c, gfn_t gfn,
				struct kvm_memory_slot **slot)
{
	unsigned long hva;

	return viommu_gm_cached(c, gfn, true, slot, &hva) ? 0 : hva;
}

/**
 * viommu_gm_read_u32 - read a 32-bit value the guest may be writing
 * @c: the container (VM bound, srcu held, current->mm the VMM's).
 * @gpa: guest physical address, 4-byte aligned.
 * @val: the value, as stored.
 *
 * Return: 0, or -EFAULT.
 */
int viommu_gm_read_u32(struct viommu_container *c, u64 gpa, u32 *val)
{
	unsigned long hva;
	bool ro;

	if (gpa & (sizeof(u32) - 1) ||
	    viommu_gm_hva(c, gpa_to_gfn(gpa), false, &hva, &ro))
		return -EFAULT;
	return get_user(*val, (u32 __user *)(hva + offset_in_page(gpa)));
}

/**
 * viommu_gm_writable - is @gpa in writable guest memory?
 * @c: the container (VM bound, srcu held).
 * @gpa: guest physical address.
 *
 * Return: true when the guest page is in a writable memslot.
 */
bool viommu_gm_writable(struct viommu_container *c, u64 gpa)
{
	unsigned long hva;
	bool ro;

	return !viommu_gm_hva(c, gpa_to_gfn(gpa), true, &hva, &ro);
}

/**
 * viommu_gm_access - copy bytes from or to guest memory
 * @c: the container (VM bound, srcu held, current->mm the VMM's).
 * @gpa: guest physical address.
 * @buf: kernel buffer.
 * @len: bytes; [@gpa, @gpa + @len) must not cross a 4 KiB page.
 * @write: copy @buf to the guest, which needs a writable memslot.
 *
 * Writes are not reported to KVM's dirty log: a VMM migrating the guest
 * must treat what the kernel writes (doorbell rings) as always dirty.
 *
 * Return: 0, or -EFAULT.
 */
int viommu_gm_access(struct viommu_container *c, u64 gpa, void *buf,
		     unsigned int len, bool write)
{
	unsigned long hva;
	bool ro;

	if (offset_in_page(gpa) + len > PAGE_SIZE)
		return -EFAULT;
	if (viommu_gm_hva(c, gpa_to_gfn(gpa), write, &hva, &ro))
		return -EFAULT;
	hva += offset_in_page(gpa);
	if (write)
		return copy_to_user((void __user *)hva, buf, len) ? -EFAULT : 0;
	return copy_from_user(buf, (const void __user *)hva, len) ? -EFAULT : 0;
}

/**
 * viommu_gm_frame - the VMM address of a guest frame, and its memslot
 * @c: the container (VM bound, srcu held).
 * @gfn: guest frame.
 * @write: the frame will be written (by a device or by us).
 * @hva: its VMM address.
 * @ro: its memslot is read-only.
 * @slot_last: the last guest frame of its memslot.
 *
 * Return: KVM_VIOMMU_REFUSED_NONE, or why the guest may not have the frame
 * mapped as asked.
 */
u32 viommu_gm_frame(struct viommu_container *c, gfn_t gfn, bool write,
		    unsigned long *hva, bool *ro, gfn_t *slot_last)
{
	struct kvm_memory_slot *slot;
	u32 why;

	why = viommu_gm_slot(c, gfn, write, hva, ro, &slot);
	if (why)
		return why;
	*slot_last = slot->base_gfn + slot->npages - 1;
	return KVM_VIOMMU_REFUSED_NONE;
}
