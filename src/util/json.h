/* JSON: a strict RFC 8259 parser into an arena-allocated tree, and a
 * streaming writer into a pt_buf_t.
 *
 * Parser invariants: input must be one JSON value with optional surrounding
 * whitespace; strings are validated UTF-8 and unescaped (\uXXXX surrogate
 * pairs combined; a lone surrogate is an error); nesting depth is bounded by
 * PT_JSON_MAX_DEPTH; numbers are kept as their raw text (DynamoDB numbers are
 * strings, and top-level numeric parameters are read with pt_json_int64).
 * Object members keep document order; duplicate keys are kept (lookup
 * returns the last, as Jackson does for DynamoDB). Nothing is ever read
 * outside [text, text+len); text need not be NUL-terminated. */
#ifndef PT_JSON_H
#define PT_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/arena.h"
#include "util/buf.h"

#define PT_JSON_MAX_DEPTH 128

typedef enum {
    PT_JSON_NULL = 0,
    PT_JSON_FALSE,
    PT_JSON_TRUE,
    PT_JSON_NUMBER,
    PT_JSON_STRING,
    PT_JSON_ARRAY,
    PT_JSON_OBJECT,
} pt_json_type_t;

typedef struct pt_json pt_json_t;
typedef struct pt_json_member pt_json_member_t;

struct pt_json {
    pt_json_type_t type;
    uint32_t len;              /* STRING/NUMBER: bytes; ARRAY/OBJECT: count */
    union {
        const char *str;       /* STRING: unescaped UTF-8 (NUL-terminated, may
                                  contain NUL); NUMBER: raw text */
        pt_json_t *elems;      /* ARRAY: len elements */
        pt_json_member_t *members; /* OBJECT: len members */
    } u;
};

struct pt_json_member {
    const char *key;           /* unescaped UTF-8, NUL-terminated */
    uint32_t key_len;
    pt_json_t value;
};

/* Parses `len` bytes. On failure returns PT_ERR and writes a short human
 * description ending in "at byte N" into errbuf (if errbuf is not NULL).
 * The tree (strings, numbers, arrays) lives in `arena`; empty arrays and
 * objects have len 0 and a NULL pointer. Depth: up to PT_JSON_MAX_DEPTH
 * nested arrays/objects are accepted, one more is an error. Numbers are
 * NUL-terminated copies of their text. text may be NULL only with len 0. */
int pt_json_parse(pt_arena_t *arena, const char *text, size_t len, pt_json_t *out,
                  char *errbuf, size_t errlen);

/* Object member lookup (last match wins); NULL if absent or obj is not an
 * object. `key` is NUL-terminated. */
const pt_json_t *pt_json_get(const pt_json_t *obj, const char *key);

/* Reads a NUMBER that is an integer in int64 range (a fraction or exponent
 * that still denotes an integer, like 1.0 or 1e2, is accepted as Jackson
 * does). Returns PT_OK or PT_ERR. */
int pt_json_int64(const pt_json_t *v, int64_t *out);
/* Whether v is the string s (NULL or another type: false). */
bool pt_json_streq(const pt_json_t *v, const char *s);
/* Reads a NUMBER as double (strtod semantics on the raw text). */
int pt_json_double(const pt_json_t *v, double *out);

/* Drops, in place, every byte of s[0..len) that is not part of a
 * well-formed UTF-8 character (a lone continuation byte, a character cut
 * short, an overlong form, a surrogate); returns the new length and
 * NUL-terminates when it shrank. The writer copies bytes >= 0x80 as they
 * are, so text built here from cut-down input (error messages) is passed
 * through this before it is written. */
size_t pt_utf8_repair(char *s, size_t len);

/* ---- writer ----
 * Commas are inserted automatically; the caller only opens/closes and
 * writes keys and values in order. Output is compact (no whitespace). Strings
 * are escaped per RFC 8259 (control chars as \u00XX; '/' not escaped; non-
 * ASCII emitted as raw UTF-8). */
#define PT_JW_MAX_DEPTH 160

typedef struct pt_jw {
    pt_buf_t *buf;
    int depth;
    bool need_comma[PT_JW_MAX_DEPTH];
} pt_jw_t;

void pt_jw_init(pt_jw_t *w, pt_buf_t *buf);
void pt_jw_obj_begin(pt_jw_t *w);
void pt_jw_obj_end(pt_jw_t *w);
void pt_jw_arr_begin(pt_jw_t *w);
void pt_jw_arr_end(pt_jw_t *w);
void pt_jw_key(pt_jw_t *w, const char *key, size_t len);
void pt_jw_keyz(pt_jw_t *w, const char *key); /* NUL-terminated key */
void pt_jw_str(pt_jw_t *w, const char *s, size_t len);
void pt_jw_strz(pt_jw_t *w, const char *s);
void pt_jw_int(pt_jw_t *w, int64_t v);
void pt_jw_double(pt_jw_t *w, double v); /* shortest repr that round-trips; 1.5, 1.764E9 style ok */
void pt_jw_bool(pt_jw_t *w, bool v);
void pt_jw_null(pt_jw_t *w);
/* Base64 (standard alphabet, padded) of raw bytes, as a JSON string. */
void pt_jw_base64(pt_jw_t *w, const void *data, size_t len);
/* Appends already-encoded JSON as one value (commas handled). */
void pt_jw_raw(pt_jw_t *w, const char *json, size_t len);
/* Writes a parsed tree as one value (numbers verbatim, members in order,
 * duplicates kept): parse -> pt_jw_value -> parse yields an equal tree. */
void pt_jw_value(pt_jw_t *w, const pt_json_t *v);

/* Base64 decode, as strict as DynamoDB is for B values: standard alphabet,
 * length a multiple of 4 (missing padding is rejected), '=' only as the last
 * one or two characters, unused bits of the last data character zero (so
 * every input has exactly one encoding; "QQ==" is valid, "QR==" is not). No
 * whitespace. Writes into out (capacity >= len*3/4+3), or only validates
 * when out is NULL. Returns the decoded length or -1 on invalid input. */
long pt_base64_decode(const char *in, size_t len, uint8_t *out);
/* The same, and on failure writes DynamoDB's reason into errbuf (if not
 * NULL), which the protocol layer puts after "'<value>' can not be converted
 * to a Blob: ". The reasons are exactly:
 *   "Base64 encoded length is expected a multiple of 4 bytes but found: N"
 *   "Invalid Base64 character: 'c'"   (first byte outside the alphabet)
 *   "Invalid last non-pad Base64 character dectected"  (sic, DynamoDB's
 *                                      spelling; a '=' before the final
 *                                      padding, or stray bits) */
long pt_base64_decode_err(const char *in, size_t len, uint8_t *out, char *errbuf,
                          size_t errlen);
size_t pt_base64_encoded_len(size_t raw_len);

#endif
