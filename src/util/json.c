/* JSON parser, writer and base64: see json.h.
 *
 * Parser. Every DynamoDB request body goes through pt_json_parse, so it is
 * written for speed without giving up strictness (RFC 8259, nothing more):
 *  - It is iterative: an explicit frame stack (bounded by PT_JSON_MAX_DEPTH)
 *    replaces recursion, so hostile nesting cannot exhaust the C stack.
 *  - Children of open containers accumulate on one scratch stack (on the C
 *    stack for small documents, malloc'd only past SCRATCH_LOCAL entries);
 *    when a container closes its children are copied once into the arena at
 *    their final size. No arena memory is wasted on growth.
 *  - All strings and numbers go into one string pool allocated up front at
 *    the input's size (a stored token is never longer than its source text
 *    plus one NUL; see pt_json_parse), so a token costs no arena call.
 *  - Plain ASCII strings are scanned and copied 8 bytes at a time (SWAR bit
 *    tricks, little-endian; a table-driven byte loop elsewhere). A string
 *    with an escape, a control character or non-ASCII bytes takes a slow
 *    path: find the closing quote, then unescape and validate UTF-8
 *    (unescaping never grows a string).
 *  - Numbers are validated against the JSON grammar and kept as text.
 * Invariant: no byte outside [text, text+len) is ever read; every pointer
 * advance is checked against `end` first.
 *
 * Writer. Compact output into a pt_buf_t; commas are tracked per nesting
 * level in need_comma[] (a key clears the flag so that its value does not
 * emit one). Each token reserves its room once and writes directly into the
 * buffer; strings are scanned for bytes to escape 8 at a time.
 *
 * Measured on the 2-core CI-like VM (gcc -O2): a 1 KB PutItem body parses
 * in about 0.9 us (about 1.2 GB/s) and writes back in about 0.8 us.
 *
 * Base64 follows what DynamoDB accepts for B/BS values: standard alphabet,
 * length a multiple of 4 (padding required), '=' only as the last one or two
 * characters, and unused bits of the last character zero (DynamoDB rejects
 * "+/+=" with "Invalid last non-pad Base64 character dectected"). The reason
 * texts are DynamoDB's (as recorded by dynalite's validations), so the
 * protocol layer can quote them.
 *
 * Not done here: DynamoDB-level validation (types, limits, messages about
 * request members) belongs to the api layer. */
#include "util/json.h"

#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

/* ------------------------------------------------------------------ */
/* Character classes                                                   */

/* Bytes that end the fast string scan: '"', '\\', controls, non-ASCII. */
static const uint8_t str_stop[256] = {
    ['"'] = 1, ['\\'] = 1,
    [0x00] = 1, [0x01] = 1, [0x02] = 1, [0x03] = 1, [0x04] = 1, [0x05] = 1, [0x06] = 1,
    [0x07] = 1, [0x08] = 1, [0x09] = 1, [0x0a] = 1, [0x0b] = 1, [0x0c] = 1, [0x0d] = 1,
    [0x0e] = 1, [0x0f] = 1, [0x10] = 1, [0x11] = 1, [0x12] = 1, [0x13] = 1, [0x14] = 1,
    [0x15] = 1, [0x16] = 1, [0x17] = 1, [0x18] = 1, [0x19] = 1, [0x1a] = 1, [0x1b] = 1,
    [0x1c] = 1, [0x1d] = 1, [0x1e] = 1, [0x1f] = 1,
    [0x80 ... 0xff] = 1,
};

