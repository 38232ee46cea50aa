/* Item operations: PutItem, GetItem, DeleteItem, and the prepared
 * single-item write they share with UpdateItem, BatchWriteItem and
 * TransactWriteItems (item_ops.h).
 *
 * Stored value layout: u32 BE DynamoDB item size (so statistics and
 * capacity need no decode of the old item) followed by the binary item
 * (av.h). Validation order follows DynamoDB: parameter kinds/constraints,
 * attribute values, ReturnValues, item size, then the table (exists?) and
 * its key schema. Reads run on the caller's thread in a read transaction;
 * writes run in the writer's batch (api.h).
 *
 * Also the pieces every item operation shares (item_ops.h): the parameter
 * schema fragments, ConsumedCapacity with per-index units (pt_capacity_t:
 * the engine reports what each write cost each index, index.h) and
 * ItemCollectionMetrics, computed after the write in its transaction. */
#include "api/api.h"
#include "api/item_ops.h"
#include "api/params.h"
#include "engine/av.h"
#include "engine/expr.h"
#include "engine/index.h"
#include "engine/item_store.h"
#include "engine/key.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

const char *const pt_api_return_consumed_enum[] = {"INDEXES", "TOTAL", "NONE", NULL};
const char *const pt_api_return_values_enum[] = {"ALL_NEW", "UPDATED_OLD", "ALL_OLD", "NONE", "UPDATED_NEW", NULL};
const char *const pt_api_return_metrics_enum[] = {"SIZE", "NONE", NULL};
const char *const pt_api_on_check_failure_enum[] = {"ALL_OLD", "NONE", NULL};
const char *const pt_api_conditional_operator_enum[] = {"AND", "OR", NULL};
static const char *const comparison_ops[] = {"IN", "NULL", "BETWEEN", "LT", "NOT_CONTAINS", "EQ", "GT",
                                             "NOT_NULL", "NE", "LE", "BEGINS_WITH", "GE", "CONTAINS", NULL};

static const pt_param_t av_param = {.name = "member", .type = PT_P_AV};
static const pt_param_t expected_members[] = {
    {.name = "AttributeValueList", .type = PT_P_LIST, .elem = &av_param},
    {.name = "ComparisonOperator", .type = PT_P_STRING, .enums = comparison_ops},
    {.name = "Exists", .type = PT_P_BOOL},
    {.name = "Value", .type = PT_P_AV},
    {0},
};
const pt_param_t pt_api_expected_member = {.name = "member", .type = PT_P_VSTRUCT,
                                           .struct_name = "ExpectedAttributeValue", .members = expected_members};
const pt_param_t pt_api_string_member = {.name = "member", .type = PT_P_STRING};

#define EXPR_PARAMS {.name = "ExpressionAttributeValues", .type = PT_P_ATTRS}, PT_API_EXPRESSION_NAMES_PARAM

static const pt_param_t put_schema[] = {
    PT_API_RETURN_CONSUMED_PARAM,
    PT_API_TABLE_NAME_PARAM,
    {.name = "Item", .type = PT_P_ATTRS, .flags = PT_P_NOT_NULL},
    PT_API_CONDITIONAL_OPERATOR_PARAM,
    PT_API_EXPECTED_PARAM,
    PT_API_RETURN_VALUES_PARAM,
    PT_API_RETURN_METRICS_PARAM,
    {.name = "ConditionExpression", .type = PT_P_STRING},
    EXPR_PARAMS,
    PT_API_ON_CHECK_FAILURE_PARAM,
    {0},
};

static const pt_param_t delete_schema[] = {
    PT_API_RETURN_CONSUMED_PARAM,
    PT_API_TABLE_NAME_PARAM,
    PT_API_RETURN_VALUES_PARAM,
    PT_API_RETURN_METRICS_PARAM,
    {.name = "Key", .type = PT_P_ATTRS, .flags = PT_P_NOT_NULL},
    PT_API_CONDITIONAL_OPERATOR_PARAM,
    PT_API_EXPECTED_PARAM,
    {.name = "ConditionExpression", .type = PT_P_STRING},
    EXPR_PARAMS,
    PT_API_ON_CHECK_FAILURE_PARAM,
    {0},
};

