/* HTTP/1.1 upstream client for the gateway's `http` integration (see
 * gw_http.h for the contract).
 *
 * Pool: idle keep-alive connections are kept in a per-thread list (the loop
 * thread is the only user, so no locks), at most POOL_MAX_IDLE per thread;
 * an idle connection keeps reading so that the upstream closing it (or
 * sending garbage) frees it at once. A call takes the most recently used
 * idle connection to the same host:port, or connects.
 *
 * Per exchange on a pooled connection the cost is one write (head and body
 * together) and usually one read: a connection reads from connect to close
 * with one read callback that looks at conn->call (NULL: idle) instead of
 * being stopped and restarted with another callback at every hand-over;
 * each stop/start pair made libuv re-register the socket with epoll (an
 * EPOLL_CTL_ADD failing with EEXIST, then a MOD). Reading stops only for
 * backpressure (stream mode, below).
 *
 * Lifetimes: a call owns a timer (its deadline); the call's memory is freed
 * from the timer's close callback, so gw_http_call_free may be called from
 * inside done(). A connection is freed from its own close callback; while a
 * call uses it, conn->call points back and every callback checks it.
 * Idle connections are unreferenced (uv_unref) so that they never keep a
 * stopping loop alive; their sockets are reclaimed at process exit.
 *
 * Stream mode (gw_http_call_stream): the parser callbacks hand the head and
 * each body piece to the caller as they are parsed, except for a response
 * whose Content-Length is at most GW_HTTP_STREAM_BUFFER: that one is
 * collected like in gw_http_call_start and handed over whole in done()
 * (no head(), no body()), so the caller can answer it with one write
 * instead of a head write followed by body writes. Memory stays bounded by
 * that limit; bigger, chunked and close-delimited bodies stream. When the caller asks
 * to pause, reading stops after the current read (at most one read buffer,
 * 16 KiB, more is delivered) and the timer stops with it, so a slow client
 * is never mistaken for a slow upstream. The request body is written from
 * the caller's buffer (head and body in one uv_try_write, the rest, if
 * any, through uv_write) instead of being copied.
 *
 * Upload mode (gw_http_call_upload): the request body comes from the
 * caller piece by piece. Each piece goes to the socket at once (uv_try_write)
 * and only what the socket does not take is copied and queued; the
 * socket's write_queue_size is the backpressure measure (send returns 1
 * above GW_HTTP_SEND_HIGH, ready() runs again at GW_HTTP_SEND_LOW). Such a
 * call never takes a pooled connection: a stale one could only be
 * detected after body bytes were sent, and those cannot be sent again. */
#include <http_parser.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gateway/gw_http.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/error.h"

#define POOL_MAX_IDLE 64

typedef struct upconn upconn_t;

struct gw_http_call {
    uv_loop_t *loop;
    gw_http_done_fn done;
    void *userdata;
    char host[256];
    unsigned port;
    char hostport[300];
    bool head;
    pt_buf_t req;
    upconn_t *conn;
    uv_timer_t timer;
    uv_getaddrinfo_t gai;
    bool gai_pending;
    bool finished;
    bool freed;
    int retries;
    /* response */
    int status;
    pt_buf_t hdrs;
    pt_buf_t body;
    int hdr_state;             /* 0: between headers, 1: in a name, 2: in a value */
    bool got_bytes;
    bool keep_alive;
    bool req_sent;             /* the request was written whole */
    /* stream mode (gw_http_call_stream) */
    const gw_http_stream_ops_t *ops;
    uint64_t timeout_ms;
    const char *body_ref;      /* the caller's request body, sent in place */
    size_t body_ref_len;
    bool head_sent;            /* ops->head was called */
    bool head_seen;            /* stream mode: the response head arrived */
    bool buffered;             /* stream mode: small body, collected whole */
    bool failed;               /* ended by the gateway (502/504), not the upstream */
    size_t hdr_start;          /* hdrs offset of the header line being parsed */
    size_t hdr_name_len;       /* its name's length */
    bool complete;             /* the body arrived whole */
    bool paused;               /* ops->body asked to wait */
    /* upload mode (gw_http_call_upload) */
    gw_http_ready_fn ready;    /* non-NULL: the body is streamed by the caller */
    bool up_chunked;           /* body sent chunk-framed */
    bool up_ended;             /* gw_http_call_send_end was called */
    bool up_broken;            /* a write failed: nothing more is sent */
    bool up_want_ready;        /* a send returned 1: call ready() at LOW */
};

