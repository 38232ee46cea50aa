/* Unit tests for the ordered-KV store on LMDB (src/store/store_lmdb.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store.h"

/* ---- helpers ---- */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

static void rm_rf(const char *path)
{
    nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Every test runs twice: on a non-durable store (plain LMDB transactions)
 * and on a durable one (the log, the overlay and deferred LMDB commits:
 * top-level write transactions are children of one long LMDB transaction,
 * store_lmdb.c). */
static bool g_durable;

typedef struct fixture {
    char dir[64];
    pt_store_t *store;
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    strcpy(f->dir, "/tmp/pt_test_store_XXXXXX");
    if (!mkdtemp(f->dir)) return -1;
    pt_error_t err;
    pt_store_options_t o = {.path = f->dir, .durable = g_durable};
    if (pt_store_open(&o, &f->store, &err)) return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    pt_store_close(f->store);
    rm_rf(f->dir);
    free(f);
    return 0;
}

static pt_slice_t S(const char *s) { return pt_slice(s, strlen(s)); }

static void put_commit(pt_store_t *s, pt_slice_t k, pt_slice_t v)
{
    pt_error_t err;
    pt_txn_t *t;
    assert_int_equal(pt_txn_begin(s, PT_TXN_WRITE, NULL, &t, &err), PT_OK);
    assert_int_equal(pt_put(t, k, v, &err), PT_OK);
    assert_int_equal(pt_txn_commit(t, &err), PT_OK);
}

/* Asserts that `key` holds `expect` (NULL: absent) in a fresh read txn. */
static void assert_value(pt_store_t *s, pt_slice_t key, const char *expect)
{
    pt_error_t err;
    pt_txn_t *t;
    pt_slice_t v;
    assert_int_equal(pt_txn_begin(s, PT_TXN_READ, NULL, &t, &err), PT_OK);
    int rc = pt_get(t, key, &v, &err);
    if (!expect) {
        assert_int_equal(rc, PT_NOTFOUND);
    } else {
        assert_int_equal(rc, PT_OK);
        assert_int_equal(v.len, strlen(expect));
        assert_memory_equal(v.data, expect, v.len);
    }
    pt_txn_abort(t);
}

static void assert_slice(pt_slice_t got, pt_slice_t want)
{
    assert_int_equal(got.len, want.len);
    assert_memory_equal(got.data, want.data, want.len);
}

/* ---- point operations ---- */

static void test_put_get_del_round_trip(void **state)
{
    fixture_t *f = *state;
    pt_error_t err;
    pt_txn_t *t;
    const uint8_t bin[] = {0x00, 0xFF, 0x00, 0x7F};
    assert_int_equal(pt_txn_begin(f->store, PT_TXN_WRITE, NULL, &t, &err), PT_OK);
    assert_int_equal(pt_put(t, S("k1"), S("v1"), &err), PT_OK);
    assert_int_equal(pt_put(t, pt_slice(bin, 4), pt_slice(bin, 4), &err), PT_OK);
    assert_int_equal(pt_put(t, S("k1"), S("v1-overwritten"), &err), PT_OK);
    pt_slice_t v;
    assert_int_equal(pt_get(t, S("k1"), &v, &err), PT_OK);   /* own writes visible */
    assert_slice(v, S("v1-overwritten"));
    assert_int_equal(pt_txn_commit(t, &err), PT_OK);

    assert_value(f->store, S("k1"), "v1-overwritten");
    assert_int_equal(pt_txn_begin(f->store, PT_TXN_READ, NULL, &t, &err), PT_OK);
    assert_int_equal(pt_get(t, pt_slice(bin, 4), &v, &err), PT_OK);
    assert_slice(v, pt_slice(bin, 4));
    assert_int_equal(pt_get(t, S("k2"), &v, &err), PT_NOTFOUND);
    pt_txn_abort(t);

    assert_int_equal(pt_txn_begin(f->store, PT_TXN_WRITE, NULL, &t, &err), PT_OK);
    assert_int_equal(pt_del(t, S("k1"), &err), PT_OK);
    assert_int_equal(pt_del(t, S("k1"), &err), PT_NOTFOUND);
    assert_int_equal(pt_del(t, S("never"), &err), PT_NOTFOUND);
    assert_int_equal(pt_txn_commit(t, &err), PT_OK);
    assert_value(f->store, S("k1"), NULL);
}

static void test_put_replacing_reports_the_replaced_value(void **state)
{
    fixture_t *f = *state;
    pt_error_t err;
    pt_txn_t *t;
    uint8_t head[4];
    size_t old_len;
    char long_key[600];
    memset(long_key, 'L', sizeof long_key);
    pt_slice_t lk = pt_slice(long_key, sizeof long_key);
    assert_int_equal(pt_txn_begin(f->store, PT_TXN_WRITE, NULL, &t, &err), PT_OK);
    assert_int_equal(pt_put_replacing(t, S("k"), S("first"), head, sizeof head, &old_len, &err), PT_OK);
    assert_true(old_len == PT_STORE_NO_OLD);
    assert_int_equal(pt_put_replacing(t, S("k"), S("second"), head, sizeof head, &old_len, &err), PT_OK);
    assert_int_equal(old_len, 5);
    assert_memory_equal(head, "firs", 4);
    assert_int_equal(pt_put_replacing(t, S("k"), S("3"), head, sizeof head, &old_len, &err), PT_OK);
    assert_int_equal(old_len, 6);
    assert_memory_equal(head, "seco", 4);
    assert_int_equal(pt_put_replacing(t, lk, S("x"), head, sizeof head, &old_len, &err), PT_OK);
    assert_true(old_len == PT_STORE_NO_OLD);
    assert_int_equal(pt_put_replacing(t, lk, S("yz"), head, sizeof head, &old_len, &err), PT_OK);
    assert_int_equal(old_len, 1);
    assert_int_equal(head[0], 'x');
    assert_int_equal(pt_txn_commit(t, &err), PT_OK);
    for (int pass = 0; pass < 2; pass++) {   /* durable: from the log's overlay, then from LMDB */
        assert_value(f->store, S("k"), "3");
        assert_value(f->store, lk, "yz");
        assert_int_equal(pt_store_flush(f->store, &err), PT_OK);
    }
    assert_int_equal(pt_txn_begin(f->store, PT_TXN_READ, NULL, &t, &err), PT_OK);
    assert_int_equal(pt_put_replacing(t, S("k"), S("no"), head, sizeof head, &old_len, &err), PT_ERR);
    pt_txn_abort(t);
}

static void test_put_empty_value_is_stored(void **state)
{
    fixture_t *f = *state;
    put_commit(f->store, S("k"), pt_slice("", 0));
    assert_value(f->store, S("k"), "");
}

static void test_put_rejects_empty_and_oversized_keys(void **state)
{
    fixture_t *f = *state;
    pt_error_t err;
    pt_txn_t *t;
    static char big[PT_STORE_MAX_KEY_LEN + 1];
    memset(big, 'x', sizeof big);
    assert_int_equal(pt_txn_begin(f->store, PT_TXN_WRITE, NULL, &t, &err), PT_OK);
    assert_int_equal(pt_put(t, pt_slice(big, PT_STORE_MAX_KEY_LEN), S("max"), &err), PT_OK);
    assert_int_equal(pt_put(t, pt_slice(big, sizeof big), S("v"), &err), PT_ERR);
    assert_string_equal(err.type, PT_E_INTERNAL);
    assert_int_equal(err.status, 500);
    assert_non_null(strstr(err.message, "8193 bytes exceeds"));
    assert_int_equal(pt_put(t, pt_slice("", 0), S("v"), &err), PT_ERR);
    assert_non_null(strstr(err.message, "empty key"));
    pt_slice_t v;
    assert_int_equal(pt_get(t, pt_slice(big, sizeof big), &v, &err), PT_NOTFOUND);
    assert_int_equal(pt_get(t, pt_slice("", 0), &v, &err), PT_NOTFOUND);
    /* The failed puts did not poison the transaction. */
    assert_int_equal(pt_txn_commit(t, &err), PT_OK);
    assert_value(f->store, pt_slice(big, PT_STORE_MAX_KEY_LEN), "max");
}

/* Keys beyond LMDB's 511 bytes (DynamoDB keys reach ~3 KB encoded) are
 * stored in long form: each one round-trips exactly, keys that share a long
 * prefix stay distinct, deletes touch only their own key, and cursors return
 * the logical keys in order around short ones. */
static void test_long_keys_round_trip_and_iterate_in_order(void **state)
{
    fixture_t *f = *state;
    pt_error_t err;
    pt_txn_t *t;
    static char a[600], b[600], c2[4000], d[511], e[510];
    memset(a, 'm', sizeof a);
    memcpy(b, a, sizeof b);
    b[599] = 'n';                      /* differs from a only in its last byte */
    memset(c2, 'm', sizeof c2);        /* extends a */
    memset(d, 'm', sizeof d);          /* exactly the first long length */
    memset(e, 'm', sizeof e);          /* the longest short key */
    struct { const char *k; size_t n; const char *v; } keys[] = {
        {a, sizeof a, "a"}, {b, sizeof b, "b"}, {c2, sizeof c2, "c"}, {d, sizeof d, "d"}, {e, sizeof e, "e"},
    };
    assert_int_equal(pt_txn_begin(f->store, PT_TXN_WRITE, NULL, &t, &err), PT_OK);
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(pt_put(t, pt_slice(keys[i].k, keys[i].n), S(keys[i].v), &err), PT_OK);
    assert_int_equal(pt_put(t, S("l"), S("before"), &err), PT_OK);
    assert_int_equal(pt_put(t, S("n"), S("after"), &err), PT_OK);
    assert_int_equal(pt_txn_commit(t, &err), PT_OK);
    for (size_t i = 0; i < 5; i++) assert_value(f->store, pt_slice(keys[i].k, keys[i].n), keys[i].v);

    /* A long key that was never stored is not found even though its prefix is. */
    static char absent[700];
    memset(absent, 'm', sizeof absent);
    assert_value(f->store, pt_slice(absent, sizeof absent), NULL);

    /* Iteration: "l" < all the m... keys < "n", each long key returned whole. */
    pt_cursor_t *c;
    pt_slice_t k, v;
    assert_int_equal(pt_txn_begin(f->store, PT_TXN_READ, NULL, &t, &err), PT_OK);
    assert_int_equal(pt_cursor_open(t, &c, &err), PT_OK);
    assert_int_equal(pt_cursor_seek(c, S("l"), &k, &v, &err), PT_OK);
    assert_slice(v, S("before"));
    int seen = 0;
    while (pt_cursor_next(c, &k, &v, &err) == PT_OK && !(k.len == 1 && ((const char *)k.data)[0] == 'n')) {
        bool matched = false;
        for (size_t i = 0; i < 5; i++)
            if (k.len == keys[i].n && !memcmp(k.data, keys[i].k, k.len)) {
                assert_slice(v, S(keys[i].v));
                matched = true;
            }
        assert_true(matched);
        seen++;
    }
    assert_int_equal(seen, 5);
    assert_slice(v, S("after"));
    /* Seeking to a stored long key lands on it. */
    assert_int_equal(pt_cursor_seek(c, pt_slice(c2, sizeof c2), &k, &v, &err), PT_OK);
    assert_slice(k, pt_slice(c2, sizeof c2));
    assert_int_equal(pt_cursor_seek_le(c, pt_slice(b, sizeof b), &k, &v, &err), PT_OK);
    assert_slice(v, S("b"));
    pt_cursor_close(c);
    pt_txn_abort(t);

    /* Deleting one long key leaves its prefix-sharing neighbours alone. */
    assert_int_equal(pt_txn_begin(f->store, PT_TXN_WRITE, NULL, &t, &err), PT_OK);
    assert_int_equal(pt_del(t, pt_slice(absent, sizeof absent), &err), PT_NOTFOUND);
    assert_int_equal(pt_del(t, pt_slice(a, sizeof a), &err), PT_OK);
    assert_int_equal(pt_txn_commit(t, &err), PT_OK);
    assert_value(f->store, pt_slice(a, sizeof a), NULL);
    assert_value(f->store, pt_slice(b, sizeof b), "b");
    assert_value(f->store, pt_slice(c2, sizeof c2), "c");
}

static void test_put_in_read_txn_fails(void **state)
{
    fixture_t *f = *state;
    pt_error_t err;
    pt_txn_t *t;
    assert_int_equal(pt_txn_begin(f->store, PT_TXN_READ, NULL, &t, &err), PT_OK);
    assert_int_equal(pt_put(t, S("k"), S("v"), &err), PT_ERR);
    assert_string_equal(err.type, PT_E_INTERNAL);
    assert_int_equal(pt_del(t, S("k"), &err), PT_ERR);
    pt_txn_abort(t);
}

/* ---- cursors ---- */

/* memcmp order of the keys below. "ab" < "a\xff" because 'b' < 0xFF. */
static const struct { const char *d; size_t n; } ordered[] = {
    {"\x00", 1}, {"a", 1}, {"a\x00", 2}, {"a\x00\x01", 3}, {"ab", 2},
    {"abc", 3}, {"a\xff", 2}, {"b", 1}, {"\xff\xff", 2},
};
#define NORDERED (sizeof ordered / sizeof ordered[0])

static pt_slice_t ord(size_t i) { return pt_slice(ordered[i].d, ordered[i].n); }

static void load_ordered(pt_store_t *s)
{
    pt_error_t err;
    pt_txn_t *t;
    assert_int_equal(pt_txn_begin(s, PT_TXN_WRITE, NULL, &t, &err), PT_OK);
    for (size_t i = NORDERED; i-- > 0;) {   /* insert in reverse */
        char val[24];
        snprintf(val, sizeof val, "v%zu", i);
        assert_int_equal(pt_put(t, ord(i), S(val), &err), PT_OK);
    }
    assert_int_equal(pt_txn_commit(t, &err), PT_OK);
}

static void test_cursor_next_and_prev_walk_keys_in_memcmp_order(void **state)
{
    fixture_t *f = *state;
    load_ordered(f->store);
    pt_error_t err;
    pt_txn_t *t;
    pt_cursor_t *c;
    pt_slice_t k, v;
    assert_int_equal(pt_txn_begin(f->store, PT_TXN_READ, NULL, &t, &err), PT_OK);
    assert_int_equal(pt_cursor_open(t, &c, &err), PT_OK);
    for (size_t i = 0; i < NORDERED; i++) {   /* next on a fresh cursor: first */
        assert_int_equal(pt_cursor_next(c, &k, &v, &err), PT_OK);
        assert_slice(k, ord(i));
        char val[24];
        snprintf(val, sizeof val, "v%zu", i);
        assert_slice(v, S(val));
    }
    assert_int_equal(pt_cursor_next(c, &k, &v, &err), PT_NOTFOUND);
    pt_cursor_close(c);

    assert_int_equal(pt_cursor_open(t, &c, &err), PT_OK);
    for (size_t i = NORDERED; i-- > 0;) {     /* prev on a fresh cursor: last */
        assert_int_equal(pt_cursor_prev(c, &k, &v, &err), PT_OK);
        assert_slice(k, ord(i));
    }
    assert_int_equal(pt_cursor_prev(c, &k, &v, &err), PT_NOTFOUND);
    pt_cursor_close(c);
    pt_txn_abort(t);
}

static void test_cursor_seek_finds_first_key_at_or_after(void **state)
{
    fixture_t *f = *state;
    load_ordered(f->store);
    pt_error_t err;
    pt_txn_t *t;
    pt_cursor_t *c;
    pt_slice_t k, v;
    assert_int_equal(pt_txn_begin(f->store, PT_TXN_READ, NULL, &t, &err), PT_OK);
    assert_int_equal(pt_cursor_open(t, &c, &err), PT_OK);

    assert_int_equal(pt_cursor_seek(c, S("ab"), &k, &v, &err), PT_OK);   /* exact */
    assert_slice(k, S("ab"));
    assert_slice(v, S("v4"));
    assert_int_equal(pt_cursor_next(c, &k, &v, &err), PT_OK);
    assert_slice(k, S("abc"));

    assert_int_equal(pt_cursor_seek(c, pt_slice("a\x00\x00", 3), &k, &v, &err), PT_OK);
    assert_slice(k, pt_slice("a\x00\x01", 3));                         /* between */
    assert_int_equal(pt_cursor_prev(c, &k, &v, &err), PT_OK);
    assert_slice(k, pt_slice("a\x00", 2));

    assert_int_equal(pt_cursor_seek(c, S("abd"), &k, &v, &err), PT_OK);  /* prefix gap */
    assert_slice(k, pt_slice("a\xff", 2));
    assert_int_equal(pt_cursor_seek(c, pt_slice("", 0), &k, &v, &err), PT_OK);
    assert_slice(k, ord(0));                                          /* empty: first */
    assert_int_equal(pt_cursor_seek(c, pt_slice("\xff\xff\x00", 3), &k, &v, &err),
                     PT_NOTFOUND);                                    /* past the end */
    assert_int_equal(pt_cursor_prev(c, &k, &v, &err), PT_OK);
    assert_slice(k, pt_slice("\xff\xff", 2));

    pt_cursor_close(c);
    pt_txn_abort(t);
}

static void test_cursor_seek_le_finds_last_key_at_or_before(void **state)
{
    fixture_t *f = *state;
    load_ordered(f->store);
    pt_error_t err;
    pt_txn_t *t;
    pt_cursor_t *c;
    pt_slice_t k, v;
    assert_int_equal(pt_txn_begin(f->store, PT_TXN_READ, NULL, &t, &err), PT_OK);
    assert_int_equal(pt_cursor_open(t, &c, &err), PT_OK);

    assert_int_equal(pt_cursor_seek_le(c, S("abc"), &k, &v, &err), PT_OK);   /* exact */
    assert_slice(k, S("abc"));
    assert_slice(v, S("v5"));
    assert_int_equal(pt_cursor_seek_le(c, S("abz"), &k, &v, &err), PT_OK);   /* between */
    assert_slice(k, S("abc"));
    assert_int_equal(pt_cursor_prev(c, &k, &v, &err), PT_OK);
    assert_slice(k, S("ab"));
    /* "a\x00\x00" sorts after "a\x00" and before "a\x00\x01". */
    assert_int_equal(pt_cursor_seek_le(c, pt_slice("a\x00\x00", 3), &k, &v, &err), PT_OK);
    assert_slice(k, pt_slice("a\x00", 2));
    assert_int_equal(pt_cursor_next(c, &k, &v, &err), PT_OK);
    assert_slice(k, pt_slice("a\x00\x01", 3));
    /* Past the end: the last key. */
    assert_int_equal(pt_cursor_seek_le(c, pt_slice("\xff\xff\xff", 3), &k, &v, &err), PT_OK);
    assert_slice(k, pt_slice("\xff\xff", 2));
    assert_int_equal(pt_cursor_next(c, &k, &v, &err), PT_NOTFOUND);
    /* Before the first key ("\x00" is first; nothing is <= "" ). */
    assert_int_equal(pt_cursor_seek_le(c, pt_slice("", 0), &k, &v, &err), PT_NOTFOUND);
    assert_int_equal(pt_cursor_seek_le(c, pt_slice("\x00", 1), &k, &v, &err), PT_OK);
    assert_slice(k, pt_slice("\x00", 1));

    pt_cursor_close(c);
    pt_txn_abort(t);

    /* A key smaller than every stored key. */
    put_commit(f->store, S("m"), S("only-after"));
    assert_int_equal(pt_txn_begin(f->store, PT_TXN_WRITE, NULL, &t, &err), PT_OK);
    assert_int_equal(pt_del(t, pt_slice("\x00", 1), &err), PT_OK);
    assert_int_equal(pt_cursor_open(t, &c, &err), PT_OK);
    assert_int_equal(pt_cursor_seek_le(c, pt_slice("\x00\x00", 2), &k, &v, &err), PT_NOTFOUND);
    assert_int_equal(pt_cursor_seek_le(c, S("a"), &k, &v, &err), PT_OK);
    assert_slice(k, S("a"));
    pt_cursor_close(c);
    pt_txn_abort(t);
}

static void test_cursor_seek_on_empty_store_finds_nothing(void **state)
{
    fixture_t *f = *state;
    pt_error_t err;
    pt_txn_t *t;
    pt_cursor_t *c;
    pt_slice_t k, v;
    assert_int_equal(pt_txn_begin(f->store, PT_TXN_READ, NULL, &t, &err), PT_OK);
    assert_int_equal(pt_cursor_open(t, &c, &err), PT_OK);
    assert_int_equal(pt_cursor_seek(c, S("a"), &k, &v, &err), PT_NOTFOUND);
    assert_int_equal(pt_cursor_seek_le(c, S("a"), &k, &v, &err), PT_NOTFOUND);
    assert_int_equal(pt_cursor_next(c, &k, &v, &err), PT_NOTFOUND);
    assert_int_equal(pt_cursor_prev(c, &k, &v, &err), PT_NOTFOUND);
    pt_cursor_close(c);
    pt_txn_abort(t);
}

static void test_cursor_del_while_iterating_continues_with_next_key(void **state)
{
    fixture_t *f = *state;
    load_ordered(f->store);
    pt_error_t err;
    pt_txn_t *t;
    pt_cursor_t *c;
    pt_slice_t k, v;
    assert_int_equal(pt_txn_begin(f->store, PT_TXN_WRITE, NULL, &t, &err), PT_OK);
    assert_int_equal(pt_cursor_open(t, &c, &err), PT_OK);
    /* Delete every key starting with 'a' (indexes 1..6). */
    int rc = pt_cursor_seek(c, S("a"), &k, &v, &err);
    int deleted = 0;
    while (rc == PT_OK && k.len > 0 && ((const char *)k.data)[0] == 'a') {
        assert_int_equal(pt_cursor_del(c, &err), PT_OK);
        deleted++;
        rc = pt_cursor_next(c, &k, &v, &err);
    }
    assert_int_equal(rc, PT_OK);
    assert_slice(k, S("b"));
    assert_int_equal(deleted, 6);
    pt_cursor_close(c);
    assert_int_equal(pt_txn_commit(t, &err), PT_OK);

    assert_int_equal(pt_txn_begin(f->store, PT_TXN_READ, NULL, &t, &err), PT_OK);
    assert_int_equal(pt_cursor_open(t, &c, &err), PT_OK);
    const size_t left[] = {0, 7, 8};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(pt_cursor_next(c, &k, &v, &err), PT_OK);
        assert_slice(k, ord(left[i]));
    }
    assert_int_equal(pt_cursor_next(c, &k, &v, &err), PT_NOTFOUND);
    pt_cursor_close(c);
    pt_txn_abort(t);
}

