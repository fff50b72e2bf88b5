// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for one guest IO page table format under the shared
 * walker.  The Makefile builds it once per format, with
 * -DFUZZ_FORMAT=<enum kvm_viommu_format constant>, into fuzz_<name>.
 *
 * The input is a header (struct fuzz_hdr: levels, page shift, window
 * offset, root, range, a few flags) followed by the guest memory image,
 * exposed at guest physical address 0 through the read callback (-EFAULT
 * outside it or misaligned).  Walks of hostile tables must keep these
 * invariants, or the target aborts:
 *
 * - viommu_walk() returns -EINVAL exactly when the layout, range or root
 *   is one the format cannot have, and then emits nothing;
 * - otherwise it returns 0 after spans covering the range exactly, or the
 *   value our emit callback stops it with (after FUZZ_MAX_SPANS spans);
 * - spans are contiguous, in increasing order and inside the range; each
 *   is a HOLE, a LEAF whose permissions are READ/WRITE bits only and whose
 *   GPA arithmetic (gpa + last - iova) does not overflow, or a REFUSED
 *   span with a valid &enum kvm_viommu_refusal;
 * - the work is bounded by the entries read (spans <= 2 * reads + 1);
 * - walking the range in two halves tells the same as walking it whole,
 *   also when the halves are leaf_only walks (FL_LEAF_ONLY: the table does
 *   not change after the whole walk, which reads every level);
 * - and no sanitizer report, no crash.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "viommu_fmt.h"

#ifndef FUZZ_FORMAT
#error "build with -DFUZZ_FORMAT=<an enum kvm_viommu_format constant>"
#endif

#define FUZZ_MAX_SPANS	4096u		/* stop a walk after this many */
#define FUZZ_STOP	0x5709		/* what emit stops it with */
#define FUZZ_MAX_SAVED	4096		/* spans kept for the split check */

/* How the header's fields are used (host byte order). */
#define FL_RAW_LAYOUT	0x01	/* levels/page_shift taken as they are */
#define FL_RAW_BASE	0x02	/* window offset taken as it is */
#define FL_ROOT_ODD	0x04	/* root misaligned by 8 bytes */
#define FL_RAW_RANGE	0x08	/* range taken as it is */
#define FL_LEAF_ONLY	0x10	/* the halves are leaf_only walks */

struct fuzz_hdr {
	u8 levels;
	u8 page_shift;
	u8 flags;
	u8 root_page;		/* root = root_page * root_align */
	u32 split;		/* where to cut the range for the split check */
	u64 iova_base;
	u64 start;
	u64 len;
};

struct fuzz_ctx {
	const u8 *mem;
	size_t mem_len;
	unsigned long reads;

	u64 next;		/* IOVA the next span must start at */
	u64 last;
	bool done;
	unsigned long spans;

	struct viommu_span *saved;	/* merged spans, or NULL */
	unsigned int nr_saved;
	bool saved_overflow;
};

static const struct viommu_fmt *fmt;

