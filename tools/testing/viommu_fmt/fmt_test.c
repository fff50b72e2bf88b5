// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace tests of the guest IO page table format layer
 * (virt/kvm/viommu/fmt/), built with ASan and UBSan by the Makefile here.
 *
 * Guest memory is an 8 MiB buffer at guest physical address MEM_BASE; the
 * read callback returns -EFAULT for any entry outside it or misaligned.
 * What is checked, for the x86-64 format with 4 and 5 levels:
 *
 * - Random tables (seeds 1..NR_SEEDS): an encoder independent of the
 *   decoder builds tables of 4 KiB, 2 MiB and 1 GiB leaves at random IOVAs
 *   (some in runs mapping consecutive memory), with random R/W at every
 *   level, random ignored bits in present entries and random garbage in
 *   non-present ones, and keeps a reference model (the sorted list of
 *   leaves).  Random ranges are then walked and every span checked against
 *   the model: spans are contiguous, increasing and cover exactly [iova,
 *   last]; a LEAF span lies in one leaf (or a run of leaves that continue
 *   one another), with the leaf's GPA at the span start and prot = AND of
 *   R/W along the path (read always set); a HOLE meets no leaf; nothing is
 *   refused.  After the first walk, half the walks are leaf_only (the
 *   tables do not change), which must tell the same.
 * - leaf_only walks (the path kept from one walk to the next): inside the
 *   kept table they read its entry alone and see its leaves change; they
 *   walk from the top outside it, on another root, with another layout and
 *   after viommu_walk_forget(); they keep to the path when the guest
 *   changes a table entry above (as a paging-structure cache does) until a
 *   plain walk, and keep the permissions of the entries above.
 * - Malformed tables are refused, never mapped: PS in a PML4E or PML5E and
 *   reserved bits 13..20 of a 2 MiB leaf or 13..29 of a 1 GiB leaf give
 *   RESERVED_BITS; a table outside guest memory (or an unreadable entry)
 *   gives TABLE_FAULT over exactly that entry's span clipped to the range;
 *   tables pointing back at the root terminate with the expected spans.
 * - viommu_walk() arguments: -EINVAL for 3 or 6 levels, last < iova, last
 *   beyond viommu_fmt_iova_last() and a misaligned root, without emitting;
 *   a nonzero emit return stops the walk and is returned.
 * - viommu_fmt_get() and viommu_fmt_supported() agree.
 * - For every format, decode_run() agrees with decode() entry by entry on
 *   chunks built to continue their first entry, with changes mixed in
 *   (which is how the linear formats' promise is held to account).
 *
 * Output is TAP; the exit status is nonzero when any check fails.  A
 * failing random check names its seed; "fmt_test SEED" reruns that seed
 * alone.
 */
#include "fmt_harness.h"

#define MEM_BASE	0x240000000ULL	/* GPA of guest memory: 9 GiB */
#define MEM_SIZE	(8ULL << 20)
#define TABLE_SIZE	4096ULL
#define SZ_4K		0x1000ULL
#define SZ_2M		0x200000ULL
#define NR_SEEDS	200
#define MAX_LEAVES	300
#define WALKS_PER_SEED	64

/* x86-64 entry bits, spelled out again rather than taken from the decoder. */
#define PTE_P		BIT_ULL(0)
#define PTE_RW		BIT_ULL(1)
#define PTE_PS		BIT_ULL(7)
#define PTE_ADDR	GENMASK_ULL(51, 12)
/* Bits the format ignores: U/S, PWT, PCD, A, D, G, PAT, AVL, PKEY, XD. */
#define IGN_TABLE	(GENMASK_ULL(6, 2) | GENMASK_ULL(11, 8) | \
			 GENMASK_ULL(63, 52))
#define IGN_4K		(GENMASK_ULL(11, 2) | GENMASK_ULL(63, 52))
#define IGN_LARGE	(GENMASK_ULL(6, 2) | GENMASK_ULL(12, 8) | \
			 GENMASK_ULL(63, 52))

/* ---- guest memory and the walk context ---- */

static u64 get_entry(struct h_ctx *c, u64 table, unsigned int idx)
{
	return le64toh(h_get_raw(c, table + idx * 8));
}

static void set_entry(struct h_ctx *c, u64 table, unsigned int idx, u64 val)
{
	h_set_raw(c, table + idx * 8, htole64(val));
}

/* A zeroed (or, with @garbage, randomly non-present) table, or 0. */
static u64 alloc_table(struct h_ctx *c, bool garbage)
{
	u64 gpa = h_alloc(c, TABLE_SIZE, TABLE_SIZE);
	unsigned int i;

	if (gpa && garbage)
		for (i = 0; i < TABLE_SIZE / 8; i++)
			set_entry(c, gpa, i, rnd() & ~PTE_P);
	return gpa;
}

static unsigned int lvl_shift(unsigned int level)
{
	return 12 + 9 * (level - 1);
}

static unsigned int lvl_index(u64 iova, unsigned int level)
{
	return (iova >> lvl_shift(level)) & 511;
}

static u64 iova_top(unsigned int levels)
{
	return BIT_ULL(12 + 9 * levels - 1) - 1;
}

static void init_walk(struct viommu_walk *w, struct h_ctx *c,
		      unsigned int levels, u64 root,
		      int (*emit)(void *, const struct viommu_span *))
{
	memset(w, 0, sizeof(*w));
	w->fmt = &viommu_fmt_x86_64;
	w->cfg.levels = levels;
	w->cfg.page_shift = 12;
	w->root = root;
	w->read = h_read;
	w->emit = emit;
	w->ctx = c;
	w->buf = &h_walk_buf;
}

/* ---- the encoder and its model ---- */

/* R/W of the leaves encode_leaf() makes: -1 at random, else 0 or 1. */
static int leaf_rw = -1;

