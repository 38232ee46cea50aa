/* The HTTP/1.x request parser (src/util/http_parse.c): what it reports,
 * the same at every split of the input, pausing, keep-alive, and what it
 * refuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/http_parse.h"

/* What the callbacks saw, as text: "M<method> U<url> F<name> V<value> ...
 * H B<body> C|" per message (pieces of one token joined). */
typedef struct rec {
    char out[8192];
    size_t len;
    char last;          /* kind of the last piece, to join continuations */
    bool pause_at_complete;
    bool pause_at_headers;
    int messages;
} rec_t;

static void put(rec_t *r, char kind, const char *at, size_t n)
{
    if (r->last != kind) {
        r->len += (size_t)snprintf(r->out + r->len, sizeof r->out - r->len, " %c", kind);
        r->last = kind;
    }
    if (n > sizeof r->out - r->len - 1) n = sizeof r->out - r->len - 1;
    memcpy(r->out + r->len, at, n);
    r->len += n;
    r->out[r->len] = 0;
}

static int cb_begin(pt_hp_t *p)
{
    rec_t *r = p->data;
    put(r, 'M', "", 0);
    r->last = 0;
    return 0;
}
static int cb_url(pt_hp_t *p, const char *at, size_t n)
{
    rec_t *r = p->data;
    if (r->last != 'U') put(r, 'm', p->method_str, strlen(p->method_str));
    put(r, 'U', at, n);
    return 0;
}
static int cb_field(pt_hp_t *p, const char *at, size_t n)
{
    put(p->data, 'F', at, n);
    return 0;
}
static int cb_value(pt_hp_t *p, const char *at, size_t n)
{
    put(p->data, 'V', at, n);
    return 0;
}
static int cb_headers(pt_hp_t *p)
{
    rec_t *r = p->data;
    char line[96];
    snprintf(line, sizeof line, "%d.%d len=%lld%s%s ka=%d", p->http_major, p->http_minor,
             p->content_length == PT_HP_NO_LENGTH ? -1LL : (long long)p->content_length,
             p->chunked ? " chunked" : "", p->upgrade ? " upgrade" : "", pt_hp_keep_alive(p));
    r->last = 0;
    put(r, 'H', line, strlen(line));
    r->last = 0;
    if (r->pause_at_headers) pt_hp_pause(p, true);
    return 0;
}
static int cb_body(pt_hp_t *p, const char *at, size_t n)
{
    put(p->data, 'B', at, n);
    return 0;
}
static int cb_complete(pt_hp_t *p)
{
    rec_t *r = p->data;
    put(r, 'C', "|", 1);
    r->last = 0;
    r->messages++;
    if (r->pause_at_complete) pt_hp_pause(p, true);
    return 0;
}

static const pt_hp_settings_t settings = {
    .on_message_begin = cb_begin,
    .on_url = cb_url,
    .on_header_field = cb_field,
    .on_header_value = cb_value,
    .on_headers_complete = cb_headers,
    .on_body = cb_body,
    .on_message_complete = cb_complete,
};

/* Parses `in` in pieces of `step` bytes (0: at once); returns the error. */
static int parse(const char *in, size_t len, size_t step, rec_t *r, pt_hp_t *p)
{
    memset(r, 0, sizeof *r);
    pt_hp_init(p, 1024);
    p->data = r;
    size_t off = 0;
    while (off < len) {
        size_t n = step && step < len - off ? step : len - off;
        size_t used = pt_hp_execute(p, &settings, in + off, n);
        if (p->error) return p->error;
        assert_int_equal(used, n);
        off += n;
    }
    return p->error;
}

static void expect(const char *in, const char *want)
{
    rec_t r, r2;
    pt_hp_t p;
    assert_int_equal(parse(in, strlen(in), 0, &r, &p), PT_HP_OK);
    assert_string_equal(r.out, want);
    /* Every split, and byte by byte, reports the same. */
    for (size_t step = 1; step < strlen(in); step++) {
        assert_int_equal(parse(in, strlen(in), step, &r2, &p), PT_HP_OK);
        assert_string_equal(r2.out, want);
    }
}

static void expect_error(const char *in, int error, const char *reason)
{
    rec_t r;
    pt_hp_t p;
    for (size_t step = 0; step < strlen(in); step++) {
        assert_int_equal(parse(in, strlen(in), step, &r, &p), error);
        if (reason) assert_string_equal(p.error_reason, reason);
    }
}

