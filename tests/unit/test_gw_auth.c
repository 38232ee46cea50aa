/* Unit tests of the gateway's JWT verification (gw_jwt.c), JSON Schema
 * models (gw_schema.c) and the configuration of authorizers and models
 * (gw_config.c). RS256/ES256 signatures are covered end to end by
 * tests/integration/test_gateway_auth.py with keys made by openssl. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "gateway/gw_internal.h"
#include "util/error.h"

/* "0123456789abcdef0123456789abcdef" */
static const char JWKS[] =
    "{\"keys\":[{\"kty\":\"oct\",\"kid\":\"hs\",\"k\":\"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY\"},"
    "{\"kty\":\"oct\",\"use\":\"enc\",\"k\":\"AAAA\"},{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"AA\"}]}";

static void b64u(const unsigned char *in, size_t n, char *out)
{
    static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) | (i + 2 < n ? in[i + 2] : 0);
        out[o++] = al[v >> 18 & 63];
        out[o++] = al[v >> 12 & 63];
        if (i + 1 < n) out[o++] = al[v >> 6 & 63];
        if (i + 2 < n) out[o++] = al[v & 63];
    }
    out[o] = 0;
}

/* An HS256 token with the test key. */
static void hs256(const char *header, const char *payload, char *out)
{
    char h[512], p[1024];
    b64u((const unsigned char *)header, strlen(header), h);
    b64u((const unsigned char *)payload, strlen(payload), p);
    char signing[1600];
    snprintf(signing, sizeof signing, "%s.%s", h, p);
    unsigned char mac[32];
    unsigned int ml = 0;
    HMAC(EVP_sha256(), "0123456789abcdef0123456789abcdef", 32, (const unsigned char *)signing, strlen(signing), mac,
         &ml);
    char s[64];
    b64u(mac, 32, s);
    sprintf(out, "%s.%s", signing, s);
}

static gw_jwt_status_t verify(const char *payload, const char *header, const gw_jwt_rules_t *rules, int64_t now)
{
    gw_jwks_t *k;
    char err[128];
    assert_int_equal(gw_jwks_parse(JWKS, strlen(JWKS), &k, err, sizeof err), PT_OK);
    char tok[4096];
    hs256(header, payload, tok);
    pt_arena_t a;
    pt_arena_init(&a);
    pt_json_t claims;
    char why[160];
    gw_jwt_status_t st = gw_jwt_verify(tok, strlen(tok), k, rules, now, &a, &claims, why, sizeof why);
    pt_arena_destroy(&a);
    gw_jwks_unref(k);
    return st;
}

static const gw_jwt_rules_t ANY = {NULL, NULL, 0, GW_ALG_HS256 | GW_ALG_RS256 | GW_ALG_ES256, 60};

static void test_jwks_skips_enc_and_unsupported_keys(void **state)
{
    gw_jwks_t *k;
    char err[128];
    assert_int_equal(gw_jwks_parse(JWKS, strlen(JWKS), &k, err, sizeof err), PT_OK);
    assert_int_equal(k->n, 1);
    assert_string_equal(k->keys[0].kid, "hs");
    assert_int_equal(k->keys[0].secret_len, 32);
    gw_jwks_unref(k);
    assert_int_equal(gw_jwks_parse("{\"keys\":{}}", 11, &k, err, sizeof err), PT_ERR);
    assert_string_equal(err, "a JWKS is an object with a \"keys\" array");
    const char *small = "{\"keys\":[{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"}]}";
    assert_int_equal(gw_jwks_parse(small, strlen(small), &k, err, sizeof err), PT_ERR);
    assert_string_equal(err, "keys[0]: RSA keys must have at least 2048 bits");
}

static void test_b64url_decodes_with_and_without_padding(void **state)
{
    unsigned char out[16];
    assert_int_equal(gw_b64url_decode("_-8", 3, out), 2);
    assert_int_equal(out[0], 0xff);
    assert_int_equal(out[1], 0xef);
    assert_int_equal(gw_b64url_decode("QQ==", 4, out), 1);
    assert_int_equal(gw_b64url_decode("Q+==", 4, out), -1); /* '+' is base64, not base64url */
    assert_int_equal(gw_b64url_decode("Q", 1, out), -1);
}

