// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace tests of the AMD-Vi v1 decoder (virt/kvm/viommu/fmt/amd_v1.c)
 * under the shared walker, built with ASan and UBSan by the Makefile here.
 *
 * Guest memory is an 8 MiB buffer at guest physical address MEM_BASE; the
 * read callback returns -EFAULT for any entry outside it or misaligned.
 * What is checked, for paging modes 1 to 6:
 *
 * - Random tables (seeds 1..NR_SEEDS): an encoder independent of the
 *   decoder builds tables of default-size leaves at every level that may
 *   hold one and of NextLevel 7 leaves of every size (2 to 256 entries,
 *   replicated), with PDEs that skip levels when the IOVA allows it, random
 *   IR/IW (including neither) at every level, random ignored bits in
 *   present entries and random garbage in non-present ones; it keeps a
 *   reference model: the leaves, and the IOVAs a skipping PDE does not
 *   cover.  Random ranges are walked and every span checked against the
 *   model: contiguous, increasing, covering exactly the range; a LEAF lies
 *   in one leaf with its GPA and prot = AND of IR/IW along the path; a HOLE
 *   meets no leaf; RESERVED_BITS exactly over the skipped IOVAs.
 * - Every IR/IW combination along a 3-level path, exactly.
 * - Malformed entries are refused, never mapped: reserved bits 52..60 of a
 *   PDE and 52..58 of a PTE; a PTE at level 6; a default-size PTE with
 *   address bits below its size; NextLevel 7 sizes not above the entry's
 *   span, of a whole table or more, or without a zero bit; a NextLevel not
 *   below the entry's level (more levels than declared) give RESERVED_BITS;
 *   tables outside guest memory and unreadable entries give TABLE_FAULT
 *   over exactly the entry's span; a table pointing back at the root
 *   terminates.
 * - viommu_walk() arguments: levels other than 1..6, IOVAs beyond the
 *   paging mode's width and misaligned roots are -EINVAL, without a span.
 *
 * Output is TAP; the exit status is nonzero when any check fails.
 * "amd_v1_test SEED" reruns one random seed alone.
 */
#include "fmt_harness.h"

#define MEM_BASE	0x240000000ULL	/* GPA of guest memory: 9 GiB */
#define MEM_SIZE	(8ULL << 20)
#define TABLE_SIZE	4096ULL
#define NR_SEEDS	50
#define MAX_LEAVES	300
#define MAX_SKIPS	(MAX_LEAVES * 6)
#define WALKS_PER_SEED	48

/* Entry bits, spelled out again rather than taken from the decoder. */
#define E_PR		BIT_ULL(0)
#define E_NL(n)		((u64)(n) << 9)
#define E_ADDR		GENMASK_ULL(51, 12)
#define E_IR		BIT_ULL(61)
#define E_IW		BIT_ULL(62)
#define RSVD_PDE	GENMASK_ULL(60, 52)
#define RSVD_PTE	GENMASK_ULL(58, 52)
/* Ignored: A, D and ignored bits; U and FC in a PTE; bit 63. */
#define IGN_PDE		(GENMASK_ULL(8, 1) | BIT_ULL(63))
#define IGN_PTE		(GENMASK_ULL(8, 1) | BIT_ULL(59) | BIT_ULL(60) | \
			 BIT_ULL(63))

static struct h_ctx *c;

static unsigned int lvl_shift(unsigned int level)
{
	return 12 + 9 * (level - 1);
}

static unsigned int lvl_index(u64 iova, unsigned int level)
{
	return (iova >> lvl_shift(level)) & (level == 6 ? 127 : 511);
}

static u64 iova_top(unsigned int levels)
{
	return levels >= 6 ? ~0ULL : BIT_ULL(12 + 9 * levels) - 1;
}

static unsigned int nl_of(u64 e)
{
	return (e >> 9) & 7;
}

static u64 get_entry(u64 table, unsigned int idx)
{
	return le64toh(h_get_raw(c, table + idx * 8));
}

static void set_entry(u64 table, unsigned int idx, u64 val)
{
	h_set_raw(c, table + idx * 8, htole64(val));
}

/* A zeroed (or, with @garbage, randomly non-present) table, or 0. */
static u64 alloc_table(bool garbage)
{
	u64 gpa = h_alloc(c, TABLE_SIZE, TABLE_SIZE);
	unsigned int i;

	if (gpa && garbage)
		for (i = 0; i < TABLE_SIZE / 8; i++)
			set_entry(gpa, i, rnd() & ~E_PR);
	return gpa;
}

