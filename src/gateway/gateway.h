/* The API gateway: declarative REST APIs (docs/gateway.md) served on a
 * second listener of the `portico` server, with DynamoDB (in-process
 * engine), HTTP and mock integrations.
 *
 *   pt_gw_t *gw;
 *   if (pt_gw_open("portico.yaml", engine, data_dir, &gw, err, sizeof err)) fail(err);
 *   if (gw) {   // NULL: the file has no `gateway:` section
 *       const char *host; unsigned port;
 *       pt_gw_listen(gw, &host, &port);
 *       opts.handler = pt_gw_handler(gw);  // a pt_http_server for the gateway
 *       ...
 *   }
 *   pt_gw_reload(gw, err, sizeof err);    // SIGHUP
 *   pt_gw_close(gw);                      // after the gateway's server is destroyed
 *
 * The configuration is compiled whole and immutable; pt_gw_reload compiles
 * the file again and swaps it atomically only if it is valid (requests in
 * flight finish on the version they started with). The listen address is
 * read at open only. */
#ifndef PT_GATEWAY_H
#define PT_GATEWAY_H

#include <stddef.h>

#include "portico/portico.h"

typedef struct pt_gw pt_gw_t;
struct pt_http_handler;

/* Loads and validates `config_file`. Returns PT_OK with *out set (NULL when
 * the file has no `gateway:` section), or PT_ERR with every error found in
 * errbuf ("FILE:LINE:COL: field: message" lines). `data_dir` holds API keys;
 * quota counters are kept in the engine (a reserved table, created here).
 * The engine must outlive the gateway (pt_gw_close writes to it). */
int pt_gw_open(const char *config_file, pt_engine_t *engine, const char *data_dir, pt_gw_t **out,
               char *errbuf, size_t errlen);
/* The request handler for a pt_http_server (net/http_handler.h). */
const struct pt_http_handler *pt_gw_handler(pt_gw_t *gw);
/* The configured listen address (gateway.listen, default 127.0.0.1:8080). */
void pt_gw_listen(const pt_gw_t *gw, const char **host, unsigned *port);
/* Re-reads the file; on error the current configuration stays. A file
 * whose gateway.listen differs from the running one is refused too (the
 * listener is bound once). Thread-safe. */
int pt_gw_reload(pt_gw_t *gw, char *errbuf, size_t errlen);
/* Flushes quota counters and frees everything; no request may be running. */
void pt_gw_close(pt_gw_t *gw);

/* `portico apikey create|list|revoke ...` (argv[0] is "apikey"). Returns
 * the process exit status. */
int pt_gw_apikey_main(int argc, char **argv);

#endif
