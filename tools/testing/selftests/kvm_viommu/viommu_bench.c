// SPDX-License-Identifier: GPL-2.0
/*
 * viommu_bench - VFIO type1 shadowing versus kvm-viommu, run by `make bench`.
 *
 * The program plays a VMM in the test VM, as the selftests do: its own
 * memory is the RAM of a KVM guest, the edu device's group is the assigned
 * device, and "the guest" writes x86-64 IO page table entries straight into
 * that memory.  For each k (pages per guest invalidation) the guest maps k
 * pages, the invalidation is handled and timed, the guest unmaps them and
 * that invalidation is handled and timed.  Four ways of handling it:
 *
 *   A   what QEMU does with a caching-mode vIOMMU: walk the guest table in
 *       userspace over the range, diff it against a userspace shadow and
 *       issue one type1 VFIO_IOMMU_MAP_DMA / UNMAP_DMA per changed page;
 *   A'  type1 at its best: the same walk, one MAP_DMA / UNMAP_DMA per
 *       contiguous run (here: one per invalidation);
 *   B   one KVM_VIOMMU_REFRESH per invalidation;
 *   C   the doorbell: post a ring request, write the kick eventfd and wait
 *       on the completion eventfd.
 *
 * All arms use the same guest pages and IOVAs.  A type1 container and a
 * VFIO_KVM_IOMMU container cannot hold the group at the same time, so the
 * group moves between them per block (UNSET_CONTAINER / SET_CONTAINER);
 * inside a block the two arms of that backend alternate every repetition.
 * Blocks alternate T K K T T K ... until the time budget is spent.
 *
 * Output: a CSV block of timings and one of counts, each between marker
 * lines, and a human-readable summary (also between markers).
 *
 * Usage: viommu_bench [-t BUDGET_S] [-s REPS_SCALE] [-p MAX_PAIRS]
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "viommu_util.h"

#define IOVA_BASE	0x400000ULL		/* 4 MiB, below edu's 28 bits */
#define APERTURE_LAST	0xfffffffULL
#define RING_GPA	0x3000000ULL		/* above the data pages */
#define RING_ENTRIES	64
#define ADDR_MASK	0x000ffffffffff000ULL
#define MAX_PAGES	4096
#define MAX_SAMPLES	16384

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

enum arm { ARM_A, ARM_AP, ARM_B, ARM_C, NR_ARMS };
enum op { OP_MAP, OP_UNMAP, NR_OPS };

static const char * const arm_name[NR_ARMS] = { "A", "A'", "B", "C" };
static const char * const op_name[NR_OPS] = { "map", "unmap" };
static const unsigned int ks[] = { 1, 8, 64, 512, 4096 };
#define NR_K	ARRAY_SIZE(ks)
/* Repetitions of each (arm, op, k) per block, before scaling. */
static const unsigned int block_reps[NR_K] = { 40, 40, 20, 8, 2 };

struct series {
	double ns[MAX_SAMPLES];
	unsigned int n;
	unsigned long syscalls;
	unsigned long vcsw;
};

struct bench {
	struct vmm v;
	struct gtable gt;
	int container;
	uint32_t table_id;
	int kick;
	int done;
	struct kvm_viommu_ring_hdr *hdr;
	struct kvm_viommu_ring_req *req;
	uint64_t shadow[MAX_PAGES];	/* A, A': gpa | 1 per mapped IOVA page */
	unsigned long nsys;		/* syscalls made on the timed path */
	struct series s[NR_ARMS][NR_OPS][NR_K];
};

static struct bench b;

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "viommu_bench: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static long vcsw(void)
{
	struct rusage ru;

	getrusage(RUSAGE_THREAD, &ru);
	return ru.ru_nvcsw;
}

/* Syscalls of the timed path go through these, which count them. */
static int xioctl(int fd, unsigned long req, void *arg)
{
	b.nsys++;
	return ioctl(fd, req, arg);
}

static ssize_t xwrite(int fd, const void *buf, size_t len)
{
	b.nsys++;
	return write(fd, buf, len);
}

static ssize_t xread(int fd, void *buf, size_t len)
{
	b.nsys++;
	return read(fd, buf, len);
}

