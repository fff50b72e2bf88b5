// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace tests of the sPAPR TCE decoder (virt/kvm/viommu/fmt/spapr_tce.c)
 * under the shared walker, built with ASan and UBSan by the Makefile here.
 *
 * Guest memory is a 16 MiB buffer at guest physical address MEM_BASE; the
 * read callback returns -EFAULT for any entry outside it or misaligned.
 * TCEs are stored big-endian.  What is checked:
 *
 * - Random tables (seeds 1..NR_SEEDS, each with 1 to 5 levels and an IOMMU
 *   page shift taken in turn from every one the layout allows, 12..34): an
 *   encoder independent of the decoder builds a DMA window at a random
 *   offset (0, 2^59, anywhere, or ending at the top of the address space)
 *   of random size, fills it with TCEs of every permission (none, R, W,
 *   RW) behind indirect entries of every permission, with random bits in
 *   entries that are not valid, and keeps a reference model.  Random
 *   ranges of the window are walked and each span checked against the
 *   model: contiguous, increasing, covering the range; a LEAF lies in one
 *   TCE's page with its GPA and exactly its R/W; a HOLE meets no TCE;
 *   nothing is refused; no table entry past the window is ever read.
 * - Malformed tables give a refusal, never a mapping: address bits below
 *   the IOMMU page (bits 2..page_shift-1) or above bit 51 of a TCE, bits
 *   2..11 or 52..63 of an indirect entry (RESERVED_BITS); tables or the
 *   root outside guest memory, or one unreadable entry (TABLE_FAULT, over
 *   exactly that entry's span); a table built with more levels than
 *   declared, whose pointers then read as TCEs (mapped when aligned to the
 *   IOMMU page, refused otherwise); a root pointing at itself terminates.
 * - Layouts and windows: page shifts outside 12..34, 0 or 6 levels and a
 *   window offset not aligned to the IOMMU page are -EINVAL; a layout whose
 *   levels below the top already index 2^59 bytes translates nothing (any
 *   aperture is beyond viommu_fmt_iova_last()); IOVAs below the window or
 *   beyond its 2^59-byte index space are -EINVAL, without a span.
 * - viommu_fmt_get() returns the format with its declared limits.
 *
 * Output is TAP; the exit status is nonzero when any check fails.
 * "spapr_tce_test SEED" reruns one random seed alone.
 */
#include "fmt_harness.h"

#define MEM_BASE	0x240000000ULL	/* GPA of guest memory: 9 GiB */
#define MEM_SIZE	(16ULL << 20)
#define TABLE_SIZE	4096ULL
#define NR_SEEDS	200
#define MAX_LEAVES	400
#define WALKS_PER_SEED	48
#define MAX_SPANS	4096

/* TCE bits, spelled out again rather than taken from the decoder. */
#define TCE_R		BIT_ULL(0)
#define TCE_W		BIT_ULL(1)
#define TCE_RW		(TCE_R | TCE_W)
#define TABLE_ADDR	GENMASK_ULL(51, 12)
#define WINDOW_BITS	59
#define MIN_PS		12
#define MAX_PS		34

/* ---- the table layout, as the test understands it ---- */

/*
 * One table: @levels levels of @ps-byte IOMMU pages over a window of
 * @pages pages starting at IOVA @base; the root at GPA @root.
 */
struct layout {
	unsigned int levels;
	unsigned int ps;
	u64 base;
	u64 pages;
	u64 root;
};

/* log2 of the IOVA span of one entry at @level. */
static unsigned int lshift(const struct layout *l, unsigned int level)
{
	return l->ps + 9 * (level - 1);
}

/* Index at @level of IOMMU page @page of the window. */
static u64 lindex(const struct layout *l, u64 page, unsigned int level)
{
	u64 i = page >> (9 * (level - 1));

	return level == l->levels ? i : i & 511;
}

/* Entries the root needs to cover the window. */
static u64 root_entries(const struct layout *l)
{
	unsigned int sh = 9 * (l->levels - 1);

	return ((l->pages - 1) >> sh) + 1;
}

static u64 window_last(const struct layout *l)
{
	return l->base + ((l->pages << l->ps) - 1);
}

/* Does the layout leave the top level an index bit? */
static bool layout_ok(unsigned int levels, unsigned int ps)
{
	return ps + 9 * (levels - 1) <= WINDOW_BITS - 1;
}

/* ---- guest memory and the walk context ---- */

struct ctx {
	u8 *mem;		/* MEM_SIZE bytes at GPA MEM_BASE */
	u64 used;		/* bytes handed out as tables */
	u64 fault_gpa;		/* an entry whose read fails, or ~0 */
	u64 forbid_lo;		/* reads in [forbid_lo, forbid_hi) are bugs */
	u64 forbid_hi;
	unsigned long forbidden;
	unsigned long reads;

	/* emit_model() */
	const struct h_leaf *leaves;
	unsigned int nr_leaves;
	unsigned int cur;
	u64 next;
	u64 last;
	bool done;
	bool bad;
	char why[256];

	/* emit_record() */
	struct viommu_span spans[MAX_SPANS];
	unsigned int nr_spans;
	bool overflow;
};

static int mem_read_one(void *opaque, u64 gpa, u64 *raw)
{
	struct ctx *c = opaque;

	c->reads++;
	if (gpa >= c->forbid_lo && gpa < c->forbid_hi)
		c->forbidden++;
	if (gpa & 7 || gpa < MEM_BASE || gpa - MEM_BASE > MEM_SIZE - 8 ||
	    gpa == c->fault_gpa)
		return -EFAULT;
	memcpy(raw, c->mem + (gpa - MEM_BASE), sizeof(*raw));
	return 0;
}

/* The walker's read callback: @n entries, all or nothing. */
static int mem_read(void *opaque, u64 gpa, unsigned int n, u64 *raw)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (mem_read_one(opaque, gpa + 8 * i, &raw[i]))
			return -EFAULT;
	return 0;
}

