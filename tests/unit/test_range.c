/* Unit tests for engine/range.c: the key ranges of sort-key conditions
 * (including begins_with across the 0x00 escape and 0xFF bytes), scan
 * segments that partition the hash space exactly, and decoding a stored
 * key back into its key attributes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/key.h"
#include "engine/range.h"

static pt_av_t av_bytes(int type, const void *p, size_t n)
{
    pt_av_t v;
    memset(&v, 0, sizeof v);
    v.type = (uint8_t)type;
    v.u.str = p;
    v.len = (uint32_t)n;
    return v;
}

static pt_table_t table_with(int range_type)
{
    pt_table_t t;
    memset(&t, 0, sizeof t);
    t.id = 7;
    t.hash.name = "pk";
    t.hash.type = PT_AV_S;
    t.range.name = "sk";
    t.range.type = (uint8_t)range_type;
    return t;
}

static bool in_range(const pt_range_t *r, pt_slice_t k)
{
    if (r->lo.len) {
        int c = pt_range_key_cmp(k, r->lo);
        if (c < 0 || (c == 0 && !r->lo_incl)) return false;
    }
    if (r->hi.len) {
        int c = pt_range_key_cmp(k, r->hi);
        if (c > 0 || (c == 0 && !r->hi_incl)) return false;
    }
    return true;
}

typedef struct bin {
    const char *p;
    size_t n;
} bin_t;

static const bin_t values[] = {
    {"\x00", 1}, {"\x00\x00", 2}, {"\x00\x01", 2}, {"\x00\xff", 2}, {"\x01", 1},       {"a", 1},
    {"a\x00", 2}, {"a\x00\x00", 3}, {"a\xff", 2},  {"ab", 2},       {"\xff", 1},       {"\xff\x00", 2},
    {"\xff\xff", 2}, {"\xff\xff\x00", 3}, {"b", 1},
};
#define NVALUES (sizeof values / sizeof values[0])

static pt_slice_t item_key(pt_arena_t *a, const pt_table_t *t, const char *pk, const bin_t *sk)
{
    pt_av_t h = av_bytes(PT_AV_S, pk, strlen(pk));
    pt_av_t r = av_bytes(t->range.type, sk->p, sk->n);
    pt_buf_t b = PT_BUF_INIT;
    pt_key_encode(t->id, 0, &h, &r, &b);
    pt_slice_t s = pt_slice(pt_arena_memdup(a, b.data, b.len), b.len);
    pt_buf_free(&b);
    return s;
}

static void begins_with_range_holds_exactly_the_prefixed_values(void **state)
{
    (void)state;
    pt_arena_t a;
    pt_arena_init(&a);
    pt_table_t t = table_with(PT_AV_B);
    pt_av_t pk = av_bytes(PT_AV_S, "p", 1);
    for (size_t i = 0; i < NVALUES; i++) {
        pt_av_t prefix = av_bytes(PT_AV_B, values[i].p, values[i].n);
        pt_key_condition_t kc = {.hash = &pk, .range_op = PT_KC_BEGINS_WITH, .range1 = &prefix};
        pt_range_t r;
        pt_range_query(&a, &t, &kc, &r);
        for (size_t j = 0; j < NVALUES; j++) {
            bool want = values[j].n >= values[i].n && !memcmp(values[j].p, values[i].p, values[i].n);
            assert_int_equal(in_range(&r, item_key(&a, &t, "p", &values[j])), want);
            /* never another partition's keys */
            assert_false(in_range(&r, item_key(&a, &t, "q", &values[j])));
            assert_false(in_range(&r, item_key(&a, &t, "p\x01", &values[j])));
        }
    }
    pt_arena_destroy(&a);
}

static void comparison_ranges_hold_exactly_the_matching_values(void **state)
{
    (void)state;
    pt_arena_t a;
    pt_arena_init(&a);
    pt_table_t t = table_with(PT_AV_B);
    pt_av_t pk = av_bytes(PT_AV_S, "p", 1);
    const pt_key_op_t ops[] = {PT_KC_EQ, PT_KC_LT, PT_KC_LE, PT_KC_GT, PT_KC_GE, PT_KC_BETWEEN, PT_KC_NONE};
    for (size_t o = 0; o < sizeof ops / sizeof ops[0]; o++) {
        for (size_t i = 0; i < NVALUES; i++) {
            pt_av_t v1 = av_bytes(PT_AV_B, values[i].p, values[i].n);
            pt_av_t v2 = av_bytes(PT_AV_B, "b", 1);
            pt_key_condition_t kc = {.hash = &pk, .range_op = ops[o], .range1 = &v1, .range2 = &v2};
            pt_range_t r;
            pt_range_query(&a, &t, &kc, &r);
            for (size_t j = 0; j < NVALUES; j++) {
                size_t n = values[j].n < values[i].n ? values[j].n : values[i].n;
                int c = memcmp(values[j].p, values[i].p, n);
                if (!c) c = (values[j].n > values[i].n) - (values[j].n < values[i].n);
                int c2 = memcmp(values[j].p, "b", 1);
                if (!c2) c2 = values[j].n > 1;
                bool want = ops[o] == PT_KC_EQ ? c == 0 : ops[o] == PT_KC_LT ? c < 0 : ops[o] == PT_KC_LE ? c <= 0
                          : ops[o] == PT_KC_GT ? c > 0 : ops[o] == PT_KC_GE ? c >= 0
                          : ops[o] == PT_KC_BETWEEN ? c >= 0 && c2 <= 0 : true;
                assert_int_equal(in_range(&r, item_key(&a, &t, "p", &values[j])), want);
            }
        }
    }
    pt_arena_destroy(&a);
}

