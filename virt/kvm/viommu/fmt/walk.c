// SPDX-License-Identifier: GPL-2.0
/*
 * The walker shared by all guest IO page table formats.
 *
 * It visits only the entries whose span meets the requested range, so its
 * work is bounded by the number of guest entries in that range, not by the
 * number of 4 KiB pages: a hole or a leaf at a high level is one span.
 * Recursion depth is bounded by the configured number of levels, and a
 * TABLE entry must point to a strictly lower level, so a hostile table
 * that points to itself or upwards is refused rather than followed.
 */
#include "viommu_fmt.h"

static const struct viommu_fmt *const viommu_formats[KVM_VIOMMU_FMT_COUNT] = {
	[KVM_VIOMMU_FMT_X86_64] = &viommu_fmt_x86_64,
	[KVM_VIOMMU_FMT_ARM_LPAE_S1] = &viommu_fmt_arm_lpae_s1,
	[KVM_VIOMMU_FMT_ARM_LPAE_S2] = &viommu_fmt_arm_lpae_s2,
	[KVM_VIOMMU_FMT_S390_ZPCI] = &viommu_fmt_s390_zpci,
	[KVM_VIOMMU_FMT_VTD_SS] = &viommu_fmt_vtd_ss,
	[KVM_VIOMMU_FMT_AMD_V1] = &viommu_fmt_amd_v1,
	[KVM_VIOMMU_FMT_SPAPR_TCE] = &viommu_fmt_spapr_tce,
};

const struct viommu_fmt *viommu_fmt_get(u32 format)
{
	if (format >= KVM_VIOMMU_FMT_COUNT)
		return NULL;
	return viommu_formats[format];
}

u64 viommu_fmt_supported(void)
{
	u64 mask = 0;
	u32 i;

	for (i = 0; i < KVM_VIOMMU_FMT_COUNT; i++)
		if (viommu_formats[i])
			mask |= BIT_ULL(i);
	return mask;
}

int viommu_fmt_check(const struct viommu_fmt *fmt,
		     const struct viommu_fmt_cfg *cfg)
{
	if (cfg->levels < fmt->min_levels || cfg->levels > fmt->max_levels ||
	    cfg->levels > VIOMMU_MAX_LEVELS)
		return -EINVAL;
	if (cfg->page_shift < fmt->min_page_shift ||
	    cfg->page_shift > fmt->max_page_shift)
		return -EINVAL;
	if (cfg->iova_base & (BIT_ULL(cfg->page_shift) - 1))
		return -EINVAL;
	return 0;
}

u64 viommu_fmt_iova_last(const struct viommu_fmt *fmt,
			 const struct viommu_fmt_cfg *cfg)
{
	unsigned int bits = fmt->iova_bits(cfg);
	u64 span_last = bits >= 64 ? ~0ULL : BIT_ULL(bits) - 1;

	if (span_last > ~0ULL - cfg->iova_base)
		return ~0ULL;
	return cfg->iova_base + span_last;
}

/* Spans are reported in absolute IOVAs; the walk itself runs on offsets. */
static int emit_span(const struct viommu_walk *w, enum viommu_span_kind kind,
		     u64 iova, u64 last, u64 gpa, u32 prot, u32 refusal,
		     unsigned int leaf_shift)
{
	struct viommu_span span = {
		.kind = kind,
		.iova = w->cfg.iova_base + iova,
		.last = w->cfg.iova_base + last,
		.gpa = gpa,
		.prot = prot,
		.refusal = refusal,
		.leaf_shift = leaf_shift,
	};

	return w->emit(w->ctx, &span);
}

static int refuse(const struct viommu_walk *w, u64 iova, u64 last, u32 why)
{
	return emit_span(w, VIOMMU_SPAN_REFUSED, iova, last, 0, 0, why, 0);
}

/*
 * Read the entries of @table from index @idx into @raw: as many as fit in
 * @raw, up to @last_idx and within the 4 KiB page of entry @idx, in one
 * call.  When that fails the entry @idx alone is tried, so that an
 * unreadable entry refuses its own span only.  Return: entries read, 0
 * when entry @idx cannot be read.
 */
static unsigned int read_entries(const struct viommu_walk *w, u64 table,
				 u64 idx, u64 last_idx, u64 *raw)
{
	u64 gpa = table + idx * sizeof(u64);
	u64 n = (VIOMMU_WALK_PAGE - (gpa & (VIOMMU_WALK_PAGE - 1))) /
		sizeof(u64);

	if (n > last_idx - idx + 1)
		n = last_idx - idx + 1;
	if (n > VIOMMU_WALK_CHUNK)
		n = VIOMMU_WALK_CHUNK;
	if (n > 1 && !w->read(w->ctx, gpa, n, raw))
		return n;
	return w->read(w->ctx, gpa, 1, raw) ? 0 : 1;
}

