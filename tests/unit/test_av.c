/* Attribute values: wire JSON conversion with DynamoDB's validation, item
 * size, lookup/equality, and the binary item codec (round trips and
 * rejection of corrupt buffers). Expected messages are DynamoDB's, as
 * recorded by dynalite against the real service. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/av.h"
#include "util/json.h"

#define VALIDATION "com.amazonaws.dynamodb.v20120810#ValidationException"
#define SERIALIZATION "com.amazon.coral.service#SerializationException"
#define INTERNAL "com.amazonaws.dynamodb.v20120810#InternalServerError"
#define INVALID "One or more parameter values were invalid: "

typedef struct {
    pt_arena_t arena;
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = malloc(sizeof *f);
    pt_arena_init(&f->arena);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    pt_arena_destroy(&f->arena);
    free(f);
    return 0;
}

static pt_json_t *parse_json(pt_arena_t *a, const char *text)
{
    pt_json_t *j = pt_arena_alloc(a, sizeof *j);
    char eb[256];
    int rc = pt_json_parse(a, text, strlen(text), j, eb, sizeof eb);
    if (rc) fail_msg("test JSON does not parse: %s: %s", eb, text);
    return j;
}

/* Converts an item; returns PT_OK / PT_ERR. */
static int item_from(pt_arena_t *a, const char *text, pt_av_t *out, pt_error_t *err)
{
    pt_error_clear(err);
    return pt_item_from_json(a, parse_json(a, text), out, err);
}

static int av_from(pt_arena_t *a, const char *text, pt_av_t *out, pt_error_t *err)
{
    pt_error_clear(err);
    return pt_av_from_json(a, parse_json(a, text), 0, out, err);
}

static char *item_json(const pt_av_t *item)
{
    pt_buf_t b = PT_BUF_INIT;
    pt_jw_t w;
    pt_jw_init(&w, &b);
    pt_item_write_json(&w, item);
    pt_buf_putc(&b, 0);
    return b.data;
}

static char *av_json(const pt_av_t *v)
{
    pt_buf_t b = PT_BUF_INIT;
    pt_jw_t w;
    pt_jw_init(&w, &b);
    pt_av_write_json(&w, v);
    pt_buf_putc(&b, 0);
    return b.data;
}

/* Asserts that converting the item fails with exactly this type/message. */
static void expect_item_error(pt_arena_t *a, const char *text, const char *type, const char *msg)
{
    pt_av_t v;
    pt_error_t err;
    if (item_from(a, text, &v, &err) != PT_ERR) fail_msg("accepted: %s", text);
    if (strcmp(err.type, type) || strcmp(err.message, msg))
        fail_msg("for %s\n  got      %s: %s\n  expected %s: %s", text, err.type, err.message, type,
                 msg);
}

static void expect_av_error(pt_arena_t *a, const char *text, const char *type, const char *msg)
{
    pt_av_t v;
    pt_error_t err;
    if (av_from(a, text, &v, &err) != PT_ERR) fail_msg("accepted: %s", text);
    if (strcmp(err.type, type) || strcmp(err.message, msg))
        fail_msg("for %s\n  got      %s: %s\n  expected %s: %s", text, err.type, err.message, type,
                 msg);
}

/* JSON -> item -> JSON must give `expected`; item -> binary -> item must
 * give an equal item and the same JSON. */
static void expect_round_trip(pt_arena_t *a, const char *in, const char *expected)
{
    pt_av_t item;
    pt_error_t err;
    if (item_from(a, in, &item, &err)) fail_msg("rejected %s: %s", in, err.message);
    char *out = item_json(&item);
    assert_string_equal(out, expected);

    pt_buf_t bin = PT_BUF_INIT;
    pt_item_encode(&item, &bin);
    pt_av_t back;
    assert_int_equal(pt_item_decode(a, bin.data, bin.len, &back, &err), PT_OK);
    assert_true(pt_av_equal(&item, &back));
    char *out2 = item_json(&back);
    assert_string_equal(out2, expected);
    free(out);
    free(out2);
    pt_buf_free(&bin);
}

/* ---------------- round trips ---------------- */

static void test_every_type_round_trips_json_binary_json(void **state)
{
    pt_arena_t *a = &((fixture_t *)*state)->arena;
    expect_round_trip(a, "{\"s\":{\"S\":\"hello\"}}", "{\"s\":{\"S\":\"hello\"}}");
    expect_round_trip(a, "{\"e\":{\"S\":\"\"}}", "{\"e\":{\"S\":\"\"}}");
    expect_round_trip(a, "{\"n\":{\"N\":\"42\"}}", "{\"n\":{\"N\":\"42\"}}");
    expect_round_trip(a, "{\"b\":{\"B\":\"AAEC/w==\"}}", "{\"b\":{\"B\":\"AAEC/w==\"}}");
    expect_round_trip(a, "{\"b\":{\"B\":\"\"}}", "{\"b\":{\"B\":\"\"}}");
    expect_round_trip(a, "{\"t\":{\"BOOL\":true},\"f\":{\"BOOL\":false}}",
                      "{\"f\":{\"BOOL\":false},\"t\":{\"BOOL\":true}}");
    expect_round_trip(a, "{\"z\":{\"NULL\":true}}", "{\"z\":{\"NULL\":true}}");
    expect_round_trip(a, "{\"m\":{\"M\":{\"y\":{\"N\":\"1\"},\"x\":{\"S\":\"a\"}}}}",
                      "{\"m\":{\"M\":{\"x\":{\"S\":\"a\"},\"y\":{\"N\":\"1\"}}}}");
    expect_round_trip(a, "{\"m\":{\"M\":{}}}", "{\"m\":{\"M\":{}}}");
    expect_round_trip(a, "{\"l\":{\"L\":[{\"S\":\"b\"},{\"N\":\"2\"},{\"L\":[]},{\"NULL\":true}]}}",
                      "{\"l\":{\"L\":[{\"S\":\"b\"},{\"N\":\"2\"},{\"L\":[]},{\"NULL\":true}]}}");
    expect_round_trip(a, "{\"ss\":{\"SS\":[\"b\",\"a\",\"\",\"c\"]}}",
                      "{\"ss\":{\"SS\":[\"\",\"a\",\"b\",\"c\"]}}");
    expect_round_trip(a, "{\"ns\":{\"NS\":[\"10\",\"-1\",\"2.5\",\"0\"]}}",
                      "{\"ns\":{\"NS\":[\"-1\",\"0\",\"2.5\",\"10\"]}}");
    expect_round_trip(a, "{\"bs\":{\"BS\":[\"Yg==\",\"YQ==\",\"\"]}}",
                      "{\"bs\":{\"BS\":[\"\",\"YQ==\",\"Yg==\"]}}");
    expect_round_trip(a, "{}", "{}");
}

