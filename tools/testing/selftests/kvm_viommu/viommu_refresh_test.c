// SPDX-License-Identifier: GPL-2.0
/*
 * kvm-viommu refresh semantics on guest tables built in guest memory:
 * what gets mapped, replaced, unmapped and refused, and what it costs in
 * pins and locked_vm.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>

#include "kselftest_harness.h"
#include "viommu_fixture.h"

#define IOVA	0x10000ULL

/* Pages pinned and mapped by the container, as it reports them. */
static void expect_counts(struct __test_metadata *_metadata, int container,
			  uint64_t pinned, uint64_t mapped)
{
	struct kvm_viommu_info info;

	ASSERT_EQ(0, viommu_info_raw(container, &info));
	EXPECT_EQ(pinned, info.pinned_pages);
	EXPECT_EQ(mapped, info.mapped_pages);
}

/* The four counts of a refresh result. */
#define EXPECT_REFRESH(rf, m, u, same, ref)		\
	expect_refresh(_metadata, &(rf), m, u, same, ref)

static void expect_refresh(struct __test_metadata *_metadata,
			   const struct kvm_viommu_refresh *rf, uint64_t mapped,
			   uint64_t unmapped, uint64_t unchanged,
			   uint64_t refused)
{
	EXPECT_EQ(mapped, rf->mapped);
	EXPECT_EQ(unmapped, rf->unmapped);
	EXPECT_EQ(unchanged, rf->unchanged);
	EXPECT_EQ(refused, rf->refused);
}

TEST_F(viommu, map_replace_unmap)
{
	int c = self->v.container;
	long pins = pins_held();
	struct kvm_viommu_refresh rf;
	uint32_t id;
	int i;

	ASSERT_EQ(0, viommu_fixture_table(&self->v, &self->gt, &id));
	for (i = 0; i < 4; i++)
		gt_map(&self->gt, IOVA + i * SZ_4K, GUEST_DATA + i * SZ_4K, 1,
		       i < 2);

	/* Nothing is mapped before the guest asks. */
	expect_counts(_metadata, c, 0, 0);

	ASSERT_EQ(0, viommu_refresh_raw(c, id, IOVA, 4 * SZ_4K, &rf));
	EXPECT_REFRESH(rf, 4, 0, 0, 0);
	EXPECT_EQ(KVM_VIOMMU_REFUSED_NONE, rf.fail_reason);
	expect_counts(_metadata, c, 4, 4);
	EXPECT_EQ(pins + 4, pins_held());
	EXPECT_EQ(16, vm_locked_kb());

	/* Unchanged entries are neither re-pinned nor re-mapped. */
	ASSERT_EQ(0, viommu_refresh_raw(c, id, IOVA, 4 * SZ_4K, &rf));
	EXPECT_REFRESH(rf, 0, 0, 4, 0);
	EXPECT_EQ(pins + 4, pins_held());

	/* New target for page 0, write granted on page 2, page 3 cleared. */
	gt_map(&self->gt, IOVA, GUEST_DATA + 8 * SZ_4K, 1, true);
	gt_map(&self->gt, IOVA + 2 * SZ_4K, GUEST_DATA + 2 * SZ_4K, 1, true);
	gt_clear(&self->gt, IOVA + 3 * SZ_4K, 1);
	ASSERT_EQ(0, viommu_refresh_raw(c, id, IOVA, 4 * SZ_4K, &rf));
	EXPECT_REFRESH(rf, 2, 3, 1, 0);
	expect_counts(_metadata, c, 3, 3);
	EXPECT_EQ(pins + 3, pins_held());
	EXPECT_EQ(12, vm_locked_kb());

	/* A refresh outside the changed range changes nothing. */
	gt_clear(&self->gt, IOVA, 1);
	ASSERT_EQ(0, viommu_refresh_raw(c, id, IOVA + SZ_4K, SZ_4K, &rf));
	EXPECT_REFRESH(rf, 0, 0, 1, 0);
	expect_counts(_metadata, c, 3, 3);

	/* Clearing a whole table level unmaps everything below it. */
	*gt_entry(&self->gt, IOVA, 2) = 0;
	ASSERT_EQ(0, viommu_refresh_raw(c, id, 0, SZ_2M, &rf));
	EXPECT_REFRESH(rf, 0, 3, 0, 0);
	expect_counts(_metadata, c, 0, 0);
	EXPECT_EQ(pins, pins_held());
	EXPECT_EQ(0, vm_locked_kb());

	struct kvm_viommu_info info;

	ASSERT_EQ(0, viommu_info_raw(c, &info));
	EXPECT_EQ(5, info.refreshes);
	EXPECT_EQ(0, info.refusals);
}

