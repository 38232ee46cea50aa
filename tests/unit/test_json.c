/* Unit tests for util/json: parser strictness (RFC 8259), UTF-8 and escape
 * handling, depth limit, number accessors, writer escaping and formatting,
 * parse -> write round trips, and DynamoDB-strict base64. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/error.h"
#include "util/json.h"

/* ---- helpers ---- */

static pt_arena_t arena;

static int setup(void **state)
{
    pt_arena_init(&arena);
    return 0;
}

static int teardown(void **state)
{
    pt_arena_destroy(&arena);
    return 0;
}

static char errbuf[256];

static int parse_n(const char *text, size_t len, pt_json_t *out)
{
    errbuf[0] = 0;
    return pt_json_parse(&arena, text, len, out, errbuf, sizeof errbuf);
}

static int parse(const char *text, pt_json_t *out) { return parse_n(text, strlen(text), out); }

static void assert_rejects(const char *text)
{
    pt_json_t v;
    if (parse(text, &v) != PT_ERR) fail_msg("accepted invalid JSON: %s", text);
    assert_true(strstr(errbuf, "at byte ") != NULL);
}

static void assert_accepts(const char *text)
{
    pt_json_t v;
    if (parse(text, &v) != PT_OK) fail_msg("rejected valid JSON: %s (%s)", text, errbuf);
}

/* Parses a one-string document and checks its unescaped bytes. */
static void assert_string_is(const char *json, const char *expect, size_t expect_len)
{
    pt_json_t v;
    if (parse(json, &v) != PT_OK) fail_msg("rejected %s: %s", json, errbuf);
    assert_int_equal(v.type, PT_JSON_STRING);
    assert_int_equal(v.len, expect_len);
    assert_memory_equal(v.u.str, expect, expect_len);
    assert_int_equal(v.u.str[v.len], 0);
}

/* Writes a tree back and returns the text (static buffer freed by caller). */
static char *write_tree(const pt_json_t *v, size_t *len)
{
    pt_buf_t b = PT_BUF_INIT;
    pt_jw_t w;
    pt_jw_init(&w, &b);
    pt_jw_value(&w, v);
    pt_buf_putc(&b, 0);
    b.len--;
    return pt_buf_detach(&b, len);
}

/* ---- parser: valid documents ---- */

static void test_parse_scalars_of_every_type(void **state)
{
    pt_json_t v;
    assert_int_equal(parse("null", &v), PT_OK);
    assert_int_equal(v.type, PT_JSON_NULL);
    assert_int_equal(parse("true", &v), PT_OK);
    assert_int_equal(v.type, PT_JSON_TRUE);
    assert_int_equal(parse("false", &v), PT_OK);
    assert_int_equal(v.type, PT_JSON_FALSE);
    assert_int_equal(parse("-12.5e+3", &v), PT_OK);
    assert_int_equal(v.type, PT_JSON_NUMBER);
    assert_int_equal(v.len, 8);
    assert_string_equal(v.u.str, "-12.5e+3");
    assert_int_equal(parse("\"hi\"", &v), PT_OK);
    assert_int_equal(v.type, PT_JSON_STRING);
    assert_string_equal(v.u.str, "hi");
    assert_int_equal(v.len, 2);
}

static void test_parse_surrounding_whitespace_is_allowed(void **state)
{
    pt_json_t v;
    assert_int_equal(parse(" \t\r\n{ \"a\" : [ 1 , 2 ] }\n ", &v), PT_OK);
    assert_int_equal(v.type, PT_JSON_OBJECT);
    assert_int_equal(v.len, 1);
    assert_string_equal(v.u.members[0].key, "a");
    assert_int_equal(v.u.members[0].value.len, 2);
    assert_accepts("[ 1 ,\n\t2\r\n, \"x\" , true , null ]");
    assert_accepts("\r\n\t 0 \t\r\n");
}

static void test_parse_empty_containers(void **state)
{
    pt_json_t v;
    assert_int_equal(parse("{}", &v), PT_OK);
    assert_int_equal(v.type, PT_JSON_OBJECT);
    assert_int_equal(v.len, 0);
    assert_int_equal(parse("[ ]", &v), PT_OK);
    assert_int_equal(v.type, PT_JSON_ARRAY);
    assert_int_equal(v.len, 0);
    assert_int_equal(parse("[[],{},[{}]]", &v), PT_OK);
    assert_int_equal(v.len, 3);
    assert_int_equal(v.u.elems[0].type, PT_JSON_ARRAY);
    assert_int_equal(v.u.elems[1].type, PT_JSON_OBJECT);
    assert_int_equal(v.u.elems[2].u.elems[0].type, PT_JSON_OBJECT);
}

