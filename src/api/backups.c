/* On-demand backups (CreateBackup, DescribeBackup, ListBackups,
 * DeleteBackup, RestoreTableFromBackup) and the point-in-time recovery
 * setting (DescribeContinuousBackups, UpdateContinuousBackups).
 *
 * A backup is a copy, not a reference: CreateBackup copies the table's
 * items, inside one write transaction (so from one consistent state), into
 * a key space of their own (a fresh id from the catalog's sequence, index
 * byte 0, the rest of each key unchanged), and stores a catalog record
 * ('B' + id) with its name, time, size and the source table's definition.
 * The backup is AVAILABLE when the call returns and independent of the
 * table from then on: writes, DeleteTable, even a new table of the same
 * name do not touch it. RestoreTableFromBackup creates a table from that
 * definition (with DynamoDB's overrides: billing mode, throughput, index
 * lists) and writes every item through pt_item_write, so statistics and
 * secondary indexes are built as for any write; as in DynamoDB, streams,
 * TTL, tags, deletion protection and the PITR setting are not restored.
 * Both copy the whole table in one transaction: fine for tables of up to a
 * few hundred MB (the same bound DeleteTable has today).
 *
 * ARNs are DynamoDB's shape, arn:...:table/NAME/backup/<14-digit creation
 * ms>-<8 hex digits>; the hex digits are the backup's id, so a lookup is
 * one get, then the whole ARN must match. */
#include "api/api.h"
#include "api/index_defs.h"
#include "api/params.h"
#include "engine/index.h"
#include "engine/item_store.h"
#include "engine/key.h"
#include "engine/stream.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define E_TABLE_NOT_FOUND PT_DDB "TableNotFoundException"
#define E_BACKUP_NOT_FOUND PT_DDB "BackupNotFoundException"
#define E_TABLE_EXISTS PT_DDB "TableAlreadyExistsException"
#define COPY_CHUNK 256

/* ---- backup records ---- */

typedef struct backup {
    uint32_t id;
    const char *name, *table, *table_uuid, *arn, *def;
    size_t def_len;
    int64_t created_ms, table_created_ms, items, bytes;
} backup_t;

static void record_key(pt_buf_t *k, uint32_t id)
{
    pt_catalog_meta_key(k, 'B');
    pt_buf_put_u32be(k, id);
}

static void backup_arn(const pt_engine_t *e, const char *table, int64_t created_ms, uint32_t id, char *buf,
                       size_t cap)
{
    snprintf(buf, cap, "arn:aws:dynamodb:%s:%s:table/%s/backup/%014" PRId64 "-%08x", e->region, e->account_id,
             table, created_ms, id);
}

static void table_arn(const pt_engine_t *e, const char *table, char *buf, size_t cap)
{
    snprintf(buf, cap, "arn:aws:dynamodb:%s:%s:table/%s", e->region, e->account_id, table);
}

static const char *jstr(pt_arena_t *a, const pt_json_t *o, const char *name, size_t *len)
{
    const pt_json_t *v = pt_json_get(o, name);
    if (!v || v->type != PT_JSON_STRING) return NULL;
    if (len) *len = v->len;
    return pt_arena_strndup(a, v->u.str, v->len);
}

static int64_t jint(const pt_json_t *o, const char *name)
{
    int64_t x = 0;
    const pt_json_t *v = pt_json_get(o, name);
    if (v) pt_json_int64(v, &x);
    return x;
}

static int decode_record(pt_arena_t *a, uint32_t id, pt_slice_t v, backup_t *b, pt_error_t *err)
{
    pt_json_t j;
    if (pt_json_parse(a, v.data, v.len, &j, NULL, 0) || j.type != PT_JSON_OBJECT) goto corrupt;
    *b = (backup_t){.id = id};
    b->name = jstr(a, &j, "name", NULL);
    b->table = jstr(a, &j, "table", NULL);
    b->table_uuid = jstr(a, &j, "uuid", NULL);
    b->arn = jstr(a, &j, "arn", NULL);
    b->def = jstr(a, &j, "def", &b->def_len);
    b->created_ms = jint(&j, "created");
    b->table_created_ms = jint(&j, "tcreated");
    b->items = jint(&j, "items");
    b->bytes = jint(&j, "bytes");
    if (!b->name || !b->table || !b->table_uuid || !b->arn || !b->def) goto corrupt;
    return PT_OK;
corrupt:
    return pt_error_set(err, PT_E_INTERNAL, "corrupt backup record %u", id);
}

/* The backup id in a backup ARN ("arn:...:table/T/backup/<14 digits>-<8
 * hex>"); ValidationException "Invalid Backup ARN" when it is not one. */
