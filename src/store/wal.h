/* The write-ahead log of the LMDB store (wal.c): record encoding, segment
 * files and the checkpoint file. store_lmdb.c decides when to write and
 * checkpoint; this module only knows the formats (docs/architecture.md,
 * "Durability").
 *
 * A record is one top-level commit:
 *   [u32 total length][u32 crc32][u64 sequence][op]...
 *   op = [u8 type][u32 key length][u32 value length][key][value]
 * little-endian; the crc (zlib crc32) is seeded with the segment number and
 * covers sequence + ops, so a stale record left in a recycled segment file
 * never validates. Keys and values are physical (what LMDB stores). */
#ifndef PT_STORE_WAL_H
#define PT_STORE_WAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

#define PT_WAL_HDR 16          /* record header bytes */
#define PT_WAL_OP_PUT 1
#define PT_WAL_OP_DEL 2

/* The operations of one write transaction, header space reserved at the
 * front so a sealed record is one contiguous buffer (one write()). */
typedef struct pt_wal_buf {
    uint8_t *data;
    size_t len, cap;
} pt_wal_buf_t;

/* Empties b (keeps its memory); len becomes PT_WAL_HDR. PT_ERR on OOM. */
int pt_wal_buf_reset(pt_wal_buf_t *b);
void pt_wal_buf_free(pt_wal_buf_t *b);
static inline bool pt_wal_buf_empty(const pt_wal_buf_t *b) { return b->len <= PT_WAL_HDR; }
/* Appends a put of `vlen` value bytes and returns where the caller writes
 * them (valid until the next append), or NULL when out of memory. */
uint8_t *pt_wal_buf_put(pt_wal_buf_t *b, const void *key, size_t klen, size_t vlen);
int pt_wal_buf_del(pt_wal_buf_t *b, const void *key, size_t klen);
/* Fills the header for segment `segno`, sequence `seq`. PT_ERR if the
 * record exceeds the u32 length. */
int pt_wal_seal(pt_wal_buf_t *b, uint64_t segno, uint64_t seq, pt_error_t *err);

/* Segment files: <dir>/wal-<16 hex digits>.log. */
int pt_wal_segment_path(char *out, size_t n, const char *dir, uint64_t segno);
/* Sorted segment numbers in dir (malloc'ed array in *out, may be NULL when
 * *n == 0). */
int pt_wal_list(const char *dir, uint64_t **out, size_t *n, pt_error_t *err);

/* Replay callback: one physical op. Returns PT_OK or PT_ERR (stops). */
typedef int (*pt_wal_op_fn)(void *ctx, int type, const uint8_t *key, size_t klen,
                            const uint8_t *val, size_t vlen, pt_error_t *err);

/* Calls fn for every op in b, in order (stops at the first error). */
int pt_wal_buf_each(const pt_wal_buf_t *b, pt_wal_op_fn fn, void *ctx, pt_error_t *err);

/* Calls fn for every op of the valid records of segment file `path`, in
 * order, starting with sequence *last_seq + 1 and stopping at the first
 * invalid record (end of log, zero fill, stale or torn record). *last_seq
 * becomes the last valid sequence. *gap_seq is set to the sequence
 * of a crc-valid first record whose sequence is not the expected one (a gap:
 * the caller refuses to open), else 0. */
int pt_wal_replay(const char *path, uint64_t segno, uint64_t *last_seq, uint64_t *gap_seq,
                  pt_wal_op_fn fn, void *ctx, pt_error_t *err);

/* Makes an open segment file at least `size` bytes of written zeros beyond
 * its current end (no-op if already that long) and fdatasyncs it:
 * overwriting allocated, written blocks makes an append's fdatasync cheap. */
int pt_wal_prefill(int fd, size_t size, pt_error_t *err);

/* The checkpoint file <dir>/checkpoint: the two LMDB meta pages of snapshot
 * C, the log sequence C includes, and the first segment after C. */
typedef struct pt_wal_checkpoint {
    uint64_t seq;
    uint64_t first_seg;
    uint32_t psize;
    uint8_t *metas;     /* 2 * psize bytes */
} pt_wal_checkpoint_t;

/* Writes checkpoint.tmp, fsyncs it, renames it over checkpoint, fsyncs
 * the directory (dir_fd). */
int pt_wal_checkpoint_write(const char *dir, int dir_fd, const pt_wal_checkpoint_t *c,
                            pt_error_t *err);
/* *exists = false (PT_OK) when there is no checkpoint file. A file that is
 * short, has a bad magic/crc or whose pages are not LMDB meta pages is an
 * error naming the file. c->metas is malloc'ed. */
int pt_wal_checkpoint_read(const char *dir, pt_wal_checkpoint_t *c, bool *exists, pt_error_t *err);
/* LMDB meta page checks (magic 0xBEEFC0DE, data version 1) and its txnid. */
bool pt_wal_meta_valid(const uint8_t *page);
uint64_t pt_wal_meta_txnid(const uint8_t *page);

#endif
