"""A release build of a project, started on a free loopback port and loaded by the bench engine.

Role: what `doo bench` and the workbench's Bench tab run: build with --release, start the
server on 127.0.0.1 (DOO_ADDR), wait for its port, warm it up, load it with
`bench.run_load`, stop it by pid (also on errors and on `stop`).

Input: a project folder or .doo file, a `BenchConfig`, optional tick/progress callbacks and a
stop event. Output: a `BenchRun`: the pipeline result (diagnostics when the build failed) and
the `BenchResult` when the load ran.

Pinning: with two or more CPUs the server is pinned to CPU 0 (before exec, so it starts one
worker) and the load generator to CPU 1, so the two do not fight over a core; with one CPU
nothing is pinned.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from doo import pipeline
from doo.backend_c import toolchain
from doo.devloop.bench import BenchConfig, BenchError, BenchResult, BenchTick, run_load

START_DEADLINE = 10.0
STOP_DEADLINE = 15.0  # the server's drain deadline is 10 s


@dataclass
class BenchRun:
    build: pipeline.Result
    result: BenchResult | None = None
    binary_size: int | None = None
    cpus: str = ""  # "server on CPU 0, load on CPU 1" or "unpinned"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(proc: subprocess.Popen[bytes], port: int, deadline: float) -> None:
    """Return once 127.0.0.1:port accepts; BenchError if the process exits or time runs out."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise BenchError(f"the server exited with status {proc.returncode} before "
                             "accepting connections")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.01)
    raise BenchError(f"the server did not accept connections within {deadline:g} s")


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM by pid, wait for the drain, SIGKILL if it does not exit."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=STOP_DEADLINE)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def start_server(binary: Path, port: int, server_cpu: int | None,
                 env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """Start `binary` on 127.0.0.1:port, pinned to `server_cpu` before exec when given."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    full_env["DOO_ADDR"] = f"127.0.0.1:{port}"
    full_env.pop("PORT", None)

    # taskset pins before it execs the server, so the server's worker count (one per CPU
    # in its affinity mask) sees the pin; preexec_fn would do the same but is unsafe when
    # the caller has threads (the workbench does).
    taskset = shutil.which("taskset")
    argv = [str(binary)]
    if server_cpu is not None and taskset:
        argv = [taskset, "-c", str(server_cpu), *argv]
    proc = subprocess.Popen(argv, env=full_env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if server_cpu is not None and not taskset:
        os.sched_setaffinity(proc.pid, {server_cpu})  # racy: it may start two workers
    return proc


def pinning() -> tuple[int | None, int | None]:
    """(server CPU, load generator CPU): the first two CPUs we may use, or none."""
    cpus = sorted(os.sched_getaffinity(0))
    return (cpus[0], cpus[1]) if len(cpus) >= 2 else (None, None)


def bench_project(path: Path, cfg: BenchConfig,
                  on_tick: Callable[[BenchTick], None] | None = None,
                  progress: Callable[[str], None] | None = None,
                  stop: threading.Event | None = None, warmup: float = 1.0,
                  pin: bool = True, env: dict[str, str] | None = None) -> BenchRun:
    """Build `path` with --release, start it, warm it up, load it, stop it (see module doc).

    Raises toolchain.ToolchainError when the C compiler fails and BenchError when the server
    does not start or the load generator cannot run."""
    say = progress or (lambda _msg: None)
    with tempfile.TemporaryDirectory(prefix="doo-bench-") as tmp:
        binary = Path(tmp) / "server"
        res = pipeline.build(path, binary, toolchain.BuildOptions(mode="release"), progress)
        run = BenchRun(build=res)
        if not res.ok or res.binary is None:
            return run
        run.binary_size = res.binary.stat().st_size
        server_cpu, load_cpu = pinning() if pin else (None, None)
        run.cpus = (f"server on CPU {server_cpu}, load on CPU {load_cpu}"
                    if server_cpu is not None else "unpinned")
        port = free_port()
        proc = start_server(res.binary, port, server_cpu, env)
        try:
            wait_for_port(proc, port, START_DEADLINE)
            say(f"serving on 127.0.0.1:{port} (pid {proc.pid}, {run.cpus})")
            if warmup > 0 and not (stop is not None and stop.is_set()):
                run_load("127.0.0.1", port, BenchConfig(
                    path=cfg.path, connections=cfg.connections, duration=warmup,
                    pipeline=cfg.pipeline, method=cfg.method, body=cfg.body,
                    headers=cfg.headers, tick=warmup, mix=cfg.mix, weight=cfg.weight),
                    stop=stop, cpu=load_cpu)
            if stop is not None and stop.is_set():
                return run
            run.result = run_load("127.0.0.1", port, cfg, on_tick, stop, proc.pid, load_cpu)
        finally:
            stop_process(proc)
    return run
