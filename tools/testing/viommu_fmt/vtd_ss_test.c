// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace tests of the Intel VT-d second-stage decoder
 * (virt/kvm/viommu/fmt/vtd_ss.c) under the shared walker, built with ASan
 * and UBSan by the Makefile here.
 *
 * Guest memory is an 8 MiB buffer at guest physical address MEM_BASE; the
 * read callback returns -EFAULT for any entry outside it or misaligned.
 * What is checked, with 3, 4 and 5 levels:
 *
 * - Random tables (seeds 1..NR_SEEDS): an encoder independent of the
 *   decoder builds tables of 4 KiB, 2 MiB and 1 GiB leaves at random IOVAs
 *   (including the top of the address space: no canonical hole), with a
 *   random nonzero R/W combination at every level, random ignored bits in
 *   present entries and random garbage in non-present ones (R = W = 0), and
 *   keeps a reference model.  Random ranges are walked and every span
 *   checked against the model: contiguous, increasing, covering exactly the
 *   range; a LEAF lies in one leaf with its GPA and prot = AND of R/W along
 *   the path (0 when the path grants nothing); a HOLE meets no leaf.
 * - Every R/W combination along a 3-level path, exactly.
 * - Malformed entries are refused, never mapped: PS in an SS-PML4E or
 *   SS-PML5E, address bits below a large leaf's alignment, address bits
 *   from the table's address width up to 51 (3 and 4 levels) in tables and
 *   leaves give RESERVED_BITS; tables outside guest memory and unreadable
 *   entries give TABLE_FAULT over exactly the entry's span; a table
 *   pointing back at the root terminates.
 * - viommu_walk() arguments: levels other than 3..5, IOVAs beyond the
 *   address width and misaligned roots are -EINVAL, without a span.
 *
 * Output is TAP; the exit status is nonzero when any check fails.
 * "vtd_ss_test SEED" reruns one random seed alone.
 */
#include "fmt_harness.h"

#define MEM_BASE	0x240000000ULL	/* GPA of guest memory: 9 GiB */
#define MEM_SIZE	(8ULL << 20)
#define TABLE_SIZE	4096ULL
#define NR_SEEDS	80
#define MAX_LEAVES	300
#define WALKS_PER_SEED	48

/* Entry bits, spelled out again rather than taken from the decoder. */
#define E_R		BIT_ULL(0)
#define E_W		BIT_ULL(1)
#define E_PS		BIT_ULL(7)
#define E_ADDR		GENMASK_ULL(51, 12)
/* Bits the format ignores: X, EMT, IPAT, A, D, SNP, TM, ignored bits. */
#define IGN_TABLE	(GENMASK_ULL(6, 2) | GENMASK_ULL(11, 8) | \
			 GENMASK_ULL(63, 52))
#define IGN_4K		(GENMASK_ULL(11, 2) | GENMASK_ULL(63, 52))
#define IGN_LARGE	IGN_TABLE

static struct h_ctx *c;

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
	return BIT_ULL(12 + 9 * levels) - 1;
}

/* GPAs an entry may hold: below the address width, at most 52 bits. */
static u64 gpa_mask(unsigned int levels)
{
	unsigned int bits = 12 + 9 * levels;

	return bits >= 52 ? E_ADDR : E_ADDR & (BIT_ULL(bits) - 1);
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
			set_entry(gpa, i, rnd() & ~(E_R | E_W));
	return gpa;
}

static u32 prot_of(u64 e)
{
	return ((e & E_R) ? VIOMMU_PROT_READ : 0) |
	       ((e & E_W) ? VIOMMU_PROT_WRITE : 0);
}

/* A present R/W combination, mostly both. */
static u64 rand_rw(void)
{
	static const u64 rw[] = { E_R | E_W, E_R | E_W, E_R, E_W };

	return rw[rnd_below(ARRAY_SIZE(rw))];
}

static void init_walk(struct viommu_walk *w, unsigned int levels, u64 root)
{
	memset(w, 0, sizeof(*w));
	w->fmt = &viommu_fmt_vtd_ss;
	w->cfg.levels = levels;
	w->cfg.page_shift = 12;
	w->root = root;
	w->read = h_read;
	w->ctx = c;
	w->buf = &h_walk_buf;
}

/* ---- the encoder and its model ---- */

/*
 * Map @iova (aligned to the leaf size of @level) to @gpa, creating tables as
 * needed.  Returns false, changing nothing that matters, when the slot is
 * taken (by a leaf above or anything at @level) or memory is full.
 */
