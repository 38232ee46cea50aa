/* BatchGetItem and BatchWriteItem.
 *
 * Validation follows DynamoDB's phases and order (dynalite's
 * validations/batch*.js and actions/batch*.js, recorded against the
 * service): Coral's type check (SerializationException), then Coral's
 * constraints collected into one "N validation errors detected" message,
 * then the operation's own checks over every table in request order
 * (expression parameters, attribute values, item sizes, duplicate keys, the
 * request-wide item count), and only then the tables themselves (existence,
 * key schema). params.c has no notion of constraints on map keys and map
 * values ("Map keys must satisfy constraint", "Map value must satisfy
 * constraint"), which RequestItems needs, so the constraint phase of these
 * two operations is written out here, in params.c's message format.
 *
 * BatchWriteItem is all or nothing: every request is validated on the
 * calling thread, then ONE write job applies every put and delete in the
 * same (nested) transaction, so the batch commits together or not at all,
 * and UnprocessedItems is always empty. ConsumedCapacity includes index
 * write units; ItemCollectionMetrics (SIZE) lists, per table with an LSI,
 * each item collection written, as it is after the batch. The job holds no table references:
 * apply() looks each table up again on the writer thread (where the catalog
 * cannot change under it) and fails with ResourceNotFoundException if the
 * table was deleted, or deleted and re-created, since validation.
 *
 * BatchGetItem reads every key in ONE read transaction on the calling
 * thread, so all items come from one consistent snapshot. The response
 * carries at most PT_BATCH_GET_MAX_BYTES of item data (DynamoDB's 16 MB
 * limit, measured as DynamoDB item size after projection); the keys whose
 * items do not fit are returned in UnprocessedKeys with the table's read
 * parameters, ready to be sent again. Items are returned in request order
 * (DynamoDB promises no order). */
#include "api/api.h"
#include "api/item_ops.h"
#include "api/params.h"
#include "engine/index.h"
#include "engine/av.h"
#include "engine/expr.h"
#include "engine/item_store.h"
#include "engine/key.h"

#include <stdio.h>
#include <string.h>

#define PT_BATCH_GET_MAX_KEYS 100
#define PT_BATCH_WRITE_MAX_REQUESTS 25
#define PT_BATCH_GET_MAX_BYTES (16u * 1024 * 1024)


#define NOT_MATCH "The provided key element does not match the schema"
#define NOT_ONE_REQUEST \
    "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes"
#define PARAMETERIZED_CAST                                                                                  \
    "class sun.reflect.generics.reflectiveObjects.ParameterizedTypeImpl cannot be cast to class "            \
    "java.lang.Class (sun.reflect.generics.reflectiveObjects.ParameterizedTypeImpl and java.lang.Class are " \
    "in module java.base of loader 'bootstrap')"

/* ---- phase 1 schemas (JSON kinds only: no constraints, no enums) ---- */

static const pt_param_t attrs_param = {.name = "member", .type = PT_P_ATTRS};

static const pt_param_t get_top_types[] = {
    {.name = "ReturnConsumedCapacity", .type = PT_P_STRING},
    {.name = "RequestItems", .type = PT_P_MAP, .struct_name = "KeysAndAttributes"},
    {0},
};
static const pt_param_t keys_and_attributes_types[] = {
    {.name = "Keys", .type = PT_P_LIST, .elem = &attrs_param},
    {.name = "AttributesToGet", .type = PT_P_LIST, .elem = &pt_api_string_member},
    {.name = "ConsistentRead", .type = PT_P_BOOL},
    {.name = "ProjectionExpression", .type = PT_P_STRING},
    {.name = "ExpressionAttributeNames", .type = PT_P_MAP, .struct_name = "java.lang.String", .elem = &pt_api_string_member},
    {0},
};

static const pt_param_t write_top_types[] = {
    {.name = "ReturnConsumedCapacity", .type = PT_P_STRING},
    {.name = "ReturnItemCollectionMetrics", .type = PT_P_STRING},
    {.name = "RequestItems", .type = PT_P_MAP,
     .struct_name = "java.util.List<com.amazonaws.dynamodb.v20120810.WriteRequest>"},
    {0},
};
static const pt_param_t delete_request_types[] = {
    {.name = "Key", .type = PT_P_ATTRS},
    {0},
};
static const pt_param_t put_request_types[] = {
    {.name = "Item", .type = PT_P_ATTRS},
    {0},
};
static const pt_param_t write_request_types[] = {
    {.name = "DeleteRequest", .type = PT_P_FSTRUCT, .struct_name = "DeleteRequest", .members = delete_request_types},
    {.name = "PutRequest", .type = PT_P_FSTRUCT, .struct_name = "PutRequest", .members = put_request_types},
    {0},
};