/*
 * Map @iova (aligned to the leaf size of @level) to @gpa, creating tables as
 * needed.  Returns false, changing nothing that matters, when the slot is
 * already taken (by a leaf above or anything at @level) or memory is full.
 */
static bool encode_leaf(struct h_ctx *c, unsigned int levels, u64 root,
			u64 iova, unsigned int level, u64 gpa,
			struct h_leaf *out)
{
	u32 prot = VIOMMU_PROT_RW;
	u64 table = root;
	unsigned int l, idx;
	u64 e;

	for (l = levels; l > level; l--) {
		idx = lvl_index(iova, l);
		e = get_entry(c, table, idx);
		if (!(e & PTE_P)) {
			u64 next = alloc_table(c, chance(20));

			if (!next)
				return false;
			e = next | PTE_P | (chance(80) ? PTE_RW : 0);
			if (chance(30))
				e |= rnd() & IGN_TABLE;
			set_entry(c, table, idx, e);
		} else if (e & PTE_PS) {
			return false;
		}
		if (!(e & PTE_RW))
			prot &= ~VIOMMU_PROT_WRITE;
		table = e & PTE_ADDR;
	}

	idx = lvl_index(iova, level);
	if (get_entry(c, table, idx) & PTE_P)
		return false;
	e = gpa | PTE_P;
	if (leaf_rw < 0 ? chance(60) : leaf_rw)
		e |= PTE_RW;
	else
		prot &= ~VIOMMU_PROT_WRITE;
	if (level > 1)
		e |= PTE_PS | (chance(30) ? rnd() & IGN_LARGE : 0);
	else if (chance(30))
		e |= rnd() & IGN_4K;
	set_entry(c, table, idx, e);

	out->iova = iova;
	out->last = iova + (BIT_ULL(lvl_shift(level)) - 1);
	out->gpa = gpa;
	out->prot = prot;
	return true;
}

/*
 * Build a random table; returns the number of leaves, sorted in @leaves.
 * IOVAs cluster around a few bases (and the two ends of the address space)
 * so that tables are shared and ranges meet several leaves.
 */
static unsigned int build_random(struct h_ctx *c, unsigned int levels,
				 u64 root, struct h_leaf *leaves)
{
	unsigned int want = 1 + rnd_below(MAX_LEAVES), n = 0, i;
	u64 top = iova_top(levels), bases[5];

	bases[0] = 0;
	bases[1] = top - (8ULL << 30) + 1;
	for (i = 2; i < ARRAY_SIZE(bases); i++)
		bases[i] = rnd_below(top) & ~((1ULL << 30) - 1);

	for (i = 0; i < want && n < MAX_LEAVES; i++) {
		unsigned int r = rnd_below(100), run;
		unsigned int level = r < 60 ? 1 : r < 90 ? 2 : 3;
		u64 size = BIT_ULL(lvl_shift(level));
		u64 iova, gpa;

		if (chance(10))
			iova = rnd_below(top);
		else
			iova = bases[rnd_below(ARRAY_SIZE(bases))] +
			       rnd_below(8ULL << 30);
		if (iova > top)
			iova = top;
		iova &= ~(size - 1);

		/* Leaf targets are not read: anywhere aligned will do. */
		if (chance(50))
			gpa = MEM_BASE + rnd_below(MEM_SIZE);
		else
			gpa = rnd() & PTE_ADDR;
		gpa &= ~(size - 1);

		/*
		 * Sometimes the leaves after it map what follows: a run, most
		 * often with one R/W.
		 */
		run = chance(20) ? rnd_below(40) : 0;
		leaf_rw = run && chance(80) ? chance(60) : -1;
		if (encode_leaf(c, levels, root, iova, level, gpa, &leaves[n]))
			n++;
		else
			run = 0;
		while (run-- && n < MAX_LEAVES && iova + size <= top &&
		       iova + size > iova &&
		       encode_leaf(c, levels, root, iova + size, level,
				   (gpa + size) & PTE_ADDR, &leaves[n])) {
			iova += size;
			gpa += size;
			n++;
		}
		leaf_rw = -1;
	}
	qsort(leaves, n, sizeof(*leaves), h_cmp_leaf);
	return n;
}

static void test_random(struct h_ctx *c, unsigned int levels, u64 seed)
{
	static struct h_leaf leaves[MAX_LEAVES];
	struct viommu_walk w;
	u64 top = iova_top(levels), root, iova, last;
	unsigned int n, i;
	bool ok = true;

	rng_state = seed * 1000003 + levels;
	h_reset(c);
	root = alloc_table(c, chance(20));
	n = build_random(c, levels, root, leaves);
	init_walk(&w, c, levels, root, h_emit_model);

	if (!h_walk_model(c, &w, leaves, n, 0, top))
		ok = false;
	/* The table does not change: every walk may keep to the path. */
	for (i = 0; ok && n && i < WALKS_PER_SEED; i++) {
		h_pick_range(leaves, n, top, &iova, &last);
		w.leaf_only = chance(50);
		ok = h_walk_model(c, &w, leaves, n, iova, last);
	}
	check(ok, "x86-64 %u levels: random table, seed %llu (%u leaves, %llu tables)",
	      levels, (unsigned long long)seed, n,
	      (unsigned long long)(c->used / TABLE_SIZE));
}

/* ---- exact expectations, for hand-made tables ---- */

static bool walk_expect(struct h_ctx *c, unsigned int levels, u64 root,
			u64 iova, u64 last, const struct viommu_span *exp,
			unsigned int nr_exp)
{
	struct viommu_walk w;

	init_walk(&w, c, levels, root, h_emit_record);
	return h_walk_expect(c, &w, iova, last, exp, nr_exp);
}

/*
 * Build the path of tables from @root down to the table at @level that
 * holds @iova; returns that table's GPA.
 */
