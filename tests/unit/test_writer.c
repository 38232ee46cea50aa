/* Unit tests for the writer thread and its group commit (src/engine/writer.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <errno.h>
#include <ftw.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/writer.h"

/* ---- fault injection: fail the Nth mdb_txn_commit after arming ----
 * This definition interposes on liblmdb's (the store is linked statically
 * into this executable), and forwards to the real one otherwise. */
static atomic_int commits_until_failure;   /* 0: disarmed */

int mdb_txn_commit(MDB_txn *txn)
{
    static int (*real)(MDB_txn *);
    if (!real) *(void **)&real = dlsym(RTLD_NEXT, "mdb_txn_commit");
    int n = atomic_load(&commits_until_failure);
    if (n > 0 && atomic_fetch_sub(&commits_until_failure, 1) == 1) {
        mdb_txn_abort(txn);   /* a failed commit frees the txn, as LMDB's does */
        return EIO;
    }
    return real(txn);
}

/* ---- helpers ---- */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

typedef struct fixture {
    char dir[64];
    pt_store_t *store;
    pt_writer_t *writer;
    atomic_int rollbacks;
} fixture_t;

static void on_rollback(void *ctx)
{
    fixture_t *f = ctx;
    atomic_fetch_add(&f->rollbacks, 1);
}

static int open_fixture(void **state, bool durable)
{
    fixture_t *f = calloc(1, sizeof *f);
    strcpy(f->dir, "/tmp/pt_test_writer_XXXXXX");
    if (!mkdtemp(f->dir)) return -1;
    pt_error_t err;
    pt_store_options_t o = {.path = f->dir, .durable = durable};
    if (pt_store_open(&o, &f->store, &err)) return -1;
    if (pt_writer_start(f->store, on_rollback, f, &f->writer, &err)) return -1;
    *state = f;
    return 0;
}

static int setup(void **state) { return open_fixture(state, false); }
static int setup_durable(void **state) { return open_fixture(state, true); }

static int teardown(void **state)
{
    fixture_t *f = *state;
    if (f->writer) pt_writer_stop(f->writer);
    pt_store_close(f->store);
    nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    atomic_store(&commits_until_failure, 0);
    return 0;
}

static pt_slice_t S(const char *s) { return pt_slice(s, strlen(s)); }

/* A job that puts key -> value, then returns `result` (so a failing job's
 * put must be rolled back). Records how it completed. */
typedef struct put_job {
    pt_write_job_t job;
    char key[32];
    char value[256];
    size_t value_len;
    int result;
    atomic_int completions;
    int rc;
    bool had_commit_err;
    char commit_msg[128];
    /* per-submitter order check */
    atomic_int *order_counter;
    int order_seen;
    /* called from apply, e.g. to block the writer or arm a fault */
    void (*hook)(struct put_job *);
    void *hook_arg;
} put_job_t;

static int put_apply(pt_write_job_t *job, pt_txn_t *txn)
{
    put_job_t *j = (put_job_t *)job;
    if (j->hook) j->hook(j);
    pt_error_t err;
    if (pt_put(txn, S(j->key), pt_slice(j->value, j->value_len), &err)) return PT_ERR;
    return j->result;
}

static void put_complete(pt_write_job_t *job, int rc, const pt_error_t *commit_err)
{
    put_job_t *j = (put_job_t *)job;
    j->rc = rc;
    j->had_commit_err = commit_err != NULL;
    if (commit_err) snprintf(j->commit_msg, sizeof j->commit_msg, "%.127s", commit_err->message);
    if (j->order_counter) j->order_seen = atomic_fetch_add(j->order_counter, 1);
    atomic_fetch_add(&j->completions, 1);
}

static void init_put(put_job_t *j, const char *key, int result)
{
    memset(j, 0, sizeof *j);
    j->job.apply = put_apply;
    j->job.complete = put_complete;
    snprintf(j->key, sizeof j->key, "%s", key);
    j->value_len = (size_t)snprintf(j->value, sizeof j->value, "value-of-%s", key);
    j->result = result;
}

