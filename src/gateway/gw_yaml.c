/* YAML (and therefore JSON) configuration text -> a small node tree with
 * positions, so that validation can name the line of every bad field.
 *
 * libyaml's document loader does the parsing; this file copies its nodes
 * into arena-allocated gw_node_t (scalars keep whether they were quoted:
 * a quoted "42" is a string, a plain 42 a number). Aliases are expanded;
 * the copy is bounded (GW_YAML_MAX_NODES nodes, GW_YAML_MAX_DEPTH levels)
 * so a file made of nested aliases cannot blow up memory. Only the first
 * document of a stream is used. */
#include <stdio.h>
#include <string.h>
#include <yaml.h>

#include "gateway/gw_internal.h"
#include "util/error.h"

#define GW_YAML_MAX_NODES 200000
#define GW_YAML_MAX_DEPTH 64

typedef struct conv {
    yaml_document_t *doc;
    pt_arena_t *arena;
    size_t count;
    const char *file;
    char *errbuf;
    size_t errlen;
} conv_t;

static gw_node_t *convert(conv_t *cv, yaml_node_t *yn, int depth)
{
    if (++cv->count > GW_YAML_MAX_NODES || depth > GW_YAML_MAX_DEPTH) {
        snprintf(cv->errbuf, cv->errlen, "%s:%zu:%zu: document too large or too deeply nested",
                 cv->file, yn->start_mark.line + 1, yn->start_mark.column + 1);
        return NULL;
    }
    gw_node_t *n = pt_arena_calloc(cv->arena, sizeof *n);
    n->line = (int)yn->start_mark.line + 1;
    n->col = (int)yn->start_mark.column + 1;
    switch (yn->type) {
    case YAML_SCALAR_NODE:
        n->kind = GW_N_SCALAR;
        n->len = yn->data.scalar.length;
        n->str = pt_arena_strndup(cv->arena, (const char *)yn->data.scalar.value, n->len);
        n->quoted = yn->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
        return n;
    case YAML_SEQUENCE_NODE: {
        n->kind = GW_N_SEQ;
        size_t cnt = (size_t)(yn->data.sequence.items.top - yn->data.sequence.items.start);
        n->items = pt_arena_calloc(cv->arena, (cnt ? cnt : 1) * sizeof *n->items);
        for (size_t i = 0; i < cnt; i++) {
            yaml_node_t *c = yaml_document_get_node(cv->doc, yn->data.sequence.items.start[i]);
            if (!c || !(n->items[i] = convert(cv, c, depth + 1))) return NULL;
        }
        n->n = cnt;
        return n;
    }
    case YAML_MAPPING_NODE: {
        n->kind = GW_N_MAP;
        size_t cnt = (size_t)(yn->data.mapping.pairs.top - yn->data.mapping.pairs.start);
        n->pairs = pt_arena_calloc(cv->arena, (cnt ? cnt : 1) * sizeof *n->pairs);
        for (size_t i = 0; i < cnt; i++) {
            yaml_node_pair_t *p = &yn->data.mapping.pairs.start[i];
            yaml_node_t *k = yaml_document_get_node(cv->doc, p->key);
            yaml_node_t *v = yaml_document_get_node(cv->doc, p->value);
            if (!k || !v) return NULL;
            if (!(n->pairs[i].key = convert(cv, k, depth + 1))) return NULL;
            if (!(n->pairs[i].val = convert(cv, v, depth + 1))) return NULL;
        }
        n->n = cnt;
        return n;
    }
    default:
        snprintf(cv->errbuf, cv->errlen, "%s:%zu:%zu: empty node", cv->file,
                 yn->start_mark.line + 1, yn->start_mark.column + 1);
        return NULL;
    }
}

int gw_yaml_parse(const char *file, const char *text, size_t len, pt_arena_t *arena,
                  gw_node_t **root, char *errbuf, size_t errlen)
{
    *root = NULL;
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser)) {
        snprintf(errbuf, errlen, "%s: cannot initialize the YAML parser", file);
        return PT_ERR;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        const yaml_mark_t *m =
            parser.problem_mark.line || parser.problem_mark.column ? &parser.problem_mark
                                                                    : &parser.context_mark;
        snprintf(errbuf, errlen, "%s:%zu:%zu: YAML syntax error: %s%s%s", file, m->line + 1,
                 m->column + 1, parser.problem ? parser.problem : "invalid document",
                 parser.context ? " " : "", parser.context ? parser.context : "");
        yaml_parser_delete(&parser);
        return PT_ERR;
    }
    int rc = PT_OK;
    yaml_node_t *yr = yaml_document_get_root_node(&doc);
    if (yr) {
        conv_t cv = {&doc, arena, 0, file, errbuf, errlen};
        if (!(*root = convert(&cv, yr, 0))) rc = PT_ERR;
    }
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return rc;
}

gw_node_t *gw_node_get(const gw_node_t *map, const char *key)
{
    if (!map || map->kind != GW_N_MAP) return NULL;
    gw_node_t *found = NULL;
    for (size_t i = 0; i < map->n; i++) {
        const gw_node_t *k = map->pairs[i].key;
        if (k->kind == GW_N_SCALAR && strcmp(k->str, key) == 0) found = map->pairs[i].val;
    }
    return found;
}
