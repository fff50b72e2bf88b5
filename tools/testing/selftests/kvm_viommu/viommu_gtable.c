// SPDX-License-Identifier: GPL-2.0
/*
 * Test-side encoders of the guest IO page table formats; see
 * viommu_gtable.h.  Each format's bits follow its decoder in
 * virt/kvm/viommu/fmt/ (the truth the module reads) and, for the bits the
 * decoder ignores, what the format's Linux driver writes.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "viommu_gtable.h"

#define BIT64(n)		(1ULL << (n))
#define MASK64(h, l)		((~0ULL >> (63 - (h))) & ~(BIT64(l) - 1))
#define ADDR_51_12		MASK64(51, 12)

/* The IOVA span of one level's entries, for formats of 512-entry tables. */
static unsigned int std_level_shift(const struct gtab *t, unsigned int level)
{
	return t->layout.page_shift + 9 * (level - 1);
}

static unsigned int std_level_bits(const struct gtab *t, unsigned int level)
{
	return 9;
}

static uint64_t zero_empty(const struct gtab *t, unsigned int level)
{
	return 0;
}

static uint64_t addr_51_12(const struct gtab *t, unsigned int level,
			   uint64_t e)
{
	return e & ADDR_51_12;
}

/*
 * x86-64 (Intel SDM Vol. 3A, 4.5; fmt/x86_64.c): P bit 0, R/W bit 1 at
 * every level of a writable leaf, PS bit 7 for 2 MiB and 1 GiB leaves.
 */
#define X86_P			BIT64(0)
#define X86_RW			BIT64(1)
#define X86_PS			BIT64(7)

static uint64_t x86_table(const struct gtab *t, unsigned int level,
			  uint64_t next)
{
	return next | X86_P | X86_RW;
}

static uint64_t x86_leaf(const struct gtab *t, unsigned int level,
			 uint64_t gpa, bool write)
{
	return gpa | X86_P | (write ? X86_RW : 0) | (level > 1 ? X86_PS : 0);
}

static const struct gtable_ops x86_64_ops = {
	.name = "x86-64",
	.format = KVM_VIOMMU_FMT_X86_64,
	.default_levels = 4,
	.table_align = 4096,
	.max_leaf_level = 3,
	.level_shift = std_level_shift,
	.level_bits = std_level_bits,
	.empty = zero_empty,
	.table = x86_table,
	.table_addr = addr_51_12,
	.leaf = x86_leaf,
};

/*
 * VT-d second stage (VT-d spec 9.8; fmt/vtd_ss.c): R bit 0, W bit 1 (a
 * table entry's restrict what is below it), PS bit 7 for large leaves.
 */
#define VTD_R			BIT64(0)
#define VTD_W			BIT64(1)
#define VTD_PS			BIT64(7)

static uint64_t vtd_table(const struct gtab *t, unsigned int level,
			  uint64_t next)
{
	return next | VTD_R | VTD_W;
}

static uint64_t vtd_leaf(const struct gtab *t, unsigned int level,
			 uint64_t gpa, bool write)
{
	return gpa | VTD_R | (write ? VTD_W : 0) | (level > 1 ? VTD_PS : 0);
}

static const struct gtable_ops vtd_ss_ops = {
	.name = "vtd-ss",
	.format = KVM_VIOMMU_FMT_VTD_SS,
	.default_levels = 4,
	.table_align = 4096,
	.max_leaf_level = 3,
	.level_shift = std_level_shift,
	.level_bits = std_level_bits,
	.empty = zero_empty,
	.table = vtd_table,
	.table_addr = addr_51_12,
	.leaf = vtd_leaf,
};

/*
 * AMD-Vi v1 (AMD IOMMU spec 2.2.3; fmt/amd_v1.c): PR bit 0, NextLevel
 * bits 11:9 (the level of the table pointed to; 0 in a leaf of the level's
 * default size), IR bit 61, IW bit 62.  Linux's amd_iommu also sets FC
 * (bit 60, ignored in a PTE) in its leaves.
 */