/*
 * Report an entry that is not a table, decoded into @pte, over [@s, @l]
 * (inside its span, which starts at @e_start and has 1 << @shift IOVAs per
 * entry of the run).  @prot_mask is the AND of the permissions above.
 */
static int emit_entry(const struct viommu_walk *w,
		      const struct viommu_pte *pte, u64 e_start, u64 s, u64 l,
		      unsigned int shift, u32 prot_mask)
{
	switch (pte->kind) {
	case VIOMMU_PTE_NONE:
		return emit_span(w, VIOMMU_SPAN_HOLE, s, l, 0, 0, 0, 0);
	case VIOMMU_PTE_LEAF:
		return emit_span(w, VIOMMU_SPAN_LEAF, s, l,
				 pte->addr + (s - e_start), pte->prot & prot_mask,
				 0, shift);
	default:
		return refuse(w, s, l, pte->refusal ? pte->refusal :
			      KVM_VIOMMU_REFUSED_RESERVED_BITS);
	}
}

/* May a TABLE entry of a table at @level point to @pte's? */
static bool table_ok(const struct viommu_pte *pte, unsigned int level)
{
	return pte->next_level >= 1 && pte->next_level < level;
}

/*
 * The last IOVA offset a table at @level translating from @base covers,
 * saturating for the top table of 64 bits.
 */
static u64 table_last(const struct viommu_walk_geom *g, unsigned int level,
		      u64 base)
{
	unsigned int width = g->shift[level - 1] + g->bits[level - 1];

	if (width >= 64 || base > ~0ULL - (BIT_ULL(width) - 1))
		return ~0ULL;
	return base + (BIT_ULL(width) - 1);
}

/*
 * Walk the table at @table (level @level), which translates the IOVA
 * offsets from @base up, over [@start, @last] (both inside the span of the
 * parent entry).  @prot_mask is the AND of the permissions of the entries
 * above.
 */
static int walk_level(const struct viommu_walk *w, u64 table,
		      unsigned int level, u64 base, u64 start, u64 last,
		      u32 prot_mask)
{
	const struct viommu_walk_geom *g = &w->buf->geom;
	unsigned int shift = g->shift[level - 1];
	u64 t_last = table_last(g, level, base);
	u64 idx, first_idx, last_idx;
	u64 *raw = w->buf->raw[level - 1];
	unsigned int have = 0, used = 0, run;
	int ret;

	/* IOVAs beyond this table (a skipped level with nonzero index bits). */
	if (start > t_last)
		return refuse(w, start, last, KVM_VIOMMU_REFUSED_RESERVED_BITS);

	first_idx = (start - base) >> shift;
	last_idx = ((last > t_last ? t_last : last) - base) >> shift;

	for (idx = first_idx; idx <= last_idx; idx += run) {
		u64 e_start = base + (idx << shift);
		u64 e_last = e_start + (BIT_ULL(shift) - 1);
		u64 s = start > e_start ? start : e_start;
		u64 l = last < e_last ? last : e_last;
		struct viommu_pte pte = { .kind = VIOMMU_PTE_BAD };

		run = 1;
		if (used == have) {
			have = read_entries(w, table, idx, last_idx, raw);
			used = 0;
		}
		if (!have) {
			ret = refuse(w, s, l, KVM_VIOMMU_REFUSED_TABLE_FAULT);
			if (ret)
				return ret;
			continue;
		}

		/* A run ends inside the entries read, so at last_idx at most. */
		run = w->fmt->decode_run(&w->cfg, level, shift,
					 w->cfg.iova_base + e_start, raw + used,
					 have - used, &pte);
		used += run;
		if (run > 1) {
			e_last = e_start + (((u64)run << shift) - 1);
			l = last < e_last ? last : e_last;
		}
		if (pte.kind != VIOMMU_PTE_TABLE)
			ret = emit_entry(w, &pte, e_start, s, l, shift,
					 prot_mask);
		else if (!table_ok(&pte, level))
			ret = refuse(w, s, l, KVM_VIOMMU_REFUSED_RESERVED_BITS);
		else
			ret = walk_level(w, pte.addr, pte.next_level, e_start,
					 s, l, prot_mask & pte.prot);
		if (ret)
			return ret;
	}

	if (last > t_last)
		return refuse(w, t_last + 1, last,
			      KVM_VIOMMU_REFUSED_RESERVED_BITS);
	return 0;
}

/* Keep the table at @level, @table, @base as the walk's path. */
static void keep_path(const struct viommu_walk *w, unsigned int level,
		      u64 table, u64 base, u32 prot_mask)
{
	w->buf->path = (struct viommu_walk_path) {
		.level = level,
		.root = w->root,
		.table = table,
		.base = base,
		.last = table_last(&w->buf->geom, level, base),
		.prot_mask = prot_mask,
	};
}

