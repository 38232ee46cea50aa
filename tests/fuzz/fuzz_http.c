/* libFuzzer harness for the HTTP front end (src/net) and the auth gate in
 * front of the engine, driven over real sockets.
 *
 * The harness links only libportico, so it cannot host src/net in-process
 * (that needs libuv and http-parser, which the fuzz targets do not link);
 * instead it starts two `portico serve` processes once - the binary next to
 * the harness (the fuzz build's own, instrumented with ASan/UBSan) or
 * $PORTICO_BIN - one with authentication off and one with a credential (so
 * SigV4 parsing runs on every DynamoDB call), and sends each input as the
 * raw bytes of one connection: the first input byte picks the server, the
 * rest is sent, the write side shut, and the answer read until the server
 * closes. The invariant: the server is still alive afterwards (a crash,
 * sanitizer report or abort kills it, and the harness then traps with the
 * input that did it) and answers a health check within 5 s (made every 32
 * inputs, so a hang is blamed on one of the last 32).
 *
 * Not coverage-guided inside the server (it is another process): this is a
 * robustness smoke run; the parsers it reaches have their own in-process
 * harnesses (fuzz_sigv4, fuzz_json). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

typedef struct server {
    pid_t pid;
    int port;
    char dir[64];
} server_t;

static server_t servers[2];
static char bin[PATH_MAX];

static int free_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t l = sizeof a;
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) || getsockname(s, (struct sockaddr *)&a, &l))
        return -1;
    close(s);
    return ntohs(a.sin_port);
}

static int connect_to(int port, int timeout_ms)
{
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0) return -1;
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    /* Each exchange shuts its write side first, so its port sits in
     * TIME_WAIT for a minute: at ~4,000 exchanges/s one source address
     * runs out of its 28,000 ephemeral ports within seconds and connect()
     * fails with EADDRNOTAVAIL, which looked like a dead server. Rotate
     * the source over 127.0.0.2-251 (all loopback). */
    static unsigned rotate;
    struct sockaddr_in src = {.sin_family = AF_INET,
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK + 1 + rotate++ % 250)};
    if (bind(s, (struct sockaddr *)&src, sizeof src)) {
        close(s);
        return -1;
    }
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (connect(s, (struct sockaddr *)&a, sizeof a)) {
        close(s);
        return -1;
    }
    return s;
}

/* The server's coverage is invisible to libFuzzer; these branches turn the
 * kind of answer (status, error type) into harness edges, so inputs that
 * reach new answers are kept in the corpus. */
static volatile unsigned sink;

static void classify(const char *r, size_t n)
{
    int status = n >= 12 && memcmp(r, "HTTP/1.1 ", 9) == 0
                     ? (r[9] - '0') * 100 + (r[10] - '0') * 10 + (r[11] - '0')
                     : -1;
    switch (status) {
    case 200: sink += 1; break;
    case 400: sink += 2; break;
    case 404: sink += 3; break;
    case 413: sink += 4; break;
    case 431: sink += 5; break;
    case 500: sink += 6; break;
    case 503: sink += 7; break;
    case -1: sink += 8; break;
    default: sink += 9; break;
    }
    const char *t = memmem(r, n, "#", 1);
    if (!t || t + 4 > r + n) return;
    switch (t[1]) {
    case 'V': sink += 10; break; /* ValidationException */
    case 'S': sink += 11; break; /* SerializationException */
    case 'R': sink += 12; break; /* ResourceNotFound, RequestEntityTooLarge */
    case 'U': sink += t[2] == 'n' && t[3] == 'r' ? 13 : 14; break; /* Unrecognized/Unknown */
    case 'I': sink += t[3] == 'c' ? 15 : t[3] == 'v' ? 16 : 17; break; /* Incomplete/Invalid/Internal */
    case 'M': sink += 18; break; /* MissingAuthenticationToken */
    case 'A': sink += 19; break; /* AccessDenied */
    case 'C': sink += 20; break;
    default: sink += 21; break;
    }
}

/* Sends data, shuts the write side, reads until close/timeout. */
static void exchange(int port, const uint8_t *data, size_t len, int timeout_ms)
{
    int s = connect_to(port, timeout_ms);
    if (s < 0) return;
    size_t off = 0;
    while (off < len) {
        ssize_t n = send(s, data + off, len - off, MSG_NOSIGNAL);
        if (n <= 0) break;
        off += (size_t)n;
    }
    shutdown(s, SHUT_WR);
    static char buf[1 << 20];
    size_t got = 0;
    ssize_t n;
    while ((n = recv(s, buf + got, sizeof buf - got, 0)) > 0) {
        got += (size_t)n;
        if (got == sizeof buf) got = 0; /* keep reading; only the head matters */
    }
    close(s);
    classify(buf, got);
}

