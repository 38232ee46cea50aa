/* Request-parameter checking: see params.h. The messages are Coral's (the
 * framework in front of DynamoDB), as observed against the real service and
 * recorded by dynalite's validations; the order of checks is the order
 * DynamoDB reports them in. */
#include "api/params.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_VALUE_CHARS 300 /* above any table name DynamoDB would print whole */

typedef struct checker {
    pt_violations_t vs;
    pt_error_t *err;
} checker_t;

/* ---- phase 1: JSON kinds ---- */

static const char *java_class(pt_param_type_t t)
{
    switch (t) {
    case PT_P_STRING: return "String";
    case PT_P_BOOL: return "Boolean";
    case PT_P_INTEGER: return "Integer";
    case PT_P_LONG: return "Long";
    default: return "Object";
    }
}

static bool is_integral(const pt_json_t *v)
{
    return !memchr(v->u.str, '.', v->len) && !memchr(v->u.str, 'e', v->len) &&
           !memchr(v->u.str, 'E', v->len);
}

static int serr(pt_error_t *err, const char *msg) { return pt_error_set(err, PT_E_SERIALIZATION, "%s", msg); }

static int check_kind(const pt_json_t *v, const pt_param_t *p, pt_error_t *err);

/* Top-level schemas are short; their members' values are looked up once
 * (member_values) and shared by the three passes of pt_params_check, rather
 * than looked up again by name in each. */
#define MAX_CACHED_MEMBERS 32

/* The value of each member of `members` in `obj` (NULL when absent or JSON
 * null), for up to MAX_CACHED_MEMBERS members; returns how many were
 * filled (the rest are looked up by name). */
static size_t member_values(const pt_json_t *obj, const pt_param_t *members, const pt_json_t **vals)
{
    size_t n = 0;
    for (const pt_param_t *m = members; m->name && n < MAX_CACHED_MEMBERS; m++, n++) {
        const pt_json_t *v = obj ? pt_json_get(obj, m->name) : NULL;
        vals[n] = v && v->type != PT_JSON_NULL ? v : NULL;
    }
    return n;
}

static const pt_json_t *member_value(const pt_json_t *obj, const pt_param_t *m, size_t i, const pt_json_t *const *vals,
                                     size_t nvals)
{
    if (i < nvals) return vals[i];
    const pt_json_t *v = obj ? pt_json_get(obj, m->name) : NULL;
    return v && v->type != PT_JSON_NULL ? v : NULL;
}

static int check_members_cached(const pt_json_t *obj, const pt_param_t *members, const pt_json_t *const *vals,
                                size_t nvals, pt_error_t *err)
{
    size_t i = 0;
    for (const pt_param_t *m = members; m->name; m++, i++) {
        const pt_json_t *v = member_value(obj, m, i, vals, nvals);
        if (v && check_kind(v, m, err)) return PT_ERR;
    }
    return PT_OK;
}

static int check_members(const pt_json_t *obj, const pt_param_t *members, pt_error_t *err)
{
    return check_members_cached(obj, members, NULL, 0, err);
}