static u64 build_path(struct h_ctx *c, unsigned int levels, u64 root,
		      u64 iova, unsigned int level)
{
	u64 table = root;
	unsigned int l;

	for (l = levels; l > level; l--) {
		unsigned int idx = lvl_index(iova, l);
		u64 e = get_entry(c, table, idx);

		if (!(e & PTE_P)) {
			e = alloc_table(c, false) | PTE_P | PTE_RW;
			set_entry(c, table, idx, e);
		}
		table = e & PTE_ADDR;
	}
	return table;
}

/*
 * Put @entry at @level for @iova and check that a range around it (and one
 * inside it) reads as @kind over exactly the entry's span, holes elsewhere.
 */
static bool entry_reads_as(struct h_ctx *c, unsigned int levels, u64 iova,
			   unsigned int level, u64 entry,
			   const struct viommu_span *what)
{
	u64 top = iova_top(levels), size = BIT_ULL(lvl_shift(level));
	u64 start = iova & ~(size - 1), end = start + size - 1;
	u64 root, table, x, y;
	struct viommu_span exp[3], in;
	unsigned int n;

	h_reset(c);
	root = alloc_table(c, false);
	table = build_path(c, levels, root, iova, level);
	set_entry(c, table, lvl_index(iova, level), entry);

	/* From a bit before the entry to a bit after it. */
	x = start >= 0x3000 ? start - 0x3000 : 0;
	y = end + 0x5000 <= top && end + 0x5000 > end ? end + 0x5000 : top;
	n = h_expect_entry(exp, x, y, start, end > top ? top : end, what);
	if (!walk_expect(c, levels, root, x, y, exp, n))
		return false;

	/* Strictly inside the entry: clipped to the range. */
	x = start + rnd_below(size / 2);
	y = x + rnd_below(size / 2);
	if (y > top)
		y = top;
	in = h_expect_inside(what, start, x, y);
	return walk_expect(c, levels, root, x, y, &in, 1);
}

static void test_ps_high(struct h_ctx *c)
{
	static const struct viommu_span bad =
		H_REFUSED(0, 0, KVM_VIOMMU_REFUSED_RESERVED_BITS);
	unsigned int levels, level, i;

	for (levels = 4; levels <= 5; levels++) {
		for (level = 4; level <= levels; level++) {
			u64 span = BIT_ULL(lvl_shift(level));
			u64 iovas[] = {
				0, span, iova_top(levels) & ~(span - 1),
				rnd_below(iova_top(levels)),
			};
			bool ok = true;

			for (i = 0; ok && i < ARRAY_SIZE(iovas); i++) {
				u64 gpa = rnd_below(8) * span & PTE_ADDR;

				ok = entry_reads_as(c, levels, iovas[i], level,
						    gpa | PTE_P | PTE_RW |
						    PTE_PS, &bad) &&
				     entry_reads_as(c, levels, iovas[i], level,
						    PTE_P | PTE_PS, &bad);
			}
			check(ok, "x86-64 %u levels: PS in a level %u entry is RESERVED_BITS",
			      levels, level);
		}
	}
}

static void test_large_leaf_bits(struct h_ctx *c)
{
	static const struct viommu_span bad =
		H_REFUSED(0, 0, KVM_VIOMMU_REFUSED_RESERVED_BITS);
	unsigned int levels, level, bit;

	for (levels = 4; levels <= 5; levels++) {
		for (level = 2; level <= 3; level++) {
			unsigned int shift = lvl_shift(level);
			u64 gpa = (0xabcdeULL << shift) & PTE_ADDR;
			u64 iova = rnd_below(iova_top(levels));
			struct viommu_span good = H_LEAF(0, 0, gpa, VIOMMU_PROT_RW);
			bool ok = true;

			for (bit = 13; ok && bit < shift; bit++)
				ok = entry_reads_as(c, levels, iova, level,
						    gpa | BIT_ULL(bit) | PTE_P |
						    PTE_RW | PTE_PS, &bad);
			check(ok, "x86-64 %u levels: %s leaf with bit 13..%u set is RESERVED_BITS",
			      levels, level == 2 ? "2 MiB" : "1 GiB",
			      shift - 1);

			/* Bit 12 is PAT and the rest is address: a leaf. */
			ok = entry_reads_as(c, levels, iova, level,
					    gpa | BIT_ULL(12) | PTE_P | PTE_RW |
					    PTE_PS | IGN_LARGE, &good);
			good.gpa = gpa ^ BIT_ULL(shift);
			good.prot = VIOMMU_PROT_READ;
			ok = ok && entry_reads_as(c, levels, iova, level,
						  good.gpa | PTE_P | PTE_PS,
						  &good);
			check(ok, "x86-64 %u levels: %s leaf ignores PAT and ignored bits",
			      levels, level == 2 ? "2 MiB" : "1 GiB");
		}
	}
}

static void test_small_entries(struct h_ctx *c)
{
	static const struct viommu_span hole = H_HOLE(0, 0);
	unsigned int levels, level;

	for (levels = 4; levels <= 5; levels++) {
		u64 iova = rnd_below(iova_top(levels));
		u64 gpa = 0x000fedcba9876000ULL;
		struct viommu_span leaf = H_LEAF(0, 0, gpa, VIOMMU_PROT_RW);
		bool ok;

		/* PS is PAT in a PTE, and ignored bits are ignored. */
		ok = entry_reads_as(c, levels, iova, 1,
				    gpa | PTE_P | PTE_RW | IGN_4K, &leaf);
		check(ok, "x86-64 %u levels: 4 KiB leaf ignores PAT and ignored bits",
		      levels);

		ok = true;
		for (level = 1; ok && level <= levels; level++)
			ok = entry_reads_as(c, levels, iova, level, ~PTE_P,
					    &hole);
		check(ok, "x86-64 %u levels: entries without P are holes at every level",
		      levels);
	}
}

