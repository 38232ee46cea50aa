/* Stub: Query, Scan not implemented yet (see docs/compatibility.md). */
#include "api/api.h"

int pt_op_query(pt_call_t *call, const pt_json_t *req) { return pt_api_not_implemented(call, "Query"); }

int pt_op_scan(pt_call_t *call, const pt_json_t *req) { return pt_api_not_implemented(call, "Scan"); }
