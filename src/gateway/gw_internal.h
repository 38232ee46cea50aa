/* Internals of the API gateway shared by the files of src/gateway: the YAML
 * node tree, the compiled (immutable) configuration, templates, the router
 * and the stateful services (throttle buckets, API keys, metrics).
 *
 * Ownership: a compiled configuration (gw_config_t) and everything it points
 * to live in one arena owned by the configuration; it is never modified
 * after compilation except for its throttle buckets (which carry their own
 * locks) and its reference count. Requests hold a reference for their whole
 * life, so a reload never frees what an in-flight request still uses. */
#ifndef PT_GW_INTERNAL_H
#define PT_GW_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "portico/portico.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/json.h"

/* ---------------------------------------------------------------- YAML */

typedef enum { GW_N_SCALAR, GW_N_MAP, GW_N_SEQ } gw_node_kind_t;

typedef struct gw_node gw_node_t;
typedef struct gw_pair {
    gw_node_t *key;
    gw_node_t *val;
} gw_pair_t;

struct gw_node {
    gw_node_kind_t kind;
    int line, col;          /* 1-based position in the file */
    const char *str;        /* SCALAR: NUL-terminated text */
    size_t len;
    bool quoted;            /* SCALAR: written quoted (always a string) */
    gw_pair_t *pairs;       /* MAP */
    gw_node_t **items;      /* SEQ */
    size_t n;               /* MAP: pairs; SEQ: items */
};

/* Parses YAML (JSON is YAML) text into a node tree in `arena`. The root is
 * the first document's root (NULL for an empty file). Errors name the file,
 * line and column. Aliases are expanded with a bound on the total number of
 * nodes (no "billion laughs"). */
int gw_yaml_parse(const char *file, const char *text, size_t len, pt_arena_t *arena,
                  gw_node_t **root, char *errbuf, size_t errlen);
/* Map lookup by key text; NULL if absent or not a map. */
gw_node_t *gw_node_get(const gw_node_t *map, const char *key);

/* ------------------------------------------------------------ templates */

typedef enum {
    GW_SRC_PATH, GW_SRC_QUERY, GW_SRC_HEADER, GW_SRC_BODY, GW_SRC_STAGE, GW_SRC_CONTEXT,
} gw_source_t;

typedef enum {
    GW_F_NONE,      /* typed: strings as strings, body values as they are */
    GW_F_STRING,    /* always a JSON string (non-strings as their JSON text) */
    GW_F_NUMBER,    /* a JSON number; a value that is not a number fails (400) */
    GW_F_BOOL,      /* "true"/"false" (or a JSON boolean) -> true/false */
    GW_F_JSON,      /* a string holding JSON text, parsed and inserted */
    GW_F_ITEM,      /* plain JSON object -> DynamoDB attribute map */
    GW_F_VALUE,     /* plain JSON value -> one DynamoDB attribute value */
} gw_filter_t;

typedef struct gw_ref {
    gw_source_t source;
    const char **path;      /* segments after the source ("a","b" for body.a.b) */
    size_t npath;
    gw_filter_t filter;
    const char *text;       /* the placeholder as written, for messages */
} gw_ref_t;

typedef struct gw_part {
    const char *lit;        /* literal text (refs: NULL) */
    size_t lit_len;
    gw_ref_t *ref;
} gw_part_t;

typedef enum { GW_T_JSON, GW_T_STR, GW_T_OBJ, GW_T_ARR } gw_tpl_kind_t;

typedef struct gw_tpl gw_tpl_t;
struct gw_tpl {
    gw_tpl_kind_t kind;
    const char *json;       /* JSON: literal JSON text (number, true, null...) */
    gw_part_t *parts;       /* STR: concatenation; one ref alone = typed insert */
    size_t nparts;
    const char **keys;      /* OBJ: member names (literal) */
    gw_tpl_t **vals;        /* OBJ, ARR */
    size_t n;
};

