"""Connections under load and faults (reliability.md §1 "open connections", "drain", and §6).

Pass/fail facts measured on the real server (examples/hello unless a body is needed):
10,000 idle keep-alive connections held at low memory; descriptor exhaustion (EMFILE under
`prlimit --nofile=256`) without a busy loop while the open connections keep being served;
client resets and half-sent requests leave no descriptor behind; SIGTERM drains; start-up
faults give one line and a non-zero exit within a second; a two-minute soak keeps RSS flat.

Tests marked `measurement` report memory or CPU figures and are not re-run against the
sanitizer build (test_sanitized.py). Figures are printed (see them with `pytest -rA`).
"""

from __future__ import annotations

import os
import resource
import selectors
import signal
import socket
import struct
import subprocess
import time
from pathlib import Path

import pytest
from servers import Server, free_port
from wire import Conn, request_bytes

GET = b"GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n"
PLAIN_RESPONSE_END = b"Hello, World!"
IP_BIND_ADDRESS_NO_PORT = 24  # linux/in.h: pick the source port at connect, per 4-tuple
CLK_TCK = os.sysconf("SC_CLK_TCK")


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for pid {pid}")


def fd_count(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


def wait_for(pred, deadline: float, what: str) -> None:  # type: ignore[no-untyped-def]
    end = time.monotonic() + deadline
    while not pred():
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {deadline} s waiting for {what}")
        time.sleep(0.02)


def raise_nofile(n: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n:
        if hard != resource.RLIM_INFINITY and hard < n:
            pytest.skip(f"RLIMIT_NOFILE hard limit {hard} < {n}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (n, hard))


def connect(port: int, i: int = 0) -> socket.socket:
    """A connection from one of several loopback source addresses, so 10,000 of them do not
    run out of ephemeral ports."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1)
    s.bind((f"127.0.0.{2 + i % 8}", 0))
    s.connect(("127.0.0.1", port))
    return s


def read_answers(socks: list[socket.socket], deadline: float) -> set[int]:
    """Indexes of the sockets on which one whole /plaintext response arrived in time."""
    sel = selectors.DefaultSelector()
    bufs: dict[int, bytes] = {}
    for i, s in enumerate(socks):
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, i)
    done: set[int] = set()
    end = time.monotonic() + deadline
    while len(done) < len(socks) and time.monotonic() < end:
        for key, _ in sel.select(timeout=0.2):
            i = key.data
            try:
                data = key.fileobj.recv(65536)  # type: ignore[union-attr]
            except (BlockingIOError, ConnectionResetError):
                continue
            bufs[i] = bufs.get(i, b"") + data
            if bufs[i].endswith(PLAIN_RESPONSE_END) or not data:
                if data:
                    done.add(i)
                sel.unregister(key.fileobj)
    sel.close()
    for s in socks:
        s.setblocking(True)
    return done


def settle(server: Server, warm: int = 20) -> tuple[int, int]:
    """Warm the server up with a few requests, then wait until its descriptors are back to
    their idle count. Returns (rss_kb, fd_count)."""
    for _ in range(warm):
        with Conn(server.port) as c:
            assert c.request("GET", "/plaintext").status == 200
    time.sleep(0.2)
    base_fd = fd_count(server.pid)
    wait_for(lambda: fd_count(server.pid) <= base_fd, 3, "the warm-up connections to close")
    return rss_kb(server.pid), fd_count(server.pid)


# ---- many idle connections ----

N_IDLE = 10_000


@pytest.mark.measurement
def test_10000_idle_keep_alive_connections_are_served_and_held_in_little_memory(
        binaries, server_factory):
    raise_nofile(N_IDLE + 500)
    s = server_factory(binaries("hello"))
    rss0, fd0 = settle(s)
    socks: list[socket.socket] = []
    try:
        for i in range(N_IDLE):
            c = connect(s.port, i)
            c.sendall(GET)
            socks.append(c)
        answered = read_answers(socks, 30)
        assert len(answered) == N_IDLE, f"only {len(answered)} of {N_IDLE} were answered"
        wait_for(lambda: fd_count(s.pid) == fd0 + N_IDLE, 5, "the server to hold every socket")
        time.sleep(0.5)
        rss1 = rss_kb(s.pid)
        # Held, not just answered: every connection answers a second request.
        for c in socks:
            c.sendall(GET)
        again = read_answers(socks, 30)
        assert len(again) == N_IDLE, f"only {len(again)} answered a second request"
    finally:
        for c in socks:
            c.close()
    growth = rss1 - rss0
    per_1000 = growth * 1000 / N_IDLE
    print(f"idle keep-alive: RSS {rss0} KB -> {rss1} KB with {N_IDLE} connections: "
          f"{per_1000:.0f} KB per 1,000 ({growth * 1024 / N_IDLE:.0f} bytes each)")
    assert growth < 30 * 1024, f"RSS grew {growth} KB for {N_IDLE} idle connections"
    wait_for(lambda: fd_count(s.pid) == fd0, 10, "descriptors back to the baseline")


# ---- the connection limit ----

def test_connections_over_the_limit_are_accepted_and_closed(binaries, server_factory):
    s = server_factory(binaries("hello"), env={"DOO_MAX_CONNS": "5"})
    _, fd0 = settle(s, warm=2)
    held = [Conn(s.port) for _ in range(5)]
    for c in held:
        assert c.request("GET", "/plaintext").status == 200
    extra = Conn(s.port)
    extra.send(GET)
    assert extra.closed_by_peer(), "a connection over the limit was kept"
    extra.close()
    for c in held:  # the open ones are unaffected
        assert c.request("GET", "/plaintext").status == 200
    held.pop().close()
    wait_for(lambda: fd_count(s.pid) == fd0 + 4, 3, "the server to see the close")
    with Conn(s.port) as c:  # a slot is free again
        assert c.request("GET", "/plaintext").status == 200
    for c in held:
        c.close()


# ---- descriptor exhaustion ----

@pytest.mark.measurement
def test_out_of_descriptors_does_not_spin_and_open_connections_keep_being_served(
        binaries, server_factory, tmp_path):
    if subprocess.run(["prlimit", "--version"], capture_output=True, check=False).returncode:
        pytest.skip("prlimit is not installed")
    raise_nofile(2000)
    wrapper = tmp_path / "limited"
    wrapper.write_text(f"#!/bin/sh\nexec prlimit --nofile=256 {binaries('hello')}\n")
    wrapper.chmod(0o755)
    s = server_factory(wrapper)
    limits = Path(f"/proc/{s.pid}/limits").read_text()
    assert any(line.startswith("Max open files") and " 256 " in line
               for line in limits.splitlines()), limits
    socks = [connect(s.port, i) for i in range(400)]
    for c in socks:
        c.sendall(GET)
    first = read_answers(socks, 3)
    assert 200 <= len(first) <= 250, f"{len(first)} of 400 answered with 256 descriptors"
    cpu0 = cpu_seconds(s.pid)
    time.sleep(10)
    cpu = cpu_seconds(s.pid) - cpu0
    print(f"EMFILE: {len(first)} of 400 connections accepted; {cpu:.2f} s CPU in 10 s "
          f"while the rest wait in the backlog")
    assert cpu < 1.0, f"the server used {cpu:.2f} s of CPU in 10 s while out of descriptors"
    open_ones = [socks[i] for i in sorted(first)]
    for c in open_ones:
        c.sendall(GET)
    assert len(read_answers(open_ones, 5)) == len(open_ones), "open connections stopped"
    # Descriptors freed: the waiting connections are accepted and answered.
    for i in sorted(first)[:100]:
        socks[i].close()
    waiting = [socks[i] for i in range(400) if i not in first]
    later = read_answers(waiting, 5)
    assert len(later) >= 90, f"only {len(later)} waiting connections were served after 100 left"
    for c in socks:
        c.close()
    assert s.alive()


# ---- faults leave no trace ----

def rst_close(sock: socket.socket) -> None:
    """Close with a reset instead of a FIN."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def test_resets_and_half_sent_requests_leave_no_descriptor_behind(binaries, server_factory):
    s = server_factory(binaries("handlers"))
    port = s.port
    for _ in range(3):
        with Conn(port) as c:
            assert c.request("GET", "/hello/x").status == 200
    time.sleep(0.2)
    fd0 = fd_count(s.pid)
    half_body = (b"POST /signup HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 100\r\n\r\n{\"email\":")
    half_head = b"GET /hello/x HTTP/1.1\r\nHost: a\r\nX-Long: "
    pipelined = request_bytes("GET", "/hello/" + "x" * 4000) * 200
    behaviours = {
        "connect and close": lambda c: None,
        "connect and reset": lambda c: None,
        "idle keep-alive then close": lambda c: (c.sendall(GET.replace(b"/plaintext",
                                                                       b"/hello/x")),
                                                 c.recv(4096)),
        "half-sent head": lambda c: c.sendall(half_head),
        "half-sent body": lambda c: c.sendall(half_body),
        "pipelined burst never read": lambda c: c.sendall(pipelined),
    }
    for name, act in behaviours.items():
        for _ in range(50):
            c = socket.create_connection(("127.0.0.1", port))
            act(c)
            if "close" in name and "reset" not in name:
                c.close()
            else:
                rst_close(c)
    # Lingering closes end within 2 s; then only the baseline descriptors remain.
    wait_for(lambda: fd_count(s.pid) == fd0, 5, f"descriptors back to {fd0}")
    with Conn(port) as c:
        assert c.request("GET", "/hello/after").body == b"Hello, after!"
    assert s.alive()


# ---- SIGTERM ----

SIGNUP_HEAD = (b"POST /signup HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
               b"Content-Length: %d\r\n\r\n")
SIGNUP = b'{"email":"a@b.co","password":"secret123","name":"Ada","age":36}'


def refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return False
    except ConnectionRefusedError:
        return True


def test_sigterm_closes_the_listener_at_once_and_finishes_the_request_in_flight(
        binaries, server_factory):
    s = server_factory(binaries("handlers"), env={"DOO_DRAIN_TIMEOUT": "5"})
    idle = Conn(s.port)
    assert idle.request("GET", "/hello/x").status == 200
    busy = Conn(s.port)
    busy.send(SIGNUP_HEAD % len(SIGNUP) + SIGNUP[:10])
    time.sleep(0.1)
    t0 = time.monotonic()
    os.kill(s.pid, signal.SIGTERM)
    wait_for(lambda: refused(s.port), 1.0, "the listener to close")
    assert time.monotonic() - t0 < 1.0
    assert idle.closed_by_peer(timeout=2), "an idle connection was kept while draining"
    assert s.alive(), "exited before the request in flight was finished"
    busy.send(SIGNUP[10:])
    r = busy.read_response()
    assert r.status == 201 and r.header("Connection") == "close", str(r)
    assert busy.closed_by_peer()
    # The server lingers on a closed connection until the client closes its side too (so
    # that unread input cannot reset the answer away); then nothing is left and it exits.
    busy.close()
    idle.close()
    assert s.proc.wait(timeout=2) == 0
    assert time.monotonic() - t0 < 2


def test_drain_deadline_force_closes_and_still_exits_zero(binaries, server_factory):
    s = server_factory(binaries("handlers"), env={"DOO_DRAIN_TIMEOUT": "1"})
    stuck = Conn(s.port)
    stuck.send(SIGNUP_HEAD % len(SIGNUP) + b"{")
    time.sleep(0.1)
    t0 = time.monotonic()
    os.kill(s.pid, signal.SIGTERM)
    assert s.proc.wait(timeout=3) == 0
    elapsed = time.monotonic() - t0
    assert 0.9 <= elapsed < 2.5, elapsed
    assert stuck.closed_by_peer(timeout=1)
    stuck.close()


def test_a_second_signal_exits_at_once(binaries, server_factory):
    s = server_factory(binaries("handlers"), env={"DOO_DRAIN_TIMEOUT": "30"})
    stuck = Conn(s.port)
    stuck.send(SIGNUP_HEAD % len(SIGNUP) + b"{")
    time.sleep(0.1)
    os.kill(s.pid, signal.SIGTERM)
    time.sleep(0.3)
    assert s.alive(), "the first signal should wait for the request in flight"
    t0 = time.monotonic()
    os.kill(s.pid, signal.SIGINT)
    assert s.proc.wait(timeout=2) == 0
    assert time.monotonic() - t0 < 0.5
    stuck.close()


# ---- start-up faults ----

def start_up_fault(binary: Path, cwd: Path, env: dict[str, str]) -> tuple[int, list[str], float]:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("DOO_", "PORT"))}
    full.update({"DOO_THREADS": "1", **env})
    t0 = time.monotonic()
    p = subprocess.run([str(binary)], env=full, capture_output=True, text=True, timeout=5,
                       cwd=cwd, check=False)
    return p.returncode, p.stderr.strip().splitlines(), time.monotonic() - t0


FAULTS = {
    "bad address": ({"DOO_ADDR": "nowhere"}, "invalid DOO_ADDR"),
    "bad port": ({"PORT": "70000"}, "invalid PORT"),
    "address not on this machine": ({"DOO_ADDR": "192.0.2.1:8080"}, "cannot listen on"),
    "nonsense limit": ({"DOO_MAX_BODY": "1MB"}, "invalid DOO_MAX_BODY"),
    "zero connections": ({"DOO_MAX_CONNS": "0"}, "invalid DOO_MAX_CONNS"),
    "negative timeout": ({"DOO_HEADER_TIMEOUT": "-1"}, "invalid DOO_HEADER_TIMEOUT"),
    "zero threads": ({"DOO_THREADS": "0"}, "invalid DOO_THREADS"),
    "bad log setting": ({"DOO_LOG": "verbose"}, "invalid DOO_LOG"),
}


@pytest.mark.parametrize("env, says", FAULTS.values(), ids=FAULTS.keys())
def test_start_up_fault_is_one_line_and_a_quick_non_zero_exit(binaries, tmp_path, env, says):
    if "PORT" not in env:
        env = {"DOO_ADDR": f"127.0.0.1:{free_port()}", **env}
    code, lines, elapsed = start_up_fault(binaries("hello"), tmp_path, env)
    assert code != 0 and elapsed < 1.0, (code, elapsed)
    assert len(lines) == 1 and lines[0].startswith("doo: ") and says in lines[0], lines


def test_port_in_use_is_one_line_and_a_quick_non_zero_exit(binaries, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, lines, elapsed = start_up_fault(binaries("hello"), tmp_path,
                                              {"DOO_ADDR": f"127.0.0.1:{port}"})
    assert code != 0 and elapsed < 1.0, (code, elapsed)
    assert lines == [f"doo: cannot listen on 127.0.0.1:{port}: Address already in use"]


# ---- soak ----

SOAK_SECONDS = float(os.environ.get("DOO_SOAK_SECONDS", "120"))
WARM_UP = min(20.0, SOAK_SECONDS / 6)


def soak_round(port: int, i: int) -> int:
    """One round of mixed traffic; the number of requests answered."""
    n = 0
    with Conn(port) as c:  # pipelined keep-alive
        c.send(GET * 50)
        for _ in range(50):
            assert c.read_response().body == b"Hello, World!"
        n += 50
        r = c.request("GET", "/json")
        assert r.status == 200
        n += 1
    with Conn(port) as c:  # a framing error
        c.send(b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n\r\n")
        assert c.read_response().status == 400
        n += 1
    c2 = socket.create_connection(("127.0.0.1", port))  # half a request, then a reset
    c2.sendall(b"GET /plaintext HTTP/1.1\r\nHo")
    rst_close(c2)
    if i % 10 == 0:  # a burst that is never read, then a reset
        c3 = socket.create_connection(("127.0.0.1", port))
        c3.sendall(GET * 500)
        rst_close(c3)
    return n


@pytest.mark.measurement
def test_soak_keeps_rss_flat_and_descriptors_at_baseline(binaries, server_factory):
    s = server_factory(binaries("hello"))
    _, fd0 = settle(s)
    t0 = time.monotonic()
    rss_warm = None
    rounds = requests = 0
    while time.monotonic() - t0 < SOAK_SECONDS:
        requests += soak_round(s.port, rounds)
        rounds += 1
        if rss_warm is None and time.monotonic() - t0 >= WARM_UP:
            rss_warm = rss_kb(s.pid)
    rss_end = rss_kb(s.pid)
    assert rss_warm is not None
    growth = rss_end - rss_warm
    print(f"soak: {requests} requests in {rounds} rounds over {SOAK_SECONDS:.0f} s; "
          f"RSS {rss_warm} KB after warm-up -> {rss_end} KB at the end ({growth:+d} KB)")
    assert growth < 5 * 1024, f"RSS grew {growth} KB after warm-up"
    wait_for(lambda: fd_count(s.pid) == fd0, 5, "descriptors back to the baseline")
    assert s.alive()
