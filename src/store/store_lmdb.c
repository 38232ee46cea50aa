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
 * logical key is compared) and reported as not found. */
#include "store/store.h"

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
#include <unistd.h>

#define DEFAULT_MAP_SIZE ((size_t)64 << 30)
#define MAX_READERS 1024
#define READ_CACHE_MAX 64

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
};

struct pt_txn {
    pt_store_t *store;
    MDB_txn *txn;
    pt_txn_t *parent;
    int mode;
    pt_cursor_t *cursors;          /* open cursors, closed when the txn ends */
};

struct pt_cursor {
    MDB_cursor *cur;               /* NULL once its transaction ended */
    pt_txn_t *txn;
    pt_cursor_t *prev, *next;      /* links in txn->cursors */
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
     * once the data outgrows RAM. Not durable: skip both syncs (the meta page
     * sync too, or the data sync would be the only one skipped). */
    unsigned flags = MDB_NOTLS | MDB_NORDAHEAD;
    if (!opts->durable) flags |= MDB_NOSYNC | MDB_NOMETASYNC;
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
    *out = s;
    return PT_OK;
fail:
    if (s->env) mdb_env_close(s->env);
    if (s->dir_fd >= 0) close(s->dir_fd);
    pthread_mutex_destroy(&s->cache_lock);
    free(s);
    return PT_ERR;
}

void pt_store_close(pt_store_t *s)
{
    if (!s) return;
    for (int i = 0; i < s->read_cached; i++) {
        mdb_txn_abort(s->read_cache[i]->txn);
        free(s->read_cache[i]);
    }
    /* A clean shutdown of a non-durable store still leaves everything on disk. */
    if (!s->durable) mdb_env_sync(s->env, 1);
    mdb_env_close(s->env);
    close(s->dir_fd);    /* releases the flock */
    pthread_mutex_destroy(&s->cache_lock);
    free(s);
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
static int begin_snapshot(pt_store_t *s, pt_txn_t *t)
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
    }

    pt_txn_t *t = calloc(1, sizeof *t);
    if (!t) return pt_error_set(err, PT_E_INTERNAL, "pt_txn_begin: out of memory");
    t->store = s;
    t->mode = mode;
    t->parent = parent;
    if (mode == PT_TXN_READ)
        rc = begin_snapshot(s, t);
    else
        rc = mdb_txn_begin(s->env, parent ? parent->txn : NULL, 0, &t->txn);
    if (rc) {
        if (t->txn) mdb_txn_abort(t->txn);
        free(t);
        return lmdb_error(err, rc, "mdb_txn_begin", s);
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
    mdb_txn_reset(t->txn);
    if (!read_cache_push(t->store, t)) {
        mdb_txn_abort(t->txn);
        free(t);
    }
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
    int rc = mdb_txn_commit(t->txn);   /* frees the txn even on failure */
    /* Counted even on failure: the meta page may have been written. */
    if (top_level) atomic_fetch_add(&s->commits_done, 1);
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
    free(t);
}

/* ---- point operations ---- */

int pt_get(pt_txn_t *t, pt_slice_t key, pt_slice_t *value, pt_error_t *err)
{
    if (key.len == 0 || key.len > PT_STORE_MAX_KEY_LEN) return PT_NOTFOUND;   /* cannot exist */
    uint8_t buf[LONG_KEY_MIN];
    MDB_val k = physical_key(key, buf), v;
    int rc = mdb_get(t->txn, t->store->dbi, &k, &v);
    if (rc == MDB_NOTFOUND) return PT_NOTFOUND;
    if (rc) return lmdb_error(err, rc, "mdb_get", t->store);
    pt_slice_t lk;
    if (!logical_entry(&k, &v, &lk, value))
        return pt_error_set(err, PT_E_INTERNAL, "pt_get: corrupt long-key entry");
    if (lk.len != key.len || memcmp(lk.data, key.data, key.len)) return PT_NOTFOUND; /* hash collision */
    return PT_OK;
}

int pt_put(pt_txn_t *t, pt_slice_t key, pt_slice_t value, pt_error_t *err)
{
    if (t->mode != PT_TXN_WRITE)
        return pt_error_set(err, PT_E_INTERNAL, "pt_put: read-only transaction");
    if (check_key(key, "pt_put", err)) return PT_ERR;
    uint8_t buf[LONG_KEY_MIN];
    MDB_val k = physical_key(key, buf), v = to_val(value);
    if (key.len < LONG_KEY_MIN) {
        int rc = mdb_put(t->txn, t->store->dbi, &k, &v, 0);
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
    int rc = mdb_del(t->txn, t->store->dbi, &k, NULL);
    if (rc == MDB_NOTFOUND) return PT_NOTFOUND;
    if (rc) return lmdb_error(err, rc, "mdb_del", t->store);
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

int pt_cursor_seek(pt_cursor_t *c, pt_slice_t key, pt_slice_t *k, pt_slice_t *v, pt_error_t *err)
{
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
    MDB_val mk, mv;
    return cursor_get(c, &mk, &mv, MDB_NEXT, k, v, err);
}

int pt_cursor_prev(pt_cursor_t *c, pt_slice_t *k, pt_slice_t *v, pt_error_t *err)
{
    MDB_val mk, mv;
    return cursor_get(c, &mk, &mv, MDB_PREV, k, v, err);
}

int pt_cursor_del(pt_cursor_t *c, pt_error_t *err)
{
    if (!c->cur)
        return pt_error_set(err, PT_E_INTERNAL, "cursor used after its transaction ended");
    if (c->txn->mode != PT_TXN_WRITE)
        return pt_error_set(err, PT_E_INTERNAL, "pt_cursor_del: read-only transaction");
    int rc = mdb_cursor_del(c->cur, 0);
    if (rc) return lmdb_error(err, rc, "mdb_cursor_del", c->txn->store);
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
