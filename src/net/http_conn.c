/* One HTTP/1.1 connection: parsing (util/http_parse.c), routing to the engine,
 * writing responses, keep-alive, pipelining, limits and timeouts.
 *
 * Life of a request. Reads land in the loop's shared buffer and are parsed
 * in place; the parser copies only what outlives the read: the few headers
 * we route on (into small fixed arrays) and the body (into one contiguous
 * buffer, reserved up front when Content-Length is known). When a message
 * completes the parser is paused, so at most one request per connection is
 * in flight; bytes after it (pipelined requests) wait in `pending` and are
 * parsed, in order, once the response has been written. While a response
 * is pending, reading continues until `pending` holds PENDING_HIGH bytes,
 * then stops: per-connection memory stays bounded (header limit, body
 * limit, pending limit) and a client that floods pipelined requests only
 * stalls itself.
 *
 * Responses are head (formatted into the connection) + body (the engine's
 * buffer, or a constant), written with one uv_try_write; only a remainder
 * goes through uv_write. So a request answered synchronously (every read)
 * costs no allocation and no extra loop turn, and pipelined requests in one
 * read are all answered within that read's callback.
 *
 * Engine calls: done() runs either inside pt_call_start (on this loop's
 * thread: answered at once) or on the writer thread, which queues the
 * connection for this loop (http_server.c). A call in flight holds a
 * reference, so a connection closed by its peer meanwhile is freed only
 * when the completion arrives. Connections are freed only from callbacks,
 * never while a function up the stack still uses them.
 *
 * Routing follows what DynamoDB answers (as mhart/dynalite records it):
 *  - GET/HEAD, any path: 200 "healthy: portico" (DynamoDB's health answer
 *    names its endpoint; ours names the server).
 *  - A method other than GET/HEAD/POST, or a POST whose non-empty body has
 *    a Content-Type other than application/x-amz-json-1.0 or
 *    application/json (parameters such as "; charset=utf-8" are ignored,
 *    as is case): 404 with the body "<UnknownOperationException/>\n".
 *    An empty body needs no Content-Type.
 *  - X-Amz-Target missing, or not "DynamoDB_20120810.<Op>" (or the Streams
 *    service's "DynamoDBStreams_20120810.<Op>") with <Op> made of letters
 *    and digits: 400 {"__type":"com.amazon.coral.service#
 *    UnknownOperationException"}. Whether <Op> exists is the engine's call.
 *  - Otherwise the engine answers (status and body are its own). JSON
 *    responses carry Content-Type application/json when the request used
 *    application/json, else application/x-amz-json-1.0 (as DynamoDB and
 *    dynalite mirror it).
 * HTTP-level failures close the connection after answering: malformed
 * request 400, header block over 64 KiB 431, body over 16 MiB 413 with
 * {"__type":"com.amazon.coral.service#RequestEntityTooLargeException",...}
 * (sent as soon as a Content-Length announces it; "Expect: 100-continue" is
 * honoured, so such clients never send the body).
 *
 * Closing after a response is "lingering": shut down our side, then read
 * and discard until the peer closes or LINGER_MS pass, so a client still
 * sending (say, the rest of a rejected 17 MiB body) receives our answer
 * instead of a reset.
 *
 * Timeouts (one deadline per connection, checked by the worker's sweep):
 * idle keep-alive connection: idle_timeout from the last response; a
 * request: read_timeout from its first byte to its last (slow clients
 * cannot hold a connection by trickling bytes); a response write stalled by
 * a client that does not read: idle_timeout; lingering close: LINGER_MS.
 * A request waiting for the engine has no deadline: the engine always
 * answers.
 *
 * Authentication (opts.auth required): the target and every header are
 * captured like in handler mode, and a DynamoDB call is passed to
 * pt_auth_check (src/auth: SigV4 + access policy) before the engine sees
 * it; a failure is answered with DynamoDB's error JSON (status 400).
 *
 * Server-wide bounds (hostile clients): open connections are capped
 * (opts.max_connections; one over gets a fixed 503 and is closed), request
 * header lines are capped (PT_HTTP_MAX_HEADERS, 431), and the bytes held in
 * request buffers by all connections together are counted against
 * opts.max_buffer_bytes: a body reservation or chunk that does not fit, or a
 * request still arriving while the total is over, gets 503 and a close.
 *
 * TLS (opts.tls_cert): see tls_on_read/tls_flush; the HTTP logic above
 * only ever sees plaintext, and every bound applies unchanged.
 *
 * Shutdown (pt_conn_stop_all): a request being answered is finished and
 * its response says "Connection: close"; a request already sent but not
 * yet read, or half-way in, gets STOP_GRACE_MS to arrive and is answered
 * the same way; idle connections close at once.
 *
 * Handler mode (pt_http_options_t.handler, net/http_handler.h; the API
 * gateway's listener): the connection also keeps the request-target and
 * every header, and hands the complete request to the handler instead of
 * the DynamoDB routing above. The exchange holds a reference like an engine
 * call does; the handler's reply (head lines + body) is copied into the
 * connection and written like any other response. A handler may instead
 * stream its response (pt_http_exchange_begin/write/end): each piece goes
 * to the socket at once, what it does not take is copied and queued, and
 * the socket's write queue size is the backpressure signal (write returns
 * 1 above PT_HTTP_STREAM_HIGH; the handler's drain callback runs at
 * PT_HTTP_STREAM_LOW). While the queue is non-empty the idle timeout bounds
 * a client that stops reading; a close before end notifies the handler
 * from on_close (drain with gone=1).
 *
 * Streamed request bodies (handler->stream_body, opt-in per request): at
 * headers-complete the handler may take the request before its body; the
 * parser is paused there, the exchange dispatched, and the body bytes wait
 * (in `pending`, bounded by PENDING_HIGH) until the handler starts reading
 * (pt_http_exchange_body_start). From then on each read is parsed at once
 * and its body pieces handed to the handler's callback, under the
 * hx_in_dispatch guard (the handler may respond from inside it); a
 * callback asking to pause stops reading from the socket, so the client's
 * TCP window is the backpressure. The body's end leaves the parser after
 * the message, so pipelined bytes wait in `pending` as usual. The read
 * timeout becomes an inactivity timeout while such a body arrives (a big
 * upload may take longer than read_timeout), and no deadline runs while it
 * is paused (the handler's upstream has its own). */
#include <limits.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include "auth/auth.h"
#include "net/http_handler.h"
#include "net/http_internal.h"
#include "util/http_parse.h"
#include "util/arena.h"
#include "util/buf.h"

/* Stop reading from a connection while this many received bytes wait. */
#define PENDING_HIGH (128u * 1024u)
/* Buffers bigger than this are freed between requests rather than kept. */
#define BUF_KEEP_MAX (64u * 1024u)
#define LINGER_MS 2000u
/* At shutdown, how long a request already arriving may take to complete. */
#define STOP_GRACE_MS 2000u

enum phase {
    PH_IDLE,    /* between requests */
    PH_READING, /* a request has begun arriving */
    PH_BUSY,    /* a request is being answered (engine or write) */
    PH_LINGER,  /* final response sent; waiting for the peer to close */
};

enum watched_header { H_OTHER, H_TARGET, H_CTYPE, H_EXPECT };

/* A streamed request body (handler->stream_body said 1). */
enum rx_state {
    RX_NONE,      /* the body, if any, is received whole */
    RX_WAIT,      /* dispatched at headers-complete; body not yet read */
    RX_ACTIVE,    /* delivering to the handler's callback */
    RX_DONE,      /* the body's end was delivered */
    RX_ABANDONED, /* answered, stopped or aborted before the end */
};

/* Handler mode (net/http_handler.h): the exchange a connection hands out. */
struct pt_http_exchange {
    pt_conn_t *conn;
    pt_http_request_t req;
    pt_http_header_t *hv;     /* header views into conn->hdrs */
    size_t hv_cap;
    char method[16];
    char peer[64];
    void *data;
};

struct pt_conn {
    uv_tcp_t tcp;
    pt_worker_t *w;
    pt_conn_t *prev, *next;   /* worker's open connections */
    pt_conn_t *done_next;     /* worker's completion queue */
    pt_hp_t parser;
    int refs;                 /* 1 while the handle is open, +1 per call in flight */
    uint8_t phase;
    bool closing;             /* uv_close issued */
    bool eof;                 /* the peer will send nothing more */
    bool read_stopped;
    bool busy;                /* a response is being produced or written */
    bool request_ready;       /* the parser completed a message (and paused) */
    bool sync_done;           /* the engine answered inside pt_call_start */
    bool close_after;         /* close once the current response is written */
    bool head_only;           /* HEAD: no body bytes */
    bool keep_alive;
    bool http10;
    bool reply_json;          /* request said application/json */
    uint64_t deadline;        /* uv_now() ms; 0 = none */