/* The guest's side: write or clear k leaves (never timed). */
static void guest_map(unsigned int k)
{
	unsigned int i;

	for (i = 0; i < k; i++)
		gt_map(&b.gt, IOVA_BASE + i * SZ_4K, GUEST_DATA + i * SZ_4K, 1,
		       true);
}

static void guest_unmap(unsigned int k)
{
	unsigned int i;

	for (i = 0; i < k; i++)
		gt_clear(&b.gt, IOVA_BASE + i * SZ_4K, 1);
}

/*
 * The VMM's userspace walk of the guest table for one IOVA, as QEMU's
 * vtd_page_walk does: 0 when not mapped, else the leaf's GPA | 1, with
 * bit 1 for write.  4 KiB leaves only (the guest maps nothing larger).
 */
static uint64_t walk(uint64_t iova)
{
	uint64_t table = b.gt.root, e = 0;
	bool write = true;
	int l;

	for (l = b.gt.levels; l >= 1; l--) {
		unsigned int idx = (iova >> (12 + 9 * (l - 1))) & 511;

		e = ((uint64_t *)(b.v.mem + table))[idx];
		if (!(e & PTE_P))
			return 0;
		write = write && (e & PTE_RW);
		table = e & ADDR_MASK;
	}
	return table | 1 | (write ? 2 : 0);
}

static void t1_map(uint64_t iova, uint64_t gpa, uint64_t size, bool write)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m),
		.flags = VFIO_DMA_MAP_FLAG_READ |
			 (write ? VFIO_DMA_MAP_FLAG_WRITE : 0),
		.vaddr = (uintptr_t)(b.v.mem + gpa),
		.iova = iova,
		.size = size,
	};

	if (xioctl(b.container, VFIO_IOMMU_MAP_DMA, &m))
		die("MAP_DMA iova %#llx size %#llx: %s",
		    (unsigned long long)iova, (unsigned long long)size,
		    strerror(errno));
}

static void t1_unmap(uint64_t iova, uint64_t size)
{
	struct vfio_iommu_type1_dma_unmap u = {
		.argsz = sizeof(u),
		.iova = iova,
		.size = size,
	};

	if (xioctl(b.container, VFIO_IOMMU_UNMAP_DMA, &u) || u.size != size)
		die("UNMAP_DMA iova %#llx size %#llx: %s",
		    (unsigned long long)iova, (unsigned long long)size,
		    strerror(errno));
}

/*
 * A (runs == false) and A' (runs == true): walk [IOVA_BASE, + k pages),
 * diff against the shadow, and map or unmap what changed, page by page or
 * in runs contiguous in both IOVA and GPA with the same permission.
 */
static void handle_type1(unsigned int k, bool runs)
{
	uint64_t run_iova = 0, run_gpa = 0, run_len = 0, un_iova = 0;
	uint64_t un_len = 0;
	bool run_w = false;
	unsigned int i;

	for (i = 0; i <= k; i++) {
		uint64_t iova = IOVA_BASE + i * SZ_4K;
		uint64_t e = i < k ? walk(iova) : 0;
		uint64_t old = i < k ? b.shadow[i] : 0;
		bool changed = i < k && old != e;
		bool w = e & 2;

		/* Close the pending runs that this page does not extend. */
		if (un_len && (!changed || !old || un_iova + un_len != iova)) {
			t1_unmap(un_iova, un_len);
			un_len = 0;
		}
		if (run_len && (!changed || !e || run_w != w ||
				run_iova + run_len != iova ||
				run_gpa + run_len != (e & ADDR_MASK))) {
			t1_map(run_iova, run_gpa, run_len, run_w);
			run_len = 0;
		}
		if (!changed)
			continue;
		if (old) {
			if (!runs) {
				t1_unmap(iova, SZ_4K);
			} else {
				if (!un_len)
					un_iova = iova;
				un_len += SZ_4K;
			}
		}
		if (e) {
			if (!runs) {
				if (un_len)
					die("internal: pending unmap run");
				t1_map(iova, e & ADDR_MASK, SZ_4K, w);
			} else {
				if (un_len) {	/* replace: unmap before map */
					t1_unmap(un_iova, un_len);
					un_len = 0;
				}
				if (!run_len) {
					run_iova = iova;
					run_gpa = e & ADDR_MASK;
					run_w = w;
				}
				run_len += SZ_4K;
			}
		}
		b.shadow[i] = e;
	}
}

