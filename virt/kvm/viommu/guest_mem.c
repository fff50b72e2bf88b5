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
 * Pins.  Each guest frame mapped anywhere in the container is pinned once
 * (FOLL_LONGTERM, and FOLL_WRITE unless its memslot is read-only, so the
 * page behind a frame cannot change under a later writable mapping) and
 * charged once to locked_vm.  c->pins maps the frame to an xarray value
 * holding its page frame number, whether it was pinned writable, whether a
 * writable mapping used it (to dirty the page on unpin) and how many IOVA
 * pages map it.  A frame pinned read-only (its memslot was read-only) is
 * never handed out for a writable mapping, even if the memslot has become
 * writable since: the pinned page may be one the VMM cannot write, such as
 * the page cache of a file it mapped read-only.  The count is
 * bounded so that a guest mapping one page everywhere cannot push the
 * page's reference count anywhere near overflow: GUP adds
 * GUP_PIN_COUNTING_BIAS per pin, we add one pin per frame.
 */
#define VIOMMU_PIN_COUNT_BITS	21
#define VIOMMU_PIN_COUNT_MAX	(BIT(VIOMMU_PIN_COUNT_BITS) - 1)
#define VIOMMU_PIN_DIRTY	BIT(VIOMMU_PIN_COUNT_BITS)
#define VIOMMU_PIN_WRITABLE	BIT(VIOMMU_PIN_COUNT_BITS + 1)
#define VIOMMU_PIN_PFN_SHIFT	(VIOMMU_PIN_COUNT_BITS + 2)

/*
 * The VMM address backing guest frame @gfn, for reading or (@write) for
 * writing, or the reason there is none; *@ro tells whether the memslot is
 * read-only.
 */
