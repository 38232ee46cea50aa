/* Prepared single-item writes: PutItem, UpdateItem, DeleteItem and the
 * ConditionCheck of transactions, each with its condition, as one reusable
 * unit shared by the single-item operations (items.c, update.c),
 * BatchWriteItem and TransactWriteItems.
 *
 * Life of a write, in two phases:
 *  1. on the calling thread, pt_item_op_prepare() validates one request
 *     object (the whole PutItem request, or the body of a transaction's
 *     Put/Update/Delete/ConditionCheck) exactly as DynamoDB does after its
 *     parameter-type checks: legacy/expression parameter mixing, attribute
 *     values, expressions (parsed once here, into call->arena), ReturnValues.
 *     Then pt_item_op_bind() checks the key against the table's schema and
 *     encodes it. Neither touches storage.
 *  2. on the writer thread, inside a write transaction, pt_item_op_apply()
 *     reads the current item, evaluates the condition, computes and writes
 *     the new item (through pt_item_write, so statistics and indexes follow),
 *     and reports old and new items for the response.
 * Everything lives in the call's arena; nothing needs freeing. */
#ifndef PT_API_ITEM_OPS_H
#define PT_API_ITEM_OPS_H

#include <stdbool.h>

#include "api/api.h"
#include "api/params.h"
#include "engine/expr.h"
#include "engine/index.h"
#include "engine/item_store.h"

typedef enum {
    PT_ITEM_PUT = 1,
    PT_ITEM_UPDATE,
    PT_ITEM_DELETE,
    PT_ITEM_CHECK,    /* TransactWriteItems ConditionCheck: condition only, no write */
} pt_item_op_kind_t;

typedef enum {
    PT_RV_NONE = 0,
    PT_RV_ALL_OLD,
    PT_RV_UPDATED_OLD,
    PT_RV_ALL_NEW,
    PT_RV_UPDATED_NEW,
} pt_return_values_t;

typedef struct pt_item_op {
    pt_item_op_kind_t kind;
    const pt_table_t *table;      /* set by pt_item_op_bind */
    pt_av_t key_item;             /* UPDATE/DELETE/CHECK: the Key parameter; PUT: the item */
    pt_slice_t key;               /* encoded primary key (pt_item_op_bind) */
    pt_stored_item_t item;        /* PUT: the new item and its size */
    const pt_expr_t *condition;   /* ConditionExpression or Expected; NULL if none */
    const pt_expr_t *update;      /* UPDATE: UpdateExpression or AttributeUpdates; NULL if none */
    pt_return_values_t return_values;
    bool return_old_on_failure;   /* ReturnValuesOnConditionCheckFailure = ALL_OLD */
} pt_item_op_t;

typedef struct pt_item_op_result {
    bool had_old;
    pt_stored_item_t old;         /* the item before the write (had_old) */
    bool has_new;
    pt_stored_item_t new_item;    /* the item after the write (has_new) */
    pt_index_units_t index_units; /* write units the write cost each index */
} pt_item_op_result_t;

/* Validates `req` for a write of `kind` (DynamoDB's "custom" validations of
 * that operation, in its order) and fills *op. `req` must already have
 * passed pt_params_check for its schema. For PT_ITEM_CHECK the request
 * needs a ConditionExpression. ReturnValues is validated for the kind
 * (PutItem/DeleteItem: "ReturnValues can only be ALL_OLD or NONE").
 * Returns PT_OK, or PT_ERR with call->err set (ValidationException or
 * SerializationException). */
int pt_item_op_prepare(pt_call_t *call, const pt_json_t *req, pt_item_op_kind_t kind, pt_item_op_t *op);

/* Checks the op's key against table `t` (PutItem: the key attributes of the
 * item; others: the Key parameter must be exactly the key) and, for
 * updates, that no key attribute is updated ("Cannot update attribute X.
 * This attribute is part of the key"). Encodes op->key. PT_OK or PT_ERR
 * with call->err. */
int pt_item_op_bind(pt_call_t *call, const pt_table_t *t, pt_item_op_t *op);

/* Applies a bound op in write transaction `txn` (writer thread) to table
 * `t` (the table it was bound to; passed non-const for pt_item_write).
 * Fails with ConditionalCheckFailedException "The conditional request
 * failed" when the condition is false — err->extra_json then carries
 * ,"Item":{...} when return_old_on_failure is set and the item exists —,
 * with a ValidationException for update errors found only against the
 * stored item (operand types, invalid document paths, size "Item size to
 * update has exceeded the maximum allowed size", number overflow), or with
 * storage errors. On failure nothing was written. `arena` holds *res. */
int pt_item_op_apply(pt_arena_t *arena, pt_txn_t *txn, pt_table_t *t, const pt_item_op_t *op,
                     pt_item_op_result_t *res, pt_error_t *err);

/* Writes "Attributes":{...} for the op's ReturnValues (nothing for NONE,
 * or when the selected image is empty, as DynamoDB omits it). */
void pt_item_op_write_attributes(pt_jw_t *w, pt_arena_t *arena, const pt_item_op_t *op,
                                 const pt_item_op_result_t *res);

/* A whole single-item write operation (PutItem, DeleteItem, UpdateItem):
 * pt_params_check against `schema`, pt_item_op_prepare, the table lookup,
 * pt_item_op_bind; then sets call->apply and returns PT_PENDING (the
 * writer applies the op and writes Attributes and ConsumedCapacity), or
 * PT_ERR with call->err. */
