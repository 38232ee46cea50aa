/* SigV4 verification: AWS's published Signature Version 4 test suite
 * (aws-sig-v4-test-suite: AKIDEXAMPLE, 20150830T123600Z, us-east-1,
 * service "service"), a request signed by botocore for DynamoDB, and every
 * DynamoDB error the parser produces, with its exact message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "auth/auth.h"
#include "auth/sigv4.h"

#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define SUITE_DATE "20150830T123600Z"

#define H(n, v) {n, sizeof(n) - 1, v, sizeof(v) - 1}

static void sign_suite(const char *method, const char *path, const char *query,
                       const pt_sigv4_header_t *hs, size_t nh, const char *body,
                       const char *signed_headers, char sig[65])
{
    pt_sigv4_request_t req = {method, strlen(method), path, strlen(path), query, strlen(query),
                              hs, nh, body, strlen(body)};
    pt_buf_t canon = PT_BUF_INIT, sts = PT_BUF_INIT;
    pt_sigv4_canonical_request(&req, signed_headers, strlen(signed_headers), false, &canon);
    const char *scope = "20150830/us-east-1/service/aws4_request";
    pt_sigv4_string_to_sign(SUITE_DATE, scope, strlen(scope), canon.data, canon.len, &sts);
    pt_sigv4_signature(SECRET, strlen(SECRET), "20150830", "us-east-1", 9, "service", 7, sts.data,
                       sts.len, sig);
    pt_buf_free(&canon);
    pt_buf_free(&sts);
}

static const pt_sigv4_header_t BASIC[] = {H("Host", "example.amazonaws.com"),
                                          H("X-Amz-Date", SUITE_DATE)};

static void check_basic(const char *method, const char *path, const char *query,
                        const char *expected)
{
    char sig[65];
    sign_suite(method, path, query, BASIC, 2, "", "host;x-amz-date", sig);
    assert_string_equal(sig, expected);
}

static void test_suite_get_vanilla(void **s)
{
    check_basic("GET", "/", "", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

static void test_suite_post_vanilla(void **s)
{
    check_basic("POST", "/", "", "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
}

static void test_suite_query_sorted_by_key_case(void **s)
{
    check_basic("GET", "/", "Param2=value2&Param1=value1",
                "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
}

static void test_suite_query_same_key_sorted_by_value(void **s)
{
    check_basic("GET", "/", "Param1=value2&Param1=Value1",
                "eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1");
}

static void test_suite_query_unreserved_not_encoded(void **s)
{
    check_basic("GET", "/",
                "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz="
                "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
                "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197");
}

static void test_suite_path_dot_segments_normalised(void **s)
{
    const char *v = "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";
    check_basic("GET", "/example1/example2/../..", "", v);
    check_basic("GET", "/./", "", v);
    check_basic("GET", "/example/..", "", v);
}

static void test_suite_path_empty_segments_dropped(void **s)
{
    check_basic("GET", "//example//", "",
                "9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84");
}

static void test_suite_path_space_and_utf8_encoded(void **s)
{
    check_basic("GET", "/example space/", "",
                "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741");
    check_basic("GET", "/\xe1\x88\xb4", "",
                "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85");
}

static void test_suite_repeated_header_values_joined(void **s)
{
    const pt_sigv4_header_t hs[] = {H("Host", "example.amazonaws.com"),
                                    H("My-Header1", "value2"), H("My-Header1", "value2"),
                                    H("My-Header1", "value1"), H("X-Amz-Date", SUITE_DATE)};
    char sig[65];
    sign_suite("GET", "/", "", hs, 5, "", "host;my-header1;x-amz-date", sig);
    assert_string_equal(sig, "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea");
}

static void test_suite_header_values_trimmed_and_collapsed(void **s)
{
    const pt_sigv4_header_t hs[] = {H("Host", "example.amazonaws.com"),
                                    H("My-Header1", " value1"), H("My-Header2", " \"a   b   c\""),
                                    H("X-Amz-Date", SUITE_DATE)};
    char sig[65];
    sign_suite("GET", "/", "", hs, 4, "", "host;my-header1;my-header2;x-amz-date", sig);
    assert_string_equal(sig, "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736");
}

static void test_suite_post_form_body_hashed(void **s)
{
    const pt_sigv4_header_t hs[] = {H("Content-Type", "application/x-www-form-urlencoded"),
                                    H("Host", "example.amazonaws.com"),
                                    H("X-Amz-Date", SUITE_DATE)};
    char sig[65];
    sign_suite("POST", "/", "", hs, 3, "Param1=value1", "content-type;host;x-amz-date", sig);
    assert_string_equal(sig, "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a");
}

static void test_canonical_request_matches_suite_text(void **s)
{
    pt_sigv4_request_t req = {"GET", 3, "/", 1, "Param2=value2&Param1=value1", 27, BASIC, 2, "", 0};
    pt_buf_t canon = PT_BUF_INIT;
    pt_sigv4_canonical_request(&req, "host;x-amz-date", 15, false, &canon);
    pt_buf_putc(&canon, 0);
    assert_string_equal(canon.data,
                        "GET\n/\nParam1=value1&Param2=value2\nhost:example.amazonaws.com\n"
                        "x-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
                        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    pt_buf_free(&canon);
}

/* ---- a DynamoDB GetItem signed by botocore (SigV4Auth, 2024-01-02 03:04:05) ---- */

