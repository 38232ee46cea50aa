/* The gateway's routing table: a trie over path segments per API, built
 * once per configuration and read concurrently without locks.
 *
 * Precedence follows API Gateway: at each segment a literal beats a
 * {param}, which beats a greedy {proxy+}; among resources matching the
 * path, the most specific one that defines the request's method (or ANY)
 * wins. So GET /items/new prefers /items/new over /items/{id}, and a POST
 * to /items/42 falls back to ANY /{proxy+} when /items/{id} only has GET.
 * When some resource matches the path but none has the method, the answer
 * is 405 with the Allow list of the most specific one; else 404.
 *
 * Invariants checked at build: one parameter name per trie position
 * (/a/{id} and /a/{name}/b conflict, as in API Gateway), a greedy
 * parameter only last, no duplicate method + path. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/gw_internal.h"
#include "util/error.h"

const char *const gw_method_names[GW_M_COUNT] = {"GET",   "HEAD",  "POST",    "PUT",
                                                  "DELETE", "PATCH", "OPTIONS", "ANY"};

int gw_method_index(const char *name)
{
    for (int i = 0; i < GW_M_COUNT; i++)
        if (!strcmp(gw_method_names[i], name)) return i;
    return -1;
}

static gw_rnode_t *lit_child(pt_arena_t *a, gw_rnode_t *n, const char *seg, bool create)
{
    size_t lo = 0, hi = n->nlits;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(n->lits[mid]->seg, seg);
        if (c == 0) return n->lits[mid];
        if (c < 0) lo = mid + 1; else hi = mid;
    }
    if (!create) return NULL;
    gw_rnode_t **nl = pt_arena_alloc(a, (n->nlits + 1) * sizeof *nl);
    if (n->nlits) memcpy(nl, n->lits, n->nlits * sizeof *nl);
    memmove(nl + lo + 1, nl + lo, (n->nlits - lo) * sizeof *nl);
    gw_rnode_t *c = pt_arena_calloc(a, sizeof *c);
    c->seg = seg;
    nl[lo] = c;
    n->lits = nl;
    n->nlits++;
    return c;
}

/* The parameter name of a "{name}" / "{name+}" segment, else NULL. */
static const char *param_name(pt_arena_t *a, const char *seg, bool *greedy)
{
    size_t n = strlen(seg);
    *greedy = false;
    if (n < 3 || seg[0] != '{' || seg[n - 1] != '}') return NULL;
    size_t end = n - 1;
    if (seg[end - 1] == '+') {
        *greedy = true;
        end--;
    }
    return pt_arena_strndup(a, seg + 1, end - 1);
}

int gw_router_build(pt_arena_t *a, gw_api_t *api, char *errbuf, size_t errlen)
{
    api->root = pt_arena_calloc(a, sizeof *api->root);
    for (size_t r = 0; r < api->nroutes; r++) {
        gw_route_t *rt = &api->routes[r];
        gw_rnode_t *n = api->root;
        for (size_t i = 0; i < rt->nsegs; i++) {
            bool greedy;
            const char *pn = param_name(a, rt->segs[i], &greedy);
            if (!pn) {
                n = lit_child(a, n, rt->segs[i], true);
                continue;
            }
            gw_rnode_t **slot = greedy ? &n->greedy : &n->param;
            if (!*slot) {
                *slot = pt_arena_calloc(a, sizeof **slot);
                (*slot)->seg = pn;
            } else if (strcmp((*slot)->seg, pn)) {
                snprintf(errbuf, errlen, "path parameter {%s} conflicts with {%s} at the same position of another route",
                         pn, (*slot)->seg);
                return PT_ERR;
            }
            n = *slot;
        }
        if (n->methods[rt->method]) {
            snprintf(errbuf, errlen, "duplicate route %s", rt->key);
            return PT_ERR;
        }
        n->methods[rt->method] = rt;
        n->any_route = true;
    }
    return PT_OK;
}

typedef struct mstate {
    int method;
    const char *const *segs;
    size_t nsegs;
    gw_rnode_t *first_resource;
    gw_rnode_t *hit;
    size_t greedy_from;           /* where the greedy param of the hit began */
    const gw_rnode_t *path_nodes[GW_MAX_SEGS + 1];
    const gw_rnode_t *hit_path[GW_MAX_SEGS + 1];
    size_t hit_len;
} mstate_t;

