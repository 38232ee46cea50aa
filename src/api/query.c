/* Query and Scan.
 *
 * Both read one page of a key range (engine/range.h) in one read
 * transaction, so a page is one consistent snapshot. A page reads items in
 * key order (Query: one partition, sort-key order or its reverse; Scan:
 * partition-hash order, then sort-key order) and stops, as DynamoDB does,
 *  - after Limit items read (counted before the filter), or
 *  - once the items read reach 1 MB (the item that crosses it is included),
 *  - or at the end of the range.
 * A page stopped by Limit or by the 1 MB rule carries LastEvaluatedKey (the
 * key of the last item read), even when no item follows it: DynamoDB does
 * not look ahead, and neither do we, so a page never reads more than it
 * returns (cost proportional to the page, not to the table or partition).
 *
 * Capacity (DynamoDB's rule for Query/Scan): the sizes of all items read,
 * filtered or not, are summed and rounded up to 4 KB once for the whole page
 * (not per item), at least one unit, halved for eventually consistent reads.
 *
 * Validation follows DynamoDB's order as recorded by dynalite
 * (validations/query.js, scan.js, actions/query.js, scan.js): parameter
 * kinds and constraints, expression/non-expression mixing, legacy
 * conditions, ExclusiveStartKey values, expressions, Select, then the table,
 * IndexName, ExclusiveStartKey against the key schema, the key condition
 * against the key schema, ExclusiveStartKey against the key condition,
 * filters on key attributes.
 *
 * Secondary indexes (IndexName): an index is read exactly like a table
 * (engine/index.h: entries hold the projected item), with the index's key
 * schema for the key condition, ExclusiveStartKey holding the index key and
 * the table key, and LastEvaluatedKey the same. Select defaults to
 * ALL_PROJECTED_ATTRIBUTES; ALL_ATTRIBUTES on a GSI whose projection is not
 * ALL is rejected; on an LSI, attributes the index does not project are
 * fetched from the base table (in the same snapshot), as DynamoDB does —
 * conservatively: whenever a ProjectionExpression or filter is given on an
 * LSI that does not project ALL, every item is fetched.
 *
 * The expression language itself lives in engine/expr*.c; the legacy KeyConditions are
 * resolved here (they are a small structured form whose checks are
 * specific to Query). */
#include "api/api.h"
#include "api/item_ops.h"
#include "api/params.h"
#include "engine/av.h"
#include "engine/expr.h"
#include "engine/index.h"
#include "engine/item_store.h"
#include "engine/key.h"
#include "engine/number.h"
#include "engine/range.h"

#include <stdio.h>
#include <string.h>

#define PAGE_MAX_BYTES (1024 * 1024) /* DynamoDB: a page reads at most 1 MB */

static const char *const select_values[] = {"SPECIFIC_ATTRIBUTES", "COUNT", "ALL_ATTRIBUTES",
                                            "ALL_PROJECTED_ATTRIBUTES", NULL};
static const char *const return_consumed[] = {"INDEXES", "TOTAL", "NONE", NULL};
static const char *const cond_ops[] = {"OR", "AND", NULL};
static const char *const comparison_ops[] = {"IN", "NULL", "BETWEEN", "LT", "NOT_CONTAINS", "EQ", "GT",
                                             "NOT_NULL", "NE", "LE", "BEGINS_WITH", "GE", "CONTAINS", NULL};

static const pt_param_t av_param = {.name = "member", .type = PT_P_AV};
static const pt_param_t string_param = {.name = "member", .type = PT_P_STRING};
/* Condition members, in the order DynamoDB reports them (dynalite). */
static const pt_param_t filter_cond_members[] = {
    {.name = "AttributeValueList", .type = PT_P_LIST, .elem = &av_param},
    {.name = "ComparisonOperator", .type = PT_P_STRING, .flags = PT_P_NOT_NULL, .enums = comparison_ops},
    {0},
};
static const pt_param_t key_cond_members[] = {
    {.name = "ComparisonOperator", .type = PT_P_STRING, .flags = PT_P_NOT_NULL, .enums = comparison_ops},
    {.name = "AttributeValueList", .type = PT_P_LIST, .elem = &av_param},
    {0},
};
static const pt_param_t filter_cond = {.name = "member", .type = PT_P_VSTRUCT, .struct_name = "Condition",
                                       .members = filter_cond_members};
static const pt_param_t key_cond = {.name = "member", .type = PT_P_VSTRUCT, .struct_name = "Condition",
                                    .members = key_cond_members};

#define SELECT_P {.name = "Select", .type = PT_P_STRING, .enums = select_values}
#define INDEX_NAME_P                                                                                       \
    {.name = "IndexName", .type = PT_P_STRING, .flags = PT_P_NAME_REGEX | PT_P_HAS_MINLEN | PT_P_HAS_MAXLEN, \
     .min_len = 3, .max_len = 255}
#define TABLE_NAME_P                                                                                       \
    {.name = "TableName", .type = PT_P_STRING,                                                              \
     .flags = PT_P_NOT_NULL | PT_P_NAME_REGEX | PT_P_HAS_MINLEN | PT_P_HAS_MAXLEN, .min_len = 3, .max_len = 255}
#define ATTRS_TO_GET_P                                                                                     \
    {.name = "AttributesToGet", .type = PT_P_LIST, .flags = PT_P_HAS_MINLEN | PT_P_HAS_MAXLEN, .min_len = 1, \
     .max_len = 255, .elem = &string_param}
#define LIMIT_P {.name = "Limit", .type = PT_P_INTEGER, .flags = PT_P_HAS_MIN, .min = 1}
#define EXPR_PARAMS                                                                                        \
    {.name = "FilterExpression", .type = PT_P_STRING},                                                      \
    {.name = "ProjectionExpression", .type = PT_P_STRING},                                                  \
    {.name = "ExpressionAttributeValues", .type = PT_P_ATTRS},                                              \
    {.name = "ExpressionAttributeNames", .type = PT_P_MAP, .struct_name = "java.lang.String", .elem = &string_param}

/* dynalite validations/query.js member order */
static const pt_param_t query_schema[] = {
    SELECT_P,
    INDEX_NAME_P,
    {.name = "ReturnConsumedCapacity", .type = PT_P_STRING, .enums = return_consumed},
    {.name = "QueryFilter", .type = PT_P_MAP, .struct_name = "Condition", .elem = &filter_cond},
    TABLE_NAME_P,
    {.name = "ConditionalOperator", .type = PT_P_STRING, .enums = cond_ops},
    ATTRS_TO_GET_P,
    LIMIT_P,
    {.name = "KeyConditions", .type = PT_P_MAP, .struct_name = "Condition", .elem = &key_cond},
    {.name = "ExclusiveStartKey", .type = PT_P_ATTRS},
    {.name = "ConsistentRead", .type = PT_P_BOOL},
    {.name = "ScanIndexForward", .type = PT_P_BOOL},
    {.name = "KeyConditionExpression", .type = PT_P_STRING},
    EXPR_PARAMS,
    {0},
};

