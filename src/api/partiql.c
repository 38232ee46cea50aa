/* PartiQL for DynamoDB: ExecuteStatement, BatchExecuteStatement and
 * ExecuteTransaction.
 *
 * A statement is parsed into a small tree and translated into the
 * DynamoDB operation that does the same thing, which then runs exactly as
 * if the client had sent it (same validation, capacity, conditions,
 * indexes, streams):
 *   SELECT ... FROM "t"["i"] WHERE pk = v [AND sk <op> v] [AND ...]
 *       → Query (key condition from the key equalities / ranges, the rest
 *         as FilterExpression); without a partition-key equality → Scan;
 *   INSERT INTO "t" VALUE {...}  → PutItem if the key does not exist
 *       (DuplicateItemException otherwise);
 *   UPDATE "t" SET/REMOVE ... WHERE <full key> [AND cond] [RETURNING ...]
 *       → UpdateItem of an existing item (ConditionalCheckFailedException
 *         if none);
 *   DELETE FROM "t" WHERE <full key> [AND cond] [RETURNING ALL OLD *]
 *       → DeleteItem.
 * Paths become ExpressionAttributeNames (#n0...), literals and `?`
 * parameters ExpressionAttributeValues (:v0...), so reserved words and
 * every attribute name work. A response hook (pt_call_t.post) turns the
 * operation's answer into PartiQL's: Items and a NextToken (the
 * LastEvaluatedKey, base64) for SELECT, Items for RETURNING.
 *
 * ExecuteTransaction becomes one TransactWriteItems (writes) or
 * TransactGetItems (SELECTs of full keys); BatchExecuteStatement prepares
 * each statement as its own call: reads run at once (GetItem), writes run
 * on the writer, each in its own nested transaction inside one job, so one
 * failure answers that entry's Error and leaves the others. */
#include "api/api.h"
#include "api/params.h"
#include "engine/av.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define E_DUPLICATE PT_DDB "DuplicateItemException"
#define MAX_STATEMENT 8192

/* Bounds on a WHERE clause, so recursion stays shallow whatever the input
 * (DynamoDB's own expressions stop at 300 operators). */
#define MAX_DEPTH 32
#define MAX_OPS 300

/* ---- lexer ---- */

enum { T_END, T_IDENT, T_QIDENT, T_STRING, T_NUMBER, T_PARAM, T_PUNCT };

typedef struct tok {
    int kind;
    const char *s; /* T_PUNCT: the characters; others: the text (quotes excluded) */
    size_t n;
} tok_t;

typedef struct parser {
    pt_arena_t *arena;
    const char *src;
    size_t len, pos;
    tok_t tok;
    const pt_json_t *params; /* the Parameters list (NULL: none) */
    uint32_t next_param;
    int depth;     /* parentheses and NOTs open */
    int nops;      /* operators and functions so far */
    bool failed;
    char err[256];
} parser_t;

static void fail(parser_t *p, const char *what)
{
    if (p->failed) return;
    p->failed = true;
    snprintf(p->err, sizeof p->err, "Statement wasn't well formed, can't be processed: %s", what);
}

static void next(parser_t *p)
{
    const char *s = p->src;
    for (;;) { /* blanks, -- line comments, block comments */
        while (p->pos < p->len && isspace((unsigned char)s[p->pos])) p->pos++;
        if (p->pos + 1 < p->len && s[p->pos] == '-' && s[p->pos + 1] == '-') {
            while (p->pos < p->len && s[p->pos] != '\n') p->pos++;
        } else if (p->pos + 1 < p->len && s[p->pos] == '/' && s[p->pos + 1] == '*') {
            const char *end = memmem(s + p->pos + 2, p->len - p->pos - 2, "*/", 2);
            if (!end) {
                fail(p, "");
                p->pos = p->len;
            } else {
                p->pos = (size_t)(end - s) + 2;
            }
        } else {
            break;
        }
    }
    tok_t *t = &p->tok;
    if (p->pos >= p->len) {
        *t = (tok_t){T_END, s + p->len, 0};
        return;
    }
    size_t b = p->pos;
    char c = s[b];
    if (isalpha((unsigned char)c) || c == '_') {
        while (p->pos < p->len && (isalnum((unsigned char)s[p->pos]) || s[p->pos] == '_')) p->pos++;
        *t = (tok_t){T_IDENT, s + b, p->pos - b};
    } else if (isdigit((unsigned char)c)) {
        while (p->pos < p->len && isdigit((unsigned char)s[p->pos])) p->pos++;
        if (p->pos < p->len && s[p->pos] == '.') {
            p->pos++;
            while (p->pos < p->len && isdigit((unsigned char)s[p->pos])) p->pos++;
        }
        if (p->pos < p->len && (s[p->pos] == 'e' || s[p->pos] == 'E')) {
            size_t e = p->pos + 1;
            if (e < p->len && (s[e] == '+' || s[e] == '-')) e++;
            if (e < p->len && isdigit((unsigned char)s[e])) {
                while (e < p->len && isdigit((unsigned char)s[e])) e++;
                p->pos = e;
            }
        }
        *t = (tok_t){T_NUMBER, s + b, p->pos - b};
    } else if (c == '\'' || c == '"') {
        /* 'string' / "identifier"; a doubled quote is one quote character */
        pt_buf_t out = PT_BUF_INIT;
        size_t i = b + 1;
        bool closed = false;
        while (i < p->len) {
            if (s[i] == c) {
                if (i + 1 < p->len && s[i + 1] == c) {
                    pt_buf_putc(&out, c);
                    i += 2;
                    continue;
                }
                closed = true;
                i++;
                break;
            }
            pt_buf_putc(&out, s[i++]);
        }
        p->pos = i;
        if (!closed) {
            pt_buf_free(&out);
            fail(p, "");
            *t = (tok_t){T_END, s + p->len, 0};
            return;
        }
        char *copy = pt_arena_strndup(p->arena, out.data ? out.data : "", out.len);
        *t = (tok_t){c == '"' ? T_QIDENT : T_STRING, copy, out.len};
        pt_buf_free(&out);
    } else if (c == '?') {
        p->pos++;
        *t = (tok_t){T_PARAM, s + b, 1};
    } else {
        static const char *const two[] = {"<<", ">>", "<=", ">=", "<>", "!="};
        for (size_t i = 0; i < sizeof two / sizeof *two; i++)
            if (b + 1 < p->len && s[b] == two[i][0] && s[b + 1] == two[i][1]) {
                p->pos += 2;
                *t = (tok_t){T_PUNCT, s + b, 2};
                return;
            }
        if (!strchr("()[]{},.:*=<>+-;", c)) {
            fail(p, "");
            *t = (tok_t){T_END, s + p->len, 0};
            return;
        }
        p->pos++;
        *t = (tok_t){T_PUNCT, s + b, 1};
    }
}

static bool is_punct(const parser_t *p, const char *s)
{
    return p->tok.kind == T_PUNCT && p->tok.n == strlen(s) && !memcmp(p->tok.s, s, p->tok.n);
}

static bool is_kw(const parser_t *p, const char *kw)
{
    return p->tok.kind == T_IDENT && p->tok.n == strlen(kw) && !strncasecmp(p->tok.s, kw, p->tok.n);
}

static bool accept_punct(parser_t *p, const char *s)
{
    if (!is_punct(p, s)) return false;
    next(p);
    return true;
}

static bool accept_kw(parser_t *p, const char *kw)
{
    if (!is_kw(p, kw)) return false;
    next(p);
    return true;
}

static void expect_punct(parser_t *p, const char *s)
{
    if (!accept_punct(p, s)) {
        char what[64];
        snprintf(what, sizeof what, "expected '%s'", s);
        fail(p, what);
    }
}

static void expect_kw(parser_t *p, const char *kw)
{
    if (!accept_kw(p, kw)) {
        char what[64];
        snprintf(what, sizeof what, "expected %s", kw);
        fail(p, what);
    }
}

/* ---- tree ---- */

typedef struct seg {
    const char *name; /* NULL: a list index */
    size_t len;
    long index;
} seg_t;

typedef struct path {
    seg_t *segs;
    uint32_t n;
} path_t;

enum { N_PATH, N_VALUE, N_SIZE, N_ARITH, N_CALL, N_CMP, N_BETWEEN, N_IN, N_AND, N_OR, N_NOT, N_MISSING, N_NULL };

typedef struct node node_t;
struct node {
    int kind;
    const char *op;      /* N_CMP: the operator; N_ARITH: "+" or "-"; N_CALL: function name */
    path_t path;         /* N_PATH, N_SIZE, N_MISSING, N_NULL */
    const char *json;    /* N_VALUE: the AttributeValue, as JSON */
    size_t json_len;
    node_t *a, *b, *c;
    node_t **args;       /* N_IN, N_CALL */
    uint32_t nargs;
    bool neg;            /* N_MISSING / N_NULL: IS NOT */
};

static node_t *new_node(parser_t *p, int kind)
{
    node_t *n = pt_arena_calloc(p->arena, sizeof *n);
    n->kind = kind;
    if (kind >= N_ARITH && ++p->nops > MAX_OPS) {
        p->failed = true;
        snprintf(p->err, sizeof p->err, "The statement has too many operators (at most %d)", MAX_OPS);
    }
    return n;
}

static bool is_name_tok(const parser_t *p) { return p->tok.kind == T_IDENT || p->tok.kind == T_QIDENT; }