static int arn_id(pt_call_t *call, const char *arn, size_t len, uint32_t *id)
{
    const char *p = len > 4 && !memcmp(arn, "arn:", 4) ? memmem(arn, len, ":table/", 7) : NULL;
    p = p ? memmem(p, (size_t)(arn + len - p), "/backup/", 8) : NULL;
    bool ok = p && arn + len - (p + 8) == 23 && p[8 + 14] == '-';
    for (int i = 0; ok && i < 14; i++) ok = p[8 + i] >= '0' && p[8 + i] <= '9';
    *id = 0;
    for (int i = 0; ok && i < 8; i++) {
        char c = p[8 + 15 + i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        ok = d >= 0;
        *id = *id << 4 | (uint32_t)(d < 0 ? 0 : d);
    }
    return ok ? PT_OK : pt_error_set(&call->err, PT_E_VALIDATION, "Invalid Backup ARN");
}

/* The backup an ARN names, read in `txn`; BackupNotFoundException if none. */
static int find_backup(pt_call_t *call, pt_txn_t *txn, const char *arn, size_t len, backup_t *b)
{
    uint32_t id;
    if (arn_id(call, arn, len, &id)) return PT_ERR;
    pt_buf_t k = PT_BUF_INIT;
    record_key(&k, id);
    pt_slice_t v;
    int rc = pt_get(txn, pt_slice(k.data, k.len), &v, &call->err);
    pt_buf_free(&k);
    if (rc == PT_ERR) return PT_ERR;
    if (rc == PT_OK) {
        if (decode_record(&call->arena, id, v, b, &call->err)) return PT_ERR;
        if (strlen(b->arn) == len && !memcmp(b->arn, arn, len)) return PT_OK;
    }
    return pt_error_set(&call->err, E_BACKUP_NOT_FOUND, "Backup not found: %.*s", (int)(len > 1024 ? 1024 : len), arn);
}

/* ---- copying key ranges in chunks ---- */

/* Calls fn for every key of `from` (a 5-byte prefix: id + index byte 0)
 * in order, with copies of key and value, COPY_CHUNK at a time, so fn may
 * write to the same transaction (no cursor is open while it runs). */
typedef int (*copy_fn)(void *ctx, pt_slice_t key, pt_slice_t value, pt_error_t *err);

static int for_each_item(pt_txn_t *txn, uint32_t from, copy_fn fn, void *ctx, pt_error_t *err)
{
    pt_buf_t prefix = PT_BUF_INIT, pos = PT_BUF_INIT, chunk = PT_BUF_INIT;
    pt_key_table_prefix(from, 0, &prefix);
    pt_buf_append(&pos, prefix.data, prefix.len);
    int rc = PT_OK;
    for (bool more = true; more && rc == PT_OK;) {
        pt_cursor_t *cur;
        if ((rc = pt_cursor_open(txn, &cur, err))) break;
        pt_slice_t k, v;
        pt_buf_clear(&chunk);
        int n = 0;
        rc = pt_cursor_seek(cur, pt_slice(pos.data, pos.len), &k, &v, err);
        while (rc == PT_OK && n < COPY_CHUNK && k.len >= prefix.len && !memcmp(k.data, prefix.data, prefix.len)) {
            pt_buf_put_u32be(&chunk, (uint32_t)k.len);
            pt_buf_append(&chunk, k.data, k.len);
            pt_buf_put_u32be(&chunk, (uint32_t)v.len);
            pt_buf_append(&chunk, v.data, v.len);
            n++;
            rc = pt_cursor_next(cur, &k, &v, err);
        }
        pt_cursor_close(cur);
        if (rc == PT_NOTFOUND) rc = PT_OK;
        more = rc == PT_OK && n == COPY_CHUNK;
        const uint8_t *p = (const uint8_t *)chunk.data, *end = p + chunk.len;
        while (rc == PT_OK && p < end) {
            uint32_t kl = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
            pt_slice_t key = pt_slice(p + 4, kl);
            p += 4 + kl;
            uint32_t vl = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
            pt_slice_t value = pt_slice(p + 4, vl);
            p += 4 + vl;
            rc = fn(ctx, key, value, err);
            if (p == end) { /* resume after the last key: the key followed by a 0 byte */
                pt_buf_clear(&pos);
                pt_buf_append(&pos, key.data, key.len);
                pt_buf_putc(&pos, 0);
            }
        }
    }
    pt_buf_free(&prefix);
    pt_buf_free(&pos);
    pt_buf_free(&chunk);
    return rc;
}

/* The key with its first four bytes (the key-space id) replaced. */
static pt_slice_t rekey(pt_buf_t *b, uint32_t id, pt_slice_t key)
{
    pt_buf_clear(b);
    pt_buf_put_u32be(b, id);
    pt_buf_append(b, (const char *)key.data + 4, key.len - 4);
    return pt_slice(b->data, b->len);
}

typedef struct raw_copy {
    pt_txn_t *txn;
    uint32_t to;
    pt_buf_t key;
} raw_copy_t;

static int copy_raw(void *ctx, pt_slice_t key, pt_slice_t value, pt_error_t *err)
{
    raw_copy_t *c = ctx;
    return pt_put(c->txn, rekey(&c->key, c->to, key), value, err);
}

/* Deletes every key starting with the 4-byte id `id`. */
static int delete_space(pt_txn_t *txn, uint32_t id, pt_error_t *err)
{
    uint8_t prefix[4] = {(uint8_t)(id >> 24), (uint8_t)(id >> 16), (uint8_t)(id >> 8), (uint8_t)id};
    return pt_del_prefix(txn, pt_slice(prefix, 4), 0, NULL, err);
}

/* ---- output ---- */

static void write_details(pt_jw_t *w, const backup_t *b, const char *status)
{
    pt_jw_obj_begin(w);
    pt_jw_keyz(w, "BackupArn"); pt_jw_strz(w, b->arn);
    pt_jw_keyz(w, "BackupName"); pt_jw_strz(w, b->name);
    pt_jw_keyz(w, "BackupSizeBytes"); pt_jw_int(w, b->bytes);
    pt_jw_keyz(w, "BackupStatus"); pt_jw_strz(w, status);
    pt_jw_keyz(w, "BackupType"); pt_jw_strz(w, "USER");
    pt_jw_keyz(w, "BackupCreationDateTime"); pt_jw_double(w, (double)b->created_ms / 1000.0);
    pt_jw_obj_end(w);
}

static void write_key_schema(pt_jw_t *w, const pt_attr_def_t *hash, const pt_attr_def_t *range)
{
    pt_jw_arr_begin(w);
    const pt_attr_def_t *k[2] = {hash, range && range->name ? range : NULL};
    for (int i = 0; i < 2 && k[i]; i++) {
        pt_jw_obj_begin(w);
        pt_jw_keyz(w, "AttributeName"); pt_jw_strz(w, k[i]->name);
        pt_jw_keyz(w, "KeyType"); pt_jw_strz(w, i ? "RANGE" : "HASH");
        pt_jw_obj_end(w);
    }
    pt_jw_arr_end(w);
}

/* BackupDescription: details, the source table and its features, from the
 * definition the backup kept. */
static int write_description(pt_call_t *call, pt_jw_t *w, const backup_t *b, const char *status)
{
    pt_table_t *t;
    if (pt_catalog_decode_def(b->def, b->def_len, &t, &call->err)) return PT_ERR;
    char arn[600];
    table_arn(call->engine, b->table, arn, sizeof arn);
    pt_jw_obj_begin(w);
    pt_jw_keyz(w, "BackupDetails"); write_details(w, b, status);
    pt_jw_keyz(w, "SourceTableDetails");
    pt_jw_obj_begin(w);
    pt_jw_keyz(w, "TableName"); pt_jw_strz(w, b->table);
    pt_jw_keyz(w, "TableId"); pt_jw_strz(w, b->table_uuid);
    pt_jw_keyz(w, "TableArn"); pt_jw_strz(w, arn);
    pt_jw_keyz(w, "TableSizeBytes"); pt_jw_int(w, b->bytes);
    pt_jw_keyz(w, "KeySchema"); write_key_schema(w, &t->hash, &t->range);
    pt_jw_keyz(w, "TableCreationDateTime"); pt_jw_double(w, (double)b->table_created_ms / 1000.0);
    pt_jw_keyz(w, "ProvisionedThroughput");
    pt_jw_obj_begin(w);
    pt_jw_keyz(w, "ReadCapacityUnits"); pt_jw_int(w, t->pay_per_request ? 0 : t->rcu);
    pt_jw_keyz(w, "WriteCapacityUnits"); pt_jw_int(w, t->pay_per_request ? 0 : t->wcu);
    pt_jw_obj_end(w);
    pt_jw_keyz(w, "ItemCount"); pt_jw_int(w, b->items);
    pt_jw_keyz(w, "BillingMode"); pt_jw_strz(w, t->pay_per_request ? "PAY_PER_REQUEST" : "PROVISIONED");
    pt_jw_obj_end(w);
    pt_jw_keyz(w, "SourceTableFeatureDetails");
    pt_jw_obj_begin(w);
    for (int global = 0; global < 2; global++) {
        bool any = false;
        for (uint32_t i = 0; i < t->nindexes; i++) {
            const pt_index_t *ix = t->indexes[i];
            if (ix->global != (global == 1)) continue;
            if (!any) {
                pt_jw_keyz(w, global ? "GlobalSecondaryIndexes" : "LocalSecondaryIndexes");
                pt_jw_arr_begin(w);
                any = true;
            }
            pt_jw_obj_begin(w);
            pt_jw_keyz(w, "IndexName"); pt_jw_strz(w, ix->name);
            pt_jw_keyz(w, "KeySchema"); pt_index_write_key_schema(w, ix);
            pt_jw_keyz(w, "Projection"); pt_index_write_projection(w, ix);
            if (global && !t->pay_per_request) {
                pt_jw_keyz(w, "ProvisionedThroughput");
                pt_jw_obj_begin(w);
                pt_jw_keyz(w, "ReadCapacityUnits"); pt_jw_int(w, ix->rcu);
                pt_jw_keyz(w, "WriteCapacityUnits"); pt_jw_int(w, ix->wcu);
                pt_jw_obj_end(w);
            }
            pt_jw_obj_end(w);
        }
        if (any) pt_jw_arr_end(w);
    }
    if (t->stream_enabled) {
        pt_jw_keyz(w, "StreamDescription");
        pt_jw_obj_begin(w);
        pt_jw_keyz(w, "StreamEnabled"); pt_jw_bool(w, true);
        pt_jw_keyz(w, "StreamViewType"); pt_jw_strz(w, pt_stream_view_name(t->stream_view));
        pt_jw_obj_end(w);
    }
    if (t->ttl_attr) {
        pt_jw_keyz(w, "TimeToLiveDescription");
        pt_jw_obj_begin(w);
        pt_jw_keyz(w, "TimeToLiveStatus"); pt_jw_strz(w, "ENABLED");
        pt_jw_keyz(w, "AttributeName"); pt_jw_strz(w, t->ttl_attr);
        pt_jw_obj_end(w);
    }
    pt_jw_obj_end(w);
    pt_jw_obj_end(w);
    pt_table_release(t);
    return PT_OK;
}

/* ---- CreateBackup ---- */

static const pt_param_t create_backup_schema[] = {
    {.name = "TableName", .type = PT_P_STRING,
     .flags = PT_P_REQUIRED | PT_P_TABLE_NAME | PT_P_NAME_REGEX | PT_P_HAS_MINLEN | PT_P_HAS_MAXLEN, .min_len = 3,
     .max_len = 255},
    {.name = "BackupName", .type = PT_P_STRING,
     .flags = PT_P_REQUIRED | PT_P_NAME_REGEX | PT_P_HAS_MINLEN | PT_P_HAS_MAXLEN, .min_len = 3, .max_len = 255},
    {0},
};

static int table_not_found(pt_call_t *call, const char *name, size_t len)
{
    return pt_error_set(&call->err, E_TABLE_NOT_FOUND, "Table not found: %.*s", (int)len, name);
}

static int create_backup_apply(pt_call_t *call, pt_txn_t *txn)
{
    pt_table_t *t = call->table;
    const char *name = call->op;
    if (atomic_load(&t->deleted)) return table_not_found(call, t->name, strlen(t->name));
    backup_t b = {.name = name, .table = t->name, .table_uuid = t->uuid, .created_ms = pt_now_ms(),
                  .table_created_ms = t->created_ms};
    if (pt_catalog_get_stats(txn, t, &b.items, &b.bytes, &call->err)) return PT_ERR;
    if (pt_catalog_alloc_id(call->engine, txn, &b.id, &call->err)) return PT_ERR;
    char arn[600];
    backup_arn(call->engine, t->name, b.created_ms, b.id, arn, sizeof arn);
    b.arn = arn;
    raw_copy_t copy = {txn, b.id, PT_BUF_INIT};
    int rc = for_each_item(txn, t->id, copy_raw, &copy, &call->err);
    pt_buf_free(&copy.key);
    if (rc) return rc;

    pt_buf_t def = PT_BUF_INIT, rec = PT_BUF_INIT, k = PT_BUF_INIT;
    pt_catalog_encode_def(t, &def);
    pt_jw_t w;
    pt_jw_init(&w, &rec);
    pt_jw_obj_begin(&w);
    pt_jw_keyz(&w, "name"); pt_jw_strz(&w, b.name);
    pt_jw_keyz(&w, "table"); pt_jw_strz(&w, b.table);
    pt_jw_keyz(&w, "uuid"); pt_jw_strz(&w, b.table_uuid);
    pt_jw_keyz(&w, "arn"); pt_jw_strz(&w, b.arn);
    pt_jw_keyz(&w, "created"); pt_jw_int(&w, b.created_ms);
    pt_jw_keyz(&w, "tcreated"); pt_jw_int(&w, b.table_created_ms);
    pt_jw_keyz(&w, "items"); pt_jw_int(&w, b.items);
    pt_jw_keyz(&w, "bytes"); pt_jw_int(&w, b.bytes);
    pt_jw_keyz(&w, "def"); pt_jw_str(&w, def.data, def.len);
    pt_jw_obj_end(&w);
    record_key(&k, b.id);
    rc = pt_put(txn, pt_slice(k.data, k.len), pt_slice(rec.data, rec.len), &call->err);
    pt_buf_free(&def);
    pt_buf_free(&rec);
    pt_buf_free(&k);
    if (rc) return rc;
    pt_jw_init(&w, &call->out);
    pt_jw_obj_begin(&w);
    /* DynamoDB answers CREATING and is AVAILABLE moments later; here the
     * copy is done, so DescribeBackup says AVAILABLE at once */
    pt_jw_keyz(&w, "BackupDetails"); write_details(&w, &b, "CREATING");
    pt_jw_obj_end(&w);
    return PT_OK;
}

int pt_op_create_backup(pt_call_t *call, const pt_json_t *req)
{
    if (pt_params_check(&call->arena, req, create_backup_schema, &call->err)) return PT_ERR;
    uint32_t nlen, tlen;
    const char *name = pt_param_str(req, "BackupName", &nlen);
    const char *table = pt_param_str(req, "TableName", &tlen);
    pt_table_t *t = pt_catalog_get(call->engine, table, tlen);
    if (!t) return table_not_found(call, table, tlen);
    call->table = t;
    call->op = pt_arena_strndup(&call->arena, name, nlen);
    call->apply = create_backup_apply;
    return PT_PENDING;
}

/* ---- DescribeBackup, DeleteBackup ---- */

static const pt_param_t backup_arn_schema[] = {
    {.name = "BackupArn", .type = PT_P_STRING, .flags = PT_P_REQUIRED | PT_P_HAS_MINLEN | PT_P_HAS_MAXLEN,
     .min_len = 37, .max_len = 1024},
    {0},
};

int pt_op_describe_backup(pt_call_t *call, const pt_json_t *req)
{
    if (pt_params_check(&call->arena, req, backup_arn_schema, &call->err)) return PT_ERR;
    uint32_t len;
    const char *arn = pt_param_str(req, "BackupArn", &len);
    pt_txn_t *txn;
    if (pt_txn_begin(call->engine->store, PT_TXN_READ, NULL, &txn, &call->err)) return PT_ERR;
    backup_t b;
    int rc = find_backup(call, txn, arn, len, &b);
    pt_txn_abort(txn);
    if (rc) return rc;
    pt_jw_t w;
    pt_jw_init(&w, &call->out);
    pt_jw_obj_begin(&w);
    pt_jw_keyz(&w, "BackupDescription");
    if (write_description(call, &w, &b, "AVAILABLE")) return PT_ERR;
    pt_jw_obj_end(&w);
    return PT_OK;
}

static int delete_backup_apply(pt_call_t *call, pt_txn_t *txn)
{
    const pt_json_t *req = call->op;
    uint32_t len;
    const char *arn = pt_param_str(req, "BackupArn", &len);
    backup_t b;
    if (find_backup(call, txn, arn, len, &b)) return PT_ERR;
    pt_buf_t k = PT_BUF_INIT;
    record_key(&k, b.id);
    int rc = pt_del(txn, pt_slice(k.data, k.len), &call->err);
    pt_buf_free(&k);
    if (rc == PT_ERR || delete_space(txn, b.id, &call->err)) return PT_ERR;
    pt_jw_t w;
    pt_jw_init(&w, &call->out);
    pt_jw_obj_begin(&w);
    pt_jw_keyz(&w, "BackupDescription");
    if (write_description(call, &w, &b, "DELETED")) return PT_ERR;
    pt_jw_obj_end(&w);
    return PT_OK;
}

int pt_op_delete_backup(pt_call_t *call, const pt_json_t *req)
{
    if (pt_params_check(&call->arena, req, backup_arn_schema, &call->err)) return PT_ERR;
    call->op = (void *)req;
    call->apply = delete_backup_apply;
    return PT_PENDING;
}

/* ---- ListBackups ---- */

static const pt_param_t list_backups_schema[] = {
    {.name = "TableName", .type = PT_P_STRING, .flags = PT_P_NAME_REGEX | PT_P_HAS_MINLEN | PT_P_HAS_MAXLEN,
     .min_len = 3, .max_len = 255},
    {.name = "Limit", .type = PT_P_INTEGER, .flags = PT_P_HAS_MIN | PT_P_HAS_MAX, .min = 1, .max = 100},
    {.name = "ExclusiveStartBackupArn", .type = PT_P_STRING, .flags = PT_P_HAS_MINLEN | PT_P_HAS_MAXLEN,
     .min_len = 37, .max_len = 1024},
    {.name = "BackupType", .type = PT_P_STRING,
     .enums = (const char *const[]){"USER", "SYSTEM", "AWS_BACKUP", "ALL", NULL}},
    {0},
};

/* A timestamp member (epoch seconds, a JSON number) in ms; false if absent. */
static bool time_param(const pt_json_t *req, const char *name, int64_t *ms)
{
    const pt_json_t *v = pt_json_get(req, name);
    if (!v || v->type != PT_JSON_NUMBER) return false;
    char buf[64];
    snprintf(buf, sizeof buf, "%.*s", (int)(v->len < 63 ? v->len : 63), v->u.str);
    *ms = (int64_t)(strtod(buf, NULL) * 1000.0);
    return true;
}

int pt_op_list_backups(pt_call_t *call, const pt_json_t *req)
{
    if (pt_params_check(&call->arena, req, list_backups_schema, &call->err)) return PT_ERR;
    uint32_t tlen = 0, slen = 0, ylen = 0;
    const char *table = pt_param_str(req, "TableName", &tlen);
    const char *start = pt_param_str(req, "ExclusiveStartBackupArn", &slen);
    const char *type = pt_param_str(req, "BackupType", &ylen);
    int64_t limit = pt_param_int(req, "Limit", 100);
    int64_t lower = INT64_MIN, upper = INT64_MAX;
    bool has_lower = time_param(req, "TimeRangeLowerBound", &lower);
    if (time_param(req, "TimeRangeUpperBound", &upper) && has_lower && lower > upper)
        return pt_error_set(&call->err, PT_E_VALIDATION,
                            "Time range lower bound must be less than or equal to upper bound");
    bool user = !type || !strncmp(type, "USER", ylen) || !strncmp(type, "ALL", ylen);

    pt_txn_t *txn;
    if (pt_txn_begin(call->engine->store, PT_TXN_READ, NULL, &txn, &call->err)) return PT_ERR;
    uint32_t after = 0;
    int rc = PT_OK;
    /* a cursor: resume after that position even if the backup is gone */
    if (start && (rc = arn_id(call, start, slen, &after))) goto out;
    pt_jw_t w;
    pt_jw_init(&w, &call->out);
    pt_jw_obj_begin(&w);
    pt_jw_keyz(&w, "BackupSummaries");
    pt_jw_arr_begin(&w);
    pt_buf_t k = PT_BUF_INIT;
    record_key(&k, after + (start ? 1 : 0));
    pt_cursor_t *cur;
    const char *last = NULL;
    bool more = false;
    int64_t n = 0;
    if ((rc = pt_cursor_open(txn, &cur, &call->err)) == PT_OK) {
        pt_slice_t ck, cv;
        rc = pt_cursor_seek(cur, pt_slice(k.data, k.len), &ck, &cv, &call->err);
        while (rc == PT_OK && user && ck.len == 9 && !memcmp(ck.data, k.data, 5)) {
            const uint8_t *p = (const uint8_t *)ck.data + 5;
            uint32_t id = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
            backup_t b;
            if ((rc = decode_record(&call->arena, id, cv, &b, &call->err))) break;
            bool match = (!table || (strlen(b.table) == tlen && !memcmp(b.table, table, tlen))) &&
                         b.created_ms >= lower && b.created_ms < upper;
            if (match) {
                if (n == limit) {
                    more = true;
                    break;
                }
                char tarn[600];
                table_arn(call->engine, b.table, tarn, sizeof tarn);
                pt_jw_obj_begin(&w);
                pt_jw_keyz(&w, "TableName"); pt_jw_strz(&w, b.table);
                pt_jw_keyz(&w, "TableId"); pt_jw_strz(&w, b.table_uuid);
                pt_jw_keyz(&w, "TableArn"); pt_jw_strz(&w, tarn);
                pt_jw_keyz(&w, "BackupArn"); pt_jw_strz(&w, b.arn);
                pt_jw_keyz(&w, "BackupName"); pt_jw_strz(&w, b.name);
                pt_jw_keyz(&w, "BackupCreationDateTime"); pt_jw_double(&w, (double)b.created_ms / 1000.0);
                pt_jw_keyz(&w, "BackupStatus"); pt_jw_strz(&w, "AVAILABLE");
                pt_jw_keyz(&w, "BackupType"); pt_jw_strz(&w, "USER");
                pt_jw_keyz(&w, "BackupSizeBytes"); pt_jw_int(&w, b.bytes);
                pt_jw_obj_end(&w);
                last = b.arn;
                n++;
            }
            rc = pt_cursor_next(cur, &ck, &cv, &call->err);
        }
        if (rc == PT_NOTFOUND) rc = PT_OK;
        pt_cursor_close(cur);
    }
    pt_buf_free(&k);
    pt_jw_arr_end(&w);
    if (more && last) {
        pt_jw_keyz(&w, "LastEvaluatedBackupArn");
        pt_jw_strz(&w, last);
    }
    pt_jw_obj_end(&w);
out:
    pt_txn_abort(txn);
    return rc;
}

/* ---- RestoreTableFromBackup ---- */

static const pt_param_t restore_index_members[] = {
    {.name = "IndexName", .type = PT_P_STRING, .flags = PT_P_NOT_NULL | PT_P_NAME_REGEX | PT_P_HAS_MINLEN |
                                                        PT_P_HAS_MAXLEN, .min_len = 3, .max_len = 255},
    {.name = "KeySchema", .type = PT_P_LIST, .flags = PT_P_NOT_NULL | PT_P_HAS_MINLEN | PT_P_HAS_MAXLEN,
     .min_len = 1, .max_len = 2,
     .elem = &(const pt_param_t){.name = "member", .type = PT_P_VSTRUCT, .struct_name = "KeySchemaElement",
                                 .members = (const pt_param_t[]){
                                     {.name = "AttributeName", .type = PT_P_STRING,
                                      .flags = PT_P_NOT_NULL | PT_P_HAS_MINLEN | PT_P_HAS_MAXLEN, .min_len = 1,
                                      .max_len = 255},
                                     {.name = "KeyType", .type = PT_P_STRING, .flags = PT_P_NOT_NULL,
                                      .enums = (const char *const[]){"HASH", "RANGE", NULL}},
                                     {0}}}},
    {.name = "Projection", .type = PT_P_FSTRUCT, .flags = PT_P_NOT_NULL, .struct_name = "Projection",
     .members = (const pt_param_t[]){
         {.name = "ProjectionType", .type = PT_P_STRING,
          .enums = (const char *const[]){"ALL", "INCLUDE", "KEYS_ONLY", NULL}},
         {.name = "NonKeyAttributes", .type = PT_P_LIST, .flags = PT_P_HAS_MINLEN | PT_P_HAS_MAXLEN, .min_len = 1,
          .max_len = 20, .elem = &(const pt_param_t){.name = "member", .type = PT_P_STRING}},
         {0}}},
    {.name = "ProvisionedThroughput", .type = PT_P_FSTRUCT, .struct_name = "ProvisionedThroughput",
     .members = (const pt_param_t[]){
         {.name = "WriteCapacityUnits", .type = PT_P_LONG, .flags = PT_P_NOT_NULL | PT_P_HAS_MIN, .min = 1},
         {.name = "ReadCapacityUnits", .type = PT_P_LONG, .flags = PT_P_NOT_NULL | PT_P_HAS_MIN, .min = 1},
         {0}}},
    {0},
};

static const pt_param_t restore_schema[] = {
    {.name = "TargetTableName", .type = PT_P_STRING,
     .flags = PT_P_REQUIRED | PT_P_NAME_REGEX | PT_P_HAS_MINLEN | PT_P_HAS_MAXLEN, .min_len = 3, .max_len = 255},
    {.name = "BackupArn", .type = PT_P_STRING, .flags = PT_P_REQUIRED | PT_P_HAS_MINLEN | PT_P_HAS_MAXLEN,
     .min_len = 37, .max_len = 1024},
    {.name = "BillingModeOverride", .type = PT_P_STRING,
     .enums = (const char *const[]){"PROVISIONED", "PAY_PER_REQUEST", NULL}},
    {.name = "GlobalSecondaryIndexOverride", .type = PT_P_LIST,
     .elem = &(const pt_param_t){.name = "member", .type = PT_P_VSTRUCT, .struct_name = "GlobalSecondaryIndex",
                                 .members = restore_index_members}},
    {.name = "LocalSecondaryIndexOverride", .type = PT_P_LIST,
     .elem = &(const pt_param_t){.name = "member", .type = PT_P_VSTRUCT, .struct_name = "LocalSecondaryIndex",
                                 .members = restore_index_members}},
    {.name = "ProvisionedThroughputOverride", .type = PT_P_FSTRUCT, .struct_name = "ProvisionedThroughput",
     .members = (const pt_param_t[]){
         {.name = "WriteCapacityUnits", .type = PT_P_LONG, .flags = PT_P_NOT_NULL | PT_P_HAS_MIN, .min = 1},
         {.name = "ReadCapacityUnits", .type = PT_P_LONG, .flags = PT_P_NOT_NULL | PT_P_HAS_MIN, .min = 1},
         {0}}},
    {0},
};

typedef struct item_copy {
    pt_txn_t *txn;
    pt_table_t *t;
    pt_arena_t arena;
    pt_buf_t key;
    pt_item_stats_t stats;
} item_copy_t;

static int copy_item(void *ctx, pt_slice_t key, pt_slice_t value, pt_error_t *err)
{
    item_copy_t *c = ctx;
    if (value.len < 4) return pt_error_set(err, PT_E_INTERNAL, "corrupt backup item");
    const uint8_t *p = value.data;
    pt_stored_item_t item = {.size = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]};
    pt_arena_reset(&c->arena);
    if (pt_item_decode(&c->arena, p + 4, value.len - 4, &item.item, err)) return PT_ERR;
    return pt_item_write_deferred(c->txn, c->t, rekey(&c->key, c->t->id, key), NULL, &item, NULL, &c->stats, err);
}

