/* Secondary indexes: entry layout, maintenance on every item write, the
 * type rules for index key attributes, and the background thread that
 * backfills a GSI created on a live table and purges a deleted index.
 *
 * Entry layout (key.h's ordering rules apply to every component):
 *   key   = table_id | index_id | hash32(index pk) | enc(index pk)
 *           | enc(index sk, if any) | enc(table pk) | enc(table sk, if any)
 *   value = u32 BE size of the projected item | binary projected item
 * The table-key suffix makes entries unique (GSI keys need not be) and
 * orders entries with equal index keys by table key, as DynamoDB does. The
 * value has the same form as a base-table value (item_store.h), so Query
 * and Scan read an index exactly like a table, and never touch the base
 * table for what the index projects: the projected item always holds the
 * table's and the index's key attributes, plus NonKeyAttributes (INCLUDE)
 * or everything (ALL).
 *
 * Sparse indexes: an item gets an entry only when it has every key
 * attribute of the index with the declared type. Writes of an index key
 * attribute with another type are rejected (pt_index_check_item) before
 * they reach storage; the backfill of a new GSI skips such items, as
 * DynamoDB does (it reports them as violations).
 *
 * ItemCount/IndexSizeBytes of an index are the number and summed projected
 * sizes of its entries, kept in the store beside the table's statistics. */
#ifndef PT_INDEX_H
#define PT_INDEX_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/av.h"
#include "engine/engine.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/json.h"

/* Most base items (or entries) one backfill/purge write job touches. */
#define PT_INDEX_BATCH 500

/* Looks up a live index of `t` by name (any thread; takes meta_lock). The
 * pointer stays valid while the caller holds a reference on `t`. */
pt_index_t *pt_index_find(pt_table_t *t, const char *name, size_t len);
/* Whether `ix` is still backfilling (any thread; takes meta_lock). */
bool pt_index_is_backfilling(pt_table_t *t, const pt_index_t *ix);

/* The entry key of `item` (a full table item) in `ix`, appended to `out`.
 * false (nothing appended) when the item is not in the index: an index key
 * attribute is missing or of another type. */
bool pt_index_entry_key(const pt_table_t *t, const pt_index_t *ix, const pt_av_t *item, pt_buf_t *out);
/* The projection of `item` into `ix`, in arena memory (members shared with
 * `item`). */
void pt_index_project(pt_arena_t *arena, const pt_table_t *t, const pt_index_t *ix, const pt_av_t *item,
                      pt_av_t *out);
/* Whether attribute `name` is projected into `ix` (key attributes always). */
bool pt_index_projects(const pt_table_t *t, const pt_index_t *ix, const char *name, size_t len);

/* DynamoDB's checks of an item about to be written against the index key
 * schemas (GSIs first, then LSIs, as DynamoDB reports them):
 *   "One or more parameter values were invalid: Type mismatch for Index Key
 *    X Expected: S Actual: N IndexName: I"
 *   "One or more parameter values are not valid. A value specified for a
 *    secondary index key is not supported. The AttributeValue for a key
 *    attribute cannot contain an empty string value. IndexName: I,
 *    IndexKey: X"
 * ValidationException; PT_OK when the item may be written. Any thread. */
int pt_index_check_item(pt_table_t *t, const pt_av_t *item, pt_error_t *err);

/* The write units one item change consumed in the indexes it touched
 * (DynamoDB's "Secondary indexes and write capacity" rules): an entry put
 * (the item enters the index) or deleted (it leaves) costs 1 unit per KB of
 * that projected entry; an entry updated in place costs the larger of its
 * old and new sizes, and nothing when nothing projected changed; a change
 * of an index key costs a delete plus a put. Indexes the change does not
 * touch are not listed. */
typedef struct pt_index_units {
    uint32_t n;
    struct {
        const pt_index_t *index;   /* lives as long as its table (engine.h) */
        double units;
    } v[PT_MAX_INDEXES];
} pt_index_units_t;

/* Writer thread: keeps every index of `t` in step with one item change
 * (old_item / new_item NULL when absent; sizes are DynamoDB item sizes).
 * Checks new_item with pt_index_check_item first. Called by pt_item_write.
 * Adds what each index consumed to *units unless it is NULL (units->n must
 * be set, normally 0). */
int pt_index_update(pt_txn_t *txn, pt_table_t *t, const pt_av_t *old_item, uint32_t old_size,
                    const pt_av_t *new_item, uint32_t new_size, pt_index_units_t *units, pt_error_t *err);

/* Whether `t` has a local secondary index (the tables DynamoDB reports
 * ItemCollectionMetrics for). Writer thread, or under meta_lock. */
bool pt_index_has_lsi(const pt_table_t *t);
/* The size of the item collection of partition key `hash` in `t`: the
 * DynamoDB sizes of its items plus the projected sizes of their LSI
 * entries, read in `txn` (a scan of the partition: call it only when a
 * client asked for ItemCollectionMetrics). Writer thread. */
int pt_index_collection_size(pt_txn_t *txn, const pt_table_t *t, const pt_av_t *hash, uint64_t *bytes,
                             pt_error_t *err);

/* Writes "LocalSecondaryIndexes":[...] and "GlobalSecondaryIndexes":[...]
 * of a TableDescription (nothing if the table has none), with statistics
 * read in `txn`. A deleted GSI whose entries are still being purged is
 * listed with IndexStatus DELETING, as DynamoDB lists it until it is gone.
 * Takes meta_lock itself. */
/* An index's KeySchema list and Projection object, as DynamoDB writes
 * them; the ProjectionType of a pt_projection_t. */
void pt_index_write_key_schema(pt_jw_t *w, const pt_index_t *ix);
void pt_index_write_projection(pt_jw_t *w, const pt_index_t *ix);
const char *pt_index_projection_name(int projection);

int pt_index_describe_all(pt_engine_t *e, pt_txn_t *txn, const pt_table_t *t, pt_jw_t *w, pt_error_t *err);
/* One index description object (GSIs with IndexStatus `status`, or their
 * current one when `status` is NULL). */
int pt_index_describe(pt_engine_t *e, pt_txn_t *txn, const pt_table_t *t, const pt_index_t *ix, const char *status,
                      pt_jw_t *w, pt_error_t *err);

/* The smallest index id not used by a live index of `t` nor awaiting a
 * purge; 0 if none is free. Writer thread. */
uint8_t pt_index_free_id(const pt_table_t *t);

/* ---- the background thread ---- */
typedef struct pt_indexer pt_indexer_t;
/* Starts the backfill/purge thread of `e` (whose writer must be running).
 * It resumes work persisted in the catalog (backfilling indexes, purges). */
int pt_indexer_start(pt_engine_t *e, pt_indexer_t **out, pt_error_t *err);
/* Stops and joins it (finishing the job in flight); before pt_writer_stop.
 * NULL is ignored. */
void pt_indexer_stop(pt_indexer_t *x);
/* Wakes it now (after UpdateTable created or deleted an index). */
void pt_indexer_kick(pt_indexer_t *x);

#endif
