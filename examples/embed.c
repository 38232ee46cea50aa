/* Embedding libportico in-process, the way SQLite is embedded: open a data
 * directory, call DynamoDB operations with JSON, close. No server, no
 * sockets.
 *
 *   build/embed_example /tmp/embed-data
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "portico/portico.h"

static int call(pt_engine_t *db, const char *op, const char *json)
{
    int status;
    char *resp;
    size_t len;
    pt_engine_call(db, op, json, strlen(json), &status, &resp, &len);
    printf("%s -> %d %s\n", op, status, resp);
    free(resp);
    return status == 200 ? 0 : 1;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "embed-data";
    pt_engine_t *db;
    char err[256];
    if (pt_engine_open(&(pt_engine_options_t){.data_dir = dir}, &db, err, sizeof err)) {
        fprintf(stderr, "open %s: %s\n", dir, err);
        return 1;
    }
    int failed = 0;
    call(db, "CreateTable",
         "{\"TableName\":\"Music\",\"BillingMode\":\"PAY_PER_REQUEST\","
         "\"AttributeDefinitions\":[{\"AttributeName\":\"Artist\",\"AttributeType\":\"S\"},"
         "{\"AttributeName\":\"Song\",\"AttributeType\":\"S\"}],"
         "\"KeySchema\":[{\"AttributeName\":\"Artist\",\"KeyType\":\"HASH\"},"
         "{\"AttributeName\":\"Song\",\"KeyType\":\"RANGE\"}]}"); /* may already exist */
    failed |= call(db, "PutItem",
                   "{\"TableName\":\"Music\",\"Item\":{\"Artist\":{\"S\":\"Nina Simone\"},"
                   "\"Song\":{\"S\":\"Feeling Good\"},\"Year\":{\"N\":\"1965\"}}}");
    failed |= call(db, "GetItem",
                   "{\"TableName\":\"Music\",\"Key\":{\"Artist\":{\"S\":\"Nina Simone\"},"
                   "\"Song\":{\"S\":\"Feeling Good\"}}}");
    failed |= call(db, "ListTables", "{}");
    pt_engine_close(db);
    return failed;
}
