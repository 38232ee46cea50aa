/* The HTTP/1.x request parser (see http_parse.h).
 *
 * One state per place a byte can be in; every token (method, target,
 * field name, value, chunk data) is scanned by a tight loop and reported
 * as one span: targets and header values 8 bytes at a time (SWAR), other
 * tokens with one class-table lookup per byte; the usual "HTTP/1.1\r\n"
 * and a value's CRLF are taken at once. A token cut by the end of the
 * input is reported as far as it goes and continued by the next call. Special headers (Content-Length,
 * Transfer-Encoding, Connection, Upgrade) are recognised by their
 * lower-cased name at the ':' and their value bytes are interpreted as
 * they stream by. */
#include "util/http_parse.h"

#include <string.h>
#include <strings.h>

enum state {
    S_START,
    S_METHOD,
    S_URL_START,
    S_URL,
    S_VERSION,
    S_LINE_END,       /* CR or LF ends the line, then `next` */
    S_CR,             /* chunk framing: CR LF only */
    S_LF,             /* after CR: LF, then `next` */
    S_HEADER_START,
    S_FIELD,
    S_VALUE_LWS,
    S_VALUE,
    S_BODY,
    S_CHUNK_SIZE,
    S_CHUNK_EXT,
    S_CHUNK_DATA,
    S_CHUNK_DATA_END,
    S_TRAILER_START,
    S_TRAILER_NAME,
    S_TRAILER,
    S_HEADERS_DONE,   /* the header block ended: consume no byte */
    S_MESSAGE_DONE,   /* the message ended: consume no byte */
};

enum hkind { H_OTHER, H_CONTENT_LENGTH, H_TRANSFER_ENCODING, H_CONNECTION, H_UPGRADE };

enum seen {
    SEEN_LENGTH = 1,
    SEEN_TE = 2,
    SEEN_UPGRADE = 4,
    CONN_CLOSE = 8,
    CONN_KEEP_ALIVE = 16,
    CONN_UPGRADE = 32,
};

/* Byte classes. */
enum { C_TCHAR = 1, C_VALUE = 2, C_URL = 4, C_HEX = 8, C_METHOD = 16 };
static uint8_t cls[256];

__attribute__((constructor)) static void init_classes(void)
{
    for (int c = 0; c < 256; c++) {
        uint8_t k = 0;
        bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (alnum || (c && strchr("!#$%&'*+-.^_`|~", c))) k |= C_TCHAR;
        if (c == '\t' || (c >= 0x20 && c != 0x7f)) k |= C_VALUE;   /* also what chunk extensions may hold */
        if (c > 0x20 && c != 0x7f) k |= C_URL;
        if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) k |= C_HEX;
        if ((c >= 'A' && c <= 'Z') || c == '-' || c == '_') k |= C_METHOD;
        cls[c] = k;
    }
}

/* Eight bytes at a time: whether any is below n (n <= 128; exact as a
 * yes/no, see "Bit Twiddling Hacks"), or equal to DEL. Bytes >= 0x80 are
 * neither. */
#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL
static inline bool any_below_or_del(uint64_t x, unsigned n)
{
    uint64_t d = x ^ (ONES * 0x7f);
    return (((x - ONES * n) & ~x) | ((d - ONES) & ~d)) & HIGHS;
}

/* Skips bytes >= lo other than DEL, 8 at a time while it can; the caller
 * finishes byte by byte. */
static inline const unsigned char *skip_fast(const unsigned char *q, const unsigned char *end, unsigned lo)
{
    while (end - q >= 8) {
        uint64_t x;
        memcpy(&x, q, 8);
        if (any_below_or_del(x, lo)) break;
        q += 8;
    }
    return q;
}

static int hex_value(unsigned char c)
{
    if (c <= '9') return c - '0';
    return (c | 0x20) - 'a' + 10;
}

void pt_hp_init(pt_hp_t *p, uint32_t max_head_bytes)
{
    memset(p, 0, sizeof *p);
    p->state = S_START;
    p->max_head = max_head_bytes;
    p->content_length = PT_HP_NO_LENGTH;
}

void pt_hp_pause(pt_hp_t *p, bool paused)
{
    if (paused && p->error == PT_HP_OK) p->error = PT_HP_PAUSED;
    else if (!paused && p->error == PT_HP_PAUSED) p->error = PT_HP_OK;
}

bool pt_hp_keep_alive(const pt_hp_t *p)
{
    /* http-parser's rule, which the connection code was written against. */
    if (p->http_major > 0 && p->http_minor > 0) return !(p->seen & CONN_CLOSE);
    return (p->seen & CONN_KEEP_ALIVE) != 0;
}