static void reset_mem(struct ctx *c)
{
	memset(c->mem, 0, c->used);
	c->used = 0;
	c->fault_gpa = ~0ULL;
	c->forbid_lo = 0;
	c->forbid_hi = 0;
	c->forbidden = 0;
}

static u64 get_entry(struct ctx *c, u64 table, u64 idx)
{
	u64 e;

	memcpy(&e, c->mem + (table - MEM_BASE) + idx * 8, 8);
	return be64toh(e);
}

static void set_entry(struct ctx *c, u64 table, u64 idx, u64 val)
{
	u64 e = htobe64(val);

	memcpy(c->mem + (table - MEM_BASE) + idx * 8, &e, 8);
}

/* Random bits for an entry without R and W: it must read as a hole. */
static u64 invalid_garbage(void)
{
	return chance(50) ? rnd() & ~TCE_RW : 0;
}

/* @bytes of zeroed (or with @garbage, invalid) entries, 4 KiB aligned. */
static u64 alloc_table(struct ctx *c, u64 bytes, bool garbage)
{
	u64 gpa = MEM_BASE + c->used, i;

	bytes = (bytes + TABLE_SIZE - 1) & ~(TABLE_SIZE - 1);
	if (bytes > MEM_SIZE - c->used)
		return 0;
	c->used += bytes;
	if (garbage)
		for (i = 0; i < bytes / 8; i++)
			set_entry(c, gpa, i, invalid_garbage());
	return gpa;
}

static void init_walk(struct viommu_walk *w, struct ctx *c,
		      const struct layout *l,
		      int (*emit)(void *, const struct viommu_span *))
{
	memset(w, 0, sizeof(*w));
	w->fmt = &viommu_fmt_spapr_tce;
	w->cfg.levels = l->levels;
	w->cfg.page_shift = l->ps;
	w->cfg.iova_base = l->base;
	w->root = l->root;
	w->read = mem_read;
	w->emit = emit;
	w->ctx = c;
	w->buf = &h_walk_buf;
}

static u32 tce_prot(u64 e)
{
	return ((e & TCE_R) ? VIOMMU_PROT_READ : 0) |
	       ((e & TCE_W) ? VIOMMU_PROT_WRITE : 0);
}

/* ---- the encoder and its model ---- */

/*
 * Allocate the root of @l (as many entries as the window needs) and
 * forbid reads of the rest of its last 4 KiB, which lies past the window.
 */
static bool alloc_root(struct ctx *c, struct layout *l)
{
	u64 n = root_entries(l), bytes = n * 8, i;

	l->root = alloc_table(c, bytes, chance(20));
	if (!l->root)
		return false;
	/* Valid-looking TCEs past the window: must never be read. */
	for (i = n; i * 8 < ((bytes + TABLE_SIZE - 1) & ~(TABLE_SIZE - 1));
	     i++)
		set_entry(c, l->root, i, (MEM_BASE & TABLE_ADDR) | TCE_RW);
	c->forbid_lo = l->root + bytes;
	c->forbid_hi = l->root + ((bytes + TABLE_SIZE - 1) & ~(TABLE_SIZE - 1));
	return true;
}

/*
 * Store TCE @tce for IOMMU page @page of the window, creating indirect
 * tables as needed (each with a random nonzero R/W).  Returns false when
 * the page already has a valid TCE or memory is full.
 */
static bool encode_tce(struct ctx *c, const struct layout *l, u64 page,
		       u64 tce)
{
	u64 table = l->root, idx, e;
	unsigned int lv;

	for (lv = l->levels; lv > 1; lv--) {
		idx = lindex(l, page, lv);
		e = get_entry(c, table, idx);
		if (!(e & TCE_RW)) {
			u64 next = alloc_table(c, TABLE_SIZE, chance(20));

			if (!next)
				return false;
			e = next | (1 + rnd_below(3));
			set_entry(c, table, idx, e);
		}
		table = e & TABLE_ADDR;
	}
	idx = lindex(l, page, 1);
	if (get_entry(c, table, idx) & TCE_RW)
		return false;
	set_entry(c, table, idx, tce);
	return true;
}

/*
 * Fill the window of @l with random TCEs; returns the number of valid ones
 * (R or W set), sorted in @leaves.  Pages cluster around a few bases (and
 * the two ends of the window) so that tables are shared.
 */
static unsigned int build_random(struct ctx *c, const struct layout *l,
				 struct h_leaf *leaves)
{
	unsigned int want = 1 + rnd_below(MAX_LEAVES), n = 0, i;
	u64 bases[4];

	bases[0] = 0;
	bases[1] = l->pages > 4096 ? l->pages - 4096 : 0;
	bases[2] = rnd_below(l->pages);
	bases[3] = rnd_below(l->pages);

