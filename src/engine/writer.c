/* The single writer thread with group commit (see writer.h).
 *
 * Submitters append to a FIFO under `lock` and signal `wake`; the writer
 * thread takes up to PT_WRITER_MAX_BATCH jobs at once, so every job that
 * arrived while the previous batch was fsync'ing rides on the next commit:
 * batching comes from the fsync latency itself, no timer or delay is added.
 *
 * Invariants:
 *  - Only the writer thread begins write transactions on the store.
 *  - Jobs are applied and completed in queue (submission) order, and each is
 *    completed exactly once: by the writer thread after its batch ended, or
 *    on the submitting thread when it arrived after stop began.
 *  - complete() runs only after the batch's top-level commit returned, so a
 *    PT_OK reaching a client means the write is durable (if the store is).
 *  - The writer exits only when stopping is set and the queue is empty, both
 *    observed under `lock`; submit checks stopping under the same lock, so no
 *    job can be left in the queue.
 *
 *  - The store's deferred LMDB commit is flushed when the writer has been
 *    idle for IDLE_FLUSH_NS and before it exits.
 *
 * It does not retry failed commits or reorder jobs, and it knows nothing of
 * what jobs do. */
#include "engine/writer.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

struct pt_writer {
    pt_store_t *store;
    pt_writer_rollback_fn on_rollback;
    void *rollback_ctx;
    pthread_t thread;

    pthread_mutex_t lock;          /* guards head, tail, stopping */
    pthread_cond_t wake;
    pt_write_job_t *head, *tail;
    bool stopping;

    _Atomic uint64_t commits;
    _Atomic uint64_t jobs;

    /* Writer-thread-only scratch for one batch. */
    pt_write_job_t *batch[PT_WRITER_MAX_BATCH];
    int rc[PT_WRITER_MAX_BATCH];
    bool store_failed[PT_WRITER_MAX_BATCH];     /* job_err[i] is meaningful */
    pt_error_t job_err[PT_WRITER_MAX_BATCH];
};

/* Runs one job in a nested transaction of `txn`; records its result. */
static void run_job(pt_writer_t *w, pt_txn_t *txn, int i)
{
    pt_write_job_t *job = w->batch[i];
    pt_txn_t *child;
    w->store_failed[i] = false;
    if (pt_txn_begin(w->store, PT_TXN_WRITE, txn, &child, &w->job_err[i])) {
        w->rc[i] = PT_ERR;
        w->store_failed[i] = true;
        return;
    }
    int rc = job->apply(job, child);
    if (rc != PT_OK) {
        pt_txn_abort(child);
        w->rc[i] = rc;
        return;
    }
    if (pt_txn_commit(child, &w->job_err[i])) {   /* into the parent; no I/O */
        w->rc[i] = PT_ERR;
        w->store_failed[i] = true;
        return;
    }
    w->rc[i] = PT_OK;
}

static void run_batch(pt_writer_t *w, int n)
{
    pt_error_t err;
    pt_txn_t *txn;
    bool failed = false;
    if (pt_txn_begin(w->store, PT_TXN_WRITE, NULL, &txn, &err)) {
        failed = true;
    } else {
        for (int i = 0; i < n; i++) run_job(w, txn, i);
        if (pt_txn_commit(txn, &err)) failed = true;   /* the one fsync */
    }

    if (failed) {
        if (w->on_rollback) w->on_rollback(w->rollback_ctx);
    } else {
        atomic_fetch_add_explicit(&w->commits, 1, memory_order_relaxed);
    }
    atomic_fetch_add_explicit(&w->jobs, (uint64_t)n, memory_order_relaxed);
    for (int i = 0; i < n; i++) {
        pt_write_job_t *job = w->batch[i];   /* complete() may free it */
        if (failed) job->complete(job, PT_ERR, &err);
        else job->complete(job, w->rc[i], w->store_failed[i] ? &w->job_err[i] : NULL);
    }
}

/* The store's deferred LMDB commit (pt_store_flush), run when no job
 * arrived for IDLE_FLUSH_NS after the last batch: under load the store
 * flushes by itself every few milliseconds, and a quiet writer should not
 * leave its last batches outside LMDB. */
#define IDLE_FLUSH_NS 1000000L

