"""Doo's benchmark suite: Doo and its peers, side by side, in one run on this machine.

Role: reproduce every number of bench/results/<date>.md. `bench/run.sh` installs the peers on
a fresh Debian machine and then calls this script; run it directly when they are installed.

Parts (each writes bench/results/<date>-<part>.json; `report` turns what exists into
bench/results/<date>.md and PNG charts):
  suite      /plaintext and /json for Doo, Go net/http, Fastify, FastAPI+uvicorn, nginx, h2o in
             modes a (server on CPU 0, wrk -t1 -c256 on CPU 1), b (the same, pipelined ×16) and
             c (unpinned, 2 server workers, wrk -t2); GET /tasks/:id and POST /tasks over SQLite
             for Doo, Go + mattn/go-sqlite3, Fastify + better-sqlite3, FastAPI + sqlite3 and
             PocketBase, in the same three modes. Each server is started fresh, warmed up,
             measured 3 times; medians.
  pairs      Doo and nginx in mode a, alternating (Doo, nginx, Doo, …) 6 × 5 s per route, so
             that slow drifts of the machine fall on both: the median of the pair ratios
             decides the "≥ 0.97 × nginx" target better than medians of separate runs.
  loadgen    our load generator against wrk on the same targets (the `doo bench` engine).
  mixed      90 % GET /hello/x + 10 % POST /signup with JSON bodies on examples/handlers.
  soak       sustained load on examples/hello /json, RSS every 10 s (--minutes, default 5).
  coldstart  exec to first 200, many times, median (Doo, Go, nginx).
  build      static musl release binary size; `doo build` cold (fresh DOO_CACHE_DIR) and warm
             after a one-line edit.
  report     render the markdown and the charts.
  all        every part, then report.

`--quick` is a smoke test: 1 run × 3 s. Only 127.0.0.1 is ever loaded; every server is stopped
by pid, also on errors.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import pwd
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
PEERS = BENCH / "peers"
RESULTS = BENCH / "results"
sys.path.insert(0, str(REPO))

from doo import pipeline
from doo.backend_c import toolchain
from doo.devloop import bench

WORK = Path(os.environ.get("DOO_BENCH_WORK", Path(tempfile.gettempdir()) / "doo-bench"))
VENV_BIN = Path(os.environ.get("DOO_BENCH_VENV", BENCH / ".venv")) / "bin"
TASK_BODY = '{"Title":"Write the benchmark report","Priority":"High"}'
SIGNUP_BODY = ('{"email":"ada@example.com","password":"correct horse","name":"Ada Lovelace",'
               '"age":36,"website":"https://example.com"}')


@dataclass
class Settings:
    duration: float = 10.0
    runs: int = 3
    warmup: float = 2.0
    connections: int = 256
    date: str = field(default_factory=lambda: dt.date.today().isoformat())


# --- processes ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(port: int, path: str, proc: subprocess.Popen[bytes], deadline: float = 30.0) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before answering")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=1) as r:
                if r.status < 500:
                    return
        except urllib.error.HTTPError as e:
            if e.code < 500:
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"server did not answer {path} within {deadline:g} s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the server's pid (nginx/uvicorn pass it to their workers), then SIGKILL."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            for pid in reversed(bench.process_tree(proc.pid)):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            proc.wait()


# --- peers ---------------------------------------------------------------------------------------


@dataclass
class Peer:
    name: str
    routes: dict[str, tuple[str, str]]  # key -> (method, path); "{id}" filled after seeding
    start: Callable[[Path, int, int], tuple[list[str], dict[str, str], Path]]
    ready: str = "/plaintext"
    seed: Callable[[int], str] | None = None  # POST one task, return its id


def doo_binary(example: str, folder: Path | None = None) -> Path:
    """A release build of examples/<example> (or of `folder`)."""
    out = WORK / "bin" / f"doo-{example}"
    src = folder or REPO / "examples" / example
    res = pipeline.build(src, out, toolchain.BuildOptions(mode="release"))
    if not res.ok or res.binary is None:
        raise RuntimeError(f"{src} does not build: {res.diagnostics}")
    return res.binary


def go_binary() -> Path:
    out = WORK / "bin" / "go-peer"
    env = {**os.environ, "GO111MODULE": "off", "GOPATH": "/usr/share/gocode",
           "GOCACHE": str(WORK / "gocache")}
    subprocess.run(["go", "build", "-o", str(out), str(PEERS / "go" / "main.go")], env=env,
                   check=True, cwd=WORK)
    return out


def make_db(path: Path, rows: int = 1000) -> None:
    path.unlink(missing_ok=True)
    db = sqlite3.connect(path)
    db.executescript((PEERS / "schema.sql").read_text())
    db.execute("PRAGMA journal_mode = WAL")
    db.executemany("INSERT INTO tasks (title, priority, done) VALUES (?, ?, 0)",
                   [(f"task {i}", ("Low", "Medium", "High")[i % 3]) for i in range(rows)])
    db.commit()
    db.close()


def post_json(port: int, path: str, body: str) -> dict[str, object]:
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body.encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=5) as r:
        data: dict[str, object] = json.loads(r.read())
        return data


def seed_crud(port: int) -> str:
    data = post_json(port, "/tasks", TASK_BODY)
    inner = data.get("data", data)
    assert isinstance(inner, dict)
    return str(inner["id"])


def seed_pocketbase(port: int) -> str:
    return str(post_json(port, "/api/collections/tasks/records", TASK_BODY)["id"])


def start_doo(d: Path, port: int, workers: int) -> tuple[list[str], dict[str, str], Path]:
    return [str(doo_binary("hello"))], {"DOO_ADDR": f"127.0.0.1:{port}"}, d


def start_doo_tasks(d: Path, port: int, workers: int) -> tuple[list[str], dict[str, str], Path]:
    # bench/peers/doo_tasks: the peers' table and validation, no accounts (examples/tasks
    # requires tokens, which no peer does).
    binary = doo_binary("tasks", PEERS / "doo_tasks")
    return [str(binary)], {"DOO_ADDR": f"127.0.0.1:{port}",
                           "DATABASE_URL": f"sqlite:{d / 'doo.db'}"}, d


def start_go(d: Path, port: int, workers: int) -> tuple[list[str], dict[str, str], Path]:
    make_db(d / "go.db")
    return [str(go_binary())], {"ADDR": f"127.0.0.1:{port}", "DB": str(d / "go.db"),
                                "GOMAXPROCS": str(workers)}, d


def start_fastify(d: Path, port: int, workers: int) -> tuple[list[str], dict[str, str], Path]:
    make_db(d / "fastify.db")
    return (["node", str(PEERS / "fastify" / "server.js")],
            {"PORT": str(port), "HOST": "127.0.0.1", "DB": str(d / "fastify.db"),
             "NODE_ENV": "production"}, PEERS / "fastify")


def start_fastapi(d: Path, port: int, workers: int) -> tuple[list[str], dict[str, str], Path]:
    make_db(d / "fastapi.db")
    return ([str(VENV_BIN / "python"), "-m", "uvicorn", "app:app", "--host", "127.0.0.1",
             "--port", str(port), "--workers", str(workers), "--no-access-log",
             "--log-level", "warning"], {"DB": str(d / "fastapi.db")}, PEERS / "fastapi")


def start_nginx(d: Path, port: int, workers: int) -> tuple[list[str], dict[str, str], Path]:
    conf = (PEERS / "nginx" / "nginx.conf").read_text().format(port=port, workers=workers, dir=d)
    (d / "nginx.conf").write_text(conf)
    return ["nginx", "-c", str(d / "nginx.conf"), "-p", str(d), "-e", str(d / "error.log")], {}, d


def start_h2o(d: Path, port: int, workers: int) -> tuple[list[str], dict[str, str], Path]:
    (d / "plaintext.txt").write_text("Hello, World!")
    (d / "json.json").write_text('{"message":"Hello, World!"}')
    conf = (PEERS / "h2o" / "h2o.conf").read_text().format(
        port=port, workers=workers, dir=d, user=pwd.getpwuid(os.getuid()).pw_name)
    (d / "h2o.conf").write_text(conf)
    return ["h2o", "-c", str(d / "h2o.conf")], {}, d


def start_pocketbase(d: Path, port: int, workers: int) -> tuple[list[str], dict[str, str], Path]:
    pb = d / "pb"
    shutil.rmtree(pb, ignore_errors=True)
    shutil.copytree(PEERS / "pocketbase", pb)
    return ([str(VENV_BIN / "pocketbase"), "serve", "--http", f"127.0.0.1:{port}",
             "--dir", str(pb / "pb_data"), "--migrationsDir", str(pb / "pb_migrations"),
             "--hooksDir", str(pb / "pb_hooks")], {"GOMAXPROCS": str(workers)}, pb)


HELLO = {"plaintext": ("GET", "/plaintext"), "json": ("GET", "/json")}
CRUD = {"get_task": ("GET", "/tasks/{id}"), "post_task": ("POST", "/tasks")}
PEER_LIST = [
    Peer("Doo", HELLO, start_doo),
    Peer("nginx", HELLO, start_nginx),
    Peer("h2o", HELLO, start_h2o),
    Peer("Go net/http", {**HELLO, **CRUD}, start_go, seed=seed_crud),
    Peer("Fastify", {**HELLO, **CRUD}, start_fastify, seed=seed_crud),
    Peer("FastAPI+uvicorn", {**HELLO, **CRUD}, start_fastapi, seed=seed_crud),
    Peer("PocketBase", {"get_task": ("GET", "/api/collections/tasks/records/{id}"),
                        "post_task": ("POST", "/api/collections/tasks/records")},
         start_pocketbase, ready="/api/health", seed=seed_pocketbase),
]
if (PEERS / "doo_tasks" / "main.doo").is_file():
    PEER_LIST.insert(1, Peer("Doo (tasks)", CRUD, start_doo_tasks, ready="/tasks/1",
                             seed=seed_crud))


@contextmanager
def running(peer: Peer, workers: int, cpu: int | None) -> Iterator[tuple[int, int]]:
    """Start `peer` fresh (pinned to `cpu` before exec when given); yield (port, pid)."""
    d = WORK / "run" / peer.name.replace(" ", "_").replace("/", "_").replace("+", "_")
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    port = free_port()
    argv, env, cwd = peer.start(d, port, workers)
    if cpu is not None:
        argv = ["taskset", "-c", str(cpu), *argv]
    log = open(d / "server.log", "wb")  # noqa: SIM115 - closed in finally below
    proc = subprocess.Popen(argv, env={**os.environ, **env}, cwd=cwd, stdin=subprocess.DEVNULL,
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_http(port, peer.ready, proc)
        yield port, proc.pid
    finally:
        stop(proc)
        log.close()


# --- wrk -------------------------------------------------------------------------------------------

WRK_DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRKJSON {"requests":%d,"duration_us":%d,"errors":%d,"non2xx":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d}\\n', summary.requests, summary.duration,
    e.connect + e.read + e.write + e.timeout, e.status, latency:percentile(50),
    latency:percentile(90), latency:percentile(99), latency.max))
end
"""