/* dynalite validations/scan.js member order; the bounds of Segment and
 * TotalSegments are the API reference's (0..999999, 1..1000000). */
static const pt_param_t scan_schema[] = {
    SELECT_P,
    INDEX_NAME_P,
    {.name = "TotalSegments", .type = PT_P_INTEGER, .flags = PT_P_HAS_MIN | PT_P_HAS_MAX, .min = 1, .max = 1000000},
    {.name = "ReturnConsumedCapacity", .type = PT_P_STRING, .enums = return_consumed},
    TABLE_NAME_P,
    {.name = "ConditionalOperator", .type = PT_P_STRING, .enums = cond_ops},
    {.name = "ScanFilter", .type = PT_P_MAP, .struct_name = "Condition", .elem = &filter_cond},
    {.name = "Segment", .type = PT_P_INTEGER, .flags = PT_P_HAS_MIN | PT_P_HAS_MAX, .min = 0, .max = 999999},
    LIMIT_P,
    ATTRS_TO_GET_P,
    {.name = "ExclusiveStartKey", .type = PT_P_ATTRS},
    EXPR_PARAMS,
    {.name = "ConsistentRead", .type = PT_P_BOOL},
    {0},
};

typedef enum { SEL_DEFAULT, SEL_ALL, SEL_ALL_PROJECTED, SEL_SPECIFIC, SEL_COUNT } select_t;

/* The key schema a request reads by: the table's or an index's. */
typedef struct key_schema {
    const pt_attr_def_t *hash;
    const pt_attr_def_t *range;   /* NULL if none */
} key_schema_t;

/* One page request, common to Query and Scan. */
typedef struct page_req {
    pt_table_t *t;
    const pt_index_t *ix;          /* IndexName; NULL for the base table */
    bool fetch_base;               /* LSI: read each item from the base table */
    bool is_query;
    pt_range_t range;
    bool forward;
    int64_t limit;                 /* 0: none */
    bool count_only;
    const pt_expr_t *filter;
    const pt_expr_t *projection;   /* ProjectionExpression */
    const pt_json_t *attrs_to_get; /* AttributesToGet */
    bool consistent;
    rcc_t rcc;
} page_req_t;

static bool str_is(const char *s, uint32_t n, const char *lit)
{
    return s && n == strlen(lit) && !memcmp(s, lit, n);
}

/* ---- request-level checks shared by Query and Scan ---- */

/* dynalite validateExpressionParams: mixing expression and legacy
 * parameters, and expression maps without expressions. */
static int check_expression_params(pt_call_t *call, const pt_json_t *req, const char *const *exprs, int nexprs,
                                   const char *const *legacy, int nlegacy)
{
    bool any_expr = false;
    for (int i = 0; i < nexprs; i++) any_expr |= pt_param(req, exprs[i]) != NULL;
    if (any_expr) {
        /* KeyConditions with only other expressions is allowed (dynalite). */
        bool kc_alone = pt_param(req, "KeyConditions") && !pt_param(req, "KeyConditionExpression");
        pt_buf_t b = PT_BUF_INIT;
        bool first = true;
        for (int i = 0; i < nlegacy; i++) {
            if (!pt_param(req, legacy[i])) continue;
            if (kc_alone && !strcmp(legacy[i], "KeyConditions")) continue;
            pt_buf_puts(&b, first ? "" : ", ");
            pt_buf_puts(&b, legacy[i]);
            first = false;
        }
        if (!first) {
            pt_buf_puts(&b, "} Expression parameters: {");
            first = true;
            for (int i = 0; i < nexprs; i++) {
                if (!pt_param(req, exprs[i])) continue;
                pt_buf_puts(&b, first ? "" : ", ");
                pt_buf_puts(&b, exprs[i]);
                first = false;
            }
            pt_buf_putc(&b, 0);
            pt_error_set(&call->err, PT_E_VALIDATION,
                         "Can not use both expression and non-expression parameters in the same request: "
                         "Non-expression parameters: {%s}",
                         b.data);
            pt_buf_free(&b);
            return PT_ERR;
        }
        pt_buf_free(&b);
    }
    if (pt_param(req, "ExpressionAttributeNames") && !any_expr)
        return pt_error_set(&call->err, PT_E_VALIDATION,
                            "ExpressionAttributeNames can only be specified when using expressions");
    bool any_value_expr = false;
    pt_buf_t names = PT_BUF_INIT;
    int nval = 0;
    for (int i = 0; i < nexprs; i++) {
        if (!strcmp(exprs[i], "ProjectionExpression")) continue;
        any_value_expr |= pt_param(req, exprs[i]) != NULL;
        pt_buf_puts(&names, nval++ ? " and " : "");
        pt_buf_puts(&names, exprs[i]);
    }
    pt_buf_putc(&names, 0);
    if (pt_param(req, "ExpressionAttributeValues") && !any_value_expr) {
        pt_error_set(&call->err, PT_E_VALIDATION,
                     "ExpressionAttributeValues can only be specified when using expressions: %s %s null", names.data,
                     nval > 1 ? "are" : "is");
        pt_buf_free(&names);
        return PT_ERR;
    }
    pt_buf_free(&names);
    return PT_OK;
}

static int check_attrs_to_get(pt_call_t *call, const pt_json_t *names)
{
    if (!names) return PT_OK;
    for (uint32_t i = 0; i < names->len; i++)
        for (uint32_t j = i + 1; j < names->len; j++)
            if (names->u.elems[i].len == names->u.elems[j].len &&
                !memcmp(names->u.elems[i].u.str, names->u.elems[j].u.str, names->u.elems[i].len))
                return pt_error_set(&call->err, PT_E_VALIDATION,
                                    "One or more parameter values were invalid: Duplicate value in attribute name: %s",
                                    names->u.elems[i].u.str);
    return PT_OK;
}

/* ExclusiveStartKey values: DynamoDB prefixes most attribute-value errors
 * with "The provided starting key is invalid: ", but not those about
 * numbers and duplicates (dynalite validations/query.js). */
