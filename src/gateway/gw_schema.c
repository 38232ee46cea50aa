/* JSON Schema validation of request bodies: the draft-4 subset that API
 * Gateway models use, compiled once from the configuration's YAML tree
 * and run per request.
 *
 * Keywords: type (one name or a list), properties, required,
 * additionalProperties (false or a schema), items (one schema), enum,
 * minLength / maxLength (in code points), minimum / maximum with the
 * draft-4 boolean exclusiveMinimum / exclusiveMaximum, pattern,
 * minItems / maxItems, $ref to a named model of the same API.
 * Annotations ($schema, id, title, description, default, format, example)
 * are accepted and ignored; any other keyword (allOf, oneOf, multipleOf,
 * uniqueItems, ...) is a configuration error rather than silently ignored.
 *
 * Messages are the ones API Gateway's validator (fge
 * json-schema-validator) produces, e.g. `object has missing required
 * properties (["name"])`, each with the JSON pointer of the failing
 * instance. As in that validator, the keywords of a schema are all checked,
 * and its children (properties, items) only when the instance passed them.
 *
 * `pattern` uses POSIX extended regular expressions (regcomp), not ECMA
 * 262: \d \w \s and their negations are translated, but lookaround, lazy
 * quantifiers and backreferences are not available (refused at load when
 * regcomp rejects them). */
#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/gw_internal.h"
#include "util/error.h"

enum {
    T_ARRAY = 1, T_BOOLEAN = 2, T_INTEGER = 4, T_NULL = 8, T_NUMBER = 16, T_OBJECT = 32, T_STRING = 64,
};
static const char *const type_names[] = {"array", "boolean", "integer", "null", "number", "object", "string"};

#define MAX_DEPTH 200

struct gw_schema {
    unsigned types;             /* 0: any */
    const char **prop_names;
    gw_schema_t **props;
    size_t nprops;
    const char **required;      /* sorted (messages list them sorted) */
    size_t nrequired;
    bool no_additional;         /* additionalProperties: false */
    gw_schema_t *additional;    /* additionalProperties: {schema} */
    gw_schema_t *items;
    pt_json_t *enum_vals;
    size_t nenum;
    const char *enum_text;      /* the enum as JSON, for messages */
    long min_len, max_len;      /* -1: unset */
    const char *min_text, *max_text; /* minimum / maximum as written; NULL: unset */
    double min, max;
    bool excl_min, excl_max;
    regex_t *re;
    const char *pattern;
    long min_items, max_items;  /* -1: unset */
    gw_schema_t *ref;           /* $ref target (the other keywords still apply) */
};

gw_schema_t *gw_schema_alloc(pt_arena_t *arena)
{
    gw_schema_t *s = pt_arena_calloc(arena, sizeof *s);
    s->min_len = s->max_len = s->min_items = s->max_items = -1;
    return s;
}

/* ------------------------------------------------------------ compiling */

typedef struct sc {
    pt_arena_t *a;
    const gw_models_t *models;
    void ***regexes;
    size_t *nregexes;
    char *errbuf;
    size_t errlen;
} sc_t;

