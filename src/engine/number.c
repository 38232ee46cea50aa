/* Exact decimal numbers with DynamoDB's rules: parsing, canonical text,
 * comparison, addition/subtraction and the order-preserving key encoding.
 *
 * Representation (number.h): sign, 1..38 significant digits d1..dn with
 * d1 != 0 and dn != 0, and an exponent so that the value is 0.d1..dn * 10^exp.
 * Zero is ndigits == 0, neg == false, exp == 0. Every pt_dec_t this module
 * produces keeps that invariant and lies in DynamoDB's range, so
 * exp is in [-129, 126] (1E-130 = 0.1E-129, 9.99..9E+125 = 0.99..9E+126).
 * Because the form is unique, equality is memberwise and comparison is a
 * walk over (sign, exp, digits).
 *
 * Where DynamoDB's behaviour is not written down we follow what has been
 * observed against the service:
 *  - accepted syntax is Java BigDecimal's: "+5", ".5", "5.", "1.e3", "0e1000"
 *    are numbers; " 5", "1e", "+e2", "1.2.3", "NaN", "Infinity" are not;
 *  - an empty string gets the message without the ": <text>" suffix;
 *  - range is checked before precision (overflow, underflow, then digits),
 *    the order dynalite's validation uses;
 *  - output is plain decimal, never exponent notation: DynamoDB returns
 *    1E+100 as "1" followed by 100 zeros (boto3 issue #2500) and
 *    "1.00000000000000007629769841092E+50" as
 *    "100000000000000007629769841092000000000000000000000" (boto3 #4636);
 *  - an addition whose exact result needs more than 38 digits (1E50 - 1)
 *    fails with the "Number overflow" message, not the 38-digit one
 *    (observed by ScyllaDB's test_update_expression_plus_imprecise).
 *
 * Exponent arithmetic during parsing is done in int64 with the written
 * exponent saturated, so "1e99999999999999999999" is an overflow and a
 * string of a million zeros is just zero; nothing is allocated.
 *
 * This module does not round: every operation is exact or fails. */
#include "engine/number.h"

#include <assert.h>
#include <string.h>

#define EXP_MIN (-129) /* 1E-130 */
#define EXP_MAX 126    /* 9.99..9E+125 */

#define MSG_NAN "The parameter cannot be converted to a numeric value"
#define MSG_DIGITS "Attempting to store more than 38 significant digits in a Number"
#define MSG_OVERFLOW \
    "Number overflow. Attempting to store a number with magnitude larger than supported range"
#define MSG_UNDERFLOW \
    "Number underflow. Attempting to store a number with magnitude smaller than supported range"

/* Saturation bound for a written exponent: far beyond any exponent that can
 * be brought back into range by a long mantissa, far below int64 overflow. */
#define EXP_SATURATE ((int64_t)1 << 52)

static void set_zero(pt_dec_t *d)
{
    memset(d, 0, sizeof *d);
}

static bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

static int not_a_number(pt_error_t *err, const char *text, size_t len)
{
    if (len == 0) return pt_error_set(err, PT_E_VALIDATION, MSG_NAN);
    /* The message echoes the text; bound it so the printf length is an int
     * (the error record truncates to its buffer anyway). */
    int shown = len > 900 ? 900 : (int)len;
    return pt_error_set(err, PT_E_VALIDATION, MSG_NAN ": %.*s", shown, text);
}

