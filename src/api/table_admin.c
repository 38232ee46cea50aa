/* UpdateTable (billing mode, provisioned throughput, deletion protection),
 * DescribeLimits and DescribeEndpoints.
 *
 * UpdateTable follows DynamoDB's checks and messages: parameter kinds and
 * constraints (dynalite validations/updateTable.js order), "At least one of
 * ... is required" when nothing would change, the billing/throughput
 * combination rules, "DeletionProtection modification must be the only
 * operation in the request"; then, on the writer thread against the
 * table's current state, the PAY_PER_REQUEST and "will not change" rules.
 * Changes apply at once (DynamoDB answers TableStatus UPDATING for a
 * billing or throughput change and is ACTIVE moments later; Portico's
 * DescribeTable is ACTIVE immediately). Capacity is recorded and reported,
 * not enforced yet. Secondary index updates, streams, SSE and replicas are
 * answered with a ValidationException naming what is not supported. */
#include "api/api.h"
#include "api/params.h"

#include <stdio.h>
#include <string.h>

static const char *const billing_modes[] = {"PROVISIONED", "PAY_PER_REQUEST", NULL};

static const pt_param_t throughput_members[] = {
    {.name = "WriteCapacityUnits", .type = PT_P_LONG, .flags = PT_P_NOT_NULL | PT_P_HAS_MIN, .min = 1},
    {.name = "ReadCapacityUnits", .type = PT_P_LONG, .flags = PT_P_NOT_NULL | PT_P_HAS_MIN, .min = 1},
    {0},
};
static const pt_param_t any_struct = {.name = "member", .type = PT_P_VSTRUCT, .struct_name = "Object",
                                      .members = (const pt_param_t[]){{0}}};

static const pt_param_t update_table_schema[] = {
    {.name = "TableName", .type = PT_P_STRING,
     .flags = PT_P_REQUIRED | PT_P_TABLE_NAME | PT_P_NAME_REGEX | PT_P_HAS_MINLEN | PT_P_HAS_MAXLEN, .min_len = 3,
     .max_len = 255},
    {.name = "ProvisionedThroughput", .type = PT_P_FSTRUCT, .struct_name = "ProvisionedThroughput",
     .members = throughput_members},
    {.name = "BillingMode", .type = PT_P_STRING, .enums = billing_modes},
    {.name = "GlobalSecondaryIndexUpdates", .type = PT_P_LIST, .elem = &any_struct},
    {.name = "AttributeDefinitions", .type = PT_P_LIST, .elem = &any_struct},
    {.name = "StreamSpecification", .type = PT_P_FSTRUCT, .struct_name = "StreamSpecification",
     .members = (const pt_param_t[]){{0}}},
    {.name = "SSESpecification", .type = PT_P_FSTRUCT, .struct_name = "SSESpecification",
     .members = (const pt_param_t[]){{0}}},
    {.name = "ReplicaUpdates", .type = PT_P_LIST, .elem = &any_struct},
    {.name = "TableClass", .type = PT_P_STRING,
     .enums = (const char *const[]){"STANDARD", "STANDARD_INFREQUENT_ACCESS", NULL}},
    {.name = "DeletionProtectionEnabled", .type = PT_P_BOOL},
    {0},
};

static bool json_streq(const pt_json_t *v, const char *s)
{
    return v && v->type == PT_JSON_STRING && strlen(s) == v->len && !memcmp(v->u.str, s, v->len);
}

typedef struct update_op {
    bool has_mode, to_ppr;     /* BillingMode given; its value */
    bool has_pt;               /* ProvisionedThroughput given */
    int64_t rcu, wcu;
    bool has_dp, dp;           /* DeletionProtectionEnabled */
} update_op_t;

