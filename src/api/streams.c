/* DynamoDB Streams (service "DynamoDBStreams_20120810"): ListStreams,
 * DescribeStream, GetShardIterator, GetRecords, over the records the
 * engine writes with each change (engine/stream.h). Reads only: they run
 * on the calling thread in one read transaction.
 *
 * Streams of a live table come from its metadata, those of a deleted one
 * from the record DeleteTable left (engine/stream.h): an ARN resolves to
 * either. One shard per stream; its id is derived from the stream's
 * creation time and the table's TableId. Sequence numbers are the records'
 * u64 numbers printed as 21 digits (DynamoDB's minimum length), so they
 * compare as strings and as numbers alike. A shard iterator is
 * "<stream ARN>|<next sequence number, hex>|<issue time, ms, hex>", the ARN
 * first as DynamoDB's iterators have it; it expires after 15 minutes, as
 * DynamoDB's do. */
#include "api/api.h"
#include "api/params.h"
#include "engine/stream.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define E_EXPIRED_ITERATOR PT_DDB "ExpiredIteratorException"
#define ITERATOR_TTL_MS (15LL * 60 * 1000)
#define MAX_RECORDS_BYTES (1024 * 1024)

#define ARN_PARAM                                                                                          \
    {.name = "StreamArn", .type = PT_P_STRING, .flags = PT_P_REQUIRED | PT_P_HAS_MINLEN | PT_P_HAS_MAXLEN, \
     .min_len = 37, .max_len = 1024}

static const pt_param_t list_streams_schema[] = {
    {.name = "TableName", .type = PT_P_STRING, .flags = PT_P_NAME_REGEX | PT_P_HAS_MINLEN | PT_P_HAS_MAXLEN,
     .min_len = 3, .max_len = 255},
    {.name = "Limit", .type = PT_P_INTEGER, .flags = PT_P_HAS_MIN | PT_P_HAS_MAX, .min = 1, .max = 100},
    {.name = "ExclusiveStartStreamArn", .type = PT_P_STRING, .flags = PT_P_HAS_MINLEN | PT_P_HAS_MAXLEN,
     .min_len = 37, .max_len = 1024},
    {0},
};

static const pt_param_t describe_stream_schema[] = {
    ARN_PARAM,
    {.name = "Limit", .type = PT_P_INTEGER, .flags = PT_P_HAS_MIN | PT_P_HAS_MAX, .min = 1, .max = 100},
    {.name = "ExclusiveStartShardId", .type = PT_P_STRING, .flags = PT_P_HAS_MINLEN | PT_P_HAS_MAXLEN,
     .min_len = 28, .max_len = 65},
    {0},
};

static const pt_param_t get_shard_iterator_schema[] = {
    ARN_PARAM,
    {.name = "ShardId", .type = PT_P_STRING, .flags = PT_P_REQUIRED | PT_P_HAS_MINLEN | PT_P_HAS_MAXLEN,
     .min_len = 28, .max_len = 65},
    {.name = "ShardIteratorType", .type = PT_P_STRING, .flags = PT_P_REQUIRED,
     .enums = (const char *const[]){"TRIM_HORIZON", "LATEST", "AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER",
                                    NULL}},
    {.name = "SequenceNumber", .type = PT_P_STRING, .flags = PT_P_HAS_MINLEN | PT_P_HAS_MAXLEN, .min_len = 21,
     .max_len = 40},
    {0},
};

static const pt_param_t get_records_schema[] = {
    {.name = "ShardIterator", .type = PT_P_STRING, .flags = PT_P_REQUIRED | PT_P_HAS_MINLEN | PT_P_HAS_MAXLEN,
     .min_len = 1, .max_len = 2048},
    {.name = "Limit", .type = PT_P_INTEGER, .flags = PT_P_HAS_MIN | PT_P_HAS_MAX, .min = 1, .max = 1000},
    {0},
};

/* One stream: of a live table (its state read under the table's lock) or
 * of a deleted table (from its record). Strings live in call memory. */