static int get_value(pt_store_t *s, const char *key, char *out, size_t cap)
{
    pt_error_t err;
    pt_txn_t *t;
    pt_slice_t v;
    assert_int_equal(pt_txn_begin(s, PT_TXN_READ, NULL, &t, &err), PT_OK);
    int rc = pt_get(t, S(key), &v, &err);
    if (rc == PT_OK) snprintf(out, cap, "%.*s", (int)v.len, (const char *)v.data);
    pt_txn_abort(t);
    return rc;
}

/* Liveness bound: 60 s, because under ASan each nested LMDB transaction
 * allocates and poisons 3 MB (its dirty-page and free lists), so 8,000
 * jobs take ~26 s alone and longer beside other sanitized tests. */
static void wait_completed(put_job_t *j)
{
    for (int i = 0; i < 60000 && atomic_load(&j->completions) == 0; i++) usleep(1000);
    assert_int_equal(atomic_load(&j->completions), 1);
}

/* A gate that holds the writer inside a job's apply() so that the jobs
 * submitted meanwhile all land in the next batch. */
typedef struct gate {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool entered, open;
} gate_t;

#define GATE_INIT {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, false}

static void gate_hook(put_job_t *j)
{
    gate_t *g = j->hook_arg;
    pthread_mutex_lock(&g->mu);
    g->entered = true;
    pthread_cond_broadcast(&g->cv);
    while (!g->open) pthread_cond_wait(&g->cv, &g->mu);
    pthread_mutex_unlock(&g->mu);
}

static void gate_wait_entered(gate_t *g)
{
    pthread_mutex_lock(&g->mu);
    while (!g->entered) pthread_cond_wait(&g->cv, &g->mu);
    pthread_mutex_unlock(&g->mu);
}

static void gate_open(gate_t *g)
{
    pthread_mutex_lock(&g->mu);
    g->open = true;
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->mu);
}

/* Submits a job that blocks the writer, and waits until it does. */
static void block_writer(fixture_t *f, put_job_t *blocker, gate_t *g)
{
    init_put(blocker, "blocker", PT_OK);
    blocker->hook = gate_hook;
    blocker->hook_arg = g;
    pt_writer_submit(f->writer, &blocker->job);
    gate_wait_entered(g);
}

/* ---- tests ---- */

static void test_single_job_commits_and_completes_once(void **state)
{
    fixture_t *f = *state;
    put_job_t j;
    init_put(&j, "one", PT_OK);
    pt_writer_submit(f->writer, &j.job);
    wait_completed(&j);
    assert_int_equal(j.rc, PT_OK);
    assert_false(j.had_commit_err);
    char v[64];
    assert_int_equal(get_value(f->store, "one", v, sizeof v), PT_OK);
    assert_string_equal(v, "value-of-one");
    uint64_t commits, jobs;
    pt_writer_stats(f->writer, &commits, &jobs);
    assert_int_equal(commits, 1);
    assert_int_equal(jobs, 1);
}

static void test_failing_job_is_rolled_back_while_its_batch_commits(void **state)
{
    fixture_t *f = *state;
    gate_t g = GATE_INIT;
    put_job_t blocker, a, b, c;
    block_writer(f, &blocker, &g);
    init_put(&a, "a", PT_OK);
    init_put(&b, "b", PT_ERR);              /* puts, then fails: must vanish */
    init_put(&c, "c", PT_NOTFOUND);         /* any non-OK result rolls back */
    put_job_t d;
    init_put(&d, "d", PT_OK);
    pt_writer_submit(f->writer, &a.job);
    pt_writer_submit(f->writer, &b.job);
    pt_writer_submit(f->writer, &c.job);
    pt_writer_submit(f->writer, &d.job);
    gate_open(&g);
    pt_writer_stop(f->writer);
    f->writer = NULL;

    assert_int_equal(a.completions, 1);
    assert_int_equal(b.completions, 1);
    assert_int_equal(c.completions, 1);
    assert_int_equal(d.completions, 1);
    assert_int_equal(a.rc, PT_OK);
    assert_int_equal(b.rc, PT_ERR);
    assert_int_equal(c.rc, PT_NOTFOUND);
    assert_int_equal(d.rc, PT_OK);
    assert_false(b.had_commit_err);   /* apply's own failure, not the store's */
    char v[64];
    assert_int_equal(get_value(f->store, "a", v, sizeof v), PT_OK);
    assert_int_equal(get_value(f->store, "b", v, sizeof v), PT_NOTFOUND);
    assert_int_equal(get_value(f->store, "c", v, sizeof v), PT_NOTFOUND);
    assert_int_equal(get_value(f->store, "d", v, sizeof v), PT_OK);
    assert_int_equal(atomic_load(&f->rollbacks), 0);
}