    /* The request being parsed. */
    int reject_status;        /* set by a callback that refused the request */
    bool in_value;            /* the last header callback was a value */
    uint8_t cur_header;       /* watched_header of the current header */
    bool target_seen;
    size_t field_len;
    size_t target_len, ctype_len, expect_len; /* may exceed the arrays: truncated */
    char field[16];
    char target[128];
    char ctype[128];
    char expect[16];
    pt_buf_t body;
    pt_buf_t pending;         /* received, not yet parsed (pipelining) */
    size_t pending_off;

    /* Handler mode only: the whole request is kept (target, every header as
     * name\0value\0 pairs), and the handler's response is formatted here. */
    const pt_http_handler_t *handler;
    uint8_t hdr_state;        /* 0 none, 1 in a name, 2 in a value */
    bool hx_inflight;         /* handed to the handler, not yet answered */
    bool hx_in_dispatch;      /* inside handler->handle */
    pt_buf_t url;
    pt_buf_t hdrs;
    pt_buf_t hx_out;
    pt_http_exchange_t hx;
    /* A streamed response (pt_http_exchange_begin..end): writes go straight
     * to the socket, the rest queued by libuv (write_queue_size is the
     * backpressure measure); hx_ending: end was called, the response is
     * done once the queue is empty. */
    bool hx_streaming;
    bool hx_ending;
    bool hx_chunked;          /* body framed as chunks */
    bool hx_discard;          /* HEAD, 204, 304: body bytes dropped */
    bool hx_want_drain;       /* a write returned 1: call drain at LOW */
    long long hx_remaining;   /* Content-Length left to write; -1 unknown */
    pt_http_drain_fn hx_drain;
    void *hx_drain_arg;
    /* A streamed request body (see the file comment). */
    uint8_t rx;               /* enum rx_state */
    bool rx_dispatch;         /* headers complete: dispatch before the body */
    bool rx_paused;           /* the callback asked to wait */
    bool rx_msg_done;         /* the parser reached the message's end */
    long long rx_length;      /* announced: bytes, -1 chunked */
    pt_http_body_fn rx_fn;
    void *rx_arg;

    /* Authentication (opts.auth, src/auth) also needs the target and every
     * header: `capture` is set in handler mode and when auth is required.
     * The views for SigV4 are rebuilt per request (bounded by
     * PT_HTTP_MAX_HEADERS) and the error answer is formatted in auth_out. */
    bool capture;
    unsigned nheaders;        /* headers of the request being parsed */
    pt_sigv4_header_t *sv;
    size_t sv_cap;
    pt_buf_t auth_out;
    size_t charged;           /* bytes counted in the server's buffer budget */

    /* TLS (opts.tls_cert): OpenSSL over memory BIOs. Ciphertext read from
     * the socket goes into the SSL's read BIO and plaintext comes out into
     * the loop's read buffer, then takes the plaintext path (on_plain);
     * everything written is encrypted into the write BIO and flushed to the
     * socket (tls_flush). NULL on a plaintext listener. */
    SSL *ssl;

    /* The response. */
    pt_call_t *call;          /* reused for every request of the connection */
    uv_write_t write_req;
    uv_write_t continue_req;
    uv_shutdown_t shutdown_req;
    uv_buf_t out[2];
    char head[PT_HTTP_HEAD_MAX];
};

static const char HEALTH_BODY[] = "healthy: portico";
static const char UNKNOWN_XML[] = "<UnknownOperationException/>\n";
static const char UNKNOWN_OP_JSON[] = "{\"__type\":\"com.amazon.coral.service#UnknownOperationException\"}";
static const char TOO_LARGE_JSON[] =
    "{\"__type\":\"com.amazon.coral.service#RequestEntityTooLargeException\","
    "\"message\":\"Request size exceeds the limit of 16777216 bytes\"}";
static const char INTERNAL_JSON[] =
    "{\"__type\":\"com.amazonaws.dynamodb.v20120810#InternalServerError\","
    "\"message\":\"Internal server error\"}";
static const char BUSY_JSON[] =
    "{\"__type\":\"com.amazon.coral.availability#ServiceUnavailableException\","
    "\"message\":\"Server is busy: request memory limit reached, retry later\"}";
#define TOO_MANY_BODY                                                            \
    "{\"__type\":\"com.amazon.coral.availability#ServiceUnavailableException\"," \
    "\"message\":\"Server is busy: too many open connections, retry later\"}"
static const char TOO_MANY_CONNS[] =
    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/x-amz-json-1.0\r\n"
    "Content-Length: 137\r\nConnection: close\r\n\r\n" TOO_MANY_BODY;
static const char BAD_REQUEST_TEXT[] = "Bad Request\n";
static const char HEADERS_TOO_LARGE_TEXT[] = "Request Header Fields Too Large\n";
static const char CONTINUE_100[] = "HTTP/1.1 100 Continue\r\n\r\n";
static const char TARGET_PREFIX[] = "DynamoDB_20120810.";
static const char STREAMS_PREFIX[] = "DynamoDBStreams_20120810.";

#define CT_AMZ_JSON "application/x-amz-json-1.0"
#define CT_JSON "application/json"

static void conn_close(pt_conn_t *c);
static int tls_flush(pt_conn_t *c, bool is_response);
static void response_done(pt_conn_t *c);
static void drain_pending(pt_conn_t *c);
static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);
static void stream_progress(pt_conn_t *c);

pt_conn_t **pt_conn_done_link(pt_conn_t *c) { return &c->done_next; }

static const pt_http_options_t *opts_of(const pt_conn_t *c) { return &c->w->srv->opts; }

static uint64_t now_ms(const pt_conn_t *c) { return uv_now(&c->w->loop); }

/* ---- the server-wide buffer budget ----
 * Every connection's request buffers (body, pending bytes, captured target
 * and headers) are counted in one server-wide total; past
 * opts.max_buffer_bytes new requests that need memory are refused with 503
 * (see the file comment), so many slow clients cannot together exhaust
 * memory even though each stays within its own limits. */

static size_t conn_footprint(const pt_conn_t *c)
{
    return c->body.cap + c->pending.cap + c->url.cap + c->hdrs.cap;
}

/* Sets this connection's charge to `bytes` (0 when it is freed). */
static void budget_charge(pt_conn_t *c, size_t bytes)
{
    atomic_size_t *total = &c->w->srv->buffered;
    if (bytes > c->charged)
        atomic_fetch_add(total, bytes - c->charged);
    else if (bytes < c->charged)
        atomic_fetch_sub(total, c->charged - bytes);
    c->charged = bytes;
}

static void budget_update(pt_conn_t *c) { budget_charge(c, conn_footprint(c)); }

/* Whether `extra` more bytes fit in the budget. */
static bool budget_allows(const pt_conn_t *c, size_t extra)
{
    size_t limit = c->w->srv->opts.max_buffer_bytes;
    return atomic_load(&c->w->srv->buffered) + extra <= limit;
}

/* ---- lifetime ---- */

static void conn_unref(pt_conn_t *c)
{
    if (--c->refs > 0) return;
    pt_worker_t *w = c->w;
    pt_call_free(c->call);
    pt_buf_free(&c->body);
    pt_buf_free(&c->pending);
    pt_buf_free(&c->url);
    pt_buf_free(&c->hdrs);
    pt_buf_free(&c->hx_out);
    free(c->hx.hv);
    pt_buf_free(&c->auth_out);
    free(c->sv);
    if (c->ssl) SSL_free(c->ssl); /* frees its BIOs */
    budget_charge(c, 0);
    free(c);
    w->live--;
    pt_worker_conn_freed(w);
}

static void on_close(uv_handle_t *h)
{
    pt_conn_t *c = h->data;
    /* A streamed request body cut short: the handler drops its upstream. */
    if (c->rx == RX_ACTIVE && c->rx_fn) {
        pt_http_body_fn fn = c->rx_fn;
        c->rx = RX_ABANDONED;
        c->rx_fn = NULL;
        fn(&c->hx, c->rx_arg, NULL, 0, PT_HTTP_BODY_ABORT);
    }
    /* A streamed response cut short: its producer must stop (and end). */
    if (c->hx_streaming && c->hx_drain) {
        pt_http_drain_fn fn = c->hx_drain;
        c->hx_drain = NULL;
        fn(&c->hx, c->hx_drain_arg, 1);
    }
    conn_unref(c);
}

static void conn_close(pt_conn_t *c)
{
    if (c->closing) return;
    c->closing = true;
    pt_worker_t *w = c->w;
    if (c->prev)
        c->prev->next = c->next;
    else
        w->conns = c->next;
    if (c->next) c->next->prev = c->prev;
    c->prev = c->next = NULL;
    w->nconns--;
    atomic_fetch_sub(&w->srv->open_conns, 1);
    uv_close((uv_handle_t *)&c->tcp, on_close);
}

