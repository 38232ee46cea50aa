/* Write-ahead log formats (see wal.h): records, segments, checkpoint file.
 *
 * Invariants kept here:
 *  - A record validates only with its own segment number, its exact length
 *    and the expected next sequence, so replay stops at the logical end of
 *    a segment whatever follows it (zero fill, a torn append, or records of
 *    the segment file's previous life when it was recycled).
 *  - The checkpoint file is replaced atomically (tmp + fsync + rename +
 *    directory fsync); a reader sees the old or the new one, never a mix,
 *    and a file that fails any check is reported, never guessed at.
 *
 * What it does not do: decide when to log or checkpoint, or touch LMDB
 * (store_lmdb.c does both). LMDB's meta page layout is read only to check a
 * checkpoint's pages and to learn their txnid (lmdb 0.9's MDB_meta behind a
 * 16-byte page header; the layout has been stable since 0.9.0). */
#include "store/wal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define OP_HDR 9
#define CKPT_MAGIC "PTCKPT01"
#define CKPT_VERSION 1u
#define CKPT_HDR 32                      /* magic 8, version 4, psize 4, seq 8, first_seg 8 */
#define MAX_PSIZE 65536u

#define LMDB_PAGEHDR 16
#define LMDB_MAGIC 0xBEEFC0DEu
#define LMDB_DATA_VERSION 1u
#define LMDB_TXNID_OFF (LMDB_PAGEHDR + 128)   /* mm_txnid in MDB_meta (64-bit) */

static void put32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i)); }
static void put64(uint8_t *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i)); }
static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t get64(const uint8_t *p) { return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32; }

/* zlib's crc32 takes a uInt length: feed large buffers in pieces. */
static uint32_t crc_update(uint32_t crc, const uint8_t *p, size_t n)
{
    while (n) {
        uInt chunk = n > (1u << 30) ? (1u << 30) : (uInt)n;
        crc = (uint32_t)crc32(crc, p, chunk);
        p += chunk;
        n -= chunk;
    }
    return crc;
}

static uint32_t record_crc(uint64_t segno, const uint8_t *from_seq, size_t n)
{
    uint8_t s[8];
    put64(s, segno);
    return crc_update(crc_update((uint32_t)crc32(0, Z_NULL, 0), s, 8), from_seq, n);
}

/* ---- op buffer ---- */

static int reserve(pt_wal_buf_t *b, size_t more)
{
    if (b->cap - b->len >= more) return PT_OK;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap - b->len < more) {
        if (cap > SIZE_MAX / 2) return PT_ERR;
        cap *= 2;
    }
    uint8_t *d = realloc(b->data, cap);
    if (!d) return PT_ERR;
    b->data = d;
    b->cap = cap;
    return PT_OK;
}

int pt_wal_buf_reset(pt_wal_buf_t *b)
{
    b->len = 0;
    if (reserve(b, PT_WAL_HDR)) return PT_ERR;
    b->len = PT_WAL_HDR;
    return PT_OK;
}

void pt_wal_buf_free(pt_wal_buf_t *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

static uint8_t *append_op(pt_wal_buf_t *b, int type, const void *key, size_t klen, size_t vlen)
{
    if (klen > UINT32_MAX || vlen > UINT32_MAX || klen + vlen > SIZE_MAX - OP_HDR) return NULL;
    if (reserve(b, OP_HDR + klen + vlen)) return NULL;
    uint8_t *p = b->data + b->len;
    p[0] = (uint8_t)type;
    put32(p + 1, (uint32_t)klen);
    put32(p + 5, (uint32_t)vlen);
    memcpy(p + OP_HDR, key, klen);
    b->len += OP_HDR + klen + vlen;
    return p + OP_HDR + klen;
}

uint8_t *pt_wal_buf_put(pt_wal_buf_t *b, const void *key, size_t klen, size_t vlen)
{
    return append_op(b, PT_WAL_OP_PUT, key, klen, vlen);
}

int pt_wal_buf_del(pt_wal_buf_t *b, const void *key, size_t klen)
{
    return append_op(b, PT_WAL_OP_DEL, key, klen, 0) ? PT_OK : PT_ERR;
}

int pt_wal_seal(pt_wal_buf_t *b, uint64_t segno, uint64_t seq, pt_error_t *err)
{
    if (b->len > UINT32_MAX)
        return pt_error_set(err, PT_E_INTERNAL, "wal: transaction of %zu bytes exceeds the 4 GiB "
                            "log record limit", b->len);
    put32(b->data, (uint32_t)b->len);
    put64(b->data + 8, seq);
    put32(b->data + 4, record_crc(segno, b->data + 8, b->len - 8));
    return PT_OK;
}

/* ---- segments ---- */

int pt_wal_segment_path(char *out, size_t n, const char *dir, uint64_t segno)
{
    int w = snprintf(out, n, "%s/wal-%016" PRIx64 ".log", dir, segno);
    return (w < 0 || (size_t)w >= n) ? PT_ERR : PT_OK;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int pt_wal_list(const char *dir, uint64_t **out, size_t *n, pt_error_t *err)
{
    *out = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) return pt_error_set(err, PT_E_INTERNAL, "opendir %s: %s", dir, strerror(errno));
    size_t cap = 0;
    struct dirent *e;
    int rc = PT_OK;
    while ((e = readdir(d))) {
        const char *name = e->d_name;
        if (strlen(name) != 4 + 16 + 4 || strncmp(name, "wal-", 4) || strcmp(name + 20, ".log")) continue;
        uint64_t v = 0;
        bool ok = true;
        for (int i = 4; i < 20; i++) {
            char c = name[i];
            int dgt = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
            if (dgt < 0) { ok = false; break; }
            v = v << 4 | (uint64_t)dgt;
        }
        if (!ok) continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            uint64_t *a = realloc(*out, cap * sizeof *a);
            if (!a) { rc = pt_error_set(err, PT_E_INTERNAL, "wal: out of memory"); break; }
            *out = a;
        }
        (*out)[(*n)++] = v;
    }
    closedir(d);
    if (rc) { free(*out); *out = NULL; *n = 0; return rc; }
    if (*n) qsort(*out, *n, sizeof **out, cmp_u64);
    return PT_OK;
}