static void handle_refresh(unsigned int k, enum op op)
{
	struct kvm_viommu_refresh rf = {
		.argsz = sizeof(rf),
		.table_id = b.table_id,
		.iova = IOVA_BASE,
		.size = k * SZ_4K,
	};

	if (xioctl(b.container, KVM_VIOMMU_REFRESH, &rf))
		die("REFRESH k=%u: %s", k, strerror(errno));
	if ((op == OP_MAP ? rf.mapped : rf.unmapped) != k || rf.refused)
		die("REFRESH k=%u %s: mapped %llu unmapped %llu refused %llu",
		    k, op_name[op], (unsigned long long)rf.mapped,
		    (unsigned long long)rf.unmapped,
		    (unsigned long long)rf.refused);
}

static void handle_doorbell(unsigned int k, enum op op)
{
	uint32_t prod = b.hdr->prod;
	struct kvm_viommu_ring_req *q = &b.req[prod & (RING_ENTRIES - 1)];
	uint64_t one = 1, val;

	memset(q, 0, sizeof(*q));
	q->table_id = b.table_id;
	q->op = KVM_VIOMMU_REQ_REFRESH;
	q->iova = IOVA_BASE;
	q->size = k * SZ_4K;
	__atomic_store_n(&b.hdr->prod, prod + 1, __ATOMIC_RELEASE);
	if (xwrite(b.kick, &one, sizeof(one)) != sizeof(one))
		die("kick: %s", strerror(errno));
	while (__atomic_load_n(&b.hdr->cons, __ATOMIC_ACQUIRE) != prod + 1)
		if (xread(b.done, &val, sizeof(val)) != sizeof(val))
			die("done: %s", strerror(errno));
	if (q->status != KVM_VIOMMU_REQ_DONE ||
	    (op == OP_MAP ? q->mapped : q->unmapped) != k)
		die("doorbell k=%u %s: status %u mapped %llu unmapped %llu",
		    k, op_name[op], q->status, (unsigned long long)q->mapped,
		    (unsigned long long)q->unmapped);
}

static void handle(enum arm arm, enum op op, unsigned int k)
{
	switch (arm) {
	case ARM_A:
		handle_type1(k, false);
		break;
	case ARM_AP:
		handle_type1(k, true);
		break;
	case ARM_B:
		handle_refresh(k, op);
		break;
	default:
		handle_doorbell(k, op);
		break;
	}
}

/* One timed invalidation; @record false for warm-up. */
static void one(enum arm arm, enum op op, unsigned int ki, bool record)
{
	struct series *s = &b.s[arm][op][ki];
	unsigned long sys0 = b.nsys;
	long cs0 = vcsw();
	double t0, t1;

	if (op == OP_MAP)
		guest_map(ks[ki]);
	else
		guest_unmap(ks[ki]);
	t0 = now_ns();
	handle(arm, op, ks[ki]);
	t1 = now_ns();
	if (!record || s->n >= MAX_SAMPLES)
		return;
	s->ns[s->n++] = t1 - t0;
	s->syscalls += b.nsys - sys0;
	s->vcsw += vcsw() - cs0;
}

static void set_container(int type)
{
	b.container = open("/dev/vfio/vfio", O_RDWR);
	if (b.container < 0)
		die("/dev/vfio/vfio: %s", strerror(errno));
	if (ioctl(b.v.group, VFIO_GROUP_SET_CONTAINER, &b.container))
		die("SET_CONTAINER: %s", strerror(errno));
	if (ioctl(b.container, VFIO_SET_IOMMU, type))
		die("SET_IOMMU(%d): %s", type, strerror(errno));
}

static void unset_container(void)
{
	if (ioctl(b.v.group, VFIO_GROUP_UNSET_CONTAINER))
		die("UNSET_CONTAINER: %s", strerror(errno));
	close(b.container);
	b.container = -1;
}

