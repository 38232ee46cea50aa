/* AWS Signature Version 4 verification (see sigv4.h for the contract).
 *
 * Invariants: every pointer the parser produces lies inside the request or
 * the caller's arena; every loop is bounded by input length; the only
 * comparison involving the secret-derived signature is CRYPTO_memcmp. The
 * error texts are DynamoDB's (dynalite index.js records them from the real
 * service), including their odd spacing.
 *
 * Not here: looking up keys (credentials.c), policies (policy.c), reading
 * the clock (the caller passes `now`). */
#include "auth/sigv4.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef pt_sigv4_str_t str_t;

static const char HEX[] = "0123456789abcdef";
static const char HEXU[] = "0123456789ABCDEF";

static bool str_eq(str_t a, const char *lit)
{
    size_t n = strlen(lit);
    return a.len == n && memcmp(a.s, lit, n) == 0;
}

static bool str_ieq(const char *a, size_t alen, const char *b, size_t blen)
{
    return alen == blen && strncasecmp(a, b, alen) == 0;
}

static bool is_blank(char c) { return c == ' ' || c == '\t'; }

static str_t trim(const char *s, size_t n)
{
    while (n && is_blank(*s)) s++, n--;
    while (n && is_blank(s[n - 1])) n--;
    return (str_t){s, n};
}

/* The value of header `name` (first occurrence), trimmed. */
static bool find_header(const pt_sigv4_request_t *req, const char *name, str_t *out)
{
    size_t nl = strlen(name);
    for (size_t i = 0; i < req->nheaders; i++) {
        const pt_sigv4_header_t *h = &req->headers[i];
        if (str_ieq(h->name, h->name_len, name, nl)) {
            *out = trim(h->value, h->value_len);
            return true;
        }
    }
    return false;
}

/* ---- hashing ---- */

static void to_hex(const unsigned char *d, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = HEX[d[i] >> 4];
        out[2 * i + 1] = HEX[d[i] & 15];
    }
    out[2 * n] = 0;
}

void pt_sigv4_sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256(data ? data : (const void *)"", len, md);
    to_hex(md, sizeof md, out);
}

static void hmac(const void *key, size_t key_len, const void *msg, size_t msg_len,
                 unsigned char out[32])
{
    unsigned int n = 32;
    HMAC(EVP_sha256(), key, (int)key_len, msg, msg_len, out, &n);
}

void pt_sigv4_signature(const char *secret, size_t secret_len, const char *date8,
                        const char *region, size_t region_len, const char *service,
                        size_t service_len, const char *string_to_sign, size_t sts_len,
                        char out[65])
{
    /* kSecret = "AWS4" + secret. The credential store refuses secrets over
     * 128 bytes, so the fixed buffer always holds the whole key (the clamp
     * only keeps a misuse from overflowing it). */
    unsigned char k[32];
    char ksecret[4 + 256];
    if (secret_len > 256) secret_len = 256;
    memcpy(ksecret, "AWS4", 4);
    memcpy(ksecret + 4, secret, secret_len);
    hmac(ksecret, 4 + secret_len, date8, 8, k);
    OPENSSL_cleanse(ksecret, sizeof ksecret);
    hmac(k, 32, region, region_len, k);
    hmac(k, 32, service, service_len, k);
    hmac(k, 32, "aws4_request", 12, k);
    unsigned char sig[32];
    hmac(k, 32, string_to_sign, sts_len, sig);
    OPENSSL_cleanse(k, sizeof k);
    to_hex(sig, 32, out);
}

void pt_sigv4_format_time(time_t t, char out[17])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    /* strftime cannot overflow here: the format is 16 characters for any
     * year 0..9999, and years outside that are clamped first. */
    if (tm.tm_year + 1900 > 9999) tm.tm_year = 9999 - 1900;
    if (tm.tm_year + 1900 < 0) tm.tm_year = -1900;
    if (strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm) != 16) memcpy(out, "19700101T000000Z", 17);
}

/* ---- canonical request ---- */

static bool unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || c == '.' || c == '~';
}