static void test_cursor_left_open_is_detached_when_txn_ends(void **state)
{
    fixture_t *f = *state;
    load_ordered(f->store);
    pt_error_t err;
    pt_txn_t *t;
    pt_cursor_t *rc_cur, *wc_cur, *closed;
    pt_slice_t k, v;
    assert_int_equal(pt_txn_begin(f->store, PT_TXN_READ, NULL, &t, &err), PT_OK);
    assert_int_equal(pt_cursor_open(t, &rc_cur, &err), PT_OK);
    assert_int_equal(pt_cursor_open(t, &closed, &err), PT_OK);
    pt_cursor_close(closed);   /* unlinks from the middle of the list */
    pt_txn_abort(t);
    assert_int_equal(pt_cursor_next(rc_cur, &k, &v, &err), PT_ERR);
    assert_non_null(strstr(err.message, "after its transaction ended"));
    pt_cursor_close(rc_cur);

    assert_int_equal(pt_txn_begin(f->store, PT_TXN_WRITE, NULL, &t, &err), PT_OK);
    assert_int_equal(pt_cursor_open(t, &wc_cur, &err), PT_OK);
    assert_int_equal(pt_txn_commit(t, &err), PT_OK);
    assert_int_equal(pt_cursor_seek(wc_cur, S("a"), &k, &v, &err), PT_ERR);
    assert_int_equal(pt_cursor_del(wc_cur, &err), PT_ERR);
    pt_cursor_close(wc_cur);
}