struct upconn {
    uv_tcp_t tcp;
    uv_connect_t connect_req;
    uv_write_t write_req;
    upconn_t *next;            /* idle list */
    char hostport[300];
    gw_http_call_t *call;      /* NULL when idle */
    http_parser parser;
    bool closing;
    bool reused;
    bool reading;              /* uv_read_start is in effect */
    char readbuf[16384];
};

static _Thread_local upconn_t *idle_head;
static _Thread_local unsigned idle_count;

static void call_finish(gw_http_call_t *c, int status);
static int up_write(gw_http_call_t *c, const uv_buf_t *bufs, unsigned n);
static void conn_close(upconn_t *u);
static void start_connect(gw_http_call_t *c);
static void on_timer_closed(uv_handle_t *h);
static void on_timeout(uv_timer_t *t);

/* ---------------------------------------------------------- connections */

static void on_conn_closed(uv_handle_t *h) { free(h->data); }

static void idle_remove(upconn_t *u)
{
    for (upconn_t **p = &idle_head; *p; p = &(*p)->next)
        if (*p == u) {
            *p = u->next;
            idle_count--;
            return;
        }
}

static void conn_close(upconn_t *u)
{
    if (u->closing) return;
    u->closing = true;
    if (!u->call) idle_remove(u);
    uv_close((uv_handle_t *)&u->tcp, on_conn_closed);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    upconn_t *u = h->data;
    buf->base = u->readbuf;
    buf->len = sizeof u->readbuf;
}

/* ---------------------------------------------------------- response parsing */

/* Header names compared by length first: most names are rejected without
 * a single character compare. */
typedef struct hname {
    const char *name;
    size_t len;
} hname_t;
#define HNAME(s) {s, sizeof s - 1}
#define PUT_LIT(b, lit) pt_buf_append((b), lit, sizeof lit - 1)

static void put_str(pt_buf_t *b, const char *s) { pt_buf_append(b, s, strlen(s)); }

static bool name_in(const char *name, size_t len, const hname_t *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (list[i].len == len && !strncasecmp(list[i].name, name, len)) return true;
    return false;
}

/* Response headers the gateway does not pass on: hop-by-hop ones, the
 * framing (the client connection has its own), and the ones it sets. */
static const hname_t resp_skip[] = {
    HNAME("connection"), HNAME("keep-alive"), HNAME("proxy-connection"), HNAME("transfer-encoding"),
    HNAME("te"), HNAME("trailer"), HNAME("upgrade"), HNAME("content-length"), HNAME("date"),
    HNAME("x-request-id"),
};

/* Header lines are parsed straight into c->hdrs ("Name: value\r\n"); a
 * line the gateway drops is cut off again here, once it is complete (the
 * parser may hand a name or value over in several pieces). */
static void flush_header(gw_http_call_t *c)
{
    if (c->hdr_state == 0) return;
    if (c->hdr_state == 1) PUT_LIT(&c->hdrs, ": ");
    c->hdr_state = 0;
    const char *name = c->hdrs.data + c->hdr_start;
    const char *value = name + c->hdr_name_len + 2;
    size_t vlen = c->hdrs.len - c->hdr_start - c->hdr_name_len - 2;
    if (name_in(name, c->hdr_name_len, resp_skip, sizeof resp_skip / sizeof *resp_skip) ||
        memchr(value, '\r', vlen) || memchr(value, '\n', vlen)) {
        c->hdrs.len = c->hdr_start;
        return;
    }
    PUT_LIT(&c->hdrs, "\r\n");
}

static int p_header_field(http_parser *p, const char *at, size_t n)
{
    gw_http_call_t *c = ((upconn_t *)p->data)->call;
    if (c->hdr_state == 2) flush_header(c);
    if (c->hdr_state == 0) {
        c->hdr_state = 1;
        c->hdr_start = c->hdrs.len;
        c->hdr_name_len = 0;
    }
    pt_buf_append(&c->hdrs, at, n);
    c->hdr_name_len += n;
    return 0;
}

