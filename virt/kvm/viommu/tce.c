// SPDX-License-Identifier: GPL-2.0
/*
 * The Power TCE hypercalls on sPAPR TCE tables: H_PUT_TCE,
 * H_PUT_TCE_INDIRECT and H_STUFF_TCE (LoPAR), each carried out as one
 * KVM_VIOMMU_TCE call that writes the TCEs into the guest's table and
 * shadows them.
 *
 * The checks and return codes follow Linux's arch/powerpc/kvm/
 * book3s_64_vio.c (kvmppc_h_put_tce(), kvmppc_h_put_tce_indirect(),
 * kvmppc_h_stuff_tce(), kvmppc_ioba_validate()), with one difference: a
 * TCE is valid when the format's decoder (fmt/spapr_tce.c) accepts it, the
 * rules every refresh applies, and a bad one is H_PARAMETER.
 *
 * A call runs in three steps, so that a refused call writes nothing:
 *  1. check the arguments and every TCE (H_PARAMETER), reading an
 *     indirect list from guest memory first (H_TOO_HARD if unreadable);
 *  2. locate every TCE's place in the guest's table through its indirect
 *     levels, a missing or unreadable level being H_TOO_HARD: the VMM
 *     then handles the hypercall itself (allocates the level);
 *  3. write the TCEs into guest memory, then refresh their IOVA range.
 * Steps 2 and 3 locate the entries each time, under one kvm->srcu read
 * section; guest vCPUs may still rewrite the indirect levels in between,
 * in which case step 3 stops at the first entry it cannot place
 * (H_TOO_HARD) and the range is refreshed all the same, so the shadow
 * matches the guest's table whatever the race.
 */
#include <linux/kvm_host.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#include "viommu.h"

#define VIOMMU_TCE_READ		BIT_ULL(0)
#define VIOMMU_TCE_WRITE	BIT_ULL(1)

/**
 * struct viommu_tce_call - one TCE hypercall being carried out
 * @c: the container (lock held, VM bound, current->mm the VMM's).
 * @t: the table.
 * @ioba: IOVA of the first TCE.
 * @npages: number of TCEs.
 * @tces: the TCEs as stored in guest memory (big-endian): @npages of
 *	them, or, when @same, min(@npages, 512) copies of one TCE (as many
 *	as one 4 KiB page of the table holds).
 * @same: every TCE is @tces[0] (PUT, STUFF).
 */
struct viommu_tce_call {
	struct viommu_container *c;
	struct viommu_table *t;
	u64 ioba;
	u64 npages;
	u64 *tces;
	bool same;
};

static int viommu_tce_read_entry(void *ctx, u64 gpa, u64 *raw)
{
	return viommu_gm_read_entry(ctx, gpa, raw);
}

/*
 * kvmppc_ioba_validate(): @ioba aligned to the IOMMU page, and @npages
 * pages from it inside the window.  The window is whole IOMMU pages from
 * the aperture start up; a partial page at its end holds no TCE.
 */
static s64 viommu_tce_check_ioba(struct viommu_table *t, u64 ioba, u64 npages)
{
	unsigned int shift = t->cfg.page_shift;
	u64 idx, window;

	if (ioba & (BIT_ULL(shift) - 1) || ioba < t->aperture_start ||
	    ioba > t->aperture_last)
		return KVM_VIOMMU_H_PARAMETER;
	/* The format keeps the window within 2^59 bytes: no overflow. */
	window = (t->aperture_last - t->aperture_start + 1) >> shift;
	idx = (ioba - t->aperture_start) >> shift;
	if (npages > window - idx)
		return KVM_VIOMMU_H_PARAMETER;
	return KVM_VIOMMU_H_SUCCESS;
}

/* Would a refresh refuse @raw (guest byte order) as the TCE of @iova? */
static bool viommu_tce_bad(struct viommu_table *t, u64 iova, u64 raw)
{
	struct viommu_pte pte = { .kind = VIOMMU_PTE_BAD };

	t->fmt->decode(&t->cfg, 1, iova, raw, &pte);
	return pte.kind == VIOMMU_PTE_BAD;
}