static void test_hs256_valid_token_verifies(void **state)
{
    assert_int_equal(verify("{\"exp\":2000,\"sub\":\"a\"}", "{\"alg\":\"HS256\",\"kid\":\"hs\"}", &ANY, 1000), GW_JWT_OK);
    /* no kid: every key of the right type is tried */
    assert_int_equal(verify("{\"exp\":2000}", "{\"alg\":\"HS256\"}", &ANY, 1000), GW_JWT_OK);
}

static void test_expiry_not_before_and_leeway(void **state)
{
    const char *h = "{\"alg\":\"HS256\"}";
    assert_int_equal(verify("{\"exp\":1000}", h, &ANY, 1060), GW_JWT_OK);      /* within 60 s */
    assert_int_equal(verify("{\"exp\":1000}", h, &ANY, 1061), GW_JWT_INVALID);
    assert_int_equal(verify("{\"exp\":5000,\"nbf\":1100}", h, &ANY, 1000), GW_JWT_INVALID);
    assert_int_equal(verify("{\"exp\":5000,\"nbf\":1050}", h, &ANY, 1000), GW_JWT_OK);
    assert_int_equal(verify("{\"sub\":\"no exp\"}", h, &ANY, 1000), GW_JWT_INVALID);
    assert_int_equal(verify("{\"exp\":\"2000\"}", h, &ANY, 1000), GW_JWT_INVALID);
}

static void test_issuer_audience_and_client_id(void **state)
{
    const char *auds[] = {"api"};
    gw_jwt_rules_t r = {"https://i", auds, 1, GW_ALG_HS256, 0};
    const char *h = "{\"alg\":\"HS256\"}";
    assert_int_equal(verify("{\"exp\":2000,\"iss\":\"https://i\",\"aud\":\"api\"}", h, &r, 1000), GW_JWT_OK);
    assert_int_equal(verify("{\"exp\":2000,\"iss\":\"https://i\",\"aud\":[\"x\",\"api\"]}", h, &r, 1000), GW_JWT_OK);
    assert_int_equal(verify("{\"exp\":2000,\"iss\":\"https://i\",\"client_id\":\"api\"}", h, &r, 1000), GW_JWT_OK);
    assert_int_equal(verify("{\"exp\":2000,\"iss\":\"https://j\",\"aud\":\"api\"}", h, &r, 1000), GW_JWT_INVALID);
    assert_int_equal(verify("{\"exp\":2000,\"iss\":\"https://i\",\"aud\":\"apix\"}", h, &r, 1000), GW_JWT_INVALID);
}

static void test_algorithm_must_be_allowed_and_match_key_type(void **state)
{
    gw_jwt_rules_t rs_only = ANY;
    rs_only.algs = GW_ALG_RS256;
    assert_int_equal(verify("{\"exp\":2000}", "{\"alg\":\"HS256\"}", &rs_only, 1000), GW_JWT_INVALID);
    assert_int_equal(verify("{\"exp\":2000}", "{\"alg\":\"none\"}", &ANY, 1000), GW_JWT_INVALID);
    /* RS256 header on an HMAC-signed token: no RSA key in the set */
    assert_int_equal(verify("{\"exp\":2000}", "{\"alg\":\"RS256\"}", &ANY, 1000), GW_JWT_NO_KEY);
    assert_int_equal(verify("{\"exp\":2000}", "{\"alg\":\"HS256\",\"kid\":\"other\"}", &ANY, 1000), GW_JWT_NO_KEY);
    assert_int_equal(verify("{\"exp\":2000}", "{\"alg\":\"HS256\",\"crit\":[\"x\"]}", &ANY, 1000), GW_JWT_INVALID);
}

