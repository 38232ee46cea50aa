/* store_micro: the BatchWriteItem pattern against two storage engines, in
 * one process, without HTTP — to measure whether another engine would
 * lift the BatchWriteItem target (docs/performance.md, "What remains").
 *
 *   bench/store_micro.sh                 builds it, runs each engine (LMDB
 *                                        with and without the pin)
 *   store_micro ENGINE DIR SECONDS       ENGINE: lmdb | rocksdb
 *
 * Both get the same load: PRELOAD items, then SECONDS of groups of
 * GROUP items (16 BatchWriteItems of 25) of new, scattered keys of ~40
 * bytes and 200-byte values, each group made durable by one fdatasync
 * before the next begins (the writer's group commit), then SECONDS of
 * random point reads of preloaded keys on one thread.
 *   lmdb    as portico runs it (store_lmdb.c): MDB_NOSYNC, each group a
 *           nested transaction of one long transaction that is committed
 *           every FLUSH_OPS puts, each group's items appended to a log
 *           file and fdatasync'ed, data.mdb fdatasync'ed every second by
 *           a checkpoint thread. PIN=1 adds portico's checkpoint pin
 *           (a read transaction on the snapshot each checkpoint names,
 *           held until the next one is durable, so LMDB reuses no page
 *           freed in between); without it LMDB reuses freed pages
 *           sooner than portico lets it.
 *   rocksdb RocksDB's defaults for a 2-core machine
 *           (IncreaseParallelism(2), level-style compaction with a 32 MiB
 *           memtable budget, at most 512 open files, bloom
 *           filters, 64 MiB block cache), each group one WriteBatch
 *           written with sync = true (its own log, fdatasync'ed).
 * Prints items/s, the CPU the process used per item (all its threads,
 * background compaction included) and the bytes it wrote to the disk per
 * item (/proc/self/io), then reads/s. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <pthread.h>
#include <rocksdb/c.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PRELOAD 100000u
#define GROUP 400u
#define FLUSH_OPS 2048u
#define VALUE_LEN 200u

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

static unsigned long long write_bytes(void)
{
    FILE *f = fopen("/proc/self/io", "r");
    char line[128];
    unsigned long long v = 0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "write_bytes: %llu", &v) == 1) break;
    if (f) fclose(f);
    return v;
}

static void die(const char *what, const char *why)
{
    fprintf(stderr, "store_micro: %s: %s\n", what, why);
    exit(1);
}

/* Key of the n-th item: scattered by a multiplicative hash, as the bench's
 * write_key(). */
static size_t make_key(char *k, uint64_t n)
{
    /* A table prefix, then the key, roughly as portico encodes it. */
    return (size_t)snprintf(k, 64, "\x01" "bench/" "bat-%08llx-%llu",
                            (unsigned long long)((n * 2654435761u) % 4294967296u), (unsigned long long)n);
}

/* ---- the engines ---- */

struct engine {
    void (*write_group)(void *e, uint64_t first, unsigned n, const char *value);
    int (*get)(void *e, const char *k, size_t klen);
    void (*close)(void *e);
    void *ctx;
};

/* LMDB, as portico's durable store. */
struct lm {
    MDB_env *env;
    MDB_dbi dbi;
    MDB_txn *held;
    unsigned held_ops;
    int log_fd, data_fd;
    off_t log_off;
    char *logbuf;
    pthread_t ckpt;
    bool pin;
    atomic_bool stop;
};

static void *lm_checkpointer(void *arg)
{
    struct lm *l = arg;
    MDB_txn *pin = NULL;   /* with PIN=1: the snapshot the last checkpoint named */
    while (!atomic_load(&l->stop)) {
        MDB_txn *next = NULL;
        if (l->pin && mdb_txn_begin(l->env, NULL, MDB_RDONLY, &next)) die("pin", "mdb_txn_begin");
        sleep(1);
        fdatasync(l->data_fd);
        if (pin) mdb_txn_abort(pin);
        pin = next;
    }
    if (pin) mdb_txn_abort(pin);
    return NULL;
}

static void lm_flush(struct lm *l)
{
    if (!l->held) return;
    int rc = mdb_txn_commit(l->held);
    if (rc) die("mdb_txn_commit", mdb_strerror(rc));
    l->held = NULL;
    l->held_ops = 0;
}

