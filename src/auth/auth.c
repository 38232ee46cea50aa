/* The authentication gate: sigv4 parse -> key lookup -> signature ->
 * policy (see auth.h).
 *
 * Invariant: the store is only read under the read lock and only replaced
 * under the write lock, and a check copies nothing out of it that outlives
 * the lock. The per-check arena lives on the stack (its first block is
 * inline), so the common case allocates only the canonical-request buffers.
 *
 * Not here: deciding whether authentication is required (the CLI does, from
 * the listen address), loading files (credentials.c). */
#include "auth/auth.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pt_auth {
    pthread_rwlock_t lock;
    pt_credstore_t store;
    atomic_bool required;     /* set by the main thread, read by the loops */
    char account[32];
};

int pt_auth_create(const char *account, pt_auth_t **out)
{
    pt_auth_t *a = calloc(1, sizeof *a);
    if (!a) pt_oom();
    pthread_rwlock_init(&a->lock, NULL);
    pt_credstore_init(&a->store);
    snprintf(a->account, sizeof a->account, "%s", account ? account : "000000000000");
    *out = a;
    return PT_OK;
}

void pt_auth_destroy(pt_auth_t *a)
{
    if (!a) return;
    pt_credstore_free(&a->store);
    pthread_rwlock_destroy(&a->lock);
    free(a);
}

void pt_auth_set_required(pt_auth_t *a, bool required) { atomic_store(&a->required, required); }

bool pt_auth_required(const pt_auth_t *a)
{
    return a && atomic_load(&((pt_auth_t *)a)->required);
}

void pt_auth_replace(pt_auth_t *a, pt_credstore_t *store)
{
    pt_credstore_t old;
    pthread_rwlock_wrlock(&a->lock);
    old = a->store;
    a->store = *store;
    pthread_rwlock_unlock(&a->lock);
    pt_credstore_init(store);
    pt_credstore_free(&old);
}

size_t pt_auth_count(pt_auth_t *a)
{
    pthread_rwlock_rdlock(&a->lock);
    size_t n = a->store.n;
    pthread_rwlock_unlock(&a->lock);
    return n;
}

int pt_auth_check(pt_auth_t *a, const pt_sigv4_request_t *req, const char *op, size_t op_len,
                  time_t now, pt_error_t *err)
{
    pt_arena_t arena;
    pt_arena_init(&arena);
    pt_sigv4_auth_t sa;
    int rc = pt_sigv4_parse(req, "dynamodb", now, &arena, &sa, err);
    if (rc) goto out;
    pthread_rwlock_rdlock(&a->lock);
    const pt_credential_t *c = pt_credstore_find(&a->store, sa.key_id.s, sa.key_id.len);
    if (!c) {
        rc = pt_error_set(err, PT_E_UNRECOGNIZED_CLIENT, PT_SIGV4_MSG_UNKNOWN_KEY);
    } else if (!(rc = pt_sigv4_verify(req, &sa, c->secret, strlen(c->secret), &arena, err))) {
        char user[256];
        snprintf(user, sizeof user, "arn:aws:iam::%s:user/%s", a->account,
                 c->name ? c->name : c->key_id);
        char region[72];
        snprintf(region, sizeof region, "%.*s", (int)sa.region.len, sa.region.s);
        rc = pt_policy_check_request(&c->policy, op, op_len, req->body, req->body_len, user,
                                     region, a->account, err);
    }
    pthread_rwlock_unlock(&a->lock);
out:
    pt_arena_destroy(&arena);
    return rc;
}
