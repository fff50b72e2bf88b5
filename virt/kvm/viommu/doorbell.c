// SPDX-License-Identifier: GPL-2.0
/*
 * The doorbell: guest requests processed by a kernel worker, without a VMM
 * exit.
 *
 * The guest writes requests into a ring in its own memory and writes a
 * doorbell address on which the VMM registered a KVM ioeventfd; KVM signals
 * the eventfd in the kernel, our wait-queue callback queues the doorbell's
 * work, and the worker, running with the VMM's mm, refreshes the tables the
 * requests name with the engine behind KVM_VIOMMU_REFRESH.  It writes each
 * request's status, then the consumer index, then signals the completion
 * eventfd; since every refresh ends with the IOTLB synchronised, a guest
 * that sees a status or the index move sees its mappings in force.
 *
 * As in virt/kvm/eventfd.c and drivers/vhost:
 * - the wait-queue callback (eventfd lock held, interrupts off) only
 *   consumes the eventfd count and queues work;
 * - a pass handles at most VIOMMU_DB_REQS requests and VIOMMU_DB_BUDGET
 *   units of refresh work (a request may take several passes), then
 *   requeues itself if more is pending;
 * - after hooking the wait queue the ring is looked at once, so a kick
 *   that came before the doorbell existed is not lost;
 * - teardown is unhook (no new work can be queued) -> cancel_work_sync
 *   (the running pass finishes, a requeued one is dropped) -> put the
 *   eventfds -> free, with viommu_container.lock NOT held, since the
 *   worker takes it.
 *
 * Serialisation: passes take viommu_container.lock, so all doorbells and
 * ioctls of one container are processed one at a time, each ring in order;
 * doorbells of different containers run in parallel on the module's
 * unbound workqueue.
 */
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/kthread.h>
#include <linux/memcontrol.h>
#include <linux/poll.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "viommu.h"

#define VIOMMU_DB_MAX		64	/* doorbells per container */
#define VIOMMU_DB_REQS		32	/* requests per pass, at most */
#define VIOMMU_DB_BUDGET	16384	/* refresh work units per pass */

#define VIOMMU_RING_HDR		sizeof(struct kvm_viommu_ring_hdr)
#define VIOMMU_RING_REQ		sizeof(struct kvm_viommu_ring_req)
static_assert(VIOMMU_RING_HDR == 64 && VIOMMU_RING_REQ == 64);

/**
 * struct viommu_doorbell - one doorbell and its ring
 * @c: the container, which outlives the doorbell.
 * @id: index in viommu_container.doorbells.
 * @ring_gpa: guest physical address of the ring header.
 * @entries: request slots (a power of two).
 * @kick: the eventfd the guest signals (reference held).
 * @done: the completion eventfd (reference held), or NULL.
 * @wait: our entry in @kick's wait queue.
 * @pt: poll table used once to hook @wait.
 * @work: the worker.
 * @kicks: signals seen (atomic: counted in the wait-queue callback).
 * @memcg: the VMM's memory cgroup (reference held): what the worker
 *	allocates (shadow, IOMMU page tables) is charged there, as it would
 *	be from the VMM's own REFRESH ioctl.
 *
 * Under viommu_container.lock, changed by the worker only:
 * @cons: requests completed (the authoritative consumer index).
 * @error: an enum kvm_viommu_ring_error; nonzero disables the ring.
 * @busy: the request at @cons is partly done.
 * @tce_status: for a TCE request whose call failed after writing some
 *	TCEs: the status to report once those are shadowed.
 * @table_id: its table.
 * @resume: its first IOVA still to refresh.
 * @last: its last IOVA.
 * @acc: its counters so far.
 * @passes: passes run.
 * @requests: requests completed.
 */
struct viommu_doorbell {
	struct viommu_container *c;
	u32 id;
	u64 ring_gpa;
	u32 entries;
	struct eventfd_ctx *kick;
	struct eventfd_ctx *done;
	wait_queue_entry_t wait;
	poll_table pt;
	struct work_struct work;
	atomic64_t kicks;
	struct mem_cgroup *memcg;

	u32 cons;
	u32 error;
	bool busy;
	u32 tce_status;
	u32 table_id;
	u64 resume;
	u64 last;
	struct kvm_viommu_refresh acc;
	u64 passes;
	u64 requests;
};

