/* Internals of the expression module (expr_*.c only): the compiled form
 * that expr_parse.c and expr_legacy.c produce and expr_eval.c /
 * expr_update.c execute.
 *
 * The compiled form is a small tree in request-arena memory. Placeholders
 * are resolved at parse time: a path element holds the attribute name
 * itself (never "#n"), a value node points at the converted
 * ExpressionAttributeValues entry, so evaluation never consults the
 * context. Paths are arrays of elements; walking one touches only the
 * members it names (binary search in maps, indexing in lists). */
#ifndef PT_EXPR_INT_H
#define PT_EXPR_INT_H

#include <stdint.h>

#include "engine/expr.h"
#include "engine/number.h"

#define PT_EXPR_MAX_LEN 4096        /* bytes of one expression string */
#define PT_EXPR_MAX_OPERATORS 300   /* operators + functions in one expression */
#define PT_EXPR_MAX_IN 100          /* operands of IN (besides the first) */
#define PT_EXPR_MAX_PATH_DEPTH 32   /* elements of one document path */
#define PT_EXPR_MAX_NESTING 64      /* parentheses / NOT nesting (stack bound) */

/* One step of a document path: a map key (index < 0) or a list index. */
typedef struct pt_path_elem {
    const char *name; /* map key (resolved, NUL-terminated); NULL for an index */
    uint32_t len;
    int32_t index;    /* list index, or -1 for a map key */
} pt_path_elem_t;

typedef struct pt_path {
    pt_path_elem_t *elems;
    uint32_t n;
} pt_path_t;

typedef enum {
    EN_PATH = 1,      /* operand: document path */
    EN_VALUE,         /* operand: a literal (ExpressionAttributeValues entry) */
    EN_SIZE,          /* operand: size(path) */
    EN_PLUS,          /* update operand: a + b */
    EN_MINUS,         /* update operand: a - b */
    EN_IF_NOT_EXISTS, /* update operand: if_not_exists(path, operand) */
    EN_LIST_APPEND,   /* update operand: list_append(a, b) */
    EN_CMP,           /* args[0] op args[1]; op is a pt_cmp_op */
    EN_BETWEEN,       /* args[0] BETWEEN args[1] AND args[2] */
    EN_IN,            /* args[0] IN (args[1..]) */
    EN_AND,
    EN_OR,
    EN_NOT,
    EN_EXISTS,        /* attribute_exists(path) */
    EN_NOT_EXISTS,    /* attribute_not_exists(path) */
    EN_TYPE,          /* attribute_type(path, :t) */
    EN_BEGINS_WITH,   /* begins_with(a, b) */
    EN_CONTAINS,      /* contains(a, b) */
    EN_NOT_CONTAINS,  /* legacy NOT_CONTAINS */
    EN_TRUE,          /* an empty legacy condition */
} pt_enode_kind_t;

typedef enum { CMP_EQ, CMP_NE, CMP_LT, CMP_LE, CMP_GT, CMP_GE } pt_cmp_op_t;

typedef struct pt_enode pt_enode_t;
struct pt_enode {
    uint8_t kind;          /* pt_enode_kind_t */
    uint8_t op;            /* EN_CMP: pt_cmp_op_t */
    uint32_t nargs;
    pt_enode_t **args;
    pt_path_t path;        /* EN_PATH, EN_SIZE */
    const pt_av_t *value;  /* EN_VALUE */
};

typedef enum { PT_UA_SET = 1, PT_UA_REMOVE, PT_UA_ADD, PT_UA_DELETE } pt_update_kind_t;

typedef struct pt_update_action {
    uint8_t action;        /* pt_update_kind_t */
    pt_path_t path;
    pt_enode_t *value;     /* SET: value operand; ADD/DELETE: EN_VALUE; REMOVE: NULL */
} pt_update_action_t;

struct pt_expr {
    pt_expr_kind_t kind;
    bool legacy;                    /* from AttributeUpdates/Expected...: legacy semantics and messages */
    pt_enode_t *root;               /* condition, filter, key condition */
    pt_path_t *paths;               /* projection */
    uint32_t npaths;
    pt_update_action_t *actions;    /* update, in expression order */
    uint32_t nactions;
};

typedef struct pt_expr_name {
    const char *key;       /* "#n" */
    uint32_t key_len;
    const char *value;     /* the attribute name it stands for */
    uint32_t value_len;
    bool used;
} pt_expr_name_t;

typedef struct pt_expr_value {
    const char *key;       /* ":v" */
    uint32_t key_len;
    pt_av_t value;
    bool used;
} pt_expr_value_t;

struct pt_expr_ctx {
    pt_arena_t *arena;
    pt_expr_name_t *names;
    uint32_t nnames;
    pt_expr_value_t *values;
    uint32_t nvalues;
};

/* expr_reserved.c: DynamoDB's reserved words, case-insensitive. */
bool pt_expr_is_reserved(const char *name, size_t len);

/* expr_eval.c */
/* The value at `path` in `item` (an M), or NULL when any step is missing
 * or walks through a value of the wrong type. */
const pt_av_t *pt_expr_resolve(const pt_av_t *item, const pt_path_t *path);
/* Orders two scalars of the same type (N numerically, S and B bytewise);
 * false when they are not comparable (different types, or not N/S/B). */
bool pt_expr_order(const pt_av_t *a, const pt_av_t *b, int *cmp);
/* Appends DynamoDB's rendering of a path for messages: "[a, b, [2]]". */
void pt_expr_path_str(const pt_path_t *path, pt_buf_t *out);
/* Builds the projection of `item` onto `paths` (shared by projections and
 * UPDATED_OLD / UPDATED_NEW). */
int pt_expr_project_paths(pt_arena_t *arena, const pt_path_t *paths, uint32_t npaths, const pt_av_t *item,
                          pt_av_t *out);

/* expr_parse.c */
pt_enode_t *pt_enode_new(pt_arena_t *arena, pt_enode_kind_t kind, uint32_t nargs);

#endif