/* Compiles a YAML node into a JSON template. `what` names the field for
 * errors. Returns PT_OK or PT_ERR (message in errbuf, without position). */
int gw_tpl_compile(pt_arena_t *arena, const gw_node_t *node, gw_tpl_t **out, char *errbuf,
                   size_t errlen);
/* Compiles a text template (mock bodies, header values, URLs). */
int gw_tpl_compile_text(pt_arena_t *arena, const char *text, size_t len, gw_tpl_t **out,
                        char *errbuf, size_t errlen);

typedef struct gw_kv {
    const char *name;
    const char *value;
    size_t name_len, value_len;
} gw_kv_t;

/* What placeholders read from. Lookups are by exact name except headers
 * (case-insensitive). */
typedef struct gw_tctx {
    const gw_kv_t *path; size_t npath;
    const gw_kv_t *query; size_t nquery;
    const gw_kv_t *headers; size_t nheaders;
    const gw_kv_t *stage; size_t nstage;
    const gw_kv_t *context; size_t ncontext;   /* "requestId", "authorizer.claims.sub" ... */
    const pt_json_t *body;                     /* NULL: no (JSON) body */
    const pt_json_t *claims;                   /* JWT claims object or NULL */
    const pt_json_t *authorizer;               /* custom authorizer's context or NULL */
} gw_tctx_t;

/* Renders a JSON template into a JSON document. Every inserted value is
 * written by the JSON writer (strings escaped), so no request data can
 * change the document's structure. A member whose value is a lone
 * placeholder with no value is omitted. Returns PT_OK, or PT_ERR with a
 * client-facing message (a filter rejected a value). */
int gw_tpl_render_json(const gw_tpl_t *t, const gw_tctx_t *ctx, pt_arena_t *arena, pt_buf_t *out,
                       char *errbuf, size_t errlen);
/* Renders a text template; `escape_json` escapes inserted values as the
 * contents of a JSON string (mock bodies), otherwise they go verbatim
 * (header values: CR and LF are dropped). */
void gw_tpl_render_text(const gw_tpl_t *t, const gw_tctx_t *ctx, bool escape_json, pt_buf_t *out);

/* DynamoDB typed JSON <-> plain JSON. */
void gw_ddb_unmarshal_value(pt_jw_t *w, const pt_json_t *av);
void gw_ddb_unmarshal_item(pt_jw_t *w, const pt_json_t *item);
int gw_ddb_marshal_value(pt_jw_t *w, const pt_json_t *v);
/* JSON string escape without the quotes. */
void gw_json_escape(pt_buf_t *out, const char *s, size_t len);

/* ------------------------------------------------------------- throttle */

typedef struct gw_throttle {
    bool set;
    double rate;            /* tokens per second */
    double burst;           /* bucket capacity */
} gw_throttle_t;

typedef struct gw_bucket {
    pthread_mutex_t mu;
    double tokens;
    uint64_t last_ns;
    double rate, burst;
} gw_bucket_t;

void gw_bucket_init(gw_bucket_t *b, const gw_throttle_t *t);
void gw_bucket_destroy(gw_bucket_t *b);
/* Takes one token if available. Returns true, or false with *retry_after_s
 * (whole seconds, >= 1) until a token will be there. */
bool gw_bucket_take(gw_bucket_t *b, uint64_t now_ns, double *wait_s);
/* Returns a token taken by gw_bucket_take (another level refused). */
void gw_bucket_refund(gw_bucket_t *b);
uint64_t gw_now_ns(void);

/* ------------------------------------------------------------------ JWT */

/* A JSON Web Key Set (RFC 7517) reduced to what verification needs: RSA
 * (n, e), EC P-256 (x, y) and symmetric (k) keys. Immutable once parsed and
 * reference-counted, so a set fetched from a URL can replace the cached one
 * while requests still verify with the old one. */
typedef enum { GW_KTY_OCT, GW_KTY_RSA, GW_KTY_EC } gw_kty_t;

