/* Stream records: see stream.h. */
#include "engine/stream.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "engine/key.h"

static const char *const view_names[] = {NULL, "KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"};

/* Expired records deleted per trim, and how often a trim runs (every
 * TRIM_EVERY sequence numbers): the head is looked at once per TRIM_EVERY
 * writes instead of once per write. */
#define TRIM_BATCH 256
#define TRIM_EVERY 64

const char *pt_stream_view_name(int view)
{
    return view >= PT_STREAM_KEYS_ONLY && view <= PT_STREAM_NEW_AND_OLD_IMAGES ? view_names[view] : NULL;
}

int pt_stream_view_from_name(const char *s, size_t len)
{
    for (int v = PT_STREAM_KEYS_ONLY; v <= PT_STREAM_NEW_AND_OLD_IMAGES; v++)
        if (strlen(view_names[v]) == len && !memcmp(view_names[v], s, len)) return v;
    return 0;
}

bool pt_stream_recording(const pt_table_t *t) { return t->stream_enabled; }



void pt_stream_key(uint32_t table_id, uint64_t seq, pt_buf_t *out)
{
    pt_key_table_prefix(table_id, PT_KEY_INDEX_STREAM, out);
    pt_buf_put_u64be(out, seq);
}

void pt_stream_label(int64_t ms, char *buf, size_t cap)
{
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    size_t n = strftime(buf, cap, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, cap - n, ".%03d", (int)(ms % 1000));
}

int pt_stream_next_seq(pt_txn_t *txn, uint32_t table_id, uint64_t *next, pt_error_t *err)
{
    pt_buf_t k = PT_BUF_INIT;
    pt_stream_key(table_id, UINT64_MAX, &k);
    pt_cursor_t *cur;
    int rc = pt_cursor_open(txn, &cur, err);
    if (rc) goto done;
    pt_slice_t ck, cv;
    rc = pt_cursor_seek_le(cur, pt_slice(k.data, k.len), &ck, &cv, err);
    *next = 1;
    if (rc == PT_OK && ck.len == k.len && !memcmp(ck.data, k.data, 5)) *next = pt_get_u64be((const uint8_t *)ck.data + 5) + 1;
    if (rc == PT_NOTFOUND || rc == PT_OK) rc = PT_OK;
    pt_cursor_close(cur);
done:
    pt_buf_free(&k);
    return rc;
}

/* Deletes up to `max` records of t's stream with sequence < `below` and,
 * when `older_than` is not 0, created before it (the head is the oldest:
 * the first record not matching stops the sweep). */
static int trim(pt_txn_t *txn, const pt_table_t *t, uint64_t below, int64_t older_than, int max, pt_error_t *err)
{
    pt_buf_t k = PT_BUF_INIT;
    pt_stream_key(t->id, 0, &k);
    pt_cursor_t *cur;
    int rc = pt_cursor_open(txn, &cur, err);
    if (rc) goto done;
    pt_slice_t ck, cv;
    rc = pt_cursor_seek(cur, pt_slice(k.data, k.len), &ck, &cv, err);
    for (int n = 0; rc == PT_OK && n < max; n++) {
        if (ck.len != k.len || memcmp(ck.data, k.data, 5)) break;
        if (pt_get_u64be((const uint8_t *)ck.data + 5) >= below) break;
        if (older_than && (cv.len < 12 || (int64_t)pt_get_u64be((const uint8_t *)cv.data + 4) >= older_than)) break;
        if ((rc = pt_cursor_del(cur, err))) break;
        rc = pt_cursor_seek(cur, pt_slice(k.data, k.len), &ck, &cv, err);
    }
    if (rc == PT_NOTFOUND) rc = PT_OK;
    pt_cursor_close(cur);
done:
    pt_buf_free(&k);
    return rc;
}

/* The key attributes of `item` as an item of their own (sorted by name, as
 * every item is), in arena memory. */
static pt_av_t keys_of(pt_arena_t *arena, const pt_table_t *t, const pt_av_t *item)
{
    pt_av_t k = {.type = PT_AV_M};
    k.u.members = pt_arena_calloc(arena, 2 * sizeof *k.u.members);
    const char *names[2] = {t->hash.name, t->range.name};
    if (names[1] && strcmp(names[1], names[0]) < 0) {
        names[1] = t->hash.name;
        names[0] = t->range.name;
    }
    for (int i = 0; i < 2; i++) {
        if (!names[i]) continue;
        const pt_av_t *v = pt_item_get(item, names[i], strlen(names[i]));
        if (!v) continue;
        pt_av_member_t *m = &k.u.members[k.len++];
        m->name = names[i];
        m->name_len = (uint32_t)strlen(names[i]);
        m->value = *v;
    }
    return k;
}

