// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers for the kvm-viommu selftests; see viommu_util.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "viommu_util.h"

static int read_sysfs_hex(const char *dir, const char *file, unsigned long *val)
{
	char path[512], buf[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = 0;
	*val = strtoul(buf, NULL, 16);
	return 0;
}

bool edu_find(char *bdf, size_t len, int *group_id)
{
	const char *base = "/sys/bus/pci/devices";
	struct dirent *de;
	bool found = false;
	DIR *d;

	d = opendir(base);
	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		char dir[512], link[512];
		unsigned long ven, dev;
		ssize_t n;

		if (de->d_name[0] == '.')
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", base, de->d_name);
		if (read_sysfs_hex(dir, "vendor", &ven) ||
		    read_sysfs_hex(dir, "device", &dev) ||
		    ven != 0x1234 || dev != 0x11e8)
			continue;
		snprintf(dir, sizeof(dir), "%s/%s/iommu_group", base,
			 de->d_name);
		n = readlink(dir, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = 0;
		*group_id = atoi(basename(link));
		snprintf(bdf, len, "%s", de->d_name);
		found = true;
	}
	closedir(d);
	return found;
}

void vmm_init(struct vmm *v)
{
	memset(v, 0, sizeof(*v));
	v->container = -1;
	v->group = -1;
	v->kvm = -1;
	v->vm = -1;
}

int vmm_open_group(struct vmm *v)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	char path[64];

	if (!edu_find(v->bdf, sizeof(v->bdf), &v->group_id))
		return -ENODEV;

	v->container = open("/dev/vfio/vfio", O_RDWR);
	if (v->container < 0)
		return -errno;
	snprintf(path, sizeof(path), "/dev/vfio/%d", v->group_id);
	v->group = open(path, O_RDWR);
	if (v->group < 0)
		return -errno;
	if (ioctl(v->group, VFIO_GROUP_GET_STATUS, &status))
		return -errno;
	if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE))
		return -EBUSY;
	if (ioctl(v->group, VFIO_GROUP_SET_CONTAINER, &v->container))
		return -errno;
	return 0;
}

int vmm_open_vfio(struct vmm *v)
{
	int ret = vmm_open_group(v);

	if (ret)
		return ret;
	if (ioctl(v->container, VFIO_SET_IOMMU, VFIO_KVM_IOMMU))
		return -errno;
	return 0;
}

static int set_slot(int vm, uint32_t slot, uint32_t flags, uint64_t gpa,
		    uint64_t size, void *hva)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)hva,
	};

	return ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r) ? -errno : 0;
}

