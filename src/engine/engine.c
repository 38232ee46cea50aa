/* Engine lifecycle: opens the store, loads the catalog, starts the writer
 * and then the TTL sweeper and the index builder (both submit jobs to the
 * writer, so they stop first).
 * The protocol entry points (pt_call_*, pt_engine_call) live in src/api. */
#include "engine/engine.h"
#include "engine/index.h"
#include "engine/ttl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void reload_catalog(void *ctx)
{
    /* A batch commit failed: in-memory catalog changes made by its jobs
     * never reached disk. Re-read the durable state. */
    pt_engine_t *e = ctx;
    pt_error_t err;
    if (pt_catalog_load(e, &err)) fprintf(stderr, "portico: catalog reload failed: %s\n", err.message);
}

int pt_engine_open(const pt_engine_options_t *opts, pt_engine_t **out, char *errbuf, size_t errlen)
{
    pt_error_t err;
    pt_error_clear(&err);
    if (!opts || !opts->data_dir) {
        snprintf(errbuf, errlen, "data_dir is required");
        return -1;
    }
    pt_engine_t *e = calloc(1, sizeof *e);
    if (!e) pt_oom();
    pthread_rwlock_init(&e->catalog.lock, NULL);
    snprintf(e->region, sizeof e->region, "%s", opts->region ? opts->region : "us-east-1");
    snprintf(e->account_id, sizeof e->account_id, "%s", opts->account_id ? opts->account_id : "000000000000");

    pt_store_options_t so = {.path = opts->data_dir, .map_size = opts->map_size, .durable = !opts->no_sync};
    if (pt_store_open(&so, &e->store, &err)) goto fail;
    if (pt_catalog_load(e, &err)) goto fail;
    if (pt_writer_start(e->store, reload_catalog, e, &e->writer, &err)) goto fail;
    if (pt_ttl_start(e, opts->ttl_period_ms, &e->ttl, &err)) goto fail;
    if (pt_indexer_start(e, &e->indexer, &err)) goto fail;
    *out = e;
    return 0;
fail:
    snprintf(errbuf, errlen, "%s", err.message);
    pt_ttl_stop(e->ttl);
    if (e->writer) pt_writer_stop(e->writer);
    if (e->store) pt_store_close(e->store);
    pt_catalog_free(&e->catalog);
    pthread_rwlock_destroy(&e->catalog.lock);
    free(e);
    return -1;
}

void pt_engine_close(pt_engine_t *e)
{
    if (!e) return;
    pt_indexer_stop(e->indexer); /* before the writer: it waits on its jobs */
    pt_ttl_stop(e->ttl); /* before the writer: the sweeper waits on its jobs */
    if (e->writer) pt_writer_stop(e->writer);
    pt_catalog_free(&e->catalog);
    pt_store_close(e->store);
    pthread_rwlock_destroy(&e->catalog.lock);
    free(e);
}
