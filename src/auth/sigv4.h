/* AWS Signature Version 4 verification, as DynamoDB performs it.
 *
 * A pure library (no sockets, no clock of its own): the caller hands over the
 * request as it arrived (method, path, query, headers, body) and the current
 * time; the functions answer PT_OK or fill a pt_error_t with the exact error
 * type and message DynamoDB returns (texts recorded from the real service by
 * mhart/dynalite, index.js).
 *
 * Verification is two steps, because the secret belongs to a key that the
 * first step finds:
 *   pt_sigv4_parse   - everything that needs no secret, in DynamoDB's order:
 *                      both header and query auth -> InvalidSignature;
 *                      neither (or a header not "AWS4-...") ->
 *                      MissingAuthenticationToken; missing parameters ->
 *                      IncompleteSignature; date format -> Incomplete;
 *                      expired / not yet current -> InvalidSignature;
 *                      'host' not signed -> InvalidSignature; algorithm ->
 *                      Incomplete; credential shape -> Incomplete; scope
 *                      (region, service, terminator, date) -> InvalidSignature.
 *   pt_sigv4_verify  - recomputes the signature with the secret and compares
 *                      it in constant time (InvalidSignature with the
 *                      canonical request and string-to-sign, as AWS answers),
 *                      then rejects any X-Amz-Security-Token
 *                      (UnrecognizedClient): Portico issues no temporary
 *                      credentials, so every session token is invalid.
 * Looking the key id up (UnrecognizedClientException when unknown) is the
 * caller's step between the two.
 *
 * Canonicalisation follows AWS's published rules and test suite: the path is
 * normalised (empty and "." segments dropped, ".." resolved) and every byte
 * but unreserved ones and '/' percent-encoded (so a path that arrived
 * percent-encoded is encoded twice, as the SDKs sign it); query parameters
 * are decoded, re-encoded strictly and sorted by name then value; signed
 * headers are matched case-insensitively, values trimmed with inner runs of
 * blanks collapsed, repeated headers joined with ','; the payload hash is
 * always the SHA-256 of the body actually received (so a tampered body never
 * verifies, whatever X-Amz-Content-Sha256 claims).
 *
 * All strings are (pointer, length) and need not be NUL-terminated. Nothing
 * here allocates except from the caller's arena, and every loop is bounded by
 * the input's size (the number of signed headers is capped at
 * PT_SIGV4_MAX_SIGNED_HEADERS so matching them stays linear in practice). */
#ifndef PT_SIGV4_H
#define PT_SIGV4_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "util/arena.h"
#include "util/buf.h"
#include "util/error.h"

/* Allowed clock difference between client and server (AWS: 15 minutes). */
#define PT_SIGV4_MAX_SKEW_SEC (15 * 60)
#define PT_SIGV4_MAX_SIGNED_HEADERS 64

#define PT_E_INVALID_SIGNATURE PT_CORAL "InvalidSignatureException"
#define PT_E_INCOMPLETE_SIGNATURE PT_CORAL "IncompleteSignatureException"
#define PT_E_UNRECOGNIZED_CLIENT PT_CORAL "UnrecognizedClientException"
#define PT_E_ACCESS_DENIED PT_CORAL "AccessDeniedException"

#define PT_SIGV4_MSG_MISSING_TOKEN "Request is missing Authentication Token"
#define PT_SIGV4_MSG_UNKNOWN_KEY "The security token included in the request is invalid."
#define PT_SIGV4_MSG_BAD_TOKEN "The security token included in the request is invalid"
#define PT_SIGV4_MSG_MISMATCH                                                                 \
    "The request signature we calculated does not match the signature you provided. Check " \
    "your AWS Secret Access Key and signing method. Consult the service documentation for " \
    "details."

typedef struct pt_sigv4_header {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
} pt_sigv4_header_t;

typedef struct pt_sigv4_request {
    const char *method;
    size_t method_len;
    const char *path;   /* request-target up to '?', as sent */
    size_t path_len;
    const char *query;  /* after '?' (without it); may be empty */
    size_t query_len;
    const pt_sigv4_header_t *headers; /* in arrival order; repeats allowed */
    size_t nheaders;
    const void *body;
    size_t body_len;
} pt_sigv4_request_t;

typedef struct pt_sigv4_str {
    const char *s;
    size_t len;
} pt_sigv4_str_t;

/* What pt_sigv4_parse extracted; strings point into the request or the
 * arena. */
typedef struct pt_sigv4_auth {
    bool from_query;            /* presigned (X-Amz-* query parameters) */
    pt_sigv4_str_t algorithm;
    pt_sigv4_str_t credential;  /* keyid/date/region/service/terminator */
    pt_sigv4_str_t key_id;
    pt_sigv4_str_t scope_date;
    pt_sigv4_str_t region;
    pt_sigv4_str_t service;
    pt_sigv4_str_t signed_headers; /* "host;x-amz-date;..." as sent */
    pt_sigv4_str_t signature;
    char amz_date[17];          /* the request time, YYYYMMDDTHHMMSSZ */
    time_t request_time;
    bool has_security_token;
} pt_sigv4_auth_t;

/* Step one (see the file comment). `service` is the credential-scope service
 * the endpoint answers for ("dynamodb"); `now` the server's time. Returns
 * PT_OK with *out filled, or PT_ERR with err set. */
int pt_sigv4_parse(const pt_sigv4_request_t *req, const char *service, time_t now,
                   pt_arena_t *arena, pt_sigv4_auth_t *out, pt_error_t *err);

/* Step two: recomputes the signature of `req` with `secret` and compares.
 * Returns PT_OK, or PT_ERR with err set (InvalidSignatureException, or
 * UnrecognizedClientException for a security token). */
int pt_sigv4_verify(const pt_sigv4_request_t *req, const pt_sigv4_auth_t *auth,
                    const char *secret, size_t secret_len, pt_arena_t *arena, pt_error_t *err);

/* ---- the building blocks, exposed for tests and for signing clients ---- */

/* Appends the canonical request to out. signed_headers is the ';'-separated
 * list (case-insensitive); exclude_signature drops X-Amz-Signature from the
 * query (presigned requests). */
void pt_sigv4_canonical_request(const pt_sigv4_request_t *req, const char *signed_headers,
                                size_t signed_headers_len, bool exclude_signature,
                                pt_buf_t *out);

/* Appends "AWS4-HMAC-SHA256\n<amz_date>\n<scope>\n<hex sha256(canonical)>". */
void pt_sigv4_string_to_sign(const char *amz_date, const char *scope, size_t scope_len,
                             const char *canonical, size_t canonical_len, pt_buf_t *out);

/* Hex HMAC-SHA256 signature of string_to_sign with the key derived from
 * secret, date (YYYYMMDD), region and service. out gets 64 hex digits + NUL. */
void pt_sigv4_signature(const char *secret, size_t secret_len, const char *date8,
                        const char *region, size_t region_len, const char *service,
                        size_t service_len, const char *string_to_sign, size_t sts_len,
                        char out[65]);

/* Lowercase hex SHA-256 of data; out gets 64 hex digits + NUL. */
void pt_sigv4_sha256_hex(const void *data, size_t len, char out[65]);

/* Formats t as YYYYMMDDTHHMMSSZ (UTC). */
void pt_sigv4_format_time(time_t t, char out[17]);

#endif