int pt_dec_parse(const char *text, size_t len, pt_dec_t *out, pt_error_t *err)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0;
    bool neg = false;

    set_zero(out);
    if (len > 0 && (s[0] == '+' || s[0] == '-')) {
        neg = s[0] == '-';
        i = 1;
    }

    /* Mantissa: digits with at most one '.'. Digits are indexed 0.. across
     * the dot; only the window starting at the first non-zero digit is kept. */
    int64_t ndigits = 0, int_digits = 0;
    int64_t first_nz = -1, last_nz = -1;
    bool seen_dot = false;
    uint8_t sig[PT_DEC_MAX_DIGITS];
    for (; i < len; i++) {
        unsigned char c = s[i];
        if (is_digit(c)) {
            if (c != '0') {
                if (first_nz < 0) first_nz = ndigits;
                last_nz = ndigits;
            }
            if (first_nz >= 0 && ndigits - first_nz < PT_DEC_MAX_DIGITS)
                sig[ndigits - first_nz] = (uint8_t)(c - '0');
            ndigits++;
            if (!seen_dot) int_digits++;
        } else if (c == '.' && !seen_dot) {
            seen_dot = true;
        } else {
            break;
        }
    }
    if (ndigits == 0) return not_a_number(err, text, len);

    int64_t exp10 = 0;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        bool eneg = false;
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-')) {
            eneg = s[i] == '-';
            i++;
        }
        if (i >= len || !is_digit(s[i])) return not_a_number(err, text, len);
        for (; i < len && is_digit(s[i]); i++) {
            exp10 = exp10 * 10 + (s[i] - '0');
            if (exp10 > EXP_SATURATE) exp10 = EXP_SATURATE;
        }
        if (eneg) exp10 = -exp10;
    }
    if (i != len) return not_a_number(err, text, len);

    if (first_nz < 0) return PT_OK; /* zero, whatever its sign or exponent */

    /* value = 0.D[0]D[1]... * 10^(int_digits + exp10)
     *       = 0.D[first_nz]... * 10^(int_digits - first_nz + exp10) */
    int64_t exp = int_digits - first_nz + exp10;
    int64_t nsig = last_nz - first_nz + 1;
    if (exp > EXP_MAX) return pt_error_set(err, PT_E_VALIDATION, MSG_OVERFLOW);
    if (exp < EXP_MIN) return pt_error_set(err, PT_E_VALIDATION, MSG_UNDERFLOW);
    if (nsig > PT_DEC_MAX_DIGITS) return pt_error_set(err, PT_E_VALIDATION, MSG_DIGITS);

    out->neg = neg;
    out->ndigits = (uint8_t)nsig;
    out->exp = (int16_t)exp;
    memcpy(out->digits, sig, (size_t)nsig);
    return PT_OK;
}

size_t pt_dec_format_to(const pt_dec_t *d, char *out)
{
    char *p = out;
    int n = d->ndigits;
    if (n == 0) {
        *p++ = '0';
        *p = 0;
        return 1;
    }
    if (d->neg) *p++ = '-';
    int exp = d->exp;
    if (exp <= 0) {
        /* 0.000ddd */
        *p++ = '0';
        *p++ = '.';
        for (int i = 0; i < -exp; i++) *p++ = '0';
        for (int i = 0; i < n; i++) *p++ = (char)('0' + d->digits[i]);
    } else if (exp < n) {
        /* ddd.ddd */
        for (int i = 0; i < exp; i++) *p++ = (char)('0' + d->digits[i]);
        *p++ = '.';
        for (int i = exp; i < n; i++) *p++ = (char)('0' + d->digits[i]);
    } else {
        /* ddd000 */
        for (int i = 0; i < n; i++) *p++ = (char)('0' + d->digits[i]);
        for (int i = n; i < exp; i++) *p++ = '0';
    }
    *p = 0;
    assert((size_t)(p - out) < PT_DEC_MAX_TEXT);
    return (size_t)(p - out);
}

void pt_dec_format(const pt_dec_t *d, pt_buf_t *out)
{
    char tmp[PT_DEC_MAX_TEXT];
    size_t n = pt_dec_format_to(d, tmp);
    pt_buf_append(out, tmp, n);
}

bool pt_dec_is_zero(const pt_dec_t *d) { return d->ndigits == 0; }

static int sign_of(const pt_dec_t *d)
{
    if (d->ndigits == 0) return 0;
    return d->neg ? -1 : 1;
}

/* Compares |a| and |b| for normalised, non-zero a and b. */
static int cmp_magnitude(const pt_dec_t *a, const pt_dec_t *b)
{
    if (a->exp != b->exp) return a->exp < b->exp ? -1 : 1;
    int n = a->ndigits < b->ndigits ? a->ndigits : b->ndigits;
    for (int i = 0; i < n; i++)
        if (a->digits[i] != b->digits[i]) return a->digits[i] < b->digits[i] ? -1 : 1;
    /* Equal prefix: no trailing zeros, so the longer one has more value. */
    if (a->ndigits != b->ndigits) return a->ndigits < b->ndigits ? -1 : 1;
    return 0;
}