static int check_kind(const pt_json_t *v, const pt_param_t *p, pt_error_t *err)
{
    char msg[256];
    switch (p->type) {
    case PT_P_STRING:
    case PT_P_INTEGER:
    case PT_P_LONG:
    case PT_P_BOOL: {
        const char *cls = java_class(p->type);
        if (v->type == PT_JSON_ARRAY) {
            snprintf(msg, sizeof msg, "Unrecognized collection type class java.lang.%s", cls);
            return serr(err, msg);
        }
        if (v->type == PT_JSON_OBJECT) return serr(err, "Start of structure or map found where not expected");
        if (p->type == PT_P_STRING) {
            if (v->type == PT_JSON_STRING) return PT_OK;
            if (v->type == PT_JSON_NUMBER)
                snprintf(msg, sizeof msg, "%s cannot be converted to String",
                         is_integral(v) ? "NUMBER_VALUE" : "DECIMAL_VALUE");
            else
                snprintf(msg, sizeof msg, "%s cannot be converted to String",
                         v->type == PT_JSON_TRUE ? "TRUE_VALUE" : "FALSE_VALUE");
            return serr(err, msg);
        }
        if (p->type == PT_P_BOOL) {
            if (v->type == PT_JSON_TRUE || v->type == PT_JSON_FALSE) return PT_OK;
            if (v->type == PT_JSON_NUMBER) {
                snprintf(msg, sizeof msg, "%s cannot be converted to Boolean",
                         is_integral(v) ? "NUMBER_VALUE" : "DECIMAL_VALUE");
                return serr(err, msg);
            }
            /* strings: Jackson accepts true/false/yes/no/1/0 in any case */
            static const char *const ok[] = {"true", "false", "yes", "no", "1", "0"};
            for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
                if (strlen(ok[i]) == v->len && !strncasecmp(ok[i], v->u.str, v->len)) return PT_OK;
            return serr(err, "Unexpected token received from parser");
        }
        /* Integer / Long */
        if (v->type == PT_JSON_NUMBER) return PT_OK;
        if (v->type == PT_JSON_STRING) {
            snprintf(msg, sizeof msg, "STRING_VALUE cannot be converted to %s", cls);
            return serr(err, msg);
        }
        snprintf(msg, sizeof msg, "%s cannot be converted to %s",
                 v->type == PT_JSON_TRUE ? "TRUE_VALUE" : "FALSE_VALUE", cls);
        return serr(err, msg);
    }
    case PT_P_LIST:
        if (v->type == PT_JSON_OBJECT) return serr(err, "Start of structure or map found where not expected");
        if (v->type != PT_JSON_ARRAY) return serr(err, "Unexpected field type");
        for (uint32_t i = 0; i < v->len; i++) {
            const pt_json_t *e = &v->u.elems[i];
            if (e->type == PT_JSON_NULL) continue;
            if (p->elem && check_kind(e, p->elem, err)) return PT_ERR;
        }
        return PT_OK;
    case PT_P_MAP:
    case PT_P_ATTRS:
        if (v->type == PT_JSON_ARRAY) {
            snprintf(msg, sizeof msg, "Unrecognized collection type java.util.Map<java.lang.String, %s%s>",
                     p->struct_name && strchr(p->struct_name, '.') ? "" : "com.amazonaws.dynamodb.v20120810.",
                     p->struct_name ? p->struct_name : "AttributeValue");
            return serr(err, msg);
        }
        if (v->type != PT_JSON_OBJECT) return serr(err, "Unexpected field type");
        if (p->type == PT_P_MAP && p->elem)
            for (uint32_t i = 0; i < v->len; i++) {
                const pt_json_t *e = &v->u.members[i].value;
                if (e->type != PT_JSON_NULL && check_kind(e, p->elem, err)) return PT_ERR;
            }
        return PT_OK;
    case PT_P_AV:
        if (v->type == PT_JSON_ARRAY) {
            snprintf(msg, sizeof msg, "Unrecognized collection type class com.amazonaws.dynamodb.v20120810.AttributeValue");
            return serr(err, msg);
        }
        if (v->type != PT_JSON_OBJECT) return serr(err, "Unexpected value type in payload");
        return PT_OK;
    case PT_P_VSTRUCT:
    case PT_P_FSTRUCT:
        if (v->type == PT_JSON_ARRAY) {
            snprintf(msg, sizeof msg, "Unrecognized collection type class com.amazonaws.dynamodb.v20120810.%s",
                     p->struct_name ? p->struct_name : "Object");
            return serr(err, msg);
        }
        if (v->type != PT_JSON_OBJECT)
            return serr(err, p->type == PT_P_VSTRUCT ? "Unexpected value type in payload" : "Unexpected field type");
        return check_members(v, p->members, err);
    }
    return PT_OK;
}

/* ---- phase 2: constraints ---- */

static void value_str(const pt_json_t *v, pt_buf_t *b);

