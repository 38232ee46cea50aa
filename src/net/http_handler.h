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
 * headers; the handler supplies every other header line. HTTP-level
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

#endif