static void test_parse_dynamodb_request_shape(void **state)
{
    const char *req =
        "{\"TableName\":\"Music\",\"Item\":{\"Artist\":{\"S\":\"No One You Know\"},"
        "\"Year\":{\"N\":\"2015\"},\"Tags\":{\"SS\":[\"a\",\"b\"]},"
        "\"Meta\":{\"M\":{\"ok\":{\"BOOL\":true},\"none\":{\"NULL\":true}}}},"
        "\"ReturnValues\":\"ALL_OLD\"}";
    pt_json_t v;
    assert_int_equal(parse(req, &v), PT_OK);
    assert_int_equal(v.len, 3);
    assert_string_equal(pt_json_get(&v, "TableName")->u.str, "Music");
    const pt_json_t *item = pt_json_get(&v, "Item");
    assert_non_null(item);
    assert_int_equal(item->len, 4);
    assert_string_equal(item->u.members[0].key, "Artist");
    assert_string_equal(pt_json_get(pt_json_get(item, "Artist"), "S")->u.str, "No One You Know");
    const pt_json_t *ss = pt_json_get(pt_json_get(item, "Tags"), "SS");
    assert_int_equal(ss->type, PT_JSON_ARRAY);
    assert_int_equal(ss->len, 2);
    assert_string_equal(ss->u.elems[1].u.str, "b");
    const pt_json_t *m = pt_json_get(pt_json_get(item, "Meta"), "M");
    assert_int_equal(pt_json_get(pt_json_get(m, "ok"), "BOOL")->type, PT_JSON_TRUE);
    assert_null(pt_json_get(&v, "Missing"));
    assert_null(pt_json_get(ss, "S")); /* not an object */
}

static void test_parse_members_keep_document_order(void **state)
{
    pt_json_t v;
    assert_int_equal(parse("{\"z\":1,\"a\":2,\"m\":3}", &v), PT_OK);
    assert_string_equal(v.u.members[0].key, "z");
    assert_string_equal(v.u.members[1].key, "a");
    assert_string_equal(v.u.members[2].key, "m");
    assert_string_equal(v.u.members[2].value.u.str, "3");
}

static void test_get_returns_last_duplicate_key(void **state)
{
    pt_json_t v;
    assert_int_equal(parse("{\"a\":1,\"b\":2,\"a\":3}", &v), PT_OK);
    assert_int_equal(v.len, 3); /* duplicates are kept */
    assert_string_equal(pt_json_get(&v, "a")->u.str, "3");
}

static void test_get_distinguishes_keys_by_length_and_nul(void **state)
{
    pt_json_t v;
    assert_int_equal(parse("{\"ab\":1,\"a\\u0000\":2,\"a\":3}", &v), PT_OK);
    assert_string_equal(pt_json_get(&v, "a")->u.str, "3");
    assert_string_equal(pt_json_get(&v, "ab")->u.str, "1");
    assert_int_equal(v.u.members[1].key_len, 2);
}

static void test_parse_many_children_beyond_local_scratch(void **state)
{
    /* 1000 elements, each an object with 3 members: exercises the scratch
     * stack's move to the heap and its growth while containers are open. */
    pt_buf_t b = PT_BUF_INIT;
    pt_buf_putc(&b, '[');
    for (int i = 0; i < 1000; i++)
        pt_buf_printf(&b, "%s{\"k\":%d,\"s\":\"v%d\",\"n\":[%d,%d]}", i ? "," : "", i, i, i, -i);
    pt_buf_putc(&b, ']');
    pt_json_t v;
    assert_int_equal(parse_n(b.data, b.len, &v), PT_OK);
    assert_int_equal(v.len, 1000);
    for (int i = 0; i < 1000; i++) {
        char want[16];
        snprintf(want, sizeof want, "v%d", i);
        assert_string_equal(pt_json_get(&v.u.elems[i], "s")->u.str, want);
        int64_t n;
        assert_int_equal(pt_json_int64(&pt_json_get(&v.u.elems[i], "n")->u.elems[1], &n), PT_OK);
        assert_int_equal(n, -i);
    }
    pt_buf_free(&b);
}

static void test_parse_does_not_need_nul_termination(void **state)
{
    /* The buffer continues with bytes that would be valid JSON if read. */
    const char buf[] = "[1,2]3";
    pt_json_t v;
    assert_int_equal(parse_n(buf, 5, &v), PT_OK);
    assert_int_equal(v.len, 2);
    assert_int_equal(parse_n("\"abc\"", 4, &v), PT_ERR); /* cut before the quote */
    assert_int_equal(parse_n("12", 1, &v), PT_OK);
    assert_string_equal(v.u.str, "1");
    assert_int_equal(parse_n("truex", 3, &v), PT_ERR);
}

