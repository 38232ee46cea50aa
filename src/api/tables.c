/* Table operations: CreateTable, DescribeTable, ListTables, DeleteTable.
 * CreateTable takes LocalSecondaryIndexes and GlobalSecondaryIndexes
 * (checked in index_defs.c); they are ACTIVE at once (the table is empty).
 * CreateTable stores Tags (validated as TagResource does, tags.c) and
 * DeletionProtectionEnabled; DeleteTable of a protected table fails.
 * StreamSpecification starts the table's stream (engine/stream.h).
 * Validation follows DynamoDB's order: parameter kinds and constraints
 * (params.c), then the operation's own rules with DynamoDB's messages.
 * Tables are created ACTIVE: there is no provisioning delay to emulate, and
 * `aws dynamodb wait table-exists` only needs ACTIVE. */
#include "api/api.h"
#include "api/index_defs.h"
#include "api/params.h"
#include "api/tags.h"
#include "engine/av.h"
#include "engine/stream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const billing_modes[] = {"PROVISIONED", "PAY_PER_REQUEST", NULL};
static const char *const attr_types[] = {"B", "N", "S", NULL};
static const char *const key_types[] = {"HASH", "RANGE", NULL};

#define TABLE_NAME_PARAM(flags_)                                                                     \
    {.name = "TableName", .type = PT_P_STRING,                                                        \
     .flags = (flags_) | PT_P_NAME_REGEX | PT_P_HAS_MINLEN | PT_P_HAS_MAXLEN, .min_len = 3, .max_len = 255}

static const pt_param_t attr_def_members[] = {
    {.name = "AttributeName", .type = PT_P_STRING, .flags = PT_P_NOT_NULL | PT_P_HAS_MINLEN | PT_P_HAS_MAXLEN,
     .min_len = 1, .max_len = 255},
    {.name = "AttributeType", .type = PT_P_STRING, .flags = PT_P_NOT_NULL, .enums = attr_types},
    {0},
};
static const pt_param_t attr_def = {.name = "member", .type = PT_P_VSTRUCT, .struct_name = "AttributeDefinition",
                                    .members = attr_def_members};
static const pt_param_t key_elem_members[] = {
    {.name = "AttributeName", .type = PT_P_STRING, .flags = PT_P_NOT_NULL | PT_P_HAS_MINLEN | PT_P_HAS_MAXLEN,
     .min_len = 1, .max_len = 255},
    {.name = "KeyType", .type = PT_P_STRING, .flags = PT_P_NOT_NULL, .enums = key_types},
    {0},
};
static const pt_param_t key_elem = {.name = "member", .type = PT_P_VSTRUCT, .struct_name = "KeySchemaElement",
                                    .members = key_elem_members};
static const pt_param_t throughput_members[] = {
    {.name = "WriteCapacityUnits", .type = PT_P_LONG, .flags = PT_P_NOT_NULL | PT_P_HAS_MIN, .min = 1},
    {.name = "ReadCapacityUnits", .type = PT_P_LONG, .flags = PT_P_NOT_NULL | PT_P_HAS_MIN, .min = 1},
    {0},
};
static const pt_param_t tag_members[] = {
    {.name = "Key", .type = PT_P_STRING, .flags = PT_P_NOT_NULL | PT_P_HAS_MINLEN | PT_P_HAS_MAXLEN,
     .min_len = 1, .max_len = 128},
    {.name = "Value", .type = PT_P_STRING, .flags = PT_P_NOT_NULL | PT_P_HAS_MAXLEN, .max_len = 256},
    {0},
};
static const pt_param_t tag_elem = {.name = "member", .type = PT_P_VSTRUCT, .struct_name = "Tag",
                                    .members = tag_members};
