/* UpdateItem: an UpdateExpression (or legacy AttributeUpdates) applied to
 * one item, creating it when missing (upsert), under an optional condition.
 *
 * The request is validated and its expressions parsed on the calling
 * thread; the update itself runs on the writer thread against the stored
 * item through the prepared single-item write of item_ops.h, which
 * TransactWriteItems reuses. The parameter pieces UpdateItem shares with
 * PutItem and DeleteItem (ReturnValues, Expected...) come from item_ops.h. */
#include "api/api.h"
#include "api/item_ops.h"
#include "api/params.h"

static const char *const update_actions[] = {"ADD", "PUT", "DELETE", NULL};

static const pt_param_t update_members[] = {
    {.name = "Action", .type = PT_P_STRING, .enums = update_actions},
    {.name = "Value", .type = PT_P_AV},
    {0},
};
static const pt_param_t update_value = {.name = "member", .type = PT_P_VSTRUCT,
                                        .struct_name = "AttributeValueUpdate", .members = update_members};

/* dynalite's member order (validations/updateItem.js). */
static const pt_param_t update_schema[] = {
    PT_API_RETURN_CONSUMED_PARAM,
    PT_API_TABLE_NAME_PARAM,
    PT_API_RETURN_METRICS_PARAM,
    PT_API_RETURN_VALUES_PARAM,
    {.name = "Key", .type = PT_P_ATTRS, .flags = PT_P_NOT_NULL},
    PT_API_CONDITIONAL_OPERATOR_PARAM,
    PT_API_EXPECTED_PARAM,
    {.name = "AttributeUpdates", .type = PT_P_MAP, .struct_name = "AttributeValueUpdate", .elem = &update_value},
    {.name = "ConditionExpression", .type = PT_P_STRING},
    {.name = "UpdateExpression", .type = PT_P_STRING},
    {.name = "ExpressionAttributeValues", .type = PT_P_ATTRS},
    PT_API_EXPRESSION_NAMES_PARAM,
    PT_API_ON_CHECK_FAILURE_PARAM,
    {0},
};

int pt_op_update_item(pt_call_t *call, const pt_json_t *req)
{
    return pt_api_single_write(call, req, update_schema, PT_ITEM_UPDATE);
}