/* Length of the valid record at p (crc and length only), or 0. */
static size_t record_valid(const uint8_t *p, size_t avail, uint64_t segno)
{
    if (avail < PT_WAL_HDR) return 0;
    size_t len = get32(p);
    if (len < PT_WAL_HDR || len > avail) return 0;
    if (record_crc(segno, p + 8, len - 8) != get32(p + 4)) return 0;
    return len;
}

/* Calls fn for each op of well-framed ops [p, end). */
static int each_op(const uint8_t *p, const uint8_t *end, pt_wal_op_fn fn, void *ctx, pt_error_t *err)
{
    while (p < end) {
        size_t kl = get32(p + 1), vl = get32(p + 5);
        int rc = fn(ctx, p[0], p + OP_HDR, kl, p + OP_HDR + kl, vl, err);
        if (rc) return rc;
        p += OP_HDR + kl + vl;
    }
    return PT_OK;
}

int pt_wal_buf_each(const pt_wal_buf_t *b, pt_wal_op_fn fn, void *ctx, pt_error_t *err)
{
    return each_op(b->data + PT_WAL_HDR, b->data + b->len, fn, ctx, err);
}

int pt_wal_replay(const char *path, uint64_t segno, uint64_t *last_seq, uint64_t *gap_seq,
                  pt_wal_op_fn fn, void *ctx, pt_error_t *err)
{
    *gap_seq = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return pt_error_set(err, PT_E_INTERNAL, "open %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return pt_error_set(err, PT_E_INTERNAL, "stat %s: %s", path, strerror(errno));
    }
    size_t size = (size_t)st.st_size;
    if (size < PT_WAL_HDR) {
        close(fd);
        return PT_OK;
    }
    const uint8_t *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED) return pt_error_set(err, PT_E_INTERNAL, "mmap %s: %s", path, strerror(errno));

    int rc = PT_OK;
    size_t off = 0;
    for (;;) {
        size_t len = record_valid(map + off, size - off, segno);
        if (!len) break;
        uint64_t seq = get64(map + off + 8);
        if (seq != *last_seq + 1) {
            if (off == 0) *gap_seq = seq;
            break;
        }
        /* Check the whole record's op framing before applying any of it. */
        const uint8_t *p = map + off + PT_WAL_HDR, *end = map + off + len;
        for (const uint8_t *q = p; q < end;) {
            size_t kl, vl;
            if ((size_t)(end - q) < OP_HDR || (q[0] != PT_WAL_OP_PUT && q[0] != PT_WAL_OP_DEL) ||
                (kl = get32(q + 1)) > (size_t)(end - q) - OP_HDR ||
                (vl = get32(q + 5)) > (size_t)(end - q) - OP_HDR - kl) {
                rc = pt_error_set(err, PT_E_INTERNAL, "%s: malformed record %" PRIu64
                                  " at offset %zu (crc matched)", path, seq, off);
                goto out;
            }
            q += OP_HDR + kl + vl;
        }
        if ((rc = each_op(p, end, fn, ctx, err))) goto out;
        *last_seq = seq;
        off += len;
    }
out:
    munmap((void *)map, size);
    return rc;
}

int pt_wal_prefill(int fd, size_t size, pt_error_t *err)
{
    struct stat st;
    if (fstat(fd, &st) != 0) return pt_error_set(err, PT_E_INTERNAL, "wal: fstat: %s", strerror(errno));
    static const uint8_t zeros[1 << 16];
    for (size_t off = (size_t)st.st_size; off < size;) {
        size_t n = size - off < sizeof zeros ? size - off : sizeof zeros;
        ssize_t w = pwrite(fd, zeros, n, (off_t)off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return pt_error_set(err, PT_E_INTERNAL, "wal: prefill: %s", strerror(errno));
        off += (size_t)w;
    }
    if (fdatasync(fd) != 0) return pt_error_set(err, PT_E_INTERNAL, "wal: fdatasync: %s", strerror(errno));
    return PT_OK;
}

/* ---- checkpoint file ---- */

bool pt_wal_meta_valid(const uint8_t *page)
{
    return get32(page + LMDB_PAGEHDR) == LMDB_MAGIC && get32(page + LMDB_PAGEHDR + 4) == LMDB_DATA_VERSION;
}

uint64_t pt_wal_meta_txnid(const uint8_t *page) { return get64(page + LMDB_TXNID_OFF); }

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return PT_ERR;
        p += w;
        n -= (size_t)w;
    }
    return PT_OK;
}

