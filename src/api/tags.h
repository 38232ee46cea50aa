/* Tag validation shared by TagResource and CreateTable's Tags (tags.c). */
#ifndef PT_API_TAGS_H
#define PT_API_TAGS_H

#include "engine/engine.h"
#include "util/arena.h"
#include "util/error.h"
#include "util/json.h"

/* Checks a Tags list (JSON array of {Key, Value}) with DynamoDB's rules and
 * messages, in its order: per tag the key (1..128 characters of letters,
 * digits, spaces and + - = . _ : / @), its reserved "aws:" prefix, the
 * value (0..256 such characters); then duplicate keys. On success returns
 * the tags sorted by key, in arena memory. */
int pt_api_tags_parse(pt_arena_t *arena, const pt_json_t *list, pt_tag_t **tags, uint32_t *n, pt_error_t *err);

#endif