def wrk_script(method: str, body: str, depth: int) -> Path:
    lines = []
    if method != "GET":
        lines += [f'wrk.method = "{method}"', f"wrk.body = '{body}'",
                  'wrk.headers["Content-Type"] = "application/json"']
    if depth > 1:
        lines += ["init = function(args)", "  local r = {}",
                  f"  for i = 1, {depth} do r[i] = wrk.format() end",
                  "  req = table.concat(r)", "end",
                  "request = function() return req end"]
    path = WORK / f"wrk-{method}-{depth}.lua"
    path.write_text("\n".join(lines) + WRK_DONE)
    return path


def wrk(port: int, path: str, method: str, body: str, depth: int, threads: int, conns: int,
        duration: float, cpu: int | None) -> dict[str, float]:
    argv = ["wrk", f"-t{threads}", f"-c{conns}", f"-d{duration:g}s", "--timeout", "5s",
            "-s", str(wrk_script(method, body, depth)), f"http://127.0.0.1:{port}{path}"]
    if cpu is not None:
        argv = ["taskset", "-c", str(cpu), *argv]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 60,
                         check=False).stdout
    for line in out.splitlines():
        if line.startswith("WRKJSON "):
            d: dict[str, float] = json.loads(line[8:])
            d["rps"] = d["requests"] / (d["duration_us"] / 1e6)
            return d
    raise RuntimeError(f"wrk printed no summary:\n{out[-2000:]}")


