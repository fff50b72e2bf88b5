// SPDX-License-Identifier: GPL-2.0
/*
 * s390 zPCI DMA translation tables, as the guest's IO page table.
 *
 * Follows the layout Linux defines in arch/s390/include/asm/pci_dma.h
 * (used by drivers/iommu/s390-iommu.c, arch/s390/pci/pci_dma.c before
 * 6.7) for an I/O translation anchor of type region-third table, and the
 * z/Architecture DAT entry formats it reuses (z/Architecture Principles of
 * Operation, SA22-7832, chapter 3 "Dynamic Address Translation"; the
 * summary in arch/s390/include/asm/pgtable.h).  Entries are 8 bytes,
 * big-endian; bit values below are as masks of the 64-bit value.
 *
 * Three levels, 42-bit IOVAs: the region-third table (our level 3, 2048
 * entries, 16 KiB, 16 KiB aligned root, index IOVA bits 41:31) points to
 * segment tables (level 2, 2048 entries, 16 KiB, index bits 30:20), which
 * point to page tables (level 1, 256 entries, 2 KiB, index bits 19:12)
 * of 4 KiB pages.  There are no large pages.
 *
 * Honoured: the invalid bit (0x20 in region-third and segment entries,
 * 0x400 in page entries) makes an entry a hole, whatever else it holds;
 * the table type (0xc) must be 0x4 (region-third) at level 3 and 0x0
 * (segment) at level 2; the protection bit 0x200 makes a page read-only
 * and, in a region-third or segment entry, everything below it; all
 * valid pages are readable.  Addresses: bits 63:14 (segment-table
 * origin), 63:11 (page-table origin), 63:12 (page frame).
 *
 * Ignored, with no meaning for I/O translation: the common-region and
 * common-segment bits (0x10), instruction-execution protection (0x100)
 * and 0x800 of a region-third entry; bits 0x3, 0xc0 and 0x100 of a
 * segment entry; the change-bit override or IEP bit (0x100) and the
 * software bits 0xff of a page entry.
 *
 * Refused (KVM_VIOMMU_REFUSED_RESERVED_BITS): a table type other than the
 * level's (including region-first/second types, i.e. more levels than the
 * three declared); a region-third entry whose table length (0x3) is not 3
 * or whose table offset (0xc0) is not 0: Linux always points at a full
 * segment table, and a partial one is not supported; the format-control
 * bit 0x400 in a region-third or segment entry (a 2 GiB or 1 MiB large
 * page, which zPCI does not have); bits 0x3000 of a region-third entry (a
 * segment-table origin not 16 KiB aligned); bit 0x800 of a page entry,
 * which z/Architecture requires to be zero.
 */
#include "viommu_fmt.h"

#define ZPCI_TT_MASK		0xcULL
#define ZPCI_TT_RTX		0x4ULL
#define ZPCI_TT_SX		0x0ULL
#define ZPCI_TABLE_INVALID	0x20ULL
#define ZPCI_TABLE_PROTECT	0x200ULL
#define ZPCI_TABLE_FC		0x400ULL	/* large page: not in zPCI */
#define ZPCI_RTE_TL_MASK	0x3ULL
#define ZPCI_RTE_TL_FULL	0x3ULL
#define ZPCI_RTE_TF_MASK	0xc0ULL
#define ZPCI_RTE_ADDR		(~0x3fffULL)
#define ZPCI_RTE_MISALIGNED	0x3000ULL
#define ZPCI_STE_ADDR		(~0x7ffULL)
#define ZPCI_PTE_INVALID	0x400ULL
#define ZPCI_PTE_PROTECT	0x200ULL
#define ZPCI_PTE_ZERO		0x800ULL
#define ZPCI_PTE_ADDR		(~0xfffULL)

static unsigned int s390_zpci_level_shift(const struct viommu_fmt_cfg *cfg,
					  unsigned int level)
{
	/* Page index at bit 12, segment index at 20, region-third at 31. */
	return level == 1 ? 12 : level == 2 ? 20 : 31;
}

static unsigned int s390_zpci_level_bits(const struct viommu_fmt_cfg *cfg,
					 unsigned int level)
{
	return level == 1 ? 8 : 11;
}

static unsigned int s390_zpci_iova_bits(const struct viommu_fmt_cfg *cfg)
{
	return 42;
}

static void s390_zpci_refuse(struct viommu_pte *pte)
{
	pte->kind = VIOMMU_PTE_BAD;
	pte->refusal = KVM_VIOMMU_REFUSED_RESERVED_BITS;
}

static void s390_zpci_decode(const struct viommu_fmt_cfg *cfg,
			     unsigned int level, u64 iova, u64 raw,
			     struct viommu_pte *pte)
{
	u64 e = viommu_be64_to_cpu(raw);
	u32 prot;

	if (level == 1) {
		if (e & ZPCI_PTE_INVALID) {
			pte->kind = VIOMMU_PTE_NONE;
			return;
		}
		if (e & ZPCI_PTE_ZERO) {
			s390_zpci_refuse(pte);
			return;
		}
		pte->kind = VIOMMU_PTE_LEAF;
		pte->addr = e & ZPCI_PTE_ADDR;
		pte->prot = (e & ZPCI_PTE_PROTECT) ? VIOMMU_PROT_READ :
						     VIOMMU_PROT_RW;
		return;
	}

	if (e & ZPCI_TABLE_INVALID) {
		pte->kind = VIOMMU_PTE_NONE;
		return;
	}
	if (e & ZPCI_TABLE_FC) {
		s390_zpci_refuse(pte);
		return;
	}
	prot = (e & ZPCI_TABLE_PROTECT) ? VIOMMU_PROT_READ : VIOMMU_PROT_RW;

	if (level == 2) {
		if ((e & ZPCI_TT_MASK) != ZPCI_TT_SX) {
			s390_zpci_refuse(pte);
			return;
		}
		pte->addr = e & ZPCI_STE_ADDR;
	} else {
		if ((e & ZPCI_TT_MASK) != ZPCI_TT_RTX ||
		    (e & ZPCI_RTE_TL_MASK) != ZPCI_RTE_TL_FULL ||
		    (e & ZPCI_RTE_TF_MASK) || (e & ZPCI_RTE_MISALIGNED)) {
			s390_zpci_refuse(pte);
			return;
		}
		pte->addr = e & ZPCI_RTE_ADDR;
	}
	pte->kind = VIOMMU_PTE_TABLE;
	pte->next_level = level - 1;
	pte->prot = prot;
}

VIOMMU_FMT_DECODE_RUN_LINEAR(s390_zpci, true, ZPCI_PTE_ADDR)

const struct viommu_fmt viommu_fmt_s390_zpci = {
	.name = "s390-zpci",
	.min_levels = 3,
	.max_levels = 3,
	.default_levels = 3,
	.min_page_shift = 12,
	.max_page_shift = 12,
	.default_page_shift = 12,
	.root_align = 0x4000,
	.level_shift = s390_zpci_level_shift,
	.level_bits = s390_zpci_level_bits,
	.iova_bits = s390_zpci_iova_bits,
	.decode = s390_zpci_decode,
	.decode_run = s390_zpci_decode_run,
};