static u64 viommu_db_slot(struct viommu_doorbell *db, u32 index)
{
	return db->ring_gpa + VIOMMU_RING_HDR +
	       (u64)(index & (db->entries - 1)) * VIOMMU_RING_REQ;
}

/* Resume the request at db->cons over [@iova, @last] of table @table_id. */
static void viommu_db_busy(struct viommu_doorbell *db, u32 table_id,
			   u64 iova, u64 last)
{
	memset(&db->acc, 0, sizeof(db->acc));
	db->table_id = table_id;
	db->resume = iova;
	db->last = last;
	db->busy = true;
}

/*
 * A TCE request: validate it and write its TCEs now, as the hypercall
 * would; shadowing them is then an ordinary refresh of their range, in
 * bounded passes.  At most KVM_VIOMMU_TCE_INDIRECT_MAX TCEs per request.
 */
static u32 viommu_db_start_tce(struct viommu_doorbell *db,
			       const struct kvm_viommu_ring_req *req)
{
	static const u32 ops[] = {
		[KVM_VIOMMU_REQ_TCE_PUT] = KVM_VIOMMU_TCE_PUT,
		[KVM_VIOMMU_REQ_TCE_PUT_INDIRECT] = KVM_VIOMMU_TCE_PUT_INDIRECT,
		[KVM_VIOMMU_REQ_TCE_STUFF] = KVM_VIOMMU_TCE_STUFF,
	};
	struct kvm_viommu_tce arg = {
		.op = ops[req->op],
		.table_id = req->table_id,
		.ioba = req->iova,
	};
	u64 first, last;
	int ret;

	if (req->op == KVM_VIOMMU_REQ_TCE_PUT) {
		if (req->flags)
			return KVM_VIOMMU_REQ_INVALID;
		arg.tce = req->size;
	} else {
		if (!req->flags || req->flags > KVM_VIOMMU_TCE_INDIRECT_MAX)
			return KVM_VIOMMU_REQ_INVALID;
		arg.npages = req->flags;
		if (req->op == KVM_VIOMMU_REQ_TCE_STUFF)
			arg.tce = req->size;
		else
			arg.tce_list = req->size;
	}

	ret = viommu_tce_write(db->c, &arg, &first, &last);
	if (ret)
		return ret == -ENOENT ? KVM_VIOMMU_REQ_NO_TABLE :
		       ret == -EINVAL ? KVM_VIOMMU_REQ_INVALID :
					KVM_VIOMMU_REQ_ERROR;
	/* Whatever was written is shadowed, even if the call then failed. */
	if (last >= first)
		viommu_db_busy(db, req->table_id, first, last);
	if (arg.hret == KVM_VIOMMU_H_SUCCESS)
		return KVM_VIOMMU_REQ_PENDING;
	db->tce_status = arg.hret == KVM_VIOMMU_H_TOO_HARD ?
			 KVM_VIOMMU_REQ_ERROR : KVM_VIOMMU_REQ_INVALID;
	return db->busy ? KVM_VIOMMU_REQ_PENDING : db->tce_status;
}

/* Start the request at db->cons: 0, or the status that ends it at once. */
static u32 viommu_db_start(struct viommu_doorbell *db,
			   const struct kvm_viommu_ring_req *req)
{
	struct viommu_container *c = db->c;
	struct viommu_table *t;
	u64 iova, last;

	switch (req->op) {
	case KVM_VIOMMU_REQ_TCE_PUT:
	case KVM_VIOMMU_REQ_TCE_PUT_INDIRECT:
	case KVM_VIOMMU_REQ_TCE_STUFF:
		return viommu_db_start_tce(db, req);
	}
	if (req->flags)
		return KVM_VIOMMU_REQ_INVALID;

	switch (req->op) {
	case KVM_VIOMMU_REQ_REFRESH:
		t = viommu_refresh_check(c, req->table_id, req->iova,
					 req->size, &last);
		if (IS_ERR(t))
			return PTR_ERR(t) == -ENOENT ? KVM_VIOMMU_REQ_NO_TABLE :
						       KVM_VIOMMU_REQ_INVALID;
		iova = req->iova;
		break;
	case KVM_VIOMMU_REQ_REFRESH_ALL:
		if (req->iova || req->size)
			return KVM_VIOMMU_REQ_INVALID;
		t = xa_load(&c->tables, req->table_id);
		if (!t)
			return KVM_VIOMMU_REQ_NO_TABLE;
		iova = t->aperture_start;
		last = t->aperture_last;
		break;
	default:
		return KVM_VIOMMU_REQ_INVALID;
	}

	/* From here on only the kernel's copy counts, not guest memory. */
	viommu_db_busy(db, req->table_id, iova, last);
	return KVM_VIOMMU_REQ_PENDING;
}

