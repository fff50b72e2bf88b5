// SPDX-License-Identifier: GPL-2.0
/*
 * Groups and tables: which IOMMU group is attached to which guest table's
 * domain.
 *
 * A group enters with VFIO_SET_IOMMU (or VFIO_GROUP_SET_CONTAINER on a
 * container already set) with its DMA blocked by VFIO's DMA ownership, and
 * stays blocked until KVM_VIOMMU_SET_TABLE points it at a table.  Groups
 * given the same table description share one table and one domain.
 */
#include <linux/iommu.h>
#include <linux/slab.h>
#include <linux/sizes.h>

#include "viommu.h"

static struct viommu_group *viommu_group_find(struct viommu_container *c,
					      struct iommu_group *group)
{
	struct viommu_group *g;

	list_for_each_entry(g, &c->groups, node)
		if (g->group == group)
			return g;
	return NULL;
}

static int viommu_first_dev(struct device *dev, void *data)
{
	struct device **first = data;

	*first = dev;
	return 1;
}

/* Allocate a paging domain suitable for @group's devices. */
static struct iommu_domain *viommu_domain_alloc(struct iommu_group *group)
{
	struct device *dev = NULL;

	iommu_group_for_each_dev(group, &dev, viommu_first_dev);
	if (!dev)
		return ERR_PTR(-ENODEV);
	return iommu_paging_domain_alloc(dev);
}

/**
 * viommu_group_add - a group joins the container (.attach_group)
 * @c: the container.
 * @group: the IOMMU group, owned by VFIO for DMA.
 *
 * Learns what a domain for the group can do (page sizes, aperture) from a
 * probe domain; the group itself stays blocked.
 *
 * Return: 0, -EPERM without interrupt remapping (as vfio_iommu_type1
 * insists), -EINVAL when the IOMMU cannot map 4 KiB pages, or -ENOMEM.
 */
int viommu_group_add(struct viommu_container *c, struct iommu_group *group)
{
	struct iommu_domain *probe;
	struct viommu_group *g;
	int ret;

	lockdep_assert_held(&c->lock);

	if (WARN_ON(viommu_group_find(c, group)))
		return -EBUSY;
	if (!iommu_group_has_isolated_msi(group))
		return -EPERM;

	probe = viommu_domain_alloc(group);
	if (IS_ERR(probe))
		return PTR_ERR(probe);

	ret = -EINVAL;
	if (!(probe->pgsize_bitmap & SZ_4K))
		goto out_free;

	ret = -ENOMEM;
	g = kzalloc(sizeof(*g), GFP_KERNEL_ACCOUNT);
	if (!g)
		goto out_free;
	INIT_LIST_HEAD(&g->resv_regions);
	ret = iommu_get_group_resv_regions(group, &g->resv_regions);
	if (ret) {
		iommu_put_resv_regions(NULL, &g->resv_regions);
		kfree(g);
		goto out_free;
	}
	g->group = group;
	g->id = iommu_group_id(group);
	g->pgsize_bitmap = probe->pgsize_bitmap;
	g->aperture_start = probe->geometry.aperture_start;
	g->aperture_end = probe->geometry.aperture_end;
	list_add_tail(&g->node, &c->groups);
	ret = 0;

out_free:
	iommu_domain_free(probe);
	return ret;
}

/*
 * Attach @g to @t, or block its DMA when @t is NULL.  If @t refuses the
 * group, the group goes back to the table it had (which it can always
 * rejoin), so a failed move leaves everything as it was.  A table whose
 * last group leaves is destroyed.
 */
static int viommu_group_switch(struct viommu_container *c,
			       struct viommu_group *g, struct viommu_table *t)
{
	struct viommu_table *old = g->table;
	int ret = 0;

	if (old == t)
		return 0;

	if (old)
		iommu_detach_group(old->domain, g->group);
	if (t) {
		ret = iommu_attach_group(t->domain, g->group);
		if (ret) {
			if (old && WARN_ON(iommu_attach_group(old->domain,
							      g->group)))
				goto leave_old;
			return ret;
		}
		/*
		 * Snooped DMA where the IOMMU can enforce it, as
		 * vfio_iommu_type1 asks once a device is attached (an IOMMU
		 * that cannot refuses the attach of an enforcing domain);
		 * every mapping gets IOMMU_CACHE.
		 */
		if (!t->nr_groups && t->domain->ops->enforce_cache_coherency)
			t->domain->ops->enforce_cache_coherency(t->domain);
		t->nr_groups++;
	}
leave_old:
	g->table = ret ? NULL : t;
	if (old && !--old->nr_groups)
		viommu_table_destroy(c, old);
	return ret;
}

