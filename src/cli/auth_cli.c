/* `portico credentials add|list|remove` and the authentication set-up of
 * `portico serve` (see auth_cli.h).
 *
 * Secure default: authentication is required whenever the listen address
 * is not loopback (127.0.0.0/8, ::1), whatever the options say; on loopback
 * it is required as soon as any credential exists (or with --auth
 * required), and off only when there are none (local development, the test
 * suite). The start-up banner says which.
 *
 * Secrets: printed once, by `credentials add` when it generated them, and
 * never otherwise (list shows key ids, names and policies only; no error
 * message includes one).
 *
 * Reload: the server calls pt_cli_auth_poll about once a second; when the
 * credentials file or the config file changed (mtime, size, inode), both are
 * read again into a new store that replaces the old one atomically. A file
 * that fails to load leaves the previous credentials in force. */
#include "cli/auth_cli.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "gateway/yaml_json.h"
#include "util/json.h"

struct pt_cli_auth {
    pt_auth_t *gate;
    char cred_path[4096];
    char *config_path;
    bool loopback;
    pt_auth_mode_t mode;
    struct stat cred_st, config_st;
    bool cred_exists, config_exists;
    char *tls_cert, *tls_key;
};

int pt_cli_auth_mode(const char *s, pt_auth_mode_t *out)
{
    if (!strcmp(s, "auto")) *out = PT_AUTH_MODE_AUTO;
    else if (!strcmp(s, "required")) *out = PT_AUTH_MODE_REQUIRED;
    else if (!strcmp(s, "off")) *out = PT_AUTH_MODE_OFF;
    else return PT_ERR;
    return PT_OK;
}

/* Every address `host` resolves to is a loopback address. */
static bool host_is_loopback(const char *host)
{
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    if (getaddrinfo(host, "0", &hints, &res) || !res) return false;
    bool all = true;
    for (struct addrinfo *a = res; a; a = a->ai_next) {
        if (a->ai_family == AF_INET) {
            uint32_t ip = ntohl(((struct sockaddr_in *)a->ai_addr)->sin_addr.s_addr);
            if ((ip >> 24) != 127) all = false;
        } else if (a->ai_family == AF_INET6) {
            const struct in6_addr *ip6 = &((struct sockaddr_in6 *)a->ai_addr)->sin6_addr;
            if (!IN6_IS_ADDR_LOOPBACK(ip6)) all = false;
        } else {
            all = false;
        }
    }
    freeaddrinfo(res);
    return all;
}

static int cred_path(const char *data_dir, char *out, size_t len)
{
    if ((size_t)snprintf(out, len, "%s/%s", data_dir, PT_CRED_FILE) >= len) return PT_ERR;
    return PT_OK;
}

/* The config file's authentication members (auth, credentials, tls). The
 * file is YAML (JSON is YAML); a YAML file is converted to JSON first, so
 * `auth: required` in YAML is never silently ignored. */