static int fail(sc_t *c, const char *where, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(sc_t *c, const char *where, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(c->errbuf, c->errlen, "%s: %s", where, msg);
    return PT_ERR;
}

static bool is_number_text(const char *s)
{
    char *end;
    if (!*s) return false;
    double d = strtod(s, &end);
    return !*end && isfinite(d) && (s[0] == '-' || (s[0] >= '0' && s[0] <= '9'));
}

/* A YAML scalar as the JSON value it denotes (plain scalars that are JSON
 * literals are literals; everything else is a string). */
static void scalar_json(pt_arena_t *a, const gw_node_t *n, pt_json_t *out)
{
    memset(out, 0, sizeof *out);
    if (!n->quoted && (!strcmp(n->str, "true") || !strcmp(n->str, "false"))) {
        out->type = n->str[0] == 't' ? PT_JSON_TRUE : PT_JSON_FALSE;
    } else if (!n->quoted && !strcmp(n->str, "null")) {
        out->type = PT_JSON_NULL;
    } else if (!n->quoted && is_number_text(n->str)) {
        out->type = PT_JSON_NUMBER;
        out->u.str = n->str;
        out->len = (uint32_t)n->len;
    } else {
        out->type = PT_JSON_STRING;
        out->u.str = pt_arena_strndup(a, n->str, n->len);
        out->len = (uint32_t)n->len;
    }
}

static bool get_count(const gw_node_t *n, long *out)
{
    if (n->kind != GW_N_SCALAR || n->quoted) return false;
    char *end;
    long v = strtol(n->str, &end, 10);
    if (*end || end == n->str || v < 0) return false;
    *out = v;
    return true;
}

/* ECMA 262 class escapes -> POSIX ERE. */
static char *translate_regex(pt_arena_t *a, const char *re)
{
    pt_buf_t b = PT_BUF_INIT;
    bool in_class = false;
    for (const char *p = re; *p; p++) {
        if (*p == '\\' && p[1]) {
            char e = *++p;
            const char *rep = NULL;
            switch (e) {
            case 'd': rep = in_class ? "0-9" : "[0-9]"; break;
            case 'D': rep = in_class ? NULL : "[^0-9]"; break;
            case 'w': rep = in_class ? "A-Za-z0-9_" : "[A-Za-z0-9_]"; break;
            case 'W': rep = in_class ? NULL : "[^A-Za-z0-9_]"; break;
            case 's': rep = in_class ? "[:space:]" : "[[:space:]]"; break;
            case 'S': rep = in_class ? NULL : "[^[:space:]]"; break;
            default: break;
            }
            if (rep) {
                pt_buf_puts(&b, rep);
            } else if (in_class) {
                pt_buf_putc(&b, e); /* POSIX brackets have no escapes */
            } else {
                pt_buf_putc(&b, '\\');
                pt_buf_putc(&b, e);
            }
            continue;
        }
        if (!in_class && *p == '[') {
            in_class = true;
            pt_buf_putc(&b, *p);
            if (p[1] == '^') pt_buf_putc(&b, *++p);
            if (p[1] == ']') pt_buf_putc(&b, *++p);
            continue;
        }
        if (in_class && *p == ']') in_class = false;
        pt_buf_putc(&b, *p);
    }
    char *out = pt_arena_strndup(a, b.data ? b.data : "", b.len);
    pt_buf_free(&b);
    return out;
}

static int cmp_str(const void *x, const void *y) { return strcmp(*(const char *const *)x, *(const char *const *)y); }

static int compile_node(sc_t *c, const gw_node_t *n, const char *where, gw_schema_t *s);

static int compile_child(sc_t *c, const gw_node_t *n, const char *where, gw_schema_t **out)
{
    *out = gw_schema_alloc(c->a);
    return compile_node(c, n, where, *out);
}

static gw_schema_t *find_model(const gw_models_t *m, const char *ref)
{
    const char *name = ref;
    const char *mp = strstr(ref, "/models/");
    if (mp) name = mp + 8;
    for (size_t i = 0; m && i < m->n; i++)
        if (!strcmp(m->names[i], name)) return m->schemas[i];
    return NULL;
}

static int compile_node(sc_t *c, const gw_node_t *n, const char *where, gw_schema_t *s)
{
    if (n->kind != GW_N_MAP) return fail(c, where, "%s", "a schema is a mapping");
    for (size_t i = 0; i < n->n; i++) {
        const gw_node_t *k = n->pairs[i].key, *v = n->pairs[i].val;
        const char *kw = k->kind == GW_N_SCALAR ? k->str : "?";
        const char *at = pt_arena_sprintf(c->a, "%s.%s", where, kw);
        if (!strcmp(kw, "$schema") || !strcmp(kw, "id") || !strcmp(kw, "title") ||
            !strcmp(kw, "description") || !strcmp(kw, "default") || !strcmp(kw, "format") ||
            !strcmp(kw, "example")) {
            continue;
        } else if (!strcmp(kw, "type")) {
            size_t cnt = v->kind == GW_N_SEQ ? v->n : 1;
            for (size_t t = 0; t < cnt; t++) {
                const gw_node_t *tn = v->kind == GW_N_SEQ ? v->items[t] : v;
                bool ok = false;
                for (size_t j = 0; tn->kind == GW_N_SCALAR && j < 7; j++)
                    if (!strcmp(tn->str, type_names[j])) {
                        s->types |= 1u << j;
                        ok = true;
                    }
                if (!ok) return fail(c, at, "%s", "must be one of array, boolean, integer, null, number, object, string");
            }
        } else if (!strcmp(kw, "properties")) {
            if (v->kind != GW_N_MAP) return fail(c, at, "%s", "must be a mapping of property schemas");
            s->prop_names = pt_arena_calloc(c->a, (v->n ? v->n : 1) * sizeof *s->prop_names);
            s->props = pt_arena_calloc(c->a, (v->n ? v->n : 1) * sizeof *s->props);
            for (size_t j = 0; j < v->n; j++) {
                s->prop_names[j] = v->pairs[j].key->str;
                if (compile_child(c, v->pairs[j].val, pt_arena_sprintf(c->a, "%s.%s", at, v->pairs[j].key->str),
                                  &s->props[j]))
                    return PT_ERR;
            }
            s->nprops = v->n;
        } else if (!strcmp(kw, "required")) {
            if (v->kind != GW_N_SEQ) return fail(c, at, "%s", "must be a list of property names");
            s->required = pt_arena_calloc(c->a, (v->n ? v->n : 1) * sizeof *s->required);
            for (size_t j = 0; j < v->n; j++) {
                if (v->items[j]->kind != GW_N_SCALAR) return fail(c, at, "%s", "must be a list of property names");
                s->required[j] = v->items[j]->str;
            }
            s->nrequired = v->n;
            qsort(s->required, s->nrequired, sizeof *s->required, cmp_str);
        } else if (!strcmp(kw, "additionalProperties")) {
            if (v->kind == GW_N_SCALAR && !v->quoted && (!strcmp(v->str, "false") || !strcmp(v->str, "true"))) {
                s->no_additional = v->str[0] == 'f';
            } else if (compile_child(c, v, at, &s->additional)) {
                return PT_ERR;
            }
        } else if (!strcmp(kw, "items")) {
            if (compile_child(c, v, at, &s->items)) return PT_ERR;
        } else if (!strcmp(kw, "enum")) {
            if (v->kind != GW_N_SEQ || !v->n) return fail(c, at, "%s", "must be a non-empty list");
            s->enum_vals = pt_arena_calloc(c->a, v->n * sizeof *s->enum_vals);
            pt_buf_t b = PT_BUF_INIT;
            pt_jw_t w;
            pt_jw_init(&w, &b);
            pt_jw_arr_begin(&w);
            for (size_t j = 0; j < v->n; j++) {
                if (v->items[j]->kind != GW_N_SCALAR) {
                    pt_buf_free(&b);
                    return fail(c, at, "%s", "enum values must be scalars");
                }
                scalar_json(c->a, v->items[j], &s->enum_vals[j]);
                pt_jw_value(&w, &s->enum_vals[j]);
            }
            pt_jw_arr_end(&w);
            s->nenum = v->n;
            s->enum_text = pt_arena_strndup(c->a, b.data, b.len);
            pt_buf_free(&b);
        } else if (!strcmp(kw, "minLength") || !strcmp(kw, "maxLength") || !strcmp(kw, "minItems") ||
                   !strcmp(kw, "maxItems")) {
            long val;
            if (!get_count(v, &val)) return fail(c, at, "%s", "must be a non-negative integer");
            if (!strcmp(kw, "minLength")) s->min_len = val;
            else if (!strcmp(kw, "maxLength")) s->max_len = val;
            else if (!strcmp(kw, "minItems")) s->min_items = val;
            else s->max_items = val;
        } else if (!strcmp(kw, "minimum") || !strcmp(kw, "maximum")) {
            if (v->kind != GW_N_SCALAR || v->quoted || !is_number_text(v->str))
                return fail(c, at, "%s", "must be a number");
            if (kw[1] == 'i') s->min_text = v->str, s->min = strtod(v->str, NULL);
            else s->max_text = v->str, s->max = strtod(v->str, NULL);
        } else if (!strcmp(kw, "exclusiveMinimum") || !strcmp(kw, "exclusiveMaximum")) {
            if (v->kind != GW_N_SCALAR || v->quoted || (strcmp(v->str, "true") && strcmp(v->str, "false")))
                return fail(c, at, "%s", "must be true or false (draft 4)");
            if (kw[10] == 'i') s->excl_min = v->str[0] == 't';
            else s->excl_max = v->str[0] == 't';
        } else if (!strcmp(kw, "pattern")) {
            if (v->kind != GW_N_SCALAR) return fail(c, at, "%s", "must be a string");
            regex_t *re = malloc(sizeof *re);
            if (!re) pt_oom();
            int rc = regcomp(re, translate_regex(c->a, v->str), REG_EXTENDED | REG_NOSUB);
            if (rc) {
                char eb[128];
                regerror(rc, re, eb, sizeof eb);
                free(re);
                return fail(c, at, "not a supported (POSIX extended) regular expression: %s", eb);
            }
            void **grown = realloc(*c->regexes, (*c->nregexes + 1) * sizeof *grown);
            if (!grown) pt_oom();
            grown[(*c->nregexes)++] = re;
            *c->regexes = grown;
            s->re = re;
            s->pattern = v->str;
        } else if (!strcmp(kw, "$ref")) {
            if (v->kind != GW_N_SCALAR) return fail(c, at, "%s", "must be a model name");
            s->ref = find_model(c->models, v->str);
            if (!s->ref) return fail(c, at, "unknown model '%s'", v->str);
        } else {
            return fail(c, at, "%s", "unsupported JSON Schema keyword (see docs/gateway.md, Request validation)");
        }
    }
    if (s->excl_min && !s->min_text) return fail(c, where, "%s", "exclusiveMinimum needs minimum");
    if (s->excl_max && !s->max_text) return fail(c, where, "%s", "exclusiveMaximum needs maximum");
    return PT_OK;
}

int gw_schema_compile(pt_arena_t *arena, const gw_node_t *node, const gw_models_t *models,
                      void ***regexes, size_t *nregexes, gw_schema_t *out, char *errbuf,
                      size_t errlen)
{
    sc_t c = {arena, models, regexes, nregexes, errbuf, errlen};
    return compile_node(&c, node, "schema", out);
}

void gw_schema_free_regexes(void **regexes, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        regfree(regexes[i]);
        free(regexes[i]);
    }
    free(regexes);
}

