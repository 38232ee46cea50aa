/* Secondary indexes: entries, maintenance, descriptions and the
 * backfill/purge thread (design in index.h).
 *
 * Invariants:
 *  - while an index is not backfilling, it holds exactly one entry per
 *    table item that has all its key attributes with the declared types,
 *    whose value is the item's current projection; its statistics are the
 *    count and summed projected sizes of those entries. Maintenance then
 *    derives statistic deltas from the old and new items alone;
 *  - while it is backfilling, client writes keep the entries of the items
 *    they touch current, and the backfill adds the entries still missing;
 *    an entry is a pure function of the item, so both may write it. In this
 *    state maintenance reads the store before each change, so statistics
 *    stay exact whichever of the two came first;
 *  - every change runs on the writer thread; the indexer thread only
 *    submits bounded jobs and waits for each, so client writes interleave
 *    with a backfill and nothing of it runs on a request path.
 * It does not enforce provisioned capacity, nor emulate DynamoDB's
 * eventual consistency of GSIs: an index is updated in the transaction of
 * the item write, so a GSI read right after a write sees it. */
#include "engine/index.h"
#include "engine/worker.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/item_store.h"
#include "engine/key.h"
#include "engine/range.h"

/* ---- lookup ---- */

pt_index_t *pt_index_find(pt_table_t *t, const char *name, size_t len)
{
    pt_index_t *found = NULL;
    pthread_mutex_lock(&t->meta_lock);
    for (uint32_t i = 0; i < t->nindexes; i++) {
        const char *n = t->indexes[i]->name;
        if (strlen(n) == len && !memcmp(n, name, len)) {
            found = t->indexes[i];
            break;
        }
    }
    pthread_mutex_unlock(&t->meta_lock);
    return found;
}

bool pt_index_is_backfilling(pt_table_t *t, const pt_index_t *ix)
{
    pthread_mutex_lock(&t->meta_lock);
    bool b = ix->backfilling;
    pthread_mutex_unlock(&t->meta_lock);
    return b;
}

uint8_t pt_index_free_id(const pt_table_t *t)
{
    for (uint8_t id = 1; id <= PT_MAX_INDEXES; id++) {
        if (t->index_purge & (1u << id)) continue;
        bool used = false;
        for (uint32_t i = 0; i < t->nindexes; i++) used |= t->indexes[i]->id == id;
        if (!used) return id;
    }
    return 0;
}

/* ---- entries ---- */

static const pt_av_t *key_attr(const pt_av_t *item, const pt_attr_def_t *d)
{
    const pt_av_t *v = pt_item_get(item, d->name, strlen(d->name));
    return v && v->type == d->type ? v : NULL;
}

bool pt_index_entry_key(const pt_table_t *t, const pt_index_t *ix, const pt_av_t *item, pt_buf_t *out)
{
    const pt_av_t *ih = key_attr(item, &ix->hash);
    const pt_av_t *ir = ix->range.name ? key_attr(item, &ix->range) : NULL;
    if (!ih || (ix->range.name && !ir)) return false;
    /* An empty S/B can never be written under an index key (check_item), but
     * a backfill may meet one written before the index existed: skip it. */
    if ((ih->type != PT_AV_N && !ih->len) || (ir && ir->type != PT_AV_N && !ir->len)) return false;
    const pt_av_t *th = pt_item_get(item, t->hash.name, strlen(t->hash.name));
    const pt_av_t *tr = t->range.name ? pt_item_get(item, t->range.name, strlen(t->range.name)) : NULL;
    if (!th || (t->range.name && !tr)) return false; /* not a table item: a caller bug */
    pt_key_encode(t->id, ix->id, ih, ir, out);
    pt_key_encode_value(th, out);
    if (tr) pt_key_encode_value(tr, out);
    return true;
}

static bool name_is(const char *a, const char *b, size_t blen)
{
    return a && strlen(a) == blen && !memcmp(a, b, blen);
}

