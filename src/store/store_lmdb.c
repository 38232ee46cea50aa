/* The ordered-KV store (store.h) on LMDB.
 *
 * One environment per data directory, one unnamed database, keys compared
 * with memcmp (LMDB's default). The environment is opened with MDB_NOTLS:
 * read transactions are begun on event-loop threads, handed around and
 * reused, so a reader slot must belong to the transaction object, not to
 * the thread that happened to create it.
 *
 * Read transactions are the hot path (one per GetItem), so finished read
 * transactions are not aborted but reset (mdb_txn_reset: the snapshot is
 * released, the reader slot is kept) and parked on a small mutex-protected
 * free list; the next pt_txn_begin(READ) renews one, which with MDB_NOTLS
 * only reads the current txnid and takes no lock in shared memory. At most
 * READ_CACHE_MAX parked transactions hold reader slots, well under
 * MAX_READERS.
 *
 * Read snapshots are guarded against an LMDB 0.9 race that can hand a
 * reader a newer-than-latest (or torn) meta page, after which its next
 * snapshot goes back in time: see begin_snapshot().
 *
 * Cursors are tracked per transaction so that ending a transaction closes
 * every cursor still open on it and detaches the wrapper: pt_cursor_close()
 * after the transaction ended is then harmless instead of a double free
 * (LMDB frees write-transaction cursors itself at commit/abort).
 *
 * The directory is flock()ed for the lifetime of the store: two stores on
 * one directory (even in one process, which LMDB forbids) fail to open
 * instead of corrupting each other's in-memory caches.
 *
 * What it does not do: grow the map. mdb_env_set_mapsize() may only be
 * called while no transaction is active in the process, which cannot be
 * guaranteed with readers on every event loop; the map is sparse address
 * space, so the default is large (64 GiB) and MDB_MAP_FULL is reported with
 * the configured size so the operator can reopen with a larger one.
 *
 * Long keys. LMDB limits keys to 511 bytes; DynamoDB keys encode to several
 * KB. A logical key of up to LONG_KEY_MIN - 1 (510) bytes is stored as is;
 * a longer one is stored under a physical key of exactly LONG_KEY_MIN bytes
 * (its first LONG_PREFIX bytes + a 128-bit hash of the whole key), and the
 * value is prefixed with u16 BE length + the logical key. The two forms
 * differ in length, so they can never collide, and a physical key of 511
 * bytes always means "long form". Every function below translates, so
 * callers see logical keys only. Order is exact except among long keys
 * sharing their first LONG_PREFIX bytes, which order by hash (documented in
 * docs/compatibility.md); a hash collision is detected on read (the stored
 * logical key is compared) and reported as not found.
 *
 * Durability (opts.durable; docs/architecture.md, "Durability"). LMDB runs
 * with MDB_NOSYNC | MDB_NOMETASYNC and a write-ahead log (wal.h) makes
 * commits durable: every write transaction records the physical operations
 * it applied (after the long-key translation) in one op buffer owned by
 * the store; a nested transaction remembers the buffer's length when it
 * began and truncates back to it on abort, which is exactly "a child's ops
 * are appended to its parent's on commit and dropped on abort" without a
 * copy. A top-level commit appends the buffer as one record to the current
 * segment (one pwrite), fdatasyncs it, and only then commits LMDB, so no
 * reader ever sees a write that is not durable. If anything fails after
 * the record may be on disk, the record is invalidated (its header zeroed
 * and synced); if even that fails the store refuses every later write, so
 * the log and LMDB never disagree silently.
 *
 * Checkpoints make LMDB itself durable and let old segments go. Invariant:
 * the snapshot C named by the durable `checkpoint` file is entirely on disk
 * and none of its pages is overwritten until a newer checkpoint file is
 * durable. The writer, right after a commit, reads the two meta pages
 * (snapshot C and C-1), begins a read transaction on C (the "pin": LMDB
 * reuses a page freed by txn X only when X is older than every reader, so
 * C's pages stay put) and switches to a new segment; the checkpointer
 * thread then fdatasyncs data.mdb, writes the checkpoint file, and only
 * then releases the previous pin and recycles the old segments. Recovery
 * (in pt_store_open) writes C's meta pages back over data.mdb, which rolls
 * LMDB back to C, and replays the records logged after C.
 *
 * Deferred LMDB commits (durable stores; docs/architecture.md, "Deferred
 * LMDB commits"). Every LMDB commit rewrites each page it touched (leaf,
 * branches, root, free list): ~40 pages for 15 random puts, and all of
 * them are written back to disk at the next checkpoint, which made the
 * disk's bandwidth, not the log's fsync, the limit of durable writes. So a
 * top-level write transaction is a child of one long LMDB transaction,
 * `held`: its commit appends the log record and fsyncs it (durable), folds
 * the child into `held` (no I/O), and publishes its ops in the overlay
 * (overlay.h), which makes them visible to readers. `held` itself is
 * committed (pt_store_flush) every FLUSH_MS, past FLUSH_BYTES of overlay or
 * PT_STORE_FLUSH_OPS operations (which bounds LMDB's dirty pages, kept in
 * memory until the commit), or when the writer goes idle, and the overlay
 * generation it made redundant is replaced by an empty one. A reader's
 * snapshot pairs the overlay generation with exactly the LMDB snapshot it
 * sits on (begin_snapshot checks the txnid and retries), so it is always
 * one consistent state. The writer's own transactions need no overlay:
 * `held` contains everything. */
#include "store/store.h"
#include "store/overlay.h"
#include "store/wal.h"
#include "util/arena.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_MAP_SIZE ((size_t)64 << 30)
#define MAX_READERS 1024
#define READ_CACHE_MAX 64
#define DEFAULT_CHECKPOINT_BYTES ((size_t)32 << 20)
#define DEFAULT_CHECKPOINT_MS 1000u
#define SEGMENT_PREFILL_MAX ((size_t)32 << 20)
#define OPEN_PREFILL ((size_t)8 << 20)
#define REPLAY_OPS_PER_TXN 65536
#define FLUSH_MS 50u
#define FLUSH_BYTES ((size_t)32 << 20)

/* One checkpoint in flight: filled by the writer, finished by the
 * checkpointer thread (or synchronously at open/close). */
struct ckpt_job {
    uint8_t *metas;                /* 2 * psize: the meta pages of snapshot C */
    MDB_txn *pin;                  /* read txn on C */
    uint64_t seq;                  /* last log sequence included in C */
    uint64_t first_seg;            /* first segment after C */
};

struct pt_store {
    MDB_env *env;
    MDB_dbi dbi;
    size_t map_size;
    bool durable;
    int dir_fd;                    /* holds the flock on the directory */
    /* Top-level write commits that returned (see begin_snapshot). */
    _Atomic uint64_t commits_done;
    pthread_mutex_t cache_lock;    /* guards read_cache / read_cached */
    pt_txn_t *read_cache[READ_CACHE_MAX];
    int read_cached;

    /* ---- write-ahead log (durable stores only; see the file comment) ---- */
    bool wal;
    char *path;
    unsigned psize;
    int data_fd;                   /* data.mdb, read-only: the meta pages */
    int test_exit_at;
    size_t checkpoint_bytes, prefill;
    uint64_t checkpoint_ns;
    /* Owned by the thread running write transactions. */
    pt_wal_buf_t ops;              /* ops of the open write transaction */
    size_t held_ops;               /* ops published since the last flush */
    int seg_fd;
    uint64_t segno, seg_off;       /* current segment, its logical end */
    uint64_t seq;                  /* last sequence appended */
    uint64_t last_checkpoint_ns;
    bool wal_failed;               /* log and LMDB may disagree: no more writes */
    /* The checkpointer. `job`, `pin` and the spare segment belong to the
     * checkpointer while ckpt_posted, to the writer otherwise. */
    pthread_mutex_t ckpt_lock;
    pthread_cond_t ckpt_cond;
    pthread_t ckpt_thread;
    bool ckpt_thread_started, ckpt_posted, ckpt_stop;
    struct ckpt_job job;
    MDB_txn *pin;                  /* pin of the current durable checkpoint */
    int spare_fd;                  /* prepared next segment, or -1 */
    uint64_t spare_segno;
    bool trace;
    /* ---- deferred LMDB commits (durable stores; see the file comment) ---- */
    bool defer;
    MDB_txn *held;                 /* writer thread: the open LMDB transaction */
    pthread_t held_owner;          /* the thread that began it: LMDB's write lock is its */
    uint64_t held_ns;              /* when `held` began */
    pthread_mutex_t ov_lock;       /* guards the `ov` pointer (not its content) */
    pt_overlay_t *ov;              /* current generation, on top of LMDB's last commit */
    _Atomic uint64_t st_records, st_bytes, st_checkpoints, st_ckpt_max, st_ckpt_total;
    uint64_t st_replayed;
};

struct pt_txn {
    pt_store_t *store;
    MDB_txn *txn;
    pt_txn_t *parent;
    int mode;
    bool deferred;                 /* top-level write: a child of store->held */
    pt_cursor_t *cursors;          /* open cursors, closed when the txn ends */
    size_t ops_mark;               /* store->ops length when a nested txn began */
    /* Read transactions: the overlay generation on top of this LMDB
     * snapshot and the last sequence visible in it (NULL: none). */
    pt_overlay_t *ov;
    uint64_t snap;
};