static int load_config(const char *path, pt_credstore_t *st, pt_auth_mode_t *mode, bool *is_json,
                       char **tls_cert, char **tls_key, char *errbuf, size_t errlen)
{
    *is_json = false;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(errbuf, errlen, "cannot read config file '%s': %s", path, strerror(errno));
        return PT_ERR;
    }
    pt_buf_t text = PT_BUF_INIT;
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (text.len + n > 64u * 1024u * 1024u) break;
        pt_buf_append(&text, chunk, n);
    }
    fclose(f);
    size_t i = 0;
    while (i < text.len && strchr(" \t\r\n", text.data[i])) i++;
    int rc = PT_OK;
    if (i == text.len) goto done; /* empty file: nothing configured */
    *is_json = true;
    if (text.data[i] != '{') {
        pt_buf_t json = PT_BUF_INIT;
        if (pt_yaml_to_json(path, text.data, text.len, &json, errbuf, errlen)) {
            pt_buf_free(&json);
            rc = PT_ERR;
            goto done;
        }
        pt_buf_free(&text);
        text = json;
    }
    pt_arena_t arena;
    pt_arena_init(&arena);
    pt_json_t doc;
    char jerr[128];
    if (pt_json_parse(&arena, text.data, text.len, &doc, jerr, sizeof jerr)) {
        snprintf(errbuf, errlen, "config file '%s': invalid JSON: %s", path, jerr);
        rc = PT_ERR;
    } else {
        const pt_json_t *v = pt_json_get(&doc, "auth");
        if (v && (v->type != PT_JSON_STRING || pt_cli_auth_mode(v->u.str, mode))) {
            snprintf(errbuf, errlen,
                     "config file '%s': \"auth\" must be \"auto\", \"required\" or \"off\"", path);
            rc = PT_ERR;
        }
        if (!rc && (v = pt_json_get(&doc, "credentials")) != NULL)
            rc = pt_credstore_add_json(st, v, path, errbuf, errlen);
        if (!rc && (v = pt_json_get(&doc, "tls")) != NULL) {
            const pt_json_t *cert = pt_json_get(v, "cert"), *key = pt_json_get(v, "key");
            if (v->type != PT_JSON_OBJECT || !cert || !key || cert->type != PT_JSON_STRING ||
                key->type != PT_JSON_STRING || !cert->len || !key->len) {
                snprintf(errbuf, errlen,
                         "config file '%s': \"tls\" must be {\"cert\": FILE, \"key\": FILE}",
                         path);
                rc = PT_ERR;
            } else if (tls_cert) {
                free(*tls_cert);
                free(*tls_key);
                *tls_cert = strdup(cert->u.str);
                *tls_key = strdup(key->u.str);
            }
        }
    }
    pt_arena_destroy(&arena);
done:
    pt_buf_free(&text);
    return rc;
}

static void stat_file(const char *path, struct stat *st, bool *exists)
{
    *exists = path && stat(path, st) == 0;
    if (!*exists) memset(st, 0, sizeof *st);
}

static int load_all(pt_cli_auth_t *a, pt_credstore_t *st, pt_auth_mode_t *mode, char *errbuf,
                    size_t errlen)
{
    pt_credstore_init(st);
    stat_file(a->cred_path, &a->cred_st, &a->cred_exists);
    stat_file(a->config_path, &a->config_st, &a->config_exists);
    if (pt_credstore_load(st, a->cred_path, errbuf, errlen)) goto fail;
    if (a->config_path) {
        bool is_json;
        if (load_config(a->config_path, st, mode, &is_json, &a->tls_cert, &a->tls_key, errbuf,
                        errlen))
            goto fail;
    }
    return PT_OK;
fail:
    pt_credstore_free(st);
    return PT_ERR;
}

int pt_cli_auth_start(const char *host, pt_auth_mode_t mode, const char *data_dir,
                      const char *config_path, pt_cli_auth_t **out, char *errbuf, size_t errlen)
{
    *out = NULL;
    pt_cli_auth_t *a = calloc(1, sizeof *a);
    if (!a) pt_oom();
    if (cred_path(data_dir, a->cred_path, sizeof a->cred_path)) {
        snprintf(errbuf, errlen, "data directory path too long");
        free(a);
        return PT_ERR;
    }
    a->config_path = config_path ? strdup(config_path) : NULL;
    a->loopback = host_is_loopback(host);
    pt_auth_mode_t cfg_mode = PT_AUTH_MODE_AUTO;
    pt_credstore_t st;
    if (load_all(a, &st, &cfg_mode, errbuf, errlen)) {
        pt_cli_auth_free(a);
        return PT_ERR;
    }
    /* The command line wins over the config file. */
    a->mode = mode != PT_AUTH_MODE_AUTO ? mode : cfg_mode;
    if (a->mode == PT_AUTH_MODE_OFF && !a->loopback) {
        snprintf(errbuf, errlen,
                 "authentication cannot be turned off on a non-loopback address ('%s'): "
                 "listen on 127.0.0.1 or add credentials with 'portico credentials add'",
                 host);
        pt_credstore_free(&st);
        pt_cli_auth_free(a);
        return 2;
    }
    bool required = !a->loopback || a->mode == PT_AUTH_MODE_REQUIRED ||
                    (a->mode == PT_AUTH_MODE_AUTO && st.n > 0);
    pt_auth_create(NULL, &a->gate);
    pt_auth_set_required(a->gate, required);
    pt_auth_replace(a->gate, &st);
    *out = a;
    return PT_OK;
}

