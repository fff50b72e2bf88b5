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
 *   decoder builds tables of 4 KiB, 2 MiB and 1 GiB leaves at random IOVAs,
 *   with random R/W at every level, random ignored bits in present entries
 *   and random garbage in non-present ones, and keeps a reference model
 *   (the sorted list of leaves).  Random ranges are then walked and every
 *   span checked against the model: spans are contiguous, increasing and
 *   cover exactly [iova, last]; a LEAF span lies in one leaf, with the
 *   leaf's GPA at the span start and prot = AND of R/W along the path
 *   (read always set); a HOLE meets no leaf; nothing is refused.
 * - Malformed tables are refused, never mapped: PS in a PML4E or PML5E and
 *   reserved bits 13..20 of a 2 MiB leaf or 13..29 of a 1 GiB leaf give
 *   RESERVED_BITS; a table outside guest memory (or an unreadable entry)
 *   gives TABLE_FAULT over exactly that entry's span clipped to the range;
 *   tables pointing back at the root terminate with the expected spans.
 * - viommu_walk() arguments: -EINVAL for 3 or 6 levels, last < iova, last
 *   beyond viommu_fmt_iova_last() and a misaligned root, without emitting;
 *   a nonzero emit return stops the walk and is returned.
 * - viommu_fmt_get() and viommu_fmt_supported() agree.
 *
 * Output is TAP; the exit status is nonzero when any check fails.  A
 * failing random check names its seed; "fmt_test SEED" reruns that seed
 * alone.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "viommu_fmt.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define MEM_BASE	0x240000000ULL	/* GPA of guest memory: 9 GiB */
#define MEM_SIZE	(8ULL << 20)
#define TABLE_SIZE	4096ULL
#define NR_SEEDS	200
#define MAX_LEAVES	300
#define WALKS_PER_SEED	64
#define MAX_SPANS	4096

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

/* ---- TAP runner ---- */

static unsigned int nr_checks;
static unsigned int nr_failed;
static char diags[8192];	/* diag() lines, printed after the next check */
static size_t diags_len;

static void check(bool ok, const char *fmt, ...)
{
	va_list ap;

	nr_checks++;
	if (!ok)
		nr_failed++;
	printf("%sok %u ", ok ? "" : "not ", nr_checks);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fputs(diags, stdout);
	diags[0] = 0;
	diags_len = 0;
	fflush(stdout);
}

static void diag(const char *fmt, ...)
{
	size_t room = sizeof(diags) - diags_len;
	va_list ap;
	int len;

	if (room < 4)
		return;
	len = snprintf(diags + diags_len, room, "# ");
	va_start(ap, fmt);
	len += vsnprintf(diags + diags_len + len, room - len, fmt, ap);
	va_end(ap);
	if ((size_t)len + 1 < room) {
		diags[diags_len + len] = '\n';
		diags[diags_len + len + 1] = 0;
		diags_len += len + 1;
	} else {
		diags_len = sizeof(diags) - 1;
	}
}

/* ---- deterministic random numbers (splitmix64) ---- */

static u64 rng_state;

