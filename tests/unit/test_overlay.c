/* Unit tests for the overlay (store/overlay.c) and the reads of a durable
 * store whose LMDB commits are deferred (store_lmdb.c): versions and
 * deletions in the skiplist; a randomized model check in which every get,
 * seek, seek_le, next and prev of a read transaction, with changes of
 * direction, must equal a plain sorted model after every commit, flushed
 * or not, with long keys among short ones; and snapshot isolation of a
 * reader held across commits and flushes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/overlay.h"
#include "store/store.h"

static char dir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/pt_test_overlay_XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static bool node_is(const pt_ov_node_t *n, const char *key, const char *value)
{
    if (!n) return false;
    size_t kl, vl;
    const uint8_t *k = pt_ov_key(n, &kl), *v = pt_ov_value(n, &vl);
    if (kl != strlen(key) || memcmp(k, key, kl)) return false;
    if (!value) return pt_ov_deleted(n);
    return !pt_ov_deleted(n) && vl == strlen(value) && !memcmp(v, value, vl);
}

static void test_overlay_versions_and_visibility(void **state)
{
    (void)state;
    pt_overlay_t *o = pt_overlay_new(7);
    assert_int_equal(pt_overlay_base(o), 7);
    assert_int_equal(pt_overlay_published(o), 0);
    assert_int_equal(pt_overlay_add(o, "b", 1, "b1", 2, 1), 0);
    assert_int_equal(pt_overlay_add(o, "d", 1, "d1", 2, 1), 0);
    pt_overlay_publish(o, 1);
    assert_int_equal(pt_overlay_add(o, "b", 1, NULL, 0, 2), 0);     /* delete b */
    assert_int_equal(pt_overlay_add(o, "c", 1, "c2", 2, 2), 0);
    assert_int_equal(pt_overlay_add(o, "d", 1, "d2", 2, 2), 0);
    /* not yet published, but a reader at 1 ignores them anyway */
    assert_true(node_is(pt_overlay_get(o, "b", 1, 1), "b", "b1"));
    assert_null(pt_overlay_get(o, "c", 1, 1));
    assert_true(node_is(pt_overlay_get(o, "b", 1, 2), "b", NULL));
    assert_true(node_is(pt_overlay_get(o, "d", 1, 2), "d", "d2"));
    assert_null(pt_overlay_get(o, "a", 1, 2));
    assert_null(pt_overlay_get(o, "bb", 2, 2));
    /* seek / seek_le see the newest visible version of each key, deletions included */
    assert_true(node_is(pt_overlay_seek(o, "a", 1, false, 1), "b", "b1"));
    assert_true(node_is(pt_overlay_seek(o, "b", 1, true, 1), "d", "d1"));   /* c is invisible at 1 */
    assert_true(node_is(pt_overlay_seek(o, "b", 1, true, 2), "c", "c2"));
    assert_true(node_is(pt_overlay_seek(o, "b", 1, false, 2), "b", NULL));
    assert_null(pt_overlay_seek(o, "d", 1, true, 2));
    assert_true(node_is(pt_overlay_seek_le(o, "z", 1, false, 2), "d", "d2"));
    assert_true(node_is(pt_overlay_seek_le(o, "d", 1, true, 1), "b", "b1"));
    assert_true(node_is(pt_overlay_seek_le(o, "d", 1, false, 2), "d", "d2"));
    assert_true(node_is(pt_overlay_seek_le(o, NULL, 0, false, 1), "d", "d1"));
    assert_null(pt_overlay_seek_le(o, "b", 1, true, 2));
    pt_overlay_unref(o);
}

static void test_overlay_hot_key_has_many_versions(void **state)
{
    (void)state;
    pt_overlay_t *o = pt_overlay_new(1);
    char v[16];
    for (uint64_t seq = 1; seq <= 5000; seq++) {
        snprintf(v, sizeof v, "%llu", (unsigned long long)seq);
        assert_int_equal(pt_overlay_add(o, "hot", 3, v, strlen(v), seq), 0);
        assert_int_equal(pt_overlay_add(o, "cold", 4, v, strlen(v), seq), 0);
    }
    pt_overlay_publish(o, 5000);
    assert_true(node_is(pt_overlay_get(o, "hot", 3, 4321), "hot", "4321"));
    assert_true(node_is(pt_overlay_seek(o, "cold", 4, true, 77), "hot", "77"));
    assert_true(node_is(pt_overlay_seek_le(o, "hot", 3, true, 5000), "cold", "5000"));
    pt_overlay_unref(o);
}

/* ---- the model check ---- */

#define NKEYS 48
#define LONG_LEN 600

static char *keys[NKEYS];
static size_t key_len[NKEYS];
static char model[NKEYS][32];   /* "" = absent */

/* Keys in byte order by index: short ones, and long ones (over LMDB's
 * 511-byte limit) that differ early, so their order is bytewise too. */
static void make_keys(void)
{
    for (int i = 0; i < NKEYS; i++) {
        bool is_long = i % 5 == 3;
        key_len[i] = is_long ? LONG_LEN : 6;
        keys[i] = malloc(key_len[i]);
        snprintf(keys[i], 7, "k%04d", i);
        keys[i][5] = 'x';
        if (is_long) memset(keys[i] + 6, 'L', LONG_LEN - 6);
        model[i][0] = 0;
    }
}

