// SPDX-License-Identifier: GPL-2.0
/*
 * kvm-viommu teardown in every order: whichever of the group, container and
 * VM fds goes first, and however the VMM dies, every pin and every page of
 * locked_vm comes back.  The fixture teardown checks the final state; the
 * tests check the state in between.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "viommu_fixture.h"

#define NPAGES	64

/* Bind, build a table mapping NPAGES pages, refresh it. */
static void map_some(struct __test_metadata *_metadata, struct vmm *v,
		     struct gtable *gt, uint32_t *id)
{
	struct kvm_viommu_refresh rf;
	int i;

	ASSERT_EQ(0, viommu_fixture_table(v, gt, id));
	for (i = 0; i < NPAGES; i++)
		gt_map(gt, i * SZ_4K, GUEST_DATA + i * SZ_4K, 1, true);
	ASSERT_EQ(0, viommu_refresh_raw(v->container, *id, 0, NPAGES * SZ_4K,
					&rf));
	ASSERT_EQ(NPAGES, rf.mapped);
}

static void close_fd(int *fd)
{
	close(*fd);
	*fd = -1;
}

TEST_F(viommu, vm_container_group)
{
	uint32_t id;

	map_some(_metadata, &self->v, &self->gt, &id);
	EXPECT_EQ(self->pins_at_start + NPAGES, pins_held());
	close_fd(&self->v.vm);
	close_fd(&self->v.kvm);
	/* The container keeps the VM alive: nothing is released yet. */
	EXPECT_EQ(self->pins_at_start + NPAGES, pins_held());
	close_fd(&self->v.container);
	EXPECT_EQ(self->pins_at_start + NPAGES, pins_held());
	close_fd(&self->v.group);
	EXPECT_EQ(self->pins_at_start, pins_held());
	EXPECT_EQ(0, vm_locked_kb());
}

TEST_F(viommu, container_vm_group)
{
	uint32_t id;

	map_some(_metadata, &self->v, &self->gt, &id);
	close_fd(&self->v.container);
	close_fd(&self->v.vm);
	EXPECT_EQ(self->pins_at_start + NPAGES, pins_held());
	close_fd(&self->v.group);
	EXPECT_EQ(self->pins_at_start, pins_held());
}

TEST_F(viommu, group_first)
{
	uint32_t id;

	map_some(_metadata, &self->v, &self->gt, &id);
	/* The last group leaving releases the backend at once. */
	close_fd(&self->v.group);
	EXPECT_EQ(self->pins_at_start, pins_held());
	EXPECT_EQ(0, vm_locked_kb());
}

TEST_F(viommu, unset_container)
{
	uint32_t id;

	map_some(_metadata, &self->v, &self->gt, &id);
	ASSERT_EQ(0, ioctl(self->v.group, VFIO_GROUP_UNSET_CONTAINER));
	EXPECT_EQ(self->pins_at_start, pins_held());
	EXPECT_EQ(0, vm_locked_kb());
	/* The container is deprivileged: our ioctls are gone. */
	EXPECT_EQ(-EINVAL, viommu_refresh_raw(self->v.container, id, 0, SZ_4K,
					      NULL));
}

TEST_F(viommu, table_moved)
{
	uint32_t id, id2;

	map_some(_metadata, &self->v, &self->gt, &id);
	/* Pointing the group at another table frees the old one. */
	ASSERT_EQ(0, viommu_set_table_raw(self->v.container, self->v.group_id,
					  KVM_VIOMMU_FMT_X86_64, 5,
					  self->gt.root, 0, TEST_APERTURE_LAST,
					  &id2));
	EXPECT_EQ(self->pins_at_start, pins_held());
	EXPECT_EQ(0, vm_locked_kb());
}

/*
 * A VM fd closed before a refresh: the container's reference keeps the
 * memslots, and the refresh still tears the mappings down.
 */
TEST_F(viommu, refresh_after_vm_close)
{
	struct kvm_viommu_refresh rf;
	uint32_t id;

	map_some(_metadata, &self->v, &self->gt, &id);
	close_fd(&self->v.vm);
	*gt_entry(&self->gt, 0, 2) = 0;
	ASSERT_EQ(0, viommu_refresh_raw(self->v.container, id, 0, SZ_2M, &rf));
	EXPECT_EQ(NPAGES, rf.unmapped);
	EXPECT_EQ(self->pins_at_start, pins_held());
}

