// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace tests of the s390 zPCI decoder (virt/kvm/viommu/fmt/
 * s390_zpci.c) under the shared walker, built with ASan and UBSan by the
 * Makefile here.
 *
 * Guest memory is a 16 MiB buffer at guest physical address MEM_BASE; the
 * read callback returns -EFAULT for any entry outside it or misaligned.
 * What is checked:
 *
 * - Random tables (seeds 1..NR_SEEDS): an encoder independent of the
 *   decoder builds big-endian region-third (16 KiB), segment (16 KiB) and
 *   page (2 KiB) tables mapping 4 KiB pages, alone or in runs, at random
 *   IOVAs of the 42-bit space, with the protection bit set at random at
 *   every level, random ignored bits in valid entries and random garbage
 *   in invalid ones, and keeps a reference model.  The whole IOVA space
 *   and random ranges are walked and every span checked against the model
 *   (contiguous, in order, covering the range; right GPA and prot; holes
 *   where nothing is mapped).
 * - Hand-made entries, over exactly their span: a table type other than
 *   the level's (region-first/second types included: more levels than
 *   declared), a region-third table length other than 3 or offset other
 *   than 0, the format-control (large page) bit, a segment-table origin
 *   not 16 KiB aligned and bit 0x800 of a page entry are RESERVED_BITS;
 *   ignored bits change nothing; invalid entries are holes whatever else
 *   they hold; the eight protection combinations give the expected prot.
 * - Tables outside guest memory give TABLE_FAULT over their span; an
 *   unreadable entry only over its own; tables pointing back at the root
 *   terminate; viommu_walk() refuses levels other than 3, IOVAs beyond
 *   2^42 - 1 and a root not 16 KiB aligned with -EINVAL.
 *
 * Output is TAP; the exit status is nonzero when any check fails.
 * "s390_zpci_test SEED" reruns the random tables of one seed alone.
 */
#include "fmt_harness.h"

#define MEM_BASE	0x240000000ULL	/* GPA of guest memory: 9 GiB */
#define MEM_SIZE	(16ULL << 20)
#define RT_SIZE		0x4000ULL	/* region-third and segment tables */
#define PT_SIZE		0x800ULL	/* page tables */
#define LEVELS		3
#define IOVA_TOP	(BIT_ULL(42) - 1)
#define NR_SEEDS	60
#define MAX_LEAVES	600
#define WALKS_PER_SEED	64

/* Entry bits, spelled out again rather than taken from the decoder. */
#define E_TT_RT		0x4ULL		/* table type: region-third */
#define E_TT_MASK	0xcULL
#define E_TL		0x3ULL		/* region-third: table length */
#define E_TF		0xc0ULL		/* region-third: table offset */
#define E_INVALID	0x20ULL		/* region-third and segment */
#define E_PROT		0x200ULL	/* at every level */
#define E_FC		0x400ULL	/* region-third and segment */
#define P_INVALID	0x400ULL
#define P_ZERO		0x800ULL
#define RTE_ADDR	(~0x3fffULL)
#define STE_ADDR	(~0x7ffULL)
#define PTE_ADDR	(~0xfffULL)
/* Ignored bits of valid entries. */
#define IGN_RTE		(0x10ULL | 0x100ULL | 0x800ULL)
#define IGN_STE		(0x3ULL | 0x10ULL | 0xc0ULL | 0x100ULL)
#define IGN_PTE		(0xffULL | 0x100ULL)

static struct h_ctx *c;

static unsigned int lvl_shift(unsigned int level)
{
	return level == 1 ? 12 : level == 2 ? 20 : 31;
}

static unsigned int lvl_index(u64 iova, unsigned int level)
{
	return (iova >> lvl_shift(level)) & (level == 1 ? 0xff : 0x7ff);
}

static u64 get_entry(u64 table, unsigned int idx)
{
	return be64toh(h_get_raw(c, table + idx * 8));
}

static void set_entry(u64 table, unsigned int idx, u64 val)
{
	h_set_raw(c, table + idx * 8, htobe64(val));
}

/*
 * A table for @level (the root is level 3): zeroed entries are valid and
 * would map, so it starts with all entries invalid, randomly garbled with
 * @garbage.  Returns 0 when memory is full.
 */
static u64 alloc_table(unsigned int level, bool garbage)
{
	u64 size = level == 1 ? PT_SIZE : RT_SIZE;
	u64 inval = level == 1 ? P_INVALID : E_INVALID;
	u64 gpa = h_alloc(c, size, size);
	unsigned int i;

	if (!gpa)
		return 0;
	for (i = 0; i < size / 8; i++)
		set_entry(gpa, i, (garbage ? rnd() : 0) | inval);
	return gpa;
}

