/* The gateway's authorizers at request time (contract in gw_auth.h):
 *
 *  jwt    - the token from the identity header (with or without "Bearer "),
 *           verified by gw_jwt.c with the keys of a JWKS file (loaded with
 *           the configuration) or URL. A URL's key set is fetched through
 *           the `http` integration client and cached for jwksCacheSeconds;
 *           a token whose kid is not in the cached set triggers a refetch
 *           (at most every REFETCH_MIN_S seconds, so random kids cannot
 *           make the gateway hammer the identity provider). When a refetch
 *           fails the stale set keeps being used.
 *  custom - POSTs a JSON description of the request (API Gateway's
 *           payload format 2.0 shape) to the authorizer's URL and reads
 *           {"isAuthorized": bool, "context": {...}} (the "simple response"
 *           format). Decisions, allow and deny alike, are cached per
 *           identity (the SHA-256 of the identity values, never the raw
 *           token) for cacheTtlSeconds; failures are not cached.
 *  sigv4  - AWS Signature V4 (src/auth/sigv4.h) with service
 *           "execute-api", against the same credentials as the DynamoDB
 *           endpoint: <data-dir>/credentials.json and, when the config
 *           file is JSON, its "credentials" list; re-read when
 *           credentials.json changes (checked at most once a second).
 *           Access policies (which are about DynamoDB actions) are not
 *           applied to gateway routes.
 *
 * Mutable state (key set, decisions, credentials) lives in the
 * authorizer's gw_authstate_t behind one mutex; it belongs to the
 * configuration version, so a reload starts with empty caches. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "auth/credentials.h"
#include "auth/sigv4.h"
#include "gateway/gw_auth.h"
#include "gateway/gw_http.h"
#include "util/error.h"

#define REFETCH_MIN_S 10
#define CACHE_SLOTS 8192        /* decisions kept per custom authorizer */

typedef struct decision {
    char id[65];                /* SHA-256 hex of the identity; "" = free slot */
    bool allow;
    char *context;              /* JSON text of the context object, or NULL */
    uint64_t expires_ns;
} decision_t;

struct gw_authstate {
    pthread_mutex_t mu;
    /* jwt (URL) */
    gw_jwks_t *jwks;
    uint64_t jwks_at_ns;        /* when the cached set was fetched */
    uint64_t fetch_at_ns;       /* last fetch attempt */
    /* custom */
    decision_t *decisions;      /* CACHE_SLOTS, open addressing */
    size_t ndecisions;
    /* sigv4 */
    pt_credstore_t creds;
    bool creds_loaded;
    uint64_t creds_checked_ns;
    struct timespec creds_mtime;
};

gw_authstate_t *gw_authstate_new(void)
{
    gw_authstate_t *s = calloc(1, sizeof *s);
    if (!s) pt_oom();
    pthread_mutex_init(&s->mu, NULL);
    pt_credstore_init(&s->creds);
    return s;
}

