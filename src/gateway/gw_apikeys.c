/* API keys: the store the gateway checks `x-api-key` against, and the
 * `portico apikey create|list|revoke` command that maintains it.
 *
 * The store is one JSON file in the data directory (GW_KEYS_FILE):
 *   {"keys":[{"id":"k3x9...","name":"alice","hash":"<sha256 hex>",
 *             "created":"2024-05-01T10:00:00Z","enabled":true}, ...]}
 * Secrets are never stored, only their SHA-256 (a key is 40 random
 * characters, so a plain hash is enough: there is nothing to brute-force).
 * The command rewrites the file atomically (temporary file + rename, under
 * an flock so two commands cannot lose each other's change); the server
 * notices a new file (inode/mtime/size) at most a second later and swaps
 * its in-memory copy, so keys take effect without a restart. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gateway/gateway.h"
#include "gateway/gw_internal.h"
#include "util/error.h"

typedef struct key_rec {
    char id[32];
    char name[128];
    char hash[65];
    char created[32];
    bool enabled;
} key_rec_t;

struct gw_keystore {
    char *path;
    pthread_rwlock_t lock;
    key_rec_t *keys;
    size_t nkeys;
    pthread_mutex_t check_mu;
    uint64_t next_check_ns;
    struct stat seen;
    bool seen_valid;
};

void gw_sha256_hex(const char *s, size_t len, char out[65])
{
    unsigned char d[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)s, len, d);
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < SHA256_DIGEST_LENGTH; i++) {
        out[2 * i] = hex[d[i] >> 4];
        out[2 * i + 1] = hex[d[i] & 15];
    }
    out[64] = 0;
}

/* Parses the file's text; a missing file is an empty store. */
static int parse_keys(const char *text, size_t len, key_rec_t **out, size_t *count)
{
    *out = NULL;
    *count = 0;
    pt_arena_t a;
    pt_arena_init(&a);
    pt_json_t doc;
    int rc = PT_ERR;
    if (pt_json_parse(&a, text, len, &doc, NULL, 0) || doc.type != PT_JSON_OBJECT) goto done;
    const pt_json_t *keys = pt_json_get(&doc, "keys");
    if (!keys || keys->type != PT_JSON_ARRAY) goto done;
    key_rec_t *recs = calloc(keys->len ? keys->len : 1, sizeof *recs);
    if (!recs) pt_oom();
    size_t n = 0;
    for (uint32_t i = 0; i < keys->len; i++) {
        const pt_json_t *k = &keys->u.elems[i];
        const pt_json_t *id = pt_json_get(k, "id"), *name = pt_json_get(k, "name"),
                        *hash = pt_json_get(k, "hash"), *created = pt_json_get(k, "created"),
                        *en = pt_json_get(k, "enabled");
        if (!id || id->type != PT_JSON_STRING || !name || name->type != PT_JSON_STRING || !hash ||
            hash->type != PT_JSON_STRING || hash->len != 64)
            continue;
        key_rec_t *r = &recs[n++];
        snprintf(r->id, sizeof r->id, "%s", id->u.str);
        snprintf(r->name, sizeof r->name, "%s", name->u.str);
        memcpy(r->hash, hash->u.str, 65);
        snprintf(r->created, sizeof r->created, "%s",
                 created && created->type == PT_JSON_STRING ? created->u.str : "");
        r->enabled = !en || en->type == PT_JSON_TRUE;
    }
    *out = recs;
    *count = n;
    rc = PT_OK;
done:
    pt_arena_destroy(&a);
    return rc;
}

static int read_file(const char *path, char **text, size_t *len)
{
    *text = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return errno == ENOENT ? PT_NOTFOUND : PT_ERR;
    pt_buf_t b = PT_BUF_INIT;
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (b.len + n > 64u * 1024u * 1024u) break;
        pt_buf_append(&b, chunk, n);
    }
    fclose(f);
    pt_buf_putc(&b, 0);
    *len = b.len - 1;
    *text = pt_buf_detach(&b, &n);
    return PT_OK;
}

static void reload_if_changed(gw_keystore_t *ks)
{
    uint64_t now = gw_now_ns();
    pthread_mutex_lock(&ks->check_mu);
    if (now < ks->next_check_ns) {
        pthread_mutex_unlock(&ks->check_mu);
        return;
    }
    ks->next_check_ns = now + 1000000000ull;
    struct stat st;
    bool exists = stat(ks->path, &st) == 0;
    bool changed = exists != ks->seen_valid ||
                   (exists && (st.st_ino != ks->seen.st_ino || st.st_size != ks->seen.st_size ||
                               st.st_mtim.tv_sec != ks->seen.st_mtim.tv_sec ||
                               st.st_mtim.tv_nsec != ks->seen.st_mtim.tv_nsec));
    if (changed) {
        key_rec_t *recs = NULL;
        size_t n = 0;
        char *text;
        size_t len;
        int rc = exists ? read_file(ks->path, &text, &len) : PT_NOTFOUND;
        if (rc == PT_OK) {
            if (parse_keys(text, len, &recs, &n)) {
                fprintf(stderr, "portico: gateway: %s is not a valid key file; keeping the previous keys\n", ks->path);
                rc = PT_ERR;
            }
            free(text);
        }
        if (rc != PT_ERR) {
            pthread_rwlock_wrlock(&ks->lock);
            free(ks->keys);
            ks->keys = recs;
            ks->nkeys = n;
            pthread_rwlock_unlock(&ks->lock);
            ks->seen = st;
            ks->seen_valid = exists;
        }
    }
    pthread_mutex_unlock(&ks->check_mu);
}