static void test_jobs_queued_during_a_commit_share_the_next_one(void **state)
{
    fixture_t *f = *state;
    gate_t g = GATE_INIT;
    put_job_t blocker;
    block_writer(f, &blocker, &g);
    enum { N = 100 };
    static put_job_t jobs[N];
    for (int i = 0; i < N; i++) {
        char key[16];
        snprintf(key, sizeof key, "k%03d", i);
        init_put(&jobs[i], key, PT_OK);
        pt_writer_submit(f->writer, &jobs[i].job);
    }
    gate_open(&g);
    for (int i = 0; i < N; i++) wait_completed(&jobs[i]);
    for (int i = 0; i < N; i++) assert_int_equal(jobs[i].rc, PT_OK);
    uint64_t commits, njobs;
    pt_writer_stats(f->writer, &commits, &njobs);
    assert_int_equal(commits, 2);     /* the blocker's batch + one for all 100 */
    assert_int_equal(njobs, N + 1);
}

static void test_batches_are_capped_at_max_batch(void **state)
{
    fixture_t *f = *state;
    gate_t g = GATE_INIT;
    put_job_t blocker;
    block_writer(f, &blocker, &g);
    enum { N = 2 * PT_WRITER_MAX_BATCH + 10 };
    put_job_t *jobs = calloc(N, sizeof *jobs);
    for (int i = 0; i < N; i++) {
        char key[16];
        snprintf(key, sizeof key, "k%04d", i);
        init_put(&jobs[i], key, PT_OK);
        pt_writer_submit(f->writer, &jobs[i].job);
    }
    gate_open(&g);
    for (int i = 0; i < N; i++) wait_completed(&jobs[i]);
    uint64_t commits, njobs;
    pt_writer_stats(f->writer, &commits, &njobs);
    assert_int_equal(commits, 1 + 3);   /* blocker, 256, 256, 10 */
    assert_int_equal(njobs, N + 1);
    free(jobs);
}

typedef struct submitter {
    pt_writer_t *writer;
    int id, count;
    bool wait_each;            /* synchronous client: wait for each ack */
    put_job_t *jobs;
    atomic_int order;
} submitter_t;

static void *submitter_main(void *p)
{
    submitter_t *s = p;
    for (int i = 0; i < s->count; i++) {
        put_job_t *j = &s->jobs[i];
        char key[32];
        snprintf(key, sizeof key, "t%02d-%05d", s->id, i);
        init_put(j, key, PT_OK);
        memset(j->value, 'v', 200);   /* ~200-byte values */
        j->value_len = 200;
        j->order_counter = &s->order;
        pt_writer_submit(s->writer, &j->job);
        if (s->wait_each)
            while (atomic_load(&j->completions) == 0) usleep(50);
    }
    return NULL;
}

/* Runs `threads` submitters of `per_thread` jobs each and checks every job
 * completed exactly once, OK, in its submitter's order, and is stored. */
static void run_submitters(fixture_t *f, int threads, int per_thread, bool wait_each)
{
    submitter_t *subs = calloc((size_t)threads, sizeof *subs);
    pthread_t *th = calloc((size_t)threads, sizeof *th);
    for (int t = 0; t < threads; t++) {
        subs[t] = (submitter_t){.writer = f->writer, .id = t, .count = per_thread,
                                .wait_each = wait_each};
        subs[t].jobs = calloc((size_t)per_thread, sizeof(put_job_t));
        assert_int_equal(pthread_create(&th[t], NULL, submitter_main, &subs[t]), 0);
    }
    for (int t = 0; t < threads; t++) pthread_join(th[t], NULL);
    for (int t = 0; t < threads; t++) {
        for (int i = 0; i < per_thread; i++) wait_completed(&subs[t].jobs[i]);
    }
    pt_error_t err;
    pt_txn_t *txn;
    assert_int_equal(pt_txn_begin(f->store, PT_TXN_READ, NULL, &txn, &err), PT_OK);
    for (int t = 0; t < threads; t++) {
        for (int i = 0; i < per_thread; i++) {
            put_job_t *j = &subs[t].jobs[i];
            assert_int_equal(atomic_load(&j->completions), 1);
            assert_int_equal(j->rc, PT_OK);
            assert_int_equal(j->order_seen, i);   /* completed in submission order */
            pt_slice_t v;
            assert_int_equal(pt_get(txn, S(j->key), &v, &err), PT_OK);
            assert_int_equal(v.len, 200);
        }
        free(subs[t].jobs);
    }
    pt_txn_abort(txn);
    free(subs);
    free(th);
}

