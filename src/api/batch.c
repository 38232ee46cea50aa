/* Stub: BatchGetItem, BatchWriteItem not implemented yet (see docs/compatibility.md). */
#include "api/api.h"

int pt_op_batch_get_item(pt_call_t *call, const pt_json_t *req) { return pt_api_not_implemented(call, "BatchGetItem"); }

int pt_op_batch_write_item(pt_call_t *call, const pt_json_t *req) { return pt_api_not_implemented(call, "BatchWriteItem"); }