#define AMD_PR			BIT64(0)
#define AMD_NL_SHIFT		9
#define AMD_FC			BIT64(60)
#define AMD_IR			BIT64(61)
#define AMD_IW			BIT64(62)
#define AMD_TOP_LEVEL		6

static unsigned int amd_level_bits(const struct gtab *t, unsigned int level)
{
	return level == AMD_TOP_LEVEL ? 64 - std_level_shift(t, level) : 9;
}

static uint64_t amd_table(const struct gtab *t, unsigned int level,
			  uint64_t next)
{
	return next | AMD_PR | ((uint64_t)(level - 1) << AMD_NL_SHIFT) |
	       AMD_IR | AMD_IW;
}

static uint64_t amd_leaf(const struct gtab *t, unsigned int level,
			 uint64_t gpa, bool write)
{
	return gpa | AMD_PR | AMD_FC | AMD_IR | (write ? AMD_IW : 0);
}

static const struct gtable_ops amd_v1_ops = {
	.name = "amd-v1",
	.format = KVM_VIOMMU_FMT_AMD_V1,
	.default_levels = 4,
	.table_align = 4096,
	.max_leaf_level = 5,
	.level_shift = std_level_shift,
	.level_bits = amd_level_bits,
	.empty = zero_empty,
	.table = amd_table,
	.table_addr = addr_51_12,
	.leaf = amd_leaf,
};

/*
 * Arm LPAE, 4 KiB granule (Arm ARM D8.3; fmt/arm_lpae.c): bits[1:0] 0b11
 * for a table or a level-1 page, 0b01 for a block, AF bit 10; stage 1
 * AP[2] (bit 7) read-only, stage 2 S2AP bits 7:6 write/read.  The other
 * bits are what io-pgtable-arm writes: nG, AP[1], SH inner shareable,
 * XN, and MemAttr write-back at stage 2.
 */
#define LPAE_TYPE_TABLE		3ULL
#define LPAE_TYPE_BLOCK		1ULL
#define LPAE_S1_AP_UNPRIV	BIT64(6)
#define LPAE_S1_AP_RDONLY	BIT64(7)
#define LPAE_S2_READ		BIT64(6)
#define LPAE_S2_WRITE		BIT64(7)
#define LPAE_SH_IS		(3ULL << 8)
#define LPAE_AF			BIT64(10)
#define LPAE_NG			BIT64(11)
#define LPAE_XN			(3ULL << 53)
#define LPAE_S2_MEMATTR_WB	(0xfULL << 2)

static uint64_t lpae_table(const struct gtab *t, unsigned int level,
			   uint64_t next)
{
	return next | LPAE_TYPE_TABLE;
}

static uint64_t lpae_table_addr(const struct gtab *t, unsigned int level,
				uint64_t e)
{
	return e & MASK64(47, 12);
}

static uint64_t lpae_leaf_common(unsigned int level, uint64_t gpa)
{
	return gpa | (level == 1 ? LPAE_TYPE_TABLE : LPAE_TYPE_BLOCK) |
	       LPAE_AF | LPAE_SH_IS | LPAE_XN;
}

static uint64_t lpae_s1_leaf(const struct gtab *t, unsigned int level,
			     uint64_t gpa, bool write)
{
	return lpae_leaf_common(level, gpa) | LPAE_NG | LPAE_S1_AP_UNPRIV |
	       (write ? 0 : LPAE_S1_AP_RDONLY);
}

static uint64_t lpae_s2_leaf(const struct gtab *t, unsigned int level,
			     uint64_t gpa, bool write)
{
	return lpae_leaf_common(level, gpa) | LPAE_S2_MEMATTR_WB |
	       LPAE_S2_READ | (write ? LPAE_S2_WRITE : 0);
}

static const struct gtable_ops arm_lpae_s1_ops = {
	.name = "arm-lpae-s1",
	.format = KVM_VIOMMU_FMT_ARM_LPAE_S1,
	.default_levels = 4,
	.table_align = 4096,
	.max_leaf_level = 3,
	.level_shift = std_level_shift,
	.level_bits = std_level_bits,
	.empty = zero_empty,
	.table = lpae_table,
	.table_addr = lpae_table_addr,
	.leaf = lpae_s1_leaf,
};

