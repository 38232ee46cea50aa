/* Access policies and the credential store (src/auth): glob matching, the
 * (action, table) pairs each kind of request needs, policy parsing errors,
 * and the credentials file (round trip, mode 0600, refusal when readable by
 * others, duplicate keys). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth/credentials.h"
#include "auth/policy.h"

static bool glob(const char *p, const char *s, bool nocase)
{
    return pt_glob_match(p, strlen(p), s, strlen(s), nocase);
}

static void test_glob_star_and_question_mark(void **st)
{
    assert_true(glob("orders*", "orders", false));
    assert_true(glob("orders*", "orders-2024", false));
    assert_false(glob("orders*", "Orders", false));
    assert_true(glob("Get*", "getitem", true));
    assert_true(glob("*-prod", "a-b-prod", false));
    assert_true(glob("t?ble", "table", false));
    assert_false(glob("t?ble", "tble", false));
    assert_true(glob("*", "", false));
    assert_true(glob("a*b*c", "aXbYbZc", false));
    assert_false(glob("a*b*c", "aXbYbZ", false));
}

static pt_policy_t parse_policy(const char *json)
{
    pt_arena_t a;
    pt_arena_init(&a);
    pt_json_t doc;
    assert_int_equal(pt_json_parse(&a, json, strlen(json), &doc, NULL, 0), PT_OK);
    pt_policy_t p;
    char err[256];
    assert_int_equal(pt_policy_parse(&doc, &p, err, sizeof err), PT_OK);
    pt_arena_destroy(&a);
    return p;
}

static int check(const pt_policy_t *p, const char *op, const char *body, pt_error_t *err)
{
    return pt_policy_check_request(p, op, strlen(op), body, strlen(body),
                                   "arn:aws:iam::000000000000:user/u", "eu-west-1",
                                   "000000000000", err);
}

static void test_policy_pairs_follow_iam(void **st)
{
    pt_policy_t p = parse_policy("[{\"actions\":[\"dynamodb:Get*\",\"BatchGetItem\",\"Query\"],"
                                 "\"tables\":[\"orders*\"]},"
                                 "{\"actions\":[\"ListTables\"],\"tables\":[\"*\"]}]");
    pt_error_t err;
    assert_int_equal(check(&p, "GetItem", "{\"TableName\":\"orders-1\"}", &err), PT_OK);
    assert_int_equal(check(&p, "Query", "{\"TableName\":\"arn:aws:dynamodb:eu-west-1:0:table/orders/index/x\"}", &err), PT_OK);
    assert_int_equal(check(&p, "ListTables", "{}", &err), PT_OK);
    assert_int_equal(check(&p, "BatchGetItem", "{\"RequestItems\":{\"orders\":{},\"users\":{}}}", &err), PT_ERR);
    assert_string_equal(err.message,
                        "User: arn:aws:iam::000000000000:user/u is not authorized to perform: "
                        "dynamodb:BatchGetItem on resource: "
                        "arn:aws:dynamodb:eu-west-1:000000000000:table/users because no "
                        "identity-based policy allows the dynamodb:BatchGetItem action");
    assert_int_equal(check(&p, "TransactGetItems",
                           "{\"TransactItems\":[{\"Get\":{\"TableName\":\"orders\"}}]}", &err), PT_OK);
    assert_int_equal(check(&p, "TransactWriteItems",
                           "{\"TransactItems\":[{\"ConditionCheck\":{\"TableName\":\"orders\"}}]}", &err),
                     PT_ERR);
    assert_non_null(strstr(err.message, "dynamodb:ConditionCheckItem on resource"));
    assert_int_equal(check(&p, "DescribeLimits", "{}", &err), PT_ERR);
    assert_non_null(strstr(err.message, "on resource: arn:aws:dynamodb:eu-west-1:000000000000:table/*"));
    /* Malformed or table-less requests of table operations reach the engine,
     * which rejects them without touching a table. */
    assert_int_equal(check(&p, "PutItem", "{not json", &err), PT_OK);
    assert_int_equal(check(&p, "PutItem", "{}", &err), PT_OK);
    assert_int_equal(check(&p, "PutItem", "{\"TableName\":\"orders\"}", &err), PT_ERR);
    pt_policy_free(&p);
}

/* DynamoDB Streams operations come as the whole target; the action is
 * dynamodb:<Op> and the table is the one the stream ARN (or the shard
 * iterator, which begins with it) names. */
