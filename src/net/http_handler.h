/* A pluggable request handler for the HTTP server: what lets the API
 * gateway (src/gateway) be served by the same event loops and HTTP/1.1
 * connection code as the DynamoDB endpoint, on its own listening address.
 *
 * A server started with pt_http_options_t.handler != NULL hands every
 * complete request to handler->handle instead of the DynamoDB dispatcher.
 * The request is an exchange: method, target (path + query), every header,
 * body and peer address, valid until the exchange is answered. The handler
 * answers with pt_http_exchange_respond, at once or later:
 *
 *   - respond must be called on the exchange's loop thread, exactly once;
 *   - work finishing on another thread (the engine's writer) calls
 *     pt_http_exchange_post, which makes the loop call handler->resume
 *     with the exchange; resume then responds (or posts again later);
 *   - a connection closed by the peer meanwhile stays allocated until the
 *     handler responds (the response is then dropped), so the handler never
 *     sees a dangling exchange.
 *
 * The server writes the status line, Date, Content-Length and Connection
 * headers; the handler supplies every other header line. A response can
 * also be streamed (pt_http_exchange_begin/write/end below). HTTP-level
 * failures (malformed request, header/body limits, timeouts) are answered
 * by the connection code before any handler runs, exactly as on the
 * DynamoDB listener. */
#ifndef PT_HTTP_HANDLER_H
#define PT_HTTP_HANDLER_H

#include <stddef.h>
#include <uv.h>

typedef struct pt_http_exchange pt_http_exchange_t;

typedef struct pt_http_header {
    const char *name;   /* as received (case preserved), NUL-terminated */
    const char *value;  /* NUL-terminated; leading/trailing blanks kept */
    size_t name_len, value_len;
} pt_http_header_t;

typedef struct pt_http_request {
    const char *method;       /* "GET", "POST", ... */
    const char *target;       /* request-target as received: "/a/b?x=1" */
    size_t target_len;
    const pt_http_header_t *headers;
    size_t nheaders;
    const char *body;         /* never NULL ("" when empty) */
    size_t body_len;
    const char *peer_ip;      /* "127.0.0.1", "::1" */
} pt_http_request_t;

typedef struct pt_http_reply {
    int status;
    const char *headers;      /* extra header lines, each "Name: value\r\n" */
    size_t headers_len;
    const char *body;
    size_t body_len;
} pt_http_reply_t;

typedef struct pt_http_handler {
    void *ctx;
    /* Called on a loop thread for each request. */
    void (*handle)(void *ctx, pt_http_exchange_t *x);
    /* Called on the exchange's loop thread after pt_http_exchange_post. */
    void (*resume)(void *ctx, pt_http_exchange_t *x);
    /* Optional (NULL: every body is received whole before handle). Called
     * on the loop thread when the head of a request with a body
     * (Content-Length > 0, or chunked) has arrived, before any body byte
     * is read. The exchange's request is complete except its body (empty);
     * pt_http_exchange_body_length says what was announced. Returning 1
     * streams this body: handle() is called at once and the body is read
     * through pt_http_exchange_body_start (below); the listener's body
     * limit (PT_HTTP_MAX_BODY_BYTES) and buffer budget then do not apply,
     * the handler bounds the body itself. Returning 0 keeps the usual
     * path. Must not respond. */
    int (*stream_body)(void *ctx, pt_http_exchange_t *x);
} pt_http_handler_t;

const pt_http_request_t *pt_http_exchange_request(const pt_http_exchange_t *x);
/* The libuv loop the exchange lives on (for timers, upstream sockets). */
uv_loop_t *pt_http_exchange_loop(pt_http_exchange_t *x);
/* Index of the loop thread (0..threads-1): for per-thread state. */
unsigned pt_http_exchange_thread(const pt_http_exchange_t *x);
/* A slot for the handler's per-request state. */
void pt_http_exchange_set_data(pt_http_exchange_t *x, void *data);
void *pt_http_exchange_data(const pt_http_exchange_t *x);
/* Copies the reply (headers and body) and sends it; loop thread only. */
void pt_http_exchange_respond(pt_http_exchange_t *x, const pt_http_reply_t *r);
/* Thread-safe: schedules handler->resume(x) on the exchange's loop. */
void pt_http_exchange_post(pt_http_exchange_t *x);