/* ---- transactions ---- */

static void test_nested_abort_keeps_parent_changes(void **state)
{
    fixture_t *f = *state;
    put_commit(f->store, S("shared"), S("before"));
    pt_error_t err;
    pt_txn_t *parent, *child;
    pt_slice_t v;
    assert_int_equal(pt_txn_begin(f->store, PT_TXN_WRITE, NULL, &parent, &err), PT_OK);
    assert_int_equal(pt_put(parent, S("p"), S("parent"), &err), PT_OK);

    assert_int_equal(pt_txn_begin(f->store, PT_TXN_WRITE, parent, &child, &err), PT_OK);
    assert_int_equal(pt_get(child, S("p"), &v, &err), PT_OK);   /* sees parent's write */
    assert_int_equal(pt_put(child, S("c1"), S("aborted"), &err), PT_OK);
    assert_int_equal(pt_put(child, S("shared"), S("aborted"), &err), PT_OK);
    assert_int_equal(pt_del(child, S("p"), &err), PT_OK);
    pt_txn_abort(child);

    assert_int_equal(pt_txn_begin(f->store, PT_TXN_WRITE, parent, &child, &err), PT_OK);
    assert_int_equal(pt_put(child, S("c2"), S("kept"), &err), PT_OK);
    assert_int_equal(pt_txn_commit(child, &err), PT_OK);

    assert_int_equal(pt_get(parent, S("p"), &v, &err), PT_OK);
    assert_slice(v, S("parent"));
    assert_int_equal(pt_get(parent, S("c1"), &v, &err), PT_NOTFOUND);
    assert_int_equal(pt_txn_commit(parent, &err), PT_OK);

    assert_value(f->store, S("p"), "parent");
    assert_value(f->store, S("c1"), NULL);
    assert_value(f->store, S("c2"), "kept");
    assert_value(f->store, S("shared"), "before");
}