static int serialization(pt_call_t *call, const char *msg)
{
    return pt_error_set(&call->err, PT_E_SERIALIZATION, "%s", msg);
}

/* A member of RequestItems is ignored when JSON null (Coral drops nulls)
 * or when a later member has the same table name (Jackson's map keeps the
 * last value). */
static bool table_entry_skipped(const pt_json_t *items, uint32_t i)
{
    const pt_json_member_t *m = &items->u.members[i];
    if (m->value.type == PT_JSON_NULL) return true;
    for (uint32_t j = i + 1; j < items->len; j++)
        if (items->u.members[j].key_len == m->key_len && !memcmp(items->u.members[j].key, m->key, m->key_len))
            return true;
    return false;
}

/* ---- phase 2: Coral's constraints, in params.c's message format ---- */

static void check_enum(pt_violations_t *c, const pt_json_t *req, const char *name, const char *path,
                       const char *const *allowed, const char *constraint)
{
    const pt_json_t *v = pt_param(req, name);
    if (!v || v->type != PT_JSON_STRING) return;
    for (const char *const *e = allowed; *e; e++)
        if (strlen(*e) == v->len && !memcmp(*e, v->u.str, v->len)) return;
    pt_violation_add(c, v, path, constraint);
}

static void check_length(pt_violations_t *c, const pt_json_t *v, const char *path, int64_t min, int64_t max)
{
    char m[96];
    if (v->len < min) {
        snprintf(m, sizeof m, "Member must have length greater than or equal to %lld", (long long)min);
        pt_violation_add(c, v, path, m);
    }
    if (v->len > max) {
        snprintf(m, sizeof m, "Member must have length less than or equal to %lld", (long long)max);
        pt_violation_add(c, v, path, m);
    }
}

/* RequestItems itself: not null, at least one table, table names valid
 * (one message per bad name), and for BatchWriteItem 1..25 requests per
 * table (one message per table out of range). */
static void check_request_items(pt_violations_t *c, const pt_json_t *items, bool is_write)
{
    if (!items || items->type != PT_JSON_OBJECT) {
        pt_violation_add(c, NULL, "requestItems", "Member must not be null");
        return;
    }
    if (items->len < 1)
        pt_violation_add(c, items, "requestItems", "Member must have length greater than or equal to 1");
    for (uint32_t i = 0; i < items->len; i++) {
        const pt_json_member_t *m = &items->u.members[i];
        int64_t n = pt_java_length(m->key, m->key_len);
        if (n > 255 || n < 3 || !pt_name_chars_ok(m->key, m->key_len))
            pt_violation_add(c, items, "requestItems",
                      "Map keys must satisfy constraint: [Member must have length less than or equal to 255, "
                      "Member must have length greater than or equal to 3, Member must satisfy regular "
                      "expression pattern: [a-zA-Z0-9_.-]+]");
    }
    if (!is_write) return;
    for (uint32_t i = 0; i < items->len; i++) {
        const pt_json_t *v = &items->u.members[i].value;
        if (v->type == PT_JSON_ARRAY && v->len >= 1 && v->len <= PT_BATCH_WRITE_MAX_REQUESTS) continue;
        pt_violation_add(c, items, "requestItems",
                  "Map value must satisfy constraint: [Member must have length less than or equal to 25, "
                  "Member must have length greater than or equal to 1]");
    }
}

/* ======================= BatchGetItem ======================= */

typedef struct get_table {
    const pt_json_member_t *entry; /* RequestItems member: name + KeysAndAttributes */
    const pt_json_t *keys_json;    /* Keys (array) */
    pt_av_t *keys;                 /* converted keys, keys_json->len of them */
    const pt_json_t *attributes_to_get;
    pt_expr_t *projection;         /* ProjectionExpression, or NULL */
    bool consistent;
    pt_table_t *table;             /* reference taken, released by the handler */
    pt_slice_t *encoded;           /* storage key of each key */
} get_table_t;

static int get_phase1(pt_call_t *call, const pt_json_t *req)
{
    if (pt_params_check(&call->arena, req, get_top_types, &call->err)) return PT_ERR;
    const pt_json_t *items = pt_param(req, "RequestItems");
    if (!items) return PT_OK;
    for (uint32_t i = 0; i < items->len; i++) {
        const pt_json_t *v = &items->u.members[i].value;
        if (v->type == PT_JSON_NULL) continue;
        if (v->type == PT_JSON_ARRAY)
            return serialization(call, "Unrecognized collection type class com.amazonaws.dynamodb.v20120810."
                                       "KeysAndAttributes");
        if (v->type != PT_JSON_OBJECT) return serialization(call, "Unexpected value type in payload");
        /* Keys is a List of ParameterizedMap: Coral's reflection fails on a
         * scalar element with this (sic) message. */
        const pt_json_t *keys = pt_param(v, "Keys");
        if (keys && keys->type == PT_JSON_ARRAY)
            for (uint32_t k = 0; k < keys->len; k++) {
                pt_json_type_t t = keys->u.elems[k].type;
                if (t == PT_JSON_STRING || t == PT_JSON_NUMBER || t == PT_JSON_TRUE || t == PT_JSON_FALSE)
                    return serialization(call, PARAMETERIZED_CAST);
            }
        if (pt_params_check(&call->arena, v, keys_and_attributes_types, &call->err)) return PT_ERR;
    }
    return PT_OK;
}