pt_auth_t *pt_cli_auth_gate(pt_cli_auth_t *a) { return a->gate; }

void pt_cli_auth_describe(pt_cli_auth_t *a, char *out, size_t len)
{
    size_t n = pt_auth_count(a->gate);
    if (!pt_auth_required(a->gate))
        snprintf(out, len,
                 "authentication OFF: requests are not verified (loopback address and no "
                 "credentials; add one with 'portico credentials add')");
    else if (n == 0)
        snprintf(out, len,
                 "authentication required (SigV4), but no credentials exist yet: every request "
                 "is refused until 'portico credentials add' creates one");
    else
        snprintf(out, len, "authentication required (SigV4), %zu credential%s", n,
                 n == 1 ? "" : "s");
}

static bool changed(const struct stat *old, bool old_exists, const char *path)
{
    struct stat st;
    bool exists = path && stat(path, &st) == 0;
    if (exists != old_exists) return true;
    if (!exists) return false;
    return st.st_ino != old->st_ino || st.st_size != old->st_size ||
           st.st_mtim.tv_sec != old->st_mtim.tv_sec ||
           st.st_mtim.tv_nsec != old->st_mtim.tv_nsec;
}

void pt_cli_auth_poll(pt_cli_auth_t *a)
{
    if (!changed(&a->cred_st, a->cred_exists, a->cred_path) &&
        !changed(&a->config_st, a->config_exists, a->config_path))
        return;
    pt_credstore_t st;
    pt_auth_mode_t mode = PT_AUTH_MODE_AUTO;
    char err[512];
    if (load_all(a, &st, &mode, err, sizeof err)) {
        fprintf(stderr, "portico: credentials not reloaded, the previous ones stay in force: %s\n",
                err);
        return;
    }
    size_t n = st.n;
    /* Credentials appearing on a loopback server in auto mode turn
     * authentication on; it is never turned off while running. */
    if (n > 0 && a->mode == PT_AUTH_MODE_AUTO) pt_auth_set_required(a->gate, true);
    pt_auth_replace(a->gate, &st);
    fprintf(stderr, "portico: credentials reloaded (%zu credential%s)\n", n, n == 1 ? "" : "s");
}

void pt_cli_auth_tls(pt_cli_auth_t *a, const char **cert, const char **key)
{
    *cert = a->tls_cert;
    *key = a->tls_key;
}

void pt_cli_auth_free(pt_cli_auth_t *a)
{
    if (!a) return;
    free(a->tls_cert);
    free(a->tls_key);
    pt_auth_destroy(a->gate);
    free(a->config_path);
    free(a);
}

/* ---- portico credentials ---- */

static const char CRED_USAGE[] =
    "Usage: portico credentials add [--data-dir DIR] [--name NAME]\n"
    "                               [--access-key-id ID --secret-access-key SECRET]\n"
    "                               [--allow-actions A,B,... --allow-tables T,U,...]\n"
    "       portico credentials list [--data-dir DIR]\n"
    "       portico credentials remove [--data-dir DIR] ACCESS_KEY_ID\n"
    "\n"
    "Manages the access keys stored in DIR/credentials.json (mode 0600; default\n"
    "DIR ./portico-data). 'add' generates a key id and secret unless both are\n"
    "given, and prints a generated secret this once only. Without --allow-*\n"
    "the key has full access; with them it may perform only the listed actions\n"
    "(e.g. dynamodb:GetItem, dynamodb:Get*, Query) on tables matching the\n"
    "listed patterns (e.g. orders*). A running server picks changes up within\n"
    "about a second.\n";