static int convert_start_key(pt_call_t *call, const pt_json_t *req, pt_av_t *esk, bool *has)
{
    const pt_json_t *j = pt_param(req, "ExclusiveStartKey");
    *has = j != NULL;
    if (!j) return PT_OK;
    if (pt_item_from_json(&call->arena, j, esk, &call->err) == PT_OK) return PT_OK;
    if (strcmp(call->err.type, PT_E_VALIDATION)) return PT_ERR;
    static const char *const unprefixed[] = {"contains duplicates", "number set", "numeric value",
                                             "significant digits", "number with magnitude", NULL};
    for (const char *const *u = unprefixed; *u; u++)
        if (strstr(call->err.message, *u)) return PT_ERR;
    char msg[sizeof call->err.message];
    snprintf(msg, sizeof msg, "%s", call->err.message);
    return pt_error_set(&call->err, PT_E_VALIDATION, "The provided starting key is invalid: %s", msg);
}

/* Select against the projection parameters. Query reports these through
 * its constraint validator ("1 validation error detected: " prefix, as
 * observed on the real service); Scan does not. */
static int check_select(pt_call_t *call, const pt_json_t *req, bool is_query, select_t *out)
{
    uint32_t n;
    const char *s = pt_param_str(req, "Select", &n);
    const char *pre = is_query ? "1 validation error detected: " : "";
    const char *proj = pt_param(req, "ProjectionExpression")  ? "ProjectionExpression"
                       : pt_param(req, "AttributesToGet") ? "AttributesToGet"
                                                              : NULL;
    *out = SEL_DEFAULT;
    if (!s) return PT_OK;
    if (str_is(s, n, "COUNT")) {
        *out = SEL_COUNT;
        if (proj)
            return pt_error_set(&call->err, PT_E_VALIDATION, "%sCannot specify the %s when choosing to get only the Count",
                                pre, proj);
    } else if (str_is(s, n, "ALL_ATTRIBUTES")) {
        *out = SEL_ALL;
        if (proj)
            return pt_error_set(&call->err, PT_E_VALIDATION, "%sCannot specify the %s when choosing to get ALL_ATTRIBUTES",
                                pre, proj);
    } else if (str_is(s, n, "ALL_PROJECTED_ATTRIBUTES")) {
        *out = SEL_ALL_PROJECTED;
        if (proj)
            return pt_error_set(&call->err, PT_E_VALIDATION,
                                "%sCannot specify the %s when choosing to get ALL_PROJECTED_ATTRIBUTES", pre, proj);
        if (!pt_param(req, "IndexName"))
            return pt_error_set(&call->err, PT_E_VALIDATION,
                                "%sALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName", pre);
    } else if (str_is(s, n, "SPECIFIC_ATTRIBUTES")) {
        *out = SEL_SPECIFIC;
        if (!proj)
            return pt_error_set(&call->err, PT_E_VALIDATION,
                                "%sMust specify the AttributesToGet or ProjectionExpression when choosing to get "
                                "SPECIFIC_ATTRIBUTES",
                                pre);
    }
    return PT_OK;
}

/* IndexName: the index, with DynamoDB's checks (dynalite actions/query.js
 * and scan.js); *out NULL without IndexName. */
static int check_index(pt_call_t *call, const pt_json_t *req, pt_table_t *t, pt_index_t **out)
{
    uint32_t n;
    const char *name = pt_param_str(req, "IndexName", &n);
    *out = NULL;
    if (!name) return PT_OK;
    pt_index_t *ix = pt_index_find(t, name, n);
    if (!ix)
        return pt_error_set(&call->err, PT_E_VALIDATION, "The table does not have the specified index: %.*s", (int)n,
                            name);
    if (ix->global && pt_param_bool(req, "ConsistentRead", false))
        return pt_error_set(&call->err, PT_E_VALIDATION, "Consistent reads are not supported on global secondary indexes");
    if (ix->global && pt_index_is_backfilling(t, ix))
        return pt_error_set(&call->err, PT_E_VALIDATION, "Cannot read from backfilling global secondary index: %s",
                            ix->name);
    *out = ix;
    return PT_OK;
}

static key_schema_t schema_of(const pt_table_t *t, const pt_index_t *ix)
{
    key_schema_t ks;
    if (ix) {
        ks.hash = &ix->hash;
        ks.range = ix->range.name ? &ix->range : NULL;
    } else {
        ks.hash = &t->hash;
        ks.range = t->range.name ? &t->range : NULL;
    }
    return ks;
}

/* Number of distinct attributes in a start key: the table key plus, for an
 * index, its key attributes. */
static uint32_t start_key_names(const pt_table_t *t, const pt_index_t *ix)
{
    uint32_t n = t->range.name ? 2 : 1;
    if (!ix) return n;
    const char *extra[2] = {ix->hash.name, ix->range.name};
    for (int i = 0; i < 2; i++)
        if (extra[i] && strcmp(extra[i], t->hash.name) && (!t->range.name || strcmp(extra[i], t->range.name))) n++;
    return n;
}

/* Which entries need their base item (LSI, see the file comment), and the
 * GSI Select rule. */
static int check_index_select(pt_call_t *call, const pt_json_t *req, const pt_table_t *t, const pt_index_t *ix,
                              select_t sel, bool has_expr_projection_or_filter, bool *fetch_base)
{
    *fetch_base = false;
    if (!ix || ix->projection == PT_PROJ_ALL) return PT_OK;
    if (sel == SEL_ALL) {
        if (ix->global)
            return pt_error_set(&call->err, PT_E_VALIDATION,
                                "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not "
                                "supported for global secondary index %s because its projection type is not ALL",
                                ix->name);
        *fetch_base = true;
        return PT_OK;
    }
    if (ix->global) return PT_OK;
    if (has_expr_projection_or_filter) *fetch_base = true;
    const pt_json_t *names = pt_param(req, "AttributesToGet");
    for (uint32_t i = 0; names && i < names->len; i++)
        if (!pt_index_projects(t, ix, names->u.elems[i].u.str, names->u.elems[i].len)) *fetch_base = true;
    return PT_OK;
}

/* Key-attribute checks of one ExclusiveStartKey piece (dynalite
 * db.validateKeyPiece). */
static int check_key_piece(pt_call_t *call, const pt_av_t *esk, const pt_attr_def_t *d, bool is_hash,
                           const char *prefix)
{
    const pt_av_t *v = pt_item_get(esk, d->name, strlen(d->name));
    if (!v || v->type != d->type)
        return pt_error_set(&call->err, PT_E_VALIDATION, "%sThe provided key element does not match the schema",
                            prefix);
    if (v->type != PT_AV_N && v->len == 0)
        return pt_error_set(&call->err, PT_E_VALIDATION,
                            "%sOne or more parameter values were invalid: The AttributeValue for a key attribute "
                            "cannot contain an empty %s value. Key: %s",
                            prefix, v->type == PT_AV_S ? "string" : "binary", d->name);
    if (v->type != PT_AV_N && is_hash && v->len > 2048)
        return pt_error_set(&call->err, PT_E_VALIDATION,
                            "%sOne or more parameter values were invalid: Size of hashkey has exceeded the maximum "
                            "size limit of2048 bytes",
                            prefix);
    if (v->type != PT_AV_N && !is_hash && v->len > 1024)
        return pt_error_set(&call->err, PT_E_VALIDATION,
                            "%sOne or more parameter values were invalid: Aggregated size of all range keys has "
                            "exceeded the size limit of 1024 bytes",
                            prefix);
    return PT_OK;
}