typedef struct gw_jwk {
    gw_kty_t kty;
    char kid[128];              /* "" when the key has none */
    void *pkey;                 /* EVP_PKEY * (RSA, EC) */
    unsigned char *secret;      /* oct: the raw key */
    size_t secret_len;
} gw_jwk_t;

typedef struct gw_jwks {
    atomic_int refs;
    gw_jwk_t *keys;
    size_t n;
} gw_jwks_t;

/* Parses a JWKS document ({"keys": [...]}); keys of other types or curves
 * and keys with "use" other than "sig" are skipped. Returns PT_OK with a set
 * holding one reference (possibly with no keys), or PT_ERR with a message. */
int gw_jwks_parse(const char *text, size_t len, gw_jwks_t **out, char *errbuf, size_t errlen);
void gw_jwks_ref(gw_jwks_t *k);
void gw_jwks_unref(gw_jwks_t *k);

enum { GW_ALG_HS256 = 1, GW_ALG_RS256 = 2, GW_ALG_ES256 = 4 };

typedef struct gw_jwt_rules {
    const char *issuer;         /* NULL: any */
    const char **audiences;     /* aud or client_id must be one of them; none: any */
    size_t naudiences;
    unsigned algs;              /* GW_ALG_* mask */
    long leeway_s;              /* clock skew allowed on exp / nbf / iat */
} gw_jwt_rules_t;

typedef enum {
    GW_JWT_OK = 0,
    GW_JWT_INVALID,             /* malformed, bad signature, claims: 401 */
    GW_JWT_NO_KEY,              /* no key of the set matches kid/alg: 401 (or refetch) */
} gw_jwt_status_t;

/* Verifies a compact JWS `token` with `keys` and checks its registered
 * claims against `rules` at time `now` (seconds since the epoch): alg in
 * rules->algs and matching the key type, signature, exp (required) and
 * nbf / iat with leeway, iss, aud / client_id. On GW_JWT_OK, *claims is
 * the payload object (in `arena`). `why` gets a short reason for logs. */
gw_jwt_status_t gw_jwt_verify(const char *token, size_t len, const gw_jwks_t *keys,
                              const gw_jwt_rules_t *rules, int64_t now, pt_arena_t *arena,
                              pt_json_t *claims, char *why, size_t whylen);
/* True when the claims' `scope` (space-separated string) or `scp` (array
 * or string) holds at least one of `scopes` (API Gateway's rule), or when
 * no scopes are required. */
bool gw_jwt_has_scope(const pt_json_t *claims, const char *const *scopes, size_t n);
/* base64url without padding (RFC 7515 section 2); padding is tolerated.
 * Returns the decoded length or -1. out needs len*3/4+3 bytes. */
long gw_b64url_decode(const char *in, size_t len, unsigned char *out);

/* ---------------------------------------------------------- JSON Schema */

/* A compiled JSON Schema (draft 4 subset of API Gateway models, see
 * gw_schema.c). Lives in the configuration's arena; compiled regexes are
 * released by gw_schema_free_all at configuration teardown. */
typedef struct gw_schema gw_schema_t;

typedef struct gw_models {
    const char **names;
    gw_schema_t **schemas;
    size_t n;
} gw_models_t;

/* A new empty schema (accepts anything) in `arena`: models are allocated
 * first, then compiled, so that $ref can point at any model of the API. */
gw_schema_t *gw_schema_alloc(pt_arena_t *arena);
/* Compiles a schema node into `out`; $ref to "#/models/NAME", "NAME" or an
 * API Gateway model URL ".../models/NAME" resolves in `models` (an
 * unknown name is an error). Errors in errbuf (the keyword's path inside
 * the schema, then the message). Every compiled regex_t is appended to
 * *regexes (a malloc'd array) for gw_schema_free_regexes. */
