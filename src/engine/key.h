/* Order-preserving key encoding (load-bearing: see docs/architecture.md).
 *
 * A stored item key is
 *   table_id (u32 BE) | index_id (u8, 0 = base table) | hash32(partition key) (u32 BE)
 *   | enc(partition key) | enc(sort key, if the table has one)
 * where enc(v) is self-delimiting and memcmp order of enc equals DynamoDB's
 * order for values of one type:
 *   S, B: bytes with 0x00 escaped as 0x00 0xFF, terminated by 0x00 0x01;
 *   N:    pt_dec_key_encode (numeric order).
 * The hash spreads partitions over the key space the way DynamoDB's Scan
 * order does, and makes parallel-scan segments contiguous hash ranges:
 * segment i of n covers hash values [floor(i*2^32/n), floor((i+1)*2^32/n)).
 * Items of one partition are contiguous and ordered by sort key.
 *
 * Table id 0 is reserved for the catalog (see catalog.c). */
#ifndef PT_KEY_H
#define PT_KEY_H

#include <stddef.h>
#include <stdint.h>

#include "engine/av.h"
#include "util/buf.h"

#define PT_KEY_PREFIX_LEN 9     /* table id + index id + hash */
/* Worst case: pk of 2048 bytes and sk of 1024 bytes, every byte 0x00 (escaped
 * to two bytes), plus terminators. N encodings are at most 21 bytes. Note
 * this is far above PT_STORE_MAX_KEY_LEN (511): callers must bound keys
 * before storing them. */
#define PT_KEY_MAX_LEN (PT_KEY_PREFIX_LEN + (2 * 2048 + 2) + (2 * 1024 + 2))

/* Hash of the partition key value (type and bytes; N hashed by canonical text).
 * Stored in every key, so its values are part of the on-disk format. */
uint32_t pt_key_hash(const pt_av_t *partition_key);

/* Appends the encoding of one key value (type S, N or B) to out. An N must
 * hold valid number text (as av.c produces); other types are a caller bug. */
void pt_key_encode_value(const pt_av_t *v, pt_buf_t *out);
/* Decodes one key value of the given type from in; returns bytes consumed or
 * 0 if malformed, truncated or `type` is not S, N or B (never reads past
 * in[len-1]). S/B bytes and N text are allocated from arena and followed by
 * a NUL that `len` does not count; N text is canonical. */
size_t pt_key_decode_value(pt_arena_t *arena, int type, const uint8_t *in, size_t len,
                           pt_av_t *out);

/* Full item key: prefix + partition key + optional sort key (sort_key may be NULL). */
void pt_key_encode(uint32_t table_id, uint8_t index_id, const pt_av_t *partition_key,
                   const pt_av_t *sort_key, pt_buf_t *out);
/* An upper bound of the length pt_key_encode appends for these values (sort_key may
 * be NULL). pt_key_encode never asks its buffer for more room than this in all, so
 * a pt_buf_t over caller memory of this capacity (len 0) is never reallocated:
 * pt_item_key encodes straight into arena memory that way. */
size_t pt_key_max_encoded_len(const pt_av_t *partition_key, const pt_av_t *sort_key);
/* Prefix of every key of a table / of a table's index: table_id | index_id. */
void pt_key_table_prefix(uint32_t table_id, uint8_t index_id, pt_buf_t *out);

#endif