/* A valid entry at @level (2 or 3) pointing to @table. */
static u64 table_entry(unsigned int level, u64 table)
{
	return level == 3 ? table | E_TT_RT | E_TL : table;
}

static void init_walk(struct viommu_walk *w, u64 root)
{
	memset(w, 0, sizeof(*w));
	w->fmt = &viommu_fmt_s390_zpci;
	w->cfg.levels = LEVELS;
	w->cfg.page_shift = 12;
	w->root = root;
	w->read = h_read;
	w->ctx = c;
	w->buf = &h_walk_buf;
}

/* ---- the encoder and its model ---- */

/*
 * Map the page at @iova to @gpa, creating tables as needed.  Returns false
 * when the page is already mapped or memory is full.
 */
static bool encode_page(u64 root, u64 iova, u64 gpa, struct h_leaf *out)
{
	u32 prot = VIOMMU_PROT_RW;
	u64 table = root, e;
	unsigned int l, idx;

	for (l = LEVELS; l > 1; l--) {
		idx = lvl_index(iova, l);
		e = get_entry(table, idx);
		if (e & E_INVALID) {
			u64 next = alloc_table(l - 1, chance(20));

			if (!next)
				return false;
			e = table_entry(l, next);
			if (chance(30))
				e |= rnd() & (l == 3 ? IGN_RTE : IGN_STE);
			if (chance(10))
				e |= E_PROT;
			set_entry(table, idx, e);
		}
		if (e & E_PROT)
			prot = VIOMMU_PROT_READ;
		table = e & (l == 3 ? RTE_ADDR : STE_ADDR);
	}

	idx = lvl_index(iova, 1);
	if (!(get_entry(table, idx) & P_INVALID))
		return false;
	e = gpa;
	if (chance(30))
		e |= rnd() & IGN_PTE;
	if (chance(35)) {
		e |= E_PROT;
		prot = VIOMMU_PROT_READ;
	}
	set_entry(table, idx, e);

	out->iova = iova;
	out->last = iova + 0xfff;
	out->gpa = gpa;
	out->prot = prot;
	return true;
}

/*
 * Build a random table; returns the number of leaves, sorted in @leaves.
 * Pages come alone or in runs (contiguous in IOVA, and often in GPA), at
 * IOVAs clustered around a few bases and the two ends of the space.
 */
static unsigned int build_random(u64 root, struct h_leaf *leaves)
{
	unsigned int want = 1 + rnd_below(MAX_LEAVES), n = 0, i, j, run;
	u64 bases[5];

	bases[0] = 0;
	bases[1] = IOVA_TOP - (8ULL << 30) + 1;
	for (i = 2; i < ARRAY_SIZE(bases); i++)
		bases[i] = rnd_below(IOVA_TOP) & ~((1ULL << 30) - 1);

	for (i = 0; i < want; i += run) {
		bool contig = chance(60);
		u64 iova, gpa;

		run = chance(70) ? 1 : 1 + rnd_below(32);
		if (chance(10))
			iova = rnd_below(IOVA_TOP);
		else
			iova = bases[rnd_below(ARRAY_SIZE(bases))] +
			       rnd_below(8ULL << 30);
		iova &= IOVA_TOP & ~0xfffULL;
		gpa = chance(50) ? MEM_BASE + rnd_below(MEM_SIZE) : rnd();
		gpa &= PTE_ADDR;

		for (j = 0; j < run && n < MAX_LEAVES; j++) {
			u64 page = gpa + (contig ? j << 12 : rnd() & PTE_ADDR);

			if (iova + ((u64)j << 12) > IOVA_TOP)
				break;
			if (encode_page(root, iova + ((u64)j << 12),
					page & PTE_ADDR, &leaves[n]))
				n++;
		}
	}
	qsort(leaves, n, sizeof(*leaves), h_cmp_leaf);
	return n;
}

