/* The ordered key-value interface every engine module stores through
 * (load-bearing: engine code never calls LMDB directly).
 *
 * Keys are byte strings compared with memcmp (shorter prefix first). One
 * write transaction at a time (the writer thread); any number of read
 * transactions, each a consistent snapshot that never blocks or is blocked
 * by the writer. Values returned by get/cursor point into the store's
 * memory and are valid until the transaction ends or the next write in it.
 *
 * All functions return PT_OK, PT_NOTFOUND (get/seek found nothing) or
 * PT_ERR with `err` set to an InternalServerError describing the failure
 * (for the log; the message never reaches a client verbatim). */
#ifndef PT_STORE_H
#define PT_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

typedef struct pt_store pt_store_t;
typedef struct pt_txn pt_txn_t;
typedef struct pt_cursor pt_cursor_t;

/* Longest key the store accepts. Keys are never empty. pt_put of a longer
 * or empty key fails with PT_ERR; pt_get / pt_del of one return
 * PT_NOTFOUND (it cannot exist). Keys longer than LMDB's 511-byte limit are
 * supported transparently (store_lmdb.c: prefix + hash physical key); among
 * keys over 510 bytes that share their first 495 bytes, cursor order is by
 * hash rather than bytewise. */
#define PT_STORE_MAX_KEY_LEN 8192

typedef struct pt_slice {
    const void *data;
    size_t len;
} pt_slice_t;

typedef struct pt_store_options {
    const char *path;        /* directory; created if missing */
    size_t map_size;         /* bytes of address space; 0 = default (64 GiB) */
    bool durable;            /* true: commit returns after fsync (default);
                                false: no sync (tests/benchmarks only) */
    /* Durable stores log each commit (wal.h) and checkpoint LMDB when the
     * current log segment exceeds checkpoint_bytes or checkpoint_ms passed
     * since the last checkpoint. 0 = the environment variables
     * PORTICO_CHECKPOINT_BYTES / PORTICO_CHECKPOINT_MS if set, else the
     * defaults (32 MiB, 1000 ms). */
    size_t checkpoint_bytes;
    unsigned checkpoint_ms;
    /* Tests only: 1 = _exit(0) after a commit's log record is durable but
     * before LMDB commits; 2 = _exit(0) right after the LMDB commit. */
    int test_exit_at;
} pt_store_options_t;

/* Opens (creating with mode 0700 if missing) the store in opts->path. Fails
 * if another open store, in this or another process, holds the directory. */
int pt_store_open(const pt_store_options_t *opts, pt_store_t **out, pt_error_t *err);
/* Every transaction must have ended. Flushes a non-durable store to disk. */
void pt_store_close(pt_store_t *s);

enum { PT_TXN_READ = 0, PT_TXN_WRITE = 1 };

/* Read transactions may be begun on any thread; a write transaction only by
 * the single writer. `parent` (write only) begins a nested transaction whose
 * abort undoes only its own changes; NULL for top-level. */
int pt_txn_begin(pt_store_t *s, int mode, pt_txn_t *parent, pt_txn_t **out, pt_error_t *err);
/* Durable (if opts.durable) and visible to every read transaction begun
 * after it, on return. A durable store may defer LMDB's own commit and
 * share it among many top-level commits (store_lmdb.c); the writer then
 * calls pt_store_flush when it goes idle, and the store flushes by itself
 * every few milliseconds under load. */
int pt_txn_commit(pt_txn_t *t, pt_error_t *err);
void pt_txn_abort(pt_txn_t *t);

/* Writer thread, no write transaction open: commits the deferred LMDB
 * transaction, if any. Nothing acknowledged depends on it (the log holds
 * it); a failure makes the store refuse later writes until a restart.
 * pt_store_close flushes too (from the thread that wrote last). */
