/* Configuration files are YAML (JSON is YAML). Parts of the server that
 * read their settings as JSON (authentication: auth, credentials, tls) use
 * this to accept the same YAML file the gateway reads. */
#ifndef PT_GW_YAML_JSON_H
#define PT_GW_YAML_JSON_H

#include <stddef.h>

#include "util/buf.h"

/* Parses YAML `text` and appends its first document as JSON to `out`.
 * Scalars: quoted -> string; plain true/false -> bool, null/~ -> null, a
 * JSON number -> number, anything else -> string. Returns 0, or -1 with
 * "file:line:column: message" in errbuf. */
int pt_yaml_to_json(const char *file, const char *text, size_t len, pt_buf_t *out, char *errbuf,
                    size_t errlen);

#endif