void gw_authstate_free(gw_authstate_t *s)
{
    if (!s) return;
    gw_jwks_unref(s->jwks);
    for (size_t i = 0; s->decisions && i < CACHE_SLOTS; i++) free(s->decisions[i].context);
    free(s->decisions);
    pt_credstore_free(&s->creds);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

/* ------------------------------------------------------------- helpers */

static const char *header(const gw_auth_in_t *in, const char *name)
{
    for (size_t i = 0; i < in->nheaders; i++)
        if (!strcasecmp(in->headers[i].name, name)) return in->headers[i].value;
    return NULL;
}

static void deny(gw_auth_done_fn done, void *ud, int status)
{
    gw_auth_out_t out = {0};
    out.status = status;
    out.message = status == 401 ? "Unauthorized" : status == 403 ? "Forbidden" : "Internal Server Error";
    out.reason = status == 401 ? "unauthorized" : status == 403 ? "forbidden" : "authorizer_error";
    done(ud, &out);
}

static pt_json_t *principal_object(pt_arena_t *a, const char *principal)
{
    pt_json_t *o = pt_arena_calloc(a, sizeof *o);
    o->type = PT_JSON_OBJECT;
    if (!principal) return o;
    o->len = 1;
    o->u.members = pt_arena_calloc(a, sizeof *o->u.members);
    o->u.members[0].key = "principalId";
    o->u.members[0].key_len = 11;
    o->u.members[0].value.type = PT_JSON_STRING;
    o->u.members[0].value.u.str = principal;
    o->u.members[0].value.len = (uint32_t)strlen(principal);
    return o;
}

/* A synthetic request for the upstream client (JWKS fetch, custom call). */
typedef struct job {
    gw_auth_in_t in;
    gw_auth_done_fn done;
    void *ud;
    pt_http_header_t hdr[1];
    pt_http_request_t req;
    pt_buf_t body;
    gw_http_call_t *call;
    const char *token;
    size_t token_len;
    char id[65];                /* custom: identity hash */
} job_t;

static job_t *job_new(const gw_auth_in_t *in, gw_auth_done_fn done, void *ud)
{
    job_t *j = calloc(1, sizeof *j);
    if (!j) pt_oom();
    j->in = *in;
    j->done = done;
    j->ud = ud;
    return j;
}

static int job_start(job_t *j, const char *method, const char *url, uint64_t timeout_ms,
                     gw_http_done_fn cb)
{
    j->req.method = method;
    j->req.target = "/";
    j->req.target_len = 1;
    j->req.body = j->body.data ? j->body.data : "";
    j->req.body_len = j->body.len;
    j->req.peer_ip = j->in.hr->peer_ip;
    if (j->body.len) {
        j->hdr[0] = (pt_http_header_t){"Content-Type", "application/json", 12, 16};
        j->req.headers = j->hdr;
        j->req.nheaders = 1;
    }
    return gw_http_call_start(j->in.loop, j->in.thread, url, &j->req, j->in.request_id, timeout_ms, cb, j,
                              &j->call);
}

static void job_free(job_t *j)
{
    if (j->call) gw_http_call_free(j->call);
    pt_buf_free(&j->body);
    free(j);
}

/* ----------------------------------------------------------------- jwt */

static void jwt_finish(const gw_auth_in_t *in, const gw_jwks_t *keys, const char *token, size_t len,
                       gw_auth_done_fn done, void *ud)
{
    const gw_authorizer_t *a = in->authorizer;
    pt_json_t *claims = pt_arena_calloc(in->arena, sizeof *claims);
    char why[160];
    gw_jwt_status_t st = gw_jwt_verify(token, len, keys, &a->rules, (int64_t)time(NULL), in->arena, claims, why,
                                       sizeof why);
    if (st != GW_JWT_OK) {
        deny(done, ud, 401);
        return;
    }
    if (!gw_jwt_has_scope(claims, in->route->scopes, in->route->nscopes)) {
        deny(done, ud, 403);
        return;
    }
    gw_auth_out_t out = {0};
    out.claims = claims;
    const pt_json_t *sub = pt_json_get(claims, "sub");
    out.principal = sub && sub->type == PT_JSON_STRING ? sub->u.str : NULL;
    out.context = principal_object(in->arena, out.principal);
    done(ud, &out);
}

static gw_jwks_t *cached_jwks(gw_authstate_t *s, uint64_t *age_ns, uint64_t *since_fetch_ns)
{
    uint64_t now = gw_now_ns();
    pthread_mutex_lock(&s->mu);
    gw_jwks_t *k = s->jwks;
    if (k) gw_jwks_ref(k);
    *age_ns = k ? now - s->jwks_at_ns : UINT64_MAX;
    *since_fetch_ns = s->fetch_at_ns ? now - s->fetch_at_ns : UINT64_MAX;
    pthread_mutex_unlock(&s->mu);
    return k;
}

static void jwks_fetched(gw_http_call_t *c, void *userdata)
{
    job_t *j = userdata;
    gw_authstate_t *s = j->in.authorizer->state;
    int status;
    const char *h, *body;
    size_t hl, bl;
    gw_http_call_result(c, &status, &h, &hl, &body, &bl);
    gw_jwks_t *fresh = NULL;
    char err[160];
    if (status == 200 && gw_jwks_parse(body, bl, &fresh, err, sizeof err) == PT_OK) {
        pthread_mutex_lock(&s->mu);
        gw_jwks_t *old = s->jwks;
        s->jwks = fresh;
        s->jwks_at_ns = gw_now_ns();
        pthread_mutex_unlock(&s->mu);
        gw_jwks_unref(old);
    } else {
        fprintf(stderr, "portico: gateway authorizer '%s': cannot fetch JWKS from %s (status %d)\n",
                j->in.authorizer->name, j->in.authorizer->jwks_url, status);
    }
    uint64_t age, since;
    gw_jwks_t *keys = cached_jwks(s, &age, &since);
    if (keys) jwt_finish(&j->in, keys, j->token, j->token_len, j->done, j->ud);
    else deny(j->done, j->ud, 401);
    gw_jwks_unref(keys);
    job_free(j);
}

static void fetch_jwks(const gw_auth_in_t *in, const char *token, size_t len, gw_auth_done_fn done, void *ud)
{
    gw_authstate_t *s = in->authorizer->state;
    pthread_mutex_lock(&s->mu);
    s->fetch_at_ns = gw_now_ns();
    pthread_mutex_unlock(&s->mu);
    job_t *j = job_new(in, done, ud);
    j->token = token;
    j->token_len = len;
    if (job_start(j, "GET", in->authorizer->jwks_url, 10000, jwks_fetched)) {
        job_free(j);
        deny(done, ud, 401);
    }
}

static void run_jwt(const gw_auth_in_t *in, gw_auth_done_fn done, void *ud)
{
    const gw_authorizer_t *a = in->authorizer;
    const char *tok = header(in, a->identity[0]);
    if (!tok) {
        deny(done, ud, 401);
        return;
    }
    while (*tok == ' ') tok++;
    if (!strncasecmp(tok, "Bearer ", 7)) tok += 7;
    while (*tok == ' ') tok++;
    size_t len = strlen(tok);
    while (len && tok[len - 1] == ' ') len--;
    if (!len) {
        deny(done, ud, 401);
        return;
    }
    if (a->jwks) {
        jwt_finish(in, a->jwks, tok, len, done, ud);
        return;
    }
    uint64_t age, since;
    gw_jwks_t *keys = cached_jwks(a->state, &age, &since);
    if (!keys || age > a->jwks_ttl_s * 1000000000ull) {
        gw_jwks_unref(keys);
        fetch_jwks(in, tok, len, done, ud);
        return;
    }
    /* A kid not in the cached set may be a key the provider just rotated in. */
    pt_json_t scratch;
    char why[160];
    if (gw_jwt_verify(tok, len, keys, &a->rules, (int64_t)time(NULL), in->arena, &scratch, why, sizeof why) ==
            GW_JWT_NO_KEY &&
        since > REFETCH_MIN_S * 1000000000ull) {
        gw_jwks_unref(keys);
        fetch_jwks(in, tok, len, done, ud);
        return;
    }
    jwt_finish(in, keys, tok, len, done, ud);
    gw_jwks_unref(keys);
}

/* -------------------------------------------------------------- custom */

static uint64_t slot_of(const char *id)
{
    uint64_t h = 0;
    for (int i = 0; i < 16; i++) h = h * 16 + (uint64_t)(id[i] <= '9' ? id[i] - '0' : id[i] - 'a' + 10);
    return h % CACHE_SLOTS;
}

/* Looks a decision up; returns 1 allow, 0 deny, -1 unknown (context copied
 * into the arena). */
static int cache_get(gw_authstate_t *s, const char *id, pt_arena_t *a, pt_json_t **ctx)
{
    int res = -1;
    uint64_t now = gw_now_ns();
    pthread_mutex_lock(&s->mu);
    for (uint64_t i = slot_of(id), n = 0; s->decisions && n < CACHE_SLOTS; i = (i + 1) % CACHE_SLOTS, n++) {
        decision_t *d = &s->decisions[i];
        if (!d->id[0]) break;
        if (strcmp(d->id, id)) continue;
        if (d->expires_ns > now) {
            res = d->allow;
            if (d->context) {
                *ctx = pt_arena_calloc(a, sizeof **ctx);
                if (pt_json_parse(a, d->context, strlen(d->context), *ctx, NULL, 0)) *ctx = NULL;
            }
        }
        break;
    }
    pthread_mutex_unlock(&s->mu);
    return res;
}

static void cache_put(gw_authstate_t *s, const char *id, bool allow, const char *ctx, size_t ctx_len,
                      uint64_t ttl_ns)
{
    uint64_t now = gw_now_ns();
    pthread_mutex_lock(&s->mu);
    if (!s->decisions) {
        s->decisions = calloc(CACHE_SLOTS, sizeof *s->decisions);
        if (!s->decisions) pt_oom();
    }
    if (s->ndecisions >= CACHE_SLOTS / 2) {
        /* Full enough that probing gets slow: start over (every entry is
         * only a cache; the next requests ask the authorizer again). */
        for (size_t i = 0; i < CACHE_SLOTS; i++) free(s->decisions[i].context);
        memset(s->decisions, 0, CACHE_SLOTS * sizeof *s->decisions);
        s->ndecisions = 0;
    }
    uint64_t i = slot_of(id);
    while (s->decisions[i].id[0] && strcmp(s->decisions[i].id, id)) i = (i + 1) % CACHE_SLOTS;
    decision_t *d = &s->decisions[i];
    if (!d->id[0]) s->ndecisions++;
    free(d->context);
    memcpy(d->id, id, 65);
    d->allow = allow;
    d->context = NULL;
    if (ctx) {
        d->context = malloc(ctx_len + 1);
        if (!d->context) pt_oom();
        memcpy(d->context, ctx, ctx_len);
        d->context[ctx_len] = 0;
    }
    d->expires_ns = now + ttl_ns;
    pthread_mutex_unlock(&s->mu);
}

static void custom_decided(const gw_auth_in_t *in, bool allow, pt_json_t *ctx, gw_auth_done_fn done, void *ud)
{
    if (!allow) {
        deny(done, ud, 403);
        return;
    }
    gw_auth_out_t out = {0};
    out.context = ctx;
    const pt_json_t *p = ctx ? pt_json_get(ctx, "principalId") : NULL;
    out.principal = p && p->type == PT_JSON_STRING ? p->u.str : NULL;
    done(ud, &out);
}

static void custom_answered(gw_http_call_t *c, void *userdata)
{
    job_t *j = userdata;
    const gw_authorizer_t *a = j->in.authorizer;
    int status;
    const char *h, *body;
    size_t hl, bl;
    gw_http_call_result(c, &status, &h, &hl, &body, &bl);
    pt_json_t doc;
    const pt_json_t *ok = NULL, *ctx = NULL;
    if (status == 200 && pt_json_parse(j->in.arena, body, bl, &doc, NULL, 0) == PT_OK &&
        doc.type == PT_JSON_OBJECT) {
        ok = pt_json_get(&doc, "isAuthorized");
        ctx = pt_json_get(&doc, "context");
    }
    if (!ok || (ok->type != PT_JSON_TRUE && ok->type != PT_JSON_FALSE) || (ctx && ctx->type != PT_JSON_OBJECT)) {
        fprintf(stderr, "portico: gateway authorizer '%s': %s answered status %d without a boolean isAuthorized\n",
                a->name, a->url, status);
        deny(j->done, j->ud, 500);
        job_free(j);
        return;
    }
    bool allow = ok->type == PT_JSON_TRUE;
    pt_json_t *ctx_copy = NULL;
    if (ctx) {
        ctx_copy = pt_arena_calloc(j->in.arena, sizeof *ctx_copy);
        *ctx_copy = *ctx;
    }
    if (a->cache_ttl_s) {
        pt_buf_t t = PT_BUF_INIT;
        if (ctx) {
            pt_jw_t w;
            pt_jw_init(&w, &t);
            pt_jw_value(&w, ctx);
        }
        cache_put(a->state, j->id, allow, ctx ? t.data : NULL, t.len, a->cache_ttl_s * 1000000000ull);
        pt_buf_free(&t);
    }
    custom_decided(&j->in, allow, ctx_copy, j->done, j->ud);
    job_free(j);
}

static void kv_object(pt_jw_t *w, const char *name, const gw_kv_t *kv, size_t n, bool lower)
{
    pt_jw_keyz(w, name);
    pt_jw_obj_begin(w);
    for (size_t i = 0; i < n; i++) {
        if (lower) {
            char k[256];
            size_t l = kv[i].name_len < sizeof k - 1 ? kv[i].name_len : sizeof k - 1;
            for (size_t c = 0; c < l; c++) k[c] = (char)(kv[i].name[c] >= 'A' && kv[i].name[c] <= 'Z' ? kv[i].name[c] + 32 : kv[i].name[c]);
            pt_jw_key(w, k, l);
        } else {
            pt_jw_key(w, kv[i].name, kv[i].name_len);
        }
        pt_jw_str(w, kv[i].value, kv[i].value_len);
    }
    pt_jw_obj_end(w);
}

static void run_custom(const gw_auth_in_t *in, gw_auth_done_fn done, void *ud)
{
    const gw_authorizer_t *a = in->authorizer;
    pt_buf_t ident = PT_BUF_INIT;
    for (size_t i = 0; i < a->nidentity; i++) {
        const char *v = header(in, a->identity[i]);
        if (!v || !*v) { /* API Gateway: a missing identity source is 401, no call */
            pt_buf_free(&ident);
            deny(done, ud, 401);
            return;
        }
        pt_buf_puts(&ident, v);
        pt_buf_putc(&ident, '\n');
    }
    char id[65];
    gw_sha256_hex(ident.data, ident.len, id);
    pt_buf_free(&ident);
    if (a->cache_ttl_s) {
        pt_json_t *ctx = NULL;
        int cached = cache_get(a->state, id, in->arena, &ctx);
        if (cached >= 0) {
            custom_decided(in, cached == 1, ctx, done, ud);
            return;
        }
    }
    job_t *j = job_new(in, done, ud);
    memcpy(j->id, id, sizeof id);
    pt_jw_t w;
    pt_jw_init(&w, &j->body);
    pt_jw_obj_begin(&w);
    pt_jw_keyz(&w, "version"); pt_jw_strz(&w, "2.0");
    pt_jw_keyz(&w, "type"); pt_jw_strz(&w, "REQUEST");
    pt_jw_keyz(&w, "routeKey"); pt_jw_strz(&w, in->route->key);
    pt_jw_keyz(&w, "rawPath"); pt_jw_strz(&w, in->path);
    const char *q = memchr(in->hr->target, '?', in->hr->target_len);
    pt_jw_keyz(&w, "rawQueryString");
    if (q) pt_jw_str(&w, q + 1, in->hr->target_len - (size_t)(q + 1 - in->hr->target)); else pt_jw_strz(&w, "");
    pt_jw_keyz(&w, "identitySource");
    pt_jw_arr_begin(&w);
    for (size_t i = 0; i < a->nidentity; i++) pt_jw_strz(&w, header(in, a->identity[i]));
    pt_jw_arr_end(&w);
    kv_object(&w, "headers", in->headers, in->nheaders, true);
    kv_object(&w, "queryStringParameters", in->query, in->nquery, false);
    kv_object(&w, "pathParameters", in->params, in->nparams, false);
    pt_jw_keyz(&w, "requestContext");
    pt_jw_obj_begin(&w);
    pt_jw_keyz(&w, "apiId"); pt_jw_strz(&w, in->api);
    pt_jw_keyz(&w, "stage"); pt_jw_strz(&w, in->stage);
    pt_jw_keyz(&w, "requestId"); pt_jw_strz(&w, in->request_id);
    pt_jw_keyz(&w, "routeKey"); pt_jw_strz(&w, in->route->key);
    pt_jw_keyz(&w, "http");
    pt_jw_obj_begin(&w);
    pt_jw_keyz(&w, "method"); pt_jw_strz(&w, in->hr->method);
    pt_jw_keyz(&w, "path"); pt_jw_strz(&w, in->path);
    pt_jw_keyz(&w, "sourceIp"); pt_jw_strz(&w, in->hr->peer_ip);
    pt_jw_obj_end(&w);
    pt_jw_obj_end(&w);
    pt_jw_obj_end(&w);
    if (job_start(j, "POST", a->url, a->timeout_ms, custom_answered)) {
        job_free(j);
        deny(done, ud, 500);
    }
}

/* --------------------------------------------------------------- sigv4 */

/* (Re)loads the credentials when credentials.json changed; under s->mu. */
static void refresh_creds(gw_authstate_t *s, const gw_auth_in_t *in)
{
    uint64_t now = gw_now_ns();
    if (s->creds_loaded && now - s->creds_checked_ns < 1000000000ull) return;
    s->creds_checked_ns = now;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", in->data_dir, PT_CRED_FILE);
    struct stat st;
    struct timespec mt = {0, 0};
    if (!stat(path, &st)) mt = st.st_mtim;
    if (s->creds_loaded && mt.tv_sec == s->creds_mtime.tv_sec && mt.tv_nsec == s->creds_mtime.tv_nsec) return;
    pt_credstore_t fresh;
    pt_credstore_init(&fresh);
    char err[256] = "";
    int rc = pt_credstore_load(&fresh, path, err, sizeof err);
    /* A JSON config file's "credentials" list, as the DynamoDB endpoint reads it. */
    FILE *f = rc == PT_OK && in->config_file ? fopen(in->config_file, "rb") : NULL;
    if (f) {
        pt_buf_t text = PT_BUF_INIT;
        char chunk[4096];
        size_t n;
        while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 && text.len < 16u * 1024 * 1024) pt_buf_append(&text, chunk, n);
        fclose(f);
        pt_arena_t a;
        pt_arena_init(&a);
        pt_json_t doc;
        if (text.len && pt_json_parse(&a, text.data, text.len, &doc, NULL, 0) == PT_OK) {
            const pt_json_t *list = pt_json_get(&doc, "credentials");
            if (list) rc = pt_credstore_add_json(&fresh, list, "config file", err, sizeof err);
        }
        pt_arena_destroy(&a);
        pt_buf_free(&text);
    }
    if (rc != PT_OK) {
        fprintf(stderr, "portico: gateway sigv4 authorizer: %s (keeping the previous credentials)\n", err);
        pt_credstore_free(&fresh);
        s->creds_loaded = true;
        return;
    }
    pt_credstore_free(&s->creds);
    s->creds = fresh;
    s->creds_loaded = true;
    s->creds_mtime = mt;
}

