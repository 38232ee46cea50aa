/* Tag operations: TagResource, UntagResource, ListTagsOfResource, and the
 * tag validation CreateTable shares (tags.h).
 *
 * DynamoDB's rules, checked in its order (dynalite validations/{tag,untag,listTagsOf}Resource.js
 * for the ARN checks; the tag rules as the service answers them): a missing
 * ResourceArn is "Invalid TableArn"; an ARN without six ':'-separated parts
 * and a '/' is an AccessDeniedException (IAM cannot even evaluate it); one
 * that is not a DynamoDB table ARN is "Invalid TableArn: Invalid
 * ResourceArn provided as input <arn>"; then the tags themselves, all or
 * nothing; then the table lookup. At most PT_TAGS_MAX tags per table.
 * Tags are stored as one record per table (catalog.c) and changed only on
 * the writer thread, so concurrent TagResource calls never lose a tag.
 *
 * ListTagsOfResource returns tags sorted by key, TAGS_PAGE per page; its
 * NextToken is the last key returned (DynamoDB's token is opaque, so any
 * value a client got from us works). */
#include "api/tags.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/params.h"

#define PT_E_ACCESS_DENIED PT_CORAL "AccessDeniedException"
#define TAGS_PAGE 10
#define TAG_KEY_MAX 128
#define TAG_VALUE_MAX 256

static const pt_param_t tag_members[] = {
    {.name = "Key", .type = PT_P_STRING},
    {.name = "Value", .type = PT_P_STRING},
    {0},
};
static const pt_param_t tag_elem = {.name = "member", .type = PT_P_VSTRUCT, .struct_name = "Tag",
                                    .members = tag_members};
static const pt_param_t string_elem = {.name = "member", .type = PT_P_STRING};

static const pt_param_t tag_resource_schema[] = {
    {.name = "ResourceArn", .type = PT_P_STRING},
    {.name = "Tags", .type = PT_P_LIST, .elem = &tag_elem},
    {0},
};
static const pt_param_t untag_resource_schema[] = {
    {.name = "ResourceArn", .type = PT_P_STRING},
    {.name = "TagKeys", .type = PT_P_LIST, .elem = &string_elem},
    {0},
};
static const pt_param_t list_tags_schema[] = {
    {.name = "ResourceArn", .type = PT_P_STRING},
    {.name = "NextToken", .type = PT_P_STRING},
    {0},
};

/* ---- characters ---- */

/* Decodes one UTF-8 sequence; returns its length, 0 if malformed. */
static size_t utf8_next(const unsigned char *s, size_t len, uint32_t *cp)
{
    unsigned char c = s[0];
    size_t n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (!n || n > len) return 0;
    uint32_t v = n == 1 ? c : n == 2 ? (c & 0x1Fu) : n == 3 ? (c & 0x0Fu) : (c & 0x07u);
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        v = (v << 6) | (s[i] & 0x3Fu);
    }
    *cp = v;
    return n;
}

/* AWS's tag pattern is ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$. ASCII is exact;
 * beyond it we refuse the blocks that hold no letters, digits or spaces
 * (controls, Latin-1 punctuation, general punctuation, symbols, arrows,
 * dingbats, emoji, private use) and accept the rest: a close approximation
 * without carrying Unicode's character tables. */
