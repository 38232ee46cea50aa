/* The catalog: table definitions and statistics, persisted under table id 0
 * and mirrored in memory (see engine.h for the locking and lifetime rules).
 *
 * Stored records (all keys start with four zero bytes, the catalog's table id):
 *   00000000 'T' <name>      -> table definition (JSON, versioned by "v")
 *   00000000 'S' <id u32 BE> -> item_count, size_bytes (2 x int64 BE)
 *   00000000 'G' <id u32 BE> -> the table's tags (JSON [[key, value], ...],
 *                               sorted by key; absent when there are none)
 *   00000000 'I'             -> next table id (u32 BE)
 *   00000000 'X' <id u32 BE> <index id u8>
 *                            -> a secondary index's item_count, size_bytes
 *   00000000 'K' <token>     -> TransactWriteItems ClientRequestToken: created ms,
 *                               request hash (written by src/api/transact.c)
 *   00000000 'k' <created ms> <token> -> the same tokens in expiry order
 * Definition fields added after version 1 (deletion protection, TTL,
 * throughput timestamps) are optional members with defaults, so records
 * written before them still load unchanged.
 * Table ids are never reused, so a deleted table's leftover keys (if any)
 * can never surface in a new table. */
#include "engine/engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "engine/av.h"
#include "engine/index.h"
#include "engine/key.h"
#include "engine/stream.h"

int64_t pt_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Catalog records (table id 0): 'T' + name: table definitions; 'I': the
 * next id; 'S', 'X' + id: statistics; 'G' + id: tags; 'D' + id: streams
 * of deleted tables (engine/stream.c); 'B' + id: backups
 * (api/backups.c); 'K' + token and 'k' + expiry time + token: transaction idempotency
 * tokens (api/transact.c). */
static void meta_key(pt_buf_t *b, char kind)
{
    pt_buf_put_u32be(b, 0);
    pt_buf_putc(b, kind);
}

void pt_catalog_meta_key(pt_buf_t *b, char kind) { meta_key(b, kind); }

pt_table_t *pt_table_new(void)
{
    pt_table_t *t = calloc(1, sizeof *t);
    if (!t) pt_oom();
    atomic_init(&t->refs, 1);
    atomic_init(&t->deleted, false);
    pthread_mutex_init(&t->meta_lock, NULL);
    return t;
}

void pt_index_free(pt_index_t *ix)
{
    if (!ix) return;
    free(ix->name);
    free(ix->hash.name);
    free(ix->range.name);
    for (uint32_t i = 0; i < ix->ninclude; i++) free(ix->include[i]);
    free(ix->include);
    free(ix->backfill_pos);
    free(ix);
}

static void table_free(pt_table_t *t)
{
    for (uint32_t i = 0; i < t->nindexes; i++) pt_index_free(t->indexes[i]);
    while (t->retired) {
        pt_index_t *next = t->retired->next_retired;
        pt_index_free(t->retired);
        t->retired = next;
    }
    free(t->name);
    free(t->hash.name);
    free(t->range.name);
    for (uint32_t i = 0; i < t->nattrs; i++) free(t->attrs[i].name);
    free(t->attrs);
    free(t->ttl_attr);
    free(t->ttl_backfill_pos);
    pthread_mutex_destroy(&t->meta_lock);
    free(t);
}

void pt_table_release(pt_table_t *t)
{
    if (t && atomic_fetch_sub(&t->refs, 1) == 1) table_free(t);
}

static int name_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    if (c) return c;
    return alen < blen ? -1 : alen > blen;
}

