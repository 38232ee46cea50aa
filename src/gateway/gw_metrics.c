/* Prometheus metrics of the gateway, served at gateway.metrics.path
 * (default /metrics) on the gateway listener:
 *
 *   portico_gateway_requests_total{api,stage,route,status}     counter
 *       (status is the class: 2xx, 3xx, 4xx, 5xx)
 *   portico_gateway_request_duration_seconds{api,stage}        histogram
 *   portico_gateway_integration_duration_seconds{api,stage,integration} histogram
 *   portico_gateway_throttled_total{api,stage,level}           counter
 *       (level: gateway, stage, route, key)
 *   portico_gateway_rejected_total{api,stage,reason}           counter
 *       (not_found, method_not_allowed, forbidden, quota, validation, ...)
 *
 * Series live in a hash table keyed by their exposition text (name plus
 * rendered labels), under one mutex: an update is a hash, a compare and a
 * few additions. Series survive configuration reloads (a removed route's
 * counters keep their last values, as Prometheus expects of counters). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/gw_internal.h"
#include "util/error.h"

#define NSLOTS 1024
static const double BOUNDS[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                0.1,    0.25,  0.5,    1,     2.5,  5,     10,  30};
#define NB (sizeof BOUNDS / sizeof *BOUNDS)

typedef struct series series_t;
struct series {
    series_t *next;
    char *name;     /* metric name */
    char *labels;   /* rendered: api="x",stage="y" */
    bool histogram;
    uint64_t count;
    double sum;
    uint64_t buckets[NB];
};

struct gw_metrics {
    pthread_mutex_t mu;
    series_t *slots[NSLOTS];
    series_t **order;       /* creation order, for a stable output */
    size_t n, cap;
};

gw_metrics_t *gw_metrics_new(void)
{
    gw_metrics_t *m = calloc(1, sizeof *m);
    if (!m) pt_oom();
    pthread_mutex_init(&m->mu, NULL);
    return m;
}

void gw_metrics_free(gw_metrics_t *m)
{
    if (!m) return;
    for (size_t i = 0; i < m->n; i++) {
        free(m->order[i]->name);
        free(m->order[i]->labels);
        free(m->order[i]);
    }
    free(m->order);
    pthread_mutex_destroy(&m->mu);
    free(m);
}

/* Appends name="value" (escaped as the exposition format wants). Runs for
 * every request: plain appends of the runs between escapes, no printf. */
static void label(pt_buf_t *b, const char *name, const char *value)
{
    const char *v = value ? value : "";
    size_t nl = strlen(name), vl = strlen(v);
    pt_buf_reserve(b, nl + vl + 4);
    if (b->len) b->data[b->len++] = ',';
    memcpy(b->data + b->len, name, nl);
    b->len += nl;
    b->data[b->len++] = '=';
    b->data[b->len++] = '"';
    const char *run = v;
    for (const char *p = v;; p++) {
        if (*p && *p != '\\' && *p != '"' && *p != '\n') continue;
        pt_buf_append(b, run, (size_t)(p - run));
        if (!*p) break;
        pt_buf_append(b, *p == '\\' ? "\\\\" : *p == '"' ? "\\\"" : "\\n", 2);
        run = p + 1;
    }
    pt_buf_putc(b, '"');
}

/* Caller holds m->mu. */
static series_t *find(gw_metrics_t *m, const char *name, const pt_buf_t *labels, bool histogram)
{
    unsigned h = 2166136261u;
    for (const char *p = name; *p; p++) h = (h ^ (unsigned char)*p) * 16777619u;
    for (size_t i = 0; i < labels->len; i++) h = (h ^ (unsigned char)labels->data[i]) * 16777619u;
    h %= NSLOTS;
    for (series_t *s = m->slots[h]; s; s = s->next)
        if (!strcmp(s->name, name) && strlen(s->labels) == labels->len &&
            !memcmp(s->labels, labels->data, labels->len))
            return s;
    series_t *s = calloc(1, sizeof *s);
    if (!s) pt_oom();
    s->name = strdup(name);
    s->labels = strndup(labels->data ? labels->data : "", labels->len);
    if (!s->name || !s->labels) pt_oom();
    s->histogram = histogram;
    s->next = m->slots[h];
    m->slots[h] = s;
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 64;
        series_t **o = realloc(m->order, m->cap * sizeof *o);
        if (!o) pt_oom();
        m->order = o;
    }
    m->order[m->n++] = s;
    return s;
}

