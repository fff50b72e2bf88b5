// SPDX-License-Identifier: GPL-2.0
/*
 * kvm-viommu uAPI: every ioctl's success and error paths, argsz handling
 * and the ABI sizes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "viommu_fixture.h"

/*
 * The uAPI structures are ABI: a size changes only by growing at the end,
 * with argsz telling the versions apart (kvm_viommu_info: 80, 88, 136,
 * now 144 bytes).
 */
TEST(abi_sizes)
{
	EXPECT_EQ(16, sizeof(struct kvm_viommu_bind_vm));
	EXPECT_EQ(56, sizeof(struct kvm_viommu_set_table));
	EXPECT_EQ(80, sizeof(struct kvm_viommu_refresh));
	EXPECT_EQ(144, sizeof(struct kvm_viommu_info));
	EXPECT_EQ(40, sizeof(struct kvm_viommu_prepin));
	EXPECT_EQ(11, VFIO_KVM_IOMMU);
}

TEST(check_extension)
{
	struct vmm v;
	char path[64];

	vmm_init(&v);
	ASSERT_TRUE(edu_find(v.bdf, sizeof(v.bdf), &v.group_id));
	v.container = open("/dev/vfio/vfio", O_RDWR);
	ASSERT_LE(0, v.container);

	/* No group yet: every registered backend is asked. */
	EXPECT_EQ(1, ioctl(v.container, VFIO_CHECK_EXTENSION, VFIO_KVM_IOMMU));
	EXPECT_EQ(0, ioctl(v.container, VFIO_CHECK_EXTENSION, 12));
	EXPECT_EQ(0, ioctl(v.container, VFIO_CHECK_EXTENSION, 4242));

	snprintf(path, sizeof(path), "/dev/vfio/%d", v.group_id);
	v.group = open(path, O_RDWR);
	ASSERT_LE(0, v.group);
	ASSERT_EQ(0, ioctl(v.group, VFIO_GROUP_SET_CONTAINER, &v.container));
	EXPECT_EQ(1, ioctl(v.container, VFIO_CHECK_EXTENSION, VFIO_KVM_IOMMU));

	/* Our ioctls mean nothing before VFIO_SET_IOMMU. */
	EXPECT_EQ(-EINVAL, viommu_bind_raw(v.container, -1));

	ASSERT_EQ(0, ioctl(v.container, VFIO_SET_IOMMU, VFIO_KVM_IOMMU));
	/* Once set, only our backend answers. */
	EXPECT_EQ(1, ioctl(v.container, VFIO_CHECK_EXTENSION, VFIO_KVM_IOMMU));
	EXPECT_EQ(0, ioctl(v.container, VFIO_CHECK_EXTENSION,
			   VFIO_TYPE1v2_IOMMU));
	/* A second SET_IOMMU is refused by the VFIO core. */
	EXPECT_EQ(-1, ioctl(v.container, VFIO_SET_IOMMU, VFIO_KVM_IOMMU));
	/* Unknown ioctl numbers on the container. */
	EXPECT_EQ(-1, ioctl(v.container, _IO(VFIO_TYPE, KVM_VIOMMU_BASE + 40)));
	EXPECT_EQ(ENOTTY, errno);
	vmm_close(&v);
}

TEST_F(viommu, get_info_fresh)
{
	struct kvm_viommu_info info;

	ASSERT_EQ(0, viommu_info_raw(self->v.container, &info));
	EXPECT_EQ(sizeof(info), info.argsz);
	EXPECT_TRUE(info.formats & (1ULL << KVM_VIOMMU_FMT_X86_64));
	/* NONE is no format, and nothing beyond the defined numbers. */
	EXPECT_EQ(0, info.formats & ~((1ULL << KVM_VIOMMU_FMT_COUNT) - 2));
	EXPECT_TRUE(info.pgsize_bitmap & SZ_4K);
	EXPECT_LE(TEST_APERTURE_LAST, info.aperture_last);
	EXPECT_EQ(0, info.pinned_pages);
	EXPECT_EQ(0, info.mapped_pages);
	EXPECT_EQ(0, info.refreshes);
	EXPECT_EQ(0, info.refusals);
	EXPECT_EQ(0, info.nr_tables);
	EXPECT_EQ(1, info.nr_groups);

	info.flags = 1;
	EXPECT_EQ(-1, ioctl(self->v.container, KVM_VIOMMU_GET_INFO, &info));
	EXPECT_EQ(EINVAL, errno);
}

/*
 * argsz: too small is EINVAL, larger with a zero tail is fine, a nonzero
 * tail is E2BIG, and the kernel writes back no more than it knows.
 */