static u64 rnd(void)
{
	u64 z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform enough in [0, n); 0 when n is 0. */
static u64 rnd_below(u64 n)
{
	return n ? rnd() % n : 0;
}

static bool chance(unsigned int percent)
{
	return rnd_below(100) < percent;
}

/* ---- guest memory and the walk context ---- */

/* One leaf of the reference model. */
struct leaf {
	u64 iova;
	u64 last;
	u64 gpa;
	u32 prot;
};

struct ctx {
	u8 *mem;		/* MEM_SIZE bytes at GPA MEM_BASE */
	u64 used;		/* bytes handed out as tables */
	u64 fault_gpa;		/* an entry whose read fails, or ~0 */
	unsigned long reads;

	/* emit_model(): the leaves, sorted, and the walk being checked */
	const struct leaf *leaves;
	unsigned int nr_leaves;
	unsigned int cur;
	u64 next;		/* IOVA the next span must start at */
	u64 last;
	bool done;		/* a span ended at last */
	bool bad;
	char why[256];

	/* emit_record() */
	struct viommu_span spans[MAX_SPANS];
	unsigned int nr_spans;
	bool overflow;

	/* emit_stop() */
	unsigned long emitted;
	unsigned long stop_at;
	int stop_ret;
};

static int mem_read(void *opaque, u64 gpa, u64 *raw)
{
	struct ctx *c = opaque;

	c->reads++;
	if (gpa & 7 || gpa < MEM_BASE || gpa - MEM_BASE > MEM_SIZE - 8 ||
	    gpa == c->fault_gpa)
		return -EFAULT;
	memcpy(raw, c->mem + (gpa - MEM_BASE), sizeof(*raw));
	return 0;
}

static void reset_mem(struct ctx *c)
{
	memset(c->mem, 0, c->used);
	c->used = 0;
	c->fault_gpa = ~0ULL;
}

/* A zeroed (or, with @garbage, randomly non-present) table, or 0. */
static u64 alloc_table(struct ctx *c, bool garbage)
{
	u64 gpa = MEM_BASE + c->used;
	unsigned int i;

	if (c->used + TABLE_SIZE > MEM_SIZE)
		return 0;
	c->used += TABLE_SIZE;
	if (garbage) {
		for (i = 0; i < TABLE_SIZE / 8; i++) {
			u64 e = htole64(rnd() & ~PTE_P);

			memcpy(c->mem + (gpa - MEM_BASE) + i * 8, &e, 8);
		}
	}
	return gpa;
}

static u64 get_entry(struct ctx *c, u64 table, unsigned int idx)
{
	u64 e;

	memcpy(&e, c->mem + (table - MEM_BASE) + idx * 8, 8);
	return le64toh(e);
}

static void set_entry(struct ctx *c, u64 table, unsigned int idx, u64 val)
{
	u64 e = htole64(val);

	memcpy(c->mem + (table - MEM_BASE) + idx * 8, &e, 8);
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

static void init_walk(struct viommu_walk *w, struct ctx *c,
		      unsigned int levels, u64 root,
		      int (*emit)(void *, const struct viommu_span *))
{
	memset(w, 0, sizeof(*w));
	w->fmt = &viommu_fmt_x86_64;
	w->cfg.levels = levels;
	w->cfg.page_shift = 12;
	w->root = root;
	w->read = mem_read;
	w->emit = emit;
	w->ctx = c;
}

static const char *kind_name(enum viommu_span_kind kind)
{
	switch (kind) {
	case VIOMMU_SPAN_HOLE:
		return "HOLE";
	case VIOMMU_SPAN_LEAF:
		return "LEAF";
	case VIOMMU_SPAN_REFUSED:
		return "REFUSED";
	}
	return "?";
}

static void print_span(const char *what, const struct viommu_span *s)
{
	diag("  %s %s [%#llx, %#llx] gpa %#llx prot %u refusal %u", what,
	     kind_name(s->kind), (unsigned long long)s->iova,
	     (unsigned long long)s->last, (unsigned long long)s->gpa,
	     s->prot, s->refusal);
}

/* ---- the encoder and its model ---- */

/*
 * Map @iova (aligned to the leaf size of @level) to @gpa, creating tables as
 * needed.  Returns false, changing nothing that matters, when the slot is
 * already taken (by a leaf above or anything at @level) or memory is full.
 */
static bool encode_leaf(struct ctx *c, unsigned int levels, u64 root,
			u64 iova, unsigned int level, u64 gpa,
			struct leaf *out)
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
	if (chance(60))
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

static int cmp_leaf(const void *a, const void *b)
{
	const struct leaf *x = a, *y = b;

	return x->iova < y->iova ? -1 : x->iova > y->iova;
}

/*
 * Build a random table; returns the number of leaves, sorted in @leaves.
 * IOVAs cluster around a few bases (and the two ends of the address space)
 * so that tables are shared and ranges meet several leaves.
 */
static unsigned int build_random(struct ctx *c, unsigned int levels,
				 u64 root, struct leaf *leaves)
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
			gpa = rnd() & PTE_ADDR;
		gpa &= ~(size - 1);

		if (encode_leaf(c, levels, root, iova, level, gpa, &leaves[n]))
			n++;
	}
	qsort(leaves, n, sizeof(*leaves), cmp_leaf);
	return n;
}

/* ---- checking a walk against the model, span by span ---- */

static int model_fail(struct ctx *c, const struct viommu_span *s,
		      const char *fmt, ...)
{
	va_list ap;
	int len;

	c->bad = true;
	len = snprintf(c->why, sizeof(c->why),
		       "%s [%#llx, %#llx] gpa %#llx prot %u refusal %u: ",
		       kind_name(s->kind), (unsigned long long)s->iova,
		       (unsigned long long)s->last, (unsigned long long)s->gpa,
		       s->prot, s->refusal);
	if (len < 0 || len >= (int)sizeof(c->why))
		return 1;
	va_start(ap, fmt);
	vsnprintf(c->why + len, sizeof(c->why) - len, fmt, ap);
	va_end(ap);
	return 1;
}