static void kvm_setup(void)
{
	struct kvm_viommu_set_doorbell db = {
		.argsz = sizeof(db),
		.kick_fd = b.kick,
		.done_fd = b.done,
		.entries = RING_ENTRIES,
		.ring_gpa = RING_GPA,
	};
	int ret;

	set_container(VFIO_KVM_IOMMU);
	ret = viommu_bind_raw(b.container, b.v.vm);
	if (ret)
		die("BIND_VM: %s", strerror(-ret));
	ret = viommu_set_table_raw(b.container, b.v.group_id,
				   KVM_VIOMMU_FMT_X86_64, b.gt.levels,
				   b.gt.root, 0, APERTURE_LAST, &b.table_id);
	if (ret)
		die("SET_TABLE: %s", strerror(-ret));
	if (ioctl(b.container, KVM_VIOMMU_SET_DOORBELL, &db))
		die("SET_DOORBELL: %s", strerror(errno));
}

/* One block: every k, @reps[k] repetitions, the backend's two arms alternating. */
static void block(bool kvm, const unsigned int *reps)
{
	enum arm a0 = kvm ? ARM_B : ARM_A, a1 = kvm ? ARM_C : ARM_AP;
	unsigned int ki, r;

	if (kvm)
		kvm_setup();
	else
		set_container(VFIO_TYPE1v2_IOMMU);

	/* Warm-up, not recorded: caches, page tables, the worker. */
	one(a0, OP_MAP, 2, false);
	one(a0, OP_UNMAP, 2, false);
	one(a1, OP_MAP, 2, false);
	one(a1, OP_UNMAP, 2, false);

	for (ki = 0; ki < NR_K; ki++) {
		for (r = 0; r < reps[ki]; r++) {
			enum arm first = r & 1 ? a1 : a0;
			enum arm second = r & 1 ? a0 : a1;

			one(first, OP_MAP, ki, true);
			one(first, OP_UNMAP, ki, true);
			one(second, OP_MAP, ki, true);
			one(second, OP_UNMAP, ki, true);
		}
	}
	unset_container();
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, c = *(const double *)y;

	return a < c ? -1 : a > c;
}

/* Nearest-rank percentile of sorted samples. */
static double pct(const struct series *s, double p)
{
	unsigned int i;

	if (!s->n)
		return NAN;
	i = (unsigned int)(p / 100.0 * (s->n - 1) + 0.5);
	return s->ns[i];
}

static double median(const struct series *s)
{
	if (!s->n)
		return NAN;
	if (s->n & 1)
		return s->ns[s->n / 2];
	return (s->ns[s->n / 2 - 1] + s->ns[s->n / 2]) / 2;
}

/*
 * time = fixed + per_page * k over the medians, least squares weighted by
 * 1 / median^2 (relative error), so that k = 4096 does not drown k = 1.
 */
static void fit(enum arm arm, enum op op, double *fixed, double *per_page)
{
	double sw = 0, sx = 0, sy = 0, sxx = 0, sxy = 0, det;
	unsigned int ki;

	for (ki = 0; ki < NR_K; ki++) {
		double y = median(&b.s[arm][op][ki]), x = ks[ki], w;

		if (isnan(y) || y <= 0)
			continue;
		w = 1 / (y * y);
		sw += w;
		sx += w * x;
		sy += w * y;
		sxx += w * x * x;
		sxy += w * x * y;
	}
	det = sw * sxx - sx * sx;
	if (det == 0) {
		*fixed = NAN;
		*per_page = NAN;
		return;
	}
	*per_page = (sw * sxy - sx * sy) / det;
	*fixed = (sy - *per_page * sx) / sw;
}

static double pp(enum arm arm, enum op op, unsigned int ki)
{
	return median(&b.s[arm][op][ki]) / ks[ki];
}