static void test_concurrent_submitters_complete_exactly_once_in_order(void **state)
{
    fixture_t *f = *state;
    enum { THREADS = 16, PER = 500 };
    run_submitters(f, THREADS, PER, false);
    uint64_t commits, jobs;
    pt_writer_stats(f->writer, &commits, &jobs);
    assert_int_equal(jobs, THREADS * PER);
    assert_true(commits >= 1 && commits <= jobs);
}

static void test_durable_concurrent_submitters_are_group_committed(void **state)
{
    fixture_t *f = *state;
    enum { THREADS = 32, PER = 30 };
    run_submitters(f, THREADS, PER, true);
    uint64_t commits, jobs;
    pt_writer_stats(f->writer, &commits, &jobs);
    assert_int_equal(jobs, THREADS * PER);
    /* 32 clients waiting on an fsync each: every commit carries several. */
    assert_true(commits * 4 <= jobs);
}

static void test_stop_runs_every_queued_job_before_returning(void **state)
{
    fixture_t *f = *state;
    gate_t g = GATE_INIT;
    put_job_t blocker;
    block_writer(f, &blocker, &g);
    enum { N = 300 };
    put_job_t *jobs = calloc(N, sizeof *jobs);
    for (int i = 0; i < N; i++) {
        char key[16];
        snprintf(key, sizeof key, "q%04d", i);
        init_put(&jobs[i], key, PT_OK);
        pt_writer_submit(f->writer, &jobs[i].job);
    }
    gate_open(&g);
    pt_writer_stop(f->writer);   /* returns only once everything ran */
    f->writer = NULL;
    char v[64];
    for (int i = 0; i < N; i++) {
        assert_int_equal(atomic_load(&jobs[i].completions), 1);
        assert_int_equal(jobs[i].rc, PT_OK);
        assert_int_equal(get_value(f->store, jobs[i].key, v, sizeof v), PT_OK);
    }
    free(jobs);
}

/* A job whose complete() submits another job: run during the drain, after
 * stop began, so the second job must be refused at once. */
typedef struct chain_job {
    put_job_t first;
    put_job_t second;
    pt_writer_t *writer;
} chain_job_t;

static void chain_complete(pt_write_job_t *job, int rc, const pt_error_t *commit_err)
{
    chain_job_t *c = (chain_job_t *)job;
    put_complete(job, rc, commit_err);
    pt_writer_submit(c->writer, &c->second.job);
}

static void *stop_main(void *p)
{
    pt_writer_stop(p);
    return NULL;
}

static void test_job_submitted_after_stop_began_completes_with_error(void **state)
{
    fixture_t *f = *state;
    gate_t g = GATE_INIT;
    put_job_t blocker;
    block_writer(f, &blocker, &g);
    chain_job_t c;
    init_put(&c.first, "first", PT_OK);
    c.first.job.complete = chain_complete;
    init_put(&c.second, "second", PT_OK);
    c.writer = f->writer;
    pt_writer_submit(f->writer, &c.first.job);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, stop_main, f->writer), 0);
    f->writer = NULL;
    /* Give stop time to mark the writer stopping; it then waits in join. */
    usleep(100 * 1000);
    gate_open(&g);
    pthread_join(th, NULL);
    assert_int_equal(c.first.rc, PT_OK);
    assert_int_equal(atomic_load(&c.second.completions), 1);
    assert_int_equal(c.second.rc, PT_ERR);
    assert_true(c.second.had_commit_err);
    assert_string_equal(c.second.commit_msg, "server is shutting down");
    char v[64];
    assert_int_equal(get_value(f->store, "second", v, sizeof v), PT_NOTFOUND);
}

