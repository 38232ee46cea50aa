/* The legacy (pre-expression) parameters — Expected, QueryFilter /
 * ScanFilter, KeyConditions, AttributesToGet, AttributeUpdates — validated
 * with DynamoDB's messages and compiled into the same form as expressions,
 * so one evaluator serves both. Every legacy path is a single top-level
 * attribute name (legacy parameters cannot reach nested attributes).
 *
 * The compiled expressions carry `legacy = true`: it selects the legacy
 * error wording at evaluation time ("Type mismatch for attribute to
 * update") and the legacy ADD of lists in AttributeUpdates. */
#include "engine/expr_int.h"

#include <string.h>
#include <strings.h>

static const pt_json_t *member(const pt_json_t *obj, const char *key)
{
    const pt_json_t *v = pt_json_get(obj, key);
    return v && v->type != PT_JSON_NULL ? v : NULL;
}

static pt_path_t top_path(pt_arena_t *arena, const char *name, uint32_t len)
{
    pt_path_t p = {.n = 1};
    p.elems = pt_arena_calloc(arena, sizeof *p.elems);
    p.elems[0] = (pt_path_elem_t){.name = name, .len = len, .index = -1};
    return p;
}

static pt_enode_t *path_node(pt_arena_t *arena, const char *name, uint32_t len)
{
    pt_enode_t *n = pt_enode_new(arena, EN_PATH, 0);
    n->path = top_path(arena, name, len);
    return n;
}

static pt_enode_t *value_node(pt_arena_t *arena, const pt_av_t *v)
{
    pt_enode_t *n = pt_enode_new(arena, EN_VALUE, 0);
    n->value = v;
    return n;
}

static bool json_truthy(const pt_json_t *v)
{
    if (!v) return false;
    if (v->type == PT_JSON_TRUE) return true;
    if (v->type == PT_JSON_STRING) return v->len == 4 && !strncasecmp(v->u.str, "true", 4);
    return false;
}

static bool str_is(const pt_json_t *v, const char *s)
{
    return v && v->type == PT_JSON_STRING && v->len == strlen(s) && !memcmp(v->u.str, s, v->len);
}

typedef struct op_info {
    const char *name;
    int min, max;            /* AttributeValueList length */
    const char *types;       /* allowed value types (for filters/key conditions), space-separated */
} op_info_t;

static const op_info_t ops[] = {
    {"EQ", 1, 1, "S N B SS NS BS"}, {"NE", 1, 1, "S N B SS NS BS"}, {"LE", 1, 1, "S N B"},
    {"LT", 1, 1, "S N B"},          {"GE", 1, 1, "S N B"},          {"GT", 1, 1, "S N B"},
    {"NOT_NULL", 0, 0, NULL},       {"NULL", 0, 0, NULL},           {"CONTAINS", 1, 1, "S N B"},
    {"NOT_CONTAINS", 1, 1, "S N B"}, {"BEGINS_WITH", 1, 1, "S B"},  {"IN", 1, 1000000, "S N B"},
    {"BETWEEN", 2, 2, "S N B"},
};

static const op_info_t *find_op(const pt_json_t *v)
{
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (str_is(v, ops[i].name)) return &ops[i];
    return NULL;
}

static bool type_allowed(const char *types, int type)
{
    const char *name = pt_av_type_name(type);
    size_t n = strlen(name);
    for (const char *p = types; *p;) {
        const char *e = strchr(p, ' ');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l == n && !memcmp(p, name, n)) return true;
        p += l + (e ? 1 : 0);
        if (!e) break;
    }
    return false;
}

