#!/usr/bin/python3
"""Summarises one bench/run.sh run: python3 report.py RESULTS_DIR

Reads results.csv (one row per wrk run), rss.csv and env.txt; prints the
table (medians over the repetitions), the issue's targets with met / not
met, and writes summary.md (the same as Markdown tables, for
docs/performance.md) and chart.svg (requests/s per workload and server, the
throughput runs). Standard library only; the SVG is written by hand.
"""
import csv
import os
import statistics
import sys
from xml.sax.saxutils import escape

LABEL = {"portico": "portico", "dynalite": "dynalite", "nginx": "nginx (fixed)",
         "portico-gw": "portico gateway", "nginx-proxy": "nginx proxy_pass"}
COLOUR = {"portico": "#1f77b4", "portico-gw": "#6baed6", "dynalite": "#ff7f0e",
          "nginx": "#2ca02c", "nginx-proxy": "#98df8a"}
ORDER = ["fixed", "getitem", "query", "putitem", "batchwrite", "mix", "update",
         "gateway-ddb", "gateway-http"]
TITLE = {"fixed": "fixed response", "getitem": "GetItem", "query": "Query (10 items)",
         "putitem": "PutItem (durable)", "batchwrite": "BatchWriteItem (25)",
         "mix": "90/10 get/put", "update": "UpdateItem ADD (hot)",
         "gateway-ddb": "gateway GET -> GetItem", "gateway-http": "gateway http proxy"}


def load(results):
    rows = list(csv.DictReader(open(os.path.join(results, "results.csv"))))
    groups = {}
    for r in rows:
        groups.setdefault((r["workload"], int(r["connections"]), r["server"]), []).append(r)
    med = {}
    for key, rs in groups.items():
        def m(field, rs=rs):
            vals = [float(r[field]) for r in rs if r[field] != ""]
            return statistics.median(vals) if vals else None
        d = {f: m(f) for f in ("requests_per_s", "p50_us", "p99_us", "other_cpu_pct")}
        d["op"] = rs[0]["operation"]
        d["reps"] = len(rs)
        d["rps_all"] = [float(r["requests_per_s"]) for r in rs]
        if rs[0]["commits"] != "":
            d["commits_s"] = statistics.median(
                float(r["commits"]) / float(r["duration_s"]) for r in rs)
            d["writes_s"] = statistics.median(
                float(r["writes"]) / float(r["duration_s"]) for r in rs)
        med[key] = d
    rss = {r["server"]: r for r in csv.DictReader(open(os.path.join(results, "rss.csv")))}
    env = {}
    for line in open(os.path.join(results, "env.txt")):
        k, _, v = line.partition(":")
        env[k.strip()] = v.strip()
    return med, rss, env


def lat(us):
    if us is None:
        return "-"
    if us >= 10000:
        return "%.1f ms" % (us / 1000)
    if us >= 1000:
        return "%.2f ms" % (us / 1000)
    return "%d us" % us


def table(med, conns_main):
    """Rows: workload, conns, server, req/s, p50, p99, vs nginx, vs dynalite, note."""
    out = []
    keys = sorted(med, key=lambda k: (ORDER.index(k[0]) if k[0] in ORDER else 99,
                                      -k[1], list(LABEL).index(k[2])))
    for (w, c, s) in keys:
        d = med[(w, c, s)]
        rps = d["requests_per_s"]
        ng = med.get(("fixed", c, "nginx"))
        dy = med.get((w, c, "dynalite"))
        vs_nginx = "%.0f %%" % (100 * rps / ng["requests_per_s"]) if ng and s != "nginx" else "-"
        vs_dyn = "%.2fx" % (rps / dy["requests_per_s"]) if dy and s != "dynalite" else "-"
        note = []
        if w == "batchwrite":
            note.append("%.0f items/s" % (25 * rps))
        if "commits_s" in d and d["commits_s"]:
            note.append("%.0f commits/s, %.0f writes/s (%.1f/commit)" %
                        (d["commits_s"], d["writes_s"], d["writes_s"] / d["commits_s"]))
        if d["other_cpu_pct"] is not None and d["other_cpu_pct"] > 10:
            note.append("other load %.0f %%" % d["other_cpu_pct"])
        out.append((TITLE.get(w, w), c, LABEL.get(s, s), "%.0f" % rps, lat(d["p50_us"]),
                    lat(d["p99_us"]), vs_nginx, vs_dyn, "; ".join(note)))
    return out


