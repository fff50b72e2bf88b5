// SPDX-License-Identifier: GPL-2.0
/*
 * The raw limit, for `make bench` only: built with "make KVM_VIOMMU_TEST=y".
 *
 * KVM_VIOMMU_TEST_RAW pins the VMM's pages and maps them into a table's
 * IOMMU domain, or unmaps and unpins them, as fast as the IOMMU API allows
 * for 4 KiB guest leaves: pins in batches, one iommu_map() per physically
 * contiguous run (never forming an IOMMU block), one IOTLB sync per
 * unmap.  No guest table is read, no shadow entry and no pin table
 * entry is kept and nothing is charged to locked_vm, so what it measures is
 * the floor any shadowing engine stands on.  viommu_test_raw.h has the
 * contract.
 */
#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>

#include "viommu.h"

/* Pages pinned per pin_user_pages_fast() call: one page of pointers. */
#define VIOMMU_RAW_BATCH	(PAGE_SIZE / sizeof(struct page *))
#define VIOMMU_RAW_PROT		(IOMMU_READ | IOMMU_WRITE | IOMMU_CACHE)

static_assert(PAGE_SIZE == SZ_4K, "the raw limit works in 4 KiB pages");

/*
 * Unmap [@iova, + @npages pages), every page of which is mapped, and unpin
 * the pages behind it, @max pages at a time (@pages holds @max): read them
 * back, unmap each run contiguous in host memory into one gather, sync the
 * IOTLB once, and only then unpin, so that no device can still reach a
 * page we let go.
 */
static void viommu_raw_unmap(struct iommu_domain *domain, u64 iova,
			     u64 npages, struct page **pages, u64 max)
{
	struct iommu_iotlb_gather gather;
	u64 done, n, i, run;

	for (done = 0; done < npages; done += n) {
		u64 base = iova + done * SZ_4K;

		n = min(npages - done, max);
		iommu_iotlb_gather_init(&gather);
		run = 0;
		for (i = 0; i < n; i++) {
			phys_addr_t phys = iommu_iova_to_phys(domain,
							      base + i * SZ_4K);

			pages[i] = pfn_to_page(PHYS_PFN(phys));
			if (run && page_to_pfn(pages[i]) ==
				   page_to_pfn(pages[i - 1]) + 1) {
				run++;
				continue;
			}
			if (run)
				iommu_unmap_fast(domain,
						 base + (i - run) * SZ_4K,
						 run * SZ_4K, &gather);
			run = 1;
		}
		iommu_unmap_fast(domain, base + (n - run) * SZ_4K,
				 run * SZ_4K, &gather);
		iommu_iotlb_sync(domain, &gather);
		/* Mapped writable: the device may have written them. */
		unpin_user_pages_dirty_lock(pages, n, true);
		cond_resched();
	}
}

/*
 * Most pages one iommu_map() may take of a run whose first page @start
 * goes at @iova.  The IOMMU core maps a run with the largest page sizes
 * that fit it, but a 4 KiB guest leaf must stay a 4 KiB IOMMU page (the
 * engine could not change its neighbour without splitting a live block),
 * so a run whose IOVA and host address agree modulo 2 MiB stops short of
 * any whole aligned 2 MiB, as the engine's runs do.
 */
static int viommu_raw_max_run(struct page *start, u64 iova)
{
	return (iova ^ page_to_phys(start)) & (SZ_2M - 1) ?
	       INT_MAX : SZ_2M / SZ_4K - 1;
}

/*
 * Pin [@vaddr, + @npages pages) and map it at @iova, VIOMMU_RAW_BATCH pages
 * at a time (@batch holds that many).  On failure, what the call mapped is
 * unmapped and every page it pinned is unpinned.
 */
static int viommu_raw_map(struct iommu_domain *domain, u64 iova, u64 vaddr,
			  u64 npages, struct page **batch)
{
	u64 done = 0;
	int ret = 0;

	while (done < npages) {
		int want = min_t(u64, npages - done, VIOMMU_RAW_BATCH);
		int got, i, max, start = 0;

		got = pin_user_pages_fast(vaddr + done * SZ_4K, want,
					  FOLL_LONGTERM | FOLL_WRITE, batch);
		if (got <= 0) {
			ret = got ? got : -EFAULT;
			goto err_unwind;
		}
		max = viommu_raw_max_run(batch[0], iova + done * SZ_4K);
		for (i = 1; i <= got; i++) {
			u64 at = iova + (done + start) * SZ_4K;

			if (i < got && i - start < max &&
			    page_to_pfn(batch[i]) ==
			    page_to_pfn(batch[i - 1]) + 1)
				continue;
			ret = iommu_map(domain, at, page_to_phys(batch[start]),
					(i - start) * SZ_4K, VIOMMU_RAW_PROT,
					GFP_KERNEL_ACCOUNT);
			if (ret) {
				/* Never mapped: no device wrote them. */
				unpin_user_pages_dirty_lock(batch + start,
							    got - start, false);
				done += start;
				goto err_unwind;
			}
			start = i;
			if (i < got)
				max = viommu_raw_max_run(batch[i],
							 iova + (done + i) *
							 SZ_4K);
		}
		done += got;
		cond_resched();
	}
	return 0;

err_unwind:
	viommu_raw_unmap(domain, iova, done, batch, VIOMMU_RAW_BATCH);
	return ret;
}

