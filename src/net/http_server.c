/* The server's threads: N workers, each a libuv loop with its own listening
 * socket, and the machinery around them (completion queue, stop, timeouts).
 *
 * Listening: each worker gets its own socket bound to the same address with
 * SO_REUSEPORT (libuv 1.44 has no flag for it, so the sockets are made here
 * and handed to uv_tcp_open). Before that a probe socket without
 * SO_REUSEPORT is bound, so that a port already held by another process is
 * reported as "address in use" instead of silently shared with it.
 *
 * Completions: the engine answers writes on its writer thread. done() then
 * appends the connection to its worker's mutex-protected queue and wakes
 * the loop with uv_async_send, made under the same mutex so that the loop
 * can close the async handle at shutdown without racing a late sender (the
 * loop closes it only when no call is in flight, i.e. no sender remains).
 *
 * Stop: pt_http_server_stop sets a flag and wakes every loop; each loop
 * takes over its listener's backlog, closes the listener, lets connections
 * finish (http_conn.c: requests in flight or already received are answered
 * with "Connection: close", idle connections close) and, when the last
 * connection is freed, closes its own handles so uv_run returns.
 *
 * Timeouts: one repeating timer per loop walks the connections and closes
 * those past their deadline (a deadline is one store per request; the walk
 * is a few microseconds per thousand connections). */
#include "net/http_internal.h"

#include <errno.h>
#include <http_parser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "util/error.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

static _Thread_local pt_worker_t *tls_worker;

pt_worker_t *pt_worker_current(void) { return tls_worker; }

/* ---- completion queue ---- */

void pt_worker_post_completion(pt_worker_t *w, pt_conn_t *c)
{
    pthread_mutex_lock(&w->mu);
    *pt_conn_done_link(c) = NULL;
    if (w->done_tail)
        *pt_conn_done_link(w->done_tail) = c;
    else
        w->done_head = c;
    w->done_tail = c;
    /* wake_closed cannot be true here (a call is in flight, so the loop
     * keeps its handles); checked anyway rather than trusting it blindly. */
    if (!w->wake_closed) uv_async_send(&w->wake);
    pthread_mutex_unlock(&w->mu);
}

static void close_handles(pt_worker_t *w)
{
    if (w->handles_closed) return;
    w->handles_closed = true;
    uv_close((uv_handle_t *)&w->sweep, NULL);
    pthread_mutex_lock(&w->mu);
    w->wake_closed = true;
    uv_close((uv_handle_t *)&w->wake, NULL);
    pthread_mutex_unlock(&w->mu);
}

void pt_worker_conn_freed(pt_worker_t *w)
{
    if (w->stopping && w->live == 0) close_handles(w);
}

static void begin_stop(pt_worker_t *w)
{
    if (w->stopping) return;
    w->stopping = true;
    /* Connections the kernel has already completed sit in this socket's
     * own backlog (SO_REUSEPORT: no other listener will take them); closing
     * the listener would reset them. Take them over first, so that requests
     * they already sent are answered like any other (pt_conn_stop_all). */
    uv_os_fd_t lfd;
    if (uv_fileno((uv_handle_t *)&w->listener, &lfd) == 0) {
        int fd;
        while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0)
            pt_conn_adopt(w, fd);
    }
    uv_close((uv_handle_t *)&w->listener, NULL);
    pt_conn_stop_all(w);
    if (w->live == 0) close_handles(w);
}

static void on_wake(uv_async_t *h)
{
    pt_worker_t *w = h->data;
    pthread_mutex_lock(&w->mu);
    pt_conn_t *c = w->done_head;
    w->done_head = w->done_tail = NULL;
    pthread_mutex_unlock(&w->mu);
    while (c) {
        pt_conn_t *next = *pt_conn_done_link(c);
        pt_conn_completed(c); /* may free c */
        c = next;
    }
    if (atomic_load(&w->stop_requested)) begin_stop(w);
}

static void on_sweep(uv_timer_t *t)
{
    pt_conn_sweep(t->data);
}

static void *worker_main(void *arg)
{
    pt_worker_t *w = arg;
    tls_worker = w;
    uv_run(&w->loop, UV_RUN_DEFAULT);
    atomic_store(&w->finished, true);
    return NULL;
}