static void free_keys(void)
{
    for (int i = 0; i < NKEYS; i++) free(keys[i]);
}

static int index_of(pt_slice_t k)
{
    for (int i = 0; i < NKEYS; i++)
        if (k.len == key_len[i] && !memcmp(k.data, keys[i], k.len)) return i;
    return -1;
}

static void expect_entry(int rc, pt_slice_t k, pt_slice_t v, int want)
{
    if (want < 0) {
        assert_int_equal(rc, PT_NOTFOUND);
        return;
    }
    assert_int_equal(rc, PT_OK);
    assert_int_equal(index_of(k), want);
    assert_int_equal(v.len, strlen(model[want]));
    assert_memory_equal(v.data, model[want], v.len);
}

static int next_present(int from, int step)
{
    for (int i = from; i >= 0 && i < NKEYS; i += step)
        if (model[i][0]) return i;
    return -1;
}

static void verify(pt_store_t *s, unsigned *rng)
{
    pt_txn_t *t;
    pt_error_t err;
    pt_slice_t k, v;
    assert_int_equal(pt_txn_begin(s, PT_TXN_READ, NULL, &t, &err), PT_OK);
    for (int i = 0; i < NKEYS; i++) {
        int rc = pt_get(t, pt_slice(keys[i], key_len[i]), &v, &err);
        if (!model[i][0]) {
            assert_int_equal(rc, PT_NOTFOUND);
        } else {
            assert_int_equal(rc, PT_OK);
            assert_int_equal(v.len, strlen(model[i]));
            assert_memory_equal(v.data, model[i], v.len);
        }
    }
    pt_cursor_t *c;
    assert_int_equal(pt_cursor_open(t, &c, &err), PT_OK);
    /* whole scans, both ways */
    int want = next_present(0, 1);
    int rc = pt_cursor_seek(c, pt_slice("", 0), &k, &v, &err);
    while (want >= 0) {
        expect_entry(rc, k, v, want);
        want = next_present(want + 1, 1);
        rc = pt_cursor_next(c, &k, &v, &err);
    }
    expect_entry(rc, k, v, -1);
    pt_cursor_close(c);
    assert_int_equal(pt_cursor_open(t, &c, &err), PT_OK);
    want = next_present(NKEYS - 1, -1);
    rc = pt_cursor_prev(c, &k, &v, &err);   /* fresh cursor: the last entry */
    while (want >= 0) {
        expect_entry(rc, k, v, want);
        want = next_present(want - 1, -1);
        rc = pt_cursor_prev(c, &k, &v, &err);
    }
    expect_entry(rc, k, v, -1);
    /* random seeks with a few moves each way, changing direction */
    for (int round = 0; round < 40; round++) {
        int i = (int)(rand_r(rng) % NKEYS);
        bool le = rand_r(rng) & 1;
        rc = le ? pt_cursor_seek_le(c, pt_slice(keys[i], key_len[i]), &k, &v, &err)
                : pt_cursor_seek(c, pt_slice(keys[i], key_len[i]), &k, &v, &err);
        int at = le ? next_present(i, -1) : next_present(i, 1);
        expect_entry(rc, k, v, at);
        if (at < 0) continue;
        for (int m = 0; m < 4; m++) {
            int step = rand_r(rng) & 1 ? 1 : -1;
            rc = step > 0 ? pt_cursor_next(c, &k, &v, &err) : pt_cursor_prev(c, &k, &v, &err);
            at = next_present(at + step, step);
            expect_entry(rc, k, v, at);
            if (at < 0) break;
        }
    }
    pt_cursor_close(c);
    assert_int_equal(pt_txn_commit(t, &err), PT_OK);
}

static void test_reads_merge_overlay_and_lmdb_exactly(void **state)
{
    (void)state;
    make_keys();
    pt_store_options_t o = {.path = dir, .durable = true, .map_size = (size_t)64 << 20};
    pt_store_t *s;
    pt_error_t err;
    assert_int_equal(pt_store_open(&o, &s, &err), PT_OK);
    unsigned rng = 12345;
    for (int round = 0; round < 300; round++) {
        pt_txn_t *t;
        assert_int_equal(pt_txn_begin(s, PT_TXN_WRITE, NULL, &t, &err), PT_OK);
        int n = 1 + (int)(rand_r(&rng) % 6);
        for (int j = 0; j < n; j++) {
            int i = (int)(rand_r(&rng) % NKEYS);
            if (rand_r(&rng) % 3 == 0) {
                int rc = pt_del(t, pt_slice(keys[i], key_len[i]), &err);
                assert_int_equal(rc, model[i][0] ? PT_OK : PT_NOTFOUND);
                model[i][0] = 0;
            } else {
                snprintf(model[i], sizeof model[i], "v%d-%d", i, round);
                assert_int_equal(pt_put(t, pt_slice(keys[i], key_len[i]),
                                        pt_slice(model[i], strlen(model[i])), &err), PT_OK);
            }
        }
        assert_int_equal(pt_txn_commit(t, &err), PT_OK);
        if (rand_r(&rng) % 4 == 0) assert_int_equal(pt_store_flush(s, &err), PT_OK);
        verify(s, &rng);
    }
    /* what was never flushed comes back from the log */
    pt_store_close(s);
    assert_int_equal(pt_store_open(&o, &s, &err), PT_OK);
    verify(s, &rng);
    pt_store_close(s);
    free_keys();
}