/* Undoing a transaction must keep the commits before it that LMDB itself
 * has not committed yet (durable: they are in the overlay and in the
 * writer's open LMDB transaction), puts and deletions alike; checked in
 * the overlay and again after the deferred LMDB commit (LMDB alone). */
static void test_aborts_keep_earlier_unflushed_commits(void **state)
{
    fixture_t *f = *state;
    pt_error_t err;
    pt_txn_t *top, *child;
    put_commit(f->store, S("a"), S("1"));
    put_commit(f->store, S("b"), S("2"));
    assert_int_equal(pt_txn_begin(f->store, PT_TXN_WRITE, NULL, &top, &err), PT_OK);
    assert_int_equal(pt_del(top, S("b"), &err), PT_OK);
    assert_int_equal(pt_txn_commit(top, &err), PT_OK);
    put_commit(f->store, S("c"), S("3"));

    assert_int_equal(pt_txn_begin(f->store, PT_TXN_WRITE, NULL, &top, &err), PT_OK);
    assert_int_equal(pt_put(top, S("d"), S("4"), &err), PT_OK);
    assert_int_equal(pt_txn_begin(f->store, PT_TXN_WRITE, top, &child, &err), PT_OK);
    assert_int_equal(pt_put(child, S("a"), S("x"), &err), PT_OK);
    assert_int_equal(pt_put(child, S("b"), S("x"), &err), PT_OK);
    assert_int_equal(pt_del(child, S("c"), &err), PT_OK);
    pt_txn_abort(child);
    pt_slice_t v;
    assert_int_equal(pt_get(top, S("a"), &v, &err), PT_OK);
    assert_slice(v, S("1"));
    assert_int_equal(pt_get(top, S("b"), &v, &err), PT_NOTFOUND);
    assert_int_equal(pt_get(top, S("c"), &v, &err), PT_OK);
    assert_int_equal(pt_get(top, S("d"), &v, &err), PT_OK);   /* the parent's own write */
    assert_int_equal(pt_txn_begin(f->store, PT_TXN_WRITE, top, &child, &err), PT_OK);
    assert_int_equal(pt_put(child, S("e"), S("5"), &err), PT_OK);
    assert_int_equal(pt_txn_commit(child, &err), PT_OK);
    assert_int_equal(pt_txn_commit(top, &err), PT_OK);

    assert_int_equal(pt_txn_begin(f->store, PT_TXN_WRITE, NULL, &top, &err), PT_OK);
    assert_int_equal(pt_put(top, S("a"), S("y"), &err), PT_OK);
    assert_int_equal(pt_del(top, S("d"), &err), PT_OK);
    pt_txn_abort(top);

    for (int pass = 0; pass < 2; pass++) {
        assert_value(f->store, S("a"), "1");
        assert_value(f->store, S("b"), NULL);
        assert_value(f->store, S("c"), "3");
        assert_value(f->store, S("d"), "4");
        assert_value(f->store, S("e"), "5");
        assert_int_equal(pt_store_flush(f->store, &err), PT_OK);
    }
}

