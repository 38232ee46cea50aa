/* Unit tests of the gateway's configuration loader, router and templates
 * (src/gateway/gw_config.c, gw_router.c, gw_template.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/gw_internal.h"
#include "util/error.h"

static gw_config_t *load_ok(const char *yaml)
{
    gw_config_t *c = NULL;
    char err[4096] = "";
    int rc = gw_config_parse("t.yaml", yaml, strlen(yaml), &c, err, sizeof err);
    if (rc) fprintf(stderr, "unexpected error: %s\n", err);
    assert_int_equal(rc, PT_OK);
    assert_non_null(c);
    return c;
}

static void load_err(const char *yaml, char *err, size_t errlen)
{
    gw_config_t *c = NULL;
    err[0] = 0;
    assert_int_equal(gw_config_parse("t.yaml", yaml, strlen(yaml), &c, err, errlen), PT_ERR);
    assert_null(c);
}

static const char BASE[] =
    "gateway:\n"
    "  apis:\n"
    "    - name: todo\n"
    "      basePath: /todo\n"
    "      stages: [{name: prod, variables: {table: todos}}]\n"
    "      routes:\n"
    "        - {method: GET, path: /items/new, integration: {type: mock, body: new}}\n"
    "        - {method: GET, path: '/items/{id}', integration: {type: mock, body: id}}\n"
    "        - {method: ANY, path: '/{proxy+}', integration: {type: mock, body: proxy}}\n"
    "        - {method: DELETE, path: '/only/{x}', integration: {type: mock}}\n"
    "        - {method: GET, path: /, integration: {type: mock, body: root}}\n";

static void test_file_without_gateway_section_is_not_an_error(void **state)
{
    gw_config_t *c = (gw_config_t *)1;
    char err[256];
    const char *json = "{\"credentials\": [{\"accessKeyId\": \"x\"}]}";
    assert_int_equal(gw_config_parse("c.json", json, strlen(json), &c, err, sizeof err), PT_OK);
    assert_null(c);
}

static void test_defaults_listen_8080_and_metrics(void **state)
{
    gw_config_t *c = load_ok(BASE);
    assert_string_equal(c->listen_host, "127.0.0.1");
    assert_int_equal(c->listen_port, 8080);
    assert_string_equal(c->metrics_path, "/metrics");
    assert_int_equal(c->max_body, 10u * 1024u * 1024u);
    assert_string_equal(c->apis[0].base_path, "/todo");
    gw_config_unref(c);
}

static void test_errors_name_file_line_and_field(void **state)
{
    char err[4096];
    load_err("gateway:\n"
             "  apis:\n"
             "    - name: a\n"
             "      stages: [{name: s}]\n"
             "      routes:\n"
             "        - method: GET\n"
             "          path: /x\n"
             "          integration: {type: lambda}\n",
             err, sizeof err);
    assert_string_equal(err, "t.yaml:8:31: gateway.apis[0].routes[0].integration.type: "
                             "must be one of dynamodb, http, mock (got 'lambda')");
}

static void test_every_error_is_reported_not_only_the_first(void **state)
{
    char err[4096];
    load_err("gateway:\n"
             "  listen: nowhere\n"
             "  apis:\n"
             "    - name: a\n"
             "      stages: [{name: s, throttle: {rate: -1}}]\n"
             "      routes:\n"
             "        - {method: FETCH, path: x, integration: {type: mock}, colour: red}\n",
             err, sizeof err);
    assert_non_null(strstr(err, "t.yaml:2:11: gateway.listen: expects HOST:PORT"));
    assert_non_null(strstr(err, "gateway.apis[0].stages[0].throttle.rate: must be between"));
    assert_non_null(strstr(err, "gateway.apis[0].routes[0].colour: unknown field"));
    assert_non_null(strstr(err, "gateway.apis[0].routes[0].method: must be one of GET"));
    assert_non_null(strstr(err, "gateway.apis[0].routes[0].path: must start with '/'"));
}

static void test_yaml_syntax_error_has_position(void **state)
{
    char err[1024];
    load_err("gateway:\n  apis: [\n", err, sizeof err);
    assert_non_null(strstr(err, "t.yaml:3:1: YAML syntax error"));
}

static void test_duplicate_route_and_conflicting_params_rejected(void **state)
{
    char err[4096];
    load_err("gateway:\n  apis:\n    - name: a\n      stages: [{name: s}]\n      routes:\n"
             "        - {method: GET, path: /x, integration: {type: mock}}\n"
             "        - {method: GET, path: /x, integration: {type: mock}}\n",
             err, sizeof err);
    assert_non_null(strstr(err, "duplicate route GET /x"));
    load_err("gateway:\n  apis:\n    - name: a\n      stages: [{name: s}]\n      routes:\n"
             "        - {method: GET, path: '/x/{id}', integration: {type: mock}}\n"
             "        - {method: GET, path: '/x/{name}/y', integration: {type: mock}}\n",
             err, sizeof err);
    assert_non_null(strstr(err, "path parameter {name} conflicts with {id}"));
    load_err("gateway:\n  apis:\n    - name: a\n      stages: [{name: s}]\n      routes:\n"
             "        - {method: GET, path: '/x/{p+}/y', integration: {type: mock}}\n",
             err, sizeof err);
    assert_non_null(strstr(err, "greedy parameter '{p+}' must be the last segment"));
}

static void test_bad_placeholder_rejected_at_load(void **state)
{
    char err[4096];
    load_err("gateway:\n  apis:\n    - name: a\n      stages: [{name: s}]\n      routes:\n"
             "        - method: GET\n          path: /x\n          integration:\n"
             "            type: dynamodb\n            action: GetItem\n"
             "            request: {TableName: '${cookie.t}'}\n",
             err, sizeof err);
    assert_non_null(strstr(err, "gateway.apis[0].routes[0].integration.request: unknown placeholder source in ${cookie.t}"));
}

static int match(const gw_config_t *c, int method, const char *const *segs, size_t n, gw_match_t *m)
{
    pt_arena_t a;
    pt_arena_init(&a);
    int rc = gw_router_match(&c->apis[0], method, segs, n, &a, m);
    /* params point into segs (or into the arena for greedy values): copy out */
    static char greedy[256];
    for (size_t i = 0; i < m->nparams; i++)
        if (strchr(m->params[i].value, '/') || !strcmp(m->params[i].name, "proxy")) {
            snprintf(greedy, sizeof greedy, "%s", m->params[i].value);
            m->params[i].value = greedy;
        }
    pt_arena_destroy(&a);
    return rc;
}