/* ---- parser: strings ---- */

static void test_string_escapes_are_unescaped(void **state)
{
    assert_string_is("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\/\b\f\n\r\t", 8);
    assert_string_is("\"a\\u0041\\u00e9\\u20AC\"", "aA\xc3\xa9\xe2\x82\xac", 7);
    assert_string_is("\"x\\u0000y\"", "x\0y", 3);
}

static void test_string_surrogate_pair_becomes_one_code_point(void **state)
{
    /* U+1F600 GRINNING FACE */
    assert_string_is("\"\\ud83d\\ude00\"", "\xf0\x9f\x98\x80", 4);
    /* U+10FFFF, the last code point */
    assert_string_is("\"\\uDBFF\\uDFFF\"", "\xf4\x8f\xbf\xbf", 4);
}

static void test_string_lone_surrogates_are_rejected(void **state)
{
    assert_rejects("\"\\ud83d\"");
    assert_rejects("\"\\ud83dx\"");
    assert_rejects("\"\\ud83d\\u0041\"");
    assert_rejects("\"\\ude00\"");
    assert_rejects("\"\\ude00\\ud83d\"");
    assert_rejects("\"\\ud83d\\n\"");
}

static void test_string_invalid_escapes_are_rejected(void **state)
{
    assert_rejects("\"\\x\"");
    assert_rejects("\"\\u12\"");
    assert_rejects("\"\\u12g4\"");
    assert_rejects("\"\\U0041\"");
    assert_rejects("\"\\'\"");
    assert_rejects("\"\\");
    assert_rejects("\"abc\\\"");
}

static void test_string_raw_utf8_is_kept(void **state)
{
    assert_string_is("\"h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80\"",
                     "h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80", 15);
    assert_string_is("\"\xef\xbf\xbf\"", "\xef\xbf\xbf", 3); /* U+FFFF is a valid scalar */
    assert_string_is("\"\xed\x9f\xbf\"", "\xed\x9f\xbf", 3); /* U+D7FF */
}

static void test_string_invalid_utf8_is_rejected(void **state)
{
    assert_rejects("\"\x80\"");                 /* lone continuation */
    assert_rejects("\"\xc3\"");                 /* truncated at the quote */
    assert_rejects("\"\xc0\xaf\"");             /* overlong '/' */
    assert_rejects("\"\xc1\xbf\"");             /* overlong */
    assert_rejects("\"\xe0\x80\xaf\"");         /* overlong 3-byte */
    assert_rejects("\"\xf0\x80\x80\xaf\"");     /* overlong 4-byte */
    assert_rejects("\"\xed\xa0\x80\"");         /* UTF-8 encoded surrogate D800 */
    assert_rejects("\"\xed\xbf\xbf\"");         /* surrogate DFFF */
    assert_rejects("\"\xf4\x90\x80\x80\"");     /* U+110000 */
    assert_rejects("\"\xf5\x80\x80\x80\"");
    assert_rejects("\"\xff\"");
    assert_rejects("\"\xe2\x82\"");             /* truncated 3-byte */
    assert_rejects("\"\xe2\x82x\"");
    pt_json_t v;
    assert_int_equal(parse_n("\"\xe2\x82", 3, &v), PT_ERR); /* truncated at end of input */
}

static void assert_repaired(const char *in, size_t len, const char *out)
{
    char buf[64];
    memcpy(buf, in, len);
    buf[len] = 0;
    size_t n = pt_utf8_repair(buf, len);
    if (n != strlen(out) || memcmp(buf, out, n) || buf[n] != 0)
        fail_msg("pt_utf8_repair of %zu bytes gave %zu bytes \"%.*s\", expected \"%s\"", len, n, (int)n, buf, out);
}

