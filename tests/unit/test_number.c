/* Unit tests for engine/number.c: DynamoDB number parsing and its exact
 * error messages, canonical text, comparison, exact addition and the
 * order-preserving key encoding (checked against an independent
 * fixed-point oracle on a few hundred thousand random pairs). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/number.h"

#define MSG_NAN "The parameter cannot be converted to a numeric value"
#define MSG_DIGITS "Attempting to store more than 38 significant digits in a Number"
#define MSG_OVERFLOW \
    "Number overflow. Attempting to store a number with magnitude larger than supported range"
#define MSG_UNDERFLOW \
    "Number underflow. Attempting to store a number with magnitude smaller than supported range"

#define MAX_38 "9.9999999999999999999999999999999999999E+125"
#define MIN_38 "-9.9999999999999999999999999999999999999E+125"

/* ---- helpers ---- */

static pt_dec_t parse_ok(const char *text)
{
    pt_dec_t d;
    pt_error_t err;
    pt_error_clear(&err);
    int rc = pt_dec_parse(text, strlen(text), &d, &err);
    if (rc != PT_OK) fail_msg("parse of \"%s\" failed: %s", text, err.message);
    return d;
}

static void assert_canonical(const char *text, const char *want)
{
    pt_dec_t d = parse_ok(text);
    char out[PT_DEC_MAX_TEXT];
    size_t n = pt_dec_format_to(&d, out);
    if (strcmp(out, want) != 0) fail_msg("\"%s\" -> \"%s\", want \"%s\"", text, out, want);
    assert_int_equal(n, strlen(want));
}

static void assert_parse_error(const char *text, size_t len, const char *message)
{
    pt_dec_t d;
    pt_error_t err;
    pt_error_clear(&err);
    int rc = pt_dec_parse(text, len, &d, &err);
    if (rc != PT_ERR) fail_msg("parse of \"%.*s\" should fail with: %s", (int)len, text, message);
    assert_string_equal(err.type, PT_E_VALIDATION);
    assert_int_equal(err.status, 400);
    assert_string_equal(err.message, message);
}

static void assert_rejected_as_nan(const char *text)
{
    char want[1200];
    snprintf(want, sizeof want, MSG_NAN ": %s", text);
    assert_parse_error(text, strlen(text), want);
}

static void format(const pt_dec_t *d, char *out) { pt_dec_format_to(d, out); }

typedef int (*arith_fn)(const pt_dec_t *, const pt_dec_t *, pt_dec_t *, pt_error_t *);

static void assert_arith(arith_fn fn, const char *a, const char *b, const char *want)
{
    pt_dec_t x = parse_ok(a), y = parse_ok(b), r;
    pt_error_t err;
    pt_error_clear(&err);
    if (fn(&x, &y, &r, &err) != PT_OK) fail_msg("%s op %s failed: %s", a, b, err.message);
    char out[PT_DEC_MAX_TEXT];
    format(&r, out);
    if (strcmp(out, want) != 0) fail_msg("%s op %s = %s, want %s", a, b, out, want);
}

static void assert_arith_error(arith_fn fn, const char *a, const char *b, const char *message)
{
    pt_dec_t x = parse_ok(a), y = parse_ok(b), r = parse_ok("42");
    pt_error_t err;
    pt_error_clear(&err);
    if (fn(&x, &y, &r, &err) != PT_ERR) fail_msg("%s op %s should fail", a, b);
    assert_string_equal(err.type, PT_E_VALIDATION);
    assert_string_equal(err.message, message);
    /* the output is untouched on failure */
    char out[PT_DEC_MAX_TEXT];
    format(&r, out);
    assert_string_equal(out, "42");
}

static size_t key_of(const char *text, uint8_t *key) { pt_dec_t d = parse_ok(text); return pt_dec_key_encode(&d, key); }

static int sign(int x) { return (x > 0) - (x < 0); }

/* head + `zeros` zeros + tail, in one of a few rotating static buffers. */
static const char *spell(const char *head, int zeros, const char *tail)
{
    static char bufs[4][PT_DEC_MAX_TEXT];
    static int next;
    char *b = bufs[next++ % 4];
    size_t h = strlen(head);
    memcpy(b, head, h);
    memset(b + h, '0', (size_t)zeros);
    strcpy(b + h + (size_t)zeros, tail);
    return b;
}

