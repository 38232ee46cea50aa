/* Key ranges and their iteration (see range.h).
 *
 * Invariants:
 *  - A range's bounds are keys in the store's order; iteration never
 *    yields a key outside them, and visits each key at most once.
 *  - Iteration costs one seek plus one cursor step per entry returned: no
 *    work proportional to the size of the table or of the partition.
 *
 * begins_with bounds: enc(v) of an S/B value is esc(v) followed by the
 * terminator 0x00 0x01, where esc() writes each byte as itself except 0x00,
 * written 0x00 0xFF. esc(p) is a sequence of whole tokens (a non-zero byte or
 * a 0x00 0xFF pair), and enc(v) parses into tokens unambiguously from the
 * left, so enc(v) starts with esc(p) exactly when v starts with p. The
 * stored keys of a partition whose sort key starts with p are therefore the
 * keys starting with P+esc(p): the range [P+esc(p), succ(P+esc(p))).
 *
 * This module does not validate key conditions (types, operators): callers
 * pass conditions already checked against the key schema. */
#include "engine/range.h"

#include <string.h>

#include "engine/key.h"

int pt_range_key_cmp(pt_slice_t a, pt_slice_t b)
{
    size_t n = a.len < b.len ? a.len : b.len;
    int c = n ? memcmp(a.data, b.data, n) : 0;
    if (c) return c < 0 ? -1 : 1;
    return (a.len > b.len) - (a.len < b.len);
}

static pt_slice_t detach(pt_arena_t *arena, pt_buf_t *b)
{
    pt_slice_t s = pt_slice(pt_arena_memdup(arena, b->data, b->len), b->len);
    pt_buf_free(b);
    return s;
}

/* succ(x): drop trailing 0xFF bytes and increment the last byte. Every key
 * starting with x is < succ(x), and nothing else before it is. An all-0xFF x
 * has no successor: len 0 (no upper bound). */
static pt_slice_t successor(pt_arena_t *arena, const uint8_t *x, size_t len)
{
    while (len && x[len - 1] == 0xFF) len--;
    if (!len) return pt_slice(NULL, 0);
    uint8_t *s = pt_arena_memdup(arena, x, len);
    s[len - 1]++;
    return pt_slice(s, len);
}

/* The range of a key condition under prefix table|index. `suffixed`: the
 * stored keys continue after the sort key (index entries end with the
 * table key), so "sort key = v" is every key starting with P+enc(v), not
 * the single key P+enc(v); the bounds that must include or exclude all of
 * them move to succ(P+enc(v)). */
static void query_range(pt_arena_t *arena, uint32_t table_id, uint8_t index_id, const pt_key_condition_t *kc,
                        bool suffixed, pt_range_t *out)
{
    pt_buf_t p = PT_BUF_INIT;
    pt_key_encode(table_id, index_id, kc->hash, NULL, &p);
    size_t plen = p.len;
    pt_slice_t part = pt_slice(pt_arena_memdup(arena, p.data, p.len), p.len);

    out->lo = part;
    out->lo_incl = true;
    out->hi = successor(arena, part.data, part.len);
    out->hi_incl = false;

    pt_slice_t k1 = {0}, k2 = {0};
    if (kc->range_op != PT_KC_NONE && kc->range1) {
        pt_key_encode_value(kc->range1, &p);
        if (kc->range_op == PT_KC_BEGINS_WITH) p.len -= 2; /* drop the 0x00 0x01 terminator */
        k1 = pt_slice(pt_arena_memdup(arena, p.data, p.len), p.len);
        if (kc->range_op == PT_KC_BETWEEN && kc->range2) {
            p.len = plen;
            pt_key_encode_value(kc->range2, &p);
            k2 = pt_slice(pt_arena_memdup(arena, p.data, p.len), p.len);
        }
    }
    pt_buf_free(&p);
    /* succ(k) when suffixed; an all-0xFF k (impossible: enc() ends with
     * 0x01 or a number byte) would leave the partition bound */
    pt_slice_t s1 = suffixed && k1.len ? successor(arena, k1.data, k1.len) : k1;
    pt_slice_t s2 = suffixed && k2.len ? successor(arena, k2.data, k2.len) : k2;

    switch (kc->range_op) {
    case PT_KC_EQ:
        out->lo = k1;
        out->hi = s1;
        out->hi_incl = !suffixed;
        break;
    case PT_KC_LT:
        out->hi = k1;
        break;
    case PT_KC_LE:
        out->hi = s1;
        out->hi_incl = !suffixed;
        break;
    case PT_KC_GT:
        out->lo = s1;
        out->lo_incl = suffixed;
        break;
    case PT_KC_GE:
        out->lo = k1;
        break;
    case PT_KC_BETWEEN:
        out->lo = k1;
        out->hi = s2;
        out->hi_incl = !suffixed;
        break;
    case PT_KC_BEGINS_WITH: {
        pt_slice_t succ = successor(arena, k1.data, k1.len);
        out->lo = k1;
        /* k1 extends the partition prefix, so succ(k1) <= succ(P); an
         * all-0xFF tail can only widen it back to the partition's end */
        if (succ.len) out->hi = succ;
        break;
    }
    case PT_KC_NONE:
    default:
        break;
    }
}