/* Does [@iova, @last] meet a reserved region of a group on table @t? */
static bool viommu_raw_reserved(struct viommu_container *c,
				struct viommu_table *t, u64 iova, u64 last)
{
	struct iommu_resv_region *region;
	struct viommu_group *g;

	list_for_each_entry(g, &c->groups, node) {
		if (g->table != t)
			continue;
		list_for_each_entry(region, &g->resv_regions, list)
			if (region->length && region->start <= last &&
			    region->start + (region->length - 1) >= iova)
				return true;
	}
	return false;
}

/*
 * Find the table of @raw and check its range against it: inside the
 * domain's aperture but outside the table's (where the guest table, hence
 * the shadow, never maps), clear of reserved regions, and every page
 * unmapped (MAP) or mapped (UNMAP) in the domain.
 */
static int viommu_raw_table(struct viommu_container *c,
			    const struct kvm_viommu_test_raw *raw,
			    struct viommu_table **tp)
{
	u64 last = raw->iova + raw->npages * SZ_4K - 1;
	const struct iommu_domain_geometry *geo;
	struct viommu_table *t;
	u64 i;

	lockdep_assert_held(&c->lock);

	if (!c->kvm)
		return -EINVAL;
	if (current->mm != c->mm)
		return -EPERM;
	t = xa_load(&c->tables, raw->table_id);
	if (!t)
		return -ENOENT;
	geo = &t->domain->geometry;
	if (raw->iova < geo->aperture_start || last > geo->aperture_end ||
	    (raw->iova <= t->aperture_last && last >= t->aperture_start) ||
	    viommu_raw_reserved(c, t, raw->iova, last))
		return -EINVAL;
	for (i = 0; i < raw->npages; i++) {
		bool mapped = iommu_iova_to_phys(t->domain,
						 raw->iova + i * SZ_4K);

		if (raw->op == KVM_VIOMMU_TEST_RAW_MAP && mapped)
			return -EBUSY;
		if (raw->op == KVM_VIOMMU_TEST_RAW_UNMAP && !mapped)
			return -ENOENT;
	}
	*tp = t;
	return 0;
}

/* The arguments on their own, before anything is locked or allocated. */
static int viommu_raw_check(const struct kvm_viommu_test_raw *raw)
{
	u64 last;

	if (raw->__reserved || raw->ns || !raw->npages ||
	    raw->npages > KVM_VIOMMU_TEST_RAW_MAX_PAGES ||
	    !IS_ALIGNED(raw->iova, SZ_4K) ||
	    check_add_overflow(raw->iova, raw->npages * SZ_4K - 1, &last))
		return -EINVAL;
	switch (raw->op) {
	case KVM_VIOMMU_TEST_RAW_MAP:
		if (!IS_ALIGNED(raw->vaddr, SZ_4K) ||
		    check_add_overflow(raw->vaddr, raw->npages * SZ_4K - 1,
				       &last))
			return -EINVAL;
		return 0;
	case KVM_VIOMMU_TEST_RAW_UNMAP:
		return raw->vaddr ? -EINVAL : 0;
	default:
		return -EINVAL;
	}
}

/**
 * viommu_ioctl_test_raw - KVM_VIOMMU_TEST_RAW, the raw limit (tests only)
 * @c: the container, referenced by the caller.
 * @arg: user pointer to a &struct kvm_viommu_test_raw.
 *
 * Return: 0 with @arg->ns filled in, or a negative errno (see
 * viommu_test_raw.h).
 */
long viommu_ioctl_test_raw(struct viommu_container *c, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;
	struct kvm_viommu_test_raw raw;
	struct viommu_table *t;
	struct page **pages;
	u64 nr, t0;
	u32 usize;
	int ret;

	if (get_user(usize, (u32 __user *)uarg))
		return -EFAULT;
	if (usize < sizeof(raw))
		return -EINVAL;
	if (usize > PAGE_SIZE)
		return -E2BIG;
	ret = copy_struct_from_user(&raw, sizeof(raw), uarg, usize);
	if (ret)
		return ret;
	ret = viommu_raw_check(&raw);
	if (ret)
		return ret;

	/* MAP pins a batch at a time; UNMAP unpins after one IOTLB sync. */
	nr = raw.op == KVM_VIOMMU_TEST_RAW_MAP ?
	     min_t(u64, raw.npages, VIOMMU_RAW_BATCH) : raw.npages;
	pages = kvmalloc_array(nr, sizeof(*pages), GFP_KERNEL_ACCOUNT);
	if (!pages)
		return -ENOMEM;

	ret = viommu_lock(c);
	if (ret)
		goto out_free;
	ret = viommu_raw_table(c, &raw, &t);
	if (!ret) {
		t0 = ktime_get_ns();
		if (raw.op == KVM_VIOMMU_TEST_RAW_MAP)
			ret = viommu_raw_map(t->domain, raw.iova, raw.vaddr,
					     raw.npages, pages);
		else
			viommu_raw_unmap(t->domain, raw.iova, raw.npages,
					 pages, nr);
		raw.ns = ktime_get_ns() - t0;
	}
	/* A MAP the caller does not hear of must not stay behind. */
	if (!ret &&
	    copy_to_user(uarg, &raw, min_t(size_t, sizeof(raw), usize))) {
		if (raw.op == KVM_VIOMMU_TEST_RAW_MAP)
			viommu_raw_unmap(t->domain, raw.iova, raw.npages,
					 pages, nr);
		ret = -EFAULT;
	}
	mutex_unlock(&c->lock);
out_free:
	kvfree(pages);
	return ret;
}
