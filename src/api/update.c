/* UpdateItem: an UpdateExpression (or legacy AttributeUpdates) applied to
 * one item, creating it when missing (upsert), under an optional condition.
 *
 * The request is validated and its expressions parsed on the calling
 * thread; the update itself runs on the writer thread against the stored
 * item through the prepared single-item write of item_ops.h, which
 * TransactWriteItems reuses. */
#include "api/api.h"
#include "api/item_ops.h"
#include "api/params.h"

static const char *const return_consumed[] = {"INDEXES", "TOTAL", "NONE", NULL};
static const char *const return_values[] = {"ALL_NEW", "UPDATED_OLD", "ALL_OLD", "NONE", "UPDATED_NEW", NULL};
static const char *const return_metrics[] = {"SIZE", "NONE", NULL};
static const char *const cond_ops[] = {"AND", "OR", NULL};
static const char *const comparison_ops[] = {"IN", "NULL", "BETWEEN", "LT", "NOT_CONTAINS", "EQ", "GT",
                                             "NOT_NULL", "NE", "LE", "BEGINS_WITH", "GE", "CONTAINS", NULL};
static const char *const update_actions[] = {"ADD", "PUT", "DELETE", NULL};
static const char *const on_check_failure[] = {"ALL_OLD", "NONE", NULL};

static const pt_param_t av_param = {.name = "member", .type = PT_P_AV};
static const pt_param_t string_param = {.name = "member", .type = PT_P_STRING};
static const pt_param_t expected_members[] = {
    {.name = "AttributeValueList", .type = PT_P_LIST, .elem = &av_param},
    {.name = "ComparisonOperator", .type = PT_P_STRING, .enums = comparison_ops},
    {.name = "Exists", .type = PT_P_BOOL},
    {.name = "Value", .type = PT_P_AV},
    {0},
};
static const pt_param_t expected_value = {.name = "member", .type = PT_P_VSTRUCT,
                                          .struct_name = "ExpectedAttributeValue", .members = expected_members};
static const pt_param_t update_members[] = {
    {.name = "Action", .type = PT_P_STRING, .enums = update_actions},
    {.name = "Value", .type = PT_P_AV},
    {0},
};
static const pt_param_t update_value = {.name = "member", .type = PT_P_VSTRUCT,
                                        .struct_name = "AttributeValueUpdate", .members = update_members};

/* dynalite's member order (validations/updateItem.js). */
static const pt_param_t update_schema[] = {
    {.name = "ReturnConsumedCapacity", .type = PT_P_STRING, .enums = return_consumed},
    {.name = "TableName", .type = PT_P_STRING,
     .flags = PT_P_NOT_NULL | PT_P_NAME_REGEX | PT_P_HAS_MINLEN | PT_P_HAS_MAXLEN, .min_len = 3, .max_len = 255},
    {.name = "ReturnItemCollectionMetrics", .type = PT_P_STRING, .enums = return_metrics},
    {.name = "ReturnValues", .type = PT_P_STRING, .enums = return_values},
    {.name = "Key", .type = PT_P_ATTRS, .flags = PT_P_NOT_NULL},
    {.name = "ConditionalOperator", .type = PT_P_STRING, .enums = cond_ops},
    {.name = "Expected", .type = PT_P_MAP, .struct_name = "ExpectedAttributeValue", .elem = &expected_value},
    {.name = "AttributeUpdates", .type = PT_P_MAP, .struct_name = "AttributeValueUpdate", .elem = &update_value},
    {.name = "ConditionExpression", .type = PT_P_STRING},
    {.name = "UpdateExpression", .type = PT_P_STRING},
    {.name = "ExpressionAttributeValues", .type = PT_P_ATTRS},
    {.name = "ExpressionAttributeNames", .type = PT_P_MAP, .struct_name = "java.lang.String", .elem = &string_param},
    {.name = "ReturnValuesOnConditionCheckFailure", .type = PT_P_STRING, .enums = on_check_failure},
    {0},
};

int pt_op_update_item(pt_call_t *call, const pt_json_t *req)
{
    return pt_api_single_write(call, req, update_schema, PT_ITEM_UPDATE);
}
