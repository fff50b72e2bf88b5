// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace tests of the Arm LPAE stage-1 and stage-2 decoders
 * (virt/kvm/viommu/fmt/arm_lpae.c) under the shared walker, built with
 * ASan and UBSan by the Makefile here.
 *
 * Guest memory is an 8 MiB buffer at guest physical address MEM_BASE; the
 * read callback returns -EFAULT for any entry outside it or misaligned.
 * What is checked, for both stages with 3 and 4 levels:
 *
 * - Random tables (seeds 1..NR_SEEDS): an encoder independent of the
 *   decoder builds little-endian tables of 4 KiB pages, 2 MiB and 1 GiB
 *   blocks at random IOVAs, with random permissions (stage 1: AP[2] in
 *   leaves and APTable[1] in table descriptors; stage 2: all four S2AP
 *   values), random ignored bits in valid descriptors, random garbage in
 *   invalid ones and, rarely, AF = 0 leaves (holes); it keeps a reference
 *   model.  The whole IOVA space and random ranges are walked and every
 *   span checked against the model (contiguous, in order, covering the
 *   range; right GPA and prot; holes where nothing is mapped).
 * - Hand-made descriptors, over exactly their span: bits 51:48 of a table
 *   descriptor, 50:48 of a leaf, any bit below a block's alignment but
 *   nT, and 0b01 at level 1 or 4 are RESERVED_BITS; DBM, nT and the
 *   ignored bits change nothing; AF = 0 is a hole, but reserved bits win;
 *   every combination of AP[2] / APTable[1] per level, and of S2AP, gives
 *   the expected prot; invalid descriptors are holes at every level.
 * - Tables outside guest memory give TABLE_FAULT over their span; an
 *   unreadable entry only over its own; a table pointing back at the root
 *   terminates; viommu_walk() refuses 2 or 5 levels, ranges beyond
 *   2^39 - 1 or 2^48 - 1 and a misaligned root with -EINVAL.
 *
 * Output is TAP; the exit status is nonzero when any check fails.
 * "arm_lpae_test SEED" reruns the random tables of one seed alone.
 */
#include "fmt_harness.h"

#define MEM_BASE	0x240000000ULL	/* GPA of guest memory: 9 GiB */
#define MEM_SIZE	(8ULL << 20)
#define TABLE_SIZE	4096ULL
#define NR_SEEDS	40
#define MAX_LEAVES	300
#define WALKS_PER_SEED	64

/* Descriptor bits, spelled out again rather than taken from the decoder. */
#define D_VALID		BIT_ULL(0)
#define D_TYPE		GENMASK_ULL(1, 0)
#define D_TABLE		3ULL
#define D_PAGE		3ULL
#define D_BLOCK		1ULL
#define D_ADDR		GENMASK_ULL(47, 12)
#define D_S2AP_R	BIT_ULL(6)
#define D_AP2		BIT_ULL(7)	/* stage 1: read-only */
#define D_S2AP_W	BIT_ULL(7)
#define D_AF		BIT_ULL(10)
#define D_NT		BIT_ULL(16)
#define D_DBM		BIT_ULL(51)
#define D_APTABLE1	BIT_ULL(62)	/* stage 1: no write below */
/* Ignored bits of valid descriptors. */
#define IGN_TABLE_S1	(GENMASK_ULL(11, 2) | GENMASK_ULL(61, 52) | BIT_ULL(63))
#define IGN_TABLE_S2	(GENMASK_ULL(11, 2) | GENMASK_ULL(63, 52))
#define IGN_LEAF_S1	(GENMASK_ULL(6, 2) | GENMASK_ULL(9, 8) | BIT_ULL(11) | \
			 GENMASK_ULL(63, 51))
#define IGN_LEAF_S2	(GENMASK_ULL(5, 2) | GENMASK_ULL(9, 8) | BIT_ULL(11) | \
			 GENMASK_ULL(63, 51))

static struct h_ctx *c;

