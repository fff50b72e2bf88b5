/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * kvm_viommu.h - uAPI of the KVM-owned VFIO IOMMU type
 *
 * A VFIO container set to VFIO_KVM_IOMMU shadows IO page tables that a KVM
 * guest keeps in its own memory.  The VMM binds the container to its VM,
 * tells where each group's guest table lives, and asks for ranges to be
 * refreshed; the kernel reads the guest table through the VM's memslots,
 * pins the guest pages it references and maps them into an IOMMU domain
 * attached to the group.
 *
 * All ioctls below are issued on the VFIO container fd after
 * VFIO_SET_IOMMU(VFIO_KVM_IOMMU).  Every argument structure starts with
 * @argsz, the size userspace passes: the kernel accepts any size at least as
 * large as the structure's first version, requires bytes it does not know to
 * be zero (-E2BIG otherwise) and writes back at most @argsz bytes.  Reserved
 * fields and unknown flags must be zero (-EINVAL otherwise).
 *
 * Documentation/userspace-api/kvm_viommu.rst has the full contract.
 */
#ifndef _UAPI_LINUX_KVM_VIOMMU_H
#define _UAPI_LINUX_KVM_VIOMMU_H

#include <linux/types.h>
#include <linux/ioctl.h>
#include <linux/vfio.h>

/* The VFIO IOMMU type: VFIO_CHECK_EXTENSION and VFIO_SET_IOMMU argument. */
#define VFIO_KVM_IOMMU			11

/*
 * Our ioctls live on the container fd, which VFIO forwards to the IOMMU
 * driver for any number it does not handle itself.  They are numbered well
 * above the VFIO core's own so that the two never meet.
 */
#define KVM_VIOMMU_BASE			(VFIO_BASE + 64)

/**
 * enum kvm_viommu_format - guest IO page table formats
 * @KVM_VIOMMU_FMT_NONE: no table: the group's DMA is blocked.  Only valid in
 *	KVM_VIOMMU_SET_TABLE, to detach a group from its table.
 * @KVM_VIOMMU_FMT_X86_64: x86-64 paging structures, as used by CPU page
 *	tables and by Intel VT-d first-stage tables.  4 levels (48-bit IOVA)
 *	or 5 levels (57-bit IOVA).  P (bit 0) makes an entry valid; R/W
 *	(bit 1) grants write and must be set at every level for a writable
 *	leaf; PS (bit 7) makes a level-2 or level-3 entry a 2 MiB or 1 GiB
 *	leaf.
 * @KVM_VIOMMU_FMT_VTD_SS: Intel VT-d second-stage tables.  3, 4 (the
 *	default) or 5 levels for a 39-, 48- or 57-bit IOVA, with no
 *	canonical hole.  R (bit 0) grants read and W (bit 1) write; an entry
 *	with neither is not present, and a table entry's R and W restrict
 *	everything below it.  PS (bit 7) makes a level-2 or level-3 entry a
 *	2 MiB or 1 GiB leaf.  Address bits from the IOVA width up to bit 51
 *	are refused as reserved.
 * @KVM_VIOMMU_FMT_AMD_V1: AMD-Vi v1 I/O page tables (host translation).
 *	Paging mode 1 to 6 as the number of levels (default 4) for a 21-,
 *	30-, 39-, 48-, 57- or 64-bit IOVA.  PR (bit 0) makes an entry valid;
 *	NextLevel (bits 11:9) 1 to 6 points to a lower-level table, possibly
 *	skipping levels (the skipped IOVA bits must be zero), 0 makes a leaf
 *	of the level's size and 7 a larger power-of-two leaf encoded in the
 *	address bits.  IR (bit 61) and IW (bit 62) grant read and write; in a
 *	table entry they restrict everything below it.
 * @KVM_VIOMMU_FMT_ARM_LPAE_S1: Arm VMSAv8-64 stage-1 tables, 4 KiB granule,
 *	as an SMMUv3 walks them (little-endian).  4 levels (48-bit IOVA) or
 *	3 levels (39-bit IOVA).  Bits[1:0] = 0b11 is a table descriptor, or
 *	a 4 KiB page at level 1; 0b01 a 2 MiB (level 2) or 1 GiB (level 3)
 *	block.  Every leaf is readable; AP[2] (bit 7) makes it read-only, as
 *	does APTable[1] (bit 62) in any table descriptor above it.  A leaf
 *	with AF (bit 10) clear is not mapped.
 * @KVM_VIOMMU_FMT_ARM_LPAE_S2: Arm VMSAv8-64 stage-2 tables, 4 KiB granule:
 *	levels, descriptors and AF as @KVM_VIOMMU_FMT_ARM_LPAE_S1, but S2AP
 *	(bits 7:6) grants write (bit 7) and read (bit 6), S2AP = 0 maps
 *	nothing, and table descriptors carry no permissions.
 * @KVM_VIOMMU_FMT_S390_ZPCI: s390 zPCI DMA translation tables (big-endian):
 *	3 levels, 42-bit IOVA, a 16 KiB aligned region-third table of 2048
 *	entries, segment tables of 2048 and page tables of 256 entries, 4 KiB
 *	pages only.  Bit 0x20 (0x400 in a page entry) invalidates an entry;
 *	the protection bit 0x200 at any level makes the pages below it
 *	read-only.
 * @KVM_VIOMMU_FMT_SPAPR_TCE: sPAPR TCE tables (big-endian TCEs) over a DMA
 *	window: the table translates IOVAs from aperture_start up, entry 0
 *	mapping aperture_start.  page_shift 12 (default) to 34 is the IOMMU
 *	page size (aperture_start aligned to it).  1 level (the default) is
 *	a flat table of one TCE per IOMMU page; 2 to 5 levels add indirect
 *	levels of 512-entry (4 KiB) tables, the top level holding as many
 *	entries as the window needs (at most 2^59 bytes of window, and none
 *	when the lower levels alone index 2^59 bytes or more).  R (bit 0)
 *	grants read, W (bit 1) write; an entry with neither is not valid.
 *	The address is bits page_shift..51 of a TCE (12..51 of an indirect
 *	entry); lower bits 2 and up, and bits 52..63, must be zero.
 * @KVM_VIOMMU_FMT_COUNT: number of format numbers defined (not a format).
 *
 * KVM_VIOMMU_GET_INFO.formats tells which of these a kernel supports.
 */