typedef struct stream_ref {
    uint32_t table_id;
    const char *table, *uuid, *hash, *range; /* range NULL: no sort key */
    int view;
    bool enabled;
    int64_t created_ms;
    uint64_t start_seq, end_seq;
    char arn[600];
    char shard[80];
} stream_ref_t;

/* The first `n` hex digits of a TableId (its dashes skipped) into out[n + 1]. */
static void uuid_hex(const char *uuid, size_t n, char *out)
{
    size_t k = 0;
    for (size_t i = 0; uuid[i] && k < n; i++)
        if (uuid[i] != '-') out[k++] = uuid[i];
    out[k] = 0;
}

static void shard_id(const char *uuid, int64_t created_ms, char *buf, size_t cap)
{
    char hex[9];
    uuid_hex(uuid, 8, hex);
    snprintf(buf, cap, "shardId-%020" PRId64 "-%s", created_ms, hex);
}

static void seq_text(uint64_t seq, char *buf, size_t cap) { snprintf(buf, cap, "%021" PRIu64, seq); }

#define MAX_STREAMS (1 + PT_STREAM_OLD_MAX)

static char *dup(pt_call_t *call, const char *s) { return s ? pt_arena_strndup(&call->arena, s, strlen(s)) : NULL; }

static void finish_ref(pt_call_t *call, stream_ref_t *r)
{
    pt_stream_arn(call->engine, r->table, r->created_ms, r->arn, sizeof r->arn);
    shard_id(r->uuid, r->created_ms, r->shard, sizeof r->shard);
}

/* The live table's streams, the latest first, then the closed older ones
 * still kept, newest first; returns how many (0: it never had one). */
static int streams_of(pt_call_t *call, pt_table_t *t, stream_ref_t *r)
{
    int n = 0;
    int64_t horizon = pt_now_ms() - PT_STREAM_RETENTION_MS;
    stream_ref_t base = {.table_id = t->id, .table = dup(call, t->name), .uuid = dup(call, t->uuid),
                         .hash = dup(call, t->hash.name), .range = dup(call, t->range.name)};
    pthread_mutex_lock(&t->meta_lock);
    if (t->stream_view) {
        r[n] = base;
        r[n].view = t->stream_view;
        r[n].enabled = t->stream_enabled;
        r[n].created_ms = t->stream_created_ms;
        r[n].start_seq = t->stream_start_seq;
        r[n++].end_seq = t->stream_end_seq;
    }
    for (uint32_t i = 0; i < t->nstream_old; i++) {
        const struct pt_stream_old *o = &t->stream_old[i];
        if (o->closed_ms < horizon) continue;
        r[n] = base;
        r[n].view = o->view;
        r[n].created_ms = o->created_ms;
        r[n].start_seq = o->start_seq;
        r[n++].end_seq = o->end_seq;
    }
    pthread_mutex_unlock(&t->meta_lock);
    for (int i = 0; i < n; i++) finish_ref(call, &r[i]);
    return n;
}

/* The still readable streams of a deleted table (all closed). */
static int dropped_streams(pt_call_t *call, const pt_stream_dropped_t *d, stream_ref_t *r)
{
    int n = 0;
    int64_t horizon = pt_now_ms() - PT_STREAM_RETENTION_MS;
    for (uint32_t i = 0; i < d->nstreams; i++) {
        const struct pt_stream_old *o = &d->streams[i];
        if (o->closed_ms < horizon) continue;
        r[n] = (stream_ref_t){.table_id = d->table_id, .table = d->name, .uuid = d->uuid, .hash = d->hash,
                              .range = d->range, .view = o->view, .created_ms = o->created_ms,
                              .start_seq = o->start_seq, .end_seq = o->end_seq};
        finish_ref(call, &r[n++]);
    }
    return n;
}

/* Every readable stream: live tables' and deleted tables', ordered by
 * table name, then newest first. */
static int cmp_ref(const void *a, const void *b)
{
    const stream_ref_t *x = a, *y = b;
    int c = strcmp(x->table, y->table);
    if (c) return c;
    return x->created_ms < y->created_ms ? 1 : x->created_ms > y->created_ms ? -1 : 0;
}