/*
 * Runs: consecutive entries of one table that are all holes, or all leaves
 * with one prot mapping consecutive guest memory, come out as one span per
 * run within each VIOMMU_WALK_CHUNK entries read, a table page (ignored
 * bits may differ);
 * a change of prot, a GPA discontinuity or a hole ends a run.  Checked on
 * the spans exactly as emitted, not merged.
 */
static void test_runs(struct h_ctx *c)
{
	static const struct {
		u64 first, last;	/* entries */
		u64 gpa_entry;		/* GPA of first, in entries from MEM_BASE */
		u32 prot;		/* 0: a hole */
	} want[] = {
		{ 0, 19, 0, VIOMMU_PROT_RW },	/* a chunk is the whole page */
		{ 20, 31, 20, VIOMMU_PROT_READ },
		{ 32, 39, 32, VIOMMU_PROT_RW },
		{ 40, 40, 296, VIOMMU_PROT_RW },	/* GPA jumps 1 MiB */
		{ 41, 49, 41, VIOMMU_PROT_RW },
		{ 50, 51, 0, 0 },
		{ 52, 63, 52, VIOMMU_PROT_RW },
	};
	const unsigned int levels = 4;
	struct viommu_walk w;
	u64 root, table, e;
	unsigned int i, k;
	bool ok;

	h_reset(c);
	root = alloc_table(c, false);
	table = build_path(c, levels, root, 0, 1);
	for (i = 0; i < 64; i++) {
		if (i == 50 || i == 51)
			continue;
		e = (MEM_BASE + (i == 40 ? 296 : i) * SZ_4K) | PTE_P |
		    (i >= 20 && i < 32 ? 0 : PTE_RW) |
		    (i % 3 ? rnd() & IGN_4K : 0);
		set_entry(c, table, i, e);
	}
	init_walk(&w, c, levels, root, h_emit_record);
	c->nr_spans = 0;
	ok = !viommu_walk(&w, 0, 64 * SZ_4K - 1) &&
	     c->nr_spans == ARRAY_SIZE(want);
	for (i = 0; ok && i < ARRAY_SIZE(want); i++) {
		const struct viommu_span *g = &c->spans[i];

		ok = g->iova == want[i].first * SZ_4K &&
		     g->last == want[i].last * SZ_4K + SZ_4K - 1 &&
		     g->kind == (want[i].prot ? VIOMMU_SPAN_LEAF :
						VIOMMU_SPAN_HOLE) &&
		     (!want[i].prot ||
		      (g->gpa == MEM_BASE + want[i].gpa_entry * SZ_4K &&
		       g->prot == want[i].prot && g->leaf_shift == 12));
		if (!ok)
			h_print_span("got", g);
	}
	check(ok, "x86-64: runs of 4 KiB entries are one span per chunk read (%u spans)",
	      c->nr_spans);

	/* 2 MiB leaves: one span, leaf_shift 21; a range cut inside both ends. */
	h_reset(c);
	root = alloc_table(c, false);
	table = build_path(c, levels, root, 0, 2);
	for (k = 0; k < 4; k++)
		set_entry(c, table, k, (MEM_BASE + k * SZ_2M) | PTE_P | PTE_PS);
	init_walk(&w, c, levels, root, h_emit_record);
	c->nr_spans = 0;
	ok = !viommu_walk(&w, SZ_4K, 4 * SZ_2M - SZ_4K - 1) &&
	     c->nr_spans == 1 && c->spans[0].kind == VIOMMU_SPAN_LEAF &&
	     c->spans[0].iova == SZ_4K &&
	     c->spans[0].last == 4 * SZ_2M - SZ_4K - 1 &&
	     c->spans[0].gpa == MEM_BASE + SZ_4K &&
	     c->spans[0].prot == VIOMMU_PROT_READ &&
	     c->spans[0].leaf_shift == 21;
	if (!ok && c->nr_spans)
		h_print_span("got", &c->spans[0]);
	check(ok, "x86-64: a run of 2 MiB leaves is one span with leaf_shift 21");
}

static void test_table_fault(struct h_ctx *c)
{
	static const struct viommu_span fault =
		H_REFUSED(0, 0, KVM_VIOMMU_REFUSED_TABLE_FAULT);
	static const u64 outside[] = {
		0, MEM_BASE - TABLE_SIZE, MEM_BASE + MEM_SIZE, PTE_ADDR,
	};
	unsigned int levels, level, i;

	for (levels = 4; levels <= 5; levels++) {
		for (level = 2; level <= levels; level++) {
			u64 iova = rnd_below(iova_top(levels));
			bool ok = true;

			for (i = 0; ok && i < ARRAY_SIZE(outside); i++)
				ok = entry_reads_as(c, levels, iova, level,
						    outside[i] | PTE_P | PTE_RW |
						    (rnd() & IGN_TABLE), &fault);
			check(ok, "x86-64 %u levels: level %u table outside memory is TABLE_FAULT",
			      levels, level);
		}

		/* The root itself outside guest memory. */
		{
			struct viommu_span exp =
				H_REFUSED(0x1000, iova_top(levels),
					  KVM_VIOMMU_REFUSED_TABLE_FAULT);

			h_reset(c);
			check(walk_expect(c, levels, MEM_BASE + MEM_SIZE,
					  0x1000, iova_top(levels), &exp, 1),
			      "x86-64 %u levels: root outside guest memory is TABLE_FAULT",
			      levels);
		}

		/* One unreadable entry in a table of leaves. */
		{
			u64 root, table, base = 0x54321ULL << 21;
			struct viommu_span exp[] = {
				H_LEAF(base, base + 0x2fff, 0x100000000ULL,
				       VIOMMU_PROT_RW),
				H_REFUSED(base + 0x3000, base + 0x3fff,
					  KVM_VIOMMU_REFUSED_TABLE_FAULT),
				H_LEAF(base + 0x4000, base + 0x1fffff,
				       0x100004000ULL, VIOMMU_PROT_RW),
			};

			h_reset(c);
			root = alloc_table(c, false);
			table = build_path(c, levels, root, base, 1);
			for (i = 0; i < 512; i++)
				set_entry(c, table, i, (0x100000000ULL + i * 4096) |
					  PTE_P | PTE_RW);
			c->fault_gpa = table + 3 * 8;
			check(walk_expect(c, levels, root, base, base + 0x1fffff,
					  exp, ARRAY_SIZE(exp)),
			      "x86-64 %u levels: unreadable entry is TABLE_FAULT for its span only",
			      levels);
		}
	}
}

