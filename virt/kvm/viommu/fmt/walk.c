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
 * Walk the table at @table (level @level), which translates the IOVA
 * offsets from @base up, over [@start, @last] (both inside the span of the
 * parent entry).  @prot_mask is the AND of the permissions of the entries
 * above.
 */
static int walk_level(const struct viommu_walk *w, u64 table,
		      unsigned int level, u64 base, u64 start, u64 last,
		      u32 prot_mask)
{
	const struct viommu_fmt *fmt = w->fmt;
	unsigned int shift = fmt->level_shift(&w->cfg, level);
	unsigned int bits = fmt->level_bits(&w->cfg, level);
	u64 table_last;
	u64 idx, first_idx, last_idx;
	u64 *raw = w->buf->raw[level - 1];
	unsigned int have = 0, used = 0, run;
	int ret;

	/* What this table covers, saturating for the top table of 64 bits. */
	if (shift + bits >= 64 ||
	    base > ~0ULL - ((BIT_ULL(shift + bits)) - 1))
		table_last = ~0ULL;
	else
		table_last = base + (BIT_ULL(shift + bits) - 1);

	/* IOVAs beyond this table (a skipped level with nonzero index bits). */
	if (start > table_last)
		return refuse(w, start, last, KVM_VIOMMU_REFUSED_RESERVED_BITS);

	first_idx = (start - base) >> shift;
	last_idx = ((last > table_last ? table_last : last) - base) >> shift;

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
		run = fmt->decode_run(&w->cfg, level, shift,
				      w->cfg.iova_base + e_start, raw + used,
				      have - used, &pte);
		used += run;
		if (run > 1) {
			e_last = e_start + (((u64)run << shift) - 1);
			l = last < e_last ? last : e_last;
		}
		switch (pte.kind) {
		case VIOMMU_PTE_NONE:
			ret = emit_span(w, VIOMMU_SPAN_HOLE, s, l, 0, 0, 0, 0);
			break;
		case VIOMMU_PTE_LEAF:
			ret = emit_span(w, VIOMMU_SPAN_LEAF, s, l,
					pte.addr + (s - e_start),
					pte.prot & prot_mask, 0, shift);
			break;
		case VIOMMU_PTE_TABLE:
			if (pte.next_level < 1 || pte.next_level >= level) {
				ret = refuse(w, s, l,
					     KVM_VIOMMU_REFUSED_RESERVED_BITS);
				break;
			}
			ret = walk_level(w, pte.addr, pte.next_level, e_start,
					 s, l, prot_mask & pte.prot);
			break;
		default:
			ret = refuse(w, s, l, pte.refusal ? pte.refusal :
				     KVM_VIOMMU_REFUSED_RESERVED_BITS);
			break;
		}
		if (ret)
			return ret;
	}

	if (last > table_last)
		return refuse(w, table_last + 1, last,
			      KVM_VIOMMU_REFUSED_RESERVED_BITS);
	return 0;
}

/**
 * viommu_walk - report what the guest table says about [@iova, @last]
 * @w: the table and callbacks.
 * @iova: first IOVA.
 * @last: last IOVA (inclusive), at most viommu_fmt_iova_last().
 *
 * Return: 0 when the whole range was reported, -EINVAL for a range or
 * layout the format cannot have (or no @w->buf), or the first nonzero
 * value returned by @w->emit.
 */
int viommu_walk(const struct viommu_walk *w, u64 iova, u64 last)
{
	const struct viommu_fmt *fmt = w->fmt;

	if (viommu_fmt_check(fmt, &w->cfg))
		return -EINVAL;
	if (iova > last || iova < w->cfg.iova_base ||
	    last > viommu_fmt_iova_last(fmt, &w->cfg))
		return -EINVAL;
	if ((w->root & (fmt->root_align - 1)) || !w->buf)
		return -EINVAL;

	return walk_level(w, w->root, w->cfg.levels, 0,
			  iova - w->cfg.iova_base, last - w->cfg.iova_base,
			  VIOMMU_PROT_RW);
}
