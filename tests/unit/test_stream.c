/* Unit tests for stream records (src/engine/stream.c): what pt_item_write
 * records for each kind of change and view type, read back from the store
 * and decoded; that a decode of any damaged value fails cleanly; the label
 * and view-name helpers. Driven through the in-process engine API. */
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
#include "engine/key.h"
#include "engine/stream.h"
#include "engine/worker.h"

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

typedef struct fixture {
    char dir[64];
    pt_engine_t *e;
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    strcpy(f->dir, "/tmp/pt_test_stream_XXXXXX");
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

static void ok(pt_engine_t *e, const char *op, const char *body)
{
    char *resp;
    int status;
    size_t len;
    pt_engine_call(e, op, body, strlen(body), &status, &resp, &len);
    if (status != 200) fprintf(stderr, "%s -> %d %s\n", op, status, resp);
    assert_int_equal(status, 200);
    free(resp);
}

static void create(pt_engine_t *e, const char *name, const char *view)
{
    char body[1024];
    snprintf(body, sizeof body,
             "{\"TableName\":\"%s\",\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"},"
             "{\"AttributeName\":\"sk\",\"AttributeType\":\"N\"}],"
             "\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"},{\"AttributeName\":\"sk\","
             "\"KeyType\":\"RANGE\"}],\"BillingMode\":\"PAY_PER_REQUEST\","
             "\"StreamSpecification\":{\"StreamEnabled\":true,\"StreamViewType\":\"%s\"}}",
             name, view);
    ok(e, "CreateTable", body);
}

/* Every record of the table's stream, decoded into `arena`. */
static int read_all(pt_engine_t *e, const char *name, pt_arena_t *arena, pt_stream_rec_t *out, int max)
{
    pt_table_t *t = pt_catalog_get(e, name, strlen(name));
    assert_non_null(t);
    pt_txn_t *txn;
    pt_error_t err;
    assert_int_equal(pt_txn_begin(e->store, PT_TXN_READ, NULL, &txn, &err), PT_OK);
    pt_cursor_t *cur;
    assert_int_equal(pt_cursor_open(txn, &cur, &err), PT_OK);
    pt_buf_t k = PT_BUF_INIT;
    pt_stream_key(t->id, 0, &k);
    pt_slice_t ck, cv;
    int n = 0;
    int rc = pt_cursor_seek(cur, pt_slice(k.data, k.len), &ck, &cv, &err);
    while (rc == PT_OK && ck.len == 13 && !memcmp(ck.data, k.data, 5)) {
        assert_true(n < max);
        assert_int_equal(pt_stream_decode(arena, ck, cv, &out[n], &err), PT_OK);
        /* a copy of every damaged form must fail to decode, never crash */
        for (size_t cut = 0; cut < cv.len; cut++) {
            pt_error_t e2;
            pt_stream_rec_t junk;
            assert_int_equal(pt_stream_decode(arena, ck, pt_slice(cv.data, cut), &junk, &e2), PT_ERR);
        }
        n++;
        rc = pt_cursor_next(cur, &ck, &cv, &err);
    }
    pt_buf_free(&k);
    pt_cursor_close(cur);
    pt_txn_abort(txn);
    pt_table_release(t);
    return n;
}

static const char *attr_s(const pt_av_t *item, const char *name)
{
    const pt_av_t *v = pt_item_get(item, name, strlen(name));
    return v ? v->u.str : NULL;
}

