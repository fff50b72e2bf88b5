// SPDX-License-Identifier: GPL-2.0
/*
 * The doorbell: guest requests processed in the kernel, without a VMM exit.
 *
 * The guest writes requests into a ring in its own memory and writes a
 * doorbell address on which the VMM registered a KVM ioeventfd; KVM signals
 * the eventfd in the kernel and our wait-queue callback has the ring
 * processed, with the engine behind KVM_VIOMMU_REFRESH, in one of two
 * places:
 * - in the task that kicked, when it belongs to the VMM (its mm is the
 *   container's): a task work, run before that task goes back to the guest
 *   (a vCPU whose ioeventfd fired inside KVM_RUN: KVM's guest-entry work
 *   handles TIF_NOTIFY_RESUME) or to userspace (a VMM thread that wrote the
 *   eventfd).  No wake-up, no context switch, and the VMM's mm is already
 *   the task's;
 * - otherwise (interrupt context, kernel threads and user workers, another
 *   process, an exiting task, a task work of this doorbell already queued,
 *   task_work_add() refused), on the module's unbound workqueue, by a
 *   worker that takes the VMM's mm.
 * Either runs the same bounded pass.  It writes each request's status,
 * then the consumer index, then signals the completion eventfd; since
 * every refresh ends with the IOTLB synchronised, a guest that sees a
 * status or the index move sees its mappings in force.
 *
 * As in virt/kvm/eventfd.c and drivers/vhost:
 * - the wait-queue callback (eventfd lock held, interrupts off) only
 *   consumes the eventfd count and queues a task work or the work item;
 * - a pass handles at most VIOMMU_DB_REQS requests and VIOMMU_DB_BUDGET
 *   units of refresh work (a request may take several passes); a task work
 *   runs one pass and leaves what remains to the worker, which requeues
 *   itself while more is pending;
 * - after hooking the wait queue the ring's producer index is looked at
 *   once, and the worker queued if requests are waiting, so a kick that
 *   came before the doorbell existed is not lost;
 * - teardown is unhook (nothing new can be queued) -> mark dead under
 *   tw_lock (a task work still queued will do nothing; a running one is
 *   waited for) -> cancel_work_sync (the running pass finishes, a requeued
 *   one is dropped) -> put the eventfds -> drop the container's reference,
 *   with viommu_container.lock NOT held, since passes take it.  A task work
 *   cannot be cancelled (task_work_cancel() is not exported), so the
 *   doorbell is refcounted: see struct viommu_doorbell.
 *
 * Serialisation: passes take viommu_container.lock, so all doorbells and
 * ioctls of one container are processed one at a time, each ring in order;
 * doorbells of different containers run in parallel.
 *
 * Lock order (extends the one in viommu.h):
 *   viommu_doorbell.tw_lock -> viommu_container.lock
 * tw_lock is taken by task works and by teardown, never under
 * viommu_container.lock.
 */
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/kref.h>
#include <linux/kthread.h>
#include <linux/memcontrol.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/preempt.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/task_work.h>
#include <linux/uaccess.h>
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
 * @ref: references: one held by the container from creation to the end of
 *	viommu_db_destroy(), one per queued task work (@twork), taken when it
 *	is queued and dropped when it has run.
 * @c: the container; valid while the doorbell is not @dead (the container
 *	destroys its doorbells before it can go).
 * @id: index in viommu_container.doorbells.
 * @ring_gpa: guest physical address of the ring header.
 * @entries: request slots (a power of two).
 * @kick: the eventfd the guest signals (reference held until teardown).
 * @done: the completion eventfd (reference held until teardown), or NULL.
 * @wait: our entry in @kick's wait queue.
 * @pt: poll table used once to hook @wait.
 * @work: the worker.
 * @twork: the task work queued on a VMM task that kicked.
 * @tw_queued: bit 0 set while @twork is queued and has not started: at
 *	most one task work per doorbell is pending.
 * @tw_lock: held by a task work while it looks at @dead and runs its pass;
 *	taken by teardown to set @dead.
 * @dead: set at teardown, under @tw_lock: from then on a task work that
 *	runs only drops its references.
 * @kicks: signals seen (atomic: counted in the wait-queue callback).
 * @memcg: the VMM's memory cgroup (reference held until teardown): what a
 *	pass allocates (shadow, IOMMU page tables) is charged there, as it
 *	would be from the VMM's own REFRESH ioctl.
 *
 * Under viommu_container.lock, changed by passes only:
 * @cons: requests completed (the authoritative consumer index).
 * @error: an enum kvm_viommu_ring_error; nonzero disables the ring.
 * @busy: the request at @cons is partly done.
 * @tce_status: for a TCE request whose call failed after writing some
 *	TCEs: the status to report once those are shadowed.
 * @table_id: its table.
 * @resume: its first IOVA still to refresh.
 * @last: its last IOVA.
 * @acc: its counters so far, and its flags (KVM_VIOMMU_REFRESH_LEAF_ONLY
 *	for a KVM_VIOMMU_REQ_LEAF_ONLY request), which the refresh reads.
 * @passes: passes run, by the worker or by a task work.
 * @requests: requests completed.
 *
 * Lifetime: a queued task work cannot be taken back, and it runs when its
 * task next returns to the guest or to userspace, or at that task's exit,
 * possibly long after the doorbell was removed and the container freed.
 * So it holds a reference on the doorbell (the memory it touches: @ref,
 * @tw_queued, @tw_lock, @dead) and one on the module (its code), and
 * teardown drops everything else (eventfds, memory cgroup) itself, after
 * setting @dead.  A task work touches @c and the rest only under @tw_lock
 * with @dead clear, which holds @c alive: teardown cannot set @dead, and
 * the container cannot finish its release, until the pass is over.  The
 * worker needs no reference: teardown cancels it after setting @dead, and
 * only the wait-queue callback (unhooked first) and a live task work queue
 * it.
 */