static void test_scope_string_or_scp_array(void **state)
{
    pt_arena_t a;
    pt_arena_init(&a);
    pt_json_t c;
    const char *need[] = {"admin", "root"};
    const char *doc = "{\"scope\":\"read  root\"}";
    assert_int_equal(pt_json_parse(&a, doc, strlen(doc), &c, NULL, 0), PT_OK);
    assert_true(gw_jwt_has_scope(&c, need, 2));
    doc = "{\"scope\":\"read rootx\",\"scp\":[\"x\"]}";
    assert_int_equal(pt_json_parse(&a, doc, strlen(doc), &c, NULL, 0), PT_OK);
    assert_false(gw_jwt_has_scope(&c, need, 2));
    assert_true(gw_jwt_has_scope(&c, need, 0));
    doc = "{\"scp\":[\"admin\"]}";
    assert_int_equal(pt_json_parse(&a, doc, strlen(doc), &c, NULL, 0), PT_OK);
    assert_true(gw_jwt_has_scope(&c, need, 2));
    pt_arena_destroy(&a);
}

/* ------------------------------------------------------------- schemas */

/* Validates `json` against the YAML schema; returns the errors array text. */
static char *check(const char *yaml_schema, const char *json, size_t *count)
{
    static char out[2048];
    pt_arena_t a;
    pt_arena_init(&a);
    gw_node_t *root;
    char err[256];
    assert_int_equal(gw_yaml_parse("s.yaml", yaml_schema, strlen(yaml_schema), &a, &root, err, sizeof err), PT_OK);
    void **re = NULL;
    size_t nre = 0;
    gw_schema_t *s = gw_schema_alloc(&a);
    gw_models_t models = {0};
    int rc = gw_schema_compile(&a, root, &models, &re, &nre, s, err, sizeof err);
    if (rc) fprintf(stderr, "%s\n", err);
    assert_int_equal(rc, PT_OK);
    pt_json_t doc;
    assert_int_equal(pt_json_parse(&a, json, strlen(json), &doc, NULL, 0), PT_OK);
    pt_buf_t b = PT_BUF_INIT;
    pt_jw_t w;
    pt_jw_init(&w, &b);
    pt_jw_arr_begin(&w);
    *count = gw_schema_validate(s, &doc, &w, 10);
    pt_jw_arr_end(&w);
    snprintf(out, sizeof out, "%.*s", (int)b.len, b.data);
    pt_buf_free(&b);
    gw_schema_free_regexes(re, nre);
    pt_arena_destroy(&a);
    return out;
}

static void test_schema_reports_fge_messages_with_pointers(void **state)
{
    size_t n;
    const char *s = "{type: object, required: [name], properties: {a: {type: array, items: {type: integer, maximum: 3}}}}";
    assert_string_equal(check(s, "{\"a\":[1,2]}", &n),
                        "[{\"field\":\"\",\"message\":\"object has missing required properties ([\\\"name\\\"])\"}]");
    assert_int_equal(n, 1);
    assert_string_equal(check(s, "{\"name\":1,\"a\":[1,7]}", &n),
                        "[{\"field\":\"/a/1\",\"message\":\"numeric instance is greater than the required maximum "
                        "(maximum: 3, found: 7)\"}]");
    /* children are not checked when the parent already failed (as fge) */
    assert_string_equal(check(s, "{\"a\":[9]}", &n),
                        "[{\"field\":\"\",\"message\":\"object has missing required properties ([\\\"name\\\"])\"}]");
    check(s, "{\"name\":null,\"a\":[]}", &n);
    assert_int_equal(n, 0);
}

static void test_schema_pattern_translates_ecma_classes(void **state)
{
    size_t n;
    const char *s = "{type: string, pattern: '^\\d{2}-[\\w]+$'}";
    check(s, "\"12-ab_c\"", &n);
    assert_int_equal(n, 0);
    check(s, "\"1x-ab\"", &n);
    assert_int_equal(n, 1);
}

static void test_schema_pointer_escapes_and_integer_is_a_number(void **state)
{
    size_t n;
    const char *s = "{properties: {'a/b~': {type: number, exclusiveMaximum: true, maximum: 2}}}";
    assert_string_equal(check(s, "{\"a/b~\":2}", &n),
                        "[{\"field\":\"/a~1b~0\",\"message\":\"numeric instance is not lower than the required "
                        "maximum (maximum: 2, found: 2)\"}]");
    check(s, "{\"a/b~\":1}", &n);
    assert_int_equal(n, 0);
}