#define BOTO_BODY "{\"TableName\": \"orders\", \"Key\": {\"id\": {\"S\": \"1\"}}}"
#define BOTO_AUTH                                                                         \
    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240102/us-east-1/dynamodb/aws4_request, " \
    "SignedHeaders=content-type;host;x-amz-date;x-amz-target, "                          \
    "Signature=ebfbda6a711dd314254fa81bf9b303f3380d3e2670805437d03201b34997c632"
#define BOTO_NOW 1704164645 /* 2024-01-02T03:04:05Z */

typedef struct fixture {
    pt_sigv4_header_t hs[8];
    size_t nh;
    pt_sigv4_request_t req;
    pt_error_t err;
    pt_arena_t arena;
    pt_sigv4_auth_t auth;
} fixture_t;

static void boto_request(fixture_t *f, const char *authz, const char *date, const char *body)
{
    memset(f, 0, sizeof *f);
    f->hs[f->nh++] = (pt_sigv4_header_t)H("Content-Type", "application/x-amz-json-1.0");
    f->hs[f->nh++] = (pt_sigv4_header_t)H("X-Amz-Target", "DynamoDB_20120810.GetItem");
    f->hs[f->nh++] = (pt_sigv4_header_t)H("User-Agent", "Boto3/1.x");
    if (date) f->hs[f->nh++] = (pt_sigv4_header_t){"X-Amz-Date", 10, date, strlen(date)};
    if (authz) f->hs[f->nh++] = (pt_sigv4_header_t){"Authorization", 13, authz, strlen(authz)};
    f->hs[f->nh++] = (pt_sigv4_header_t)H("Host", "127.0.0.1:8000");
    f->req = (pt_sigv4_request_t){"POST", 4, "/", 1, "", 0, f->hs, f->nh, body, strlen(body)};
    pt_arena_init(&f->arena);
}

static int parse(fixture_t *f, time_t now)
{
    return pt_sigv4_parse(&f->req, "dynamodb", now, &f->arena, &f->auth, &f->err);
}

static void expect(fixture_t *f, int rc, const char *type, const char *msg)
{
    assert_int_equal(rc, PT_ERR);
    assert_string_equal(f->err.type, type);
    assert_string_equal(f->err.message, msg);
    assert_int_equal(f->err.status, 400);
    pt_arena_destroy(&f->arena);
}

static void test_boto_signed_request_verifies(void **s)
{
    fixture_t f;
    boto_request(&f, BOTO_AUTH, "20240102T030405Z", BOTO_BODY);
    assert_int_equal(parse(&f, BOTO_NOW + 60), PT_OK);
    assert_int_equal(f.auth.key_id.len, 11);
    assert_memory_equal(f.auth.key_id.s, "AKIDEXAMPLE", 11);
    assert_int_equal(pt_sigv4_verify(&f.req, &f.auth, SECRET, strlen(SECRET), &f.arena, &f.err),
                     PT_OK);
    pt_arena_destroy(&f.arena);
}