static const struct {
    const char *name;
    uint8_t method;
} METHODS[] = {
    {"GET", PT_HP_GET},         {"HEAD", PT_HP_HEAD},   {"POST", PT_HP_POST},
    {"PUT", PT_HP_PUT},         {"DELETE", PT_HP_DELETE}, {"PATCH", PT_HP_PATCH},
    {"OPTIONS", PT_HP_OPTIONS}, {"CONNECT", PT_HP_CONNECT}, {"TRACE", PT_HP_TRACE},
};

static void classify_method(pt_hp_t *p)
{
    p->method = PT_HP_OTHER;
    for (size_t i = 0; i < sizeof METHODS / sizeof METHODS[0]; i++)
        if (METHODS[i].name[0] == p->method_str[0] && !strcmp(p->method_str, METHODS[i].name)) {
            p->method = METHODS[i].method;
            return;
        }
}

/* The special header named by t (n bytes, any case), else H_OTHER. */
static uint8_t header_kind(const char *t, size_t n)
{
    switch (n) {
    case 7: return !strncasecmp(t, "upgrade", 7) ? H_UPGRADE : H_OTHER;
    case 10: return !strncasecmp(t, "connection", 10) ? H_CONNECTION : H_OTHER;
    case 14: return !strncasecmp(t, "content-length", 14) ? H_CONTENT_LENGTH : H_OTHER;
    case 17: return !strncasecmp(t, "transfer-encoding", 17) ? H_TRANSFER_ENCODING : H_OTHER;
    default: return H_OTHER;
    }
}

static void tok_add(pt_hp_t *p, unsigned char c)
{
    if (p->tok_len < sizeof p->tok) p->tok[p->tok_len] = (char)(c >= 'A' && c <= 'Z' ? c | 0x20 : c);
    if (p->tok_len <= sizeof p->tok) p->tok_len++;   /* sizeof + 1: too long */
}

static bool tok_is(const pt_hp_t *p, const char *lit)
{
    size_t n = strlen(lit);
    return p->tok_len == n && !memcmp(p->tok, lit, n);
}

/* The end of one comma-separated token of Connection / Transfer-Encoding. */
static bool end_token(pt_hp_t *p)
{
    if (p->hkind == H_CONNECTION) {
        if (tok_is(p, "close")) p->seen |= CONN_CLOSE;
        else if (tok_is(p, "keep-alive")) p->seen |= CONN_KEEP_ALIVE;
        else if (tok_is(p, "upgrade")) p->seen |= CONN_UPGRADE;
    } else if (p->hkind == H_TRANSFER_ENCODING) {
        /* Only "chunked", alone: anything else frames the body in a way
         * we cannot read. */
        if (!tok_is(p, "chunked") || p->chunked) return false;
        p->chunked = true;
    }
    p->tok_len = 0;
    return true;
}

static int fail(pt_hp_t *p, const char *why)
{
    p->error = PT_HP_INVALID;
    p->error_reason = why;
    return -1;
}

/* Interprets a piece of a special header's value. */
static int special_value(pt_hp_t *p, const unsigned char *a, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = a[i];
        switch (p->hkind) {
        case H_CONTENT_LENGTH:
            if (c >= '0' && c <= '9') {
                if (p->value_end) return fail(p, "invalid Content-Length");
                if (p->content_length > (UINT64_MAX - 9) / 10) return fail(p, "Content-Length too large");
                p->content_length = p->content_length * 10 + (uint64_t)(c - '0');
                p->value_digits = true;
            } else if (c == ' ') {   /* (not HTAB: http-parser refused it) */
                if (p->value_digits) p->value_end = true;
            } else {
                return fail(p, "invalid Content-Length");
            }
            break;
        case H_TRANSFER_ENCODING:
        case H_CONNECTION:
            if (c == ',') {
                if (p->hkind == H_TRANSFER_ENCODING ? !end_token(p) : p->tok_len && !end_token(p))
                    return fail(p, "unsupported Transfer-Encoding");
                p->value_end = false;
            } else if (c == '\t' && p->hkind == H_TRANSFER_ENCODING) {
                return fail(p, "unsupported Transfer-Encoding");   /* (http-parser refused it) */
            } else if (c == ' ' || c == '\t') {
                if (p->tok_len) p->value_end = true;   /* the token ended */
            } else {
                if (p->value_end) p->tok_len = sizeof p->tok + 1;   /* "a b": no token we know */
                tok_add(p, c);
            }
            break;
        default:
            break;
        }
    }
    return 0;
}

