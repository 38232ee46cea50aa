/* Per-API-key usage: the usage plan's token bucket and its quota counter.
 *
 * State is per key id in a small hash table under one mutex (lookups are a
 * hash and a compare; the bucket has its own lock). Periods are UTC: DAY
 * from midnight, WEEK from Monday, MONTH from the 1st; a counter from an
 * earlier period restarts at zero.
 *
 * Quota counters are persisted in the engine, through its public API only
 * (pt_engine_call / pt_call_start), in the reserved table GW_QUOTA_TABLE:
 * one item per key, period kind and period start, whose `used` attribute
 * only ever grows by UpdateItem ADD. The request path never waits for the
 * engine: it counts in memory (`used`), and a background thread adds the
 * difference to what was persisted (`flushed`) once a second — all dirty
 * keys' UpdateItems started together, so the writer commits them as one
 * group — and once more at close. A crash may forget up to a second of
 * counting (a key can exceed its quota by that much); ADD never loses what
 * was committed. At open the current periods' items are read back with a
 * Scan; items of past periods expire through the table's TTL (expiresAt,
 * 40 days after the period's start).
 *
 * The table is created at open when missing (and again if someone deleted
 * it meanwhile). A quota file of the former format (GW_QUOTA_FILE in the
 * data directory) is added into the engine once, then renamed *.migrated.
 *
 * Not done here: the table name is only reserved by documentation; nothing
 * stops a DynamoDB client from writing to it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gateway/gw_internal.h"
#include "util/error.h"

#define NBUCKETS 256
#define EXPIRE_AFTER_S (40 * 86400)

typedef struct key_state key_state_t;
struct key_state {
    key_state_t *next;
    char id[32];
    gw_bucket_t bucket;
    double rate, burst;        /* what the bucket was made with */
    bool bucket_init;
    int period;
    int64_t period_start;
    int64_t used;              /* counted in this period */
    int64_t flushed;           /* of which persisted (or being persisted) */
};

struct gw_usage {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    key_state_t *table[NBUCKETS];
    bool dirty;
    bool stop;
    pthread_t flusher;
    bool flusher_started;
    pt_engine_t *engine;
    bool warned;               /* a failed flush was logged */
};

static unsigned hash(const char *s)
{
    unsigned h = 2166136261u;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
    return h % NBUCKETS;
}

static key_state_t *get(gw_usage_t *u, const char *id)
{
    unsigned h = hash(id);
    for (key_state_t *k = u->table[h]; k; k = k->next)
        if (!strcmp(k->id, id)) return k;
    key_state_t *k = calloc(1, sizeof *k);
    if (!k) pt_oom();
    snprintf(k->id, sizeof k->id, "%s", id);
    k->period = -1;
    k->next = u->table[h];
    u->table[h] = k;
    return k;
}

static int64_t period_start(int period, time_t now)
{
    struct tm tm;
    gmtime_r(&now, &tm);
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    if (period == 1) {
        int back = (tm.tm_wday + 6) % 7; /* days since Monday */
        return (int64_t)timegm(&tm) - (int64_t)back * 86400;
    }
    if (period == 2) tm.tm_mday = 1;
    return (int64_t)timegm(&tm);
}

/* ---- the engine table ---- */

/* Runs one call; returns its status and (in *a) the parsed response. */
static int engine_call(gw_usage_t *u, const char *op, const pt_buf_t *body, pt_arena_t *a,
                       pt_json_t *resp)
{
    int status = 0;
    char *out = NULL;
    size_t len = 0;
    pt_engine_call(u->engine, op, body->data ? body->data : "{}", body->data ? body->len : 2,
                   &status, &out, &len);
    resp->type = PT_JSON_NULL;
    if (out && pt_json_parse(a, out, len, resp, NULL, 0)) resp->type = PT_JSON_NULL;
    free(out);
    return status;
}

static bool error_is(const pt_json_t *resp, const char *type)
{
    const pt_json_t *t = pt_json_get(resp, "__type");
    return t && t->type == PT_JSON_STRING && strstr(t->u.str, type) != NULL;
}

static void body_table_only(pt_buf_t *b)
{
    pt_buf_clear(b);
    pt_buf_puts(b, "{\"TableName\":\"" GW_QUOTA_TABLE "\"}");
}