static void test_item_members_come_out_sorted_bytewise(void **state)
{
    pt_arena_t *a = &((fixture_t *)*state)->arena;
    expect_round_trip(a, "{\"b\":{\"S\":\"1\"},\"B\":{\"S\":\"2\"},\"a\":{\"S\":\"3\"},\"\\u00e9\":{\"S\":\"4\"}}",
                      "{\"B\":{\"S\":\"2\"},\"a\":{\"S\":\"3\"},\"b\":{\"S\":\"1\"},\"\xc3\xa9\":{\"S\":\"4\"}}");
}

static void test_numbers_become_canonical_text(void **state)
{
    pt_arena_t *a = &((fixture_t *)*state)->arena;
    expect_round_trip(a, "{\"a\":{\"N\":\"01.50\"},\"b\":{\"N\":\"1e3\"},\"c\":{\"N\":\"-0\"},\"d\":{\"N\":\"1E-5\"},\"e\":{\"N\":\"+7\"}}",
                      "{\"a\":{\"N\":\"1.5\"},\"b\":{\"N\":\"1000\"},\"c\":{\"N\":\"0\"},\"d\":{\"N\":\"0.00001\"},\"e\":{\"N\":\"7\"}}");
}

static void test_nested_documents_round_trip(void **state)
{
    pt_arena_t *a = &((fixture_t *)*state)->arena;
    const char *in =
        "{\"doc\":{\"M\":{\"list\":{\"L\":[{\"M\":{\"k\":{\"SS\":[\"z\",\"y\"]}}},{\"BS\":[\"AQ==\"]},"
        "{\"NS\":[\"3\",\"1\"]},{\"BOOL\":false}]},\"deep\":{\"M\":{\"x\":{\"M\":{\"y\":{\"N\":\"-12.5\"}}}}}}}}";
    const char *out =
        "{\"doc\":{\"M\":{\"deep\":{\"M\":{\"x\":{\"M\":{\"y\":{\"N\":\"-12.5\"}}}}},\"list\":{\"L\":[{\"M\":"
        "{\"k\":{\"SS\":[\"y\",\"z\"]}}},{\"BS\":[\"AQ==\"]},{\"NS\":[\"1\",\"3\"]},{\"BOOL\":false}]}}}}";
    expect_round_trip(a, in, out);
}

static void test_strings_with_nul_and_unicode_round_trip(void **state)
{
    pt_arena_t *a = &((fixture_t *)*state)->arena;
    expect_round_trip(a, "{\"a\\u0000b\":{\"S\":\"x\\u0000y\\u263a\"}}",
                      "{\"a\\u0000b\":{\"S\":\"x\\u0000y\xe2\x98\xba\"}}");
}

static void test_duplicate_json_members_last_one_wins(void **state)
{
    pt_arena_t *a = &((fixture_t *)*state)->arena;
    /* Jackson keeps the last value for a repeated name, both for item
     * attributes and for the type member of an AttributeValue. */
    expect_round_trip(a, "{\"a\":{\"S\":\"1\"},\"a\":{\"N\":\"2\"}}", "{\"a\":{\"N\":\"2\"}}");
    expect_round_trip(a, "{\"a\":{\"S\":\"1\",\"S\":\"2\"}}", "{\"a\":{\"S\":\"2\"}}");
    /* The overwritten value is never validated. */
    expect_round_trip(a, "{\"a\":{\"NS\":[]},\"a\":{\"S\":\"ok\"}}", "{\"a\":{\"S\":\"ok\"}}");
}

static void test_unknown_and_null_type_members_are_ignored(void **state)
{
    pt_arena_t *a = &((fixture_t *)*state)->arena;
    expect_round_trip(a, "{\"a\":{\"S\":\"x\",\"N\":null,\"foo\":1}}", "{\"a\":{\"S\":\"x\"}}");
}

static void test_bool_and_null_accept_jackson_boolean_strings(void **state)
{
    pt_arena_t *a = &((fixture_t *)*state)->arena;
    expect_round_trip(a, "{\"a\":{\"BOOL\":\"TRUE\"},\"b\":{\"BOOL\":\"no\"},\"c\":{\"NULL\":\"1\"}}",
                      "{\"a\":{\"BOOL\":true},\"b\":{\"BOOL\":false},\"c\":{\"NULL\":true}}");
}