static const pt_param_t get_schema[] = {
    PT_API_RETURN_CONSUMED_PARAM,
    {.name = "AttributesToGet", .type = PT_P_LIST, .flags = PT_P_HAS_MINLEN | PT_P_HAS_MAXLEN, .min_len = 1,
     .max_len = 255, .elem = &pt_api_string_member},
    PT_API_TABLE_NAME_PARAM,
    {.name = "Key", .type = PT_P_ATTRS, .flags = PT_P_NOT_NULL},
    {.name = "ConsistentRead", .type = PT_P_BOOL},
    {.name = "ProjectionExpression", .type = PT_P_STRING},
    PT_API_EXPRESSION_NAMES_PARAM,
    {0},
};

/* ---- shared helpers ---- */

rcc_t pt_api_consumed_mode(const pt_json_t *req)
{
    uint32_t n;
    const char *s = pt_param_str(req, "ReturnConsumedCapacity", &n);
    if (s && n == 5 && !memcmp(s, "TOTAL", 5)) return RCC_TOTAL;
    if (s && n == 7 && !memcmp(s, "INDEXES", 7)) return RCC_INDEXES;
    return RCC_NONE;
}

void pt_api_write_consumed(pt_jw_t *w, rcc_t mode, const pt_table_t *t, double units, bool is_read)
{
    if (mode == RCC_NONE) return;
    pt_capacity_t c = {.table = t->name, .table_units = units};
    pt_jw_keyz(w, "ConsumedCapacity");
    pt_capacity_write(w, mode, &c, is_read);
}

void pt_capacity_add_index(pt_capacity_t *c, pt_arena_t *arena, const pt_index_t *ix, double units)
{
    for (uint32_t i = 0; i < c->nindexes; i++)
        if (!strcmp(c->index[i].name, ix->name)) {
            c->index[i].units += units;
            return;
        }
    if (c->nindexes == PT_MAX_INDEXES) return;
    c->index[c->nindexes].name = pt_arena_strndup(arena, ix->name, strlen(ix->name));
    c->index[c->nindexes].global = ix->global;
    c->index[c->nindexes].units = units;
    c->nindexes++;
}

void pt_capacity_add_write(pt_capacity_t *c, pt_arena_t *arena, double table_units, const pt_index_units_t *u)
{
    c->table_units += table_units;
    for (uint32_t i = 0; u && i < u->n; i++) pt_capacity_add_index(c, arena, u->v[i].index, u->v[i].units);
}

static void write_units(pt_jw_t *w, const char *kind, double units)
{
    pt_jw_obj_begin(w);
    pt_jw_keyz(w, "CapacityUnits");
    pt_jw_double(w, units);
    pt_jw_keyz(w, kind);
    pt_jw_double(w, units);
    pt_jw_obj_end(w);
}

void pt_capacity_write(pt_jw_t *w, rcc_t mode, const pt_capacity_t *c, bool is_read)
{
    const char *kind = is_read ? "ReadCapacityUnits" : "WriteCapacityUnits";
    double total = c->table_units;
    for (uint32_t i = 0; i < c->nindexes; i++) total += c->index[i].units;
    pt_jw_obj_begin(w);
    pt_jw_keyz(w, "TableName");
    pt_jw_strz(w, c->table);
    pt_jw_keyz(w, "CapacityUnits");
    pt_jw_double(w, total);
    pt_jw_keyz(w, kind);
    pt_jw_double(w, total);
    if (mode == RCC_INDEXES) {
        pt_jw_keyz(w, "Table");
        write_units(w, kind, c->table_units);
        for (int global = 0; global < 2; global++) {
            bool any = false;
            for (uint32_t i = 0; i < c->nindexes; i++) {
                if (c->index[i].global != (bool)global) continue;
                if (!any) {
                    pt_jw_keyz(w, global ? "GlobalSecondaryIndexes" : "LocalSecondaryIndexes");
                    pt_jw_obj_begin(w);
                    any = true;
                }
                pt_jw_keyz(w, c->index[i].name);
                write_units(w, kind, c->index[i].units);
            }
            if (any) pt_jw_obj_end(w);
        }
    }
    pt_jw_obj_end(w);
}

/* ---- ItemCollectionMetrics ---- */

bool pt_api_collection_metrics_wanted(const pt_json_t *req)
{
    uint32_t n;
    const char *s = pt_param_str(req, "ReturnItemCollectionMetrics", &n);
    return s && n == 4 && !memcmp(s, "SIZE", 4);
}