static bool attr_used(const pt_table_t *t, const char *name)
{
    if (!strcmp(name, t->hash.name) || (t->range.name && !strcmp(name, t->range.name))) return true;
    for (uint32_t i = 0; i < t->nindexes; i++)
        if (!strcmp(name, t->indexes[i]->hash.name) ||
            (t->indexes[i]->range.name && !strcmp(name, t->indexes[i]->range.name)))
            return true;
    return false;
}

/* Whether an override entry is one of the backup's indexes: the same name,
 * or (renamed) the same key schema and projection type. */
static bool matches_source(const pt_table_t *t, const pt_json_t *def, bool global)
{
    const pt_json_t *keys = pt_json_get(def, "KeySchema");
    const pt_json_t *ptype = pt_json_get(pt_json_get(def, "Projection"), "ProjectionType");
    for (uint32_t i = 0; i < t->nindexes; i++) {
        const pt_index_t *ix = t->indexes[i];
        if (ix->global != global) continue;
        if (pt_json_streq(pt_json_get(def, "IndexName"), ix->name)) return true;
        bool same = keys->len == (ix->range.name ? 2u : 1u) &&
                    pt_json_streq(pt_json_get(&keys->u.elems[0], "AttributeName"), ix->hash.name) &&
                    (!ix->range.name || pt_json_streq(pt_json_get(&keys->u.elems[1], "AttributeName"), ix->range.name)) &&
                    pt_json_streq(ptype, pt_index_projection_name(ix->projection));
        if (same) return true;
    }
    return false;
}