static void test_random(u64 seed)
{
	static struct h_leaf leaves[MAX_LEAVES];
	unsigned int n, i, ro = 0;
	struct viommu_walk w;
	u64 root, iova, last;
	bool ok = true;

	rng_state = seed * 1000003 + 390;
	h_reset(c);
	root = alloc_table(3, chance(20));
	n = build_random(root, leaves);
	for (i = 0; i < n; i++)
		ro += leaves[i].prot == VIOMMU_PROT_READ;
	init_walk(&w, root);

	if (!h_walk_model(c, &w, leaves, n, 0, IOVA_TOP))
		ok = false;
	for (i = 0; ok && n && i < WALKS_PER_SEED; i++) {
		h_pick_range(leaves, n, IOVA_TOP, &iova, &last);
		/* The table does not change: the path may be kept. */
		w.leaf_only = chance(50);
		ok = h_walk_model(c, &w, leaves, n, iova, last);
	}
	check(ok, "s390-zpci: random table, seed %llu (%u pages, %u read-only, %llu KiB of tables)",
	      (unsigned long long)seed, n, ro,
	      (unsigned long long)(c->used >> 10));
}

/* ---- hand-made entries ---- */

/* Valid tables from @root down to the table at @level holding @iova. */
static u64 build_path(u64 root, u64 iova, unsigned int level)
{
	u64 table = root;
	unsigned int l;

	for (l = LEVELS; l > level; l--) {
		unsigned int idx = lvl_index(iova, l);
		u64 e = get_entry(table, idx);

		if (e & E_INVALID) {
			e = table_entry(l, alloc_table(l - 1, false));
			set_entry(table, idx, e);
		}
		table = e & (l == 3 ? RTE_ADDR : STE_ADDR);
	}
	return table;
}

/*
 * Put @entry at @level for @iova and check that a range around it (and one
 * inside it) reads as @what over exactly the entry's span, holes elsewhere.
 */
static bool entry_reads_as(u64 iova, unsigned int level, u64 entry,
			   const struct viommu_span *what)
{
	u64 size = BIT_ULL(lvl_shift(level));
	u64 start = iova & ~(size - 1), end = start + size - 1;
	struct viommu_span exp[3], in;
	struct viommu_walk w;
	unsigned int n;
	u64 root, table, x, y;

	h_reset(c);
	root = alloc_table(3, false);
	table = build_path(root, iova, level);
	set_entry(table, lvl_index(iova, level), entry);
	init_walk(&w, root);

	x = start >= 0x3000 ? start - 0x3000 : 0;
	y = end + 0x5000 <= IOVA_TOP ? end + 0x5000 : IOVA_TOP;
	n = h_expect_entry(exp, x, y, start, end, what);
	if (!h_walk_expect(c, &w, x, y, exp, n))
		return false;

	x = start + rnd_below(size / 2);
	y = x + rnd_below(size / 2);
	in = h_expect_inside(what, start, x, y);
	return h_walk_expect(c, &w, x, y, &in, 1);
}

static const struct viommu_span bad =
	H_REFUSED(0, 0, KVM_VIOMMU_REFUSED_RESERVED_BITS);
static const struct viommu_span hole = H_HOLE(0, 0);

static u64 rnd_iova(void)
{
	return rnd_below(IOVA_TOP);
}