/* The table being tested: stage (1 or 2) and levels (3 or 4). */
struct tcase {
	unsigned int stage;
	unsigned int levels;
};

static const struct tcase tcases[] = {
	{ 1, 3 }, { 1, 4 }, { 2, 3 }, { 2, 4 },
};

static const struct viommu_fmt *fmt_of(unsigned int stage)
{
	return stage == 1 ? &viommu_fmt_arm_lpae_s1 : &viommu_fmt_arm_lpae_s2;
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
	return BIT_ULL(12 + 9 * levels) - 1;
}

static u64 get_entry(u64 table, unsigned int idx)
{
	return le64toh(h_get_raw(c, table + idx * 8));
}

static void set_entry(u64 table, unsigned int idx, u64 val)
{
	h_set_raw(c, table + idx * 8, htole64(val));
}

/* A zeroed (or, with @garbage, randomly invalid) table, or 0. */
static u64 alloc_table(bool garbage)
{
	u64 gpa = h_alloc(c, TABLE_SIZE, TABLE_SIZE);
	unsigned int i;

	if (gpa && garbage)
		for (i = 0; i < TABLE_SIZE / 8; i++)
			set_entry(gpa, i, rnd() & ~D_VALID);
	return gpa;
}

static void init_walk(struct viommu_walk *w, const struct tcase *t, u64 root)
{
	memset(w, 0, sizeof(*w));
	w->fmt = fmt_of(t->stage);
	w->cfg.levels = t->levels;
	w->cfg.page_shift = 12;
	w->root = root;
	w->read = h_read;
	w->ctx = c;
	w->buf = &h_walk_buf;
}

/* A random leaf descriptor's permission bits, and the prot they grant. */
static u64 rnd_perm(unsigned int stage, u32 *prot)
{
	u64 bits = 0;

	if (stage == 1) {
		*prot = VIOMMU_PROT_RW;
		if (chance(40)) {
			bits = D_AP2;
			*prot = VIOMMU_PROT_READ;
		}
		return bits;
	}
	*prot = 0;
	if (chance(70)) {
		bits |= D_S2AP_R;
		*prot |= VIOMMU_PROT_READ;
	}
	if (chance(60)) {
		bits |= D_S2AP_W;
		*prot |= VIOMMU_PROT_WRITE;
	}
	return bits;
}

/* ---- the encoder and its model ---- */

/*
 * Map @iova (aligned to the leaf size of @level) to @gpa, creating tables
 * as needed.  Returns 1 for a leaf added to @out, 2 for an AF = 0 leaf (a
 * hole in the model), 0 when the slot is taken (by a leaf above or
 * anything at @level) or memory is full.
 */
static int encode_leaf(const struct tcase *t, u64 root, u64 iova,
		       unsigned int level, u64 gpa, struct h_leaf *out)
{
	u64 ign_table = t->stage == 1 ? IGN_TABLE_S1 : IGN_TABLE_S2;
	u64 ign_leaf = t->stage == 1 ? IGN_LEAF_S1 : IGN_LEAF_S2;
	u32 prot, mask = VIOMMU_PROT_RW;
	u64 table = root, e;
	unsigned int l, idx;

	for (l = t->levels; l > level; l--) {
		idx = lvl_index(iova, l);
		e = get_entry(table, idx);
		if (!(e & D_VALID)) {
			u64 next = alloc_table(chance(20));

			if (!next)
				return 0;
			e = next | D_TABLE;
			if (chance(30))
				e |= rnd() & ign_table;
			if (t->stage == 1 && chance(15))
				e |= D_APTABLE1;
			set_entry(table, idx, e);
		} else if ((e & D_TYPE) != D_TABLE) {
			return 0;
		}
		if (t->stage == 1 && (e & D_APTABLE1))
			mask &= ~VIOMMU_PROT_WRITE;
		table = e & D_ADDR;
	}

	idx = lvl_index(iova, level);
	if (get_entry(table, idx) & D_VALID)
		return 0;
	e = gpa | (level == 1 ? D_PAGE : D_BLOCK) | rnd_perm(t->stage, &prot);
	if (chance(30))
		e |= rnd() & ign_leaf;
	if (level > 1 && chance(10))
		e |= D_NT;
	if (chance(95))
		e |= D_AF;
	set_entry(table, idx, e);
	if (!(e & D_AF))
		return 2;

	out->iova = iova;
	out->last = iova + (BIT_ULL(lvl_shift(level)) - 1);
	out->gpa = gpa;
	out->prot = prot & mask;
	return 1;
}

