/* Time to Live: expiry index maintenance and the sweeper thread (design
 * and DynamoDB's rules in ttl.h).
 *
 * Invariants:
 *  - while t->ttl_attr is set and t->ttl_backfill is clear, every item of
 *    the table whose TTL attribute passes pt_ttl_item_expiry (at the time
 *    of its last write) has its entry; entries may also be stale (their
 *    item was rewritten, e.g. while a purge was running): the expire job
 *    checks every entry against its item and removes the stale ones;
 *  - an entry key is a pure function of (table, expiry second, item key),
 *    so writing one twice (backfill racing a client write) is harmless;
 *  - all index changes happen on the writer thread; the sweeper thread
 *    only reads (in read transactions) and submits jobs, waiting for each
 *    before the next, so it has at most one job queued at any time.
 * What it does not do: expire items exactly on time (DynamoDB does not
 * either: deletion is a background process, and expired items are still
 * returned by reads until the sweeper deletes them). */
#include "engine/ttl.h"
#include "engine/worker.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/item_store.h"
#include "engine/key.h"
#include "engine/number.h"

/* ---- expiry values ---- */

/* Entries carry whole seconds; values of 10^15 s (thirty million years)
 * and more are left out, as are negative ones (far more than five years
 * past). */
#define MAX_INT_DIGITS 15
#define ENTRY_PREFIX_LEN 13   /* table id + index id + expiry */
/* Entry keys up to this length are the short form (item key suffix kept
 * whole); longer ones are cut to exactly TTL_MAX_ENTRY_KEY bytes with a hash,
 * so the two forms can never produce the same key. */
#define TTL_MAX_ENTRY_KEY 511 /* keeps entries within LMDB's native key size */
#define SHORT_ENTRY_MAX 503
#define LONG_SUFFIX_LEN (TTL_MAX_ENTRY_KEY - ENTRY_PREFIX_LEN - 8)

/* The TTL value of an item: true with its floor and exact value when the
 * attribute is a non-negative Number below 10^15. N text is canonical
 * (av.h): optional '-', digits, optional fraction, no exponent. */
static bool ttl_value(const pt_av_t *item, const char *attr, int64_t *floor_s, double *exact)
{
    const pt_av_t *v = pt_item_get(item, attr, strlen(attr));
    if (!v || v->type != PT_AV_N || v->len == 0 || v->u.str[0] == '-') return false;
    int64_t secs = 0;
    uint32_t i = 0;
    for (; i < v->len && v->u.str[i] != '.'; i++) {
        if (i >= MAX_INT_DIGITS || v->u.str[i] < '0' || v->u.str[i] > '9') return false;
        secs = secs * 10 + (v->u.str[i] - '0');
    }
    if (exact) {
        char text[PT_DEC_MAX_TEXT];
        uint32_t n = v->len < sizeof text - 1 ? v->len : (uint32_t)sizeof text - 1;
        memcpy(text, v->u.str, n);
        text[n] = 0;
        *exact = strtod(text, NULL);
    }
    *floor_s = secs;
    return true;
}

bool pt_ttl_item_expiry(const pt_av_t *item, const char *attr, int64_t now_s, int64_t *expiry_s)
{
    int64_t secs;
    if (!ttl_value(item, attr, &secs, NULL)) return false;
    /* Already more than five years old: can never be deleted, so never indexed. */
    if (secs + 1 < now_s - PT_TTL_MAX_AGE_S) return false;
    *expiry_s = secs;
    return true;
}

bool pt_ttl_item_expired(const pt_av_t *item, const char *attr, int64_t now_ms)
{
    int64_t secs;
    double exact;
    if (!ttl_value(item, attr, &secs, &exact)) return false;
    double now = (double)now_ms / 1000.0;
    return exact < now && exact >= now - (double)PT_TTL_MAX_AGE_S;
}

/* ---- entry keys ---- */

static void put_u64be(pt_buf_t *b, uint64_t v)
{
    pt_buf_put_u32be(b, (uint32_t)(v >> 32));
    pt_buf_put_u32be(b, (uint32_t)v);
}

static uint64_t get_u64be(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = (v << 8) | p[i];
    return v;
}

