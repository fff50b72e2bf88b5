// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_VIOMMU_TCE: the Power TCE hypercalls (H_PUT_TCE, H_PUT_TCE_INDIRECT,
 * H_STUFF_TCE) on sPAPR TCE tables that the test builds in guest memory
 * with its own encoder (big-endian TCEs, flat or multi-level).  What the
 * kernel writes into the table is checked entry by entry against that
 * encoder, what it maps through GET_INFO, locked_vm and, once, edu's DMA;
 * and a refused call must leave the guest's table unchanged byte for byte.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "viommu_fixture.h"

/*
 * The test wrappers of 6.12's kselftest_harness.h keep the child's pid in
 * a local across setjmp(); whether gcc warns about it (-Wclobbered) depends
 * on its register allocation of each wrapper, not on the tests.  From 6.13
 * on the harness has no setjmp() there.
 */
#pragma GCC diagnostic ignored "-Wclobbered"

/* The DMA window: 128 MiB from 64 MiB, below edu's 28-bit DMA mask. */
#define WIN		0x4000000ULL
#define WIN_SIZE	0x8000000ULL
#define WIN_LAST	(WIN + WIN_SIZE - 1)

/* TCE bits (LoPAR; Linux's arch/powerpc/include/asm/tce.h). */
#define TCE_R		0x1ULL
#define TCE_W		0x2ULL
#define TCE_RW		(TCE_R | TCE_W)
#define TCE_TABLE_ADDR	0x000ffffffffff000ULL

#define LIST_GPA	(GUEST_DATA + 8 * SZ_1M)	/* TCE lists */
#define NOWHERE		0x20000000ULL		/* outside every memslot */

/**
 * struct tcetab - a TCE table in guest memory, as the guest writes it
 * @mem: host view of guest memory at GPA 0.
 * @levels: 1 (flat) to 5.
 * @shift: IOMMU page shift.
 * @root: GPA of the top-level table.
 * @next: GPA of the next free 4 KiB page for lower-level tables.
 */
struct tcetab {
	uint8_t *mem;
	unsigned int levels;
	unsigned int shift;
	uint64_t root;
	uint64_t next;
};

static void tt_init(struct tcetab *tt, uint8_t *mem, unsigned int levels,
		    unsigned int shift)
{
	tt->mem = mem;
	tt->levels = levels;
	tt->shift = shift;
	tt->root = GUEST_TABLES;
	/* Room for a flat table of the whole window at 4 KiB pages. */
	tt->next = GUEST_TABLES + 2 * SZ_1M;
	memset(mem + GUEST_TABLES, 0, 2 * SZ_1M);
}

/*
 * The TCE of @iova, creating the indirect levels above it when @create;
 * NULL when a level is missing.
 */
static uint64_t *tt_entry(struct tcetab *tt, uint64_t iova, bool create)
{
	uint64_t off = iova - WIN, table = tt->root, idx;
	unsigned int l;

	for (l = tt->levels; l > 1; l--) {
		uint64_t *e, v;

		idx = off >> (tt->shift + 9 * (l - 1));
		if (l < tt->levels)
			idx &= 511;
		e = (uint64_t *)(tt->mem + table) + idx;
		v = be64toh(*e);
		if (!(v & TCE_RW)) {
			if (!create)
				return NULL;
			memset(tt->mem + tt->next, 0, SZ_4K);
			v = tt->next | TCE_RW;
			*e = htobe64(v);
			tt->next += SZ_4K;
		}
		table = v & TCE_TABLE_ADDR;
	}
	idx = off >> tt->shift;
	if (tt->levels > 1)
		idx &= 511;
	return (uint64_t *)(tt->mem + table) + idx;
}

/* The TCE at @iova in CPU order; 0 when a level above it is missing. */
static uint64_t tt_get(struct tcetab *tt, uint64_t iova)
{
	uint64_t *e = tt_entry(tt, iova, false);

	return e ? be64toh(*e) : 0;
}

static int set_tce_table(struct vmm *v, struct tcetab *tt, uint64_t ap_last,
			 uint32_t *id)
{
	struct kvm_viommu_set_table st = {
		.argsz = sizeof(st),
		.group_id = v->group_id,
		.format = KVM_VIOMMU_FMT_SPAPR_TCE,
		.levels = tt->levels,
		.root_gpa = tt->root,
		.aperture_start = WIN,
		.aperture_last = ap_last,
		.page_shift = tt->shift,
	};

	if (ioctl(v->container, KVM_VIOMMU_SET_TABLE, &st))
		return -errno;
	*id = st.table_id;
	return 0;
}

static int tce_raw(int c, uint32_t op, uint32_t id, uint64_t ioba,
		   uint64_t tce, uint64_t list, uint64_t npages,
		   struct kvm_viommu_tce *out)
{
	struct kvm_viommu_tce a = {
		.argsz = sizeof(a),
		.op = op,
		.table_id = id,
		.ioba = ioba,
		.tce = tce,
		.tce_list = list,
		.npages = npages,
	};
	int ret = ioctl(c, KVM_VIOMMU_TCE, &a) ? -errno : 0;