static bool encode_leaf(unsigned int levels, u64 root, u64 iova,
			unsigned int level, u64 gpa, struct h_leaf *out)
{
	u32 prot = VIOMMU_PROT_RW;
	u64 table = root, e;
	unsigned int l, idx;

	for (l = levels; l > level; l--) {
		idx = lvl_index(iova, l);
		e = get_entry(table, idx);
		if (!(e & (E_R | E_W))) {
			u64 next = alloc_table(chance(20));

			if (!next)
				return false;
			e = next | rand_rw();
			if (chance(30))
				e |= rnd() & IGN_TABLE;
			set_entry(table, idx, e);
		} else if (e & E_PS) {
			return false;
		}
		prot &= prot_of(e);
		table = e & E_ADDR;
	}

	idx = lvl_index(iova, level);
	if (get_entry(table, idx) & (E_R | E_W))
		return false;
	e = gpa | rand_rw();
	prot &= prot_of(e);
	if (level > 1)
		e |= E_PS | (chance(30) ? rnd() & IGN_LARGE : 0);
	else if (chance(30))
		e |= rnd() & IGN_4K;
	set_entry(table, idx, e);

	out->iova = iova;
	out->last = iova + (BIT_ULL(lvl_shift(level)) - 1);
	out->gpa = gpa;
	out->prot = prot;
	return true;
}

/* A random table; returns the number of leaves, sorted in @leaves. */
static unsigned int build_random(unsigned int levels, u64 root,
				 struct h_leaf *leaves)
{
	unsigned int want = 1 + rnd_below(MAX_LEAVES), n = 0, i;
	u64 top = iova_top(levels), bases[5];

	bases[0] = 0;
	bases[1] = top - (8ULL << 30) + 1;
	for (i = 2; i < ARRAY_SIZE(bases); i++)
		bases[i] = rnd_below(top) & ~((1ULL << 30) - 1);

	for (i = 0; i < want; i++) {
		unsigned int r = rnd_below(100);
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
			gpa = rnd() & gpa_mask(levels);
		gpa &= ~(size - 1);

		if (encode_leaf(levels, root, iova, level, gpa, &leaves[n]))
			n++;
	}
	qsort(leaves, n, sizeof(*leaves), h_cmp_leaf);
	return n;
}

static void test_random(unsigned int levels, u64 seed)
{
	static struct h_leaf leaves[MAX_LEAVES];
	u64 top = iova_top(levels), root, iova, last;
	struct viommu_walk w;
	unsigned int n, i;
	bool ok;

	rng_state = seed * 1000003 + levels;
	h_reset(c);
	root = alloc_table(chance(20));
	n = build_random(levels, root, leaves);
	init_walk(&w, levels, root);

	ok = h_walk_model(c, &w, leaves, n, 0, top);
	for (i = 0; ok && n && i < WALKS_PER_SEED; i++) {
		h_pick_range(leaves, n, top, &iova, &last);
		/* The table does not change: the path may be kept. */
		w.leaf_only = chance(50);
		ok = h_walk_model(c, &w, leaves, n, iova, last);
	}
	check(ok, "vtd-ss %u levels: random table, seed %llu (%u leaves, %llu tables)",
	      levels, (unsigned long long)seed, n,
	      (unsigned long long)(c->used / TABLE_SIZE));
}

/* ---- exact expectations, for hand-made tables ---- */

/*
 * The path of tables (R+W, or @rw[l] at level l when @rw is given) from
 * @root down to the table at @level that holds @iova.
 */