static bool tag_char_ok(uint32_t c)
{
    if (c < 0x80)
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ' ' ||
               strchr("_.:/=+-@", (int)c) != NULL;
    if (c < 0xA0) return false;                                   /* C1 controls */
    if (c <= 0xBF)                                                /* Latin-1 punctuation/symbols */
        return c == 0xA0 || c == 0xAA || c == 0xB2 || c == 0xB3 || c == 0xB5 || c == 0xB9 || c == 0xBA ||
               (c >= 0xBC && c <= 0xBE);
    if (c == 0xD7 || c == 0xF7) return false;                     /* × ÷ */
    if (c >= 0x2000 && c <= 0x206F)                               /* general punctuation: spaces only */
        return c <= 0x200A || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F;
    if (c >= 0x20A0 && c <= 0x20CF) return false;                 /* currency */
    if (c >= 0x2100 && c <= 0x214F) return c == 0x2102 || c == 0x2107 || (c >= 0x210A && c <= 0x2113) ||
                                           c == 0x2115 || (c >= 0x2119 && c <= 0x211D) || c == 0x2124 ||
                                           c == 0x2126 || c == 0x2128 || (c >= 0x212A && c <= 0x212D) ||
                                           (c >= 0x212F && c <= 0x2139);
    if (c >= 0x2190 && c <= 0x245F) return false;                 /* arrows, math, technical */
    if (c >= 0x2500 && c <= 0x2BFF) return false;                 /* box, shapes, misc symbols, dingbats */
    if (c >= 0x2E00 && c <= 0x2E7F) return false;                 /* supplemental punctuation */
    if (c >= 0x3001 && c <= 0x3004) return false;                 /* CJK punctuation (0x3000 is a space) */
    if (c >= 0x3008 && c <= 0x3020) return false;
    if (c >= 0xD800 && c <= 0xF8FF) return false;                 /* surrogates, private use */
    if (c >= 0xFE10 && c <= 0xFE6F) return false;                 /* vertical forms, small forms */
    if (c >= 0xFF01 && c <= 0xFF0F) return c == 0xFF0B || c == 0xFF0D || c == 0xFF0E || c == 0xFF0F;
    if (c >= 0xFFF0 && c <= 0xFFFF) return false;
    if (c >= 0x1F000 && c <= 0x1FBFF) return false;               /* emoji and pictographs */
    if (c >= 0xE0000) return false;                               /* tags, private use planes */
    return true;
}

/* Characters of a tag string if every one is allowed, else -1. */
static long tag_chars(const char *s, size_t len)
{
    long n = 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t k = utf8_next((const unsigned char *)s + i, len - i, &cp);
        if (!k || !tag_char_ok(cp)) return -1;
        i += k;
        n++;
    }
    return n;
}

static int tag_cmp(const void *a, const void *b)
{
    const pt_tag_t *x = a, *y = b;
    int c = memcmp(x->key, y->key, x->key_len < y->key_len ? x->key_len : y->key_len);
    if (c) return c;
    return x->key_len < y->key_len ? -1 : x->key_len > y->key_len;
}

static int bad_key(pt_error_t *err, const pt_json_t *k)
{
    if (!k) return pt_error_set(err, PT_E_VALIDATION, "The Tag Key provided is invalid, Key: null");
    return pt_error_set(err, PT_E_VALIDATION, "The Tag Key provided is invalid, Key: %.*s", (int)k->len, k->u.str);
}

static bool key_ok(const pt_json_t *k)
{
    long n = k ? tag_chars(k->u.str, k->len) : -1;
    return n >= 1 && n <= TAG_KEY_MAX;
}

int pt_api_tags_parse(pt_arena_t *arena, const pt_json_t *list, pt_tag_t **tags, uint32_t *n, pt_error_t *err)
{
    pt_tag_t *out = pt_arena_calloc(arena, sizeof *out * (list->len ? list->len : 1));
    for (uint32_t i = 0; i < list->len; i++) {
        const pt_json_t *tag = &list->u.elems[i];
        const pt_json_t *k = tag->type == PT_JSON_OBJECT ? pt_param(tag, "Key") : NULL;
        const pt_json_t *v = tag->type == PT_JSON_OBJECT ? pt_param(tag, "Value") : NULL;
        if (!key_ok(k)) return bad_key(err, k);
        if (k->len >= 4 && !memcmp(k->u.str, "aws:", 4))
            return pt_error_set(err, PT_E_VALIDATION, "Tag Key cannot be prefixed with aws:, Key: %.*s", (int)k->len,
                                k->u.str);
        if (!v) return pt_error_set(err, PT_E_VALIDATION, "The Tag Value provided is invalid, Value: null");
        long vn = tag_chars(v->u.str, v->len);
        if (vn < 0 || vn > TAG_VALUE_MAX)
            return pt_error_set(err, PT_E_VALIDATION, "The Tag Value provided is invalid, Value: %.*s", (int)v->len,
                                v->u.str);
        out[i] = (pt_tag_t){k->u.str, k->len, v->u.str, v->len};
    }
    qsort(out, list->len, sizeof *out, tag_cmp);
    for (uint32_t i = 1; i < list->len; i++)
        if (!tag_cmp(&out[i - 1], &out[i]))
            return pt_error_set(err, PT_E_VALIDATION,
                                "Duplicate Tag Keys provided as input: Duplicate Tag Key found %.*s",
                                (int)out[i].key_len, out[i].key);
    *tags = out;
    *n = list->len;
    return PT_OK;
}