static void test_wrong_secret_is_invalid_signature(void **s)
{
    fixture_t f;
    boto_request(&f, BOTO_AUTH, "20240102T030405Z", BOTO_BODY);
    assert_int_equal(parse(&f, BOTO_NOW), PT_OK);
    int rc = pt_sigv4_verify(&f.req, &f.auth, "wrong", 5, &f.arena, &f.err);
    assert_int_equal(rc, PT_ERR);
    assert_string_equal(f.err.type, PT_E_INVALID_SIGNATURE);
    assert_memory_equal(f.err.message, PT_SIGV4_MSG_MISMATCH, sizeof PT_SIGV4_MSG_MISMATCH - 1);
    assert_non_null(strstr(f.err.message, "\n\nThe Canonical String for this request should have "
                                          "been\n'POST\n/\n\ncontent-type:application/x-amz-json-1.0\n"
                                          "host:127.0.0.1:8000\n"));
    pt_arena_destroy(&f.arena);
}

static void test_tampered_body_is_invalid_signature(void **s)
{
    fixture_t f;
    boto_request(&f, BOTO_AUTH, "20240102T030405Z",
                 "{\"TableName\": \"orders\", \"Key\": {\"id\": {\"S\": \"2\"}}}");
    assert_int_equal(parse(&f, BOTO_NOW), PT_OK);
    assert_int_equal(pt_sigv4_verify(&f.req, &f.auth, SECRET, strlen(SECRET), &f.arena, &f.err),
                     PT_ERR);
    assert_string_equal(f.err.type, PT_E_INVALID_SIGNATURE);
    pt_arena_destroy(&f.arena);
}

static void test_security_token_is_rejected_after_signature(void **s)
{
    fixture_t f;
    boto_request(&f, BOTO_AUTH, "20240102T030405Z", BOTO_BODY);
    f.hs[f.nh++] = (pt_sigv4_header_t)H("X-Amz-Security-Token", "FQoGZXIvYXdz");
    f.req.nheaders = f.nh;
    assert_int_equal(parse(&f, BOTO_NOW), PT_OK);
    int rc = pt_sigv4_verify(&f.req, &f.auth, SECRET, strlen(SECRET), &f.arena, &f.err);
    expect(&f, rc, PT_E_UNRECOGNIZED_CLIENT, "The security token included in the request is invalid");
}

static void test_missing_authorization_is_missing_token(void **s)
{
    fixture_t f;
    boto_request(&f, NULL, "20240102T030405Z", BOTO_BODY);
    expect(&f, parse(&f, BOTO_NOW), PT_E_MISSING_AUTH, "Request is missing Authentication Token");
    boto_request(&f, "Basic dXNlcjpwYXNz", "20240102T030405Z", BOTO_BODY);
    expect(&f, parse(&f, BOTO_NOW), PT_E_MISSING_AUTH, "Request is missing Authentication Token");
}

static void test_missing_parameters_are_incomplete_signature(void **s)
{
    fixture_t f;
    boto_request(&f, "AWS4-HMAC-SHA256 Signature=b, Credential, SignedHeaders", NULL, BOTO_BODY);
    expect(&f, parse(&f, BOTO_NOW), PT_E_INCOMPLETE_SIGNATURE,
           "Authorization header requires 'Credential' parameter. Authorization header requires "
           "'SignedHeaders' parameter. Authorization header requires existence of either a "
           "'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256 Signature=b, "
           "Credential, SignedHeaders");
}

static void test_bad_date_format_is_incomplete_signature(void **s)
{
    fixture_t f;
    boto_request(&f, BOTO_AUTH, "201", BOTO_BODY);
    expect(&f, parse(&f, BOTO_NOW), PT_E_INCOMPLETE_SIGNATURE,
           "Date must be in ISO-8601 'basic format'. Got '201'. See "
           "http://en.wikipedia.org/wiki/ISO_8601");
}