/* DescribeTable, else CreateTable (+ TTL on expiresAt). */
static int ensure_table(gw_usage_t *u, char *errbuf, size_t errlen)
{
    pt_arena_t a;
    pt_arena_init(&a);
    pt_buf_t b = PT_BUF_INIT;
    pt_json_t r;
    body_table_only(&b);
    int rc = PT_OK;
    if (engine_call(u, "DescribeTable", &b, &a, &r) != 200) {
        pt_buf_clear(&b);
        pt_buf_puts(&b, "{\"TableName\":\"" GW_QUOTA_TABLE "\","
                        "\"AttributeDefinitions\":[{\"AttributeName\":\"k\",\"AttributeType\":\"S\"}],"
                        "\"KeySchema\":[{\"AttributeName\":\"k\",\"KeyType\":\"HASH\"}],"
                        "\"BillingMode\":\"PAY_PER_REQUEST\"}");
        if (engine_call(u, "CreateTable", &b, &a, &r) != 200 && !error_is(&r, "ResourceInUse")) {
            const pt_json_t *m = pt_json_get(&r, "message");
            snprintf(errbuf, errlen, "gateway: cannot create the quota table %s: %s", GW_QUOTA_TABLE,
                     m && m->type == PT_JSON_STRING ? m->u.str : "engine error");
            rc = PT_ERR;
        } else {
            pt_buf_clear(&b);
            pt_buf_puts(&b, "{\"TableName\":\"" GW_QUOTA_TABLE "\",\"TimeToLiveSpecification\":"
                            "{\"Enabled\":true,\"AttributeName\":\"expiresAt\"}}");
            (void)engine_call(u, "UpdateTimeToLive", &b, &a, &r); /* best effort */
        }
    }
    pt_buf_free(&b);
    pt_arena_destroy(&a);
    return rc;
}

static void item_key(char *out, size_t n, const char *id, int period, int64_t start)
{
    snprintf(out, n, "%s#%d#%lld", id, period, (long long)start);
}

/* Adds every key's unpersisted count to the engine: the UpdateItems are
 * started together and awaited together (one group commit). */
typedef struct pending {
    pt_call_t *call;
    pt_buf_t body;
    char id[32];
    int period;
    int64_t start, delta;
} pending_t;

typedef struct batch {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t left;
} batch_t;

static void batch_done(pt_call_t *call, void *userdata)
{
    batch_t *bt = userdata;
    pthread_mutex_lock(&bt->mu);
    bt->left--;
    pthread_cond_signal(&bt->cv);
    pthread_mutex_unlock(&bt->mu);
}