static u32 prot_of(u64 e)
{
	return ((e & E_IR) ? VIOMMU_PROT_READ : 0) |
	       ((e & E_IW) ? VIOMMU_PROT_WRITE : 0);
}

/* An IR/IW combination, mostly both, sometimes neither. */
static u64 rand_irw(void)
{
	static const u64 irw[] = {
		E_IR | E_IW, E_IR | E_IW, E_IR | E_IW, E_IR, E_IW, 0,
	};

	return irw[rnd_below(ARRAY_SIZE(irw))];
}

/*
 * The address field of a PTE at @level mapping 2^k entries from @gpa:
 * NextLevel 0 for one entry, else NextLevel 7 with ones from bit 12 up to
 * (not including) bit size_shift - 1.
 */
static u64 leaf_bits(u64 gpa, unsigned int level, unsigned int k)
{
	unsigned int size_shift = lvl_shift(level) + k;

	if (!k)
		return gpa | E_NL(0);
	gpa &= ~(BIT_ULL(size_shift) - 1);
	if (size_shift - 2 >= 12)
		gpa |= GENMASK_ULL(size_shift - 2, 12);
	return gpa | E_NL(7);
}

static void init_walk(struct viommu_walk *w, unsigned int levels, u64 root)
{
	memset(w, 0, sizeof(*w));
	w->fmt = &viommu_fmt_amd_v1;
	w->cfg.levels = levels;
	w->cfg.page_shift = 12;
	w->root = root;
	w->read = h_read;
	w->ctx = c;
	w->buf = &h_walk_buf;
}

/* ---- the encoder and its model ---- */

/* IOVA ranges a skipping PDE leaves uncovered (as struct h_leaf). */
static struct h_leaf skips[MAX_SKIPS];
static unsigned int nr_skips;
static unsigned int nr_big;	/* leaves of a non-default size */

/*
 * The level a new PDE at level @l for @iova points to: the next one, or
 * (sometimes) a lower one down to @level when the index bits of @iova at
 * the levels skipped are zero.
 */
static unsigned int pick_next_level(u64 iova, unsigned int l,
				    unsigned int level)
{
	unsigned int nl = l - 1, lowest = l - 1;

	while (lowest > level && !lvl_index(iova, lowest))
		lowest--;
	if (lowest < nl && chance(70))
		nl = lowest + rnd_below(nl - lowest + 1);
	return nl;
}

/*
 * Map 2^@k entries of @level from @iova (aligned to their size) to @gpa,
 * creating tables as needed.  Returns false, changing nothing that
 * matters, when the slots are taken, the path cannot reach @level (a leaf
 * above, or a PDE skipping past it or over nonzero index bits) or memory
 * is full.
 */
static bool encode_leaf(unsigned int levels, u64 root, u64 iova,
			unsigned int level, unsigned int k, u64 gpa,
			struct h_leaf *out)
{
	u32 prot = VIOMMU_PROT_RW;
	u64 table = root, e;
	unsigned int l = levels, nl, m, idx, i;

	while (l > level) {
		idx = lvl_index(iova, l);
		e = get_entry(table, idx);
		if (!(e & E_PR)) {
			u64 next = alloc_table(chance(20));
			u64 start = iova & ~(BIT_ULL(lvl_shift(l)) - 1);

			if (!next || nr_skips == MAX_SKIPS)
				return false;
			nl = pick_next_level(iova, l, level);
			e = next | E_PR | E_NL(nl) | rand_irw();
			if (chance(30))
				e |= rnd() & IGN_PDE;
			set_entry(table, idx, e);
			if (nl < l - 1) {
				skips[nr_skips].iova =
					start + BIT_ULL(lvl_shift(nl + 1));
				skips[nr_skips].last =
					start + (BIT_ULL(lvl_shift(l)) - 1);
				nr_skips++;
			}
		} else {
			nl = nl_of(e);
			if (nl == 0 || nl == 7 || nl < level)
				return false;
			for (m = nl + 1; m < l; m++)
				if (lvl_index(iova, m))
					return false;
		}
		prot &= prot_of(e);
		table = e & E_ADDR;
		l = nl;
	}

	idx = lvl_index(iova, level);
	for (i = 0; i < (1u << k); i++)
		if (get_entry(table, idx + i) & E_PR)
			return false;
	e = leaf_bits(gpa, level, k) | E_PR | rand_irw();
	if (chance(30))
		e |= rnd() & IGN_PTE;
	for (i = 0; i < (1u << k); i++)
		set_entry(table, idx + i, e);