static void put_block(pt_buf_t *b, const pt_av_t *item)
{
    size_t at = b->len;
    pt_buf_put_u32be(b, 0);
    pt_item_encode(item, b);
    uint32_t n = (uint32_t)(b->len - at - 4);
    uint8_t *p = (uint8_t *)b->data + at;
    p[0] = (uint8_t)(n >> 24), p[1] = (uint8_t)(n >> 16), p[2] = (uint8_t)(n >> 8), p[3] = (uint8_t)n;
}

int pt_stream_record(pt_txn_t *txn, pt_table_t *t, const pt_stored_item_t *old, const pt_stored_item_t *new_item,
                     pt_write_origin_t origin, pt_error_t *err)
{
    if (!old && !new_item) return PT_OK;
    /* DynamoDB writes no record for a write that leaves the item as it was. */
    if (old && new_item && pt_av_equal(&old->item, &new_item->item)) return PT_OK;
    if (!t->stream_next_seq && pt_stream_next_seq(txn, t->id, &t->stream_next_seq, err)) return PT_ERR;
    if (t->stream_next_seq < t->stream_start_seq) t->stream_next_seq = t->stream_start_seq;
    uint64_t seq = t->stream_next_seq++;

    int view = t->stream_view;
    bool with_old = old && (view == PT_STREAM_OLD_IMAGE || view == PT_STREAM_NEW_AND_OLD_IMAGES);
    bool with_new = new_item && (view == PT_STREAM_NEW_IMAGE || view == PT_STREAM_NEW_AND_OLD_IMAGES);
    pt_arena_t arena;
    pt_arena_init(&arena);
    pt_av_t keys = keys_of(&arena, t, new_item ? &new_item->item : &old->item);
    uint32_t size = (uint32_t)pt_item_size(&keys) + (with_old ? old->size : 0) + (with_new ? new_item->size : 0);
    int64_t now = pt_now_ms();

    pt_buf_t v = PT_BUF_INIT;
    pt_buf_put_u8(&v, 1);
    pt_buf_put_u8(&v, (uint8_t)(!old ? PT_STREAM_INSERT : new_item ? PT_STREAM_MODIFY : PT_STREAM_REMOVE));
    pt_buf_put_u8(&v, (uint8_t)origin);
    pt_buf_put_u8(&v, (uint8_t)((with_old ? 1 : 0) | (with_new ? 2 : 0)));
    pt_buf_put_u64be(&v, (uint64_t)now);
    pt_buf_put_u32be(&v, size);
    put_block(&v, &keys);
    if (with_old) put_block(&v, &old->item);
    if (with_new) put_block(&v, &new_item->item);
    pt_buf_t k = PT_BUF_INIT;
    pt_stream_key(t->id, seq, &k);
    int rc = pt_put(txn, pt_slice(k.data, k.len), pt_slice(v.data, v.len), err);
    pt_buf_free(&k);
    pt_buf_free(&v);
    pt_arena_destroy(&arena);
    if (rc == PT_OK && seq % TRIM_EVERY == 0)
        rc = trim(txn, t, seq, now - PT_STREAM_RETENTION_MS, TRIM_BATCH, err);
    return rc;
}

