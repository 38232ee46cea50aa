/* Request/response templates of the gateway: `${source.name|filter}`
 * placeholders inside a JSON (YAML) tree or a text, compiled once at load
 * and rendered per request.
 *
 * Injection-proofing is structural: a JSON template is rendered by walking
 * the compiled tree with the JSON writer, so a placeholder's value can only
 * ever become one JSON value (a string is escaped by the writer; a body
 * sub-tree is re-serialized from its parsed form). Request data never
 * reaches the output as unparsed text. Text templates used inside JSON
 * strings (mock bodies) escape values as JSON string contents.
 *
 * Sources: path.NAME, query.NAME, header.NAME (case-insensitive), stage.NAME
 * (stage variables), context.NAME (requestId, stage, httpMethod,
 * resourcePath, identity.sourceIp, apiKeyId, authorizer.claims.X (JWT claims),
 * authorizer.X (the authorizer's context: principalId, a custom context) ...),
 * body (the whole JSON body) and body.a.b.0 (members and array indexes).
 * Filters: string, number, bool, json, item, value (see gw_internal.h).
 * "$${" writes a literal "${". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gateway/gw_internal.h"
#include "util/error.h"

/* ------------------------------------------------------------ compiling */

static int parse_ref(pt_arena_t *a, const char *s, size_t len, gw_ref_t **out, char *errbuf,
                     size_t errlen)
{
    gw_ref_t *r = pt_arena_calloc(a, sizeof *r);
    r->text = pt_arena_sprintf(a, "${%.*s}", (int)len, s);
    /* trim */
    while (len && (*s == ' ' || *s == '\t')) s++, len--;
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t')) len--;
    const char *bar = memchr(s, '|', len);
    size_t elen = bar ? (size_t)(bar - s) : len;
    while (elen && (s[elen - 1] == ' ')) elen--;
    r->filter = GW_F_NONE;
    if (bar) {
        const char *f = bar + 1;
        size_t fl = len - (size_t)(f - s);
        while (fl && *f == ' ') f++, fl--;
        static const struct { const char *n; gw_filter_t f; } filters[] = {
            {"string", GW_F_STRING}, {"number", GW_F_NUMBER}, {"bool", GW_F_BOOL},
            {"json", GW_F_JSON},     {"item", GW_F_ITEM},     {"value", GW_F_VALUE},
        };
        bool ok = false;
        for (size_t i = 0; i < sizeof filters / sizeof *filters; i++)
            if (strlen(filters[i].n) == fl && !memcmp(filters[i].n, f, fl)) {
                r->filter = filters[i].f;
                ok = true;
            }
        if (!ok) {
            snprintf(errbuf, errlen, "unknown filter '%.*s' in %s (one of string, number, bool, json, item, value)",
                     (int)fl, f, r->text);
            return PT_ERR;
        }
    }
    const char *dot = memchr(s, '.', elen);
    size_t sl = dot ? (size_t)(dot - s) : elen;
    static const struct { const char *n; gw_source_t s; } sources[] = {
        {"path", GW_SRC_PATH},   {"query", GW_SRC_QUERY}, {"header", GW_SRC_HEADER},
        {"body", GW_SRC_BODY},   {"stage", GW_SRC_STAGE}, {"context", GW_SRC_CONTEXT},
    };
    bool found = false;
    for (size_t i = 0; i < sizeof sources / sizeof *sources; i++)
        if (strlen(sources[i].n) == sl && !memcmp(sources[i].n, s, sl)) {
            r->source = sources[i].s;
            found = true;
        }
    if (!found) {
        snprintf(errbuf, errlen,
                 "unknown placeholder source in %s (one of path, query, header, body, stage, context)",
                 r->text);
        return PT_ERR;
    }
    const char *rest = dot ? dot + 1 : NULL;
    size_t rl = dot ? elen - sl - 1 : 0;
    if (r->source == GW_SRC_BODY) {
        /* body.a.b: split on dots */
        size_t cnt = 0;
        for (size_t i = 0; rest && i <= rl; i++)
            if (i == rl || rest[i] == '.') cnt++;
        r->path = pt_arena_calloc(a, (cnt ? cnt : 1) * sizeof *r->path);
        size_t start = 0;
        for (size_t i = 0; rest && i <= rl; i++)
            if (i == rl || rest[i] == '.') {
                if (i == start) {
                    snprintf(errbuf, errlen, "empty name in %s", r->text);
                    return PT_ERR;
                }
                r->path[r->npath++] = pt_arena_strndup(a, rest + start, i - start);
                start = i + 1;
            }
    } else {
        if (!rest || !rl) {
            snprintf(errbuf, errlen, "%s needs a name (like %.*s.id)", r->text, (int)sl, s);
            return PT_ERR;
        }
        r->path = pt_arena_calloc(a, sizeof *r->path);
        r->path[0] = pt_arena_strndup(a, rest, rl);
        r->npath = 1;
    }
    *out = r;
    return PT_OK;
}

