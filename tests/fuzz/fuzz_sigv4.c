/* libFuzzer harness for SigV4 parsing and verification (src/auth).
 *
 * The input is a request in a compact text form, split on '\n':
 *   line 1: method, line 2: request-target (path?query), then "Name:Value"
 *   header lines up to an empty line, then the body (the rest).
 * Invariants checked: pt_sigv4_parse and pt_sigv4_verify never crash and
 * always either succeed or set an error type, status 400 and a
 * NUL-terminated message; a request that verifies with one secret does not
 * verify with another; the policy check on the body never crashes. The
 * seed corpus (corpus/sigv4) holds botocore-signed requests. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "auth/policy.h"
#include "auth/sigv4.h"

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)
#define MAX_HEADERS 128

static void check_err(const pt_error_t *err)
{
    CHECK(err->type != NULL);
    CHECK(err->status == 400);
    CHECK(memchr(err->message, 0, sizeof err->message) != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data, *end = p + size;
    const char *nl = memchr(p, '\n', size);
    if (!nl) return 0;
    const char *method = p;
    size_t method_len = (size_t)(nl - p);
    p = nl + 1;
    nl = memchr(p, '\n', (size_t)(end - p));
    if (!nl) return 0;
    const char *target = p;
    size_t target_len = (size_t)(nl - p);
    p = nl + 1;
    pt_sigv4_header_t hs[MAX_HEADERS];
    size_t nh = 0;
    while (p < end && nh < MAX_HEADERS) {
        nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        if (le == p) { p = le + 1; break; }
        const char *colon = memchr(p, ':', (size_t)(le - p));
        if (colon) hs[nh++] = (pt_sigv4_header_t){p, (size_t)(colon - p), colon + 1,
                                                  (size_t)(le - colon - 1)};
        p = nl ? nl + 1 : end;
    }
    if (p > end) p = end;
    const char *q = memchr(target, '?', target_len);
    pt_sigv4_request_t req = {
        method, method_len, target, q ? (size_t)(q - target) : target_len,
        q ? q + 1 : "", q ? (size_t)(target + target_len - q - 1) : 0,
        hs, nh, p, (size_t)(end - p),
    };
    pt_arena_t arena;
    pt_arena_init(&arena);
    pt_sigv4_auth_t auth;
    pt_error_t err;
    pt_error_clear(&err);
    /* A fixed "now" close to the seeds' dates so that they get past the
     * expiry check. */
    int rc = pt_sigv4_parse(&req, "dynamodb", 1704164645, &arena, &auth, &err);
    if (rc) {
        check_err(&err);
    } else {
        int a = pt_sigv4_verify(&req, &auth, "secret", 6, &arena, &err);
        if (a) check_err(&err);
        pt_error_clear(&err);
        int b = pt_sigv4_verify(&req, &auth, "other-secret", 12, &arena, &err);
        if (b) check_err(&err);
        if (!auth.has_security_token) CHECK(a != 0 || b != 0);
    }
    /* The policy check reads TableName & co. from the body. */
    pt_policy_t pol = {0};
    char *acts[] = {"dynamodb:Get*", "Query"};
    char *tabs[] = {"orders*", "arn:aws:dynamodb:*:*:table/x?z"};
    pt_policy_stmt_t st = {acts, 2, tabs, 2};
    pol.stmts = &st;
    pol.nstmts = 1;
    pt_error_clear(&err);
    const char *op = method_len == 0 ? "GetItem" : method;
    size_t op_len = method_len == 0 ? 7 : (method_len > 40 ? 40 : method_len);
    if (pt_policy_check_request(&pol, op, op_len, req.body, req.body_len, "arn:aws:iam::0:user/u",
                                "us-east-1", "000000000000", &err))
        check_err(&err);
    pt_arena_destroy(&arena);
    return 0;
}
