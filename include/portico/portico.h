/* libportico — a DynamoDB-compatible database engine, embeddable in-process.
 *
 * The engine speaks DynamoDB's JSON protocol as a pure function of
 * (engine, operation name, request bytes) -> (HTTP status, response bytes):
 * the server calls exactly this, as do the tests, the fuzzers and any
 * embedding program. It knows nothing of sockets.
 *
 *   pt_engine_t *db;
 *   char err[256];
 *   if (pt_engine_open(&(pt_engine_options_t){.data_dir = "data"}, &db, err, sizeof err))
 *       ...;
 *   int status; char *resp; size_t len;
 *   pt_engine_call(db, "ListTables", "{}", 2, &status, &resp, &len);
 *   ... free(resp);
 *   pt_engine_close(db);
 *
 * Threads: any number of threads may call into one engine concurrently.
 * Reads execute on the calling thread; writes are executed by the engine's
 * single writer thread with group commit and are answered once durable. */
#ifndef PORTICO_H
#define PORTICO_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PT_VERSION_STRING "0.1.0"

typedef struct pt_engine pt_engine_t;

typedef struct pt_engine_options {
    const char *data_dir;   /* created if missing; required */
    size_t map_size;        /* LMDB map size in bytes; 0 = 64 GiB */
    bool no_sync;           /* true: skip fsync on commit (tests/bench only;
                               acknowledged writes may be lost on power loss) */
    const char *region;     /* for ARNs; default "us-east-1" */
    const char *account_id; /* for ARNs; default "000000000000" */
    unsigned ttl_period_ms; /* how often the TTL sweeper looks for expired
                               items; 0 = default (1000) */
} pt_engine_options_t;

/* Opens (creating if needed) the data directory and starts the writer.
 * Returns 0, or -1 with a message in errbuf. */
int pt_engine_open(const pt_engine_options_t *opts, pt_engine_t **out, char *errbuf,
                   size_t errlen);
/* Finishes queued writes, commits, stops the writer and closes the store. */
void pt_engine_close(pt_engine_t *e);

/* Synchronous call: runs one DynamoDB operation (e.g. "PutItem") on a JSON
 * request body. *response is malloc'd JSON (success body or DynamoDB error
 * object) that the caller frees with free(); *status is the HTTP status.
 * Always returns 0 (protocol-level failures are responses). */
int pt_engine_call(pt_engine_t *e, const char *operation, const char *body, size_t body_len,
                   int *status, char **response, size_t *response_len);

/* ---- asynchronous calls (what the server uses) ---- */
typedef struct pt_call pt_call_t;
typedef void (*pt_call_done_fn)(pt_call_t *call, void *userdata);

/* A call object holds the request's memory; reusable after completion. */
pt_call_t *pt_call_new(void);
void pt_call_free(pt_call_t *call);

/* Starts an operation. `operation` is the part after "DynamoDB_20120810."
 * (length-delimited). The body must stay valid until done() runs. done()
 * is called exactly once: either before pt_call_start returns (reads and
 * errors), or later on the engine's writer thread (writes). */
void pt_call_start(pt_engine_t *e, pt_call_t *call, const char *operation, size_t op_len,
                   const char *body, size_t body_len, pt_call_done_fn done, void *userdata);

/* Results, valid after done() until the call is reused or freed. */
int pt_call_status(const pt_call_t *call);
const char *pt_call_response(const pt_call_t *call, size_t *len);
/* The short error type ("ValidationException") or NULL on success: for logs. */
const char *pt_call_error_type(const pt_call_t *call);

#ifdef __cplusplus
}
#endif
#endif