static inline bool is_ws(unsigned char c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

static inline bool is_digit(unsigned char c) { return (unsigned)(c - '0') < 10u; }

static inline const char *skip_ws(const char *s, const char *end)
{
    while (s < end && is_ws((unsigned char)*s)) s++;
    return s;
}

static inline int hex_val(unsigned char c)
{
    if (is_digit(c)) return c - '0';
    c |= 0x20;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* ------------------------------------------------------------------ */
/* Parser                                                              */

/* Scratch entries kept on the C stack before falling back to malloc. 64
 * members (2 KiB) hold every child of a typical request's open containers. */
#define SCRATCH_LOCAL 64

typedef struct parser {
    pt_arena_t *arena;
    const char *text;       /* start, for error offsets */
    const char *end;
    char *errbuf;
    size_t errlen;
    char *pool;             /* next free byte of the string pool */
    char *pool_end;         /* for assertions: the pool's true end */
    /* Result of the last parse_string. Returned through here rather than
     * through pointers to the caller's pt_json_t so that the value being
     * built never has its address taken and stays in registers (a 16-byte
     * reload of fields just stored separately stalls store forwarding). */
    const char *str;
    uint32_t str_len;
    pt_json_member_t *scratch;
    size_t n, cap;
    bool scratch_on_heap;
} parser_t;

static void set_err(parser_t *p, const char *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(parser_t *p, const char *at, const char *fmt, ...)
{
    if (!p->errbuf || p->errlen == 0) return;
    char msg[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(p->errbuf, p->errlen, "%s at byte %zu", msg, (size_t)(at - p->text));
}

/* Describes the byte at `s` for an error message (or end of input). */
static void err_unexpected(parser_t *p, const char *s, const char *expected)
{
    if (s >= p->end) {
        set_err(p, s, "unexpected end of input, expected %s", expected);
        return;
    }
    unsigned char c = (unsigned char)*s;
    if (c >= 0x20 && c < 0x7f)
        set_err(p, s, "unexpected character '%c', expected %s", c, expected);
    else
        set_err(p, s, "unexpected byte 0x%02x, expected %s", c, expected);
}

static void scratch_grow(parser_t *p) __attribute__((noinline));

static void scratch_grow(parser_t *p)
{
    size_t cap = p->cap * 2;
    pt_json_member_t *m;
    if (p->scratch_on_heap) {
        m = realloc(p->scratch, cap * sizeof *m);
        if (!m) pt_oom();
    } else {
        m = malloc(cap * sizeof *m);
        if (!m) pt_oom();
        memcpy(m, p->scratch, p->n * sizeof *m);
        p->scratch_on_heap = true;
    }
    p->scratch = m;
    p->cap = cap;
}

static inline pt_json_member_t *scratch_push(parser_t *p)
{
    if (p->n == p->cap) scratch_grow(p);
    return &p->scratch[p->n++];
}

/* Appends code point cp (already range-checked) as UTF-8. */
static inline char *put_utf8(char *d, uint32_t cp)
{
    if (cp < 0x80) {
        *d++ = (char)cp;
    } else if (cp < 0x800) {
        *d++ = (char)(0xc0 | (cp >> 6));
        *d++ = (char)(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        *d++ = (char)(0xe0 | (cp >> 12));
        *d++ = (char)(0x80 | ((cp >> 6) & 0x3f));
        *d++ = (char)(0x80 | (cp & 0x3f));
    } else {
        *d++ = (char)(0xf0 | (cp >> 18));
        *d++ = (char)(0x80 | ((cp >> 12) & 0x3f));
        *d++ = (char)(0x80 | ((cp >> 6) & 0x3f));
        *d++ = (char)(0x80 | (cp & 0x3f));
    }
    return d;
}

/* Reads 4 hex digits at s (caller guarantees 4 bytes are available). */
static inline int read_hex4(const char *s)
{
    int a = hex_val((unsigned char)s[0]), b = hex_val((unsigned char)s[1]);
    int c = hex_val((unsigned char)s[2]), d = hex_val((unsigned char)s[3]);
    if ((a | b | c | d) < 0) return -1;
    return (a << 12) | (b << 8) | (c << 4) | d;
}

/* Length of the well-formed UTF-8 sequence at s (lead byte >= 0x80), or 0.
 * Follows Unicode Table 3-7: rejects overlongs (C0, C1, E0 80..9F,
 * F0 80..8F), UTF-16 surrogates (ED A0..BF) and code points above U+10FFFF
 * (F4 90.., F5..FF). n is the number of bytes available. */
static inline size_t utf8_seq_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    if (c >= 0xc2 && c <= 0xdf) {
        if (n >= 2 && (s[1] & 0xc0) == 0x80) return 2;
        return 0;
    }
    if (c >= 0xe0 && c <= 0xef) {
        if (n < 3) return 0;
        unsigned char lo = 0x80, hi = 0xbf;
        if (c == 0xe0) lo = 0xa0;
        else if (c == 0xed) hi = 0x9f;
        if (s[1] < lo || s[1] > hi || (s[2] & 0xc0) != 0x80) return 0;
        return 3;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        if (n < 4) return 0;
        unsigned char lo = 0x80, hi = 0xbf;
        if (c == 0xf0) lo = 0x90;
        else if (c == 0xf4) hi = 0x8f;
        if (s[1] < lo || s[1] > hi || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
            return 0;
        return 4;
    }
    return 0;
}

size_t pt_utf8_repair(char *s, size_t len)
{
    const unsigned char *r = (const unsigned char *)s;
    size_t o = 0;   /* bytes kept; equal to i until the first drop, so valid text is not moved */
    for (size_t i = 0; i < len;) {
        size_t n = r[i] < 0x80 ? 1 : utf8_seq_len(r + i, len - i);
        if (!n) {   /* not the start of a whole character: drop the byte */
            i++;
            continue;
        }
        if (o != i) memmove(s + o, s + i, n);
        o += n;
        i += n;
    }
    if (o < len) s[o] = 0;
    return o;
}

/* Slow path for a string that contains an escape, a control character or
 * non-ASCII bytes. `start` is just after the opening quote, `stop` is the
 * first byte the fast scan did not accept; [start, stop) is plain ASCII and
 * has already been copied to dst. Returns the position after the closing
 * quote, or NULL on error. */
static const char *parse_string_slow(parser_t *p, const char *start, const char *stop,
                                     char *dst)
{
    const char *end = p->end;
    /* Pass 1: find the closing quote, stepping over escape pairs. */
    const char *q = stop;
    for (;;) {
        if (q >= end) {
            set_err(p, start - 1, "unterminated string");
            return NULL;
        }
        char c = *q;
        if (c == '"') break;
        if (c == '\\') {
            if (end - q < 2) {
                set_err(p, start - 1, "unterminated string");
                return NULL;
            }
            q += 2;
        } else {
            q++;
        }
    }
    /* Pass 2: unescape and validate. Output is never longer than input:
     * "\uXXXX" (6 bytes) yields at most 3, a surrogate pair (12) yields 4. */
    char *d = dst + (stop - start);
    const char *r = stop;
    while (r < q) {
        unsigned char c = (unsigned char)*r;
        if (!str_stop[c]) {
            *d++ = (char)c;
            r++;
            continue;
        }
        if (c == '\\') {
            /* Pass 1 guarantees r + 1 < q. */
            char e = r[1];
            switch (e) {
            case '"': *d++ = '"'; break;
            case '\\': *d++ = '\\'; break;
            case '/': *d++ = '/'; break;
            case 'b': *d++ = '\b'; break;
            case 'f': *d++ = '\f'; break;
            case 'n': *d++ = '\n'; break;
            case 'r': *d++ = '\r'; break;
            case 't': *d++ = '\t'; break;
            case 'u': {
                int cp;
                if (q - r < 6 || (cp = read_hex4(r + 2)) < 0) {
                    set_err(p, r, "invalid \\u escape");
                    return NULL;
                }
                if (cp >= 0xdc00 && cp <= 0xdfff) {
                    set_err(p, r, "lone low surrogate \\u%04x", (unsigned)cp);
                    return NULL;
                }
                if (cp >= 0xd800 && cp <= 0xdbff) {
                    int lo;
                    if (q - r < 12 || r[6] != '\\' || r[7] != 'u' ||
                        (lo = read_hex4(r + 8)) < 0 || lo < 0xdc00 || lo > 0xdfff) {
                        set_err(p, r, "lone high surrogate \\u%04x", (unsigned)cp);
                        return NULL;
                    }
                    uint32_t full = 0x10000u + (((uint32_t)cp - 0xd800u) << 10) +
                                    ((uint32_t)lo - 0xdc00u);
                    d = put_utf8(d, full);
                    r += 12;
                    continue;
                }
                d = put_utf8(d, (uint32_t)cp);
                r += 6;
                continue;
            }
            default:
                set_err(p, r, "invalid escape sequence");
                return NULL;
            }
            r += 2;
            continue;
        }
        if (c < 0x20) {
            set_err(p, r, "unescaped control character 0x%02x in string", c);
            return NULL;
        }
        /* c >= 0x80 ('"' cannot occur before q). */
        size_t n = utf8_seq_len((const unsigned char *)r, (size_t)(q - r));
        if (n == 0) {
            set_err(p, r, "invalid UTF-8 in string");
            return NULL;
        }
        memcpy(d, r, n);
        d += n;
        r += n;
    }
    *d++ = 0;
    assert(d <= p->pool_end - 8);
    p->str = dst;
    p->str_len = (uint32_t)(d - dst - 1);
    p->pool = d;
    return q + 1;
}

#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define PT_JSON_SWAR 1
/* Marks (0x80 in the byte) every byte of x that ends the fast string scan:
 * '"', '\\', < 0x20 or >= 0x80. The lowest marked byte is always a true
 * match (borrows only create false marks above a true one), which is all the
 * scan needs. */
static inline uint64_t str_stop_mask(uint64_t x)
{
    const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');
    uint64_t has_q = (q - ones) & ~q;
    uint64_t has_b = (b - ones) & ~b;
    uint64_t ctl = (x - ones * 0x20) & ~x;
    return (has_q | has_b | ctl | x) & high;
}
#endif

/* Parses a string whose opening quote is at s into the pool. Returns the
 * position after the closing quote, or NULL on error. The result (in
 * p->str, p->str_len) is NUL-terminated. */
static inline const char *parse_string(parser_t *p, const char *s)
{
    const char *start = s + 1, *end = p->end;
    const char *r = start;
    char *dst = p->pool, *d = dst;
#ifdef PT_JSON_SWAR
    /* 8 bytes at a time, copied speculatively: the pool has 8 bytes of slack
     * beyond its worst-case use, and bytes past the string's end are
     * overwritten by whatever is parsed next. */
    while (end - r >= 8) {
        uint64_t x;
        memcpy(&x, r, 8);
        assert(d + 8 <= p->pool_end);
        memcpy(d, &x, 8);
        uint64_t m = str_stop_mask(x);
        if (m) {
            unsigned k = (unsigned)__builtin_ctzll(m) >> 3;
            r += k;
            d += k;
            goto stop;
        }
        r += 8;
        d += 8;
    }
#endif
    while (r < end && !str_stop[(unsigned char)*r]) *d++ = *r++;
#ifdef PT_JSON_SWAR
stop:
#endif
    if (r < end && *r == '"') {
        *d++ = 0;
        assert(d <= p->pool_end - 8);
        p->str = dst;
        p->str_len = (uint32_t)(d - dst - 1);
        p->pool = d;
        return r + 1;
    }
    return parse_string_slow(p, start, r, dst);
}

/* Validates a number per the JSON grammar:
 *   -? (0 | [1-9][0-9]*) (\.[0-9]+)? ([eE][+-]?[0-9]+)?
 * Returns the position after it, or NULL on error. */
static inline const char *scan_number(parser_t *p, const char *s)
{
    const char *end = p->end, *n0 = s;
    if (*s == '-') s++;
    if (s >= end || !is_digit((unsigned char)*s)) {
        err_unexpected(p, s, "a digit");
        return NULL;
    }
    if (*s == '0') {
        s++;
        if (s < end && is_digit((unsigned char)*s)) {
            set_err(p, n0, "number with leading zero");
            return NULL;
        }
    } else {
        while (s < end && is_digit((unsigned char)*s)) s++;
    }
    if (s < end && *s == '.') {
        s++;
        if (s >= end || !is_digit((unsigned char)*s)) {
            err_unexpected(p, s, "a digit after the decimal point");
            return NULL;
        }
        while (s < end && is_digit((unsigned char)*s)) s++;
    }
    if (s < end && (*s == 'e' || *s == 'E')) {
        s++;
        if (s < end && (*s == '+' || *s == '-')) s++;
        if (s >= end || !is_digit((unsigned char)*s)) {
            err_unexpected(p, s, "a digit in the exponent");
            return NULL;
        }
        while (s < end && is_digit((unsigned char)*s)) s++;
    }
    return s;
}

/* Copies the children of the container opened at scratch[base] into the
 * arena, at their final size, and pops them. */
static pt_json_t close_container(parser_t *p, size_t base, bool is_obj)
{
    pt_json_t v;
    size_t count = p->n - base;
    v.len = (uint32_t)count;
    if (is_obj) {
        v.type = PT_JSON_OBJECT;
        v.u.members = count ? pt_arena_memdup(p->arena, p->scratch + base,
                                              count * sizeof(pt_json_member_t))
                            : NULL;
    } else {
        v.type = PT_JSON_ARRAY;
        pt_json_t *elems = NULL;
        if (count) {
            elems = pt_arena_alloc(p->arena, count * sizeof *elems);
            for (size_t i = 0; i < count; i++) elems[i] = p->scratch[base + i].value;
        }
        v.u.elems = elems;
    }
    p->n = base;
    return v;
}

int pt_json_parse(pt_arena_t *arena, const char *text, size_t len, pt_json_t *out,
                  char *errbuf, size_t errlen)
{
    if (!text) { /* (NULL, 0) is an empty document, not a crash */
        text = "";
        len = 0;
    }
    pt_json_member_t local[SCRATCH_LOCAL];
    parser_t p = {
        .arena = arena, .text = text, .end = text + len, .errbuf = errbuf,
        .errlen = errlen, .scratch = local, .n = 0, .cap = SCRATCH_LOCAL,
        .scratch_on_heap = false,
    };
    /* The frame stack: where each open container's children start in the
     * scratch stack, and whether it is an object. */
    struct {
        uint32_t base;
        bool is_obj;
    } frames[PT_JSON_MAX_DEPTH];
    int depth = 0;
    pt_json_t v;
    const char *s = text, *end = p.end;

    if (errbuf && errlen) errbuf[0] = 0;
    if (len > UINT32_MAX) {
        set_err(&p, text, "document too large");
        goto fail;
    }
    /* String pool: every string and number is stored here, NUL-terminated.
     * A token of n stored bytes (+1 NUL) consumes at least n+2 input bytes
     * (quotes) for strings and n input bytes plus a following delimiter for
     * numbers, except a number that ends the input: so len + 1 bytes always
     * suffice; +8 is slack for the speculative 8-byte copy in parse_string. */
    p.pool = pt_arena_alloc(arena, len + 1 + 8);
    p.pool_end = p.pool + len + 1 + 8;

value:
    s = skip_ws(s, end);
    if (s >= end) {
        err_unexpected(&p, s, "a value");
        goto fail;
    }
    switch (*s) {
    case '"':
        if (!(s = parse_string(&p, s))) goto fail;
        v.type = PT_JSON_STRING;
        v.len = p.str_len;
        v.u.str = p.str;
        goto have_value;
    case '{':
    case '[': {
        bool is_obj = *s == '{';
        if (depth == PT_JSON_MAX_DEPTH) {
            set_err(&p, s, "nesting deeper than %d", PT_JSON_MAX_DEPTH);
            goto fail;
        }
        frames[depth].base = (uint32_t)p.n;
        frames[depth].is_obj = is_obj;
        depth++;
        s = skip_ws(s + 1, end);
        if (s < end && *s == (is_obj ? '}' : ']')) {
            s++;
            depth--;
            v = close_container(&p, p.n, is_obj);
            goto have_value;
        }
        if (is_obj) goto key;
        goto value;
    }
    case 't':
        if (end - s >= 4 && memcmp(s, "true", 4) == 0) {
            v.type = PT_JSON_TRUE;
            v.len = 0;
            v.u.str = NULL;
            s += 4;
            goto have_value;
        }
        break;
    case 'f':
        if (end - s >= 5 && memcmp(s, "false", 5) == 0) {
            v.type = PT_JSON_FALSE;
            v.len = 0;
            v.u.str = NULL;
            s += 5;
            goto have_value;
        }
        break;
    case 'n':
        if (end - s >= 4 && memcmp(s, "null", 4) == 0) {
            v.type = PT_JSON_NULL;
            v.len = 0;
            v.u.str = NULL;
            s += 4;
            goto have_value;
        }
        break;
    case '-': case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9': {
        const char *n0 = s;
        if (!(s = scan_number(&p, s))) goto fail;
        size_t n = (size_t)(s - n0);
        v.type = PT_JSON_NUMBER;
        v.len = (uint32_t)n;
        v.u.str = p.pool;
        /* Numbers are short: a byte loop beats a memcpy call. */
        for (size_t i = 0; i < n; i++) p.pool[i] = n0[i];
        p.pool[n] = 0;
        p.pool += n + 1;
        assert(p.pool <= p.pool_end - 8);
        goto have_value;
    }
    default:
        break;
    }
    err_unexpected(&p, s, "a value");
    goto fail;

key:
    /* s is at a non-whitespace byte (or end) inside an object. */
    if (s >= end || *s != '"') {
        err_unexpected(&p, s, "a string key");
        goto fail;
    }
    {
        if (!(s = parse_string(&p, s))) goto fail;
        pt_json_member_t *m = scratch_push(&p);
        m->key = p.str;
        m->key_len = p.str_len;
    }
    s = skip_ws(s, end);
    if (s >= end || *s != ':') {
        err_unexpected(&p, s, "':'");
        goto fail;
    }
    s++;
    goto value;

have_value:
    if (depth == 0) goto finish;
    {
        bool is_obj = frames[depth - 1].is_obj;
        if (is_obj) {
            p.scratch[p.n - 1].value = v; /* the member pushed at its key */
        } else {
            pt_json_member_t *m = scratch_push(&p);
            m->key = NULL;
            m->key_len = 0;
            m->value = v;
        }
        s = skip_ws(s, end);
        if (s < end && *s == ',') {
            s++;
            if (is_obj) {
                s = skip_ws(s, end);
                goto key;
            }
            goto value;
        }
        if (s < end && *s == (is_obj ? '}' : ']')) {
            s++;
            depth--;
            v = close_container(&p, frames[depth].base, is_obj);
            goto have_value;
        }
        err_unexpected(&p, s, is_obj ? "',' or '}'" : "',' or ']'");
        goto fail;
    }

finish:
    s = skip_ws(s, end);
    if (s != end) {
        err_unexpected(&p, s, "end of input");
        goto fail;
    }
    if (p.scratch_on_heap) free(p.scratch);
    *out = v;
    return PT_OK;

fail:
    if (p.scratch_on_heap) free(p.scratch);
    return PT_ERR;
}

/* ------------------------------------------------------------------ */
/* Accessors                                                           */

const pt_json_t *pt_json_get(const pt_json_t *obj, const char *key)
{
    if (!obj || obj->type != PT_JSON_OBJECT || !key) return NULL;
    /* Every request looks up dozens of parameter names, most of them
     * absent: the first byte rejects nearly every member, and strlen runs
     * only once some member's first byte matches (a key of length 0, which
     * trees built by hand may leave NULL, is never dereferenced). */
    size_t klen = 0;
    bool have_len = false;
    /* Backwards, so the last duplicate wins (Jackson's behaviour). */
    for (uint32_t i = obj->len; i-- > 0;) {
        const pt_json_member_t *m = &obj->u.members[i];
        if (m->key_len && m->key[0] != key[0]) continue;
        if (!have_len) {
            klen = strlen(key);
            have_len = true;
        }
        if (m->key_len == klen && memcmp(m->key, key, klen) == 0) return &m->value;
    }
    return NULL;
}

int pt_json_int64(const pt_json_t *v, int64_t *out)
{
    if (!v || v->type != PT_JSON_NUMBER || v->len == 0) return PT_ERR;
    const char *s = v->u.str, *e = s + v->len;
    bool neg = false;
    if (*s == '-') {
        neg = true;
        s++;
    }
    /* Mantissa [s, mend); decimal point at dot (or NULL). */
    const char *mend = s;
    while (mend < e && *mend != 'e' && *mend != 'E') mend++;
    const char *dot = memchr(s, '.', (size_t)(mend - s));
    /* Exponent, saturated far beyond any meaningful range. */
    int64_t exp = 0;
    if (mend < e) {
        const char *x = mend + 1;
        bool eneg = false;
        if (x < e && (*x == '+' || *x == '-')) eneg = *x++ == '-';
        for (; x < e && is_digit((unsigned char)*x); x++)
            if (exp < 1000000000) exp = exp * 10 + (*x - '0');
        if (eneg) exp = -exp;
    }
    const char *first = NULL, *last = NULL;
    for (const char *q = s; q < mend; q++) {
        if (*q >= '1' && *q <= '9') {
            if (!first) first = q;
            last = q;
        }
    }
    if (!first) { /* all zeros: 0, -0, 0.000e5 */
        *out = 0;
        return PT_OK;
    }
    /* Value = digits[first..last] * 10^scale, where scale is the place of
     * `last`: trailing zeros after it count toward the exponent. */
    const char *int_end = dot ? dot : mend;
    int64_t place = last < int_end ? (int64_t)(int_end - last - 1) : -(int64_t)(last - dot);
    int64_t scale = exp + place;
    int64_t ndigits = (int64_t)(last - first + 1) - ((dot && first < dot && dot < last) ? 1 : 0);
    if (scale < 0) return PT_ERR;                 /* has a fractional part */
    if (ndigits + scale > 19) return PT_ERR;      /* >= 10^19: out of range */
    uint64_t m = 0;
    for (const char *q = first; q <= last; q++)
        if (*q != '.') m = m * 10 + (uint64_t)(*q - '0');
    for (int64_t i = 0; i < scale; i++) m *= 10; /* < 10^19 < 2^64: no overflow */
    if (neg) {
        if (m > (uint64_t)INT64_MAX + 1) return PT_ERR;
        *out = m == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)m;
    } else {
        if (m > (uint64_t)INT64_MAX) return PT_ERR;
        *out = (int64_t)m;
    }
    return PT_OK;
}

int pt_json_double(const pt_json_t *v, double *out)
{
    if (!v || v->type != PT_JSON_NUMBER || v->len == 0) return PT_ERR;
    /* u.str is NUL-terminated (arena copy), and valid grammar is a full
     * strtod match. Overflow yields +-HUGE_VAL, as strtod does. */
    char *endp;
    double d = strtod(v->u.str, &endp);
    if (endp != v->u.str + v->len) return PT_ERR;
    *out = d;
    return PT_OK;
}

/* ------------------------------------------------------------------ */
/* Writer                                                              */

/* 0: copy as is; otherwise the letter after the backslash ('u' = \u00XX). */
static const char esc_char[256] = {
    [0x00] = 'u', [0x01] = 'u', [0x02] = 'u', [0x03] = 'u', [0x04] = 'u', [0x05] = 'u',
    [0x06] = 'u', [0x07] = 'u', [0x08] = 'b', [0x09] = 't', [0x0a] = 'n', [0x0b] = 'u',
    [0x0c] = 'f', [0x0d] = 'r', [0x0e] = 'u', [0x0f] = 'u', [0x10] = 'u', [0x11] = 'u',
    [0x12] = 'u', [0x13] = 'u', [0x14] = 'u', [0x15] = 'u', [0x16] = 'u', [0x17] = 'u',
    [0x18] = 'u', [0x19] = 'u', [0x1a] = 'u', [0x1b] = 'u', [0x1c] = 'u', [0x1d] = 'u',
    [0x1e] = 'u', [0x1f] = 'u', ['"'] = '"', ['\\'] = '\\',
};

static const char hex_digits[] = "0123456789abcdef";

/* Ensures room for n more bytes and returns where they go; the caller
 * advances buf->len past what it wrote. The capacity check is inline, the
 * rare growth is not: most tokens cost no function call. */
static inline char *wr_reserve(pt_buf_t *b, size_t n)
{
    if (b->cap - b->len < n) pt_buf_reserve(b, n);
    return b->data + b->len;
}

/* Claims the comma owed by the previous sibling, if any: returns whether
 * one must be written before this value. */
static inline bool take_comma(pt_jw_t *w)
{
    bool comma = w->need_comma[w->depth];
    w->need_comma[w->depth] = true;
    return comma;
}

#ifdef PT_JSON_SWAR
/* Marks bytes that need escaping: '"', '\\', < 0x20 (see str_stop_mask;
 * bytes >= 0x80 are not marked: UTF-8 is written raw). */
static inline uint64_t esc_mask(uint64_t x)
{
    const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');
    return (((q - ones) & ~q) | ((b - ones) & ~b) | ((x - ones * 0x20) & ~x)) & high;
}
#endif

/* Writes [comma] "escaped" [:]. */
static void write_string(pt_buf_t *b, bool comma, const char *str, size_t len, bool colon)
{
    const char *r = str, *e = str + len;
    /* Invariant: there is room after d for the rest of the input copied
     * verbatim, the closing quote and colon, and 8 bytes of slack for the
     * speculative 8-byte copy. */
    char *d = wr_reserve(b, len + 4 + 8);
    if (comma) *d++ = ',';
    *d++ = '"';
    for (;;) {
#ifdef PT_JSON_SWAR
        while (e - r >= 8) {
            uint64_t x;
            memcpy(&x, r, 8);
            memcpy(d, &x, 8);
            uint64_t m = esc_mask(x);
            if (m) {
                unsigned k = (unsigned)__builtin_ctzll(m) >> 3;
                r += k;
                d += k;
                break;
            }
            r += 8;
            d += 8;
        }
#endif
        while (r < e && !esc_char[(unsigned char)*r]) *d++ = *r++;
        if (r == e) break;
        b->len = (size_t)(d - b->data);
        d = wr_reserve(b, (size_t)(e - r) + 6 + 2 + 8);
        unsigned char c = (unsigned char)*r++;
        char x = esc_char[c];
        *d++ = '\\';
        *d++ = x;
        if (x == 'u') {
            *d++ = '0';
            *d++ = '0';
            *d++ = hex_digits[c >> 4];
            *d++ = hex_digits[c & 15];
        }
    }
    *d++ = '"';
    if (colon) *d++ = ':';
    b->len = (size_t)(d - b->data);
}

/* Writes [comma] and the len bytes of a literal token. */
static inline void write_token(pt_jw_t *w, const char *tok, size_t len)
{
    bool comma = take_comma(w);
    char *d = wr_reserve(w->buf, len + 1);
    if (comma) *d++ = ',';
    memcpy(d, tok, len);
    w->buf->len = (size_t)(d + len - w->buf->data);
}

static inline void open_level(pt_jw_t *w, char c)
{
    bool comma = take_comma(w);
    char *d = wr_reserve(w->buf, 2);
    if (comma) *d++ = ',';
    *d++ = c;
    w->buf->len = (size_t)(d - w->buf->data);
    /* Nesting beyond PT_JW_MAX_DEPTH is a caller bug (the parser caps input
     * at PT_JSON_MAX_DEPTH); the output stays well-formed up to the cap. */
    assert(w->depth + 1 < PT_JW_MAX_DEPTH);
    if (w->depth + 1 < PT_JW_MAX_DEPTH) w->depth++;
    w->need_comma[w->depth] = false;
}

static inline void close_level(pt_jw_t *w, char c)
{
    char *d = wr_reserve(w->buf, 1);
    *d = c;
    w->buf->len++;
    assert(w->depth > 0);
    if (w->depth > 0) w->depth--;
}

void pt_jw_init(pt_jw_t *w, pt_buf_t *buf)
{
    w->buf = buf;
    w->depth = 0;
    w->need_comma[0] = false;
}

void pt_jw_obj_begin(pt_jw_t *w) { open_level(w, '{'); }
void pt_jw_obj_end(pt_jw_t *w) { close_level(w, '}'); }
void pt_jw_arr_begin(pt_jw_t *w) { open_level(w, '['); }
void pt_jw_arr_end(pt_jw_t *w) { close_level(w, ']'); }

void pt_jw_key(pt_jw_t *w, const char *key, size_t len)
{
    write_string(w->buf, take_comma(w), key, len, true);
    w->need_comma[w->depth] = false; /* the value follows without a comma */
}

void pt_jw_keyz(pt_jw_t *w, const char *key) { pt_jw_key(w, key, strlen(key)); }

void pt_jw_str(pt_jw_t *w, const char *s, size_t len)
{
    write_string(w->buf, take_comma(w), s, len, false);
}

void pt_jw_strz(pt_jw_t *w, const char *s) { pt_jw_str(w, s, strlen(s)); }

void pt_jw_int(pt_jw_t *w, int64_t v)
{
    char tmp[24], *d = tmp + sizeof tmp;
    /* Work in unsigned so INT64_MIN negates without overflow. */
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        *--d = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) *--d = '-';
    write_token(w, d, (size_t)(tmp + sizeof tmp - d));
}

void pt_jw_double(pt_jw_t *w, double v)
{
    /* JSON has no NaN or Infinity: write null rather than invalid JSON. */
    if (!isfinite(v)) {
        pt_jw_null(w);
        return;
    }
    char tmp[40];
    int n = 0;
    for (int prec = 15; prec <= 17; prec++) {
        n = snprintf(tmp, sizeof tmp, "%.*g", prec, v);
        if (prec == 17 || strtod(tmp, NULL) == v) break;
    }
    write_token(w, tmp, (size_t)n);
}

void pt_jw_bool(pt_jw_t *w, bool v)
{
    if (v) write_token(w, "true", 4);
    else write_token(w, "false", 5);
}

void pt_jw_null(pt_jw_t *w) { write_token(w, "null", 4); }

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t pt_base64_encoded_len(size_t raw_len) { return (raw_len + 2) / 3 * 4; }

void pt_jw_base64(pt_jw_t *w, const void *data, size_t len)
{
    bool comma = take_comma(w);
    pt_buf_t *b = w->buf;
    char *d = wr_reserve(b, pt_base64_encoded_len(len) + 3);
    const uint8_t *s = data;
    if (comma) *d++ = ',';
    *d++ = '"';
    size_t i = 0;
    for (; len - i >= 3; i += 3) {
        uint32_t x = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
        *d++ = b64_alphabet[x >> 18];
        *d++ = b64_alphabet[(x >> 12) & 63];
        *d++ = b64_alphabet[(x >> 6) & 63];
        *d++ = b64_alphabet[x & 63];
    }
    if (len - i == 1) {
        uint32_t x = (uint32_t)s[i] << 16;
        *d++ = b64_alphabet[x >> 18];
        *d++ = b64_alphabet[(x >> 12) & 63];
        *d++ = '=';
        *d++ = '=';
    } else if (len - i == 2) {
        uint32_t x = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8;
        *d++ = b64_alphabet[x >> 18];
        *d++ = b64_alphabet[(x >> 12) & 63];
        *d++ = b64_alphabet[(x >> 6) & 63];
        *d++ = '=';
    }
    *d++ = '"';
    b->len = (size_t)(d - b->data);
}

void pt_jw_raw(pt_jw_t *w, const char *json, size_t len)
{
    write_token(w, json, len);
}

void pt_jw_value(pt_jw_t *w, const pt_json_t *v)
{
    switch (v->type) {
    case PT_JSON_NULL: pt_jw_null(w); break;
    case PT_JSON_FALSE: pt_jw_bool(w, false); break;
    case PT_JSON_TRUE: pt_jw_bool(w, true); break;
    case PT_JSON_NUMBER: pt_jw_raw(w, v->u.str, v->len); break;
    case PT_JSON_STRING: pt_jw_str(w, v->u.str, v->len); break;
    case PT_JSON_ARRAY:
        pt_jw_arr_begin(w);
        for (uint32_t i = 0; i < v->len; i++) pt_jw_value(w, &v->u.elems[i]);
        pt_jw_arr_end(w);
        break;
    case PT_JSON_OBJECT:
        pt_jw_obj_begin(w);
        for (uint32_t i = 0; i < v->len; i++) {
            pt_jw_key(w, v->u.members[i].key, v->u.members[i].key_len);
            pt_jw_value(w, &v->u.members[i].value);
        }
        pt_jw_obj_end(w);
        break;
    }
}

/* ------------------------------------------------------------------ */
/* Base64 decoding                                                     */

/* Value + 1 for alphabet bytes, 65 for '=', 0 for anything else, so that
 * b64_val() maps invalid bytes to 255 without a range initialiser. */
static const uint8_t b64_tab[256] = {
    ['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5, ['F'] = 6, ['G'] = 7,
    ['H'] = 8, ['I'] = 9, ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14,
    ['O'] = 15, ['P'] = 16, ['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21,
    ['V'] = 22, ['W'] = 23, ['X'] = 24, ['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28,
    ['c'] = 29, ['d'] = 30, ['e'] = 31, ['f'] = 32, ['g'] = 33, ['h'] = 34, ['i'] = 35,
    ['j'] = 36, ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40, ['o'] = 41, ['p'] = 42,
    ['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48, ['w'] = 49,
    ['x'] = 50, ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56,
    ['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62, ['+'] = 63,
    ['/'] = 64, ['='] = 65,
};

static inline uint8_t b64_val(unsigned char c) { return (uint8_t)(b64_tab[c] - 1); }

#define B64_LAST_CHAR_MSG "Invalid last non-pad Base64 character dectected"

static long b64_fail(char *errbuf, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static long b64_fail(char *errbuf, size_t errlen, const char *fmt, ...)
{
    if (errbuf && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(errbuf, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

long pt_base64_decode_err(const char *in, size_t len, uint8_t *out, char *errbuf,
                          size_t errlen)
{
    const unsigned char *s = (const unsigned char *)in;
    if (len % 4)
        return b64_fail(errbuf, errlen,
                        "Base64 encoded length is expected a multiple of 4 bytes but found: %zu",
                        len);
    if (len == 0) return 0;
    /* The trailing '=' (one or two) are padding; before them, left to
     * right as DynamoDB reports the first offence: a '=' is a misplaced pad
     * (DynamoDB's "last non-pad character" message), any other byte outside
     * the alphabet is quoted. */
    size_t pad = s[len - 1] == '=' ? (s[len - 2] == '=' ? 2 : 1) : 0;
    for (size_t i = 0; i < len - pad; i++) {
        uint8_t v = b64_val(s[i]);
        if (v < 64) continue;
        if (v == 64) return b64_fail(errbuf, errlen, B64_LAST_CHAR_MSG);
        size_t n = 1;
        if (s[i] >= 0xc0) { /* quote a whole UTF-8 character */
            n = s[i] >= 0xf0 ? 4 : s[i] >= 0xe0 ? 3 : 2;
            if (n > len - i) n = len - i;
        }
        return b64_fail(errbuf, errlen, "Invalid Base64 character: '%.*s'", (int)n, (const char *)s + i);
    }
    /* The bits of the last data character that carry no byte must be zero,
     * so that every input has exactly one encoding. */
    if (pad == 2 && (b64_val(s[len - 3]) & 0x0f)) return b64_fail(errbuf, errlen, B64_LAST_CHAR_MSG);
    if (pad == 1 && (b64_val(s[len - 2]) & 0x03)) return b64_fail(errbuf, errlen, B64_LAST_CHAR_MSG);
    if (!out) return (long)(len / 4 * 3 - pad);
    size_t full = pad ? len - 4 : len;
    uint8_t *d = out;
    for (size_t i = 0; i < full; i += 4) {
        uint32_t x = (uint32_t)b64_val(s[i]) << 18 | (uint32_t)b64_val(s[i + 1]) << 12 |
                     (uint32_t)b64_val(s[i + 2]) << 6 | b64_val(s[i + 3]);
        *d++ = (uint8_t)(x >> 16);
        *d++ = (uint8_t)(x >> 8);
        *d++ = (uint8_t)x;
    }
    if (pad) {
        const unsigned char *q = s + full;
        uint8_t a = b64_val(q[0]), b = b64_val(q[1]);
        *d++ = (uint8_t)(a << 2 | b >> 4);
        if (pad == 1) *d++ = (uint8_t)(b << 4 | b64_val(q[2]) >> 2);
    }
    return (long)(d - out);
}

long pt_base64_decode(const char *in, size_t len, uint8_t *out)
{
    return pt_base64_decode_err(in, len, out, NULL, 0);
}

bool pt_json_streq(const pt_json_t *v, const char *s)
{
    return v && v->type == PT_JSON_STRING && strlen(s) == v->len && !memcmp(v->u.str, s, v->len);
}
