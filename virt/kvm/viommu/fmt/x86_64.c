// SPDX-License-Identifier: GPL-2.0
/*
 * x86-64 paging structures, as the guest's IO page table.
 *
 * Follows the Intel 64 and IA-32 Architectures SDM, Vol. 3A, section 4.5
 * "4-Level Paging and 5-Level Paging" (tables 4-15 to 4-20), which the
 * Intel VT-d specification reuses for first-stage translation (VT-d spec,
 * section 9.9 "First-Stage Paging Entries").
 *
 * What is honoured: P (bit 0) validates an entry; R/W (bit 1) grants write,
 * and must be set at every level for a writable leaf; PS (bit 7) makes a
 * PDPTE a 1 GiB leaf or a PDE a 2 MiB leaf.  Bits 12..51 hold the address.
 * What is ignored, as for DMA it has no meaning or is the CPU's business:
 * U/S, PWT, PCD, A, D, G, PAT, the software-available bits, protection
 * keys and XD.  What is refused: PS in a PML4E or PML5E, and nonzero
 * address bits below the alignment of a large leaf (bits 13..20 of a
 * 2 MiB PDE, 13..29 of a 1 GiB PDPTE), which the SDM reserves.
 */
#include "viommu_fmt.h"

#define X86_PTE_P		BIT_ULL(0)
#define X86_PTE_RW		BIT_ULL(1)
#define X86_PTE_PS		BIT_ULL(7)
#define X86_PTE_ADDR		GENMASK_ULL(51, 12)

static unsigned int x86_64_shift(unsigned int level)
{
	return 12 + 9 * (level - 1);
}

static unsigned int x86_64_level_shift(const struct viommu_fmt_cfg *cfg,
				       unsigned int level)
{
	return x86_64_shift(level);
}

static unsigned int x86_64_level_bits(const struct viommu_fmt_cfg *cfg,
				      unsigned int level)
{
	return 9;
}

/*
 * 4 levels translate 48 bits and 5 levels 57, but only the lower canonical
 * half is a valid DMA address: bit 47 (or 56) set would need the upper bits
 * set as well.
 */
static unsigned int x86_64_iova_bits(const struct viommu_fmt_cfg *cfg)
{
	return 12 + 9 * cfg->levels - 1;
}

static void x86_64_decode(const struct viommu_fmt_cfg *cfg,
			  unsigned int level, u64 iova, u64 raw,
			  struct viommu_pte *pte)
{
	u64 e = viommu_le64_to_cpu(raw);
	u64 align;

	if (!(e & X86_PTE_P)) {
		pte->kind = VIOMMU_PTE_NONE;
		return;
	}

	pte->prot = VIOMMU_PROT_READ | ((e & X86_PTE_RW) ? VIOMMU_PROT_WRITE : 0);

	if (level == 1) {
		pte->kind = VIOMMU_PTE_LEAF;
		pte->addr = e & X86_PTE_ADDR;
		return;
	}

	if (!(e & X86_PTE_PS)) {
		pte->kind = VIOMMU_PTE_TABLE;
		pte->addr = e & X86_PTE_ADDR;
		pte->next_level = level - 1;
		return;
	}

	if (level > 3) {
		pte->kind = VIOMMU_PTE_BAD;
		pte->refusal = KVM_VIOMMU_REFUSED_RESERVED_BITS;
		return;
	}

	/* Bit 12 of a large leaf is PAT; bits 13 up to the alignment are reserved. */
	align = BIT_ULL(x86_64_shift(level));
	if (e & (align - 1) & GENMASK_ULL(51, 13)) {
		pte->kind = VIOMMU_PTE_BAD;
		pte->refusal = KVM_VIOMMU_REFUSED_RESERVED_BITS;
		return;
	}
	pte->kind = VIOMMU_PTE_LEAF;
	pte->addr = e & X86_PTE_ADDR & ~(align - 1);
}

VIOMMU_FMT_DECODE_RUN_LINEAR(x86_64, false, X86_PTE_ADDR)

const struct viommu_fmt viommu_fmt_x86_64 = {
	.name = "x86-64",
	.min_levels = 4,
	.max_levels = 5,
	.default_levels = 4,
	.min_page_shift = 12,
	.max_page_shift = 12,
	.default_page_shift = 12,
	.root_align = 4096,
	.level_shift = x86_64_level_shift,
	.level_bits = x86_64_level_bits,
	.iova_bits = x86_64_iova_bits,
	.decode = x86_64_decode,
	.decode_run = x86_64_decode_run,
};
