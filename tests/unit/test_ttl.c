/* Unit tests for Time to Live (src/engine/ttl.c): DynamoDB's expiry rule,
 * the expiry index kept by pt_item_write, and the sweeper, driven through
 * the in-process engine API. */
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
#include <time.h>
#include <unistd.h>

#include "engine/engine.h"
#include "engine/key.h"
#include "engine/ttl.h"

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) { return remove(path); }

static pt_av_t item_with(pt_arena_t *a, const char *attr, int type, const char *text)
{
    pt_av_member_t *m = pt_arena_calloc(a, sizeof *m);
    m->name = attr;
    m->name_len = (uint32_t)strlen(attr);
    m->value.type = (uint8_t)type;
    m->value.u.str = text;
    m->value.len = (uint32_t)strlen(text);
    pt_av_t item = {.type = PT_AV_M, .len = 1, .u.members = m};
    return item;
}

static void test_expiry_rule_follows_dynamodb(void **state)
{
    pt_arena_t a;
    pt_arena_init(&a);
    int64_t now_ms = 1700000000000LL, now_s = now_ms / 1000, exp;
    pt_av_t past = item_with(&a, "exp", PT_AV_N, "1699999990");
    pt_av_t future = item_with(&a, "exp", PT_AV_N, "1700000100.5");
    pt_av_t str = item_with(&a, "exp", PT_AV_S, "1699999990");
    pt_av_t old = item_with(&a, "exp", PT_AV_N, "1500000000");   /* > 5 years before now */
    pt_av_t neg = item_with(&a, "exp", PT_AV_N, "-5");
    pt_av_t huge = item_with(&a, "exp", PT_AV_N, "10000000000000000");
    pt_av_t fraction = item_with(&a, "exp", PT_AV_N, "1699999999.999");

    assert_true(pt_ttl_item_expired(&past, "exp", now_ms));
    assert_true(pt_ttl_item_expired(&fraction, "exp", now_ms));
    assert_false(pt_ttl_item_expired(&future, "exp", now_ms));
    assert_false(pt_ttl_item_expired(&str, "exp", now_ms));
    assert_false(pt_ttl_item_expired(&old, "exp", now_ms));
    assert_false(pt_ttl_item_expired(&neg, "exp", now_ms));
    assert_false(pt_ttl_item_expired(&past, "other", now_ms));

    assert_true(pt_ttl_item_expiry(&future, "exp", now_s, &exp));
    assert_int_equal(exp, 1700000100);
    assert_true(pt_ttl_item_expiry(&past, "exp", now_s, &exp));
    assert_int_equal(exp, 1699999990);
    assert_false(pt_ttl_item_expiry(&old, "exp", now_s, &exp));
    assert_false(pt_ttl_item_expiry(&neg, "exp", now_s, &exp));
    assert_false(pt_ttl_item_expiry(&huge, "exp", now_s, &exp));
    assert_false(pt_ttl_item_expiry(&str, "exp", now_s, &exp));
    pt_arena_destroy(&a);
}

