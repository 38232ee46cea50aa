/* Protocol entry points: pt_call_* (asynchronous, what the server uses) and
 * pt_engine_call (synchronous, for embedding and tests). Parses the body,
 * dispatches to the operation's handler, queues writes on the writer and
 * formats every error body in DynamoDB's shape:
 *   {"__type":"<full type>","message":"<text>"[, extra members]}
 * (Coral's SerializationException spells its member "Message".) */
#include "api/api.h"

#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct op_entry {
    const char *name;
    pt_op_fn fn;   /* NULL: a DynamoDB operation Portico does not implement yet */
} op_entry_t;

/* Every operation of DynamoDB API version 2012-08-10 and of DynamoDB
 * Streams, sorted by name (bytewise). */
static const op_entry_t ops[] = {
    {"BatchExecuteStatement", pt_op_batch_execute_statement},
    {"BatchGetItem", pt_op_batch_get_item},
    {"BatchWriteItem", pt_op_batch_write_item},
    {"CreateBackup", pt_op_create_backup},
    {"CreateGlobalTable", NULL},
    {"CreateTable", pt_op_create_table},
    {"DeleteBackup", pt_op_delete_backup},
    {"DeleteItem", pt_op_delete_item},
    {"DeleteResourcePolicy", NULL},
    {"DeleteTable", pt_op_delete_table},
    {"DescribeBackup", pt_op_describe_backup},
    {"DescribeContinuousBackups", pt_op_describe_continuous_backups},
    {"DescribeContributorInsights", pt_op_describe_contributor_insights},
    {"DescribeEndpoints", pt_op_describe_endpoints},
    {"DescribeExport", NULL},
    {"DescribeGlobalTable", pt_op_describe_global_table},
    {"DescribeGlobalTableSettings", NULL},
    {"DescribeImport", NULL},
    {"DescribeKinesisStreamingDestination", pt_op_describe_kinesis_streaming_destination},
    {"DescribeLimits", pt_op_describe_limits},
    {"DescribeTable", pt_op_describe_table},
    {"DescribeTableReplicaAutoScaling", pt_op_describe_table_replica_auto_scaling},
    {"DescribeTimeToLive", pt_op_describe_time_to_live},
    {"DisableKinesisStreamingDestination", NULL},
    /* DynamoDB Streams (X-Amz-Target DynamoDBStreams_20120810.<Op>): the
     * server passes the whole target, which no DynamoDB target can spell */
    {"DynamoDBStreams_20120810.DescribeStream", pt_op_describe_stream},
    {"DynamoDBStreams_20120810.GetRecords", pt_op_get_records},
    {"DynamoDBStreams_20120810.GetShardIterator", pt_op_get_shard_iterator},
    {"DynamoDBStreams_20120810.ListStreams", pt_op_list_streams},
    {"EnableKinesisStreamingDestination", NULL},
    {"ExecuteStatement", pt_op_execute_statement},
    {"ExecuteTransaction", pt_op_execute_transaction},
    {"ExportTableToPointInTime", NULL},
    {"GetItem", pt_op_get_item},
    {"GetResourcePolicy", pt_op_get_resource_policy},
    {"ImportTable", NULL},
    {"ListBackups", pt_op_list_backups},
    {"ListContributorInsights", pt_op_list_contributor_insights},
    {"ListExports", pt_op_list_exports},
    {"ListGlobalTables", pt_op_list_global_tables},
    {"ListImports", pt_op_list_imports},
    {"ListTables", pt_op_list_tables},
    {"ListTagsOfResource", pt_op_list_tags_of_resource},
    {"PutItem", pt_op_put_item},
    {"PutResourcePolicy", NULL},
    {"Query", pt_op_query},
    {"RestoreTableFromBackup", pt_op_restore_table_from_backup},
    {"RestoreTableToPointInTime", NULL},
    {"Scan", pt_op_scan},
    {"TagResource", pt_op_tag_resource},
    {"TransactGetItems", pt_op_transact_get_items},
    {"TransactWriteItems", pt_op_transact_write_items},
    {"UntagResource", pt_op_untag_resource},
    {"UpdateContinuousBackups", pt_op_update_continuous_backups},
    {"UpdateContributorInsights", NULL},
    {"UpdateGlobalTable", NULL},
    {"UpdateGlobalTableSettings", NULL},
    {"UpdateItem", pt_op_update_item},
    {"UpdateKinesisStreamingDestination", NULL},
    {"UpdateTable", pt_op_update_table},
    {"UpdateTableReplicaAutoScaling", NULL},
    {"UpdateTimeToLive", pt_op_update_time_to_live},
};

