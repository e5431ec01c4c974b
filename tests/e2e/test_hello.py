"""examples/hello as a real server: the HTTP contract every compiled Doo program keeps.

http.md §1 (routes, 404, 405 + Allow, HEAD), §2 (Str → text/plain, struct → JSON), §4 (problem
bodies), §7 (Server/Date/Content-Length/X-Request-Id, keep-alive, pipelining, HTTP/1.0,
SIGTERM → exit 0, start-up line, configuration by environment).
"""

from __future__ import annotations

import email.utils
import os
import socket
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from servers import Server, module_server
from wire import IMF_FIXDATE, REQUEST_ID, Conn, fetch, problem, request_bytes

PLAIN = "text/plain; charset=utf-8"
JSON = "application/json"
PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def hello(binaries, tmp_path_factory):
    yield from module_server(binaries("hello"), tmp_path_factory.mktemp("hello"))


@pytest.fixture(scope="module")
def port(hello: Server) -> int:
    return hello.port


def parse_date(value: str) -> datetime:
    assert IMF_FIXDATE.fullmatch(value), f"Date {value!r} is not an IMF-fixdate"
    return email.utils.parsedate_to_datetime(value)


# ---- routes and bodies -------------------------------------------------------------------

def test_plaintext_is_text_plain_with_exact_body(port):
    r = fetch(port, "GET", "/plaintext")
    assert (r.version, r.status, r.reason) == ("HTTP/1.1", 200, "OK")
    assert r.body == b"Hello, World!"
    assert r.header("Content-Type") == PLAIN
    assert r.header("Content-Length") == "13"


def test_json_is_application_json_with_exact_body(port):
    r = fetch(port, "GET", "/json")
    assert r.status == 200
    assert r.body == b'{"message":"Hello, World!"}'
    assert r.header("Content-Type") == JSON
    assert r.header("Content-Length") == str(len(r.body))


def test_every_response_has_exactly_the_standard_headers(port):
    r = fetch(port, "GET", "/plaintext")
    assert sorted(r.names()) == sorted(
        ["server", "date", "content-type", "content-length", "x-request-id"]), r.head
    assert r.header("Server") == "doo"
    parse_date(r.header("Date"))
    assert REQUEST_ID.fullmatch(r.header("X-Request-Id"))


def test_unknown_path_is_404_problem(port):
    r = fetch(port, "GET", "/nope")
    assert (r.status, r.reason) == (404, "Not Found")
    assert r.header("Content-Type") == PROBLEM
    assert r.body == problem(404, "Not Found", "no route matches this path", "/nope")
    assert r.header("Content-Length") == str(len(r.body))
    assert r.header("Server") == "doo"


def test_trailing_slash_and_query_do_not_confuse_routing(port):
    assert fetch(port, "GET", "/plaintext?x=1").body == b"Hello, World!"
    assert fetch(port, "GET", "/plaintext/").status == 404


def test_known_path_other_method_is_405_with_allow(port):
    r = fetch(port, "POST", "/plaintext", [("Content-Type", "text/plain")], b"hi")
    assert (r.status, r.reason) == (405, "Method Not Allowed")
    assert r.header("Allow") == "GET, HEAD"
    assert r.header("Content-Type") == PROBLEM
    assert r.body == problem(405, "Method Not Allowed", "method not allowed on this path",
                             "/plaintext")
    for method in ("PUT", "DELETE", "PATCH"):
        r = fetch(port, method, "/json")
        assert r.status == 405, f"{method} /json"
        assert r.header("Allow") == "GET, HEAD"


def test_head_has_get_headers_and_no_body(port):
    with Conn(port) as c:
        get = c.request("GET", "/json")
        head = c.request("HEAD", "/json")
        # If HEAD had carried a body, it would be read as the start of this response.
        after = c.request("GET", "/plaintext")
    assert head.status == 200
    assert head.body == b""
    assert head.header("Content-Length") == get.header("Content-Length") == "27"
    assert head.header("Content-Type") == get.header("Content-Type") == JSON
    assert head.header("Server") == "doo"
    assert sorted(head.names()) == sorted(get.names())
    assert after.status == 200 and after.body == b"Hello, World!"


# ---- X-Request-Id ------------------------------------------------------------------------

@pytest.mark.parametrize("rid", ["abc", "A-b_c.9", "x" * 128, "0"])
def test_valid_request_id_is_echoed(port, rid):
    r = fetch(port, "GET", "/plaintext", [("X-Request-Id", rid)])
    assert r.header("X-Request-Id") == rid