static uint64_t fnv1a64(const uint8_t *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

static void entry_prefix(uint32_t table_id, pt_buf_t *k)
{
    pt_buf_put_u32be(k, table_id);
    pt_buf_put_u8(k, PT_KEY_INDEX_TTL);
}

/* The entry of the item under `item_key` expiring at `expiry_s`; *needs_value
 * says whether the entry's value must hold the item key (long form). */
static void entry_key(uint32_t table_id, int64_t expiry_s, pt_slice_t item_key, pt_buf_t *k, bool *needs_value)
{
    const uint8_t *ik = item_key.data;
    size_t rest = item_key.len > PT_KEY_PREFIX_LEN - 4 ? item_key.len - (PT_KEY_PREFIX_LEN - 4) : 0;
    const uint8_t *suffix = ik + (item_key.len - rest);
    entry_prefix(table_id, k);
    put_u64be(k, (uint64_t)expiry_s);
    if (ENTRY_PREFIX_LEN + rest <= SHORT_ENTRY_MAX) {
        pt_buf_append(k, suffix, rest);
        *needs_value = false;
    } else {
        pt_buf_append(k, suffix, LONG_SUFFIX_LEN);
        put_u64be(k, fnv1a64(ik, item_key.len));
        *needs_value = true;
    }
}

/* The item key an entry points to, in arena memory. */
static pt_slice_t entry_item_key(pt_arena_t *arena, pt_slice_t entry, pt_slice_t value)
{
    if (value.len) return pt_slice(pt_arena_memdup(arena, value.data, value.len), value.len);
    size_t rest = entry.len - ENTRY_PREFIX_LEN;
    uint8_t *k = pt_arena_alloc(arena, 5 + rest);
    memcpy(k, entry.data, 4);
    k[4] = 0; /* the base table */
    memcpy(k + 5, (const uint8_t *)entry.data + ENTRY_PREFIX_LEN, rest);
    return pt_slice(k, 5 + rest);
}

static int put_entry(pt_txn_t *txn, uint32_t table_id, int64_t expiry_s, pt_slice_t item_key, pt_error_t *err)
{
    pt_buf_t k = PT_BUF_INIT;
    bool needs_value;
    entry_key(table_id, expiry_s, item_key, &k, &needs_value);
    int rc = pt_put(txn, pt_slice(k.data, k.len), needs_value ? item_key : pt_slice("", 0), err);
    pt_buf_free(&k);
    return rc;
}

static int del_entry(pt_txn_t *txn, uint32_t table_id, int64_t expiry_s, pt_slice_t item_key, pt_error_t *err)
{
    pt_buf_t k = PT_BUF_INIT;
    bool needs_value;
    entry_key(table_id, expiry_s, item_key, &k, &needs_value);
    int rc = pt_del(txn, pt_slice(k.data, k.len), err);
    pt_buf_free(&k);
    return rc == PT_NOTFOUND ? PT_OK : rc;
}

int pt_ttl_index_update(pt_txn_t *txn, const pt_table_t *t, pt_slice_t key, const pt_av_t *old_item,
                        const pt_av_t *new_item, pt_error_t *err)
{
    const char *attr = t->ttl_attr;
    if (!attr) return PT_OK;
    int64_t now_s = pt_now_ms() / 1000;
    int64_t old_exp = 0, new_exp = 0;
    /* The old entry is looked for whatever its age: it may have been
     * written when it was younger than five years. */
    bool had = old_item && ttl_value(old_item, attr, &old_exp, NULL);
    bool has = new_item && pt_ttl_item_expiry(new_item, attr, now_s, &new_exp);
    if (had && has && old_exp == new_exp) return PT_OK;
    int rc = PT_OK;
    if (had && (rc = del_entry(txn, t->id, old_exp, key, err))) return rc;
    if (has) rc = put_entry(txn, t->id, new_exp, key, err);
    return rc;
}

/* ---- the sweeper ---- */

struct pt_ttl {
    pt_engine_t *engine;
    pt_worker_t worker;
    atomic_uint_fast64_t expired;
    atomic_uint_fast64_t sweeps;
};

enum { JOB_PURGE, JOB_BACKFILL, JOB_EXPIRE };

typedef struct entry {
    pt_slice_t key, value;
} entry_t;

typedef struct ttl_job {
    pt_sync_job_t sync;        /* first: the writer hands us &sync.job */
    int kind;
    pt_table_t *table;
    pt_arena_t arena;          /* entries, copies of keys */
    pt_arena_t scratch;        /* one decoded item at a time */
    entry_t *entries;          /* JOB_EXPIRE input */
    uint32_t nentries;
    /* results */
    bool finished;             /* PURGE/BACKFILL: nothing left to do */
    uint32_t changed;          /* EXPIRE: entries consumed (deleted or stale) */
    uint32_t expired;          /* EXPIRE: items deleted */
} ttl_job_t;

/* Changes a persisted TTL flag and saves the definition; on failure the
 * flag is restored, so memory never runs ahead of the store. */
static int set_flag(pt_txn_t *txn, pt_table_t *t, bool *flag, bool value, pt_error_t *err)
{
    bool before = *flag;
    pthread_mutex_lock(&t->meta_lock);
    *flag = value;
    pthread_mutex_unlock(&t->meta_lock);
    int rc = pt_catalog_save(txn, t, err);
    if (rc) {
        pthread_mutex_lock(&t->meta_lock);
        *flag = before;
        pthread_mutex_unlock(&t->meta_lock);
    }
    return rc;
}

/* Deletes up to PT_TTL_BATCH entries of the table's expiry index. */
static int apply_purge(ttl_job_t *j, pt_txn_t *txn)
{
    pt_table_t *t = j->table;
    pt_buf_t prefix = PT_BUF_INIT;
    entry_prefix(t->id, &prefix);
    int rc = pt_del_prefix(txn, pt_slice(prefix.data, prefix.len), PT_TTL_BATCH, &j->finished, &j->sync.err);
    if (rc == PT_OK && j->finished) rc = set_flag(txn, t, &t->ttl_purge, false, &j->sync.err);
    pt_buf_free(&prefix);
    return rc;
}

/* Indexes up to PT_TTL_BATCH items after t->ttl_backfill_pos. */
static int apply_backfill(ttl_job_t *j, pt_txn_t *txn)
{
    pt_table_t *t = j->table;
    if (t->ttl_purge) return PT_OK; /* the purge would delete what we add */
    pt_buf_t prefix = PT_BUF_INIT;
    pt_cursor_t *cur = NULL;
    uint8_t *last = NULL;
    size_t last_len = 0;
    pt_key_table_prefix(t->id, 0, &prefix);
    int64_t now_s = pt_now_ms() / 1000;
    int rc = pt_cursor_open(txn, &cur, &j->sync.err);
    if (rc) goto done;
    pt_slice_t k, v;
    bool resume = t->ttl_backfill_pos_len > 0;
    pt_slice_t from = resume ? pt_slice(t->ttl_backfill_pos, t->ttl_backfill_pos_len)
                             : pt_slice(prefix.data, prefix.len);
    rc = pt_cursor_seek(cur, from, &k, &v, &j->sync.err);
    if (rc == PT_OK && resume && k.len == from.len && !memcmp(k.data, from.data, from.len))
        rc = pt_cursor_next(cur, &k, &v, &j->sync.err);
    uint32_t n = 0;
    while (rc == PT_OK && n < PT_TTL_BATCH && k.len >= prefix.len && !memcmp(k.data, prefix.data, prefix.len)) {
        pt_arena_reset(&j->scratch);
        pt_av_t item;
        const uint8_t *p = v.data;
        if (v.len < 4 || pt_item_decode(&j->scratch, p + 4, v.len - 4, &item, &j->sync.err)) {
            if (v.len < 4) pt_error_set(&j->sync.err, PT_E_INTERNAL, "corrupt item: short value");
            rc = PT_ERR;
            goto done;
        }
        int64_t exp;
        if (pt_ttl_item_expiry(&item, t->ttl_attr, now_s, &exp)) {
            /* put_entry may invalidate k (a write in this transaction): copy first */
            last = realloc(last, k.len);
            if (!last) pt_oom();
            memcpy(last, k.data, k.len);
            last_len = k.len;
            if ((rc = put_entry(txn, t->id, exp, pt_slice(last, last_len), &j->sync.err))) goto done;
            if ((rc = pt_cursor_seek(cur, pt_slice(last, last_len), &k, &v, &j->sync.err))) goto done;
        } else {
            last = realloc(last, k.len);
            if (!last) pt_oom();
            memcpy(last, k.data, k.len);
            last_len = k.len;
        }
        n++;
        rc = pt_cursor_next(cur, &k, &v, &j->sync.err);
    }
    if (rc == PT_ERR) goto done;
    j->finished = rc == PT_NOTFOUND || k.len < prefix.len || memcmp(k.data, prefix.data, prefix.len);
    rc = PT_OK;
    if (j->finished) {
        if ((rc = set_flag(txn, t, &t->ttl_backfill, false, &j->sync.err))) goto done;
        free(t->ttl_backfill_pos);
        t->ttl_backfill_pos = NULL;
        t->ttl_backfill_pos_len = 0;
    } else if (last) {
        free(t->ttl_backfill_pos);
        t->ttl_backfill_pos = last;
        t->ttl_backfill_pos_len = last_len;
        last = NULL;
    }
done:
    free(last);
    if (cur) pt_cursor_close(cur);
    pt_buf_free(&prefix);
    return rc;
}

/* Deletes the items of the collected entries that are still expired. */
static int apply_expire(ttl_job_t *j, pt_txn_t *txn)
{
    pt_table_t *t = j->table;
    const char *attr = t->ttl_attr;
    if (!attr) return PT_OK; /* disabled since the entries were read */
    int64_t now_ms = pt_now_ms();
    pt_buf_t cur_key = PT_BUF_INIT;
    int rc = PT_OK;
    for (uint32_t i = 0; i < j->nentries; i++) {
        const entry_t *e = &j->entries[i];
        pt_arena_reset(&j->scratch);
        pt_slice_t item_key = entry_item_key(&j->scratch, e->key, e->value);
        pt_stored_item_t old;
        rc = pt_item_read(txn, &j->scratch, item_key, &old, &j->sync.err);
        if (rc == PT_ERR) goto done;
        bool current = false;
        if (rc == PT_OK) {
            int64_t exp;
            bool needs_value;
            pt_buf_clear(&cur_key);
            if (ttl_value(&old.item, attr, &exp, NULL)) {
                entry_key(t->id, exp, item_key, &cur_key, &needs_value);
                current = cur_key.len == e->key.len && !memcmp(cur_key.data, e->key.data, e->key.len);
            }
        }
        if (!current) {
            /* the item is gone or was rewritten with another expiry */
            rc = pt_del(txn, e->key, &j->sync.err);
            if (rc == PT_ERR) goto done;
            j->changed++;
        } else if (pt_ttl_item_expired(&old.item, attr, now_ms)) {
            /* also removes the entry (pt_ttl_index_update) */
            if ((rc = pt_item_write_ex(txn, t, item_key, &old, NULL, PT_WRITE_TTL, &j->sync.err))) goto done;
            j->changed++;
            j->expired++;
        }
        rc = PT_OK;
    }
done:
    pt_buf_free(&cur_key);
    return rc;
}

static int job_apply(pt_write_job_t *job, pt_txn_t *txn)
{
    ttl_job_t *j = (ttl_job_t *)job;
    if (atomic_load(&j->table->deleted)) {
        j->finished = true;
        return PT_OK;
    }
    switch (j->kind) {
    case JOB_PURGE: return apply_purge(j, txn);
    case JOB_BACKFILL: return apply_backfill(j, txn);
    default: return apply_expire(j, txn);
    }
}

static void job_init(ttl_job_t *j, int kind, pt_table_t *t)
{
    memset(j, 0, sizeof *j);
    j->kind = kind;
    j->table = t;
    j->sync.job.apply = job_apply;
    pt_arena_init(&j->arena);
    pt_arena_init(&j->scratch);
}

static void job_destroy(ttl_job_t *j)
{
    pt_arena_destroy(&j->arena);
    pt_arena_destroy(&j->scratch);
}

/* Submits the job and waits for its completion; returns its result. */
static int run_job(pt_ttl_t *s, ttl_job_t *j)
{
    int rc = pt_sync_job_run(s->engine->writer, &j->sync);
    if (rc && j->sync.err.message[0])
        fprintf(stderr, "portico: ttl: %s job on table %s failed: %s\n",
                j->kind == JOB_PURGE ? "purge" : j->kind == JOB_BACKFILL ? "backfill" : "expire", j->table->name,
                j->sync.err.message);
    return rc;
}

/* Reads up to PT_TTL_BATCH due entries of `t` into the job. */
static int collect_due(pt_ttl_t *s, pt_table_t *t, ttl_job_t *j)
{
    pt_txn_t *txn;
    pt_cursor_t *cur = NULL;
    pt_buf_t from = PT_BUF_INIT;
    int64_t now_s = pt_now_ms() / 1000;
    int64_t oldest = now_s - PT_TTL_MAX_AGE_S;
    int rc = pt_txn_begin(s->engine->store, PT_TXN_READ, NULL, &txn, &j->sync.err);
    if (rc) return rc;
    entry_prefix(t->id, &from);
    put_u64be(&from, (uint64_t)(oldest > 0 ? oldest : 0));
    j->entries = pt_arena_alloc(&j->arena, sizeof *j->entries * PT_TTL_BATCH);
    if ((rc = pt_cursor_open(txn, &cur, &j->sync.err))) goto done;
    pt_slice_t k, v;
    rc = pt_cursor_seek(cur, pt_slice(from.data, from.len), &k, &v, &j->sync.err);
    while (rc == PT_OK && j->nentries < PT_TTL_BATCH && k.len > ENTRY_PREFIX_LEN && !memcmp(k.data, from.data, 5) &&
           get_u64be((const uint8_t *)k.data + 5) <= (uint64_t)now_s) {
        entry_t *e = &j->entries[j->nentries++];
        e->key = pt_slice(pt_arena_memdup(&j->arena, k.data, k.len), k.len);
        e->value = pt_slice(v.len ? pt_arena_memdup(&j->arena, v.data, v.len) : "", v.len);
        rc = pt_cursor_next(cur, &k, &v, &j->sync.err);
    }
    if (rc == PT_NOTFOUND) rc = PT_OK;
done:
    if (cur) pt_cursor_close(cur);
    pt_txn_abort(txn);
    pt_buf_free(&from);
    return rc;
}

static bool stopping(pt_ttl_t *s) { return pt_worker_stopping(&s->worker); }

/* Runs PURGE or BACKFILL jobs until the work is finished. */
static void run_until_finished(pt_ttl_t *s, pt_table_t *t, int kind)
{
    while (!stopping(s)) {
        ttl_job_t j;
        job_init(&j, kind, t);
        int rc = run_job(s, &j);
        bool finished = j.finished;
        job_destroy(&j);
        if (rc || finished) break;
    }
}

static void sweep_table(pt_ttl_t *s, pt_table_t *t)
{
    pthread_mutex_lock(&t->meta_lock);
    bool purge = t->ttl_purge, backfill = t->ttl_backfill, enabled = t->ttl_attr != NULL;
    pthread_mutex_unlock(&t->meta_lock);
    if (purge) run_until_finished(s, t, JOB_PURGE);
    if (!enabled) return;
    if (backfill) run_until_finished(s, t, JOB_BACKFILL);
    while (!stopping(s) && !atomic_load(&t->deleted)) {
        ttl_job_t j;
        job_init(&j, JOB_EXPIRE, t);
        int rc = collect_due(s, t, &j);
        uint32_t n = j.nentries;
        if (!rc && n) rc = run_job(s, &j);
        if (!rc && j.expired) atomic_fetch_add(&s->expired, j.expired);
        /* Stop when nothing more is due, or nothing could be done (the due
         * entries are all within their last second: next period). */
        bool again = !rc && n == PT_TTL_BATCH && j.changed > 0;
        job_destroy(&j);
        if (!again) break;
    }
}

static void sweep_once(pt_ttl_t *s)
{
    pt_catalog_t *c = &s->engine->catalog;
    pt_table_t **work = NULL;
    uint32_t n = 0;
    pthread_rwlock_rdlock(&c->lock);
    if (c->ntables) {
        work = malloc(sizeof *work * c->ntables);
        if (!work) pt_oom();
    }
    for (uint32_t i = 0; i < c->ntables; i++) {
        pt_table_t *t = c->tables[i];
        pthread_mutex_lock(&t->meta_lock);
        bool busy = t->ttl_attr || t->ttl_purge;
        pthread_mutex_unlock(&t->meta_lock);
        if (busy) {
            atomic_fetch_add(&t->refs, 1);
            work[n++] = t;
        }
    }
    pthread_rwlock_unlock(&c->lock);
    for (uint32_t i = 0; i < n; i++) {
        if (!stopping(s)) sweep_table(s, work[i]);
        pt_table_release(work[i]);
    }
    free(work);
    atomic_fetch_add(&s->sweeps, 1);
}

static void sweeper_work(void *arg) { sweep_once(arg); }

int pt_ttl_start(pt_engine_t *e, uint64_t period_ms, pt_ttl_t **out, pt_error_t *err)
{
    pt_ttl_t *s = calloc(1, sizeof *s);
    if (!s) pt_oom();
    s->engine = e;
    atomic_init(&s->expired, 0);
    atomic_init(&s->sweeps, 0);
    if (pt_worker_start(&s->worker, "TTL sweeper", period_ms ? period_ms : PT_TTL_DEFAULT_PERIOD_MS, false,
                        sweeper_work, s, err)) {
        free(s);
        return PT_ERR;
    }
    *out = s;
    return PT_OK;
}

void pt_ttl_stop(pt_ttl_t *s)
{
    if (!s) return;
    pt_worker_stop(&s->worker);
    free(s);
}

void pt_ttl_kick(pt_ttl_t *s)
{
    if (s) pt_worker_kick(&s->worker);
}

void pt_ttl_stats(const pt_ttl_t *s, uint64_t *expired, uint64_t *sweeps)
{
    pt_ttl_t *m = (pt_ttl_t *)s;
    if (expired) *expired = s ? atomic_load(&m->expired) : 0;
    if (sweeps) *sweeps = s ? atomic_load(&m->sweeps) : 0;
}