static const struct gtable_ops arm_lpae_s2_ops = {
	.name = "arm-lpae-s2",
	.format = KVM_VIOMMU_FMT_ARM_LPAE_S2,
	.default_levels = 4,
	.table_align = 4096,
	.max_leaf_level = 3,
	.level_shift = std_level_shift,
	.level_bits = std_level_bits,
	.empty = zero_empty,
	.table = lpae_table,
	.table_addr = lpae_table_addr,
	.leaf = lpae_s2_leaf,
};

/*
 * s390 zPCI (arch/s390/include/asm/pci_dma.h; fmt/s390_zpci.c), big-endian:
 * a 16 KiB region-third table (IOVA bits 41:31) of entries with type 0x4
 * and table length 0x3, 16 KiB segment tables (bits 30:20, type 0x0),
 * 2 KiB page tables (bits 19:12).  Invalid: 0x20 in table entries, 0x400
 * in page entries (so a zeroed table is not an empty one); protection
 * 0x200 makes a page read-only.
 */
#define ZPCI_TABLE_INVALID	0x20ULL
#define ZPCI_TABLE_TYPE_RTX	0x4ULL
#define ZPCI_TABLE_TYPE_SX	0x0ULL
#define ZPCI_TABLE_LEN_RTX	0x3ULL
#define ZPCI_RTE_ADDR		(~0x3fffULL)
#define ZPCI_STE_ADDR		(~0x7ffULL)
#define ZPCI_PTE_INVALID	0x400ULL
#define ZPCI_PTE_PROTECT	0x200ULL

static unsigned int zpci_level_shift(const struct gtab *t, unsigned int level)
{
	return level == 1 ? 12 : level == 2 ? 20 : 31;
}

static unsigned int zpci_level_bits(const struct gtab *t, unsigned int level)
{
	return level == 1 ? 8 : 11;
}

static uint64_t zpci_empty(const struct gtab *t, unsigned int level)
{
	return level == 1 ? ZPCI_PTE_INVALID : ZPCI_TABLE_INVALID;
}

static uint64_t zpci_table(const struct gtab *t, unsigned int level,
			   uint64_t next)
{
	if (level == 3)
		return (next & ZPCI_RTE_ADDR) | ZPCI_TABLE_TYPE_RTX |
		       ZPCI_TABLE_LEN_RTX;
	return (next & ZPCI_STE_ADDR) | ZPCI_TABLE_TYPE_SX;
}

static uint64_t zpci_table_addr(const struct gtab *t, unsigned int level,
				uint64_t e)
{
	return e & (level == 3 ? ZPCI_RTE_ADDR : ZPCI_STE_ADDR);
}

static uint64_t zpci_leaf(const struct gtab *t, unsigned int level,
			  uint64_t gpa, bool write)
{
	return gpa | (write ? 0 : ZPCI_PTE_PROTECT);
}

static const struct gtable_ops s390_zpci_ops = {
	.name = "s390-zpci",
	.format = KVM_VIOMMU_FMT_S390_ZPCI,
	.default_levels = 3,
	.big_endian = true,
	.table_align = 0x4000,
	.max_leaf_level = 1,
	.level_shift = zpci_level_shift,
	.level_bits = zpci_level_bits,
	.empty = zpci_empty,
	.table = zpci_table,
	.table_addr = zpci_table_addr,
	.leaf = zpci_leaf,
};

/*
 * sPAPR TCE (LoPAR, arch/powerpc/include/asm/tce.h; fmt/spapr_tce.c),
 * big-endian, over a window: R bit 0, W bit 1, the page at bits
 * page_shift..51.  Multi-level tables as PowerNV builds them: 4 KiB
 * tables of 512 entries below a top level sized to the window, indirect
 * entries carrying R and W.
 */
#define TCE_R			BIT64(0)
#define TCE_W			BIT64(1)
#define TCE_WINDOW_BITS		59

static unsigned int tce_level_bits(const struct gtab *t, unsigned int level)
{
	if (level < t->layout.levels)
		return 9;
	return TCE_WINDOW_BITS - std_level_shift(t, level);
}