	out->iova = iova;
	out->last = iova + (BIT_ULL(lvl_shift(level) + k) - 1);
	out->gpa = gpa;
	out->prot = prot & prot_of(e);
	nr_big += !!k;
	return true;
}

/*
 * A random table; returns the number of leaves, sorted in @leaves, and
 * fills skips[].  IOVAs cluster around a few bases and often have zero
 * index bits at some levels, so that PDEs can skip those.
 */
static unsigned int build_random(unsigned int levels, u64 root,
				 struct h_leaf *leaves)
{
	unsigned int want = 1 + rnd_below(MAX_LEAVES), n = 0, i, m;
	unsigned int max_level = levels < 5 ? levels : 5;
	u64 top = iova_top(levels), bases[5];
	u64 win = levels < 4 ? (top >> 2) + 1 : 8ULL << 30;

	nr_skips = 0;
	nr_big = 0;
	bases[0] = 0;
	bases[1] = top - win + 1;
	for (i = 2; i < ARRAY_SIZE(bases); i++)
		bases[i] = rnd_below(top) & ~((1ULL << 30) - 1);

	for (i = 0; i < want; i++) {
		unsigned int r = rnd_below(100), level, k = 0, kmax;
		u64 size, iova, gpa;

		level = r < 50 ? 1 : r < 80 ? 2 : r < 92 ? 3 : r < 97 ? 4 : 5;
		if (level > max_level)
			level = 1 + rnd_below(max_level);
		kmax = 52 - lvl_shift(level);
		if (kmax > 8)
			kmax = 8;
		if (chance(40))
			k = 1 + rnd_below(kmax);
		size = BIT_ULL(lvl_shift(level) + k);

		if (chance(10))
			iova = rnd_below(top);
		else
			iova = bases[rnd_below(ARRAY_SIZE(bases))] +
			       rnd_below(win);
		if (iova > top)
			iova = top;
		for (m = 2; m < levels; m++)
			if (chance(40))
				iova &= ~(511ULL << lvl_shift(m));
		iova &= ~(size - 1);

		/* Leaf targets are not read: anywhere aligned will do. */
		if (chance(50))
			gpa = MEM_BASE + rnd_below(MEM_SIZE);
		else
			gpa = rnd() & E_ADDR;
		gpa &= ~(size - 1);

		if (encode_leaf(levels, root, iova, level, k, gpa, &leaves[n]))
			n++;
	}
	qsort(leaves, n, sizeof(*leaves), h_cmp_leaf);
	qsort(skips, nr_skips, sizeof(*skips), h_cmp_leaf);
	return n;
}

/* ---- checking a walk: the harness's model, plus the skipped IOVAs ---- */

static unsigned int skip_cur;

static int emit_model(void *opaque, const struct viommu_span *s)
{
	const struct h_leaf *sk;

	while (skip_cur < nr_skips && skips[skip_cur].last < s->iova)
		skip_cur++;
	sk = skip_cur < nr_skips ? &skips[skip_cur] : NULL;

	if (s->kind == VIOMMU_SPAN_HOLE && sk && sk->iova <= s->last)
		return h_model_fail(c, s, "hole over skipped IOVAs at %#llx",
				    (unsigned long long)sk->iova);
	if (s->kind != VIOMMU_SPAN_REFUSED)
		return h_emit_model(opaque, s);

	if (c->done)
		return h_model_fail(c, s, "span after the end of the range");
	if (s->iova != c->next)
		return h_model_fail(c, s, "expected to start at %#llx",
				    (unsigned long long)c->next);
	if (s->last < s->iova || s->last > c->last)
		return h_model_fail(c, s, "bad end (range ends at %#llx)",
				    (unsigned long long)c->last);
	if (!sk || sk->iova > s->iova || sk->last < s->last ||
	    s->refusal != KVM_VIOMMU_REFUSED_RESERVED_BITS)
		return h_model_fail(c, s, "refused outside skipped IOVAs");
	if (s->last == c->last)
		c->done = true;
	else
		c->next = s->last + 1;
	c->emitted++;
	return 0;
}