static path_t parse_path(parser_t *p)
{
    path_t path = {0};
    seg_t segs[64];
    if (!is_name_tok(p)) {
        fail(p, "expected an attribute name");
        return path;
    }
    segs[path.n++] = (seg_t){p->tok.s, p->tok.n, 0};
    next(p);
    while (!p->failed) {
        if (is_punct(p, ".")) {
            next(p);
            if (!is_name_tok(p)) {
                fail(p, "expected an attribute name after '.'");
                break;
            }
            if (path.n == 64) {
                fail(p, "path too deep");
                break;
            }
            segs[path.n++] = (seg_t){p->tok.s, p->tok.n, 0};
            next(p);
        } else if (is_punct(p, "[")) {
            next(p);
            if (p->tok.kind != T_NUMBER || memchr(p->tok.s, '.', p->tok.n) || p->tok.n > 9) {
                fail(p, "expected a list index");
                break;
            }
            if (path.n == 64) {
                fail(p, "path too deep");
                break;
            }
            segs[path.n++] = (seg_t){NULL, 0, strtol(p->tok.s, NULL, 10)};
            next(p);
            expect_punct(p, "]");
        } else {
            break;
        }
    }
    path.segs = pt_arena_alloc(p->arena, (path.n ? path.n : 1) * sizeof *path.segs);
    memcpy(path.segs, segs, path.n * sizeof *segs);
    return path;
}

/* A literal or parameter as AttributeValue JSON appended to `out`. */
static void parse_value_into(parser_t *p, pt_jw_t *w, int depth)
{
    if (depth > 32) {
        fail(p, "literal nested too deeply");
        return;
    }
    if (p->tok.kind == T_STRING) {
        pt_jw_obj_begin(w);
        pt_jw_keyz(w, "S");
        pt_jw_str(w, p->tok.s, p->tok.n);
        pt_jw_obj_end(w);
        next(p);
    } else if (p->tok.kind == T_NUMBER || is_punct(p, "-")) {
        bool minus = accept_punct(p, "-");
        if (p->tok.kind != T_NUMBER) {
            fail(p, "expected a number");
            return;
        }
        char num[128];
        snprintf(num, sizeof num, "%s%.*s", minus ? "-" : "", (int)(p->tok.n > 120 ? 120 : p->tok.n), p->tok.s);
        pt_jw_obj_begin(w);
        pt_jw_keyz(w, "N");
        pt_jw_strz(w, num);
        pt_jw_obj_end(w);
        next(p);
    } else if (p->tok.kind == T_PARAM) {
        if (!p->params || p->next_param >= p->params->len) {
            p->next_param++;
            next(p);
            return; /* counted: the caller reports the mismatch */
        }
        pt_jw_value(w, &p->params->u.elems[p->next_param++]);
        next(p);
    } else if (is_kw(p, "TRUE") || is_kw(p, "FALSE")) {
        pt_jw_obj_begin(w);
        pt_jw_keyz(w, "BOOL");
        pt_jw_bool(w, is_kw(p, "TRUE"));
        pt_jw_obj_end(w);
        next(p);
    } else if (is_kw(p, "NULL")) {
        pt_jw_obj_begin(w);
        pt_jw_keyz(w, "NULL");
        pt_jw_bool(w, true);
        pt_jw_obj_end(w);
        next(p);
    } else if (accept_punct(p, "[")) {
        pt_jw_obj_begin(w);
        pt_jw_keyz(w, "L");
        pt_jw_arr_begin(w);
        if (!is_punct(p, "]"))
            do parse_value_into(p, w, depth + 1);
            while (!p->failed && accept_punct(p, ","));
        expect_punct(p, "]");
        pt_jw_arr_end(w);
        pt_jw_obj_end(w);
    } else if (accept_punct(p, "{")) {
        pt_jw_obj_begin(w);
        pt_jw_keyz(w, "M");
        pt_jw_obj_begin(w);
        if (!is_punct(p, "}"))
            do {
                if (p->tok.kind != T_STRING && p->tok.kind != T_QIDENT) {
                    fail(p, "expected a quoted attribute name in a map literal");
                    return;
                }
                pt_jw_key(w, p->tok.s, p->tok.n);
                next(p);
                expect_punct(p, ":");
                if (!p->failed) parse_value_into(p, w, depth + 1);
            } while (!p->failed && accept_punct(p, ","));
        expect_punct(p, "}");
        pt_jw_obj_end(w);
        pt_jw_obj_end(w);
    } else if (accept_punct(p, "<<")) {
        /* a set: all strings (SS) or all numbers (NS) */
        if (is_punct(p, ">>")) {
            p->failed = true;
            snprintf(p->err, sizeof p->err, "Empty bags are not supported");
            return;
        }
        int kind = p->tok.kind == T_STRING ? T_STRING : T_NUMBER;
        pt_jw_obj_begin(w);
        pt_jw_keyz(w, kind == T_STRING ? "SS" : "NS");
        pt_jw_arr_begin(w);
        do {
            bool minus = kind == T_NUMBER && accept_punct(p, "-");
            if (p->tok.kind != kind) {
                p->failed = true;
                snprintf(p->err, sizeof p->err,
                         "Unsupported data type in Bag. DynamoDB only supports either numbers or strings in bags");
                return;
            }
            char num[128];
            if (kind == T_NUMBER) {
                snprintf(num, sizeof num, "%s%.*s", minus ? "-" : "", (int)(p->tok.n > 120 ? 120 : p->tok.n),
                         p->tok.s);
                pt_jw_strz(w, num);
            } else {
                pt_jw_str(w, p->tok.s, p->tok.n);
            }
            next(p);
        } while (!p->failed && accept_punct(p, ","));
        expect_punct(p, ">>");
        pt_jw_arr_end(w);
        pt_jw_obj_end(w);
    } else {
        fail(p, "expected a value");
    }
}

static node_t *parse_value(parser_t *p)
{
    node_t *n = new_node(p, N_VALUE);
    pt_buf_t b = PT_BUF_INIT;
    pt_jw_t w;
    pt_jw_init(&w, &b);
    parse_value_into(p, &w, 0);
    n->json = pt_arena_strndup(p->arena, b.data ? b.data : "", b.len);
    n->json_len = b.len;
    pt_buf_free(&b);
    return n;
}

static bool starts_value(const parser_t *p)
{
    return p->tok.kind == T_STRING || p->tok.kind == T_NUMBER || p->tok.kind == T_PARAM || is_punct(p, "-") ||
           is_punct(p, "[") || is_punct(p, "{") || is_punct(p, "<<") || is_kw(p, "TRUE") || is_kw(p, "FALSE") ||
           is_kw(p, "NULL");
}

static node_t *parse_cond(parser_t *p);

/* A function call whose name was just read (p->tok is '('). */
static node_t *parse_call(parser_t *p, const char *name, size_t len)
{
    node_t *n = new_node(p, N_CALL);
    n->op = pt_arena_strndup(p->arena, name, len);
    for (char *c = (char *)n->op; *c; c++) *c = (char)tolower((unsigned char)*c);
    expect_punct(p, "(");
    node_t *args[8];
    if (!is_punct(p, ")"))
        do {
            if (n->nargs == 8) {
                fail(p, "too many function arguments");
                n->nargs = 0; /* a failed parse is never walked, but keep the node whole */
                return n;
            }
            if (starts_value(p)) {
                args[n->nargs++] = parse_value(p);
            } else if (is_name_tok(p)) {
                node_t *a = new_node(p, N_PATH);
                a->path = parse_path(p);
                args[n->nargs++] = a;
            } else {
                fail(p, "expected a function argument");
                n->nargs = 0;
                return n;
            }
        } while (!p->failed && accept_punct(p, ","));
    expect_punct(p, ")");
    n->args = pt_arena_alloc(p->arena, (n->nargs ? n->nargs : 1) * sizeof *n->args);
    memcpy(n->args, args, n->nargs * sizeof *args);
    return n;
}

static node_t *parse_operand(parser_t *p)
{
    if (starts_value(p)) return parse_value(p);
    if (p->tok.kind == T_IDENT && p->pos < p->len) {
        /* a function call: name '(' */
        size_t save = p->pos;
        tok_t t = p->tok;
        next(p);
        if (is_punct(p, "(")) {
            if (t.n == 4 && !strncasecmp(t.s, "size", 4)) {
                next(p);
                node_t *n = new_node(p, N_SIZE);
                n->path = parse_path(p);
                expect_punct(p, ")");
                return n;
            }
            return parse_call(p, t.s, t.n);
        }
        p->pos = save;
        p->tok = t;
    }
    if (is_name_tok(p)) {
        node_t *n = new_node(p, N_PATH);
        n->path = parse_path(p);
        return n;
    }
    fail(p, p->tok.kind == T_END ? "Unexpected term" : "Unexpected term");
    return new_node(p, N_VALUE);
}

static node_t *parse_pred(parser_t *p)
{
    if (accept_punct(p, "(")) {
        if (++p->depth > MAX_DEPTH) {
            fail(p, "nesting too deep");
            return new_node(p, N_VALUE);
        }
        node_t *n = parse_cond(p);
        expect_punct(p, ")");
        p->depth--;
        return n;
    }
    node_t *a = parse_operand(p);
    if (p->failed) return a;
    if (a->kind == N_CALL) return a;
    static const char *const cmps[] = {"=", "<>", "!=", "<", "<=", ">", ">="};
    for (size_t i = 0; i < sizeof cmps / sizeof *cmps; i++)
        if (is_punct(p, cmps[i])) {
            next(p);
            node_t *n = new_node(p, N_CMP);
            n->op = i == 2 ? "<>" : cmps[i];
            n->a = a;
            n->b = parse_operand(p);
            return n;
        }
    if (accept_kw(p, "BETWEEN")) {
        node_t *n = new_node(p, N_BETWEEN);
        n->a = a;
        n->b = parse_operand(p);
        expect_kw(p, "AND");
        n->c = parse_operand(p);
        return n;
    }
    if (accept_kw(p, "IN")) {
        node_t *n = new_node(p, N_IN);
        n->a = a;
        bool bracket = accept_punct(p, "[");
        if (!bracket) expect_punct(p, "(");
        node_t *items[100];
        do {
            if (n->nargs == 100) {
                fail(p, "too many values in IN");
                return n;
            }
            items[n->nargs++] = parse_operand(p);
        } while (!p->failed && accept_punct(p, ","));
        expect_punct(p, bracket ? "]" : ")");
        n->args = pt_arena_alloc(p->arena, n->nargs * sizeof *n->args);
        memcpy(n->args, items, n->nargs * sizeof *items);
        return n;
    }
    if (accept_kw(p, "IS")) {
        bool neg = accept_kw(p, "NOT");
        node_t *n = new_node(p, is_kw(p, "MISSING") ? N_MISSING : N_NULL);
        if (!accept_kw(p, "MISSING") && !accept_kw(p, "NULL")) fail(p, "expected MISSING or NULL after IS");
        if (a->kind != N_PATH) fail(p, "IS applies to an attribute");
        n->neg = neg;
        n->path = a->path;
        return n;
    }
    fail(p, "expected a comparison");
    return a;
}