	if (out)
		*out = a;
	return ret;
}

/**
 * struct tce_test - the state of one test (each runs in its own process)
 * @tt: the guest's TCE table.
 * @id: its table id.
 * @last: the result of the last hypercall.
 */
static struct tce_test {
	struct tcetab tt;
	uint32_t id;
	struct kvm_viommu_tce last;
} tc;

/* The guest's tables, to check that a refused call wrote none. */
static uint8_t snap[GUEST_DATA - GUEST_TABLES];

FIXTURE_VARIANT(viommu) {
	unsigned int levels;
};

FIXTURE_VARIANT_ADD(viommu, flat) {
	.levels = 1,
};

FIXTURE_VARIANT_ADD(viommu, three_levels) {
	.levels = 3,
};

/* Bind the fixture's VM and give the group an empty TCE table. */
static void tce_setup(struct __test_metadata *_metadata, struct vmm *v,
		      unsigned int levels, unsigned int shift)
{
	ASSERT_EQ(0, viommu_bind_raw(v->container, v->vm));
	tt_init(&tc.tt, v->mem, levels, shift);
	ASSERT_EQ(0, set_tce_table(v, &tc.tt, WIN_LAST, &tc.id));
}

#define TCE_SETUP() tce_setup(_metadata, &self->v, variant->levels, 12)

/* A hypercall, which must reach the kernel: its H_* code. */
static int64_t hcall(struct __test_metadata *_metadata, int c, uint32_t op,
		     uint64_t ioba, uint64_t tce, uint64_t list,
		     uint64_t npages)
{
	ASSERT_EQ(0, tce_raw(c, op, tc.id, ioba, tce, list, npages,
			     &tc.last));
	return tc.last.hret;
}

#define H_PUT(ioba, tce) hcall(_metadata, self->v.container, \
			       KVM_VIOMMU_TCE_PUT, ioba, tce, 0, 0)
#define H_INDIRECT(ioba, list, n) hcall(_metadata, self->v.container, \
					KVM_VIOMMU_TCE_PUT_INDIRECT, ioba, \
					0, list, n)
#define H_STUFF(ioba, tce, n) hcall(_metadata, self->v.container, \
				    KVM_VIOMMU_TCE_STUFF, ioba, tce, 0, n)

static void snapshot(struct vmm *v)
{
	memcpy(snap, v->mem + GUEST_TABLES, sizeof(snap));
}

static bool tables_unchanged(struct vmm *v)
{
	return !memcmp(snap, v->mem + GUEST_TABLES, sizeof(snap));
}

static void expect_counts(struct __test_metadata *_metadata, int container,
			  uint64_t pinned, uint64_t mapped)
{
	struct kvm_viommu_info info;

	ASSERT_EQ(0, viommu_info_raw(container, &info));
	EXPECT_EQ(pinned, info.pinned_pages);
	EXPECT_EQ(mapped, info.mapped_pages);
}

#define EXPECT_COUNTS(m, u, same, ref) do {		\
	EXPECT_EQ(m, tc.last.mapped);			\
	EXPECT_EQ(u, tc.last.unmapped);			\
	EXPECT_EQ(same, tc.last.unchanged);		\
	EXPECT_EQ(ref, tc.last.refused);		\
} while (0)

/* Write a list of @n TCEs at LIST_GPA: page i -> GUEST_DATA + i pages. */
static void make_list(struct vmm *v, unsigned int n)
{
	uint64_t *list = (uint64_t *)(v->mem + LIST_GPA);
	unsigned int i;

	for (i = 0; i < n; i++)
		list[i] = htobe64((GUEST_DATA + i * SZ_4K) |
				  (i & 1 ? TCE_R : TCE_RW));
}

/* The levels a call needs are there unless a test removes them. */
static void make_levels(uint64_t ioba, uint64_t npages)
{
	uint64_t i;

	for (i = 0; i < npages; i++)
		tt_entry(&tc.tt, ioba + (i << tc.tt.shift), true);
}

TEST(abi_size)
{
	EXPECT_EQ(104, sizeof(struct kvm_viommu_tce));
	EXPECT_EQ(0, KVM_VIOMMU_H_SUCCESS);
	EXPECT_EQ(-4, KVM_VIOMMU_H_PARAMETER);
	EXPECT_EQ(9999, KVM_VIOMMU_H_TOO_HARD);
}

