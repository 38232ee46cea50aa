/* The credential store: an array of access keys, loaded from and saved to
 * JSON (see credentials.h for the file format and limits).
 *
 * Invariants: every credential in a store has a valid key id and secret and
 * a unique key id; the store owns all its strings. Secrets are wiped
 * (OPENSSL_cleanse) when freed. Lookup is a linear scan: stores are small
 * (a handful of keys) and a lookup happens once per request, after the
 * cheap signature-shape checks; the scan is bounded by PT_CRED_MAX_COUNT.
 *
 * Not here: signatures (sigv4.c), policy semantics (policy.c). */
#include "auth/credentials.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/error.h"

#define MAX_FILE_BYTES (64u * 1024u * 1024u)

void pt_credstore_init(pt_credstore_t *s) { memset(s, 0, sizeof *s); }

static void cred_free(pt_credential_t *c)
{
    free(c->key_id);
    if (c->secret) {
        OPENSSL_cleanse(c->secret, strlen(c->secret));
        free(c->secret);
    }
    free(c->name);
    pt_policy_free(&c->policy);
}

void pt_credstore_free(pt_credstore_t *s)
{
    for (size_t i = 0; i < s->n; i++) cred_free(&s->items[i]);
    free(s->items);
    memset(s, 0, sizeof *s);
}

bool pt_credential_key_id_valid(const char *s, size_t len)
{
    if (len == 0 || len > PT_CRED_MAX_KEY_ID) return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              strchr("_.+=@-", c)) || c == 0)
            return false;
    }
    return true;
}

bool pt_credential_secret_valid(const char *s, size_t len)
{
    if (len == 0 || len > PT_CRED_MAX_SECRET) return false;
    for (size_t i = 0; i < len; i++)
        if (s[i] < 0x21 || s[i] > 0x7e) return false;
    return true;
}

const pt_credential_t *pt_credstore_find(const pt_credstore_t *s, const char *key_id, size_t len)
{
    for (size_t i = 0; i < s->n; i++) {
        const pt_credential_t *c = &s->items[i];
        if (strlen(c->key_id) == len && memcmp(c->key_id, key_id, len) == 0) return c;
    }
    return NULL;
}

static char *xstrdup(const char *s)
{
    char *d = strdup(s);
    if (!d) pt_oom();
    return d;
}

/* Takes ownership of policy (moved into the store). */
static int add_owned(pt_credstore_t *s, const char *key_id, const char *secret, const char *name,
                     pt_policy_t *policy, char *errbuf, size_t errlen)
{
    if (!pt_credential_key_id_valid(key_id, strlen(key_id))) {
        snprintf(errbuf, errlen,
                 "invalid access key id '%.130s': 1 to %d characters of A-Z a-z 0-9 _ . + = @ -",
                 key_id, PT_CRED_MAX_KEY_ID);
        goto fail;
    }
    if (!pt_credential_secret_valid(secret, strlen(secret))) {
        snprintf(errbuf, errlen,
                 "invalid secret access key for '%s': 1 to %d printable ASCII characters "
                 "without spaces",
                 key_id, PT_CRED_MAX_SECRET);
        goto fail;
    }
    if (name && (strlen(name) == 0 || strlen(name) > 64 || strpbrk(name, " \t\r\n\"\\"))) {
        snprintf(errbuf, errlen, "invalid name for '%s': 1 to 64 characters, no blanks or quotes",
                 key_id);
        goto fail;
    }
    if (pt_credstore_find(s, key_id, strlen(key_id))) {
        snprintf(errbuf, errlen, "access key id '%s' is defined twice", key_id);
        goto fail;
    }
    if (s->n >= PT_CRED_MAX_COUNT) {
        snprintf(errbuf, errlen, "too many credentials (at most %d)", PT_CRED_MAX_COUNT);
        goto fail;
    }
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        pt_credential_t *items = realloc(s->items, cap * sizeof *items);
        if (!items) pt_oom();
        s->items = items;
        s->cap = cap;
    }
    pt_credential_t *c = &s->items[s->n++];
    c->key_id = xstrdup(key_id);
    c->secret = xstrdup(secret);
    c->name = name ? xstrdup(name) : NULL;
    c->policy = *policy;
    memset(policy, 0, sizeof *policy);
    return PT_OK;