static node_t *parse_not(parser_t *p)
{
    if (accept_kw(p, "NOT")) {
        if (++p->depth > MAX_DEPTH) {
            fail(p, "nesting too deep");
            return new_node(p, N_VALUE);
        }
        node_t *n = new_node(p, N_NOT);
        n->a = parse_not(p);
        p->depth--;
        return n;
    }
    return parse_pred(p);
}

static node_t *parse_and(parser_t *p)
{
    node_t *a = parse_not(p);
    while (!p->failed && accept_kw(p, "AND")) {
        if (p->tok.kind == T_END) fail(p, "Missing right-hand side expression of infix operator");
        node_t *n = new_node(p, N_AND);
        n->a = a;
        n->b = parse_not(p);
        a = n;
    }
    return a;
}

static node_t *parse_cond(parser_t *p)
{
    node_t *a = parse_and(p);
    while (!p->failed && accept_kw(p, "OR")) {
        if (p->tok.kind == T_END) fail(p, "Missing right-hand side expression of infix operator");
        node_t *n = new_node(p, N_OR);
        n->a = a;
        n->b = parse_and(p);
        a = n;
    }
    return a;
}

/* ---- statements ---- */

/* S_EXISTS: EXISTS(SELECT ...), a condition check in ExecuteTransaction */
enum { S_SELECT, S_INSERT, S_UPDATE, S_DELETE, S_EXISTS };
enum { A_SET, A_REMOVE, A_ADD, A_DELETE };

typedef struct action {
    int kind;
    path_t path;
    node_t *value; /* A_SET: operand, N_ARITH or N_CALL; A_ADD/A_DELETE: N_VALUE */
} action_t;

typedef struct stmt {
    int kind;
    const char *table, *index;
    size_t table_len, index_len;
    bool star;
    path_t *proj;
    uint32_t nproj;
    node_t *where;
    node_t *item;             /* INSERT: the VALUE (N_VALUE, a map) */
    action_t *acts;
    uint32_t nacts;
    const char *returning;    /* ReturnValues, or NULL */
    bool desc;                /* ORDER BY ... DESC */
} stmt_t;

/* What may follow a table name; any other name is an alias. */
static void no_alias(parser_t *p)
{
    static const char *const next_words[] = {"WHERE", "ORDER", "SET", "REMOVE", "VALUE", "RETURNING", NULL};
    if (p->failed || !is_name_tok(p)) return;
    for (int i = 0; next_words[i]; i++)
        if (p->tok.kind == T_IDENT && is_kw(p, next_words[i])) return;
    p->failed = true;
    snprintf(p->err, sizeof p->err, "%s",
             is_kw(p, "LIMIT") ? "Unsupported clause: LIMIT" : "Aliasing is not supported");
}

static void parse_table(parser_t *p, stmt_t *s, bool allow_index)
{
    if (!is_name_tok(p)) {
        fail(p, "expected a table name");
        return;
    }
    s->table = p->tok.s;
    s->table_len = p->tok.n;
    next(p);
    if (allow_index && accept_punct(p, ".")) {
        if (!is_name_tok(p)) {
            fail(p, "expected an index name");
            return;
        }
        s->index = p->tok.s;
        s->index_len = p->tok.n;
        next(p);
    }
    no_alias(p);
}

static node_t *parse_set_value(parser_t *p, action_t *act)
{
    node_t *a = parse_operand(p);
    if (p->failed) return a;
    if (a->kind == N_CALL && (!strcmp(a->op, "set_add") || !strcmp(a->op, "set_delete"))) {
        /* SET s = set_add(s, <<...>>) is ADD s :v (set_delete: DELETE) */
        if (a->nargs != 2 || a->args[0]->kind != N_PATH || a->args[1]->kind != N_VALUE) {
            fail(p, "set_add / set_delete take an attribute and a set");
            return a;
        }
        act->kind = !strcmp(a->op, "set_add") ? A_ADD : A_DELETE;
        return a->args[1];
    }
    if (is_punct(p, "+") || is_punct(p, "-")) {
        node_t *n = new_node(p, N_ARITH);
        n->op = is_punct(p, "+") ? "+" : "-";
        next(p);
        n->a = a;
        n->b = parse_operand(p);
        return n;
    }
    return a;
}

static void parse_select(parser_t *p, stmt_t *s)
{
    {
        s->kind = S_SELECT;
        if (accept_punct(p, "*")) {
            s->star = true;
        } else {
            path_t proj[100];
            do {
                if (s->nproj == 100) {
                    fail(p, "too many projected attributes");
                    return;
                }
                proj[s->nproj++] = parse_path(p);
            } while (!p->failed && accept_punct(p, ","));
            s->proj = pt_arena_alloc(p->arena, s->nproj * sizeof *s->proj);
            memcpy(s->proj, proj, s->nproj * sizeof *proj);
        }
        expect_kw(p, "FROM");
        parse_table(p, s, true);
        if (accept_kw(p, "WHERE")) s->where = parse_cond(p);
        if (accept_kw(p, "ORDER")) {
            expect_kw(p, "BY");
            parse_path(p);
            if (accept_kw(p, "DESC")) s->desc = true;
            else accept_kw(p, "ASC");
        }
        if (!p->failed && is_kw(p, "LIMIT")) {
            p->failed = true;
            snprintf(p->err, sizeof p->err, "Unsupported clause: LIMIT");
        }
    }
}

static void parse_statement(parser_t *p, stmt_t *s)
{
    memset(s, 0, sizeof *s);
    next(p);
    if (accept_kw(p, "SELECT")) {
        parse_select(p, s);
    } else if (accept_kw(p, "EXISTS")) {
        expect_punct(p, "(");
        expect_kw(p, "SELECT");
        if (!p->failed) parse_select(p, s);
        expect_punct(p, ")");
        s->kind = S_EXISTS;
    } else if (accept_kw(p, "INSERT")) {
        s->kind = S_INSERT;
        expect_kw(p, "INTO");
        parse_table(p, s, false);
        expect_kw(p, "VALUE");
        if (!p->failed) s->item = parse_value(p);
    } else if (accept_kw(p, "UPDATE")) {
        s->kind = S_UPDATE;
        parse_table(p, s, false);
        action_t acts[100];
        while (!p->failed) {
            bool set = accept_kw(p, "SET");
            if (!set && !accept_kw(p, "REMOVE")) break;
            do {
                if (s->nacts == 100) {
                    fail(p, "too many update actions");
                    return;
                }
                action_t *a = &acts[s->nacts++];
                a->kind = set ? A_SET : A_REMOVE;
                a->path = parse_path(p);
                if (set) {
                    expect_punct(p, "=");
                    if (!p->failed) a->value = parse_set_value(p, a);
                }
            } while (!p->failed && accept_punct(p, ","));
        }
        if (!s->nacts) fail(p, "expected SET or REMOVE");
        s->acts = pt_arena_alloc(p->arena, (s->nacts ? s->nacts : 1) * sizeof *s->acts);
        memcpy(s->acts, acts, s->nacts * sizeof *acts);
        /* no WHERE: the translation reports the missing key */
        if (!p->failed && accept_kw(p, "WHERE")) s->where = parse_cond(p);
    } else if (accept_kw(p, "DELETE")) {
        s->kind = S_DELETE;
        expect_kw(p, "FROM");
        parse_table(p, s, false);
        if (!p->failed && accept_kw(p, "WHERE")) s->where = parse_cond(p);
    } else {
        fail(p, "Expected data manipulation");
        return;
    }
    if (!p->failed && accept_kw(p, "RETURNING")) {
        bool all = accept_kw(p, "ALL");
        if (!all) expect_kw(p, "MODIFIED");
        bool old = accept_kw(p, "OLD");
        if (!old) expect_kw(p, "NEW");
        expect_punct(p, "*");
        s->returning = all ? (old ? "ALL_OLD" : "ALL_NEW") : (old ? "UPDATED_OLD" : "UPDATED_NEW");
        if (!p->failed && s->kind == S_INSERT) {
            p->failed = true;
            snprintf(p->err, sizeof p->err, "RETURNING is not supported in INSERT");
        } else if (!p->failed && s->kind == S_DELETE && strcmp(s->returning, "ALL_OLD")) {
            p->failed = true;
            snprintf(p->err, sizeof p->err,
                     "Invalid returning clause: RETURNING %s %s *. Only RETURNING ALL OLD * is allowed in DELETE "
                     "statements.",
                     all ? "ALL" : "MODIFIED", old ? "OLD" : "NEW");
        } else if (!p->failed && s->kind == S_SELECT) {
            fail(p, "Unexpected token after expression");
        }
    }
    accept_punct(p, ";");
    if (!p->failed && p->tok.kind != T_END) fail(p, "Unexpected token after expression");
}

/* ---- translation to a DynamoDB request ---- */

typedef struct emit {
    pt_arena_t *arena;
    pt_buf_t names, values; /* JSON object bodies: "#n0":"a",... */
    int nn, nv;
} emit_t;