/* ------------------------------------------------------------ validating */

typedef struct vs {
    pt_jw_t *w;
    size_t count, max;
    pt_buf_t ptr;               /* JSON pointer of the current instance */
} vs_t;

static void report(vs_t *v, const char *msg)
{
    if (v->count++ >= v->max) return;
    pt_jw_obj_begin(v->w);
    pt_jw_keyz(v->w, "field");
    pt_jw_str(v->w, v->ptr.data ? v->ptr.data : "", v->ptr.len);
    pt_jw_keyz(v->w, "message");
    pt_jw_strz(v->w, msg);
    pt_jw_obj_end(v->w);
}

static bool is_integral(const pt_json_t *j)
{
    return j->type == PT_JSON_NUMBER && !strpbrk(j->u.str, ".eE");
}

static unsigned type_of(const pt_json_t *j)
{
    switch (j->type) {
    case PT_JSON_NULL: return T_NULL;
    case PT_JSON_TRUE:
    case PT_JSON_FALSE: return T_BOOLEAN;
    case PT_JSON_NUMBER: return is_integral(j) ? T_INTEGER : T_NUMBER;
    case PT_JSON_STRING: return T_STRING;
    case PT_JSON_ARRAY: return T_ARRAY;
    default: return T_OBJECT;
    }
}