static void test_get_and_post(void **state)
{
    (void)state;
    expect("GET /a?b=c HTTP/1.1\r\nHost: x\r\n\r\n", " M mGET U/a?b=c FHost Vx H1.1 len=-1 ka=1 C|");
    expect("POST / HTTP/1.1\r\nContent-Length: 5\r\nX-Amz-Target: T.Op\r\n\r\nhello",
           " M mPOST U/ FContent-Length V5 FX-Amz-Target VT.Op H1.1 len=5 ka=1 Bhello C|");
}

static void test_values_lose_leading_blanks_and_empty_values_are_announced(void **state)
{
    (void)state;
    expect("GET / HTTP/1.1\r\nA: \t v w \r\nB:\r\nC:   \r\n\r\n",
           " M mGET U/ FA Vv w  FB V FC V H1.1 len=-1 ka=1 C|");
}

static void test_bare_lf_line_ends(void **state)
{
    (void)state;
    expect("GET / HTTP/1.1\nA: 1\n\n", " M mGET U/ FA V1 H1.1 len=-1 ka=1 C|");
}

static void test_chunked_body_with_extensions_and_trailers(void **state)
{
    (void)state;
    expect("POST /u HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n"
           "3;name=value\r\nabc\r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n",
           " M mPOST U/u FTransfer-Encoding VChunked H1.1 len=-1 chunked ka=1 Babc0123456789 C|");
}

static void test_keep_alive_rules(void **state)
{
    (void)state;
    expect("GET / HTTP/1.0\r\n\r\n", " M mGET U/ H1.0 len=-1 ka=0 C|");
    expect("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
           " M mGET U/ FConnection VKeep-Alive H1.0 len=-1 ka=1 C|");
    expect("GET / HTTP/1.1\r\nConnection: foo, close\r\n\r\n",
           " M mGET U/ FConnection Vfoo, close H1.1 len=-1 ka=0 C|");
    expect("GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
           " M mGET U/ FUpgrade Vwebsocket FConnection VUpgrade H1.1 len=-1 upgrade ka=1 C|");
    expect("GET / HTTP/1.1\r\nUpgrade: websocket\r\n\r\n",
           " M mGET U/ FUpgrade Vwebsocket H1.1 len=-1 ka=1 C|");
}

static void test_pipelined_requests_and_leading_empty_lines(void **state)
{
    (void)state;
    expect("\r\nGET /1 HTTP/1.1\r\n\r\nPOST /2 HTTP/1.1\r\nContent-Length: 2\r\n\r\nok\r\n\r\nDELETE /3 HTTP/1.1\r\n\r\n",
           " M mGET U/1 H1.1 len=-1 ka=1 C| M mPOST U/2 FContent-Length V2 H1.1 len=2 ka=1 Bok C|"
           " M mDELETE U/3 H1.1 len=-1 ka=1 C|");
}

static void test_pause_stops_right_after_the_message(void **state)
{
    (void)state;
    const char *in = "GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n";
    rec_t r;
    pt_hp_t p;
    memset(&r, 0, sizeof r);
    r.pause_at_complete = true;
    pt_hp_init(&p, 1024);
    p.data = &r;
    size_t used = pt_hp_execute(&p, &settings, in, strlen(in));
    assert_int_equal(used, strlen("GET /1 HTTP/1.1\r\n\r\n"));
    assert_int_equal(p.error, PT_HP_PAUSED);
    assert_int_equal(pt_hp_execute(&p, &settings, in + used, strlen(in) - used), 0);   /* still paused */
    pt_hp_pause(&p, false);
    assert_int_equal(pt_hp_execute(&p, &settings, in + used, strlen(in) - used), strlen(in) - used);
    assert_int_equal(r.messages, 2);

    /* Paused at the end of the headers: the body comes after the resume. */
    const char *post = "POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc";
    memset(&r, 0, sizeof r);
    r.pause_at_headers = true;
    pt_hp_init(&p, 1024);
    p.data = &r;
    used = pt_hp_execute(&p, &settings, post, strlen(post));
    assert_int_equal(used, strlen(post) - 3);
    assert_null(strstr(r.out, " B"));
    pt_hp_pause(&p, false);
    assert_int_equal(pt_hp_execute(&p, &settings, post + used, 3), 3);
    assert_non_null(strstr(r.out, " Babc C|"));
}

