/* libFuzzer harness for the gateway's JWT code (src/gateway/gw_jwt.c): the
 * input is split at the first NUL into a JWKS document and a token; the
 * JWKS is parsed and, when valid, used to verify the token; a fixed HMAC
 * set verifies the token as well. Neither may crash, leak or read out of
 * bounds, whatever the bytes. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "gateway/gw_internal.h"

static const char FIXED[] = "{\"keys\":[{\"kty\":\"oct\",\"kid\":\"k\",\"k\":\"c2VjcmV0\"}]}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t jl = nul ? (size_t)(nul - data) : size;
    const char *tok = nul ? (const char *)nul + 1 : (const char *)data;
    size_t tl = nul ? size - jl - 1 : size;
    char err[256];
    gw_jwks_t *keys = NULL, *fixed = NULL;
    gw_jwks_parse((const char *)data, jl, &keys, err, sizeof err);
    gw_jwks_parse(FIXED, sizeof FIXED - 1, &fixed, err, sizeof err);
    gw_jwt_rules_t rules = {"iss", NULL, 0, GW_ALG_HS256 | GW_ALG_RS256 | GW_ALG_ES256, 60};
    pt_arena_t a;
    pt_arena_init(&a);
    pt_json_t claims;
    char why[160];
    if (keys) gw_jwt_verify(tok, tl, keys, &rules, 1000, &a, &claims, why, sizeof why);
    if (gw_jwt_verify(tok, tl, fixed, &rules, 1000, &a, &claims, why, sizeof why) == GW_JWT_OK) {
        const char *scopes[] = {"a"};
        gw_jwt_has_scope(&claims, scopes, 1);
    }
    pt_arena_destroy(&a);
    gw_jwks_unref(keys);
    gw_jwks_unref(fixed);
    return 0;
}
