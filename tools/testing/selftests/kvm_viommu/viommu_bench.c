// SPDX-License-Identifier: GPL-2.0
/*
 * viommu_bench - VFIO type1 shadowing versus kvm-viommu, run by `make bench`.
 *
 * The program plays a VMM in the test VM, as the selftests do: its own
 * memory is the RAM of a KVM guest, the edu device's group is the assigned
 * device, and "the guest" writes x86-64 IO page table entries straight into
 * that memory.  For each k (pages per guest invalidation) the guest maps k
 * pages, the invalidation is handled and timed, the guest unmaps them and
 * that invalidation is handled and timed.  The ways of handling it (arms):
 *
 *   A      what QEMU does with a caching-mode vIOMMU: walk the guest table
 *          in userspace over the range, diff it against a userspace shadow
 *          and issue one type1 VFIO_IOMMU_MAP_DMA / UNMAP_DMA per changed
 *          page;
 *   A'     type1 at its best: the same walk, one MAP_DMA / UNMAP_DMA per
 *          contiguous run (here: one per invalidation);
 *   B      one KVM_VIOMMU_REFRESH per invalidation, with
 *          KVM_VIOMMU_REFRESH_LEAF_ONLY (the guest changes leaves only;
 *          -H leaves it out, and KVM_VIOMMU_REQ_LEAF_ONLY out of C's
 *          requests);
 *   C      the doorbell: post a ring request, write the kick eventfd and
 *          wait on the completion eventfd unless the request is done;
 *   B-pre, C-pre  B and C with the container bound with
 *          KVM_VIOMMU_BIND_PREPIN (all guest memory pinned at bind time);
 *   B-merge  B on a table set with KVM_VIOMMU_TABLE_MERGE, which lets an
 *          aligned run of 512 4 KiB guest leaves become one 2 MiB IOMMU
 *          page, as type1 maps a run (A');
 *   R      the raw limit: pin + iommu_map (iommu_unmap + IOTLB sync +
 *          unpin) of the same pages in the same table's domain, at IOVAs
 *          above its aperture (which the guest table cannot map), no walk
 *          and no bookkeeping, timed inside the module (KVM_VIOMMU_TEST_RAW
 *          of a module built with KVM_VIOMMU_TEST=y).
 *
 * All arms use the same guest pages, and A to C-pre the same IOVAs.  A
 * type1 container and a VFIO_KVM_IOMMU container cannot hold the group at
 * the same time, so the group moves between containers per block
 * (UNSET_CONTAINER / SET_CONTAINER): a type1 block (A, A'), a kvm-viommu
 * block (B, C, R), a pre-pinned kvm-viommu block (B-pre, C-pre, R) and a
 * merging one (B-merge); inside a block the arms take turns every
 * repetition, and the type1 and kvm-viommu blocks end with the vCPU arms
 * (A-vcpu; N-vcpu and C-vcpu) and the pre-pinned one with C-pre-vcpu
 * (see vcpu_code()).  Rounds of blocks go T K P M,
 * M P K T, ... until the time budget is spent.  A round is followed, as
 * long as they have used less than their share of the time, by a preload
 * ladder: B at k = 512 with 0, 1 Ki, 64 Ki, 256 Ki, 256 Ki, 64 Ki,
 * 1 Ki and 0 other pages mapped in the same table.
 *
 * Counts TCG cannot distort come from KVM_VIOMMU_GET_INFO around untimed
 * invalidations of the first blocks: iommu_map / iommu_unmap / IOTLB sync
 * calls per invalidation, and bookkeeping bytes per page.
 *
 * Output (viommu_bench_report.c): CSV blocks of timings, counts, preload
 * timings and bookkeeping, each between marker lines, and a human-readable
 * summary (also between markers).
 *
 * Usage: viommu_bench [-t BUDGET_S] [-s REPS_SCALE] [-p MAX_ROUNDS]
 *                     [-l PRELOAD_SHARE] [-a ARM,...] [-k K,...] [-i] [-H]
 */
#include <assert.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "viommu_bench.h"
/* Test-only interface of a module built with KVM_VIOMMU_TEST=y: not uAPI. */
#include "../../../../virt/kvm/viommu/viommu_test_raw.h"

#define IOVA_BASE	0x400000ULL		/* 4 MiB: the timed pages */
#define PRELOAD_IOVA	0x100000000ULL		/* 4 GiB: preloaded pages */
#define PRELOAD_GPA	0x2800000ULL		/* 40 MiB: their 512 frames */
#define APERTURE_LAST	0x1ffffffffULL		/* 8 GiB - 1: the table */
#define RAW_IOVA	0x200000000ULL		/* 8 GiB: R, outside it */
#define RING_GPA	0x3000000ULL		/* above the data pages */
#define RING_ENTRIES	64
#define ADDR_MASK	0x000ffffffffff000ULL
#define COUNT_BLOCKS	3	/* blocks of each kvm-viommu kind with counts */
#define VCPU_CODE_GPA	0x1000ULL	/* the vCPU arms' real-mode code */
#define VCPU_KICK_PORT	0x6000		/* a KVM ioeventfd: the doorbell */
#define VCPU_EXIT_PORT	0x6001		/* an exit to the VMM */
#define VCPU_NULL_PORT	0x6002		/* a KVM ioeventfd nobody reads */
#define VCPU_REPS	6		/* vCPU samples per block */