static void stop_reading(pt_conn_t *c)
{
    if (c->read_stopped) return;
    uv_read_stop((uv_stream_t *)&c->tcp);
    c->read_stopped = true;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    /* Safe to share: libuv hands each read to on_read before the next
     * allocation, and on_read never keeps a pointer into it. */
    pt_conn_t *c = h->data;
    buf->base = c->w->readbuf;
    buf->len = sizeof c->w->readbuf;
}

static void start_reading(pt_conn_t *c)
{
    if (!c->read_stopped || c->eof || c->closing) return;
    if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read)) {
        conn_close(c);
        return;
    }
    c->read_stopped = false;
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    if (status < 0) conn_close(req->data);
}

/* After the final response: FIN our side, discard input until the peer
 * closes (see the file comment). */
static void begin_close(pt_conn_t *c)
{
    c->phase = PH_LINGER;
    c->deadline = now_ms(c) + LINGER_MS;
    if (c->eof) {
        conn_close(c);
        return;
    }
    if (c->ssl) { /* close_notify, queued before the FIN */
        (void)SSL_shutdown(c->ssl);
        if (tls_flush(c, false)) return;
    }
    c->shutdown_req.data = c;
    if (uv_shutdown(&c->shutdown_req, (uv_stream_t *)&c->tcp, on_shutdown)) {
        conn_close(c);
        return;
    }
    start_reading(c);
}

/* ---- writing ---- */

static void response_done(pt_conn_t *c)
{
    c->busy = false;
    if (c->body.cap > BUF_KEEP_MAX)
        pt_buf_free(&c->body);
    else
        pt_buf_clear(&c->body);
    if (c->hdrs.cap > BUF_KEEP_MAX) pt_buf_free(&c->hdrs);
    if (c->url.cap > BUF_KEEP_MAX) pt_buf_free(&c->url);
    budget_update(c);
    if (c->close_after || c->w->stopping) {
        begin_close(c);
        return;
    }
    c->phase = PH_IDLE;
    c->deadline = now_ms(c) + opts_of(c)->idle_timeout_ms;
}

static void on_write(uv_write_t *req, int status)
{
    pt_conn_t *c = req->data;
    if (status < 0) { /* includes UV_ECANCELED from conn_close */
        conn_close(c);
        return;
    }
    if (c->closing) return;
    response_done(c);
    drain_pending(c);
}

/* Writes c->out[0..nbufs): synchronously when the socket takes it all
 * (then the response is done on return), else queues the rest. */
static void write_out(pt_conn_t *c, unsigned nbufs)
{
    if (c->ssl) {
        for (unsigned i = 0; i < nbufs; i++) {
            /* A memory BIO takes everything: SSL_write writes all or fails. */
            if (c->out[i].len && SSL_write(c->ssl, c->out[i].base, (int)c->out[i].len) <= 0) {
                conn_close(c);
                return;
            }
        }
        tls_flush(c, true);
        return;
    }
    size_t total = 0;
    for (unsigned i = 0; i < nbufs; i++) total += c->out[i].len;
    int n = uv_try_write((uv_stream_t *)&c->tcp, c->out, nbufs);
    if (n == UV_EAGAIN) n = 0;
    if (n < 0) {
        conn_close(c);
        return;
    }
    if ((size_t)n == total) {
        response_done(c);
        return;
    }
    size_t skip = (size_t)n;
    unsigned first = 0;
    while (skip >= c->out[first].len) skip -= c->out[first++].len;
    c->out[first].base += skip;
    c->out[first].len -= skip;
    c->write_req.data = c;
    if (uv_write(&c->write_req, (uv_stream_t *)&c->tcp, c->out + first, nbufs - first, on_write)) {
        conn_close(c);
        return;
    }
    /* A client that stops reading must not hold the connection forever. */
    c->deadline = now_ms(c) + opts_of(c)->idle_timeout_ms;
}

static void respond(pt_conn_t *c, int status, const char *content_type, const char *body,
                    size_t len)
{
    if (c->closing) return;
    pt_http_head_t h = {
        .status = status,
        .content_type = content_type,
        .content_length = len,
        .crc32 = (uint32_t)crc32(crc32(0L, Z_NULL, 0), (const Bytef *)body, (uInt)len),
        .close = c->close_after || c->w->stopping,
        .keep_alive_10 = c->http10,
    };
    size_t hl = pt_http_format_head(c->w, &h, c->head);
    c->out[0] = uv_buf_init(c->head, (unsigned)hl);
    unsigned nbufs = 1;
    if (len && !c->head_only) c->out[nbufs++] = uv_buf_init((char *)body, (unsigned)len);
    write_out(c, nbufs);
}

static void on_continue_written(uv_write_t *req, int status)
{
    if (status < 0) conn_close(req->data);
}

static void send_continue(pt_conn_t *c)
{
    if (c->ssl) {
        if (SSL_write(c->ssl, CONTINUE_100, sizeof CONTINUE_100 - 1) <= 0) {
            conn_close(c);
            return;
        }
        tls_flush(c, false);
        return;
    }
    uv_buf_t b = uv_buf_init((char *)CONTINUE_100, sizeof CONTINUE_100 - 1);
    int n = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
    if (n == UV_EAGAIN) n = 0;
    if (n < 0 || (size_t)n == b.len) return; /* errors surface on the next read/write */
    b.base += n;
    b.len -= (size_t)n;
    c->continue_req.data = c;
    /* Queued writes keep their order, so the response cannot overtake it. */
    if (uv_write(&c->continue_req, (uv_stream_t *)&c->tcp, &b, 1, on_continue_written))
        conn_close(c);
}

/* Answers an HTTP-level failure and closes. */
static void reject(pt_conn_t *c, int status)
{
    c->busy = true;
    c->phase = PH_BUSY;
    c->deadline = 0;
    c->close_after = true;
    c->head_only = false;
    c->http10 = false;
    if (status == 413)
        respond(c, status, CT_AMZ_JSON, TOO_LARGE_JSON, sizeof TOO_LARGE_JSON - 1);
    else if (status == 503)
        respond(c, status, CT_AMZ_JSON, BUSY_JSON, sizeof BUSY_JSON - 1);
    else if (status == 431)
        respond(c, status, "text/plain", HEADERS_TOO_LARGE_TEXT, sizeof HEADERS_TOO_LARGE_TEXT - 1);
    else
        respond(c, 400, "text/plain", BAD_REQUEST_TEXT, sizeof BAD_REQUEST_TEXT - 1);
}

/* ---- engine calls ---- */

static void call_respond(pt_conn_t *c)
{
    size_t len = 0;
    const char *body = pt_call_response(c->call, &len);
    if (!body) len = 0;
    respond(c, pt_call_status(c->call), c->reply_json ? CT_JSON : CT_AMZ_JSON, body ? body : "",
            len);
}

static void call_done(pt_call_t *call, void *userdata)
{
    pt_conn_t *c = userdata;
    if (pt_worker_current() == c->w) {
        /* Only possible inside pt_call_start: start_call answers. */
        c->sync_done = true;
        return;
    }
    pt_worker_post_completion(c->w, c);
}

void pt_conn_completed(pt_conn_t *c)
{
    if (c->handler) { /* pt_http_exchange_post: the handler continues */
        c->handler->resume(c->handler->ctx, &c->hx);
        return;
    }
    if (!c->closing) {
        call_respond(c);
        if (!c->busy) drain_pending(c);
    }
    conn_unref(c); /* the call's reference; may free c */
}

static void start_call(pt_conn_t *c, const char *op, size_t op_len)
{
    if (!c->call && !(c->call = pt_call_new())) {
        respond(c, 500, CT_AMZ_JSON, INTERNAL_JSON, sizeof INTERNAL_JSON - 1);
        return;
    }
    c->refs++;
    c->sync_done = false;
    pt_call_start(c->w->srv->engine, c->call, op, op_len, c->body.data ? c->body.data : "",
                  c->body.len, call_done, c);
    if (c->sync_done) {
        c->refs--; /* cannot reach 0: the open handle holds one */
        call_respond(c);
    }
}

/* ---- routing ---- */

static bool ieq(const char *a, size_t alen, const char *lit)
{
    size_t n = strlen(lit);
    return alen == n && strncasecmp(a, lit, n) == 0;
}

/* The media type of Content-Type (parameters and blanks stripped) is one
 * of the two DynamoDB accepts. */
static bool content_type_ok(pt_conn_t *c, bool *is_plain_json)
{
    size_t n = c->ctype_len < sizeof c->ctype ? c->ctype_len : sizeof c->ctype;
    const char *semi = memchr(c->ctype, ';', n);
    if (semi)
        n = (size_t)(semi - c->ctype);
    else if (c->ctype_len > sizeof c->ctype)
        return false; /* truncated and no parameters: not one of ours */
    while (n && (c->ctype[n - 1] == ' ' || c->ctype[n - 1] == '\t')) n--;
    *is_plain_json = ieq(c->ctype, n, CT_JSON);
    return *is_plain_json || ieq(c->ctype, n, CT_AMZ_JSON);
}

