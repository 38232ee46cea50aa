/* The authentication gate the server calls before the engine: SigV4
 * verification against the current credential store, then the key's access
 * policy.
 *
 * Thread-safety: pt_auth_check may run on any number of threads at once;
 * pt_auth_replace swaps the credential store under a write lock (credentials
 * changed by `portico credentials` are picked up by the server without a
 * restart), so a check sees either the old store or the new one, whole.
 *
 * Whether authentication is required is decided once at start-up by the
 * caller (src/cli): always on a non-loopback address, and on loopback when
 * any credential exists or --auth required is given. */
#ifndef PT_AUTH_H
#define PT_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "auth/credentials.h"
#include "auth/sigv4.h"
#include "util/error.h"

typedef struct pt_auth pt_auth_t;

/* An empty store, not required. account is the account id of ARNs in
 * messages (NULL: "000000000000"). */
int pt_auth_create(const char *account, pt_auth_t **out);
void pt_auth_destroy(pt_auth_t *a);

void pt_auth_set_required(pt_auth_t *a, bool required);
bool pt_auth_required(const pt_auth_t *a);

/* Takes over *store (left empty) as the new credential store. */
void pt_auth_replace(pt_auth_t *a, pt_credstore_t *store);
size_t pt_auth_count(pt_auth_t *a);

/* Verifies `req` (a DynamoDB call of operation `op` whose JSON body is
 * req->body) at time `now`. Returns PT_OK, or PT_ERR with err holding the
 * DynamoDB error: MissingAuthenticationTokenException,
 * IncompleteSignatureException, InvalidSignatureException,
 * UnrecognizedClientException or AccessDeniedException. */
int pt_auth_check(pt_auth_t *a, const pt_sigv4_request_t *req, const char *op, size_t op_len,
                  time_t now, pt_error_t *err);

#endif