int pt_api_write_collection_metrics(pt_jw_t *w, pt_txn_t *txn, const pt_table_t *t, const pt_av_t *hash,
                                    pt_error_t *err)
{
    uint64_t bytes;
    if (pt_index_collection_size(txn, t, hash, &bytes, err)) return PT_ERR;
    /* DynamoDB answers a range 1 GB wide: [0.0, 1.0] for a collection
     * under a gigabyte. */
    double lo = (double)(bytes >> 30);
    pt_jw_obj_begin(w);
    pt_jw_keyz(w, "ItemCollectionKey");
    pt_jw_obj_begin(w);
    pt_jw_keyz(w, t->hash.name);
    pt_av_write_json(w, hash);
    pt_jw_obj_end(w);
    pt_jw_keyz(w, "SizeEstimateRangeGB");
    pt_jw_arr_begin(w);
    pt_jw_double(w, lo);
    pt_jw_double(w, lo + 1);
    pt_jw_arr_end(w);
    pt_jw_obj_end(w);
    return PT_OK;
}

/* AttributesToGet: keeps the named top-level attributes, in place. */
void pt_api_keep_names(const pt_json_t *names, pt_av_t *item)
{
    uint32_t kept = 0;
    for (uint32_t m = 0; m < item->len; m++) {
        const pt_av_member_t *mem = &item->u.members[m];
        for (uint32_t i = 0; i < names->len; i++) {
            if (names->u.elems[i].len == mem->name_len && !memcmp(names->u.elems[i].u.str, mem->name, mem->name_len)) {
                item->u.members[kept++] = *mem;
                break;
            }
        }
    }
    item->len = kept;
}

/* DynamoDB: one write unit per 1 KB (rounded up), at least 1. */
double pt_api_write_units(size_t size)
{
    double u = ceil((double)size / 1024.0);
    return u < 1 ? 1 : u;
}

/* DynamoDB: one read unit per 4 KB (rounded up), at least 1; half for an
 * eventually consistent read. */
double pt_api_read_units(size_t size, bool consistent)
{
    double u = ceil((double)size / 4096.0);
    if (u < 1) u = 1;
    return consistent ? u : u / 2;
}

static int check_key_size(pt_call_t *call, const pt_av_t *v, bool is_hash)
{
    if (v->type == PT_AV_N) return PT_OK;
    if (is_hash && v->len > 2048)
        return pt_error_set(&call->err, PT_E_VALIDATION,
                            "One or more parameter values were invalid: Size of hashkey has exceeded the maximum "
                            "size limit of2048 bytes");
    if (!is_hash && v->len > 1024)
        return pt_error_set(&call->err, PT_E_VALIDATION,
                            "One or more parameter values were invalid: Aggregated size of all range keys has "
                            "exceeded the size limit of 1024 bytes");
    return PT_OK;
}

/* Key attributes of a full item (PutItem). */
int pt_api_item_key(pt_call_t *call, const pt_table_t *t, const pt_av_t *item, const pt_av_t **hash,
                    const pt_av_t **range)
{
    const pt_attr_def_t *defs[2] = {&t->hash, t->range.name ? &t->range : NULL};
    const pt_av_t *vals[2] = {NULL, NULL};
    for (int i = 0; i < 2 && defs[i]; i++) {
        const pt_attr_def_t *d = defs[i];
        const pt_av_t *v = pt_item_get(item, d->name, strlen(d->name));
        if (!v)
            return pt_error_set(&call->err, PT_E_VALIDATION,
                                "One or more parameter values were invalid: Missing the key %s in the item", d->name);
        if (v->type != d->type)
            return pt_error_set(&call->err, PT_E_VALIDATION,
                                "One or more parameter values were invalid: Type mismatch for key %s expected: %s "
                                "actual: %s",
                                d->name, pt_av_type_name(d->type), pt_av_type_name(v->type));
        if (v->len == 0 && v->type != PT_AV_N)
            return pt_error_set(&call->err, PT_E_VALIDATION,
                                "One or more parameter values are not valid. The AttributeValue for a key attribute "
                                "cannot contain an empty %s value. Key: %s",
                                v->type == PT_AV_S ? "string" : "binary", d->name);
        if (check_key_size(call, v, i == 0)) return PT_ERR;
        vals[i] = v;
    }
    *hash = vals[0];
    *range = vals[1];
    return PT_OK;
}

