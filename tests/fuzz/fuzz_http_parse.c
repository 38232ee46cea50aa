/* libFuzzer harness for the HTTP request parser (src/util/http_parse.c),
 * differential against libhttp-parser, which parsed requests before it.
 *
 * Each input is parsed by ours in two pieces (the first byte picks the
 * split) and by http-parser at once. The invariants:
 *  - ours never reads out of bounds or loops (ASan, libFuzzer timeouts);
 *  - every message ours completes, http-parser completes too, with the
 *    same method, target, headers and body: ours may refuse more (it is
 *    stricter where HTTP allows a choice: see http_parse.h) but must never
 *    frame a request differently. Not compared: methods http-parser does
 *    not know, anything after an upgrade request (http-parser stops
 *    there), trailers (ours skips them), and the reading of Connection
 *    tokens (keep-alive, upgrade: http-parser misses a token after a
 *    leading comma), which decides only whether the connection stays
 *    open, not where a request ends.
 * One http-parser bug is allowed for: a header whose name merely starts
 * with "transfer-encoding" (say "Transfer-Encodings") counts for it as a
 * Transfer-Encoding, so it refuses the request. */
#include <http_parser.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/http_parse.h"

#define CHECK(c)                                                          \
    do {                                                                  \
        if (!(c)) {                                                       \
            fprintf(stderr, "fuzz_http_parse: %s (line %d)\n", #c, __LINE__); \
            __builtin_trap();                                             \
        }                                                                 \
    } while (0)

#define MAX_MSGS 8
#define CAP 4096

typedef struct msg {
    char method[16];
    char url[CAP];
    size_t url_len;
    char hdrs[CAP];         /* name \1 value \2 ... */
    size_t hdrs_len;
    char body[CAP];
    size_t body_len;
    bool upgrade, chunked, headers_done, complete, overflow;
    int last;               /* 1 field, 2 value */
} msg_t;

typedef struct rec {
    msg_t m[MAX_MSGS];
    int n;                  /* messages begun (recorded: at most MAX_MSGS) */
    bool full;              /* a message past MAX_MSGS began: not recorded */
} rec_t;

static msg_t *cur(rec_t *r) { return r->n && !r->full ? &r->m[r->n - 1] : NULL; }

static void app(msg_t *m, char *dst, size_t *len, const char *at, size_t n)
{
    if (n > CAP - *len) {
        m->overflow = true;
        n = CAP - *len;
    }
    memcpy(dst + *len, at, n);
    *len += n;
}

static void begin(rec_t *r)
{
    if (r->n == MAX_MSGS) {
        r->full = true;
        return;
    }
    memset(&r->m[r->n], 0, sizeof r->m[0]);
    r->n++;
}

static void field(msg_t *m, const char *at, size_t n)
{
    if (!m || m->headers_done) return;   /* trailers: not compared */
    if (m->last == 2) app(m, m->hdrs, &m->hdrs_len, "\2", 1);
    m->last = 1;
    app(m, m->hdrs, &m->hdrs_len, at, n);
}

static void value(msg_t *m, const char *at, size_t n)
{
    if (!m || m->headers_done) return;
    if (m->last == 1) app(m, m->hdrs, &m->hdrs_len, "\1", 1);
    m->last = 2;
    app(m, m->hdrs, &m->hdrs_len, at, n);
}

/* ---- ours ---- */

static int o_begin(pt_hp_t *p) { begin(p->data); return 0; }
static int o_url(pt_hp_t *p, const char *at, size_t n)
{
    msg_t *m = cur(p->data);
    if (m) app(m, m->url, &m->url_len, at, n);
    return 0;
}
static int o_field(pt_hp_t *p, const char *at, size_t n) { field(cur(p->data), at, n); return 0; }
static int o_value(pt_hp_t *p, const char *at, size_t n) { value(cur(p->data), at, n); return 0; }
static int o_headers(pt_hp_t *p)
{
    msg_t *m = cur(p->data);
    if (!m) return 0;
    m->headers_done = true;
    snprintf(m->method, sizeof m->method, "%s", p->method_str);
    m->upgrade = p->upgrade;
    m->chunked = p->chunked;
    return 0;
}
static int o_body(pt_hp_t *p, const char *at, size_t n)
{
    msg_t *m = cur(p->data);
    if (m) app(m, m->body, &m->body_len, at, n);
    return 0;
}
static int o_complete(pt_hp_t *p)
{
    msg_t *m = cur(p->data);
    if (m) m->complete = true;
    return 0;
}

static const pt_hp_settings_t ours = {o_begin, o_url, o_field, o_value, o_headers, o_body, o_complete};

/* ---- http-parser ---- */

static int h_begin(http_parser *p) { begin(p->data); return 0; }
static int h_url(http_parser *p, const char *at, size_t n)
{
    msg_t *m = cur(p->data);
    if (m) app(m, m->url, &m->url_len, at, n);
    return 0;
}
static int h_field(http_parser *p, const char *at, size_t n) { field(cur(p->data), at, n); return 0; }
static int h_value(http_parser *p, const char *at, size_t n) { value(cur(p->data), at, n); return 0; }
static int h_headers(http_parser *p)
{
    msg_t *m = cur(p->data);
    if (!m) return 0;
    m->headers_done = true;
    snprintf(m->method, sizeof m->method, "%s", http_method_str(p->method));
    m->upgrade = p->upgrade;
    return 0;
}
static int h_body(http_parser *p, const char *at, size_t n)
{
    msg_t *m = cur(p->data);
    if (m) app(m, m->body, &m->body_len, at, n);
    return 0;
}
static int h_complete(http_parser *p)
{
    msg_t *m = cur(p->data);
    if (m) m->complete = true;
    return 0;
}

static const http_parser_settings theirs = {
    .on_message_begin = h_begin,
    .on_url = h_url,
    .on_header_field = h_field,
    .on_header_value = h_value,
    .on_headers_complete = h_headers,
    .on_body = h_body,
    .on_message_complete = h_complete,
};

static bool known_method(const char *m)
{
    static const char *const known[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (!strcmp(m, known[i])) return true;
    return false;
}

static bool te_prefix_quirk(const msg_t *m)
{
    static const char te[] = "transfer-encoding";
    const char *h = m->hdrs, *end = m->hdrs + m->hdrs_len;
    while (h < end) {
        const char *sep = memchr(h, '\1', (size_t)(end - h));
        size_t n = sep ? (size_t)(sep - h) : (size_t)(end - h);
        if (n > sizeof te - 1 && !strncasecmp(h, te, sizeof te - 1)) return true;
        const char *next = memchr(h, '\2', (size_t)(end - h));
        if (!next) break;
        h = next + 1;
    }
    return false;
}

static rec_t a, b;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    size_t split = data[0];
    const char *in = (const char *)data + 1;
    size_t len = size - 1;
    if (split > len) split = len;

    memset(&a, 0, sizeof a);
    pt_hp_t p;
    pt_hp_init(&p, 1024);
    p.data = &a;
    size_t used = pt_hp_execute(&p, &ours, in, split);
    CHECK(used <= split);
    if (!p.error) {
        used = pt_hp_execute(&p, &ours, in + split, len - split);
        CHECK(used <= len - split);
        if (!p.error) CHECK(used == len - split);
    }

    memset(&b, 0, sizeof b);
    http_parser h;
    http_parser_init(&h, HTTP_REQUEST);
    h.data = &b;
    http_parser_execute(&h, &theirs, in, len);

    if (getenv("FUZZ_HTTP_DEBUG")) {   /* to read a failure: both parsers' messages */
        const rec_t *rs[2] = {&a, &b};
        for (int k = 0; k < 2; k++)
            for (int i = 0; i < rs[k]->n; i++) {
                const msg_t *m = &rs[k]->m[i];
                fprintf(stderr, "%s #%d %s complete=%d url=%.*s\n hdrs=", k ? "theirs" : "ours", i,
                        m->method, m->complete, (int)m->url_len, m->url);
                for (size_t j = 0; j < m->hdrs_len; j++)
                    fputc(m->hdrs[j] == 1 ? '=' : m->hdrs[j] == 2 ? '|' : m->hdrs[j], stderr);
                fprintf(stderr, "\n body=%.*s\n", (int)m->body_len, m->body);
            }
        fprintf(stderr, "ours: error %d %s; theirs: %s\n", p.error, p.error_reason ? p.error_reason : "",
                http_errno_name(HTTP_PARSER_ERRNO(&h)));
    }
    for (int i = 0; i < a.n; i++) {
        const msg_t *x = &a.m[i], *y = &b.m[i];
        if (!x->complete) break;
        if (!known_method(x->method) || x->overflow) break;
        if (HTTP_PARSER_ERRNO(&h) != HPE_OK && te_prefix_quirk(x)) break;
        CHECK(i < b.n);
        /* http-parser reads trailers as headers (a Content-Length among
         * them is an error to it); ours checks their syntax and skips them. */
        bool trailer_quirk = x->chunked && y->headers_done && !y->complete && HTTP_PARSER_ERRNO(&h) != HPE_OK;
        CHECK(y->complete || trailer_quirk);
        CHECK(!strcmp(x->method, y->method));
        CHECK(x->url_len == y->url_len && !memcmp(x->url, y->url, x->url_len));
        CHECK(x->hdrs_len == y->hdrs_len && !memcmp(x->hdrs, y->hdrs, x->hdrs_len));
        CHECK(x->body_len == y->body_len && !memcmp(x->body, y->body, x->body_len));
        if (x->upgrade || y->upgrade || trailer_quirk) break;   /* http-parser stops at an upgrade */
    }
    return 0;
}
