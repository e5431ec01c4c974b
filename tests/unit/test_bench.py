"""doo.devloop.bench, doo.devloop.benchrun and `doo bench`: the load generator and the engine.

No timing assertions (numbers belong in bench/results): these tests check that the load
generator counts exactly what a server answered (pipelined, chunked, split, closed), that the
engine reports ticks and sane fields against a real release build, and that the CLI prints its
summary. Every server binds 127.0.0.1 and is stopped by pid; every load is bounded.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from doo import pipeline
from doo.backend_c import toolchain
from doo.devloop import bench, benchrun
from doo.devloop.bench import BenchConfig, BenchTick

REPO = Path(__file__).resolve().parents[2]


# --- a counting server in Python -------------------------------------------------------------


class CountingServer:
    """An HTTP/1.1 server that counts the responses it wrote.

    Each response is written in awkward pieces (to exercise the client's incremental parser);
    every third response is chunked; `close_every` answers `Connection: close` on that
    response of each connection and drops the rest of its input; paths starting with /fail
    answer 500."""

    def __init__(self, close_every: int = 0) -> None:
        self.close_every = close_every
        self.answered = 0
        self.non2xx = 0
        self.lock = threading.Lock()
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.done = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.done.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        buf, served = b"", 0
        with conn:
            while True:
                try:
                    data = conn.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                buf += data
                out = b""
                while b"\r\n\r\n" in buf:
                    head, rest = buf.split(b"\r\n\r\n", 1)
                    length = 0
                    for line in head.split(b"\r\n")[1:]:
                        name, _, value = line.partition(b":")
                        if name.strip().lower() == b"content-length":
                            length = int(value)
                    if len(rest) < length:
                        break
                    buf = rest[length:]
                    served += 1
                    closing = self.close_every and served == self.close_every
                    fail = head.split(b" ")[1].startswith(b"/fail")
                    out += self._response(served, closing, fail)
                    with self.lock:
                        self.answered += 1
                        self.non2xx += fail
                    if closing:
                        break
                head_part, tail = out[:70], out[70:]
                for i in range(0, len(head_part), 7):  # awkward pieces first
                    conn.sendall(head_part[i:i + 7])
                if tail:
                    conn.sendall(tail)
                if self.close_every and served >= self.close_every:
                    return

    @staticmethod
    def _response(n: int, closing: bool, fail: bool) -> bytes:
        status = b"500 Internal Server Error" if fail else b"200 OK"
        extra = b"Connection: close\r\n" if closing else b""
        if n % 3 == 0:
            return (b"HTTP/1.1 " + status + b"\r\nTransfer-Encoding: chunked\r\n" + extra
                    + b"\r\n5\r\nHello\r\n8\r\n, World!\r\n0\r\n\r\n")
        return (b"HTTP/1.1 " + status + b"\r\nContent-Length: 13\r\n" + extra
                + b"\r\nHello, World!")

    def close(self) -> None:
        self.done.set()
        self.sock.close()


@pytest.fixture
def counting() -> Iterator[CountingServer]:
    s = CountingServer()
    yield s
    s.close()


def test_pipelined_count_equals_what_the_server_answered(counting: CountingServer) -> None:
    cfg = BenchConfig(connections=4, duration=20.0, pipeline=16, max_requests=1000)
    r = bench.run_load("127.0.0.1", counting.port, cfg)
    assert (r.requests, r.errors, r.non2xx) == (1000, 0, 0)
    assert counting.answered == 1000


def test_connection_close_reopens_and_reissues_unanswered_requests() -> None:
    s = CountingServer(close_every=10)
    try:
        cfg = BenchConfig(connections=3, duration=20.0, pipeline=4, max_requests=200)
        r = bench.run_load("127.0.0.1", s.port, cfg)
    finally:
        s.close()
    assert (r.requests, r.errors) == (200, 0)
    assert s.answered == 200


def test_non_2xx_are_counted_per_response(counting: CountingServer) -> None:
    cfg = BenchConfig(connections=2, duration=20.0, pipeline=3, max_requests=300,
                      mix=((1, "POST", "/fail", b'{"a":1}'),))
    r = bench.run_load("127.0.0.1", counting.port, cfg)
    assert r.requests == counting.answered == 300
    assert r.non2xx == counting.non2xx
    assert 0 < r.non2xx < 300


def test_nothing_listening_is_counted_as_errors_not_raised() -> None:
    port = benchrun.free_port()
    r = bench.run_load("127.0.0.1", port, BenchConfig(connections=3, duration=5.0))
    assert r.requests == 0
    assert r.errors == 3


def test_bad_arguments_raise_bench_error() -> None:
    with pytest.raises(bench.BenchError, match="without a summary"):
        bench.run_load("127.0.0.1", 1, BenchConfig(pipeline=100000, duration=1.0))


def test_parse_duration() -> None:
    assert bench.parse_duration("10s") == 10.0
    assert bench.parse_duration("500ms") == 0.5
    assert bench.parse_duration("2m") == 120.0
    assert bench.parse_duration("3") == 3.0
    for bad in ("", "0s", "-1", "abc", "10h"):
        with pytest.raises(ValueError):
            bench.parse_duration(bad)


# --- against a real release build --------------------------------------------------------------


@pytest.fixture(scope="module")
def hello_binary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bench") / "hello"
    res = pipeline.build(REPO / "examples" / "hello", out,
                         toolchain.BuildOptions(mode="release"))
    assert res.ok and res.binary is not None, res.diagnostics
    return res.binary


@pytest.fixture
def hello_server(hello_binary: Path) -> Iterator[tuple[int, int]]:
    port = benchrun.free_port()
    proc = benchrun.start_server(hello_binary, port, None)
    try:
        benchrun.wait_for_port(proc, port, benchrun.START_DEADLINE)
        yield port, proc.pid
    finally:
        benchrun.stop_process(proc)


def test_engine_against_hello_reports_ticks_and_sane_fields(
        hello_server: tuple[int, int]) -> None:
    port, pid = hello_server
    ticks: list[BenchTick] = []
    cfg = BenchConfig(path="/json", connections=8, duration=1.5, pipeline=2, tick=0.25)
    r = bench.run_load("127.0.0.1", port, cfg, on_tick=ticks.append, server_pid=pid)
    assert len(ticks) >= 3
    assert [t.requests for t in ticks] == sorted(t.requests for t in ticks)
    assert ticks[-1].requests == r.requests
    assert r.requests > 0 and r.rps > 0
    assert (r.errors, r.non2xx) == (0, 0)
    assert 0 < r.p50_ms <= r.p90_ms <= r.p99_ms <= r.max_ms
    assert r.server_cpu_us_per_req is not None and r.server_cpu_us_per_req >= 0
    assert r.peak_rss_kb is not None and r.peak_rss_kb > 0


def test_engine_counts_404_as_non_2xx(hello_server: tuple[int, int]) -> None:
    port, _ = hello_server
    r = bench.run_load("127.0.0.1", port, BenchConfig(path="/nope", connections=2,
                                                      duration=10.0, max_requests=50))
    assert (r.requests, r.non2xx, r.errors) == (50, 50, 0)


def test_stop_event_ends_the_run_early(hello_server: tuple[int, int]) -> None:
    port, _ = hello_server
    stop = threading.Event()
    ticks: list[BenchTick] = []

    def on_tick(t: BenchTick) -> None:
        ticks.append(t)
        stop.set()

    r = bench.run_load("127.0.0.1", port, BenchConfig(connections=2, duration=60.0),
                       on_tick=on_tick, stop=stop)
    assert ticks and r.requests >= ticks[0].requests
    assert r.duration < 60.0


def test_cli_bench_prints_the_summary() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "doo", "bench", str(REPO / "examples" / "hello"),
         "--route", "/json", "-c", "4", "-d", "1s", "--pipeline", "2"],
        cwd=REPO, capture_output=True, text=True, timeout=300, check=False,
        env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "doo bench: GET /json, 4 connections, 1 s, pipeline 2" in out
    for label in ("requests/s", "latency", "p99", "server CPU", "peak RSS"):
        assert label in out
    assert "errors 0   non-2xx 0" in out


def test_cli_bench_rejects_a_bad_duration() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "doo", "bench", str(REPO / "examples" / "hello"), "-d", "soon"],
        cwd=REPO, capture_output=True, text=True, timeout=60, check=False,
        env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.returncode == 2
    assert "bad duration" in proc.stderr
