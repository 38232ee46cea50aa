/* The gateway's HTTP upstream client (integration type `http`), on the
 * calling loop: one request per call, keep-alive connections pooled per
 * loop thread and per host:port, a deadline covering connect + response.
 *
 * Results: the upstream's status, headers (hop-by-hop ones removed) and
 * body; or status 504 when the deadline passed and 502 when the upstream
 * could not be reached or answered something that is not HTTP/1.x (or a
 * body over GW_HTTP_MAX_BODY); gw_http_call_failed tells those from a 502
 * or 504 the upstream answered itself. A pooled connection the upstream
 * closed meanwhile is retried once on a fresh one.
 *
 * Two modes. gw_http_call_start buffers the response (up to
 * GW_HTTP_MAX_BODY; used for JWKS and custom-authorizer calls).
 * gw_http_call_stream hands the response over as it arrives: head() once,
 * then body() per piece, with backpressure (body() returning 1 stops
 * reading from the upstream until gw_http_call_resume), and no size limit.
 * Except a small one: a response whose body length is known and at most
 * GW_HTTP_STREAM_BUFFER (a response to HEAD, 204, 304 included) is
 * collected and handed over whole in done(), as gw_http_call_start does,
 * without head() or body(), so that the caller can answer it with one
 * write (and a failure half-way through it is still a clean 502/504).
 * In stream mode the deadline covers connect + the response head; after
 * the head it becomes an inactivity timeout (no byte from the upstream for
 * timeout_ms while not paused). The request body is sent from the caller's
 * buffer, which must stay valid until done() (it is, for an exchange), or
 * streamed by the caller (gw_http_call_upload). */
#ifndef PT_GW_HTTP_H
#define PT_GW_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "net/http_handler.h"

#define GW_HTTP_MAX_BODY (10u * 1024u * 1024u)
/* Stream mode: bodies up to this size are buffered (see above). */
#define GW_HTTP_STREAM_BUFFER (16u * 1024u)

typedef struct gw_http_call gw_http_call_t;
typedef void (*gw_http_done_fn)(gw_http_call_t *call, void *userdata);

/* Starts forwarding `req` (method, headers, body) to `url` ("http://host:port/path?q").
 * done() runs later on the same loop, never inside this function. Returns
 * PT_OK, or PT_ERR when the URL is unusable (nothing started). */
int gw_http_call_start(uv_loop_t *loop, unsigned thread, const char *url,
                       const pt_http_request_t *req, const char *request_id, uint64_t timeout_ms,
                       gw_http_done_fn done, void *userdata, gw_http_call_t **out);
typedef struct gw_http_stream_ops {
    /* The response head: status, headers ("Name: value\r\n", hop-by-hop ones
     * removed), and the body length or -1 when unknown (chunked or
     * close-delimited). */
    void (*head)(gw_http_call_t *call, void *userdata, int status, const char *headers,
                 size_t headers_len, long long content_length);
    /* A piece of the body. Returns 0 to go on, 1 to pause reading until
     * gw_http_call_resume, -1 to abandon the call (done() then follows). */
    int (*body)(gw_http_call_t *call, void *userdata, const char *data, size_t len);
} gw_http_stream_ops_t;

/* Like gw_http_call_start, streaming the response through `ops`. done()
 * still ends every call. When head() was not called, the result is in
 * gw_http_call_result (a buffered small response, or 502/504 when the call
 * failed: gw_http_call_failed); after head(), gw_http_call_complete says
 * whether the whole body arrived. */
int gw_http_call_stream(uv_loop_t *loop, unsigned thread, const char *url,
                        const pt_http_request_t *req, const char *request_id, uint64_t timeout_ms,
                        const gw_http_stream_ops_t *ops, gw_http_done_fn done, void *userdata,
                        gw_http_call_t **out);
/* Like gw_http_call_stream, with the request body streamed too ("upload"):
 * req->body is ignored; the head announces `body_len` bytes (Content-Length)
 * or, when body_len < 0, Transfer-Encoding: chunked. The call always uses a
 * fresh connection (the stale-pooled-connection retry cannot re-send a
 * body it no longer has; the connection joins the pool afterwards). Once
 * the head is written, ready() is called: the caller then sends the body
 * with gw_http_call_send and ends it with gw_http_call_send_end. ready()
 * is called again after a send returned 1, once the bytes waiting for the
 * upstream fell to GW_HTTP_SEND_LOW. ready() is the last thing its libuv
 * callback does, so it may free the call. While the body is being sent,
 * the deadline is an inactivity timeout on the upstream (bytes waiting for
 * it and none taken for timeout_ms); with nothing waiting (a slow client)
 * no deadline runs. After send_end it covers the response head again. */
#define GW_HTTP_SEND_HIGH (256u * 1024u)
#define GW_HTTP_SEND_LOW (64u * 1024u)
typedef void (*gw_http_ready_fn)(gw_http_call_t *call, void *userdata);
int gw_http_call_upload(uv_loop_t *loop, unsigned thread, const char *url,
                        const pt_http_request_t *req, const char *request_id, uint64_t timeout_ms,
                        long long body_len, const gw_http_stream_ops_t *ops, gw_http_ready_fn ready,
                        gw_http_done_fn done, void *userdata, gw_http_call_t **out);
/* Upload: queues body bytes (chunk-framed when chunked). Returns 0 (go on),
 * 1 (wait for ready()) or -1 (the upstream connection failed or the call
 * finished: stop sending; done() follows or has run). */
int gw_http_call_send(gw_http_call_t *c, const char *data, size_t len);
/* Upload: the body is complete (writes the last chunk when chunked). */
void gw_http_call_send_end(gw_http_call_t *c);
/* Stream mode: reading from the upstream goes on after body() returned 1. */
void gw_http_call_resume(gw_http_call_t *c);
/* Stream mode: head() was called and the body arrived whole. */
int gw_http_call_complete(const gw_http_call_t *c);
/* In and after done(): the call failed (no usable response: the result's
 * status is the gateway's 502 or 504, not the upstream's). */
int gw_http_call_failed(const gw_http_call_t *c);
/* Valid in and after done() until free. `headers` are "Name: value\r\n" lines. */
void gw_http_call_result(const gw_http_call_t *c, int *status, const char **headers,
                         size_t *headers_len, const char **body, size_t *body_len);
/* After done() (or never started): releases the call. */
void gw_http_call_free(gw_http_call_t *c);

#endif