/* Builds the node for `attr <op> values`. */
static pt_enode_t *op_node(pt_arena_t *arena, const op_info_t *op, const char *attr, uint32_t attr_len,
                           const pt_av_t *vals, uint32_t n)
{
    pt_enode_t *a = path_node(arena, attr, attr_len), *node;
    const char *o = op->name;
    if (!strcmp(o, "NOT_NULL") || !strcmp(o, "NULL")) {
        node = pt_enode_new(arena, !strcmp(o, "NULL") ? EN_NOT_EXISTS : EN_EXISTS, 1);
        node->args[0] = a;
        return node;
    }
    static const struct {
        const char *name;
        pt_enode_kind_t kind;
        pt_cmp_op_t cmp;
    } map[] = {
        {"EQ", EN_CMP, CMP_EQ}, {"NE", EN_CMP, CMP_NE}, {"LE", EN_CMP, CMP_LE}, {"LT", EN_CMP, CMP_LT},
        {"GE", EN_CMP, CMP_GE}, {"GT", EN_CMP, CMP_GT}, {"CONTAINS", EN_CONTAINS, 0},
        {"NOT_CONTAINS", EN_NOT_CONTAINS, 0}, {"BEGINS_WITH", EN_BEGINS_WITH, 0}, {"IN", EN_IN, 0},
        {"BETWEEN", EN_BETWEEN, 0},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        if (strcmp(map[i].name, o)) continue;
        node = pt_enode_new(arena, map[i].kind, 1 + n);
        node->op = (uint8_t)map[i].cmp;
        node->args[0] = a;
        for (uint32_t k = 0; k < n; k++) node->args[1 + k] = value_node(arena, &vals[k]);
        return node;
    }
    return pt_enode_new(arena, EN_TRUE, 0);
}

static pt_enode_t *combine(pt_arena_t *arena, pt_enode_t *acc, pt_enode_t *n, bool or)
{
    if (!acc) return n;
    pt_enode_t *c = pt_enode_new(arena, or ? EN_OR : EN_AND, 2);
    c->args[0] = acc;
    c->args[1] = n;
    return c;
}

static int convert_list(pt_arena_t *arena, const pt_json_t *list, pt_av_t **out, uint32_t *n, pt_error_t *err)
{
    *n = list && list->type == PT_JSON_ARRAY ? list->len : 0;
    *out = pt_arena_calloc(arena, (*n ? *n : 1) * sizeof **out);
    for (uint32_t i = 0; i < *n; i++)
        if (pt_av_from_json(arena, &list->u.elems[i], 0, &(*out)[i], err)) return PT_ERR;
    return PT_OK;
}

static int same_type_and_bounds(const op_info_t *op, const pt_av_t *vals, uint32_t n, pt_error_t *err)
{
    for (uint32_t i = 1; i < n; i++)
        if (vals[i].type != vals[0].type)
            return pt_error_set(err, PT_E_VALIDATION,
                                "One or more parameter values were invalid: AttributeValues inside AttributeValueList "
                                "must be of same type");
    return PT_OK;
}

static int between_order(const op_info_t *op, const pt_av_t *vals, uint32_t n, pt_error_t *err)
{
    int c;
    if (!strcmp(op->name, "BETWEEN") && n == 2 && pt_expr_order(&vals[0], &vals[1], &c) && c > 0)
        return pt_error_set(err, PT_E_VALIDATION,
                            "The BETWEEN condition was provided a range where the lower bound is greater than the "
                            "upper bound");
    return PT_OK;
}

