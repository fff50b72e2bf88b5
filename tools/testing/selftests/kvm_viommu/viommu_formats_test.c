// SPDX-License-Identifier: GPL-2.0
/*
 * End to end, once per guest table format and layout: QEMU's edu device,
 * bound to vfio-pci, does real DMA through the emulated VT-d into the
 * domain kvm-viommu programs from a guest table of that format, written by
 * the encoders of viommu_gtable.c.  Each variant checks that DMA reads and
 * writes exactly the guest pages the table says, that read-only leaves and
 * unmapped IOVAs stop device writes, that a cleared leaf stops DMA after a
 * refresh, and that large leaves (2 MiB, or the sPAPR TCE IOMMU page) map
 * their last page to the last page of their target.
 *
 * IOVAs stay below 256 MiB (edu's DMA mask) and far from the interrupt
 * window.  Each DMA the IOMMU refuses makes the host kernel log a DMAR
 * fault: expected.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "viommu_util.h"
#include "viommu_gtable.h"

/* The aperture: 2 GiB, inside the 39-bit VT-d domain of the test VM. */
#define APERTURE_LAST	((2ULL << 30) - 1)
/* sPAPR TCE tables translate a window: 64 MiB to 256 MiB. */
#define WINDOW_START	(64ULL << 20)
#define WINDOW_LAST	((256ULL << 20) - 1)

/* IOVAs as offsets from the aperture start, 2 MiB aligned. */
#define IOVA_X		(8 * SZ_1M)	/* read-write */
#define IOVA_Z		(12 * SZ_1M)	/* read-only */
#define IOVA_U		(16 * SZ_1M)	/* never mapped */
#define IOVA_L		(32 * SZ_1M)	/* large leaves */
#define REFRESH_SIZE	(32 * SZ_1M)	/* covers X, Z and U */

/* Guest physical addresses behind them, 2 MiB aligned. */
#define GPA_Y		(GUEST_DATA)		/* behind X */
#define GPA_W		(GUEST_DATA + SZ_2M)	/* behind Z */
#define GPA_G		(GUEST_DATA + 4 * SZ_2M)	/* behind L */

/*
 * Each DMA moves a page but its first DMA_OFF bytes, so that it ends at
 * the page's last byte: QEMU 7.2's edu refuses (with a fatal hardware
 * error) a transfer that ends at the very end of its 4 KiB buffer.
 */
#define DMA_OFF		8
#define LEN		(SZ_4K - DMA_OFF)

FIXTURE(fmt) {
	struct vmm v;
	struct gtab t;
	struct edu e;
	uint32_t id;
	uint64_t base;		/* aperture start */
	uint64_t page;		/* the format's smallest leaf */
	uint8_t *snap;		/* copy of guest memory */
	long pins_at_start;
	long locked_at_start;
};

/*
 * One guest table format and layout:
 * @format: an &enum kvm_viommu_format value.
 * @levels: paging levels (0: the format's default).
 * @page_shift: the IOMMU page size (sPAPR TCE; 0: 4 KiB).
 * @ap_start: aperture (window) start.
 * @ap_last: aperture (window) end, inclusive.
 * @large: size of the large leaves to test; 0 when the format has none.
 */
FIXTURE_VARIANT(fmt) {
	uint32_t format;
	uint32_t levels;
	uint32_t page_shift;
	uint64_t ap_start;
	uint64_t ap_last;
	uint64_t large;
};

FIXTURE_VARIANT_ADD(fmt, x86_64) {
	.format = KVM_VIOMMU_FMT_X86_64,
	.levels = 4,
	.ap_last = APERTURE_LAST,
	.large = SZ_2M,
};

FIXTURE_VARIANT_ADD(fmt, vtd_ss_3lvl) {
	.format = KVM_VIOMMU_FMT_VTD_SS,
	.levels = 3,
	.ap_last = APERTURE_LAST,
	.large = SZ_2M,
};

FIXTURE_VARIANT_ADD(fmt, vtd_ss_4lvl) {
	.format = KVM_VIOMMU_FMT_VTD_SS,
	.levels = 4,
	.ap_last = APERTURE_LAST,
	.large = SZ_2M,
};

