/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest IO page table formats: the decoder interface and the shared walker.
 *
 * A format is a small set of pure decode primitives (how many IOVA bits a
 * level resolves, what one entry means); one walker shared by all formats
 * turns a guest table into an ordered list of spans over an IOVA range.
 * Nothing here touches kernel state: guest memory is read through a
 * callback, so the same sources build into userspace tests and fuzzers.
 */
#ifndef _VIOMMU_FMT_H
#define _VIOMMU_FMT_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/bits.h>
#include <linux/errno.h>
#include <asm/byteorder.h>
#define viommu_le64_to_cpu(raw)	le64_to_cpu((__force __le64)(raw))
#define viommu_be64_to_cpu(raw)	be64_to_cpu((__force __be64)(raw))
#else
/* Userspace tests and fuzzers: tools/testing/viommu_fmt/viommu_fmt_user.h */
#include <viommu_fmt_user.h>
#endif

#include <linux/kvm_viommu.h>

/* The walker handles at most this many levels (AMD-Vi paging mode 6). */
#define VIOMMU_MAX_LEVELS	6

/*
 * The walker reads up to VIOMMU_WALK_CHUNK entries of a table per read
 * call, never across a VIOMMU_WALK_PAGE boundary of guest physical
 * memory: a whole table page of 8-byte entries at most, into the caller's
 * struct viommu_walk_buf.
 */
#define VIOMMU_WALK_PAGE	4096ULL
#define VIOMMU_WALK_CHUNK	((unsigned int)(VIOMMU_WALK_PAGE / 8))

/* Permissions of a leaf, and the mask a table entry applies below it. */
#define VIOMMU_PROT_READ	0x1u
#define VIOMMU_PROT_WRITE	0x2u
#define VIOMMU_PROT_RW		(VIOMMU_PROT_READ | VIOMMU_PROT_WRITE)

/**
 * enum viommu_pte_kind - what one decoded guest entry is
 * @VIOMMU_PTE_NONE: not valid: nothing is mapped below it.
 * @VIOMMU_PTE_TABLE: points to the next-level table.
 * @VIOMMU_PTE_LEAF: maps the whole span of the entry.
 * @VIOMMU_PTE_BAD: malformed; the walker refuses its span.
 */
enum viommu_pte_kind {
	VIOMMU_PTE_NONE,
	VIOMMU_PTE_TABLE,
	VIOMMU_PTE_LEAF,
	VIOMMU_PTE_BAD,
};

/**
 * struct viommu_pte - one decoded guest entry
 * @kind: see &enum viommu_pte_kind.
 * @addr: TABLE: guest physical address of the next table; LEAF: guest
 *	physical address of the first byte the leaf maps.
 * @prot: TABLE: permissions allowed below this entry; LEAF: the leaf's
 *	own permissions.  The walker ANDs them along the path.
 * @next_level: TABLE: level of the next table (level - 1 unless the format
 *	skips levels).
 * @refusal: BAD: an &enum kvm_viommu_refusal.
 */
struct viommu_pte {
	enum viommu_pte_kind kind;
	u64 addr;
	u32 prot;
	u32 next_level;
	u32 refusal;
};

/**
 * struct viommu_fmt_cfg - the layout of one guest table of a format
 * @levels: number of paging levels.
 * @page_shift: log2 of the guest's IOMMU page size, for formats where it
 *	is configurable (sPAPR TCE); the format's fixed value otherwise.
 * @iova_base: first IOVA the table translates (the DMA window offset of
 *	sPAPR TCE; 0 for the others).  Tables are indexed with
 *	iova - @iova_base.
 */
struct viommu_fmt_cfg {
	unsigned int levels;
	unsigned int page_shift;
	u64 iova_base;
};

/**
 * struct viommu_fmt - a guest IO page table format
 * @name: short name for logs.
 * @min_levels: fewest paging levels the format allows.
 * @max_levels: most paging levels the format allows.
 * @default_levels: levels used when userspace passes 0.
 * @min_page_shift: smallest page_shift the format allows.
 * @max_page_shift: largest page_shift the format allows.
 * @default_page_shift: page_shift used when userspace passes 0.
 * @windowed: the table translates a window starting at the aperture start
 *	(iova_base = aperture start, as sPAPR TCE), not IOVA 0.
 * @root_align: required alignment of the top-level table, in bytes.
 * @level_shift: log2 of the IOVA span one entry at @level covers.
 * @level_bits: number of IOVA bits one table at @level indexes.
 * @iova_bits: width of iova - iova_base a table with @cfg translates.
 * @decode: decode @raw, the entry as stored in guest memory, at @level;
 *	@iova is the first IOVA of the entry's span.
 * @decode_run: decode the first of @n consecutive entries @raw of a table
 *	at @level (each spanning 1 << @shift IOVAs, the first from @iova)
 *	into @pte as @decode does, and return how many of them, from the
 *	first and at least 1, form one run: all NONE, or all LEAF with one
 *	permission mapping consecutive guest memory.  Defined with
 *	VIOMMU_FMT_DECODE_RUN() or VIOMMU_FMT_DECODE_RUN_LINEAR().
 *
 * Levels count from 1 (the leaf-most table) up to the configured number;
 * entries are 8 bytes, tables are indexed by bits
 * [level_shift + level_bits - 1 : level_shift] of iova - iova_base.
 */
