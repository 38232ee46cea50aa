/* The `portico` command: argument parsing, signals, and the server's
 * lifetime around the engine.
 *
 *   portico serve [options]   run the server until SIGINT/SIGTERM
 *   portico --version         "portico 0.1.0"
 *   portico --help
 *
 * The command line is a contract (scripts, tests and docs depend on it):
 * options are only ever added. Bad arguments print a message on stderr and
 * exit 2; failures to start (port in use, data directory unusable) exit 1;
 * a clean shutdown exits 0.
 *
 * Signals: SIGINT and SIGTERM are blocked before any thread starts (the
 * engine's and the loops' threads inherit the mask) and taken here with
 * sigwait, so no handler ever runs inside a loop. The first one starts a
 * graceful shutdown (stop accepting, finish and answer in-flight requests,
 * then pt_engine_close commits queued writes); a second one during the
 * shutdown exits at once with status 1. SIGUSR1 prints one line of writer
 * statistics on stderr ("portico: stats commits=C writes=W": top-level
 * commits, hence fsyncs, and write jobs since start; W / C is the mean group
 * commit batch): bench/run.sh reads it around its write runs. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/hostport.h"
#include "cli/auth_cli.h"
#include "engine/engine.h"
#include "gateway/gateway.h"
#include "net/http_server.h"
#include "portico/portico.h"

#define EXIT_USAGE 2

static const char USAGE[] =
    "Usage: portico serve [options]\n"
    "       portico credentials add|list|remove [options]  (see --help there)\n"
    "       portico apikey create|list|revoke [options]    (gateway API keys)\n"
    "       portico --version\n"
    "       portico --help\n"
    "\n"
    "Runs a DynamoDB-compatible server (DynamoDB JSON protocol over HTTP/1.1).\n"
    "\n"
    "Options for serve:\n"
    "  --listen HOST:PORT     address to listen on (default 127.0.0.1:8000;\n"
    "                         IPv6 as [::1]:8000; port 0 picks a free port)\n"
    "  --data-dir DIR         data directory, created if missing\n"
    "                         (default ./portico-data)\n"
    "  --threads N            event-loop threads (default: online CPUs)\n"
    "  --config FILE          configuration file, YAML or JSON: auth, credentials,\n"
    "                         tls, gateway (see docs/configuration.md)\n"
    "  --no-sync              do not fsync commits: for tests and benchmarks\n"
    "                         only (acknowledged writes may be lost on power\n"
    "                         loss or OS crash)\n"
    "  --idle-timeout SECONDS close keep-alive connections idle this long\n"
    "                         (default 60)\n"
    "  --read-timeout SECONDS a request must arrive completely within this\n"
    "                         time of its first byte (default 30)\n"
    "  --ttl-period SECONDS   how often expired items (Time to Live) are looked\n"
    "                         for and deleted (default 1)\n"
    "  --map-size MIB         LMDB map size: the most the data can grow to\n"
    "                         (default 65536, i.e. 64 GiB of address space;\n"
    "                         smaller for valgrind, which cannot map 64 GiB)\n"
    "  --auth MODE            auto (default): required on a non-loopback address\n"
    "                         or when credentials exist; required; or off (only\n"
    "                         allowed on loopback). See docs/security.md\n"
    "  --max-connections N    open connections, server-wide (default 16384,\n"
    "                         at most the descriptor limit less 64); more get 503\n"
    "  --max-buffer-memory MIB  request buffers, server-wide (default 1024);\n"
    "                         requests that would exceed it get 503\n"
    "  --tls-cert FILE        serve HTTPS (TLS 1.2+) with this PEM certificate\n"
    "                         chain; needs --tls-key FILE (the PEM private key)\n"
    "  -h, --help             show this help\n"
    "\n"
    "SIGINT or SIGTERM shuts down gracefully: in-flight requests are answered\n"
    "and queued writes committed; a second signal exits at once.\n";

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "portico: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nTry 'portico --help'.\n");
    va_end(ap);
    return EXIT_USAGE;
}

/* A positive number of seconds (fractions allowed) -> milliseconds. */
static int parse_seconds(const char *s, uint64_t *ms)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v) || v <= 0 || v > 31536000.0) return -1;
    double m = ceil(v * 1000.0);
    *ms = m < 1 ? 1 : (uint64_t)m;
    return 0;
}

