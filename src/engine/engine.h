/* Engine internals shared by src/engine and src/api: the engine object and
 * the catalog of tables.
 *
 * Catalog invariants: the in-memory catalog mirrors the catalog records in
 * the store (table id 0, see key.h). It is read by any thread under a read
 * lock and changed only by the writer thread (inside a write job), under the
 * write lock. Table objects are reference counted: a reader takes a
 * reference for the duration of a request, so DeleteTable never frees a
 * table under a running request; a deleted table is marked `deleted`, which
 * queued writes check before applying. If a batch commit fails, the catalog
 * is reloaded from the store (writer rollback hook).
 *
 * Mutable table metadata (the fields after `billing_changed_ms`, and the
 * billing fields themselves once UpdateTable changes them) is changed only
 * by the writer thread, under the table's meta_lock, then persisted with
 * pt_catalog_save in the same write transaction. Other threads read it
 * under meta_lock; the writer thread may read it without the lock. */
#ifndef PT_ENGINE_H
#define PT_ENGINE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine/writer.h"
#include "portico/portico.h"
#include "store/store.h"
#include "util/arena.h"
#include "util/error.h"
#include "util/json.h"

typedef struct pt_attr_def {
    char *name;
    uint8_t type;              /* PT_AV_S, PT_AV_N or PT_AV_B */
} pt_attr_def_t;

/* Secondary indexes (engine/index.h). An index object lives as long as its
 * table: deleting an index moves it to the table's `retired` list instead
 * of freeing it, so a reader holding a pointer found under meta_lock never
 * sees it freed. Fields are immutable after creation except those marked. */
#define PT_MAX_LSI 5
#define PT_MAX_GSI 20
#define PT_MAX_INDEXES (PT_MAX_LSI + PT_MAX_GSI)
typedef enum { PT_PROJ_KEYS_ONLY = 0, PT_PROJ_INCLUDE = 1, PT_PROJ_ALL = 2 } pt_projection_t;

typedef struct pt_index {
    char *name;                /* IndexName */
    uint8_t id;                /* key-space index id, 1..PT_MAX_INDEXES (key.h) */
    bool global;               /* GSI (true) or LSI */
    pt_attr_def_t hash;        /* partition key (an LSI's is the table's) */
    pt_attr_def_t range;       /* sort key; range.name == NULL if none */
    uint8_t projection;        /* pt_projection_t */
    uint32_t ninclude;
    char **include;            /* INCLUDE: NonKeyAttributes, as given */
    int64_t rcu, wcu;          /* GSI ProvisionedThroughput (meta_lock) */
    bool backfilling;          /* GSI being created: existing items not all
                                  indexed yet (IndexStatus CREATING; meta_lock;
                                  persisted) */
    /* Writer thread only, not persisted: where the backfill resumes (the
     * last base key indexed; len 0 = from the start). */
    uint8_t *backfill_pos;
    size_t backfill_pos_len;
    struct pt_index *next_retired;
} pt_index_t;

