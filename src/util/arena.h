/* Per-request memory arena (bump allocator over a chain of blocks).
 *
 * Everything a request allocates lives in its arena and is released by one
 * pt_arena_reset()/pt_arena_destroy(), so handlers never free individually
 * and error paths cannot leak. Allocation failure aborts the process only
 * through pt_oom(): sizes from the network must be bounded before they reach
 * an arena. An arena is used by one thread at a time. */
#ifndef PT_ARENA_H
#define PT_ARENA_H

#include <stddef.h>
#include <stdint.h>

typedef struct pt_arena_block pt_arena_block_t;

typedef struct pt_arena {
    pt_arena_block_t *head;   /* current block; older blocks chained behind */
    size_t used;              /* bytes used in head */
    size_t total;             /* bytes allocated in all blocks (for limits) */
    char first[2048];         /* inline first block: small requests never malloc */
} pt_arena_t;

void pt_arena_init(pt_arena_t *a);
/* Frees every block except the inline one; the arena is reusable. */
void pt_arena_reset(pt_arena_t *a);
void pt_arena_destroy(pt_arena_t *a);

/* 16-byte aligned allocation; never returns NULL (calls pt_oom on failure). */
void *pt_arena_alloc(pt_arena_t *a, size_t n);
void *pt_arena_calloc(pt_arena_t *a, size_t n);
char *pt_arena_strndup(pt_arena_t *a, const char *s, size_t n); /* NUL-terminates */
void *pt_arena_memdup(pt_arena_t *a, const void *p, size_t n);
char *pt_arena_sprintf(pt_arena_t *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Called when malloc fails: logs and aborts. Out of memory is not bad input. */
void pt_oom(void) __attribute__((noreturn));

#endif