TEST_F(viommu, put_map_unmap)
{
	int c = self->v.container;
	uint64_t ioba = WIN + 5 * SZ_4K;
	long pins = pins_held();
	struct kvm_viommu_info info;

	TCE_SETUP();

	make_levels(ioba, 1);
	EXPECT_EQ(KVM_VIOMMU_H_SUCCESS, H_PUT(ioba, GUEST_DATA | TCE_RW));
	EXPECT_COUNTS(1, 0, 0, 0);
	EXPECT_EQ(GUEST_DATA | TCE_RW, tt_get(&tc.tt, ioba));
	expect_counts(_metadata, c, 1, 1);
	EXPECT_EQ(4, vm_locked_kb());
	EXPECT_EQ(pins + 1, pins_held());

	/* The same TCE again changes nothing. */
	EXPECT_EQ(KVM_VIOMMU_H_SUCCESS, H_PUT(ioba, GUEST_DATA | TCE_RW));
	EXPECT_COUNTS(0, 0, 1, 0);

	/* PUT of 0 unmaps. */
	EXPECT_EQ(KVM_VIOMMU_H_SUCCESS, H_PUT(ioba, 0));
	EXPECT_COUNTS(0, 1, 0, 0);
	EXPECT_EQ(0, tt_get(&tc.tt, ioba));
	expect_counts(_metadata, c, 0, 0);
	EXPECT_EQ(0, vm_locked_kb());
	EXPECT_EQ(pins, pins_held());

	/* The first and last pages of the window. */
	make_levels(WIN_LAST + 1 - SZ_4K, 1);
	EXPECT_EQ(KVM_VIOMMU_H_SUCCESS, H_PUT(WIN, GUEST_DATA | TCE_R));
	EXPECT_EQ(KVM_VIOMMU_H_SUCCESS,
		  H_PUT(WIN_LAST + 1 - SZ_4K, GUEST_DATA | TCE_W));
	EXPECT_COUNTS(1, 0, 0, 0);
	expect_counts(_metadata, c, 1, 2);
	ASSERT_EQ(0, viommu_info_raw(c, &info));
	EXPECT_EQ(5, info.refreshes);

	/* A TCE outside guest memory is written, refused: H_PARAMETER. */
	EXPECT_EQ(KVM_VIOMMU_H_PARAMETER, H_PUT(WIN, NOWHERE | TCE_RW));
	EXPECT_COUNTS(0, 1, 0, 1);
	EXPECT_EQ(WIN, tc.last.fail_iova);
	EXPECT_EQ(KVM_VIOMMU_REFUSED_NO_MEMSLOT, tc.last.fail_reason);
	EXPECT_EQ(NOWHERE | TCE_RW, tt_get(&tc.tt, WIN));
	expect_counts(_metadata, c, 1, 1);
}

TEST_F(viommu, put_read_only)
{
	uint8_t *y = self->v.mem + GUEST_DATA;
	uint64_t ioba = WIN + 0x10000;
	struct edu e = { .fd = -1 };
	uint8_t pattern[256];
	unsigned int i;

	TCE_SETUP();

	make_levels(ioba, 2);
	EXPECT_EQ(KVM_VIOMMU_H_SUCCESS, H_PUT(ioba, GUEST_DATA | TCE_R));
	EXPECT_COUNTS(1, 0, 0, 0);

	/* Granting write replaces the mapping; taking it back again. */
	EXPECT_EQ(KVM_VIOMMU_H_SUCCESS, H_PUT(ioba, GUEST_DATA | TCE_RW));
	EXPECT_COUNTS(1, 1, 0, 0);
	EXPECT_EQ(KVM_VIOMMU_H_SUCCESS, H_PUT(ioba, GUEST_DATA | TCE_R));
	EXPECT_COUNTS(1, 1, 0, 0);

	/* The device reads through it but cannot write through it. */
	for (i = 0; i < sizeof(pattern); i++)
		pattern[i] = 0x5a ^ i;
	memcpy(y, pattern, sizeof(pattern));
	ASSERT_EQ(0, edu_open(&self->v, &e));
	ASSERT_EQ(0, edu_dma_to_dev(&e, ioba, sizeof(pattern)));
	memset(y, 0xee, sizeof(pattern));
	ASSERT_EQ(0, edu_dma_from_dev(&e, ioba, sizeof(pattern)));
	EXPECT_EQ(0xee, y[0]);
	EXPECT_EQ(0xee, y[sizeof(pattern) - 1]);
	/* Writable: edu's buffer (the pattern) lands. */
	EXPECT_EQ(KVM_VIOMMU_H_SUCCESS, H_PUT(ioba, GUEST_DATA | TCE_RW));
	ASSERT_EQ(0, edu_dma_from_dev(&e, ioba, sizeof(pattern)));
	EXPECT_EQ(0, memcmp(y, pattern, sizeof(pattern)));
	edu_close(&e);

	/* A read-only memslot: R maps, W is refused. */
	EXPECT_EQ(KVM_VIOMMU_H_SUCCESS,
		  H_PUT(ioba + SZ_4K, GUEST_RO_GPA | TCE_R));
	EXPECT_COUNTS(1, 0, 0, 0);
	EXPECT_EQ(KVM_VIOMMU_H_PARAMETER,
		  H_PUT(ioba + SZ_4K, GUEST_RO_GPA | TCE_RW));
	EXPECT_COUNTS(0, 1, 0, 1);
	EXPECT_EQ(KVM_VIOMMU_REFUSED_READONLY_SLOT, tc.last.fail_reason);

	EXPECT_EQ(KVM_VIOMMU_H_SUCCESS, H_STUFF(ioba, 0, 2));
	expect_counts(_metadata, self->v.container, 0, 0);
}