static void value_str(const pt_json_t *v, pt_buf_t *b)
{
    switch (v->type) {
    case PT_JSON_STRING: pt_buf_append(b, v->u.str, v->len); break;
    case PT_JSON_NUMBER: pt_buf_append(b, v->u.str, v->len); break;
    case PT_JSON_TRUE: pt_buf_puts(b, "true"); break;
    case PT_JSON_FALSE: pt_buf_puts(b, "false"); break;
    case PT_JSON_NULL: pt_buf_puts(b, "null"); break;
    case PT_JSON_ARRAY:
        pt_buf_putc(b, '[');
        for (uint32_t i = 0; i < v->len; i++) {
            if (i) pt_buf_puts(b, ", ");
            value_str(&v->u.elems[i], b);
        }
        pt_buf_putc(b, ']');
        break;
    case PT_JSON_OBJECT: {
        /* JSON-ish rendering, as the service prints structures */
        pt_buf_putc(b, '{');
        for (uint32_t i = 0; i < v->len; i++) {
            if (i) pt_buf_puts(b, ", ");
            pt_buf_append(b, v->u.members[i].key, v->u.members[i].key_len);
            pt_buf_putc(b, '=');
            value_str(&v->u.members[i].value, b);
        }
        pt_buf_putc(b, '}');
        break;
    }
    }
}

void pt_violation_add(pt_violations_t *vs, const pt_json_t *v, const char *path, const char *constraint)
{
    if (vs->n >= PT_MAX_VIOLATIONS) return;
    pt_buf_t b = PT_BUF_INIT;
    pt_buf_puts(&b, "Value ");
    if (!v || v->type == PT_JSON_NULL) {
        pt_buf_puts(&b, "null");
    } else {
        pt_buf_t value = PT_BUF_INIT;
        value_str(v, &value);
        pt_buf_putc(&b, '\'');
        size_t keep = value.len;
        if (keep > MAX_VALUE_CHARS) {
            /* cut at a character boundary: the message must stay UTF-8 */
            keep = MAX_VALUE_CHARS;
            while (keep > 0 && ((unsigned char)value.data[keep] & 0xC0) == 0x80) keep--;
        }
        pt_buf_append(&b, value.data, keep);
        if (value.len > MAX_VALUE_CHARS) pt_buf_puts(&b, "...");
        pt_buf_putc(&b, '\'');
        pt_buf_free(&value);
    }
    pt_buf_printf(&b, " at '%s' failed to satisfy constraint: %s", path, constraint);
    vs->msgs[vs->n++] = pt_arena_strndup(vs->arena, b.data, b.len);
    pt_buf_free(&b);
}

int pt_violations_report(const pt_violations_t *vs, pt_error_t *err)
{
    if (!vs->n) return PT_OK;
    pt_buf_t b = PT_BUF_INIT;
    pt_buf_printf(&b, "%d validation error%s detected: ", vs->n, vs->n > 1 ? "s" : "");
    for (int i = 0; i < vs->n; i++) {
        if (i) pt_buf_puts(&b, "; ");
        pt_buf_puts(&b, vs->msgs[i]);
    }
    pt_buf_putc(&b, 0);
    pt_error_set(err, PT_E_VALIDATION, "%s", b.data);
    pt_buf_free(&b);
    return PT_ERR;
}

/* A member's path ("tableName", "expected.x.member.value"), built only
 * when a violation is reported: most members of most requests are valid,
 * and building every path cost an allocation and copies per schema member
 * and per list or map element (docs/performance.md). A path is a chain of
 * segments up to the top (parent NULL, empty text). */
typedef struct lazy_path {
    struct lazy_path *parent;
    const char *name;         /* struct member: schema name (first letter lower-cased on output) */
    const char *map_key;      /* map element: "<key>.member" */
    uint32_t list_index;      /* list element (1-based): "<index>.member"; 0: not a list element */
    const char *full;         /* the built path, once built */
} lazy_path_t;

static const char *path_of(checker_t *c, lazy_path_t *lp);

static const char *build_path(checker_t *c, lazy_path_t *lp)
{
    if (!lp->parent) return "";
    const char *parent = path_of(c, lp->parent);
    if (lp->list_index) return pt_arena_sprintf(c->vs.arena, "%s.%u.member", parent, lp->list_index);
    if (lp->map_key) return pt_arena_sprintf(c->vs.arena, "%s.%s.member", parent, lp->map_key);
    /* DynamoDB reports member paths with a lower-case first letter. memcpy,
     * not printf: same text as "%s.%c%s" (or "%c%s" at the top). */
    const char *name = lp->name;
    char first = name[0] >= 'A' && name[0] <= 'Z' ? (char)(name[0] - 'A' + 'a') : name[0];
    size_t plen = strlen(parent), nlen = strlen(name);
    char *out = pt_arena_alloc(c->vs.arena, plen + 1 + nlen + 1), *p = out;
    if (plen) {
        memcpy(p, parent, plen);
        p += plen;
        *p++ = '.';
    }
    if (nlen) {
        *p++ = first;
        memcpy(p, name + 1, nlen - 1);
        p += nlen - 1;
    }
    *p = '\0';
    return out;
}