static int p_header_value(http_parser *p, const char *at, size_t n)
{
    gw_http_call_t *c = ((upconn_t *)p->data)->call;
    if (c->hdr_state == 1) {
        PUT_LIT(&c->hdrs, ": ");
        c->hdr_state = 2;
    }
    pt_buf_append(&c->hdrs, at, n);
    return 0;
}

static int p_headers_complete(http_parser *p)
{
    upconn_t *u = p->data;
    gw_http_call_t *c = u->call;
    flush_header(c);
    c->status = (int)p->status_code;
    if (c->ops) {
        long long cl = (p->flags & F_CHUNKED) || p->content_length == ULLONG_MAX
                           ? -1
                           : (long long)p->content_length;
        int st = c->status;
        if (c->head || st == 204 || st == 304 || st < 200) cl = 0;
        c->head_seen = true;
        if (cl >= 0 && cl <= (long long)GW_HTTP_STREAM_BUFFER) {
            c->buffered = true; /* handed over whole in done() */
        } else {
            c->head_sent = true;
            c->ops->head(c, c->userdata, st, c->hdrs.data ? c->hdrs.data : "", c->hdrs.len, cl);
        }
    } else if (p->content_length != ULLONG_MAX && p->content_length > GW_HTTP_MAX_BODY) {
        return -1;
    }
    return c->head ? 1 : 0; /* a response to HEAD has no body */
}

static int p_body(http_parser *p, const char *at, size_t n)
{
    gw_http_call_t *c = ((upconn_t *)p->data)->call;
    if (c->ops && !c->buffered) {
        int r = c->ops->body(c, c->userdata, at, n);
        if (r < 0) return -1;
        if (r > 0) c->paused = true; /* the rest of this read is still delivered */
        return 0;
    }
    if (c->body.len + n > GW_HTTP_MAX_BODY) return -1;
    pt_buf_append(&c->body, at, n);
    return 0;
}

static int p_message_complete(http_parser *p)
{
    upconn_t *u = p->data;
    u->call->keep_alive = http_should_keep_alive(p);
    u->call->complete = true;
    http_parser_pause(p, 1);
    return 0;
}

static const http_parser_settings settings = {
    .on_header_field = p_header_field,
    .on_header_value = p_header_value,
    .on_headers_complete = p_headers_complete,
    .on_body = p_body,
    .on_message_complete = p_message_complete,
};

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

/* Reading runs from connect to close (see the file comment). */
static int conn_read(upconn_t *u)
{
    if (u->reading) return 0;
    if (uv_read_start((uv_stream_t *)&u->tcp, on_alloc, on_read)) return -1;
    u->reading = true;
    return 0;
}

static void release_conn(gw_http_call_t *c, bool reusable)
{
    upconn_t *u = c->conn;
    if (!u) return;
    c->conn = NULL;
    u->call = NULL;
    if (!reusable || u->closing || idle_count >= POOL_MAX_IDLE || conn_read(u)) {
        if (!u->closing) {
            u->closing = true;
            uv_close((uv_handle_t *)&u->tcp, on_conn_closed);
        }
        return;
    }
    /* An idle pooled connection must not keep the loop alive at shutdown
     * (the HTTP server's loop ends when its own handles are closed). */
    uv_unref((uv_handle_t *)&u->tcp);
    u->next = idle_head;
    idle_head = u;
    idle_count++;
}

/* A reused connection that failed before any response byte: the upstream
 * had closed it; try once more on a fresh connection. */
