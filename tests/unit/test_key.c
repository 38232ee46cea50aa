/* Unit tests for engine/key.c: the stored key layout, the escape scheme
 * for S/B, numeric order for N, round trips, the partition hash, and the
 * guarantee that one partition's keys never interleave with another's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/key.h"
#include "engine/number.h"

/* ---- helpers ---- */

static pt_av_t av_bytes(int type, const void *p, size_t n)
{
    pt_av_t v;
    memset(&v, 0, sizeof v);
    v.type = (uint8_t)type;
    v.u.str = p;
    v.len = (uint32_t)n;
    return v;
}

static pt_av_t av_s(const char *s) { return av_bytes(PT_AV_S, s, strlen(s)); }
static pt_av_t av_n(const char *canonical) { return av_bytes(PT_AV_N, canonical, strlen(canonical)); }

static int sign(int x) { return (x > 0) - (x < 0); }

static int bytes_cmp(const void *a, size_t na, const void *b, size_t nb)
{
    size_t n = na < nb ? na : nb;
    int c = n ? memcmp(a, b, n) : 0;
    if (c) return sign(c);
    return (na > nb) - (na < nb);
}

static int buf_cmp(const pt_buf_t *a, const pt_buf_t *b)
{
    return bytes_cmp(a->data, a->len, b->data, b->len);
}

static void encode(const pt_av_t *v, pt_buf_t *out)
{
    pt_buf_clear(out);
    pt_key_encode_value(v, out);
}

static void assert_encoding(const pt_av_t *v, const void *want, size_t n)
{
    pt_buf_t b = PT_BUF_INIT;
    pt_key_encode_value(v, &b);
    assert_int_equal(b.len, n);
    assert_memory_equal(b.data, want, n);
    pt_buf_free(&b);
}

static uint64_t rng_state;

static uint64_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1DULL;
}

static int rnd_int(int lo, int hi) { return lo + (int)(rnd() % (uint64_t)(hi - lo + 1)); }

/* Random bytes over an alphabet that stresses the escape scheme: 0x00,
 * the terminator and escape bytes themselves, and ordinary letters. */
static size_t rnd_bytes(uint8_t *p, size_t max)
{
    static const uint8_t alphabet[] = {0x00, 0x01, 0x02, 0x7F, 0x80, 0xFE, 0xFF, 'a', 'b'};
    size_t n = (size_t)rnd_int(0, (int)max);
    for (size_t i = 0; i < n; i++)
        p[i] = rnd_int(0, 3) ? alphabet[rnd_int(0, sizeof alphabet - 1)] : (uint8_t)rnd_int(0, 255);
    return n;
}

/* A byte string related to `a`: a prefix, an extension or a late change. */
static size_t rnd_bytes_near(const uint8_t *a, size_t na, uint8_t *b, size_t max)
{
    memcpy(b, a, na);
    size_t nb = na;
    switch (rnd_int(0, 3)) {
    case 0:
        nb = (size_t)rnd_int(0, (int)na);
        break;
    case 1:
        while (nb < max && rnd_int(0, 2)) b[nb++] = (uint8_t)(rnd_int(0, 1) ? 0x00 : rnd_int(0, 255));
        break;
    case 2:
        if (na) b[rnd_int((int)na / 2, (int)na - 1)] = (uint8_t)rnd_int(0, 255);
        break;
    default:
        break;
    }
    return nb;
}

/* A random in-range number as canonical text (via number.c, whose order
 * test_number.c checks against an independent oracle). */
static void rnd_number(char *out, pt_dec_t *d)
{
    char text[128];
    if (rnd_int(0, 15) == 0) {
        strcpy(text, "0");
    } else {
        char *p = text;
        if (rnd_int(0, 1)) *p++ = '-';
        *p++ = '0';
        *p++ = '.';
        *p++ = (char)('0' + rnd_int(1, 9));
        int n = rnd_int(0, 2) ? rnd_int(0, 37) : rnd_int(0, 3);
        for (int i = 0; i < n; i++) *p++ = (char)('0' + (rnd_int(0, 1) ? 9 * rnd_int(0, 1) : rnd_int(0, 9)));
        int e;
        switch (rnd_int(0, 3)) {
        case 0: e = rnd_int(-129, -125); break;
        case 1: e = rnd_int(122, 126); break;
        case 2: e = rnd_int(-2, 2); break;
        default: e = rnd_int(-129, 126); break;
        }
        sprintf(p, "e%d", e);
    }
    pt_error_t err;
    if (pt_dec_parse(text, strlen(text), d, &err) != PT_OK) fail_msg("bad generated number %s", text);
    pt_dec_format_to(d, out);
}