/* DynamoDB's order of key values of one type: N numerically, S and B
 * bytewise. */
static int key_value_cmp(const pt_av_t *a, const pt_av_t *b)
{
    if (a->type == PT_AV_N) {
        pt_dec_t x, y;
        if (pt_dec_parse(a->u.str, a->len, &x, NULL) || pt_dec_parse(b->u.str, b->len, &y, NULL)) return 0;
        return pt_dec_cmp(&x, &y);
    }
    uint32_t n = a->len < b->len ? a->len : b->len;
    int c = n ? memcmp(a->u.str, b->u.str, n) : 0;
    if (c) return c < 0 ? -1 : 1;
    return (a->len > b->len) - (a->len < b->len);
}

/* Does sort key value v satisfy the key condition's sort-key predicate? */
static bool range_matches(const pt_key_condition_t *kc, const pt_av_t *v)
{
    if (v->type != kc->range1->type) return false;
    int c = key_value_cmp(v, kc->range1);
    switch (kc->range_op) {
    case PT_KC_EQ: return c == 0;
    case PT_KC_LT: return c < 0;
    case PT_KC_LE: return c <= 0;
    case PT_KC_GT: return c > 0;
    case PT_KC_GE: return c >= 0;
    case PT_KC_BETWEEN: return c >= 0 && key_value_cmp(v, kc->range2) <= 0;
    case PT_KC_BEGINS_WITH:
        return v->len >= kc->range1->len && (!kc->range1->len || !memcmp(v->u.str, kc->range1->u.str, kc->range1->len));
    default: return true;
    }
}

/* ---- legacy KeyConditions ---- */

typedef struct legacy_cond {
    const char *name;
    uint32_t name_len;
    const char *op;
    uint32_t nvals;
    pt_av_t vals[2];
} legacy_cond_t;

/* dynalite validateConditions, for KeyConditions: the checks that do not
 * need the table. */
static int legacy_conditions_parse(pt_call_t *call, const pt_json_t *conds, legacy_cond_t **out, uint32_t *count)
{
    static const struct {
        const char *op;
        int nargs;        /* -1: at least one */
        const char *types; /* allowed AttributeValue types, NULL: any */
    } ops[] = {
        {"NULL", 0, NULL},        {"NOT_NULL", 0, NULL},        {"EQ", 1, "S N B SS NS BS"},
        {"NE", 1, "S N B SS NS BS"}, {"LE", 1, "S N B"},         {"LT", 1, "S N B"},
        {"GE", 1, "S N B"},       {"GT", 1, "S N B"},           {"CONTAINS", 1, "S N B"},
        {"NOT_CONTAINS", 1, "S N B"}, {"BEGINS_WITH", 1, "S B"}, {"IN", -1, "S N B"},
        {"BETWEEN", 2, "S N B"},
    };
    legacy_cond_t *lc = pt_arena_calloc(&call->arena, sizeof *lc * (conds->len ? conds->len : 1));
    for (uint32_t i = 0; i < conds->len; i++) {
        const pt_json_t *c = &conds->u.members[i].value;
        const pt_json_t *op = pt_json_get(c, "ComparisonOperator");
        const pt_json_t *list = pt_json_get(c, "AttributeValueList");
        uint32_t nlist = list && list->type == PT_JSON_ARRAY ? list->len : 0;
        pt_av_t *vals = pt_arena_calloc(&call->arena, sizeof *vals * (nlist ? nlist : 1));
        for (uint32_t j = 0; j < nlist; j++)
            if (pt_av_from_json(&call->arena, &list->u.elems[j], 0, &vals[j], &call->err)) return PT_ERR;
        int k = -1;
        for (size_t o = 0; o < sizeof ops / sizeof ops[0]; o++)
            if (str_is(op->u.str, op->len, ops[o].op)) k = (int)o;
        if (k < 0) return pt_error_set(&call->err, PT_E_VALIDATION, "Unknown ComparisonOperator");
        if ((ops[k].nargs >= 0 && nlist != (uint32_t)ops[k].nargs) || (ops[k].nargs < 0 && nlist < 1))
            return pt_error_set(&call->err, PT_E_VALIDATION,
                                "One or more parameter values were invalid: Invalid number of argument(s) for the %s "
                                "ComparisonOperator",
                                ops[k].op);
        for (uint32_t j = 1; j < nlist; j++)
            if (vals[j].type != vals[0].type)
                return pt_error_set(&call->err, PT_E_VALIDATION,
                                    "One or more parameter values were invalid: AttributeValues inside "
                                    "AttributeValueList must be of same type");
        for (uint32_t j = 0; j < nlist && ops[k].types; j++) {
            const char *tn = pt_av_type_name(vals[j].type);
            bool ok = false;
            for (const char *p = ops[k].types; *p;) {
                size_t w = strcspn(p, " ");
                if (w == strlen(tn) && !memcmp(p, tn, w)) ok = true;
                p += w;
                while (*p == ' ') p++;
            }
            if (!ok)
                return pt_error_set(&call->err, PT_E_VALIDATION,
                                    "One or more parameter values were invalid: ComparisonOperator %s is not valid for "
                                    "%s AttributeValue type",
                                    ops[k].op, tn);
        }
        if (!strcmp(ops[k].op, "BETWEEN") && key_value_cmp(&vals[0], &vals[1]) > 0)
            return pt_error_set(&call->err, PT_E_VALIDATION,
                                "The BETWEEN condition was provided a range where the lower bound is greater than the "
                                "upper bound");
        lc[i].name = conds->u.members[i].key;
        lc[i].name_len = conds->u.members[i].key_len;
        lc[i].op = ops[k].op;
        lc[i].nvals = nlist < 2 ? nlist : 2;
        for (uint32_t j = 0; j < lc[i].nvals; j++) lc[i].vals[j] = vals[j];
    }
    if (conds->len != 1 && conds->len != 2)
        return pt_error_set(&call->err, PT_E_VALIDATION, "Conditions can be of length 1 or 2 only");
    *out = lc;
    *count = conds->len;
    return PT_OK;
}