def targets(med, rss, conns):
    def get(w, c, s):
        return med.get((w, c, s))
    res = []

    def ratio_target(name, num, den, field, want, higher_is_better=True, fmt="%.0f %%", scale=100):
        if not num or not den or not den[field]:
            res.append((name, "-", "not measured"))
            return
        r = num[field] / den[field]
        ok = r >= want if higher_is_better else r <= want
        res.append((name, fmt % (scale * r), "met" if ok else "NOT met"))

    g = get("getitem", conns, "portico")
    ng = get("fixed", conns, "nginx")
    ratio_target("GetItem >= 75 % of nginx fixed req/s", g, ng, "requests_per_s", 0.75)
    ratio_target("GetItem 1-conn p50 <= 1.5x nginx's", get("getitem", 1, "portico"),
                 get("fixed", 1, "nginx"), "p50_us", 1.5, False, "%.2fx", 1)
    ratio_target("GetItem p99 at %d conns <= nginx's" % conns, g, ng, "p99_us", 1.0, False,
                 "%.2fx", 1)
    ratio_target("Query >= 40 % of nginx fixed req/s", get("query", conns, "portico"), ng,
                 "requests_per_s", 0.40)
    ratio_target("durable PutItem >= 3x dynalite's PutItem", get("putitem", conns, "portico"),
                 get("putitem", conns, "dynalite"), "requests_per_s", 3.0, True, "%.2fx", 1)
    b = get("batchwrite", conns, "portico")
    if b:
        items = 25 * b["requests_per_s"]
        res.append(("BatchWriteItem of 25 >= 100,000 items/s", "%.0f items/s" % items,
                    "met" if items >= 100000 else "NOT met"))
    ratio_target("gateway DynamoDB route >= 70 % of GetItem", get("gateway-ddb", conns, "portico-gw"),
                 g, "requests_per_s", 0.70)
    gh = get("gateway-http", conns, "portico-gw")
    nh = get("gateway-http", conns, "nginx-proxy")
    ratio_target("gateway http >= 90 % of nginx proxy_pass", gh, nh, "requests_per_s", 0.90)
    ratio_target("gateway http p99 <= 1.2x nginx proxy_pass's", gh, nh, "p99_us", 1.2, False,
                 "%.2fx", 1)
    p = rss.get("portico")
    if p:
        peak = int(p["peak_anon_kb"] or 0) / 1024
        res.append(("portico RSS < 64 MB loaded (anon, page cache excluded)",
                    "%.1f MB peak" % peak, "met" if peak < 64 else "NOT met"))
        idle = int(p["idle_anon_kb"] or 0) / 1024
        res.append(("portico idle RSS < 16 MB (anon)", "%.1f MB (total %.1f MB)" %
                    (idle, int(p["idle_rss_kb"]) / 1024), "met" if idle < 16 else "NOT met"))
    return res


def text_table(header, rows):
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    lines = ["  ".join(str(x).ljust(w) for x, w in zip(header, widths)).rstrip()]
    for r in rows:
        lines.append("  ".join(str(x).ljust(w) for x, w in zip(r, widths)).rstrip())
    return "\n".join(lines)


def md_table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in rows:
        lines.append("| " + " | ".join(str(x) for x in r) + " |")
    return "\n".join(lines)


def chart(med, conns, path):
    groups = [w for w in ORDER if any(k[0] == w and k[1] == conns for k in med)]
    bars = []
    for w in groups:
        for s in LABEL:
            d = med.get((w, conns, s))
            if d:
                bars.append((w, s, d["requests_per_s"]))
    if not bars:
        return
    top = max(b[2] for b in bars)
    left, width, bar_h, gap = 190, 520, 14, 10
    height = 40 + len(bars) * bar_h + len(groups) * gap + 40
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
           'font-family="sans-serif" font-size="11">' % (left + width + 200, height),
           '<rect width="100%" height="100%" fill="white"/>',
           '<text x="10" y="20" font-size="13" font-weight="bold">requests/s, '
           '%d connections, median of runs (higher is better)</text>' % conns]
    y = 35
    for w in groups:
        first = True
        for (bw, s, v) in bars:
            if bw != w:
                continue
            if first:
                out.append('<text x="10" y="%d" font-weight="bold">%s</text>' %
                           (y + 11, escape(TITLE.get(w, w))))
                first = False
            bw_px = max(1, int(width * v / top))
            out.append('<rect x="%d" y="%d" width="%d" height="%d" fill="%s"/>' %
                       (left, y, bw_px, bar_h - 2, COLOUR[s]))
            out.append('<text x="%d" y="%d">%s %s</text>' %
                       (left + bw_px + 4, y + 10, "{:,}".format(int(v)), escape(LABEL[s])))
            y += bar_h
        y += gap
    x = 10
    for s in LABEL:
        out.append('<rect x="%d" y="%d" width="10" height="10" fill="%s"/>' % (x, y + 8, COLOUR[s]))
        out.append('<text x="%d" y="%d">%s</text>' % (x + 14, y + 17, escape(LABEL[s])))
        x += 30 + 7 * len(LABEL[s])
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def main():
    results = sys.argv[1]
    med, rss, env = load(results)
    conns = max((k[1] for k in med), default=32)
    header = ("workload", "conns", "server", "req/s", "p50", "p99", "vs nginx", "vs dynalite", "note")
    rows = table(med, conns)
    theader = ("target", "measured", "")
    trows = targets(med, rss, conns)
    rheader = ("server", "idle RSS", "idle anon", "loaded anon", "peak anon", "peak RSS (HWM)")

    def mb(v):
        return "%.1f MB" % (int(v) / 1024) if v not in ("", None) else "-"
    rrows = [(LABEL.get(s, s), mb(r["idle_rss_kb"]), mb(r["idle_anon_kb"]), mb(r["loaded_anon_kb"]),
              mb(r["peak_anon_kb"]), mb(r["peak_rss_kb"])) for s, r in rss.items()]
    reps = max((d["reps"] for d in med.values()), default=1)
    print("medians of %d run(s); %s cores, load average before: %s; cpu busy before start: %s" %
          (reps, env.get("nproc", "?"), env.get("loadavg", "?"), env.get("cpu busy before start", "?")))
    print(text_table(header, rows))
    print()
    print(text_table(theader, trows))
    print()
    print(text_table(rheader, rrows))
    with open(os.path.join(results, "summary.md"), "w") as f:
        f.write("Medians of %d run(s). %s\n\n" % (reps, "; ".join(
            "%s: %s" % (k, env[k]) for k in ("date", "nproc", "loadavg", "cpu busy before start",
                                             "settings") if k in env)))
        f.write(md_table(header, rows) + "\n\n" + md_table(theader, trows) + "\n\n" +
                md_table(rheader, rrows) + "\n")
    chart(med, conns, os.path.join(results, "chart.svg"))


if __name__ == "__main__":
    main()