/* GET_INFO's kept_path_walks. */
static uint64_t kept_path_walks(struct __test_metadata *_metadata, int c)
{
	struct kvm_viommu_info info;

	EXPECT_EQ(0, viommu_info_raw(c, &info));
	return info.kept_path_walks;
}

/*
 * KVM_VIOMMU_REFRESH_LEAF_ONLY: the guest's word that no table entry on
 * the way changed.  The uAPI lets the kernel take it; this implementation
 * does (the table entries of the last walk are used as they were read, as
 * an IOMMU's paging-structure cache would) until a refresh without it, or
 * a new table: the guest breaks its word here to make that visible.
 * GET_INFO's kept_path_walks counts the walks that took it.
 */
TEST_F(viommu, leaf_only)
{
	const uint32_t leaf = KVM_VIOMMU_REFRESH_LEAF_ONLY;
	int c = self->v.container;
	long pins = pins_held();
	struct kvm_viommu_refresh rf;
	uint32_t id, id2;

	ASSERT_EQ(0, viommu_fixture_table(&self->v, &self->gt, &id));
	EXPECT_EQ(0, kept_path_walks(_metadata, c));
	/* The probe kvm_viommu.rst gives VMMs. */
	EXPECT_EQ(-ENOENT, viommu_refresh_flags_raw(c, 0, leaf, 0, SZ_4K,
						    NULL));
	EXPECT_EQ(-EINVAL, viommu_refresh_flags_raw(c, id, 2, IOVA, SZ_4K,
						    NULL));
	EXPECT_EQ(-EINVAL, viommu_refresh_flags_raw(c, id, ~leaf, IOVA, SZ_4K,
						    NULL));

	/* Nothing kept yet: the first flagged refresh reads every level. */
	gt_map(&self->gt, IOVA, GUEST_DATA, 1, true);
	ASSERT_EQ(0, viommu_refresh_flags_raw(c, id, leaf, IOVA, SZ_4K, &rf));
	EXPECT_REFRESH(rf, 1, 0, 0, 0);
	EXPECT_EQ(0, kept_path_walks(_metadata, c));

	/* A leaf that changes is seen. */
	gt_map(&self->gt, IOVA, GUEST_DATA + SZ_4K, 1, true);
	gt_map(&self->gt, IOVA + SZ_4K, GUEST_DATA + 2 * SZ_4K, 1, false);
	ASSERT_EQ(0, viommu_refresh_flags_raw(c, id, leaf, IOVA, 2 * SZ_4K,
					      &rf));
	EXPECT_REFRESH(rf, 2, 1, 0, 0);
	expect_counts(_metadata, c, 2, 2);
	EXPECT_EQ(1, kept_path_walks(_metadata, c));

	/*
	 * Outside the kept page table: from the top, down to the page
	 * directory's empty entry; that directory is kept instead, and the
	 * next flagged refresh of IOVA starts there.
	 */
	ASSERT_EQ(0, viommu_refresh_flags_raw(c, id, leaf, IOVA + SZ_2M,
					      SZ_4K, &rf));
	EXPECT_REFRESH(rf, 0, 0, 0, 0);
	EXPECT_EQ(1, kept_path_walks(_metadata, c));
	ASSERT_EQ(0, viommu_refresh_flags_raw(c, id, leaf, IOVA, 2 * SZ_4K,
					      &rf));
	EXPECT_REFRESH(rf, 0, 0, 2, 0);
	EXPECT_EQ(2, kept_path_walks(_metadata, c));

	/*
	 * The guest breaks its word: the level 2 entry now points to a new
	 * page table, which maps IOVA to another frame and IOVA + 4 KiB to
	 * nothing.  With the flag the old page table is still used; without
	 * it the new one is, and kept for the next flagged refresh.
	 */
	*gt_entry(&self->gt, IOVA, 2) = 0;
	gt_map(&self->gt, IOVA, GUEST_DATA + 3 * SZ_4K, 1, true);
	ASSERT_EQ(0, viommu_refresh_flags_raw(c, id, leaf, IOVA, 2 * SZ_4K,
					      &rf));
	EXPECT_REFRESH(rf, 0, 0, 2, 0);
	ASSERT_EQ(0, viommu_refresh_raw(c, id, IOVA, 2 * SZ_4K, &rf));
	EXPECT_REFRESH(rf, 1, 2, 0, 0);
	EXPECT_EQ(3, kept_path_walks(_metadata, c));
	ASSERT_EQ(0, viommu_refresh_flags_raw(c, id, leaf, IOVA, 2 * SZ_4K,
					      &rf));
	EXPECT_REFRESH(rf, 0, 0, 1, 0);
	expect_counts(_metadata, c, 1, 1);
	EXPECT_EQ(pins + 1, pins_held());
	EXPECT_EQ(4, kept_path_walks(_metadata, c));

	/*
	 * Broken again, then the table is replaced by a new one over the
	 * same guest table: its first flagged refresh reads every level.
	 */
	*gt_entry(&self->gt, IOVA, 2) = 0;
	gt_clear(&self->gt, IOVA, 1);
	ASSERT_EQ(0, viommu_set_table_raw(c, self->v.group_id,
					  KVM_VIOMMU_FMT_NONE, 0, 0, 0, 0,
					  NULL));
	expect_counts(_metadata, c, 0, 0);
	ASSERT_EQ(0, viommu_set_table_raw(c, self->v.group_id,
					  KVM_VIOMMU_FMT_X86_64,
					  self->gt.levels, self->gt.root, 0,
					  TEST_APERTURE_LAST, &id2));
	ASSERT_EQ(0, viommu_refresh_flags_raw(c, id2, leaf, IOVA, 2 * SZ_4K,
					      &rf));
	EXPECT_REFRESH(rf, 0, 0, 0, 0);
	expect_counts(_metadata, c, 0, 0);
	EXPECT_EQ(pins, pins_held());
	EXPECT_EQ(0, vm_locked_kb());
	EXPECT_EQ(4, kept_path_walks(_metadata, c));
}

