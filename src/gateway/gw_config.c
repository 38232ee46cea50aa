/* Loading, validating and compiling the `gateway:` section of the
 * configuration file into an immutable gw_config_t.
 *
 * The whole file is parsed (YAML; JSON is YAML), only `gateway:` is
 * interpreted: other top-level sections belong to other parts of the
 * server (credentials, ...) and are ignored here. Validation is whole: every
 * problem found is reported, not only the first, each as
 * "FILE:LINE:COL: gateway.apis[0].routes[2].integration.type: message",
 * and unknown fields are errors (a typo must not silently disable a
 * throttle or an authorizer). Nothing is half-applied: a configuration is
 * either compiled completely or rejected.
 *
 * The reference of every field is docs/gateway.md; keep the two in step. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "gateway/gw_internal.h"
#include "util/hostport.h"
#include "util/error.h"

#define MAX_ERRORS 50
#define DEFAULT_MAX_BODY (10u * 1024u * 1024u)
#define DEFAULT_HTTP_TIMEOUT_MS 29000u

typedef struct vc {
    const char *file;
    pt_arena_t *a;
    pt_buf_t errs;
    int nerr;
    gw_config_t *c;             /* being compiled (authorizers, regexes) */
} vc_t;

static void verr(vc_t *v, const gw_node_t *n, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void verr(vc_t *v, const gw_node_t *n, const char *path, const char *fmt, ...)
{
    v->nerr++;
    if (v->nerr > MAX_ERRORS) return;
    if (n)
        pt_buf_printf(&v->errs, "%s:%d:%d: %s: ", v->file, n->line, n->col, path);
    else
        pt_buf_printf(&v->errs, "%s: %s: ", v->file, path);
    va_list ap;
    va_start(ap, fmt);
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    pt_buf_puts(&v->errs, msg);
    pt_buf_putc(&v->errs, '\n');
}

static const char *P(vc_t *v, const char *base, const char *field)
{
    return pt_arena_sprintf(v->a, "%s.%s", base, field);
}

static const char *PI(vc_t *v, const char *base, size_t i)
{
    return pt_arena_sprintf(v->a, "%s[%zu]", base, i);
}

static bool expect_kind(vc_t *v, const gw_node_t *n, const char *path, gw_node_kind_t k)
{
    if (n->kind == k) return true;
    static const char *names[] = {"a scalar", "a mapping", "a list"};
    verr(v, n, path, "must be %s", names[k]);
    return false;
}

/* Unknown keys are errors: lists the allowed ones. */
static void check_keys(vc_t *v, const gw_node_t *map, const char *path, const char *const *allowed)
{
    for (size_t i = 0; i < map->n; i++) {
        const gw_node_t *k = map->pairs[i].key;
        if (k->kind != GW_N_SCALAR) {
            verr(v, k, path, "keys must be strings");
            continue;
        }
        bool ok = false;
        for (const char *const *a = allowed; *a; a++)
            if (!strcmp(*a, k->str)) ok = true;
        for (size_t j = 0; j < i; j++)
            if (map->pairs[j].key->kind == GW_N_SCALAR && !strcmp(map->pairs[j].key->str, k->str)) {
                verr(v, k, P(v, path, k->str), "duplicate field");
                ok = true;
                break;
            }
        if (!ok) {
            pt_buf_t b = PT_BUF_INIT;
            for (const char *const *a = allowed; *a; a++) {
                if (a != allowed) pt_buf_puts(&b, ", ");
                pt_buf_puts(&b, *a);
            }
            pt_buf_putc(&b, 0);
            verr(v, k, P(v, path, k->str), "unknown field (expected one of: %s)", b.data);
            pt_buf_free(&b);
        }
    }
}

static const char *get_str(vc_t *v, const gw_node_t *map, const char *key, const char *path,
                           bool required, const gw_node_t **where)
{
    gw_node_t *n = gw_node_get(map, key);
    if (where) *where = n;
    if (!n) {
        if (required) verr(v, map, P(v, path, key), "required field is missing");
        return NULL;
    }
    if (n->kind != GW_N_SCALAR) {
        verr(v, n, P(v, path, key), "must be a string");
        return NULL;
    }
    return n->str;
}

static bool get_num(vc_t *v, const gw_node_t *map, const char *key, const char *path, double min,
                    double max, double *out)
{
    gw_node_t *n = gw_node_get(map, key);
    if (!n) return false;
    char *end;
    errno = 0;
    double d = n->kind == GW_N_SCALAR && !n->quoted ? strtod(n->str, &end) : NAN;
    if (n->kind != GW_N_SCALAR || n->quoted || errno || end == n->str || *end || !isfinite(d)) {
        verr(v, n, P(v, path, key), "must be a number");
        return false;
    }
    if (d < min || d > max) {
        verr(v, n, P(v, path, key), "must be between %g and %g", min, max);
        return false;
    }
    *out = d;
    return true;
}

static bool get_bool(vc_t *v, const gw_node_t *map, const char *key, const char *path, bool *out)
{
    gw_node_t *n = gw_node_get(map, key);
    if (!n) return false;
    if (n->kind == GW_N_SCALAR && !n->quoted && (!strcmp(n->str, "true") || !strcmp(n->str, "false"))) {
        *out = !strcmp(n->str, "true");
        return true;
    }
    verr(v, n, P(v, path, key), "must be true or false");
    return false;
}

static bool name_ok(const char *s)
{
    if (!*s) return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '-' || *s == '_'))
            return false;
    return true;
}

/* Strings of a list (or a single scalar). */
static const char **get_str_list(vc_t *v, const gw_node_t *map, const char *key, const char *path,
                                 size_t *count)
{
    *count = 0;
    gw_node_t *n = gw_node_get(map, key);
    if (!n) return NULL;
    const char *p = P(v, path, key);
    if (n->kind == GW_N_SCALAR) {
        const char **out = pt_arena_alloc(v->a, sizeof *out);
        out[0] = n->str;
        *count = 1;
        return out;
    }
    if (!expect_kind(v, n, p, GW_N_SEQ)) return NULL;
    const char **out = pt_arena_calloc(v->a, (n->n ? n->n : 1) * sizeof *out);
    for (size_t i = 0; i < n->n; i++) {
        if (n->items[i]->kind != GW_N_SCALAR) {
            verr(v, n->items[i], PI(v, p, i), "must be a string");
            continue;
        }
        out[(*count)++] = n->items[i]->str;
    }
    return out;
}