/* ---- ARNs ---- */

/* dynalite's /^.+:.+:.+:.+:.+:.+\/.+$/: six non-empty ':'-separated parts
 * (the last may hold more colons), then a '/' with something after it. */
static bool arn_shaped(const char *s, size_t len)
{
    size_t i = 0;
    for (int part = 0; part < 5; part++) {
        size_t start = i;
        while (i < len && s[i] != ':') i++;
        if (i == start || i == len) return false;
        i++;
    }
    const char *slash = memrchr(s + i, '/', len - i);
    return slash && slash > s + i && slash < s + len - 1;
}

/* /^arn:aws:dynamodb:.+:\d+:table\/[^/]{2}[^/]+$/ -> the table name. */
static bool table_arn(const char *s, size_t len, const char **region, size_t *region_len, const char **account,
                      size_t *account_len, const char **name, size_t *name_len)
{
    static const char head[] = "arn:aws:dynamodb:";
    if (len < sizeof head - 1 || memcmp(s, head, sizeof head - 1)) return false;
    const char *p = s + sizeof head - 1, *end = s + len;
    const char *marker = NULL;
    /* the last ":table/" whose account part is all digits */
    for (const char *q = p; q + 7 <= end; q++)
        if (!memcmp(q, ":table/", 7)) marker = q;
    if (!marker) return false;
    const char *acct_end = marker, *acct = marker;
    while (acct > p && acct[-1] >= '0' && acct[-1] <= '9') acct--;
    if (acct == acct_end || acct == p || acct[-1] != ':' || acct - 1 == p) return false;
    const char *nm = marker + 7;
    if (end - nm < 3 || memchr(nm, '/', (size_t)(end - nm))) return false;
    *region = p;
    *region_len = (size_t)(acct - 1 - p);
    *account = acct;
    *account_len = (size_t)(acct_end - acct);
    *name = nm;
    *name_len = (size_t)(end - nm);
    return true;
}

typedef struct arn_ref {
    const char *arn;
    uint32_t len;
} arn_ref_t;

/* The ARN checks every tag operation starts with; the table is resolved
 * later (after the operation's own checks), by find_table. */
static int check_arn(pt_call_t *call, const pt_json_t *req, const char *op, arn_ref_t *out)
{
    uint32_t len;
    const char *arn = pt_param_str(req, "ResourceArn", &len);
    if (!arn) return pt_error_set(&call->err, PT_E_VALIDATION, "Invalid TableArn");
    if (!arn_shaped(arn, len))
        return pt_error_set(&call->err, PT_E_ACCESS_DENIED,
                            "User: arn:aws:iam::%s:root is not authorized to perform: dynamodb:%s on resource: %.*s",
                            call->engine->account_id, op, (int)len, arn);
    out->arn = arn;
    out->len = len;
    return PT_OK;
}

static int check_table_arn(pt_call_t *call, const arn_ref_t *a)
{
    const char *r, *acct, *name;
    size_t rl, al, nl;
    if (!table_arn(a->arn, a->len, &r, &rl, &acct, &al, &name, &nl))
        return pt_error_set(&call->err, PT_E_VALIDATION, "Invalid TableArn: Invalid ResourceArn provided as input %.*s",
                            (int)a->len, a->arn);
    return PT_OK;
}

/* The table the ARN names, in this engine's region and account, or
 * ResourceNotFoundException with `detailed` DynamoDB's ListTags/TagResource
 * message (sic "ResourcArn") or UntagResource's bare one. */