/* -------------------------------------------------------------- config */

static void test_config_rejects_bad_authorizers_and_models(void **state)
{
    const char *yaml =
        "gateway:\n"
        "  authorizers:\n"
        "    - {name: a, type: jwt, jwks: {file: /nonexistent/keys.json}}\n"
        "    - {name: b, type: custom}\n"
        "    - {name: c, type: jwt, algorithms: [PS256], jwks: {url: 'https://x'}}\n"
        "  apis:\n"
        "    - name: x\n"
        "      stages: [{name: s}]\n"
        "      models: {M: {type: object, allOf: []}, N: {$ref: Nope}}\n"
        "      routes:\n"
        "        - {method: GET, path: /a, auth: {authorizer: b, scopes: [x]}, integration: {type: mock}}\n";
    gw_config_t *c;
    char err[4096];
    assert_int_equal(gw_config_parse("t.yaml", yaml, strlen(yaml), &c, err, sizeof err), PT_ERR);
    assert_non_null(strstr(err, "t.yaml:3:41: gateway.authorizers[0].jwks.file: cannot read '/nonexistent/keys.json'"));
    assert_non_null(strstr(err, "gateway.authorizers[1].url: required field is missing"));
    assert_non_null(strstr(err, "gateway.authorizers[2].algorithms: must be HS256, RS256 or ES256 (got 'PS256')"));
    assert_non_null(strstr(err, "gateway.authorizers[2].jwks.url: must start with http://"));
    assert_non_null(strstr(err, "gateway.apis[0].models.M: schema.allOf: unsupported JSON Schema keyword"));
    assert_non_null(strstr(err, "gateway.apis[0].models.N: schema.$ref: unknown model 'Nope'"));
    assert_non_null(strstr(err, "gateway.apis[0].routes[0].auth.scopes: scopes need a jwt authorizer"));
}

static void test_config_models_may_refer_forward_and_admin_defaults(void **state)
{
    const char *yaml =
        "gateway:\n"
        "  authorizers: [{name: k, type: sigv4}]\n"
        "  apis:\n"
        "    - name: x\n"
        "      stages: [{name: s}]\n"
        "      models: {A: {type: array, items: {$ref: '#/models/B'}}, B: {type: string}}\n"
        "      routes:\n"
        "        - {method: POST, path: /a, auth: {authorizer: k}, request: {body: A}, integration: {type: mock}}\n";
    gw_config_t *c;
    char err[4096] = "";
    int rc = gw_config_parse("t.yaml", yaml, strlen(yaml), &c, err, sizeof err);
    if (rc) fprintf(stderr, "%s\n", err);
    assert_int_equal(rc, PT_OK);
    assert_string_equal(c->admin_path, "/_admin/reload");
    assert_null(c->admin_key_hash);
    assert_ptr_equal(c->apis[0].routes[0].authorizer, &c->authorizers[0]);
    assert_string_equal(c->authorizers[0].service, "execute-api");
    assert_string_equal(c->apis[0].routes[0].body_model, "A");
    gw_config_unref(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jwks_skips_enc_and_unsupported_keys),
        cmocka_unit_test(test_b64url_decodes_with_and_without_padding),
        cmocka_unit_test(test_hs256_valid_token_verifies),
        cmocka_unit_test(test_expiry_not_before_and_leeway),
        cmocka_unit_test(test_issuer_audience_and_client_id),
        cmocka_unit_test(test_algorithm_must_be_allowed_and_match_key_type),
        cmocka_unit_test(test_scope_string_or_scp_array),
        cmocka_unit_test(test_schema_reports_fge_messages_with_pointers),
        cmocka_unit_test(test_schema_pattern_translates_ecma_classes),
        cmocka_unit_test(test_schema_pointer_escapes_and_integer_is_a_number),
        cmocka_unit_test(test_config_rejects_bad_authorizers_and_models),
        cmocka_unit_test(test_config_models_may_refer_forward_and_admin_defaults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
