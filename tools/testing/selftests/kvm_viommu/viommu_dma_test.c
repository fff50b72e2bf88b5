// SPDX-License-Identifier: GPL-2.0
/*
 * End to end: QEMU's edu device, bound to vfio-pci, does real DMA through
 * the (emulated) VT-d IOMMU into the domain kvm-viommu programs from a guest
 * IO page table.  The test checks the bytes: DMA lands exactly where the
 * guest table says and nowhere else.
 *
 * A DMA the IOMMU refuses makes the host kernel log a DMAR fault: expected.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "viommu_fixture.h"

#define X	0x200000ULL		/* IOVA, read-write */
#define Z	0x300000ULL		/* IOVA, read-only */
#define U	0x400000ULL		/* IOVA, never mapped */
#define Y	(GUEST_DATA)		/* GPA behind X */
#define W	(GUEST_DATA + SZ_4K)	/* GPA behind Z */
#define LEN	256

FIXTURE(edu) {
	struct vmm v;
	struct gtable gt;
	struct edu e;
	uint32_t id;
	long pins_at_start;
};

FIXTURE_SETUP(edu)
{
	vmm_init(&self->v);
	self->e.fd = -1;
	self->pins_at_start = pins_held();
	ASSERT_EQ(0, vmm_open_vfio(&self->v));
	ASSERT_EQ(0, vmm_create_vm(&self->v));
	gt_init(&self->gt, self->v.mem, 4);
	ASSERT_EQ(0, viommu_fixture_table(&self->v, &self->gt, &self->id));
	ASSERT_EQ(0, edu_open(&self->v, &self->e));
}

FIXTURE_TEARDOWN(edu)
{
	edu_close(&self->e);
	vmm_close(&self->v);
	EXPECT_EQ(self->pins_at_start, pins_held());
	EXPECT_EQ(0, vm_locked_kb());
}

static void fill(uint8_t *p, uint8_t seed, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = seed + i * 7;
}

/* FNV-1a over all of guest memory: did anything change anywhere? */
static uint64_t guest_hash(struct vmm *v)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < GUEST_MEM_SIZE; i += 8) {
		h ^= *(uint64_t *)(v->mem + i);
		h *= 0x100000001b3ULL;
	}
	return h;
}

TEST_F(edu, dma_follows_guest_table)
{
	uint8_t *y = self->v.mem + Y, *w = self->v.mem + W;
	uint8_t pattern_w[LEN], pattern_y[LEN];
	struct kvm_viommu_refresh rf;
	uint64_t before;

	gt_map(&self->gt, X, Y, 1, true);
	gt_map(&self->gt, Z, W, 1, false);
	ASSERT_EQ(0, viommu_refresh_raw(self->v.container, self->id, 0,
					8 * SZ_1M, &rf));
	ASSERT_EQ(2, rf.mapped);
	ASSERT_EQ(0, rf.refused);

	/* RAM -> device from Z reads W; device -> RAM at X lands at Y. */
	fill(w, 0x11, LEN);
	memcpy(pattern_w, w, LEN);
	memset(y, 0, LEN);
	ASSERT_EQ(0, edu_dma_to_dev(&self->e, Z, LEN));
	ASSERT_EQ(0, edu_dma_from_dev(&self->e, X, LEN));
	EXPECT_EQ(0, memcmp(y, pattern_w, LEN));
	EXPECT_EQ(0, memcmp(w, pattern_w, LEN));

	/* The device cannot write through the read-only Z. */
	fill(y, 0x55, LEN);
	memcpy(pattern_y, y, LEN);
	ASSERT_EQ(0, edu_dma_to_dev(&self->e, X, LEN));
	before = guest_hash(&self->v);
	ASSERT_EQ(0, edu_dma_from_dev(&self->e, Z, LEN));
	EXPECT_EQ(0, memcmp(w, pattern_w, LEN));
	EXPECT_EQ(before, guest_hash(&self->v));

	/* Nor through an IOVA the guest never mapped. */
	ASSERT_EQ(0, edu_dma_from_dev(&self->e, U, LEN));
	EXPECT_EQ(before, guest_hash(&self->v));

	/* The guest clears X and refreshes: DMA to X no longer lands. */
	gt_clear(&self->gt, X, 1);
	ASSERT_EQ(0, viommu_refresh_raw(self->v.container, self->id, X, SZ_4K,
					&rf));
	ASSERT_EQ(1, rf.unmapped);
	memset(y, 0xee, LEN);
	before = guest_hash(&self->v);
	ASSERT_EQ(0, edu_dma_from_dev(&self->e, X, LEN));
	EXPECT_EQ(before, guest_hash(&self->v));
	EXPECT_EQ(0xee, y[0]);
	EXPECT_EQ(0xee, y[LEN - 1]);

	/* And X retargeted to W' lands there, not at Y. */
	gt_map(&self->gt, X, W + SZ_4K, 1, true);
	ASSERT_EQ(0, viommu_refresh_raw(self->v.container, self->id, X, SZ_4K,
					&rf));
	ASSERT_EQ(1, rf.mapped);
	ASSERT_EQ(0, edu_dma_from_dev(&self->e, X, LEN));
	EXPECT_EQ(0, memcmp(self->v.mem + W + SZ_4K, pattern_y, LEN));
	EXPECT_EQ(0xee, y[0]);
}