enum kvm_viommu_format {
	KVM_VIOMMU_FMT_NONE = 0,
	KVM_VIOMMU_FMT_X86_64 = 1,
	KVM_VIOMMU_FMT_VTD_SS = 2,
	KVM_VIOMMU_FMT_AMD_V1 = 3,
	KVM_VIOMMU_FMT_ARM_LPAE_S1 = 4,
	KVM_VIOMMU_FMT_ARM_LPAE_S2 = 5,
	KVM_VIOMMU_FMT_S390_ZPCI = 6,
	KVM_VIOMMU_FMT_SPAPR_TCE = 7,
	KVM_VIOMMU_FMT_COUNT,
};

/**
 * enum kvm_viommu_refusal - why a guest entry was not shadowed
 * @KVM_VIOMMU_REFUSED_NONE: nothing was refused.
 * @KVM_VIOMMU_REFUSED_NO_MEMSLOT: the leaf's guest physical address is not
 *	backed by any memslot of the bound VM.
 * @KVM_VIOMMU_REFUSED_READONLY_SLOT: a writable leaf points into a
 *	read-only memslot (KVM_MEM_READONLY).  Such leaves are refused, not
 *	downgraded: the guest would otherwise see writes silently dropped.
 * @KVM_VIOMMU_REFUSED_PRIVATE: the leaf points into guest_memfd backed
 *	memory, which has no host mapping to pin.
 * @KVM_VIOMMU_REFUSED_TABLE_FAULT: a table of the guest page table lies
 *	outside guest memory (or could not be read).
 * @KVM_VIOMMU_REFUSED_RESERVED_BITS: an entry has bits set that the format
 *	requires to be zero, or a leaf at a level that cannot hold one.
 * @KVM_VIOMMU_REFUSED_MEMLOCK: pinning the page would exceed RLIMIT_MEMLOCK
 *	of the process that bound the VM.
 * @KVM_VIOMMU_REFUSED_PIN: the VMM's memory behind the guest page could not
 *	be pinned (not mapped, not pinnable, or out of memory), or the page
 *	already backs 2^22 - 1 IOVA pages of the container.
 * @KVM_VIOMMU_REFUSED_MAP: the IOMMU driver failed to map the page.
 * @KVM_VIOMMU_REFUSED_RESERVED_IOVA: the IOVA lies in a region the host
 *	IOMMU reserves for one of the table's groups (on x86 the interrupt
 *	window 0xfee00000-0xfeefffff, and any RMRR): DMA there never reaches
 *	memory, so nothing is mapped.
 * @KVM_VIOMMU_REFUSED_LIMIT: the container maps as many IOVA pages as the
 *	host allows (kvm_viommu's max_mapped_pages module parameter).
 */
enum kvm_viommu_refusal {
	KVM_VIOMMU_REFUSED_NONE = 0,
	KVM_VIOMMU_REFUSED_NO_MEMSLOT = 1,
	KVM_VIOMMU_REFUSED_READONLY_SLOT = 2,
	KVM_VIOMMU_REFUSED_PRIVATE = 3,
	KVM_VIOMMU_REFUSED_TABLE_FAULT = 4,
	KVM_VIOMMU_REFUSED_RESERVED_BITS = 5,
	KVM_VIOMMU_REFUSED_MEMLOCK = 6,
	KVM_VIOMMU_REFUSED_PIN = 7,
	KVM_VIOMMU_REFUSED_MAP = 8,
	KVM_VIOMMU_REFUSED_RESERVED_IOVA = 9,
	KVM_VIOMMU_REFUSED_LIMIT = 10,
};