/* Index of the first table whose name is >= name. Caller holds the lock. */
static uint32_t lower_bound(const pt_catalog_t *c, const char *name, size_t len)
{
    uint32_t lo = 0, hi = c->ntables;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        const char *n = c->tables[mid]->name;
        if (name_cmp(n, strlen(n), name, len) < 0) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

pt_table_t *pt_catalog_get(pt_engine_t *e, const char *name, size_t len)
{
    pt_catalog_t *c = &e->catalog;
    pthread_rwlock_rdlock(&c->lock);
    pt_table_t *t = NULL;
    uint32_t i = lower_bound(c, name, len);
    if (i < c->ntables && !name_cmp(c->tables[i]->name, strlen(c->tables[i]->name), name, len)) {
        t = c->tables[i];
        atomic_fetch_add(&t->refs, 1);
    }
    pthread_rwlock_unlock(&c->lock);
    return t;
}

int pt_catalog_list(pt_engine_t *e, pt_arena_t *arena, const char *start, size_t start_len, int limit,
                    const char ***names, int *count, bool *more)
{
    pt_catalog_t *c = &e->catalog;
    pthread_rwlock_rdlock(&c->lock);
    uint32_t i = 0;
    if (start) {
        i = lower_bound(c, start, start_len);
        if (i < c->ntables && !name_cmp(c->tables[i]->name, strlen(c->tables[i]->name), start, start_len)) i++;
    }
    uint32_t avail = c->ntables - i;
    uint32_t n = avail < (uint32_t)limit ? avail : (uint32_t)limit;
    const char **out = pt_arena_alloc(arena, sizeof *out * (n ? n : 1));
    for (uint32_t k = 0; k < n; k++) out[k] = pt_arena_strndup(arena, c->tables[i + k]->name, strlen(c->tables[i + k]->name));
    *names = out;
    *count = (int)n;
    *more = avail > n;
    pthread_rwlock_unlock(&c->lock);
    return PT_OK;
}

static void insert_locked(pt_catalog_t *c, pt_table_t *t)
{
    if (c->ntables == c->cap) {
        uint32_t cap = c->cap ? c->cap * 2 : 16;
        pt_table_t **p = realloc(c->tables, cap * sizeof *p);
        if (!p) pt_oom();
        c->tables = p;
        c->cap = cap;
    }
    uint32_t i = lower_bound(c, t->name, strlen(t->name));
    memmove(&c->tables[i + 1], &c->tables[i], (c->ntables - i) * sizeof *c->tables);
    c->tables[i] = t;
    c->ntables++;
}

/* ---- persistence ---- */

static void encode_def(const pt_table_t *t, pt_buf_t *out)
{
    pt_jw_t w;
    pt_jw_init(&w, out);
    pt_jw_obj_begin(&w);
    pt_jw_keyz(&w, "v"); pt_jw_int(&w, 1);
    pt_jw_keyz(&w, "name"); pt_jw_strz(&w, t->name);
    pt_jw_keyz(&w, "id"); pt_jw_int(&w, t->id);
    pt_jw_keyz(&w, "uuid"); pt_jw_strz(&w, t->uuid);
    pt_jw_keyz(&w, "hash"); pt_jw_arr_begin(&w); pt_jw_strz(&w, t->hash.name); pt_jw_int(&w, t->hash.type); pt_jw_arr_end(&w);
    if (t->range.name) {
        pt_jw_keyz(&w, "range"); pt_jw_arr_begin(&w); pt_jw_strz(&w, t->range.name); pt_jw_int(&w, t->range.type); pt_jw_arr_end(&w);
    }
    pt_jw_keyz(&w, "attrs");
    pt_jw_arr_begin(&w);
    for (uint32_t i = 0; i < t->nattrs; i++) {
        pt_jw_arr_begin(&w); pt_jw_strz(&w, t->attrs[i].name); pt_jw_int(&w, t->attrs[i].type); pt_jw_arr_end(&w);
    }
    pt_jw_arr_end(&w);
    pt_jw_keyz(&w, "created"); pt_jw_int(&w, t->created_ms);
    pt_jw_keyz(&w, "ppr"); pt_jw_bool(&w, t->pay_per_request);
    pt_jw_keyz(&w, "rcu"); pt_jw_int(&w, t->rcu);
    pt_jw_keyz(&w, "wcu"); pt_jw_int(&w, t->wcu);
    pt_jw_keyz(&w, "billing_changed"); pt_jw_int(&w, t->billing_changed_ms);
    if (t->deletion_protection) { pt_jw_keyz(&w, "dp"); pt_jw_bool(&w, true); }
    if (t->last_increase_ms) { pt_jw_keyz(&w, "inc"); pt_jw_int(&w, t->last_increase_ms); }
    if (t->last_decrease_ms) { pt_jw_keyz(&w, "dec"); pt_jw_int(&w, t->last_decrease_ms); }
    if (t->ttl_attr) { pt_jw_keyz(&w, "ttl"); pt_jw_strz(&w, t->ttl_attr); }
    if (t->ttl_backfill) { pt_jw_keyz(&w, "ttl_backfill"); pt_jw_bool(&w, true); }
    if (t->ttl_purge) { pt_jw_keyz(&w, "ttl_purge"); pt_jw_bool(&w, true); }
    if (t->nindexes) {
        pt_jw_keyz(&w, "ix");
        pt_jw_arr_begin(&w);
        for (uint32_t i = 0; i < t->nindexes; i++) {
            const pt_index_t *ix = t->indexes[i];
            pt_jw_obj_begin(&w);
            pt_jw_keyz(&w, "n"); pt_jw_strz(&w, ix->name);
            pt_jw_keyz(&w, "id"); pt_jw_int(&w, ix->id);
            pt_jw_keyz(&w, "g"); pt_jw_bool(&w, ix->global);
            pt_jw_keyz(&w, "h"); pt_jw_arr_begin(&w); pt_jw_strz(&w, ix->hash.name); pt_jw_int(&w, ix->hash.type); pt_jw_arr_end(&w);
            if (ix->range.name) {
                pt_jw_keyz(&w, "r"); pt_jw_arr_begin(&w); pt_jw_strz(&w, ix->range.name); pt_jw_int(&w, ix->range.type); pt_jw_arr_end(&w);
            }
            pt_jw_keyz(&w, "p"); pt_jw_int(&w, ix->projection);
            if (ix->ninclude) {
                pt_jw_keyz(&w, "inc");
                pt_jw_arr_begin(&w);
                for (uint32_t k = 0; k < ix->ninclude; k++) pt_jw_strz(&w, ix->include[k]);
                pt_jw_arr_end(&w);
            }
            pt_jw_keyz(&w, "rcu"); pt_jw_int(&w, ix->rcu);
            pt_jw_keyz(&w, "wcu"); pt_jw_int(&w, ix->wcu);
            if (ix->backfilling) { pt_jw_keyz(&w, "bf"); pt_jw_bool(&w, true); }
            pt_jw_obj_end(&w);
        }
        pt_jw_arr_end(&w);
    }
    if (t->index_purge) { pt_jw_keyz(&w, "ixpurge"); pt_jw_int(&w, t->index_purge); }
    if (t->stream_view) {
        pt_jw_keyz(&w, "stream");
        pt_jw_arr_begin(&w);
        pt_jw_int(&w, t->stream_view);
        pt_jw_bool(&w, t->stream_enabled);
        pt_jw_int(&w, t->stream_created_ms);
        pt_jw_int(&w, (int64_t)t->stream_start_seq);
        pt_jw_int(&w, (int64_t)t->stream_end_seq);
        pt_jw_int(&w, t->stream_closed_ms);
        pt_jw_arr_end(&w);
    }
    if (t->pitr_enabled) {
        pt_jw_keyz(&w, "pitr");
        pt_jw_arr_begin(&w);
        pt_jw_int(&w, t->pitr_since_ms);
        pt_jw_int(&w, t->pitr_days);
        pt_jw_arr_end(&w);
    }
    if (t->nstream_old) {
        pt_jw_keyz(&w, "stream_old");
        pt_jw_arr_begin(&w);
        for (uint32_t i = 0; i < t->nstream_old; i++) {
            const struct pt_stream_old *o = &t->stream_old[i];
            pt_jw_arr_begin(&w);
            pt_jw_int(&w, o->view);
            pt_jw_int(&w, o->created_ms);
            pt_jw_int(&w, o->closed_ms);
            pt_jw_int(&w, (int64_t)o->start_seq);
            pt_jw_int(&w, (int64_t)o->end_seq);
            pt_jw_arr_end(&w);
        }
        pt_jw_arr_end(&w);
    }
    pt_jw_obj_end(&w);
}

static char *dup_json_str(const pt_json_t *v)
{
    if (!v || v->type != PT_JSON_STRING) return NULL;
    return strndup(v->u.str, v->len);
}

static int64_t json_i64(const pt_json_t *v)
{
    int64_t x = 0;
    if (v) pt_json_int64(v, &x);
    return x;
}

static int decode_attr(const pt_json_t *v, pt_attr_def_t *a)
{
    if (!v || v->type != PT_JSON_ARRAY || v->len != 2) return PT_ERR;
    a->name = dup_json_str(&v->u.elems[0]);
    a->type = (uint8_t)json_i64(&v->u.elems[1]);
    return a->name ? PT_OK : PT_ERR;
}

static int decode_def(const void *data, size_t len, pt_table_t **out, pt_error_t *err)
{
    pt_arena_t arena;
    pt_arena_init(&arena);
    pt_json_t j;
    char msg[128];
    int rc = PT_ERR;
    pt_table_t *t = pt_table_new();
    if (pt_json_parse(&arena, data, len, &j, msg, sizeof msg) || j.type != PT_JSON_OBJECT) goto done;
    t->name = dup_json_str(pt_json_get(&j, "name"));
    const pt_json_t *uuid = pt_json_get(&j, "uuid");
    if (!t->name || !uuid || uuid->type != PT_JSON_STRING || uuid->len >= sizeof t->uuid) goto done;
    memcpy(t->uuid, uuid->u.str, uuid->len);
    t->id = (uint32_t)json_i64(pt_json_get(&j, "id"));
    if (decode_attr(pt_json_get(&j, "hash"), &t->hash)) goto done;
    if (pt_json_get(&j, "range") && decode_attr(pt_json_get(&j, "range"), &t->range)) goto done;
    const pt_json_t *attrs = pt_json_get(&j, "attrs");
    if (!attrs || attrs->type != PT_JSON_ARRAY) goto done;
    t->attrs = calloc(attrs->len ? attrs->len : 1, sizeof *t->attrs);
    if (!t->attrs) pt_oom();
    for (uint32_t i = 0; i < attrs->len; i++) {
        if (decode_attr(&attrs->u.elems[i], &t->attrs[i])) goto done;
        t->nattrs++;
    }
    t->created_ms = json_i64(pt_json_get(&j, "created"));
    const pt_json_t *ppr = pt_json_get(&j, "ppr");
    t->pay_per_request = ppr && ppr->type == PT_JSON_TRUE;
    t->rcu = json_i64(pt_json_get(&j, "rcu"));
    t->wcu = json_i64(pt_json_get(&j, "wcu"));
    t->billing_changed_ms = json_i64(pt_json_get(&j, "billing_changed"));
    const pt_json_t *flag = pt_json_get(&j, "dp");
    t->deletion_protection = flag && flag->type == PT_JSON_TRUE;
    t->last_increase_ms = json_i64(pt_json_get(&j, "inc"));
    t->last_decrease_ms = json_i64(pt_json_get(&j, "dec"));
    t->ttl_attr = dup_json_str(pt_json_get(&j, "ttl"));
    flag = pt_json_get(&j, "ttl_backfill");
    t->ttl_backfill = flag && flag->type == PT_JSON_TRUE;
    flag = pt_json_get(&j, "ttl_purge");
    t->ttl_purge = flag && flag->type == PT_JSON_TRUE;
    t->index_purge = (uint32_t)json_i64(pt_json_get(&j, "ixpurge"));
    const pt_json_t *st = pt_json_get(&j, "stream");
    if (st) {
        if (st->type != PT_JSON_ARRAY || st->len != 6) goto done;
        int64_t view = json_i64(&st->u.elems[0]);
        if (!pt_stream_view_name((int)view)) goto done;
        t->stream_view = (uint8_t)view;
        t->stream_enabled = st->u.elems[1].type == PT_JSON_TRUE;
        t->stream_created_ms = json_i64(&st->u.elems[2]);
        t->stream_start_seq = (uint64_t)json_i64(&st->u.elems[3]);
        t->stream_end_seq = (uint64_t)json_i64(&st->u.elems[4]);
        t->stream_closed_ms = json_i64(&st->u.elems[5]);
    }
    const pt_json_t *pitr = pt_json_get(&j, "pitr");
    if (pitr) {
        if (pitr->type != PT_JSON_ARRAY || pitr->len != 2) goto done;
        t->pitr_enabled = true;
        t->pitr_since_ms = json_i64(&pitr->u.elems[0]);
        t->pitr_days = (int32_t)json_i64(&pitr->u.elems[1]);
    }
    const pt_json_t *sto = pt_json_get(&j, "stream_old");
    if (sto && (sto->type != PT_JSON_ARRAY || sto->len > sizeof t->stream_old / sizeof *t->stream_old)) goto done;
    for (uint32_t i = 0; sto && i < sto->len; i++) {
        const pt_json_t *o = &sto->u.elems[i];
        if (o->type != PT_JSON_ARRAY || o->len != 5 || !pt_stream_view_name((int)json_i64(&o->u.elems[0]))) goto done;
        t->stream_old[i] = (struct pt_stream_old){(uint8_t)json_i64(&o->u.elems[0]), json_i64(&o->u.elems[1]),
                                                  json_i64(&o->u.elems[2]), (uint64_t)json_i64(&o->u.elems[3]),
                                                  (uint64_t)json_i64(&o->u.elems[4])};
        t->nstream_old++;
    }
    const pt_json_t *ixs = pt_json_get(&j, "ix");
    if (ixs && (ixs->type != PT_JSON_ARRAY || ixs->len > PT_MAX_INDEXES)) goto done;
    for (uint32_t i = 0; ixs && i < ixs->len; i++) {
        const pt_json_t *o = &ixs->u.elems[i];
        pt_index_t *ix = calloc(1, sizeof *ix);
        if (!ix) pt_oom();
        t->indexes[t->nindexes++] = ix;
        ix->name = dup_json_str(pt_json_get(o, "n"));
        int64_t id = json_i64(pt_json_get(o, "id"));
        if (!ix->name || id < 1 || id > PT_MAX_INDEXES) goto done;
        ix->id = (uint8_t)id;
        flag = pt_json_get(o, "g");
        ix->global = flag && flag->type == PT_JSON_TRUE;
        if (decode_attr(pt_json_get(o, "h"), &ix->hash)) goto done;
        if (pt_json_get(o, "r") && decode_attr(pt_json_get(o, "r"), &ix->range)) goto done;
        ix->projection = (uint8_t)json_i64(pt_json_get(o, "p"));
        const pt_json_t *inc = pt_json_get(o, "inc");
        if (inc && inc->type == PT_JSON_ARRAY && inc->len) {
            ix->include = calloc(inc->len, sizeof *ix->include);
            if (!ix->include) pt_oom();
            for (uint32_t k = 0; k < inc->len; k++) {
                if (!(ix->include[k] = dup_json_str(&inc->u.elems[k]))) goto done;
                ix->ninclude++;
            }
        }
        ix->rcu = json_i64(pt_json_get(o, "rcu"));
        ix->wcu = json_i64(pt_json_get(o, "wcu"));
        flag = pt_json_get(o, "bf");
        ix->backfilling = flag && flag->type == PT_JSON_TRUE;
    }
    rc = PT_OK;
done:
    pt_arena_destroy(&arena);
    if (rc) {
        table_free(t);
        return pt_error_set(err, PT_E_INTERNAL, "corrupt table definition in catalog");
    }
    *out = t;
    return PT_OK;
}

void pt_catalog_encode_def(const pt_table_t *t, pt_buf_t *out) { encode_def(t, out); }

int pt_catalog_decode_def(const void *data, size_t len, pt_table_t **out, pt_error_t *err)
{
    return decode_def(data, len, out, err);
}

static int64_t get_i64be(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = (v << 8) | p[i];
    return (int64_t)v;
}

static void put_i64be(uint8_t *p, int64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v = (int64_t)((uint64_t)v >> 8);
    }
}

