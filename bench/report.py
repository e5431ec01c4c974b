"""Render bench/results/<date>-*.json into bench/results/<date>.md and PNG charts.

Input: the JSON parts that `bench/run.py` wrote for one date (any subset). Output: the
markdown results page (tables, ratios against the targets of shared/spec/performance.md,
versions, machine, load average) with the hand-written analysis in <date>-notes.md appended,
and <date>-throughput.png / <date>-soak.png (matplotlib, the `bench` extra).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROUTES = ("plaintext", "json", "get_task", "post_task")
ROUTE_NAMES = {"plaintext": "/plaintext", "json": "/json", "get_task": "GET /tasks/:id",
               "post_task": "POST /tasks"}
MODE_NAMES = {"a": "a: pinned, wrk -t1 -c256", "b": "b: pinned, pipelined ×16",
              "c": "c: unpinned, 2 workers, wrk -t2"}


def load(results: Path, date: str, part: str) -> dict[str, Any] | None:
    f = results / f"{date}-{part}.json"
    return json.loads(f.read_text()) if f.is_file() else None


def cell(rows: list[dict[str, Any]], peer: str, mode: str, route: str) -> dict[str, Any] | None:
    return next((r for r in rows if r["peer"] == peer and r["mode"] == mode
                 and r["route"] == route), None)


def suite_tables(rows: list[dict[str, Any]]) -> list[str]:
    out: list[str] = []
    peers = list(dict.fromkeys(r["peer"] for r in rows))
    for mode in ("a", "b", "c"):
        mrows = [r for r in rows if r["mode"] == mode and "rps" in r]
        if not mrows:
            continue
        routes = [k for k in ROUTES if any(r["route"] == k for r in mrows)]
        out += [f"### Mode {MODE_NAMES[mode]}", ""]
        extra = mode == "b"
        head = "| peer | route | requests/s (median) | runs | p99 ms | server CPU µs/req " \
               "| peak RSS MB | errors / non-2xx |"
        if extra:
            head += " loadgen ×16 req/s | loadgen p99 ms | CPU µs/req (loadgen run) |"
        out += [head, "|" + "---|" * (head.count("|") - 1)]
        for route in routes:
            for peer in peers:
                r = cell(rows, peer, mode, route)
                if r is None:
                    continue
                p99 = f"{r['p99_us'] / 1000:.2f}" if r["p99_us"] else "n/a (wrk)"
                line = (f"| {peer} | {ROUTE_NAMES[route]} | {r['rps']:,.0f} | "
                        f"{', '.join(f'{x / 1000:.0f}K' for x in r['runs'])} | {p99} | "
                        f"{r['cpu_us_per_req']:.2f} | {r['peak_rss_kb'] / 1024:.1f} | "
                        f"{r['errors']} / {r['non2xx']} |")
                if extra:
                    cpu = r.get("loadgen_cpu_us_per_req")
                    line += (f" {r.get('loadgen_rps', 0):,.0f} | "
                             f"{r.get('loadgen_p99_ms', 0):.2f} | "
                             f"{cpu:.2f} |" if cpu is not None else " | | |")
                out.append(line)
        out.append("")
    failed = [r for r in rows if "failed" in r]
    for r in failed:
        out.append(f"- {r['peer']} mode {r['mode']} failed: `{r['failed']}`")
    if failed:
        out.append("")
    return out


def ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}×" if a and b else "n/a"


def targets(rows: list[dict[str, Any]], cold: list[dict[str, Any]] | None,
            build: dict[str, Any] | None,
            pairs: list[dict[str, Any]] | None = None) -> list[str]:
    def get(peer: str, mode: str, route: str, key: str) -> float | None:
        r = cell(rows, peer, mode, route)
        return float(r[key]) if r and r.get(key) is not None else None

    out = ["| measure | target | measured (same run) | met? |", "|---|---|---|---|"]

    def add(measure: str, target: str, value: str, ok: bool | None) -> None:
        out.append(f"| {measure} | {target} | {value} | "
                   f"{'yes' if ok else ('no' if ok is not None else 'pending')} |")

    for route in ("plaintext", "json"):
        d, n, g = (get(p, "a", route, "rps") for p in ("Doo", "nginx", "Go net/http"))
        ok = bool(d and n and g and d >= 0.97 * n and d >= 1.6 * g)
        add(f"{ROUTE_NAMES[route]} non-pipelined, pinned", "≥ 0.97 × nginx, ≥ 1.6 × Go",
            f"{ratio(d, n)} nginx, {ratio(d, g)} Go", ok if d else None)
        pr = next((p for p in pairs or [] if p["route"] == route), None)
        if pr:
            add(f"{ROUTE_NAMES[route]} paired with nginx (alternating runs)",
                "≥ 0.97 × nginx; CPU ≤ 0.85 × nginx's",
                f"median of {pr['pairs']} pair ratios {pr['ratio_median']:.3f} "
                f"({pr['ratio_min']:.2f}–{pr['ratio_max']:.2f}); CPU "
                f"{pr['cpu_ratio_median']:.2f}×",
                pr["ratio_median"] >= 0.97 and pr["cpu_ratio_median"] <= 0.85)
        dc, nc = get("Doo", "a", route, "cpu_us_per_req"), get("nginx", "a", route,
                                                                "cpu_us_per_req")
        add(f"server CPU per request {ROUTE_NAMES[route]}", "≤ 0.85 × nginx's",
            f"{dc or 0:.2f} vs {nc or 0:.2f} µs = {ratio(dc, nc)}",
            bool(dc and nc and dc <= 0.85 * nc) if dc else None)
        dp = get("Doo", "b", route, "loadgen_rps") or get("Doo", "b", route, "rps")
        dw, nw = get("Doo", "b", route, "rps"), get("nginx", "b", route, "rps")
        add(f"pipelined ×16 {ROUTE_NAMES[route]}", "≥ 1M req/s, ≥ 5 × nginx",
            f"{(dp or 0) / 1e6:.2f}M (our loadgen), wrk: {(dw or 0) / 1e6:.2f}M = "
            f"{ratio(dw, nw)} nginx", bool(dp and dp >= 1e6 and dw and nw and dw >= 5 * nw)
            if dp else None)
        d99, n99 = get("Doo", "a", route, "p99_us"), get("nginx", "a", route, "p99_us")
        add(f"p99 {ROUTE_NAMES[route]} (mode a)", "≤ nginx's",
            f"{(d99 or 0) / 1000:.2f} vs {(n99 or 0) / 1000:.2f} ms",
            bool(d99 is not None and n99 and d99 <= n99) if d99 else None)
    rss = max((float(r["peak_rss_kb"]) for r in rows
               if r["peer"] == "Doo" and r.get("peak_rss_kb")), default=None)
    add("peak RSS under load", "≤ 5 MB", f"{rss / 1024:.1f} MB" if rss else "n/a",
        bool(rss and rss <= 5 * 1024) if rss else None)
    out += database_targets(get)
    if cold:
        c = next((r for r in cold if r["peer"] == "Doo"), None)
        if c:
            add("cold start to first 200", "< 10 ms", f"{c['median_ms']:.2f} ms median",
                c["median_ms"] < 10)
    if build:
        add("warm `doo build` after a one-line edit", "< 1.5 s",
            f"{build['warm_build_s']:.2f} s", build["warm_build_s"] < 1.5)
    return out


def chart(rows: list[dict[str, Any]], path: Path) -> bool:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    panels = [(m, k) for m in ("a", "b", "c") for k in ROUTES
              if any(r["mode"] == m and r["route"] == k and "rps" in r for r in rows)]
    fig, axes = plt.subplots(len(panels), 2, figsize=(12, 2.2 * len(panels) + 1), squeeze=False)
    for i, (mode, route) in enumerate(panels):
        rs = [r for r in rows if r["mode"] == mode and r["route"] == route and "rps" in r]
        names = [r["peer"] for r in rs]
        colors = ["#d9534f" if n.startswith("Doo") else "#5b8def" for n in names]
        ax = axes[i][0]
        ax.barh(names, [r["rps"] / 1000 for r in rs], color=colors)
        ax.set_title(f"{ROUTE_NAMES[route]} — mode {mode}: requests/s (K)", fontsize=9)
        ax.invert_yaxis()
        ax.tick_params(labelsize=8)
        ax = axes[i][1]
        ax.barh(names, [r["p99_us"] / 1000 for r in rs], color=colors)
        ax.set_title(f"{ROUTE_NAMES[route]} — mode {mode}: p99 latency (ms, wrk)", fontsize=9)
        ax.invert_yaxis()
        ax.tick_params(labelsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return True


def soak_chart(samples: list[list[float]], path: Path) -> bool:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, ax = plt.subplots(figsize=(8, 3))
    ax.plot([s[0] for s in samples], [s[1] / 1024 for s in samples], marker="o")
    ax.set_xlabel("seconds under load")
    ax.set_ylabel("RSS (MB)")
    ax.set_ylim(bottom=0)
    ax.set_title("Doo examples/hello /json, 64 connections: RSS every 10 s")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return True


def database_targets(get: Any) -> list[str]:
    """The `GET /tasks/:id` and `POST /tasks` rows: ratios in mode a (the targets' own
    setting) and in mode b (pipelined, where the server rather than wrk is the limit), and
    p99 against Fastify's."""
    out: list[str] = []
    doo_db = "Doo (tasks)"
    ceiling = get("Doo", "a", "plaintext", "rps")

    def row(measure: str, target: str, value: str, ok: bool | None) -> None:
        out.append(f"| {measure} | {target} | {value} | "
                   f"{'yes' if ok else ('no' if ok is not None else 'pending')} |")

    for mode, how in (("a", "pinned"), ("b", "pinned, pipelined ×16")):
        g = get(doo_db, mode, "get_task", "rps")
        peers_get = {p: get(p, mode, "get_task", "rps")
                     for p in ("Fastify", "PocketBase", "FastAPI+uvicorn")}
        note = ""
        fastify = peers_get["Fastify"]
        if mode == "a" and ceiling and fastify and 3 * fastify > ceiling:
            note = (f" (3 × Fastify = {3 * fastify:,.0f} is above this client's ceiling: "
                    f"Doo's /plaintext, no database, reached {ceiling:,.0f})")
        row(f"GET /tasks/:id, {how}", "≥ 3 × Fastify, ≥ 3 × PocketBase, ≥ 20 × FastAPI",
            ", ".join(f"{p} {v or 0:,.0f}" for p, v in peers_get.items())
            + (f"; Doo {g:,.0f} = " + ", ".join(ratio(g, v) for v in peers_get.values())
               if g else "; Doo not measured") + note,
            bool(g and all(peers_get.values()) and g >= 3 * (fastify or 0)
                 and g >= 3 * (peers_get["PocketBase"] or 0)
                 and g >= 20 * (peers_get["FastAPI+uvicorn"] or 0)) if g else None)
        post = {p: get(p, mode, "post_task", "rps") for p in
                ("Go net/http", "Fastify", "PocketBase", "FastAPI+uvicorn")}
        best_peer = max((p for p in post if post[p]), key=lambda p: post[p] or 0, default=None)
        best = post[best_peer] if best_peer else None
        pd = get(doo_db, mode, "post_task", "rps")
        row(f"POST /tasks, {how}", "≥ 2 × the best peer",
            f"best peer {best_peer} {best or 0:,.0f}"
            + (f"; Doo {pd:,.0f} = {ratio(pd, best)}" if pd else "; Doo not measured"),
            bool(pd and best and pd >= 2 * best) if pd else None)
    for route in ("get_task", "post_task"):
        d99, f99 = get(doo_db, "a", route, "p99_us"), get("Fastify", "a", route, "p99_us")
        row(f"p99 {ROUTE_NAMES[route]} (mode a)", "≤ Fastify's",
            f"{(d99 or 0) / 1000:.2f} vs {(f99 or 0) / 1000:.2f} ms",
            bool(d99 is not None and f99 and d99 <= f99) if d99 else None)
    return out


