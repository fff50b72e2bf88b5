// SPDX-License-Identifier: GPL-2.0
/*
 * viommu_demo - a guided walk through kvm-viommu, run by `make demo`.
 *
 * The program plays a VMM, as the selftests do: its own memory is the RAM of
 * a KVM guest, QEMU's edu device (bound to vfio-pci) is the device assigned
 * to that guest, and the "guest" writes its IO page table straight into that
 * memory.  Every step prints what happens and what can be observed; anything
 * unexpected ends the demo with exit status 1.
 *
 * Part 1: this program does the guest's work for it: it writes the table,
 * calls KVM_VIOMMU_REFRESH and starts edu's DMA.  Part 2: a tiny real-mode
 * guest on a real vCPU (viommu_guest.c) writes its own table entry, asks
 * for the refresh through the in-kernel doorbell and programs edu itself,
 * and the VMM sees no exit but the final HLT.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "viommu_guest.h"
#include "viommu_util.h"

#define IOVA_RW		0x200000ULL		/* the guest maps it read-write */
#define IOVA_RO		0x300000ULL		/* the guest maps it read-only */
#define IOVA_NONE	0x400000ULL		/* the guest never maps it */
#define GPA_RW		GUEST_DATA		/* guest page behind IOVA_RW */
#define GPA_RO		(GUEST_DATA + SZ_4K)	/* guest page behind IOVA_RO */
#define APERTURE_LAST	0xfffffffULL		/* edu's DMA mask: 28 bits */
#define LEN		64			/* bytes per DMA transfer */
#define ADDR_MASK	0x000ffffffffff000ULL	/* address bits of an entry */

/* Part 2: the guest's own view (real mode: 64 KiB windows via DS and FS). */
#define CODE_GPA	0x1000ULL		/* the guest's code */
#define DS_BASE		GUEST_TABLES		/* DS: IO page tables and ring */
#define RING_OFF	0x8000			/* the ring, at DS:0x8000 */
#define RING_GPA	(DS_BASE + RING_OFF)
#define RING_ENTRIES	16
#define REQ_OFF		(RING_OFF + sizeof(struct kvm_viommu_ring_hdr))
#define DOORBELL_PORT	0x6000			/* KVM ioeventfd: the doorbell */
#define BAR0_SLOT	2			/* memslot of edu's BAR0 */
#define BAR0_GPA	0xe0000000ULL		/* FS: edu's registers */
#define GPA_DST		(GPA_RW + 0x800)	/* where edu writes back */
#define IOVA_DST	(IOVA_RW + 0x800)
#define GUEST_TIMEOUT	120			/* s, for the whole guest run */

/* edu's DMA registers (QEMU docs/specs/edu.rst) and commands. */
#define EDU_DMA_SRC	0x80
#define EDU_DMA_DST	0x88
#define EDU_DMA_LEN	0x90
#define EDU_DMA_CMD	0x98
#define EDU_CMD_TO_DEV	1			/* start, RAM -> edu */
#define EDU_CMD_TO_RAM	3			/* start, edu -> RAM */

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

static const char hello[LEN] = "Hello from guest memory, via kvm-viommu!";
static const char intruder[LEN] = "This must never reach guest memory.";
static const char alone[LEN] = "The guest mapped this and had edu copy it, no VMM exit.";

/**
 * struct demo - everything the demo holds
 * @v: the VMM's VFIO and KVM file descriptors and guest memory.
 * @gt: the guest IO page table in guest memory.
 * @e: the edu device.
 * @table_id: from KVM_VIOMMU_SET_TABLE.
 * @snapshot: a copy of guest memory, to prove a DMA changed nothing.
 * @pins_at_start: pages pinned system-wide before the demo started.
 * @kick: part 2: the eventfd KVM signals when the guest writes the doorbell.
 * @db_id: part 2: the doorbell, from KVM_VIOMMU_SET_DOORBELL.
 * @bar0_slot: part 2: edu's BAR0 is in memslot BAR0_SLOT.
 * @gc: part 2: the guest's code.
 * @exits: part 2: the exits the guest's run brought to this VMM.
 */
struct demo {
	struct vmm v;
	struct gtable gt;
	struct edu e;
	uint32_t table_id;
	uint8_t *snapshot;
	long pins_at_start;
	int kick;
	uint32_t db_id;
	bool bar0_slot;
	struct guest_code gc;
	struct guest_exits exits;
};

static int step_nr;