static int parse_threads(const char *s, unsigned *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 1 || v > 1024) return -1;
    *out = (unsigned)v;
    return 0;
}

static int parse_count(const char *s, long lo, long hi, unsigned *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) return -1;
    *out = (unsigned)v;
    return 0;
}

static unsigned default_threads(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1) return 1;
    return n > 1024 ? 1024 : (unsigned)n;
}

/* Every connection is a descriptor: use the hard limit, not the soft 1024.
 * Returns the limit now in force. */
static rlim_t raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 1024;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
        (void)getrlimit(RLIMIT_NOFILE, &rl);
    }
    return rl.rlim_cur;
}

static int serve(int argc, char **argv)
{
    enum { OPT_AUTH = 512, OPT_MAXCONN, OPT_MAXBUF, OPT_TLS_CERT, OPT_TLS_KEY };
    enum { OPT_LISTEN = 256, OPT_DATA, OPT_THREADS, OPT_CONFIG, OPT_NOSYNC, OPT_IDLE, OPT_READ, OPT_TTL_PERIOD };
    enum { OPT_MAP_SIZE = 400 };
    static const struct option longopts[] = {
        {"listen", required_argument, NULL, OPT_LISTEN},
        {"data-dir", required_argument, NULL, OPT_DATA},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"config", required_argument, NULL, OPT_CONFIG},
        {"no-sync", no_argument, NULL, OPT_NOSYNC},
        {"idle-timeout", required_argument, NULL, OPT_IDLE},
        {"read-timeout", required_argument, NULL, OPT_READ},
        {"ttl-period", required_argument, NULL, OPT_TTL_PERIOD},
        {"map-size", required_argument, NULL, OPT_MAP_SIZE},
        {"auth", required_argument, NULL, OPT_AUTH},
        {"max-connections", required_argument, NULL, OPT_MAXCONN},
        {"max-buffer-memory", required_argument, NULL, OPT_MAXBUF},
        {"tls-cert", required_argument, NULL, OPT_TLS_CERT},
        {"tls-key", required_argument, NULL, OPT_TLS_KEY},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    pt_auth_mode_t auth_mode = PT_AUTH_MODE_AUTO;
    const char *tls_cert = NULL, *tls_key = NULL;
    const char *config_path = NULL;
    char host[256] = "127.0.0.1";
    pt_http_options_t hopts = {.port = 8000, .threads = default_threads()};
    pt_engine_options_t eopts = {.data_dir = "./portico-data"};

    opterr = 0;
    optind = 1;
    int ch;
    while ((ch = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (ch) {
        case OPT_LISTEN:
            if (pt_parse_host_port(optarg, NULL, host, sizeof host, &hopts.port))
                return usage_error("--listen expects HOST:PORT or [IPV6]:PORT, got '%s'", optarg);
            break;
        case OPT_DATA:
            if (!*optarg) return usage_error("--data-dir must not be empty");
            eopts.data_dir = optarg;
            break;
        case OPT_THREADS:
            if (parse_threads(optarg, &hopts.threads))
                return usage_error("--threads expects a number from 1 to 1024, got '%s'", optarg);
            break;
        case OPT_CONFIG: {
            struct stat st;
            errno = 0;
            if (stat(optarg, &st) || !S_ISREG(st.st_mode) || access(optarg, R_OK)) {
                fprintf(stderr, "portico: cannot read config file '%s': %s\n", optarg,
                        errno ? strerror(errno) : "not a regular file");
                return EXIT_USAGE;
            }
            config_path = optarg;
            break;
        }
        case OPT_TLS_CERT:
            tls_cert = optarg;
            break;
        case OPT_TLS_KEY:
            tls_key = optarg;
            break;
        case OPT_AUTH:
            if (pt_cli_auth_mode(optarg, &auth_mode))
                return usage_error("--auth expects auto, required or off, got '%s'", optarg);
            break;
        case OPT_MAXCONN: {
            unsigned v;
            if (parse_count(optarg, 1, 1000000, &v))
                return usage_error("--max-connections expects a number from 1 to 1000000, got '%s'",
                                   optarg);
            hopts.max_connections = v;
            break;
        }
        case OPT_MAXBUF: {
            unsigned v;
            if (parse_count(optarg, 1, 1048576, &v))
                return usage_error("--max-buffer-memory expects MiB from 1 to 1048576, got '%s'",
                                   optarg);
            hopts.max_buffer_bytes = (size_t)v * 1024u * 1024u;
            break;
        }
        case OPT_NOSYNC:
            eopts.no_sync = true;
            break;
        case OPT_MAP_SIZE: {
            unsigned v;
            if (parse_count(optarg, 1, 16777216, &v))
                return usage_error("--map-size expects MiB from 1 to 16777216, got '%s'", optarg);
            eopts.map_size = (size_t)v * 1024u * 1024u;
            break;
        }
        case OPT_IDLE:
            if (parse_seconds(optarg, &hopts.idle_timeout_ms))
                return usage_error("--idle-timeout expects a positive number of seconds, got '%s'",
                                   optarg);
            break;
        case OPT_READ:
            if (parse_seconds(optarg, &hopts.read_timeout_ms))
                return usage_error("--read-timeout expects a positive number of seconds, got '%s'",
                                   optarg);
            break;
        case OPT_TTL_PERIOD: {
            uint64_t ms;
            if (parse_seconds(optarg, &ms) || ms > 86400000)
                return usage_error("--ttl-period expects a number of seconds from 0.001 to 86400, got '%s'",
                                   optarg);
            eopts.ttl_period_ms = (unsigned)ms;
            break;
        }
        case 'h':
            fputs(USAGE, stdout);
            return 0;
        case ':':
            return usage_error("option '%s' needs a value", argv[optind - 1]);
        default:
            return usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc) return usage_error("unexpected argument '%s'", argv[optind]);
    hopts.host = host;

    /* Before any thread exists: everything started below inherits this. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGHUP); /* reloads the gateway configuration */
    sigaddset(&sigs, SIGUSR1); /* prints writer statistics */
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN); /* a peer gone mid-write is an error code, not a death */
    /* The connection cap stays below the descriptor limit, so that the
     * server refuses extra connections with a 503 instead of failing to
     * accept them (LMDB, the listeners and the log need a few too). */
    rlim_t nofile = raise_fd_limit();
    unsigned fd_cap = nofile > 128 ? (unsigned)(nofile - 64 > 1000000 ? 1000000 : nofile - 64) : 64;
    if (!hopts.max_connections) hopts.max_connections = PT_HTTP_DEFAULT_MAX_CONNECTIONS;
    if (hopts.max_connections > fd_cap) hopts.max_connections = fd_cap;

    pt_cli_auth_t *auth = NULL;
    char aerr[1024];
    int arc = pt_cli_auth_start(host, auth_mode, eopts.data_dir, config_path, &auth, aerr,
                                sizeof aerr);
    if (arc) {
        fprintf(stderr, "portico: %s\n", aerr);
        return arc == 2 ? EXIT_USAGE : 1;
    }
    hopts.auth = pt_cli_auth_gate(auth);
    if (!tls_cert && !tls_key) pt_cli_auth_tls(auth, &tls_cert, &tls_key);
    if (!tls_cert != !tls_key) {
        pt_cli_auth_free(auth);
        return usage_error("--tls-cert and --tls-key go together");
    }
    hopts.tls_cert = tls_cert;
    hopts.tls_key = tls_key;

    pt_engine_t *engine = NULL;
    char err[512];
    if (pt_engine_open(&eopts, &engine, err, sizeof err)) {
        fprintf(stderr, "portico: cannot open data directory '%s': %s\n", eopts.data_dir, err);
        pt_cli_auth_free(auth);
        return 1;
    }
    /* The API gateway: only when the config file has a `gateway:` section. */
    pt_gw_t *gw = NULL;
    char gerr[8192];
    if (config_path && pt_gw_open(config_path, engine, eopts.data_dir, &gw, gerr, sizeof gerr)) {
        fprintf(stderr, "portico: invalid gateway configuration:\n%s\n", gerr);
        pt_engine_close(engine);
        pt_cli_auth_free(auth);
        return 1;
    }
    /* The gateway's listener: the same loop and connection code, another
     * handler. It opens before the API's, so that a client which waits
     * for the API port finds the gateway's already listening. */
    pt_http_server_t *gsrv = NULL;
    if (gw) {
        pt_http_options_t gopts = hopts;
        unsigned gport;
        pt_gw_listen(gw, &gopts.host, &gport);
        gopts.port = gport;
        gopts.auth = NULL;
        gopts.handler = pt_gw_handler(gw);
        if (pt_http_server_start(&gopts, engine, &gsrv, err, sizeof err)) {
            fprintf(stderr, "portico: gateway: %s\n", err);
            pt_gw_close(gw);
            pt_engine_close(engine);
            pt_cli_auth_free(auth);
            return 1;
        }
        fprintf(stderr, "portico: gateway listening on %s\n", pt_http_server_address(gsrv));
    }
    pt_http_server_t *srv = NULL;
    if (pt_http_server_start(&hopts, engine, &srv, err, sizeof err)) {
        fprintf(stderr, "portico: %s\n", err);
        if (gsrv) pt_http_server_destroy(gsrv);
        pt_gw_close(gw);
        pt_engine_close(engine);
        pt_cli_auth_free(auth);
        return 1;
    }
    fprintf(stderr, "portico %s listening on %s (%u thread%s, data %s)\n", PT_VERSION_STRING,
            pt_http_server_address(srv), hopts.threads, hopts.threads == 1 ? "" : "s",
            eopts.data_dir);
    char auth_line[256];
    pt_cli_auth_describe(auth, auth_line, sizeof auth_line);
    fprintf(stderr, "portico: %s\n", auth_line);
    if (tls_cert) fprintf(stderr, "portico: TLS 1.2+ (certificate %s)\n", tls_cert);
    fflush(stderr);

    /* Wait for a signal, looking at the credentials once a second. */
    int sig = 0;
    for (;;) {
        struct timespec second = {1, 0};
        sig = sigtimedwait(&sigs, NULL, &second);
        if (sig == SIGUSR1) {
            uint64_t commits = 0, jobs = 0;
            pt_writer_stats(engine->writer, &commits, &jobs);
            fprintf(stderr, "portico: stats commits=%llu writes=%llu\n",
                    (unsigned long long)commits, (unsigned long long)jobs);
            fflush(stderr);
            continue;
        }
        if (sig == SIGHUP) {
            if (!gw) {
                fprintf(stderr, "portico: SIGHUP: no gateway configured, nothing to reload\n");
            } else if (pt_gw_reload(gw, gerr, sizeof gerr)) {
                fprintf(stderr, "portico: gateway reload rejected, keeping the running configuration:\n%s\n", gerr);
            } else {
                fprintf(stderr, "portico: gateway configuration reloaded\n");
            }
            fflush(stderr);
            continue;
        }
        if (sig > 0) break;
        pt_cli_auth_poll(auth);
    }
    fprintf(stderr, "portico: %s received, shutting down\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    pt_http_server_stop(srv);
    if (gsrv) pt_http_server_stop(gsrv);
    while (!pt_http_server_finished(srv) || (gsrv && !pt_http_server_finished(gsrv))) {
        struct timespec tick = {0, 20 * 1000 * 1000};
        int s2 = sigtimedwait(&sigs, NULL, &tick);
        if (s2 > 0 && s2 != SIGHUP && s2 != SIGUSR1) {
            fprintf(stderr, "portico: second signal, exiting without finishing\n");
            _exit(1);
        }
    }
    pt_http_server_destroy(srv);
    if (gsrv) pt_http_server_destroy(gsrv);
    pt_gw_close(gw);
    pt_engine_close(engine);
    pt_cli_auth_free(auth);
    fprintf(stderr, "portico: stopped\n");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(USAGE, stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V") || !strcmp(cmd, "version")) {
        printf("portico %s\n", PT_VERSION_STRING);
        return 0;
    }
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        fputs(USAGE, stdout);
        return 0;
    }
    if (!strcmp(cmd, "serve")) return serve(argc - 1, argv + 1);
    if (!strcmp(cmd, "credentials")) return pt_cli_credentials(argc - 1, argv + 1);
    if (!strcmp(cmd, "apikey")) return pt_gw_apikey_main(argc - 1, argv + 1);
    return usage_error("unknown command '%s'", cmd);
}