/*
 * Walk from the top table over [@start, @last] as walk_level() does, but
 * go down without it while the range lies inside one entry of each table:
 * such a table is read for that entry alone, in a loop rather than a
 * recursion.  A refresh of a few pages spends most of its walk there.
 * The lowest table reached that way is kept as the buffer's path, where
 * a leaf_only walk inside that table starts.
 */
static int walk_from_top(const struct viommu_walk *w, u64 start, u64 last)
{
	const struct viommu_walk_geom *g = &w->buf->geom;
	struct viommu_walk_path *path = &w->buf->path;
	unsigned int level = w->cfg.levels;
	u32 prot_mask = VIOMMU_PROT_RW;
	u64 table = w->root, base = 0;
	bool moved = false;

	if (w->leaf_only && path->level && path->root == w->root &&
	    start >= path->base && last <= path->last) {
		table = path->table;
		level = path->level;
		base = path->base;
		prot_mask = path->prot_mask;
		w->buf->path_walks++;
	} else {
		viommu_walk_forget(w->buf);
	}

	for (;;) {
		unsigned int shift = g->shift[level - 1];
		u64 t_last = table_last(g, level, base);
		struct viommu_pte pte = { .kind = VIOMMU_PTE_BAD };
		u64 idx = (start - base) >> shift, e_start, raw;

		/* (A range past the table's end spans several entries.) */
		if (start > t_last || idx != (last - base) >> shift)
			break;
		e_start = base + (idx << shift);
		if (w->read(w->ctx, table + idx * sizeof(u64), 1, &raw))
			return refuse(w, start, last,
				      KVM_VIOMMU_REFUSED_TABLE_FAULT);
		w->fmt->decode_run(&w->cfg, level, shift,
				   w->cfg.iova_base + e_start, &raw, 1, &pte);
		if (pte.kind != VIOMMU_PTE_TABLE) {
			if (moved)
				keep_path(w, level, table, base, prot_mask);
			return emit_entry(w, &pte, e_start, start, last, shift,
					  prot_mask);
		}
		if (!table_ok(&pte, level))
			return refuse(w, start, last,
				      KVM_VIOMMU_REFUSED_RESERVED_BITS);
		table = pte.addr;
		level = pte.next_level;
		base = e_start;
		prot_mask &= pte.prot;
		moved = true;
	}
	if (moved)
		keep_path(w, level, table, base, prot_mask);
	return walk_level(w, table, level, base, start, last, prot_mask);
}

/* The layout of @w's table, computed once per buffer; NULL if invalid. */
static const struct viommu_walk_geom *walk_geom(const struct viommu_walk *w)
{
	struct viommu_walk_geom *g = &w->buf->geom;
	const struct viommu_fmt *fmt = w->fmt;
	unsigned int level;

	if (g->fmt == fmt && g->cfg.levels == w->cfg.levels &&
	    g->cfg.page_shift == w->cfg.page_shift &&
	    g->cfg.iova_base == w->cfg.iova_base)
		return g;
	g->fmt = NULL;
	viommu_walk_forget(w->buf);
	if (viommu_fmt_check(fmt, &w->cfg))
		return NULL;
	g->cfg = w->cfg;
	g->iova_last = viommu_fmt_iova_last(fmt, &w->cfg);
	for (level = 1; level <= w->cfg.levels; level++) {
		g->shift[level - 1] = fmt->level_shift(&w->cfg, level);
		g->bits[level - 1] = fmt->level_bits(&w->cfg, level);
	}
	g->fmt = fmt;
	return g;
}

/**
 * viommu_walk - report what the guest table says about [@iova, @last]
 * @w: the table and callbacks.
 * @iova: first IOVA.
 * @last: last IOVA (inclusive), at most viommu_fmt_iova_last().
 *
 * Reads and updates the path kept in @w->buf (see &viommu_walk.leaf_only).
 *
 * Return: 0 when the whole range was reported, -EINVAL for a range or
 * layout the format cannot have (or no @w->buf), or the first nonzero
 * value returned by @w->emit.
 */
int viommu_walk(const struct viommu_walk *w, u64 iova, u64 last)
{
	const struct viommu_walk_geom *g;

	if (!w->buf)
		return -EINVAL;
	g = walk_geom(w);
	if (!g)
		return -EINVAL;
	if (iova > last || iova < w->cfg.iova_base || last > g->iova_last)
		return -EINVAL;
	if (w->root & (w->fmt->root_align - 1))
		return -EINVAL;

	return walk_from_top(w, iova - w->cfg.iova_base,
			     last - w->cfg.iova_base);
}