static void emit_path(emit_t *e, pt_buf_t *out, const path_t *path)
{
    for (uint32_t i = 0; i < path->n; i++) {
        const seg_t *s = &path->segs[i];
        if (!s->name) {
            pt_buf_printf(out, "[%ld]", s->index);
            continue;
        }
        if (i) pt_buf_putc(out, '.');
        pt_buf_printf(out, "#n%d", e->nn);
        if (e->names.len) pt_buf_putc(&e->names, ',');
        pt_jw_t w;
        pt_jw_init(&w, &e->names);
        char key[16];
        snprintf(key, sizeof key, "#n%d", e->nn++);
        pt_jw_strz(&w, key);
        pt_buf_putc(&e->names, ':');
        pt_jw_init(&w, &e->names);
        pt_jw_str(&w, s->name, s->len);
    }
}

static void emit_value(emit_t *e, pt_buf_t *out, const char *json, size_t len)
{
    pt_buf_printf(out, ":v%d", e->nv);
    if (e->values.len) pt_buf_putc(&e->values, ',');
    pt_buf_printf(&e->values, "\":v%d\":", e->nv++);
    pt_buf_append(&e->values, json, len);
}

static void emit_operand(emit_t *e, pt_buf_t *out, const node_t *n);

static void emit_call(emit_t *e, pt_buf_t *out, const node_t *n)
{
    pt_buf_puts(out, n->op);
    pt_buf_putc(out, '(');
    for (uint32_t i = 0; i < n->nargs; i++) {
        if (i) pt_buf_puts(out, ", ");
        emit_operand(e, out, n->args[i]);
    }
    pt_buf_putc(out, ')');
}

static void emit_operand(emit_t *e, pt_buf_t *out, const node_t *n)
{
    switch (n->kind) {
    case N_PATH: emit_path(e, out, &n->path); break;
    case N_VALUE: emit_value(e, out, n->json, n->json_len); break;
    case N_SIZE:
        pt_buf_puts(out, "size(");
        emit_path(e, out, &n->path);
        pt_buf_putc(out, ')');
        break;
    case N_ARITH:
        emit_operand(e, out, n->a);
        pt_buf_printf(out, " %s ", n->op);
        emit_operand(e, out, n->b);
        break;
    case N_CALL: emit_call(e, out, n); break;
    default: break;
    }
}

static void emit_cond(emit_t *e, pt_buf_t *out, const node_t *n)
{
    switch (n->kind) {
    case N_AND:
    case N_OR:
        pt_buf_putc(out, '(');
        emit_cond(e, out, n->a);
        pt_buf_puts(out, n->kind == N_AND ? " AND " : " OR ");
        emit_cond(e, out, n->b);
        pt_buf_putc(out, ')');
        break;
    case N_NOT:
        pt_buf_puts(out, "(NOT ");
        emit_cond(e, out, n->a);
        pt_buf_putc(out, ')');
        break;
    case N_CMP:
        emit_operand(e, out, n->a);
        pt_buf_printf(out, " %s ", n->op);
        emit_operand(e, out, n->b);
        break;
    case N_BETWEEN:
        emit_operand(e, out, n->a);
        pt_buf_puts(out, " BETWEEN ");
        emit_operand(e, out, n->b);
        pt_buf_puts(out, " AND ");
        emit_operand(e, out, n->c);
        break;
    case N_IN:
        emit_operand(e, out, n->a);
        pt_buf_puts(out, " IN (");
        for (uint32_t i = 0; i < n->nargs; i++) {
            if (i) pt_buf_puts(out, ", ");
            emit_operand(e, out, n->args[i]);
        }
        pt_buf_putc(out, ')');
        break;
    case N_MISSING:
        pt_buf_puts(out, n->neg ? "attribute_exists(" : "attribute_not_exists(");
        emit_path(e, out, &n->path);
        pt_buf_putc(out, ')');
        break;
    case N_NULL: {
        static const char null_type[] = "{\"S\":\"NULL\"}";
        if (n->neg) {
            pt_buf_puts(out, "(attribute_exists(");
            emit_path(e, out, &n->path);
            pt_buf_puts(out, ") AND NOT attribute_type(");
        } else {
            pt_buf_puts(out, "attribute_type(");
        }
        emit_path(e, out, &n->path);
        pt_buf_puts(out, ", ");
        emit_value(e, out, null_type, sizeof null_type - 1);
        pt_buf_puts(out, n->neg ? "))" : ")");
        break;
    }
    case N_CALL: emit_call(e, out, n); break;
    default: emit_operand(e, out, n); break;
    }
}

/* The conjuncts of a WHERE (its top-level AND chain). */
static void conjuncts(node_t *n, node_t **out, uint32_t *k, uint32_t cap)
{
    if (n->kind == N_AND) {
        conjuncts(n->a, out, k, cap);
        conjuncts(n->b, out, k, cap);
    } else if (*k < cap) {
        out[(*k)++] = n;
    }
}

static bool path_is(const node_t *n, const char *name)
{
    return n && n->kind == N_PATH && n->path.n == 1 && n->path.segs[0].name && name &&
           strlen(name) == n->path.segs[0].len && !memcmp(n->path.segs[0].name, name, n->path.segs[0].len);
}

/* `name = value` (either side); its value node or NULL. */
static node_t *key_equality(node_t *c, const char *name)
{
    if (c->kind != N_CMP || strcmp(c->op, "=")) return NULL;
    if (path_is(c->a, name) && c->b->kind == N_VALUE) return c->b;
    if (path_is(c->b, name) && c->a->kind == N_VALUE) return c->a;
    return NULL;
}

/* Whether a condition names the top-level attribute `name` anywhere. */
static bool refs_attr(const node_t *n, const char *name)
{
    if (!n) return false;
    if ((n->kind == N_PATH || n->kind == N_SIZE || n->kind == N_MISSING || n->kind == N_NULL) && n->path.n &&
        n->path.segs[0].name && strlen(name) == n->path.segs[0].len &&
        !memcmp(n->path.segs[0].name, name, n->path.segs[0].len))
        return true;
    if (refs_attr(n->a, name) || refs_attr(n->b, name) || refs_attr(n->c, name)) return true;
    for (uint32_t i = 0; i < n->nargs; i++)
        if (refs_attr(n->args[i], name)) return true;
    return false;
}

/* A condition on the sort key a key condition can hold. */
static bool sort_key_condition(const node_t *c, const char *name)
{
    if (c->kind == N_CMP && strcmp(c->op, "<>"))
        return (path_is(c->a, name) && c->b->kind == N_VALUE) || (path_is(c->b, name) && c->a->kind == N_VALUE);
    if (c->kind == N_BETWEEN) return path_is(c->a, name) && c->b->kind == N_VALUE && c->c->kind == N_VALUE;
    if (c->kind == N_CALL && !strcmp(c->op, "begins_with"))
        return c->nargs == 2 && path_is(c->args[0], name) && c->args[1]->kind == N_VALUE;
    return false;
}

typedef struct xlate {
    const char *op;      /* the DynamoDB operation */
    pt_buf_t req;        /* its request JSON */
    int kind;            /* S_* */
    const char *returning;
    /* SELECT of nested paths: DynamoDB answers each under its last path
     * component, so the whole items are read and projected afterwards */
    const path_t *proj;
    uint32_t nproj;
} xlate_t;

static void put_key(pt_buf_t *b, const char *name, const node_t *v)
{
    pt_jw_t w;
    pt_jw_init(&w, b);
    pt_jw_strz(&w, name);
    pt_buf_putc(b, ':');
    pt_buf_append(b, v->json, v->json_len);
}

static void finish_request(emit_t *e, pt_buf_t *req)
{
    if (e->names.len) {
        pt_buf_puts(req, ",\"ExpressionAttributeNames\":{");
        pt_buf_append(req, e->names.data, e->names.len);
        pt_buf_putc(req, '}');
    }
    if (e->values.len) {
        pt_buf_puts(req, ",\"ExpressionAttributeValues\":{");
        pt_buf_append(req, e->values.data, e->values.len);
        pt_buf_putc(req, '}');
    }
    pt_buf_putc(req, '}');
}

static void table_member(pt_buf_t *req, const stmt_t *s)
{
    pt_jw_t w;
    pt_jw_init(&w, req);
    pt_buf_puts(req, "{\"TableName\":");
    pt_jw_str(&w, s->table, s->table_len);
}

/* The key attribute names of the table (or index) the statement names;
 * PT_ERR with ResourceNotFoundException / ValidationException. */
static int key_types(pt_call_t *call, const stmt_t *s, const char **hash, const char **range, int *types)
{
    pt_table_t *t = pt_catalog_get(call->engine, s->table, s->table_len);
    if (!t) return pt_error_set(&call->err, PT_E_NOT_FOUND, "Requested resource not found");
    *hash = pt_arena_strndup(&call->arena, t->hash.name, strlen(t->hash.name));
    *range = t->range.name ? pt_arena_strndup(&call->arena, t->range.name, strlen(t->range.name)) : NULL;
    if (types) {
        types[0] = t->hash.type;
        types[1] = t->range.name ? t->range.type : 0;
    }
    int rc = PT_OK;
    if (s->index) {
        pthread_mutex_lock(&t->meta_lock);
        const pt_index_t *ix = NULL;
        for (uint32_t i = 0; i < t->nindexes; i++)
            if (strlen(t->indexes[i]->name) == s->index_len && !memcmp(t->indexes[i]->name, s->index, s->index_len))
                ix = t->indexes[i];
        if (ix) {
            *hash = pt_arena_strndup(&call->arena, ix->hash.name, strlen(ix->hash.name));
            *range = ix->range.name ? pt_arena_strndup(&call->arena, ix->range.name, strlen(ix->range.name)) : NULL;
        }
        pthread_mutex_unlock(&t->meta_lock);
        if (!ix)
            rc = pt_error_set(&call->err, PT_E_VALIDATION, "The table does not have the specified index");
    }
    pt_table_release(t);
    return rc;
}

static int key_names(pt_call_t *call, const stmt_t *s, const char **hash, const char **range)
{
    return key_types(call, s, hash, range, NULL);
}