static const char *join(vc_t *v, const char **items, size_t n)
{
    pt_buf_t b = PT_BUF_INIT;
    for (size_t i = 0; i < n; i++) {
        if (i) pt_buf_puts(&b, ", ");
        pt_buf_puts(&b, items[i]);
    }
    const char *s = pt_arena_strndup(v->a, b.data ? b.data : "", b.len);
    pt_buf_free(&b);
    return s;
}

static void parse_throttle(vc_t *v, const gw_node_t *map, const char *key, const char *path,
                           gw_throttle_t *t)
{
    gw_node_t *n = gw_node_get(map, key);
    t->set = false;
    if (!n) return;
    const char *p = P(v, path, key);
    if (!expect_kind(v, n, p, GW_N_MAP)) return;
    static const char *const keys[] = {"rate", "burst", NULL};
    check_keys(v, n, p, keys);
    double rate = 0, burst = -1;
    if (!get_num(v, n, "rate", p, 0.001, 1e9, &rate)) {
        if (!gw_node_get(n, "rate")) verr(v, n, P(v, p, "rate"), "required field is missing");
        return;
    }
    if (!get_num(v, n, "burst", p, 1, 1e9, &burst)) burst = rate < 1 ? 1 : ceil(rate);
    t->set = true;
    t->rate = rate;
    t->burst = burst;
}

/* Splits "/a/{b}/c" into segments; checks the template syntax. */
static bool split_template(vc_t *v, const gw_node_t *n, const char *p, const char *path,
                           bool allow_params, const char ***segs, size_t *nsegs, bool *greedy)
{
    *nsegs = 0;
    *greedy = false;
    if (path[0] != '/') {
        verr(v, n, p, "must start with '/'");
        return false;
    }
    size_t cnt = 0;
    for (const char *s = path; *s; s++)
        if (*s == '/') cnt++;
    *segs = pt_arena_calloc(v->a, (cnt + 1) * sizeof **segs);
    if (!strcmp(path, "/")) return true;
    const char *s = path + 1;
    while (true) {
        const char *e = strchr(s, '/');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        if (len == 0) {
            verr(v, n, p, "empty path segment in '%s'%s", path,
                 e || *nsegs ? "" : " (no trailing '/')");
            return false;
        }
        char *seg = pt_arena_strndup(v->a, s, len);
        bool has_brace = strpbrk(seg, "{}") != NULL;
        if (has_brace) {
            if (!allow_params) {
                verr(v, n, p, "must not contain parameters");
                return false;
            }
            bool g = len >= 4 && seg[len - 2] == '+';
            size_t nl = len - 2 - (g ? 1 : 0);
            bool ok = seg[0] == '{' && seg[len - 1] == '}' && nl > 0;
            for (size_t i = 1; ok && i < 1 + nl; i++) {
                char ch = seg[i];
                if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                      ch == '_' || ch == '-' || ch == '.'))
                    ok = false;
            }
            if (!ok) {
                verr(v, n, p, "bad path parameter '%s' (a whole segment: {name} or {name+})", seg);
                return false;
            }
            if (g) {
                if (e) {
                    verr(v, n, p, "greedy parameter '%s' must be the last segment", seg);
                    return false;
                }
                *greedy = true;
            }
            for (size_t k = 0; k < *nsegs; k++)
                if ((*segs)[k][0] == '{' && !strncmp((*segs)[k] + 1, seg + 1, nl) &&
                    ((*segs)[k][nl + 1] == '}' || (*segs)[k][nl + 1] == '+')) {
                    verr(v, n, p, "parameter {%.*s} appears twice", (int)nl, seg + 1);
                    return false;
                }
        }
        if (*nsegs >= GW_MAX_SEGS) {
            verr(v, n, p, "more than %d segments", GW_MAX_SEGS);
            return false;
        }
        (*segs)[(*nsegs)++] = seg;
        if (!e) break;
        s = e + 1;
    }
    return true;
}

/* In URLs, "{name}" (API Gateway's style, as in http://host/{proxy}) is
 * short for "${path.name}"; "{name+}" too. */
static const char *url_shorthand(pt_arena_t *a, const char *url)
{
    pt_buf_t b = PT_BUF_INIT;
    for (const char *p = url; *p; p++) {
        const char *close = *p == '{' ? strchr(p, '}') : NULL;
        if (close && (p == url || p[-1] != '$') && close > p + 1) {
            size_t n = (size_t)(close - p - 1);
            if (p[n] == '+') n--;
            pt_buf_printf(&b, "${path.%.*s}", (int)n, p + 1);
            p = close;
        } else {
            pt_buf_putc(&b, *p);
        }
    }
    const char *out = pt_arena_strndup(a, b.data ? b.data : "", b.len);
    pt_buf_free(&b);
    return out;
}