/*
 * Build a random table; returns the number of leaves, sorted in @leaves.
 * IOVAs cluster around a few bases (and the two ends of the address space)
 * so that tables are shared and ranges meet several leaves.
 */
static unsigned int build_random(const struct tcase *t, u64 root,
				 struct h_leaf *leaves, unsigned int *holes)
{
	unsigned int want = 1 + rnd_below(MAX_LEAVES), n = 0, i;
	u64 top = iova_top(t->levels), bases[5];

	*holes = 0;
	bases[0] = 0;
	bases[1] = top - (8ULL << 30) + 1;
	for (i = 2; i < ARRAY_SIZE(bases); i++)
		bases[i] = rnd_below(top) & ~((1ULL << 30) - 1);

	for (i = 0; i < want; i++) {
		unsigned int r = rnd_below(100);
		unsigned int level = r < 60 ? 1 : r < 90 ? 2 : 3;
		u64 size = BIT_ULL(lvl_shift(level));
		u64 iova, gpa;
		int ret;

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
			gpa = rnd() & D_ADDR;
		gpa &= ~(size - 1);

		ret = encode_leaf(t, root, iova, level, gpa, &leaves[n]);
		if (ret == 1)
			n++;
		else if (ret == 2)
			(*holes)++;
	}
	qsort(leaves, n, sizeof(*leaves), h_cmp_leaf);
	return n;
}

static void test_random(const struct tcase *t, u64 seed)
{
	static struct h_leaf leaves[MAX_LEAVES];
	u64 top = iova_top(t->levels), root, iova, last;
	unsigned int n, i, holes, prot_seen = 0;
	struct viommu_walk w;
	bool ok = true;

	rng_state = seed * 1000003 + t->stage * 16 + t->levels;
	h_reset(c);
	root = alloc_table(chance(20));
	n = build_random(t, root, leaves, &holes);
	for (i = 0; i < n; i++)
		prot_seen |= 1u << leaves[i].prot;
	init_walk(&w, t, root);

	if (!h_walk_model(c, &w, leaves, n, 0, top))
		ok = false;
	for (i = 0; ok && n && i < WALKS_PER_SEED; i++) {
		h_pick_range(leaves, n, top, &iova, &last);
		/* The table does not change: the path may be kept. */
		w.leaf_only = chance(50);
		ok = h_walk_model(c, &w, leaves, n, iova, last);
	}
	check(ok,
	      "arm-lpae-s%u %u levels: random table, seed %llu (%u leaves, %u AF=0, prot set %#x, %llu tables)",
	      t->stage, t->levels, (unsigned long long)seed, n, holes,
	      prot_seen, (unsigned long long)(c->used / TABLE_SIZE));
}

/* ---- hand-made descriptors ---- */

/*
 * Build the path of tables (plain table descriptors) from @root down to
 * the table at @level that holds @iova; returns that table's GPA.
 */
static u64 build_path(const struct tcase *t, u64 root, u64 iova,
		      unsigned int level)
{
	u64 table = root;
	unsigned int l;

	for (l = t->levels; l > level; l--) {
		unsigned int idx = lvl_index(iova, l);
		u64 e = get_entry(table, idx);

		if (!(e & D_VALID)) {
			e = alloc_table(false) | D_TABLE;
			set_entry(table, idx, e);
		}
		table = e & D_ADDR;
	}
	return table;
}