/* Everything checked before the table is looked up. */
static int check_update(pt_call_t *call, const pt_json_t *req, update_op_t *op)
{
    pt_error_t *err = &call->err;
    const pt_json_t *gsi = pt_param(req, "GlobalSecondaryIndexUpdates");
    const pt_json_t *stream = pt_param(req, "StreamSpecification");
    const pt_json_t *sse = pt_param(req, "SSESpecification");
    const pt_json_t *replicas = pt_param(req, "ReplicaUpdates");
    const pt_json_t *pt = pt_param(req, "ProvisionedThroughput");
    const pt_json_t *mode = pt_param(req, "BillingMode");
    const pt_json_t *cls = pt_param(req, "TableClass");
    const pt_json_t *dp = pt_param(req, "DeletionProtectionEnabled");
    bool has_gsi = gsi && gsi->len;
    if (!pt && !mode && !has_gsi && !stream && !sse && !(replicas && replicas->len) && !cls && !dp)
        return pt_error_set(err, PT_E_VALIDATION,
                            "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, "
                            "GlobalSecondaryIndexUpdates, SSESpecification, ReplicaUpdates, MultiAccountReplicaReady, "
                            "ReplicaTransitRoleArn, MultiRegionConsistency, DeletionProtectionEnabled, "
                            "OnDemandThroughput, WarmThroughput or TableClass is required");
    if (json_streq(mode, "PROVISIONED") && !pt)
        return pt_error_set(err, PT_E_VALIDATION,
                            "One or more parameter values were invalid: ProvisionedThroughput must be specified when "
                            "BillingMode is PROVISIONED");
    if (pt) {
        op->rcu = pt_param_int(pt, "ReadCapacityUnits", 1);
        op->wcu = pt_param_int(pt, "WriteCapacityUnits", 1);
        if (op->rcu > 1000000000000LL)
            return pt_error_set(err, PT_E_VALIDATION, "Given value %lld for ReadCapacityUnits is out of bounds",
                                (long long)op->rcu);
        if (op->wcu > 1000000000000LL)
            return pt_error_set(err, PT_E_VALIDATION, "Given value %lld for WriteCapacityUnits is out of bounds",
                                (long long)op->wcu);
    }
    if (dp && (pt || mode || has_gsi || stream || sse || (replicas && replicas->len) || cls))
        return pt_error_set(err, PT_E_VALIDATION, "DeletionProtection modification must be the only operation in the request");
    if (gsi && !gsi->len)
        return pt_error_set(err, PT_E_VALIDATION, "List of GlobalSecondaryIndexUpdates is empty");
    const char *unsupported = has_gsi ? "GlobalSecondaryIndexUpdates"
                              : stream ? "StreamSpecification"
                              : sse ? "SSESpecification"
                              : replicas && replicas->len ? "ReplicaUpdates"
                                                          : NULL;
    if (unsupported) return pt_error_set(err, PT_E_VALIDATION, "Portico does not support %s in UpdateTable yet", unsupported);
    op->has_mode = mode != NULL;
    op->to_ppr = json_streq(mode, "PAY_PER_REQUEST");
    op->has_pt = pt != NULL;
    op->has_dp = dp != NULL;
    op->dp = pt_param_bool(req, "DeletionProtectionEnabled", false);
    return PT_OK;
}

typedef struct meta_snapshot {
    bool ppr, dp;
    int64_t rcu, wcu, changed, inc, dec;
} meta_snapshot_t;

static void snapshot(const pt_table_t *t, meta_snapshot_t *m)
{
    *m = (meta_snapshot_t){t->pay_per_request, t->deletion_protection, t->rcu, t->wcu,
                           t->billing_changed_ms, t->last_increase_ms, t->last_decrease_ms};
}

static void restore(pt_table_t *t, const meta_snapshot_t *m)
{
    t->pay_per_request = m->ppr;
    t->deletion_protection = m->dp;
    t->rcu = m->rcu;
    t->wcu = m->wcu;
    t->billing_changed_ms = m->changed;
    t->last_increase_ms = m->inc;
    t->last_decrease_ms = m->dec;
}