/* Secondary index members, in dynalite's (validations/createTable.js) order. */
static const pt_param_t index_name_elem = {.name = "member", .type = PT_P_STRING};
static const pt_param_t index_key_elem_members[] = {
    {.name = "AttributeName", .type = PT_P_STRING, .flags = PT_P_NOT_NULL | PT_P_HAS_MINLEN | PT_P_HAS_MAXLEN,
     .min_len = 1, .max_len = 255},
    {.name = "KeyType", .type = PT_P_STRING, .flags = PT_P_NOT_NULL, .enums = key_types},
    {0},
};
static const pt_param_t index_key_elem = {.name = "member", .type = PT_P_VSTRUCT, .struct_name = "KeySchemaElement",
                                          .members = index_key_elem_members};
static const pt_param_t projection_members[] = {
    {.name = "ProjectionType", .type = PT_P_STRING,
     .enums = (const char *const[]){"ALL", "INCLUDE", "KEYS_ONLY", NULL}},
    {.name = "NonKeyAttributes", .type = PT_P_LIST, .flags = PT_P_HAS_MINLEN | PT_P_HAS_MAXLEN, .min_len = 1,
     .max_len = 20, .elem = &index_name_elem},
    {0},
};
#define INDEX_NAME_MEMBER                                                                                   \
    {.name = "IndexName", .type = PT_P_STRING,                                                              \
     .flags = PT_P_NOT_NULL | PT_P_NAME_REGEX | PT_P_HAS_MINLEN | PT_P_HAS_MAXLEN, .min_len = 3, .max_len = 255}
#define INDEX_KEY_SCHEMA_MEMBER                                                                             \
    {.name = "KeySchema", .type = PT_P_LIST, .flags = PT_P_NOT_NULL | PT_P_HAS_MINLEN | PT_P_HAS_MAXLEN,      \
     .min_len = 1, .max_len = 2, .elem = &index_key_elem}
#define PROJECTION_MEMBER                                                                                   \
    {.name = "Projection", .type = PT_P_FSTRUCT, .flags = PT_P_NOT_NULL, .struct_name = "Projection",        \
     .members = projection_members}
static const pt_param_t lsi_members[] = {
    INDEX_NAME_MEMBER,
    INDEX_KEY_SCHEMA_MEMBER,
    PROJECTION_MEMBER,
    {0},
};
static const pt_param_t gsi_members[] = {
    INDEX_NAME_MEMBER,
    INDEX_KEY_SCHEMA_MEMBER,
    PROJECTION_MEMBER,
    {.name = "ProvisionedThroughput", .type = PT_P_FSTRUCT, .struct_name = "ProvisionedThroughput",
     .members = throughput_members},
    {0},
};
static const pt_param_t lsi_elem = {.name = "member", .type = PT_P_VSTRUCT, .struct_name = "LocalSecondaryIndex",
                                    .members = lsi_members};
static const pt_param_t gsi_elem = {.name = "member", .type = PT_P_VSTRUCT, .struct_name = "GlobalSecondaryIndex",
                                    .members = gsi_members};

/* The enum order is DynamoDB's, as its messages list it. */
static const pt_param_t stream_spec_members[] = {
    {.name = "StreamEnabled", .type = PT_P_BOOL, .flags = PT_P_NOT_NULL},
    {.name = "StreamViewType", .type = PT_P_STRING,
     .enums = (const char *const[]){"OLD_IMAGE", "KEYS_ONLY", "NEW_AND_OLD_IMAGES", "NEW_IMAGE", NULL}},
    {0},
};