static void uri_encode(pt_buf_t *out, const char *s, size_t n, bool keep_slash)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (unreserved(c) || (keep_slash && c == '/')) {
            pt_buf_putc(out, (char)c);
        } else {
            char e[3] = {'%', HEXU[c >> 4], HEXU[c & 15]};
            pt_buf_append(out, e, 3);
        }
    }
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Percent-decodes into out (capacity >= n); a malformed escape stays as
 * it is. Returns the decoded length. */
static size_t pct_decode(const char *s, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int h, l;
        if (s[i] == '%' && i + 2 < n && (h = hexval(s[i + 1])) >= 0 &&
            (l = hexval(s[i + 2])) >= 0) {
            out[o++] = (char)(h * 16 + l);
            i += 2;
        } else {
            out[o++] = s[i];
        }
    }
    return o;
}

/* Path normalisation (RFC 3986 remove_dot_segments, with empty segments
 * dropped as AWS does), then encoding. */
static void canonical_uri(pt_buf_t *out, const char *path, size_t n)
{
    if (n == 0) {
        pt_buf_putc(out, '/');
        return;
    }
    /* Segment boundaries, kept as (start, len) in a stack that never holds
     * more entries than there are '/' in the path + 1. */
    size_t nseg = 1;
    for (size_t i = 0; i < n; i++) nseg += path[i] == '/';
    size_t *seg = malloc(nseg * 2 * sizeof *seg);
    if (!seg) pt_oom();
    size_t top = 0;
    size_t i = 0;
    while (i <= n) {
        size_t j = i;
        while (j < n && path[j] != '/') j++;
        size_t len = j - i;
        if (len == 0 || (len == 1 && path[i] == '.')) {
            /* dropped */
        } else if (len == 2 && path[i] == '.' && path[i + 1] == '.') {
            if (top) top--;
        } else {
            seg[2 * top] = i;
            seg[2 * top + 1] = len;
            top++;
        }
        i = j + 1;
    }
    pt_buf_putc(out, '/');
    for (size_t k = 0; k < top; k++) {
        if (k) pt_buf_putc(out, '/');
        uri_encode(out, path + seg[2 * k], seg[2 * k + 1], false);
    }
    if (top && path[n - 1] == '/') pt_buf_putc(out, '/');
    free(seg);
}

typedef struct qparam {
    char *key;
    size_t key_len;
    char *val;
    size_t val_len;
} qparam_t;

static int qparam_cmp(const void *a, const void *b)
{
    const qparam_t *x = a, *y = b;
    size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
    int c = memcmp(x->key, y->key, n);
    if (c) return c;
    if (x->key_len != y->key_len) return x->key_len < y->key_len ? -1 : 1;
    n = x->val_len < y->val_len ? x->val_len : y->val_len;
    c = memcmp(x->val, y->val, n);
    if (c) return c;
    return x->val_len < y->val_len ? -1 : x->val_len > y->val_len;
}

/* Splits, decodes and strictly re-encodes the query; sorted by encoded
 * name then value. */
static void canonical_query(pt_buf_t *out, const char *q, size_t n, bool exclude_signature)
{
    if (!n) return;
    size_t cap = 1;
    for (size_t i = 0; i < n; i++) cap += q[i] == '&';
    qparam_t *ps = calloc(cap, sizeof *ps);
    char *dec = malloc(n + 1);
    if (!ps || !dec) pt_oom();
    pt_buf_t enc = PT_BUF_INIT;
    size_t np = 0;
    size_t i = 0;
    /* Encoded pieces go into one buffer; offsets are fixed up after, since
     * the buffer may move while it grows. */
    size_t *offs = calloc(cap * 4, sizeof *offs);
    if (!offs) pt_oom();
    while (i < n) {
        size_t j = i;
        while (j < n && q[j] != '&') j++;
        if (j > i) {
            const char *eq = memchr(q + i, '=', j - i);
            size_t kl = eq ? (size_t)(eq - (q + i)) : j - i;
            size_t dl = pct_decode(q + i, kl, dec);
            if (exclude_signature && dl == 15 && memcmp(dec, "X-Amz-Signature", 15) == 0) {
                i = j + 1;
                continue;
            }
            offs[4 * np] = enc.len;
            uri_encode(&enc, dec, dl, false);
            offs[4 * np + 1] = enc.len - offs[4 * np];
            offs[4 * np + 2] = enc.len;
            if (eq) {
                dl = pct_decode(eq + 1, (size_t)(q + j - eq - 1), dec);
                uri_encode(&enc, dec, dl, false);
            }
            offs[4 * np + 3] = enc.len - offs[4 * np + 2];
            np++;
        }
        i = j + 1;
    }
    for (size_t k = 0; k < np; k++) {
        ps[k].key = enc.data + offs[4 * k];
        ps[k].key_len = offs[4 * k + 1];
        ps[k].val = enc.data + offs[4 * k + 2];
        ps[k].val_len = offs[4 * k + 3];
    }
    if (np) qsort(ps, np, sizeof *ps, qparam_cmp);
    for (size_t k = 0; k < np; k++) {
        if (k) pt_buf_putc(out, '&');
        pt_buf_append(out, ps[k].key, ps[k].key_len);
        pt_buf_putc(out, '=');
        pt_buf_append(out, ps[k].val, ps[k].val_len);
    }
    pt_buf_free(&enc);
    free(offs);
    free(dec);
    free(ps);
}