	for (i = 0; i < want; i++) {
		u64 page, gpa, tce;
		u32 perm = rnd_below(4);

		if (chance(10))
			page = rnd_below(l->pages);
		else
			page = bases[rnd_below(ARRAY_SIZE(bases))] +
			       rnd_below(chance(50) ? 64 : 4096);
		if (page >= l->pages)
			page = l->pages - 1;

		/* Leaf targets are not read: anywhere aligned will do. */
		if (chance(50))
			gpa = MEM_BASE + rnd_below(MEM_SIZE);
		else
			gpa = rnd();
		gpa &= GENMASK_ULL(51, l->ps);

		tce = perm ? gpa | perm : invalid_garbage();
		if (!encode_tce(c, l, page, tce) || !perm)
			continue;
		leaves[n].iova = l->base + (page << l->ps);
		leaves[n].last = leaves[n].iova + (BIT_ULL(l->ps) - 1);
		leaves[n].gpa = gpa;
		leaves[n].prot = tce_prot(tce);
		n++;
	}
	qsort(leaves, n, sizeof(*leaves), h_cmp_leaf);
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
		       h_kind_name(s->kind), (unsigned long long)s->iova,
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
	const struct h_leaf *l;
	const char *why;

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
			return model_fail(c, s, "hole over TCE at %#llx",
					  (unsigned long long)l->iova);
		break;
	case VIOMMU_SPAN_LEAF:
		why = h_leaf_mismatch(c->leaves + c->cur,
				      c->leaves + c->nr_leaves, s);
		if (why)
			return model_fail(c, s, "%s", why);
		break;
	default:
		return model_fail(c, s, "refused in a well-formed table");
	}

	if (s->last == c->last)
		c->done = true;
	else
		c->next = s->last + 1;
	return 0;
}

static bool walk_model(struct ctx *c, const struct viommu_walk *w,
		       const struct h_leaf *leaves, unsigned int n,
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
	c->forbidden = 0;

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
	else if (c->forbidden)
		diag("walk [%#llx, %#llx] read %lu entries past the window",
		     (unsigned long long)iova, (unsigned long long)last,
		     c->forbidden);
	else
		return true;
	return false;
}

/* A random distance, of any order of magnitude. */
static u64 jitter(unsigned int ps)
{
	switch (rnd_below(8)) {
	case 0 ... 2:
		return 0;
	case 3:
		return rnd_below(4096);
	case 4 ... 5:
		return rnd_below(BIT_ULL(ps));
	case 6:
		return rnd_below(64) << ps;
	default:
		return rnd_below(4096) << ps;
	}
}

/* A range of the window: mostly near TCEs, sometimes anywhere. */
static void pick_range(const struct layout *l, const struct h_leaf *leaves,
		       unsigned int n, u64 *first, u64 *last)
{
	u64 lo = l->base, hi = window_last(l), x, y;
	unsigned int i = rnd_below(n), j = i + rnd_below(8);
	const struct h_leaf *a = &leaves[i];
	const struct h_leaf *b = &leaves[j < n ? j : n - 1];
	unsigned int r = rnd_below(16);

	if (!n || !r) {			/* anywhere, up to 4096 pages */
		x = lo + rnd_below(hi - lo + 1);
		y = x + rnd_below(4096ULL << l->ps);
		if (y < x)
			y = hi;
	} else if (r < 9) {		/* around one TCE, or a few */
		if (r < 5)
			b = a;
		x = a->iova - jitter(l->ps);
		if (x > a->iova)
			x = lo;
		y = b->last + jitter(l->ps);
		if (y < b->last)
			y = hi;
	} else if (r < 12) {		/* random bytes inside a page */
		x = a->iova + rnd_below(a->last - a->iova + 1);
		y = x + rnd_below(a->last - x + 1);
	} else {			/* a few bytes across a page boundary */
		x = (chance(50) ? a->iova : a->last + 1) - rnd_below(8);
		y = x + rnd_below(16);
		if (y < x)
			y = hi;
	}
	if (x < lo || x > hi)
		x = lo;
	if (y > hi || y < x)
		y = hi;
	*first = x;
	*last = y;
}

/* A random window for @levels and @ps whose tables fit in memory. */
static void pick_window(struct layout *l, unsigned int levels,
			unsigned int ps)
{
	static const u64 top_caps[] = { 1, 8, 512, 4096 };
	u64 bytes;

	l->levels = levels;
	l->ps = ps;
	if (levels == 1) {
		static const u64 caps[] = { 64, 4096, 1 << 17 };

		l->pages = 1 + rnd_below(caps[rnd_below(ARRAY_SIZE(caps))]);
	} else {
		unsigned int sh = 9 * (levels - 1);
		u64 top = 1 + rnd_below(top_caps[rnd_below(4)]);
		u64 max_top = BIT_ULL(WINDOW_BITS - lshift(l, levels));

		if (top > max_top)
			top = max_top;
		l->pages = ((top - 1) << sh) + 1 + rnd_below(BIT_ULL(sh));
	}
	if (l->pages > BIT_ULL(WINDOW_BITS - ps))
		l->pages = BIT_ULL(WINDOW_BITS - ps);
	bytes = l->pages << ps;

	switch (rnd_below(5)) {
	case 0:
		l->base = 0;
		break;
	case 1:
		l->base = BIT_ULL(59);	/* where a PHB's 64-bit window starts */
		break;
	case 2:				/* ending at the top of the IOVA space */
		l->base = 0 - bytes;
		break;
	default:
		l->base = rnd_below(BIT_ULL(63)) & ~(BIT_ULL(ps) - 1);
		break;
	}
}

