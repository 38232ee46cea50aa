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
 * not enforced yet. GlobalSecondaryIndexUpdates: Create (one per request,
 * as DynamoDB allows; the index is CREATING with Backfilling true until the
 * index builder thread, engine/index.h, has indexed the existing items),
 * Delete (the index is DELETING, in the response and in DescribeTable,
 * until the index builder has purged its entries) and Update (throughput),
 * with AttributeDefinitions for new key attributes. Messages for missing
 * indexes and LSIs named in Delete/Update are the service's as captured
 * live (ResourceNotFoundException "Requested resource not found: Index X
 * for table T"; "Cannot delete an index that is not a
 * GlobalSecondaryIndex: X"). StreamSpecification enables or disables the
 * table's stream (engine/stream.h) with DynamoDB's rules and messages. SSE
 * and replicas are answered with a ValidationException naming what is not
 * supported. */
#include "api/api.h"
#include "api/index_defs.h"
#include "api/params.h"
#include "engine/index.h"
#include "engine/stream.h"

#include <stdlib.h>

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
static const pt_param_t string_elem = {.name = "member", .type = PT_P_STRING};
static const pt_param_t key_elem_members[] = {
    {.name = "AttributeName", .type = PT_P_STRING, .flags = PT_P_NOT_NULL | PT_P_HAS_MINLEN | PT_P_HAS_MAXLEN,
     .min_len = 1, .max_len = 255},
    {.name = "KeyType", .type = PT_P_STRING, .flags = PT_P_NOT_NULL,
     .enums = (const char *const[]){"HASH", "RANGE", NULL}},
    {0},
};
static const pt_param_t key_elem = {.name = "member", .type = PT_P_VSTRUCT, .struct_name = "KeySchemaElement",
                                    .members = key_elem_members};
static const pt_param_t projection_members[] = {
    {.name = "ProjectionType", .type = PT_P_STRING,
     .enums = (const char *const[]){"ALL", "INCLUDE", "KEYS_ONLY", NULL}},
    {.name = "NonKeyAttributes", .type = PT_P_LIST, .flags = PT_P_HAS_MINLEN | PT_P_HAS_MAXLEN, .min_len = 1,
     .max_len = 20, .elem = &string_elem},
    {0},
};
#define INDEX_NAME_MEMBER                                                                                   \
    {.name = "IndexName", .type = PT_P_STRING,                                                              \
     .flags = PT_P_NOT_NULL | PT_P_NAME_REGEX | PT_P_HAS_MINLEN | PT_P_HAS_MAXLEN, .min_len = 3, .max_len = 255}
/* dynalite validations/updateTable.js member order */
static const pt_param_t gsi_update_members[] = {
    {.name = "Update", .type = PT_P_FSTRUCT, .struct_name = "UpdateGlobalSecondaryIndexAction",
     .members = (const pt_param_t[]){
         INDEX_NAME_MEMBER,
         {.name = "ProvisionedThroughput", .type = PT_P_FSTRUCT, .flags = PT_P_NOT_NULL,
          .struct_name = "ProvisionedThroughput", .members = throughput_members},
         {0}}},
    {.name = "Create", .type = PT_P_FSTRUCT, .struct_name = "CreateGlobalSecondaryIndexAction",
     .members = (const pt_param_t[]){
         {.name = "Projection", .type = PT_P_FSTRUCT, .flags = PT_P_NOT_NULL, .struct_name = "Projection",
          .members = projection_members},
         INDEX_NAME_MEMBER,
         {.name = "ProvisionedThroughput", .type = PT_P_FSTRUCT, .struct_name = "ProvisionedThroughput",
          .members = throughput_members},
         {.name = "KeySchema", .type = PT_P_LIST, .flags = PT_P_NOT_NULL | PT_P_HAS_MINLEN | PT_P_HAS_MAXLEN,
          .min_len = 1, .max_len = 2, .elem = &key_elem},
         {0}}},
    {.name = "Delete", .type = PT_P_FSTRUCT, .struct_name = "DeleteGlobalSecondaryIndexAction",
     .members = (const pt_param_t[]){INDEX_NAME_MEMBER, {0}}},
    {0},
};
static const pt_param_t gsi_update = {.name = "member", .type = PT_P_VSTRUCT,
                                      .struct_name = "GlobalSecondaryIndexUpdate", .members = gsi_update_members};
static const pt_param_t attr_def_members[] = {
    {.name = "AttributeName", .type = PT_P_STRING, .flags = PT_P_NOT_NULL | PT_P_HAS_MINLEN | PT_P_HAS_MAXLEN,
     .min_len = 1, .max_len = 255},
    {.name = "AttributeType", .type = PT_P_STRING, .flags = PT_P_NOT_NULL,
     .enums = (const char *const[]){"B", "N", "S", NULL}},
    {0},
};
static const pt_param_t attr_def = {.name = "member", .type = PT_P_VSTRUCT, .struct_name = "AttributeDefinition",
                                    .members = attr_def_members};

static const pt_param_t update_table_schema[] = {
    {.name = "TableName", .type = PT_P_STRING,
     .flags = PT_P_REQUIRED | PT_P_TABLE_NAME | PT_P_NAME_REGEX | PT_P_HAS_MINLEN | PT_P_HAS_MAXLEN, .min_len = 3,
     .max_len = 255},
    {.name = "ProvisionedThroughput", .type = PT_P_FSTRUCT, .struct_name = "ProvisionedThroughput",
     .members = throughput_members},
    {.name = "BillingMode", .type = PT_P_STRING, .enums = billing_modes},
    {.name = "GlobalSecondaryIndexUpdates", .type = PT_P_LIST, .elem = &gsi_update},
    {.name = "AttributeDefinitions", .type = PT_P_LIST, .elem = &attr_def},
    {.name = "StreamSpecification", .type = PT_P_FSTRUCT, .struct_name = "StreamSpecification",
     .members = (const pt_param_t[]){
         {.name = "StreamEnabled", .type = PT_P_BOOL, .flags = PT_P_NOT_NULL},
         {.name = "StreamViewType", .type = PT_P_STRING,
          .enums = (const char *const[]){"OLD_IMAGE", "KEYS_ONLY", "NEW_AND_OLD_IMAGES", "NEW_IMAGE", NULL}},
         {0}}},
    {.name = "SSESpecification", .type = PT_P_FSTRUCT, .struct_name = "SSESpecification",
     .members = (const pt_param_t[]){{0}}},
    {.name = "ReplicaUpdates", .type = PT_P_LIST, .elem = &any_struct},
    {.name = "TableClass", .type = PT_P_STRING,
     .enums = (const char *const[]){"STANDARD", "STANDARD_INFREQUENT_ACCESS", NULL}},
    {.name = "DeletionProtectionEnabled", .type = PT_P_BOOL},
    {0},
};

typedef struct update_op {
    bool has_mode, to_ppr;     /* BillingMode given; its value */
    bool has_pt;               /* ProvisionedThroughput given */
    int64_t rcu, wcu;
    bool has_dp, dp;           /* DeletionProtectionEnabled */
    bool has_stream, stream_on; /* StreamSpecification given; StreamEnabled */
    int stream_view;           /* its StreamViewType (enabling) */
    /* GlobalSecondaryIndexUpdates (at most one Create or Delete) */
    pt_index_t *create;        /* owned until the apply attaches it */
    const pt_json_t *delete_name;
    const pt_json_t *updates;  /* the list, for Update actions */
    const pt_json_t *defs;     /* AttributeDefinitions */
} update_op_t;

static const pt_json_t *member(const pt_json_t *obj, const char *name)
{
    const pt_json_t *v = obj ? pt_json_get(obj, name) : NULL;
    return v && v->type != PT_JSON_NULL ? v : NULL;
}

static const pt_json_t *update_index_name(const pt_json_t *u)
{
    const pt_json_t *a = member(u, "Update");
    if (!a) a = member(u, "Create");
    if (!a) a = member(u, "Delete");
    return member(a, "IndexName");
}

/* dynalite validations/updateTable.js custom rules for the list, then
 * DynamoDB's limit of one index creation or deletion per request. */
static int check_gsi_updates(pt_call_t *call, const pt_json_t *gsi)
{
    uint32_t online = 0;
    for (uint32_t i = 0; i < gsi->len; i++) {
        const pt_json_t *u = &gsi->u.elems[i];
        if (!member(u, "Update") && !member(u, "Create") && !member(u, "Delete"))
            return pt_error_set(&call->err, PT_E_VALIDATION,
                                "One or more parameter values were invalid: One of GlobalSecondaryIndexUpdate.Update, "
                                "GlobalSecondaryIndexUpdate.Create, GlobalSecondaryIndexUpdate.Delete must not be null");
        const pt_json_t *name = update_index_name(u);
        for (uint32_t j = 0; j < i; j++) {
            const pt_json_t *other = update_index_name(&gsi->u.elems[j]);
            if (name && other && name->len == other->len && !memcmp(name->u.str, other->u.str, name->len))
                return pt_error_set(&call->err, PT_E_VALIDATION,
                                    "One or more parameter values were invalid: Only one global secondary index update "
                                    "per index is allowed simultaneously. Index: %.*s",
                                    (int)name->len, name->u.str);
        }
        online += (member(u, "Create") != NULL) + (member(u, "Delete") != NULL);
    }
    if (online > 1)
        return pt_error_set(&call->err, PT_E_LIMIT,
                            "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously "
                            "per table");
    return PT_OK;
}

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
    if (pt_json_streq(mode, "PROVISIONED") && !pt)
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
    if (has_gsi && check_gsi_updates(call, gsi)) return PT_ERR;
    if (stream) {
        op->has_stream = true;
        op->stream_on = pt_param_bool(stream, "StreamEnabled", false);
        uint32_t vlen = 0;
        const char *view = pt_param_str(stream, "StreamViewType", &vlen);
        if (op->stream_on && !view)
            return pt_error_set(err, PT_E_VALIDATION,
                                "One or more parameter values were invalid: If stream is being enabled then "
                                "UpdateViewType is required");
        if (!op->stream_on && view)
            return pt_error_set(err, PT_E_VALIDATION,
                                "One or more parameter values were invalid: If stream is being disabled, then "
                                "UpdateViewType must not be specified");
        op->stream_view = view ? pt_stream_view_from_name(view, vlen) : 0;
        bool index_change = false;
        for (uint32_t i = 0; gsi && i < gsi->len; i++)
            index_change |= member(&gsi->u.elems[i], "Create") || member(&gsi->u.elems[i], "Delete");
        if (index_change)
            return pt_error_set(err, PT_E_VALIDATION,
                                "One or more parameter values were invalid: You cannot create or delete index while "
                                "changing stream status");
        if (pt)
            return pt_error_set(err, PT_E_VALIDATION,
                                "One or more parameter values were invalid: You cannot modify stream status while "
                                "updating table IOPS");
    }
    const char *unsupported = sse ? "SSESpecification"
                              : replicas && replicas->len ? "ReplicaUpdates"
                                                          : NULL;
    if (unsupported) return pt_error_set(err, PT_E_VALIDATION, "Portico does not support %s in UpdateTable yet", unsupported);
    op->has_mode = mode != NULL;
    op->to_ppr = pt_json_streq(mode, "PAY_PER_REQUEST");
    op->has_pt = pt != NULL;
    op->has_dp = dp != NULL;
    op->dp = pt_param_bool(req, "DeletionProtectionEnabled", false);
    return PT_OK;
}