/* A Key parameter (GetItem, DeleteItem): exactly the key attributes. */
int pt_api_key_param(pt_call_t *call, const pt_table_t *t, const pt_av_t *key, const pt_av_t **hash,
                     const pt_av_t **range)
{
    const pt_attr_def_t *defs[2] = {&t->hash, t->range.name ? &t->range : NULL};
    uint32_t nkeys = defs[1] ? 2 : 1;
    const pt_av_t *vals[2] = {NULL, NULL};
    if (key->len != nkeys)
        return pt_error_set(&call->err, PT_E_VALIDATION, "The provided key element does not match the schema");
    for (uint32_t i = 0; i < nkeys; i++) {
        const pt_av_t *v = pt_item_get(key, defs[i]->name, strlen(defs[i]->name));
        if (!v || v->type != defs[i]->type)
            return pt_error_set(&call->err, PT_E_VALIDATION, "The provided key element does not match the schema");
        if (v->len == 0 && v->type != PT_AV_N)
            return pt_error_set(&call->err, PT_E_VALIDATION,
                                "One or more parameter values were invalid: The AttributeValue for a key attribute "
                                "cannot contain an empty %s value. Key: %s",
                                v->type == PT_AV_S ? "string" : "binary", defs[i]->name);
        if (check_key_size(call, v, i == 0)) return PT_ERR;
        vals[i] = v;
    }
    *hash = vals[0];
    *range = vals[1];
    return PT_OK;
}


/* ---- expression parameters ---- */

/* Whether any of `names` is in the request; with `out`, also lists them
 * ("A, B") for an error message. */
static bool listed(const pt_json_t *req, const char *const *names, pt_buf_t *out)
{
    bool any = false;
    for (const char *const *p = names; p && *p; p++) {
        if (!pt_param(req, *p)) continue;
        if (!out) return true;
        if (any) pt_buf_append(out, ", ", 2);
        pt_buf_puts(out, *p);
        any = true;
    }
    return any;
}

int pt_api_check_expression_params(pt_call_t *call, const pt_json_t *req, const char *const *expressions,
                                   const char *const *legacy)
{
    /* Every item request passes here: the messages are built only when
     * one is reported. */
    bool has_expr = listed(req, expressions, NULL);
    if (has_expr && listed(req, legacy, NULL)) {
        pt_buf_t ex = PT_BUF_INIT, lg = PT_BUF_INIT;
        listed(req, expressions, &ex);
        listed(req, legacy, &lg);
        pt_error_set(&call->err, PT_E_VALIDATION,
                     "Can not use both expression and non-expression parameters in the same request: "
                     "Non-expression parameters: {%.*s} Expression parameters: {%.*s}",
                     (int)lg.len, lg.data, (int)ex.len, ex.data);
        pt_buf_free(&ex);
        pt_buf_free(&lg);
        return PT_ERR;
    }
    if (!has_expr && pt_param(req, "ExpressionAttributeNames"))
        return pt_error_set(&call->err, PT_E_VALIDATION,
                            "ExpressionAttributeNames can only be specified when using expressions");
    if (!pt_param(req, "ExpressionAttributeValues")) return PT_OK;
    /* Values need an expression other than a projection. */
    uint32_t nvals = 0;
    for (const char *const *p = expressions; *p; p++) {
        if (!strcmp(*p, "ProjectionExpression")) continue;
        nvals++;
        if (pt_param(req, *p)) return PT_OK;
    }
    if (!nvals) return PT_OK;
    pt_buf_t vals = PT_BUF_INIT;
    nvals = 0;
    for (const char *const *p = expressions; *p; p++) {
        if (!strcmp(*p, "ProjectionExpression")) continue;
        if (nvals++) pt_buf_puts(&vals, " and ");
        pt_buf_puts(&vals, *p);
    }
    pt_error_set(&call->err, PT_E_VALIDATION,
                 "ExpressionAttributeValues can only be specified when using expressions: %.*s %s null",
                 (int)vals.len, vals.data, nvals > 1 ? "are" : "is");
    pt_buf_free(&vals);
    return PT_ERR;
}