typedef struct pt_table {
    atomic_int refs;
    atomic_bool deleted;
    uint32_t id;               /* key-space id (key.h); never reused */
    char *name;
    char uuid[37];             /* TableId */
    pt_attr_def_t hash;        /* partition key */
    pt_attr_def_t range;       /* sort key; range.name == NULL if none */
    uint32_t nattrs;
    pt_attr_def_t *attrs;      /* AttributeDefinitions as given; UpdateTable's
                                  index changes replace them (writer thread,
                                  under meta_lock): read them under meta_lock */
    int64_t created_ms;
    bool pay_per_request;
    int64_t rcu, wcu;
    int64_t billing_changed_ms; /* LastUpdateToPayPerRequestDateTime */

    pthread_mutex_t meta_lock; /* see "Mutable table metadata" above */
    bool deletion_protection;  /* DeletionProtectionEnabled */
    int64_t last_increase_ms;  /* ProvisionedThroughput.LastIncreaseDateTime (0: never) */
    int64_t last_decrease_ms;  /* ProvisionedThroughput.LastDecreaseDateTime (0: never) */
    /* Time to Live (engine/ttl.h). ttl_attr is the TTL attribute while TTL
     * is enabled, NULL while disabled. The two flags are background work
     * the sweeper still owes, persisted so a restart resumes it:
     * ttl_backfill: existing items are not all in the expiry index yet;
     * ttl_purge: expiry-index entries of a disabled TTL remain. */
    char *ttl_attr;
    bool ttl_backfill;
    bool ttl_purge;
    /* Writer thread only, not persisted: where the backfill resumes (the
     * last item key indexed; len 0 = from the start). */
    uint8_t *ttl_backfill_pos;
    size_t ttl_backfill_pos_len;
    /* Secondary indexes, in creation order (LSIs first, as CreateTable
     * lists them). Changed only by the writer thread under meta_lock;
     * other threads read them under meta_lock (pt_index_find...). */
    pt_index_t *indexes[PT_MAX_INDEXES];
    uint32_t nindexes;
    pt_index_t *retired;       /* deleted indexes, freed with the table */
    uint32_t index_purge;      /* bit i: entries of deleted index id i remain
                                  to be purged (persisted; meta_lock) */
    /* DynamoDB Streams (engine/stream.h): the latest stream; persisted,
     * changed by the writer thread under meta_lock. */
    uint8_t stream_view;       /* pt_stream_view_t; 0: the table never had a stream */
    bool stream_enabled;       /* records are written */
    int64_t stream_created_ms; /* the stream's label */
    uint64_t stream_start_seq; /* its first sequence number */
    uint64_t stream_end_seq;   /* disabled: its last sequence number */
    int64_t stream_closed_ms;  /* disabled: when */
    /* Streams closed before the latest one was enabled, still readable
     * (newest first; dropped 24 hours after they closed). */
    struct pt_stream_old {
        uint8_t view;
        int64_t created_ms, closed_ms;
        uint64_t start_seq, end_seq;
    } stream_old[4];
    uint32_t nstream_old;
    /* Writer thread only, not persisted: the next sequence number (0: not
     * read from the store yet). */
    uint64_t stream_next_seq;
    /* Point-in-time recovery setting (UpdateContinuousBackups; meta_lock;
     * persisted): enabled since pitr_since_ms, kept pitr_days days. */
    bool pitr_enabled;
    int64_t pitr_since_ms;
    int32_t pitr_days;
} pt_table_t;

typedef struct pt_catalog {
    pthread_rwlock_t lock;
    pt_table_t **tables;       /* sorted by name (bytewise) */
    uint32_t ntables, cap;
    uint32_t next_id;
} pt_catalog_t;

struct pt_ttl;
struct pt_indexer;

struct pt_engine {
    pt_store_t *store;
    pt_writer_t *writer;
    struct pt_ttl *ttl;        /* the TTL sweeper (engine/ttl.h) */
    struct pt_indexer *indexer; /* index backfill/purge thread (engine/index.h) */
    pt_catalog_t catalog;
    char region[32];
    char account_id[16];
};

/* Loads every table record from the store into the catalog. */
int pt_catalog_load(pt_engine_t *e, pt_error_t *err);
void pt_catalog_free(pt_catalog_t *c);

/* Looks up a table by name; returns it with a reference taken, or NULL. */
pt_table_t *pt_catalog_get(pt_engine_t *e, const char *name, size_t len);
void pt_table_release(pt_table_t *t);

/* Copies up to `limit` table names that sort after `start` (NULL: from the
 * beginning) into arena memory; *more says whether names remain after. */
int pt_catalog_list(pt_engine_t *e, pt_arena_t *arena, const char *start, size_t start_len,
                    int limit, const char ***names, int *count, bool *more);

/* Writer thread only. Persists `t` (allocated with pt_table_new, fields
 * set), assigns its id and inserts it. Fails with ResourceInUseException if
 * the name exists. On success the catalog owns one reference. */
int pt_catalog_create(pt_engine_t *e, pt_txn_t *txn, pt_table_t *t, pt_error_t *err);
typedef struct pt_tag pt_tag_t;
/* pt_catalog_create that also stores the table's initial tags (sorted,
 * unique; n may be 0), before the table becomes visible. */
