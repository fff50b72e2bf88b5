/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A tiny real-mode guest for the kvm-viommu selftests: a code emitter for
 * the handful of instructions the tests need, a vCPU set up with arbitrary
 * hidden segment bases (so 16-bit code reaches any 64 KiB of guest memory
 * through DS and FS), and a run loop that counts every exit to the VMM.
 */
#ifndef _VIOMMU_GUEST_H
#define _VIOMMU_GUEST_H

#include <stddef.h>
#include <stdint.h>

/* Segment override prefixes the emitter takes. */
#define SEG_DS		0x00	/* no prefix: DS is the default */
#define SEG_FS		0x64

struct guest_code {
	uint8_t *buf;
	size_t len;
	size_t cap;
};

/* mov dword seg:[off], imm */
void gc_mov32(struct guest_code *gc, uint8_t seg, uint16_t off, uint32_t imm);
/* mov qword-sized value as two dwords, low first */
void gc_mov64(struct guest_code *gc, uint8_t seg, uint16_t off, uint64_t imm);
/* out dx, al with dx = port */
void gc_out8(struct guest_code *gc, uint16_t port);
/* spin while dword seg:[off] == 0 */
void gc_wait_nonzero32(struct guest_code *gc, uint8_t seg, uint16_t off);
/* spin while (dword seg:[off] & mask) != 0 */
void gc_wait_clear32(struct guest_code *gc, uint8_t seg, uint16_t off,
		     uint8_t mask);
void gc_hlt(struct guest_code *gc);

/* Exits the VMM saw, by reason. */
struct guest_exits {
	unsigned int io;
	unsigned int mmio;
	unsigned int hlt;
	unsigned int other;
	unsigned int last_reason;
};

struct kvm_run;

/* A vCPU of a test VM, created once and run as often as needed. */
struct guest_vcpu {
	int fd;
	struct kvm_run *run;
	int run_size;
};

/*
 * Called on each KVM_EXIT_IO with the vCPU's kvm_run: 0 to go on running
 * the guest, -errno to stop (guest_vcpu_run() returns it).
 */
typedef int (*guest_io_fn)(void *ctx, struct kvm_run *run);

/* Create vCPU 0 of @vm: 0 or -errno. */
int guest_vcpu_open(int kvm, int vm, struct guest_vcpu *gv);
void guest_vcpu_close(struct guest_vcpu *gv);

/*
 * Run @code (copied to guest physical @code_gpa, below 64 KiB) on @gv, in
 * real mode from @code_gpa with DS based at @ds_base and FS at @fs_base,
 * until HLT or @timeout_s seconds.  Port I/O exits go to @io when it is
 * not NULL (and are only counted otherwise).  Returns 0 when the guest
 * halted, -errno otherwise.
 */
int guest_vcpu_run(struct guest_vcpu *gv, uint8_t *mem, uint64_t code_gpa,
		   const struct guest_code *code, uint64_t ds_base,
		   uint64_t fs_base, int timeout_s, struct guest_exits *exits,
		   guest_io_fn io, void *ctx);

/* guest_vcpu_run() on a vCPU created for this run alone. */
int guest_run(int kvm, int vm, uint8_t *mem, uint64_t code_gpa,
	      const struct guest_code *code, uint64_t ds_base,
	      uint64_t fs_base, int timeout_s, struct guest_exits *exits);

#endif /* _VIOMMU_GUEST_H */
