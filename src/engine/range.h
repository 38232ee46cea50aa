/* Key-range iteration over a table's items: the storage side of Query and
 * Scan.
 *
 * A range is a pair of bounds on stored keys (key.h layout), each inclusive
 * or exclusive. Because enc() is self-delimiting and order-preserving, every
 * Query key condition and every parallel-scan segment is exactly one such
 * contiguous range, and reading a page costs one seek plus one step per item
 * read, whatever the size of the table or partition.
 *
 *  - a partition:        [P, succ(P))          P = table|index|hash|enc(pk)
 *  - sort key = v:       [P+enc(v), P+enc(v)]
 *  - < v, <= v, > v, >= v: one bound moved to P+enc(v)
 *  - BETWEEN a AND b:    [P+enc(a), P+enc(b)]
 *  - begins_with(p):     [P+esc(p), succ(P+esc(p)))  where esc(p) is enc(p)
 *                         without its 0x00 0x01 terminator: esc() is a
 *                         sequence of whole escape tokens, so a stored
 *                         sort key starts with esc(p) iff the value starts
 *                         with p (see range.c)
 *  - scan segment i of n: [T+be32(lo), T+be32(hi))  T = table|index, with
 *                         lo = floor(i*2^32/n), hi = floor((i+1)*2^32/n)
 * succ(x) is the smallest key greater than every key that starts with x.
 *
 * Stored values are u32 BE item size + binary item (item_store.h); this
 * module reads them from cursor memory without going through pt_item_read,
 * so a page can skip decoding items it does not return (Select COUNT). */
#ifndef PT_RANGE_H
#define PT_RANGE_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/engine.h"
#include "engine/expr.h"
#include "engine/item_store.h"
#include "store/store.h"
#include "util/arena.h"

typedef struct pt_range {
    pt_slice_t lo;            /* lo.len == 0: no lower bound */
    bool lo_incl;
    pt_slice_t hi;            /* hi.len == 0: no upper bound */
    bool hi_incl;
} pt_range_t;

/* The range of a Query on the base table: a partition-key equality and an
 * optional sort-key condition (kc->range_op, operands of the table's sort
 * key type; begins_with only on S/B). Keys are allocated from `arena`. */
void pt_range_query(pt_arena_t *arena, const pt_table_t *t, const pt_key_condition_t *kc, pt_range_t *out);

/* The range of a Query on secondary index `ix` of `t` (key.h / index.h
 * entry layout): kc is on the index's key schema. Entries continue after
 * the index sort key with the table key, so sort-key equality and the
 * inclusive bounds cover every entry with that index key. */
void pt_range_query_index(pt_arena_t *arena, const pt_table_t *t, const pt_index_t *ix, const pt_key_condition_t *kc,
                          pt_range_t *out);
/* The range of a Scan segment of index `index_id` (0: the base table). */
void pt_range_segment_index(pt_arena_t *arena, const pt_table_t *t, uint8_t index_id, uint32_t segment,
                            uint32_t total, pt_range_t *out);
/* The entry key of an index for the given key values (irange ignored when
 * the index has no sort key, trange when the table has none). */
pt_slice_t pt_range_index_key(pt_arena_t *arena, const pt_table_t *t, const pt_index_t *ix, const pt_av_t *ihash,
                              const pt_av_t *irange, const pt_av_t *thash, const pt_av_t *trange);
/* Decodes an index entry key into its four key values (absent ones are
 * zeroed: type 0). PT_ERR (InternalServerError) if it does not parse. */
int pt_range_index_key_decode(pt_arena_t *arena, const pt_table_t *t, const pt_index_t *ix, pt_slice_t key,
                              pt_av_t *ihash, pt_av_t *irange, pt_av_t *thash, pt_av_t *trange, pt_error_t *err);

/* The range of segment `segment` of `total` (1 <= total, segment < total)
 * of a Scan of the base table; total 1 is the whole table. */
void pt_range_segment(pt_arena_t *arena, const pt_table_t *t, uint32_t segment, uint32_t total, pt_range_t *out);
/* The hash values [*lo, *hi_excl) of a segment; hi_excl is 2^32 for the last. */
void pt_range_segment_hashes(uint32_t segment, uint32_t total, uint64_t *lo, uint64_t *hi_excl);

/* Narrows `r` to the keys after `key` in iteration order (ExclusiveStartKey):
 * forward, keys > key; reverse, keys < key. */
void pt_range_start_after(pt_range_t *r, pt_slice_t key, bool forward);

/* memcmp order with the shorter prefix first: the store's key order. */
int pt_range_key_cmp(pt_slice_t a, pt_slice_t b);

/* Iterator over a range in a transaction (forward or reverse). */
typedef struct pt_range_iter {
    pt_cursor_t *cursor;
    pt_range_t range;
    bool forward;
    bool started;
    bool done;
} pt_range_iter_t;

int pt_range_open(pt_txn_t *txn, const pt_range_t *r, bool forward, pt_range_iter_t *it, pt_error_t *err);
/* Next entry: PT_OK with key/value (store memory, valid until the
 * transaction ends or the next write in it), PT_NOTFOUND past the end, or
 * PT_ERR. */
int pt_range_next(pt_range_iter_t *it, pt_slice_t *key, pt_slice_t *value, pt_error_t *err);
void pt_range_close(pt_range_iter_t *it);

/* The DynamoDB item size stored in front of a value; PT_ERR if the value is
 * too short to hold it. */
int pt_range_value_size(pt_slice_t value, uint32_t *size, pt_error_t *err);
/* Decodes a stored value (size + binary item) into arena memory. */
int pt_range_value_decode(pt_arena_t *arena, pt_slice_t value, pt_stored_item_t *out, pt_error_t *err);

/* Decodes the key attributes of a stored base-table key: the partition key
 * and (if the table has one) the sort key, into arena memory. PT_ERR
 * (InternalServerError "corrupt key") if the key does not parse. */
int pt_range_key_decode(pt_arena_t *arena, const pt_table_t *t, pt_slice_t key, pt_av_t *hash, pt_av_t *range,
                        pt_error_t *err);

/* The partition hash stored in a key (bytes 5..8). */
uint32_t pt_range_key_hash(pt_slice_t key);

#endif
