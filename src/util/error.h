/* Status codes and the error record carried from the engine up to the
 * protocol layer, which is the only place that formats a JSON error.
 *
 * `type` is the complete DynamoDB `__type` string (the protocol layer writes
 * it verbatim) and `status` the HTTP status that goes with it. */
#ifndef PT_ERROR_H
#define PT_ERROR_H

#include <stddef.h>

enum {
    PT_OK = 0,
    PT_ERR = -1,       /* a pt_error_t describes the failure */
    PT_NOTFOUND = 1,   /* lookup found nothing (not an error by itself) */
    PT_PENDING = 2,    /* request continues asynchronously (writer thread) */
};

#define PT_DDB "com.amazonaws.dynamodb.v20120810#"
#define PT_CORAL "com.amazon.coral.service#"

/* The error types we emit, as DynamoDB spells them. */
#define PT_E_VALIDATION PT_DDB "ValidationException"
#define PT_E_NOT_FOUND PT_DDB "ResourceNotFoundException"
#define PT_E_IN_USE PT_DDB "ResourceInUseException"
#define PT_E_CONDITIONAL PT_DDB "ConditionalCheckFailedException"
#define PT_E_LIMIT PT_DDB "LimitExceededException"
#define PT_E_INTERNAL PT_DDB "InternalServerError"
#define PT_E_SERIALIZATION PT_CORAL "SerializationException"
#define PT_E_UNKNOWN_OP PT_CORAL "UnknownOperationException"
#define PT_E_MISSING_AUTH PT_CORAL "MissingAuthenticationTokenException"
#define PT_E_NOT_IMPLEMENTED PT_DDB "ValidationException" /* see api.c: names the op */

typedef struct pt_error {
    int status;            /* HTTP status: 400 for client errors, 500 internal */
    const char *type;      /* full __type, static storage */
    char message[1024];
    /* Optional extra JSON members (already encoded, e.g. ,"Item":{...}) that
     * the protocol layer appends to the error object; arena-owned. */
    const char *extra_json;
    size_t extra_json_len;
} pt_error_t;

/* Sets type/message (printf-style) and status (500 for InternalServerError,
 * 400 otherwise). Always returns PT_ERR so callers can `return pt_error_set(..)`. */
int pt_error_set(pt_error_t *err, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void pt_error_clear(pt_error_t *err);

#endif