static void lm_write_group(void *e, uint64_t first, unsigned n, const char *value)
{
    struct lm *l = e;
    int rc;
    if (!l->held && (rc = mdb_txn_begin(l->env, NULL, 0, &l->held))) die("mdb_txn_begin", mdb_strerror(rc));
    MDB_txn *t;
    if ((rc = mdb_txn_begin(l->env, l->held, 0, &t))) die("mdb_txn_begin (nested)", mdb_strerror(rc));
    size_t len = 0;
    for (unsigned i = 0; i < n; i++) {
        char k[64];
        size_t kl = make_key(k, first + i);
        MDB_val mk = {kl, k}, mv = {VALUE_LEN, (void *)value};
        if ((rc = mdb_put(t, l->dbi, &mk, &mv, 0))) die("mdb_put", mdb_strerror(rc));
        memcpy(l->logbuf + len, k, kl);
        memcpy(l->logbuf + len + kl, value, VALUE_LEN);
        len += kl + VALUE_LEN;
    }
    if (pwrite(l->log_fd, l->logbuf, len, l->log_off) != (ssize_t)len || fdatasync(l->log_fd))
        die("log", strerror(errno));
    l->log_off += (off_t)len;
    if (l->log_off > (off_t)32 << 20) l->log_off = 0;   /* a recycled segment */
    if ((rc = mdb_txn_commit(t))) die("mdb_txn_commit (nested)", mdb_strerror(rc));
    l->held_ops += n;
    if (l->held_ops >= FLUSH_OPS) lm_flush(l);
}

static int lm_get(void *e, const char *k, size_t klen)
{
    struct lm *l = e;
    MDB_txn *t;
    if (mdb_txn_begin(l->env, NULL, MDB_RDONLY, &t)) die("mdb_txn_begin", "read");
    MDB_val mk = {klen, (void *)k}, mv;
    int rc = mdb_get(t, l->dbi, &mk, &mv);
    mdb_txn_abort(t);
    return rc == 0;
}

static void lm_close(void *e)
{
    struct lm *l = e;
    lm_flush(l);
    atomic_store(&l->stop, true);
    pthread_join(l->ckpt, NULL);
    mdb_env_sync(l->env, 1);
    mdb_env_close(l->env);
    close(l->log_fd);
    close(l->data_fd);
    free(l->logbuf);
    free(l);
}

static struct engine open_lmdb(const char *dir)
{
    struct lm *l = calloc(1, sizeof *l);
    char path[4096];
    int rc;
    if ((rc = mdb_env_create(&l->env)) || (rc = mdb_env_set_mapsize(l->env, (size_t)64 << 30)) ||
        (rc = mdb_env_open(l->env, dir, MDB_NOTLS | MDB_NOSYNC | MDB_NOMETASYNC | MDB_NORDAHEAD, 0600)))
        die("mdb_env_open", mdb_strerror(rc));
    MDB_txn *t;
    if ((rc = mdb_txn_begin(l->env, NULL, 0, &t)) || (rc = mdb_dbi_open(t, NULL, 0, &l->dbi)) ||
        (rc = mdb_txn_commit(t)))
        die("mdb_dbi_open", mdb_strerror(rc));
    snprintf(path, sizeof path, "%s/wal.log", dir);
    if ((l->log_fd = open(path, O_RDWR | O_CREAT, 0600)) < 0) die(path, strerror(errno));
    /* Prefilled, as portico's segments. */
    char *zeros = calloc(1, 1 << 20);
    for (int i = 0; i < 34; i++)
        if (write(l->log_fd, zeros, 1 << 20) != 1 << 20) die(path, strerror(errno));
    free(zeros);
    fdatasync(l->log_fd);
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    if ((l->data_fd = open(path, O_RDONLY)) < 0) die(path, strerror(errno));
    l->logbuf = malloc((size_t)GROUP * (64 + VALUE_LEN));
    l->pin = getenv("PIN") && !strcmp(getenv("PIN"), "1");
    pthread_create(&l->ckpt, NULL, lm_checkpointer, l);
    return (struct engine){lm_write_group, lm_get, lm_close, l};
}

/* RocksDB. */
struct rk {
    rocksdb_t *db;
    rocksdb_options_t *opts;
    rocksdb_writeoptions_t *wo;
    rocksdb_readoptions_t *ro;
    rocksdb_writebatch_t *wb;
    rocksdb_block_based_table_options_t *bbo;
    rocksdb_cache_t *cache;
};

