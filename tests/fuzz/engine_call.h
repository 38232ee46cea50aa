/* Shared by the harnesses that drive the protocol entry point
 * (fuzz_request.c, fuzz_partiql.c): an engine in a fresh temporary
 * directory without fsync, and one call, which must answer with status 200
 * or 400 and one valid JSON document, else abort() (a 500 means the input
 * reached an internal error, which is a bug). */
#ifndef PT_FUZZ_ENGINE_CALL_H
#define PT_FUZZ_ENGINE_CALL_H

#include <stdio.h>
#include <stdlib.h>

#include "portico/portico.h"
#include "util/arena.h"
#include "util/json.h"

/* `dir`: a mkdtemp template ("/tmp/...-XXXXXX"), changed in place. */
static pt_engine_t *fuzz_engine_open(char *dir)
{
    if (!mkdtemp(dir)) abort();
    char err[256];
    pt_engine_t *e;
    if (pt_engine_open(&(pt_engine_options_t){.data_dir = dir, .no_sync = true, .map_size = (size_t)1 << 30}, &e,
                       err, sizeof err)) {
        fprintf(stderr, "open: %s\n", err);
        abort();
    }
    return e;
}

static void fuzz_engine_call(pt_engine_t *engine, const char *op, const char *body, size_t len)
{
    int status;
    char *resp;
    size_t resp_len;
    pt_engine_call(engine, op, body, len, &status, &resp, &resp_len);
    if (status != 200 && status != 400) {
        fprintf(stderr, "%s answered %d: %.*s\n", op, status, (int)resp_len, resp);
        abort();
    }
    pt_arena_t arena;
    pt_arena_init(&arena);
    pt_json_t j;
    char msg[128];
    if (pt_json_parse(&arena, resp, resp_len, &j, msg, sizeof msg)) {
        fprintf(stderr, "%s answered invalid JSON (%s): %.*s\n", op, msg, (int)resp_len, resp);
        abort();
    }
    pt_arena_destroy(&arena);
    free(resp);
}

#endif