fail:
    pt_policy_free(policy);
    return PT_ERR;
}

int pt_credstore_add(pt_credstore_t *s, const char *key_id, const char *secret,
                     const char *name, const pt_policy_t *policy, char *errbuf, size_t errlen)
{
    pt_policy_t p;
    if (policy)
        pt_policy_copy(policy, &p);
    else
        p = (pt_policy_t){.unrestricted = true};
    return add_owned(s, key_id, secret, name, &p, errbuf, errlen);
}

int pt_credstore_remove(pt_credstore_t *s, const char *key_id)
{
    for (size_t i = 0; i < s->n; i++) {
        if (strcmp(s->items[i].key_id, key_id)) continue;
        cred_free(&s->items[i]);
        memmove(&s->items[i], &s->items[i + 1], (s->n - i - 1) * sizeof *s->items);
        s->n--;
        return PT_OK;
    }
    return PT_NOTFOUND;
}

static const char *str_member(const pt_json_t *o, const char *key, bool *bad)
{
    const pt_json_t *v = pt_json_get(o, key);
    if (!v) return NULL;
    if (v->type != PT_JSON_STRING || memchr(v->u.str, 0, v->len)) {
        *bad = true;
        return NULL;
    }
    return v->u.str;
}

int pt_credstore_add_json(pt_credstore_t *s, const pt_json_t *list, const char *where,
                          char *errbuf, size_t errlen)
{
    if (!list || list->type != PT_JSON_ARRAY) {
        snprintf(errbuf, errlen, "%s: \"credentials\" must be an array", where);
        return PT_ERR;
    }
    char msg[512];
    for (uint32_t i = 0; i < list->len; i++) {
        const pt_json_t *o = &list->u.elems[i];
        if (o->type != PT_JSON_OBJECT) {
            snprintf(errbuf, errlen, "%s: credentials[%u] must be an object", where, i);
            return PT_ERR;
        }
        for (uint32_t m = 0; m < o->len; m++) {
            const char *k = o->u.members[m].key;
            if (strcmp(k, "access_key_id") && strcmp(k, "secret_access_key") &&
                strcmp(k, "name") && strcmp(k, "allow")) {
                snprintf(errbuf, errlen, "%s: credentials[%u]: unknown member '%.100s'", where, i,
                         k);
                return PT_ERR;
            }
        }
        bool bad = false;
        const char *id = str_member(o, "access_key_id", &bad);
        const char *secret = str_member(o, "secret_access_key", &bad);
        const char *name = str_member(o, "name", &bad);
        if (bad || !id || !secret) {
            snprintf(errbuf, errlen,
                     "%s: credentials[%u] needs string members access_key_id and "
                     "secret_access_key (name is an optional string)",
                     where, i);
            return PT_ERR;
        }
        pt_policy_t p;
        if (pt_policy_parse(pt_json_get(o, "allow"), &p, msg, sizeof msg)) {
            snprintf(errbuf, errlen, "%s: credentials[%u] (%s): %s", where, i, id, msg);
            return PT_ERR;
        }
        if (add_owned(s, id, secret, name, &p, msg, sizeof msg)) {
            snprintf(errbuf, errlen, "%s: credentials[%u]: %s", where, i, msg);
            return PT_ERR;
        }
    }
    return PT_OK;
}

