/* Background work for the engine: a worker thread that runs a function
 * periodically and whenever kicked, and write jobs that such a thread runs
 * on the writer and waits for. Shared by the index builder (index.c) and
 * the TTL sweeper (ttl.c): both persist their progress, so a worker only
 * needs "run again soon" (a kick) and "stop". Never used on a loop thread:
 * pt_sync_job_run blocks until the writer has committed. */
#ifndef PT_WORKER_H
#define PT_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine/writer.h"
#include "util/error.h"

typedef struct pt_worker {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;         /* CLOCK_MONOTONIC */
    bool kicked;
    atomic_bool stopping;
    uint64_t period_ms;
    void (*work)(void *arg);
    void *arg;
} pt_worker_t;

/* Starts a thread that calls work(arg) every period_ms and whenever kicked
 * (at once when `kicked` is true). `what` names it in the error message. */
int pt_worker_start(pt_worker_t *w, const char *what, uint64_t period_ms, bool kicked, void (*work)(void *arg),
                    void *arg, pt_error_t *err);
/* Stops the thread after its current run and joins it. */
void pt_worker_stop(pt_worker_t *w);
/* Asks for a run as soon as the current one (if any) ends. */
void pt_worker_kick(pt_worker_t *w);
/* For work(): true once stop was asked, so long work can end early. */
bool pt_worker_stopping(pt_worker_t *w);

/* A write job run synchronously by a background thread. Embed it first in
 * the job's own struct and set job.apply (it receives &sync.job, so the
 * outer struct can be recovered with a cast). */
typedef struct pt_sync_job {
    pt_write_job_t job;
    pt_error_t err;            /* apply()'s own error, or the commit's */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool done;
    int rc;
} pt_sync_job_t;

/* Submits the job to the writer and waits until it has committed (or
 * failed); returns apply()'s result, or PT_ERR if the commit failed (then
 * sj->err says why). */
int pt_sync_job_run(pt_writer_t *w, pt_sync_job_t *sj);

#endif
