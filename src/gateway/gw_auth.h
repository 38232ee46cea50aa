/* Running the gateway's authorizers (jwt, custom, sigv4) for one request.
 *
 *   gw_auth_in_t in = {...};
 *   gw_auth_run(&in, done, userdata);   // done() runs exactly once
 *
 * done() may run inside gw_auth_run (a cached decision, a JWT verified with
 * keys at hand, SigV4) or later on the same loop (a JWKS URL being fetched,
 * a custom authorizer being called). Everything `in` points to must stay
 * valid until done() has run; results are allocated in in->arena.
 *
 * Outcomes follow API Gateway: no token (identity source missing) or an
 * invalid one -> 401 {"message":"Unauthorized"}; a valid token without one
 * of the route's scopes, a custom authorizer answering isAuthorized: false
 * -> 403 {"message":"Forbidden"}; a custom authorizer that fails (not 200,
 * not JSON, timeout) -> 500 {"message":"Internal Server Error"}; SigV4
 * failures -> 403 with the message AWS gives for the problem. */
#ifndef PT_GW_AUTH_H
#define PT_GW_AUTH_H

#include <uv.h>

#include "gateway/gw_internal.h"
#include "net/http_handler.h"

typedef struct gw_auth_in {
    const gw_authorizer_t *authorizer;
    const gw_route_t *route;
    const pt_http_request_t *hr;
    const gw_kv_t *headers; size_t nheaders;
    const gw_kv_t *query; size_t nquery;
    const gw_kv_t *params; size_t nparams;
    const char *path;           /* decoded request path */
    const char *api, *stage, *request_id;
    const char *data_dir;       /* credentials.json (sigv4) */
    const char *config_file;    /* a JSON config's "credentials" (sigv4) */
    uv_loop_t *loop;
    unsigned thread;
    pt_arena_t *arena;
} gw_auth_in_t;

typedef struct gw_auth_out {
    int status;                 /* 0: allowed; else 401, 403 or 500 */
    const char *message;        /* the error body's message */
    const char *reason;         /* metrics label: unauthorized, forbidden, authorizer_error */
    pt_json_t *claims;          /* jwt: the token's payload */
    pt_json_t *context;         /* custom: its `context` object; all: principalId */
    const char *principal;      /* sub, the custom principalId, the access key's name */
} gw_auth_out_t;

typedef void (*gw_auth_done_fn)(void *userdata, const gw_auth_out_t *out);

void gw_auth_run(const gw_auth_in_t *in, gw_auth_done_fn done, void *userdata);

#endif