int pt_credstore_load(pt_credstore_t *s, const char *path, char *errbuf, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        if (errno == ENOENT) return PT_OK;
        snprintf(errbuf, errlen, "cannot open %s: %s", path, strerror(errno));
        return PT_ERR;
    }
    struct stat st;
    char *text = NULL;
    int rc = PT_ERR;
    if (fstat(fd, &st)) {
        snprintf(errbuf, errlen, "cannot stat %s: %s", path, strerror(errno));
        goto done;
    }
    if (!S_ISREG(st.st_mode) || st.st_size > (off_t)MAX_FILE_BYTES) {
        snprintf(errbuf, errlen, "%s is not a regular file of at most 64 MiB", path);
        goto done;
    }
    if (st.st_mode & 077) {
        snprintf(errbuf, errlen,
                 "%s holds secrets but is accessible by group or others (mode %03o); run "
                 "'chmod 600 %s'",
                 path, (unsigned)(st.st_mode & 0777), path);
        goto done;
    }
    size_t size = (size_t)st.st_size, got = 0;
    text = malloc(size + 1);
    if (!text) pt_oom();
    while (got < size) {
        ssize_t n = read(fd, text + got, size - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            snprintf(errbuf, errlen, "cannot read %s: %s", path, n ? strerror(errno) : "short read");
            goto done;
        }
        got += (size_t)n;
    }
    pt_arena_t arena;
    pt_arena_init(&arena);
    pt_json_t doc;
    char jerr[128];
    if (pt_json_parse(&arena, text, size, &doc, jerr, sizeof jerr)) {
        snprintf(errbuf, errlen, "%s: invalid JSON: %s", path, jerr);
    } else if (doc.type != PT_JSON_OBJECT || !pt_json_get(&doc, "credentials")) {
        snprintf(errbuf, errlen, "%s: expected an object with a \"credentials\" array", path);
    } else {
        rc = pt_credstore_add_json(s, pt_json_get(&doc, "credentials"), path, errbuf, errlen);
    }
    pt_arena_destroy(&arena);
done:
    if (text) {
        OPENSSL_cleanse(text, st.st_size > 0 ? (size_t)st.st_size : 0);
        free(text);
    }
    close(fd);
    return rc;
}

int pt_credstore_save(const pt_credstore_t *s, const char *path, char *errbuf, size_t errlen)
{
    pt_buf_t out = PT_BUF_INIT;
    pt_jw_t w;
    pt_jw_init(&w, &out);
    pt_jw_obj_begin(&w);
    pt_jw_keyz(&w, "credentials");
    pt_jw_arr_begin(&w);
    for (size_t i = 0; i < s->n; i++) {
        const pt_credential_t *c = &s->items[i];
        pt_jw_obj_begin(&w);
        pt_jw_keyz(&w, "access_key_id");
        pt_jw_strz(&w, c->key_id);
        pt_jw_keyz(&w, "secret_access_key");
        pt_jw_strz(&w, c->secret);
        if (c->name) {
            pt_jw_keyz(&w, "name");
            pt_jw_strz(&w, c->name);
        }
        if (!c->policy.unrestricted) {
            pt_jw_keyz(&w, "allow");
            pt_policy_write(&c->policy, &w);
        }
        pt_jw_obj_end(&w);
    }
    pt_jw_arr_end(&w);
    pt_jw_obj_end(&w);
    pt_buf_putc(&out, '\n');

    char tmp[4096];
    int rc = PT_ERR;
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid()) >= sizeof tmp) {
        snprintf(errbuf, errlen, "path too long: %s", path);
        goto done;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        snprintf(errbuf, errlen, "cannot create %s: %s", tmp, strerror(errno));
        goto done;
    }
    size_t off = 0;
    while (off < out.len) {
        ssize_t n = write(fd, out.data + off, out.len - off);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) break;
        off += (size_t)n;
    }
    /* fchmod: O_CREAT's mode is filtered by the umask, and an old temporary
     * file keeps its mode. */
    if (off != out.len || fchmod(fd, 0600) || fsync(fd)) {
        snprintf(errbuf, errlen, "cannot write %s: %s", tmp, strerror(errno));
        close(fd);
        unlink(tmp);
        goto done;
    }
    close(fd);
    if (rename(tmp, path)) {
        snprintf(errbuf, errlen, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
        unlink(tmp);
        goto done;
    }
    /* The rename is durable once the directory is synced. */
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
    rc = PT_OK;
done:
    OPENSSL_cleanse(out.data, out.cap);
    pt_buf_free(&out);
    return rc;
}

int pt_credential_generate(char key_id[21], char secret[41])
{
    static const char B32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    unsigned char r[17 + 40];
    size_t got = 0;
    while (got < sizeof r) {
        ssize_t n = getrandom(r + got, sizeof r - got, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return PT_ERR;
        got += (size_t)n;
    }
    memcpy(key_id, "PTK", 3);
    for (int i = 0; i < 17; i++) key_id[3 + i] = B32[r[i] & 31];
    key_id[20] = 0;
    for (int i = 0; i < 40; i++) secret[i] = B64[r[17 + i] & 63];
    secret[40] = 0;
    OPENSSL_cleanse(r, sizeof r);
    return PT_OK;
}
