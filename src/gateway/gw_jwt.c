/* JSON Web Tokens for the gateway's `jwt` authorizer: JWKS parsing into
 * OpenSSL keys, JWS signature verification (HS256, RS256, ES256) and the
 * checks API Gateway's JWT authorizers make on the claims (kid, iss, aud or
 * client_id, exp, nbf, iat; scopes per route).
 *
 * Invariants:
 *  - the algorithm is never taken on the token's word alone: it must be in
 *    the authorizer's list AND match the type of the key that verifies it
 *    (an HS256 token is only checked with an "oct" key), which closes the
 *    classic RS256->HS256 key-confusion attack; "none" is never accepted;
 *  - ES256 signatures are JOSE's raw r||s (64 bytes), converted to the DER
 *    form OpenSSL verifies; anything else is rejected;
 *  - `exp` is required (as API Gateway requires it); a small leeway absorbs
 *    clock skew on exp, nbf and iat;
 *  - RSA keys under 2048 bits are refused when the set is loaded.
 * Not done here: fetching key sets (gw_auth.c), encrypted tokens (JWE),
 * other algorithms (PS256, ES384, EdDSA...), the `crit` header (refused). */
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/gw_internal.h"
#include "util/error.h"

#define MAX_TOKEN 16384

/* ------------------------------------------------------------ base64url */

static int b64url_val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
}

long gw_b64url_decode(const char *in, size_t len, unsigned char *out)
{
    while (len && in[len - 1] == '=') len--;
    if (len % 4 == 1) return -1;
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        int v = b64url_val((unsigned char)in[i]);
        if (v < 0) return -1;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    return (long)o;
}

/* Decodes a base64url JSON member into arena memory. */
static unsigned char *member_bytes(pt_arena_t *a, const pt_json_t *obj, const char *name, size_t *len)
{
    const pt_json_t *v = pt_json_get(obj, name);
    if (!v || v->type != PT_JSON_STRING || !v->len || v->len > 8192) return NULL;
    unsigned char *out = pt_arena_alloc(a, v->len * 3 / 4 + 3);
    long n = gw_b64url_decode(v->u.str, v->len, out);
    if (n <= 0) return NULL;
    *len = (size_t)n;
    return out;
}

/* ------------------------------------------------------------------ JWKS */

static EVP_PKEY *pkey_fromdata(const char *type, OSSL_PARAM_BLD *bld)
{
    EVP_PKEY *pkey = NULL;
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
        pkey = NULL;
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    return pkey;
}

static EVP_PKEY *rsa_key(const unsigned char *n, size_t nl, const unsigned char *e, size_t el)
{
    BIGNUM *bn = BN_bin2bn(n, (int)nl, NULL), *be = BN_bin2bn(e, (int)el, NULL);
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    EVP_PKEY *pkey = NULL;
    if (bn && be && bld && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) &&
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be))
        pkey = pkey_fromdata("RSA", bld);
    OSSL_PARAM_BLD_free(bld);
    BN_free(bn);
    BN_free(be);
    return pkey;
}

static EVP_PKEY *ec_key(const unsigned char *x, const unsigned char *y)
{
    unsigned char point[65];
    point[0] = 0x04; /* uncompressed: 04 || X || Y */
    memcpy(point + 1, x, 32);
    memcpy(point + 33, y, 32);
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    EVP_PKEY *pkey = NULL;
    if (bld && OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) &&
        OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point))
        pkey = pkey_fromdata("EC", bld);
    OSSL_PARAM_BLD_free(bld);
    return pkey;
}

static void jwks_free(gw_jwks_t *k)
{
    for (size_t i = 0; i < k->n; i++) {
        EVP_PKEY_free(k->keys[i].pkey);
        if (k->keys[i].secret) OPENSSL_cleanse(k->keys[i].secret, k->keys[i].secret_len);
        free(k->keys[i].secret);
    }
    free(k->keys);
    free(k);
}

