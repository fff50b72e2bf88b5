// SPDX-License-Identifier: GPL-2.0
/*
 * Intel VT-d second-stage paging structures, as the guest's IO page table.
 *
 * Follows the Intel Virtualization Technology for Directed I/O Architecture
 * Specification, section 9.8 "Second-Stage Paging Entries" (the SS-PML5E,
 * SS-PML4E, SS-PDPE, SS-PDE and SS-PTE formats) for the entries, and
 * section 3.7 "Second-Stage Translation" for the walk: 3, 4 or 5 levels of
 * 512-entry tables translate a 39-, 48- or 57-bit address (AGAW), with no
 * canonical-address restriction.
 *
 * What is honoured: R (bit 0) grants read and W (bit 1) grants write; an
 * entry with neither is not present, and a table entry's R and W restrict
 * everything below it (the walker ANDs them).  PS (bit 7) makes an SS-PDPE
 * a 1 GiB leaf or an SS-PDE a 2 MiB leaf.  Bits 12..51 hold the address.
 * What is ignored, as it has no meaning for the shadow or is the host's
 * business: X, EMT, IPAT, A, D, SNP, TM, bit 7 of an SS-PTE and the bits
 * the specification marks ignored (including all of bits 52..63).
 * What is refused: PS in an SS-PML4E or SS-PML5E; nonzero address bits
 * below the alignment of a large leaf (bits 12..20 of a 2 MiB leaf, 12..29
 * of a 1 GiB leaf); nonzero address bits from the address width up to
 * bit 51.  The specification reserves bits HAW..51, HAW being the host
 * address width the (virtual) IOMMU reports, which the table layout does
 * not carry: it is taken equal to the table's own address width, as in
 * QEMU's intel-iommu where one aw-bits sets both (39 bits for 3 levels, 48
 * for 4; 5 levels allow all of bits 12..51).
 */
#include "viommu_fmt.h"

#define VTD_SS_R		BIT_ULL(0)
#define VTD_SS_W		BIT_ULL(1)
#define VTD_SS_PS		BIT_ULL(7)
#define VTD_SS_ADDR		GENMASK_ULL(51, 12)
#define VTD_SS_MAX_ADDR_BITS	52

static unsigned int vtd_ss_shift(unsigned int level)
{
	return 12 + 9 * (level - 1);
}

static unsigned int vtd_ss_level_shift(const struct viommu_fmt_cfg *cfg,
				       unsigned int level)
{
	return vtd_ss_shift(level);
}

static unsigned int vtd_ss_level_bits(const struct viommu_fmt_cfg *cfg,
				      unsigned int level)
{
	return 9;
}

static unsigned int vtd_ss_iova_bits(const struct viommu_fmt_cfg *cfg)
{
	return 12 + 9 * cfg->levels;
}

/* Address bits the table's address width leaves reserved (none for 5). */
static u64 vtd_ss_rsvd_addr(const struct viommu_fmt_cfg *cfg)
{
	unsigned int width = vtd_ss_iova_bits(cfg);

	if (width >= VTD_SS_MAX_ADDR_BITS)
		return 0;
	return GENMASK_ULL(VTD_SS_MAX_ADDR_BITS - 1, width);
}

static void vtd_ss_decode(const struct viommu_fmt_cfg *cfg,
			  unsigned int level, u64 iova, u64 raw,
			  struct viommu_pte *pte)
{
	u64 e = viommu_le64_to_cpu(raw);
	u64 align;

	if (!(e & (VTD_SS_R | VTD_SS_W))) {
		pte->kind = VIOMMU_PTE_NONE;
		return;
	}

	pte->prot = ((e & VTD_SS_R) ? VIOMMU_PROT_READ : 0) |
		    ((e & VTD_SS_W) ? VIOMMU_PROT_WRITE : 0);

	if (e & vtd_ss_rsvd_addr(cfg)) {
		pte->kind = VIOMMU_PTE_BAD;
		pte->refusal = KVM_VIOMMU_REFUSED_RESERVED_BITS;
		return;
	}

	/* Bit 7 of an SS-PTE is ignored: level 1 entries are all leaves. */
	if (level == 1) {
		pte->kind = VIOMMU_PTE_LEAF;
		pte->addr = e & VTD_SS_ADDR;
		return;
	}

	if (!(e & VTD_SS_PS)) {
		pte->kind = VIOMMU_PTE_TABLE;
		pte->addr = e & VTD_SS_ADDR;
		pte->next_level = level - 1;
		return;
	}

	/* PS is reserved in an SS-PML4E and an SS-PML5E. */
	if (level > 3) {
		pte->kind = VIOMMU_PTE_BAD;
		pte->refusal = KVM_VIOMMU_REFUSED_RESERVED_BITS;
		return;
	}

	align = BIT_ULL(vtd_ss_shift(level));
	if (e & VTD_SS_ADDR & (align - 1)) {
		pte->kind = VIOMMU_PTE_BAD;
		pte->refusal = KVM_VIOMMU_REFUSED_RESERVED_BITS;
		return;
	}
	pte->kind = VIOMMU_PTE_LEAF;
	pte->addr = e & VTD_SS_ADDR;
}

VIOMMU_FMT_DECODE_RUN_LINEAR(vtd_ss, false,
			     VTD_SS_ADDR & ~vtd_ss_rsvd_addr(cfg))

const struct viommu_fmt viommu_fmt_vtd_ss = {
	.name = "vtd-ss",
	.min_levels = 3,
	.max_levels = 5,
	.default_levels = 4,
	.min_page_shift = 12,
	.max_page_shift = 12,
	.default_page_shift = 12,
	.root_align = 4096,
	.level_shift = vtd_ss_level_shift,
	.level_bits = vtd_ss_level_bits,
	.iova_bits = vtd_ss_iova_bits,
	.decode = vtd_ss_decode,
	.decode_run = vtd_ss_decode_run,
};
