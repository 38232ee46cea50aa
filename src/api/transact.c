/* TransactWriteItems and TransactGetItems: all-or-nothing writes across
 * tables and snapshot reads.
 *
 * TransactWriteItems. Everything that can be checked without storage is
 * checked on the calling thread, in DynamoDB's order (captured against the
 * service, see tests/integration/test_transactions.py): Coral's parameter
 * kinds and member constraints; the 100-action limit; each action holding
 * exactly one of Put/Update/Delete/ConditionCheck; each action validated
 * like its single-item counterpart (pt_item_op_prepare: attribute values,
 * expressions, unused placeholders), all before any table is looked up;
 * then the tables (ResourceNotFoundException), empty key values, each
 * action's key against its table (pt_item_op_bind), two actions on one item,
 * and the 4 MB aggregate. A key that does not match its table's schema is
 * not a top-level error in DynamoDB but a ValidationError cancellation
 * reason, so it is carried to the writer as a pre-failed action.
 *
 * Then ONE write job applies every action inside the same nested
 * transaction of the writer's batch: each action reads its item, evaluates
 * its condition and writes (pt_item_op_apply). Every action is evaluated,
 * so the cancellation reasons are complete and positional; if any failed,
 * apply() returns PT_ERR and the writer rolls the nested transaction back,
 * so nothing of the transaction persists. Isolation needs no locks: writes
 * are applied by the single writer thread one job at a time (conflicting
 * writers serialize), and a transaction's changes become visible in the one
 * commit of its batch, while readers use LMDB snapshots — a reader sees all
 * of a transaction or none of it. The job holds no table references: apply()
 * looks each table up again (on the writer thread the catalog cannot change
 * under it) and fails with ResourceNotFoundException if a table was deleted,
 * or deleted and re-created, since validation.
 *
 * Idempotency (ClientRequestToken). A successful transaction with a token
 * stores, in the same storage transaction, the records
 *   00000000 'K' <token>                 -> created ms (u64 BE) | SHA-256 of TransactItems
 *   00000000 'k' <created ms u64 BE> <token> -> empty (expiry order)
 * under the catalog's table id 0 (catalog.c uses 'T', 'S', 'G', 'I', 'X'). Within
 * the 10-minute window the same token with the same TransactItems succeeds
 * again without applying anything (billed as reads, as DynamoDB documents);
 * with different TransactItems it fails with IdempotentParameterMismatchException.
 * A cancelled transaction stores nothing, so its retry runs again. The
 * records survive restarts; expired ones are deleted lazily, a bounded
 * number per tokened transaction, oldest first through the 'k' entries.
 * PORTICO_TXN_TOKEN_WINDOW_MS overrides the window (tests only).
 *
 * TransactGetItems reads every Get in ONE read transaction on the calling
 * thread (one consistent snapshot) and answers one Responses entry per Get,
 * in order. A Get whose key does not match its table's schema cancels the
 * whole call with a ValidationError reason, as DynamoDB does.
 *
 * ItemCollectionMetrics (ReturnItemCollectionMetrics = SIZE) lists, per
 * table with a local secondary index, each item collection written.
 *
 * Not done: the 4 MB limit on a TransactGetItems response. */
#include "api/api.h"
#include "api/item_ops.h"
#include "api/params.h"
#include "engine/av.h"
#include "engine/expr.h"
#include "engine/index.h"
#include "engine/item_store.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TX_MAX_ACTIONS 100
#define TX_MAX_BYTES (4u * 1024 * 1024)
#define TX_TOKEN_WINDOW_MS (10 * 60 * 1000)
#define TX_EXPIRE_PER_CALL 32   /* expired token records removed per tokened call */

#define E_CANCELED PT_DDB "TransactionCanceledException"
#define E_IDEMPOTENT PT_DDB "IdempotentParameterMismatchException"

#define MULTIPLE_OPS "Transaction request cannot include multiple operations on one item"

/* The members every action ends with. */
#define ACTION_TAIL_P                                                                                       \
    PT_API_EXPRESSION_NAMES_PARAM, {.name = "ExpressionAttributeValues", .type = PT_P_ATTRS},              \
        PT_API_ON_CHECK_FAILURE_PARAM, {0}

