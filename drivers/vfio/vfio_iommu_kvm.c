// SPDX-License-Identifier: GPL-2.0
/*
 * VFIO_KVM_IOMMU: a VFIO IOMMU backend whose mappings come from an IO page
 * table kept by a KVM guest in its own memory.
 *
 * This file is only the VFIO face: the vfio_iommu_driver_ops the container
 * core calls, and the ioctl argument handling.  The engine lives in
 * virt/kvm/viommu/.
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>
#include <drivers/vfio/vfio.h>

#include "../../virt/kvm/viommu/viommu.h"

#define DRIVER_DESC	"KVM-owned VFIO IOMMU: shadows guest IO page tables"

static void *viommu_open(unsigned long arg)
{
	struct viommu_container *c;

	if (arg != VFIO_KVM_IOMMU)
		return ERR_PTR(-EINVAL);

	c = kzalloc(sizeof(*c), GFP_KERNEL_ACCOUNT);
	if (!c)
		return ERR_PTR(-ENOMEM);
	kref_init(&c->ref);
	mutex_init(&c->lock);
	INIT_LIST_HEAD(&c->groups);
	xa_init_flags(&c->tables, XA_FLAGS_ALLOC1);
	xa_init_flags(&c->doorbells, XA_FLAGS_ALLOC);
	return c;
}

static void viommu_container_free(struct kref *ref)
{
	struct viommu_container *c = container_of(ref, struct viommu_container,
						  ref);

	xa_destroy(&c->tables);
	xa_destroy(&c->doorbells);
	mutex_destroy(&c->lock);
	kfree(c);
}

/**
 * viommu_lock - take the container lock, unless the container is going
 * @c: the container, referenced by the caller.
 *
 * Return: 0 with viommu_container.lock held, or -ENODEV.
 */
int viommu_lock(struct viommu_container *c)
{
	mutex_lock(&c->lock);
	if (!c->dead)
		return 0;
	mutex_unlock(&c->lock);
	return -ENODEV;
}

static void viommu_release(void *iommu_data)
{
	struct viommu_container *c = iommu_data;
	struct viommu_group *g, *tmp;

	/* From now on nothing new is created and ioctls fail. */
	mutex_lock(&c->lock);
	c->dead = true;
	mutex_unlock(&c->lock);

	/* First the workers, which take the lock and use the tables. */
	viommu_doorbells_destroy(c);
	/* Then the memslot notifier, which takes the lock too. */
	viommu_untrack(c);

	mutex_lock(&c->lock);
	/* The VFIO core detaches every group first; be safe if it did not. */
	list_for_each_entry_safe(g, tmp, &c->groups, node)
		viommu_group_del(c, g->group);
	WARN_ON(!xa_empty(&c->tables));
	WARN_ON(!xa_empty(&c->doorbells));
	viommu_unbind_vm(c);
	mutex_unlock(&c->lock);

	/* Freed when the last ioctl still in flight leaves. */
	kref_put(&c->ref, viommu_container_free);
}

static int viommu_attach_group(void *iommu_data, struct iommu_group *group,
			       enum vfio_group_type type)
{
	struct viommu_container *c = iommu_data;
	int ret;

	/* Emulated (mdev) and no-IOMMU groups have nothing for us to program. */
	if (type != VFIO_IOMMU)
		return -EINVAL;

	mutex_lock(&c->lock);
	ret = viommu_group_add(c, group);
	mutex_unlock(&c->lock);
	return ret;
}

static void viommu_detach_group(void *iommu_data, struct iommu_group *group)
{
	struct viommu_container *c = iommu_data;

	mutex_lock(&c->lock);
	viommu_group_del(c, group);
	mutex_unlock(&c->lock);
}

/*
 * Copy an argsz-first structure in: at least @minsz bytes, bytes beyond
 * what we know must be zero (-E2BIG), bytes we know beyond what userspace
 * passed read as zero.  Inlined, so that a caller of the same uAPI
 * version as ours is a copy of constant size (no run-time object check).
 */
static __always_inline int viommu_copy_in(void *karg, size_t ksize,
					  size_t minsz, unsigned long arg,
					  u32 *usize)
{
	void __user *uarg = (void __user *)arg;

	if (get_user(*usize, (u32 __user *)uarg))
		return -EFAULT;
	if (likely(*usize == ksize))
		return copy_from_user(karg, uarg, ksize) ? -EFAULT : 0;
	if (*usize < minsz)
		return -EINVAL;
	/* Bound the check that unknown trailing bytes are zero. */
	if (*usize > PAGE_SIZE)
		return -E2BIG;
	return copy_struct_from_user(karg, ksize, uarg, *usize);
}

static __always_inline int viommu_copy_out(unsigned long arg,
					   const void *karg, size_t ksize,
					   u32 usize)
{
	void __user *uarg = (void __user *)arg;

	if (likely(usize >= ksize))
		return copy_to_user(uarg, karg, ksize) ? -EFAULT : 0;
	return copy_to_user(uarg, karg, usize) ? -EFAULT : 0;
}