/*
 * Locate the TCEs in the guest's table, a 4 KiB page of the table at a
 * time, and with @write store them there.  Returns 0, -EINTR, or another
 * negative errno when a TCE cannot be located or written (H_TOO_HARD).
 */
static int viommu_tce_store(struct viommu_tce_call *call, bool write)
{
	struct viommu_table *t = call->t;
	u64 i = 0;
	int ret;

	while (i < call->npages) {
		u64 iova = call->ioba + (i << t->cfg.page_shift);
		u64 gpa, n;

		ret = viommu_spapr_tce_entry(&t->cfg, t->root_gpa, iova,
					     viommu_tce_read_entry, call->c,
					     &gpa);
		if (ret)
			return ret;
		/* The TCEs after it up to the end of its 4 KiB page follow. */
		n = min(call->npages - i,
			(SZ_4K - (gpa & (SZ_4K - 1))) / sizeof(u64));
		if (write) {
			ret = viommu_gm_access(call->c, gpa,
					       call->same ? call->tces :
							    call->tces + i,
					       n * sizeof(u64), true);
			if (ret)
				return ret;
		}
		i += n;
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
	}
	return 0;
}

/*
 * Step 1: check the arguments and put the TCEs in @call->tces (room for
 * one TCE for PUT, 512 otherwise).  Returns the H_* code.
 */
static s64 viommu_tce_prepare(struct viommu_tce_call *call,
			      const struct kvm_viommu_tce *arg)
{
	struct viommu_table *t = call->t;
	u64 i, raw;
	int idx, ret;
	s64 hret;

	switch (arg->op) {
	case KVM_VIOMMU_TCE_PUT:
		hret = viommu_tce_check_ioba(t, arg->ioba, 1);
		if (hret)
			return hret;
		raw = (__force u64)cpu_to_be64(arg->tce);
		if (viommu_tce_bad(t, arg->ioba, raw))
			return KVM_VIOMMU_H_PARAMETER;
		call->tces[0] = raw;
		call->npages = 1;
		call->same = true;
		return KVM_VIOMMU_H_SUCCESS;

	case KVM_VIOMMU_TCE_PUT_INDIRECT:
		if (arg->npages > KVM_VIOMMU_TCE_INDIRECT_MAX ||
		    arg->tce_list & (SZ_4K - 1))
			return KVM_VIOMMU_H_PARAMETER;
		hret = viommu_tce_check_ioba(t, arg->ioba, arg->npages);
		if (hret || !arg->npages)
			return hret;
		idx = srcu_read_lock(&call->c->kvm->srcu);
		ret = viommu_gm_access(call->c, arg->tce_list, call->tces,
				       arg->npages * sizeof(u64), false);
		srcu_read_unlock(&call->c->kvm->srcu, idx);
		if (ret)
			return KVM_VIOMMU_H_TOO_HARD;
		for (i = 0; i < arg->npages; i++)
			if (viommu_tce_bad(t, arg->ioba +
					   (i << t->cfg.page_shift),
					   call->tces[i]))
				return KVM_VIOMMU_H_PARAMETER;
		call->npages = arg->npages;
		return KVM_VIOMMU_H_SUCCESS;

	case KVM_VIOMMU_TCE_STUFF:
		hret = viommu_tce_check_ioba(t, arg->ioba, arg->npages);
		if (hret)
			return hret;
		if (arg->tce & (VIOMMU_TCE_READ | VIOMMU_TCE_WRITE))
			return KVM_VIOMMU_H_PARAMETER;
		raw = (__force u64)cpu_to_be64(arg->tce);
		for (i = 0; i < min_t(u64, arg->npages,
				      KVM_VIOMMU_TCE_INDIRECT_MAX); i++)
			call->tces[i] = raw;
		call->npages = arg->npages;
		call->same = true;
		return KVM_VIOMMU_H_SUCCESS;
	}
	return KVM_VIOMMU_H_PARAMETER;	/* unreachable: op checked */
}

