/* Item operations: PutItem, GetItem, DeleteItem, and the prepared
 * single-item write they share with UpdateItem, BatchWriteItem and
 * TransactWriteItems (item_ops.h).
 *
 * Stored value layout: u32 BE DynamoDB item size (so statistics and
 * capacity need no decode of the old item) followed by the binary item
 * (av.h). Validation order follows DynamoDB: parameter kinds/constraints,
 * attribute values, ReturnValues, item size, then the table (exists?) and
 * its key schema. Reads run on the caller's thread in a read transaction;
 * writes run in the writer's batch (api.h). */
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

static const char *const return_consumed[] = {"INDEXES", "TOTAL", "NONE", NULL};
static const char *const return_values[] = {"ALL_NEW", "UPDATED_OLD", "ALL_OLD", "NONE", "UPDATED_NEW", NULL};
static const char *const return_metrics[] = {"SIZE", "NONE", NULL};
static const char *const cond_ops[] = {"AND", "OR", NULL};
static const char *const comparison_ops[] = {"IN", "NULL", "BETWEEN", "LT", "NOT_CONTAINS", "EQ", "GT",
                                             "NOT_NULL", "NE", "LE", "BEGINS_WITH", "GE", "CONTAINS", NULL};
static const char *const on_check_failure[] = {"ALL_OLD", "NONE", NULL};

static const pt_param_t av_param = {.name = "member", .type = PT_P_AV};
static const pt_param_t expected_members[] = {
    {.name = "AttributeValueList", .type = PT_P_LIST, .elem = &av_param},
    {.name = "ComparisonOperator", .type = PT_P_STRING, .enums = comparison_ops},
    {.name = "Exists", .type = PT_P_BOOL},
    {.name = "Value", .type = PT_P_AV},
    {0},
};
static const pt_param_t expected_value = {.name = "member", .type = PT_P_VSTRUCT,
                                          .struct_name = "ExpectedAttributeValue", .members = expected_members};
static const pt_param_t string_param = {.name = "member", .type = PT_P_STRING};

#define TABLE_NAME_P                                                                                       \
    {.name = "TableName", .type = PT_P_STRING,                                                              \
     .flags = PT_P_NOT_NULL | PT_P_NAME_REGEX | PT_P_HAS_MINLEN | PT_P_HAS_MAXLEN, .min_len = 3, .max_len = 255}
#define EXPR_PARAMS                                                                                        \
    {.name = "ExpressionAttributeValues", .type = PT_P_ATTRS},                                              \
    {.name = "ExpressionAttributeNames", .type = PT_P_MAP, .struct_name = "java.lang.String", .elem = &string_param}

static const pt_param_t put_schema[] = {
    {.name = "ReturnConsumedCapacity", .type = PT_P_STRING, .enums = return_consumed},
    TABLE_NAME_P,
    {.name = "Item", .type = PT_P_ATTRS, .flags = PT_P_NOT_NULL},
    {.name = "ConditionalOperator", .type = PT_P_STRING, .enums = cond_ops},
    {.name = "Expected", .type = PT_P_MAP, .struct_name = "ExpectedAttributeValue", .elem = &expected_value},
    {.name = "ReturnValues", .type = PT_P_STRING, .enums = return_values},
    {.name = "ReturnItemCollectionMetrics", .type = PT_P_STRING, .enums = return_metrics},
    {.name = "ConditionExpression", .type = PT_P_STRING},
    EXPR_PARAMS,
    {.name = "ReturnValuesOnConditionCheckFailure", .type = PT_P_STRING, .enums = on_check_failure},
    {0},
};

static const pt_param_t delete_schema[] = {
    {.name = "ReturnConsumedCapacity", .type = PT_P_STRING, .enums = return_consumed},
    TABLE_NAME_P,
    {.name = "ReturnValues", .type = PT_P_STRING, .enums = return_values},
    {.name = "ReturnItemCollectionMetrics", .type = PT_P_STRING, .enums = return_metrics},
    {.name = "Key", .type = PT_P_ATTRS, .flags = PT_P_NOT_NULL},
    {.name = "ConditionalOperator", .type = PT_P_STRING, .enums = cond_ops},
    {.name = "Expected", .type = PT_P_MAP, .struct_name = "ExpectedAttributeValue", .elem = &expected_value},
    {.name = "ConditionExpression", .type = PT_P_STRING},
    EXPR_PARAMS,
    {.name = "ReturnValuesOnConditionCheckFailure", .type = PT_P_STRING, .enums = on_check_failure},
    {0},
};