/* h_walk_model(), with skipped IOVAs refused rather than holes. */
static bool walk_model(struct viommu_walk *w, const struct h_leaf *leaves,
		       unsigned int n, u64 iova, u64 last)
{
	int ret;

	w->emit = emit_model;
	w->ctx = c;
	c->leaves = leaves;
	c->nr_leaves = n;
	c->cur = 0;
	skip_cur = 0;
	c->next = iova;
	c->last = last;
	c->done = false;
	c->bad = false;
	c->emitted = 0;
	c->reads = 0;

	ret = viommu_walk(w, iova, last);
	if (c->bad)
		diag("walk [%#llx, %#llx]: %s", (unsigned long long)iova,
		     (unsigned long long)last, c->why);
	else if (ret)
		diag("walk [%#llx, %#llx] returned %d",
		     (unsigned long long)iova, (unsigned long long)last, ret);
	else if (!c->done)
		diag("walk [%#llx, %#llx] stopped at %#llx",
		     (unsigned long long)iova, (unsigned long long)last,
		     (unsigned long long)c->next);
	else if (c->emitted > c->reads)
		diag("walk [%#llx, %#llx]: %lu spans for %lu entries read",
		     (unsigned long long)iova, (unsigned long long)last,
		     c->emitted, c->reads);
	else
		return true;
	return false;
}

static void test_random(unsigned int levels, u64 seed)
{
	static struct h_leaf leaves[MAX_LEAVES];
	u64 top = iova_top(levels), root, iova, last;
	unsigned int n, i;
	struct viommu_walk w;
	bool ok;

	rng_state = seed * 1000003 + levels;
	h_reset(c);
	root = alloc_table(chance(20));
	n = build_random(levels, root, leaves);
	init_walk(&w, levels, root);

	ok = walk_model(&w, leaves, n, 0, top);
	for (i = 0; ok && n && i < WALKS_PER_SEED; i++) {
		h_pick_range(leaves, n, top, &iova, &last);
		/* The table does not change: the path may be kept. */
		w.leaf_only = chance(50);
		ok = walk_model(&w, leaves, n, iova, last);
	}
	check(ok, "amd-v1 %u levels: random, seed %llu (%u leaves, %u large, %u skips, %llu tbls)",
	      levels, (unsigned long long)seed, n, nr_big, nr_skips,
	      (unsigned long long)(c->used / TABLE_SIZE));
}

/* ---- exact expectations, for hand-made tables ---- */

/*
 * The path of tables, one level at a time, from @root down to the table at
 * @level that holds @iova; PDEs get IR+IW, or @irw[l] at level l.
 */
static u64 build_path(unsigned int levels, u64 root, u64 iova,
		      unsigned int level, const u64 *irw)
{
	u64 table = root;
	unsigned int l;

	for (l = levels; l > level; l--) {
		unsigned int idx = lvl_index(iova, l);
		u64 e = get_entry(table, idx);

		if (!(e & E_PR)) {
			e = alloc_table(false) | E_PR | E_NL(l - 1) |
			    (irw ? irw[l] : E_IR | E_IW);
			set_entry(table, idx, e);
		}
		table = e & E_ADDR;
	}
	return table;
}

static bool walk_expect(unsigned int levels, u64 root, u64 iova, u64 last,
			const struct viommu_span *exp, unsigned int nr_exp)
{
	struct viommu_walk w;

	init_walk(&w, levels, root);
	return h_walk_expect(c, &w, iova, last, exp, nr_exp);
}

/*
 * Put @entry at @level for @iova and check that a range around it (and one
 * inside it) reads as @what over exactly the entry's span, holes elsewhere.
 * A LEAF @what gives the GPA of the entry's first byte.
 */
static bool entry_reads_as(unsigned int levels, u64 iova, unsigned int level,
			   u64 entry, const struct viommu_span *what)
{
	u64 top = iova_top(levels), size = BIT_ULL(lvl_shift(level));
	u64 start = iova & ~(size - 1), end = start + (size - 1);
	struct viommu_span exp[3], in;
	unsigned int n;
	u64 root, x, y;

	h_reset(c);
	root = alloc_table(false);
	set_entry(build_path(levels, root, iova, level, NULL),
		  lvl_index(iova, level), entry);

	x = start >= 0x3000 ? start - 0x3000 : 0;
	y = end + 0x5000 <= top && end + 0x5000 > end ? end + 0x5000 : top;
	n = h_expect_entry(exp, x, y, start, end, what);
	if (!walk_expect(levels, root, x, y, exp, n))
		return false;

	/* Strictly inside the entry: clipped to the range. */
	x = start + rnd_below(size / 2);
	y = x + rnd_below(size / 2);
	in = h_expect_inside(what, start, x, y);
	return walk_expect(levels, root, x, y, &in, 1);
}

#define RSVD	KVM_VIOMMU_REFUSED_RESERVED_BITS

static const struct viommu_span bad_bits = H_REFUSED(0, 0, RSVD);

