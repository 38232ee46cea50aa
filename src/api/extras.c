/* Read operations of DynamoDB features Portico does not have: global
 * tables, contributor insights, Kinesis streaming destinations, exports,
 * imports, replica auto scaling, resource policies. Nothing of them can be
 * configured here, so each answers what DynamoDB answers for a table
 * without it (empty lists, DISABLED, PolicyNotFoundException), after the
 * same checks of the table it names. Tools that read a table's whole state
 * (infrastructure-as-code providers, consoles) then work; the operations
 * that would turn these features on stay "not implemented". */
#include "api/api.h"
#include "api/params.h"

#include <string.h>

#define TABLE_PARAM(flags_)                                                                          \
    {.name = "TableName", .type = PT_P_STRING,                                                        \
     .flags = (flags_) | PT_P_NAME_REGEX | PT_P_HAS_MINLEN | PT_P_HAS_MAXLEN, .min_len = 3, .max_len = 255}

static const pt_param_t table_only_schema[] = {
    TABLE_PARAM(PT_P_REQUIRED | PT_P_TABLE_NAME),
    {0},
};

static int empty_list(pt_call_t *call, const char *member)
{
    pt_jw_t w;
    pt_jw_init(&w, &call->out);
    pt_jw_obj_begin(&w);
    pt_jw_keyz(&w, member);
    pt_jw_arr_begin(&w);
    pt_jw_arr_end(&w);
    pt_jw_obj_end(&w);
    return PT_OK;
}

int pt_op_list_global_tables(pt_call_t *call, const pt_json_t *req)
{
    static const pt_param_t schema[] = {
        {.name = "ExclusiveStartGlobalTableName", .type = PT_P_STRING,
         .flags = PT_P_NAME_REGEX | PT_P_HAS_MINLEN | PT_P_HAS_MAXLEN, .min_len = 3, .max_len = 255},
        {.name = "Limit", .type = PT_P_INTEGER, .flags = PT_P_HAS_MIN, .min = 1},
        {.name = "RegionName", .type = PT_P_STRING},
        {0},
    };
    if (pt_params_check(&call->arena, req, schema, &call->err)) return PT_ERR;
    return empty_list(call, "GlobalTables");
}

int pt_op_describe_global_table(pt_call_t *call, const pt_json_t *req)
{
    static const pt_param_t schema[] = {
        {.name = "GlobalTableName", .type = PT_P_STRING,
         .flags = PT_P_REQUIRED | PT_P_NAME_REGEX | PT_P_HAS_MINLEN | PT_P_HAS_MAXLEN, .min_len = 3, .max_len = 255},
        {0},
    };
    if (pt_params_check(&call->arena, req, schema, &call->err)) return PT_ERR;
    uint32_t len;
    const char *name = pt_param_str(req, "GlobalTableName", &len);
    return pt_error_set(&call->err, PT_DDB "GlobalTableNotFoundException",
                        "Global table not found: Global table with name %.*s does not exist.", (int)len, name);
}

int pt_op_describe_contributor_insights(pt_call_t *call, const pt_json_t *req)
{
    static const pt_param_t schema[] = {
        TABLE_PARAM(PT_P_REQUIRED | PT_P_TABLE_NAME),
        {.name = "IndexName", .type = PT_P_STRING, .flags = PT_P_NAME_REGEX | PT_P_HAS_MINLEN | PT_P_HAS_MAXLEN,
         .min_len = 3, .max_len = 255},
        {0},
    };
    if (pt_params_check(&call->arena, req, schema, &call->err)) return PT_ERR;
    pt_table_t *t;
    if (pt_api_table(call, req, true, &t)) return PT_ERR;
    uint32_t ilen = 0;
    const char *index = pt_param_str(req, "IndexName", &ilen);
    if (index) {
        bool found = false;
        pthread_mutex_lock(&t->meta_lock);
        for (uint32_t i = 0; i < t->nindexes; i++)
            found |= strlen(t->indexes[i]->name) == ilen && !memcmp(t->indexes[i]->name, index, ilen);
        pthread_mutex_unlock(&t->meta_lock);
        if (!found)
            return pt_error_set(&call->err, PT_E_NOT_FOUND, "Requested resource not found: Index %.*s for table %s",
                                (int)ilen, index, t->name);
    }
    pt_jw_t w;
    pt_jw_init(&w, &call->out);
    pt_jw_obj_begin(&w);
    pt_jw_keyz(&w, "TableName"); pt_jw_strz(&w, t->name);
    if (index) { pt_jw_keyz(&w, "IndexName"); pt_jw_str(&w, index, ilen); }
    pt_jw_keyz(&w, "ContributorInsightsStatus"); pt_jw_strz(&w, "DISABLED");
    pt_jw_obj_end(&w);
    return PT_OK;
}

