// SPDX-License-Identifier: GPL-2.0
/*
 * kvm-viommu doorbell: requests posted in a ring in guest memory and
 * signalled through an eventfd are processed in the kernel: by the kicking
 * task itself when it belongs to the VMM, else by a kernel worker.  The test
 * writes the eventfd itself, standing in for KVM's ioeventfd and a vCPU.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "viommu_fixture.h"

#define RING_GPA	0x2000000ULL
#define IOVA		0x10000ULL
#define WAIT_MS		60000

struct ring {
	struct kvm_viommu_ring_hdr *hdr;
	struct kvm_viommu_ring_req *req;
	uint32_t entries;
};

static void ring_init(struct ring *r, uint8_t *mem, uint64_t gpa,
		      uint32_t entries)
{
	memset(mem + gpa, 0, sizeof(*r->hdr) + entries * sizeof(*r->req));
	r->hdr = (void *)(mem + gpa);
	r->req = (void *)(mem + gpa + sizeof(*r->hdr));
	r->entries = entries;
}

/* Post one request with @flags: fill the slot, then publish it with prod. */
static struct kvm_viommu_ring_req *post_flags(struct ring *r, uint32_t table,
					      uint16_t op, uint16_t flags,
					      uint64_t iova, uint64_t size)
{
	uint32_t prod = r->hdr->prod;
	struct kvm_viommu_ring_req *q = &r->req[prod & (r->entries - 1)];

	memset(q, 0, sizeof(*q));
	q->table_id = table;
	q->op = op;
	q->flags = flags;
	q->iova = iova;
	q->size = size;
	__atomic_store_n(&r->hdr->prod, prod + 1, __ATOMIC_RELEASE);
	return q;
}

static struct kvm_viommu_ring_req *post(struct ring *r, uint32_t table,
					uint16_t op, uint64_t iova,
					uint64_t size)
{
	return post_flags(r, table, op, 0, iova, size);
}

static uint32_t cons(struct ring *r)
{
	return __atomic_load_n(&r->hdr->cons, __ATOMIC_ACQUIRE);
}

static void kick(int fd)
{
	uint64_t one = 1;

	if (write(fd, &one, sizeof(one)) != sizeof(one))
		abort();
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Wait until cons reaches @target; on every observation, every request
 * below cons must carry its status already.  Returns the final cons.
 */
static uint32_t wait_cons(struct ring *r, uint32_t target, bool *ordered)
{
	struct timespec ts = { .tv_nsec = 1000 * 1000 };
	long end = now_ms() + WAIT_MS;
	uint32_t c, i;

	do {
		c = cons(r);
		for (i = c > r->entries ? c - r->entries : 0; i < c; i++)
			if (r->req[i & (r->entries - 1)].status ==
			    KVM_VIOMMU_REQ_PENDING)
				*ordered = false;
		if (c == target)
			return c;
		nanosleep(&ts, NULL);
	} while (now_ms() < end);
	return c;
}

static int set_doorbell_raw(int container, int kick_fd, int done_fd,
			    uint32_t entries, uint64_t gpa, uint32_t *id)
{
	struct kvm_viommu_set_doorbell db = {
		.argsz = sizeof(db),
		.kick_fd = kick_fd,
		.done_fd = done_fd,
		.entries = entries,
		.ring_gpa = gpa,
	};

	if (ioctl(container, KVM_VIOMMU_SET_DOORBELL, &db))
		return -errno;
	if (id)
		*id = db.id;
	return 0;
}

static int remove_doorbell_raw(int container, uint32_t id)
{
	struct kvm_viommu_set_doorbell db = {
		.argsz = sizeof(db),
		.flags = KVM_VIOMMU_DOORBELL_DEASSIGN,
		.id = id,
	};

	return ioctl(container, KVM_VIOMMU_SET_DOORBELL, &db) ? -errno : 0;
}

static int get_doorbell_raw(int container, uint32_t id,
			    struct kvm_viommu_doorbell_info *info)
{
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	info->id = id;
	return ioctl(container, KVM_VIOMMU_GET_DOORBELL, info) ? -errno : 0;
}

FIXTURE(db) {
	struct vmm v;
	struct gtable gt;
	struct ring r;
	uint32_t table;
	int kick;
	int done;
	long pins_at_start;
};

FIXTURE_SETUP(db)
{
	vmm_init(&self->v);
	self->kick = -1;
	self->done = -1;
	self->pins_at_start = pins_held();
	ASSERT_EQ(0, vmm_open_vfio(&self->v));
	ASSERT_EQ(0, vmm_create_vm(&self->v));
	gt_init(&self->gt, self->v.mem, 4);
	ASSERT_EQ(0, viommu_fixture_table(&self->v, &self->gt, &self->table));
	ring_init(&self->r, self->v.mem, RING_GPA, 64);
	self->kick = eventfd(0, EFD_CLOEXEC);
	self->done = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, self->kick);
	ASSERT_LE(0, self->done);
}

