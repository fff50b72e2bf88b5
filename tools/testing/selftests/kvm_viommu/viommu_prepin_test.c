// SPDX-License-Identifier: GPL-2.0
/*
 * kvm-viommu pre-pinned memory and memslot deletion: KVM_VIOMMU_BIND_PREPIN,
 * KVM_VIOMMU_PREPIN, what deleting a memslot does to the IOVAs that map it
 * (in both pinning modes), and the GET_INFO counters of IOMMU calls and of
 * the engine's own memory.
 *
 * Pins are checked from outside the module as well as through GET_INFO:
 * pins held system-wide (/proc/vmstat), this process's locked_vm (VmLck)
 * and, where it matters, the bytes the edu device really moves.  A DMA the
 * IOMMU refuses makes the host kernel log a DMAR fault: expected.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>

#include "kselftest_harness.h"
#include "viommu_fixture.h"

#define IOVA		0x10000ULL
#define SLOT0_PAGES	(GUEST_MEM_SIZE / SZ_4K)
#define RO_PAGES	(GUEST_RO_SIZE / SZ_4K)
/* Every page of the fixture's memslots: slot 0 and the read-only slot 1. */
#define VM_PAGES	(SLOT0_PAGES + RO_PAGES)
/* Pages of guest memory one 4 KiB leaf of the pin table or a shadow covers. */
#define LEAF_PAGES	512

/* A second read-write memslot with memory of its own. */
#define EXTRA_SLOT	2
#define EXTRA_GPA	0x10000000ULL
#define EXTRA_SIZE	SZ_2M
#define EXTRA_PAGES	(EXTRA_SIZE / SZ_4K)
/* A memslot created after the bind. */
#define LATE_SLOT	3
#define LATE_GPA	0x20000000ULL
/* A memslot over one 2 MiB huge page. */
#define HUGE_SLOT	5
#define HUGE_GPA	0x40000000ULL

/* IOVAs of the memslot fixture: slot 0, EXTRA_SLOT, LATE_SLOT. */
#define IOVA_A		0x200000ULL
#define IOVA_B		0x400000ULL
#define IOVA_C		0x600000ULL
#define LEN		256

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

/* What pinning costs, seen by the container and from outside it. */
struct acct {
	uint64_t pinned;	/* GET_INFO pinned_pages */
	long pins;		/* pins held system-wide */
	long locked_kb;		/* VmLck */
};

static void acct_read(struct __test_metadata *_metadata, int c,
		      struct acct *a)
{
	struct kvm_viommu_info info;

	ASSERT_EQ(0, viommu_info_raw(c, &info));
	a->pinned = info.pinned_pages;
	a->pins = pins_held();
	a->locked_kb = vm_locked_kb();
}

/* @pages more guest pages pinned than at @base, by every measure. */
#define EXPECT_PINNED(base, pages)				\
	expect_pinned(_metadata, self->v.container, &(base), (pages))

static void expect_pinned(struct __test_metadata *_metadata, int c,
			  const struct acct *base, long pages)
{
	struct acct now;

	acct_read(_metadata, c, &now);
	EXPECT_EQ(base->pinned + pages, now.pinned);
	EXPECT_EQ(base->pins + pages, now.pins);
	EXPECT_EQ(base->locked_kb + pages * 4, now.locked_kb);
}

/* A KVM_VIOMMU_PREPIN that must succeed: pages pinned (or released). */
#define PREPIN_OK(flags, gpa, size)				\
	prepin_ok(_metadata, self->v.container, flags, gpa, size)

static uint64_t prepin_ok(struct __test_metadata *_metadata, int c,
			  uint32_t flags, uint64_t gpa, uint64_t size)
{
	struct kvm_viommu_prepin pp;
	int ret;

	ret = viommu_prepin_raw(c, flags, gpa, size, &pp);
	EXPECT_EQ(0, ret);
	if (ret)
		return ~0ULL;
	if (flags & KVM_VIOMMU_PREPIN_RELEASE) {
		EXPECT_EQ(0, pp.pinned);
		return pp.released;
	}
	EXPECT_EQ(0, pp.released);
	return pp.pinned;
}

/* @n consecutive 4 KiB leaves from @iova to guest pages from @gpa. */
static void gt_map_run(struct gtable *gt, uint64_t iova, uint64_t gpa, int n,
		       bool write)
{
	int i;

	for (i = 0; i < n; i++)
		gt_map(gt, iova + i * SZ_4K, gpa + i * SZ_4K, 1, write);
}

static void gt_clear_run(struct gtable *gt, uint64_t iova, int n)
{
	int i;

	for (i = 0; i < n; i++)
		gt_clear(gt, iova + i * SZ_4K, 1);
}

