// SPDX-License-Identifier: GPL-2.0
/*
 * A tiny real-mode guest; see viommu_guest.h.  Encodings from the Intel SDM
 * Vol. 2 (16-bit addressing: ModRM mod=00 rm=110 is [disp16]).
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "viommu_guest.h"

static void emit(struct guest_code *gc, const void *bytes, size_t n)
{
	if (gc->len + n > gc->cap) {
		gc->cap = (gc->len + n) * 2;
		gc->buf = realloc(gc->buf, gc->cap);
		if (!gc->buf)
			abort();
	}
	memcpy(gc->buf + gc->len, bytes, n);
	gc->len += n;
}

static void emit_prefixes(struct guest_code *gc, uint8_t seg)
{
	uint8_t opsize = 0x66;	/* 32-bit operand in 16-bit code */

	emit(gc, &opsize, 1);
	if (seg)
		emit(gc, &seg, 1);
}

void gc_mov32(struct guest_code *gc, uint8_t seg, uint16_t off, uint32_t imm)
{
	uint8_t op[] = { 0xc7, 0x06, off & 0xff, off >> 8,
			 imm & 0xff, (imm >> 8) & 0xff, (imm >> 16) & 0xff,
			 imm >> 24 };

	emit_prefixes(gc, seg);
	emit(gc, op, sizeof(op));
}

void gc_mov64(struct guest_code *gc, uint8_t seg, uint16_t off, uint64_t imm)
{
	gc_mov32(gc, seg, off, (uint32_t)imm);
	gc_mov32(gc, seg, off + 4, (uint32_t)(imm >> 32));
}

void gc_out8(struct guest_code *gc, uint16_t port)
{
	uint8_t op[] = { 0xba, port & 0xff, port >> 8, 0xee };

	emit(gc, op, sizeof(op));
}

void gc_wait_nonzero32(struct guest_code *gc, uint8_t seg, uint16_t off)
{
	size_t start = gc->len;
	/* cmp dword [off], 0 ; je start */
	uint8_t cmp[] = { 0x83, 0x3e, off & 0xff, off >> 8, 0x00 };
	uint8_t je[2] = { 0x74 };

	emit_prefixes(gc, seg);
	emit(gc, cmp, sizeof(cmp));
	je[1] = (uint8_t)(start - (gc->len + 2));
	emit(gc, je, sizeof(je));
}

void gc_wait_clear32(struct guest_code *gc, uint8_t seg, uint16_t off,
		     uint8_t mask)
{
	size_t start = gc->len;
	/* mov eax, dword [off] ; test al, mask ; jnz start */
	uint8_t mov[] = { 0xa1, off & 0xff, off >> 8 };
	uint8_t test[] = { 0xa8, mask };
	uint8_t jnz[2] = { 0x75 };

	emit_prefixes(gc, seg);
	emit(gc, mov, sizeof(mov));
	emit(gc, test, sizeof(test));
	jnz[1] = (uint8_t)(start - (gc->len + 2));
	emit(gc, jnz, sizeof(jnz));
}

void gc_hlt(struct guest_code *gc)
{
	uint8_t hlt = 0xf4;

	emit(gc, &hlt, 1);
}

static void set_seg(struct kvm_segment *s, uint64_t base)
{
	s->base = base;
	s->selector = base < 0x100000 ? base >> 4 : 0;
	s->limit = 0xffff;
}

static void on_alarm(int sig)
{
}

int guest_vcpu_open(int kvm, int vm, struct guest_vcpu *gv)
{
	int ret;

	gv->run = NULL;
	gv->fd = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (gv->fd < 0)
		return -errno;
	gv->run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (gv->run_size <= 0) {
		ret = gv->run_size ? -errno : -EINVAL;
		goto err_close;
	}
	gv->run = mmap(NULL, gv->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       gv->fd, 0);
	if (gv->run == MAP_FAILED) {
		ret = -errno;
		gv->run = NULL;
		goto err_close;
	}
	return 0;

err_close:
	close(gv->fd);
	gv->fd = -1;
	return ret;
}

void guest_vcpu_close(struct guest_vcpu *gv)
{
	if (gv->run)
		munmap(gv->run, gv->run_size);
	if (gv->fd >= 0)
		close(gv->fd);
	gv->run = NULL;
	gv->fd = -1;
}

int guest_vcpu_run(struct guest_vcpu *gv, uint8_t *mem, uint64_t code_gpa,
		   const struct guest_code *code, uint64_t ds_base,
		   uint64_t fs_base, int timeout_s, struct guest_exits *exits,
		   guest_io_fn io, void *ctx)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct itimerval tick = { { 2, 0 }, { 2, 0 } }, off = { };
	struct kvm_regs regs = { .rip = code_gpa, .rflags = 2 };
	struct kvm_run *run = gv->run;
	time_t end = time(NULL) + timeout_s;
	struct kvm_sregs sregs;
	int ret = -ETIMEDOUT;

	memset(exits, 0, sizeof(*exits));
	if (code_gpa + code->len > 0x10000)
		return -EINVAL;
	memcpy(mem + code_gpa, code->buf, code->len);

	if (ioctl(gv->fd, KVM_GET_SREGS, &sregs))
		return -errno;
	set_seg(&sregs.cs, 0);
	set_seg(&sregs.ds, ds_base);
	set_seg(&sregs.fs, fs_base);
	set_seg(&sregs.es, 0);
	set_seg(&sregs.ss, 0);
	if (ioctl(gv->fd, KVM_SET_SREGS, &sregs) ||
	    ioctl(gv->fd, KVM_SET_REGS, &regs))
		return -errno;

	/*
	 * A periodic timer makes KVM_RUN return so the timeout is checked,
	 * with no syscall per exit (an I/O exit may be what is timed).
	 */
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &tick, NULL);
	while (time(NULL) < end) {
		if (ioctl(gv->fd, KVM_RUN, 0)) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		exits->last_reason = run->exit_reason;
		switch (run->exit_reason) {
		case KVM_EXIT_HLT:
			exits->hlt++;
			ret = 0;
			goto out;
		case KVM_EXIT_IO:
			exits->io++;
			if (io) {
				ret = io(ctx, run);
				if (ret)
					goto out;
				ret = -ETIMEDOUT;
			}
			break;
		case KVM_EXIT_MMIO:
			exits->mmio++;
			break;
		case KVM_EXIT_INTR:
			break;
		default:
			exits->other++;
			ret = -EIO;
			goto out;
		}
	}
out:
	setitimer(ITIMER_REAL, &off, NULL);
	return ret;
}

int guest_run(int kvm, int vm, uint8_t *mem, uint64_t code_gpa,
	      const struct guest_code *code, uint64_t ds_base,
	      uint64_t fs_base, int timeout_s, struct guest_exits *exits)
{
	struct guest_vcpu gv;
	int ret;

	memset(exits, 0, sizeof(*exits));
	ret = guest_vcpu_open(kvm, vm, &gv);
	if (ret)
		return ret;
	ret = guest_vcpu_run(&gv, mem, code_gpa, code, ds_base, fs_base,
			     timeout_s, exits, NULL, NULL);
	guest_vcpu_close(&gv);
	return ret;
}
