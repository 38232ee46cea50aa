/* Background workers and synchronous write jobs: see worker.h. */
#include "engine/worker.h"

#include <errno.h>
#include <string.h>
#include <time.h>

static void *worker_main(void *arg)
{
    pt_worker_t *w = arg;
    pthread_mutex_lock(&w->mu);
    while (!pt_worker_stopping(w)) {
        struct timespec deadline;
        clock_gettime(CLOCK_MONOTONIC, &deadline);
        uint64_t ns = (uint64_t)deadline.tv_nsec + (w->period_ms % 1000) * 1000000ull;
        deadline.tv_sec += (time_t)(w->period_ms / 1000 + ns / 1000000000ull);
        deadline.tv_nsec = (long)(ns % 1000000000ull);
        while (!pt_worker_stopping(w) && !w->kicked)
            if (pthread_cond_timedwait(&w->cv, &w->mu, &deadline) == ETIMEDOUT) break;
        if (pt_worker_stopping(w)) break;
        w->kicked = false;
        pthread_mutex_unlock(&w->mu);
        w->work(w->arg);
        pthread_mutex_lock(&w->mu);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

int pt_worker_start(pt_worker_t *w, const char *what, uint64_t period_ms, bool kicked, void (*work)(void *arg),
                    void *arg, pt_error_t *err)
{
    w->kicked = kicked;
    w->period_ms = period_ms;
    w->work = work;
    w->arg = arg;
    atomic_init(&w->stopping, false);
    pthread_mutex_init(&w->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w->cv, &ca);
    pthread_condattr_destroy(&ca);
    int rc = pthread_create(&w->thread, NULL, worker_main, w);
    if (rc) {
        pthread_mutex_destroy(&w->mu);
        pthread_cond_destroy(&w->cv);
        return pt_error_set(err, PT_E_INTERNAL, "cannot start the %s: %s", what, strerror(rc));
    }
    return PT_OK;
}

void pt_worker_stop(pt_worker_t *w)
{
    pthread_mutex_lock(&w->mu);
    atomic_store(&w->stopping, true);
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
}

void pt_worker_kick(pt_worker_t *w)
{
    pthread_mutex_lock(&w->mu);
    w->kicked = true;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

bool pt_worker_stopping(pt_worker_t *w) { return atomic_load(&w->stopping); }

static void sync_complete(pt_write_job_t *job, int rc, const pt_error_t *commit_err)
{
    pt_sync_job_t *sj = (pt_sync_job_t *)job;
    pthread_mutex_lock(&sj->mu);
    sj->rc = rc;
    if (rc && commit_err) sj->err = *commit_err;
    sj->done = true;
    pthread_cond_signal(&sj->cv);
    pthread_mutex_unlock(&sj->mu);
}

int pt_sync_job_run(pt_writer_t *w, pt_sync_job_t *sj)
{
    pt_error_clear(&sj->err);
    sj->done = false;
    sj->rc = PT_OK;
    sj->job.complete = sync_complete;
    pthread_mutex_init(&sj->mu, NULL);
    pthread_cond_init(&sj->cv, NULL);
    pt_writer_submit(w, &sj->job);
    pthread_mutex_lock(&sj->mu);
    while (!sj->done) pthread_cond_wait(&sj->cv, &sj->mu);
    pthread_mutex_unlock(&sj->mu);
    pthread_mutex_destroy(&sj->mu);
    pthread_cond_destroy(&sj->cv);
    return sj->rc;
}