# --- the suite -------------------------------------------------------------------------------------

MODES = {  # name -> (server cpu, load cpu, server workers, wrk threads, pipeline depth)
    "a": (0, 1, 1, 1, 1),
    "b": (0, 1, 1, 1, 16),
    "c": (None, None, 2, 2, 1),
}


def measure(port: int, pid: int, method: str, path: str, body: str, mode: str,
            s: Settings) -> dict[str, object]:
    _, load_cpu, _, threads, depth = MODES[mode]
    wrk(port, path, method, body, depth, threads, s.connections, s.warmup, load_cpu)
    runs = []
    for _ in range(s.runs):
        pids = bench.process_tree(pid)
        before = bench.cpu_seconds(pids)
        r = wrk(port, path, method, body, depth, threads, s.connections, s.duration, load_cpu)
        pids = bench.process_tree(pid)
        r["cpu_us_per_req"] = (bench.cpu_seconds(pids) - before) / max(r["requests"], 1) * 1e6
        runs.append(r)
    if depth > 1:  # wrk reports no useful latency when pipelining: ask our load generator
        cfg = bench.BenchConfig(path=path, connections=s.connections, duration=s.duration,
                                pipeline=depth, method=method, body=body.encode(), tick=1.0,
                                headers=(("Content-Type", "application/json"),) if body else ())
        lg = bench.run_load("127.0.0.1", port, cfg, server_pid=pid, cpu=load_cpu)
        extra = {"loadgen_rps": lg.rps, "loadgen_p99_ms": lg.p99_ms,
                 "loadgen_cpu_us_per_req": lg.server_cpu_us_per_req}
    else:
        extra = {}
    med = {k: statistics.median(float(r[k]) for r in runs)
           for k in ("rps", "p50_us", "p99_us", "max_us", "cpu_us_per_req")}
    return {**med, "errors": sum(int(r["errors"]) for r in runs),
            "non2xx": sum(int(r["non2xx"]) for r in runs),
            "peak_rss_kb": bench.peak_rss_kb(bench.process_tree(pid)),
            "runs": [round(float(r["rps"])) for r in runs], **extra}