static uint64_t tce_table(const struct gtab *t, unsigned int level,
			  uint64_t next)
{
	return next | TCE_R | TCE_W;
}

static uint64_t tce_leaf(const struct gtab *t, unsigned int level,
			 uint64_t gpa, bool write)
{
	return gpa | TCE_R | (write ? TCE_W : 0);
}

static const struct gtable_ops spapr_tce_ops = {
	.name = "spapr-tce",
	.format = KVM_VIOMMU_FMT_SPAPR_TCE,
	.default_levels = 1,
	.big_endian = true,
	.windowed = true,
	.table_align = 4096,
	.max_leaf_level = 1,
	.level_shift = std_level_shift,
	.level_bits = tce_level_bits,
	.empty = zero_empty,
	.table = tce_table,
	.table_addr = addr_51_12,
	.leaf = tce_leaf,
};

static const struct gtable_ops *const gtable_formats[KVM_VIOMMU_FMT_COUNT] = {
	[KVM_VIOMMU_FMT_X86_64] = &x86_64_ops,
	[KVM_VIOMMU_FMT_VTD_SS] = &vtd_ss_ops,
	[KVM_VIOMMU_FMT_AMD_V1] = &amd_v1_ops,
	[KVM_VIOMMU_FMT_ARM_LPAE_S1] = &arm_lpae_s1_ops,
	[KVM_VIOMMU_FMT_ARM_LPAE_S2] = &arm_lpae_s2_ops,
	[KVM_VIOMMU_FMT_S390_ZPCI] = &s390_zpci_ops,
	[KVM_VIOMMU_FMT_SPAPR_TCE] = &spapr_tce_ops,
};

const struct gtable_ops *gtable_ops_get(uint32_t format)
{
	if (format >= KVM_VIOMMU_FMT_COUNT)
		return NULL;
	return gtable_formats[format];
}

/* Entries as stored in guest memory, in the format's byte order. */
static uint64_t entry_read(const struct gtab *t, uint64_t gpa)
{
	uint64_t raw;

	memcpy(&raw, t->mem + gpa, sizeof(raw));
	return t->ops->big_endian ? be64toh(raw) : le64toh(raw);
}

static void entry_write(const struct gtab *t, uint64_t gpa, uint64_t e)
{
	uint64_t raw = t->ops->big_endian ? htobe64(e) : htole64(e);

	memcpy(t->mem + gpa, &raw, sizeof(raw));
}

/* IOVAs the tables index: offsets into the window for sPAPR TCE. */
static uint64_t iova_offset(const struct gtab *t, uint64_t iova)
{
	return t->ops->windowed ? iova - t->layout.ap_start : iova;
}

static uint64_t table_bytes(const struct gtab *t, unsigned int level)
{
	unsigned int shift = t->ops->level_shift(t, level);
	uint64_t entries;

	if (t->ops->windowed && level == t->layout.levels)
		entries = ((t->layout.ap_last - t->layout.ap_start) >> shift) + 1;
	else
		entries = BIT64(t->ops->level_bits(t, level));
	return entries * sizeof(uint64_t);
}

static uint64_t entry_index(const struct gtab *t, uint64_t iova,
			    unsigned int level)
{
	unsigned int bits = t->ops->level_bits(t, level);
	uint64_t idx = iova_offset(t, iova) >> t->ops->level_shift(t, level);

	return bits >= 64 ? idx : idx & (BIT64(bits) - 1);
}

/* A new table at @level, every entry invalid; 0 or -ENOSPC. */
static int table_alloc(struct gtab *t, unsigned int level, uint64_t *gpa)
{
	uint64_t align = t->ops->table_align;
	uint64_t at = (t->next + align - 1) & ~(align - 1);
	uint64_t bytes = table_bytes(t, level);
	uint64_t empty = t->ops->empty(t, level);
	uint64_t i;

	if (at > t->end || bytes > t->end - at)
		return -ENOSPC;
	for (i = 0; i < bytes; i += sizeof(uint64_t))
		entry_write(t, at + i, empty);
	t->next = at + bytes;
	*gpa = at;
	return 0;
}

