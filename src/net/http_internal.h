/* Internals shared by the files of the HTTP server (src/net/http_*.c):
 * the per-thread worker (one libuv loop) and the connection hooks it calls.
 * Nothing here is used outside src/net. */
#ifndef PT_HTTP_INTERNAL_H
#define PT_HTTP_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <openssl/ssl.h>
#include <uv.h>

#include "net/http_server.h"

typedef struct pt_conn pt_conn_t;
typedef struct pt_worker pt_worker_t;

/* Size of the per-loop read buffer. Every read lands here first, so an idle
 * or slow connection holds no read buffer of its own. */
#define PT_HTTP_READ_BUF 65536

/* Length of an x-amzn-RequestId (as AWS: 52 characters of [A-Z0-9]). */
#define PT_HTTP_REQUEST_ID_LEN 52

struct pt_worker {
    pt_http_server_t *srv;
    unsigned index;
    uv_loop_t loop;
    uv_tcp_t listener;
    uv_async_t wake;          /* completions from the writer thread; stop */
    uv_timer_t sweep;         /* periodic timeout check over all connections */
    pthread_t thread;
    bool thread_started;

    /* Guarded by mu: the completion queue, and whether `wake` may still be
     * signalled. uv_async_send happens under mu so that the loop can close
     * `wake` without racing a late sender. */
    pthread_mutex_t mu;
    pt_conn_t *done_head, *done_tail;
    bool wake_closed;

    atomic_bool stop_requested;   /* set by pt_http_server_stop */
    atomic_bool finished;         /* the loop thread has returned */

    /* Loop-thread state. */
    bool stopping;
    uint64_t stop_deadline;       /* uv_now() by which a request arriving
                                     during the stop must be complete */
    bool handles_closed;
    pt_conn_t *conns;             /* open connections (doubly linked) */
    unsigned nconns;              /* open connections */
    unsigned live;                /* allocated connections (open or awaiting
                                     their in-flight call) */
    uint64_t rng[2];              /* request-id generator state */
    time_t date_sec;
    char date[32];                /* cached IMF-fixdate for date_sec */
    char readbuf[PT_HTTP_READ_BUF];
};

struct pt_http_server {
    pt_engine_t *engine;
    pt_http_options_t opts;
    unsigned nworkers;
    pt_worker_t **workers;
    bool stop_sent;
    pthread_mutex_t stop_mu;
    /* Shared by every loop: open connections (for the global cap) and
     * bytes of request buffers (for the buffer budget). */
    atomic_uint open_conns;
    atomic_size_t buffered;
    SSL_CTX *ssl_ctx;         /* NULL: plaintext listener */
    char address[80];
};

/* ---- http_conn.c: hooks the worker calls on its loop thread ---- */
void pt_conn_on_connection(uv_stream_t *listener, int status);
/* Takes over an accepted socket (used to drain the backlog at shutdown). */
void pt_conn_adopt(pt_worker_t *w, int fd);
/* Delivers a completion queued from another thread. */
void pt_conn_completed(pt_conn_t *c);
/* Closes connections whose deadline (uv_now based) has passed. */
void pt_conn_sweep(pt_worker_t *w);
/* Graceful stop of every connection of the worker (see http_server.h). */
void pt_conn_stop_all(pt_worker_t *w);
/* Link used by the worker's completion queue. */
pt_conn_t **pt_conn_done_link(pt_conn_t *c);

/* ---- http_server.c: services for connections ---- */
/* Queues `c` for pt_conn_completed on its loop; callable from any thread. */
void pt_worker_post_completion(pt_worker_t *w, pt_conn_t *c);
/* A connection was freed: the worker may finish if it is stopping. */
void pt_worker_conn_freed(pt_worker_t *w);
/* The worker whose loop runs on the calling thread, or NULL. */
pt_worker_t *pt_worker_current(void);

/* ---- http_response.c ---- */
/* Writes a fresh request id (52 chars, no NUL). */
void pt_http_request_id(pt_worker_t *w, char out[PT_HTTP_REQUEST_ID_LEN]);
/* The current time as an IMF-fixdate, cached per second. */
const char *pt_http_date(pt_worker_t *w);
/* Reason phrase for a status code ("OK", "Bad Request", ...). */
const char *pt_http_reason(int status);

typedef struct pt_http_head {
    int status;
    const char *content_type;
    size_t content_length;
    uint32_t crc32;
    bool close;              /* add "Connection: close" */
    bool keep_alive_10;      /* HTTP/1.0 keep-alive: add "Connection: keep-alive" */
} pt_http_head_t;

/* Formats the status line and headers (with request id, crc, date) into
 * out, which must hold at least PT_HTTP_HEAD_MAX bytes. Returns the length. */
#define PT_HTTP_HEAD_MAX 512
size_t pt_http_format_head(pt_worker_t *w, const pt_http_head_t *h, char *out);

#endif