/* SELECT → Query (partition-key equality) or Scan. `get` (BatchExecute /
 * transactions): the WHERE must be exactly the full key → GetItem. */
static int xlate_select(pt_call_t *call, const stmt_t *s, const pt_json_t *req, const char *get, xlate_t *x)
{
    const char *hash, *range;
    if (key_names(call, s, &hash, &range)) return PT_ERR;
    emit_t e = {.arena = &call->arena};
    node_t *conj[64];
    uint32_t n = 0;
    if (s->where) conjuncts(s->where, conj, &n, 64);
    node_t *hv = NULL;
    int hpos = -1, rpos = -1;
    for (uint32_t i = 0; i < n && !hv; i++)
        if ((hv = key_equality(conj[i], hash))) hpos = (int)i;
    for (uint32_t i = 0; hv && range && i < n && rpos < 0; i++)
        if ((int)i != hpos && sort_key_condition(conj[i], range)) rpos = (int)i;
    int rpos2 = -1; /* sk >= a AND sk <= b: one BETWEEN */
    node_t *between = NULL;
    if (!get && rpos >= 0 && conj[rpos]->kind == N_CMP && path_is(conj[rpos]->a, range) &&
        (!strcmp(conj[rpos]->op, ">=") || !strcmp(conj[rpos]->op, "<="))) {
        const char *other = !strcmp(conj[rpos]->op, ">=") ? "<=" : ">=";
        for (uint32_t i = 0; i < n && rpos2 < 0; i++)
            if ((int)i != hpos && (int)i != rpos && conj[i]->kind == N_CMP && !strcmp(conj[i]->op, other) &&
                path_is(conj[i]->a, range) && conj[i]->b->kind == N_VALUE)
                rpos2 = (int)i;
        if (rpos2 >= 0 && conj[rpos]->b->kind == N_VALUE) {
            between = pt_arena_calloc(&call->arena, sizeof *between);
            between->kind = N_BETWEEN;
            between->a = conj[rpos]->a;
            bool low_first = !strcmp(conj[rpos]->op, ">=");
            between->b = low_first ? conj[rpos]->b : conj[rpos2]->b;
            between->c = low_first ? conj[rpos2]->b : conj[rpos]->b;
        } else {
            rpos2 = -1;
        }
    }
    /* a Query's filter may not name key attributes: any other condition on
     * them makes it a Scan, whose filter may */
    for (uint32_t i = 0; hv && !get && i < n; i++)
        if ((int)i != hpos && (int)i != rpos && (int)i != rpos2 &&
            (refs_attr(conj[i], hash) || (range && refs_attr(conj[i], range)))) {
            hv = NULL;
            hpos = rpos = rpos2 = -1;
            between = NULL;
        }
    pt_buf_t *b = &x->req;
    table_member(b, s);
    if (s->index) {
        pt_jw_t w;
        pt_jw_init(&w, b);
        pt_buf_puts(b, ",\"IndexName\":");
        pt_jw_str(&w, s->index, s->index_len);
    }
    if (get) {
        node_t *rv = range && rpos >= 0 ? key_equality(conj[rpos], range) : NULL;
        pt_buf_free(&e.names);
        pt_buf_free(&e.values);
        if (s->index && !strcmp(get, "ExecuteTransaction"))
            return pt_error_set(&call->err, PT_E_VALIDATION, "Reads on indices are not supported within transactions.");
        if (!hv || (range && !rv) || n != (range ? 2u : 1u) || s->index)
            return pt_error_set(&call->err, PT_E_VALIDATION,
                                "Select statements within %s must specify the primary key in the where clause.", get);
        x->op = "GetItem";
        pt_buf_puts(b, ",\"Key\":{");
        put_key(b, hash, hv);
        if (rv) {
            pt_buf_putc(b, ',');
            put_key(b, range, rv);
        }
        pt_buf_putc(b, '}');
    } else {
        x->op = hv ? "Query" : "Scan";
        pt_buf_t f = PT_BUF_INIT;
        if (hv) {
            pt_buf_t kc = PT_BUF_INIT;
            emit_cond(&e, &kc, conj[hpos]);
            if (rpos >= 0) {
                pt_buf_puts(&kc, " AND ");
                emit_cond(&e, &kc, between ? between : conj[rpos]);
            }
            pt_jw_t w;
            pt_jw_init(&w, b);
            pt_buf_puts(b, ",\"KeyConditionExpression\":");
            pt_jw_str(&w, kc.data, kc.len);
            pt_buf_free(&kc);
            if (s->desc) pt_buf_puts(b, ",\"ScanIndexForward\":false");
        }
        for (uint32_t i = 0; i < n; i++) {
            if ((int)i == hpos || (int)i == rpos || (int)i == rpos2) continue;
            if (f.len) pt_buf_puts(&f, " AND ");
            emit_cond(&e, &f, conj[i]);
        }
        if (f.len) {
            pt_jw_t w;
            pt_jw_init(&w, b);
            pt_buf_puts(b, ",\"FilterExpression\":");
            pt_jw_str(&w, f.data, f.len);
        }
        pt_buf_free(&f);
        const pt_json_t *limit = pt_json_get(req, "Limit");
        if (limit && limit->type == PT_JSON_NUMBER) pt_buf_printf(b, ",\"Limit\":%.*s", (int)limit->len, limit->u.str);
    }
    bool nested = false;
    for (uint32_t i = 0; i < s->nproj; i++) nested |= s->proj[i].n > 1;
    if (nested && !get) {
        x->proj = s->proj;
        x->nproj = s->nproj;
    } else if (!s->star) {
        pt_buf_t pe = PT_BUF_INIT;
        for (uint32_t i = 0; i < s->nproj; i++) {
            if (i) pt_buf_puts(&pe, ", ");
            emit_path(&e, &pe, &s->proj[i]);
        }
        pt_jw_t w;
        pt_jw_init(&w, b);
        pt_buf_puts(b, ",\"ProjectionExpression\":");
        pt_jw_str(&w, pe.data, pe.len);
        pt_buf_free(&pe);
    }
    const pt_json_t *cr = pt_json_get(req, "ConsistentRead");
    if (cr && cr->type == PT_JSON_TRUE) pt_buf_puts(b, ",\"ConsistentRead\":true");
    finish_request(&e, b);
    pt_buf_free(&e.names);
    pt_buf_free(&e.values);
    return PT_OK;
}

/* The full key of an UPDATE/DELETE (its equalities on the key attributes)
 * and the remaining conjuncts as a condition that also requires the item. */
static int xlate_key_and_condition(pt_call_t *call, const stmt_t *s, emit_t *e, pt_buf_t *b, bool update)
{
    const char *hash, *range;
    if (key_names(call, s, &hash, &range)) return PT_ERR;
    node_t *conj[64];
    uint32_t n = 0;
    if (s->where) conjuncts(s->where, conj, &n, 64);
    node_t *hv = NULL, *rv = NULL;
    int hpos = -1, rpos = -1;
    for (uint32_t i = 0; i < n; i++) {
        if (!hv && (hv = key_equality(conj[i], hash))) hpos = (int)i;
        else if (range && !rv && (rv = key_equality(conj[i], range))) rpos = (int)i;
    }
    if (!hv || (range && !rv))
        return pt_error_set(&call->err, PT_E_VALIDATION,
                            "Where clause does not contain a mandatory equality on all key attributes");
    pt_buf_puts(b, ",\"Key\":{");
    put_key(b, hash, hv);
    if (rv) {
        pt_buf_putc(b, ',');
        put_key(b, range, rv);
    }
    pt_buf_putc(b, '}');
    /* UPDATE needs the item (DynamoDB's PartiQL is no upsert): its condition
     * is attribute_exists(key) AND the rest; DELETE of a missing item
     * succeeds without evaluating the rest: attribute_not_exists(key) OR
     * (the rest) */
    pt_buf_t c = PT_BUF_INIT, rest = PT_BUF_INIT;
    for (uint32_t i = 0; i < n; i++) {
        if ((int)i == hpos || (int)i == rpos) continue;
        if (rest.len) pt_buf_puts(&rest, " AND ");
        emit_cond(e, &rest, conj[i]);
    }
    path_t kp = {&(seg_t){hash, strlen(hash), 0}, 1};
    if (update || rest.len) {
        pt_buf_puts(&c, update ? "attribute_exists(" : "attribute_not_exists(");
        emit_path(e, &c, &kp);
        pt_buf_putc(&c, ')');
        if (rest.len) {
            pt_buf_puts(&c, update ? " AND (" : " OR (");
            pt_buf_append(&c, rest.data, rest.len);
            pt_buf_putc(&c, ')');
        }
    }
    pt_buf_free(&rest);
    if (c.len) {
        pt_jw_t w;
        pt_jw_init(&w, b);
        pt_buf_puts(b, ",\"ConditionExpression\":");
        pt_jw_str(&w, c.data, c.len);
    }
    pt_buf_free(&c);
    return PT_OK;
}

