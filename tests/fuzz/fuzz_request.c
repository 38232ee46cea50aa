/* libFuzzer harness for the protocol entry point: (operation, request
 * JSON) -> pt_engine_call. The first input byte picks the operation, the
 * rest is the body. One engine (no fsync, in a fresh temporary directory)
 * with three tables, a hash-only and a hash+range one and a hash-only one
 * with a stream (NEW_AND_OLD_IMAGES), lives for the whole
 * run, so writes, reads and the validation of every operation are
 * exercised against real state. Every call must answer with a JSON body
 * and a 200/400 status: a 500 means the input reached an internal error,
 * which is a bug. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_call.h"
#include "portico/portico.h"
#include "util/arena.h"
#include "util/json.h"

static const char *const ops[] = {
    "CreateTable", "DescribeTable", "ListTables", "DeleteTable", "PutItem", "GetItem", "DeleteItem",
    "UpdateItem", "Query", "Scan", "BatchGetItem", "BatchWriteItem", "TransactGetItems",
    "TransactWriteItems", "UpdateTable", "TagResource", "UntagResource", "ListTagsOfResource",
    "UpdateTimeToLive", "DescribeTimeToLive", "DescribeLimits", "NoSuchOperation",
};
/* DynamoDB Streams, backups and PartiQL, picked by a first byte of 0xF0 and above
 * (so the corpus files made for the list above keep their operation). */
static const char *const more_ops[] = {
    "DynamoDBStreams_20120810.ListStreams", "DynamoDBStreams_20120810.DescribeStream",
    "DynamoDBStreams_20120810.GetShardIterator", "DynamoDBStreams_20120810.GetRecords",
    "CreateBackup", "DescribeBackup", "ListBackups", "DeleteBackup", "RestoreTableFromBackup",
    "DescribeContinuousBackups", "UpdateContinuousBackups", "ExecuteStatement", "BatchExecuteStatement",
    "ExecuteTransaction",
};

static pt_engine_t *engine;

static void call(const char *op, const char *body, size_t len) { fuzz_engine_call(engine, op, body, len); }

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char dir[] = "/tmp/portico-fuzz-XXXXXX";
    engine = fuzz_engine_open(dir);
    static const char h[] = "{\"TableName\":\"h\",\"BillingMode\":\"PAY_PER_REQUEST\","
                            "\"AttributeDefinitions\":[{\"AttributeName\":\"id\",\"AttributeType\":\"S\"}],"
                            "\"KeySchema\":[{\"AttributeName\":\"id\",\"KeyType\":\"HASH\"}]}";
    static const char hr[] = "{\"TableName\":\"hr\",\"BillingMode\":\"PAY_PER_REQUEST\","
                             "\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"},"
                             "{\"AttributeName\":\"sk\",\"AttributeType\":\"N\"}],"
                             "\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"},"
                             "{\"AttributeName\":\"sk\",\"KeyType\":\"RANGE\"}]}";
    call("CreateTable", h, sizeof h - 1);
    call("CreateTable", hr, sizeof hr - 1);
    /* a third table with a stream, so writes record and GetRecords reads */
    static const char st[] = "{\"TableName\":\"st\",\"BillingMode\":\"PAY_PER_REQUEST\","
                             "\"AttributeDefinitions\":[{\"AttributeName\":\"id\",\"AttributeType\":\"S\"}],"
                             "\"KeySchema\":[{\"AttributeName\":\"id\",\"KeyType\":\"HASH\"}],"
                             "\"StreamSpecification\":{\"StreamEnabled\":true,"
                             "\"StreamViewType\":\"NEW_AND_OLD_IMAGES\"}}";
    call("CreateTable", st, sizeof st - 1);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    const char *op = data[0] >= 0xF0 ? more_ops[(data[0] - 0xF0) % (sizeof more_ops / sizeof *more_ops)]
                                     : ops[data[0] % (sizeof ops / sizeof *ops)];
    /* Keep the two fixture tables: deleting them would leave the rest of
     * the run exercising only ResourceNotFoundException. */
    if (!strcmp(op, "DeleteTable")) op = "DescribeTable";
    call(op, (const char *)data + 1, size - 1);
    return 0;
}