static void test_nested_txn_of_read_txn_is_refused(void **state)
{
    fixture_t *f = *state;
    pt_error_t err;
    pt_txn_t *r, *child;
    assert_int_equal(pt_txn_begin(f->store, PT_TXN_READ, NULL, &r, &err), PT_OK);
    assert_int_equal(pt_txn_begin(f->store, PT_TXN_WRITE, r, &child, &err), PT_ERR);
    assert_null(child);
    assert_int_equal(pt_txn_begin(f->store, PT_TXN_READ, r, &child, &err), PT_ERR);
    pt_txn_abort(r);
}

static void test_write_abort_discards_changes(void **state)
{
    fixture_t *f = *state;
    pt_error_t err;
    pt_txn_t *t;
    assert_int_equal(pt_txn_begin(f->store, PT_TXN_WRITE, NULL, &t, &err), PT_OK);
    assert_int_equal(pt_put(t, S("k"), S("v"), &err), PT_OK);
    pt_txn_abort(t);
    assert_value(f->store, S("k"), NULL);
}

static void test_read_txn_sees_snapshot_from_its_begin(void **state)
{
    fixture_t *f = *state;
    put_commit(f->store, S("k"), S("old"));
    pt_error_t err;
    pt_txn_t *r;
    pt_slice_t v;
    assert_int_equal(pt_txn_begin(f->store, PT_TXN_READ, NULL, &r, &err), PT_OK);
    put_commit(f->store, S("k"), S("new"));
    put_commit(f->store, S("added"), S("x"));
    assert_int_equal(pt_get(r, S("k"), &v, &err), PT_OK);
    assert_slice(v, S("old"));
    assert_int_equal(pt_get(r, S("added"), &v, &err), PT_NOTFOUND);
    assert_int_equal(pt_txn_commit(r, &err), PT_OK);   /* commit of a read txn ends it */
    /* A reused (renewed) read handle sees the latest commit. */
    assert_value(f->store, S("k"), "new");
    assert_value(f->store, S("added"), "x");
}

