/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the kvm-viommu selftests: a VMM in miniature.
 *
 * The test process plays the VMM: it opens a VFIO container and the edu
 * device's group, creates a KVM VM whose memslot is the test's own memory,
 * writes guest IO page tables into that memory and drives the module.
 *
 * ioctl helpers come in the iommufd selftest triple: *_raw() returns 0 or
 * -errno and never asserts; tests assert on it directly, either
 * ASSERT_EQ(0, ...) (must succeed) or ASSERT_EQ(-EINVAL, ...) (expect errno).
 */
#ifndef _VIOMMU_UTIL_H
#define _VIOMMU_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>
#include <linux/vfio.h>
#include <linux/kvm_viommu.h>

#define SZ_4K		0x1000ULL
#define SZ_1M		0x100000ULL
#define SZ_2M		0x200000ULL
#define SZ_1G		0x40000000ULL

/* Guest physical memory layout of the test VM. */
#define GUEST_MEM_SIZE	(64ULL << 20)		/* slot 0: GPA 0..64 MiB */
#define GUEST_TABLES	0x100000ULL		/* table pages from 1 MiB up */
#define GUEST_DATA	0x1000000ULL		/* data pages from 16 MiB up */
#define GUEST_RO_GPA	0x8000000ULL		/* slot 1: read-only, 2 MiB */
#define GUEST_RO_SIZE	SZ_2M

/* x86-64 paging entry bits (Intel SDM Vol. 3A, 4.5). */
#define PTE_P		0x001ULL
#define PTE_RW		0x002ULL
#define PTE_PS		0x080ULL

/**
 * struct vmm - the pieces a VMM holds
 * @container: /dev/vfio/vfio fd, set to VFIO_KVM_IOMMU.
 * @group: /dev/vfio/N fd of the edu device's group.
 * @group_id: N.
 * @kvm: /dev/kvm fd.
 * @vm: KVM VM fd.
 * @mem: host view of guest memory slot 0 (GPA 0).
 * @ro_mem: host view of the read-only slot (GPA GUEST_RO_GPA).
 * @bdf: PCI address of the edu device.
 */
struct vmm {
	int container;
	int group;
	int group_id;
	int kvm;
	int vm;
	uint8_t *mem;
	uint8_t *ro_mem;
	char bdf[32];
};

/* Mark every fd closed; call before the other vmm_*() helpers. */
void vmm_init(struct vmm *v);
/* Find the edu device and its group; false when there is none. */
bool edu_find(char *bdf, size_t len, int *group_id);

/* Open container + group, attach the group to the container; 0 or -errno. */
int vmm_open_group(struct vmm *v);
/* vmm_open_group(), then SET_IOMMU(VFIO_KVM_IOMMU); 0 or -errno. */
int vmm_open_vfio(struct vmm *v);
/* Create the VM with slot 0 (RW) and slot 1 (read-only); 0 or -errno. */
int vmm_create_vm(struct vmm *v);
/* Close whatever is open, in the order container, group, VM. */
void vmm_close(struct vmm *v);
/* KVM_SET_USER_MEMORY_REGION: create slot @slot, or delete it (@size 0). */
int vmm_set_slot(struct vmm *v, uint32_t slot, uint32_t flags, uint64_t gpa,
		 uint64_t size, void *hva);

/* ioctl helpers: 0 or -errno. */
int viommu_bind_raw(int container, int vm_fd);
int viommu_set_table_raw(int container, int group_id, uint32_t format,
			 uint32_t levels, uint64_t root, uint64_t ap_start,
			 uint64_t ap_last, uint32_t *table_id);
int viommu_refresh_raw(int container, uint32_t table_id, uint64_t iova,
		       uint64_t size, struct kvm_viommu_refresh *out);
/* KVM_VIOMMU_REFRESH with KVM_VIOMMU_REFRESH_* @flags. */
int viommu_refresh_flags_raw(int container, uint32_t table_id,
			     uint32_t flags, uint64_t iova, uint64_t size,
			     struct kvm_viommu_refresh *out);
int viommu_info_raw(int container, struct kvm_viommu_info *info);
/* KVM_VIOMMU_BIND_VM with KVM_VIOMMU_BIND_* @flags. */
int viommu_bind_flags_raw(int container, int vm_fd, uint32_t flags);
/*
 * KVM_VIOMMU_PREPIN of [@gpa, @gpa + @size), @flags 0 (pin) or
 * KVM_VIOMMU_PREPIN_RELEASE; the structure comes back in *@out if not NULL.
 */
int viommu_prepin_raw(int container, uint32_t flags, uint64_t gpa,
		      uint64_t size, struct kvm_viommu_prepin *out);

/**
 * struct gtable - an x86-64 guest IO page table built in guest memory
 * @mem: host view of guest memory at GPA 0.
 * @levels: 4 or 5.
 * @root: GPA of the top-level table.
 * @next: GPA of the next free table page.
 */
struct gtable {
	uint8_t *mem;
	int levels;
	uint64_t root;
	uint64_t next;
};

void gt_init(struct gtable *gt, uint8_t *mem, int levels);
/* Entry for @iova at @level, creating tables above it; returns its pointer. */
uint64_t *gt_entry(struct gtable *gt, uint64_t iova, int level);
/* Map a leaf of 4 KiB (level 1), 2 MiB (2) or 1 GiB (3). */
void gt_map(struct gtable *gt, uint64_t iova, uint64_t gpa, int level,
	    bool write);
void gt_clear(struct gtable *gt, uint64_t iova, int level);

/* Accounting observed from outside the module. */
long vm_locked_kb(void);			/* VmLck of this process */
long vmstat_read(const char *name);		/* a /proc/vmstat counter */
/* nr_foll_pin_acquired - nr_foll_pin_released: pins held system-wide. */
long pins_held(void);

/* The edu device's DMA engine (QEMU docs/specs/edu.rst) through VFIO. */
struct edu {
	int fd;
	uint8_t *bar0;
	size_t bar0_size;
};

#define EDU_BUF		0x40000ULL	/* edu's internal 4 KiB buffer */

int edu_open(struct vmm *v, struct edu *e);
void edu_close(struct edu *e);
/* Copy @len bytes RAM(@iova) -> edu buffer; 0, or -ETIMEDOUT. */
int edu_dma_to_dev(struct edu *e, uint64_t iova, uint32_t len);
/* Copy @len bytes edu buffer -> RAM(@iova); 0, or -ETIMEDOUT. */
int edu_dma_from_dev(struct edu *e, uint64_t iova, uint32_t len);

#endif /* _VIOMMU_UTIL_H */
