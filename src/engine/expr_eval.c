/* Expression evaluation: conditions and filters against an item,
 * projections, and the resolution of key conditions for Query.
 *
 * DynamoDB's type rules (Comparison operator and function reference):
 *  - = and <> compare any two values, of different types never equal;
 *    numbers numerically, sets as sets;
 *  - < <= > >= and BETWEEN order only N, S and B of the same type (N
 *    numerically, S and B by bytes); anything else is false, not an error;
 *  - a missing attribute makes every comparison false except <>;
 *  - size(): S length (UTF-16 units, as DynamoDB's Java counts), B bytes,
 *    sets, L and M elements; other types and missing paths give no value,
 *    so the comparison using it is false.
 * Evaluation touches only the paths an expression names: each path is
 * walked from the item's root (binary search in maps, indexing in lists),
 * nothing is copied or decoded beyond what the item already is. */
#include "engine/expr_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const pt_av_t *pt_expr_resolve(const pt_av_t *item, const pt_path_t *path)
{
    const pt_av_t *v = item;
    for (uint32_t i = 0; v && i < path->n; i++) {
        const pt_path_elem_t *e = &path->elems[i];
        if (e->index >= 0) {
            if (v->type != PT_AV_L || (uint32_t)e->index >= v->len) return NULL;
            v = &v->u.elems[e->index];
        } else {
            if (v->type != PT_AV_M) return NULL;
            v = pt_item_get(v, e->name, e->len);
        }
    }
    return v;
}

static int bytes_cmp(const pt_av_t *a, const pt_av_t *b)
{
    uint32_t n = a->len < b->len ? a->len : b->len;
    int c = n ? memcmp(a->u.str, b->u.str, n) : 0;
    if (c) return c;
    return a->len < b->len ? -1 : a->len > b->len ? 1 : 0;
}

bool pt_expr_order(const pt_av_t *a, const pt_av_t *b, int *cmp)
{
    if (!a || !b || a->type != b->type) return false;
    switch (a->type) {
    case PT_AV_S:
    case PT_AV_B:
        *cmp = bytes_cmp(a, b);
        return true;
    case PT_AV_N: {
        pt_dec_t x, y;
        pt_error_t e;
        if (pt_dec_parse(a->u.str, a->len, &x, &e) || pt_dec_parse(b->u.str, b->len, &y, &e)) return false;
        *cmp = pt_dec_cmp(&x, &y);
        return true;
    }
    default: return false;
    }
}

/* Storage for an operand computed during evaluation (size()). */
typedef struct operand_buf {
    pt_av_t value;
    char text[16];
} operand_buf_t;

static size_t utf16_length(const char *s, uint32_t len)
{
    size_t n = 0;
    for (uint32_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c & 0xC0) == 0x80) continue;  /* continuation byte */
        n += c >= 0xF0 ? 2 : 1;            /* astral characters are surrogate pairs */
    }
    return n;
}

static const pt_av_t *operand(const pt_enode_t *n, const pt_av_t *item, operand_buf_t *buf)
{
    switch (n->kind) {
    case EN_PATH: return pt_expr_resolve(item, &n->path);
    case EN_VALUE: return n->value;
    case EN_SIZE: {
        operand_buf_t inner;
        const pt_av_t *v = n->nargs == 1 ? operand(n->args[0], item, &inner) : NULL;
        if (!v) return NULL;
        size_t size;
        switch (v->type) {
        case PT_AV_S: size = utf16_length(v->u.str, v->len); break;
        case PT_AV_B:
        case PT_AV_L:
        case PT_AV_M:
        case PT_AV_SS:
        case PT_AV_NS:
        case PT_AV_BS: size = v->len; break;
        default: return NULL;
        }
        int k = snprintf(buf->text, sizeof buf->text, "%zu", size);
        buf->value = (pt_av_t){.type = PT_AV_N, .len = (uint32_t)k, .u.str = buf->text};
        return &buf->value;
    }
    default: return NULL;
    }
}

static bool values_equal(const pt_av_t *a, const pt_av_t *b)
{
    return a && b && a->type == b->type && pt_av_equal(a, b);
}