/**
 * viommu_group_del - a group leaves the container (.detach_group)
 * @c: the container.
 * @group: the IOMMU group.
 *
 * Blocks the group's DMA, then destroys its table if it was the last user.
 */
void viommu_group_del(struct viommu_container *c, struct iommu_group *group)
{
	struct viommu_group *g;

	lockdep_assert_held(&c->lock);

	g = viommu_group_find(c, group);
	if (WARN_ON(!g))
		return;
	viommu_group_switch(c, g, NULL);
	list_del(&g->node);
	iommu_put_resv_regions(NULL, &g->resv_regions);
	kfree(g);
}

/**
 * viommu_table_destroy - free a table no group uses any more
 * @c: the container (lock held).
 * @t: the table.
 */
void viommu_table_destroy(struct viommu_container *c, struct viommu_table *t)
{
	lockdep_assert_held(&c->lock);

	viommu_shadow_clear(c, t);
	viommu_gm_settle(c);
	xa_erase(&c->tables, t->id);
	iommu_domain_free(t->domain);
	kfree(t);
}

static struct viommu_table *
viommu_table_find(struct viommu_container *c,
		  const struct kvm_viommu_set_table *arg,
		  const struct viommu_fmt_cfg *cfg)
{
	struct viommu_table *t;
	unsigned long id;

	xa_for_each(&c->tables, id, t)
		if (t->flags == arg->flags && t->format == arg->format &&
		    t->cfg.levels == cfg->levels &&
		    t->cfg.page_shift == cfg->page_shift &&
		    t->root_gpa == arg->root_gpa &&
		    t->aperture_start == arg->aperture_start &&
		    t->aperture_last == arg->aperture_last)
			return t;
	return NULL;
}

static struct viommu_table *
viommu_table_create(struct viommu_container *c, struct viommu_group *g,
		    const struct kvm_viommu_set_table *arg,
		    const struct viommu_fmt *fmt,
		    const struct viommu_fmt_cfg *cfg)
{
	struct viommu_table *t;
	int ret;

	t = kzalloc(sizeof(*t), GFP_KERNEL_ACCOUNT);
	if (!t)
		return ERR_PTR(-ENOMEM);
	t->fmt = fmt;
	t->flags = arg->flags;
	t->format = arg->format;
	t->cfg = *cfg;
	t->root_gpa = arg->root_gpa;
	t->aperture_start = arg->aperture_start;
	t->aperture_last = arg->aperture_last;
	viommu_leaves_init(&t->shadow, &c->shadow_bytes);

	t->domain = viommu_domain_alloc(g->group);
	if (IS_ERR(t->domain)) {
		ret = PTR_ERR(t->domain);
		goto err_free;
	}

	/* Cyclic ids: a doorbell request never lands on a successor table. */
	ret = xa_alloc_cyclic(&c->tables, &t->id, t, XA_LIMIT(1, INT_MAX),
			      &c->next_table_id, GFP_KERNEL_ACCOUNT);
	if (ret < 0)
		goto err_domain;
	return t;

err_domain:
	iommu_domain_free(t->domain);
err_free:
	kfree(t);
	return ERR_PTR(ret);
}

/* Is the table description in @arg acceptable for group @g? */
static int viommu_table_check(const struct kvm_viommu_set_table *arg,
			      const struct viommu_fmt *fmt,
			      const struct viommu_fmt_cfg *cfg,
			      const struct viommu_group *g)
{
	if (viommu_fmt_check(fmt, cfg))
		return -EINVAL;
	if (arg->root_gpa & (fmt->root_align - 1))
		return -EINVAL;
	if (!IS_ALIGNED(arg->aperture_start, SZ_4K) ||
	    !IS_ALIGNED(arg->aperture_last + 1, SZ_4K) ||
	    arg->aperture_start > arg->aperture_last)
		return -EINVAL;
	if (arg->aperture_last > viommu_fmt_iova_last(fmt, cfg))
		return -EINVAL;
	if (arg->aperture_start < g->aperture_start ||
	    arg->aperture_last > g->aperture_end)
		return -EINVAL;
	return 0;
}

/*
 * @g joined @t, which may already map IOVAs that @g's IOMMU reserves:
 * refresh those ranges, which now refuses them (and unmaps what was there).
 */