def run_suite(s: Settings, peers: list[str] | None, modes: list[str]) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for peer in PEER_LIST:
        if peers and peer.name not in peers:
            continue
        for mode in modes:
            # Every route in every mode: pipelined (b) is where the server, not wrk, is the
            # limit, so it is where the database rows compare the servers themselves.
            routes = dict(peer.routes)
            server_cpu, _, workers, _, _ = MODES[mode]
            print(f"== {peer.name}, mode {mode}", flush=True)
            try:
                with running(peer, workers, server_cpu) as (port, pid):
                    task_id = peer.seed(port) if peer.seed else ""
                    for key, (method, path) in routes.items():
                        body = TASK_BODY if method == "POST" else ""
                        m = measure(port, pid, method, path.replace("{id}", task_id), body,
                                    mode, s)
                        rows.append({"peer": peer.name, "mode": mode, "route": key, **m})
                        print(f"   {key:10} {m['rps']:>12,.0f} req/s  p99 "
                              f"{float(m['p99_us']) / 1000:.2f} ms  cpu "
                              f"{float(m['cpu_us_per_req']):.2f} µs/req  rss "
                              f"{m['peak_rss_kb']} KiB  errors {m['errors']} "
                              f"non2xx {m['non2xx']}", flush=True)
            except Exception as e:  # noqa: BLE001 - one broken peer must not stop the rest
                print(f"   FAILED: {e}", flush=True)
                rows.append({"peer": peer.name, "mode": mode, "route": "*", "failed": str(e)})
    return rows