@pytest.mark.parametrize("rid", ["x" * 129, "a b", "a/b", "é", "a;b", ""])
def test_invalid_request_id_is_replaced_by_a_generated_one(port, rid):
    r = fetch(port, "GET", "/plaintext", [("X-Request-Id", rid)])
    got = r.header("X-Request-Id")
    assert got is not None and got != rid
    assert REQUEST_ID.fullmatch(got), got


def test_generated_request_ids_are_unique(port):
    with Conn(port) as c:
        ids = [c.request("GET", "/plaintext").header("X-Request-Id") for _ in range(5)]
    ids.append(fetch(port, "GET", "/json").header("X-Request-Id"))
    assert len(set(ids)) == len(ids), ids
    assert all(REQUEST_ID.fullmatch(i) for i in ids), ids


# ---- Date --------------------------------------------------------------------------------

def test_date_is_current_and_rerendered(port):
    with Conn(port) as c:
        first = parse_date(c.request("GET", "/plaintext").header("Date"))
        now1 = datetime.now(UTC)
        time.sleep(1.1)  # the one deliberate wait: the clock must tick past a second
        second = parse_date(c.request("GET", "/plaintext").header("Date"))
        now2 = datetime.now(UTC)
    assert abs((now1 - first).total_seconds()) < 2, (first, now1)
    assert abs((now2 - second).total_seconds()) < 2, (second, now2)
    assert second > first, f"Date not re-rendered: {first} then {second}"


# ---- connections -------------------------------------------------------------------------

def test_keep_alive_serves_many_requests_on_one_connection(port):
    with Conn(port) as c:
        for i in range(5):
            path = "/json" if i % 2 else "/plaintext"
            r = c.request("GET", path)
            assert r.status == 200, f"request {i}"
            assert r.header("Connection") is None, f"request {i}: {r.head!r}"
        assert not c.closed_by_peer(timeout=0.3)
        assert c.request("GET", "/plaintext").body == b"Hello, World!"


def test_three_pipelined_requests_in_one_write_are_answered_in_order(port):
    reqs = b"".join(request_bytes("GET", path, [("X-Request-Id", f"pipe-{i}")])
                    for i, path in enumerate(["/plaintext", "/json", "/nope"]))
    with Conn(port) as c:
        c.send(reqs)
        rs = [c.read_response() for _ in range(3)]
        assert [r.header("X-Request-Id") for r in rs] == ["pipe-0", "pipe-1", "pipe-2"]
        assert [r.status for r in rs] == [200, 200, 404]
        assert rs[0].body == b"Hello, World!"
        assert rs[1].body == b'{"message":"Hello, World!"}'
        assert rs[2].body == problem(404, "Not Found", "no route matches this path", "/nope")
        assert not c.closed_by_peer(timeout=0.3)


def test_pipelined_head_then_get(port):
    with Conn(port) as c:
        c.send(request_bytes("HEAD", "/plaintext") + request_bytes("GET", "/json"))
        head = c.read_response(head=True)
        get = c.read_response()
    assert head.status == 200 and head.header("Content-Length") == "13"
    assert get.body == b'{"message":"Hello, World!"}'


def test_request_split_into_single_bytes_parses_like_the_whole(port):
    data = request_bytes("GET", "/json", [("X-Request-Id", "split-1")])
    with Conn(port) as c:
        for i in range(len(data)):
            c.send(data[i:i + 1])
        r = c.read_response()
    assert r.status == 200 and r.body == b'{"message":"Hello, World!"}'
    assert r.header("X-Request-Id") == "split-1"


def test_connection_close_is_honoured(port):
    with Conn(port) as c:
        r = c.request("GET", "/plaintext", [("Connection", "close")])
        assert r.status == 200 and r.body == b"Hello, World!"
        assert r.header("Connection") == "close"
        assert c.closed_by_peer(), "server kept the connection open after Connection: close"


def test_http10_closes_after_the_response(port):
    with Conn(port) as c:
        c.send(b"GET /plaintext HTTP/1.0\r\n\r\n")
        r = c.read_response()
        assert r.status == 200 and r.body == b"Hello, World!"
        assert r.header("Content-Length") == "13"
        assert r.header("Connection") == "close"
        assert c.closed_by_peer(), "HTTP/1.0 connection left open without keep-alive"