static void test_av_write_json_wraps_type(void **state)
{
    pt_arena_t *a = &((fixture_t *)*state)->arena;
    pt_av_t v;
    pt_error_t err;
    assert_int_equal(av_from(a, "{\"M\":{\"b\":{\"B\":\"AQID\"}}}", &v, &err), PT_OK);
    char *s = av_json(&v);
    assert_string_equal(s, "{\"M\":{\"b\":{\"B\":\"AQID\"}}}");
    free(s);
    assert_int_equal(v.type, PT_AV_M);
    assert_int_equal(v.u.members[0].value.len, 3);
    assert_memory_equal(v.u.members[0].value.u.str, "\x01\x02\x03", 3);
}

/* ---------------- validation errors ---------------- */

static void test_empty_attribute_value_is_rejected(void **state)
{
    pt_arena_t *a = &((fixture_t *)*state)->arena;
    const char *msg = "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes";
    expect_item_error(a, "{\"a\":{}}", VALIDATION, msg);
    expect_item_error(a, "{\"a\":{\"a\":\"\"}}", VALIDATION, msg);
    expect_item_error(a, "{\"a\":{\"S\":null}}", VALIDATION, msg);
    expect_item_error(a, "{\"a\":{\"M\":{\"a\":{}}}}", VALIDATION, msg);
    expect_item_error(a, "{\"a\":{\"L\":[{}]}}", VALIDATION, msg);
    expect_item_error(a, "{\"a\":{\"L\":[{\"a\":{}}]}}", VALIDATION, msg);
    expect_item_error(a, "{\"a\":null}", VALIDATION, msg);
}

static void test_more_than_one_datatype_is_rejected(void **state)
{
    pt_arena_t *a = &((fixture_t *)*state)->arena;
    expect_item_error(a, "{\"a\":{\"S\":\"a\",\"N\":\"1\"}}", VALIDATION,
                      "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes");
    expect_item_error(a, "{\"a\":{\"M\":{\"x\":{\"BOOL\":true,\"NULL\":true}}}}", VALIDATION,
                      "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes");
}

static void test_value_errors_are_reported_before_multiple_types(void **state)
{
    pt_arena_t *a = &((fixture_t *)*state)->arena;
    expect_item_error(a, "{\"a\":{\"S\":\"\",\"N\":\"\"}}", VALIDATION,
                      "The parameter cannot be converted to a numeric value");
    expect_item_error(a, "{\"a\":{\"S\":\"a\",\"N\":\"b\"}}", VALIDATION,
                      "The parameter cannot be converted to a numeric value: b");
    expect_item_error(a, "{\"a\":{\"S\":\"a\",\"SS\":[]}}", VALIDATION,
                      INVALID "An string set  may not be empty");
}

static void test_null_false_is_rejected(void **state)
{
    pt_arena_t *a = &((fixture_t *)*state)->arena;
    expect_item_error(a, "{\"a\":{\"NULL\":false}}", VALIDATION,
                      INVALID "Null attribute value types must have the value of true");
    expect_item_error(a, "{\"a\":{\"NULL\":\"no\"}}", VALIDATION,
                      INVALID "Null attribute value types must have the value of true");
}

static void test_empty_sets_are_rejected(void **state)
{
    pt_arena_t *a = &((fixture_t *)*state)->arena;
    expect_item_error(a, "{\"a\":{\"SS\":[]}}", VALIDATION, INVALID "An string set  may not be empty");
    expect_item_error(a, "{\"a\":{\"NS\":[]}}", VALIDATION, INVALID "An number set  may not be empty");
    expect_item_error(a, "{\"a\":{\"BS\":[]}}", VALIDATION, INVALID "Binary sets should not be empty");
    expect_item_error(a, "{\"a\":{\"L\":[{\"NS\":[]}]}}", VALIDATION, INVALID "An number set  may not be empty");
}

static void test_duplicates_in_sets_are_rejected(void **state)
{
    pt_arena_t *a = &((fixture_t *)*state)->arena;
    expect_item_error(a, "{\"a\":{\"SS\":[\"a\",\"a\"]}}", VALIDATION,
                      INVALID "Input collection [a, a] contains duplicates.");
    expect_item_error(a, "{\"a\":{\"SS\":[\"b\",\"a\",\"b\"]}}", VALIDATION,
                      INVALID "Input collection [b, a, b] contains duplicates.");
    expect_item_error(a, "{\"a\":{\"BS\":[\"Yg==\",\"Yg==\"]}}", VALIDATION,
                      INVALID "Input collection [Yg==, Yg==]of type BS contains duplicates.");
    expect_item_error(a, "{\"a\":{\"NS\":[\"1\",\"1\"]}}", VALIDATION, "Input collection contains duplicates");
    /* numerically equal, textually different */
    expect_item_error(a, "{\"a\":{\"NS\":[\"1\",\"2\",\"1.0\"]}}", VALIDATION,
                      "Input collection contains duplicates");
    expect_item_error(a, "{\"a\":{\"NS\":[\"100\",\"1e2\"]}}", VALIDATION,
                      "Input collection contains duplicates");
}

/* The collection is quoted up to a bound: a cut through a multi-byte
 * character must not leave invalid UTF-8 in the message (it is written
 * into a JSON response as it is). */
static void test_duplicates_message_is_valid_utf8_when_cut(void **state)
{
    pt_arena_t *a = &((fixture_t *)*state)->arena;
    char text[4096];
    size_t o = (size_t)snprintf(text, sizeof text, "{\"a\":{\"SS\":[\"");
    for (int i = 0; i < 300; i++) o += (size_t)snprintf(text + o, sizeof text - o, "\xe5\x95\x98");   /* U+5558 */
    snprintf(text + o, sizeof text - o, "\",\"x\",\"x\"]}}");
    pt_av_t v;
    pt_error_t err;
    if (item_from(a, text, &v, &err) != PT_ERR) fail_msg("accepted a set with duplicates");
    assert_non_null(strstr(err.message, "contains duplicates."));
    size_t len = strlen(err.message);
    char copy[sizeof err.message];
    memcpy(copy, err.message, len + 1);
    assert_int_equal(pt_utf8_repair(copy, len), len);   /* nothing to repair */
}