static const char *type_name(unsigned t)
{
    for (int i = 0; i < 7; i++)
        if (t == 1u << i) return type_names[i];
    return "?";
}

static char *json_text(const pt_json_t *j)
{
    pt_buf_t b = PT_BUF_INIT;
    pt_jw_t w;
    pt_jw_init(&w, &b);
    pt_jw_value(&w, j);
    pt_buf_putc(&b, 0);
    return pt_buf_detach(&b, NULL);
}

static bool json_equal(const pt_json_t *a, const pt_json_t *b)
{
    if (a->type == PT_JSON_NUMBER && b->type == PT_JSON_NUMBER) {
        double x, y;
        return !pt_json_double(a, &x) && !pt_json_double(b, &y) && x == y;
    }
    if (a->type != b->type) return false;
    if (a->type == PT_JSON_STRING) return a->len == b->len && !memcmp(a->u.str, b->u.str, a->len);
    return a->type == PT_JSON_NULL || a->type == PT_JSON_TRUE || a->type == PT_JSON_FALSE;
}

static size_t utf8_len(const char *s, size_t n)
{
    size_t cnt = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80) cnt++;
    return cnt;
}

/* Appends "/name" to the pointer (RFC 6901 escaping); returns the old length. */
static size_t push(vs_t *v, const char *name, size_t len)
{
    size_t old = v->ptr.len;
    pt_buf_putc(&v->ptr, '/');
    for (size_t i = 0; i < len; i++) {
        if (name[i] == '~') pt_buf_puts(&v->ptr, "~0");
        else if (name[i] == '/') pt_buf_puts(&v->ptr, "~1");
        else pt_buf_putc(&v->ptr, name[i]);
    }
    return old;
}