static void test_reader_keeps_its_snapshot_across_commits_and_flushes(void **state)
{
    (void)state;
    pt_store_options_t o = {.path = dir, .durable = true, .map_size = (size_t)64 << 20};
    pt_store_t *s;
    pt_error_t err;
    pt_txn_t *w, *r1, *r2;
    pt_slice_t v;
    assert_int_equal(pt_store_open(&o, &s, &err), PT_OK);
    assert_int_equal(pt_txn_begin(s, PT_TXN_WRITE, NULL, &w, &err), PT_OK);
    assert_int_equal(pt_put(w, pt_slice("a", 1), pt_slice("1", 1), &err), PT_OK);
    assert_int_equal(pt_txn_commit(w, &err), PT_OK);
    assert_true(pt_store_flush_pending(s));
    assert_int_equal(pt_txn_begin(s, PT_TXN_READ, NULL, &r1, &err), PT_OK);   /* a=1 from the overlay */

    assert_int_equal(pt_txn_begin(s, PT_TXN_WRITE, NULL, &w, &err), PT_OK);
    assert_int_equal(pt_put(w, pt_slice("a", 1), pt_slice("2", 1), &err), PT_OK);
    assert_int_equal(pt_put(w, pt_slice("b", 1), pt_slice("2", 1), &err), PT_OK);
    assert_int_equal(pt_txn_commit(w, &err), PT_OK);
    assert_int_equal(pt_store_flush(s, &err), PT_OK);
    assert_false(pt_store_flush_pending(s));
    assert_int_equal(pt_txn_begin(s, PT_TXN_READ, NULL, &r2, &err), PT_OK);   /* LMDB alone */

    assert_int_equal(pt_txn_begin(s, PT_TXN_WRITE, NULL, &w, &err), PT_OK);
    assert_int_equal(pt_del(w, pt_slice("a", 1), &err), PT_OK);
    assert_int_equal(pt_txn_commit(w, &err), PT_OK);

    assert_int_equal(pt_get(r1, pt_slice("a", 1), &v, &err), PT_OK);
    assert_memory_equal(v.data, "1", 1);
    assert_int_equal(pt_get(r1, pt_slice("b", 1), &v, &err), PT_NOTFOUND);
    assert_int_equal(pt_get(r2, pt_slice("a", 1), &v, &err), PT_OK);
    assert_memory_equal(v.data, "2", 1);
    pt_txn_t *r3;
    assert_int_equal(pt_txn_begin(s, PT_TXN_READ, NULL, &r3, &err), PT_OK);
    assert_int_equal(pt_get(r3, pt_slice("a", 1), &v, &err), PT_NOTFOUND);
    assert_int_equal(pt_get(r3, pt_slice("b", 1), &v, &err), PT_OK);
    pt_txn_abort(r1);
    pt_txn_abort(r2);
    pt_txn_abort(r3);
    pt_store_close(s);
}

/* A big deferred transaction is committed to LMDB by itself: each op may
 * dirty its own page, held in memory until the commit. (A commit of one op
 * right after a flush stays deferred: see the test above.) */
static void test_flush_after_many_ops(void **state)
{
    (void)state;
    pt_store_options_t o = {.path = dir, .durable = true, .map_size = (size_t)64 << 20};
    pt_store_t *s;
    pt_error_t err;
    pt_txn_t *w, *r;
    pt_slice_t v;
    char k[16];
    assert_int_equal(pt_store_open(&o, &s, &err), PT_OK);
    assert_int_equal(pt_txn_begin(s, PT_TXN_WRITE, NULL, &w, &err), PT_OK);
    for (unsigned i = 0; i < PT_STORE_FLUSH_OPS; i++) {
        snprintf(k, sizeof k, "k%06u", i);
        assert_int_equal(pt_put(w, pt_slice(k, strlen(k)), pt_slice(k, strlen(k)), &err), PT_OK);
    }
    assert_int_equal(pt_txn_commit(w, &err), PT_OK);
    assert_false(pt_store_flush_pending(s));
    assert_int_equal(pt_txn_begin(s, PT_TXN_READ, NULL, &r, &err), PT_OK);   /* LMDB alone */
    assert_int_equal(pt_get(r, pt_slice("k002047", 7), &v, &err), PT_OK);
    assert_memory_equal(v.data, "k002047", 7);
    pt_txn_abort(r);
    pt_store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_overlay_versions_and_visibility),
        cmocka_unit_test(test_overlay_hot_key_has_many_versions),
        cmocka_unit_test_setup_teardown(test_reads_merge_overlay_and_lmdb_exactly, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reader_keeps_its_snapshot_across_commits_and_flushes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flush_after_many_ops, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