TEST_F(viommu, argsz)
{
	struct {
		struct kvm_viommu_info info;
		uint8_t tail[16];
	} big;
	static const uint32_t old_ends[] = {
		offsetof(struct kvm_viommu_info, mapped_blocks),
		offsetof(struct kvm_viommu_info, kept_path_walks),
	};
	struct kvm_viommu_bind_vm bind = { .vm_fd = self->v.vm };
	int i;

	memset(&big, 0, sizeof(big));
	big.info.argsz = sizeof(big);
	ASSERT_EQ(0, ioctl(self->v.container, KVM_VIOMMU_GET_INFO, &big));
	EXPECT_EQ(sizeof(big.info), big.info.argsz);
	for (i = 0; i < (int)sizeof(big.tail); i++)
		EXPECT_EQ(0, big.tail[i]);

	big.tail[7] = 1;
	big.info.argsz = sizeof(big);
	big.info.nr_groups = 0;
	EXPECT_EQ(-1, ioctl(self->v.container, KVM_VIOMMU_GET_INFO, &big));
	EXPECT_EQ(E2BIG, errno);

	/* Shorter than the first version (which ended with nr_groups). */
	big.info.argsz = offsetof(struct kvm_viommu_info, nr_groups);
	EXPECT_EQ(-1, ioctl(self->v.container, KVM_VIOMMU_GET_INFO, &big));
	EXPECT_EQ(EINVAL, errno);
	/*
	 * A caller built against an older version (the first ended with
	 * nr_groups, the third with __reserved; a u64 field follows each)
	 * is served, and nothing beyond what it passed is read or written.
	 */
	for (i = 0; i < (int)ARRAY_SIZE(old_ends); i++) {
		uint64_t *next = (uint64_t *)((uint8_t *)&big.info +
					      old_ends[i]);

		memset(&big, 0, sizeof(big));
		big.info.argsz = old_ends[i];
		*next = 0x5a5a;
		EXPECT_EQ(0, ioctl(self->v.container, KVM_VIOMMU_GET_INFO,
				   &big));
		EXPECT_EQ(1, big.info.nr_groups);
		EXPECT_EQ(0x5a5a, *next);
	}

	bind.argsz = 8;
	EXPECT_EQ(-1, ioctl(self->v.container, KVM_VIOMMU_BIND_VM, &bind));
	EXPECT_EQ(EINVAL, errno);
	bind.argsz = 0;
	EXPECT_EQ(-1, ioctl(self->v.container, KVM_VIOMMU_BIND_VM, &bind));
	EXPECT_EQ(EINVAL, errno);

	/* A bad user pointer. */
	EXPECT_EQ(-1, ioctl(self->v.container, KVM_VIOMMU_GET_INFO, NULL));
	EXPECT_EQ(EFAULT, errno);
}

TEST_F(viommu, bind_errors)
{
	struct kvm_viommu_bind_vm bind = {
		.argsz = sizeof(bind), .vm_fd = self->v.vm,
	};
	int null_fd, vcpu, vm2;

	EXPECT_EQ(-EBADF, viommu_bind_raw(self->v.container, -1));
	EXPECT_EQ(-EBADF, viommu_bind_raw(self->v.container, 1000));

	null_fd = open("/dev/null", O_RDWR);
	ASSERT_LE(0, null_fd);
	EXPECT_EQ(-EINVAL, viommu_bind_raw(self->v.container, null_fd));
	close(null_fd);
	EXPECT_EQ(-EINVAL, viommu_bind_raw(self->v.container, self->v.kvm));
	EXPECT_EQ(-EINVAL, viommu_bind_raw(self->v.container,
					   self->v.container));
	vcpu = ioctl(self->v.vm, KVM_CREATE_VCPU, 0);
	ASSERT_LE(0, vcpu);
	EXPECT_EQ(-EINVAL, viommu_bind_raw(self->v.container, vcpu));
	close(vcpu);

	bind.flags = 1u << 1;	/* no such flag */
	EXPECT_EQ(-1, ioctl(self->v.container, KVM_VIOMMU_BIND_VM, &bind));
	EXPECT_EQ(EINVAL, errno);
	bind.flags = 0;
	bind.__reserved = 1;
	EXPECT_EQ(-1, ioctl(self->v.container, KVM_VIOMMU_BIND_VM, &bind));
	EXPECT_EQ(EINVAL, errno);

	/* Nothing above bound anything. */
	ASSERT_EQ(0, viommu_bind_raw(self->v.container, self->v.vm));
	EXPECT_EQ(-EBUSY, viommu_bind_raw(self->v.container, self->v.vm));
	vm2 = ioctl(self->v.kvm, KVM_CREATE_VM, 0);
	ASSERT_LE(0, vm2);
	EXPECT_EQ(-EBUSY, viommu_bind_raw(self->v.container, vm2));
	close(vm2);
}

