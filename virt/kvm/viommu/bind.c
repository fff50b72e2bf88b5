// SPDX-License-Identifier: GPL-2.0
/*
 * Binding a container to a KVM VM.
 *
 * The container accepts exactly one VM, from the process whose address
 * space backs it: the memslots of that VM are the only memory the container
 * will ever read or map, and every pin is charged to that process.
 */
#include <linux/capability.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kvm_host.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>

#include "viommu.h"

/*
 * Is @file a KVM VM fd?  Where KVM exports file_is_kvm() to us, ask it.
 * Linux 7.x exports it to kvm-amd and kvm-intel only; there we recognise
 * the VM file by what KVM_CREATE_VM makes: an anonymous inode file named
 * "kvm-vm" (its stats file is "kvm-vm-stats", vCPUs are "kvm-vcpu:N")
 * whose file_operations belong to KVM, that is to the vendor module that
 * called kvm_init() (kvm_amd or kvm_intel), or to kvm itself.
 */
static bool viommu_file_is_kvm_vm(struct file *file)
{
#ifdef VIOMMU_HAVE_FILE_IS_KVM
	return file_is_kvm(file);
#else
	static const char * const kvm_modules[] = {
		"kvm", "kvm_amd", "kvm_intel",
	};
	const struct module *owner = file->f_op->owner;
	unsigned int i;

	if (!owner || !file->private_data ||
	    strcmp(file->f_path.dentry->d_name.name, "kvm-vm"))
		return false;
	for (i = 0; i < ARRAY_SIZE(kvm_modules); i++)
		if (!strcmp(owner->name, kvm_modules[i]))
			return true;
	return false;
#endif
}

/* Undo what viommu_bind_vm() set up, the notifier excepted. */
static void viommu_unbind_state(struct viommu_container *c)
{
	viommu_pin_unkeep(c, 0, ULONG_MAX);
	viommu_gm_settle(c);
	WARN_ON(c->pinned_pages);
	viommu_leaves_destroy(&c->pins);
	viommu_refresh_free(c);
	kvm_put_kvm(c->kvm);
	c->kvm = NULL;
	put_task_struct(c->task);
	c->task = NULL;
	mmdrop(c->mm);
	c->mm = NULL;
	c->bind_flags = 0;
}

/**
 * viommu_bind_vm - KVM_VIOMMU_BIND_VM
 * @c: the container (lock held).
 * @vm_fd: the VM's file descriptor.
 * @flags: KVM_VIOMMU_BIND_* (checked by the caller).
 *
 * Return: 0, or an errno of the uAPI with the container left unbound.
 */
int viommu_bind_vm(struct viommu_container *c, int vm_fd, u32 flags)
{
	struct kvm *kvm;
	struct file *file;
	int ret;

	lockdep_assert_held(&c->lock);

	file = fget(vm_fd);
	if (!file)
		return -EBADF;

	ret = -EINVAL;
	if (!viommu_file_is_kvm_vm(file))
		goto out_fput;

	kvm = file->private_data;
	ret = -EPERM;
	if (kvm->mm != current->mm)
		goto out_fput;

	ret = -EBUSY;
	if (c->kvm)
		goto out_fput;

	ret = -ENOENT;
	if (!kvm_get_kvm_safe(kvm))
		goto out_fput;

	mmgrab(kvm->mm);
	c->mm = kvm->mm;
	c->task = get_task_struct(current->group_leader);
	c->lock_cap = capable(CAP_IPC_LOCK);
	c->kvm = kvm;
	c->bind_flags = flags;
	viommu_leaves_init(&c->pins, &c->pin_bytes);

	ret = viommu_refresh_alloc(c);
	if (ret)
		goto err_unbind;
	if (flags & KVM_VIOMMU_BIND_PREPIN) {
		ret = viommu_prepin_all(c);
		if (ret)
			goto err_unbind;
	}
	/* Last: on failure after it, we could not unregister it here. */
	ret = viommu_track(c);
	if (ret)
		goto err_unbind;
	if (flags & KVM_VIOMMU_BIND_PREPIN)
		viommu_prepin_recheck(c);
	fput(file);
	return 0;

err_unbind:
	viommu_unbind_state(c);
out_fput:
	fput(file);
	return ret;
}

/**
 * viommu_unbind_vm - drop the VM binding of a dying container
 * @c: the container (lock held), dead, its notifier unregistered
 *	(viommu_untrack()) and its tables gone, so that only pre-pinned
 *	frames are still pinned.
 */
void viommu_unbind_vm(struct viommu_container *c)
{
	lockdep_assert_held(&c->lock);

	if (!c->kvm)
		return;
	WARN_ON(c->tracking || !xa_empty(&c->tables));
	viommu_unbind_state(c);
}