static int emit_model(void *opaque, const struct viommu_span *s)
{
	struct ctx *c = opaque;
	const struct leaf *l;

	if (c->done)
		return model_fail(c, s, "span after the end of the range");
	if (s->iova != c->next)
		return model_fail(c, s, "expected to start at %#llx",
				  (unsigned long long)c->next);
	if (s->last < s->iova || s->last > c->last)
		return model_fail(c, s, "bad end (range ends at %#llx)",
				  (unsigned long long)c->last);

	while (c->cur < c->nr_leaves && c->leaves[c->cur].last < s->iova)
		c->cur++;
	l = c->cur < c->nr_leaves ? &c->leaves[c->cur] : NULL;

	switch (s->kind) {
	case VIOMMU_SPAN_HOLE:
		if (l && l->iova <= s->last)
			return model_fail(c, s, "hole over leaf at %#llx",
					  (unsigned long long)l->iova);
		break;
	case VIOMMU_SPAN_LEAF:
		if (!l || l->iova > s->iova || l->last < s->last)
			return model_fail(c, s, "not inside one leaf");
		if (s->gpa != l->gpa + (s->iova - l->iova))
			return model_fail(c, s, "leaf [%#llx] maps gpa %#llx",
					  (unsigned long long)l->iova,
					  (unsigned long long)l->gpa);
		if (s->prot != l->prot)
			return model_fail(c, s, "expected prot %u", l->prot);
		break;
	default:
		return model_fail(c, s, "refused in a well-formed table");
	}

	if (s->last == c->last)
		c->done = true;
	else
		c->next = s->last + 1;
	c->emitted++;
	return 0;
}