static void test_streams_actions_name_the_stream_table(void **st)
{
    pt_policy_t p = parse_policy("[{\"actions\":[\"dynamodb:GetRecords\",\"dynamodb:GetShardIterator\","
                                 "\"dynamodb:DescribeStream\",\"dynamodb:ListStreams\"],\"tables\":[\"orders\"]}]");
    pt_error_t err;
    const char *arn = "arn:aws:dynamodb:eu-west-1:000000000000:table/orders/stream/2026-12-07T23:10:53.861";
    char body[512];
    snprintf(body, sizeof body, "{\"StreamArn\":\"%s\"}", arn);
    assert_int_equal(check(&p, "DynamoDBStreams_20120810.DescribeStream", body, &err), PT_OK);
    snprintf(body, sizeof body, "{\"ShardIterator\":\"%s|1|5\"}", arn);
    assert_int_equal(check(&p, "DynamoDBStreams_20120810.GetRecords", body, &err), PT_OK);
    assert_int_equal(check(&p, "DynamoDBStreams_20120810.ListStreams", "{\"TableName\":\"orders\"}", &err), PT_OK);
    /* every table's streams: the resource "*" */
    assert_int_equal(check(&p, "DynamoDBStreams_20120810.ListStreams", "{}", &err), PT_ERR);
    assert_non_null(strstr(err.message, "dynamodb:ListStreams on resource: arn:aws:dynamodb:eu-west-1:000000000000:table/*"));
    assert_int_equal(check(&p, "DynamoDBStreams_20120810.GetShardIterator",
                           "{\"StreamArn\":\"arn:aws:dynamodb:eu-west-1:0:table/users/stream/x\"}", &err),
                     PT_ERR);
    assert_non_null(strstr(err.message, "perform: dynamodb:GetShardIterator on resource: "
                                        "arn:aws:dynamodb:eu-west-1:000000000000:table/users because"));
    /* a body the engine will reject touches no stream */
    assert_int_equal(check(&p, "DynamoDBStreams_20120810.GetRecords", "{not json", &err), PT_OK);
    pt_policy_free(&p);
}

/* A backup ARN names its table; a restore also needs its target table. */
static void test_backup_actions_name_the_backup_table(void **st)
{
    pt_policy_t p = parse_policy("[{\"actions\":[\"dynamodb:*Backup*\"],\"tables\":[\"orders*\"]}]");
    pt_error_t err;
    const char *arn = "arn:aws:dynamodb:eu-west-1:000000000000:table/orders/backup/01796685747202-00000002";
    char body[512];
    snprintf(body, sizeof body, "{\"BackupArn\":\"%s\"}", arn);
    assert_int_equal(check(&p, "DescribeBackup", body, &err), PT_OK);
    assert_int_equal(check(&p, "DeleteBackup", body, &err), PT_OK);
    snprintf(body, sizeof body, "{\"BackupArn\":\"%s\",\"TargetTableName\":\"orders-copy\"}", arn);
    assert_int_equal(check(&p, "RestoreTableFromBackup", body, &err), PT_OK);
    snprintf(body, sizeof body, "{\"BackupArn\":\"%s\",\"TargetTableName\":\"users\"}", arn);
    assert_int_equal(check(&p, "RestoreTableFromBackup", body, &err), PT_ERR);
    assert_non_null(strstr(err.message, "dynamodb:RestoreTableFromBackup on resource: "
                                        "arn:aws:dynamodb:eu-west-1:000000000000:table/users because"));
    assert_int_equal(check(&p, "ListBackups", "{\"TableName\":\"orders\"}", &err), PT_OK);
    assert_int_equal(check(&p, "ListBackups", "{}", &err), PT_ERR);
    pt_policy_free(&p);
}

static void test_empty_allow_list_allows_nothing(void **st)
{
    pt_policy_t p = parse_policy("[]");
    pt_error_t err;
    assert_false(p.unrestricted);
    assert_int_equal(check(&p, "GetItem", "{\"TableName\":\"t\"}", &err), PT_ERR);
    assert_string_equal(err.type, "com.amazon.coral.service#AccessDeniedException");
    pt_policy_free(&p);
}