static void test_http_date_header_stands_in_for_x_amz_date(void **s)
{
    fixture_t f;
    boto_request(&f, BOTO_AUTH, NULL, BOTO_BODY);
    f.hs[f.nh++] = (pt_sigv4_header_t)H("Date", "Tue, 02 Jan 2024 03:04:05 GMT");
    f.req.nheaders = f.nh;
    assert_int_equal(parse(&f, BOTO_NOW), PT_OK);
    assert_string_equal(f.auth.amz_date, "20240102T030405Z");
    assert_int_equal(f.auth.request_time, BOTO_NOW);
    pt_arena_destroy(&f.arena);
    boto_request(&f, BOTO_AUTH, NULL, BOTO_BODY);
    f.hs[f.nh++] = (pt_sigv4_header_t)H("Date", "yesterday");
    f.req.nheaders = f.nh;
    expect(&f, parse(&f, BOTO_NOW), PT_E_INCOMPLETE_SIGNATURE,
           "Date must be in ISO-8601 'basic format'. Got 'yesterday'. See "
           "http://en.wikipedia.org/wiki/ISO_8601");
}

static void test_old_date_is_signature_expired(void **s)
{
    fixture_t f;
    boto_request(&f, BOTO_AUTH, "20240102T030405Z", BOTO_BODY);
    expect(&f, parse(&f, BOTO_NOW + 15 * 60 + 1), PT_E_INVALID_SIGNATURE,
           "Signature expired: 20240102T030405Z is now earlier than 20240102T030406Z "
           "(20240102T031906Z - 15 min.)");
    /* Exactly 15 minutes old is still accepted. */
    boto_request(&f, BOTO_AUTH, "20240102T030405Z", BOTO_BODY);
    assert_int_equal(parse(&f, BOTO_NOW + 15 * 60), PT_OK);
    pt_arena_destroy(&f.arena);
}

static void test_future_date_is_not_yet_current(void **s)
{
    fixture_t f;
    boto_request(&f, BOTO_AUTH, "20240102T030405Z", BOTO_BODY);
    expect(&f, parse(&f, BOTO_NOW - 16 * 60), PT_E_INVALID_SIGNATURE,
           "Signature not yet current: 20240102T030405Z is still later than 20240102T030305Z "
           "(20240102T024805Z + 15 min.)");
}

static void test_unsigned_host_is_invalid_signature(void **s)
{
    fixture_t f;
    boto_request(&f,
                 "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240102/us-east-1/dynamodb/aws4_request,"
                 " SignedHeaders=x-amz-date, Signature=abc",
                 "20240102T030405Z", BOTO_BODY);
    expect(&f, parse(&f, BOTO_NOW), PT_E_INVALID_SIGNATURE,
           "'Host' must be a 'SignedHeader' in the AWS Authorization.");
}

static void test_unknown_algorithm_is_incomplete_signature(void **s)
{
    fixture_t f;
    boto_request(&f,
                 "AWS4-HMAC-SHA25 Credential=AKIDEXAMPLE/20240102/us-east-1/dynamodb/aws4_request,"
                 " SignedHeaders=host, Signature=abc",
                 "20240102T030405Z", BOTO_BODY);
    expect(&f, parse(&f, BOTO_NOW), PT_E_INCOMPLETE_SIGNATURE,
           "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA25' (only AWS4-HMAC-SHA256 for now). ");
}

static void test_short_credential_is_incomplete_signature(void **s)
{
    fixture_t f;
    boto_request(&f, "AWS4-HMAC-SHA256 Credential=a/b/c/d/, SignedHeaders=host, Signature=abc",
                 "20240102T030405Z", BOTO_BODY);
    expect(&f, parse(&f, BOTO_NOW), PT_E_INCOMPLETE_SIGNATURE,
           "Credential must have exactly 5 slash-delimited elements, e.g. "
           "keyid/date/region/service/term, got 'a/b/c/d'");
}

static void test_wrong_scope_lists_every_problem(void **s)
{
    fixture_t f;
    boto_request(&f, "AWS4-HMAC-SHA256 Credential=a/b/C/d/e, SignedHeaders=host, Signature=abc",
                 "20240102T030405Z", BOTO_BODY);
    expect(&f, parse(&f, BOTO_NOW), PT_E_INVALID_SIGNATURE,
           "Credential should be scoped to a valid region, not 'C'. Credential should be scoped "
           "to correct service: 'dynamodb'. Credential should be scoped with a valid terminator: "
           "'aws4_request', not 'e'. Date in Credential scope does not match YYYYMMDD from "
           "ISO-8601 version of date from HTTP: 'b' != '20240102', from '20240102T030405Z'.");
}