int pt_stream_enable(pt_txn_t *txn, pt_table_t *t, int view, pt_error_t *err)
{
    uint64_t next;
    if (pt_stream_next_seq(txn, t->id, &next, err)) return PT_ERR;
    if (next < t->stream_next_seq) next = t->stream_next_seq; /* numbers taken by aborted writes stay unused */
    int64_t now = pt_now_ms();
    /* The closed stream joins the older ones, which stay readable for a
     * day after they closed (at most PT_STREAM_OLD_MAX of them); records
     * of none of them go. */
    struct pt_stream_old kept[PT_STREAM_OLD_MAX];
    uint32_t nkept = 0;
    if (t->stream_view)
        kept[nkept++] = (struct pt_stream_old){t->stream_view, t->stream_created_ms, t->stream_closed_ms,
                                               t->stream_start_seq, t->stream_end_seq};
    for (uint32_t i = 0; i < t->nstream_old && nkept < PT_STREAM_OLD_MAX; i++)
        if (t->stream_old[i].closed_ms >= now - PT_STREAM_RETENTION_MS) kept[nkept++] = t->stream_old[i];
    uint64_t oldest = nkept ? kept[nkept - 1].start_seq : next;
    if (trim(txn, t, oldest, 0, INT32_MAX, err)) return PT_ERR;
    pthread_mutex_lock(&t->meta_lock);
    memcpy(t->stream_old, kept, nkept * sizeof *kept);
    t->nstream_old = nkept;
    t->stream_view = (uint8_t)view;
    t->stream_enabled = true;
    /* two streams of one table never share a label (ARN) */
    t->stream_created_ms = now > t->stream_created_ms ? now : t->stream_created_ms + 1;
    t->stream_closed_ms = 0;
    t->stream_start_seq = next;
    t->stream_end_seq = 0;
    t->stream_next_seq = next;
    pthread_mutex_unlock(&t->meta_lock);
    return PT_OK;
}

int pt_stream_disable(pt_txn_t *txn, pt_table_t *t, pt_error_t *err)
{
    uint64_t next;
    if (pt_stream_next_seq(txn, t->id, &next, err)) return PT_ERR;
    if (next < t->stream_start_seq) next = t->stream_start_seq;
    pthread_mutex_lock(&t->meta_lock);
    t->stream_enabled = false;
    t->stream_end_seq = next - 1;
    t->stream_closed_ms = pt_now_ms();
    pthread_mutex_unlock(&t->meta_lock);
    return PT_OK;
}

static int get_block(pt_arena_t *arena, const uint8_t **p, const uint8_t *end, pt_av_t *out, pt_error_t *err)
{
    if (end - *p < 4) return PT_ERR;
    uint32_t n = pt_get_u32be(*p);
    *p += 4;
    if ((size_t)(end - *p) < n) return PT_ERR;
    if (pt_item_decode(arena, *p, n, out, err)) return PT_ERR;
    *p += n;
    return PT_OK;
}

int pt_stream_decode(pt_arena_t *arena, pt_slice_t key, pt_slice_t value, pt_stream_rec_t *out, pt_error_t *err)
{
    memset(out, 0, sizeof *out);
    const uint8_t *p = (const uint8_t *)value.data, *end = p + value.len;
    if (key.len != 13 || value.len < 20 || p[0] != 1) goto corrupt;
    out->seq = pt_get_u64be((const uint8_t *)key.data + 5);
    out->event = p[1];
    out->origin = p[2];
    out->has_old = p[3] & 1;
    out->has_new = (p[3] & 2) != 0;
    out->created_ms = (int64_t)pt_get_u64be(p + 4);
    out->size = pt_get_u32be(p + 12);
    p += 16;
    if (out->event < PT_STREAM_INSERT || out->event > PT_STREAM_REMOVE) goto corrupt;
    if (get_block(arena, &p, end, &out->keys, err)) goto corrupt;
    if (out->has_old && get_block(arena, &p, end, &out->old_image, err)) goto corrupt;
    if (out->has_new && get_block(arena, &p, end, &out->new_image, err)) goto corrupt;
    return PT_OK;
corrupt:
    return pt_error_set(err, PT_E_INTERNAL, "corrupt stream record");
}

void pt_stream_arn(const pt_engine_t *e, const char *table, int64_t created_ms, char *buf, size_t cap)
{
    char label[32];
    pt_stream_label(created_ms, label, sizeof label);
    snprintf(buf, cap, "arn:aws:dynamodb:%s:%s:table/%s/stream/%s", e->region, e->account_id, table, label);
}

void pt_stream_describe_table(const pt_engine_t *e, pt_table_t *t, pt_jw_t *w)
{
    pthread_mutex_lock(&t->meta_lock);
    int view = t->stream_view;
    bool enabled = t->stream_enabled;
    int64_t created = t->stream_created_ms;
    pthread_mutex_unlock(&t->meta_lock);
    if (!view) return;
    if (enabled) {
        pt_jw_keyz(w, "StreamSpecification");
        pt_jw_obj_begin(w);
        pt_jw_keyz(w, "StreamEnabled"); pt_jw_bool(w, true);
        pt_jw_keyz(w, "StreamViewType"); pt_jw_strz(w, pt_stream_view_name(view));
        pt_jw_obj_end(w);
    }
    char label[32], arn[600];
    pt_stream_label(created, label, sizeof label);
    pt_stream_arn(e, t->name, created, arn, sizeof arn);
    pt_jw_keyz(w, "LatestStreamLabel"); pt_jw_strz(w, label);
    pt_jw_keyz(w, "LatestStreamArn"); pt_jw_strz(w, arn);
}

