// SPDX-License-Identifier: GPL-2.0
/*
 * kvm-viommu with a real vCPU: a real-mode guest writes its own IO page
 * table, posts a refresh request in its ring and writes the doorbell port,
 * on which the test VMM registered a KVM ioeventfd.  The kernel does the
 * rest.  The VMM only counts exits: none but the final HLT may reach it.
 *
 * In the flagship test the guest then drives the assigned edu device
 * itself (its BAR0 is in a memslot) to DMA through the IOVA it just mapped,
 * and the bytes the device wrote are checked in guest memory.
 */
#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "viommu_fixture.h"
#include "viommu_guest.h"

#define CODE_GPA	0x1000ULL
#define WINDOW		GUEST_TABLES		/* DS: tables and ring */
#define RING_OFF	0x8000
#define REQ_OFF		(RING_OFF + 64)
#define DOORBELL_PORT	0x6000
#define BAR0_GPA	0xe0000000ULL		/* FS: edu's registers */
#define X		0x200000ULL		/* IOVA the guest maps */
#define Y		GUEST_DATA		/* behind X */
#define LEN		256

FIXTURE(vcpu) {
	struct vmm v;
	struct gtable gt;
	uint32_t table;
	int kick;
	long pins_at_start;
	struct guest_code gc;
};

FIXTURE_SETUP(vcpu)
{
	struct kvm_ioeventfd ioev = {
		.addr = DOORBELL_PORT,
		.len = 1,
		.flags = KVM_IOEVENTFD_FLAG_PIO,
	};
	struct kvm_viommu_set_doorbell db = {
		.argsz = sizeof(db),
		.done_fd = -1,
		.entries = 16,
		.ring_gpa = WINDOW + RING_OFF,
	};

	memset(&self->gc, 0, sizeof(self->gc));
	vmm_init(&self->v);
	self->pins_at_start = pins_held();
	ASSERT_EQ(0, vmm_open_vfio(&self->v));
	ASSERT_EQ(0, vmm_create_vm(&self->v));
	gt_init(&self->gt, self->v.mem, 4);
	ASSERT_EQ(0, viommu_fixture_table(&self->v, &self->gt, &self->table));

	/* The guest's doorbell: a port write KVM turns into an eventfd kick. */
	self->kick = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, self->kick);
	ioev.fd = self->kick;
	ASSERT_EQ(0, ioctl(self->v.vm, KVM_IOEVENTFD, &ioev));
	memset(self->v.mem + WINDOW + RING_OFF, 0, 64 + 16 * 64);
	db.kick_fd = self->kick;
	ASSERT_EQ(0, ioctl(self->v.container, KVM_VIOMMU_SET_DOORBELL, &db));
}

FIXTURE_TEARDOWN(vcpu)
{
	vmm_close(&self->v);
	close(self->kick);
	free(self->gc.buf);
	EXPECT_EQ(self->pins_at_start, pins_held());
	EXPECT_EQ(0, vm_locked_kb());
}

/* Guest code: map X -> Y read-write, post a refresh, ring, wait for it. */
static void emit_map_and_refresh(struct guest_code *gc, struct gtable *gt,
				 uint8_t *mem, uint32_t table)
{
	uint64_t *pte = gt_entry(gt, X, 1);	/* builds the tables above */
	uint16_t pte_off = (uint8_t *)pte - (mem + WINDOW);

	gc_mov64(gc, SEG_DS, pte_off, Y | PTE_P | PTE_RW);
	gc_mov32(gc, SEG_DS, REQ_OFF + 0, table);
	gc_mov32(gc, SEG_DS, REQ_OFF + 4, KVM_VIOMMU_REQ_REFRESH);
	gc_mov64(gc, SEG_DS, REQ_OFF + 8, X);
	gc_mov64(gc, SEG_DS, REQ_OFF + 16, SZ_4K);
	gc_mov32(gc, SEG_DS, REQ_OFF + 24, KVM_VIOMMU_REQ_PENDING);
	gc_mov32(gc, SEG_DS, RING_OFF, 1);		/* prod */
	gc_out8(gc, DOORBELL_PORT);
	gc_wait_nonzero32(gc, SEG_DS, REQ_OFF + 24);	/* status */
}

