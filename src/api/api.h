/* The DynamoDB protocol layer: one handler per operation, all sharing the
 * call object below. A handler decodes and validates its request on the
 * calling thread, then either
 *   - answers directly (reads: in a read transaction on the calling thread)
 *     and returns PT_OK with the body in call->out, or
 *   - fails with PT_ERR and call->err set, or
 *   - sets call->apply and returns PT_PENDING: the dispatcher queues the
 *     call on the writer, which runs apply() inside the batch transaction;
 *     apply() writes the response body (or sets call->err) and returns
 *     PT_OK to keep its changes, anything else to roll them back.
 * The dispatcher (call.c) is the only place that formats error bodies. */
#ifndef PT_API_H
#define PT_API_H

#include "engine/av.h"
#include "engine/engine.h"
#include "engine/writer.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/json.h"

struct pt_call {
    pt_arena_t arena;          /* everything the request allocates */
    pt_buf_t out;              /* response body */
    int status;
    pt_error_t err;
    bool failed;
    pt_engine_t *engine;
    pt_call_done_fn done;
    void *userdata;
    pt_write_job_t job;
    int (*apply)(pt_call_t *call, pt_txn_t *txn);
    void *op;                  /* operation state for apply() */
    pt_table_t *table;         /* referenced table, released when the call ends */
    /* Runs when the call ends, before the response is sent: may rewrite the
     * response (call->out) or the error (PartiQL answers in its own shape;
     * partiql.c). *rc is PT_OK or PT_ERR and may be changed. */
    void (*post)(pt_call_t *call, int *rc);
    void *post_ctx;
};

typedef int (*pt_op_fn)(pt_call_t *call, const pt_json_t *req);

/* Table operations (tables.c) */
int pt_op_create_table(pt_call_t *call, const pt_json_t *req);
int pt_op_describe_table(pt_call_t *call, const pt_json_t *req);
int pt_op_list_tables(pt_call_t *call, const pt_json_t *req);
int pt_op_delete_table(pt_call_t *call, const pt_json_t *req);
/* Item operations (items.c) */
int pt_op_put_item(pt_call_t *call, const pt_json_t *req);
int pt_op_get_item(pt_call_t *call, const pt_json_t *req);
int pt_op_delete_item(pt_call_t *call, const pt_json_t *req);

/* Operations being built (each file starts as a stub answering "not
 * implemented"; the owner of the file replaces it). */