TEST_F(viommu, large_leaves)
{
	int c = self->v.container;
	struct kvm_viommu_refresh rf;
	uint32_t id;

	ASSERT_EQ(0, viommu_fixture_table(&self->v, &self->gt, &id));

	/* A 2 MiB leaf, refreshed half then whole. */
	gt_map(&self->gt, SZ_2M, GUEST_DATA, 2, true);
	ASSERT_EQ(0, viommu_refresh_raw(c, id, SZ_2M, SZ_2M / 2, &rf));
	EXPECT_REFRESH(rf, 256, 0, 0, 0);
	ASSERT_EQ(0, viommu_refresh_raw(c, id, SZ_2M, SZ_2M, &rf));
	EXPECT_REFRESH(rf, 256, 0, 256, 0);
	EXPECT_EQ(2048, vm_locked_kb());

	/* A 1 GiB leaf over GPA 0: only the 64 MiB memslot is guest memory. */
	gt_map(&self->gt, SZ_1G, 0, 3, true);
	ASSERT_EQ(0, viommu_refresh_raw(c, id, SZ_1G + 0x5000, 8 * SZ_4K, &rf));
	EXPECT_REFRESH(rf, 8, 0, 0, 0);
	ASSERT_EQ(0, viommu_refresh_raw(c, id, SZ_1G + GUEST_MEM_SIZE - SZ_1M,
					SZ_2M, &rf));
	EXPECT_REFRESH(rf, 256, 0, 0, 256);
	EXPECT_EQ(SZ_1G + GUEST_MEM_SIZE, rf.fail_iova);
	EXPECT_EQ(KVM_VIOMMU_REFUSED_NO_MEMSLOT, rf.fail_reason);
	expect_counts(_metadata, c, 512 + 8 + 256, 512 + 8 + 256);

	/* Large leaves are split into 4 KiB pages: a retarget is per page. */
	gt_map(&self->gt, SZ_2M, GUEST_DATA + SZ_2M, 2, false);
	ASSERT_EQ(0, viommu_refresh_raw(c, id, SZ_2M, SZ_2M, &rf));
	EXPECT_REFRESH(rf, 512, 512, 0, 0);
}