static void test_policy_parse_errors_name_the_member(void **st)
{
    const char *bad[] = {"{\"actions\":[\"x\"]}", "{\"actions\":[],\"tables\":[\"t\"]}",
                         "{\"actions\":[\"x\"],\"tables\":[1]}", "{\"actions\":[\"x\"],\"tables\":[\"t\"],\"deny\":1}",
                         "5"};
    const char *msg[] = {"allow[0].tables must be an array of 1 to 256 strings",
                         "allow[0].actions must be an array of 1 to 256 strings",
                         "allow[0].tables[0] must be a non-empty string",
                         "allow[0]: unknown member 'deny'",
                         "allow must be an object or an array of objects"};
    for (int i = 0; i < 5; i++) {
        pt_arena_t a;
        pt_arena_init(&a);
        pt_json_t doc;
        assert_int_equal(pt_json_parse(&a, bad[i], strlen(bad[i]), &doc, NULL, 0), PT_OK);
        pt_policy_t p;
        char err[256];
        assert_int_equal(pt_policy_parse(&doc, &p, err, sizeof err), PT_ERR);
        assert_string_equal(err, msg[i]);
        pt_arena_destroy(&a);
    }
}

static void test_credentials_file_round_trip_private(void **st)
{
    char dir[] = "/tmp/pt-test-cred-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/credentials.json", dir);
    pt_credstore_t s;
    pt_credstore_init(&s);
    char err[256];
    pt_policy_t p = parse_policy("{\"actions\":[\"GetItem\"],\"tables\":[\"a*\"]}");
    assert_int_equal(pt_credstore_add(&s, "K1", "s1", "alice", &p, err, sizeof err), PT_OK);
    assert_int_equal(pt_credstore_add(&s, "K2", "s2", NULL, NULL, err, sizeof err), PT_OK);
    assert_int_equal(pt_credstore_add(&s, "K1", "x", NULL, NULL, err, sizeof err), PT_ERR);
    assert_string_equal(err, "access key id 'K1' is defined twice");
    assert_int_equal(pt_credstore_add(&s, "a/b", "x", NULL, NULL, err, sizeof err), PT_ERR);
    assert_int_equal(pt_credstore_add(&s, "K3", "has space", NULL, NULL, err, sizeof err), PT_ERR);
    assert_int_equal(pt_credstore_save(&s, path, err, sizeof err), PT_OK);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    pt_credstore_t r;
    pt_credstore_init(&r);
    assert_int_equal(pt_credstore_load(&r, path, err, sizeof err), PT_OK);
    assert_int_equal(r.n, 2);
    const pt_credential_t *c = pt_credstore_find(&r, "K1", 2);
    assert_non_null(c);
    assert_string_equal(c->secret, "s1");
    assert_string_equal(c->name, "alice");
    assert_false(c->policy.unrestricted);
    assert_string_equal(c->policy.stmts[0].tables[0], "a*");
    assert_true(pt_credstore_find(&r, "K2", 2)->policy.unrestricted);
    assert_null(pt_credstore_find(&r, "K", 1));
    assert_int_equal(pt_credstore_remove(&r, "K1"), PT_OK);
    assert_int_equal(pt_credstore_remove(&r, "K1"), PT_NOTFOUND);
    chmod(path, 0640);
    pt_credstore_t g;
    pt_credstore_init(&g);
    assert_int_equal(pt_credstore_load(&g, path, err, sizeof err), PT_ERR);
    assert_non_null(strstr(err, "accessible by group or others (mode 640)"));
    pt_credstore_free(&g);
    pt_credstore_free(&r);
    pt_credstore_free(&s);
    pt_policy_free(&p);
    unlink(path);
    rmdir(dir);
}

static void test_generated_credentials_have_aws_shapes(void **st)
{
    char id[21], secret[41], id2[21], secret2[41];
    assert_int_equal(pt_credential_generate(id, secret), PT_OK);
    assert_int_equal(pt_credential_generate(id2, secret2), PT_OK);
    assert_int_equal(strlen(id), 20);
    assert_int_equal(strlen(secret), 40);
    assert_memory_equal(id, "PTK", 3);
    assert_true(pt_credential_key_id_valid(id, 20));
    assert_true(pt_credential_secret_valid(secret, 40));
    assert_string_not_equal(secret, secret2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_glob_star_and_question_mark),
        cmocka_unit_test(test_policy_pairs_follow_iam),
        cmocka_unit_test(test_streams_actions_name_the_stream_table),
        cmocka_unit_test(test_backup_actions_name_the_backup_table),
        cmocka_unit_test(test_empty_allow_list_allows_nothing),
        cmocka_unit_test(test_policy_parse_errors_name_the_member),
        cmocka_unit_test(test_credentials_file_round_trip_private),
        cmocka_unit_test(test_generated_credentials_have_aws_shapes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