/* Replaces the table's GSIs (global) or LSIs with the override list,
 * built against the backup's attribute definitions. */
static int override_indexes(pt_call_t *call, pt_table_t *t, const pt_json_t *list, bool global)
{
    for (uint32_t i = 0; i < list->len; i++)
        if (!matches_source(t, &list->u.elems[i], global)) {
            const pt_json_t *n = pt_json_get(&list->u.elems[i], "IndexName");
            return pt_error_set(&call->err, PT_E_VALIDATION,
                                "Index %.*s does not match a secondary index that existed in the source table and "
                                "cannot be created during the restore operation",
                                (int)n->len, n->u.str);
        }
    pt_index_t *keep[PT_MAX_INDEXES];
    uint32_t n = 0;
    for (uint32_t i = 0; i < t->nindexes; i++) {
        if (t->indexes[i]->global == global) pt_index_free(t->indexes[i]);
        else keep[n++] = t->indexes[i];
    }
    memcpy(t->indexes, keep, n * sizeof *keep);
    t->nindexes = n;
    if ((global ? list->len > PT_MAX_GSI : list->len > PT_MAX_LSI))
        return pt_error_set(&call->err, PT_E_VALIDATION,
                            "One or more parameter values were invalid: %s count exceeds the per-table limit of %d",
                            global ? "GlobalSecondaryIndex" : "LocalSecondaryIndex", global ? PT_MAX_GSI : PT_MAX_LSI);
    for (uint32_t i = 0; i < list->len; i++) {
        const pt_json_t *def = &list->u.elems[i];
        const pt_json_t *keys = pt_json_get(def, "KeySchema");
        for (uint32_t k = 0; k < keys->len; k++) {
            const pt_json_t *an = pt_json_get(&keys->u.elems[k], "AttributeName");
            bool defined = false;
            for (uint32_t a = 0; a < t->nattrs; a++)
                defined |= strlen(t->attrs[a].name) == an->len && !memcmp(t->attrs[a].name, an->u.str, an->len);
            if (!defined)
                return pt_error_set(&call->err, PT_E_VALIDATION,
                                    "One or more parameter values were invalid: Some index key attributes are not "
                                    "defined in AttributeDefinitions of the backup: %.*s",
                                    (int)an->len, an->u.str);
        }
        pt_index_t *ix = pt_api_index_new(def, NULL, t, global);
        for (uint32_t j = 0; j < t->nindexes; j++)
            if (!strcmp(t->indexes[j]->name, ix->name)) {
                pt_index_free(ix);
                return pt_error_set(&call->err, PT_E_VALIDATION,
                                    "One or more parameter values were invalid: Duplicate index name: %s", ix->name);
            }
        if (!global && (!t->range.name || strcmp(ix->hash.name, t->hash.name))) {
            pt_index_free(ix);
            return pt_error_set(&call->err, PT_E_VALIDATION,
                                "One or more parameter values were invalid: Table KeySchema does not have a range key, "
                                "or the index's hash key is not the table's");
        }
        t->indexes[t->nindexes++] = ix;
    }
    /* LSIs first, then GSIs (DescribeTable's order); ids 1.. in that order */
    pt_index_t *sorted[PT_MAX_INDEXES];
    uint32_t m = 0;
    for (int g = 0; g < 2; g++)
        for (uint32_t i = 0; i < t->nindexes; i++)
            if (t->indexes[i]->global == (g == 1)) sorted[m++] = t->indexes[i];
    for (uint32_t i = 0; i < m; i++) {
        t->indexes[i] = sorted[i];
        t->indexes[i]->id = (uint8_t)(i + 1);
    }
    return PT_OK;
}