static int get_phase2(pt_call_t *call, const pt_json_t *req)
{
    pt_violations_t c = {.arena = &call->arena};
    check_enum(&c, req, "ReturnConsumedCapacity", "returnConsumedCapacity", pt_api_return_consumed_enum,
               "Member must satisfy enum value set: [INDEXES, TOTAL, NONE]");
    const pt_json_t *items = pt_param(req, "RequestItems");
    check_request_items(&c, items, false);
    for (uint32_t i = 0; items && i < items->len; i++) {
        const pt_json_member_t *m = &items->u.members[i];
        const pt_json_t *keys = m->value.type == PT_JSON_OBJECT ? pt_param(&m->value, "Keys") : NULL;
        const char *path = pt_arena_sprintf(&call->arena, "requestItems.%s.member.keys", m->key);
        if (!keys) pt_violation_add(&c, NULL, path, "Member must not be null");
        else check_length(&c, keys, path, 1, PT_BATCH_GET_MAX_KEYS);
        const pt_json_t *names = m->value.type == PT_JSON_OBJECT ? pt_param(&m->value, "AttributesToGet") : NULL;
        if (names)
            check_length(&c, names, pt_arena_sprintf(&call->arena, "requestItems.%s.member.attributesToGet", m->key),
                         1, 255);
    }
    return pt_violations_report(&c, &call->err);
}

static bool same_string(const pt_json_t *a, const pt_json_t *b)
{
    return a->len == b->len && !memcmp(a->u.str, b->u.str, a->len);
}

/* The operation's own checks for one table (dynalite validations/
 * batchGetItem.js custom): expression parameters, AttributesToGet
 * duplicates, the projection, then each key's values, duplicate keys and the
 * request-wide key count. */
static int get_table_custom(pt_call_t *call, get_table_t *gt, uint32_t *nkeys)
{
    const pt_json_t *kaa = &gt->entry->value;
    const pt_json_t *projection = pt_param(kaa, "ProjectionExpression");
    const pt_json_t *names = pt_param(kaa, "AttributesToGet");
    const pt_json_t *attr_names = pt_param(kaa, "ExpressionAttributeNames");

    if (projection && names)
        return pt_error_set(&call->err, PT_E_VALIDATION,
                            "Can not use both expression and non-expression parameters in the same request: "
                            "Non-expression parameters: {AttributesToGet} Expression parameters: "
                            "{ProjectionExpression}");
    if (attr_names && !projection)
        return pt_error_set(&call->err, PT_E_VALIDATION,
                            "ExpressionAttributeNames can only be specified when using expressions");
    if (names)
        for (uint32_t i = 0; i < names->len; i++)
            for (uint32_t j = i + 1; j < names->len; j++)
                if (same_string(&names->u.elems[i], &names->u.elems[j]))
                    return pt_error_set(&call->err, PT_E_VALIDATION,
                                        "One or more parameter values were invalid: Duplicate value in attribute "
                                        "name: %s",
                                        names->u.elems[j].u.str);
    gt->attributes_to_get = names;
    if (projection) {
        pt_expr_ctx_t *ctx;
        if (pt_expr_ctx_new(&call->arena, attr_names, NULL, &ctx, &call->err)) return PT_ERR;
        if (pt_expr_parse(ctx, PT_EXPR_PROJECTION, projection->u.str, projection->len, &gt->projection,
                          &call->err))
            return PT_ERR;
        if (pt_expr_ctx_check_unused(ctx, &call->err)) return PT_ERR;
    }
    gt->consistent = pt_param_bool(kaa, "ConsistentRead", false);

    const pt_json_t *keys = gt->keys_json;
    gt->keys = pt_arena_calloc(&call->arena, sizeof *gt->keys * (keys->len ? keys->len : 1));
    for (uint32_t k = 0; k < keys->len; k++) {
        if (pt_item_from_json(&call->arena, &keys->u.elems[k], &gt->keys[k], &call->err)) return PT_ERR;
        for (uint32_t j = 0; j < k; j++)
            if (pt_av_equal(&gt->keys[j], &gt->keys[k]))
                return pt_error_set(&call->err, PT_E_VALIDATION, "Provided list of item keys contains duplicates");
        if (++*nkeys > PT_BATCH_GET_MAX_KEYS)
            return pt_error_set(&call->err, PT_E_VALIDATION, "Too many items requested for the BatchGetItem call");
    }
    return PT_OK;
}

