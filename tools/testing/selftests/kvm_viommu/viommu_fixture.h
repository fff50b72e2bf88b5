/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The common fixture: a VMM with the edu group in a VFIO_KVM_IOMMU
 * container and a VM over its memory (not yet bound), plus the accounting
 * every test must leave as it found it: pins held system-wide
 * (/proc/vmstat nr_foll_pin_acquired - nr_foll_pin_released) and this
 * process's locked_vm (VmLck), checked after all fds are closed.
 *
 * Include after kselftest_harness.h.
 */
#ifndef _VIOMMU_FIXTURE_H
#define _VIOMMU_FIXTURE_H

#include "viommu_util.h"

/* The IOVA window the tests declare: 2 GiB, inside a 39-bit VT-d domain. */
#define TEST_APERTURE_LAST	((2ULL << 30) - 1)

FIXTURE(viommu) {
	struct vmm v;
	struct gtable gt;
	long pins_at_start;
};

FIXTURE_SETUP(viommu)
{
	int ret;

	vmm_init(&self->v);
	self->pins_at_start = pins_held();
	ASSERT_LE(0, self->pins_at_start);
	ret = vmm_open_vfio(&self->v);
	ASSERT_EQ(0, ret) TH_LOG("VFIO setup of the edu group failed: %d", ret);
	ret = vmm_create_vm(&self->v);
	ASSERT_EQ(0, ret) TH_LOG("KVM VM creation failed: %d", ret);
	gt_init(&self->gt, self->v.mem, 4);
}

FIXTURE_TEARDOWN(viommu)
{
	vmm_close(&self->v);
	EXPECT_EQ(self->pins_at_start, pins_held());
	EXPECT_EQ(0, vm_locked_kb());
}

/* Bind the fixture's VM and point the edu group at the fixture's table. */
static inline int viommu_fixture_table(struct vmm *v, struct gtable *gt,
				       uint32_t *table_id)
{
	int ret = viommu_bind_raw(v->container, v->vm);

	if (ret)
		return ret;
	return viommu_set_table_raw(v->container, v->group_id,
				    KVM_VIOMMU_FMT_X86_64, gt->levels, gt->root,
				    0, TEST_APERTURE_LAST, table_id);
}

#endif /* _VIOMMU_FIXTURE_H */