static void flush(gw_usage_t *u)
{
    pending_t *p = NULL;
    size_t n = 0, cap = 0;
    pthread_mutex_lock(&u->mu);
    u->dirty = false;
    for (int i = 0; i < NBUCKETS; i++)
        for (key_state_t *k = u->table[i]; k; k = k->next) {
            if (k->period < 0 || k->used <= k->flushed) continue;
            if (n == cap) {
                cap = cap ? cap * 2 : 16;
                p = realloc(p, cap * sizeof *p);
                if (!p) pt_oom();
            }
            pending_t *e = &p[n++];
            memset(e, 0, sizeof *e);
            snprintf(e->id, sizeof e->id, "%s", k->id);
            e->period = k->period;
            e->start = k->period_start;
            e->delta = k->used - k->flushed;
            k->flushed = k->used; /* taken back below if the write fails */
        }
    pthread_mutex_unlock(&u->mu);
    if (!n) return;

    batch_t bt = {.left = n};
    pthread_mutex_init(&bt.mu, NULL);
    pthread_cond_init(&bt.cv, NULL);
    for (size_t i = 0; i < n; i++) {
        pending_t *e = &p[i];
        char key[96];
        item_key(key, sizeof key, e->id, e->period, e->start);
        pt_jw_t w;
        pt_jw_init(&w, &e->body);
        pt_jw_obj_begin(&w);
        pt_jw_keyz(&w, "TableName"); pt_jw_strz(&w, GW_QUOTA_TABLE);
        pt_jw_keyz(&w, "Key");
        pt_jw_obj_begin(&w);
        pt_jw_keyz(&w, "k"); pt_jw_obj_begin(&w); pt_jw_keyz(&w, "S"); pt_jw_strz(&w, key); pt_jw_obj_end(&w);
        pt_jw_obj_end(&w);
        pt_jw_keyz(&w, "UpdateExpression"); pt_jw_strz(&w, "ADD used :d SET expiresAt = :e");
        pt_jw_keyz(&w, "ExpressionAttributeValues");
        pt_jw_obj_begin(&w);
        char num[32];
        snprintf(num, sizeof num, "%lld", (long long)e->delta);
        pt_jw_keyz(&w, ":d"); pt_jw_obj_begin(&w); pt_jw_keyz(&w, "N"); pt_jw_strz(&w, num); pt_jw_obj_end(&w);
        snprintf(num, sizeof num, "%lld", (long long)(e->start + EXPIRE_AFTER_S));
        pt_jw_keyz(&w, ":e"); pt_jw_obj_begin(&w); pt_jw_keyz(&w, "N"); pt_jw_strz(&w, num); pt_jw_obj_end(&w);
        pt_jw_obj_end(&w);
        pt_jw_obj_end(&w);
        e->call = pt_call_new();
        if (!e->call) pt_oom();
        pt_call_start(u->engine, e->call, "UpdateItem", 10, e->body.data, e->body.len, batch_done, &bt);
    }
    pthread_mutex_lock(&bt.mu);
    while (bt.left) pthread_cond_wait(&bt.cv, &bt.mu);
    pthread_mutex_unlock(&bt.mu);

    bool failed = false, missing = false;
    for (size_t i = 0; i < n; i++) {
        pending_t *e = &p[i];
        if (pt_call_status(e->call) != 200) {
            failed = true;
            const char *t = pt_call_error_type(e->call);
            if (t && strstr(t, "ResourceNotFound")) missing = true;
            /* Not persisted: count it again at the next flush. */
            pthread_mutex_lock(&u->mu);
            key_state_t *k = get(u, e->id);
            if (k->period == e->period && k->period_start == e->start) {
                k->flushed -= e->delta;
                u->dirty = true;
            }
            pthread_mutex_unlock(&u->mu);
        }
        pt_call_free(e->call);
        pt_buf_free(&e->body);
    }
    free(p);
    pthread_mutex_destroy(&bt.mu);
    pthread_cond_destroy(&bt.cv);
    if (failed && !u->warned) {
        u->warned = true;
        fprintf(stderr, "portico: gateway: cannot save quota counters in table %s%s; retrying\n",
                GW_QUOTA_TABLE, missing ? " (table missing: creating it again)" : "");
    }
    if (!failed) u->warned = false;
    if (missing) {
        char err[256];
        (void)ensure_table(u, err, sizeof err);
    }
}

static void *flusher(void *arg)
{
    gw_usage_t *u = arg;
    pthread_mutex_lock(&u->mu);
    while (!u->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 1;
        pthread_cond_timedwait(&u->cv, &u->mu, &ts);
        if (u->dirty && !u->stop) {
            pthread_mutex_unlock(&u->mu);
            flush(u);
            pthread_mutex_lock(&u->mu);
        }
    }
    pthread_mutex_unlock(&u->mu);
    return NULL;
}

/* Loads one counter (engine item or old file entry) if it is of a current
 * period. `persisted`: already in the engine (else it is to be written). */
static void load_counter(gw_usage_t *u, const char *id, int64_t period, int64_t start, int64_t used,
                         time_t now, bool persisted)
{
    if (period < 0 || period > 2 || used < 0 || start != period_start((int)period, now)) return;
    if (!id[0] || strlen(id) >= sizeof ((key_state_t *)0)->id) return;
    key_state_t *k = get(u, id);
    if (k->period >= 0) {
        if (k->period != period || k->period_start != start) return; /* another period kind: first wins */
        if (persisted) return; /* cannot happen: one item per key, kind, start */
        k->used += used;       /* old file on top of the engine's count */
        u->dirty = true;
        return;
    }
    k->period = (int)period;
    k->period_start = start;
    k->used = used;
    k->flushed = persisted ? used : 0;
    if (!persisted) u->dirty = true;
}