/* Members of each action, in the service model's order. */
static const pt_param_t put_members[] = {
    {.name = "Item", .type = PT_P_ATTRS, .flags = PT_P_NOT_NULL},
    PT_API_TABLE_NAME_PARAM,
    {.name = "ConditionExpression", .type = PT_P_STRING},
    ACTION_TAIL_P,
};
static const pt_param_t update_members[] = {
    {.name = "Key", .type = PT_P_ATTRS, .flags = PT_P_NOT_NULL},
    {.name = "UpdateExpression", .type = PT_P_STRING, .flags = PT_P_NOT_NULL},
    PT_API_TABLE_NAME_PARAM,
    {.name = "ConditionExpression", .type = PT_P_STRING},
    ACTION_TAIL_P,
};
static const pt_param_t delete_members[] = {
    {.name = "Key", .type = PT_P_ATTRS, .flags = PT_P_NOT_NULL},
    PT_API_TABLE_NAME_PARAM,
    {.name = "ConditionExpression", .type = PT_P_STRING},
    ACTION_TAIL_P,
};
static const pt_param_t check_members[] = {
    {.name = "Key", .type = PT_P_ATTRS, .flags = PT_P_NOT_NULL},
    PT_API_TABLE_NAME_PARAM,
    {.name = "ConditionExpression", .type = PT_P_STRING, .flags = PT_P_NOT_NULL},
    ACTION_TAIL_P,
};
static const pt_param_t write_item_members[] = {
    {.name = "ConditionCheck", .type = PT_P_FSTRUCT, .struct_name = "ConditionCheck", .members = check_members},
    {.name = "Put", .type = PT_P_FSTRUCT, .struct_name = "Put", .members = put_members},
    {.name = "Delete", .type = PT_P_FSTRUCT, .struct_name = "Delete", .members = delete_members},
    {.name = "Update", .type = PT_P_FSTRUCT, .struct_name = "Update", .members = update_members},
    {0},
};
static const pt_param_t write_item_param = {.name = "member", .type = PT_P_VSTRUCT,
                                            .struct_name = "TransactWriteItem", .members = write_item_members};

/* Coral reports a too-long ClientRequestToken ahead of the enums (captured
 * in us-east-1: "2 validation errors detected: <token>; <ReturnConsumedCapacity>").
 * The 100-action maximum is checked separately (see check_action_count). */
static const pt_param_t write_schema[] = {
    {.name = "ClientRequestToken", .type = PT_P_STRING, .flags = PT_P_HAS_MINLEN | PT_P_HAS_MAXLEN, .min_len = 1,
     .max_len = 36},
    PT_API_RETURN_CONSUMED_PARAM,
    PT_API_RETURN_METRICS_PARAM,
    {.name = "TransactItems", .type = PT_P_LIST, .flags = PT_P_NOT_NULL | PT_P_HAS_MINLEN, .min_len = 1,
     .elem = &write_item_param},
    {0},
};

static const pt_param_t get_members[] = {
    {.name = "Key", .type = PT_P_ATTRS, .flags = PT_P_NOT_NULL},
    PT_API_TABLE_NAME_PARAM,
    {.name = "ProjectionExpression", .type = PT_P_STRING},
    PT_API_EXPRESSION_NAMES_PARAM,
    {0},
};
static const pt_param_t get_item_members[] = {
    {.name = "Get", .type = PT_P_FSTRUCT, .flags = PT_P_NOT_NULL, .struct_name = "Get", .members = get_members},
    {0},
};
static const pt_param_t get_item_param = {.name = "member", .type = PT_P_VSTRUCT,
                                          .struct_name = "TransactGetItem", .members = get_item_members};
static const pt_param_t get_schema[] = {
    PT_API_RETURN_CONSUMED_PARAM,
    {.name = "TransactItems", .type = PT_P_LIST, .flags = PT_P_NOT_NULL | PT_P_HAS_MINLEN, .min_len = 1,
     .elem = &get_item_param},
    {0},
};

/* ---- shared helpers ---- */

/* DynamoDB echoes the whole list in its length message ("Value '[...]' at
 * 'transactItems'"), which can be megabytes; newer service builds name the
 * member instead, a wording that fits in an error record, so that one is
 * used. */
static int check_action_count(pt_call_t *call, const pt_json_t *req)
{
    const pt_json_t *items = pt_param(req, "TransactItems");
    if (items && items->len > TX_MAX_ACTIONS)
        return pt_error_set(&call->err, PT_E_VALIDATION,
                            "1 validation error detected: Value at 'TransactItems' failed to satisfy constraint: "
                            "Member must have length less than or equal to %d",
                            TX_MAX_ACTIONS);
    return PT_OK;
}

/* A copy of `obj` holding only the members the schema declares: an
 * action's body is validated by the single-item code, which also knows
 * parameters a transaction action does not have (Expected, ReturnValues...)
 * and which DynamoDB ignores here as unknown members. */
static const pt_json_t *known_members(pt_arena_t *arena, const pt_json_t *obj, const pt_param_t *members)
{
    pt_json_t *out = pt_arena_calloc(arena, sizeof *out);
    out->type = PT_JSON_OBJECT;
    out->u.members = pt_arena_calloc(arena, sizeof *out->u.members * (obj->len ? obj->len : 1));
    for (uint32_t i = 0; i < obj->len; i++)
        for (const pt_param_t *m = members; m->name; m++)
            if (!strcmp(obj->u.members[i].key, m->name)) {
                out->u.members[out->len++] = obj->u.members[i];
                break;
            }
    return out;
}

/* The empty key value check DynamoDB makes up front for every action (a
 * top-level ValidationException, unlike the other key mismatches). */