static u64 rand_iova(unsigned int levels)
{
	return rnd_below(iova_top(levels));
}

static void test_reserved_bits(void)
{
	unsigned int levels, level, bit;

	for (levels = 1; levels <= 6; levels++) {
		bool ok = true;

		for (level = 2; level <= levels; level++) {
			for (bit = 52; ok && bit <= 60; bit++)
				ok = entry_reads_as(levels, rand_iova(levels),
						    level,
						    MEM_BASE | E_PR |
						    E_NL(level - 1) | E_IR |
						    E_IW | BIT_ULL(bit),
						    &bad_bits);
		}
		if (levels > 1)
			check(ok, "amd-v1 %u levels: PDE with a bit of 52..60 set is RESERVED_BITS",
			      levels);

		ok = true;
		for (level = 1; level <= levels && level <= 5; level++) {
			u64 gpa = 0xabcdeULL << lvl_shift(level) & E_ADDR;
			struct viommu_span leaf =
				H_LEAF(0, 0, gpa, VIOMMU_PROT_RW);

			for (bit = 52; ok && bit <= 58; bit++)
				ok = entry_reads_as(levels, rand_iova(levels),
						    level,
						    gpa | E_PR | E_IR | E_IW |
						    BIT_ULL(bit), &bad_bits);
			ok = ok && entry_reads_as(levels, rand_iova(levels),
						  level, gpa | E_PR | E_IR |
						  E_IW | IGN_PTE, &leaf);
		}
		check(ok, "amd-v1 %u levels: PTE bits 52..58 refused, U, FC, A, D ignored",
		      levels);
	}
}

static void test_not_present(void)
{
	static const struct viommu_span hole = H_HOLE(0, 0);
	unsigned int levels, level;

	for (levels = 1; levels <= 6; levels++) {
		bool ok = true;

		for (level = 1; ok && level <= levels; level++)
			ok = entry_reads_as(levels, rand_iova(levels), level,
					    ~E_PR, &hole) &&
			     entry_reads_as(levels, rand_iova(levels), level,
					    rnd() & ~E_PR, &hole);
		check(ok, "amd-v1 %u levels: entries without PR are holes at every level",
		      levels);
	}
}

static void test_top_level(void)
{
	u64 iova = rand_iova(6);
	bool ok;

	ok = entry_reads_as(6, iova, 6, E_PR | E_NL(0) | E_IR | E_IW,
			    &bad_bits) &&
	     entry_reads_as(6, iova, 6, E_PR | E_NL(7) | E_IR | E_IW |
			    GENMASK_ULL(50, 12), &bad_bits) &&
	     entry_reads_as(6, iova, 6, E_PR | E_NL(7) | E_IR, &bad_bits);
	check(ok, "amd-v1 6 levels: a PTE at level 6 is RESERVED_BITS");
}

static void test_default_leaves(void)
{
	unsigned int levels, level, bit;

	for (levels = 1; levels <= 6; levels++) {
		bool ok = true;

		for (level = 1; ok && level <= levels && level <= 5; level++) {
			unsigned int shift = lvl_shift(level);
			u64 gpa = rnd() & E_ADDR & ~(BIT_ULL(shift) - 1);
			struct viommu_span leaf =
				H_LEAF(0, 0, gpa, VIOMMU_PROT_RW);

			ok = entry_reads_as(levels, rand_iova(levels), level,
					    gpa | E_PR | E_IR | E_IW, &leaf);
			for (bit = 12; ok && bit < shift; bit++)
				ok = entry_reads_as(levels, rand_iova(levels),
						    level,
						    gpa | BIT_ULL(bit) | E_PR |
						    E_IR | E_IW, &bad_bits);
		}
		check(ok, "amd-v1 %u levels: default-size leaves map, misaligned refused",
		      levels);
	}
}

/*
 * NextLevel 7 at @level: each entry alone maps its part of the page, all
 * of them together the whole page; sizes outside 2..256 entries and the
 * encoding without a zero bit are refused.
 */
