/* Exact decimal numbers with DynamoDB's rules (never doubles).
 *
 * DynamoDB numbers: up to 38 significant digits; magnitude of a non-zero
 * value between 1E-130 and 9.9999999999999999999999999999999999999E+125
 * inclusive; leading and trailing zeros are not significant. Canonical
 * output is the shortest plain decimal form DynamoDB returns: no exponent,
 * no leading zeros, no trailing fractional zeros, "-" only for negatives,
 * zero is "0" (e.g. "01.50" -> "1.5", "1e3" -> "1000", "-0" -> "0",
 * "1E-5" -> "0.00001"). */
#ifndef PT_NUMBER_H
#define PT_NUMBER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/error.h"

#define PT_DEC_MAX_DIGITS 38

/* value = (neg ? -1 : 1) * 0.d1d2...dn * 10^exp, normalised: d1 != 0 and
 * dn != 0 (no leading or trailing zero digits), so every number has exactly
 * one representation; exp is in [-129, 126] for every in-range number.
 * Zero has ndigits == 0, neg == false, exp == 0. */
typedef struct pt_dec {
    bool neg;
    uint8_t ndigits;               /* 0..38 */
    int16_t exp;
    uint8_t digits[PT_DEC_MAX_DIGITS]; /* values 0..9 */
} pt_dec_t;

/* Parses DynamoDB number text: optional sign ('-' or '+'), digits with an
 * optional '.', optional exponent [eE][+-]?digits. Whitespace, empty
 * strings, "NaN"/"Infinity", hex, a lone "." are rejected. On failure
 * returns PT_ERR with a ValidationException whose message matches
 * DynamoDB's (range is checked before precision, as dynalite does):
 *   - unparsable:  "The parameter cannot be converted to a numeric value: <text>"
 *                  (an empty string: the same message without ": <text>")
 *   - >38 digits:  "Attempting to store more than 38 significant digits in a Number"
 *   - too large:   "Number overflow. Attempting to store a number with magnitude larger than supported range"
 *   - too small:   "Number underflow. Attempting to store a number with magnitude smaller than supported range"
 */
int pt_dec_parse(const char *text, size_t len, pt_dec_t *out, pt_error_t *err);

/* Appends the canonical text. */
void pt_dec_format(const pt_dec_t *d, pt_buf_t *out);
/* Canonical text into a caller buffer (at least PT_DEC_MAX_TEXT bytes);
 * returns length. */
#define PT_DEC_MAX_TEXT 200
size_t pt_dec_format_to(const pt_dec_t *d, char *out);

/* <0, 0, >0 numerically. */
int pt_dec_cmp(const pt_dec_t *a, const pt_dec_t *b);
bool pt_dec_is_zero(const pt_dec_t *d);

/* Exact a+b and a-b. A result outside the range fails with the "Number
 * overflow..." / "Number underflow..." ValidationException above; a result
 * that would need more than 38 significant digits (e.g. 1E50 - 1) fails with
 * "Number overflow...", which is what DynamoDB answers for an inexact
 * UpdateExpression arithmetic result (not the 38-digit message).
 * `out` may alias `a` or `b`; on failure *out is left unchanged. */
int pt_dec_add(const pt_dec_t *a, const pt_dec_t *b, pt_dec_t *out, pt_error_t *err);
int pt_dec_sub(const pt_dec_t *a, const pt_dec_t *b, pt_dec_t *out, pt_error_t *err);

/* Order-preserving, self-delimiting binary encoding: memcmp order of the
 * encodings equals numeric order, and no encoding is a prefix of another.
 * Layout (stored on disk, so never change it): a class byte (0x01
 * negative, 0x02 zero, 0x03 positive), then for non-zero numbers one byte
 * exp + 129 and the digits two per byte (see number.c), every byte after the
 * class inverted for negatives. At most 21 bytes (<= PT_DEC_MAX_KEY). */
#define PT_DEC_MAX_KEY 24
size_t pt_dec_key_encode(const pt_dec_t *d, uint8_t *out);
/* Decodes from the start of `in`; returns bytes consumed, or 0 if malformed
 * (truncated, or bytes no encoder writes). Never reads past in[len-1]. */
size_t pt_dec_key_decode(const uint8_t *in, size_t len, pt_dec_t *out);

#endif
