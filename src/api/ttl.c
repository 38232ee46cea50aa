/* UpdateTimeToLive and DescribeTimeToLive (the expiry itself: engine/ttl.c).
 *
 * DynamoDB's rules, checked on the writer thread so two concurrent updates
 * see each other: enabling while enabled is "TimeToLive is already
 * enabled" (whatever the attribute), disabling while disabled "TimeToLive
 * is already disabled", disabling with another attribute name "TimeToLive
 * is active on a different AttributeName: current AttributeName is X".
 * UpdateTimeToLive echoes the specification; DescribeTimeToLive reports
 * ENABLED with the attribute, or DISABLED without one. The change takes
 * effect at once, as DynamoDB's does in practice (ENABLING / DISABLING are
 * never reported): indexing the items that already exist (enable) and
 * removing the index (disable) is background work of the sweeper.
 * Not modelled: DynamoDB's cooldown that refuses a second change within
 * about an hour ("Time to live has been modified multiple times within a
 * fixed interval"); a local server must let tests toggle TTL freely. */
#include "api/api.h"
#include "api/params.h"
#include "engine/ttl.h"

#include <stdlib.h>
#include <string.h>

static const pt_param_t ttl_spec_members[] = {
    {.name = "Enabled", .type = PT_P_BOOL, .flags = PT_P_NOT_NULL},
    {.name = "AttributeName", .type = PT_P_STRING, .flags = PT_P_NOT_NULL | PT_P_HAS_MINLEN | PT_P_HAS_MAXLEN,
     .min_len = 1, .max_len = 255},
    {0},
};

#define TABLE_NAME_PARAM                                                                                         \
    {.name = "TableName", .type = PT_P_STRING,                                                                    \
     .flags = PT_P_REQUIRED | PT_P_TABLE_NAME | PT_P_NAME_REGEX | PT_P_HAS_MINLEN | PT_P_HAS_MAXLEN, .min_len = 3, \
     .max_len = 255}

static const pt_param_t update_ttl_schema[] = {
    TABLE_NAME_PARAM,
    {.name = "TimeToLiveSpecification", .type = PT_P_FSTRUCT, .flags = PT_P_NOT_NULL,
     .struct_name = "TimeToLiveSpecification", .members = ttl_spec_members},
    {0},
};

static const pt_param_t describe_ttl_schema[] = {
    TABLE_NAME_PARAM,
    {0},
};

typedef struct ttl_op {
    bool enable;
    const char *attr;
    uint32_t attr_len;
} ttl_op_t;

static int update_ttl_apply(pt_call_t *call, pt_txn_t *txn)
{
    ttl_op_t *op = call->op;
    pt_table_t *t = call->table;
    if (atomic_load(&t->deleted))
        return pt_error_set(&call->err, PT_E_NOT_FOUND, "Requested resource not found: Table: %s not found", t->name);
    /* the writer thread reads t's metadata without the lock */
    const char *cur = t->ttl_attr;
    if (op->enable && cur) return pt_error_set(&call->err, PT_E_VALIDATION, "TimeToLive is already enabled");
    if (!op->enable && !cur) return pt_error_set(&call->err, PT_E_VALIDATION, "TimeToLive is already disabled");
    if (!op->enable && (strlen(cur) != op->attr_len || memcmp(cur, op->attr, op->attr_len)))
        return pt_error_set(&call->err, PT_E_VALIDATION,
                            "TimeToLive is active on a different AttributeName: current AttributeName is %s", cur);

    bool backfill = false;
    if (op->enable) {
        /* Existing items need indexing, unless there are none. */
        int64_t items, bytes;
        if (pt_catalog_get_stats(txn, t, &items, &bytes, &call->err)) return PT_ERR;
        backfill = items > 0;
    }
    char *new_attr = NULL;
    if (op->enable && !(new_attr = strndup(op->attr, op->attr_len))) pt_oom();
    char *old_attr = t->ttl_attr;
    bool old_backfill = t->ttl_backfill, old_purge = t->ttl_purge;

    pthread_mutex_lock(&t->meta_lock);
    t->ttl_attr = new_attr;
    t->ttl_backfill = backfill;
    if (!op->enable) t->ttl_purge = true;
    pthread_mutex_unlock(&t->meta_lock);
    if (pt_catalog_save(txn, t, &call->err)) {
        pthread_mutex_lock(&t->meta_lock);
        t->ttl_attr = old_attr;
        t->ttl_backfill = old_backfill;
        t->ttl_purge = old_purge;
        pthread_mutex_unlock(&t->meta_lock);
        free(new_attr);
        return PT_ERR;
    }
    free(old_attr);
    free(t->ttl_backfill_pos); /* a new backfill starts from the first item */
    t->ttl_backfill_pos = NULL;
    t->ttl_backfill_pos_len = 0;
    pt_ttl_kick(call->engine->ttl);

    pt_jw_t w;
    pt_jw_init(&w, &call->out);
    pt_jw_obj_begin(&w);
    pt_jw_keyz(&w, "TimeToLiveSpecification");
    pt_jw_obj_begin(&w);
    pt_jw_keyz(&w, "Enabled");
    pt_jw_bool(&w, op->enable);
    pt_jw_keyz(&w, "AttributeName");
    pt_jw_str(&w, op->attr, op->attr_len);
    pt_jw_obj_end(&w);
    pt_jw_obj_end(&w);
    return PT_OK;
}

int pt_op_update_time_to_live(pt_call_t *call, const pt_json_t *req)
{
    pt_table_t *t;
    if (pt_params_check(&call->arena, req, update_ttl_schema, &call->err)) return PT_ERR;
    const pt_json_t *spec = pt_param(req, "TimeToLiveSpecification");
    ttl_op_t *op = pt_arena_calloc(&call->arena, sizeof *op);
    op->enable = pt_param_bool(spec, "Enabled", false);
    op->attr = pt_param_str(spec, "AttributeName", &op->attr_len);
    if (pt_api_table(call, req, true, &t)) return PT_ERR;
    call->op = op;
    call->apply = update_ttl_apply;
    return PT_PENDING;
}

int pt_op_describe_time_to_live(pt_call_t *call, const pt_json_t *req)
{
    pt_table_t *t;
    if (pt_params_check(&call->arena, req, describe_ttl_schema, &call->err)) return PT_ERR;
    if (pt_api_table(call, req, true, &t)) return PT_ERR;
    pthread_mutex_lock(&t->meta_lock);
    const char *attr = t->ttl_attr ? pt_arena_strndup(&call->arena, t->ttl_attr, strlen(t->ttl_attr)) : NULL;
    pthread_mutex_unlock(&t->meta_lock);
    pt_jw_t w;
    pt_jw_init(&w, &call->out);
    pt_jw_obj_begin(&w);
    pt_jw_keyz(&w, "TimeToLiveDescription");
    pt_jw_obj_begin(&w);
    pt_jw_keyz(&w, "TimeToLiveStatus");
    pt_jw_strz(&w, attr ? "ENABLED" : "DISABLED");
    if (attr) {
        pt_jw_keyz(&w, "AttributeName");
        pt_jw_strz(&w, attr);
    }
    pt_jw_obj_end(&w);
    pt_jw_obj_end(&w);
    return PT_OK;
}