static void test_random(struct ctx *c, unsigned int levels, u64 seed)
{
	static struct h_leaf leaves[MAX_LEAVES];
	unsigned int valid[MAX_PS - MIN_PS + 1], nr_valid = 0, ps, n, i;
	struct layout l;
	struct viommu_walk w;
	u64 iova, last;
	bool ok = true;

	for (ps = MIN_PS; ps <= MAX_PS; ps++)
		if (layout_ok(levels, ps))
			valid[nr_valid++] = ps;
	ps = valid[(seed + levels) % nr_valid];

	rng_state = seed * 1000003 + levels;
	reset_mem(c);
	pick_window(&l, levels, ps);
	if (!alloc_root(c, &l)) {
		check(false, "sPAPR TCE %u levels: seed %llu: no memory",
		      levels, (unsigned long long)seed);
		return;
	}
	n = build_random(c, &l, leaves);
	init_walk(&w, c, &l, emit_model);

	ok = walk_model(c, &w, leaves, n, l.base, window_last(&l));
	for (i = 0; ok && i < WALKS_PER_SEED; i++) {
		pick_range(&l, leaves, n, &iova, &last);
		/* The table does not change: the path may be kept. */
		w.leaf_only = chance(50);
		ok = walk_model(c, &w, leaves, n, iova, last);
	}
	check(ok,
	      "sPAPR TCE %u levels, %u-bit pages: random table, seed %llu (window %#llx + %llu pages, %u TCEs, %llu KiB of tables)",
	      levels, ps, (unsigned long long)seed,
	      (unsigned long long)l.base, (unsigned long long)l.pages, n,
	      (unsigned long long)(c->used >> 10));
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

/*
 * Walk [iova, last], which must not read past the window, and
 * h_spans_match() @exp.
 */
static bool walk_expect(struct ctx *c, const struct layout *l, u64 iova,
			u64 last, const struct viommu_span *exp,
			unsigned int nr_exp)
{
	struct viommu_walk w;
	int ret;

	init_walk(&w, c, l, emit_record);
	c->nr_spans = 0;
	c->overflow = false;
	c->forbidden = 0;
	ret = viommu_walk(&w, iova, last);
	if (ret) {
		diag("walk [%#llx, %#llx] returned %d%s",
		     (unsigned long long)iova, (unsigned long long)last, ret,
		     c->overflow ? " (too many spans)" : "");
		return false;
	}
	if (c->forbidden) {
		diag("walk [%#llx, %#llx] read past the window",
		     (unsigned long long)iova, (unsigned long long)last);
		return false;
	}
	return h_spans_match(iova, last, c->spans, c->nr_spans, exp, nr_exp);
}

/*
 * A fixed window for hand-made tables: at @base, covering 3 root entries
 * (or 3 * 512 pages when flat), so that every entry has neighbours.
 */
static void fixed_layout(struct ctx *c, struct layout *l,
			 unsigned int levels, unsigned int ps, u64 base)
{
	reset_mem(c);
	l->levels = levels;
	l->ps = ps;
	l->base = base;
	l->pages = 3ULL << (9 * (levels > 1 ? levels - 1 : 1));
	if (l->pages > BIT_ULL(WINDOW_BITS - ps))
		l->pages = BIT_ULL(WINDOW_BITS - ps);
	alloc_root(c, l);
}

/* The table at @level holding IOMMU page @page, built with RW pointers. */
static u64 build_path(struct ctx *c, const struct layout *l, u64 page,
		      unsigned int level)
{
	u64 table = l->root;
	unsigned int lv;

	for (lv = l->levels; lv > level; lv--) {
		u64 idx = lindex(l, page, lv);
		u64 e = get_entry(c, table, idx);

		if (!(e & TCE_RW)) {
			e = alloc_table(c, TABLE_SIZE, false) | TCE_RW;
			set_entry(c, table, idx, e);
		}
		table = e & TABLE_ADDR;
	}
	return table;
}

/*
 * Put @entry at @level for IOMMU page @page of a fixed window and check
 * that the window reads as @what over exactly the entry's span (clipped to
 * the window) and as holes elsewhere; and a range strictly inside.
 */
static bool entry_reads_as(struct ctx *c, unsigned int levels,
			   unsigned int ps, u64 base, u64 page,
			   unsigned int level, u64 entry,
			   const struct viommu_span *what)
{
	struct viommu_span exp[3], in;
	struct layout l;
	u64 size, start, end, wl, x, y;
	unsigned int n;

	fixed_layout(c, &l, levels, ps, base);
	page %= l.pages;
	size = BIT_ULL(lshift(&l, level));
	start = base + (((page << ps) & ~(size - 1)));
	end = start + (size - 1);
	wl = window_last(&l);
	if (end > wl)
		end = wl;
	set_entry(c, build_path(c, &l, page, level), lindex(&l, page, level),
		  entry);

	x = base;
	y = wl;
	n = h_expect_entry(exp, x, y, start, end, what);
	if (!walk_expect(c, &l, x, y, exp, n))
		return false;

	x = start + rnd_below((end - start) / 2 + 1);
	y = x + rnd_below((end - x) + 1);
	in = h_expect_inside(what, start, x, y);
	return walk_expect(c, &l, x, y, &in, 1);
}

static const unsigned int some_ps[] = { 12, 13, 16, 21, 24, 30, 34 };

static unsigned int max_levels(unsigned int ps)
{
	unsigned int levels = 5;

	while (!layout_ok(levels, ps))
		levels--;
	return levels;
}

static u64 some_base(unsigned int ps)
{
	switch (rnd_below(3)) {
	case 0:
		return 0;
	case 1:
		return BIT_ULL(59);
	default:
		return rnd_below(BIT_ULL(62)) & ~(BIT_ULL(ps) - 1);
	}
}

static void test_leaf_prot(struct ctx *c)
{
	static const char *const names[] = { "", "R", "W", "RW" };
	unsigned int levels, i, perm;

	for (perm = 1; perm <= 3; perm++) {
		bool ok = true;

		for (i = 0; ok && i < ARRAY_SIZE(some_ps); i++) {
			unsigned int ps = some_ps[i];

			for (levels = 1; ok && levels <= max_levels(ps);
			     levels++) {
				u64 gpa = rnd() & GENMASK_ULL(51, ps);
				struct viommu_span leaf =
					H_LEAF(0, 0, gpa, tce_prot(perm));

				ok = entry_reads_as(c, levels, ps,
						    some_base(ps), rnd(), 1,
						    gpa | perm, &leaf);
			}
		}
		check(ok, "sPAPR TCE: a %s TCE maps exactly %s, every page size and depth",
		      names[perm], names[perm]);
	}
}

static void test_indirect_prot(struct ctx *c)
{
	unsigned int ptr, leafp, levels;
	bool ok = true;

	for (levels = 2; levels <= 5; levels++) {
		for (ptr = 1; ok && ptr <= 3; ptr++) {
			for (leafp = 1; ok && leafp <= 3; leafp++) {
				struct layout l;
				u64 page = rnd_below(3ULL << (9 * (levels - 1)));
				u64 gpa = 0x123456789000ULL, t, iova;
				struct viommu_span exp[1];
				unsigned int lv;

				fixed_layout(c, &l, levels, 12, 0);
				t = l.root;
				for (lv = levels; lv > 1; lv--) {
					u64 next = alloc_table(c, TABLE_SIZE,
							       false);

					set_entry(c, t, lindex(&l, page, lv),
						  next | ptr);
					t = next;
				}
				set_entry(c, t, lindex(&l, page, 1),
					  gpa | leafp);
				iova = page << 12;
				exp[0] = (struct viommu_span)
					H_LEAF(iova, iova + 0xfff, gpa,
					       tce_prot(leafp));
				ok = walk_expect(c, &l, iova, iova + 0xfff,
						 exp, 1);
			}
		}
	}
	check(ok, "sPAPR TCE: R/W of indirect entries validate them and do not restrict the TCE");
}

static void test_holes(struct ctx *c)
{
	static const struct viommu_span hole = H_HOLE(0, 0);
	unsigned int levels, level, i;
	bool ok = true;

	for (levels = 1; ok && levels <= 5; levels++)
		for (level = 1; ok && level <= levels; level++)
			for (i = 0; ok && i < 8; i++)
				ok = entry_reads_as(c, levels, 12, some_base(12),
						    rnd(), level,
						    i ? rnd() & ~TCE_RW : ~TCE_RW,
						    &hole);
	check(ok,
	      "sPAPR TCE: entries with neither R nor W are holes at every level, whatever their other bits");
}

static void test_leaf_reserved(struct ctx *c)
{
	static const struct viommu_span bad =
		H_REFUSED(0, 0, KVM_VIOMMU_REFUSED_RESERVED_BITS);
	unsigned int i, bit, levels;

	for (i = 0; i < ARRAY_SIZE(some_ps); i++) {
		unsigned int ps = some_ps[i];
		u64 gpa = (0x5a5a5a5a5a5ULL << ps) & GENMASK_ULL(51, ps);
		bool ok = true;

		for (bit = 2; ok && bit < ps; bit++) {
			levels = 1 + rnd_below(max_levels(ps));
			ok = entry_reads_as(c, levels, ps, some_base(ps), rnd(),
					    1, gpa | BIT_ULL(bit) |
					    (1 + rnd_below(3)), &bad);
		}
		check(ok, "sPAPR TCE %u-bit pages: TCE with address bit 2..%u set is RESERVED_BITS",
		      ps, ps - 1);

		ok = true;
		for (bit = 52; ok && bit < 64; bit++) {
			levels = 1 + rnd_below(max_levels(ps));
			ok = entry_reads_as(c, levels, ps, some_base(ps), rnd(),
					    1, gpa | BIT_ULL(bit) |
					    (1 + rnd_below(3)), &bad);
		}
		check(ok, "sPAPR TCE %u-bit pages: TCE with bit 52..63 set is RESERVED_BITS",
		      ps);
	}
}

static void test_indirect_reserved(struct ctx *c)
{
	static const struct viommu_span bad =
		H_REFUSED(0, 0, KVM_VIOMMU_REFUSED_RESERVED_BITS);
	unsigned int levels, level, bit;
	bool ok = true;

	for (levels = 2; ok && levels <= 5; levels++) {
		for (level = 2; ok && level <= levels; level++) {
			for (bit = 2; ok && bit < 64; bit++) {
				u64 next = MEM_BASE + 0x10000 + (rnd_below(16) << 12);

				if (bit == 12)
					bit = 52;
				ok = entry_reads_as(c, levels, 12, some_base(12),
						    rnd(), level,
						    next | BIT_ULL(bit) |
						    (1 + rnd_below(3)), &bad);
			}
		}
	}
	check(ok, "sPAPR TCE: indirect entry with bit 2..11 or 52..63 set is RESERVED_BITS");
}

static void test_table_fault(struct ctx *c)
{
	static const struct viommu_span fault =
		H_REFUSED(0, 0, KVM_VIOMMU_REFUSED_TABLE_FAULT);
	static const u64 outside[] = {
		0, MEM_BASE - TABLE_SIZE, MEM_BASE + MEM_SIZE, TABLE_ADDR,
	};
	unsigned int levels, level, i;
	bool ok = true;

	for (levels = 2; ok && levels <= 5; levels++)
		for (level = 2; ok && level <= levels; level++)
			for (i = 0; ok && i < ARRAY_SIZE(outside); i++)
				ok = entry_reads_as(c, levels, 12, some_base(12),
						    rnd(), level,
						    outside[i] | (1 + rnd_below(3)),
						    &fault);
	check(ok, "sPAPR TCE: indirect entry pointing outside guest memory is TABLE_FAULT");

	ok = true;
	for (levels = 1; ok && levels <= 5; levels++) {
		struct layout l;
		struct viommu_span exp;

		fixed_layout(c, &l, levels, 12, BIT_ULL(59));
		l.root = MEM_BASE + MEM_SIZE;
		exp = (struct viommu_span)H_REFUSED(l.base, window_last(&l),
						 KVM_VIOMMU_REFUSED_TABLE_FAULT);
		ok = walk_expect(c, &l, l.base, window_last(&l), &exp, 1);
	}
	check(ok, "sPAPR TCE: root outside guest memory is TABLE_FAULT over the window");

	/* One unreadable TCE among valid ones. */
	ok = true;
	for (levels = 1; ok && levels <= 5; levels++) {
		struct layout l;
		u64 table, base = 0x40000000, i;
		struct viommu_span exp[3];

		fixed_layout(c, &l, levels, 16, base);
		table = build_path(c, &l, 512, 1);
		for (i = 0; i < 512; i++)
			set_entry(c, table, (levels == 1 ? 512 : 0) + i,
				  (0x100000000ULL + (i << 16)) | TCE_RW);
		c->fault_gpa = table + ((levels == 1 ? 512 : 0) + 3) * 8;
		exp[0] = (struct viommu_span)H_LEAF(base + (512 << 16),
						  base + (515 << 16) - 1,
						  0x100000000ULL,
						  VIOMMU_PROT_RW);
		exp[1] = (struct viommu_span)H_REFUSED(base + (515 << 16),
						     base + (516 << 16) - 1,
						     KVM_VIOMMU_REFUSED_TABLE_FAULT);
		exp[2] = (struct viommu_span)H_LEAF(base + (516 << 16),
						  base + (1024 << 16) - 1,
						  0x100000000ULL + (4 << 16),
						  VIOMMU_PROT_RW);
		ok = walk_expect(c, &l, base + (512 << 16),
				 base + (1024 << 16) - 1, exp, 3);
	}
	check(ok, "sPAPR TCE: one unreadable TCE is TABLE_FAULT for its page only");
}

/*
 * A guest that built one level more than it declared: the entries it wrote
 * as pointers to its leaf tables are read as TCEs (IOMMU page @page of
 * what it built is page @page >> 9 of what it declared), mapping the leaf
 * table itself when it is aligned to the IOMMU page and refused otherwise.
 * Never followed.
 */
static bool extra_level(struct ctx *c, unsigned int levels, unsigned int ps)
{
	struct viommu_span exp[3];
	struct layout built, l;
	u64 page = 700, t, s, wl;

	fixed_layout(c, &built, levels + 1, ps, 0);
	t = build_path(c, &built, page, 1);
	set_entry(c, t, lindex(&built, page, 1), 0x777770000ULL | TCE_RW);

	l = built;
	l.levels = levels;
	l.pages = root_entries(&built) << (9 * (levels - 1));
	wl = window_last(&l);
	s = (page >> 9) << ps;
	exp[0] = (struct viommu_span)H_HOLE(0, s - 1);
	if (t & (BIT_ULL(ps) - 1))
		exp[1] = (struct viommu_span)H_REFUSED(s, s + BIT_ULL(ps) - 1,
					KVM_VIOMMU_REFUSED_RESERVED_BITS);
	else
		exp[1] = (struct viommu_span)H_LEAF(s, s + BIT_ULL(ps) - 1, t,
						  VIOMMU_PROT_RW);
	exp[2] = (struct viommu_span)H_HOLE(s + BIT_ULL(ps), wl);
	return walk_expect(c, &l, 0, wl, exp, 3);
}

static void test_extra_level(struct ctx *c)
{
	unsigned int levels;
	bool ok = true;

	/* Leaf tables come after the root, at 4 KiB but not 64 KiB offsets. */
	for (levels = 1; levels <= 4; levels++)
		ok = ok && extra_level(c, levels, 12);
	check(ok,
	      "sPAPR TCE: one level more than declared maps the leaf table itself (4 KiB pages)");

	ok = true;
	for (levels = 1; levels <= 4; levels++)
		ok = ok && extra_level(c, levels, 16);
	check(ok,
	      "sPAPR TCE: one level more than declared is RESERVED_BITS when the table is not page aligned");
}

/*
 * root[1] points back at the root: the root is read again as each lower
 * level, and at level 1 its entry 1 maps the root page itself.
 */
static void test_cycles(struct ctx *c)
{
	unsigned int levels, lv;
	bool ok = true;

	for (levels = 2; ok && levels <= 5; levels++) {
		struct viommu_span exp[3];
		struct layout l;
		u64 off = 0, i;

		fixed_layout(c, &l, levels, 12, 0);
		c->forbid_lo = 0;
		c->forbid_hi = 0;
		for (i = 0; i < 512; i++)
			set_entry(c, l.root, i, 0);
		set_entry(c, l.root, 1, l.root | TCE_RW);
		for (lv = levels; lv >= 1; lv--)
			off += BIT_ULL(lshift(&l, lv));
		exp[0] = (struct viommu_span)H_HOLE(0, off - 1);
		exp[1] = (struct viommu_span)H_LEAF(off, off + 0xfff, l.root,
						  VIOMMU_PROT_RW);
		exp[2] = (struct viommu_span)H_HOLE(off + 0x1000,
						  window_last(&l));
		ok = walk_expect(c, &l, 0, window_last(&l), exp, 3);
	}
	check(ok, "sPAPR TCE: an indirect entry pointing back at the root terminates");
}

static void test_big_endian(struct ctx *c)
{
	struct layout l;
	struct viommu_span exp[2];
	u8 bytes[8] = { 0x00, 0x00, 0x00, 0x12, 0x34, 0x56, 0x70, 0x02 };

	fixed_layout(c, &l, 1, 12, 0);
	memcpy(c->mem + (l.root - MEM_BASE), bytes, 8);
	exp[0] = (struct viommu_span)H_LEAF(0, 0xfff, 0x1234567000ULL,
					  VIOMMU_PROT_WRITE);
	exp[1] = (struct viommu_span)H_HOLE(0x1000, window_last(&l));
	check(walk_expect(c, &l, 0, window_last(&l), exp, 2),
	      "sPAPR TCE: TCEs are big-endian");
}

/* ---- layouts, windows, registry ---- */

static int emit_count(void *opaque, const struct viommu_span *s)
{
	struct ctx *c = opaque;

	c->nr_spans++;
	return 0;
}

static void test_layouts(struct ctx *c)
{
	const struct viommu_fmt *f = &viommu_fmt_spapr_tce;
	struct viommu_fmt_cfg cfg = { .levels = 1, .page_shift = 12 };
	static const unsigned int bad_ps[] = { 0, 11, 35, 64, ~0u };
	static const unsigned int bad_levels[] = { 0, 6, 7, ~0u };
	unsigned int levels, ps, i;
	bool ok = true;

	for (i = 0; i < ARRAY_SIZE(bad_ps); i++) {
		cfg.page_shift = bad_ps[i];
		ok = ok && viommu_fmt_check(f, &cfg) == -EINVAL;
	}
	check(ok, "sPAPR TCE: page shifts outside 12..34 are -EINVAL");

	ok = true;
	cfg.page_shift = 12;
	for (i = 0; i < ARRAY_SIZE(bad_levels); i++) {
		cfg.levels = bad_levels[i];
		ok = ok && viommu_fmt_check(f, &cfg) == -EINVAL;
	}
	check(ok, "sPAPR TCE: 0 or more than 5 levels are -EINVAL");

	ok = true;
	for (ps = 12; ps <= 34; ps++) {
		cfg.levels = 1;
		cfg.page_shift = ps;
		cfg.iova_base = BIT_ULL(ps) + BIT_ULL(ps - 1);
		ok = ok && viommu_fmt_check(f, &cfg) == -EINVAL;
		cfg.iova_base = BIT_ULL(ps - 1) >> rnd_below(ps - 1);
		ok = ok && viommu_fmt_check(f, &cfg) == -EINVAL;
		cfg.iova_base = 7ULL << ps;
		ok = ok && viommu_fmt_check(f, &cfg) == 0;
	}
	check(ok, "sPAPR TCE: a window offset not aligned to the IOMMU page is -EINVAL");

	ok = true;
	for (levels = 1; levels <= 5; levels++) {
		for (ps = 12; ps <= 34; ps++) {
			u64 base = BIT_ULL(59), last;

			cfg.levels = levels;
			cfg.page_shift = ps;
			cfg.iova_base = base;
			last = viommu_fmt_iova_last(f, &cfg);
			if (viommu_fmt_check(f, &cfg))
				ok = false;
			if (layout_ok(levels, ps) ?
			    last != base + (BIT_ULL(59) - 1) : last != base) {
				diag("%u levels, %u-bit pages: iova_last %#llx",
				     levels, ps, (unsigned long long)last);
				ok = false;
			}
			cfg.iova_base = 0ULL - BIT_ULL(34);
			if (viommu_fmt_iova_last(f, &cfg) !=
			    (layout_ok(levels, ps) ? ~0ULL : cfg.iova_base))
				ok = false;
		}
	}
	check(ok,
	      "sPAPR TCE: windows index 2^59 bytes (saturating at 2^64), none when the top level has no index bit");

	/* An impossible layout translates nothing and refuses its one byte. */
	ok = true;
	for (levels = 4; levels <= 5; levels++) {
		for (ps = 12; ps <= 34; ps++) {
			struct layout l = {
				.levels = levels, .ps = ps, .base = 0,
				.pages = 1,
			};
			struct viommu_walk w;
			struct viommu_span exp = H_REFUSED(0, 0,
				KVM_VIOMMU_REFUSED_RESERVED_BITS);

			if (layout_ok(levels, ps))
				continue;
			reset_mem(c);
			l.root = alloc_table(c, TABLE_SIZE, false);
			set_entry(c, l.root, 0, (MEM_BASE + 0x1000) | TCE_RW);
			init_walk(&w, c, &l, emit_count);
			c->nr_spans = 0;
			ok = ok && viommu_walk(&w, 0, 0xfff) == -EINVAL &&
			     !c->nr_spans && walk_expect(c, &l, 0, 0, &exp, 1);
		}
	}
	check(ok, "sPAPR TCE: 5 levels above 22-bit or 4 above 31-bit pages translate nothing");

	/* IOVAs outside the window's index space. */
	ok = true;
	for (levels = 1; levels <= 5; levels++) {
		struct layout l;
		struct viommu_walk w;
		u64 base = BIT_ULL(40), top = base + (BIT_ULL(59) - 1);

		fixed_layout(c, &l, levels, 12, base);
		init_walk(&w, c, &l, emit_count);
		c->nr_spans = 0;
		ok = ok && viommu_walk(&w, base - 0x1000, base + 0xfff) == -EINVAL &&
		     viommu_walk(&w, 0, 0xfff) == -EINVAL &&
		     viommu_walk(&w, base, top + 1) == -EINVAL &&
		     viommu_walk(&w, top + 1, top + 0x1000) == -EINVAL &&
		     viommu_walk(&w, base, ~0ULL) == -EINVAL &&
		     viommu_walk(&w, base + 0x2000, base + 0x1fff) == -EINVAL &&
		     !c->nr_spans;
		ok = ok && viommu_walk(&w, base, base + 0xfff) == 0 &&
		     viommu_walk(&w, top, top) == 0 && c->nr_spans;
	}
	check(ok,
	      "sPAPR TCE: IOVAs below the window or beyond its index space are -EINVAL, without a span");

	/*
	 * One walk buffer, windows at different offsets: the buffer keeps
	 * the layout of its last walk, and each walk must be checked
	 * against its own.
	 */
	ok = true;
	for (levels = 1; levels <= 5; levels++) {
		u64 base = BIT_ULL(40), top = base + (BIT_ULL(59) - 1);
		struct layout l;
		struct viommu_walk w;

		fixed_layout(c, &l, levels, 12, 0);
		init_walk(&w, c, &l, emit_count);
		ok = ok && viommu_walk(&w, 0, 0xfff) == 0;
		w.cfg.iova_base = base;
		ok = ok && viommu_walk(&w, top - 0xfff, top) == 0 &&
		     viommu_walk(&w, 0, 0xfff) == -EINVAL;
		w.cfg.iova_base = base + 0x800;
		ok = ok && viommu_walk(&w, top - 0xfff + 0x800,
				       top + 0x800) == -EINVAL;
		w.cfg.iova_base = 0;
		ok = ok && viommu_walk(&w, top - 0xfff, top) == -EINVAL &&
		     viommu_walk(&w, 0, 0xfff) == 0;
	}
	check(ok,
	      "sPAPR TCE: walks with one buffer are checked against each one's window, not the last");

	/* Misaligned root. */
	ok = true;
	for (levels = 1; levels <= 5; levels++) {
		struct layout l;
		struct viommu_walk w;

		fixed_layout(c, &l, levels, 12, 0);
		l.root += 8 << rnd_below(9);
		init_walk(&w, c, &l, emit_count);
		ok = ok && viommu_walk(&w, 0, 0xfff) == -EINVAL;
	}
	check(ok, "sPAPR TCE: a root not 4 KiB aligned is -EINVAL");
}

static void test_registry(void)
{
	const struct viommu_fmt *f = viommu_fmt_get(KVM_VIOMMU_FMT_SPAPR_TCE);

	check(f == &viommu_fmt_spapr_tce &&
	      (viommu_fmt_supported() & BIT_ULL(KVM_VIOMMU_FMT_SPAPR_TCE)),
	      "registry: sPAPR TCE is supported");
	check(f && f->windowed && f->min_levels == 1 && f->max_levels == 5 &&
	      f->default_levels == 1 && f->min_page_shift == 12 &&
	      f->max_page_shift == 34 && f->default_page_shift == 12 &&
	      f->root_align == 4096 && f->max_levels <= VIOMMU_MAX_LEVELS,
	      "registry: sPAPR TCE is windowed, 1..5 levels (default 1), pages 2^12..2^34 (default 2^12), 4 KiB root");
}

int main(int argc, char **argv)
{
	u64 seed, first = 1, last = NR_SEEDS;
	struct ctx *c = calloc(1, sizeof(*c));
	unsigned int levels;
	int ret;

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
		test_layouts(c);
		test_big_endian(c);
		test_leaf_prot(c);
		test_indirect_prot(c);
		test_holes(c);
		test_leaf_reserved(c);
		test_indirect_reserved(c);
		test_table_fault(c);
		test_extra_level(c);
		test_cycles(c);
	}
	for (seed = first; seed <= last; seed++)
		for (levels = 1; levels <= 5; levels++)
			test_random(c, levels, seed);

	ret = tap_done();
	free(c->mem);
	free(c);
	return ret;
}
