/* Unit tests for the expression module: parser (precedence, placeholders,
 * error messages), evaluator, projections and updates, driven through the
 * public API of engine/expr.h on items built from JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "engine/expr.h"
#include "util/json.h"

typedef struct fx {
    pt_arena_t arena;
    pt_expr_ctx_t *ctx;
    pt_error_t err;
} fx_t;

static const pt_json_t *json(fx_t *f, const char *text)
{
    pt_json_t *j = pt_arena_alloc(&f->arena, sizeof *j);
    assert_int_equal(pt_json_parse(&f->arena, text, strlen(text), j, NULL, 0), PT_OK);
    return j;
}

static void ctx(fx_t *f, const char *names, const char *values)
{
    assert_int_equal(pt_expr_ctx_new(&f->arena, names ? json(f, names) : NULL, values ? json(f, values) : NULL,
                                     &f->ctx, &f->err),
                     PT_OK);
}

static pt_av_t item(fx_t *f, const char *text)
{
    pt_av_t v;
    assert_int_equal(pt_item_from_json(&f->arena, json(f, text), &v, &f->err), PT_OK);
    return v;
}

static pt_expr_t *parse(fx_t *f, pt_expr_kind_t kind, const char *text)
{
    pt_expr_t *e = NULL;
    int rc = pt_expr_parse(f->ctx, kind, text, strlen(text), &e, &f->err);
    if (rc) fail_msg("parse failed: %s", f->err.message);
    return e;
}

static const char *parse_error(fx_t *f, pt_expr_kind_t kind, const char *text)
{
    pt_expr_t *e = NULL;
    assert_int_equal(pt_expr_parse(f->ctx, kind, text, strlen(text), &e, &f->err), PT_ERR);
    return f->err.message;
}

static bool eval(fx_t *f, const char *expr, const char *it)
{
    pt_expr_t *e = parse(f, PT_EXPR_CONDITION, expr);
    pt_av_t i = item(f, it);
    bool r = false;
    assert_int_equal(pt_expr_eval(e, &i, &r, &f->err), PT_OK);
    return r;
}

static char *to_json(fx_t *f, const pt_av_t *v)
{
    pt_buf_t b = PT_BUF_INIT;
    pt_jw_t w;
    pt_jw_init(&w, &b);
    pt_item_write_json(&w, v);
    char *s = pt_arena_strndup(&f->arena, b.data, b.len);
    pt_buf_free(&b);
    return s;
}

static int setup(void **state)
{
    fx_t *f = test_calloc(1, sizeof *f);
    pt_arena_init(&f->arena);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx_t *f = *state;
    pt_arena_destroy(&f->arena);
    test_free(f);
    return 0;
}

static void test_and_binds_tighter_than_or(void **state)
{
    fx_t *f = *state;
    ctx(f, NULL, "{\":t\":{\"BOOL\":true},\":f\":{\"BOOL\":false}}");
    /* a OR b AND c == a OR (b AND c) */
    assert_true(eval(f, "x = :t OR x = :f AND x = :f", "{\"x\":{\"BOOL\":true}}"));
    assert_false(eval(f, "(x = :t OR x = :f) AND x = :f", "{\"x\":{\"BOOL\":true}}"));
    /* NOT binds tighter than AND */
    assert_true(eval(f, "NOT x = :f AND x = :t", "{\"x\":{\"BOOL\":true}}"));
}

static void test_placeholders_resolve_names_and_values(void **state)
{
    fx_t *f = *state;
    ctx(f, "{\"#s\":\"size\",\"#d\":\"a.b\"}", "{\":v\":{\"N\":\"3\"}}");
    assert_true(eval(f, "#s = :v AND attribute_not_exists(#d)", "{\"size\":{\"N\":\"3.0\"},\"a\":{\"M\":{\"b\":{\"N\":\"1\"}}}}"));
    assert_int_equal(pt_expr_ctx_check_unused(f->ctx, &f->err), PT_OK);
}

static void test_unused_placeholders_are_reported_in_order(void **state)
{
    fx_t *f = *state;
    ctx(f, "{\"#b\":\"x\",\"#a\":\"y\"}", NULL);
    parse(f, PT_EXPR_PROJECTION, "#a");
    assert_int_equal(pt_expr_ctx_check_unused(f->ctx, &f->err), PT_ERR);
    assert_string_equal(f->err.message, "Value provided in ExpressionAttributeNames unused in expressions: keys: {#b}");
}