int pt_dec_cmp(const pt_dec_t *a, const pt_dec_t *b)
{
    int sa = sign_of(a), sb = sign_of(b);
    if (sa != sb) return sa < sb ? -1 : 1;
    if (sa == 0) return 0;
    int m = cmp_magnitude(a, b);
    return sa > 0 ? m : -m;
}

/* ---- addition ----
 * Digits are laid out by decimal position: position p has weight 10^p.
 * Digit i (0-based) of x sits at position x->exp - 1 - i. For in-range
 * operands the lowest position is EXP_MIN - 38 and the highest (the carry
 * out of the top digit) is EXP_MAX, so a fixed array covers every case;
 * no operand can make the work or the memory grow. */
#define POS_LOW (EXP_MIN - PT_DEC_MAX_DIGITS)
#define POS_SPAN (EXP_MAX - POS_LOW + 1)

static bool in_range(const pt_dec_t *d)
{
    if (d->ndigits == 0) return true;
    return d->ndigits <= PT_DEC_MAX_DIGITS && d->exp >= EXP_MIN && d->exp <= EXP_MAX &&
           d->digits[0] != 0;
}

static void place(const pt_dec_t *d, uint8_t *pos)
{
    for (int i = 0; i < d->ndigits; i++) pos[d->exp - 1 - i - POS_LOW] = d->digits[i];
}

static int add_signed(const pt_dec_t *a, const pt_dec_t *b, bool b_neg, pt_dec_t *out,
                      pt_error_t *err)
{
    /* Operands come from pt_dec_parse or this module; anything else is a bug
     * upstream, reported rather than trusted with the array bounds. */
    if (!in_range(a) || !in_range(b)) return pt_error_set(err, PT_E_VALIDATION, MSG_OVERFLOW);

    if (b->ndigits == 0) {
        *out = *a;
        return PT_OK;
    }
    if (a->ndigits == 0) {
        *out = *b;
        out->neg = b_neg;
        return PT_OK;
    }

    uint8_t x[POS_SPAN], y[POS_SPAN];
    int lo_a = a->exp - a->ndigits, lo_b = b->exp - b->ndigits;
    int lo = (lo_a < lo_b ? lo_a : lo_b) - POS_LOW;
    int hi = (a->exp > b->exp ? a->exp : b->exp) - POS_LOW; /* carry slot */
    memset(x + lo, 0, (size_t)(hi - lo + 1));
    memset(y + lo, 0, (size_t)(hi - lo + 1));

    bool neg;
    if (a->neg == b_neg) {
        place(a, x);
        place(b, y);
        neg = a->neg;
        int carry = 0;
        for (int p = lo; p <= hi; p++) {
            int s = x[p] + y[p] + carry;
            carry = s >= 10;
            x[p] = (uint8_t)(carry ? s - 10 : s);
        }
        assert(carry == 0);
    } else {
        /* Subtract the smaller magnitude from the larger; the result takes
         * the sign of the larger. */
        int m = cmp_magnitude(a, b);
        if (m == 0) {
            set_zero(out);
            return PT_OK;
        }
        const pt_dec_t *big = m > 0 ? a : b, *small = m > 0 ? b : a;
        neg = m > 0 ? a->neg : b_neg;
        place(big, x);
        place(small, y);
        int borrow = 0;
        for (int p = lo; p <= hi; p++) {
            int s = x[p] - y[p] - borrow;
            borrow = s < 0;
            x[p] = (uint8_t)(borrow ? s + 10 : s);
        }
        assert(borrow == 0);
    }

    int top = hi, bottom = lo;
    while (top >= lo && x[top] == 0) top--;
    if (top < lo) {
        set_zero(out);
        return PT_OK;
    }
    while (x[bottom] == 0) bottom++;

    int exp = top + POS_LOW + 1;
    int nsig = top - bottom + 1;
    if (exp > EXP_MAX) return pt_error_set(err, PT_E_VALIDATION, MSG_OVERFLOW);
    if (exp < EXP_MIN) return pt_error_set(err, PT_E_VALIDATION, MSG_UNDERFLOW);
    /* DynamoDB reports an inexact result as an overflow (see the top). */
    if (nsig > PT_DEC_MAX_DIGITS) return pt_error_set(err, PT_E_VALIDATION, MSG_OVERFLOW);

    set_zero(out);
    out->neg = neg;
    out->exp = (int16_t)exp;
    out->ndigits = (uint8_t)nsig;
    for (int i = 0; i < nsig; i++) out->digits[i] = x[top - i];
    return PT_OK;
}

