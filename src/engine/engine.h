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
 * is reloaded from the store (writer rollback hook). */
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

typedef struct pt_table {
    atomic_int refs;
    atomic_bool deleted;
    uint32_t id;               /* key-space id (key.h); never reused */
    char *name;
    char uuid[37];             /* TableId */
    pt_attr_def_t hash;        /* partition key */
    pt_attr_def_t range;       /* sort key; range.name == NULL if none */
    uint32_t nattrs;
    pt_attr_def_t *attrs;      /* AttributeDefinitions as given */
    int64_t created_ms;
    bool pay_per_request;
    int64_t rcu, wcu;
    int64_t billing_changed_ms; /* LastUpdateToPayPerRequestDateTime */
} pt_table_t;

typedef struct pt_catalog {
    pthread_rwlock_t lock;
    pt_table_t **tables;       /* sorted by name (bytewise) */
    uint32_t ntables, cap;
    uint32_t next_id;
} pt_catalog_t;

struct pt_engine {
    pt_store_t *store;
    pt_writer_t *writer;
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
/* Writer thread only: deletes the table record, its statistics and every
 * item of the table, marks it deleted and drops the catalog's reference. */
int pt_catalog_delete(pt_engine_t *e, pt_txn_t *txn, pt_table_t *t, pt_error_t *err);
/* Adds to the table's ItemCount and TableSizeBytes inside `txn` (write
 * transactions). The store is the only source of truth for statistics, so
 * a rolled-back transaction can never leave them wrong. */
int pt_catalog_add_stats(pt_txn_t *txn, const pt_table_t *t, int64_t items, int64_t bytes, pt_error_t *err);
/* Reads the statistics as of `txn`'s snapshot. */
int pt_catalog_get_stats(pt_txn_t *txn, const pt_table_t *t, int64_t *items, int64_t *bytes, pt_error_t *err);

pt_table_t *pt_table_new(void);
/* Writes the TableDescription object for `t` with the given TableStatus;
 * statistics are read in `txn` (read or write transaction). */
int pt_table_describe(pt_engine_t *e, pt_txn_t *txn, const pt_table_t *t, const char *status, pt_jw_t *w,
                      pt_error_t *err);

int64_t pt_now_ms(void);

#endif