static void stats_key(pt_buf_t *b, uint32_t id)
{
    meta_key(b, 'S');
    pt_buf_put_u32be(b, id);
}

/* The statistics key (as stats_key) in caller memory: the statistics are
 * read and written on every item write, where a heap buffer per key showed
 * up in profiles. */
#define STATS_KEY_LEN 9
static pt_slice_t stats_key_fixed(uint8_t out[STATS_KEY_LEN], uint32_t id)
{
    memset(out, 0, 4);               /* table id 0: the catalog */
    out[4] = 'S';
    out[5] = (uint8_t)(id >> 24);
    out[6] = (uint8_t)(id >> 16);
    out[7] = (uint8_t)(id >> 8);
    out[8] = (uint8_t)id;
    return pt_slice(out, STATS_KEY_LEN);
}

static int get_stats(pt_txn_t *txn, const pt_table_t *t, pt_slice_t key, int64_t *items, int64_t *bytes,
                     pt_error_t *err)
{
    pt_slice_t v;
    int rc = pt_get(txn, key, &v, err);
    *items = *bytes = 0;
    if (rc == PT_NOTFOUND) return PT_OK;
    if (rc) return rc;
    if (v.len != 16) return pt_error_set(err, PT_E_INTERNAL, "corrupt statistics for table %s", t->name);
    *items = get_i64be(v.data);
    *bytes = get_i64be((const uint8_t *)v.data + 8);
    return PT_OK;
}