typedef struct restore_op {
    const pt_json_t *req;
} restore_op_t;

static int restore_apply(pt_call_t *call, pt_txn_t *txn)
{
    const pt_json_t *req = ((restore_op_t *)call->op)->req;
    uint32_t alen, tlen;
    const char *arn = pt_param_str(req, "BackupArn", &alen);
    const char *target = pt_param_str(req, "TargetTableName", &tlen);
    backup_t b;
    if (find_backup(call, txn, arn, alen, &b)) return PT_ERR;
    pt_table_t *existing = pt_catalog_get(call->engine, target, tlen);
    if (existing) {
        pt_table_release(existing);
        return pt_error_set(&call->err, E_TABLE_EXISTS, "Table already exists: %.*s", (int)tlen, target);
    }
    pt_table_t *t;
    if (pt_catalog_decode_def(b.def, b.def_len, &t, &call->err)) return PT_ERR;
    /* what DynamoDB does not restore */
    free(t->name);
    t->name = strndup(target, tlen);
    if (!t->name) pt_oom();
    free(t->ttl_attr);
    t->ttl_attr = NULL;
    t->ttl_backfill = t->ttl_purge = false;
    t->deletion_protection = false;
    t->stream_view = 0;
    t->stream_enabled = false;
    t->nstream_old = 0;
    t->pitr_enabled = false;
    t->index_purge = 0;
    t->created_ms = pt_now_ms();
    for (uint32_t i = 0; i < t->nindexes; i++) t->indexes[i]->backfilling = false;

    const pt_json_t *mode = pt_json_get(req, "BillingModeOverride");
    const pt_json_t *pt = pt_json_get(req, "ProvisionedThroughputOverride");
    if (mode && mode->type == PT_JSON_STRING)
        t->pay_per_request = mode->len == 15 && !memcmp(mode->u.str, "PAY_PER_REQUEST", 15);
    /* a new table: its own billing history */
    t->billing_changed_ms = t->pay_per_request ? t->created_ms : 0;
    t->last_increase_ms = t->last_decrease_ms = 0;
    if (t->pay_per_request) t->rcu = t->wcu = 0;
    if (pt && pt->type == PT_JSON_OBJECT) {
        t->rcu = pt_param_int(pt, "ReadCapacityUnits", t->rcu);
        t->wcu = pt_param_int(pt, "WriteCapacityUnits", t->wcu);
    }
    int rc = PT_OK;
    if (t->pay_per_request && pt && pt->type == PT_JSON_OBJECT)
        rc = pt_error_set(&call->err, PT_E_VALIDATION,
                          "Cannot override ProvisionedThroughput unless BillingMode is PROVISIONED");
    else if (!t->pay_per_request && (t->rcu < 1 || t->wcu < 1))
        rc = pt_error_set(&call->err, PT_E_VALIDATION,
                          "Must override ProvisionedThroughput if BillingMode is overridden to PROVISIONED");
    const pt_json_t *lists[2] = {pt_json_get(req, "LocalSecondaryIndexOverride"),
                                 pt_json_get(req, "GlobalSecondaryIndexOverride")};
    for (int g = 0; g < 2 && rc == PT_OK; g++)
        if (lists[g] && lists[g]->type == PT_JSON_ARRAY) rc = override_indexes(call, t, lists[g], g == 1);
    if (rc == PT_OK) { /* the definitions some key still uses */
        uint32_t k = 0;
        for (uint32_t i = 0; i < t->nattrs; i++) {
            if (attr_used(t, t->attrs[i].name)) t->attrs[k++] = t->attrs[i];
            else free(t->attrs[i].name);
        }
        t->nattrs = k;
        atomic_fetch_add(&t->refs, 1); /* ours, for the response, even if the create fails */
        call->table = t;
        rc = pt_catalog_create(call->engine, txn, t, &call->err);
        if (rc) pt_table_release(t); /* the creation reference: the catalog never took it */
    } else {
        pt_table_release(t);
        return PT_ERR;
    }
    if (rc) return PT_ERR;

    item_copy_t copy = {.txn = txn, .t = t};
    pt_arena_init(&copy.arena);
    rc = for_each_item(txn, b.id, copy_item, &copy, &call->err);
    if (rc == PT_OK) rc = pt_item_stats_flush(txn, t, &copy.stats, &call->err);
    pt_arena_destroy(&copy.arena);
    pt_buf_free(&copy.key);
    if (rc) {
        /* the job's transaction is rolled back: take the table back out of
         * the in-memory catalog too */
        pt_error_t ignored;
        pt_catalog_delete(call->engine, txn, t, &ignored);
        return PT_ERR;
    }
    pt_jw_t w;
    pt_jw_init(&w, &call->out);
    pt_jw_obj_begin(&w);
    pt_jw_keyz(&w, "TableDescription");
    if (pt_table_describe(call->engine, txn, t, "ACTIVE", &w, &call->err)) return PT_ERR;
    /* RestoreSummary goes inside the description: DynamoDB shows it while
     * the restore runs and drops it once the table is ACTIVE, so only this
     * response has it (the restore is over: RestoreInProgress false). */
    if (call->out.len && call->out.data[call->out.len - 1] == '}') call->out.len--;
    char tarn[600];
    table_arn(call->engine, b.table, tarn, sizeof tarn);
    pt_jw_t rw;
    pt_jw_init(&rw, &call->out);
    pt_buf_putc(&call->out, ',');
    pt_jw_keyz(&rw, "RestoreSummary");
    pt_jw_obj_begin(&rw);
    pt_jw_keyz(&rw, "SourceBackupArn"); pt_jw_strz(&rw, b.arn);
    pt_jw_keyz(&rw, "SourceTableArn"); pt_jw_strz(&rw, tarn);
    pt_jw_keyz(&rw, "RestoreDateTime"); pt_jw_double(&rw, (double)t->created_ms / 1000.0);
    pt_jw_keyz(&rw, "RestoreInProgress"); pt_jw_bool(&rw, false);
    pt_jw_obj_end(&rw);
    pt_buf_puts(&call->out, "}}");
    return PT_OK;
}