/* "DynamoDB_20120810.<Op>" -> Op; "DynamoDBStreams_20120810.<Op>" -> the
 * whole target (the engine's name for a Streams operation, which no
 * DynamoDB target can spell); false when malformed. */
static bool parse_target(pt_conn_t *c, const char **op, size_t *op_len)
{
    size_t pre = sizeof TARGET_PREFIX - 1;
    size_t n = c->target_len;
    if (!c->target_seen || n > sizeof c->target) return false;
    while (n && (c->target[n - 1] == ' ' || c->target[n - 1] == '\t')) n--;
    bool streams = n > sizeof STREAMS_PREFIX - 1 && !memcmp(c->target, STREAMS_PREFIX, sizeof STREAMS_PREFIX - 1);
    if (streams) pre = sizeof STREAMS_PREFIX - 1;
    else if (n <= pre || memcmp(c->target, TARGET_PREFIX, pre) != 0) return false;
    for (size_t i = pre; i < n; i++) {
        char ch = c->target[i];
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')))
            return false;
    }
    *op = streams ? c->target : c->target + pre;
    *op_len = streams ? n : n - pre;
    return true;
}

static void handler_dispatch(pt_conn_t *c);
static void handler_prepare(pt_conn_t *c);
static void rx_abandon(pt_conn_t *c);
static size_t rx_feed(pt_conn_t *c, const char *data, size_t n);
static void rx_after(pt_conn_t *c);

/* SigV4 + access policy (src/auth) for a DynamoDB call; on failure answers
 * with DynamoDB's error and returns false. The request's target and headers
 * were captured by the parser callbacks (c->capture). */
static bool authenticate(pt_conn_t *c, const char *op, size_t op_len)
{
    size_t n = 0;
    for (size_t off = 0; off < c->hdrs.len;) {
        const char *name = c->hdrs.data + off;
        size_t nl = strnlen(name, c->hdrs.len - off);
        off += nl + 1;
        if (off >= c->hdrs.len) break;
        const char *value = c->hdrs.data + off;
        size_t vl = strnlen(value, c->hdrs.len - off);
        off += vl + 1;
        if (n == c->sv_cap) { /* bounded: at most PT_HTTP_MAX_HEADERS */
            size_t cap = c->sv_cap ? c->sv_cap * 2 : 16;
            pt_sigv4_header_t *sv = realloc(c->sv, cap * sizeof *sv);
            if (!sv) pt_oom();
            c->sv = sv;
            c->sv_cap = cap;
        }
        c->sv[n++] = (pt_sigv4_header_t){name, nl, value, vl};
    }
    const char *url = c->url.data ? c->url.data : "/";
    size_t ul = c->url.data ? c->url.len : 1;
    const char *q = memchr(url, '?', ul);
    const char *method = c->parser.method_str;
    pt_sigv4_request_t req = {
        .method = method,
        .method_len = strlen(method),
        .path = url,
        .path_len = q ? (size_t)(q - url) : ul,
        .query = q ? q + 1 : "",
        .query_len = q ? (size_t)(url + ul - q - 1) : 0,
        .headers = c->sv,
        .nheaders = n,
        .body = c->body.data ? c->body.data : "",
        .body_len = c->body.len,
    };
    pt_error_t err;
    pt_error_clear(&err);
    if (pt_auth_check(c->w->srv->opts.auth, &req, op, op_len, time(NULL), &err) == PT_OK)
        return true;
    pt_buf_clear(&c->auth_out);
    pt_jw_t jw;
    pt_jw_init(&jw, &c->auth_out);
    pt_jw_obj_begin(&jw);
    pt_jw_keyz(&jw, "__type");
    pt_jw_strz(&jw, err.type);
    pt_jw_keyz(&jw, "message");
    pt_jw_strz(&jw, err.message);
    pt_jw_obj_end(&jw);
    respond(c, err.status ? err.status : 400, c->reply_json ? CT_JSON : CT_AMZ_JSON,
            c->auth_out.data, c->auth_out.len);
    return false;
}

static void dispatch(pt_conn_t *c)
{
    c->busy = true;
    c->phase = PH_BUSY;
    c->deadline = 0;
    c->close_after = !c->keep_alive || c->w->stopping;
    c->head_only = c->parser.method == PT_HP_HEAD;
    c->reply_json = false;
    if (c->handler) {
        handler_dispatch(c);
        return;
    }

    switch (c->parser.method) {
    case PT_HP_GET:
    case PT_HP_HEAD:
        respond(c, 200, "text/plain", HEALTH_BODY, sizeof HEALTH_BODY - 1);
        return;
    case PT_HP_POST:
        break;
    default:
        respond(c, 404, "text/xml", UNKNOWN_XML, sizeof UNKNOWN_XML - 1);
        return;
    }
    bool plain_json = false;
    bool ct_ok = content_type_ok(c, &plain_json);
    if (c->body.len && !ct_ok) {
        respond(c, 404, "text/xml", UNKNOWN_XML, sizeof UNKNOWN_XML - 1);
        return;
    }
    c->reply_json = plain_json;
    const char *op;
    size_t op_len;
    if (!parse_target(c, &op, &op_len)) {
        respond(c, 400, plain_json ? CT_JSON : CT_AMZ_JSON, UNKNOWN_OP_JSON,
                sizeof UNKNOWN_OP_JSON - 1);
        return;
    }
    if (c->w->srv->opts.auth && pt_auth_required(c->w->srv->opts.auth) &&
        !authenticate(c, op, op_len))
        return;
    start_call(c, op, op_len);
}

/* ---- parsing ---- */

static void append_bounded(char *dst, size_t cap, size_t *len, const char *at, size_t n)
{
    if (*len < cap) memcpy(dst + *len, at, n < cap - *len ? n : cap - *len);
    *len += n; /* keeps counting past cap: callers detect truncation */
}

static int on_message_begin(pt_hp_t *p)
{
    pt_conn_t *c = p->data;
    c->phase = PH_READING;
    c->deadline = now_ms(c) + opts_of(c)->read_timeout_ms;
    if (c->w->stopping && c->deadline > c->w->stop_deadline) c->deadline = c->w->stop_deadline;
    c->reject_status = 0;
    c->in_value = true; /* the next field starts a new header */
    c->cur_header = H_OTHER;
    c->target_seen = false;
    c->field_len = c->target_len = c->ctype_len = c->expect_len = 0;
    c->nheaders = 0;
    c->rx = RX_NONE;
    c->rx_dispatch = c->rx_paused = c->rx_msg_done = false;
    c->rx_length = 0;
    c->rx_fn = NULL;
    /* Per request: credentials added while the server runs can turn
     * authentication on for connections already open. */
    c->capture = c->handler || (c->w->srv->opts.auth && pt_auth_required(c->w->srv->opts.auth));
    pt_buf_clear(&c->body);
    if (c->capture) {
        pt_buf_clear(&c->url);
        pt_buf_clear(&c->hdrs);
        c->hdr_state = 0;
    }
    return 0;
}

/* Handler mode: the request-target (bounded by the header limit). */
static int on_url(pt_hp_t *p, const char *at, size_t n)
{
    pt_conn_t *c = p->data;
    if (c->capture) pt_buf_append(&c->url, at, n);
    return 0;
}

static int on_header_field(pt_hp_t *p, const char *at, size_t n)
{
    pt_conn_t *c = p->data;
    if (c->in_value) { /* the first piece of a new header line */
        c->in_value = false;
        c->field_len = 0;
        if (++c->nheaders > PT_HTTP_MAX_HEADERS) {
            c->reject_status = 431; /* many tiny headers: bounded like their bytes */
            return -1;
        }
        if (c->capture) { /* close the previous pair */
            if (c->hdr_state == 2) pt_buf_putc(&c->hdrs, 0);
            if (c->hdr_state == 1) pt_buf_append(&c->hdrs, "\0\0", 2);
            c->hdr_state = 1;
        }
    }
    append_bounded(c->field, sizeof c->field, &c->field_len, at, n);
    if (c->capture) pt_buf_append(&c->hdrs, at, n);
    return 0;
}

static int on_header_value(pt_hp_t *p, const char *at, size_t n)
{
    pt_conn_t *c = p->data;
    if (!c->in_value) {
        /* First piece of this value: the field name is complete. A repeated
         * header replaces the earlier one. */
        c->in_value = true;
        size_t fl = c->field_len;
        if (ieq(c->field, fl, "x-amz-target")) {
            c->cur_header = H_TARGET;
            c->target_seen = true;
            c->target_len = 0;
        } else if (ieq(c->field, fl, "content-type")) {
            c->cur_header = H_CTYPE;
            c->ctype_len = 0;
        } else if (ieq(c->field, fl, "expect")) {
            c->cur_header = H_EXPECT;
            c->expect_len = 0;
        } else {
            c->cur_header = H_OTHER;
        }
        if (c->capture) {
            pt_buf_putc(&c->hdrs, 0);
            c->hdr_state = 2;
        }
    }
    if (c->capture) pt_buf_append(&c->hdrs, at, n);
    switch (c->cur_header) {
    case H_TARGET: append_bounded(c->target, sizeof c->target, &c->target_len, at, n); break;
    case H_CTYPE: append_bounded(c->ctype, sizeof c->ctype, &c->ctype_len, at, n); break;
    case H_EXPECT: append_bounded(c->expect, sizeof c->expect, &c->expect_len, at, n); break;
    default: break;
    }
    return 0;
}