static int load_engine(gw_usage_t *u, time_t now, char *errbuf, size_t errlen)
{
    pt_buf_t b = PT_BUF_INIT;
    pt_buf_t last = PT_BUF_INIT; /* LastEvaluatedKey of the previous page */
    int rc = PT_OK;
    for (;;) {
        pt_arena_t a;
        pt_arena_init(&a);
        pt_buf_clear(&b);
        pt_buf_puts(&b, "{\"TableName\":\"" GW_QUOTA_TABLE "\"");
        if (last.len) {
            pt_buf_puts(&b, ",\"ExclusiveStartKey\":");
            pt_buf_append(&b, last.data, last.len);
        }
        pt_buf_puts(&b, "}");
        pt_json_t r;
        if (engine_call(u, "Scan", &b, &a, &r) != 200) {
            snprintf(errbuf, errlen, "gateway: cannot read the quota table %s", GW_QUOTA_TABLE);
            rc = PT_ERR;
            pt_arena_destroy(&a);
            break;
        }
        const pt_json_t *items = pt_json_get(&r, "Items");
        for (uint32_t i = 0; items && items->type == PT_JSON_ARRAY && i < items->len; i++) {
            const pt_json_t *it = &items->u.elems[i];
            const pt_json_t *k = pt_json_get(pt_json_get(it, "k"), "S");
            const pt_json_t *n = pt_json_get(pt_json_get(it, "used"), "N");
            int64_t used;
            if (!k || k->type != PT_JSON_STRING || !n || n->type != PT_JSON_STRING) continue;
            /* Numbers come back as strings in DynamoDB JSON. */
            char *end;
            used = strtoll(n->u.str, &end, 10);
            if (*end) continue;
            char id[64];
            long long per, start;
            const char *h1 = strchr(k->u.str, '#');
            if (!h1 || (size_t)(h1 - k->u.str) >= sizeof id) continue;
            memcpy(id, k->u.str, (size_t)(h1 - k->u.str));
            id[h1 - k->u.str] = 0;
            if (sscanf(h1 + 1, "%lld#%lld", &per, &start) != 2) continue;
            load_counter(u, id, per, start, used, now, true);
        }
        const pt_json_t *lek = pt_json_get(&r, "LastEvaluatedKey");
        pt_buf_clear(&last);
        if (lek && lek->type == PT_JSON_OBJECT) {
            pt_jw_t w;
            pt_jw_init(&w, &last);
            pt_jw_value(&w, lek);
        }
        pt_arena_destroy(&a);
        if (!last.len) break;
    }
    pt_buf_free(&b);
    pt_buf_free(&last);
    return rc;
}

/* The former quota file: its current counts go into the engine, then the
 * file is renamed so that it is never counted twice. */
static void migrate_file(gw_usage_t *u, const char *data_dir, time_t now)
{
    char path[4200], done[4300];
    snprintf(path, sizeof path, "%s/%s", data_dir, GW_QUOTA_FILE);
    FILE *f = fopen(path, "rb");
    if (!f) return;
    pt_buf_t b = PT_BUF_INIT;
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) pt_buf_append(&b, chunk, n);
    fclose(f);
    pt_arena_t a;
    pt_arena_init(&a);
    pt_json_t doc;
    if (b.len && pt_json_parse(&a, b.data, b.len, &doc, NULL, 0) == PT_OK && doc.type == PT_JSON_OBJECT) {
        for (uint32_t i = 0; i < doc.len; i++) {
            const pt_json_t *v = &doc.u.members[i].value;
            int64_t per, start, used;
            if (pt_json_int64(pt_json_get(v, "period"), &per) || pt_json_int64(pt_json_get(v, "start"), &start) ||
                pt_json_int64(pt_json_get(v, "used"), &used))
                continue;
            load_counter(u, doc.u.members[i].key, per, start, used, now, false);
        }
    } else if (b.len) {
        fprintf(stderr, "portico: gateway: %s is unreadable; not migrated\n", path);
    }
    pt_arena_destroy(&a);
    pt_buf_free(&b);
    flush(u);
    if (u->dirty) { /* the engine refused: keep the file for the next start */
        fprintf(stderr, "portico: gateway: could not migrate %s into the engine\n", path);
        return;
    }
    snprintf(done, sizeof done, "%s.migrated", path);
    if (rename(path, done))
        fprintf(stderr, "portico: gateway: cannot rename %s: %s\n", path, strerror(errno));
    else
        fprintf(stderr, "portico: gateway: quota counters of %s moved into table %s\n", path,
                GW_QUOTA_TABLE);
}