const char * const arm_name[NR_ARMS] = {
	"A", "A'", "B", "C", "B-pre", "C-pre", "R", "B-merge"
};

const char * const op_name[NR_OPS] = { "map", "unmap" };
const char * const varm_name[NR_VARMS] = {
	"A-vcpu", "C-vcpu", "N-vcpu", "C-pre-vcpu"
};

const char * const book_name[NR_BOOKS] = {
	"k4096", "k4096", "preload256Ki"
};

const enum arm book_arm[NR_BOOKS] = { ARM_B, ARM_BP, ARM_B };
const unsigned int ks[NR_K] = { 1, 8, 64, 512, 4096 };
/* Repetitions of each (arm, op, k) per block, before scaling. */
static const unsigned int block_reps[NR_K] = { 40, 40, 20, 8, 2 };
/* Pages mapped elsewhere in the table, and the ladder's walk over them. */
const unsigned int preloads[NR_PRE] = { 0, 1024, 65536, PRELOAD_MAX };
static const unsigned int ladder_steps[] = { 0, 1, 2, 3, 3, 2, 1, 0 };
/* Repetitions of each op per ladder step, before scaling. */
#define LADDER_REPS	8
/*
 * Pause at each ladder step before timing: under TCG time the samples
 * right after what comes before a step (the untimed REFRESH of up to
 * 192 Ki pages, or the container's set-up) come out slower, by QEMU's own
 * state rather than by guest work (the instruction count does not move),
 * and that is not the cost of the refresh being timed.
 */
#define LADDER_SETTLE_US	50000

struct bench b;

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