int gw_tpl_compile_text(pt_arena_t *a, const char *text, size_t len, gw_tpl_t **out, char *errbuf,
                        size_t errlen)
{
    gw_tpl_t *t = pt_arena_calloc(a, sizeof *t);
    t->kind = GW_T_STR;
    size_t cap = 4;
    t->parts = pt_arena_alloc(a, cap * sizeof *t->parts);
    pt_buf_t lit = PT_BUF_INIT;
    int rc = PT_OK;
    size_t i = 0;
#define FLUSH_LIT()                                                                 \
    do {                                                                            \
        if (lit.len) {                                                              \
            if (t->nparts == cap) {                                                 \
                gw_part_t *np = pt_arena_alloc(a, cap * 2 * sizeof *np);            \
                memcpy(np, t->parts, cap * sizeof *np);                             \
                t->parts = np, cap *= 2;                                            \
            }                                                                       \
            t->parts[t->nparts++] = (gw_part_t){pt_arena_strndup(a, lit.data, lit.len), lit.len, NULL}; \
            lit.len = 0;                                                            \
        }                                                                           \
    } while (0)
    while (i < len) {
        if (text[i] == '$' && i + 2 < len && text[i + 1] == '$' && text[i + 2] == '{') {
            pt_buf_append(&lit, "${", 2);
            i += 3;
            continue;
        }
        if (text[i] == '$' && i + 1 < len && text[i + 1] == '{') {
            const char *end = memchr(text + i + 2, '}', len - i - 2);
            if (!end) {
                snprintf(errbuf, errlen, "unterminated placeholder '%.*s'", (int)(len - i > 40 ? 40 : len - i), text + i);
                rc = PT_ERR;
                break;
            }
            gw_ref_t *r;
            if ((rc = parse_ref(a, text + i + 2, (size_t)(end - text - i - 2), &r, errbuf, errlen)))
                break;
            FLUSH_LIT();
            if (t->nparts == cap) {
                gw_part_t *np = pt_arena_alloc(a, cap * 2 * sizeof *np);
                memcpy(np, t->parts, cap * sizeof *np);
                t->parts = np, cap *= 2;
            }
            t->parts[t->nparts++] = (gw_part_t){NULL, 0, r};
            i = (size_t)(end - text) + 1;
            continue;
        }
        pt_buf_putc(&lit, text[i++]);
    }
    if (rc == PT_OK) FLUSH_LIT();
#undef FLUSH_LIT
    pt_buf_free(&lit);
    *out = t;
    return rc;
}

static bool plain_json_scalar(const gw_node_t *n)
{
    if (n->quoted) return false;
    const char *s = n->str;
    if (!strcmp(s, "null") || !strcmp(s, "~") || !strcmp(s, "true") || !strcmp(s, "false"))
        return true;
    /* A JSON number? (YAML numbers like 0x1F or .5 stay strings.) */
    pt_arena_t tmp;
    pt_arena_init(&tmp);
    pt_json_t v;
    bool num = pt_json_parse(&tmp, s, n->len, &v, NULL, 0) == PT_OK && v.type == PT_JSON_NUMBER;
    pt_arena_destroy(&tmp);
    return num;
}