static bool contains(const pt_av_t *a, const pt_av_t *b)
{
    if (!a || !b) return false;
    switch (a->type) {
    case PT_AV_S:
    case PT_AV_B:
        if (b->type != a->type) return false;
        if (b->len == 0) return true;
        return b->len <= a->len && memmem(a->u.str, a->len, b->u.str, b->len) != NULL;
    case PT_AV_SS:
    case PT_AV_NS:
    case PT_AV_BS: {
        int member = a->type == PT_AV_SS ? PT_AV_S : a->type == PT_AV_NS ? PT_AV_N : PT_AV_B;
        if (b->type != member) return false;
        for (uint32_t i = 0; i < a->len; i++) {
            pt_av_t m = a->u.elems[i];
            m.type = (uint8_t)member; /* set members may be stored untyped */
            if (pt_av_equal(&m, b)) return true;
        }
        return false;
    }
    case PT_AV_L:
        for (uint32_t i = 0; i < a->len; i++)
            if (values_equal(&a->u.elems[i], b)) return true;
        return false;
    default: return false;
    }
}

static bool eval_node(const pt_enode_t *n, const pt_av_t *item)
{
    operand_buf_t b0, b1, b2;
    switch (n->kind) {
    case EN_TRUE: return true;
    case EN_AND: return eval_node(n->args[0], item) && eval_node(n->args[1], item);
    case EN_OR: return eval_node(n->args[0], item) || eval_node(n->args[1], item);
    case EN_NOT: return !eval_node(n->args[0], item);
    case EN_CMP: {
        const pt_av_t *a = operand(n->args[0], item, &b0), *b = operand(n->args[1], item, &b1);
        int c;
        switch ((pt_cmp_op_t)n->op) {
        case CMP_EQ: return values_equal(a, b);
        case CMP_NE: return !values_equal(a, b);
        case CMP_LT: return pt_expr_order(a, b, &c) && c < 0;
        case CMP_LE: return pt_expr_order(a, b, &c) && c <= 0;
        case CMP_GT: return pt_expr_order(a, b, &c) && c > 0;
        case CMP_GE: return pt_expr_order(a, b, &c) && c >= 0;
        }
        return false;
    }
    case EN_BETWEEN: {
        const pt_av_t *a = operand(n->args[0], item, &b0);
        const pt_av_t *lo = operand(n->args[1], item, &b1), *hi = operand(n->args[2], item, &b2);
        int c1, c2;
        return pt_expr_order(a, lo, &c1) && c1 >= 0 && pt_expr_order(a, hi, &c2) && c2 <= 0;
    }
    case EN_IN: {
        const pt_av_t *a = operand(n->args[0], item, &b0);
        if (!a) return false;
        for (uint32_t i = 1; i < n->nargs; i++)
            if (values_equal(a, operand(n->args[i], item, &b1))) return true;
        return false;
    }
    case EN_EXISTS: return operand(n->args[0], item, &b0) != NULL;
    case EN_NOT_EXISTS: return operand(n->args[0], item, &b0) == NULL;
    case EN_TYPE: {
        const pt_av_t *a = operand(n->args[0], item, &b0), *t = operand(n->args[1], item, &b1);
        if (!a || !t || t->type != PT_AV_S) return false;
        return pt_av_type_from_name(t->u.str, t->len) == a->type;
    }
    case EN_BEGINS_WITH: {
        const pt_av_t *a = operand(n->args[0], item, &b0), *p = operand(n->args[1], item, &b1);
        if (!a || !p || a->type != p->type || (a->type != PT_AV_S && a->type != PT_AV_B)) return false;
        return p->len <= a->len && (p->len == 0 || !memcmp(a->u.str, p->u.str, p->len));
    }
    case EN_CONTAINS: return contains(operand(n->args[0], item, &b0), operand(n->args[1], item, &b1));
    case EN_NOT_CONTAINS: {
        /* legacy NOT_CONTAINS: true only when the attribute exists */
        const pt_av_t *a = operand(n->args[0], item, &b0);
        return a && !contains(a, operand(n->args[1], item, &b1));
    }
    default: return false;
    }
}

int pt_expr_eval(const pt_expr_t *cond, const pt_av_t *item, bool *result, pt_error_t *err)
{
    static const pt_av_t empty = {.type = PT_AV_M};
    if (!item) item = &empty;
    *result = cond && cond->root ? eval_node(cond->root, item) : true;
    return PT_OK;
}

/* ---- projections ---- */

typedef struct proj_ref {
    const pt_path_t *path;
} proj_ref_t;

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Projects `v` onto the paths in refs (all sharing elements [0, depth));
 * returns false when nothing of `v` is kept. */
