/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * viommu_test_raw.h - test-only interface of kvm-viommu: the raw limit
 *
 * NOT uAPI.  This ioctl exists only in a module built with
 * "make KVM_VIOMMU_TEST=y" (which defines KVM_VIOMMU_TEST), for
 * `make bench` (tools/testing/selftests/kvm_viommu/viommu_bench.c, which
 * includes this header by relative path).  It is the floor a shadowing
 * engine can reach: pin the VMM's pages and map them into a table's
 * domain, and the reverse, with no guest table walk, no shadow and no pin
 * table, timed inside the module.  Its number and layout may change at any
 * time.
 */
#ifndef _VIOMMU_TEST_RAW_H
#define _VIOMMU_TEST_RAW_H

#include <linux/types.h>
#include <linux/ioctl.h>
#include <linux/kvm_viommu.h>

/* Most 4 KiB pages one KVM_VIOMMU_TEST_RAW call handles. */
#define KVM_VIOMMU_TEST_RAW_MAX_PAGES	65536

/**
 * enum kvm_viommu_test_raw_op - what KVM_VIOMMU_TEST_RAW does
 * @KVM_VIOMMU_TEST_RAW_MAP: pin [@vaddr, + @npages pages) of the VMM with
 *	FOLL_LONGTERM | FOLL_WRITE, in batches, and iommu_map() each
 *	physically contiguous run, read-write and cache coherent, at @iova.
 *	As the engine does for 4 KiB guest leaves, a run never becomes an
 *	IOMMU block: one whose IOVA and host address agree modulo 2 MiB is
 *	cut short of any whole aligned 2 MiB.
 * @KVM_VIOMMU_TEST_RAW_UNMAP: read the pages behind [@iova, + @npages
 *	pages) back with iommu_iova_to_phys(), iommu_unmap_fast() each
 *	physically contiguous run into one IOTLB gather, sync the IOTLB once,
 *	then unpin the pages (marking them dirty).
 */
enum kvm_viommu_test_raw_op {
	KVM_VIOMMU_TEST_RAW_MAP = 1,
	KVM_VIOMMU_TEST_RAW_UNMAP = 2,
};

/**
 * struct kvm_viommu_test_raw - KVM_VIOMMU_TEST_RAW argument
 * @argsz: size of this structure as userspace knows it (at least this
 *	version's size; bytes beyond what the kernel knows must be zero).
 * @op: an &enum kvm_viommu_test_raw_op.
 * @table_id: the table whose IOMMU domain is used, from
 *	KVM_VIOMMU_SET_TABLE.
 * @__reserved: must be zero.
 * @iova: first IOVA, 4 KiB aligned.  The whole range must lie inside the
 *	aperture of the table's domain but outside the table's own aperture
 *	(KVM_VIOMMU_SET_TABLE's, which bounds what the guest table, hence the
 *	shadow, can ever map), and outside its groups' reserved regions.
 * @vaddr: MAP: the VMM address of the first page, 4 KiB aligned (for
 *	`make bench`, the VMM address of the guest pages); UNMAP: zero.
 * @npages: 4 KiB pages, 1 to %KVM_VIOMMU_TEST_RAW_MAX_PAGES.
 * @ns: output (zero on input): nanoseconds the map or unmap took, from
 *	the first pin or read-back to the last map or unpin (ktime_get_ns()).
 *	Checking the arguments and allocating the page array are not timed.
 *
 * MAP requires every page of the range to be unmapped in the domain
 * (-EBUSY otherwise), UNMAP every page to be mapped (-ENOENT otherwise).
 * A MAP that fails leaves nothing mapped nor pinned by the call.
 *
 * The raw limit charges nothing to locked_vm and keeps no record of what
 * it maps: the caller must UNMAP exactly the ranges it MAPped (a range a
 * MAP made, or a union of them) before the table goes.  Pages still
 * raw-mapped when the table is destroyed stay pinned for good.  The
 * container must be bound to a VM of the calling process.
 *
 * Errors: -EINVAL (bad argument or range, no VM bound), -ENOENT (no such
 * table, or UNMAP of an unmapped page), -EPERM (not the process bound to
 * the container), -EBUSY (MAP over a mapped page), -EFAULT, -ENOMEM,
 * -E2BIG, -ENODEV; MAP may also fail with the errors of
 * pin_user_pages_fast() and iommu_map().
 */
struct kvm_viommu_test_raw {
	__u32 argsz;
	__u32 op;
	__u32 table_id;
	__u32 __reserved;
	__u64 iova;
	__u64 vaddr;
	__u64 npages;
	__u64 ns;
};

#define KVM_VIOMMU_TEST_RAW		_IO(VFIO_TYPE, KVM_VIOMMU_BASE + 63)

#endif /* _VIOMMU_TEST_RAW_H */