static int update_apply(pt_call_t *call, pt_txn_t *txn)
{
    update_op_t *op = call->op;
    pt_table_t *t = call->table;
    pt_error_t *err = &call->err;
    if (atomic_load(&t->deleted))
        return pt_error_set(err, PT_E_NOT_FOUND, "Requested resource not found: Table: %s not found", t->name);
    /* The writer thread reads t's metadata without the lock. */
    bool ppr_after = op->has_mode ? op->to_ppr : t->pay_per_request;
    if (op->has_pt && ppr_after)
        return pt_error_set(err, PT_E_VALIDATION,
                            "One or more parameter values were invalid: Neither ReadCapacityUnits nor "
                            "WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST");
    if (op->has_pt && !t->pay_per_request && op->rcu == t->rcu && op->wcu == t->wcu)
        return pt_error_set(err, PT_E_VALIDATION,
                            "The provisioned throughput for the table will not change. The requested value equals "
                            "the current value. Current ReadCapacityUnits provisioned for the table: %lld. Requested "
                            "ReadCapacityUnits: %lld. Current WriteCapacityUnits provisioned for the table: %lld. "
                            "Requested WriteCapacityUnits: %lld. Refer to the Amazon DynamoDB Developer Guide for "
                            "current limits and how to request higher limits.",
                            (long long)t->rcu, (long long)op->rcu, (long long)t->wcu, (long long)op->wcu);

    meta_snapshot_t before;
    snapshot(t, &before);
    int64_t now = pt_now_ms();
    bool capacity_change = false;
    pthread_mutex_lock(&t->meta_lock);
    if (op->has_mode && op->to_ppr && !t->pay_per_request) {
        t->pay_per_request = true;
        t->billing_changed_ms = now;
        t->rcu = t->wcu = 0;
        capacity_change = true;
    } else if (op->has_mode && op->to_ppr) {
        capacity_change = true; /* DynamoDB answers UPDATING even for this no-op */
    }
    if (op->has_pt) {
        if (!t->pay_per_request) {
            if (op->rcu > t->rcu || op->wcu > t->wcu) t->last_increase_ms = now;
            if (op->rcu < t->rcu || op->wcu < t->wcu) t->last_decrease_ms = now;
        }
        t->pay_per_request = false;
        t->rcu = op->rcu;
        t->wcu = op->wcu;
        capacity_change = true;
    }
    if (op->has_dp) t->deletion_protection = op->dp;
    pthread_mutex_unlock(&t->meta_lock);
    if (pt_catalog_save(txn, t, err)) {
        pthread_mutex_lock(&t->meta_lock);
        restore(t, &before);
        pthread_mutex_unlock(&t->meta_lock);
        return PT_ERR;
    }

    pt_jw_t w;
    pt_jw_init(&w, &call->out);
    pt_jw_obj_begin(&w);
    pt_jw_keyz(&w, "TableDescription");
    if (pt_table_describe(call->engine, txn, t, capacity_change ? "UPDATING" : "ACTIVE", &w, err)) return PT_ERR;
    pt_jw_obj_end(&w);
    return PT_OK;
}

int pt_op_update_table(pt_call_t *call, const pt_json_t *req)
{
    pt_table_t *t;
    if (pt_params_check(&call->arena, req, update_table_schema, &call->err)) return PT_ERR;
    update_op_t *op = pt_arena_calloc(&call->arena, sizeof *op);
    if (check_update(call, req, op)) return PT_ERR;
    if (pt_api_table(call, req, true, &t)) return PT_ERR;
    call->op = op;
    call->apply = update_apply;
    return PT_PENDING;
}

/* The default quotas of an AWS account (DynamoDB developer guide, "Service,
 * account, and table quotas": 80,000 RCU/WCU per account and Region, 40,000
 * per table). Portico does not enforce them; clients read them to size
 * their tables. */
int pt_op_describe_limits(pt_call_t *call, const pt_json_t *req)
{
    if (pt_params_check(&call->arena, req, (const pt_param_t[]){{0}}, &call->err)) return PT_ERR;
    pt_jw_t w;
    pt_jw_init(&w, &call->out);
    pt_jw_obj_begin(&w);
    pt_jw_keyz(&w, "AccountMaxReadCapacityUnits"); pt_jw_int(&w, 80000);
    pt_jw_keyz(&w, "AccountMaxWriteCapacityUnits"); pt_jw_int(&w, 80000);
    pt_jw_keyz(&w, "TableMaxReadCapacityUnits"); pt_jw_int(&w, 40000);
    pt_jw_keyz(&w, "TableMaxWriteCapacityUnits"); pt_jw_int(&w, 40000);
    pt_jw_obj_end(&w);
    return PT_OK;
}

/* DynamoDB answers its regional endpoint, cached for a day. The engine does
 * not know the address clients reach it on, so it answers the same shape
 * with DynamoDB's address; SDKs use endpoint discovery for DynamoDB only
 * when told to. */
int pt_op_describe_endpoints(pt_call_t *call, const pt_json_t *req)
{
    if (pt_params_check(&call->arena, req, (const pt_param_t[]){{0}}, &call->err)) return PT_ERR;
    char address[96];
    snprintf(address, sizeof address, "dynamodb.%s.amazonaws.com", call->engine->region);
    pt_jw_t w;
    pt_jw_init(&w, &call->out);
    pt_jw_obj_begin(&w);
    pt_jw_keyz(&w, "Endpoints");
    pt_jw_arr_begin(&w);
    pt_jw_obj_begin(&w);
    pt_jw_keyz(&w, "Address"); pt_jw_strz(&w, address);
    pt_jw_keyz(&w, "CachePeriodInMinutes"); pt_jw_int(&w, 1440);
    pt_jw_obj_end(&w);
    pt_jw_arr_end(&w);
    pt_jw_obj_end(&w);
    return PT_OK;
}