static gw_route_t *route_for(const gw_rnode_t *n, int method)
{
    if (n->methods[method]) return n->methods[method];
    if (method == GW_M_HEAD && n->methods[GW_M_GET]) return n->methods[GW_M_GET];
    return n->methods[GW_M_ANY];
}

/* Depth-first in precedence order; the first node reached with a route for
 * the method wins. path_nodes[i] is the node that consumed segment i. */
static bool walk(mstate_t *s, const gw_rnode_t *n, size_t i)
{
    if (i == s->nsegs) {
        if (n->any_route) {
            if (!s->first_resource) s->first_resource = (gw_rnode_t *)n;
            if (route_for(n, s->method)) {
                s->hit = (gw_rnode_t *)n;
                s->hit_len = i;
                memcpy(s->hit_path, s->path_nodes, i * sizeof *s->path_nodes);
                return true;
            }
        }
        return false;
    }
    gw_rnode_t *c = lit_child(NULL, (gw_rnode_t *)n, s->segs[i], false);
    if (c) {
        s->path_nodes[i] = c;
        if (walk(s, c, i + 1)) return true;
    }
    if (n->param && s->segs[i][0]) { /* an empty segment never binds a parameter */
        s->path_nodes[i] = n->param;
        if (walk(s, n->param, i + 1)) return true;
    }
    if (n->greedy && n->greedy->any_route) {
        const gw_rnode_t *g = n->greedy;
        if (!s->first_resource) s->first_resource = (gw_rnode_t *)g;
        if (route_for(g, s->method)) {
            for (size_t k = i; k < s->nsegs; k++) s->path_nodes[k] = g;
            s->hit = (gw_rnode_t *)g;
            s->hit_len = s->nsegs;
            s->greedy_from = i;
            memcpy(s->hit_path, s->path_nodes, s->nsegs * sizeof *s->path_nodes);
            return true;
        }
    }
    return false;
}

int gw_router_match(const gw_api_t *api, int method, const char *const *segs, size_t nsegs,
                    pt_arena_t *arena, gw_match_t *m)
{
    m->route = NULL;
    m->nparams = 0;
    m->path_matched = false;
    m->allow[0] = 0;
    if (nsegs > GW_MAX_SEGS) return PT_NOTFOUND;
    mstate_t *s = pt_arena_calloc(arena, sizeof *s);
    s->method = method;
    s->segs = segs;
    s->nsegs = nsegs;
    s->greedy_from = (size_t)-1;
    if (walk(s, api->root, 0)) {
        m->route = route_for(s->hit, method);
        m->path_matched = true;
        for (size_t i = 0; i < s->hit_len; i++) {
            const gw_rnode_t *n = s->hit_path[i];
            if (n == s->hit && s->greedy_from != (size_t)-1 && i >= s->greedy_from) {
                /* the greedy value: the remaining segments joined by '/' */
                pt_buf_t b = PT_BUF_INIT;
                for (size_t k = i; k < nsegs; k++) {
                    if (k > i) pt_buf_putc(&b, '/');
                    pt_buf_append(&b, segs[k], strlen(segs[k]));
                }
                char *v = pt_arena_strndup(arena, b.data ? b.data : "", b.len);
                m->params[m->nparams++] = (gw_kv_t){n->seg, v, strlen(n->seg), b.len};
                pt_buf_free(&b);
                break;
            }
            const gw_rnode_t *parent = i == 0 ? api->root : s->hit_path[i - 1];
            bool is_param = parent->param == n;
            if (is_param && m->nparams < GW_MAX_SEGS)
                m->params[m->nparams++] = (gw_kv_t){n->seg, segs[i], strlen(n->seg), strlen(segs[i])};
        }
        return PT_OK;
    }
    if (s->first_resource) {
        m->path_matched = true;
        size_t off = 0;
        for (int k = 0; k < GW_M_COUNT; k++) {
            if (!s->first_resource->methods[k]) continue;
            const char *name = k == GW_M_ANY ? NULL : gw_method_names[k];
            if (!name) continue;
            int w = snprintf(m->allow + off, sizeof m->allow - off, "%s%s", off ? ", " : "", name);
            if (w < 0 || (size_t)w >= sizeof m->allow - off) break;
            off += (size_t)w;
        }
    }
    return PT_NOTFOUND;
}