bool pt_index_projects(const pt_table_t *t, const pt_index_t *ix, const char *name, size_t len)
{
    if (ix->projection == PT_PROJ_ALL) return true;
    if (name_is(t->hash.name, name, len) || name_is(t->range.name, name, len) || name_is(ix->hash.name, name, len) ||
        name_is(ix->range.name, name, len))
        return true;
    for (uint32_t i = 0; i < ix->ninclude; i++)
        if (name_is(ix->include[i], name, len)) return true;
    return false;
}

void pt_index_project(pt_arena_t *arena, const pt_table_t *t, const pt_index_t *ix, const pt_av_t *item,
                      pt_av_t *out)
{
    if (ix->projection == PT_PROJ_ALL) {
        *out = *item;
        return;
    }
    *out = *item;
    out->u.members = pt_arena_alloc(arena, sizeof *out->u.members * (item->len ? item->len : 1));
    out->len = 0;
    /* members stay in name order: a subsequence of a sorted list */
    for (uint32_t i = 0; i < item->len; i++) {
        const pt_av_member_t *m = &item->u.members[i];
        if (pt_index_projects(t, ix, m->name, m->name_len)) out->u.members[out->len++] = *m;
    }
}

/* ---- write-time checks ---- */

static int check_attr(const pt_index_t *ix, const pt_attr_def_t *d, const pt_av_t *item, pt_error_t *err)
{
    const pt_av_t *v = pt_item_get(item, d->name, strlen(d->name));
    if (!v) return PT_OK;
    if (v->type != d->type)
        return pt_error_set(err, PT_E_VALIDATION,
                            "One or more parameter values were invalid: Type mismatch for Index Key %s Expected: %s "
                            "Actual: %s IndexName: %s",
                            d->name, pt_av_type_name(d->type), pt_av_type_name(v->type), ix->name);
    if (v->type != PT_AV_N && v->len == 0)
        return pt_error_set(err, PT_E_VALIDATION,
                            "One or more parameter values are not valid. A value specified for a secondary index key "
                            "is not supported. The AttributeValue for a key attribute cannot contain an empty %s "
                            "value. IndexName: %s, IndexKey: %s",
                            v->type == PT_AV_S ? "string" : "binary", ix->name, d->name);
    return PT_OK;
}

static int check_item_locked(const pt_table_t *t, const pt_av_t *item, pt_error_t *err)
{
    for (int pass = 0; pass < 2; pass++) {
        bool global = pass == 0; /* DynamoDB reports GSIs before LSIs */
        for (uint32_t i = 0; i < t->nindexes; i++) {
            const pt_index_t *ix = t->indexes[i];
            if (ix->global != global) continue;
            if (global && check_attr(ix, &ix->hash, item, err)) return PT_ERR;
            if (ix->range.name && check_attr(ix, &ix->range, item, err)) return PT_ERR;
        }
    }
    return PT_OK;
}

int pt_index_check_item(pt_table_t *t, const pt_av_t *item, pt_error_t *err)
{
    pthread_mutex_lock(&t->meta_lock);
    int rc = check_item_locked(t, item, err);
    pthread_mutex_unlock(&t->meta_lock);
    return rc;
}

/* ---- maintenance ---- */

static void encode_value(const pt_av_t *projected, uint32_t size, pt_buf_t *out)
{
    pt_buf_put_u32be(out, size);
    pt_item_encode(projected, out);
}