static int on_headers_complete(pt_hp_t *p)
{
    pt_conn_t *c = p->data;
    if (c->capture) {
        if (c->hdr_state == 2) pt_buf_putc(&c->hdrs, 0);
        if (c->hdr_state == 1) pt_buf_append(&c->hdrs, "\0\0", 2);
        c->hdr_state = 0;
    }
    c->http10 = p->http_major == 1 && p->http_minor == 0;
    if (p->http_major != 1) {
        c->reject_status = 400;
        return -1;
    }
    bool chunked = p->chunked;
    bool has_length = !chunked && p->content_length != PT_HP_NO_LENGTH;
    if (c->handler && c->handler->stream_body && !p->upgrade &&
        (chunked || (has_length && p->content_length > 0 && p->content_length <= LLONG_MAX))) {
        /* The handler may take the request before its body. */
        c->rx_length = chunked ? -1 : (long long)p->content_length;
        handler_prepare(c);
        if (c->handler->stream_body(c->handler->ctx, &c->hx) == 1) {
            c->rx = RX_WAIT;
            c->rx_dispatch = true;
            c->keep_alive = pt_hp_keep_alive(p);
            has_length = false; /* no reservation: the body is not kept */
            chunked = true;     /* (for 100-continue below: a body follows) */
            pt_hp_pause(p, true); /* consume() dispatches */
        } else {
            c->rx_length = 0;
        }
    }
    if (has_length) {
        if (p->content_length > PT_HTTP_MAX_BODY_BYTES) {
            c->reject_status = 413;
            return -1; /* answer now: no point receiving the body */
        }
        /* Bounded by the check above and by the server-wide budget; one
         * allocation for the whole body. */
        if (!budget_allows(c, (size_t)p->content_length)) {
            c->reject_status = 503;
            return -1;
        }
        pt_buf_reserve(&c->body, (size_t)p->content_length);
        budget_update(c);
    }
    size_t el = c->expect_len < sizeof c->expect ? c->expect_len : 0;
    if (el && !c->http10 && (chunked || (has_length && p->content_length > 0)) &&
        ieq(c->expect, el, "100-continue"))
        send_continue(c);
    return 0;
}

static int on_body(pt_hp_t *p, const char *at, size_t n)
{
    pt_conn_t *c = p->data;
    if (c->rx != RX_NONE) { /* streamed: never kept */
        if (c->rx == RX_ACTIVE && c->rx_fn) {
            int r = c->rx_fn(&c->hx, c->rx_arg, at, n, PT_HTTP_BODY_DATA);
            if (r > 0) c->rx_paused = true;
            if (r < 0) rx_abandon(c);
        }
        return 0;
    }
    if (n > PT_HTTP_MAX_BODY_BYTES - c->body.len) { /* chunked bodies grow here */
        c->reject_status = 413;
        return -1;
    }
    if (c->body.len + n > c->body.cap && !budget_allows(c, n)) {
        c->reject_status = 503;
        return -1;
    }
    pt_buf_append(&c->body, at, n);
    return 0;
}

static int on_message_complete(pt_hp_t *p)
{
    pt_conn_t *c = p->data;
    /* Upgrade requests (WebSocket, h2c) are answered as plain requests; the
     * connection cannot continue after them. */
    c->keep_alive = pt_hp_keep_alive(p) && !p->upgrade;
    if (c->rx != RX_NONE) { /* a streamed body's end (rx_feed goes on) */
        c->rx_msg_done = true;
        pt_hp_pause(p, true);
        return 0;
    }
    c->request_ready = true;
    pt_hp_pause(p, true); /* one request in flight: see the file comment */
    return 0;
}

