/* The single writer thread and its group commit (architecture decision 6/7).
 *
 * Any thread submits write jobs; the writer takes everything queued, begins
 * one write transaction, runs each job's apply() in a nested transaction
 * (a job that fails is rolled back alone), commits once (one fsync for the
 * whole batch), and only then calls each job's complete(). So a client is
 * answered only after its write is durable, and N concurrent writers cost
 * one commit instead of N. Batches are capped (PT_WRITER_MAX_BATCH jobs) so
 * latency stays bounded under load. If the batch commit fails, every job in
 * it completes with PT_ERR and an InternalServerError.
 *
 * apply() and complete() run on the writer thread; complete() must not
 * block (the server posts the result to its event loop). */
#ifndef PT_WRITER_H
#define PT_WRITER_H

#include <stdint.h>

#include "store/store.h"
#include "util/error.h"

#define PT_WRITER_MAX_BATCH 256

typedef struct pt_writer pt_writer_t;
typedef struct pt_write_job pt_write_job_t;

struct pt_write_job {
    pt_write_job_t *next;                 /* queue link, owned by the writer */
    /* Runs inside a nested transaction. PT_OK keeps its changes; anything
     * else rolls them back (the job's own result, e.g. a failed condition,
     * is recorded by the job itself, typically in its pt_error_t). */
    int (*apply)(pt_write_job_t *job, pt_txn_t *txn);
    /* After the batch commit: rc is apply()'s result, or PT_ERR if the
     * commit itself failed (then `commit_err` describes why). commit_err is
     * also set, with rc PT_ERR, when the store failed to begin or commit this
     * job's own nested transaction; it is NULL whenever rc is apply()'s
     * result, and valid only during the call. complete() may free the job. */
    void (*complete)(pt_write_job_t *job, int rc, const pt_error_t *commit_err);
};

/* Optional hook run after a failed batch begin/commit (e.g. reload the
 * catalog): called once on the writer thread, before the completes, so
 * in-memory state derived from the batch can be reloaded. */
typedef void (*pt_writer_rollback_fn)(void *ctx);

int pt_writer_start(pt_store_t *store, pt_writer_rollback_fn on_rollback, void *ctx,
                    pt_writer_t **out, pt_error_t *err);
/* Thread-safe; never blocks on I/O. Jobs of one submitting thread are
 * applied and completed in submission order. Jobs submitted after stop began
 * are completed with PT_ERR (InternalServerError "server is shutting down")
 * immediately, on the submitting thread, without apply(). */
void pt_writer_submit(pt_writer_t *w, pt_write_job_t *job);
/* Runs every queued job, commits, joins the thread, frees the writer.
 * Not from apply() or complete() (it would wait for its own thread). */
void pt_writer_stop(pt_writer_t *w);

/* Counters since start, readable from any thread (for /metrics and tests):
 * *commits = batches committed successfully (one top-level commit, hence one
 * fsync, each); *jobs = jobs completed by the writer thread, whatever their
 * result. jobs / commits is the mean batch size. Either pointer may be NULL. */
void pt_writer_stats(const pt_writer_t *w, uint64_t *commits, uint64_t *jobs);

#endif