struct viommu_doorbell {
	struct kref ref;
	struct viommu_container *c;
	u32 id;
	u64 ring_gpa;
	u32 entries;
	struct eventfd_ctx *kick;
	struct eventfd_ctx *done;
	wait_queue_entry_t wait;
	poll_table pt;
	struct work_struct work;
	struct callback_head twork;
	unsigned long tw_queued;
	struct mutex tw_lock;	/* see "Lifetime" above */
	bool dead;
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

/*
 * The VMM address of ring byte @off, or NULL when it is not writable
 * guest memory.  @slot caches the memslot over one pass (srcu held): a
 * ring is mostly in one memslot, looked up once per pass.  A request is
 * copied in once and only that copy is looked at: the guest may be
 * rewriting it.
 */
static void __user *viommu_db_ptr(struct viommu_doorbell *db, u64 off,
				  struct kvm_memory_slot **slot)
{
	u64 gpa = db->ring_gpa + off;
	unsigned long hva = viommu_gm_rw_page(db->c, gpa_to_gfn(gpa), slot);

	return hva ? (void __user *)(hva + offset_in_page(gpa)) : NULL;
}

static struct kvm_viommu_ring_hdr __user *
viommu_db_hdr(struct viommu_doorbell *db, struct kvm_memory_slot **slot)
{
	return viommu_db_ptr(db, 0, slot);
}

static struct kvm_viommu_ring_req __user *
viommu_db_req(struct viommu_doorbell *db, u32 index,
	      struct kvm_memory_slot **slot)
{
	return viommu_db_ptr(db, VIOMMU_RING_HDR +
			     (u64)(index & (db->entries - 1)) * VIOMMU_RING_REQ,
			     slot);
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

/*
 * Start the request at db->cons: KVM_VIOMMU_REQ_PENDING, with its table in
 * *@tp when a refresh request found it, or the status that ends it at once.
 */
static u32 viommu_db_start(struct viommu_doorbell *db,
			   const struct kvm_viommu_ring_req *req,
			   struct viommu_table **tp)
{
	struct viommu_container *c = db->c;
	struct viommu_table *t;
	u64 iova, last;