static int parse_param_expr(pt_call_t *call, pt_expr_ctx_t *ctx, const pt_json_t *req, const char *name,
                            pt_expr_kind_t kind, const pt_expr_t **out)
{
    uint32_t len;
    const char *text = pt_param_str(req, name, &len);
    if (!text) return PT_OK;
    pt_expr_t *e;
    if (pt_expr_parse(ctx, kind, text, len, &e, &call->err)) return PT_ERR;
    *out = e;
    return PT_OK;
}

/* ---- prepared single-item writes (item_ops.h) ---- */

static pt_return_values_t return_values_of(const pt_json_t *req)
{
    static const struct {
        const char *name;
        pt_return_values_t rv;
    } map[] = {{"ALL_OLD", PT_RV_ALL_OLD}, {"UPDATED_OLD", PT_RV_UPDATED_OLD}, {"ALL_NEW", PT_RV_ALL_NEW},
               {"UPDATED_NEW", PT_RV_UPDATED_NEW}};
    uint32_t n;
    const char *s = pt_param_str(req, "ReturnValues", &n);
    for (size_t i = 0; s && i < sizeof map / sizeof map[0]; i++)
        if (strlen(map[i].name) == n && !memcmp(map[i].name, s, n)) return map[i].rv;
    return PT_RV_NONE;
}

int pt_item_op_prepare(pt_call_t *call, const pt_json_t *req, pt_item_op_kind_t kind, pt_item_op_t *op)
{
    static const char *const cond_expr[] = {"ConditionExpression", NULL};
    static const char *const cond_legacy[] = {"Expected", NULL};
    static const char *const update_expr[] = {"UpdateExpression", "ConditionExpression", NULL};
    static const char *const update_legacy[] = {"AttributeUpdates", "Expected", NULL};
    static const char *const none[] = {NULL};
    pt_arena_t *arena = &call->arena;
    memset(op, 0, sizeof *op);
    op->kind = kind;

    if (pt_api_check_expression_params(call, req, kind == PT_ITEM_UPDATE ? update_expr : cond_expr,
                                       kind == PT_ITEM_UPDATE ? update_legacy
                                       : kind == PT_ITEM_CHECK ? none
                                                               : cond_legacy))
        return PT_ERR;
    op->return_values = return_values_of(req);
    if (kind == PT_ITEM_PUT) {
        if (pt_item_from_json(arena, pt_param(req, "Item"), &op->item.item, &call->err)) return PT_ERR;
        if (op->return_values != PT_RV_NONE && op->return_values != PT_RV_ALL_OLD)
            return pt_error_set(&call->err, PT_E_VALIDATION, "ReturnValues can only be ALL_OLD or NONE");
        size_t size = pt_item_size(&op->item.item);
        if (size > PT_ITEM_MAX_SIZE)
            return pt_error_set(&call->err, PT_E_VALIDATION, "Item size has exceeded the maximum allowed size");
        op->item.size = (uint32_t)size;
        op->key_item = op->item.item;
    } else {
        if (pt_item_from_json(arena, pt_param(req, "Key"), &op->key_item, &call->err)) return PT_ERR;
        if (kind == PT_ITEM_DELETE && op->return_values != PT_RV_NONE && op->return_values != PT_RV_ALL_OLD)
            return pt_error_set(&call->err, PT_E_VALIDATION, "ReturnValues can only be ALL_OLD or NONE");
    }

    /* The legacy parameters get their own context, made only when used. */
    pt_expr_ctx_t *legacy_ctx = NULL;
    const pt_json_t *updates = kind == PT_ITEM_UPDATE ? pt_param(req, "AttributeUpdates") : NULL;
    const pt_json_t *expected = kind != PT_ITEM_CHECK ? pt_param(req, "Expected") : NULL;
    if ((updates || expected) && pt_expr_ctx_new(arena, NULL, NULL, &legacy_ctx, &call->err)) return PT_ERR;
    if (updates) {
        pt_expr_t *u;
        if (pt_expr_from_attribute_updates(legacy_ctx, updates, &u, &call->err)) return PT_ERR;
        op->update = u;
    }
    if (expected) {
        pt_expr_t *c;
        if (pt_expr_from_expected(legacy_ctx, expected, pt_param(req, "ConditionalOperator"), &c, &call->err))
            return PT_ERR;
        op->condition = c;
    }

    pt_expr_ctx_t *ctx;
    if (pt_expr_ctx_new(arena, pt_param(req, "ExpressionAttributeNames"), pt_param(req, "ExpressionAttributeValues"),
                        &ctx, &call->err))
        return PT_ERR;
    if (kind == PT_ITEM_UPDATE && parse_param_expr(call, ctx, req, "UpdateExpression", PT_EXPR_UPDATE, &op->update))
        return PT_ERR;
    if (parse_param_expr(call, ctx, req, "ConditionExpression", PT_EXPR_CONDITION, &op->condition)) return PT_ERR;
    if (pt_expr_ctx_check_unused(ctx, &call->err)) return PT_ERR;

    uint32_t n;
    const char *s = pt_param_str(req, "ReturnValuesOnConditionCheckFailure", &n);
    op->return_old_on_failure = s && n == 7 && !memcmp(s, "ALL_OLD", 7);
    return PT_OK;
}