/* ---- streams of deleted tables ---- */

static void dropped_key(pt_buf_t *k, uint32_t table_id)
{
    pt_catalog_meta_key(k, 'D');
    pt_buf_put_u32be(k, table_id);
}

int pt_stream_table_deleted(pt_txn_t *txn, pt_table_t *t, bool *keep, pt_error_t *err)
{
    *keep = false;
    int64_t now = pt_now_ms();
    struct pt_stream_old list[1 + PT_STREAM_OLD_MAX];
    uint32_t n = 0;
    if (t->stream_view) {
        list[n] = (struct pt_stream_old){t->stream_view, t->stream_created_ms, t->stream_closed_ms,
                                         t->stream_start_seq, t->stream_end_seq};
        if (t->stream_enabled) { /* deleting the table closes its stream */
            uint64_t next;
            if (pt_stream_next_seq(txn, t->id, &next, err)) return PT_ERR;
            if (next < t->stream_start_seq) next = t->stream_start_seq;
            list[n].closed_ms = now;
            list[n].end_seq = next - 1;
        }
        n++;
    }
    for (uint32_t i = 0; i < t->nstream_old; i++)
        if (t->stream_old[i].closed_ms >= now - PT_STREAM_RETENTION_MS) list[n++] = t->stream_old[i];
    if (!n) return PT_OK;
    pt_buf_t k = PT_BUF_INIT, v = PT_BUF_INIT;
    pt_jw_t w;
    pt_jw_init(&w, &v);
    pt_jw_obj_begin(&w);
    pt_jw_keyz(&w, "name"); pt_jw_strz(&w, t->name);
    pt_jw_keyz(&w, "uuid"); pt_jw_strz(&w, t->uuid);
    pt_jw_keyz(&w, "hash"); pt_jw_strz(&w, t->hash.name);
    if (t->range.name) { pt_jw_keyz(&w, "range"); pt_jw_strz(&w, t->range.name); }
    pt_jw_keyz(&w, "deleted"); pt_jw_int(&w, now);
    pt_jw_keyz(&w, "streams");
    pt_jw_arr_begin(&w);
    for (uint32_t i = 0; i < n; i++) {
        pt_jw_arr_begin(&w);
        pt_jw_int(&w, list[i].view);
        pt_jw_int(&w, list[i].created_ms);
        pt_jw_int(&w, list[i].closed_ms);
        pt_jw_int(&w, (int64_t)list[i].start_seq);
        pt_jw_int(&w, (int64_t)list[i].end_seq);
        pt_jw_arr_end(&w);
    }
    pt_jw_arr_end(&w);
    pt_jw_obj_end(&w);
    dropped_key(&k, t->id);
    int rc = pt_put(txn, pt_slice(k.data, k.len), pt_slice(v.data, v.len), err);
    pt_buf_free(&k);
    pt_buf_free(&v);
    *keep = rc == PT_OK;
    return rc;
}

static int decode_dropped(pt_arena_t *arena, pt_slice_t key, pt_slice_t value, pt_stream_dropped_t *d,
                          pt_error_t *err)
{
    memset(d, 0, sizeof *d);
    pt_json_t j;
    if (key.len != 9 || pt_json_parse(arena, value.data, value.len, &j, NULL, 0) || j.type != PT_JSON_OBJECT)
        goto corrupt;
    d->table_id = pt_get_u32be((const uint8_t *)key.data + 5);
    const char **strs[] = {&d->name, &d->uuid, &d->hash, &d->range};
    const char *names[] = {"name", "uuid", "hash", "range"};
    for (int i = 0; i < 4; i++) {
        const pt_json_t *v = pt_json_get(&j, names[i]);
        if (v && v->type == PT_JSON_STRING) *strs[i] = pt_arena_strndup(arena, v->u.str, v->len);
    }
    const pt_json_t *del = pt_json_get(&j, "deleted");
    const pt_json_t *st = pt_json_get(&j, "streams");
    if (!d->name || !d->uuid || !d->hash || !del || pt_json_int64(del, &d->deleted_ms) || !st ||
        st->type != PT_JSON_ARRAY || st->len > sizeof d->streams / sizeof *d->streams)
        goto corrupt;
    for (uint32_t i = 0; i < st->len; i++) {
        const pt_json_t *e = &st->u.elems[i];
        int64_t f[5];
        if (e->type != PT_JSON_ARRAY || e->len != 5) goto corrupt;
        for (int k = 0; k < 5; k++)
            if (pt_json_int64(&e->u.elems[k], &f[k])) goto corrupt;
        if (!pt_stream_view_name((int)f[0])) goto corrupt;
        d->streams[d->nstreams++] = (struct pt_stream_old){(uint8_t)f[0], f[1], f[2], (uint64_t)f[3], (uint64_t)f[4]};
    }
    return PT_OK;
corrupt:
    return pt_error_set(err, PT_E_INTERNAL, "corrupt record of a deleted table's streams");
}