static bool project_value(pt_arena_t *arena, const pt_av_t *v, const pt_path_t *const *refs, uint32_t nrefs,
                          uint32_t depth, pt_av_t *out)
{
    for (uint32_t i = 0; i < nrefs; i++)
        if (refs[i]->n == depth) {
            *out = *v;
            return true;
        }
    bool is_map = v->type == PT_AV_M;
    if (!is_map && v->type != PT_AV_L) return false;
    /* the distinct children named at this depth that exist in v */
    uint32_t *pick = pt_arena_alloc(arena, nrefs * sizeof *pick);
    uint32_t npick = 0;
    for (uint32_t i = 0; i < nrefs; i++) {
        const pt_path_elem_t *e = &refs[i]->elems[depth];
        uint32_t idx;
        if (is_map) {
            if (e->index >= 0) continue;
            const pt_av_t *m = pt_item_get(v, e->name, e->len);
            if (!m) continue;
            idx = (uint32_t)((const pt_av_member_t *)((const char *)m - offsetof(pt_av_member_t, value)) -
                             v->u.members);
        } else {
            if (e->index < 0 || (uint32_t)e->index >= v->len) continue;
            idx = (uint32_t)e->index;
        }
        bool dup = false;
        for (uint32_t k = 0; k < npick; k++) dup |= pick[k] == idx;
        if (!dup) pick[npick++] = idx;
    }
    if (!npick) return false;
    qsort(pick, npick, sizeof *pick, cmp_u32);
    const pt_path_t **sub = pt_arena_alloc(arena, nrefs * sizeof *sub);
    pt_av_t result = {.type = v->type};
    if (is_map) result.u.members = pt_arena_alloc(arena, npick * sizeof(pt_av_member_t));
    else result.u.elems = pt_arena_alloc(arena, npick * sizeof(pt_av_t));
    for (uint32_t k = 0; k < npick; k++) {
        uint32_t idx = pick[k], nsub = 0;
        for (uint32_t i = 0; i < nrefs; i++) {
            const pt_path_elem_t *e = &refs[i]->elems[depth];
            bool match = is_map ? (e->index < 0 && e->len == v->u.members[idx].name_len &&
                                   !memcmp(e->name, v->u.members[idx].name, e->len))
                                : e->index == (int32_t)idx;
            if (match) sub[nsub++] = refs[i];
        }
        const pt_av_t *child = is_map ? &v->u.members[idx].value : &v->u.elems[idx];
        pt_av_t projected;
        if (!project_value(arena, child, sub, nsub, depth + 1, &projected)) continue;
        if (is_map) {
            pt_av_member_t *m = &result.u.members[result.len++];
            *m = v->u.members[idx];
            m->value = projected;
        } else {
            result.u.elems[result.len++] = projected;
        }
    }
    if (!result.len) return false;
    *out = result;
    return true;
}

int pt_expr_project_paths(pt_arena_t *arena, const pt_path_t *paths, uint32_t npaths, const pt_av_t *item,
                          pt_av_t *out)
{
    *out = (pt_av_t){.type = PT_AV_M};
    if (!item || item->type != PT_AV_M || !npaths) return PT_OK;
    const pt_path_t **refs = pt_arena_alloc(arena, npaths * sizeof *refs);
    uint32_t n = 0;
    for (uint32_t i = 0; i < npaths; i++)
        if (paths[i].n) refs[n++] = &paths[i];
    if (!project_value(arena, item, refs, n, 0, out)) *out = (pt_av_t){.type = PT_AV_M};
    return PT_OK;
}

int pt_expr_project(pt_arena_t *arena, const pt_expr_t *projection, const pt_av_t *item, pt_av_t *out)
{
    if (!projection) {
        *out = item ? *item : (pt_av_t){.type = PT_AV_M};
        return PT_OK;
    }
    return pt_expr_project_paths(arena, projection->paths, projection->npaths, item, out);
}

/* ---- references ---- */

static bool path_refers(const pt_path_t *p, const char *name, size_t len, bool *nested)
{
    if (!p->n || p->elems[0].index >= 0 || p->elems[0].len != len || memcmp(p->elems[0].name, name, len)) return false;
    if (p->n > 1) *nested = true;
    return true;
}

static bool node_refers(const pt_enode_t *n, const char *name, size_t len, bool *nested)
{
    if (!n) return false;
    bool found = false;
    if (n->kind == EN_PATH && path_refers(&n->path, name, len, nested)) found = true;
    for (uint32_t i = 0; i < n->nargs; i++)
        if (node_refers(n->args[i], name, len, nested)) found = true;
    return found;
}

