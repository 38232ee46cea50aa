/* Response head formatting for the HTTP server: status line, the headers
 * the AWS SDKs expect on every DynamoDB answer, request ids and the Date.
 *
 * The head is built with memcpy into one caller buffer (no printf on the
 * hot path) so that head + body leave in one write. x-amz-crc32 is the zlib
 * CRC-32 of the body in decimal, which the SDKs verify; x-amzn-RequestId is
 * 52 characters of [A-Z0-9] like AWS's, drawn from a per-loop xorshift128+
 * generator seeded from the kernel's random source (unique in practice:
 * 52 base-36 digits carry ~268 bits, from 13 draws of 64 bits). Everything
 * here runs on one loop thread and touches only that worker's state. */
#include "net/http_internal.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>

static uint64_t rng_next(pt_worker_t *w)
{
    uint64_t s1 = w->rng[0];
    const uint64_t s0 = w->rng[1];
    w->rng[0] = s0;
    s1 ^= s1 << 23;
    w->rng[1] = s1 ^ s0 ^ (s1 >> 17) ^ (s0 >> 26);
    return w->rng[1] + s0;
}

static void rng_seed(pt_worker_t *w)
{
    uint64_t seed[2] = {0, 0};
    if (getrandom(seed, sizeof seed, GRND_NONBLOCK) != (ssize_t)sizeof seed) {
        /* No entropy yet (very early boot): time and address still give
         * distinct streams per process and thread. */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        seed[0] = (uint64_t)ts.tv_nsec * 0x9E3779B97F4A7C15ull ^ (uint64_t)ts.tv_sec;
        seed[1] = (uint64_t)(uintptr_t)w ^ ((uint64_t)w->index << 32);
    }
    w->rng[0] = seed[0] | 1; /* xorshift state must not be all zero */
    w->rng[1] = seed[1];
}

void pt_http_request_id(pt_worker_t *w, char out[PT_HTTP_REQUEST_ID_LEN])
{
    static const char digits[36] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    if (!w->rng[0] && !w->rng[1]) rng_seed(w);
    /* Four digits per 64-bit draw: each 16-bit slice r gives digit
     * (r * 36) >> 16, a multiply instead of a division (a digit's bias,
     * 16 in 65,536, is irrelevant for an identifier). */
    _Static_assert(PT_HTTP_REQUEST_ID_LEN % 4 == 0, "four digits per draw");
    for (size_t i = 0; i < PT_HTTP_REQUEST_ID_LEN; i += 4) {
        uint64_t v = rng_next(w);
        for (int k = 0; k < 4; k++, v >>= 16) out[i + (size_t)k] = digits[((v & 0xffff) * 36) >> 16];
    }
}

const char *pt_http_date(pt_worker_t *w)
{
    time_t now = time(NULL);
    if (now != w->date_sec || !w->date[0]) {
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(w->date, sizeof w->date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
        w->date_sec = now;
    }
    return w->date;
}

const char *pt_http_reason(int status)
{
    switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return status < 400 ? "OK" : status < 500 ? "Bad Request" : "Internal Server Error";
    }
}

static char *put(char *p, const char *s, size_t n)
{
    memcpy(p, s, n);
    return p + n;
}

#define PUT_LIT(p, lit) put((p), (lit), sizeof(lit) - 1)

static char *put_str(char *p, const char *s) { return put(p, s, strlen(s)); }

static char *put_u64(char *p, uint64_t v)
{
    char tmp[20];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n) *p++ = tmp[--n];
    return p;
}

size_t pt_http_format_head(pt_worker_t *w, const pt_http_head_t *h, char *out)
{
    char *p = out;
    int status = h->status >= 100 && h->status <= 999 ? h->status : 500;
    p = PUT_LIT(p, "HTTP/1.1 ");
    p = put_u64(p, (uint64_t)status);
    *p++ = ' ';
    p = put_str(p, pt_http_reason(status));
    p = PUT_LIT(p, "\r\nContent-Type: ");
    /* Content types are our own constants; bound them anyway so the head
     * can never overflow PT_HTTP_HEAD_MAX. */
    size_t ct = strnlen(h->content_type, 64);
    p = put(p, h->content_type, ct);
    p = PUT_LIT(p, "\r\nContent-Length: ");
    p = put_u64(p, h->content_length);
    p = PUT_LIT(p, "\r\nx-amzn-RequestId: ");
    pt_http_request_id(w, p);
    p += PT_HTTP_REQUEST_ID_LEN;
    p = PUT_LIT(p, "\r\nx-amz-crc32: ");
    p = put_u64(p, h->crc32);
    p = PUT_LIT(p, "\r\nDate: ");
    p = put_str(p, pt_http_date(w));
    if (h->close)
        p = PUT_LIT(p, "\r\nConnection: close");
    else if (h->keep_alive_10)
        p = PUT_LIT(p, "\r\nConnection: keep-alive");
    p = PUT_LIT(p, "\r\n\r\n");
    return (size_t)(p - out);
}