int gw_schema_compile(pt_arena_t *arena, const gw_node_t *node, const gw_models_t *models,
                      void ***regexes, size_t *nregexes, gw_schema_t *out, char *errbuf,
                      size_t errlen);
/* Validates `doc` (NULL: no JSON body). Writes one JSON object per
 * violation ({"field": JSON pointer of the instance, "message": API
 * Gateway's (fge json-schema-validator's) message}) as elements of the
 * array `w` is inside, at most `max` of them. Returns the number of
 * violations found (0: valid). */
size_t gw_schema_validate(const gw_schema_t *s, const pt_json_t *doc, pt_jw_t *w, size_t max);
void gw_schema_free_regexes(void **regexes, size_t n);

/* ---------------------------------------------------------- authorizers */

typedef enum { GW_A_JWT, GW_A_CUSTOM, GW_A_SIGV4 } gw_atype_t;

typedef struct gw_authstate gw_authstate_t;

typedef struct gw_authorizer {
    const char *name;
    gw_atype_t type;
    const char **identity;      /* header names carrying the identity (JWT: one) */
    size_t nidentity;
    /* jwt */
    gw_jwt_rules_t rules;
    gw_jwks_t *jwks;            /* from jwks.file (NULL with a URL) */
    const char *jwks_url;
    uint64_t jwks_ttl_s;
    /* custom */
    const char *url;
    uint64_t timeout_ms;
    uint64_t cache_ttl_s;       /* 0: every request calls the endpoint */
    /* sigv4 */
    const char *service;        /* credential-scope service, "execute-api" */
    /* mutable: JWKS cache, custom decisions, credentials (own lock) */
    gw_authstate_t *state;
} gw_authorizer_t;

gw_authstate_t *gw_authstate_new(void);
void gw_authstate_free(gw_authstate_t *s);

/* -------------------------------------------------------------- config */

enum {
    GW_M_GET, GW_M_HEAD, GW_M_POST, GW_M_PUT, GW_M_DELETE, GW_M_PATCH, GW_M_OPTIONS, GW_M_ANY,
    GW_M_COUNT
};
int gw_method_index(const char *name);      /* -1 if unknown */
extern const char *const gw_method_names[GW_M_COUNT];

typedef enum { GW_I_MOCK, GW_I_DYNAMODB, GW_I_HTTP } gw_itype_t;

typedef struct gw_integration {
    gw_itype_t type;
    /* mock */
    int status;
    gw_kv_t *headers;           /* value: text template source */
    gw_tpl_t **header_tpls;
    size_t nheaders;
    gw_tpl_t *body;             /* text template */
    const char *content_type;
    /* dynamodb */
    const char *action;
    gw_tpl_t *request;          /* JSON template */
    bool raw_response;          /* return DynamoDB's JSON untouched */
    int success_status;
    /* http */
    gw_tpl_t *url;              /* text template */
    uint64_t timeout_ms;
    uint64_t max_body;          /* maxBodyBytes of a streamed request body */
} gw_integration_t;

/* Default maxBodyBytes of an http integration's streamed request bodies. */
#define GW_STREAM_MAX_BODY_DEFAULT (1024.0 * 1024 * 1024)
/* Request bodies up to this size are buffered even on a streaming route
 * (one write, pooled connection); larger or chunked ones are streamed. */
#define GW_STREAM_MIN_BODY (64u * 1024u)

typedef struct gw_cors {
    bool set;
    const char **origins; size_t norigins;   /* "*" allowed */
    const char *allow_methods;               /* joined, or NULL: the routes' */
    const char *allow_headers;               /* joined */
    const char *expose_headers;              /* joined */
    long max_age;                            /* -1: not sent */
    bool credentials;
} gw_cors_t;

typedef struct gw_route gw_route_t;
typedef struct gw_api gw_api_t;