void pt_range_query(pt_arena_t *arena, const pt_table_t *t, const pt_key_condition_t *kc, pt_range_t *out)
{
    query_range(arena, t->id, 0, kc, false, out);
}

void pt_range_query_index(pt_arena_t *arena, const pt_table_t *t, const pt_index_t *ix, const pt_key_condition_t *kc,
                          pt_range_t *out)
{
    query_range(arena, t->id, ix->id, kc, true, out);
}

void pt_range_segment_hashes(uint32_t segment, uint32_t total, uint64_t *lo, uint64_t *hi_excl)
{
    *lo = ((uint64_t)segment << 32) / total;
    *hi_excl = ((uint64_t)(segment + 1) << 32) / total;
}

void pt_range_segment(pt_arena_t *arena, const pt_table_t *t, uint32_t segment, uint32_t total, pt_range_t *out)
{
    pt_range_segment_index(arena, t, 0, segment, total, out);
}

void pt_range_segment_index(pt_arena_t *arena, const pt_table_t *t, uint8_t index_id, uint32_t segment,
                            uint32_t total, pt_range_t *out)
{
    uint64_t lo, hi;
    pt_range_segment_hashes(segment, total, &lo, &hi);
    pt_buf_t b = PT_BUF_INIT;
    pt_key_table_prefix(t->id, index_id, &b);
    size_t tlen = b.len;
    pt_buf_put_u32be(&b, (uint32_t)lo);
    out->lo = detach(arena, &b);
    out->lo_incl = true;
    out->hi_incl = false;
    if (hi < ((uint64_t)1 << 32)) {
        pt_key_table_prefix(t->id, index_id, &b);
        pt_buf_put_u32be(&b, (uint32_t)hi);
        out->hi = detach(arena, &b);
    } else {
        /* the last segment ends where the table's base keys end */
        out->hi = successor(arena, out->lo.data, tlen);
    }
}

void pt_range_start_after(pt_range_t *r, pt_slice_t key, bool forward)
{
    if (forward) {
        if (!r->lo.len || pt_range_key_cmp(key, r->lo) >= 0) {
            r->lo = key;
            r->lo_incl = false;
        }
    } else {
        if (!r->hi.len || pt_range_key_cmp(key, r->hi) <= 0) {
            r->hi = key;
            r->hi_incl = false;
        }
    }
}

int pt_range_open(pt_txn_t *txn, const pt_range_t *r, bool forward, pt_range_iter_t *it, pt_error_t *err)
{
    memset(it, 0, sizeof *it);
    it->range = *r;
    it->forward = forward;
    /* an empty range (lo above hi) yields nothing */
    if (r->lo.len && r->hi.len) {
        int c = pt_range_key_cmp(r->lo, r->hi);
        if (c > 0 || (c == 0 && !(r->lo_incl && r->hi_incl))) {
            it->done = true;
            return PT_OK;
        }
    }
    return pt_cursor_open(txn, &it->cursor, err);
}

static bool below_hi(const pt_range_t *r, pt_slice_t k)
{
    if (!r->hi.len) return true;
    int c = pt_range_key_cmp(k, r->hi);
    return c < 0 || (c == 0 && r->hi_incl);
}

static bool above_lo(const pt_range_t *r, pt_slice_t k)
{
    if (!r->lo.len) return true;
    int c = pt_range_key_cmp(k, r->lo);
    return c > 0 || (c == 0 && r->lo_incl);
}

int pt_range_next(pt_range_iter_t *it, pt_slice_t *key, pt_slice_t *value, pt_error_t *err)
{
    if (it->done) return PT_NOTFOUND;
    pt_slice_t k, v;
    int rc;
    const pt_range_t *r = &it->range;
    if (it->forward) {
        if (!it->started) {
            it->started = true;
            rc = pt_cursor_seek(it->cursor, r->lo, &k, &v, err);
            if (rc == PT_OK && !r->lo_incl && r->lo.len && pt_range_key_cmp(k, r->lo) == 0)
                rc = pt_cursor_next(it->cursor, &k, &v, err);
        } else {
            rc = pt_cursor_next(it->cursor, &k, &v, err);
        }
        if (rc == PT_OK && !below_hi(r, k)) rc = PT_NOTFOUND;
    } else {
        if (!it->started) {
            it->started = true;
            if (r->hi.len) {
                rc = pt_cursor_seek_le(it->cursor, r->hi, &k, &v, err);
                if (rc == PT_OK && !r->hi_incl && pt_range_key_cmp(k, r->hi) == 0)
                    rc = pt_cursor_prev(it->cursor, &k, &v, err);
            } else {
                rc = pt_cursor_prev(it->cursor, &k, &v, err); /* fresh cursor: the last key */
            }
        } else {
            rc = pt_cursor_prev(it->cursor, &k, &v, err);
        }
        if (rc == PT_OK && !above_lo(r, k)) rc = PT_NOTFOUND;
    }
    if (rc != PT_OK) {
        it->done = true;
        return rc;
    }
    *key = k;
    *value = v;
    return PT_OK;
}

