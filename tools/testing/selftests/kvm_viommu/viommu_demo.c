// SPDX-License-Identifier: GPL-2.0
/*
 * viommu_demo - a guided walk through kvm-viommu, run by `make demo`.
 *
 * The program plays a VMM, as the selftests do: its own memory is the RAM of
 * a KVM guest, QEMU's edu device (bound to vfio-pci) is the device assigned
 * to that guest, and the "guest" writes its IO page table straight into that
 * memory.  Every step prints what happens and what can be observed; anything
 * unexpected ends the demo with exit status 1.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "viommu_util.h"

#define IOVA_RW		0x200000ULL		/* the guest maps it read-write */
#define IOVA_RO		0x300000ULL		/* the guest maps it read-only */
#define IOVA_NONE	0x400000ULL		/* the guest never maps it */
#define GPA_RW		GUEST_DATA		/* guest page behind IOVA_RW */
#define GPA_RO		(GUEST_DATA + SZ_4K)	/* guest page behind IOVA_RO */
#define APERTURE_LAST	0xfffffffULL		/* edu's DMA mask: 28 bits */
#define LEN		64			/* bytes per DMA transfer */
#define ADDR_MASK	0x000ffffffffff000ULL	/* address bits of an entry */

static const char hello[LEN] = "Hello from guest memory, via kvm-viommu!";
static const char intruder[LEN] = "This must never reach guest memory.";

/**
 * struct demo - everything the demo holds
 * @v: the VMM's VFIO and KVM file descriptors and guest memory.
 * @gt: the guest IO page table in guest memory.
 * @e: the edu device.
 * @table_id: from KVM_VIOMMU_SET_TABLE.
 * @snapshot: a copy of guest memory, to prove a DMA changed nothing.
 * @pins_at_start: pages pinned system-wide before the demo started.
 */
struct demo {
	struct vmm v;
	struct gtable gt;
	struct edu e;
	uint32_t table_id;
	uint8_t *snapshot;
	long pins_at_start;
};

static int step_nr;