/* A VM whose memory is another process's is refused. */
TEST_F(viommu, bind_foreign_vm)
{
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		/* The child inherits both fds but has its own mm. */
		_exit(viommu_bind_raw(self->v.container, self->v.vm) == -EPERM ?
		      0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	/* The owner still can. */
	EXPECT_EQ(0, viommu_bind_raw(self->v.container, self->v.vm));
}

TEST_F(viommu, set_table_errors)
{
	struct kvm_viommu_set_table st = { .argsz = sizeof(st) };
	struct kvm_viommu_info info;
	int c = self->v.container, g = self->v.group_id;
	uint64_t root = self->gt.root, last = TEST_APERTURE_LAST;
	uint32_t id, id2;
	int status;
	pid_t pid;

	/* Wrong order: no VM bound yet. */
	EXPECT_EQ(-EINVAL, viommu_set_table_raw(c, g, KVM_VIOMMU_FMT_X86_64,
						4, root, 0, last, &id));
	ASSERT_EQ(0, viommu_bind_raw(c, self->v.vm));
	ASSERT_EQ(0, viommu_info_raw(c, &info));

	EXPECT_EQ(-ENOENT, viommu_set_table_raw(c, g + 1000,
						KVM_VIOMMU_FMT_X86_64, 4,
						root, 0, last, &id));
	EXPECT_EQ(-EINVAL, viommu_set_table_raw(c, g, KVM_VIOMMU_FMT_COUNT,
						0, root, 0, last, &id));
	EXPECT_EQ(-EINVAL, viommu_set_table_raw(c, g, 4242, 0, root, 0, last,
						&id));
	EXPECT_EQ(-EINVAL, viommu_set_table_raw(c, g, KVM_VIOMMU_FMT_X86_64,
						3, root, 0, last, &id));
	EXPECT_EQ(-EINVAL, viommu_set_table_raw(c, g, KVM_VIOMMU_FMT_X86_64,
						6, root, 0, last, &id));
	EXPECT_EQ(-EINVAL, viommu_set_table_raw(c, g, KVM_VIOMMU_FMT_X86_64,
						4, root + 8, 0, last, &id));
	EXPECT_EQ(-EINVAL, viommu_set_table_raw(c, g, KVM_VIOMMU_FMT_X86_64,
						4, root, 0x800, last, &id));
	EXPECT_EQ(-EINVAL, viommu_set_table_raw(c, g, KVM_VIOMMU_FMT_X86_64,
						4, root, 0, last - 1, &id));
	EXPECT_EQ(-EINVAL, viommu_set_table_raw(c, g, KVM_VIOMMU_FMT_X86_64,
						4, root, SZ_2M, SZ_4K - 1,
						&id));
	/* Beyond the lower canonical half of a 4-level table. */
	EXPECT_EQ(-EINVAL, viommu_set_table_raw(c, g, KVM_VIOMMU_FMT_X86_64,
						4, root, 0, (1ULL << 48) - 1,
						&id));
	/* Beyond what the host IOMMU can translate. */
	if (info.aperture_last < (1ULL << 47) - 1)
		EXPECT_EQ(-EINVAL,
			  viommu_set_table_raw(c, g, KVM_VIOMMU_FMT_X86_64, 4,
					       root, 0,
					       info.aperture_last + SZ_4K,
					       &id));
	/* FMT_NONE takes no description. */
	EXPECT_EQ(-EINVAL, viommu_set_table_raw(c, g, KVM_VIOMMU_FMT_NONE, 0,
						root, 0, 0, &id));
	st.group_id = g;
	st.format = KVM_VIOMMU_FMT_X86_64;
	st.root_gpa = root;
	st.aperture_last = last;
	st.flags = 1u << 1;	/* no such flag */
	EXPECT_EQ(-1, ioctl(c, KVM_VIOMMU_SET_TABLE, &st));
	EXPECT_EQ(EINVAL, errno);
	st.flags = 0;
	st.__reserved = 1;
	EXPECT_EQ(-1, ioctl(c, KVM_VIOMMU_SET_TABLE, &st));
	EXPECT_EQ(EINVAL, errno);
	st.__reserved = 0;
	st.page_shift = 16;	/* x86-64 pages are 4 KiB, nothing else */
	EXPECT_EQ(-1, ioctl(c, KVM_VIOMMU_SET_TABLE, &st));
	EXPECT_EQ(EINVAL, errno);
	st.page_shift = 0;

	ASSERT_EQ(0, viommu_info_raw(c, &info));
	EXPECT_EQ(0, info.nr_tables);

	/* Only the process that bound the VM. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(viommu_set_table_raw(c, g, KVM_VIOMMU_FMT_X86_64, 4, root,
					   0, last, &id) == -EPERM ? 0 : 1);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	/*
	 * Valid: a table, here from a caller built against the first version
	 * of the structure (no page_shift); the same description again is
	 * the same table.
	 */
	st.argsz = offsetof(struct kvm_viommu_set_table, page_shift);
	ASSERT_EQ(0, ioctl(c, KVM_VIOMMU_SET_TABLE, &st));
	id = st.table_id;
	EXPECT_NE(0, id);
	ASSERT_EQ(0, viommu_set_table_raw(c, g, KVM_VIOMMU_FMT_X86_64, 4, root,
					  0, last, &id2));
	EXPECT_EQ(id, id2);
	/* Another description moves the group; the old table dies. */
	ASSERT_EQ(0, viommu_set_table_raw(c, g, KVM_VIOMMU_FMT_X86_64, 5, root,
					  0, last, &id2));
	EXPECT_NE(id, id2);
	ASSERT_EQ(0, viommu_info_raw(c, &info));
	EXPECT_EQ(1, info.nr_tables);
	/* And FMT_NONE blocks the group and frees its table. */
	ASSERT_EQ(0, viommu_set_table_raw(c, g, KVM_VIOMMU_FMT_NONE, 0, 0, 0,
					  0, &id));
	EXPECT_EQ(0, id);
	ASSERT_EQ(0, viommu_info_raw(c, &info));
	EXPECT_EQ(0, info.nr_tables);
	EXPECT_EQ(-ENOENT, viommu_refresh_raw(c, id2, 0, SZ_4K, NULL));
}

TEST_F(viommu, refresh_errors)
{
	struct kvm_viommu_refresh rf = { .argsz = sizeof(rf) };
	int c = self->v.container;
	uint32_t id;
	int status;
	pid_t pid;

	/* Wrong order: no VM bound, no table. */
	EXPECT_EQ(-EINVAL, viommu_refresh_raw(c, 1, 0, SZ_4K, NULL));
	ASSERT_EQ(0, viommu_fixture_table(&self->v, &self->gt, &id));

	EXPECT_EQ(-ENOENT, viommu_refresh_raw(c, id + 1, 0, SZ_4K, NULL));
	EXPECT_EQ(-EINVAL, viommu_refresh_raw(c, id, 0, 0, NULL));
	EXPECT_EQ(-EINVAL, viommu_refresh_raw(c, id, 0, 100, NULL));
	EXPECT_EQ(-EINVAL, viommu_refresh_raw(c, id, 0x800, SZ_4K, NULL));
	EXPECT_EQ(-EINVAL, viommu_refresh_raw(c, id, TEST_APERTURE_LAST + 1,
					      SZ_4K, NULL));
	EXPECT_EQ(-EINVAL, viommu_refresh_raw(c, id, SZ_1G, SZ_1G + SZ_4K,
					      NULL));
	EXPECT_EQ(-EINVAL, viommu_refresh_raw(c, id, SZ_1G, -SZ_4K, NULL));

	rf.table_id = id;
	rf.size = SZ_4K;
	rf.flags = 2;		/* bit 0 is KVM_VIOMMU_REFRESH_LEAF_ONLY */
	EXPECT_EQ(-1, ioctl(c, KVM_VIOMMU_REFRESH, &rf));
	EXPECT_EQ(EINVAL, errno);
	rf.flags = 0;
	rf.__reserved = 1;
	EXPECT_EQ(-1, ioctl(c, KVM_VIOMMU_REFRESH, &rf));
	EXPECT_EQ(EINVAL, errno);
	rf.__reserved = 0;
	rf.mapped = 1;		/* output fields must come in as zero */
	EXPECT_EQ(-1, ioctl(c, KVM_VIOMMU_REFRESH, &rf));
	EXPECT_EQ(EINVAL, errno);

	/* Only the process that bound the VM may refresh. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(viommu_refresh_raw(c, id, 0, SZ_4K, NULL) == -EPERM ?
		      0 : 1);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	EXPECT_EQ(0, viommu_refresh_raw(c, id, 0, SZ_4K, NULL));
}

TEST_HARNESS_MAIN