static void rk_write_group(void *e, uint64_t first, unsigned n, const char *value)
{
    struct rk *r = e;
    char *err = NULL;
    rocksdb_writebatch_clear(r->wb);
    for (unsigned i = 0; i < n; i++) {
        char k[64];
        size_t kl = make_key(k, first + i);
        rocksdb_writebatch_put(r->wb, k, kl, value, VALUE_LEN);
    }
    rocksdb_write(r->db, r->wo, r->wb, &err);
    if (err) die("rocksdb_write", err);
}

static int rk_get(void *e, const char *k, size_t klen)
{
    struct rk *r = e;
    char *err = NULL;
    rocksdb_pinnableslice_t *v = rocksdb_get_pinned(r->db, r->ro, k, klen, &err);
    if (err) die("rocksdb_get", err);
    int found = v != NULL;
    rocksdb_pinnableslice_destroy(v);
    return found;
}

static void rk_close(void *e)
{
    struct rk *r = e;
    rocksdb_close(r->db);
    rocksdb_writebatch_destroy(r->wb);
    rocksdb_writeoptions_destroy(r->wo);
    rocksdb_readoptions_destroy(r->ro);
    rocksdb_options_destroy(r->opts);
    rocksdb_block_based_options_destroy(r->bbo);
    rocksdb_cache_destroy(r->cache);
    free(r);
}

static struct engine open_rocksdb(const char *dir)
{
    struct rk *r = calloc(1, sizeof *r);
    char *err = NULL;
    r->opts = rocksdb_options_create();
    rocksdb_options_set_create_if_missing(r->opts, 1);
    rocksdb_options_increase_parallelism(r->opts, 2);
    rocksdb_options_optimize_level_style_compaction(r->opts, (uint64_t)32 << 20);
    rocksdb_options_set_max_open_files(r->opts, 512);
    r->bbo = rocksdb_block_based_options_create();
    r->cache = rocksdb_cache_create_lru((size_t)64 << 20);
    rocksdb_block_based_options_set_block_cache(r->bbo, r->cache);
    rocksdb_block_based_options_set_filter_policy(r->bbo, rocksdb_filterpolicy_create_bloom(10));
    rocksdb_options_set_block_based_table_factory(r->opts, r->bbo);
    r->db = rocksdb_open(r->opts, dir, &err);
    if (err) die("rocksdb_open", err);
    r->wo = rocksdb_writeoptions_create();
    rocksdb_writeoptions_set_sync(r->wo, 1);
    r->ro = rocksdb_readoptions_create();
    r->wb = rocksdb_writebatch_create();
    return (struct engine){rk_write_group, rk_get, rk_close, r};
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: store_micro lmdb|rocksdb DIR SECONDS\n");
        return 2;
    }
    const char *dir = argv[2];
    double secs = atof(argv[3]);
    mkdir(dir, 0700);
    struct engine e;
    if (!strcmp(argv[1], "lmdb")) e = open_lmdb(dir);
    else if (!strcmp(argv[1], "rocksdb")) e = open_rocksdb(dir);
    else die(argv[1], "unknown engine");
    char value[VALUE_LEN];
    memset(value, 'x', sizeof value);

    uint64_t n = 0;
    while (n < PRELOAD) {
        e.write_group(e.ctx, n, GROUP, value);
        n += GROUP;
    }
    double t0 = now_s(), c0 = cpu_s();
    unsigned long long b0 = write_bytes();
    uint64_t start = n;
    while (now_s() - t0 < secs) {
        e.write_group(e.ctx, n, GROUP, value);
        n += GROUP;
    }
    double dt = now_s() - t0, dc = cpu_s() - c0;
    double items = (double)(n - start);
    printf("%-8s writes: %9.0f items/s  %5.2f us CPU/item  %6.0f bytes written/item  (%llu items in the table)\n",
           argv[1], items / dt, dc / items * 1e6, (double)(write_bytes() - b0) / items, (unsigned long long)n);

    uint64_t gets = 0, found = 0, x = 88172645463325252ull;
    t0 = now_s();
    while (now_s() - t0 < secs) {
        for (int i = 0; i < 1000; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            char k[64];
            size_t kl = make_key(k, x % PRELOAD);
            found += (uint64_t)e.get(e.ctx, k, kl);
            gets++;
        }
    }
    dt = now_s() - t0;
    printf("%-8s reads:  %9.0f gets/s on one thread (%llu of %llu found)\n", argv[1], gets / dt,
           (unsigned long long)found, (unsigned long long)gets);
    e.close(e.ctx);
    return found == gets ? 0 : 1;
}