static int check_empty_key(pt_call_t *call, const pt_table_t *t, const pt_av_t *key_item)
{
    const pt_attr_def_t *defs[2] = {&t->hash, t->range.name ? &t->range : NULL};
    for (int i = 0; i < 2 && defs[i]; i++) {
        const pt_av_t *v = pt_item_get(key_item, defs[i]->name, strlen(defs[i]->name));
        if (v && (v->type == PT_AV_S || v->type == PT_AV_B) && v->len == 0)
            return pt_error_set(&call->err, PT_E_VALIDATION,
                                "One or more parameter values are not valid. The AttributeValue for a key attribute "
                                "cannot contain an empty %s value. Key: %s",
                                v->type == PT_AV_S ? "string" : "binary", defs[i]->name);
    }
    return PT_OK;
}

/* Per-table capacity, in order of the tables' first appearance. */
static pt_capacity_t *table_capacity(pt_capacity_t *c, uint32_t *n, const char *table)
{
    for (uint32_t i = 0; i < *n; i++)
        if (!strcmp(c[i].table, table)) return &c[i];
    c[*n].table = table;
    return &c[(*n)++];
}

static void write_capacity(pt_jw_t *w, rcc_t mode, const pt_capacity_t *c, uint32_t n, bool is_read)
{
    if (mode == RCC_NONE) return;
    pt_jw_keyz(w, "ConsumedCapacity");
    pt_jw_arr_begin(w);
    for (uint32_t i = 0; i < n; i++) pt_capacity_write(w, mode, &c[i], is_read);
    pt_jw_arr_end(w);
}

/* One cancellation reason: Code "None", "ConditionalCheckFailed" or
 * "ValidationError", with its message and (conditions with
 * ReturnValuesOnConditionCheckFailure ALL_OLD) the item. */
typedef struct tx_reason {
    const char *code;          /* NULL: "None" */
    const char *message;
    const char *item_json;     /* pre-encoded ,"Item":{...} or NULL */
    size_t item_json_len;
} tx_reason_t;

/* TransactionCanceledException. Its model member is "Message" (capital M,
 * unlike most DynamoDB errors), so the message travels in extra_json and
 * err.message stays empty for the dispatcher. */
static int cancel(pt_call_t *call, const tx_reason_t *reasons, uint32_t n)
{
    pt_buf_t b = PT_BUF_INIT;
    pt_jw_t w;
    pt_jw_init(&w, &b);
    pt_buf_puts(&b, ",\"CancellationReasons\":");
    pt_jw_arr_begin(&w);
    for (uint32_t i = 0; i < n; i++) {
        pt_jw_obj_begin(&w);
        pt_jw_keyz(&w, "Code");
        pt_jw_strz(&w, reasons[i].code ? reasons[i].code : "None");
        if (reasons[i].message) {
            pt_jw_keyz(&w, "Message");
            pt_jw_strz(&w, reasons[i].message);
        }
        /* pt_jw tracks separators itself; the raw ,"Item":{...} carries its own comma */
        if (reasons[i].item_json_len) pt_buf_append(&b, reasons[i].item_json, reasons[i].item_json_len);
        pt_jw_obj_end(&w);
    }
    pt_jw_arr_end(&w);
    pt_buf_t msg = PT_BUF_INIT;
    pt_buf_puts(&msg, "Transaction cancelled, please refer cancellation reasons for specific reasons [");
    for (uint32_t i = 0; i < n; i++) {
        if (i) pt_buf_puts(&msg, ", ");
        pt_buf_puts(&msg, reasons[i].code ? reasons[i].code : "None");
    }
    pt_buf_putc(&msg, ']');
    pt_buf_puts(&b, ",\"Message\":");
    pt_jw_t mw;
    pt_jw_init(&mw, &b);
    pt_jw_str(&mw, msg.data, msg.len);

    pt_error_set(&call->err, E_CANCELED, "%s", "");
    call->err.extra_json = pt_arena_memdup(&call->arena, b.data, b.len);
    call->err.extra_json_len = b.len;
    pt_buf_free(&msg);
    pt_buf_free(&b);
    return PT_ERR;
}

/* ======================= TransactWriteItems ======================= */

typedef struct tx_action {
    pt_item_op_t op;
    const char *table_name;     /* NUL-terminated (JSON strings are) */
    uint32_t table_name_len;
    uint32_t table_id;          /* the table validated against */
    const char *bind_error;     /* key mismatch found at validation: a ValidationError reason */
} tx_action_t;

typedef struct tx_write {
    tx_action_t *actions;
    uint32_t n;
    rcc_t rcc;
    bool metrics;               /* ReturnItemCollectionMetrics = SIZE */
    const char *token;          /* ClientRequestToken or NULL */
    uint32_t token_len;
    uint8_t request_hash[32];   /* SHA-256 of TransactItems (with a token) */
} tx_write_t;