static void test_size_encoding(void)
{
	unsigned int levels, level, k, z;

	for (levels = 1; levels <= 6; levels++) {
		for (level = 1; level <= levels && level <= 5; level++) {
			unsigned int shift = lvl_shift(level);
			bool ok = true;

			for (k = 1; ok && k <= 8 && shift + k <= 52; k++) {
				u64 size = BIT_ULL(shift + k);
				u64 gpa = rnd() & E_ADDR & ~(size - 1);
				u64 iova = rand_iova(levels) & ~(size - 1);
				u64 e = leaf_bits(gpa, level, k) | E_PR | E_IW;
				unsigned int pick = rnd_below(1u << k), i;
				u64 at = iova + ((u64)pick << shift);
				struct viommu_span leaf =
					H_LEAF(0, 0, gpa + (at - iova),
					       VIOMMU_PROT_WRITE);
				struct viommu_span whole =
					H_LEAF(iova, iova + size - 1, gpa,
					       VIOMMU_PROT_WRITE);
				u64 table, root;

				if (iova + size - 1 > iova_top(levels))
					continue;
				ok = entry_reads_as(levels, at, level, e,
						    &leaf);

				h_reset(c);
				root = alloc_table(false);
				table = build_path(levels, root, iova, level,
						   NULL);
				for (i = 0; i < (1u << k); i++)
					set_entry(table,
						  lvl_index(iova, level) + i,
						  e);
				ok = ok && walk_expect(levels, root, iova,
						       iova + size - 1,
						       &whole, 1);
				if (!ok)
					diag("level %u, %u entries",
					     level, 1u << k);
			}

			/* First zero bit z: a size of 2^(z + 1). */
			for (z = 12; ok && z < 52; z++) {
				u64 e = E_PR | E_NL(7) | E_IR | E_IW;
				u64 iova = rand_iova(levels);

				if (z > 12)
					e |= GENMASK_ULL(z - 1, 12);
				if (z + 1 > shift && z + 1 <= shift + 8)
					continue;
				ok = entry_reads_as(levels, iova, level, e,
						    &bad_bits);
				if (!ok)
					diag("level %u, size 2^%u", level,
					     z + 1);
			}
			ok = ok && entry_reads_as(levels, rand_iova(levels),
						  level, E_PR | E_NL(7) |
						  E_IR | E_ADDR, &bad_bits);
			check(ok, "amd-v1 %u levels: NextLevel 7 at level %u: 2..256 entries only",
			      levels, level);
		}
	}
}

/* A NextLevel not below the entry's level: more levels than declared. */
static void test_next_level(void)
{
	unsigned int levels, level, nl;

	for (levels = 1; levels <= 6; levels++) {
		bool ok = true;

		for (level = 1; level <= levels; level++)
			for (nl = level; ok && nl <= 6; nl++)
				ok = entry_reads_as(levels, rand_iova(levels),
						    level,
						    MEM_BASE | E_PR | E_NL(nl) |
						    E_IR | E_IW,
						    &bad_bits);
		check(ok, "amd-v1 %u levels: NextLevel not below the level is RESERVED_BITS",
		      levels);
	}
}

/* PDEs skipping levels cover only IOVAs with zero skipped index bits. */
static void test_skip(void)
{
	u64 root, t, s;
	bool ok;

	/* Level 4 -> level 2, a 2 MiB leaf at index 7. */
	{
		struct viommu_span exp[4];

		s = 0x5aULL << 39;
		h_reset(c);
		root = alloc_table(false);
		t = alloc_table(false);
		set_entry(root, 0x5a, t | E_PR | E_NL(2) | E_IR | E_IW);
		set_entry(t, 7, 0x80000000ULL | E_PR | E_IR);
		exp[0] = (struct viommu_span)H_HOLE(s, s + 7 * 0x200000 - 1);
		exp[1] = (struct viommu_span)H_LEAF(s + 7 * 0x200000,
						    s + 8 * 0x200000 - 1,
						    0x80000000ULL,
						    VIOMMU_PROT_READ);
		exp[2] = (struct viommu_span)H_HOLE(s + 8 * 0x200000,
						    s + (1ULL << 30) - 1);
		exp[3] = (struct viommu_span)H_REFUSED(s + (1ULL << 30),
						       s + (1ULL << 39) - 1,
						       RSVD);
		ok = walk_expect(4, root, s, s + (1ULL << 39) - 1, exp, 4);
	}

	/* Level 6 -> level 1 at the top of the address space. */
	{
		struct viommu_span exp[3];

		s = 127ULL << 57;
		h_reset(c);
		root = alloc_table(false);
		t = alloc_table(false);
		set_entry(root, 127, t | E_PR | E_NL(1) | E_IW);
		set_entry(t, 511, 0x1234000ULL | E_PR | E_IR | E_IW);
		exp[0] = (struct viommu_span)H_HOLE(s, s + 0x1ff000 - 1);
		exp[1] = (struct viommu_span)H_LEAF(s + 0x1ff000,
						    s + 0x1fffff,
						    0x1234000ULL,
						    VIOMMU_PROT_WRITE);
		exp[2] = (struct viommu_span)H_REFUSED(s + 0x200000, ~0ULL,
						       RSVD);
		ok = ok && walk_expect(6, root, s, ~0ULL, exp, 3);
		/* A range only in the skipped bits. */
		exp[0] = (struct viommu_span)H_REFUSED(s + 0x40000000,
						       s + 0x40000fff, RSVD);
		ok = ok && walk_expect(6, root, s + 0x40000000,
				       s + 0x40000fff, exp, 1);
	}
	check(ok, "amd-v1: PDEs skipping levels map what they cover and refuse the skipped IOVAs");
}