static void test_cycles(struct h_ctx *c)
{
	unsigned int levels;

	for (levels = 4; levels <= 5; levels++) {
		u64 top = iova_top(levels), root, t, base;
		struct viommu_span exp[3];

		/* root[0] -> root: every level reads the root again. */
		h_reset(c);
		root = alloc_table(c, false);
		set_entry(c, root, 0, root | PTE_P | PTE_RW);
		exp[0] = (struct viommu_span)H_LEAF(0, 0xfff, root, VIOMMU_PROT_RW);
		exp[1] = (struct viommu_span)H_HOLE(0x1000, top);
		check(walk_expect(c, levels, root, 0, top, exp, 2),
		      "x86-64 %u levels: root pointing to itself terminates",
		      levels);

		/* A level 2 entry pointing back at the root: root as a PT. */
		h_reset(c);
		root = alloc_table(c, false);
		base = 5ULL << 21;
		t = build_path(c, levels, root, base, 2);
		set_entry(c, t, 5, root | PTE_P);
		exp[0] = (struct viommu_span)H_HOLE(0, base - 1);
		exp[1] = (struct viommu_span)H_LEAF(base, base + 0xfff,
						  get_entry(c, root, 0) & PTE_ADDR,
						  VIOMMU_PROT_READ);
		exp[2] = (struct viommu_span)H_HOLE(base + 0x1000, top);
		check(walk_expect(c, levels, root, 0, top, exp, 3),
		      "x86-64 %u levels: table pointing back at the root terminates",
		      levels);
	}
}

/* ---- leaf_only walks: the path kept from one walk to the next ---- */

/*
 * Walk [@iova, @iova + 4 KiB) of @root, @leaf_only or not, and check that
 * it reads as @exp with @reads entries read, and that the walk counted
 * itself in path_walks when it started below the top (fewer reads than
 * @levels: the pages walked here have no hole above their leaf).
 */
static bool page_walk(struct h_ctx *c, unsigned int levels, u64 root,
		      bool leaf_only, u64 iova, struct viommu_span exp,
		      unsigned long reads)
{
	u64 path_walks = h_walk_buf.path_walks;
	unsigned long before = c->reads;
	struct viommu_walk w;
	u64 from_path;

	init_walk(&w, c, levels, root, h_emit_record);
	w.leaf_only = leaf_only;
	if (!h_walk_expect(c, &w, iova, iova + 0xfff, &exp, 1))
		return false;
	if (c->reads - before != reads) {
		diag("walk of %#llx read %lu entries, not %lu",
		     (unsigned long long)iova, c->reads - before, reads);
		return false;
	}
	from_path = reads < levels;
	if (h_walk_buf.path_walks - path_walks != from_path) {
		diag("walk of %#llx: path_walks went up by %llu",
		     (unsigned long long)iova,
		     (unsigned long long)(h_walk_buf.path_walks - path_walks));
		return false;
	}
	return true;
}

/*
 * A plain walk of the page at @iova reads every level and keeps the path;
 * a leaf_only walk then reads the leaf alone.  Both must read as @exp.
 */
static bool plain_then_leaf(struct h_ctx *c, unsigned int levels, u64 root,
			    u64 iova, struct viommu_span exp)
{
	return page_walk(c, levels, root, false, iova, exp, levels) &&
	       page_walk(c, levels, root, true, iova, exp, 1);
}

static struct viommu_span page_leaf(u64 iova, u64 gpa, u32 prot)
{
	return (struct viommu_span)H_LEAF(iova, iova + 0xfff, gpa, prot);
}

static struct viommu_span page_hole(u64 iova)
{
	return (struct viommu_span)H_HOLE(iova, iova + 0xfff);
}