static int cred_usage(const char *what, const char *arg)
{
    fprintf(stderr, "portico: %s%s%s%s\nTry 'portico credentials --help'.\n", what,
            arg ? " '" : "", arg ? arg : "", arg ? "'" : "");
    return 2;
}

/* "a,b,c" -> JSON array text appended to out. */
static void csv_to_json(pt_jw_t *w, const char *csv)
{
    pt_jw_arr_begin(w);
    const char *p = csv;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        while (n && (*p == ' ')) p++, n--;
        while (n && p[n - 1] == ' ') n--;
        if (n) pt_jw_str(w, p, n);
        if (!e) break;
        p = e + 1;
    }
    pt_jw_arr_end(w);
}

static int make_policy(const char *actions, const char *tables, pt_policy_t *out)
{
    pt_buf_t b = PT_BUF_INIT;
    pt_jw_t w;
    pt_jw_init(&w, &b);
    pt_jw_obj_begin(&w);
    pt_jw_keyz(&w, "actions");
    csv_to_json(&w, actions);
    pt_jw_keyz(&w, "tables");
    csv_to_json(&w, tables);
    pt_jw_obj_end(&w);
    pt_arena_t arena;
    pt_arena_init(&arena);
    pt_json_t doc;
    char err[256];
    int rc = pt_json_parse(&arena, b.data, b.len, &doc, NULL, 0);
    if (!rc) rc = pt_policy_parse(&doc, out, err, sizeof err);
    if (rc) fprintf(stderr, "portico: invalid access policy: %s\n", rc ? err : "");
    pt_arena_destroy(&arena);
    pt_buf_free(&b);
    return rc;
}

static void print_list(const char *label, char **v, size_t n)
{
    printf(" %s=", label);
    for (size_t i = 0; i < n; i++) printf("%s%s", i ? "," : "", v[i]);
}