static int all_streams(pt_call_t *call, const char *only, size_t only_len, stream_ref_t **out, uint32_t *count)
{
    uint32_t n = 0, cap = 16;
    stream_ref_t *all = pt_arena_alloc(&call->arena, cap * sizeof *all);
    stream_ref_t one[MAX_STREAMS];
    const char *cursor = NULL;
    if (only) { /* one table: no need to walk the catalog */
        pt_table_t *t = pt_catalog_get(call->engine, only, only_len);
        if (t) {
            n = (uint32_t)streams_of(call, t, one);
            memcpy(all, one, n * sizeof *one);
            pt_table_release(t);
        }
    }
    for (bool more = !only; more;) {
        const char **names;
        int k;
        if (pt_catalog_list(call->engine, &call->arena, cursor, cursor ? strlen(cursor) : 0, 100, &names, &k, &more))
            return pt_error_set(&call->err, PT_E_INTERNAL, "cannot list tables");
        for (int i = 0; i < k; i++) {
            cursor = names[i];
            pt_table_t *t = pt_catalog_get(call->engine, names[i], strlen(names[i]));
            if (!t) continue;
            int ns = streams_of(call, t, one);
            pt_table_release(t);
            for (int j = 0; j < ns; j++) {
                if (n == cap) {
                    stream_ref_t *grown = pt_arena_alloc(&call->arena, 2 * cap * sizeof *grown);
                    memcpy(grown, all, n * sizeof *all);
                    all = grown;
                    cap *= 2;
                }
                all[n++] = one[j];
            }
        }
        if (!k) break;
    }
    pt_txn_t *txn;
    if (pt_txn_begin(call->engine->store, PT_TXN_READ, NULL, &txn, &call->err)) return PT_ERR;
    pt_stream_dropped_t *d;
    uint32_t nd;
    int rc = pt_stream_dropped_list(txn, &call->arena, &d, &nd, &call->err);
    pt_txn_abort(txn);
    if (rc) return PT_ERR;
    for (uint32_t i = 0; i < nd; i++) {
        if (only && (strlen(d[i].name) != only_len || memcmp(d[i].name, only, only_len))) continue;
        int ns = dropped_streams(call, &d[i], one);
        for (int j = 0; j < ns; j++) {
            if (n == cap) {
                stream_ref_t *grown = pt_arena_alloc(&call->arena, 2 * cap * sizeof *grown);
                memcpy(grown, all, n * sizeof *all);
                all = grown;
                cap *= 2;
            }
            all[n++] = one[j];
        }
    }
    qsort(all, n, sizeof *all, cmp_ref);
    *out = all;
    *count = n;
    return PT_OK;
}

/* Resolves a stream ARN ("arn:aws:dynamodb:R:A:table/NAME/stream/LABEL"):
 * a stream of the live table of that name, or of a deleted one. */
static int resolve(pt_call_t *call, const char *arn, size_t len, stream_ref_t *r)
{
    const char *tp = memmem(arn, len, ":table/", 7);
    const char *name = tp ? tp + 7 : NULL;
    const char *sp = name ? memmem(name, (size_t)(arn + len - name), "/stream/", 8) : NULL;
    if (len < 4 || memcmp(arn, "arn:", 4) || !sp || sp == name)
        return pt_error_set(&call->err, PT_E_VALIDATION, "Invalid StreamArn: %.*s", (int)(len > 1024 ? 1024 : len),
                            arn);
    /* the live table first: GetRecords should not read the deleted
     * tables' records to find a live stream */
    stream_ref_t live[MAX_STREAMS];
    pt_table_t *t = pt_catalog_get(call->engine, name, (size_t)(sp - name));
    int nl = t ? streams_of(call, t, live) : 0;
    if (t) pt_table_release(t);
    for (int i = 0; i < nl; i++)
        if (strlen(live[i].arn) == len && !memcmp(live[i].arn, arn, len)) {
            *r = live[i];
            return PT_OK;
        }
    stream_ref_t *all;
    uint32_t n;
    if (all_streams(call, name, (size_t)(sp - name), &all, &n)) return PT_ERR;
    for (uint32_t i = 0; i < n; i++)
        if (strlen(all[i].arn) == len && !memcmp(all[i].arn, arn, len)) {
            *r = all[i];
            return PT_OK;
        }
    return pt_error_set(&call->err, PT_E_NOT_FOUND, "Requested resource not found: Stream: %.*s not found",
                        (int)(len > 1024 ? 1024 : len), arn);
}

