/* Applying an update (UpdateExpression or legacy AttributeUpdates) to an
 * item, and the UPDATED_OLD / UPDATED_NEW projections.
 *
 * Semantics (DynamoDB "Update expressions"):
 *  - every SET operand is evaluated against the item as it was before the
 *    update, then the actions are applied in order;
 *  - SET on a list index past the end appends; REMOVE of list elements
 *    leaves the list compacted (indexes name the original positions, so
 *    removals are marked first and the lists compacted at the end);
 *  - ADD adds to a number or unions a set of the same type, creating the
 *    attribute when missing; DELETE removes set elements, and an emptied
 *    set removes the attribute;
 *  - arithmetic is exact decimal (number.h) with DynamoDB's overflow errors.
 *
 * The old item is never modified: the new item shares every value the
 * update does not touch, and each container on an updated path is copied
 * (shallowly) into the arena before it is changed. */
#include "engine/expr_int.h"

#include <string.h>

#define TOMBSTONE 0 /* type of a removed list element until compaction */

static int bad_path(pt_error_t *err)
{
    return pt_error_set(err, PT_E_VALIDATION, "The document path provided in the update expression is invalid for update");
}

static int bad_operand(pt_error_t *err)
{
    return pt_error_set(err, PT_E_VALIDATION, "An operand in the update expression has an incorrect data type");
}

static int num_op(pt_arena_t *arena, const pt_av_t *a, const pt_av_t *b, bool add, pt_av_t *out, pt_error_t *err)
{
    pt_dec_t x, y, r;
    if (pt_dec_parse(a->u.str, a->len, &x, err) || pt_dec_parse(b->u.str, b->len, &y, err)) return PT_ERR;
    if ((add ? pt_dec_add(&x, &y, &r, err) : pt_dec_sub(&x, &y, &r, err))) return PT_ERR;
    char text[PT_DEC_MAX_TEXT];
    size_t n = pt_dec_format_to(&r, text);
    *out = (pt_av_t){.type = PT_AV_N, .len = (uint32_t)n, .u.str = pt_arena_strndup(arena, text, n)};
    return PT_OK;
}

/* Evaluates a SET operand against the old item. */
static int set_value(pt_arena_t *arena, const pt_enode_t *n, const pt_av_t *item, pt_av_t *out, pt_error_t *err)
{
    switch (n->kind) {
    case EN_VALUE: *out = *n->value; return PT_OK;
    case EN_PATH: {
        const pt_av_t *v = pt_expr_resolve(item, &n->path);
        if (!v)
            return pt_error_set(err, PT_E_VALIDATION,
                                "The provided expression refers to an attribute that does not exist in the item");
        *out = *v;
        return PT_OK;
    }
    case EN_IF_NOT_EXISTS: {
        const pt_av_t *v = pt_expr_resolve(item, &n->args[0]->path);
        if (v) {
            *out = *v;
            return PT_OK;
        }
        return set_value(arena, n->args[1], item, out, err);
    }
    case EN_PLUS:
    case EN_MINUS: {
        pt_av_t a, b;
        if (set_value(arena, n->args[0], item, &a, err)) return PT_ERR;
        if (a.type != PT_AV_N) return bad_operand(err);
        if (set_value(arena, n->args[1], item, &b, err)) return PT_ERR;
        if (b.type != PT_AV_N) return bad_operand(err);
        return num_op(arena, &a, &b, n->kind == EN_PLUS, out, err);
    }
    case EN_LIST_APPEND: {
        pt_av_t a, b;
        if (set_value(arena, n->args[0], item, &a, err)) return PT_ERR;
        if (a.type != PT_AV_L) return bad_operand(err);
        if (set_value(arena, n->args[1], item, &b, err)) return PT_ERR;
        if (b.type != PT_AV_L) return bad_operand(err);
        pt_av_t r = {.type = PT_AV_L, .len = a.len + b.len};
        r.u.elems = pt_arena_alloc(arena, (r.len ? r.len : 1) * sizeof(pt_av_t));
        if (a.len) memcpy(r.u.elems, a.u.elems, a.len * sizeof(pt_av_t));
        if (b.len) memcpy(r.u.elems + a.len, b.u.elems, b.len * sizeof(pt_av_t));
        *out = r;
        return PT_OK;
    }
    default: return bad_operand(err);
    }
}