static void test_leaf_only(struct h_ctx *c)
{
	const u64 a = 0x40000000ULL + 5 * SZ_4K, b = a + 2 * SZ_4K;
	const u64 g1 = MEM_BASE + 0x111000, g2 = MEM_BASE + 0x222000;
	const u64 g3 = MEM_BASE + 0x333000;
	unsigned int levels;

	for (levels = 4; levels <= 5; levels++) {
		u64 root, root2, pt, pt2, pd, edge = (a | (SZ_2M - 1)) + 1;
		struct viommu_span exp[1];
		struct viommu_walk w;
		unsigned long reads;
		bool ok;

		h_reset(c);
		root = alloc_table(c, false);
		pt = build_path(c, levels, root, a, 1);
		pd = build_path(c, levels, root, a, 2);
		set_entry(c, pt, lvl_index(a, 1), g1 | PTE_P | PTE_RW);

		ok = plain_then_leaf(c, levels, root, a,
				     page_leaf(a, g1, VIOMMU_PROT_RW));
		check(ok, "x86-64 %u levels: leaf_only reads the leaf alone",
		      levels);

		/* Leaf changes are seen, anywhere in the kept table. */
		set_entry(c, pt, lvl_index(a, 1), g2 | PTE_P);
		set_entry(c, pt, lvl_index(b, 1), g3 | PTE_P | PTE_RW);
		ok = page_walk(c, levels, root, true, a,
			       page_leaf(a, g2, VIOMMU_PROT_READ), 1);
		ok = ok && page_walk(c, levels, root, true, b,
				     page_leaf(b, g3, VIOMMU_PROT_RW), 1);
		ok = ok && page_walk(c, levels, root, true, b + SZ_4K,
				     page_hole(b + SZ_4K), 1);
		check(ok, "x86-64 %u levels: leaf_only sees the leaves change",
		      levels);

		/*
		 * A range leaving the kept table is walked from the top, and
		 * the lowest table it went down to (the PD) is kept instead.
		 */
		init_walk(&w, c, levels, root, h_emit_record);
		w.leaf_only = true;
		exp[0] = (struct viommu_span)H_HOLE(edge - SZ_4K, edge + SZ_4K - 1);
		ok = h_walk_expect(c, &w, edge - SZ_4K, edge + SZ_4K - 1, exp, 1);
		ok = ok && page_walk(c, levels, root, true, a,
				     page_leaf(a, g2, VIOMMU_PROT_READ), 2);
		check(ok, "x86-64 %u levels: leaf_only outside the kept table: from the top",
		      levels);

		/*
		 * The guest breaks its word: the PD entry now points to
		 * another table.  leaf_only keeps to the path it has, as a
		 * paging-structure cache would, until a plain walk, even one
		 * that keeps no path (over the whole table, from the top).
		 */
		pt2 = alloc_table(c, false);
		set_entry(c, pt2, lvl_index(a, 1), g3 | PTE_P | PTE_RW);
		set_entry(c, pd, lvl_index(a, 2), pt2 | PTE_P | PTE_RW);
		ok = page_walk(c, levels, root, true, a,
			       page_leaf(a, g2, VIOMMU_PROT_READ), 1);
		init_walk(&w, c, levels, root, h_emit_model);
		ok = ok && h_walk_model(c, &w, &(struct h_leaf){
					.iova = a, .last = a + 0xfff, .gpa = g3,
					.prot = VIOMMU_PROT_RW }, 1, 0,
					iova_top(levels));
		ok = ok && page_walk(c, levels, root, true, a,
				     page_leaf(a, g3, VIOMMU_PROT_RW), levels);
		ok = ok && page_walk(c, levels, root, true, a,
				     page_leaf(a, g3, VIOMMU_PROT_RW), 1);
		check(ok, "x86-64 %u levels: leaf_only keeps the path until a plain walk",
		      levels);

		/* The permissions above the kept table are kept with it. */
		set_entry(c, pd, lvl_index(a, 2), pt2 | PTE_P);
		ok = plain_then_leaf(c, levels, root, a,
				     page_leaf(a, g3, VIOMMU_PROT_READ));
		check(ok, "x86-64 %u levels: leaf_only keeps the permissions above",
		      levels);

		/* Another root does not use this one's path. */
		root2 = alloc_table(c, false);
		set_entry(c, build_path(c, levels, root2, a, 1), lvl_index(a, 1),
			  g1 | PTE_P | PTE_RW);
		ok = page_walk(c, levels, root2, true, a,
			       page_leaf(a, g1, VIOMMU_PROT_RW), levels);
		check(ok, "x86-64 %u levels: leaf_only on another root: from the top",
		      levels);

		/*
		 * Nor does the same root with another layout (the table as a
		 * window at 512 GiB), nor a walk after viommu_walk_forget().
		 */
		ok = page_walk(c, levels, root, false, a,
			       page_leaf(a, g3, VIOMMU_PROT_READ), levels);
		init_walk(&w, c, levels, root, h_emit_record);
		w.leaf_only = true;
		w.cfg.iova_base = 1ULL << 39;
		exp[0] = page_leaf(a + w.cfg.iova_base, g3, VIOMMU_PROT_READ);
		reads = c->reads;
		ok = ok && h_walk_expect(c, &w, exp[0].iova, exp[0].last, exp, 1) &&
		     c->reads - reads == levels;
		viommu_walk_forget(&h_walk_buf);
		ok = ok && page_walk(c, levels, root, true, a,
				     page_leaf(a, g3, VIOMMU_PROT_READ), levels);
		check(ok, "x86-64 %u levels: a new layout or a forget drops the path",
		      levels);
	}
}

/* ---- arguments, stopping, format registry ---- */

/* emit_stop() stops the walk with stop_ret at the stop_at-th span. */
static unsigned long stop_at;
static int stop_ret;

static int emit_stop(void *opaque, const struct viommu_span *s)
{
	struct h_ctx *c = opaque;

	if (++c->emitted >= stop_at)
		return stop_ret;
	return 0;
}

static void test_args(struct h_ctx *c)
{
	static const unsigned int bad_levels[] = { 0, 1, 2, 3, 6, 7, ~0u };
	struct viommu_walk w;
	unsigned int i, levels;
	u64 root;
	bool ok;

	h_reset(c);
	root = alloc_table(c, false);
	init_walk(&w, c, 4, root, emit_stop);
	stop_at = ~0UL;
	stop_ret = 0;

	ok = true;
	for (i = 0; i < ARRAY_SIZE(bad_levels); i++) {
		c->emitted = 0;
		w.cfg.levels = bad_levels[i];
		if (viommu_walk(&w, 0, 0xfff) != -EINVAL || c->emitted) {
			diag("levels %u accepted", bad_levels[i]);
			ok = false;
		}
	}
	check(ok, "x86-64: levels other than 4 and 5 are -EINVAL");

	for (levels = 4; levels <= 5; levels++) {
		struct viommu_fmt_cfg cfg = { .levels = levels, .page_shift = 12 };
		u64 top = viommu_fmt_iova_last(&viommu_fmt_x86_64, &cfg);
		static const u64 misaligned[] = { 8, 0x800, 0xff8 };

		check(top == iova_top(levels),
		      "x86-64 %u levels: iova_last is %#llx", levels,
		      (unsigned long long)top);

		w.cfg.levels = levels;
		c->emitted = 0;
		ok = viommu_walk(&w, 0x2000, 0x1fff) == -EINVAL &&
		     viommu_walk(&w, 1, 0) == -EINVAL && !c->emitted;
		check(ok, "x86-64 %u levels: last < iova is -EINVAL", levels);

		ok = viommu_walk(&w, 0, top + 1) == -EINVAL &&
		     viommu_walk(&w, top + 1, top + 1) == -EINVAL &&
		     viommu_walk(&w, 0, ~0ULL) == -EINVAL && !c->emitted;
		check(ok, "x86-64 %u levels: last beyond iova_last is -EINVAL",
		      levels);

		ok = viommu_walk(&w, 0, top) == 0 && c->emitted &&
		     viommu_walk(&w, top, top) == 0 &&
		     viommu_walk(&w, 0, 0) == 0;
		check(ok, "x86-64 %u levels: [0, iova_last] and single bytes are accepted",
		      levels);

		ok = true;
		for (i = 0; i < ARRAY_SIZE(misaligned); i++) {
			c->emitted = 0;
			w.root = root + misaligned[i];
			if (viommu_walk(&w, 0, 0xfff) != -EINVAL || c->emitted)
				ok = false;
		}
		w.root = root;
		check(ok, "x86-64 %u levels: misaligned root is -EINVAL", levels);
	}
}

