/* The command-line side of authentication: `portico credentials
 * add|list|remove`, and for `portico serve` the start-up decision (is
 * authentication required?), the config file's credentials, and picking up
 * changes to <data-dir>/credentials.json while the server runs. */
#ifndef PT_AUTH_CLI_H
#define PT_AUTH_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "auth/auth.h"

typedef enum { PT_AUTH_MODE_AUTO = 0, PT_AUTH_MODE_REQUIRED, PT_AUTH_MODE_OFF } pt_auth_mode_t;

typedef struct pt_cli_auth pt_cli_auth_t;

/* `portico credentials ...` (argv[0] is "credentials"); returns the exit
 * status. */
int pt_cli_credentials(int argc, char **argv);

/* Parses "auto" | "required" | "off". */
int pt_cli_auth_mode(const char *s, pt_auth_mode_t *out);

/* For `serve`: loads credentials (data directory file, then the config
 * file's "credentials" if config_path is not NULL), decides whether
 * authentication is required (see docs/security.md: always on a
 * non-loopback address; on loopback when a credential exists or mode is
 * REQUIRED; mode OFF is refused on a non-loopback address). Returns PT_OK,
 * or PT_ERR with a message (exit 1), or 2 for a usage error (exit 2). */
int pt_cli_auth_start(const char *host, pt_auth_mode_t mode, const char *data_dir,
                      const char *config_path, pt_cli_auth_t **out, char *errbuf, size_t errlen);

/* The gate to hand to the HTTP server. */
pt_auth_t *pt_cli_auth_gate(pt_cli_auth_t *a);

/* One line for the start-up banner: whether requests are verified. */
void pt_cli_auth_describe(pt_cli_auth_t *a, char *out, size_t len);

/* Reloads the credentials when the file changed (cheap stat otherwise);
 * errors are reported on stderr and the previous credentials kept. */
void pt_cli_auth_poll(pt_cli_auth_t *a);

/* The config file's "tls": {"cert": FILE, "key": FILE}; NULLs if absent.
 * Valid until pt_cli_auth_free. */
void pt_cli_auth_tls(pt_cli_auth_t *a, const char **cert, const char **key);

void pt_cli_auth_free(pt_cli_auth_t *a);

#endif
