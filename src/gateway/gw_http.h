/* The gateway's HTTP upstream client (integration type `http`), on the
 * calling loop: one request per call, keep-alive connections pooled per
 * loop thread and per host:port, a deadline covering connect + response.
 *
 * Results: the upstream's status, headers (hop-by-hop ones removed) and
 * body; or status 504 when the deadline passed and 502 when the upstream
 * could not be reached or answered something that is not HTTP/1.x (or a
 * body over GW_HTTP_MAX_BODY). A pooled connection the upstream closed
 * meanwhile is retried once on a fresh one. Bodies are buffered, not
 * streamed. */
#ifndef PT_GW_HTTP_H
#define PT_GW_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "net/http_handler.h"

#define GW_HTTP_MAX_BODY (10u * 1024u * 1024u)

typedef struct gw_http_call gw_http_call_t;
typedef void (*gw_http_done_fn)(gw_http_call_t *call, void *userdata);

/* Starts forwarding `req` (method, headers, body) to `url` ("http://host:port/path?q").
 * done() runs later on the same loop, never inside this function. Returns
 * PT_OK, or PT_ERR when the URL is unusable (nothing started). */
int gw_http_call_start(uv_loop_t *loop, unsigned thread, const char *url,
                       const pt_http_request_t *req, const char *request_id, uint64_t timeout_ms,
                       gw_http_done_fn done, void *userdata, gw_http_call_t **out);
/* Valid in and after done() until free. `headers` are "Name: value\r\n" lines. */
void gw_http_call_result(const gw_http_call_t *c, int *status, const char **headers,
                         size_t *headers_len, const char **body, size_t *body_len);
/* After done() (or never started): releases the call. */
void gw_http_call_free(gw_http_call_t *c);

#endif