static void test_stop(struct h_ctx *c)
{
	static struct h_leaf leaves[MAX_LEAVES];
	static const int rets[] = { 1, 42, -EINTR, -1 };
	unsigned int levels, i;

	for (levels = 4; levels <= 5; levels++) {
		u64 top = iova_top(levels), root;
		unsigned long total, at[4];
		struct viommu_walk w;
		bool ok = true;
		int ret;

		rng_state = 77 + levels;
		h_reset(c);
		root = alloc_table(c, false);
		build_random(c, levels, root, leaves);
		init_walk(&w, c, levels, root, emit_stop);
		c->emitted = 0;
		stop_at = ~0UL;
		stop_ret = 0;
		ret = viommu_walk(&w, 0, top);
		total = c->emitted;
		ok = !ret && total > 2;

		at[0] = 1;
		at[1] = 2;
		at[2] = total / 2;
		at[3] = total;
		for (i = 0; ok && i < ARRAY_SIZE(at); i++) {
			c->emitted = 0;
			stop_at = at[i];
			stop_ret = rets[i];
			ret = viommu_walk(&w, 0, top);
			if (ret != rets[i] || c->emitted != at[i]) {
				diag("stop at span %lu with %d: returned %d after %lu spans",
				     at[i], rets[i], ret, c->emitted);
				ok = false;
			}
		}
		check(ok, "x86-64 %u levels: emit return stops the walk, is returned (%lu spans)",
		      levels, total);
	}
}

/* ---- decode_run against decode, for every format ---- */

/* Formats whose entries are stored big-endian in guest memory. */
static bool fmt_big_endian(u32 format)
{
	return format == KVM_VIOMMU_FMT_S390_ZPCI ||
	       format == KVM_VIOMMU_FMT_SPAPR_TCE;
}

/* An entry as the guest stores it. */
static u64 to_guest(u32 format, u64 e)
{
	return fmt_big_endian(format) ? htobe64(e) : htole64(e);
}

static u64 from_guest(u32 format, u64 raw)
{
	return fmt_big_endian(format) ? be64toh(raw) : le64toh(raw);
}

/*
 * What decode_run() must return, from the format's decode() alone: the
 * number of entries from the first that are all NONE, or all LEAF with its
 * permissions mapping consecutive memory (1 for anything else).
 */
static unsigned int ref_decode_run(const struct viommu_fmt *f,
				   const struct viommu_fmt_cfg *cfg,
				   unsigned int level, unsigned int shift,
				   u64 iova, const u64 *raw, unsigned int n,
				   struct viommu_pte *pte)
{
	struct viommu_pte next;
	unsigned int i;

	memset(pte, 0, sizeof(*pte));
	f->decode(cfg, level, iova, raw[0], pte);
	if (pte->kind != VIOMMU_PTE_NONE && pte->kind != VIOMMU_PTE_LEAF)
		return 1;
	for (i = 1; i < n; i++) {
		u64 step = (u64)i << shift;

		memset(&next, 0, sizeof(next));
		f->decode(cfg, level, iova + step, raw[i], &next);
		if (next.kind != pte->kind ||
		    (next.kind == VIOMMU_PTE_LEAF &&
		     (next.prot != pte->prot || pte->addr + step < pte->addr ||
		      next.addr != pte->addr + step)))
			break;
	}
	return i;
}

/*
 * A first entry shaped to decode as something more often than a random
 * one would: high and low bits cleared, and address bits from @shift set
 * in a row (a leaf near the top of its address field, where adding to it
 * carries out).
 */
static u64 shaped_entry(unsigned int shift)
{
	u64 e = rnd();
	unsigned int hi, lo;

	if (chance(60))
		e &= GENMASK_ULL(shift + rnd_below(64 - shift), 0);
	if (chance(60))
		e &= ~GENMASK_ULL(2 + rnd_below(shift - 2), 2);
	if (chance(30)) {
		lo = shift + rnd_below(64 - shift);
		hi = lo + rnd_below(64 - lo);
		e |= GENMASK_ULL(hi, lo);
	}
	return e;
}

struct run_stats {
	unsigned long chunks, leaf_runs, bad;
};

/*
 * 2000 chunks of entries at @level of a table with @cfg, each mostly
 * continuing its first entry (plus 1 << shift for a leaf, equal for
 * anything else), some changed by one bit or replaced: decode_run() must
 * agree with ref_decode_run() on the count and on the first entry.
 */