/* A TCE the decoder refuses is H_PARAMETER, and nothing is written. */
TEST_F(viommu, put_bad_tce)
{
	uint64_t ioba = WIN + 7 * SZ_4K;

	TCE_SETUP();

	make_levels(ioba, 1);
	snapshot(&self->v);
	/* Address bits below the IOMMU page, or above bit 51. */
	EXPECT_EQ(KVM_VIOMMU_H_PARAMETER,
		  H_PUT(ioba, GUEST_DATA | 0x800 | TCE_RW));
	EXPECT_EQ(KVM_VIOMMU_H_PARAMETER, H_PUT(ioba, GUEST_DATA | 0x4 | TCE_R));
	EXPECT_EQ(KVM_VIOMMU_H_PARAMETER,
		  H_PUT(ioba, GUEST_DATA | (1ULL << 52) | TCE_W));
	EXPECT_COUNTS(0, 0, 0, 0);
	EXPECT_TRUE(tables_unchanged(&self->v));

	/* Without R or W every bit is allowed (a "poisoned" TCE). */
	EXPECT_EQ(KVM_VIOMMU_H_SUCCESS, H_PUT(ioba, 0xdead000000000ffcULL));
	EXPECT_EQ(0xdead000000000ffcULL, tt_get(&tc.tt, ioba));
	expect_counts(_metadata, self->v.container, 0, 0);
}

TEST_F(viommu, ioba_checks)
{
	TCE_SETUP();
	snapshot(&self->v);
	/* Unaligned, below the window, past it, running past its end. */
	EXPECT_EQ(KVM_VIOMMU_H_PARAMETER, H_PUT(WIN + 8, GUEST_DATA | TCE_RW));
	EXPECT_EQ(KVM_VIOMMU_H_PARAMETER, H_PUT(WIN + 0x800, 0));
	EXPECT_EQ(KVM_VIOMMU_H_PARAMETER,
		  H_PUT(WIN - SZ_4K, GUEST_DATA | TCE_RW));
	EXPECT_EQ(KVM_VIOMMU_H_PARAMETER, H_PUT(0, 0));
	EXPECT_EQ(KVM_VIOMMU_H_PARAMETER, H_PUT(WIN_LAST + 1, 0));
	EXPECT_EQ(KVM_VIOMMU_H_PARAMETER, H_PUT(~0ULL & ~0xfffULL, 0));
	EXPECT_EQ(KVM_VIOMMU_H_PARAMETER,
		  H_STUFF(WIN_LAST + 1 - SZ_4K, 0, 2));
	EXPECT_EQ(KVM_VIOMMU_H_PARAMETER, H_STUFF(WIN, 0, ~0ULL));
	EXPECT_EQ(KVM_VIOMMU_H_PARAMETER,
		  H_STUFF(WIN + SZ_4K, 0, (WIN_SIZE / SZ_4K)));
	make_list(&self->v, 2);
	EXPECT_EQ(KVM_VIOMMU_H_PARAMETER,
		  H_INDIRECT(WIN_LAST + 1 - SZ_4K, LIST_GPA, 2));
	EXPECT_EQ(KVM_VIOMMU_H_PARAMETER, H_INDIRECT(WIN - SZ_4K, LIST_GPA, 1));
	EXPECT_COUNTS(0, 0, 0, 0);
	EXPECT_TRUE(tables_unchanged(&self->v));

	/* Zero TCEs: nothing to do, nothing done. */
	EXPECT_EQ(KVM_VIOMMU_H_SUCCESS, H_STUFF(WIN, 0, 0));
	EXPECT_EQ(KVM_VIOMMU_H_SUCCESS, H_INDIRECT(WIN, LIST_GPA, 0));
	EXPECT_TRUE(tables_unchanged(&self->v));
	expect_counts(_metadata, self->v.container, 0, 0);
}