struct refresher {
	int container;
	uint32_t id;
	int stop;
	int errors;
};

static void *refresh_loop(void *arg)
{
	struct refresher *r = arg;
	struct kvm_viommu_refresh rf;

	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE))
		if (viommu_refresh_raw(r->container, r->id, 0, 32 * SZ_2M, &rf))
			r->errors++;
	return NULL;
}

/* The VM fd closed while another thread refreshes. */
TEST_F(viommu, vm_close_mid_refresh)
{
	struct refresher r = { .container = self->v.container };
	pthread_t thread;
	int i;

	ASSERT_EQ(0, viommu_fixture_table(&self->v, &self->gt, &r.id));
	for (i = 0; i < 32; i++)
		gt_map(&self->gt, i * SZ_2M, i * SZ_2M, 2, i & 1);
	ASSERT_EQ(0, pthread_create(&thread, NULL, refresh_loop, &r));
	usleep(200 * 1000);
	close_fd(&self->v.vm);
	usleep(200 * 1000);
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
	ASSERT_EQ(0, pthread_join(thread, NULL));
	EXPECT_EQ(0, r.errors);
}

/*
 * The VMM killed, idle or in the middle of a long refresh.  The child does
 * not use the harness's asserts: it reports trouble by exiting early, which
 * the parent sees as a missing "ready" byte.  It starts its busy loop only
 * once the parent has counted the pins ("go"): the counts of pins taken
 * and released are read one after the other, and a refresh loop in
 * between skews their difference by thousands.
 */
static void vmm_child(int ready_fd, int go_fd, bool busy)
{
	struct kvm_viommu_refresh rf;
	struct gtable gt;
	struct vmm v;
	uint32_t id;
	char go;
	int i;

	vmm_init(&v);
	if (vmm_open_vfio(&v) || vmm_create_vm(&v))
		_exit(2);
	gt_init(&gt, v.mem, 4);
	if (viommu_fixture_table(&v, &gt, &id))
		_exit(3);
	for (i = 0; i < NPAGES; i++)
		gt_map(&gt, i * SZ_4K, GUEST_DATA + i * SZ_4K, 1, true);
	for (i = 0; i < 32; i++)
		gt_map(&gt, SZ_1G + i * SZ_2M, i * SZ_2M, 2, true);
	if (viommu_refresh_raw(v.container, id, 0, NPAGES * SZ_4K, &rf) ||
	    rf.mapped != NPAGES)
		_exit(4);
	if (write(ready_fd, "r", 1) != 1 || read(go_fd, &go, 1) != 1)
		_exit(5);
	for (;;) {
		if (!busy) {
			pause();
			continue;
		}
		/* Map and unmap 64 MiB, over and over. */
		*gt_entry(&gt, SZ_1G, 3) &= ~PTE_P;
		viommu_refresh_raw(v.container, id, SZ_1G, 32 * SZ_2M, NULL);
		*gt_entry(&gt, SZ_1G, 3) |= PTE_P;
		viommu_refresh_raw(v.container, id, SZ_1G, 32 * SZ_2M, NULL);
	}
}

static void kill_vmm(struct __test_metadata *_metadata, long pins_at_start,
		     bool busy)
{
	int pipefd[2], gofd[2], status;
	char c;
	pid_t pid;

	ASSERT_EQ(0, pipe(pipefd));
	ASSERT_EQ(0, pipe(gofd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(pipefd[0]);
		close(gofd[1]);
		vmm_child(pipefd[1], gofd[0], busy);
	}
	close(pipefd[1]);
	close(gofd[0]);
	ASSERT_EQ(1, read(pipefd[0], &c, 1));
	EXPECT_LE(pins_at_start + NPAGES, pins_held());
	ASSERT_EQ(1, write(gofd[1], "g", 1));
	if (busy)
		usleep(500 * 1000);
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status));
	EXPECT_EQ(pins_at_start, pins_held());
	close(pipefd[0]);
	close(gofd[1]);
}

TEST(kill_idle_vmm)
{
	kill_vmm(_metadata, pins_held(), false);
}

TEST(kill_busy_vmm)
{
	kill_vmm(_metadata, pins_held(), true);
}

TEST_HARNESS_MAIN