/* A 2 MiB guest leaf: DMA at its end lands at the end of its target. */
TEST_F(edu, dma_large_leaf)
{
	uint64_t iova = 4 * SZ_2M, off = SZ_2M - SZ_4K;
	struct kvm_viommu_refresh rf;
	uint8_t *src = self->v.mem + GUEST_DATA + SZ_2M + off;
	uint8_t *dst = self->v.mem + GUEST_DATA + off;

	gt_map(&self->gt, iova, GUEST_DATA, 2, true);
	gt_map(&self->gt, iova + SZ_2M, GUEST_DATA + SZ_2M, 2, false);
	ASSERT_EQ(0, viommu_refresh_raw(self->v.container, self->id, iova,
					2 * SZ_2M, &rf));
	ASSERT_EQ(1024, rf.mapped);

	fill(src, 0x3c, LEN);
	memset(dst, 0, LEN);
	ASSERT_EQ(0, edu_dma_to_dev(&self->e, iova + SZ_2M + off, LEN));
	ASSERT_EQ(0, edu_dma_from_dev(&self->e, iova + off, LEN));
	EXPECT_EQ(0, memcmp(dst, src, LEN));
}

/*
 * A 2 MiB guest leaf over hugetlbfs-backed guest memory is shadowed by one
 * 2 MiB IOMMU page; when the guest later changes one 4 KiB page of it, the
 * block is split and the other pages stay mapped.
 */
