/* Access keys: the credential store behind SigV4 authentication.
 *
 * A credential is an access key id, its secret, an optional user name (for
 * the ARN in AccessDeniedException messages; defaults to the key id) and an
 * access policy (policy.h). Credentials come from two places, merged at
 * start-up: <data-dir>/credentials.json, managed by `portico credentials
 * add|list|remove`, and the "credentials" list of the config file.
 *
 * The credentials file is JSON:
 *   {"credentials": [{"access_key_id": "PTK...", "secret_access_key": "...",
 *                     "name": "reporting", "allow": [{"actions": [...],
 *                     "tables": [...]}]}]}
 * It is written atomically (temporary file, fsync, rename, fsync of the
 * directory) with mode 0600, and refused on load when group or others may
 * read it (as ssh does with private keys). Secrets are never logged: error
 * messages name the key id at most.
 *
 * Limits: key ids 1..128 characters of [A-Za-z0-9_.+=@-] (no '/', which
 * delimits the SigV4 credential scope), secrets 1..128 bytes of printable
 * ASCII, at most 100000 credentials. */
#ifndef PT_CREDENTIALS_H
#define PT_CREDENTIALS_H

#include <stdbool.h>
#include <stddef.h>

#include "auth/policy.h"
#include "util/json.h"

#define PT_CRED_MAX_KEY_ID 128
#define PT_CRED_MAX_SECRET 128
#define PT_CRED_MAX_COUNT 100000
#define PT_CRED_FILE "credentials.json"

typedef struct pt_credential {
    char *key_id;
    char *secret;
    char *name;       /* NULL: the key id names the user */
    pt_policy_t policy;
} pt_credential_t;

typedef struct pt_credstore {
    pt_credential_t *items;
    size_t n;
    size_t cap;
} pt_credstore_t;

void pt_credstore_init(pt_credstore_t *s);
void pt_credstore_free(pt_credstore_t *s);

/* Appends credentials from a parsed JSON array of credential objects.
 * `where` prefixes messages ("credentials.json", "config file"). A key id
 * already in the store is an error. */
int pt_credstore_add_json(pt_credstore_t *s, const pt_json_t *list, const char *where,
                          char *errbuf, size_t errlen);

/* Loads a credentials file into s (appending). A missing file is not an
 * error (the store stays as it is); a file readable by group or others,
 * malformed JSON or an invalid credential is. */
int pt_credstore_load(pt_credstore_t *s, const char *path, char *errbuf, size_t errlen);

/* Writes the store to path atomically with mode 0600. */
int pt_credstore_save(const pt_credstore_t *s, const char *path, char *errbuf, size_t errlen);

/* Adds a credential (copies everything; policy may be NULL = unrestricted).
 * Fails if the key id exists or a value is out of its limits. */
int pt_credstore_add(pt_credstore_t *s, const char *key_id, const char *secret,
                     const char *name, const pt_policy_t *policy, char *errbuf, size_t errlen);

/* Removes by key id; PT_NOTFOUND if absent. */
int pt_credstore_remove(pt_credstore_t *s, const char *key_id);

/* Lookup (exact, case-sensitive); NULL if absent. */
const pt_credential_t *pt_credstore_find(const pt_credstore_t *s, const char *key_id,
                                         size_t len);

/* Fresh random credentials from the kernel's CSPRNG: a key id "PTK" + 17
 * characters of [A-Z2-7] and a 40-character secret of [A-Za-z0-9+/]
 * (the shapes of AWS's). Returns PT_OK or PT_ERR (no entropy). */
int pt_credential_generate(char key_id[21], char secret[41]);

bool pt_credential_key_id_valid(const char *s, size_t len);
bool pt_credential_secret_valid(const char *s, size_t len);

#endif