/* The read parameters of a table, repeated with its UnprocessedKeys so the
 * client can send the entry back as it is. */
static void write_unprocessed_params(pt_jw_t *w, const pt_json_t *kaa)
{
    static const char *const carried[] = {"AttributesToGet", "ConsistentRead", "ProjectionExpression",
                                          "ExpressionAttributeNames", NULL};
    for (const char *const *p = carried; *p; p++) {
        const pt_json_t *v = pt_param(kaa, *p);
        if (!v) continue;
        pt_jw_keyz(w, *p);
        if (v->type == PT_JSON_STRING && !strcmp(*p, "ConsistentRead")) pt_jw_bool(w, pt_json_truthy(v));
        else pt_jw_value(w, v);
    }
}

typedef struct get_result {
    pt_av_t *items;        /* found items (projected), in request order */
    uint32_t nitems;
    uint32_t *unprocessed; /* indexes into the table's keys */
    uint32_t nunprocessed;
    double units;
} get_result_t;

static int get_read(pt_call_t *call, get_table_t *tables, uint32_t ntables, get_result_t *res)
{
    pt_txn_t *txn;
    uint64_t total = 0;
    if (pt_txn_begin(call->engine->store, PT_TXN_READ, NULL, &txn, &call->err)) return PT_ERR;
    for (uint32_t i = 0; i < ntables; i++) {
        get_table_t *gt = &tables[i];
        get_result_t *r = &res[i];
        uint32_t n = gt->keys_json->len;
        r->items = pt_arena_calloc(&call->arena, sizeof *r->items * (n ? n : 1));
        r->unprocessed = pt_arena_calloc(&call->arena, sizeof *r->unprocessed * (n ? n : 1));
        for (uint32_t k = 0; k < n; k++) {
            pt_stored_item_t stored;
            int rc = pt_item_read(txn, &call->arena, gt->encoded[k], &stored, &call->err);
            if (rc == PT_ERR) {
                pt_txn_abort(txn);
                return PT_ERR;
            }
            if (rc == PT_NOTFOUND) {
                /* a miss still costs the minimum read */
                r->units += pt_api_read_units(0, gt->consistent);
                continue;
            }
            pt_av_t item = stored.item;
            size_t size = stored.size;
            if (gt->projection) {
                pt_av_t projected;
                if (pt_expr_project(&call->arena, gt->projection, &stored.item, &projected)) {
                    pt_txn_abort(txn);
                    return pt_error_set(&call->err, PT_E_INTERNAL, "projection failed");
                }
                item = projected;
                size = pt_item_size(&item);
            } else if (gt->attributes_to_get) {
                pt_api_keep_names(gt->attributes_to_get, &item);
                size = pt_item_size(&item);
            }
            if (total + size > PT_BATCH_GET_MAX_BYTES) {
                /* DynamoDB's 16 MB response limit: the client retries these */
                r->unprocessed[r->nunprocessed++] = k;
                continue;
            }
            total += size;
            r->items[r->nitems++] = item;
            r->units += pt_api_read_units(stored.size, gt->consistent);
        }
    }
    pt_txn_abort(txn); /* read only; decoded items live in the arena */
    return PT_OK;
}