static void report(double secs, unsigned int pairs)
{
	struct utsname u;
	unsigned int ki;
	int arm, op;

	for (arm = 0; arm < NR_ARMS; arm++)
		for (op = 0; op < NR_OPS; op++)
			for (ki = 0; ki < NR_K; ki++) {
				struct series *s = &b.s[arm][op][ki];

				qsort(s->ns, s->n, sizeof(s->ns[0]), cmp_double);
			}

	printf("=== BENCH CSV BEGIN\n");
	printf("arm,op,k,median_ns,p10_ns,p90_ns,per_page_ns,reps\n");
	for (arm = 0; arm < NR_ARMS; arm++)
		for (op = 0; op < NR_OPS; op++)
			for (ki = 0; ki < NR_K; ki++) {
				struct series *s = &b.s[arm][op][ki];

				printf("%s,%s,%u,%.0f,%.0f,%.0f,%.0f,%u\n",
				       arm_name[arm], op_name[op], ks[ki],
				       median(s), pct(s, 10), pct(s, 90),
				       pp(arm, op, ki), s->n);
			}
	printf("=== BENCH CSV END\n");

	printf("=== BENCH COUNTS BEGIN\n");
	printf("arm,op,k,syscalls_per_inv,vcsw_per_inv\n");
	for (arm = 0; arm < NR_ARMS; arm++)
		for (op = 0; op < NR_OPS; op++)
			for (ki = 0; ki < NR_K; ki++) {
				struct series *s = &b.s[arm][op][ki];

				printf("%s,%s,%u,%.2f,%.2f\n", arm_name[arm],
				       op_name[op], ks[ki],
				       s->n ? (double)s->syscalls / s->n : NAN,
				       s->n ? (double)s->vcsw / s->n : NAN);
			}
	printf("=== BENCH COUNTS END\n");

	uname(&u);
	printf("=== BENCH SUMMARY BEGIN\n");
	printf("kvm-viommu bench: kernel %s, QEMU TCG (absolute times mean little; ratios do)\n",
	       u.release);
	printf("%u block pairs (type1 | kvm-viommu), %.0f s; medians of ns per invalidation / k\n",
	       pairs, secs);
	printf("A: type1 page by page; A': type1 one call per run; B: REFRESH; C: doorbell\n\n");
	for (op = 0; op < NR_OPS; op++) {
		printf("%-5s %5s %10s %10s %10s %10s %7s %7s %6s\n",
		       op_name[op], "k", "A ns/pg", "A' ns/pg", "B ns/pg",
		       "C ns/pg", "A/B", "A'/B", "C/A");
		for (ki = 0; ki < NR_K; ki++)
			printf("%-5s %5u %10.0f %10.0f %10.0f %10.0f %7.2f %7.2f %6.2f\n",
			       "", ks[ki], pp(ARM_A, op, ki), pp(ARM_AP, op, ki),
			       pp(ARM_B, op, ki), pp(ARM_C, op, ki),
			       pp(ARM_A, op, ki) / pp(ARM_B, op, ki),
			       pp(ARM_AP, op, ki) / pp(ARM_B, op, ki),
			       pp(ARM_C, op, ki) / pp(ARM_A, op, ki));
		printf("\n");
	}

	printf("C fixed cost (k=1 median) vs A: map %.2f, unmap %.2f (target <= 0.33)\n",
	       median(&b.s[ARM_C][OP_MAP][0]) / median(&b.s[ARM_A][OP_MAP][0]),
	       median(&b.s[ARM_C][OP_UNMAP][0]) /
	       median(&b.s[ARM_A][OP_UNMAP][0]));
	ki = 3;	/* k = 512 */
	printf("k=512 per page: A/B map %.1f unmap %.1f (target >= 10); ",
	       pp(ARM_A, OP_MAP, ki) / pp(ARM_B, OP_MAP, ki),
	       pp(ARM_A, OP_UNMAP, ki) / pp(ARM_B, OP_UNMAP, ki));
	printf("A'/B map %.2f unmap %.2f (target >= 1)\n\n",
	       pp(ARM_AP, OP_MAP, ki) / pp(ARM_B, OP_MAP, ki),
	       pp(ARM_AP, OP_UNMAP, ki) / pp(ARM_B, OP_UNMAP, ki));

	printf("fit time = fixed + per_page * k (least squares on medians, 1/t^2 weights)\n");
	printf("%-4s %-6s %12s %12s\n", "arm", "op", "fixed ns", "per-page ns");
	for (arm = 0; arm < NR_ARMS; arm++)
		for (op = 0; op < NR_OPS; op++) {
			double f, p;

			fit(arm, op, &f, &p);
			printf("%-4s %-6s %12.0f %12.0f\n", arm_name[arm],
			       op_name[op], f, p);
		}
	printf("\n");

	printf("per invalidation: syscalls (counted) / voluntary context switches (getrusage)\n");
	printf("%-4s %-6s", "arm", "op");
	for (ki = 0; ki < NR_K; ki++)
		printf(" %13s%-4u", "k=", ks[ki]);
	printf("\n");
	for (arm = 0; arm < NR_ARMS; arm++)
		for (op = 0; op < NR_OPS; op++) {
			printf("%-4s %-6s", arm_name[arm], op_name[op]);
			for (ki = 0; ki < NR_K; ki++) {
				struct series *s = &b.s[arm][op][ki];
				double n = s->n ? s->n : NAN;

				printf(" %8.1f /%7.2f", s->syscalls / n,
				       s->vcsw / n);
			}
			printf("\n");
		}
	printf("=== BENCH SUMMARY END\n");
}