int pt_store_flush(pt_store_t *s, pt_error_t *err);
/* Whether a deferred LMDB transaction waits for pt_store_flush (writer). */
bool pt_store_flush_pending(const pt_store_t *s);
/* The deferred transaction is also committed once it holds this many
 * physical operations: each may dirty its own 4 KiB page, which LMDB keeps
 * in memory until the commit (and on its free list after). */
#define PT_STORE_FLUSH_OPS 2048u

int pt_get(pt_txn_t *t, pt_slice_t key, pt_slice_t *value, pt_error_t *err);
int pt_put(pt_txn_t *t, pt_slice_t key, pt_slice_t value, pt_error_t *err);
/* pt_put that also reports the value it replaced: *old_len is its length
 * (PT_STORE_NO_OLD when the key was new) and its first min(head_cap,
 * *old_len) bytes are copied to head. A new key costs one B-tree descent,
 * where pt_get + pt_put cost two. */
#define PT_STORE_NO_OLD SIZE_MAX
int pt_put_replacing(pt_txn_t *t, pt_slice_t key, pt_slice_t value, uint8_t *head, size_t head_cap, size_t *old_len,
                     pt_error_t *err);
int pt_del(pt_txn_t *t, pt_slice_t key, pt_error_t *err);   /* PT_NOTFOUND if absent */

int pt_cursor_open(pt_txn_t *t, pt_cursor_t **out, pt_error_t *err);
void pt_cursor_close(pt_cursor_t *c);
/* Cursors: close them before their transaction ends; a cursor still open
 * when its transaction ends is detached (any use then fails with PT_ERR)
 * and must still be closed. next on a fresh cursor goes to the first key,
 * prev to the last. */
/* Positions at the first key >= key (an empty key means the first key). */
int pt_cursor_seek(pt_cursor_t *c, pt_slice_t key, pt_slice_t *k, pt_slice_t *v, pt_error_t *err);
/* Positions at the last key <= key. */
int pt_cursor_seek_le(pt_cursor_t *c, pt_slice_t key, pt_slice_t *k, pt_slice_t *v,
                      pt_error_t *err);
int pt_cursor_next(pt_cursor_t *c, pt_slice_t *k, pt_slice_t *v, pt_error_t *err);
int pt_cursor_prev(pt_cursor_t *c, pt_slice_t *k, pt_slice_t *v, pt_error_t *err);
/* Deletes the entry under the cursor (write transactions); a following
 * pt_cursor_next returns the entry that followed the deleted one. */
int pt_cursor_del(pt_cursor_t *c, pt_error_t *err);

/* Deletes the keys that start with `prefix`, in key order, at most `max`
 * of them (0: all). *done (if not NULL) says whether none remain, so a
 * caller working in batches knows when it has finished. PT_OK or PT_ERR. */
int pt_del_prefix(pt_txn_t *t, pt_slice_t prefix, uint32_t max, bool *done, pt_error_t *err);

/* Write-ahead log counters (all zero for a non-durable store). */
typedef struct pt_store_wal_stats {
    uint64_t records;            /* log records appended */
    uint64_t bytes;              /* log bytes appended */
    uint64_t checkpoints;        /* completed checkpoints (open/close included) */
    uint64_t checkpoint_ns_max;  /* longest checkpoint (sync + file), ns */
    uint64_t checkpoint_ns_total;
    uint64_t replayed;           /* records replayed by the last open */
} pt_store_wal_stats_t;
void pt_store_wal_stats(pt_store_t *s, pt_store_wal_stats_t *out);

/* Consistent, compacted copy of the whole store into directory `path`
 * (created if missing; must not already hold a store), fsync'ed before
 * return. Safe while the writer commits (hot backup). It copies what LMDB
 * has committed: commits the writer has not flushed yet are left out. */
int pt_store_backup(pt_store_t *s, const char *path, pt_error_t *err);

static inline pt_slice_t pt_slice(const void *d, size_t n) { pt_slice_t s = {d, n}; return s; }

#endif