/**
 * struct kvm_viommu_bind_vm - KVM_VIOMMU_BIND_VM argument
 * @argsz: size of this structure as userspace knows it.
 * @flags: 0 or %KVM_VIOMMU_BIND_PREPIN.
 * @vm_fd: a KVM VM file descriptor (from KVM_CREATE_VM) of the calling
 *	process.  Its memslots are the only memory the container will ever
 *	map.
 * @__reserved: must be zero.
 *
 * Binds the container to a VM, once.  Errors: -EBADF (@vm_fd is not open),
 * -EINVAL (not a KVM VM fd, or unknown flags, or nonzero reserved), -EPERM
 * (the VM belongs to another process's address space), -EBUSY (already
 * bound), -ENOMEM (%KVM_VIOMMU_BIND_PREPIN could not pin every memslot,
 * RLIMIT_MEMLOCK included), -EFAULT (%KVM_VIOMMU_BIND_PREPIN met memory it
 * cannot pin in a memslot of ordinary memory), -EINTR; after any error
 * nothing stays pinned and the container stays unbound.  The container
 * holds a reference on the VM until it is released.
 *
 * Guest pages are pinned on demand by default: a page is pinned and charged
 * to the binding process's locked_vm when the first IOVA maps it, and
 * released when the last IOVA stops mapping it.  With
 * %KVM_VIOMMU_BIND_PREPIN the container is in pre-pinned mode: every page
 * of every memslot is pinned and charged once, at bind time (but for
 * memslots backed by guest_memfd and memslots over device memory, VM_IO or
 * VM_PFNMAP mappings such as an assigned device's BARs, which have no pages
 * to pin and are left out), and a page the container pins later (a memslot
 * created after the bind) stays pinned too; refreshes then only look pages
 * up.  Either way, deleting a memslot unmaps every IOVA that maps its pages
 * and releases their pins before KVM_SET_USER_MEMORY_REGION returns.  The
 * notifier KVM offers for this makes KVM refuse to move a memslot
 * (KVM_MR_MOVE, -EINVAL) while the container is bound: delete and recreate
 * it instead.
 */
struct kvm_viommu_bind_vm {
	__u32 argsz;
	__u32 flags;
	__s32 vm_fd;
	__u32 __reserved;
};

#define KVM_VIOMMU_BIND_PREPIN		(1U << 0)

#define KVM_VIOMMU_BIND_VM		_IO(VFIO_TYPE, KVM_VIOMMU_BASE + 0)

/**
 * struct kvm_viommu_set_table - KVM_VIOMMU_SET_TABLE argument
 * @argsz: size of this structure as userspace knows it.
 * @flags: 0 or %KVM_VIOMMU_TABLE_MERGE.
 * @group_id: IOMMU group number (N of /dev/vfio/N) of a group attached to
 *	this container.
 * @format: an &enum kvm_viommu_format value; KVM_VIOMMU_FMT_NONE detaches
 *	the group from its table and blocks its DMA.
 * @levels: number of paging levels of the guest table; 0 selects the
 *	format's default (4 for x86-64).
 * @table_id: output: the table the group is now attached to.  Groups given
 *	the same flags, format, levels, root and aperture share one table
 *	(and one IOMMU domain); its id is what KVM_VIOMMU_REFRESH takes.
 * @root_gpa: guest physical address of the top-level table; aligned to the
 *	format's table size.
 * @aperture_start: lowest IOVA the guest may map (4 KiB aligned).
 * @aperture_last: highest IOVA the guest may map (inclusive; the next byte
 *	is 4 KiB aligned).  Must fit both the format's address width and the
 *	host IOMMU's geometry (see KVM_VIOMMU_GET_INFO).
 * @page_shift: log2 of the guest's IOMMU page size for formats where the
 *	guest chooses it (sPAPR TCE: 12..34); 0 selects the format's default
 *	(12).  Other formats accept only 0 or 12.
 * @__reserved: must be zero.
 *
 * Requires a bound VM.  Moving a group from one table to another leaves no
 * mapping of the old table visible to the group; a table whose last group
 * leaves is destroyed (its pages unmapped and unpinned).  A new table starts
 * empty: nothing is mapped until a refresh.  A group joining a table that
 * maps IOVAs its IOMMU reserves has those unmapped.  If the group cannot
 * be attached to the table (an IOMMU that cannot share the domain), it
 * keeps the table it had.  Errors: -EINVAL (bad format, levels, alignment
 * or aperture; no VM bound), -EPERM (not the process that bound the VM),
 * -ENOENT (@group_id is not attached to this container), -ENOMEM, or the
 * IOMMU's error for the attach.
 *
 * Large IOMMU pages: a guest leaf of 2 MiB or 1 GiB over host memory that
 * is contiguous and aligned the same way (hugetlbfs or THP) is shadowed by
 * one IOMMU page of that size.  Runs of 4 KiB guest leaves are mapped with
 * 4 KiB IOMMU pages, however contiguous, because changing one leaf of a
 * run shadowed by a large IOMMU page means splitting it, and the IOMMU API
 * cannot split a mapping in place: while the large page is replaced by
 * 4 KiB ones, a device that misses in its IOTLB faults on the rest of it.
 * %KVM_VIOMMU_TABLE_MERGE lifts that: an aligned run of 512 (or 262144)
 * 4 KiB guest leaves refreshed together over such host memory becomes one
 * large IOMMU page, as a type1 MAP_DMA of the run would.  Choose it when
 * the guest unmaps what it mapped as a whole (or tolerates DMA faults on
 * partial unmaps), as DMA-heavy guests with long-lived buffers do.
 */