/* The title of a part of the demo. */
static void part(const char *title)
{
	printf("\n--- %s ---\n", title);
	fflush(stdout);
}

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

/*
 * Part 2: the guest does it alone.  A tiny real-mode guest on a real vCPU
 * (viommu_guest.c) maps its buffer, asks for the refresh through the
 * doorbell and drives edu, while this VMM only counts the exits.
 */

static const char * const req_status[] = {
	[KVM_VIOMMU_REQ_PENDING] = "PENDING",
	[KVM_VIOMMU_REQ_DONE] = "DONE",
	[KVM_VIOMMU_REQ_REFUSED] = "REFUSED",
	[KVM_VIOMMU_REQ_INVALID] = "INVALID",
	[KVM_VIOMMU_REQ_NO_TABLE] = "NO_TABLE",
	[KVM_VIOMMU_REQ_ERROR] = "ERROR",
};

static const char *status_name(uint32_t status)
{
	if (status < ARRAY_SIZE(req_status))
		return req_status[status];
	return "unknown";
}

static struct kvm_viommu_ring_hdr *ring_hdr(struct demo *d)
{
	return (struct kvm_viommu_ring_hdr *)gmem(d, RING_GPA);
}

/* Slot 0 of the ring, the one the guest uses. */
static struct kvm_viommu_ring_req *ring_req(struct demo *d)
{
	return (struct kvm_viommu_ring_req *)gmem(d, DS_BASE + REQ_OFF);
}

static int doorbell_info(struct demo *d, struct kvm_viommu_doorbell_info *info)
{
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	info->id = d->db_id;
	if (ioctl(d->v.container, KVM_VIOMMU_GET_DOORBELL, info))
		return unexpected("KVM_VIOMMU_GET_DOORBELL failed: %s",
				  strerror(errno));
	return 0;
}

/* A new VMM as in part 1, and a table whose leaf the guest will write. */
static int alone_vmm(struct demo *d)
{
	struct kvm_viommu_info info;
	uint64_t pt_gpa;
	int ret;

	vmm_init(&d->v);
	ret = vmm_open_vfio(&d->v);
	if (ret)
		return unexpected("VFIO setup of the edu group failed: %s",
				  strerror(-ret));
	ret = vmm_create_vm(&d->v);
	if (ret)
		return unexpected("creating the KVM VM failed: %s",
				  strerror(-ret));
	ret = viommu_bind_raw(d->v.container, d->v.vm);
	if (ret)
		return unexpected("KVM_VIOMMU_BIND_VM failed: %s",
				  strerror(-ret));
	gt_init(&d->gt, d->v.mem, 4);
	/* Builds the PML4, PDPT and PD above the PT entry of IOVA_RW. */
	pt_gpa = ((uint8_t *)gt_entry(&d->gt, IOVA_RW, 1) - d->v.mem) &
		 ~(SZ_4K - 1);
	ret = viommu_set_table_raw(d->v.container, d->v.group_id,
				   KVM_VIOMMU_FMT_X86_64, d->gt.levels,
				   d->gt.root, 0, APERTURE_LAST, &d->table_id);
	if (ret)
		return unexpected("KVM_VIOMMU_SET_TABLE failed: %s",
				  strerror(-ret));
	ret = viommu_info_raw(d->v.container, &info);
	if (ret)
		return unexpected("KVM_VIOMMU_GET_INFO failed: %s",
				  strerror(-ret));
	step("A new VMM, set up as in part 1: the edu group in a VFIO_KVM_IOMMU container,");
	more("a new VM over 64 MiB of this process's memory, KVM_VIOMMU_BIND_VM, and");
	more("KVM_VIOMMU_SET_TABLE of an x86-64 table at GPA %#llx: table id %u.",
	     (unsigned long long)d->gt.root, d->table_id);
	more("Its PML4, PDPT and PD lead to a PT at GPA %#llx whose entries are all 0:",
	     (unsigned long long)pt_gpa);
	more("GET_INFO says mapped_pages %llu.  The guest will write its entry itself.",
	     info.mapped_pages);
	if (info.mapped_pages || info.pinned_pages)
		return unexpected("expected nothing mapped or pinned");
	return 0;
}