FIXTURE_VARIANT_ADD(fmt, amd_v1_3lvl) {
	.format = KVM_VIOMMU_FMT_AMD_V1,
	.levels = 3,
	.ap_last = APERTURE_LAST,
	.large = SZ_2M,
};

FIXTURE_VARIANT_ADD(fmt, amd_v1_4lvl) {
	.format = KVM_VIOMMU_FMT_AMD_V1,
	.levels = 4,
	.ap_last = APERTURE_LAST,
	.large = SZ_2M,
};

FIXTURE_VARIANT_ADD(fmt, arm_s1_3lvl) {
	.format = KVM_VIOMMU_FMT_ARM_LPAE_S1,
	.levels = 3,
	.ap_last = APERTURE_LAST,
	.large = SZ_2M,
};

FIXTURE_VARIANT_ADD(fmt, arm_s1_4lvl) {
	.format = KVM_VIOMMU_FMT_ARM_LPAE_S1,
	.levels = 4,
	.ap_last = APERTURE_LAST,
	.large = SZ_2M,
};

FIXTURE_VARIANT_ADD(fmt, arm_s2_3lvl) {
	.format = KVM_VIOMMU_FMT_ARM_LPAE_S2,
	.levels = 3,
	.ap_last = APERTURE_LAST,
	.large = SZ_2M,
};

FIXTURE_VARIANT_ADD(fmt, arm_s2_4lvl) {
	.format = KVM_VIOMMU_FMT_ARM_LPAE_S2,
	.levels = 4,
	.ap_last = APERTURE_LAST,
	.large = SZ_2M,
};

FIXTURE_VARIANT_ADD(fmt, s390_zpci) {
	.format = KVM_VIOMMU_FMT_S390_ZPCI,
	.levels = 3,
	.ap_last = APERTURE_LAST,
};

FIXTURE_VARIANT_ADD(fmt, tce_flat_4k) {
	.format = KVM_VIOMMU_FMT_SPAPR_TCE,
	.levels = 1,
	.page_shift = 12,
	.ap_start = WINDOW_START,
	.ap_last = WINDOW_LAST,
};

FIXTURE_VARIANT_ADD(fmt, tce_2lvl_4k) {
	.format = KVM_VIOMMU_FMT_SPAPR_TCE,
	.levels = 2,
	.page_shift = 12,
	.ap_start = WINDOW_START,
	.ap_last = WINDOW_LAST,
};

FIXTURE_VARIANT_ADD(fmt, tce_3lvl_4k) {
	.format = KVM_VIOMMU_FMT_SPAPR_TCE,
	.levels = 3,
	.page_shift = 12,
	.ap_start = WINDOW_START,
	.ap_last = WINDOW_LAST,
};

FIXTURE_VARIANT_ADD(fmt, tce_flat_64k) {
	.format = KVM_VIOMMU_FMT_SPAPR_TCE,
	.levels = 1,
	.page_shift = 16,
	.ap_start = WINDOW_START,
	.ap_last = WINDOW_LAST,
	.large = 1ULL << 16,
};

FIXTURE_VARIANT_ADD(fmt, tce_2lvl_2m) {
	.format = KVM_VIOMMU_FMT_SPAPR_TCE,
	.levels = 2,
	.page_shift = 21,
	.ap_start = WINDOW_START,
	.ap_last = WINDOW_LAST,
	.large = SZ_2M,
};