int pt_catalog_get_stats(pt_txn_t *txn, const pt_table_t *t, int64_t *items, int64_t *bytes, pt_error_t *err)
{
    uint8_t k[STATS_KEY_LEN];
    return get_stats(txn, t, stats_key_fixed(k, t->id), items, bytes, err);
}

int pt_catalog_add_stats(pt_txn_t *txn, const pt_table_t *t, int64_t items, int64_t bytes, pt_error_t *err)
{
    uint8_t k[STATS_KEY_LEN];
    pt_slice_t key = stats_key_fixed(k, t->id);
    int64_t cur_items, cur_bytes;
    int rc = get_stats(txn, t, key, &cur_items, &cur_bytes, err);
    if (rc) return rc;
    uint8_t v[16];
    put_i64be(v, cur_items + items);
    put_i64be(v + 8, cur_bytes + bytes);
    return pt_put(txn, key, pt_slice(v, sizeof v), err);
}

static void index_stats_key(pt_buf_t *b, uint32_t id, uint8_t index_id)
{
    meta_key(b, 'X');
    pt_buf_put_u32be(b, id);
    pt_buf_put_u8(b, index_id);
}

int pt_catalog_get_index_stats(pt_txn_t *txn, const pt_table_t *t, uint8_t index_id, int64_t *items, int64_t *bytes,
                               pt_error_t *err)
{
    pt_buf_t k = PT_BUF_INIT;
    index_stats_key(&k, t->id, index_id);
    pt_slice_t v;
    int rc = pt_get(txn, pt_slice(k.data, k.len), &v, err);
    pt_buf_free(&k);
    *items = *bytes = 0;
    if (rc == PT_NOTFOUND) return PT_OK;
    if (rc) return rc;
    if (v.len != 16) return pt_error_set(err, PT_E_INTERNAL, "corrupt index statistics for table %s", t->name);
    *items = get_i64be(v.data);
    *bytes = get_i64be((const uint8_t *)v.data + 8);
    return PT_OK;
}

