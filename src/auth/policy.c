/* Access policies: parsing, glob matching and the per-request check (see
 * policy.h for the rules).
 *
 * Invariants: a parsed policy owns all its strings (malloc'd, freed by
 * pt_policy_free); matching never recurses and never allocates; the request
 * check parses the body at most once into a private arena, bounded by the
 * body size the HTTP layer already capped.
 *
 * Not here: signature checks (sigv4.c), where policies come from
 * (credentials.c). */
#include "auth/policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/sigv4.h"

#define MAX_PATTERNS 256
#define MAX_PATTERN_LEN 1024

static char lower(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c; }

bool pt_glob_match(const char *pat, size_t pat_len, const char *s, size_t len, bool nocase)
{
    /* Classic greedy matcher: on a mismatch, retry from the last '*' with
     * one more character consumed by it. O(pat_len * len) worst case, both
     * bounded (patterns by MAX_PATTERN_LEN, names by the request). */
    size_t p = 0, i = 0, star_p = (size_t)-1, star_i = 0;
    while (i < len) {
        if (p < pat_len && pat[p] == '*') {
            star_p = p++;
            star_i = i;
        } else if (p < pat_len &&
                   (pat[p] == '?' ||
                    (nocase ? lower(pat[p]) == lower(s[i]) : pat[p] == s[i]))) {
            p++;
            i++;
        } else if (star_p != (size_t)-1) {
            p = star_p + 1;
            i = ++star_i;
        } else {
            return false;
        }
    }
    while (p < pat_len && pat[p] == '*') p++;
    return p == pat_len;
}

/* ---- parsing ---- */

static void free_list(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
}

void pt_policy_free(pt_policy_t *p)
{
    if (!p) return;
    for (size_t i = 0; i < p->nstmts; i++) {
        free_list(p->stmts[i].actions, p->stmts[i].nactions);
        free_list(p->stmts[i].tables, p->stmts[i].ntables);
    }
    free(p->stmts);
    memset(p, 0, sizeof *p);
}

static char *xstrndup(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (!d) pt_oom();
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

static int parse_list(const pt_json_t *v, const char *what, size_t stmt, char ***out,
                      size_t *n, char *errbuf, size_t errlen)
{
    if (!v || v->type != PT_JSON_ARRAY || v->len == 0 || v->len > MAX_PATTERNS) {
        snprintf(errbuf, errlen, "allow[%zu].%s must be an array of 1 to %d strings", stmt, what,
                 MAX_PATTERNS);
        return PT_ERR;
    }
    char **list = calloc(v->len, sizeof *list);
    if (!list) pt_oom();
    for (uint32_t i = 0; i < v->len; i++) {
        const pt_json_t *e = &v->u.elems[i];
        if (e->type != PT_JSON_STRING || e->len == 0 || e->len > MAX_PATTERN_LEN ||
            memchr(e->u.str, 0, e->len)) {
            snprintf(errbuf, errlen, "allow[%zu].%s[%u] must be a non-empty string", stmt, what, i);
            free_list(list, i);
            return PT_ERR;
        }
        list[i] = xstrndup(e->u.str, e->len);
    }
    *out = list;
    *n = v->len;
    return PT_OK;
}

int pt_policy_parse(const pt_json_t *allow, pt_policy_t *out, char *errbuf, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!allow) {
        out->unrestricted = true;
        return PT_OK;
    }
    const pt_json_t *stmts = allow;
    size_t n = 1;
    if (allow->type == PT_JSON_ARRAY) {
        n = allow->len;
        if (n > MAX_PATTERNS) {
            snprintf(errbuf, errlen, "allow may hold at most %d statements", MAX_PATTERNS);
            return PT_ERR;
        }
    } else if (allow->type != PT_JSON_OBJECT) {
        snprintf(errbuf, errlen, "allow must be an object or an array of objects");
        return PT_ERR;
    }
    out->stmts = n ? calloc(n, sizeof *out->stmts) : NULL;
    if (n && !out->stmts) pt_oom();
    for (size_t i = 0; i < n; i++) {
        const pt_json_t *s = allow->type == PT_JSON_ARRAY ? &stmts->u.elems[i] : allow;
        if (s->type != PT_JSON_OBJECT) {
            snprintf(errbuf, errlen, "allow[%zu] must be an object", i);
            goto fail;
        }
        for (uint32_t m = 0; m < s->len; m++) {
            const char *k = s->u.members[m].key;
            if (strcmp(k, "actions") && strcmp(k, "tables")) {
                snprintf(errbuf, errlen, "allow[%zu]: unknown member '%.100s'", i, k);
                goto fail;
            }
        }
        pt_policy_stmt_t *st = &out->stmts[i];
        out->nstmts = i + 1;
        if (parse_list(pt_json_get(s, "actions"), "actions", i, &st->actions, &st->nactions,
                       errbuf, errlen) ||
            parse_list(pt_json_get(s, "tables"), "tables", i, &st->tables, &st->ntables, errbuf,
                       errlen))
            goto fail;
    }
    out->nstmts = n;
    return PT_OK;
fail:
    pt_policy_free(out);
    return PT_ERR;
}

