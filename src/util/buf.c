/* Growable byte buffer: see buf.h. Doubles capacity; never shrinks. */
#include "util/buf.h"
#include "util/arena.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pt_buf_init(pt_buf_t *b)
{
    b->data = NULL;
    b->len = b->cap = 0;
}

void pt_buf_free(pt_buf_t *b)
{
    free(b->data);
    pt_buf_init(b);
}

void pt_buf_reserve(pt_buf_t *b, size_t extra)
{
    if (b->len + extra <= b->cap) return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra) cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p) pt_oom();
    b->data = p;
    b->cap = cap;
}

void pt_buf_append(pt_buf_t *b, const void *p, size_t n)
{
    if (!n) return;
    pt_buf_reserve(b, n);
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

void pt_buf_putc(pt_buf_t *b, char c)
{
    pt_buf_reserve(b, 1);
    b->data[b->len++] = c;
}

void pt_buf_puts(pt_buf_t *b, const char *s) { pt_buf_append(b, s, strlen(s)); }

void pt_buf_printf(pt_buf_t *b, const char *fmt, ...)
{
    /* Format into the spare capacity; grow and retry once if it did not fit. */
    pt_buf_reserve(b, 128);
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n >= b->cap - b->len) {
        pt_buf_reserve(b, (size_t)n + 1);
        va_start(ap, fmt);
        vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
    }
    b->len += (size_t)n;
}

void pt_buf_put_u8(pt_buf_t *b, uint8_t v) { pt_buf_putc(b, (char)v); }

void pt_buf_put_u32be(pt_buf_t *b, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    pt_buf_append(b, x, 4);
}

void pt_buf_put_u64be(pt_buf_t *b, uint64_t v)
{
    pt_buf_put_u32be(b, (uint32_t)(v >> 32));
    pt_buf_put_u32be(b, (uint32_t)v);
}

void pt_buf_put_varint(pt_buf_t *b, uint64_t v)
{
    uint8_t x[10];
    size_t n = 0;
    do {
        uint8_t byte = v & 0x7f;
        v >>= 7;
        x[n++] = byte | (v ? 0x80 : 0);
    } while (v);
    pt_buf_append(b, x, n);
}

char *pt_buf_detach(pt_buf_t *b, size_t *len)
{
    char *p = b->data;
    if (len) *len = b->len;
    pt_buf_init(b);
    return p;
}