FIXTURE_TEARDOWN(db)
{
	vmm_close(&self->v);
	close(self->kick);
	close(self->done);
	EXPECT_EQ(self->pins_at_start, pins_held());
	EXPECT_EQ(0, vm_locked_kb());
}

/* Wait for the completion eventfd; true if it fired. */
static bool wait_done(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint64_t v;

	if (poll(&p, 1, WAIT_MS) != 1)
		return false;
	return read(fd, &v, sizeof(v)) == sizeof(v);
}

TEST_F(db, refresh_through_ring)
{
	struct kvm_viommu_doorbell_info dbi;
	struct kvm_viommu_ring_req *q;
	struct kvm_viommu_info info;
	uint32_t id = 0;
	int i;

	for (i = 0; i < 4; i++)
		gt_map(&self->gt, IOVA + i * SZ_4K, GUEST_DATA + i * SZ_4K, 1,
		       true);
	ASSERT_EQ(0, set_doorbell_raw(self->v.container, self->kick,
				      self->done, 64, RING_GPA, &id));
	EXPECT_NE(0, id);

	q = post(&self->r, self->table, KVM_VIOMMU_REQ_REFRESH, IOVA,
		 4 * SZ_4K);
	kick(self->kick);
	ASSERT_TRUE(wait_done(self->done));
	ASSERT_EQ(1, cons(&self->r));
	EXPECT_EQ(KVM_VIOMMU_REQ_DONE, q->status);
	EXPECT_EQ(4, q->mapped);
	EXPECT_EQ(0, q->refused);

	/* What the ring says is in force. */
	ASSERT_EQ(0, viommu_info_raw(self->v.container, &info));
	EXPECT_EQ(4, info.mapped_pages);
	EXPECT_EQ(4, info.pinned_pages);
	EXPECT_EQ(16, vm_locked_kb());

	ASSERT_EQ(0, get_doorbell_raw(self->v.container, id, &dbi));
	EXPECT_EQ(KVM_VIOMMU_RING_OK, dbi.error);
	EXPECT_EQ(1, dbi.cons);
	EXPECT_EQ(1, dbi.requests);
	EXPECT_LE(1, dbi.kicks);

	/* Unmap through the ring as well. */
	*gt_entry(&self->gt, IOVA, 2) = 0;
	q = post(&self->r, self->table, KVM_VIOMMU_REQ_REFRESH_ALL, 0, 0);
	kick(self->kick);
	ASSERT_TRUE(wait_done(self->done));
	EXPECT_EQ(KVM_VIOMMU_REQ_DONE, q->status);
	EXPECT_EQ(4, q->unmapped);
	EXPECT_EQ(0, vm_locked_kb());
}

/* A kick that came before the doorbell existed is not lost. */
TEST_F(db, kick_before_create)
{
	struct kvm_viommu_ring_req *q;
	bool ordered = true;

	gt_map(&self->gt, IOVA, GUEST_DATA, 1, true);
	q = post(&self->r, self->table, KVM_VIOMMU_REQ_REFRESH, IOVA, SZ_4K);
	kick(self->kick);
	ASSERT_EQ(0, set_doorbell_raw(self->v.container, self->kick, -1, 64,
				      RING_GPA, NULL));
	EXPECT_EQ(1, wait_cons(&self->r, 1, &ordered));
	EXPECT_EQ(KVM_VIOMMU_REQ_DONE, q->status);
}