static void parse_integration(vc_t *v, const gw_node_t *n, const char *p, gw_integration_t *ig)
{
    if (!expect_kind(v, n, p, GW_N_MAP)) return;
    const gw_node_t *tn;
    const char *type = get_str(v, n, "type", p, true, &tn);
    if (!type) return;
    char eb[512];
    if (!strcmp(type, "mock")) {
        static const char *const keys[] = {"type", "status", "headers", "body", "contentType", NULL};
        check_keys(v, n, p, keys);
        ig->type = GW_I_MOCK;
        double st = 200;
        get_num(v, n, "status", p, 100, 599, &st);
        ig->status = (int)st;
        const gw_node_t *bn;
        const char *body = get_str(v, n, "body", p, false, &bn);
        if (gw_tpl_compile_text(v->a, body ? body : "", body ? bn->len : 0, &ig->body, eb, sizeof eb))
            verr(v, bn, P(v, p, "body"), "%s", eb);
        ig->content_type = get_str(v, n, "contentType", p, false, NULL);
        if (!ig->content_type) ig->content_type = "application/json";
        gw_node_t *hn = gw_node_get(n, "headers");
        if (hn && expect_kind(v, hn, P(v, p, "headers"), GW_N_MAP)) {
            ig->headers = pt_arena_calloc(v->a, (hn->n ? hn->n : 1) * sizeof *ig->headers);
            ig->header_tpls = pt_arena_calloc(v->a, (hn->n ? hn->n : 1) * sizeof *ig->header_tpls);
            for (size_t i = 0; i < hn->n; i++) {
                const gw_node_t *k = hn->pairs[i].key, *val = hn->pairs[i].val;
                const char *hp = P(v, P(v, p, "headers"), k->str);
                if (k->kind != GW_N_SCALAR || !name_ok(k->str) || val->kind != GW_N_SCALAR) {
                    verr(v, k, hp, "header names are tokens and values strings");
                    continue;
                }
                if (strpbrk(val->str, "\r\n")) {
                    verr(v, val, hp, "must not contain line breaks");
                    continue;
                }
                ig->headers[ig->nheaders] = (gw_kv_t){k->str, val->str, k->len, val->len};
                if (gw_tpl_compile_text(v->a, val->str, val->len, &ig->header_tpls[ig->nheaders], eb, sizeof eb))
                    verr(v, val, hp, "%s", eb);
                ig->nheaders++;
            }
        }
    } else if (!strcmp(type, "dynamodb")) {
        static const char *const keys[] = {"type", "action", "request", "response", "status", NULL};
        check_keys(v, n, p, keys);
        ig->type = GW_I_DYNAMODB;
        const gw_node_t *an;
        ig->action = get_str(v, n, "action", p, true, &an);
        if (ig->action && !name_ok(ig->action))
            verr(v, an, P(v, p, "action"), "must be a DynamoDB action name such as GetItem");
        gw_node_t *rq = gw_node_get(n, "request");
        if (!rq) {
            verr(v, n, P(v, p, "request"), "required field is missing");
        } else if (expect_kind(v, rq, P(v, p, "request"), GW_N_MAP)) {
            if (gw_tpl_compile(v->a, rq, &ig->request, eb, sizeof eb))
                verr(v, rq, P(v, p, "request"), "%s", eb);
        }
        const gw_node_t *rn;
        const char *resp = get_str(v, n, "response", p, false, &rn);
        if (resp && strcmp(resp, "plain") && strcmp(resp, "raw"))
            verr(v, rn, P(v, p, "response"), "must be plain or raw");
        ig->raw_response = resp && !strcmp(resp, "raw");
        double st = 200;
        get_num(v, n, "status", p, 200, 299, &st);
        ig->success_status = (int)st;
    } else if (!strcmp(type, "http")) {
        static const char *const keys[] = {"type", "url", "timeoutMs", "maxBodyBytes", NULL};
        check_keys(v, n, p, keys);
        ig->type = GW_I_HTTP;
        const gw_node_t *un;
        const char *url = get_str(v, n, "url", p, true, &un);
        if (url) {
            if (strncmp(url, "http://", 7))
                verr(v, un, P(v, p, "url"), "must start with http:// (https upstreams are not supported yet)");
            else if (gw_tpl_compile_text(v->a, url_shorthand(v->a, url), strlen(url_shorthand(v->a, url)),
                                         &ig->url, eb, sizeof eb))
                verr(v, un, P(v, p, "url"), "%s", eb);
        }
        double t = DEFAULT_HTTP_TIMEOUT_MS;
        get_num(v, n, "timeoutMs", p, 1, 600000, &t);
        ig->timeout_ms = (uint64_t)t;
        double mb = GW_STREAM_MAX_BODY_DEFAULT;
        get_num(v, n, "maxBodyBytes", p, 0, 1099511627776.0, &mb);
        ig->max_body = (uint64_t)mb;
    } else {
        verr(v, tn, P(v, p, "type"), "must be one of dynamodb, http, mock (got '%s')", type);
    }
}