static const pt_param_t get_schema[] = {
    {.name = "ReturnConsumedCapacity", .type = PT_P_STRING, .enums = return_consumed},
    {.name = "AttributesToGet", .type = PT_P_LIST, .flags = PT_P_HAS_MINLEN | PT_P_HAS_MAXLEN, .min_len = 1,
     .max_len = 255, .elem = &string_param},
    TABLE_NAME_P,
    {.name = "Key", .type = PT_P_ATTRS, .flags = PT_P_NOT_NULL},
    {.name = "ConsistentRead", .type = PT_P_BOOL},
    {.name = "ProjectionExpression", .type = PT_P_STRING},
    {.name = "ExpressionAttributeNames", .type = PT_P_MAP, .struct_name = "java.lang.String", .elem = &string_param},
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
    pt_jw_keyz(w, "ConsumedCapacity");
    pt_jw_obj_begin(w);
    pt_jw_keyz(w, "TableName");
    pt_jw_strz(w, t->name);
    pt_jw_keyz(w, "CapacityUnits");
    pt_jw_double(w, units);
    pt_jw_keyz(w, is_read ? "ReadCapacityUnits" : "WriteCapacityUnits");
    pt_jw_double(w, units);
    if (mode == RCC_INDEXES) {
        pt_jw_keyz(w, "Table");
        pt_jw_obj_begin(w);
        pt_jw_keyz(w, "CapacityUnits");
        pt_jw_double(w, units);
        pt_jw_keyz(w, is_read ? "ReadCapacityUnits" : "WriteCapacityUnits");
        pt_jw_double(w, units);
        pt_jw_obj_end(w);
    }
    pt_jw_obj_end(w);
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

static bool listed(const pt_json_t *req, const char *const *names, pt_buf_t *out)
{
    bool any = false;
    for (const char *const *p = names; p && *p; p++) {
        if (!pt_param(req, *p)) continue;
        if (any) pt_buf_append(out, ", ", 2);
        pt_buf_puts(out, *p);
        any = true;
    }
    return any;
}

int pt_api_check_expression_params(pt_call_t *call, const pt_json_t *req, const char *const *expressions,
                                   const char *const *legacy)
{
    pt_buf_t ex = PT_BUF_INIT, lg = PT_BUF_INIT;
    int rc = PT_OK;
    bool has_expr = listed(req, expressions, &ex);
    if (has_expr && listed(req, legacy, &lg)) {
        rc = pt_error_set(&call->err, PT_E_VALIDATION,
                          "Can not use both expression and non-expression parameters in the same request: "
                          "Non-expression parameters: {%.*s} Expression parameters: {%.*s}",
                          (int)lg.len, lg.data, (int)ex.len, ex.data);
        goto done;
    }
    if (!has_expr && pt_param(req, "ExpressionAttributeNames")) {
        rc = pt_error_set(&call->err, PT_E_VALIDATION,
                          "ExpressionAttributeNames can only be specified when using expressions");
        goto done;
    }
    /* Values need an expression other than a projection. */
    pt_buf_t vals = PT_BUF_INIT;
    uint32_t nvals = 0;
    bool any_val_expr = false;
    for (const char *const *p = expressions; *p; p++) {
        if (!strcmp(*p, "ProjectionExpression")) continue;
        if (nvals++) pt_buf_puts(&vals, " and ");
        pt_buf_puts(&vals, *p);
        if (pt_param(req, *p)) any_val_expr = true;
    }
    if (nvals && !any_val_expr && pt_param(req, "ExpressionAttributeValues"))
        rc = pt_error_set(&call->err, PT_E_VALIDATION,
                          "ExpressionAttributeValues can only be specified when using expressions: %.*s %s null",
                          (int)vals.len, vals.data, nvals > 1 ? "are" : "is");
    pt_buf_free(&vals);
done:
    pt_buf_free(&ex);
    pt_buf_free(&lg);
    return rc;
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

    pt_expr_ctx_t *legacy_ctx;
    if (pt_expr_ctx_new(arena, NULL, NULL, &legacy_ctx, &call->err)) return PT_ERR;
    const pt_json_t *updates = pt_param(req, "AttributeUpdates");
    if (kind == PT_ITEM_UPDATE && updates) {
        pt_expr_t *u;
        if (pt_expr_from_attribute_updates(legacy_ctx, updates, &u, &call->err)) return PT_ERR;
        op->update = u;
    }
    const pt_json_t *expected = pt_param(req, "Expected");
    if (expected && kind != PT_ITEM_CHECK) {
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
    return pt_item_write(txn, t, op->key, res->had_old ? &res->old : NULL, res->has_new ? &res->new_item : NULL,
                         err);
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

typedef struct write_call {
    pt_item_op_t op;
    rcc_t rcc;
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
    uint32_t old_size = res.had_old ? res.old.size : 0;
    uint32_t new_size = res.has_new ? res.new_item.size : 0;
    pt_api_write_consumed(&w, wc->rcc, t, pt_api_write_units(new_size > old_size ? new_size : old_size), false);
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
