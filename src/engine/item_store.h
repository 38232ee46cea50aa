/* Reading and writing items of a table, and everything derived from them.
 *
 * pt_item_write is the single place where an item changes: every operation
 * (PutItem, UpdateItem, DeleteItem, batches, transactions, TTL expiry)
 * writes through it, so what is derived from items — table statistics now;
 * secondary index entries, the TTL expiry index and stream records as they
 * land — is maintained in the same storage transaction as the item itself.
 *
 * Stored value layout: u32 BE DynamoDB item size, then the binary item
 * (av.h). */
#ifndef PT_ITEM_STORE_H
#define PT_ITEM_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/av.h"
#include "engine/engine.h"
#include "store/store.h"

/* The stored form of an item, with its size, in arena memory. */
typedef struct pt_stored_item {
    pt_av_t item;
    uint32_t size;            /* DynamoDB item size (pt_item_size) */
} pt_stored_item_t;

/* Encodes the primary key of a table item into arena memory. */
pt_slice_t pt_item_key(pt_arena_t *arena, const pt_table_t *t, const pt_av_t *hash, const pt_av_t *range);

/* Reads the item stored under `key`. Returns PT_OK with *out filled (the item
 * is copied into `arena`, independent of the transaction), PT_NOTFOUND, or
 * PT_ERR. */
int pt_item_read(pt_txn_t *txn, pt_arena_t *arena, pt_slice_t key, pt_stored_item_t *out, pt_error_t *err);

/* pt_item_read without decoding: only out->size is set (out->item is empty,
 * zero attributes). For a write whose old item matters only by its size
 * (statistics, capacity): see pt_item_write_needs_old. PT_OK, PT_NOTFOUND
 * or PT_ERR. */
int pt_item_read_size(pt_txn_t *txn, pt_slice_t key, pt_stored_item_t *out, pt_error_t *err);

/* Whether pt_item_write needs the attributes of the old item for table `t`
 * (to remove its secondary-index and TTL-index entries), or only its size,
 * which pt_item_read_size gives for less. Writer thread (reads t->indexes
 * and t->ttl_attr without the meta lock). */
bool pt_item_write_needs_old(const pt_table_t *t);

/* Writes `new_item` (NULL: deletes) under `key`. `old` is the item currently
 * stored (from pt_item_read in the same transaction) or NULL if none. Keeps
 * the table's ItemCount/TableSizeBytes, its TTL expiry index (ttl.h) and
 * its secondary indexes (index.h) in step. Fails with a ValidationException
 * (nothing written) when new_item has an index key attribute of the wrong
 * type or an empty one (pt_index_check_item).
 * Write-transaction (writer thread) only. */
int pt_item_write(pt_txn_t *txn, pt_table_t *t, pt_slice_t key, const pt_stored_item_t *old,
                  const pt_stored_item_t *new_item, pt_error_t *err);

/* Who made a change: streams record TTL deletions as service deletions
 * (userIdentity type "Service", principal "dynamodb.amazonaws.com"). */
typedef enum {
    PT_WRITE_CLIENT = 0,   /* a client request */
    PT_WRITE_TTL = 1,      /* the TTL sweeper deleting an expired item */
} pt_write_origin_t;

/* pt_item_write with the change's origin (pt_item_write is origin
 * PT_WRITE_CLIENT). The hook where stream records will be written. */
int pt_item_write_ex(pt_txn_t *txn, pt_table_t *t, pt_slice_t key, const pt_stored_item_t *old,
                     const pt_stored_item_t *new_item, pt_write_origin_t origin, pt_error_t *err);

struct pt_index_units;
/* pt_item_write (a client's change) that also adds the write units each
 * secondary index consumed to *index_units (index.h; NULL: not wanted), for
 * ReturnConsumedCapacity. */
int pt_item_write_units(pt_txn_t *txn, pt_table_t *t, pt_slice_t key, const pt_stored_item_t *old,
                        const pt_stored_item_t *new_item, struct pt_index_units *index_units, pt_error_t *err);

/* ItemCount / TableSizeBytes changes of several writes to one table, kept
 * in memory and written with one read-modify-write of the table's
 * statistics record (pt_item_stats_flush) instead of one per write: that
 * record update costs about as much as writing the item itself.
 *
 * Exactness: the deltas must be flushed in the same transaction as the
 * writes they describe, before it commits; if that transaction aborts,
 * the deltas are simply dropped with it. A caller that fails between the
 * writes and the flush must therefore abort the transaction (every write
 * job does: a job returning PT_ERR has its nested transaction aborted). */
typedef struct pt_item_stats {
    int64_t items;
    int64_t bytes;
} pt_item_stats_t;

/* pt_item_write_units that adds the write's statistics change to *stats
 * instead of writing it (stats NULL: written now, as pt_item_write_units). */
int pt_item_write_deferred(pt_txn_t *txn, pt_table_t *t, pt_slice_t key, const pt_stored_item_t *old,
                           const pt_stored_item_t *new_item, struct pt_index_units *index_units,
                           pt_item_stats_t *stats, pt_error_t *err);

/* The put of pt_item_write_deferred for a table whose old items matter
 * only by their size (!pt_item_write_needs_old, and the caller needs no
 * condition or ReturnValues of the old item): the store writes the item
 * and reports the size of the one it replaced (*existed, *old_size) in one
 * call, where reading it first would cost a second B-tree descent. */
int pt_item_put_sized(pt_txn_t *txn, pt_table_t *t, pt_slice_t key, const pt_stored_item_t *new_item, bool *existed,
                      uint32_t *old_size, pt_item_stats_t *stats, pt_error_t *err);

/* Writes the accumulated *stats of table `t` (nothing when they are zero)
 * and zeroes them. */
int pt_item_stats_flush(pt_txn_t *txn, const pt_table_t *t, pt_item_stats_t *stats, pt_error_t *err);

#endif