/*
 * Put @entry at @level for @iova and check that a range around it (and one
 * inside it) reads as @what over exactly the entry's span, holes elsewhere.
 */
static bool entry_reads_as(const struct tcase *t, u64 iova,
			   unsigned int level, u64 entry,
			   const struct viommu_span *what)
{
	u64 top = iova_top(t->levels), size = BIT_ULL(lvl_shift(level));
	u64 start = iova & ~(size - 1), end = start + size - 1;
	struct viommu_span exp[3], in;
	struct viommu_walk w;
	unsigned int n;
	u64 root, table, x, y;

	h_reset(c);
	root = alloc_table(false);
	table = build_path(t, root, iova, level);
	set_entry(table, lvl_index(iova, level), entry);
	init_walk(&w, t, root);

	/* From a bit before the entry to a bit after it. */
	x = start >= 0x3000 ? start - 0x3000 : 0;
	y = end + 0x5000 <= top && end + 0x5000 > end ? end + 0x5000 : top;
	n = h_expect_entry(exp, x, y, start, end > top ? top : end, what);
	if (!h_walk_expect(c, &w, x, y, exp, n))
		return false;

	/* Strictly inside the entry: clipped to the range. */
	x = start + rnd_below(size / 2);
	y = x + rnd_below(size / 2);
	if (y > top)
		y = top;
	in = h_expect_inside(what, start, x, y);
	return h_walk_expect(c, &w, x, y, &in, 1);
}

static const struct viommu_span bad =
	H_REFUSED(0, 0, KVM_VIOMMU_REFUSED_RESERVED_BITS);
static const struct viommu_span hole = H_HOLE(0, 0);

/* A leaf descriptor at @level mapping @gpa with full permissions. */
static u64 leaf_rw(const struct tcase *t, unsigned int level, u64 gpa)
{
	return gpa | (level == 1 ? D_PAGE : D_BLOCK) | D_AF |
	       (t->stage == 2 ? D_S2AP_R | D_S2AP_W : 0);
}

static u64 rnd_iova(const struct tcase *t)
{
	return rnd_below(iova_top(t->levels));
}

static void test_table_res0(const struct tcase *t)
{
	unsigned int level, bit;
	bool ok = true;

	for (level = 2; ok && level <= t->levels; level++)
		for (bit = 48; ok && bit <= 51; bit++)
			ok = entry_reads_as(t, rnd_iova(t), level,
					    (MEM_BASE + 0x10000) | BIT_ULL(bit) |
					    D_TABLE, &bad);
	check(ok, "arm-lpae-s%u %u levels: table descriptor with bit 48..51 set is RESERVED_BITS",
	      t->stage, t->levels);
}

static void test_leaf_bits(const struct tcase *t)
{
	unsigned int level, bit;

	for (level = 1; level <= 3; level++) {
		unsigned int shift = lvl_shift(level);
		u64 gpa = (0xabcdeULL << shift) & D_ADDR;
		u64 iova = rnd_iova(t), e = leaf_rw(t, level, gpa);
		struct viommu_span good = H_LEAF(0, 0, gpa, VIOMMU_PROT_RW);
		bool ok = true;

		for (bit = 48; ok && bit <= 50; bit++)
			ok = entry_reads_as(t, iova, level, e | BIT_ULL(bit),
					    &bad);
		for (bit = 12; ok && bit < shift; bit++)
			if (bit != 16)
				ok = entry_reads_as(t, iova, level,
						    e | BIT_ULL(bit), &bad);
		check(ok,
		      "arm-lpae-s%u %u levels: %s with bit 48..50 or an address bit below %u set is RESERVED_BITS",
		      t->stage, t->levels,
		      level == 1 ? "page" : level == 2 ? "2 MiB block" :
		      "1 GiB block", shift);

		ok = entry_reads_as(t, iova, level, e | D_DBM, &good) &&
		     entry_reads_as(t, iova, level,
				    e | (t->stage == 1 ? IGN_LEAF_S1 & ~D_AP2 :
					 IGN_LEAF_S2), &good);
		if (level > 1)
			ok = ok && entry_reads_as(t, iova, level, e | D_NT,
						  &good);
		check(ok, "arm-lpae-s%u %u levels: %s ignores DBM%s and the ignored bits",
		      t->stage, t->levels,
		      level == 1 ? "page" : level == 2 ? "2 MiB block" :
		      "1 GiB block", level > 1 ? ", nT" : "");

		/* AF = 0: a hole, unless something is refused first. */
		ok = entry_reads_as(t, iova, level, e & ~D_AF, &hole) &&
		     entry_reads_as(t, iova, level,
				    (e & ~D_AF) | BIT_ULL(49), &bad);
		if (level > 1)
			ok = ok && entry_reads_as(t, iova, level,
						  (e & ~D_AF) | BIT_ULL(13),
						  &bad);
		check(ok,
		      "arm-lpae-s%u %u levels: %s with AF = 0 is a hole (reserved bits still refused)",
		      t->stage, t->levels,
		      level == 1 ? "page" : level == 2 ? "2 MiB block" :
		      "1 GiB block");
	}
}