TEST_F(viommu, indirect)
{
	/* Across a 4 KiB page of the table (and a leaf table). */
	uint64_t ioba = WIN + 100 * SZ_4K;
	uint64_t *list = (uint64_t *)(self->v.mem + LIST_GPA);
	int c = self->v.container;
	long pins = pins_held();
	unsigned int i;

	TCE_SETUP();

	make_levels(ioba, 513);
	make_list(&self->v, 512);
	EXPECT_EQ(KVM_VIOMMU_H_SUCCESS, H_INDIRECT(ioba, LIST_GPA, 512));
	EXPECT_COUNTS(512, 0, 0, 0);
	for (i = 0; i < 512; i++)
		ASSERT_EQ(be64toh(list[i]),
			  tt_get(&tc.tt, ioba + i * SZ_4K));
	EXPECT_EQ(0, tt_get(&tc.tt, ioba + 512 * SZ_4K));
	expect_counts(_metadata, c, 512, 512);
	EXPECT_EQ(2048, vm_locked_kb());
	EXPECT_EQ(pins + 512, pins_held());

	snapshot(&self->v);
	/* 513 TCEs, an unaligned list, a list outside guest memory. */
	EXPECT_EQ(KVM_VIOMMU_H_PARAMETER, H_INDIRECT(ioba, LIST_GPA, 513));
	EXPECT_EQ(KVM_VIOMMU_H_PARAMETER, H_INDIRECT(ioba, LIST_GPA + 8, 2));
	EXPECT_EQ(KVM_VIOMMU_H_PARAMETER,
		  H_INDIRECT(ioba, LIST_GPA + 0x800, 2));
	EXPECT_EQ(KVM_VIOMMU_H_TOO_HARD, H_INDIRECT(ioba, NOWHERE, 2));

	/* One bad TCE among 512 new ones: none is written. */
	for (i = 0; i < 512; i++)
		list[i] = htobe64((GUEST_DATA + (i + 1) * SZ_4K) | TCE_RW);
	list[300] = htobe64(GUEST_DATA | 0x100 | TCE_RW);
	EXPECT_EQ(KVM_VIOMMU_H_PARAMETER, H_INDIRECT(ioba, LIST_GPA, 512));
	list[300] = htobe64((GUEST_DATA + 301 * SZ_4K) | (1ULL << 60) | TCE_R);
	EXPECT_EQ(KVM_VIOMMU_H_PARAMETER, H_INDIRECT(ioba, LIST_GPA, 512));
	EXPECT_COUNTS(0, 0, 0, 0);
	EXPECT_TRUE(tables_unchanged(&self->v));
	expect_counts(_metadata, c, 512, 512);

	/* Fixed, it goes in: every page moves by one frame. */
	list[300] = htobe64((GUEST_DATA + 301 * SZ_4K) | TCE_RW);
	EXPECT_EQ(KVM_VIOMMU_H_SUCCESS, H_INDIRECT(ioba, LIST_GPA, 512));
	EXPECT_COUNTS(512, 512, 0, 0);
	EXPECT_EQ((GUEST_DATA + 512 * SZ_4K) | TCE_RW,
		  tt_get(&tc.tt, ioba + 511 * SZ_4K));
	expect_counts(_metadata, c, 512, 512);

	/* STUFF clears them, in the table and in the shadow. */
	EXPECT_EQ(KVM_VIOMMU_H_SUCCESS, H_STUFF(ioba, 0, 512));
	EXPECT_COUNTS(0, 512, 0, 0);
	for (i = 0; i < 513; i++)
		ASSERT_EQ(0, tt_get(&tc.tt, ioba + i * SZ_4K));
	expect_counts(_metadata, c, 0, 0);
	EXPECT_EQ(0, vm_locked_kb());
	EXPECT_EQ(pins, pins_held());
}

TEST_F(viommu, stuff)
{
	uint64_t ioba = WIN + 1000 * SZ_4K;
	int c = self->v.container;
	unsigned int i;

	TCE_SETUP();

	/* 1500 TCEs, over three pages of the table. */
	make_levels(ioba, 1500);
	make_list(&self->v, 500);
	for (i = 0; i < 3; i++)
		ASSERT_EQ(KVM_VIOMMU_H_SUCCESS,
			  H_INDIRECT(ioba + i * 500 * SZ_4K, LIST_GPA, 500));
	expect_counts(_metadata, c, 500, 1500);

	/* R or W set in the value: H_PARAMETER, nothing cleared. */
	snapshot(&self->v);
	EXPECT_EQ(KVM_VIOMMU_H_PARAMETER, H_STUFF(ioba, TCE_R, 1500));
	EXPECT_EQ(KVM_VIOMMU_H_PARAMETER, H_STUFF(ioba, TCE_W, 1500));
	EXPECT_EQ(KVM_VIOMMU_H_PARAMETER, H_STUFF(ioba, GUEST_DATA | TCE_RW, 1));
	EXPECT_TRUE(tables_unchanged(&self->v));
	expect_counts(_metadata, c, 500, 1500);

	/* A run in the middle, with a poison value the kernel stores. */
	EXPECT_EQ(KVM_VIOMMU_H_SUCCESS, H_STUFF(ioba + 10 * SZ_4K, 0xf00c, 1000));
	EXPECT_COUNTS(0, 1000, 0, 0);
	EXPECT_EQ((GUEST_DATA + 9 * SZ_4K) | TCE_R,
		  tt_get(&tc.tt, ioba + 9 * SZ_4K));
	for (i = 10; i < 1010; i++)
		ASSERT_EQ(0xf00c, tt_get(&tc.tt, ioba + i * SZ_4K));
	EXPECT_EQ((GUEST_DATA + 10 * SZ_4K) | TCE_RW,
		  tt_get(&tc.tt, ioba + 1010 * SZ_4K));
	expect_counts(_metadata, c, 500, 500);

	/* The whole window. */
	make_levels(WIN, WIN_SIZE / SZ_4K);
	EXPECT_EQ(KVM_VIOMMU_H_SUCCESS, H_STUFF(WIN, 0, WIN_SIZE / SZ_4K));
	EXPECT_COUNTS(0, 500, 0, 0);
	expect_counts(_metadata, c, 0, 0);
	EXPECT_EQ(0, tt_get(&tc.tt, ioba));
}