static void test_literal_beats_param_beats_greedy(void **state)
{
    gw_config_t *c = load_ok(BASE);
    gw_match_t m;
    const char *s1[] = {"items", "new"};
    assert_int_equal(match(c, GW_M_GET, s1, 2, &m), PT_OK);
    assert_string_equal(m.route->path, "/items/new");
    const char *s2[] = {"items", "42"};
    assert_int_equal(match(c, GW_M_GET, s2, 2, &m), PT_OK);
    assert_string_equal(m.route->path, "/items/{id}");
    assert_int_equal(m.nparams, 1);
    assert_string_equal(m.params[0].name, "id");
    assert_string_equal(m.params[0].value, "42");
    const char *s3[] = {"a", "b", "c"};
    assert_int_equal(match(c, GW_M_PATCH, s3, 3, &m), PT_OK);
    assert_string_equal(m.route->path, "/{proxy+}");
    assert_string_equal(m.params[0].value, "a/b/c");
    assert_int_equal(match(c, GW_M_GET, NULL, 0, &m), PT_OK);
    assert_string_equal(m.route->path, "/");
    gw_config_unref(c);
}

static void test_method_missing_on_specific_route_falls_back_to_any(void **state)
{
    gw_config_t *c = load_ok(BASE);
    gw_match_t m;
    const char *s[] = {"items", "42"};
    assert_int_equal(match(c, GW_M_POST, s, 2, &m), PT_OK);
    assert_string_equal(m.route->path, "/{proxy+}");
    assert_string_equal(m.params[0].value, "items/42");
    gw_config_unref(c);
}