static void usage(void)
{
	fprintf(stderr, "Usage: viommu_bench [-t BUDGET_S] [-s REPS_SCALE] [-p MAX_PAIRS]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct rlimit unlimited = { RLIM_INFINITY, RLIM_INFINITY };
	double budget = 240, scale = 1, start, pair_s = 0;
	unsigned int reps[NR_K], ki, pairs = 0, max_pairs = 1000;
	char path[64];
	int c;

	while ((c = getopt(argc, argv, "t:s:p:")) != -1) {
		switch (c) {
		case 't':
			budget = atof(optarg);
			break;
		case 's':
			scale = atof(optarg);
			break;
		case 'p':
			max_pairs = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	for (ki = 0; ki < NR_K; ki++) {
		reps[ki] = block_reps[ki] * scale + 0.5;
		if (!reps[ki])
			reps[ki] = 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* Both backends charge locked_vm; 4096 pages exceed the default. */
	setrlimit(RLIMIT_MEMLOCK, &unlimited);

	vmm_init(&b.v);
	b.container = -1;
	if (!edu_find(b.v.bdf, sizeof(b.v.bdf), &b.v.group_id))
		die("no edu device bound to vfio-pci");
	snprintf(path, sizeof(path), "/dev/vfio/%d", b.v.group_id);
	b.v.group = open(path, O_RDWR);
	if (b.v.group < 0)
		die("%s: %s", path, strerror(errno));
	c = vmm_create_vm(&b.v);
	if (c)
		die("KVM VM: %s", strerror(-c));
	gt_init(&b.gt, b.v.mem, 4);
	guest_map(MAX_PAGES);	/* create every table page once */
	guest_unmap(MAX_PAGES);
	memset(b.v.mem + RING_GPA, 0, SZ_4K * 2);
	b.hdr = (void *)(b.v.mem + RING_GPA);
	b.req = (void *)(b.v.mem + RING_GPA + sizeof(*b.hdr));
	b.kick = eventfd(0, EFD_CLOEXEC);
	b.done = eventfd(0, EFD_CLOEXEC);
	if (b.kick < 0 || b.done < 0)
		die("eventfd: %s", strerror(errno));

	printf("viommu_bench: edu %s (group %d), k = 1..4096, budget %.0f s\n",
	       b.v.bdf, b.v.group_id, budget);
	start = now_ns();
	while (pairs < max_pairs) {
		double t0 = now_ns(), elapsed;
		bool kvm_first = pairs & 1;

		block(kvm_first, reps);
		block(!kvm_first, reps);
		pairs++;
		pair_s = (now_ns() - t0) / 1e9;
		elapsed = (now_ns() - start) / 1e9;
		if (pairs == 1 || !(pairs % 25))
			printf("viommu_bench: pair %u done in %.1f s (%.0f s elapsed)\n",
			       pairs, pair_s, elapsed);
		if (pairs >= 2 && elapsed + pair_s > budget)
			break;
	}
	report((now_ns() - start) / 1e9, pairs);
	close(b.kick);
	close(b.done);
	vmm_close(&b.v);
	return 0;
}