static const legacy_cond_t *legacy_find(const legacy_cond_t *lc, uint32_t n, const char *name)
{
    const legacy_cond_t *found = NULL; /* a repeated name: the last one wins, as in DynamoDB's JSON reader */
    for (uint32_t i = 0; i < n; i++)
        if (lc[i].name_len == strlen(name) && !memcmp(lc[i].name, name, lc[i].name_len)) found = &lc[i];
    return found;
}

/* ---- the page loop ---- */

/* Writes a key object of up to four (name, value) pairs, names unique,
 * in name order as DynamoDB's maps come out. */
static void write_key_attrs(pt_jw_t *w, const char **names, const pt_av_t **vals, int n)
{
    int order[4] = {0, 1, 2, 3};
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && strcmp(names[order[j]], names[order[j - 1]]) < 0; j--) {
            int x = order[j];
            order[j] = order[j - 1];
            order[j - 1] = x;
        }
    pt_jw_obj_begin(w);
    for (int i = 0; i < n; i++) {
        pt_jw_keyz(w, names[order[i]]);
        pt_av_write_json(w, vals[order[i]]);
    }
    pt_jw_obj_end(w);
}

/* LastEvaluatedKey from the stored key of the last entry read. */
static int write_last_key(pt_call_t *call, pt_jw_t *w, const page_req_t *q, pt_slice_t last)
{
    const pt_table_t *t = q->t;
    const char *names[4];
    const pt_av_t *vals[4];
    int n = 0;
    pt_av_t v[4];
    const pt_attr_def_t *defs[4];
    if (q->ix) {
        if (pt_range_index_key_decode(&call->arena, t, q->ix, last, &v[0], &v[1], &v[2], &v[3], &call->err))
            return PT_ERR;
        defs[0] = &q->ix->hash;
        defs[1] = q->ix->range.name ? &q->ix->range : NULL;
        defs[2] = &t->hash;
        defs[3] = t->range.name ? &t->range : NULL;
    } else {
        if (pt_range_key_decode(&call->arena, t, last, &v[0], &v[1], &call->err)) return PT_ERR;
        defs[0] = &t->hash;
        defs[1] = t->range.name ? &t->range : NULL;
        defs[2] = defs[3] = NULL;
    }
    for (int i = 0; i < 4; i++) {
        if (!defs[i]) continue;
        bool dup = false;
        for (int k = 0; k < n; k++) dup |= !strcmp(names[k], defs[i]->name);
        if (dup) continue;
        names[n] = defs[i]->name;
        vals[n] = &v[i];
        n++;
    }
    pt_jw_keyz(w, "LastEvaluatedKey");
    write_key_attrs(w, names, vals, n);
    return PT_OK;
}

/* DynamoDB's rounding of a page read: the total once, in 4 KB units,
 * halved when eventually consistent; `at_least_one` for the index/table
 * actually read by the page. */
static double page_units(uint64_t bytes, bool consistent, bool at_least_one)
{
    if (!bytes && !at_least_one) return 0;
    return pt_api_read_units((size_t)bytes, consistent);
}

static void write_index_consumed(pt_call_t *call, pt_jw_t *w, const page_req_t *q, double index_units,
                                 double table_units)
{
    if (q->rcc == RCC_NONE) return;
    pt_capacity_t c = {.table = q->t->name, .table_units = table_units};
    pt_capacity_add_index(&c, &call->arena, q->ix, index_units);
    pt_jw_keyz(w, "ConsumedCapacity");
    pt_capacity_write(w, q->rcc, &c, true);
}

/* The base item of an LSI entry's projected item, read in `txn`. */
static int fetch_base_item(pt_call_t *call, pt_txn_t *txn, const page_req_t *q, const pt_av_t *projected,
                           pt_stored_item_t *out, bool *found)
{
    const pt_table_t *t = q->t;
    const pt_av_t *h = pt_item_get(projected, t->hash.name, strlen(t->hash.name));
    const pt_av_t *r = t->range.name ? pt_item_get(projected, t->range.name, strlen(t->range.name)) : NULL;
    *found = false;
    if (!h || (t->range.name && !r)) return pt_error_set(&call->err, PT_E_INTERNAL, "corrupt index entry");
    int rc = pt_item_read(txn, &call->arena, pt_item_key(&call->arena, t, h, r), out, &call->err);
    if (rc == PT_ERR) return rc;
    *found = rc == PT_OK;
    return PT_OK;
}

static int run_page(pt_call_t *call, const page_req_t *q)
{
    pt_txn_t *txn;
    pt_range_iter_t it;
    pt_jw_t w;
    int rc;
    int64_t scanned = 0, count = 0;
    uint64_t bytes = 0, base_bytes = 0;
    bool more = false;
    pt_slice_t last = {0};
    bool need_item = !q->count_only || q->filter;

    if (pt_txn_begin(call->engine->store, PT_TXN_READ, NULL, &txn, &call->err)) return PT_ERR;
    if (pt_range_open(txn, &q->range, q->forward, &it, &call->err)) {
        pt_txn_abort(txn);
        return PT_ERR;
    }
    pt_jw_init(&w, &call->out);
    pt_jw_obj_begin(&w);
    if (!q->count_only) {
        pt_jw_keyz(&w, "Items");
        pt_jw_arr_begin(&w);
    }
    for (;;) {
        if ((q->limit && scanned >= q->limit) || bytes >= PAGE_MAX_BYTES) {
            more = scanned > 0;
            break;
        }
        pt_slice_t k, v;
        rc = pt_range_next(&it, &k, &v, &call->err);
        if (rc == PT_NOTFOUND) break;
        if (rc) goto fail;
        uint32_t size;
        if (pt_range_value_size(v, &size, &call->err)) goto fail;
        scanned++;
        bytes += size;
        last = k;
        if (!need_item) {
            count++;
            continue;
        }
        pt_stored_item_t stored;
        if (pt_range_value_decode(&call->arena, v, &stored, &call->err)) goto fail;
        if (q->fetch_base) {
            bool found;
            pt_stored_item_t base;
            if (fetch_base_item(call, txn, q, &stored.item, &base, &found)) goto fail;
            if (!found) continue; /* cannot happen: the entry changes with its item */
            base_bytes += base.size;
            stored = base;
        }
        if (q->filter) {
            bool keep = false;
            if (pt_expr_eval(q->filter, &stored.item, &keep, &call->err)) goto fail;
            if (!keep) continue;
        }
        count++;
        if (q->count_only) continue;
        pt_av_t out = stored.item;
        if (q->projection) {
            if (pt_expr_project(&call->arena, q->projection, &stored.item, &out)) {
                pt_error_set(&call->err, PT_E_INTERNAL, "projection failed");
                goto fail;
            }
        } else if (q->attrs_to_get) {
            pt_api_keep_names(q->attrs_to_get, &out);
        }
        pt_item_write_json(&w, &out);
    }
    if (!q->count_only) pt_jw_arr_end(&w);
    pt_jw_keyz(&w, "Count");
    pt_jw_int(&w, count);
    pt_jw_keyz(&w, "ScannedCount");
    pt_jw_int(&w, scanned);
    if (more && write_last_key(call, &w, q, last)) goto fail;
    pt_range_close(&it);
    pt_txn_abort(txn);
    /* DynamoDB rounds the total read once, not per item (dynalite
     * db.queryTable), with at least one unit. */
    if (q->ix)
        write_index_consumed(call, &w, q, page_units(bytes, q->consistent, true),
                             page_units(base_bytes, q->consistent, false));
    else
        pt_api_write_consumed(&w, q->rcc, q->t, pt_api_read_units((size_t)bytes, q->consistent), true);
    pt_jw_obj_end(&w);
    return PT_OK;
fail:
    pt_range_close(&it);
    pt_txn_abort(txn);
    return PT_ERR;
}