static int batch_get(pt_call_t *call, const pt_json_t *req, get_table_t *tables, uint32_t *ntables_out)
{
    if (get_phase1(call, req)) return PT_ERR;
    if (get_phase2(call, req)) return PT_ERR;

    const pt_json_t *items = pt_param(req, "RequestItems");
    get_table_t *tabs = tables;
    uint32_t ntables = 0, nkeys = 0;
    for (uint32_t i = 0; i < items->len; i++) {
        if (table_entry_skipped(items, i)) continue;
        get_table_t *gt = &tabs[ntables++];
        gt->entry = &items->u.members[i];
        gt->keys_json = pt_param(&gt->entry->value, "Keys");
        if (get_table_custom(call, gt, &nkeys)) return PT_ERR;
    }
    /* Only now the tables, in request order (dynalite actions/batchGetItem.js). */
    for (uint32_t i = 0; i < ntables; i++) {
        get_table_t *gt = &tabs[i];
        gt->table = pt_catalog_get(call->engine, gt->entry->key, gt->entry->key_len);
        *ntables_out = i + 1; /* references to release */
        if (!gt->table) return pt_error_set(&call->err, PT_E_NOT_FOUND, "Requested resource not found");
        uint32_t n = gt->keys_json->len;
        gt->encoded = pt_arena_calloc(&call->arena, sizeof *gt->encoded * (n ? n : 1));
        for (uint32_t k = 0; k < n; k++) {
            const pt_av_t *hash = NULL, *range = NULL;
            if (pt_api_key_param(call, gt->table, &gt->keys[k], &hash, &range)) return PT_ERR;
            gt->encoded[k] = pt_item_key(&call->arena, gt->table, hash, range);
        }
    }

    get_result_t *res = pt_arena_calloc(&call->arena, sizeof *res * (ntables ? ntables : 1));
    if (get_read(call, tabs, ntables, res)) return PT_ERR;

    rcc_t rcc = pt_api_consumed_mode(req);
    pt_jw_t w;
    pt_jw_init(&w, &call->out);
    pt_jw_obj_begin(&w);
    pt_jw_keyz(&w, "Responses");
    pt_jw_obj_begin(&w);
    for (uint32_t i = 0; i < ntables; i++) {
        pt_jw_key(&w, tabs[i].entry->key, tabs[i].entry->key_len);
        pt_jw_arr_begin(&w);
        for (uint32_t k = 0; k < res[i].nitems; k++) pt_item_write_json(&w, &res[i].items[k]);
        pt_jw_arr_end(&w);
    }
    pt_jw_obj_end(&w);
    pt_jw_keyz(&w, "UnprocessedKeys");
    pt_jw_obj_begin(&w);
    for (uint32_t i = 0; i < ntables; i++) {
        if (!res[i].nunprocessed) continue;
        pt_jw_key(&w, tabs[i].entry->key, tabs[i].entry->key_len);
        pt_jw_obj_begin(&w);
        pt_jw_keyz(&w, "Keys");
        pt_jw_arr_begin(&w);
        for (uint32_t k = 0; k < res[i].nunprocessed; k++)
            pt_item_write_json(&w, &tabs[i].keys[res[i].unprocessed[k]]);
        pt_jw_arr_end(&w);
        write_unprocessed_params(&w, &tabs[i].entry->value);
        pt_jw_obj_end(&w);
    }
    pt_jw_obj_end(&w);
    if (rcc != RCC_NONE) {
        pt_jw_keyz(&w, "ConsumedCapacity");
        pt_jw_arr_begin(&w);
        for (uint32_t i = 0; i < ntables; i++) {
            pt_capacity_t c = {.table = tabs[i].table->name, .table_units = res[i].units};
            pt_capacity_write(&w, rcc, &c, true);
        }
        pt_jw_arr_end(&w);
    }
    pt_jw_obj_end(&w);
    return PT_OK;
}

int pt_op_batch_get_item(pt_call_t *call, const pt_json_t *req)
{
    const pt_json_t *items = pt_json_get(req, "RequestItems");
    uint32_t cap = items && items->type == PT_JSON_OBJECT && items->len ? items->len : 1;
    get_table_t *tables = pt_arena_calloc(&call->arena, sizeof *tables * cap);
    uint32_t referenced = 0;
    int rc = batch_get(call, req, tables, &referenced);
    for (uint32_t i = 0; i < referenced; i++)
        if (tables[i].table) pt_table_release(tables[i].table);
    return rc;
}

/* ======================= BatchWriteItem ======================= */

typedef struct write_req {
    pt_slice_t key;
    pt_stored_item_t item; /* the new item (puts) */
    bool is_put;
} write_req_t;

typedef struct write_table {
    const char *name;
    uint32_t name_len;
    uint32_t id;           /* the table validated against (key encodings use it) */
    write_req_t *reqs;
    uint32_t nreqs;
    const pt_json_t *json; /* the table's request list */
    const struct write_parts *parts; /* its requests' union members (write_phase2) */
} write_table_t;

typedef struct write_op {
    write_table_t *tables;
    uint32_t ntables;
    rcc_t rcc;
    bool metrics;          /* ReturnItemCollectionMetrics = SIZE */
} write_op_t;

static int write_phase1(pt_call_t *call, const pt_json_t *req)
{
    if (pt_params_check(&call->arena, req, write_top_types, &call->err)) return PT_ERR;
    const pt_json_t *items = pt_param(req, "RequestItems");
    if (!items) return PT_OK;
    for (uint32_t i = 0; i < items->len; i++) {
        const pt_json_t *list = &items->u.members[i].value;
        if (list->type == PT_JSON_NULL) continue;
        if (list->type == PT_JSON_OBJECT) return serialization(call, "Start of structure or map found where not expected");
        if (list->type != PT_JSON_ARRAY) return serialization(call, PARAMETERIZED_CAST);
        for (uint32_t r = 0; r < list->len; r++) {
            const pt_json_t *wr = &list->u.elems[r];
            if (wr->type == PT_JSON_NULL) continue;
            if (wr->type == PT_JSON_ARRAY)
                return serialization(call, "Unrecognized collection type class com.amazonaws.dynamodb.v20120810."
                                           "WriteRequest");
            if (wr->type != PT_JSON_OBJECT) return serialization(call, "Unexpected value type in payload");
            if (pt_params_check(&call->arena, wr, write_request_types, &call->err)) return PT_ERR;
        }
    }
    return PT_OK;
}