static void test_syntax_errors_name_token_and_neighbourhood(void **state)
{
    fx_t *f = *state;
    ctx(f, NULL, "{\":v\":{\"N\":\"1\"}}");
    assert_string_equal(parse_error(f, PT_EXPR_CONDITION, "a = :v b = :v"),
                        "Invalid ConditionExpression: Syntax error; token: \"b\", near: \":v b =\"");
    assert_string_equal(parse_error(f, PT_EXPR_FILTER, "a BETWEEN :v"),
                        "Invalid FilterExpression: Syntax error; token: \"<EOF>\", near: \":v\"");
    assert_string_equal(parse_error(f, PT_EXPR_UPDATE, "SET a[x] = :v"),
                        "Invalid UpdateExpression: Syntax error; token: \"x\", near: \"[x]\"");
    assert_string_equal(parse_error(f, PT_EXPR_PROJECTION, "a..b"),
                        "Invalid ProjectionExpression: Syntax error; token: \".\", near: \"..b\"");
}

static void test_reserved_word_error_wins_over_undefined_name_in_projection(void **state)
{
    fx_t *f = *state;
    ctx(f, NULL, NULL);
    assert_string_equal(parse_error(f, PT_EXPR_PROJECTION, "#x, comment"),
                        "Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: comment");
}

static void test_comparisons_follow_dynamodb_type_rules(void **state)
{
    fx_t *f = *state;
    ctx(f, NULL, "{\":n\":{\"N\":\"10\"},\":s\":{\"S\":\"10\"},\":b\":{\"B\":\"AQ==\"}}");
    const char *it = "{\"n\":{\"N\":\"9.5\"},\"s\":{\"S\":\"1\"},\"b\":{\"B\":\"AA==\"}}";
    assert_true(eval(f, "n < :n", it));
    assert_false(eval(f, "n < :s", it));   /* different types: false */
    assert_true(eval(f, "n <> :s", it));
    assert_true(eval(f, "s < :s", it));    /* "1" < "10" bytewise */
    assert_true(eval(f, "b < :b", it));
    assert_false(eval(f, "nope < :n", it));
    assert_true(eval(f, "nope <> :n", it));
}

static void test_size_of_each_type(void **state)
{
    fx_t *f = *state;
    ctx(f, NULL, "{\":0\":{\"N\":\"0\"},\":1\":{\"N\":\"1\"},\":2\":{\"N\":\"2\"},\":3\":{\"N\":\"3\"}}");
    const char *it = "{\"s\":{\"S\":\"h\\u00e9y\"},\"b\":{\"B\":\"AQI=\"},\"ss\":{\"SS\":[\"a\"]},"
                     "\"l\":{\"L\":[]},\"m\":{\"M\":{\"a\":{\"N\":\"1\"},\"b\":{\"N\":\"1\"}}},\"n\":{\"N\":\"5\"}}";
    assert_true(eval(f, "size(s) = :3", it)); /* characters, not bytes */
    assert_true(eval(f, "size(b) = :2", it));
    assert_true(eval(f, "size(ss) = :1", it));
    assert_true(eval(f, "size(l) = :0", it));
    assert_true(eval(f, "size(m) = :2", it));
    assert_false(eval(f, "size(n) = :1", it));
    assert_true(eval(f, "size(n) <> :1", it)); /* no size: only <> holds */
}

static void test_update_applies_all_clauses_against_old_item(void **state)
{
    fx_t *f = *state;
    ctx(f, NULL, "{\":one\":{\"N\":\"1\"},\":s\":{\"SS\":[\"b\"]},\":l\":{\"L\":[{\"N\":\"9\"}]}}");
    pt_expr_t *u = parse(f, PT_EXPR_UPDATE,
                         "SET a = b, b = a, c = c + :one, l = list_append(l, :l) REMOVE l2[0] ADD s :s DELETE t :s");
    pt_av_t old = item(f, "{\"a\":{\"N\":\"1\"},\"b\":{\"N\":\"2\"},\"c\":{\"N\":\"0.5\"},\"l\":{\"L\":[]},"
                          "\"l2\":{\"L\":[{\"N\":\"1\"},{\"N\":\"2\"}]},\"s\":{\"SS\":[\"a\"]},\"t\":{\"SS\":[\"b\"]}}");
    char *before = to_json(f, &old);
    pt_av_t out;
    assert_int_equal(pt_expr_apply_update(&f->arena, u, &old, &out, &f->err), PT_OK);
    assert_string_equal(to_json(f, &out),
                        "{\"a\":{\"N\":\"2\"},\"b\":{\"N\":\"1\"},\"c\":{\"N\":\"1.5\"},\"l\":{\"L\":[{\"N\":\"9\"}]},"
                        "\"l2\":{\"L\":[{\"N\":\"2\"}]},\"s\":{\"SS\":[\"a\",\"b\"]}}");
    assert_string_equal(to_json(f, &old), before); /* the old item is untouched */
    pt_av_t updated;
    assert_int_equal(pt_expr_project_updated(&f->arena, u, &out, &updated), PT_OK);
    assert_string_equal(to_json(f, &updated),
                        "{\"a\":{\"N\":\"2\"},\"b\":{\"N\":\"1\"},\"c\":{\"N\":\"1.5\"},\"l\":{\"L\":[{\"N\":\"9\"}]},"
                        "\"l2\":{\"L\":[{\"N\":\"2\"}]},\"s\":{\"SS\":[\"a\",\"b\"]}}");
}