/* A numbered step: one sentence of what happens and what it shows. */
static void step(const char *fmt, ...)
{
	va_list ap;

	printf("\n%2d. ", ++step_nr);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* A detail line under the current step. */
static void more(const char *fmt, ...)
{
	va_list ap;

	fputs("    ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static int unexpected(const char *fmt, ...)
{
	va_list ap;

	fputs("    UNEXPECTED: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	return -1;
}

/* Let the console show what the kernel logged before we go on. */
static void settle(void)
{
	struct timespec ts = { .tv_nsec = 300 * 1000 * 1000 };

	nanosleep(&ts, NULL);
}

static uint8_t *gmem(struct demo *d, unsigned long long gpa)
{
	return d->v.mem + gpa;
}

/* The guest page's contents as a string (it holds one, or zeroes). */
static const char *gstr(struct demo *d, unsigned long long gpa)
{
	static char buf[LEN + 1];

	memcpy(buf, gmem(d, gpa), LEN);
	buf[LEN] = 0;
	return buf;
}

static void hexdump(struct demo *d, unsigned long long gpa, size_t len)
{
	const uint8_t *p = gmem(d, gpa);
	size_t off, i;

	for (off = 0; off < len; off += 16) {
		char hex[3 * 16 + 1], txt[16 + 1];

		for (i = 0; i < 16; i++) {
			uint8_t c = p[off + i];

			snprintf(hex + 3 * i, 4, "%02x ", c);
			txt[i] = c >= 0x20 && c < 0x7f ? c : '.';
		}
		txt[16] = 0;
		more("  GPA %#09llx: %s |%s|", gpa + off, hex, txt);
	}
}

static void take_snapshot(struct demo *d)
{
	memcpy(d->snapshot, d->v.mem, GUEST_MEM_SIZE);
}

/* 0 when all of guest memory is as in the snapshot. */
static int check_snapshot(struct demo *d)
{
	size_t i;

	if (!memcmp(d->snapshot, d->v.mem, GUEST_MEM_SIZE))
		return 0;
	for (i = 0; i < GUEST_MEM_SIZE; i++)
		if (d->snapshot[i] != d->v.mem[i])
			break;
	return unexpected("guest memory changed, first at GPA %#zx", i);
}

/* Print the 4-level walk of @iova: every entry the IOMMU will use. */
static void show_walk(struct demo *d, unsigned long long iova)
{
	static const char * const name[] = { "", "PT", "PD", "PDPT", "PML4" };
	unsigned long long table = d->gt.root, e = 0;
	char line[256];
	int len = 0, l;

	for (l = d->gt.levels; l >= 1; l--) {
		unsigned int idx = (iova >> (12 + 9 * (l - 1))) & 511;

		e = *(uint64_t *)gmem(d, table + 8 * idx);
		len += snprintf(line + len, sizeof(line) - len, "  %s[%u] = %#llx",
				name[l], idx, e);
		table = e & ADDR_MASK;
	}
	more("IOVA %#llx -> GPA %#llx, %s; its walk from the root table:", iova,
	     e & ADDR_MASK, e & PTE_RW ? "read-write" : "read-only");
	more("%s", line);
}

static int refresh(struct demo *d, unsigned long long iova,
		   unsigned long long size, struct kvm_viommu_refresh *rf)
{
	int ret = viommu_refresh_raw(d->v.container, d->table_id, iova, size,
				     rf);

	if (ret)
		return unexpected("KVM_VIOMMU_REFRESH failed: %s",
				  strerror(-ret));
	more("result: mapped %llu, unmapped %llu, unchanged %llu, refused %llu (4 KiB pages).",
	     rf->mapped, rf->unmapped, rf->unchanged, rf->refused);
	return 0;
}

/* GET_INFO's counters, checked against what we expect and VmLck. */
static int show_info(struct demo *d, unsigned long long pinned)
{
	struct kvm_viommu_info info;
	long lck;
	int ret;

	ret = viommu_info_raw(d->v.container, &info);
	if (ret)
		return unexpected("KVM_VIOMMU_GET_INFO failed: %s",
				  strerror(-ret));
	lck = vm_locked_kb();
	step("KVM_VIOMMU_GET_INFO: pinned_pages %llu, mapped_pages %llu, refreshes %llu,",
	     info.pinned_pages, info.mapped_pages, info.refreshes);
	more("refusals %llu, nr_tables %u, nr_groups %u; VmLck in /proc/self/status is",
	     info.refusals, info.nr_tables, info.nr_groups);
	more("%ld kB: the pinned guest pages are charged to this process's locked memory.",
	     lck);
	if (info.pinned_pages != pinned || info.mapped_pages != pinned)
		return unexpected("expected %llu pages pinned and mapped",
				  pinned);
	if (info.refusals || info.nr_tables != 1 || info.nr_groups != 1)
		return unexpected("expected no refusals, one table, one group");
	if (lck != (long)(pinned * 4))
		return unexpected("expected VmLck %llu kB", pinned * 4);
	return 0;
}

static int dma_to_dev(struct demo *d, unsigned long long iova)
{
	int ret = edu_dma_to_dev(&d->e, iova, LEN);

	if (ret)
		return unexpected("edu DMA did not complete: %s",
				  strerror(-ret));
	return 0;
}

static int dma_from_dev(struct demo *d, unsigned long long iova)
{
	int ret = edu_dma_from_dev(&d->e, iova, LEN);

	if (ret)
		return unexpected("edu DMA did not complete: %s",
				  strerror(-ret));
	settle();
	return 0;
}

static int open_and_bind(struct demo *d)
{
	int ret;

	ret = vmm_open_group(&d->v);
	if (ret == -ENODEV)
		return unexpected("no edu device (PCI 1234:11e8) in this machine");
	if (ret)
		return unexpected("opening the VFIO container/group failed: %s",
				  strerror(-ret));
	step("Opened the VFIO container /dev/vfio/vfio and /dev/vfio/%d, the IOMMU group",
	     d->v.group_id);
	more("of the edu device (PCI %s, bound to vfio-pci): the group is viable",
	     d->v.bdf);
	more("and VFIO_GROUP_SET_CONTAINER put it in the container.");

	ret = ioctl(d->v.container, VFIO_CHECK_EXTENSION, VFIO_KVM_IOMMU);
	if (ret != 1)
		return unexpected("VFIO_CHECK_EXTENSION returns %d: no kvm_viommu?",
				  ret);
	step("VFIO_CHECK_EXTENSION(VFIO_KVM_IOMMU = %d) returns 1: the kvm_viommu module",
	     VFIO_KVM_IOMMU);
	more("is loaded and offers VFIO its KVM-owned IOMMU type.");

	if (ioctl(d->v.container, VFIO_SET_IOMMU, VFIO_KVM_IOMMU))
		return unexpected("VFIO_SET_IOMMU failed: %s", strerror(errno));
	step("VFIO_SET_IOMMU(VFIO_KVM_IOMMU) succeeded: from now on kvm-viommu decides");
	more("what the edu device can reach by DMA (so far: nothing).");

	ret = vmm_create_vm(&d->v);
	if (ret)
		return unexpected("creating the KVM VM failed: %s",
				  strerror(-ret));
	step("KVM_CREATE_VM made a VM; its memslot 0 is this process's own memory at");
	more("%p, which is guest RAM at GPA 0x0-%#llx (64 MiB).", d->v.mem,
	     GUEST_MEM_SIZE - 1);
	more("(Memslot 1, 2 MiB read-only at GPA %#llx, is not used here.)",
	     GUEST_RO_GPA);

	ret = viommu_bind_raw(d->v.container, d->v.vm);
	if (ret)
		return unexpected("KVM_VIOMMU_BIND_VM failed: %s",
				  strerror(-ret));
	step("KVM_VIOMMU_BIND_VM bound the container to that VM: only the VM's memory");
	more("can ever be mapped for the device.");
	return 0;
}

static int guest_table(struct demo *d)
{
	struct kvm_viommu_refresh rf;
	int ret;

	gt_init(&d->gt, d->v.mem, 4);
	gt_map(&d->gt, IOVA_RW, GPA_RW, 1, true);
	gt_map(&d->gt, IOVA_RO, GPA_RO, 1, false);
	step("The guest wrote a 4-level x86-64 IO page table into its memory");
	more("(entry bit 0: present, bit 1: writable, bits 12-51: next table or page):");
	show_walk(d, IOVA_RW);
	show_walk(d, IOVA_RO);

	ret = viommu_set_table_raw(d->v.container, d->v.group_id,
				   KVM_VIOMMU_FMT_X86_64, d->gt.levels,
				   d->gt.root, 0, APERTURE_LAST, &d->table_id);
	if (ret)
		return unexpected("KVM_VIOMMU_SET_TABLE failed: %s",
				  strerror(-ret));
	step("KVM_VIOMMU_SET_TABLE gave group %d that table (x86-64, root GPA %#llx,",
	     d->v.group_id, (unsigned long long)d->gt.root);
	more("IOVA aperture 0x0-%#llx): table id %u, still empty until a refresh.",
	     APERTURE_LAST, d->table_id);

	step("KVM_VIOMMU_REFRESH of IOVA %#llx-%#llx: the kernel walks the guest table,",
	     IOVA_RW, IOVA_NONE - 1);
	more("pins the guest pages it points to and maps them in the IOMMU domain;");
	if (refresh(d, IOVA_RW, IOVA_NONE - IOVA_RW, &rf))
		return -1;
	if (rf.mapped != 2 || rf.unmapped || rf.unchanged || rf.refused)
		return unexpected("expected mapped 2 and nothing else");
	return show_info(d, 2);
}

static int dma_works(struct demo *d)
{
	int ret;

	ret = edu_open(&d->v, &d->e);
	if (ret)
		return unexpected("edu device setup failed: %s", strerror(-ret));
	step("Opened the edu device (VFIO_GROUP_GET_DEVICE_FD), mapped its BAR0 registers");
	more("and enabled bus mastering.");

	memset(gmem(d, GPA_RW), 0, SZ_4K);
	memcpy(gmem(d, GPA_RO), hello, LEN);
	step("The guest put the message \"%s\"", hello);
	more("at GPA %#llx and zeroed GPA %#llx.", GPA_RO, GPA_RW);

	if (dma_to_dev(d, IOVA_RO))
		return -1;
	step("edu DMA: the device read %d bytes at IOVA %#llx (read-only -> GPA %#llx)",
	     LEN, IOVA_RO, GPA_RO);
	more("into its internal buffer: the transfer completed.");

	if (dma_from_dev(d, IOVA_RW))
		return -1;
	step("edu DMA: the device wrote its buffer to IOVA %#llx (read-write -> GPA %#llx)",
	     IOVA_RW, GPA_RW);
	more("and guest memory there now holds:");
	hexdump(d, GPA_RW, 48);
	if (memcmp(gmem(d, GPA_RW), hello, LEN))
		return unexpected("GPA %#llx does not hold the message",
				  GPA_RW);
	more("That is the message, copied guest memory -> IOVA %#llx -> device", IOVA_RO);
	more("-> IOVA %#llx -> guest memory, through the mappings the guest asked for.",
	     IOVA_RW);
	return 0;
}

static int dma_blocked(struct demo *d)
{
	struct kvm_viommu_refresh rf;

	memcpy(gmem(d, GPA_RW), intruder, LEN);
	if (dma_to_dev(d, IOVA_RW))
		return -1;
	memcpy(gmem(d, GPA_RW), hello, LEN);
	step("To give the device something else to write, it read");
	more("\"%s\" through IOVA %#llx;", intruder, IOVA_RW);
	more("then the guest put its message back at GPA %#llx.", GPA_RW);
	take_snapshot(d);

	step("edu DMA: the device writes to IOVA %#llx, which is mapped read-only.", IOVA_RO);
	more("The IOMMU refuses the write.  QEMU's VT-d logs a fault only when the");
	more("translation was not already cached, so a DMAR fault line may or may not");
	more("appear here: either is expected.");
	if (dma_from_dev(d, IOVA_RO))
		return -1;
	if (check_snapshot(d))
		return -1;
	more("result: all 64 MiB of guest memory unchanged; GPA %#llx still reads", GPA_RO);
	more("        \"%s\".", gstr(d, GPA_RO));

	step("edu DMA: the device writes to IOVA %#llx, which the guest never mapped.",
	     IOVA_NONE);
	more("The DMAR fault lines for it (kernel and qemu-system-x86_64) are expected:");
	if (dma_from_dev(d, IOVA_NONE))
		return -1;
	if (check_snapshot(d))
		return -1;
	more("result: all 64 MiB of guest memory unchanged.");

	gt_clear(&d->gt, IOVA_RW, 1);
	step("The guest cleared the PT entry of IOVA %#llx; KVM_VIOMMU_REFRESH of that page:",
	     IOVA_RW);
	if (refresh(d, IOVA_RW, SZ_4K, &rf))
		return -1;
	if (rf.mapped || rf.unmapped != 1 || rf.unchanged || rf.refused)
		return unexpected("expected unmapped 1 and nothing else");

	take_snapshot(d);
	step("edu DMA: the device writes to IOVA %#llx again, now unmapped.", IOVA_RW);
	more("The DMAR fault lines for it (kernel and qemu-system-x86_64) are expected:");
	if (dma_from_dev(d, IOVA_RW))
		return -1;
	if (check_snapshot(d))
		return -1;
	more("result: all 64 MiB of guest memory unchanged; GPA %#llx still reads", GPA_RW);
	more("        \"%s\".", gstr(d, GPA_RW));
	return show_info(d, 1);
}

static int teardown(struct demo *d)
{
	long lck, pins;

	edu_close(&d->e);
	vmm_close(&d->v);
	lck = vm_locked_kb();
	pins = pins_held();
	step("Closed the device, container, group and VM: the module unmapped and unpinned");
	more("everything: VmLck is %ld kB, pages pinned system-wide are back to %ld.",
	     lck, pins);
	if (lck != 0)
		return unexpected("expected VmLck 0 kB");
	if (pins != d->pins_at_start)
		return unexpected("expected %ld pinned pages", d->pins_at_start);
	return 0;
}

int main(void)
{
	struct utsname u;
	struct demo d;
	int ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	memset(&d, 0, sizeof(d));
	vmm_init(&d.v);
	d.e.fd = -1;
	d.pins_at_start = pins_held();
	d.snapshot = malloc(GUEST_MEM_SIZE);
	if (!d.snapshot)
		return 1;

	uname(&u);
	printf("\n=== kvm-viommu demo on Linux %s ===\n", u.release);
	printf("This program plays a VMM: its own memory becomes a KVM guest's RAM, QEMU's edu\n");
	printf("DMA device is the guest's assigned device, and kvm-viommu maps what the guest's\n");
	printf("IO page table says, so that the device's DMA goes exactly there.\n");

	ret = open_and_bind(&d);
	if (!ret)
		ret = guest_table(&d);
	if (!ret)
		ret = dma_works(&d);
	if (!ret)
		ret = dma_blocked(&d);
	if (!ret)
		ret = teardown(&d);
	edu_close(&d.e);
	vmm_close(&d.v);
	free(d.snapshot);

	if (ret) {
		printf("\n=== demo FAILED at step %d ===\n", step_nr);
		return 1;
	}
	printf("\n=== demo complete: every step behaved as described ===\n");
	return 0;
}
