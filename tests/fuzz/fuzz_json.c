/* libFuzzer harness for util/json.
 *
 * For every input: parse it with a fresh arena. When it parses, write the
 * tree back with pt_jw_value, and require that the output parses, yields an
 * equal tree, and writes back to the same bytes (the writer is canonical).
 * Along the way exercise the accessors (pt_json_get, pt_json_int64,
 * pt_json_double) and base64: every string is decoded (must not crash; when
 * it decodes, re-encoding must give the same text, since the decoder accepts
 * only canonical input) and encoded then decoded (must give the bytes back).
 * Any broken invariant calls __builtin_trap() so libFuzzer reports it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "util/json.h"

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

static bool tree_equal(const pt_json_t *a, const pt_json_t *b)
{
    if (a->type != b->type || a->len != b->len) return false;
    switch (a->type) {
    case PT_JSON_NULL:
    case PT_JSON_TRUE:
    case PT_JSON_FALSE:
        return true;
    case PT_JSON_NUMBER:
    case PT_JSON_STRING:
        return memcmp(a->u.str, b->u.str, a->len) == 0 && a->u.str[a->len] == 0 &&
               b->u.str[b->len] == 0;
    case PT_JSON_ARRAY:
        for (uint32_t i = 0; i < a->len; i++)
            if (!tree_equal(&a->u.elems[i], &b->u.elems[i])) return false;
        return true;
    case PT_JSON_OBJECT:
        for (uint32_t i = 0; i < a->len; i++) {
            const pt_json_member_t *x = &a->u.members[i], *y = &b->u.members[i];
            if (x->key_len != y->key_len || memcmp(x->key, y->key, x->key_len) != 0 ||
                x->key[x->key_len] != 0 || !tree_equal(&x->value, &y->value))
                return false;
        }
        return true;
    }
    return false;
}

static void check_base64(const char *s, size_t len)
{
    uint8_t *dec = malloc(len * 3 / 4 + 3);
    char msg[128];
    long n = pt_base64_decode_err(s, len, dec, msg, sizeof msg);
    if (n >= 0) {
        pt_buf_t b = PT_BUF_INIT;
        pt_jw_t w;
        pt_jw_init(&w, &b);
        pt_jw_base64(&w, dec, (size_t)n);
        CHECK(b.len == len + 2 && memcmp(b.data + 1, s, len) == 0);
        pt_buf_free(&b);
    } else {
        CHECK(n == -1 && msg[0] != 0);
    }
    free(dec);
    /* Encode the raw bytes, decode them back. */
    pt_buf_t b = PT_BUF_INIT;
    pt_jw_t w;
    pt_jw_init(&w, &b);
    pt_jw_base64(&w, s, len);
    CHECK(b.len == pt_base64_encoded_len(len) + 2);
    uint8_t *back = malloc(b.len * 3 / 4 + 3);
    CHECK(pt_base64_decode(b.data + 1, b.len - 2, back) == (long)len);
    CHECK(memcmp(back, s, len) == 0);
    free(back);
    pt_buf_free(&b);
}

static void visit(const pt_json_t *v)
{
    switch (v->type) {
    case PT_JSON_NUMBER: {
        int64_t i;
        double d;
        if (pt_json_int64(v, &i) == PT_OK) {
            /* An integer in range: its double is close to it. */
            CHECK(pt_json_double(v, &d) == PT_OK);
        }
        CHECK(pt_json_double(v, &d) == PT_OK);
        break;
    }
    case PT_JSON_STRING:
        check_base64(v->u.str, v->len);
        break;
    case PT_JSON_ARRAY:
        for (uint32_t i = 0; i < v->len; i++) visit(&v->u.elems[i]);
        break;
    case PT_JSON_OBJECT:
        for (uint32_t i = 0; i < v->len; i++) {
            const pt_json_member_t *m = &v->u.members[i];
            const pt_json_t *got = pt_json_get(v, m->key);
            /* Keys with an embedded NUL are looked up by their prefix. */
            if (strlen(m->key) == m->key_len) CHECK(got != NULL);
            visit(&m->value);
        }
        break;
    default:
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Copy into an exact-size heap block so ASan catches any read past the
     * end (the parser must not rely on a terminator). */
    char *text = malloc(size ? size : 1);
    if (size) memcpy(text, data, size);

    pt_arena_t arena;
    pt_arena_init(&arena);
    pt_json_t v;
    char err[128];
    if (pt_json_parse(&arena, text, size, &v, err, sizeof err) == PT_OK) {
        visit(&v);
        pt_buf_t out = PT_BUF_INIT;
        pt_jw_t w;
        pt_jw_init(&w, &out);
        pt_jw_value(&w, &v);
        CHECK(w.depth == 0);

        pt_json_t v2;
        CHECK(pt_json_parse(&arena, out.data, out.len, &v2, err, sizeof err) == PT_OK);
        CHECK(tree_equal(&v, &v2));

        pt_buf_t out2 = PT_BUF_INIT;
        pt_jw_init(&w, &out2);
        pt_jw_value(&w, &v2);
        CHECK(out2.len == out.len && memcmp(out.data, out2.data, out.len) == 0);
        pt_buf_free(&out);
        pt_buf_free(&out2);
    } else {
        CHECK(strstr(err, " at byte ") != NULL);
    }
    pt_arena_destroy(&arena);
    free(text);
    return 0;
}