static const char *action_kind_name(const pt_json_t *item, pt_item_op_kind_t *kind, const pt_param_t **members,
                                    int *count)
{
    static const struct {
        const char *name;
        pt_item_op_kind_t kind;
        const pt_param_t *members;
    } kinds[] = {{"Put", PT_ITEM_PUT, put_members},
                 {"Update", PT_ITEM_UPDATE, update_members},
                 {"Delete", PT_ITEM_DELETE, delete_members},
                 {"ConditionCheck", PT_ITEM_CHECK, check_members}};
    const char *found = NULL;
    *count = 0;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        if (item->type != PT_JSON_OBJECT || !pt_param(item, kinds[i].name)) continue;
        (*count)++;
        found = kinds[i].name;
        *kind = kinds[i].kind;
        *members = kinds[i].members;
    }
    return found;
}

static void hash_items(const pt_json_t *items, uint8_t out[32])
{
    /* The parsed tree re-serialized: insignificant whitespace of the
     * client's encoding does not make two identical requests differ. */
    pt_buf_t b = PT_BUF_INIT;
    pt_jw_t w;
    pt_jw_init(&w, &b);
    pt_jw_value(&w, items);
    unsigned int len = 32;
    EVP_Digest(b.data ? b.data : "", b.len, out, &len, EVP_sha256(), NULL);
    pt_buf_free(&b);
}

static size_t action_size(pt_arena_t *arena, const tx_action_t *a, const pt_json_t *body)
{
    if (a->op.kind == PT_ITEM_PUT) return a->op.item.size;
    size_t size = pt_item_size(&a->op.key_item);
    const pt_json_t *values = pt_param(body, "ExpressionAttributeValues");
    if (a->op.kind == PT_ITEM_UPDATE && values) {
        pt_av_t m;
        pt_error_t ignored;
        if (!pt_item_from_json(arena, values, &m, &ignored)) size += pt_item_size(&m);
    }
    return size;
}

/* ---- idempotency records ---- */

static int64_t token_window_ms(void)
{
    const char *s = getenv("PORTICO_TXN_TOKEN_WINDOW_MS");
    if (s && *s) {
        long long v = strtoll(s, NULL, 10);
        if (v > 0) return v;
    }
    return TX_TOKEN_WINDOW_MS;
}

static void token_key(pt_buf_t *b, const char *token, uint32_t len)
{
    pt_catalog_meta_key(b, 'K');
    pt_buf_append(b, token, len);
}


static void expiry_key(pt_buf_t *b, uint64_t created, const char *token, uint32_t len)
{
    pt_catalog_meta_key(b, 'k');
    pt_buf_put_u64be(b, created);
    pt_buf_append(b, token, len);
}

/* Deletes up to TX_EXPIRE_PER_CALL expired token records, oldest first. */
static int expire_tokens(pt_txn_t *txn, int64_t now, int64_t window, pt_error_t *err)
{
    pt_buf_t prefix = PT_BUF_INIT, k2 = PT_BUF_INIT;
    pt_buf_put_u32be(&prefix, 0);
    pt_buf_putc(&prefix, 'k');
    pt_cursor_t *cur;
    int rc = pt_cursor_open(txn, &cur, err);
    if (rc) goto out;
    pt_slice_t k, v;
    rc = pt_cursor_seek(cur, pt_slice(prefix.data, prefix.len), &k, &v, err);
    for (int n = 0; rc == PT_OK && n < TX_EXPIRE_PER_CALL; n++) {
        if (k.len < prefix.len + 8 || memcmp(k.data, prefix.data, prefix.len)) break;
        const uint8_t *kb = k.data;
        uint64_t created = pt_get_u64be(kb + prefix.len);
        if ((int64_t)created + window > now) break;
        const char *token = (const char *)kb + prefix.len + 8;
        uint32_t token_len = (uint32_t)(k.len - prefix.len - 8);
        /* the token record goes only if it is this entry's (not rewritten since) */
        pt_buf_clear(&k2);
        token_key(&k2, token, token_len);
        pt_slice_t rec;
        int got = pt_get(txn, pt_slice(k2.data, k2.len), &rec, err);
        if (got == PT_ERR) {
            rc = PT_ERR;
            break;
        }
        if (got == PT_OK && rec.len >= 8 && pt_get_u64be(rec.data) == created &&
            pt_del(txn, pt_slice(k2.data, k2.len), err) == PT_ERR) {
            rc = PT_ERR;
            break;
        }
        if (pt_cursor_del(cur, err)) {
            rc = PT_ERR;
            break;
        }
        rc = pt_cursor_next(cur, &k, &v, err);
    }
    pt_cursor_close(cur);
    if (rc == PT_NOTFOUND) rc = PT_OK;
out:
    pt_buf_free(&prefix);
    pt_buf_free(&k2);
    return rc == PT_ERR ? PT_ERR : PT_OK;
}

/* PT_OK: no live record for the token; PT_NOTFOUND is never returned;
 * *replay set when a live record matches this request. */