static bool retry(gw_http_call_t *c)
{
    upconn_t *u = c->conn;
    if (!u || !u->reused || c->got_bytes || c->retries >= 1) return false;
    c->retries++;
    c->conn = NULL;
    u->call = NULL;
    if (!u->closing) {
        u->closing = true;
        uv_close((uv_handle_t *)&u->tcp, on_conn_closed);
    }
    start_connect(c);
    return true;
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    upconn_t *u = s->data;
    gw_http_call_t *c = u->call;
    if (nread == 0) return;
    if (!c) { /* idle: the upstream closed it, or sent what nobody asked for */
        conn_close(u);
        return;
    }
    if (c->finished) return;
    if (nread < 0) {
        if (nread == UV_EOF) {
            /* EOF ends a body delimited by the connection's close. */
            http_parser_execute(&u->parser, &settings, NULL, 0);
            if (HTTP_PARSER_ERRNO(&u->parser) == HPE_PAUSED) {
                c->keep_alive = false;
                call_finish(c, 0);
                return;
            }
        }
        if (retry(c)) return;
        call_finish(c, 502);
        return;
    }
    c->got_bytes = true;
    http_parser_execute(&u->parser, &settings, buf->base, (size_t)nread);
    enum http_errno e = HTTP_PARSER_ERRNO(&u->parser);
    if (e == HPE_PAUSED) {
        call_finish(c, 0);
    } else if (e != HPE_OK) {
        c->keep_alive = false;
        call_finish(c, 502);
    } else if (c->paused) {
        /* Backpressure: the client is slower than the upstream. The TCP
         * window then pushes back on the upstream; the client's own write
         * timeout bounds the wait. */
        uv_read_stop(s);
        u->reading = false;
        uv_timer_stop(&c->timer);
    } else if (c->head_seen) {
        uv_timer_start(&c->timer, on_timeout, c->timeout_ms, 0); /* inactivity */
    }
}

static void on_write(uv_write_t *req, int status)
{
    upconn_t *u = req->data;
    gw_http_call_t *c = u->call;
    if (!c || c->finished) return;
    if (status == 0) {
        c->req_sent = true;
        return;
    }
    if (retry(c)) return;
    call_finish(c, 502);
}

static void send_request(gw_http_call_t *c)
{
    upconn_t *u = c->conn;
    http_parser_init(&u->parser, HTTP_RESPONSE);
    u->parser.data = u;
    pt_buf_clear(&c->hdrs);
    pt_buf_clear(&c->body);
    c->hdr_state = 0;
    c->got_bytes = false;
    c->req_sent = false;
    if (c->ready) { /* upload: the head now, the body from the caller */
        uv_buf_t h = uv_buf_init(c->req.data, (unsigned)c->req.len);
        if (conn_read(u) || up_write(c, &h, 1)) {
            call_finish(c, 502);
            return;
        }
        if (!u->tcp.write_queue_size) uv_timer_stop(&c->timer); /* waiting for the client */
        c->ready(c, c->userdata); /* last: it may free the call */
        return;
    }
    if (conn_read(u)) {
        if (!retry(c)) call_finish(c, 502);
        return;
    }
    /* Head and body in one write, straight from their buffers; only what
     * the socket does not take at once goes through uv_write (the buffers
     * stay valid until done()). */
    uv_buf_t b[2] = {uv_buf_init(c->req.data, (unsigned)c->req.len),
                     uv_buf_init((char *)c->body_ref, (unsigned)c->body_ref_len)};
    unsigned nb = c->body_ref_len ? 2 : 1;
    int n = uv_try_write((uv_stream_t *)&u->tcp, b, nb);
    if (n == UV_EAGAIN) n = 0;
    if (n < 0) { /* a pooled connection the upstream closed meanwhile */
        if (!retry(c)) call_finish(c, 502);
        return;
    }
    size_t skip = (size_t)n;
    unsigned first = 0;
    while (first < nb && skip >= b[first].len) skip -= b[first++].len;
    if (first == nb) {
        c->req_sent = true;
        return;
    }
    b[first].base += skip;
    b[first].len -= skip;
    u->write_req.data = u;
    if (uv_write(&u->write_req, (uv_stream_t *)&u->tcp, b + first, nb - first, on_write)) {
        if (!retry(c)) call_finish(c, 502);
    }
}

static void on_connect(uv_connect_t *req, int status)
{
    upconn_t *u = req->data;
    gw_http_call_t *c = u->call;
    if (!c || c->finished) { /* the call timed out meanwhile */
        if (!u->closing) {
            u->closing = true;
            uv_close((uv_handle_t *)&u->tcp, on_conn_closed);
        }
        return;
    }
    if (status) {
        call_finish(c, 502);
        return;
    }
    send_request(c);
}