static void test_many_read_txns_open_at_once_and_reused(void **state)
{
    fixture_t *f = *state;
    put_commit(f->store, S("k"), S("v"));
    pt_error_t err;
    enum { OPEN = 300 };
    pt_txn_t *ts[OPEN];
    /* More simultaneous readers than the reuse cache holds, repeatedly: no
     * reader slot may leak (1024 slots would run out otherwise). */
    for (int round = 0; round < 10; round++) {
        for (int i = 0; i < OPEN; i++)
            assert_int_equal(pt_txn_begin(f->store, PT_TXN_READ, NULL, &ts[i], &err), PT_OK);
        for (int i = 0; i < OPEN; i++) {
            pt_slice_t v;
            assert_int_equal(pt_get(ts[i], S("k"), &v, &err), PT_OK);
            pt_txn_abort(ts[i]);
        }
    }
}

/* ---- persistence, backup, limits ---- */

static void test_data_survives_close_and_reopen(void **state)
{
    fixture_t *f = *state;
    pt_store_close(f->store);
    pt_error_t err;
    pt_store_options_t o = {.path = f->dir, .durable = true};
    assert_int_equal(pt_store_open(&o, &f->store, &err), PT_OK);
    put_commit(f->store, S("durable"), S("yes"));
    pt_store_close(f->store);
    assert_int_equal(pt_store_open(&o, &f->store, &err), PT_OK);
    assert_value(f->store, S("durable"), "yes");
}

