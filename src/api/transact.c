/* Stub: TransactGetItems, TransactWriteItems not implemented yet (see docs/compatibility.md). */
#include "api/api.h"

int pt_op_transact_get_items(pt_call_t *call, const pt_json_t *req) { return pt_api_not_implemented(call, "TransactGetItems"); }

int pt_op_transact_write_items(pt_call_t *call, const pt_json_t *req) { return pt_api_not_implemented(call, "TransactWriteItems"); }