static void get_info(struct kvm_viommu_info *info)
{
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	if (ioctl(b.container, KVM_VIOMMU_GET_INFO, info))
		die("GET_INFO: %s", strerror(errno));
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

/* Preloaded page i maps one of PRELOAD_FRAMES frames, each many times. */
static void guest_preload(unsigned int from, unsigned int to, bool map)
{
	unsigned int i;

	for (i = from; i < to; i++) {
		uint64_t iova = PRELOAD_IOVA + (uint64_t)i * SZ_4K;

		if (map)
			gt_map(&b.gt, iova, PRELOAD_GPA +
			       (uint64_t)(i % PRELOAD_FRAMES) * SZ_4K, 1, true);
		else
			gt_clear(&b.gt, iova, 1);
	}
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

/*
 * One REFRESH of [@iova, + @npages pages) that must (un)map them all: 0, or
 * -1 with what went wrong in @why.
 */
static int refresh_try(uint64_t iova, unsigned int npages, enum op op,
		       char *why, size_t len)
{
	struct kvm_viommu_refresh rf = {
		.argsz = sizeof(rf),
		.flags = b.no_leaf_only ? 0 : KVM_VIOMMU_REFRESH_LEAF_ONLY,
		.table_id = b.table_id,
		.iova = iova,
		.size = npages * SZ_4K,
	};

	if (xioctl(b.container, KVM_VIOMMU_REFRESH, &rf)) {
		snprintf(why, len, "REFRESH iova %#llx pages %u: %s",
			 (unsigned long long)iova, npages, strerror(errno));
		return -1;
	}
	if ((op == OP_MAP ? rf.mapped : rf.unmapped) != npages || rf.refused) {
		snprintf(why, len,
			 "REFRESH iova %#llx pages %u %s: mapped %llu unmapped %llu refused %llu (reason %u)",
			 (unsigned long long)iova, npages, op_name[op],
			 (unsigned long long)rf.mapped,
			 (unsigned long long)rf.unmapped,
			 (unsigned long long)rf.refused, rf.fail_reason);
		return -1;
	}
	return 0;
}

static void refresh(uint64_t iova, unsigned int npages, enum op op)
{
	char why[256];

	if (refresh_try(iova, npages, op, why, sizeof(why)))
		die("%s", why);
}

static void handle_doorbell(unsigned int k, enum op op)
{
	uint32_t prod = b.hdr->prod;
	struct kvm_viommu_ring_req *q = &b.req[prod & (RING_ENTRIES - 1)];
	uint64_t one = 1, val;

	memset(q, 0, sizeof(*q));
	q->table_id = b.table_id;
	q->op = KVM_VIOMMU_REQ_REFRESH;
	q->flags = b.no_leaf_only ? 0 : KVM_VIOMMU_REQ_LEAF_ONLY;
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

/* KVM_VIOMMU_TEST_RAW; 0 or -errno, the module's time in b.raw_ns. */
static int raw_call(unsigned int k, enum op op)
{
	struct kvm_viommu_test_raw r = {
		.argsz = sizeof(r),
		.op = op == OP_MAP ? KVM_VIOMMU_TEST_RAW_MAP :
				     KVM_VIOMMU_TEST_RAW_UNMAP,
		.table_id = b.table_id,
		.iova = RAW_IOVA,
		.vaddr = op == OP_MAP ? (uintptr_t)(b.v.mem + GUEST_DATA) : 0,
		.npages = k,
	};

	if (xioctl(b.container, KVM_VIOMMU_TEST_RAW, &r))
		return -errno;
	b.raw_mapped = op == OP_MAP ? k : 0;
	b.raw_ns = r.ns;
	return 0;
}

static void handle_raw(unsigned int k, enum op op)
{
	int ret = raw_call(k, op);

	if (ret)
		die("TEST_RAW k=%u %s: %s", k, op_name[op], strerror(-ret));
}

/* R's pins are nobody else's: never leave them behind, even on die(). */
static void raw_cleanup(void)
{
	if (b.raw_mapped && b.container >= 0)
		raw_call(b.raw_mapped, OP_UNMAP);
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
	case ARM_BP:
	case ARM_BM:
		refresh(IOVA_BASE, k, op);
		break;
	case ARM_R:
		handle_raw(k, op);
		break;
	default:
		handle_doorbell(k, op);
		break;
	}
}

static void guest_side(enum arm arm, enum op op, unsigned int k)
{
	if (arm == ARM_R)	/* R maps the pages, not the guest's table */
		return;
	if (op == OP_MAP)
		guest_map(k);
	else
		guest_unmap(k);
}

/* One timed invalidation into @s, or none for warm-up (@s NULL). */
static void timed(enum arm arm, enum op op, unsigned int k, struct series *s)
{
	unsigned long sys0 = b.nsys;
	long cs0 = vcsw();
	double t0, t1;

	guest_side(arm, op, k);
	t0 = now_ns();
	handle(arm, op, k);
	t1 = now_ns();
	if (!s || s->n >= MAX_SAMPLES)
		return;
	s->ns[s->n++] = arm == ARM_R ? b.raw_ns : t1 - t0;
	s->syscalls += b.nsys - sys0;
	s->vcsw += vcsw() - cs0;
}

static void one(enum arm arm, enum op op, unsigned int ki, bool record)
{
	timed(arm, op, ks[ki], record ? &b.s[arm][op][ki] : NULL);
}

/* One untimed invalidation with GET_INFO around it: the IOMMU calls. */
static void counted(enum arm arm, enum op op, unsigned int ki)
{
	struct calls *c = &b.calls[arm][op][ki];
	struct kvm_viommu_info i0, i1;

	guest_side(arm, op, ks[ki]);
	get_info(&i0);
	handle(arm, op, ks[ki]);
	get_info(&i1);
	c->maps += i1.iommu_maps - i0.iommu_maps;
	c->unmaps += i1.iommu_unmaps - i0.iommu_unmaps;
	c->syncs += i1.iotlb_syncs - i0.iotlb_syncs;
	c->n++;
}

static void bookkeeping(enum book point)
{
	get_info(&b.book[point].info);
	b.book[point].n++;
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
	if (b.raw_mapped)
		die("internal: R left %u pages mapped", b.raw_mapped);
	if (ioctl(b.v.group, VFIO_GROUP_UNSET_CONTAINER))
		die("UNSET_CONTAINER: %s", strerror(errno));
	close(b.container);
	b.container = -1;
}

/*
 * A VFIO_KVM_IOMMU container bound with @flags, the guest table set with
 * @table_flags and a doorbell on the ring.  False (and no container) when
 * the bind with nonzero @flags fails: the engine does not offer that mode.
 */
static bool kvm_setup(uint32_t flags, uint32_t table_flags)
{
	struct kvm_viommu_bind_vm bind = {
		.argsz = sizeof(bind),
		.flags = flags,
		.vm_fd = b.v.vm,
	};
	struct kvm_viommu_set_doorbell db = {
		.argsz = sizeof(db),
		.kick_fd = b.kick,
		.done_fd = b.done,
		.entries = RING_ENTRIES,
		.ring_gpa = RING_GPA,
	};
	struct kvm_viommu_set_table st = {
		.argsz = sizeof(st),
		.flags = table_flags,
		.group_id = b.v.group_id,
		.format = KVM_VIOMMU_FMT_X86_64,
		.levels = b.gt.levels,
		.root_gpa = b.gt.root,
	};
	struct kvm_viommu_info info;
	uint64_t last;
	int ret;

	set_container(VFIO_KVM_IOMMU);
	if (ioctl(b.container, KVM_VIOMMU_BIND_VM, &bind)) {
		ret = errno;
		if (!flags)
			die("BIND_VM: %s", strerror(ret));
		unset_container();
		b.prepin_err = ret;
		return false;
	}
	get_info(&info);
	last = info.aperture_last > APERTURE_LAST ? APERTURE_LAST :
						    info.aperture_last;
	if (last < IOVA_BASE + MAX_PAGES * SZ_4K - 1)
		die("the IOMMU aperture ends at %#llx",
		    (unsigned long long)info.aperture_last);
	/* R maps above the table's aperture, in its domain's. */
	if (info.aperture_last < RAW_IOVA + MAX_PAGES * SZ_4K - 1)
		b.raw_err = EDOM;
	if (b.preload_ok && last < PRELOAD_IOVA + PRELOAD_MAX * SZ_4K - 1) {
		b.preload_ok = false;
		snprintf(b.preload_why, sizeof(b.preload_why),
			 "the IOMMU aperture ends at %#llx",
			 (unsigned long long)info.aperture_last);
	}
	st.aperture_last = last;
	if (ioctl(b.container, KVM_VIOMMU_SET_TABLE, &st))
		die("SET_TABLE(flags %#x): %s", table_flags, strerror(errno));
	b.table_id = st.table_id;
	if (ioctl(b.container, KVM_VIOMMU_SET_DOORBELL, &db))
		die("SET_DOORBELL: %s", strerror(errno));
	return true;
}

/* Is R there?  Only a module built with KVM_VIOMMU_TEST=y has it. */
static void raw_probe(void)
{
	int ret = raw_call(1, OP_MAP);

	if (!ret)
		ret = raw_call(1, OP_UNMAP);
	if (ret && b.raw_mapped)
		die("TEST_RAW unmap after probe: %s", strerror(-ret));
	b.raw_err = -ret;
	if (ret)
		printf("viommu_bench: arm R unavailable: KVM_VIOMMU_TEST_RAW: %s%s\n",
		       strerror(-ret), ret == -ENOTTY ?
		       " (module not built with KVM_VIOMMU_TEST=y)" : "");
}

/*
 * The vCPU arms.  A real-mode guest, not the VMM, does what a guest
 * driver does for k = 1: VCPU_INVS times, alternately map and unmap
 * IOVA_BASE in its table, post a refresh request in the ring and signal
 * the invalidation, then spin until the request's status is set.  A-vcpu
 * signals it with an I/O port exit to the VMM, which walks the table and
 * issues one type1 MAP_DMA / UNMAP_DMA, marks the request done and
 * resumes the guest, as QEMU does; C-vcpu writes the port KVM turns into a
 * kick of the doorbell's eventfd, and the kernel handles the request
 * before the guest runs again, with no exit to the VMM; C-pre-vcpu does
 * the same on the container bound with KVM_VIOMMU_BIND_PREPIN (the pre-
 * pinned block), where the refresh only holds pinned frames.  N-vcpu runs
 * the same guest code, but posts nothing (the request's status written done,
 * the producer index left as it is) and writes a port KVM turns into a
 * signal of an eventfd nobody reads: the trap into the host kernel and
 * back that the others pay as well, which TCG's nested virtualization
 * makes costly enough to hide their difference.  The guest code must be
 * the same: under TCG time the trap's cost depends on it (an N-vcpu that
 * wrote only the entry and the port took 30 us more per trap than C-vcpu
 * with all its work).  The whole guest run is timed, guest work included.
 */
static void vcpu_code(struct guest_code *gc, enum varm va, uint16_t *pte_off,
		      uint64_t *ds_base)
{
	uint16_t port = va == VARM_A ? VCPU_EXIT_PORT :
			va == VARM_N ? VCPU_NULL_PORT : VCPU_KICK_PORT;
	uint32_t op_flags = KVM_VIOMMU_REQ_REFRESH |
			    (b.no_leaf_only ? 0 : KVM_VIOMMU_REQ_LEAF_ONLY << 16);
	uint64_t pte_gpa, map_val;
	uint32_t prod = b.hdr->prod;
	unsigned int i;

	gt_map(&b.gt, IOVA_BASE, GUEST_DATA, 1, true);
	pte_gpa = (uint8_t *)gt_entry(&b.gt, IOVA_BASE, 1) - b.v.mem;
	map_val = *(uint64_t *)(b.v.mem + pte_gpa);
	gt_clear(&b.gt, IOVA_BASE, 1);
	*ds_base = pte_gpa & ~(SZ_4K - 1);
	*pte_off = pte_gpa & (SZ_4K - 1);

	gc->len = 0;
	for (i = 0; i < VCPU_INVS; i++) {
		uint16_t q = sizeof(*b.hdr) + ((prod + i) & (RING_ENTRIES - 1)) *
						    sizeof(*b.req);

		gc_mov64(gc, SEG_DS, *pte_off, i & 1 ? 0 : map_val);
		gc_mov32(gc, SEG_FS, q + offsetof(struct kvm_viommu_ring_req,
						  table_id), b.table_id);
		/* op and flags: two 16-bit fields, one 32-bit store. */
		static_assert(offsetof(struct kvm_viommu_ring_req, flags) ==
			      offsetof(struct kvm_viommu_ring_req, op) + 2,
			      "flags follows op");
		gc_mov32(gc, SEG_FS, q + offsetof(struct kvm_viommu_ring_req,
						  op), op_flags);
		gc_mov64(gc, SEG_FS, q + offsetof(struct kvm_viommu_ring_req,
						  iova), IOVA_BASE);
		gc_mov64(gc, SEG_FS, q + offsetof(struct kvm_viommu_ring_req,
						  size), SZ_4K);
		gc_mov32(gc, SEG_FS, q + offsetof(struct kvm_viommu_ring_req,
						  status), va == VARM_N ?
			 KVM_VIOMMU_REQ_DONE : KVM_VIOMMU_REQ_PENDING);
		gc_mov32(gc, SEG_FS, offsetof(struct kvm_viommu_ring_hdr, prod),
			 va == VARM_N ? prod : prod + i + 1);
		gc_out8(gc, port);
		gc_wait_nonzero32(gc, SEG_FS,
				  q + offsetof(struct kvm_viommu_ring_req,
					       status));
	}
	gc_hlt(gc);
}

/* A-vcpu's VMM: the guest's I/O exit, handled as QEMU would. */
static int vcpu_exit_io(void *ctx, struct kvm_run *run)
{
	uint32_t cons = b.hdr->cons;
	uint32_t prod = __atomic_load_n(&b.hdr->prod, __ATOMIC_ACQUIRE);

	if (run->io.port != VCPU_EXIT_PORT)
		return -EIO;
	for (; cons != prod; cons++) {
		struct kvm_viommu_ring_req *q =
			&b.req[cons & (RING_ENTRIES - 1)];

		if (q->iova != IOVA_BASE || q->size != SZ_4K)
			return -EINVAL;
		handle_type1(1, false);
		__atomic_store_n(&q->status, KVM_VIOMMU_REQ_DONE,
				 __ATOMIC_RELEASE);
	}
	__atomic_store_n(&b.hdr->cons, cons, __ATOMIC_RELEASE);
	return 0;
}

/* One timed guest run of arm @va; false (and b.vcpu_err) if it failed. */
static bool vcpu_sample(enum varm va, struct guest_code *gc, bool record)
{
	struct series *s = &b.vs[va];
	struct guest_exits ex;
	uint64_t ds_base;
	uint16_t pte_off;
	struct pollfd pfd = { .fd = b.done, .events = POLLIN };
	uint64_t val;
	double t0, t1;
	int ret;

	vcpu_code(gc, va, &pte_off, &ds_base);
	t0 = now_ns();
	ret = guest_vcpu_run(&b.vcpu, b.v.mem, VCPU_CODE_GPA, gc, ds_base,
			     RING_GPA, 60, &ex,
			     va == VARM_A ? vcpu_exit_io : NULL, NULL);
	t1 = now_ns();
	if (ret || ex.hlt != 1 || ex.mmio || ex.other ||
	    b.hdr->cons != b.hdr->prod) {
		printf("viommu_bench: %s: guest run failed: %s (exit %u, cons %u prod %u)\n",
		       varm_name[va], strerror(ret ? -ret : EIO),
		       ex.last_reason, b.hdr->cons, b.hdr->prod);
		b.vcpu_err = ret ? -ret : EIO;
		return false;
	}
	/* The doorbell's completions signalled done: leave C none of them. */
	if (poll(&pfd, 1, 0) == 1 && xread(b.done, &val, sizeof(val)) < 0)
		die("done: %s", strerror(errno));
	if (record && s->n < MAX_SAMPLES) {
		s->ns[s->n++] = (t1 - t0) / VCPU_INVS;
		b.vexits[va] += ex.io;
	}
	return true;
}

static void vcpu_block(enum varm va, const unsigned int reps)
{
	struct guest_code gc = { };
	unsigned int r;

	if (b.vcpu_err || !(b.varm_sel & 1u << va))
		return;
	/* Warm-up, not recorded. */
	if (vcpu_sample(va, &gc, false))
		for (r = 0; r < reps && vcpu_sample(va, &gc, true); r++)
			;
	free(gc.buf);
}

/* The arms each kind of block measures (R runs in two kinds). */
static const unsigned int kind_arms[NR_KINDS] = {
	[BLK_T] = 1u << ARM_A | 1u << ARM_AP,
	[BLK_K] = 1u << ARM_B | 1u << ARM_C | 1u << ARM_R,
	[BLK_P] = 1u << ARM_BP | 1u << ARM_CP | 1u << ARM_R,
	[BLK_M] = 1u << ARM_BM,
};

static const unsigned int kind_varms[NR_KINDS] = {
	[BLK_T] = 1u << VARM_A,
	[BLK_K] = 1u << VARM_C | 1u << VARM_N,
	[BLK_P] = 1u << VARM_CP,
};

/* Does -a leave anything for a block of @kind to measure? */
static bool kind_selected(enum kind kind)
{
	return (kind_arms[kind] & b.arm_sel) ||
	       (kind_varms[kind] & b.varm_sel);
}

/*
 * One block: every k, @reps[k] repetitions, the arms of the block taking
 * turns (each arm first as often as the others).
 */
static void block(enum kind kind, const unsigned int *reps,
		  unsigned int vcpu_reps)
{
	enum arm arms[3];
	unsigned int na = 0, ki, r, i, j;

	switch (kind) {
	case BLK_T:
		set_container(VFIO_TYPE1v2_IOMMU);
		arms[na++] = ARM_A;
		arms[na++] = ARM_AP;
		break;
	case BLK_K:
		kvm_setup(0, 0);
		arms[na++] = ARM_B;
		arms[na++] = ARM_C;
		break;
	case BLK_M:
		kvm_setup(0, KVM_VIOMMU_TABLE_MERGE);
		arms[na++] = ARM_BM;
		break;
	default:
		if (!kvm_setup(KVM_VIOMMU_BIND_PREPIN, 0)) {
			printf("viommu_bench: arms B-pre, C-pre, C-pre-vcpu unavailable: ");
			printf("BIND_VM(KVM_VIOMMU_BIND_PREPIN): %s\n",
			       strerror(b.prepin_err));
			return;
		}
		b.prepin_err = 0;
		arms[na++] = ARM_BP;
		arms[na++] = ARM_CP;
		break;
	}
	if (kind == BLK_K || kind == BLK_P) {
		if (b.raw_err < 0)
			raw_probe();
		if (!b.raw_err)
			arms[na++] = ARM_R;
	}
	/* Keep the arms -a selected, in order. */
	for (i = j = 0; i < na; i++)
		if (b.arm_sel & 1u << arms[i])
			arms[j++] = arms[i];
	na = j;

	/* Warm-up, not recorded: caches, page tables, the worker. */
	for (j = 0; j < na; j++) {
		one(arms[j], OP_MAP, 2, false);
		one(arms[j], OP_UNMAP, 2, false);
	}

	/* The first blocks of a kvm-viommu kind count IOMMU calls, untimed. */
	if (kind != BLK_T && b.blocks[kind] < COUNT_BLOCKS) {
		for (j = 0; j < na; j++) {
			if (arms[j] == ARM_R)
				continue;
			for (ki = 0; ki < NR_K; ki++) {
				if (!(b.k_sel & 1u << ki))
					continue;
				counted(arms[j], OP_MAP, ki);
				if (ki == NR_K - 1 && arms[j] == ARM_B)
					bookkeeping(BOOK_B4096);
				if (ki == NR_K - 1 && arms[j] == ARM_BP)
					bookkeeping(BOOK_BP4096);
				counted(arms[j], OP_UNMAP, ki);
			}
		}
	}
	b.blocks[kind]++;

	for (ki = 0; ki < NR_K; ki++) {
		if (!(b.k_sel & 1u << ki))
			continue;
		for (r = 0; r < reps[ki]; r++) {
			for (j = 0; j < na; j++) {
				enum arm arm = arms[(r + j) % na];

				one(arm, OP_MAP, ki, true);
				one(arm, OP_UNMAP, ki, true);
			}
		}
	}
	if (kind == BLK_T) {
		vcpu_block(VARM_A, vcpu_reps);
	} else if (kind == BLK_K) {
		vcpu_block(VARM_N, vcpu_reps);
		vcpu_block(VARM_C, vcpu_reps);
	} else if (kind == BLK_P) {
		vcpu_block(VARM_CP, vcpu_reps);
	}
	unset_container();
}

/*
 * Map or unmap preloaded pages so that @target are mapped, with one
 * untimed REFRESH.  The preloaded IOVAs are far from the timed ones.
 * False when that failed: the preload is then given up (the guest table
 * holds none of it any more, the container's teardown clears the rest).
 */
static bool preload_to(unsigned int target)
{
	unsigned int cur = b.preloaded;
	int ret;

	if (target == cur)
		return true;
	if (target > cur) {
		guest_preload(cur, target, true);
		ret = refresh_try(PRELOAD_IOVA + (uint64_t)cur * SZ_4K,
				  target - cur, OP_MAP, b.preload_why,
				  sizeof(b.preload_why));
	} else {
		guest_preload(target, cur, false);
		ret = refresh_try(PRELOAD_IOVA + (uint64_t)target * SZ_4K,
				  cur - target, OP_UNMAP, b.preload_why,
				  sizeof(b.preload_why));
	}
	if (ret) {
		printf("viommu_bench: preload given up: %s\n", b.preload_why);
		guest_preload(0, PRELOAD_MAX, false);
		b.preload_ok = false;
		b.preloaded = 0;
		return false;
	}
	b.preloaded = target;
	return true;
}

/*
 * The preload ladder: B at k = 512, @reps repetitions of map and unmap per
 * step, with 0, 1 Ki, 64 Ki, 256 Ki pages mapped elsewhere in the table,
 * then the same back down (so that drift over the ladder cancels out).
 */
static void ladder(unsigned int reps)
{
	unsigned int s, r, ki = K512;

	kvm_setup(0, 0);
	if (!b.preload_ok) {
		unset_container();
		return;
	}
	one(ARM_B, OP_MAP, ki, false);
	one(ARM_B, OP_UNMAP, ki, false);
	for (s = 0; s < ARRAY_SIZE(ladder_steps); s++) {
		unsigned int l = ladder_steps[s];

		if (!preload_to(preloads[l]))
			break;
		usleep(LADDER_SETTLE_US);
		if (l == NR_PRE - 1 && ladder_steps[s - 1] != l)
			bookkeeping(BOOK_PRE);
		for (r = 0; r < reps; r++) {
			timed(ARM_B, OP_MAP, ks[ki], &b.pre[l][OP_MAP]);
			timed(ARM_B, OP_UNMAP, ks[ki], &b.pre[l][OP_UNMAP]);
		}
	}
	if (b.preload_ok) {
		preload_to(0);
		b.ladders++;
	}
	unset_container();
}

/* The vCPU arms' vCPU, and the port KVM turns into doorbell kicks. */
static void vcpu_setup(void)
{
	struct kvm_ioeventfd ioev = {
		.addr = VCPU_KICK_PORT,
		.len = 1,
		.fd = b.kick,
		.flags = KVM_IOEVENTFD_FLAG_PIO,
	};
	struct kvm_ioeventfd null_ev = {
		.addr = VCPU_NULL_PORT,
		.len = 1,
		.fd = b.null_kick,
		.flags = KVM_IOEVENTFD_FLAG_PIO,
	};
	int ret;

	ret = guest_vcpu_open(b.v.kvm, b.v.vm, &b.vcpu);
	if (ret) {
		b.vcpu_err = -ret;
	} else if (ioctl(b.v.vm, KVM_IOEVENTFD, &ioev) ||
		   ioctl(b.v.vm, KVM_IOEVENTFD, &null_ev)) {
		b.vcpu_err = errno;
		guest_vcpu_close(&b.vcpu);
	}
	if (b.vcpu_err)
		printf("viommu_bench: vCPU arms unavailable: %s\n",
		       strerror(b.vcpu_err));
}

static void usage(void)
{
	unsigned int i;

	fprintf(stderr, "Usage: viommu_bench [-t BUDGET_S] [-s REPS_SCALE] ");
	fprintf(stderr, "[-p MAX_ROUNDS] [-l PRELOAD_SHARE] [-a ARM,...] ");
	fprintf(stderr, "[-k K,...] [-i] [-H]\n  ARM:");
	for (i = 0; i < NR_ARMS; i++)
		fprintf(stderr, " %s", arm_name[i]);
	for (i = 0; i < NR_VARMS; i++)
		fprintf(stderr, " %s", varm_name[i]);
	fprintf(stderr, " (default: all)\n  K:");
	for (i = 0; i < NR_K; i++)
		fprintf(stderr, " %u", ks[i]);
	fprintf(stderr, " (default: all)\n");
	fprintf(stderr, "  -i: the VM runs with QEMU -icount shift=0 (say so)\n");
	fprintf(stderr, "  -H: refreshes without KVM_VIOMMU_REFRESH_LEAF_ONLY\n");
	exit(2);
}

/* Index of @name in @names[@n], or -1. */
static int name_index(const char * const *names, unsigned int n,
		      const char *name)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return i;
	return -1;
}

/* -a: a comma-separated list of arm names. */
static void select_arms(char *list)
{
	char *save, *name;
	int i;

	b.arm_sel = 0;
	b.varm_sel = 0;
	for (name = strtok_r(list, ",", &save); name;
	     name = strtok_r(NULL, ",", &save)) {
		i = name_index(arm_name, NR_ARMS, name);
		if (i >= 0) {
			b.arm_sel |= 1u << i;
			continue;
		}
		i = name_index(varm_name, NR_VARMS, name);
		if (i < 0) {
			fprintf(stderr, "viommu_bench: -a: no arm '%s'\n", name);
			usage();
		}
		b.varm_sel |= 1u << i;
	}
	if (!b.arm_sel && !b.varm_sel)
		usage();
}

/* -k: a comma-separated list of k among ks[]. */
static void select_ks(char *list)
{
	char *save, *k, *end;
	unsigned int i;

	b.k_sel = 0;
	for (k = strtok_r(list, ",", &save); k;
	     k = strtok_r(NULL, ",", &save)) {
		unsigned long v = strtoul(k, &end, 10);

		for (i = 0; i < NR_K; i++)
			if (*k && !*end && ks[i] == v)
				break;
		if (i == NR_K) {
			fprintf(stderr, "viommu_bench: -k: no k '%s'\n", k);
			usage();
		}
		b.k_sel |= 1u << i;
	}
	if (!b.k_sel)
		usage();
}

/* Create every guest table page once, then leave the table empty. */
static void guest_tables_init(void)
{
	gt_init(&b.gt, b.v.mem, 4);
	guest_map(MAX_PAGES);
	guest_unmap(MAX_PAGES);
	guest_preload(0, PRELOAD_MAX, true);
	guest_preload(0, PRELOAD_MAX, false);
	if (b.gt.next > GUEST_DATA)
		die("internal: guest tables overflow into the data pages");
}

int main(int argc, char **argv)
{
	struct rlimit unlimited = { RLIM_INFINITY, RLIM_INFINITY };
	double budget = 540, scale = 1, share = 0.25, start, round_s = 0;
	double ladder_s = 0, ladder_total = 0;
	unsigned int reps[NR_K], ki, rounds = 0, max_rounds = 1000;
	unsigned int ladder_reps, vcpu_reps;
	char path[64];
	size_t l;
	int c;

	b.arm_sel = (1u << NR_ARMS) - 1;
	b.varm_sel = (1u << NR_VARMS) - 1;
	b.k_sel = (1u << NR_K) - 1;
	while ((c = getopt(argc, argv, "t:s:p:l:a:k:iH")) != -1) {
		switch (c) {
		case 'i':
			b.icount = true;
			break;
		case 'H':
			b.no_leaf_only = true;
			break;
		case 'a':
		case 'k':
			l = strlen(b.sel);
			snprintf(b.sel + l, sizeof(b.sel) - l, " -%c %s", c,
				 optarg);
			if (c == 'a')
				select_arms(optarg);
			else
				select_ks(optarg);
			break;
		case 't':
			budget = atof(optarg);
			break;
		case 's':
			scale = atof(optarg);
			break;
		case 'p':
			max_rounds = atoi(optarg);
			break;
		case 'l':
			share = atof(optarg);
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
	vcpu_reps = VCPU_REPS * scale + 0.5;
	if (!vcpu_reps)
		vcpu_reps = 1;
	ladder_reps = LADDER_REPS * scale + 0.5;
	if (!ladder_reps)
		ladder_reps = 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* Both backends charge locked_vm; 4096 pages exceed the default. */
	setrlimit(RLIMIT_MEMLOCK, &unlimited);

	vmm_init(&b.v);
	b.container = -1;
	b.raw_err = -1;
	/* The preload ladder times B at k = 512. */
	b.preload_ok = share > 0 && b.arm_sel & 1u << ARM_B &&
		       b.k_sel & 1u << K512;
	snprintf(b.preload_why, sizeof(b.preload_why), "%s",
		 share > 0 ? "B at k=512 not selected (-a, -k)" :
			     "disabled (-l 0)");
	if (atexit(raw_cleanup))
		die("atexit");
	if (!edu_find(b.v.bdf, sizeof(b.v.bdf), &b.v.group_id))
		die("no edu device bound to vfio-pci");
	snprintf(path, sizeof(path), "/dev/vfio/%d", b.v.group_id);
	b.v.group = open(path, O_RDWR);
	if (b.v.group < 0)
		die("%s: %s", path, strerror(errno));
	c = vmm_create_vm(&b.v);
	if (c)
		die("KVM VM: %s", strerror(-c));
	guest_tables_init();
	memset(b.v.mem + RING_GPA, 0, SZ_4K * 2);
	b.hdr = (void *)(b.v.mem + RING_GPA);
	b.req = (void *)(b.v.mem + RING_GPA + sizeof(*b.hdr));
	b.kick = eventfd(0, EFD_CLOEXEC);
	b.done = eventfd(0, EFD_CLOEXEC);
	b.null_kick = eventfd(0, EFD_CLOEXEC);
	if (b.kick < 0 || b.done < 0 || b.null_kick < 0)
		die("eventfd: %s", strerror(errno));
	vcpu_setup();

	printf("viommu_bench: edu %s (group %d), k = 1..4096, budget %.0f s, preload share %.2f",
	       b.v.bdf, b.v.group_id, budget, share);
	printf("%s%s\n", *b.sel ? ", selected:" : "", b.sel);
	start = now_ns();
	while (rounds < max_rounds) {
		/* T K P, P K T, ...: each kind's mean position is the same. */
		static const enum kind order[2][NR_KINDS] = {
			{ BLK_T, BLK_K, BLK_P, BLK_M },
			{ BLK_M, BLK_P, BLK_K, BLK_T },
		};
		double t0 = now_ns(), elapsed, next;
		unsigned int i;

		for (i = 0; i < NR_KINDS; i++) {
			enum kind kind = order[rounds & 1][i];

			if ((kind == BLK_P && b.prepin_err) ||
			    !kind_selected(kind))
				continue;
			block(kind, reps, vcpu_reps);
		}
		rounds++;
		round_s = (now_ns() - t0) / 1e9;
		elapsed = (now_ns() - start) / 1e9;
		if (b.preload_ok && ladder_total <= share * elapsed) {
			double l0 = now_ns();

			ladder(ladder_reps);
			ladder_s = (now_ns() - l0) / 1e9;
			ladder_total += ladder_s;
			elapsed = (now_ns() - start) / 1e9;
		}
		if (rounds == 1 || !(rounds % 25))
			printf("viommu_bench: round %u: %.1f s; %u ladders: %.0f s; %.0f s all\n",
			       rounds, round_s, b.ladders, ladder_total,
			       elapsed);
		next = round_s;
		if (b.preload_ok && ladder_total <= share * (elapsed + round_s))
			next += ladder_s;
		if (rounds >= 2 && elapsed + next > budget)
			break;
	}
	report((now_ns() - start) / 1e9, rounds);
	close(b.kick);
	close(b.null_kick);
	close(b.done);
	if (!b.vcpu_err)
		guest_vcpu_close(&b.vcpu);
	vmm_close(&b.v);
	return 0;
}