static char **copy_list(char **v, size_t n)
{
    char **c = calloc(n ? n : 1, sizeof *c);
    if (!c) pt_oom();
    for (size_t i = 0; i < n; i++) c[i] = xstrndup(v[i], strlen(v[i]));
    return c;
}

int pt_policy_copy(const pt_policy_t *src, pt_policy_t *dst)
{
    memset(dst, 0, sizeof *dst);
    dst->unrestricted = src->unrestricted;
    dst->nstmts = src->nstmts;
    if (src->nstmts) {
        dst->stmts = calloc(src->nstmts, sizeof *dst->stmts);
        if (!dst->stmts) pt_oom();
    }
    for (size_t i = 0; i < src->nstmts; i++) {
        dst->stmts[i].nactions = src->stmts[i].nactions;
        dst->stmts[i].actions = copy_list(src->stmts[i].actions, src->stmts[i].nactions);
        dst->stmts[i].ntables = src->stmts[i].ntables;
        dst->stmts[i].tables = copy_list(src->stmts[i].tables, src->stmts[i].ntables);
    }
    return PT_OK;
}

void pt_policy_write(const pt_policy_t *p, pt_jw_t *w)
{
    pt_jw_arr_begin(w);
    for (size_t i = 0; i < p->nstmts; i++) {
        pt_jw_obj_begin(w);
        pt_jw_keyz(w, "actions");
        pt_jw_arr_begin(w);
        for (size_t k = 0; k < p->stmts[i].nactions; k++) pt_jw_strz(w, p->stmts[i].actions[k]);
        pt_jw_arr_end(w);
        pt_jw_keyz(w, "tables");
        pt_jw_arr_begin(w);
        for (size_t k = 0; k < p->stmts[i].ntables; k++) pt_jw_strz(w, p->stmts[i].tables[k]);
        pt_jw_arr_end(w);
        pt_jw_obj_end(w);
    }
    pt_jw_arr_end(w);
}

/* ---- matching ---- */

static bool action_match(const char *pat, const char *action, size_t action_len)
{
    size_t pl = strlen(pat);
    /* "dynamodb:" prefix is optional in patterns (IAM writes it). */
    if (pl >= 9 && strncasecmp(pat, "dynamodb:", 9) == 0) pat += 9, pl -= 9;
    return pt_glob_match(pat, pl, action, action_len, true);
}

static bool table_match(const char *pat, const char *table, size_t table_len,
                        const char *table_arn)
{
    size_t pl = strlen(pat);
    if (!table) /* the resource "*": only a pattern that is all '*' covers it */
        return strspn(pat, "*") == pl;
    if (pl >= 4 && memcmp(pat, "arn:", 4) == 0)
        return table_arn && pt_glob_match(pat, pl, table_arn, strlen(table_arn), false);
    return pt_glob_match(pat, pl, table, table_len, false);
}