static void test_open_creates_missing_directories(void **state)
{
    fixture_t *f = *state;
    char path[128];
    snprintf(path, sizeof path, "%s/a/b/c", f->dir);
    pt_error_t err;
    pt_store_t *s;
    pt_store_options_t o = {.path = path};
    assert_int_equal(pt_store_open(&o, &s, &err), PT_OK);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    put_commit(s, S("k"), S("v"));
    pt_store_close(s);
}

static void test_second_open_of_same_directory_fails(void **state)
{
    fixture_t *f = *state;
    pt_error_t err;
    pt_store_t *s;
    pt_store_options_t o = {.path = f->dir};
    assert_int_equal(pt_store_open(&o, &s, &err), PT_ERR);
    assert_null(s);
    assert_string_equal(err.type, PT_E_INTERNAL);
    assert_non_null(strstr(err.message, "in use"));
}

static void test_backup_copy_opens_and_contains_data(void **state)
{
    fixture_t *f = *state;
    load_ordered(f->store);
    put_commit(f->store, S("last"), S("write"));
    char path[128];
    snprintf(path, sizeof path, "%s/backup", f->dir);
    pt_error_t err;
    assert_int_equal(pt_store_flush(f->store, &err), PT_OK);   /* the backup copies LMDB's commits */
    assert_int_equal(pt_store_backup(f->store, path, &err), PT_OK);
    /* A second backup into the same directory would overwrite it: refused. */
    assert_int_equal(pt_store_backup(f->store, path, &err), PT_ERR);
    assert_string_equal(err.type, PT_E_INTERNAL);

    put_commit(f->store, S("after"), S("backup"));
    pt_store_t *b;
    pt_store_options_t o = {.path = path};
    assert_int_equal(pt_store_open(&o, &b, &err), PT_OK);
    assert_value(b, S("last"), "write");
    assert_value(b, S("after"), NULL);
    pt_txn_t *t;
    pt_cursor_t *c;
    pt_slice_t k, v;
    assert_int_equal(pt_txn_begin(b, PT_TXN_READ, NULL, &t, &err), PT_OK);
    assert_int_equal(pt_cursor_open(t, &c, &err), PT_OK);
    size_t n = 0;
    while (pt_cursor_next(c, &k, &v, &err) == PT_OK) n++;
    assert_int_equal(n, NORDERED + 1);
    pt_cursor_close(c);
    pt_txn_abort(t);
    pt_store_close(b);
}

static void test_map_full_fails_with_clear_error_and_store_stays_usable(void **state)
{
    fixture_t *f = *state;
    char path[128];
    snprintf(path, sizeof path, "%s/small", f->dir);
    pt_error_t err;
    pt_store_t *s;
    pt_store_options_t o = {.path = path, .map_size = 1 << 20, .durable = g_durable};
    assert_int_equal(pt_store_open(&o, &s, &err), PT_OK);
    pt_txn_t *t;
    static char big[64 << 10];
    memset(big, 'z', sizeof big);
    assert_int_equal(pt_txn_begin(s, PT_TXN_WRITE, NULL, &t, &err), PT_OK);
    int rc = PT_OK;
    for (int i = 0; i < 64 && rc == PT_OK; i++) {
        char key[16];
        snprintf(key, sizeof key, "big%02d", i);
        rc = pt_put(t, S(key), pt_slice(big, sizeof big), &err);
    }
    assert_int_equal(rc, PT_ERR);
    assert_string_equal(err.type, PT_E_INTERNAL);
    assert_non_null(strstr(err.message, "map is full (map size 1048576 bytes)"));
    pt_txn_abort(t);
    put_commit(s, S("small"), S("fits"));
    assert_value(s, S("small"), "fits");
    pt_store_close(s);
}

/* ---- concurrency ---- */

typedef struct reader_arg {
    pt_store_t *store;
    atomic_bool *stop;
    atomic_long snapshots;
    int failures;
    char why[160];   /* first failure, for the assertion message */
} reader_arg_t;

static void reader_fail(reader_arg_t *a, const char *what, const pt_error_t *err)
{
    if (a->failures++ == 0)
        snprintf(a->why, sizeof a->why, "%s: %.100s", what, err ? err->message : "");
}