static void run_sigv4(const gw_auth_in_t *in, gw_auth_done_fn done, void *ud)
{
    const pt_http_request_t *hr = in->hr;
    pt_sigv4_header_t *sh = pt_arena_calloc(in->arena, (hr->nheaders ? hr->nheaders : 1) * sizeof *sh);
    for (size_t i = 0; i < hr->nheaders; i++)
        sh[i] = (pt_sigv4_header_t){hr->headers[i].name, hr->headers[i].name_len, hr->headers[i].value,
                                    hr->headers[i].value_len};
    const char *q = memchr(hr->target, '?', hr->target_len);
    pt_sigv4_request_t req = {
        .method = hr->method,
        .method_len = strlen(hr->method),
        .path = hr->target,
        .path_len = q ? (size_t)(q - hr->target) : hr->target_len,
        .query = q ? q + 1 : "",
        .query_len = q ? (size_t)(hr->target + hr->target_len - q - 1) : 0,
        .headers = sh,
        .nheaders = hr->nheaders,
        .body = hr->body,
        .body_len = hr->body_len,
    };
    pt_error_t err;
    pt_error_clear(&err);
    pt_sigv4_auth_t sa;
    gw_auth_out_t out = {0};
    if (pt_sigv4_parse(&req, in->authorizer->service, time(NULL), in->arena, &sa, &err) == PT_OK) {
        gw_authstate_t *s = in->authorizer->state;
        pthread_mutex_lock(&s->mu);
        refresh_creds(s, in);
        const pt_credential_t *c = pt_credstore_find(&s->creds, sa.key_id.s, sa.key_id.len);
        if (!c) {
            pt_error_set(&err, PT_E_UNRECOGNIZED_CLIENT, PT_SIGV4_MSG_UNKNOWN_KEY);
        } else if (pt_sigv4_verify(&req, &sa, c->secret, strlen(c->secret), in->arena, &err) == PT_OK) {
            const char *name = c->name ? c->name : c->key_id;
            out.principal = pt_arena_strndup(in->arena, name, strlen(name));
            pthread_mutex_unlock(&s->mu);
            out.context = principal_object(in->arena, out.principal);
            done(ud, &out);
            return;
        }
        pthread_mutex_unlock(&s->mu);
    }
    /* API Gateway answers IAM failures with 403 and the SigV4 message
     * ("Missing Authentication Token" when nothing was signed). */
    out.status = 403;
    out.reason = "forbidden";
    out.message = err.type && strstr(err.type, "MissingAuthenticationToken") ? "Missing Authentication Token"
                                                                            : pt_arena_strndup(in->arena, err.message, strlen(err.message));
    done(ud, &out);
}

/* ---------------------------------------------------------------- entry */

void gw_auth_run(const gw_auth_in_t *in, gw_auth_done_fn done, void *userdata)
{
    switch (in->authorizer->type) {
    case GW_A_JWT: run_jwt(in, done, userdata); break;
    case GW_A_CUSTOM: run_custom(in, done, userdata); break;
    case GW_A_SIGV4: run_sigv4(in, done, userdata); break;
    }
}