static void test_methods(void **state)
{
    (void)state;
    rec_t r;
    pt_hp_t p;
    assert_int_equal(parse("PATCH / HTTP/1.1\r\n\r\n", 20, 0, &r, &p), PT_HP_OK);
    assert_int_equal(p.method, PT_HP_PATCH);
    assert_int_equal(parse("PROPFIND / HTTP/1.1\r\n\r\n", 23, 0, &r, &p), PT_HP_OK);
    assert_int_equal(p.method, PT_HP_OTHER);
    assert_string_equal(p.method_str, "PROPFIND");
    assert_int_equal(parse("CONNECT h:1 HTTP/1.1\r\n\r\n", 24, 0, &r, &p), PT_HP_OK);
    assert_true(p.upgrade);
}

static void test_malformed_requests_are_refused(void **state)
{
    (void)state;
    expect_error("get / HTTP/1.1\r\n\r\n", PT_HP_INVALID, "invalid method");
    expect_error("ABCDEFGHIJKLMNOPQ / HTTP/1.1\r\n\r\n", PT_HP_INVALID, "method too long");
    expect_error("GET  / HTTP/1.1\r\n\r\n", PT_HP_INVALID, "invalid request-target");
    expect_error("GET /\x01 HTTP/1.1\r\n\r\n", PT_HP_INVALID, "invalid request-target");
    expect_error("GET /\r\n\r\n", PT_HP_INVALID, "invalid request-target");
    expect_error("GET http://h/ HTTP/1.1\r\n\r\n", PT_HP_INVALID, "invalid request-target");   /* proxies' form */
    expect_error("GET \xff/ HTTP/1.1\r\n\r\n", PT_HP_INVALID, "invalid request-target");
    expect_error("GET / HTTP/1.x\r\n\r\n", PT_HP_INVALID, "invalid HTTP version");
    expect_error("GET / HTTP/1.1 \r\n\r\n", PT_HP_INVALID, "invalid character at the end of a line");
    expect_error("GET / HTTP/1.1\rX\n\r\n", PT_HP_INVALID, "CR not followed by LF");
    expect_error("GET / HTTP/1.1\r\nA: 1\r\n folded\r\n\r\n", PT_HP_INVALID, "folded header line");
    expect_error("GET / HTTP/1.1\r\nA B: 1\r\n\r\n", PT_HP_INVALID, "invalid header name");
    expect_error("GET / HTTP/1.1\r\n: 1\r\n\r\n", PT_HP_INVALID, "invalid header name");
    expect_error("GET / HTTP/1.1\r\nA: x\x7fy\r\n\r\n", PT_HP_INVALID, "invalid character in a header value");
    expect_error("GET / HTTP/1.1\r\nA: x\001y\r\n\r\n", PT_HP_INVALID, NULL);
}

static void test_body_framing_is_unambiguous(void **state)
{
    (void)state;
    expect_error("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx", PT_HP_INVALID,
                 "duplicate Content-Length");
    expect_error("POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", PT_HP_INVALID,
                 "both Content-Length and Transfer-Encoding");
    expect_error("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", PT_HP_INVALID,
                 "unsupported Transfer-Encoding");
    expect_error("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
                 PT_HP_INVALID, "duplicate Transfer-Encoding");
    expect_error("POST / HTTP/1.1\r\nContent-Length: 1 2\r\n\r\n", PT_HP_INVALID, "invalid Content-Length");
    expect_error("POST / HTTP/1.1\r\nContent-Length: +1\r\n\r\n", PT_HP_INVALID, "invalid Content-Length");
    expect_error("POST / HTTP/1.1\r\nContent-Length:\r\n\r\n", PT_HP_INVALID, "invalid Content-Length");
    expect_error("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n", PT_HP_INVALID,
                 "Content-Length too large");
    expect_error("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nz\r\n", PT_HP_INVALID,
                 "invalid chunk size");
    expect_error("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n11111111111111111\r\n", PT_HP_INVALID,
                 "chunk size too large");
    expect_error("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n", PT_HP_INVALID,
                 "chunk data longer than its size");
    expect_error("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\t\r\n\r\n", PT_HP_INVALID,
                 "unsupported Transfer-Encoding");
    expect_error("POST / HTTP/1.1\r\nTransfer-Encoding: , chunked\r\n\r\n", PT_HP_INVALID,
                 "unsupported Transfer-Encoding");
    expect_error("POST / HTTP/1.1\r\nTransfer-Encodings: x\r\nContent-Length: 0\r\n\r\n", PT_HP_OK, NULL);
    expect_error("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\nx\r\n0\r\n\r\n", PT_HP_INVALID,
                 "chunk framing line not ended by CRLF");
    expect_error("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\n0\r\n\r\n", PT_HP_INVALID,
                 "chunk data longer than its size");
    expect_error("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nno-colon\r\n\r\n", PT_HP_INVALID,
                 "invalid trailer line");
    expect_error("POST / HTTP/1.1\r\nContent-Length: 1\t\r\n\r\nx", PT_HP_INVALID, "invalid Content-Length");
    /* Blanks around a Content-Length are fine. */
    expect("POST / HTTP/1.1\r\nContent-Length:  2 \r\n\r\nok",
           " M mPOST U/ FContent-Length V2  H1.1 len=2 ka=1 Bok C|");
}