/* A WriteRequest's two union members, found once in phase 2 and reused by
 * the custom checks (each lookup is a scan of the request's members). */
typedef struct write_parts {
    const pt_json_t *del;  /* DeleteRequest, or NULL */
    const pt_json_t *put;  /* PutRequest, or NULL */
} write_parts_t;

/* Fills parts[i] (for RequestItems member i that is an array: one entry
 * per request; NULL otherwise). */
static int write_phase2(pt_call_t *call, const pt_json_t *req, write_parts_t **parts)
{
    pt_violations_t c = {.arena = &call->arena};
    check_enum(&c, req, "ReturnConsumedCapacity", "returnConsumedCapacity", pt_api_return_consumed_enum,
               "Member must satisfy enum value set: [INDEXES, TOTAL, NONE]");
    check_enum(&c, req, "ReturnItemCollectionMetrics", "returnItemCollectionMetrics", pt_api_return_metrics_enum,
               "Member must satisfy enum value set: [SIZE, NONE]");
    const pt_json_t *items = pt_param(req, "RequestItems");
    check_request_items(&c, items, true);
    for (uint32_t i = 0; items && i < items->len; i++) {
        const pt_json_member_t *m = &items->u.members[i];
        if (m->value.type != PT_JSON_ARRAY) continue;
        parts[i] = pt_arena_calloc(&call->arena, sizeof *parts[i] * (m->value.len ? m->value.len : 1));
        for (uint32_t r = 0; r < m->value.len; r++) {
            const pt_json_t *wr = &m->value.u.elems[r];
            if (wr->type != PT_JSON_OBJECT) continue;
            const pt_json_t *del = parts[i][r].del = pt_param(wr, "DeleteRequest");
            if (del && !pt_param(del, "Key"))
                pt_violation_add(&c, NULL,
                          pt_arena_sprintf(&call->arena, "requestItems.%s.member.%u.member.deleteRequest.key", m->key,
                                           r + 1),
                          "Member must not be null");
            const pt_json_t *put = parts[i][r].put = pt_param(wr, "PutRequest");
            if (put && !pt_param(put, "Item"))
                pt_violation_add(&c, NULL,
                          pt_arena_sprintf(&call->arena, "requestItems.%s.member.%u.member.putRequest.item", m->key,
                                           r + 1),
                          "Member must not be null");
        }
    }
    return pt_violations_report(&c, &call->err);
}

/* The operation's own checks for one table (dynalite validations/
 * batchWriteItem.js custom): each request is exactly one of PutRequest /
 * DeleteRequest, attribute values are valid, items fit in 400 KB, and the
 * whole call holds at most 25 requests. */
static int write_table_custom(pt_call_t *call, write_table_t *wt, uint32_t *nreqs)
{
    const pt_json_t *list = wt->json;
    /* write_phase2 accepted only arrays, and recorded each one's parts */
    if (!wt->parts) return pt_error_set(&call->err, PT_E_INTERNAL, "BatchWriteItem: requests not prepared");
    wt->reqs = pt_arena_calloc(&call->arena, sizeof *wt->reqs * (list->len ? list->len : 1));
    /* The attributes of each request, found once (the union check must see
     * every request before any attribute value is checked). */
    const pt_json_t **attrs_of = pt_arena_alloc(&call->arena, sizeof *attrs_of * (list->len ? list->len : 1));
    for (uint32_t r = 0; r < list->len; r++) {
        const pt_json_t *del = wt->parts[r].del, *put = wt->parts[r].put;
        /* (sic) DynamoDB reuses its AttributeValue union message for the
         * WriteRequest union */
        if (!del == !put) return pt_error_set(&call->err, PT_E_VALIDATION, NOT_ONE_REQUEST);
        wt->reqs[r].is_put = put != NULL;
        attrs_of[r] = put ? pt_param(put, "Item") : pt_param(del, "Key");
    }
    for (uint32_t r = 0; r < list->len; r++) {
        write_req_t *q = &wt->reqs[wt->nreqs++];
        if (++*nreqs > PT_BATCH_WRITE_MAX_REQUESTS)
            return pt_error_set(&call->err, PT_E_VALIDATION, "Too many items requested for the BatchWriteItem call");
        bool put = q->is_put;
        const pt_json_t *attrs = attrs_of[r];
        if (pt_item_from_json(&call->arena, attrs, &q->item.item, &call->err)) return PT_ERR;
        if (put) {
            size_t size = pt_item_size(&q->item.item);
            if (size > PT_ITEM_MAX_SIZE)
                return pt_error_set(&call->err, PT_E_VALIDATION, "Item size has exceeded the maximum allowed size");
            q->item.size = (uint32_t)size;
        }
    }
    return PT_OK;
}