static int xlate_write(pt_call_t *call, const stmt_t *s, xlate_t *x)
{
    emit_t e = {.arena = &call->arena};
    pt_buf_t *b = &x->req;
    table_member(b, s);
    int rc = PT_OK;
    if (s->kind == S_INSERT) {
        x->op = "PutItem";
        const char *hash, *range;
        int types[2];
        if ((rc = key_types(call, s, &hash, &range, types))) goto out;
        /* VALUE is a map: its members are the item */
        pt_json_t v;
        if (pt_json_parse(&call->arena, s->item->json, s->item->json_len, &v, NULL, 0) || v.type != PT_JSON_OBJECT ||
            !pt_json_get(&v, "M") || pt_json_get(&v, "M")->type != PT_JSON_OBJECT) {
            rc = pt_error_set(&call->err, PT_E_VALIDATION, "Unsupported operation: Inserting an item that is not a map");
            goto out;
        }
        const char *names[2] = {hash, range};
        for (int k = 0; k < 2 && names[k]; k++) {
            const pt_json_t *kv = pt_json_get(pt_json_get(&v, "M"), names[k]);
            if (!kv) {
                rc = pt_error_set(&call->err, PT_E_VALIDATION, "Key attribute should be present in the item: Key %s",
                                  names[k]);
                goto out;
            }
            const char *tn = pt_av_type_name(types[k]);
            if (kv->type != PT_JSON_OBJECT || kv->len != 1 || strcmp(kv->u.members[0].key, tn)) {
                rc = pt_error_set(&call->err, PT_E_VALIDATION,
                                  "Key attribute's data type should match its data type in table's schema: Key %s",
                                  names[k]);
                goto out;
            }
        }
        pt_buf_puts(b, ",\"Item\":");
        pt_jw_t w;
        pt_jw_init(&w, b);
        pt_jw_value(&w, pt_json_get(&v, "M"));
        pt_buf_t c = PT_BUF_INIT;
        pt_buf_puts(&c, "attribute_not_exists(");
        path_t kp = {&(seg_t){hash, strlen(hash), 0}, 1};
        emit_path(&e, &c, &kp);
        pt_buf_putc(&c, ')');
        pt_jw_init(&w, b);
        pt_buf_puts(b, ",\"ConditionExpression\":");
        pt_jw_str(&w, c.data, c.len);
        pt_buf_free(&c);
    } else if (s->kind == S_EXISTS) {
        /* a ConditionCheck: the item must exist and meet the rest */
        x->op = "ConditionCheck";
        if ((rc = xlate_key_and_condition(call, s, &e, b, true))) goto out;
    } else if (s->kind == S_DELETE) {
        x->op = "DeleteItem";
        if ((rc = xlate_key_and_condition(call, s, &e, b, false))) goto out;
        if (s->returning) pt_buf_printf(b, ",\"ReturnValues\":\"%s\"", s->returning);
    } else {
        x->op = "UpdateItem";
        if ((rc = xlate_key_and_condition(call, s, &e, b, true))) goto out;
        pt_buf_t u = PT_BUF_INIT;
        static const char *const verbs[] = {"SET", "REMOVE", "ADD", "DELETE"};
        for (int k = 0; k < 4; k++) {
            bool first = true;
            for (uint32_t i = 0; i < s->nacts; i++) {
                const action_t *a = &s->acts[i];
                if (a->kind != k) continue;
                pt_buf_puts(&u, first ? (u.len ? " " : "") : ", ");
                if (first) {
                    pt_buf_puts(&u, verbs[k]);
                    pt_buf_putc(&u, ' ');
                }
                first = false;
                emit_path(&e, &u, &a->path);
                if (k == A_SET) pt_buf_puts(&u, " = ");
                else if (k != A_REMOVE) pt_buf_putc(&u, ' ');
                if (k != A_REMOVE) emit_operand(&e, &u, a->value);
            }
        }
        pt_jw_t w;
        pt_jw_init(&w, b);
        pt_buf_puts(b, ",\"UpdateExpression\":");
        pt_jw_str(&w, u.data, u.len);
        pt_buf_free(&u);
        if (s->returning) pt_buf_printf(b, ",\"ReturnValues\":\"%s\"", s->returning);
    }
    finish_request(&e, b);
out:
    pt_buf_free(&e.names);
    pt_buf_free(&e.values);
    return rc;
}

/* Parses `text` (with its Parameters) and translates it; `get` (the
 * operation's name: BatchExecuteStatement, ExecuteTransaction): SELECTs
 * must name one item (GetItem). */
static int translate(pt_call_t *call, const char *text, size_t len, const pt_json_t *params, const pt_json_t *req,
                     const char *get, xlate_t *x)
{
    parser_t p = {.arena = &call->arena, .src = text, .len = len, .params = params};
    stmt_t s;
    parse_statement(&p, &s);
    if (p.failed) return pt_error_set(&call->err, PT_E_VALIDATION, "%s", p.err);
    uint32_t given = params ? params->len : 0;
    if (p.next_param != given)
        return pt_error_set(&call->err, PT_E_VALIDATION, "Number of parameters in request and statement don't match.");
    x->kind = s.kind;
    x->returning = s.returning;
    x->proj = NULL;
    x->nproj = 0;
    pt_buf_init(&x->req);
    if (s.kind == S_EXISTS && (!get || strcmp(get, "ExecuteTransaction")))
        return pt_error_set(&call->err, PT_E_VALIDATION, "EXISTS can only be used in ExecuteTransaction write requests.");
    int rc = s.kind == S_SELECT ? xlate_select(call, &s, req, get, x) : xlate_write(call, &s, x);
    if (rc) pt_buf_free(&x->req);
    return rc;
}

/* ---- running a translated statement ---- */

static pt_op_fn op_fn(const char *op)
{
    if (!strcmp(op, "Query")) return pt_op_query;
    if (!strcmp(op, "Scan")) return pt_op_scan;
    if (!strcmp(op, "GetItem")) return pt_op_get_item;
    if (!strcmp(op, "PutItem")) return pt_op_put_item;
    if (!strcmp(op, "UpdateItem")) return pt_op_update_item;
    return pt_op_delete_item;
}

/* Parses the translated request into call memory and runs its operation
 * (PT_OK, PT_PENDING for writes, PT_ERR). */
static int run(pt_call_t *call, xlate_t *x, const char *extra_member, size_t extra_len)
{
    if (extra_len) { /* e.g. ExclusiveStartKey: spliced before the closing brace */
        x->req.len--;
        pt_buf_putc(&x->req, ',');
        pt_buf_append(&x->req, extra_member, extra_len);
        pt_buf_putc(&x->req, '}');
    }
    pt_json_t *r = pt_arena_calloc(&call->arena, sizeof *r);
    char msg[160];
    int rc = pt_json_parse(&call->arena, x->req.data, x->req.len, r, msg, sizeof msg);
    pt_buf_free(&x->req);
    if (rc) return pt_error_set(&call->err, PT_E_VALIDATION, "Unsupported value in statement: %s", msg);
    return op_fn(x->op)(call, r);
}

typedef struct stmt_post {
    int kind;
    const path_t *proj;
    uint32_t nproj;
} stmt_post_t;

/* The value at `path` in a wire item, or NULL. */
static const pt_json_t *walk(const pt_json_t *item, const path_t *path)
{
    const pt_json_t *v = NULL;
    for (uint32_t i = 0; i < path->n; i++) {
        const seg_t *s = &path->segs[i];
        if (s->name) {
            const pt_json_t *obj = i ? pt_json_get(v, "M") : item;
            if (!obj || obj->type != PT_JSON_OBJECT) return NULL;
            char name[1024];
            if (s->len >= sizeof name) return NULL;
            memcpy(name, s->name, s->len);
            name[s->len] = 0;
            v = pt_json_get(obj, name);
        } else {
            const pt_json_t *l = v ? pt_json_get(v, "L") : NULL;
            if (!l || l->type != PT_JSON_ARRAY || s->index < 0 || (uint32_t)s->index >= l->len) return NULL;
            v = &l->u.elems[s->index];
        }
        if (!v) return NULL;
    }
    return v;
}

/* The name a projected path is answered under: its last attribute name
 * with any list indexes after it ("b[1]" for a.b[1]). */
static void proj_key(const path_t *path, pt_buf_t *out)
{
    uint32_t from = path->n - 1;
    while (from && !path->segs[from].name) from--;
    for (uint32_t i = from; i < path->n; i++) {
        if (path->segs[i].name) pt_buf_append(out, path->segs[i].name, path->segs[i].len);
        else pt_buf_printf(out, "[%ld]", path->segs[i].index);
    }
}

static void write_items(pt_jw_t *w, const pt_json_t *items, const stmt_post_t *sp)
{
    if (!sp || !sp->nproj || items->type != PT_JSON_ARRAY) {
        pt_jw_value(w, items);
        return;
    }
    pt_jw_arr_begin(w);
    for (uint32_t i = 0; i < items->len; i++) {
        pt_jw_obj_begin(w);
        for (uint32_t k = 0; k < sp->nproj; k++) {
            const pt_json_t *v = walk(&items->u.elems[i], &sp->proj[k]);
            if (!v) continue;
            pt_buf_t key = PT_BUF_INIT;
            proj_key(&sp->proj[k], &key);
            pt_jw_key(w, key.data, key.len);
            pt_jw_value(w, v);
            pt_buf_free(&key);
        }
        pt_jw_obj_end(w);
    }
    pt_jw_arr_end(w);
}

/* The operation's answer, as PartiQL's: Items (and NextToken). */
static void rewrite_output(pt_call_t *call, const stmt_post_t *sp)
{
    int kind = sp->kind;
    pt_json_t j;
    pt_arena_t *a = &call->arena;
    char *copy = pt_arena_strndup(a, call->out.data ? call->out.data : "{}", call->out.len ? call->out.len : 2);
    if (pt_json_parse(a, copy, strlen(copy), &j, NULL, 0) || j.type != PT_JSON_OBJECT) return;
    pt_buf_clear(&call->out);
    pt_jw_t w;
    pt_jw_init(&w, &call->out);
    pt_jw_obj_begin(&w);
    const pt_json_t *items = pt_json_get(&j, "Items");
    const pt_json_t *item = pt_json_get(&j, "Item");
    const pt_json_t *attrs = pt_json_get(&j, "Attributes");
    pt_jw_keyz(&w, "Items");
    if (items) {
        write_items(&w, items, sp);
    } else {
        pt_jw_arr_begin(&w);
        if (item) pt_jw_value(&w, item);
        if (attrs && kind != S_INSERT) pt_jw_value(&w, attrs);
        pt_jw_arr_end(&w);
    }
    const pt_json_t *lek = pt_json_get(&j, "LastEvaluatedKey");
    if (lek) {
        pt_buf_t t = PT_BUF_INIT;
        pt_jw_t tw;
        pt_jw_init(&tw, &t);
        pt_jw_value(&tw, lek);
        pt_jw_keyz(&w, "NextToken");
        pt_jw_base64(&w, t.data, t.len);
        pt_buf_free(&t);
        pt_jw_keyz(&w, "LastEvaluatedKey");
        pt_jw_value(&w, lek);
    }
    const pt_json_t *cc = pt_json_get(&j, "ConsumedCapacity");
    if (cc) {
        pt_jw_keyz(&w, "ConsumedCapacity");
        pt_jw_value(&w, cc);
    }
    pt_jw_obj_end(&w);
}