TEST_F(db, request_statuses)
{
	struct kvm_viommu_ring_req *q[10];
	bool ordered = true;

	gt_map(&self->gt, IOVA, 0x10000000, 1, true);	/* no memslot */
	ASSERT_EQ(0, set_doorbell_raw(self->v.container, self->kick,
				      self->done, 64, RING_GPA, NULL));
	q[0] = post(&self->r, self->table, 99, IOVA, SZ_4K);
	q[1] = post_flags(&self->r, self->table, KVM_VIOMMU_REQ_REFRESH, 2,
			  IOVA, SZ_4K);
	q[2] = post(&self->r, self->table + 7, KVM_VIOMMU_REQ_REFRESH, IOVA,
		    SZ_4K);
	q[3] = post(&self->r, self->table, KVM_VIOMMU_REQ_REFRESH, IOVA + 8,
		    SZ_4K);
	q[4] = post(&self->r, self->table, KVM_VIOMMU_REQ_REFRESH_ALL, IOVA,
		    0);
	q[5] = post(&self->r, self->table, KVM_VIOMMU_REQ_REFRESH,
		    TEST_APERTURE_LAST + 1, SZ_4K);
	q[6] = post(&self->r, self->table, KVM_VIOMMU_REQ_REFRESH, IOVA,
		    SZ_4K);
	q[7] = post(&self->r, self->table, KVM_VIOMMU_REQ_REFRESH, IOVA + SZ_4K,
		    SZ_4K);
	q[8] = post_flags(&self->r, self->table, KVM_VIOMMU_REQ_REFRESH_ALL,
			  KVM_VIOMMU_REQ_LEAF_ONLY, 0, 0);
	q[9] = post_flags(&self->r, self->table, KVM_VIOMMU_REQ_REFRESH,
			  KVM_VIOMMU_REQ_LEAF_ONLY, IOVA + SZ_4K, SZ_4K);
	kick(self->kick);
	ASSERT_EQ(10, wait_cons(&self->r, 10, &ordered));
	EXPECT_TRUE(ordered);
	EXPECT_EQ(KVM_VIOMMU_REQ_INVALID, q[0]->status);
	EXPECT_EQ(KVM_VIOMMU_REQ_INVALID, q[1]->status);
	EXPECT_EQ(KVM_VIOMMU_REQ_NO_TABLE, q[2]->status);
	EXPECT_EQ(KVM_VIOMMU_REQ_INVALID, q[3]->status);
	EXPECT_EQ(KVM_VIOMMU_REQ_INVALID, q[4]->status);
	EXPECT_EQ(KVM_VIOMMU_REQ_INVALID, q[5]->status);
	EXPECT_EQ(KVM_VIOMMU_REQ_REFUSED, q[6]->status);
	EXPECT_EQ(KVM_VIOMMU_REFUSED_NO_MEMSLOT, q[6]->reason);
	EXPECT_EQ(IOVA, q[6]->fail_iova);
	EXPECT_EQ(1, q[6]->refused);
	EXPECT_EQ(KVM_VIOMMU_REQ_DONE, q[7]->status);
	EXPECT_EQ(0, q[7]->mapped);
	EXPECT_EQ(KVM_VIOMMU_REQ_INVALID, q[8]->status);
	EXPECT_EQ(KVM_VIOMMU_REQ_DONE, q[9]->status);
	EXPECT_EQ(0, q[9]->mapped);
}

/*
 * KVM_VIOMMU_REQ_LEAF_ONLY reaches the engine: a request with it uses
 * the table entries of the last walk, one without it reads them again
 * (the guest here breaks its word, to make the difference visible).
 */
TEST_F(db, leaf_only_request)
{
	struct kvm_viommu_ring_req *q[3];
	struct kvm_viommu_info info;
	bool ordered = true;

	gt_map(&self->gt, IOVA, GUEST_DATA, 1, true);
	ASSERT_EQ(0, set_doorbell_raw(self->v.container, self->kick,
				      self->done, 64, RING_GPA, NULL));
	q[0] = post(&self->r, self->table, KVM_VIOMMU_REQ_REFRESH, IOVA,
		    SZ_4K);
	kick(self->kick);
	ASSERT_EQ(1, wait_cons(&self->r, 1, &ordered));
	EXPECT_EQ(KVM_VIOMMU_REQ_DONE, q[0]->status);
	EXPECT_EQ(1, q[0]->mapped);

	/* A new page table under the same level 2 entry's IOVA. */
	*gt_entry(&self->gt, IOVA, 2) = 0;
	gt_map(&self->gt, IOVA, GUEST_DATA + SZ_4K, 1, true);
	q[1] = post_flags(&self->r, self->table, KVM_VIOMMU_REQ_REFRESH,
			  KVM_VIOMMU_REQ_LEAF_ONLY, IOVA, SZ_4K);
	q[2] = post(&self->r, self->table, KVM_VIOMMU_REQ_REFRESH, IOVA,
		    SZ_4K);
	kick(self->kick);
	ASSERT_EQ(3, wait_cons(&self->r, 3, &ordered));
	EXPECT_TRUE(ordered);
	EXPECT_EQ(KVM_VIOMMU_REQ_DONE, q[1]->status);
	EXPECT_EQ(0, q[1]->mapped);
	EXPECT_EQ(0, q[1]->unmapped);
	EXPECT_EQ(KVM_VIOMMU_REQ_DONE, q[2]->status);
	EXPECT_EQ(1, q[2]->mapped);
	EXPECT_EQ(1, q[2]->unmapped);
	/* The flagged request's walk is the one that started there. */
	ASSERT_EQ(0, viommu_info_raw(self->v.container, &info));
	EXPECT_EQ(1, info.kept_path_walks);
}

