/* libFuzzer harness for the expression parser and evaluator.
 *
 * The first input byte selects the grammar (condition, key condition,
 * update, projection); the rest is the expression text. It is parsed
 * against a fixed context of placeholders (#a #b #n, :s :n :l :m :ss ...)
 * and, when it parses, evaluated / projected / applied against a fixed
 * nested item, so the evaluator runs on every shape the parser accepts.
 * No input may crash, leak (ASan's leak checker), hang or trip UBSan: every
 * allocation is in one arena destroyed per input.
 *
 * Build: clang -fsanitize=fuzzer,address,undefined (CMake: -DPT_FUZZ=ON). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/expr.h"
#include "util/json.h"

static const char names_json[] = "{\"#a\":\"a\",\"#b\":\"b\",\"#n\":\"n\",\"#l\":\"l\",\"#m\":\"m\"}";
static const char values_json[] =
    "{\":s\":{\"S\":\"ab\"},\":n\":{\"N\":\"1.5\"},\":big\":{\"N\":\"9.9999999999999999999999999999999999999E+125\"},"
    "\":l\":{\"L\":[{\"N\":\"1\"},{\"S\":\"x\"}]},\":m\":{\"M\":{\"k\":{\"S\":\"v\"}}},\":ss\":{\"SS\":[\"ab\",\"c\"]},"
    "\":ns\":{\"NS\":[\"1\",\"2\"]},\":b\":{\"B\":\"AQI=\"},\":t\":{\"S\":\"N\"},\":bool\":{\"BOOL\":true}}";
static const char item_json[] =
    "{\"a\":{\"S\":\"abc\"},\"b\":{\"B\":\"AQID\"},\"n\":{\"N\":\"10\"},\"ss\":{\"SS\":[\"ab\"]},"
    "\"l\":{\"L\":[{\"N\":\"1\"},{\"M\":{\"x\":{\"L\":[{\"S\":\"y\"}]}}},{\"NULL\":true}]},"
    "\"m\":{\"M\":{\"k\":{\"S\":\"v\"},\"d\":{\"M\":{\"e\":{\"N\":\"-3\"}}}}}}";

static int parse_json(pt_arena_t *arena, const char *text, pt_json_t *out)
{
    return pt_json_parse(arena, text, strlen(text), out, NULL, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    static const pt_expr_kind_t kinds[] = {PT_EXPR_CONDITION, PT_EXPR_KEY_CONDITION, PT_EXPR_UPDATE,
                                           PT_EXPR_PROJECTION};
    pt_expr_kind_t kind = kinds[data[0] % 4];
    pt_arena_t arena;
    pt_arena_init(&arena);
    pt_error_t err;
    pt_json_t names, values, item_j;
    pt_av_t item;
    pt_expr_ctx_t *ctx;
    if (parse_json(&arena, names_json, &names) || parse_json(&arena, values_json, &values) ||
        parse_json(&arena, item_json, &item_j) || pt_item_from_json(&arena, &item_j, &item, &err) ||
        pt_expr_ctx_new(&arena, &names, &values, &ctx, &err))
        abort();
    pt_expr_t *e;
    if (pt_expr_parse(ctx, kind, (const char *)data + 1, size - 1, &e, &err) == PT_OK) {
        (void)pt_expr_ctx_check_unused(ctx, &err);
        pt_av_t out;
        bool ok, nested;
        switch (kind) {
        case PT_EXPR_CONDITION:
            if (pt_expr_eval(e, &item, &ok, &err)) abort();
            if (pt_expr_eval(e, NULL, &ok, &err)) abort();
            break;
        case PT_EXPR_KEY_CONDITION: {
            pt_key_condition_t kc;
            (void)pt_expr_key_condition(e, "a", 1, "n", 2, &kc, &err);
            (void)pt_expr_key_condition(e, "a", 1, NULL, 0, &kc, &err);
            break;
        }
        case PT_EXPR_UPDATE:
            if (pt_expr_apply_update(&arena, e, &item, &out, &err) == PT_OK) {
                pt_av_t upd;
                (void)pt_item_size(&out);
                if (pt_expr_project_updated(&arena, e, &out, &upd)) abort();
                pt_buf_t b = PT_BUF_INIT;
                pt_item_encode(&out, &b); /* the result must keep av.h's invariants */
                pt_av_t back;
                if (pt_item_decode(&arena, b.data, b.len, &back, &err) || !pt_av_equal(&out, &back)) abort();
                pt_buf_free(&b);
            }
            break;
        default:
            if (pt_expr_project(&arena, e, &item, &out)) abort();
            break;
        }
        (void)pt_expr_references(e, "a", 1, &nested);
    }
    pt_arena_destroy(&arena);
    return 0;
}