static void test_types(const struct tcase *t)
{
	u64 gpa = 0x000012345678f000ULL & D_ADDR, iova = rnd_iova(t);
	struct viommu_span page = H_LEAF(0, 0, gpa, VIOMMU_PROT_RW);
	unsigned int level;
	bool ok;

	ok = entry_reads_as(t, iova, 1, (leaf_rw(t, 1, gpa) & ~D_TYPE) |
			    D_BLOCK, &bad);
	check(ok, "arm-lpae-s%u %u levels: 0b01 at level 1 is RESERVED_BITS",
	      t->stage, t->levels);
	ok = entry_reads_as(t, iova, 1, leaf_rw(t, 1, gpa), &page);
	check(ok, "arm-lpae-s%u %u levels: 0b11 at level 1 is a page",
	      t->stage, t->levels);

	if (t->levels == 4) {
		ok = entry_reads_as(t, iova, 4, leaf_rw(t, 4, 0), &bad) &&
		     entry_reads_as(t, iova, 4,
				    leaf_rw(t, 4, 1ULL << 39), &bad);
		check(ok,
		      "arm-lpae-s%u 4 levels: 0b01 at level 4 (a 512 GiB block) is RESERVED_BITS",
		      t->stage);
	}

	ok = true;
	for (level = 1; ok && level <= t->levels; level++)
		ok = entry_reads_as(t, iova, level, ~D_VALID, &hole) &&
		     entry_reads_as(t, iova, level, rnd() & ~D_VALID, &hole) &&
		     entry_reads_as(t, iova, level, 2, &hole);
	check(ok, "arm-lpae-s%u %u levels: descriptors with bit 0 clear are holes at every level",
	      t->stage, t->levels);
}

/*
 * Every permission combination: for stage 1, AP[2] in the leaf times
 * APTable[1] (and APTable[0], ignored) in each table descriptor of the
 * path; for stage 2, the four S2AP values with all of bits 63:59 set in
 * the table descriptors.  Leaves at every level.
 */
