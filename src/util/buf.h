/* Growable byte buffer (malloc-backed) for output that outlives an arena
 * or whose final size is unknown: response bodies, encoded items, keys. */
#ifndef PT_BUF_H
#define PT_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct pt_buf {
    char *data;
    size_t len;
    size_t cap;
} pt_buf_t;

#define PT_BUF_INIT {NULL, 0, 0}

void pt_buf_init(pt_buf_t *b);
void pt_buf_free(pt_buf_t *b);
static inline void pt_buf_clear(pt_buf_t *b) { b->len = 0; }
/* Ensures room for `extra` more bytes; aborts via pt_oom on failure. */
void pt_buf_reserve(pt_buf_t *b, size_t extra);
void pt_buf_append(pt_buf_t *b, const void *p, size_t n);
void pt_buf_putc(pt_buf_t *b, char c);
void pt_buf_puts(pt_buf_t *b, const char *s);
void pt_buf_printf(pt_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void pt_buf_put_u8(pt_buf_t *b, uint8_t v);
void pt_buf_put_u32be(pt_buf_t *b, uint32_t v);
void pt_buf_put_u64be(pt_buf_t *b, uint64_t v);
/* Big-endian integers read back from 4 / 8 bytes (the caller checks the length). */
static inline uint32_t pt_get_u32be(const void *p)
{
    const uint8_t *b = p;
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}
static inline uint64_t pt_get_u64be(const void *p)
{
    const uint8_t *b = p;
    return (uint64_t)pt_get_u32be(b) << 32 | pt_get_u32be(b + 4);
}
/* Unsigned LEB128 varint. */
void pt_buf_put_varint(pt_buf_t *b, uint64_t v);
/* Hands the data to the caller (who frees it with free()); buffer is reset. */
char *pt_buf_detach(pt_buf_t *b, size_t *len);

#endif
