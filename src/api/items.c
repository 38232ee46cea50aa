/* Item operations: PutItem, GetItem, DeleteItem.
 *
 * Stored value layout: u32 BE DynamoDB item size (so statistics and
 * capacity need no decode of the old item) followed by the binary item
 * (av.h). Validation order follows DynamoDB: parameter kinds/constraints,
 * attribute values, ReturnValues, item size, then the table (exists?) and
 * its key schema. Reads run on the caller's thread in a read transaction;
 * writes run in the writer's batch (api.h). */
#include "api/api.h"
#include "api/params.h"
#include "engine/av.h"
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

/* Rejects parameters that belong to the expression language (issue 3) and
 * expression maps supplied without any expression, with DynamoDB's message. */
static int check_expression_params(pt_call_t *call, const pt_json_t *req, const char *const *unsupported)
{
    for (const char *const *p = unsupported; *p; p++)
        if (pt_param(req, *p))
            return pt_error_set(&call->err, PT_E_VALIDATION, "Portico does not support %s yet", *p);
    if (pt_param(req, "ExpressionAttributeNames"))
        return pt_error_set(&call->err, PT_E_VALIDATION,
                            "ExpressionAttributeNames can only be specified when using expressions");
    if (pt_param(req, "ExpressionAttributeValues"))
        return pt_error_set(&call->err, PT_E_VALIDATION,
                            "ExpressionAttributeValues can only be specified when using expressions");
    return PT_OK;
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

static int return_values_mode(pt_call_t *call, const pt_json_t *req, bool *all_old)
{
    uint32_t n;
    const char *s = pt_param_str(req, "ReturnValues", &n);
    *all_old = s && n == 7 && !memcmp(s, "ALL_OLD", 7);
    if (s && !*all_old && !(n == 4 && !memcmp(s, "NONE", 4)))
        return pt_error_set(&call->err, PT_E_VALIDATION, "ReturnValues can only be ALL_OLD or NONE");
    return PT_OK;
}

/* ---- PutItem ---- */

typedef struct write_op {
    pt_slice_t key;
    pt_stored_item_t item;  /* the new item (PutItem) */
    bool is_put;
    bool all_old;
    rcc_t rcc;
} write_op_t;

static int write_apply(pt_call_t *call, pt_txn_t *txn)
{
    write_op_t *op = call->op;
    pt_table_t *t = call->table;
    if (atomic_load(&t->deleted)) return pt_error_set(&call->err, PT_E_NOT_FOUND, "Requested resource not found");

    pt_stored_item_t old;
    int rc = pt_item_read(txn, &call->arena, op->key, &old, &call->err);
    if (rc == PT_ERR) return rc;
    bool had_old = rc == PT_OK;
    if (pt_item_write(txn, t, op->key, had_old ? &old : NULL, op->is_put ? &op->item : NULL, &call->err))
        return PT_ERR;

    pt_jw_t w;
    pt_jw_init(&w, &call->out);
    pt_jw_obj_begin(&w);
    if (had_old && op->all_old) {
        pt_jw_keyz(&w, "Attributes");
        pt_item_write_json(&w, &old.item);
    }
    uint32_t old_size = had_old ? old.size : 0;
    uint32_t billed = op->is_put && op->item.size > old_size ? op->item.size : old_size;
    pt_api_write_consumed(&w, op->rcc, t, pt_api_write_units(billed), false);
    pt_jw_obj_end(&w);
    return PT_OK;
}

int pt_op_put_item(pt_call_t *call, const pt_json_t *req)
{
    static const char *const unsupported[] = {"ConditionExpression", "Expected", NULL};
    pt_av_t item;
    bool all_old;
    pt_table_t *t;
    const pt_av_t *hash = NULL, *range = NULL;

    if (pt_params_check(&call->arena, req, put_schema, &call->err)) return PT_ERR;
    if (check_expression_params(call, req, unsupported)) return PT_ERR;
    if (pt_item_from_json(&call->arena, pt_param(req, "Item"), &item, &call->err)) return PT_ERR;
    if (return_values_mode(call, req, &all_old)) return PT_ERR;
    size_t size = pt_item_size(&item);
    if (size > PT_ITEM_MAX_SIZE)
        return pt_error_set(&call->err, PT_E_VALIDATION, "Item size has exceeded the maximum allowed size");
    if (pt_api_table(call, req, false, &t)) return PT_ERR;
    if (pt_api_item_key(call, t, &item, &hash, &range)) return PT_ERR;

    write_op_t *op = pt_arena_calloc(&call->arena, sizeof *op);
    op->key = pt_item_key(&call->arena, t, hash, range);
    op->item.item = item;
    op->item.size = (uint32_t)size;
    op->is_put = true;
    op->all_old = all_old;
    op->rcc = pt_api_consumed_mode(req);
    call->op = op;
    call->apply = write_apply;
    return PT_PENDING;
}

/* ---- DeleteItem ---- */

int pt_op_delete_item(pt_call_t *call, const pt_json_t *req)
{
    static const char *const unsupported[] = {"ConditionExpression", "Expected", NULL};
    pt_av_t key;
    bool all_old;
    pt_table_t *t;
    const pt_av_t *hash = NULL, *range = NULL;

    if (pt_params_check(&call->arena, req, delete_schema, &call->err)) return PT_ERR;
    if (check_expression_params(call, req, unsupported)) return PT_ERR;
    if (pt_item_from_json(&call->arena, pt_param(req, "Key"), &key, &call->err)) return PT_ERR;
    if (return_values_mode(call, req, &all_old)) return PT_ERR;
    if (pt_api_table(call, req, false, &t)) return PT_ERR;
    if (pt_api_key_param(call, t, &key, &hash, &range)) return PT_ERR;

    write_op_t *op = pt_arena_calloc(&call->arena, sizeof *op);
    op->key = pt_item_key(&call->arena, t, hash, range);
    op->all_old = all_old;
    op->rcc = pt_api_consumed_mode(req);
    call->op = op;
    call->apply = write_apply;
    return PT_PENDING;
}

/* ---- GetItem ---- */

/* AttributesToGet: keeps only the named top-level attributes. */
static int project_names(pt_call_t *call, const pt_json_t *names, pt_av_t *item)
{
    for (uint32_t i = 0; i < names->len; i++)
        for (uint32_t j = i + 1; j < names->len; j++)
            if (names->u.elems[i].len == names->u.elems[j].len &&
                !memcmp(names->u.elems[i].u.str, names->u.elems[j].u.str, names->u.elems[i].len))
                return pt_error_set(&call->err, PT_E_VALIDATION,
                                    "One or more parameter values were invalid: Duplicate value in attribute name: %s",
                                    names->u.elems[i].u.str);
    if (!item) return PT_OK;
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
    return PT_OK;
}

int pt_op_get_item(pt_call_t *call, const pt_json_t *req)
{
    static const char *const unsupported[] = {"ProjectionExpression", NULL};
    pt_av_t key;
    pt_table_t *t;
    const pt_av_t *hash = NULL, *range = NULL;

    if (pt_params_check(&call->arena, req, get_schema, &call->err)) return PT_ERR;
    if (check_expression_params(call, req, unsupported)) return PT_ERR;
    if (pt_item_from_json(&call->arena, pt_param(req, "Key"), &key, &call->err)) return PT_ERR;
    const pt_json_t *names = pt_param(req, "AttributesToGet");
    if (names && project_names(call, names, NULL)) return PT_ERR;
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
    if (found && names) project_names(call, names, &item);

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