static void test_update_overlapping_paths_rejected(void **state)
{
    fx_t *f = *state;
    ctx(f, NULL, "{\":v\":{\"N\":\"1\"}}");
    assert_string_equal(parse_error(f, PT_EXPR_UPDATE, "SET a.b[1] = :v ADD a.b :v"),
                        "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite "
                        "one of these paths; path one: [a, b, [1]], path two: [a, b]");
}

static void test_projection_keeps_only_named_parts(void **state)
{
    fx_t *f = *state;
    ctx(f, NULL, NULL);
    pt_expr_t *p = parse(f, PT_EXPR_PROJECTION, "l[1], m.b, zz");
    pt_av_t it = item(f, "{\"l\":{\"L\":[{\"N\":\"0\"},{\"N\":\"1\"}]},\"m\":{\"M\":{\"a\":{\"N\":\"1\"},\"b\":{\"N\":\"2\"}}},"
                         "\"x\":{\"S\":\"x\"}}");
    pt_av_t out;
    assert_int_equal(pt_expr_project(&f->arena, p, &it, &out), PT_OK);
    assert_string_equal(to_json(f, &out), "{\"l\":{\"L\":[{\"N\":\"1\"}]},\"m\":{\"M\":{\"b\":{\"N\":\"2\"}}}}");
}

static void test_references_reports_nested_use(void **state)
{
    fx_t *f = *state;
    ctx(f, NULL, "{\":v\":{\"N\":\"1\"}}");
    pt_expr_t *e = parse(f, PT_EXPR_CONDITION, "a.b = :v AND size(c) > :v");
    bool nested = false;
    assert_true(pt_expr_references(e, "a", 1, &nested));
    assert_true(nested);
    assert_true(pt_expr_references(e, "c", 1, &nested));
    assert_false(nested);
    assert_false(pt_expr_references(e, "b", 1, &nested));
}

static void test_key_condition_resolves_hash_and_range(void **state)
{
    fx_t *f = *state;
    ctx(f, NULL, "{\":h\":{\"S\":\"x\"},\":lo\":{\"N\":\"1\"},\":hi\":{\"N\":\"5\"}}");
    pt_expr_t *kc = parse(f, PT_EXPR_KEY_CONDITION, "pk = :h AND sk BETWEEN :lo AND :hi");
    pt_key_condition_t out;
    assert_int_equal(pt_expr_key_condition(kc, "pk", PT_AV_S, "sk", PT_AV_N, &out, &f->err), PT_OK);
    assert_int_equal(out.range_op, PT_KC_BETWEEN);
    assert_string_equal(out.hash->u.str, "x");
    kc = parse(f, PT_EXPR_KEY_CONDITION, ":lo < sk AND pk = :h");
    assert_int_equal(pt_expr_key_condition(kc, "pk", PT_AV_S, "sk", PT_AV_N, &out, &f->err), PT_OK);
    assert_int_equal(out.range_op, PT_KC_GT);
    kc = parse(f, PT_EXPR_KEY_CONDITION, "pk = :h OR sk = :lo");
    assert_int_equal(pt_expr_key_condition(kc, "pk", PT_AV_S, "sk", PT_AV_N, &out, &f->err), PT_ERR);
    assert_string_equal(f->err.message, "Invalid operator used in KeyConditionExpression: OR");
    kc = parse(f, PT_EXPR_KEY_CONDITION, "sk = :lo");
    assert_int_equal(pt_expr_key_condition(kc, "pk", PT_AV_S, "sk", PT_AV_N, &out, &f->err), PT_ERR);
    assert_string_equal(f->err.message, "Query condition missed key schema element: pk");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_and_binds_tighter_than_or, setup, teardown),
        cmocka_unit_test_setup_teardown(test_placeholders_resolve_names_and_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unused_placeholders_are_reported_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_syntax_errors_name_token_and_neighbourhood, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reserved_word_error_wins_over_undefined_name_in_projection, setup, teardown),
        cmocka_unit_test_setup_teardown(test_comparisons_follow_dynamodb_type_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_size_of_each_type, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_applies_all_clauses_against_old_item, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_overlapping_paths_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_projection_keeps_only_named_parts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_references_reports_nested_use, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_condition_resolves_hash_and_range, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
