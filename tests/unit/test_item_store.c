/* Unit tests for the item write path's shortcuts (src/engine/item_store.c):
 * keys encoded straight into arena memory, the size-only read of an old
 * item, and table statistics accumulated per BatchWriteItem and written
 * once, which must stay exactly what one write at a time gives (including
 * overwrites, deletes of present and absent keys, two tables in one batch,
 * and a batch that fails in the writer and so must leave nothing). Driven
 * through the in-process engine API. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/engine.h"
#include "engine/item_store.h"
#include "engine/key.h"

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* ---- keys ---- */

static void check_key(const pt_av_t *hash, const pt_av_t *range)
{
    pt_arena_t a;
    pt_arena_init(&a);
    pt_table_t t = {.id = 77};
    pt_buf_t want = PT_BUF_INIT;
    pt_key_encode(t.id, 0, hash, range, &want);
    assert_true(want.len <= pt_key_max_encoded_len(hash, range));
    pt_slice_t got = pt_item_key(&a, &t, hash, range);
    assert_int_equal(got.len, want.len);
    assert_memory_equal(got.data, want.data, want.len);
    pt_buf_free(&want);
    pt_arena_destroy(&a);
}

static void test_item_key_matches_key_encode(void **state)
{
    (void)state;
    static const char zeros[2048] = {0}; /* worst case: every byte escaped */
    pt_av_t s = {.type = PT_AV_S, .len = 5, .u.str = "hello"};
    pt_av_t z = {.type = PT_AV_B, .len = sizeof zeros, .u.str = zeros};
    pt_av_t z1k = {.type = PT_AV_B, .len = 1024, .u.str = zeros};
    pt_av_t n = {.type = PT_AV_N, .len = 39, .u.str = "-1.2345678901234567890123456789012345E-1"};
    pt_av_t small = {.type = PT_AV_N, .len = 1, .u.str = "0"};
    n.len = (uint32_t)strlen(n.u.str);
    check_key(&s, NULL);
    check_key(&z, NULL);
    check_key(&z, &z1k);
    check_key(&s, &n);
    check_key(&n, &small);
}

/* ---- engine fixture ---- */