/* ---- listening sockets ---- */

static int resolve(const char *host, unsigned port, struct sockaddr_storage *ss,
                   socklen_t *sslen, char *errbuf, size_t errlen)
{
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    char portstr[8];
    snprintf(portstr, sizeof portstr, "%u", port);
    int rc = getaddrinfo(host, portstr, &hints, &res);
    if (rc || !res) {
        snprintf(errbuf, errlen, "cannot resolve listen host '%s': %s", host, gai_strerror(rc));
        return PT_ERR;
    }
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *sslen = res->ai_addrlen;
    freeaddrinfo(res);
    return PT_OK;
}

static void set_port(struct sockaddr_storage *ss, unsigned port)
{
    if (ss->ss_family == AF_INET6)
        ((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
    else
        ((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
}

static unsigned get_port(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET6) return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
    return ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

static void format_address(const struct sockaddr_storage *ss, char *out, size_t len)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    if (ss->ss_family == AF_INET6) {
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, ip, sizeof ip);
        snprintf(out, len, "[%s]:%u", ip, get_port(ss));
    } else {
        inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, ip, sizeof ip);
        snprintf(out, len, "%s:%u", ip, get_port(ss));
    }
}

/* Makes one listening socket; reuseport=false only for the probe. */
static int make_listener(const struct sockaddr_storage *ss, socklen_t sslen, bool reuseport,
                         int *out_fd, char *errbuf, size_t errlen)
{
    int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(errbuf, errlen, "socket: %s", strerror(errno));
        return PT_ERR;
    }
    int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
        (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one))) {
        snprintf(errbuf, errlen, "setsockopt: %s", strerror(errno));
        goto fail;
    }
    if (ss->ss_family == AF_INET6) /* "[::]" means IPv6 only; say so explicitly */
        (void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (bind(fd, (const struct sockaddr *)ss, sslen)) {
        char addr[80];
        format_address(ss, addr, sizeof addr);
        snprintf(errbuf, errlen, "cannot listen on %s: %s", addr, strerror(errno));
        goto fail;
    }
    if (reuseport && listen(fd, 4096)) {
        snprintf(errbuf, errlen, "listen: %s", strerror(errno));
        goto fail;
    }
    *out_fd = fd;
    return PT_OK;
fail:
    close(fd);
    return PT_ERR;
}

/* ---- TLS ---- */

/* One context for every loop (SSL_CTX is thread-safe once set up): TLS 1.2
 * minimum, OpenSSL's default cipher suites (forward-secret AEADs first), no
 * compression or renegotiation, small idle buffers. */
static int tls_context(const pt_http_options_t *o, SSL_CTX **out, char *errbuf, size_t errlen)
{
    *out = NULL;
    if (!o->tls_cert && !o->tls_key) return PT_OK;
    if (!o->tls_cert || !o->tls_key) {
        snprintf(errbuf, errlen, "TLS needs both a certificate and a private key");
        return PT_ERR;
    }
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) goto ssl_error;
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                                 SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    if (SSL_CTX_use_certificate_chain_file(ctx, o->tls_cert) != 1) {
        char e[256];
        ERR_error_string_n(ERR_get_error(), e, sizeof e);
        snprintf(errbuf, errlen, "cannot load TLS certificate '%s': %s", o->tls_cert, e);
        goto fail;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, o->tls_key, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
        char e[256];
        ERR_error_string_n(ERR_get_error(), e, sizeof e);
        snprintf(errbuf, errlen, "cannot load TLS private key '%s': %s", o->tls_key, e);
        goto fail;
    }
    *out = ctx;
    return PT_OK;
ssl_error:
    snprintf(errbuf, errlen, "cannot create a TLS context");
fail:
    SSL_CTX_free(ctx);
    ERR_clear_error();
    return PT_ERR;
}

/* ---- lifecycle ---- */

static void worker_free(pt_worker_t *w)
{
    if (!w) return;
    /* Only after the loop ran to completion (or never had handles). */
    uv_loop_close(&w->loop);
    pthread_mutex_destroy(&w->mu);
    free(w);
}

