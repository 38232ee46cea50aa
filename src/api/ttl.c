/* Stub: UpdateTimeToLive, DescribeTimeToLive not implemented yet (see docs/compatibility.md). */
#include "api/api.h"

int pt_op_update_time_to_live(pt_call_t *call, const pt_json_t *req) { return pt_api_not_implemented(call, "UpdateTimeToLive"); }

int pt_op_describe_time_to_live(pt_call_t *call, const pt_json_t *req) { return pt_api_not_implemented(call, "DescribeTimeToLive"); }