int pt_catalog_add_index_stats(pt_txn_t *txn, const pt_table_t *t, uint8_t index_id, int64_t items, int64_t bytes,
                               pt_error_t *err)
{
    int64_t cur_items, cur_bytes;
    int rc = pt_catalog_get_index_stats(txn, t, index_id, &cur_items, &cur_bytes, err);
    if (rc) return rc;
    uint8_t v[16];
    put_i64be(v, cur_items + items);
    put_i64be(v + 8, cur_bytes + bytes);
    pt_buf_t k = PT_BUF_INIT;
    index_stats_key(&k, t->id, index_id);
    rc = pt_put(txn, pt_slice(k.data, k.len), pt_slice(v, sizeof v), err);
    pt_buf_free(&k);
    return rc;
}

int pt_catalog_del_index_stats(pt_txn_t *txn, const pt_table_t *t, uint8_t index_id, pt_error_t *err)
{
    pt_buf_t k = PT_BUF_INIT;
    index_stats_key(&k, t->id, index_id);
    int rc = pt_del(txn, pt_slice(k.data, k.len), err);
    pt_buf_free(&k);
    return rc == PT_NOTFOUND ? PT_OK : rc;
}

int pt_catalog_save(pt_txn_t *txn, const pt_table_t *t, pt_error_t *err)
{
    pt_buf_t k = PT_BUF_INIT, v = PT_BUF_INIT;
    meta_key(&k, 'T');
    pt_buf_puts(&k, t->name);
    encode_def(t, &v);
    int rc = pt_put(txn, pt_slice(k.data, k.len), pt_slice(v.data, v.len), err);
    pt_buf_free(&k);
    pt_buf_free(&v);
    return rc;
}

/* ---- tags ---- */

static void tags_key(pt_buf_t *b, uint32_t id)
{
    meta_key(b, 'G');
    pt_buf_put_u32be(b, id);
}