static int find_table(pt_call_t *call, const arn_ref_t *a, bool detailed, pt_table_t **out)
{
    const char *r, *acct, *name;
    size_t rl, al, nl;
    pt_table_t *t = NULL;
    pt_engine_t *e = call->engine;
    if (table_arn(a->arn, a->len, &r, &rl, &acct, &al, &name, &nl) && rl == strlen(e->region) &&
        !memcmp(r, e->region, rl) && al == strlen(e->account_id) && !memcmp(acct, e->account_id, al))
        t = pt_catalog_get(e, name, nl);
    if (!t) {
        if (!detailed) return pt_error_set(&call->err, PT_E_NOT_FOUND, "Requested resource not found");
        return pt_error_set(&call->err, PT_E_NOT_FOUND, "Requested resource not found: ResourcArn: %.*s not found",
                            (int)a->len, a->arn);
    }
    if (call->table) pt_table_release(call->table);
    call->table = t;
    *out = t;
    return PT_OK;
}

/* ---- TagResource ---- */

typedef struct tag_op {
    pt_tag_t *tags;      /* TagResource: sorted, unique */
    uint32_t ntags;
    const pt_json_t *keys; /* UntagResource */
} tag_op_t;

static int tag_apply(pt_call_t *call, pt_txn_t *txn)
{
    tag_op_t *op = call->op;
    pt_table_t *t = call->table;
    if (atomic_load(&t->deleted))
        return pt_error_set(&call->err, PT_E_NOT_FOUND, "Requested resource not found");
    pt_tag_t *cur;
    uint32_t ncur;
    if (pt_catalog_tags_get(txn, t, &call->arena, &cur, &ncur, &call->err)) return PT_ERR;
    /* merge two sorted lists; a new value replaces the old one */
    pt_tag_t *merged = pt_arena_alloc(&call->arena, sizeof *merged * (ncur + op->ntags + 1));
    uint32_t i = 0, j = 0, n = 0;
    while (i < ncur || j < op->ntags) {
        int c = i == ncur ? 1 : j == op->ntags ? -1 : tag_cmp(&cur[i], &op->tags[j]);
        if (c < 0) merged[n++] = cur[i++];
        else if (c > 0) merged[n++] = op->tags[j++];
        else {
            merged[n++] = op->tags[j++];
            i++;
        }
    }
    if (n > PT_TAGS_MAX)
        return pt_error_set(&call->err, PT_E_VALIDATION,
                            "Number of Tags exceed the current limit for the provided ResourceArn");
    return pt_catalog_tags_set(txn, t, merged, n, &call->err);
}

int pt_op_tag_resource(pt_call_t *call, const pt_json_t *req)
{
    arn_ref_t arn;
    if (pt_params_check(&call->arena, req, tag_resource_schema, &call->err)) return PT_ERR;
    if (check_arn(call, req, "TagResource", &arn)) return PT_ERR;
    const pt_json_t *list = pt_param(req, "Tags");
    if (!list)
        return pt_error_set(&call->err, PT_E_VALIDATION,
                            "1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member "
                            "must not be null");
    if (check_table_arn(call, &arn)) return PT_ERR;
    if (!list->len) return pt_error_set(&call->err, PT_E_VALIDATION, "Atleast one Tag needs to be provided as Input.");
    if (list->len > PT_TAGS_MAX)
        return pt_error_set(&call->err, PT_E_VALIDATION,
                            "Number of Tags exceed the current limit for the provided ResourceArn");
    tag_op_t *op = pt_arena_calloc(&call->arena, sizeof *op);
    if (pt_api_tags_parse(&call->arena, list, &op->tags, &op->ntags, &call->err)) return PT_ERR;
    pt_table_t *t;
    if (find_table(call, &arn, true, &t)) return PT_ERR;
    call->op = op;
    call->apply = tag_apply;
    return PT_PENDING;
}

/* ---- UntagResource ---- */

static int untag_apply(pt_call_t *call, pt_txn_t *txn)
{
    tag_op_t *op = call->op;
    pt_table_t *t = call->table;
    if (atomic_load(&t->deleted))
        return pt_error_set(&call->err, PT_E_NOT_FOUND, "Requested resource not found");
    pt_tag_t *cur;
    uint32_t ncur, n = 0;
    if (pt_catalog_tags_get(txn, t, &call->arena, &cur, &ncur, &call->err)) return PT_ERR;
    for (uint32_t i = 0; i < ncur; i++) {
        bool removed = false;
        for (uint32_t k = 0; k < op->keys->len && !removed; k++) {
            const pt_json_t *key = &op->keys->u.elems[k];
            removed = key->len == cur[i].key_len && !memcmp(key->u.str, cur[i].key, key->len);
        }
        if (!removed) cur[n++] = cur[i];
    }
    if (n == ncur) return PT_OK; /* removing absent keys is not an error */
    return pt_catalog_tags_set(txn, t, cur, n, &call->err);
}

