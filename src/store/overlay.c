/* The overlay's skiplist (see overlay.h).
 *
 * Invariants:
 *  - nodes are ordered by (key ascending, seq descending); a key's versions
 *    are therefore adjacent, newest first, and the newest version visible at
 *    snapshot s is the first node >= (key, s);
 *  - a node is written completely, and its own links set, before the
 *    release store that links it in; nodes are never unlinked or changed
 *    afterwards, so a reader following acquire loads sees whole nodes;
 *  - node memory lives in the generation's arena and goes with the last
 *    reference.
 * Every reader step is a fresh O(log n) search rather than a walk through a
 * key's versions, so a hot key with thousands of versions costs no more
 * than a cold one. */
#include "store/overlay.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "util/arena.h"

#define MAX_HEIGHT 16

struct pt_ov_node {
    uint64_t seq;
    uint32_t klen, vlen;
    uint8_t deleted;
    uint8_t height;
    _Atomic(pt_ov_node_t *) next[];   /* then key, then value */
};

struct pt_overlay {
    _Atomic uint32_t refs;
    _Atomic uint64_t published;
    uint64_t base_txnid;
    size_t bytes;
    uint32_t rng;
    pt_ov_node_t *head;                /* sentinel of MAX_HEIGHT, no key */
    pt_arena_t arena;                  /* nodes; allocated by the writer only */
};

static const uint8_t *node_key(const pt_ov_node_t *n) { return (const uint8_t *)&n->next[n->height]; }

pt_overlay_t *pt_overlay_new(uint64_t base_txnid)
{
    pt_overlay_t *o = calloc(1, sizeof *o);
    if (!o) return NULL;
    atomic_init(&o->refs, 1);
    atomic_init(&o->published, 0);
    o->base_txnid = base_txnid;
    o->rng = 0x9e3779b9u;
    o->head = calloc(1, sizeof *o->head + MAX_HEIGHT * sizeof(pt_ov_node_t *));
    if (!o->head) {
        free(o);
        return NULL;
    }
    o->head->height = MAX_HEIGHT;
    for (int i = 0; i < MAX_HEIGHT; i++) atomic_init(&o->head->next[i], NULL);
    pt_arena_init(&o->arena);
    return o;
}

void pt_overlay_ref(pt_overlay_t *o) { atomic_fetch_add_explicit(&o->refs, 1, memory_order_relaxed); }

void pt_overlay_unref(pt_overlay_t *o)
{
    if (!o || atomic_fetch_sub_explicit(&o->refs, 1, memory_order_acq_rel) != 1) return;
    pt_arena_destroy(&o->arena);
    free(o->head);
    free(o);
}

uint64_t pt_overlay_base(const pt_overlay_t *o) { return o->base_txnid; }
uint64_t pt_overlay_published(const pt_overlay_t *o)
{
    return atomic_load_explicit(&((pt_overlay_t *)o)->published, memory_order_acquire);
}
size_t pt_overlay_bytes(const pt_overlay_t *o) { return o->bytes; }

static pt_ov_node_t *load_next(const pt_ov_node_t *n, int level)
{
    return atomic_load_explicit((_Atomic(pt_ov_node_t *) *)&n->next[level], memory_order_acquire);
}

/* <0, 0, >0 as node n orders before, at, after (key, seq). */
static int cmp_node(const pt_ov_node_t *n, const uint8_t *key, size_t klen, uint64_t seq)
{
    size_t m = n->klen < klen ? n->klen : klen;
    int c = m ? memcmp(node_key(n), key, m) : 0;
    if (c) return c;
    if (n->klen != klen) return n->klen < klen ? -1 : 1;
    if (n->seq == seq) return 0;
    return n->seq > seq ? -1 : 1;   /* newer first */
}

/* Last node (or the head) before (key, seq) at every level, into prev[]
 * when given; returns the first node >= (key, seq), or NULL. */
static pt_ov_node_t *find_ge(const pt_overlay_t *o, const uint8_t *key, size_t klen, uint64_t seq,
                             const pt_ov_node_t **prev)
{
    const pt_ov_node_t *x = o->head;
    pt_ov_node_t *next = NULL;
    for (int level = MAX_HEIGHT - 1; level >= 0; level--) {
        for (;;) {
            next = load_next(x, level);
            if (!next || cmp_node(next, key, klen, seq) >= 0) break;
            x = next;
        }
        if (prev) prev[level] = x;
    }
    return next;
}