int pt_catalog_tags_get(pt_txn_t *txn, const pt_table_t *t, pt_arena_t *arena, pt_tag_t **tags, uint32_t *n,
                        pt_error_t *err)
{
    pt_buf_t k = PT_BUF_INIT;
    tags_key(&k, t->id);
    pt_slice_t v;
    int rc = pt_get(txn, pt_slice(k.data, k.len), &v, err);
    pt_buf_free(&k);
    *tags = NULL;
    *n = 0;
    if (rc == PT_NOTFOUND) return PT_OK;
    if (rc) return rc;
    pt_json_t j;
    char msg[128];
    if (pt_json_parse(arena, v.data, v.len, &j, msg, sizeof msg) || j.type != PT_JSON_ARRAY)
        return pt_error_set(err, PT_E_INTERNAL, "corrupt tags of table %s", t->name);
    pt_tag_t *out = pt_arena_calloc(arena, sizeof *out * (j.len ? j.len : 1));
    for (uint32_t i = 0; i < j.len; i++) {
        const pt_json_t *e = &j.u.elems[i];
        if (e->type != PT_JSON_ARRAY || e->len != 2 || e->u.elems[0].type != PT_JSON_STRING ||
            e->u.elems[1].type != PT_JSON_STRING)
            return pt_error_set(err, PT_E_INTERNAL, "corrupt tags of table %s", t->name);
        out[i].key = e->u.elems[0].u.str;
        out[i].key_len = e->u.elems[0].len;
        out[i].value = e->u.elems[1].u.str;
        out[i].value_len = e->u.elems[1].len;
    }
    *tags = out;
    *n = j.len;
    return PT_OK;
}

int pt_catalog_tags_set(pt_txn_t *txn, const pt_table_t *t, const pt_tag_t *tags, uint32_t n, pt_error_t *err)
{
    pt_buf_t k = PT_BUF_INIT, v = PT_BUF_INIT;
    int rc;
    tags_key(&k, t->id);
    if (n == 0) {
        rc = pt_del(txn, pt_slice(k.data, k.len), err);
        if (rc == PT_NOTFOUND) rc = PT_OK;
    } else {
        pt_jw_t w;
        pt_jw_init(&w, &v);
        pt_jw_arr_begin(&w);
        for (uint32_t i = 0; i < n; i++) {
            pt_jw_arr_begin(&w);
            pt_jw_str(&w, tags[i].key, tags[i].key_len);
            pt_jw_str(&w, tags[i].value, tags[i].value_len);
            pt_jw_arr_end(&w);
        }
        pt_jw_arr_end(&w);
        rc = pt_put(txn, pt_slice(k.data, k.len), pt_slice(v.data, v.len), err);
    }
    pt_buf_free(&k);
    pt_buf_free(&v);
    return rc;
}

void pt_catalog_free(pt_catalog_t *c)
{
    for (uint32_t i = 0; i < c->ntables; i++) pt_table_release(c->tables[i]);
    free(c->tables);
    c->tables = NULL;
    c->ntables = c->cap = 0;
}

int pt_catalog_load(pt_engine_t *e, pt_error_t *err)
{
    pt_catalog_t *c = &e->catalog;
    pt_txn_t *txn = NULL;
    pt_cursor_t *cur = NULL;
    pt_buf_t prefix = PT_BUF_INIT;
    int rc = pt_txn_begin(e->store, PT_TXN_READ, NULL, &txn, err);
    if (rc) return rc;

    pthread_rwlock_wrlock(&c->lock);
    pt_catalog_free(c);
    c->next_id = 1;

    meta_key(&prefix, 'I');
    pt_slice_t v;
    rc = pt_get(txn, pt_slice(prefix.data, prefix.len), &v, err);
    if (rc == PT_OK && v.len == 4) {
        const uint8_t *p = v.data;
        c->next_id = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    } else if (rc == PT_ERR) {
        goto done;
    }

    pt_buf_clear(&prefix);
    meta_key(&prefix, 'T');
    if ((rc = pt_cursor_open(txn, &cur, err))) goto done;
    pt_slice_t k;
    rc = pt_cursor_seek(cur, pt_slice(prefix.data, prefix.len), &k, &v, err);
    while (rc == PT_OK && k.len >= prefix.len && !memcmp(k.data, prefix.data, prefix.len)) {
        pt_table_t *t;
        if ((rc = decode_def(v.data, v.len, &t, err))) goto done;
        insert_locked(c, t);
        rc = pt_cursor_next(cur, &k, &v, err);
    }
    if (rc == PT_NOTFOUND) rc = PT_OK;
done:
    pthread_rwlock_unlock(&c->lock);
    if (cur) pt_cursor_close(cur);
    pt_txn_abort(txn);
    pt_buf_free(&prefix);
    return rc;
}

static void random_uuid(char out[37])
{
    uint8_t b[16];
    if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b) {
        /* getrandom cannot fail for 16 bytes after boot; keep a fallback */
        uint64_t x = (uint64_t)pt_now_ms() * 0x9E3779B97F4A7C15ull;
        for (int i = 0; i < 16; i++) b[i] = (uint8_t)(x >> (8 * (i % 8))) ^ (uint8_t)i;
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2],
             b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