/*
 * A full ring, kicked once: processed in bounded passes, in order, each
 * status visible before the index that completes it.
 */
TEST_F(db, flood_in_order)
{
	struct kvm_viommu_doorbell_info dbi;
	bool ordered = true;
	uint32_t id = 0;
	int i;

	for (i = 0; i < 64; i++)
		gt_map(&self->gt, IOVA + i * SZ_4K, GUEST_DATA + i * SZ_4K, 1,
		       i & 1);
	ASSERT_EQ(0, set_doorbell_raw(self->v.container, self->kick, -1, 64,
				      RING_GPA, &id));
	for (i = 0; i < 64; i++)
		post(&self->r, self->table, KVM_VIOMMU_REQ_REFRESH,
		     IOVA + i * SZ_4K, SZ_4K);
	kick(self->kick);
	ASSERT_EQ(64, wait_cons(&self->r, 64, &ordered));
	EXPECT_TRUE(ordered);
	for (i = 0; i < 64; i++) {
		EXPECT_EQ(KVM_VIOMMU_REQ_DONE, self->r.req[i].status);
		EXPECT_EQ(1, self->r.req[i].mapped);
	}
	ASSERT_EQ(0, get_doorbell_raw(self->v.container, id, &dbi));
	EXPECT_EQ(64, dbi.requests);
	/* 32 requests per pass at most. */
	EXPECT_LE(2, dbi.passes);
}

/* One request bigger than a pass's budget takes several passes. */
TEST_F(db, big_request_split)
{
	struct kvm_viommu_doorbell_info dbi;
	struct kvm_viommu_ring_req *q;
	bool ordered = true;
	uint32_t id = 0;
	int i;

	/* 16384 pages: more than one pass's budget with the spans. */
	for (i = 0; i < 32; i++)
		gt_map(&self->gt, SZ_1G + i * SZ_2M, i * SZ_2M, 2, true);
	ASSERT_EQ(0, set_doorbell_raw(self->v.container, self->kick, -1, 64,
				      RING_GPA, &id));
	q = post(&self->r, self->table, KVM_VIOMMU_REQ_REFRESH_ALL, 0, 0);
	kick(self->kick);
	ASSERT_EQ(1, wait_cons(&self->r, 1, &ordered));
	EXPECT_EQ(KVM_VIOMMU_REQ_DONE, q->status);
	EXPECT_EQ(32 * 512, q->mapped);
	ASSERT_EQ(0, get_doorbell_raw(self->v.container, id, &dbi));
	EXPECT_EQ(1, dbi.requests);
	EXPECT_LE(2, dbi.passes);
}

/* A guest index too far ahead disables the ring, visibly and for good. */
TEST_F(db, hostile_index)
{
	struct kvm_viommu_doorbell_info dbi;
	struct timespec ts = { .tv_nsec = 1000 * 1000 };
	long end = now_ms() + WAIT_MS;
	uint32_t id = 0;

	ASSERT_EQ(0, set_doorbell_raw(self->v.container, self->kick,
				      self->done, 64, RING_GPA, &id));
	self->r.hdr->prod = 65;
	kick(self->kick);
	ASSERT_TRUE(wait_done(self->done));
	do {
		ASSERT_EQ(0, get_doorbell_raw(self->v.container, id, &dbi));
		if (dbi.error)
			break;
		nanosleep(&ts, NULL);
	} while (now_ms() < end);
	EXPECT_EQ(KVM_VIOMMU_RING_ERR_INDEX, dbi.error);
	EXPECT_EQ(KVM_VIOMMU_RING_ERR_INDEX, self->r.hdr->error);
	EXPECT_EQ(0, cons(&self->r));

	/* Fixed indices do not revive it. */
	self->r.hdr->prod = 0;
	post(&self->r, self->table, KVM_VIOMMU_REQ_REFRESH, IOVA, SZ_4K);
	kick(self->kick);
	usleep(300 * 1000);
	EXPECT_EQ(0, cons(&self->r));
	EXPECT_EQ(KVM_VIOMMU_REQ_PENDING, self->r.req[0].status);
}