/* A cursor of a read transaction with an overlay merges two ordered
 * sources by physical key: LMDB's cursor and the overlay's entries (which
 * win on equal keys; deletions hide the key). `dir` is the direction of
 * the last move (1 next, -1 prev, 0 unpositioned); in a direction each
 * source is positioned at its next candidate, and a change of direction
 * repositions both around the current key. */
struct pt_cursor {
    MDB_cursor *cur;               /* NULL once its transaction ended */
    pt_txn_t *txn;
    pt_cursor_t *prev, *next;      /* links in txn->cursors */
    int dir;
    bool lm_ok;                    /* lm_k/lm_v hold LMDB's candidate */
    MDB_val lm_k, lm_v;
    const pt_ov_node_t *ov_n;      /* the overlay's candidate, or NULL */
    bool at_lm, at_ov;             /* what the current entry came from */
    MDB_val cur_k;                 /* physical key of the current entry */
};

/* ---- errors ---- */

static int lmdb_error(pt_error_t *err, int rc, const char *what, const pt_store_t *s)
{
    if (rc == MDB_MAP_FULL)
        return pt_error_set(err, PT_E_INTERNAL,
                            "%s: storage map is full (map size %zu bytes); reopen the "
                            "data directory with a larger map size",
                            what, s ? s->map_size : (size_t)0);
    return pt_error_set(err, PT_E_INTERNAL, "%s: %s", what, mdb_strerror(rc));
}

static int check_key(pt_slice_t key, const char *what, pt_error_t *err)
{
    if (key.len == 0)
        return pt_error_set(err, PT_E_INTERNAL, "%s: empty key", what);
    if (key.len > PT_STORE_MAX_KEY_LEN)
        return pt_error_set(err, PT_E_INTERNAL, "%s: key of %zu bytes exceeds the store limit of %d",
                            what, key.len, PT_STORE_MAX_KEY_LEN);
    return PT_OK;
}

/* ---- long keys (see the file comment) ---- */

#define LONG_KEY_MIN 511                /* physical length of every long-form key */
#define LONG_HASH 16
#define LONG_PREFIX (LONG_KEY_MIN - LONG_HASH)

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

/* Two independent 64-bit FNV-1a streams, each finalised: 128 bits. */
static void long_hash(const uint8_t *p, size_t n, uint8_t out[LONG_HASH])
{
    uint64_t a = 0xcbf29ce484222325ULL, b = 0x84222325cbf29ce4ULL ^ n;
    for (size_t i = 0; i < n; i++) {
        a = (a ^ p[i]) * 0x100000001b3ULL;
        b = (b ^ p[i] ^ (uint8_t)(i * 131)) * 0x100000001b3ULL;
    }
    a = mix64(a ^ n);
    b = mix64(b + 0x9e3779b97f4a7c15ULL);
    for (int i = 0; i < 8; i++) {
        out[i] = (uint8_t)(a >> (56 - 8 * i));
        out[8 + i] = (uint8_t)(b >> (56 - 8 * i));
    }
}

/* The physical key of a logical one; `buf` holds LONG_KEY_MIN bytes. */
static MDB_val physical_key(pt_slice_t key, uint8_t *buf)
{
    MDB_val k = {key.len, (void *)key.data};
    if (key.len < LONG_KEY_MIN) return k;
    memcpy(buf, key.data, LONG_PREFIX);
    long_hash(key.data, key.len, buf + LONG_PREFIX);
    k.mv_size = LONG_KEY_MIN;
    k.mv_data = buf;
    return k;
}

/* Splits a stored (key, value) into the logical key and the caller's
 * value. Returns false if a long-form value is malformed. */
static bool logical_entry(const MDB_val *k, const MDB_val *v, pt_slice_t *ko, pt_slice_t *vo)
{
    if (k->mv_size != LONG_KEY_MIN) {
        if (ko) { ko->data = k->mv_data; ko->len = k->mv_size; }
        if (vo) { vo->data = v->mv_data; vo->len = v->mv_size; }
        return true;
    }
    const uint8_t *p = v->mv_data;
    if (v->mv_size < 2) return false;
    size_t klen = (size_t)p[0] << 8 | p[1];
    if (klen < LONG_KEY_MIN || v->mv_size < 2 + klen) return false;
    if (ko) { ko->data = p + 2; ko->len = klen; }
    if (vo) { vo->data = p + 2 + klen; vo->len = v->mv_size - 2 - klen; }
    return true;
}

static inline MDB_val to_val(pt_slice_t s)
{
    MDB_val v = {s.len, (void *)s.data};
    return v;
}

/* ---- open / close ---- */

/* mkdir -p with mode 0700 for every directory created. */
static int make_dirs(const char *path, pt_error_t *err)
{
    char buf[PATH_MAX];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof buf)
        return pt_error_set(err, PT_E_INTERNAL, "invalid data directory path");
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != 0) continue;
        char saved = buf[i];
        buf[i] = 0;
        if (mkdir(buf, 0700) != 0 && errno != EEXIST)
            return pt_error_set(err, PT_E_INTERNAL, "mkdir %s: %s", buf, strerror(errno));
        buf[i] = saved;
    }
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return pt_error_set(err, PT_E_INTERNAL, "%s is not a directory", path);
    return PT_OK;
}

/* ---- write-ahead log: segments and checkpoints ---- */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static size_t env_size(const char *name, size_t dflt)
{
    const char *v = getenv(name);
    if (!v || !*v) return dflt;
    char *end;
    unsigned long long n = strtoull(v, &end, 10);
    return (*end || n == 0) ? dflt : (size_t)n;
}

/* Opens (creating if needed) segment `segno`; a created file's name is made
 * durable before any record in it can be acknowledged. */
static int open_segment(pt_store_t *s, uint64_t segno, int *fd_out, pt_error_t *err)
{
    char path[PATH_MAX];
    if (pt_wal_segment_path(path, sizeof path, s->path, segno))
        return pt_error_set(err, PT_E_INTERNAL, "wal: path too long");
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return pt_error_set(err, PT_E_INTERNAL, "open %s: %s", path, strerror(errno));
    if (fsync(s->dir_fd) != 0) {
        close(fd);
        return pt_error_set(err, PT_E_INTERNAL, "fsync %s: %s", s->path, strerror(errno));
    }
    *fd_out = fd;
    return PT_OK;
}

/* Deletes the segments below `below`, which the durable checkpoint made
 * obsolete. If recycle_as is not 0, the newest obsolete file is renamed to
 * that segment instead (its blocks are written already, so appends to it
 * have cheap fdatasyncs) and returned open in *recycled (else -1). */
static void remove_old_segments(pt_store_t *s, uint64_t below, uint64_t recycle_as, int *recycled)
{
    if (recycled) *recycled = -1;
    uint64_t *segs;
    size_t n;
    pt_error_t err;
    if (pt_wal_list(s->path, &segs, &n, &err)) {
        fprintf(stderr, "portico: wal: %s\n", err.message);
        return;
    }
    char path[PATH_MAX], to[PATH_MAX];
    for (size_t i = n; i-- > 0;) {
        if (segs[i] >= below) continue;
        if (pt_wal_segment_path(path, sizeof path, s->path, segs[i])) continue;
        if (recycled && recycle_as && *recycled < 0 &&
            pt_wal_segment_path(to, sizeof to, s->path, recycle_as) == PT_OK &&
            rename(path, to) == 0) {
            *recycled = open(to, O_RDWR | O_CLOEXEC);
            continue;
        }
        unlink(path);
    }
    free(segs);
    if (fsync(s->dir_fd) != 0 && recycled && *recycled >= 0) {
        close(*recycled);   /* the rename may not be durable: do not append to it */
        *recycled = -1;
    }
}

/* Writer side of a checkpoint, with no write transaction open: pins the
 * snapshot C just committed and captures its meta pages. */
static int checkpoint_begin(pt_store_t *s, struct ckpt_job *job, uint64_t first_seg, pt_error_t *err)
{
    MDB_txn *pin;
    int rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &pin);
    if (rc) return lmdb_error(err, rc, "checkpoint: mdb_txn_begin", s);
    size_t n = 2 * (size_t)s->psize;
    ssize_t got = pread(s->data_fd, job->metas, n, 0);
    if (got != (ssize_t)n) {
        mdb_txn_abort(pin);
        return pt_error_set(err, PT_E_INTERNAL, "checkpoint: reading the meta pages: %s",
                            got < 0 ? strerror(errno) : "short read");
    }
    /* The newer meta page must be exactly the pinned snapshot: the pages
     * we save then describe a tree the pin keeps intact. */
    const uint8_t *m0 = job->metas, *m1 = job->metas + s->psize;
    uint64_t t0 = pt_wal_meta_txnid(m0), t1 = pt_wal_meta_txnid(m1);
    if (!pt_wal_meta_valid(m0) || !pt_wal_meta_valid(m1) || (t0 > t1 ? t0 : t1) != mdb_txn_id(pin)) {
        mdb_txn_abort(pin);
        return pt_error_set(err, PT_E_INTERNAL, "checkpoint: meta pages do not match the pinned "
                            "snapshot %zu", (size_t)mdb_txn_id(pin));
    }
    job->pin = pin;
    job->seq = s->seq;
    job->first_seg = first_seg;
    return PT_OK;
}