static void connect_addr(gw_http_call_t *c, const struct sockaddr *addr)
{
    upconn_t *u = calloc(1, sizeof *u);
    if (!u) pt_oom();
    uv_tcp_init(c->loop, &u->tcp);
    u->tcp.data = u;
    u->call = c;
    snprintf(u->hostport, sizeof u->hostport, "%s", c->hostport);
    c->conn = u;
    uv_tcp_nodelay(&u->tcp, 1);
    u->connect_req.data = u;
    if (uv_tcp_connect(&u->connect_req, &u->tcp, addr, on_connect)) call_finish(c, 502);
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    gw_http_call_t *c = req->data;
    c->gai_pending = false;
    if (c->finished) {
        if (res) uv_freeaddrinfo(res);
        if (c->freed) uv_close((uv_handle_t *)&c->timer, on_timer_closed);
        return;
    }
    if (status || !res) {
        if (res) uv_freeaddrinfo(res);
        call_finish(c, 502);
        return;
    }
    connect_addr(c, res->ai_addr);
    uv_freeaddrinfo(res);
}

static void start_connect(gw_http_call_t *c)
{
    struct sockaddr_storage ss;
    if (uv_ip4_addr(c->host, (int)c->port, (struct sockaddr_in *)&ss) == 0 ||
        uv_ip6_addr(c->host, (int)c->port, (struct sockaddr_in6 *)&ss) == 0) {
        connect_addr(c, (struct sockaddr *)&ss);
        return;
    }
    struct addrinfo hints = {0};
    hints.ai_socktype = SOCK_STREAM;
    char port[8];
    snprintf(port, sizeof port, "%u", c->port);
    c->gai.data = c;
    if (uv_getaddrinfo(c->loop, &c->gai, on_resolved, c->host, port, &hints)) {
        call_finish(c, 502);
        return;
    }
    c->gai_pending = true;
}

/* ---------------------------------------------------------------- calls */

static void on_timeout(uv_timer_t *t)
{
    gw_http_call_t *c = t->data;
    if (c->finished) return;
    c->keep_alive = false;
    call_finish(c, 504);
}

/* Ends the call: `fail` is 0 when the upstream's response ended it (its
 * status, even a 502 or 504 of its own, is the result), else the status
 * the gateway answers for it (502, 504). */
static void call_finish(gw_http_call_t *c, int fail)
{
    if (c->finished) return;
    c->finished = true;
    uv_timer_stop(&c->timer);
    bool ok = !fail && c->status >= 100;
    if (!ok && !c->head_sent) {
        c->status = fail ? fail : 502;
        c->failed = true;
    }
    /* Pooled again only after a whole exchange: a request still being
     * written, or a streamed body cut short, leaves the connection unusable. */
    release_conn(c, ok && c->keep_alive && c->req_sent && (!c->ops || c->complete));
    c->done(c, c->userdata);
}

static int parse_url(gw_http_call_t *c, const char *url, const char **path)
{
    if (strncmp(url, "http://", 7)) return PT_ERR;
    const char *h = url + 7;
    const char *slash = strchr(h, '/');
    const char *q = strchr(h, '?');
    const char *end = slash ? slash : q ? q : h + strlen(h);
    *path = slash ? slash : "/";
    const char *colon = NULL;
    const char *hs = h, *he = end;
    if (*h == '[') {
        const char *rb = memchr(h, ']', (size_t)(end - h));
        if (!rb) return PT_ERR;
        hs = h + 1;
        he = rb;
        colon = rb + 1 < end && rb[1] == ':' ? rb + 1 : NULL;
    } else {
        colon = memchr(h, ':', (size_t)(end - h));
        if (colon) he = colon;
    }
    size_t hl = (size_t)(he - hs);
    if (!hl || hl >= sizeof c->host) return PT_ERR;
    memcpy(c->host, hs, hl);
    c->host[hl] = 0;
    c->port = 80;
    if (colon) {
        char *pe;
        unsigned long p = strtoul(colon + 1, &pe, 10);
        if (pe != end || p == 0 || p > 65535) return PT_ERR;
        c->port = (unsigned)p;
    }
    size_t hpl = (size_t)(end - h); /* a long run of port zeros is cut, as before */
    if (hpl >= sizeof c->hostport) hpl = sizeof c->hostport - 1;
    memcpy(c->hostport, h, hpl);
    c->hostport[hpl] = 0;
    return PT_OK;
}