typedef struct fixture {
    char dir[64];
    pt_engine_t *e;
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    strcpy(f->dir, "/tmp/pt_test_ttl_XXXXXX");
    if (!mkdtemp(f->dir)) return -1;
    char err[256];
    pt_engine_options_t o = {.data_dir = f->dir, .no_sync = true, .ttl_period_ms = 20};
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

/* Calls an operation; returns the HTTP status, the body in out (freed by caller). */
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

static void put(pt_engine_t *e, const char *id, const char *exp_json)
{
    char body[256];
    snprintf(body, sizeof body, "{\"TableName\":\"ttl\",\"Item\":{\"id\":{\"S\":\"%s\"}%s%s}}", id,
             exp_json ? ",\"exp\":" : "", exp_json ? exp_json : "");
    ok(e, "PutItem", body);
}

static bool present(pt_engine_t *e, const char *id)
{
    char body[128], *resp;
    snprintf(body, sizeof body, "{\"TableName\":\"ttl\",\"Key\":{\"id\":{\"S\":\"%s\"}}}", id);
    assert_int_equal(call(e, "GetItem", body, &resp), 200);
    bool found = strstr(resp, "\"Item\"") != NULL;
    free(resp);
    return found;
}

/* Number of expiry-index entries of the table (id 1: the first table). */
static int index_entries(pt_engine_t *e)
{
    pt_txn_t *txn;
    pt_cursor_t *cur;
    pt_error_t err;
    uint8_t prefix[5] = {0, 0, 0, 1, PT_KEY_INDEX_TTL};
    assert_int_equal(pt_txn_begin(e->store, PT_TXN_READ, NULL, &txn, &err), PT_OK);
    assert_int_equal(pt_cursor_open(txn, &cur, &err), PT_OK);
    pt_slice_t k, v;
    int n = 0;
    int rc = pt_cursor_seek(cur, pt_slice(prefix, 5), &k, &v, &err);
    while (rc == PT_OK && k.len >= 5 && !memcmp(k.data, prefix, 5)) {
        n++;
        rc = pt_cursor_next(cur, &k, &v, &err);
    }
    pt_cursor_close(cur);
    pt_txn_abort(txn);
    return n;
}

static void wait_for(bool (*pred)(pt_engine_t *, const char *), pt_engine_t *e, const char *id, bool want)
{
    for (int i = 0; i < 200 && pred(e, id) != want; i++) usleep(10000);
    assert_int_equal(pred(e, id), want);
}

static void test_index_follows_writes_and_sweeper_expires(void **state)
{
    fixture_t *f = *state;
    pt_engine_t *e = f->e;
    ok(e, "CreateTable",
       "{\"TableName\":\"ttl\",\"AttributeDefinitions\":[{\"AttributeName\":\"id\",\"AttributeType\":\"S\"}],"
       "\"KeySchema\":[{\"AttributeName\":\"id\",\"KeyType\":\"HASH\"}],\"BillingMode\":\"PAY_PER_REQUEST\"}");
    char past[64], future[64];
    snprintf(past, sizeof past, "{\"N\":\"%lld\"}", (long long)time(NULL) - 100);
    snprintf(future, sizeof future, "{\"N\":\"%lld\"}", (long long)time(NULL) + 3600);

    put(e, "before", past); /* TTL disabled: not indexed, not expired */
    assert_int_equal(index_entries(e), 0);
    ok(e, "UpdateTimeToLive",
       "{\"TableName\":\"ttl\",\"TimeToLiveSpecification\":{\"Enabled\":true,\"AttributeName\":\"exp\"}}");
    wait_for(present, e, "before", false); /* backfilled, then expired */

    put(e, "future", future);
    put(e, "string", "{\"S\":\"1\"}");
    put(e, "none", NULL);
    assert_int_equal(index_entries(e), 1);
    put(e, "future", NULL); /* rewritten without TTL: its entry goes */
    assert_int_equal(index_entries(e), 0);
    put(e, "future", future);
    put(e, "gone", past);
    wait_for(present, e, "gone", false);
    assert_true(present(e, "future"));
    assert_true(present(e, "string"));
    assert_true(present(e, "none"));
    assert_int_equal(index_entries(e), 1);
    /* The sweeper counts a deletion once its job returned, which is just
     * after the deletion became visible: wait for the count too. */
    uint64_t expired = 0;
    for (int i = 0; i < 200; i++) {
        pt_ttl_stats(e->ttl, &expired, NULL);
        if (expired >= 2) break;
        usleep(10000);
    }
    assert_int_equal(expired, 2);

    /* disabling purges the index in the background */
    ok(e, "UpdateTimeToLive",
       "{\"TableName\":\"ttl\",\"TimeToLiveSpecification\":{\"Enabled\":false,\"AttributeName\":\"exp\"}}");
    for (int i = 0; i < 200 && index_entries(e) != 0; i++) usleep(10000);
    assert_int_equal(index_entries(e), 0);
    put(e, "kept", past);
    usleep(100000);
    assert_true(present(e, "kept"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expiry_rule_follows_dynamodb),
        cmocka_unit_test_setup_teardown(test_index_follows_writes_and_sweeper_expires, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