def test_http10_keep_alive_keeps_the_connection(port):
    with Conn(port) as c:
        c.send(b"GET /plaintext HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        r = c.read_response()
        assert r.status == 200 and r.body == b"Hello, World!"
        assert r.header("Connection").lower() == "keep-alive"
        c.send(b"GET /json HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        assert c.read_response().body == b'{"message":"Hello, World!"}'
        c.send(b"GET /json HTTP/1.0\r\n\r\n")
        assert c.read_response().status == 200
        assert c.closed_by_peer()


def test_error_response_keeps_the_connection_usable(port):
    with Conn(port) as c:
        assert c.request("GET", "/nope").status == 404
        assert c.request("POST", "/json").status == 405
        assert c.request("GET", "/plaintext").body == b"Hello, World!"


# ---- always there (http.md §7) -----------------------------------------------------------

def test_health_is_always_there(port):
    r = fetch(port, "GET", "/health")
    assert r.status == 200, str(r)
    assert r.header("Content-Type") == JSON
    assert r.body == b'{"status":"ok"}'


def test_ready_answers_while_serving(port):
    r = fetch(port, "GET", "/ready")
    assert r.status == 200, str(r)
    assert r.header("Content-Type") == JSON
    assert r.body == b'{"status":"ready"}'


# ---- process life: start-up line, threads, SIGTERM, configuration -----------------------

def test_start_up_line_and_sigterm_exit_zero(binaries, server_factory):
    s = server_factory(binaries("hello"))
    assert fetch(s.port, "GET", "/plaintext").status == 200
    err = s.wait_stderr("listening")
    first = err.splitlines()[0]
    assert first.startswith(f"doo: listening on 127.0.0.1:{s.port} (1 thread, "), first
    assert s.stop() == 0
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", s.port), timeout=1).close()


def test_two_threads_serve_and_stop_cleanly(binaries, server_factory):
    s = server_factory(binaries("hello"), threads=2)
    first = s.wait_stderr("listening").splitlines()[0]
    assert f"127.0.0.1:{s.port} (2 threads, " in first, first
    for i in range(12):  # fresh connections, spread over both listeners
        r = fetch(s.port, "GET", "/json" if i % 2 else "/plaintext")
        assert r.status == 200, str(r)
    with Conn(s.port) as c:
        c.send(request_bytes("GET", "/plaintext") * 3)
        assert [c.read_response().body for _ in range(3)] == [b"Hello, World!"] * 3
    assert s.stop() == 0


def test_sigterm_with_an_idle_keep_alive_connection_still_exits_zero(binaries, server_factory):
    s = server_factory(binaries("hello"))
    with Conn(s.port) as c:
        assert c.request("GET", "/plaintext").status == 200
        t0 = time.monotonic()
        assert s.stop() == 0
        assert time.monotonic() - t0 < 11, "idle connection held the drain past its deadline"


def run_binary_expecting_failure(binary: Path, env: dict[str, str],
                                 cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a server that must refuse to start; fails if it is still running after 2 s."""
    full = {k: v for k, v in os.environ.items() if k not in ("PORT", "DOO_ADDR", "DOO_THREADS")}
    full.update(env)
    proc = subprocess.Popen([str(binary)], env=full, cwd=cwd, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = proc.communicate(timeout=2)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"{binary.name} with {env} kept running instead of refusing to start\n{err}")
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@pytest.mark.parametrize("env, named", [
    ({"DOO_THREADS": "abc"}, "DOO_THREADS"),
    ({"DOO_THREADS": "0"}, "DOO_THREADS"),
    ({"DOO_ADDR": "nonsense"}, "DOO_ADDR"),
    ({"DOO_ADDR": "127.0.0.1:99999"}, "DOO_ADDR"),
    ({"PORT": "eighty"}, "PORT"),
])
def test_bad_configuration_stops_start_up_with_one_line(binaries, tmp_path, env, named):
    p = run_binary_expecting_failure(binaries("hello"), env, tmp_path)
    assert p.returncode == 1, p
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, p.stderr
    assert named in lines[0], lines[0]


def test_port_in_use_stops_start_up_with_one_line(binaries, tmp_path):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        busy = holder.getsockname()[1]
        p = run_binary_expecting_failure(binaries("hello"), {"DOO_ADDR": f"127.0.0.1:{busy}",
                                                             "DOO_THREADS": "1"}, tmp_path)
    assert p.returncode == 1, p
    assert p.stderr.strip().splitlines() == [
        f"doo: cannot listen on 127.0.0.1:{busy}: Address already in use"]


def test_second_instance_on_the_same_port_refuses_to_start(binaries, server_factory, tmp_path):
    """reliability.md §6: port in use → a one-line message and a non-zero exit. A second doo
    server must not silently share the port with the first (SO_REUSEPORT between two
    unrelated processes would split the traffic between two programs)."""
    first = server_factory(binaries("hello"))
    p = run_binary_expecting_failure(binaries("hello"), {"DOO_ADDR": f"127.0.0.1:{first.port}",
                                                         "DOO_THREADS": "1"}, tmp_path)
    assert p.returncode == 1, p
    assert "Address already in use" in p.stderr, p.stderr
