/* The gateway's request pipeline, run on the HTTP server's loop threads:
 *
 *   metrics / admin reload endpoint? -> API (host, base path) -> stage
 *   -> CORS preflight -> route (404/405) -> authorizer (jwt, custom,
 *   sigv4; may answer later: gw_auth.h) -> API key -> throttles (gateway,
 *   stage, route, key) -> quota -> required parameters -> body (JSON,
 *   then the route's model) -> integration
 *   -> response (CORS headers, X-Request-Id) -> metrics + access log
 *
 * Every request holds a reference to the configuration version it started
 * with, so a reload never changes a request half-way. All of a request's
 * memory is in its arena (freed when it is answered), except the engine
 * call object and the response buffers.
 *
 * DynamoDB integrations call the engine in-process exactly as the DynamoDB
 * listener does: pt_call_start answers reads before it returns; writes are
 * answered on the writer thread, which only posts the exchange back to its
 * loop (pt_http_exchange_post); the response is mapped on the loop.
 *
 * Errors are JSON bodies {"message": ...} with API Gateway's messages where
 * it has one ("Unauthorized", "Forbidden", "Too Many Requests", "Limit Exceeded",
 * "Invalid request body",
 * "Missing required request parameters: [x]"). */
#include <fcntl.h>
#include <stddef.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "gateway/gateway.h"
#include "gateway/gw_auth.h"
#include "gateway/gw_http.h"
#include "gateway/gw_internal.h"
#include "net/http_handler.h"
#include "util/error.h"

struct pt_gw {
    pt_http_handler_t handler;
    pt_engine_t *engine;
    char *config_file;
    char *data_dir;
    pthread_mutex_t cfg_mu;
    gw_config_t *cfg;
    gw_keystore_t *keys;
    gw_usage_t *usage;
    gw_metrics_t *metrics;
    int log_fd;
    bool log_owned;
    char listen_host[256];
    unsigned listen_port;
};

typedef struct gw_req {
    pt_gw_t *gw;
    gw_config_t *cfg;
    pt_http_exchange_t *x;
    const pt_http_request_t *hr;
    char id[37];
    uint64_t t0, ti0, ti1;
    pthread_t loop_thread;
    bool sync_done;            /* the engine answered inside pt_call_start */
    const gw_api_t *api;
    const gw_stage_t *stage;
    size_t stage_idx;
    const char *path;          /* decoded request path, without query */
    gw_kv_t *query;
    size_t nquery;
    gw_kv_t *headers;
    size_t nheaders;
    gw_kv_t context[12];
    size_t ncontext;
    pt_json_t body;
    bool has_body;
    const char *origin;
    char key_id[32];
    char key_name[128];
    const char *principal;     /* set by an authorizer */
    pt_json_t *claims;         /* jwt authorizer: the token's claims */
    pt_json_t *auth_context;   /* authorizer context (principalId, custom context) */
    const gw_plan_t *plan;
    pt_call_t *call;
    pt_buf_t ddb_req;
    gw_http_call_t *upstream;
    bool streaming;            /* http integration: the response head was sent */
    int stream_status;
    size_t stream_bytes;
    bool rx_streamed;          /* the request body is streamed (not in hr->body) */
    bool rx_started;           /* pt_http_exchange_body_start was called */
    uint64_t rx_bytes;         /* streamed body bytes received so far */
    /* Last, and not zeroed at allocation (new_req): together they are most
     * of the struct's ~5 KiB (the arena's inline block, 64 path
     * parameters), and clearing them was a tenth of a proxied request's
     * instructions. */
    gw_match_t match;
    pt_arena_t arena;
} gw_req_t;

static gw_req_t *new_req(void)
{
    gw_req_t *r = malloc(sizeof *r);
    if (!r) pt_oom();
    memset(r, 0, offsetof(gw_req_t, match));
    r->match.route = NULL; /* what gw_router_match sets first */
    r->match.nparams = 0;
    r->match.path_matched = false;
    r->match.allow[0] = 0;
    pt_arena_init(&r->arena);
    return r;
}

/* ------------------------------------------------------------ helpers */

static _Thread_local uint64_t rng_s[2];

static uint64_t rng_next(void)
{
    if (!rng_s[0] && !rng_s[1]) {
        if (getrandom(rng_s, sizeof rng_s, GRND_NONBLOCK) != (ssize_t)sizeof rng_s) {
            rng_s[0] = gw_now_ns() ^ (uint64_t)(uintptr_t)&rng_s;
            rng_s[1] = 0x9E3779B97F4A7C15ull;
        }
        rng_s[0] |= 1;
    }
    uint64_t s1 = rng_s[0];
    const uint64_t s0 = rng_s[1];
    rng_s[0] = s0;
    s1 ^= s1 << 23;
    rng_s[1] = s1 ^ s0 ^ (s1 >> 17) ^ (s0 >> 26);
    return rng_s[1] + s0;
}

/* A version-4 UUID (request ids, as API Gateway's). */
static void make_uuid(char out[37])
{
    uint8_t b[16];
    uint64_t a = rng_next(), c = rng_next();
    memcpy(b, &a, 8);
    memcpy(b + 8, &c, 8);
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) out[o++] = '-';
        out[o++] = hex[b[i] >> 4];
        out[o++] = hex[b[i] & 15];
    }
    out[o] = 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Percent-decoding ('+' as space only in queries); invalid escapes stay. */
