/* Declarative request-parameter checking, reproducing DynamoDB's (Coral's)
 * two phases exactly:
 *
 *  1. Type check (SerializationException): each known member whose JSON
 *     kind cannot convert to the declared type fails with Coral's message,
 *     e.g. "NUMBER_VALUE cannot be converted to String" or "Start of
 *     structure or map found where not expected". Unknown members and JSON
 *     nulls are ignored, as DynamoDB does.
 *  2. Constraints (ValidationException): required members first ("The
 *     parameter 'X' is required but was not present in the request"), then
 *     every constraint in declaration order, collecting at most 10 messages
 *     "Value 'v' at 'path' failed to satisfy constraint: Member must ..."
 *     reported as "N validation error(s) detected: m1; m2".
 *
 * Operation-specific ("custom") rules run after both phases, in the
 * operation's own code. Attribute values (AttrStruct) are not checked here:
 * av.c converts and validates them. */
#ifndef PT_API_PARAMS_H
#define PT_API_PARAMS_H

#include <stdbool.h>
#include <stdint.h>

#include "util/arena.h"
#include "util/error.h"
#include "util/json.h"

typedef enum {
    PT_P_STRING = 1,
    PT_P_BOOL,
    PT_P_INTEGER,     /* Java Integer */
    PT_P_LONG,        /* Java Long */
    PT_P_LIST,        /* element schema in `elem` */
    PT_P_MAP,         /* Map<String, elem>; `struct_name` is the value class */
    PT_P_VSTRUCT,     /* ValueStruct<struct_name>: members in `members` */
    PT_P_FSTRUCT,     /* FieldStruct<struct_name> */
    PT_P_ATTRS,       /* Map<AttributeValue>: checked by av.c, only kind here */
    PT_P_AV,          /* one AttributeValue: checked by av.c */
} pt_param_type_t;

enum {
    PT_P_REQUIRED = 1 << 0,   /* "The parameter 'X' is required but was not present" */
    PT_P_NOT_NULL = 1 << 1,   /* "Member must not be null" */
    PT_P_TABLE_NAME = 1 << 2, /* 3..255 check before others (DynamoDB's wording) */
    PT_P_NAME_REGEX = 1 << 3, /* [a-zA-Z0-9_.-]+ */
    PT_P_HAS_MIN = 1 << 4,
    PT_P_HAS_MAX = 1 << 5,
    PT_P_HAS_MINLEN = 1 << 6,
    PT_P_HAS_MAXLEN = 1 << 7,
};

typedef struct pt_param pt_param_t;
struct pt_param {
    const char *name;             /* wire member name; NULL ends a member list */
    pt_param_type_t type;
    unsigned flags;
    int64_t min, max;             /* value bounds */
    int64_t min_len, max_len;     /* string/list/map length bounds */
    const char *const *enums;     /* NULL-terminated allowed values */
    const char *struct_name;      /* Java class for struct/map messages */
    const pt_param_t *members;    /* VSTRUCT/FSTRUCT: member list */
    const pt_param_t *elem;       /* LIST/MAP: element schema */
};

/* Checks `req` (a JSON object: the request body) against `schema` (a member
 * list ending with name == NULL). Returns PT_OK or PT_ERR with err set. */
int pt_params_check(pt_arena_t *arena, const pt_json_t *req, const pt_param_t *schema,
                    pt_error_t *err);

/* Coral's constraint messages, for operations whose rules the declarative
 * schema cannot express (map key/value constraints in the batch
 * operations): collect up to 10 violations, then report them as
 * "N validation error(s) detected: ...". A value's rendering is cut at 300
 * characters so the path and constraint, which clients match on, always fit
 * in the message. */
#define PT_MAX_VIOLATIONS 10
typedef struct pt_violations {
    pt_arena_t *arena;
    const char *msgs[PT_MAX_VIOLATIONS];
    int n;
} pt_violations_t;

/* Adds "Value '<v>' at '<path>' failed to satisfy constraint: <constraint>"
 * (v NULL renders as null). */
void pt_violation_add(pt_violations_t *vs, const pt_json_t *v, const char *path, const char *constraint);
/* PT_OK if none were collected, else PT_ERR with the ValidationException. */
int pt_violations_report(const pt_violations_t *vs, pt_error_t *err);
/* Java String.length() of UTF-8 text (UTF-16 code units), as Coral measures. */
int64_t pt_java_length(const char *s, uint32_t len);
/* Table and index names: [a-zA-Z0-9_.-]+ */
bool pt_name_chars_ok(const char *s, uint32_t len);

/* Accessors that assume pt_params_check passed (absent/null -> default). */
const char *pt_param_str(const pt_json_t *req, const char *name, uint32_t *len);
bool pt_param_bool(const pt_json_t *req, const char *name, bool dflt);
int64_t pt_param_int(const pt_json_t *req, const char *name, int64_t dflt);
/* Coral's Boolean conversion also accepts strings ("true", "yes", "1"...). */
bool pt_json_truthy(const pt_json_t *v);
/* A member that is present and not JSON null. */
const pt_json_t *pt_param(const pt_json_t *req, const char *name);

#endif