int gtab_init(struct gtab *t, uint8_t *mem, uint64_t root, uint64_t end,
	      const struct gtable_layout *layout)
{
	const struct gtable_ops *ops = gtable_ops_get(layout->format);

	if (!ops || layout->ap_start > layout->ap_last)
		return -EINVAL;
	memset(t, 0, sizeof(*t));
	t->ops = ops;
	t->layout = *layout;
	if (!t->layout.levels)
		t->layout.levels = ops->default_levels;
	if (!t->layout.page_shift)
		t->layout.page_shift = 12;
	if (t->layout.page_shift != 12 && !ops->windowed)
		return -EINVAL;
	if (root & (ops->table_align - 1))
		return -EINVAL;
	t->mem = mem;
	t->next = root;
	t->end = end;
	return table_alloc(t, t->layout.levels, &t->root);
}

/* Level of a leaf of @size at @iova, checked against the layout. */
static int leaf_level(const struct gtab *t, uint64_t iova, uint64_t gpa,
		      uint64_t size, unsigned int *level)
{
	unsigned int l;

	if (iova < t->layout.ap_start || iova > t->layout.ap_last ||
	    size - 1 > t->layout.ap_last - iova)
		return -EINVAL;
	for (l = 1; l <= t->ops->max_leaf_level && l <= t->layout.levels;
	     l++) {
		if (BIT64(t->ops->level_shift(t, l)) != size)
			continue;
		if ((iova_offset(t, iova) | gpa) & (size - 1))
			return -EINVAL;
		*level = l;
		return 0;
	}
	return -EINVAL;
}

/* GPA of the entry at @level for @iova; tables above made if @create. */
static int entry_gpa(struct gtab *t, uint64_t iova, unsigned int level,
		     bool create, uint64_t *gpa)
{
	const struct gtable_ops *ops = t->ops;
	uint64_t table = t->root;
	unsigned int l;
	int ret;

	for (l = t->layout.levels; l > level; l--) {
		uint64_t at = table + entry_index(t, iova, l) * sizeof(uint64_t);
		uint64_t e = entry_read(t, at);
		uint64_t next;

		if (e == ops->empty(t, l)) {
			if (!create)
				return -ENOENT;
			ret = table_alloc(t, l - 1, &next);
			if (ret)
				return ret;
			e = ops->table(t, l, next);
			entry_write(t, at, e);
		}
		next = ops->table_addr(t, l, e);
		/* Only follow what we wrote as a table entry. */
		if (ops->table(t, l, next) != e)
			return -EEXIST;
		table = next;
	}
	*gpa = table + entry_index(t, iova, level) * sizeof(uint64_t);
	return 0;
}

int gtab_map(struct gtab *t, uint64_t iova, uint64_t gpa, uint64_t leaf_size,
	     bool write)
{
	unsigned int level;
	uint64_t at;
	int ret;

	ret = leaf_level(t, iova, gpa, leaf_size, &level);
	if (ret)
		return ret;
	ret = entry_gpa(t, iova, level, true, &at);
	if (ret)
		return ret;
	entry_write(t, at, t->ops->leaf(t, level, gpa, write));
	return 0;
}

int gtab_clear(struct gtab *t, uint64_t iova, uint64_t leaf_size)
{
	unsigned int level;
	uint64_t at;
	int ret;

	ret = leaf_level(t, iova, 0, leaf_size, &level);
	if (ret)
		return ret;
	ret = entry_gpa(t, iova, level, false, &at);
	if (ret)
		return ret;
	entry_write(t, at, t->ops->empty(t, level));
	return 0;
}

int gtab_set_table_raw(int container, int group_id, const struct gtab *t,
		       uint32_t *table_id)
{
	struct kvm_viommu_set_table st = {
		.argsz = sizeof(st),
		.group_id = group_id,
		.format = t->layout.format,
		.levels = t->layout.levels,
		.root_gpa = t->root,
		.aperture_start = t->layout.ap_start,
		.aperture_last = t->layout.ap_last,
		.page_shift = t->layout.page_shift,
	};

	if (ioctl(container, KVM_VIOMMU_SET_TABLE, &st))
		return -errno;
	if (table_id)
		*table_id = st.table_id;
	return 0;
}