static const pt_param_t create_table_schema[] = {
    {.name = "AttributeDefinitions", .type = PT_P_LIST, .flags = PT_P_NOT_NULL, .elem = &attr_def},
    TABLE_NAME_PARAM(PT_P_REQUIRED | PT_P_TABLE_NAME),
    {.name = "ProvisionedThroughput", .type = PT_P_FSTRUCT, .struct_name = "ProvisionedThroughput",
     .members = throughput_members},
    {.name = "KeySchema", .type = PT_P_LIST, .flags = PT_P_NOT_NULL | PT_P_HAS_MINLEN | PT_P_HAS_MAXLEN,
     .min_len = 1, .max_len = 2, .elem = &key_elem},
    {.name = "LocalSecondaryIndexes", .type = PT_P_LIST, .elem = &lsi_elem},
    {.name = "GlobalSecondaryIndexes", .type = PT_P_LIST, .elem = &gsi_elem},
    {.name = "BillingMode", .type = PT_P_STRING, .enums = billing_modes},
    {.name = "Tags", .type = PT_P_LIST, .flags = PT_P_HAS_MAXLEN, .max_len = 50, .elem = &tag_elem},
    {.name = "DeletionProtectionEnabled", .type = PT_P_BOOL},
    {.name = "TableClass", .type = PT_P_STRING,
     .enums = (const char *const[]){"STANDARD", "STANDARD_INFREQUENT_ACCESS", NULL}},
    {.name = "StreamSpecification", .type = PT_P_FSTRUCT, .struct_name = "StreamSpecification",
     .members = stream_spec_members},
    {0},
};

static const pt_param_t table_name_only_schema[] = {
    TABLE_NAME_PARAM(PT_P_REQUIRED | PT_P_TABLE_NAME),
    {0},
};

static const pt_param_t list_tables_schema[] = {
    {.name = "Limit", .type = PT_P_INTEGER, .flags = PT_P_HAS_MIN | PT_P_HAS_MAX, .min = 1, .max = 100},
    {.name = "ExclusiveStartTableName", .type = PT_P_STRING,
     .flags = PT_P_NAME_REGEX | PT_P_HAS_MINLEN | PT_P_HAS_MAXLEN, .min_len = 3, .max_len = 255},
    {0},
};

static const pt_json_t *member(const pt_json_t *obj, const char *name)
{
    const pt_json_t *v = pt_json_get(obj, name);
    return v && v->type != PT_JSON_NULL ? v : NULL;
}

/* Joins the AttributeName of each element: "a, b". */
static char *join_names(pt_arena_t *arena, const pt_json_t *list)
{
    pt_buf_t b = PT_BUF_INIT;
    for (uint32_t i = 0; i < list->len; i++) {
        const pt_json_t *n = member(&list->u.elems[i], "AttributeName");
        if (i) pt_buf_puts(&b, ", ");
        if (n && n->type == PT_JSON_STRING) pt_buf_append(&b, n->u.str, n->len);
    }
    char *s = pt_arena_strndup(arena, b.data ? b.data : "", b.len);
    pt_buf_free(&b);
    return s;
}

static const pt_json_t *find_def(const pt_json_t *defs, const pt_json_t *name)
{
    for (uint32_t i = 0; i < defs->len; i++) {
        const pt_json_t *n = member(&defs->u.elems[i], "AttributeName");
        if (n && name && n->len == name->len && !memcmp(n->u.str, name->u.str, n->len)) return &defs->u.elems[i];
    }
    return NULL;
}

