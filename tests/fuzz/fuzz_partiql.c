/* libFuzzer harness for the PartiQL parser and translator (src/api/
 * partiql.c): the input is the statement text itself, sent through
 * ExecuteStatement (and, by the first byte, ExecuteTransaction or
 * BatchExecuteStatement) against one engine with a hash+range table and a
 * hash-only table with a GSI and a stream, so translated statements run
 * against real state. fuzz_request reaches the same code, but only after
 * generating valid request JSON around a statement; here every input is a
 * statement. Every answer must be a JSON body with status 200 or 400. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_call.h"
#include "portico/portico.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/json.h"

static pt_engine_t *engine;

static void call(const char *op, const char *body, size_t len) { fuzz_engine_call(engine, op, body, len); }

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char dir[] = "/tmp/portico-fuzz-partiql-XXXXXX";
    engine = fuzz_engine_open(dir);
    static const char hr[] = "{\"TableName\":\"hr\",\"BillingMode\":\"PAY_PER_REQUEST\","
                             "\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"},"
                             "{\"AttributeName\":\"sk\",\"AttributeType\":\"N\"}],"
                             "\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"},"
                             "{\"AttributeName\":\"sk\",\"KeyType\":\"RANGE\"}]}";
    static const char h[] = "{\"TableName\":\"h\",\"BillingMode\":\"PAY_PER_REQUEST\","
                            "\"AttributeDefinitions\":[{\"AttributeName\":\"id\",\"AttributeType\":\"S\"},"
                            "{\"AttributeName\":\"g\",\"AttributeType\":\"S\"}],"
                            "\"KeySchema\":[{\"AttributeName\":\"id\",\"KeyType\":\"HASH\"}],"
                            "\"GlobalSecondaryIndexes\":[{\"IndexName\":\"by_g\",\"KeySchema\":[{\"AttributeName\":"
                            "\"g\",\"KeyType\":\"HASH\"}],\"Projection\":{\"ProjectionType\":\"ALL\"}}],"
                            "\"StreamSpecification\":{\"StreamEnabled\":true,\"StreamViewType\":\"NEW_IMAGE\"}}";
    call("CreateTable", hr, sizeof hr - 1);
    call("CreateTable", h, sizeof h - 1);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 9000) return 0;
    /* the statement as a JSON string; two parameters are always offered
     * (a statement using another number of them is an error to answer) */
    pt_buf_t body = PT_BUF_INIT;
    pt_jw_t w;
    pt_jw_init(&w, &body);
    const char *op;
    pt_jw_obj_begin(&w);
    switch (data[0] % 3) {
    case 0:
        op = "ExecuteStatement";
        pt_jw_keyz(&w, "Statement");
        pt_jw_str(&w, (const char *)data + 1, size - 1);
        pt_jw_keyz(&w, "Parameters");
        pt_jw_raw(&w, "[{\"S\":\"a\"},{\"N\":\"1\"}]", 22);
        break;
    default:
        op = data[0] % 3 == 1 ? "ExecuteTransaction" : "BatchExecuteStatement";
        pt_jw_keyz(&w, data[0] % 3 == 1 ? "TransactStatements" : "Statements");
        pt_jw_arr_begin(&w);
        /* statements separated by newlines */
        const char *s = (const char *)data + 1, *end = (const char *)data + size;
        for (int n = 0; s <= end && n < 25; n++) {
            const char *nl = memchr(s, '\n', (size_t)(end - s));
            const char *e = nl ? nl : end;
            pt_jw_obj_begin(&w);
            pt_jw_keyz(&w, "Statement");
            pt_jw_str(&w, s, (size_t)(e - s));
            pt_jw_obj_end(&w);
            if (!nl) break;
            s = nl + 1;
        }
        pt_jw_arr_end(&w);
        break;
    }
    pt_jw_obj_end(&w);
    call(op, body.data, body.len);
    pt_buf_free(&body);
    return 0;
}
