/* Secondary index definitions on the wire: DynamoDB's checks of
 * LocalSecondaryIndexes / GlobalSecondaryIndexes (CreateTable) and of a
 * GlobalSecondaryIndexUpdates Create (UpdateTable), and their conversion
 * into engine index objects (engine/engine.h pt_index_t). */
#ifndef PT_API_INDEX_DEFS_H
#define PT_API_INDEX_DEFS_H

#include <stdbool.h>

#include "api/api.h"

/* CreateTable's index rules, in DynamoDB's order (dynalite
 * validations/createTable.js): LSIs (empty list, table without a sort key,
 * undefined key attributes, key schema shape, leading hash key, projection,
 * duplicate names, more than 5), then GSIs (the same plus throughput by
 * billing mode, more than 20). `table_hash` is the table's partition key
 * name (a JSON string); `ppr` whether the table is PAY_PER_REQUEST. */
int pt_api_check_indexes(pt_call_t *call, const pt_json_t *defs, const pt_json_t *table_hash, bool table_has_range,
                         const pt_json_t *lsi, const pt_json_t *gsi, bool ppr);
/* "Some AttributeDefinitions are not used": every definition must be a key
 * attribute of the table or of an index. */
int pt_api_check_defs_used(pt_call_t *call, const pt_json_t *defs, const pt_json_t *keys, const pt_json_t *lsi,
                           const pt_json_t *gsi);
/* A new index object (malloc'd; id 0, not backfilling) from one checked
 * index definition; key types from `defs` (AttributeDefinitions JSON) or,
 * for names not there, from the table's definitions `t` (may be NULL). */
pt_index_t *pt_api_index_new(const pt_json_t *def, const pt_json_t *defs, const pt_table_t *t, bool global);

#endif