/* A ring whose memslot goes away disables the doorbell. */
TEST_F(db, ring_memslot_deleted)
{
	struct kvm_userspace_memory_region slot = {
		.slot = 4,
		.guest_phys_addr = 0x30000000,
		.memory_size = 0x10000,
	};
	struct kvm_viommu_doorbell_info dbi;
	struct timespec ts = { .tv_nsec = 1000 * 1000 };
	long end = now_ms() + WAIT_MS;
	void *mem;
	uint32_t id = 0;

	mem = mmap(NULL, slot.memory_size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	slot.userspace_addr = (uintptr_t)mem;
	ASSERT_EQ(0, ioctl(self->v.vm, KVM_SET_USER_MEMORY_REGION, &slot));
	ASSERT_EQ(0, set_doorbell_raw(self->v.container, self->kick,
				      self->done, 64, slot.guest_phys_addr,
				      &id));
	slot.memory_size = 0;
	ASSERT_EQ(0, ioctl(self->v.vm, KVM_SET_USER_MEMORY_REGION, &slot));
	kick(self->kick);
	do {
		ASSERT_EQ(0, get_doorbell_raw(self->v.container, id, &dbi));
		if (dbi.error)
			break;
		nanosleep(&ts, NULL);
	} while (now_ms() < end);
	EXPECT_EQ(KVM_VIOMMU_RING_ERR_FAULT, dbi.error);
	munmap(mem, 0x10000);
}

TEST_F(db, create_errors)
{
	int c = self->v.container, k = self->kick, null_fd, status;
	struct kvm_viommu_set_doorbell raw = { .argsz = sizeof(raw) };
	pid_t pid;

	EXPECT_EQ(-EINVAL, set_doorbell_raw(c, k, -1, 0, RING_GPA, NULL));
	EXPECT_EQ(-EINVAL, set_doorbell_raw(c, k, -1, 3, RING_GPA, NULL));
	EXPECT_EQ(-EINVAL, set_doorbell_raw(c, k, -1, 8192, RING_GPA, NULL));
	EXPECT_EQ(-EINVAL, set_doorbell_raw(c, k, -1, 64, RING_GPA + 64,
					    NULL));
	/* Outside guest memory, partly outside, read-only. */
	EXPECT_EQ(-EINVAL, set_doorbell_raw(c, k, -1, 64, 0x10000000, NULL));
	EXPECT_EQ(-EINVAL, set_doorbell_raw(c, k, -1, 4096,
					    GUEST_MEM_SIZE - SZ_4K, NULL));
	EXPECT_EQ(-EINVAL, set_doorbell_raw(c, k, -1, 64, GUEST_RO_GPA, NULL));
	/* Not eventfds. */
	EXPECT_EQ(-EBADF, set_doorbell_raw(c, -1, -1, 64, RING_GPA, NULL));
	null_fd = open("/dev/null", O_RDWR);
	ASSERT_LE(0, null_fd);
	EXPECT_EQ(-EINVAL, set_doorbell_raw(c, null_fd, -1, 64, RING_GPA,
					    NULL));
	EXPECT_EQ(-EINVAL, set_doorbell_raw(c, k, null_fd, 64, RING_GPA,
					    NULL));
	close(null_fd);
	/* Bad flags; removal of what does not exist, or with extra fields. */
	raw.flags = 2;
	EXPECT_EQ(-1, ioctl(c, KVM_VIOMMU_SET_DOORBELL, &raw));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-ENOENT, remove_doorbell_raw(c, 5));
	raw.flags = KVM_VIOMMU_DOORBELL_DEASSIGN;
	raw.id = 5;
	raw.entries = 64;
	EXPECT_EQ(-1, ioctl(c, KVM_VIOMMU_SET_DOORBELL, &raw));
	EXPECT_EQ(EINVAL, errno);

	/* Only the VMM that bound the VM. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(set_doorbell_raw(c, k, -1, 64, RING_GPA, NULL) ==
		      -EPERM ? 0 : 1);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	/* And only once the VM is bound. */
	vmm_close(&self->v);
	ASSERT_EQ(0, vmm_open_vfio(&self->v));
	EXPECT_EQ(-EINVAL, set_doorbell_raw(self->v.container, k, -1, 64,
					    RING_GPA, NULL));
}

/* A removed doorbell processes nothing more. */
TEST_F(db, deassign_stops)
{
	struct kvm_viommu_doorbell_info dbi;
	bool ordered = true;
	uint32_t id = 0;

	gt_map(&self->gt, IOVA, GUEST_DATA, 1, true);
	ASSERT_EQ(0, set_doorbell_raw(self->v.container, self->kick, -1, 64,
				      RING_GPA, &id));
	post(&self->r, self->table, KVM_VIOMMU_REQ_REFRESH, IOVA, SZ_4K);
	kick(self->kick);
	ASSERT_EQ(1, wait_cons(&self->r, 1, &ordered));
	ASSERT_EQ(0, remove_doorbell_raw(self->v.container, id));
	EXPECT_EQ(-ENOENT, get_doorbell_raw(self->v.container, id, &dbi));
	post(&self->r, self->table, KVM_VIOMMU_REQ_REFRESH, IOVA, SZ_4K);
	kick(self->kick);
	usleep(300 * 1000);
	EXPECT_EQ(1, cons(&self->r));
}

