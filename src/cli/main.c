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
 * shutdown exits at once with status 1. */
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

#include "net/http_server.h"
#include "portico/portico.h"

#define EXIT_USAGE 2

static const char USAGE[] =
    "Usage: portico serve [options]\n"
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
    "  --config FILE          gateway configuration file; must exist and be\n"
    "                         readable (its contents are used by the API\n"
    "                         gateway, which is not built yet)\n"
    "  --no-sync              do not fsync commits: for tests and benchmarks\n"
    "                         only (acknowledged writes may be lost on power\n"
    "                         loss or OS crash)\n"
    "  --idle-timeout SECONDS close keep-alive connections idle this long\n"
    "                         (default 60)\n"
    "  --read-timeout SECONDS a request must arrive completely within this\n"
    "                         time of its first byte (default 30)\n"
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

/* "HOST:PORT" or "[V6]:PORT" -> host (into buf) and port. */
static int parse_listen(const char *s, char *host, size_t hostlen, unsigned *port)
{
    const char *colon;
    const char *h = s;
    size_t hl;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close || close[1] != ':') return -1;
        h = s + 1;
        hl = (size_t)(close - h);
        colon = close + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon) return -1;
        hl = (size_t)(colon - s);
        if (memchr(s, ':', hl)) return -1; /* bare IPv6: needs brackets */
    }
    if (hl == 0 || hl >= hostlen) return -1;
    memcpy(host, h, hl);
    host[hl] = 0;
    const char *p = colon + 1;
    if (!*p || strlen(p) > 5) return -1;
    unsigned v = 0;
    for (; *p; p++) {
        if (*p < '0' || *p > '9') return -1;
        v = v * 10 + (unsigned)(*p - '0');
    }
    if (v > 65535) return -1;
    *port = v;
    return 0;
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

static unsigned default_threads(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1) return 1;
    return n > 1024 ? 1024 : (unsigned)n;
}

/* Every connection is a descriptor: use the hard limit, not the soft 1024. */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static int serve(int argc, char **argv)
{
    enum { OPT_LISTEN = 256, OPT_DATA, OPT_THREADS, OPT_CONFIG, OPT_NOSYNC, OPT_IDLE, OPT_READ };
    static const struct option longopts[] = {
        {"listen", required_argument, NULL, OPT_LISTEN},
        {"data-dir", required_argument, NULL, OPT_DATA},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"config", required_argument, NULL, OPT_CONFIG},
        {"no-sync", no_argument, NULL, OPT_NOSYNC},
        {"idle-timeout", required_argument, NULL, OPT_IDLE},
        {"read-timeout", required_argument, NULL, OPT_READ},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    char host[256] = "127.0.0.1";
    pt_http_options_t hopts = {.port = 8000, .threads = default_threads()};
    pt_engine_options_t eopts = {.data_dir = "./portico-data"};

    opterr = 0;
    optind = 1;
    int ch;
    while ((ch = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (ch) {
        case OPT_LISTEN:
            if (parse_listen(optarg, host, sizeof host, &hopts.port))
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
            break;
        }
        case OPT_NOSYNC:
            eopts.no_sync = true;
            break;
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
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN); /* a peer gone mid-write is an error code, not a death */
    raise_fd_limit();

    pt_engine_t *engine = NULL;
    char err[512];
    if (pt_engine_open(&eopts, &engine, err, sizeof err)) {
        fprintf(stderr, "portico: cannot open data directory '%s': %s\n", eopts.data_dir, err);
        return 1;
    }
    pt_http_server_t *srv = NULL;
    if (pt_http_server_start(&hopts, engine, &srv, err, sizeof err)) {
        fprintf(stderr, "portico: %s\n", err);
        pt_engine_close(engine);
        return 1;
    }
    fprintf(stderr, "portico %s listening on %s (%u thread%s, data %s)\n", PT_VERSION_STRING,
            pt_http_server_address(srv), hopts.threads, hopts.threads == 1 ? "" : "s",
            eopts.data_dir);
    fflush(stderr);

    int sig = 0;
    while (sigwait(&sigs, &sig) != 0) {
    }
    fprintf(stderr, "portico: %s received, shutting down\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    pt_http_server_stop(srv);
    while (!pt_http_server_finished(srv)) {
        struct timespec tick = {0, 20 * 1000 * 1000};
        if (sigtimedwait(&sigs, NULL, &tick) > 0) {
            fprintf(stderr, "portico: second signal, exiting without finishing\n");
            _exit(1);
        }
    }
    pt_http_server_destroy(srv);
    pt_engine_close(engine);
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
    return usage_error("unknown command '%s'", cmd);
}