bool pt_policy_allows(const pt_policy_t *p, const char *action, size_t action_len,
                      const char *table, size_t table_len, const char *table_arn)
{
    if (p->unrestricted) return true;
    for (size_t i = 0; i < p->nstmts; i++) {
        const pt_policy_stmt_t *st = &p->stmts[i];
        bool a = false, t = false;
        for (size_t k = 0; k < st->nactions && !a; k++)
            a = action_match(st->actions[k], action, action_len);
        if (!a) continue;
        for (size_t k = 0; k < st->ntables && !t; k++)
            t = table_match(st->tables[k], table, table_len, table_arn);
        if (t) return true;
    }
    return false;
}

/* ---- the request check ---- */

typedef struct check {
    const pt_policy_t *p;
    const char *user_arn, *region, *account;
    pt_error_t *err;
    bool denied;
} check_t;

/* A TableName may be a table ARN: "arn:...:table/NAME[/...]" -> NAME. */
static void table_name_of(const char *s, size_t n, const char **name, size_t *len)
{
    *name = s;
    *len = n;
    if (n < 4 || memcmp(s, "arn:", 4) != 0) return;
    const char *t = memmem(s, n, ":table/", 7);
    if (!t) return;
    const char *b = t + 7;
    const char *e = memchr(b, '/', (size_t)(s + n - b));
    *name = b;
    *len = (size_t)((e ? e : s + n) - b);
}

/* Checks one pair; on denial fills err (the first denial wins). */
static void need(check_t *c, const char *action, size_t action_len, const char *table,
                 size_t table_len)
{
    if (c->denied) return;
    char arn[512];
    const char *tn = table;
    size_t tl = table_len;
    if (table) table_name_of(table, table_len, &tn, &tl);
    snprintf(arn, sizeof arn, "arn:aws:dynamodb:%s:%s:table/%.*s", c->region, c->account,
             table ? (int)(tl > 300 ? 300 : tl) : 1, table ? tn : "*");
    if (pt_policy_allows(c->p, action, action_len, table ? tn : NULL, tl, arn)) return;
    c->denied = true;
    pt_error_set(c->err, PT_E_ACCESS_DENIED,
                 "User: %s is not authorized to perform: dynamodb:%.*s on resource: %s because "
                 "no identity-based policy allows the dynamodb:%.*s action",
                 c->user_arn, (int)action_len, action, arn, (int)action_len, action);
}

static bool op_is(const char *op, size_t n, const char *lit)
{
    return strlen(lit) == n && memcmp(op, lit, n) == 0;
}

/* Operations that act on one table named by TableName (or ResourceArn).
 * Without that member they are a ValidationException in the engine and touch
 * nothing, so they are let through; every other operation (ListTables,
 * DescribeLimits, PartiQL statements, whose tables are inside the statement)
 * needs the resource "*". */
static bool table_scoped(const char *op, size_t n)
{
    static const char *const ops[] = {
        "CreateTable", "DeleteTable", "DescribeTable", "UpdateTable", "GetItem", "PutItem",
        "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem", "BatchWriteItem",
        "TransactGetItems", "TransactWriteItems", "TagResource", "UntagResource",
        "ListTagsOfResource", "UpdateTimeToLive", "DescribeTimeToLive",
        "DescribeContinuousBackups", "UpdateContinuousBackups", "CreateBackup", "DescribeBackup", "DeleteBackup",
        "RestoreTableFromBackup",
        "DescribeContributorInsights", "UpdateContributorInsights",
        "DescribeKinesisStreamingDestination", "DescribeTableReplicaAutoScaling",
        "ExportTableToPointInTime", "GetResourcePolicy", "PutResourcePolicy",
        "DeleteResourcePolicy",
    };
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (op_is(op, n, ops[i])) return true;
    return false;
}

static void need_str(check_t *c, const char *action, const pt_json_t *v)
{
    if (v && v->type == PT_JSON_STRING) need(c, action, strlen(action), v->u.str, v->len);
}