/* A header's value ended (its line's CR or LF). */
static int end_value(pt_hp_t *p)
{
    switch (p->hkind) {
    case H_CONTENT_LENGTH:
        if (!p->value_digits) return fail(p, "invalid Content-Length");
        break;
    case H_TRANSFER_ENCODING:
        if (!p->tok_len || !end_token(p)) return fail(p, "unsupported Transfer-Encoding");
        break;
    case H_CONNECTION:
        if (p->tok_len) end_token(p);
        break;
    default:
        break;
    }
    return 0;
}

/* The header (or trailer) block's byte budget. */
static int head_add(pt_hp_t *p, size_t n)
{
    if (n > p->max_head - p->head_bytes) {
        p->error = PT_HP_HEADER_OVERFLOW;
        return -1;
    }
    p->head_bytes += (uint32_t)n;
    return 0;
}

#define CALLBACK(cb)                                                                  \
    do {                                                                              \
        if (s->cb && s->cb(p)) {                                                      \
            if (p->error == PT_HP_OK || p->error == PT_HP_PAUSED) p->error = PT_HP_CALLBACK; \
            return (size_t)(q - begin);                                               \
        }                                                                             \
    } while (0)

#define DATA(cb, at, n)                                                               \
    do {                                                                              \
        if (s->cb && s->cb(p, (const char *)(at), (size_t)(n))) {                     \
            if (p->error == PT_HP_OK || p->error == PT_HP_PAUSED) p->error = PT_HP_CALLBACK; \
            return (size_t)(q - begin);                                               \
        }                                                                             \
    } while (0)

#define FAIL(why)                                                                     \
    do {                                                                              \
        fail(p, why);                                                                 \
        return (size_t)(q - begin);                                                   \
    } while (0)