static void test_both_header_and_query_is_invalid_signature(void **s)
{
    fixture_t f;
    boto_request(&f, BOTO_AUTH, "20240102T030405Z", BOTO_BODY);
    f.req.query = "X-Amz-Algorithm=AWS4-HMAC-SHA256";
    f.req.query_len = strlen(f.req.query);
    expect(&f, parse(&f, BOTO_NOW), PT_E_INVALID_SIGNATURE,
           "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP "
           "header.");
}

static void test_incomplete_query_auth_lists_missing_parameters(void **s)
{
    fixture_t f;
    boto_request(&f, NULL, NULL, BOTO_BODY);
    f.req.query = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20240102T030405Z";
    f.req.query_len = strlen(f.req.query);
    expect(&f, parse(&f, BOTO_NOW), PT_E_INCOMPLETE_SIGNATURE,
           "AWS query-string parameters must include 'X-Amz-Credential'. AWS query-string "
           "parameters must include 'X-Amz-Signature'. AWS query-string parameters must include "
           "'X-Amz-SignedHeaders'. Re-examine the query-string parameters.");
}

static void test_presigned_query_request_verifies(void **s)
{
    /* Sign a presigned form ourselves with the building blocks, then check
     * the parser + verifier accept it and reject a changed signature. */
    fixture_t f;
    boto_request(&f, NULL, NULL, BOTO_BODY);
    const char *q0 = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20240102%2F"
                     "us-east-1%2Fdynamodb%2Faws4_request&X-Amz-Date=20240102T030405Z&"
                     "X-Amz-Expires=300&X-Amz-SignedHeaders=host";
    f.req.query = q0;
    f.req.query_len = strlen(q0);
    pt_buf_t canon = PT_BUF_INIT, sts = PT_BUF_INIT;
    pt_sigv4_canonical_request(&f.req, "host", 4, true, &canon);
    const char *scope = "20240102/us-east-1/dynamodb/aws4_request";
    pt_sigv4_string_to_sign("20240102T030405Z", scope, strlen(scope), canon.data, canon.len, &sts);
    char sig[65];
    pt_sigv4_signature(SECRET, strlen(SECRET), "20240102", "us-east-1", 9, "dynamodb", 8, sts.data,
                       sts.len, sig);
    char q[600];
    snprintf(q, sizeof q, "%s&X-Amz-Signature=%s", q0, sig);
    f.req.query = q;
    f.req.query_len = strlen(q);
    assert_int_equal(parse(&f, BOTO_NOW + 200), PT_OK);
    assert_true(f.auth.from_query);
    assert_int_equal(pt_sigv4_verify(&f.req, &f.auth, SECRET, strlen(SECRET), &f.arena, &f.err),
                     PT_OK);
    pt_arena_destroy(&f.arena);
    pt_arena_init(&f.arena);
    assert_int_equal(parse(&f, BOTO_NOW + 301), PT_ERR);
    assert_string_equal(f.err.type, PT_E_INVALID_SIGNATURE);
    assert_string_equal(f.err.message, "Signature expired: 20240102T030905Z is now earlier than "
                                       "20240102T030906Z (20240102T030906Z - 300 sec.)");
    pt_arena_destroy(&f.arena);
    pt_buf_free(&canon);
    pt_buf_free(&sts);
}

/* ---- the gate: key lookup and policy ---- */

static pt_auth_t *gate(const char *json)
{
    pt_auth_t *a;
    pt_auth_create(NULL, &a);
    pt_credstore_t st;
    pt_credstore_init(&st);
    pt_arena_t arena;
    pt_arena_init(&arena);
    pt_json_t doc;
    assert_int_equal(pt_json_parse(&arena, json, strlen(json), &doc, NULL, 0), PT_OK);
    char err[256];
    assert_int_equal(pt_credstore_add_json(&st, &doc, "test", err, sizeof err), PT_OK);
    pt_arena_destroy(&arena);
    pt_auth_replace(a, &st);
    return a;
}

static void test_gate_unknown_key_is_unrecognized_client(void **s)
{
    pt_auth_t *a = gate("[{\"access_key_id\":\"OTHER\",\"secret_access_key\":\"x\"}]");
    fixture_t f;
    boto_request(&f, BOTO_AUTH, "20240102T030405Z", BOTO_BODY);
    int rc = pt_auth_check(a, &f.req, "GetItem", 7, BOTO_NOW, &f.err);
    expect(&f, rc, PT_E_UNRECOGNIZED_CLIENT,
           "The security token included in the request is invalid.");
    pt_auth_destroy(a);
}