int pt_op_restore_table_from_backup(pt_call_t *call, const pt_json_t *req)
{
    if (pt_params_check(&call->arena, req, restore_schema, &call->err)) return PT_ERR;
    restore_op_t *op = pt_arena_calloc(&call->arena, sizeof *op);
    op->req = req;
    call->op = op;
    call->apply = restore_apply;
    return PT_PENDING;
}

/* ---- continuous backups (the PITR setting) ---- */

static void write_continuous(pt_jw_t *w, pt_table_t *t)
{
    pthread_mutex_lock(&t->meta_lock);
    bool on = t->pitr_enabled;
    int64_t since = t->pitr_since_ms;
    int days = t->pitr_days;
    pthread_mutex_unlock(&t->meta_lock);
    pt_jw_obj_begin(w);
    pt_jw_keyz(w, "ContinuousBackupsDescription");
    pt_jw_obj_begin(w);
    pt_jw_keyz(w, "ContinuousBackupsStatus"); pt_jw_strz(w, "ENABLED");
    pt_jw_keyz(w, "PointInTimeRecoveryDescription");
    pt_jw_obj_begin(w);
    pt_jw_keyz(w, "PointInTimeRecoveryStatus"); pt_jw_strz(w, on ? "ENABLED" : "DISABLED");
    if (on) {
        int64_t now = pt_now_ms(), earliest = now - (int64_t)days * 86400000;
        if (earliest < since) earliest = since;
        pt_jw_keyz(w, "RecoveryPeriodInDays"); pt_jw_int(w, days);
        pt_jw_keyz(w, "EarliestRestorableDateTime"); pt_jw_double(w, (double)earliest / 1000.0);
        pt_jw_keyz(w, "LatestRestorableDateTime"); pt_jw_double(w, (double)now / 1000.0);
    }
    pt_jw_obj_end(w);
    pt_jw_obj_end(w);
    pt_jw_obj_end(w);
}