static int alone_doorbell(struct demo *d)
{
	struct kvm_ioeventfd ioev = {
		.addr = DOORBELL_PORT,
		.len = 1,
		.flags = KVM_IOEVENTFD_FLAG_PIO,
	};
	struct kvm_viommu_set_doorbell db = {
		.argsz = sizeof(db),
		.done_fd = -1,
		.entries = RING_ENTRIES,
		.ring_gpa = RING_GPA,
	};
	struct kvm_viommu_doorbell_info info;
	int i;

	d->kick = eventfd(0, EFD_CLOEXEC);
	if (d->kick < 0)
		return unexpected("eventfd failed: %s", strerror(errno));
	ioev.fd = d->kick;
	if (ioctl(d->v.vm, KVM_IOEVENTFD, &ioev))
		return unexpected("KVM_IOEVENTFD failed: %s", strerror(errno));
	step("KVM_IOEVENTFD on I/O port %#x: when the guest writes a byte there, KVM",
	     DOORBELL_PORT);
	more("signals an eventfd, inside the kernel, instead of exiting to this VMM.");

	memset(gmem(d, RING_GPA), 0, sizeof(struct kvm_viommu_ring_hdr) +
	       RING_ENTRIES * sizeof(struct kvm_viommu_ring_req));
	db.kick_fd = d->kick;
	if (ioctl(d->v.container, KVM_VIOMMU_SET_DOORBELL, &db))
		return unexpected("KVM_VIOMMU_SET_DOORBELL failed: %s",
				  strerror(errno));
	d->db_id = db.id;
	step("KVM_VIOMMU_SET_DOORBELL(kick_fd: that eventfd, ring: GPA %#llx, %u slots)",
	     RING_GPA, RING_ENTRIES);
	more("made doorbell %u.  The ring is guest memory (little-endian):", d->db_id);
	more("  a %zu-byte header: +%zu prod  (written by the guest: requests posted)",
	     sizeof(struct kvm_viommu_ring_hdr),
	     offsetof(struct kvm_viommu_ring_hdr, prod));
	more("                    +%zu cons  (by the kernel: requests completed)",
	     offsetof(struct kvm_viommu_ring_hdr, cons));
	more("                    +%zu error (by the kernel: 0 while the ring works)",
	     offsetof(struct kvm_viommu_ring_hdr, error));
	more("  then %u slots of %zu bytes.  In a slot the guest writes", RING_ENTRIES,
	     sizeof(struct kvm_viommu_ring_req));
	more("    +%zu table_id  +%zu op  +%zu flags  +%zu iova  +%zu size",
	     offsetof(struct kvm_viommu_ring_req, table_id),
	     offsetof(struct kvm_viommu_ring_req, op),
	     offsetof(struct kvm_viommu_ring_req, flags),
	     offsetof(struct kvm_viommu_ring_req, iova),
	     offsetof(struct kvm_viommu_ring_req, size));
	more("  and the kernel answers in");
	more("    +%zu status  +%zu reason  +%zu fail_iova",
	     offsetof(struct kvm_viommu_ring_req, status),
	     offsetof(struct kvm_viommu_ring_req, reason),
	     offsetof(struct kvm_viommu_ring_req, fail_iova));
	more("    +%zu mapped  +%zu unmapped  +%zu refused",
	     offsetof(struct kvm_viommu_ring_req, mapped),
	     offsetof(struct kvm_viommu_ring_req, unmapped),
	     offsetof(struct kvm_viommu_ring_req, refused));

	/* At creation the kernel looks at the ring once, from its worker. */
	for (i = 0; i < 500; i++) {
		if (doorbell_info(d, &info))
			return -1;
		if (info.passes)
			break;
		usleep(10 * 1000);
	}
	more("KVM_VIOMMU_GET_DOORBELL: kicks %llu, passes %llu, requests %llu: at creation",
	     info.kicks, info.passes, info.requests);
	more("the kernel looked at the ring once and found it empty.");
	if (info.error || info.cons || info.kicks || info.passes != 1 ||
	    info.requests)
		return unexpected("expected kicks 0, passes 1, requests 0, cons 0, error 0");
	return 0;
}

static int alone_edu(struct demo *d)
{
	struct kvm_userspace_memory_region bar = {
		.slot = BAR0_SLOT,
		.guest_phys_addr = BAR0_GPA,
		.memory_size = SZ_4K,
	};
	int ret;

	ret = edu_open(&d->v, &d->e);
	if (ret)
		return unexpected("edu device setup failed: %s", strerror(-ret));
	bar.userspace_addr = (uintptr_t)d->e.bar0;
	if (ioctl(d->v.vm, KVM_SET_USER_MEMORY_REGION, &bar))
		return unexpected("KVM_SET_USER_MEMORY_REGION of BAR0 failed: %s",
				  strerror(errno));
	d->bar0_slot = true;
	memcpy(gmem(d, GPA_RW), alone, LEN);
	memset(gmem(d, GPA_DST), 0, LEN);
	step("Opened the edu device again and made its BAR0 registers memslot %d of the",
	     BAR0_SLOT);
	more("VM, at GPA %#llx: the guest's accesses there reach the device directly.",
	     BAR0_GPA);
	more("Guest memory holds, at GPA %#llx, the message", GPA_RW);
	more("\"%s\"", alone);
	more("and GPA %#llx is zeroed.", GPA_DST);
	return 0;
}