int gw_tpl_compile(pt_arena_t *a, const gw_node_t *n, gw_tpl_t **out, char *errbuf, size_t errlen)
{
    gw_tpl_t *t;
    switch (n->kind) {
    case GW_N_SCALAR:
        if (plain_json_scalar(n)) {
            t = pt_arena_calloc(a, sizeof *t);
            t->kind = GW_T_JSON;
            t->json = !strcmp(n->str, "~") ? "null" : n->str;
            *out = t;
            return PT_OK;
        }
        return gw_tpl_compile_text(a, n->str, n->len, out, errbuf, errlen);
    case GW_N_MAP:
    case GW_N_SEQ:
        t = pt_arena_calloc(a, sizeof *t);
        t->kind = n->kind == GW_N_MAP ? GW_T_OBJ : GW_T_ARR;
        t->n = n->n;
        t->vals = pt_arena_calloc(a, (n->n ? n->n : 1) * sizeof *t->vals);
        if (n->kind == GW_N_MAP) t->keys = pt_arena_calloc(a, (n->n ? n->n : 1) * sizeof *t->keys);
        for (size_t i = 0; i < n->n; i++) {
            const gw_node_t *v = n->kind == GW_N_MAP ? n->pairs[i].val : n->items[i];
            if (n->kind == GW_N_MAP) {
                if (n->pairs[i].key->kind != GW_N_SCALAR) {
                    snprintf(errbuf, errlen, "object keys must be strings (line %d)", n->pairs[i].key->line);
                    return PT_ERR;
                }
                t->keys[i] = n->pairs[i].key->str;
            }
            if (gw_tpl_compile(a, v, &t->vals[i], errbuf, errlen)) return PT_ERR;
        }
        *out = t;
        return PT_OK;
    }
    return PT_ERR;
}

/* ------------------------------------------------------------ rendering */

typedef struct val {
    int kind; /* 0 missing, 1 string, 2 json */
    const char *s;
    size_t len;
    const pt_json_t *j;
} val_t;

static const gw_kv_t *kv_find(const gw_kv_t *kv, size_t n, const char *name, bool icase)
{
    for (size_t i = 0; i < n; i++)
        if (icase ? !strcasecmp(kv[i].name, name) : !strcmp(kv[i].name, name)) return &kv[i];
    return NULL;
}

static val_t lookup(const gw_ref_t *r, const gw_tctx_t *c)
{
    val_t v = {0, NULL, 0, NULL};
    const gw_kv_t *kv = NULL;
    switch (r->source) {
    case GW_SRC_PATH: kv = kv_find(c->path, c->npath, r->path[0], false); break;
    case GW_SRC_QUERY: kv = kv_find(c->query, c->nquery, r->path[0], false); break;
    case GW_SRC_HEADER: kv = kv_find(c->headers, c->nheaders, r->path[0], true); break;
    case GW_SRC_STAGE: kv = kv_find(c->stage, c->nstage, r->path[0], false); break;
    case GW_SRC_CONTEXT:
        if (!strncmp(r->path[0], "authorizer.claims.", 18) && c->claims) {
            const pt_json_t *cl = pt_json_get(c->claims, r->path[0] + 18);
            if (cl) {
                v.kind = 2;
                v.j = cl;
            }
            return v;
        }
        if (!strncmp(r->path[0], "authorizer.", 11) && strncmp(r->path[0], "authorizer.claims.", 18)) {
            /* A custom authorizer's context (and every authorizer's principalId). */
            const pt_json_t *cv = c->authorizer ? pt_json_get(c->authorizer, r->path[0] + 11) : NULL;
            if (cv) {
                v.kind = 2;
                v.j = cv;
            }
            return v;
        }
        kv = kv_find(c->context, c->ncontext, r->path[0], false);
        break;
    case GW_SRC_BODY: {
        const pt_json_t *j = c->body;
        for (size_t i = 0; j && i < r->npath; i++) {
            if (j->type == PT_JSON_OBJECT) {
                j = pt_json_get(j, r->path[i]);
            } else if (j->type == PT_JSON_ARRAY) {
                char *end;
                unsigned long idx = strtoul(r->path[i], &end, 10);
                j = (*end || end == r->path[i] || idx >= j->len) ? NULL : &j->u.elems[idx];
            } else {
                j = NULL;
            }
        }
        if (j) {
            v.kind = 2;
            v.j = j;
        }
        return v;
    }
    }
    if (kv) {
        v.kind = 1;
        v.s = kv->value;
        v.len = kv->value_len;
    }
    return v;
}