/* ---- fixed layouts (on-disk format: these bytes must never change) ---- */

static void test_s_and_b_escape_zero_and_terminate(void **state)
{
    pt_av_t v = av_s("");
    assert_encoding(&v, "\x00\x01", 2);
    v = av_s("ab");
    assert_encoding(&v, "ab\x00\x01", 4);
    v = av_bytes(PT_AV_S, "a\0b", 3);
    assert_encoding(&v, "a\x00\xff" "b\x00\x01", 6);
    v = av_bytes(PT_AV_B, "\0\0", 2);
    assert_encoding(&v, "\x00\xff\x00\xff\x00\x01", 6);
    v = av_bytes(PT_AV_B, "\xff\x01", 2);
    assert_encoding(&v, "\xff\x01\x00\x01", 4);
    v = av_bytes(PT_AV_B, NULL, 0); /* an empty value may carry no pointer */
    assert_encoding(&v, "\x00\x01", 2);
}

static void test_n_uses_decimal_key_encoding(void **state)
{
    pt_av_t v = av_n("0");
    assert_encoding(&v, "\x02", 1);
    v = av_n("1");
    assert_encoding(&v, "\x03\x82\x14", 3);
    v = av_n("-1");
    assert_encoding(&v, "\x01\x7d\xeb", 3);
    v = av_n("123.45");
    assert_encoding(&v, "\x03\x84\x19\x45\x64", 5);
}

static void test_table_prefix_is_table_id_then_index_id(void **state)
{
    pt_buf_t b = PT_BUF_INIT;
    pt_key_table_prefix(0x01020304, 7, &b);
    assert_int_equal(b.len, 5);
    assert_memory_equal(b.data, "\x01\x02\x03\x04\x07", 5);
    pt_buf_free(&b);
}

static void test_full_key_layout(void **state)
{
    pt_av_t pk = av_s("user#1"), sk = av_n("42");
    pt_buf_t b = PT_BUF_INIT;
    pt_key_encode(9, 2, &pk, &sk, &b);
    uint32_t h = pt_key_hash(&pk);
    uint8_t want[64] = {0, 0, 0, 9, 2, (uint8_t)(h >> 24), (uint8_t)(h >> 16), (uint8_t)(h >> 8),
                        (uint8_t)h};
    memcpy(want + PT_KEY_PREFIX_LEN, "user#1\x00\x01\x03\x83\x54", 11);
    assert_int_equal(b.len, PT_KEY_PREFIX_LEN + 11);
    assert_memory_equal(b.data, want, b.len);

    /* without a sort key the partition key ends the key */
    pt_buf_clear(&b);
    pt_key_encode(9, 2, &pk, NULL, &b);
    assert_int_equal(b.len, PT_KEY_PREFIX_LEN + 8);
    assert_memory_equal(b.data, want, b.len);

    /* every key of the table starts with the table prefix */
    pt_buf_t prefix = PT_BUF_INIT;
    pt_key_table_prefix(9, 2, &prefix);
    assert_memory_equal(b.data, prefix.data, prefix.len);
    pt_buf_free(&prefix);
    pt_buf_free(&b);
}

/* ---- hash ---- */

/* Values of pt_key_hash at the time the key format was fixed. */
#define HASH_S_EMPTY 0xb1bbac1eu
#define HASH_S_A 0x0dc7950fu
#define HASH_S_USER 0x2ad48e6au
#define HASH_N_42 0xc73459acu
#define HASH_B_012 0xee69729au

static void test_hash_values_are_pinned(void **state)
{
    /* The hash is stored in every key: a change here breaks existing data. */
    pt_av_t v = av_s("");
    assert_int_equal(pt_key_hash(&v), HASH_S_EMPTY);
    v = av_s("a");
    assert_int_equal(pt_key_hash(&v), HASH_S_A);
    v = av_s("user#12345678");
    assert_int_equal(pt_key_hash(&v), HASH_S_USER);
    v = av_n("42");
    assert_int_equal(pt_key_hash(&v), HASH_N_42);
    v = av_bytes(PT_AV_B, "\0\1\2", 3);
    assert_int_equal(pt_key_hash(&v), HASH_B_012);
}