/* One edu DMA, programmed through FS (BAR0); then wait until it is done. */
static void emit_edu_dma(struct guest_code *gc, uint32_t src, uint32_t dst,
			 uint32_t cmd)
{
	gc_mov32(gc, SEG_FS, EDU_DMA_SRC, src);
	gc_mov32(gc, SEG_FS, EDU_DMA_DST, dst);
	gc_mov32(gc, SEG_FS, EDU_DMA_LEN, LEN);
	gc_mov32(gc, SEG_FS, EDU_DMA_CMD, cmd);
	gc_wait_clear32(gc, SEG_FS, EDU_DMA_CMD, 1);
}

/* Write the guest's code, saying what each part of it does. */
static int alone_program(struct demo *d)
{
	struct guest_code *gc = &d->gc;
	uint64_t *pte = gt_entry(&d->gt, IOVA_RW, 1);
	uint64_t pte_gpa = (uint8_t *)pte - d->v.mem;
	uint64_t leaf = GPA_RW | PTE_P | PTE_RW;

	if (*pte)
		return unexpected("the PT entry of IOVA %#llx is not 0", IOVA_RW);
	step("The guest's program, which this VMM copies to GPA %#llx and starts:",
	     CODE_GPA);
	gc_mov64(gc, SEG_DS, pte_gpa - DS_BASE, leaf);
	more("  - write %#llx into its PT entry at GPA %#llx: IOVA %#llx",
	     (unsigned long long)leaf, (unsigned long long)pte_gpa, IOVA_RW);
	more("    -> GPA %#llx, present and writable;", GPA_RW);

	gc_mov32(gc, SEG_DS, REQ_OFF + offsetof(struct kvm_viommu_ring_req,
						table_id), d->table_id);
	/* op and, in the upper half, flags = 0 */
	gc_mov32(gc, SEG_DS, REQ_OFF + offsetof(struct kvm_viommu_ring_req, op),
		 KVM_VIOMMU_REQ_REFRESH);
	gc_mov64(gc, SEG_DS, REQ_OFF + offsetof(struct kvm_viommu_ring_req, iova),
		 IOVA_RW);
	gc_mov64(gc, SEG_DS, REQ_OFF + offsetof(struct kvm_viommu_ring_req, size),
		 SZ_4K);
	gc_mov32(gc, SEG_DS, REQ_OFF + offsetof(struct kvm_viommu_ring_req,
						status), KVM_VIOMMU_REQ_PENDING);
	more("  - fill ring slot 0: table %u, op REFRESH, IOVA %#llx, size 4 KiB,",
	     d->table_id, IOVA_RW);
	more("    status 0 (PENDING);");

	gc_mov32(gc, SEG_DS, RING_OFF + offsetof(struct kvm_viommu_ring_hdr, prod),
		 1);
	more("  - set the ring's prod to 1: one request posted;");
	gc_out8(gc, DOORBELL_PORT);
	more("  - write a byte to port %#x: ring the doorbell;", DOORBELL_PORT);
	gc_wait_nonzero32(gc, SEG_DS, REQ_OFF +
			  offsetof(struct kvm_viommu_ring_req, status));
	more("  - wait until slot 0's status is no longer 0: the kernel has answered;");

	emit_edu_dma(gc, IOVA_RW, EDU_BUF, EDU_CMD_TO_DEV);
	more("  - program edu through BAR0 to DMA %d bytes from IOVA %#llx into its",
	     LEN, IOVA_RW);
	more("    buffer, and wait until edu clears its busy bit;");
	emit_edu_dma(gc, EDU_BUF, IOVA_DST, EDU_CMD_TO_RAM);
	more("  - program edu to DMA its buffer to IOVA %#llx, and wait likewise;",
	     IOVA_DST);
	gc_hlt(gc);
	more("  - hlt.");
	more("(%zu bytes of 16-bit real-mode code; its DS segment starts at GPA %#llx,",
	     gc->len, DS_BASE);
	more("where the tables and ring are, and FS at GPA %#llx, edu's BAR0.)",
	     BAR0_GPA);
	return 0;
}