static void parse_route(vc_t *v, const gw_node_t *n, const char *p, const gw_models_t *models, gw_route_t *r)
{
    static const char *const keys[] = {"method", "path", "auth", "throttle", "integration", "request", NULL};
    check_keys(v, n, p, keys);
    r->line = n->line;
    const gw_node_t *mn, *pn;
    const char *method = get_str(v, n, "method", p, true, &mn);
    r->method = GW_M_GET;
    if (method) {
        int m = gw_method_index(method);
        if (m < 0)
            verr(v, mn, P(v, p, "method"), "must be one of GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS, ANY");
        else
            r->method = m;
    }
    r->path = get_str(v, n, "path", p, true, &pn);
    if (r->path) split_template(v, pn, P(v, p, "path"), r->path, true, &r->segs, &r->nsegs, &r->greedy);
    r->key = pt_arena_sprintf(v->a, "%s %s", gw_method_names[r->method], r->path ? r->path : "?");
    gw_node_t *an = gw_node_get(n, "auth");
    if (an && expect_kind(v, an, P(v, p, "auth"), GW_N_MAP)) {
        const char *ap = P(v, p, "auth");
        static const char *const akeys[] = {"apiKey", "authorizer", "scopes", NULL};
        check_keys(v, an, ap, akeys);
        get_bool(v, an, "apiKey", ap, &r->api_key);
        const gw_node_t *azn;
        const char *az = get_str(v, an, "authorizer", ap, false, &azn);
        for (size_t i = 0; az && i < v->c->nauthorizers; i++)
            if (!strcmp(v->c->authorizers[i].name, az)) r->authorizer = &v->c->authorizers[i];
        if (az && !r->authorizer) {
            pt_buf_t b = PT_BUF_INIT;
            for (size_t i = 0; i < v->c->nauthorizers; i++)
                pt_buf_printf(&b, "%s%s", i ? ", " : "", v->c->authorizers[i].name);
            pt_buf_putc(&b, 0);
            verr(v, azn, P(v, ap, "authorizer"), "unknown authorizer '%s' (gateway.authorizers has: %s)", az,
                 b.len > 1 ? b.data : "none");
            pt_buf_free(&b);
        }
        r->scopes = get_str_list(v, an, "scopes", ap, &r->nscopes);
        if (r->nscopes && (!r->authorizer || r->authorizer->type != GW_A_JWT))
            verr(v, gw_node_get(an, "scopes"), P(v, ap, "scopes"), "scopes need a jwt authorizer");
    }
    parse_throttle(v, n, "throttle", p, &r->throttle);
    gw_node_t *rq = gw_node_get(n, "request");
    if (rq && expect_kind(v, rq, P(v, p, "request"), GW_N_MAP)) {
        static const char *const rkeys[] = {"requiredQuery", "requiredHeaders", "body", NULL};
        check_keys(v, rq, P(v, p, "request"), rkeys);
        r->required_query = get_str_list(v, rq, "requiredQuery", P(v, p, "request"), &r->nrequired_query);
        r->required_headers =
            get_str_list(v, rq, "requiredHeaders", P(v, p, "request"), &r->nrequired_headers);
        gw_node_t *bn = gw_node_get(rq, "body");
        const char *bp = P(v, P(v, p, "request"), "body");
        if (bn && bn->kind == GW_N_SCALAR) {
            for (size_t i = 0; i < models->n; i++)
                if (!strcmp(models->names[i], bn->str)) r->body_schema = models->schemas[i];
            if (!r->body_schema) verr(v, bn, bp, "unknown model '%s' (define it under the API's models)", bn->str);
            r->body_model = bn->str;
        } else if (bn && expect_kind(v, bn, bp, GW_N_MAP)) {
            char eb[512];
            gw_schema_t *sc = gw_schema_alloc(v->a);
            if (gw_schema_compile(v->a, bn, models, &v->c->regexes, &v->c->nregexes, sc, eb, sizeof eb))
                verr(v, bn, bp, "%s", eb);
            r->body_schema = sc;
            r->body_model = "inline";
        }
    }
    gw_node_t *in = gw_node_get(n, "integration");
    if (!in)
        verr(v, n, P(v, p, "integration"), "required field is missing");
    else
        parse_integration(v, in, P(v, p, "integration"), &r->integ);
}

static void parse_cors(vc_t *v, const gw_node_t *n, const char *p, gw_cors_t *c)
{
    if (!expect_kind(v, n, p, GW_N_MAP)) return;
    static const char *const keys[] = {"allowOrigins", "allowMethods", "allowHeaders",
                                       "exposeHeaders", "maxAge", "allowCredentials", NULL};
    check_keys(v, n, p, keys);
    c->set = true;
    c->origins = get_str_list(v, n, "allowOrigins", p, &c->norigins);
    if (!c->norigins) verr(v, n, P(v, p, "allowOrigins"), "required field is missing (a list of origins, or \"*\")");
    size_t cnt;
    const char **l = get_str_list(v, n, "allowMethods", p, &cnt);
    c->allow_methods = cnt ? join(v, l, cnt) : NULL;
    l = get_str_list(v, n, "allowHeaders", p, &cnt);
    c->allow_headers = cnt ? join(v, l, cnt) : NULL;
    l = get_str_list(v, n, "exposeHeaders", p, &cnt);
    c->expose_headers = cnt ? join(v, l, cnt) : NULL;
    double ma = -1;
    c->max_age = get_num(v, n, "maxAge", p, 0, 86400 * 365, &ma) ? (long)ma : -1;
    get_bool(v, n, "allowCredentials", p, &c->credentials);
    for (size_t i = 0; i < c->norigins; i++)
        if (c->credentials && !strcmp(c->origins[i], "*"))
            verr(v, gw_node_get(n, "allowOrigins"), P(v, p, "allowOrigins"),
                 "\"*\" cannot be combined with allowCredentials: true (browsers reject it)");
}

/* The API's named JSON Schema models. All are allocated before any is
 * compiled so that $ref may point forwards (or recursively). */
static void parse_models(vc_t *v, const gw_node_t *api, const char *p, gw_models_t *m)
{
    gw_node_t *n = gw_node_get(api, "models");
    const char *mp = P(v, p, "models");
    if (!n || !expect_kind(v, n, mp, GW_N_MAP)) return;
    m->names = pt_arena_calloc(v->a, (n->n ? n->n : 1) * sizeof *m->names);
    m->schemas = pt_arena_calloc(v->a, (n->n ? n->n : 1) * sizeof *m->schemas);
    for (size_t i = 0; i < n->n; i++) {
        const gw_node_t *k = n->pairs[i].key;
        if (k->kind != GW_N_SCALAR || !name_ok(k->str)) {
            verr(v, k, mp, "model names are made of letters, digits, '-' and '_'");
            continue;
        }
        m->names[m->n] = k->str;
        m->schemas[m->n++] = gw_schema_alloc(v->a);
    }
    for (size_t i = 0, j = 0; i < n->n; i++) {
        const gw_node_t *k = n->pairs[i].key;
        if (k->kind != GW_N_SCALAR || !name_ok(k->str)) continue;
        char eb[512];
        if (gw_schema_compile(v->a, n->pairs[i].val, m, &v->c->regexes, &v->c->nregexes, m->schemas[j++], eb,
                              sizeof eb))
            verr(v, n->pairs[i].val, P(v, mp, k->str), "%s", eb);
    }
}

