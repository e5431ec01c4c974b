"""The bench engine: load one HTTP server with our C load generator and measure it.

Role: the single place that runs a measured load, shared by `doo bench`, the workbench's Bench
tab (which draws the ticks live) and the `bench/` peer suite. No textual import.

Input: a host and port already serving, a `BenchConfig` (route, connections, duration,
pipelining depth, method, body, headers, tick interval), optionally the server's pid (for its
CPU time and peak memory), a CPU to pin the load generator to, and a `stop` event.

Output: a `BenchTick` per interval through `on_tick` while the load runs, then a `BenchResult`.

How: the load generator is `bench/loadgen/loadgen.c` (N keep-alive connections over epoll,
pipelined batches, an HDR-style latency histogram), compiled once with zig and cached by
`toolchain.build_tool`. It prints JSON lines: one `tick` per interval and a final `summary`.
Tick fields: `t` seconds since the start, `requests` answered so far, and `rps` and the
percentiles for that interval only (what a live chart wants); errors and non-2xx are per
interval too. The result's fields cover the whole run. The server's CPU time is read from
/proc/<pid>/stat (utime + stime, every thread, and its children) before and after the run;
peak RSS is VmHWM from /proc/<pid>/status (the sum over the process and its children).
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from doo.backend_c import toolchain

_CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class BenchConfig:
    path: str = "/plaintext"  # request target
    connections: int = 64
    duration: float = 10.0  # seconds
    pipeline: int = 1  # requests per write per connection
    method: str = "GET"
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    tick: float = 0.25  # seconds between ticks
    max_requests: int = 0  # 0: bounded by time only; else stop after this many answers
    # Extra weighted requests mixed in: (weight, method, path, body). When given, the main
    # request above has weight `weight` and these are chosen per request by weight.
    mix: tuple[tuple[int, str, str, bytes], ...] = ()
    weight: int = 1


@dataclass(frozen=True)
class BenchTick:
    t: float
    requests: int
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    errors: int
    non2xx: int


@dataclass(frozen=True)
class BenchResult:
    requests: int
    duration: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    errors: int
    non2xx: int
    server_cpu_us_per_req: float | None = None
    peak_rss_kb: int | None = None


class BenchError(Exception):
    """The load generator could not run (bad arguments, missing source, no summary)."""


# --- the load generator ------------------------------------------------------------------


def loadgen_source() -> Path:
    """bench/loadgen/loadgen.c in a checkout, else the copy shipped in the package."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package.parent / "bench" / "loadgen" / "loadgen.c",
                      package / "_loadgen" / "loadgen.c"):
        if candidate.is_file():
            return candidate
    raise BenchError(f"the load generator's source is missing (looked for "
                     f"{package.parent / 'bench' / 'loadgen' / 'loadgen.c'}); reinstall doo")


def loadgen_binary() -> Path:
    """The compiled load generator (built on first use, then cached)."""
    return toolchain.build_tool(loadgen_source(), "loadgen")


def loadgen_argv(exe: Path, host: str, port: int, cfg: BenchConfig, workdir: Path) -> list[str]:
    """The command line for one run; request bodies are written as files under `workdir`."""
    argv = [str(exe), "-a", host, "-p", str(port), "-c", str(cfg.connections),
            "-d", f"{cfg.duration:g}", "-P", str(cfg.pipeline), "-i", f"{cfg.tick:g}"]
    if cfg.max_requests:
        argv += ["-n", str(cfg.max_requests)]
    for name, value in cfg.headers:
        argv += ["-H", f"{name}: {value}"]
    requests = [(cfg.weight, cfg.method, cfg.path, cfg.body), *cfg.mix]
    for i, (weight, method, path, body) in enumerate(requests):
        spec = f"{weight} {method} {path}"
        if body or method in ("POST", "PUT", "PATCH"):
            f = workdir / f"body{i}"
            f.write_bytes(body)
            spec += f" {f}"
        argv += ["-r", spec]
    return argv


# --- /proc ---------------------------------------------------------------------------------


def process_tree(pid: int) -> list[int]:
    """`pid` and every descendant living now (nginx workers, uvicorn workers, ...)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def cpu_seconds(pids: Iterable[int]) -> float:
    """utime + stime of the processes (all their threads), in seconds; gone ones count 0."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / _CLK_TCK


def peak_rss_kb(pids: Iterable[int]) -> int | None:
    """The sum of VmHWM (peak resident set) over the processes, in KiB."""
    total, seen = 0, False
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        total += int(line.split()[1])
                        seen = True
                        break
        except OSError:
            continue
    return total if seen else None