/* ---- expressions shared by Query and Scan ---- */

typedef struct exprs {
    pt_expr_ctx_t *ctx;
    pt_expr_t *key_condition;
    pt_expr_t *filter;
    pt_expr_t *projection;
    bool filter_is_legacy;
} exprs_t;

static int parse_param(pt_call_t *call, const pt_json_t *req, pt_expr_ctx_t *ctx, const char *name,
                       pt_expr_kind_t kind, pt_expr_t **out)
{
    const pt_json_t *j = pt_param(req, name);
    *out = NULL;
    if (!j) return PT_OK;
    return pt_expr_parse(ctx, kind, j->u.str, j->len, out, &call->err);
}

static bool any_param(const pt_json_t *req, const char *const *names)
{
    for (; *names; names++)
        if (pt_param(req, *names)) return true;
    return false;
}

static int parse_expressions(pt_call_t *call, const pt_json_t *req, bool is_query, exprs_t *e)
{
    static const char *const expr_params[] = {"KeyConditionExpression", "FilterExpression", "ProjectionExpression",
                                              "ExpressionAttributeNames", "ExpressionAttributeValues", NULL};
    const char *filter_name = is_query ? "QueryFilter" : "ScanFilter";
    memset(e, 0, sizeof *e);
    bool legacy_filter = pt_param(req, filter_name) != NULL;
    if (!any_param(req, expr_params) && !legacy_filter) return PT_OK;
    if (pt_expr_ctx_new(&call->arena, pt_param(req, "ExpressionAttributeNames"),
                        pt_param(req, "ExpressionAttributeValues"), &e->ctx, &call->err))
        return PT_ERR;
    if (is_query && parse_param(call, req, e->ctx, "KeyConditionExpression", PT_EXPR_KEY_CONDITION, &e->key_condition))
        return PT_ERR;
    if (parse_param(call, req, e->ctx, "FilterExpression", PT_EXPR_FILTER, &e->filter)) return PT_ERR;
    if (parse_param(call, req, e->ctx, "ProjectionExpression", PT_EXPR_PROJECTION, &e->projection)) return PT_ERR;
    if (any_param(req, expr_params) && pt_expr_ctx_check_unused(e->ctx, &call->err)) return PT_ERR;
    if (legacy_filter) {
        if (pt_expr_from_filter(e->ctx, pt_param(req, filter_name), pt_param(req, "ConditionalOperator"), &e->filter,
                                &call->err))
            return PT_ERR;
        e->filter_is_legacy = true;
    }
    return PT_OK;
}

/* Projections and filters may not reach into key attributes ("Key
 * attributes must be scalars", dynalite db.validateKeyPaths). */
static int check_key_paths(pt_call_t *call, pt_table_t *t, const pt_expr_t *e)
{
    if (!e) return PT_OK;
    const pt_attr_def_t *defs[2] = {&t->hash, t->range.name ? &t->range : NULL};
    for (int i = 0; i < 2 && defs[i]; i++) {
        bool nested = false;
        if (pt_expr_references(e, defs[i]->name, strlen(defs[i]->name), &nested) && nested)
            return pt_error_set(&call->err, PT_E_VALIDATION,
                                "Key attributes must be scalars; list random access '[]' and map lookup '.' are not "
                                "allowed: Key: %s",
                                defs[i]->name);
    }
    /* then every index key attribute, GSIs first (dynalite traverseIndexes) */
    int rc = PT_OK;
    pthread_mutex_lock(&t->meta_lock);
    for (int pass = 0; pass < 2 && rc == PT_OK; pass++)
        for (uint32_t i = 0; i < t->nindexes && rc == PT_OK; i++) {
            const pt_index_t *ix = t->indexes[i];
            if (ix->global != (pass == 0)) continue;
            const char *names[2] = {ix->global ? ix->hash.name : NULL, ix->range.name};
            for (int k = 0; k < 2 && rc == PT_OK; k++) {
                bool nested = false;
                if (names[k] && pt_expr_references(e, names[k], strlen(names[k]), &nested) && nested)
                    rc = pt_error_set(&call->err, PT_E_VALIDATION,
                                      "Key attributes must be scalars; list random access '[]' and map lookup '.' are "
                                      "not allowed: IndexKey: %s",
                                      names[k]);
            }
        }
    pthread_mutex_unlock(&t->meta_lock);
    return rc;
}

static void page_common(page_req_t *q, pt_table_t *t, const pt_json_t *req, select_t sel, const exprs_t *e)
{
    int64_t limit = pt_param_int(req, "Limit", 0);
    q->t = t; /* q->ix and q->fetch_base are set by the caller */
    q->limit = limit > 0 ? limit : 0;
    q->count_only = sel == SEL_COUNT;
    q->filter = e->filter;
    q->projection = e->projection;
    q->attrs_to_get = pt_param(req, "AttributesToGet");
    q->consistent = pt_param_bool(req, "ConsistentRead", false);
    q->rcc = pt_api_consumed_mode(req);
}

/* The table-key part of an ExclusiveStartKey (dynalite db.validateKey
 * with its "The provided starting key is invalid: " prefix). */
static int check_table_start_key(pt_call_t *call, const pt_table_t *t, const pt_av_t *esk)
{
    const pt_attr_def_t *defs[2] = {&t->hash, t->range.name ? &t->range : NULL};
    for (int i = 0; i < 2 && defs[i]; i++)
        if (check_key_piece(call, esk, defs[i], i == 0, "The provided starting key is invalid: ")) return PT_ERR;
    return PT_OK;
}