/* The same hypercalls posted on a doorbell ring, processed in the kernel. */
TEST_F(viommu, ring_ops)
{
	uint64_t ring_gpa = GUEST_DATA + 12 * SZ_1M, ioba = WIN + 64 * SZ_4K;
	struct kvm_viommu_set_doorbell db = {
		.argsz = sizeof(db),
		.done_fd = -1,
		.entries = 8,
		.ring_gpa = ring_gpa,
	};
	struct kvm_viommu_ring_hdr *hdr = (void *)(self->v.mem + ring_gpa);
	struct kvm_viommu_ring_req *req = (void *)(hdr + 1);
	int c = self->v.container, i;
	uint64_t one = 1;

	TCE_SETUP();
	make_levels(ioba, 1024);
	make_list(&self->v, 512);
	memset(hdr, 0, 64 + 8 * 64);
	db.kick_fd = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, db.kick_fd);
	ASSERT_EQ(0, ioctl(c, KVM_VIOMMU_SET_DOORBELL, &db));

	req[0] = (struct kvm_viommu_ring_req){ .table_id = tc.id,
		.op = KVM_VIOMMU_REQ_TCE_PUT, .iova = ioba,
		.size = (GUEST_DATA + 600 * SZ_4K) | TCE_RW };
	req[1] = (struct kvm_viommu_ring_req){ .table_id = tc.id,
		.op = KVM_VIOMMU_REQ_TCE_PUT_INDIRECT, .flags = 512,
		.iova = ioba + SZ_4K, .size = LIST_GPA };
	req[2] = (struct kvm_viommu_ring_req){ .table_id = tc.id,
		.op = KVM_VIOMMU_REQ_TCE_STUFF, .flags = 100,
		.iova = ioba + SZ_4K, .size = 0 };
	/* A TCE with a reserved bit: H_PARAMETER, nothing written. */
	req[3] = (struct kvm_viommu_ring_req){ .table_id = tc.id,
		.op = KVM_VIOMMU_REQ_TCE_PUT, .iova = ioba + 900 * SZ_4K,
		.size = GUEST_DATA | 0x4 | TCE_RW };
	/* STUFF needs a count. */
	req[4] = (struct kvm_viommu_ring_req){ .table_id = tc.id,
		.op = KVM_VIOMMU_REQ_TCE_STUFF, .iova = ioba };
	__atomic_store_n(&hdr->prod, 5, __ATOMIC_RELEASE);
	ASSERT_EQ(sizeof(one), write(db.kick_fd, &one, sizeof(one)));
	for (i = 0; i < 60000 && __atomic_load_n(&hdr->cons, __ATOMIC_ACQUIRE) < 5;
	     i++)
		usleep(1000);
	ASSERT_EQ(5, hdr->cons);

	EXPECT_EQ(KVM_VIOMMU_REQ_DONE, req[0].status);
	EXPECT_EQ(1, req[0].mapped);
	EXPECT_EQ(KVM_VIOMMU_REQ_DONE, req[1].status);
	EXPECT_EQ(512, req[1].mapped);
	EXPECT_EQ(KVM_VIOMMU_REQ_DONE, req[2].status);
	EXPECT_EQ(100, req[2].unmapped);
	EXPECT_EQ(KVM_VIOMMU_REQ_INVALID, req[3].status);
	EXPECT_EQ(0, tt_get(&tc.tt, ioba + 900 * SZ_4K));
	EXPECT_EQ(KVM_VIOMMU_REQ_INVALID, req[4].status);
	EXPECT_EQ((GUEST_DATA + 600 * SZ_4K) | TCE_RW, tt_get(&tc.tt, ioba));
	EXPECT_EQ(0, tt_get(&tc.tt, ioba + SZ_4K));
	/* 1 + 512 mapped, 100 cleared; frames 0..511 and 600. */
	expect_counts(_metadata, c, 1 + 412, 1 + 412);
	close(db.kick_fd);
}