/* Paths are built at most once; `lp` is mutable only for that cache. */
static const char *path_of(checker_t *c, lazy_path_t *lp)
{
    if (!lp->full) lp->full = build_path(c, lp);
    return lp->full;
}

static void fail(checker_t *c, const pt_json_t *v, lazy_path_t *lp, const char *constraint)
{
    if (c->vs.n >= PT_MAX_VIOLATIONS) return;
    pt_violation_add(&c->vs, v, path_of(c, lp), constraint);
}

bool pt_name_chars_ok(const char *s, uint32_t len)
{
    if (!len) return false;
    for (uint32_t i = 0; i < len; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '.' || ch == '-'))
            return false;
    }
    return true;
}

int64_t pt_java_length(const char *s, uint32_t len)
{
    int64_t n = 0;
    for (uint32_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if ((ch & 0xC0) != 0x80) n += (ch >= 0xF0) ? 2 : 1;
    }
    return n;
}

static int64_t json_length(const pt_json_t *v)
{
    return v->type == PT_JSON_STRING ? pt_java_length(v->u.str, v->len) : v->len;
}

static double json_num(const pt_json_t *v)
{
    double d = 0;
    pt_json_double(v, &d);
    return d;
}

static void check_value(checker_t *c, const pt_json_t *v, const pt_param_t *p, lazy_path_t *path);

static void check_struct_cached(checker_t *c, const pt_json_t *obj, const pt_param_t *members, lazy_path_t *parent,
                                const pt_json_t *const *vals, size_t nvals)
{
    size_t i = 0;
    for (const pt_param_t *m = members; m->name; m++, i++) {
        lazy_path_t lp = {.parent = parent, .name = m->name};
        check_value(c, member_value(obj, m, i, vals, nvals), m, &lp);
    }
}

static void check_value(checker_t *c, const pt_json_t *v, const pt_param_t *p, lazy_path_t *path)
{
    if (v && v->type == PT_JSON_NULL) v = NULL;
    if (!v) {
        if (p->flags & PT_P_NOT_NULL) fail(c, NULL, path, "Member must not be null");
        return;
    }
    if (p->flags & PT_P_NAME_REGEX && v->type == PT_JSON_STRING && !pt_name_chars_ok(v->u.str, v->len))
        fail(c, v, path, "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+");
    if (p->flags & PT_P_HAS_MINLEN && json_length(v) < p->min_len) {
        char m[96];
        snprintf(m, sizeof m, "Member must have length greater than or equal to %lld", (long long)p->min_len);
        fail(c, v, path, m);
    }
    if (p->flags & PT_P_HAS_MAXLEN && json_length(v) > p->max_len) {
        char m[96];
        snprintf(m, sizeof m, "Member must have length less than or equal to %lld", (long long)p->max_len);
        fail(c, v, path, m);
    }
    if (p->flags & PT_P_HAS_MIN && v->type == PT_JSON_NUMBER && floor(json_num(v)) < (double)p->min) {
        char m[96];
        snprintf(m, sizeof m, "Member must have value greater than or equal to %lld", (long long)p->min);
        fail(c, v, path, m);
    }
    if (p->flags & PT_P_HAS_MAX && v->type == PT_JSON_NUMBER && floor(json_num(v)) > (double)p->max) {
        char m[96];
        snprintf(m, sizeof m, "Member must have value less than or equal to %lld", (long long)p->max);
        fail(c, v, path, m);
    }
    if (p->enums && v->type == PT_JSON_STRING) {
        bool found = false;
        for (const char *const *e = p->enums; *e; e++)
            if (strlen(*e) == v->len && !memcmp(*e, v->u.str, v->len)) found = true;
        if (!found) {
            pt_buf_t b = PT_BUF_INIT;
            pt_buf_puts(&b, "Member must satisfy enum value set: [");
            for (const char *const *e = p->enums; *e; e++) {
                if (e != p->enums) pt_buf_puts(&b, ", ");
                pt_buf_puts(&b, *e);
            }
            pt_buf_putc(&b, ']');
            pt_buf_putc(&b, 0);
            fail(c, v, path, b.data);
            pt_buf_free(&b);
        }
    }
    switch (p->type) {
    case PT_P_LIST:
        if (p->elem && v->type == PT_JSON_ARRAY)
            for (uint32_t i = 0; i < v->len; i++) {
                lazy_path_t lp = {.parent = path, .list_index = i + 1};
                check_value(c, &v->u.elems[i], p->elem, &lp);
            }
        break;
    case PT_P_MAP:
        if (p->elem && v->type == PT_JSON_OBJECT)
            for (uint32_t i = 0; i < v->len; i++) {
                lazy_path_t lp = {.parent = path, .map_key = v->u.members[i].key};
                check_value(c, &v->u.members[i].value, p->elem, &lp);
            }
        break;
    case PT_P_VSTRUCT:
    case PT_P_FSTRUCT:
        if (v->type == PT_JSON_OBJECT) check_struct_cached(c, v, p->members, path, NULL, 0);
        break;
    default:
        break;
    }
}

