/* Item storage and derived data: see item_store.h. */
#include "engine/item_store.h"

#include <string.h>

#include "engine/key.h"

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

int pt_item_write(pt_txn_t *txn, pt_table_t *t, pt_slice_t key, const pt_stored_item_t *old,
                  const pt_stored_item_t *new_item, pt_error_t *err)
{
    int rc;
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

    int64_t dcount = (new_item ? 1 : 0) - (old ? 1 : 0);
    int64_t dsize = (int64_t)(new_item ? new_item->size : 0) - (int64_t)(old ? old->size : 0);
    if (dcount || dsize) return pt_catalog_add_stats(txn, t, dcount, dsize, err);
    return PT_OK;
}