int pt_catalog_alloc_id(pt_engine_t *e, pt_txn_t *txn, uint32_t *id, pt_error_t *err)
{
    pt_catalog_t *c = &e->catalog;
    pthread_rwlock_rdlock(&c->lock);
    uint32_t n = c->next_id;
    pthread_rwlock_unlock(&c->lock);
    uint8_t idv[4] = {(uint8_t)((n + 1) >> 24), (uint8_t)((n + 1) >> 16), (uint8_t)((n + 1) >> 8), (uint8_t)(n + 1)};
    pt_buf_t k = PT_BUF_INIT;
    meta_key(&k, 'I');
    int rc = pt_put(txn, pt_slice(k.data, k.len), pt_slice(idv, 4), err);
    pt_buf_free(&k);
    if (rc) return rc;
    pthread_rwlock_wrlock(&c->lock);
    c->next_id = n + 1;
    pthread_rwlock_unlock(&c->lock);
    *id = n;
    return PT_OK;
}

int pt_catalog_create(pt_engine_t *e, pt_txn_t *txn, pt_table_t *t, pt_error_t *err)
{
    return pt_catalog_create_tagged(e, txn, t, NULL, 0, err);
}

int pt_catalog_create_tagged(pt_engine_t *e, pt_txn_t *txn, pt_table_t *t, const pt_tag_t *tags, uint32_t ntags,
                             pt_error_t *err)
{
    pt_catalog_t *c = &e->catalog;
    pt_buf_t k = PT_BUF_INIT, v = PT_BUF_INIT;
    int rc = PT_ERR;

    pt_table_t *existing = pt_catalog_get(e, t->name, strlen(t->name));
    if (existing) {
        pt_table_release(existing);
        pt_error_set(err, PT_E_IN_USE, "Table already exists: %s", t->name);
        goto done;
    }
    t->id = c->next_id;
    random_uuid(t->uuid);

    uint8_t idv[4] = {(uint8_t)((t->id + 1) >> 24), (uint8_t)((t->id + 1) >> 16), (uint8_t)((t->id + 1) >> 8),
                      (uint8_t)(t->id + 1)};
    meta_key(&k, 'I');
    if ((rc = pt_put(txn, pt_slice(k.data, k.len), pt_slice(idv, 4), err))) goto done;
    pt_buf_clear(&k);
    meta_key(&k, 'T');
    pt_buf_puts(&k, t->name);
    encode_def(t, &v);
    if ((rc = pt_put(txn, pt_slice(k.data, k.len), pt_slice(v.data, v.len), err))) goto done;
    if (ntags && (rc = pt_catalog_tags_set(txn, t, tags, ntags, err))) goto done;
    if ((rc = pt_stream_purge_dropped(txn, err))) goto done;

    pthread_rwlock_wrlock(&c->lock);
    c->next_id = t->id + 1;
    insert_locked(c, t);
    pthread_rwlock_unlock(&c->lock);
done:
    pt_buf_free(&k);
    pt_buf_free(&v);
    return rc;
}

int pt_catalog_delete(pt_engine_t *e, pt_txn_t *txn, pt_table_t *t, pt_error_t *err)
{
    pt_catalog_t *c = &e->catalog;
    pt_buf_t k = PT_BUF_INIT;
    pt_cursor_t *cur = NULL;
    int rc;

    meta_key(&k, 'T');
    pt_buf_puts(&k, t->name);
    if ((rc = pt_del(txn, pt_slice(k.data, k.len), err)) == PT_ERR) goto done;
    pt_buf_clear(&k);
    stats_key(&k, t->id);
    if ((rc = pt_del(txn, pt_slice(k.data, k.len), err)) == PT_ERR) goto done;
    pt_buf_clear(&k);
    tags_key(&k, t->id);
    if ((rc = pt_del(txn, pt_slice(k.data, k.len), err)) == PT_ERR) goto done;
    for (uint8_t id = 1; id <= PT_MAX_INDEXES; id++)
        if ((rc = pt_catalog_del_index_stats(txn, t, id, err))) goto done;
    /* streams outlive their table by a day (engine/stream.h) */
    bool keep_streams;
    if ((rc = pt_stream_table_deleted(txn, t, &keep_streams, err))) goto done;
    if ((rc = pt_stream_purge_dropped(txn, err))) goto done;

    /* Every key of the table (base, indexes, TTL expiry index, stream
     * records) starts with its id. */
    pt_buf_clear(&k);
    pt_buf_put_u32be(&k, t->id);
    if ((rc = pt_cursor_open(txn, &cur, err))) goto done;
    pt_slice_t ck, cv;
    rc = pt_cursor_seek(cur, pt_slice(k.data, k.len), &ck, &cv, err);
    while (rc == PT_OK && ck.len >= 4 && !memcmp(ck.data, k.data, 4)) {
        if (keep_streams && ck.len > 4 && ((const uint8_t *)ck.data)[4] == PT_KEY_INDEX_STREAM) {
            /* skip the stream records: continue after them */
            pt_buf_clear(&k);
            pt_buf_put_u32be(&k, t->id);
            pt_buf_put_u8(&k, PT_KEY_INDEX_STREAM + 1);
        } else if ((rc = pt_cursor_del(cur, err))) {
            goto done;
        }
        rc = pt_cursor_seek(cur, pt_slice(k.data, k.len), &ck, &cv, err);
    }
    if (rc == PT_NOTFOUND) rc = PT_OK;
    if (rc) goto done;

    pthread_rwlock_wrlock(&c->lock);
    uint32_t i = lower_bound(c, t->name, strlen(t->name));
    if (i < c->ntables && c->tables[i] == t) {
        memmove(&c->tables[i], &c->tables[i + 1], (c->ntables - i - 1) * sizeof *c->tables);
        c->ntables--;
        atomic_store(&t->deleted, true);
        pthread_rwlock_unlock(&c->lock);
        pt_table_release(t); /* the catalog's reference */
    } else {
        pthread_rwlock_unlock(&c->lock);
    }
done:
    if (cur) pt_cursor_close(cur);
    pt_buf_free(&k);
    return rc;
}