int pt_wal_checkpoint_write(const char *dir, int dir_fd, const pt_wal_checkpoint_t *c, pt_error_t *err)
{
    char tmp[4096], final[4096];
    if (snprintf(tmp, sizeof tmp, "%s/checkpoint.tmp", dir) >= (int)sizeof tmp ||
        snprintf(final, sizeof final, "%s/checkpoint", dir) >= (int)sizeof final)
        return pt_error_set(err, PT_E_INTERNAL, "checkpoint: path too long");
    size_t n = CKPT_HDR + 2 * (size_t)c->psize + 4;
    uint8_t *buf = malloc(n);
    if (!buf) return pt_error_set(err, PT_E_INTERNAL, "checkpoint: out of memory");
    memcpy(buf, CKPT_MAGIC, 8);
    put32(buf + 8, CKPT_VERSION);
    put32(buf + 12, c->psize);
    put64(buf + 16, c->seq);
    put64(buf + 24, c->first_seg);
    memcpy(buf + CKPT_HDR, c->metas, 2 * (size_t)c->psize);
    put32(buf + n - 4, crc_update((uint32_t)crc32(0, Z_NULL, 0), buf, n - 4));

    int rc = PT_OK;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || write_all(fd, buf, n) || fsync(fd) != 0)
        rc = pt_error_set(err, PT_E_INTERNAL, "write %s: %s", tmp, strerror(errno));
    if (fd >= 0) close(fd);
    free(buf);
    if (rc) return rc;
    if (rename(tmp, final) != 0)
        return pt_error_set(err, PT_E_INTERNAL, "rename %s: %s", tmp, strerror(errno));
    if (fsync(dir_fd) != 0) return pt_error_set(err, PT_E_INTERNAL, "fsync %s: %s", dir, strerror(errno));
    return PT_OK;
}

int pt_wal_checkpoint_read(const char *dir, pt_wal_checkpoint_t *c, bool *exists, pt_error_t *err)
{
    memset(c, 0, sizeof *c);
    *exists = false;
    char path[4096];
    if (snprintf(path, sizeof path, "%s/checkpoint", dir) >= (int)sizeof path)
        return pt_error_set(err, PT_E_INTERNAL, "checkpoint: path too long");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return PT_OK;
        return pt_error_set(err, PT_E_INTERNAL, "open %s: %s", path, strerror(errno));
    }
    *exists = true;
    uint8_t hdr[CKPT_HDR];
    uint8_t *buf = NULL;
    int rc = PT_OK;
    struct stat st;
    if (fstat(fd, &st) != 0 || pread(fd, hdr, sizeof hdr, 0) != (ssize_t)sizeof hdr ||
        memcmp(hdr, CKPT_MAGIC, 8) != 0 || get32(hdr + 8) != CKPT_VERSION) {
        rc = pt_error_set(err, PT_E_INTERNAL, "%s is not a Portico checkpoint file (bad header); "
                          "refusing to open the data directory", path);
        goto out;
    }
    uint32_t psize = get32(hdr + 12);
    size_t n = CKPT_HDR + 2 * (size_t)psize + 4;
    if (psize < 512 || psize > MAX_PSIZE || (psize & (psize - 1)) || (size_t)st.st_size != n ||
        !(buf = malloc(n)) || pread(fd, buf, n, 0) != (ssize_t)n ||
        crc_update((uint32_t)crc32(0, Z_NULL, 0), buf, n - 4) != get32(buf + n - 4)) {
        rc = pt_error_set(err, PT_E_INTERNAL, "%s is corrupt (size or crc mismatch); refusing to "
                          "open the data directory", path);
        goto out;
    }
    if (!pt_wal_meta_valid(buf + CKPT_HDR) || !pt_wal_meta_valid(buf + CKPT_HDR + psize)) {
        rc = pt_error_set(err, PT_E_INTERNAL, "%s does not hold LMDB meta pages; refusing to open "
                          "the data directory", path);
        goto out;
    }
    c->psize = psize;
    c->seq = get64(buf + 16);
    c->first_seg = get64(buf + 24);
    c->metas = malloc(2 * (size_t)psize);
    if (!c->metas) {
        rc = pt_error_set(err, PT_E_INTERNAL, "checkpoint: out of memory");
        goto out;
    }
    memcpy(c->metas, buf + CKPT_HDR, 2 * (size_t)psize);
out:
    free(buf);
    close(fd);
    return rc;
}