static void test_types(void)
{
	static const u64 rt_bad_tt[] = { 0x0, 0x8, 0xc };
	static const u64 st_bad_tt[] = { 0x4, 0x8, 0xc };
	unsigned int i;
	bool ok = true;

	for (i = 0; ok && i < ARRAY_SIZE(rt_bad_tt); i++)
		ok = entry_reads_as(rnd_iova(), 3, (MEM_BASE + 0x100000) |
				    rt_bad_tt[i] | E_TL, &bad) &&
		     entry_reads_as(rnd_iova(), 3, (MEM_BASE + 0x100000) |
				    rt_bad_tt[i] | E_TL | E_INVALID, &hole);
	check(ok,
	      "s390-zpci: region-third entry of type 0x0/0x8/0xc is RESERVED_BITS (a hole if invalid)");

	ok = true;
	for (i = 0; ok && i < ARRAY_SIZE(st_bad_tt); i++)
		ok = entry_reads_as(rnd_iova(), 2, (MEM_BASE + 0x100000) |
				    st_bad_tt[i], &bad) &&
		     entry_reads_as(rnd_iova(), 2, (MEM_BASE + 0x100000) |
				    st_bad_tt[i] | E_INVALID, &hole);
	check(ok,
	      "s390-zpci: segment entry of type 0x4/0x8/0xc is RESERVED_BITS (a hole if invalid)");

	ok = true;
	for (i = 0; ok && i < 3; i++)
		ok = entry_reads_as(rnd_iova(), 3, (MEM_BASE + 0x100000) |
				    E_TT_RT | i, &bad);
	for (i = 1; ok && i < 4; i++)
		ok = entry_reads_as(rnd_iova(), 3, (MEM_BASE + 0x100000) |
				    E_TT_RT | E_TL | i << 6, &bad);
	check(ok,
	      "s390-zpci: region-third entry with table length != 3 or table offset != 0 is RESERVED_BITS");

	ok = entry_reads_as(rnd_iova(), 3, table_entry(3, MEM_BASE + 0x4000) |
			    E_FC, &bad) &&
	     entry_reads_as(rnd_iova(), 2, table_entry(2, MEM_BASE + 0x800) |
			    E_FC, &bad);
	check(ok,
	      "s390-zpci: format control (large page) in region-third or segment entry is RESERVED_BITS");

	ok = entry_reads_as(rnd_iova(), 3, table_entry(3, MEM_BASE + 0x1000),
			    &bad) &&
	     entry_reads_as(rnd_iova(), 3, table_entry(3, MEM_BASE + 0x2000),
			    &bad) &&
	     entry_reads_as(rnd_iova(), 3, table_entry(3, MEM_BASE + 0x3000),
			    &bad);
	check(ok, "s390-zpci: segment-table origin not 16 KiB aligned is RESERVED_BITS");

	{
		u64 gpa = 0x0123456789abc000ULL, iova = rnd_iova();
		struct viommu_span leaf = H_LEAF(0, 0, gpa, VIOMMU_PROT_RW);

		ok = entry_reads_as(iova, 1, gpa | P_ZERO, &bad) &&
		     entry_reads_as(iova, 1, gpa | P_ZERO | P_INVALID, &hole);
		check(ok,
		      "s390-zpci: page entry with bit 0x800 is RESERVED_BITS (a hole if invalid)");
		ok = entry_reads_as(iova, 1, gpa | IGN_PTE, &leaf);
		check(ok, "s390-zpci: page entry ignores bits 0x1ff but protection");
	}

	ok = true;
	for (i = 0; ok && i < 8; i++) {
		u64 junk = rnd();

		ok = entry_reads_as(rnd_iova(), 3, junk | E_INVALID, &hole) &&
		     entry_reads_as(rnd_iova(), 2, junk | E_INVALID, &hole) &&
		     entry_reads_as(rnd_iova(), 1, junk | P_INVALID, &hole);
	}
	check(ok, "s390-zpci: invalid entries are holes at every level, whatever else they hold");
}

/* Ignored bits of table entries do not change what is below them. */
static void test_ignored(void)
{
	u64 iova = rnd_iova() & ~0xfffULL, gpa = 0x7654321000ULL;
	struct viommu_span exp = H_LEAF(iova, iova + 0xfff, gpa,
					VIOMMU_PROT_RW);
	struct viommu_walk w;
	u64 root, st, pt;

	h_reset(c);
	root = alloc_table(3, false);
	st = alloc_table(2, false);
	/* A page table 2 KiB but not 4 KiB aligned. */
	h_alloc(c, PT_SIZE, PT_SIZE);
	pt = alloc_table(1, false);
	set_entry(root, lvl_index(iova, 3), table_entry(3, st) | IGN_RTE);
	set_entry(st, lvl_index(iova, 2), table_entry(2, pt) | IGN_STE);
	set_entry(pt, lvl_index(iova, 1), gpa);
	init_walk(&w, root);
	check((pt & 0xfff) == 0x800 &&
	      h_walk_expect(c, &w, iova, iova + 0xfff, &exp, 1),
	      "s390-zpci: ignored bits of region-third and segment entries, page table at 2 KiB alignment");
}

/* The protection bit at each of the three levels: eight combinations. */
static void test_prot(void)
{
	unsigned int combo;
	bool ok = true;

	for (combo = 0; ok && combo < 8; combo++) {
		u64 iova = rnd_iova() & ~0xfffULL, gpa = rnd() & PTE_ADDR;
		u32 prot = combo ? VIOMMU_PROT_READ : VIOMMU_PROT_RW;
		struct viommu_span exp = H_LEAF(iova, iova + 0xfff, gpa, prot);
		struct viommu_walk w;
		u64 root, st, pt;

		h_reset(c);
		root = alloc_table(3, false);
		st = alloc_table(2, false);
		pt = alloc_table(1, false);
		set_entry(root, lvl_index(iova, 3), table_entry(3, st) |
			  (combo & 4 ? E_PROT : 0));
		set_entry(st, lvl_index(iova, 2), table_entry(2, pt) |
			  (combo & 2 ? E_PROT : 0));
		set_entry(pt, lvl_index(iova, 1), gpa |
			  (combo & 1 ? E_PROT : 0));
		init_walk(&w, root);
		ok = h_walk_expect(c, &w, iova, iova + 0xfff, &exp, 1);
		if (!ok)
			diag("protection combination %u", combo);
	}
	check(ok,
	      "s390-zpci: protection in any of region-third, segment or page entry makes the page read-only");
}