int pt_stream_dropped_list(pt_txn_t *txn, pt_arena_t *arena, pt_stream_dropped_t **out, uint32_t *n,
                           pt_error_t *err)
{
    pt_buf_t prefix = PT_BUF_INIT;
    pt_catalog_meta_key(&prefix, 'D');
    pt_cursor_t *cur;
    uint32_t cap = 0;
    *out = NULL;
    *n = 0;
    int rc = pt_cursor_open(txn, &cur, err);
    if (rc == PT_OK) {
        int64_t horizon = pt_now_ms() - PT_STREAM_RETENTION_MS;
        pt_slice_t ck, cv;
        rc = pt_cursor_seek(cur, pt_slice(prefix.data, prefix.len), &ck, &cv, err);
        while (rc == PT_OK && ck.len > prefix.len && !memcmp(ck.data, prefix.data, prefix.len)) {
            pt_stream_dropped_t d;
            if ((rc = decode_dropped(arena, ck, cv, &d, err))) break;
            if (d.deleted_ms >= horizon) {
                if (*n == cap) {
                    cap = cap ? cap * 2 : 8;
                    pt_stream_dropped_t *grown = pt_arena_alloc(arena, cap * sizeof *grown);
                    if (*n) memcpy(grown, *out, *n * sizeof *grown);
                    *out = grown;
                }
                (*out)[(*n)++] = d;
            }
            rc = pt_cursor_next(cur, &ck, &cv, err);
        }
        if (rc == PT_NOTFOUND) rc = PT_OK;
        pt_cursor_close(cur);
    }
    pt_buf_free(&prefix);
    return rc;
}

int pt_stream_purge_dropped(pt_txn_t *txn, pt_error_t *err)
{
    pt_arena_t arena;
    pt_arena_init(&arena);
    pt_buf_t prefix = PT_BUF_INIT, k = PT_BUF_INIT;
    pt_catalog_meta_key(&prefix, 'D');
    int64_t horizon = pt_now_ms() - PT_STREAM_RETENTION_MS;
    uint32_t expired[16], n = 0;
    pt_cursor_t *cur;
    int rc = pt_cursor_open(txn, &cur, err);
    if (rc == PT_OK) {
        pt_slice_t ck, cv;
        rc = pt_cursor_seek(cur, pt_slice(prefix.data, prefix.len), &ck, &cv, err);
        while (rc == PT_OK && n < 16 && ck.len > prefix.len && !memcmp(ck.data, prefix.data, prefix.len)) {
            pt_stream_dropped_t d;
            if (decode_dropped(&arena, ck, cv, &d, err) == PT_OK && d.deleted_ms < horizon) expired[n++] = d.table_id;
            rc = pt_cursor_next(cur, &ck, &cv, err);
        }
        if (rc == PT_NOTFOUND) rc = PT_OK;
        pt_cursor_close(cur);
    }
    /* each expired table: its stream records, then its record */
    for (uint32_t i = 0; i < n && rc == PT_OK; i++) {
        pt_buf_clear(&k);
        pt_key_table_prefix(expired[i], PT_KEY_INDEX_STREAM, &k);
        if ((rc = pt_del_prefix(txn, pt_slice(k.data, k.len), 0, NULL, err))) break;
        pt_buf_clear(&k);
        dropped_key(&k, expired[i]);
        if (rc == PT_OK && pt_del(txn, pt_slice(k.data, k.len), err) == PT_ERR) rc = PT_ERR;
    }
    pt_buf_free(&prefix);
    pt_buf_free(&k);
    pt_arena_destroy(&arena);
    return rc;
}