/* CreateTable's own rules, in the order DynamoDB checks them. */
static int check_create_table(pt_call_t *call, const pt_json_t *req)
{
    pt_error_t *err = &call->err;
    const pt_json_t *billing = member(req, "BillingMode");
    const pt_json_t *pt = member(req, "ProvisionedThroughput");
    bool ppr = pt_json_streq(billing, "PAY_PER_REQUEST");
    if (ppr && pt)
        return pt_error_set(err, PT_E_VALIDATION,
                            "One or more parameter values were invalid: Neither ReadCapacityUnits nor "
                            "WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST");
    if (!ppr && !pt)
        return pt_error_set(err, PT_E_VALIDATION,
                            "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits "
                            "must both be specified when BillingMode is PROVISIONED");
    if (pt) {
        int64_t r = pt_param_int(pt, "ReadCapacityUnits", 1), w = pt_param_int(pt, "WriteCapacityUnits", 1);
        if (r > 1000000000000LL)
            return pt_error_set(err, PT_E_VALIDATION, "Given value %lld for ReadCapacityUnits is out of bounds",
                                (long long)r);
        if (w > 1000000000000LL)
            return pt_error_set(err, PT_E_VALIDATION, "Given value %lld for WriteCapacityUnits is out of bounds",
                                (long long)w);
    }

    const pt_json_t *defs = member(req, "AttributeDefinitions");
    const pt_json_t *keys = member(req, "KeySchema");
    const pt_json_t *k0 = member(&keys->u.elems[0], "AttributeName");
    const pt_json_t *k1 = keys->len > 1 ? member(&keys->u.elems[1], "AttributeName") : NULL;
    if (keys->len == 2) {
        bool same = k0->len == k1->len && !memcmp(k0->u.str, k1->u.str, k0->len);
        if (!find_def(defs, k0) || !find_def(defs, k1) || (same && defs->len == 1))
            return pt_error_set(err, PT_E_VALIDATION, "Invalid KeySchema: Some index key attribute have no definition");
        if (same)
            return pt_error_set(err, PT_E_VALIDATION,
                                "Both the Hash Key and the Range Key element in the KeySchema have the same name");
    } else if (!find_def(defs, k0)) {
        return pt_error_set(err, PT_E_VALIDATION,
                            "One or more parameter values were invalid: Some index key attributes are not defined "
                            "in AttributeDefinitions. Keys: [%s], AttributeDefinitions: [%s]",
                            join_names(&call->arena, keys), join_names(&call->arena, defs));
    }
    if (!pt_json_streq(member(&keys->u.elems[0], "KeyType"), "HASH"))
        return pt_error_set(err, PT_E_VALIDATION, "Invalid KeySchema: The first KeySchemaElement is not a HASH key type");
    if (keys->len == 2 && !pt_json_streq(member(&keys->u.elems[1], "KeyType"), "RANGE"))
        return pt_error_set(err, PT_E_VALIDATION,
                            "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type");

    const pt_json_t *lsi = member(req, "LocalSecondaryIndexes");
    const pt_json_t *gsi = member(req, "GlobalSecondaryIndexes");
    if (!lsi && !gsi && keys->len != defs->len)
        return pt_error_set(err, PT_E_VALIDATION,
                            "One or more parameter values were invalid: Number of attributes in KeySchema does not "
                            "exactly match number of attributes defined in AttributeDefinitions");
    if (pt_api_check_indexes(call, defs, k0, keys->len == 2, lsi, gsi, ppr)) return PT_ERR;
    /* duplicate definitions (possible only with indexes) */
    for (uint32_t i = 0; i < defs->len; i++)
        for (uint32_t j = i + 1; j < defs->len; j++) {
            const pt_json_t *a = member(&defs->u.elems[i], "AttributeName");
            const pt_json_t *b = member(&defs->u.elems[j], "AttributeName");
            if (a->len == b->len && !memcmp(a->u.str, b->u.str, a->len))
                return pt_error_set(err, PT_E_VALIDATION,
                                    "Cannot have two attributes with the same name: %.*s", (int)a->len, a->u.str);
        }
    if (pt_api_check_defs_used(call, defs, keys, lsi, gsi)) return PT_ERR;
    const pt_json_t *stream = member(req, "StreamSpecification");
    if (stream) {
        bool enabled = pt_param_bool(stream, "StreamEnabled", false);
        bool view = member(stream, "StreamViewType") != NULL;
        if (enabled && !view)
            return pt_error_set(err, PT_E_VALIDATION,
                                "One or more parameter values were invalid: Table is being created with a stream "
                                "enabled, UpdateViewType is required");
        if (!enabled && view)
            return pt_error_set(err, PT_E_VALIDATION,
                                "One or more parameter values were invalid: Table is being created with a stream "
                                "disabled, UpdateViewType should not be specified");
    }
    return PT_OK;
}

static char *json_strdup(const pt_json_t *v)
{
    char *s = strndup(v->u.str, v->len);
    if (!s) pt_oom();
    return s;
}