/* Two doorbells, two rings, one container. */
TEST_F(db, two_doorbells)
{
	struct ring r2;
	bool ordered = true;
	int kick2 = eventfd(0, EFD_CLOEXEC);

	ASSERT_LE(0, kick2);
	gt_map(&self->gt, IOVA, GUEST_DATA, 1, true);
	gt_map(&self->gt, IOVA + SZ_4K, GUEST_DATA + SZ_4K, 1, true);
	ring_init(&r2, self->v.mem, RING_GPA + 0x10000, 16);
	ASSERT_EQ(0, set_doorbell_raw(self->v.container, self->kick, -1, 64,
				      RING_GPA, NULL));
	ASSERT_EQ(0, set_doorbell_raw(self->v.container, kick2, -1, 16,
				      RING_GPA + 0x10000, NULL));
	post(&self->r, self->table, KVM_VIOMMU_REQ_REFRESH, IOVA, SZ_4K);
	post(&r2, self->table, KVM_VIOMMU_REQ_REFRESH, IOVA + SZ_4K, SZ_4K);
	kick(kick2);
	kick(self->kick);
	EXPECT_EQ(1, wait_cons(&self->r, 1, &ordered));
	EXPECT_EQ(1, wait_cons(&r2, 1, &ordered));
	EXPECT_EQ(1, self->r.req[0].mapped);
	EXPECT_EQ(1, r2.req[0].mapped);
	close(kick2);
}

struct kicker {
	struct ring *r;
	struct gtable *gt;
	uint32_t table;
	int fd;
	int stop;
};

static void *kick_loop(void *arg)
{
	struct kicker *k = arg;

	while (!__atomic_load_n(&k->stop, __ATOMIC_ACQUIRE)) {
		if (k->r->hdr->prod - cons(k->r) < k->r->entries)
			post(k->r, k->table, KVM_VIOMMU_REQ_REFRESH_ALL, 0, 0);
		kick(k->fd);
		usleep(1000);
	}
	return NULL;
}

/* Tear down while a "vCPU" keeps posting and kicking: no hang, no pin left. */
TEST_F(db, teardown_in_flight)
{
	struct kicker k = { .r = &self->r, .table = self->table,
			    .fd = self->kick };
	pthread_t thread;
	int i;

	for (i = 0; i < 8; i++)
		gt_map(&self->gt, SZ_1G + i * SZ_2M, i * SZ_2M, 2, i & 1);
	ASSERT_EQ(0, set_doorbell_raw(self->v.container, self->kick,
				      self->done, 64, RING_GPA, NULL));
	ASSERT_EQ(0, pthread_create(&thread, NULL, kick_loop, &k));
	usleep(300 * 1000);
	/* The last group leaving releases the container's backend. */
	close(self->v.group);
	self->v.group = -1;
	EXPECT_EQ(self->pins_at_start, pins_held());
	__atomic_store_n(&k.stop, 1, __ATOMIC_RELEASE);
	ASSERT_EQ(0, pthread_join(thread, NULL));
	EXPECT_LT(0, cons(&self->r));
}

/*
 * Best effort: make the calling thread SCHED_FIFO (@on) or SCHED_OTHER
 * again.  A SCHED_FIFO thread is not preempted by a kernel worker woken on
 * its CPU, so what it sees right after a write() is what that write() did.
 */
static bool sched_fifo(bool on)
{
	struct sched_param sp = { .sched_priority = on ? 1 : 0 };

	return !sched_setscheduler(0, on ? SCHED_FIFO : SCHED_OTHER, &sp);
}

/*
 * A kick written by the VMM itself is processed before write() returns: the
 * kicking task runs the pass on its way back to userspace.  Checked right
 * after each write(), without waiting and without reading or polling the
 * completion eventfd: handed to a worker, a kick could only pass this if the
 * worker were woken on another CPU and finished a refresh within the few
 * instructions between the syscall's return and the check, for every one of
 * the kicks.
 */