static uint32_t value_size(pt_slice_t v)
{
    const uint8_t *p = v.data;
    return v.len < 4 ? 0 : (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Projection of `item` and its size (the item's own size for ALL). */
static uint32_t projected(pt_arena_t *arena, const pt_table_t *t, const pt_index_t *ix, const pt_av_t *item,
                          uint32_t item_size, pt_av_t *out)
{
    pt_index_project(arena, t, ix, item, out);
    return ix->projection == PT_PROJ_ALL ? item_size : (uint32_t)pt_item_size(out);
}

/* DynamoDB: one write unit per KB (rounded up) of the index entry written
 * or deleted. */
static double entry_units(uint32_t projected_size)
{
    double u = (double)((projected_size + 1023) / 1024);
    return u < 1 ? 1 : u;
}

static void add_units(pt_index_units_t *units, const pt_index_t *ix, double u)
{
    if (!units || u <= 0) return;
    for (uint32_t i = 0; i < units->n; i++)
        if (units->v[i].index == ix) {
            units->v[i].units += u;
            return;
        }
    if (units->n < PT_MAX_INDEXES) {
        units->v[units->n].index = ix;
        units->v[units->n].units = u;
        units->n++;
    }
}

static int update_one(pt_txn_t *txn, pt_table_t *t, pt_index_t *ix, pt_arena_t *arena, const pt_av_t *old_item,
                      uint32_t old_size, const pt_av_t *new_item, uint32_t new_size, pt_buf_t *ok, pt_buf_t *nk,
                      pt_buf_t *val, pt_index_units_t *units, pt_error_t *err)
{
    pt_buf_clear(ok);
    pt_buf_clear(nk);
    pt_buf_clear(val);
    bool has_old = old_item && pt_index_entry_key(t, ix, old_item, ok);
    bool has_new = new_item && pt_index_entry_key(t, ix, new_item, nk);
    if (!has_old && !has_new) return PT_OK;
    bool same = has_old && has_new && ok->len == nk->len && !memcmp(ok->data, nk->data, ok->len);
    bool exact = ix->backfilling; /* writer thread: no lock needed */
    int64_t dcount = 0, dbytes = 0;
    pt_av_t po, pn;
    uint32_t old_psize = has_old ? projected(arena, t, ix, old_item, old_size, &po) : 0;
    uint32_t new_psize = 0;
    int rc;
    if (has_new) {
        new_psize = projected(arena, t, ix, new_item, new_size, &pn);
        encode_value(&pn, new_psize, val);
        if (same) {
            /* An entry whose projection did not change is not written, and
             * DynamoDB bills no index write for it. */
            bool unchanged;
            if (ix->projection == PT_PROJ_ALL) {
                unchanged = units && old_size == new_size && pt_av_equal(old_item, new_item);
            } else {
                pt_buf_t oldv = PT_BUF_INIT;
                encode_value(&po, old_psize, &oldv);
                unchanged = oldv.len == val->len && !memcmp(oldv.data, val->data, val->len);
                pt_buf_free(&oldv);
            }
            if (unchanged && !exact) return PT_OK;
            if (!unchanged) add_units(units, ix, entry_units(old_psize > new_psize ? old_psize : new_psize));
        } else {
            add_units(units, ix, entry_units(new_psize) + (has_old ? entry_units(old_psize) : 0));
        }
    } else {
        add_units(units, ix, entry_units(old_psize));
    }
    if (has_old && !same) {
        if (exact) {
            pt_slice_t cur;
            rc = pt_get(txn, pt_slice(ok->data, ok->len), &cur, err);
            if (rc == PT_ERR) return rc;
            if (rc == PT_OK) {
                dcount--;
                dbytes -= value_size(cur);
                if ((rc = pt_del(txn, pt_slice(ok->data, ok->len), err)) == PT_ERR) return rc;
            }
        } else {
            rc = pt_del(txn, pt_slice(ok->data, ok->len), err);
            if (rc == PT_ERR) return rc;
            dcount--;
            dbytes -= old_psize;
        }
    }
    if (has_new) {
        if (exact) {
            pt_slice_t cur;
            rc = pt_get(txn, pt_slice(nk->data, nk->len), &cur, err);
            if (rc == PT_ERR) return rc;
            if (rc == PT_OK) dbytes -= value_size(cur);
            else dcount++;
        } else if (same) {
            dbytes -= old_psize;
        } else {
            dcount++;
        }
        if ((rc = pt_put(txn, pt_slice(nk->data, nk->len), pt_slice(val->data, val->len), err))) return rc;
        dbytes += new_psize;
    }
    if (dcount || dbytes) return pt_catalog_add_index_stats(txn, t, ix->id, dcount, dbytes, err);
    return PT_OK;
}

int pt_index_update(pt_txn_t *txn, pt_table_t *t, const pt_av_t *old_item, uint32_t old_size,
                    const pt_av_t *new_item, uint32_t new_size, pt_index_units_t *units, pt_error_t *err)
{
    if (!t->nindexes) return PT_OK;
    /* Writer thread: t->indexes cannot change under us. */
    if (new_item && check_item_locked(t, new_item, err)) return PT_ERR;
    pt_arena_t arena;
    pt_arena_init(&arena);
    pt_buf_t ok = PT_BUF_INIT, nk = PT_BUF_INIT, val = PT_BUF_INIT;
    int rc = PT_OK;
    for (uint32_t i = 0; i < t->nindexes && rc == PT_OK; i++)
        rc = update_one(txn, t, t->indexes[i], &arena, old_item, old_size, new_item, new_size, &ok, &nk, &val, units,
                        err);
    pt_buf_free(&ok);
    pt_buf_free(&nk);
    pt_buf_free(&val);
    pt_arena_destroy(&arena);
    return rc;
}

/* ---- item collections ---- */

bool pt_index_has_lsi(const pt_table_t *t)
{
    for (uint32_t i = 0; i < t->nindexes; i++)
        if (!t->indexes[i]->global) return true;
    return false;
}

/* Sums the sizes stored in the values of every key starting with `prefix`. */
static int sum_prefix(pt_txn_t *txn, pt_slice_t prefix, uint64_t *bytes, pt_error_t *err)
{
    pt_cursor_t *cur;
    if (pt_cursor_open(txn, &cur, err)) return PT_ERR;
    pt_slice_t k, v;
    int rc = pt_cursor_seek(cur, prefix, &k, &v, err);
    while (rc == PT_OK && k.len >= prefix.len && !memcmp(k.data, prefix.data, prefix.len)) {
        *bytes += value_size(v);
        rc = pt_cursor_next(cur, &k, &v, err);
    }
    pt_cursor_close(cur);
    return rc == PT_ERR ? PT_ERR : PT_OK;
}

int pt_index_collection_size(pt_txn_t *txn, const pt_table_t *t, const pt_av_t *hash, uint64_t *bytes,
                             pt_error_t *err)
{
    /* An item collection is one partition of the table and of each LSI:
     * the partition key's encoding is self-delimiting, so the key up to it
     * is a prefix of exactly that partition's keys. */
    pt_buf_t prefix = PT_BUF_INIT;
    int rc = PT_OK;
    *bytes = 0;
    pt_key_encode(t->id, 0, hash, NULL, &prefix);
    rc = sum_prefix(txn, pt_slice(prefix.data, prefix.len), bytes, err);
    for (uint32_t i = 0; i < t->nindexes && rc == PT_OK; i++) {
        if (t->indexes[i]->global) continue;
        pt_buf_clear(&prefix);
        pt_key_encode(t->id, t->indexes[i]->id, hash, NULL, &prefix);
        rc = sum_prefix(txn, pt_slice(prefix.data, prefix.len), bytes, err);
    }
    pt_buf_free(&prefix);
    return rc;
}

/* ---- descriptions ---- */

void pt_index_write_key_schema(pt_jw_t *w, const pt_index_t *ix)
{
    pt_jw_arr_begin(w);
    pt_jw_obj_begin(w);
    pt_jw_keyz(w, "AttributeName"); pt_jw_strz(w, ix->hash.name);
    pt_jw_keyz(w, "KeyType"); pt_jw_strz(w, "HASH");
    pt_jw_obj_end(w);
    if (ix->range.name) {
        pt_jw_obj_begin(w);
        pt_jw_keyz(w, "AttributeName"); pt_jw_strz(w, ix->range.name);
        pt_jw_keyz(w, "KeyType"); pt_jw_strz(w, "RANGE");
        pt_jw_obj_end(w);
    }
    pt_jw_arr_end(w);
}

const char *pt_index_projection_name(int p)
{
    return p == PT_PROJ_ALL ? "ALL" : p == PT_PROJ_INCLUDE ? "INCLUDE" : "KEYS_ONLY";
}

void pt_index_write_projection(pt_jw_t *w, const pt_index_t *ix)
{
    pt_jw_obj_begin(w);
    pt_jw_keyz(w, "ProjectionType"); pt_jw_strz(w, pt_index_projection_name(ix->projection));
    if (ix->ninclude) {
        pt_jw_keyz(w, "NonKeyAttributes");
        pt_jw_arr_begin(w);
        for (uint32_t i = 0; i < ix->ninclude; i++) pt_jw_strz(w, ix->include[i]);
        pt_jw_arr_end(w);
    }
    pt_jw_obj_end(w);
}

/* Caller holds t->meta_lock (or is the writer thread). */
static int describe_locked(pt_engine_t *e, pt_txn_t *txn, const pt_table_t *t, const pt_index_t *ix,
                           const char *status, pt_jw_t *w, pt_error_t *err)
{
    int64_t items, bytes;
    if (pt_catalog_get_index_stats(txn, t, ix->id, &items, &bytes, err)) return PT_ERR;
    pt_jw_obj_begin(w);
    pt_jw_keyz(w, "IndexName"); pt_jw_strz(w, ix->name);
    pt_jw_keyz(w, "KeySchema"); pt_index_write_key_schema(w, ix);
    pt_jw_keyz(w, "Projection"); pt_index_write_projection(w, ix);
    if (ix->global) {
        const char *st = status ? status : ix->backfilling ? "CREATING" : "ACTIVE";
        pt_jw_keyz(w, "IndexStatus"); pt_jw_strz(w, st);
        if (!strcmp(st, "CREATING")) { pt_jw_keyz(w, "Backfilling"); pt_jw_bool(w, ix->backfilling); }
        pt_jw_keyz(w, "ProvisionedThroughput");
        pt_jw_obj_begin(w);
        pt_jw_keyz(w, "NumberOfDecreasesToday"); pt_jw_int(w, 0);
        pt_jw_keyz(w, "ReadCapacityUnits"); pt_jw_int(w, t->pay_per_request ? 0 : ix->rcu);
        pt_jw_keyz(w, "WriteCapacityUnits"); pt_jw_int(w, t->pay_per_request ? 0 : ix->wcu);
        pt_jw_obj_end(w);
    }
    pt_jw_keyz(w, "IndexSizeBytes"); pt_jw_int(w, bytes);
    pt_jw_keyz(w, "ItemCount"); pt_jw_int(w, items);
    char arn[1024];
    snprintf(arn, sizeof arn, "arn:aws:dynamodb:%s:%s:table/%s/index/%s", e->region, e->account_id, t->name,
             ix->name);
    pt_jw_keyz(w, "IndexArn"); pt_jw_strz(w, arn);
    pt_jw_obj_end(w);
    return PT_OK;
}

int pt_index_describe(pt_engine_t *e, pt_txn_t *txn, const pt_table_t *t, const pt_index_t *ix, const char *status,
                      pt_jw_t *w, pt_error_t *err)
{
    pthread_mutex_lock(&((pt_table_t *)t)->meta_lock);
    int rc = describe_locked(e, txn, t, ix, status, w, err);
    pthread_mutex_unlock(&((pt_table_t *)t)->meta_lock);
    return rc;
}

int pt_index_describe_all(pt_engine_t *e, pt_txn_t *txn, const pt_table_t *t, pt_jw_t *w, pt_error_t *err)
{
    pt_table_t *mt = (pt_table_t *)t;
    int rc = PT_OK;
    pthread_mutex_lock(&mt->meta_lock);
    for (int pass = 0; pass < 2 && rc == PT_OK; pass++) {
        bool global = pass == 1;
        bool any = false;
        for (uint32_t i = 0; i < t->nindexes && rc == PT_OK; i++) {
            if (t->indexes[i]->global != global) continue;
            if (!any) {
                pt_jw_keyz(w, global ? "GlobalSecondaryIndexes" : "LocalSecondaryIndexes");
                pt_jw_arr_begin(w);
                any = true;
            }
            rc = describe_locked(e, txn, t, t->indexes[i], NULL, w, err);
        }
        /* Deleted GSIs whose entries remain: the newest retired index of
         * each id awaiting a purge (an id is not reused before its purge
         * ends, so older retired ones with that id are long gone). */
        uint32_t seen = 0;
        for (const pt_index_t *ix = global ? t->retired : NULL; ix && rc == PT_OK; ix = ix->next_retired) {
            uint32_t bit = 1u << ix->id;
            if (!ix->global || !(t->index_purge & bit) || (seen & bit)) continue;
            seen |= bit;
            if (!any) {
                pt_jw_keyz(w, "GlobalSecondaryIndexes");
                pt_jw_arr_begin(w);
                any = true;
            }
            rc = describe_locked(e, txn, t, ix, "DELETING", w, err);
        }
        if (any) pt_jw_arr_end(w);
    }
    pthread_mutex_unlock(&mt->meta_lock);
    return rc;
}

/* ---- the indexer thread ---- */

struct pt_indexer {
    pt_engine_t *engine;
    pt_worker_t worker;
};

enum { JOB_BACKFILL, JOB_PURGE };

typedef struct index_job {
    pt_sync_job_t sync;        /* first: the writer hands us &sync.job */
    int kind;
    pt_table_t *table;
    uint8_t index_id;
    bool finished;
} index_job_t;

static pt_index_t *by_id(pt_table_t *t, uint8_t id)
{
    for (uint32_t i = 0; i < t->nindexes; i++)
        if (t->indexes[i]->id == id) return t->indexes[i];
    return NULL;
}

/* Deletes up to PT_INDEX_BATCH entries of a deleted index. */
static int apply_purge(index_job_t *j, pt_txn_t *txn)
{
    pt_table_t *t = j->table;
    if (!(t->index_purge & (1u << j->index_id))) {
        j->finished = true;
        return PT_OK;
    }
    pt_buf_t prefix = PT_BUF_INIT;
    pt_key_table_prefix(t->id, j->index_id, &prefix);
    int rc = pt_del_prefix(txn, pt_slice(prefix.data, prefix.len), PT_INDEX_BATCH, &j->finished, &j->sync.err);
    if (rc) goto done;
    if (j->finished) {
        uint32_t before = t->index_purge;
        pthread_mutex_lock(&t->meta_lock);
        t->index_purge &= ~(1u << j->index_id);
        pthread_mutex_unlock(&t->meta_lock);
        if ((rc = pt_catalog_save(txn, t, &j->sync.err))) {
            pthread_mutex_lock(&t->meta_lock);
            t->index_purge = before;
            pthread_mutex_unlock(&t->meta_lock);
        }
    }
done:
    pt_buf_free(&prefix);
    return rc;
}

typedef struct base_entry {
    pt_slice_t key, value;
} base_entry_t;

/* Indexes up to PT_INDEX_BATCH base items after ix->backfill_pos. The
 * items are copied out first, so writes never disturb the cursor. */
static int apply_backfill(index_job_t *j, pt_txn_t *txn)
{
    pt_table_t *t = j->table;
    pt_index_t *ix = by_id(t, j->index_id);
    if (!ix || !ix->backfilling) {
        j->finished = true;
        return PT_OK;
    }
    pt_arena_t arena;
    pt_arena_init(&arena);
    pt_buf_t prefix = PT_BUF_INIT, ek = PT_BUF_INIT, val = PT_BUF_INIT;
    pt_cursor_t *cur = NULL;
    base_entry_t *batch = pt_arena_alloc(&arena, sizeof *batch * PT_INDEX_BATCH);
    uint32_t n = 0;
    pt_key_table_prefix(t->id, 0, &prefix);
    int rc = pt_cursor_open(txn, &cur, &j->sync.err);
    if (rc) goto done;
    pt_slice_t k, v;
    bool resume = ix->backfill_pos_len > 0;
    pt_slice_t from = resume ? pt_slice(ix->backfill_pos, ix->backfill_pos_len) : pt_slice(prefix.data, prefix.len);
    rc = pt_cursor_seek(cur, from, &k, &v, &j->sync.err);
    if (rc == PT_OK && resume && k.len == from.len && !memcmp(k.data, from.data, from.len))
        rc = pt_cursor_next(cur, &k, &v, &j->sync.err);
    while (rc == PT_OK && n < PT_INDEX_BATCH && k.len >= prefix.len && !memcmp(k.data, prefix.data, prefix.len)) {
        batch[n].key = pt_slice(pt_arena_memdup(&arena, k.data, k.len), k.len);
        batch[n].value = pt_slice(pt_arena_memdup(&arena, v.data, v.len), v.len);
        n++;
        rc = pt_cursor_next(cur, &k, &v, &j->sync.err);
    }
    if (rc == PT_ERR) goto done;
    j->finished = rc == PT_NOTFOUND || k.len < prefix.len || memcmp(k.data, prefix.data, prefix.len);
    pt_cursor_close(cur);
    cur = NULL;

    int64_t dcount = 0, dbytes = 0;
    for (uint32_t i = 0; i < n; i++) {
        pt_stored_item_t item;
        if ((rc = pt_range_value_decode(&arena, batch[i].value, &item, &j->sync.err))) goto done;
        pt_buf_clear(&ek);
        if (!pt_index_entry_key(t, ix, &item.item, &ek)) continue;
        pt_slice_t existing;
        rc = pt_get(txn, pt_slice(ek.data, ek.len), &existing, &j->sync.err);
        if (rc == PT_ERR) goto done;
        if (rc == PT_OK) continue; /* a client write indexed it already */
        pt_av_t p;
        uint32_t psize = projected(&arena, t, ix, &item.item, item.size, &p);
        pt_buf_clear(&val);
        encode_value(&p, psize, &val);
        if ((rc = pt_put(txn, pt_slice(ek.data, ek.len), pt_slice(val.data, val.len), &j->sync.err))) goto done;
        dcount++;
        dbytes += psize;
    }
    rc = PT_OK;
    if ((dcount || dbytes) && (rc = pt_catalog_add_index_stats(txn, t, ix->id, dcount, dbytes, &j->sync.err))) goto done;
    if (j->finished) {
        /* Saved as finished here, but shown finished (ACTIVE) only once
         * this batch has committed (run_until_finished): until then a
         * reader's snapshot holds neither the entries nor the statistics
         * the backfill wrote. Meanwhile client writes stay in the exact
         * mode, which is correct in either state. */
        pthread_mutex_lock(&t->meta_lock);
        ix->backfilling = false;
        rc = pt_catalog_save(txn, t, &j->sync.err);
        ix->backfilling = true;
        pthread_mutex_unlock(&t->meta_lock);
        if (rc) goto done;
        free(ix->backfill_pos);
        ix->backfill_pos = NULL;
        ix->backfill_pos_len = 0;
    } else if (n) {
        /* Kept across jobs in memory only: if this batch does not commit,
         * the catalog reload discards the table object and with it the
         * position, and the backfill restarts from the first item. */
        uint8_t *pos = malloc(batch[n - 1].key.len);
        if (!pos) pt_oom();
        memcpy(pos, batch[n - 1].key.data, batch[n - 1].key.len);
        free(ix->backfill_pos);
        ix->backfill_pos = pos;
        ix->backfill_pos_len = batch[n - 1].key.len;
    }
done:
    if (cur) pt_cursor_close(cur);
    pt_buf_free(&prefix);
    pt_buf_free(&ek);
    pt_buf_free(&val);
    pt_arena_destroy(&arena);
    return rc;
}

static int job_apply(pt_write_job_t *job, pt_txn_t *txn)
{
    index_job_t *j = (index_job_t *)job;
    if (atomic_load(&j->table->deleted)) {
        j->finished = true;
        return PT_OK;
    }
    return j->kind == JOB_PURGE ? apply_purge(j, txn) : apply_backfill(j, txn);
}

static bool stopping(pt_indexer_t *x) { return pt_worker_stopping(&x->worker); }

/* Runs jobs of one kind on one index until its work is finished. */
static void run_until_finished(pt_indexer_t *x, pt_table_t *t, int kind, uint8_t index_id)
{
    while (!stopping(x) && !atomic_load(&t->deleted)) {
        index_job_t j;
        memset(&j, 0, sizeof j);
        j.kind = kind;
        j.table = t;
        j.index_id = index_id;
        j.sync.job.apply = job_apply;
        int rc = pt_sync_job_run(x->engine->writer, &j.sync);
        if (rc && j.sync.err.message[0])
            fprintf(stderr, "portico: index %s of table %s (id %u) failed: %s\n",
                    kind == JOB_PURGE ? "purge" : "backfill", t->name, index_id, j.sync.err.message);
        if (rc || j.finished) {
            if (!rc && kind == JOB_BACKFILL) {
                /* committed: the index is ACTIVE. Its id cannot have been
                 * reused meanwhile: a deleted index's id stays taken until
                 * its purge, which runs on this thread, ends. */
                pthread_mutex_lock(&t->meta_lock);
                pt_index_t *ix = by_id(t, index_id);
                if (ix) ix->backfilling = false;
                pthread_mutex_unlock(&t->meta_lock);
            }
            break;
        }
    }
}

static void work_table(pt_indexer_t *x, pt_table_t *t)
{
    uint8_t purge[PT_MAX_INDEXES], backfill[PT_MAX_INDEXES];
    uint32_t npurge = 0, nbackfill = 0;
    pthread_mutex_lock(&t->meta_lock);
    for (uint8_t id = 1; id <= PT_MAX_INDEXES; id++)
        if (t->index_purge & (1u << id)) purge[npurge++] = id;
    for (uint32_t i = 0; i < t->nindexes; i++)
        if (t->indexes[i]->backfilling) backfill[nbackfill++] = t->indexes[i]->id;
    pthread_mutex_unlock(&t->meta_lock);
    for (uint32_t i = 0; i < npurge; i++) run_until_finished(x, t, JOB_PURGE, purge[i]);
    for (uint32_t i = 0; i < nbackfill; i++) run_until_finished(x, t, JOB_BACKFILL, backfill[i]);
}

static void work_once(pt_indexer_t *x)
{
    pt_catalog_t *c = &x->engine->catalog;
    pt_table_t **work = NULL;
    uint32_t n = 0;
    pthread_rwlock_rdlock(&c->lock);
    if (c->ntables) {
        work = malloc(sizeof *work * c->ntables);
        if (!work) pt_oom();
    }
    for (uint32_t i = 0; i < c->ntables; i++) {
        pt_table_t *t = c->tables[i];
        bool busy = false;
        pthread_mutex_lock(&t->meta_lock);
        busy = t->index_purge != 0;
        for (uint32_t k = 0; k < t->nindexes; k++) busy |= t->indexes[k]->backfilling;
        pthread_mutex_unlock(&t->meta_lock);
        if (busy) {
            atomic_fetch_add(&t->refs, 1);
            work[n++] = t;
        }
    }
    pthread_rwlock_unlock(&c->lock);
    for (uint32_t i = 0; i < n; i++) {
        if (!stopping(x)) work_table(x, work[i]);
        pt_table_release(work[i]);
    }
    free(work);
}

static void indexer_work(void *arg) { work_once(arg); }

int pt_indexer_start(pt_engine_t *e, pt_indexer_t **out, pt_error_t *err)
{
    pt_indexer_t *x = calloc(1, sizeof *x);
    if (!x) pt_oom();
    x->engine = e;
    /* Work is persisted and announced by a kick (the first run resumes what
     * a restart interrupted); the one-second period only retries work whose
     * job failed (a failed batch commit). */
    if (pt_worker_start(&x->worker, "index builder", 1000, true, indexer_work, x, err)) {
        free(x);
        return PT_ERR;
    }
    *out = x;
    return PT_OK;
}

void pt_indexer_stop(pt_indexer_t *x)
{
    if (!x) return;
    pt_worker_stop(&x->worker);
    free(x);
}

void pt_indexer_kick(pt_indexer_t *x)
{
    if (x) pt_worker_kick(&x->worker);
}