/* A value as text: strings verbatim, other JSON values as JSON text. */
static void stringify(const val_t *v, pt_buf_t *out)
{
    if (v->kind == 1) {
        pt_buf_append(out, v->s, v->len);
    } else if (v->kind == 2) {
        if (v->j->type == PT_JSON_STRING) {
            pt_buf_append(out, v->j->u.str, v->j->len);
        } else {
            pt_jw_t w;
            pt_jw_init(&w, out);
            pt_jw_value(&w, v->j);
        }
    }
}

int gw_ddb_marshal_value(pt_jw_t *w, const pt_json_t *v)
{
    pt_jw_obj_begin(w);
    switch (v->type) {
    case PT_JSON_NULL: pt_jw_keyz(w, "NULL"); pt_jw_bool(w, true); break;
    case PT_JSON_TRUE:
    case PT_JSON_FALSE: pt_jw_keyz(w, "BOOL"); pt_jw_bool(w, v->type == PT_JSON_TRUE); break;
    case PT_JSON_NUMBER: pt_jw_keyz(w, "N"); pt_jw_str(w, v->u.str, v->len); break;
    case PT_JSON_STRING: pt_jw_keyz(w, "S"); pt_jw_str(w, v->u.str, v->len); break;
    case PT_JSON_ARRAY:
        pt_jw_keyz(w, "L");
        pt_jw_arr_begin(w);
        for (uint32_t i = 0; i < v->len; i++) gw_ddb_marshal_value(w, &v->u.elems[i]);
        pt_jw_arr_end(w);
        break;
    case PT_JSON_OBJECT:
        pt_jw_keyz(w, "M");
        pt_jw_obj_begin(w);
        for (uint32_t i = 0; i < v->len; i++) {
            pt_jw_key(w, v->u.members[i].key, v->u.members[i].key_len);
            gw_ddb_marshal_value(w, &v->u.members[i].value);
        }
        pt_jw_obj_end(w);
        break;
    }
    pt_jw_obj_end(w);
    return PT_OK;
}

static bool is_json_number(const char *s, size_t n)
{
    size_t i = 0;
    if (i < n && s[i] == '-') i++;
    if (i >= n) return false;
    if (s[i] == '0') {
        i++;
    } else if (s[i] >= '1' && s[i] <= '9') {
        while (i < n && s[i] >= '0' && s[i] <= '9') i++;
    } else {
        return false;
    }
    if (i < n && s[i] == '.') {
        i++;
        if (i >= n || s[i] < '0' || s[i] > '9') return false;
        while (i < n && s[i] >= '0' && s[i] <= '9') i++;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) i++;
        if (i >= n || s[i] < '0' || s[i] > '9') return false;
        while (i < n && s[i] >= '0' && s[i] <= '9') i++;
    }
    return i == n;
}