/* Makes the pinned snapshot durable and names it in the checkpoint file;
 * then the previous pin and the old segments can go. On failure the
 * previous checkpoint stays current (its pin and segments are kept). */
static int checkpoint_finish(pt_store_t *s, struct ckpt_job *job, uint64_t recycle_as,
                             int *recycled, pt_error_t *err)
{
    uint64_t t0 = now_ns();
    if (recycled) *recycled = -1;
    int rc = mdb_env_sync(s->env, 1);
    if (rc) {
        lmdb_error(err, rc, "checkpoint: mdb_env_sync", s);
        goto fail;
    }
    pt_wal_checkpoint_t c = {.seq = job->seq, .first_seg = job->first_seg, .psize = s->psize,
                             .metas = job->metas};
    if (pt_wal_checkpoint_write(s->path, s->dir_fd, &c, err)) goto fail;
    if (s->pin) mdb_txn_abort(s->pin);
    s->pin = job->pin;
    job->pin = NULL;
    remove_old_segments(s, job->first_seg, recycle_as, recycled);
    uint64_t dt = now_ns() - t0;
    atomic_fetch_add(&s->st_checkpoints, 1);
    atomic_fetch_add(&s->st_ckpt_total, dt);
    if (dt > atomic_load(&s->st_ckpt_max)) atomic_store(&s->st_ckpt_max, dt);
    if (s->trace)
        fprintf(stderr, "portico: checkpoint seq %llu segment %llu: %.2f ms\n",
                (unsigned long long)job->seq, (unsigned long long)job->first_seg, dt / 1e6);
    return PT_OK;
fail:
    mdb_txn_abort(job->pin);
    job->pin = NULL;
    return PT_ERR;
}

static void *checkpointer_main(void *arg)
{
    pt_store_t *s = arg;
    pthread_mutex_lock(&s->ckpt_lock);
    for (;;) {
        while (!s->ckpt_posted && !s->ckpt_stop) pthread_cond_wait(&s->ckpt_cond, &s->ckpt_lock);
        if (!s->ckpt_posted) break;   /* stopping, nothing in flight */
        pthread_mutex_unlock(&s->ckpt_lock);

        pt_error_t err;
        uint64_t next = s->job.first_seg + 1;   /* the writer's next segment */
        int recycled = -1;
        if (checkpoint_finish(s, &s->job, s->spare_fd < 0 ? next : 0, &recycled, &err))
            fprintf(stderr, "portico: checkpoint failed (the log keeps growing): %s\n", err.message);
        if (s->spare_fd < 0) {
            if (recycled < 0 && open_segment(s, next, &recycled, &err)) {
                fprintf(stderr, "portico: wal: %s\n", err.message);
                recycled = -1;
            }
            if (recycled >= 0 && pt_wal_prefill(recycled, s->prefill, &err)) {
                fprintf(stderr, "portico: wal: %s\n", err.message);
                close(recycled);
                recycled = -1;
            }
            s->spare_fd = recycled;
            s->spare_segno = next;
        }

        pthread_mutex_lock(&s->ckpt_lock);
        s->ckpt_posted = false;
        pthread_cond_broadcast(&s->ckpt_cond);
    }
    pthread_mutex_unlock(&s->ckpt_lock);
    return NULL;
}

/* Writer side, after a top-level commit: start a checkpoint if one is due
 * and none is in flight. Failures only delay the checkpoint. */
static void maybe_checkpoint(pt_store_t *s)
{
    uint64_t now = now_ns();
    if (s->seg_off < s->checkpoint_bytes && now - s->last_checkpoint_ns < s->checkpoint_ns) return;
    pthread_mutex_lock(&s->ckpt_lock);
    bool busy = s->ckpt_posted;
    pthread_mutex_unlock(&s->ckpt_lock);
    if (busy) return;
    pt_error_t err;
    uint64_t next = s->segno + 1;
    if (checkpoint_begin(s, &s->job, next, &err)) {
        fprintf(stderr, "portico: %s\n", err.message);
        return;
    }
    int fd = -1;
    if (s->spare_fd >= 0 && s->spare_segno == next) {
        fd = s->spare_fd;
        s->spare_fd = -1;
    } else {
        if (s->spare_fd >= 0) close(s->spare_fd);
        s->spare_fd = -1;
        if (open_segment(s, next, &fd, &err)) {
            fprintf(stderr, "portico: %s\n", err.message);
            mdb_txn_abort(s->job.pin);
            s->job.pin = NULL;
            return;
        }
    }
    close(s->seg_fd);
    s->seg_fd = fd;
    s->segno = next;
    s->seg_off = 0;
    s->last_checkpoint_ns = now;
    pthread_mutex_lock(&s->ckpt_lock);
    s->ckpt_posted = true;
    pthread_cond_signal(&s->ckpt_cond);
    pthread_mutex_unlock(&s->ckpt_lock);
}

/* Checkpoint taken synchronously (open, close): snapshot = the latest. */
static int checkpoint_now(pt_store_t *s, uint64_t first_seg, uint64_t recycle_as, int *recycled,
                          pt_error_t *err)
{
    if (checkpoint_begin(s, &s->job, first_seg, err)) return PT_ERR;
    return checkpoint_finish(s, &s->job, recycle_as, recycled, err);
}

/* Zeroes the header of the record at the segment's logical end so replay
 * can never apply it. false: it may still be valid on disk. */
static bool invalidate_record(pt_store_t *s)
{
    static const uint8_t zeros[PT_WAL_HDR];
    return pwrite(s->seg_fd, zeros, sizeof zeros, (off_t)s->seg_off) == (ssize_t)sizeof zeros &&
           fdatasync(s->seg_fd) == 0;
}

/* ---- write-ahead log: recovery ---- */

struct replay_ctx {
    pt_store_t *s;
    MDB_txn *txn;
    size_t ops;
};

static int replay_op(void *arg, int type, const uint8_t *key, size_t klen, const uint8_t *val,
                     size_t vlen, pt_error_t *err)
{
    struct replay_ctx *r = arg;
    int rc;
    if (!r->txn && (rc = mdb_txn_begin(r->s->env, NULL, 0, &r->txn)))
        return lmdb_error(err, rc, "replay: mdb_txn_begin", r->s);
    MDB_val k = {klen, (void *)key}, v = {vlen, (void *)val};
    if (klen == 0 || klen > LONG_KEY_MIN)
        return pt_error_set(err, PT_E_INTERNAL, "replay: invalid key length %zu", klen);
    if (type == PT_WAL_OP_PUT) rc = mdb_put(r->txn, r->s->dbi, &k, &v, 0);
    else rc = mdb_del(r->txn, r->s->dbi, &k, NULL);
    if (rc == MDB_NOTFOUND && type == PT_WAL_OP_DEL) rc = MDB_SUCCESS;
    if (rc) return lmdb_error(err, rc, "replay", r->s);
    if (++r->ops % REPLAY_OPS_PER_TXN == 0) {
        rc = mdb_txn_commit(r->txn);
        r->txn = NULL;
        if (rc) return lmdb_error(err, rc, "replay: mdb_txn_commit", r->s);
    }
    return PT_OK;
}