struct kvm_viommu_set_table {
	__u32 argsz;
	__u32 flags;
	__u32 group_id;
	__u32 format;
	__u32 levels;
	__u32 table_id;
	__u64 root_gpa;
	__u64 aperture_start;
	__u64 aperture_last;
	__u32 page_shift;
	__u32 __reserved;
};

#define KVM_VIOMMU_TABLE_MERGE		(1U << 0)

#define KVM_VIOMMU_SET_TABLE		_IO(VFIO_TYPE, KVM_VIOMMU_BASE + 1)

/**
 * struct kvm_viommu_refresh - KVM_VIOMMU_REFRESH argument
 * @argsz: size of this structure as userspace knows it.
 * @flags: 0 or %KVM_VIOMMU_REFRESH_LEAF_ONLY.
 * @table_id: a table id from KVM_VIOMMU_SET_TABLE.
 * @__reserved: must be zero.
 * @iova: start of the range the guest changed (4 KiB aligned).
 * @size: length of the range (a nonzero multiple of 4 KiB, inside the
 *	table's aperture).
 * @mapped: output: 4 KiB pages newly mapped (including replaced ones).
 * @unmapped: output: 4 KiB pages unmapped because the guest entry became
 *	invalid (or was replaced, or refused).
 * @unchanged: output: 4 KiB pages whose mapping already matched the guest.
 * @refused: output: 4 KiB pages the guest maps but that were not shadowed.
 * @fail_iova: output: lowest refused IOVA (valid when @refused != 0).
 * @fail_reason: output: an &enum kvm_viommu_refusal for @fail_iova.
 * @__reserved2: zero on output.
 *
 * Synchronises the shadow of [@iova, @iova + @size) with the guest table,
 * like an s390 RPCIT or a VT-d page-selective invalidation.  When it
 * returns 0, every 4 KiB page of the range is either mapped exactly as the
 * guest table says (same guest page, same permission) or not mapped at all;
 * the latter are counted in @refused.  Pages are pinned and mapped in
 * batches of up to 512, after the stale mappings met on the way have been
 * removed, so a refresh at the RLIMIT_MEMLOCK limit can use the room that
 * the stale mappings it removes free.  After the first MEMLOCK or LIMIT
 * refusal the refresh maps nothing more but still removes stale mappings.
 *
 * With %KVM_VIOMMU_REFRESH_LEAF_ONLY the VMM passes on the guest's word
 * that no table entry on the way to the range has changed since the last
 * refresh of this table without the flag, only leaf entries (VT-d's
 * invalidation hint IH = 1, AMD's INVALIDATE_IOMMU_PAGES with PDE = 0,
 * Arm's TLBI by VA with Leaf = 1).  The kernel may then reach the range
 * through table entries it read since that refresh, as an IOMMU's
 * paging-structure cache does, instead of reading them again.  If the
 * guest broke its word, pages may be mapped as the entries it replaced
 * said: still only guest memory, checked and pinned as always.  A refresh
 * without the flag (or a KVM_VIOMMU_REQ_REFRESH_ALL) reads every level
 * again.
 *
 * Errors:
 * -EINVAL (bad arguments), -ENOENT (no such table), -EPERM (called from a
 * process other than the one that bound the VM), -EINTR (fatal signal:
 * the range is partially refreshed).
 */
struct kvm_viommu_refresh {
	__u32 argsz;
	__u32 flags;
	__u32 table_id;
	__u32 __reserved;
	__u64 iova;
	__u64 size;
	__u64 mapped;
	__u64 unmapped;
	__u64 unchanged;
	__u64 refused;
	__u64 fail_iova;
	__u32 fail_reason;
	__u32 __reserved2;
};

#define KVM_VIOMMU_REFRESH_LEAF_ONLY	(1U << 0)

#define KVM_VIOMMU_REFRESH		_IO(VFIO_TYPE, KVM_VIOMMU_BASE + 2)