/* Request headers not passed on: hop-by-hop ones, the framing (this
 * request has its own) and the ones the gateway sets. */
static const hname_t req_skip[] = {
    HNAME("host"), HNAME("connection"), HNAME("keep-alive"), HNAME("proxy-connection"),
    HNAME("transfer-encoding"), HNAME("te"), HNAME("trailer"), HNAME("upgrade"),
    HNAME("content-length"), HNAME("expect"), HNAME("x-forwarded-for"), HNAME("x-request-id"),
};

static int call_begin(uv_loop_t *loop, const char *url, const pt_http_request_t *req,
                      const char *request_id, uint64_t timeout_ms, const gw_http_stream_ops_t *ops,
                      gw_http_ready_fn ready, long long upload_len, gw_http_done_fn done,
                      void *userdata, gw_http_call_t **out)
{
    *out = NULL;
    gw_http_call_t *c = calloc(1, sizeof *c);
    if (!c) pt_oom();
    const char *path;
    if (parse_url(c, url, &path) || strpbrk(path, " \r\n")) {
        free(c);
        return PT_ERR;
    }
    c->loop = loop;
    c->done = done;
    c->userdata = userdata;
    c->head = !strcmp(req->method, "HEAD");
    c->ops = ops;
    c->timeout_ms = timeout_ms;
    /* The head is built by appending (no printf on this path): one
     * reservation for the usual case, header lines copied as they are. */
    size_t est = 160 + strlen(path) + strlen(c->hostport) + strlen(req->peer_ip);
    for (size_t i = 0; i < req->nheaders; i++)
        est += req->headers[i].name_len + req->headers[i].value_len + 4;
    pt_buf_reserve(&c->req, est);
    put_str(&c->req, req->method);
    pt_buf_putc(&c->req, ' ');
    put_str(&c->req, path);
    PUT_LIT(&c->req, " HTTP/1.1\r\nHost: ");
    put_str(&c->req, c->hostport);
    PUT_LIT(&c->req, "\r\n");
    const pt_http_header_t *xff = NULL;
    for (size_t i = 0; i < req->nheaders; i++) {
        const pt_http_header_t *h = &req->headers[i];
        if (name_in(h->name, h->name_len, req_skip, sizeof req_skip / sizeof *req_skip)) {
            if (h->name_len == 15 && !strcasecmp(h->name, "x-forwarded-for")) xff = h;
            continue;
        }
        pt_buf_append(&c->req, h->name, h->name_len);
        PUT_LIT(&c->req, ": ");
        pt_buf_append(&c->req, h->value, h->value_len);
        PUT_LIT(&c->req, "\r\n");
    }
    PUT_LIT(&c->req, "X-Forwarded-For: ");
    if (xff) {
        pt_buf_append(&c->req, xff->value, xff->value_len);
        PUT_LIT(&c->req, ", ");
    }
    put_str(&c->req, req->peer_ip);
    PUT_LIT(&c->req, "\r\nX-Request-Id: ");
    put_str(&c->req, request_id);
    PUT_LIT(&c->req, "\r\n");
    if (ready) {
        c->ready = ready;
        c->up_chunked = upload_len < 0;
        if (c->up_chunked)
            PUT_LIT(&c->req, "Transfer-Encoding: chunked\r\n\r\n");
        else
            pt_buf_printf(&c->req, "Content-Length: %lld\r\n\r\n", upload_len);
    } else if (req->body_len == 0) {
        PUT_LIT(&c->req, "Content-Length: 0\r\n\r\n");
    } else {
        pt_buf_printf(&c->req, "Content-Length: %zu\r\n\r\n", req->body_len);
    }
    if (ready) {
        /* the caller sends the body */
    } else if (ops) { /* the exchange's body outlives the call: no copy */
        c->body_ref = req->body;
        c->body_ref_len = req->body_len;
    } else {
        pt_buf_append(&c->req, req->body, req->body_len);
    }

    uv_timer_init(loop, &c->timer);
    c->timer.data = c;
    uv_timer_start(&c->timer, on_timeout, timeout_ms, 0);
    *out = c;

    /* A pooled connection to the same upstream, most recent first (not for
     * an upload: see the file comment). */
    for (upconn_t **p = &idle_head; *p && !ready; p = &(*p)->next) {
        upconn_t *u = *p;
        if (u->closing || strcmp(u->hostport, c->hostport)) continue;
        *p = u->next;
        idle_count--;
        u->call = c;
        u->reused = true;
        uv_ref((uv_handle_t *)&u->tcp);
        c->conn = u;
        send_request(c);
        return PT_OK;
    }
    start_connect(c);
    return PT_OK;
}