static long viommu_ioctl_bind_vm(struct viommu_container *c, unsigned long arg)
{
	struct kvm_viommu_bind_vm bind;
	u32 usize;
	int ret;

	ret = viommu_copy_in(&bind, sizeof(bind), sizeof(bind), arg, &usize);
	if (ret)
		return ret;
	if (bind.flags & ~KVM_VIOMMU_BIND_PREPIN || bind.__reserved)
		return -EINVAL;

	ret = viommu_lock(c);
	if (ret)
		return ret;
	ret = viommu_bind_vm(c, bind.vm_fd, bind.flags);
	mutex_unlock(&c->lock);
	return ret;
}

static long viommu_ioctl_prepin(struct viommu_container *c, unsigned long arg)
{
	struct kvm_viommu_prepin pp;
	u32 usize;
	int ret;

	ret = viommu_copy_in(&pp, sizeof(pp), sizeof(pp), arg, &usize);
	if (ret)
		return ret;
	if (pp.flags & ~KVM_VIOMMU_PREPIN_RELEASE || pp.pinned || pp.released)
		return -EINVAL;

	ret = viommu_lock(c);
	if (ret)
		return ret;
	ret = viommu_prepin(c, &pp);
	mutex_unlock(&c->lock);
	if (ret)
		return ret;
	return viommu_copy_out(arg, &pp, sizeof(pp), usize);
}

static long viommu_ioctl_set_table(struct viommu_container *c,
				   unsigned long arg)
{
	struct kvm_viommu_set_table st;
	u32 usize;
	int ret;

	/* The first version of the structure ended with aperture_last. */
	ret = viommu_copy_in(&st, sizeof(st),
			     offsetofend(struct kvm_viommu_set_table,
					 aperture_last), arg, &usize);
	if (ret)
		return ret;
	if (st.flags & ~KVM_VIOMMU_TABLE_MERGE || st.__reserved)
		return -EINVAL;

	ret = viommu_lock(c);
	if (ret)
		return ret;
	ret = viommu_set_table(c, &st);
	mutex_unlock(&c->lock);
	if (ret)
		return ret;
	return viommu_copy_out(arg, &st, sizeof(st), usize);
}

static long viommu_ioctl_refresh(struct viommu_container *c, unsigned long arg)
{
	struct kvm_viommu_refresh rf;
	u32 usize;
	int ret;

	ret = viommu_copy_in(&rf, sizeof(rf), sizeof(rf), arg, &usize);
	if (ret)
		return ret;
	if ((rf.flags & ~KVM_VIOMMU_REFRESH_LEAF_ONLY) || rf.__reserved ||
	    rf.__reserved2 || rf.mapped || rf.unmapped || rf.unchanged ||
	    rf.refused || rf.fail_iova || rf.fail_reason)
		return -EINVAL;

	ret = viommu_lock(c);
	if (ret)
		return ret;
	ret = viommu_refresh(c, &rf);
	mutex_unlock(&c->lock);
	if (ret && ret != -EINTR)
		return ret;
	if (viommu_copy_out(arg, &rf, sizeof(rf), usize))
		return -EFAULT;
	return ret;
}

static long viommu_ioctl_get_info(struct viommu_container *c,
				  unsigned long arg)
{
	struct kvm_viommu_info info;
	u32 usize;
	int ret;

	/* The first version of the structure ended with nr_groups. */
	ret = viommu_copy_in(&info, sizeof(info),
			     offsetofend(struct kvm_viommu_info, nr_groups), arg,
			     &usize);
	if (ret)
		return ret;
	if (info.flags)
		return -EINVAL;

	memset(&info, 0, sizeof(info));
	info.argsz = sizeof(info);
	info.formats = viommu_fmt_supported();

	ret = viommu_lock(c);
	if (ret)
		return ret;
	viommu_table_info(c, &info);
	info.pinned_pages = c->pinned_pages;
	info.mapped_pages = c->mapped_pages;
	info.mapped_blocks = c->mapped_blocks;
	info.refreshes = c->refreshes;
	info.refusals = c->refusals;
	info.iommu_maps = c->iommu_maps;
	info.iommu_unmaps = c->iommu_unmaps;
	info.iotlb_syncs = c->iotlb_syncs;
	info.shadow_bytes = c->shadow_bytes;
	info.pin_bytes = c->pin_bytes;
	info.bind_flags = c->bind_flags;
	info.kept_path_walks = viommu_refresh_path_walks(c);
	mutex_unlock(&c->lock);

	return viommu_copy_out(arg, &info, sizeof(info), usize);
}