static int worker_init(pt_http_server_t *srv, unsigned index, int fd, pt_worker_t **out,
                       char *errbuf, size_t errlen)
{
    pt_worker_t *w = calloc(1, sizeof *w);
    if (!w) {
        snprintf(errbuf, errlen, "out of memory");
        close(fd);
        return PT_ERR;
    }
    w->srv = srv;
    w->index = index;
    pthread_mutex_init(&w->mu, NULL);
    int rc = uv_loop_init(&w->loop);
    if (rc) {
        snprintf(errbuf, errlen, "uv_loop_init: %s", uv_strerror(rc));
        close(fd);
        pthread_mutex_destroy(&w->mu);
        free(w);
        return PT_ERR;
    }
    w->loop.data = w;
    uv_tcp_init(&w->loop, &w->listener);
    w->listener.data = w;
    uv_async_init(&w->loop, &w->wake, on_wake);
    w->wake.data = w;
    uv_timer_init(&w->loop, &w->sweep);
    w->sweep.data = w;
    *out = w; /* from here on worker_abandon() cleans up */
    if ((rc = uv_tcp_open(&w->listener, fd))) {
        close(fd); /* not adopted by the handle */
        snprintf(errbuf, errlen, "uv_tcp_open: %s", uv_strerror(rc));
        return PT_ERR;
    }
    if ((rc = uv_listen((uv_stream_t *)&w->listener, 4096, pt_conn_on_connection))) {
        snprintf(errbuf, errlen, "listen: %s", uv_strerror(rc));
        return PT_ERR;
    }
    /* Check four times per shortest timeout, at most once a second: a
     * timeout fires at most a quarter late. */
    uint64_t t = srv->opts.idle_timeout_ms < srv->opts.read_timeout_ms
                     ? srv->opts.idle_timeout_ms
                     : srv->opts.read_timeout_ms;
    uint64_t every = t / 4;
    if (every < 50) every = 50;
    if (every > 1000) every = 1000;
    uv_timer_start(&w->sweep, on_sweep, every, every);
    return PT_OK;
}

/* Closes a worker that never ran: run its loop once to finish the closes. */
static void worker_abandon(pt_worker_t *w)
{
    uv_close((uv_handle_t *)&w->listener, NULL);
    uv_close((uv_handle_t *)&w->wake, NULL);
    uv_close((uv_handle_t *)&w->sweep, NULL);
    uv_run(&w->loop, UV_RUN_DEFAULT);
    worker_free(w);
}