static const pt_param_t describe_continuous_schema[] = {
    {.name = "TableName", .type = PT_P_STRING,
     .flags = PT_P_REQUIRED | PT_P_TABLE_NAME | PT_P_NAME_REGEX | PT_P_HAS_MINLEN | PT_P_HAS_MAXLEN, .min_len = 3,
     .max_len = 255},
    {0},
};

static pt_table_t *lookup(pt_call_t *call, const pt_json_t *req)
{
    uint32_t len;
    const char *name = pt_param_str(req, "TableName", &len);
    pt_table_t *t = pt_catalog_get(call->engine, name, len);
    if (!t) {
        table_not_found(call, name, len);
        return NULL;
    }
    call->table = t;
    return t;
}

int pt_op_describe_continuous_backups(pt_call_t *call, const pt_json_t *req)
{
    if (pt_params_check(&call->arena, req, describe_continuous_schema, &call->err)) return PT_ERR;
    pt_table_t *t = lookup(call, req);
    if (!t) return PT_ERR;
    pt_jw_t w;
    pt_jw_init(&w, &call->out);
    write_continuous(&w, t);
    return PT_OK;
}

static const pt_param_t update_continuous_schema[] = {
    {.name = "TableName", .type = PT_P_STRING,
     .flags = PT_P_REQUIRED | PT_P_TABLE_NAME | PT_P_NAME_REGEX | PT_P_HAS_MINLEN | PT_P_HAS_MAXLEN, .min_len = 3,
     .max_len = 255},
    {.name = "PointInTimeRecoverySpecification", .type = PT_P_FSTRUCT, .flags = PT_P_REQUIRED,
     .struct_name = "PointInTimeRecoverySpecification",
     .members = (const pt_param_t[]){
         {.name = "PointInTimeRecoveryEnabled", .type = PT_P_BOOL, .flags = PT_P_NOT_NULL},
         {.name = "RecoveryPeriodInDays", .type = PT_P_INTEGER, .flags = PT_P_HAS_MIN | PT_P_HAS_MAX, .min = 1,
          .max = 35},
         {0}}},
    {0},
};

