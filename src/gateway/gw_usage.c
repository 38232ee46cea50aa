/* Per-API-key usage: the usage plan's token bucket and its quota counter.
 *
 * State is per key id in a small hash table under one mutex (lookups are a
 * hash and a compare; the bucket has its own lock). Quota counters survive
 * restarts: a background thread writes them to GW_QUOTA_FILE in the data
 * directory (temporary file + rename) once a second when they changed, and
 * once more at close. A crash may therefore forget up to a second of
 * counted requests, which lets a key exceed its quota by that much; it never
 * corrupts the file. Periods are UTC: DAY from midnight, WEEK from Monday,
 * MONTH from the 1st; a counter from an earlier period restarts at zero. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gateway/gw_internal.h"
#include "util/error.h"

#define NBUCKETS 256

typedef struct key_state key_state_t;
struct key_state {
    key_state_t *next;
    char id[32];
    gw_bucket_t bucket;
    double rate, burst;        /* what the bucket was made with */
    bool bucket_init;
    int period;
    int64_t period_start;
    int64_t used;
};

struct gw_usage {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    key_state_t *table[NBUCKETS];
    bool dirty;
    bool stop;
    pthread_t flusher;
    bool flusher_started;
    char *path;
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

static void save(gw_usage_t *u)
{
    pt_buf_t b = PT_BUF_INIT;
    pt_jw_t w;
    pt_jw_init(&w, &b);
    pthread_mutex_lock(&u->mu);
    u->dirty = false;
    pt_jw_obj_begin(&w);
    for (int i = 0; i < NBUCKETS; i++)
        for (key_state_t *k = u->table[i]; k; k = k->next) {
            if (k->period < 0) continue;
            pt_jw_keyz(&w, k->id);
            pt_jw_obj_begin(&w);
            pt_jw_keyz(&w, "period"); pt_jw_int(&w, k->period);
            pt_jw_keyz(&w, "start"); pt_jw_int(&w, k->period_start);
            pt_jw_keyz(&w, "used"); pt_jw_int(&w, k->used);
            pt_jw_obj_end(&w);
        }
    pt_jw_obj_end(&w);
    pthread_mutex_unlock(&u->mu);
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", u->path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd >= 0) {
        bool ok = write(fd, b.data, b.len) == (ssize_t)b.len && fdatasync(fd) == 0;
        close(fd);
        if (!ok || rename(tmp, u->path)) {
            unlink(tmp);
            fprintf(stderr, "portico: gateway: cannot save quota counters to %s\n", u->path);
        }
    }
    pt_buf_free(&b);
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
            save(u);
            pthread_mutex_lock(&u->mu);
        }
    }
    pthread_mutex_unlock(&u->mu);
    return NULL;
}

static void load(gw_usage_t *u)
{
    FILE *f = fopen(u->path, "rb");
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
            key_state_t *k = get(u, doc.u.members[i].key);
            k->period = (int)per;
            k->period_start = start;
            k->used = used;
        }
    } else if (b.len) {
        fprintf(stderr, "portico: gateway: %s is unreadable; quota counters start at zero\n", u->path);
    }
    pt_arena_destroy(&a);
    pt_buf_free(&b);
}

int gw_usage_open(const char *data_dir, gw_usage_t **out)
{
    gw_usage_t *u = calloc(1, sizeof *u);
    if (!u) pt_oom();
    size_t n = strlen(data_dir) + sizeof GW_QUOTA_FILE + 2;
    u->path = malloc(n);
    if (!u->path) pt_oom();
    snprintf(u->path, n, "%s/%s", data_dir, GW_QUOTA_FILE);
    pthread_mutex_init(&u->mu, NULL);
    pthread_cond_init(&u->cv, NULL);
    load(u);
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
    if (dirty) save(u);
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
    free(u->path);
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
