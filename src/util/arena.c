/* Bump allocator: see arena.h. Blocks grow geometrically up to 1 MiB, and
 * a request larger than the default block gets a block of its own size. */
#include "util/arena.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pt_arena_block {
    pt_arena_block_t *prev;
    size_t size;
    char *data;     /* either inline (first block) or following the header */
};

#define ALIGN 16u
#define ALIGN_UP(n) (((n) + (ALIGN - 1)) & ~(size_t)(ALIGN - 1))

void pt_oom(void)
{
    fputs("portico: out of memory\n", stderr);
    abort();
}


void pt_arena_init(pt_arena_t *a)
{
    a->head = NULL;
    a->used = 0;
    a->total = 0;
}

void pt_arena_reset(pt_arena_t *a)
{
    pt_arena_block_t *b = a->head;
    while (b) {
        pt_arena_block_t *prev = b->prev;
        free(b);
        b = prev;
    }
    a->head = NULL;
    a->used = 0;
    a->total = 0;
}

void pt_arena_destroy(pt_arena_t *a) { pt_arena_reset(a); }

void *pt_arena_alloc(pt_arena_t *a, size_t n)
{
    n = ALIGN_UP(n ? n : 1);
    char *base;
    size_t cap;
    if (a->head) {
        base = a->head->data;
        cap = a->head->size;
    } else {
        /* inline block: align its start */
        uintptr_t p = (uintptr_t)a->first;
        size_t skew = (ALIGN - (p & (ALIGN - 1))) & (ALIGN - 1);
        base = a->first + skew;
        cap = sizeof a->first - skew;
    }
    if (a->used + n <= cap) {
        void *r = base + a->used;
        a->used += n;
        return r;
    }
    size_t last = a->head ? a->head->size : sizeof a->first;
    size_t size = last * 2;
    if (size > (1u << 20)) size = 1u << 20;
    if (size < n) size = n;
    pt_arena_block_t *b = malloc(ALIGN_UP(sizeof *b) + size);
    if (!b) pt_oom();
    b->prev = a->head;
    b->size = size;
    b->data = (char *)b + ALIGN_UP(sizeof *b);
    a->head = b;
    a->used = n;
    a->total += size;
    return b->data;
}

void *pt_arena_calloc(pt_arena_t *a, size_t n)
{
    void *p = pt_arena_alloc(a, n);
    memset(p, 0, n);
    return p;
}

char *pt_arena_strndup(pt_arena_t *a, const char *s, size_t n)
{
    char *p = pt_arena_alloc(a, n + 1);
    if (n) memcpy(p, s, n);
    p[n] = 0;
    return p;
}

void *pt_arena_memdup(pt_arena_t *a, const void *p, size_t n)
{
    void *r = pt_arena_alloc(a, n);
    if (n) memcpy(r, p, n);
    return r;
}

char *pt_arena_sprintf(pt_arena_t *a, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) n = 0;
    if ((size_t)n < sizeof small) return pt_arena_strndup(a, small, (size_t)n);
    char *p = pt_arena_alloc(a, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}