typedef struct fixture {
    char dir[64];
    pt_engine_t *e;
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    strcpy(f->dir, "/tmp/pt_test_item_store_XXXXXX");
    if (!mkdtemp(f->dir)) return -1;
    char err[256];
    pt_engine_options_t o = {.data_dir = f->dir, .no_sync = true};
    if (pt_engine_open(&o, &f->e, err, sizeof err)) return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    pt_engine_close(f->e);
    nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

static int call(pt_engine_t *e, const char *op, const char *body, char **out)
{
    int status;
    size_t len;
    pt_engine_call(e, op, body, strlen(body), &status, out, &len);
    return status;
}

static void ok(pt_engine_t *e, const char *op, const char *body)
{
    char *resp;
    int status = call(e, op, body, &resp);
    if (status != 200) fprintf(stderr, "%s -> %d %s\n", op, status, resp);
    assert_int_equal(status, 200);
    free(resp);
}

static void create(pt_engine_t *e, const char *name, bool gsi)
{
    char body[1024];
    if (gsi)
        snprintf(body, sizeof body,
                 "{\"TableName\":\"%s\",\"AttributeDefinitions\":[{\"AttributeName\":\"id\",\"AttributeType\":\"S\"},"
                 "{\"AttributeName\":\"g\",\"AttributeType\":\"S\"}],"
                 "\"KeySchema\":[{\"AttributeName\":\"id\",\"KeyType\":\"HASH\"}],\"BillingMode\":\"PAY_PER_REQUEST\","
                 "\"GlobalSecondaryIndexes\":[{\"IndexName\":\"by_g\",\"KeySchema\":[{\"AttributeName\":\"g\","
                 "\"KeyType\":\"HASH\"}],\"Projection\":{\"ProjectionType\":\"ALL\"}}]}",
                 name);
    else
        snprintf(body, sizeof body,
                 "{\"TableName\":\"%s\",\"AttributeDefinitions\":[{\"AttributeName\":\"id\",\"AttributeType\":\"S\"}],"
                 "\"KeySchema\":[{\"AttributeName\":\"id\",\"KeyType\":\"HASH\"}],\"BillingMode\":\"PAY_PER_REQUEST\"}",
                 name);
    ok(e, "CreateTable", body);
}

/* The table's statistics record, read in a snapshot. */
static void stats(pt_engine_t *e, const char *name, int64_t *items, int64_t *bytes)
{
    pt_table_t *t = pt_catalog_get(e, name, strlen(name));
    assert_non_null(t);
    pt_txn_t *txn;
    pt_error_t err;
    assert_int_equal(pt_txn_begin(e->store, PT_TXN_READ, NULL, &txn, &err), PT_OK);
    assert_int_equal(pt_catalog_get_stats(txn, t, items, bytes, &err), PT_OK);
    pt_txn_abort(txn);
    pt_table_release(t);
}

static void assert_same_stats(pt_engine_t *e, const char *a, const char *b)
{
    int64_t ia, ba, ib, bb;
    stats(e, a, &ia, &ba);
    stats(e, b, &ib, &bb);
    assert_int_equal(ia, ib);
    assert_int_equal(ba, bb);
}

/* A write request of the k-th key: a put with a value of `len` bytes (and
 * an index attribute when `g`), or (len < 0) a delete. */
static void append_request(pt_buf_t *b, int k, int len, bool g)
{
    if (len < 0) {
        pt_buf_printf(b, "{\"DeleteRequest\":{\"Key\":{\"id\":{\"S\":\"k%d\"}}}}", k);
        return;
    }
    pt_buf_printf(b, "{\"PutRequest\":{\"Item\":{\"id\":{\"S\":\"k%d\"},\"v\":{\"S\":\"", k);
    for (int i = 0; i < len; i++) pt_buf_putc(b, 'x');
    pt_buf_puts(b, "\"}");
    if (g) pt_buf_printf(b, ",\"g\":{\"S\":\"g%d\"}", k % 3);
    pt_buf_puts(b, "}}}");
}

static void single(pt_engine_t *e, const char *table, int k, int len, bool g)
{
    pt_buf_t b = PT_BUF_INIT;
    if (len < 0) {
        pt_buf_printf(&b, "{\"TableName\":\"%s\",\"Key\":{\"id\":{\"S\":\"k%d\"}}}", table, k);
        pt_buf_putc(&b, 0);
        ok(e, "DeleteItem", b.data);
    } else {
        pt_buf_printf(&b, "{\"TableName\":\"%s\",\"Item\":{\"id\":{\"S\":\"k%d\"},\"v\":{\"S\":\"", table, k);
        for (int i = 0; i < len; i++) pt_buf_putc(&b, 'x');
        pt_buf_puts(&b, "\"}");
        if (g) pt_buf_printf(&b, ",\"g\":{\"S\":\"g%d\"}", k % 3);
        pt_buf_puts(&b, "}}");
        pt_buf_putc(&b, 0);
        ok(e, "PutItem", b.data);
    }
    pt_buf_free(&b);
}

static void test_batch_statistics_are_exact(void **state)
{
    fixture_t *f = *state;
    pt_engine_t *e = f->e;
    create(e, "batched", false);
    create(e, "other", false);
    create(e, "single", false);
    create(e, "gbatched", true);
    create(e, "gsingle", true);
    unsigned seed = 12345;
    for (int round = 0; round < 40; round++) {
        int keys[10], lens[10];
        bool g[10];
        int n = 0;
        while (n < 10) { /* distinct keys among 30: overwrites, deletes of present and absent ones */
            seed = seed * 1103515245u + 12345u;
            int k = (int)((seed >> 16) % 30);
            bool dup = false;
            for (int j = 0; j < n; j++) dup |= keys[j] == k;
            if (dup) continue;
            keys[n] = k;
            lens[n] = (seed >> 8) % 4 == 0 ? -1 : (int)((seed >> 4) % 200);
            g[n] = (seed >> 12) & 1;
            n++;
        }
        const char *tables[2] = {"batched", "gbatched"};
        for (int ti = 0; ti < 2; ti++) {
            pt_buf_t b = PT_BUF_INIT;
            pt_buf_printf(&b, "{\"RequestItems\":{\"%s\":[", tables[ti]);
            for (int i = 0; i < n; i++) {
                if (i) pt_buf_putc(&b, ',');
                append_request(&b, keys[i], lens[i], g[i]);
            }
            pt_buf_puts(&b, "]");
            if (ti == 0) { /* a second table in the same batch */
                pt_buf_puts(&b, ",\"other\":[");
                append_request(&b, round, 10, false);
                pt_buf_puts(&b, "]");
            }
            pt_buf_puts(&b, "}}");
            pt_buf_putc(&b, 0);
            ok(e, "BatchWriteItem", b.data);
            pt_buf_free(&b);
        }
        for (int i = 0; i < n; i++) {
            single(e, "single", keys[i], lens[i], g[i]);
            single(e, "gsingle", keys[i], lens[i], g[i]);
        }
        assert_same_stats(e, "batched", "single");
        assert_same_stats(e, "gbatched", "gsingle");

        /* Fails in the writer after a first put went through (the index
         * attribute of the second has the wrong type): the batch's
         * transaction is rolled back, statistics and all. */
        char *resp;
        int status = call(e, "BatchWriteItem",
                          "{\"RequestItems\":{\"gbatched\":[{\"PutRequest\":{\"Item\":{\"id\":{\"S\":\"new1\"}}}},"
                          "{\"PutRequest\":{\"Item\":{\"id\":{\"S\":\"new2\"},\"g\":{\"N\":\"1\"}}}}]}}",
                          &resp);
        assert_int_equal(status, 400);
        free(resp);
        assert_same_stats(e, "gbatched", "gsingle");
    }
    int64_t items, bytes;
    stats(e, "other", &items, &bytes);
    assert_int_equal(items, 40);
}

/* pt_item_read_size gives the size pt_item_read does, without the item. */
static void test_read_size_matches_read(void **state)
{
    fixture_t *f = *state;
    pt_engine_t *e = f->e;
    create(e, "sized", false);
    single(e, "sized", 1, 123, false);
    pt_table_t *t = pt_catalog_get(e, "sized", 5);
    assert_non_null(t);
    pt_arena_t a;
    pt_arena_init(&a);
    pt_av_t present = {.type = PT_AV_S, .len = 2, .u.str = "k1"}, absent = {.type = PT_AV_S, .len = 2, .u.str = "k2"};
    pt_txn_t *txn;
    pt_error_t err;
    assert_int_equal(pt_txn_begin(e->store, PT_TXN_READ, NULL, &txn, &err), PT_OK);
    pt_stored_item_t full, sized;
    assert_int_equal(pt_item_read(txn, &a, pt_item_key(&a, t, &present, NULL), &full, &err), PT_OK);
    assert_int_equal(pt_item_read_size(txn, pt_item_key(&a, t, &present, NULL), &sized, &err), PT_OK);
    assert_int_equal(sized.size, full.size);
    assert_int_equal(sized.item.len, 0);
    assert_int_equal(pt_item_read_size(txn, pt_item_key(&a, t, &absent, NULL), &sized, &err), PT_NOTFOUND);
    pt_txn_abort(txn);
    assert_false(pt_item_write_needs_old(t));
    pt_arena_destroy(&a);
    pt_table_release(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_item_key_matches_key_encode),
        cmocka_unit_test_setup_teardown(test_batch_statistics_are_exact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_size_matches_read, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