static void test_invalid_numbers_are_rejected(void **state)
{
    pt_arena_t *a = &((fixture_t *)*state)->arena;
    expect_item_error(a, "{\"a\":{\"N\":\"\"}}", VALIDATION, "The parameter cannot be converted to a numeric value");
    expect_item_error(a, "{\"a\":{\"N\":\"b\"}}", VALIDATION, "The parameter cannot be converted to a numeric value: b");
    expect_item_error(a, "{\"a\":{\"NS\":[\"1\",\"\"]}}", VALIDATION, "The parameter cannot be converted to a numeric value");
    expect_item_error(a, "{\"a\":{\"NS\":[\"1\",\"b\"]}}", VALIDATION, "The parameter cannot be converted to a numeric value: b");
    /* number errors come before duplicate detection */
    expect_item_error(a, "{\"a\":{\"NS\":[\"1\",\"1\",\"x\"]}}", VALIDATION,
                      "The parameter cannot be converted to a numeric value: x");
    expect_item_error(a, "{\"a\":{\"N\":\"1e126\"}}", VALIDATION,
                      "Number overflow. Attempting to store a number with magnitude larger than supported range");
    expect_item_error(a, "{\"a\":{\"N\":\"1e-131\"}}", VALIDATION,
                      "Number underflow. Attempting to store a number with magnitude smaller than supported range");
    expect_item_error(a, "{\"a\":{\"N\":\"123456789012345678901234567890123456789\"}}", VALIDATION,
                      "Attempting to store more than 38 significant digits in a Number");
}

static void test_wrong_json_kinds_are_serialization_errors(void **state)
{
    pt_arena_t *a = &((fixture_t *)*state)->arena;
    expect_item_error(a, "{\"a\":{\"S\":5}}", SERIALIZATION, "NUMBER_VALUE cannot be converted to String");
    expect_item_error(a, "{\"a\":{\"S\":5.5}}", SERIALIZATION, "DECIMAL_VALUE cannot be converted to String");
    expect_item_error(a, "{\"a\":{\"N\":true}}", SERIALIZATION, "TRUE_VALUE cannot be converted to String");
    expect_item_error(a, "{\"a\":{\"S\":false}}", SERIALIZATION, "FALSE_VALUE cannot be converted to String");
    expect_item_error(a, "{\"a\":{\"S\":[]}}", SERIALIZATION, "Unrecognized collection type class java.lang.String");
    expect_item_error(a, "{\"a\":{\"S\":{}}}", SERIALIZATION, "Start of structure or map found where not expected");
    expect_item_error(a, "{\"a\":{\"B\":5}}", SERIALIZATION, "only base-64-encoded strings are convertible to bytes");
    expect_item_error(a, "{\"a\":{\"B\":[]}}", SERIALIZATION, "Unrecognized collection type class java.nio.ByteBuffer");
    expect_item_error(a, "{\"a\":{\"BOOL\":23}}", SERIALIZATION, "NUMBER_VALUE cannot be converted to Boolean");
    expect_item_error(a, "{\"a\":{\"NULL\":34.5}}", SERIALIZATION, "DECIMAL_VALUE cannot be converted to Boolean");
    expect_item_error(a, "{\"a\":{\"BOOL\":\"23\"}}", SERIALIZATION, "Unexpected token received from parser");
    expect_item_error(a, "{\"a\":{\"BOOL\":[]}}", SERIALIZATION, "Unrecognized collection type class java.lang.Boolean");
    expect_item_error(a, "{\"a\":{\"SS\":\"x\"}}", SERIALIZATION, "Unexpected field type");
    expect_item_error(a, "{\"a\":{\"L\":{}}}", SERIALIZATION, "Start of structure or map found where not expected");
    expect_item_error(a, "{\"a\":{\"SS\":[1]}}", SERIALIZATION, "NUMBER_VALUE cannot be converted to String");
    expect_item_error(a, "{\"a\":{\"M\":5}}", SERIALIZATION, "Unexpected field type");
    expect_item_error(a, "{\"a\":{\"M\":[]}}", SERIALIZATION,
                      "Unrecognized collection type java.util.Map<java.lang.String, com.amazonaws.dynamodb.v20120810.AttributeValue>");
    expect_item_error(a, "{\"a\":\"x\"}", SERIALIZATION, "Unexpected value type in payload");
    expect_item_error(a, "{\"a\":[]}", SERIALIZATION,
                      "Unrecognized collection type class com.amazonaws.dynamodb.v20120810.AttributeValue");
    expect_item_error(a, "{\"a\":{\"L\":[5]}}", SERIALIZATION, "Unexpected value type in payload");
    expect_item_error(a, "[]", SERIALIZATION,
                      "Unrecognized collection type java.util.Map<java.lang.String, com.amazonaws.dynamodb.v20120810.AttributeValue>");
}

static void test_serialization_errors_win_over_validation_errors(void **state)
{
    pt_arena_t *a = &((fixture_t *)*state)->arena;
    /* The whole request is deserialized before anything is validated. */
    expect_item_error(a, "{\"a\":{\"SS\":[]},\"b\":{\"S\":5}}", SERIALIZATION,
                      "NUMBER_VALUE cannot be converted to String");
    expect_item_error(a, "{\"a\":{\"S\":5},\"a\":{\"S\":\"ok\"}}", SERIALIZATION,
                      "NUMBER_VALUE cannot be converted to String");
}