static int check_token(pt_call_t *call, pt_txn_t *txn, const tx_write_t *tx, int64_t now, bool *replay)
{
    *replay = false;
    pt_buf_t k = PT_BUF_INIT;
    token_key(&k, tx->token, tx->token_len);
    pt_slice_t rec;
    int rc = pt_get(txn, pt_slice(k.data, k.len), &rec, &call->err);
    pt_buf_free(&k);
    if (rc == PT_ERR) return PT_ERR;
    if (rc == PT_NOTFOUND || rec.len != 8 + 32) return PT_OK;
    int64_t created = (int64_t)pt_get_u64be(rec.data);
    if (created + token_window_ms() <= now) return PT_OK; /* expired: a new request */
    if (memcmp((const uint8_t *)rec.data + 8, tx->request_hash, 32))
        return pt_error_set(&call->err, E_IDEMPOTENT,
                            "DynamoDB rejected the request because you retried a request with a different payload "
                            "but with an idempotent token that was already used.");
    *replay = true;
    return PT_OK;
}

static int store_token(pt_call_t *call, pt_txn_t *txn, const tx_write_t *tx, int64_t now)
{
    pt_buf_t k = PT_BUF_INIT, v = PT_BUF_INIT;
    pt_slice_t old;
    token_key(&k, tx->token, tx->token_len);
    /* an expired record being replaced: drop its expiry entry */
    int rc = pt_get(txn, pt_slice(k.data, k.len), &old, &call->err);
    if (rc == PT_OK && old.len >= 8) {
        pt_buf_t ek = PT_BUF_INIT;
        expiry_key(&ek, pt_get_u64be(old.data), tx->token, tx->token_len);
        rc = pt_del(txn, pt_slice(ek.data, ek.len), &call->err);
        pt_buf_free(&ek);
    }
    if (rc != PT_ERR) {
        pt_buf_put_u64be(&v, (uint64_t)now);
        pt_buf_append(&v, tx->request_hash, 32);
        rc = pt_put(txn, pt_slice(k.data, k.len), pt_slice(v.data, v.len), &call->err);
    }
    if (rc != PT_ERR) {
        pt_buf_clear(&k);
        expiry_key(&k, (uint64_t)now, tx->token, tx->token_len);
        rc = pt_put(txn, pt_slice(k.data, k.len), pt_slice("", 0), &call->err);
    }
    pt_buf_free(&k);
    pt_buf_free(&v);
    return rc == PT_ERR ? PT_ERR : PT_OK;
}

/* ---- writer thread ---- */

/* "ItemCollectionMetrics":{table:[...]}: for the tables with an LSI, each
 * item collection a Put, Update or Delete wrote, once, as it is after the
 * transaction. Nothing when no such table was written. */
static int write_collection_metrics(pt_call_t *call, pt_txn_t *txn, pt_jw_t *w, const tx_write_t *tx,
                                    pt_table_t **tables)
{
    bool *done = pt_arena_calloc(&call->arena, sizeof *done * tx->n);
    bool any = false;
    for (uint32_t i = 0; i < tx->n; i++) {
        const pt_table_t *t = tables[i];
        if (done[i] || tx->actions[i].op.kind == PT_ITEM_CHECK || !pt_index_has_lsi(t)) continue;
        if (!any) {
            pt_jw_keyz(w, "ItemCollectionMetrics");
            pt_jw_obj_begin(w);
            any = true;
        }
        pt_jw_keyz(w, t->name);
        pt_jw_arr_begin(w);
        /* this table's distinct partition keys, in action order */
        for (uint32_t j = i; j < tx->n; j++) {
            if (done[j] || tables[j] != t || tx->actions[j].op.kind == PT_ITEM_CHECK) continue;
            const pt_av_t *h = pt_item_get(&tx->actions[j].op.key_item, t->hash.name, strlen(t->hash.name));
            for (uint32_t k = j; k < tx->n; k++)
                if (tables[k] == t && tx->actions[k].op.kind != PT_ITEM_CHECK &&
                    pt_av_equal(pt_item_get(&tx->actions[k].op.key_item, t->hash.name, strlen(t->hash.name)), h))
                    done[k] = true;
            if (pt_api_write_collection_metrics(w, txn, t, h, &call->err)) return PT_ERR;
        }
        pt_jw_arr_end(w);
    }
    if (any) pt_jw_obj_end(w);
    return PT_OK;
}