struct viommu_fmt {
	const char *name;
	u8 min_levels;
	u8 max_levels;
	u8 default_levels;
	u8 min_page_shift;
	u8 max_page_shift;
	u8 default_page_shift;
	bool windowed;
	u64 root_align;
	unsigned int (*level_shift)(const struct viommu_fmt_cfg *cfg,
				    unsigned int level);
	unsigned int (*level_bits)(const struct viommu_fmt_cfg *cfg,
				   unsigned int level);
	unsigned int (*iova_bits)(const struct viommu_fmt_cfg *cfg);
	void (*decode)(const struct viommu_fmt_cfg *cfg, unsigned int level,
		       u64 iova, u64 raw, struct viommu_pte *pte);
	unsigned int (*decode_run)(const struct viommu_fmt_cfg *cfg,
				   unsigned int level, unsigned int shift,
				   u64 iova, const u64 *raw, unsigned int n,
				   struct viommu_pte *pte);
};

/* An entry as stored in guest memory, in CPU byte order. */
static __always_inline u64 viommu_raw_to_cpu(bool big_endian, u64 raw)
{
	return big_endian ? viommu_be64_to_cpu(raw) : viommu_le64_to_cpu(raw);
}

/*
 * How many of the @n entries @raw, the first a leaf, continue it as the
 * raw arithmetic of a linear format says (see viommu_decode_run()): each
 * the one before plus 1 << @shift, with no carry out of @mask.
 */
static __always_inline unsigned int
viommu_linear_run(bool big_endian, u64 mask, unsigned int shift,
		  const u64 *raw, unsigned int n)
{
	u64 e = viommu_raw_to_cpu(big_endian, raw[0]);
	u64 room = (mask - (e & mask)) >> shift;
	unsigned int i;

	if (room < n - 1)
		n = room + 1;
	for (i = 1; i < n; i++) {
		e += BIT_ULL(shift);
		if (viommu_raw_to_cpu(big_endian, raw[i]) != e)
			break;
	}
	return i;
}

/*
 * The body of every format's decode_run: @decode is a format's own static
 * decoder, inlined here, so a run costs one indirect call per table chunk
 * rather than one per entry.
 *
 * A format whose leaves are linear in their entries passes @linear_mask,
 * the bits of an entry (in CPU byte order; stored big-endian when
 * @big_endian) that hold a leaf's address, and promises, for a table at
 * @level and any IOVA of it:
 *
 * - an entry equal to one that decodes as NONE decodes as NONE;
 * - if entry e decodes as a LEAF of address a and permissions p, then
 *   e + (k << @shift), for any k with (e & mask) + (k << @shift) <= mask,
 *   decodes as a LEAF of address a + (k << @shift) and permissions p.
 *
 * Then the entries that continue a run exactly so are compared, not
 * decoded; the first that does not, and those after it, are decoded.
 * fmt_test holds every format that makes the promise to it.  A format
 * whose entries can mean different things at different IOVAs (AMD-Vi's
 * NextLevel 7 pages) passes 0.
 */
static __always_inline unsigned int
viommu_decode_run(void (*decode)(const struct viommu_fmt_cfg *cfg,
				 unsigned int level, u64 iova, u64 raw,
				 struct viommu_pte *pte),
		  bool big_endian, u64 linear_mask,
		  const struct viommu_fmt_cfg *cfg, unsigned int level,
		  unsigned int shift, u64 iova, const u64 *raw, unsigned int n,
		  struct viommu_pte *pte)
{
	struct viommu_pte next;
	unsigned int i = 1;