static int table_at(struct vmm *v, uint64_t root, uint32_t *id)
{
	return viommu_set_table_raw(v->container, v->group_id,
				    KVM_VIOMMU_FMT_X86_64, 4, root, 0,
				    TEST_APERTURE_LAST, id);
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

static int memlock_pages(uint64_t pages)
{
	struct rlimit lim = { pages * SZ_4K, pages * SZ_4K };

	return setrlimit(RLIMIT_MEMLOCK, &lim) ? -errno : 0;
}

static uint8_t *anon(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static void fill(uint8_t *p, uint8_t seed, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = seed + i * 7;
}

/* FNV-1a: did anything change anywhere in [@p, @p + @len)? */
static uint64_t hash(const uint8_t *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < len; i += 8) {
		h ^= *(const uint64_t *)(p + i);
		h *= 0x100000001b3ULL;
	}
	return h;
}

/*
 * KVM_VIOMMU_BIND_PREPIN pins every page of every user memslot at bind,
 * once; refreshes then only look pages up, and nothing is released before
 * the container goes.
 */
TEST_F(viommu, bind_prepin_pins_every_memslot)
{
	int c = self->v.container;
	struct kvm_viommu_refresh rf;
	struct kvm_viommu_info info;
	struct acct base;
	uint64_t syncs;
	uint32_t id;

	acct_read(_metadata, c, &base);
	ASSERT_EQ(0, viommu_bind_flags_raw(c, self->v.vm,
					   KVM_VIOMMU_BIND_PREPIN));
	ASSERT_EQ(0, viommu_info_raw(c, &info));
	EXPECT_EQ(KVM_VIOMMU_BIND_PREPIN, info.bind_flags);
	EXPECT_EQ(0, info.mapped_pages);
	/* 8 bytes per pinned page, one 4 KiB leaf per 2 MiB of memslot. */
	EXPECT_EQ(VM_PAGES / LEAF_PAGES * SZ_4K, info.pin_bytes);
	EXPECT_PINNED(base, VM_PAGES);

	/* Mapping pre-pinned pages, the read-only slot's too, costs nothing. */
	ASSERT_EQ(0, table_at(&self->v, self->gt.root, &id));
	gt_map_run(&self->gt, IOVA, GUEST_DATA, 64, true);
	gt_map(&self->gt, IOVA + 64 * SZ_4K, GUEST_RO_GPA, 1, false);
	ASSERT_EQ(0, viommu_refresh_raw(c, id, IOVA, 65 * SZ_4K, &rf));
	EXPECT_REFRESH(rf, 65, 0, 0, 0);
	ASSERT_EQ(0, viommu_info_raw(c, &info));
	EXPECT_EQ(65, info.mapped_pages);
	EXPECT_PINNED(base, VM_PAGES);

	/* Unmapping them releases nothing; the refresh flushes once. */
	gt_clear_run(&self->gt, IOVA, 65);
	syncs = info.iotlb_syncs;
	ASSERT_EQ(0, viommu_refresh_raw(c, id, IOVA, 65 * SZ_4K, &rf));
	EXPECT_REFRESH(rf, 0, 65, 0, 0);
	ASSERT_EQ(0, viommu_info_raw(c, &info));
	EXPECT_EQ(0, info.mapped_pages);
	EXPECT_EQ(syncs + 1, info.iotlb_syncs);
	EXPECT_PINNED(base, VM_PAGES);

	/* Nor does closing the VM fd: the container holds the VM. */
	close(self->v.vm);
	self->v.vm = -1;
	EXPECT_PINNED(base, VM_PAGES);

	/* Releasing the container returns everything. */
	vmm_close(&self->v);
	EXPECT_EQ(base.pins, pins_held());
	EXPECT_EQ(base.locked_kb, vm_locked_kb());
}

/* All or nothing: over RLIMIT_MEMLOCK the container stays unbound. */
TEST_F(viommu, bind_prepin_over_memlock)
{
	int c = self->v.container;
	struct kvm_viommu_refresh rf;
	struct kvm_viommu_info info;
	struct acct base;
	uint32_t id;

	ASSERT_EQ(0, drop_ipc_lock());
	ASSERT_EQ(0, memlock_pages(1024));
	acct_read(_metadata, c, &base);

	EXPECT_EQ(-ENOMEM, viommu_bind_flags_raw(c, self->v.vm,
						 KVM_VIOMMU_BIND_PREPIN));
	EXPECT_PINNED(base, 0);
	ASSERT_EQ(0, viommu_info_raw(c, &info));
	EXPECT_EQ(0, info.bind_flags);
	EXPECT_EQ(0, info.pin_bytes);

	/*
	 * Room for one memslot and half the other: whichever comes first is
	 * pinned before the bind fails, and must be undone.
	 */
	ASSERT_EQ(0, memlock_pages(SLOT0_PAGES + RO_PAGES / 2));
	EXPECT_EQ(-ENOMEM, viommu_bind_flags_raw(c, self->v.vm,
						 KVM_VIOMMU_BIND_PREPIN));
	EXPECT_PINNED(base, 0);
	ASSERT_EQ(0, viommu_info_raw(c, &info));
	EXPECT_EQ(0, info.bind_flags);
	EXPECT_EQ(0, info.pin_bytes);

	/* Still unbound... */
	EXPECT_EQ(-EINVAL, viommu_prepin_raw(c, 0, GUEST_DATA, SZ_4K, NULL));
	EXPECT_EQ(-EINVAL, table_at(&self->v, self->gt.root, &id));

	/* ...so a plain bind works, and pins on demand within the limit. */
	ASSERT_EQ(0, viommu_fixture_table(&self->v, &self->gt, &id));
	ASSERT_EQ(0, viommu_info_raw(c, &info));
	EXPECT_EQ(0, info.bind_flags);
	EXPECT_PINNED(base, 0);
	gt_map_run(&self->gt, IOVA, GUEST_DATA, 4, true);
	ASSERT_EQ(0, viommu_refresh_raw(c, id, IOVA, 4 * SZ_4K, &rf));
	EXPECT_REFRESH(rf, 4, 0, 0, 0);
	EXPECT_PINNED(base, 4);
}

/*
 * Exactly at RLIMIT_MEMLOCK: pre-pinned pages still map (nothing more to
 * charge), pages of a memslot created after the bind are refused until
 * pre-pinned pages are released, and then stay pinned.
 */
TEST_F(viommu, bind_prepin_at_memlock)
{
	int c = self->v.container;
	struct kvm_viommu_refresh rf;
	struct acct base;
	uint8_t *late;
	uint32_t id;

	late = anon(EXTRA_SIZE);
	ASSERT_NE(NULL, late);
	ASSERT_EQ(0, drop_ipc_lock());
	ASSERT_EQ(0, memlock_pages(VM_PAGES));
	acct_read(_metadata, c, &base);

	ASSERT_EQ(0, viommu_bind_flags_raw(c, self->v.vm,
					   KVM_VIOMMU_BIND_PREPIN));
	EXPECT_PINNED(base, VM_PAGES);
	ASSERT_EQ(0, table_at(&self->v, self->gt.root, &id));
	gt_map_run(&self->gt, IOVA, GUEST_DATA, 8, true);
	ASSERT_EQ(0, viommu_refresh_raw(c, id, IOVA, 8 * SZ_4K, &rf));
	EXPECT_REFRESH(rf, 8, 0, 0, 0);

	ASSERT_EQ(0, vmm_set_slot(&self->v, LATE_SLOT, 0, LATE_GPA, EXTRA_SIZE,
				  late));
	EXPECT_PINNED(base, VM_PAGES);
	gt_map_run(&self->gt, IOVA_C, LATE_GPA, 4, true);
	ASSERT_EQ(0, viommu_refresh_raw(c, id, IOVA_C, 4 * SZ_4K, &rf));
	EXPECT_REFRESH(rf, 0, 0, 0, 4);
	EXPECT_EQ(IOVA_C, rf.fail_iova);
	EXPECT_EQ(KVM_VIOMMU_REFUSED_MEMLOCK, rf.fail_reason);

	/* Releasing pre-pinned pages no IOVA maps makes room. */
	EXPECT_EQ(4, PREPIN_OK(KVM_VIOMMU_PREPIN_RELEASE,
			       GUEST_DATA + SZ_1M, 4 * SZ_4K));
	EXPECT_PINNED(base, VM_PAGES - 4);
	ASSERT_EQ(0, viommu_refresh_raw(c, id, IOVA_C, 4 * SZ_4K, &rf));
	EXPECT_REFRESH(rf, 4, 0, 0, 0);
	EXPECT_PINNED(base, VM_PAGES);

	/* Pinned by the pre-pinned container, they stay when unmapped... */
	gt_clear_run(&self->gt, IOVA_C, 4);
	ASSERT_EQ(0, viommu_refresh_raw(c, id, IOVA_C, 4 * SZ_4K, &rf));
	EXPECT_REFRESH(rf, 0, 4, 0, 0);
	EXPECT_PINNED(base, VM_PAGES);

	/* ...until their memslot goes. */
	ASSERT_EQ(0, vmm_set_slot(&self->v, LATE_SLOT, 0, LATE_GPA, 0, NULL));
	EXPECT_PINNED(base, VM_PAGES - 4);
	munmap(late, EXTRA_SIZE);
}

/*
 * KVM_VIOMMU_PREPIN_RELEASE in a pre-pinned container gives memory back
 * without deleting its memslot: pages no IOVA maps go at once, mapped ones
 * with their last IOVA; a page mapped again is pinned again, and kept.
 */
TEST_F(viommu, bind_prepin_release)
{
	int c = self->v.container;
	struct kvm_viommu_refresh rf;
	struct acct base;
	uint32_t id;

	acct_read(_metadata, c, &base);
	ASSERT_EQ(0, viommu_bind_flags_raw(c, self->v.vm,
					   KVM_VIOMMU_BIND_PREPIN));
	ASSERT_EQ(0, table_at(&self->v, self->gt.root, &id));
	gt_map_run(&self->gt, IOVA, GUEST_DATA, 64, true);
	ASSERT_EQ(0, viommu_refresh_raw(c, id, IOVA, 64 * SZ_4K, &rf));
	EXPECT_REFRESH(rf, 64, 0, 0, 0);
	EXPECT_PINNED(base, VM_PAGES);

	EXPECT_EQ(64, PREPIN_OK(KVM_VIOMMU_PREPIN_RELEASE, GUEST_DATA,
				128 * SZ_4K));
	EXPECT_PINNED(base, VM_PAGES - 64);
	gt_clear_run(&self->gt, IOVA, 64);
	ASSERT_EQ(0, viommu_refresh_raw(c, id, IOVA, 64 * SZ_4K, &rf));
	EXPECT_REFRESH(rf, 0, 64, 0, 0);
	EXPECT_PINNED(base, VM_PAGES - 128);

	gt_map(&self->gt, IOVA, GUEST_DATA, 1, true);
	ASSERT_EQ(0, viommu_refresh_raw(c, id, IOVA, SZ_4K, &rf));
	EXPECT_REFRESH(rf, 1, 0, 0, 0);
	EXPECT_PINNED(base, VM_PAGES - 127);
	gt_clear(&self->gt, IOVA, 1);
	ASSERT_EQ(0, viommu_refresh_raw(c, id, IOVA, SZ_4K, &rf));
	EXPECT_REFRESH(rf, 0, 1, 0, 0);
	EXPECT_PINNED(base, VM_PAGES - 127);

	EXPECT_EQ(127, PREPIN_OK(0, GUEST_DATA, 128 * SZ_4K));
	EXPECT_PINNED(base, VM_PAGES);
}

/* guest_memfd memory has nothing to pin: BIND_PREPIN leaves it out. */
TEST_F(viommu, bind_prepin_guest_memfd)
{
	struct kvm_create_guest_memfd gmem = { .size = SZ_2M };
	struct kvm_userspace_memory_region2 region = {
		.slot = EXTRA_SLOT,
		.flags = KVM_MEM_GUEST_MEMFD,
		.guest_phys_addr = EXTRA_GPA,
		.memory_size = SZ_2M,
	};
	int c = self->v.container;
	struct acct base;
	uint8_t *shared;
	int fd;

	if (ioctl(self->v.vm, KVM_CHECK_EXTENSION, KVM_CAP_GUEST_MEMFD) <= 0)
		SKIP(return, "this kernel has no guest_memfd for plain VMs");
	fd = ioctl(self->v.vm, KVM_CREATE_GUEST_MEMFD, &gmem);
	ASSERT_LE(0, fd);
	shared = anon(SZ_2M);
	ASSERT_NE(NULL, shared);
	region.userspace_addr = (uintptr_t)shared;
	region.guest_memfd = fd;
	ASSERT_EQ(0, ioctl(self->v.vm, KVM_SET_USER_MEMORY_REGION2, &region));

	acct_read(_metadata, c, &base);
	ASSERT_EQ(0, viommu_bind_flags_raw(c, self->v.vm,
					   KVM_VIOMMU_BIND_PREPIN));
	EXPECT_PINNED(base, VM_PAGES);
	EXPECT_EQ(-EFAULT, viommu_prepin_raw(c, 0, EXTRA_GPA, SZ_4K, NULL));
	EXPECT_PINNED(base, VM_PAGES);
	close(fd);
}

/* KVM_VIOMMU_PREPIN and its release, in an on-demand container. */
TEST_F(viommu, prepin_range)
{
	int c = self->v.container;
	struct kvm_viommu_refresh rf;
	struct acct base;
	uint32_t id;

	ASSERT_EQ(0, viommu_fixture_table(&self->v, &self->gt, &id));
	acct_read(_metadata, c, &base);

	/* Pinned now, each page once. */
	EXPECT_EQ(16, PREPIN_OK(0, GUEST_DATA, 16 * SZ_4K));
	EXPECT_PINNED(base, 16);
	EXPECT_EQ(0, PREPIN_OK(0, GUEST_DATA, 16 * SZ_4K));
	EXPECT_EQ(8, PREPIN_OK(0, GUEST_DATA + 8 * SZ_4K, 16 * SZ_4K));
	EXPECT_PINNED(base, 24);

	/* IOVAs mapping pre-pinned pages cost nothing more; others do. */
	gt_map_run(&self->gt, IOVA, GUEST_DATA, 4, true);
	gt_map(&self->gt, IOVA + 4 * SZ_4K, GUEST_DATA + 100 * SZ_4K, 1, true);
	ASSERT_EQ(0, viommu_refresh_raw(c, id, IOVA, 5 * SZ_4K, &rf));
	EXPECT_REFRESH(rf, 5, 0, 0, 0);
	EXPECT_PINNED(base, 25);

	/* Released: the 20 pages no IOVA maps go now, the 4 mapped stay. */
	EXPECT_EQ(20, PREPIN_OK(KVM_VIOMMU_PREPIN_RELEASE, GUEST_DATA,
				24 * SZ_4K));
	EXPECT_PINNED(base, 5);
	EXPECT_EQ(0, PREPIN_OK(KVM_VIOMMU_PREPIN_RELEASE, GUEST_DATA,
			       24 * SZ_4K));
	/* A page pinned on demand has no pre-pin to release. */
	EXPECT_EQ(0, PREPIN_OK(KVM_VIOMMU_PREPIN_RELEASE,
			       GUEST_DATA + 100 * SZ_4K, SZ_4K));
	EXPECT_PINNED(base, 5);

	/* Back to on demand: the last IOVA takes the pin with it. */
	gt_clear_run(&self->gt, IOVA, 4);
	ASSERT_EQ(0, viommu_refresh_raw(c, id, IOVA, 4 * SZ_4K, &rf));
	EXPECT_REFRESH(rf, 0, 4, 0, 0);
	EXPECT_PINNED(base, 1);
	gt_clear(&self->gt, IOVA + 4 * SZ_4K, 1);
	ASSERT_EQ(0, viommu_refresh_raw(c, id, IOVA, 5 * SZ_4K, &rf));
	EXPECT_REFRESH(rf, 0, 1, 0, 0);
	EXPECT_PINNED(base, 0);

	/* Pages of a read-only memslot can be pre-pinned too. */
	EXPECT_EQ(4, PREPIN_OK(0, GUEST_RO_GPA, 4 * SZ_4K));
	EXPECT_PINNED(base, 4);
	EXPECT_EQ(4, PREPIN_OK(KVM_VIOMMU_PREPIN_RELEASE, GUEST_RO_GPA,
			       4 * SZ_4K));
	EXPECT_PINNED(base, 0);
}

/* A KVM_VIOMMU_PREPIN that fails leaves nothing pinned by it. */
TEST_F(viommu, prepin_all_or_nothing)
{
	uint64_t tail = GUEST_MEM_SIZE - 4 * SZ_4K;
	int c = self->v.container;
	struct kvm_viommu_refresh rf;
	struct kvm_viommu_prepin pp;
	struct acct base;
	uint32_t id;

	ASSERT_EQ(0, viommu_fixture_table(&self->v, &self->gt, &id));
	acct_read(_metadata, c, &base);

	/* The last 4 pages of slot 0 pre-pinned, and one held by an IOVA. */
	EXPECT_EQ(4, PREPIN_OK(0, tail, 4 * SZ_4K));
	gt_map(&self->gt, IOVA, GUEST_MEM_SIZE - 6 * SZ_4K, 1, true);
	ASSERT_EQ(0, viommu_refresh_raw(c, id, IOVA, SZ_4K, &rf));
	EXPECT_REFRESH(rf, 1, 0, 0, 0);
	EXPECT_PINNED(base, 5);

	/* Running off the end of the memslot: -EFAULT, nothing new pinned. */
	EXPECT_EQ(-EFAULT, viommu_prepin_raw(c, 0, GUEST_MEM_SIZE - 8 * SZ_4K,
					     16 * SZ_4K, &pp));
	EXPECT_PINNED(base, 5);
	/*
	 * And what the failed call found pinned is as it was: the page held
	 * by an IOVA did not become pre-pinned (its IOVA takes the pin with
	 * it), the pre-pinned ones still are.
	 */
	gt_clear(&self->gt, IOVA, 1);
	ASSERT_EQ(0, viommu_refresh_raw(c, id, IOVA, SZ_4K, &rf));
	EXPECT_REFRESH(rf, 0, 1, 0, 0);
	EXPECT_PINNED(base, 4);
	EXPECT_EQ(4, PREPIN_OK(KVM_VIOMMU_PREPIN_RELEASE, tail, 4 * SZ_4K));
	EXPECT_PINNED(base, 0);

	/* Starting in a hole, wholly in one, or all of slot 0 and beyond. */
	EXPECT_EQ(-EFAULT, viommu_prepin_raw(c, 0, GUEST_RO_GPA - SZ_4K,
					     2 * SZ_4K, NULL));
	EXPECT_EQ(-EFAULT, viommu_prepin_raw(c, 0, GUEST_MEM_SIZE, SZ_4K,
					     NULL));
	EXPECT_EQ(-EFAULT, viommu_prepin_raw(c, 0, 0, GUEST_MEM_SIZE + SZ_4K,
					     NULL));
	EXPECT_PINNED(base, 0);
}

/*
 * Over RLIMIT_MEMLOCK: -ENOMEM, and nothing pinned by the call.  (The
 * limit applies if the binding process lacked CAP_IPC_LOCK at bind time.)
 */
TEST_F(viommu, prepin_over_memlock)
{
	int c = self->v.container;
	struct kvm_viommu_refresh rf;
	struct acct base;
	uint32_t id;

	ASSERT_EQ(0, drop_ipc_lock());
	ASSERT_EQ(0, memlock_pages(64));
	ASSERT_EQ(0, viommu_fixture_table(&self->v, &self->gt, &id));
	acct_read(_metadata, c, &base);

	/* A page an IOVA holds, inside the ranges below. */
	gt_map(&self->gt, IOVA, GUEST_DATA + 10 * SZ_4K, 1, true);
	ASSERT_EQ(0, viommu_refresh_raw(c, id, IOVA, SZ_4K, &rf));
	EXPECT_REFRESH(rf, 1, 0, 0, 0);
	EXPECT_PINNED(base, 1);

	EXPECT_EQ(-ENOMEM, viommu_prepin_raw(c, 0, GUEST_DATA, 128 * SZ_4K,
					     NULL));
	EXPECT_PINNED(base, 1);
	/* Exactly at the limit; the held page was pinned already. */
	EXPECT_EQ(63, PREPIN_OK(0, GUEST_DATA, 64 * SZ_4K));
	EXPECT_PINNED(base, 64);
	EXPECT_EQ(-ENOMEM, viommu_prepin_raw(c, 0, GUEST_DATA + 64 * SZ_4K,
					     SZ_4K, NULL));
	EXPECT_PINNED(base, 64);

	/* The held page is pre-pinned now: its IOVA leaves it pinned. */
	gt_clear(&self->gt, IOVA, 1);
	ASSERT_EQ(0, viommu_refresh_raw(c, id, IOVA, SZ_4K, &rf));
	EXPECT_REFRESH(rf, 0, 1, 0, 0);
	EXPECT_PINNED(base, 64);
	EXPECT_EQ(64, PREPIN_OK(KVM_VIOMMU_PREPIN_RELEASE, GUEST_DATA,
				64 * SZ_4K));
	EXPECT_PINNED(base, 0);
}

TEST_F(viommu, prepin_bad_args)
{
	struct {
		struct kvm_viommu_prepin pp;
		uint64_t more;
	} big = { };
	struct kvm_viommu_prepin pp;
	int c = self->v.container;
	struct acct base;
	int status;
	pid_t pid;

	acct_read(_metadata, c, &base);
	/* Not bound. */
	EXPECT_EQ(-EINVAL, viommu_prepin_raw(c, 0, GUEST_DATA, SZ_4K, NULL));
	EXPECT_EQ(-EINVAL, viommu_prepin_raw(c, KVM_VIOMMU_PREPIN_RELEASE,
					     GUEST_DATA, SZ_4K, NULL));
	ASSERT_EQ(0, viommu_bind_raw(c, self->v.vm));

	/* Alignment, size, overflow, flags. */
	EXPECT_EQ(-EINVAL, viommu_prepin_raw(c, 0, GUEST_DATA + 0x800, SZ_4K,
					     NULL));
	EXPECT_EQ(-EINVAL, viommu_prepin_raw(c, 0, GUEST_DATA, 0x800, NULL));
	EXPECT_EQ(-EINVAL, viommu_prepin_raw(c, 0, GUEST_DATA, SZ_4K + 8,
					     NULL));
	EXPECT_EQ(-EINVAL, viommu_prepin_raw(c, 0, GUEST_DATA, 0, NULL));
	EXPECT_EQ(-EINVAL, viommu_prepin_raw(c, KVM_VIOMMU_PREPIN_RELEASE,
					     GUEST_DATA, 0, NULL));
	EXPECT_EQ(-EINVAL, viommu_prepin_raw(c, 0, ~0xfffULL, 2 * SZ_4K,
					     NULL));
	EXPECT_EQ(-EINVAL, viommu_prepin_raw(c, 1u << 1, GUEST_DATA, SZ_4K,
					     NULL));
	EXPECT_EQ(-EINVAL, viommu_prepin_raw(c, ~0u, GUEST_DATA, SZ_4K, NULL));

	/* Output fields must be zero on input. */
	pp = (struct kvm_viommu_prepin){
		.argsz = sizeof(pp), .gpa = GUEST_DATA, .size = SZ_4K,
		.pinned = 1,
	};
	EXPECT_EQ(-1, ioctl(c, KVM_VIOMMU_PREPIN, &pp));
	EXPECT_EQ(EINVAL, errno);
	pp.pinned = 0;
	pp.released = 1;
	EXPECT_EQ(-1, ioctl(c, KVM_VIOMMU_PREPIN, &pp));
	EXPECT_EQ(EINVAL, errno);

	/* argsz: too short; longer with nonzero bytes the kernel ignores. */
	pp.released = 0;
	pp.argsz = offsetof(struct kvm_viommu_prepin, released);
	EXPECT_EQ(-1, ioctl(c, KVM_VIOMMU_PREPIN, &pp));
	EXPECT_EQ(EINVAL, errno);
	big.pp = (struct kvm_viommu_prepin){
		.argsz = sizeof(big), .gpa = GUEST_DATA, .size = SZ_4K,
	};
	big.more = 1;
	EXPECT_EQ(-1, ioctl(c, KVM_VIOMMU_PREPIN, &big));
	EXPECT_EQ(E2BIG, errno);
	EXPECT_PINNED(base, 0);
	big.more = 0;
	EXPECT_EQ(0, ioctl(c, KVM_VIOMMU_PREPIN, &big));
	EXPECT_EQ(1, big.pp.pinned);
	EXPECT_PINNED(base, 1);

	/* Only the process that bound the VM. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(viommu_prepin_raw(c, KVM_VIOMMU_PREPIN_RELEASE, GUEST_DATA,
					SZ_4K, NULL) == -EPERM &&
		      viommu_prepin_raw(c, 0, GUEST_DATA + SZ_4K, SZ_4K,
					NULL) == -EPERM ? 0 : 1);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_PINNED(base, 1);
	EXPECT_EQ(1, PREPIN_OK(KVM_VIOMMU_PREPIN_RELEASE, GUEST_DATA, SZ_4K));
	EXPECT_PINNED(base, 0);
}

/*
 * One pre-pinned page at many IOVAs (one_frame_many_iovas in
 * viommu_refresh_test.c covers the on-demand case): pinned and charged
 * once; the pre-pin, not the IOVAs, decides when it goes.
 */
TEST_F(viommu, prepinned_page_many_iovas)
{
	int c = self->v.container;
	struct kvm_viommu_refresh rf;
	struct kvm_viommu_info info;
	struct acct base;
	uint32_t id;
	int i;

	ASSERT_EQ(0, viommu_fixture_table(&self->v, &self->gt, &id));
	acct_read(_metadata, c, &base);

	EXPECT_EQ(1, PREPIN_OK(0, GUEST_DATA, SZ_4K));
	for (i = 0; i < 16; i++)
		gt_map(&self->gt, IOVA + i * SZ_4K, GUEST_DATA, 1, i & 1);
	ASSERT_EQ(0, viommu_refresh_raw(c, id, IOVA, 16 * SZ_4K, &rf));
	EXPECT_REFRESH(rf, 16, 0, 0, 0);
	ASSERT_EQ(0, viommu_info_raw(c, &info));
	EXPECT_EQ(16, info.mapped_pages);
	EXPECT_PINNED(base, 1);

	/* Released while mapped: it stays until its last IOVA goes. */
	EXPECT_EQ(0, PREPIN_OK(KVM_VIOMMU_PREPIN_RELEASE, GUEST_DATA, SZ_4K));
	EXPECT_PINNED(base, 1);
	gt_clear_run(&self->gt, IOVA, 15);
	ASSERT_EQ(0, viommu_refresh_raw(c, id, IOVA, 16 * SZ_4K, &rf));
	EXPECT_REFRESH(rf, 0, 15, 1, 0);
	EXPECT_PINNED(base, 1);
	gt_clear(&self->gt, IOVA + 15 * SZ_4K, 1);
	ASSERT_EQ(0, viommu_refresh_raw(c, id, IOVA, 16 * SZ_4K, &rf));
	EXPECT_REFRESH(rf, 0, 1, 0, 0);
	EXPECT_PINNED(base, 0);

	/* Mapped first, pre-pinned after: the last IOVA leaves it pinned. */
	for (i = 0; i < 16; i++)
		gt_map(&self->gt, IOVA + i * SZ_4K, GUEST_DATA + SZ_4K, 1,
		       true);
	ASSERT_EQ(0, viommu_refresh_raw(c, id, IOVA, 16 * SZ_4K, &rf));
	EXPECT_REFRESH(rf, 16, 0, 0, 0);
	EXPECT_PINNED(base, 1);
	EXPECT_EQ(0, PREPIN_OK(0, GUEST_DATA + SZ_4K, SZ_4K));
	EXPECT_PINNED(base, 1);
	gt_clear_run(&self->gt, IOVA, 16);
	ASSERT_EQ(0, viommu_refresh_raw(c, id, IOVA, 16 * SZ_4K, &rf));
	EXPECT_REFRESH(rf, 0, 16, 0, 0);
	EXPECT_PINNED(base, 1);
	EXPECT_EQ(1, PREPIN_OK(KVM_VIOMMU_PREPIN_RELEASE, GUEST_DATA + SZ_4K,
			       SZ_4K));
	EXPECT_PINNED(base, 0);
}

/*
 * GET_INFO's view of the engine's own memory: shadow and pin table leaves
 * (4 KiB per 2 MiB), no growth when mapping and unmapping moves around
 * (the empty leaves kept for reuse are reused), and the leaves
 * of a destroyed table freed with it.  And its IOMMU calls: one unmap and
 * one IOTLB sync for 512 pages cleared by one guest table entry.
 */
TEST_F(viommu, info_leaves_and_calls)
{
	int c = self->v.container;
	struct kvm_viommu_info i0, i1;
	struct kvm_viommu_refresh rf;
	struct gtable gt2;
	uint32_t id, id2;
	uint64_t iova;
	int k;

	ASSERT_EQ(0, viommu_fixture_table(&self->v, &self->gt, &id));
	ASSERT_EQ(0, viommu_info_raw(c, &i0));
	EXPECT_EQ(0, i0.shadow_bytes);
	EXPECT_EQ(0, i0.pin_bytes);

	/* 512 pages, 2 MiB aligned in IOVA and in guest memory: one leaf each. */
	gt_map_run(&self->gt, 2 * SZ_2M, GUEST_DATA, 512, true);
	ASSERT_EQ(0, viommu_refresh_raw(c, id, 2 * SZ_2M, SZ_2M, &rf));
	EXPECT_REFRESH(rf, 512, 0, 0, 0);
	ASSERT_EQ(0, viommu_info_raw(c, &i1));
	EXPECT_EQ(SZ_4K, i1.shadow_bytes);
	EXPECT_EQ(SZ_4K, i1.pin_bytes);
	EXPECT_LE(1, i1.iommu_maps - i0.iommu_maps);
	EXPECT_GE(512, i1.iommu_maps - i0.iommu_maps);

	/* Cleared by one table entry: one unmap call, one IOTLB sync. */
	*gt_entry(&self->gt, 2 * SZ_2M, 2) = 0;
	i0 = i1;
	ASSERT_EQ(0, viommu_refresh_raw(c, id, 2 * SZ_2M, SZ_2M, &rf));
	EXPECT_REFRESH(rf, 0, 512, 0, 0);
	ASSERT_EQ(0, viommu_info_raw(c, &i1));
	EXPECT_EQ(1, i1.iommu_unmaps - i0.iommu_unmaps);
	EXPECT_EQ(1, i1.iotlb_syncs - i0.iotlb_syncs);
	EXPECT_EQ(0, i1.pinned_pages);
	EXPECT_EQ(0, i1.mapped_pages);
	EXPECT_GE(SZ_4K, i1.shadow_bytes);
	EXPECT_GE(SZ_4K, i1.pin_bytes);

	/* Mapping and unmapping elsewhere, again and again: no growth. */
	for (k = 1; k <= 8; k++) {
		iova = (2 + k) * SZ_2M;
		gt_map_run(&self->gt, iova, GUEST_DATA + k * SZ_2M, 512, true);
		ASSERT_EQ(0, viommu_refresh_raw(c, id, iova, SZ_2M, &rf));
		EXPECT_REFRESH(rf, 512, 0, 0, 0);
		ASSERT_EQ(0, viommu_info_raw(c, &i1));
		EXPECT_EQ(SZ_4K, i1.shadow_bytes);
		EXPECT_EQ(SZ_4K, i1.pin_bytes);
		*gt_entry(&self->gt, iova, 2) = 0;
		ASSERT_EQ(0, viommu_refresh_raw(c, id, iova, SZ_2M, &rf));
		EXPECT_REFRESH(rf, 0, 512, 0, 0);
		ASSERT_EQ(0, viommu_info_raw(c, &i1));
		EXPECT_GE(SZ_4K, i1.shadow_bytes);
		EXPECT_GE(SZ_4K, i1.pin_bytes);
	}

	/* The group moves to a second table: the first dies, leaves and all. */
	gt2 = self->gt;
	gt2.root = GUEST_TABLES + 8 * SZ_1M;
	gt2.next = gt2.root + SZ_4K;
	memset(self->v.mem + gt2.root, 0, SZ_4K);
	ASSERT_EQ(0, table_at(&self->v, gt2.root, &id2));
	ASSERT_NE(id, id2);
	ASSERT_EQ(0, viommu_info_raw(c, &i1));
	EXPECT_EQ(1, i1.nr_tables);
	EXPECT_EQ(0, i1.shadow_bytes);
	EXPECT_GE(SZ_4K, i1.pin_bytes);

	/* The second table dies with 512 pages mapped: they go too. */
	gt_map_run(&gt2, 2 * SZ_2M, GUEST_DATA, 512, true);
	ASSERT_EQ(0, viommu_refresh_raw(c, id2, 2 * SZ_2M, SZ_2M, &rf));
	EXPECT_REFRESH(rf, 512, 0, 0, 0);
	ASSERT_EQ(0, viommu_info_raw(c, &i1));
	EXPECT_EQ(SZ_4K, i1.shadow_bytes);
	EXPECT_EQ(SZ_4K, i1.pin_bytes);
	ASSERT_EQ(0, table_at(&self->v, self->gt.root, &id));
	ASSERT_EQ(0, viommu_info_raw(c, &i1));
	EXPECT_EQ(1, i1.nr_tables);
	EXPECT_EQ(0, i1.shadow_bytes);
	EXPECT_GE(SZ_4K, i1.pin_bytes);
	EXPECT_EQ(0, i1.pinned_pages);
	EXPECT_EQ(0, i1.mapped_pages);
	EXPECT_EQ(0, vm_locked_kb());
}

/* One 2 MiB hugetlbfs page, or NULL (then skip). */
static uint8_t *huge_page(void)
{
	int fd = open("/proc/sys/vm/nr_hugepages", O_WRONLY);
	ssize_t n;
	void *p;

	if (fd >= 0) {
		/* If this fails, the mmap() below finds no huge page. */
		n = write(fd, "16", 2);
		close(fd);
		(void)n;
	}
	p = mmap(NULL, SZ_2M, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_POPULATE, -1,
		 0);
	return p == MAP_FAILED ? NULL : p;
}

/*
 * iommu_maps over host memory known to be contiguous (a hugetlbfs page):
 * 512 4 KiB guest leaves over it are one iommu_map() call, and an unmap
 * refresh releasing their 512 pins one IOTLB sync.  At a 2 MiB aligned
 * IOVA they must stay 4 KiB IOMMU pages: changing one leaf later changes
 * that page only.
 */
TEST_F(viommu, iommu_maps_host_contiguous)
{
	int c = self->v.container;
	struct kvm_viommu_info i0, i1;
	struct kvm_viommu_refresh rf;
	uint64_t iova;
	uint8_t *hmem;
	uint32_t id;

	hmem = huge_page();
	if (!hmem)
		SKIP(return,
		     "no 2 MiB hugetlbfs page: host contiguity not guaranteed");
	ASSERT_EQ(0, vmm_set_slot(&self->v, HUGE_SLOT, 0, HUGE_GPA, SZ_2M,
				  hmem));
	ASSERT_EQ(0, viommu_fixture_table(&self->v, &self->gt, &id));

	/* 4 KiB off the huge page's alignment: one run, one call. */
	iova = 4 * SZ_2M + SZ_4K;
	gt_map_run(&self->gt, iova, HUGE_GPA, 512, true);
	ASSERT_EQ(0, viommu_info_raw(c, &i0));
	ASSERT_EQ(0, viommu_refresh_raw(c, id, iova, SZ_2M, &rf));
	EXPECT_REFRESH(rf, 512, 0, 0, 0);
	ASSERT_EQ(0, viommu_info_raw(c, &i1));
	EXPECT_EQ(1, i1.iommu_maps - i0.iommu_maps);
	EXPECT_EQ(0, i1.mapped_blocks);
	EXPECT_EQ(512, i1.pinned_pages);

	/* Cleared leaf by leaf: 512 pins released behind one IOTLB sync. */
	gt_clear_run(&self->gt, iova, 512);
	i0 = i1;
	ASSERT_EQ(0, viommu_refresh_raw(c, id, iova, SZ_2M, &rf));
	EXPECT_REFRESH(rf, 0, 512, 0, 0);
	ASSERT_EQ(0, viommu_info_raw(c, &i1));
	EXPECT_EQ(1, i1.iotlb_syncs - i0.iotlb_syncs);
	EXPECT_EQ(0, i1.pinned_pages);
	EXPECT_EQ(0, i1.mapped_pages);

	/* 2 MiB aligned: at most two calls, never one 2 MiB IOMMU page. */
	iova = 8 * SZ_2M;
	gt_map_run(&self->gt, iova, HUGE_GPA, 512, true);
	i0 = i1;
	ASSERT_EQ(0, viommu_refresh_raw(c, id, iova, SZ_2M, &rf));
	EXPECT_REFRESH(rf, 512, 0, 0, 0);
	ASSERT_EQ(0, viommu_info_raw(c, &i1));
	EXPECT_LE(1, i1.iommu_maps - i0.iommu_maps);
	EXPECT_GE(2, i1.iommu_maps - i0.iommu_maps);
	EXPECT_EQ(0, i1.mapped_blocks);
	gt_map(&self->gt, iova + 5 * SZ_4K, GUEST_DATA, 1, true);
	i0 = i1;
	ASSERT_EQ(0, viommu_refresh_raw(c, id, iova, SZ_2M, &rf));
	EXPECT_REFRESH(rf, 1, 1, 511, 0);
	ASSERT_EQ(0, viommu_info_raw(c, &i1));
	EXPECT_EQ(1, i1.iommu_unmaps - i0.iommu_unmaps);
	EXPECT_EQ(1, i1.iommu_maps - i0.iommu_maps);
	EXPECT_EQ(512, i1.mapped_pages);
	EXPECT_EQ(512, i1.pinned_pages);

	/* Deleting the memslot takes its 511 pages; GUEST_DATA stays. */
	ASSERT_EQ(0, vmm_set_slot(&self->v, HUGE_SLOT, 0, HUGE_GPA, 0, NULL));
	ASSERT_EQ(0, viommu_info_raw(c, &i1));
	EXPECT_EQ(1, i1.mapped_pages);
	EXPECT_EQ(1, i1.pinned_pages);
	EXPECT_EQ(4, vm_locked_kb());
	munmap(hmem, SZ_2M);
}

/*
 * A memslot deleted under a 2 MiB IOMMU block (a 2 MiB guest leaf over a
 * hugetlbfs page): the block and its pins go, the rest stays.
 */
TEST_F(viommu, delete_under_block)
{
	int c = self->v.container;
	struct kvm_viommu_info i0, i1;
	struct kvm_viommu_refresh rf;
	struct acct base;
	uint8_t *hmem;
	uint32_t id;

	hmem = huge_page();
	if (!hmem)
		SKIP(return, "no 2 MiB hugetlbfs page for a 2 MiB IOMMU block");
	ASSERT_EQ(0, vmm_set_slot(&self->v, HUGE_SLOT, 0, HUGE_GPA, SZ_2M,
				  hmem));
	ASSERT_EQ(0, viommu_fixture_table(&self->v, &self->gt, &id));
	acct_read(_metadata, c, &base);
	gt_map(&self->gt, 4 * SZ_2M, HUGE_GPA, 2, true);
	gt_map(&self->gt, IOVA, GUEST_DATA, 1, true);
	ASSERT_EQ(0, viommu_refresh_raw(c, id, 0, 8 * SZ_2M, &rf));
	EXPECT_REFRESH(rf, 513, 0, 0, 0);
	ASSERT_EQ(0, viommu_info_raw(c, &i0));
	EXPECT_EQ(1, i0.mapped_blocks);
	EXPECT_PINNED(base, 513);

	ASSERT_EQ(0, vmm_set_slot(&self->v, HUGE_SLOT, 0, HUGE_GPA, 0, NULL));
	ASSERT_EQ(0, viommu_info_raw(c, &i1));
	EXPECT_EQ(0, i1.mapped_blocks);
	EXPECT_EQ(1, i1.mapped_pages);
	EXPECT_PINNED(base, 1);
	TH_LOG("deletion under the block: %llu maps, %llu unmaps, %llu syncs",
	       (unsigned long long)(i1.iommu_maps - i0.iommu_maps),
	       (unsigned long long)(i1.iommu_unmaps - i0.iommu_unmaps),
	       (unsigned long long)(i1.iotlb_syncs - i0.iotlb_syncs));

	ASSERT_EQ(0, viommu_refresh_raw(c, id, 4 * SZ_2M, SZ_2M, &rf));
	EXPECT_REFRESH(rf, 0, 0, 0, 512);
	EXPECT_EQ(KVM_VIOMMU_REFUSED_NO_MEMSLOT, rf.fail_reason);
	munmap(hmem, SZ_2M);
}

/*
 * One hugetlbfs page behind two adjacent 1 MiB memslots: a 2 MiB guest
 * leaf over both is still one IOMMU block.  Deleting one memslot splits
 * it and leaves the other's half mapped.
 */
TEST_F(viommu, delete_half_block)
{
	int c = self->v.container;
	struct kvm_viommu_refresh rf;
	struct kvm_viommu_info info;
	struct acct base;
	uint8_t *hmem;
	uint32_t id;

	hmem = huge_page();
	if (!hmem)
		SKIP(return, "no 2 MiB hugetlbfs page for a 2 MiB IOMMU block");
	ASSERT_EQ(0, vmm_set_slot(&self->v, HUGE_SLOT, 0, HUGE_GPA, SZ_1M,
				  hmem));
	ASSERT_EQ(0, vmm_set_slot(&self->v, HUGE_SLOT + 1, 0, HUGE_GPA + SZ_1M,
				  SZ_1M, hmem + SZ_1M));
	ASSERT_EQ(0, viommu_fixture_table(&self->v, &self->gt, &id));
	acct_read(_metadata, c, &base);
	gt_map(&self->gt, 4 * SZ_2M, HUGE_GPA, 2, true);
	ASSERT_EQ(0, viommu_refresh_raw(c, id, 4 * SZ_2M, SZ_2M, &rf));
	EXPECT_REFRESH(rf, 512, 0, 0, 0);
	ASSERT_EQ(0, viommu_info_raw(c, &info));
	EXPECT_EQ(1, info.mapped_blocks);
	EXPECT_PINNED(base, 512);

	ASSERT_EQ(0, vmm_set_slot(&self->v, HUGE_SLOT, 0, HUGE_GPA, 0, NULL));
	ASSERT_EQ(0, viommu_info_raw(c, &info));
	EXPECT_EQ(0, info.mapped_blocks);
	EXPECT_EQ(256, info.mapped_pages);
	EXPECT_PINNED(base, 256);
	ASSERT_EQ(0, viommu_refresh_raw(c, id, 4 * SZ_2M, SZ_2M, &rf));
	EXPECT_REFRESH(rf, 0, 0, 256, 256);
	EXPECT_EQ(4 * SZ_2M, rf.fail_iova);
	EXPECT_EQ(KVM_VIOMMU_REFUSED_NO_MEMSLOT, rf.fail_reason);

	ASSERT_EQ(0, vmm_set_slot(&self->v, HUGE_SLOT + 1, 0, HUGE_GPA + SZ_1M,
				  0, NULL));
	ASSERT_EQ(0, viommu_info_raw(c, &info));
	EXPECT_EQ(0, info.mapped_pages);
	EXPECT_PINNED(base, 0);
	munmap(hmem, SZ_2M);
}

/*
 * Memslot deletion, with the edu device doing real DMA: a VMM with slot 0,
 * the read-only slot and EXTRA_SLOT, not bound yet.
 */
FIXTURE(memslot) {
	struct vmm v;
	struct gtable gt;
	struct edu e;
	uint8_t *extra;		/* memory of EXTRA_SLOT */
	uint8_t *late;		/* memory for a memslot created later */
	long pins_at_start;
};

FIXTURE_SETUP(memslot)
{
	vmm_init(&self->v);
	self->e.fd = -1;
	self->pins_at_start = pins_held();
	ASSERT_LE(0, self->pins_at_start);
	ASSERT_EQ(0, vmm_open_vfio(&self->v));
	ASSERT_EQ(0, vmm_create_vm(&self->v));
	gt_init(&self->gt, self->v.mem, 4);
	self->extra = anon(EXTRA_SIZE);
	ASSERT_NE(NULL, self->extra);
	self->late = anon(EXTRA_SIZE);
	ASSERT_NE(NULL, self->late);
	ASSERT_EQ(0, vmm_set_slot(&self->v, EXTRA_SLOT, 0, EXTRA_GPA,
				  EXTRA_SIZE, self->extra));
	ASSERT_EQ(0, edu_open(&self->v, &self->e));
}

FIXTURE_TEARDOWN(memslot)
{
	edu_close(&self->e);
	vmm_close(&self->v);
	if (self->extra)
		munmap(self->extra, EXTRA_SIZE);
	if (self->late)
		munmap(self->late, EXTRA_SIZE);
	EXPECT_EQ(self->pins_at_start, pins_held());
	EXPECT_EQ(0, vm_locked_kb());
}

/*
 * Map 4 pages of slot 0 at IOVA_A and 8 of EXTRA_SLOT (@extra) at IOVA_B,
 * and check that DMA reaches both: B -> device -> A, then device -> B.
 * The device's buffer is left holding @pattern.
 */
static void map_a_b(struct __test_metadata *_metadata, struct vmm *v,
		    struct gtable *gt, struct edu *e, uint8_t *extra,
		    uint32_t id, uint8_t *pattern)
{
	uint8_t *a = v->mem + GUEST_DATA;
	struct kvm_viommu_refresh rf;

	gt_map_run(gt, IOVA_A, GUEST_DATA, 4, true);
	gt_map_run(gt, IOVA_B, EXTRA_GPA, 8, true);
	ASSERT_EQ(0, viommu_refresh_raw(v->container, id, 0, 8 * SZ_1M, &rf));
	EXPECT_REFRESH(rf, 12, 0, 0, 0);

	fill(extra + 3 * SZ_4K, 0x5a, LEN);
	memcpy(pattern, extra + 3 * SZ_4K, LEN);
	memset(a + SZ_4K, 0, LEN);
	ASSERT_EQ(0, edu_dma_to_dev(e, IOVA_B + 3 * SZ_4K, LEN));
	ASSERT_EQ(0, edu_dma_from_dev(e, IOVA_A + SZ_4K, LEN));
	EXPECT_EQ(0, memcmp(a + SZ_4K, pattern, LEN));
	memset(extra + 5 * SZ_4K, 0, LEN);
	ASSERT_EQ(0, edu_dma_from_dev(e, IOVA_B + 5 * SZ_4K, LEN));
	EXPECT_EQ(0, memcmp(extra + 5 * SZ_4K, pattern, LEN));
}

/*
 * After EXTRA_SLOT (whose memory was @extra) is gone: DMA through IOVA_B
 * reaches neither its old memory nor anything else, DMA through IOVA_A
 * still lands, and a refresh of IOVA_B refuses its pages (there is nothing
 * left to unmap).
 */
static void check_b_gone(struct __test_metadata *_metadata, struct vmm *v,
			 struct edu *e, uint8_t *extra, uint32_t id,
			 const uint8_t *pattern)
{
	uint8_t *a = v->mem + GUEST_DATA;
	struct kvm_viommu_refresh rf;
	uint64_t h, ha;

	memset(extra, 0xee, EXTRA_SIZE);
	memset(a, 0xee, 4 * SZ_4K);
	h = hash(extra, EXTRA_SIZE);
	ha = hash(a, 4 * SZ_4K);
	ASSERT_EQ(0, edu_dma_from_dev(e, IOVA_B + 5 * SZ_4K, LEN));
	EXPECT_EQ(h, hash(extra, EXTRA_SIZE));
	EXPECT_EQ(ha, hash(a, 4 * SZ_4K));

	ASSERT_EQ(0, edu_dma_from_dev(e, IOVA_A + 2 * SZ_4K, LEN));
	EXPECT_EQ(0, memcmp(a + 2 * SZ_4K, pattern, LEN));

	ASSERT_EQ(0, viommu_refresh_raw(v->container, id, IOVA_B, 8 * SZ_4K,
					&rf));
	EXPECT_REFRESH(rf, 0, 0, 0, 8);
	EXPECT_EQ(IOVA_B, rf.fail_iova);
	EXPECT_EQ(KVM_VIOMMU_REFUSED_NO_MEMSLOT, rf.fail_reason);
}

#define MAP_A_B(id, pattern)						\
	map_a_b(_metadata, &self->v, &self->gt, &self->e, self->extra,	\
		id, pattern)
#define CHECK_B_GONE(id, pattern)					\
	check_b_gone(_metadata, &self->v, &self->e, self->extra, id, pattern)

/* On demand: deleting a memslot unmaps its IOVAs and releases its pins. */
TEST_F(memslot, delete_on_demand)
{
	int c = self->v.container;
	struct kvm_viommu_refresh rf;
	struct kvm_viommu_info info;
	uint8_t pattern[LEN];
	struct acct base;
	uint32_t id;

	ASSERT_EQ(0, viommu_fixture_table(&self->v, &self->gt, &id));
	acct_read(_metadata, c, &base);
	MAP_A_B(id, pattern);
	EXPECT_PINNED(base, 12);
	/* Pre-pinned pages of the memslot go with it too. */
	EXPECT_EQ(4, PREPIN_OK(0, EXTRA_GPA + 16 * SZ_4K, 4 * SZ_4K));
	EXPECT_PINNED(base, 16);

	ASSERT_EQ(0, vmm_set_slot(&self->v, EXTRA_SLOT, 0, EXTRA_GPA, 0,
				  NULL));
	ASSERT_EQ(0, viommu_info_raw(c, &info));
	EXPECT_EQ(4, info.mapped_pages);
	EXPECT_PINNED(base, 4);
	CHECK_B_GONE(id, pattern);
	EXPECT_PINNED(base, 4);

	/* A new memslot at the same place: IOVA_B maps its new memory. */
	ASSERT_EQ(0, vmm_set_slot(&self->v, EXTRA_SLOT, 0, EXTRA_GPA,
				  EXTRA_SIZE, self->late));
	ASSERT_EQ(0, viommu_refresh_raw(c, id, IOVA_B, 8 * SZ_4K, &rf));
	EXPECT_REFRESH(rf, 8, 0, 0, 0);
	EXPECT_PINNED(base, 12);
	memset(self->late + 5 * SZ_4K, 0, LEN);
	ASSERT_EQ(0, edu_dma_from_dev(&self->e, IOVA_B + 5 * SZ_4K, LEN));
	EXPECT_EQ(0, memcmp(self->late + 5 * SZ_4K, pattern, LEN));
	EXPECT_EQ(0xee, self->extra[5 * SZ_4K]);
}

/*
 * Pre-pinned: deleting a memslot releases its pre-pins as well as its
 * IOVAs; the other memslots' stay.  A memslot created after the bind is
 * pinned as IOVAs map it and kept until it is deleted too.
 */
TEST_F(memslot, delete_prepinned)
{
	int c = self->v.container;
	struct kvm_viommu_refresh rf;
	struct kvm_viommu_info info;
	uint8_t pattern[LEN];
	struct acct base;
	uint32_t id;

	acct_read(_metadata, c, &base);
	ASSERT_EQ(0, viommu_bind_flags_raw(c, self->v.vm,
					   KVM_VIOMMU_BIND_PREPIN));
	EXPECT_PINNED(base, VM_PAGES + EXTRA_PAGES);
	ASSERT_EQ(0, table_at(&self->v, self->gt.root, &id));
	MAP_A_B(id, pattern);
	EXPECT_PINNED(base, VM_PAGES + EXTRA_PAGES);

	ASSERT_EQ(0, vmm_set_slot(&self->v, EXTRA_SLOT, 0, EXTRA_GPA, 0,
				  NULL));
	ASSERT_EQ(0, viommu_info_raw(c, &info));
	EXPECT_EQ(4, info.mapped_pages);
	EXPECT_PINNED(base, VM_PAGES);
	CHECK_B_GONE(id, pattern);
	EXPECT_PINNED(base, VM_PAGES);

	/* A memslot created now is pinned as IOVAs come to map it... */
	ASSERT_EQ(0, vmm_set_slot(&self->v, LATE_SLOT, 0, LATE_GPA,
				  EXTRA_SIZE, self->late));
	EXPECT_PINNED(base, VM_PAGES);
	gt_map_run(&self->gt, IOVA_C, LATE_GPA, 4, true);
	ASSERT_EQ(0, viommu_refresh_raw(c, id, IOVA_C, 4 * SZ_4K, &rf));
	EXPECT_REFRESH(rf, 4, 0, 0, 0);
	EXPECT_PINNED(base, VM_PAGES + 4);
	memset(self->late + SZ_4K, 0, LEN);
	ASSERT_EQ(0, edu_dma_from_dev(&self->e, IOVA_C + SZ_4K, LEN));
	EXPECT_EQ(0, memcmp(self->late + SZ_4K, pattern, LEN));

	/* ...stays pinned when they stop... */
	gt_clear_run(&self->gt, IOVA_C, 4);
	ASSERT_EQ(0, viommu_refresh_raw(c, id, IOVA_C, 4 * SZ_4K, &rf));
	EXPECT_REFRESH(rf, 0, 4, 0, 0);
	EXPECT_PINNED(base, VM_PAGES + 4);

	/* ...and goes with its memslot. */
	ASSERT_EQ(0, vmm_set_slot(&self->v, LATE_SLOT, 0, LATE_GPA, 0, NULL));
	EXPECT_PINNED(base, VM_PAGES);
	ASSERT_EQ(0, viommu_info_raw(c, &info));
	EXPECT_EQ(4, info.mapped_pages);

	/* So do the read-only memslot's, pinned without write. */
	ASSERT_EQ(0, vmm_set_slot(&self->v, 1, KVM_MEM_READONLY, GUEST_RO_GPA,
				  0, NULL));
	EXPECT_PINNED(base, SLOT0_PAGES);
	/* Their pin table leaves go too, but for an idle one and a spare. */
	ASSERT_EQ(0, viommu_info_raw(c, &info));
	EXPECT_LE(SLOT0_PAGES / LEAF_PAGES * SZ_4K, info.pin_bytes);
	EXPECT_GE((SLOT0_PAGES / LEAF_PAGES + 2) * SZ_4K, info.pin_bytes);
}

/*
 * Two memslots sharing one 2 MiB of guest memory, hence one pin table
 * leaf (and IOVAs mapping both in one shadow leaf): deleting one leaves
 * every pin and IOVA of the other, pre-pinned or held.
 */
TEST_F(memslot, delete_neighbour)
{
	uint8_t *y = self->late + SZ_1M;
	int c = self->v.container;
	struct kvm_viommu_refresh rf;
	struct kvm_viommu_info info;
	struct acct base;
	uint32_t id;

	ASSERT_EQ(0, vmm_set_slot(&self->v, LATE_SLOT, 0, LATE_GPA, SZ_1M,
				  self->late));
	ASSERT_EQ(0, vmm_set_slot(&self->v, LATE_SLOT + 1, 0, LATE_GPA + SZ_1M,
				  SZ_1M, y));
	acct_read(_metadata, c, &base);
	ASSERT_EQ(0, viommu_bind_flags_raw(c, self->v.vm,
					   KVM_VIOMMU_BIND_PREPIN));
	EXPECT_PINNED(base, VM_PAGES + EXTRA_PAGES + 512);
	ASSERT_EQ(0, table_at(&self->v, self->gt.root, &id));
	/* The last 4 pages of one memslot, the first 4 of the next. */
	gt_map_run(&self->gt, IOVA_C, LATE_GPA + SZ_1M - 4 * SZ_4K, 8, true);
	ASSERT_EQ(0, viommu_refresh_raw(c, id, IOVA_C, 8 * SZ_4K, &rf));
	EXPECT_REFRESH(rf, 8, 0, 0, 0);

	ASSERT_EQ(0, vmm_set_slot(&self->v, LATE_SLOT, 0, LATE_GPA, 0, NULL));
	ASSERT_EQ(0, viommu_info_raw(c, &info));
	EXPECT_EQ(4, info.mapped_pages);
	EXPECT_PINNED(base, VM_PAGES + EXTRA_PAGES + 256);
	ASSERT_EQ(0, viommu_refresh_raw(c, id, IOVA_C, 8 * SZ_4K, &rf));
	EXPECT_REFRESH(rf, 0, 0, 4, 4);
	EXPECT_EQ(IOVA_C, rf.fail_iova);
	EXPECT_EQ(KVM_VIOMMU_REFUSED_NO_MEMSLOT, rf.fail_reason);

	/* The neighbour's IOVAs still reach its memory, and only them. */
	fill(y + SZ_4K, 0x42, LEN);
	memset(y + 2 * SZ_4K, 0, LEN);
	ASSERT_EQ(0, edu_dma_to_dev(&self->e, IOVA_C + 5 * SZ_4K, LEN));
	ASSERT_EQ(0, edu_dma_from_dev(&self->e, IOVA_C + 6 * SZ_4K, LEN));
	EXPECT_EQ(0, memcmp(y + 2 * SZ_4K, y + SZ_4K, LEN));

	/* Its pins go with it in turn. */
	ASSERT_EQ(0, vmm_set_slot(&self->v, LATE_SLOT + 1, 0, LATE_GPA + SZ_1M,
				  0, NULL));
	ASSERT_EQ(0, viommu_info_raw(c, &info));
	EXPECT_EQ(0, info.mapped_pages);
	EXPECT_PINNED(base, VM_PAGES + EXTRA_PAGES);
}

/*
 * A thread of the VMM refreshing IOVA_B and pre-pinning and releasing
 * pages of EXTRA_SLOT over and over.
 */
struct racer {
	int container;
	uint32_t id;
	bool stop;
	long runs;
	long errors;
};

static void *race_loop(void *arg)
{
	uint64_t gpa = EXTRA_GPA + 16 * SZ_4K;
	struct racer *r = arg;
	struct kvm_viommu_refresh rf;
	int ret;

	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		if (viommu_refresh_raw(r->container, r->id, IOVA_B, 8 * SZ_4K,
				       &rf))
			r->errors++;
		/* -EFAULT while the memslot is gone. */
		ret = viommu_prepin_raw(r->container, 0, gpa, 4 * SZ_4K, NULL);
		if (ret && ret != -EFAULT)
			r->errors++;
		if ((r->runs & 1) &&
		    viommu_prepin_raw(r->container, KVM_VIOMMU_PREPIN_RELEASE,
				      gpa, 4 * SZ_4K, NULL))
			r->errors++;
		r->runs++;
	}
	return NULL;
}

/*
 * Deletion racing refreshes and pre-pins: once KVM_SET_USER_MEMORY_REGION
 * has deleted the memslot, nothing maps or pins its pages, whatever the
 * other thread was doing meanwhile.  @flags: the bind's.  Inlined: a test
 * body that is a mere call is inlined into the 6.12 harness's wrapper,
 * whose fork/setjmp then draws -Wclobbered.
 */
static __always_inline void race_delete(struct __test_metadata *_metadata,
					struct vmm *v, struct gtable *gt,
					uint8_t *extra, uint32_t flags)
{
	/* What stays pinned without EXTRA_SLOT. */
	uint64_t pinned = flags & KVM_VIOMMU_BIND_PREPIN ? VM_PAGES : 0;
	struct timespec ts = { .tv_nsec = 10 * 1000 * 1000 };
	struct racer r = { .container = v->container };
	long pins = pins_held(), kb = vm_locked_kb();
	struct kvm_viommu_info info;
	int i, t, remapped = 0;
	pthread_t thread;

	ASSERT_EQ(0, viommu_bind_flags_raw(v->container, v->vm, flags));
	ASSERT_EQ(0, table_at(v, gt->root, &r.id));
	gt_map_run(gt, IOVA_B, EXTRA_GPA, 8, true);
	ASSERT_EQ(0, pthread_create(&thread, NULL, race_loop, &r));

	for (i = 0; i < 20; i++) {
		ASSERT_EQ(0, vmm_set_slot(v, EXTRA_SLOT, 0, EXTRA_GPA, 0,
					  NULL));
		ASSERT_EQ(0, viommu_info_raw(v->container, &info));
		EXPECT_EQ(0, info.mapped_pages);
		EXPECT_EQ(pinned, info.pinned_pages);

		ASSERT_EQ(0, vmm_set_slot(v, EXTRA_SLOT, 0, EXTRA_GPA,
					  EXTRA_SIZE, extra));
		for (t = 0; t < 100; t++) {
			ASSERT_EQ(0, viommu_info_raw(v->container, &info));
			if (info.mapped_pages == 8)
				break;
			nanosleep(&ts, NULL);
		}
		remapped += info.mapped_pages == 8;
	}
	__atomic_store_n(&r.stop, true, __ATOMIC_RELEASE);
	ASSERT_EQ(0, pthread_join(thread, NULL));
	TH_LOG("%ld rounds, memslot remapped %d times of 20", r.runs,
	       remapped);
	EXPECT_EQ(0, r.errors);
	EXPECT_LT(0, remapped);

	ASSERT_EQ(0, vmm_set_slot(v, EXTRA_SLOT, 0, EXTRA_GPA, 0, NULL));
	ASSERT_EQ(0, viommu_info_raw(v->container, &info));
	EXPECT_EQ(0, info.mapped_pages);
	EXPECT_EQ(pinned, info.pinned_pages);
	EXPECT_EQ(pins + (long)pinned, pins_held());
	EXPECT_EQ(kb + (long)pinned * 4, vm_locked_kb());
}

TEST_F(memslot, delete_races_refresh)
{
	race_delete(_metadata, &self->v, &self->gt, self->extra, 0);
}

TEST_F(memslot, delete_races_refresh_prepinned)
{
	race_delete(_metadata, &self->v, &self->gt, self->extra,
		    KVM_VIOMMU_BIND_PREPIN);
}

/*
 * Moving a memslot (same slot, new GPA) takes its frames away from their
 * old GPAs.  KVM refuses moves while a page-track notifier is registered
 * (KVMGT's rule, kvm_arch_prepare_memory_region()), which a bound
 * container's memslot tracking is; if a kernel lets the move through, the
 * IOVAs of the old GPAs must be gone as for a deletion.
 */
/*
 * A leaf-only refresh after the memslot holding the upper levels of the
 * table is deleted: the table entries kept from the last walk go with it,
 * so the refresh reads from the top, as a plain one would, and finds the
 * root gone (TABLE_FAULT), though the guest changed no entry.
 */
TEST_F(memslot, delete_under_kept_path)
{
	const uint64_t root = EXTRA_GPA, pdpt = root + SZ_4K,
		       pd = root + 2 * SZ_4K, pt = self->gt.next;
	int c = self->v.container;
	struct kvm_viommu_refresh rf;
	struct kvm_viommu_info info;
	uint64_t *e;
	uint32_t id;

	/* Root, PDPT and PD in EXTRA_SLOT; the page table in slot 0. */
	self->gt.next += SZ_4K;
	memset(self->extra, 0, 3 * SZ_4K);
	memset(self->v.mem + pt, 0, SZ_4K);
	e = (uint64_t *)self->extra;
	e[(IOVA_A >> 39) & 511] = pdpt | PTE_P | PTE_RW;
	e = (uint64_t *)(self->extra + SZ_4K);
	e[(IOVA_A >> 30) & 511] = pd | PTE_P | PTE_RW;
	e = (uint64_t *)(self->extra + 2 * SZ_4K);
	e[(IOVA_A >> 21) & 511] = pt | PTE_P | PTE_RW;
	e = (uint64_t *)(self->v.mem + pt);
	e[(IOVA_A >> 12) & 511] = GUEST_DATA | PTE_P | PTE_RW;

	ASSERT_EQ(0, viommu_bind_raw(c, self->v.vm));
	ASSERT_EQ(0, viommu_set_table_raw(c, self->v.group_id,
					  KVM_VIOMMU_FMT_X86_64, 4, root, 0,
					  TEST_APERTURE_LAST, &id));
	ASSERT_EQ(0, viommu_refresh_raw(c, id, IOVA_A, SZ_4K, &rf));
	EXPECT_REFRESH(rf, 1, 0, 0, 0);
	ASSERT_EQ(0, viommu_refresh_flags_raw(c, id,
					      KVM_VIOMMU_REFRESH_LEAF_ONLY,
					      IOVA_A, SZ_4K, &rf));
	EXPECT_REFRESH(rf, 0, 0, 1, 0);
	ASSERT_EQ(0, viommu_info_raw(c, &info));
	EXPECT_EQ(1, info.kept_path_walks);

	ASSERT_EQ(0, vmm_set_slot(&self->v, EXTRA_SLOT, 0, EXTRA_GPA, 0,
				  NULL));
	ASSERT_EQ(0, viommu_refresh_flags_raw(c, id,
					      KVM_VIOMMU_REFRESH_LEAF_ONLY,
					      IOVA_A, SZ_4K, &rf));
	EXPECT_REFRESH(rf, 0, 1, 0, 1);
	EXPECT_EQ(KVM_VIOMMU_REFUSED_TABLE_FAULT, rf.fail_reason);
	ASSERT_EQ(0, viommu_info_raw(c, &info));
	EXPECT_EQ(1, info.kept_path_walks);
}

/*
 * A memslot over device memory, here the edu BAR the VMM mmapped (as QEMU
 * gives a guest its assigned devices' BARs), has no pages to pin:
 * KVM_VIOMMU_BIND_PREPIN leaves it out rather than failing, a leaf that
 * points there is refused as on demand, and a KVM_VIOMMU_PREPIN that
 * names it fails.
 */
TEST_F(memslot, bind_prepin_skips_device_memory)
{
	int c = self->v.container;
	struct kvm_viommu_refresh rf;
	struct acct base;
	uint32_t id;

	ASSERT_EQ(0, vmm_set_slot(&self->v, LATE_SLOT, 0, LATE_GPA,
				  self->e.bar0_size, self->e.bar0));
	acct_read(_metadata, c, &base);
	ASSERT_EQ(0, viommu_bind_flags_raw(c, self->v.vm,
					   KVM_VIOMMU_BIND_PREPIN));
	EXPECT_PINNED(base, VM_PAGES + EXTRA_PAGES);

	ASSERT_EQ(0, table_at(&self->v, self->gt.root, &id));
	gt_map(&self->gt, IOVA_C, LATE_GPA, 1, true);
	gt_map(&self->gt, IOVA_C + SZ_4K, EXTRA_GPA, 1, true);
	ASSERT_EQ(0, viommu_refresh_raw(c, id, IOVA_C, 2 * SZ_4K, &rf));
	EXPECT_REFRESH(rf, 1, 0, 0, 1);
	EXPECT_EQ(IOVA_C, rf.fail_iova);
	EXPECT_EQ(KVM_VIOMMU_REFUSED_PIN, rf.fail_reason);
	EXPECT_PINNED(base, VM_PAGES + EXTRA_PAGES);

	EXPECT_EQ(-EFAULT, viommu_prepin_raw(c, 0, LATE_GPA, SZ_4K, NULL));
	EXPECT_PINNED(base, VM_PAGES + EXTRA_PAGES);
}

TEST_F(memslot, move_after_bind)
{
	int c = self->v.container;
	struct kvm_viommu_info info;
	uint8_t pattern[LEN];
	struct acct base;
	uint32_t id;
	int ret;

	ASSERT_EQ(0, viommu_fixture_table(&self->v, &self->gt, &id));
	acct_read(_metadata, c, &base);
	MAP_A_B(id, pattern);

	ret = vmm_set_slot(&self->v, EXTRA_SLOT, 0, LATE_GPA, EXTRA_SIZE,
			   self->extra);
	ASSERT_EQ(0, viommu_info_raw(c, &info));
	if (ret) {
		TH_LOG("KVM refused the move: %s", strerror(-ret));
		EXPECT_EQ(-EINVAL, ret);
		EXPECT_EQ(12, info.mapped_pages);
		EXPECT_PINNED(base, 12);
		memset(self->extra + 6 * SZ_4K, 0, LEN);
		ASSERT_EQ(0, edu_dma_from_dev(&self->e, IOVA_B + 6 * SZ_4K,
					      LEN));
		EXPECT_EQ(0, memcmp(self->extra + 6 * SZ_4K, pattern, LEN));
	} else {
		EXPECT_EQ(4, info.mapped_pages);
		EXPECT_PINNED(base, 4);
		CHECK_B_GONE(id, pattern);
	}
}

TEST_HARNESS_MAIN