int gw_jwks_parse(const char *text, size_t len, gw_jwks_t **out, char *errbuf, size_t errlen)
{
    *out = NULL;
    pt_arena_t a;
    pt_arena_init(&a);
    pt_json_t doc;
    char perr[128];
    if (pt_json_parse(&a, text, len, &doc, perr, sizeof perr)) {
        snprintf(errbuf, errlen, "not JSON: %s", perr);
        pt_arena_destroy(&a);
        return PT_ERR;
    }
    const pt_json_t *keys = pt_json_get(&doc, "keys");
    if (!keys || keys->type != PT_JSON_ARRAY) {
        snprintf(errbuf, errlen, "a JWKS is an object with a \"keys\" array");
        pt_arena_destroy(&a);
        return PT_ERR;
    }
    gw_jwks_t *k = calloc(1, sizeof *k);
    if (!k) pt_oom();
    atomic_init(&k->refs, 1);
    k->keys = calloc(keys->len ? keys->len : 1, sizeof *k->keys);
    if (!k->keys) pt_oom();
    int rc = PT_OK;
    for (uint32_t i = 0; i < keys->len && rc == PT_OK; i++) {
        const pt_json_t *j = &keys->u.elems[i];
        const pt_json_t *kty = pt_json_get(j, "kty"), *use = pt_json_get(j, "use");
        const pt_json_t *kid = pt_json_get(j, "kid"), *crv = pt_json_get(j, "crv");
        if (!kty || kty->type != PT_JSON_STRING) {
            snprintf(errbuf, errlen, "keys[%u]: \"kty\" is missing", i);
            rc = PT_ERR;
            break;
        }
        if (use && use->type == PT_JSON_STRING && strcmp(use->u.str, "sig")) continue; /* "enc" keys */
        gw_jwk_t key = {0};
        if (kid && kid->type == PT_JSON_STRING) snprintf(key.kid, sizeof key.kid, "%s", kid->u.str);
        size_t l1 = 0, l2 = 0;
        if (!strcmp(kty->u.str, "RSA")) {
            unsigned char *n = member_bytes(&a, j, "n", &l1), *e = member_bytes(&a, j, "e", &l2);
            key.kty = GW_KTY_RSA;
            if (!n || !e || !(key.pkey = rsa_key(n, l1, e, l2))) {
                snprintf(errbuf, errlen, "keys[%u]: invalid RSA key (n, e)", i);
                rc = PT_ERR;
            } else if (EVP_PKEY_get_bits(key.pkey) < 2048) {
                snprintf(errbuf, errlen, "keys[%u]: RSA keys must have at least 2048 bits", i);
                EVP_PKEY_free(key.pkey);
                rc = PT_ERR;
            }
        } else if (!strcmp(kty->u.str, "EC")) {
            if (!crv || crv->type != PT_JSON_STRING || strcmp(crv->u.str, "P-256")) continue;
            unsigned char *x = member_bytes(&a, j, "x", &l1), *y = member_bytes(&a, j, "y", &l2);
            key.kty = GW_KTY_EC;
            if (!x || !y || l1 != 32 || l2 != 32 || !(key.pkey = ec_key(x, y))) {
                snprintf(errbuf, errlen, "keys[%u]: invalid EC P-256 key (x, y)", i);
                rc = PT_ERR;
            }
        } else if (!strcmp(kty->u.str, "oct")) {
            unsigned char *s = member_bytes(&a, j, "k", &l1);
            key.kty = GW_KTY_OCT;
            if (!s) {
                snprintf(errbuf, errlen, "keys[%u]: invalid symmetric key (k)", i);
                rc = PT_ERR;
            } else {
                key.secret = malloc(l1);
                if (!key.secret) pt_oom();
                memcpy(key.secret, s, l1);
                key.secret_len = l1;
                OPENSSL_cleanse(s, l1);
            }
        } else {
            continue; /* OKP and others: not supported, skipped */
        }
        if (rc == PT_OK) k->keys[k->n++] = key;
    }
    pt_arena_destroy(&a);
    if (rc) {
        jwks_free(k);
        return PT_ERR;
    }
    *out = k;
    return PT_OK;
}

void gw_jwks_ref(gw_jwks_t *k) { atomic_fetch_add(&k->refs, 1); }

void gw_jwks_unref(gw_jwks_t *k)
{
    if (k && atomic_fetch_sub(&k->refs, 1) == 1) jwks_free(k);
}

/* ------------------------------------------------------------ signatures */

static bool verify_hs256(const gw_jwk_t *k, const char *data, size_t dlen, const unsigned char *sig,
                         size_t slen)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mlen = 0;
    if (slen != 32) return false;
    if (!HMAC(EVP_sha256(), k->secret, (int)k->secret_len, (const unsigned char *)data, dlen, mac, &mlen))
        return false;
    return mlen == 32 && CRYPTO_memcmp(mac, sig, 32) == 0;
}