/* Encoded keys of one table are equal only if their partition-key hashes
 * (key.h: bytes 5..8, after table and index ids) are: comparing those four
 * bytes inline first makes the all-pairs duplicate check (300 pairs for 25
 * requests) cheap, where a memcmp call per pair showed up in profiles. */
static bool same_key(pt_slice_t a, pt_slice_t b)
{
    if (a.len != b.len) return false;
    const uint8_t *x = a.data, *y = b.data;
    if (a.len >= PT_KEY_PREFIX_LEN && (x[5] != y[5] || x[6] != y[6] || x[7] != y[7] || x[8] != y[8])) return false;
    return !memcmp(x, y, a.len);
}

/* Key checks against the table's schema, then duplicates (a put and a
 * delete of the same key are duplicates too). */
static int write_table_keys(pt_call_t *call, pt_table_t *t, write_table_t *wt)
{
    wt->id = t->id;
    for (uint32_t r = 0; r < wt->nreqs; r++) {
        write_req_t *q = &wt->reqs[r];
        const pt_av_t *hash = NULL, *range = NULL;
        if (q->is_put) {
            if (pt_api_item_key(call, t, &q->item.item, &hash, &range)) {
                /* DynamoDB words a put's missing or mistyped key like a
                 * bad Key parameter in a batch (dynalite actions/batchWriteItem.js) */
                if (strstr(call->err.message, "Missing the key") || strstr(call->err.message, "Type mismatch for key"))
                    pt_error_set(&call->err, PT_E_VALIDATION, NOT_MATCH);
                return PT_ERR;
            }
        } else if (pt_api_key_param(call, t, &q->item.item, &hash, &range)) {
            return PT_ERR;
        }
        q->key = pt_item_key(&call->arena, t, hash, range);
        for (uint32_t j = 0; j < r; j++)
            if (same_key(wt->reqs[j].key, q->key))
                return pt_error_set(&call->err, PT_E_VALIDATION, "Provided list of item keys contains duplicates");
    }
    return PT_OK;
}

/* The distinct partition keys written in one table, for
 * ItemCollectionMetrics (DynamoDB reports each collection once). */
static uint32_t distinct_partitions(const pt_table_t *t, const write_table_t *wt, const pt_av_t **out)
{
    uint32_t n = 0;
    for (uint32_t r = 0; r < wt->nreqs; r++) {
        const pt_av_t *h = pt_item_get(&wt->reqs[r].item.item, t->hash.name, strlen(t->hash.name));
        bool seen = false;
        for (uint32_t j = 0; j < n && !seen; j++) seen = pt_av_equal(out[j], h);
        if (!seen) out[n++] = h;
    }
    return n;
}

/* Writer thread: every put and delete of the batch, in this one nested
 * transaction (a failure rolls all of them back). */
