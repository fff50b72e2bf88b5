// SPDX-License-Identifier: GPL-2.0
/*
 * AMD-Vi v1 I/O page tables (host translation), as the guest's IO page
 * table.
 *
 * Follows the AMD I/O Virtualization Technology (IOMMU) Specification
 * (publication 48882), section 2.2.3 "I/O Page Tables for Host
 * Translations": the PDE and PTE formats, the page table level parameters
 * and the page size encodings.  Paging mode 1 to 6 is the number of levels;
 * levels 1 to 5 index 9 IOVA bits each from bit 12 up and level 6 the 7
 * remaining bits 57..63, so the modes translate 21, 30, 39, 48, 57 and 64
 * IOVA bits.
 *
 * What is honoured: PR (bit 0) validates an entry.  NextLevel (bits 9..11)
 * 1 to 6 makes a PDE pointing to a table of that level, which must be
 * below the current one; a PDE skipping levels covers only the IOVAs whose
 * index bits of the skipped levels are zero (the walker refuses the
 * others).  NextLevel 0 makes a PTE mapping the level's default page size
 * (4 KiB, 2 MiB, 1 GiB, 512 GiB, 256 TiB).  NextLevel 7 makes a PTE of a
 * larger power-of-two size, encoded by the run of ones in the address from
 * bit 12 (the first zero bit z gives a size of 2^(z+1)); the guest
 * replicates it in every entry the page covers, and each entry is decoded
 * on its own to the part of the page its span covers.  IR (bit 61) grants
 * read and IW (bit 62) write, in PTEs and in PDEs alike: a PDE's IR and IW
 * restrict everything below it (the walker ANDs them), so a present PDE
 * with both clear leaves everything below it mapped with no access, which
 * the shadow treats as unmapped.  Bits 12..51 hold the address.
 * What is ignored: bits 1..8 (A, D and bits the specification marks
 * ignored), U (bit 59) and FC (bit 60) of a PTE, and bit 63.
 * What is refused: reserved bits 52..60 of a PDE and 52..58 of a PTE; a
 * PTE at level 6, which holds no pages; nonzero address bits below the
 * page size of a NextLevel 0 PTE (the specification gives them no meaning);
 * a NextLevel 7 encoding without a zero bit, or whose size is not 2 to 256
 * times the level's default page size (a page that fits one entry, or one
 * that is the size of an entry of the level above or larger, is not what
 * the encoding is for, and could not be replicated within one table).
 */
#include "viommu_fmt.h"

#define AMD_V1_PR		BIT_ULL(0)
#define AMD_V1_NL_SHIFT		9
#define AMD_V1_NL_MASK		0x7
#define AMD_V1_NL_DEFAULT	0
#define AMD_V1_NL_SIZE		7
#define AMD_V1_ADDR		GENMASK_ULL(51, 12)
#define AMD_V1_ADDR_BITS	52
#define AMD_V1_PDE_RSVD		GENMASK_ULL(60, 52)
#define AMD_V1_PTE_RSVD		GENMASK_ULL(58, 52)
#define AMD_V1_IR		BIT_ULL(61)
#define AMD_V1_IW		BIT_ULL(62)
#define AMD_V1_TOP_LEVEL	6
/* A NextLevel 7 page covers at most 2^8 entries of its level. */
#define AMD_V1_MAX_REPEAT_BITS	8

static unsigned int amd_v1_shift(unsigned int level)
{
	return 12 + 9 * (level - 1);
}

static unsigned int amd_v1_level_shift(const struct viommu_fmt_cfg *cfg,
				       unsigned int level)
{
	return amd_v1_shift(level);
}

static unsigned int amd_v1_level_bits(const struct viommu_fmt_cfg *cfg,
				      unsigned int level)
{
	return level == AMD_V1_TOP_LEVEL ? 64 - amd_v1_shift(level) : 9;
}

static unsigned int amd_v1_iova_bits(const struct viommu_fmt_cfg *cfg)
{
	if (cfg->levels >= AMD_V1_TOP_LEVEL)
		return 64;
	return 12 + 9 * cfg->levels;
}

static void amd_v1_decode(const struct viommu_fmt_cfg *cfg,
			  unsigned int level, u64 iova, u64 raw,
			  struct viommu_pte *pte)
{
	u64 e = viommu_le64_to_cpu(raw);
	unsigned int nl = (e >> AMD_V1_NL_SHIFT) & AMD_V1_NL_MASK;
	unsigned int shift = amd_v1_shift(level);
	unsigned int size_shift;
	u64 size;

	if (!(e & AMD_V1_PR)) {
		pte->kind = VIOMMU_PTE_NONE;
		return;
	}

	pte->prot = ((e & AMD_V1_IR) ? VIOMMU_PROT_READ : 0) |
		    ((e & AMD_V1_IW) ? VIOMMU_PROT_WRITE : 0);

	if (nl != AMD_V1_NL_DEFAULT && nl != AMD_V1_NL_SIZE) {
		if (e & AMD_V1_PDE_RSVD)
			goto bad;
		/* The walker refuses a next level not below this one. */
		pte->kind = VIOMMU_PTE_TABLE;
		pte->addr = e & AMD_V1_ADDR;
		pte->next_level = nl;
		return;
	}

	if ((e & AMD_V1_PTE_RSVD) || level >= AMD_V1_TOP_LEVEL)
		goto bad;

	if (nl == AMD_V1_NL_DEFAULT) {
		if (e & AMD_V1_ADDR & (BIT_ULL(shift) - 1))
			goto bad;
		pte->kind = VIOMMU_PTE_LEAF;
		pte->addr = e & AMD_V1_ADDR;
		return;
	}

	/* NextLevel 7: the first zero address bit z encodes 2^(z+1) bytes. */
	for (size_shift = 12; size_shift < AMD_V1_ADDR_BITS; size_shift++)
		if (!(e & BIT_ULL(size_shift)))
			break;
	size_shift++;
	if (size_shift > AMD_V1_ADDR_BITS || size_shift <= shift ||
	    size_shift > shift + AMD_V1_MAX_REPEAT_BITS)
		goto bad;

	size = BIT_ULL(size_shift);
	pte->kind = VIOMMU_PTE_LEAF;
	pte->addr = (e & AMD_V1_ADDR & ~(size - 1)) + (iova & (size - 1));
	return;

bad:
	pte->kind = VIOMMU_PTE_BAD;
	pte->refusal = KVM_VIOMMU_REFUSED_RESERVED_BITS;
}

/* Not linear: a NextLevel 7 page's address depends on the IOVA. */
VIOMMU_FMT_DECODE_RUN(amd_v1)

const struct viommu_fmt viommu_fmt_amd_v1 = {
	.name = "amd-v1",
	.min_levels = 1,
	.max_levels = 6,
	.default_levels = 4,
	.min_page_shift = 12,
	.max_page_shift = 12,
	.default_page_shift = 12,
	.root_align = 4096,
	.level_shift = amd_v1_level_shift,
	.level_bits = amd_v1_level_bits,
	.iova_bits = amd_v1_iova_bits,
	.decode = amd_v1_decode,
	.decode_run = amd_v1_decode_run,
};