static bool json_eq(const pt_json_t *a, const pt_json_t *b)
{
    return a && b && a->len == b->len && !memcmp(a->u.str, b->u.str, a->len);
}

static bool table_defines(pt_table_t *t, const pt_json_t *name)
{
    bool found = false;
    pthread_mutex_lock(&t->meta_lock);
    for (uint32_t i = 0; i < t->nattrs; i++)
        found |= strlen(t->attrs[i].name) == name->len && !memcmp(t->attrs[i].name, name->u.str, name->len);
    pthread_mutex_unlock(&t->meta_lock);
    return found;
}

/* The Create and Delete actions against the table, on the calling thread
 * (the writer re-checks what can change: names, counts). */
static int check_gsi_against_table(pt_call_t *call, const pt_json_t *req, pt_table_t *t, update_op_t *op)
{
    pt_error_t *err = &call->err;
    const pt_json_t *gsi = pt_param(req, "GlobalSecondaryIndexUpdates");
    const pt_json_t *defs = pt_param(req, "AttributeDefinitions");
    op->updates = gsi;
    op->defs = defs;
    for (uint32_t i = 0; gsi && i < gsi->len; i++) {
        const pt_json_t *u = &gsi->u.elems[i];
        const pt_json_t *del = member(u, "Delete");
        if (del) op->delete_name = member(del, "IndexName");
        const pt_json_t *c = member(u, "Create");
        if (!c) continue;
        const pt_json_t *name = member(c, "IndexName");
        const pt_json_t *keys = member(c, "KeySchema");
        for (uint32_t k = 0; k < keys->len; k++) {
            const pt_json_t *kn = member(&keys->u.elems[k], "AttributeName");
            bool in_req = false;
            for (uint32_t d = 0; defs && d < defs->len; d++) in_req |= json_eq(member(&defs->u.elems[d], "AttributeName"), kn);
            if (in_req || table_defines(t, kn)) continue;
            pt_buf_t kb = PT_BUF_INIT, db = PT_BUF_INIT;
            for (uint32_t j = 0; j < keys->len; j++) {
                const pt_json_t *n = member(&keys->u.elems[j], "AttributeName");
                if (j) pt_buf_puts(&kb, ", ");
                pt_buf_append(&kb, n->u.str, n->len);
            }
            for (uint32_t j = 0; defs && j < defs->len; j++) {
                const pt_json_t *n = member(&defs->u.elems[j], "AttributeName");
                if (j) pt_buf_puts(&db, ", ");
                pt_buf_append(&db, n->u.str, n->len);
            }
            pt_buf_putc(&kb, 0);
            pt_buf_putc(&db, 0);
            pt_error_set(err, PT_E_VALIDATION,
                         "One or more parameter values were invalid: Some index key attributes are not defined in "
                         "AttributeDefinitions. Keys: [%s], AttributeDefinitions: [%s]",
                         kb.data, db.data);
            pt_buf_free(&kb);
            pt_buf_free(&db);
            return PT_ERR;
        }
        if (keys->len == 2 &&
            json_eq(member(&keys->u.elems[0], "AttributeName"), member(&keys->u.elems[1], "AttributeName")))
            return pt_error_set(err, PT_E_VALIDATION,
                                "Both the Hash Key and the Range Key element in the KeySchema have the same name");
        if (!pt_json_streq(member(&keys->u.elems[0], "KeyType"), "HASH"))
            return pt_error_set(err, PT_E_VALIDATION,
                                "Invalid KeySchema: The first KeySchemaElement is not a HASH key type");
        if (keys->len == 2 && !pt_json_streq(member(&keys->u.elems[1], "KeyType"), "RANGE"))
            return pt_error_set(err, PT_E_VALIDATION,
                                "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type");
        const pt_json_t *proj = member(c, "Projection");
        const pt_json_t *ptype = member(proj, "ProjectionType");
        if (!ptype)
            return pt_error_set(err, PT_E_VALIDATION,
                                "One or more parameter values were invalid: Unknown ProjectionType: null");
        if (member(proj, "NonKeyAttributes") && !pt_json_streq(ptype, "INCLUDE"))
            return pt_error_set(err, PT_E_VALIDATION,
                                "One or more parameter values were invalid: ProjectionType is %.*s, but "
                                "NonKeyAttributes is specified",
                                (int)ptype->len, ptype->u.str);
        pthread_mutex_lock(&t->meta_lock);
        bool ppr = op->has_mode ? op->to_ppr : t->pay_per_request;
        pthread_mutex_unlock(&t->meta_lock);
        const pt_json_t *ipt = member(c, "ProvisionedThroughput");
        if (ppr && ipt)
            return pt_error_set(err, PT_E_VALIDATION,
                                "One or more parameter values were invalid: ProvisionedThroughput should not be "
                                "specified for index: %.*s when BillingMode is PAY_PER_REQUEST",
                                (int)name->len, name->u.str);
        if (!ppr && !ipt)
            return pt_error_set(err, PT_E_VALIDATION,
                                "One or more parameter values were invalid: ProvisionedThroughput is not specified for "
                                "index: %.*s",
                                (int)name->len, name->u.str);
        op->create = pt_api_index_new(c, defs, NULL, true);
        /* key types the request does not define come from the table */
        pt_attr_def_t *ks[2] = {&op->create->hash, op->create->range.name ? &op->create->range : NULL};
        pthread_mutex_lock(&t->meta_lock);
        for (int k = 0; k < 2 && ks[k]; k++)
            for (uint32_t a = 0; !ks[k]->type && a < t->nattrs; a++)
                if (!strcmp(t->attrs[a].name, ks[k]->name)) ks[k]->type = t->attrs[a].type;
        pthread_mutex_unlock(&t->meta_lock);
    }
    return PT_OK;
}