TEST_F(viommu, refusals)
{
	int c = self->v.container;
	struct kvm_viommu_refresh rf;
	struct kvm_viommu_info info;
	uint32_t id;

	ASSERT_EQ(0, viommu_fixture_table(&self->v, &self->gt, &id));

	/* Outside every memslot. */
	gt_map(&self->gt, IOVA, 0x10000000, 1, true);
	ASSERT_EQ(0, viommu_refresh_raw(c, id, IOVA, SZ_4K, &rf));
	EXPECT_REFRESH(rf, 0, 0, 0, 1);
	EXPECT_EQ(IOVA, rf.fail_iova);
	EXPECT_EQ(KVM_VIOMMU_REFUSED_NO_MEMSLOT, rf.fail_reason);

	/* Read-only memslot: a read-only leaf maps, a writable one does not. */
	gt_map(&self->gt, IOVA, GUEST_RO_GPA, 1, false);
	gt_map(&self->gt, IOVA + SZ_4K, GUEST_RO_GPA + SZ_4K, 1, true);
	ASSERT_EQ(0, viommu_refresh_raw(c, id, IOVA, 2 * SZ_4K, &rf));
	EXPECT_REFRESH(rf, 1, 0, 0, 1);
	EXPECT_EQ(IOVA + SZ_4K, rf.fail_iova);
	EXPECT_EQ(KVM_VIOMMU_REFUSED_READONLY_SLOT, rf.fail_reason);

	/* A mapped page whose entry turns bad is unmapped, then refused. */
	*gt_entry(&self->gt, IOVA, 2) = GUEST_DATA | (1ULL << 13) | PTE_P |
					PTE_PS;
	ASSERT_EQ(0, viommu_refresh_raw(c, id, IOVA, 2 * SZ_4K, &rf));
	EXPECT_REFRESH(rf, 0, 1, 0, 2);
	EXPECT_EQ(IOVA, rf.fail_iova);
	EXPECT_EQ(KVM_VIOMMU_REFUSED_RESERVED_BITS, rf.fail_reason);

	/* PS in a PML4E is reserved. */
	*gt_entry(&self->gt, 0, 4) = GUEST_DATA | PTE_P | PTE_RW | PTE_PS;
	ASSERT_EQ(0, viommu_refresh_raw(c, id, 0, 4 * SZ_4K, &rf));
	EXPECT_REFRESH(rf, 0, 0, 0, 4);
	EXPECT_EQ(KVM_VIOMMU_REFUSED_RESERVED_BITS, rf.fail_reason);

	/* A table outside guest memory: its whole span is refused. */
	*gt_entry(&self->gt, 0, 4) = 0x20000000 | PTE_P | PTE_RW;
	ASSERT_EQ(0, viommu_refresh_raw(c, id, 0, TEST_APERTURE_LAST + 1,
					&rf));
	EXPECT_REFRESH(rf, 0, 0, 0, (TEST_APERTURE_LAST + 1) / SZ_4K);
	EXPECT_EQ(0, rf.fail_iova);
	EXPECT_EQ(KVM_VIOMMU_REFUSED_TABLE_FAULT, rf.fail_reason);

	/*
	 * A table entry pointing back at the root: read as a lower level,
	 * never followed forever; whatever it maps is guest memory.
	 */
	gt_init(&self->gt, self->v.mem, 4);
	*gt_entry(&self->gt, 0, 2) = self->gt.root | PTE_P | PTE_RW;
	ASSERT_EQ(0, viommu_refresh_raw(c, id, 0, SZ_2M, &rf));
	EXPECT_EQ(0, rf.refused);
	ASSERT_EQ(0, viommu_info_raw(c, &info));
	EXPECT_EQ(info.pinned_pages, info.mapped_pages);
	EXPECT_EQ(rf.mapped, info.mapped_pages);
}

TEST_F(viommu, five_levels)
{
	int c = self->v.container;
	struct kvm_viommu_refresh rf;
	uint32_t id;

	gt_init(&self->gt, self->v.mem, 5);
	ASSERT_EQ(0, viommu_fixture_table(&self->v, &self->gt, &id));
	gt_map(&self->gt, IOVA, GUEST_DATA, 1, true);
	gt_map(&self->gt, SZ_1G, 0, 3, true);
	ASSERT_EQ(0, viommu_refresh_raw(c, id, IOVA, SZ_4K, &rf));
	EXPECT_REFRESH(rf, 1, 0, 0, 0);
	ASSERT_EQ(0, viommu_refresh_raw(c, id, SZ_1G, 4 * SZ_4K, &rf));
	EXPECT_REFRESH(rf, 4, 0, 0, 0);
}