size_t pt_hp_execute(pt_hp_t *p, const pt_hp_settings_t *s, const char *data, size_t len)
{
    if (p->error != PT_HP_OK) return 0;
    const unsigned char *begin = (const unsigned char *)data, *q = begin, *end = begin + len;
    for (;;) {
        if (q == end && p->state != S_HEADERS_DONE && p->state != S_MESSAGE_DONE) break;
        switch (p->state) {
        case S_START:
            while (q < end && (*q == '\r' || *q == '\n')) q++;
            if (q == end) break;
            p->method = PT_HP_OTHER;
            p->method_str[0] = 0;
            p->http_major = p->http_minor = 0;
            p->chunked = p->upgrade = false;
            p->content_length = PT_HP_NO_LENGTH;
            p->seen = 0;
            p->head_bytes = 0;
            p->tok_len = 0;
            p->state = S_METHOD;
            CALLBACK(on_message_begin);
            if (p->error) return (size_t)(q - begin);
            break;
        case S_METHOD: {
            const unsigned char *a = q;
            while (q < end && (cls[*q] & C_METHOD)) q++;
            size_t n = (size_t)(q - a), have = strlen(p->method_str);
            if (n > sizeof p->method_str - 1 - have) FAIL("method too long");
            memcpy(p->method_str + have, a, n);
            p->method_str[have + n] = 0;
            if (head_add(p, n)) return (size_t)(q - begin);
            if (q == end) break;
            if (*q != ' ' || !p->method_str[0]) FAIL("invalid method");
            classify_method(p);
            q++;
            if (head_add(p, 1)) return (size_t)(q - begin);
            p->state = S_URL_START;
            break;
        }
        case S_URL_START:
        case S_URL: {
            /* origin-form "/..." or asterisk-form "*"; CONNECT's
             * authority-form "host:port". Absolute-form (meant for
             * proxies) is refused. */
            if (p->state == S_URL_START && *q != '/' && *q != '*' &&
                !(p->method == PT_HP_CONNECT && (cls[*q] & C_TCHAR)))
                FAIL("invalid request-target");
            p->state = S_URL;
            const unsigned char *a = q;
            q = skip_fast(q, end, 0x21);
            while (q < end && (cls[*q] & C_URL)) q++;
            if (head_add(p, (size_t)(q - a))) return (size_t)(q - begin);
            if (q > a) DATA(on_url, a, q - a);
            if (q == end) break;
            if (*q != ' ') FAIL("invalid request-target");
            q++;
            if (head_add(p, 1)) return (size_t)(q - begin);
            p->vpos = 0;
            p->state = S_VERSION;
            break;
        }
        case S_VERSION: {
            static const char proto[] = "HTTP/";
            if (p->vpos == 0 && end - q >= 10 && !memcmp(q, "HTTP/1.", 7) && q[7] >= '0' && q[7] <= '9' &&
                q[8] == '\r' && q[9] == '\n') {   /* the usual line end at once */
                p->http_major = 1;
                p->http_minor = (uint8_t)(q[7] - '0');
                q += 10;
                if (head_add(p, 10)) return (size_t)(q - begin);
                p->state = S_HEADER_START;
                break;
            }
            unsigned char c = *q;
            bool ok;
            if (p->vpos < 5) ok = c == (unsigned char)proto[p->vpos];
            else if (p->vpos == 6) ok = c == '.';
            else ok = c >= '0' && c <= '9';
            if (!ok) FAIL("invalid HTTP version");
            if (p->vpos == 5) p->http_major = (uint8_t)(c - '0');
            if (p->vpos == 7) {
                p->http_minor = (uint8_t)(c - '0');
                p->state = S_LINE_END;
                p->next = S_HEADER_START;
            }
            p->vpos++;
            q++;
            if (head_add(p, 1)) return (size_t)(q - begin);
            break;
        }
        case S_LINE_END:
        case S_CR:
        case S_LF:
            if (*q == '\r' && p->state != S_LF) {
                p->state = S_LF;
            } else if (*q == '\n' && p->state != S_CR) {
                p->state = p->next;
            } else if (p->state == S_CR) {
                FAIL("chunk framing line not ended by CRLF");
            } else {
                FAIL(p->state == S_LF ? "CR not followed by LF" : "invalid character at the end of a line");
            }
            q++;
            /* Line ends of the head and trailers count; chunk framing's not. */
            if (p->next != S_CHUNK_SIZE && p->next != S_CHUNK_DATA && head_add(p, 1))
                return (size_t)(q - begin);
            break;
        case S_HEADER_START:
            if (*q == '\r' || *q == '\n') {
                p->state = S_LINE_END;
                p->next = S_HEADERS_DONE;
                break;
            }
            if (!(cls[*q] & C_TCHAR)) FAIL(*q == ' ' || *q == '\t' ? "folded header line" : "invalid header name");
            p->tok_len = 0;
            p->state = S_FIELD;
            /* fall through */
        case S_FIELD: {
            const unsigned char *a = q;
            while (q < end && (cls[*q] & C_TCHAR)) q++;
            if (head_add(p, (size_t)(q - a))) return (size_t)(q - begin);
            if (q > a) DATA(on_header_field, a, q - a);
            if (q == end || p->tok_len) {   /* a name cut by the input's end: kept in tok */
                for (const unsigned char *c = a; c < q; c++) tok_add(p, *c);
                if (q == end) break;
            }
            if (*q != ':') FAIL("invalid header name");
            p->hkind = p->tok_len ? (p->tok_len <= sizeof p->tok ? header_kind(p->tok, p->tok_len) : H_OTHER)
                                  : header_kind((const char *)a, (size_t)(q - a));
            q++;
            if (head_add(p, 1)) return (size_t)(q - begin);
            if (p->hkind == H_CONTENT_LENGTH) {
                if (p->seen & SEEN_LENGTH) FAIL("duplicate Content-Length");
                p->seen |= SEEN_LENGTH;
                p->content_length = 0;
                p->value_digits = p->value_end = false;
            } else if (p->hkind == H_TRANSFER_ENCODING) {
                if (p->seen & SEEN_TE) FAIL("duplicate Transfer-Encoding");
                p->seen |= SEEN_TE;
            } else if (p->hkind == H_UPGRADE) {
                p->seen |= SEEN_UPGRADE;
            }
            p->value_end = false;
            p->tok_len = 0;
            p->state = S_VALUE_LWS;
            break;
        }
        case S_VALUE_LWS: {
            const unsigned char *a = q;
            while (q < end && (*q == ' ' || *q == '\t')) q++;
            if (head_add(p, (size_t)(q - a))) return (size_t)(q - begin);
            if (q == end) break;
            p->state = S_VALUE;
        }
            /* fall through */
        case S_VALUE: {
            const unsigned char *a = q;
            q = skip_fast(q, end, 0x20);
            while (q < end && (cls[*q] & C_VALUE)) q++;
            if (head_add(p, (size_t)(q - a))) return (size_t)(q - begin);
            if (p->hkind != H_OTHER && special_value(p, a, (size_t)(q - a))) return (size_t)(q - begin);
            if (q == end) {
                if (q > a) DATA(on_header_value, a, q - a);
                break;
            }
            if (*q != '\r' && *q != '\n') FAIL("invalid character in a header value");
            DATA(on_header_value, a, q - a);   /* maybe empty: every value is announced */
            if (end_value(p)) return (size_t)(q - begin);
            if (*q == '\r' && end - q >= 2 && q[1] == '\n') {   /* the usual line end at once */
                q += 2;
                if (head_add(p, 2)) return (size_t)(q - begin);
                p->state = S_HEADER_START;
                break;
            }
            p->state = S_LINE_END;
            p->next = S_HEADER_START;
            break;
        }
        case S_HEADERS_DONE:
            goto headers_done;
        case S_MESSAGE_DONE:
            goto message_done;
        case S_BODY:         /* Content-Length bytes */
        case S_CHUNK_DATA: { /* a chunk's bytes */
            size_t n = (size_t)(end - q);
            if (n > p->remaining) n = (size_t)p->remaining;
            p->remaining -= n;
            const unsigned char *a = q;
            q += n;
            DATA(on_body, a, n);
            if (!p->remaining) p->state = p->state == S_BODY ? S_MESSAGE_DONE : S_CHUNK_DATA_END;
            break;
        }
        case S_CHUNK_SIZE: {
            unsigned char c = *q;
            if (cls[c] & C_HEX) {
                if (p->remaining > (UINT64_MAX >> 4)) FAIL("chunk size too large");
                p->remaining = p->remaining * 16 + (uint64_t)hex_value(c);
                p->vpos = 1;
                q++;
                break;
            }
            if (!p->vpos) FAIL("invalid chunk size");
            if (c == ';') {
                p->state = S_CHUNK_EXT;
                q++;
                break;
            }
            p->state = S_CR;
            p->next = p->remaining ? S_CHUNK_DATA : S_TRAILER_START;
            break;
        }
        case S_CHUNK_EXT: {
            const unsigned char *a = q;
            while (q < end && (cls[*q] & C_VALUE)) q++;
            if (head_add(p, (size_t)(q - a))) return (size_t)(q - begin);   /* extensions: bounded too */
            if (q == end) break;
            if (*q != '\r') FAIL("invalid chunk extension");
            p->state = S_CR;
            p->next = p->remaining ? S_CHUNK_DATA : S_TRAILER_START;
            break;
        }
        case S_CHUNK_DATA_END:
            if (*q != '\r') FAIL("chunk data longer than its size");
            p->state = S_CR;
            p->next = S_CHUNK_SIZE;
            p->remaining = 0;
            p->vpos = 0;
            break;
        case S_TRAILER_START:
            if (*q == '\r' || *q == '\n') {
                p->state = S_LINE_END;
                p->next = S_MESSAGE_DONE;
                break;
            }
            if (!(cls[*q] & C_TCHAR)) FAIL("invalid trailer line");
            p->state = S_TRAILER_NAME;
            /* fall through */
        case S_TRAILER_NAME: {
            const unsigned char *a = q;
            while (q < end && (cls[*q] & C_TCHAR)) q++;
            if (head_add(p, (size_t)(q - a))) return (size_t)(q - begin);
            if (q == end) break;
            if (*q != ':') FAIL("invalid trailer line");
            q++;
            if (head_add(p, 1)) return (size_t)(q - begin);
            p->state = S_TRAILER;
            break;
        }
        case S_TRAILER: {
            const unsigned char *a = q;
            while (q < end && (cls[*q] & C_VALUE)) q++;
            if (head_add(p, (size_t)(q - a))) return (size_t)(q - begin);
            if (q == end) break;
            if (*q != '\r' && *q != '\n') FAIL("invalid trailer line");
            p->state = S_LINE_END;
            p->next = S_TRAILER_START;
            break;
        }
        default:
            FAIL("internal parser state");
        }
        continue;

    headers_done:
        if (p->chunked && (p->seen & SEEN_LENGTH)) FAIL("both Content-Length and Transfer-Encoding");
        if ((p->seen & SEEN_TE) && !p->chunked) FAIL("unsupported Transfer-Encoding");
        p->upgrade = ((p->seen & SEEN_UPGRADE) && (p->seen & CONN_UPGRADE)) || p->method == PT_HP_CONNECT;
        CALLBACK(on_headers_complete);
        if (p->chunked) {
            p->state = S_CHUNK_SIZE;
            p->remaining = 0;
            p->vpos = 0;
            p->head_bytes = 0;   /* the trailers have their own budget */
        } else if (p->content_length != PT_HP_NO_LENGTH && p->content_length > 0) {
            p->state = S_BODY;
            p->remaining = p->content_length;
        } else {
            p->state = S_MESSAGE_DONE;
        }
        if (p->error) return (size_t)(q - begin);   /* paused */
        continue;

    message_done:
        p->state = S_START;
        CALLBACK(on_message_complete);
        if (p->error) return (size_t)(q - begin);   /* paused */
    }
    return (size_t)(q - begin);
}