static const pt_hp_settings_t parser_settings = {
    .on_message_begin = on_message_begin,
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

/* Parses and answers requests from data until one must wait (engine or
 * write), the connection closes, or data runs out. Returns the bytes
 * consumed; the caller keeps the rest. */
static size_t consume(pt_conn_t *c, const char *data, size_t len)
{
    size_t off = 0;
    while (off < len && !c->busy && !c->closing && c->phase != PH_LINGER) {
        size_t n = pt_hp_execute(&c->parser, &parser_settings, data + off, len - off);
        off += n;
        if (c->closing) return len; /* a callback's write failed */
        if (c->rx_dispatch) { /* a streamed body: the handler takes it now */
            c->rx_dispatch = false;
            pt_hp_pause(&c->parser, false);
            dispatch(c);
            continue;
        }
        if (c->request_ready) {
            c->request_ready = false;
            pt_hp_pause(&c->parser, false);
            dispatch(c);
            continue;
        }
        enum pt_hp_error e = c->parser.error;
        if (e != PT_HP_OK) {
            int status = c->reject_status ? c->reject_status
                         : e == PT_HP_HEADER_OVERFLOW ? 431
                                                    : 400;
            reject(c, status);
            return len;
        }
        if (n == 0) break; /* no progress without an error: never spin */
    }
    return off;
}

static void pending_append(pt_conn_t *c, const char *data, size_t n)
{
    if (c->pending_off) { /* compact: keep the unparsed bytes at the front */
        size_t keep = c->pending.len - c->pending_off;
        memmove(c->pending.data, c->pending.data + c->pending_off, keep);
        c->pending.len = keep;
        c->pending_off = 0;
    }
    pt_buf_append(&c->pending, data, n);
}

static void drain_pending(pt_conn_t *c)
{
    if (c->closing) return;
    size_t avail = c->pending.len - c->pending_off;
    if (avail) c->pending_off += consume(c, c->pending.data + c->pending_off, avail);
    if (c->closing) return;
    if (c->pending_off == c->pending.len) {
        c->pending_off = 0;
        if (c->pending.cap > BUF_KEEP_MAX)
            pt_buf_free(&c->pending);
        else
            pt_buf_clear(&c->pending);
    }
    if (c->phase == PH_LINGER) return;
    if (c->eof && !c->busy) {
        /* The peer has finished sending and every complete request it sent
         * has been answered; what is left cannot become a request. */
        conn_close(c);
        return;
    }
    if (c->pending.len - c->pending_off < PENDING_HIGH) start_reading(c);
}

static void on_plain(pt_conn_t *c, char *data, size_t n);

/* ---- TLS ---- */

typedef struct tls_write {
    uv_write_t req;
    pt_conn_t *conn;
    bool is_response;
    size_t len;
    char data[];
} tls_write_t;

static void on_tls_write(uv_write_t *req, int status)
{
    tls_write_t *tw = (tls_write_t *)req;
    pt_conn_t *c = tw->conn;
    bool is_response = tw->is_response;
    free(tw);
    if (status < 0) { /* includes UV_ECANCELED from conn_close */
        conn_close(c);
        return;
    }
    if (c->closing) return;
    if (!is_response) {
        if (c->hx_streaming) stream_progress(c); /* a streamed body's bytes left */
        return;
    }
    response_done(c);
    drain_pending(c);
}

/* Sends whatever the SSL has encrypted. With is_response, the response is
 * done when the bytes have left (at once when the socket takes them all,
 * like the plaintext path). Each flush owns its bytes, so flushes of
 * handshake records, 100-continue and responses can be queued behind one
 * another (libuv keeps their order). Returns -1 if the connection closed. */
static int tls_flush(pt_conn_t *c, bool is_response)
{
    BIO *wbio = SSL_get_wbio(c->ssl);
    size_t pending = (size_t)BIO_ctrl_pending(wbio);
    if (pending == 0) {
        if (is_response) response_done(c);
        return 0;
    }
    tls_write_t *tw = malloc(sizeof *tw + pending);
    if (!tw) pt_oom();
    int got = BIO_read(wbio, tw->data, (int)pending);
    if (got <= 0) {
        free(tw);
        conn_close(c);
        return -1;
    }
    uv_buf_t b = uv_buf_init(tw->data, (unsigned)got);
    int n = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
    if (n == UV_EAGAIN) n = 0;
    if (n < 0) {
        free(tw);
        conn_close(c);
        return -1;
    }
    if (n == got) {
        free(tw);
        if (is_response) response_done(c);
        return 0;
    }
    b.base += n;
    b.len -= (unsigned)n;
    tw->conn = c;
    tw->is_response = is_response;
    if (uv_write(&tw->req, (uv_stream_t *)&c->tcp, &b, 1, on_tls_write)) {
        free(tw);
        conn_close(c);
        return -1;
    }
    if (is_response) c->deadline = now_ms(c) + opts_of(c)->idle_timeout_ms;
    return 0;
}

/* Ciphertext from the socket: handshake, then decrypt into the loop's read
 * buffer (free again: the SSL copied the ciphertext) and hand the
 * plaintext on. */
static void tls_on_read(pt_conn_t *c, const char *data, size_t n)
{
    if (BIO_write(SSL_get_rbio(c->ssl), data, (int)n) != (int)n) {
        conn_close(c);
        return;
    }
    if (!SSL_is_init_finished(c->ssl)) {
        int r = SSL_do_handshake(c->ssl);
        if (r <= 0) {
            int e = SSL_get_error(c->ssl, r);
            tls_flush(c, false); /* a handshake message, or an alert */
            if (e != SSL_ERROR_WANT_READ && !c->closing) conn_close(c);
            ERR_clear_error();
            return;
        }
        if (tls_flush(c, false)) return;
        /* Handshake done: from here on the normal idle/read deadlines. */
        if (c->phase == PH_IDLE) c->deadline = now_ms(c) + opts_of(c)->idle_timeout_ms;
    }
    char *buf = c->w->readbuf;
    for (;;) {
        int r = SSL_read(c->ssl, buf, (int)sizeof c->w->readbuf);
        if (r > 0) {
            on_plain(c, buf, (size_t)r);
            if (c->closing || c->phase == PH_LINGER) break;
            continue;
        }
        int e = SSL_get_error(c->ssl, r);
        ERR_clear_error();
        if (e == SSL_ERROR_WANT_READ) break;
        if (e == SSL_ERROR_ZERO_RETURN) { /* close_notify: the peer is done */
            c->eof = true;
            stop_reading(c);
            if (!c->busy || (c->rx == RX_ACTIVE && !c->rx_paused)) conn_close(c);
            return;
        }
        conn_close(c);
        return;
    }
    if (!c->closing) tls_flush(c, false); /* post-handshake messages (tickets) */
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    pt_conn_t *c = s->data;
    if (c->closing) return;
    if (nread < 0) {
        if (nread != UV_EOF) {
            conn_close(c); /* reset or error: nothing more can be sent either */
            return;
        }
        c->eof = true;
        stop_reading(c);
        /* Half-closed peers still get the answer to a request in flight
         * and to complete pipelined ones (drain_pending closes after). A
         * streamed body still being read can no longer complete (rx_drain
         * checks again once the bytes waiting in pending are parsed). */
        if (!c->busy || (c->rx == RX_ACTIVE && !c->rx_paused)) conn_close(c);
        return;
    }
    if (nread == 0 || c->phase == PH_LINGER) return; /* lingering: discard */
    if (c->ssl)
        tls_on_read(c, buf->base, (size_t)nread);
    else
        on_plain(c, buf->base, (size_t)nread);
}

/* Request bytes (decrypted, on a TLS connection) as they arrive. */
static void on_plain(pt_conn_t *c, char *data, size_t n)
{
    if (c->closing || c->phase == PH_LINGER) return;
    if (c->rx == RX_ACTIVE && !c->rx_paused && c->pending.len == c->pending_off) {
        /* A streamed body: parsed and handed over at once. */
        size_t used = rx_feed(c, data, n);
        if (c->closing) return;
        if (used < n && c->phase != PH_LINGER) pending_append(c, data + used, n - used);
        rx_after(c);
        return;
    }
    if (c->pending.len == c->pending_off && !c->busy) {
        size_t used = consume(c, data, n);
        if (used == n || c->closing || c->phase == PH_LINGER) return;
        pending_append(c, data + used, n - used);
    } else {
        pending_append(c, data, n);
        if (!c->busy) drain_pending(c);
    }
    if (c->closing) return;
    if (c->pending.len - c->pending_off >= PENDING_HIGH) stop_reading(c);
    budget_update(c);
    /* Over the budget, a request still arriving is refused rather than
     * allowed to grow further (its memory is released on close). */
    if (c->phase == PH_READING && !c->busy && !budget_allows(c, 0)) reject(c, 503);
}

/* ---- hooks for the worker ---- */

/* Allocates a connection and links it into the worker; the caller attaches
 * the socket. */
static pt_conn_t *conn_new(pt_worker_t *w)
{
    pt_conn_t *c = calloc(1, sizeof *c);
    if (!c) pt_oom();
    c->w = w;
    c->refs = 1;
    c->read_stopped = true;
    c->tcp.data = c;
    c->handler = w->srv->opts.handler;
    c->capture = c->handler || (w->srv->opts.auth && pt_auth_required(w->srv->opts.auth));
    c->hx.conn = c;
    uv_tcp_init(&w->loop, &c->tcp);
    w->live++;
    w->nconns++;
    atomic_fetch_add(&w->srv->open_conns, 1);
    c->next = w->conns;
    if (w->conns) w->conns->prev = c;
    w->conns = c;
    return c;
}

static void conn_begin(pt_conn_t *c)
{
    uv_tcp_nodelay(&c->tcp, 1);
    pt_hp_init(&c->parser, PT_HTTP_MAX_HEADER_BYTES);
    c->parser.data = c;
    c->phase = PH_IDLE;
    c->deadline = now_ms(c) + opts_of(c)->idle_timeout_ms;
    if (c->w->srv->ssl_ctx) {
        BIO *rb = BIO_new(BIO_s_mem()), *wb = BIO_new(BIO_s_mem());
        c->ssl = SSL_new(c->w->srv->ssl_ctx);
        if (!c->ssl || !rb || !wb) {
            BIO_free(rb);
            BIO_free(wb);
            conn_close(c);
            return;
        }
        SSL_set_bio(c->ssl, rb, wb);
        SSL_set_accept_state(c->ssl);
        /* The handshake is part of the first request: the read timeout
         * bounds a client that starts one and stalls. */
        c->deadline = now_ms(c) + opts_of(c)->read_timeout_ms;
    }
    start_reading(c);
}

void pt_conn_on_connection(uv_stream_t *listener, int status)
{
    pt_worker_t *w = listener->data;
    if (status < 0) return; /* e.g. EMFILE: libuv retries on the next event */
    pt_conn_t *c = conn_new(w);
    if (uv_accept(listener, (uv_stream_t *)&c->tcp) || w->stopping) {
        conn_close(c);
        return;
    }
    if (atomic_load(&w->srv->open_conns) > opts_of(c)->max_connections) {
        /* Over the cap: a clear refusal, then close at once rather than
         * queue (a best-effort write: the socket buffer of a fresh
         * connection always has room for it). */
        uv_buf_t b = uv_buf_init((char *)TOO_MANY_CONNS, sizeof TOO_MANY_CONNS - 1);
        if (!w->srv->ssl_ctx) (void)uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
        conn_close(c);
        return;
    }
    conn_begin(c);
}

void pt_conn_adopt(pt_worker_t *w, int fd)
{
    pt_conn_t *c = conn_new(w);
    if (uv_tcp_open(&c->tcp, fd)) {
        close(fd);
        conn_close(c);
        return;
    }
    conn_begin(c);
}

void pt_conn_sweep(pt_worker_t *w)
{
    uint64_t now = uv_now(&w->loop);
    pt_conn_t *next;
    for (pt_conn_t *c = w->conns; c; c = next) {
        next = c->next;
        if (c->deadline && now >= c->deadline) conn_close(c);
    }
}

/* Bytes from the peer wait in the kernel (a request we have not read). */
static bool has_unread_input(pt_conn_t *c)
{
    uv_os_fd_t fd;
    char b;
    if (uv_fileno((uv_handle_t *)&c->tcp, &fd)) return false;
    return recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
}

void pt_conn_stop_all(pt_worker_t *w)
{
    uint64_t grace = uv_now(&w->loop) + STOP_GRACE_MS;
    w->stop_deadline = grace;
    pt_conn_t *next;
    for (pt_conn_t *c = w->conns; c; c = next) {
        next = c->next;
        switch (c->phase) {
        case PH_BUSY:
            c->close_after = true; /* answered, then closed (response_done) */
            break;
        case PH_LINGER:
            break; /* already closing; bounded by LINGER_MS */
        case PH_READING:
            /* A request is arriving: it gets a short grace to complete (and
             * is then answered with "Connection: close"), not the whole
             * read timeout. */
            if (c->deadline > grace) c->deadline = grace;
            break;
        default:
            /* Idle. A request the client already sent (still in the socket
             * buffer) is answered; otherwise close now. */
            if (has_unread_input(c))
                c->deadline = grace;
            else
                conn_close(c);
            break;
        }
    }
}

/* ---- handler mode (net/http_handler.h) ---- */

/* Builds the exchange's request views (headers, target, method, peer) from
 * what the parser captured; the body is whatever has been kept so far. */
static void handler_prepare(pt_conn_t *c)
{
    pt_http_exchange_t *x = &c->hx;
    /* Header views: name\0value\0 pairs, as the parser callbacks left them. */
    size_t n = 0;
    for (size_t off = 0; off < c->hdrs.len;) {
        const char *name = c->hdrs.data + off;
        size_t nl = strnlen(name, c->hdrs.len - off);
        off += nl + 1;
        if (off >= c->hdrs.len) break; /* cannot happen: pairs are always closed */
        const char *value = c->hdrs.data + off;
        size_t vl = strnlen(value, c->hdrs.len - off);
        off += vl + 1;
        if (n == x->hv_cap) {
            size_t cap = x->hv_cap ? x->hv_cap * 2 : 32;
            pt_http_header_t *hv = realloc(x->hv, cap * sizeof *hv);
            if (!hv) pt_oom();
            x->hv = hv;
            x->hv_cap = cap;
        }
        x->hv[n++] = (pt_http_header_t){name, value, nl, vl};
    }
    pt_buf_putc(&c->url, 0);
    c->url.len--;
    snprintf(x->method, sizeof x->method, "%s", c->parser.method_str);
    /* The peer cannot change during the connection: asked once (a
     * getpeername() per request showed up in the gateway's profile). */
    struct sockaddr_storage ss;
    int sl = sizeof ss;
    if (!x->peer[0] && uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &sl) == 0) {
        if (ss.ss_family == AF_INET6)
            uv_ip6_name((struct sockaddr_in6 *)&ss, x->peer, sizeof x->peer);
        else
            uv_ip4_name((struct sockaddr_in *)&ss, x->peer, sizeof x->peer);
    }
    x->req = (pt_http_request_t){
        .method = x->method,
        .target = c->url.data ? c->url.data : "",
        .target_len = c->url.len,
        .headers = x->hv,
        .nheaders = n,
        .body = c->body.data ? c->body.data : "",
        .body_len = c->body.len,
        .peer_ip = x->peer,
    };
}