/* Fields an op does not use must be zero. */
static bool viommu_tce_args_ok(const struct kvm_viommu_tce *arg)
{
	switch (arg->op) {
	case KVM_VIOMMU_TCE_PUT:
		return !arg->tce_list && !arg->npages;
	case KVM_VIOMMU_TCE_PUT_INDIRECT:
		return !arg->tce;
	case KVM_VIOMMU_TCE_STUFF:
		return !arg->tce_list;
	default:
		return false;
	}
}

/**
 * viommu_tce_write - validate a TCE hypercall and write its TCEs
 * @c: the container (lock held).
 * @arg: the request; @arg->hret is set.
 * @first: set to the first IOVA whose TCE was written.
 * @last: set to the last one's last byte; below @first when nothing was
 *	written (then there is nothing to shadow).
 *
 * Return: 0 with @arg->hret set, or -EINVAL, -ENOENT, -EPERM, -ENOMEM,
 * -EINTR (see the uAPI).
 */
int viommu_tce_write(struct viommu_container *c, struct kvm_viommu_tce *arg,
		     u64 *first, u64 *last)
{
	struct viommu_tce_call call = { .c = c, .ioba = arg->ioba };
	bool written = false;
	u64 one;
	int idx, ret;
	s64 hret;

	lockdep_assert_held(&c->lock);

	*first = 1;
	*last = 0;
	if (!c->kvm || !viommu_tce_args_ok(arg))
		return -EINVAL;
	if (current->mm != c->mm)
		return -EPERM;
	call.t = xa_load(&c->tables, arg->table_id);
	if (!call.t)
		return -ENOENT;
	if (call.t->format != KVM_VIOMMU_FMT_SPAPR_TCE)
		return -EINVAL;

	call.tces = &one;
	if (arg->op != KVM_VIOMMU_TCE_PUT) {
		call.tces = kmalloc_array(KVM_VIOMMU_TCE_INDIRECT_MAX,
					  sizeof(u64), GFP_KERNEL_ACCOUNT);
		if (!call.tces)
			return -ENOMEM;
	}

	hret = viommu_tce_prepare(&call, arg);
	if (hret || !call.npages)
		goto out;

	idx = srcu_read_lock(&c->kvm->srcu);
	ret = viommu_tce_store(&call, false);
	if (!ret) {
		written = true;
		ret = viommu_tce_store(&call, true);
	}
	srcu_read_unlock(&c->kvm->srcu, idx);
	if (ret == -EINTR)
		goto out_free;
	if (ret)
		hret = KVM_VIOMMU_H_TOO_HARD;
	if (written) {
		*first = call.ioba;
		*last = call.ioba + (call.npages << call.t->cfg.page_shift) - 1;
	}
out:
	arg->hret = hret;
	ret = 0;
out_free:
	if (call.tces != &one)
		kfree(call.tces);
	return ret;
}

/**
 * viommu_tce - KVM_VIOMMU_TCE
 * @c: the container (lock held).
 * @arg: the request; its output fields are filled in.
 *
 * Return: 0 with @arg->hret set, or -EINVAL, -ENOENT, -EPERM, -ENOMEM,
 * -EINTR (see the uAPI).
 */
int viommu_tce(struct viommu_container *c, struct kvm_viommu_tce *arg)
{
	struct kvm_viommu_refresh rf = {};
	u64 first, last, next;
	int ret;

	ret = viommu_tce_write(c, arg, &first, &last);
	if (ret || last < first)
		return ret;

	ret = viommu_refresh_table(c, xa_load(&c->tables, arg->table_id),
				   first, last, NULL, &rf, &next);
	arg->mapped = rf.mapped;
	arg->unmapped = rf.unmapped;
	arg->unchanged = rf.unchanged;
	arg->refused = rf.refused;
	arg->fail_iova = rf.fail_iova;
	arg->fail_reason = rf.fail_reason;
	if (ret)
		return ret;
	c->refreshes++;
	if (!arg->hret && rf.refused)
		arg->hret = KVM_VIOMMU_H_PARAMETER;
	return 0;
}