int pt_dec_add(const pt_dec_t *a, const pt_dec_t *b, pt_dec_t *out, pt_error_t *err)
{
    return add_signed(a, b, b->neg, out, err);
}

int pt_dec_sub(const pt_dec_t *a, const pt_dec_t *b, pt_dec_t *out, pt_error_t *err)
{
    /* -0 does not exist: negating zero leaves it zero (add_signed only uses
     * b_neg when b is non-zero). */
    return add_signed(a, b, !b->neg, out, err);
}

/* ---- key encoding ----
 *   negative: 0x01, ~(exp + 129), ~digit bytes
 *   zero:     0x02
 *   positive: 0x03,  (exp + 129),  digit bytes
 * exp + 129 is 0..255 for every in-range number: one byte. Digits go two
 * per byte as the pair value v = 10*d1 + d2 (0..99; an odd count is padded
 * with a 0), written as 2*v + 1 when more pairs follow and 2*v for the last
 * pair. Ordering: a larger pair value wins whatever the continuation bit
 * (2v+1 < 2(v+1)); on an equal pair the number that stops there is the
 * smaller magnitude (its remaining digits are zero, the other's are not,
 * as digits never end in 0), and 2v < 2v+1 says so. Negative numbers
 * invert every byte after the class byte, which reverses magnitude order.
 * The last-pair marker makes the encoding self-delimiting: two encodings
 * that agree up to one's final byte agree on that byte being final, so
 * neither is a proper prefix of the other. Size: 2 + 19 = 21 bytes. */
#define KEY_NEG 0x01
#define KEY_ZERO 0x02
#define KEY_POS 0x03

size_t pt_dec_key_encode(const pt_dec_t *d, uint8_t *out)
{
    if (d->ndigits == 0) {
        out[0] = KEY_ZERO;
        return 1;
    }
    assert(in_range(d));
    uint8_t flip = d->neg ? 0xFF : 0x00;
    size_t n = 0;
    out[n++] = d->neg ? KEY_NEG : KEY_POS;
    out[n++] = (uint8_t)((d->exp - EXP_MIN) ^ flip);
    int nd = d->ndigits;
    for (int i = 0; i < nd; i += 2) {
        int v = d->digits[i] * 10 + (i + 1 < nd ? d->digits[i + 1] : 0);
        int more = i + 2 < nd;
        out[n++] = (uint8_t)((2 * v + more) ^ flip);
    }
    assert(n <= PT_DEC_MAX_KEY);
    return n;
}

size_t pt_dec_key_decode(const uint8_t *in, size_t len, pt_dec_t *out)
{
    set_zero(out);
    if (len < 1) return 0;
    if (in[0] == KEY_ZERO) return 1;
    if (in[0] != KEY_NEG && in[0] != KEY_POS) return 0;
    if (len < 3) return 0;
    uint8_t flip = in[0] == KEY_NEG ? 0xFF : 0x00;
    pt_dec_t d;
    set_zero(&d);
    d.neg = in[0] == KEY_NEG;
    d.exp = (int16_t)((in[1] ^ flip) + EXP_MIN);
    size_t n = 2;
    int nd = 0;
    for (;;) {
        if (n >= len || nd >= PT_DEC_MAX_DIGITS) return 0;
        int b = in[n++] ^ flip;
        if (b >= 200) return 0;
        int v = b >> 1;
        d.digits[nd++] = (uint8_t)(v / 10);
        d.digits[nd++] = (uint8_t)(v % 10);
        if (!(b & 1)) break;
    }
    /* Canonical form only: a leading zero or a zero pair at the end means
     * bytes no encoder wrote. */
    if (d.digits[0] == 0) return 0;
    if (d.digits[nd - 1] == 0) nd--;
    if (d.digits[nd - 1] == 0) return 0;
    d.ndigits = (uint8_t)nd;
    *out = d;
    return n;
}