def rss_kb(pids: Iterable[int]) -> int:
    """The sum of VmRSS (resident now) over the processes, in KiB."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
        except OSError:
            continue
    return total


# --- a run ---------------------------------------------------------------------------------


def _tick(d: dict[str, float]) -> BenchTick:
    return BenchTick(t=float(d["t"]), requests=int(d["requests"]), rps=float(d["rps"]),
                     p50_ms=float(d["p50_ms"]), p90_ms=float(d["p90_ms"]),
                     p99_ms=float(d["p99_ms"]), max_ms=float(d["max_ms"]),
                     errors=int(d["errors"]), non2xx=int(d["non2xx"]))


def run_load(host: str, port: int, cfg: BenchConfig,
             on_tick: Callable[[BenchTick], None] | None = None,
             stop: threading.Event | None = None, server_pid: int | None = None,
             cpu: int | None = None) -> BenchResult:
    """Load host:port as `cfg` says and return what was measured (see the module docstring).

    Blocks for about `cfg.duration` seconds (less when `stop` is set or `max_requests` is
    reached). `on_tick` runs on the calling thread. Raises BenchError if the load generator
    fails to run; connection failures during the run are counted as errors instead."""
    exe = loadgen_binary()
    with tempfile.TemporaryDirectory(prefix="doo-bench-") as tmp:
        argv = loadgen_argv(exe, host, port, cfg, Path(tmp))
        pids = process_tree(server_pid) if server_pid is not None else []
        cpu_before = cpu_seconds(pids)
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        try:
            if cpu is not None:
                os.sched_setaffinity(proc.pid, {cpu})
            watcher = _stop_watcher(proc, stop) if stop is not None else None
            summary = _read_stream(proc, on_tick)
            proc.wait(timeout=10)
            if watcher is not None:
                watcher.set()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        if summary is None:
            err = proc.stderr.read() if proc.stderr else ""
            raise BenchError(f"the load generator exited {proc.returncode} without a summary: "
                             + err.strip()[:500])
    if server_pid is not None:
        pids = process_tree(server_pid)  # workers started since count too
        cpu_after = cpu_seconds(pids)
    requests = int(summary["requests"])
    cpu_per_req = None
    if server_pid is not None and requests:
        cpu_per_req = (cpu_after - cpu_before) / requests * 1e6
    return BenchResult(
        requests=requests, duration=float(summary["t"]), rps=float(summary["rps"]),
        p50_ms=float(summary["p50_ms"]), p90_ms=float(summary["p90_ms"]),
        p99_ms=float(summary["p99_ms"]), max_ms=float(summary["max_ms"]),
        errors=int(summary["errors"]), non2xx=int(summary["non2xx"]),
        server_cpu_us_per_req=cpu_per_req,
        peak_rss_kb=peak_rss_kb(pids) if server_pid is not None else None)


def _read_stream(proc: subprocess.Popen[str],
                 on_tick: Callable[[BenchTick], None] | None) -> dict[str, float] | None:
    assert proc.stdout is not None
    summary = None
    for line in proc.stdout:
        try:
            d = json.loads(line)
        except json.JSONDecodeError:
            continue
        if d.get("type") == "summary":
            summary = d
        elif d.get("type") == "tick" and on_tick is not None:
            on_tick(_tick(d))
    return summary


def _stop_watcher(proc: subprocess.Popen[str], stop: threading.Event) -> threading.Event:
    """A thread that sends SIGINT to the load generator when `stop` is set (it then prints its
    summary and exits); the returned event ends the thread after a normal finish."""
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            if stop.wait(0.05):
                if proc.poll() is None:
                    proc.send_signal(2)
                return

    threading.Thread(target=watch, name=f"doo-bench-stop-{proc.pid}", daemon=True).start()
    return done


# --- text ------------------------------------------------------------------------------------


def parse_duration(text: str) -> float:
    """"10s", "500ms", "2m" or a bare number of seconds → seconds; ValueError otherwise."""
    t = text.strip().lower()
    for suffix, scale in (("ms", 0.001), ("s", 1.0), ("m", 60.0)):
        if t.endswith(suffix):
            t, factor = t[: -len(suffix)], scale
            break
    else:
        factor = 1.0
    try:
        value = float(t) * factor
    except ValueError:
        raise ValueError(f"bad duration {text!r}") from None
    if not value > 0 or value > 86400:
        raise ValueError(f"bad duration {text!r}")
    return value


def format_tick(t: BenchTick) -> str:
    return (f"{t.t:6.2f}s {t.rps:>12,.0f} req/s   p50 {t.p50_ms:7.3f} ms   "
            f"p99 {t.p99_ms:7.3f} ms   max {t.max_ms:7.3f} ms   errors {t.errors}"
            + (f"   non-2xx {t.non2xx}" if t.non2xx else ""))


def format_result(r: BenchResult) -> str:
    cpu = (f"{r.server_cpu_us_per_req:.2f} µs per request"
           if r.server_cpu_us_per_req is not None else "n/a")
    rss = f"{r.peak_rss_kb / 1024:.1f} MB" if r.peak_rss_kb is not None else "n/a"
    return "\n".join([
        f"requests/s     {r.rps:,.0f}",
        (f"latency        p50 {r.p50_ms:.3f} ms   p90 {r.p90_ms:.3f} ms   "
         f"p99 {r.p99_ms:.3f} ms   max {r.max_ms:.3f} ms"),
        (f"requests       {r.requests:,} in {r.duration:.2f} s   errors {r.errors}   "
         f"non-2xx {r.non2xx}"),
        f"server CPU     {cpu}",
        f"peak RSS       {rss}",
    ])
