/* Compact binary item form: what is stored for every item, so encode and
 * decode sit on every write and every read.
 *
 * Format (version 1):
 *   item   := 0x01 map
 *   map    := varint count, count * (str name, value)     names strictly increasing
 *   value  := tag payload                                  tag = pt_av_type_t
 *     S, N, B          str                                 N as canonical text
 *     BOOL             one byte, 0 or 1
 *     NULL             nothing
 *     M                map
 *     L                varint count, count * value
 *     SS, NS, BS       varint count >= 1, count * str      SS/BS strictly increasing
 *   str    := varint len, len bytes, 0x00
 * Varints are unsigned LEB128 of at most 32 bits.
 *
 * Why the trailing NUL on every string: the decoder copies the buffer into
 * the arena once and points every S/N/B/name straight into that copy, so a
 * decode costs one memcpy plus one allocation per container, never one per
 * string, and still hands out NUL-terminated names as av.h promises.
 *
 * Decoding trusts nothing: every length and count is checked against the
 * bytes left before anything is read or allocated (a count can never exceed
 * the bytes remaining, so a forged count cannot make us allocate more than
 * the input's size), tags and BOOL bytes are range-checked, M names and
 * SS/BS members must be strictly increasing (the invariants pt_item_get and
 * pt_av_equal rely on), N text must look like canonical number text, nesting
 * is bounded by PT_AV_MAX_DEPTH exactly as on input, and the buffer must end
 * exactly where the item does. Any violation is PT_ERR with
 * InternalServerError "corrupt item".
 *
 * Not done here: compression, and NS member order (checking it would cost a
 * number parse per member; canonical text is checked instead). */
#include <string.h>

#include "engine/av.h"

#define ITEM_FORMAT_V1 0x01

/* ---- encoding ---- */