int pt_op_update_item(pt_call_t *call, const pt_json_t *req);           /* update.c */
int pt_op_query(pt_call_t *call, const pt_json_t *req);                 /* query.c */
int pt_op_scan(pt_call_t *call, const pt_json_t *req);                  /* query.c */
int pt_op_batch_get_item(pt_call_t *call, const pt_json_t *req);        /* batch.c */
int pt_op_batch_write_item(pt_call_t *call, const pt_json_t *req);      /* batch.c */
int pt_op_transact_get_items(pt_call_t *call, const pt_json_t *req);    /* transact.c */
int pt_op_transact_write_items(pt_call_t *call, const pt_json_t *req);  /* transact.c */
int pt_op_tag_resource(pt_call_t *call, const pt_json_t *req);          /* tags.c */
int pt_op_untag_resource(pt_call_t *call, const pt_json_t *req);        /* tags.c */
int pt_op_list_tags_of_resource(pt_call_t *call, const pt_json_t *req); /* tags.c */
int pt_op_update_time_to_live(pt_call_t *call, const pt_json_t *req);   /* ttl.c */
int pt_op_describe_time_to_live(pt_call_t *call, const pt_json_t *req); /* ttl.c */
int pt_op_update_table(pt_call_t *call, const pt_json_t *req);          /* table_admin.c */
int pt_op_describe_limits(pt_call_t *call, const pt_json_t *req);       /* table_admin.c */
int pt_op_describe_endpoints(pt_call_t *call, const pt_json_t *req);    /* table_admin.c */
int pt_op_list_streams(pt_call_t *call, const pt_json_t *req);          /* streams.c */
int pt_op_describe_stream(pt_call_t *call, const pt_json_t *req);       /* streams.c */
int pt_op_get_shard_iterator(pt_call_t *call, const pt_json_t *req);    /* streams.c */
int pt_op_get_records(pt_call_t *call, const pt_json_t *req);           /* streams.c */
int pt_op_create_backup(pt_call_t *call, const pt_json_t *req);         /* backups.c */
int pt_op_describe_backup(pt_call_t *call, const pt_json_t *req);       /* backups.c */
int pt_op_delete_backup(pt_call_t *call, const pt_json_t *req);         /* backups.c */
int pt_op_list_backups(pt_call_t *call, const pt_json_t *req);          /* backups.c */
int pt_op_restore_table_from_backup(pt_call_t *call, const pt_json_t *req);   /* backups.c */
int pt_op_describe_continuous_backups(pt_call_t *call, const pt_json_t *req); /* backups.c */
int pt_op_update_continuous_backups(pt_call_t *call, const pt_json_t *req);   /* backups.c */
int pt_op_execute_statement(pt_call_t *call, const pt_json_t *req);       /* partiql.c */
int pt_op_execute_transaction(pt_call_t *call, const pt_json_t *req);     /* partiql.c */
int pt_op_batch_execute_statement(pt_call_t *call, const pt_json_t *req); /* partiql.c */
/* The empty state of features Portico does not have (extras.c) */
int pt_op_list_global_tables(pt_call_t *call, const pt_json_t *req);
int pt_op_describe_global_table(pt_call_t *call, const pt_json_t *req);
int pt_op_describe_contributor_insights(pt_call_t *call, const pt_json_t *req);
int pt_op_list_contributor_insights(pt_call_t *call, const pt_json_t *req);
int pt_op_describe_kinesis_streaming_destination(pt_call_t *call, const pt_json_t *req);
int pt_op_describe_table_replica_auto_scaling(pt_call_t *call, const pt_json_t *req);
int pt_op_list_exports(pt_call_t *call, const pt_json_t *req);
int pt_op_list_imports(pt_call_t *call, const pt_json_t *req);
int pt_op_get_resource_policy(pt_call_t *call, const pt_json_t *req);

/* The answer of an operation Portico does not implement yet:
 * UnknownOperationException "Operation X is not implemented by Portico yet". */
int pt_api_not_implemented(pt_call_t *call, const char *operation);

/* Looks up the table named by the request's TableName; sets call->table
 * (released by the dispatcher) or fails with ResourceNotFoundException.
 * DynamoDB's message names the table for table operations ("Requested
 * resource not found: Table: X not found", detailed = true) but not for item
 * operations ("Requested resource not found"). */
int pt_api_table(pt_call_t *call, const pt_json_t *req, bool detailed, pt_table_t **out);

/* ---- shared by the item operations (items.c) ---- */
typedef enum { RCC_NONE, RCC_TOTAL, RCC_INDEXES } rcc_t;
/* ReturnConsumedCapacity of the request. */
rcc_t pt_api_consumed_mode(const pt_json_t *req);
/* Writes "ConsumedCapacity":{...} for one table (nothing for RCC_NONE). */
void pt_api_write_consumed(pt_jw_t *w, rcc_t mode, const pt_table_t *t, double units, bool is_read);
/* DynamoDB's unit rules: writes 1 KB units, reads 4 KB units (halved when
 * eventually consistent), both at least one unit. */
double pt_api_write_units(size_t item_size);
double pt_api_read_units(size_t item_size, bool consistent);
/* The key attributes of a full item (PutItem): present, of the declared
 * type, non-empty, within DynamoDB's key size limits. */
int pt_api_item_key(pt_call_t *call, const pt_table_t *t, const pt_av_t *item, const pt_av_t **hash,
                    const pt_av_t **range);
/* A Key parameter (GetItem, DeleteItem, UpdateItem...): exactly the key
 * attributes, else "The provided key element does not match the schema". */
int pt_api_key_param(pt_call_t *call, const pt_table_t *t, const pt_av_t *key, const pt_av_t **hash,
                     const pt_av_t **range);

#endif