static void test_invalid_base64_is_a_serialization_error(void **state)
{
    pt_arena_t *a = &((fixture_t *)*state)->arena;
    expect_item_error(a, "{\"a\":{\"B\":\"23456\"}}", SERIALIZATION,
                      "Base64 encoded length is expected a multiple of 4 bytes but found: 5");
    expect_item_error(a, "{\"a\":{\"B\":\"=+/=\"}}", SERIALIZATION, "Invalid last non-pad Base64 character dectected");
    expect_item_error(a, "{\"a\":{\"B\":\"+/+=\"}}", SERIALIZATION, "Invalid last non-pad Base64 character dectected");
    expect_item_error(a, "{\"a\":{\"B\":\"Yh==\"}}", SERIALIZATION, "Invalid last non-pad Base64 character dectected");
    expect_item_error(a, "{\"a\":{\"B\":\"ab!d\"}}", SERIALIZATION, "Invalid Base64 character: '!'");
    expect_item_error(a, "{\"a\":{\"BS\":[\"Yg==\",\"Y\"]}}", SERIALIZATION,
                      "Base64 encoded length is expected a multiple of 4 bytes but found: 1");
}

static const char *nest(pt_arena_t *a, int wraps, const char *open, const char *close)
{
    size_t cap = (size_t)wraps * (strlen(open) + strlen(close)) + 64;
    char *s = pt_arena_alloc(a, cap);
    size_t o = 0, lo = strlen(open), lc = strlen(close);
    /* memcpy, not sprintf: gcc -O2 with sanitizers cannot bound the
     * arena buffer and rejects sprintf with -Werror=format-overflow. */
    memcpy(s + o, "{\"data\":", 8);
    o += 8;
    for (int i = 0; i < wraps; i++, o += lo) memcpy(s + o, open, lo);
    memcpy(s + o, "{\"S\":\"leaf\"}", 12);
    o += 12;
    for (int i = 0; i < wraps; i++, o += lc) memcpy(s + o, close, lc);
    memcpy(s + o, "}", 2);
    return s;
}

static void test_nesting_beyond_32_levels_is_rejected(void **state)
{
    pt_arena_t *a = &((fixture_t *)*state)->arena;
    const char *msg = "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit";
    pt_av_t v;
    pt_error_t err;
    /* DynamoDB: 31 wrapping maps (leaf at level 32) pass, 32 fail. */
    assert_int_equal(item_from(a, nest(a, 31, "{\"M\":{\"n\":", "}}"), &v, &err), PT_OK);
    expect_item_error(a, nest(a, 32, "{\"M\":{\"n\":", "}}"), VALIDATION, msg);
    assert_int_equal(item_from(a, nest(a, 31, "{\"L\":[", "]}"), &v, &err), PT_OK);
    expect_item_error(a, nest(a, 32, "{\"L\":[", "]}"), VALIDATION, msg);

    /* the deepest accepted item survives the binary form */
    assert_int_equal(item_from(a, nest(a, 31, "{\"M\":{\"n\":", "}}"), &v, &err), PT_OK);
    pt_buf_t bin = PT_BUF_INIT;
    pt_item_encode(&v, &bin);
    pt_av_t back;
    assert_int_equal(pt_item_decode(a, bin.data, bin.len, &back, &err), PT_OK);
    assert_true(pt_av_equal(&v, &back));
    pt_buf_free(&bin);
}

static void test_av_from_json_counts_depth_from_caller(void **state)
{
    pt_arena_t *a = &((fixture_t *)*state)->arena;
    pt_av_t v;
    pt_error_t err;
    pt_json_t *j = parse_json(a, "{\"M\":{\"x\":{\"S\":\"a\"}}}");
    assert_int_equal(pt_av_from_json(a, j, PT_AV_MAX_DEPTH - 2, &v, &err), PT_OK);
    assert_int_equal(pt_av_from_json(a, j, PT_AV_MAX_DEPTH - 1, &v, &err), PT_ERR);
    assert_string_equal(err.type, VALIDATION);
    expect_av_error(a, "{\"SS\":[\"x\",\"x\"]}", VALIDATION, INVALID "Input collection [x, x] contains duplicates.");
}

/* ---------------- size ---------------- */

static size_t item_size_of(pt_arena_t *a, const char *text)
{
    pt_av_t v;
    pt_error_t err;
    if (item_from(a, text, &v, &err)) fail_msg("rejected %s: %s", text, err.message);
    return pt_item_size(&v);
}