static void test_changes_are_recorded_by_view_type(void **state)
{
    fixture_t *f = *state;
    create(f->e, "both", "NEW_AND_OLD_IMAGES");
    create(f->e, "keys", "KEYS_ONLY");
    const char *tables[] = {"both", "keys"};
    for (int i = 0; i < 2; i++) {
        char b[512];
        snprintf(b, sizeof b, "{\"TableName\":\"%s\",\"Item\":{\"pk\":{\"S\":\"a\"},\"sk\":{\"N\":\"1\"},\"v\":{\"S\":\"one\"}}}", tables[i]);
        ok(f->e, "PutItem", b);
        ok(f->e, "PutItem", b); /* unchanged: no record */
        snprintf(b, sizeof b, "{\"TableName\":\"%s\",\"Item\":{\"pk\":{\"S\":\"a\"},\"sk\":{\"N\":\"1\"},\"v\":{\"S\":\"two\"}}}", tables[i]);
        ok(f->e, "PutItem", b);
        snprintf(b, sizeof b, "{\"TableName\":\"%s\",\"Key\":{\"pk\":{\"S\":\"a\"},\"sk\":{\"N\":\"1\"}}}", tables[i]);
        ok(f->e, "DeleteItem", b);
        ok(f->e, "DeleteItem", b); /* absent: no record */
    }
    pt_arena_t a;
    pt_arena_init(&a);
    pt_stream_rec_t r[8];
    assert_int_equal(read_all(f->e, "both", &a, r, 8), 3);
    assert_int_equal(r[0].event, PT_STREAM_INSERT);
    assert_int_equal(r[1].event, PT_STREAM_MODIFY);
    assert_int_equal(r[2].event, PT_STREAM_REMOVE);
    assert_true(r[0].seq < r[1].seq && r[1].seq < r[2].seq);
    assert_true(!r[0].has_old && r[0].has_new);
    assert_string_equal(attr_s(&r[1].old_image, "v"), "one");
    assert_string_equal(attr_s(&r[1].new_image, "v"), "two");
    assert_true(r[2].has_old && !r[2].has_new);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(r[i].keys.len, 2); /* pk and sk, nothing else */
        assert_string_equal(attr_s(&r[i].keys, "pk"), "a");
        assert_int_equal(r[i].origin, PT_WRITE_CLIENT);
        assert_true(r[i].size > 0);
    }
    /* SizeBytes: the keys plus the images the record holds */
    assert_true(r[1].size > r[0].size);

    assert_int_equal(read_all(f->e, "keys", &a, r, 8), 3);
    for (int i = 0; i < 3; i++) assert_true(!r[i].has_old && !r[i].has_new);
    pt_arena_destroy(&a);
}

static void test_disabled_stream_records_nothing_and_stays_after_reenabling(void **state)
{
    fixture_t *f = *state;
    create(f->e, "tab", "NEW_IMAGE");
    ok(f->e, "PutItem", "{\"TableName\":\"tab\",\"Item\":{\"pk\":{\"S\":\"a\"},\"sk\":{\"N\":\"1\"}}}");
    ok(f->e, "UpdateTable", "{\"TableName\":\"tab\",\"StreamSpecification\":{\"StreamEnabled\":false}}");
    ok(f->e, "PutItem", "{\"TableName\":\"tab\",\"Item\":{\"pk\":{\"S\":\"b\"},\"sk\":{\"N\":\"1\"}}}");
    pt_arena_t a;
    pt_arena_init(&a);
    pt_stream_rec_t r[4];
    assert_int_equal(read_all(f->e, "tab", &a, r, 4), 1);
    uint64_t first = r[0].seq;
    ok(f->e, "UpdateTable",
       "{\"TableName\":\"tab\",\"StreamSpecification\":{\"StreamEnabled\":true,\"StreamViewType\":\"OLD_IMAGE\"}}");
    ok(f->e, "DeleteItem", "{\"TableName\":\"tab\",\"Key\":{\"pk\":{\"S\":\"b\"},\"sk\":{\"N\":\"1\"}}}");
    /* the closed stream's record stays (readable for a day), the new one follows */
    assert_int_equal(read_all(f->e, "tab", &a, r, 4), 2);
    assert_int_equal(r[0].seq, first);
    assert_int_equal(r[1].event, PT_STREAM_REMOVE);
    assert_true(r[1].seq > first); /* numbers never repeat within a table */
    assert_true(r[1].has_old);
    pt_table_t *t = pt_catalog_get(f->e, "tab", 3);
    assert_int_equal(t->nstream_old, 1);
    assert_int_equal(t->stream_old[0].view, PT_STREAM_NEW_IMAGE);
    assert_int_equal(t->stream_old[0].end_seq, first);
    assert_int_equal(t->stream_start_seq, r[1].seq);
    pt_table_release(t);
    pt_arena_destroy(&a);
}

/* Counts the stream records stored under table id `id`. */
static int count_records(pt_engine_t *e, uint32_t id)
{
    pt_txn_t *txn;
    pt_error_t err;
    assert_int_equal(pt_txn_begin(e->store, PT_TXN_READ, NULL, &txn, &err), PT_OK);
    pt_cursor_t *cur;
    assert_int_equal(pt_cursor_open(txn, &cur, &err), PT_OK);
    pt_buf_t k = PT_BUF_INIT;
    pt_key_table_prefix(id, PT_KEY_INDEX_STREAM, &k);
    pt_slice_t ck, cv;
    int n = 0;
    int rc = pt_cursor_seek(cur, pt_slice(k.data, k.len), &ck, &cv, &err);
    while (rc == PT_OK && ck.len > k.len && !memcmp(ck.data, k.data, k.len)) {
        n++;
        rc = pt_cursor_next(cur, &ck, &cv, &err);
    }
    pt_buf_free(&k);
    pt_cursor_close(cur);
    pt_txn_abort(txn);
    return n;
}