static int alone_run(struct demo *d)
{
	struct timespec t0, t1;
	int ret;

	step("KVM_RUN: a vCPU of the VM runs the guest's program until it halts.");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = guest_run(d->v.kvm, d->v.vm, d->v.mem, CODE_GPA, &d->gc,
			DS_BASE, BAR0_GPA, GUEST_TIMEOUT, &d->exits);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (ret) {
		more("Ring slot 0 has status %u, the ring header cons %u, error %u.",
		     ring_req(d)->status, ring_hdr(d)->cons, ring_hdr(d)->error);
		return unexpected("the guest did not halt: %s (last exit reason %u)",
				  strerror(-ret), d->exits.last_reason);
	}
	more("The guest halted after %.1f s.", (t1.tv_sec - t0.tv_sec) +
	     (t1.tv_nsec - t0.tv_nsec) / 1e9);
	return 0;
}

static int alone_status(struct demo *d)
{
	const struct kvm_viommu_ring_hdr *hdr = ring_hdr(d);
	const struct kvm_viommu_ring_req *req = ring_req(d);
	uint64_t pte = *gt_entry(&d->gt, IOVA_RW, 1);

	step("What the guest got back from the kernel in ring slot 0: status %u (%s),",
	     req->status, status_name(req->status));
	more("mapped %llu, unmapped %llu, refused %llu (4 KiB pages); in the ring header,",
	     (unsigned long long)req->mapped,
	     (unsigned long long)req->unmapped,
	     (unsigned long long)req->refused);
	more("prod %u, cons %u, error %u.  The kernel read the request, walked the guest",
	     hdr->prod, hdr->cons, hdr->error);
	more("table, whose PT entry the guest set to %#llx, and mapped the page;",
	     (unsigned long long)pte);
	more("only then did it write the status, so the guest could go on to DMA.");
	if (req->status != KVM_VIOMMU_REQ_DONE || req->mapped != 1 ||
	    req->unmapped || req->refused || req->reason)
		return unexpected("expected status DONE, mapped 1 and nothing else");
	if (hdr->prod != 1 || hdr->cons != 1 || hdr->error)
		return unexpected("expected prod 1, cons 1, error 0");
	if (pte != (GPA_RW | PTE_P | PTE_RW))
		return unexpected("expected the PT entry %#llx",
				  GPA_RW | PTE_P | PTE_RW);
	return 0;
}

static int alone_exits(struct demo *d)
{
	const struct guest_exits *ex = &d->exits;

	step("Exits to this VMM while the guest ran: port I/O %u, MMIO %u, other %u,",
	     ex->io, ex->mmio, ex->other);
	more("and HLT %u.", ex->hlt);
	if (ex->io || ex->mmio || ex->other || ex->hlt != 1)
		return unexpected("expected no exit but one HLT");
	putchar('\n');
	more("  ****************************************************************");
	more("  *  0 exits besides the final HLT: the guest did it all alone   *");
	more("  ****************************************************************");
	putchar('\n');
	more("The doorbell write became an eventfd signal inside KVM (the ioeventfd),");
	more("kvm_viommu's kernel worker did the refresh, and edu's registers are a");
	more("memslot.  Without the doorbell, every invalidation by the guest would be");
	more("an exit to the VMM, a KVM_VIOMMU_REFRESH ioctl and a return to the guest.");
	return 0;
}

static int alone_bytes(struct demo *d)
{
	step("The bytes edu wrote into guest memory at GPA %#llx (IOVA %#llx):",
	     GPA_DST, IOVA_DST);
	hexdump(d, GPA_DST, LEN);
	if (memcmp(gmem(d, GPA_DST), alone, LEN))
		return unexpected("GPA %#llx does not hold the message", GPA_DST);
	if (memcmp(gmem(d, GPA_RW), alone, LEN))
		return unexpected("GPA %#llx does not hold the message any more",
				  GPA_RW);
	more("That is the message, copied guest memory -> IOVA %#llx -> device", IOVA_RW);
	more("-> IOVA %#llx -> guest memory, through the mapping the guest made.",
	     IOVA_DST);
	return 0;
}

