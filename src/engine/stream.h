/* DynamoDB Streams: the change records of a table.
 *
 * A table has at most one enabled stream. Enabling a stream (CreateTable
 * or UpdateTable StreamSpecification) starts a new one whose label is its
 * creation time; disabling it closes it (status DISABLED, still listed and
 * readable). A closed stream stays readable for 24 hours after it closed,
 * also once a newer stream is enabled (pt_table_t.stream_old, at most
 * PT_STREAM_OLD_MAX of them), and after DeleteTable, as DynamoDB keeps
 * them: DeleteTable leaves the records of a table that has streams and
 * writes a catalog record ('D' + table id) naming them, which readers
 * consult when no live table has the stream; 24 hours later a table
 * creation or deletion purges both (pt_stream_purge_dropped). Each stream
 * has one shard.
 *
 * Records are written by pt_item_write (item_store.c) in the transaction of
 * the change itself, so a record exists exactly when its change does and
 * survives what the change survives. Key:
 *   table id (u32 BE) | PT_KEY_INDEX_STREAM | sequence number (u64 BE)
 * so DeleteTable's sweep of the table's keys removes them too. Sequence
 * numbers increase by one per record over the table's lifetime (the next
 * one is found from the last key when the writer first needs it), so they
 * order the records and never repeat across streams of one table.
 *
 * Retention is DynamoDB's 24 hours: readers skip older records, and each
 * append deletes a few expired records at the head, so a table that keeps
 * being written keeps its stream trimmed.
 *
 * Value: u8 format (1) | u8 event (pt_stream_event_t) | u8 origin
 * (pt_write_origin_t) | u8 flags (bit 0: old image, bit 1: new image) |
 * u64 BE creation time (ms) | u32 BE SizeBytes | then three blocks
 * (keys, old image, new image; the images only when their flag is set),
 * each u32 BE length + binary item (av.h). */
#ifndef PT_STREAM_H
#define PT_STREAM_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/av.h"
#include "engine/engine.h"
#include "engine/item_store.h"
#include "store/store.h"

#define PT_KEY_INDEX_STREAM 0xFE
#define PT_STREAM_RETENTION_MS (24LL * 3600 * 1000)
#define PT_STREAM_OLD_MAX ((int)(sizeof ((pt_table_t *)0)->stream_old / sizeof ((pt_table_t *)0)->stream_old[0]))

/* StreamViewType; 0 in pt_table_t.stream_view means "never had a stream". */
typedef enum {
    PT_STREAM_KEYS_ONLY = 1,
    PT_STREAM_NEW_IMAGE = 2,
    PT_STREAM_OLD_IMAGE = 3,
    PT_STREAM_NEW_AND_OLD_IMAGES = 4,
} pt_stream_view_t;

typedef enum { PT_STREAM_INSERT = 1, PT_STREAM_MODIFY = 2, PT_STREAM_REMOVE = 3 } pt_stream_event_t;

/* "KEYS_ONLY" ... for a view (NULL for 0); the view named by s (0 if none). */
const char *pt_stream_view_name(int view);
int pt_stream_view_from_name(const char *s, size_t len);

/* Whether the table's stream is enabled: writes record changes. Writer
 * thread (reads the table's metadata without the lock). */
bool pt_stream_recording(const pt_table_t *t);

/* Records a change of one item of `t` (old and/or new may be NULL; both
 * NULL or an unchanged item records nothing). Writer thread, inside the
 * change's write transaction. */
int pt_stream_record(pt_txn_t *txn, pt_table_t *t, const pt_stored_item_t *old, const pt_stored_item_t *new_item,
                     pt_write_origin_t origin, pt_error_t *err);

/* The sequence number the next record of `t` will get, as of `txn`
 * (reads the last record key; any thread). */
int pt_stream_next_seq(pt_txn_t *txn, uint32_t table_id, uint64_t *next, pt_error_t *err);

/* Writer thread: starts a new stream on `t` with `view` (meta_lock taken
 * here), keeping closed ones readable (see above); or closes the enabled
 * stream. The caller persists the table (pt_catalog_save). */
int pt_stream_enable(pt_txn_t *txn, pt_table_t *t, int view, pt_error_t *err);
int pt_stream_disable(pt_txn_t *txn, pt_table_t *t, pt_error_t *err);

/* One decoded record. Images point into `arena`. */
typedef struct pt_stream_rec {
    uint64_t seq;
    int event;                 /* pt_stream_event_t */
    int origin;                /* pt_write_origin_t */
    int64_t created_ms;
    uint32_t size;             /* SizeBytes */
    pt_av_t keys;
    bool has_old, has_new;
    pt_av_t old_image, new_image;
} pt_stream_rec_t;

/* Decodes the record stored under key/value (from a cursor on the stream's
 * key range). PT_OK or PT_ERR ("corrupt stream record"). */
int pt_stream_decode(pt_arena_t *arena, pt_slice_t key, pt_slice_t value, pt_stream_rec_t *out, pt_error_t *err);

/* The first key of `t`'s stream records at sequence `seq` or later. */
void pt_stream_key(uint32_t table_id, uint64_t seq, pt_buf_t *out);

/* "2026-12-07T23:30:00.123" (UTC) for a stream created at `ms`; buf >= 24. */
void pt_stream_label(int64_t ms, char *buf, size_t cap);

/* The stream's ARN: "arn:aws:dynamodb:REGION:ACCOUNT:table/NAME/stream/LABEL". */
void pt_stream_arn(const pt_engine_t *e, const char *table, int64_t created_ms, char *buf, size_t cap);

/* Writes DescribeTable's StreamSpecification (while enabled),
 * LatestStreamLabel and LatestStreamArn of `t` (nothing if it never had a
 * stream). Takes t->meta_lock. */
void pt_stream_describe_table(const pt_engine_t *e, pt_table_t *t, pt_jw_t *w);

/* ---- streams of deleted tables ---- */

typedef struct pt_stream_dropped {
    uint32_t table_id;
    const char *name, *uuid, *hash, *range; /* range NULL: no sort key */
    int64_t deleted_ms;
    struct pt_stream_old streams[1 + PT_STREAM_OLD_MAX];
    uint32_t nstreams;
} pt_stream_dropped_t;

/* Writer thread, inside DeleteTable's transaction: if `t` has streams still
 * readable, closes the enabled one, records them ('D' + id) and sets
 * *keep, so the caller leaves the stream records (index byte
 * PT_KEY_INDEX_STREAM) in place. */
int pt_stream_table_deleted(pt_txn_t *txn, pt_table_t *t, bool *keep, pt_error_t *err);
/* The deleted tables whose streams are still readable (deleted less than
 * 24 hours ago), in table-id order, in arena memory. */
int pt_stream_dropped_list(pt_txn_t *txn, pt_arena_t *arena, pt_stream_dropped_t **out, uint32_t *n,
                           pt_error_t *err);
/* Writer thread: removes the records and stream records of up to 16
 * deleted tables whose 24 hours are over. */
int pt_stream_purge_dropped(pt_txn_t *txn, pt_error_t *err);

#endif