/* Every IR/IW combination of a 3-level path to a 4 KiB leaf. */
static void test_prot_combos(void)
{
	static const u64 irw[] = { 0, E_IR, E_IW, E_IR | E_IW };
	unsigned int a, b, d;
	bool ok = true;

	for (a = 0; a < 4; a++) {
		for (b = 0; b < 4; b++) {
			for (d = 0; d < 4; d++) {
				u64 path[4] = { 0, 0, irw[b], irw[a] };
				u64 iova = 0x2345ULL << 21 | 0x7000;
				u64 gpa = 0x40000000ULL, root, table;
				struct viommu_span exp =
					H_LEAF(iova, iova + 0xfff, gpa,
					       prot_of(irw[a]) &
					       prot_of(irw[b]) &
					       prot_of(irw[d]));

				h_reset(c);
				root = alloc_table(false);
				table = build_path(3, root, iova, 1, path);
				set_entry(table, lvl_index(iova, 1),
					  gpa | E_PR | irw[d]);
				ok &= walk_expect(3, root, iova, iova + 0xfff,
						  &exp, 1);
			}
		}
	}
	check(ok, "amd-v1 3 levels: every IR/IW combination along the path is ANDed");
}

static void test_table_fault(void)
{
	static const struct viommu_span fault =
		H_REFUSED(0, 0, KVM_VIOMMU_REFUSED_TABLE_FAULT);
	static const u64 outside[] = {
		0, MEM_BASE - TABLE_SIZE, MEM_BASE + MEM_SIZE, E_ADDR,
	};
	unsigned int levels, level, i;

	for (levels = 2; levels <= 6; levels++) {
		bool ok = true;

		for (level = 2; level <= levels; level++)
			for (i = 0; ok && i < ARRAY_SIZE(outside); i++)
				ok = entry_reads_as(levels, rand_iova(levels),
						    level,
						    outside[i] | E_PR |
						    E_NL(level - 1) |
						    rand_irw() |
						    (rnd() & IGN_PDE), &fault);
		check(ok, "amd-v1 %u levels: tables outside memory are TABLE_FAULT",
		      levels);
	}

	for (levels = 1; levels <= 6; levels++) {
		u64 top = iova_top(levels), root, table;
		u64 base = (0x54321ULL << 21) & top;
		struct viommu_span exp[] = {
			H_LEAF(base, base + 0x2fff, 0x100000000ULL,
			       VIOMMU_PROT_RW),
			H_REFUSED(base + 0x3000, base + 0x3fff,
				  KVM_VIOMMU_REFUSED_TABLE_FAULT),
			H_LEAF(base + 0x4000, base + 0x1fffff,
			       0x100004000ULL, VIOMMU_PROT_RW),
		};
		struct viommu_span all =
			H_REFUSED(0, top, KVM_VIOMMU_REFUSED_TABLE_FAULT);

		h_reset(c);
		root = alloc_table(false);
		table = build_path(levels, root, base, 1, NULL);
		for (i = 0; i < 512; i++)
			set_entry(table, i, (0x100000000ULL + i * 4096) |
				  E_PR | E_IR | E_IW);
		c->fault_gpa = table + 3 * 8;
		check(walk_expect(levels, root, base, base + 0x1fffff, exp,
				  ARRAY_SIZE(exp)) &&
		      walk_expect(levels, MEM_BASE + MEM_SIZE, 0, top, &all, 1),
		      "amd-v1 %u levels: an unreadable entry or root is TABLE_FAULT for its span only",
		      levels);
	}
}

