/* libFuzzer harness for attribute values and the stored item form.
 *
 * Every input is used twice:
 *  (a) as request JSON: parsed, converted with pt_item_from_json; when it is
 *      a valid item, the binary form must decode to an equal item, the JSON
 *      written back must convert to an equal item again, and size/lookup
 *      must run on it;
 *  (b) as a stored buffer: fed raw to pt_item_decode, which must either fail
 *      cleanly or give a tree that re-encodes and decodes to an equal one.
 * Sanitizers (address, undefined) turn any over-read or UB into a crash.
 *
 * Build: clang -fsanitize=fuzzer,address,undefined (CMake: -DPT_FUZZ=ON). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/av.h"
#include "util/json.h"

#define CHECK(x)              \
    do {                      \
        if (!(x)) abort();    \
    } while (0)

static void check_tree(pt_arena_t *arena, const pt_av_t *item)
{
    pt_error_t err;
    pt_buf_t bin = PT_BUF_INIT;
    pt_item_encode(item, &bin);
    pt_av_t back;
    CHECK(pt_item_decode(arena, bin.data, bin.len, &back, &err) == PT_OK);
    CHECK(pt_av_equal(item, &back));
    CHECK(pt_item_size(item) == pt_item_size(&back));
    for (uint32_t i = 0; i < item->len; i++) {
        const pt_av_member_t *m = &item->u.members[i];
        CHECK(pt_item_get(item, m->name, m->name_len) == &m->value);
    }
    pt_buf_free(&bin);
}

static void from_json(const uint8_t *data, size_t size)
{
    pt_arena_t arena;
    pt_arena_init(&arena);
    pt_json_t json;
    char eb[128];
    pt_error_t err;
    pt_av_t item;
    if (pt_json_parse(&arena, (const char *)data, size, &json, eb, sizeof eb) == PT_OK &&
        pt_item_from_json(&arena, &json, &item, &err) == PT_OK) {
        check_tree(&arena, &item);
        /* JSON written back is accepted again and means the same item. */
        pt_buf_t out = PT_BUF_INIT;
        pt_jw_t w;
        pt_jw_init(&w, &out);
        pt_item_write_json(&w, &item);
        pt_json_t json2;
        pt_av_t item2;
        CHECK(pt_json_parse(&arena, out.data, out.len, &json2, eb, sizeof eb) == PT_OK);
        CHECK(pt_item_from_json(&arena, &json2, &item2, &err) == PT_OK);
        CHECK(pt_av_equal(&item, &item2));
        pt_buf_free(&out);
    }
    pt_arena_destroy(&arena);
}

static void from_binary(const uint8_t *data, size_t size)
{
    pt_arena_t arena;
    pt_arena_init(&arena);
    pt_error_t err;
    pt_av_t item;
    if (pt_item_decode(&arena, data, size, &item, &err) == PT_OK) check_tree(&arena, &item);
    else CHECK(!strcmp(err.message, "corrupt item"));
    pt_arena_destroy(&arena);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    from_json(data, size);
    from_binary(data, size);
    return 0;
}