static void test_gate_policy_denies_other_table(void **s)
{
    pt_auth_t *a = gate("[{\"access_key_id\":\"AKIDEXAMPLE\",\"secret_access_key\":\"" SECRET
                        "\",\"name\":\"reader\",\"allow\":{\"actions\":[\"dynamodb:GetItem\"],"
                        "\"tables\":[\"invoices*\"]}}]");
    fixture_t f;
    boto_request(&f, BOTO_AUTH, "20240102T030405Z", BOTO_BODY);
    int rc = pt_auth_check(a, &f.req, "GetItem", 7, BOTO_NOW, &f.err);
    expect(&f, rc, PT_E_ACCESS_DENIED,
           "User: arn:aws:iam::000000000000:user/reader is not authorized to perform: "
           "dynamodb:GetItem on resource: arn:aws:dynamodb:us-east-1:000000000000:table/orders "
           "because no identity-based policy allows the dynamodb:GetItem action");
    pt_auth_destroy(a);
}

static void test_gate_policy_allows_matching_table(void **s)
{
    pt_auth_t *a = gate("[{\"access_key_id\":\"AKIDEXAMPLE\",\"secret_access_key\":\"" SECRET
                        "\",\"allow\":{\"actions\":[\"dynamodb:Get*\",\"Query\"],"
                        "\"tables\":[\"orders*\"]}}]");
    fixture_t f;
    boto_request(&f, BOTO_AUTH, "20240102T030405Z", BOTO_BODY);
    assert_int_equal(pt_auth_check(a, &f.req, "GetItem", 7, BOTO_NOW, &f.err), PT_OK);
    pt_arena_destroy(&f.arena);
    pt_auth_destroy(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_suite_get_vanilla),
        cmocka_unit_test(test_suite_post_vanilla),
        cmocka_unit_test(test_suite_query_sorted_by_key_case),
        cmocka_unit_test(test_suite_query_same_key_sorted_by_value),
        cmocka_unit_test(test_suite_query_unreserved_not_encoded),
        cmocka_unit_test(test_suite_path_dot_segments_normalised),
        cmocka_unit_test(test_suite_path_empty_segments_dropped),
        cmocka_unit_test(test_suite_path_space_and_utf8_encoded),
        cmocka_unit_test(test_suite_repeated_header_values_joined),
        cmocka_unit_test(test_suite_header_values_trimmed_and_collapsed),
        cmocka_unit_test(test_suite_post_form_body_hashed),
        cmocka_unit_test(test_canonical_request_matches_suite_text),
        cmocka_unit_test(test_boto_signed_request_verifies),
        cmocka_unit_test(test_wrong_secret_is_invalid_signature),
        cmocka_unit_test(test_tampered_body_is_invalid_signature),
        cmocka_unit_test(test_security_token_is_rejected_after_signature),
        cmocka_unit_test(test_missing_authorization_is_missing_token),
        cmocka_unit_test(test_missing_parameters_are_incomplete_signature),
        cmocka_unit_test(test_bad_date_format_is_incomplete_signature),
        cmocka_unit_test(test_http_date_header_stands_in_for_x_amz_date),
        cmocka_unit_test(test_old_date_is_signature_expired),
        cmocka_unit_test(test_future_date_is_not_yet_current),
        cmocka_unit_test(test_unsigned_host_is_invalid_signature),
        cmocka_unit_test(test_unknown_algorithm_is_incomplete_signature),
        cmocka_unit_test(test_short_credential_is_incomplete_signature),
        cmocka_unit_test(test_wrong_scope_lists_every_problem),
        cmocka_unit_test(test_both_header_and_query_is_invalid_signature),
        cmocka_unit_test(test_incomplete_query_auth_lists_missing_parameters),
        cmocka_unit_test(test_presigned_query_request_verifies),
        cmocka_unit_test(test_gate_unknown_key_is_unrecognized_client),
        cmocka_unit_test(test_gate_policy_denies_other_table),
        cmocka_unit_test(test_gate_policy_allows_matching_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
