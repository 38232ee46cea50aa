/* Parsing listen addresses: "HOST:PORT" and "[IPV6]:PORT" (a bare IPv6
 * address needs the brackets, since its colons would be ambiguous). Shared
 * by the command line (--listen) and the gateway's `listen:` setting. */
#ifndef PT_HOSTPORT_H
#define PT_HOSTPORT_H

#include <stddef.h>

/* Splits `s` into host (NUL-terminated into host[hostlen]) and port
 * (0..65535, decimal, at most 5 digits). An empty host (":PORT") becomes
 * `default_host`, or is an error when default_host is NULL. Returns 0, or
 * -1 if `s` is malformed or the host does not fit. */
int pt_parse_host_port(const char *s, const char *default_host, char *host, size_t hostlen, unsigned *port);

#endif