int vmm_create_vm(struct vmm *v)
{
	int ret;

	v->kvm = open("/dev/kvm", O_RDWR);
	if (v->kvm < 0)
		return -errno;
	v->vm = ioctl(v->kvm, KVM_CREATE_VM, 0);
	if (v->vm < 0)
		return -errno;

	v->mem = mmap(NULL, GUEST_MEM_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (v->mem == MAP_FAILED)
		return -errno;
	v->ro_mem = mmap(NULL, GUEST_RO_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (v->ro_mem == MAP_FAILED)
		return -errno;

	ret = set_slot(v->vm, 0, 0, 0, GUEST_MEM_SIZE, v->mem);
	if (ret)
		return ret;
	return set_slot(v->vm, 1, KVM_MEM_READONLY, GUEST_RO_GPA,
			GUEST_RO_SIZE, v->ro_mem);
}

int vmm_set_slot(struct vmm *v, uint32_t slot, uint32_t flags, uint64_t gpa,
		 uint64_t size, void *hva)
{
	return set_slot(v->vm, slot, flags, gpa, size, hva);
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void vmm_close(struct vmm *v)
{
	close_fd(&v->container);
	close_fd(&v->group);
	close_fd(&v->vm);
	close_fd(&v->kvm);
	if (v->mem && v->mem != MAP_FAILED)
		munmap(v->mem, GUEST_MEM_SIZE);
	if (v->ro_mem && v->ro_mem != MAP_FAILED)
		munmap(v->ro_mem, GUEST_RO_SIZE);
	v->mem = NULL;
	v->ro_mem = NULL;
}

int viommu_bind_raw(int container, int vm_fd)
{
	struct kvm_viommu_bind_vm b = { .argsz = sizeof(b), .vm_fd = vm_fd };

	return ioctl(container, KVM_VIOMMU_BIND_VM, &b) ? -errno : 0;
}

int viommu_set_table_raw(int container, int group_id, uint32_t format,
			 uint32_t levels, uint64_t root, uint64_t ap_start,
			 uint64_t ap_last, uint32_t *table_id)
{
	struct kvm_viommu_set_table st = {
		.argsz = sizeof(st),
		.group_id = group_id,
		.format = format,
		.levels = levels,
		.root_gpa = root,
		.aperture_start = ap_start,
		.aperture_last = ap_last,
	};

	if (ioctl(container, KVM_VIOMMU_SET_TABLE, &st))
		return -errno;
	if (table_id)
		*table_id = st.table_id;
	return 0;
}

int viommu_refresh_raw(int container, uint32_t table_id, uint64_t iova,
		       uint64_t size, struct kvm_viommu_refresh *out)
{
	return viommu_refresh_flags_raw(container, table_id, 0, iova, size,
					out);
}

int viommu_refresh_flags_raw(int container, uint32_t table_id,
			     uint32_t flags, uint64_t iova, uint64_t size,
			     struct kvm_viommu_refresh *out)
{
	struct kvm_viommu_refresh rf = {
		.argsz = sizeof(rf),
		.flags = flags,
		.table_id = table_id,
		.iova = iova,
		.size = size,
	};
	int ret;

	ret = ioctl(container, KVM_VIOMMU_REFRESH, &rf) ? -errno : 0;
	if (out)
		*out = rf;
	return ret;
}

int viommu_info_raw(int container, struct kvm_viommu_info *info)
{
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	return ioctl(container, KVM_VIOMMU_GET_INFO, info) ? -errno : 0;
}

int viommu_bind_flags_raw(int container, int vm_fd, uint32_t flags)
{
	struct kvm_viommu_bind_vm b = {
		.argsz = sizeof(b), .flags = flags, .vm_fd = vm_fd,
	};

	return ioctl(container, KVM_VIOMMU_BIND_VM, &b) ? -errno : 0;
}

int viommu_prepin_raw(int container, uint32_t flags, uint64_t gpa,
		      uint64_t size, struct kvm_viommu_prepin *out)
{
	struct kvm_viommu_prepin pp = {
		.argsz = sizeof(pp),
		.flags = flags,
		.gpa = gpa,
		.size = size,
	};
	int ret;

	ret = ioctl(container, KVM_VIOMMU_PREPIN, &pp) ? -errno : 0;
	if (out)
		*out = pp;
	return ret;
}

void gt_init(struct gtable *gt, uint8_t *mem, int levels)
{
	gt->mem = mem;
	gt->levels = levels;
	gt->root = GUEST_TABLES;
	gt->next = GUEST_TABLES + SZ_4K;
	memset(mem + GUEST_TABLES, 0, SZ_4K);
}

static unsigned int gt_index(uint64_t iova, int level)
{
	return (iova >> (12 + 9 * (level - 1))) & 511;
}

uint64_t *gt_entry(struct gtable *gt, uint64_t iova, int level)
{
	uint64_t table = gt->root;
	int l;

	for (l = gt->levels; l > level; l--) {
		uint64_t *e = (uint64_t *)(gt->mem + table) + gt_index(iova, l);

		if (!(*e & PTE_P)) {
			memset(gt->mem + gt->next, 0, SZ_4K);
			*e = gt->next | PTE_P | PTE_RW;
			gt->next += SZ_4K;
		}
		table = *e & 0x000ffffffffff000ULL;
	}
	return (uint64_t *)(gt->mem + table) + gt_index(iova, level);
}

void gt_map(struct gtable *gt, uint64_t iova, uint64_t gpa, int level,
	    bool write)
{
	*gt_entry(gt, iova, level) = gpa | PTE_P | (write ? PTE_RW : 0) |
				     (level > 1 ? PTE_PS : 0);
}

void gt_clear(struct gtable *gt, uint64_t iova, int level)
{
	*gt_entry(gt, iova, level) = 0;
}

static long read_keyed(const char *path, const char *key, char sep)
{
	size_t klen = strlen(key);
	char line[256];
	long val = -1;
	FILE *f;

	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, klen) && line[klen] == sep) {
			val = strtol(line + klen + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return val;
}

long vm_locked_kb(void)
{
	return read_keyed("/proc/self/status", "VmLck", ':');
}

/*
 * /proc/vmstat node counters lag behind by per-CPU deltas; writing
 * vm.stat_refresh folds them in, so what we read is exact.
 */
long vmstat_read(const char *name)
{
	int fd = open("/proc/sys/vm/stat_refresh", O_WRONLY);

	if (fd < 0 || write(fd, "1", 1) != 1)
		return -1;
	close(fd);
	return read_keyed("/proc/vmstat", name, ' ');
}

long pins_held(void)
{
	return vmstat_read("nr_foll_pin_acquired") -
	       vmstat_read("nr_foll_pin_released");
}

int edu_open(struct vmm *v, struct edu *e)
{
	struct vfio_region_info reg = { .argsz = sizeof(reg) };
	uint16_t cmd;

	e->fd = ioctl(v->group, VFIO_GROUP_GET_DEVICE_FD, v->bdf);
	if (e->fd < 0)
		return -errno;

	reg.index = VFIO_PCI_BAR0_REGION_INDEX;
	if (ioctl(e->fd, VFIO_DEVICE_GET_REGION_INFO, &reg))
		return -errno;
	e->bar0_size = reg.size;
	e->bar0 = mmap(NULL, reg.size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       e->fd, reg.offset);
	if (e->bar0 == MAP_FAILED)
		return -errno;

	/* Enable memory decoding and bus mastering in the command register. */
	reg.index = VFIO_PCI_CONFIG_REGION_INDEX;
	if (ioctl(e->fd, VFIO_DEVICE_GET_REGION_INFO, &reg))
		return -errno;
	if (pread(e->fd, &cmd, 2, reg.offset + 4) != 2)
		return -EIO;
	cmd |= 0x6;
	if (pwrite(e->fd, &cmd, 2, reg.offset + 4) != 2)
		return -EIO;
	return 0;
}

void edu_close(struct edu *e)
{
	if (e->bar0 && e->bar0 != MAP_FAILED)
		munmap(e->bar0, e->bar0_size);
	e->bar0 = NULL;
	if (e->fd > 0)
		close(e->fd);
	e->fd = -1;
}

/* MMIO: one 8-byte access each, never merged, split or elided. */
static void edu_write64(struct edu *e, unsigned int off, uint64_t val)
{
	__atomic_store_n((uint64_t *)(e->bar0 + off), val, __ATOMIC_SEQ_CST);
}

static uint64_t edu_read64(struct edu *e, unsigned int off)
{
	return __atomic_load_n((uint64_t *)(e->bar0 + off), __ATOMIC_SEQ_CST);
}

static int edu_dma(struct edu *e, uint64_t src, uint64_t dst, uint32_t len,
		   uint64_t cmd)
{
	struct timespec ts = { .tv_nsec = 10 * 1000 * 1000 };
	int i;

	edu_write64(e, 0x80, src);
	edu_write64(e, 0x88, dst);
	edu_write64(e, 0x90, len);
	edu_write64(e, 0x98, cmd);
	/* edu finishes a transfer 100 ms (virtual) after it starts. */
	for (i = 0; i < 3000; i++) {
		if (!(edu_read64(e, 0x98) & 1))
			return 0;
		nanosleep(&ts, NULL);
	}
	return -ETIMEDOUT;
}

int edu_dma_to_dev(struct edu *e, uint64_t iova, uint32_t len)
{
	return edu_dma(e, iova, EDU_BUF, len, 1);
}

int edu_dma_from_dev(struct edu *e, uint64_t iova, uint32_t len)
{
	return edu_dma(e, EDU_BUF, iova, len, 3);
}