TEST_F(edu, dma_large_iommu_page)
{
	struct kvm_userspace_memory_region huge = {
		.slot = 5,
		.guest_phys_addr = 0x40000000ULL,
		.memory_size = 2 * SZ_2M,
	};
	uint64_t iova = 4 * SZ_2M, gpa = huge.guest_phys_addr;
	struct kvm_viommu_refresh rf;
	struct kvm_viommu_info info;
	uint8_t *hmem, *y = self->v.mem + Y;
	int fd, i;

	fd = open("/proc/sys/vm/nr_hugepages", O_WRONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(2, write(fd, "16", 2));
	close(fd);
	hmem = mmap(NULL, huge.memory_size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_POPULATE,
		    -1, 0);
	ASSERT_NE(MAP_FAILED, hmem);
	huge.userspace_addr = (uintptr_t)hmem;
	ASSERT_EQ(0, ioctl(self->v.vm, KVM_SET_USER_MEMORY_REGION, &huge));

	gt_map(&self->gt, iova, gpa, 2, true);
	ASSERT_EQ(0, viommu_refresh_raw(self->v.container, self->id, iova,
					SZ_2M, &rf));
	EXPECT_EQ(512, rf.mapped);
	ASSERT_EQ(0, viommu_info_raw(self->v.container, &info));
	EXPECT_EQ(1, info.mapped_blocks);
	EXPECT_EQ(512, info.mapped_pages);

	/* Through the block: last page -> device -> page 1. */
	fill(hmem + SZ_2M - SZ_4K, 0x21, LEN);
	memset(hmem + SZ_4K, 0, LEN);
	ASSERT_EQ(0, edu_dma_to_dev(&self->e, iova + SZ_2M - SZ_4K, LEN));
	ASSERT_EQ(0, edu_dma_from_dev(&self->e, iova + SZ_4K, LEN));
	EXPECT_EQ(0, memcmp(hmem + SZ_4K, hmem + SZ_2M - SZ_4K, LEN));

	/* Unchanged: nothing to do. */
	ASSERT_EQ(0, viommu_refresh_raw(self->v.container, self->id, iova,
					SZ_2M, &rf));
	EXPECT_EQ(512, rf.unchanged);
	EXPECT_EQ(0, rf.mapped);

	/* The guest splits its leaf and moves page 5 elsewhere. */
	*gt_entry(&self->gt, iova, 2) = 0;
	for (i = 0; i < 512; i++)
		gt_map(&self->gt, iova + i * SZ_4K,
		       i == 5 ? Y : gpa + i * SZ_4K, 1, true);
	ASSERT_EQ(0, viommu_refresh_raw(self->v.container, self->id, iova,
					SZ_2M, &rf));
	EXPECT_EQ(1, rf.mapped);
	EXPECT_EQ(1, rf.unmapped);
	EXPECT_EQ(511, rf.unchanged);
	ASSERT_EQ(0, viommu_info_raw(self->v.container, &info));
	EXPECT_EQ(0, info.mapped_blocks);
	EXPECT_EQ(512, info.mapped_pages);

	/* Page 1 still lands in the huge page, page 5 now at Y. */
	memset(hmem + SZ_4K, 0, LEN);
	memset(y, 0, LEN);
	ASSERT_EQ(0, edu_dma_from_dev(&self->e, iova + SZ_4K, LEN));
	ASSERT_EQ(0, edu_dma_from_dev(&self->e, iova + 5 * SZ_4K, LEN));
	EXPECT_EQ(0, memcmp(hmem + SZ_4K, hmem + SZ_2M - SZ_4K, LEN));
	EXPECT_EQ(0, memcmp(y, hmem + SZ_2M - SZ_4K, LEN));

	/*
	 * The guest merges it back into one leaf: the 511 pages still mapped
	 * as it says are left alone (no block would replace live mappings).
	 */
	*gt_entry(&self->gt, iova, 2) = 0;
	gt_map(&self->gt, iova, gpa, 2, true);
	ASSERT_EQ(0, viommu_refresh_raw(self->v.container, self->id, iova,
					SZ_2M, &rf));
	EXPECT_EQ(511, rf.unchanged);
	EXPECT_EQ(1, rf.mapped);
	ASSERT_EQ(0, viommu_info_raw(self->v.container, &info));
	EXPECT_EQ(0, info.mapped_blocks);

	/* Unmapped and mapped again, it is one block again. */
	*gt_entry(&self->gt, iova, 2) = 0;
	ASSERT_EQ(0, viommu_refresh_raw(self->v.container, self->id, iova,
					SZ_2M, &rf));
	gt_map(&self->gt, iova, gpa, 2, true);
	ASSERT_EQ(0, viommu_refresh_raw(self->v.container, self->id, iova,
					SZ_2M, &rf));
	ASSERT_EQ(0, viommu_info_raw(self->v.container, &info));
	EXPECT_EQ(1, info.mapped_blocks);
	EXPECT_EQ(512, info.mapped_pages);
	EXPECT_EQ(512, info.pinned_pages);

	/* Removing the leaf removes the block whole. */
	*gt_entry(&self->gt, iova, 2) = 0;
	ASSERT_EQ(0, viommu_refresh_raw(self->v.container, self->id, iova,
					SZ_2M, &rf));
	EXPECT_EQ(512, rf.unmapped);
	ASSERT_EQ(0, viommu_info_raw(self->v.container, &info));
	EXPECT_EQ(0, info.mapped_blocks);
	EXPECT_EQ(0, info.mapped_pages);

	huge.memory_size = 0;
	ioctl(self->v.vm, KVM_SET_USER_MEMORY_REGION, &huge);
	munmap(hmem, 2 * SZ_2M);
}

/* The 2 MiB piece of guest frames behind piece @i after the swap below. */
static uint64_t swapped_piece(int i)
{
	return i == 3 ? 4 : i == 4 ? 3 : i;
}

/*
 * A 1 GiB guest leaf over a 1 GiB hugetlbfs page (the test VM reserves
 * one at boot: scripts/vm/run-vm.sh) is shadowed by one 1 GiB IOMMU page,
 * through which the device's DMA lands.  When the guest then makes it 512
 * 2 MiB leaves and swaps two of them, the block is split: the other 510
 * pieces stay mapped and the two swapped ones become 2 MiB blocks.
 */
TEST_F(edu, dma_1g_iommu_page)
{
	struct kvm_userspace_memory_region huge = {
		.slot = 5,
		.guest_phys_addr = SZ_1G,
		.memory_size = SZ_1G,
	};
	/* IOVA 0: edu's DMA reaches only the low 256 MiB. */
	const uint64_t iova = 0, far = 200 * SZ_1M, gpa = SZ_1G;
	const uint64_t pages = SZ_1G / SZ_4K, piece = SZ_2M / SZ_4K;
	struct kvm_viommu_refresh rf;
	struct kvm_viommu_info info;
	long pins = pins_held();
	uint8_t *hmem;
	int i;

	hmem = mmap(NULL, SZ_1G, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB |
		    30 << MAP_HUGE_SHIFT | MAP_POPULATE, -1, 0);
	if (hmem == MAP_FAILED)
		SKIP(return, "no 1 GiB hugetlbfs page (boot with hugepagesz=1G hugepages=1)");
	huge.userspace_addr = (uintptr_t)hmem;
	ASSERT_EQ(0, ioctl(self->v.vm, KVM_SET_USER_MEMORY_REGION, &huge));

	gt_map(&self->gt, iova, gpa, 3, true);
	ASSERT_EQ(0, viommu_refresh_raw(self->v.container, self->id, iova,
					SZ_1G, &rf));
	EXPECT_EQ(pages, rf.mapped);
	ASSERT_EQ(0, viommu_info_raw(self->v.container, &info));
	EXPECT_EQ(1, info.mapped_blocks);
	EXPECT_EQ(pages, info.mapped_pages);
	EXPECT_EQ(pages, info.pinned_pages);
	EXPECT_EQ(pins + (long)pages, pins_held());

	/* Through the block: 200 MiB in -> device -> page 1. */
	fill(hmem + far, 0x31, LEN);
	memset(hmem + SZ_4K, 0, LEN);
	ASSERT_EQ(0, edu_dma_to_dev(&self->e, iova + far, LEN));
	ASSERT_EQ(0, edu_dma_from_dev(&self->e, iova + SZ_4K, LEN));
	EXPECT_EQ(0, memcmp(hmem + SZ_4K, hmem + far, LEN));

	/* 512 2 MiB leaves, pieces 3 and 4 swapped. */
	*gt_entry(&self->gt, iova, 3) = 0;
	for (i = 0; i < 512; i++)
		gt_map(&self->gt, iova + i * SZ_2M,
		       gpa + swapped_piece(i) * SZ_2M, 2, true);
	ASSERT_EQ(0, viommu_refresh_raw(self->v.container, self->id, iova,
					SZ_1G, &rf));
	EXPECT_EQ(pages - 2 * piece, rf.unchanged);
	EXPECT_EQ(2 * piece, rf.mapped);
	EXPECT_EQ(2 * piece, rf.unmapped);
	ASSERT_EQ(0, viommu_info_raw(self->v.container, &info));
	EXPECT_EQ(2, info.mapped_blocks);
	EXPECT_EQ(pages, info.mapped_pages);
	EXPECT_EQ(pages, info.pinned_pages);
	EXPECT_EQ(pins + (long)pages, pins_held());

	/* Piece 100 still where it was; IOVA piece 3 now lands in piece 4. */
	memset(hmem + 3 * SZ_2M + SZ_4K, 0, LEN);
	memset(hmem + 4 * SZ_2M + SZ_4K, 0, LEN);
	ASSERT_EQ(0, edu_dma_to_dev(&self->e, iova + far, LEN));
	ASSERT_EQ(0, edu_dma_from_dev(&self->e, iova + 3 * SZ_2M + SZ_4K,
				      LEN));
	EXPECT_EQ(0, memcmp(hmem + 4 * SZ_2M + SZ_4K, hmem + far, LEN));
	for (i = 0; i < LEN; i++)
		ASSERT_EQ(0, hmem[3 * SZ_2M + SZ_4K + i]);

	/* Removing the table above them removes every mapping and pin. */
	*gt_entry(&self->gt, iova, 3) = 0;
	ASSERT_EQ(0, viommu_refresh_raw(self->v.container, self->id, iova,
					SZ_1G, &rf));
	EXPECT_EQ(pages, rf.unmapped);
	ASSERT_EQ(0, viommu_info_raw(self->v.container, &info));
	EXPECT_EQ(0, info.mapped_blocks);
	EXPECT_EQ(0, info.mapped_pages);
	EXPECT_EQ(0, info.pinned_pages);
	EXPECT_EQ(pins, pins_held());

	huge.memory_size = 0;
	ioctl(self->v.vm, KVM_SET_USER_MEMORY_REGION, &huge);
	munmap(hmem, SZ_1G);
}

/*
 * 512 contiguous 4 KiB guest leaves over one hugetlbfs page: 4 KiB IOMMU
 * pages in a plain table, one 2 MiB IOMMU page in a KVM_VIOMMU_TABLE_MERGE
 * table, which a partial unmap then splits.
 */
TEST_F(edu, dma_merge_4k_leaves)
{
	struct kvm_userspace_memory_region huge = {
		.slot = 5,
		.guest_phys_addr = 0x40000000ULL,
		.memory_size = SZ_2M,
	};
	struct kvm_viommu_set_table st = {
		.argsz = sizeof(st),
		.flags = KVM_VIOMMU_TABLE_MERGE,
		.group_id = self->v.group_id,
		.format = KVM_VIOMMU_FMT_X86_64,
		.levels = self->gt.levels,
		.root_gpa = self->gt.root,
		.aperture_last = TEST_APERTURE_LAST,
	};
	uint64_t iova = 4 * SZ_2M, gpa = huge.guest_phys_addr;
	struct kvm_viommu_refresh rf;
	struct kvm_viommu_info info;
	uint8_t *hmem;
	int fd, i;

	fd = open("/proc/sys/vm/nr_hugepages", O_WRONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(2, write(fd, "16", 2));
	close(fd);
	hmem = mmap(NULL, SZ_2M, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_POPULATE,
		    -1, 0);
	ASSERT_NE(MAP_FAILED, hmem);
	huge.userspace_addr = (uintptr_t)hmem;
	ASSERT_EQ(0, ioctl(self->v.vm, KVM_SET_USER_MEMORY_REGION, &huge));
	for (i = 0; i < 512; i++)
		gt_map(&self->gt, iova + i * SZ_4K, gpa + i * SZ_4K, 1, true);

	/* Plain table: 512 4 KiB IOMMU pages, with one iommu_map() call. */
	ASSERT_EQ(0, viommu_refresh_raw(self->v.container, self->id, iova,
					SZ_2M, &rf));
	EXPECT_EQ(512, rf.mapped);
	ASSERT_EQ(0, viommu_info_raw(self->v.container, &info));
	EXPECT_EQ(0, info.mapped_blocks);
	EXPECT_EQ(512, info.mapped_pages);

	/* Unknown table flags are refused. */
	st.flags = 1u << 1;
	EXPECT_EQ(-1, ioctl(self->v.container, KVM_VIOMMU_SET_TABLE, &st));
	EXPECT_EQ(EINVAL, errno);

	/* The same guest table with MERGE is another table: one block. */
	st.flags = KVM_VIOMMU_TABLE_MERGE;
	ASSERT_EQ(0, ioctl(self->v.container, KVM_VIOMMU_SET_TABLE, &st));
	EXPECT_NE(self->id, st.table_id);
	ASSERT_EQ(0, viommu_refresh_raw(self->v.container, st.table_id, iova,
					SZ_2M, &rf));
	EXPECT_EQ(512, rf.mapped);
	ASSERT_EQ(0, viommu_info_raw(self->v.container, &info));
	EXPECT_EQ(1, info.mapped_blocks);
	EXPECT_EQ(512, info.mapped_pages);

	/* DMA through the block: page 511 -> device -> page 1. */
	fill(hmem + SZ_2M - SZ_4K, 0x33, LEN);
	memset(hmem + SZ_4K, 0, LEN);
	ASSERT_EQ(0, edu_dma_to_dev(&self->e, iova + SZ_2M - SZ_4K, LEN));
	ASSERT_EQ(0, edu_dma_from_dev(&self->e, iova + SZ_4K, LEN));
	EXPECT_EQ(0, memcmp(hmem + SZ_4K, hmem + SZ_2M - SZ_4K, LEN));

	/* The guest unmaps page 7: split, the 511 others stay mapped. */
	gt_clear(&self->gt, iova + 7 * SZ_4K, 1);
	ASSERT_EQ(0, viommu_refresh_raw(self->v.container, st.table_id,
					iova + 7 * SZ_4K, SZ_4K, &rf));
	EXPECT_EQ(1, rf.unmapped);
	ASSERT_EQ(0, viommu_info_raw(self->v.container, &info));
	EXPECT_EQ(0, info.mapped_blocks);
	EXPECT_EQ(511, info.mapped_pages);
	memset(hmem + 2 * SZ_4K, 0, LEN);
	ASSERT_EQ(0, edu_dma_from_dev(&self->e, iova + 2 * SZ_4K, LEN));
	EXPECT_EQ(0, memcmp(hmem + 2 * SZ_4K, hmem + SZ_2M - SZ_4K, LEN));

	/* Everything goes with the guest's leaves and the memslot. */
	for (i = 0; i < 512; i++)
		gt_clear(&self->gt, iova + i * SZ_4K, 1);
	ASSERT_EQ(0, viommu_refresh_raw(self->v.container, st.table_id, iova,
					SZ_2M, &rf));
	EXPECT_EQ(511, rf.unmapped);
	huge.memory_size = 0;
	ASSERT_EQ(0, ioctl(self->v.vm, KVM_SET_USER_MEMORY_REGION, &huge));
	munmap(hmem, SZ_2M);
}

TEST_HARNESS_MAIN
