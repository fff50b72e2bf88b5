/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test-side encoders of every guest IO page table format: they write a
 * guest table into the test VM's memory (struct vmm's mem, GPA 0 up)
 * exactly as the module's decoders (virt/kvm/viommu/fmt/) read it, with
 * the bits a guest driver of each format sets (Linux's io-pgtable-arm,
 * s390-iommu, PowerNV TCE code and the VT-d and AMD-Vi drivers).
 *
 * One interface for all formats: gtab_init() lays out an empty table of a
 * given format and layout, gtab_map() and gtab_clear() write one leaf,
 * gtab_set_table_raw() hands the table to KVM_VIOMMU_SET_TABLE.  Each
 * format is a struct gtable_ops of small encode primitives under the one
 * generic walk of gtab_map().
 */
#ifndef _VIOMMU_GTABLE_H
#define _VIOMMU_GTABLE_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/kvm_viommu.h>

/**
 * struct gtable_layout - a guest table's KVM_VIOMMU_SET_TABLE parameters
 * @format: an &enum kvm_viommu_format value.
 * @levels: paging levels; 0 selects the format's default.
 * @page_shift: log2 of the IOMMU page size (sPAPR TCE); 0 selects 12.
 * @ap_start: first IOVA of the aperture (the DMA window of sPAPR TCE).
 * @ap_last: last IOVA of the aperture (inclusive).
 */
struct gtable_layout {
	uint32_t format;
	uint32_t levels;
	uint32_t page_shift;
	uint64_t ap_start;
	uint64_t ap_last;
};

struct gtab;

/**
 * struct gtable_ops - the encode primitives of one guest table format
 * @name: short name for logs.
 * @format: the &enum kvm_viommu_format value.
 * @default_levels: levels when the layout says 0.
 * @big_endian: entries are stored big-endian (s390 zPCI, sPAPR TCE).
 * @windowed: the table indexes iova - ap_start, its top level holding as
 *	many entries as the window needs (sPAPR TCE).
 * @table_align: alignment of every table, in bytes.
 * @max_leaf_level: highest level a leaf may sit at.
 * @level_shift: log2 of the IOVA span of one entry at @level.
 * @level_bits: IOVA bits one table at @level indexes.
 * @empty: an invalid entry at @level (CPU byte order).
 * @table: an entry at @level pointing to the table at GPA @next.
 * @table_addr: the GPA of the table a @table entry at @level points to.
 * @leaf: an entry at @level mapping GPA @gpa, writable when @write.
 */
struct gtable_ops {
	const char *name;
	uint32_t format;
	uint32_t default_levels;
	bool big_endian;
	bool windowed;
	uint64_t table_align;
	unsigned int max_leaf_level;
	unsigned int (*level_shift)(const struct gtab *t, unsigned int level);
	unsigned int (*level_bits)(const struct gtab *t, unsigned int level);
	uint64_t (*empty)(const struct gtab *t, unsigned int level);
	uint64_t (*table)(const struct gtab *t, unsigned int level,
			  uint64_t next);
	uint64_t (*table_addr)(const struct gtab *t, unsigned int level,
			       uint64_t e);
	uint64_t (*leaf)(const struct gtab *t, unsigned int level,
			 uint64_t gpa, bool write);
};

/**
 * struct gtab - a guest IO page table of any format in guest memory
 * @ops: the format's encoder.
 * @layout: the layout, with levels and page_shift resolved.
 * @mem: host view of guest memory at GPA 0.
 * @root: GPA of the top-level table.
 * @next: GPA of the next free table memory.
 * @end: end of the GPA range tables may use.
 */
struct gtab {
	const struct gtable_ops *ops;
	struct gtable_layout layout;
	uint8_t *mem;
	uint64_t root;
	uint64_t next;
	uint64_t end;
};

/* The encoder of an enum kvm_viommu_format value, or NULL. */
const struct gtable_ops *gtable_ops_get(uint32_t format);

/*
 * Lay out an empty table of @layout with its root at @root, tables going
 * into [@root, @end) of the guest memory seen at @mem.  0 or -EINVAL
 * (unknown format, misaligned root, no room).
 */
int gtab_init(struct gtab *t, uint8_t *mem, uint64_t root, uint64_t end,
	      const struct gtable_layout *layout);
/*
 * Map @iova to @gpa with one leaf of @leaf_size bytes (the span of an entry
 * at some level: 4 KiB, 2 MiB, or the sPAPR TCE IOMMU page), read-only or
 * read-write, creating the tables above it.  0, -EINVAL (no leaf of that
 * size, misaligned, outside the aperture), -ENOSPC (no room for tables),
 * -EEXIST (a leaf sits where a table is needed).
 */
int gtab_map(struct gtab *t, uint64_t iova, uint64_t gpa, uint64_t leaf_size,
	     bool write);
/* Invalidate the leaf of @leaf_size at @iova; 0, -EINVAL or -ENOENT. */
int gtab_clear(struct gtab *t, uint64_t iova, uint64_t leaf_size);

/* KVM_VIOMMU_SET_TABLE of @t for group @group_id; 0 or -errno. */
int gtab_set_table_raw(int container, int group_id, const struct gtab *t,
		       uint32_t *table_id);

#endif /* _VIOMMU_GTABLE_H */