static void test_table_fault(void)
{
	static const struct viommu_span fault =
		H_REFUSED(0, 0, KVM_VIOMMU_REFUSED_TABLE_FAULT);
	static const u64 outside[] = {
		0, MEM_BASE - RT_SIZE, MEM_BASE + MEM_SIZE, ~0x3fffULL,
	};
	unsigned int level, i;
	bool ok = true;

	for (level = 2; ok && level <= 3; level++)
		for (i = 0; ok && i < ARRAY_SIZE(outside); i++)
			ok = entry_reads_as(rnd_iova(), level,
					    table_entry(level, outside[i]),
					    &fault);
	check(ok, "s390-zpci: tables outside guest memory are TABLE_FAULT");

	{
		struct viommu_span exp = H_REFUSED(0x1000, IOVA_TOP,
					KVM_VIOMMU_REFUSED_TABLE_FAULT);
		struct viommu_walk w;

		h_reset(c);
		init_walk(&w, MEM_BASE + MEM_SIZE);
		check(h_walk_expect(c, &w, 0x1000, IOVA_TOP, &exp, 1),
		      "s390-zpci: root outside guest memory is TABLE_FAULT");
	}

	{
		u64 root, pt, base = 0x12345ULL << 20;
		struct viommu_span exp[] = {
			H_LEAF(base, base + 0x2fff, 0x100000000ULL,
			       VIOMMU_PROT_RW),
			H_REFUSED(base + 0x3000, base + 0x3fff,
				  KVM_VIOMMU_REFUSED_TABLE_FAULT),
			H_LEAF(base + 0x4000, base + 0xfffff,
			       0x100004000ULL, VIOMMU_PROT_RW),
		};
		struct viommu_walk w;

		h_reset(c);
		root = alloc_table(3, false);
		pt = build_path(root, base, 1);
		for (i = 0; i < 256; i++)
			set_entry(pt, i, 0x100000000ULL + i * 4096);
		c->fault_gpa = pt + 3 * 8;
		init_walk(&w, root);
		check(h_walk_expect(c, &w, base, base + 0xfffff, exp,
				    ARRAY_SIZE(exp)),
		      "s390-zpci: unreadable entry is TABLE_FAULT for its span only");
	}
}

static void test_cycles(void)
{
	u64 root, st, base = 7ULL << 31, m = 1ULL << 20;
	struct viommu_span exp[8];
	struct viommu_walk w;
	unsigned int i;

	/*
	 * A region-third entry pointing at the root as a segment table: the
	 * root's valid entries are region-third entries, of the wrong type
	 * there.
	 */
	h_reset(c);
	root = alloc_table(3, false);
	st = alloc_table(2, false);
	for (i = 0; i < RT_SIZE / 8; i++)	/* invalid as a page too */
		set_entry(root, i, E_INVALID | P_INVALID);
	set_entry(root, 0, table_entry(3, st));
	set_entry(root, 7, table_entry(3, root));
	exp[0] = (struct viommu_span)H_HOLE(0, base - 1);
	exp[1] = (struct viommu_span)H_REFUSED(base, base + m - 1,
				KVM_VIOMMU_REFUSED_RESERVED_BITS);
	exp[2] = (struct viommu_span)H_HOLE(base + m, base + 7 * m - 1);
	exp[3] = (struct viommu_span)H_REFUSED(base + 7 * m, base + 8 * m - 1,
				KVM_VIOMMU_REFUSED_RESERVED_BITS);
	exp[4] = (struct viommu_span)H_HOLE(base + 8 * m, base + 16 * m - 1);
	init_walk(&w, root);
	check(h_walk_expect(c, &w, 0, base + 16 * m - 1, exp, 5),
	      "s390-zpci: region-third entry pointing at the root terminates, refused");

	/*
	 * A segment entry pointing at the root as a page table: root[0] and
	 * root[7], valid region-third entries, read as pages of the segment
	 * table, under both region-third entries.
	 */
	set_entry(root, 7, table_entry(3, st));
	set_entry(st, 0, table_entry(2, root));
	for (i = 0; i < 2; i++) {
		u64 b = i ? base : 0;

		exp[4 * i] = (struct viommu_span)H_LEAF(b, b + 0xfff, st,
							VIOMMU_PROT_RW);
		exp[4 * i + 1] = (struct viommu_span)H_HOLE(b + 0x1000,
							    b + 0x6fff);
		exp[4 * i + 2] = (struct viommu_span)H_LEAF(b + 0x7000,
							    b + 0x7fff, st,
							    VIOMMU_PROT_RW);
		exp[4 * i + 3] = (struct viommu_span)H_HOLE(b + 0x8000,
							    i ? base + m - 1 :
							    base - 1);
	}
	check(h_walk_expect(c, &w, 0, base + m - 1, exp, 8),
	      "s390-zpci: segment entry pointing at the root terminates");
}