int pt_item_op_bind(pt_call_t *call, const pt_table_t *t, pt_item_op_t *op)
{
    const pt_av_t *hash = NULL, *range = NULL;
    if (op->kind == PT_ITEM_PUT) {
        if (pt_api_item_key(call, t, &op->item.item, &hash, &range)) return PT_ERR;
        /* index key types, before any condition (dynalite db.validateItem);
         * pt_item_write checks every other write path again */
        if (pt_index_check_item((pt_table_t *)t, &op->item.item, &call->err)) return PT_ERR;
    } else {
        if (pt_api_key_param(call, t, &op->key_item, &hash, &range)) return PT_ERR;
    }
    if (op->kind == PT_ITEM_UPDATE && op->update) {
        const char *keys[2] = {t->hash.name, t->range.name};
        for (int i = 0; i < 2; i++)
            if (keys[i] && pt_expr_references(op->update, keys[i], strlen(keys[i]), NULL))
                return pt_error_set(&call->err, PT_E_VALIDATION,
                                    "One or more parameter values were invalid: Cannot update attribute %s. This "
                                    "attribute is part of the key",
                                    keys[i]);
    }
    op->table = t;
    op->key = pt_item_key(&call->arena, t, hash, range);
    return PT_OK;
}

static int conditional_failed(pt_arena_t *arena, const pt_item_op_t *op, const pt_item_op_result_t *res,
                              pt_error_t *err)
{
    pt_error_set(err, PT_E_CONDITIONAL, "The conditional request failed");
    if (op->return_old_on_failure && res->had_old) {
        pt_buf_t b = PT_BUF_INIT;
        pt_buf_puts(&b, ",\"Item\":");
        pt_jw_t w;
        pt_jw_init(&w, &b);
        pt_item_write_json(&w, &res->old.item);
        err->extra_json = pt_arena_memdup(arena, b.data, b.len);
        err->extra_json_len = b.len;
        pt_buf_free(&b);
    }
    return PT_ERR;
}

