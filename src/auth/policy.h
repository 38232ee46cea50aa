/* Per-access-key access policies: allow lists of DynamoDB actions and
 * table-name patterns, checked for every authenticated request.
 *
 * A policy is a list of statements; a request is allowed when, for every
 * (action, table) pair it needs, some statement lists a matching action
 * pattern AND a matching table pattern. Patterns are globs ('*' any run,
 * '?' one character). Actions are written "dynamodb:GetItem" or "GetItem"
 * and match case-insensitively, as IAM action names do ("dynamodb:Get*",
 * "*"). Table patterns match the table name case-sensitively ("orders*"),
 * or the full table ARN when they start with "arn:".
 *
 * The pairs a request needs are IAM's: the operation on its TableName (or
 * the table of a ResourceArn); BatchGetItem/BatchWriteItem on every table of
 * RequestItems; TransactGetItems as GetItem and TransactWriteItems as
 * PutItem/UpdateItem/DeleteItem/ConditionCheckItem on each item's table.
 * Operations without a table (ListTables, DescribeLimits, ...) need the
 * resource "*" (written as table "*" in a statement), so a key restricted to
 * "orders*" cannot list tables, as with IAM. A request whose JSON does not
 * parse, or that lacks the table member, is let through: the engine rejects
 * it without touching any table. A denial is AccessDeniedException naming
 * the user, the action and the resource, in AWS's words.
 *
 * An unrestricted policy (no "allow" in the credential) allows everything;
 * an empty allow list allows nothing. */
#ifndef PT_POLICY_H
#define PT_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "util/arena.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/json.h"

typedef struct pt_policy_stmt {
    char **actions;
    size_t nactions;
    char **tables;
    size_t ntables;
} pt_policy_stmt_t;

typedef struct pt_policy {
    bool unrestricted;
    pt_policy_stmt_t *stmts;
    size_t nstmts;
} pt_policy_t;

/* Parses an "allow" value: NULL -> unrestricted; an object -> one
 * statement; an array of objects -> statements. Each statement needs
 * "actions" and "tables", non-empty arrays of non-empty strings (at most
 * 256 each). Returns PT_OK, or PT_ERR with a message naming the problem. */
int pt_policy_parse(const pt_json_t *allow, pt_policy_t *out, char *errbuf, size_t errlen);
void pt_policy_free(pt_policy_t *p);
/* Deep copy; returns PT_OK (aborts only on out of memory). */
int pt_policy_copy(const pt_policy_t *src, pt_policy_t *dst);
/* Writes the policy as its "allow" JSON value (nothing when unrestricted;
 * the caller writes the key). */
void pt_policy_write(const pt_policy_t *p, pt_jw_t *w);

/* Glob match: '*' matches any run (also empty), '?' one byte. Linear in
 * practice (greedy with one backtrack point), never recursive. */
bool pt_glob_match(const char *pat, size_t pat_len, const char *s, size_t len, bool nocase);

/* Whether one (action, table) pair is allowed; table NULL means the
 * resource "*". `table_arn` is the table's ARN (for "arn:" patterns). */
bool pt_policy_allows(const pt_policy_t *p, const char *action, size_t action_len,
                      const char *table, size_t table_len, const char *table_arn);

/* Checks every pair `op` with this JSON body needs. user_arn names the
 * caller in the message; region and account build resource ARNs. Returns
 * PT_OK, or PT_ERR with AccessDeniedException in err. */
int pt_policy_check_request(const pt_policy_t *p, const char *op, size_t op_len,
                            const char *body, size_t body_len, const char *user_arn,
                            const char *region, const char *account, pt_error_t *err);

#endif