/**
 * struct kvm_viommu_info - KVM_VIOMMU_GET_INFO argument
 * @argsz: size of this structure as userspace knows it.
 * @flags: must be zero on input.
 * @formats: output: bit N set when format N is supported.
 * @pgsize_bitmap: output: IOMMU page sizes the host domain supports for
 *	the container's groups.
 * @aperture_start: output: lowest IOVA the host IOMMU can map for every
 *	group of the container.
 * @aperture_last: output: highest such IOVA (inclusive).
 * @pinned_pages: output: 4 KiB guest pages pinned now (and charged to the
 *	binding process's locked_vm), each once however many IOVAs map it.
 * @mapped_pages: output: 4 KiB IOVA pages mapped now.
 * @refreshes: output: refresh requests completed since SET_IOMMU.
 * @refusals: output: 4 KiB pages refused since SET_IOMMU.
 * @nr_tables: output: tables in use.
 * @nr_groups: output: groups attached to the container.
 * @mapped_blocks: output: large IOMMU mappings (2 MiB or 1 GiB) in place:
 *	guest leaves of that size over physically contiguous host memory
 *	(hugetlbfs or THP) are shadowed by one IOMMU page each.
 * @iommu_maps: output: iommu_map() calls made since SET_IOMMU; a run of
 *	pages contiguous in IOVA and in host memory is mapped by one call.
 * @iommu_unmaps: output: iommu_unmap_fast() calls made since SET_IOMMU.
 * @iotlb_syncs: output: IOTLB flushes (iommu_iotlb_sync()) since
 *	SET_IOMMU.  A refresh that unmaps flushes once, at its end; it
 *	flushes early when it must pin new pages while more than 512
 *	unmapped ones wait for the flush, when about as many wait as the
 *	max_pending_unpins module parameter allows (default 65536), or
 *	when memory for the list of waiting pages runs short.  Memslot
 *	removal counts the same way.
 * @shadow_bytes: output: memory holding the shadows of all tables (what
 *	each IOVA page maps), 8 bytes per 4 KiB IOVA page in 4 KiB blocks
 *	of 2 MiB of IOVA, and up to two empty blocks per table kept for
 *	reuse.
 * @pin_bytes: output: memory of the pin table (the host page behind each
 *	pinned guest page), 8 bytes per pinned 4 KiB guest page in 4 KiB
 *	blocks of 2 MiB of guest memory, and up to two empty blocks kept
 *	for reuse.
 * @bind_flags: output: the flags the container was bound with.
 * @__reserved: zero.
 * @kept_path_walks: output: walks of %KVM_VIOMMU_REFRESH_LEAF_ONLY
 *	refreshes and %KVM_VIOMMU_REQ_LEAF_ONLY requests that started from a
 *	table kept from an earlier walk, without reading the entries above
 *	it again; cumulative.  It counts walks, not requests: a ring request
 *	resumed in a later pass (its share of a pass's work ran out) is
 *	walked again from where it stopped, and each such walk that starts
 *	from the kept table counts.  What the hint saved, for a VMM that
 *	wants to know; it says nothing of the refresh's result.
 *
 * May be called before KVM_VIOMMU_BIND_VM.  Version 1 of this structure
 * ended at @nr_groups (80 bytes), version 2 at @mapped_blocks (88 bytes),
 * version 3 at @__reserved (136 bytes).
 */
struct kvm_viommu_info {
	__u32 argsz;
	__u32 flags;
	__u64 formats;
	__u64 pgsize_bitmap;
	__u64 aperture_start;
	__u64 aperture_last;
	__u64 pinned_pages;
	__u64 mapped_pages;
	__u64 refreshes;
	__u64 refusals;
	__u32 nr_tables;
	__u32 nr_groups;
	__u64 mapped_blocks;
	__u64 iommu_maps;
	__u64 iommu_unmaps;
	__u64 iotlb_syncs;
	__u64 shadow_bytes;
	__u64 pin_bytes;
	__u32 bind_flags;
	__u32 __reserved;
	__u64 kept_path_walks;
};

#define KVM_VIOMMU_GET_INFO		_IO(VFIO_TYPE, KVM_VIOMMU_BASE + 3)

/*
 * The doorbell: guest invalidations processed in the kernel, without a VMM
 * exit.  The VMM registers a KVM ioeventfd on an address of its choosing
 * and hands that eventfd (@kick_fd) to KVM_VIOMMU_SET_DOORBELL with a
 * request ring in guest memory.  The guest posts requests and writes the
 * doorbell address; KVM signals the eventfd without leaving the kernel and
 * a kernel worker processes the ring with the engine behind
 * KVM_VIOMMU_REFRESH.  Documentation/userspace-api/kvm_viommu.rst has the
 * protocol in full, with a VMM-side example.
 *
 * The ring, at a 4 KiB aligned guest physical address, little-endian:
 *
 *	struct kvm_viommu_ring_hdr	header (64 bytes)
 *	struct kvm_viommu_ring_req	req[entries] (64 bytes each)
 *
 * Request i lives in req[i % entries].  @prod and @cons are free-running
 * 32-bit counters; the ring holds prod - cons requests, never more than
 * entries.
 */

/* Most request slots a ring may have. */
#define KVM_VIOMMU_RING_MAX_ENTRIES	4096

/**
 * struct kvm_viommu_ring_hdr - header of a doorbell request ring
 * @prod: written by the guest: number of requests posted.  The guest
 *	writes a request completely before advancing @prod.
 * @cons: written by the kernel: number of requests completed.  Every
 *	request below @cons has its status written, its mappings in place
 *	and the IOTLB synchronised before @cons moves past it.
 * @error: written by the kernel: an &enum kvm_viommu_ring_error; once
 *	nonzero the ring is disabled and no more requests are processed.
 * @__reserved: ignored by the kernel.
 */
struct kvm_viommu_ring_hdr {
	__u32 prod;
	__u32 cons;
	__u32 error;
	__u32 __reserved[13];
};

/**
 * enum kvm_viommu_ring_error - why a ring was disabled
 * @KVM_VIOMMU_RING_OK: the ring works.
 * @KVM_VIOMMU_RING_ERR_FAULT: the header or a request is not in writable
 *	guest memory any more.
 * @KVM_VIOMMU_RING_ERR_INDEX: @prod ran more than the ring's size ahead
 *	of @cons.
 */