static void set_attr(pt_attr_def_t *a, const pt_json_t *defs, const pt_json_t *name)
{
    const pt_json_t *d = find_def(defs, name);
    const pt_json_t *type = member(d, "AttributeType");
    a->name = json_strdup(name);
    a->type = (uint8_t)pt_av_type_from_name(type->u.str, type->len);
}

typedef struct create_op {
    pt_table_t *table;
    pt_tag_t *tags;
    uint32_t ntags;
} create_op_t;

static int create_apply(pt_call_t *call, pt_txn_t *txn)
{
    create_op_t *op = call->op;
    pt_table_t *t = op->table;
    atomic_fetch_add(&t->refs, 1); /* keep it for the response even if the create fails */
    if (pt_catalog_create_tagged(call->engine, txn, t, op->tags, op->ntags, &call->err)) {
        pt_table_release(t); /* drops the creation reference: the catalog never took it */
        call->table = t;     /* our extra reference, released by the dispatcher */
        return PT_ERR;
    }
    call->table = t;
    pt_jw_t w;
    pt_jw_init(&w, &call->out);
    pt_jw_obj_begin(&w);
    pt_jw_keyz(&w, "TableDescription");
    if (pt_table_describe(call->engine, txn, t, "ACTIVE", &w, &call->err)) return PT_ERR;
    pt_jw_obj_end(&w);
    return PT_OK;
}

int pt_op_create_table(pt_call_t *call, const pt_json_t *req)
{
    if (pt_params_check(&call->arena, req, create_table_schema, &call->err)) return PT_ERR;
    if (check_create_table(call, req)) return PT_ERR;
    create_op_t *op = pt_arena_calloc(&call->arena, sizeof *op);
    const pt_json_t *tags = member(req, "Tags");
    if (tags && pt_api_tags_parse(&call->arena, tags, &op->tags, &op->ntags, &call->err)) return PT_ERR;

    const pt_json_t *defs = member(req, "AttributeDefinitions");
    const pt_json_t *keys = member(req, "KeySchema");
    const pt_json_t *name = member(req, "TableName");
    pt_table_t *t = pt_table_new();
    t->name = json_strdup(name);
    set_attr(&t->hash, defs, member(&keys->u.elems[0], "AttributeName"));
    if (keys->len == 2) set_attr(&t->range, defs, member(&keys->u.elems[1], "AttributeName"));
    t->nattrs = defs->len;
    t->attrs = calloc(defs->len, sizeof *t->attrs);
    if (!t->attrs) pt_oom();
    for (uint32_t i = 0; i < defs->len; i++)
        set_attr(&t->attrs[i], defs, member(&defs->u.elems[i], "AttributeName"));
    t->created_ms = pt_now_ms();
    t->pay_per_request = pt_json_streq(member(req, "BillingMode"), "PAY_PER_REQUEST");
    if (t->pay_per_request) t->billing_changed_ms = t->created_ms;
    const pt_json_t *pt = member(req, "ProvisionedThroughput");
    if (pt) {
        t->rcu = pt_param_int(pt, "ReadCapacityUnits", 0);
        t->wcu = pt_param_int(pt, "WriteCapacityUnits", 0);
    }
    t->deletion_protection = pt_param_bool(req, "DeletionProtectionEnabled", false);
    const pt_json_t *stream = member(req, "StreamSpecification");
    if (stream && pt_param_bool(stream, "StreamEnabled", false)) {
        /* a new table has no records: its stream starts at sequence 1 */
        uint32_t vlen;
        const char *view = pt_param_str(stream, "StreamViewType", &vlen);
        t->stream_view = (uint8_t)pt_stream_view_from_name(view, vlen);
        t->stream_enabled = true;
        t->stream_created_ms = t->created_ms;
        t->stream_start_seq = 1;
    }
    /* LSIs first, then GSIs: the order DescribeTable lists them in. */
    const pt_json_t *lists[2] = {member(req, "LocalSecondaryIndexes"), member(req, "GlobalSecondaryIndexes")};
    for (int l = 0; l < 2; l++)
        for (uint32_t i = 0; lists[l] && i < lists[l]->len; i++) {
            pt_index_t *ix = pt_api_index_new(&lists[l]->u.elems[i], defs, NULL, l == 1);
            ix->id = (uint8_t)(t->nindexes + 1);
            t->indexes[t->nindexes++] = ix;
        }
    op->table = t;
    call->op = op;
    call->apply = create_apply;
    return PT_PENDING;
}

