/* YAML -> JSON text for settings read as JSON: see yaml_json.h. Built on
 * the gateway's bounded YAML loader (gw_yaml.c), so alias bombs and deep
 * nesting are refused the same way. */
#include "gateway/yaml_json.h"

#include <stdbool.h>
#include <string.h>

#include "gateway/gw_internal.h"
#include "util/json.h"

/* The JSON number grammar (RFC 8259), so "0x10", "1e", "+1" stay strings. */
static bool is_json_number(const char *s, size_t n)
{
    size_t i = 0;
    if (i < n && s[i] == '-') i++;
    if (i == n) return false;
    if (s[i] == '0') i++;
    else if (s[i] >= '1' && s[i] <= '9') while (i < n && s[i] >= '0' && s[i] <= '9') i++;
    else return false;
    if (i < n && s[i] == '.') {
        i++;
        size_t d = i;
        while (i < n && s[i] >= '0' && s[i] <= '9') i++;
        if (i == d) return false;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) i++;
        size_t d = i;
        while (i < n && s[i] >= '0' && s[i] <= '9') i++;
        if (i == d) return false;
    }
    return i == n;
}

static void write_node(pt_jw_t *w, const gw_node_t *n)
{
    if (!n) {
        pt_jw_null(w);
        return;
    }
    switch (n->kind) {
    case GW_N_SCALAR:
        if (n->quoted) pt_jw_str(w, n->str, n->len);
        else if (n->len == 4 && !memcmp(n->str, "true", 4)) pt_jw_bool(w, true);
        else if (n->len == 5 && !memcmp(n->str, "false", 5)) pt_jw_bool(w, false);
        else if (!n->len || (n->len == 4 && !memcmp(n->str, "null", 4)) || (n->len == 1 && n->str[0] == '~'))
            pt_jw_null(w);
        else if (is_json_number(n->str, n->len)) pt_jw_raw(w, n->str, n->len);
        else pt_jw_str(w, n->str, n->len);
        break;
    case GW_N_MAP:
        pt_jw_obj_begin(w);
        for (size_t i = 0; i < n->n; i++) {
            const gw_node_t *k = n->pairs[i].key;
            pt_jw_key(w, k && k->str ? k->str : "", k && k->str ? k->len : 0);
            write_node(w, n->pairs[i].val);
        }
        pt_jw_obj_end(w);
        break;
    case GW_N_SEQ:
        pt_jw_arr_begin(w);
        for (size_t i = 0; i < n->n; i++) write_node(w, n->items[i]);
        pt_jw_arr_end(w);
        break;
    }
}

int pt_yaml_to_json(const char *file, const char *text, size_t len, pt_buf_t *out, char *errbuf,
                    size_t errlen)
{
    pt_arena_t arena;
    pt_arena_init(&arena);
    gw_node_t *root = NULL;
    int rc = gw_yaml_parse(file, text, len, &arena, &root, errbuf, errlen);
    if (!rc) {
        pt_jw_t w;
        pt_jw_init(&w, out);
        if (root) write_node(&w, root);
        else pt_jw_obj_begin(&w), pt_jw_obj_end(&w);
    }
    pt_arena_destroy(&arena);
    return rc ? -1 : 0;
}