	decode(cfg, level, iova, raw[0], pte);
	if (pte->kind == VIOMMU_PTE_NONE) {
		while (linear_mask && i < n && raw[i] == raw[0])
			i++;
	} else if (pte->kind == VIOMMU_PTE_LEAF) {
		if (linear_mask)
			i = viommu_linear_run(big_endian, linear_mask, shift,
					      raw, n);
	} else {
		return 1;
	}
	for (; i < n; i++) {
		u64 step = (u64)i << shift;

		next.kind = VIOMMU_PTE_BAD;
		decode(cfg, level, iova + step, raw[i], &next);
		if (next.kind != pte->kind)
			break;
		if (next.kind == VIOMMU_PTE_LEAF &&
		    (next.prot != pte->prot || pte->addr + step < pte->addr ||
		     next.addr != pte->addr + step))
			break;
	}
	return i;
}

/*
 * Define <name>_decode_run() from <name>_decode(), for struct viommu_fmt:
 * VIOMMU_FMT_DECODE_RUN() decodes every entry; a format that makes the
 * promise of viommu_decode_run() uses VIOMMU_FMT_DECODE_RUN_LINEAR(), with
 * its entries' byte order and address bits (an expression that may use
 * @cfg and @level).
 */
#define VIOMMU_FMT_DECODE_RUN_LINEAR(name, big_endian, linear_mask)	\
static unsigned int name##_decode_run(const struct viommu_fmt_cfg *cfg,	\
				      unsigned int level,		\
				      unsigned int shift, u64 iova,	\
				      const u64 *raw, unsigned int n,	\
				      struct viommu_pte *pte)		\
{									\
	return viommu_decode_run(name##_decode, big_endian,		\
				 linear_mask, cfg, level, shift, iova,	\
				 raw, n, pte);				\
}

#define VIOMMU_FMT_DECODE_RUN(name)					\
	VIOMMU_FMT_DECODE_RUN_LINEAR(name, false, 0)

/**
 * enum viommu_span_kind - what the guest table says about a span of IOVAs
 * @VIOMMU_SPAN_HOLE: nothing mapped.
 * @VIOMMU_SPAN_LEAF: mapped to consecutive guest physical addresses.
 * @VIOMMU_SPAN_REFUSED: the table is malformed or unreadable here.
 */
enum viommu_span_kind {
	VIOMMU_SPAN_HOLE,
	VIOMMU_SPAN_LEAF,
	VIOMMU_SPAN_REFUSED,
};

/**
 * struct viommu_span - a run of IOVAs with one meaning, in walk order
 * @kind: see &enum viommu_span_kind.
 * @iova: first IOVA of the span.
 * @last: last IOVA of the span (inclusive).
 * @gpa: LEAF: guest physical address @iova maps to.
 * @prot: LEAF: effective permissions (VIOMMU_PROT_*).
 * @refusal: REFUSED: an &enum kvm_viommu_refusal.
 * @leaf_shift: LEAF: log2 of the IOVA span of each guest entry the span
 *	is made of (12 for a run of 4 KiB leaves, 21 for 2 MiB leaves).
 */
struct viommu_span {
	enum viommu_span_kind kind;
	u64 iova;
	u64 last;
	u64 gpa;
	u32 prot;
	u32 refusal;
	u32 leaf_shift;
};

/**
 * struct viommu_walk_geom - a table layout, as the walker uses it
 * @fmt: the format; NULL until computed.
 * @cfg: the layout.
 * @iova_last: viommu_fmt_iova_last() of @fmt and @cfg.
 * @shift: per level L, @shift[L - 1]: the format's level_shift().
 * @bits: per level L, @bits[L - 1]: the format's level_bits().
 *
 * Computed (and the layout checked) by the first walk of a layout with a
 * buffer, then reused by the walks of the same @fmt and @cfg: a walk of a
 * few pages need not call the format back for them at every level.
 */
struct viommu_walk_geom {
	const struct viommu_fmt *fmt;
	struct viommu_fmt_cfg cfg;
	u64 iova_last;
	unsigned int shift[VIOMMU_MAX_LEVELS];
	unsigned int bits[VIOMMU_MAX_LEVELS];
};

/**
 * struct viommu_walk_path - the lowest table a walk went down to
 * @level: its level; 0 when nothing is kept.
 * @root: the top-level table the walk started from.
 * @table: guest physical address of the table.
 * @base: the first IOVA offset it translates.
 * @last: the last IOVA offset it translates.
 * @prot_mask: the AND of the permissions of the entries above it.
 *
 * What a walk read above that table, kept for the next walk with
 * &viommu_walk.leaf_only over a range inside [@base, @last]: an IOMMU's
 * paging-structure cache of one entry.  A walk that does not start from
 * it forgets it first, then keeps the lowest table its own descent
 * reached, if it went below the top; a change of layout forgets it too.
 */
struct viommu_walk_path {
	unsigned int level;
	u64 root;
	u64 table;
	u64 base;
	u64 last;
	u32 prot_mask;
};