static bool verify_pkey(const gw_jwk_t *k, const char *data, size_t dlen, const unsigned char *sig,
                        size_t slen)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    bool ok = md && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, k->pkey) == 1 &&
              EVP_DigestVerify(md, sig, slen, (const unsigned char *)data, dlen) == 1;
    EVP_MD_CTX_free(md);
    return ok;
}

static bool verify_es256(const gw_jwk_t *k, const char *data, size_t dlen, const unsigned char *sig,
                         size_t slen)
{
    /* JWS (RFC 7518 3.4): R and S as 32-byte big-endian integers; OpenSSL
     * wants the DER SEQUENCE { INTEGER r, INTEGER s }. */
    if (slen != 64) return false;
    ECDSA_SIG *es = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig, 32, NULL), *s = BN_bin2bn(sig + 32, 32, NULL);
    unsigned char *der = NULL;
    int dl = -1;
    if (es && r && s && ECDSA_SIG_set0(es, r, s)) {
        r = s = NULL; /* owned by es now */
        dl = i2d_ECDSA_SIG(es, &der);
    }
    bool ok = dl > 0 && verify_pkey(k, data, dlen, der, (size_t)dl);
    OPENSSL_free(der);
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(es);
    return ok;
}

/* ---------------------------------------------------------------- tokens */

static bool num_claim(const pt_json_t *claims, const char *name, bool *present, double *out)
{
    const pt_json_t *v = pt_json_get(claims, name);
    *present = v != NULL;
    if (!v) return true;
    return v->type == PT_JSON_NUMBER && pt_json_double(v, out) == PT_OK;
}

static bool str_in(const char *s, size_t len, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(list[i]) == len && !memcmp(list[i], s, len)) return true;
    return false;
}

#define FAIL(...)                                  \
    do {                                           \
        snprintf(why, whylen, __VA_ARGS__);        \
        return GW_JWT_INVALID;                     \
    } while (0)