static void test_header_block_is_bounded(void **state)
{
    (void)state;
    char big[2048];
    int n = snprintf(big, sizeof big, "GET / HTTP/1.1\r\nA: ");
    memset(big + n, 'v', 1100);
    memcpy(big + n + 1100, "\r\n\r\n", 5);
    expect_error(big, PT_HP_HEADER_OVERFLOW, NULL);
    /* Exactly at the limit (1024 bytes including the final CRLF) passes. */
    n = snprintf(big, sizeof big, "GET / HTTP/1.1\r\nA: ");
    int fill = 1024 - n - 4;
    memset(big + n, 'v', (size_t)fill);
    memcpy(big + n + fill, "\r\n\r\n", 5);
    rec_t r;
    pt_hp_t p;
    assert_int_equal(parse(big, strlen(big), 0, &r, &p), PT_HP_OK);
    assert_int_equal(r.messages, 1);
    memset(big + n, 'v', (size_t)fill + 1);   /* one byte over */
    memcpy(big + n + fill + 1, "\r\n\r\n", 5);
    assert_int_equal(parse(big, strlen(big), 0, &r, &p), PT_HP_HEADER_OVERFLOW);
    /* Trailers have a budget of their own. */
    char tr[2048];
    n = snprintf(tr, sizeof tr, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nT: ");
    memset(tr + n, 't', 1100);
    memcpy(tr + n + 1100, "\r\n\r\n", 5);
    assert_int_equal(parse(tr, strlen(tr), 0, &r, &p), PT_HP_HEADER_OVERFLOW);
}

static int cb_fail(pt_hp_t *p)
{
    (void)p;
    return -1;
}

static void test_a_failing_callback_stops_the_parse(void **state)
{
    (void)state;
    pt_hp_settings_t s = settings;
    s.on_headers_complete = cb_fail;
    rec_t r;
    memset(&r, 0, sizeof r);
    pt_hp_t p;
    pt_hp_init(&p, 1024);
    p.data = &r;
    const char *in = "GET / HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\n";
    pt_hp_execute(&p, &s, in, strlen(in));
    assert_int_equal(p.error, PT_HP_CALLBACK);
    assert_int_equal(pt_hp_execute(&p, &s, in, strlen(in)), 0);
    assert_int_equal(r.messages, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_and_post),
        cmocka_unit_test(test_values_lose_leading_blanks_and_empty_values_are_announced),
        cmocka_unit_test(test_bare_lf_line_ends),
        cmocka_unit_test(test_chunked_body_with_extensions_and_trailers),
        cmocka_unit_test(test_keep_alive_rules),
        cmocka_unit_test(test_pipelined_requests_and_leading_empty_lines),
        cmocka_unit_test(test_pause_stops_right_after_the_message),
        cmocka_unit_test(test_methods),
        cmocka_unit_test(test_malformed_requests_are_refused),
        cmocka_unit_test(test_body_framing_is_unambiguous),
        cmocka_unit_test(test_header_block_is_bounded),
        cmocka_unit_test(test_a_failing_callback_stops_the_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