def run_loadgen_check(s: Settings) -> list[dict[str, object]]:
    """Our load generator and wrk on the same targets (Doo and nginx, modes a and b)."""
    rows: list[dict[str, object]] = []
    for peer in (p for p in PEER_LIST if p.name in ("Doo", "nginx")):
        with running(peer, 1, 0) as (port, pid):
            for depth in (1, 16):
                w = wrk(port, "/plaintext", "GET", "", depth, 1, s.connections, s.duration, 1)
                cfg = bench.BenchConfig(path="/plaintext", connections=s.connections,
                                        duration=s.duration, pipeline=depth, tick=1.0)
                r = bench.run_load("127.0.0.1", port, cfg, server_pid=pid, cpu=1)
                rows.append({"peer": peer.name, "pipeline": depth, "wrk_rps": w["rps"],
                             "wrk_p99_us": w["p99_us"], "loadgen_rps": r.rps,
                             "loadgen_p99_ms": r.p99_ms,
                             "loadgen_cpu_us_per_req": r.server_cpu_us_per_req})
                print(f"   {peer.name} ×{depth}: wrk {w['rps']:,.0f}  loadgen {r.rps:,.0f}",
                      flush=True)
    return rows


def run_pairs(s: Settings, pairs: int = 6, seconds: float = 5.0) -> list[dict[str, object]]:
    """Doo and nginx both started (pinned to CPU 0), loaded in turn by wrk on CPU 1."""
    rows: list[dict[str, object]] = []
    peers = [p for p in PEER_LIST if p.name in ("Doo", "nginx")]
    with contextlib.ExitStack() as stack:
        servers = [stack.enter_context(running(p, 1, 0)) for p in peers]
        for route in ("plaintext", "json"):
            path = HELLO[route][1]
            runs: dict[str, list[tuple[float, float]]] = {p.name: [] for p in peers}
            for port, _ in servers:
                wrk(port, path, "GET", "", 1, 1, s.connections, s.warmup, 1)
            for _ in range(pairs):
                for peer, (port, pid) in zip(peers, servers):
                    before = bench.cpu_seconds(bench.process_tree(pid))
                    r = wrk(port, path, "GET", "", 1, 1, s.connections, seconds, 1)
                    cpu = (bench.cpu_seconds(bench.process_tree(pid)) - before) / max(
                        r["requests"], 1) * 1e6
                    runs[peer.name].append((r["rps"], cpu))
            d, n = runs["Doo"], runs["nginx"]
            ratios = [a[0] / b[0] for a, b in zip(d, n)]
            cpu_ratios = [a[1] / b[1] for a, b in zip(d, n)]
            row = {"route": route, "pairs": pairs, "seconds": seconds,
                   "doo_rps": [round(x[0]) for x in d], "nginx_rps": [round(x[0]) for x in n],
                   "doo_cpu_us": [round(x[1], 2) for x in d],
                   "nginx_cpu_us": [round(x[1], 2) for x in n],
                   "ratio_median": statistics.median(ratios), "ratio_min": min(ratios),
                   "ratio_max": max(ratios), "cpu_ratio_median": statistics.median(cpu_ratios)}
            rows.append(row)
            print(f"   {route}: Doo/nginx median {row['ratio_median']:.3f} "
                  f"({min(ratios):.2f}–{max(ratios):.2f}), CPU ratio "
                  f"{row['cpu_ratio_median']:.2f}", flush=True)
    return rows


def run_mixed(s: Settings) -> dict[str, object]:
    """90 % GET /hello/x and 10 % POST /signup (a validated JSON body) at the same time."""
    binary = doo_binary("handlers")
    peer = Peer("Doo handlers", {}, lambda d, port, w: ([str(binary)],
                                                       {"DOO_ADDR": f"127.0.0.1:{port}"}, d),
                ready="/hello/x")
    cfg = bench.BenchConfig(path="/hello/x", weight=9, connections=s.connections,
                            duration=s.duration, tick=1.0,
                            headers=(("Content-Type", "application/json"),),
                            mix=((1, "POST", "/signup", SIGNUP_BODY.encode()),))
    with running(peer, 1, 0) as (port, pid):
        bench.run_load("127.0.0.1", port, bench.BenchConfig(path="/hello/x", duration=s.warmup),
                       cpu=1)
        r = bench.run_load("127.0.0.1", port, cfg, server_pid=pid, cpu=1)
    print(f"   mixed: {r}", flush=True)
    return {"command": "python bench/run.py mixed", **r.__dict__}