static void test_item_size_follows_documented_rules(void **state)
{
    pt_arena_t *a = &((fixture_t *)*state)->arena;
    /* strings: name bytes + UTF-8 bytes */
    assert_int_equal(item_size_of(a, "{\"id\":{\"S\":\"abc\"}}"), 2 + 3);
    assert_int_equal(item_size_of(a, "{\"s\":{\"S\":\"\\u00e9\\u263a\"}}"), 1 + 5);
    /* numbers: ceil(significant digits / 2) + 1 */
    assert_int_equal(item_size_of(a, "{\"n\":{\"N\":\"12345\"}}"), 1 + 3 + 1);
    assert_int_equal(item_size_of(a, "{\"n\":{\"N\":\"1234\"}}"), 1 + 2 + 1);
    assert_int_equal(item_size_of(a, "{\"n\":{\"N\":\"1000\"}}"), 1 + 1 + 1);   /* trailing zeros trimmed */
    assert_int_equal(item_size_of(a, "{\"n\":{\"N\":\"0.0012\"}}"), 1 + 1 + 1); /* leading zeros trimmed */
    assert_int_equal(item_size_of(a, "{\"n\":{\"N\":\"-10.05\"}}"), 1 + 2 + 1);
    assert_int_equal(item_size_of(a, "{\"n\":{\"N\":\"0\"}}"), 1 + 1);
    /* binary: raw bytes */
    assert_int_equal(item_size_of(a, "{\"b\":{\"B\":\"AAECAw==\"}}"), 1 + 4);
    /* null and boolean: 1 byte */
    assert_int_equal(item_size_of(a, "{\"flag\":{\"BOOL\":true},\"z\":{\"NULL\":true}}"), 4 + 1 + 1 + 1);
    /* list: 3 + 1 per element + elements */
    assert_int_equal(item_size_of(a, "{\"l\":{\"L\":[{\"S\":\"xy\"}]}}"), 1 + 3 + 1 + 2);
    assert_int_equal(item_size_of(a, "{\"l\":{\"L\":[]}}"), 1 + 3);
    /* map: 3 + 1 per element + names + values */
    assert_int_equal(item_size_of(a, "{\"m\":{\"M\":{\"ab\":{\"N\":\"1\"}}}}"), 1 + 3 + 1 + 2 + 2);
    assert_int_equal(item_size_of(a, "{\"m\":{\"M\":{}}}"), 1 + 3);
    /* sets: sum of members */
    assert_int_equal(item_size_of(a, "{\"ss\":{\"SS\":[\"a\",\"bc\"]}}"), 2 + 3);
    assert_int_equal(item_size_of(a, "{\"ns\":{\"NS\":[\"1\",\"123\"]}}"), 2 + 2 + 3);
    assert_int_equal(item_size_of(a, "{\"bs\":{\"BS\":[\"AA==\",\"AAA=\"]}}"), 2 + 3);
    /* a whole item: sum of attributes */
    assert_int_equal(item_size_of(a, "{\"id\":{\"S\":\"abc\"},\"n\":{\"N\":\"12345\"},\"flag\":{\"BOOL\":true}}"),
                     5 + 5 + 5);
}

/* ---------------- lookup, equality ---------------- */

static void test_item_get_finds_attributes_by_binary_search(void **state)
{
    pt_arena_t *a = &((fixture_t *)*state)->arena;
    pt_av_t item;
    pt_error_t err;
    assert_int_equal(item_from(a, "{\"d\":{\"N\":\"4\"},\"b\":{\"N\":\"2\"},\"a\":{\"N\":\"1\"},\"c\":{\"N\":\"3\"},\"ab\":{\"N\":\"5\"}}",
                               &item, &err), PT_OK);
    const char *names[] = {"a", "ab", "b", "c", "d"};
    const char *vals[] = {"1", "5", "2", "3", "4"};
    for (int i = 0; i < 5; i++) {
        const pt_av_t *v = pt_item_get(&item, names[i], strlen(names[i]));
        assert_non_null(v);
        assert_string_equal(v->u.str, vals[i]);
    }
    assert_null(pt_item_get(&item, "e", 1));
    assert_null(pt_item_get(&item, "", 0));
    assert_null(pt_item_get(&item, "aa", 2));
}

static bool json_equal(pt_arena_t *a, const char *x, const char *y)
{
    pt_av_t u, v;
    pt_error_t err;
    if (av_from(a, x, &u, &err) || av_from(a, y, &v, &err)) fail_msg("rejected");
    return pt_av_equal(&u, &v);
}

static void test_av_equal_is_deep_and_set_aware(void **state)
{
    pt_arena_t *a = &((fixture_t *)*state)->arena;
    assert_true(json_equal(a, "{\"N\":\"1.0\"}", "{\"N\":\"1\"}"));
    assert_false(json_equal(a, "{\"N\":\"1\"}", "{\"S\":\"1\"}"));
    assert_true(json_equal(a, "{\"SS\":[\"a\",\"b\"]}", "{\"SS\":[\"b\",\"a\"]}"));
    assert_true(json_equal(a, "{\"NS\":[\"2\",\"1e0\"]}", "{\"NS\":[\"1\",\"2.0\"]}"));
    assert_false(json_equal(a, "{\"NS\":[\"1\"]}", "{\"NS\":[\"1\",\"2\"]}"));
    assert_true(json_equal(a, "{\"BS\":[\"AQ==\",\"Ag==\"]}", "{\"BS\":[\"Ag==\",\"AQ==\"]}"));
    assert_false(json_equal(a, "{\"L\":[{\"N\":\"1\"},{\"N\":\"2\"}]}", "{\"L\":[{\"N\":\"2\"},{\"N\":\"1\"}]}"));
    assert_true(json_equal(a, "{\"M\":{\"a\":{\"L\":[]},\"b\":{\"NULL\":true}}}",
                           "{\"M\":{\"b\":{\"NULL\":true},\"a\":{\"L\":[]}}}"));
    assert_false(json_equal(a, "{\"M\":{\"a\":{\"BOOL\":true}}}", "{\"M\":{\"a\":{\"BOOL\":false}}}"));
    assert_false(json_equal(a, "{\"M\":{\"a\":{\"S\":\"\"}}}", "{\"M\":{\"b\":{\"S\":\"\"}}}"));
    assert_false(json_equal(a, "{\"B\":\"AQ==\"}", "{\"B\":\"AQI=\"}"));
}

/* ---------------- binary codec robustness ---------------- */