static void test_405_with_allow_when_path_matches_but_not_method(void **state)
{
    gw_config_t *c = load_ok("gateway:\n  apis:\n    - name: a\n      stages: [{name: s}]\n      routes:\n"
                             "        - {method: GET, path: '/x/{id}', integration: {type: mock}}\n"
                             "        - {method: PUT, path: '/x/{id}', integration: {type: mock}}\n");
    gw_match_t m;
    const char *s[] = {"x", "1"};
    assert_int_equal(match(c, GW_M_DELETE, s, 2, &m), PT_NOTFOUND);
    assert_true(m.path_matched);
    assert_string_equal(m.allow, "GET, PUT");
    const char *s2[] = {"y"};
    assert_int_equal(match(c, GW_M_GET, s2, 1, &m), PT_NOTFOUND);
    assert_false(m.path_matched);
    gw_config_unref(c);
}

static void test_template_values_cannot_inject_json(void **state)
{
    pt_arena_t a;
    pt_arena_init(&a);
    gw_node_t *root;
    char err[256];
    const char *y = "{TableName: '${stage.table}', Key: {id: {S: '${path.id}'}}, Limit: '${query.n|number}',"
                    " Note: 'id=${path.id}!', Opt: '${query.missing}'}";
    assert_int_equal(gw_yaml_parse("t", y, strlen(y), &a, &root, err, sizeof err), PT_OK);
    gw_tpl_t *t;
    assert_int_equal(gw_tpl_compile(&a, root, &t, err, sizeof err), PT_OK);
    const char *evil = "x\"}, \"Evil\": {\"S\": \"1";
    gw_kv_t path[] = {{"id", evil, 2, strlen(evil)}};
    gw_kv_t query[] = {{"n", "10", 1, 2}};
    gw_kv_t stage[] = {{"table", "todos", 5, 5}};
    gw_tctx_t ctx = {.path = path, .npath = 1, .query = query, .nquery = 1, .stage = stage, .nstage = 1};
    pt_buf_t out = PT_BUF_INIT;
    assert_int_equal(gw_tpl_render_json(t, &ctx, &a, &out, err, sizeof err), PT_OK);
    pt_buf_putc(&out, 0);
    assert_string_equal(out.data,
                        "{\"TableName\":\"todos\",\"Key\":{\"id\":{\"S\":\"x\\\"}, \\\"Evil\\\": {\\\"S\\\": \\\"1\"}},"
                        "\"Limit\":10,\"Note\":\"id=x\\\"}, \\\"Evil\\\": {\\\"S\\\": \\\"1!\"}");
    /* a number filter refuses what is not a number */
    gw_kv_t bad[] = {{"n", "1,\"x\":2", 1, 7}};
    ctx.query = bad;
    pt_buf_clear(&out);
    assert_int_equal(gw_tpl_render_json(t, &ctx, &a, &out, err, sizeof err), PT_ERR);
    assert_string_equal(err, "${query.n|number} must be a number");
    pt_buf_free(&out);
    pt_arena_destroy(&a);
}