	switch (req->op) {
	case KVM_VIOMMU_REQ_TCE_PUT:
	case KVM_VIOMMU_REQ_TCE_PUT_INDIRECT:
	case KVM_VIOMMU_REQ_TCE_STUFF:
		return viommu_db_start_tce(db, req);
	case KVM_VIOMMU_REQ_REFRESH:
		if (req->flags & ~KVM_VIOMMU_REQ_LEAF_ONLY)
			return KVM_VIOMMU_REQ_INVALID;
		t = viommu_refresh_check(c, req->table_id, req->iova,
					 req->size, &last);
		if (IS_ERR(t))
			return PTR_ERR(t) == -ENOENT ? KVM_VIOMMU_REQ_NO_TABLE :
						       KVM_VIOMMU_REQ_INVALID;
		iova = req->iova;
		break;
	case KVM_VIOMMU_REQ_REFRESH_ALL:
		if (req->flags || req->iova || req->size)
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
	/* The refresh reads its flags from the accumulator, as the ioctl's. */
	if (req->flags & KVM_VIOMMU_REQ_LEAF_ONLY)
		db->acc.flags = KVM_VIOMMU_REFRESH_LEAF_ONLY;
	*tp = t;
	return KVM_VIOMMU_REQ_PENDING;
}

/*
 * Work on the request at db->cons.  Return: 0 when it is complete (status
 * written back), -EAGAIN when the budget ran out first, -EFAULT when the
 * ring is not guest memory any more.
 */
static int viommu_db_one(struct viommu_doorbell *db, u64 *budget,
			 struct kvm_memory_slot **slot)
{
	struct viommu_container *c = db->c;
	struct kvm_viommu_ring_req __user *q;
	struct kvm_viommu_ring_req req;
	struct viommu_table *t = NULL;
	u32 status;
	u64 next;
	int ret;

	q = viommu_db_req(db, db->cons, slot);
	if (!q || copy_from_user(&req, q, sizeof(req)))
		return -EFAULT;