static void remap_error(pt_call_t *call, int kind)
{
    if (kind == S_INSERT && call->err.type && strstr(call->err.type, "ConditionalCheckFailed"))
        pt_error_set(&call->err, E_DUPLICATE, "Duplicate primary key exists in table");
    else if (!strcmp(call->err.message, "Consistent reads are not supported on global secondary indexes"))
        pt_error_set(&call->err, PT_E_VALIDATION, "Strongly consistent read is not supported on Global Secondary Indexes");
}

static void statement_post(pt_call_t *call, int *rc)
{
    const stmt_post_t *sp = call->post_ctx;
    if (*rc == PT_OK) rewrite_output(call, sp);
    else remap_error(call, sp->kind);
}

static const pt_param_t execute_schema[] = {
    {.name = "Statement", .type = PT_P_STRING, .flags = PT_P_REQUIRED | PT_P_HAS_MINLEN | PT_P_HAS_MAXLEN,
     .min_len = 1, .max_len = MAX_STATEMENT},
    {.name = "Parameters", .type = PT_P_LIST, .flags = PT_P_HAS_MINLEN, .min_len = 1,
     .elem = &(const pt_param_t){.name = "member", .type = PT_P_AV}},
    {.name = "ConsistentRead", .type = PT_P_BOOL},
    {.name = "NextToken", .type = PT_P_STRING, .flags = PT_P_HAS_MINLEN | PT_P_HAS_MAXLEN, .min_len = 1,
     .max_len = 32768},
    {.name = "Limit", .type = PT_P_INTEGER, .flags = PT_P_HAS_MIN, .min = 1},
    {.name = "ReturnConsumedCapacity", .type = PT_P_STRING,
     .enums = (const char *const[]){"INDEXES", "TOTAL", "NONE", NULL}},
    {.name = "ReturnValuesOnConditionCheckFailure", .type = PT_P_STRING,
     .enums = (const char *const[]){"ALL_OLD", "NONE", NULL}},
    {0},
};

int pt_op_execute_statement(pt_call_t *call, const pt_json_t *req)
{
    if (pt_params_check(&call->arena, req, execute_schema, &call->err)) return PT_ERR;
    uint32_t len, tlen = 0;
    const char *text = pt_param_str(req, "Statement", &len);
    const pt_json_t *params = pt_json_get(req, "Parameters");
    if (params && params->type != PT_JSON_ARRAY) params = NULL;
    xlate_t x;
    if (translate(call, text, len, params, req, NULL, &x)) return PT_ERR;
    /* NextToken: the previous page's LastEvaluatedKey */
    const char *token = pt_param_str(req, "NextToken", &tlen);
    pt_buf_t extra = PT_BUF_INIT;
    if (token) {
        uint8_t *raw = pt_arena_alloc(&call->arena, tlen * 3 / 4 + 3);
        long n = pt_base64_decode(token, tlen, raw);
        pt_json_t k;
        if (x.kind != S_SELECT || n <= 0 ||
            pt_json_parse(&call->arena, (const char *)raw, (size_t)n, &k, NULL, 0) || k.type != PT_JSON_OBJECT) {
            pt_buf_free(&x.req);
            return pt_error_set(&call->err, PT_E_VALIDATION, "Invalid NextToken");
        }
        pt_buf_puts(&extra, "\"ExclusiveStartKey\":");
        pt_buf_append(&extra, raw, (size_t)n);
    }
    const char *rcc = pt_param_str(req, "ReturnConsumedCapacity", NULL);
    if (rcc) {
        if (extra.len) pt_buf_putc(&extra, ',');
        pt_buf_printf(&extra, "\"ReturnConsumedCapacity\":\"%s\"", rcc);
    }
    const char *rv = pt_param_str(req, "ReturnValuesOnConditionCheckFailure", NULL);
    if (rv && x.kind != S_SELECT) {
        if (extra.len) pt_buf_putc(&extra, ',');
        pt_buf_printf(&extra, "\"ReturnValuesOnConditionCheckFailure\":\"%s\"", rv);
    }
    stmt_post_t *sp = pt_arena_calloc(&call->arena, sizeof *sp);
    *sp = (stmt_post_t){x.kind, x.proj, x.nproj};
    call->post = statement_post;
    call->post_ctx = sp;
    int rc = run(call, &x, extra.data, extra.len);
    pt_buf_free(&extra);
    return rc;
}

/* ---- ExecuteTransaction ---- */

static const pt_param_t transaction_schema[] = {
    {.name = "TransactStatements", .type = PT_P_LIST,
     .flags = PT_P_REQUIRED | PT_P_HAS_MINLEN | PT_P_HAS_MAXLEN, .min_len = 1, .max_len = 100,
     .elem = &(const pt_param_t){.name = "member", .type = PT_P_VSTRUCT, .struct_name = "ParameterizedStatement",
                                 .members = (const pt_param_t[]){
                                     {.name = "Statement", .type = PT_P_STRING,
                                      .flags = PT_P_NOT_NULL | PT_P_HAS_MINLEN | PT_P_HAS_MAXLEN, .min_len = 1,
                                      .max_len = MAX_STATEMENT},
                                     {.name = "Parameters", .type = PT_P_LIST, .flags = PT_P_HAS_MINLEN,
                                      .min_len = 1,
                                      .elem = &(const pt_param_t){.name = "member", .type = PT_P_AV}},
                                     {.name = "ReturnValuesOnConditionCheckFailure", .type = PT_P_STRING,
                                      .enums = (const char *const[]){"ALL_OLD", "NONE", NULL}},
                                     {0}}}},
    {.name = "ClientRequestToken", .type = PT_P_STRING, .flags = PT_P_HAS_MINLEN | PT_P_HAS_MAXLEN, .min_len = 1,
     .max_len = 36},
    {.name = "ReturnConsumedCapacity", .type = PT_P_STRING,
     .enums = (const char *const[]){"INDEXES", "TOTAL", "NONE", NULL}},
    {0},
};

typedef struct txn_post {
    int *kinds;
    uint32_t n;
    bool reads;
} txn_post_t;

static void transaction_post(pt_call_t *call, int *rc)
{
    txn_post_t *tp = call->post_ctx;
    if (*rc != PT_OK) return;
    if (!tp->reads) { /* TransactWriteItems answers {} (or capacity) */
        pt_json_t j;
        char *copy = pt_arena_strndup(&call->arena, call->out.data ? call->out.data : "{}",
                                      call->out.len ? call->out.len : 2);
        if (pt_json_parse(&call->arena, copy, strlen(copy), &j, NULL, 0) || j.type != PT_JSON_OBJECT) return;
        pt_buf_clear(&call->out);
        pt_jw_t w;
        pt_jw_init(&w, &call->out);
        pt_jw_obj_begin(&w);
        const pt_json_t *cc = pt_json_get(&j, "ConsumedCapacity");
        if (cc) {
            pt_jw_keyz(&w, "ConsumedCapacity");
            pt_jw_value(&w, cc);
        }
        pt_jw_obj_end(&w);
    }
}

int pt_op_execute_transaction(pt_call_t *call, const pt_json_t *req)
{
    if (pt_params_check(&call->arena, req, transaction_schema, &call->err)) return PT_ERR;
    const pt_json_t *list = pt_json_get(req, "TransactStatements");
    txn_post_t *tp = pt_arena_calloc(&call->arena, sizeof *tp);
    tp->n = list->len;
    tp->kinds = pt_arena_calloc(&call->arena, list->len * sizeof *tp->kinds);
    pt_buf_t b = PT_BUF_INIT;
    pt_buf_puts(&b, "{\"TransactItems\":[");
    int rc = PT_OK;
    uint32_t nreads = 0;
    for (uint32_t i = 0; i < list->len && rc == PT_OK; i++) {
        const pt_json_t *st = &list->u.elems[i];
        uint32_t len;
        const char *text = pt_param_str(st, "Statement", &len);
        const pt_json_t *params = pt_json_get(st, "Parameters");
        if (params && params->type != PT_JSON_ARRAY) params = NULL;
        xlate_t x;
        if ((rc = translate(call, text, len, params, st, "ExecuteTransaction", &x))) {
            if (call->err.type && strstr(call->err.type, "ValidationException")) {
                char msg[sizeof call->err.message];
                snprintf(msg, sizeof msg, "%s", call->err.message);
                pt_error_set(&call->err, PT_E_VALIDATION, "Validation failed in TransactStatements[%u]: %s", i, msg);
            }
            break;
        }
        tp->kinds[i] = x.kind;
        nreads += x.kind == S_SELECT;
        static const char *const wrap[] = {"Get", "Put", "Update", "Delete", "ConditionCheck"};
        if (i) pt_buf_putc(&b, ',');
        pt_buf_printf(&b, "{\"%s\":", wrap[x.kind]);
        /* TransactWriteItems does not take ReturnValues */
        const char *rv = pt_param_str(st, "ReturnValuesOnConditionCheckFailure", NULL);
        if (rv && x.kind != S_SELECT) {
            x.req.len--;
            pt_buf_printf(&x.req, ",\"ReturnValuesOnConditionCheckFailure\":\"%s\"}", rv);
        }
        if (x.returning)
            rc = pt_error_set(&call->err, PT_E_VALIDATION,
                              "Validation failed in TransactStatements[%u]: RETURNING clause is not supported in "
                              "ExecuteTransaction.",
                              i);
        pt_buf_append(&b, x.req.data, x.req.len);
        pt_buf_free(&x.req);
        pt_buf_putc(&b, '}');
    }
    if (rc == PT_OK && nreads && nreads != list->len)
        rc = pt_error_set(&call->err, PT_E_VALIDATION,
                          "ExecuteTransaction API does not support both read and write operations in the same "
                          "request.");
    pt_buf_putc(&b, ']');
    const char *token = pt_param_str(req, "ClientRequestToken", NULL);
    if (token && !nreads) {
        pt_jw_t w;
        pt_jw_init(&w, &b);
        pt_buf_puts(&b, ",\"ClientRequestToken\":");
        pt_jw_strz(&w, token);
    }
    const char *rcc = pt_param_str(req, "ReturnConsumedCapacity", NULL);
    if (rcc) pt_buf_printf(&b, ",\"ReturnConsumedCapacity\":\"%s\"", rcc);
    pt_buf_putc(&b, '}');
    if (rc == PT_OK) {
        /* GetItem / PutItem... requests as Transact members: drop what
         * those members do not take (ConditionExpression stays) */
        pt_json_t *r = pt_arena_calloc(&call->arena, sizeof *r);
        if (pt_json_parse(&call->arena, b.data, b.len, r, NULL, 0)) {
            rc = pt_error_set(&call->err, PT_E_VALIDATION, "Unsupported value in statement");
        } else {
            tp->reads = nreads != 0;
            call->post = transaction_post;
            call->post_ctx = tp;
            rc = nreads ? pt_op_transact_get_items(call, r) : pt_op_transact_write_items(call, r);
        }
    }
    pt_buf_free(&b);
    return rc;
}