int gw_http_call_start(uv_loop_t *loop, unsigned thread, const char *url,
                       const pt_http_request_t *req, const char *request_id, uint64_t timeout_ms,
                       gw_http_done_fn done, void *userdata, gw_http_call_t **out)
{
    (void)thread; /* the pool is thread-local already */
    return call_begin(loop, url, req, request_id, timeout_ms, NULL, NULL, 0, done, userdata, out);
}

int gw_http_call_stream(uv_loop_t *loop, unsigned thread, const char *url,
                        const pt_http_request_t *req, const char *request_id, uint64_t timeout_ms,
                        const gw_http_stream_ops_t *ops, gw_http_done_fn done, void *userdata,
                        gw_http_call_t **out)
{
    (void)thread;
    return call_begin(loop, url, req, request_id, timeout_ms, ops, NULL, 0, done, userdata, out);
}

int gw_http_call_upload(uv_loop_t *loop, unsigned thread, const char *url,
                        const pt_http_request_t *req, const char *request_id, uint64_t timeout_ms,
                        long long body_len, const gw_http_stream_ops_t *ops, gw_http_ready_fn ready,
                        gw_http_done_fn done, void *userdata, gw_http_call_t **out)
{
    (void)thread;
    return call_begin(loop, url, req, request_id, timeout_ms, ops, ready, body_len, done, userdata,
                      out);
}

/* ---------------------------------------------------------------- upload */

typedef struct up_write_req {
    uv_write_t req;
    upconn_t *conn;
    char data[];
} up_write_req_t;

/* A write failed: nothing more can be sent. Before the response head that
 * is a 502; after it, the response decides (the connection is not reused). */
static void up_fail(gw_http_call_t *c)
{
    c->up_broken = true;
    c->keep_alive = false;
    if (!c->head_sent) {
        call_finish(c, 502);
        return;
    }
    if (!c->paused) uv_timer_start(&c->timer, on_timeout, c->timeout_ms, 0);
}

/* Queued bytes left for the upstream. */
static void up_progress(gw_http_call_t *c)
{
    size_t q = c->conn->tcp.write_queue_size;
    if (c->up_ended) {
        if (q == 0 && !c->up_broken) c->req_sent = true;
        return;
    }
    /* The deadline runs only while the upstream is what we wait for. */
    if (q)
        uv_timer_start(&c->timer, on_timeout, c->timeout_ms, 0);
    else if (!c->head_sent)
        uv_timer_stop(&c->timer);
    if (c->up_want_ready && q <= GW_HTTP_SEND_LOW) {
        c->up_want_ready = false;
        c->ready(c, c->userdata); /* last: it may free the call */
    }
}

static void on_up_write(uv_write_t *req, int status)
{
    up_write_req_t *w = (up_write_req_t *)req;
    upconn_t *u = w->conn;
    free(w);
    gw_http_call_t *c = u->call;
    if (!c || c->finished || c->conn != u) return; /* includes UV_ECANCELED on close */
    if (status < 0) {
        up_fail(c);
        return;
    }
    up_progress(c);
}

/* Writes bufs in order: what the socket does not take at once is copied
 * and queued behind what is already queued. Returns -1 on failure. */
static int up_write(gw_http_call_t *c, const uv_buf_t *bufs, unsigned n)
{
    upconn_t *u = c->conn;
    size_t total = 0;
    for (unsigned i = 0; i < n; i++) total += bufs[i].len;
    int w = uv_try_write((uv_stream_t *)&u->tcp, bufs, n);
    if (w == UV_EAGAIN) w = 0;
    if (w < 0) return -1;
    if ((size_t)w == total) return 0;
    up_write_req_t *wr = malloc(sizeof *wr + (total - (size_t)w));
    if (!wr) pt_oom();
    size_t skip = (size_t)w, len = 0;
    for (unsigned i = 0; i < n; i++) {
        size_t bl = bufs[i].len;
        if (skip >= bl) {
            skip -= bl;
            continue;
        }
        memcpy(wr->data + len, bufs[i].base + skip, bl - skip);
        len += bl - skip;
        skip = 0;
    }
    wr->conn = u;
    uv_buf_t b = uv_buf_init(wr->data, (unsigned)len);
    if (uv_write(&wr->req, (uv_stream_t *)&u->tcp, &b, 1, on_up_write)) {
        free(wr);
        return -1;
    }
    return 0;
}