enum kvm_viommu_ring_error {
	KVM_VIOMMU_RING_OK = 0,
	KVM_VIOMMU_RING_ERR_FAULT = 1,
	KVM_VIOMMU_RING_ERR_INDEX = 2,
};

/**
 * enum kvm_viommu_req_op - what a ring request asks
 * @KVM_VIOMMU_REQ_REFRESH: refresh [iova, iova + size) of the table, as
 *	KVM_VIOMMU_REFRESH does; flags 0 or %KVM_VIOMMU_REQ_LEAF_ONLY, which
 *	means what %KVM_VIOMMU_REFRESH_LEAF_ONLY means there.
 * @KVM_VIOMMU_REQ_REFRESH_ALL: refresh the table's whole aperture (a
 *	global invalidation); iova and size must be zero.
 * @KVM_VIOMMU_REQ_TCE_PUT: H_PUT_TCE on an sPAPR TCE table, as
 *	KVM_VIOMMU_TCE: iova is the IOBA, size the TCE, flags zero.
 * @KVM_VIOMMU_REQ_TCE_PUT_INDIRECT: H_PUT_TCE_INDIRECT: iova is the IOBA,
 *	size the guest physical address of the TCE list, flags the number of
 *	TCEs (1 to KVM_VIOMMU_TCE_INDIRECT_MAX).
 * @KVM_VIOMMU_REQ_TCE_STUFF: H_STUFF_TCE: iova is the IOBA, size the TCE,
 *	flags the number of TCEs (1 to KVM_VIOMMU_TCE_INDIRECT_MAX per
 *	request).
 *
 * For the TCE operations the status tells the hypercall's return: DONE is
 * H_SUCCESS, INVALID, NO_TABLE and REFUSED are H_PARAMETER, ERROR is
 * H_HARDWARE (the kernel could not reach the table: the VMM must handle
 * it, as for H_TOO_HARD).
 */
enum kvm_viommu_req_op {
	KVM_VIOMMU_REQ_REFRESH = 1,
	KVM_VIOMMU_REQ_REFRESH_ALL = 2,
	KVM_VIOMMU_REQ_TCE_PUT = 3,
	KVM_VIOMMU_REQ_TCE_PUT_INDIRECT = 4,
	KVM_VIOMMU_REQ_TCE_STUFF = 5,
};

/**
 * enum kvm_viommu_req_status - outcome of a ring request
 * @KVM_VIOMMU_REQ_PENDING: the guest's value while a request is posted;
 *	the kernel never writes it.
 * @KVM_VIOMMU_REQ_DONE: every page of the range is mapped exactly as the
 *	guest table says, or unmapped where it maps nothing.
 * @KVM_VIOMMU_REQ_REFUSED: as DONE, except that @refused pages the guest
 *	maps were not mapped; @reason and @fail_iova tell why and where
 *	first.  With @reason KVM_VIOMMU_REFUSED_MEMLOCK this is s390's
 *	"insufficient resources": unmap something, then refresh again.
 * @KVM_VIOMMU_REQ_INVALID: bad op, flags or range; nothing was done.
 * @KVM_VIOMMU_REQ_NO_TABLE: no table has this id; nothing was done.
 * @KVM_VIOMMU_REQ_ERROR: the kernel failed (out of memory); the range may
 *	be partially refreshed, each page consistent as for REFUSED.
 */
enum kvm_viommu_req_status {
	KVM_VIOMMU_REQ_PENDING = 0,
	KVM_VIOMMU_REQ_DONE = 1,
	KVM_VIOMMU_REQ_REFUSED = 2,
	KVM_VIOMMU_REQ_INVALID = 3,
	KVM_VIOMMU_REQ_NO_TABLE = 4,
	KVM_VIOMMU_REQ_ERROR = 5,
};

/**
 * struct kvm_viommu_ring_req - one doorbell request
 * @table_id: written by the guest: the table, from KVM_VIOMMU_SET_TABLE.
 * @op: written by the guest: an &enum kvm_viommu_req_op.
 * @flags: written by the guest: zero, but as its @op says.
 * @iova: written by the guest: start of the range (4 KiB aligned).
 * @size: written by the guest: length of the range.
 * @status: written by the kernel: an &enum kvm_viommu_req_status.
 * @reason: written by the kernel: an &enum kvm_viommu_refusal.
 * @fail_iova: written by the kernel: lowest refused IOVA.
 * @mapped: written by the kernel: pages newly mapped.
 * @unmapped: written by the kernel: pages unmapped.
 * @refused: written by the kernel: pages refused.
 */
struct kvm_viommu_ring_req {
	__u32 table_id;
	__u16 op;
	__u16 flags;
	__u64 iova;
	__u64 size;
	__u32 status;
	__u32 reason;
	__u64 fail_iova;
	__u64 mapped;
	__u64 unmapped;
	__u64 refused;
};

/* kvm_viommu_ring_req flags of KVM_VIOMMU_REQ_REFRESH */
#define KVM_VIOMMU_REQ_LEAF_ONLY	(1U << 0)

