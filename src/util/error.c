/* Error record helpers: see error.h. */
#include "util/error.h"
#include "util/json.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int pt_error_set(pt_error_t *err, const char *type, const char *fmt, ...)
{
    if (!err) return PT_ERR;
    err->type = type;
    err->status = strstr(type, "InternalServerError") ? 500 : 400;
    err->extra_json = NULL;
    err->extra_json_len = 0;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    /* Messages quote client input, cut to length here or by their callers:
     * a cut may split a UTF-8 character, and every error must reach the
     * client as valid JSON. */
    size_t len = n < 0 ? 0 : (size_t)n < sizeof err->message ? (size_t)n : sizeof err->message - 1;
    pt_utf8_repair(err->message, len);
    return PT_ERR;
}

void pt_error_clear(pt_error_t *err)
{
    err->status = 0;
    err->type = NULL;
    err->message[0] = 0;
    err->extra_json = NULL;
    err->extra_json_len = 0;
}