/* Reads a file named relative to the configuration file's directory. */
static char *read_relative(vc_t *v, const char *name, size_t *len)
{
    char path[4096];
    const char *slash = strrchr(v->file, '/');
    if (name[0] == '/' || !slash)
        snprintf(path, sizeof path, "%s", name);
    else
        snprintf(path, sizeof path, "%.*s/%s", (int)(slash - v->file), v->file, name);
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    pt_buf_t b = PT_BUF_INIT;
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 && b.len < 4u * 1024 * 1024) pt_buf_append(&b, chunk, n);
    fclose(f);
    *len = b.len;
    char *out = pt_arena_strndup(v->a, b.data ? b.data : "", b.len);
    pt_buf_free(&b);
    return out;
}

static void parse_authorizer(vc_t *v, const gw_node_t *n, const char *p, gw_authorizer_t *a)
{
    const gw_node_t *nn, *tn;
    a->name = get_str(v, n, "name", p, true, &nn);
    if (a->name && !name_ok(a->name)) verr(v, nn, P(v, p, "name"), "must be made of letters, digits, '-' and '_'");
    if (!a->name) a->name = "?";
    const char *type = get_str(v, n, "type", p, true, &tn);
    if (!type) return;
    a->identity = get_str_list(v, n, "identitySource", p, &a->nidentity);
    if (!a->nidentity) {
        static const char *def[] = {"Authorization"};
        a->identity = def;
        a->nidentity = 1;
    }
    for (size_t i = 0; i < a->nidentity; i++)
        if (!name_ok(a->identity[i]))
            verr(v, gw_node_get(n, "identitySource"), P(v, p, "identitySource"), "header names only (got '%s')",
                 a->identity[i]);
    if (!strcmp(type, "jwt")) {
        static const char *const keys[] = {"name", "type", "identitySource", "issuer", "audience", "algorithms",
                                           "jwks", "leewaySeconds", NULL};
        check_keys(v, n, p, keys);
        a->type = GW_A_JWT;
        if (a->nidentity != 1) verr(v, gw_node_get(n, "identitySource"), P(v, p, "identitySource"), "a jwt authorizer reads one header");
        a->rules.issuer = get_str(v, n, "issuer", p, false, NULL);
        a->rules.audiences = get_str_list(v, n, "audience", p, &a->rules.naudiences);
        size_t nalg;
        const char **algs = get_str_list(v, n, "algorithms", p, &nalg);
        a->rules.algs = nalg ? 0 : GW_ALG_HS256 | GW_ALG_RS256 | GW_ALG_ES256;
        for (size_t i = 0; i < nalg; i++) {
            if (!strcmp(algs[i], "HS256")) a->rules.algs |= GW_ALG_HS256;
            else if (!strcmp(algs[i], "RS256")) a->rules.algs |= GW_ALG_RS256;
            else if (!strcmp(algs[i], "ES256")) a->rules.algs |= GW_ALG_ES256;
            else verr(v, gw_node_get(n, "algorithms"), P(v, p, "algorithms"), "must be HS256, RS256 or ES256 (got '%s')", algs[i]);
        }
        double leeway = 60;
        get_num(v, n, "leewaySeconds", p, 0, 3600, &leeway);
        a->rules.leeway_s = (long)leeway;
        gw_node_t *jn = gw_node_get(n, "jwks");
        const char *jp = P(v, p, "jwks");
        if (!jn) {
            verr(v, n, jp, "required field is missing ({file: PATH} or {url: URL})");
        } else if (expect_kind(v, jn, jp, GW_N_MAP)) {
            static const char *const jkeys[] = {"file", "url", "cacheSeconds", NULL};
            check_keys(v, jn, jp, jkeys);
            const gw_node_t *fn, *un;
            const char *file = get_str(v, jn, "file", jp, false, &fn);
            a->jwks_url = get_str(v, jn, "url", jp, false, &un);
            double ttl = 300;
            get_num(v, jn, "cacheSeconds", jp, 1, 86400 * 7, &ttl);
            a->jwks_ttl_s = (uint64_t)ttl;
            if (!file == !a->jwks_url) {
                verr(v, jn, jp, "needs exactly one of file or url");
            } else if (a->jwks_url && strncmp(a->jwks_url, "http://", 7)) {
                verr(v, un, P(v, jp, "url"), "must start with http:// (https is not supported yet)");
            } else if (file) {
                size_t len = 0;
                char *text = read_relative(v, file, &len);
                char eb[256];
                if (!text)
                    verr(v, fn, P(v, jp, "file"), "cannot read '%s'", file);
                else if (gw_jwks_parse(text, len, &a->jwks, eb, sizeof eb))
                    verr(v, fn, P(v, jp, "file"), "'%s': %s", file, eb);
            }
        }
    } else if (!strcmp(type, "custom")) {
        static const char *const keys[] = {"name", "type", "identitySource", "url", "cacheTtlSeconds", "timeoutMs", NULL};
        check_keys(v, n, p, keys);
        a->type = GW_A_CUSTOM;
        const gw_node_t *un;
        a->url = get_str(v, n, "url", p, true, &un);
        if (a->url && strncmp(a->url, "http://", 7))
            verr(v, un, P(v, p, "url"), "must start with http:// (https is not supported yet)");
        double ttl = 300, to = 10000;
        get_num(v, n, "cacheTtlSeconds", p, 0, 3600, &ttl);
        get_num(v, n, "timeoutMs", p, 1, 600000, &to);
        a->cache_ttl_s = (uint64_t)ttl;
        a->timeout_ms = (uint64_t)to;
    } else if (!strcmp(type, "sigv4")) {
        static const char *const keys[] = {"name", "type", "service", NULL};
        check_keys(v, n, p, keys);
        a->type = GW_A_SIGV4;
        a->service = get_str(v, n, "service", p, false, NULL);
        if (!a->service) a->service = "execute-api";
    } else {
        verr(v, tn, P(v, p, "type"), "must be one of jwt, custom, sigv4 (got '%s')", type);
    }
}