/* Before mdb_env_open: roll data.mdb back to the checkpointed snapshot. */
static int restore_meta_pages(pt_store_t *s, const pt_wal_checkpoint_t *c, pt_error_t *err)
{
    char file[PATH_MAX];
    if (snprintf(file, sizeof file, "%s/data.mdb", s->path) >= (int)sizeof file)
        return pt_error_set(err, PT_E_INTERNAL, "data directory path too long");
    int fd = open(file, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return pt_error_set(err, PT_E_INTERNAL, "%s/checkpoint exists but %s cannot be opened: %s",
                            s->path, file, strerror(errno));
    size_t n = 2 * (size_t)c->psize;
    int rc = PT_OK;
    if (pwrite(fd, c->metas, n, 0) != (ssize_t)n || fdatasync(fd) != 0)
        rc = pt_error_set(err, PT_E_INTERNAL, "restoring the checkpoint's meta pages into %s: %s",
                          file, strerror(errno));
    close(fd);
    return rc;
}

/* After mdb_env_open: replay the log after the checkpoint, checkpoint the
 * result, and open the segment new writes go to. */
static int wal_recover(pt_store_t *s, const pt_wal_checkpoint_t *c, bool have_ckpt, pt_error_t *err)
{
    uint64_t *segs = NULL;
    size_t n = 0;
    if (pt_wal_list(s->path, &segs, &n, err)) return PT_ERR;
    int rc = PT_OK;
    struct replay_ctx r = {.s = s};
    uint64_t last = have_ckpt ? c->seq : 0, max_seg = have_ckpt ? c->first_seg : 0;
    char path[PATH_MAX];
    for (size_t i = 0; i < n; i++) {
        if (segs[i] > max_seg) max_seg = segs[i];
        if (pt_wal_segment_path(path, sizeof path, s->path, segs[i])) {
            rc = pt_error_set(err, PT_E_INTERNAL, "wal: path too long");
            goto out;
        }
        uint64_t gap = 0;
        if (!have_ckpt) {
            /* Nothing is logged before the first checkpoint exists, so a
             * valid record here means the checkpoint file was lost. */
            uint64_t probe = UINT64_MAX - 1;
            if ((rc = pt_wal_replay(path, segs[i], &probe, &gap, replay_op, &r, err))) goto out;
            if (gap) {
                rc = pt_error_set(err, PT_E_INTERNAL, "%s holds log records but %s/checkpoint is "
                                  "missing; refusing to open the data directory", path, s->path);
                goto out;
            }
            continue;
        }
        if (segs[i] < c->first_seg) continue;   /* already in the checkpoint */
        uint64_t before = last;
        if ((rc = pt_wal_replay(path, segs[i], &last, &gap, replay_op, &r, err))) goto out;
        s->st_replayed += last - before;
        if (gap) {
            rc = pt_error_set(err, PT_E_INTERNAL, "%s starts at log record %llu but record %llu is "
                              "missing; refusing to open the data directory", path,
                              (unsigned long long)gap, (unsigned long long)last + 1);
            goto out;
        }
    }
    if (r.txn) {
        int mrc = mdb_txn_commit(r.txn);
        r.txn = NULL;
        if (mrc) {
            rc = lmdb_error(err, mrc, "replay: mdb_txn_commit", s);
            goto out;
        }
    }
    s->seq = last;
    /* The replayed state becomes the new checkpoint; then the replayed
     * segments are obsolete and one of them becomes the new segment. */
    uint64_t seg = max_seg + 1;
    int fd = -1;
    if ((rc = checkpoint_now(s, seg, seg, &fd, err))) goto out;
    if (fd < 0 && (rc = open_segment(s, seg, &fd, err))) goto out;
    /* Appends that extend the file make every fdatasync commit the
     * filesystem journal (2-3x the cost of overwriting written blocks), so
     * even the first segment is prefilled, with less than a full one to
     * keep opening quick; the checkpointer prepares full-size segments. */
    size_t first = s->prefill < OPEN_PREFILL ? s->prefill : OPEN_PREFILL;
    if ((rc = pt_wal_prefill(fd, first, err))) {
        close(fd);
        goto out;
    }
    s->seg_fd = fd;
    s->segno = seg;
    s->seg_off = 0;
    s->last_checkpoint_ns = now_ns();
out:
    if (r.txn) mdb_txn_abort(r.txn);
    free(segs);
    return rc;
}

int pt_store_open(const pt_store_options_t *opts, pt_store_t **out, pt_error_t *err)
{
    *out = NULL;
    if (!opts || !opts->path)
        return pt_error_set(err, PT_E_INTERNAL, "store: no data directory given");
    if (make_dirs(opts->path, err)) return PT_ERR;

    pt_store_t *s = calloc(1, sizeof *s);
    if (!s) return pt_error_set(err, PT_E_INTERNAL, "store: out of memory");
    atomic_init(&s->commits_done, 0);
    s->dir_fd = -1;
    s->durable = opts->durable;
    s->map_size = opts->map_size ? opts->map_size : DEFAULT_MAP_SIZE;
    pthread_mutex_init(&s->cache_lock, NULL);
    pthread_mutex_init(&s->ckpt_lock, NULL);
    pthread_mutex_init(&s->ov_lock, NULL);
    pthread_cond_init(&s->ckpt_cond, NULL);
    s->wal = opts->durable;
    s->data_fd = s->seg_fd = s->spare_fd = -1;
    s->test_exit_at = opts->test_exit_at;
    s->checkpoint_bytes = opts->checkpoint_bytes ? opts->checkpoint_bytes
                                                 : env_size("PORTICO_CHECKPOINT_BYTES", DEFAULT_CHECKPOINT_BYTES);
    s->checkpoint_ns = (uint64_t)(opts->checkpoint_ms ? opts->checkpoint_ms
                                  : env_size("PORTICO_CHECKPOINT_MS", DEFAULT_CHECKPOINT_MS)) * 1000000u;
    /* Prefill a little more than a segment holds before it is rotated. */
    s->prefill = s->checkpoint_bytes + ((size_t)1 << 20);
    if (s->prefill > SEGMENT_PREFILL_MAX) s->prefill = SEGMENT_PREFILL_MAX;
    s->trace = getenv("PORTICO_WAL_TRACE") != NULL;
    pt_wal_checkpoint_t ckpt = {0};
    bool have_ckpt = false;
    if (!(s->path = strdup(opts->path))) {
        pt_error_set(err, PT_E_INTERNAL, "store: out of memory");
        goto fail;
    }

    int rc;
    s->dir_fd = open(opts->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s->dir_fd < 0) {
        pt_error_set(err, PT_E_INTERNAL, "open %s: %s", opts->path, strerror(errno));
        goto fail;
    }
    if (flock(s->dir_fd, LOCK_EX | LOCK_NB) != 0) {
        pt_error_set(err, PT_E_INTERNAL, "data directory %s is in use by another store (%s)",
                     opts->path, strerror(errno));
        goto fail;
    }
    if (s->wal) {
        /* Roll LMDB back to the last checkpoint before LMDB reads it. */
        if (pt_wal_checkpoint_read(opts->path, &ckpt, &have_ckpt, err)) goto fail;
        if (have_ckpt && restore_meta_pages(s, &ckpt, err)) goto fail;
    }
    if ((rc = mdb_env_create(&s->env))) {
        lmdb_error(err, rc, "mdb_env_create", s);
        goto fail;
    }
    assert(mdb_env_get_maxkeysize(s->env) >= LONG_KEY_MIN);
    if ((rc = mdb_env_set_mapsize(s->env, s->map_size)) ||
        (rc = mdb_env_set_maxreaders(s->env, MAX_READERS))) {
        lmdb_error(err, rc, "mdb_env_set", s);
        goto fail;
    }
    /* NORDAHEAD: lookups are random; readahead only pollutes the page cache
     * once the data outgrows RAM. LMDB never syncs by itself: a durable
     * store is made durable by its log and checkpoints, a non-durable one
     * not at all (the meta page sync is skipped too, or the data sync would
     * be the only one skipped). */
    unsigned flags = MDB_NOTLS | MDB_NORDAHEAD | MDB_NOSYNC | MDB_NOMETASYNC;
    if ((rc = mdb_env_open(s->env, opts->path, flags, 0600))) {
        pt_error_set(err, PT_E_INTERNAL, "mdb_env_open %s: %s", opts->path, mdb_strerror(rc));
        goto fail;
    }
    /* Reader slots of a process killed with -9 would pin old pages forever. */
    int dead = 0;
    mdb_reader_check(s->env, &dead);
    /* An existing file larger than the requested map wins (LMDB adopts it). */
    MDB_envinfo info;
    if (mdb_env_info(s->env, &info) == 0) s->map_size = info.me_mapsize;

    MDB_txn *txn;
    if ((rc = mdb_txn_begin(s->env, NULL, 0, &txn))) {
        lmdb_error(err, rc, "mdb_txn_begin", s);
        goto fail;
    }
    if ((rc = mdb_dbi_open(txn, NULL, 0, &s->dbi)) || (rc = mdb_txn_commit(txn))) {
        if (rc != MDB_SUCCESS) mdb_txn_abort(txn);
        lmdb_error(err, rc, "mdb_dbi_open", s);
        goto fail;
    }
    if (s->wal) {
        char file[PATH_MAX];
        MDB_stat st;
        snprintf(file, sizeof file, "%s/data.mdb", opts->path);
        if ((s->data_fd = open(file, O_RDONLY | O_CLOEXEC)) < 0) {
            pt_error_set(err, PT_E_INTERNAL, "open %s: %s", file, strerror(errno));
            goto fail;
        }
        if ((rc = mdb_env_stat(s->env, &st))) {
            lmdb_error(err, rc, "mdb_env_stat", s);
            goto fail;
        }
        s->psize = st.ms_psize;
        if (have_ckpt && ckpt.psize != s->psize) {
            pt_error_set(err, PT_E_INTERNAL, "%s/checkpoint has page size %u, data.mdb %u; refusing "
                         "to open the data directory", opts->path, ckpt.psize, s->psize);
            goto fail;
        }
        if (!(s->job.metas = malloc(2 * (size_t)s->psize))) {
            pt_error_set(err, PT_E_INTERNAL, "store: out of memory");
            goto fail;
        }
        if (wal_recover(s, &ckpt, have_ckpt, err)) goto fail;
        if ((rc = pthread_create(&s->ckpt_thread, NULL, checkpointer_main, s))) {
            pt_error_set(err, PT_E_INTERNAL, "store: pthread_create failed (%d)", rc);
            goto fail;
        }
        pthread_setname_np(s->ckpt_thread, "pt-checkpoint");
        s->ckpt_thread_started = true;
        MDB_envinfo now;
        if ((rc = mdb_env_info(s->env, &now)) || !(s->ov = pt_overlay_new(now.me_last_txnid))) {
            pt_error_set(err, PT_E_INTERNAL, "store: out of memory");
            goto fail;
        }
        s->defer = true;
    }
    free(ckpt.metas);
    *out = s;
    return PT_OK;
fail:
    free(ckpt.metas);
    if (s->pin) mdb_txn_abort(s->pin);
    if (s->env) mdb_env_close(s->env);
    if (s->dir_fd >= 0) close(s->dir_fd);
    if (s->data_fd >= 0) close(s->data_fd);
    if (s->seg_fd >= 0) close(s->seg_fd);
    free(s->job.metas);
    free(s->path);
    pthread_mutex_destroy(&s->cache_lock);
    pthread_mutex_destroy(&s->ckpt_lock);
    pthread_mutex_destroy(&s->ov_lock);
    pthread_cond_destroy(&s->ckpt_cond);
    free(s);
    return PT_ERR;
}

void pt_store_close(pt_store_t *s)
{
    if (!s) return;
    pt_error_t ferr;
    if (pt_store_flush(s, &ferr))
        fprintf(stderr, "portico: %s (the log will be replayed)\n", ferr.message);
    for (int i = 0; i < s->read_cached; i++) {
        mdb_txn_abort(s->read_cache[i]->txn);
        free(s->read_cache[i]);
    }
    /* A clean shutdown of a non-durable store still leaves everything on disk. */
    if (!s->durable) mdb_env_sync(s->env, 1);
    if (s->wal) {
        pthread_mutex_lock(&s->ckpt_lock);
        s->ckpt_stop = true;
        pthread_cond_broadcast(&s->ckpt_cond);
        pthread_mutex_unlock(&s->ckpt_lock);
        if (s->ckpt_thread_started) pthread_join(s->ckpt_thread, NULL);
        /* Final checkpoint: a clean restart replays nothing. */
        pt_error_t err;
        if (!s->wal_failed && checkpoint_now(s, s->segno + 1, 0, NULL, &err))
            fprintf(stderr, "portico: final checkpoint failed (the log will be replayed): %s\n",
                    err.message);
        if (s->pin) mdb_txn_abort(s->pin);
        if (s->seg_fd >= 0) close(s->seg_fd);
        if (s->spare_fd >= 0) close(s->spare_fd);
        close(s->data_fd);
        free(s->job.metas);
        pt_wal_buf_free(&s->ops);
        pt_overlay_unref(s->ov);
    }
    mdb_env_close(s->env);
    close(s->dir_fd);    /* releases the flock */
    pthread_mutex_destroy(&s->cache_lock);
    pthread_mutex_destroy(&s->ckpt_lock);
    pthread_mutex_destroy(&s->ov_lock);
    pthread_cond_destroy(&s->ckpt_cond);
    free(s->path);
    free(s);
}

void pt_store_wal_stats(pt_store_t *s, pt_store_wal_stats_t *out)
{
    out->records = atomic_load(&s->st_records);
    out->bytes = atomic_load(&s->st_bytes);
    out->checkpoints = atomic_load(&s->st_checkpoints);
    out->checkpoint_ns_max = atomic_load(&s->st_ckpt_max);
    out->checkpoint_ns_total = atomic_load(&s->st_ckpt_total);
    out->replayed = s->st_replayed;
}

/* ---- transactions ---- */

static pt_txn_t *read_cache_pop(pt_store_t *s)
{
    pt_txn_t *t = NULL;
    pthread_mutex_lock(&s->cache_lock);
    if (s->read_cached > 0) t = s->read_cache[--s->read_cached];
    pthread_mutex_unlock(&s->cache_lock);
    return t;
}

static bool read_cache_push(pt_store_t *s, pt_txn_t *t)
{
    bool kept = false;
    pthread_mutex_lock(&s->cache_lock);
    if (s->read_cached < READ_CACHE_MAX) {
        s->read_cache[s->read_cached++] = t;
        kept = true;
    }
    pthread_mutex_unlock(&s->cache_lock);
    return kept;
}

/* Starts the snapshot of read transaction t (fresh when t->txn is NULL,
 * else a reset handle to renew).
 *
 * LMDB 0.9 begins a reader by loading the last committed txnid T and then
 * copying the meta page T&1 without checking it again. If the thread is
 * descheduled in between while the writer completes commit T+1 and starts
 * T+2 (which rewrites meta page T&1), the snapshot is T+2's or a torn mix,
 * and the thread's next snapshot can be T+1: reads go back in time (about
 * once per 100,000 commits with 16 reader threads on 2 cores, none in
 * 2,000,000 with this guard; libmdbx fixed the same race with a retry).
 * That window always contains the end of a whole commit (T+1), so if no
 * top-level commit returned while we began, the snapshot is exactly T;
 * otherwise we simply take a new one. */
static int begin_lmdb_snapshot(pt_store_t *s, pt_txn_t *t)
{
    for (;;) {
        uint64_t before = atomic_load(&s->commits_done);
        int rc = t->txn ? mdb_txn_renew(t->txn)
                        : mdb_txn_begin(s->env, NULL, MDB_RDONLY, &t->txn);
        if (rc) return rc;
        if (atomic_load(&s->commits_done) == before) return MDB_SUCCESS;
        mdb_txn_reset(t->txn);
    }
}

/* The snapshot of a store with deferred commits: the overlay generation
 * first, then LMDB. The flush commits LMDB before it replaces the
 * generation, so a generation taken first is never older than the LMDB
 * snapshot taken after; when LMDB is newer than the generation's base (a
 * flush between the two steps), both are taken again. A generation with
 * nothing published is not kept: LMDB alone is then the whole state. */
static int begin_snapshot(pt_store_t *s, pt_txn_t *t)
{
    t->ov = NULL;
    t->snap = 0;
    if (!s->defer) return begin_lmdb_snapshot(s, t);
    for (;;) {
        pthread_mutex_lock(&s->ov_lock);
        pt_overlay_t *ov = s->ov;
        uint64_t snap = pt_overlay_published(ov);
        if (snap) pt_overlay_ref(ov);
        pthread_mutex_unlock(&s->ov_lock);
        int rc = begin_lmdb_snapshot(s, t);
        if (rc || !snap) {
            if (snap) pt_overlay_unref(ov);
            return rc;
        }
        if (mdb_txn_id(t->txn) == pt_overlay_base(ov)) {
            t->ov = ov;
            t->snap = snap;
            return MDB_SUCCESS;
        }
        mdb_txn_reset(t->txn);
        pt_overlay_unref(ov);
    }
}

int pt_txn_begin(pt_store_t *s, int mode, pt_txn_t *parent, pt_txn_t **out, pt_error_t *err)
{
    *out = NULL;
    int rc;
    if (mode == PT_TXN_READ) {
        if (parent)
            return pt_error_set(err, PT_E_INTERNAL, "pt_txn_begin: read transactions cannot nest");
        pt_txn_t *t = read_cache_pop(s);
        if (t) {
            if (begin_snapshot(s, t) == MDB_SUCCESS) {
                *out = t;
                return PT_OK;
            }
            mdb_txn_abort(t->txn);   /* unusable handle: fall back to a fresh one */
            free(t);
        }
    } else if (parent && (parent->mode != PT_TXN_WRITE || parent->store != s)) {
        return pt_error_set(err, PT_E_INTERNAL, "pt_txn_begin: parent is not a write transaction");
    } else if (s->wal && s->wal_failed) {
        return pt_error_set(err, PT_E_INTERNAL, "store: writes refused after a write-ahead log "
                            "failure (restart the server)");
    }

    pt_txn_t *t = calloc(1, sizeof *t);
    if (!t) return pt_error_set(err, PT_E_INTERNAL, "pt_txn_begin: out of memory");
    t->store = s;
    t->mode = mode;
    t->parent = parent;
    if (mode == PT_TXN_READ) {
        rc = begin_snapshot(s, t);
    } else if (!parent && s->defer) {
        rc = MDB_SUCCESS;
        if (s->held && !pthread_equal(s->held_owner, pthread_self())) {
            free(t);
            return pt_error_set(err, PT_E_INTERNAL, "pt_txn_begin: a second thread writes while the "
                                "writer's LMDB transaction is open");
        }
        if (!s->held) {
            rc = mdb_txn_begin(s->env, NULL, 0, &s->held);
            if (rc) s->held = NULL;
            s->held_owner = pthread_self();
            s->held_ns = now_ns();
        }
        if (!rc) rc = mdb_txn_begin(s->env, s->held, 0, &t->txn);
        t->deferred = true;
    } else {
        rc = mdb_txn_begin(s->env, parent ? parent->txn : NULL, 0, &t->txn);
    }
    if (rc) {
        if (t->txn) mdb_txn_abort(t->txn);
        free(t);
        return lmdb_error(err, rc, "mdb_txn_begin", s);
    }
    if (mode == PT_TXN_WRITE && s->wal) {
        if (parent) {
            t->ops_mark = s->ops.len;
        } else if (pt_wal_buf_reset(&s->ops)) {
            mdb_txn_abort(t->txn);
            free(t);
            return pt_error_set(err, PT_E_INTERNAL, "pt_txn_begin: out of memory");
        }
    }
    *out = t;
    return PT_OK;
}

/* Closes every cursor still open on t; the wrappers stay valid for
 * pt_cursor_close(). `lmdb_frees` is true when LMDB itself frees the
 * cursors as the transaction ends (write transactions). */
static void detach_cursors(pt_txn_t *t, bool lmdb_frees)
{
    for (pt_cursor_t *c = t->cursors; c; c = c->next) {
        if (!lmdb_frees) mdb_cursor_close(c->cur);
        c->cur = NULL;
        c->txn = NULL;
    }
    t->cursors = NULL;
}

/* Ends a read transaction: park it for reuse or abort it. */
static void end_read(pt_txn_t *t)
{
    detach_cursors(t, false);
    pt_overlay_unref(t->ov);
    t->ov = NULL;
    mdb_txn_reset(t->txn);
    if (!read_cache_push(t->store, t)) {
        mdb_txn_abort(t->txn);
        free(t);
    }
}

static int write_at(int fd, const uint8_t *p, size_t n, uint64_t off)
{
    while (n) {
        ssize_t w = pwrite(fd, p, n, (off_t)off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return PT_ERR;
        p += w;
        n -= (size_t)w;
        off += (uint64_t)w;
    }
    return PT_OK;
}

struct publish_ctx {
    pt_store_t *s;
    uint64_t seq;
};

static int publish_op(void *ctx, int type, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen,
                      pt_error_t *err)
{
    (void)err;
    struct publish_ctx *p = ctx;
    if (pt_overlay_add(p->s->ov, key, klen, type == PT_WAL_OP_PUT ? val : NULL, vlen, p->seq)) pt_oom();
    p->s->held_ops++;
    return PT_OK;
}

/* Makes the ops of the record just logged (sequence seq) visible to
 * readers through the overlay. The ops are physical, as LMDB holds them. */
static void publish(pt_store_t *s, uint64_t seq)
{
    struct publish_ctx p = {.s = s, .seq = seq};
    (void)pt_wal_buf_each(&s->ops, publish_op, &p, NULL);   /* publish_op cannot fail */
    pt_overlay_publish(s->ov, seq);
}

int pt_store_flush(pt_store_t *s, pt_error_t *err)
{
    if (!s->held) return PT_OK;
    if (!pthread_equal(s->held_owner, pthread_self()))
        return pt_error_set(err, PT_E_INTERNAL, "pt_store_flush: not the thread that wrote "
                            "(the log keeps the deferred commits)");
    int rc = mdb_txn_commit(s->held);
    s->held = NULL;
    atomic_fetch_add(&s->commits_done, 1);   /* as in pt_txn_commit */
    if (rc) {
        /* Every batch in it is durable in the log and visible through the
         * overlay, which stays (its base is still LMDB's last commit); only
         * new writes are refused, and a restart replays the log. */
        s->wal_failed = true;
        return lmdb_error(err, rc, "deferred mdb_txn_commit (writes refused until restart)", s);
    }
    /* LMDB's last txnid, not held's: a commit with nothing written does
     * not advance it. */
    MDB_envinfo info;
    pt_overlay_t *fresh = NULL;
    if ((rc = mdb_env_info(s->env, &info)) == 0) fresh = pt_overlay_new(info.me_last_txnid);
    if (!fresh) pt_oom();
    pthread_mutex_lock(&s->ov_lock);
    pt_overlay_t *old = s->ov;
    s->ov = fresh;
    pthread_mutex_unlock(&s->ov_lock);
    pt_overlay_unref(old);
    s->held_ops = 0;
    maybe_checkpoint(s);
    return PT_OK;
}

bool pt_store_flush_pending(const pt_store_t *s) { return s->held != NULL; }

/* Top-level commit of a durable store with ops: log record first (one
 * write + fdatasync), LMDB (unsynced) second, so every state a reader can
 * see is already durable in the log. */
static int commit_logged(pt_txn_t *t, pt_error_t *err)
{
    pt_store_t *s = t->store;
    uint64_t seq = s->seq + 1;
    int rc = PT_OK;
    if (pt_wal_seal(&s->ops, s->segno, seq, err)) {
        mdb_txn_abort(t->txn);
        free(t);
        return PT_ERR;
    }
    if (write_at(s->seg_fd, s->ops.data, s->ops.len, s->seg_off) || fdatasync(s->seg_fd) != 0) {
        rc = pt_error_set(err, PT_E_INTERNAL, "write-ahead log append: %s", strerror(errno));
        mdb_txn_abort(t->txn);
        goto undo;
    }
    if (s->test_exit_at == 1) _exit(0);
    int mrc = mdb_txn_commit(t->txn);   /* deferred: folded into `held`, no I/O */
    if (!t->deferred) atomic_fetch_add(&s->commits_done, 1);   /* as in pt_txn_commit */
    if (mrc) {
        rc = lmdb_error(err, mrc, "mdb_txn_commit", s);
        goto undo;
    }
    if (t->deferred) publish(s, seq);
    bool deferred = t->deferred;
    free(t);
    s->seq = seq;
    s->seg_off += s->ops.len;
    atomic_fetch_add_explicit(&s->st_records, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->st_bytes, s->ops.len, memory_order_relaxed);
    if (s->ops.cap > ((size_t)64 << 20)) pt_wal_buf_free(&s->ops);   /* after a huge txn */
    if (s->test_exit_at == 2) _exit(0);
    if (!deferred) {
        maybe_checkpoint(s);
    } else if (now_ns() - s->held_ns >= (uint64_t)FLUSH_MS * 1000000u ||
               pt_overlay_bytes(s->ov) >= FLUSH_BYTES || s->held_ops >= PT_STORE_FLUSH_OPS) {
        pt_error_t ferr;   /* the batch is durable and visible: a failed flush is not its failure */
        if (pt_store_flush(s, &ferr)) fprintf(stderr, "portico: %s\n", ferr.message);
    }
    return PT_OK;
undo:
    /* The record may be on disk: it must never be replayed. The next record
     * reuses its place and sequence. */
    free(t);
    if (!invalidate_record(s)) {
        s->wal_failed = true;
        fprintf(stderr, "portico: write-ahead log could not be repaired after a failed commit; "
                "refusing further writes: %s\n", strerror(errno));
    }
    return rc;
}

int pt_txn_commit(pt_txn_t *t, pt_error_t *err)
{
    if (t->mode == PT_TXN_READ) {
        end_read(t);
        return PT_OK;
    }
    pt_store_t *s = t->store;
    bool top_level = t->parent == NULL;
    detach_cursors(t, true);
    if (top_level && s->wal && !pt_wal_buf_empty(&s->ops)) return commit_logged(t, err);
    int rc = mdb_txn_commit(t->txn);   /* frees the txn even on failure */
    /* Counted even on failure: the meta page may have been written. A
     * deferred transaction (nothing written) only folded into `held`. */
    if (top_level && !t->deferred) atomic_fetch_add(&s->commits_done, 1);
    /* A nested commit keeps its ops in the buffer (now its parent's); a
     * failed one was rolled back by LMDB, so its ops go too. */
    if (!top_level && s->wal && rc) s->ops.len = t->ops_mark;
    free(t);
    if (rc) return lmdb_error(err, rc, "mdb_txn_commit", s);
    return PT_OK;
}

void pt_txn_abort(pt_txn_t *t)
{
    if (!t) return;
    if (t->mode == PT_TXN_READ) {
        end_read(t);
        return;
    }
    detach_cursors(t, true);
    mdb_txn_abort(t->txn);
    if (t->parent && t->store->wal) t->store->ops.len = t->ops_mark;   /* drop the child's ops */
    free(t);
}

/* ---- point operations ---- */

int pt_get(pt_txn_t *t, pt_slice_t key, pt_slice_t *value, pt_error_t *err)
{
    if (key.len == 0 || key.len > PT_STORE_MAX_KEY_LEN) return PT_NOTFOUND;   /* cannot exist */
    uint8_t buf[LONG_KEY_MIN];
    MDB_val k = physical_key(key, buf), v;
    const pt_ov_node_t *n = t->ov ? pt_overlay_get(t->ov, k.mv_data, k.mv_size, t->snap) : NULL;
    if (n) {
        if (pt_ov_deleted(n)) return PT_NOTFOUND;
        v.mv_data = (void *)pt_ov_value(n, &v.mv_size);
    } else {
        int rc = mdb_get(t->txn, t->store->dbi, &k, &v);
        if (rc == MDB_NOTFOUND) return PT_NOTFOUND;
        if (rc) return lmdb_error(err, rc, "mdb_get", t->store);
    }
    pt_slice_t lk;
    if (!logical_entry(&k, &v, &lk, value))
        return pt_error_set(err, PT_E_INTERNAL, "pt_get: corrupt long-key entry");
    if (lk.len != key.len || memcmp(lk.data, key.data, key.len)) return PT_NOTFOUND; /* hash collision */
    return PT_OK;
}

/* mdb_put of k -> v. With head (short keys only): MDB_NOOVERWRITE first,
 * which finds an existing key before changing anything and hands back its
 * value (its length to *old_len, its first bytes to head); only then is it
 * overwritten. Returns LMDB's code. */
static int put_value(pt_txn_t *t, MDB_val *k, MDB_val *v, uint8_t *head, size_t head_cap, size_t *old_len)
{
    pt_store_t *s = t->store;
    if (!head) return mdb_put(t->txn, s->dbi, k, v, 0);
    MDB_val found = *v;
    int rc = mdb_put(t->txn, s->dbi, k, &found, MDB_NOOVERWRITE);
    if (rc != MDB_KEYEXIST) return rc;
    *old_len = found.mv_size;
    memcpy(head, found.mv_data, found.mv_size < head_cap ? found.mv_size : head_cap);
    return mdb_put(t->txn, s->dbi, k, v, 0);
}

/* pt_put of a durable store: the op is recorded first (for a long key the
 * stored value is built in the log buffer and put from there) and dropped
 * again if LMDB refuses it, so the buffer holds exactly what was applied. */
static int put_logged(pt_txn_t *t, pt_slice_t key, pt_slice_t value, MDB_val k, uint8_t *head, size_t head_cap,
                      size_t *old_len, pt_error_t *err)
{
    pt_store_t *s = t->store;
    size_t mark = s->ops.len;
    bool long_form = key.len >= LONG_KEY_MIN;
    size_t vlen = long_form ? 2 + key.len + value.len : value.len;
    uint8_t *p = pt_wal_buf_put(&s->ops, k.mv_data, k.mv_size, vlen);
    if (!p) return pt_error_set(err, PT_E_INTERNAL, "pt_put: out of memory");
    uint8_t *dst = p;
    if (long_form) {
        dst[0] = (uint8_t)(key.len >> 8);
        dst[1] = (uint8_t)key.len;
        memcpy(dst + 2, key.data, key.len);
        dst += 2 + key.len;
    }
    if (value.len) memcpy(dst, value.data, value.len);
    MDB_val v = {vlen, p};
    int rc = put_value(t, &k, &v, head, head_cap, old_len);
    if (rc) {
        s->ops.len = mark;
        return lmdb_error(err, rc, "mdb_put", s);
    }
    return PT_OK;
}

/* pt_put, and pt_put_replacing's put of a short key (head set). */
static int put(pt_txn_t *t, pt_slice_t key, pt_slice_t value, uint8_t *head, size_t head_cap, size_t *old_len,
               pt_error_t *err)
{
    assert(!head || key.len < LONG_KEY_MIN);
    uint8_t buf[LONG_KEY_MIN];
    MDB_val k = physical_key(key, buf), v = to_val(value);
    if (t->store->wal) return put_logged(t, key, value, k, head, head_cap, old_len, err);
    if (key.len < LONG_KEY_MIN) {
        int rc = put_value(t, &k, &v, head, head_cap, old_len);
        if (rc) return lmdb_error(err, rc, "mdb_put", t->store);
        return PT_OK;
    }
    /* Long form: reserve the value in place and write header + key + value. */
    v.mv_size = 2 + key.len + value.len;
    v.mv_data = NULL;
    int rc = mdb_put(t->txn, t->store->dbi, &k, &v, MDB_RESERVE);
    if (rc) return lmdb_error(err, rc, "mdb_put", t->store);
    uint8_t *p = v.mv_data;
    p[0] = (uint8_t)(key.len >> 8);
    p[1] = (uint8_t)key.len;
    memcpy(p + 2, key.data, key.len);
    if (value.len) memcpy(p + 2 + key.len, value.data, value.len);
    return PT_OK;
}

int pt_put(pt_txn_t *t, pt_slice_t key, pt_slice_t value, pt_error_t *err)
{
    if (t->mode != PT_TXN_WRITE)
        return pt_error_set(err, PT_E_INTERNAL, "pt_put: read-only transaction");
    if (check_key(key, "pt_put", err)) return PT_ERR;
    return put(t, key, value, NULL, 0, NULL, err);
}

int pt_put_replacing(pt_txn_t *t, pt_slice_t key, pt_slice_t value, uint8_t *head, size_t head_cap, size_t *old_len,
                     pt_error_t *err)
{
    *old_len = PT_STORE_NO_OLD;
    if (t->mode != PT_TXN_WRITE)
        return pt_error_set(err, PT_E_INTERNAL, "pt_put_replacing: read-only transaction");
    if (check_key(key, "pt_put_replacing", err)) return PT_ERR;
    if (key.len >= LONG_KEY_MIN) {   /* the long form's checks live in pt_get and pt_put */
        pt_slice_t v;
        int rc = pt_get(t, key, &v, err);
        if (rc == PT_ERR) return PT_ERR;
        if (rc == PT_OK) {
            *old_len = v.len;
            memcpy(head, v.data, v.len < head_cap ? v.len : head_cap);
        }
        return put(t, key, value, NULL, 0, NULL, err);
    }
    int rc = put(t, key, value, head, head_cap, old_len, err);
    if (rc) *old_len = PT_STORE_NO_OLD;
    return rc;
}

int pt_del(pt_txn_t *t, pt_slice_t key, pt_error_t *err)
{
    if (t->mode != PT_TXN_WRITE)
        return pt_error_set(err, PT_E_INTERNAL, "pt_del: read-only transaction");
    if (key.len == 0 || key.len > PT_STORE_MAX_KEY_LEN) return PT_NOTFOUND;
    if (key.len >= LONG_KEY_MIN) {
        pt_slice_t ignored;
        int found = pt_get(t, key, &ignored, err);   /* never delete a colliding key */
        if (found != PT_OK) return found;
    }
    uint8_t buf[LONG_KEY_MIN];
    MDB_val k = physical_key(key, buf);
    pt_store_t *s = t->store;
    size_t mark = s->ops.len;
    if (s->wal && pt_wal_buf_del(&s->ops, k.mv_data, k.mv_size))
        return pt_error_set(err, PT_E_INTERNAL, "pt_del: out of memory");
    int rc = mdb_del(t->txn, s->dbi, &k, NULL);
    if (rc && s->wal) s->ops.len = mark;
    if (rc == MDB_NOTFOUND) return PT_NOTFOUND;
    if (rc) return lmdb_error(err, rc, "mdb_del", s);
    return PT_OK;
}

/* ---- cursors ---- */

int pt_cursor_open(pt_txn_t *t, pt_cursor_t **out, pt_error_t *err)
{
    *out = NULL;
    pt_cursor_t *c = calloc(1, sizeof *c);
    if (!c) return pt_error_set(err, PT_E_INTERNAL, "pt_cursor_open: out of memory");
    int rc = mdb_cursor_open(t->txn, t->store->dbi, &c->cur);
    if (rc) {
        free(c);
        return lmdb_error(err, rc, "mdb_cursor_open", t->store);
    }
    c->txn = t;
    c->next = t->cursors;
    if (t->cursors) t->cursors->prev = c;
    t->cursors = c;
    *out = c;
    return PT_OK;
}

void pt_cursor_close(pt_cursor_t *c)
{
    if (!c) return;
    if (c->txn) {   /* still attached: unlink and close the LMDB cursor */
        if (c->prev) c->prev->next = c->next;
        else c->txn->cursors = c->next;
        if (c->next) c->next->prev = c->prev;
        mdb_cursor_close(c->cur);
    }
    free(c);
}

static int cursor_get(pt_cursor_t *c, MDB_val *k, MDB_val *v, MDB_cursor_op op,
                      pt_slice_t *ko, pt_slice_t *vo, pt_error_t *err)
{
    if (!c->cur)
        return pt_error_set(err, PT_E_INTERNAL, "cursor used after its transaction ended");
    int rc = mdb_cursor_get(c->cur, k, v, op);
    if (rc == MDB_NOTFOUND) return PT_NOTFOUND;
    if (rc) return lmdb_error(err, rc, "mdb_cursor_get", c->txn->store);
    if (!logical_entry(k, v, ko, vo))
        return pt_error_set(err, PT_E_INTERNAL, "cursor: corrupt long-key entry");
    return PT_OK;
}

/* ---- merged cursors: read transactions with an overlay (see pt_cursor) ---- */

static int phys_cmp(const MDB_val *a, const uint8_t *b, size_t blen)
{
    size_t m = a->mv_size < blen ? a->mv_size : blen;
    int c = m ? memcmp(a->mv_data, b, m) : 0;
    if (c) return c < 0 ? -1 : 1;
    return a->mv_size == blen ? 0 : a->mv_size < blen ? -1 : 1;
}

/* One LMDB move; lm_ok says whether it found an entry. */
static int lm_move(pt_cursor_t *c, MDB_cursor_op op, const uint8_t *key, size_t klen, pt_error_t *err)
{
    MDB_val k = {klen, (void *)key}, v;
    int rc = mdb_cursor_get(c->cur, &k, &v, op);
    c->lm_ok = rc == MDB_SUCCESS;
    if (rc == MDB_NOTFOUND) return PT_OK;
    if (rc) return lmdb_error(err, rc, "mdb_cursor_get", c->txn->store);
    c->lm_k = k;
    c->lm_v = v;
    return PT_OK;
}

/* Positions both sources for moves in direction dir: at the first entries
 * >= key (dir 1) or the last <= key (dir -1), strictly when exclusive;
 * key NULL: at the very first / last entries. */
static int merge_position(pt_cursor_t *c, const uint8_t *key, size_t klen, bool exclusive, int dir,
                          pt_error_t *err)
{
    pt_txn_t *t = c->txn;
    int rc;
    c->dir = dir;
    if (!key) {
        c->ov_n = dir > 0 ? pt_overlay_seek(t->ov, "", 0, false, t->snap)
                          : pt_overlay_seek_le(t->ov, NULL, 0, false, t->snap);
        return lm_move(c, dir > 0 ? MDB_FIRST : MDB_LAST, NULL, 0, err);
    }
    c->ov_n = dir > 0 ? pt_overlay_seek(t->ov, key, klen, exclusive, t->snap)
                      : pt_overlay_seek_le(t->ov, key, klen, exclusive, t->snap);
    if ((rc = lm_move(c, MDB_SET_RANGE, key, klen, err))) return rc;   /* first >= key */
    bool equal = c->lm_ok && phys_cmp(&c->lm_k, key, klen) == 0;
    if (dir > 0) return equal && exclusive ? lm_move(c, MDB_NEXT, NULL, 0, err) : PT_OK;
    if (!c->lm_ok) return lm_move(c, MDB_LAST, NULL, 0, err);          /* everything < key */
    return equal && !exclusive ? PT_OK : lm_move(c, MDB_PREV, NULL, 0, err);
}

/* Steps the source(s) of the current entry past it, in c->dir. */
static int merge_advance(pt_cursor_t *c, pt_error_t *err)
{
    pt_txn_t *t = c->txn;
    if (c->at_ov) {
        size_t klen;
        const uint8_t *key = pt_ov_key(c->ov_n, &klen);
        c->ov_n = c->dir > 0 ? pt_overlay_seek(t->ov, key, klen, true, t->snap)
                             : pt_overlay_seek_le(t->ov, key, klen, true, t->snap);
    }
    if (c->at_lm) return lm_move(c, c->dir > 0 ? MDB_NEXT : MDB_PREV, NULL, 0, err);
    return PT_OK;
}

/* Makes the nearer candidate in c->dir the current entry (the overlay's on
 * equal keys), stepping past deletions. */
static int merge_resolve(pt_cursor_t *c, pt_slice_t *ko, pt_slice_t *vo, pt_error_t *err)
{
    for (;;) {
        const pt_ov_node_t *n = c->ov_n;
        if (!c->lm_ok && !n) {
            c->at_lm = c->at_ov = false;
            return PT_NOTFOUND;
        }
        size_t nlen = 0;
        const uint8_t *nk = n ? pt_ov_key(n, &nlen) : NULL;
        int order = !n ? -1 : !c->lm_ok ? 1 : phys_cmp(&c->lm_k, nk, nlen) * c->dir;
        c->at_lm = order <= 0;
        c->at_ov = order >= 0;
        if (c->at_ov && pt_ov_deleted(n)) {
            int rc = merge_advance(c, err);
            if (rc) return rc;
            continue;
        }
        MDB_val k = c->lm_k, v = c->lm_v;
        if (c->at_ov) {
            k.mv_data = (void *)nk;
            k.mv_size = nlen;
            v.mv_data = (void *)pt_ov_value(n, &v.mv_size);
        }
        c->cur_k = k;
        if (!logical_entry(&k, &v, ko, vo))
            return pt_error_set(err, PT_E_INTERNAL, "cursor: corrupt long-key entry");
        return PT_OK;
    }
}

/* next (dir 1) or prev (dir -1) of a merged cursor. Like LMDB's, a fresh
 * cursor starts at the first (last) entry; so does one that ran off the
 * other end. */
static int merge_step(pt_cursor_t *c, int dir, pt_slice_t *k, pt_slice_t *v, pt_error_t *err)
{
    bool current = c->at_lm || c->at_ov;
    int rc;
    if (c->dir == dir && current) rc = merge_advance(c, err);
    else if (c->dir == dir) return PT_NOTFOUND;   /* ran off this end already */
    else if (current) rc = merge_position(c, c->cur_k.mv_data, c->cur_k.mv_size, true, dir, err);
    else rc = merge_position(c, NULL, 0, false, dir, err);
    if (rc) return rc;
    return merge_resolve(c, k, v, err);
}

static bool merged(const pt_cursor_t *c) { return c->txn && c->txn->ov; }

int pt_cursor_seek(pt_cursor_t *c, pt_slice_t key, pt_slice_t *k, pt_slice_t *v, pt_error_t *err)
{
    if (merged(c)) {
        uint8_t buf[LONG_KEY_MIN];
        MDB_val pk = physical_key(key, buf);
        int rc = merge_position(c, key.len ? pk.mv_data : NULL, pk.mv_size, false, 1, err);
        return rc ? rc : merge_resolve(c, k, v, err);
    }
    MDB_val mk = to_val(key), mv;
    /* LMDB rejects an empty search key; every key is >= "", so: first. */
    if (key.len == 0) return cursor_get(c, &mk, &mv, MDB_FIRST, k, v, err);
    uint8_t buf[LONG_KEY_MIN];
    mk = physical_key(key, buf);
    return cursor_get(c, &mk, &mv, MDB_SET_RANGE, k, v, err);
}

int pt_cursor_seek_le(pt_cursor_t *c, pt_slice_t key, pt_slice_t *k, pt_slice_t *v,
                      pt_error_t *err)
{
    if (key.len == 0) {   /* no stored key is <= "" (keys are never empty) */
        if (!c->cur)
            return pt_error_set(err, PT_E_INTERNAL, "cursor used after its transaction ended");
        return PT_NOTFOUND;
    }
    if (merged(c)) {
        uint8_t buf[LONG_KEY_MIN];
        MDB_val pk = physical_key(key, buf);
        int rc = merge_position(c, pk.mv_data, pk.mv_size, false, -1, err);
        return rc ? rc : merge_resolve(c, k, v, err);
    }
    MDB_val mk, mv;
    int rc = pt_cursor_seek(c, key, NULL, NULL, err);
    if (rc == PT_NOTFOUND)    /* everything is < key */
        return cursor_get(c, &mk, &mv, MDB_LAST, k, v, err);
    if (rc) return rc;
    pt_slice_t cur;
    rc = cursor_get(c, &mk, &mv, MDB_GET_CURRENT, &cur, v, err);
    if (rc) return rc;
    if (cur.len == key.len && memcmp(cur.data, key.data, key.len) == 0) {
        if (k) *k = cur;
        return PT_OK;
    }
    return cursor_get(c, &mk, &mv, MDB_PREV, k, v, err);   /* current is > key */
}

int pt_cursor_next(pt_cursor_t *c, pt_slice_t *k, pt_slice_t *v, pt_error_t *err)
{
    if (merged(c)) return merge_step(c, 1, k, v, err);
    MDB_val mk, mv;
    return cursor_get(c, &mk, &mv, MDB_NEXT, k, v, err);
}

int pt_cursor_prev(pt_cursor_t *c, pt_slice_t *k, pt_slice_t *v, pt_error_t *err)
{
    if (merged(c)) return merge_step(c, -1, k, v, err);
    MDB_val mk, mv;
    return cursor_get(c, &mk, &mv, MDB_PREV, k, v, err);
}

int pt_cursor_del(pt_cursor_t *c, pt_error_t *err)
{
    if (!c->cur)
        return pt_error_set(err, PT_E_INTERNAL, "cursor used after its transaction ended");
    if (c->txn->mode != PT_TXN_WRITE)
        return pt_error_set(err, PT_E_INTERNAL, "pt_cursor_del: read-only transaction");
    pt_store_t *s = c->txn->store;
    size_t mark = s->ops.len;
    int rc;
    if (s->wal) {   /* log the physical key under the cursor */
        MDB_val k, v;
        if ((rc = mdb_cursor_get(c->cur, &k, &v, MDB_GET_CURRENT)))
            return lmdb_error(err, rc, "mdb_cursor_del", s);
        if (pt_wal_buf_del(&s->ops, k.mv_data, k.mv_size))
            return pt_error_set(err, PT_E_INTERNAL, "pt_cursor_del: out of memory");
    }
    rc = mdb_cursor_del(c->cur, 0);
    if (rc) {
        if (s->wal) s->ops.len = mark;
        return lmdb_error(err, rc, "mdb_cursor_del", s);
    }
    return PT_OK;
}

/* ---- backup ---- */

int pt_store_backup(pt_store_t *s, const char *path, pt_error_t *err)
{
    if (make_dirs(path, err)) return PT_ERR;
    /* Compacting copy: a consistent snapshot taken in a read transaction,
     * free pages omitted. LMDB refuses to overwrite an existing data.mdb. */
    int rc = mdb_env_copy2(s->env, path, MDB_CP_COMPACT);
    if (rc) return lmdb_error(err, rc, "mdb_env_copy2", s);
    /* The copy is written without fsync; a backup must survive a crash. */
    char file[PATH_MAX];
    if (snprintf(file, sizeof file, "%s/data.mdb", path) >= (int)sizeof file)
        return pt_error_set(err, PT_E_INTERNAL, "backup path too long");
    int ok = PT_OK;
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0)
        ok = pt_error_set(err, PT_E_INTERNAL, "fsync %s: %s", file, strerror(errno));
    if (fd >= 0) close(fd);
    if (ok) return ok;
    int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0 || fsync(dfd) != 0)
        ok = pt_error_set(err, PT_E_INTERNAL, "fsync %s: %s", path, strerror(errno));
    if (dfd >= 0) close(dfd);
    return ok;
}

int pt_del_prefix(pt_txn_t *t, pt_slice_t prefix, uint32_t max, bool *done, pt_error_t *err)
{
    pt_cursor_t *cur;
    int rc = pt_cursor_open(t, &cur, err);
    if (rc) return rc;
    pt_slice_t k, v;
    uint32_t n = 0;
    /* re-seek after each delete: the next key is the new first one */
    rc = pt_cursor_seek(cur, prefix, &k, &v, err);
    while (rc == PT_OK && (!max || n < max) && k.len >= prefix.len && !memcmp(k.data, prefix.data, prefix.len)) {
        if ((rc = pt_cursor_del(cur, err))) break;
        n++;
        rc = pt_cursor_seek(cur, prefix, &k, &v, err);
    }
    if (rc != PT_ERR && done)
        *done = rc == PT_NOTFOUND || k.len < prefix.len || memcmp(k.data, prefix.data, prefix.len) != 0;
    pt_cursor_close(cur);
    return rc == PT_ERR ? PT_ERR : PT_OK;
}
