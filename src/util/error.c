/* Error record helpers: see error.h. */
#include "util/error.h"

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
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
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