int pt_expr_from_expected(pt_expr_ctx_t *ctx, const pt_json_t *expected, const pt_json_t *conditional_operator,
                          pt_expr_t **out, pt_error_t *err)
{
    pt_arena_t *arena = ctx->arena;
    bool or = str_is(conditional_operator, "OR");
    pt_enode_t *root = NULL;
    for (uint32_t i = 0; expected && expected->type == PT_JSON_OBJECT && i < expected->len; i++) {
        const pt_json_member_t *m = &expected->u.members[i];
        const char *key = m->key;
        const pt_json_t *c = &m->value;
        const pt_json_t *list = member(c, "AttributeValueList"), *value = member(c, "Value");
        const pt_json_t *cmp = member(c, "ComparisonOperator"), *exists = member(c, "Exists");
        if (list && value)
            return pt_error_set(err, PT_E_VALIDATION,
                                "One or more parameter values were invalid: Value and AttributeValueList cannot be used "
                                "together for Attribute: %s",
                                key);
        pt_enode_t *node;
        if (cmp) {
            const op_info_t *op = find_op(cmp);
            if (exists)
                return pt_error_set(err, PT_E_VALIDATION,
                                    "One or more parameter values were invalid: Exists and ComparisonOperator cannot be "
                                    "used together for Attribute: %s",
                                    key);
            if (!op) return pt_error_set(err, PT_E_VALIDATION, "Unknown ComparisonOperator");
            if (op->min > 0 && !list && !value)
                return pt_error_set(err, PT_E_VALIDATION,
                                    "One or more parameter values were invalid: Value or AttributeValueList must be used "
                                    "with ComparisonOperator: %s for Attribute: %s",
                                    op->name, key);
            pt_av_t *vals;
            uint32_t n;
            if (value) {
                n = 1;
                vals = pt_arena_calloc(arena, sizeof *vals);
                if (pt_av_from_json(arena, value, 0, vals, err)) return PT_ERR;
            } else if (convert_list(arena, list, &vals, &n, err)) {
                return PT_ERR;
            }
            if ((int)n < op->min || (int)n > op->max)
                return pt_error_set(err, PT_E_VALIDATION,
                                    "One or more parameter values were invalid: Invalid number of argument(s) for the %s "
                                    "ComparisonOperator",
                                    op->name);
            if (list && (same_type_and_bounds(op, vals, n, err) || between_order(op, vals, n, err))) return PT_ERR;
            node = op_node(arena, op, key, m->key_len, vals, n);
        } else if (list) {
            return pt_error_set(err, PT_E_VALIDATION,
                                "One or more parameter values were invalid: AttributeValueList can only be used with a "
                                "ComparisonOperator for Attribute: %s",
                                key);
        } else {
            bool ex = !exists || json_truthy(exists);
            if (ex && !value)
                return pt_error_set(err, PT_E_VALIDATION,
                                    "One or more parameter values were invalid: Value must be provided when Exists is %s "
                                    "for Attribute: %s",
                                    exists ? "true" : "null", key);
            if (!ex && value)
                return pt_error_set(err, PT_E_VALIDATION,
                                    "One or more parameter values were invalid: Value cannot be used when Exists is "
                                    "false for Attribute: %s",
                                    key);
            if (ex) {
                pt_av_t *v = pt_arena_calloc(arena, sizeof *v);
                if (pt_av_from_json(arena, value, 0, v, err)) return PT_ERR;
                node = op_node(arena, &ops[0], key, m->key_len, v, 1);
            } else {
                node = op_node(arena, &ops[7], key, m->key_len, NULL, 0); /* NULL */
            }
        }
        root = combine(arena, root, node, or);
    }
    pt_expr_t *e = pt_arena_calloc(arena, sizeof *e);
    e->kind = PT_EXPR_CONDITION;
    e->legacy = true;
    e->root = root ? root : pt_enode_new(arena, EN_TRUE, 0);
    *out = e;
    return PT_OK;
}

/* QueryFilter / ScanFilter / KeyConditions: DynamoDB's validateConditions. */
static int from_conditions(pt_expr_ctx_t *ctx, const pt_json_t *conds, bool or, pt_expr_kind_t kind, pt_expr_t **out,
                           pt_error_t *err)
{
    pt_arena_t *arena = ctx->arena;
    pt_enode_t *root = NULL;
    for (uint32_t i = 0; conds && conds->type == PT_JSON_OBJECT && i < conds->len; i++) {
        const pt_json_member_t *m = &conds->u.members[i];
        const op_info_t *op = find_op(member(&m->value, "ComparisonOperator"));
        pt_av_t *vals;
        uint32_t n;
        if (convert_list(arena, member(&m->value, "AttributeValueList"), &vals, &n, err)) return PT_ERR;
        if (!op) return pt_error_set(err, PT_E_VALIDATION, "Unknown ComparisonOperator");
        if ((int)n < op->min || (int)n > op->max)
            return pt_error_set(err, PT_E_VALIDATION,
                                "One or more parameter values were invalid: Invalid number of argument(s) for the %s "
                                "ComparisonOperator",
                                op->name);
        if (same_type_and_bounds(op, vals, n, err)) return PT_ERR;
        for (uint32_t k = 0; op->types && k < n; k++)
            if (!type_allowed(op->types, vals[k].type))
                return pt_error_set(err, PT_E_VALIDATION,
                                    "One or more parameter values were invalid: ComparisonOperator %s is not valid for %s "
                                    "AttributeValue type",
                                    op->name, pt_av_type_name(vals[k].type));
        if (between_order(op, vals, n, err)) return PT_ERR;
        root = combine(arena, root, op_node(arena, op, m->key, m->key_len, vals, n), or);
    }
    pt_expr_t *e = pt_arena_calloc(arena, sizeof *e);
    e->kind = kind;
    e->legacy = true;
    e->root = root ? root : (kind == PT_EXPR_KEY_CONDITION ? NULL : pt_enode_new(arena, EN_TRUE, 0));
    *out = e;
    return PT_OK;
}