/* The stored key an ExclusiveStartKey (already checked) designates. */
static pt_slice_t start_key(pt_call_t *call, const pt_table_t *t, const pt_index_t *ix, const pt_av_t *esk)
{
    const pt_av_t *th = pt_item_get(esk, t->hash.name, strlen(t->hash.name));
    const pt_av_t *tr = t->range.name ? pt_item_get(esk, t->range.name, strlen(t->range.name)) : NULL;
    if (!ix) return pt_item_key(&call->arena, t, th, tr);
    const pt_av_t *ih = pt_item_get(esk, ix->hash.name, strlen(ix->hash.name));
    const pt_av_t *ir = ix->range.name ? pt_item_get(esk, ix->range.name, strlen(ix->range.name)) : NULL;
    return pt_range_index_key(&call->arena, t, ix, ih, ir, th, tr);
}

/* ---- Query ---- */

/* The key condition from the legacy KeyConditions, with dynalite's
 * actions/query.js checks in its order (key schema attributes in order:
 * ExclusiveStartKey piece, then the condition on that attribute). */
static int legacy_key_condition(pt_call_t *call, const key_schema_t *ks, const legacy_cond_t *lc, uint32_t n,
                                const pt_av_t *esk, pt_key_condition_t *kc)
{
    const pt_attr_def_t *defs[2] = {ks->hash, ks->range};
    memset(kc, 0, sizeof *kc);
    for (int i = 0; i < 2 && defs[i]; i++) {
        bool is_hash = i == 0;
        if (esk) {
            if (!pt_item_get(esk, defs[i]->name, strlen(defs[i]->name)))
                return pt_error_set(&call->err, PT_E_VALIDATION, "The provided starting key is invalid");
            if (check_key_piece(call, esk, defs[i], is_hash, "")) return PT_ERR;
        }
        if (is_hash && !defs[1] && n > 1)
            return pt_error_set(&call->err, PT_E_VALIDATION, "Query key condition not supported");
        const legacy_cond_t *c = legacy_find(lc, n, defs[i]->name);
        if (!c) {
            if (is_hash || n > 1)
                return pt_error_set(&call->err, PT_E_VALIDATION, "Query condition missed key schema element: %s",
                                    defs[i]->name);
            continue;
        }
        static const char *const not_indexable[] = {"NULL", "NOT_NULL", "NE", "CONTAINS", "NOT_CONTAINS", "IN", NULL};
        for (const char *const *p = not_indexable; *p; p++)
            if (!strcmp(c->op, *p))
                return pt_error_set(&call->err, PT_E_VALIDATION,
                                    "Attempted conditional constraint is not an indexable operation");
        for (uint32_t j = 0; j < c->nvals; j++)
            if (c->vals[j].type != defs[i]->type)
                return pt_error_set(&call->err, PT_E_VALIDATION,
                                    "One or more parameter values were invalid: Condition parameter type does not "
                                    "match schema type");
        if (is_hash) {
            if (strcmp(c->op, "EQ"))
                return pt_error_set(&call->err, PT_E_VALIDATION, "Query key condition not supported");
            kc->hash = &c->vals[0];
            continue;
        }
        static const struct {
            const char *op;
            pt_key_op_t kop;
        } map[] = {{"EQ", PT_KC_EQ}, {"LT", PT_KC_LT}, {"LE", PT_KC_LE}, {"GT", PT_KC_GT},
                   {"GE", PT_KC_GE}, {"BETWEEN", PT_KC_BETWEEN}, {"BEGINS_WITH", PT_KC_BEGINS_WITH}};
        for (size_t m = 0; m < sizeof map / sizeof map[0]; m++)
            if (!strcmp(c->op, map[m].op)) kc->range_op = map[m].kop;
        kc->range1 = &c->vals[0];
        kc->range2 = c->nvals > 1 ? &c->vals[1] : NULL;
    }
    return PT_OK;
}

/* Key-attribute checks of ExclusiveStartKey for a key condition given as
 * an expression (the legacy path does them interleaved, above). */
static int check_start_key_pieces(pt_call_t *call, const key_schema_t *ks, const pt_av_t *esk)
{
    const pt_attr_def_t *defs[2] = {ks->hash, ks->range};
    for (int i = 0; i < 2 && defs[i]; i++) {
        if (!pt_item_get(esk, defs[i]->name, strlen(defs[i]->name)))
            return pt_error_set(&call->err, PT_E_VALIDATION, "The provided starting key is invalid");
        if (check_key_piece(call, esk, defs[i], i == 0, "")) return PT_ERR;
    }
    return PT_OK;
}

static int check_filter_keys(pt_call_t *call, const key_schema_t *ks, const exprs_t *e)
{
    if (!e->filter) return PT_OK;
    const pt_attr_def_t *defs[2] = {ks->hash, ks->range};
    for (int i = 0; i < 2 && defs[i]; i++) {
        bool nested = false;
        if (pt_expr_references(e->filter, defs[i]->name, strlen(defs[i]->name), &nested))
            return pt_error_set(&call->err, PT_E_VALIDATION,
                                "%s can only contain non-primary key attributes: Primary key attribute: %s",
                                e->filter_is_legacy ? "QueryFilter" : "Filter Expression", defs[i]->name);
    }
    return PT_OK;
}