struct gw_route {
    int method;                 /* GW_M_* */
    const char *path;           /* template as written */
    const char *key;            /* "GET /items/{id}" for logs and metrics */
    const char **segs;          /* template segments */
    size_t nsegs;
    bool greedy;                /* last segment is {name+} */
    bool api_key;               /* auth.apiKey */
    const gw_authorizer_t *authorizer; /* auth.authorizer or NULL */
    const char **scopes;        /* auth.scopes (JWT: at least one needed) */
    size_t nscopes;
    const gw_schema_t *body_schema; /* request.body model or NULL */
    const char *body_model;     /* its name ("inline" when written in place) */
    gw_throttle_t throttle;
    gw_bucket_t *bucket;        /* route-level bucket (per stage: see stage_buckets) */
    gw_bucket_t *stage_buckets; /* one per stage of the API */
    const char **required_query; size_t nrequired_query;
    const char **required_headers; size_t nrequired_headers;
    gw_integration_t integ;
    int line;
};

typedef struct gw_stage {
    const char *name;
    gw_kv_t *vars;
    size_t nvars;
    gw_throttle_t throttle;
    gw_bucket_t bucket;
} gw_stage_t;

typedef struct gw_rnode gw_rnode_t;
struct gw_rnode {
    const char *seg;            /* literal segment (children of lits) */
    gw_rnode_t **lits;          /* sorted by seg */
    size_t nlits;
    gw_rnode_t *param;          /* {name} */
    gw_rnode_t *greedy;         /* {name+}: matches one or more segments */
    gw_route_t *methods[GW_M_COUNT];
    bool any_route;
};

struct gw_api {
    const char *name;
    const char *base_path;      /* "" or "/todo" (no trailing slash) */
    const char *host;           /* NULL: any host */
    gw_cors_t cors;
    gw_stage_t *stages;
    size_t nstages;
    gw_route_t *routes;
    size_t nroutes;
    gw_rnode_t *root;
    gw_models_t models;
};

typedef struct gw_plan {
    const char *name;
    gw_throttle_t throttle;
    int64_t quota_limit;        /* 0: none */
    int quota_period;           /* 0 DAY, 1 WEEK, 2 MONTH */
    const char **keys;          /* API key names */
    size_t nkeys;
} gw_plan_t;

typedef struct gw_config {
    pt_arena_t *arena;
    atomic_int refs;
    char *file;
    char listen_host[256];
    unsigned listen_port;
    int listen_line, listen_col; /* where `listen` is written; 0 when absent */
    gw_throttle_t throttle;
    gw_bucket_t bucket;
    gw_api_t *apis;
    size_t napis;
    gw_plan_t *plans;
    size_t nplans;
    const char *metrics_path;   /* NULL: disabled */
    const char *access_log;     /* "stderr", "off" or a file path */
    uint64_t max_body;
    uint64_t version;
    gw_authorizer_t *authorizers;
    size_t nauthorizers;
    const char *admin_path;     /* reload endpoint; NULL: disabled */
    const char *admin_key_hash; /* SHA-256 hex of admin.apiKey; NULL: loopback only */
    void **regexes;             /* compiled patterns of models (freed with the config) */
    size_t nregexes;
} gw_config_t;

/* Loads and validates `file` whole. Returns PT_OK with *out (NULL when the
 * file has no `gateway:` section), or PT_ERR with every problem found, one
 * per line, each "FILE:LINE:COL: FIELD: message". */
int gw_config_load(const char *file, gw_config_t **out, char *errbuf, size_t errlen);
/* The same from text (tests, fuzzing); `file` names it in messages. */
int gw_config_parse(const char *file, const char *text, size_t len, gw_config_t **out,
                    char *errbuf, size_t errlen);
void gw_config_ref(gw_config_t *c);
void gw_config_unref(gw_config_t *c);

/* --------------------------------------------------------------- router */

#define GW_MAX_SEGS 64

typedef struct gw_match {
    gw_route_t *route;
    gw_kv_t params[GW_MAX_SEGS];
    size_t nparams;
    bool path_matched;          /* some resource matched (405 vs 404) */
    char allow[96];             /* methods of the best resource (405's Allow) */
} gw_match_t;