static void arm_commit_failure(put_job_t *j)
{
    /* This job's nested commit is the 1st commit from here; the batch's
     * top-level commit (it is the last job) is the 2nd. */
    atomic_store(&commits_until_failure, 2);
}

static void test_failed_batch_commit_rolls_back_and_fails_every_job(void **state)
{
    fixture_t *f = *state;
    gate_t g = GATE_INIT;
    put_job_t blocker, a, b, last;
    block_writer(f, &blocker, &g);
    init_put(&a, "a", PT_OK);
    init_put(&b, "b", PT_ERR);
    init_put(&last, "last", PT_OK);
    last.hook = arm_commit_failure;
    pt_writer_submit(f->writer, &a.job);
    pt_writer_submit(f->writer, &b.job);
    pt_writer_submit(f->writer, &last.job);
    gate_open(&g);
    wait_completed(&a);
    wait_completed(&b);
    wait_completed(&last);
    put_job_t *all[] = {&a, &b, &last};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(all[i]->rc, PT_ERR);
        assert_true(all[i]->had_commit_err);
        assert_non_null(strstr(all[i]->commit_msg, "mdb_txn_commit"));
    }
    assert_int_equal(atomic_load(&f->rollbacks), 1);
    char v[64];
    assert_int_equal(get_value(f->store, "a", v, sizeof v), PT_NOTFOUND);
    assert_int_equal(get_value(f->store, "last", v, sizeof v), PT_NOTFOUND);
    uint64_t commits, jobs;
    pt_writer_stats(f->writer, &commits, &jobs);
    assert_int_equal(commits, 1);   /* only the blocker's batch */
    assert_int_equal(jobs, 4);

    /* The writer carries on with the next batch. */
    put_job_t after;
    init_put(&after, "after", PT_OK);
    pt_writer_submit(f->writer, &after.job);
    wait_completed(&after);
    assert_int_equal(after.rc, PT_OK);
    assert_int_equal(get_value(f->store, "after", v, sizeof v), PT_OK);
}

static void test_failed_nested_commit_fails_only_that_job(void **state)
{
    fixture_t *f = *state;
    gate_t g = GATE_INIT;
    put_job_t blocker, a, bad, c;
    block_writer(f, &blocker, &g);
    init_put(&a, "a", PT_OK);
    init_put(&bad, "bad", PT_OK);
    init_put(&c, "c", PT_OK);
    pt_writer_submit(f->writer, &a.job);
    pt_writer_submit(f->writer, &bad.job);
    pt_writer_submit(f->writer, &c.job);
    /* The writer is parked inside the blocker's apply(); the commits still
     * to come are: the blocker's nested (1), its batch (2), a's nested (3),
     * bad's nested (4) -- which fails. */
    atomic_store(&commits_until_failure, 4);
    gate_open(&g);
    wait_completed(&a);
    wait_completed(&bad);
    wait_completed(&c);
    assert_int_equal(a.rc, PT_OK);
    assert_int_equal(bad.rc, PT_ERR);
    assert_true(bad.had_commit_err);
    assert_int_equal(c.rc, PT_OK);
    assert_int_equal(atomic_load(&f->rollbacks), 0);
    char v[64];
    assert_int_equal(get_value(f->store, "a", v, sizeof v), PT_OK);
    assert_int_equal(get_value(f->store, "bad", v, sizeof v), PT_NOTFOUND);
    assert_int_equal(get_value(f->store, "c", v, sizeof v), PT_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
        T(test_single_job_commits_and_completes_once),
        T(test_failing_job_is_rolled_back_while_its_batch_commits),
        T(test_jobs_queued_during_a_commit_share_the_next_one),
        T(test_batches_are_capped_at_max_batch),
        T(test_concurrent_submitters_complete_exactly_once_in_order),
        cmocka_unit_test_setup_teardown(test_durable_concurrent_submitters_are_group_committed,
                                        setup_durable, teardown),
        T(test_stop_runs_every_queued_job_before_returning),
        T(test_job_submitted_after_stop_began_completes_with_error),
        T(test_failed_batch_commit_rolls_back_and_fails_every_job),
        T(test_failed_nested_commit_fails_only_that_job),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
