/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small helpers shared by the per-format userspace tests of the guest IO
 * page table decoders: a TAP runner, deterministic random numbers, guest
 * memory behind the walker's read callback, and two ways of checking a
 * walk: against a reference model (a sorted list of leaves, span by span)
 * or against an exact list of expected spans.
 *
 * Each test program includes this once; everything is static inline, so
 * that what a test does not use costs nothing and warns about nothing.
 */
#ifndef _FMT_HARNESS_H
#define _FMT_HARNESS_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "viommu_fmt.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

/* ---- TAP runner ---- */

static unsigned int h_nr_checks;
static unsigned int h_nr_failed;
static char h_diags[8192];	/* diag() lines, printed after the next check */
static size_t h_diags_len;
static struct viommu_walk_buf h_walk_buf;	/* for every walk: one at a time */

static inline void check(bool ok, const char *fmt, ...)
{
	va_list ap;

	h_nr_checks++;
	if (!ok)
		h_nr_failed++;
	printf("%sok %u ", ok ? "" : "not ", h_nr_checks);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fputs(h_diags, stdout);
	h_diags[0] = 0;
	h_diags_len = 0;
	fflush(stdout);
}

static inline void diag(const char *fmt, ...)
{
	size_t room = sizeof(h_diags) - h_diags_len;
	va_list ap;
	int len;

	if (room < 4)
		return;
	len = snprintf(h_diags + h_diags_len, room, "# ");
	va_start(ap, fmt);
	len += vsnprintf(h_diags + h_diags_len + len, room - len, fmt, ap);
	va_end(ap);
	if ((size_t)len + 1 < room) {
		h_diags[h_diags_len + len] = '\n';
		h_diags[h_diags_len + len + 1] = 0;
		h_diags_len += len + 1;
	} else {
		h_diags_len = sizeof(h_diags) - 1;
	}
}

/* Print the plan; returns the exit status. */
static inline int tap_done(void)
{
	printf("1..%u\n", h_nr_checks);
	if (h_nr_failed)
		printf("# %u of %u checks failed\n", h_nr_failed, h_nr_checks);
	return h_nr_failed ? 1 : 0;
}

/* ---- deterministic random numbers (splitmix64) ---- */

static u64 rng_state;