int pt_api_single_write(pt_call_t *call, const pt_json_t *req, const pt_param_t *schema, pt_item_op_kind_t kind);

/* ---- ConsumedCapacity with index units ---- */

/* The capacity one operation consumed on one table and its indexes. */
typedef struct pt_capacity {
    const char *table;            /* TableName */
    double table_units;
    uint32_t nindexes;
    struct {
        const char *name;         /* arena copy: outlives the index object */
        bool global;
        double units;
    } index[PT_MAX_INDEXES];
} pt_capacity_t;

/* The units of one write: the table's (`table_units`) and its indexes'. */
void pt_capacity_add_write(pt_capacity_t *c, pt_arena_t *arena, double table_units, const pt_index_units_t *u);
/* Adds `units` to index `ix` of the capacity. */
void pt_capacity_add_index(pt_capacity_t *c, pt_arena_t *arena, const pt_index_t *ix, double units);
/* Writes one ConsumedCapacity object (the value only): TableName and the
 * total in CapacityUnits and Read/WriteCapacityUnits; with INDEXES also
 * "Table" and, for the indexes that consumed units,
 * "LocalSecondaryIndexes"/"GlobalSecondaryIndexes" {name: {...}}. */
void pt_capacity_write(pt_jw_t *w, rcc_t mode, const pt_capacity_t *c, bool is_read);

/* The table's write units of an item write (DynamoDB bills the larger of
 * the old and new item; a delete of a missing item costs the minimum). */
double pt_item_op_table_units(const pt_item_op_result_t *res);

/* ---- ItemCollectionMetrics ---- */

/* ReturnItemCollectionMetrics is SIZE. */
bool pt_api_collection_metrics_wanted(const pt_json_t *req);
/* Writes one ItemCollectionMetrics object, {"ItemCollectionKey":{pk},
 * "SizeEstimateRangeGB":[lo,hi]}, for the collection of partition key
 * `hash` in `t` as it is in `txn` (after the write): lo is the collection's
 * size in whole GB, hi one more. Writer thread. */
int pt_api_write_collection_metrics(pt_jw_t *w, pt_txn_t *txn, const pt_table_t *t, const pt_av_t *hash,
                                    pt_error_t *err);

/* ---- pieces shared by the item operations' parameter schemas ---- */

extern const char *const pt_api_return_consumed_enum[];   /* INDEXES, TOTAL, NONE */
extern const char *const pt_api_return_values_enum[];     /* ReturnValues, dynalite's order */
extern const char *const pt_api_return_metrics_enum[];    /* SIZE, NONE */
extern const char *const pt_api_on_check_failure_enum[];  /* ALL_OLD, NONE */
extern const char *const pt_api_conditional_operator_enum[]; /* AND, OR */
extern const pt_param_t pt_api_string_member;             /* a list/map element of type String */
extern const pt_param_t pt_api_expected_member;           /* an element of Expected */
#define PT_API_TABLE_NAME_PARAM                                                                             \
    {.name = "TableName", .type = PT_P_STRING,                                                              \
     .flags = PT_P_NOT_NULL | PT_P_NAME_REGEX | PT_P_HAS_MINLEN | PT_P_HAS_MAXLEN, .min_len = 3, .max_len = 255}
#define PT_API_EXPRESSION_NAMES_PARAM                                                                       \
    {.name = "ExpressionAttributeNames", .type = PT_P_MAP, .struct_name = "java.lang.String",               \
     .elem = &pt_api_string_member}
#define PT_API_RETURN_CONSUMED_PARAM \
    {.name = "ReturnConsumedCapacity", .type = PT_P_STRING, .enums = pt_api_return_consumed_enum}
#define PT_API_RETURN_VALUES_PARAM {.name = "ReturnValues", .type = PT_P_STRING, .enums = pt_api_return_values_enum}
#define PT_API_RETURN_METRICS_PARAM \
    {.name = "ReturnItemCollectionMetrics", .type = PT_P_STRING, .enums = pt_api_return_metrics_enum}
#define PT_API_CONDITIONAL_OPERATOR_PARAM \
    {.name = "ConditionalOperator", .type = PT_P_STRING, .enums = pt_api_conditional_operator_enum}
#define PT_API_EXPECTED_PARAM \
    {.name = "Expected", .type = PT_P_MAP, .struct_name = "ExpectedAttributeValue", .elem = &pt_api_expected_member}
#define PT_API_ON_CHECK_FAILURE_PARAM \
    {.name = "ReturnValuesOnConditionCheckFailure", .type = PT_P_STRING, .enums = pt_api_on_check_failure_enum}

/* AttributesToGet (a JSON list of names): keeps only the named top-level
 * attributes of `item`, in place. */
void pt_api_keep_names(const pt_json_t *names, pt_av_t *item);

/* DynamoDB's validateExpressionParams: the request may not mix legacy and
 * expression parameters, and ExpressionAttributeNames/Values need an
 * expression that can use them. `expressions` and `legacy` are
 * NULL-terminated lists of parameter names, in DynamoDB's order. */
int pt_api_check_expression_params(pt_call_t *call, const pt_json_t *req, const char *const *expressions,
                                   const char *const *legacy);

#endif
