/* Stub: TagResource, UntagResource, ListTagsOfResource not implemented yet (see docs/compatibility.md). */
#include "api/api.h"

int pt_op_tag_resource(pt_call_t *call, const pt_json_t *req) { return pt_api_not_implemented(call, "TagResource"); }

int pt_op_untag_resource(pt_call_t *call, const pt_json_t *req) { return pt_api_not_implemented(call, "UntagResource"); }

int pt_op_list_tags_of_resource(pt_call_t *call, const pt_json_t *req) { return pt_api_not_implemented(call, "ListTagsOfResource"); }