static int write_actions(pt_call_t *call, pt_txn_t *txn, tx_write_t *tx, pt_table_t **tables)
{
    tx_reason_t *reasons = pt_arena_calloc(&call->arena, sizeof *reasons * tx->n);
    pt_capacity_t *units = pt_arena_calloc(&call->arena, sizeof *units * tx->n);
    uint32_t nunits = 0;
    bool failed = false;
    for (uint32_t i = 0; i < tx->n; i++) {
        tx_action_t *a = &tx->actions[i];
        if (a->bind_error) {
            reasons[i].code = "ValidationError";
            reasons[i].message = a->bind_error;
            failed = true;
            continue;
        }
        pt_item_op_result_t res;
        pt_error_t aerr;
        pt_error_clear(&aerr);
        if (pt_item_op_apply(&call->arena, txn, tables[i], &a->op, &res, &aerr)) {
            bool conditional = aerr.type && !strcmp(aerr.type, PT_E_CONDITIONAL);
            if (conditional || (aerr.type && !strcmp(aerr.type, PT_E_VALIDATION))) {
                /* every action is still evaluated, for complete reasons;
                 * the failure rolls all of them back */
                reasons[i].code = conditional ? "ConditionalCheckFailed" : "ValidationError";
                reasons[i].message = pt_arena_strndup(&call->arena, aerr.message, strlen(aerr.message));
                reasons[i].item_json = aerr.extra_json;
                reasons[i].item_json_len = aerr.extra_json_len;
                failed = true;
                continue;
            }
            call->err = aerr; /* storage failure */
            return PT_ERR;
        }
        /* DynamoDB: a transactional write costs twice a plain one. A
         * ConditionCheck is billed like a write of the item it read. Index
         * writes are billed as for a plain write (an index is maintained
         * after the transaction's items, not as part of its protocol). */
        pt_capacity_add_write(table_capacity(units, &nunits, tables[i]->name), &call->arena,
                              2 * pt_item_op_table_units(&res), &res.index_units);
    }
    if (failed) return cancel(call, reasons, tx->n);

    pt_jw_t w;
    pt_jw_init(&w, &call->out);
    pt_jw_obj_begin(&w);
    write_capacity(&w, tx->rcc, units, nunits, false);
    if (tx->metrics && write_collection_metrics(call, txn, &w, tx, tables)) return PT_ERR;
    pt_jw_obj_end(&w);
    return PT_OK;
}

/* A retried request whose token matched: nothing is applied; DynamoDB
 * bills the retry as transactional reads of the items. */
static int replay(pt_call_t *call, pt_txn_t *txn, tx_write_t *tx, pt_table_t **tables)
{
    pt_capacity_t *units = pt_arena_calloc(&call->arena, sizeof *units * tx->n);
    uint32_t nunits = 0;
    for (uint32_t i = 0; i < tx->n; i++) {
        uint32_t size = 0;
        if (!tx->actions[i].bind_error) {
            pt_stored_item_t cur;
            int rc = pt_item_read(txn, &call->arena, tx->actions[i].op.key, &cur, &call->err);
            if (rc == PT_ERR) return PT_ERR;
            if (rc == PT_OK) size = cur.size;
        }
        table_capacity(units, &nunits, tables[i]->name)->table_units += 2 * pt_api_read_units(size, true);
    }
    pt_jw_t w;
    pt_jw_init(&w, &call->out);
    pt_jw_obj_begin(&w);
    write_capacity(&w, tx->rcc, units, nunits, true);
    pt_jw_obj_end(&w);
    return PT_OK;
}

static int write_apply(pt_call_t *call, pt_txn_t *txn)
{
    tx_write_t *tx = call->op;
    pt_table_t **tables = pt_arena_calloc(&call->arena, sizeof *tables * tx->n);
    int rc = PT_OK;
    uint32_t held = 0;
    for (; held < tx->n; held++) {
        tx_action_t *a = &tx->actions[held];
        pt_table_t *t = pt_catalog_get(call->engine, a->table_name, a->table_name_len);
        tables[held] = t;
        if (!t || t->id != a->table_id || atomic_load(&t->deleted)) {
            if (t) held++;
            rc = pt_error_set(&call->err, PT_E_NOT_FOUND, "Requested resource not found");
            goto out;
        }
    }
    if (tx->token) {
        int64_t now = pt_now_ms();
        bool is_replay;
        if ((rc = expire_tokens(txn, now, token_window_ms(), &call->err))) goto out;
        if ((rc = check_token(call, txn, tx, now, &is_replay))) goto out;
        if (is_replay) {
            rc = replay(call, txn, tx, tables);
            goto out;
        }
        if ((rc = write_actions(call, txn, tx, tables))) goto out;
        rc = store_token(call, txn, tx, now);
        goto out;
    }
    rc = write_actions(call, txn, tx, tables);
out:
    for (uint32_t i = 0; i < held; i++)
        if (tables[i]) pt_table_release(tables[i]);
    return rc;
}

/* ---- calling thread ---- */