static void write_key_schema(pt_jw_t *w, const stream_ref_t *r)
{
    pt_jw_arr_begin(w);
    const char *names[2] = {r->hash, r->range};
    for (int i = 0; i < 2 && names[i]; i++) {
        pt_jw_obj_begin(w);
        pt_jw_keyz(w, "AttributeName"); pt_jw_strz(w, names[i]);
        pt_jw_keyz(w, "KeyType"); pt_jw_strz(w, i ? "RANGE" : "HASH");
        pt_jw_obj_end(w);
    }
    pt_jw_arr_end(w);
}

int pt_op_list_streams(pt_call_t *call, const pt_json_t *req)
{
    if (pt_params_check(&call->arena, req, list_streams_schema, &call->err)) return PT_ERR;
    int64_t limit = pt_param_int(req, "Limit", 100);
    uint32_t tlen = 0, slen = 0;
    const char *only = pt_param_str(req, "TableName", &tlen);
    const char *start_arn = pt_param_str(req, "ExclusiveStartStreamArn", &slen);
    const char *start = NULL; /* the start ARN's table name */
    size_t start_len = 0;
    if (start_arn) {
        const char *tp = memmem(start_arn, slen, ":table/", 7);
        const char *sp = tp ? memmem(tp + 7, (size_t)(start_arn + slen - tp - 7), "/stream/", 8) : NULL;
        if (!sp)
            return pt_error_set(&call->err, PT_E_VALIDATION, "Invalid ExclusiveStartStreamArn: %.*s",
                                (int)(slen > 1024 ? 1024 : slen), start_arn);
        start = tp + 7;
        start_len = (size_t)(sp - start);
    }
    stream_ref_t *all;
    uint32_t n;
    if (all_streams(call, only, tlen, &all, &n)) return PT_ERR;
    /* resume after the start ARN; if it is gone, after its table's streams */
    uint32_t from = 0;
    if (start) {
        char *st = pt_arena_strndup(&call->arena, start, start_len);
        while (from < n && strcmp(all[from].table, st) < 0) from++;
        uint32_t i = from;
        while (i < n && !strcmp(all[i].table, st) && !(strlen(all[i].arn) == slen && !memcmp(all[i].arn, start_arn, slen)))
            i++;
        if (i < n && !strcmp(all[i].table, st)) from = i + 1;
        else
            while (from < n && !strcmp(all[from].table, st)) from++;
    }
    pt_jw_t w;
    pt_jw_init(&w, &call->out);
    pt_jw_obj_begin(&w);
    pt_jw_keyz(&w, "Streams");
    pt_jw_arr_begin(&w);
    uint32_t i = from;
    for (; i < n && i - from < (uint64_t)limit; i++) {
        char label[32];
        pt_stream_label(all[i].created_ms, label, sizeof label);
        pt_jw_obj_begin(&w);
        pt_jw_keyz(&w, "StreamArn"); pt_jw_strz(&w, all[i].arn);
        pt_jw_keyz(&w, "TableName"); pt_jw_strz(&w, all[i].table);
        pt_jw_keyz(&w, "StreamLabel"); pt_jw_strz(&w, label);
        pt_jw_obj_end(&w);
    }
    pt_jw_arr_end(&w);
    if (i < n && i > from) {
        pt_jw_keyz(&w, "LastEvaluatedStreamArn");
        pt_jw_strz(&w, all[i - 1].arn);
    }
    pt_jw_obj_end(&w);
    return PT_OK;
}