/*
 * Work on the request at db->cons.  Return: 0 when it is complete (status
 * written back), -EAGAIN when the budget ran out first, -EFAULT when the
 * ring is not guest memory any more.
 */
static int viommu_db_one(struct viommu_doorbell *db, u64 *budget)
{
	struct viommu_container *c = db->c;
	u64 gpa = viommu_db_slot(db, db->cons);
	struct kvm_viommu_ring_req req;
	struct viommu_table *t;
	u32 status;
	u64 next;
	int ret;

	if (viommu_gm_access(c, gpa, &req, sizeof(req), false))
		return -EFAULT;

	status = db->busy ? KVM_VIOMMU_REQ_PENDING : viommu_db_start(db, &req);
	if (status == KVM_VIOMMU_REQ_PENDING) {
		t = xa_load(&c->tables, db->table_id);
		if (!t) {
			/* The table died between two passes. */
			status = KVM_VIOMMU_REQ_NO_TABLE;
			goto done;
		}
		ret = viommu_refresh_table(c, t, db->resume, db->last, budget,
					   &db->acc, &next);
		if (ret == -EAGAIN) {
			db->resume = next;
			return -EAGAIN;
		}
		if (ret)
			status = KVM_VIOMMU_REQ_ERROR;
		else if (db->tce_status)
			status = db->tce_status;
		else if (db->acc.refused)
			status = KVM_VIOMMU_REQ_REFUSED;
		else
			status = KVM_VIOMMU_REQ_DONE;
		if (!ret)
			c->refreshes++;
	}

done:
	req.status = status;
	req.reason = db->busy ? db->acc.fail_reason : 0;
	req.fail_iova = db->busy ? db->acc.fail_iova : 0;
	req.mapped = db->busy ? db->acc.mapped : 0;
	req.unmapped = db->busy ? db->acc.unmapped : 0;
	req.refused = db->busy ? db->acc.refused : 0;
	db->busy = false;
	db->tce_status = 0;
	/* Only the kernel's half of the request is written. */
	return viommu_gm_access(c, gpa + offsetof(typeof(req), status),
				&req.status,
				sizeof(req) - offsetof(typeof(req), status),
				true);
}

static void viommu_db_fail(struct viommu_doorbell *db, u32 error)
{
	db->error = error;
	/* Tell the guest too, if its ring header is still there. */
	viommu_gm_access(db->c, db->ring_gpa +
			 offsetof(struct kvm_viommu_ring_hdr, error),
			 &error, sizeof(error), true);
}

/*
 * One bounded pass over the ring.  Return: more work is pending.  Sets
 * *@signal when the guest should look at the ring.
 */
static bool viommu_db_pass(struct viommu_doorbell *db, bool *signal)
{
	struct viommu_container *c = db->c;
	u64 budget = VIOMMU_DB_BUDGET;
	bool more = false;
	unsigned int n;
	u32 prod;
	int idx, ret = 0;

	lockdep_assert_held(&c->lock);

	if (db->error)
		return false;
	db->passes++;

	idx = srcu_read_lock(&c->kvm->srcu);
	if (viommu_gm_read_u32(c, db->ring_gpa, &prod)) {
		viommu_db_fail(db, KVM_VIOMMU_RING_ERR_FAULT);
		goto out;
	}
	if (prod - db->cons > db->entries) {
		viommu_db_fail(db, KVM_VIOMMU_RING_ERR_INDEX);
		goto out;
	}
	/* Requests are read after the index that published them. */
	smp_rmb();

	for (n = 0; n < VIOMMU_DB_REQS && db->cons != prod; n++) {
		ret = viommu_db_one(db, &budget);
		if (ret)
			break;
		db->cons++;
		db->requests++;
		*signal = true;
	}
	if (ret == -EFAULT) {
		viommu_db_fail(db, KVM_VIOMMU_RING_ERR_FAULT);
		goto out;
	}

	if (*signal) {
		/* Statuses before the index that completes them. */
		smp_wmb();
		if (viommu_gm_access(c, db->ring_gpa +
				     offsetof(struct kvm_viommu_ring_hdr, cons),
				     &db->cons, sizeof(db->cons), true)) {
			viommu_db_fail(db, KVM_VIOMMU_RING_ERR_FAULT);
			goto out;
		}
	}
	more = db->cons != prod;
out:
	srcu_read_unlock(&c->kvm->srcu, idx);
	if (db->error)
		*signal = true;
	return more;
}