static void parse_authorizers(vc_t *v, const gw_node_t *g, const char *p, gw_config_t *c)
{
    gw_node_t *n = gw_node_get(g, "authorizers");
    const char *ap = P(v, p, "authorizers");
    if (!n || !expect_kind(v, n, ap, GW_N_SEQ)) return;
    c->authorizers = pt_arena_calloc(v->a, (n->n ? n->n : 1) * sizeof *c->authorizers);
    for (size_t i = 0; i < n->n; i++) {
        const char *ip = PI(v, ap, i);
        if (!expect_kind(v, n->items[i], ip, GW_N_MAP)) continue;
        gw_authorizer_t *a = &c->authorizers[c->nauthorizers++];
        parse_authorizer(v, n->items[i], ip, a);
        for (size_t k = 0; k + 1 < c->nauthorizers; k++)
            if (!strcmp(c->authorizers[k].name, a->name))
                verr(v, n->items[i], P(v, ip, "name"), "duplicate authorizer '%s'", a->name);
    }
}

/* gateway.admin: false, or {path, apiKey}. */
static void parse_admin(vc_t *v, const gw_node_t *g, const char *p, gw_config_t *c)
{
    c->admin_path = "/_admin/reload";
    gw_node_t *n = gw_node_get(g, "admin");
    if (!n) return;
    const char *ap = P(v, p, "admin");
    bool on = true;
    if (n->kind == GW_N_SCALAR) {
        if (get_bool(v, g, "admin", p, &on) && !on) c->admin_path = NULL;
        return;
    }
    if (!expect_kind(v, n, ap, GW_N_MAP)) return;
    static const char *const keys[] = {"path", "apiKey", NULL};
    check_keys(v, n, ap, keys);
    const gw_node_t *pn, *kn;
    const char *path = get_str(v, n, "path", ap, false, &pn);
    if (path && path[0] != '/') verr(v, pn, P(v, ap, "path"), "must start with '/'");
    else if (path) c->admin_path = path;
    const char *key = get_str(v, n, "apiKey", ap, false, &kn);
    if (key && strlen(key) < 16) {
        verr(v, kn, P(v, ap, "apiKey"), "must be at least 16 characters");
    } else if (key) {
        char hex[65];
        gw_sha256_hex(key, strlen(key), hex);
        c->admin_key_hash = pt_arena_strndup(v->a, hex, 64);
    }
}

static void parse_api(vc_t *v, const gw_node_t *n, const char *p, gw_api_t *api)
{
    static const char *const keys[] = {"name", "basePath", "host", "cors", "stages", "routes", "models", NULL};
    check_keys(v, n, p, keys);
    parse_models(v, n, p, &api->models);
    const gw_node_t *nn, *bn;
    api->name = get_str(v, n, "name", p, true, &nn);
    if (api->name && !name_ok(api->name)) verr(v, nn, P(v, p, "name"), "must be made of letters, digits, '-' and '_'");
    if (!api->name) api->name = "?";
    const char *bp = get_str(v, n, "basePath", p, false, &bn);
    api->base_path = "";
    if (bp) {
        const char **segs;
        size_t nsegs;
        bool g;
        if (split_template(v, bn, P(v, p, "basePath"), bp, false, &segs, &nsegs, &g))
            api->base_path = strcmp(bp, "/") ? bp : "";
    }
    api->host = get_str(v, n, "host", p, false, NULL);
    gw_node_t *cn = gw_node_get(n, "cors");
    if (cn) parse_cors(v, cn, P(v, p, "cors"), &api->cors);

    gw_node_t *sn = gw_node_get(n, "stages");
    const char *sp = P(v, p, "stages");
    if (!sn) {
        verr(v, n, sp, "required field is missing (at least one stage)");
    } else if (expect_kind(v, sn, sp, GW_N_SEQ)) {
        if (!sn->n) verr(v, sn, sp, "needs at least one stage");
        api->stages = pt_arena_calloc(v->a, (sn->n ? sn->n : 1) * sizeof *api->stages);
        for (size_t i = 0; i < sn->n; i++) {
            const gw_node_t *s = sn->items[i];
            const char *ip = PI(v, sp, i);
            if (!expect_kind(v, s, ip, GW_N_MAP)) continue;
            static const char *const skeys[] = {"name", "variables", "throttle", NULL};
            check_keys(v, s, ip, skeys);
            gw_stage_t *st = &api->stages[api->nstages++];
            const gw_node_t *stn;
            st->name = get_str(v, s, "name", ip, true, &stn);
            if (!st->name) st->name = "?";
            else if (!name_ok(st->name)) verr(v, stn, P(v, ip, "name"), "must be made of letters, digits, '-' and '_'");
            for (size_t k = 0; k + 1 < api->nstages; k++)
                if (!strcmp(api->stages[k].name, st->name)) verr(v, stn, P(v, ip, "name"), "duplicate stage '%s'", st->name);
            gw_node_t *vn = gw_node_get(s, "variables");
            if (vn && expect_kind(v, vn, P(v, ip, "variables"), GW_N_MAP)) {
                st->vars = pt_arena_calloc(v->a, (vn->n ? vn->n : 1) * sizeof *st->vars);
                for (size_t k = 0; k < vn->n; k++) {
                    const gw_node_t *key = vn->pairs[k].key, *val = vn->pairs[k].val;
                    if (key->kind != GW_N_SCALAR || val->kind != GW_N_SCALAR) {
                        verr(v, key, P(v, ip, "variables"), "variables are name: string pairs");
                        continue;
                    }
                    st->vars[st->nvars++] = (gw_kv_t){key->str, val->str, key->len, val->len};
                }
            }
            parse_throttle(v, s, "throttle", ip, &st->throttle);
        }
    }

    gw_node_t *rn = gw_node_get(n, "routes");
    const char *rp = P(v, p, "routes");
    if (!rn) {
        verr(v, n, rp, "required field is missing");
    } else if (expect_kind(v, rn, rp, GW_N_SEQ)) {
        api->routes = pt_arena_calloc(v->a, (rn->n ? rn->n : 1) * sizeof *api->routes);
        for (size_t i = 0; i < rn->n; i++) {
            const char *ip = PI(v, rp, i);
            if (!expect_kind(v, rn->items[i], ip, GW_N_MAP)) continue;
            parse_route(v, rn->items[i], ip, &api->models, &api->routes[api->nroutes++]);
        }
        if (v->nerr == 0) {
            char eb[256];
            if (gw_router_build(v->a, api, eb, sizeof eb)) verr(v, rn, rp, "%s", eb);
        }
    }
}