int pt_op_describe_stream(pt_call_t *call, const pt_json_t *req)
{
    if (pt_params_check(&call->arena, req, describe_stream_schema, &call->err)) return PT_ERR;
    uint32_t len, xlen = 0;
    const char *arn = pt_param_str(req, "StreamArn", &len);
    const char *after = pt_param_str(req, "ExclusiveStartShardId", &xlen);
    stream_ref_t r;
    if (resolve(call, arn, len, &r)) return PT_ERR;
    char label[32], num[32];
    pt_stream_label(r.created_ms, label, sizeof label);
    pt_jw_t w;
    pt_jw_init(&w, &call->out);
    pt_jw_obj_begin(&w);
    pt_jw_keyz(&w, "StreamDescription");
    pt_jw_obj_begin(&w);
    pt_jw_keyz(&w, "StreamArn"); pt_jw_strz(&w, r.arn);
    pt_jw_keyz(&w, "StreamLabel"); pt_jw_strz(&w, label);
    pt_jw_keyz(&w, "StreamStatus"); pt_jw_strz(&w, r.enabled ? "ENABLED" : "DISABLED");
    pt_jw_keyz(&w, "StreamViewType"); pt_jw_strz(&w, pt_stream_view_name(r.view));
    pt_jw_keyz(&w, "CreationRequestDateTime"); pt_jw_double(&w, (double)r.created_ms / 1000.0);
    pt_jw_keyz(&w, "TableName"); pt_jw_strz(&w, r.table);
    pt_jw_keyz(&w, "KeySchema"); write_key_schema(&w, &r);
    pt_jw_keyz(&w, "Shards");
    pt_jw_arr_begin(&w);
    /* the one shard, unless the caller has seen it */
    if (!(after && xlen == strlen(r.shard) && !memcmp(after, r.shard, xlen))) {
        pt_jw_obj_begin(&w);
        pt_jw_keyz(&w, "ShardId"); pt_jw_strz(&w, r.shard);
        pt_jw_keyz(&w, "SequenceNumberRange");
        pt_jw_obj_begin(&w);
        seq_text(r.start_seq, num, sizeof num);
        pt_jw_keyz(&w, "StartingSequenceNumber"); pt_jw_strz(&w, num);
        if (!r.enabled) {
            seq_text(r.end_seq, num, sizeof num);
            pt_jw_keyz(&w, "EndingSequenceNumber"); pt_jw_strz(&w, num);
        }
        pt_jw_obj_end(&w);
        pt_jw_obj_end(&w);
    }
    pt_jw_arr_end(&w);
    pt_jw_obj_end(&w);
    pt_jw_obj_end(&w);
    return PT_OK;
}

static void iterator_text(const stream_ref_t *r, uint64_t seq, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s|%" PRIx64 "|%" PRIx64, r->arn, seq, (uint64_t)pt_now_ms());
}

static bool parse_seq(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    if (!n) return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10) return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