/* ---- BatchExecuteStatement ---- */

static const pt_param_t batch_schema[] = {
    {.name = "Statements", .type = PT_P_LIST, .flags = PT_P_REQUIRED | PT_P_HAS_MINLEN | PT_P_HAS_MAXLEN,
     .min_len = 1, .max_len = 25,
     .elem = &(const pt_param_t){.name = "member", .type = PT_P_VSTRUCT, .struct_name = "BatchStatementRequest",
                                 .members = (const pt_param_t[]){
                                     {.name = "Statement", .type = PT_P_STRING,
                                      .flags = PT_P_NOT_NULL | PT_P_HAS_MINLEN | PT_P_HAS_MAXLEN, .min_len = 1,
                                      .max_len = MAX_STATEMENT},
                                     {.name = "Parameters", .type = PT_P_LIST, .flags = PT_P_HAS_MINLEN,
                                      .min_len = 1,
                                      .elem = &(const pt_param_t){.name = "member", .type = PT_P_AV}},
                                     {.name = "ConsistentRead", .type = PT_P_BOOL},
                                     {.name = "ReturnValuesOnConditionCheckFailure", .type = PT_P_STRING,
                                      .enums = (const char *const[]){"ALL_OLD", "NONE", NULL}},
                                     {0}}}},
    {.name = "ReturnConsumedCapacity", .type = PT_P_STRING,
     .enums = (const char *const[]){"INDEXES", "TOTAL", "NONE", NULL}},
    {0},
};

typedef struct batch {
    uint32_t n;
    pt_call_t **subs;   /* one prepared call per statement */
    int *rcs;           /* PT_OK / PT_PENDING / PT_ERR after preparing; the outcome after applying */
    int *kinds;
    char **tables;
} batch_t;

static void batch_free(batch_t *b)
{
    for (uint32_t i = 0; i < b->n; i++) pt_call_free(b->subs[i]);
    b->n = 0;
}

/* The Code of an error entry (BatchStatementErrorCodeEnum) for an error
 * type: "...#ConditionalCheckFailedException" -> "ConditionalCheckFailed". */
static void error_code(const char *type, char *code, size_t cap)
{
    const char *h = type ? strchr(type, '#') : NULL;
    h = h ? h + 1 : type ? type : "InternalServerError";
    if (!strcmp(h, "ValidationException")) h = "ValidationError";
    snprintf(code, cap, "%s", h);
    size_t cl = strlen(code);
    if (cl > 9 && !strcmp(code + cl - 9, "Exception")) code[cl - 9] = 0;
}

static void batch_post(pt_call_t *call, int *rc)
{
    batch_t *b = call->post_ctx;
    if (*rc == PT_OK) {
        pt_buf_clear(&call->out);
        pt_jw_t w;
        pt_jw_init(&w, &call->out);
        pt_jw_obj_begin(&w);
        pt_jw_keyz(&w, "Responses");
        pt_jw_arr_begin(&w);
        for (uint32_t i = 0; i < b->n; i++) {
            pt_call_t *s = b->subs[i];
            pt_jw_obj_begin(&w);
            if (b->rcs[i] == PT_ERR) {
                remap_error(s, b->kinds[i]);
                char code[96];
                error_code(s->err.type, code, sizeof code);
                /* a statement that ran against its table names it */
                if (b->tables[i] && strcmp(code, "ValidationError") && strcmp(code, "ResourceNotFound")) {
                    pt_jw_keyz(&w, "TableName");
                    pt_jw_strz(&w, b->tables[i]);
                }
                pt_jw_keyz(&w, "Error");
                pt_jw_obj_begin(&w);
                pt_jw_keyz(&w, "Code"); pt_jw_strz(&w, code);
                pt_jw_keyz(&w, "Message"); pt_jw_strz(&w, s->err.message);
                pt_jw_obj_end(&w);
            } else {
                if (b->tables[i]) {
                    pt_jw_keyz(&w, "TableName");
                    pt_jw_strz(&w, b->tables[i]);
                }
                pt_json_t j;
                if (s->out.len && !pt_json_parse(&s->arena, s->out.data, s->out.len, &j, NULL, 0)) {
                    const pt_json_t *item = pt_json_get(&j, "Item");
                    if (!item) item = pt_json_get(&j, "Attributes"); /* RETURNING */
                    if (item) {
                        pt_jw_keyz(&w, "Item");
                        pt_jw_value(&w, item);
                    }
                }
            }
            pt_jw_obj_end(&w);
        }
        pt_jw_arr_end(&w);
        pt_jw_obj_end(&w);
    }
    batch_free(b);
}

/* The writer job: each prepared write in its own nested transaction. */
static int batch_apply(pt_call_t *call, pt_txn_t *txn)
{
    batch_t *b = call->post_ctx;
    for (uint32_t i = 0; i < b->n; i++) {
        if (b->rcs[i] != PT_PENDING) continue;
        pt_call_t *s = b->subs[i];
        pt_txn_t *child;
        if (pt_txn_begin(call->engine->store, PT_TXN_WRITE, txn, &child, &s->err)) {
            b->rcs[i] = PT_ERR;
            continue;
        }
        if (s->apply(s, child) == PT_OK) {
            b->rcs[i] = pt_txn_commit(child, &s->err) == PT_OK ? PT_OK : PT_ERR;
        } else {
            pt_txn_abort(child);
            b->rcs[i] = PT_ERR;
        }
    }
    return PT_OK;
}

int pt_op_batch_execute_statement(pt_call_t *call, const pt_json_t *req)
{
    if (pt_params_check(&call->arena, req, batch_schema, &call->err)) return PT_ERR;
    const pt_json_t *list = pt_json_get(req, "Statements");
    batch_t *b = pt_arena_calloc(&call->arena, sizeof *b);
    b->subs = pt_arena_calloc(&call->arena, list->len * sizeof *b->subs);
    b->rcs = pt_arena_calloc(&call->arena, list->len * sizeof *b->rcs);
    b->kinds = pt_arena_calloc(&call->arena, list->len * sizeof *b->kinds);
    b->tables = pt_arena_calloc(&call->arena, list->len * sizeof *b->tables);
    call->post = batch_post;
    call->post_ctx = b;
    uint32_t writes = 0, reads = 0;
    for (uint32_t i = 0; i < list->len; i++) {
        const pt_json_t *st = &list->u.elems[i];
        pt_call_t *s = pt_call_new();
        s->engine = call->engine;
        b->subs[i] = s;
        b->n = i + 1;
        uint32_t len;
        const char *text = pt_param_str(st, "Statement", &len);
        const pt_json_t *params = pt_json_get(st, "Parameters");
        if (params && params->type != PT_JSON_ARRAY) params = NULL;
        xlate_t x;
        b->kinds[i] = -1;
        int rc = translate(s, text, len, params, st, "BatchExecuteStatement", &x);
        if (rc == PT_OK) {
            b->kinds[i] = x.kind;
            {
                /* the table, for the response entry */
                pt_json_t j;
                if (!pt_json_parse(&s->arena, x.req.data, x.req.len, &j, NULL, 0)) {
                    const pt_json_t *tn = pt_json_get(&j, "TableName");
                    if (tn && tn->type == PT_JSON_STRING) b->tables[i] = pt_arena_strndup(&call->arena, tn->u.str, tn->len);
                }
                rc = run(s, &x, NULL, 0);
            }
        }
        if (rc == PT_OK || rc == PT_ERR) {
            /* a read done, or an error: release what the sub-call holds */
            if (s->table) {
                pt_table_release(s->table);
                s->table = NULL;
            }
        }
        b->rcs[i] = rc;
        writes += b->kinds[i] > S_SELECT;
        reads += b->kinds[i] == S_SELECT;
    }
    if (reads && writes) {
        batch_free(b); /* prepared writes never ran: nothing to undo */
        call->post = NULL;
        return pt_error_set(&call->err, PT_E_VALIDATION,
                            "Read and write requests together in the same batch is not supported.");
    }
    bool pending = false;
    for (uint32_t i = 0; i < b->n; i++) pending |= b->rcs[i] == PT_PENDING;
    if (!pending) return PT_OK;
    call->op = b;
    call->apply = batch_apply;
    return PT_PENDING;
}