int pt_policy_check_request(const pt_policy_t *p, const char *op, size_t op_len,
                            const char *body, size_t body_len, const char *user_arn,
                            const char *region, const char *account, pt_error_t *err)
{
    if (p->unrestricted) return PT_OK;
    check_t c = {p, user_arn, region, account, err, false};
    pt_arena_t arena;
    pt_arena_init(&arena);
    pt_json_t req;
    /* DynamoDB Streams operations arrive as the whole target
     * ("DynamoDBStreams_20120810.GetRecords"): the action is dynamodb:<Op>,
     * and the stream ARN (a shard iterator begins with it) names the table. */
    static const char streams[] = "DynamoDBStreams_20120810.";
    bool is_streams = op_len > sizeof streams - 1 && !memcmp(op, streams, sizeof streams - 1);
    if (is_streams) {
        op += sizeof streams - 1;
        op_len -= sizeof streams - 1;
    }
    /* ListStreams without TableName lists every table's streams */
    bool scoped = is_streams ? !op_is(op, op_len, "ListStreams") : table_scoped(op, op_len);
    if (pt_json_parse(&arena, body, body_len, &req, NULL, 0) || req.type != PT_JSON_OBJECT) {
        /* The engine answers SerializationException; no table is touched.
         * An empty body is checked as a request without a table. */
        if (!scoped) need(&c, op, op_len, NULL, 0);
        goto done;
    }
    const pt_json_t *v;
    if (is_streams) {
        if ((v = pt_json_get(&req, "StreamArn")) || (v = pt_json_get(&req, "ShardIterator")) ||
            (v = pt_json_get(&req, "TableName"))) {
            if (v->type == PT_JSON_STRING) need(&c, op, op_len, v->u.str, v->len);
        } else if (!scoped) {
            need(&c, op, op_len, NULL, 0);
        }
    } else if (op_is(op, op_len, "BatchGetItem") || op_is(op, op_len, "BatchWriteItem")) {
        v = pt_json_get(&req, "RequestItems");
        if (v && v->type == PT_JSON_OBJECT)
            for (uint32_t i = 0; i < v->len; i++)
                need(&c, op, op_len, v->u.members[i].key, v->u.members[i].key_len);
    } else if (op_is(op, op_len, "TransactGetItems") || op_is(op, op_len, "TransactWriteItems")) {
        static const char *const kinds[][2] = {{"Get", "GetItem"},
                                               {"Put", "PutItem"},
                                               {"Update", "UpdateItem"},
                                               {"Delete", "DeleteItem"},
                                               {"ConditionCheck", "ConditionCheckItem"}};
        v = pt_json_get(&req, "TransactItems");
        if (v && v->type == PT_JSON_ARRAY)
            for (uint32_t i = 0; i < v->len; i++) {
                const pt_json_t *it = &v->u.elems[i];
                for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
                    const pt_json_t *x = pt_json_get(it, kinds[k][0]);
                    if (x) need_str(&c, kinds[k][1], pt_json_get(x, "TableName"));
                }
            }
    } else if ((v = pt_json_get(&req, "BackupArn")) != NULL) {
        /* a backup ARN names its table (arn:...:table/T/backup/...); a
         * restore also acts on the table it creates */
        if (v->type == PT_JSON_STRING) need(&c, op, op_len, v->u.str, v->len);
        if ((v = pt_json_get(&req, "TargetTableName")) != NULL && v->type == PT_JSON_STRING)
            need(&c, op, op_len, v->u.str, v->len);
    } else if ((v = pt_json_get(&req, "TableName")) != NULL) {
        if (v->type == PT_JSON_STRING) need(&c, op, op_len, v->u.str, v->len);
    } else if ((v = pt_json_get(&req, "ResourceArn")) != NULL) {
        if (v->type == PT_JSON_STRING) need(&c, op, op_len, v->u.str, v->len);
    } else if (!table_scoped(op, op_len)) {
        /* An operation that names no table: the resource is "*". */
        need(&c, op, op_len, NULL, 0);
    }
done:
    pt_arena_destroy(&arena);
    return c.denied ? PT_ERR : PT_OK;
}