static void test_perms(const struct tcase *t)
{
	unsigned int level, combo, l;
	bool ok = true;

	for (level = 1; ok && level <= 3; level++) {
		unsigned int ntables = t->levels - level;
		unsigned int ncombos = 4u << ntables;

		for (combo = 0; ok && combo < ncombos; combo++) {
			u64 iova = rnd_iova(t), gpa, root, table, e;
			unsigned int shift = lvl_shift(level);
			struct viommu_span exp[1];
			struct viommu_walk w;
			u32 prot;

			gpa = (rnd() << shift) & D_ADDR;
			h_reset(c);
			root = alloc_table(false);
			table = root;
			prot = VIOMMU_PROT_RW;
			for (l = t->levels; l > level; l--) {
				bool deny = combo & (4u << (t->levels - l));
				u64 next = alloc_table(false);

				e = next | D_TABLE;
				if (t->stage == 1) {
					e |= deny ? D_APTABLE1 : BIT_ULL(61);
					if (deny)
						prot &= ~VIOMMU_PROT_WRITE;
				} else {
					e |= GENMASK_ULL(63, 59);
				}
				set_entry(table, lvl_index(iova, l), e);
				table = next;
			}
			e = gpa | (level == 1 ? D_PAGE : D_BLOCK) | D_AF;
			if (t->stage == 1) {
				if (combo & 1)
					e |= D_AP2;
				if (combo & 2)
					e |= BIT_ULL(6);	/* AP[1] */
				if (combo & 1)
					prot &= ~VIOMMU_PROT_WRITE;
			} else {
				e |= (combo & 1 ? D_S2AP_R : 0) |
				     (combo & 2 ? D_S2AP_W : 0);
				prot = (combo & 1 ? VIOMMU_PROT_READ : 0) |
				       (combo & 2 ? VIOMMU_PROT_WRITE : 0);
			}
			set_entry(table, lvl_index(iova, level), e);

			iova &= ~(BIT_ULL(shift) - 1);
			exp[0] = (struct viommu_span)H_LEAF(iova,
				iova + BIT_ULL(shift) - 1, gpa, prot);
			init_walk(&w, t, root);
			ok = h_walk_expect(c, &w, iova, iova + BIT_ULL(shift) - 1,
					   exp, 1);
			if (!ok)
				diag("leaf at level %u, combination %#x", level,
				     combo);
		}
	}
	check(ok, "arm-lpae-s%u %u levels: %s",
	      t->stage, t->levels, t->stage == 1 ?
	      "AP[2] and APTable[1] at every level give the expected prot" :
	      "S2AP 00/01/10/11 give prot 0/R/W/RW, table bits 63:59 ignored");
}

static void test_table_fault(const struct tcase *t)
{
	static const struct viommu_span fault =
		H_REFUSED(0, 0, KVM_VIOMMU_REFUSED_TABLE_FAULT);
	static const u64 outside[] = {
		0, MEM_BASE - TABLE_SIZE, MEM_BASE + MEM_SIZE, D_ADDR,
	};
	u64 top = iova_top(t->levels);
	unsigned int level, i;
	bool ok = true;

	for (level = 2; ok && level <= t->levels; level++)
		for (i = 0; ok && i < ARRAY_SIZE(outside); i++)
			ok = entry_reads_as(t, rnd_iova(t), level,
					    outside[i] | D_TABLE |
					    (rnd() & GENMASK_ULL(11, 2)),
					    &fault);
	check(ok, "arm-lpae-s%u %u levels: tables outside guest memory are TABLE_FAULT",
	      t->stage, t->levels);

	/* Ignored low bits of a table descriptor do not move the table. */
	{
		u64 gpa = 0x123456000ULL, iova = rnd_iova(t) & ~0xfffULL;
		struct viommu_span exp = H_LEAF(iova, iova + 0xfff, gpa,
						VIOMMU_PROT_RW);
		struct viommu_walk w;
		u64 root, table, e;

		h_reset(c);
		root = alloc_table(false);
		table = build_path(t, root, iova, 2);
		e = alloc_table(false);
		set_entry(e, lvl_index(iova, 1), leaf_rw(t, 1, gpa));
		set_entry(table, lvl_index(iova, 2),
			  e | D_TABLE | GENMASK_ULL(11, 2));
		init_walk(&w, t, root);
		check(h_walk_expect(c, &w, iova, iova + 0xfff, &exp, 1),
		      "arm-lpae-s%u %u levels: bits 11:2 of a table descriptor are ignored",
		      t->stage, t->levels);
	}

	/* The root itself outside guest memory. */
	{
		struct viommu_span exp = H_REFUSED(0x1000, top,
					KVM_VIOMMU_REFUSED_TABLE_FAULT);
		struct viommu_walk w;

		h_reset(c);
		init_walk(&w, t, MEM_BASE + MEM_SIZE);
		check(h_walk_expect(c, &w, 0x1000, top, &exp, 1),
		      "arm-lpae-s%u %u levels: root outside guest memory is TABLE_FAULT",
		      t->stage, t->levels);
	}

	/* One unreadable entry in a table of pages. */
	{
		u64 root, table, base = (0x54321ULL << 21) & iova_top(t->levels);
		struct viommu_span exp[] = {
			H_LEAF(base, base + 0x2fff, 0x100000000ULL,
			       VIOMMU_PROT_RW),
			H_REFUSED(base + 0x3000, base + 0x3fff,
				  KVM_VIOMMU_REFUSED_TABLE_FAULT),
			H_LEAF(base + 0x4000, base + 0x1fffff,
			       0x100004000ULL, VIOMMU_PROT_RW),
		};
		struct viommu_walk w;

		h_reset(c);
		root = alloc_table(false);
		table = build_path(t, root, base, 1);
		for (i = 0; i < 512; i++)
			set_entry(table, i,
				  leaf_rw(t, 1, 0x100000000ULL + i * 4096));
		c->fault_gpa = table + 3 * 8;
		init_walk(&w, t, root);
		check(h_walk_expect(c, &w, base, base + 0x1fffff, exp,
				    ARRAY_SIZE(exp)),
		      "arm-lpae-s%u %u levels: unreadable entry is TABLE_FAULT for its span only",
		      t->stage, t->levels);
	}
}

