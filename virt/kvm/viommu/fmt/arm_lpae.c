// SPDX-License-Identifier: GPL-2.0
/*
 * Arm LPAE (VMSAv8-64) translation tables with the 4 KiB granule, stage 1
 * and stage 2, as an SMMUv3 walks them for DMA.
 *
 * Follows the Arm Architecture Reference Manual for A-profile (DDI 0487),
 * "VMSAv8-64 translation table format descriptors" (section D8.3 since
 * issue J, D5.3 before): table, block and page descriptors with the 4 KiB
 * granule and 48-bit output addresses; the memory access control rules
 * of the same chapter for AP[2:1], APTable and S2AP; and the Access flag
 * rules.  The SMMUv3 architecture (IHI 0070) walks the same descriptors.
 *
 * Our level L is Arm lookup level 4 - L: 4 levels start at Arm level 0 and
 * translate 48-bit IOVAs, 3 levels start at Arm level 1 and translate
 * 39-bit IOVAs (T0SZ 16 or 25; the TTB1 upper range and stage-2
 * concatenated start tables are not supported).  The root is 4 KiB
 * aligned.  Descriptors are little-endian.
 *
 * Honoured: bit 0 validates a descriptor; bits[1:0] = 0b11 is a table
 * descriptor above level 1 and a 4 KiB page at level 1, 0b01 a block at
 * level 2 (2 MiB) and level 3 (1 GiB); the output address is bits 47:12.
 * Stage 1: AP[2] (bit 7) set makes the leaf read-only, APTable[1]
 * (bit 62) in a table descriptor forbids writes below it; every valid
 * stage-1 leaf is readable.  Stage 2: S2AP bit 6 grants read, bit 7
 * write; S2AP = 0b00 is a leaf granting nothing (not mapped).  The Access
 * flag (bit 10): a leaf with AF = 0 is a hole (see below).
 *
 * Ignored, as they have no meaning for DMA or are the CPU's business:
 * bits 11:2 and 58:52 of table descriptors; NSTable, XNTable, PXNTable
 * and APTable[0] (bits 63, 60, 59, 61) at stage 1, bits 63:59 of stage-2
 * table descriptors (no hierarchical permissions at stage 2); in leaves
 * AttrIndx/MemAttr, NS, AP[1], SH, nG, Contiguous, PXN/UXN/XN, the
 * software bits 58:55, PBHA 62:59 and bit 63; DBM (bit 51, set by Linux
 * on writable leaves when the SMMU does hardware dirty tracking: we
 * behave as an SMMU without it, so AP[2]/S2AP alone decide); nT (bit 16)
 * of a block, a break-before-make hint.
 *
 * Refused (KVM_VIOMMU_REFUSED_RESERVED_BITS): bits 51:48 of a table
 * descriptor and bits 50:48 of a leaf (output address bits above 48);
 * nonzero bits 20:12 of a 2 MiB block or 29:12 of a 1 GiB block (but for
 * nT); bits[1:0] = 0b01 at level 1 (reserved) or at level 4 (no 512 GiB
 * blocks with the 4 KiB granule).
 *
 * AF = 0: an SMMU without hardware Access flag update takes an Access
 * flag fault, so the DMA does not reach memory; a hole gives the same
 * outcome for the device.  It is not a malformed table (software uses AF
 * for access tracking), so it is not refused: refusals are reported to
 * the VMM as guest errors.  Reserved bits are still refused first, as an
 * Address size fault takes priority over an Access flag fault.
 */
#include "viommu_fmt.h"

#define LPAE_VALID		BIT_ULL(0)
#define LPAE_TYPE		GENMASK_ULL(1, 0)
#define LPAE_TYPE_TABLE		3ULL	/* a page at level 1 */
#define LPAE_TYPE_BLOCK		1ULL
#define LPAE_S1_AP_RDONLY	BIT_ULL(7)	/* AP[2] */
#define LPAE_S2AP_READ		BIT_ULL(6)
#define LPAE_S2AP_WRITE		BIT_ULL(7)
#define LPAE_AF			BIT_ULL(10)
#define LPAE_BLOCK_NT		BIT_ULL(16)
#define LPAE_ADDR		GENMASK_ULL(47, 12)
#define LPAE_TABLE_RES0		GENMASK_ULL(51, 48)
#define LPAE_LEAF_RES0		GENMASK_ULL(50, 48)	/* bit 51 is DBM */
#define LPAE_S1_APTABLE_RDONLY	BIT_ULL(62)	/* APTable[1] */

static unsigned int arm_lpae_shift(unsigned int level)
{
	return 12 + 9 * (level - 1);
}

static unsigned int arm_lpae_level_shift(const struct viommu_fmt_cfg *cfg,
					 unsigned int level)
{
	return arm_lpae_shift(level);
}