static void parse_plan(vc_t *v, const gw_node_t *n, const char *p, gw_plan_t *pl)
{
    static const char *const keys[] = {"name", "throttle", "quota", "keys", NULL};
    check_keys(v, n, p, keys);
    pl->name = get_str(v, n, "name", p, true, NULL);
    if (!pl->name) pl->name = "?";
    parse_throttle(v, n, "throttle", p, &pl->throttle);
    gw_node_t *q = gw_node_get(n, "quota");
    if (q && expect_kind(v, q, P(v, p, "quota"), GW_N_MAP)) {
        const char *qp = P(v, p, "quota");
        static const char *const qkeys[] = {"limit", "period", NULL};
        check_keys(v, q, qp, qkeys);
        double lim = 0;
        if (!get_num(v, q, "limit", qp, 1, 1e15, &lim) && !gw_node_get(q, "limit"))
            verr(v, q, P(v, qp, "limit"), "required field is missing");
        pl->quota_limit = (int64_t)lim;
        const gw_node_t *pn;
        const char *per = get_str(v, q, "period", qp, true, &pn);
        if (per) {
            if (!strcmp(per, "DAY")) pl->quota_period = 0;
            else if (!strcmp(per, "WEEK")) pl->quota_period = 1;
            else if (!strcmp(per, "MONTH")) pl->quota_period = 2;
            else verr(v, pn, P(v, qp, "period"), "must be DAY, WEEK or MONTH");
        }
    }
    pl->keys = get_str_list(v, n, "keys", p, &pl->nkeys);
}

static void compile(vc_t *v, const gw_node_t *g, gw_config_t *c)
{
    const char *p = "gateway";
    if (!expect_kind(v, g, p, GW_N_MAP)) return;
    static const char *const keys[] = {"listen", "throttle", "apis", "usagePlans", "metrics",
                                       "accessLog", "maxBodyBytes", "authorizers", "admin", NULL};
    check_keys(v, g, p, keys);
    parse_authorizers(v, g, p, c);
    parse_admin(v, g, p, c);
    const gw_node_t *ln;
    const char *listen = get_str(v, g, "listen", p, false, &ln);
    snprintf(c->listen_host, sizeof c->listen_host, "127.0.0.1");
    c->listen_port = 8080;
    if (listen && pt_parse_host_port(listen, "127.0.0.1", c->listen_host, sizeof c->listen_host, &c->listen_port))
        verr(v, ln, P(v, p, "listen"), "expects HOST:PORT or [IPV6]:PORT, got '%s'", listen);
    if (listen && ln) {
        c->listen_line = ln->line;
        c->listen_col = ln->col;
    }
    parse_throttle(v, g, "throttle", p, &c->throttle);
    double mb = DEFAULT_MAX_BODY;
    get_num(v, g, "maxBodyBytes", p, 0, 16.0 * 1024 * 1024, &mb);
    c->max_body = (uint64_t)mb;
    c->metrics_path = "/metrics";
    gw_node_t *mn = gw_node_get(g, "metrics");
    if (mn) {
        bool on;
        if (mn->kind == GW_N_SCALAR && !mn->quoted && (!strcmp(mn->str, "false") || !strcmp(mn->str, "true"))) {
            get_bool(v, g, "metrics", p, &on);
            if (!on) c->metrics_path = NULL;
        } else if (expect_kind(v, mn, P(v, p, "metrics"), GW_N_MAP)) {
            static const char *const mkeys[] = {"path", NULL};
            check_keys(v, mn, P(v, p, "metrics"), mkeys);
            const gw_node_t *mpn;
            const char *mp = get_str(v, mn, "path", P(v, p, "metrics"), false, &mpn);
            if (mp && mp[0] != '/') verr(v, mpn, "gateway.metrics.path", "must start with '/'");
            else if (mp) c->metrics_path = mp;
        }
    }
    const char *al = get_str(v, g, "accessLog", p, false, NULL);
    c->access_log = al ? al : "stderr";

    gw_node_t *an = gw_node_get(g, "apis");
    const char *ap = P(v, p, "apis");
    if (!an) {
        verr(v, g, ap, "required field is missing");
    } else if (expect_kind(v, an, ap, GW_N_SEQ)) {
        c->apis = pt_arena_calloc(v->a, (an->n ? an->n : 1) * sizeof *c->apis);
        for (size_t i = 0; i < an->n; i++) {
            const char *ip = PI(v, ap, i);
            if (!expect_kind(v, an->items[i], ip, GW_N_MAP)) continue;
            gw_api_t *api = &c->apis[c->napis++];
            parse_api(v, an->items[i], ip, api);
            for (size_t k = 0; k + 1 < c->napis; k++) {
                if (!strcmp(c->apis[k].name, api->name))
                    verr(v, an->items[i], P(v, ip, "name"), "duplicate API name '%s'", api->name);
                else if (!strcmp(c->apis[k].base_path, api->base_path) &&
                         !(c->apis[k].host && api->host && strcmp(c->apis[k].host, api->host)))
                    verr(v, an->items[i], P(v, ip, "basePath"), "API '%s' already uses base path '%s'",
                         c->apis[k].name, *api->base_path ? api->base_path : "/");
            }
        }
    }
    gw_node_t *pn = gw_node_get(g, "usagePlans");
    const char *pp = P(v, p, "usagePlans");
    if (pn && expect_kind(v, pn, pp, GW_N_SEQ)) {
        c->plans = pt_arena_calloc(v->a, (pn->n ? pn->n : 1) * sizeof *c->plans);
        for (size_t i = 0; i < pn->n; i++) {
            const char *ip = PI(v, pp, i);
            if (!expect_kind(v, pn->items[i], ip, GW_N_MAP)) continue;
            parse_plan(v, pn->items[i], ip, &c->plans[c->nplans++]);
            for (size_t k = 0; k + 1 < c->nplans; k++)
                for (size_t a = 0; a < c->plans[k].nkeys; a++)
                    for (size_t b = 0; b < c->plans[c->nplans - 1].nkeys; b++)
                        if (!strcmp(c->plans[k].keys[a], c->plans[c->nplans - 1].keys[b]))
                            verr(v, pn->items[i], P(v, ip, "keys"),
                                 "API key '%s' is already in usage plan '%s'", c->plans[k].keys[a],
                                 c->plans[k].name);
        }
    }
}