gw_jwt_status_t gw_jwt_verify(const char *token, size_t len, const gw_jwks_t *keys,
                              const gw_jwt_rules_t *rules, int64_t now, pt_arena_t *arena,
                              pt_json_t *claims, char *why, size_t whylen)
{
    if (len == 0 || len > MAX_TOKEN) FAIL("token missing or too long");
    const char *d1 = memchr(token, '.', len);
    const char *d2 = d1 ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token)) : NULL;
    if (!d1 || !d2 || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - token)))
        FAIL("not a compact JWS (three dot-separated parts)");
    size_t hl = (size_t)(d1 - token), pl = (size_t)(d2 - d1 - 1), sl = len - (size_t)(d2 + 1 - token);
    unsigned char *hb = pt_arena_alloc(arena, hl * 3 / 4 + 3);
    unsigned char *pb = pt_arena_alloc(arena, pl * 3 / 4 + 3);
    unsigned char *sb = pt_arena_alloc(arena, sl * 3 / 4 + 3);
    long hn = gw_b64url_decode(token, hl, hb), pn = gw_b64url_decode(d1 + 1, pl, pb);
    long sn = gw_b64url_decode(d2 + 1, sl, sb);
    if (hn <= 0 || pn <= 0 || sn <= 0) FAIL("bad base64url");
    pt_json_t header;
    if (pt_json_parse(arena, (const char *)hb, (size_t)hn, &header, NULL, 0) || header.type != PT_JSON_OBJECT)
        FAIL("header is not a JSON object");
    if (pt_json_parse(arena, (const char *)pb, (size_t)pn, claims, NULL, 0) || claims->type != PT_JSON_OBJECT)
        FAIL("payload is not a JSON object");
    if (pt_json_get(&header, "crit")) FAIL("unsupported critical header");
    const pt_json_t *alg = pt_json_get(&header, "alg"), *kid = pt_json_get(&header, "kid");
    if (!alg || alg->type != PT_JSON_STRING) FAIL("no alg");
    unsigned a = !strcmp(alg->u.str, "HS256")   ? GW_ALG_HS256
                 : !strcmp(alg->u.str, "RS256") ? GW_ALG_RS256
                 : !strcmp(alg->u.str, "ES256") ? GW_ALG_ES256
                                                : 0;
    if (!(a & rules->algs)) FAIL("algorithm %.20s not allowed", alg->u.str);
    gw_kty_t kty = a == GW_ALG_HS256 ? GW_KTY_OCT : a == GW_ALG_RS256 ? GW_KTY_RSA : GW_KTY_EC;
    const char *want_kid = kid && kid->type == PT_JSON_STRING ? kid->u.str : NULL;

    /* Signature: every key of the right type (and kid, when the token has
     * one) is tried; none at all is GW_JWT_NO_KEY (a fresh key set may have it). */
    const char *signed_part = token;
    size_t signed_len = (size_t)(d2 - token);
    bool candidate = false, verified = false;
    for (size_t i = 0; keys && i < keys->n && !verified; i++) {
        const gw_jwk_t *k = &keys->keys[i];
        if (k->kty != kty || (want_kid && strcmp(k->kid, want_kid))) continue;
        candidate = true;
        verified = kty == GW_KTY_OCT  ? verify_hs256(k, signed_part, signed_len, sb, (size_t)sn)
                   : kty == GW_KTY_EC ? verify_es256(k, signed_part, signed_len, sb, (size_t)sn)
                                      : verify_pkey(k, signed_part, signed_len, sb, (size_t)sn);
    }
    if (!candidate) {
        snprintf(why, whylen, "no key for kid '%.64s' and %s", want_kid ? want_kid : "", alg->u.str);
        return GW_JWT_NO_KEY;
    }
    if (!verified) FAIL("bad signature");

    /* Claims (RFC 7519 4.1, API Gateway's checks). */
    double exp = 0, nbf = 0, iat = 0;
    bool has_exp, has_nbf, has_iat;
    if (!num_claim(claims, "exp", &has_exp, &exp) || !num_claim(claims, "nbf", &has_nbf, &nbf) ||
        !num_claim(claims, "iat", &has_iat, &iat))
        FAIL("exp, nbf and iat must be numbers");
    if (!has_exp) FAIL("no exp claim");
    if ((double)now > exp + (double)rules->leeway_s) FAIL("expired");
    if (has_nbf && (double)now + (double)rules->leeway_s < nbf) FAIL("not valid yet (nbf)");
    if (has_iat && (double)now + (double)rules->leeway_s < iat) FAIL("issued in the future (iat)");
    if (rules->issuer) {
        const pt_json_t *iss = pt_json_get(claims, "iss");
        if (!iss || iss->type != PT_JSON_STRING || strcmp(iss->u.str, rules->issuer)) FAIL("wrong issuer");
    }
    if (rules->naudiences) {
        const pt_json_t *aud = pt_json_get(claims, "aud");
        bool ok = false;
        if (aud && aud->type == PT_JSON_STRING) {
            ok = str_in(aud->u.str, aud->len, rules->audiences, rules->naudiences);
        } else if (aud && aud->type == PT_JSON_ARRAY) {
            for (uint32_t i = 0; i < aud->len && !ok; i++)
                ok = aud->u.elems[i].type == PT_JSON_STRING &&
                     str_in(aud->u.elems[i].u.str, aud->u.elems[i].len, rules->audiences, rules->naudiences);
        } else {
            /* Access tokens of some providers (Cognito) carry client_id instead. */
            const pt_json_t *cid = pt_json_get(claims, "client_id");
            ok = cid && cid->type == PT_JSON_STRING &&
                 str_in(cid->u.str, cid->len, rules->audiences, rules->naudiences);
        }
        if (!ok) FAIL("wrong audience");
    }
    return GW_JWT_OK;
}

/* Whether the space-separated list s holds one of scopes. */
static bool words_match(const char *s, size_t len, const char *const *scopes, size_t n)
{
    size_t i = 0;
    while (i < len) {
        while (i < len && s[i] == ' ') i++;
        size_t st = i;
        while (i < len && s[i] != ' ') i++;
        if (i > st && str_in(s + st, i - st, scopes, n)) return true;
    }
    return false;
}

bool gw_jwt_has_scope(const pt_json_t *claims, const char *const *scopes, size_t n)
{
    if (n == 0) return true;
    const pt_json_t *names[2] = {pt_json_get(claims, "scope"), pt_json_get(claims, "scp")};
    for (int k = 0; k < 2; k++) {
        const pt_json_t *v = names[k];
        if (!v) continue;
        if (v->type == PT_JSON_STRING && words_match(v->u.str, v->len, scopes, n)) return true;
        if (v->type == PT_JSON_ARRAY)
            for (uint32_t i = 0; i < v->len; i++)
                if (v->u.elems[i].type == PT_JSON_STRING &&
                    str_in(v->u.elems[i].u.str, v->u.elems[i].len, scopes, n))
                    return true;
    }
    return false;
}
