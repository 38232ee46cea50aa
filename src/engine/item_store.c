/* Item storage and derived data: see item_store.h.
 *
 * Cost notes (this is on every write): the table statistics record is a
 * get + put in the catalog's part of the tree, about as dear as the item
 * put itself, so callers writing many items of one table in one job
 * (BatchWriteItem) accumulate the deltas and write the record once
 * (pt_item_write_deferred / pt_item_stats_flush). Reading the old item only
 * for its size (pt_item_read_size) skips the decode and its arena copy, and
 * where a put needs nothing else of it (no indexes or TTL, no condition or
 * ReturnValues) the store reports it while writing (pt_item_put_sized): one
 * B-tree descent per new item instead of two. */
#include "engine/item_store.h"

#include <assert.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "engine/index.h"
#include "engine/key.h"
#include "engine/stream.h"
#include "engine/ttl.h"

pt_slice_t pt_item_key(pt_arena_t *arena, const pt_table_t *t, const pt_av_t *hash, const pt_av_t *range)
{
    /* Encoded straight into arena memory of the worst-case size: a pt_buf
     * whose capacity already covers everything pt_key_encode appends never
     * reallocates, so this skips a malloc, a copy and a free per key. */
    size_t max = pt_key_max_encoded_len(hash, range);
    pt_buf_t b = {pt_arena_alloc(arena, max), 0, max};
    char *mem = b.data;
    pt_key_encode(t->id, 0, hash, range, &b);
    assert(b.data == mem && b.len <= max);
    (void)mem;
    return pt_slice(b.data, b.len);
}

/* The size a stored value begins with (u32 BE; the encoding follows). */
static int stored_size(const void *value, size_t len, uint32_t *size, pt_error_t *err)
{
    if (len < 4) return pt_error_set(err, PT_E_INTERNAL, "corrupt item: short value");
    const uint8_t *p = value;
    *size = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    return PT_OK;
}

int pt_item_read(pt_txn_t *txn, pt_arena_t *arena, pt_slice_t key, pt_stored_item_t *out, pt_error_t *err)
{
    pt_slice_t v;
    int rc = pt_get(txn, key, &v, err);
    if (rc != PT_OK) return rc;
    if (stored_size(v.data, v.len, &out->size, err)) return PT_ERR;
    return pt_item_decode(arena, (const uint8_t *)v.data + 4, v.len - 4, &out->item, err);
}

int pt_item_read_size(pt_txn_t *txn, pt_slice_t key, pt_stored_item_t *out, pt_error_t *err)
{
    pt_slice_t v;
    int rc = pt_get(txn, key, &v, err);
    if (rc != PT_OK) return rc;
    if (stored_size(v.data, v.len, &out->size, err)) return PT_ERR;
    memset(&out->item, 0, sizeof out->item);
    out->item.type = PT_AV_M;
    return PT_OK;
}

bool pt_item_write_needs_old(const pt_table_t *t)
{
    /* a stream record needs the old image (and whether the item changed) */
    return t->nindexes != 0 || t->ttl_attr != NULL || pt_stream_recording(t);
}

static int item_write(pt_txn_t *txn, pt_table_t *t, pt_slice_t key, const pt_stored_item_t *old,
                      const pt_stored_item_t *new_item, pt_write_origin_t origin, pt_index_units_t *index_units,
                      pt_item_stats_t *stats, pt_error_t *err);

int pt_item_write(pt_txn_t *txn, pt_table_t *t, pt_slice_t key, const pt_stored_item_t *old,
                  const pt_stored_item_t *new_item, pt_error_t *err)
{
    return item_write(txn, t, key, old, new_item, PT_WRITE_CLIENT, NULL, NULL, err);
}

int pt_item_write_ex(pt_txn_t *txn, pt_table_t *t, pt_slice_t key, const pt_stored_item_t *old,
                     const pt_stored_item_t *new_item, pt_write_origin_t origin, pt_error_t *err)
{
    return item_write(txn, t, key, old, new_item, origin, NULL, NULL, err);
}

int pt_item_write_units(pt_txn_t *txn, pt_table_t *t, pt_slice_t key, const pt_stored_item_t *old,
                        const pt_stored_item_t *new_item, pt_index_units_t *index_units, pt_error_t *err)
{
    return item_write(txn, t, key, old, new_item, PT_WRITE_CLIENT, index_units, NULL, err);
}

int pt_item_write_deferred(pt_txn_t *txn, pt_table_t *t, pt_slice_t key, const pt_stored_item_t *old,
                           const pt_stored_item_t *new_item, pt_index_units_t *index_units, pt_item_stats_t *stats,
                           pt_error_t *err)
{
    return item_write(txn, t, key, old, new_item, PT_WRITE_CLIENT, index_units, stats, err);
}

int pt_item_stats_flush(pt_txn_t *txn, const pt_table_t *t, pt_item_stats_t *stats, pt_error_t *err)
{
    if (!stats->items && !stats->bytes) return PT_OK;
    int rc = pt_catalog_add_stats(txn, t, stats->items, stats->bytes, err);
    stats->items = stats->bytes = 0;
    return rc;
}