/* Each commit writes the same counter to keys "a" and "z"; a consistent
 * snapshot always sees them equal, and the counter never goes back. */
static void *reader_main(void *p)
{
    reader_arg_t *a = p;
    pt_error_t err;
    unsigned long last = 0;
    while (!atomic_load(a->stop)) {
        pt_txn_t *t;
        if (pt_txn_begin(a->store, PT_TXN_READ, NULL, &t, &err)) {
            reader_fail(a, "begin", &err);
            continue;
        }
        pt_cursor_t *c = NULL;
        pt_slice_t k1, v1, k2, v2;
        if (pt_cursor_open(t, &c, &err) || pt_cursor_next(c, &k1, &v1, &err) ||
            pt_cursor_seek_le(c, S("zz"), &k2, &v2, &err)) {
            reader_fail(a, "cursor", &err);
        } else if (v1.len != sizeof(unsigned long) || v2.len != v1.len ||
                   memcmp(v1.data, v2.data, v1.len) != 0) {
            reader_fail(a, "inconsistent snapshot", NULL);
        } else {
            unsigned long now;
            memcpy(&now, v1.data, sizeof now);
            if (now < last) {
                char what[96];
                snprintf(what, sizeof what, "went back in time from %lu to %lu", last, now);
                reader_fail(a, what, NULL);
            }
            last = now;
        }
        pt_cursor_close(c);
        pt_txn_abort(t);
        a->snapshots++;
    }
    return NULL;
}

static void test_concurrent_readers_see_consistent_snapshots_during_commits(void **state)
{
    fixture_t *f = *state;
    unsigned long n = 0;
    put_commit(f->store, S("a"), pt_slice(&n, sizeof n));
    put_commit(f->store, S("z"), pt_slice(&n, sizeof n));
    /* At least COMMITS commits, and on until every reader has taken
     * MIN_SNAPSHOTS snapshots (threads may start late on a loaded machine). */
    enum { READERS = 16, COMMITS = 2000, MIN_SNAPSHOTS = 50, MAX_COMMITS = 1000000 };
    atomic_bool stop = false;
    pthread_t th[READERS];
    reader_arg_t args[READERS];
    for (int i = 0; i < READERS; i++) {
        args[i] = (reader_arg_t){.store = f->store, .stop = &stop};
        assert_int_equal(pthread_create(&th[i], NULL, reader_main, &args[i]), 0);
    }
    pt_error_t err;
    for (n = 1; n <= MAX_COMMITS; n++) {
        if (n > COMMITS) {
            int i = 0;
            while (i < READERS && atomic_load(&args[i].snapshots) >= MIN_SNAPSHOTS) i++;
            if (i == READERS) break;
        }
        pt_txn_t *t;
        assert_int_equal(pt_txn_begin(f->store, PT_TXN_WRITE, NULL, &t, &err), PT_OK);
        assert_int_equal(pt_put(t, S("a"), pt_slice(&n, sizeof n), &err), PT_OK);
        char filler[32];
        snprintf(filler, sizeof filler, "m%07lu", n);   /* grow the tree too */
        assert_int_equal(pt_put(t, S(filler), S(filler), &err), PT_OK);
        assert_int_equal(pt_put(t, S("z"), pt_slice(&n, sizeof n), &err), PT_OK);
        assert_int_equal(pt_txn_commit(t, &err), PT_OK);
    }
    atomic_store(&stop, true);
    for (int i = 0; i < READERS; i++) {
        pthread_join(th[i], NULL);
        if (args[i].failures) fail_msg("reader %d: %d failures, first: %s", i, args[i].failures,
                                       args[i].why);
        assert_true(atomic_load(&args[i].snapshots) >= MIN_SNAPSHOTS);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
        T(test_put_get_del_round_trip),
        T(test_put_replacing_reports_the_replaced_value),
        T(test_put_empty_value_is_stored),
        T(test_put_rejects_empty_and_oversized_keys),
        T(test_long_keys_round_trip_and_iterate_in_order),
        T(test_put_in_read_txn_fails),
        T(test_cursor_next_and_prev_walk_keys_in_memcmp_order),
        T(test_cursor_seek_finds_first_key_at_or_after),
        T(test_cursor_seek_le_finds_last_key_at_or_before),
        T(test_cursor_seek_on_empty_store_finds_nothing),
        T(test_cursor_del_while_iterating_continues_with_next_key),
        T(test_cursor_left_open_is_detached_when_txn_ends),
        T(test_nested_abort_keeps_parent_changes),
        T(test_aborts_keep_earlier_unflushed_commits),
        T(test_nested_txn_of_read_txn_is_refused),
        T(test_write_abort_discards_changes),
        T(test_read_txn_sees_snapshot_from_its_begin),
        T(test_many_read_txns_open_at_once_and_reused),
        T(test_data_survives_close_and_reopen),
        T(test_open_creates_missing_directories),
        T(test_second_open_of_same_directory_fails),
        T(test_backup_copy_opens_and_contains_data),
        T(test_map_full_fails_with_clear_error_and_store_stays_usable),
        T(test_concurrent_readers_see_consistent_snapshots_during_commits),
#undef T
    };
    g_durable = false;
    int failed = cmocka_run_group_tests_name("store, not durable", tests, NULL, NULL);
    g_durable = true;
    return failed + cmocka_run_group_tests_name("store, durable", tests, NULL, NULL);
}