static const op_entry_t *find_op(const char *name, size_t len)
{
    size_t lo = 0, hi = sizeof ops / sizeof *ops;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        size_t n = strlen(ops[mid].name);
        int c = memcmp(ops[mid].name, name, n < len ? n : len);
        if (!c) c = n < len ? -1 : n > len;
        if (!c) return &ops[mid];
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

pt_call_t *pt_call_new(void)
{
    pt_call_t *c = calloc(1, sizeof *c);
    if (!c) pt_oom();
    pt_arena_init(&c->arena);
    pt_buf_init(&c->out);
    return c;
}

static void call_reset(pt_call_t *c)
{
    if (c->table) {
        pt_table_release(c->table);
        c->table = NULL;
    }
    pt_arena_reset(&c->arena);
    pt_buf_clear(&c->out);
    pt_error_clear(&c->err);
    c->failed = false;
    c->status = 0;
    c->apply = NULL;
    c->op = NULL;
    c->post = NULL;
    c->post_ctx = NULL;
}

void pt_call_free(pt_call_t *c)
{
    if (!c) return;
    call_reset(c);
    pt_arena_destroy(&c->arena);
    pt_buf_free(&c->out);
    free(c);
}

int pt_call_status(const pt_call_t *c) { return c->status; }

const char *pt_call_response(const pt_call_t *c, size_t *len)
{
    *len = c->out.len;
    return c->out.data ? c->out.data : "";
}

const char *pt_call_error_type(const pt_call_t *c)
{
    if (!c->failed || !c->err.type) return NULL;
    const char *hash = strchr(c->err.type, '#');
    return hash ? hash + 1 : c->err.type;
}

/* Formats call->err as the response body and releases request state. */
static void finish(pt_call_t *c, int rc)
{
    if (c->post) {
        void (*post)(pt_call_t *, int *) = c->post;
        c->post = NULL;
        post(c, &rc);
    }
    if (rc == PT_ERR) {
        if (!c->err.type) pt_error_set(&c->err, PT_E_INTERNAL, "Internal server error");
        c->failed = true;
        c->status = c->err.status ? c->err.status : 400;
        if (c->status >= 500) {
            /* Internal details (store errors, paths) go to the log, never to
             * the client, which gets DynamoDB's generic message. */
            fprintf(stderr, "portico: internal error: %s\n", c->err.message);
            snprintf(c->err.message, sizeof c->err.message,
                     "The server encountered an internal error trying to fulfill the request");
        }
        pt_buf_clear(&c->out);
        pt_jw_t w;
        pt_jw_init(&w, &c->out);
        pt_jw_obj_begin(&w);
        pt_jw_keyz(&w, "__type");
        pt_jw_strz(&w, c->err.type);
        if (c->err.message[0]) {
            pt_jw_keyz(&w, strstr(c->err.type, "SerializationException") ? "Message" : "message");
            pt_jw_strz(&w, c->err.message);
        }
        if (c->err.extra_json_len) {
            /* extra members are pre-encoded as ,"Key":value... */
            pt_buf_append(&c->out, c->err.extra_json, c->err.extra_json_len);
        }
        pt_jw_obj_end(&w);
    } else {
        c->status = 200;
        if (!c->out.len) pt_buf_puts(&c->out, "{}");
    }
    if (c->table) {
        pt_table_release(c->table);
        c->table = NULL;
    }
    c->done(c, c->userdata);
}

static int job_apply(pt_write_job_t *job, pt_txn_t *txn)
{
    pt_call_t *c = (pt_call_t *)((char *)job - offsetof(pt_call_t, job));
    int rc = c->apply(c, txn);
    if (rc == PT_ERR) c->failed = true;
    return rc;
}

static void job_complete(pt_write_job_t *job, int rc, const pt_error_t *commit_err)
{
    pt_call_t *c = (pt_call_t *)((char *)job - offsetof(pt_call_t, job));
    if (rc != PT_OK && commit_err && !c->failed) {
        /* the whole batch failed to commit: nothing of this call persisted */
        c->err = *commit_err;
        c->err.type = PT_E_INTERNAL;
        c->err.status = 500;
        snprintf(c->err.message, sizeof c->err.message, "The server encountered an internal error trying to fulfill the request");
    }
    finish(c, rc == PT_OK ? PT_OK : PT_ERR);
}

void pt_call_start(pt_engine_t *e, pt_call_t *c, const char *operation, size_t op_len, const char *body,
                   size_t body_len, pt_call_done_fn done, void *userdata)
{
    call_reset(c);
    c->engine = e;
    c->done = done;
    c->userdata = userdata;

    const op_entry_t *op = find_op(operation, op_len);
    if (!op) {
        pt_error_set(&c->err, PT_E_UNKNOWN_OP, "%s", ""); /* DynamoDB sends no message */
        finish(c, PT_ERR);
        return;
    }
    pt_json_t req;
    char msg[160];
    if (pt_json_parse(&c->arena, body, body_len, &req, msg, sizeof msg)) {
        pt_error_set(&c->err, PT_E_SERIALIZATION, "Invalid JSON: %s", msg);
        finish(c, PT_ERR);
        return;
    }
    if (!op->fn) {
        pt_error_set(&c->err, PT_E_UNKNOWN_OP, "Operation %s is not implemented by Portico yet", op->name);
        finish(c, PT_ERR);
        return;
    }
    if (req.type != PT_JSON_OBJECT) {
        pt_error_set(&c->err, PT_E_SERIALIZATION, "Start of list found where not expected");
        finish(c, PT_ERR);
        return;
    }
    int rc = op->fn(c, &req);
    if (rc == PT_PENDING) {
        c->job.apply = job_apply;
        c->job.complete = job_complete;
        pt_writer_submit(e->writer, &c->job);
        return;
    }
    finish(c, rc);
}

int pt_api_not_implemented(pt_call_t *call, const char *operation)
{
    return pt_error_set(&call->err, PT_E_UNKNOWN_OP, "Operation %s is not implemented by Portico yet", operation);
}

int pt_api_table(pt_call_t *call, const pt_json_t *req, bool detailed, pt_table_t **out)
{
    const pt_json_t *name = pt_json_get(req, "TableName");
    pt_table_t *t = NULL;
    if (name && name->type == PT_JSON_STRING) t = pt_catalog_get(call->engine, name->u.str, name->len);
    if (!t && !detailed) return pt_error_set(&call->err, PT_E_NOT_FOUND, "Requested resource not found");
    if (!t)
        return pt_error_set(&call->err, PT_E_NOT_FOUND, "Requested resource not found: Table: %.*s not found",
                            name && name->type == PT_JSON_STRING ? (int)name->len : 0,
                            name && name->type == PT_JSON_STRING ? name->u.str : "");
    if (call->table) pt_table_release(call->table);
    call->table = t;
    *out = t;
    return PT_OK;
}

/* ---- synchronous wrapper ---- */

typedef struct sync_wait {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool done;
} sync_wait_t;

static void sync_done(pt_call_t *c, void *ud)
{
    sync_wait_t *w = ud;
    pthread_mutex_lock(&w->mu);
    w->done = true;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

int pt_engine_call(pt_engine_t *e, const char *operation, const char *body, size_t body_len, int *status,
                   char **response, size_t *response_len)
{
    pt_call_t *c = pt_call_new();
    sync_wait_t w = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false};
    pt_call_start(e, c, operation, strlen(operation), body, body_len, sync_done, &w);
    pthread_mutex_lock(&w.mu);
    while (!w.done) pthread_cond_wait(&w.cv, &w.mu);
    pthread_mutex_unlock(&w.mu);
    *status = c->status;
    char *copy = malloc(c->out.len + 1);
    if (!copy) pt_oom();
    memcpy(copy, c->out.data ? c->out.data : "", c->out.len);
    copy[c->out.len] = 0;
    *response = copy;
    *response_len = c->out.len;
    pt_call_free(c);
    pthread_mutex_destroy(&w.mu);
    pthread_cond_destroy(&w.cv);
    return 0;
}