static int typed_insert(pt_jw_t *w, const gw_ref_t *r, const val_t *v, pt_arena_t *a,
                        char *errbuf, size_t errlen)
{
    const char *name = r->text;
    switch (r->filter) {
    case GW_F_NONE:
        if (v->kind == 1)
            pt_jw_str(w, v->s, v->len);
        else
            pt_jw_value(w, v->j);
        return PT_OK;
    case GW_F_STRING: {
        pt_buf_t b = PT_BUF_INIT;
        stringify(v, &b);
        pt_jw_str(w, b.data ? b.data : "", b.len);
        pt_buf_free(&b);
        return PT_OK;
    }
    case GW_F_NUMBER:
        if (v->kind == 2 && v->j->type == PT_JSON_NUMBER) {
            pt_jw_raw(w, v->j->u.str, v->j->len);
            return PT_OK;
        }
        if (v->kind == 1 && is_json_number(v->s, v->len)) {
            pt_jw_raw(w, v->s, v->len);
            return PT_OK;
        }
        if (v->kind == 2 && v->j->type == PT_JSON_STRING && is_json_number(v->j->u.str, v->j->len)) {
            pt_jw_raw(w, v->j->u.str, v->j->len);
            return PT_OK;
        }
        snprintf(errbuf, errlen, "%s must be a number", name);
        return PT_ERR;
    case GW_F_BOOL: {
        const char *s = v->kind == 1 ? v->s : v->j->type == PT_JSON_STRING ? v->j->u.str : NULL;
        size_t n = v->kind == 1 ? v->len : v->j->type == PT_JSON_STRING ? v->j->len : 0;
        if (v->kind == 2 && (v->j->type == PT_JSON_TRUE || v->j->type == PT_JSON_FALSE)) {
            pt_jw_bool(w, v->j->type == PT_JSON_TRUE);
            return PT_OK;
        }
        if (s && n == 4 && !memcmp(s, "true", 4)) { pt_jw_bool(w, true); return PT_OK; }
        if (s && n == 5 && !memcmp(s, "false", 5)) { pt_jw_bool(w, false); return PT_OK; }
        snprintf(errbuf, errlen, "%s must be true or false", name);
        return PT_ERR;
    }
    case GW_F_JSON: {
        const char *s = v->kind == 1 ? v->s : v->j->type == PT_JSON_STRING ? v->j->u.str : NULL;
        size_t n = v->kind == 1 ? v->len : v->j->type == PT_JSON_STRING ? v->j->len : 0;
        if (!s) {
            pt_jw_value(w, v->j);
            return PT_OK;
        }
        pt_json_t parsed;
        if (pt_json_parse(a, s, n, &parsed, NULL, 0)) {
            snprintf(errbuf, errlen, "%s must be valid JSON", name);
            return PT_ERR;
        }
        pt_jw_value(w, &parsed);
        return PT_OK;
    }
    case GW_F_ITEM:
        if (v->kind != 2 || v->j->type != PT_JSON_OBJECT) {
            snprintf(errbuf, errlen, "%s must be a JSON object", name);
            return PT_ERR;
        }
        pt_jw_obj_begin(w);
        for (uint32_t i = 0; i < v->j->len; i++) {
            pt_jw_key(w, v->j->u.members[i].key, v->j->u.members[i].key_len);
            gw_ddb_marshal_value(w, &v->j->u.members[i].value);
        }
        pt_jw_obj_end(w);
        return PT_OK;
    case GW_F_VALUE:
        if (v->kind == 1) {
            pt_jw_obj_begin(w);
            pt_jw_keyz(w, "S");
            pt_jw_str(w, v->s, v->len);
            pt_jw_obj_end(w);
            return PT_OK;
        }
        return gw_ddb_marshal_value(w, v->j);
    }
    return PT_ERR;
}

static bool lone_missing(const gw_tpl_t *t, const gw_tctx_t *c)
{
    return t->kind == GW_T_STR && t->nparts == 1 && t->parts[0].ref &&
           lookup(t->parts[0].ref, c).kind == 0;
}

static int render(pt_jw_t *w, const gw_tpl_t *t, const gw_tctx_t *c, pt_arena_t *a, char *errbuf,
                  size_t errlen)
{
    switch (t->kind) {
    case GW_T_JSON:
        pt_jw_raw(w, t->json, strlen(t->json));
        return PT_OK;
    case GW_T_OBJ:
        pt_jw_obj_begin(w);
        for (size_t i = 0; i < t->n; i++) {
            if (lone_missing(t->vals[i], c)) continue;
            pt_jw_keyz(w, t->keys[i]);
            if (render(w, t->vals[i], c, a, errbuf, errlen)) return PT_ERR;
        }
        pt_jw_obj_end(w);
        return PT_OK;
    case GW_T_ARR:
        pt_jw_arr_begin(w);
        for (size_t i = 0; i < t->n; i++) {
            if (lone_missing(t->vals[i], c)) continue;
            if (render(w, t->vals[i], c, a, errbuf, errlen)) return PT_ERR;
        }
        pt_jw_arr_end(w);
        return PT_OK;
    case GW_T_STR:
        if (t->nparts == 1 && t->parts[0].ref) {
            val_t v = lookup(t->parts[0].ref, c);
            if (v.kind == 0) { /* only reachable at the top level */
                pt_jw_null(w);
                return PT_OK;
            }
            return typed_insert(w, t->parts[0].ref, &v, a, errbuf, errlen);
        } else {
            pt_buf_t b = PT_BUF_INIT;
            for (size_t i = 0; i < t->nparts; i++) {
                if (t->parts[i].ref) {
                    val_t v = lookup(t->parts[i].ref, c);
                    stringify(&v, &b);
                } else {
                    pt_buf_append(&b, t->parts[i].lit, t->parts[i].lit_len);
                }
            }
            pt_jw_str(w, b.data ? b.data : "", b.len);
            pt_buf_free(&b);
            return PT_OK;
        }
    }
    return PT_ERR;
}