static int bind_actions(pt_call_t *call, tx_write_t *tx, const pt_json_t **bodies)
{
    for (uint32_t i = 0; i < tx->n; i++) {
        tx_action_t *a = &tx->actions[i];
        pt_table_t *t = pt_catalog_get(call->engine, a->table_name, a->table_name_len);
        if (!t) return pt_error_set(&call->err, PT_E_NOT_FOUND, "Requested resource not found");
        a->table_id = t->id;
        int rc = check_empty_key(call, t, &a->op.key_item);
        if (!rc && pt_item_op_bind(call, t, &a->op)) {
            /* DynamoDB cancels the transaction for a key that does not match
             * the schema (a ValidationError reason) rather than rejecting it */
            a->bind_error = pt_arena_strndup(&call->arena, call->err.message, strlen(call->err.message));
            pt_error_clear(&call->err);
        }
        a->op.table = NULL; /* the reference ends here; apply() looks the table up again */
        pt_table_release(t);
        if (rc) return PT_ERR;
    }
    for (uint32_t i = 0; i < tx->n; i++) {
        if (tx->actions[i].bind_error) continue;
        const pt_slice_t *ki = &tx->actions[i].op.key;
        for (uint32_t j = 0; j < i; j++) {
            if (tx->actions[j].bind_error) continue;
            const pt_slice_t *kj = &tx->actions[j].op.key;
            /* keys start with the table id: equal keys are one item of one table */
            if (ki->len == kj->len && !memcmp(ki->data, kj->data, ki->len))
                return pt_error_set(&call->err, PT_E_VALIDATION, MULTIPLE_OPS);
        }
    }
    size_t total = 0;
    for (uint32_t i = 0; i < tx->n; i++) total += action_size(&call->arena, &tx->actions[i], bodies[i]);
    if (total > TX_MAX_BYTES)
        return pt_error_set(&call->err, PT_E_VALIDATION,
                            "Collection size of items exceeded, which can also be caused by the aggregate size of "
                            "the items in the transaction exceeding the 4MB limit");
    return PT_OK;
}

int pt_op_transact_write_items(pt_call_t *call, const pt_json_t *req)
{
    if (pt_params_check(&call->arena, req, write_schema, &call->err)) return PT_ERR;
    if (check_action_count(call, req)) return PT_ERR;

    const pt_json_t *items = pt_param(req, "TransactItems");
    tx_write_t *tx = pt_arena_calloc(&call->arena, sizeof *tx);
    tx->n = items->len;
    tx->actions = pt_arena_calloc(&call->arena, sizeof *tx->actions * tx->n);
    const pt_json_t **bodies = pt_arena_calloc(&call->arena, sizeof *bodies * tx->n);
    pt_item_op_kind_t *kinds = pt_arena_calloc(&call->arena, sizeof *kinds * tx->n);

    for (uint32_t i = 0; i < tx->n; i++) {
        const pt_param_t *members = NULL;
        int count;
        const char *name = action_kind_name(&items->u.elems[i], &kinds[i], &members, &count);
        if (count != 1)
            return pt_error_set(&call->err, PT_E_VALIDATION,
                                "TransactItems can only contain one of Check, Put, Update or Delete");
        bodies[i] = known_members(&call->arena, pt_param(&items->u.elems[i], name), members);
    }
    /* Every action's own validation comes before any table is looked up. */
    for (uint32_t i = 0; i < tx->n; i++) {
        tx_action_t *a = &tx->actions[i];
        if (pt_item_op_prepare(call, bodies[i], kinds[i], &a->op)) return PT_ERR;
        const pt_json_t *name = pt_param(bodies[i], "TableName");
        a->table_name = name->u.str;
        a->table_name_len = name->len;
    }
    if (bind_actions(call, tx, bodies)) return PT_ERR;

    tx->rcc = pt_api_consumed_mode(req);
    tx->metrics = pt_api_collection_metrics_wanted(req);
    const pt_json_t *token = pt_param(req, "ClientRequestToken");
    if (token) {
        tx->token = token->u.str;
        tx->token_len = token->len;
        hash_items(items, tx->request_hash);
    }
    call->op = tx;
    call->apply = write_apply;
    return PT_PENDING;
}

/* ======================= TransactGetItems ======================= */

typedef struct tx_get {
    const char *table_name;
    uint32_t table_name_len;
    pt_av_t key_item;
    const pt_expr_t *projection;
    pt_table_t *table;          /* reference, released by the handler */
    pt_slice_t key;
    const char *key_error;      /* a ValidationError reason */
} tx_get_t;

static int get_prepare(pt_call_t *call, const pt_json_t *body, tx_get_t *g)
{
    static const char *const proj_expr[] = {"ProjectionExpression", NULL};
    static const char *const none[] = {NULL};
    if (pt_api_check_expression_params(call, body, proj_expr, none)) return PT_ERR;
    if (pt_item_from_json(&call->arena, pt_param(body, "Key"), &g->key_item, &call->err)) return PT_ERR;
    pt_expr_ctx_t *ctx;
    if (pt_expr_ctx_new(&call->arena, pt_param(body, "ExpressionAttributeNames"), NULL, &ctx, &call->err))
        return PT_ERR;
    uint32_t len;
    const char *text = pt_param_str(body, "ProjectionExpression", &len);
    if (text) {
        pt_expr_t *e;
        if (pt_expr_parse(ctx, PT_EXPR_PROJECTION, text, len, &e, &call->err)) return PT_ERR;
        g->projection = e;
    }
    if (pt_expr_ctx_check_unused(ctx, &call->err)) return PT_ERR;
    const pt_json_t *name = pt_param(body, "TableName");
    g->table_name = name->u.str;
    g->table_name_len = name->len;
    return PT_OK;
}