static const char *rich_item =
    "{\"pk\":{\"S\":\"user#1\"},\"n\":{\"N\":\"-123.456\"},\"b\":{\"B\":\"AAEC\"},\"t\":{\"BOOL\":true},"
    "\"z\":{\"NULL\":true},\"ss\":{\"SS\":[\"x\",\"y\"]},\"ns\":{\"NS\":[\"1\",\"22\"]},\"bs\":{\"BS\":[\"AQ==\"]},"
    "\"l\":{\"L\":[{\"S\":\"q\"},{\"M\":{\"k\":{\"N\":\"0.5\"}}}]},\"m\":{\"M\":{\"a\":{\"L\":[]},\"b\":{\"M\":{}}}}}";

static void test_decoder_rejects_every_truncation(void **state)
{
    pt_arena_t *a = &((fixture_t *)*state)->arena;
    pt_av_t item, back;
    pt_error_t err;
    assert_int_equal(item_from(a, rich_item, &item, &err), PT_OK);
    pt_buf_t bin = PT_BUF_INIT;
    pt_item_encode(&item, &bin);
    for (size_t n = 0; n < bin.len; n++) {
        /* exact-size heap copy so ASan catches any over-read */
        char *cut = malloc(n ? n : 1);
        memcpy(cut, bin.data, n);
        pt_error_clear(&err);
        if (pt_item_decode(a, cut, n, &back, &err) != PT_ERR) fail_msg("truncation to %zu accepted", n);
        assert_string_equal(err.type, INTERNAL);
        assert_string_equal(err.message, "corrupt item");
        assert_int_equal(err.status, 500);
        free(cut);
    }
    assert_int_equal(pt_item_decode(a, bin.data, bin.len, &back, &err), PT_OK);
    pt_buf_free(&bin);
}

static void test_decoder_rejects_trailing_bytes_and_bad_version(void **state)
{
    pt_arena_t *a = &((fixture_t *)*state)->arena;
    pt_av_t item, back;
    pt_error_t err;
    assert_int_equal(item_from(a, "{\"a\":{\"S\":\"b\"}}", &item, &err), PT_OK);
    pt_buf_t bin = PT_BUF_INIT;
    pt_item_encode(&item, &bin);
    pt_buf_putc(&bin, 0);
    assert_int_equal(pt_item_decode(a, bin.data, bin.len, &back, &err), PT_ERR);
    bin.len--;
    bin.data[0] = 2;
    assert_int_equal(pt_item_decode(a, bin.data, bin.len, &back, &err), PT_ERR);
    pt_buf_free(&bin);
}

static void test_decoder_rejects_handmade_corruptions(void **state)
{
    pt_arena_t *a = &((fixture_t *)*state)->arena;
    pt_av_t back;
    pt_error_t err;
    static const struct {
        const char *what;
        const char *bytes;
        size_t len;
    } cases[] = {
        {"huge member count", "\x01\xff\xff\xff\xff\x0f", 6},
        {"varint over 32 bits", "\x01\xff\xff\xff\xff\x7f", 6},
        {"name without NUL", "\x01\x01\x01" "ax\x01\x01" "b\x00", 9},
        {"unknown tag", "\x01\x01\x01" "a\x00\x0b", 6},
        {"tag zero", "\x01\x01\x01" "a\x00\x00", 6},
        {"BOOL byte 2", "\x01\x01\x01" "a\x00\x04\x02", 7},
        {"unsorted names", "\x01\x02\x01" "b\x00\x05\x01" "a\x00\x05", 11},
        {"duplicate names", "\x01\x02\x01" "a\x00\x05\x01" "a\x00\x05", 11},
        {"empty set", "\x01\x01\x01" "a\x00\x08\x00", 7},
        {"unsorted SS", "\x01\x01\x01" "a\x00\x08\x02\x01" "b\x00\x01" "a\x00", 13},
        {"bad number text", "\x01\x01\x01" "a\x00\x02\x02" "1x\x00", 9},
        {"non-canonical number", "\x01\x01\x01" "a\x00\x02\x02" "01\x00", 9},
        {"list count beyond buffer", "\x01\x01\x01" "a\x00\x07\x05\x05", 8},
        {"string length beyond buffer", "\x01\x01\x01" "a\x00\x01\x7f" "ab\x00", 10},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *copy = malloc(cases[i].len);
        memcpy(copy, cases[i].bytes, cases[i].len);
        if (pt_item_decode(a, copy, cases[i].len, &back, &err) != PT_ERR)
            fail_msg("accepted: %s", cases[i].what);
        free(copy);
    }
    /* and a well-formed handmade one is accepted: {"a": NULL} */
    assert_int_equal(pt_item_decode(a, "\x01\x01\x01" "a\x00\x05", 6, &back, &err), PT_OK);
    assert_int_equal(back.len, 1);
    assert_int_equal(back.u.members[0].value.type, PT_AV_NULL);
}

static void test_decoder_rejects_nesting_beyond_limit(void **state)
{
    pt_arena_t *a = &((fixture_t *)*state)->arena;
    pt_av_t back;
    pt_error_t err;
    /* attribute "a" = 40 nested lists around NULL, hand-encoded */
    uint8_t buf[128];
    size_t o = 0;
    buf[o++] = 1;
    buf[o++] = 1;
    buf[o++] = 1;
    buf[o++] = 'a';
    buf[o++] = 0;
    for (int i = 0; i < 40; i++) {
        buf[o++] = PT_AV_L;
        buf[o++] = 1;
    }
    buf[o++] = PT_AV_NULL;
    assert_int_equal(pt_item_decode(a, buf, o, &back, &err), PT_ERR);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)rng_state;
}