static void test_cycles(const struct tcase *t)
{
	u64 top = iova_top(t->levels), root, tbl, base;
	struct viommu_span exp[3];
	struct viommu_walk w;

	/* root[0] -> root: every level reads the root again, as pages. */
	h_reset(c);
	root = alloc_table(false);
	set_entry(root, 0, root | D_TABLE | D_AF |
		  (t->stage == 2 ? D_S2AP_R : 0));
	exp[0] = (struct viommu_span)H_LEAF(0, 0xfff, root,
					    t->stage == 1 ? VIOMMU_PROT_RW :
					    VIOMMU_PROT_READ);
	exp[1] = (struct viommu_span)H_HOLE(0x1000, top);
	init_walk(&w, t, root);
	check(h_walk_expect(c, &w, 0, top, exp, 2),
	      "arm-lpae-s%u %u levels: root pointing to itself terminates",
	      t->stage, t->levels);

	/*
	 * A level 2 descriptor pointing back at the root, read as a table of
	 * pages: root[0], a table descriptor with AF and S2AP[0] set in its
	 * ignored bits, is then a page mapping the next table.
	 */
	h_reset(c);
	root = alloc_table(false);
	base = 5ULL << 21;
	tbl = build_path(t, root, base, 2);
	set_entry(root, 0, get_entry(root, 0) | D_AF | D_S2AP_R);
	set_entry(tbl, 5, root | D_TABLE);
	exp[0] = (struct viommu_span)H_HOLE(0, base - 1);
	exp[1] = (struct viommu_span)H_LEAF(base, base + 0xfff,
					    get_entry(root, 0) & D_ADDR,
					    t->stage == 1 ? VIOMMU_PROT_RW :
					    VIOMMU_PROT_READ);
	exp[2] = (struct viommu_span)H_HOLE(base + 0x1000, top);
	init_walk(&w, t, root);
	check(h_walk_expect(c, &w, 0, top, exp, 3),
	      "arm-lpae-s%u %u levels: table pointing back at the root terminates",
	      t->stage, t->levels);
}

static unsigned long nr_emitted;

static int emit_count(void *opaque, const struct viommu_span *s)
{
	nr_emitted++;
	return 0;
}

/* viommu_walk() over [iova, last] returns -EINVAL without emitting. */
static bool walk_einval(struct viommu_walk *w, u64 iova, u64 last)
{
	nr_emitted = 0;
	w->emit = emit_count;
	return viommu_walk(w, iova, last) == -EINVAL && !nr_emitted;
}