/* ---- TableDescription ---- */

static void write_key_schema(const pt_table_t *t, pt_jw_t *w)
{
    pt_jw_arr_begin(w);
    pt_jw_obj_begin(w);
    pt_jw_keyz(w, "AttributeName"); pt_jw_strz(w, t->hash.name);
    pt_jw_keyz(w, "KeyType"); pt_jw_strz(w, "HASH");
    pt_jw_obj_end(w);
    if (t->range.name) {
        pt_jw_obj_begin(w);
        pt_jw_keyz(w, "AttributeName"); pt_jw_strz(w, t->range.name);
        pt_jw_keyz(w, "KeyType"); pt_jw_strz(w, "RANGE");
        pt_jw_obj_end(w);
    }
    pt_jw_arr_end(w);
}

int pt_table_describe(pt_engine_t *e, pt_txn_t *txn, const pt_table_t *t, const char *status, pt_jw_t *w,
                      pt_error_t *err)
{
    int64_t items, bytes;
    if (pt_catalog_get_stats(txn, t, &items, &bytes, err)) return PT_ERR;
    pthread_mutex_lock(&((pt_table_t *)t)->meta_lock);
    bool ppr = t->pay_per_request, dp = t->deletion_protection;
    int64_t rcu = t->rcu, wcu = t->wcu, changed = t->billing_changed_ms;
    int64_t inc = t->last_increase_ms, dec = t->last_decrease_ms;
    pt_jw_obj_begin(w);
    /* under the lock: UpdateTable may add or drop definitions (indexes) */
    pt_jw_keyz(w, "AttributeDefinitions");
    pt_jw_arr_begin(w);
    for (uint32_t i = 0; i < t->nattrs; i++) {
        pt_jw_obj_begin(w);
        pt_jw_keyz(w, "AttributeName"); pt_jw_strz(w, t->attrs[i].name);
        pt_jw_keyz(w, "AttributeType"); pt_jw_strz(w, pt_av_type_name(t->attrs[i].type));
        pt_jw_obj_end(w);
    }
    pt_jw_arr_end(w);
    pthread_mutex_unlock(&((pt_table_t *)t)->meta_lock);
    pt_jw_keyz(w, "TableName"); pt_jw_strz(w, t->name);
    pt_jw_keyz(w, "KeySchema"); write_key_schema(t, w);
    pt_jw_keyz(w, "TableStatus"); pt_jw_strz(w, status);
    pt_jw_keyz(w, "CreationDateTime"); pt_jw_double(w, (double)t->created_ms / 1000.0);
    pt_jw_keyz(w, "ProvisionedThroughput");
    pt_jw_obj_begin(w);
    if (inc) { pt_jw_keyz(w, "LastIncreaseDateTime"); pt_jw_double(w, (double)inc / 1000.0); }
    if (dec) { pt_jw_keyz(w, "LastDecreaseDateTime"); pt_jw_double(w, (double)dec / 1000.0); }
    pt_jw_keyz(w, "NumberOfDecreasesToday"); pt_jw_int(w, 0);
    pt_jw_keyz(w, "ReadCapacityUnits"); pt_jw_int(w, ppr ? 0 : rcu);
    pt_jw_keyz(w, "WriteCapacityUnits"); pt_jw_int(w, ppr ? 0 : wcu);
    pt_jw_obj_end(w);
    pt_jw_keyz(w, "TableSizeBytes"); pt_jw_int(w, bytes);
    pt_jw_keyz(w, "ItemCount"); pt_jw_int(w, items);
    char arn[512];
    snprintf(arn, sizeof arn, "arn:aws:dynamodb:%s:%s:table/%s", e->region, e->account_id, t->name);
    pt_jw_keyz(w, "TableArn"); pt_jw_strz(w, arn);
    pt_jw_keyz(w, "TableId"); pt_jw_strz(w, t->uuid);
    pt_stream_describe_table(e, (pt_table_t *)t, w);
    /* DynamoDB shows BillingModeSummary for on-demand tables and, once a
     * table has been on demand, after it went back to PROVISIONED. */
    if (ppr || changed) {
        pt_jw_keyz(w, "BillingModeSummary");
        pt_jw_obj_begin(w);
        pt_jw_keyz(w, "BillingMode"); pt_jw_strz(w, ppr ? "PAY_PER_REQUEST" : "PROVISIONED");
        pt_jw_keyz(w, "LastUpdateToPayPerRequestDateTime");
        pt_jw_double(w, (double)(changed ? changed : t->created_ms) / 1000.0);
        pt_jw_obj_end(w);
    }
    pt_jw_keyz(w, "DeletionProtectionEnabled"); pt_jw_bool(w, dp);
    if (pt_index_describe_all(e, txn, t, w, err)) return PT_ERR;
    pt_jw_obj_end(w);
    return PT_OK;
}
