/* Attribute values: DynamoDB's typed values as an arena tree, their
 * conversion from/to the wire JSON with DynamoDB's validation, their size
 * by DynamoDB's rules, and the compact binary item form stored on disk.
 *
 * Invariants of a pt_av_t tree produced by this module:
 *  - N values hold canonical number text (see number.h);
 *  - B and BS members hold decoded raw bytes;
 *  - M members are sorted by name (bytewise), names unique;
 *  - SS/NS/BS members are unique and sorted (bytewise for SS/BS, numeric for NS);
 *  - an item is an M at top level (its attributes). */
#ifndef PT_AV_H
#define PT_AV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/arena.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/json.h"

typedef enum {
    PT_AV_S = 1,
    PT_AV_N,
    PT_AV_B,
    PT_AV_BOOL,
    PT_AV_NULL,
    PT_AV_M,
    PT_AV_L,
    PT_AV_SS,
    PT_AV_NS,
    PT_AV_BS,
} pt_av_type_t;

#define PT_AV_MAX_DEPTH 32          /* DynamoDB: nested attributes up to 32 levels */
#define PT_ITEM_MAX_SIZE (400 * 1024)

typedef struct pt_av pt_av_t;
typedef struct pt_av_member pt_av_member_t;

struct pt_av {
    uint8_t type;                 /* pt_av_type_t */
    bool boolean;                 /* BOOL */
    uint32_t len;                 /* S/N/B: bytes; M/L/sets: count */
    union {
        const char *str;          /* S, N (canonical text), B (raw bytes) */
        pt_av_t *elems;           /* L, SS, NS, BS */
        pt_av_member_t *members;  /* M (and items) */
    } u;
};

struct pt_av_member {
    const char *name;             /* NUL-terminated */
    uint32_t name_len;
    pt_av_t value;
};

/* "S", "N", ... for messages and the wire. */
const char *pt_av_type_name(int type);
/* Parses a wire type descriptor ("S", "NS", ...) of given length; 0 if unknown. */
int pt_av_type_from_name(const char *s, size_t len);

/* Converts a wire AttributeValue ({"S":"x"}, {"M":{...}}, ...) with
 * DynamoDB's validation. On failure: PT_ERR with a ValidationException or
 * SerializationException as DynamoDB answers, e.g.
 *  - not exactly one known type key (unknown keys and JSON nulls are ignored):
 *    "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
 *    "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes"
 *  - "One or more parameter values were invalid: An string set  may not be empty"  (sic, DynamoDB's wording)
 *  - "One or more parameter values were invalid: Input collection [a, a] contains duplicates."
 *  - number errors from number.h; wrong JSON kind ({"S":5}: "NUMBER_VALUE cannot
 *    be converted to String") and invalid base64 -> SerializationException
 *  - nesting beyond PT_AV_MAX_DEPTH: "Nesting Levels have exceeded supported
 *    limits: Attributes in the item have nested levels beyond supported limit"
 *    (single-item operations prefix "1 validation error detected: "; that is
 *    the caller's).
 * Wrong JSON kinds and invalid base64 anywhere in the value are reported
 * (SerializationException) before any ValidationException, as DynamoDB
 * deserializes the whole request before validating it.
 * `depth` is the current nesting level (0 for an attribute value at item
 * level); a value at depth >= PT_AV_MAX_DEPTH is rejected.
 * The result may point into `json`'s strings (S values, M names, N text that
 * was already canonical): `json` must live at least as long as `out`. */
int pt_av_from_json(pt_arena_t *arena, const pt_json_t *json, int depth, pt_av_t *out,
                    pt_error_t *err);

/* Converts a wire item ({"attr": AttributeValue, ...}) into an M value,
 * members sorted (a repeated name: the last one wins, as in DynamoDB's JSON
 * reader). Same validation and lifetime rule as pt_av_from_json. A NULL
 * `json` or JSON null gives an empty item (callers check presence). */
int pt_item_from_json(pt_arena_t *arena, const pt_json_t *json, pt_av_t *out, pt_error_t *err);

/* Writes the wire JSON of a value / of an item (an M written as a plain
 * object of attribute values, without the {"M": } wrapper). */
void pt_av_write_json(pt_jw_t *w, const pt_av_t *v);
void pt_item_write_json(pt_jw_t *w, const pt_av_t *item);

/* DynamoDB's size rules: S and B by byte length; N as
 * ceil(significant digits / 2) + 1 bytes; BOOL and NULL 1 byte; M and L 3 bytes
 * overhead plus 1 byte per element plus their contents and (for M) the
 * names; sets the sum of their members. Item size = sum over attributes of
 * name length + value size. */
size_t pt_av_size(const pt_av_t *v);
size_t pt_item_size(const pt_av_t *item);

/* Top-level attribute lookup in an item (binary search); NULL if absent. */
const pt_av_t *pt_item_get(const pt_av_t *item, const char *name, size_t name_len);

/* Deep equality (sets compare as sets; numbers numerically). */
bool pt_av_equal(const pt_av_t *a, const pt_av_t *b);

/* ---- compact binary item form (what is stored) ----
 * A self-describing, versioned encoding: one leading format byte, then the
 * top-level attributes in name order, each as name + typed value, with
 * varint lengths (format in item_codec.c). `item` must keep the invariants
 * above, as every tree built by this module does. Decoding validates every
 * length, tag, ordering invariant and the nesting limit against the buffer,
 * so a corrupt value yields PT_ERR (InternalServerError "corrupt item"),
 * never a crash. The decoded tree lives in `arena` (it points into a copy of
 * `data`), so `data` may go away once pt_item_decode returns. */
void pt_item_encode(const pt_av_t *item, pt_buf_t *out);
int pt_item_decode(pt_arena_t *arena, const void *data, size_t len, pt_av_t *out,
                   pt_error_t *err);

#endif