static unsigned long nr_emitted;

static int emit_count(void *opaque, const struct viommu_span *s)
{
	nr_emitted++;
	return 0;
}

static bool walk_einval(struct viommu_walk *w, u64 iova, u64 last)
{
	nr_emitted = 0;
	w->emit = emit_count;
	return viommu_walk(w, iova, last) == -EINVAL && !nr_emitted;
}

static void test_args(void)
{
	static const unsigned int bad_levels[] = { 0, 1, 2, 4, 5, 6, ~0u };
	static const u64 misaligned[] = { 8, 0x800, 0x1000, 0x2000, 0x3ff8 };
	struct viommu_fmt_cfg cfg = { .levels = LEVELS, .page_shift = 12 };
	u64 top = viommu_fmt_iova_last(&viommu_fmt_s390_zpci, &cfg);
	struct viommu_span exp = H_HOLE(0, IOVA_TOP);
	struct viommu_walk w;
	unsigned int i;
	u64 root;
	bool ok = true;

	h_reset(c);
	root = alloc_table(3, true);
	init_walk(&w, root);

	check(top == IOVA_TOP, "s390-zpci: iova_last is %#llx",
	      (unsigned long long)top);

	for (i = 0; i < ARRAY_SIZE(bad_levels); i++) {
		w.cfg.levels = bad_levels[i];
		if (!walk_einval(&w, 0, 0xfff)) {
			diag("levels %u accepted", bad_levels[i]);
			ok = false;
		}
	}
	w.cfg.levels = LEVELS;
	check(ok, "s390-zpci: levels other than 3 are -EINVAL");

	ok = walk_einval(&w, 0, IOVA_TOP + 1) &&
	     walk_einval(&w, IOVA_TOP + 1, IOVA_TOP + 1) &&
	     walk_einval(&w, 0, ~0ULL) && walk_einval(&w, 0x2000, 0x1fff) &&
	     h_walk_expect(c, &w, 0, IOVA_TOP, &exp, 1);
	check(ok, "s390-zpci: IOVAs beyond 2^42 - 1 are -EINVAL, [0, 2^42 - 1] is walked");

	ok = true;
	for (i = 0; i < ARRAY_SIZE(misaligned); i++) {
		w.root = root + misaligned[i];
		if (!walk_einval(&w, 0, 0xfff))
			ok = false;
	}
	check(ok, "s390-zpci: root not 16 KiB aligned is -EINVAL");
}

static void test_registry(void)
{
	const struct viommu_fmt *f = &viommu_fmt_s390_zpci;

	check(viommu_fmt_get(KVM_VIOMMU_FMT_S390_ZPCI) == f &&
	      (viommu_fmt_supported() & BIT_ULL(KVM_VIOMMU_FMT_S390_ZPCI)) &&
	      f->min_levels == 3 && f->max_levels == 3 &&
	      f->default_levels == 3 && f->root_align == RT_SIZE &&
	      f->min_page_shift == 12 && f->max_page_shift == 12 &&
	      f->default_page_shift == 12 && !f->windowed,
	      "registry: s390-zpci is format %u, 3 levels, 16 KiB root",
	      KVM_VIOMMU_FMT_S390_ZPCI);
}

int main(int argc, char **argv)
{
	u64 seed, first = 1, last = NR_SEEDS;

	if (argc > 1) {
		first = strtoull(argv[1], NULL, 0);
		last = first;
	}
	c = h_ctx_new(MEM_BASE, MEM_SIZE);

	if (argc <= 1) {
		rng_state = 1;
		test_registry();
		test_args();
		test_types();
		test_ignored();
		test_prot();
		test_table_fault();
		test_cycles();
	}
	for (seed = first; seed <= last; seed++)
		test_random(seed);

	h_ctx_free(c);
	return tap_done();
}
