// SPDX-License-Identifier: GPL-2.0
/*
 * sPAPR TCE tables, as the guest's IO page table.
 *
 * Follows the Translation Control Entry of LoPAR (Linux on Power
 * Architecture Reference), whose TCE hcalls H_PUT_TCE, H_PUT_TCE_INDIRECT
 * and H_STUFF_TCE fill a DMA window's table, as Linux implements it: the
 * TCE bits of arch/powerpc/include/asm/tce.h, the checks of
 * iommu_tce_check_gpa() in arch/powerpc/kernel/iommu.c and of
 * kvmppc_tce_validate() and kvm_vm_ioctl_create_spapr_tce() in
 * arch/powerpc/kvm/book3s_64_vio.c, and the multi-level ("indirect
 * levels") tables of arch/powerpc/platforms/powernv/pci-ioda-tce.c
 * (pnv_tce(), pnv_pci_ioda2_table_alloc_pages()).
 *
 * A TCE is a 64-bit big-endian word.  Bit 0 lets the device read memory,
 * bit 1 lets it write; with neither the entry maps nothing, whatever its
 * other bits (KVM lets the VMM "poison" entries that way).  The real page
 * number sits above the IOMMU page shift, which the guest chooses per
 * window: 12 (4 KiB) to 34 (16 GiB), as KVM_CREATE_SPAPR_TCE_64 allows.
 *
 * The table translates a DMA window: entry 0 maps the window's first IOVA
 * (cfg->iova_base, the aperture start), so the walker indexes with
 * iova - iova_base.  Layout by number of levels:
 *
 * - 1 level: a flat table, one TCE per IOMMU page of the window, as many
 *   contiguous entries as the window needs.
 * - 2 to 5 levels: the leaf-most level is made of 4 KiB tables of 512
 *   TCEs, each level above of 4 KiB tables of 512 indirect entries (one
 *   PowerNV level of 4 KiB), except the top level, which holds as many
 *   entries as the window needs.  Level L indexes IOVA offset bits from
 *   page_shift + 9 * (L - 1) up.
 *
 * The index space is 59 bits wide whatever the layout: PowerNV refuses
 * tables indexing 2^60 bytes or more, and the 64-bit DMA window of
 * PowerNV and of QEMU's sPAPR PHB starts at 2^59.  Entries beyond the
 * window are never read, since KVM_VIOMMU_SET_TABLE and KVM_VIOMMU_REFRESH
 * keep IOVAs inside the aperture.  A layout whose levels below the top
 * already index 2^59 bytes or more (5 levels above 22-bit pages, 4 levels
 * above 31-bit pages) leaves the top level no index bit: it translates
 * nothing (iova_bits 0) and any aperture is refused.
 *
 * What is honoured: R (bit 0) and W (bit 1) of a leaf TCE, independently
 * (a write-only TCE maps write-only); the address, bits page_shift..51 of a
 * leaf and bits 12..51 of an indirect entry.  An indirect entry is valid
 * when R or W is set, as PowerNV and the PHB read it; its permissions do
 * not restrict the leaves below it, only the leaf TCE does.
 * What is ignored: every bit of an entry with neither R nor W.
 * What is refused: address bits 52..63 (TCE_RPN_MASK: a 40-bit real page
 * number of 4 KiB pages), and bits 2 up to the page shift of a leaf (an
 * address not aligned to the IOMMU page, which iommu_tce_check_gpa()
 * rejects) or bits 2..11 of an indirect entry (a misaligned table).
 */
#include "viommu_fmt.h"

#define TCE_READ		BIT_ULL(0)
#define TCE_WRITE		BIT_ULL(1)
#define TCE_HIGH		GENMASK_ULL(63, 52)
#define TCE_ADDR_LAST		51
#define TCE_TABLE_SHIFT		12	/* 4 KiB lower-level tables */
#define TCE_LEVEL_BITS		9	/* 512 entries per lower-level table */
#define TCE_WINDOW_BITS		59

/* Does @cfg leave the top level at least one index bit? */
static bool spapr_tce_layout_ok(const struct viommu_fmt_cfg *cfg)
{
	return cfg->page_shift + TCE_LEVEL_BITS * (cfg->levels - 1) <
	       TCE_WINDOW_BITS;
}

static unsigned int spapr_tce_level_shift(const struct viommu_fmt_cfg *cfg,
					  unsigned int level)
{
	if (!spapr_tce_layout_ok(cfg))
		return cfg->page_shift;
	return cfg->page_shift + TCE_LEVEL_BITS * (level - 1);
}

static unsigned int spapr_tce_level_bits(const struct viommu_fmt_cfg *cfg,
					 unsigned int level)
{
	if (!spapr_tce_layout_ok(cfg))
		return 0;
	if (level < cfg->levels)
		return TCE_LEVEL_BITS;
	return TCE_WINDOW_BITS - spapr_tce_level_shift(cfg, level);
}