static void test_utf8_repair_drops_only_broken_characters(void **state)
{
    (void)state;
    assert_repaired("abc", 3, "abc");
    assert_repaired("h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 12, "h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
    assert_repaired("ab\xe2\x82", 4, "ab");                       /* cut at the end */
    assert_repaired("ab\xf0\x9f\x98", 5, "ab");
    assert_repaired("a\xc3] b", 5, "a] b");                       /* cut in the middle */
    assert_repaired("a\xe2\x82] b", 6, "a] b");
    assert_repaired("\x80\xbf" "x", 3, "x");                      /* lone continuation bytes */
    assert_repaired("\xc0\xaf" "x", 3, "x");                      /* overlong */
    assert_repaired("\xed\xa0\x80" "x", 4, "x");                  /* surrogate */
    assert_repaired("\xf4\x90\x80\x80" "x", 5, "x");              /* above U+10FFFF */
    assert_repaired("\xff\xc3\xa9", 3, "\xc3\xa9");
    assert_repaired("", 0, "");
}

static void test_string_control_characters_are_rejected(void **state)
{
    assert_rejects("\"a\nb\"");
    assert_rejects("\"\t\"");
    assert_rejects("\"\x1f\"");
    pt_json_t v;
    assert_int_equal(parse_n("\"a\0b\"", 5, &v), PT_ERR);
    assert_string_is("\"\x7f\"", "\x7f", 1); /* DEL is not a control per RFC 8259 */
}

static void test_string_unterminated_is_rejected(void **state)
{
    assert_rejects("\"abc");
    assert_rejects("\"abc\xc3\xa9");
    assert_rejects("[\"abc]");
    assert_rejects("\"");
}

/* ---- parser: numbers ---- */

static void test_numbers_valid_grammar(void **state)
{
    const char *ok[] = {"0", "-0", "1", "-1", "10", "0.5", "-0.0", "1e5", "1E5", "1e+5",
                        "1e-5", "1.25e-10", "123456789012345678901234567890", "0e0"};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        pt_json_t v;
        if (parse(ok[i], &v) != PT_OK) fail_msg("rejected %s: %s", ok[i], errbuf);
        assert_int_equal(v.type, PT_JSON_NUMBER);
        assert_string_equal(v.u.str, ok[i]);
    }
}