int gw_tpl_render_json(const gw_tpl_t *t, const gw_tctx_t *ctx, pt_arena_t *arena, pt_buf_t *out,
                       char *errbuf, size_t errlen)
{
    pt_jw_t w;
    pt_jw_init(&w, out);
    return render(&w, t, ctx, arena, errbuf, errlen);
}

void gw_json_escape(pt_buf_t *out, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        switch (ch) {
        case '"': pt_buf_append(out, "\\\"", 2); break;
        case '\\': pt_buf_append(out, "\\\\", 2); break;
        case '\n': pt_buf_append(out, "\\n", 2); break;
        case '\r': pt_buf_append(out, "\\r", 2); break;
        case '\t': pt_buf_append(out, "\\t", 2); break;
        default:
            if (ch < 0x20) {
                char u[6] = {'\\', 'u', '0', '0', hex[ch >> 4], hex[ch & 15]};
                pt_buf_append(out, u, 6);
            } else {
                pt_buf_putc(out, (char)ch);
            }
        }
    }
}

void gw_tpl_render_text(const gw_tpl_t *t, const gw_tctx_t *ctx, bool escape_json, pt_buf_t *out)
{
    for (size_t i = 0; i < t->nparts; i++) {
        if (!t->parts[i].ref) {
            pt_buf_append(out, t->parts[i].lit, t->parts[i].lit_len);
            continue;
        }
        val_t v = lookup(t->parts[i].ref, ctx);
        pt_buf_t b = PT_BUF_INIT;
        stringify(&v, &b);
        if (escape_json) {
            gw_json_escape(out, b.data ? b.data : "", b.len);
        } else {
            for (size_t k = 0; k < b.len; k++)
                if (b.data[k] != '\r' && b.data[k] != '\n' && b.data[k] != 0) pt_buf_putc(out, b.data[k]);
        }
        pt_buf_free(&b);
    }
}

/* ---------------------------------------------------- DynamoDB -> plain */

void gw_ddb_unmarshal_value(pt_jw_t *w, const pt_json_t *av)
{
    if (!av || av->type != PT_JSON_OBJECT || av->len != 1) {
        if (av) pt_jw_value(w, av); else pt_jw_null(w);
        return;
    }
    const char *t = av->u.members[0].key;
    const pt_json_t *v = &av->u.members[0].value;
    if (!strcmp(t, "S") || !strcmp(t, "B")) {
        pt_jw_value(w, v);
    } else if (!strcmp(t, "N")) {
        if (v->type == PT_JSON_STRING && is_json_number(v->u.str, v->len))
            pt_jw_raw(w, v->u.str, v->len);
        else
            pt_jw_value(w, v);
    } else if (!strcmp(t, "BOOL")) {
        pt_jw_value(w, v);
    } else if (!strcmp(t, "NULL")) {
        pt_jw_null(w);
    } else if (!strcmp(t, "M")) {
        gw_ddb_unmarshal_item(w, v);
    } else if (!strcmp(t, "L")) {
        pt_jw_arr_begin(w);
        for (uint32_t i = 0; v->type == PT_JSON_ARRAY && i < v->len; i++)
            gw_ddb_unmarshal_value(w, &v->u.elems[i]);
        pt_jw_arr_end(w);
    } else if (!strcmp(t, "NS")) {
        pt_jw_arr_begin(w);
        for (uint32_t i = 0; v->type == PT_JSON_ARRAY && i < v->len; i++) {
            const pt_json_t *e = &v->u.elems[i];
            if (e->type == PT_JSON_STRING && is_json_number(e->u.str, e->len))
                pt_jw_raw(w, e->u.str, e->len);
            else
                pt_jw_value(w, e);
        }
        pt_jw_arr_end(w);
    } else { /* SS, BS: arrays of strings already */
        pt_jw_value(w, v);
    }
}

void gw_ddb_unmarshal_item(pt_jw_t *w, const pt_json_t *item)
{
    pt_jw_obj_begin(w);
    for (uint32_t i = 0; item && item->type == PT_JSON_OBJECT && i < item->len; i++) {
        pt_jw_key(w, item->u.members[i].key, item->u.members[i].key_len);
        gw_ddb_unmarshal_value(w, &item->u.members[i].value);
    }
    pt_jw_obj_end(w);
}