/* KVM_VIOMMU_SET_DOORBELL flags */
#define KVM_VIOMMU_DOORBELL_DEASSIGN	(1U << 0)

/**
 * struct kvm_viommu_set_doorbell - KVM_VIOMMU_SET_DOORBELL argument
 * @argsz: size of this structure as userspace knows it.
 * @flags: 0 to create a doorbell, KVM_VIOMMU_DOORBELL_DEASSIGN to remove
 *	the one named by @id (then every other field must be zero).
 * @kick_fd: an eventfd the guest signals, normally through a KVM
 *	ioeventfd on the doorbell address.
 * @done_fd: an eventfd signalled after requests complete (normally a KVM
 *	irqfd, so the guest gets an interrupt), or -1 for none.
 * @entries: number of request slots: a power of two, at most
 *	KVM_VIOMMU_RING_MAX_ENTRIES.
 * @id: output on create, input on removal: the doorbell.
 * @ring_gpa: guest physical address of the ring header, 4 KiB aligned;
 *	the whole ring must be writable guest memory.
 *
 * Requires a bound VM; the calling process must be the one that bound it.
 * The ring's @prod and @cons start from their values in guest memory at
 * creation (a doorbell may take over a ring).  A kick that arrived before
 * the doorbell existed is not lost: the ring is looked at once at
 * creation.  Errors: -EINVAL (bad fds, flags, sizes, alignment, ring not in
 * writable guest memory, no VM bound), -EPERM, -ENOENT (no such doorbell
 * to remove), -ENOSPC (too many doorbells), -ENOMEM.
 */
struct kvm_viommu_set_doorbell {
	__u32 argsz;
	__u32 flags;
	__s32 kick_fd;
	__s32 done_fd;
	__u32 entries;
	__u32 id;
	__u64 ring_gpa;
};

#define KVM_VIOMMU_SET_DOORBELL		_IO(VFIO_TYPE, KVM_VIOMMU_BASE + 4)

/**
 * struct kvm_viommu_doorbell_info - KVM_VIOMMU_GET_DOORBELL argument
 * @argsz: size of this structure as userspace knows it.
 * @flags: must be zero.
 * @id: the doorbell.
 * @error: output: an &enum kvm_viommu_ring_error.
 * @cons: output: requests completed (the kernel's consumer index).
 * @__reserved: zero on output.
 * @kicks: output: doorbell signals seen.
 * @passes: output: passes over the ring, by the kicking thread or the
 *	worker.
 * @requests: output: requests completed since creation.
 */
struct kvm_viommu_doorbell_info {
	__u32 argsz;
	__u32 flags;
	__u32 id;
	__u32 error;
	__u32 cons;
	__u32 __reserved;
	__u64 kicks;
	__u64 passes;
	__u64 requests;
};

#define KVM_VIOMMU_GET_DOORBELL		_IO(VFIO_TYPE, KVM_VIOMMU_BASE + 5)

/*
 * Power hypercall operations on sPAPR TCE tables: the TCE hypercalls of
 * LoPAR, carried out in the kernel on a table of format
 * KVM_VIOMMU_FMT_SPAPR_TCE.  Each writes TCEs into the guest's table in
 * guest memory and shadows them in the same call.
 * Documentation/userspace-api/kvm_viommu.rst, "Power hypercall operations",
 * has the full contract.
 */

/* Most TCEs one KVM_VIOMMU_TCE_PUT_INDIRECT takes: one 4 KiB page of them. */
#define KVM_VIOMMU_TCE_INDIRECT_MAX	512

/**
 * enum kvm_viommu_tce_op - which TCE hypercall
 * @KVM_VIOMMU_TCE_PUT: H_PUT_TCE: set the TCE at @ioba to @tce.
 * @KVM_VIOMMU_TCE_PUT_INDIRECT: H_PUT_TCE_INDIRECT: set @npages TCEs from
 *	@ioba up to those of the list at guest physical address @tce_list.
 * @KVM_VIOMMU_TCE_STUFF: H_STUFF_TCE: set @npages TCEs from @ioba up to
 *	@tce, which must grant neither read nor write.
 */
enum kvm_viommu_tce_op {
	KVM_VIOMMU_TCE_PUT = 1,
	KVM_VIOMMU_TCE_PUT_INDIRECT = 2,
	KVM_VIOMMU_TCE_STUFF = 3,
};

/**
 * enum kvm_viommu_hcall_ret - hypercall return codes, with PAPR's values
 * @KVM_VIOMMU_H_SUCCESS: H_SUCCESS: the TCEs are written and shadowed.
 * @KVM_VIOMMU_H_PARAMETER: H_PARAMETER: a bad argument (@ioba, @npages,
 *	@tce_list, a TCE), and nothing was written; or the TCEs were written
 *	but a page they map was refused (@refused is nonzero).
 * @KVM_VIOMMU_H_TOO_HARD: H_TOO_HARD (Linux's "let userspace handle it",
 *	never returned to a guest as such): the kernel cannot carry the call
 *	out (an indirect level of the table is missing, the list or the
 *	table is not in guest memory), and nothing was written unless the
 *	guest raced with the call; the VMM handles the hypercall itself.
 */