int pt_catalog_create_tagged(pt_engine_t *e, pt_txn_t *txn, pt_table_t *t, const pt_tag_t *tags, uint32_t n,
                             pt_error_t *err);
/* Writer thread only: deletes the table record, its statistics and every
 * item of the table, marks it deleted and drops the catalog's reference. */
int pt_catalog_delete(pt_engine_t *e, pt_txn_t *txn, pt_table_t *t, pt_error_t *err);
/* Writer thread only: re-persists the definition of `t` (after a change of
 * its mutable metadata) inside `txn`. */
int pt_catalog_save(pt_txn_t *txn, const pt_table_t *t, pt_error_t *err);

/* Tags of a table (TagResource...), stored as one record per table beside
 * its definition. Keys are unique; lists are sorted by key (bytewise). */
struct pt_tag {
    const char *key;
    uint32_t key_len;
    const char *value;
    uint32_t value_len;
};
#define PT_TAGS_MAX 50
/* Reads the tags as of `txn` into arena memory (*n = 0 if none). */
int pt_catalog_tags_get(pt_txn_t *txn, const pt_table_t *t, pt_arena_t *arena, pt_tag_t **tags, uint32_t *n,
                        pt_error_t *err);
/* Writer thread only: replaces the whole tag set (n == 0 removes it).
 * `tags` must be sorted by key with unique keys. */
int pt_catalog_tags_set(pt_txn_t *txn, const pt_table_t *t, const pt_tag_t *tags, uint32_t n, pt_error_t *err);

/* Adds to the table's ItemCount and TableSizeBytes inside `txn` (write
 * transactions). The store is the only source of truth for statistics, so
 * a rolled-back transaction can never leave them wrong. */
int pt_catalog_add_stats(pt_txn_t *txn, const pt_table_t *t, int64_t items, int64_t bytes, pt_error_t *err);
/* Reads the statistics as of `txn`'s snapshot. */
int pt_catalog_get_stats(pt_txn_t *txn, const pt_table_t *t, int64_t *items, int64_t *bytes, pt_error_t *err);
/* The same for one secondary index (ItemCount/IndexSizeBytes), by index id. */
int pt_catalog_add_index_stats(pt_txn_t *txn, const pt_table_t *t, uint8_t index_id, int64_t items, int64_t bytes,
                               pt_error_t *err);
int pt_catalog_get_index_stats(pt_txn_t *txn, const pt_table_t *t, uint8_t index_id, int64_t *items, int64_t *bytes,
                               pt_error_t *err);
/* Writer thread: removes an index's statistics record. */
int pt_catalog_del_index_stats(pt_txn_t *txn, const pt_table_t *t, uint8_t index_id, pt_error_t *err);
/* Frees an index object (not yet attached to a table, or retired). */
void pt_index_free(pt_index_t *ix);

pt_table_t *pt_table_new(void);

/* Writer thread: reserves a never-used key-space id (tables and backups
 * draw from one sequence) inside `txn`. */
int pt_catalog_alloc_id(pt_engine_t *e, pt_txn_t *txn, uint32_t *id, pt_error_t *err);
/* A table's persisted definition (what pt_catalog_save stores) and back:
 * backups keep their source table's definition this way. The decoded table
 * is new (refs 1), not in the catalog. */
void pt_catalog_encode_def(const pt_table_t *t, pt_buf_t *out);
int pt_catalog_decode_def(const void *data, size_t len, pt_table_t **out, pt_error_t *err);
/* The key of a catalog record of `kind` (a letter; catalog.c lists those
 * in use) followed by nothing: callers append their own suffix. */
void pt_catalog_meta_key(pt_buf_t *b, char kind);
/* Writes the TableDescription object for `t` with the given TableStatus;
 * statistics are read in `txn` (read or write transaction). Takes
 * t->meta_lock itself: callers must not hold it. */
int pt_table_describe(pt_engine_t *e, pt_txn_t *txn, const pt_table_t *t, const char *status, pt_jw_t *w,
                      pt_error_t *err);

int64_t pt_now_ms(void);

#endif