TEST_F(db, local_kick_done_on_return)
{
	struct kvm_viommu_doorbell_info dbi;
	struct pollfd p = { .fd = self->done, .events = POLLIN };
	struct kvm_viommu_ring_req *q;
	uint32_t id = 0;
	bool fifo;
	int i;

	for (i = 0; i < 32; i++)
		gt_map(&self->gt, IOVA + i * SZ_4K, GUEST_DATA + i * SZ_4K, 1,
		       true);
	ASSERT_EQ(0, set_doorbell_raw(self->v.container, self->kick,
				      self->done, 64, RING_GPA, &id));

	fifo = sched_fifo(true);
	if (!fifo)
		TH_LOG("no SCHED_FIFO: checking under SCHED_OTHER");
	for (i = 0; i < 32; i++) {
		q = post(&self->r, self->table, KVM_VIOMMU_REQ_REFRESH,
			 IOVA + i * SZ_4K, SZ_4K);
		kick(self->kick);
		ASSERT_EQ(i + 1, cons(&self->r))
			TH_LOG("kick %d: not processed when write() returned",
			       i);
		ASSERT_EQ(KVM_VIOMMU_REQ_DONE, q->status);
		ASSERT_EQ(1, q->mapped);
	}
	/* The unmap of all of them, the same way. */
	for (i = 0; i < 32; i++)
		gt_clear(&self->gt, IOVA + i * SZ_4K, 1);
	q = post(&self->r, self->table, KVM_VIOMMU_REQ_REFRESH_ALL, 0, 0);
	kick(self->kick);
	EXPECT_EQ(33, cons(&self->r));
	EXPECT_EQ(KVM_VIOMMU_REQ_DONE, q->status);
	EXPECT_EQ(32, q->unmapped);
	/* Completion was signalled before write() returned, too. */
	EXPECT_EQ(1, poll(&p, 1, 0));
	if (fifo)
		ASSERT_TRUE(sched_fifo(false));

	EXPECT_EQ(0, vm_locked_kb());
	ASSERT_EQ(0, get_doorbell_raw(self->v.container, id, &dbi));
	EXPECT_EQ(33, dbi.requests);
	EXPECT_EQ(33, dbi.kicks);
}

/*
 * The kicking task runs one bounded pass; what is left goes to the worker.
 * 64 one-page requests and one kick: 32 are done when write() returns.
 */
TEST_F(db, local_pass_then_worker)
{
	struct kvm_viommu_doorbell_info dbi;
	bool ordered = true;
	uint32_t id = 0;
	int i;

	for (i = 0; i < 64; i++)
		gt_map(&self->gt, IOVA + i * SZ_4K, GUEST_DATA + i * SZ_4K, 1,
		       true);
	ASSERT_EQ(0, set_doorbell_raw(self->v.container, self->kick,
				      self->done, 64, RING_GPA, &id));
	for (i = 0; i < 64; i++)
		post(&self->r, self->table, KVM_VIOMMU_REQ_REFRESH,
		     IOVA + i * SZ_4K, SZ_4K);
	kick(self->kick);
	EXPECT_LE(32, cons(&self->r));
	ASSERT_EQ(64, wait_cons(&self->r, 64, &ordered));
	EXPECT_TRUE(ordered);
	for (i = 0; i < 64; i++)
		EXPECT_EQ(KVM_VIOMMU_REQ_DONE, self->r.req[i].status);
	ASSERT_EQ(0, get_doorbell_raw(self->v.container, id, &dbi));
	EXPECT_EQ(64, dbi.requests);
	EXPECT_LE(2, dbi.passes);
}

/* A kick from another process is not run there: the worker takes it. */
TEST_F(db, foreign_kick_via_worker)
{
	struct kvm_viommu_doorbell_info dbi;
	struct kvm_viommu_ring_req *q;
	uint32_t id = 0;
	int status;
	pid_t pid;

	gt_map(&self->gt, IOVA, GUEST_DATA, 1, true);
	ASSERT_EQ(0, set_doorbell_raw(self->v.container, self->kick,
				      self->done, 64, RING_GPA, &id));
	q = post(&self->r, self->table, KVM_VIOMMU_REQ_REFRESH, IOVA, SZ_4K);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		kick(self->kick);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ASSERT_TRUE(wait_done(self->done));
	EXPECT_EQ(1, cons(&self->r));
	EXPECT_EQ(KVM_VIOMMU_REQ_DONE, q->status);
	EXPECT_EQ(1, q->mapped);
	ASSERT_EQ(0, get_doorbell_raw(self->v.container, id, &dbi));
	EXPECT_EQ(1, dbi.kicks);
	EXPECT_EQ(1, dbi.requests);
	EXPECT_EQ(4, vm_locked_kb());
}

/*
 * Posts and kicks as fast as it can, each request mapping or unmapping one
 * page, so that pins come and go while doorbells are torn down.
 */
static void *kick_hard(void *arg)
{
	struct kicker *k = arg;
	bool map = false;

	while (!__atomic_load_n(&k->stop, __ATOMIC_ACQUIRE)) {
		if (k->r->hdr->prod - cons(k->r) < k->r->entries) {
			map = !map;
			/* The tables above IOVA exist: nothing is allocated. */
			if (map)
				gt_map(k->gt, IOVA, GUEST_DATA, 1, true);
			else
				gt_clear(k->gt, IOVA, 1);
			post(k->r, k->table, KVM_VIOMMU_REQ_REFRESH, IOVA,
			     SZ_4K);
		}
		kick(k->fd);
	}
	return NULL;
}