/* A guest frame mapped at many IOVAs is pinned and charged once. */
TEST_F(viommu, one_frame_many_iovas)
{
	int c = self->v.container;
	struct kvm_viommu_refresh rf;
	long pins = pins_held();
	uint32_t id;
	int i;

	ASSERT_EQ(0, viommu_fixture_table(&self->v, &self->gt, &id));
	for (i = 0; i < 64; i++)
		gt_map(&self->gt, IOVA + i * SZ_4K, GUEST_DATA, 1, i & 1);
	ASSERT_EQ(0, viommu_refresh_raw(c, id, IOVA, 64 * SZ_4K, &rf));
	EXPECT_REFRESH(rf, 64, 0, 0, 0);
	expect_counts(_metadata, c, 1, 64);
	EXPECT_EQ(4, vm_locked_kb());
	EXPECT_EQ(pins + 1, pins_held());

	for (i = 0; i < 63; i++)
		gt_clear(&self->gt, IOVA + i * SZ_4K, 1);
	ASSERT_EQ(0, viommu_refresh_raw(c, id, IOVA, 64 * SZ_4K, &rf));
	EXPECT_REFRESH(rf, 0, 63, 1, 0);
	expect_counts(_metadata, c, 1, 1);
	EXPECT_EQ(pins + 1, pins_held());

	gt_clear(&self->gt, IOVA + 63 * SZ_4K, 1);
	ASSERT_EQ(0, viommu_refresh_raw(c, id, IOVA, 64 * SZ_4K, &rf));
	expect_counts(_metadata, c, 0, 0);
	EXPECT_EQ(pins, pins_held());
	EXPECT_EQ(0, vm_locked_kb());
}

/*
 * A hostile table: one page whose entries all point at itself, so every
 * IOVA maps that page.  It costs one pin, not one per IOVA page.
 */
TEST_F(viommu, self_referencing_table)
{
	int c = self->v.container;
	struct kvm_viommu_refresh rf;
	uint64_t *root = (uint64_t *)(self->v.mem + self->gt.root);
	uint32_t id;
	int i;

	for (i = 0; i < 512; i++)
		root[i] = self->gt.root | PTE_P | PTE_RW;
	ASSERT_EQ(0, viommu_fixture_table(&self->v, &self->gt, &id));
	ASSERT_EQ(0, viommu_refresh_raw(c, id, 0, 64ULL << 20, &rf));
	EXPECT_REFRESH(rf, 16384, 0, 0, 0);
	expect_counts(_metadata, c, 1, 16384);
	EXPECT_EQ(4, vm_locked_kb());
}

/* Read module parameter @name into @buf, without its newline. */
static int get_param(const char *name, char *buf, size_t len)
{
	char path[128];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/module/kvm_viommu/parameters/%s",
		 name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

static int set_param(const char *name, const char *val)
{
	char path[128];
	int ret = 0, fd;

	snprintf(path, sizeof(path), "/sys/module/kvm_viommu/parameters/%s",
		 name);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) != (ssize_t)strlen(val))
		ret = -errno;
	close(fd);
	return ret;
}

#define MANY_IOVA	(8 * SZ_2M)

/*
 * Map 4096 pages at IOVA from 16 MiB: 2048 consecutive frames, then 2048
 * frames two apart (read-only and writable in turn): each a run of its own.
 * Refresh them into @rf; return the ioctl's result.
 */
static int map_4096(int c, struct gtable *gt, uint32_t id,
		    struct kvm_viommu_refresh *rf)
{
	int i;

	for (i = 0; i < 4096; i++)
		gt_map(gt, MANY_IOVA + i * SZ_4K,
		       GUEST_DATA + (i < 2048 ? i : 2 * i) * SZ_4K, 1,
		       i < 2048 || (i & 1));
	return viommu_refresh_raw(c, id, MANY_IOVA, 8 * SZ_2M, rf);
}

/* Unmap them with one refresh; return its IOTLB syncs. */
static uint64_t unmap_4096(struct __test_metadata *_metadata, int c,
			   struct gtable *gt, uint32_t id)
{
	struct kvm_viommu_info i0, i1;
	struct kvm_viommu_refresh rf;
	int i;

	for (i = 0; i < 8; i++)
		*gt_entry(gt, MANY_IOVA + i * SZ_2M, 2) = 0;
	EXPECT_EQ(0, viommu_info_raw(c, &i0));
	EXPECT_EQ(0, viommu_refresh_raw(c, id, MANY_IOVA, 8 * SZ_2M, &rf));
	EXPECT_EQ(0, viommu_info_raw(c, &i1));
	EXPECT_REFRESH(rf, 0, 4096, 0, 0);
	/* One call per run of IOVA pages within a shadow leaf. */
	EXPECT_EQ(8, i1.iommu_unmaps - i0.iommu_unmaps);
	return i1.iotlb_syncs - i0.iotlb_syncs;
}