static void flush(pt_writer_t *w)
{
    pt_error_t err;
    if (pt_store_flush(w->store, &err)) fprintf(stderr, "portico: %s\n", err.message);
}

static void *writer_main(void *arg)
{
    pt_writer_t *w = arg;
    for (;;) {
        pthread_mutex_lock(&w->lock);
        while (!w->head && !w->stopping) {
            if (!pt_store_flush_pending(w->store)) {
                pthread_cond_wait(&w->wake, &w->lock);
                continue;
            }
            struct timespec until;
            clock_gettime(CLOCK_MONOTONIC, &until);
            until.tv_nsec += IDLE_FLUSH_NS;
            if (until.tv_nsec >= 1000000000L) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000L;
            }
            if (pthread_cond_timedwait(&w->wake, &w->lock, &until) == ETIMEDOUT && !w->head) {
                pthread_mutex_unlock(&w->lock);
                flush(w);
                pthread_mutex_lock(&w->lock);
            }
        }
        if (!w->head) {   /* stopping and drained */
            pthread_mutex_unlock(&w->lock);
            flush(w);
            break;
        }
        int n = 0;
        while (w->head && n < PT_WRITER_MAX_BATCH) {
            w->batch[n++] = w->head;
            w->head = w->head->next;
        }
        if (!w->head) w->tail = NULL;
        pthread_mutex_unlock(&w->lock);
        for (int i = 0; i < n; i++) w->batch[i]->next = NULL;
        run_batch(w, n);
    }
    return NULL;
}

int pt_writer_start(pt_store_t *store, pt_writer_rollback_fn on_rollback, void *ctx,
                    pt_writer_t **out, pt_error_t *err)
{
    *out = NULL;
    pt_writer_t *w = calloc(1, sizeof *w);
    if (!w) return pt_error_set(err, PT_E_INTERNAL, "writer: out of memory");
    w->store = store;
    w->on_rollback = on_rollback;
    w->rollback_ctx = ctx;
    atomic_init(&w->commits, 0);
    atomic_init(&w->jobs, 0);
    pthread_mutex_init(&w->lock, NULL);
    pthread_condattr_t attr;   /* timed waits on the monotonic clock */
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&w->wake, &attr);
    pthread_condattr_destroy(&attr);
    int rc = pthread_create(&w->thread, NULL, writer_main, w);
    if (rc) {
        pthread_cond_destroy(&w->wake);
        pthread_mutex_destroy(&w->lock);
        free(w);
        return pt_error_set(err, PT_E_INTERNAL, "writer: pthread_create failed (%d)", rc);
    }
    pthread_setname_np(w->thread, "pt-writer");
    *out = w;
    return PT_OK;
}

void pt_writer_submit(pt_writer_t *w, pt_write_job_t *job)
{
    job->next = NULL;
    pthread_mutex_lock(&w->lock);
    if (w->stopping) {
        pthread_mutex_unlock(&w->lock);
        pt_error_t err;
        pt_error_set(&err, PT_E_INTERNAL, "server is shutting down");
        job->complete(job, PT_ERR, &err);
        return;
    }
    bool was_empty = !w->head;
    if (w->tail) w->tail->next = job;
    else w->head = job;
    w->tail = job;
    pthread_mutex_unlock(&w->lock);
    /* A non-empty queue means the writer is busy or already woken. */
    if (was_empty) pthread_cond_signal(&w->wake);
}

void pt_writer_stop(pt_writer_t *w)
{
    if (!w) return;
    pthread_mutex_lock(&w->lock);
    w->stopping = true;
    pthread_mutex_unlock(&w->lock);
    pthread_cond_signal(&w->wake);
    pthread_join(w->thread, NULL);
    pthread_cond_destroy(&w->wake);
    pthread_mutex_destroy(&w->lock);
    free(w);
}

void pt_writer_stats(const pt_writer_t *w, uint64_t *commits, uint64_t *jobs)
{
    /* The counters are atomic; casting away const only to load them. */
    pt_writer_t *mw = (pt_writer_t *)w;
    if (commits) *commits = atomic_load_explicit(&mw->commits, memory_order_relaxed);
    if (jobs) *jobs = atomic_load_explicit(&mw->jobs, memory_order_relaxed);
}