static void segments_partition_the_hash_space(void **state)
{
    (void)state;
    const uint32_t totals[] = {1, 2, 3, 7, 100, 4096, 1000000};
    for (size_t k = 0; k < sizeof totals / sizeof totals[0]; k++) {
        uint64_t prev_hi = 0;
        for (uint32_t s = 0; s < totals[k]; s++) {
            uint64_t lo, hi;
            pt_range_segment_hashes(s, totals[k], &lo, &hi);
            assert_true(lo == prev_hi);
            assert_true(hi >= lo);
            prev_hi = hi;
        }
        assert_true(prev_hi == (uint64_t)1 << 32);
    }
}

static void segment_ranges_cover_the_table_and_nothing_else(void **state)
{
    (void)state;
    pt_arena_t a;
    pt_arena_init(&a);
    pt_table_t t = table_with(PT_AV_B);
    pt_table_t other = t;
    other.id = 8;
    const uint32_t totals[] = {1, 2, 7, 100};
    for (size_t k = 0; k < sizeof totals / sizeof totals[0]; k++) {
        for (int p = 0; p < 200; p++) {
            char pk[16];
            snprintf(pk, sizeof pk, "k%d", p);
            pt_slice_t key = item_key(&a, &t, pk, &values[p % NVALUES]);
            int owners = 0;
            for (uint32_t s = 0; s < totals[k]; s++) {
                pt_range_t r;
                pt_range_segment(&a, &t, s, totals[k], &r);
                owners += in_range(&r, key);
                assert_false(in_range(&r, item_key(&a, &other, pk, &values[0])));
            }
            assert_int_equal(owners, 1);
        }
    }
    pt_arena_destroy(&a);
}

static void key_decode_returns_the_key_attributes(void **state)
{
    (void)state;
    pt_arena_t a;
    pt_arena_init(&a);
    pt_table_t t = table_with(PT_AV_B);
    pt_slice_t key = item_key(&a, &t, "part", &values[3]);
    pt_av_t h, r;
    pt_error_t err;
    assert_int_equal(pt_range_key_decode(&a, &t, key, &h, &r, &err), PT_OK);
    assert_int_equal(h.type, PT_AV_S);
    assert_int_equal(h.len, 4);
    assert_memory_equal(h.u.str, "part", 4);
    assert_int_equal(r.type, PT_AV_B);
    assert_int_equal(r.len, 2);
    assert_memory_equal(r.u.str, "\x00\xff", 2);
    assert_int_equal(pt_range_key_hash(key), pt_key_hash(&h));
    key.len--; /* truncated: corrupt, never a crash */
    assert_int_equal(pt_range_key_decode(&a, &t, key, &h, &r, &err), PT_ERR);
    pt_arena_destroy(&a);
}

static void start_after_narrows_in_iteration_direction(void **state)
{
    (void)state;
    pt_range_t r = {.lo = pt_slice("b", 1), .lo_incl = true, .hi = pt_slice("y", 1), .hi_incl = true};
    pt_range_t f = r, b = r;
    pt_range_start_after(&f, pt_slice("m", 1), true);
    assert_true(in_range(&f, pt_slice("n", 1)));
    assert_false(in_range(&f, pt_slice("m", 1)));
    assert_false(in_range(&f, pt_slice("c", 1)));
    pt_range_start_after(&b, pt_slice("m", 1), false);
    assert_true(in_range(&b, pt_slice("c", 1)));
    assert_false(in_range(&b, pt_slice("m", 1)));
    assert_false(in_range(&b, pt_slice("n", 1)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(begins_with_range_holds_exactly_the_prefixed_values),
        cmocka_unit_test(comparison_ranges_hold_exactly_the_matching_values),
        cmocka_unit_test(segments_partition_the_hash_space),
        cmocka_unit_test(segment_ranges_cover_the_table_and_nothing_else),
        cmocka_unit_test(key_decode_returns_the_key_attributes),
        cmocka_unit_test(start_after_narrows_in_iteration_direction),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