/* Multi-level tables: a missing indirect level is for userspace. */
TEST_F(viommu, missing_level)
{
	uint64_t ioba = WIN + SZ_2M - 2 * SZ_4K;	/* two leaf tables */
	int c = self->v.container;
	uint64_t *top, saved;

	TCE_SETUP();

	if (tc.tt.levels == 1)
		SKIP(return, "a flat table has no indirect level");

	make_list(&self->v, 4);
	snapshot(&self->v);
	EXPECT_EQ(KVM_VIOMMU_H_TOO_HARD, H_PUT(ioba, GUEST_DATA | TCE_RW));
	EXPECT_EQ(KVM_VIOMMU_H_TOO_HARD, H_INDIRECT(ioba, LIST_GPA, 4));
	EXPECT_EQ(KVM_VIOMMU_H_TOO_HARD, H_STUFF(ioba, 0, 4));
	EXPECT_COUNTS(0, 0, 0, 0);
	EXPECT_TRUE(tables_unchanged(&self->v));

	/* Only the first leaf table there: still nothing written. */
	make_levels(ioba, 1);
	snapshot(&self->v);
	EXPECT_EQ(KVM_VIOMMU_H_SUCCESS, H_PUT(ioba, GUEST_DATA | TCE_RW));
	EXPECT_EQ(KVM_VIOMMU_H_TOO_HARD, H_INDIRECT(ioba, LIST_GPA, 4));
	EXPECT_EQ(KVM_VIOMMU_H_TOO_HARD, H_STUFF(ioba, 0, 4));
	EXPECT_EQ(GUEST_DATA | TCE_RW, tt_get(&tc.tt, ioba));
	EXPECT_EQ(KVM_VIOMMU_H_SUCCESS, H_PUT(ioba, 0));
	EXPECT_TRUE(tables_unchanged(&self->v));

	/* A malformed indirect entry (bits 2..11) is not followed either. */
	top = (uint64_t *)(self->v.mem + tc.tt.root);
	saved = *top;
	*top = htobe64((be64toh(saved) & TCE_TABLE_ADDR) | 0x10 | TCE_RW);
	EXPECT_EQ(KVM_VIOMMU_H_TOO_HARD, H_PUT(ioba, GUEST_DATA | TCE_RW));
	*top = saved;
	EXPECT_TRUE(tables_unchanged(&self->v));

	/* With the level added by the VMM, the calls go through. */
	make_levels(ioba, 4);
	EXPECT_EQ(KVM_VIOMMU_H_SUCCESS, H_INDIRECT(ioba, LIST_GPA, 4));
	EXPECT_COUNTS(4, 0, 0, 0);
	EXPECT_EQ((GUEST_DATA + 3 * SZ_4K) | TCE_R,
		  tt_get(&tc.tt, ioba + 3 * SZ_4K));
	expect_counts(_metadata, c, 4, 4);
	EXPECT_EQ(KVM_VIOMMU_H_SUCCESS, H_STUFF(ioba, 0, 4));
	expect_counts(_metadata, c, 0, 0);
}

/* A table of 64 KiB IOMMU pages. */
TEST_F(viommu, page_64k)
{
	int c = self->v.container;
	uint64_t ioba = WIN + 3 * 0x10000;

	tce_setup(_metadata, &self->v, variant->levels, 16);
	make_levels(ioba, 2);

	EXPECT_EQ(KVM_VIOMMU_H_SUCCESS, H_PUT(ioba, GUEST_DATA | TCE_RW));
	EXPECT_COUNTS(16, 0, 0, 0);
	expect_counts(_metadata, c, 16, 16);
	EXPECT_EQ(64, vm_locked_kb());
	EXPECT_EQ(GUEST_DATA | TCE_RW, tt_get(&tc.tt, ioba));

	snapshot(&self->v);
	/* ioba and TCE aligned to 4 KiB only. */
	EXPECT_EQ(KVM_VIOMMU_H_PARAMETER, H_PUT(ioba + SZ_4K, 0));
	EXPECT_EQ(KVM_VIOMMU_H_PARAMETER,
		  H_PUT(ioba + 0x10000, (GUEST_DATA + SZ_4K) | TCE_RW));
	EXPECT_EQ(KVM_VIOMMU_H_PARAMETER,
		  H_STUFF(WIN_LAST + 1 - 0x10000, 0, 2));
	EXPECT_TRUE(tables_unchanged(&self->v));

	/* Two pages from a list, then cleared. */
	*(uint64_t *)(self->v.mem + LIST_GPA) =
		htobe64((GUEST_DATA + 0x10000) | TCE_R);
	*(uint64_t *)(self->v.mem + LIST_GPA + 8) =
		htobe64((GUEST_DATA + 0x20000) | TCE_W);
	EXPECT_EQ(KVM_VIOMMU_H_SUCCESS, H_INDIRECT(ioba, LIST_GPA, 2));
	EXPECT_COUNTS(32, 16, 0, 0);
	expect_counts(_metadata, c, 32, 32);
	EXPECT_EQ(KVM_VIOMMU_H_SUCCESS, H_STUFF(ioba, 0, 2));
	EXPECT_COUNTS(0, 32, 0, 0);
	expect_counts(_metadata, c, 0, 0);
	EXPECT_EQ(0, vm_locked_kb());
}