TEST_F(vcpu, doorbell_without_exit)
{
	struct kvm_viommu_ring_req *req =
		(void *)(self->v.mem + WINDOW + REQ_OFF);
	struct kvm_viommu_info info;
	struct guest_exits ex;

	emit_map_and_refresh(&self->gc, &self->gt, self->v.mem,
			     self->table);
	gc_hlt(&self->gc);

	ASSERT_EQ(0, guest_run(self->v.kvm, self->v.vm, self->v.mem, CODE_GPA,
			       &self->gc, WINDOW, 0, 120, &ex))
		TH_LOG("guest did not halt: last exit %u", ex.last_reason);
	EXPECT_EQ(1, ex.hlt);
	EXPECT_EQ(0, ex.io);
	EXPECT_EQ(0, ex.mmio);
	EXPECT_EQ(0, ex.other);

	EXPECT_EQ(KVM_VIOMMU_REQ_DONE, req->status);
	EXPECT_EQ(1, req->mapped);
	ASSERT_EQ(0, viommu_info_raw(self->v.container, &info));
	EXPECT_EQ(1, info.mapped_pages);
}

/*
 * The flagship: the guest maps a buffer, rings the doorbell, then programs
 * edu's DMA itself through the IOVA: RAM(X) -> device -> RAM(X + 0x800).
 */
TEST_F(vcpu, guest_drives_edu)
{
	struct kvm_userspace_memory_region bar = {
		.slot = 3,
		.guest_phys_addr = BAR0_GPA,
		.memory_size = SZ_4K,
	};
	uint8_t *y = self->v.mem + Y, expect[LEN];
	struct guest_exits ex;
	struct edu e = { .fd = -1 };
	int i;

	ASSERT_EQ(0, edu_open(&self->v, &e));
	bar.userspace_addr = (uintptr_t)e.bar0;
	ASSERT_EQ(0, ioctl(self->v.vm, KVM_SET_USER_MEMORY_REGION, &bar));

	for (i = 0; i < LEN; i++)
		y[i] = 0xa5 ^ (i * 13);
	memcpy(expect, y, LEN);
	memset(y + 0x800, 0, LEN);

	emit_map_and_refresh(&self->gc, &self->gt, self->v.mem,
			     self->table);
	gc_mov32(&self->gc, SEG_FS, 0x80, X);		/* src */
	gc_mov32(&self->gc, SEG_FS, 0x88, EDU_BUF);	/* dst */
	gc_mov32(&self->gc, SEG_FS, 0x90, LEN);
	gc_mov32(&self->gc, SEG_FS, 0x98, 1);		/* RAM -> edu */
	gc_wait_clear32(&self->gc, SEG_FS, 0x98, 1);
	gc_mov32(&self->gc, SEG_FS, 0x80, EDU_BUF);
	gc_mov32(&self->gc, SEG_FS, 0x88, X + 0x800);
	gc_mov32(&self->gc, SEG_FS, 0x90, LEN);
	gc_mov32(&self->gc, SEG_FS, 0x98, 3);		/* edu -> RAM */
	gc_wait_clear32(&self->gc, SEG_FS, 0x98, 1);
	gc_hlt(&self->gc);

	ASSERT_EQ(0, guest_run(self->v.kvm, self->v.vm, self->v.mem, CODE_GPA,
			       &self->gc, WINDOW, BAR0_GPA, 300, &ex))
		TH_LOG("guest did not halt: last exit %u", ex.last_reason);
	EXPECT_EQ(1, ex.hlt);
	EXPECT_EQ(0, ex.io);
	EXPECT_EQ(0, ex.mmio);
	EXPECT_EQ(0, ex.other);
	EXPECT_EQ(0, memcmp(y + 0x800, expect, LEN));
	EXPECT_EQ(0, memcmp(y, expect, LEN));

	bar.memory_size = 0;
	ioctl(self->v.vm, KVM_SET_USER_MEMORY_REGION, &bar);
	edu_close(&e);
}

TEST_HARNESS_MAIN