static void test_args(const struct tcase *t)
{
	static const unsigned int bad_levels[] = { 0, 1, 2, 5, 6, 7, ~0u };
	static const u64 misaligned[] = { 8, 0x800, 0xff8 };
	struct viommu_fmt_cfg cfg = { .levels = t->levels, .page_shift = 12 };
	u64 top = viommu_fmt_iova_last(fmt_of(t->stage), &cfg);
	struct viommu_span exp = H_HOLE(0, 0);
	struct viommu_walk w;
	unsigned int i;
	u64 root;
	bool ok;

	h_reset(c);
	root = alloc_table(false);
	init_walk(&w, t, root);

	check(top == iova_top(t->levels),
	      "arm-lpae-s%u %u levels: iova_last is %#llx", t->stage,
	      t->levels, (unsigned long long)top);

	ok = true;
	for (i = 0; i < ARRAY_SIZE(bad_levels); i++) {
		w.cfg.levels = bad_levels[i];
		if (!walk_einval(&w, 0, 0xfff)) {
			diag("levels %u accepted", bad_levels[i]);
			ok = false;
		}
	}
	w.cfg.levels = t->levels;
	check(ok, "arm-lpae-s%u: levels other than 3 and 4 are -EINVAL",
	      t->stage);

	ok = walk_einval(&w, 0, top + 1) && walk_einval(&w, top + 1, top + 1) &&
	     walk_einval(&w, 0, ~0ULL) && walk_einval(&w, 0x2000, 0x1fff);
	exp.last = top;
	ok = ok && h_walk_expect(c, &w, 0, top, &exp, 1);
	check(ok,
	      "arm-lpae-s%u %u levels: IOVAs beyond iova_last are -EINVAL, [0, iova_last] is walked",
	      t->stage, t->levels);

	ok = true;
	for (i = 0; i < ARRAY_SIZE(misaligned); i++) {
		w.root = root + misaligned[i];
		if (!walk_einval(&w, 0, 0xfff))
			ok = false;
	}
	check(ok, "arm-lpae-s%u %u levels: misaligned root is -EINVAL",
	      t->stage, t->levels);
}

static void test_registry(void)
{
	u64 mask = viommu_fmt_supported();
	unsigned int stage;

	for (stage = 1; stage <= 2; stage++) {
		const struct viommu_fmt *f = fmt_of(stage);
		u32 num = stage == 1 ? KVM_VIOMMU_FMT_ARM_LPAE_S1 :
				       KVM_VIOMMU_FMT_ARM_LPAE_S2;

		check(viommu_fmt_get(num) == f && (mask & BIT_ULL(num)) &&
		      f->min_levels == 3 && f->max_levels == 4 &&
		      f->default_levels == 4 && f->root_align == 4096 &&
		      f->min_page_shift == 12 && f->max_page_shift == 12 &&
		      f->default_page_shift == 12 && !f->windowed,
		      "registry: arm-lpae-s%u is format %u, levels 3..4 (default 4), 4 KiB root",
		      stage, num);
	}
}

int main(int argc, char **argv)
{
	u64 seed, first = 1, last = NR_SEEDS;
	unsigned int i;

	if (argc > 1) {
		first = strtoull(argv[1], NULL, 0);
		last = first;
	}
	c = h_ctx_new(MEM_BASE, MEM_SIZE);

	if (argc <= 1) {
		rng_state = 1;
		test_registry();
		for (i = 0; i < ARRAY_SIZE(tcases); i++) {
			test_args(&tcases[i]);
			test_types(&tcases[i]);
			test_table_res0(&tcases[i]);
			test_leaf_bits(&tcases[i]);
			test_perms(&tcases[i]);
			test_table_fault(&tcases[i]);
			test_cycles(&tcases[i]);
		}
	}
	for (seed = first; seed <= last; seed++)
		for (i = 0; i < ARRAY_SIZE(tcases); i++)
			test_random(&tcases[i], seed);

	h_ctx_free(c);
	return tap_done();
}
