/* The overlay: committed writes that LMDB has not committed yet.
 *
 * A durable store (store_lmdb.c) makes a group commit durable with one log
 * record and visible by publishing the record's operations here, and commits
 * LMDB itself only every few milliseconds, for many group commits at once
 * (each LMDB commit rewrites every page it touched, so fewer commits write
 * far fewer pages). A reader's snapshot is then one LMDB snapshot plus the
 * overlay's entries published on top of exactly that LMDB state.
 *
 * An overlay is one generation: created empty on top of LMDB transaction
 * `base_txnid`, filled by the writer, and retired (replaced by a new empty
 * one) as soon as LMDB has committed everything it holds; readers still
 * holding it keep it alive through its reference count.
 *
 * Entries are (physical key, sequence, value or tombstone) in a skiplist
 * ordered by key, then newest sequence first. One thread adds, any number
 * read concurrently without locks: a node is complete before it is linked
 * (release), and readers follow links with acquire loads. A reader sees the
 * entries with sequence <= the `published` value it read when its snapshot
 * began, so entries added later never change what it sees.
 *
 * Keys here are the store's physical keys (after the long-key translation,
 * as in the log), so overlay and LMDB order agree exactly. */
#ifndef PT_OVERLAY_H
#define PT_OVERLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct pt_overlay pt_overlay_t;
typedef struct pt_ov_node pt_ov_node_t;

/* A new empty generation with one reference (the creator's). NULL on OOM. */
pt_overlay_t *pt_overlay_new(uint64_t base_txnid);
void pt_overlay_ref(pt_overlay_t *o);
void pt_overlay_unref(pt_overlay_t *o);   /* frees it at zero */

uint64_t pt_overlay_base(const pt_overlay_t *o);
/* The highest sequence readers may see (acquire). 0: nothing published. */
uint64_t pt_overlay_published(const pt_overlay_t *o);
/* Bytes of entries held (writer thread). */
size_t pt_overlay_bytes(const pt_overlay_t *o);

/* Writer thread: adds an entry (value NULL: a deletion) invisible until
 * pt_overlay_publish(o, >= seq). Sequences only grow. PT_OK or PT_ERR (OOM). */
int pt_overlay_add(pt_overlay_t *o, const void *key, size_t klen, const void *value, size_t vlen, uint64_t seq);
void pt_overlay_publish(pt_overlay_t *o, uint64_t seq);

/* Readers, at snapshot sequence `snap`. An entry is the newest version of
 * its key with sequence <= snap; it may be a deletion (pt_ov_deleted). */
/* The entry of exactly `key`, or NULL if the overlay has none. */
const pt_ov_node_t *pt_overlay_get(const pt_overlay_t *o, const void *key, size_t klen, uint64_t snap);
/* The entry of the first key >= key (strictly > when `exclusive`). */
const pt_ov_node_t *pt_overlay_seek(const pt_overlay_t *o, const void *key, size_t klen, bool exclusive,
                                    uint64_t snap);
/* The entry of the last key <= key (strictly < when `exclusive`); klen 0
 * with key NULL means the last key of all. */
const pt_ov_node_t *pt_overlay_seek_le(const pt_overlay_t *o, const void *key, size_t klen, bool exclusive,
                                       uint64_t snap);

bool pt_ov_deleted(const pt_ov_node_t *n);
const uint8_t *pt_ov_key(const pt_ov_node_t *n, size_t *klen);
const uint8_t *pt_ov_value(const pt_ov_node_t *n, size_t *vlen);

#endif