int pt_op_get_shard_iterator(pt_call_t *call, const pt_json_t *req)
{
    if (pt_params_check(&call->arena, req, get_shard_iterator_schema, &call->err)) return PT_ERR;
    uint32_t len, slen, tlen, qlen = 0;
    const char *arn = pt_param_str(req, "StreamArn", &len);
    const char *shard = pt_param_str(req, "ShardId", &slen);
    const char *type = pt_param_str(req, "ShardIteratorType", &tlen);
    const char *seqs = pt_param_str(req, "SequenceNumber", &qlen);
    bool at = !strncmp(type, "AT_SEQUENCE_NUMBER", tlen), after = !strncmp(type, "AFTER_SEQUENCE_NUMBER", tlen);
    if ((at || after) && !seqs)
        return pt_error_set(&call->err, PT_E_VALIDATION,
                            "Must provide a sequence number for iterator type %.*s", (int)tlen, type);
    if (!(at || after) && seqs)
        return pt_error_set(&call->err, PT_E_VALIDATION,
                            "Sequence number must not be provided for iterator type %.*s", (int)tlen, type);
    uint64_t seq = 0;
    if (seqs && !parse_seq(seqs, qlen, &seq))
        return pt_error_set(&call->err, PT_E_VALIDATION, "Invalid SequenceNumber: %.*s", (int)qlen, seqs);
    stream_ref_t r;
    if (resolve(call, arn, len, &r)) return PT_ERR;
    if (slen != strlen(r.shard) || memcmp(shard, r.shard, slen))
        return pt_error_set(&call->err, PT_E_NOT_FOUND, "Requested resource not found: Shard does not exist");
    uint64_t pos;
    if (at || after) {
        pos = after ? seq + 1 : seq;
        uint64_t last_possible = r.enabled ? UINT64_MAX : r.end_seq;
        if (seq < r.start_seq || seq > last_possible)
            return pt_error_set(&call->err, PT_E_VALIDATION,
                                "Invalid SequenceNumber %.*s for shard %s: it is outside the shard's range",
                                (int)qlen, seqs, r.shard);
    } else if (!strncmp(type, "TRIM_HORIZON", tlen)) {
        pos = r.start_seq;
    } else { /* LATEST: after the last record written so far */
        pt_txn_t *txn;
        if (pt_txn_begin(call->engine->store, PT_TXN_READ, NULL, &txn, &call->err)) return PT_ERR;
        int rc = pt_stream_next_seq(txn, r.table_id, &pos, &call->err);
        pt_txn_abort(txn);
        if (rc) return PT_ERR;
        if (pos < r.start_seq) pos = r.start_seq;
        if (!r.enabled && pos > r.end_seq + 1) pos = r.end_seq + 1;
    }
    char it[800];
    iterator_text(&r, pos, it, sizeof it);
    pt_jw_t w;
    pt_jw_init(&w, &call->out);
    pt_jw_obj_begin(&w);
    pt_jw_keyz(&w, "ShardIterator"); pt_jw_strz(&w, it);
    pt_jw_obj_end(&w);
    return PT_OK;
}

static bool parse_hex(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    if (!n || n > 16) return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0') : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10) : 16;
        if (d == 16) return false;
        v = v << 4 | d;
    }
    *out = v;
    return true;
}

static void write_record(pt_call_t *call, pt_jw_t *w, const stream_ref_t *r, const pt_stream_rec_t *rec)
{
    static const char *const events[] = {NULL, "INSERT", "MODIFY", "REMOVE"};
    char id[40], num[32];
    char hex[17];
    uuid_hex(r->uuid, 16, hex);
    snprintf(id, sizeof id, "%s%016" PRIx64, hex, rec->seq);
    pt_jw_obj_begin(w);
    pt_jw_keyz(w, "eventID"); pt_jw_strz(w, id);
    pt_jw_keyz(w, "eventName"); pt_jw_strz(w, events[rec->event]);
    pt_jw_keyz(w, "eventVersion"); pt_jw_strz(w, "1.1");
    pt_jw_keyz(w, "eventSource"); pt_jw_strz(w, "aws:dynamodb");
    pt_jw_keyz(w, "awsRegion"); pt_jw_strz(w, call->engine->region);
    pt_jw_keyz(w, "dynamodb");
    pt_jw_obj_begin(w);
    pt_jw_keyz(w, "ApproximateCreationDateTime"); pt_jw_int(w, rec->created_ms / 1000);
    pt_jw_keyz(w, "Keys"); pt_item_write_json(w, &rec->keys);
    if (rec->has_new) { pt_jw_keyz(w, "NewImage"); pt_item_write_json(w, &rec->new_image); }
    if (rec->has_old) { pt_jw_keyz(w, "OldImage"); pt_item_write_json(w, &rec->old_image); }
    seq_text(rec->seq, num, sizeof num);
    pt_jw_keyz(w, "SequenceNumber"); pt_jw_strz(w, num);
    pt_jw_keyz(w, "SizeBytes"); pt_jw_int(w, rec->size);
    pt_jw_keyz(w, "StreamViewType"); pt_jw_strz(w, pt_stream_view_name(r->view));
    pt_jw_obj_end(w);
    if (rec->origin == PT_WRITE_TTL) {
        pt_jw_keyz(w, "userIdentity");
        pt_jw_obj_begin(w);
        pt_jw_keyz(w, "PrincipalId"); pt_jw_strz(w, "dynamodb.amazonaws.com");
        pt_jw_keyz(w, "Type"); pt_jw_strz(w, "Service");
        pt_jw_obj_end(w);
    }
    pt_jw_obj_end(w);
}