static void test_item_filter_marshals_plain_json_body(void **state)
{
    pt_arena_t a;
    pt_arena_init(&a);
    gw_node_t *root;
    char err[256];
    const char *y = "{Item: '${body|item}'}";
    assert_int_equal(gw_yaml_parse("t", y, strlen(y), &a, &root, err, sizeof err), PT_OK);
    gw_tpl_t *t;
    assert_int_equal(gw_tpl_compile(&a, root, &t, err, sizeof err), PT_OK);
    const char *body = "{\"id\":\"1\",\"n\":2.5,\"ok\":true,\"tags\":[\"a\"],\"m\":{\"x\":null}}";
    pt_json_t bj;
    assert_int_equal(pt_json_parse(&a, body, strlen(body), &bj, NULL, 0), PT_OK);
    gw_tctx_t ctx = {.body = &bj};
    pt_buf_t out = PT_BUF_INIT;
    assert_int_equal(gw_tpl_render_json(t, &ctx, &a, &out, err, sizeof err), PT_OK);
    pt_buf_putc(&out, 0);
    assert_string_equal(out.data, "{\"Item\":{\"id\":{\"S\":\"1\"},\"n\":{\"N\":\"2.5\"},\"ok\":{\"BOOL\":true},"
                                  "\"tags\":{\"L\":[{\"S\":\"a\"}]},\"m\":{\"M\":{\"x\":{\"NULL\":true}}}}}");
    /* and back */
    pt_json_t item;
    const char *typed = "{\"id\":{\"S\":\"1\"},\"n\":{\"N\":\"2.5\"},\"s\":{\"NS\":[\"1\",\"2\"]},\"z\":{\"NULL\":true}}";
    assert_int_equal(pt_json_parse(&a, typed, strlen(typed), &item, NULL, 0), PT_OK);
    pt_buf_clear(&out);
    pt_jw_t w;
    pt_jw_init(&w, &out);
    gw_ddb_unmarshal_item(&w, &item);
    pt_buf_putc(&out, 0);
    assert_string_equal(out.data, "{\"id\":\"1\",\"n\":2.5,\"s\":[1,2],\"z\":null}");
    pt_buf_free(&out);
    pt_arena_destroy(&a);
}

static void test_text_template_escapes_for_json_strings(void **state)
{
    pt_arena_t a;
    pt_arena_init(&a);
    gw_tpl_t *t;
    char err[128];
    const char *s = "{\"id\":\"${path.id}\",\"lit\":\"$${x}\"}";
    assert_int_equal(gw_tpl_compile_text(&a, s, strlen(s), &t, err, sizeof err), PT_OK);
    gw_kv_t path[] = {{"id", "a\"\n", 2, 3}};
    gw_tctx_t ctx = {.path = path, .npath = 1};
    pt_buf_t out = PT_BUF_INIT;
    gw_tpl_render_text(t, &ctx, true, &out);
    pt_buf_putc(&out, 0);
    assert_string_equal(out.data, "{\"id\":\"a\\\"\\n\",\"lit\":\"${x}\"}");
    pt_buf_free(&out);
    pt_arena_destroy(&a);
}

static void test_token_bucket_allows_burst_then_refuses(void **state)
{
    gw_throttle_t t = {true, 10, 3};
    gw_bucket_t b;
    gw_bucket_init(&b, &t);
    uint64_t now = b.last_ns;
    double wait = 0;
    assert_true(gw_bucket_take(&b, now, &wait));
    assert_true(gw_bucket_take(&b, now, &wait));
    assert_true(gw_bucket_take(&b, now, &wait));
    assert_false(gw_bucket_take(&b, now, &wait));
    assert_true(wait > 0.09 && wait <= 0.1 + 1e-9);
    assert_true(gw_bucket_take(&b, now + 100000000ull, &wait)); /* 0.1 s later: one token */
    gw_bucket_destroy(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_file_without_gateway_section_is_not_an_error),
        cmocka_unit_test(test_defaults_listen_8080_and_metrics),
        cmocka_unit_test(test_errors_name_file_line_and_field),
        cmocka_unit_test(test_every_error_is_reported_not_only_the_first),
        cmocka_unit_test(test_yaml_syntax_error_has_position),
        cmocka_unit_test(test_duplicate_route_and_conflicting_params_rejected),
        cmocka_unit_test(test_bad_placeholder_rejected_at_load),
        cmocka_unit_test(test_literal_beats_param_beats_greedy),
        cmocka_unit_test(test_method_missing_on_specific_route_falls_back_to_any),
        cmocka_unit_test(test_405_with_allow_when_path_matches_but_not_method),
        cmocka_unit_test(test_template_values_cannot_inject_json),
        cmocka_unit_test(test_item_filter_marshals_plain_json_body),
        cmocka_unit_test(test_text_template_escapes_for_json_strings),
        cmocka_unit_test(test_token_bucket_allows_burst_then_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