/* The server answers GET / with 200 within 5 s. A refused or impossible
 * connect is retried (for up to 5 s) rather than blamed on the server:
 * ~4,000 exchanges a second fill the machine's TIME_WAIT table (131,072
 * entries here), after which the kernel refuses some new connections on
 * its own (TCPTimeWaitOverflow); a server that died is caught by alive(). */
static int healthy(int port)
{
    int s = -1;
    for (int attempt = 0; attempt < 50 && s < 0; attempt++) {
        s = connect_to(port, 5000);
        if (s < 0 && errno != ECONNREFUSED && errno != EADDRNOTAVAIL && errno != EINTR) return 0;
        if (s < 0) usleep(100000);
    }
    if (s < 0) return 0;
    static const char req[] = "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    int ok = send(s, req, sizeof req - 1, MSG_NOSIGNAL) == (ssize_t)(sizeof req - 1);
    char buf[256];
    ssize_t n = ok ? recv(s, buf, sizeof buf - 1, 0) : -1;
    close(s);
    return n > 12 && memcmp(buf, "HTTP/1.1 200", 12) == 0;
}

static int alive(server_t *sv)
{
    int st;
    return waitpid(sv->pid, &st, WNOHANG) == 0;
}

static void start(server_t *sv, int with_auth)
{
    snprintf(sv->dir, sizeof sv->dir, "/tmp/pt-fuzz-http-XXXXXX");
    CHECK(mkdtemp(sv->dir) != NULL);
    if (with_auth) {
        char path[128];
        snprintf(path, sizeof path, "%s/credentials.json", sv->dir);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        CHECK(fd >= 0);
        static const char creds[] =
            "{\"credentials\":[{\"access_key_id\":\"AKID\",\"secret_access_key\":\"secret\","
            "\"allow\":{\"actions\":[\"dynamodb:Get*\"],\"tables\":[\"orders*\"]}}]}";
        CHECK(write(fd, creds, sizeof creds - 1) == (ssize_t)(sizeof creds - 1));
        close(fd);
    }
    sv->port = free_port();
    CHECK(sv->port > 0);
    char listen[32], log[128];
    snprintf(listen, sizeof listen, "127.0.0.1:%d", sv->port);
    snprintf(log, sizeof log, "%s.log", sv->dir);
    sv->pid = fork();
    CHECK(sv->pid >= 0);
    if (sv->pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) dup2(fd, 1), dup2(fd, 2);
        execl(bin, bin, "serve", "--listen", listen, "--data-dir", sv->dir, "--no-sync",
              "--threads", "1", "--read-timeout", "1", "--idle-timeout", "2", (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 600 && !healthy(sv->port); i++) {
        CHECK(alive(sv));
        usleep(50000);
    }
    CHECK(healthy(sv->port));
}

static void stop_all(void)
{
    for (int i = 0; i < 2; i++) {
        if (servers[i].pid <= 0) continue;
        kill(servers[i].pid, SIGTERM);
        waitpid(servers[i].pid, NULL, 0);
        char cmd[160];
        snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s.log'", servers[i].dir, servers[i].dir);
        if (system(cmd)) {
        }
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *env = getenv("PORTICO_BIN");
    if (env) {
        snprintf(bin, sizeof bin, "%s", env);
    } else {
        char self[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        CHECK(n > 0);
        self[n] = 0;
        char *slash = strrchr(self, '/');
        *slash = 0;
        snprintf(bin, sizeof bin, "%.*s/portico", (int)(sizeof bin - 16), self);
    }
    if (access(bin, X_OK)) {
        fprintf(stderr, "fuzz_http: server binary %s not found (set PORTICO_BIN)\n", bin);
        exit(1);
    }
    signal(SIGPIPE, SIG_IGN);
    start(&servers[0], 0);
    start(&servers[1], 1);
    atexit(stop_all);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    server_t *sv = &servers[data[0] & 1];
    /* At most MAX_PER_SECOND exchanges a second: each leaves a TIME_WAIT
     * entry for 60 s, and unthrottled (~8,000/s) they overflow the
     * kernel's table (131,072 here) within 20 s, after which new
     * connections are refused for seconds (see healthy()). */
    enum { MAX_PER_SECOND = 1500 };
    static struct timespec window;
    static unsigned in_window;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec != window.tv_sec) {
        window = now;
        in_window = 0;
    } else if (++in_window >= MAX_PER_SECOND) {
        usleep((useconds_t)(1000000 - now.tv_nsec / 1000));
    }
    exchange(sv->port, data + 1, size - 1, 3000);
    /* A crash ends the process: alive() sees it at once. A hang shows in
     * the health check, made every 32 inputs: one per input doubled the
     * connections, and with them the TIME_WAIT entries (see healthy()). */
    static unsigned runs;
    if (!alive(sv) || (++runs % 32 == 0 && !healthy(sv->port))) {
        fprintf(stderr, "fuzz_http: the server on port %d died or stopped answering; log: %s.log\n",
                sv->port, sv->dir);
        __builtin_trap();
    }
    return 0;
}