def render(results: Path, date: str) -> Path:
    suite, lg, mixed, soak, cold, build = (load(results, date, p) for p in
                                           ("suite", "loadgen", "mixed", "soak", "coldstart",
                                            "build"))
    first = next((p for p in (suite, lg, mixed, soak, cold, build) if p), None)
    out = [f"# Benchmark results, {date}", "",
           ("Produced by `bench/run.sh` (installs the peers, then `python bench/run.py all`); "
           "every number below comes from the JSON files beside this page. Ratios, not "
           "absolute numbers, are what carries over to another machine."), ""]
    if first:
        m = first["machine"]
        s = first["settings"]
        out += ["## Machine and settings", "",
                (f"- Doo measured at commit `{m.get('commit', '?')}` (a clean `git archive` "
                 "of it, not a work tree with edits in progress)"),
                (f"- CPU: {m['cpu']}, {m['cores']} cores; kernel {m['kernel']}; "
                f"Python {m['python']}"),
                "- load average when each part was saved: " + "; ".join(
                    f"{name} {tuple(round(x, 2) for x in p['machine']['load_average'])}"
                    for name, p in (("suite", suite), ("loadgen", lg), ("mixed", mixed),
                                    ("soak", soak), ("coldstart", cold), ("build", build))
                    if p),
                (f"- runs per cell: {s['runs']} × {s['duration']:g} s after a {s['warmup']:g} s "
                f"warm-up, {s['connections']} connections; medians"),
                "- versions: " + ", ".join(f"{k} `{v}`" for k, v in m["versions"].items()), ""]
    if suite:
        rows = suite["data"]
        out += ["## Targets (shared/spec/performance.md), ratios from this run", ""]
        pairs = load(results, date, "pairs")
        out += targets(rows, cold["data"] if cold else None, build["data"] if build else None,
                       pairs["data"] if pairs else None)
        if pairs:
            out += ["", "### Doo and nginx paired (`python bench/run.py pairs`)", "",
                    ("Both servers pinned to CPU 0, wrk on CPU 1 loading them in turn, "
                     f"{pairs['data'][0]['pairs']} × {pairs['data'][0]['seconds']:g} s each:"), "",
                    "| route | Doo req/s | nginx req/s | Doo CPU µs/req | nginx CPU µs/req |",
                    "|---|---|---|---|---|"]
            for p in pairs["data"]:
                out.append(f"| {ROUTE_NAMES[p['route']]} | "
                           f"{', '.join(f'{x / 1000:.0f}K' for x in p['doo_rps'])} | "
                           f"{', '.join(f'{x / 1000:.0f}K' for x in p['nginx_rps'])} | "
                           f"{', '.join(f'{x:.2f}' for x in p['doo_cpu_us'])} | "
                           f"{', '.join(f'{x:.2f}' for x in p['nginx_cpu_us'])} |")
        out += ["", "## The suite", ""]
        if chart(rows, results / f"{date}-throughput.png"):
            out += [f"![requests/s and p99 per peer]({date}-throughput.png)", ""]
        out += suite_tables(rows)
        if not any(r["peer"] == "Doo (tasks)" for r in rows):
            out += [("Doo's `GET /tasks/:id` and `POST /tasks` rows: **pending the data-layer "
                    "issue** (examples/tasks does not exist yet; run.py measures it "
                    "automatically once examples/tasks/main.doo exists)."), ""]
    if lg:
        out += ["## Our load generator against wrk (same target, same pinning)", "",
                "| server | pipeline | wrk req/s | loadgen req/s | loadgen / wrk |",
                "|---|---|---|---|---|"]
        for r in lg["data"]:
            out.append(f"| {r['peer']} | {r['pipeline']} | {r['wrk_rps']:,.0f} | "
                       f"{r['loadgen_rps']:,.0f} | {r['loadgen_rps'] / r['wrk_rps']:.2f} |")
        out.append("")
    if mixed:
        d = mixed["data"]
        out += ["## Mixed load: 90 % GET /hello/x + 10 % POST /signup (validated JSON body)", "",
                (f"`{d['command']}` — examples/handlers, pinned, {mixed['settings']['connections']}"
                f" connections: **{d['rps']:,.0f} requests/s**, p50 {d['p50_ms']:.2f} ms, p99 "
                f"{d['p99_ms']:.2f} ms, max {d['max_ms']:.2f} ms, errors {d['errors']}, "
                f"non-2xx {d['non2xx']}, server CPU {d['server_cpu_us_per_req']:.2f} µs/request, "
                f"peak RSS {d['peak_rss_kb'] / 1024:.1f} MB."), ""]
    if soak:
        d = soak["data"]
        rss = [x[1] for x in d["samples"]]
        short = (" (the issue asks for 30 minutes: `python bench/run.py soak --minutes 30`; "
                 f"this run is {d['minutes']:g} to fit the session)" if d["minutes"] < 30 else "")
        commit = soak["machine"].get("commit", "?")
        other = (f", at commit `{commit[:10]}`" if first and commit != first["machine"].get("commit")
                 else "")
        out += [f"## Memory under sustained load ({d['minutes']:g} minutes)", "",
                (f"`{d['command']}`{short}{other}: "
                f"{d['requests']:,} requests at {d['rps']:,.0f}/s, errors {d['errors']}; RSS "
                f"from {min(rss) / 1024:.2f} to {max(rss) / 1024:.2f} MB over "
                f"{len(rss)} samples (every 10 s); peak {d['peak_rss_kb'] / 1024:.2f} MB."), ""]
        if soak_chart(d["samples"], results / f"{date}-soak.png"):
            out += [f"![RSS every 10 s]({date}-soak.png)", ""]
    if cold:
        out += ["## Cold start: exec to the first 200 on /plaintext", "",
                "| server | median ms | min | max | times |", "|---|---|---|---|---|"]
        for r in cold["data"]:
            out.append(f"| {r['peer']} | {r['median_ms']:.2f} | {r['min_ms']:.2f} | "
                       f"{r['max_ms']:.2f} | {r['times']} |")
        out.append("")
    if build:
        d = build["data"]
        out += ["## Build", "",
                (f"- static musl release binary (`doo compile examples/hello --target "
                f"x86_64-linux-musl`): **{d['musl_static_bytes'] / 1024:.0f} KiB**"),
                (f"- `doo build` cold (fresh DOO_CACHE_DIR; zig's own libc cache warm): "
                f"{d['cold_build_s']:.2f} s"),
                (f"- `doo build` warm after a one-line edit: **{d['warm_build_s']:.2f} s** "
                f"(`--release`: {d['warm_release_build_s']:.2f} s)"), ""]
    notes = results / f"{date}-notes.md"
    if notes.is_file():
        out += [notes.read_text()]
    md = results / f"{date}.md"
    md.write_text("\n".join(out).rstrip() + "\n")
    print(f"wrote {md}")
    return md