static void observe(series_t *s, double v)
{
    s->count++;
    s->sum += v;
    for (size_t i = 0; i < NB; i++)
        if (v <= BOUNDS[i]) s->buckets[i]++;
}

void gw_metrics_request(gw_metrics_t *m, const char *api, const char *stage, const char *route,
                        int status, double latency_s, double integration_s, const char *itype)
{
    char cls[4] = {(char)('0' + (status / 100) % 10), 'x', 'x', 0};
    pt_buf_t l1 = PT_BUF_INIT, l2 = PT_BUF_INIT, l3 = PT_BUF_INIT;
    label(&l1, "api", api);
    label(&l1, "stage", stage);
    label(&l2, "api", api);
    label(&l2, "stage", stage);
    label(&l1, "route", route);
    label(&l1, "status", cls);
    if (integration_s >= 0 && itype) {
        label(&l3, "api", api);
        label(&l3, "stage", stage);
        label(&l3, "integration", itype);
    }
    pthread_mutex_lock(&m->mu);
    find(m, "portico_gateway_requests_total", &l1, false)->count++;
    observe(find(m, "portico_gateway_request_duration_seconds", &l2, true), latency_s);
    if (integration_s >= 0 && itype)
        observe(find(m, "portico_gateway_integration_duration_seconds", &l3, true), integration_s);
    pthread_mutex_unlock(&m->mu);
    pt_buf_free(&l1);
    pt_buf_free(&l2);
    pt_buf_free(&l3);
}

void gw_metrics_count(gw_metrics_t *m, const char *name, const char *api, const char *stage,
                      const char *reason)
{
    pt_buf_t l = PT_BUF_INIT;
    label(&l, "api", api);
    label(&l, "stage", stage);
    label(&l, strstr(name, "throttled") ? "level" : "reason", reason);
    pthread_mutex_lock(&m->mu);
    find(m, name, &l, false)->count++;
    pthread_mutex_unlock(&m->mu);
    pt_buf_free(&l);
}

static const char *help_of(const char *name)
{
    if (!strcmp(name, "portico_gateway_requests_total")) return "Requests answered by the gateway.";
    if (!strcmp(name, "portico_gateway_request_duration_seconds")) return "Time from request to response.";
    if (!strcmp(name, "portico_gateway_integration_duration_seconds")) return "Time spent in the integration.";
    if (!strcmp(name, "portico_gateway_throttled_total")) return "Requests refused with 429 by a throttle.";
    return "Requests rejected before the integration.";
}

void gw_metrics_render(gw_metrics_t *m, pt_buf_t *out)
{
    static const char *names[] = {"portico_gateway_requests_total", "portico_gateway_request_duration_seconds",
                                  "portico_gateway_integration_duration_seconds",
                                  "portico_gateway_throttled_total", "portico_gateway_rejected_total"};
    pthread_mutex_lock(&m->mu);
    for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
        bool hist = strstr(names[k], "duration") != NULL;
        pt_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", names[k], help_of(names[k]), names[k],
                      hist ? "histogram" : "counter");
        for (size_t i = 0; i < m->n; i++) {
            series_t *s = m->order[i];
            if (strcmp(s->name, names[k])) continue;
            if (!s->histogram) {
                pt_buf_printf(out, "%s{%s} %llu\n", s->name, s->labels, (unsigned long long)s->count);
                continue;
            }
            for (size_t b = 0; b < NB; b++)
                pt_buf_printf(out, "%s_bucket{%s,le=\"%g\"} %llu\n", s->name, s->labels, BOUNDS[b],
                              (unsigned long long)s->buckets[b]);
            pt_buf_printf(out, "%s_bucket{%s,le=\"+Inf\"} %llu\n", s->name, s->labels,
                          (unsigned long long)s->count);
            pt_buf_printf(out, "%s_sum{%s} %.9g\n%s_count{%s} %llu\n", s->name, s->labels, s->sum,
                          s->name, s->labels, (unsigned long long)s->count);
        }
    }
    pthread_mutex_unlock(&m->mu);
}
