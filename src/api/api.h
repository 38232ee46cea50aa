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

/* Looks up the table named by the request's TableName; sets call->table
 * (released by the dispatcher) or fails with ResourceNotFoundException.
 * DynamoDB's message names the table for table operations ("Requested
 * resource not found: Table: X not found", detailed = true) but not for item
 * operations ("Requested resource not found"). */
int pt_api_table(pt_call_t *call, const pt_json_t *req, bool detailed, pt_table_t **out);

#endif