static long viommu_ioctl_set_doorbell(struct viommu_container *c,
				      unsigned long arg)
{
	struct kvm_viommu_set_doorbell db;
	u32 usize;
	int ret;

	ret = viommu_copy_in(&db, sizeof(db), sizeof(db), arg, &usize);
	if (ret)
		return ret;
	ret = viommu_set_doorbell(c, &db);
	if (ret)
		return ret;
	return viommu_copy_out(arg, &db, sizeof(db), usize);
}

static long viommu_ioctl_get_doorbell(struct viommu_container *c,
				      unsigned long arg)
{
	struct kvm_viommu_doorbell_info info;
	u32 usize;
	int ret;

	ret = viommu_copy_in(&info, sizeof(info), sizeof(info), arg, &usize);
	if (ret)
		return ret;
	if (info.flags || info.error || info.cons || info.__reserved ||
	    info.kicks || info.passes || info.requests)
		return -EINVAL;

	ret = viommu_lock(c);
	if (ret)
		return ret;
	ret = viommu_get_doorbell(c, &info);
	mutex_unlock(&c->lock);
	if (ret)
		return ret;
	return viommu_copy_out(arg, &info, sizeof(info), usize);
}

static long viommu_ioctl_tce(struct viommu_container *c, unsigned long arg)
{
	struct kvm_viommu_tce tce;
	u32 usize;
	int ret;

	ret = viommu_copy_in(&tce, sizeof(tce), sizeof(tce), arg, &usize);
	if (ret)
		return ret;
	if (tce.flags || tce.__reserved || tce.hret || tce.mapped ||
	    tce.unmapped || tce.unchanged || tce.refused || tce.fail_iova ||
	    tce.fail_reason)
		return -EINVAL;

	ret = viommu_lock(c);
	if (ret)
		return ret;
	ret = viommu_tce(c, &tce);
	mutex_unlock(&c->lock);
	if (ret && ret != -EINTR)
		return ret;
	if (viommu_copy_out(arg, &tce, sizeof(tce), usize))
		return -EFAULT;
	return ret;
}

static long viommu_ioctl_cmd(struct viommu_container *c, unsigned int cmd,
			     unsigned long arg);

static long viommu_ioctl(void *iommu_data, unsigned int cmd, unsigned long arg)
{
	struct viommu_container *c = iommu_data;
	long ret;

	/* Without a container (c == NULL) only the extension query is asked. */
	if (cmd == VFIO_CHECK_EXTENSION)
		return arg == VFIO_KVM_IOMMU;
	if (!c)
		return -EINVAL;

	kref_get(&c->ref);
	ret = viommu_ioctl_cmd(c, cmd, arg);
	kref_put(&c->ref, viommu_container_free);
	return ret;
}

static long viommu_ioctl_cmd(struct viommu_container *c, unsigned int cmd,
			     unsigned long arg)
{
	switch (cmd) {
	case KVM_VIOMMU_BIND_VM:
		return viommu_ioctl_bind_vm(c, arg);
	case KVM_VIOMMU_SET_TABLE:
		return viommu_ioctl_set_table(c, arg);
	case KVM_VIOMMU_REFRESH:
		return viommu_ioctl_refresh(c, arg);
	case KVM_VIOMMU_GET_INFO:
		return viommu_ioctl_get_info(c, arg);
	case KVM_VIOMMU_SET_DOORBELL:
		return viommu_ioctl_set_doorbell(c, arg);
	case KVM_VIOMMU_GET_DOORBELL:
		return viommu_ioctl_get_doorbell(c, arg);
	case KVM_VIOMMU_TCE:
		return viommu_ioctl_tce(c, arg);
	case KVM_VIOMMU_PREPIN:
		return viommu_ioctl_prepin(c, arg);
#ifdef KVM_VIOMMU_TEST
	case KVM_VIOMMU_TEST_RAW:
		return viommu_ioctl_test_raw(c, arg);
#endif
	default:
		return -ENOTTY;
	}
}

static const struct vfio_iommu_driver_ops viommu_driver_ops = {
	.name		= "vfio-kvm-iommu",
	.owner		= THIS_MODULE,
	.open		= viommu_open,
	.release	= viommu_release,
	.ioctl		= viommu_ioctl,
	.attach_group	= viommu_attach_group,
	.detach_group	= viommu_detach_group,
};

/* Doorbell workers: they fault guest memory in and sleep on locks. */
struct workqueue_struct *viommu_wq;

static int __init viommu_init(void)
{
	int ret;

	viommu_wq = alloc_workqueue("kvm_viommu", WQ_UNBOUND, 0);
	if (!viommu_wq)
		return -ENOMEM;
	ret = vfio_register_iommu_driver(&viommu_driver_ops);
	if (ret)
		destroy_workqueue(viommu_wq);
	return ret;
}

static void __exit viommu_exit(void)
{
	vfio_unregister_iommu_driver(&viommu_driver_ops);
	destroy_workqueue(viommu_wq);
}

module_init(viommu_init);
module_exit(viommu_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION(DRIVER_DESC);
MODULE_SOFTDEP("pre: vfio kvm");