static int alone_counters(struct demo *d)
{
	struct kvm_viommu_doorbell_info info;
	struct kvm_viommu_info vi;
	int ret;

	if (doorbell_info(d, &info))
		return -1;
	step("KVM_VIOMMU_GET_DOORBELL: kicks %llu, passes %llu, requests %llu, cons %u,",
	     info.kicks, info.passes, info.requests, info.cons);
	more("error %u: one doorbell write, one pass of the kernel's worker for it (after",
	     info.error);
	more("the one at creation), one request completed.");
	if (info.kicks != 1 || info.passes != 2 || info.requests != 1 ||
	    info.cons != 1 || info.error)
		return unexpected("expected kicks 1, passes 2, requests 1, cons 1, error 0");

	if (show_info(d, 1))
		return -1;
	ret = viommu_info_raw(d->v.container, &vi);
	if (ret)
		return unexpected("KVM_VIOMMU_GET_INFO failed: %s",
				  strerror(-ret));
	more("refreshes %llu: in this part the VMM never called KVM_VIOMMU_REFRESH;",
	     vi.refreshes);
	more("the guest's request was the refresh.");
	if (vi.refreshes != 1)
		return unexpected("expected refreshes 1");
	return 0;
}

static int alone_teardown(struct demo *d)
{
	struct kvm_userspace_memory_region bar = {
		.slot = BAR0_SLOT,
		.guest_phys_addr = BAR0_GPA,
		.userspace_addr = (uintptr_t)d->e.bar0,
	};
	long lck, pins;

	if (ioctl(d->v.vm, KVM_SET_USER_MEMORY_REGION, &bar))
		return unexpected("removing the BAR0 memslot failed: %s",
				  strerror(errno));
	d->bar0_slot = false;
	edu_close(&d->e);
	vmm_close(&d->v);
	close(d->kick);
	d->kick = -1;
	lck = vm_locked_kb();
	pins = pins_held();
	step("Removed the BAR0 memslot, closed the device, container (and with it the");
	more("doorbell), group, VM and eventfd: VmLck is %ld kB, pages pinned", lck);
	more("system-wide are back to %ld.", pins);
	if (lck != 0)
		return unexpected("expected VmLck 0 kB");
	if (pins != d->pins_at_start)
		return unexpected("expected %ld pinned pages", d->pins_at_start);
	return 0;
}

static int part2(struct demo *d)
{
	part("Part 2: the guest does it alone");
	printf("In part 1 this program did the guest's work.  In a real VM the guest's code\n");
	printf("runs on a vCPU, and each invalidation it sends would exit to the VMM, which\n");
	printf("would call KVM_VIOMMU_REFRESH.  With the doorbell, the guest posts its request\n");
	printf("in a ring in its own memory and writes an I/O port: KVM and kvm_viommu\n");
	printf("handle it in the kernel.  Here a tiny real-mode guest does everything.\n");

	if (alone_vmm(d) || alone_doorbell(d) || alone_edu(d) ||
	    alone_program(d) || alone_run(d) || alone_status(d) ||
	    alone_exits(d) || alone_bytes(d) || alone_counters(d))
		return -1;
	return alone_teardown(d);
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
	d.kick = -1;
	d.pins_at_start = pins_held();
	d.snapshot = malloc(GUEST_MEM_SIZE);
	if (!d.snapshot)
		return 1;

	uname(&u);
	printf("\n=== kvm-viommu demo on Linux %s ===\n", u.release);
	printf("This program plays a VMM: its own memory becomes a KVM guest's RAM, QEMU's edu\n");
	printf("DMA device is the guest's assigned device, and kvm-viommu maps what the guest's\n");
	printf("IO page table says, so that the device's DMA goes exactly there.\n");
	printf("In part 1 this program does the guest's work; in part 2 a tiny guest on a\n");
	printf("real vCPU does it alone, through the in-kernel doorbell.\n");

	part("Part 1: the VMM does it for the guest");
	ret = open_and_bind(&d);
	if (!ret)
		ret = guest_table(&d);
	if (!ret)
		ret = dma_works(&d);
	if (!ret)
		ret = dma_blocked(&d);
	if (!ret)
		ret = teardown(&d);
	if (!ret)
		ret = part2(&d);
	edu_close(&d.e);
	vmm_close(&d.v);
	if (d.kick >= 0)
		close(d.kick);
	free(d.gc.buf);
	free(d.snapshot);

	if (ret) {
		printf("\n=== demo FAILED at step %d ===\n", step_nr);
		return 1;
	}
	printf("\n=== demo complete: every step behaved as described ===\n");
	return 0;
}