static void handler_dispatch(pt_conn_t *c)
{
    pt_http_exchange_t *x = &c->hx;
    handler_prepare(c);
    x->data = NULL;
    c->refs++; /* released by pt_http_exchange_respond */
    c->hx_inflight = true;
    c->hx_in_dispatch = true;
    c->handler->handle(c->handler->ctx, x);
    c->hx_in_dispatch = false;
}

const pt_http_request_t *pt_http_exchange_request(const pt_http_exchange_t *x) { return &x->req; }
uv_loop_t *pt_http_exchange_loop(pt_http_exchange_t *x) { return &x->conn->w->loop; }
unsigned pt_http_exchange_thread(const pt_http_exchange_t *x) { return x->conn->w->index; }
void pt_http_exchange_set_data(pt_http_exchange_t *x, void *data) { x->data = data; }
void *pt_http_exchange_data(const pt_http_exchange_t *x) { return x->data; }

void pt_http_exchange_post(pt_http_exchange_t *x) { pt_worker_post_completion(x->conn->w, x->conn); }

/* v in decimal into out (at least 20 bytes); returns the length. */
static size_t fmt_u64(char *out, unsigned long long v)
{
    char tmp[20];
    size_t n = 0, i = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n) out[i++] = tmp[--n];
    return i;
}

/* "HTTP/1.1 <status> <reason>\r\nDate: ...\r\n" into o, without printf
 * (a handler's reply is on the gateway's hot path). */
static void put_status_date(pt_conn_t *c, pt_buf_t *o, int status)
{
    char num[24];
    pt_buf_reserve(o, 128);
    pt_buf_append(o, "HTTP/1.1 ", 9);
    pt_buf_append(o, num, fmt_u64(num, (unsigned long long)status));
    pt_buf_putc(o, ' ');
    pt_buf_puts(o, pt_http_reason(status));
    pt_buf_append(o, "\r\nDate: ", 8);
    pt_buf_puts(o, pt_http_date(c->w));
    pt_buf_append(o, "\r\n", 2);
}

static void put_content_length(pt_buf_t *o, unsigned long long len)
{
    char num[24];
    pt_buf_append(o, "Content-Length: ", 16);
    pt_buf_append(o, num, fmt_u64(num, len));
    pt_buf_append(o, "\r\n", 2);
}

void pt_http_exchange_respond(pt_http_exchange_t *x, const pt_http_reply_t *r)
{
    pt_conn_t *c = x->conn;
    /* Answered twice, or after begin: a handler bug, never a crash. */
    if (!c->hx_inflight || c->hx_streaming) return;
    c->hx_inflight = false;
    x->data = NULL;
    rx_abandon(c);
    if (!c->closing) {
        int status = r->status >= 100 && r->status <= 999 ? r->status : 500;
        /* 204 and 304 carry neither a body nor a Content-Length (RFC 9110). */
        bool no_body = status == 204 || status == 304;
        pt_buf_t *o = &c->hx_out;
        pt_buf_clear(o);
        pt_buf_reserve(o, 160 + r->headers_len + (no_body || c->head_only ? 0 : r->body_len));
        put_status_date(c, o, status);
        if (!no_body) put_content_length(o, r->body_len);
        if (r->headers_len) pt_buf_append(o, r->headers, r->headers_len);
        if (c->close_after || c->w->stopping)
            pt_buf_puts(o, "Connection: close\r\n");
        else if (c->http10)
            pt_buf_puts(o, "Connection: keep-alive\r\n");
        pt_buf_puts(o, "\r\n");
        if (!no_body && !c->head_only && r->body_len) pt_buf_append(o, r->body, r->body_len);
        c->out[0] = uv_buf_init(o->data, (unsigned)o->len);
        write_out(c, 1);
        if (c->hx_out.cap > BUF_KEEP_MAX && !c->busy) pt_buf_free(&c->hx_out);
    }
    if (c->hx_in_dispatch) {
        c->refs--; /* cannot reach 0: the open handle holds one */
        return;    /* consume() goes on with pipelined requests */
    }
    if (!c->closing && !c->busy) drain_pending(c);
    conn_unref(c); /* may free c */
}

/* ---- streamed responses (net/http_handler.h) ---- */

/* Bytes accepted but not yet handed to the kernel. TLS flushes go through
 * the same stream, so this covers both listeners. */
static size_t stream_queued(const pt_conn_t *c) { return c->tcp.write_queue_size; }

typedef struct stream_write {
    uv_write_t req;
    pt_conn_t *conn;
    char data[];
} stream_write_t;

static void on_stream_write(uv_write_t *req, int status)
{
    stream_write_t *sw = (stream_write_t *)req;
    pt_conn_t *c = sw->conn;
    free(sw);
    if (status < 0) { /* includes UV_ECANCELED from conn_close */
        conn_close(c);
        return;
    }
    stream_progress(c);
}

/* Writes bufs in order: what the socket does not take at once is copied
 * and queued. Returns -1 (and closes) on a write error. */
static int stream_send(pt_conn_t *c, const uv_buf_t *bufs, unsigned nbufs)
{
    if (c->closing) return -1;
    if (c->ssl) {
        for (unsigned i = 0; i < nbufs; i++)
            if (bufs[i].len && SSL_write(c->ssl, bufs[i].base, (int)bufs[i].len) <= 0) {
                conn_close(c);
                return -1;
            }
        if (tls_flush(c, false)) return -1;
    } else {
        size_t total = 0;
        for (unsigned i = 0; i < nbufs; i++) total += bufs[i].len;
        int n = uv_try_write((uv_stream_t *)&c->tcp, bufs, nbufs);
        if (n == UV_EAGAIN) n = 0;
        if (n < 0) {
            conn_close(c);
            return -1;
        }
        if ((size_t)n < total) {
            stream_write_t *sw = malloc(sizeof *sw + (total - (size_t)n));
            if (!sw) pt_oom();
            size_t skip = (size_t)n, len = 0;
            for (unsigned i = 0; i < nbufs; i++) {
                size_t bl = bufs[i].len;
                if (skip >= bl) {
                    skip -= bl;
                    continue;
                }
                memcpy(sw->data + len, bufs[i].base + skip, bl - skip);
                len += bl - skip;
                skip = 0;
            }
            sw->conn = c;
            uv_buf_t b = uv_buf_init(sw->data, (unsigned)len);
            if (uv_write(&sw->req, (uv_stream_t *)&c->tcp, &b, 1, on_stream_write)) {
                free(sw);
                conn_close(c);
                return -1;
            }
        }
    }
    /* A client that stops reading must not hold the connection forever. */
    if (stream_queued(c)) c->deadline = now_ms(c) + opts_of(c)->idle_timeout_ms;
    return 0;
}

/* The streamed response is written (or abandoned): the exchange's
 * reference goes, and the connection continues as after any response. */
static void stream_finished(pt_conn_t *c)
{
    c->hx_streaming = c->hx_ending = false;
    c->hx_drain = NULL;
    if (!c->closing) response_done(c);
    if (c->hx_in_dispatch) {
        c->refs--; /* cannot reach 0: the open handle holds one */
        return;
    }
    if (!c->closing && !c->busy) drain_pending(c);
    conn_unref(c); /* may free c */
}