int gw_usage_open(const char *data_dir, pt_engine_t *engine, gw_usage_t **out, char *errbuf,
                  size_t errlen)
{
    *out = NULL;
    gw_usage_t *u = calloc(1, sizeof *u);
    if (!u) pt_oom();
    u->engine = engine;
    pthread_mutex_init(&u->mu, NULL);
    pthread_cond_init(&u->cv, NULL);
    time_t now = time(NULL);
    if (ensure_table(u, errbuf, errlen) || load_engine(u, now, errbuf, errlen)) {
        gw_usage_close(u);
        return PT_ERR;
    }
    migrate_file(u, data_dir, now);
    if (pthread_create(&u->flusher, NULL, flusher, u) == 0) u->flusher_started = true;
    *out = u;
    return PT_OK;
}

void gw_usage_close(gw_usage_t *u)
{
    if (!u) return;
    pthread_mutex_lock(&u->mu);
    u->stop = true;
    pthread_cond_signal(&u->cv);
    bool dirty = u->dirty;
    pthread_mutex_unlock(&u->mu);
    if (u->flusher_started) pthread_join(u->flusher, NULL);
    if (dirty) flush(u);
    for (int i = 0; i < NBUCKETS; i++) {
        key_state_t *k = u->table[i];
        while (k) {
            key_state_t *next = k->next;
            if (k->bucket_init) gw_bucket_destroy(&k->bucket);
            free(k);
            k = next;
        }
    }
    pthread_mutex_destroy(&u->mu);
    pthread_cond_destroy(&u->cv);
    free(u);
}

bool gw_usage_throttle(gw_usage_t *u, const char *key_id, const gw_plan_t *plan, uint64_t now_ns,
                       double *wait_s)
{
    pthread_mutex_lock(&u->mu);
    key_state_t *k = get(u, key_id);
    if (!k->bucket_init) {
        gw_bucket_init(&k->bucket, &plan->throttle);
        k->bucket_init = true;
    } else if (k->rate != plan->throttle.rate || k->burst != plan->throttle.burst) {
        /* The plan changed on reload: adjust in place (the bucket may be in
         * use by another thread, so it is never re-initialized). */
        pthread_mutex_lock(&k->bucket.mu);
        k->bucket.rate = plan->throttle.rate;
        k->bucket.burst = plan->throttle.burst;
        if (k->bucket.tokens > k->bucket.burst) k->bucket.tokens = k->bucket.burst;
        pthread_mutex_unlock(&k->bucket.mu);
    }
    k->rate = plan->throttle.rate;
    k->burst = plan->throttle.burst;
    pthread_mutex_unlock(&u->mu);
    /* Entries are never freed while the gateway runs: k stays valid. */
    return gw_bucket_take(&k->bucket, now_ns, wait_s);
}

void gw_usage_throttle_refund(gw_usage_t *u, const char *key_id)
{
    pthread_mutex_lock(&u->mu);
    key_state_t *k = get(u, key_id);
    pthread_mutex_unlock(&u->mu);
    if (k->bucket_init) gw_bucket_refund(&k->bucket);
}

bool gw_usage_quota(gw_usage_t *u, const char *key_id, const gw_plan_t *plan, int64_t *remaining)
{
    int64_t start = period_start(plan->quota_period, time(NULL));
    pthread_mutex_lock(&u->mu);
    key_state_t *k = get(u, key_id);
    if (k->period != plan->quota_period || k->period_start != start) {
        k->period = plan->quota_period;
        k->period_start = start;
        k->used = 0;
        k->flushed = 0;
    }
    bool ok = k->used < plan->quota_limit;
    if (ok) {
        k->used++;
        u->dirty = true;
    }
    *remaining = plan->quota_limit - k->used;
    pthread_mutex_unlock(&u->mu);
    return ok;
}