static void test_decoder_survives_random_byte_flips(void **state)
{
    fixture_t *f = *state;
    pt_av_t item, back;
    pt_error_t err;
    assert_int_equal(item_from(&f->arena, rich_item, &item, &err), PT_OK);
    pt_buf_t bin = PT_BUF_INIT;
    pt_item_encode(&item, &bin);
    int accepted = 0;
    for (int iter = 0; iter < 20000; iter++) {
        pt_arena_t a;
        pt_arena_init(&a);
        char *copy = malloc(bin.len);
        memcpy(copy, bin.data, bin.len);
        int flips = 1 + (int)(rnd() % 3);
        for (int k = 0; k < flips; k++) copy[rnd() % bin.len] ^= (char)(1u << (rnd() % 8));
        if (pt_item_decode(&a, copy, bin.len, &back, &err) == PT_OK) {
            /* whatever is accepted must be a well-formed tree */
            accepted++;
            pt_buf_t again = PT_BUF_INIT;
            pt_item_encode(&back, &again);
            pt_av_t back2;
            assert_int_equal(pt_item_decode(&a, again.data, again.len, &back2, &err), PT_OK);
            assert_true(pt_av_equal(&back, &back2));
            (void)pt_item_size(&back);
            char *js = item_json(&back);
            free(js);
            pt_buf_free(&again);
        } else {
            assert_string_equal(err.message, "corrupt item");
        }
        free(copy);
        pt_arena_destroy(&a);
    }
    /* flips inside string bytes are undetectable by design */
    assert_true(accepted < 20000);
    pt_buf_free(&bin);
}

static void test_decoder_survives_random_garbage(void **state)
{
    pt_av_t back;
    pt_error_t err;
    (void)state;
    for (int iter = 0; iter < 20000; iter++) {
        pt_arena_t a;
        pt_arena_init(&a);
        size_t n = 1 + rnd() % 64;
        uint8_t *buf = malloc(n);
        for (size_t k = 0; k < n; k++) buf[k] = (uint8_t)(rnd() % 12); /* mostly valid tags/lengths */
        buf[0] = 1;
        (void)pt_item_decode(&a, buf, n, &back, &err);
        free(buf);
        pt_arena_destroy(&a);
    }
}

static void test_encode_appends_to_existing_buffer(void **state)
{
    pt_arena_t *a = &((fixture_t *)*state)->arena;
    pt_av_t item, back;
    pt_error_t err;
    assert_int_equal(item_from(a, "{\"k\":{\"SS\":[\"v\"]}}", &item, &err), PT_OK);
    pt_buf_t bin = PT_BUF_INIT;
    pt_buf_puts(&bin, "prefix");
    pt_item_encode(&item, &bin);
    assert_memory_equal(bin.data, "prefix", 6);
    assert_int_equal(pt_item_decode(a, bin.data + 6, bin.len - 6, &back, &err), PT_OK);
    assert_true(pt_av_equal(&item, &back));
    pt_buf_free(&bin);
}

static void test_absent_item_is_empty_and_absent_value_is_rejected(void **state)
{
    pt_arena_t *a = &((fixture_t *)*state)->arena;
    pt_av_t v;
    pt_error_t err;
    assert_int_equal(pt_item_from_json(a, NULL, &v, &err), PT_OK);
    assert_int_equal(v.type, PT_AV_M);
    assert_int_equal(v.len, 0);
    assert_int_equal(pt_av_from_json(a, NULL, 0, &v, &err), PT_ERR);
    assert_string_equal(err.message,
                        "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes");
}

static void test_type_names_round_trip(void **state)
{
    (void)state;
    for (int t = PT_AV_S; t <= PT_AV_BS; t++) {
        const char *n = pt_av_type_name(t);
        assert_int_equal(pt_av_type_from_name(n, strlen(n)), t);
    }
    assert_int_equal(pt_av_type_from_name("X", 1), 0);
    assert_int_equal(pt_av_type_from_name("BOO", 3), 0);
    assert_int_equal(pt_av_type_from_name("", 0), 0);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_every_type_round_trips_json_binary_json),
        T(test_item_members_come_out_sorted_bytewise),
        T(test_numbers_become_canonical_text),
        T(test_nested_documents_round_trip),
        T(test_strings_with_nul_and_unicode_round_trip),
        T(test_duplicate_json_members_last_one_wins),
        T(test_unknown_and_null_type_members_are_ignored),
        T(test_bool_and_null_accept_jackson_boolean_strings),
        T(test_av_write_json_wraps_type),
        T(test_empty_attribute_value_is_rejected),
        T(test_more_than_one_datatype_is_rejected),
        T(test_value_errors_are_reported_before_multiple_types),
        T(test_null_false_is_rejected),
        T(test_empty_sets_are_rejected),
        T(test_duplicates_in_sets_are_rejected),
        T(test_duplicates_message_is_valid_utf8_when_cut),
        T(test_invalid_numbers_are_rejected),
        T(test_wrong_json_kinds_are_serialization_errors),
        T(test_serialization_errors_win_over_validation_errors),
        T(test_invalid_base64_is_a_serialization_error),
        T(test_nesting_beyond_32_levels_is_rejected),
        T(test_av_from_json_counts_depth_from_caller),
        T(test_item_size_follows_documented_rules),
        T(test_item_get_finds_attributes_by_binary_search),
        T(test_av_equal_is_deep_and_set_aware),
        T(test_decoder_rejects_every_truncation),
        T(test_decoder_rejects_trailing_bytes_and_bad_version),
        T(test_decoder_rejects_handmade_corruptions),
        T(test_decoder_rejects_nesting_beyond_limit),
        T(test_decoder_survives_random_byte_flips),
        T(test_decoder_survives_random_garbage),
        T(test_encode_appends_to_existing_buffer),
        T(test_absent_item_is_empty_and_absent_value_is_rejected),
        T(test_type_names_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