/* ---- streamed responses (loop thread only) ----
 * For a body produced piece by piece (the gateway proxying an upstream):
 * begin sends the status line and headers, write queues body bytes, end
 * finishes; pt_http_exchange_respond is not used for such an exchange.
 * Memory stays bounded by backpressure: write returns 1 once more than
 * PT_HTTP_STREAM_HIGH bytes wait for the client, and the handler then stops
 * producing until drain(x, arg, false) says the queue fell to
 * PT_HTTP_STREAM_LOW. A client that stops reading is dropped after the
 * idle timeout like any stalled response. If the connection closes before
 * end (client gone, stalled, reset), drain(x, arg, true) is called once
 * from a loop callback; writes then return -1 and the handler must still
 * call end (at once or later) to release the exchange. */
#define PT_HTTP_STREAM_HIGH (256u * 1024u)
#define PT_HTTP_STREAM_LOW (64u * 1024u)

typedef void (*pt_http_drain_fn)(pt_http_exchange_t *x, void *arg, int gone);

/* Sends the head. content_length >= 0: exactly that many body bytes follow;
 * < 0: unknown, sent chunked to HTTP/1.1 clients and delimited by closing
 * the connection for HTTP/1.0 ones. The server adds Date, Content-Length or
 * Transfer-Encoding, and Connection; `headers` are the other lines. HEAD
 * requests and 204/304 get no body (writes are then discarded). drain may
 * be NULL. */
void pt_http_exchange_begin(pt_http_exchange_t *x, int status, const char *headers,
                            size_t headers_len, long long content_length, pt_http_drain_fn drain,
                            void *arg);
/* Queues `len` body bytes (copied only if the socket does not take them at
 * once). Returns 0 (go on), 1 (pause until drain) or -1 (connection gone). */
int pt_http_exchange_write(pt_http_exchange_t *x, const char *data, size_t len);
/* Ends the response and releases the exchange. complete=false (the source
 * failed midway), or a Content-Length not matched by the bytes written,
 * closes the connection so the client sees a truncated response rather
 * than a complete-looking one. */
void pt_http_exchange_end(pt_http_exchange_t *x, int complete);

/* ---- streamed request bodies (loop thread only) ----
 * For an exchange whose body is streamed (handler->stream_body said 1):
 * nothing of the body is read until pt_http_exchange_body_start; then each
 * piece goes to fn(DATA) as it is parsed (chunked framing removed), then
 * fn(END) once. fn(DATA) returns 0 (go on), 1 (pause: reading from the
 * client stops, after the rest of the current read has been delivered,
 * until pt_http_exchange_body_resume) or -1 (stop: the rest of the body is
 * never read). fn(ABORT) is called once, instead of END, when the client
 * connection closes (or the body's framing is malformed, or it stalls past
 * the read timeout) before the body's end; the handler must still respond
 * or end (the reply is then dropped). Responding (respond or end) before
 * END stops the delivery too; the connection is then closed after the
 * response, since the unread rest of the body cannot be skipped safely.
 * fn may respond from inside the callback. */
enum { PT_HTTP_BODY_ABORT = -1, PT_HTTP_BODY_DATA = 0, PT_HTTP_BODY_END = 1 };
typedef int (*pt_http_body_fn)(pt_http_exchange_t *x, void *arg, const char *data, size_t len,
                               int event);
/* Whether the exchange's body is streamed (its req->body is then empty). */
int pt_http_exchange_body_streamed(const pt_http_exchange_t *x);
/* The announced length of a streamed body: bytes, or -1 when chunked.
 * 0 for a body received whole. */
long long pt_http_exchange_body_length(const pt_http_exchange_t *x);
/* Starts delivering the streamed body to fn (possibly at once, from
 * inside this call). Returns 0, or -1 when there is nothing to deliver: the
 * body is not streamed, already started, or the connection is gone. */
int pt_http_exchange_body_start(pt_http_exchange_t *x, pt_http_body_fn fn, void *arg);
/* Reading goes on after fn(DATA) returned 1 (possibly delivering at once). */
void pt_http_exchange_body_resume(pt_http_exchange_t *x);

#endif
