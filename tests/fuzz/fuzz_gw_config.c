/* libFuzzer harness for the gateway configuration loader: YAML parsing,
 * validation, template compilation and router construction
 * (src/gateway/gw_config.c and friends). Any input must end in PT_OK or
 * PT_ERR with a message, never a crash, a leak or undefined behaviour.
 * Seeds: tests/fuzz/corpus/gw_config/. */
#include <stddef.h>
#include <stdint.h>

#include "gateway/gw_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 64 * 1024) return 0;
    gw_config_t *c = NULL;
    char err[4096];
    if (gw_config_parse("fuzz.yaml", (const char *)data, size, &c, err, sizeof err) == 0 && c)
        gw_config_unref(c);
    return 0;
}