/* Builds the API's routing trie from its routes (conflicts reported). */
int gw_router_build(pt_arena_t *arena, gw_api_t *api, char *errbuf, size_t errlen);
/* Matches a decoded, split path. Segment values are referenced, not copied
 * (a greedy value is rebuilt in `arena`). Returns PT_OK with m->route set,
 * or PT_NOTFOUND (m->path_matched tells 405 from 404). */
int gw_router_match(const gw_api_t *api, int method, const char *const *segs, size_t nsegs,
                    pt_arena_t *arena, gw_match_t *m);

/* ------------------------------------------------------------- API keys */

/* The API keys of the data directory (file GW_KEYS_FILE, written by
 * `portico apikey`): secrets are stored as SHA-256 hashes only. The store
 * re-reads the file when it changes (checked at most once a second), so
 * keys created or revoked take effect without a restart. */
#define GW_KEYS_FILE "gateway-apikeys.json"
/* Before quotas lived in the engine: read once, migrated, then renamed
 * to GW_QUOTA_FILE ".migrated". */
#define GW_QUOTA_FILE "gateway-quotas.json"
/* The engine table holding quota counters: reserved (documented in
 * docs/gateway.md); created on first start. Item: k = "KEYID#PERIOD#START"
 * (S, hash key), used (N), expiresAt (N, TTL). */
#define GW_QUOTA_TABLE "__portico.gateway.quotas"

typedef struct gw_keystore gw_keystore_t;
int gw_keys_open(const char *data_dir, gw_keystore_t **out);
void gw_keys_close(gw_keystore_t *ks);
/* True when `key` is a valid, enabled key; copies its id and name. */
bool gw_keys_check(gw_keystore_t *ks, const char *key, size_t len, char id[32], char name[128]);
/* SHA-256 of s as 64 lowercase hex digits + NUL. */
void gw_sha256_hex(const char *s, size_t len, char out[65]);

/* ---------------------------------------------------- per-key usage state */

typedef struct gw_usage gw_usage_t;
/* Loads the current periods' quota counters from the engine (table
 * GW_QUOTA_TABLE, created if missing; an old GW_QUOTA_FILE in data_dir is
 * migrated into it) and starts a thread that adds the new counts to the
 * engine once a second. PT_ERR (with errbuf) if the table cannot be made. */
int gw_usage_open(const char *data_dir, pt_engine_t *engine, gw_usage_t **out, char *errbuf,
                  size_t errlen);
/* Writes the last counts and stops the thread (the engine must be open). */
void gw_usage_close(gw_usage_t *u);
/* The key's usage-plan throttle: true if a token was taken. */
bool gw_usage_throttle(gw_usage_t *u, const char *key_id, const gw_plan_t *plan, uint64_t now_ns,
                       double *wait_s);
void gw_usage_throttle_refund(gw_usage_t *u, const char *key_id);
/* Counts a request against the plan's quota for the current period (UTC
 * DAY / WEEK from Monday / MONTH). False when the limit is reached
 * (nothing counted). *remaining gets what is left after this request. */
bool gw_usage_quota(gw_usage_t *u, const char *key_id, const gw_plan_t *plan, int64_t *remaining);

/* -------------------------------------------------------------- metrics */

typedef struct gw_metrics gw_metrics_t;
gw_metrics_t *gw_metrics_new(void);
void gw_metrics_free(gw_metrics_t *m);
void gw_metrics_request(gw_metrics_t *m, const char *api, const char *stage, const char *route,
                        int status, double latency_s, double integration_s, const char *itype);
void gw_metrics_count(gw_metrics_t *m, const char *name, const char *api, const char *stage,
                      const char *reason);
/* Prometheus text exposition format 0.0.4. */
void gw_metrics_render(gw_metrics_t *m, pt_buf_t *out);

#endif