int pt_item_op_apply(pt_arena_t *arena, pt_txn_t *txn, pt_table_t *t, const pt_item_op_t *op,
                     pt_item_op_result_t *res, pt_error_t *err)
{
    memset(res, 0, sizeof *res);
    /* A put without condition or ReturnValues, on a table without indexes
     * or TTL, needs the old item only by its size (statistics, capacity):
     * skip decoding it. */
    bool size_only = op->kind == PT_ITEM_PUT && !op->condition && op->return_values == PT_RV_NONE &&
                     !pt_item_write_needs_old(t);
    if (size_only) {   /* and the store reports that size as it writes: one B-tree descent */
        pt_item_stats_t stats = {0, 0};
        bool existed = false;
        uint32_t old_size = 0;
        if (pt_item_put_sized(txn, t, op->key, &op->item, &existed, &old_size, &stats, err)) return PT_ERR;
        res->had_old = existed;
        res->old.size = old_size;
        res->old.item.type = PT_AV_M;   /* as pt_item_read_size leaves it: no attributes */
        res->new_item = op->item;
        res->has_new = true;
        return pt_item_stats_flush(txn, t, &stats, err);
    }
    int rc = pt_item_read(txn, arena, op->key, &res->old, err);
    if (rc == PT_ERR) return rc;
    res->had_old = rc == PT_OK;
    if (op->condition) {
        bool ok;
        if (pt_expr_eval(op->condition, res->had_old ? &res->old.item : NULL, &ok, err)) return PT_ERR;
        if (!ok) return conditional_failed(arena, op, res, err);
    }
    switch (op->kind) {
    case PT_ITEM_PUT:
        res->new_item = op->item;
        res->has_new = true;
        break;
    case PT_ITEM_UPDATE: {
        const pt_av_t *base = res->had_old ? &res->old.item : &op->key_item;
        pt_av_t updated = *base;
        if (op->update && pt_expr_apply_update(arena, op->update, base, &updated, err)) return PT_ERR;
        size_t size = pt_item_size(&updated);
        if (size > PT_ITEM_MAX_SIZE)
            return pt_error_set(err, PT_E_VALIDATION, "Item size to update has exceeded the maximum allowed size");
        res->new_item.item = updated;
        res->new_item.size = (uint32_t)size;
        res->has_new = true;
        break;
    }
    case PT_ITEM_DELETE:
    case PT_ITEM_CHECK: break;
    }
    if (op->kind == PT_ITEM_CHECK || (op->kind == PT_ITEM_DELETE && !res->had_old)) return PT_OK;
    return pt_item_write_units(txn, t, op->key, res->had_old ? &res->old : NULL,
                               res->has_new ? &res->new_item : NULL, &res->index_units, err);
}

void pt_item_op_write_attributes(pt_jw_t *w, pt_arena_t *arena, const pt_item_op_t *op,
                                 const pt_item_op_result_t *res)
{
    pt_av_t out;
    switch (op->return_values) {
    case PT_RV_NONE: return;
    case PT_RV_ALL_OLD:
        if (!res->had_old) return;
        out = res->old.item;
        break;
    case PT_RV_ALL_NEW:
        if (!res->has_new) return;
        out = res->new_item.item;
        break;
    case PT_RV_UPDATED_OLD:
    case PT_RV_UPDATED_NEW: {
        bool old = op->return_values == PT_RV_UPDATED_OLD;
        if (old ? !res->had_old : !res->has_new) return;
        const pt_av_t *src = old ? &res->old.item : &res->new_item.item;
        if (!op->update) return;
        pt_expr_project_updated(arena, op->update, src, &out);
        break;
    }
    default: return;
    }
    if (!out.len) return;
    pt_jw_keyz(w, "Attributes");
    pt_item_write_json(w, &out);
}

/* ---- PutItem / DeleteItem ---- */

double pt_item_op_table_units(const pt_item_op_result_t *res)
{
    uint32_t old_size = res->had_old ? res->old.size : 0;
    uint32_t new_size = res->has_new ? res->new_item.size : 0;
    return pt_api_write_units(new_size > old_size ? new_size : old_size);
}

typedef struct write_call {
    pt_item_op_t op;
    rcc_t rcc;
    bool metrics;      /* ReturnItemCollectionMetrics = SIZE */
} write_call_t;

static int write_apply(pt_call_t *call, pt_txn_t *txn)
{
    write_call_t *wc = call->op;
    pt_table_t *t = call->table;
    if (atomic_load(&t->deleted)) return pt_error_set(&call->err, PT_E_NOT_FOUND, "Requested resource not found");
    pt_item_op_result_t res;
    if (pt_item_op_apply(&call->arena, txn, t, &wc->op, &res, &call->err)) return PT_ERR;

    pt_jw_t w;
    pt_jw_init(&w, &call->out);
    pt_jw_obj_begin(&w);
    pt_item_op_write_attributes(&w, &call->arena, &wc->op, &res);
    if (wc->rcc != RCC_NONE) {
        pt_capacity_t c = {.table = t->name};
        pt_capacity_add_write(&c, &call->arena, pt_item_op_table_units(&res), &res.index_units);
        pt_jw_keyz(&w, "ConsumedCapacity");
        pt_capacity_write(&w, wc->rcc, &c, false);
    }
    /* DynamoDB reports item collections only for tables with an LSI. */
    if (wc->metrics && pt_index_has_lsi(t)) {
        const pt_av_t *hash = pt_item_get(&wc->op.key_item, t->hash.name, strlen(t->hash.name));
        pt_jw_keyz(&w, "ItemCollectionMetrics");
        if (pt_api_write_collection_metrics(&w, txn, t, hash, &call->err)) return PT_ERR;
    }
    pt_jw_obj_end(&w);
    return PT_OK;
}