static pt_index_t *find_locked(pt_table_t *t, const char *name, size_t len, uint32_t *pos)
{
    for (uint32_t i = 0; i < t->nindexes; i++)
        if (strlen(t->indexes[i]->name) == len && !memcmp(t->indexes[i]->name, name, len)) {
            if (pos) *pos = i;
            return t->indexes[i];
        }
    return NULL;
}

/* The attribute definitions after an index change: the table's keys and
 * the key attributes of the indexes, with their types (DynamoDB keeps
 * exactly the definitions some key uses). Writer thread. */
static void rebuild_attrs(pt_table_t *t, pt_attr_def_t **out, uint32_t *n)
{
    pt_attr_def_t *a = calloc(2 + 2 * PT_MAX_INDEXES, sizeof *a);
    if (!a) pt_oom();
    uint32_t k = 0;
    const pt_attr_def_t *cands[2 + 2 * PT_MAX_INDEXES];
    uint32_t nc = 0;
    /* keep the existing definitions' order, then append new ones */
    for (uint32_t i = 0; i < t->nattrs; i++) cands[nc++] = &t->attrs[i];
    for (uint32_t i = 0; i < t->nindexes; i++) {
        cands[nc++] = &t->indexes[i]->hash;
        if (t->indexes[i]->range.name) cands[nc++] = &t->indexes[i]->range;
    }
    for (uint32_t c = 0; c < nc && k < 2 + 2 * PT_MAX_INDEXES; c++) {
        const char *name = cands[c]->name;
        bool used = !strcmp(name, t->hash.name) || (t->range.name && !strcmp(name, t->range.name));
        for (uint32_t i = 0; i < t->nindexes && !used; i++)
            used = !strcmp(name, t->indexes[i]->hash.name) ||
                   (t->indexes[i]->range.name && !strcmp(name, t->indexes[i]->range.name));
        bool dup = false;
        for (uint32_t j = 0; j < k; j++) dup |= !strcmp(a[j].name, name);
        if (!used || dup) continue;
        a[k].name = strdup(name);
        if (!a[k].name) pt_oom();
        a[k].type = cands[c]->type;
        k++;
    }
    *out = a;
    *n = k;
}