static void test_hash_depends_on_type_and_every_byte(void **state)
{
    pt_av_t s = av_s("42"), n = av_n("42"), b = av_bytes(PT_AV_B, "42", 2);
    assert_int_not_equal(pt_key_hash(&s), pt_key_hash(&n));
    assert_int_not_equal(pt_key_hash(&s), pt_key_hash(&b));
    /* equal numbers have equal canonical text, so equal hashes */
    pt_av_t n2 = av_n("42");
    assert_int_equal(pt_key_hash(&n), pt_key_hash(&n2));

    /* flipping any one bit of a 40-byte key changes the hash */
    uint8_t k[40];
    for (int i = 0; i < 40; i++) k[i] = (uint8_t)(i * 7);
    pt_av_t base = av_bytes(PT_AV_B, k, sizeof k);
    uint32_t h0 = pt_key_hash(&base);
    for (int bit = 0; bit < 40 * 8; bit++) {
        uint8_t m[40];
        memcpy(m, k, sizeof m);
        m[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        pt_av_t v = av_bytes(PT_AV_B, m, sizeof m);
        assert_int_not_equal(pt_key_hash(&v), h0);
    }
    /* trailing zero bytes are not ignored */
    pt_av_t z1 = av_bytes(PT_AV_B, "a", 1), z2 = av_bytes(PT_AV_B, "a\0", 2);
    assert_int_not_equal(pt_key_hash(&z1), pt_key_hash(&z2));
}

static void test_hash_spreads_sequential_keys_over_segments(void **state)
{
    /* Parallel-scan segments are hash ranges (key.h): sequential ids must
     * fill 16 equal ranges evenly, and the low bits must be mixed too. */
    enum { N = 160000, SEG = 16 };
    int hi[SEG] = {0}, lo[SEG] = {0};
    char s[32];
    for (int i = 0; i < N; i++) {
        int n = snprintf(s, sizeof s, "user#%d", i);
        pt_av_t v = av_bytes(PT_AV_S, s, (size_t)n);
        uint32_t h = pt_key_hash(&v);
        hi[(uint64_t)h * SEG >> 32]++;
        lo[h % SEG]++;
    }
    for (int i = 0; i < SEG; i++) {
        /* expected 10000 each; 5 % is ~16 standard deviations */
        assert_in_range(hi[i], 9500, 10500);
        assert_in_range(lo[i], 9500, 10500);
    }
}

/* ---- value round trips and order ---- */

static void test_decode_value_round_trips_fixed_cases(void **state)
{
    pt_arena_t arena;
    pt_arena_init(&arena);
    pt_buf_t b = PT_BUF_INIT;
    pt_av_t in = av_bytes(PT_AV_B, "\0a\0\0\xff\x01", 6), out;
    encode(&in, &b);
    pt_buf_append(&b, "tail", 4);
    assert_int_equal(pt_key_decode_value(&arena, PT_AV_B, (uint8_t *)b.data, b.len, &out), b.len - 4);
    assert_int_equal(out.type, PT_AV_B);
    assert_int_equal(out.len, 6);
    assert_memory_equal(out.u.str, "\0a\0\0\xff\x01", 6);

    in = av_n("-0.00125");
    encode(&in, &b);
    assert_int_equal(pt_key_decode_value(&arena, PT_AV_N, (uint8_t *)b.data, b.len, &out), b.len);
    assert_int_equal(out.type, PT_AV_N);
    assert_string_equal(out.u.str, "-0.00125");
    assert_int_equal(out.len, 8);

    in = av_s("héllo");
    encode(&in, &b);
    assert_int_equal(pt_key_decode_value(&arena, PT_AV_S, (uint8_t *)b.data, b.len, &out), b.len);
    assert_string_equal(out.u.str, "héllo"); /* S comes back NUL-terminated */
    pt_buf_free(&b);
    pt_arena_destroy(&arena);
}

static void test_decode_value_rejects_malformed_input(void **state)
{
    pt_arena_t arena;
    pt_arena_init(&arena);
    pt_av_t out;
    static const struct {
        int type;
        const char *bytes;
        size_t len;
    } bad[] = {
        {PT_AV_S, "", 0},              /* nothing */
        {PT_AV_S, "abc", 3},           /* no terminator */
        {PT_AV_S, "abc\0", 4},         /* cut inside the terminator */
        {PT_AV_S, "a\0\x02", 3},       /* 0x00 followed by neither 0xFF nor 0x01 */
        {PT_AV_B, "a\0\xff", 3},       /* escape, then end of input */
        {PT_AV_N, "\x03\x82", 2},      /* truncated number */
        {PT_AV_N, "\x07", 1},          /* bad class */
        {PT_AV_BOOL, "\x00\x01", 2},   /* not a key type */
        {PT_AV_M, "\x02", 1},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint8_t *p = malloc(bad[i].len ? bad[i].len : 1); /* exact size for ASan */
        memcpy(p, bad[i].bytes, bad[i].len);
        if (pt_key_decode_value(&arena, bad[i].type, p, bad[i].len, &out) != 0)
            fail_msg("case %zu decoded", i);
        free(p);
    }
    pt_arena_destroy(&arena);
}

static void test_random_bytes_order_and_round_trip(void **state)
{
    rng_state = 0xC0FFEE1234567ULL;
    pt_arena_t arena;
    pt_arena_init(&arena);
    pt_buf_t ea = PT_BUF_INIT, eb = PT_BUF_INIT;
    uint8_t a[40], b[40];
    for (int iter = 0; iter < 200000; iter++) {
        int type = rnd_int(0, 1) ? PT_AV_S : PT_AV_B;
        size_t na = rnd_bytes(a, 12);
        size_t nb = rnd_int(0, 2) ? rnd_bytes_near(a, na, b, sizeof b) : rnd_bytes(b, 12);
        pt_av_t va = av_bytes(type, a, na), vb = av_bytes(type, b, nb);
        encode(&va, &ea);
        encode(&vb, &eb);

        /* DynamoDB order for S (UTF-8) and B: unsigned bytewise, prefix first */
        int want = bytes_cmp(a, na, b, nb);
        if (buf_cmp(&ea, &eb) != want) fail_msg("order mismatch at iteration %d", iter);
        if (want != 0) {
            size_t m = ea.len < eb.len ? ea.len : eb.len;
            if (memcmp(ea.data, eb.data, m) == 0) fail_msg("prefix encoding at iteration %d", iter);
        }

        /* round trip, with trailing bytes after the value */
        pt_buf_append(&ea, b, nb);
        pt_av_t out;
        size_t used = pt_key_decode_value(&arena, type, (uint8_t *)ea.data, ea.len, &out);
        assert_int_equal(used, ea.len - nb);
        assert_int_equal(out.type, type);
        assert_int_equal(out.len, na);
        if (na) assert_memory_equal(out.u.str, a, na);
        /* every strict prefix of an encoding is malformed */
        size_t cut = (size_t)rnd_int(0, (int)used - 1);
        assert_int_equal(pt_key_decode_value(&arena, type, (uint8_t *)ea.data, cut, &out), 0);
        if (iter % 1024 == 0) pt_arena_reset(&arena);
    }
    pt_buf_free(&ea);
    pt_buf_free(&eb);
    pt_arena_destroy(&arena);
}

static void test_random_numbers_order_and_round_trip(void **state)
{
    rng_state = 0xDEADBEEF12345ULL;
    pt_arena_t arena;
    pt_arena_init(&arena);
    pt_buf_t ea = PT_BUF_INIT, eb = PT_BUF_INIT;
    char ta[PT_DEC_MAX_TEXT], tb[PT_DEC_MAX_TEXT];
    for (int iter = 0; iter < 200000; iter++) {
        pt_dec_t da, db;
        rnd_number(ta, &da);
        if (rnd_int(0, 3) == 0) {
            /* share a long prefix: the same text with its last digit changed or cut */
            strcpy(tb, ta);
            size_t n = strlen(tb);
            if (n > 1 && tb[n - 1] != '0') {
                if (rnd_int(0, 1)) tb[n - 1] = (char)('1' + rnd_int(0, 8));
                else if (n < 40) strcat(tb, "7");
            }
            pt_error_t err;
            if (pt_dec_parse(tb, strlen(tb), &db, &err) != PT_OK) rnd_number(tb, &db);
            pt_dec_format_to(&db, tb);
        } else {
            rnd_number(tb, &db);
        }
        pt_av_t va = av_n(ta), vb = av_n(tb);
        encode(&va, &ea);
        encode(&vb, &eb);
        int want = sign(pt_dec_cmp(&da, &db));
        if (buf_cmp(&ea, &eb) != want) fail_msg("order of %s vs %s != %d", ta, tb, want);
        if (want != 0) {
            size_t m = ea.len < eb.len ? ea.len : eb.len;
            if (memcmp(ea.data, eb.data, m) == 0) fail_msg("prefix encoding: %s vs %s", ta, tb);
        }
        pt_av_t out;
        size_t used = pt_key_decode_value(&arena, PT_AV_N, (uint8_t *)ea.data, ea.len, &out);
        assert_int_equal(used, ea.len);
        assert_int_equal(out.type, PT_AV_N);
        assert_int_equal(out.len, strlen(ta));
        assert_string_equal(out.u.str, ta);
        if (iter % 1024 == 0) pt_arena_reset(&arena);
    }
    pt_buf_free(&ea);
    pt_buf_free(&eb);
    pt_arena_destroy(&arena);
}

/* ---- full keys ---- */

typedef struct {
    int type;
    size_t len;
    uint8_t bytes[48];
    char text[PT_DEC_MAX_TEXT];
    pt_dec_t dec;
} val_t;

static void rnd_val(int type, val_t *v)
{
    memset(v, 0, sizeof *v);
    v->type = type;
    if (type == PT_AV_N) {
        rnd_number(v->text, &v->dec);
        v->len = strlen(v->text);
    } else {
        v->len = rnd_bytes(v->bytes, 10);
    }
}

static pt_av_t val_av(const val_t *v)
{
    return v->type == PT_AV_N ? av_n(v->text) : av_bytes(v->type, v->bytes, v->len);
}

static int val_cmp(const val_t *a, const val_t *b)
{
    if (a->type == PT_AV_N) return sign(pt_dec_cmp(&a->dec, &b->dec));
    return bytes_cmp(a->bytes, a->len, b->bytes, b->len);
}

static void full_key(uint32_t table, const val_t *pk, const val_t *sk, pt_buf_t *out)
{
    pt_av_t p = val_av(pk), s = sk ? val_av(sk) : (pt_av_t){0};
    pt_buf_clear(out);
    pt_key_encode(table, 0, &p, sk ? &s : NULL, out);
}

static void assert_val_equal(const val_t *want, const pt_av_t *got)
{
    assert_int_equal(got->type, want->type);
    assert_int_equal(got->len, want->len);
    if (want->type == PT_AV_N) assert_string_equal(got->u.str, want->text);
    else if (want->len) assert_memory_equal(got->u.str, want->bytes, want->len);
}

static void test_random_full_keys_round_trip(void **state)
{
    rng_state = 0x5EED5EED5EEDULL;
    static const int types[] = {PT_AV_S, PT_AV_N, PT_AV_B};
    pt_arena_t arena;
    pt_arena_init(&arena);
    pt_buf_t k = PT_BUF_INIT;
    for (int iter = 0; iter < 100000; iter++) {
        val_t pk, sk;
        rnd_val(types[rnd_int(0, 2)], &pk);
        int has_sk = rnd_int(0, 3) != 0;
        if (has_sk) rnd_val(types[rnd_int(0, 2)], &sk);
        uint32_t table = (uint32_t)rnd();
        full_key(table, &pk, has_sk ? &sk : NULL, &k);

        const uint8_t *p = (const uint8_t *)k.data;
        assert_true(k.len >= PT_KEY_PREFIX_LEN);
        uint32_t t = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
        assert_int_equal(t, table);
        assert_int_equal(p[4], 0);
        pt_av_t pav = val_av(&pk);
        uint32_t h = (uint32_t)p[5] << 24 | (uint32_t)p[6] << 16 | (uint32_t)p[7] << 8 | p[8];
        assert_int_equal(h, pt_key_hash(&pav));

        size_t off = PT_KEY_PREFIX_LEN;
        pt_av_t out;
        size_t used = pt_key_decode_value(&arena, pk.type, p + off, k.len - off, &out);
        assert_true(used > 0);
        assert_val_equal(&pk, &out);
        off += used;
        if (has_sk) {
            used = pt_key_decode_value(&arena, sk.type, p + off, k.len - off, &out);
            assert_true(used > 0);
            assert_val_equal(&sk, &out);
            off += used;
        }
        assert_int_equal(off, k.len);
        if (iter % 1024 == 0) pt_arena_reset(&arena);
    }
    pt_buf_free(&k);
    pt_arena_destroy(&arena);
}

static void test_random_keys_order_by_sort_key_and_never_interleave(void **state)
{
    rng_state = 0xFEEDFACECAFEULL;
    static const int types[] = {PT_AV_S, PT_AV_N, PT_AV_B};
    pt_buf_t k[4];
    for (int i = 0; i < 4; i++) pt_buf_init(&k[i]);
    for (int iter = 0; iter < 100000; iter++) {
        /* one table: fixed key types, as a key schema fixes them */
        int pk_type = types[iter % 3], sk_type = types[(iter / 3) % 3];
        val_t p1, p2, s[4];
        rnd_val(pk_type, &p1);
        if (rnd_int(0, 3) == 0) {
            p2 = p1; /* same partition */
        } else {
            rnd_val(pk_type, &p2);
        }
        for (int i = 0; i < 4; i++) rnd_val(sk_type, &s[i]);
        if (rnd_int(0, 1)) { /* sort keys sharing prefixes */
            if (sk_type != PT_AV_N) s[1].len = rnd_bytes_near(s[0].bytes, s[0].len, s[1].bytes, 40);
            else s[1] = s[0];
        }
        full_key(1, &p1, &s[0], &k[0]);
        full_key(1, &p1, &s[1], &k[1]);
        full_key(1, &p2, &s[2], &k[2]);
        full_key(1, &p2, &s[3], &k[3]);

        /* within a partition, keys order by sort key */
        if (buf_cmp(&k[0], &k[1]) != val_cmp(&s[0], &s[1])) fail_msg("sort order at %d", iter);
        if (buf_cmp(&k[2], &k[3]) != val_cmp(&s[2], &s[3])) fail_msg("sort order at %d", iter);

        if (val_cmp(&p1, &p2) != 0) {
            /* different partitions: every key of one sorts on the same side
             * of every key of the other, so ranges never interleave */
            int side = buf_cmp(&k[0], &k[2]);
            assert_int_not_equal(side, 0);
            if (buf_cmp(&k[0], &k[3]) != side || buf_cmp(&k[1], &k[2]) != side ||
                buf_cmp(&k[1], &k[3]) != side)
                fail_msg("partitions interleave at iteration %d", iter);
            /* and the side is decided by hash, then partition key order */
            pt_av_t a1 = val_av(&p1), a2 = val_av(&p2);
            uint32_t h1 = pt_key_hash(&a1), h2 = pt_key_hash(&a2);
            int want = h1 != h2 ? (h1 < h2 ? -1 : 1) : val_cmp(&p1, &p2);
            assert_int_equal(side, want);
        }
    }
    for (int i = 0; i < 4; i++) pt_buf_free(&k[i]);
}

static void test_keys_of_different_tables_and_indexes_never_interleave(void **state)
{
    pt_av_t pk = av_s("\xff\xff\xff"), sk = av_s("\xff");
    pt_buf_t a = PT_BUF_INIT, b = PT_BUF_INIT, pa = PT_BUF_INIT, pb = PT_BUF_INIT;
    pt_key_encode(5, 0, &pk, &sk, &a);
    pt_key_encode(5, 1, &pk, &sk, &b);
    pt_key_table_prefix(5, 1, &pb);
    assert_true(buf_cmp(&a, &pb) < 0); /* table 5 base < index 1 */
    assert_true(buf_cmp(&b, &pb) > 0);
    pt_buf_clear(&b);
    pt_key_encode(6, 0, &pk, &sk, &b);
    pt_key_table_prefix(6, 0, &pa);
    assert_true(buf_cmp(&a, &pa) < 0);
    assert_true(buf_cmp(&b, &pa) > 0);
    pt_buf_free(&a);
    pt_buf_free(&b);
    pt_buf_free(&pa);
    pt_buf_free(&pb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_s_and_b_escape_zero_and_terminate),
        cmocka_unit_test(test_n_uses_decimal_key_encoding),
        cmocka_unit_test(test_table_prefix_is_table_id_then_index_id),
        cmocka_unit_test(test_full_key_layout),
        cmocka_unit_test(test_hash_values_are_pinned),
        cmocka_unit_test(test_hash_depends_on_type_and_every_byte),
        cmocka_unit_test(test_hash_spreads_sequential_keys_over_segments),
        cmocka_unit_test(test_decode_value_round_trips_fixed_cases),
        cmocka_unit_test(test_decode_value_rejects_malformed_input),
        cmocka_unit_test(test_random_bytes_order_and_round_trip),
        cmocka_unit_test(test_random_numbers_order_and_round_trip),
        cmocka_unit_test(test_random_full_keys_round_trip),
        cmocka_unit_test(test_random_keys_order_by_sort_key_and_never_interleave),
        cmocka_unit_test(test_keys_of_different_tables_and_indexes_never_interleave),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