int pt_api_single_write(pt_call_t *call, const pt_json_t *req, const pt_param_t *schema, pt_item_op_kind_t kind)
{
    pt_table_t *t;
    if (pt_params_check(&call->arena, req, schema, &call->err)) return PT_ERR;
    write_call_t *wc = pt_arena_calloc(&call->arena, sizeof *wc);
    if (pt_item_op_prepare(call, req, kind, &wc->op)) return PT_ERR;
    if (pt_api_table(call, req, false, &t)) return PT_ERR;
    if (pt_item_op_bind(call, t, &wc->op)) return PT_ERR;
    wc->rcc = pt_api_consumed_mode(req);
    wc->metrics = pt_api_collection_metrics_wanted(req);
    call->op = wc;
    call->apply = write_apply;
    return PT_PENDING;
}

int pt_op_put_item(pt_call_t *call, const pt_json_t *req)
{
    return pt_api_single_write(call, req, put_schema, PT_ITEM_PUT);
}

int pt_op_delete_item(pt_call_t *call, const pt_json_t *req)
{
    return pt_api_single_write(call, req, delete_schema, PT_ITEM_DELETE);
}

/* ---- GetItem ---- */

int pt_op_get_item(pt_call_t *call, const pt_json_t *req)
{
    static const char *const proj_expr[] = {"ProjectionExpression", NULL};
    static const char *const proj_legacy[] = {"AttributesToGet", NULL};
    pt_av_t key;
    pt_table_t *t;
    const pt_av_t *hash = NULL, *range = NULL;
    const pt_expr_t *projection = NULL;

    if (pt_params_check(&call->arena, req, get_schema, &call->err)) return PT_ERR;
    if (pt_api_check_expression_params(call, req, proj_expr, proj_legacy)) return PT_ERR;
    if (pt_item_from_json(&call->arena, pt_param(req, "Key"), &key, &call->err)) return PT_ERR;
    pt_expr_ctx_t *ctx;
    if (pt_expr_ctx_new(&call->arena, pt_param(req, "ExpressionAttributeNames"), NULL, &ctx, &call->err))
        return PT_ERR;
    const pt_json_t *names = pt_param(req, "AttributesToGet");
    if (names) {
        pt_expr_t *p;
        if (pt_expr_from_attributes_to_get(ctx, names, &p, &call->err)) return PT_ERR;
        projection = p;
    }
    if (parse_param_expr(call, ctx, req, "ProjectionExpression", PT_EXPR_PROJECTION, &projection)) return PT_ERR;
    if (pt_expr_ctx_check_unused(ctx, &call->err)) return PT_ERR;
    if (pt_api_table(call, req, false, &t)) return PT_ERR;
    if (pt_api_key_param(call, t, &key, &hash, &range)) return PT_ERR;
    pt_slice_t k = pt_item_key(&call->arena, t, hash, range);
    bool consistent = pt_param_bool(req, "ConsistentRead", false);
    rcc_t rcc = pt_api_consumed_mode(req);

    pt_txn_t *txn;
    if (pt_txn_begin(call->engine->store, PT_TXN_READ, NULL, &txn, &call->err)) return PT_ERR;
    pt_stored_item_t stored;
    int rc = pt_item_read(txn, &call->arena, k, &stored, &call->err);
    pt_txn_abort(txn); /* the decoded item lives in the arena */
    if (rc == PT_ERR) return PT_ERR;
    bool found = rc == PT_OK;
    pt_av_t item = found ? stored.item : (pt_av_t){0};
    uint32_t size = found ? stored.size : 0;
    if (found && projection) pt_expr_project(&call->arena, projection, &stored.item, &item);

    pt_jw_t w;
    pt_jw_init(&w, &call->out);
    pt_jw_obj_begin(&w);
    if (found) {
        pt_jw_keyz(&w, "Item");
        pt_item_write_json(&w, &item);
    }
    pt_api_write_consumed(&w, rcc, t, pt_api_read_units(size, consistent), true);
    pt_jw_obj_end(&w);
    return PT_OK;
}