static void validate(vs_t *v, const gw_schema_t *s, const pt_json_t *j, int depth);

static void validate_children(vs_t *v, const gw_schema_t *s, const pt_json_t *j, int depth)
{
    if (j->type == PT_JSON_OBJECT) {
        for (uint32_t i = 0; i < j->len; i++) {
            const pt_json_member_t *m = &j->u.members[i];
            const gw_schema_t *child = NULL;
            for (size_t p = 0; p < s->nprops; p++)
                if (!strcmp(s->prop_names[p], m->key)) child = s->props[p];
            if (!child) child = s->additional;
            if (!child) continue;
            size_t old = push(v, m->key, m->key_len);
            validate(v, child, &m->value, depth + 1);
            v->ptr.len = old;
        }
    } else if (j->type == PT_JSON_ARRAY && s->items) {
        for (uint32_t i = 0; i < j->len; i++) {
            char idx[16];
            int n = snprintf(idx, sizeof idx, "%u", i);
            size_t old = push(v, idx, (size_t)n);
            validate(v, s->items, &j->u.elems[i], depth + 1);
            v->ptr.len = old;
        }
    }
}

static void validate(vs_t *v, const gw_schema_t *s, const pt_json_t *j, int depth)
{
    if (depth > MAX_DEPTH) return; /* $ref cycles without progress: stop */
    size_t before = v->count;
    char msg[512];
    if (s->ref) validate(v, s->ref, j, depth + 1);
    unsigned t = type_of(j);
    /* "integer" is also a "number" (draft 4). */
    if (s->types && !(s->types & t) && !(t == T_INTEGER && (s->types & T_NUMBER))) {
        pt_buf_t allowed = PT_BUF_INIT;
        pt_buf_putc(&allowed, '[');
        for (int i = 0; i < 7; i++)
            if (s->types & (1u << i)) pt_buf_printf(&allowed, "%s\"%s\"", allowed.len > 1 ? "," : "", type_names[i]);
        pt_buf_putc(&allowed, ']');
        snprintf(msg, sizeof msg, "instance type (%s) does not match any allowed primitive type (allowed: %.*s)",
                 type_name(t), (int)allowed.len, allowed.data);
        pt_buf_free(&allowed);
        report(v, msg);
        return; /* the other keywords would only repeat the type problem */
    }
    if (s->nenum) {
        bool found = false;
        for (size_t i = 0; i < s->nenum && !found; i++) found = json_equal(&s->enum_vals[i], j);
        if (!found) {
            char *text = json_text(j);
            snprintf(msg, sizeof msg, "instance value (%.200s) not found in enum (possible values: %.200s)", text,
                     s->enum_text);
            free(text);
            report(v, msg);
        }
    }
    if (t == T_STRING) {
        size_t len = utf8_len(j->u.str, j->len);
        char *text = json_text(j);
        if (s->min_len >= 0 && len < (size_t)s->min_len) {
            snprintf(msg, sizeof msg, "string %.200s is too short (length: %zu, required minimum: %ld)", text, len,
                     s->min_len);
            report(v, msg);
        }
        if (s->max_len >= 0 && len > (size_t)s->max_len) {
            snprintf(msg, sizeof msg, "string %.200s is too long (length: %zu, maximum allowed: %ld)", text, len,
                     s->max_len);
            report(v, msg);
        }
        /* regexec needs a NUL-terminated string; one with an embedded NUL
         * is matched up to it. */
        if (s->re && regexec(s->re, j->u.str, 0, NULL, 0) != 0) {
            snprintf(msg, sizeof msg, "ECMA 262 regex \"%.100s\" does not match input string %.200s", s->pattern, text);
            report(v, msg);
        }
        free(text);
    }
    if (t == T_INTEGER || t == T_NUMBER) {
        double d = 0;
        pt_json_double(j, &d);
        if (s->min_text && (s->excl_min ? d <= s->min : d < s->min)) {
            snprintf(msg, sizeof msg,
                     s->excl_min ? "numeric instance is not greater than the required minimum (minimum: %s, found: %.60s)"
                                 : "numeric instance is lower than the required minimum (minimum: %s, found: %.60s)",
                     s->min_text, j->u.str);
            report(v, msg);
        }
        if (s->max_text && (s->excl_max ? d >= s->max : d > s->max)) {
            snprintf(msg, sizeof msg,
                     s->excl_max ? "numeric instance is not lower than the required maximum (maximum: %s, found: %.60s)"
                                 : "numeric instance is greater than the required maximum (maximum: %s, found: %.60s)",
                     s->max_text, j->u.str);
            report(v, msg);
        }
    }
    if (t == T_ARRAY) {
        if (s->min_items >= 0 && j->len < (uint32_t)s->min_items) {
            snprintf(msg, sizeof msg, "array is too short: must have at least %ld elements but instance has %u elements",
                     s->min_items, j->len);
            report(v, msg);
        }
        if (s->max_items >= 0 && j->len > (uint32_t)s->max_items) {
            snprintf(msg, sizeof msg, "array is too long: must have at most %ld elements but instance has %u elements",
                     s->max_items, j->len);
            report(v, msg);
        }
    }
    if (t == T_OBJECT) {
        pt_buf_t missing = PT_BUF_INIT;
        for (size_t i = 0; i < s->nrequired; i++)
            if (!pt_json_get(j, s->required[i])) {
                pt_buf_puts(&missing, missing.len ? "," : "[");
                pt_jw_t w;
                pt_jw_init(&w, &missing);
                pt_jw_strz(&w, s->required[i]);
            }
        if (missing.len) {
            snprintf(msg, sizeof msg, "object has missing required properties (%.*s])", (int)missing.len, missing.data);
            report(v, msg);
        }
        pt_buf_free(&missing);
        if (s->no_additional) {
            /* fge lists the unwanted names sorted. */
            const char **extra = calloc(j->len ? j->len : 1, sizeof *extra);
            if (!extra) pt_oom();
            size_t ne = 0;
            for (uint32_t i = 0; i < j->len; i++) {
                bool known = false;
                for (size_t p = 0; p < s->nprops && !known; p++) known = !strcmp(s->prop_names[p], j->u.members[i].key);
                if (!known) extra[ne++] = j->u.members[i].key;
            }
            if (ne) {
                qsort(extra, ne, sizeof *extra, cmp_str);
                pt_buf_t b = PT_BUF_INIT;
                pt_jw_t w;
                pt_jw_init(&w, &b);
                pt_jw_arr_begin(&w);
                for (size_t i = 0; i < ne; i++) pt_jw_strz(&w, extra[i]);
                pt_jw_arr_end(&w);
                snprintf(msg, sizeof msg, "object instance has properties which are not allowed by the schema: %.*s",
                         (int)b.len, b.data);
                pt_buf_free(&b);
                report(v, msg);
            }
            free(extra);
        }
    }
    if (v->count == before) validate_children(v, s, j, depth);
}

size_t gw_schema_validate(const gw_schema_t *s, const pt_json_t *doc, pt_jw_t *w, size_t max)
{
    vs_t v = {w, 0, max, PT_BUF_INIT};
    pt_json_t null_doc = {.type = PT_JSON_NULL};
    validate(&v, s, doc ? doc : &null_doc, 0);
    pt_buf_free(&v.ptr);
    return v.count;
}