/* The last node before (key, seq), or NULL (key NULL: the last node). */
static const pt_ov_node_t *find_lt(const pt_overlay_t *o, const uint8_t *key, size_t klen, uint64_t seq)
{
    const pt_ov_node_t *x = o->head;
    for (int level = MAX_HEIGHT - 1; level >= 0; level--) {
        for (;;) {
            pt_ov_node_t *next = load_next(x, level);
            if (!next || (key && cmp_node(next, key, klen, seq) >= 0)) break;
            x = next;
        }
    }
    return x == o->head ? NULL : x;
}

int pt_overlay_add(pt_overlay_t *o, const void *key, size_t klen, const void *value, size_t vlen, uint64_t seq)
{
    if (klen > UINT32_MAX || vlen > UINT32_MAX) return -1;
    int height = 1;
    for (;;) {   /* xorshift32; each further level with probability 1/4 */
        o->rng ^= o->rng << 13;
        o->rng ^= o->rng >> 17;
        o->rng ^= o->rng << 5;
        if (height == MAX_HEIGHT || (o->rng & 3)) break;
        height++;
    }
    size_t size = sizeof(pt_ov_node_t) + (size_t)height * sizeof(pt_ov_node_t *) + klen + vlen;
    pt_ov_node_t *n = pt_arena_alloc(&o->arena, size);
    n->seq = seq;
    n->klen = (uint32_t)klen;
    n->vlen = value ? (uint32_t)vlen : 0;
    n->deleted = value == NULL;
    n->height = (uint8_t)height;
    uint8_t *p = (uint8_t *)&n->next[height];
    memcpy(p, key, klen);
    if (value && vlen) memcpy(p + klen, value, vlen);

    const pt_ov_node_t *prev[MAX_HEIGHT];
    find_ge(o, key, klen, seq, prev);
    for (int level = 0; level < height; level++) {
        atomic_init(&n->next[level], load_next(prev[level], level));
    }
    for (int level = 0; level < height; level++) {
        atomic_store_explicit((_Atomic(pt_ov_node_t *) *)&prev[level]->next[level], n, memory_order_release);
    }
    o->bytes += size;
    return 0;
}

void pt_overlay_publish(pt_overlay_t *o, uint64_t seq)
{
    atomic_store_explicit(&o->published, seq, memory_order_release);
}

const pt_ov_node_t *pt_overlay_get(const pt_overlay_t *o, const void *key, size_t klen, uint64_t snap)
{
    const pt_ov_node_t *v = find_ge(o, key, klen, snap, NULL);
    return v && v->klen == klen && !memcmp(node_key(v), key, klen) ? v : NULL;
}

const pt_ov_node_t *pt_overlay_seek(const pt_overlay_t *o, const void *key, size_t klen, bool exclusive,
                                    uint64_t snap)
{
    /* Sequences start at 1: (key, 0) follows all of key's versions. */
    const pt_ov_node_t *n = find_ge(o, key, klen, exclusive ? 0 : UINT64_MAX, NULL);
    while (n) {
        const pt_ov_node_t *v = pt_overlay_get(o, node_key(n), n->klen, snap);
        if (v) return v;
        n = find_ge(o, node_key(n), n->klen, 0, NULL);   /* the next key */
    }
    return NULL;
}

const pt_ov_node_t *pt_overlay_seek_le(const pt_overlay_t *o, const void *key, size_t klen, bool exclusive,
                                       uint64_t snap)
{
    const pt_ov_node_t *n = find_lt(o, key, klen, exclusive ? UINT64_MAX : 0);
    while (n) {
        const pt_ov_node_t *v = pt_overlay_get(o, node_key(n), n->klen, snap);
        if (v) return v;
        n = find_lt(o, node_key(n), n->klen, UINT64_MAX);   /* the previous key */
    }
    return NULL;
}

bool pt_ov_deleted(const pt_ov_node_t *n) { return n->deleted; }

const uint8_t *pt_ov_key(const pt_ov_node_t *n, size_t *klen)
{
    *klen = n->klen;
    return node_key(n);
}

const uint8_t *pt_ov_value(const pt_ov_node_t *n, size_t *vlen)
{
    *vlen = n->vlen;
    return node_key(n) + n->klen;
}