/* Appends a header value trimmed, with runs of blanks collapsed to one. */
static void append_header_value(pt_buf_t *out, const char *v, size_t n)
{
    str_t t = trim(v, n);
    bool blank = false;
    for (size_t i = 0; i < t.len; i++) {
        char c = t.s[i];
        if (is_blank(c)) {
            blank = true;
            continue;
        }
        if (blank) pt_buf_putc(out, ' ');
        blank = false;
        pt_buf_putc(out, c);
    }
}

static void append_lower(pt_buf_t *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        pt_buf_putc(out, (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c);
    }
}

void pt_sigv4_canonical_request(const pt_sigv4_request_t *req, const char *signed_headers,
                                size_t signed_headers_len, bool exclude_signature, pt_buf_t *out)
{
    pt_buf_append(out, req->method, req->method_len);
    pt_buf_putc(out, '\n');
    canonical_uri(out, req->path, req->path_len);
    pt_buf_putc(out, '\n');
    canonical_query(out, req->query, req->query_len, exclude_signature);
    pt_buf_putc(out, '\n');
    size_t i = 0;
    const char *sh = signed_headers;
    size_t n = signed_headers_len;
    while (i < n) {
        size_t j = i;
        while (j < n && sh[j] != ';') j++;
        if (j > i) {
            append_lower(out, sh + i, j - i);
            pt_buf_putc(out, ':');
            bool first = true;
            for (size_t k = 0; k < req->nheaders; k++) {
                const pt_sigv4_header_t *h = &req->headers[k];
                if (!str_ieq(h->name, h->name_len, sh + i, j - i)) continue;
                if (!first) pt_buf_putc(out, ',');
                first = false;
                append_header_value(out, h->value, h->value_len);
            }
            pt_buf_putc(out, '\n');
        }
        i = j + 1;
    }
    pt_buf_putc(out, '\n');
    append_lower(out, signed_headers, signed_headers_len);
    pt_buf_putc(out, '\n');
    char hex[65];
    pt_sigv4_sha256_hex(req->body, req->body_len, hex);
    pt_buf_append(out, hex, 64);
}

void pt_sigv4_string_to_sign(const char *amz_date, const char *scope, size_t scope_len,
                             const char *canonical, size_t canonical_len, pt_buf_t *out)
{
    pt_buf_puts(out, "AWS4-HMAC-SHA256\n");
    pt_buf_puts(out, amz_date);
    pt_buf_putc(out, '\n');
    pt_buf_append(out, scope, scope_len);
    pt_buf_putc(out, '\n');
    char hex[65];
    pt_sigv4_sha256_hex(canonical, canonical_len, hex);
    pt_buf_append(out, hex, 64);
}

/* ---- parsing ---- */