static void viommu_db_work(struct work_struct *work)
{
	struct viommu_doorbell *db = container_of(work, struct viommu_doorbell,
						  work);
	struct viommu_container *c = db->c;
	bool signal = false, more;
	struct mem_cgroup *old_memcg;

	/* The VMM is exiting: its files, and so this doorbell, go soon. */
	if (!mmget_not_zero(c->mm))
		return;
	kthread_use_mm(c->mm);
	old_memcg = set_active_memcg(db->memcg);
	mutex_lock(&c->lock);
	more = viommu_db_pass(db, &signal);
	mutex_unlock(&c->lock);
	set_active_memcg(old_memcg);
	kthread_unuse_mm(c->mm);
	mmput(c->mm);

	if (signal && db->done)
		eventfd_signal(db->done);
	if (more)
		queue_work(viommu_wq, &db->work);
}

/* Called with the eventfd's wait-queue lock held: queue work, nothing more. */
static int viommu_db_wakeup(wait_queue_entry_t *wait, unsigned int mode,
			    int sync, void *key)
{
	struct viommu_doorbell *db = container_of(wait, struct viommu_doorbell,
						  wait);
	u64 cnt;

	if (key_to_poll(key) & EPOLLIN) {
		eventfd_ctx_do_read(db->kick, &cnt);
		atomic64_inc(&db->kicks);
		queue_work(viommu_wq, &db->work);
	}
	return 0;
}

static void viommu_db_queue_proc(struct file *file, wait_queue_head_t *wqh,
				 poll_table *pt)
{
	struct viommu_doorbell *db = container_of(pt, struct viommu_doorbell,
						  pt);

	add_wait_queue(wqh, &db->wait);
}

/* Unhook -> stop the worker -> put -> free.  c->lock must not be held. */
static void viommu_db_destroy(struct viommu_doorbell *db)
{
	u64 cnt;

	eventfd_ctx_remove_wait_queue(db->kick, &db->wait, &cnt);
	cancel_work_sync(&db->work);
	eventfd_ctx_put(db->kick);
	if (db->done)
		eventfd_ctx_put(db->done);
	mem_cgroup_put(db->memcg);
	kfree(db);
}

/*
 * Is the whole ring writable guest memory?  Checked without writing: the
 * guest may be using the ring already.
 */
static int viommu_db_ring_check(struct viommu_container *c, u64 gpa,
				u32 entries, u32 *cons)
{
	u64 size = VIOMMU_RING_HDR + (u64)entries * VIOMMU_RING_REQ;
	u64 off, end;
	int idx, ret = 0;

	if (check_add_overflow(gpa, size - 1, &end))
		return -EINVAL;
	idx = srcu_read_lock(&c->kvm->srcu);
	for (off = 0; off < size && !ret; off += PAGE_SIZE)
		if (!viommu_gm_writable(c, gpa + off))
			ret = -EFAULT;
	if (!ret)
		ret = viommu_gm_read_u32(c, gpa +
					 offsetof(struct kvm_viommu_ring_hdr,
						  cons), cons);
	srcu_read_unlock(&c->kvm->srcu, idx);
	return ret ? -EINVAL : 0;
}

static int viommu_db_create(struct viommu_container *c,
			    struct kvm_viommu_set_doorbell *arg)
{
	struct viommu_doorbell *db;
	struct file *file;
	int ret;

	if (arg->entries < 1 || arg->entries > KVM_VIOMMU_RING_MAX_ENTRIES ||
	    !is_power_of_2(arg->entries) || !PAGE_ALIGNED(arg->ring_gpa) ||
	    arg->id)
		return -EINVAL;

	db = kzalloc(sizeof(*db), GFP_KERNEL_ACCOUNT);
	if (!db)
		return -ENOMEM;
	db->c = c;
	db->ring_gpa = arg->ring_gpa;
	db->entries = arg->entries;
	INIT_WORK(&db->work, viommu_db_work);
	init_waitqueue_func_entry(&db->wait, viommu_db_wakeup);
	init_poll_funcptr(&db->pt, viommu_db_queue_proc);