/* The arrays (map members, list elements) this update has copied and may
 * change in place, with their capacity: a container is copied at most once
 * per update however many actions touch it, and inserts grow an owned array
 * geometrically, so memory stays proportional to the item plus the update. */
typedef struct owned {
    pt_arena_t *arena;
    const void **keys;
    uint32_t *caps;
    uint32_t mask;      /* slots - 1 (a power of two) */
} owned_t;

static uint32_t owned_slot(const owned_t *o, const void *ptr)
{
    uint64_t h = (uint64_t)(uintptr_t)ptr * 0x9E3779B97F4A7C15ull;
    uint32_t i = (uint32_t)(h >> 32) & o->mask;
    while (o->keys[i] && o->keys[i] != ptr) i = (i + 1) & o->mask;
    return i;
}

static uint32_t *owned_cap(const owned_t *o, const void *ptr)
{
    if (!ptr) return NULL;
    uint32_t i = owned_slot(o, ptr);
    return o->keys[i] ? &o->caps[i] : NULL;
}

static void owned_add(owned_t *o, const void *ptr, uint32_t cap)
{
    uint32_t i = owned_slot(o, ptr);
    o->keys[i] = ptr;
    o->caps[i] = cap;
}

/* Makes the container `v` privately owned (its member/element array
 * copied), so it can be changed without touching the old item. */
static void own(owned_t *o, pt_av_t *v)
{
    if ((v->type != PT_AV_M && v->type != PT_AV_L) || !v->len) return;
    const void *arr = v->type == PT_AV_M ? (const void *)v->u.members : (const void *)v->u.elems;
    if (owned_cap(o, arr)) return;
    size_t elem = v->type == PT_AV_M ? sizeof(pt_av_member_t) : sizeof(pt_av_t);
    void *copy = pt_arena_alloc(o->arena, v->len * elem);
    memcpy(copy, arr, v->len * elem);
    if (v->type == PT_AV_M) v->u.members = copy;
    else v->u.elems = copy;
    owned_add(o, copy, v->len);
}

/* Room for one more element in an owned array (reallocating geometrically). */
static void *grow(owned_t *o, void *arr, uint32_t len, size_t elem)
{
    uint32_t *cap = owned_cap(o, arr);
    if (cap && *cap > len) return arr;
    uint32_t ncap = len * 2 + 4;
    void *bigger = pt_arena_alloc(o->arena, ncap * elem);
    if (len) memcpy(bigger, arr, len * elem);
    owned_add(o, bigger, ncap);
    return bigger;
}

static pt_av_t *child_of(pt_av_t *v, const pt_path_elem_t *e)
{
    if (e->index >= 0) {
        if (v->type != PT_AV_L || (uint32_t)e->index >= v->len) return NULL;
        pt_av_t *c = &v->u.elems[e->index];
        return c->type == TOMBSTONE ? NULL : c;
    }
    if (v->type != PT_AV_M) return NULL;
    return (pt_av_t *)pt_item_get(v, e->name, e->len);
}

/* Walks to the container holding the path's last element, owning every
 * container on the way; NULL when a step is missing or not a container. */
static pt_av_t *own_parent(owned_t *o, pt_av_t *root, const pt_path_t *path)
{
    pt_av_t *v = root;
    for (uint32_t i = 0; i + 1 < path->n; i++) {
        v = child_of(v, &path->elems[i]);
        if (!v || (v->type != PT_AV_M && v->type != PT_AV_L)) return NULL;
        own(o, v);
    }
    return v;
}