static u32 viommu_gm_hva(struct viommu_container *c, gfn_t gfn, bool write,
			 unsigned long *hva, bool *ro)
{
	struct kvm_memory_slot *slot;

	slot = __gfn_to_memslot(kvm_memslots(c->kvm), gfn);
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
 * pins draw on c->charge_credit, topped up VIOMMU_CHARGE_BATCH pages at a
 * time (one page at a time once the batch no longer fits under
 * RLIMIT_MEMLOCK, so the limit is still met exactly), and releases return
 * to it.  viommu_gm_settle() gives the credit back, so outside a refresh
 * locked_vm is exactly the pinned frames.
 */
#define VIOMMU_CHARGE_BATCH	64

static int viommu_gm_take(struct viommu_container *c)
{
	if (!c->charge_credit) {
		if (!viommu_gm_charge(c, VIOMMU_CHARGE_BATCH))
			c->charge_credit = VIOMMU_CHARGE_BATCH;
		else if (!viommu_gm_charge(c, 1))
			c->charge_credit = 1;
		else
			return -ENOMEM;
	}
	c->charge_credit--;
	return 0;
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

/* Pin a frame nothing in the container holds yet. */
static u32 viommu_pin_new(struct viommu_container *c, gfn_t gfn, bool write,
			  struct page **page)
{
	unsigned long hva, pfn;
	void *old;
	bool ro;
	u32 why;

	why = viommu_gm_hva(c, gfn, write, &hva, &ro);
	if (why)
		return why;

	if (viommu_gm_take(c))
		return KVM_VIOMMU_REFUSED_MEMLOCK;
	if (pin_user_pages_fast(hva, 1, FOLL_LONGTERM | (ro ? 0 : FOLL_WRITE),
				page) != 1)
		goto err_uncharge;

	pfn = page_to_pfn(*page);
	if (WARN_ON_ONCE(pfn >> (BITS_PER_LONG - 1 - VIOMMU_PIN_PFN_SHIFT)))
		goto err_unpin;
	old = xa_store(&c->pins, gfn,
		       xa_mk_value(pfn << VIOMMU_PIN_PFN_SHIFT |
				   (ro ? 0 : VIOMMU_PIN_WRITABLE) |
				   (write ? VIOMMU_PIN_DIRTY : 0) | 1),
		       GFP_KERNEL_ACCOUNT);
	if (xa_is_err(old))
		goto err_unpin;
	c->pinned_pages++;
	return KVM_VIOMMU_REFUSED_NONE;

err_unpin:
	unpin_user_page(*page);
err_uncharge:
	c->charge_credit++;
	return KVM_VIOMMU_REFUSED_PIN;
}

/**
 * viommu_pin_get - hold guest frame @gfn pinned for one more IOVA page
 * @c: the container (VM bound, srcu held).
 * @gfn: guest frame.
 * @write: the IOVA page will be writable.
 * @page: the pinned page.
 *
 * The first hold pins the frame and charges one page of locked_vm.
 *
 * Return: KVM_VIOMMU_REFUSED_NONE with one hold taken, or the reason none
 * was.
 */
u32 viommu_pin_get(struct viommu_container *c, gfn_t gfn, bool write,
		   struct page **page)
{
	unsigned long v, hva;
	void *entry;
	bool ro;
	u32 why;

	entry = xa_load(&c->pins, gfn);
	if (!entry)
		return viommu_pin_new(c, gfn, write, page);

	/* The memslot still decides what the guest may do with the frame. */
	why = viommu_gm_hva(c, gfn, write, &hva, &ro);
	if (why)
		return why;
	v = xa_to_value(entry);
	if ((v & VIOMMU_PIN_COUNT_MAX) == VIOMMU_PIN_COUNT_MAX ||
	    (write && !(v & VIOMMU_PIN_WRITABLE)))
		return KVM_VIOMMU_REFUSED_PIN;
	v = (v + 1) | (write ? VIOMMU_PIN_DIRTY : 0);
	/* Replacing a present value allocates nothing and cannot fail. */
	xa_store(&c->pins, gfn, xa_mk_value(v), GFP_KERNEL_ACCOUNT);
	*page = pfn_to_page(v >> VIOMMU_PIN_PFN_SHIFT);
	return KVM_VIOMMU_REFUSED_NONE;
}

/**
 * viommu_pin_put - drop one hold of guest frame @gfn
 * @c: the container.
 * @gfn: guest frame.
 * @dirty: set when the returned page was ever mapped writable.
 *
 * The last hold returns the frame's locked_vm charge at once, so that a
 * refresh replacing entries at the RLIMIT_MEMLOCK limit does not fail for
 * pages it is releasing.
 *
 * Return: the page to unpin, with viommu_gm_unpin(), once no device can
 * reach it any more (after the IOTLB flush); NULL while other IOVA pages
 * still map the frame.
 */
struct page *viommu_pin_put(struct viommu_container *c, gfn_t gfn, bool *dirty)
{
	unsigned long v;
	void *entry;

	entry = xa_load(&c->pins, gfn);
	if (WARN_ON_ONCE(!entry))
		return NULL;
	v = xa_to_value(entry);
	if ((v & VIOMMU_PIN_COUNT_MAX) > 1) {
		xa_store(&c->pins, gfn, xa_mk_value(v - 1), GFP_KERNEL_ACCOUNT);
		return NULL;
	}
	xa_erase(&c->pins, gfn);
	c->charge_credit++;
	c->pinned_pages--;
	*dirty = v & VIOMMU_PIN_DIRTY;
	return pfn_to_page(v >> VIOMMU_PIN_PFN_SHIFT);
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
	void *entry = xa_load(&c->pins, gfn);

	if (WARN_ON_ONCE(!entry))
		return NULL;
	return pfn_to_page(xa_to_value(entry) >> VIOMMU_PIN_PFN_SHIFT);
}

/**
 * viommu_gm_unpin - release pins returned by viommu_pin_put()
 * @pages: the pages, no longer reachable by any device.
 * @dirty: per page: it was mapped writable, so mark it dirty.
 * @n: number of pages.
 */
void viommu_gm_unpin(struct page **pages, const bool *dirty, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		unpin_user_pages_dirty_lock(&pages[i], 1, dirty[i]);
}