enum kvm_viommu_hcall_ret {
	KVM_VIOMMU_H_SUCCESS = 0,
	KVM_VIOMMU_H_PARAMETER = -4,
	KVM_VIOMMU_H_TOO_HARD = 9999,
};

/**
 * struct kvm_viommu_tce - KVM_VIOMMU_TCE argument
 * @argsz: size of this structure as userspace knows it.
 * @flags: must be zero.
 * @op: an &enum kvm_viommu_tce_op.
 * @table_id: a table of format KVM_VIOMMU_FMT_SPAPR_TCE, from
 *	KVM_VIOMMU_SET_TABLE.
 * @ioba: the IO bus address of the first TCE: aligned to the table's
 *	IOMMU page size, inside its window (aperture).
 * @tce: PUT: the TCE; STUFF: the value of every TCE; zero for
 *	PUT_INDIRECT.
 * @tce_list: PUT_INDIRECT: guest physical address of the list of TCEs
 *	(big-endian), 4 KiB aligned; zero otherwise.
 * @npages: PUT_INDIRECT, STUFF: number of TCEs (IOMMU pages), at most
 *	KVM_VIOMMU_TCE_INDIRECT_MAX for PUT_INDIRECT; zero for PUT.
 * @hret: output: an &enum kvm_viommu_hcall_ret, for the guest.
 * @mapped: output: as &struct kvm_viommu_refresh, for the refresh of the
 *	TCEs' pages.
 * @unmapped: output: as &struct kvm_viommu_refresh.
 * @unchanged: output: as &struct kvm_viommu_refresh.
 * @refused: output: as &struct kvm_viommu_refresh.
 * @fail_iova: output: as &struct kvm_viommu_refresh.
 * @fail_reason: output: as &struct kvm_viommu_refresh.
 * @__reserved: must be zero.
 *
 * Carries out the TCE hypercall as book3s_64_vio.c does: the arguments
 * are checked, every TCE is checked with the decoder's rules and its place
 * in the guest's table located (through the indirect levels) before any is
 * written; then the TCEs are written into the table in guest memory and
 * [@ioba, @ioba + @npages * IOMMU page size) is refreshed as
 * KVM_VIOMMU_REFRESH would.  Output fields must be zero on input.
 *
 * Returns 0 with @hret filled in whatever the hypercall's outcome.
 * Errors: -EINVAL (bad @flags, @__reserved, @op, a field @op does not use
 * nonzero, the table is not an sPAPR TCE table, no VM bound), -ENOENT (no
 * such table), -EPERM (called from a process other than the one that bound
 * the VM), -ENOMEM, -EINTR (fatal signal: the TCEs may be partially
 * written and shadowed).
 */
struct kvm_viommu_tce {
	__u32 argsz;
	__u32 flags;
	__u32 op;
	__u32 table_id;
	__u64 ioba;
	__u64 tce;
	__u64 tce_list;
	__u64 npages;
	__s64 hret;
	__u64 mapped;
	__u64 unmapped;
	__u64 unchanged;
	__u64 refused;
	__u64 fail_iova;
	__u32 fail_reason;
	__u32 __reserved;
};

#define KVM_VIOMMU_TCE			_IO(VFIO_TYPE, KVM_VIOMMU_BASE + 6)

/**
 * struct kvm_viommu_prepin - KVM_VIOMMU_PREPIN argument
 * @argsz: size of this structure as userspace knows it.
 * @flags: 0 to pin, %KVM_VIOMMU_PREPIN_RELEASE to release.
 * @gpa: first guest physical address, 4 KiB aligned.
 * @size: bytes, a nonzero multiple of 4 KiB.
 * @pinned: output: pages of the range pinned now that were not pinned
 *	before the call (0 on release).
 * @released: output: pages whose pin this call released (0 on pin).
 *
 * Pre-pins a range of guest memory the VMM names: every page of
 * [@gpa, @gpa + @size) is pinned and charged once, now, and stays pinned
 * until released, until its memslot is deleted or until the container
 * goes, however IOVAs come to map it and stop mapping it.  Pinning is all
 * or nothing: on error no page of the range is pinned by the call.
 * Releasing returns the range to on-demand pinning: a page no IOVA maps is
 * unpinned at once, a mapped one when its last IOVA goes.  In pre-pinned
 * mode (%KVM_VIOMMU_BIND_PREPIN) pages the container pins stay pinned, so
 * release is how the VMM gives memory back without deleting its memslot.
 *
 * Errors: -EINVAL (not bound, bad flags, alignment or size), -EPERM (not
 * the process the container is bound to), -EFAULT (part of the range is in
 * no memslot, or in one backed by guest_memfd), -ENOMEM (RLIMIT_MEMLOCK or
 * no memory), -EINTR.
 */
struct kvm_viommu_prepin {
	__u32 argsz;
	__u32 flags;
	__u64 gpa;
	__u64 size;
	__u64 pinned;
	__u64 released;
};

#define KVM_VIOMMU_PREPIN_RELEASE	(1U << 0)

#define KVM_VIOMMU_PREPIN		_IO(VFIO_TYPE, KVM_VIOMMU_BASE + 7)

#endif /* _UAPI_LINUX_KVM_VIOMMU_H */
