/* The HTTP/1.1 front end of the `portico` server.
 *
 * N threads, each running its own libuv loop that accepts on its own
 * listening socket bound to the same address with SO_REUSEPORT (the kernel
 * spreads new connections across them; no accept lock, no hand-off). Every
 * connection lives its whole life on the loop that accepted it.
 *
 * Routing (DynamoDB's wire protocol; see http_conn.c for the exact rules):
 *   GET / HEAD, any path        -> 200 "healthy: portico" (a health check)
 *   POST with X-Amz-Target: DynamoDB_20120810.<Op>
 *                               -> pt_call_start(engine, Op, body)
 *   anything else               -> the error DynamoDB gives (as dynalite
 *                                  mimics it)
 *
 * The server owns no engine: the caller opens it before start and closes it
 * after destroy. */
#ifndef PT_HTTP_SERVER_H
#define PT_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "portico/portico.h"

/* Request line + headers larger than this are answered with 431 and the
 * connection is closed. */
#define PT_HTTP_MAX_HEADER_BYTES (64u * 1024u)
/* DynamoDB's request size cap; larger bodies get 413 and a close. */
#define PT_HTTP_MAX_BODY_BYTES (16u * 1024u * 1024u)

#define PT_HTTP_DEFAULT_IDLE_TIMEOUT_MS 60000u
#define PT_HTTP_DEFAULT_READ_TIMEOUT_MS 30000u
/* Server-wide cap on open connections; further ones get a 503 and are
 * closed at once. */
#define PT_HTTP_DEFAULT_MAX_CONNECTIONS 16384u
/* Server-wide cap on bytes held in request buffers (bodies, pipelined
 * input, captured headers); requests that would pass it get 503. */
#define PT_HTTP_DEFAULT_MAX_BUFFER_BYTES (1024u * 1024u * 1024u)
/* More header lines than this in one request: 431. */
#define PT_HTTP_MAX_HEADERS 256u

typedef struct pt_http_server pt_http_server_t;

typedef struct pt_http_options {
    const char *host;          /* numeric address or name ("::1", "localhost") */
    unsigned port;             /* 0 = an ephemeral port, the same on every thread */
    unsigned threads;          /* event loops; >= 1 */
    uint64_t idle_timeout_ms;  /* keep-alive connection with no request; 0 = default */
    uint64_t read_timeout_ms;  /* a request must arrive whole within this time
                                  of its first byte (slowloris); 0 = default */
    unsigned max_connections;  /* server-wide; further ones get 503 and are
                                  closed at once; 0 = default */
    size_t max_buffer_bytes;   /* server-wide request-buffer budget; 0 = default */
    /* NULL or not required: no authentication. Otherwise every DynamoDB
     * call is verified (SigV4 + access policy, src/auth/auth.h) before the
     * engine sees it. Must outlive the server. */
    struct pt_auth *auth;
    /* TLS: PEM certificate chain and private key files; both NULL for
     * plaintext. TLS 1.2 and 1.3 only. */
    const char *tls_cert;
    const char *tls_key;
    /* NULL: the DynamoDB protocol. Otherwise every request goes to this
     * handler (net/http_handler.h; the API gateway's listener). Must
     * outlive the server. */
    const struct pt_http_handler *handler;
} pt_http_options_t;

/* Binds the listening sockets and starts the loop threads. On success the
 * server accepts connections when this returns and *out is set. Returns
 * PT_OK, or PT_ERR with a message in errbuf (address in use, bad host, ...).
 *
 * Call it with SIGINT/SIGTERM blocked if the caller wants to receive them on
 * its own thread: the loop threads inherit the caller's signal mask. */
int pt_http_server_start(const pt_http_options_t *opts, pt_engine_t *engine,
                         pt_http_server_t **out, char *errbuf, size_t errlen);

/* The bound address as "127.0.0.1:8000" or "[::1]:8000" (actual port when
 * the options asked for port 0). Valid until destroy. */
const char *pt_http_server_address(const pt_http_server_t *srv);

/* Begins a graceful shutdown: stop accepting, close idle connections,
 * finish in-flight requests (and requests already received; a request
 * half-way in gets 2 s to complete) and write their responses (with
 * "Connection: close"), then let the loops end. Thread-safe and idempotent;
 * returns at once (not async-signal-safe: call it from a normal thread). */
void pt_http_server_stop(pt_http_server_t *srv);

/* True once every loop thread has finished (only after stop). */
bool pt_http_server_finished(pt_http_server_t *srv);

/* Stops (if not yet), joins the loop threads and frees everything. */
void pt_http_server_destroy(pt_http_server_t *srv);

#endif