static int dropped_count(pt_engine_t *e)
{
    pt_txn_t *txn;
    pt_error_t err;
    pt_arena_t a;
    pt_arena_init(&a);
    assert_int_equal(pt_txn_begin(e->store, PT_TXN_READ, NULL, &txn, &err), PT_OK);
    pt_stream_dropped_t *d;
    uint32_t n;
    assert_int_equal(pt_stream_dropped_list(txn, &a, &d, &n, &err), PT_OK);
    pt_txn_abort(txn);
    pt_arena_destroy(&a);
    return (int)n;
}

/* A writer job that moves the deletion time of every deleted table's
 * streams a day and an hour back. */
typedef struct age_job {
    pt_sync_job_t sync;
} age_job_t;

static int age_apply(pt_write_job_t *job, pt_txn_t *txn)
{
    age_job_t *j = (age_job_t *)job;
    pt_arena_t a;
    pt_arena_init(&a);
    pt_stream_dropped_t *d;
    uint32_t n;
    int rc = pt_stream_dropped_list(txn, &a, &d, &n, &j->sync.err);
    for (uint32_t i = 0; rc == PT_OK && i < n; i++) {
        pt_buf_t k = PT_BUF_INIT, v = PT_BUF_INIT;
        pt_catalog_meta_key(&k, 'D');
        pt_buf_put_u32be(&k, d[i].table_id);
        pt_buf_printf(&v, "{\"name\":\"%s\",\"uuid\":\"%s\",\"hash\":\"%s\",\"deleted\":%lld,\"streams\":[]}",
                      d[i].name, d[i].uuid, d[i].hash, (long long)(pt_now_ms() - PT_STREAM_RETENTION_MS - 3600000));
        rc = pt_put(txn, pt_slice(k.data, k.len), pt_slice(v.data, v.len), &j->sync.err);
        pt_buf_free(&k);
        pt_buf_free(&v);
    }
    pt_arena_destroy(&a);
    return rc;
}

static void test_deleted_tables_keep_their_streams_for_a_day(void **state)
{
    fixture_t *f = *state;
    create(f->e, "gone", "KEYS_ONLY");
    ok(f->e, "PutItem", "{\"TableName\":\"gone\",\"Item\":{\"pk\":{\"S\":\"a\"},\"sk\":{\"N\":\"1\"}}}");
    pt_table_t *t = pt_catalog_get(f->e, "gone", 4);
    uint32_t id = t->id;
    pt_table_release(t);
    ok(f->e, "DeleteTable", "{\"TableName\":\"gone\"}");
    assert_int_equal(count_records(f->e, id), 1);  /* kept with their record */
    assert_int_equal(dropped_count(f->e), 1);
    /* a day later, the next table creation purges both */
    age_job_t job = {.sync.job.apply = age_apply};
    assert_int_equal(pt_sync_job_run(f->e->writer, &job.sync), PT_OK);
    assert_int_equal(dropped_count(f->e), 0);   /* no longer readable */
    create(f->e, "next", "KEYS_ONLY");
    assert_int_equal(count_records(f->e, id), 0);
    pt_txn_t *txn;
    pt_error_t err;
    pt_arena_t a;
    pt_arena_init(&a);
    assert_int_equal(pt_txn_begin(f->e->store, PT_TXN_READ, NULL, &txn, &err), PT_OK);
    pt_buf_t k = PT_BUF_INIT;
    pt_catalog_meta_key(&k, 'D');
    pt_buf_put_u32be(&k, id);
    pt_slice_t v;
    assert_int_equal(pt_get(txn, pt_slice(k.data, k.len), &v, &err), PT_NOTFOUND);
    pt_buf_free(&k);
    pt_txn_abort(txn);
    pt_arena_destroy(&a);
}

static void test_labels_and_view_names(void **state)
{
    (void)state;
    char label[32];
    pt_stream_label(1796685053861LL, label, sizeof label);
    assert_string_equal(label, "2026-12-07T23:10:53.861");
    pt_stream_label(1796685053005LL, label, sizeof label);
    assert_string_equal(label, "2026-12-07T23:10:53.005");
    for (int v = PT_STREAM_KEYS_ONLY; v <= PT_STREAM_NEW_AND_OLD_IMAGES; v++) {
        const char *n = pt_stream_view_name(v);
        assert_int_equal(pt_stream_view_from_name(n, strlen(n)), v);
    }
    assert_null(pt_stream_view_name(0));
    assert_int_equal(pt_stream_view_from_name("NEW", 3), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_changes_are_recorded_by_view_type, setup, teardown),
        cmocka_unit_test_setup_teardown(test_disabled_stream_records_nothing_and_stays_after_reenabling, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_deleted_tables_keep_their_streams_for_a_day, setup, teardown),
        cmocka_unit_test(test_labels_and_view_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