static u64 build_path(unsigned int levels, u64 root, u64 iova,
		      unsigned int level, const u64 *rw)
{
	u64 table = root;
	unsigned int l;

	for (l = levels; l > level; l--) {
		unsigned int idx = lvl_index(iova, l);
		u64 e = get_entry(table, idx);

		if (!(e & (E_R | E_W))) {
			e = alloc_table(false) | (rw ? rw[l] : E_R | E_W);
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
 */
static bool entry_reads_as(unsigned int levels, u64 iova, unsigned int level,
			   u64 entry, const struct viommu_span *what)
{
	u64 top = iova_top(levels), size = BIT_ULL(lvl_shift(level));
	u64 start = iova & ~(size - 1), end = start + size - 1;
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

static const struct viommu_span bad_bits =
	H_REFUSED(0, 0, KVM_VIOMMU_REFUSED_RESERVED_BITS);

static void test_ps_high(void)
{
	unsigned int levels, level, i;

	for (levels = 4; levels <= 5; levels++) {
		for (level = 4; level <= levels; level++) {
			u64 span = BIT_ULL(lvl_shift(level));
			u64 iovas[] = {
				0, span, iova_top(levels) & ~(span - 1),
				rnd_below(iova_top(levels)),
			};
			bool ok = true;

			for (i = 0; ok && i < ARRAY_SIZE(iovas); i++)
				ok = entry_reads_as(levels, iovas[i], level,
						    (rnd_below(8) << 30) |
						    E_R | E_W | E_PS,
						    &bad_bits) &&
				     entry_reads_as(levels, iovas[i], level,
						    E_W | E_PS, &bad_bits);
			check(ok, "vtd-ss %u levels: PS in a level %u entry is RESERVED_BITS",
			      levels, level);
		}
	}
}

static void test_large_leaves(void)
{
	unsigned int levels, level, bit;

	for (levels = 3; levels <= 5; levels++) {
		for (level = 2; level <= 3; level++) {
			unsigned int shift = lvl_shift(level);
			u64 gpa = (0x2bcdeULL << shift) & gpa_mask(levels);
			u64 iova = rnd_below(iova_top(levels));
			struct viommu_span good =
				H_LEAF(0, 0, gpa, VIOMMU_PROT_RW);
			const char *name = level == 2 ? "2 MiB" : "1 GiB";
			bool ok = true;

			for (bit = 12; ok && bit < shift; bit++)
				ok = entry_reads_as(levels, iova, level,
						    gpa | BIT_ULL(bit) | E_R |
						    E_W | E_PS, &bad_bits);
			check(ok, "vtd-ss %u levels: %s leaf with a bit of 12..%u is RESERVED_BITS",
			      levels, name, shift - 1);

			ok = entry_reads_as(levels, iova, level,
					    gpa | E_R | E_W | E_PS | IGN_LARGE,
					    &good);
			good.gpa = gpa ^ BIT_ULL(shift);
			good.prot = VIOMMU_PROT_READ;
			ok = ok && entry_reads_as(levels, iova, level,
						  good.gpa | E_R | E_PS, &good);
			good.prot = VIOMMU_PROT_WRITE;
			ok = ok && entry_reads_as(levels, iova, level,
						  good.gpa | E_W | E_PS, &good);
			check(ok, "vtd-ss %u levels: %s leaf maps R, W, R+W, ignores bits",
			      levels, name);
		}
	}
}

static void test_small_entries(void)
{
	static const struct viommu_span hole = H_HOLE(0, 0);
	unsigned int levels, level;

	for (levels = 3; levels <= 5; levels++) {
		u64 iova = rnd_below(iova_top(levels));
		u64 gpa = 0x00000fedcba98000ULL & gpa_mask(levels);
		struct viommu_span leaf = H_LEAF(0, 0, gpa, VIOMMU_PROT_RW);
		bool ok;

		/* Bit 7 of an SS-PTE is ignored, like the other ignored bits. */
		ok = entry_reads_as(levels, iova, 1,
				    gpa | E_R | E_W | IGN_4K, &leaf);
		check(ok, "vtd-ss %u levels: 4 KiB leaf ignores bit 7 and ignored bits",
		      levels);

		ok = true;
		for (level = 1; ok && level <= levels; level++)
			ok = entry_reads_as(levels, iova, level,
					    ~(E_R | E_W), &hole);
		check(ok, "vtd-ss %u levels: entries with neither R nor W are holes at every level",
		      levels);
	}
}

/* Address bits from the address width up to bit 51. */
static void test_addr_width(void)
{
	unsigned int levels, level, bit;

	for (levels = 3; levels <= 5; levels++) {
		unsigned int width = 12 + 9 * levels;
		u64 iova = rnd_below(iova_top(levels));
		bool ok = true;

		if (width >= 52) {
			for (level = 1; ok && level <= 3; level++) {
				u64 gpa = BIT_ULL(51) | BIT_ULL(48);
				struct viommu_span leaf =
					H_LEAF(0, 0, gpa, VIOMMU_PROT_READ);

				ok = entry_reads_as(levels, iova, level,
						    gpa | E_R |
						    (level > 1 ? E_PS : 0),
						    &leaf);
			}
			check(ok, "vtd-ss %u levels: leaves may use all of address bits 12..51",
			      levels);
			continue;
		}

		for (bit = width; ok && bit < 52; bit++)
			for (level = 1; ok && level <= levels; level++)
				ok = entry_reads_as(levels, iova, level,
						    BIT_ULL(bit) | E_R | E_W |
						    (level > 1 && level <= 3 &&
						     chance(50) ? E_PS : 0),
						    &bad_bits);
		check(ok, "vtd-ss %u levels: address bits %u..51 are RESERVED_BITS",
		      levels, width);
	}
}

/* Every R/W combination of a 3-level path to a 4 KiB or a 2 MiB leaf. */
static bool prot_combo(unsigned int leaf_level, u64 rw3, u64 rw2, u64 rw_leaf)
{
	u64 path[4] = { 0, 0, rw2, rw3 };
	u64 iova = 0x12345ULL << 21, gpa = 0x40000000ULL;
	u64 size = BIT_ULL(lvl_shift(leaf_level));
	u32 prot = prot_of(rw3) & prot_of(rw_leaf);
	struct viommu_span exp;
	u64 root, table;

	if (leaf_level == 1)
		prot &= prot_of(rw2);
	h_reset(c);
	root = alloc_table(false);
	table = build_path(3, root, iova, leaf_level, path);
	set_entry(table, lvl_index(iova, leaf_level),
		  gpa | rw_leaf | (leaf_level > 1 ? E_PS : 0));
	exp = (struct viommu_span)H_LEAF(iova, iova + size - 1, gpa, prot);
	return walk_expect(3, root, iova, iova + size - 1, &exp, 1);
}

static void test_prot_combos(void)
{
	static const u64 rw[] = { E_R, E_W, E_R | E_W };
	unsigned int a, b, d;
	bool ok = true;

	for (a = 0; a < 3; a++) {
		for (d = 0; d < 3; d++) {
			for (b = 0; b < 3; b++)
				ok &= prot_combo(1, rw[a], rw[b], rw[d]);
			ok &= prot_combo(2, rw[a], 0, rw[d]);
		}
	}
	check(ok, "vtd-ss 3 levels: every R/W combination along the path is ANDed");
}

static void test_table_fault(void)
{
	static const struct viommu_span fault =
		H_REFUSED(0, 0, KVM_VIOMMU_REFUSED_TABLE_FAULT);
	static const u64 outside[] = {
		0, MEM_BASE - TABLE_SIZE, MEM_BASE + MEM_SIZE,
		0x7ffffff000ULL,
	};
	unsigned int levels, level, i;

	for (levels = 3; levels <= 5; levels++) {
		u64 top = iova_top(levels), root, table;
		u64 base = 0x54321ULL << 21 & top;

		for (level = 2; level <= levels; level++) {
			u64 iova = rnd_below(top);
			bool ok = true;

			for (i = 0; ok && i < ARRAY_SIZE(outside); i++)
				ok = entry_reads_as(levels, iova, level,
						    outside[i] | rand_rw() |
						    (rnd() & IGN_TABLE),
						    &fault);
			check(ok, "vtd-ss %u levels: level %u table outside memory is TABLE_FAULT",
			      levels, level);
		}

		{
			struct viommu_span exp =
				H_REFUSED(0x1000, top,
					  KVM_VIOMMU_REFUSED_TABLE_FAULT);

			h_reset(c);
			check(walk_expect(levels, MEM_BASE + MEM_SIZE, 0x1000,
					  top, &exp, 1),
			      "vtd-ss %u levels: root outside guest memory is TABLE_FAULT",
			      levels);
		}

		{
			struct viommu_span exp[] = {
				H_LEAF(base, base + 0x2fff, 0x100000000ULL,
				       VIOMMU_PROT_RW),
				H_REFUSED(base + 0x3000, base + 0x3fff,
					  KVM_VIOMMU_REFUSED_TABLE_FAULT),
				H_LEAF(base + 0x4000, base + 0x1fffff,
				       0x100004000ULL, VIOMMU_PROT_RW),
			};

			h_reset(c);
			root = alloc_table(false);
			table = build_path(levels, root, base, 1, NULL);
			for (i = 0; i < 512; i++)
				set_entry(table, i,
					  (0x100000000ULL + i * 4096) | E_R |
					  E_W);
			c->fault_gpa = table + 3 * 8;
			check(walk_expect(levels, root, base, base + 0x1fffff,
					  exp, ARRAY_SIZE(exp)),
			      "vtd-ss %u levels: unreadable entry is TABLE_FAULT for its span only",
			      levels);
		}
	}
}

static void test_cycles(void)
{
	unsigned int levels;

	for (levels = 3; levels <= 5; levels++) {
		u64 top = iova_top(levels), root, t, base;
		struct viommu_span exp[3];

		/* root[0] -> root: every level reads the root again. */
		h_reset(c);
		root = alloc_table(false);
		set_entry(root, 0, root | E_R | E_W);
		exp[0] = (struct viommu_span)H_LEAF(0, 0xfff, root,
						    VIOMMU_PROT_RW);
		exp[1] = (struct viommu_span)H_HOLE(0x1000, top);
		check(walk_expect(levels, root, 0, top, exp, 2),
		      "vtd-ss %u levels: root pointing to itself terminates",
		      levels);

		/* A level 2 entry pointing back at the root: root as a PT. */
		h_reset(c);
		root = alloc_table(false);
		base = 5ULL << 21;
		t = build_path(levels, root, base, 2, NULL);
		set_entry(t, 5, root | E_R);
		exp[0] = (struct viommu_span)H_HOLE(0, base - 1);
		exp[1] = (struct viommu_span)H_LEAF(base, base + 0xfff,
						    get_entry(root, 0) & E_ADDR,
						    VIOMMU_PROT_READ);
		exp[2] = (struct viommu_span)H_HOLE(base + 0x1000, top);
		check(walk_expect(levels, root, 0, top, exp, 3),
		      "vtd-ss %u levels: table pointing back at the root terminates",
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
	static const unsigned int bad_levels[] = { 0, 1, 2, 6, 7, ~0u };
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
	check(ok && !c->emitted, "vtd-ss: levels other than 3..5 are -EINVAL");

	for (levels = 3; levels <= 5; levels++) {
		struct viommu_fmt_cfg cfg = { .levels = levels,
					      .page_shift = 12 };
		u64 top = viommu_fmt_iova_last(&viommu_fmt_vtd_ss, &cfg);

		check(top == iova_top(levels),
		      "vtd-ss %u levels: iova_last is %#llx (no canonical hole)",
		      levels, (unsigned long long)top);

		w.cfg.levels = levels;
		c->emitted = 0;
		ok = viommu_walk(&w, 0, top + 1) == -EINVAL &&
		     viommu_walk(&w, top + 1, top + 1) == -EINVAL &&
		     viommu_walk(&w, 0, ~0ULL) == -EINVAL &&
		     viommu_walk(&w, 0x2000, 0x1fff) == -EINVAL &&
		     !c->emitted;
		check(ok, "vtd-ss %u levels: IOVAs beyond the width, last < iova: -EINVAL",
		      levels);

		ok = viommu_walk(&w, 0, top) == 0 && c->emitted &&
		     viommu_walk(&w, top, top) == 0;
		check(ok, "vtd-ss %u levels: [0, iova_last] is accepted", levels);

		ok = true;
		c->emitted = 0;
		for (i = 0; i < ARRAY_SIZE(misaligned); i++) {
			w.root = root + misaligned[i];
			if (viommu_walk(&w, 0, 0xfff) != -EINVAL)
				ok = false;
		}
		w.root = root;
		check(ok && !c->emitted,
		      "vtd-ss %u levels: misaligned root is -EINVAL", levels);
	}
}

static void test_registry(void)
{
	const struct viommu_fmt *f = viommu_fmt_get(KVM_VIOMMU_FMT_VTD_SS);

	check(f == &viommu_fmt_vtd_ss &&
	      (viommu_fmt_supported() & BIT_ULL(KVM_VIOMMU_FMT_VTD_SS)),
	      "registry: vtd-ss is supported");
	check(f && f->min_levels == 3 && f->max_levels == 5 &&
	      f->default_levels == 4 && f->root_align == 4096 &&
	      f->default_page_shift == 12 && !f->windowed,
	      "registry: vtd-ss levels 3..5, default 4, 4 KiB root");
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
		rng_state = 2;
		test_registry();
		test_args();
		test_ps_high();
		test_large_leaves();
		test_small_entries();
		test_addr_width();
		test_prot_combos();
		test_table_fault();
		test_cycles();
	}
	for (seed = first; seed <= last; seed++)
		for (levels = 3; levels <= 5; levels++)
			test_random(levels, seed);

	ret = tap_done();
	h_ctx_free(c);
	return ret;
}