static char *decode(pt_arena_t *a, const char *s, size_t n, bool plus)
{
    char *out = pt_arena_alloc(a, n + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            out[o++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        } else if (plus && s[i] == '+') {
            out[o++] = ' ';
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = 0;
    return out;
}

static const char *header(const gw_req_t *r, const char *name)
{
    for (size_t i = 0; i < r->nheaders; i++)
        if (!strcasecmp(r->headers[i].name, name)) return r->headers[i].value;
    return NULL;
}

static const char *query_param(const gw_req_t *r, const char *name)
{
    for (size_t i = 0; i < r->nquery; i++)
        if (!strcmp(r->query[i].name, name)) return r->query[i].value;
    return NULL;
}

/* ------------------------------------------------------ configuration */

static gw_config_t *acquire_config(pt_gw_t *gw)
{
    pthread_mutex_lock(&gw->cfg_mu);
    gw_config_t *c = gw->cfg;
    gw_config_ref(c);
    pthread_mutex_unlock(&gw->cfg_mu);
    return c;
}

/* -------------------------------------------------------- access log */

static void access_log(gw_req_t *r, int status, size_t bytes)
{
    int fd = r->gw->log_fd;
    if (fd < 0) return;
    pt_buf_t b = PT_BUF_INIT;
    pt_jw_t w;
    pt_jw_init(&w, &b);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char when[32];
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    char whenms[64];
    snprintf(whenms, sizeof whenms, "%s.%03dZ", when, (int)(ts.tv_nsec / 1000000));
    uint64_t now = gw_now_ns();
    pt_jw_obj_begin(&w);
    pt_jw_keyz(&w, "requestId"); pt_jw_strz(&w, r->id);
    pt_jw_keyz(&w, "requestTime"); pt_jw_strz(&w, whenms);
    pt_jw_keyz(&w, "ip"); pt_jw_strz(&w, r->hr->peer_ip);
    pt_jw_keyz(&w, "method"); pt_jw_strz(&w, r->hr->method);
    pt_jw_keyz(&w, "path"); pt_jw_strz(&w, r->path ? r->path : "");
    pt_jw_keyz(&w, "api"); if (r->api) pt_jw_strz(&w, r->api->name); else pt_jw_null(&w);
    pt_jw_keyz(&w, "stage"); if (r->stage) pt_jw_strz(&w, r->stage->name); else pt_jw_null(&w);
    pt_jw_keyz(&w, "route"); if (r->match.route) pt_jw_strz(&w, r->match.route->key); else pt_jw_null(&w);
    pt_jw_keyz(&w, "status"); pt_jw_int(&w, status);
    pt_jw_keyz(&w, "latency"); pt_jw_double(&w, (double)(now - r->t0) / 1e6);
    pt_jw_keyz(&w, "integrationLatency");
    if (r->ti1) pt_jw_double(&w, (double)(r->ti1 - r->ti0) / 1e6); else pt_jw_null(&w);
    pt_jw_keyz(&w, "apiKeyId"); if (r->key_id[0]) pt_jw_strz(&w, r->key_id); else pt_jw_null(&w);
    pt_jw_keyz(&w, "principal");
    if (r->principal) pt_jw_strz(&w, r->principal);
    else if (r->key_name[0]) pt_jw_strz(&w, r->key_name);
    else pt_jw_null(&w);
    const char *ua = header(r, "user-agent");
    pt_jw_keyz(&w, "userAgent"); if (ua) pt_jw_strz(&w, ua); else pt_jw_null(&w);
    pt_jw_keyz(&w, "requestBytes");
    pt_jw_int(&w, (int64_t)(r->rx_streamed ? r->rx_bytes : r->hr->body_len));
    pt_jw_keyz(&w, "bytes"); pt_jw_int(&w, (int64_t)bytes);
    pt_jw_obj_end(&w);
    pt_buf_putc(&b, '\n');
    /* One write per line: O_APPEND files and pipes keep lines whole. */
    ssize_t n = write(fd, b.data, b.len);
    (void)n;
    pt_buf_free(&b);
}

/* ----------------------------------------------------------- responses */

static void cors_headers(gw_req_t *r, pt_buf_t *h)
{
    if (!r->api || !r->api->cors.set || !r->origin) return;
    const gw_cors_t *c = &r->api->cors;
    bool star = false, match = false;
    for (size_t i = 0; i < c->norigins; i++) {
        if (!strcmp(c->origins[i], "*")) star = true;
        else if (!strcmp(c->origins[i], r->origin)) match = true;
    }
    if (!star && !match) return;
    if (star && !match && !c->credentials) {
        pt_buf_puts(h, "Access-Control-Allow-Origin: *\r\n");
    } else {
        /* Echoed only after the comparison above; CR/LF cannot be in a
         * header value the parser accepted. */
        pt_buf_printf(h, "Access-Control-Allow-Origin: %s\r\nVary: Origin\r\n", r->origin);
    }
    if (c->credentials) pt_buf_puts(h, "Access-Control-Allow-Credentials: true\r\n");
    if (c->expose_headers) pt_buf_printf(h, "Access-Control-Expose-Headers: %s\r\n", c->expose_headers);
}

static void record_request(gw_req_t *r, int status, size_t len);
static void free_request(gw_req_t *r);

/* Answers, records metrics and the access log line, frees the request.
 * `extra_headers` are extra_len bytes of "Name: value\r\n" lines. */
static void finish_n(gw_req_t *r, int status, const char *ctype, const char *extra_headers,
                     size_t extra_len, const char *body, size_t len)
{
    pt_buf_t h = PT_BUF_INIT;
    pt_buf_reserve(&h, 64 + extra_len);
    if (ctype) {
        pt_buf_puts(&h, "Content-Type: ");
        pt_buf_puts(&h, ctype);
        pt_buf_puts(&h, "\r\n");
    }
    pt_buf_puts(&h, "X-Request-Id: ");
    pt_buf_puts(&h, r->id);
    pt_buf_puts(&h, "\r\n");
    cors_headers(r, &h);
    pt_buf_append(&h, extra_headers, extra_len);
    pt_http_reply_t rep = {status, h.data, h.len, body, len};
    /* Recorded before the answer leaves: a client that reads /metrics
     * right after its response must find the request counted. */
    record_request(r, status, len);
    pt_http_exchange_respond(r->x, &rep);
    pt_buf_free(&h);
    free_request(r);
}

static void finish(gw_req_t *r, int status, const char *ctype, const char *extra_headers,
                   const char *body, size_t len)
{
    finish_n(r, status, ctype, extra_headers, extra_headers ? strlen(extra_headers) : 0, body, len);
}

/* Metrics and the access log line of a request. */
static void record_request(gw_req_t *r, int status, size_t len)
{
    double lat = (double)(gw_now_ns() - r->t0) / 1e9;
    double il = r->ti1 ? (double)(r->ti1 - r->ti0) / 1e9 : -1;
    const char *itype = !r->match.route ? NULL
                        : r->match.route->integ.type == GW_I_DYNAMODB ? "dynamodb"
                        : r->match.route->integ.type == GW_I_HTTP     ? "http"
                                                                      : "mock";
    gw_metrics_request(r->gw->metrics, r->api ? r->api->name : "-", r->stage ? r->stage->name : "-",
                       r->match.route ? r->match.route->key : "-", status, lat, il, itype);
    access_log(r, status, len);
}

static void free_request(gw_req_t *r)
{
    if (r->call) pt_call_free(r->call);
    if (r->upstream) gw_http_call_free(r->upstream);
    pt_buf_free(&r->ddb_req);
    gw_config_unref(r->cfg);
    pt_arena_destroy(&r->arena);
    free(r);
}

/* A streamed response: recorded and freed once its last byte was handed
 * over, before the exchange ends. */
static void done_request(gw_req_t *r, int status, size_t len)
{
    record_request(r, status, len);
    free_request(r);
}

static void finish_json_msg(gw_req_t *r, int status, const char *extra_headers, const char *msg)
{
    pt_buf_t b = PT_BUF_INIT;
    pt_jw_t w;
    pt_jw_init(&w, &b);
    pt_jw_obj_begin(&w);
    pt_jw_keyz(&w, "message");
    pt_jw_strz(&w, msg);
    pt_jw_obj_end(&w);
    finish(r, status, "application/json", extra_headers, b.data, b.len);
    pt_buf_free(&b);
}

/* ---------------------------------------------------------- templates */

static void template_ctx(gw_req_t *r, gw_tctx_t *t)
{
    memset(t, 0, sizeof *t);
    t->path = r->match.params;
    t->npath = r->match.nparams;
    t->query = r->query;
    t->nquery = r->nquery;
    t->headers = r->headers;
    t->nheaders = r->nheaders;
    t->stage = r->stage ? r->stage->vars : NULL;
    t->nstage = r->stage ? r->stage->nvars : 0;
    t->context = r->context;
    t->ncontext = r->ncontext;
    t->body = r->has_body ? &r->body : NULL;
    t->claims = r->claims;
    t->authorizer = r->auth_context;
}

static void add_context(gw_req_t *r, const char *name, const char *value)
{
    if (r->ncontext >= sizeof r->context / sizeof *r->context || !value) return;
    r->context[r->ncontext++] = (gw_kv_t){name, value, strlen(name), strlen(value)};
}

/* ------------------------------------------------------------- mock */

static void run_mock(gw_req_t *r)
{
    const gw_integration_t *ig = &r->match.route->integ;
    gw_tctx_t t;
    template_ctx(r, &t);
    pt_buf_t body = PT_BUF_INIT, hdrs = PT_BUF_INIT;
    gw_tpl_render_text(ig->body, &t, true, &body);
    for (size_t i = 0; i < ig->nheaders; i++) {
        pt_buf_printf(&hdrs, "%s: ", ig->headers[i].name);
        gw_tpl_render_text(ig->header_tpls[i], &t, false, &hdrs);
        pt_buf_puts(&hdrs, "\r\n");
    }
    pt_buf_putc(&hdrs, 0);
    finish(r, ig->status, ig->content_type, hdrs.data, body.data ? body.data : "", body.len);
    pt_buf_free(&body);
    pt_buf_free(&hdrs);
}

/* ---------------------------------------------------------- dynamodb */

/* DynamoDB error type -> HTTP status of the API. */
static int map_ddb_error(const char *type, int status)
{
    static const struct { const char *t; int s; } map[] = {
        {"ConditionalCheckFailedException", 409},
        {"TransactionConflictException", 409},
        {"TransactionCanceledException", 409},
        {"ResourceNotFoundException", 404},
        {"ValidationException", 400},
        {"SerializationException", 400},
        {"ItemCollectionSizeLimitExceededException", 400},
        {"ProvisionedThroughputExceededException", 429},
        {"ThrottlingException", 429},
        {"RequestLimitExceeded", 429},
        {"LimitExceededException", 429},
        {"UnknownOperationException", 502},
        {"InternalServerError", 502},
    };
    for (size_t i = 0; i < sizeof map / sizeof *map; i++)
        if (!strcmp(map[i].t, type)) return map[i].s;
    return status >= 500 ? 502 : 400;
}

static void ddb_respond(gw_req_t *r)
{
    r->ti1 = gw_now_ns();
    const gw_integration_t *ig = &r->match.route->integ;
    int st = pt_call_status(r->call);
    size_t len = 0;
    const char *resp = pt_call_response(r->call, &len);
    if (!resp) resp = "{}", len = 2;
    pt_json_t doc;
    bool parsed = pt_json_parse(&r->arena, resp, len, &doc, NULL, 0) == PT_OK &&
                  doc.type == PT_JSON_OBJECT;
    if (st != 200) {
        const pt_json_t *ty = parsed ? pt_json_get(&doc, "__type") : NULL;
        const pt_json_t *msg = parsed ? pt_json_get(&doc, "message") : NULL;
        if (!msg && parsed) msg = pt_json_get(&doc, "Message");
        const char *type = ty && ty->type == PT_JSON_STRING ? ty->u.str : "InternalServerError";
        const char *hash = strrchr(type, '#');
        if (hash) type = hash + 1;
        pt_buf_t b = PT_BUF_INIT;
        pt_jw_t w;
        pt_jw_init(&w, &b);
        pt_jw_obj_begin(&w);
        pt_jw_keyz(&w, "message");
        if (msg && msg->type == PT_JSON_STRING) pt_jw_str(&w, msg->u.str, msg->len); else pt_jw_strz(&w, type);
        pt_jw_keyz(&w, "type");
        pt_jw_strz(&w, type);
        pt_jw_obj_end(&w);
        finish(r, map_ddb_error(type, st), "application/json", NULL, b.data, b.len);
        pt_buf_free(&b);
        return;
    }
    if (ig->raw_response || !parsed) {
        finish(r, ig->success_status, "application/json", NULL, resp, len);
        return;
    }
    pt_buf_t b = PT_BUF_INIT;
    pt_jw_t w;
    pt_jw_init(&w, &b);
    const char *act = ig->action;
    if (!strcmp(act, "GetItem")) {
        const pt_json_t *item = pt_json_get(&doc, "Item");
        if (!item) {
            pt_buf_free(&b);
            finish_json_msg(r, 404, NULL, "Not Found");
            return;
        }
        gw_ddb_unmarshal_item(&w, item);
    } else if (!strcmp(act, "PutItem") || !strcmp(act, "UpdateItem") || !strcmp(act, "DeleteItem")) {
        gw_ddb_unmarshal_item(&w, pt_json_get(&doc, "Attributes"));
    } else {
        /* Generic: DynamoDB's member names kept, typed values unmarshalled. */
        pt_jw_obj_begin(&w);
        for (uint32_t i = 0; i < doc.len; i++) {
            const pt_json_member_t *m = &doc.u.members[i];
            pt_jw_key(&w, m->key, m->key_len);
            if (!strcmp(m->key, "Item") || !strcmp(m->key, "Attributes") ||
                !strcmp(m->key, "LastEvaluatedKey")) {
                gw_ddb_unmarshal_item(&w, &m->value);
            } else if (!strcmp(m->key, "Items") && m->value.type == PT_JSON_ARRAY) {
                pt_jw_arr_begin(&w);
                for (uint32_t k = 0; k < m->value.len; k++) gw_ddb_unmarshal_item(&w, &m->value.u.elems[k]);
                pt_jw_arr_end(&w);
            } else if (!strcmp(m->key, "Responses") && m->value.type == PT_JSON_OBJECT) {
                pt_jw_obj_begin(&w);
                for (uint32_t t = 0; t < m->value.len; t++) {
                    const pt_json_member_t *tm = &m->value.u.members[t];
                    pt_jw_key(&w, tm->key, tm->key_len);
                    pt_jw_arr_begin(&w);
                    for (uint32_t k = 0; tm->value.type == PT_JSON_ARRAY && k < tm->value.len; k++)
                        gw_ddb_unmarshal_item(&w, &tm->value.u.elems[k]);
                    pt_jw_arr_end(&w);
                }
                pt_jw_obj_end(&w);
            } else {
                pt_jw_value(&w, &m->value);
            }
        }
        pt_jw_obj_end(&w);
    }
    finish(r, ig->success_status, "application/json", NULL, b.data, b.len);
    pt_buf_free(&b);
}

static void ddb_done(pt_call_t *call, void *userdata)
{
    gw_req_t *r = userdata;
    if (pthread_equal(pthread_self(), r->loop_thread)) { /* inside pt_call_start */
        r->sync_done = true;
        return;
    }
    pt_http_exchange_post(r->x);
}

static void run_dynamodb(gw_req_t *r)
{
    const gw_integration_t *ig = &r->match.route->integ;
    gw_tctx_t t;
    template_ctx(r, &t);
    char err[256];
    if (gw_tpl_render_json(ig->request, &t, &r->arena, &r->ddb_req, err, sizeof err)) {
        finish_json_msg(r, 400, NULL, err);
        return;
    }
    if (!(r->call = pt_call_new())) {
        finish_json_msg(r, 500, NULL, "Internal server error");
        return;
    }
    r->ti0 = gw_now_ns();
    r->loop_thread = pthread_self();
    pt_http_exchange_set_data(r->x, r);
    /* done() either runs inside pt_call_start on this thread (then the
     * response is ready when it returns) or later on the writer thread,
     * which posts the exchange back here (gw_resume). */
    r->sync_done = false;
    pt_call_start(r->gw->engine, r->call, ig->action, strlen(ig->action), r->ddb_req.data,
                  r->ddb_req.len, ddb_done, r);
    if (r->sync_done) ddb_respond(r);
}

/* ------------------------------------------------------------- http */

/* The http integration streams the upstream's response to the client
 * (gw_http_call_stream + pt_http_exchange_begin/write/end): the body is
 * never held whole, whatever its size; the client's pace throttles the
 * upstream (backpressure both ways through the TCP windows). Failures
 * before the response head are answered 502/504 as usual; after it, the
 * client connection is closed so the truncation is visible. A small
 * response (GW_HTTP_STREAM_BUFFER) arrives whole in http_done instead and
 * is answered like any other (finish_n): head and body in one write.
 *
 * Large or chunked request bodies on routes that do not need them whole
 * (route_streams_body) are streamed too: stream_body() opts in at the
 * client's headers-complete, the pipeline runs without the body, and once
 * the upstream has the request head (http_ready) the body flows client ->
 * http_rx -> gw_http_call_send, reading from the client paused while the
 * upstream's write queue is full. */
static void http_drain(pt_http_exchange_t *x, void *arg, int gone)
{
    gw_req_t *r = arg;
    if (!gone) {
        gw_http_call_resume(r->upstream);
        return;
    }
    /* The client went away mid-body: drop the upstream call too. */
    gw_http_call_free(r->upstream);
    r->upstream = NULL;
    done_request(r, r->stream_status, r->stream_bytes);
    pt_http_exchange_end(x, 0);
}

static void http_head(gw_http_call_t *hc, void *userdata, int status, const char *headers,
                      size_t headers_len, long long content_length)
{
    gw_req_t *r = userdata;
    r->ti1 = gw_now_ns();
    r->streaming = true;
    r->stream_status = status;
    pt_buf_t h = PT_BUF_INIT;
    pt_buf_printf(&h, "X-Request-Id: %s\r\n", r->id);
    cors_headers(r, &h);
    pt_buf_append(&h, headers, headers_len);
    pt_http_exchange_begin(r->x, status, h.data, h.len, content_length, http_drain, r);
    pt_buf_free(&h);
}

static int http_body(gw_http_call_t *hc, void *userdata, const char *data, size_t len)
{
    gw_req_t *r = userdata;
    r->stream_bytes += len;
    return pt_http_exchange_write(r->x, data, len);
}

static const gw_http_stream_ops_t http_stream_ops = {http_head, http_body};

/* A streamed request body ends early (client gone, framing broken, over
 * maxBodyBytes): the upstream call is dropped and the client answered
 * with `status` (or, once the response is streaming, cut off). */
static void http_rx_fail(gw_req_t *r, int status, const char *reason, const char *msg)
{
    gw_http_call_free(r->upstream);
    r->upstream = NULL;
    if (r->streaming) {
        pt_http_exchange_t *x = r->x;
        done_request(r, r->stream_status, r->stream_bytes);
        pt_http_exchange_end(x, 0);
        return;
    }
    r->ti1 = gw_now_ns();
    if (reason)
        gw_metrics_count(r->gw->metrics, "portico_gateway_rejected_total", r->api->name, r->stage->name,
                         reason);
    finish_json_msg(r, status, NULL, msg);
}

/* Client body bytes -> upstream, with backpressure: a full upstream write
 * queue pauses reading from the client until http_ready. */
static int http_rx(pt_http_exchange_t *x, void *arg, const char *data, size_t len, int event)
{
    gw_req_t *r = arg;
    if (event == PT_HTTP_BODY_ABORT) {
        http_rx_fail(r, 400, NULL, "Bad Request");
        return -1;
    }
    if (event == PT_HTTP_BODY_END) {
        gw_http_call_send_end(r->upstream);
        return 0;
    }
    r->rx_bytes += len;
    if (r->rx_bytes > r->match.route->integ.max_body) {
        http_rx_fail(r, 413, "body_too_large", "Request Too Long");
        return -1;
    }
    return gw_http_call_send(r->upstream, data, len);
}

/* The upstream took the request head (first call) or drained its queue. */
static void http_ready(gw_http_call_t *hc, void *userdata)
{
    gw_req_t *r = userdata;
    if (r->rx_started) {
        pt_http_exchange_body_resume(r->x); /* may free r */
        return;
    }
    r->rx_started = true;
    if (pt_http_exchange_body_start(r->x, http_rx, r)) /* may free r */
        http_rx_fail(r, 400, NULL, "Bad Request"); /* the client is gone */
}

/* Whether nothing on the route needs the request body whole: the http
 * integration forwards it as it arrives unless a body model validates it,
 * the URL template reads it, or a SigV4 authorizer hashes it. */
static bool tpl_uses_body(const gw_tpl_t *t)
{
    if (!t) return false;
    for (size_t i = 0; i < t->nparts; i++)
        if (t->parts[i].ref && t->parts[i].ref->source == GW_SRC_BODY) return true;
    for (size_t i = 0; t->vals && i < t->n; i++)
        if (tpl_uses_body(t->vals[i])) return true;
    return false;
}

static bool route_streams_body(const gw_route_t *route)
{
    return route->integ.type == GW_I_HTTP && !route->body_schema &&
           !(route->authorizer && route->authorizer->type == GW_A_SIGV4) &&
           !tpl_uses_body(route->integ.url);
}

static void http_done(gw_http_call_t *hc, void *userdata)
{
    gw_req_t *r = userdata;
    if (r->streaming) {
        /* Logged before end: ending may start the connection's next
         * (pipelined) request, which reuses the exchange. */
        pt_http_exchange_t *x = r->x;
        int complete = gw_http_call_complete(hc);
        done_request(r, r->stream_status, r->stream_bytes);
        pt_http_exchange_end(x, complete);
        return;
    }
    r->ti1 = gw_now_ns();
    int status;
    const char *hdrs, *body;
    size_t hlen, blen;
    gw_http_call_result(hc, &status, &hdrs, &hlen, &body, &blen);
    if (gw_http_call_failed(hc) && status == 504)
        finish_json_msg(r, 504, NULL, "Endpoint request timed out");
    else if (gw_http_call_failed(hc))
        finish_json_msg(r, 502, NULL, "Bad Gateway");
    else /* a small response, buffered by gw_http (one write to the client) */
        finish_n(r, status, NULL, hdrs, hlen, body, blen);
}

static void run_http(gw_req_t *r)
{
    const gw_integration_t *ig = &r->match.route->integ;
    gw_tctx_t t;
    template_ctx(r, &t);
    pt_buf_t url = PT_BUF_INIT;
    gw_tpl_render_text(ig->url, &t, false, &url);
    /* The client's query string goes along unless the URL has its own. */
    const char *q = memchr(r->hr->target, '?', r->hr->target_len);
    if (q && !memchr(url.data, '?', url.len))
        pt_buf_append(&url, q, r->hr->target_len - (size_t)(q - r->hr->target));
    pt_buf_putc(&url, 0);
    r->ti0 = gw_now_ns();
    pt_http_exchange_set_data(r->x, r);
    int rc;
    if (r->rx_streamed)
        rc = gw_http_call_upload(pt_http_exchange_loop(r->x), pt_http_exchange_thread(r->x), url.data,
                                 r->hr, r->id, ig->timeout_ms, pt_http_exchange_body_length(r->x),
                                 &http_stream_ops, http_ready, http_done, r, &r->upstream);
    else
        rc = gw_http_call_stream(pt_http_exchange_loop(r->x), pt_http_exchange_thread(r->x), url.data,
                                 r->hr, r->id, ig->timeout_ms, &http_stream_ops, http_done, r,
                                 &r->upstream);
    pt_buf_free(&url);
    if (rc) {
        r->ti1 = gw_now_ns();
        finish_json_msg(r, 502, NULL, "Bad Gateway");
    }
}

/* ------------------------------------------------------------ pipeline */

static void proceed(gw_req_t *r);
static void reject(gw_req_t *r, int status, const char *reason, const char *msg);

static void authorized(void *userdata, const gw_auth_out_t *out)
{
    gw_req_t *r = userdata;
    if (out->status) {
        reject(r, out->status, out->reason, out->message);
        return;
    }
    r->claims = out->claims;
    r->auth_context = out->context;
    r->principal = out->principal;
    proceed(r);
}

/* The route's body model (API Gateway: 400 "Invalid request body"; the
 * violations, each with the JSON pointer of the failing field, follow in
 * "errors"). Returns false when the request was answered. */
static bool validate_body(gw_req_t *r)
{
    const gw_route_t *route = r->match.route;
    pt_buf_t b = PT_BUF_INIT;
    pt_jw_t w;
    pt_jw_init(&w, &b);
    pt_jw_obj_begin(&w);
    pt_jw_keyz(&w, "message");
    pt_jw_strz(&w, "Invalid request body");
    pt_jw_keyz(&w, "errors");
    pt_jw_arr_begin(&w);
    size_t n;
    if (!r->has_body && r->hr->body_len) {
        pt_jw_obj_begin(&w);
        pt_jw_keyz(&w, "field"); pt_jw_strz(&w, "");
        pt_jw_keyz(&w, "message"); pt_jw_strz(&w, "the body is not JSON");
        pt_jw_obj_end(&w);
        n = 1;
    } else {
        n = gw_schema_validate(route->body_schema, r->has_body ? &r->body : NULL, &w, 10);
    }
    pt_jw_arr_end(&w);
    pt_jw_obj_end(&w);
    if (n) {
        gw_metrics_count(r->gw->metrics, "portico_gateway_rejected_total", r->api->name, r->stage->name,
                         "validation");
        finish(r, 400, "application/json", NULL, b.data, b.len);
    }
    pt_buf_free(&b);
    return n == 0;
}

/* POST <admin path>: the same as SIGHUP. Allowed from loopback peers, or
 * from anywhere with the configured admin key (x-admin-key). */
static void admin_reload(gw_req_t *r)
{
    const char *key = header(r, "x-admin-key");
    bool ok;
    if (r->cfg->admin_key_hash) {
        char hex[65];
        if (key) gw_sha256_hex(key, strlen(key), hex);
        ok = key && CRYPTO_memcmp(hex, r->cfg->admin_key_hash, 64) == 0;
    } else {
        const char *ip = r->hr->peer_ip;
        ok = !strncmp(ip, "127.", 4) || !strcmp(ip, "::1") || !strncmp(ip, "::ffff:127.", 11);
    }
    if (!ok) {
        reject(r, 403, "forbidden", "Forbidden");
        return;
    }
    if (strcmp(r->hr->method, "POST")) {
        finish_json_msg(r, 405, "Allow: POST\r\n", "Method Not Allowed");
        return;
    }
    char err[8192] = "";
    pt_buf_t b = PT_BUF_INIT;
    pt_jw_t w;
    pt_jw_init(&w, &b);
    pt_jw_obj_begin(&w);
    int status = 200;
    if (pt_gw_reload(r->gw, err, sizeof err)) {
        fprintf(stderr, "portico: gateway reload rejected, keeping the running configuration:\n%s\n", err);
        status = 400;
        pt_jw_keyz(&w, "message");
        pt_jw_strz(&w, "Reload rejected; the running configuration is kept");
        pt_jw_keyz(&w, "errors");
        pt_jw_arr_begin(&w);
        for (char *line = err, *nl; *line; line = nl ? nl + 1 : line + strlen(line)) {
            nl = strchr(line, '\n');
            pt_jw_str(&w, line, nl ? (size_t)(nl - line) : strlen(line));
        }
        pt_jw_arr_end(&w);
    } else {
        fprintf(stderr, "portico: gateway configuration reloaded (admin endpoint)\n");
        pt_jw_keyz(&w, "message");
        pt_jw_strz(&w, "Reloaded");
    }
    fflush(stderr);
    pt_jw_obj_end(&w);
    finish(r, status, "application/json", NULL, b.data, b.len);
    pt_buf_free(&b);
}

static void preflight(gw_req_t *r)
{
    const gw_cors_t *c = &r->api->cors;
    pt_buf_t h = PT_BUF_INIT;
    bool allowed = false;
    for (size_t i = 0; i < c->norigins; i++)
        if (!strcmp(c->origins[i], "*") || !strcmp(c->origins[i], r->origin)) allowed = true;
    if (allowed) {
        if (c->allow_methods) {
            pt_buf_printf(&h, "Access-Control-Allow-Methods: %s\r\n", c->allow_methods);
        } else {
            /* The methods the API's routes define. */
            bool seen[GW_M_COUNT] = {0};
            for (size_t i = 0; i < r->api->nroutes; i++) seen[r->api->routes[i].method] = true;
            pt_buf_puts(&h, "Access-Control-Allow-Methods: ");
            bool first = true;
            for (int m = 0; m < GW_M_COUNT; m++) {
                const char *nm = m == GW_M_ANY ? NULL : gw_method_names[m];
                if (seen[GW_M_ANY] && nm) seen[m] = true;
                if (!nm || !seen[m]) continue;
                pt_buf_printf(&h, "%s%s", first ? "" : ", ", nm);
                first = false;
            }
            pt_buf_puts(&h, "\r\n");
        }
        const char *req_h = header(r, "access-control-request-headers");
        if (c->allow_headers)
            pt_buf_printf(&h, "Access-Control-Allow-Headers: %s\r\n", c->allow_headers);
        else if (req_h)
            pt_buf_printf(&h, "Access-Control-Allow-Headers: %s\r\n", req_h);
        if (c->max_age >= 0) pt_buf_printf(&h, "Access-Control-Max-Age: %ld\r\n", c->max_age);
    }
    pt_buf_putc(&h, 0);
    finish(r, 204, NULL, h.data, "", 0);
    pt_buf_free(&h);
}

static bool throttled(gw_req_t *r)
{
    uint64_t now = gw_now_ns();
    gw_bucket_t *levels[3] = {&r->cfg->bucket, (gw_bucket_t *)&r->stage->bucket,
                              &r->match.route->stage_buckets[r->stage_idx]};
    static const char *names[3] = {"gateway", "stage", "route"};
    double wait = 0;
    int failed = -1;
    size_t taken = 0;
    for (size_t i = 0; i < 3; i++) {
        if (!gw_bucket_take(levels[i], now, &wait)) {
            failed = (int)i;
            break;
        }
        taken++;
    }
    const char *level = failed >= 0 ? names[failed] : NULL;
    if (failed < 0 && r->plan && r->plan->throttle.set) {
        if (!gw_usage_throttle(r->gw->usage, r->key_id, r->plan, now, &wait)) level = "key";
    }
    if (!level) return false;
    for (size_t i = 0; i < taken; i++) gw_bucket_refund(levels[i]);
    gw_metrics_count(r->gw->metrics, "portico_gateway_throttled_total", r->api->name, r->stage->name, level);
    long secs = (long)wait + ((double)(long)wait < wait ? 1 : 0);
    if (secs < 1) secs = 1;
    char hdr[64];
    snprintf(hdr, sizeof hdr, "Retry-After: %ld\r\n", secs);
    finish_json_msg(r, 429, hdr, "Too Many Requests");
    return true;
}

static void reject(gw_req_t *r, int status, const char *reason, const char *msg)
{
    gw_metrics_count(r->gw->metrics, "portico_gateway_rejected_total", r->api ? r->api->name : "-",
                     r->stage ? r->stage->name : "-", reason);
    finish_json_msg(r, status, NULL, msg);
}

static void handle(void *ctx, pt_http_exchange_t *x)
{
    pt_gw_t *gw = ctx;
    gw_req_t *r = new_req();
    r->gw = gw;
    r->x = x;
    r->hr = pt_http_exchange_request(x);
    r->t0 = gw_now_ns();
    make_uuid(r->id);
    r->cfg = acquire_config(gw);
    r->rx_streamed = pt_http_exchange_body_streamed(x);
    const pt_http_request_t *hr = r->hr;

    r->headers = pt_arena_calloc(&r->arena, (hr->nheaders ? hr->nheaders : 1) * sizeof *r->headers);
    for (size_t i = 0; i < hr->nheaders; i++)
        r->headers[r->nheaders++] = (gw_kv_t){hr->headers[i].name, hr->headers[i].value,
                                              hr->headers[i].name_len, hr->headers[i].value_len};
    r->origin = header(r, "origin");

    /* Path and query. */
    const char *q = memchr(hr->target, '?', hr->target_len);
    size_t plen = q ? (size_t)(q - hr->target) : hr->target_len;
    r->path = pt_arena_strndup(&r->arena, hr->target, plen);
    if (q) {
        const char *s = q + 1, *end = hr->target + hr->target_len;
        size_t cnt = 1;
        for (const char *p = s; p < end; p++) if (*p == '&') cnt++;
        r->query = pt_arena_calloc(&r->arena, cnt * sizeof *r->query);
        while (s < end) {
            const char *amp = memchr(s, '&', (size_t)(end - s));
            const char *e = amp ? amp : end;
            if (e > s) {
                const char *eq = memchr(s, '=', (size_t)(e - s));
                const char *ne = eq ? eq : e;
                char *name = decode(&r->arena, s, (size_t)(ne - s), true);
                char *val = eq ? decode(&r->arena, eq + 1, (size_t)(e - eq - 1), true) : "";
                r->query[r->nquery++] = (gw_kv_t){name, val, strlen(name), strlen(val)};
            }
            s = e + 1;
        }
    }
    if (hr->target_len == 0 || hr->target[0] != '/') {
        finish_json_msg(r, 400, NULL, "Bad Request");
        return;
    }
    if (r->cfg->metrics_path && !strcmp(r->path, r->cfg->metrics_path) &&
        (!strcmp(hr->method, "GET") || !strcmp(hr->method, "HEAD"))) {
        pt_buf_t b = PT_BUF_INIT;
        gw_metrics_render(gw->metrics, &b);
        finish(r, 200, "text/plain; version=0.0.4; charset=utf-8", NULL, b.data ? b.data : "", b.len);
        pt_buf_free(&b);
        return;
    }
    if (r->cfg->admin_path && !strcmp(r->path, r->cfg->admin_path)) {
        admin_reload(r);
        return;
    }
    if (hr->body_len > r->cfg->max_body) {
        reject(r, 413, "body_too_large", "Request Too Long");
        return;
    }

    /* Segments (percent-decoded; one trailing slash ignored). */
    const char *segs[GW_MAX_SEGS + 8];
    size_t nsegs = 0;
    {
        const char *s = r->path + 1;
        size_t left = plen - 1;
        if (left && s[left - 1] == '/') left--;
        while (left) {
            const char *sl = memchr(s, '/', left);
            size_t n = sl ? (size_t)(sl - s) : left;
            if (nsegs + 2 > GW_MAX_SEGS + 8) {
                reject(r, 404, "not_found", "Not Found");
                return;
            }
            segs[nsegs++] = decode(&r->arena, s, n, false);
            if (!sl) break;
            left -= n + 1;
            s = sl + 1;
            if (!left) segs[nsegs++] = ""; /* "a//" keeps its empty segment */
        }
    }

    /* API: host first, then the longest base path. */
    const char *host = header(r, "host");
    size_t host_len = host ? strcspn(host, ":") : 0;
    const gw_api_t *best = NULL;
    size_t best_segs = 0;
    for (size_t i = 0; i < r->cfg->napis; i++) {
        const gw_api_t *api = &r->cfg->apis[i];
        if (api->host && (!host || strlen(api->host) != host_len || strncasecmp(api->host, host, host_len)))
            continue;
        size_t bn = 0;
        bool ok = true;
        const char *bp = api->base_path;
        while (*bp) {
            bp++; /* '/' */
            const char *e = strchr(bp, '/');
            size_t n = e ? (size_t)(e - bp) : strlen(bp);
            if (bn >= nsegs || strlen(segs[bn]) != n || strncmp(segs[bn], bp, n)) {
                ok = false;
                break;
            }
            bn++;
            bp += n;
        }
        if (!ok) continue;
        if (!best || bn > best_segs || (bn == best_segs && api->host && !best->host)) {
            best = api;
            best_segs = bn;
        }
    }
    if (!best || best_segs >= nsegs) {
        reject(r, 404, "not_found", "Not Found");
        return;
    }
    r->api = best;
    for (size_t s = 0; s < best->nstages; s++)
        if (!strcmp(best->stages[s].name, segs[best_segs])) {
            r->stage = &best->stages[s];
            r->stage_idx = s;
        }
    if (!r->stage) {
        reject(r, 404, "not_found", "Not Found");
        return;
    }
    if (best->cors.set && r->origin && !strcmp(hr->method, "OPTIONS") &&
        header(r, "access-control-request-method")) {
        preflight(r);
        return;
    }
    int method = gw_method_index(hr->method);
    if (method < 0 || method == GW_M_ANY) {
        reject(r, 405, "method_not_allowed", "Method Not Allowed");
        return;
    }
    const char *const *rest = segs + best_segs + 1;
    size_t nrest = nsegs - best_segs - 1;
    if (gw_router_match(best, method, rest, nrest, &r->arena, &r->match) != PT_OK) {
        if (r->match.path_matched) {
            char allow[128];
            snprintf(allow, sizeof allow, "Allow: %s\r\n", r->match.allow);
            gw_metrics_count(gw->metrics, "portico_gateway_rejected_total", best->name, r->stage->name,
                             "method_not_allowed");
            finish_json_msg(r, 405, allow, "Method Not Allowed");
        } else {
            reject(r, 404, "not_found", "Not Found");
        }
        return;
    }
    if (r->rx_streamed) {
        /* stream_body() chose this on the same configuration, unless a
         * reload came in between: then the body cannot be had whole. */
        long long announced = pt_http_exchange_body_length(x);
        if (!route_streams_body(r->match.route)) {
            reject(r, 413, "body_too_large", "Request Too Long");
            return;
        }
        if (announced > 0 && (uint64_t)announced > r->match.route->integ.max_body) {
            reject(r, 413, "body_too_large", "Request Too Long");
            return;
        }
    }
    if (r->match.route->authorizer) {
        gw_auth_in_t in = {
            .authorizer = r->match.route->authorizer,
            .route = r->match.route,
            .hr = hr,
            .headers = r->headers, .nheaders = r->nheaders,
            .query = r->query, .nquery = r->nquery,
            .params = r->match.params, .nparams = r->match.nparams,
            .path = r->path,
            .api = best->name, .stage = r->stage->name, .request_id = r->id,
            .data_dir = gw->data_dir,
            .config_file = gw->config_file,
            .loop = pt_http_exchange_loop(x),
            .thread = pt_http_exchange_thread(x),
            .arena = &r->arena,
        };
        /* authorized() continues the pipeline, now or when the authorizer
         * answers; r may be freed once gw_auth_run returns. */
        pt_http_exchange_set_data(x, r);
        gw_auth_run(&in, authorized, r);
        return;
    }
    proceed(r);
}

/* After the authorizer: API key, throttles, quota, parameters, body,
 * integration. */
static void proceed(gw_req_t *r)
{
    pt_gw_t *gw = r->gw;
    const pt_http_request_t *hr = r->hr;
    const gw_api_t *best = r->api;
    const gw_route_t *route = r->match.route;

    /* API key. */
    const char *key = header(r, "x-api-key");
    if (key && *key && gw_keys_check(gw->keys, key, strlen(key), r->key_id, r->key_name)) {
        for (size_t p = 0; p < r->cfg->nplans && !r->plan; p++)
            for (size_t k = 0; k < r->cfg->plans[p].nkeys; k++)
                if (!strcmp(r->cfg->plans[p].keys[k], r->key_name)) r->plan = &r->cfg->plans[p];
    } else {
        r->key_id[0] = r->key_name[0] = 0;
        if (route->api_key) {
            reject(r, 403, "forbidden", "Forbidden");
            return;
        }
    }
    if (throttled(r)) return;
    if (r->plan && r->plan->quota_limit) {
        int64_t remaining;
        if (!gw_usage_quota(gw->usage, r->key_id, r->plan, &remaining)) {
            reject(r, 429, "quota", "Limit Exceeded");
            return;
        }
    }

    /* Required parameters (API Gateway's message lists them all). */
    pt_buf_t missing = PT_BUF_INIT;
    for (size_t i = 0; i < route->nrequired_query; i++)
        if (!query_param(r, route->required_query[i]))
            pt_buf_printf(&missing, "%s%s", missing.len ? ", " : "", route->required_query[i]);
    for (size_t i = 0; i < route->nrequired_headers; i++)
        if (!header(r, route->required_headers[i]))
            pt_buf_printf(&missing, "%s%s", missing.len ? ", " : "", route->required_headers[i]);
    if (missing.len) {
        char msg[512];
        snprintf(msg, sizeof msg, "Missing required request parameters: [%.*s]", (int)missing.len, missing.data);
        pt_buf_free(&missing);
        reject(r, 400, "validation", msg);
        return;
    }
    pt_buf_free(&missing);

    /* Body: JSON when it parses; a body declared JSON that does not is 400. */
    if (hr->body_len) {
        char perr[128];
        if (pt_json_parse(&r->arena, hr->body, hr->body_len, &r->body, perr, sizeof perr) == PT_OK) {
            r->has_body = true;
        } else {
            const char *ct = header(r, "content-type");
            if (ct && strstr(ct, "json")) {
                char msg[200];
                snprintf(msg, sizeof msg, "Invalid JSON body: %s", perr);
                reject(r, 400, "validation", msg);
                return;
            }
        }
    }
    if (route->body_schema && !validate_body(r)) return;

    add_context(r, "requestId", r->id);
    add_context(r, "stage", r->stage->name);
    add_context(r, "apiId", best->name);
    add_context(r, "httpMethod", hr->method);
    add_context(r, "resourcePath", route->path);
    add_context(r, "path", r->path);
    add_context(r, "identity.sourceIp", hr->peer_ip);
    add_context(r, "identity.userAgent", header(r, "user-agent"));
    if (r->key_id[0]) add_context(r, "apiKeyId", r->key_id);
    if (r->key_name[0]) add_context(r, "identity.apiKey", r->key_name);
    char epoch[24];
    snprintf(epoch, sizeof epoch, "%llu", (unsigned long long)time(NULL) * 1000ull);
    add_context(r, "requestTimeEpoch", pt_arena_strndup(&r->arena, epoch, strlen(epoch)));

    switch (route->integ.type) {
    case GW_I_MOCK: run_mock(r); break;
    case GW_I_DYNAMODB: run_dynamodb(r); break;
    case GW_I_HTTP: run_http(r); break;
    }
}

/* At headers-complete, for a request with a body: stream it when its
 * route is an http integration that does not need it whole (see
 * route_streams_body) and it is big (over GW_STREAM_MIN_BODY) or chunked.
 * The route is looked up like handle() does; nothing is answered here. */
static int stream_body(void *ctx, pt_http_exchange_t *x)
{
    pt_gw_t *gw = ctx;
    const pt_http_request_t *hr = pt_http_exchange_request(x);
    long long announced = pt_http_exchange_body_length(x);
    if (announced >= 0 && announced <= (long long)GW_STREAM_MIN_BODY) return 0;
    if (hr->target_len == 0 || hr->target[0] != '/') return 0;
    int method = gw_method_index(hr->method);
    if (method < 0 || method == GW_M_ANY) return 0;
    gw_config_t *cfg = acquire_config(gw);
    pt_arena_t a;
    pt_arena_init(&a);
    int out = 0;
    const char *q = memchr(hr->target, '?', hr->target_len);
    size_t plen = q ? (size_t)(q - hr->target) : hr->target_len;
    char *path = pt_arena_strndup(&a, hr->target, plen);
    const char *host = NULL;
    for (size_t i = 0; i < hr->nheaders; i++)
        if (!strcasecmp(hr->headers[i].name, "host")) host = hr->headers[i].value;
    size_t host_len = host ? strcspn(host, ":") : 0;
    const char *segs[GW_MAX_SEGS + 8];
    size_t nsegs = 0;
    if ((cfg->metrics_path && !strcmp(path, cfg->metrics_path)) ||
        (cfg->admin_path && !strcmp(path, cfg->admin_path)))
        goto done;
    {
        const char *s = path + 1;
        size_t left = plen - 1;
        if (left && s[left - 1] == '/') left--;
        while (left) {
            const char *sl = memchr(s, '/', left);
            size_t n = sl ? (size_t)(sl - s) : left;
            if (nsegs + 2 > GW_MAX_SEGS + 8) goto done;
            segs[nsegs++] = decode(&a, s, n, false);
            if (!sl) break;
            left -= n + 1;
            s = sl + 1;
            if (!left) segs[nsegs++] = "";
        }
    }
    const gw_api_t *best = NULL;
    size_t best_segs = 0;
    for (size_t i = 0; i < cfg->napis; i++) {
        const gw_api_t *api = &cfg->apis[i];
        if (api->host && (!host || strlen(api->host) != host_len || strncasecmp(api->host, host, host_len)))
            continue;
        size_t bn = 0;
        bool ok = true;
        const char *bp = api->base_path;
        while (*bp) {
            bp++;
            const char *e = strchr(bp, '/');
            size_t n = e ? (size_t)(e - bp) : strlen(bp);
            if (bn >= nsegs || strlen(segs[bn]) != n || strncmp(segs[bn], bp, n)) {
                ok = false;
                break;
            }
            bn++;
            bp += n;
        }
        if (!ok) continue;
        if (!best || bn > best_segs || (bn == best_segs && api->host && !best->host)) {
            best = api;
            best_segs = bn;
        }
    }
    if (!best || best_segs >= nsegs) goto done;
    bool stage = false;
    for (size_t i = 0; i < best->nstages; i++)
        if (!strcmp(best->stages[i].name, segs[best_segs])) stage = true;
    if (!stage) goto done;
    gw_match_t m;
    memset(&m, 0, sizeof m);
    if (gw_router_match(best, method, segs + best_segs + 1, nsegs - best_segs - 1, &a, &m) == PT_OK &&
        route_streams_body(m.route))
        out = 1;
done:
    pt_arena_destroy(&a);
    gw_config_unref(cfg);
    return out;
}

static void resume(void *ctx, pt_http_exchange_t *x)
{
    gw_req_t *r = pt_http_exchange_data(x);
    if (!r) return;
    ddb_respond(r);
}

/* ------------------------------------------------------------ lifecycle */

static int open_log(pt_gw_t *gw, const gw_config_t *c, char *errbuf, size_t errlen)
{
    gw->log_fd = -1;
    gw->log_owned = false;
    if (!strcmp(c->access_log, "off")) return PT_OK;
    if (!strcmp(c->access_log, "stderr")) {
        gw->log_fd = 2;
        return PT_OK;
    }
    if (!strcmp(c->access_log, "stdout")) {
        gw->log_fd = 1;
        return PT_OK;
    }
    int fd = open(c->access_log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd < 0) {
        snprintf(errbuf, errlen, "%s: gateway.accessLog: cannot open '%s'", c->file, c->access_log);
        return PT_ERR;
    }
    gw->log_fd = fd;
    gw->log_owned = true;
    return PT_OK;
}

int pt_gw_open(const char *config_file, pt_engine_t *engine, const char *data_dir, pt_gw_t **out,
               char *errbuf, size_t errlen)
{
    *out = NULL;
    gw_config_t *c;
    if (gw_config_load(config_file, &c, errbuf, errlen)) return PT_ERR;
    if (!c) return PT_OK;
    pt_gw_t *gw = calloc(1, sizeof *gw);
    if (!gw) pt_oom();
    gw->engine = engine;
    gw->config_file = strdup(config_file);
    gw->data_dir = strdup(data_dir);
    pthread_mutex_init(&gw->cfg_mu, NULL);
    gw->cfg = c;
    snprintf(gw->listen_host, sizeof gw->listen_host, "%s", c->listen_host);
    gw->listen_port = c->listen_port;
    gw->handler = (pt_http_handler_t){gw, handle, resume, stream_body};
    gw->metrics = gw_metrics_new();
    if (open_log(gw, c, errbuf, errlen) || gw_keys_open(data_dir, &gw->keys) ||
        gw_usage_open(data_dir, engine, &gw->usage, errbuf, errlen)) {
        if (!errbuf[0]) snprintf(errbuf, errlen, "cannot open the gateway's state in '%s'", data_dir);
        pt_gw_close(gw);
        return PT_ERR;
    }
    *out = gw;
    return PT_OK;
}

const struct pt_http_handler *pt_gw_handler(pt_gw_t *gw) { return &gw->handler; }

void pt_gw_listen(const pt_gw_t *gw, const char **host, unsigned *port)
{
    *host = gw->listen_host;
    *port = gw->listen_port;
}

int pt_gw_reload(pt_gw_t *gw, char *errbuf, size_t errlen)
{
    gw_config_t *c;
    if (gw_config_load(gw->config_file, &c, errbuf, errlen)) return PT_ERR;
    if (!c) {
        snprintf(errbuf, errlen, "%s: the gateway section was removed; keeping the current one",
                 gw->config_file);
        return PT_ERR;
    }
    /* The listener is bound once, at start (its sockets, one per loop
     * thread, belong to the HTTP server): a reload that moves it is
     * refused whole rather than half-applied. */
    if (strcmp(c->listen_host, gw->listen_host) || c->listen_port != gw->listen_port) {
        bool v6a = strchr(gw->listen_host, ':') != NULL, v6b = strchr(c->listen_host, ':') != NULL;
        char where[64] = "";
        if (c->listen_line) snprintf(where, sizeof where, ":%d:%d", c->listen_line, c->listen_col);
        snprintf(errbuf, errlen,
                 "%s%s: gateway.listen: changing the listen address needs a restart "
                 "(serving on %s%s%s:%u, the file says %s%s%s:%u)",
                 gw->config_file, where, v6a ? "[" : "", gw->listen_host, v6a ? "]" : "",
                 gw->listen_port, v6b ? "[" : "", c->listen_host, v6b ? "]" : "", c->listen_port);
        gw_config_unref(c);
        return PT_ERR;
    }
    pthread_mutex_lock(&gw->cfg_mu);
    gw_config_t *old = gw->cfg;
    gw->cfg = c;
    pthread_mutex_unlock(&gw->cfg_mu);
    gw_config_unref(old); /* freed when its last request finishes */
    return PT_OK;
}

void pt_gw_close(pt_gw_t *gw)
{
    if (!gw) return;
    if (gw->usage) gw_usage_close(gw->usage);
    if (gw->keys) gw_keys_close(gw->keys);
    if (gw->metrics) gw_metrics_free(gw->metrics);
    if (gw->log_owned) close(gw->log_fd);
    gw_config_unref(gw->cfg);
    pthread_mutex_destroy(&gw->cfg_mu);
    free(gw->config_file);
    free(gw->data_dir);
    free(gw);
}
