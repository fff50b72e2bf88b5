/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What viommu_bench.c (the experiment) shares with viommu_bench_report.c
 * (its statistics and output): the arms, the samples and the counts.
 */
#ifndef VIOMMU_BENCH_H
#define VIOMMU_BENCH_H

#include <stdbool.h>
#include <stdint.h>

#include "viommu_guest.h"
#include "viommu_util.h"

#define PRELOAD_FRAMES	512		/* frames the preloaded pages share */
#define PRELOAD_MAX	(256U << 10)		/* pages, 1 GiB of IOVA */
#define MAX_PAGES	4096
#define MAX_SAMPLES	16384
#define K512		3	/* index of k = 512 in ks[] */
#define VCPU_INVS	64		/* invalidations per vCPU sample */

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

enum arm {
	ARM_A, ARM_AP, ARM_B, ARM_C, ARM_BP, ARM_CP, ARM_R, ARM_BM, NR_ARMS
};

enum op { OP_MAP, OP_UNMAP, NR_OPS };
/*
 * vCPU arms: a guest invalidation exits to the VMM (A) or rings (C, and
 * C-pre on a container bound with KVM_VIOMMU_BIND_PREPIN); N is the exit
 * all pay, the guest's port write handled by KVM with nothing behind it.
 */
enum varm { VARM_A, VARM_C, VARM_N, VARM_CP, NR_VARMS };
enum kind { BLK_T, BLK_K, BLK_P, BLK_M, NR_KINDS };
/* Bookkeeping measurement points. */
enum book { BOOK_B4096, BOOK_BP4096, BOOK_PRE, NR_BOOKS };

#define NR_K	5	/* pages per invalidation: ks[] */
#define NR_PRE	4	/* pages mapped elsewhere in the table: preloads[] */

extern const char * const arm_name[NR_ARMS];
extern const char * const op_name[NR_OPS];
extern const char * const varm_name[NR_VARMS];
extern const char * const book_name[NR_BOOKS];
extern const enum arm book_arm[NR_BOOKS];
extern const unsigned int ks[NR_K];
extern const unsigned int preloads[NR_PRE];

struct series {
	double ns[MAX_SAMPLES];
	unsigned int n;
	unsigned long syscalls;
	unsigned long vcsw;
};

/* GET_INFO deltas around untimed invalidations. */
struct calls {
	double maps;
	double unmaps;
	double syncs;
	unsigned int n;
};

/* GET_INFO at one point: what is mapped and pinned, and what it costs. */
struct bookkeeping {
	struct kvm_viommu_info info;
	unsigned int n;
};

struct bench {
	struct vmm v;
	struct gtable gt;
	int container;
	uint32_t table_id;
	int kick;
	int null_kick;			/* N-vcpu's ioeventfd, never read */
	int done;
	struct kvm_viommu_ring_hdr *hdr;
	struct kvm_viommu_ring_req *req;
	uint64_t shadow[MAX_PAGES];	/* A, A': gpa | 1 per mapped IOVA page */
	unsigned long nsys;		/* syscalls made on the timed path */
	double raw_ns;			/* R: the module's time of the last call */
	unsigned int raw_mapped;	/* R: pages mapped at RAW_IOVA now */
	int raw_err;			/* R: 0 available, else errno (-1 unknown) */
	int prepin_err;			/* B-pre, C-pre: likewise */
	bool preload_ok;
	char preload_why[128];
	unsigned int preloaded;		/* pages mapped at PRELOAD_IOVA now */
	unsigned int blocks[NR_KINDS];
	unsigned int ladders;
	struct series s[NR_ARMS][NR_OPS][NR_K];
	struct series pre[NR_PRE][NR_OPS];	/* B at k = 512 per preload */
	struct calls calls[NR_ARMS][NR_OPS][NR_K];
	struct bookkeeping book[NR_BOOKS];
	struct guest_vcpu vcpu;
	int vcpu_err;			/* vCPU arms: 0 available, else errno */
	struct series vs[NR_VARMS];	/* ns per invalidation, k = 1 */
	/* vcpu_fixed_ratio()'s interval, for VARM_C and VARM_CP */
	double vfix_lo[NR_VARMS], vfix_hi[NR_VARMS];
	unsigned long vexits[NR_VARMS];	/* exits to the VMM, all samples */
	unsigned int arm_sel;		/* -a: BIT(enum arm) measured */
	unsigned int varm_sel;		/* -a: BIT(enum varm) measured */
	unsigned int k_sel;		/* -k: BIT(index in ks) measured */
	char sel[160];			/* -a and -k as given, or empty */
	bool icount;			/* -i: guest ns are instructions */
	bool no_leaf_only;		/* -H: refreshes without the hint */
};

/* The one run of the bench: its state and every sample. */
extern struct bench b;

/*
 * Sort the samples, then print the CSV blocks and the summary, targets
 * and verdicts included (viommu_bench_report.c).
 */
void report(double secs, unsigned int rounds);

#endif /* VIOMMU_BENCH_H */