int pt_params_check(pt_arena_t *arena, const pt_json_t *req, const pt_param_t *schema, pt_error_t *err)
{
    if (req->type != PT_JSON_OBJECT)
        return pt_error_set(err, PT_E_SERIALIZATION, "Start of list found where not expected");
    const pt_json_t *vals[MAX_CACHED_MEMBERS];
    size_t nvals = member_values(req, schema, vals);
    if (check_members_cached(req, schema, vals, nvals, err)) return PT_ERR;

    size_t i = 0;
    for (const pt_param_t *p = schema; p->name; p++, i++) {
        if (!(p->flags & (PT_P_REQUIRED | PT_P_TABLE_NAME))) continue;
        const pt_json_t *v = member_value(req, p, i, vals, nvals);
        if (p->flags & PT_P_REQUIRED && !v)
            return pt_error_set(err, PT_E_VALIDATION,
                                "The parameter '%s' is required but was not present in the request", p->name);
        if (p->flags & PT_P_TABLE_NAME && v && v->type == PT_JSON_STRING) {
            int64_t n = json_length(v);
            if (n < 3 || n > 255)
                return pt_error_set(err, PT_E_VALIDATION,
                                    "%s must be at least 3 characters long and at most 255 characters long",
                                    p->name);
        }
    }

    checker_t c = {.vs = {.arena = arena}, .err = err};
    lazy_path_t top = {.parent = NULL};
    check_struct_cached(&c, req, schema, &top, vals, nvals);
    return pt_violations_report(&c.vs, err);
}

const pt_json_t *pt_param(const pt_json_t *req, const char *name)
{
    const pt_json_t *v = pt_json_get(req, name);
    return v && v->type != PT_JSON_NULL ? v : NULL;
}

const char *pt_param_str(const pt_json_t *req, const char *name, uint32_t *len)
{
    const pt_json_t *v = pt_param(req, name);
    if (!v || v->type != PT_JSON_STRING) {
        if (len) *len = 0;
        return NULL;
    }
    if (len) *len = v->len;
    return v->u.str;
}

bool pt_json_truthy(const pt_json_t *v)
{
    if (!v) return false;
    if (v->type == PT_JSON_TRUE) return true;
    if (v->type == PT_JSON_STRING)
        return (v->len == 4 && !strncasecmp(v->u.str, "true", 4)) ||
               (v->len == 3 && !strncasecmp(v->u.str, "yes", 3)) || (v->len == 1 && v->u.str[0] == '1');
    return false;
}

bool pt_param_bool(const pt_json_t *req, const char *name, bool dflt)
{
    const pt_json_t *v = pt_param(req, name);
    return v ? pt_json_truthy(v) : dflt;
}

int64_t pt_param_int(const pt_json_t *req, const char *name, int64_t dflt)
{
    const pt_json_t *v = pt_param(req, name);
    if (!v || v->type != PT_JSON_NUMBER) return dflt;
    double d = 0;
    if (pt_json_double(v, &d)) return dflt;
    d = floor(d);
    if (d > 9.2e18) return INT64_MAX;
    if (d < -9.2e18) return INT64_MIN;
    return (int64_t)d;
}
