/* Expression parsing: the per-request placeholder context, a lexer, and
 * recursive-descent parsers for DynamoDB's three grammars (conditions —
 * also used for filters and key conditions —, update expressions and
 * projections), producing the compiled form of expr_int.h.
 *
 * Error reporting follows DynamoDB (as recorded by dynalite's parsers):
 *  - a syntax error stops parsing at once and names the offending token and
 *    its neighbourhood: Syntax error; token: "x", near: "a x b". The
 *    parser backtracks (like the PEG DynamoDB's messages come from), so the
 *    token reported is the furthest one any alternative failed on;
 *  - semantic errors (reserved words, undefined placeholders, unknown or
 *    misused functions, operand types, overlapping paths...) are collected
 *    in slots while parsing continues, and the first non-empty slot in the
 *    grammar's precedence order is reported after a successful parse.
 * Every message is prefixed "Invalid <Kind>Expression: ".
 *
 * Bounds: the text is at most PT_EXPR_MAX_LEN bytes (checked first), so the
 * token array is bounded; nesting of parentheses and NOT is bounded by
 * PT_EXPR_MAX_NESTING so recursion depth is too. Nothing here reads outside
 * [text, text + len). */
#include "engine/expr_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* ---- context ---- */

static bool placeholder_key_ok(const char *k, uint32_t len, char lead)
{
    if (len < 2 || k[0] != lead) return false;
    for (uint32_t i = 1; i < len; i++) {
        char c = k[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')) return false;
    }
    return true;
}

int pt_expr_ctx_new(pt_arena_t *arena, const pt_json_t *names, const pt_json_t *values, pt_expr_ctx_t **out,
                    pt_error_t *err)
{
    pt_expr_ctx_t *ctx = pt_arena_calloc(arena, sizeof *ctx);
    ctx->arena = arena;
    if (names && names->type == PT_JSON_OBJECT) {
        if (names->len == 0)
            return pt_error_set(err, PT_E_VALIDATION, "ExpressionAttributeNames must not be empty");
        ctx->names = pt_arena_calloc(arena, names->len * sizeof *ctx->names);
        for (uint32_t i = 0; i < names->len; i++) {
            const pt_json_member_t *m = &names->u.members[i];
            if (!placeholder_key_ok(m->key, m->key_len, '#'))
                return pt_error_set(err, PT_E_VALIDATION,
                                    "ExpressionAttributeNames contains invalid key: Syntax error; key: \"%s\"", m->key);
            pt_expr_name_t *n = &ctx->names[ctx->nnames++];
            n->key = m->key;
            n->key_len = m->key_len;
            n->value = m->value.type == PT_JSON_STRING ? m->value.u.str : "";
            n->value_len = m->value.type == PT_JSON_STRING ? m->value.len : 0;
        }
    }
    if (values && values->type == PT_JSON_OBJECT) {
        if (values->len == 0)
            return pt_error_set(err, PT_E_VALIDATION, "ExpressionAttributeValues must not be empty");
        for (uint32_t i = 0; i < values->len; i++) {
            const pt_json_member_t *m = &values->u.members[i];
            if (!placeholder_key_ok(m->key, m->key_len, ':'))
                return pt_error_set(err, PT_E_VALIDATION,
                                    "ExpressionAttributeValues contains invalid key: Syntax error; key: \"%s\"", m->key);
        }
        ctx->values = pt_arena_calloc(arena, values->len * sizeof *ctx->values);
        for (uint32_t i = 0; i < values->len; i++) {
            const pt_json_member_t *m = &values->u.members[i];
            pt_expr_value_t *v = &ctx->values[ctx->nvalues++];
            v->key = m->key;
            v->key_len = m->key_len;
            if (pt_av_from_json(arena, &m->value, 0, &v->value, err)) {
                if (strcmp(err->type, PT_E_VALIDATION) == 0) {
                    char msg[sizeof err->message];
                    snprintf(msg, sizeof msg, "%s", err->message);
                    return pt_error_set(err, PT_E_VALIDATION,
                                        "ExpressionAttributeValues contains invalid value: %s for key %s", msg, m->key);
                }
                return PT_ERR;
            }
        }
    }
    *out = ctx;
    return PT_OK;
}

static void append_unused_keys(pt_buf_t *b, const char *key, uint32_t len, bool *first)
{
    if (!*first) pt_buf_append(b, ", ", 2);
    pt_buf_append(b, key, len);
    *first = false;
}

int pt_expr_ctx_check_unused(const pt_expr_ctx_t *ctx, pt_error_t *err)
{
    pt_buf_t b = PT_BUF_INIT;
    bool first = true;
    for (uint32_t i = 0; i < ctx->nnames; i++)
        if (!ctx->names[i].used) append_unused_keys(&b, ctx->names[i].key, ctx->names[i].key_len, &first);
    if (!first) {
        pt_error_set(err, PT_E_VALIDATION, "Value provided in ExpressionAttributeNames unused in expressions: keys: {%.*s}",
                     (int)b.len, b.data);
        pt_buf_free(&b);
        return PT_ERR;
    }
    for (uint32_t i = 0; i < ctx->nvalues; i++)
        if (!ctx->values[i].used) append_unused_keys(&b, ctx->values[i].key, ctx->values[i].key_len, &first);
    if (!first) {
        pt_error_set(err, PT_E_VALIDATION,
                     "Value provided in ExpressionAttributeValues unused in expressions: keys: {%.*s}", (int)b.len,
                     b.data);
        pt_buf_free(&b);
        return PT_ERR;
    }
    pt_buf_free(&b);
    return PT_OK;
}

/* ---- lexer ---- */

typedef enum {
    T_EOF = 0, T_IDENT, T_NAME, T_VALUE, T_INT, T_LP, T_RP, T_LB, T_RB, T_DOT, T_COMMA,
    T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE, T_PLUS, T_MINUS, T_BAD,
} tok_type_t;

typedef struct tok {
    uint8_t type;
    uint32_t pos, len;
} tok_t;

static bool is_word_char(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

/* Tokenizes all of `text` (at most PT_EXPR_MAX_LEN bytes, so at most that
 * many tokens plus the EOF). */
static tok_t *lex(pt_arena_t *arena, const char *text, size_t len, uint32_t *ntoks)
{
    tok_t *toks = pt_arena_alloc(arena, (len + 1) * sizeof *toks);
    uint32_t n = 0;
    size_t i = 0;
    while (i < len) {
        char c = text[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            i++;
            continue;
        }
        tok_t t = {T_BAD, (uint32_t)i, 1};
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') {
            size_t j = i + 1;
            while (j < len && is_word_char(text[j])) j++;
            t.type = T_IDENT;
            t.len = (uint32_t)(j - i);
        } else if (c >= '0' && c <= '9') {
            size_t j = i + 1;
            while (j < len && text[j] >= '0' && text[j] <= '9') j++;
            t.type = T_INT;
            t.len = (uint32_t)(j - i);
        } else if ((c == '#' || c == ':') && i + 1 < len && is_word_char(text[i + 1])) {
            size_t j = i + 1;
            while (j < len && is_word_char(text[j])) j++;
            t.type = c == '#' ? T_NAME : T_VALUE;
            t.len = (uint32_t)(j - i);
        } else {
            char d = i + 1 < len ? text[i + 1] : 0;
            switch (c) {
            case '(': t.type = T_LP; break;
            case ')': t.type = T_RP; break;
            case '[': t.type = T_LB; break;
            case ']': t.type = T_RB; break;
            case '.': t.type = T_DOT; break;
            case ',': t.type = T_COMMA; break;
            case '=': t.type = T_EQ; break;
            case '+': t.type = T_PLUS; break;
            case '-': t.type = T_MINUS; break;
            case '<':
                if (d == '>') t.type = T_NE, t.len = 2;
                else if (d == '=') t.type = T_LE, t.len = 2;
                else t.type = T_LT;
                break;
            case '>':
                if (d == '=') t.type = T_GE, t.len = 2;
                else t.type = T_GT;
                break;
            default: {
                /* One UTF-8 character, whole, so the message stays valid text. */
                unsigned char u = (unsigned char)c;
                uint32_t cl = u >= 0xF0 ? 4 : u >= 0xE0 ? 3 : u >= 0xC0 ? 2 : 1;
                if (i + cl > len) cl = (uint32_t)(len - i);
                t.len = cl;
            }
            }
        }
        toks[n++] = t;
        i += t.len;
    }
    toks[n] = (tok_t){T_EOF, (uint32_t)len, 0};
    *ntoks = n + 1;
    return toks;
}

/* ---- parser state ---- */

enum {
    S_LIMIT, S_PARENS, S_UNKNOWN_FN, S_MISUSED_FN, S_RESERVED, S_SECTION, S_ATTR_NAME, S_ATTR_VAL, S_OVERLAP,
    S_CONFLICT, S_OPERAND, S_DISTINCT, S_FUNCTION, NSLOTS
};

typedef struct parser {
    pt_expr_ctx_t *ctx;
    pt_arena_t *arena;
    pt_expr_kind_t kind;
    const char *text;
    size_t len;
    tok_t *toks;
    uint32_t ntoks;
    uint32_t i;            /* current token */
    uint32_t fail;         /* furthest token a rule failed on */
    int depth;
    uint32_t operators;
    const pt_enode_t *paren_node; /* the node the last parenthesised condition produced */
    char *slot[NSLOTS];
    unsigned sections;     /* update: clause kinds seen (bit per pt_update_kind_t) */
    pt_path_t *paths;      /* update/projection: paths so far, for overlap checks */
    uint32_t npaths;
} parser_t;

static void slot_set(parser_t *p, int slot, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void slot_set(parser_t *p, int slot, const char *fmt, ...)
{
    if (p->slot[slot]) return;
    char buf[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    p->slot[slot] = pt_arena_strndup(p->arena, buf, strlen(buf));
}

static const tok_t *cur(const parser_t *p) { return &p->toks[p->i]; }

static void note_fail(parser_t *p)
{
    if (p->i > p->fail) p->fail = p->i;
}

static bool accept(parser_t *p, tok_type_t type)
{
    if (cur(p)->type == type) {
        p->i++;
        return true;
    }
    note_fail(p);
    return false;
}

static bool tok_is_word(const parser_t *p, const tok_t *t, const char *word)
{
    size_t n = strlen(word);
    return t->type == T_IDENT && t->len == n && strncasecmp(p->text + t->pos, word, n) == 0;
}

static bool accept_word(parser_t *p, const char *word)
{
    if (tok_is_word(p, cur(p), word)) {
        p->i++;
        return true;
    }
    note_fail(p);
    return false;
}

static bool is_keyword(const parser_t *p, const tok_t *t)
{
    static const char *const kw[] = {"AND", "OR", "NOT", "BETWEEN", "IN", NULL};
    for (const char *const *k = kw; *k; k++)
        if (tok_is_word(p, t, *k)) return true;
    return false;
}

static bool is_update_keyword(const parser_t *p, const tok_t *t)
{
    return tok_is_word(p, t, "SET") || tok_is_word(p, t, "REMOVE") || tok_is_word(p, t, "ADD") ||
           tok_is_word(p, t, "DELETE");
}

pt_enode_t *pt_enode_new(pt_arena_t *arena, pt_enode_kind_t kind, uint32_t nargs)
{
    pt_enode_t *n = pt_arena_calloc(arena, sizeof *n);
    n->kind = (uint8_t)kind;
    n->nargs = nargs;
    if (nargs) n->args = pt_arena_calloc(arena, nargs * sizeof *n->args);
    return n;
}

static void count_operator(parser_t *p)
{
    if (++p->operators > PT_EXPR_MAX_OPERATORS)
        slot_set(p, S_LIMIT, "The expression contains too many operators; operator count: %u", p->operators);
}

/* ---- operands ---- */

static const pt_expr_value_t *find_value(pt_expr_ctx_t *ctx, const char *key, uint32_t len)
{
    for (uint32_t i = ctx->nvalues; i-- > 0;)
        if (ctx->values[i].key_len == len && !memcmp(ctx->values[i].key, key, len)) return &ctx->values[i];
    return NULL;
}

static const pt_expr_name_t *find_name(pt_expr_ctx_t *ctx, const char *key, uint32_t len)
{
    for (uint32_t i = ctx->nnames; i-- > 0;)
        if (ctx->names[i].key_len == len && !memcmp(ctx->names[i].key, key, len)) return &ctx->names[i];
    return NULL;
}

/* Conditions and projections report undefined names and values in one
 * slot (the first one met); updates in two. */
static int value_slot(const parser_t *p) { return p->kind == PT_EXPR_UPDATE ? S_ATTR_VAL : S_ATTR_NAME; }

static pt_enode_t *value_node(parser_t *p, const tok_t *t)
{
    pt_enode_t *n = pt_enode_new(p->arena, EN_VALUE, 0);
    pt_expr_value_t *v = (pt_expr_value_t *)find_value(p->ctx, p->text + t->pos, t->len);
    if (!v) {
        slot_set(p, value_slot(p), "An expression attribute value used in expression is not defined; attribute value: %.*s",
                 (int)t->len, p->text + t->pos);
        static const pt_av_t null_value = {.type = PT_AV_NULL, .boolean = true};
        n->value = &null_value; /* never evaluated: the parse fails */
    } else {
        v->used = true;
        n->value = &v->value;
    }
    return n;
}

/* path := (ident | #name) ( '.' (ident | #name) | '[' int ']' )* */
static bool parse_path(parser_t *p, pt_path_t *out)
{
    const tok_t *t = cur(p);
    if (!(t->type == T_IDENT || t->type == T_NAME) || (t->type == T_IDENT && is_keyword(p, t))) {
        note_fail(p);
        return false;
    }
    pt_path_elem_t elems[PT_EXPR_MAX_PATH_DEPTH + 1];
    uint32_t n = 0, total = 0;
    for (;;) {
        t = cur(p);
        pt_path_elem_t e = {.index = -1};
        if (t->type == T_IDENT) {
            if (pt_expr_is_reserved(p->text + t->pos, t->len))
                slot_set(p, S_RESERVED, "Attribute name is a reserved keyword; reserved keyword: %.*s", (int)t->len,
                         p->text + t->pos);
            e.name = pt_arena_strndup(p->arena, p->text + t->pos, t->len);
            e.len = t->len;
        } else if (t->type == T_NAME) {
            pt_expr_name_t *nm = (pt_expr_name_t *)find_name(p->ctx, p->text + t->pos, t->len);
            if (!nm) {
                slot_set(p, S_ATTR_NAME,
                         "An expression attribute name used in the document path is not defined; attribute name: %.*s",
                         (int)t->len, p->text + t->pos);
                e.name = pt_arena_strndup(p->arena, p->text + t->pos, t->len);
                e.len = t->len;
            } else {
                nm->used = true;
                e.name = nm->value;
                e.len = nm->value_len;
            }
        } else {
            note_fail(p);
            return false;
        }
        p->i++;
        if (n < PT_EXPR_MAX_PATH_DEPTH + 1) elems[n++] = e;
        total++;
        /* list indexes */
        while (cur(p)->type == T_LB) {
            p->i++;
            t = cur(p);
            if (t->type != T_INT) {
                note_fail(p);
                return false;
            }
            long long v = 0;
            for (uint32_t k = 0; k < t->len && v <= INT32_MAX; k++) v = v * 10 + (p->text[t->pos + k] - '0');
            if (v > INT32_MAX) {
                note_fail(p);
                return false;
            }
            p->i++;
            if (!accept(p, T_RB)) return false;
            if (n < PT_EXPR_MAX_PATH_DEPTH + 1) elems[n++] = (pt_path_elem_t){.index = (int32_t)v};
            total++;
        }
        if (cur(p)->type != T_DOT) break;
        p->i++;
    }
    if (total > PT_EXPR_MAX_PATH_DEPTH)
        slot_set(p, S_LIMIT, "The document path has too many nesting levels; nesting levels: %u", total);
    out->n = n;
    out->elems = pt_arena_memdup(p->arena, elems, n * sizeof *elems);
    return true;
}

static pt_enode_t *path_node(parser_t *p)
{
    pt_path_t path;
    if (!parse_path(p, &path)) return NULL;
    pt_enode_t *n = pt_enode_new(p->arena, EN_PATH, 0);
    n->path = path;
    return n;
}

static bool paths_equal(const pt_path_t *a, const pt_path_t *b)
{
    if (a->n != b->n) return false;
    for (uint32_t i = 0; i < a->n; i++) {
        if (a->elems[i].index != b->elems[i].index) return false;
        if (a->elems[i].index < 0 &&
            (a->elems[i].len != b->elems[i].len || memcmp(a->elems[i].name, b->elems[i].name, a->elems[i].len)))
            return false;
    }
    return true;
}

void pt_expr_path_str(const pt_path_t *path, pt_buf_t *out)
{
    pt_buf_append(out, "[", 1);
    for (uint32_t i = 0; i < path->n; i++) {
        if (i) pt_buf_append(out, ", ", 2);
        if (path->elems[i].index >= 0) {
            char num[24];
            int k = snprintf(num, sizeof num, "[%d]", path->elems[i].index);
            pt_buf_append(out, num, (size_t)k);
        } else {
            pt_buf_append(out, path->elems[i].name, path->elems[i].len);
        }
    }
    pt_buf_append(out, "]", 1);
}

/* Operand type known at parse time (a literal, or what a function yields);
 * 0 when it depends on the item. */
static int static_type(const pt_enode_t *n)
{
    if (!n) return 0;
    switch (n->kind) {
    case EN_VALUE: return n->value->type;
    case EN_SIZE: return PT_AV_N;
    default: return 0;
    }
}

static void check_distinct(parser_t *p, const char *op, pt_enode_t *a, pt_enode_t *b)
{
    if (a->kind != EN_PATH || b->kind != EN_PATH || !paths_equal(&a->path, &b->path)) return;
    pt_buf_t s = PT_BUF_INIT;
    pt_expr_path_str(&a->path, &s);
    slot_set(p, S_DISTINCT,
             "The first operand must be distinct from the remaining operands for this operator or function; operator: "
             "%s, first operand: %.*s",
             op, (int)s.len, s.data);
    pt_buf_free(&s);
}

static bool is_condition_fn(const pt_enode_t *n)
{
    return n->kind == EN_EXISTS || n->kind == EN_NOT_EXISTS || n->kind == EN_TYPE || n->kind == EN_BEGINS_WITH ||
           n->kind == EN_CONTAINS;
}

static const char *fn_name(const pt_enode_t *n)
{
    switch (n->kind) {
    case EN_EXISTS: return "attribute_exists";
    case EN_NOT_EXISTS: return "attribute_not_exists";
    case EN_TYPE: return "attribute_type";
    case EN_BEGINS_WITH: return "begins_with";
    case EN_CONTAINS: return "contains";
    case EN_SIZE: return "size";
    default: return "";
    }
}

static void check_misused(parser_t *p, pt_enode_t **args, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (args[i] && is_condition_fn(args[i])) {
            slot_set(p, S_MISUSED_FN, "The function is not allowed to be used this way in an expression; function: %s",
                     fn_name(args[i]));
            return;
        }
}

static void check_misused_size(parser_t *p, const pt_enode_t *e)
{
    if (e && e->kind == EN_SIZE)
        slot_set(p, S_MISUSED_FN, "The function is not allowed to be used this way in an expression; function: size");
}

static const char *type_word(int type) { return pt_av_type_name(type); }

static pt_enode_t *parse_cond_operand(parser_t *p);

/* Condition function call (the name token is current, '(' follows). */
static pt_enode_t *parse_cond_function(parser_t *p)
{
    const tok_t *name = cur(p);
    p->i += 2; /* name, '(' */
    pt_enode_t *args[8];
    uint32_t n = 0, total = 0;
    if (cur(p)->type != T_RP) {
        for (;;) {
            pt_enode_t *a = parse_cond_operand(p);
            if (!a) return NULL;
            if (n < 8) args[n++] = a;
            total++;
            if (cur(p)->type != T_COMMA) break;
            p->i++;
        }
    }
    if (!accept(p, T_RP)) return NULL;
    count_operator(p);
    check_misused(p, args, n);

    static const struct {
        const char *name;
        pt_enode_kind_t kind;
        uint32_t nargs;
    } fns[] = {
        {"attribute_exists", EN_EXISTS, 1}, {"attribute_not_exists", EN_NOT_EXISTS, 1},
        {"attribute_type", EN_TYPE, 2},     {"begins_with", EN_BEGINS_WITH, 2},
        {"contains", EN_CONTAINS, 2},       {"size", EN_SIZE, 1},
    };
    const char *s = p->text + name->pos;
    int f = -1;
    for (int k = 0; k < (int)(sizeof fns / sizeof fns[0]); k++)
        if (strlen(fns[k].name) == name->len && !memcmp(fns[k].name, s, name->len)) f = k;
    pt_enode_t *node = pt_enode_new(p->arena, f < 0 ? EN_CONTAINS : fns[f].kind, n);
    for (uint32_t k = 0; k < n; k++) node->args[k] = args[k];
    if (f < 0) {
        slot_set(p, S_UNKNOWN_FN, "Invalid function name; function: %.*s", (int)name->len, s);
        return node;
    }
    const char *fname = fns[f].name;
    if (total != fns[f].nargs) {
        slot_set(p, S_OPERAND,
                 "Incorrect number of operands for operator or function; operator or function: %s, number of operands: %u",
                 fname, total);
        return node;
    }
    if (n == 2) check_distinct(p, fname, args[0], args[1]);
    switch (fns[f].kind) {
    case EN_EXISTS:
    case EN_NOT_EXISTS:
        if (args[0]->kind != EN_PATH)
            slot_set(p, S_FUNCTION, "Operator or function requires a document path; operator or function: %s", fname);
        break;
    case EN_BEGINS_WITH:
        for (uint32_t k = 0; k < 2; k++) {
            int t = static_type(args[k]);
            if (t && t != PT_AV_S && t != PT_AV_B) {
                slot_set(p, S_FUNCTION,
                         "Incorrect operand type for operator or function; operator or function: %s, operand type: %s",
                         fname, type_word(t));
                break;
            }
        }
        break;
    case EN_TYPE: {
        int t = static_type(args[1]);
        if (t != PT_AV_S) {
            slot_set(p, S_FUNCTION,
                     "Incorrect operand type for operator or function; operator or function: %s, operand type: %s", fname,
                     t ? type_word(t) : "{NS,SS,L,BS,N,M,B,BOOL,NULL,S}");
        } else if (!pt_av_type_from_name(args[1]->value->u.str, args[1]->value->len)) {
            slot_set(p, S_FUNCTION, "Invalid attribute type name found; type: %.*s, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}",
                     (int)args[1]->value->len, args[1]->value->u.str);
        }
        break;
    }
    case EN_SIZE: {
        int t = static_type(args[0]);
        if (t == PT_AV_N || t == PT_AV_BOOL || t == PT_AV_NULL)
            slot_set(p, S_FUNCTION,
                     "Incorrect operand type for operator or function; operator or function: %s, operand type: %s", fname,
                     type_word(t));
        break;
    }
    default: break;
    }
    return node;
}

/* operand := :value | function(...) | path | '(' operand ')' (redundant) */
static pt_enode_t *parse_cond_operand(parser_t *p)
{
    const tok_t *t = cur(p);
    if (t->type == T_VALUE) {
        p->i++;
        return value_node(p, t);
    }
    if (t->type == T_IDENT && p->toks[p->i + 1].type == T_LP) return parse_cond_function(p);
    if (t->type == T_LP) {
        uint32_t save = p->i;
        p->i++;
        if (p->depth >= PT_EXPR_MAX_NESTING) {
            note_fail(p);
            p->i = save;
            return NULL;
        }
        p->depth++;
        pt_enode_t *e = parse_cond_operand(p);
        p->depth--;
        if (e && accept(p, T_RP)) {
            slot_set(p, S_PARENS, "The expression has redundant parentheses;");
            return e;
        }
        p->i = save;
        return NULL;
    }
    return path_node(p);
}

static bool cmp_token(tok_type_t t, pt_cmp_op_t *op, const char **name)
{
    switch (t) {
    case T_EQ: *op = CMP_EQ, *name = "="; return true;
    case T_NE: *op = CMP_NE, *name = "<>"; return true;
    case T_LT: *op = CMP_LT, *name = "<"; return true;
    case T_LE: *op = CMP_LE, *name = "<="; return true;
    case T_GT: *op = CMP_GT, *name = ">"; return true;
    case T_GE: *op = CMP_GE, *name = ">="; return true;
    default: return false;
    }
}

static void av_brief(const pt_av_t *v, pt_buf_t *b)
{
    char tmp[64];
    int k = snprintf(tmp, sizeof tmp, "{%s:", pt_av_type_name(v->type));
    pt_buf_append(b, tmp, (size_t)k);
    if (v->type == PT_AV_S || v->type == PT_AV_N) {
        pt_buf_append(b, v->u.str, v->len);
    } else if (v->type == PT_AV_B) {
        pt_buf_t j = PT_BUF_INIT;
        pt_jw_t w;
        pt_jw_init(&w, &j);
        pt_jw_base64(&w, v->u.str, v->len);
        if (j.len >= 2) pt_buf_append(b, j.data + 1, j.len - 2);
        pt_buf_free(&j);
    }
    pt_buf_append(b, "}", 1);
}

static void check_between(parser_t *p, const pt_enode_t *lo, const pt_enode_t *hi)
{
    if (lo->kind != EN_VALUE || hi->kind != EN_VALUE) return;
    const char *what = NULL;
    int c;
    if (lo->value->type != hi->value->type)
        what = "same data type for lower and upper bounds";
    else if (pt_expr_order(lo->value, hi->value, &c) && c > 0)
        what = "upper bound to be greater than or equal to lower bound";
    if (!what) return;
    pt_buf_t a = PT_BUF_INIT, b = PT_BUF_INIT;
    av_brief(lo->value, &a);
    av_brief(hi->value, &b);
    slot_set(p, S_FUNCTION,
             "The BETWEEN operator requires %s; lower bound operand: AttributeValue: %.*s, upper bound operand: "
             "AttributeValue: %.*s",
             what, (int)a.len, a.data, (int)b.len, b.data);
    pt_buf_free(&a);
    pt_buf_free(&b);
}

static pt_enode_t *parse_or(parser_t *p);

/* comparison := operand (cmp operand | BETWEEN operand AND operand |
 *               IN '(' operand (',' operand)* ')') | function */
static pt_enode_t *parse_comparison(parser_t *p)
{
    pt_enode_t *a = parse_cond_operand(p);
    if (!a) return NULL;
    pt_cmp_op_t op;
    const char *opname;
    if (cmp_token(cur(p)->type, &op, &opname)) {
        p->i++;
        pt_enode_t *b = parse_cond_operand(p);
        if (!b) return NULL;
        count_operator(p);
        pt_enode_t *args[2] = {a, b};
        check_misused(p, args, 2);
        check_distinct(p, opname, a, b);
        pt_enode_t *n = pt_enode_new(p->arena, EN_CMP, 2);
        n->op = (uint8_t)op;
        n->args[0] = a;
        n->args[1] = b;
        return n;
    }
    if (tok_is_word(p, cur(p), "BETWEEN")) {
        p->i++;
        pt_enode_t *lo = parse_cond_operand(p);
        if (!lo || !accept_word(p, "AND")) return NULL;
        pt_enode_t *hi = parse_cond_operand(p);
        if (!hi) return NULL;
        count_operator(p);
        pt_enode_t *args[3] = {a, lo, hi};
        check_misused(p, args, 3);
        check_between(p, lo, hi);
        pt_enode_t *n = pt_enode_new(p->arena, EN_BETWEEN, 3);
        n->args[0] = a;
        n->args[1] = lo;
        n->args[2] = hi;
        return n;
    }
    if (tok_is_word(p, cur(p), "IN")) {
        p->i++;
        if (!accept(p, T_LP)) return NULL;
        /* grown by doubling: memory stays proportional to the operands */
        uint32_t count = 0, cap = 8;
        pt_enode_t **list = pt_arena_alloc(p->arena, cap * sizeof *list);
        list[count++] = a;
        for (;;) {
            pt_enode_t *e = parse_cond_operand(p);
            if (!e) return NULL;
            if (count == cap) {
                pt_enode_t **bigger = pt_arena_alloc(p->arena, 2 * cap * sizeof *list);
                memcpy(bigger, list, cap * sizeof *list);
                list = bigger;
                cap *= 2;
            }
            list[count++] = e;
            if (cur(p)->type != T_COMMA) break;
            p->i++;
        }
        if (!accept(p, T_RP)) return NULL;
        count_operator(p);
        if (count - 1 > PT_EXPR_MAX_IN)
            slot_set(p, S_LIMIT, "The IN operator is provided with too many operands; number of operands: %u", count - 1);
        check_misused(p, list, count);
        pt_enode_t *n = pt_enode_new(p->arena, EN_IN, 0);
        n->nargs = count;
        n->args = list;
        return n;
    }
    if (is_condition_fn(a) || a->kind == EN_SIZE) {
        check_misused_size(p, a);
        return a;
    }
    note_fail(p);
    return NULL;
}

/* primary := '(' condition ')' | comparison */
static pt_enode_t *parse_primary(parser_t *p)
{
    if (cur(p)->type == T_LP) {
        uint32_t save = p->i;
        if (p->depth >= PT_EXPR_MAX_NESTING) {
            note_fail(p);
            return NULL;
        }
        p->i++;
        p->depth++;
        p->paren_node = NULL;
        pt_enode_t *e = parse_or(p);
        p->depth--;
        if (e && accept(p, T_RP)) {
            if (p->paren_node == e) slot_set(p, S_PARENS, "The expression has redundant parentheses;");
            p->paren_node = e;
            return e;
        }
        p->i = save;
    }
    pt_enode_t *e = parse_comparison(p);
    p->paren_node = NULL;
    return e;
}

static pt_enode_t *parse_not(parser_t *p)
{
    if (tok_is_word(p, cur(p), "NOT")) {
        if (p->depth >= PT_EXPR_MAX_NESTING) {
            note_fail(p);
            return NULL;
        }
        p->i++;
        p->depth++;
        pt_enode_t *e = parse_not(p);
        p->depth--;
        if (!e) return NULL;
        count_operator(p);
        check_misused_size(p, e);
        pt_enode_t *n = pt_enode_new(p->arena, EN_NOT, 1);
        n->args[0] = e;
        p->paren_node = NULL;
        return n;
    }
    return parse_primary(p);
}

/* One left-associative level of the condition grammar: operand (WORD
 * operand)*, with NOT > AND > OR precedence given by the operand parser. */
static pt_enode_t *parse_binary(parser_t *p, const char *word, pt_enode_kind_t kind, pt_enode_t *(*operand)(parser_t *))
{
    pt_enode_t *l = operand(p);
    if (!l) return NULL;
    while (tok_is_word(p, cur(p), word)) {
        p->i++;
        pt_enode_t *r = operand(p);
        if (!r) return NULL;
        count_operator(p);
        check_misused_size(p, l);
        check_misused_size(p, r);
        pt_enode_t *n = pt_enode_new(p->arena, kind, 2);
        n->args[0] = l;
        n->args[1] = r;
        l = n;
        p->paren_node = NULL;
    }
    return l;
}

static pt_enode_t *parse_and(parser_t *p) { return parse_binary(p, "AND", EN_AND, parse_not); }

static pt_enode_t *parse_or(parser_t *p) { return parse_binary(p, "OR", EN_OR, parse_and); }

/* ---- overlapping paths (updates, projections) ---- */

static void check_path_overlap(parser_t *p, const pt_path_t *path)
{
    if (p->slot[S_OVERLAP]) return;
    for (uint32_t k = 0; k < p->npaths; k++) {
        const pt_path_t *o = &p->paths[k];
        bool differ = false, conflict = false;
        for (uint32_t i = 0; i < o->n && i < path->n; i++) {
            const pt_path_elem_t *x = &o->elems[i], *y = &path->elems[i];
            if ((x->index < 0) != (y->index < 0)) {
                conflict = true;
                break;
            }
            if (x->index != y->index ||
                (x->index < 0 && (x->len != y->len || memcmp(x->name, y->name, x->len)))) {
                differ = true;
                break;
            }
        }
        if (differ) continue;
        pt_buf_t a = PT_BUF_INIT, b = PT_BUF_INIT;
        pt_expr_path_str(o, &a);
        pt_expr_path_str(path, &b);
        slot_set(p, conflict ? S_CONFLICT : S_OVERLAP,
                 "Two document paths %s with each other; must remove or rewrite one of these paths; path one: %.*s, "
                 "path two: %.*s",
                 conflict ? "conflict" : "overlap", (int)a.len, a.data, (int)b.len, b.data);
        pt_buf_free(&a);
        pt_buf_free(&b);
        if (!conflict) return;
    }
    p->paths[p->npaths++] = *path;
}

/* ---- update expressions ---- */

static pt_enode_t *parse_update_operand(parser_t *p);

static const char *update_type_name(int type)
{
    return type ? pt_av_type_name(type) : "";
}

/* if_not_exists(path, operand) | list_append(operand, operand) */
static pt_enode_t *parse_update_function(parser_t *p)
{
    const tok_t *name = cur(p);
    p->i += 2;
    pt_enode_t *args[8];
    uint32_t n = 0, total = 0;
    if (cur(p)->type != T_RP) {
        for (;;) {
            pt_enode_t *a = parse_update_operand(p);
            if (!a) return NULL;
            if (n < 8) args[n++] = a;
            total++;
            if (cur(p)->type != T_COMMA) break;
            p->i++;
        }
    }
    if (!accept(p, T_RP)) return NULL;
    count_operator(p);
    const char *s = p->text + name->pos;
    bool ine = name->len == 13 && !memcmp(s, "if_not_exists", 13);
    bool la = name->len == 11 && !memcmp(s, "list_append", 11);
    pt_enode_t *node = pt_enode_new(p->arena, ine ? EN_IF_NOT_EXISTS : EN_LIST_APPEND, n);
    for (uint32_t k = 0; k < n; k++) node->args[k] = args[k];
    if (!ine && !la) {
        slot_set(p, S_UNKNOWN_FN, "Invalid function name; function: %.*s", (int)name->len, s);
        return node;
    }
    const char *fname = ine ? "if_not_exists" : "list_append";
    if (total != 2) {
        slot_set(p, S_FUNCTION,
                 "Incorrect number of operands for operator or function; operator or function: %s, number of operands: %u",
                 fname, total);
        return node;
    }
    if (ine && args[0]->kind != EN_PATH)
        slot_set(p, S_FUNCTION, "Operator or function requires a document path; operator or function: %s", fname);
    if (la)
        for (uint32_t k = 0; k < 2; k++)
            if (args[k]->kind == EN_VALUE && args[k]->value->type != PT_AV_L) {
                slot_set(p, S_FUNCTION,
                         "Incorrect operand type for operator or function; operator or function: %s, operand type: %s",
                         fname, update_type_name(args[k]->value->type));
                break;
            }
    return node;
}

static pt_enode_t *parse_update_operand(parser_t *p)
{
    const tok_t *t = cur(p);
    if (t->type == T_VALUE) {
        p->i++;
        return value_node(p, t);
    }
    if (t->type == T_IDENT && p->toks[p->i + 1].type == T_LP) return parse_update_function(p);
    if (t->type == T_IDENT && is_update_keyword(p, t)) {
        note_fail(p);
        return NULL;
    }
    return path_node(p);
}

/* set_value := operand (('+' | '-') operand)? */
static pt_enode_t *parse_set_value(parser_t *p)
{
    pt_enode_t *a = parse_update_operand(p);
    if (!a) return NULL;
    tok_type_t t = (tok_type_t)cur(p)->type;
    if (t != T_PLUS && t != T_MINUS) return a;
    p->i++;
    pt_enode_t *b = parse_update_operand(p);
    if (!b) return NULL;
    count_operator(p);
    pt_enode_t *n = pt_enode_new(p->arena, t == T_PLUS ? EN_PLUS : EN_MINUS, 2);
    n->args[0] = a;
    n->args[1] = b;
    for (uint32_t k = 0; k < 2; k++)
        if (n->args[k]->kind == EN_VALUE && n->args[k]->value->type != PT_AV_N) {
            slot_set(p, S_FUNCTION,
                     "Incorrect operand type for operator or function; operator or function: %s, operand type: %s",
                     t == T_PLUS ? "+" : "-", update_type_name(n->args[k]->value->type));
            break;
        }
    return n;
}

static const char *operand_type_word(int type)
{
    switch (type) {
    case PT_AV_S: return "STRING";
    case PT_AV_N: return "NUMBER";
    case PT_AV_B: return "BINARY";
    case PT_AV_NULL: return "NULL";
    case PT_AV_BOOL: return "BOOLEAN";
    case PT_AV_L: return "LIST";
    case PT_AV_M: return "MAP";
    default: return NULL;
    }
}

static bool parse_update(parser_t *p, pt_expr_t *e)
{
    pt_update_action_t *acts = pt_arena_alloc(p->arena, p->ntoks * sizeof *acts);
    uint32_t n = 0;
    p->paths = pt_arena_alloc(p->arena, p->ntoks * sizeof *p->paths);
    do {
        const tok_t *t = cur(p);
        pt_update_kind_t kind;
        const char *kw;
        if (tok_is_word(p, t, "SET")) kind = PT_UA_SET, kw = "SET";
        else if (tok_is_word(p, t, "REMOVE")) kind = PT_UA_REMOVE, kw = "REMOVE";
        else if (tok_is_word(p, t, "ADD")) kind = PT_UA_ADD, kw = "ADD";
        else if (tok_is_word(p, t, "DELETE")) kind = PT_UA_DELETE, kw = "DELETE";
        else {
            note_fail(p);
            return false;
        }
        p->i++;
        if (p->sections & (1u << kind))
            slot_set(p, S_SECTION, "The \"%s\" section can only be used once in an update expression;", kw);
        p->sections |= 1u << kind;
        for (;;) {
            pt_update_action_t a = {.action = (uint8_t)kind};
            if (!parse_path(p, &a.path)) return false;
            if (kind == PT_UA_SET) {
                if (!accept(p, T_EQ)) return false;
                if (!(a.value = parse_set_value(p))) return false;
            } else if (kind == PT_UA_ADD || kind == PT_UA_DELETE) {
                const tok_t *v = cur(p);
                if (v->type != T_VALUE) {
                    note_fail(p);
                    return false;
                }
                p->i++;
                a.value = value_node(p, v);
            }
            check_path_overlap(p, &a.path);
            if (a.value && a.value->kind == EN_VALUE && kind != PT_UA_SET) {
                int type = a.value->value->type;
                const char *w = operand_type_word(type);
                if (w && !(kind == PT_UA_ADD && type == PT_AV_N))
                    slot_set(p, S_OPERAND, "Incorrect operand type for operator or function; operator: %s, operand type: %s",
                             kw, w);
            }
            acts[n++] = a;
            if (cur(p)->type != T_COMMA) break;
            p->i++;
        }
    } while (cur(p)->type != T_EOF);
    e->actions = acts;
    e->nactions = n;
    return true;
}

/* ---- projections ---- */

static bool parse_projection(parser_t *p, pt_expr_t *e)
{
    p->paths = pt_arena_alloc(p->arena, p->ntoks * sizeof *p->paths);
    for (;;) {
        pt_path_t path;
        if (!parse_path(p, &path)) return false;
        check_path_overlap(p, &path);
        if (cur(p)->type != T_COMMA) break;
        p->i++;
    }
    e->paths = p->paths;
    e->npaths = p->npaths;
    return true;
}

/* ---- entry point ---- */

static const char *kind_param(pt_expr_kind_t kind)
{
    switch (kind) {
    case PT_EXPR_CONDITION: return "ConditionExpression";
    case PT_EXPR_FILTER: return "FilterExpression";
    case PT_EXPR_KEY_CONDITION: return "KeyConditionExpression";
    case PT_EXPR_PROJECTION: return "ProjectionExpression";
    case PT_EXPR_UPDATE: return "UpdateExpression";
    }
    return "Expression";
}

static int syntax_error(const parser_t *p, pt_error_t *err)
{
    uint32_t k = p->fail < p->ntoks ? p->fail : p->ntoks - 1;
    const tok_t *t = &p->toks[k];
    uint32_t from = k > 0 ? p->toks[k - 1].pos : t->pos;
    uint32_t to = t->type == T_EOF ? (uint32_t)p->len
                                   : (k + 1 < p->ntoks && p->toks[k + 1].type != T_EOF ? p->toks[k + 1].pos + p->toks[k + 1].len
                                                                                       : t->pos + t->len);
    if (t->type == T_EOF)
        return pt_error_set(err, PT_E_VALIDATION, "Invalid %s: Syntax error; token: \"<EOF>\", near: \"%.*s\"",
                            kind_param(p->kind), (int)(to - from), p->text + from);
    return pt_error_set(err, PT_E_VALIDATION, "Invalid %s: Syntax error; token: \"%.*s\", near: \"%.*s\"",
                        kind_param(p->kind), (int)t->len, p->text + t->pos, (int)(to - from), p->text + from);
}

int pt_expr_parse(pt_expr_ctx_t *ctx, pt_expr_kind_t kind, const char *text, size_t len, pt_expr_t **out,
                  pt_error_t *err)
{
    const char *param = kind_param(kind);
    if (len == 0) return pt_error_set(err, PT_E_VALIDATION, "Invalid %s: The expression can not be empty;", param);
    if (len > PT_EXPR_MAX_LEN)
        return pt_error_set(err, PT_E_VALIDATION,
                            "Invalid %s: Expression size has exceeded the maximum allowed size; expression size: %zu",
                            param, len);
    parser_t p = {.ctx = ctx, .arena = ctx->arena, .kind = kind, .text = text, .len = len};
    p.toks = lex(ctx->arena, text, len, &p.ntoks);
    pt_expr_t *e = pt_arena_calloc(ctx->arena, sizeof *e);
    e->kind = kind;
    bool ok;
    if (kind == PT_EXPR_UPDATE) {
        ok = parse_update(&p, e);
    } else if (kind == PT_EXPR_PROJECTION) {
        ok = parse_projection(&p, e);
    } else {
        e->root = parse_or(&p);
        ok = e->root != NULL;
        if (ok) check_misused_size(&p, e->root);
    }
    if (ok && cur(&p)->type != T_EOF) {
        note_fail(&p);
        ok = false;
    }
    if (!ok) return syntax_error(&p, err);

    static const int cond_order[] = {S_LIMIT, S_PARENS, S_UNKNOWN_FN, S_MISUSED_FN, S_RESERVED, S_ATTR_NAME,
                                     S_OPERAND, S_DISTINCT, S_FUNCTION, -1};
    static const int update_order[] = {S_LIMIT, S_RESERVED, S_UNKNOWN_FN, S_SECTION, S_ATTR_NAME, S_ATTR_VAL,
                                       S_OVERLAP, S_CONFLICT, S_OPERAND, S_FUNCTION, -1};
    static const int proj_order[] = {S_LIMIT, S_RESERVED, S_ATTR_NAME, S_OVERLAP, S_CONFLICT, -1};
    const int *order = kind == PT_EXPR_UPDATE ? update_order : kind == PT_EXPR_PROJECTION ? proj_order : cond_order;
    for (const int *s = order; *s >= 0; s++)
        if (p.slot[*s]) return pt_error_set(err, PT_E_VALIDATION, "Invalid %s: %s", param, p.slot[*s]);
    *out = e;
    return PT_OK;
}