/*
 * Unmapping releases the pins only after the IOTLB sync, and a refresh
 * syncs once however many pages it unmaps, unless more are waiting than
 * max_pending_unpins allows.
 */
TEST_F(viommu, unmap_syncs_once)
{
	int c = self->v.container;
	struct kvm_viommu_refresh rf;
	long pins = pins_held();
	uint64_t syncs;
	char old[32];
	uint32_t id;
	int i;

	ASSERT_EQ(0, viommu_fixture_table(&self->v, &self->gt, &id));
	ASSERT_EQ(0, map_4096(c, &self->gt, id, &rf));
	EXPECT_REFRESH(rf, 4096, 0, 0, 0);
	expect_counts(_metadata, c, 4096, 4096);
	EXPECT_EQ(pins + 4096, pins_held());
	EXPECT_EQ(4096 * 4, vm_locked_kb());

	EXPECT_EQ(1, unmap_4096(_metadata, c, &self->gt, id));
	expect_counts(_metadata, c, 0, 0);
	EXPECT_EQ(pins, pins_held());
	EXPECT_EQ(0, vm_locked_kb());

	/* At most 1000 waiting: early syncs, and still every pin goes. */
	ASSERT_EQ(0, map_4096(c, &self->gt, id, &rf));
	EXPECT_REFRESH(rf, 4096, 0, 0, 0);
	ASSERT_EQ(0, get_param("max_pending_unpins", old, sizeof(old)));
	ASSERT_EQ(0, set_param("max_pending_unpins", "1000"));
	syncs = unmap_4096(_metadata, c, &self->gt, id);
	ASSERT_EQ(0, set_param("max_pending_unpins", old));
	/* Every early sync releases at least 1000 pages. */
	EXPECT_LE(2, syncs);
	EXPECT_GE(5, syncs);
	expect_counts(_metadata, c, 0, 0);
	EXPECT_EQ(pins, pins_held());
	EXPECT_EQ(0, vm_locked_kb());

	/*
	 * Every page moved to another frame in one refresh: the old frames
	 * wait for a sync while new ones are pinned, at most 512 of them
	 * beyond locked_vm, so it syncs now and then; none is lost.
	 */
	ASSERT_EQ(0, map_4096(c, &self->gt, id, &rf));
	for (i = 0; i < 4096; i++)
		gt_map(&self->gt, MANY_IOVA + i * SZ_4K,
		       GUEST_DATA + (8192 + i) * SZ_4K, 1, true);
	ASSERT_EQ(0, viommu_refresh_raw(c, id, MANY_IOVA, 8 * SZ_2M, &rf));
	EXPECT_REFRESH(rf, 4096, 4096, 0, 0);
	expect_counts(_metadata, c, 4096, 4096);
	EXPECT_EQ(pins + 4096, pins_held());
	EXPECT_EQ(4096 * 4, vm_locked_kb());
	EXPECT_EQ(1, unmap_4096(_metadata, c, &self->gt, id));
	EXPECT_EQ(pins, pins_held());
	EXPECT_EQ(0, vm_locked_kb());
}

/* The host's bound on IOVA pages per container (not locked_vm). */
TEST_F(viommu, mapped_pages_limit)
{
	int c = self->v.container;
	struct kvm_viommu_refresh rf;
	uint32_t id;
	int i;

	ASSERT_EQ(0, viommu_fixture_table(&self->v, &self->gt, &id));
	/* One guest frame everywhere: locked_vm alone would not stop it. */
	for (i = 0; i < 64; i++)
		gt_map(&self->gt, IOVA + i * SZ_4K, GUEST_DATA, 1, true);
	ASSERT_EQ(0, set_param("max_mapped_pages", "16"));
	ASSERT_EQ(0, viommu_refresh_raw(c, id, IOVA, 64 * SZ_4K, &rf));
	ASSERT_EQ(0, set_param("max_mapped_pages", "67108864"));
	EXPECT_REFRESH(rf, 16, 0, 0, 48);
	EXPECT_EQ(IOVA + 16 * SZ_4K, rf.fail_iova);
	EXPECT_EQ(KVM_VIOMMU_REFUSED_LIMIT, rf.fail_reason);
	expect_counts(_metadata, c, 1, 16);

	ASSERT_EQ(0, viommu_refresh_raw(c, id, IOVA, 64 * SZ_4K, &rf));
	EXPECT_REFRESH(rf, 48, 0, 16, 0);
}