int pt_op_list_contributor_insights(pt_call_t *call, const pt_json_t *req)
{
    static const pt_param_t schema[] = {
        TABLE_PARAM(0),
        {.name = "NextToken", .type = PT_P_STRING},
        {.name = "MaxResults", .type = PT_P_INTEGER, .flags = PT_P_HAS_MAX, .max = 100},
        {0},
    };
    if (pt_params_check(&call->arena, req, schema, &call->err)) return PT_ERR;
    pt_table_t *t;
    if (pt_param_str(req, "TableName", NULL) && pt_api_table(call, req, true, &t)) return PT_ERR;
    return empty_list(call, "ContributorInsightsSummaries");
}

int pt_op_describe_kinesis_streaming_destination(pt_call_t *call, const pt_json_t *req)
{
    if (pt_params_check(&call->arena, req, table_only_schema, &call->err)) return PT_ERR;
    pt_table_t *t;
    if (pt_api_table(call, req, true, &t)) return PT_ERR;
    pt_jw_t w;
    pt_jw_init(&w, &call->out);
    pt_jw_obj_begin(&w);
    pt_jw_keyz(&w, "TableName"); pt_jw_strz(&w, t->name);
    pt_jw_keyz(&w, "KinesisDataStreamDestinations");
    pt_jw_arr_begin(&w);
    pt_jw_arr_end(&w);
    pt_jw_obj_end(&w);
    return PT_OK;
}

int pt_op_describe_table_replica_auto_scaling(pt_call_t *call, const pt_json_t *req)
{
    if (pt_params_check(&call->arena, req, table_only_schema, &call->err)) return PT_ERR;
    pt_table_t *t;
    if (pt_api_table(call, req, true, &t)) return PT_ERR;
    pt_jw_t w;
    pt_jw_init(&w, &call->out);
    pt_jw_obj_begin(&w);
    pt_jw_keyz(&w, "TableAutoScalingDescription");
    pt_jw_obj_begin(&w);
    pt_jw_keyz(&w, "TableName"); pt_jw_strz(&w, t->name);
    pt_jw_keyz(&w, "TableStatus"); pt_jw_strz(&w, "ACTIVE");
    pt_jw_keyz(&w, "Replicas");
    pt_jw_arr_begin(&w);
    pt_jw_arr_end(&w);
    pt_jw_obj_end(&w);
    pt_jw_obj_end(&w);
    return PT_OK;
}

int pt_op_list_exports(pt_call_t *call, const pt_json_t *req)
{
    static const pt_param_t schema[] = {
        {.name = "TableArn", .type = PT_P_STRING},
        {.name = "MaxResults", .type = PT_P_INTEGER, .flags = PT_P_HAS_MIN | PT_P_HAS_MAX, .min = 1, .max = 25},
        {.name = "NextToken", .type = PT_P_STRING},
        {0},
    };
    if (pt_params_check(&call->arena, req, schema, &call->err)) return PT_ERR;
    return empty_list(call, "ExportSummaries");
}

int pt_op_list_imports(pt_call_t *call, const pt_json_t *req)
{
    static const pt_param_t schema[] = {
        {.name = "TableArn", .type = PT_P_STRING},
        {.name = "PageSize", .type = PT_P_INTEGER, .flags = PT_P_HAS_MIN | PT_P_HAS_MAX, .min = 1, .max = 25},
        {.name = "NextToken", .type = PT_P_STRING},
        {0},
    };
    if (pt_params_check(&call->arena, req, schema, &call->err)) return PT_ERR;
    return empty_list(call, "ImportSummaryList");
}

int pt_op_get_resource_policy(pt_call_t *call, const pt_json_t *req)
{
    static const pt_param_t schema[] = {
        {.name = "ResourceArn", .type = PT_P_STRING, .flags = PT_P_REQUIRED | PT_P_HAS_MINLEN | PT_P_HAS_MAXLEN,
         .min_len = 1, .max_len = 1283},
        {0},
    };
    if (pt_params_check(&call->arena, req, schema, &call->err)) return PT_ERR;
    uint32_t len;
    const char *arn = pt_param_str(req, "ResourceArn", &len);
    /* arn:aws:dynamodb:R:A:table/NAME[/...] must name an existing table */
    const char *tp = len > 4 && !memcmp(arn, "arn:", 4) ? memmem(arn, len, ":table/", 7) : NULL;
    if (!tp) return pt_error_set(&call->err, PT_E_VALIDATION, "Invalid ResourceArn provided as input %.*s", (int)len, arn);
    const char *name = tp + 7;
    const char *end = memchr(name, '/', (size_t)(arn + len - name));
    size_t nlen = (size_t)((end ? end : arn + len) - name);
    pt_table_t *t = pt_catalog_get(call->engine, name, nlen);
    if (!t)
        return pt_error_set(&call->err, PT_E_NOT_FOUND, "Requested resource not found: Table: %.*s not found",
                            (int)nlen, name);
    pt_table_release(t);
    return pt_error_set(&call->err, PT_DDB "PolicyNotFoundException",
                        "Resource-based policy not found for the provided ResourceArn: %.*s", (int)len, arn);
}
