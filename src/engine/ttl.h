/* Time to Live: the expiry index and the background sweeper that deletes
 * expired items (DynamoDB's TTL, "Working with Time to Live").
 *
 * DynamoDB's rule, followed exactly: an item expires when its TTL
 * attribute is a Number (epoch seconds) whose value is less than the
 * current time, but not more than five years in the past; an attribute of
 * any other type, or an older value, never expires the item.
 *
 * The expiry index. While a table has TTL enabled, every item whose TTL
 * attribute could ever make it expire has one entry
 *   table_id (u32 BE) | PT_KEY_INDEX_TTL | expiry seconds (u64 BE) | rest
 * where `rest` is the item key without its 5-byte table/index prefix, so
 * entries are ordered by expiry time and a sweep reads only due entries:
 * its cost is proportional to the number of expired items, never to the
 * table's size. The value is empty, except for the rare item key too long
 * to fit (the entry key would pass 511 bytes): then `rest` is a
 * prefix of the item key plus a 64-bit hash of it, and the value holds the
 * full item key. Entries live under the table's id, so DeleteTable removes
 * them with the table. pt_item_write keeps the index in step with every
 * item change, in the same transaction (pt_ttl_index_update).
 *
 * The sweeper is one thread per engine. Every period (default 1 s) it
 * visits the tables with TTL work, and for each one
 *   1. purges the entries left by a disabled TTL (ttl_purge),
 *   2. indexes the items that existed when TTL was enabled (ttl_backfill),
 *   3. expires: reads the due entries in a read transaction, then submits
 *      a write job deleting at most PT_TTL_BATCH items, re-checking each
 *      item inside the job (it may have been rewritten since).
 * Every step is a separate bounded write job the sweeper waits for, so the
 * writer interleaves client writes between them and is never stalled, and
 * nothing of TTL ever runs on a request path. Expired deletions go through
 * pt_item_write_ex with PT_WRITE_TTL, so statistics, secondary indexes and
 * (later) stream records marked as service deletions follow. */
#ifndef PT_TTL_H
#define PT_TTL_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/av.h"
#include "engine/engine.h"
#include "store/store.h"

/* Index id of the expiry index in key.h's layout (0 is the base table,
 * secondary indexes use small ids). */
#define PT_KEY_INDEX_TTL 0xFF
/* Most items (or index entries) one sweeper write job touches. */
#define PT_TTL_BATCH 1000
/* DynamoDB leaves alone items whose TTL is more than five years in the past. */
#define PT_TTL_MAX_AGE_S (5LL * 365 * 86400)
/* Default sweep period. */
#define PT_TTL_DEFAULT_PERIOD_MS 1000

typedef struct pt_ttl pt_ttl_t;

/* Starts the sweeper of `e` (whose writer must be running). period_ms 0
 * means PT_TTL_DEFAULT_PERIOD_MS. */
int pt_ttl_start(pt_engine_t *e, uint64_t period_ms, pt_ttl_t **out, pt_error_t *err);
/* Stops and joins the sweeper (it finishes the job in flight, if any); must
 * run before pt_writer_stop. NULL is ignored. */
void pt_ttl_stop(pt_ttl_t *s);
/* Wakes the sweeper now instead of at the end of its period (e.g. after
 * UpdateTimeToLive); thread-safe, never blocks on I/O. NULL is ignored. */
void pt_ttl_kick(pt_ttl_t *s);

/* Counters since start, from any thread (for /metrics and tests):
 * items deleted because they expired, and sweep passes completed.
 * Either pointer may be NULL. */
void pt_ttl_stats(const pt_ttl_t *s, uint64_t *expired, uint64_t *sweeps);

/* The expiry second of `item` under TTL attribute `attr`: true with
 * *expiry_s = floor(value) when the attribute is a Number that may make the
 * item expire at some time from now_s on (not negative, not already more
 * than five years old, below 10^15); false otherwise. */
bool pt_ttl_item_expiry(const pt_av_t *item, const char *attr, int64_t now_s, int64_t *expiry_s);
/* DynamoDB's test: the item's TTL attribute is a Number less than now and
 * not more than five years before now. */
bool pt_ttl_item_expired(const pt_av_t *item, const char *attr, int64_t now_ms);

/* Writer thread: keeps the expiry index of `t` in step with one item
 * change under `key` (old_item / new_item NULL when absent). No-op while
 * the table has TTL disabled. Called by pt_item_write. */
int pt_ttl_index_update(pt_txn_t *txn, const pt_table_t *t, pt_slice_t key, const pt_av_t *old_item,
                        const pt_av_t *new_item, pt_error_t *err);

#endif