/* "YYYYMMDDTHHMMSSZ" -> time_t (UTC); false when malformed. */
static bool parse_basic_iso8601(str_t d, time_t *out)
{
    if (d.len != 16 || d.s[8] != 'T' || d.s[15] != 'Z') return false;
    int v[6];
    static const int pos[6] = {0, 4, 6, 9, 11, 13};
    static const int len[6] = {4, 2, 2, 2, 2, 2};
    for (int f = 0; f < 6; f++) {
        int x = 0;
        for (int k = 0; k < len[f]; k++) {
            char c = d.s[pos[f] + k];
            if (c < '0' || c > '9') return false;
            x = x * 10 + (c - '0');
        }
        v[f] = x;
    }
    if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 || v[4] > 59 || v[5] > 60)
        return false;
    struct tm tm = {.tm_year = v[0] - 1900, .tm_mon = v[1] - 1, .tm_mday = v[2],
                    .tm_hour = v[3], .tm_min = v[4], .tm_sec = v[5]};
    *out = timegm(&tm);
    return true;
}

/* An HTTP Date header (IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT"). */
static bool parse_http_date(str_t d, time_t *out)
{
    char tmp[64];
    if (d.len >= sizeof tmp) return false;
    memcpy(tmp, d.s, d.len);
    tmp[d.len] = 0;
    struct tm tm = {0};
    const char *end = strptime(tmp, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (!end || *end) return false;
    *out = timegm(&tm);
    return true;
}

typedef struct auth_params {
    bool has_credential, has_signature, has_signed_headers;
    str_t credential, signature, signed_headers;
} auth_params_t;

/* The Authorization header after its first token, as DynamoDB reads it:
 * tokens separated by ',' or ' ', each "Key=Value". */
static void parse_auth_header(str_t h, auth_params_t *p)
{
    size_t i = 0;
    bool first = true;
    while (i < h.len) {
        size_t j = i;
        while (j < h.len && h.s[j] != ',' && h.s[j] != ' ') j++;
        if (j > i) {
            if (first) {
                first = false; /* the algorithm */
            } else {
                str_t tok = trim(h.s + i, j - i);
                const char *eq = memchr(tok.s, '=', tok.len);
                str_t key = {tok.s, eq ? (size_t)(eq - tok.s) : tok.len};
                str_t val = {eq ? eq + 1 : tok.s + tok.len,
                             eq ? (size_t)(tok.s + tok.len - eq - 1) : 0};
                /* JavaScript's split('=')[1]: the value ends at a second '='. */
                const char *eq2 = memchr(val.s, '=', val.len);
                if (eq2) val.len = (size_t)(eq2 - val.s);
                if (str_eq(key, "Credential"))
                    p->credential = val, p->has_credential = val.len > 0;
                else if (str_eq(key, "Signature"))
                    p->signature = val, p->has_signature = val.len > 0;
                else if (str_eq(key, "SignedHeaders"))
                    p->signed_headers = val, p->has_signed_headers = val.len > 0;
            }
        }
        i = j + 1;
    }
}

/* One query parameter, decoded into the arena. */
static bool query_param(const pt_sigv4_request_t *req, const char *name, pt_arena_t *arena,
                        str_t *out)
{
    const char *q = req->query;
    size_t n = req->query_len, nl = strlen(name);
    size_t i = 0;
    bool found = false;
    while (i < n) {
        size_t j = i;
        while (j < n && q[j] != '&') j++;
        const char *eq = memchr(q + i, '=', j - i);
        size_t kl = eq ? (size_t)(eq - (q + i)) : j - i;
        char *k = pt_arena_alloc(arena, kl + 1);
        size_t dl = pct_decode(q + i, kl, k);
        if (dl == nl && memcmp(k, name, nl) == 0) {
            size_t vl = eq ? (size_t)(q + j - eq - 1) : 0;
            char *v = pt_arena_alloc(arena, vl + 1);
            size_t dvl = eq ? pct_decode(eq + 1, vl, v) : 0;
            v[dvl] = 0;
            *out = (str_t){v, dvl};
            found = true; /* the last one wins, as URL parsers do */
        }
        i = j + 1;
    }
    return found;
}

static bool signed_list_has(str_t list, const char *name)
{
    size_t nl = strlen(name), i = 0;
    while (i < list.len) {
        size_t j = i;
        while (j < list.len && list.s[j] != ';') j++;
        if (str_ieq(list.s + i, j - i, name, nl)) return true;
        i = j + 1;
    }
    return false;
}

static bool valid_region(str_t r)
{
    if (r.len == 0 || r.len > 64) return false;
    for (size_t i = 0; i < r.len; i++) {
        char c = r.s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
    }
    return true;
}

/* Appends printf-style to a message, bounded (pt_error_t's buffer). */
static void msg_append(char *msg, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void msg_append(char *msg, size_t cap, const char *fmt, ...)
{
    size_t used = strnlen(msg, cap);
    if (used + 1 >= cap) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg + used, cap - used, fmt, ap);
    va_end(ap);
}

static int fail(pt_error_t *err, const char *type, const char *msg)
{
    return pt_error_set(err, type, "%s", msg);
}

int pt_sigv4_parse(const pt_sigv4_request_t *req, const char *service, time_t now,
                   pt_arena_t *arena, pt_sigv4_auth_t *out, pt_error_t *err)
{
    memset(out, 0, sizeof *out);
    str_t authz = {0};
    bool has_header = find_header(req, "authorization", &authz);
    str_t alg_q = {0};
    bool has_query = query_param(req, "X-Amz-Algorithm", arena, &alg_q);

    if (has_header && has_query)
        return fail(err, PT_E_INVALID_SIGNATURE,
                    "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' "
                    "as HTTP header.");
    if ((!has_header && !has_query) ||
        (has_header && (authz.len < 5 || memcmp(authz.s, "AWS4-", 5) != 0)))
        return fail(err, PT_E_MISSING_AUTH, PT_SIGV4_MSG_MISSING_TOKEN);

    char msg[sizeof err->message];
    msg[0] = 0;
    str_t date = {0};
    bool date_is_http = false;
    if (has_header) {
        auth_params_t p = {0};
        parse_auth_header(authz, &p);
        if (!p.has_credential) msg_append(msg, sizeof msg, "Authorization header requires 'Credential' parameter. ");
        if (!p.has_signature) msg_append(msg, sizeof msg, "Authorization header requires 'Signature' parameter. ");
        if (!p.has_signed_headers)
            msg_append(msg, sizeof msg, "Authorization header requires 'SignedHeaders' parameter. ");
        bool has_amz_date = find_header(req, "x-amz-date", &date);
        if (!has_amz_date) date_is_http = find_header(req, "date", &date);
        if (!has_amz_date && !date_is_http)
            msg_append(msg, sizeof msg,
                       "Authorization header requires existence of either a 'X-Amz-Date' or a "
                       "'Date' header. ");
        if (msg[0]) {
            msg_append(msg, sizeof msg, "Authorization=%.*s", (int)authz.len, authz.s);
            return fail(err, PT_E_INCOMPLETE_SIGNATURE, msg);
        }
        const char *sp = authz.s;
        while (sp < authz.s + authz.len && *sp != ' ' && *sp != ',') sp++;
        out->algorithm = (str_t){authz.s, (size_t)(sp - authz.s)};
        out->credential = p.credential;
        out->signature = p.signature;
        out->signed_headers = p.signed_headers;
        str_t tok;
        out->has_security_token = find_header(req, "x-amz-security-token", &tok);
    } else {
        static const char *const names[] = {"X-Amz-Algorithm", "X-Amz-Credential",
                                            "X-Amz-Signature", "X-Amz-SignedHeaders",
                                            "X-Amz-Date"};
        str_t vals[5];
        for (int k = 0; k < 5; k++) {
            if (!query_param(req, names[k], arena, &vals[k]) || vals[k].len == 0)
                msg_append(msg, sizeof msg, "AWS query-string parameters must include '%s'. ",
                           names[k]);
        }
        if (msg[0]) {
            msg_append(msg, sizeof msg, "Re-examine the query-string parameters.");
            return fail(err, PT_E_INCOMPLETE_SIGNATURE, msg);
        }
        out->from_query = true;
        out->algorithm = vals[0];
        out->credential = vals[1];
        out->signature = vals[2];
        out->signed_headers = vals[3];
        date = vals[4];
        str_t tok;
        out->has_security_token = query_param(req, "X-Amz-Security-Token", arena, &tok);
    }

    /* Date: format, then the 15-minute window. */
    time_t t;
    if (!(date_is_http ? parse_http_date(date, &t) : parse_basic_iso8601(date, &t)))
        return pt_error_set(err, PT_E_INCOMPLETE_SIGNATURE,
                            "Date must be in ISO-8601 'basic format'. Got '%.*s'. See "
                            "http://en.wikipedia.org/wiki/ISO_8601",
                            (int)(date.len > 200 ? 200 : date.len), date.s);
    out->request_time = t;
    pt_sigv4_format_time(t, out->amz_date);
    char now_s[17], bound_s[17];
    pt_sigv4_format_time(now, now_s);
    time_t earliest = now - PT_SIGV4_MAX_SKEW_SEC;
    if (out->from_query) {
        /* A presigned request is valid from its date for X-Amz-Expires
         * seconds (AWS: at most 7 days; default 15 minutes). */
        str_t exp;
        long expires = PT_SIGV4_MAX_SKEW_SEC;
        if (query_param(req, "X-Amz-Expires", arena, &exp)) {
            char *end;
            char tmp[16];
            size_t l = exp.len < sizeof tmp - 1 ? exp.len : sizeof tmp - 1;
            memcpy(tmp, exp.s, l);
            tmp[l] = 0;
            expires = strtol(tmp, &end, 10);
            if (*end || expires < 0 || expires > 604800) expires = 0;
        }
        if (t + expires < now) {
            char exp_s[17];
            pt_sigv4_format_time(t + expires, exp_s);
            return pt_error_set(err, PT_E_INVALID_SIGNATURE,
                                "Signature expired: %s is now earlier than %s (%s - %ld sec.)",
                                exp_s, now_s, now_s, expires);
        }
    } else if (t < earliest) {
        pt_sigv4_format_time(earliest, bound_s);
        return pt_error_set(err, PT_E_INVALID_SIGNATURE,
                            "Signature expired: %s is now earlier than %s (%s - 15 min.)",
                            out->amz_date, bound_s, now_s);
    }
    if (t > now + PT_SIGV4_MAX_SKEW_SEC) {
        pt_sigv4_format_time(now + PT_SIGV4_MAX_SKEW_SEC, bound_s);
        return pt_error_set(err, PT_E_INVALID_SIGNATURE,
                            "Signature not yet current: %s is still later than %s (%s + 15 min.)",
                            out->amz_date, bound_s, now_s);
    }

    if (!signed_list_has(out->signed_headers, "host"))
        return fail(err, PT_E_INVALID_SIGNATURE,
                    "'Host' must be a 'SignedHeader' in the AWS Authorization.");
    if (!str_eq(out->algorithm, "AWS4-HMAC-SHA256"))
        return pt_error_set(err, PT_E_INCOMPLETE_SIGNATURE,
                            "Unsupported AWS 'algorithm': '%.*s' (only AWS4-HMAC-SHA256 for "
                            "now). ",
                            (int)(out->algorithm.len > 200 ? 200 : out->algorithm.len),
                            out->algorithm.s);
    size_t nsh = 1;
    for (size_t i = 0; i < out->signed_headers.len; i++) nsh += out->signed_headers.s[i] == ';';
    if (nsh > PT_SIGV4_MAX_SIGNED_HEADERS)
        return pt_error_set(err, PT_E_INVALID_SIGNATURE,
                            "Too many signed headers: at most %d are accepted.",
                            PT_SIGV4_MAX_SIGNED_HEADERS);

    /* Credential: keyid/date/region/service/terminator (trailing slashes
     * ignored). */
    str_t cred = out->credential;
    while (cred.len && cred.s[cred.len - 1] == '/') cred.len--;
    str_t part[5];
    size_t np = 0, i = 0;
    bool too_many = false;
    while (i <= cred.len) {
        size_t j = i;
        while (j < cred.len && cred.s[j] != '/') j++;
        if (np == 5) {
            too_many = true;
            break;
        }
        part[np++] = (str_t){cred.s + i, j - i};
        i = j + 1;
    }
    if (np != 5 || too_many)
        return pt_error_set(err, PT_E_INCOMPLETE_SIGNATURE,
                            "Credential must have exactly 5 slash-delimited elements, e.g. "
                            "keyid/date/region/service/term, got '%.*s'",
                            (int)(cred.len > 300 ? 300 : cred.len), cred.s);
    out->key_id = part[0];
    out->scope_date = part[1];
    out->region = part[2];
    out->service = part[3];
    msg[0] = 0;
    if (!valid_region(part[2]))
        msg_append(msg, sizeof msg, "Credential should be scoped to a valid region, not '%.*s'. ",
                   (int)(part[2].len > 100 ? 100 : part[2].len), part[2].s);
    if (!str_eq(part[3], service))
        msg_append(msg, sizeof msg, "Credential should be scoped to correct service: '%s'. ",
                   service);
    if (!str_eq(part[4], "aws4_request"))
        msg_append(msg, sizeof msg,
                   "Credential should be scoped with a valid terminator: 'aws4_request', not "
                   "'%.*s'. ",
                   (int)(part[4].len > 100 ? 100 : part[4].len), part[4].s);
    if (part[1].len != 8 || memcmp(part[1].s, out->amz_date, 8) != 0)
        msg_append(msg, sizeof msg,
                   "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of "
                   "date from HTTP: '%.*s' != '%.8s', from '%.*s'.",
                   (int)(part[1].len > 100 ? 100 : part[1].len), part[1].s, out->amz_date,
                   (int)(date.len > 100 ? 100 : date.len), date.s);
    if (msg[0]) {
        size_t l = strlen(msg);
        if (l && msg[l - 1] == ' ') msg[l - 1] = 0;
        return fail(err, PT_E_INVALID_SIGNATURE, msg);
    }
    return PT_OK;
}

int pt_sigv4_verify(const pt_sigv4_request_t *req, const pt_sigv4_auth_t *auth,
                    const char *secret, size_t secret_len, pt_arena_t *arena, pt_error_t *err)
{
    pt_buf_t canon = PT_BUF_INIT, sts = PT_BUF_INIT;
    pt_sigv4_canonical_request(req, auth->signed_headers.s, auth->signed_headers.len,
                               auth->from_query, &canon);
    /* The scope as the client sent it (minus the key id): it was checked to
     * name this service, a valid region and the request's date. */
    const char *scope = auth->scope_date.s;
    size_t scope_len = (size_t)(auth->credential.s + auth->credential.len - scope);
    while (scope_len && scope[scope_len - 1] == '/') scope_len--;
    pt_sigv4_string_to_sign(auth->amz_date, scope, scope_len, canon.data, canon.len, &sts);
    char sig[65];
    pt_sigv4_signature(secret, secret_len, auth->amz_date, auth->region.s, auth->region.len,
                       auth->service.s, auth->service.len, sts.data, sts.len, sig);
    bool match = auth->signature.len == 64 && CRYPTO_memcmp(sig, auth->signature.s, 64) == 0;
    int rc = PT_OK;
    if (!match) {
        /* AWS shows the canonical request and string-to-sign so that a
         * client author can find their mistake; neither holds a secret. When
         * they do not fit in the message, the first sentence alone is sent. */
        size_t need = sizeof PT_SIGV4_MSG_MISMATCH + canon.len + sts.len + 100;
        if (need < sizeof err->message)
            rc = pt_error_set(err, PT_E_INVALID_SIGNATURE,
                              "%s\n\nThe Canonical String for this request should have been\n'%.*s'"
                              "\n\nThe String-to-Sign should have been\n'%.*s'\n",
                              PT_SIGV4_MSG_MISMATCH, (int)canon.len, canon.data, (int)sts.len,
                              sts.data);
        else
            rc = fail(err, PT_E_INVALID_SIGNATURE, PT_SIGV4_MSG_MISMATCH);
    } else if (auth->has_security_token) {
        rc = fail(err, PT_E_UNRECOGNIZED_CLIENT, PT_SIGV4_MSG_BAD_TOKEN);
    }
    OPENSSL_cleanse(sig, sizeof sig);
    pt_buf_free(&canon);
    pt_buf_free(&sts);
    return rc;
}