int pt_cli_credentials(int argc, char **argv)
{
    enum { O_DATA = 256, O_NAME, O_ID, O_SECRET, O_ACTIONS, O_TABLES };
    static const struct option longopts[] = {
        {"data-dir", required_argument, NULL, O_DATA},
        {"name", required_argument, NULL, O_NAME},
        {"access-key-id", required_argument, NULL, O_ID},
        {"secret-access-key", required_argument, NULL, O_SECRET},
        {"allow-actions", required_argument, NULL, O_ACTIONS},
        {"allow-tables", required_argument, NULL, O_TABLES},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    if (argc < 2) {
        fputs(CRED_USAGE, stderr);
        return 2;
    }
    const char *sub = argv[1];
    if (!strcmp(sub, "--help") || !strcmp(sub, "-h") || !strcmp(sub, "help")) {
        fputs(CRED_USAGE, stdout);
        return 0;
    }
    if (strcmp(sub, "add") && strcmp(sub, "list") && strcmp(sub, "remove"))
        return cred_usage("unknown credentials command", sub);
    const char *data_dir = "./portico-data", *name = NULL, *id = NULL, *secret = NULL;
    const char *actions = NULL, *tables = NULL;
    opterr = 0;
    optind = 1;
    int ch;
    while ((ch = getopt_long(argc - 1, argv + 1, ":h", longopts, NULL)) != -1) {
        switch (ch) {
        case O_DATA: data_dir = optarg; break;
        case O_NAME: name = optarg; break;
        case O_ID: id = optarg; break;
        case O_SECRET: secret = optarg; break;
        case O_ACTIONS: actions = optarg; break;
        case O_TABLES: tables = optarg; break;
        case 'h': fputs(CRED_USAGE, stdout); return 0;
        case ':': return cred_usage("this option needs a value:", argv[optind]);
        default: return cred_usage("unknown option", argv[optind]);
        }
    }
    int nargs = argc - 1 - optind;
    char **args = argv + 1 + optind;
    bool is_add = !strcmp(sub, "add"), is_remove = !strcmp(sub, "remove");
    if (is_remove ? nargs != 1 : nargs != 0)
        return cred_usage(is_remove ? "remove needs exactly one ACCESS_KEY_ID"
                                          : "unexpected argument", NULL);
    if (!is_add && (name || id || secret || actions || tables))
        return cred_usage("--name, --access-key-id, --secret-access-key and --allow-* "
                                "are options of 'add'", NULL);
    if (is_add && (!id != !secret))
        return cred_usage("--access-key-id and --secret-access-key go together", NULL);
    if (is_add && (!actions != !tables))
        return cred_usage("--allow-actions and --allow-tables go together", NULL);

    char path[4096], err[512];
    if (cred_path(data_dir, path, sizeof path)) return cred_usage("--data-dir too long", NULL);
    pt_credstore_t st;
    pt_credstore_init(&st);
    if (pt_credstore_load(&st, path, err, sizeof err)) {
        fprintf(stderr, "portico: %s\n", err);
        return 1;
    }
    int rc = 0;
    if (!strcmp(sub, "list")) {
        if (st.n == 0) printf("no credentials in %s\n", path);
        for (size_t i = 0; i < st.n; i++) {
            const pt_credential_t *c = &st.items[i];
            printf("%s", c->key_id);
            if (c->name) printf(" name=%s", c->name);
            if (c->policy.unrestricted) {
                printf(" access=full");
            } else {
                for (size_t k = 0; k < c->policy.nstmts; k++) {
                    print_list("actions", c->policy.stmts[k].actions, c->policy.stmts[k].nactions);
                    print_list("tables", c->policy.stmts[k].tables, c->policy.stmts[k].ntables);
                }
                if (!c->policy.nstmts) printf(" access=none");
            }
            printf("\n");
        }
    } else if (is_remove) {
        if (pt_credstore_remove(&st, args[0]) != PT_OK) {
            fprintf(stderr, "portico: no access key id '%s' in %s\n", args[0], path);
            rc = 1;
        } else if (pt_credstore_save(&st, path, err, sizeof err)) {
            fprintf(stderr, "portico: %s\n", err);
            rc = 1;
        } else {
            printf("removed %s\n", args[0]);
        }
    } else {
        char gen_id[21], gen_secret[41];
        bool generated = !id;
        if (generated) {
            if (pt_credential_generate(gen_id, gen_secret)) {
                fprintf(stderr, "portico: no randomness available to generate a key\n");
                pt_credstore_free(&st);
                return 1;
            }
            id = gen_id;
            secret = gen_secret;
        }
        pt_policy_t pol = {.unrestricted = true};
        if (actions && make_policy(actions, tables, &pol)) {
            pt_credstore_free(&st);
            return 2;
        }
        /* The data directory may not exist yet (credentials before the
         * first start): create it as the server would, private. */
        if (mkdir(data_dir, 0700) && errno != EEXIST) {
            fprintf(stderr, "portico: cannot create data directory '%s': %s\n", data_dir,
                    strerror(errno));
            rc = 1;
        } else if (pt_credstore_add(&st, id, secret, name, &pol, err, sizeof err)) {
            fprintf(stderr, "portico: %s\n", err);
            rc = 1;
        } else if (pt_credstore_save(&st, path, err, sizeof err)) {
            fprintf(stderr, "portico: %s\n", err);
            rc = 1;
        } else {
            printf("Access key id:     %s\n", id);
            if (generated) {
                printf("Secret access key: %s\n", secret);
                printf("The secret is shown only now: store it safely.\n");
            }
        }
        pt_policy_free(&pol);
        if (generated) OPENSSL_cleanse(gen_secret, sizeof gen_secret);
    }
    pt_credstore_free(&st);
    return rc;
}