static inline u64 rnd(void)
{
	u64 z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform enough in [0, n); 0 when n is 0. */
static inline u64 rnd_below(u64 n)
{
	return n ? rnd() % n : 0;
}

static inline bool chance(unsigned int percent)
{
	return rnd_below(100) < percent;
}

/* ---- guest memory ---- */

/* One leaf of a reference model; prot 0 is a leaf granting nothing. */
struct h_leaf {
	u64 iova;
	u64 last;
	u64 gpa;
	u32 prot;
};

#define H_MAX_SPANS	4096

struct h_ctx {
	u8 *mem;		/* size bytes at guest physical address base */
	u64 base;
	u64 size;
	u64 used;		/* bytes handed out by h_alloc() */
	u64 fault_gpa;		/* an entry whose read fails, or ~0 */
	unsigned long reads;

	/* h_emit_model(): the leaves, sorted, and the walk being checked */
	const struct h_leaf *leaves;
	unsigned int nr_leaves;
	unsigned int cur;
	u64 next;		/* IOVA the next span must start at */
	u64 last;
	bool done;		/* a span ended at last */
	bool bad;
	char why[256];
	unsigned long emitted;

	/* h_emit_record() */
	struct viommu_span spans[H_MAX_SPANS];
	unsigned int nr_spans;
	bool overflow;
};

static inline struct h_ctx *h_ctx_new(u64 base, u64 size)
{
	struct h_ctx *c = calloc(1, sizeof(*c));

	if (!c)
		exit(2);
	c->mem = calloc(1, size);
	if (!c->mem)
		exit(2);
	c->base = base;
	c->size = size;
	c->fault_gpa = ~0ULL;
	return c;
}

static inline void h_ctx_free(struct h_ctx *c)
{
	free(c->mem);
	free(c);
}

/*
 * The walker's read callback: -EFAULT outside memory, misaligned, or when
 * the entry at fault_gpa is among those read.  A read that crosses a
 * 4 KiB page, which the walker promises never to ask for, aborts.
 */
static inline int h_read(void *opaque, u64 gpa, unsigned int n, u64 *raw)
{
	struct h_ctx *c = opaque;
	u64 bytes = (u64)n * 8;

	if (!n || n > VIOMMU_WALK_CHUNK ||
	    (gpa & (VIOMMU_WALK_PAGE - 1)) + bytes > VIOMMU_WALK_PAGE) {
		fprintf(stderr, "%s: %u entries at %#llx break the contract\n",
			__func__, n, (unsigned long long)gpa);
		abort();
	}
	c->reads += n;
	if (gpa & 7 || gpa < c->base || c->size < bytes ||
	    gpa - c->base > c->size - bytes ||
	    (c->fault_gpa >= gpa && c->fault_gpa - gpa < bytes))
		return -EFAULT;
	memcpy(raw, c->mem + (gpa - c->base), bytes);
	return 0;
}

static inline void h_reset(struct h_ctx *c)
{
	memset(c->mem, 0, c->used);
	c->used = 0;
	c->fault_gpa = ~0ULL;
}

/* @size zeroed bytes aligned to @align (a power of two), or 0 when full. */
static inline u64 h_alloc(struct h_ctx *c, u64 size, u64 align)
{
	u64 off = (c->used + align - 1) & ~(align - 1);

	if (off + size > c->size || off + size < off)
		return 0;
	c->used = off + size;
	return c->base + off;
}

/* Raw 8 bytes at @gpa, as stored in guest memory (no byte swapping). */
static inline u64 h_get_raw(struct h_ctx *c, u64 gpa)
{
	u64 raw;

	memcpy(&raw, c->mem + (gpa - c->base), 8);
	return raw;
}

static inline void h_set_raw(struct h_ctx *c, u64 gpa, u64 raw)
{
	memcpy(c->mem + (gpa - c->base), &raw, 8);
}

/* ---- printing ---- */

static inline const char *h_kind_name(enum viommu_span_kind kind)
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

static inline void h_print_span(const char *what, const struct viommu_span *s)
{
	diag("  %s %s [%#llx, %#llx] gpa %#llx prot %u refusal %u", what,
	     h_kind_name(s->kind), (unsigned long long)s->iova,
	     (unsigned long long)s->last, (unsigned long long)s->gpa,
	     s->prot, s->refusal);
}

/* ---- checking a walk against the model, span by span ---- */

static inline int h_model_fail(struct h_ctx *c, const struct viommu_span *s,
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

/*
 * Why the LEAF span @s is not what the sorted model leaves from @l (up to
 * @end) say, or NULL: it must lie inside a model leaf, or a run of them
 * each continuing the last in IOVA (the walker reports a run of guest
 * entries as one span), with their GPAs and prot.
 */
static inline const char *h_leaf_mismatch(const struct h_leaf *l,
					  const struct h_leaf *end,
					  const struct viommu_span *s)
{
	u64 at = s->iova;

	if (l >= end || l->iova > s->iova)
		return "not inside the model's leaves";
	if (s->leaf_shift < 12 || s->leaf_shift > 63)
		return "bad leaf_shift";
	for (;;) {
		if (s->gpa + (at - s->iova) != l->gpa + (at - l->iova))
			return "GPA differs from the model's";
		if (s->prot != l->prot)
			return "prot differs from the model's";
		if (l->last >= s->last)
			return NULL;
		at = l->last + 1;
		if (++l == end || l->iova != at)
			return "runs past the model's leaves";
	}
}

/*
 * Spans must be contiguous, increasing and cover exactly the range; a LEAF
 * lies inside model leaves with their GPA and prot; a HOLE meets no leaf;
 * nothing is refused.
 */
static inline int h_emit_model(void *opaque, const struct viommu_span *s)
{
	struct h_ctx *c = opaque;
	const struct h_leaf *l;
	const char *why;

	if (c->done)
		return h_model_fail(c, s, "span after the end of the range");
	if (s->iova != c->next)
		return h_model_fail(c, s, "expected to start at %#llx",
				    (unsigned long long)c->next);
	if (s->last < s->iova || s->last > c->last)
		return h_model_fail(c, s, "bad end (range ends at %#llx)",
				    (unsigned long long)c->last);

	while (c->cur < c->nr_leaves && c->leaves[c->cur].last < s->iova)
		c->cur++;
	l = c->cur < c->nr_leaves ? &c->leaves[c->cur] : NULL;

	switch (s->kind) {
	case VIOMMU_SPAN_HOLE:
		if (l && l->iova <= s->last)
			return h_model_fail(c, s, "hole over leaf at %#llx",
					    (unsigned long long)l->iova);
		break;
	case VIOMMU_SPAN_LEAF:
		why = h_leaf_mismatch(c->leaves + c->cur,
				      c->leaves + c->nr_leaves, s);
		if (why)
			return h_model_fail(c, s, "%s", why);
		break;
	default:
		return h_model_fail(c, s, "refused in a well-formed table");
	}

	if (s->last == c->last)
		c->done = true;
	else
		c->next = s->last + 1;
	c->emitted++;
	return 0;
}

/* Walk [iova, last] with @w (whose ctx is @c) against sorted @leaves. */
static inline bool h_walk_model(struct h_ctx *c, struct viommu_walk *w,
				const struct h_leaf *leaves, unsigned int n,
				u64 iova, u64 last)
{
	int ret;

	w->emit = h_emit_model;
	w->ctx = c;
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

static inline int h_cmp_leaf(const void *a, const void *b)
{
	const struct h_leaf *x = a, *y = b;

	return x->iova < y->iova ? -1 : x->iova > y->iova;
}

/* A random distance, of any order of magnitude (rarely a huge one). */
static inline u64 h_jitter(void)
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
 * A range inside [0, @top] to walk: mostly near the @n (> 0) leaves,
 * sometimes anywhere, sometimes a few bytes across a leaf boundary.
 */
static inline void h_pick_range(const struct h_leaf *leaves, unsigned int n,
				u64 top, u64 *first, u64 *last)
{
	unsigned int i = rnd_below(n), j = i + rnd_below(8);
	const struct h_leaf *a = &leaves[i];
	const struct h_leaf *b = &leaves[j < n ? j : n - 1];
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
		x = a->iova - h_jitter();
		if (x > a->iova)
			x = 0;
		y = b->last + h_jitter();
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

/* ---- exact expectations, for hand-made tables ---- */

static inline int h_emit_record(void *opaque, const struct viommu_span *s)
{
	struct h_ctx *c = opaque;

	if (c->nr_spans == H_MAX_SPANS) {
		c->overflow = true;
		return -E2BIG;
	}
	c->spans[c->nr_spans++] = *s;
	return 0;
}

static inline bool h_same_meaning(const struct viommu_span *a,
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
 * Check the @nr spans a walk of [@iova, @last] reported, in @spans, against
 * @exp: in order and inside the range, and equal to @exp once neighbouring
 * spans that mean the same are merged (the walker reports one span per
 * entry it visits, or per run of entries it read together).  @spans is
 * merged in place.
 */
static inline bool h_spans_match(u64 iova, u64 last, struct viommu_span *spans,
				 unsigned int nr,
				 const struct viommu_span *exp,
				 unsigned int nr_exp)
{
	unsigned int i, n = 0;
	u64 next = iova;

	for (i = 0; i < nr; i++) {
		struct viommu_span *s = &spans[i];

		if (s->iova != next || s->last < s->iova || s->last > last) {
			diag("walk [%#llx, %#llx]: span %u out of order",
			     (unsigned long long)iova,
			     (unsigned long long)last, i);
			h_print_span("got", s);
			return false;
		}
		next = s->last + 1;
		if (n && h_same_meaning(&spans[n - 1], s))
			spans[n - 1].last = s->last;
		else
			spans[n++] = *s;
	}

	for (i = 0; i < n || i < nr_exp; i++) {
		const struct viommu_span *g = i < n ? &spans[i] : NULL;
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
			h_print_span("expected", e);
		if (g)
			h_print_span("got     ", g);
		return false;
	}
	return true;
}

/* Walk [iova, last] with @w (whose ctx becomes @c); h_spans_match() @exp. */
static inline bool h_walk_expect(struct h_ctx *c, struct viommu_walk *w,
				 u64 iova, u64 last,
				 const struct viommu_span *exp,
				 unsigned int nr_exp)
{
	int ret;

	w->emit = h_emit_record;
	w->ctx = c;
	c->nr_spans = 0;
	c->overflow = false;
	ret = viommu_walk(w, iova, last);
	if (ret) {
		diag("walk [%#llx, %#llx] returned %d%s",
		     (unsigned long long)iova, (unsigned long long)last, ret,
		     c->overflow ? " (too many spans)" : "");
		return false;
	}
	return h_spans_match(iova, last, c->spans, c->nr_spans, exp, nr_exp);
}

#define H_HOLE(a, b)	{ .kind = VIOMMU_SPAN_HOLE, .iova = (a), .last = (b) }
#define H_REFUSED(a, b, why) \
	{ .kind = VIOMMU_SPAN_REFUSED, .iova = (a), .last = (b), \
	  .refusal = (why) }
#define H_LEAF(a, b, g, p) \
	{ .kind = VIOMMU_SPAN_LEAF, .iova = (a), .last = (b), .gpa = (g), \
	  .prot = (p) }

/*
 * What a walk over [@x, @y] reports when the only entry present covers
 * [@start, @end] (inside it) and reads as @what: holes around it, @what
 * over exactly its span, or one hole when @what is a hole.  Into @exp
 * (room for 3); returns how many spans.
 */
static inline unsigned int h_expect_entry(struct viommu_span *exp, u64 x,
					  u64 y, u64 start, u64 end,
					  const struct viommu_span *what)
{
	unsigned int n = 0;

	if (what->kind == VIOMMU_SPAN_HOLE) {
		exp[0] = (struct viommu_span)H_HOLE(x, y);
		return 1;
	}
	if (x < start)
		exp[n++] = (struct viommu_span)H_HOLE(x, start - 1);
	exp[n] = *what;
	exp[n].iova = start;
	exp[n].last = end;
	n++;
	if (end < y)
		exp[n++] = (struct viommu_span)H_HOLE(end + 1, y);
	return n;
}

/*
 * What a walk over [@x, @y], strictly inside an entry from @start that
 * reads as @what, reports: @what clipped to the range.
 */
static inline struct viommu_span h_expect_inside(const struct viommu_span *what,
						 u64 start, u64 x, u64 y)
{
	struct viommu_span in = *what;

	in.iova = x;
	in.last = y;
	if (what->kind == VIOMMU_SPAN_LEAF)
		in.gpa = what->gpa + (x - start);
	return in;
}

#endif /* _FMT_HARNESS_H */