static uint32_t member_pos(const pt_av_t *m, const char *name, uint32_t len)
{
    uint32_t lo = 0, hi = m->len;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        const pt_av_member_t *x = &m->u.members[mid];
        uint32_t n = x->name_len < len ? x->name_len : len;
        int c = memcmp(x->name, name, n);
        if (!c) c = x->name_len < len ? -1 : x->name_len > len;
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* Stores `value` as the last element of the path in `parent` (owned). */
static int store(owned_t *o, pt_av_t *parent, const pt_path_elem_t *e, const pt_av_t *value, pt_error_t *err)
{
    if (e->index >= 0) {
        if (parent->type != PT_AV_L) return bad_path(err);
        if ((uint32_t)e->index < parent->len) {
            parent->u.elems[e->index] = *value;
        } else { /* past the end: appended */
            parent->u.elems = grow(o, parent->u.elems, parent->len, sizeof(pt_av_t));
            parent->u.elems[parent->len++] = *value;
        }
        return PT_OK;
    }
    if (parent->type != PT_AV_M) return bad_path(err);
    uint32_t pos = member_pos(parent, e->name, e->len);
    if (pos < parent->len && parent->u.members[pos].name_len == e->len &&
        !memcmp(parent->u.members[pos].name, e->name, e->len)) {
        parent->u.members[pos].value = *value;
        return PT_OK;
    }
    pt_av_member_t *m = grow(o, parent->u.members, parent->len, sizeof *m);
    if (parent->len > pos) memmove(m + pos + 1, m + pos, (parent->len - pos) * sizeof *m);
    m[pos] = (pt_av_member_t){.name = e->name, .name_len = e->len, .value = *value};
    parent->u.members = m;
    parent->len++;
    return PT_OK;
}

static void unset(pt_av_t *parent, const pt_path_elem_t *e, bool *tombstones)
{
    if (e->index >= 0) {
        if (parent->type == PT_AV_L && (uint32_t)e->index < parent->len) {
            parent->u.elems[e->index].type = TOMBSTONE;
            *tombstones = true;
        }
        return;
    }
    if (parent->type != PT_AV_M) return;
    uint32_t pos = member_pos(parent, e->name, e->len);
    if (pos < parent->len && parent->u.members[pos].name_len == e->len &&
        !memcmp(parent->u.members[pos].name, e->name, e->len)) {
        memmove(parent->u.members + pos, parent->u.members + pos + 1, (parent->len - pos - 1) * sizeof(pt_av_member_t));
        parent->len--;
    }
}

/* Drops removed list elements. Only arrays this update owns can hold a
 * tombstone, so compaction writes only to those. */
static void compact(pt_av_t *v)
{
    if (v->type == PT_AV_M) {
        for (uint32_t i = 0; i < v->len; i++) compact(&v->u.members[i].value);
    } else if (v->type == PT_AV_L) {
        uint32_t k = 0;
        bool changed = false;
        for (uint32_t i = 0; i < v->len; i++) {
            if (v->u.elems[i].type == TOMBSTONE) {
                changed = true;
                continue;
            }
            if (changed) v->u.elems[k] = v->u.elems[i];
            k++;
        }
        v->len = k;
        for (uint32_t i = 0; i < v->len; i++) compact(&v->u.elems[i]);
    }
}

static int member_type(int set_type)
{
    return set_type == PT_AV_SS ? PT_AV_S : set_type == PT_AV_NS ? PT_AV_N : PT_AV_B;
}

static bool set_has(const pt_av_t *set, const pt_av_t *elem)
{
    pt_av_t e = *elem;
    e.type = (uint8_t)member_type(set->type);
    for (uint32_t i = 0; i < set->len; i++) {
        pt_av_t m = set->u.elems[i];
        m.type = e.type;
        if (pt_av_equal(&m, &e)) return true;
    }
    return false;
}

/* Orders set members as av.h requires (bytewise for SS/BS, numeric NS). */
static int set_member_cmp(int set_type, const pt_av_t *a, const pt_av_t *b)
{
    if (set_type == PT_AV_NS) {
        pt_dec_t x, y;
        pt_error_t e;
        if (pt_dec_parse(a->u.str, a->len, &x, &e) || pt_dec_parse(b->u.str, b->len, &y, &e)) return 0;
        return pt_dec_cmp(&x, &y);
    }
    uint32_t n = a->len < b->len ? a->len : b->len;
    int c = n ? memcmp(a->u.str, b->u.str, n) : 0;
    return c ? c : (a->len < b->len ? -1 : a->len > b->len);
}

static void set_union(pt_arena_t *arena, const pt_av_t *a, const pt_av_t *b, pt_av_t *out)
{
    pt_av_t r = {.type = a->type};
    r.u.elems = pt_arena_alloc(arena, (a->len + b->len) * sizeof(pt_av_t));
    uint32_t i = 0, j = 0;
    while (i < a->len || j < b->len) {
        int c = i >= a->len ? 1 : j >= b->len ? -1 : set_member_cmp(a->type, &a->u.elems[i], &b->u.elems[j]);
        if (c <= 0) {
            r.u.elems[r.len++] = a->u.elems[i++];
            if (c == 0) j++;
        } else {
            r.u.elems[r.len++] = b->u.elems[j++];
        }
    }
    *out = r;
}

static void set_minus(pt_arena_t *arena, const pt_av_t *a, const pt_av_t *b, pt_av_t *out)
{
    pt_av_t r = {.type = a->type};
    r.u.elems = pt_arena_alloc(arena, (a->len ? a->len : 1) * sizeof(pt_av_t));
    for (uint32_t i = 0; i < a->len; i++)
        if (!set_has(b, &a->u.elems[i])) r.u.elems[r.len++] = a->u.elems[i];
    *out = r;
}

static bool is_set(int type) { return type == PT_AV_SS || type == PT_AV_NS || type == PT_AV_BS; }

static int value_depth(const pt_av_t *v)
{
    int d = 0;
    if (v->type == PT_AV_M)
        for (uint32_t i = 0; i < v->len; i++) {
            int c = 1 + value_depth(&v->u.members[i].value);
            if (c > d) d = c;
        }
    else if (v->type == PT_AV_L)
        for (uint32_t i = 0; i < v->len; i++) {
            int c = 1 + value_depth(&v->u.elems[i]);
            if (c > d) d = c;
        }
    return d;
}

static int check_depth(const pt_path_t *path, const pt_av_t *v, pt_error_t *err)
{
    if ((int)path->n - 1 + value_depth(v) >= PT_AV_MAX_DEPTH)
        return pt_error_set(err, PT_E_VALIDATION,
                            "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels "
                            "beyond supported limit");
    return PT_OK;
}

static int type_mismatch(const pt_expr_t *u, pt_error_t *err)
{
    if (u->legacy) return pt_error_set(err, PT_E_VALIDATION, "Type mismatch for attribute to update");
    return bad_operand(err);
}

int pt_expr_apply_update(pt_arena_t *arena, const pt_expr_t *update, const pt_av_t *old_item, pt_av_t *new_item,
                         pt_error_t *err)
{
    static const pt_av_t empty = {.type = PT_AV_M};
    if (!old_item) old_item = &empty;
    /* 1. SET operands, against the old item */
    pt_av_t *values = pt_arena_alloc(arena, (update->nactions ? update->nactions : 1) * sizeof *values);
    for (uint32_t i = 0; i < update->nactions; i++) {
        const pt_update_action_t *a = &update->actions[i];
        if (a->action == PT_UA_SET && set_value(arena, a->value, old_item, &values[i], err)) return PT_ERR;
        if (a->action == PT_UA_ADD || a->action == PT_UA_DELETE) values[i] = *a->value->value;
    }
    /* 2. apply in order, on a private copy of the top level */
    uint32_t longest = 1;
    for (uint32_t i = 0; i < update->nactions; i++)
        if (update->actions[i].path.n > longest) longest = update->actions[i].path.n;
    uint32_t slots = 16;
    while (slots < 2 * (update->nactions + 1) * (longest + 2)) slots *= 2;
    owned_t o = {.arena = arena, .mask = slots - 1};
    o.keys = pt_arena_calloc(arena, slots * sizeof *o.keys);
    o.caps = pt_arena_calloc(arena, slots * sizeof *o.caps);
    pt_av_t root = *old_item;
    own(&o, &root);
    bool tombstones = false;
    for (uint32_t i = 0; i < update->nactions; i++) {
        const pt_update_action_t *a = &update->actions[i];
        const pt_path_elem_t *last = &a->path.elems[a->path.n - 1];
        pt_av_t *parent = own_parent(&o, &root, &a->path);
        if (!parent || (last->index >= 0 ? parent->type != PT_AV_L : parent->type != PT_AV_M)) {
            /* legacy DELETE of a missing attribute, like REMOVE, is a no-op */
            return bad_path(err);
        }
        const pt_av_t *existing = child_of(parent, last);
        switch (a->action) {
        case PT_UA_SET:
            if (check_depth(&a->path, &values[i], err)) return PT_ERR;
            if (store(&o, parent, last, &values[i], err)) return PT_ERR;
            break;
        case PT_UA_REMOVE: unset(parent, last, &tombstones); break;
        case PT_UA_ADD: {
            const pt_av_t *v = &values[i];
            pt_av_t result;
            if (!existing) {
                result = *v;
            } else if (v->type == PT_AV_N) {
                if (existing->type != PT_AV_N) return type_mismatch(update, err);
                if (num_op(arena, existing, v, true, &result, err)) return PT_ERR;
            } else if (is_set(v->type)) {
                if (existing->type != v->type) return type_mismatch(update, err);
                set_union(arena, existing, v, &result);
            } else if (v->type == PT_AV_L && update->legacy) {
                if (existing->type != PT_AV_L) return type_mismatch(update, err);
                result = (pt_av_t){.type = PT_AV_L, .len = existing->len + v->len};
                result.u.elems = pt_arena_alloc(arena, (result.len ? result.len : 1) * sizeof(pt_av_t));
                if (existing->len) memcpy(result.u.elems, existing->u.elems, existing->len * sizeof(pt_av_t));
                if (v->len) memcpy(result.u.elems + existing->len, v->u.elems, v->len * sizeof(pt_av_t));
            } else {
                return type_mismatch(update, err);
            }
            if (check_depth(&a->path, &result, err)) return PT_ERR;
            if (store(&o, parent, last, &result, err)) return PT_ERR;
            break;
        }
        case PT_UA_DELETE: {
            if (!existing) break;
            const pt_av_t *v = &values[i];
            if (existing->type != v->type) return type_mismatch(update, err);
            pt_av_t result;
            set_minus(arena, existing, v, &result);
            if (result.len == 0) unset(parent, last, &tombstones);
            else if (store(&o, parent, last, &result, err)) return PT_ERR;
            break;
        }
        default: break;
        }
    }
    if (tombstones) compact(&root);
    *new_item = root;
    return PT_OK;
}

int pt_expr_project_updated(pt_arena_t *arena, const pt_expr_t *update, const pt_av_t *item, pt_av_t *out)
{
    pt_path_t *paths = pt_arena_alloc(arena, (update->nactions ? update->nactions : 1) * sizeof *paths);
    for (uint32_t i = 0; i < update->nactions; i++) paths[i] = update->actions[i].path;
    return pt_expr_project_paths(arena, paths, update->nactions, item, out);
}