def run_soak(s: Settings, minutes: float) -> dict[str, object]:
    """Sustained /json load (64 connections, pinned); RSS sampled every 10 s."""
    samples: list[tuple[float, int, float]] = []
    with running(PEER_LIST[0], 1, 0) as (port, pid):
        last = [-10.0]

        def on_tick(t: bench.BenchTick) -> None:
            if t.t - last[0] >= 10.0:
                last[0] = t.t
                samples.append((round(t.t, 1), bench.rss_kb(bench.process_tree(pid)), t.rps))

        cfg = bench.BenchConfig(path="/json", connections=64, duration=minutes * 60, tick=1.0)
        r = bench.run_load("127.0.0.1", port, cfg, on_tick=on_tick, server_pid=pid, cpu=1)
    print(f"   soak: {r}", flush=True)
    return {"minutes": minutes, "samples": samples, **r.__dict__,
            "command": f"python bench/run.py soak --minutes {minutes:g}"}


def first_200(argv: list[str], env: dict[str, str], port: int, path: str) -> float:
    """Seconds from exec to the first 200 answered on `path` (polling connect + GET)."""
    req = f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, env={**os.environ, **env}, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while time.perf_counter() - t0 < 10:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as c:
                    c.sendall(req)
                    if c.recv(64).startswith(b"HTTP/1.1 200"):
                        return time.perf_counter() - t0
            except OSError:
                time.sleep(0.0002)
        raise RuntimeError(f"{argv[0]} did not answer 200 within 10 s")
    finally:
        stop(proc)


def run_coldstart(times: int) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    doo = doo_binary("hello")
    go = go_binary()
    d = WORK / "run" / "coldstart"
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    make_db(d / "go.db")
    for name, argv_env in (
        ("Doo", lambda p: ([str(doo)], {"DOO_ADDR": f"127.0.0.1:{p}"})),
        ("Go net/http", lambda p: ([str(go)], {"ADDR": f"127.0.0.1:{p}",
                                               "DB": str(d / "go.db")})),
    ):
        samples = []
        for _ in range(times):
            port = free_port()
            argv, env = argv_env(port)
            samples.append(first_200(argv, env, port, "/plaintext"))
        rows.append({"peer": name, "median_ms": statistics.median(samples) * 1000,
                     "min_ms": min(samples) * 1000, "max_ms": max(samples) * 1000,
                     "times": times})
        print(f"   cold start {name}: {rows[-1]['median_ms']:.2f} ms median", flush=True)
    return rows


def run_build() -> dict[str, object]:
    doo = [sys.executable, "-m", "doo"]
    out: dict[str, object] = {}
    d = WORK / "build"
    shutil.rmtree(d, ignore_errors=True)
    shutil.copytree(REPO / "examples" / "hello", d / "hello")
    musl = d / "hello-musl"
    subprocess.run([*doo, "compile", str(d / "hello"), "--target", "x86_64-linux-musl", "-o",
                    str(musl)], check=True, cwd=REPO, capture_output=True)
    out["musl_static_bytes"] = musl.stat().st_size
    cache = d / "cache"
    env = {**os.environ, "DOO_CACHE_DIR": str(cache)}
    t0 = time.perf_counter()
    subprocess.run([*doo, "build", str(d / "hello")], check=True, cwd=REPO, env=env,
                   capture_output=True)
    out["cold_build_s"] = time.perf_counter() - t0
    main = d / "hello" / "main.doo"
    main.write_text(main.read_text().replace('"Hello, World!"', '"Hello, World?"', 1))
    t0 = time.perf_counter()
    subprocess.run([*doo, "build", str(d / "hello")], check=True, cwd=REPO, env=env,
                   capture_output=True)
    out["warm_build_s"] = time.perf_counter() - t0
    main.write_text(main.read_text().replace('"Hello, World?"', '"Hello, World."', 1))
    t0 = time.perf_counter()
    subprocess.run([*doo, "build", "--release", str(d / "hello")], check=True, cwd=REPO,
                   env=env, capture_output=True)
    out["warm_release_build_s"] = time.perf_counter() - t0
    print(f"   build: {out}", flush=True)
    return out