int pt_http_server_start(const pt_http_options_t *opts, pt_engine_t *engine,
                         pt_http_server_t **out, char *errbuf, size_t errlen)
{
    *out = NULL;
    if (!opts->threads || opts->threads > 1024) {
        snprintf(errbuf, errlen, "threads must be between 1 and 1024");
        return PT_ERR;
    }
    if (opts->port > 65535) {
        snprintf(errbuf, errlen, "port must be between 0 and 65535");
        return PT_ERR;
    }
    /* Requests are parsed by util/http_parse.c (its limit is set per
     * connection); the gateway's upstream responses by http-parser, whose
     * header limit is a process-wide setting: the same bound for both. */
    http_parser_set_max_header_size(PT_HTTP_MAX_HEADER_BYTES);
    struct sockaddr_storage ss;
    socklen_t sslen;
    if (resolve(opts->host ? opts->host : "127.0.0.1", opts->port, &ss, &sslen, errbuf, errlen))
        return PT_ERR;

    /* The probe: fails with EADDRINUSE if anyone else listens there. With
     * port 0 it also picks the port that every worker then shares. */
    int probe = -1;
    if (make_listener(&ss, sslen, false, &probe, errbuf, errlen)) return PT_ERR;

    pt_http_server_t *srv = calloc(1, sizeof *srv);
    if (!srv) {
        close(probe);
        snprintf(errbuf, errlen, "out of memory");
        return PT_ERR;
    }
    srv->engine = engine;
    srv->opts = *opts;
    if (!srv->opts.idle_timeout_ms) srv->opts.idle_timeout_ms = PT_HTTP_DEFAULT_IDLE_TIMEOUT_MS;
    if (!srv->opts.read_timeout_ms) srv->opts.read_timeout_ms = PT_HTTP_DEFAULT_READ_TIMEOUT_MS;
    if (!srv->opts.max_connections) srv->opts.max_connections = PT_HTTP_DEFAULT_MAX_CONNECTIONS;
    if (!srv->opts.max_buffer_bytes) srv->opts.max_buffer_bytes = PT_HTTP_DEFAULT_MAX_BUFFER_BYTES;
    srv->opts.host = NULL; /* not kept: the caller's string */
    if (tls_context(opts, &srv->ssl_ctx, errbuf, errlen)) goto fail;
    srv->opts.tls_cert = srv->opts.tls_key = NULL; /* loaded; not kept */
    pthread_mutex_init(&srv->stop_mu, NULL);
    srv->workers = calloc(opts->threads, sizeof *srv->workers);
    if (!srv->workers) {
        snprintf(errbuf, errlen, "out of memory");
        goto fail;
    }

    if (opts->port == 0) {
        struct sockaddr_storage bound;
        socklen_t blen = sizeof bound;
        if (getsockname(probe, (struct sockaddr *)&bound, &blen)) {
            snprintf(errbuf, errlen, "getsockname: %s", strerror(errno));
            goto fail;
        }
        set_port(&ss, get_port(&bound));
    }
    for (unsigned i = 0; i < opts->threads; i++) {
        int fd;
        if (make_listener(&ss, sslen, true, &fd, errbuf, errlen)) goto fail;
        if (worker_init(srv, i, fd, &srv->workers[i], errbuf, errlen)) goto fail;
        srv->nworkers = i + 1;
    }
    /* The probe goes only now: until here it reserved the (maybe
     * ephemeral) port against other processes. */
    close(probe);
    probe = -1;
    format_address(&ss, srv->address, sizeof srv->address);

    for (unsigned i = 0; i < srv->nworkers; i++) {
        pt_worker_t *w = srv->workers[i];
        int rc = pthread_create(&w->thread, NULL, worker_main, w);
        if (rc) {
            snprintf(errbuf, errlen, "pthread_create: %s", strerror(rc));
            pt_http_server_destroy(srv);
            return PT_ERR;
        }
        w->thread_started = true;
    }
    *out = srv;
    return PT_OK;

fail:
    if (probe >= 0) close(probe);
    for (unsigned i = 0; i < opts->threads && srv->workers; i++)
        if (srv->workers[i]) worker_abandon(srv->workers[i]);
    free(srv->workers);
    SSL_CTX_free(srv->ssl_ctx);
    pthread_mutex_destroy(&srv->stop_mu);
    free(srv);
    return PT_ERR;
}

const char *pt_http_server_address(const pt_http_server_t *srv) { return srv->address; }

void pt_http_server_stop(pt_http_server_t *srv)
{
    pthread_mutex_lock(&srv->stop_mu);
    if (!srv->stop_sent) {
        srv->stop_sent = true;
        for (unsigned i = 0; i < srv->nworkers; i++) {
            pt_worker_t *w = srv->workers[i];
            atomic_store(&w->stop_requested, true);
            pthread_mutex_lock(&w->mu);
            if (!w->wake_closed) uv_async_send(&w->wake);
            pthread_mutex_unlock(&w->mu);
        }
    }
    pthread_mutex_unlock(&srv->stop_mu);
}

bool pt_http_server_finished(pt_http_server_t *srv)
{
    for (unsigned i = 0; i < srv->nworkers; i++)
        if (srv->workers[i]->thread_started && !atomic_load(&srv->workers[i]->finished))
            return false;
    return true;
}

void pt_http_server_destroy(pt_http_server_t *srv)
{
    if (!srv) return;
    pt_http_server_stop(srv);
    for (unsigned i = 0; i < srv->nworkers; i++) {
        pt_worker_t *w = srv->workers[i];
        if (w->thread_started)
            pthread_join(w->thread, NULL);
        else
            worker_abandon(w), srv->workers[i] = NULL;
    }
    for (unsigned i = 0; i < srv->nworkers; i++)
        if (srv->workers[i]) worker_free(srv->workers[i]);
    free(srv->workers);
    SSL_CTX_free(srv->ssl_ctx);
    pthread_mutex_destroy(&srv->stop_mu);
    free(srv);
}