FIXTURE_SETUP(fmt)
{
	struct gtable_layout layout = {
		.format = variant->format,
		.levels = variant->levels,
		.page_shift = variant->page_shift,
		.ap_start = variant->ap_start,
		.ap_last = variant->ap_last,
	};
	struct kvm_viommu_info info;
	int ret;

	vmm_init(&self->v);
	self->e.fd = -1;
	self->pins_at_start = pins_held();
	self->locked_at_start = vm_locked_kb();
	ASSERT_LE(0, self->pins_at_start);
	ASSERT_LE(0, self->locked_at_start);
	self->snap = malloc(GUEST_MEM_SIZE);
	ASSERT_NE(NULL, self->snap);

	ret = vmm_open_vfio(&self->v);
	ASSERT_EQ(0, ret) TH_LOG("VFIO setup of the edu group failed: %d", ret);
	ret = vmm_create_vm(&self->v);
	ASSERT_EQ(0, ret) TH_LOG("KVM VM creation failed: %d", ret);
	ASSERT_EQ(0, viommu_info_raw(self->v.container, &info));
	ASSERT_NE(0, info.formats & (1ULL << variant->format))
		TH_LOG("format %u not supported", variant->format);
	ASSERT_EQ(0, viommu_bind_raw(self->v.container, self->v.vm));

	ASSERT_EQ(0, gtab_init(&self->t, self->v.mem, GUEST_TABLES, GUEST_DATA,
			       &layout));
	self->base = self->t.layout.ap_start;
	self->page = 1ULL << self->t.ops->level_shift(&self->t, 1);
	ret = gtab_set_table_raw(self->v.container, self->v.group_id, &self->t,
				 &self->id);
	ASSERT_EQ(0, ret) TH_LOG("SET_TABLE of a %s table failed: %d",
				 self->t.ops->name, ret);
	ASSERT_EQ(0, edu_open(&self->v, &self->e));
}

FIXTURE_TEARDOWN(fmt)
{
	edu_close(&self->e);
	vmm_close(&self->v);
	free(self->snap);
	EXPECT_EQ(self->pins_at_start, pins_held());
	EXPECT_EQ(self->locked_at_start, vm_locked_kb());
}

static void fill(uint8_t *p, uint8_t seed, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = seed + i * 7;
}

/* Keep a copy of all of guest memory in @snap. */
static void snap_take(uint8_t *snap, const uint8_t *mem)
{
	memcpy(snap, mem, GUEST_MEM_SIZE);
}

/* GPA of the first guest byte changed since snap_take(), or -1. */
static int64_t snap_diff(const uint8_t *snap, const uint8_t *mem)
{
	size_t i;

	if (!memcmp(snap, mem, GUEST_MEM_SIZE))
		return -1;
	for (i = 0; i < GUEST_MEM_SIZE; i++)
		if (snap[i] != mem[i])
			return i;
	return -1;
}

/*
 * SNAP_TAKE() copies guest memory; EXPECT_UNCHANGED() then expects no guest
 * byte to have changed, logging the first that did.
 */
#define SNAP_TAKE() snap_take(self->snap, self->v.mem)
#define EXPECT_UNCHANGED() do {						\
	int64_t __gpa = snap_diff(self->snap, self->v.mem);		\
									\
	EXPECT_EQ(-1, __gpa)						\
		TH_LOG("guest byte at GPA 0x%llx changed",		\
		       (unsigned long long)__gpa);			\
} while (0)

#define REFRESH(iova, size, rf) \
	viommu_refresh_raw(self->v.container, self->id, iova, size, rf)