int pt_op_query(pt_call_t *call, const pt_json_t *req)
{
    static const char *const exprs_names[] = {"ProjectionExpression", "FilterExpression", "KeyConditionExpression"};
    static const char *const legacy_names[] = {"AttributesToGet", "QueryFilter", "ConditionalOperator",
                                               "KeyConditions"};
    pt_av_t esk;
    bool has_esk;
    select_t sel;
    exprs_t e;
    pt_table_t *t;
    legacy_cond_t *lc = NULL;
    uint32_t nlc = 0;
    pt_key_condition_t kc;

    if (pt_params_check(&call->arena, req, query_schema, &call->err)) return PT_ERR;
    if (check_expression_params(call, req, exprs_names, 3, legacy_names, 4)) return PT_ERR;
    if (check_attrs_to_get(call, pt_param(req, "AttributesToGet"))) return PT_ERR;
    if (convert_start_key(call, req, &esk, &has_esk)) return PT_ERR;
    const pt_json_t *kcs = pt_param(req, "KeyConditions");
    if (!kcs && !pt_param(req, "KeyConditionExpression"))
        return pt_error_set(&call->err, PT_E_VALIDATION,
                            "Either the KeyConditions or KeyConditionExpression parameter must be specified in the "
                            "request.");
    if (parse_expressions(call, req, true, &e)) return PT_ERR;
    if (!e.key_condition && legacy_conditions_parse(call, kcs, &lc, &nlc)) return PT_ERR;
    if (check_select(call, req, true, &sel)) return PT_ERR;

    if (pt_api_table(call, req, false, &t)) return PT_ERR;
    pt_index_t *ix;
    if (check_index(call, req, t, &ix)) return PT_ERR;
    key_schema_t ks = schema_of(t, ix);
    if (has_esk && esk.len != start_key_names(t, ix))
        return pt_error_set(&call->err, PT_E_VALIDATION, "The provided starting key is invalid");
    if (e.key_condition) {
        if (has_esk && check_start_key_pieces(call, &ks, &esk)) return PT_ERR;
        if (pt_expr_key_condition(e.key_condition, ks.hash->name, ks.hash->type, ks.range ? ks.range->name : NULL,
                                  ks.range ? ks.range->type : 0, &kc, &call->err))
            return PT_ERR;
    } else if (legacy_key_condition(call, &ks, lc, nlc, has_esk ? &esk : NULL, &kc)) {
        return PT_ERR;
    }

    bool forward = pt_param_bool(req, "ScanIndexForward", true);
    page_req_t q;
    memset(&q, 0, sizeof q);
    q.is_query = true;
    q.forward = forward;
    q.ix = ix;
    if (ix) pt_range_query_index(&call->arena, t, ix, &kc, &q.range);
    else pt_range_query(&call->arena, t, &kc, &q.range);

    if (has_esk) {
        if (ix && check_table_start_key(call, t, &esk)) return PT_ERR;
        const pt_av_t *eh = pt_item_get(&esk, ks.hash->name, strlen(ks.hash->name));
        const pt_av_t *er = ks.range ? pt_item_get(&esk, ks.range->name, strlen(ks.range->name)) : NULL;
        bool same_partition = pt_av_equal(eh, kc.hash);
        if (!ks.range || kc.range_op == PT_KC_NONE) {
            if (!same_partition)
                return pt_error_set(&call->err, PT_E_VALIDATION,
                                    "The provided starting key is outside query boundaries based on provided "
                                    "conditions");
        } else {
            if (!range_matches(&kc, er))
                return pt_error_set(&call->err, PT_E_VALIDATION,
                                    "The provided starting key does not match the range key predicate");
            if (!same_partition)
                return pt_error_set(&call->err, PT_E_VALIDATION,
                                    "The query can return at most one row and cannot be restarted");
        }
        pt_range_start_after(&q.range, start_key(call, t, ix, &esk), forward);
    }
    if (check_key_paths(call, t, e.projection)) return PT_ERR;
    if (check_filter_keys(call, &ks, &e)) return PT_ERR;
    if (check_index_select(call, req, t, ix, sel, e.projection || e.filter, &q.fetch_base)) return PT_ERR;
    if (check_key_paths(call, t, e.filter)) return PT_ERR;

    page_common(&q, t, req, sel, &e);
    return run_page(call, &q);
}

/* ---- Scan ---- */

int pt_op_scan(pt_call_t *call, const pt_json_t *req)
{
    static const char *const exprs_names[] = {"ProjectionExpression", "FilterExpression"};
    static const char *const legacy_names[] = {"AttributesToGet", "ScanFilter", "ConditionalOperator"};
    pt_av_t esk;
    bool has_esk;
    select_t sel;
    exprs_t e;
    pt_table_t *t;

    if (pt_params_check(&call->arena, req, scan_schema, &call->err)) return PT_ERR;
    if (check_expression_params(call, req, exprs_names, 2, legacy_names, 3)) return PT_ERR;
    if (check_attrs_to_get(call, pt_param(req, "AttributesToGet"))) return PT_ERR;
    if (convert_start_key(call, req, &esk, &has_esk)) return PT_ERR;

    /* dynalite validations/scan.js: a Segment of 0 alone is accepted */
    int64_t segment = pt_param_int(req, "Segment", 0);
    const pt_json_t *total_j = pt_param(req, "TotalSegments");
    int64_t total = pt_param_int(req, "TotalSegments", 1);
    if (segment && !total_j)
        return pt_error_set(&call->err, PT_E_VALIDATION,
                            "The TotalSegments parameter is required but was not present in the request when "
                            "Segment parameter is present");
    if (total_j) {
        if (!pt_param(req, "Segment"))
            return pt_error_set(&call->err, PT_E_VALIDATION,
                                "The Segment parameter is required but was not present in the request when parameter "
                                "TotalSegments is present");
        if (segment >= total)
            return pt_error_set(&call->err, PT_E_VALIDATION,
                                "The Segment parameter is zero-based and must be less than parameter TotalSegments: "
                                "Segment: %lld is not less than TotalSegments: %lld",
                                (long long)segment, (long long)total);
    }
    if (parse_expressions(call, req, false, &e)) return PT_ERR;
    if (check_select(call, req, false, &sel)) return PT_ERR;

    if (pt_api_table(call, req, false, &t)) return PT_ERR;
    pt_index_t *ix;
    if (check_index(call, req, t, &ix)) return PT_ERR;
    key_schema_t ks = schema_of(t, ix);

    page_req_t q;
    memset(&q, 0, sizeof q);
    q.forward = true;
    q.ix = ix;
    pt_range_segment_index(&call->arena, t, ix ? ix->id : 0, (uint32_t)segment, (uint32_t)total, &q.range);

    if (has_esk && esk.len != start_key_names(t, ix))
        return pt_error_set(&call->err, PT_E_VALIDATION,
                            ix ? "The provided starting key is invalid"
                               : "The provided starting key is invalid: The provided key element does not match the "
                                 "schema");
    if (has_esk && ix && check_start_key_pieces(call, &ks, &esk)) return PT_ERR;
    if (check_index_select(call, req, t, ix, sel, e.projection || e.filter, &q.fetch_base)) return PT_ERR;
    if (has_esk) {
        if (check_table_start_key(call, t, &esk)) return PT_ERR;
        const pt_av_t *eh = pt_item_get(&esk, ks.hash->name, strlen(ks.hash->name));
        if (total > 1) {
            uint64_t lo, hi;
            pt_range_segment_hashes((uint32_t)segment, (uint32_t)total, &lo, &hi);
            uint64_t h = pt_key_hash(eh);
            if (h < lo || h >= hi)
                return pt_error_set(&call->err, PT_E_VALIDATION,
                                    "The provided starting key is invalid: Invalid ExclusiveStartKey. Please use "
                                    "ExclusiveStartKey with correct Segment. TotalSegments: %lld Segment: %lld",
                                    (long long)total, (long long)segment);
        }
        pt_range_start_after(&q.range, start_key(call, t, ix, &esk), true);
    }
    if (check_key_paths(call, t, e.projection)) return PT_ERR;
    if (check_key_paths(call, t, e.filter)) return PT_ERR;

    page_common(&q, t, req, sel, &e);
    return run_page(call, &q);
}