/**
 * struct viommu_walk_buf - a walker's working memory
 * @raw: per level: a table at level L is read into @raw[L - 1], which the
 *	walks of the lower tables it points to leave alone.
 * @geom: the layout of the last table walked with this buffer.
 * @path: the table entries the last walks went through (see
 *	&viommu_walk.leaf_only).
 * @path_walks: walks that started from @path, cumulative.
 *
 * 24 KiB: too big for a kernel stack, so the caller provides it, zeroed
 * before its first walk.
 */
struct viommu_walk_buf {
	u64 raw[VIOMMU_MAX_LEVELS][VIOMMU_WALK_CHUNK];
	struct viommu_walk_geom geom;
	struct viommu_walk_path path;
	u64 path_walks;
};

/**
 * struct viommu_walk - one walk of a guest table over an IOVA range
 * @fmt: the format.
 * @cfg: the table's layout (checked with viommu_fmt_check()).
 * @root: guest physical address of the top-level table.
 * @read: reads the @n consecutive 8-byte entries from guest physical
 *	address @gpa into @raw, in guest memory byte order, each with a
 *	single 8-byte access (the guest may be rewriting them); the entries
 *	never cross a VIOMMU_WALK_PAGE boundary.  Returns 0 or a negative
 *	errno; when a read of several entries fails, the walker reads the
 *	first again alone, and an entry that cannot be read has its span
 *	refused with KVM_VIOMMU_REFUSED_TABLE_FAULT.
 * @emit: receives each span in increasing IOVA order; a nonzero return
 *	stops the walk and is returned by viommu_walk().  A span covers one
 *	entry, or a run of entries of one table read together (see
 *	&viommu_fmt.decode_run), never more than VIOMMU_WALK_CHUNK entries;
 *	neighbouring spans may mean the same.
 * @ctx: passed to @read and @emit.
 * @buf: where the entries read are kept while they are decoded (and the
 *	table's layout between walks); not shared with a concurrent walk.
 * @leaf_only: no table entry on the way to the range has changed since
 *	the last walk with @buf without @leaf_only (or since
 *	viommu_walk_forget()): only leaf entries may have, as an invalidation
 *	with VT-d's IH, AMD's PDE = 0 or Arm's TLBI ... Leaf says.  The walk
 *	then starts from the table kept in &viommu_walk_buf.path when the
 *	range lies inside it and its root is @root, without reading the
 *	entries above it again.
 */
struct viommu_walk {
	const struct viommu_fmt *fmt;
	struct viommu_fmt_cfg cfg;
	bool leaf_only;
	u64 root;
	int (*read)(void *ctx, u64 gpa, unsigned int n, u64 *raw);
	int (*emit)(void *ctx, const struct viommu_span *span);
	void *ctx;
	struct viommu_walk_buf *buf;
};

int viommu_walk(const struct viommu_walk *w, u64 iova, u64 last);

/* Forget the path @buf keeps: the next walk reads every level. */
static inline void viommu_walk_forget(struct viommu_walk_buf *buf)
{
	buf->path.level = 0;
}

/* Is @cfg a layout @fmt allows?  0 or -EINVAL. */
int viommu_fmt_check(const struct viommu_fmt *fmt,
		     const struct viommu_fmt_cfg *cfg);

/* Highest IOVA a table with @cfg can translate (saturates at ~0). */
u64 viommu_fmt_iova_last(const struct viommu_fmt *fmt,
			 const struct viommu_fmt_cfg *cfg);

/* The format for an enum kvm_viommu_format value, or NULL. */
const struct viommu_fmt *viommu_fmt_get(u32 format);

/* Bitmap of supported enum kvm_viommu_format values. */
u64 viommu_fmt_supported(void);

/* sPAPR TCE: the guest physical address of the TCE of @iova (spapr_tce.c). */
int viommu_spapr_tce_entry(const struct viommu_fmt_cfg *cfg, u64 root,
			   u64 iova, int (*read)(void *ctx, u64 gpa, u64 *raw),
			   void *ctx, u64 *gpa);

extern const struct viommu_fmt viommu_fmt_x86_64;
extern const struct viommu_fmt viommu_fmt_arm_lpae_s1;
extern const struct viommu_fmt viommu_fmt_arm_lpae_s2;
extern const struct viommu_fmt viommu_fmt_s390_zpci;
extern const struct viommu_fmt viommu_fmt_vtd_ss;
extern const struct viommu_fmt viommu_fmt_amd_v1;
extern const struct viommu_fmt viommu_fmt_spapr_tce;

#endif /* _VIOMMU_FMT_H */