static void test_numbers_invalid_grammar_is_rejected(void **state)
{
    const char *bad[] = {"01", "-01", "00", "+1", "1.", ".5", "-", "-.5", "1e", "1e+",
                         "1.e5", "NaN", "Infinity", "-Infinity", "0x10", "1_000", "--1",
                         "1.5.3", "1e5e5", "[01]", "[1.]", "{\"a\":-}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) assert_rejects(bad[i]);
}

static void test_int64_accepts_integers_and_exact_integral_forms(void **state)
{
    struct { const char *text; int64_t want; } cases[] = {
        {"0", 0}, {"-0", 0}, {"42", 42}, {"-42", -42}, {"1.0", 1}, {"1e2", 100},
        {"1.5e1", 15}, {"100e-2", 1}, {"12.3400e2", 1234}, {"0.0e-999", 0},
        {"9223372036854775807", INT64_MAX}, {"-9223372036854775808", INT64_MIN},
        {"9.223372036854775807e18", INT64_MAX}, {"922337203685477580.7e1", INT64_MAX},
        {"1000000000000000000", 1000000000000000000LL},
        {"10000000000000000000000e-4", 1000000000000000000LL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        pt_json_t v;
        int64_t got = 12345;
        assert_int_equal(parse(cases[i].text, &v), PT_OK);
        if (pt_json_int64(&v, &got) != PT_OK) fail_msg("int64 rejected %s", cases[i].text);
        if (got != cases[i].want) fail_msg("%s -> %lld", cases[i].text, (long long)got);
    }
}

static void test_int64_rejects_fractions_and_out_of_range(void **state)
{
    const char *bad[] = {"1.5", "0.1", "1e-1", "123e-2", "9223372036854775808",
                         "-9223372036854775809", "1e19", "99999999999999999999",
                         "1e999999999999", "18446744073709551616", "-1e19", "1.0000000001"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        pt_json_t v;
        int64_t got;
        assert_int_equal(parse(bad[i], &v), PT_OK);
        if (pt_json_int64(&v, &got) != PT_ERR) fail_msg("int64 accepted %s", bad[i]);
    }
    pt_json_t v;
    int64_t got;
    assert_int_equal(parse("\"5\"", &v), PT_OK);
    assert_int_equal(pt_json_int64(&v, &got), PT_ERR); /* strings are not numbers */
    assert_int_equal(pt_json_int64(NULL, &got), PT_ERR);
}

static void test_double_reads_number_text(void **state)
{
    pt_json_t v;
    double d;
    assert_int_equal(parse("-1.5e3", &v), PT_OK);
    assert_int_equal(pt_json_double(&v, &d), PT_OK);
    assert_true(d == -1500.0);
    assert_int_equal(parse("0.1", &v), PT_OK);
    assert_int_equal(pt_json_double(&v, &d), PT_OK);
    assert_true(d == 0.1);
    assert_int_equal(parse("true", &v), PT_OK);
    assert_int_equal(pt_json_double(&v, &d), PT_ERR);
}

/* ---- parser: structure errors ---- */

static void test_trailing_garbage_is_rejected(void **state)
{
    assert_rejects("{} x");
    assert_rejects("{}{}");
    assert_rejects("1 2");
    assert_rejects("[1]]");
    assert_rejects("\"a\"\"b\"");
    assert_rejects("nullx");
    assert_rejects("true false");
}

static void test_malformed_structure_is_rejected(void **state)
{
    const char *bad[] = {"", " ", "{", "[", "}", "]", "[1,]", "[,1]", "[1 2]", "{\"a\"}",
                         "{\"a\":}", "{\"a\" 1}", "{a:1}", "{\"a\":1,}", "{,}", "{'a':1}",
                         "[1,2", "{\"a\":1", "tru", "nul", "fals", "[true,]", "{\"a\":1 \"b\":2}",
                         "[1}", "{\"a\":1]", "\xef\xbb\xbf{}" /* BOM is not JSON */,
                         "/* c */ {}", "{} // c", "\v1", "\f1"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) assert_rejects(bad[i]);
}

static void test_null_text_with_zero_length_is_an_error(void **state)
{
    pt_json_t v;
    assert_int_equal(pt_json_parse(&arena, NULL, 0, &v, errbuf, sizeof errbuf), PT_ERR);
    assert_int_equal(pt_json_parse(&arena, "{}", 2, &v, NULL, 0), PT_OK);
    assert_int_equal(pt_json_parse(&arena, "{", 1, &v, NULL, 0), PT_ERR);
}

static void test_error_message_names_the_byte_offset(void **state)
{
    pt_json_t v;
    assert_int_equal(parse("{\"a\":[1,2,x]}", &v), PT_ERR);
    assert_string_equal(errbuf, "unexpected character 'x', expected a value at byte 10");
    assert_int_equal(parse("[1] ,", &v), PT_ERR);
    assert_string_equal(errbuf, "unexpected character ',', expected end of input at byte 4");
    assert_int_equal(parse("\"ab\xff\"", &v), PT_ERR);
    assert_string_equal(errbuf, "invalid UTF-8 in string at byte 3");
    assert_int_equal(parse("[1,", &v), PT_ERR);
    assert_string_equal(errbuf, "unexpected end of input, expected a value at byte 3");
    /* A small errbuf is truncated, never overrun. */
    char small[8];
    memset(small, 'z', sizeof small);
    assert_int_equal(pt_json_parse(&arena, "[", 1, &v, small, 5), PT_ERR);
    assert_int_equal(strlen(small), 4);
    assert_int_equal(small[5], 'z');
}

static char *nested(int depth, char open, char close)
{
    char *s = malloc((size_t)depth * 2 + 1);
    for (int i = 0; i < depth; i++) {
        s[i] = open;
        s[depth * 2 - 1 - i] = close;
    }
    s[depth * 2] = 0;
    return s;
}

static void test_depth_limit_allows_max_and_rejects_one_more(void **state)
{
    pt_json_t v;
    char *ok = nested(PT_JSON_MAX_DEPTH, '[', ']');
    assert_int_equal(parse(ok, &v), PT_OK);
    char *bad = nested(PT_JSON_MAX_DEPTH + 1, '[', ']');
    assert_int_equal(parse(bad, &v), PT_ERR);
    assert_string_equal(errbuf, "nesting deeper than 128 at byte 128");
    free(ok);
    free(bad);
    /* Objects count the same way. */
    pt_buf_t b = PT_BUF_INIT;
    for (int i = 0; i < PT_JSON_MAX_DEPTH; i++) pt_buf_puts(&b, "{\"a\":");
    pt_buf_puts(&b, "1");
    for (int i = 0; i < PT_JSON_MAX_DEPTH; i++) pt_buf_putc(&b, '}');
    assert_int_equal(parse_n(b.data, b.len, &v), PT_OK);
    pt_buf_clear(&b);
    for (int i = 0; i <= PT_JSON_MAX_DEPTH; i++) pt_buf_puts(&b, "{\"a\":");
    pt_buf_puts(&b, "1");
    for (int i = 0; i <= PT_JSON_MAX_DEPTH; i++) pt_buf_putc(&b, '}');
    assert_int_equal(parse_n(b.data, b.len, &v), PT_ERR);
    pt_buf_free(&b);
    /* Very deep input fails fast without recursion. */
    char *huge = nested(1000000, '[', ']');
    assert_int_equal(parse(huge, &v), PT_ERR);
    free(huge);
}

/* ---- writer ---- */

static void test_writer_inserts_commas_automatically(void **state)
{
    pt_buf_t b = PT_BUF_INIT;
    pt_jw_t w;
    pt_jw_init(&w, &b);
    pt_jw_obj_begin(&w);
    pt_jw_keyz(&w, "a");
    pt_jw_int(&w, 1);
    pt_jw_keyz(&w, "b");
    pt_jw_arr_begin(&w);
    pt_jw_null(&w);
    pt_jw_bool(&w, true);
    pt_jw_bool(&w, false);
    pt_jw_obj_begin(&w);
    pt_jw_obj_end(&w);
    pt_jw_arr_begin(&w);
    pt_jw_arr_end(&w);
    pt_jw_raw(&w, "{\"x\":1}", 7);
    pt_jw_arr_end(&w);
    pt_jw_key(&w, "cd", 1);
    pt_jw_strz(&w, "s");
    pt_jw_obj_end(&w);
    assert_int_equal(w.depth, 0);
    assert_int_equal(b.len, strlen("{\"a\":1,\"b\":[null,true,false,{},[],{\"x\":1}],\"c\":\"s\"}"));
    assert_memory_equal(b.data, "{\"a\":1,\"b\":[null,true,false,{},[],{\"x\":1}],\"c\":\"s\"}",
                        b.len);
    pt_buf_free(&b);
}

static void expect_written_string(const char *s, size_t len, const char *want)
{
    pt_buf_t b = PT_BUF_INIT;
    pt_jw_t w;
    pt_jw_init(&w, &b);
    pt_jw_str(&w, s, len);
    pt_buf_putc(&b, 0);
    assert_string_equal(b.data, want);
    pt_buf_free(&b);
}

static void test_writer_escapes_strings(void **state)
{
    expect_written_string("plain", 5, "\"plain\"");
    expect_written_string("", 0, "\"\"");
    expect_written_string("q\"b\\s/", 6, "\"q\\\"b\\\\s/\"");
    expect_written_string("\b\f\n\r\t", 5, "\"\\b\\f\\n\\r\\t\"");
    expect_written_string("\x01\x1f\x7f", 3, "\"\\u0001\\u001f\x7f\"");
    expect_written_string("a\0b", 3, "\"a\\u0000b\"");
    expect_written_string("\xc3\xa9\xf0\x9f\x98\x80", 6, "\"\xc3\xa9\xf0\x9f\x98\x80\"");
    /* Long run of escapes: the buffer grows correctly. */
    char many[300];
    memset(many, '\x02', sizeof many);
    pt_buf_t b = PT_BUF_INIT;
    pt_jw_t w;
    pt_jw_init(&w, &b);
    pt_jw_str(&w, many, sizeof many);
    assert_int_equal(b.len, 300 * 6 + 2);
    assert_memory_equal(b.data + 1, "\\u0002\\u0002", 12);
    pt_buf_free(&b);
}

static void test_writer_escapes_keys(void **state)
{
    pt_buf_t b = PT_BUF_INIT;
    pt_jw_t w;
    pt_jw_init(&w, &b);
    pt_jw_obj_begin(&w);
    pt_jw_keyz(&w, "a\"\n");
    pt_jw_int(&w, 0);
    pt_jw_obj_end(&w);
    pt_buf_putc(&b, 0);
    assert_string_equal(b.data, "{\"a\\\"\\n\":0}");
    pt_buf_free(&b);
}

static void test_writer_integers_cover_int64_range(void **state)
{
    pt_buf_t b = PT_BUF_INIT;
    pt_jw_t w;
    pt_jw_init(&w, &b);
    pt_jw_arr_begin(&w);
    pt_jw_int(&w, 0);
    pt_jw_int(&w, -7);
    pt_jw_int(&w, INT64_MAX);
    pt_jw_int(&w, INT64_MIN);
    pt_jw_arr_end(&w);
    pt_buf_putc(&b, 0);
    assert_string_equal(b.data, "[0,-7,9223372036854775807,-9223372036854775808]");
    pt_buf_free(&b);
}

static void test_writer_doubles_are_shortest_round_trip(void **state)
{
    pt_buf_t b = PT_BUF_INIT;
    pt_jw_t w;
    pt_jw_init(&w, &b);
    pt_jw_arr_begin(&w);
    pt_jw_double(&w, 1.5);
    pt_jw_double(&w, 0.1);
    pt_jw_double(&w, 3.0);
    pt_jw_double(&w, 1764000000.0);
    pt_jw_double(&w, 0.1 + 0.2);
    pt_jw_double(&w, 1e300);
    pt_jw_double(&w, 5e-324);
    pt_jw_double(&w, INFINITY);
    pt_jw_arr_end(&w);
    pt_buf_putc(&b, 0);
    assert_string_equal(b.data, "[1.5,0.1,3,1764000000,0.30000000000000004,1e+300,"
                                "4.94065645841247e-324,null]");
    /* And every value reads back exactly. */
    pt_json_t v;
    assert_int_equal(parse(b.data, &v), PT_OK);
    double d;
    assert_int_equal(pt_json_double(&v.u.elems[4], &d), PT_OK);
    assert_true(d == 0.1 + 0.2);
    assert_int_equal(pt_json_double(&v.u.elems[6], &d), PT_OK);
    assert_true(d == 5e-324);
    pt_buf_free(&b);
}

static void test_round_trip_parse_write_parse(void **state)
{
    const char *doc =
        "{\"TableName\":\"T\",\"Item\":{\"pk\":{\"S\":\"a\\\"b\\\\c\\n\\u0001\\u00e9\\ud83d\\ude00\"},"
        "\"n\":{\"N\":\"-1.25e+10\"},\"l\":{\"L\":[{\"BOOL\":false},{\"NULL\":true},[],{}]}},"
        "\"dup\":1,\"dup\":2}";
    const char *want =
        "{\"TableName\":\"T\",\"Item\":{\"pk\":{\"S\":\"a\\\"b\\\\c\\n\\u0001\xc3\xa9\xf0\x9f\x98\x80\"},"
        "\"n\":{\"N\":\"-1.25e+10\"},\"l\":{\"L\":[{\"BOOL\":false},{\"NULL\":true},[],{}]}},"
        "\"dup\":1,\"dup\":2}";
    pt_json_t v, v2;
    assert_int_equal(parse(doc, &v), PT_OK);
    size_t len;
    char *out = write_tree(&v, &len);
    assert_string_equal(out, want);
    assert_int_equal(parse_n(out, len, &v2), PT_OK);
    char *out2 = write_tree(&v2, &len);
    assert_string_equal(out2, want);
    free(out);
    free(out2);
}

/* ---- base64 ---- */

static void test_base64_encodes_with_padding(void **state)
{
    struct { const char *raw; const char *enc; } cases[] = {
        {"", "\"\""}, {"f", "\"Zg==\""}, {"fo", "\"Zm8=\""}, {"foo", "\"Zm9v\""},
        {"foob", "\"Zm9vYg==\""}, {"fooba", "\"Zm9vYmE=\""}, {"foobar", "\"Zm9vYmFy\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        pt_buf_t b = PT_BUF_INIT;
        pt_jw_t w;
        pt_jw_init(&w, &b);
        pt_jw_base64(&w, cases[i].raw, strlen(cases[i].raw));
        pt_buf_putc(&b, 0);
        assert_string_equal(b.data, cases[i].enc);
        assert_int_equal(pt_base64_encoded_len(strlen(cases[i].raw)), strlen(cases[i].enc) - 2);
        pt_buf_free(&b);
    }
}

static void test_base64_round_trips_all_byte_values_and_lengths(void **state)
{
    uint8_t raw[300], dec[300 * 3 / 4 + 400];
    for (size_t i = 0; i < sizeof raw; i++) raw[i] = (uint8_t)(i * 37 + 11);
    for (size_t n = 0; n <= sizeof raw; n++) {
        pt_buf_t b = PT_BUF_INIT;
        pt_jw_t w;
        pt_jw_init(&w, &b);
        pt_jw_base64(&w, raw, n);
        long got = pt_base64_decode(b.data + 1, b.len - 2, dec);
        assert_int_equal(got, (long)n);
        assert_memory_equal(dec, raw, n);
        pt_buf_free(&b);
    }
    uint8_t all[256];
    for (int i = 0; i < 256; i++) all[i] = (uint8_t)i;
    pt_buf_t b = PT_BUF_INIT;
    pt_jw_t w;
    pt_jw_init(&w, &b);
    pt_jw_base64(&w, all, sizeof all);
    assert_int_equal(pt_base64_decode(b.data + 1, b.len - 2, dec), 256);
    assert_memory_equal(dec, all, 256);
    pt_buf_free(&b);
}

static void expect_b64_error(const char *in, const char *msg)
{
    uint8_t out[64];
    char eb[128] = "";
    if (pt_base64_decode_err(in, strlen(in), out, eb, sizeof eb) != -1)
        fail_msg("base64 accepted '%s'", in);
    assert_string_equal(eb, msg);
    assert_int_equal(pt_base64_decode(in, strlen(in), out), -1);
}

static void test_base64_decode_rejects_invalid_input_with_dynamodb_reason(void **state)
{
    expect_b64_error("23456", "Base64 encoded length is expected a multiple of 4 bytes but found: 5");
    expect_b64_error("Zg", "Base64 encoded length is expected a multiple of 4 bytes but found: 2");
    expect_b64_error("Zm8", "Base64 encoded length is expected a multiple of 4 bytes but found: 3");
    expect_b64_error("=+/=", "Invalid last non-pad Base64 character dectected");
    expect_b64_error("Zm9v Yg=", "Invalid Base64 character: ' '");
    expect_b64_error("Zm9-", "Invalid Base64 character: '-'");
    expect_b64_error("Zm9_", "Invalid Base64 character: '_'");
    expect_b64_error("Zm\xc3\xa9", "Invalid Base64 character: '\xc3\xa9'");
    expect_b64_error("Zg==Zg==", "Invalid last non-pad Base64 character dectected");
    expect_b64_error("Z=g=", "Invalid last non-pad Base64 character dectected");
    expect_b64_error("+/+=", "Invalid last non-pad Base64 character dectected");
    expect_b64_error("Zh==", "Invalid last non-pad Base64 character dectected");
    expect_b64_error("Zm9=", "Invalid last non-pad Base64 character dectected");
    expect_b64_error("A===", "Invalid last non-pad Base64 character dectected");
    expect_b64_error("====", "Invalid last non-pad Base64 character dectected");
    expect_b64_error("Zm9v====", "Invalid last non-pad Base64 character dectected");
    uint8_t out[8];
    assert_int_equal(pt_base64_decode("Zm9vYg\n=", 8, out), -1);
    assert_int_equal(pt_base64_decode("Zm9v\0\0\0\0", 8, out), -1);
}

static void test_base64_decode_accepts_canonical_input(void **state)
{
    uint8_t out[16];
    assert_int_equal(pt_base64_decode("", 0, out), 0);
    assert_int_equal(pt_base64_decode("Zg==", 4, out), 1);
    assert_int_equal(out[0], 'f');
    assert_int_equal(pt_base64_decode("Zm8=", 4, out), 2);
    assert_memory_equal(out, "fo", 2);
    assert_int_equal(pt_base64_decode("+/+/", 4, out), 3);
    assert_memory_equal(out, "\xfb\xff\xbf", 3);
    assert_int_equal(pt_base64_decode("AAAA", 4, out), 3);
    assert_memory_equal(out, "\0\0\0", 3);
}

static void test_base64_decode_without_output_only_validates(void **state)
{
    char eb[128] = "";
    assert_int_equal(pt_base64_decode_err("Zm9vYg==", 8, NULL, eb, sizeof eb), 4);
    assert_int_equal(pt_base64_decode_err("Zm8=", 4, NULL, eb, sizeof eb), 2);
    assert_int_equal(pt_base64_decode_err("", 0, NULL, eb, sizeof eb), 0);
    assert_int_equal(pt_base64_decode_err("Zh==", 4, NULL, eb, sizeof eb), -1);
    assert_string_equal(eb, "Invalid last non-pad Base64 character dectected");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        T(test_parse_scalars_of_every_type),
        T(test_parse_surrounding_whitespace_is_allowed),
        T(test_parse_empty_containers),
        T(test_parse_dynamodb_request_shape),
        T(test_parse_members_keep_document_order),
        T(test_get_returns_last_duplicate_key),
        T(test_get_distinguishes_keys_by_length_and_nul),
        T(test_parse_many_children_beyond_local_scratch),
        T(test_parse_does_not_need_nul_termination),
        T(test_string_escapes_are_unescaped),
        T(test_string_surrogate_pair_becomes_one_code_point),
        T(test_string_lone_surrogates_are_rejected),
        T(test_string_invalid_escapes_are_rejected),
        T(test_string_raw_utf8_is_kept),
        T(test_string_invalid_utf8_is_rejected),
        T(test_utf8_repair_drops_only_broken_characters),
        T(test_string_control_characters_are_rejected),
        T(test_string_unterminated_is_rejected),
        T(test_numbers_valid_grammar),
        T(test_numbers_invalid_grammar_is_rejected),
        T(test_int64_accepts_integers_and_exact_integral_forms),
        T(test_int64_rejects_fractions_and_out_of_range),
        T(test_double_reads_number_text),
        T(test_trailing_garbage_is_rejected),
        T(test_malformed_structure_is_rejected),
        T(test_null_text_with_zero_length_is_an_error),
        T(test_error_message_names_the_byte_offset),
        T(test_depth_limit_allows_max_and_rejects_one_more),
        T(test_writer_inserts_commas_automatically),
        T(test_writer_escapes_strings),
        T(test_writer_escapes_keys),
        T(test_writer_integers_cover_int64_range),
        T(test_writer_doubles_are_shortest_round_trip),
        T(test_round_trip_parse_write_parse),
        T(test_base64_encodes_with_padding),
        T(test_base64_round_trips_all_byte_values_and_lengths),
        T(test_base64_decode_without_output_only_validates),
        T(test_base64_decode_rejects_invalid_input_with_dynamodb_reason),
        T(test_base64_decode_accepts_canonical_input),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
