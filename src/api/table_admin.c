/* Stub: UpdateTable, DescribeLimits, DescribeEndpoints not implemented yet (see docs/compatibility.md). */
#include "api/api.h"

int pt_op_update_table(pt_call_t *call, const pt_json_t *req) { return pt_api_not_implemented(call, "UpdateTable"); }

int pt_op_describe_limits(pt_call_t *call, const pt_json_t *req) { return pt_api_not_implemented(call, "DescribeLimits"); }

int pt_op_describe_endpoints(pt_call_t *call, const pt_json_t *req) { return pt_api_not_implemented(call, "DescribeEndpoints"); }