int gw_keys_open(const char *data_dir, gw_keystore_t **out)
{
    gw_keystore_t *ks = calloc(1, sizeof *ks);
    if (!ks) pt_oom();
    size_t n = strlen(data_dir) + sizeof GW_KEYS_FILE + 2;
    ks->path = malloc(n);
    if (!ks->path) pt_oom();
    snprintf(ks->path, n, "%s/%s", data_dir, GW_KEYS_FILE);
    pthread_rwlock_init(&ks->lock, NULL);
    pthread_mutex_init(&ks->check_mu, NULL);
    reload_if_changed(ks);
    *out = ks;
    return PT_OK;
}

void gw_keys_close(gw_keystore_t *ks)
{
    if (!ks) return;
    pthread_rwlock_destroy(&ks->lock);
    pthread_mutex_destroy(&ks->check_mu);
    free(ks->keys);
    free(ks->path);
    free(ks);
}

bool gw_keys_check(gw_keystore_t *ks, const char *key, size_t len, char id[32], char name[128])
{
    reload_if_changed(ks);
    char h[65];
    gw_sha256_hex(key, len, h);
    bool ok = false;
    pthread_rwlock_rdlock(&ks->lock);
    for (size_t i = 0; i < ks->nkeys; i++) {
        if (ks->keys[i].enabled && CRYPTO_memcmp(ks->keys[i].hash, h, 64) == 0) {
            snprintf(id, 32, "%s", ks->keys[i].id);
            snprintf(name, 128, "%s", ks->keys[i].name);
            ok = true;
            break;
        }
    }
    pthread_rwlock_unlock(&ks->lock);
    return ok;
}

/* ------------------------------------------------------------ the CLI */

static const char APIKEY_USAGE[] =
    "Usage: portico apikey create --name NAME [--data-dir DIR]\n"
    "       portico apikey list [--data-dir DIR]\n"
    "       portico apikey revoke ID|NAME [--data-dir DIR]\n"
    "\n"
    "Manages the API keys of the gateway (stored hashed in DIR/" GW_KEYS_FILE ").\n"
    "The key itself is printed once, by create. A running server picks up\n"
    "changes within a second. DIR defaults to ./portico-data.\n";

static void random_chars(char *out, size_t n)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    unsigned char raw[64];
    size_t got = 0;
    while (got < n) {
        ssize_t r = getrandom(raw, sizeof raw, 0);
        if (r <= 0) continue;
        for (ssize_t i = 0; i < r && got < n; i++)
            if (raw[i] < 248) out[got++] = alphabet[raw[i] % 62]; /* 248 = 4*62: unbiased */
    }
    out[n] = 0;
}

static int write_keys(const char *path, const key_rec_t *recs, size_t n)
{
    pt_buf_t b = PT_BUF_INIT;
    pt_jw_t w;
    pt_jw_init(&w, &b);
    pt_jw_obj_begin(&w);
    pt_jw_keyz(&w, "keys");
    pt_jw_arr_begin(&w);
    for (size_t i = 0; i < n; i++) {
        pt_jw_obj_begin(&w);
        pt_jw_keyz(&w, "id"); pt_jw_strz(&w, recs[i].id);
        pt_jw_keyz(&w, "name"); pt_jw_strz(&w, recs[i].name);
        pt_jw_keyz(&w, "hash"); pt_jw_strz(&w, recs[i].hash);
        pt_jw_keyz(&w, "created"); pt_jw_strz(&w, recs[i].created);
        pt_jw_keyz(&w, "enabled"); pt_jw_bool(&w, recs[i].enabled);
        pt_jw_obj_end(&w);
    }
    pt_jw_arr_end(&w);
    pt_jw_obj_end(&w);
    pt_buf_putc(&b, '\n');
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int rc = PT_ERR;
    if (fd >= 0) {
        if (write(fd, b.data, b.len) == (ssize_t)b.len && fsync(fd) == 0) rc = PT_OK;
        close(fd);
        if (rc == PT_OK && rename(tmp, path)) rc = PT_ERR;
        if (rc) unlink(tmp);
    }
    pt_buf_free(&b);
    return rc;
}