int pt_op_get_records(pt_call_t *call, const pt_json_t *req)
{
    if (pt_params_check(&call->arena, req, get_records_schema, &call->err)) return PT_ERR;
    uint32_t len;
    const char *it = pt_param_str(req, "ShardIterator", &len);
    int64_t limit = pt_param_int(req, "Limit", 1000);
    /* <arn>|<seq hex>|<issued hex> */
    const char *bar2 = NULL, *bar1 = NULL;
    for (const char *p = it + len; p > it; p--)
        if (p[-1] == '|') {
            if (!bar2) bar2 = p - 1;
            else {
                bar1 = p - 1;
                break;
            }
        }
    uint64_t pos, issued;
    if (!bar1 || !parse_hex(bar1 + 1, (size_t)(bar2 - bar1 - 1), &pos) ||
        !parse_hex(bar2 + 1, (size_t)(it + len - bar2 - 1), &issued))
        return pt_error_set(&call->err, PT_E_VALIDATION, "Invalid ShardIterator");
    stream_ref_t r;
    if (resolve(call, it, (size_t)(bar1 - it), &r)) {
        if (strstr(call->err.type, "ResourceNotFound"))
            pt_error_set(&call->err, PT_E_NOT_FOUND, "Invalid ShardId in ShardIterator");
        else
            pt_error_set(&call->err, PT_E_VALIDATION, "Invalid ShardIterator");
        return PT_ERR;
    }
    int64_t now = pt_now_ms();
    if ((int64_t)issued > now + 60000 || now - (int64_t)issued > ITERATOR_TTL_MS)
        return pt_error_set(&call->err, E_EXPIRED_ITERATOR, "Iterator expired");

    pt_txn_t *txn;
    if (pt_txn_begin(call->engine->store, PT_TXN_READ, NULL, &txn, &call->err)) return PT_ERR;
    pt_cursor_t *cur = NULL;
    pt_buf_t k = PT_BUF_INIT;
    int rc = pt_cursor_open(txn, &cur, &call->err);
    pt_jw_t w;
    pt_jw_init(&w, &call->out);
    pt_jw_obj_begin(&w);
    pt_jw_keyz(&w, "Records");
    pt_jw_arr_begin(&w);
    uint64_t next = pos;
    if (rc == PT_OK) {
        pt_stream_key(r.table_id, pos, &k);
        pt_slice_t ck, cv;
        int64_t horizon = now - PT_STREAM_RETENTION_MS;
        int64_t n = 0;
        rc = pt_cursor_seek(cur, pt_slice(k.data, k.len), &ck, &cv, &call->err);
        while (rc == PT_OK && n < limit && call->out.len < MAX_RECORDS_BYTES) {
            if (ck.len != 13 || memcmp(ck.data, k.data, 5)) break;
            pt_stream_rec_t rec;
            if ((rc = pt_stream_decode(&call->arena, ck, cv, &rec, &call->err))) break;
            if (!r.enabled && rec.seq > r.end_seq) break;
            next = rec.seq + 1;
            if (rec.created_ms >= horizon) {
                write_record(call, &w, &r, &rec);
                n++;
            }
            rc = pt_cursor_next(cur, &ck, &cv, &call->err);
        }
        if (rc == PT_NOTFOUND) rc = PT_OK;
    }
    if (cur) pt_cursor_close(cur);
    pt_txn_abort(txn);
    pt_buf_free(&k);
    if (rc) return PT_ERR;
    pt_jw_arr_end(&w);
    /* a closed shard read to its end has no next iterator */
    if (r.enabled || next <= r.end_seq) {
        char nit[800];
        iterator_text(&r, next, nit, sizeof nit);
        pt_jw_keyz(&w, "NextShardIterator"); pt_jw_strz(&w, nit);
    }
    pt_jw_obj_end(&w);
    return PT_OK;
}