/* Some queued bytes were written. */
static void stream_progress(pt_conn_t *c)
{
    if (c->closing || !c->hx_streaming) return;
    size_t q = stream_queued(c);
    /* Waiting for the producer has no deadline here (it has its own);
     * waiting for the client does. */
    c->deadline = q ? now_ms(c) + opts_of(c)->idle_timeout_ms : 0;
    if (c->hx_ending) {
        if (q == 0) stream_finished(c);
        return;
    }
    if (c->hx_want_drain && q <= PT_HTTP_STREAM_LOW) {
        c->hx_want_drain = false;
        if (c->hx_drain) c->hx_drain(&c->hx, c->hx_drain_arg, 0);
    }
}

void pt_http_exchange_begin(pt_http_exchange_t *x, int status, const char *headers,
                            size_t headers_len, long long content_length, pt_http_drain_fn drain,
                            void *arg)
{
    pt_conn_t *c = x->conn;
    if (!c->hx_inflight || c->hx_streaming) return;
    c->hx_streaming = true;
    c->hx_ending = c->hx_want_drain = false;
    c->hx_drain = drain;
    c->hx_drain_arg = arg;
    if (status < 100 || status > 999) status = 500;
    bool no_body = status == 204 || status == 304;
    c->hx_discard = no_body || c->head_only;
    c->hx_chunked = false;
    c->hx_remaining = c->hx_discard ? 0 : content_length;
    if (c->closing) return; /* writes will say -1 */
    pt_buf_t *o = &c->hx_out;
    pt_buf_clear(o);
    put_status_date(c, o, status);
    if (!no_body) {
        if (content_length >= 0) {
            put_content_length(o, (unsigned long long)content_length);
        } else if (!c->http10) {
            if (!c->head_only) c->hx_chunked = true;
            pt_buf_puts(o, "Transfer-Encoding: chunked\r\n");
        } else if (!c->head_only) {
            c->close_after = true; /* HTTP/1.0: the close ends the body */
        }
    }
    if (headers_len) pt_buf_append(o, headers, headers_len);
    if (c->close_after || c->w->stopping)
        pt_buf_puts(o, "Connection: close\r\n");
    else if (c->http10)
        pt_buf_puts(o, "Connection: keep-alive\r\n");
    pt_buf_puts(o, "\r\n");
    uv_buf_t b = uv_buf_init(o->data, (unsigned)o->len);
    (void)stream_send(c, &b, 1);
}

int pt_http_exchange_write(pt_http_exchange_t *x, const char *data, size_t len)
{
    pt_conn_t *c = x->conn;
    if (!c->hx_streaming || c->hx_ending || c->closing) return -1;
    if (!len || c->hx_discard) return 0;
    if (c->hx_remaining >= 0) {
        if ((unsigned long long)len > (unsigned long long)c->hx_remaining) {
            conn_close(c); /* more than announced: the framing would break */
            return -1;
        }
        c->hx_remaining -= (long long)len;
    }
    char pre[24];
    uv_buf_t b[3];
    unsigned n = 0;
    if (c->hx_chunked) b[n++] = uv_buf_init(pre, (unsigned)snprintf(pre, sizeof pre, "%zx\r\n", len));
    b[n++] = uv_buf_init((char *)data, (unsigned)len);
    if (c->hx_chunked) b[n++] = uv_buf_init((char *)"\r\n", 2);
    if (stream_send(c, b, n)) return -1;
    if (stream_queued(c) > PT_HTTP_STREAM_HIGH) {
        c->hx_want_drain = true;
        return 1;
    }
    return 0;
}

void pt_http_exchange_end(pt_http_exchange_t *x, int complete)
{
    pt_conn_t *c = x->conn;
    if (!c->hx_inflight || !c->hx_streaming || c->hx_ending) return;
    c->hx_inflight = false;
    x->data = NULL;
    c->hx_drain = NULL;
    rx_abandon(c);
    if (complete && c->hx_remaining > 0) complete = 0; /* shorter than announced */
    if (!c->closing && c->hx_chunked && complete) {
        uv_buf_t b = uv_buf_init((char *)"0\r\n\r\n", 5);
        (void)stream_send(c, &b, 1);
    }
    if (!complete && !c->closing) conn_close(c);
    c->hx_ending = true;
    if (c->closing || stream_queued(c) == 0) stream_finished(c);
}

/* ---- streamed request bodies (net/http_handler.h) ---- */

/* The body will not be read to its end (answered first, or the handler
 * said stop): the connection closes after the response, since where the
 * next request would start is unknown. */
static void rx_abandon(pt_conn_t *c)
{
    if (c->rx == RX_WAIT || c->rx == RX_ACTIVE) {
        c->rx = RX_ABANDONED;
        c->close_after = true;
    }
    c->rx_fn = NULL;
}

/* Parses streamed body bytes, handing them to the handler (on_body).
 * Returns the bytes consumed: fewer than n when the message ended (the
 * rest belongs to the next request). */
static size_t rx_feed(pt_conn_t *c, const char *data, size_t n)
{
    /* The handler may respond from its callback: like inside handle(),
     * the response must not start parsing the next request under us. */
    bool saved = c->hx_in_dispatch;
    c->hx_in_dispatch = true;
    size_t used = pt_hp_execute(&c->parser, &parser_settings, data, n);
    c->hx_in_dispatch = saved;
    if (c->closing) return n;
    enum pt_hp_error e = c->parser.error;
    if (e == PT_HP_PAUSED) {
        pt_hp_pause(&c->parser, false);
    } else if (e != PT_HP_OK) {
        conn_close(c); /* malformed framing: on_close aborts the body */
        return n;
    }
    if (c->rx_msg_done && c->rx == RX_ACTIVE) {
        pt_http_body_fn fn = c->rx_fn;
        c->rx = RX_DONE;
        c->rx_fn = NULL;
        c->deadline = 0;
        c->hx_in_dispatch = true;
        if (fn) fn(&c->hx, c->rx_arg, NULL, 0, PT_HTTP_BODY_END);
        c->hx_in_dispatch = saved;
    }
    return used;
}

/* After body bytes were parsed: reading, deadline, and the connection's
 * next step if the exchange was answered meanwhile. */
static void rx_after(pt_conn_t *c)
{
    if (c->closing) return;
    if (c->rx == RX_ACTIVE) {
        if (c->rx_paused) {
            stop_reading(c);
            c->deadline = 0; /* waiting for the handler's upstream */
        } else if (c->eof) {
            conn_close(c); /* the body can no longer complete */
            return;
        } else {
            c->deadline = now_ms(c) + opts_of(c)->read_timeout_ms; /* inactivity */
            if (c->pending.len - c->pending_off < PENDING_HIGH) start_reading(c);
        }
    }
    if (!c->hx_inflight && !c->busy && !c->hx_in_dispatch && c->phase != PH_LINGER) {
        drain_pending(c); /* answered and written: the next request */
        return;
    }
    if (c->pending.len - c->pending_off >= PENDING_HIGH) stop_reading(c);
    budget_update(c);
}

/* Parses what waits in `pending` while the body is being delivered. */
static void rx_drain(pt_conn_t *c)
{
    while (c->rx == RX_ACTIVE && !c->rx_paused && !c->closing && c->pending.len > c->pending_off) {
        size_t avail = c->pending.len - c->pending_off;
        size_t used = rx_feed(c, c->pending.data + c->pending_off, avail);
        if (c->closing) return;
        c->pending_off += used;
        if (used < avail) break; /* the message ended */
    }
    if (c->pending_off == c->pending.len) {
        c->pending_off = 0;
        if (c->pending.cap > BUF_KEEP_MAX)
            pt_buf_free(&c->pending);
        else
            pt_buf_clear(&c->pending);
    }
    rx_after(c);
}

int pt_http_exchange_body_streamed(const pt_http_exchange_t *x) { return x->conn->rx != RX_NONE; }

long long pt_http_exchange_body_length(const pt_http_exchange_t *x)
{
    /* Set from headers-complete (stream_body sees it), reset when the body
     * is received whole. */
    return x->conn->rx_length;
}

int pt_http_exchange_body_start(pt_http_exchange_t *x, pt_http_body_fn fn, void *arg)
{
    pt_conn_t *c = x->conn;
    if (c->rx != RX_WAIT || !c->hx_inflight) return -1;
    if (c->closing) {
        c->rx = RX_ABANDONED;
        return -1;
    }
    c->rx = RX_ACTIVE;
    c->rx_fn = fn;
    c->rx_arg = arg;
    c->rx_paused = false;
    rx_drain(c);
    return 0;
}

void pt_http_exchange_body_resume(pt_http_exchange_t *x)
{
    pt_conn_t *c = x->conn;
    if (c->rx != RX_ACTIVE || !c->rx_paused || c->closing) return;
    c->rx_paused = false;
    rx_drain(c);
}