TEST_F(fmt, dma)
{
	uint64_t x = self->base + IOVA_X, z = self->base + IOVA_Z;
	uint64_t u = self->base + IOVA_U, n = self->page / SZ_4K;
	uint8_t *y = self->v.mem + GPA_Y + DMA_OFF;
	uint8_t *w = self->v.mem + GPA_W + DMA_OFF;
	struct kvm_viommu_refresh rf;
	struct kvm_viommu_info info;
	static uint8_t pattern[LEN];

	ASSERT_EQ(0, gtab_map(&self->t, x, GPA_Y, self->page, true));
	ASSERT_EQ(0, gtab_map(&self->t, z, GPA_W, self->page, false));
	ASSERT_EQ(0, REFRESH(self->base, REFRESH_SIZE, &rf));
	EXPECT_EQ(0, rf.refused)
		TH_LOG("%s: refused from 0x%llx, reason %u", self->t.ops->name,
		       (unsigned long long)rf.fail_iova, rf.fail_reason);
	ASSERT_EQ(2 * n, rf.mapped);
	ASSERT_EQ(0, viommu_info_raw(self->v.container, &info));
	EXPECT_EQ(2 * n, info.mapped_pages);
	EXPECT_EQ(2 * n, info.pinned_pages);

	/* RAM -> device from Z reads W; device -> RAM at X lands at Y only. */
	fill(w, 0x11, LEN);
	memcpy(pattern, w, LEN);
	memset(y, 0, LEN);
	ASSERT_EQ(0, edu_dma_to_dev(&self->e, z + DMA_OFF, LEN));
	SNAP_TAKE();
	ASSERT_EQ(0, edu_dma_from_dev(&self->e, x + DMA_OFF, LEN));
	EXPECT_EQ(0, memcmp(y, pattern, LEN));
	memset(y, 0, LEN);
	EXPECT_UNCHANGED();

	/* The device cannot write through the read-only Z. */
	fill(w, 0x77, LEN);
	SNAP_TAKE();
	ASSERT_EQ(0, edu_dma_from_dev(&self->e, z + DMA_OFF, LEN));
	EXPECT_UNCHANGED();

	/* Nor through an IOVA the guest never mapped. */
	SNAP_TAKE();
	ASSERT_EQ(0, edu_dma_from_dev(&self->e, u + DMA_OFF, LEN));
	EXPECT_UNCHANGED();

	/* The guest clears X and refreshes: DMA to X no longer lands. */
	ASSERT_EQ(0, gtab_clear(&self->t, x, self->page));
	ASSERT_EQ(0, REFRESH(x, self->page, &rf));
	EXPECT_EQ(n, rf.unmapped);
	EXPECT_EQ(0, rf.mapped);
	EXPECT_EQ(0, rf.refused);
	SNAP_TAKE();
	ASSERT_EQ(0, edu_dma_from_dev(&self->e, x + DMA_OFF, LEN));
	EXPECT_UNCHANGED();
	ASSERT_EQ(0, viommu_info_raw(self->v.container, &info));
	EXPECT_EQ(n, info.mapped_pages);
	EXPECT_EQ(n, info.pinned_pages);
}

/*
 * Two large leaves side by side, read-write then read-only: the device
 * reads the last page of the read-only one and writes the last page of
 * the read-write one, which land at the last pages of their targets; it
 * cannot write the last page of the read-only one.
 */
TEST_F(fmt, large_leaf)
{
	uint64_t size = variant->large, off = size - SZ_4K + DMA_OFF;
	uint64_t l = self->base + IOVA_L;
	uint8_t *rw_last = self->v.mem + GPA_G + off;
	uint8_t *ro_last = self->v.mem + GPA_G + size + off;
	struct kvm_viommu_refresh rf;
	static uint8_t pattern[LEN];

	if (!size)
		SKIP(return, "%s: no large leaves", self->t.ops->name);

	ASSERT_EQ(0, gtab_map(&self->t, l, GPA_G, size, true));
	ASSERT_EQ(0, gtab_map(&self->t, l + size, GPA_G + size, size, false));
	ASSERT_EQ(0, REFRESH(l, 2 * size, &rf));
	EXPECT_EQ(0, rf.refused)
		TH_LOG("%s: refused from 0x%llx, reason %u", self->t.ops->name,
		       (unsigned long long)rf.fail_iova, rf.fail_reason);
	ASSERT_EQ(2 * size / SZ_4K, rf.mapped);

	fill(ro_last, 0x3c, LEN);
	memcpy(pattern, ro_last, LEN);
	memset(rw_last, 0, LEN);
	ASSERT_EQ(0, edu_dma_to_dev(&self->e, l + size + off, LEN));
	SNAP_TAKE();
	ASSERT_EQ(0, edu_dma_from_dev(&self->e, l + off, LEN));
	EXPECT_EQ(0, memcmp(rw_last, pattern, LEN));
	memset(rw_last, 0, LEN);
	EXPECT_UNCHANGED();

	fill(ro_last, 0x5a, LEN);
	SNAP_TAKE();
	ASSERT_EQ(0, edu_dma_from_dev(&self->e, l + size + off, LEN));
	EXPECT_UNCHANGED();
}

TEST_HARNESS_MAIN