/* The host's reserved IOVAs (x86: the MSI window) are never mapped. */
TEST_F(viommu, reserved_iova)
{
	int c = self->v.container;
	struct kvm_viommu_refresh rf;
	uint32_t id;

	ASSERT_EQ(0, viommu_bind_raw(c, self->v.vm));
	ASSERT_EQ(0, viommu_set_table_raw(c, self->v.group_id,
					  KVM_VIOMMU_FMT_X86_64, 4,
					  self->gt.root, 0, 0xffffffffULL,
					  &id));
	/* A 2 MiB leaf whose first half is the MSI window. */
	gt_map(&self->gt, 0xfee00000ULL, GUEST_DATA, 2, true);
	gt_map(&self->gt, 0xfec00000ULL + SZ_4K, GUEST_DATA, 1, true);
	ASSERT_EQ(0, viommu_refresh_raw(c, id, 0xfec00000ULL, 2 * SZ_2M, &rf));
	EXPECT_REFRESH(rf, 257, 0, 0, 256);
	EXPECT_EQ(0xfee00000ULL, rf.fail_iova);
	EXPECT_EQ(KVM_VIOMMU_REFUSED_RESERVED_IOVA, rf.fail_reason);
	ASSERT_EQ(0, viommu_refresh_raw(c, id, 0xfec00000ULL, 2 * SZ_2M, &rf));
	EXPECT_REFRESH(rf, 0, 0, 257, 256);
}

/* Drop CAP_IPC_LOCK so that RLIMIT_MEMLOCK applies to us. */
static int drop_ipc_lock(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	data[CAP_IPC_LOCK / 32].effective &= ~(1u << (CAP_IPC_LOCK % 32));
	data[CAP_IPC_LOCK / 32].permitted &= ~(1u << (CAP_IPC_LOCK % 32));
	return syscall(SYS_capset, &hdr, data) ? -errno : 0;
}

TEST_F(viommu, memlock_limit)
{
	struct rlimit lim = { 16 * SZ_4K, 16 * SZ_4K };
	int c = self->v.container;
	struct kvm_viommu_refresh rf;
	long pins = pins_held();
	uint32_t id;
	int i;

	ASSERT_EQ(0, drop_ipc_lock());
	ASSERT_EQ(0, setrlimit(RLIMIT_MEMLOCK, &lim));
	ASSERT_EQ(0, viommu_fixture_table(&self->v, &self->gt, &id));

	for (i = 0; i < 64; i++)
		gt_map(&self->gt, IOVA + i * SZ_4K, GUEST_DATA + i * SZ_4K, 1,
		       true);
	ASSERT_EQ(0, viommu_refresh_raw(c, id, IOVA, 64 * SZ_4K, &rf));
	EXPECT_REFRESH(rf, 16, 0, 0, 48);
	EXPECT_EQ(IOVA + 16 * SZ_4K, rf.fail_iova);
	EXPECT_EQ(KVM_VIOMMU_REFUSED_MEMLOCK, rf.fail_reason);
	EXPECT_EQ(64, vm_locked_kb());
	EXPECT_EQ(pins + 16, pins_held());
	expect_counts(_metadata, c, 16, 16);

	/* At the limit, replacing an entry still works. */
	gt_map(&self->gt, IOVA, GUEST_DATA + 100 * SZ_4K, 1, true);
	ASSERT_EQ(0, viommu_refresh_raw(c, id, IOVA, SZ_4K, &rf));
	EXPECT_REFRESH(rf, 1, 1, 0, 0);

	/* Guest unmaps pages 0..15 and remaps them; only 48..63 refreshed. */
	for (i = 0; i < 16; i++)
		gt_clear(&self->gt, IOVA + i * SZ_4K, 1);
	ASSERT_EQ(0, viommu_refresh_raw(c, id, IOVA, 16 * SZ_4K, &rf));
	EXPECT_REFRESH(rf, 0, 16, 0, 0);
	EXPECT_EQ(0, vm_locked_kb());
	for (i = 0; i < 16; i++)
		gt_map(&self->gt, IOVA + i * SZ_4K, GUEST_DATA + i * SZ_4K, 1,
		       true);
	ASSERT_EQ(0, viommu_refresh_raw(c, id, IOVA + 48 * SZ_4K, 16 * SZ_4K,
					&rf));
	EXPECT_REFRESH(rf, 16, 0, 0, 0);

	/*
	 * The stale entry at page 60 is removed before the batch's new pages
	 * are pinned, so page 0 gets its room; after the MEMLOCK refusal at
	 * page 1 nothing more is pinned, page 60's new frame included.
	 */
	gt_map(&self->gt, IOVA + 60 * SZ_4K, GUEST_DATA + 200 * SZ_4K, 1,
	       true);
	ASSERT_EQ(0, viommu_refresh_raw(c, id, IOVA, 64 * SZ_4K, &rf));
	EXPECT_REFRESH(rf, 1, 1, 15, 48);
	EXPECT_EQ(IOVA + SZ_4K, rf.fail_iova);
	EXPECT_EQ(KVM_VIOMMU_REFUSED_MEMLOCK, rf.fail_reason);
	EXPECT_EQ(64, vm_locked_kb());
	EXPECT_EQ(pins + 16, pins_held());

	/* With room again, the rest maps. */
	lim.rlim_cur = 64 * SZ_4K;
	lim.rlim_max = 64 * SZ_4K;
	ASSERT_EQ(0, setrlimit(RLIMIT_MEMLOCK, &lim));
	ASSERT_EQ(0, viommu_refresh_raw(c, id, IOVA, 64 * SZ_4K, &rf));
	EXPECT_REFRESH(rf, 48, 0, 16, 0);
	EXPECT_EQ(256, vm_locked_kb());
	EXPECT_EQ(pins + 64, pins_held());
}