/* Walk [iova, last] and check it; on failure print why and return false. */
static bool walk_model(struct ctx *c, const struct viommu_walk *w,
		       const struct leaf *leaves, unsigned int n,
		       u64 iova, u64 last)
{
	int ret;

	c->leaves = leaves;
	c->nr_leaves = n;
	c->cur = 0;
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

/* A random distance, of any order of magnitude (rarely a huge one). */
static u64 jitter(void)
{
	switch (rnd_below(16)) {
	case 0 ... 3:
		return 0;
	case 4 ... 6:
		return rnd_below(4096);
	case 7 ... 10:
		return rnd_below(64) << 12;
	case 11 ... 13:
		return rnd_below(1ULL << 30) & ~0xfffULL;
	case 14:
		return rnd_below(1ULL << 39) & ~0xfffULL;
	default:
		return rnd_below(1ULL << 48);
	}
}

/*
 * A range to walk: mostly near leaves, sometimes anywhere.  Huge ranges
 * visit every table, so they are kept rare to keep the run short (each
 * seed also walks the whole address space once).
 */
static void pick_range(const struct leaf *leaves, unsigned int n, u64 top,
		       u64 *first, u64 *last)
{
	unsigned int i = rnd_below(n), j = i + rnd_below(8);
	const struct leaf *a = &leaves[i];
	const struct leaf *b = &leaves[j < n ? j : n - 1];
	unsigned int r = rnd_below(16);
	u64 x, y;

	if (!r) {			/* random pages */
		x = rnd_below(top) & ~0xfffULL;
		y = rnd_below(top) | 0xfff;
		if (y < x) {
			u64 t = x;

			x = y & ~0xfffULL;
			y = t | 0xfff;
		}
	} else if (r < 9) {		/* around one leaf, or a few */
		if (r < 5)
			b = a;
		x = a->iova - jitter();
		if (x > a->iova)
			x = 0;
		y = b->last + jitter();
		if (y < b->last)
			y = top;
	} else if (r < 12) {		/* random bytes inside a leaf */
		x = a->iova + rnd_below(a->last - a->iova + 1);
		y = x + rnd_below(a->last - x + 1);
	} else {			/* a few bytes across a leaf boundary */
		x = (chance(50) ? a->iova : a->last + 1) - rnd_below(8);
		y = x + rnd_below(16);
	}
	if (x > top)
		x = top;
	if (y > top || y < x)
		y = top;
	*first = x;
	*last = y;
}

static void test_random(struct ctx *c, unsigned int levels, u64 seed)
{
	static struct leaf leaves[MAX_LEAVES];
	struct viommu_walk w;
	u64 top = iova_top(levels), root, iova, last;
	unsigned int n, i;
	bool ok = true;

	rng_state = seed * 1000003 + levels;
	reset_mem(c);
	root = alloc_table(c, chance(20));
	n = build_random(c, levels, root, leaves);
	init_walk(&w, c, levels, root, emit_model);

	if (!walk_model(c, &w, leaves, n, 0, top))
		ok = false;
	for (i = 0; ok && n && i < WALKS_PER_SEED; i++) {
		pick_range(leaves, n, top, &iova, &last);
		ok = walk_model(c, &w, leaves, n, iova, last);
	}
	check(ok, "x86-64 %u levels: random table, seed %llu (%u leaves, %llu tables)",
	      levels, (unsigned long long)seed, n,
	      (unsigned long long)(c->used / TABLE_SIZE));
}

/* ---- exact expectations, for hand-made tables ---- */

static int emit_record(void *opaque, const struct viommu_span *s)
{
	struct ctx *c = opaque;

	if (c->nr_spans == MAX_SPANS) {
		c->overflow = true;
		return -E2BIG;
	}
	c->spans[c->nr_spans++] = *s;
	return 0;
}

static bool same_meaning(const struct viommu_span *a,
			 const struct viommu_span *b)
{
	if (a->kind != b->kind || a->last + 1 != b->iova)
		return false;
	switch (a->kind) {
	case VIOMMU_SPAN_HOLE:
		return true;
	case VIOMMU_SPAN_LEAF:
		return a->prot == b->prot &&
		       a->gpa + (a->last - a->iova) + 1 == b->gpa;
	default:
		return a->refusal == b->refusal;
	}
}

/*
 * Walk [iova, last] and compare with @exp, after merging neighbouring spans
 * that mean the same (the walker reports one span per entry it visits).
 */
static bool walk_expect(struct ctx *c, unsigned int levels, u64 root,
			u64 iova, u64 last, const struct viommu_span *exp,
			unsigned int nr_exp)
{
	struct viommu_walk w;
	unsigned int i, n = 0;
	u64 next = iova;
	int ret;

	init_walk(&w, c, levels, root, emit_record);
	c->nr_spans = 0;
	c->overflow = false;
	ret = viommu_walk(&w, iova, last);
	if (ret) {
		diag("walk [%#llx, %#llx] returned %d%s",
		     (unsigned long long)iova, (unsigned long long)last, ret,
		     c->overflow ? " (too many spans)" : "");
		return false;
	}
	for (i = 0; i < c->nr_spans; i++) {
		struct viommu_span *s = &c->spans[i];

		if (s->iova != next || s->last < s->iova || s->last > last) {
			diag("walk [%#llx, %#llx]: span %u out of order",
			     (unsigned long long)iova,
			     (unsigned long long)last, i);
			print_span("got", s);
			return false;
		}
		next = s->last + 1;
		if (n && same_meaning(&c->spans[n - 1], s))
			c->spans[n - 1].last = s->last;
		else
			c->spans[n++] = *s;
	}

	for (i = 0; i < n || i < nr_exp; i++) {
		const struct viommu_span *g = i < n ? &c->spans[i] : NULL;
		const struct viommu_span *e = i < nr_exp ? &exp[i] : NULL;

		if (g && e && g->kind == e->kind && g->iova == e->iova &&
		    g->last == e->last &&
		    (g->kind != VIOMMU_SPAN_LEAF ||
		     (g->gpa == e->gpa && g->prot == e->prot)) &&
		    (g->kind != VIOMMU_SPAN_REFUSED ||
		     g->refusal == e->refusal))
			continue;
		diag("walk [%#llx, %#llx]: span %u differs",
		     (unsigned long long)iova, (unsigned long long)last, i);
		if (e)
			print_span("expected", e);
		if (g)
			print_span("got     ", g);
		return false;
	}
	return true;
}

#define HOLE(a, b)	{ .kind = VIOMMU_SPAN_HOLE, .iova = (a), .last = (b) }
#define REFUSED(a, b, why) \
	{ .kind = VIOMMU_SPAN_REFUSED, .iova = (a), .last = (b), \
	  .refusal = (why) }
#define LEAF(a, b, g, p) \
	{ .kind = VIOMMU_SPAN_LEAF, .iova = (a), .last = (b), .gpa = (g), \
	  .prot = (p) }

/*
 * Build the path of tables from @root down to the table at @level that
 * holds @iova; returns that table's GPA.
 */
static u64 build_path(struct ctx *c, unsigned int levels, u64 root,
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
static bool entry_reads_as(struct ctx *c, unsigned int levels, u64 iova,
			   unsigned int level, u64 entry,
			   const struct viommu_span *what)
{
	u64 top = iova_top(levels), size = BIT_ULL(lvl_shift(level));
	u64 start = iova & ~(size - 1), end = start + size - 1;
	u64 root, table, x, y;
	struct viommu_span exp[3], in;
	unsigned int n = 0;

	reset_mem(c);
	root = alloc_table(c, false);
	table = build_path(c, levels, root, iova, level);
	set_entry(c, table, lvl_index(iova, level), entry);

	/* From a bit before the entry to a bit after it. */
	x = start >= 0x3000 ? start - 0x3000 : 0;
	y = end + 0x5000 <= top && end + 0x5000 > end ? end + 0x5000 : top;
	if (x < start)
		exp[n++] = (struct viommu_span)HOLE(x, start - 1);
	exp[n] = *what;
	exp[n].iova = start;
	exp[n].last = end > top ? top : end;
	if (what->kind == VIOMMU_SPAN_LEAF)
		exp[n].gpa = what->gpa;
	n++;
	if (end < y)
		exp[n++] = (struct viommu_span)HOLE(end + 1, y);
	if (what->kind == VIOMMU_SPAN_HOLE) {
		exp[0] = (struct viommu_span)HOLE(x, y);
		n = 1;
	}
	if (!walk_expect(c, levels, root, x, y, exp, n))
		return false;

	/* Strictly inside the entry: clipped to the range. */
	x = start + rnd_below(size / 2);
	y = x + rnd_below(size / 2);
	if (y > top)
		y = top;
	in = *what;
	in.iova = x;
	in.last = y;
	if (what->kind == VIOMMU_SPAN_LEAF)
		in.gpa = what->gpa + (x - start);
	return walk_expect(c, levels, root, x, y, &in, 1);
}

static void test_ps_high(struct ctx *c)
{
	static const struct viommu_span bad =
		REFUSED(0, 0, KVM_VIOMMU_REFUSED_RESERVED_BITS);
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

static void test_large_leaf_bits(struct ctx *c)
{
	static const struct viommu_span bad =
		REFUSED(0, 0, KVM_VIOMMU_REFUSED_RESERVED_BITS);
	unsigned int levels, level, bit;

	for (levels = 4; levels <= 5; levels++) {
		for (level = 2; level <= 3; level++) {
			unsigned int shift = lvl_shift(level);
			u64 gpa = (0xabcdeULL << shift) & PTE_ADDR;
			u64 iova = rnd_below(iova_top(levels));
			struct viommu_span good = LEAF(0, 0, gpa, VIOMMU_PROT_RW);
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

static void test_small_entries(struct ctx *c)
{
	static const struct viommu_span hole = HOLE(0, 0);
	unsigned int levels, level;

	for (levels = 4; levels <= 5; levels++) {
		u64 iova = rnd_below(iova_top(levels));
		u64 gpa = 0x000fedcba9876000ULL;
		struct viommu_span leaf = LEAF(0, 0, gpa, VIOMMU_PROT_RW);
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

static void test_table_fault(struct ctx *c)
{
	static const struct viommu_span fault =
		REFUSED(0, 0, KVM_VIOMMU_REFUSED_TABLE_FAULT);
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
				REFUSED(0x1000, iova_top(levels),
					KVM_VIOMMU_REFUSED_TABLE_FAULT);

			reset_mem(c);
			check(walk_expect(c, levels, MEM_BASE + MEM_SIZE,
					  0x1000, iova_top(levels), &exp, 1),
			      "x86-64 %u levels: root outside guest memory is TABLE_FAULT",
			      levels);
		}

		/* One unreadable entry in a table of leaves. */
		{
			u64 root, table, base = 0x54321ULL << 21;
			struct viommu_span exp[] = {
				LEAF(base, base + 0x2fff, 0x100000000ULL,
				     VIOMMU_PROT_RW),
				REFUSED(base + 0x3000, base + 0x3fff,
					KVM_VIOMMU_REFUSED_TABLE_FAULT),
				LEAF(base + 0x4000, base + 0x1fffff,
				     0x100004000ULL, VIOMMU_PROT_RW),
			};

			reset_mem(c);
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

static void test_cycles(struct ctx *c)
{
	unsigned int levels;

	for (levels = 4; levels <= 5; levels++) {
		u64 top = iova_top(levels), root, t, base;
		struct viommu_span exp[3];

		/* root[0] -> root: every level reads the root again. */
		reset_mem(c);
		root = alloc_table(c, false);
		set_entry(c, root, 0, root | PTE_P | PTE_RW);
		exp[0] = (struct viommu_span)LEAF(0, 0xfff, root, VIOMMU_PROT_RW);
		exp[1] = (struct viommu_span)HOLE(0x1000, top);
		check(walk_expect(c, levels, root, 0, top, exp, 2),
		      "x86-64 %u levels: root pointing to itself terminates",
		      levels);

		/* A level 2 entry pointing back at the root: root as a PT. */
		reset_mem(c);
		root = alloc_table(c, false);
		base = 5ULL << 21;
		t = build_path(c, levels, root, base, 2);
		set_entry(c, t, 5, root | PTE_P);
		exp[0] = (struct viommu_span)HOLE(0, base - 1);
		exp[1] = (struct viommu_span)LEAF(base, base + 0xfff,
						  get_entry(c, root, 0) & PTE_ADDR,
						  VIOMMU_PROT_READ);
		exp[2] = (struct viommu_span)HOLE(base + 0x1000, top);
		check(walk_expect(c, levels, root, 0, top, exp, 3),
		      "x86-64 %u levels: table pointing back at the root terminates",
		      levels);
	}
}

/* ---- arguments, stopping, format registry ---- */

static int emit_stop(void *opaque, const struct viommu_span *s)
{
	struct ctx *c = opaque;

	if (++c->emitted >= c->stop_at)
		return c->stop_ret;
	return 0;
}

static void test_args(struct ctx *c)
{
	static const unsigned int bad_levels[] = { 0, 1, 2, 3, 6, 7, ~0u };
	struct viommu_walk w;
	unsigned int i, levels;
	u64 root;
	bool ok;

	reset_mem(c);
	root = alloc_table(c, false);
	init_walk(&w, c, 4, root, emit_stop);
	c->stop_at = ~0UL;
	c->stop_ret = 0;

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

static void test_stop(struct ctx *c)
{
	static struct leaf leaves[MAX_LEAVES];
	static const int rets[] = { 1, 42, -EINTR, -1 };
	unsigned int levels, i;

	for (levels = 4; levels <= 5; levels++) {
		u64 top = iova_top(levels), root;
		unsigned long total, at[4];
		struct viommu_walk w;
		bool ok = true;
		int ret;

		rng_state = 77 + levels;
		reset_mem(c);
		root = alloc_table(c, false);
		build_random(c, levels, root, leaves);
		init_walk(&w, c, levels, root, emit_stop);
		c->emitted = 0;
		c->stop_at = ~0UL;
		c->stop_ret = 0;
		ret = viommu_walk(&w, 0, top);
		total = c->emitted;
		ok = !ret && total > 2;

		at[0] = 1;
		at[1] = 2;
		at[2] = total / 2;
		at[3] = total;
		for (i = 0; ok && i < ARRAY_SIZE(at); i++) {
			c->emitted = 0;
			c->stop_at = at[i];
			c->stop_ret = rets[i];
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
	struct ctx *c = calloc(1, sizeof(*c));
	unsigned int levels;

	if (argc > 1) {
		first = strtoull(argv[1], NULL, 0);
		last = first;
	}
	if (!c)
		return 1;
	c->mem = calloc(1, MEM_SIZE);
	if (!c->mem)
		return 1;
	c->fault_gpa = ~0ULL;

	if (argc <= 1) {
		rng_state = 1;
		test_registry();
		test_args(c);
		test_stop(c);
		test_ps_high(c);
		test_large_leaf_bits(c);
		test_small_entries(c);
		test_table_fault(c);
		test_cycles(c);
	}
	for (seed = first; seed <= last; seed++)
		for (levels = 4; levels <= 5; levels++)
			test_random(c, levels, seed);

	printf("1..%u\n", nr_checks);
	if (nr_failed)
		printf("# %u of %u checks failed\n", nr_failed, nr_checks);
	free(c->mem);
	free(c);
	return nr_failed ? 1 : 0;
}