typedef struct pitr_op {
    bool enable;
    int days;
} pitr_op_t;

static int update_continuous_apply(pt_call_t *call, pt_txn_t *txn)
{
    pitr_op_t *op = call->op;
    pt_table_t *t = call->table;
    if (atomic_load(&t->deleted)) return table_not_found(call, t->name, strlen(t->name));
    bool was = t->pitr_enabled;
    int64_t since = t->pitr_since_ms;
    int32_t days = t->pitr_days;
    pthread_mutex_lock(&t->meta_lock);
    if (op->enable && !was) t->pitr_since_ms = pt_now_ms();
    t->pitr_enabled = op->enable;
    t->pitr_days = op->enable ? op->days : 0;
    pthread_mutex_unlock(&t->meta_lock);
    if (pt_catalog_save(txn, t, &call->err)) {
        pthread_mutex_lock(&t->meta_lock);
        t->pitr_enabled = was;
        t->pitr_since_ms = since;
        t->pitr_days = days;
        pthread_mutex_unlock(&t->meta_lock);
        return PT_ERR;
    }
    pt_jw_t w;
    pt_jw_init(&w, &call->out);
    write_continuous(&w, t);
    return PT_OK;
}

int pt_op_update_continuous_backups(pt_call_t *call, const pt_json_t *req)
{
    if (pt_params_check(&call->arena, req, update_continuous_schema, &call->err)) return PT_ERR;
    const pt_json_t *spec = pt_json_get(req, "PointInTimeRecoverySpecification");
    pitr_op_t *op = pt_arena_calloc(&call->arena, sizeof *op);
    op->enable = pt_param_bool(spec, "PointInTimeRecoveryEnabled", false);
    const pt_json_t *days = pt_json_get(spec, "RecoveryPeriodInDays");
    if (days && days->type != PT_JSON_NULL && !op->enable)
        return pt_error_set(&call->err, PT_E_VALIDATION,
                            "Invalid Request: Cannot specify RecoveryPeriodInDays when disabling point-in-time "
                            "recovery.");
    op->days = (int)pt_param_int(spec, "RecoveryPeriodInDays", 35);
    if (!lookup(call, req)) return PT_ERR;
    call->op = op;
    call->apply = update_continuous_apply;
    return PT_PENDING;
}