bool pt_expr_references(const pt_expr_t *e, const char *name, size_t len, bool *nested)
{
    bool dummy = false;
    if (!nested) nested = &dummy;
    *nested = false;
    if (!e) return false;
    bool found = false;
    if (e->root && node_refers(e->root, name, len, nested)) found = true;
    for (uint32_t i = 0; i < e->npaths; i++)
        if (path_refers(&e->paths[i], name, len, nested)) found = true;
    for (uint32_t i = 0; i < e->nactions; i++)
        if (path_refers(&e->actions[i].path, name, len, nested)) found = true;
    return found;
}

/* ---- key conditions ---- */

typedef struct key_cond {
    const pt_path_t *path;
    pt_key_op_t op;
    const pt_av_t *v1, *v2;
    int legacy_kind;   /* legacy only: the node kind, for "not an indexable operation" */
} key_cond_t;

static int kc_error(pt_error_t *err, const char *msg) { return pt_error_set(err, PT_E_VALIDATION, "%s", msg); }

/* Mirrors DynamoDB's structural checks of a KeyConditionExpression. */
static int kc_collect(const pt_enode_t *n, bool legacy, key_cond_t *conds, uint32_t *nconds, pt_error_t *err)
{
    switch (n->kind) {
    case EN_AND:
        if (kc_collect(n->args[0], legacy, conds, nconds, err)) return PT_ERR;
        return kc_collect(n->args[1], legacy, conds, nconds, err);
    case EN_OR: return kc_error(err, "Invalid operator used in KeyConditionExpression: OR");
    case EN_NOT: return kc_error(err, "Invalid operator used in KeyConditionExpression: NOT");
    case EN_IN:
        if (!legacy) return kc_error(err, "Invalid operator used in KeyConditionExpression: IN");
        break;
    case EN_CMP:
        if (!legacy && n->op == CMP_NE) return kc_error(err, "Invalid operator used in KeyConditionExpression: <>");
        break;
    case EN_EXISTS:
        if (!legacy) return kc_error(err, "Invalid operator used in KeyConditionExpression: attribute_exists");
        break;
    case EN_NOT_EXISTS:
        if (!legacy) return kc_error(err, "Invalid operator used in KeyConditionExpression: attribute_not_exists");
        break;
    case EN_TYPE: return kc_error(err, "Invalid operator used in KeyConditionExpression: attribute_type");
    case EN_CONTAINS:
        if (!legacy) return kc_error(err, "Invalid operator used in KeyConditionExpression: contains");
        break;
    case EN_SIZE: return kc_error(err, "KeyConditionExpressions cannot contain nested operations");
    case EN_BETWEEN:
        if (n->args[0]->kind != EN_PATH)
            return kc_error(err, "Invalid condition in KeyConditionExpression: BETWEEN operator must have the key "
                                 "attribute as its first operand");
        break;
    case EN_BEGINS_WITH:
        if (n->args[0]->kind != EN_PATH)
            return kc_error(err, "Invalid condition in KeyConditionExpression: begins_with operator must have the key "
                                 "attribute as its first operand");
        break;
    default: break;
    }
    const pt_path_t *path = NULL;
    uint32_t path_ix = 0;
    for (uint32_t i = 0; i < n->nargs; i++) {
        const pt_enode_t *a = n->args[i];
        if (a->kind == EN_SIZE) return kc_error(err, "KeyConditionExpressions cannot contain nested operations");
        if (a->kind != EN_PATH) continue;
        if (path) return kc_error(err, "Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition");
        if (a->path.n > 1) return kc_error(err, "KeyConditionExpressions cannot have conditions on nested attributes");
        path = &a->path;
        path_ix = i;
    }
    if (!path) return kc_error(err, "Invalid condition in KeyConditionExpression: No key attribute specified");
    for (uint32_t k = 0; k < *nconds; k++)
        if (conds[k].path->elems[0].len == path->elems[0].len &&
            !memcmp(conds[k].path->elems[0].name, path->elems[0].name, path->elems[0].len))
            return kc_error(err, "KeyConditionExpressions must only contain one condition per key");
    if (*nconds >= 8) return kc_error(err, "Conditions can be of length 1 or 2 only");
    key_cond_t *c = &conds[(*nconds)++];
    *c = (key_cond_t){.path = path, .legacy_kind = n->kind};
    switch (n->kind) {
    case EN_CMP: {
        int op = n->op;
        if (path_ix != 0) { /* :v < k  ==  k > :v */
            static const int flip[] = {CMP_EQ, CMP_NE, CMP_GT, CMP_GE, CMP_LT, CMP_LE};
            op = flip[op];
        }
        static const pt_key_op_t map[] = {PT_KC_EQ, PT_KC_NONE, PT_KC_LT, PT_KC_LE, PT_KC_GT, PT_KC_GE};
        c->op = map[op];
        c->v1 = n->args[path_ix == 0 ? 1 : 0]->value;
        if (op == CMP_NE) c->legacy_kind = -1;
        break;
    }
    case EN_BETWEEN:
        c->op = PT_KC_BETWEEN;
        c->v1 = n->args[1]->value;
        c->v2 = n->args[2]->value;
        break;
    case EN_BEGINS_WITH:
        c->op = PT_KC_BEGINS_WITH;
        c->v1 = n->args[1]->value;
        break;
    default:
        c->op = PT_KC_NONE;
        c->legacy_kind = -1; /* NULL, NOT_NULL, IN, CONTAINS...: not indexable */
        break;
    }
    return PT_OK;
}