static int key_cmp(const uint8_t *a, size_t na, const uint8_t *b, size_t nb)
{
    size_t n = na < nb ? na : nb;
    int c = memcmp(a, b, n);
    if (c) return sign(c);
    return (na > nb) - (na < nb);
}

/* ---- parsing ---- */

static void test_parse_produces_canonical_text(void **state)
{
    static const char *cases[][2] = {
        {"0", "0"},
        {"-0", "0"},
        {"+0", "0"},
        {"+0.0", "0"},
        {"0.000", "0"},
        {"0e1000", "0"},
        {"-0e-1000", "0"},
        {"01.50", "1.5"},
        {"1e3", "1000"},
        {"1E3", "1000"},
        {"1e+3", "1000"},
        {"+5", "5"},
        {"+1.5", "1.5"},
        {"+1e2", "100"},
        {"+.5", "0.5"},
        {".123", "0.123"},
        {"5.", "5"},
        {"1.e3", "1000"},
        {"0001.23", "1.23"},
        {"00042", "42"},
        {"-7.1234", "-7.1234"},
        {"-17e5", "-1700000"},
        {"-17.4E37", "-174000000000000000000000000000000000000"},
        {"1E-5", "0.00001"},
        {"0.0001e-3", "0.0000001"},
        {"123.456e-2", "1.23456"},
        {"123.456e2", "12345.6"},
        {"123.456e3", "123456"},
        {"-0.000120e2", "-0.012"},
        {"1.00000000000000007629769841092E+50",
         "100000000000000007629769841092000000000000000000000"},
        {"-3.1415926535897932384626433832795028841",
         "-3.1415926535897932384626433832795028841"},
        {"31415926535897932384626433832795028841e30",
         "31415926535897932384626433832795028841000000000000000000000000000000"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_canonical(cases[i][0], cases[i][1]);
    /* DynamoDB answers 1E+100 as a 1 and 100 zeros (boto3 issue #2500) */
    assert_canonical("1e100", spell("1", 100, ""));
    assert_canonical("-1E-100", spell("-0.", 99, "1"));
}

static void test_parse_fills_normalised_struct(void **state)
{
    pt_dec_t d = parse_ok("-0012.3400");
    assert_true(d.neg);
    assert_int_equal(d.ndigits, 4);
    assert_int_equal(d.exp, 2); /* 0.1234e2 */
    assert_int_equal(d.digits[0], 1);
    assert_int_equal(d.digits[3], 4);

    d = parse_ok("-0");
    assert_false(d.neg);
    assert_int_equal(d.ndigits, 0);
    assert_int_equal(d.exp, 0);
    assert_true(pt_dec_is_zero(&d));

    d = parse_ok("1e-130");
    assert_int_equal(d.exp, -129);
    d = parse_ok(MAX_38);
    assert_int_equal(d.exp, 126);
    assert_int_equal(d.ndigits, 38);
    assert_false(pt_dec_is_zero(&d));
}

static void test_parse_rejects_unparsable_text_with_dynamodb_message(void **state)
{
    static const char *bad[] = {
        "+",    "-",   ".",        "+.",        "-.e1",   "e5",      "E5",   "1e",
        "1e+",  "1E-", "+e2",      "1+2",       "+1+2",   "1.2.3",   "++5",  "--5",
        "+-5",  " 5",  "5 ",       " ",         "\t1",    "1\n",     "NaN",  "-NaN",
        "nan",  "Infinity", "-Infinity", "inf", "0x10",   "1_000",   "1,5",  "dog",
        "-dog", "1e5.5", "1e5e5",  "1..2",      "..1",    "1.2e",    "1ee5", "e",
        "1d",   "1f",  "1e 5",     "١",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) assert_rejected_as_nan(bad[i]);
}

static void test_parse_empty_string_message_has_no_suffix(void **state)
{
    assert_parse_error("", 0, MSG_NAN);
}

static void test_parse_respects_length_not_nul(void **state)
{
    /* The length bounds the text: "12" of "123", and an embedded NUL is an
     * invalid character, not an end. */
    pt_dec_t d;
    pt_error_t err;
    assert_int_equal(pt_dec_parse("123", 2, &d, &err), PT_OK);
    char out[PT_DEC_MAX_TEXT];
    format(&d, out);
    assert_string_equal(out, "12");
    assert_int_equal(pt_dec_parse("1\0" "2", 3, &d, &err), PT_ERR);
    assert_string_equal(err.message, MSG_NAN ": 1");
}

static void test_parse_accepts_exactly_38_significant_digits(void **state)
{
    assert_canonical("12345678901234567890123456789012345678",
                     "12345678901234567890123456789012345678");
    assert_canonical("-1.2345678901234567890123456789012345678",
                     "-1.2345678901234567890123456789012345678");
    /* zeros around the digits are not significant */
    assert_canonical("000012345678901234567890123456789012345678000000.000000",
                     "12345678901234567890123456789012345678000000");
    assert_canonical("0.000000000000000000000000000000000000001", "0.000000000000000000000000000000000000001");
    assert_canonical("100000000000000000000000000000000000000000", "100000000000000000000000000000000000000000");
    /* interior zeros are */
    assert_canonical("10000000000000000000000000000000000001", "10000000000000000000000000000000000001");
}

static void test_parse_rejects_39_significant_digits(void **state)
{
    const char *bad[] = {
        "123456789012345678901234567890123456789",
        "-1.23456789012345678901234567890123456789",
        "100000000000000000000000000000000000001",
        "3.14159265358979323846264338327950288419",
        "314159265358979323846.264338327950288419",
        "314159265358979323846264338327950288419e30",
        "0.0001000000000000000000000000000000000000010",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_parse_error(bad[i], strlen(bad[i]), MSG_DIGITS);
}

static void test_parse_magnitude_limits(void **state)
{
    assert_canonical("1e-130", spell("0.", 129, "1"));
    assert_canonical("-1E-130", spell("-0.", 129, "1"));
    assert_canonical("0.1e-129", spell("0.", 129, "1"));
    assert_canonical("1e125", spell("1", 125, ""));
    pt_dec_t max = parse_ok(MAX_38);
    char out[PT_DEC_MAX_TEXT];
    size_t n = pt_dec_format_to(&max, out);
    assert_int_equal(n, 126);
    assert_memory_equal(out, "99999999999999999999999999999999999999000", 41);

    const char *over[] = {"1e126", "-1e126", "1E+126", "11e125", "10e125", "0.1e127",
                          "99999999999999999999999999999999999999E89", "1e99999999999999999999999"};
    for (size_t i = 0; i < sizeof over / sizeof over[0]; i++)
        assert_parse_error(over[i], strlen(over[i]), MSG_OVERFLOW);

    const char *under[] = {"1e-131", "-1e-131", "0.9e-130", "0.01e-129", "9e-131",
                           "1e-99999999999999999999999"};
    for (size_t i = 0; i < sizeof under / sizeof under[0]; i++)
        assert_parse_error(under[i], strlen(under[i]), MSG_UNDERFLOW);
}

static void test_parse_checks_range_before_precision(void **state)
{
    /* 39 digits and out of range: the range message wins (dynalite's order). */
    assert_parse_error("123456789012345678901234567890123456789e200",
                       strlen("123456789012345678901234567890123456789e200"), MSG_OVERFLOW);
    assert_parse_error("123456789012345678901234567890123456789e-200",
                       strlen("123456789012345678901234567890123456789e-200"), MSG_UNDERFLOW);
}

static void test_parse_handles_very_long_inputs(void **state)
{
    size_t n = 100000;
    char *s = malloc(n + 64);
    assert_non_null(s);

    /* 100k zeros, a 1, then zeros: one significant digit. */
    memset(s, '0', n);
    s[n / 2] = '1';
    pt_dec_t d;
    pt_error_t err;
    assert_int_equal(pt_dec_parse(s, n, &d, &err), PT_ERR);
    assert_string_equal(err.message, MSG_OVERFLOW); /* 1e49999 */

    /* the same, scaled back into range by the exponent */
    int k = snprintf(s + n, 64, "e-%zu", n / 2 - 1);
    assert_int_equal(pt_dec_parse(s, n + (size_t)k, &d, &err), PT_OK);
    char out[PT_DEC_MAX_TEXT];
    format(&d, out);
    assert_string_equal(out, "1");

    /* 0.000...0001 with 100k zeros: underflow, not a wrapped exponent */
    s[0] = '0';
    s[1] = '.';
    memset(s + 2, '0', n);
    s[n + 2] = '1';
    assert_int_equal(pt_dec_parse(s, n + 3, &d, &err), PT_ERR);
    assert_string_equal(err.message, MSG_UNDERFLOW);
    k = snprintf(s + n + 3, 64, "e%zu", n);
    assert_int_equal(pt_dec_parse(s, n + 3 + (size_t)k, &d, &err), PT_OK);
    format(&d, out);
    assert_string_equal(out, "0.1");

    /* all zeros is zero */
    memset(s, '0', n);
    assert_int_equal(pt_dec_parse(s, n, &d, &err), PT_OK);
    assert_true(pt_dec_is_zero(&d));

    /* long garbage: the echoed text is truncated, not overflowed */
    memset(s, 'x', n);
    assert_int_equal(pt_dec_parse(s, n, &d, &err), PT_ERR);
    assert_memory_equal(err.message, MSG_NAN ": xxx", strlen(MSG_NAN ": xxx"));
    free(s);
}

/* ---- formatting ---- */

static void test_format_appends_to_buffer(void **state)
{
    pt_buf_t b = PT_BUF_INIT;
    pt_buf_puts(&b, "[");
    pt_dec_t d = parse_ok("-12.5e-3");
    pt_dec_format(&d, &b);
    pt_buf_puts(&b, "]");
    assert_int_equal(b.len, strlen("[-0.0125]"));
    assert_memory_equal(b.data, "[-0.0125]", b.len);
    pt_buf_free(&b);
}

static void test_format_longest_text_fits(void **state)
{
    /* -0.<129 zeros><38 digits> is the longest canonical text: 170 chars */
    pt_dec_t d = parse_ok("-1.2345678901234567890123456789012345678e-130");
    char out[PT_DEC_MAX_TEXT];
    size_t n = pt_dec_format_to(&d, out);
    assert_int_equal(n, 170);
    assert_int_equal(strlen(out), 170);
    pt_dec_t back = parse_ok(out);
    assert_int_equal(pt_dec_cmp(&d, &back), 0);
}

/* ---- comparison ---- */

static void test_cmp_orders_numerically(void **state)
{
    static const char *ascending[] = {
        MIN_38, "-1e125", "-100", "-99.99", "-10", "-9.5", "-9", "-1.0000001", "-1",
        "-0.99999", "-0.1", "-0.01", "-1e-130", "0", "1e-130", "1.1e-130", "0.001",
        "0.00100000000000000000000000000000000001", "0.0011", "0.1", "0.12", "0.123",
        "0.2", "1", "1.5", "9", "10", "10.0001", "11", "1e20", "1.0000000000000000000000000000000000001e20",
        "1e125", MAX_38,
    };
    size_t n = sizeof ascending / sizeof ascending[0];
    for (size_t i = 0; i < n; i++) {
        pt_dec_t a = parse_ok(ascending[i]);
        for (size_t j = 0; j < n; j++) {
            pt_dec_t b = parse_ok(ascending[j]);
            int want = (i > j) - (i < j);
            if (sign(pt_dec_cmp(&a, &b)) != want)
                fail_msg("cmp(%s, %s) != %d", ascending[i], ascending[j], want);
        }
    }
}

static void test_cmp_equal_values_in_different_spellings(void **state)
{
    pt_dec_t a = parse_ok("1.50"), b = parse_ok("15e-1"), c = parse_ok("0.00015e4");
    assert_int_equal(pt_dec_cmp(&a, &b), 0);
    assert_int_equal(pt_dec_cmp(&b, &c), 0);
    pt_dec_t z1 = parse_ok("-0"), z2 = parse_ok("0e77");
    assert_int_equal(pt_dec_cmp(&z1, &z2), 0);
}

/* ---- arithmetic ---- */

static void test_add_sub_are_exact(void **state)
{
    assert_arith(pt_dec_add, "1", "10000000000000000000000", "10000000000000000000001");
    assert_arith(pt_dec_sub, "10000000000000000000000", "1", "9999999999999999999999");
    assert_arith(pt_dec_add, "0.1", "0.2", "0.3");
    assert_arith(pt_dec_sub, "0.3", "0.1", "0.2");
    assert_arith(pt_dec_add, "-5", "5", "0");
    assert_arith(pt_dec_sub, "5", "5", "0");
    assert_arith(pt_dec_sub, "0", "0", "0");
    assert_arith(pt_dec_sub, "0", "7.5", "-7.5");
    assert_arith(pt_dec_add, "0", "-7.5", "-7.5");
    assert_arith(pt_dec_sub, "-7.5", "0", "-7.5");
    assert_arith(pt_dec_add, "-1", "-2", "-3");
    assert_arith(pt_dec_sub, "1", "3", "-2");
    assert_arith(pt_dec_sub, "-1", "-3", "2");
    assert_arith(pt_dec_add, "99999999999999999999999999999999999999", "1",
                 "100000000000000000000000000000000000000");
    assert_arith(pt_dec_add, "1e125", "1e125", spell("2", 125, ""));
    assert_arith(pt_dec_add, "1e-130", "1e-130", spell("0.", 129, "2"));
    assert_arith(pt_dec_sub, "1.0000000000000000000000000000000000001", "1", "0.0000000000000000000000000000000000001");
    assert_arith(pt_dec_add, "0.99999999999999999999999999999999999999", "0.00000000000000000000000000000000000001", "1");
    assert_arith(pt_dec_sub, "1e20", "1e-17", "99999999999999999999.99999999999999999");
    assert_arith(pt_dec_sub, MAX_38, MAX_38, "0");
    assert_arith(pt_dec_sub, "1.5e-129", "1e-129", spell("0.", 129, "5"));
}

static void test_add_sub_allow_output_aliasing_an_input(void **state)
{
    pt_dec_t a = parse_ok("2.5"), b = parse_ok("0.75");
    pt_error_t err;
    assert_int_equal(pt_dec_add(&a, &b, &a, &err), PT_OK);
    assert_int_equal(pt_dec_sub(&a, &b, &b, &err), PT_OK);
    char out[PT_DEC_MAX_TEXT];
    format(&a, out);
    assert_string_equal(out, "3.25");
    format(&b, out);
    assert_string_equal(out, "2.5");
}

static void test_add_sub_overflow_fails_like_dynamodb(void **state)
{
    assert_arith_error(pt_dec_add, "9e125", "9e125", MSG_OVERFLOW);
    assert_arith_error(pt_dec_sub, "9e125", "-9e125", MSG_OVERFLOW);
    assert_arith_error(pt_dec_sub, "-9e125", "9e125", MSG_OVERFLOW);
    assert_arith_error(pt_dec_add, MAX_38, "1e125", MSG_OVERFLOW);
    assert_arith_error(pt_dec_add, MAX_38, "1e88", MSG_OVERFLOW);
    /* Inexact: DynamoDB answers the overflow message, not the 38-digit one. */
    assert_arith_error(pt_dec_sub, "1e50", "1", MSG_OVERFLOW);
    assert_arith_error(pt_dec_add, "1e50", "1", MSG_OVERFLOW);
    assert_arith_error(pt_dec_add, "12345678901234567890123456789012345678", "0.1", MSG_OVERFLOW);
    assert_arith_error(pt_dec_add, "1e125", "1e-130", MSG_OVERFLOW);
    /* A difference smaller than 1E-130 underflows. */
    assert_arith_error(pt_dec_sub, "1.0000000000000000000000000000000000001e-120", "1e-120",
                       MSG_UNDERFLOW);
}

static void test_add_sub_at_the_limits_succeed(void **state)
{
    /* 38 digits exactly */
    assert_arith(pt_dec_add, "12345678901234567890123456789012345670", "8",
                 "12345678901234567890123456789012345678");
    /* just inside the range */
    const char *max_text = spell("99999999999999999999999999999999999999", 88, "");
    assert_arith(pt_dec_sub, MAX_38, "-0", max_text);
    assert_arith(pt_dec_add, "9.9999999999999999999999999999999999998E+125",
                 "0.0000000000000000000000000000000000001E+125", max_text);
    assert_arith(pt_dec_sub, "-9.9999999999999999999999999999999999998E+125",
                 "0.0000000000000000000000000000000000001E+125", spell("-", 0, max_text));
}

/* ---- key encoding: fixed cases ---- */

static void test_key_encoding_layout_is_pinned(void **state)
{
    /* The layout is stored on disk; these bytes must never change. */
    uint8_t k[PT_DEC_MAX_KEY];
    assert_int_equal(key_of("0", k), 1);
    assert_int_equal(k[0], 0x02);

    assert_int_equal(key_of("1", k), 3);
    assert_int_equal(k[0], 0x03);
    assert_int_equal(k[1], 130); /* exp 1 + 129 */
    assert_int_equal(k[2], 20);  /* pair 10, last */

    assert_int_equal(key_of("-1", k), 3);
    assert_int_equal(k[0], 0x01);
    assert_int_equal(k[1], 255 - 130);
    assert_int_equal(k[2], 255 - 20);

    assert_int_equal(key_of("123.45", k), 5);
    static const uint8_t want[] = {0x03, 132, 2 * 12 + 1, 2 * 34 + 1, 2 * 50};
    assert_memory_equal(k, want, sizeof want);

    assert_int_equal(key_of("1e-130", k), 3);
    assert_int_equal(k[1], 0);
    assert_int_equal(key_of(MAX_38, k), 21);
    assert_int_equal(k[1], 255);
    assert_true(21 <= PT_DEC_MAX_KEY);
}

static void test_key_decode_rejects_malformed_bytes(void **state)
{
    pt_dec_t d;
    static const struct {
        uint8_t bytes[24];
        size_t len;
    } bad[] = {
        {{0}, 0},                           /* empty */
        {{0x00}, 1},                        /* unknown class */
        {{0x04, 130, 20}, 3},               /* unknown class */
        {{0x03}, 1},                        /* truncated */
        {{0x03, 130}, 2},                   /* no digits */
        {{0x03, 130, 21}, 3},               /* continuation, then nothing */
        {{0x03, 130, 200}, 3},              /* pair value 100 */
        {{0x03, 130, 255}, 3},              /* pair value 127 */
        {{0x03, 130, 2 * 5}, 3},            /* leading zero digit: 05 */
        {{0x03, 130, 2 * 12 + 1, 0}, 4},    /* trailing zero pair */
        {{0x01, 125, 255 - 20 - 1}, 3},     /* negative continuation, truncated */
        {{0x01, 125, 255 - 2 * 5}, 3},      /* negative with leading zero */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        /* exact-size heap copy: ASan catches any read past the end */
        uint8_t *p = malloc(bad[i].len ? bad[i].len : 1);
        memcpy(p, bad[i].bytes, bad[i].len);
        if (pt_dec_key_decode(p, bad[i].len, &d) != 0) fail_msg("case %zu decoded", i);
        free(p);
    }
    /* 19 digit bytes (38 digits) is the maximum; a 20th is malformed */
    uint8_t many[22] = {0x03, 130};
    for (int i = 2; i < 21; i++) many[i] = 2 * 11 + 1;
    many[20] = 2 * 11;
    assert_int_equal(pt_dec_key_decode(many, 21, &d), 21);
    assert_int_equal(d.ndigits, 38);
    many[20] = 2 * 11 + 1;
    many[21] = 2 * 11;
    assert_int_equal(pt_dec_key_decode(many, 22, &d), 0);
}

static void test_key_decode_stops_at_its_own_end(void **state)
{
    uint8_t buf[64];
    size_t n = key_of("-42.125", buf);
    memcpy(buf + n, "\x03\x99trailing", 10);
    pt_dec_t d;
    assert_int_equal(pt_dec_key_decode(buf, n + 10, &d), n);
    char out[PT_DEC_MAX_TEXT];
    format(&d, out);
    assert_string_equal(out, "-42.125");
    assert_int_equal(pt_dec_key_decode(buf, n - 1, &d), 0);
}

/* ---- randomized: key order == numeric order, round trips ---- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
    /* xorshift64*: fixed seed, reproducible */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1DULL;
}

static int rnd_int(int lo, int hi) { return lo + (int)(rnd() % (uint64_t)(hi - lo + 1)); }

/* A random number in raw form (the oracle's view): sign, digits without
 * leading/trailing zeros, and exp, value = 0.digits * 10^exp. */
typedef struct {
    int neg;
    int n; /* 0 = zero */
    int exp;
    uint8_t d[PT_DEC_MAX_DIGITS];
} raw_t;

static void raw_fix(raw_t *r)
{
    /* strip trailing zeros; a leading zero shifts the exponent */
    while (r->n > 0 && r->d[r->n - 1] == 0) r->n--;
    while (r->n > 0 && r->d[0] == 0) {
        memmove(r->d, r->d + 1, (size_t)--r->n);
        r->exp--;
    }
    if (r->n == 0) {
        r->neg = 0;
        r->exp = 0;
        return;
    }
    if (r->exp < -129) r->exp = -129;
    if (r->exp > 126) r->exp = 126;
}

static int rnd_exp(void)
{
    switch (rnd_int(0, 4)) {
    case 0: return rnd_int(-129, -120);  /* tiny */
    case 1: return rnd_int(117, 126);    /* huge */
    case 2: return rnd_int(-3, 3);
    default: return rnd_int(-129, 126);
    }
}

static void raw_random(raw_t *r)
{
    memset(r, 0, sizeof *r);
    if (rnd_int(0, 19) == 0) return; /* zero */
    r->neg = rnd_int(0, 1);
    r->n = rnd_int(0, 2) ? rnd_int(1, 38) : rnd_int(1, 4);
    /* small digit alphabets make shared prefixes and 9/0 carries common */
    int alphabet = rnd_int(0, 2);
    for (int i = 0; i < r->n; i++)
        r->d[i] = (uint8_t)(alphabet == 0 ? rnd_int(0, 9) : alphabet == 1 ? 9 * rnd_int(0, 1) : rnd_int(0, 1));
    r->d[0] = (uint8_t)rnd_int(1, 9);
    r->exp = rnd_exp();
    raw_fix(r);
}

/* A number close to `a`: same prefix, then a change. */
static void raw_near(const raw_t *a, raw_t *b)
{
    *b = *a;
    if (a->n == 0) {
        raw_random(b);
        return;
    }
    switch (rnd_int(0, 5)) {
    case 0: /* truncate */
        b->n = rnd_int(1, a->n);
        break;
    case 1: /* extend */
        while (b->n < PT_DEC_MAX_DIGITS && rnd_int(0, 3)) b->d[b->n++] = (uint8_t)rnd_int(0, 9);
        break;
    case 2: { /* change one late digit */
        int i = rnd_int(a->n / 2, a->n - 1);
        b->d[i] = (uint8_t)rnd_int(i == 0 ? 1 : 0, 9);
        break;
    }
    case 3: /* shift exponent */
        b->exp += rnd_int(-1, 1);
        break;
    case 4: /* flip sign */
        b->neg = !b->neg;
        break;
    default: /* identical */
        break;
    }
    raw_fix(b);
}

static void raw_text(const raw_t *r, char *out)
{
    /* a non-canonical spelling to exercise the parser too */
    if (r->n == 0) {
        strcpy(out, rnd_int(0, 1) ? "-0.000" : "0e5");
        return;
    }
    char *p = out;
    if (r->neg) *p++ = '-';
    else if (rnd_int(0, 3) == 0) *p++ = '+';
    int lead = rnd_int(0, 2);
    for (int i = 0; i < lead; i++) *p++ = '0';
    *p++ = '.';
    for (int i = 0; i < r->n; i++) *p++ = (char)('0' + r->d[i]);
    int trail = rnd_int(0, 2);
    for (int i = 0; i < trail; i++) *p++ = '0';
    sprintf(p, "e%d", r->exp);
}

/* Independent order: lay both out on a fixed-point grid and compare. */
static int raw_cmp(const raw_t *a, const raw_t *b)
{
    enum { LOW = -170, SPAN = 300 };
    uint8_t ga[SPAN] = {0}, gb[SPAN] = {0};
    for (int i = 0; i < a->n; i++) ga[a->exp - 1 - i - LOW] = a->d[i];
    for (int i = 0; i < b->n; i++) gb[b->exp - 1 - i - LOW] = b->d[i];
    int sa = a->n ? (a->neg ? -1 : 1) : 0, sb = b->n ? (b->neg ? -1 : 1) : 0;
    if (sa != sb) return sa < sb ? -1 : 1;
    for (int p = SPAN - 1; p >= 0; p--)
        if (ga[p] != gb[p]) return (ga[p] < gb[p] ? -1 : 1) * sa;
    return 0;
}

static void test_random_key_order_matches_numeric_order(void **state)
{
    rng_state = 0x9E3779B97F4A7C15ULL;
    char ta[256], tb[256];
    uint8_t ka[PT_DEC_MAX_KEY + 8], kb[PT_DEC_MAX_KEY + 8];
    for (int iter = 0; iter < 300000; iter++) {
        raw_t ra, rb;
        raw_random(&ra);
        if (rnd_int(0, 1)) raw_near(&ra, &rb);
        else raw_random(&rb);
        raw_text(&ra, ta);
        raw_text(&rb, tb);
        pt_dec_t a = parse_ok(ta), b = parse_ok(tb);

        int want = raw_cmp(&ra, &rb);
        if (sign(pt_dec_cmp(&a, &b)) != want) fail_msg("cmp(%s, %s) != %d", ta, tb, want);

        size_t na = pt_dec_key_encode(&a, ka), nb = pt_dec_key_encode(&b, kb);
        assert_true(na <= PT_DEC_MAX_KEY && nb <= PT_DEC_MAX_KEY);
        if (key_cmp(ka, na, kb, nb) != want) fail_msg("key order of %s vs %s != %d", ta, tb, want);
        /* self-delimiting: distinct values never have one key a prefix of the other */
        if (want != 0) {
            size_t m = na < nb ? na : nb;
            if (memcmp(ka, kb, m) == 0) fail_msg("key of %s and %s share a prefix", ta, tb);
        } else {
            assert_int_equal(na, nb);
        }

        /* round trips: key and text */
        pt_dec_t back;
        assert_int_equal(pt_dec_key_decode(ka, na, &back), na);
        assert_int_equal(pt_dec_cmp(&back, &a), 0);
        assert_memory_equal(&back, &a, sizeof a);
        char canon[PT_DEC_MAX_TEXT];
        format(&a, canon);
        pt_dec_t again = parse_ok(canon);
        assert_memory_equal(&again, &a, sizeof a);
    }
}

static void test_random_add_sub_are_consistent(void **state)
{
    /* Algebraic checks on random operands (exactness against Python's
     * decimal module was verified separately when this was written). */
    rng_state = 12345;
    char ta[256], tb[256];
    int ok_count = 0;
    for (int iter = 0; iter < 100000; iter++) {
        raw_t ra, rb;
        raw_random(&ra);
        if (rnd_int(0, 1)) raw_near(&ra, &rb);
        else raw_random(&rb);
        raw_text(&ra, ta);
        raw_text(&rb, tb);
        pt_dec_t a = parse_ok(ta), b = parse_ok(tb), s1, s2, d1, d2, back;
        pt_error_t err;
        int rs1 = pt_dec_add(&a, &b, &s1, &err);
        int rs2 = pt_dec_add(&b, &a, &s2, &err);
        assert_int_equal(rs1, rs2);
        int rd1 = pt_dec_sub(&a, &b, &d1, &err);
        int rd2 = pt_dec_sub(&b, &a, &d2, &err);
        assert_int_equal(rd1, rd2);
        if (rs1 == PT_OK) {
            assert_memory_equal(&s1, &s2, sizeof s1);
            /* a + b compared with a has the sign of b */
            assert_int_equal(sign(pt_dec_cmp(&s1, &a)), sign(pt_dec_cmp(&b, &(pt_dec_t){0})));
            /* (a + b) - b == a whenever it is representable (it is: a is) */
            assert_int_equal(pt_dec_sub(&s1, &b, &back, &err), PT_OK);
            assert_memory_equal(&back, &a, sizeof a);
            ok_count++;
        }
        if (rd1 == PT_OK) {
            /* a - b == -(b - a), never "-0" */
            pt_dec_t neg = d2;
            if (neg.ndigits) neg.neg = !neg.neg;
            assert_memory_equal(&d1, &neg, sizeof neg);
            assert_int_equal(sign(pt_dec_cmp(&a, &b)), sign(pt_dec_cmp(&d1, &(pt_dec_t){0})));
        }
    }
    assert_true(ok_count > 10000); /* the generator does reach exact cases */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_produces_canonical_text),
        cmocka_unit_test(test_parse_fills_normalised_struct),
        cmocka_unit_test(test_parse_rejects_unparsable_text_with_dynamodb_message),
        cmocka_unit_test(test_parse_empty_string_message_has_no_suffix),
        cmocka_unit_test(test_parse_respects_length_not_nul),
        cmocka_unit_test(test_parse_accepts_exactly_38_significant_digits),
        cmocka_unit_test(test_parse_rejects_39_significant_digits),
        cmocka_unit_test(test_parse_magnitude_limits),
        cmocka_unit_test(test_parse_checks_range_before_precision),
        cmocka_unit_test(test_parse_handles_very_long_inputs),
        cmocka_unit_test(test_format_appends_to_buffer),
        cmocka_unit_test(test_format_longest_text_fits),
        cmocka_unit_test(test_cmp_orders_numerically),
        cmocka_unit_test(test_cmp_equal_values_in_different_spellings),
        cmocka_unit_test(test_add_sub_are_exact),
        cmocka_unit_test(test_add_sub_allow_output_aliasing_an_input),
        cmocka_unit_test(test_add_sub_overflow_fails_like_dynamodb),
        cmocka_unit_test(test_add_sub_at_the_limits_succeed),
        cmocka_unit_test(test_key_encoding_layout_is_pinned),
        cmocka_unit_test(test_key_decode_rejects_malformed_bytes),
        cmocka_unit_test(test_key_decode_stops_at_its_own_end),
        cmocka_unit_test(test_random_key_order_matches_numeric_order),
        cmocka_unit_test(test_random_add_sub_are_consistent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