static unsigned int arm_lpae_level_bits(const struct viommu_fmt_cfg *cfg,
					unsigned int level)
{
	return 9;
}

/* 39 bits with 3 levels, 48 bits with 4: the whole TTB0 input range. */
static unsigned int arm_lpae_iova_bits(const struct viommu_fmt_cfg *cfg)
{
	return 12 + 9 * cfg->levels;
}

static void arm_lpae_refuse(struct viommu_pte *pte)
{
	pte->kind = VIOMMU_PTE_BAD;
	pte->refusal = KVM_VIOMMU_REFUSED_RESERVED_BITS;
}

static void arm_lpae_decode(unsigned int level, u64 raw, bool stage2,
			    struct viommu_pte *pte)
{
	u64 e = viommu_le64_to_cpu(raw);
	u64 type = e & LPAE_TYPE;
	u64 align_mask;

	if (!(e & LPAE_VALID)) {
		pte->kind = VIOMMU_PTE_NONE;
		return;
	}

	if (level > 1 && type == LPAE_TYPE_TABLE) {
		if (e & LPAE_TABLE_RES0) {
			arm_lpae_refuse(pte);
			return;
		}
		pte->kind = VIOMMU_PTE_TABLE;
		pte->addr = e & LPAE_ADDR;
		pte->next_level = level - 1;
		pte->prot = VIOMMU_PROT_RW;
		if (!stage2 && (e & LPAE_S1_APTABLE_RDONLY))
			pte->prot = VIOMMU_PROT_READ;
		return;
	}

	/* A page at level 1, a block at levels 2 and 3, nothing else. */
	if (level == 1 ? type != LPAE_TYPE_TABLE :
	    (type != LPAE_TYPE_BLOCK || level > 3)) {
		arm_lpae_refuse(pte);
		return;
	}

	align_mask = BIT_ULL(arm_lpae_shift(level)) - 1;
	if ((e & LPAE_LEAF_RES0) ||
	    (e & align_mask & LPAE_ADDR & ~LPAE_BLOCK_NT)) {
		arm_lpae_refuse(pte);
		return;
	}

	if (!(e & LPAE_AF)) {
		pte->kind = VIOMMU_PTE_NONE;
		return;
	}

	pte->kind = VIOMMU_PTE_LEAF;
	pte->addr = e & LPAE_ADDR & ~align_mask;
	if (stage2)
		pte->prot = ((e & LPAE_S2AP_READ) ? VIOMMU_PROT_READ : 0) |
			    ((e & LPAE_S2AP_WRITE) ? VIOMMU_PROT_WRITE : 0);
	else
		pte->prot = (e & LPAE_S1_AP_RDONLY) ? VIOMMU_PROT_READ :
						      VIOMMU_PROT_RW;
}

static void arm_lpae_s1_decode(const struct viommu_fmt_cfg *cfg,
			       unsigned int level, u64 iova, u64 raw,
			       struct viommu_pte *pte)
{
	arm_lpae_decode(level, raw, false, pte);
}

static void arm_lpae_s2_decode(const struct viommu_fmt_cfg *cfg,
			       unsigned int level, u64 iova, u64 raw,
			       struct viommu_pte *pte)
{
	arm_lpae_decode(level, raw, true, pte);
}

VIOMMU_FMT_DECODE_RUN_LINEAR(arm_lpae_s1, false, LPAE_ADDR)
VIOMMU_FMT_DECODE_RUN_LINEAR(arm_lpae_s2, false, LPAE_ADDR)

const struct viommu_fmt viommu_fmt_arm_lpae_s1 = {
	.name = "arm-lpae-s1",
	.min_levels = 3,
	.max_levels = 4,
	.default_levels = 4,
	.min_page_shift = 12,
	.max_page_shift = 12,
	.default_page_shift = 12,
	.root_align = 4096,
	.level_shift = arm_lpae_level_shift,
	.level_bits = arm_lpae_level_bits,
	.iova_bits = arm_lpae_iova_bits,
	.decode = arm_lpae_s1_decode,
	.decode_run = arm_lpae_s1_decode_run,
};

const struct viommu_fmt viommu_fmt_arm_lpae_s2 = {
	.name = "arm-lpae-s2",
	.min_levels = 3,
	.max_levels = 4,
	.default_levels = 4,
	.min_page_shift = 12,
	.max_page_shift = 12,
	.default_page_shift = 12,
	.root_align = 4096,
	.level_shift = arm_lpae_level_shift,
	.level_bits = arm_lpae_level_bits,
	.iova_bits = arm_lpae_iova_bits,
	.decode = arm_lpae_s2_decode,
	.decode_run = arm_lpae_s2_decode_run,
};
