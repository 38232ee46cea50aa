/* Listen-address parsing: see hostport.h. Only the syntax is checked here;
 * whether the host resolves is for the caller's bind() to say. */
#include "util/hostport.h"

#include <stdio.h>
#include <string.h>

int pt_parse_host_port(const char *s, const char *default_host, char *host, size_t hostlen, unsigned *port)
{
    const char *colon;
    const char *h = s;
    size_t hl;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close || close[1] != ':') return -1;
        h = s + 1;
        hl = (size_t)(close - h);
        colon = close + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon) return -1;
        hl = (size_t)(colon - s);
        if (memchr(s, ':', hl)) return -1; /* bare IPv6: needs brackets */
    }
    if (hl >= hostlen) return -1;
    if (hl == 0) {
        if (!default_host || (size_t)snprintf(host, hostlen, "%s", default_host) >= hostlen) return -1;
    } else {
        memcpy(host, h, hl);
        host[hl] = 0;
    }
    const char *p = colon + 1;
    if (!*p || strlen(p) > 5) return -1;
    unsigned v = 0;
    for (; *p; p++) {
        if (*p < '0' || *p > '9') return -1;
        v = v * 10 + (unsigned)(*p - '0');
    }
    if (v > 65535) return -1;
    *port = v;
    return 0;
}