int pt_op_untag_resource(pt_call_t *call, const pt_json_t *req)
{
    arn_ref_t arn;
    if (pt_params_check(&call->arena, req, untag_resource_schema, &call->err)) return PT_ERR;
    if (check_arn(call, req, "UntagResource", &arn)) return PT_ERR;
    const pt_json_t *keys = pt_param(req, "TagKeys");
    if (!keys)
        return pt_error_set(&call->err, PT_E_VALIDATION,
                            "1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: "
                            "Member must not be null");
    if (check_table_arn(call, &arn)) return PT_ERR;
    if (!keys->len)
        return pt_error_set(&call->err, PT_E_VALIDATION, "Atleast one Tag Key needs to be provided as Input.");
    if (keys->len > PT_TAGS_MAX)
        return pt_error_set(&call->err, PT_E_VALIDATION,
                            "Number of Tags exceed the current limit for the provided ResourceArn");
    for (uint32_t i = 0; i < keys->len; i++) {
        const pt_json_t *k = &keys->u.elems[i];
        if (k->type != PT_JSON_STRING) k = NULL;
        if (!key_ok(k)) return bad_key(&call->err, k);
    }
    pt_table_t *t;
    if (find_table(call, &arn, false, &t)) return PT_ERR;
    tag_op_t *op = pt_arena_calloc(&call->arena, sizeof *op);
    op->keys = keys;
    call->op = op;
    call->apply = untag_apply;
    return PT_PENDING;
}

/* ---- ListTagsOfResource ---- */

int pt_op_list_tags_of_resource(pt_call_t *call, const pt_json_t *req)
{
    arn_ref_t arn;
    pt_table_t *t;
    if (pt_params_check(&call->arena, req, list_tags_schema, &call->err)) return PT_ERR;
    if (check_arn(call, req, "ListTagsOfResource", &arn)) return PT_ERR;
    if (check_table_arn(call, &arn)) return PT_ERR;
    if (find_table(call, &arn, true, &t)) return PT_ERR;
    uint32_t tok_len = 0;
    const char *token = pt_param_str(req, "NextToken", &tok_len);

    pt_txn_t *txn;
    pt_tag_t *tags;
    uint32_t n;
    if (pt_txn_begin(call->engine->store, PT_TXN_READ, NULL, &txn, &call->err)) return PT_ERR;
    int rc = pt_catalog_tags_get(txn, t, &call->arena, &tags, &n, &call->err);
    pt_txn_abort(txn); /* the tags were copied into the arena */
    if (rc) return PT_ERR;

    uint32_t start = 0;
    if (token) {
        pt_tag_t probe = {token, tok_len, NULL, 0};
        while (start < n && tag_cmp(&tags[start], &probe) <= 0) start++;
    }
    uint32_t end = start + TAGS_PAGE < n ? start + TAGS_PAGE : n;
    pt_jw_t w;
    pt_jw_init(&w, &call->out);
    pt_jw_obj_begin(&w);
    pt_jw_keyz(&w, "Tags");
    pt_jw_arr_begin(&w);
    for (uint32_t i = start; i < end; i++) {
        pt_jw_obj_begin(&w);
        pt_jw_keyz(&w, "Key");
        pt_jw_str(&w, tags[i].key, tags[i].key_len);
        pt_jw_keyz(&w, "Value");
        pt_jw_str(&w, tags[i].value, tags[i].value_len);
        pt_jw_obj_end(&w);
    }
    pt_jw_arr_end(&w);
    if (end < n) {
        pt_jw_keyz(&w, "NextToken");
        pt_jw_str(&w, tags[end - 1].key, tags[end - 1].key_len);
    }
    pt_jw_obj_end(&w);
    return PT_OK;
}