static void viommu_table_resv_refresh(struct viommu_container *c,
				      struct viommu_table *t,
				      struct viommu_group *g)
{
	struct iommu_resv_region *region;
	struct kvm_viommu_refresh out;
	u64 start, last, next;
	unsigned long index;

	list_for_each_entry(region, &g->resv_regions, list) {
		if (region->type == IOMMU_RESV_DIRECT_RELAXABLE ||
		    !region->length)
			continue;
		start = max_t(u64, region->start & ~(u64)(SZ_4K - 1),
			      t->aperture_start);
		last = min_t(u64, (region->start + region->length - 1) |
				  (SZ_4K - 1), t->aperture_last);
		index = start >> PAGE_SHIFT;
		if (start > last ||
		    !viommu_leaves_next(&t->shadow, &index,
					last >> PAGE_SHIFT))
			continue;
		memset(&out, 0, sizeof(out));
		viommu_refresh_table(c, t, start, last, NULL, &out, &next);
	}
}

/**
 * viommu_set_table - KVM_VIOMMU_SET_TABLE
 * @c: the container (lock held).
 * @arg: the request; @arg->table_id is filled in.
 *
 * On failure the group keeps the table it had, except when attaching the
 * new domain fails after leaving the old one: the group is then blocked.
 *
 * Return: 0 or a negative errno (see the uAPI).
 */
int viommu_set_table(struct viommu_container *c,
		     struct kvm_viommu_set_table *arg)
{
	const struct viommu_fmt *fmt;
	struct viommu_fmt_cfg cfg;
	struct viommu_group *g;
	struct viommu_table *t;
	bool created = false;
	int ret;

	lockdep_assert_held(&c->lock);

	if (!c->kvm)
		return -EINVAL;
	/* Joining a table may refresh it, which reads guest memory. */
	if (current->mm != c->mm)
		return -EPERM;

	list_for_each_entry(g, &c->groups, node)
		if (g->id == arg->group_id)
			goto found;
	return -ENOENT;

found:
	if (arg->format == KVM_VIOMMU_FMT_NONE) {
		if (arg->levels || arg->root_gpa || arg->aperture_start ||
		    arg->aperture_last || arg->page_shift)
			return -EINVAL;
		arg->table_id = 0;
		return viommu_group_switch(c, g, NULL);
	}

	fmt = viommu_fmt_get(arg->format);
	if (!fmt)
		return -EINVAL;
	cfg.levels = arg->levels ? arg->levels : fmt->default_levels;
	cfg.page_shift = arg->page_shift ? arg->page_shift :
					   fmt->default_page_shift;
	cfg.iova_base = fmt->windowed ? arg->aperture_start : 0;
	ret = viommu_table_check(arg, fmt, &cfg, g);
	if (ret)
		return ret;

	t = viommu_table_find(c, arg, &cfg);
	if (!t) {
		t = viommu_table_create(c, g, arg, fmt, &cfg);
		if (IS_ERR(t))
			return PTR_ERR(t);
		created = true;
		viommu_refresh_forget_path(c);
	}

	ret = viommu_group_switch(c, g, t);
	if (ret) {
		if (created)
			viommu_table_destroy(c, t);
		return ret;
	}
	arg->table_id = t->id;
	if (!created)
		viommu_table_resv_refresh(c, t, g);
	return 0;
}

/*
 * Fill in the IOVA window and page sizes every group of the container
 * supports, and how many groups and tables there are.
 */
void viommu_table_info(struct viommu_container *c,
		       struct kvm_viommu_info *info)
{
	struct viommu_group *g;
	struct viommu_table *t;
	unsigned long id;

	lockdep_assert_held(&c->lock);

	info->nr_tables = 0;
	xa_for_each(&c->tables, id, t)
		info->nr_tables++;
	info->nr_groups = list_count_nodes(&c->groups);

	info->pgsize_bitmap = ~0ULL;
	info->aperture_start = 0;
	info->aperture_last = ~0ULL;
	list_for_each_entry(g, &c->groups, node) {
		info->pgsize_bitmap &= g->pgsize_bitmap;
		info->aperture_start = max_t(u64, info->aperture_start,
					     g->aperture_start);
		info->aperture_last = min_t(u64, info->aperture_last,
					    g->aperture_end);
	}
	if (list_empty(&c->groups))
		info->pgsize_bitmap = 0;
}