static void free_attrs(pt_attr_def_t *a, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) free(a[i].name);
    free(a);
}

/* Applies the index actions (writer thread, under no lock). On failure
 * nothing in memory has changed. *index_change says whether an index was
 * created or deleted. */
static int apply_gsi_updates(pt_call_t *call, pt_txn_t *txn, pt_table_t *t, update_op_t *op, bool *index_change)
{
    pt_error_t *err = &call->err;
    *index_change = false;
    /* checks first, against the current state */
    if (op->create) {
        if (find_locked(t, op->create->name, strlen(op->create->name), NULL))
            return pt_error_set(err, PT_E_VALIDATION, "Attempting to create an index which already exists");
        uint32_t ngsi = 0;
        for (uint32_t i = 0; i < t->nindexes; i++) ngsi += t->indexes[i]->global;
        if (ngsi >= PT_MAX_GSI)
            return pt_error_set(err, PT_E_VALIDATION,
                                "One or more parameter values were invalid: GlobalSecondaryIndex count exceeds the "
                                "per-table limit of 20");
        if (!pt_index_free_id(t))
            return pt_error_set(err, PT_E_LIMIT,
                                "Subscriber limit exceeded: Only 1 online index can be created or deleted "
                                "simultaneously per table");
    }
    uint32_t del_pos = 0;
    pt_index_t *del = NULL;
    if (op->delete_name) {
        del = find_locked(t, op->delete_name->u.str, op->delete_name->len, &del_pos);
        if (!del)
            return pt_error_set(err, PT_E_NOT_FOUND, "Requested resource not found: Index %.*s for table %s",
                                (int)op->delete_name->len, op->delete_name->u.str, t->name);
        if (!del->global)
            return pt_error_set(err, PT_E_VALIDATION, "Cannot delete an index that is not a GlobalSecondaryIndex: %.*s",
                                (int)op->delete_name->len, op->delete_name->u.str);
    }
    const pt_json_t *gsi = op->updates;
    for (uint32_t i = 0; gsi && i < gsi->len; i++) {
        const pt_json_t *u = member(&gsi->u.elems[i], "Update");
        if (!u) continue;
        const pt_json_t *name = member(u, "IndexName");
        pt_index_t *ix = find_locked(t, name->u.str, name->len, NULL);
        if (!ix)
            return pt_error_set(err, PT_E_NOT_FOUND, "Requested resource not found: Index %.*s for table %s",
                                (int)name->len, name->u.str, t->name);
        if (!ix->global)
            return pt_error_set(err, PT_E_VALIDATION, "Cannot update an index that is not a GlobalSecondaryIndex: %.*s",
                                (int)name->len, name->u.str);
        if (t->pay_per_request)
            return pt_error_set(err, PT_E_VALIDATION,
                                "One or more parameter values were invalid: Neither ReadCapacityUnits nor "
                                "WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST");
    }

    /* then the changes, all in memory under the lock, saved once */
    int64_t (*old_tp)[2] = pt_arena_calloc(&call->arena, sizeof *old_tp * (t->nindexes ? t->nindexes : 1));
    uint32_t old_nindexes = t->nindexes, old_purge = t->index_purge, old_nattrs = t->nattrs;
    pt_index_t *old_indexes[PT_MAX_INDEXES];
    memcpy(old_indexes, t->indexes, sizeof old_indexes);
    pt_attr_def_t *old_attrs = t->attrs;
    pthread_mutex_lock(&t->meta_lock);
    for (uint32_t i = 0; i < t->nindexes; i++) {
        old_tp[i][0] = t->indexes[i]->rcu;
        old_tp[i][1] = t->indexes[i]->wcu;
    }
    for (uint32_t i = 0; gsi && i < gsi->len; i++) {
        const pt_json_t *u = member(&gsi->u.elems[i], "Update");
        if (!u) continue;
        const pt_json_t *name = member(u, "IndexName");
        pt_index_t *ix = find_locked(t, name->u.str, name->len, NULL);
        const pt_json_t *tp = member(u, "ProvisionedThroughput");
        ix->rcu = pt_param_int(tp, "ReadCapacityUnits", ix->rcu);
        ix->wcu = pt_param_int(tp, "WriteCapacityUnits", ix->wcu);
    }
    if (del) {
        memmove(&t->indexes[del_pos], &t->indexes[del_pos + 1], (t->nindexes - del_pos - 1) * sizeof *t->indexes);
        t->nindexes--;
        t->index_purge |= 1u << del->id;
    }
    if (op->create) {
        op->create->id = pt_index_free_id(t);
        op->create->backfilling = true;
        t->indexes[t->nindexes++] = op->create;
    }
    if (del || op->create) {
        pt_attr_def_t *attrs;
        uint32_t n;
        rebuild_attrs(t, &attrs, &n);
        t->attrs = attrs;
        t->nattrs = n;
    }
    pthread_mutex_unlock(&t->meta_lock);

    int rc = pt_catalog_save(txn, t, err);
    if (!rc && del) rc = pt_catalog_del_index_stats(txn, t, del->id, err);
    if (rc) {
        pthread_mutex_lock(&t->meta_lock);
        if (t->attrs != old_attrs) free_attrs(t->attrs, t->nattrs);
        t->attrs = old_attrs;
        t->nattrs = old_nattrs;
        memcpy(t->indexes, old_indexes, sizeof old_indexes);
        t->nindexes = old_nindexes;
        t->index_purge = old_purge;
        for (uint32_t i = 0; i < t->nindexes; i++) {
            t->indexes[i]->rcu = old_tp[i][0];
            t->indexes[i]->wcu = old_tp[i][1];
        }
        if (op->create) op->create->id = 0, op->create->backfilling = false;
        pthread_mutex_unlock(&t->meta_lock);
        return rc;
    }
    if (t->attrs != old_attrs) free_attrs(old_attrs, old_nattrs);
    if (del) {
        /* DescribeTable lists it (DELETING) until its purge ends */
        pthread_mutex_lock(&t->meta_lock);
        del->next_retired = t->retired;
        t->retired = del;
        pthread_mutex_unlock(&t->meta_lock);
    }
    *index_change = del || op->create;
    op->create = NULL; /* the table owns it now */
    if (*index_change) pt_indexer_kick(call->engine->indexer);
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

/* The stream state UpdateTable may change (restored if saving fails). */
typedef struct stream_snapshot {
    uint8_t view;
    bool enabled;
    int64_t created, closed;
    uint64_t start, end, next;
    struct pt_stream_old old[PT_STREAM_OLD_MAX];
    uint32_t nold;
} stream_snapshot_t;

static void stream_snapshot(const pt_table_t *t, stream_snapshot_t *s)
{
    *s = (stream_snapshot_t){t->stream_view, t->stream_enabled, t->stream_created_ms, t->stream_closed_ms,
                             t->stream_start_seq, t->stream_end_seq, t->stream_next_seq, {{0}}, t->nstream_old};
    memcpy(s->old, t->stream_old, sizeof s->old);
}

static void stream_restore(pt_table_t *t, const stream_snapshot_t *s)
{
    t->stream_view = s->view;
    t->stream_enabled = s->enabled;
    t->stream_created_ms = s->created;
    t->stream_closed_ms = s->closed;
    t->stream_start_seq = s->start;
    t->stream_end_seq = s->end;
    t->stream_next_seq = s->next;
    memcpy(t->stream_old, s->old, sizeof s->old);
    t->nstream_old = s->nold;
}

static int update_apply_inner(pt_call_t *call, pt_txn_t *txn)
{
    update_op_t *op = call->op;
    pt_table_t *t = call->table;
    pt_error_t *err = &call->err;
    if (atomic_load(&t->deleted))
        return pt_error_set(err, PT_E_NOT_FOUND, "Requested resource not found: Table: %s not found", t->name);
    /* The writer thread reads t's metadata without the lock. */
    bool ppr_after = op->has_mode ? op->to_ppr : t->pay_per_request;
    bool index_change = false;
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

    if (op->has_stream && op->stream_on && t->stream_enabled)
        return pt_error_set(err, PT_E_VALIDATION, "Table already has an enabled stream: TableName: %s", t->name);
    if (op->has_stream && !op->stream_on && !t->stream_enabled)
        return pt_error_set(err, PT_E_VALIDATION, "Table has no stream to disable: TableName: %s", t->name);
    if ((op->create || op->delete_name || op->updates) && apply_gsi_updates(call, txn, t, op, &index_change))
        return PT_ERR;
    stream_snapshot_t stream_before;
    stream_snapshot(t, &stream_before);
    if (op->has_stream && (op->stream_on ? pt_stream_enable(txn, t, op->stream_view, err)
                                         : pt_stream_disable(txn, t, err)))
        return PT_ERR;
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
        stream_restore(t, &stream_before);
        pthread_mutex_unlock(&t->meta_lock);
        return PT_ERR;
    }

    pt_jw_t w;
    pt_jw_init(&w, &call->out);
    pt_jw_obj_begin(&w);
    pt_jw_keyz(&w, "TableDescription");
    const char *status = capacity_change || index_change || op->has_stream ? "UPDATING" : "ACTIVE";
    if (pt_table_describe(call->engine, txn, t, status, &w, err)) return PT_ERR;
    pt_jw_obj_end(&w);
    return PT_OK;
}

static int update_apply(pt_call_t *call, pt_txn_t *txn)
{
    update_op_t *op = call->op;
    int rc = update_apply_inner(call, txn);
    /* a Create the apply did not attach (it failed) is ours to free */
    pt_index_free(op->create);
    op->create = NULL;
    return rc;
}

int pt_op_update_table(pt_call_t *call, const pt_json_t *req)
{
    pt_table_t *t;
    if (pt_params_check(&call->arena, req, update_table_schema, &call->err)) return PT_ERR;
    update_op_t *op = pt_arena_calloc(&call->arena, sizeof *op);
    if (check_update(call, req, op)) return PT_ERR;
    if (pt_api_table(call, req, true, &t)) return PT_ERR;
    if (check_gsi_against_table(call, req, t, op)) {
        pt_index_free(op->create);
        return PT_ERR;
    }
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