int gw_http_call_send(gw_http_call_t *c, const char *data, size_t len)
{
    if (!c || !c->ready || c->finished || !c->conn || c->up_ended || c->up_broken) return -1;
    if (!len) return 0;
    char pre[24];
    uv_buf_t b[3];
    unsigned n = 0;
    if (c->up_chunked) b[n++] = uv_buf_init(pre, (unsigned)snprintf(pre, sizeof pre, "%zx\r\n", len));
    b[n++] = uv_buf_init((char *)data, (unsigned)len);
    if (c->up_chunked) b[n++] = uv_buf_init((char *)"\r\n", 2);
    if (up_write(c, b, n)) {
        up_fail(c); /* may finish the call: done() runs */
        return -1;
    }
    size_t q = c->conn->tcp.write_queue_size;
    if (q) {
        uv_timer_start(&c->timer, on_timeout, c->timeout_ms, 0);
    } else if (!c->head_sent) {
        uv_timer_stop(&c->timer);
    }
    if (q > GW_HTTP_SEND_HIGH) {
        c->up_want_ready = true;
        return 1;
    }
    return 0;
}

void gw_http_call_send_end(gw_http_call_t *c)
{
    if (!c || !c->ready || c->finished || !c->conn || c->up_ended) return;
    c->up_ended = true;
    c->up_want_ready = false;
    if (c->up_broken) return;
    if (c->up_chunked) {
        uv_buf_t b = uv_buf_init((char *)"0\r\n\r\n", 5);
        if (up_write(c, &b, 1)) {
            c->up_ended = false; /* let up_fail decide as for any write */
            up_fail(c);
            return;
        }
    }
    if (c->conn->tcp.write_queue_size == 0) c->req_sent = true;
    /* The response head is awaited from now on (an already streaming
     * response keeps its own inactivity timer). */
    if (!c->head_sent) uv_timer_start(&c->timer, on_timeout, c->timeout_ms, 0);
}

void gw_http_call_resume(gw_http_call_t *c)
{
    if (!c || c->finished || !c->paused || !c->conn) return;
    c->paused = false;
    if (conn_read(c->conn)) {
        c->keep_alive = false;
        call_finish(c, 502);
        return;
    }
    uv_timer_start(&c->timer, on_timeout, c->timeout_ms, 0);
}

int gw_http_call_complete(const gw_http_call_t *c) { return c->head_sent && c->complete; }

int gw_http_call_failed(const gw_http_call_t *c) { return c->failed; }

void gw_http_call_result(const gw_http_call_t *c, int *status, const char **headers,
                         size_t *headers_len, const char **body, size_t *body_len)
{
    *status = c->status;
    *headers = c->hdrs.data ? c->hdrs.data : "";
    *headers_len = c->hdrs.len;
    *body = c->body.data ? c->body.data : "";
    *body_len = c->body.len;
}

static void on_timer_closed(uv_handle_t *h)
{
    gw_http_call_t *c = h->data;
    pt_buf_free(&c->req);
    pt_buf_free(&c->hdrs);
    pt_buf_free(&c->body);
    free(c);
}

void gw_http_call_free(gw_http_call_t *c)
{
    if (!c) return;
    if (!c->finished) { /* never finished: detach from the connection */
        c->finished = true;
        if (c->conn) {
            c->conn->call = NULL;
            conn_close(c->conn);
            c->conn = NULL;
        }
    }
    c->freed = true;
    if (c->gai_pending) {
        uv_cancel((uv_req_t *)&c->gai); /* on_resolved frees (status canceled) */
        return;
    }
    uv_close((uv_handle_t *)&c->timer, on_timer_closed);
}