#define fuzz_assert(cond) \
	do { \
		if (!(cond)) { \
			fprintf(stderr, "fuzz_walk: %s:%d: %s\n", __FILE__, \
				__LINE__, #cond); \
			abort(); \
		} \
	} while (0)

static int mem_read_one(void *opaque, u64 gpa, u64 *raw)
{
	struct fuzz_ctx *c = opaque;

	c->reads++;
	if (gpa & 7 || c->mem_len < 8 || gpa > c->mem_len - 8)
		return -EFAULT;
	memcpy(raw, c->mem + gpa, sizeof(*raw));
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

static bool refusal_valid(u32 why)
{
	switch (why) {
	case KVM_VIOMMU_REFUSED_NO_MEMSLOT:
	case KVM_VIOMMU_REFUSED_READONLY_SLOT:
	case KVM_VIOMMU_REFUSED_PRIVATE:
	case KVM_VIOMMU_REFUSED_TABLE_FAULT:
	case KVM_VIOMMU_REFUSED_RESERVED_BITS:
	case KVM_VIOMMU_REFUSED_MEMLOCK:
	case KVM_VIOMMU_REFUSED_PIN:
	case KVM_VIOMMU_REFUSED_MAP:
	case KVM_VIOMMU_REFUSED_RESERVED_IOVA:
		return true;
	default:
		return false;
	}
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

static void save_span(struct fuzz_ctx *c, const struct viommu_span *s)
{
	if (!c->saved || c->saved_overflow)
		return;
	if (c->nr_saved && same_meaning(&c->saved[c->nr_saved - 1], s)) {
		c->saved[c->nr_saved - 1].last = s->last;
		return;
	}
	if (c->nr_saved == FUZZ_MAX_SAVED) {
		c->saved_overflow = true;
		return;
	}
	c->saved[c->nr_saved++] = *s;
}

static int emit_check(void *opaque, const struct viommu_span *s)
{
	struct fuzz_ctx *c = opaque;

	fuzz_assert(!c->done);
	fuzz_assert(s->iova == c->next);
	fuzz_assert(s->last >= s->iova && s->last <= c->last);

	switch (s->kind) {
	case VIOMMU_SPAN_HOLE:
		break;
	case VIOMMU_SPAN_LEAF:
		fuzz_assert(!(s->prot & ~VIOMMU_PROT_RW));
		fuzz_assert(s->gpa + (s->last - s->iova) >= s->gpa);
		fuzz_assert(s->leaf_shift >= 12 && s->leaf_shift < 64);
		break;
	case VIOMMU_SPAN_REFUSED:
		fuzz_assert(refusal_valid(s->refusal));
		break;
	default:
		fuzz_assert(!"span kind");
	}

	save_span(c, s);
	if (s->last == c->last)
		c->done = true;
	else
		c->next = s->last + 1;
	if (++c->spans >= FUZZ_MAX_SPANS)
		return FUZZ_STOP;
	return 0;
}

/*
 * Walk [iova, last] with every check; returns viommu_walk()'s value.  With
 * @append, the spans are merged after those already saved.
 */
static int checked_walk(struct fuzz_ctx *c, const struct viommu_walk *w,
			u64 iova, u64 last, bool valid, bool append)
{
	int ret;

	c->reads = 0;
	c->next = iova;
	c->last = last;
	c->done = false;
	c->spans = 0;
	if (!append) {
		c->nr_saved = 0;
		c->saved_overflow = false;
	}

	ret = viommu_walk(w, iova, last);
	if (!valid) {
		fuzz_assert(ret == -EINVAL && !c->spans);
		return ret;
	}
	fuzz_assert(ret == 0 || ret == FUZZ_STOP);
	if (ret == 0)
		fuzz_assert(c->done);
	else
		fuzz_assert(c->spans == FUZZ_MAX_SPANS);
	fuzz_assert(c->spans <= 2 * c->reads + 1);
	return ret;
}

static unsigned int pick(u8 sel, unsigned int min, unsigned int max)
{
	return min + sel % (max - min + 1);
}

/*
 * libFuzzer's LLVMFuzzerTestOneInput(), under a name checkpatch accepts:
 * the Makefile links it with --defsym=LLVMFuzzerTestOneInput=fuzz_one_input.
 */
int fuzz_one_input(const u8 *data, size_t size);
int fuzz_one_input(const u8 *data, size_t size)
{
	static struct viommu_span whole[FUZZ_MAX_SAVED];
	static struct viommu_span halves[FUZZ_MAX_SAVED];
	static struct viommu_walk_buf buf;
	struct fuzz_ctx c = { 0 };
	struct viommu_walk w = { 0 };
	struct fuzz_hdr h;
	u64 iova, last, top, span, off, len;
	unsigned int nr_whole, i;
	bool valid;
	u8 *mem;
	int ret;

	if (!fmt) {
		fmt = viommu_fmt_get(FUZZ_FORMAT);
		if (!fmt) {
			fprintf(stderr, "fuzz_walk: format %d is not registered\n",
				(int)FUZZ_FORMAT);
			exit(1);
		}
	}
	if (size < sizeof(h))
		return 0;
	memcpy(&h, data, sizeof(h));

	/* An exact-size copy, so that ASan sees any read past the image. */
	c.mem_len = size - sizeof(h);
	mem = malloc(c.mem_len ? c.mem_len : 1);
	if (!mem)
		return 0;
	memcpy(mem, data + sizeof(h), c.mem_len);
	c.mem = mem;

	w.fmt = fmt;
	w.read = mem_read;
	w.emit = emit_check;
	w.ctx = &c;
	w.buf = &buf;
	if (h.flags & FL_RAW_LAYOUT) {
		w.cfg.levels = h.levels;
		w.cfg.page_shift = h.page_shift;
	} else {
		w.cfg.levels = pick(h.levels, fmt->min_levels, fmt->max_levels);
		w.cfg.page_shift = pick(h.page_shift, fmt->min_page_shift,
					fmt->max_page_shift);
	}
	if (fmt->windowed) {
		w.cfg.iova_base = h.iova_base;
		if (!(h.flags & FL_RAW_BASE) && w.cfg.page_shift < 64)
			w.cfg.iova_base &= ~(BIT_ULL(w.cfg.page_shift) - 1);
	}
	w.root = (u64)h.root_page * fmt->root_align;
	if (h.flags & FL_ROOT_ODD)
		w.root += 8;

	valid = !viommu_fmt_check(fmt, &w.cfg) &&
		!(w.root & (fmt->root_align - 1));
	top = valid ? viommu_fmt_iova_last(fmt, &w.cfg) : ~0ULL;

	if (h.flags & FL_RAW_RANGE || !valid) {
		iova = h.start;
		last = h.len;
	} else {
		/* Ranges of every order of magnitude: len's low 6 bits. */
		len = (h.len >> 6) & (BIT_ULL(h.len & 63) - 1);
		span = top - w.cfg.iova_base;
		off = span == ~0ULL ? h.start : h.start % (span + 1);
		iova = w.cfg.iova_base + off;
		last = iova + (len < span - off ? len : span - off);
	}
	valid = valid && iova <= last && iova >= w.cfg.iova_base &&
		last <= top;

	c.saved = whole;
	ret = checked_walk(&c, &w, iova, last, valid, false);
	if (ret || c.saved_overflow || iova == last)
		goto out;

	/* The same range in two halves must tell the same. */
	nr_whole = c.nr_saved;
	off = h.split % (last - iova);
	c.saved = halves;
	w.leaf_only = h.flags & FL_LEAF_ONLY;
	if (checked_walk(&c, &w, iova, iova + off, true, false) ||
	    checked_walk(&c, &w, iova + off + 1, last, true, true) ||
	    c.saved_overflow)
		goto out;
	fuzz_assert(c.nr_saved == nr_whole);
	for (i = 0; i < nr_whole; i++) {
		const struct viommu_span *a = &whole[i], *b = &halves[i];

		fuzz_assert(a->kind == b->kind && a->iova == b->iova &&
			    a->last == b->last);
		if (a->kind == VIOMMU_SPAN_LEAF)
			fuzz_assert(a->gpa == b->gpa && a->prot == b->prot);
		if (a->kind == VIOMMU_SPAN_REFUSED)
			fuzz_assert(a->refusal == b->refusal);
	}
out:
	free(mem);
	return 0;
}