static int transact_get(pt_call_t *call, const pt_json_t *req, tx_get_t *gets, uint32_t n, uint32_t *held)
{
    const pt_json_t *items = pt_param(req, "TransactItems");
    for (uint32_t i = 0; i < n; i++) {
        const pt_json_t *body = known_members(&call->arena, pt_param(&items->u.elems[i], "Get"), get_members);
        if (get_prepare(call, body, &gets[i])) return PT_ERR;
    }
    bool any_key_error = false;
    for (uint32_t i = 0; i < n; i++) {
        tx_get_t *g = &gets[i];
        g->table = pt_catalog_get(call->engine, g->table_name, g->table_name_len);
        *held = i + 1;
        if (!g->table) return pt_error_set(&call->err, PT_E_NOT_FOUND, "Requested resource not found");
        if (check_empty_key(call, g->table, &g->key_item)) return PT_ERR;
        const pt_av_t *hash = NULL, *range = NULL;
        if (pt_api_key_param(call, g->table, &g->key_item, &hash, &range)) {
            g->key_error = pt_arena_strndup(&call->arena, call->err.message, strlen(call->err.message));
            pt_error_clear(&call->err);
            any_key_error = true;
            continue;
        }
        g->key = pt_item_key(&call->arena, g->table, hash, range);
        for (uint32_t j = 0; j < i; j++)
            if (!gets[j].key_error && gets[j].key.len == g->key.len && !memcmp(gets[j].key.data, g->key.data, g->key.len))
                return pt_error_set(&call->err, PT_E_VALIDATION, MULTIPLE_OPS);
    }
    if (any_key_error) {
        tx_reason_t *reasons = pt_arena_calloc(&call->arena, sizeof *reasons * n);
        for (uint32_t i = 0; i < n; i++)
            if (gets[i].key_error) {
                reasons[i].code = "ValidationError";
                reasons[i].message = gets[i].key_error;
            }
        return cancel(call, reasons, n);
    }

    /* One read transaction: every Get sees the same snapshot. */
    pt_stored_item_t *found = pt_arena_calloc(&call->arena, sizeof *found * n);
    bool *present = pt_arena_calloc(&call->arena, sizeof *present * n);
    pt_txn_t *txn;
    if (pt_txn_begin(call->engine->store, PT_TXN_READ, NULL, &txn, &call->err)) return PT_ERR;
    for (uint32_t i = 0; i < n; i++) {
        int rc = pt_item_read(txn, &call->arena, gets[i].key, &found[i], &call->err);
        if (rc == PT_ERR) {
            pt_txn_abort(txn);
            return PT_ERR;
        }
        present[i] = rc == PT_OK;
    }
    pt_txn_abort(txn); /* read only; the items live in the arena */

    rcc_t rcc = pt_api_consumed_mode(req);
    pt_capacity_t *units = pt_arena_calloc(&call->arena, sizeof *units * n);
    uint32_t nunits = 0;
    pt_jw_t w;
    pt_jw_init(&w, &call->out);
    pt_jw_obj_begin(&w);
    pt_jw_keyz(&w, "Responses");
    pt_jw_arr_begin(&w);
    for (uint32_t i = 0; i < n; i++) {
        pt_jw_obj_begin(&w);
        if (present[i]) {
            pt_av_t item = found[i].item;
            if (gets[i].projection && pt_expr_project(&call->arena, gets[i].projection, &found[i].item, &item))
                return pt_error_set(&call->err, PT_E_INTERNAL, "projection failed");
            pt_jw_keyz(&w, "Item");
            pt_item_write_json(&w, &item);
        }
        pt_jw_obj_end(&w);
        /* a transactional read costs twice a strongly consistent one */
        table_capacity(units, &nunits, gets[i].table->name)->table_units +=
            2 * pt_api_read_units(present[i] ? found[i].size : 0, true);
    }
    pt_jw_arr_end(&w);
    write_capacity(&w, rcc, units, nunits, true);
    pt_jw_obj_end(&w);
    return PT_OK;
}

int pt_op_transact_get_items(pt_call_t *call, const pt_json_t *req)
{
    if (pt_params_check(&call->arena, req, get_schema, &call->err)) return PT_ERR;
    if (check_action_count(call, req)) return PT_ERR;
    uint32_t n = pt_param(req, "TransactItems")->len;
    tx_get_t *gets = pt_arena_calloc(&call->arena, sizeof *gets * n);
    uint32_t held = 0;
    int rc = transact_get(call, req, gets, n, &held);
    for (uint32_t i = 0; i < held; i++)
        if (gets[i].table) pt_table_release(gets[i].table);
    return rc;
}