static unsigned int spapr_tce_iova_bits(const struct viommu_fmt_cfg *cfg)
{
	return spapr_tce_layout_ok(cfg) ? TCE_WINDOW_BITS : 0;
}

static void spapr_tce_decode(const struct viommu_fmt_cfg *cfg,
			     unsigned int level, u64 iova, u64 raw,
			     struct viommu_pte *pte)
{
	u64 e = viommu_be64_to_cpu(raw);
	unsigned int align = level > 1 ? TCE_TABLE_SHIFT : cfg->page_shift;

	if (!spapr_tce_layout_ok(cfg)) {
		pte->kind = VIOMMU_PTE_BAD;
		pte->refusal = KVM_VIOMMU_REFUSED_RESERVED_BITS;
		return;
	}

	if (!(e & (TCE_READ | TCE_WRITE))) {
		pte->kind = VIOMMU_PTE_NONE;
		return;
	}

	if (e & (TCE_HIGH | GENMASK_ULL(align - 1, 2))) {
		pte->kind = VIOMMU_PTE_BAD;
		pte->refusal = KVM_VIOMMU_REFUSED_RESERVED_BITS;
		return;
	}
	pte->addr = e & GENMASK_ULL(TCE_ADDR_LAST, align);

	if (level > 1) {
		pte->kind = VIOMMU_PTE_TABLE;
		pte->prot = VIOMMU_PROT_RW;
		pte->next_level = level - 1;
		return;
	}

	pte->kind = VIOMMU_PTE_LEAF;
	pte->prot = ((e & TCE_READ) ? VIOMMU_PROT_READ : 0) |
		    ((e & TCE_WRITE) ? VIOMMU_PROT_WRITE : 0);
}

/**
 * viommu_spapr_tce_entry - where the TCE translating an IOVA lives
 * @cfg: the table's layout.
 * @root: guest physical address of the top-level table.
 * @iova: an IOVA of the window (from @cfg->iova_base, below 2^59 bytes
 *	past it).
 * @read: reads the 8-byte entry at @gpa into *@raw: 0 or a negative errno.
 * @ctx: passed to @read.
 * @gpa: set to the guest physical address of @iova's TCE.
 *
 * Follows the indirect levels exactly as the walker does with
 * spapr_tce_decode(), so the TCE found is the one a walk of @iova reads.
 * The TCE itself is not read.
 *
 * Return: 0; -ENOENT when an indirect entry on the way is not valid
 * (neither R nor W: a missing level); -EFAULT when one cannot be read;
 * -EINVAL when one is malformed, or for a layout, root or IOVA the table
 * cannot have.
 */
int viommu_spapr_tce_entry(const struct viommu_fmt_cfg *cfg, u64 root,
			   u64 iova, int (*read)(void *ctx, u64 gpa, u64 *raw),
			   void *ctx, u64 *gpa)
{
	u64 off = iova - cfg->iova_base;
	unsigned int level;

	if (viommu_fmt_check(&viommu_fmt_spapr_tce, cfg) ||
	    !spapr_tce_layout_ok(cfg) || iova < cfg->iova_base ||
	    off >> TCE_WINDOW_BITS ||
	    root & (viommu_fmt_spapr_tce.root_align - 1))
		return -EINVAL;

	for (level = cfg->levels; level > 1; level--) {
		unsigned int shift = spapr_tce_level_shift(cfg, level);
		unsigned int bits = spapr_tce_level_bits(cfg, level);
		u64 idx = (off >> shift) & (BIT_ULL(bits) - 1);
		struct viommu_pte pte = { .kind = VIOMMU_PTE_BAD };
		u64 raw;

		if (read(ctx, root + idx * sizeof(u64), &raw))
			return -EFAULT;
		spapr_tce_decode(cfg, level,
				 cfg->iova_base + (off & ~(BIT_ULL(shift) - 1)),
				 raw, &pte);
		if (pte.kind == VIOMMU_PTE_NONE)
			return -ENOENT;
		if (pte.kind != VIOMMU_PTE_TABLE)
			return -EINVAL;
		root = pte.addr;
	}

	*gpa = root + ((off >> cfg->page_shift) &
		       (BIT_ULL(spapr_tce_level_bits(cfg, 1)) - 1)) *
		      sizeof(u64);
	return 0;
}

VIOMMU_FMT_DECODE_RUN_LINEAR(spapr_tce, true,
			     GENMASK_ULL(TCE_ADDR_LAST, TCE_TABLE_SHIFT))

const struct viommu_fmt viommu_fmt_spapr_tce = {
	.name = "spapr-tce",
	.min_levels = 1,
	.max_levels = 5,
	.default_levels = 1,
	.min_page_shift = 12,
	.max_page_shift = 34,
	.default_page_shift = 12,
	.windowed = true,
	.root_align = 4096,
	.level_shift = spapr_tce_level_shift,
	.level_bits = spapr_tce_level_bits,
	.iova_bits = spapr_tce_iova_bits,
	.decode = spapr_tce_decode,
	.decode_run = spapr_tce_decode_run,
};