	status = db->busy ? KVM_VIOMMU_REQ_PENDING :
			    viommu_db_start(db, &req, &t);
	if (status == KVM_VIOMMU_REQ_PENDING) {
		/* Looked up again when resumed: the lock was dropped. */
		if (!t)
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
	if (copy_to_user(&q->status, &req.status,
			 sizeof(req) - offsetof(typeof(req), status)))
		return -EFAULT;
	return 0;
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
	struct kvm_viommu_ring_hdr __user *hdr;
	struct kvm_memory_slot *slot = NULL;
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
	hdr = viommu_db_hdr(db, &slot);
	if (!hdr || get_user(prod, &hdr->prod)) {
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
		ret = viommu_db_one(db, &budget, &slot);
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
		if (put_user(db->cons, &hdr->cons)) {
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

/*
 * One pass, then the completion signal, in a task that has the VMM's mm.
 * Return: more work is pending.
 */
static bool viommu_db_run(struct viommu_doorbell *db)
{
	struct viommu_container *c = db->c;
	struct mem_cgroup *old_memcg;
	bool signal = false, more;

	old_memcg = set_active_memcg(db->memcg);
	mutex_lock(&c->lock);
	more = viommu_db_pass(db, &signal);
	mutex_unlock(&c->lock);
	set_active_memcg(old_memcg);

	if (signal && db->done)
		eventfd_signal(db->done);
	return more;
}

static void viommu_db_work(struct work_struct *work)
{
	struct viommu_doorbell *db = container_of(work, struct viommu_doorbell,
						  work);
	struct viommu_container *c = db->c;
	bool more;

	/* The VMM is exiting: its files, and so this doorbell, go soon. */
	if (!mmget_not_zero(c->mm))
		return;
	kthread_use_mm(c->mm);
	more = viommu_db_run(db);
	kthread_unuse_mm(c->mm);
	mmput(c->mm);

	if (more)
		queue_work(viommu_wq, &db->work);
}

static void viommu_db_release(struct kref *ref)
{
	struct viommu_doorbell *db = container_of(ref, struct viommu_doorbell,
						  ref);

	mutex_destroy(&db->tw_lock);
	kfree(db);
}

/*
 * The task work: one pass in the VMM task that kicked, the rest to the
 * worker.  May run long after the doorbell's teardown (see struct
 * viommu_doorbell), or at the task's exit, without its mm.
 */
static void viommu_db_task_work(struct callback_head *head)
{
	struct viommu_doorbell *db = container_of(head, struct viommu_doorbell,
						  twork);

	/* A kick from now on may queue @twork again, elsewhere. */
	clear_bit(0, &db->tw_queued);

	mutex_lock(&db->tw_lock);
	if (!db->dead) {
		if ((current->flags & PF_EXITING) || current->mm != db->c->mm ||
		    viommu_db_run(db))
			queue_work(viommu_wq, &db->work);
	}
	mutex_unlock(&db->tw_lock);

	kref_put(&db->ref, viommu_db_release);
	/* Last: nothing of this module runs after it but the return. */
	module_put(THIS_MODULE);
}

/*
 * Can the ring be processed in the current task, before it goes back to
 * the guest or to userspace?  Only in a VMM task that does go back there:
 * not in interrupt context, not in a kernel thread or a user worker
 * (io_uring, vhost: they do not return to userspace, and may run task work
 * late or never), not in a task that is exiting.
 */
static bool viommu_db_local(struct viommu_doorbell *db)
{
	return in_task() &&
	       !(current->flags & (PF_KTHREAD | PF_EXITING | PF_IO_WORKER |
				   PF_USER_WORKER)) &&
	       current->mm == db->c->mm;
}

/*
 * Queue @db->twork on the current task.  Return: false if the caller must
 * queue the worker instead.  Called with the eventfd's wait-queue lock
 * held, with the container's reference on @db (the wait queue is unhooked
 * before it is dropped) and the VFIO core's on the module.
 */
static bool viommu_db_queue_local(struct viommu_doorbell *db)
{
	if (!viommu_db_local(db) || test_and_set_bit(0, &db->tw_queued))
		return false;
	kref_get(&db->ref);
	__module_get(THIS_MODULE);
	if (!task_work_add(current, &db->twork, TWA_RESUME))
		return true;
	/* Not the last references: the container's and the VFIO core's. */
	module_put(THIS_MODULE);
	kref_put(&db->ref, viommu_db_release);
	clear_bit(0, &db->tw_queued);
	return false;
}

/*
 * Called with the eventfd's wait-queue lock held: queue a task work or the
 * worker, nothing more.
 */
static int viommu_db_wakeup(wait_queue_entry_t *wait, unsigned int mode,
			    int sync, void *key)
{
	struct viommu_doorbell *db = container_of(wait, struct viommu_doorbell,
						  wait);
	u64 cnt;

	if (key_to_poll(key) & EPOLLIN) {
		eventfd_ctx_do_read(db->kick, &cnt);
		atomic64_inc(&db->kicks);
		if (!viommu_db_queue_local(db))
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

/*
 * Unhook -> mark dead -> stop the worker -> put; the memory goes with the
 * last task work still queued, if any.  c->lock must not be held.
 */
static void viommu_db_destroy(struct viommu_doorbell *db)
{
	u64 cnt;

	lockdep_assert_not_held(&db->c->lock);

	eventfd_ctx_remove_wait_queue(db->kick, &db->wait, &cnt);
	/* Waits for a task work's pass; a later one does nothing. */
	mutex_lock(&db->tw_lock);
	db->dead = true;
	mutex_unlock(&db->tw_lock);
	cancel_work_sync(&db->work);
	eventfd_ctx_put(db->kick);
	if (db->done)
		eventfd_ctx_put(db->done);
	mem_cgroup_put(db->memcg);
	kref_put(&db->ref, viommu_db_release);
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

/*
 * Are there requests past db->cons?  True when the header cannot be read:
 * the worker's pass then reports the fault in the ring.
 */
static bool viommu_db_posted(struct viommu_doorbell *db)
{
	struct kvm_viommu_ring_hdr __user *hdr;
	struct kvm_memory_slot *slot = NULL;
	bool posted = true;
	u32 prod;
	int idx;

	idx = srcu_read_lock(&db->c->kvm->srcu);
	hdr = viommu_db_hdr(db, &slot);
	if (hdr && !get_user(prod, &hdr->prod))
		posted = prod != db->cons;
	srcu_read_unlock(&db->c->kvm->srcu, idx);
	return posted;
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
	kref_init(&db->ref);
	db->c = c;
	db->ring_gpa = arg->ring_gpa;
	db->entries = arg->entries;
	INIT_WORK(&db->work, viommu_db_work);
	init_task_work(&db->twork, viommu_db_task_work);
	mutex_init(&db->tw_lock);
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
	if (viommu_db_posted(db))
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
	kref_put(&db->ref, viommu_db_release);
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