static int write_apply(pt_call_t *call, pt_txn_t *txn)
{
    write_op_t *op = call->op;
    pt_capacity_t *cap = pt_arena_calloc(&call->arena, sizeof *cap * (op->ntables ? op->ntables : 1));
    pt_buf_t metrics = PT_BUF_INIT; /* "table":[...] members of ItemCollectionMetrics */
    pt_jw_t mw;
    pt_jw_init(&mw, &metrics);
    pt_jw_obj_begin(&mw);
    bool any_metrics = false;
    int rc = PT_OK;
    for (uint32_t i = 0; i < op->ntables && rc == PT_OK; i++) {
        write_table_t *wt = &op->tables[i];
        pt_table_t *t = pt_catalog_get(call->engine, wt->name, wt->name_len);
        if (!t || t->id != wt->id || atomic_load(&t->deleted)) {
            if (t) pt_table_release(t);
            rc = pt_error_set(&call->err, PT_E_NOT_FOUND, "Requested resource not found");
            break;
        }
        cap[i].table = op->tables[i].name;
        /* The old items matter only by their size unless indexes or TTL
         * need their attributes; the table's statistics are written once
         * for all its writes (item_store.h), and a failure anywhere aborts
         * the job's transaction, deltas and all. */
        bool need_old = pt_item_write_needs_old(t);
        pt_item_stats_t stats = {0, 0};
        for (uint32_t r = 0; r < wt->nreqs && rc == PT_OK; r++) {
            write_req_t *q = &wt->reqs[r];
            pt_index_units_t iu = {.n = 0};
            uint32_t old_size = 0;
            if (!need_old && q->is_put) {   /* the store reports the old size as it writes */
                bool existed;
                rc = pt_item_put_sized(txn, t, q->key, &q->item, &existed, &old_size, &stats, &call->err);
            } else {
                pt_stored_item_t old;
                int found = need_old ? pt_item_read(txn, &call->arena, q->key, &old, &call->err)
                                     : pt_item_read_size(txn, q->key, &old, &call->err);
                if (found == PT_ERR) {
                    rc = PT_ERR;
                    break;
                }
                const pt_stored_item_t *prev = found == PT_OK ? &old : NULL;
                if (!prev && !q->is_put) {
                    cap[i].table_units += pt_api_write_units(0);
                    continue;
                }
                rc = pt_item_write_deferred(txn, t, q->key, prev, q->is_put ? &q->item : NULL, &iu, &stats,
                                            &call->err);
                old_size = prev ? old.size : 0;
            }
            uint32_t billed = q->is_put && q->item.size > old_size ? q->item.size : old_size;
            pt_capacity_add_write(&cap[i], &call->arena, pt_api_write_units(billed), &iu);
        }
        if (rc == PT_OK) rc = pt_item_stats_flush(txn, t, &stats, &call->err);
        /* after the table's writes: the collections as they now are */
        if (rc == PT_OK && op->metrics && pt_index_has_lsi(t)) {
            const pt_av_t **parts = pt_arena_calloc(&call->arena, sizeof *parts * (wt->nreqs ? wt->nreqs : 1));
            uint32_t nparts = distinct_partitions(t, wt, parts);
            any_metrics = true;
            pt_jw_key(&mw, wt->name, wt->name_len);
            pt_jw_arr_begin(&mw);
            for (uint32_t p = 0; p < nparts && rc == PT_OK; p++)
                rc = pt_api_write_collection_metrics(&mw, txn, t, parts[p], &call->err);
            pt_jw_arr_end(&mw);
        }
        pt_table_release(t);
    }
    pt_jw_obj_end(&mw);
    if (rc != PT_OK) {
        pt_buf_free(&metrics);
        return PT_ERR;
    }

    pt_jw_t w;
    pt_jw_init(&w, &call->out);
    pt_jw_obj_begin(&w);
    pt_jw_keyz(&w, "UnprocessedItems");
    pt_jw_obj_begin(&w);
    pt_jw_obj_end(&w);
    if (op->rcc != RCC_NONE) {
        pt_jw_keyz(&w, "ConsumedCapacity");
        pt_jw_arr_begin(&w);
        for (uint32_t i = 0; i < op->ntables; i++) pt_capacity_write(&w, op->rcc, &cap[i], false);
        pt_jw_arr_end(&w);
    }
    if (any_metrics) { /* tables without an LSI have no item collections to report */
        pt_jw_keyz(&w, "ItemCollectionMetrics");
        pt_jw_raw(&w, metrics.data, metrics.len);
    }
    pt_jw_obj_end(&w);
    pt_buf_free(&metrics);
    return PT_OK;
}

int pt_op_batch_write_item(pt_call_t *call, const pt_json_t *req)
{
    if (write_phase1(call, req)) return PT_ERR;
    const pt_json_t *items = pt_param(req, "RequestItems");
    write_parts_t **parts = pt_arena_calloc(&call->arena, sizeof *parts * (items && items->len ? items->len : 1));
    if (write_phase2(call, req, parts)) return PT_ERR;

    write_op_t *op = pt_arena_calloc(&call->arena, sizeof *op);
    op->tables = pt_arena_calloc(&call->arena, sizeof *op->tables * items->len);
    uint32_t nreqs = 0;
    for (uint32_t i = 0; i < items->len; i++) {
        if (table_entry_skipped(items, i)) continue;
        write_table_t *wt = &op->tables[op->ntables++];
        wt->name = items->u.members[i].key;
        wt->name_len = items->u.members[i].key_len;
        wt->json = &items->u.members[i].value;
        wt->parts = parts[i];
        if (write_table_custom(call, wt, &nreqs)) return PT_ERR;
    }
    /* Only now the tables, in request order (dynalite actions/batchWriteItem.js). */
    for (uint32_t i = 0; i < op->ntables; i++) {
        write_table_t *wt = &op->tables[i];
        pt_table_t *t = pt_catalog_get(call->engine, wt->name, wt->name_len);
        if (!t) return pt_error_set(&call->err, PT_E_NOT_FOUND, "Requested resource not found");
        int rc = write_table_keys(call, t, wt);
        pt_table_release(t);
        if (rc) return PT_ERR;
    }
    op->rcc = pt_api_consumed_mode(req);
    op->metrics = pt_api_collection_metrics_wanted(req);
    call->op = op;
    call->apply = write_apply;
    return PT_PENDING;
}