/*
 * One thread kicks (so its own passes run in it), another removes and
 * recreates the doorbell, closes the VM fd, then releases the container:
 * no crash, no hang, no pin left behind.
 */
TEST_F(db, teardown_races_local_kicks)
{
	struct kicker k = { .r = &self->r, .gt = &self->gt,
			    .table = self->table, .fd = self->kick };
	uint32_t id = 0;
	pthread_t thread;
	int i;

	gt_map(&self->gt, IOVA, GUEST_DATA, 1, true);
	ASSERT_EQ(0, pthread_create(&thread, NULL, kick_hard, &k));
	for (i = 0; i < 200; i++) {
		ASSERT_EQ(0, set_doorbell_raw(self->v.container, self->kick,
					      self->done, 64, RING_GPA, &id));
		if (i % 4)
			usleep(i % 4 * 100);
		ASSERT_EQ(0, remove_doorbell_raw(self->v.container, id));
		if (i == 100) {
			/* The container keeps the VM: nothing changes. */
			close(self->v.vm);
			self->v.vm = -1;
		}
	}
	ASSERT_EQ(0, set_doorbell_raw(self->v.container, self->kick,
				      self->done, 64, RING_GPA, NULL));
	usleep(10 * 1000);
	/* The last group leaving releases the container and its doorbell. */
	close(self->v.group);
	self->v.group = -1;
	EXPECT_EQ(self->pins_at_start, pins_held());
	__atomic_store_n(&k.stop, 1, __ATOMIC_RELEASE);
	ASSERT_EQ(0, pthread_join(thread, NULL));
	EXPECT_LT(0, cons(&self->r));
}

static void *kick_only(void *arg)
{
	struct kicker *k = arg;

	for (;;)
		kick(k->fd);
	return NULL;
}

/*
 * A VMM of its own, kicking from three threads (one of them posting) until
 * it is killed; tells @ready_fd when it is under way.  Exits 1 if it could
 * not set up.
 */
static void killed_vmm(int ready_fd)
{
	struct kicker k = { .fd = -1 };
	pthread_t threads[2];
	bool ordered = true;
	struct gtable gt;
	struct ring r;
	struct vmm v;
	int i;

	vmm_init(&v);
	if (vmm_open_vfio(&v) || vmm_create_vm(&v))
		_exit(1);
	gt_init(&gt, v.mem, 4);
	if (viommu_fixture_table(&v, &gt, &k.table))
		_exit(1);
	/* Pins that must all be released when the VMM dies. */
	for (i = 0; i < 8; i++)
		gt_map(&gt, SZ_1G + i * SZ_2M, i * SZ_2M, 2, true);
	gt_map(&gt, IOVA, GUEST_DATA, 1, true);
	ring_init(&r, v.mem, RING_GPA, 64);
	k.r = &r;
	k.gt = &gt;
	k.fd = eventfd(0, EFD_CLOEXEC);
	if (k.fd < 0 ||
	    set_doorbell_raw(v.container, k.fd, -1, 64, RING_GPA, NULL))
		_exit(1);
	post(&r, k.table, KVM_VIOMMU_REQ_REFRESH_ALL, 0, 0);
	kick(k.fd);
	if (wait_cons(&r, 1, &ordered) != 1 ||
	    pthread_create(&threads[0], NULL, kick_hard, &k) ||
	    pthread_create(&threads[1], NULL, kick_only, &k) ||
	    write(ready_fd, "", 1) != 1)
		_exit(1);
	kick_only(&k);
}

/*
 * A VMM killed while its threads kick: its doorbell goes with its files,
 * at its exit, while its threads may have task works queued or running.
 */
TEST_F(db, kill_while_kicking)
{
	struct pollfd p = { .events = POLLIN };
	int i, pipefd[2], status;
	bool ready;
	pid_t pid;
	char c;

	/* The edu group is the children's now. */
	vmm_close(&self->v);
	for (i = 0; i < 8; i++) {
		ASSERT_EQ(0, pipe(pipefd));
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			close(pipefd[0]);
			killed_vmm(pipefd[1]);
		}
		close(pipefd[1]);
		p.fd = pipefd[0];
		ready = poll(&p, 1, WAIT_MS) == 1 && read(pipefd[0], &c, 1) == 1;
		close(pipefd[0]);
		if (ready)
			usleep(i * 2000);
		kill(pid, SIGKILL);
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		ASSERT_TRUE(ready) TH_LOG("the child VMM could not set up");
		EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
		EXPECT_EQ(self->pins_at_start, pins_held());
	}
}

TEST_HARNESS_MAIN