TEST_F(viommu, ioctl_errors)
{
	struct kvm_viommu_tce a = {
		.argsz = sizeof(a),
		.op = KVM_VIOMMU_TCE_PUT,
		.ioba = WIN,
	};
	struct {
		struct kvm_viommu_tce a;
		uint64_t tail;
	} big;
	uint64_t x86_root = GUEST_TABLES + 4 * SZ_1M;
	int c = self->v.container;
	uint32_t x86_id;
	int status;
	pid_t pid;

	TCE_SETUP();

	make_levels(WIN, 1);
	a.table_id = tc.id;
	big.a = a;
	big.tail = 1;
	ASSERT_EQ(0, ioctl(c, KVM_VIOMMU_TCE, &a));
	EXPECT_EQ(KVM_VIOMMU_H_SUCCESS, a.hret);

	a.argsz = offsetof(struct kvm_viommu_tce, __reserved);
	EXPECT_EQ(-1, ioctl(c, KVM_VIOMMU_TCE, &a));
	EXPECT_EQ(EINVAL, errno);
	a.argsz = 8;
	EXPECT_EQ(-1, ioctl(c, KVM_VIOMMU_TCE, &a));
	EXPECT_EQ(EINVAL, errno);
	big.a.argsz = sizeof(big);
	EXPECT_EQ(-1, ioctl(c, KVM_VIOMMU_TCE, &big));
	EXPECT_EQ(E2BIG, errno);
	big.tail = 0;
	EXPECT_EQ(0, ioctl(c, KVM_VIOMMU_TCE, &big));
	EXPECT_EQ(sizeof(big), big.a.argsz);

	a.argsz = sizeof(a);
	a.__reserved = 1;
	EXPECT_EQ(-1, ioctl(c, KVM_VIOMMU_TCE, &a));
	EXPECT_EQ(EINVAL, errno);
	a.__reserved = 0;
	a.flags = 1;
	EXPECT_EQ(-1, ioctl(c, KVM_VIOMMU_TCE, &a));
	EXPECT_EQ(EINVAL, errno);
	a.flags = 0;
	a.hret = KVM_VIOMMU_H_PARAMETER;	/* outputs come in as zero */
	EXPECT_EQ(-1, ioctl(c, KVM_VIOMMU_TCE, &a));
	EXPECT_EQ(EINVAL, errno);
	a.hret = 0;

	/* Unknown op; fields the op does not use must be zero. */
	EXPECT_EQ(-EINVAL, tce_raw(c, 0, tc.id, WIN, 0, 0, 0, NULL));
	EXPECT_EQ(-EINVAL, tce_raw(c, 4, tc.id, WIN, 0, 0, 0, NULL));
	EXPECT_EQ(-EINVAL, tce_raw(c, KVM_VIOMMU_TCE_PUT, tc.id, WIN, 0,
				   0, 1, NULL));
	EXPECT_EQ(-EINVAL, tce_raw(c, KVM_VIOMMU_TCE_PUT, tc.id, WIN, 0,
				   LIST_GPA, 0, NULL));
	EXPECT_EQ(-EINVAL, tce_raw(c, KVM_VIOMMU_TCE_PUT_INDIRECT, tc.id,
				   WIN, 1, LIST_GPA, 1, NULL));
	EXPECT_EQ(-EINVAL, tce_raw(c, KVM_VIOMMU_TCE_STUFF, tc.id, WIN, 0,
				   LIST_GPA, 1, NULL));

	/* Unknown table: -ENOENT. */
	EXPECT_EQ(-ENOENT, tce_raw(c, KVM_VIOMMU_TCE_PUT, tc.id + 100, WIN,
				   0, 0, 0, NULL));

	/* Only the process that bound the VM. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(tce_raw(c, KVM_VIOMMU_TCE_PUT, tc.id, WIN, 0, 0, 0,
			      NULL) == -EPERM ? 0 : 1);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	/* A table of another format: -EINVAL. */
	memset(self->v.mem + x86_root, 0, SZ_4K);
	ASSERT_EQ(0, viommu_set_table_raw(c, self->v.group_id,
					  KVM_VIOMMU_FMT_X86_64, 4, x86_root, 0,
					  TEST_APERTURE_LAST, &x86_id));
	EXPECT_EQ(-EINVAL, tce_raw(c, KVM_VIOMMU_TCE_PUT, x86_id, WIN, 0, 0,
				   0, NULL));
	/* The TCE table died with its last group. */
	EXPECT_EQ(-ENOENT, tce_raw(c, KVM_VIOMMU_TCE_PUT, tc.id, WIN, 0, 0,
				   0, NULL));
}

/* Before KVM_VIOMMU_BIND_VM there is no table to speak of. */
TEST(unbound)
{
	struct kvm_viommu_tce a = {
		.argsz = sizeof(a),
		.op = KVM_VIOMMU_TCE_PUT,
		.table_id = 1,
	};
	struct vmm v;

	vmm_init(&v);
	ASSERT_EQ(0, vmm_open_vfio(&v));
	EXPECT_EQ(-1, ioctl(v.container, KVM_VIOMMU_TCE, &a));
	EXPECT_EQ(EINVAL, errno);
	vmm_close(&v);
}

TEST_HARNESS_MAIN