/* The buffer items are encoded into before pt_put (which copies them):
 * one per thread, kept between writes, so a write costs no malloc/free.
 * Freed by the thread-exit destructor; a buffer that grew past
 * SCRATCH_KEEP_BYTES for a large item is freed after that write, so no
 * thread keeps hundreds of KB. */
#define SCRATCH_KEEP_BYTES (64u * 1024)

static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;
static bool scratch_key_ok;

static void scratch_free(void *p)
{
    pt_buf_t *b = p;
    pt_buf_free(b);
    free(b);
}

static void scratch_init(void)
{
    scratch_key_ok = pthread_key_create(&scratch_key, scratch_free) == 0;
}

/* A cleared buffer: the thread's scratch, or a fresh heap one (when the key
 * or its allocation failed); hand it back with encode_buffer_done. */
static pt_buf_t *encode_buffer(void)
{
    pthread_once(&scratch_once, scratch_init);
    pt_buf_t *b = scratch_key_ok ? pthread_getspecific(scratch_key) : NULL;
    if (!b) {
        b = calloc(1, sizeof *b);
        if (!b) pt_oom();
        /* if this fails, the buffer is not kept: encode_buffer_done frees it */
        if (scratch_key_ok) (void)pthread_setspecific(scratch_key, b);
    }
    pt_buf_clear(b);
    return b;
}

static void encode_buffer_done(pt_buf_t *b)
{
    bool kept = scratch_key_ok && pthread_getspecific(scratch_key) == b;
    if (!kept) {
        scratch_free(b);
    } else if (b->cap > SCRATCH_KEEP_BYTES) {
        pt_buf_free(b);
    }
}

/* Stores item under key: its size (u32 BE) and its encoding. With head,
 * also reports the replaced value (pt_put_replacing). */
static int encode_and_put(pt_txn_t *txn, pt_slice_t key, const pt_stored_item_t *item, uint8_t *head,
                          size_t *old_len, pt_error_t *err)
{
    pt_buf_t *b = encode_buffer();
    pt_buf_put_u32be(b, item->size);
    pt_item_encode(&item->item, b);
    pt_slice_t v = pt_slice(b->data, b->len);
    int rc = head ? pt_put_replacing(txn, key, v, head, 4, old_len, err) : pt_put(txn, key, v, err);
    encode_buffer_done(b);
    return rc;
}

int pt_item_put_sized(pt_txn_t *txn, pt_table_t *t, pt_slice_t key, const pt_stored_item_t *new_item, bool *existed,
                      uint32_t *old_size, pt_item_stats_t *stats, pt_error_t *err)
{
    assert(!pt_item_write_needs_old(t));
    (void)t;
    uint8_t head[4];   /* a stored item starts with its size, u32 BE */
    size_t old_len;
    int rc = encode_and_put(txn, key, new_item, head, &old_len, err);
    if (rc) return rc;
    *existed = old_len != PT_STORE_NO_OLD;
    *old_size = 0;
    if (*existed && stored_size(head, old_len, old_size, err)) return PT_ERR;
    stats->items += *existed ? 0 : 1;
    stats->bytes += (int64_t)new_item->size - (int64_t)*old_size;
    return PT_OK;
}

static int item_write(pt_txn_t *txn, pt_table_t *t, pt_slice_t key, const pt_stored_item_t *old,
                      const pt_stored_item_t *new_item, pt_write_origin_t origin, pt_index_units_t *index_units,
                      pt_item_stats_t *stats, pt_error_t *err)
{
    int rc;
    /* Secondary indexes first: it also rejects an index key attribute of
     * the wrong type before anything is written. t->indexes is read
     * without the meta lock: this is the writer thread. */
    if (t->nindexes &&
        (rc = pt_index_update(txn, t, old ? &old->item : NULL, old ? old->size : 0, new_item ? &new_item->item : NULL,
                              new_item ? new_item->size : 0, index_units, err)))
        return rc;
    if (new_item) {
        rc = encode_and_put(txn, key, new_item, NULL, NULL, err);
    } else {
        rc = old ? pt_del(txn, key, err) : PT_OK;
        if (rc == PT_NOTFOUND) rc = PT_OK;
    }
    if (rc) return rc;
    /* t->ttl_attr is read without the meta lock: this is the writer thread. */
    if (t->ttl_attr &&
        (rc = pt_ttl_index_update(txn, t, key, old ? &old->item : NULL, new_item ? &new_item->item : NULL, err)))
        return rc;
    /* `origin` tells a TTL deletion (a service deletion) from a client's */
    if (pt_stream_recording(t) && (rc = pt_stream_record(txn, t, old, new_item, origin, err))) return rc;

    int64_t dcount = (new_item ? 1 : 0) - (old ? 1 : 0);
    int64_t dsize = (int64_t)(new_item ? new_item->size : 0) - (int64_t)(old ? old->size : 0);
    if (stats) {
        stats->items += dcount;
        stats->bytes += dsize;
        return PT_OK;
    }
    if (dcount || dsize) return pt_catalog_add_stats(txn, t, dcount, dsize, err);
    return PT_OK;
}