void pt_range_close(pt_range_iter_t *it)
{
    if (it->cursor) pt_cursor_close(it->cursor);
    it->cursor = NULL;
    it->done = true;
}

int pt_range_value_size(pt_slice_t value, uint32_t *size, pt_error_t *err)
{
    if (value.len < 4) return pt_error_set(err, PT_E_INTERNAL, "corrupt item: short value");
    const uint8_t *p = value.data;
    *size = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    return PT_OK;
}

int pt_range_value_decode(pt_arena_t *arena, pt_slice_t value, pt_stored_item_t *out, pt_error_t *err)
{
    if (pt_range_value_size(value, &out->size, err)) return PT_ERR;
    return pt_item_decode(arena, (const uint8_t *)value.data + 4, value.len - 4, &out->item, err);
}

uint32_t pt_range_key_hash(pt_slice_t key)
{
    if (key.len < PT_KEY_PREFIX_LEN) return 0;
    const uint8_t *p = (const uint8_t *)key.data + 5;
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int pt_range_key_decode(pt_arena_t *arena, const pt_table_t *t, pt_slice_t key, pt_av_t *hash, pt_av_t *range,
                        pt_error_t *err)
{
    if (key.len < PT_KEY_PREFIX_LEN) return pt_error_set(err, PT_E_INTERNAL, "corrupt key: short");
    const uint8_t *p = (const uint8_t *)key.data + PT_KEY_PREFIX_LEN;
    size_t left = key.len - PT_KEY_PREFIX_LEN;
    size_t used = pt_key_decode_value(arena, t->hash.type, p, left, hash);
    if (!used) return pt_error_set(err, PT_E_INTERNAL, "corrupt key: partition key");
    p += used;
    left -= used;
    if (t->range.name) {
        used = pt_key_decode_value(arena, t->range.type, p, left, range);
        if (!used) return pt_error_set(err, PT_E_INTERNAL, "corrupt key: sort key");
        left -= used;
    } else if (range) {
        memset(range, 0, sizeof *range);
    }
    if (left) return pt_error_set(err, PT_E_INTERNAL, "corrupt key: trailing bytes");
    return PT_OK;
}

pt_slice_t pt_range_index_key(pt_arena_t *arena, const pt_table_t *t, const pt_index_t *ix, const pt_av_t *ihash,
                              const pt_av_t *irange, const pt_av_t *thash, const pt_av_t *trange)
{
    pt_buf_t b = PT_BUF_INIT;
    pt_key_encode(t->id, ix->id, ihash, ix->range.name ? irange : NULL, &b);
    pt_key_encode_value(thash, &b);
    if (t->range.name) pt_key_encode_value(trange, &b);
    return detach(arena, &b);
}

int pt_range_index_key_decode(pt_arena_t *arena, const pt_table_t *t, const pt_index_t *ix, pt_slice_t key,
                              pt_av_t *ihash, pt_av_t *irange, pt_av_t *thash, pt_av_t *trange, pt_error_t *err)
{
    if (key.len < PT_KEY_PREFIX_LEN) return pt_error_set(err, PT_E_INTERNAL, "corrupt index key: short");
    const uint8_t *p = (const uint8_t *)key.data + PT_KEY_PREFIX_LEN;
    size_t left = key.len - PT_KEY_PREFIX_LEN;
    const pt_attr_def_t *defs[4] = {&ix->hash, ix->range.name ? &ix->range : NULL, &t->hash,
                                    t->range.name ? &t->range : NULL};
    pt_av_t *outs[4] = {ihash, irange, thash, trange};
    for (int i = 0; i < 4; i++) {
        memset(outs[i], 0, sizeof *outs[i]);
        if (!defs[i]) continue;
        size_t used = pt_key_decode_value(arena, defs[i]->type, p, left, outs[i]);
        if (!used) return pt_error_set(err, PT_E_INTERNAL, "corrupt index key");
        p += used;
        left -= used;
    }
    if (left) return pt_error_set(err, PT_E_INTERNAL, "corrupt index key: trailing bytes");
    return PT_OK;
}
