/* An incremental HTTP/1.x request parser (docs/architecture.md, "HTTP
 * parsing").
 *
 * It replaced libhttp-parser on the server side: that parser walks every
 * byte through one big switch and cost a third of the instructions of a
 * whole GetItem (docs/performance.md); this one scans each token with a
 * table lookup per byte and does the per-byte state work only at token
 * boundaries. The callback interface is http-parser's, so the connection
 * code kept its shape:
 *
 *   on_message_begin, on_url*, on_header_field*, on_header_value*,
 *   on_headers_complete, on_body*, on_message_complete
 *
 * (* data callbacks, which may come in several pieces when a token spans
 * reads; a header's value is announced at least once, possibly empty). A
 * callback returning non-zero stops parsing with PT_HP_CALLBACK. The
 * non-data callbacks may call pt_hp_pause(p, true): pt_hp_execute then
 * returns right after the byte that triggered it (on_headers_complete:
 * the header block's last byte; on_message_complete: the message's last
 * byte), and parses nothing until pt_hp_pause(p, false). (A pause asked
 * from a data callback takes effect at the next of those points.)
 *
 * What it accepts (stricter than http-parser where HTTP allows a choice):
 *  - request line: METHOD SP request-target SP "HTTP/" DIGIT "." DIGIT,
 *    METHOD 1-15 of A-Z, '-', '_'; the target "/..." or "*" (CONNECT:
 *    "host:port"; absolute-form, meant for proxies, is refused), of any
 *    bytes but controls, space and DEL; empty lines before a request are
 *    skipped;
 *  - lines end in CRLF or a bare LF;
 *  - header fields: a token, ':', optional blanks, a value of visible
 *    characters, blanks and bytes >= 0x80 (reported without the leading
 *    blanks, trailing ones kept, as http-parser does); obs-fold (a line
 *    starting with a blank) is refused;
 *  - Content-Length: digits (blanks around), at most once, not with
 *    Transfer-Encoding; Transfer-Encoding: exactly "chunked"; chunked
 *    bodies: hex sizes, extensions skipped, trailer lines checked and
 *    skipped (not reported);
 *  - Connection tokens close / keep-alive / upgrade; `upgrade` is set for
 *    Upgrade + Connection: upgrade, and for CONNECT.
 * The request line and header block together are bounded by the limit
 * given to pt_hp_init (PT_HP_HEADER_OVERFLOW); so are the trailers. */
#ifndef PT_HTTP_PARSE_H
#define PT_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum pt_hp_method {
    PT_HP_OTHER,
    PT_HP_GET,
    PT_HP_HEAD,
    PT_HP_POST,
    PT_HP_PUT,
    PT_HP_DELETE,
    PT_HP_PATCH,
    PT_HP_OPTIONS,
    PT_HP_CONNECT,
    PT_HP_TRACE,
};

enum pt_hp_error {
    PT_HP_OK,
    PT_HP_PAUSED,
    PT_HP_CALLBACK,         /* a callback returned non-zero */
    PT_HP_HEADER_OVERFLOW,  /* request line + headers (or trailers) over the limit */
    PT_HP_INVALID,          /* malformed: see error_reason */
};

#define PT_HP_NO_LENGTH UINT64_MAX

typedef struct pt_hp pt_hp_t;
typedef int (*pt_hp_cb)(pt_hp_t *p);
typedef int (*pt_hp_data_cb)(pt_hp_t *p, const char *at, size_t n);

typedef struct pt_hp_settings {
    pt_hp_cb on_message_begin;
    pt_hp_data_cb on_url;
    pt_hp_data_cb on_header_field;
    pt_hp_data_cb on_header_value;
    pt_hp_cb on_headers_complete;
    pt_hp_data_cb on_body;
    pt_hp_cb on_message_complete;
} pt_hp_settings_t;

struct pt_hp {
    void *data;                /* the caller's */
    /* The request being parsed: method from the request line on, the rest
     * from on_headers_complete on. */
    uint8_t method;            /* enum pt_hp_method */
    char method_str[16];       /* NUL-terminated */
    uint8_t http_major, http_minor;
    bool chunked;
    bool upgrade;
    uint64_t content_length;   /* PT_HP_NO_LENGTH when not given */
    uint8_t error;             /* enum pt_hp_error */
    const char *error_reason;  /* PT_HP_INVALID: what was wrong (static) */

    /* Internal. */
    uint8_t state, next;       /* next: the state after a line's LF */
    uint8_t hkind;             /* the header being read (special ones) */
    uint8_t vpos;              /* position in "HTTP/d.d" */
    uint8_t tok_len;           /* field name / value token, lower-cased */
    char tok[24];
    uint8_t seen;              /* headers met: bit flags */
    bool value_digits;         /* Content-Length: a digit seen */
    bool value_end;            /* a blank ended the number / current token */
    uint32_t head_bytes, max_head;
    uint64_t remaining;        /* body or chunk bytes left */
};

void pt_hp_init(pt_hp_t *p, uint32_t max_head_bytes);
/* Parses up to len bytes; returns the bytes consumed (all of them unless
 * paused or failed: then see p->error). */
size_t pt_hp_execute(pt_hp_t *p, const pt_hp_settings_t *s, const char *data, size_t len);
void pt_hp_pause(pt_hp_t *p, bool paused);
/* HTTP/1.1 (x.y with y > 0) unless "Connection: close"; HTTP/x.0 only
 * with "Connection: keep-alive" (http-parser's rule). */
bool pt_hp_keep_alive(const pt_hp_t *p);

#endif