static void test_cycles(void)
{
	unsigned int levels;

	for (levels = 2; levels <= 6; levels++) {
		u64 top = iova_top(levels), root;
		u64 below = BIT_ULL(lvl_shift(levels - 1));
		struct viommu_span exp[3];

		/* root[0] -> root as the next level: its entry 0 is bad there. */
		h_reset(c);
		root = alloc_table(false);
		set_entry(root, 0, root | E_PR | E_NL(levels - 1) | E_IR);
		exp[0] = (struct viommu_span)H_REFUSED(0, below - 1, RSVD);
		exp[1] = (struct viommu_span)H_HOLE(below, top);
		check(walk_expect(levels, root, 0, top, exp, 2),
		      "amd-v1 %u levels: root pointing to itself terminates",
		      levels);
	}
}

static int emit_count(void *opaque, const struct viommu_span *s)
{
	c->emitted++;
	return 0;
}

static void test_args(void)
{
	static const unsigned int bad_levels[] = { 0, 7, 8, ~0u };
	static const u64 misaligned[] = { 8, 0x800, 0xff8 };
	struct viommu_walk w;
	unsigned int i, levels;
	u64 root;
	bool ok = true;

	h_reset(c);
	root = alloc_table(false);
	init_walk(&w, 4, root);
	w.emit = emit_count;
	c->emitted = 0;
	for (i = 0; i < ARRAY_SIZE(bad_levels); i++) {
		w.cfg.levels = bad_levels[i];
		if (viommu_walk(&w, 0, 0xfff) != -EINVAL)
			ok = false;
	}
	check(ok && !c->emitted, "amd-v1: levels other than 1..6 are -EINVAL");

	for (levels = 1; levels <= 6; levels++) {
		struct viommu_fmt_cfg cfg = { .levels = levels,
					      .page_shift = 12 };
		u64 top = viommu_fmt_iova_last(&viommu_fmt_amd_v1, &cfg);

		check(top == iova_top(levels),
		      "amd-v1 %u levels: iova_last is %#llx", levels,
		      (unsigned long long)top);

		w.cfg.levels = levels;
		c->emitted = 0;
		ok = viommu_walk(&w, 0x2000, 0x1fff) == -EINVAL;
		if (levels < 6)
			ok = ok && viommu_walk(&w, 0, top + 1) == -EINVAL &&
			     viommu_walk(&w, top + 1, top + 1) == -EINVAL &&
			     viommu_walk(&w, 0, ~0ULL) == -EINVAL;
		check(ok && !c->emitted,
		      "amd-v1 %u levels: IOVAs beyond the paging mode and last < iova are -EINVAL",
		      levels);

		ok = viommu_walk(&w, 0, top) == 0 && c->emitted &&
		     viommu_walk(&w, top, top) == 0;
		check(ok, "amd-v1 %u levels: [0, iova_last] is accepted",
		      levels);

		ok = true;
		c->emitted = 0;
		for (i = 0; i < ARRAY_SIZE(misaligned); i++) {
			w.root = root + misaligned[i];
			if (viommu_walk(&w, 0, 0xfff) != -EINVAL)
				ok = false;
		}
		w.root = root;
		check(ok && !c->emitted,
		      "amd-v1 %u levels: misaligned root is -EINVAL", levels);
	}
}

static void test_registry(void)
{
	const struct viommu_fmt *f = viommu_fmt_get(KVM_VIOMMU_FMT_AMD_V1);

	check(f == &viommu_fmt_amd_v1 &&
	      (viommu_fmt_supported() & BIT_ULL(KVM_VIOMMU_FMT_AMD_V1)),
	      "registry: amd-v1 is supported");
	check(f && f->min_levels == 1 && f->max_levels == 6 &&
	      f->max_levels <= VIOMMU_MAX_LEVELS &&
	      f->default_levels == 4 && f->root_align == 4096 &&
	      f->default_page_shift == 12 && !f->windowed,
	      "registry: amd-v1 levels 1..6, default 4, 4 KiB root");
}

int main(int argc, char **argv)
{
	u64 seed, first = 1, last = NR_SEEDS;
	unsigned int levels;
	int ret;

	if (argc > 1) {
		first = strtoull(argv[1], NULL, 0);
		last = first;
	}
	c = h_ctx_new(MEM_BASE, MEM_SIZE);

	if (argc <= 1) {
		rng_state = 3;
		test_registry();
		test_args();
		test_reserved_bits();
		test_not_present();
		test_top_level();
		test_default_leaves();
		test_size_encoding();
		test_next_level();
		test_skip();
		test_prot_combos();
		test_table_fault();
		test_cycles();
	}
	for (seed = first; seed <= last; seed++)
		for (levels = 1; levels <= 6; levels++)
			test_random(levels, seed);

	ret = tap_done();
	h_ctx_free(c);
	return ret;
}