int pt_expr_from_filter(pt_expr_ctx_t *ctx, const pt_json_t *filter, const pt_json_t *conditional_operator,
                        pt_expr_t **out, pt_error_t *err)
{
    return from_conditions(ctx, filter, str_is(conditional_operator, "OR"), PT_EXPR_FILTER, out, err);
}

int pt_expr_from_key_conditions(pt_expr_ctx_t *ctx, const pt_json_t *key_conditions, pt_expr_t **out,
                                pt_error_t *err)
{
    return from_conditions(ctx, key_conditions, false, PT_EXPR_KEY_CONDITION, out, err);
}

int pt_expr_from_attributes_to_get(pt_expr_ctx_t *ctx, const pt_json_t *names, pt_expr_t **out, pt_error_t *err)
{
    pt_arena_t *arena = ctx->arena;
    uint32_t n = names && names->type == PT_JSON_ARRAY ? names->len : 0;
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t j = i + 1; j < n; j++)
            if (names->u.elems[i].len == names->u.elems[j].len &&
                !memcmp(names->u.elems[i].u.str, names->u.elems[j].u.str, names->u.elems[i].len))
                return pt_error_set(err, PT_E_VALIDATION,
                                    "One or more parameter values were invalid: Duplicate value in attribute name: %s",
                                    names->u.elems[i].u.str);
    pt_expr_t *e = pt_arena_calloc(arena, sizeof *e);
    e->kind = PT_EXPR_PROJECTION;
    e->legacy = true;
    e->paths = pt_arena_calloc(arena, (n ? n : 1) * sizeof *e->paths);
    for (uint32_t i = 0; i < n; i++) {
        const pt_json_t *s = &names->u.elems[i];
        if (s->type != PT_JSON_STRING) continue;
        e->paths[e->npaths++] = top_path(arena, s->u.str, s->len);
    }
    *out = e;
    return PT_OK;
}

int pt_expr_from_attribute_updates(pt_expr_ctx_t *ctx, const pt_json_t *updates, pt_expr_t **out, pt_error_t *err)
{
    pt_arena_t *arena = ctx->arena;
    uint32_t n = updates && updates->type == PT_JSON_OBJECT ? updates->len : 0;
    pt_expr_t *e = pt_arena_calloc(arena, sizeof *e);
    e->kind = PT_EXPR_UPDATE;
    e->legacy = true;
    e->actions = pt_arena_calloc(arena, (n ? n : 1) * sizeof *e->actions);
    for (uint32_t i = 0; i < n; i++) {
        const pt_json_member_t *m = &updates->u.members[i];
        const pt_json_t *value = member(&m->value, "Value"), *action = member(&m->value, "Action");
        bool is_delete = str_is(action, "DELETE"), is_add = str_is(action, "ADD");
        pt_av_t *v = NULL;
        if (value) {
            v = pt_arena_calloc(arena, sizeof *v);
            if (pt_av_from_json(arena, value, 0, v, err)) return PT_ERR;
        }
        if (!value && !is_delete)
            return pt_error_set(err, PT_E_VALIDATION,
                                "One or more parameter values were invalid: Only DELETE action is allowed when no "
                                "attribute value is specified");
        if (value && is_delete && v->type != PT_AV_SS && v->type != PT_AV_NS && v->type != PT_AV_BS)
            return pt_error_set(err, PT_E_VALIDATION,
                                "One or more parameter values were invalid: DELETE action with value is not supported "
                                "for the type %s",
                                pt_av_type_name(v->type));
        if (value && is_add && v->type != PT_AV_L && v->type != PT_AV_SS && v->type != PT_AV_NS &&
            v->type != PT_AV_BS && v->type != PT_AV_N)
            return pt_error_set(err, PT_E_VALIDATION,
                                "One or more parameter values were invalid: ADD action is not supported for the type %s",
                                pt_av_type_name(v->type));
        pt_update_action_t *a = &e->actions[e->nactions++];
        a->path = top_path(arena, m->key, m->key_len);
        a->action = is_delete ? (value ? PT_UA_DELETE : PT_UA_REMOVE) : is_add ? PT_UA_ADD : PT_UA_SET;
        if (v) a->value = value_node(arena, v);
    }
    *out = e;
    return PT_OK;
}