static int kc_check_value(const key_cond_t *c, int type, pt_error_t *err)
{
    const pt_av_t *vals[2] = {c->v1, c->v2};
    for (int i = 0; i < 2; i++)
        if (vals[i] && vals[i]->type != type)
            return kc_error(err, "One or more parameter values were invalid: Condition parameter type does not match "
                                 "schema type");
    return PT_OK;
}

int pt_expr_key_condition(const pt_expr_t *kc, const char *hash_name, int hash_type, const char *range_name,
                          int range_type, pt_key_condition_t *out, pt_error_t *err)
{
    key_cond_t conds[8];
    uint32_t n = 0;
    memset(out, 0, sizeof *out);
    if (!kc || !kc->root)
        return pt_error_set(err, PT_E_VALIDATION, "Query condition missed key schema element: %s", hash_name);
    if (kc_collect(kc->root, kc->legacy, conds, &n, err)) return PT_ERR;
    /* BETWEEN bounds and argument types, as for legacy conditions */
    for (uint32_t i = 0; i < n; i++) {
        if (conds[i].op == PT_KC_BETWEEN && conds[i].v1 && conds[i].v2) {
            int c;
            if (conds[i].v1->type != conds[i].v2->type)
                return kc_error(err, "One or more parameter values were invalid: AttributeValues inside "
                                     "AttributeValueList must be of same type");
            if (pt_expr_order(conds[i].v1, conds[i].v2, &c) && c > 0)
                return kc_error(err, "The BETWEEN condition was provided a range where the lower bound is greater "
                                     "than the upper bound");
        }
    }
    if (n != 1 && n != 2) return kc_error(err, "Conditions can be of length 1 or 2 only");
    if (!range_name && n > 1) return kc_error(err, "Query key condition not supported");
    const key_cond_t *hash = NULL, *range = NULL;
    size_t hlen = strlen(hash_name), rlen = range_name ? strlen(range_name) : 0;
    for (uint32_t i = 0; i < n; i++) {
        const pt_path_elem_t *e = &conds[i].path->elems[0];
        if (e->len == hlen && !memcmp(e->name, hash_name, hlen)) hash = &conds[i];
        else if (range_name && e->len == rlen && !memcmp(e->name, range_name, rlen)) range = &conds[i];
    }
    if (!hash) return pt_error_set(err, PT_E_VALIDATION, "Query condition missed key schema element: %s", hash_name);
    if (n == 2 && !range)
        return pt_error_set(err, PT_E_VALIDATION, "Query condition missed key schema element: %s", range_name);
    if (hash->legacy_kind < 0) return kc_error(err, "Attempted conditional constraint is not an indexable operation");
    if (kc_check_value(hash, hash_type, err)) return PT_ERR;
    if (hash->op != PT_KC_EQ) return kc_error(err, "Query key condition not supported");
    if (range) {
        if (range->legacy_kind < 0) return kc_error(err, "Attempted conditional constraint is not an indexable operation");
        if (kc_check_value(range, range_type, err)) return PT_ERR;
        if (range->op == PT_KC_BEGINS_WITH && range_type == PT_AV_N)
            return kc_error(err, "Query key condition not supported");
    }
    out->hash = hash->v1;
    if (range) {
        out->range_op = range->op;
        out->range1 = range->v1;
        out->range2 = range->v2;
    }
    return PT_OK;
}