	ret = -EBADF;
	file = fget(arg->kick_fd);
	if (!file)
		goto err_free;
	db->kick = eventfd_ctx_fileget(file);
	if (IS_ERR(db->kick)) {
		ret = -EINVAL;
		goto err_fput;
	}
	if (arg->done_fd != -1) {
		db->done = eventfd_ctx_fdget(arg->done_fd);
		if (IS_ERR(db->done)) {
			ret = PTR_ERR(db->done) == -EBADF ? -EBADF : -EINVAL;
			goto err_kick;
		}
	}

	ret = viommu_lock(c);
	if (ret)
		goto err_put;
	ret = -EINVAL;
	if (!c->kvm)
		goto err_unlock;
	ret = -EPERM;
	if (current->mm != c->mm)
		goto err_unlock;
	ret = viommu_db_ring_check(c, arg->ring_gpa, arg->entries, &db->cons);
	if (ret)
		goto err_unlock;
	ret = xa_alloc(&c->doorbells, &db->id, db,
		       XA_LIMIT(1, VIOMMU_DB_MAX), GFP_KERNEL_ACCOUNT);
	if (ret == -EBUSY)
		ret = -ENOSPC;
	if (ret)
		goto err_unlock;
	db->memcg = get_mem_cgroup_from_mm(c->mm);

	/* Hook, then look at the ring once: a kick before now is not lost. */
	vfs_poll(file, &db->pt);
	queue_work(viommu_wq, &db->work);
	arg->id = db->id;
	mutex_unlock(&c->lock);
	fput(file);
	return 0;

err_unlock:
	mutex_unlock(&c->lock);
err_put:
	if (db->done)
		eventfd_ctx_put(db->done);
err_kick:
	eventfd_ctx_put(db->kick);
err_fput:
	fput(file);
err_free:
	kfree(db);
	return ret;
}

/**
 * viommu_set_doorbell - KVM_VIOMMU_SET_DOORBELL
 * @c: the container (lock NOT held).
 * @arg: the request; @arg->id is filled in on creation.
 *
 * Return: 0 or a negative errno (see the uAPI).
 */
int viommu_set_doorbell(struct viommu_container *c,
			struct kvm_viommu_set_doorbell *arg)
{
	struct viommu_doorbell *db;

	if (arg->flags & ~KVM_VIOMMU_DOORBELL_DEASSIGN)
		return -EINVAL;
	if (!(arg->flags & KVM_VIOMMU_DOORBELL_DEASSIGN))
		return viommu_db_create(c, arg);

	if (arg->kick_fd || arg->done_fd || arg->entries || arg->ring_gpa)
		return -EINVAL;
	mutex_lock(&c->lock);
	db = xa_erase(&c->doorbells, arg->id);
	mutex_unlock(&c->lock);
	if (!db)
		return -ENOENT;
	viommu_db_destroy(db);
	return 0;
}

/**
 * viommu_get_doorbell - KVM_VIOMMU_GET_DOORBELL
 * @c: the container (lock held).
 * @info: the request; its outputs are filled in.
 *
 * Return: 0 or -ENOENT.
 */
int viommu_get_doorbell(struct viommu_container *c,
			struct kvm_viommu_doorbell_info *info)
{
	struct viommu_doorbell *db;

	lockdep_assert_held(&c->lock);

	db = xa_load(&c->doorbells, info->id);
	if (!db)
		return -ENOENT;
	info->error = db->error;
	info->cons = db->cons;
	info->kicks = atomic64_read(&db->kicks);
	info->passes = db->passes;
	info->requests = db->requests;
	return 0;
}

/**
 * viommu_doorbells_destroy - tear down every doorbell of a container
 * @c: the container (lock NOT held), being released.
 */
void viommu_doorbells_destroy(struct viommu_container *c)
{
	struct viommu_doorbell *db;
	unsigned long id;

	mutex_lock(&c->lock);
	xa_for_each(&c->doorbells, id, db) {
		xa_erase(&c->doorbells, id);
		mutex_unlock(&c->lock);
		viommu_db_destroy(db);
		mutex_lock(&c->lock);
	}
	mutex_unlock(&c->lock);
}