/* With CAP_IPC_LOCK, RLIMIT_MEMLOCK does not apply (as in type1). */
TEST_F(viommu, memlock_cap_ipc_lock)
{
	struct rlimit lim = { 16 * SZ_4K, 16 * SZ_4K };
	int c = self->v.container;
	struct kvm_viommu_refresh rf;
	uint32_t id;
	int i;

	ASSERT_EQ(0, setrlimit(RLIMIT_MEMLOCK, &lim));
	ASSERT_EQ(0, viommu_fixture_table(&self->v, &self->gt, &id));
	for (i = 0; i < 64; i++)
		gt_map(&self->gt, IOVA + i * SZ_4K, GUEST_DATA + i * SZ_4K, 1,
		       true);
	ASSERT_EQ(0, viommu_refresh_raw(c, id, IOVA, 64 * SZ_4K, &rf));
	EXPECT_REFRESH(rf, 64, 0, 0, 0);
	/* Still charged, just not limited. */
	EXPECT_EQ(256, vm_locked_kb());
}

/* Memory backed by guest_memfd has nothing to pin: refused. */
TEST_F(viommu, guest_memfd_refused)
{
	struct kvm_create_guest_memfd gmem = { .size = SZ_2M };
	struct kvm_userspace_memory_region2 region = {
		.slot = 2,
		.flags = KVM_MEM_GUEST_MEMFD,
		.guest_phys_addr = 0x10000000,
		.memory_size = SZ_2M,
	};
	int c = self->v.container;
	struct kvm_viommu_refresh rf;
	void *shared;
	uint32_t id;
	int fd;

	if (ioctl(self->v.vm, KVM_CHECK_EXTENSION, KVM_CAP_GUEST_MEMFD) <= 0)
		SKIP(return, "this kernel has no guest_memfd for plain VMs");
	fd = ioctl(self->v.vm, KVM_CREATE_GUEST_MEMFD, &gmem);
	ASSERT_LE(0, fd);
	shared = mmap(NULL, SZ_2M, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, shared);
	region.userspace_addr = (uintptr_t)shared;
	region.guest_memfd = fd;
	ASSERT_EQ(0, ioctl(self->v.vm, KVM_SET_USER_MEMORY_REGION2, &region));

	ASSERT_EQ(0, viommu_fixture_table(&self->v, &self->gt, &id));
	gt_map(&self->gt, IOVA, 0x10000000, 1, true);
	ASSERT_EQ(0, viommu_refresh_raw(c, id, IOVA, SZ_4K, &rf));
	EXPECT_REFRESH(rf, 0, 0, 0, 1);
	EXPECT_EQ(KVM_VIOMMU_REFUSED_PRIVATE, rf.fail_reason);
	/* Nor is a guest table read from it. */
	*gt_entry(&self->gt, SZ_1G, 3) = 0x10000000 | PTE_P | PTE_RW;
	ASSERT_EQ(0, viommu_refresh_raw(c, id, SZ_1G, SZ_4K, &rf));
	EXPECT_EQ(KVM_VIOMMU_REFUSED_TABLE_FAULT, rf.fail_reason);
	close(fd);
}

TEST_HARNESS_MAIN