int pt_op_describe_table(pt_call_t *call, const pt_json_t *req)
{
    pt_table_t *t;
    if (pt_params_check(&call->arena, req, table_name_only_schema, &call->err)) return PT_ERR;
    if (pt_api_table(call, req, true, &t)) return PT_ERR;
    pt_jw_t w;
    pt_jw_init(&w, &call->out);
    pt_jw_obj_begin(&w);
    pt_jw_keyz(&w, "Table");
    pt_txn_t *txn;
    if (pt_txn_begin(call->engine->store, PT_TXN_READ, NULL, &txn, &call->err)) return PT_ERR;
    int rc = pt_table_describe(call->engine, txn, t, "ACTIVE", &w, &call->err);
    pt_txn_abort(txn);
    if (rc) return PT_ERR;
    pt_jw_obj_end(&w);
    return PT_OK;
}

int pt_op_list_tables(pt_call_t *call, const pt_json_t *req)
{
    if (pt_params_check(&call->arena, req, list_tables_schema, &call->err)) return PT_ERR;
    int64_t limit = pt_param_int(req, "Limit", 100);
    uint32_t start_len;
    const char *start = pt_param_str(req, "ExclusiveStartTableName", &start_len);
    const char **names;
    int n;
    bool more;
    pt_catalog_list(call->engine, &call->arena, start, start_len, (int)limit, &names, &n, &more);
    pt_jw_t w;
    pt_jw_init(&w, &call->out);
    pt_jw_obj_begin(&w);
    if (more && n) {
        pt_jw_keyz(&w, "LastEvaluatedTableName");
        pt_jw_strz(&w, names[n - 1]);
    }
    pt_jw_keyz(&w, "TableNames");
    pt_jw_arr_begin(&w);
    for (int i = 0; i < n; i++) pt_jw_strz(&w, names[i]);
    pt_jw_arr_end(&w);
    pt_jw_obj_end(&w);
    return PT_OK;
}

static int delete_apply(pt_call_t *call, pt_txn_t *txn)
{
    pt_table_t *t = call->table;
    if (atomic_load(&t->deleted))
        return pt_error_set(&call->err, PT_E_NOT_FOUND, "Requested resource not found: Table: %s not found", t->name);
    /* Checked here, on the writer thread, so it sees a concurrent UpdateTable. */
    if (t->deletion_protection)
        return pt_error_set(&call->err, PT_E_VALIDATION,
                            "Resource cannot be deleted as it is currently protected against deletion. Disable "
                            "deletion protection first.");
    /* The description is written first: DynamoDB returns the table as it
     * was, with TableStatus DELETING. */
    pt_jw_t w;
    pt_jw_init(&w, &call->out);
    pt_jw_obj_begin(&w);
    pt_jw_keyz(&w, "TableDescription");
    if (pt_table_describe(call->engine, txn, t, "DELETING", &w, &call->err)) return PT_ERR;
    pt_jw_obj_end(&w);
    if (pt_catalog_delete(call->engine, txn, t, &call->err)) {
        pt_buf_clear(&call->out);
        return PT_ERR;
    }
    return PT_OK;
}

int pt_op_delete_table(pt_call_t *call, const pt_json_t *req)
{
    pt_table_t *t;
    if (pt_params_check(&call->arena, req, table_name_only_schema, &call->err)) return PT_ERR;
    if (pt_api_table(call, req, true, &t)) return PT_ERR;
    call->apply = delete_apply;
    return PT_PENDING;
}