int pt_gw_apikey_main(int argc, char **argv)
{
    const char *data_dir = "./portico-data";
    const char *name = NULL, *cmd = NULL, *target = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--data-dir") && i + 1 < argc) data_dir = argv[++i];
        else if (!strcmp(argv[i], "--name") && i + 1 < argc) name = argv[++i];
        else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) { fputs(APIKEY_USAGE, stdout); return 0; }
        else if (argv[i][0] == '-') { fprintf(stderr, "portico apikey: unknown option '%s'\n%s", argv[i], APIKEY_USAGE); return 2; }
        else if (!cmd) cmd = argv[i];
        else if (!target) target = argv[i];
        else { fprintf(stderr, "portico apikey: unexpected argument '%s'\n", argv[i]); return 2; }
    }
    if (!cmd || (strcmp(cmd, "create") && strcmp(cmd, "list") && strcmp(cmd, "revoke"))) {
        fputs(APIKEY_USAGE, stderr);
        return 2;
    }
    if (!strcmp(cmd, "create") && (!name || !*name || strlen(name) >= 128)) {
        fprintf(stderr, "portico apikey create: --name NAME is required (at most 127 bytes)\n");
        return 2;
    }
    if (!strcmp(cmd, "revoke") && !target) {
        fprintf(stderr, "portico apikey revoke: which key? (ID or NAME)\n");
        return 2;
    }
    if (mkdir(data_dir, 0700) && errno != EEXIST) {
        fprintf(stderr, "portico apikey: cannot create '%s': %s\n", data_dir, strerror(errno));
        return 1;
    }
    char path[4096], lockpath[4200];
    snprintf(path, sizeof path, "%s/%s", data_dir, GW_KEYS_FILE);
    snprintf(lockpath, sizeof lockpath, "%s.lock", path);
    int lfd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lfd < 0 || flock(lfd, LOCK_EX)) {
        fprintf(stderr, "portico apikey: cannot lock '%s': %s\n", lockpath, strerror(errno));
        if (lfd >= 0) close(lfd);
        return 1;
    }
    int status = 0;
    key_rec_t *recs = NULL;
    size_t n = 0;
    char *text;
    size_t len;
    int rc = read_file(path, &text, &len);
    if (rc == PT_ERR || (rc == PT_OK && parse_keys(text, len, &recs, &n))) {
        fprintf(stderr, "portico apikey: cannot read '%s'\n", path);
        if (rc == PT_OK) free(text);
        close(lfd);
        return 1;
    }
    if (rc == PT_OK) free(text);

    if (!strcmp(cmd, "list")) {
        printf("%-12s %-24s %-22s %s\n", "ID", "NAME", "CREATED", "STATUS");
        for (size_t i = 0; i < n; i++)
            printf("%-12s %-24s %-22s %s\n", recs[i].id, recs[i].name, recs[i].created,
                   recs[i].enabled ? "enabled" : "revoked");
    } else if (!strcmp(cmd, "create")) {
        for (size_t i = 0; i < n; i++)
            if (recs[i].enabled && !strcmp(recs[i].name, name)) {
                fprintf(stderr, "portico apikey create: an enabled key named '%s' exists (revoke it first)\n", name);
                status = 1;
                goto out;
            }
        key_rec_t *nr = realloc(recs, (n + 1) * sizeof *nr);
        if (!nr) pt_oom();
        recs = nr;
        key_rec_t *r = &recs[n++];
        memset(r, 0, sizeof *r);
        random_chars(r->id, 10);
        snprintf(r->name, sizeof r->name, "%s", name);
        char secret[41];
        random_chars(secret, 40);
        gw_sha256_hex(secret, 40, r->hash);
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(r->created, sizeof r->created, "%Y-%m-%dT%H:%M:%SZ", &tm);
        r->enabled = true;
        if (write_keys(path, recs, n)) {
            fprintf(stderr, "portico apikey: cannot write '%s': %s\n", path, strerror(errno));
            status = 1;
            goto out;
        }
        printf("id: %s\nname: %s\nkey: %s\n", r->id, r->name, secret);
    } else {
        size_t hits = 0;
        for (size_t i = 0; i < n; i++)
            if (recs[i].enabled && (!strcmp(recs[i].id, target) || !strcmp(recs[i].name, target))) {
                recs[i].enabled = false;
                hits++;
            }
        if (!hits) {
            fprintf(stderr, "portico apikey revoke: no enabled key '%s'\n", target);
            status = 1;
            goto out;
        }
        if (write_keys(path, recs, n)) {
            fprintf(stderr, "portico apikey: cannot write '%s': %s\n", path, strerror(errno));
            status = 1;
            goto out;
        }
        printf("revoked %zu key%s\n", hits, hits == 1 ? "" : "s");
    }
out:
    free(recs);
    close(lfd);
    return status;
}
