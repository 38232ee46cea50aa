/* DynamoDB's expression language: one parser and evaluator shared by every
 * operation — ConditionExpression, FilterExpression, KeyConditionExpression,
 * ProjectionExpression, UpdateExpression — and the legacy parameters
 * (Expected, AttributeUpdates, QueryFilter, ScanFilter, KeyConditions,
 * ConditionalOperator), which are converted into the same compiled form.
 *
 * A request's expressions share one context holding its
 * ExpressionAttributeNames / ExpressionAttributeValues: parsing marks which
 * placeholders were used, and pt_expr_ctx_check_unused() then reports the
 * unused ones exactly as DynamoDB does. Parsing happens once per request,
 * into arena memory; evaluation touches only the attributes an expression
 * names. Every function reports DynamoDB's ValidationException messages
 * (e.g. "Invalid ConditionExpression: Syntax error; token: \"x\", near: \"a x\"",
 * "Value provided in ExpressionAttributeValues unused in expressions: keys: {:v}",
 * "Attribute name is a reserved keyword; reserved keyword: size" style). */
#ifndef PT_EXPR_H
#define PT_EXPR_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/av.h"
#include "util/arena.h"
#include "util/error.h"
#include "util/json.h"

typedef struct pt_expr pt_expr_t;         /* a compiled expression (opaque) */
typedef struct pt_expr_ctx pt_expr_ctx_t; /* per-request placeholder context */

/* Creates the context for one request. `names` / `values` are the request's
 * ExpressionAttributeNames / ExpressionAttributeValues JSON objects (or
 * NULL). Values are converted and validated as attribute values (av.h);
 * DynamoDB's errors for empty maps ("ExpressionAttributeValues must not be
 * empty") and bad placeholders are reported here. */
int pt_expr_ctx_new(pt_arena_t *arena, const pt_json_t *names, const pt_json_t *values,
                    pt_expr_ctx_t **out, pt_error_t *err);

/* Which expression is parsed: selects the grammar, the operators allowed
 * and the parameter name used in messages. */
typedef enum {
    PT_EXPR_CONDITION,      /* ConditionExpression */
    PT_EXPR_FILTER,         /* FilterExpression */
    PT_EXPR_KEY_CONDITION,  /* KeyConditionExpression */
    PT_EXPR_PROJECTION,     /* ProjectionExpression */
    PT_EXPR_UPDATE,         /* UpdateExpression */
} pt_expr_kind_t;

int pt_expr_parse(pt_expr_ctx_t *ctx, pt_expr_kind_t kind, const char *text, size_t len, pt_expr_t **out,
                  pt_error_t *err);

/* After every expression of the request is parsed: unused names/values ->
 * ValidationException with DynamoDB's message. */
int pt_expr_ctx_check_unused(const pt_expr_ctx_t *ctx, pt_error_t *err);

/* ---- legacy parameters, compiled into the same form ---- */
/* Expected (+ ConditionalOperator) -> a condition. */
int pt_expr_from_expected(pt_expr_ctx_t *ctx, const pt_json_t *expected, const pt_json_t *conditional_operator,
                          pt_expr_t **out, pt_error_t *err);
/* QueryFilter / ScanFilter (+ ConditionalOperator) -> a filter. */
int pt_expr_from_filter(pt_expr_ctx_t *ctx, const pt_json_t *filter, const pt_json_t *conditional_operator,
                        pt_expr_t **out, pt_error_t *err);
/* KeyConditions -> a key condition. */
int pt_expr_from_key_conditions(pt_expr_ctx_t *ctx, const pt_json_t *key_conditions, pt_expr_t **out,
                                pt_error_t *err);
/* AttributesToGet -> a projection. */
int pt_expr_from_attributes_to_get(pt_expr_ctx_t *ctx, const pt_json_t *names, pt_expr_t **out, pt_error_t *err);
/* AttributeUpdates -> an update. */
int pt_expr_from_attribute_updates(pt_expr_ctx_t *ctx, const pt_json_t *updates, pt_expr_t **out,
                                   pt_error_t *err);

/* ---- evaluation ---- */

/* Evaluates a condition/filter against `item` (an M; NULL or an empty M
 * when the item does not exist). Type mismatches are false, not errors, as
 * DynamoDB defines; errors are only for things DynamoDB rejects at
 * evaluation time. */
int pt_expr_eval(const pt_expr_t *cond, const pt_av_t *item, bool *result, pt_error_t *err);

/* Builds the projection of `item` into `out` (arena memory): only the
 * projected paths, maps and lists keeping only projected parts. */
int pt_expr_project(pt_arena_t *arena, const pt_expr_t *projection, const pt_av_t *item, pt_av_t *out);

/* Applies an update to `old_item` (an M; empty when the item does not
 * exist), producing `new_item` in arena memory. Arithmetic is exact
 * decimal; DynamoDB's evaluation-time errors (e.g. "An operand in the
 * update expression has an incorrect data type", list index out of range
 * semantics, 32-level nesting) are reported. */
int pt_expr_apply_update(pt_arena_t *arena, const pt_expr_t *update, const pt_av_t *old_item,
                         pt_av_t *new_item, pt_error_t *err);

/* The attributes an update changes, for ReturnValues UPDATED_OLD /
 * UPDATED_NEW: projects `item` onto the update's target paths. */
int pt_expr_project_updated(pt_arena_t *arena, const pt_expr_t *update, const pt_av_t *item, pt_av_t *out);

/* True if the expression references (reads or, for updates, writes) the
 * top-level attribute `name` — used for "Cannot update attribute X. This
 * attribute is part of the key" and the Query key-attribute filter rule.
 * *nested is set when the reference is through a nested path. */
bool pt_expr_references(const pt_expr_t *e, const char *name, size_t len, bool *nested);

/* ---- key conditions (Query) ---- */
typedef enum {
    PT_KC_NONE = 0, /* no sort key condition */
    PT_KC_EQ, PT_KC_LT, PT_KC_LE, PT_KC_GT, PT_KC_GE, PT_KC_BETWEEN, PT_KC_BEGINS_WITH,
} pt_key_op_t;

typedef struct pt_key_condition {
    const pt_av_t *hash;      /* partition key value (equality) */
    pt_key_op_t range_op;
    const pt_av_t *range1;    /* sort key operand(s) */
    const pt_av_t *range2;    /* BETWEEN upper bound */
} pt_key_condition_t;

/* Resolves a parsed key condition against the key schema (hash_name and
 * optional range_name with their types), with DynamoDB's messages for
 * conditions that are not a partition-key equality plus at most one
 * sort-key condition ("Query condition missed key schema element: id",
 * "Query key condition not supported", type mismatches...). */
int pt_expr_key_condition(const pt_expr_t *kc, const char *hash_name, int hash_type, const char *range_name,
                          int range_type, pt_key_condition_t *out, pt_error_t *err);

#endif