/* Frees what the configuration holds outside its arena: key sets,
 * authorizer state, compiled regexes. */
static void release_resources(gw_config_t *c)
{
    for (size_t i = 0; i < c->nauthorizers; i++) {
        gw_jwks_unref(c->authorizers[i].jwks);
        gw_authstate_free(c->authorizers[i].state);
    }
    gw_schema_free_regexes(c->regexes, c->nregexes);
}

static void init_buckets(gw_config_t *c)
{
    for (size_t i = 0; i < c->nauthorizers; i++) c->authorizers[i].state = gw_authstate_new();
    gw_bucket_init(&c->bucket, &c->throttle);
    for (size_t i = 0; i < c->napis; i++) {
        gw_api_t *api = &c->apis[i];
        for (size_t s = 0; s < api->nstages; s++) gw_bucket_init(&api->stages[s].bucket, &api->stages[s].throttle);
        for (size_t r = 0; r < api->nroutes; r++) {
            gw_route_t *rt = &api->routes[r];
            rt->stage_buckets = pt_arena_calloc(c->arena, (api->nstages ? api->nstages : 1) * sizeof *rt->stage_buckets);
            for (size_t s = 0; s < api->nstages; s++) gw_bucket_init(&rt->stage_buckets[s], &rt->throttle);
        }
    }
}

static void destroy_buckets(gw_config_t *c)
{
    gw_bucket_destroy(&c->bucket);
    for (size_t i = 0; i < c->napis; i++) {
        gw_api_t *api = &c->apis[i];
        for (size_t s = 0; s < api->nstages; s++) gw_bucket_destroy(&api->stages[s].bucket);
        for (size_t r = 0; r < api->nroutes; r++)
            for (size_t s = 0; s < api->nstages && api->routes[r].stage_buckets; s++)
                gw_bucket_destroy(&api->routes[r].stage_buckets[s]);
    }
}

int gw_config_parse(const char *file, const char *text, size_t len, gw_config_t **out,
                    char *errbuf, size_t errlen)
{
    *out = NULL;
    pt_arena_t *a = malloc(sizeof *a);
    if (!a) pt_oom();
    pt_arena_init(a);
    gw_node_t *root;
    if (gw_yaml_parse(file, text, len, a, &root, errbuf, errlen)) {
        pt_arena_destroy(a);
        free(a);
        return PT_ERR;
    }
    gw_node_t *g = root && root->kind == GW_N_MAP ? gw_node_get(root, "gateway") : NULL;
    if (!g) {
        bool bad_root = root && root->kind != GW_N_MAP;
        if (bad_root) snprintf(errbuf, errlen, "%s:%d:%d: the file must be a mapping of sections", file, root->line, root->col);
        pt_arena_destroy(a);
        free(a);
        return bad_root ? PT_ERR : PT_OK; /* no gateway section: nothing to serve */
    }
    gw_config_t *c = pt_arena_calloc(a, sizeof *c);
    c->arena = a;
    atomic_init(&c->refs, 1);
    vc_t v = {file, a, PT_BUF_INIT, 0, c};
    compile(&v, g, c);
    if (v.nerr) {
        release_resources(c);
        if (v.nerr > MAX_ERRORS) pt_buf_printf(&v.errs, "... and %d more errors\n", v.nerr - MAX_ERRORS);
        if (v.errs.len && v.errs.data[v.errs.len - 1] == '\n') v.errs.len--;
        snprintf(errbuf, errlen, "%.*s", (int)v.errs.len, v.errs.data ? v.errs.data : "");
        pt_buf_free(&v.errs);
        pt_arena_destroy(a);
        free(a);
        return PT_ERR;
    }
    pt_buf_free(&v.errs);
    c->file = pt_arena_strndup(a, file, strlen(file));
    init_buckets(c);
    *out = c;
    return PT_OK;
}

int gw_config_load(const char *file, gw_config_t **out, char *errbuf, size_t errlen)
{
    *out = NULL;
    FILE *f = fopen(file, "rb");
    if (!f) {
        snprintf(errbuf, errlen, "%s: cannot open: %s", file, strerror(errno));
        return PT_ERR;
    }
    struct stat st;
    if (fstat(fileno(f), &st) || st.st_size > 16 * 1024 * 1024) {
        snprintf(errbuf, errlen, "%s: not a regular file of at most 16 MiB", file);
        fclose(f);
        return PT_ERR;
    }
    size_t len = (size_t)st.st_size;
    char *text = malloc(len + 1);
    if (!text) pt_oom();
    size_t got = fread(text, 1, len, f);
    fclose(f);
    if (got != len) {
        snprintf(errbuf, errlen, "%s: read error", file);
        free(text);
        return PT_ERR;
    }
    text[len] = 0;
    int rc = gw_config_parse(file, text, len, out, errbuf, errlen);
    free(text);
    return rc;
}

void gw_config_ref(gw_config_t *c) { atomic_fetch_add(&c->refs, 1); }

void gw_config_unref(gw_config_t *c)
{
    if (!c || atomic_fetch_sub(&c->refs, 1) != 1) return;
    destroy_buckets(c);
    release_resources(c);
    pt_arena_t *a = c->arena;
    pt_arena_destroy(a);
    free(a);
}
