/* Order-preserving item keys (layout in key.h).
 *
 * Invariants:
 *  - enc(v) is self-delimiting: no encoding of a value is a proper prefix of
 *    the encoding of another value of the same type. So a partition key's
 *    encoding followed by anything never sorts between two keys of another
 *    partition, and concatenating components keeps component order.
 *  - memcmp order of enc equals DynamoDB's order within a type: S and B
 *    bytewise unsigned with a proper prefix first, N numerically.
 *  - The hash and both encodings are part of the on-disk format: changing
 *    them makes existing data unreadable. tests/unit/test_key.c pins them.
 *
 * S/B escaping: 0x00 is written 0x00 0xFF and the value ends with 0x00 0x01.
 * At the first difference between two values, a data byte b > 0 against a
 * data 0x00 compares b against 0x00 (right); against the end of the shorter
 * value it compares b > 0x00 (right: the shorter sorts first); a data 0x00
 * against the end compares 0xFF > 0x01 (right again).
 *
 * This module does not validate values (types, sizes, emptiness): callers
 * pass key attributes already checked against the key schema. It does not
 * call av.c; it only reads the pt_av_t struct. */
#include "engine/key.h"

#include <assert.h>
#include <string.h>

#include "engine/number.h"

#define ESC_BYTE 0xFF /* 0x00 0xFF: a data 0x00 */
#define END_BYTE 0x01 /* 0x00 0x01: end of value */

/* ---- hash ----
 * 64-bit multiply-xorshift over little-endian 8-byte words (read bytewise,
 * so the value is the same on every platform: it is stored in keys), then
 * murmur3's fmix64 finaliser, folded to 32 bits. Short keys cost a handful
 * of multiplications; the type byte seeds it so "1" as S and as N differ. */
static uint64_t fmix64(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ULL;
    k ^= k >> 33;
    return k;
}

static uint64_t load_le64(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

#define HASH_M 0x9E3779B97F4A7C15ULL

static uint32_t hash_bytes(uint8_t type, const uint8_t *p, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ULL ^ ((uint64_t)type << 56) ^ ((uint64_t)len * HASH_M);
    while (len >= 8) {
        uint64_t k = load_le64(p, 8);
        k *= HASH_M;
        k ^= k >> 29;
        h = (h ^ k) * 0xbf58476d1ce4e5b9ULL;
        h ^= h >> 31;
        p += 8;
        len -= 8;
    }
    if (len) {
        uint64_t k = load_le64(p, len) * HASH_M;
        k ^= k >> 29;
        h = (h ^ k) * 0xbf58476d1ce4e5b9ULL;
    }
    h = fmix64(h);
    return (uint32_t)(h ^ (h >> 32));
}

uint32_t pt_key_hash(const pt_av_t *partition_key)
{
    /* N values are canonical text (av.h), so equal numbers hash equally. */
    return hash_bytes(partition_key->type, (const uint8_t *)partition_key->u.str,
                      partition_key->len);
}

/* ---- values ---- */

static void encode_bytes(const uint8_t *p, size_t len, pt_buf_t *out)
{
    /* Worst case every byte is 0x00: reserve once, then copy runs. */
    pt_buf_reserve(out, 2 * len + 2);
    if (len == 0) p = (const uint8_t *)""; /* an empty value may carry NULL */
    size_t start = 0;
    for (size_t i = 0; i < len; i++) {
        if (p[i] != 0) continue;
        pt_buf_append(out, p + start, i - start + 1); /* run + the 0x00 */
        pt_buf_put_u8(out, ESC_BYTE);
        start = i + 1;
    }
    pt_buf_append(out, p + start, len - start);
    pt_buf_put_u8(out, 0x00);
    pt_buf_put_u8(out, END_BYTE);
}

static void encode_number(const pt_av_t *v, pt_buf_t *out)
{
    pt_dec_t d;
    int rc = pt_dec_parse(v->u.str, v->len, &d, NULL);
    /* av.c stores only valid canonical text; a failure is a bug upstream.
     * Without asserts it encodes as zero rather than crash. */
    assert(rc == PT_OK);
    (void)rc;
    uint8_t key[PT_DEC_MAX_KEY];
    size_t n = pt_dec_key_encode(&d, key);
    pt_buf_append(out, key, n);
}

void pt_key_encode_value(const pt_av_t *v, pt_buf_t *out)
{
    switch (v->type) {
    case PT_AV_N:
        encode_number(v, out);
        break;
    case PT_AV_S:
    case PT_AV_B:
        encode_bytes((const uint8_t *)v->u.str, v->len, out);
        break;
    default:
        assert(!"key values are S, N or B");
        break;
    }
}

static size_t decode_bytes(pt_arena_t *arena, const uint8_t *in, size_t len, pt_av_t *out)
{
    /* First pass finds the terminator and the decoded length, so the
     * arena allocation is exact and malformed input allocates nothing. */
    size_t i = 0, n = 0;
    for (;;) {
        if (i >= len) return 0;
        if (in[i] != 0) {
            i++;
            n++;
            continue;
        }
        if (i + 1 >= len) return 0;
        if (in[i + 1] == END_BYTE) break;
        if (in[i + 1] != ESC_BYTE) return 0;
        i += 2;
        n++;
    }
    size_t consumed = i + 2;
    if (n > UINT32_MAX) return 0;
    char *p = pt_arena_alloc(arena, n + 1);
    size_t j = 0;
    for (i = 0; j < n; i++) {
        p[j++] = (char)in[i];
        if (in[i] == 0) i++; /* skip the escape */
    }
    p[n] = 0; /* convenience for S; not counted in len */
    out->u.str = p;
    out->len = (uint32_t)n;
    return consumed;
}

size_t pt_key_decode_value(pt_arena_t *arena, int type, const uint8_t *in, size_t len,
                           pt_av_t *out)
{
    memset(out, 0, sizeof *out);
    size_t used;
    switch (type) {
    case PT_AV_S:
    case PT_AV_B:
        used = decode_bytes(arena, in, len, out);
        break;
    case PT_AV_N: {
        pt_dec_t d;
        used = pt_dec_key_decode(in, len, &d);
        if (!used) break;
        char text[PT_DEC_MAX_TEXT];
        size_t n = pt_dec_format_to(&d, text);
        out->u.str = pt_arena_strndup(arena, text, n);
        out->len = (uint32_t)n;
        break;
    }
    default:
        return 0;
    }
    if (used) out->type = (uint8_t)type;
    return used;
}

/* ---- keys ---- */

void pt_key_table_prefix(uint32_t table_id, uint8_t index_id, pt_buf_t *out)
{
    pt_buf_put_u32be(out, table_id);
    pt_buf_put_u8(out, index_id);
}

static size_t value_max_len(const pt_av_t *v)
{
    /* S/B: every byte may be escaped, plus the terminator; N: fixed bound. */
    return v->type == PT_AV_N ? PT_DEC_MAX_KEY : 2 * (size_t)v->len + 2;
}

size_t pt_key_max_encoded_len(const pt_av_t *partition_key, const pt_av_t *sort_key)
{
    return PT_KEY_PREFIX_LEN + value_max_len(partition_key) + (sort_key ? value_max_len(sort_key) : 0);
}

void pt_key_encode(uint32_t table_id, uint8_t index_id, const pt_av_t *partition_key,
                   const pt_av_t *sort_key, pt_buf_t *out)
{
    pt_key_table_prefix(table_id, index_id, out);
    pt_buf_put_u32be(out, pt_key_hash(partition_key));
    pt_key_encode_value(partition_key, out);
    if (sort_key) pt_key_encode_value(sort_key, out);
}