static size_t varint_len(uint32_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static inline uint8_t *put_varint(uint8_t *p, uint32_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

static inline uint8_t *put_str(uint8_t *p, const char *s, uint32_t len)
{
    p = put_varint(p, len);
    memcpy(p, s, len);
    p += len;
    *p++ = 0;
    return p;
}

static size_t str_size(uint32_t len) { return varint_len(len) + len + 1; }

static size_t value_size(const pt_av_t *v);

static size_t map_size(const pt_av_t *m)
{
    size_t n = varint_len(m->len);
    for (uint32_t i = 0; i < m->len; i++)
        n += str_size(m->u.members[i].name_len) + value_size(&m->u.members[i].value);
    return n;
}

static size_t value_size(const pt_av_t *v)
{
    size_t n = 1;
    switch (v->type) {
    case PT_AV_S:
    case PT_AV_N:
    case PT_AV_B: return n + str_size(v->len);
    case PT_AV_BOOL: return n + 1;
    case PT_AV_NULL: return n;
    case PT_AV_M: return n + map_size(v);
    case PT_AV_L:
        n += varint_len(v->len);
        for (uint32_t i = 0; i < v->len; i++) n += value_size(&v->u.elems[i]);
        return n;
    case PT_AV_SS:
    case PT_AV_NS:
    case PT_AV_BS:
        n += varint_len(v->len);
        for (uint32_t i = 0; i < v->len; i++) n += str_size(v->u.elems[i].len);
        return n;
    }
    return n;
}

static uint8_t *put_value(uint8_t *p, const pt_av_t *v);

static uint8_t *put_map(uint8_t *p, const pt_av_t *m)
{
    p = put_varint(p, m->len);
    for (uint32_t i = 0; i < m->len; i++) {
        const pt_av_member_t *mem = &m->u.members[i];
        p = put_str(p, mem->name, mem->name_len);
        p = put_value(p, &mem->value);
    }
    return p;
}

static uint8_t *put_value(uint8_t *p, const pt_av_t *v)
{
    *p++ = v->type;
    switch (v->type) {
    case PT_AV_S:
    case PT_AV_N:
    case PT_AV_B: return put_str(p, v->u.str, v->len);
    case PT_AV_BOOL: *p++ = v->boolean ? 1 : 0; return p;
    case PT_AV_NULL: return p;
    case PT_AV_M: return put_map(p, v);
    case PT_AV_L:
        p = put_varint(p, v->len);
        for (uint32_t i = 0; i < v->len; i++) p = put_value(p, &v->u.elems[i]);
        return p;
    case PT_AV_SS:
    case PT_AV_NS:
    case PT_AV_BS:
        p = put_varint(p, v->len);
        for (uint32_t i = 0; i < v->len; i++) p = put_str(p, v->u.elems[i].u.str, v->u.elems[i].len);
        return p;
    }
    return p;
}

/* Sizes first, then one reservation and straight stores: no per-field
 * capacity checks on the write path. */
void pt_item_encode(const pt_av_t *item, pt_buf_t *out)
{
    size_t n = 1 + map_size(item);
    pt_buf_reserve(out, n);
    uint8_t *start = (uint8_t *)out->data + out->len;
    uint8_t *p = start;
    *p++ = ITEM_FORMAT_V1;
    p = put_map(p, item);
    out->len += (size_t)(p - start);
}

/* ---- decoding ---- */

typedef struct {
    pt_arena_t *arena;
    const uint8_t *p;   /* cursor inside the arena copy */
    const uint8_t *end;
} reader_t;

static bool get_varint(reader_t *r, uint32_t *out)
{
    uint32_t v = 0;
    for (int shift = 0; shift < 35; shift += 7) {
        if (r->p >= r->end) return false;
        uint8_t b = *r->p++;
        if (shift == 28 && b > 0x0f) return false; /* beyond 32 bits */
        v |= (uint32_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return true;
        }
    }
    return false;
}

static bool get_str(reader_t *r, const char **s, uint32_t *len)
{
    uint32_t n;
    if (!get_varint(r, &n)) return false;
    if ((size_t)(r->end - r->p) <= n || r->p[n] != 0) return false;
    *s = (const char *)r->p;
    *len = n;
    r->p += (size_t)n + 1;
    return true;
}

/* A count of elements that each take at least `min` bytes must fit in what
 * is left: this bounds every allocation by the input size. */
static bool get_count(reader_t *r, uint32_t min, uint32_t *out)
{
    if (!get_varint(r, out)) return false;
    return (size_t)*out <= (size_t)(r->end - r->p) / min;
}

static int bytes_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    if (c) return c;
    return alen < blen ? -1 : alen > blen;
}

/* Canonical number text: -?digits(.digits)? with no leading or trailing
 * zero beyond what canonical form allows. Cheap shape check, not a parse. */
static bool canonical_number(const char *s, uint32_t len)
{
    uint32_t i = 0, digits = 0;
    if (len && s[0] == '-') i++;
    if (i >= len) return false;
    if (s[i] == '0' && i + 1 < len && s[i + 1] != '.') return false;
    bool point = false;
    for (; i < len; i++) {
        if (s[i] == '.') {
            if (point || !digits || i + 1 == len) return false;
            point = true;
        } else if (s[i] >= '0' && s[i] <= '9') {
            digits++;
        } else {
            return false;
        }
    }
    if (point && s[len - 1] == '0') return false;
    if (s[0] == '-' && len == 2 && s[1] == '0') return false;
    return len <= 200;
}

static bool get_value(reader_t *r, int depth, pt_av_t *v);

static bool get_map(reader_t *r, int depth, pt_av_t *v)
{
    uint32_t n;
    /* each member: name (>= 2 bytes) + tag (>= 1) */
    if (!get_count(r, 3, &n)) return false;
    v->type = PT_AV_M;
    v->boolean = false;
    v->len = n;
    v->u.members = n ? pt_arena_alloc(r->arena, (size_t)n * sizeof(pt_av_member_t)) : NULL;
    for (uint32_t i = 0; i < n; i++) {
        pt_av_member_t *m = &v->u.members[i];
        if (!get_str(r, &m->name, &m->name_len)) return false;
        if (i && bytes_cmp(m[-1].name, m[-1].name_len, m->name, m->name_len) >= 0) return false;
        if (!get_value(r, depth, &m->value)) return false;
    }
    return true;
}

static bool get_value(reader_t *r, int depth, pt_av_t *v)
{
    if (depth >= PT_AV_MAX_DEPTH || r->p >= r->end) return false;
    uint8_t tag = *r->p++;
    v->type = tag;
    v->boolean = false;
    v->len = 0;
    v->u.str = NULL;
    switch (tag) {
    case PT_AV_S:
    case PT_AV_B: return get_str(r, &v->u.str, &v->len);
    case PT_AV_N: return get_str(r, &v->u.str, &v->len) && canonical_number(v->u.str, v->len);
    case PT_AV_BOOL:
        if (r->p >= r->end || *r->p > 1) return false;
        v->boolean = *r->p++ == 1;
        return true;
    case PT_AV_NULL: return true;
    case PT_AV_M: return get_map(r, depth + 1, v);
    case PT_AV_L: {
        uint32_t n;
        if (!get_count(r, 1, &n)) return false;
        v->len = n;
        v->u.elems = n ? pt_arena_alloc(r->arena, (size_t)n * sizeof(pt_av_t)) : NULL;
        for (uint32_t i = 0; i < n; i++)
            if (!get_value(r, depth + 1, &v->u.elems[i])) return false;
        return true;
    }
    case PT_AV_SS:
    case PT_AV_NS:
    case PT_AV_BS: {
        uint32_t n;
        if (!get_count(r, 2, &n) || !n) return false; /* sets are never empty */
        uint8_t etype = tag == PT_AV_SS ? PT_AV_S : tag == PT_AV_NS ? PT_AV_N : PT_AV_B;
        pt_av_t *e = pt_arena_alloc(r->arena, (size_t)n * sizeof(pt_av_t));
        v->len = n;
        v->u.elems = e;
        for (uint32_t i = 0; i < n; i++) {
            e[i].type = etype;
            e[i].boolean = false;
            if (!get_str(r, &e[i].u.str, &e[i].len)) return false;
            if (etype == PT_AV_N) {
                if (!canonical_number(e[i].u.str, e[i].len)) return false;
            } else if (i && bytes_cmp(e[i - 1].u.str, e[i - 1].len, e[i].u.str, e[i].len) >= 0) {
                return false;
            }
        }
        return true;
    }
    }
    return false;
}

int pt_item_decode(pt_arena_t *arena, const void *data, size_t len, pt_av_t *out,
                   pt_error_t *err)
{
    if (!len || ((const uint8_t *)data)[0] != ITEM_FORMAT_V1)
        return pt_error_set(err, PT_E_INTERNAL, "corrupt item");
    /* One copy into the arena: decoded strings point into it, so the value
     * outlives the caller's buffer (e.g. an LMDB page valid only until the
     * read transaction ends). */
    reader_t r;
    r.arena = arena;
    r.p = pt_arena_memdup(arena, (const uint8_t *)data + 1, len - 1);
    r.end = r.p + (len - 1);
    if (!get_map(&r, 0, out) || r.p != r.end)
        return pt_error_set(err, PT_E_INTERNAL, "corrupt item");
    return PT_OK;
}