static void decode_run_chunks(const struct viommu_fmt *f, u32 format,
			      const struct viommu_fmt_cfg *cfg,
			      unsigned int level, struct run_stats *st)
{
	unsigned int shift = f->level_shift(cfg, level);
	unsigned int r, i, n, got, want;
	u64 raw[VIOMMU_WALK_CHUNK], e, v, iova;
	struct viommu_pte gp, wp;
	bool leaf, same;

	for (r = 0; r < 2000; r++) {
		n = 1 + rnd_below(VIOMMU_WALK_CHUNK);
		e = shaped_entry(shift);
		iova = rnd() & ~(BIT_ULL(shift) - 1);
		raw[0] = to_guest(format, e);
		memset(&wp, 0, sizeof(wp));
		f->decode(cfg, level, iova, raw[0], &wp);
		leaf = wp.kind == VIOMMU_PTE_LEAF;
		for (i = 1; i < n; i++) {
			v = leaf ? e + ((u64)i << shift) : e;
			if (chance(5))
				v ^= BIT_ULL(rnd_below(64));
			else if (chance(2))
				v = rnd();
			raw[i] = to_guest(format, v);
		}
		memset(&gp, 0, sizeof(gp));
		got = f->decode_run(cfg, level, shift, iova, raw, n, &gp);
		want = ref_decode_run(f, cfg, level, shift, iova, raw, n, &wp);
		st->chunks++;
		st->leaf_runs += leaf && want > 1;
		same = gp.kind == VIOMMU_PTE_NONE ||
		       (gp.kind == VIOMMU_PTE_LEAF &&
			gp.addr == wp.addr && gp.prot == wp.prot) ||
		       !memcmp(&gp, &wp, sizeof(gp));
		if (got == want && gp.kind == wp.kind && same)
			continue;
		if (st->bad++)
			continue;
		diag("%s levels %u page_shift %u level %u: first %#llx (CPU order %#llx)",
		     f->name, cfg->levels, cfg->page_shift, level,
		     (unsigned long long)raw[0],
		     (unsigned long long)from_guest(format, raw[0]));
		diag("  %u entries: decode_run says %u, decode %u", n, got, want);
	}
}

/*
 * At every level of every layout of every format, decode_run() agrees
 * with decode() entry by entry.  This holds a format that uses
 * VIOMMU_FMT_DECODE_RUN_LINEAR() to its promise; the count of leaf runs
 * makes sure runs were exercised.
 */
static void test_decode_run(void)
{
	struct viommu_fmt_cfg cfg = { };
	const struct viommu_fmt *f;
	unsigned int levels, level;
	struct run_stats st;
	u32 format;

	for (format = 0; format < KVM_VIOMMU_FMT_COUNT; format++) {
		f = viommu_fmt_get(format);
		if (!f)
			continue;
		memset(&st, 0, sizeof(st));
		for (levels = f->min_levels; levels <= f->max_levels; levels++) {
			cfg.levels = levels;
			for (cfg.page_shift = f->min_page_shift;
			     cfg.page_shift <= f->max_page_shift;
			     cfg.page_shift++) {
				if (viommu_fmt_check(f, &cfg))
					continue;
				for (level = 1; level <= levels; level++)
					decode_run_chunks(f, format, &cfg,
							  level, &st);
			}
		}
		check(!st.bad && st.leaf_runs >= 100,
		      "%s: decode_run agrees with decode on %lu chunks (%lu runs of leaves), %lu disagree",
		      f->name, st.chunks, st.leaf_runs, st.bad);
	}
}

static void test_registry(void)
{
	u64 mask = viommu_fmt_supported();
	const struct viommu_fmt *f = viommu_fmt_get(KVM_VIOMMU_FMT_X86_64);
	unsigned int i;
	bool ok = true;

	check(f == &viommu_fmt_x86_64 && (mask & BIT_ULL(KVM_VIOMMU_FMT_X86_64)),
	      "registry: x86-64 is supported");
	check(f && f->min_levels == 4 && f->max_levels == 5 &&
	      f->default_levels == 4 && f->root_align == 4096 &&
	      f->default_levels >= f->min_levels &&
	      f->default_levels <= f->max_levels &&
	      f->max_levels <= VIOMMU_MAX_LEVELS,
	      "registry: x86-64 levels 4..5, default 4, 4 KiB root");
	check(!viommu_fmt_get(KVM_VIOMMU_FMT_NONE) &&
	      !(mask & BIT_ULL(KVM_VIOMMU_FMT_NONE)),
	      "registry: NONE is not a format");
	check(!viommu_fmt_get(KVM_VIOMMU_FMT_COUNT) &&
	      !viommu_fmt_get(1000) && !viommu_fmt_get(~0u) &&
	      !(mask & ~(BIT_ULL(KVM_VIOMMU_FMT_COUNT) - 1)),
	      "registry: unknown formats are not supported");
	for (i = 0; i < 64; i++)
		if (!!(mask & BIT_ULL(i)) != !!viommu_fmt_get(i))
			ok = false;
	check(ok, "registry: viommu_fmt_supported() matches viommu_fmt_get()");
}

int main(int argc, char **argv)
{
	u64 seed, first = 1, last = NR_SEEDS;
	struct h_ctx *c = h_ctx_new(MEM_BASE, MEM_SIZE);
	unsigned int levels;
	int ret;

	if (argc > 1) {
		first = strtoull(argv[1], NULL, 0);
		last = first;
	}

	if (argc <= 1) {
		rng_state = 1;
		test_registry();
		test_decode_run();
		test_args(c);
		test_stop(c);
		test_ps_high(c);
		test_large_leaf_bits(c);
		test_small_entries(c);
		test_runs(c);
		test_table_fault(c);
		test_cycles(c);
		test_leaf_only(c);
	}
	for (seed = first; seed <= last; seed++)
		for (levels = 4; levels <= 5; levels++)
			test_random(c, levels, seed);

	ret = tap_done();
	h_ctx_free(c);
	return ret;
}
