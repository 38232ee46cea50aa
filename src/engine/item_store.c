/* Item storage and derived data: see item_store.h. */
#include "engine/item_store.h"

#include <string.h>

#include "engine/index.h"
#include "engine/key.h"
#include "engine/ttl.h"

pt_slice_t pt_item_key(pt_arena_t *arena, const pt_table_t *t, const pt_av_t *hash, const pt_av_t *range)
{
    pt_buf_t b = PT_BUF_INIT;
    pt_key_encode(t->id, 0, hash, range, &b);
    pt_slice_t s = pt_slice(pt_arena_memdup(arena, b.data, b.len), b.len);
    pt_buf_free(&b);
    return s;
}

int pt_item_read(pt_txn_t *txn, pt_arena_t *arena, pt_slice_t key, pt_stored_item_t *out, pt_error_t *err)
{
    pt_slice_t v;
    int rc = pt_get(txn, key, &v, err);
    if (rc != PT_OK) return rc;
    if (v.len < 4) return pt_error_set(err, PT_E_INTERNAL, "corrupt item: short value");
    const uint8_t *p = v.data;
    out->size = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    return pt_item_decode(arena, p + 4, v.len - 4, &out->item, err);
}

static int item_write(pt_txn_t *txn, pt_table_t *t, pt_slice_t key, const pt_stored_item_t *old,
                      const pt_stored_item_t *new_item, pt_write_origin_t origin, pt_index_units_t *index_units,
                      pt_error_t *err);

int pt_item_write(pt_txn_t *txn, pt_table_t *t, pt_slice_t key, const pt_stored_item_t *old,
                  const pt_stored_item_t *new_item, pt_error_t *err)
{
    return item_write(txn, t, key, old, new_item, PT_WRITE_CLIENT, NULL, err);
}

int pt_item_write_ex(pt_txn_t *txn, pt_table_t *t, pt_slice_t key, const pt_stored_item_t *old,
                     const pt_stored_item_t *new_item, pt_write_origin_t origin, pt_error_t *err)
{
    return item_write(txn, t, key, old, new_item, origin, NULL, err);
}

int pt_item_write_units(pt_txn_t *txn, pt_table_t *t, pt_slice_t key, const pt_stored_item_t *old,
                        const pt_stored_item_t *new_item, pt_index_units_t *index_units, pt_error_t *err)
{
    return item_write(txn, t, key, old, new_item, PT_WRITE_CLIENT, index_units, err);
}

static int item_write(pt_txn_t *txn, pt_table_t *t, pt_slice_t key, const pt_stored_item_t *old,
                      const pt_stored_item_t *new_item, pt_write_origin_t origin, pt_index_units_t *index_units,
                      pt_error_t *err)
{
    int rc;
    /* Streams (later) record the change here; `origin` tells a TTL
     * deletion (a service deletion) from a client's. */
    (void)origin;
    /* Secondary indexes first: it also rejects an index key attribute of
     * the wrong type before anything is written. t->indexes is read
     * without the meta lock: this is the writer thread. */
    if (t->nindexes &&
        (rc = pt_index_update(txn, t, old ? &old->item : NULL, old ? old->size : 0, new_item ? &new_item->item : NULL,
                              new_item ? new_item->size : 0, index_units, err)))
        return rc;
    if (new_item) {
        pt_buf_t b = PT_BUF_INIT;
        pt_buf_put_u32be(&b, new_item->size);
        pt_item_encode(&new_item->item, &b);
        rc = pt_put(txn, key, pt_slice(b.data, b.len), err);
        pt_buf_free(&b);
    } else {
        rc = old ? pt_del(txn, key, err) : PT_OK;
        if (rc == PT_NOTFOUND) rc = PT_OK;
    }
    if (rc) return rc;
    /* t->ttl_attr is read without the meta lock: this is the writer thread. */
    if (t->ttl_attr &&
        (rc = pt_ttl_index_update(txn, t, key, old ? &old->item : NULL, new_item ? &new_item->item : NULL, err)))
        return rc;

    int64_t dcount = (new_item ? 1 : 0) - (old ? 1 : 0);
    int64_t dsize = (int64_t)(new_item ? new_item->size : 0) - (int64_t)(old ? old->size : 0);
    if (dcount || dsize) return pt_catalog_add_stats(txn, t, dcount, dsize, err);
    return PT_OK;
}