# --- results ---------------------------------------------------------------------------------------


def machine() -> dict[str, object]:
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")),
               platform.processor())

    def version(argv: list[str]) -> str:
        try:
            p = subprocess.run(argv, capture_output=True, text=True, timeout=20, check=False)
            return (p.stdout + p.stderr).strip().splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            return "not installed"

    fastify = PEERS / "fastify" / "node_modules"
    def npm_version(name: str) -> str:
        try:
            return str(json.loads((fastify / name / "package.json").read_text())["version"])
        except OSError:
            return "not installed"

    return {
        "commit": os.environ.get("DOO_BENCH_COMMIT") or version(["git", "-C", str(REPO),
                                                                 "rev-parse", "HEAD"]),
        "cpu": cpu, "cores": os.cpu_count(), "kernel": platform.release(),
        "load_average": os.getloadavg(), "python": platform.python_version(),
        "versions": {
            "doo": version([sys.executable, "-m", "doo", "--version"]),
            "zig": toolchain.zig_version(),
            "wrk": version(["wrk", "--version"]),
            "nginx": version(["nginx", "-v"]), "h2o": version(["h2o", "--version"]),
            "go": version(["go", "version"]), "node": version(["node", "--version"]),
            "fastify": npm_version("fastify"), "better-sqlite3": npm_version("better-sqlite3"),
            "fastapi": version([str(VENV_BIN / "python"), "-c",
                                ("import fastapi, uvicorn; print('fastapi', fastapi.__version__,"
                                " 'uvicorn', uvicorn.__version__)")]),
            "pocketbase": version([str(VENV_BIN / "pocketbase"), "--version"]),
        },
    }


def save(s: Settings, part: str, data: object) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{s.date}-{part}.json"
    if part == "suite" and path.is_file() and isinstance(data, list):
        # A partial run (--peers/--modes) replaces only its own rows.
        redone = {(r["peer"], r["mode"]) for r in data}
        old = json.loads(path.read_text())["data"]
        data = [r for r in old if (r["peer"], r["mode"]) not in redone] + data
    path.write_text(json.dumps({"settings": s.__dict__, "machine": machine(), "data": data},
                               indent=1) + "\n")
    print(f"wrote {path.relative_to(REPO)}", flush=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("part", nargs="?", default="all",
                   choices=["all", "suite", "pairs", "loadgen", "mixed", "soak", "coldstart",
                            "build", "report"])
    p.add_argument("--quick", action="store_true", help="smoke test: 1 run × 3 s")
    p.add_argument("--duration", type=float, default=10.0)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--peers", nargs="*", help="only these peers (names as in the table)")
    p.add_argument("--modes", nargs="*", default=["a", "b", "c"], choices=["a", "b", "c"])
    p.add_argument("--minutes", type=float, default=5.0, help="soak length (30 for the full)")
    p.add_argument("--date", default=dt.date.today().isoformat())
    a = p.parse_args(argv)
    s = Settings(duration=3.0 if a.quick else a.duration, runs=1 if a.quick else a.runs,
                 warmup=1.0 if a.quick else 2.0, date=a.date)
    WORK.mkdir(parents=True, exist_ok=True)
    parts = ([a.part] if a.part != "all"
             else ["suite", "pairs", "loadgen", "mixed", "soak", "coldstart", "build",
                   "report"])
    for part in parts:
        print(f"# {part}", flush=True)
        if part == "suite":
            save(s, part, run_suite(s, a.peers, a.modes))
        elif part == "pairs":
            save(s, part, run_pairs(s, 2 if a.quick else 6, 2.0 if a.quick else 5.0))
        elif part == "loadgen":
            save(s, part, run_loadgen_check(s))
        elif part == "mixed":
            save(s, part, run_mixed(s))
        elif part == "soak":
            save(s, part, run_soak(s, 0.5 if a.quick else a.minutes))
        elif part == "coldstart":
            save(s, part, run_coldstart(10 if a.quick else 50))
        elif part == "build":
            save(s, part, run_build())
        elif part == "report":
            from report import render  # bench/report.py: markdown and charts
            render(RESULTS, s.date)
    return 0


if __name__ == "__main__":
    sys.exit(main())
