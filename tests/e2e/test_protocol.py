"""Strict HTTP/1.1 framing and limits of the compiled server (reliability.md §1–2).

Runs examples/handlers (it has GET and POST routes). Each framing error is answered with a
problem+json body and `Connection: close`, and the server then closes; limits use their
defaults, except the timeouts, which are shortened to 1 s through the environment.
"""

from __future__ import annotations

import json
import os
import subprocess
import time

import pytest
from servers import Server, free_port, start_server
from wire import Conn, fetch, request_bytes

PROBLEM = "application/problem+json"
VALID = b'{"email":"a@b.co","password":"secret123","name":"Ada","age":36}'
SIGNUP = "POST /signup HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"


@pytest.fixture(scope="module")
def handlers(binaries, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("protocol")
    s = start_server(binaries("handlers"), workdir,
                     env={"DOO_HEADER_TIMEOUT": "1", "DOO_BODY_TIMEOUT": "1"})
    yield s
    assert s.alive(), f"server died during the tests\n{s.stderr()}"
    assert s.stop() == 0


@pytest.fixture(scope="module")
def port(handlers: Server) -> int:
    return handlers.port


def answer_and_close(port: int, data: bytes, status: int, detail: str | None = None):
    """Send raw bytes; expect one problem response with Connection: close, then EOF."""
    with Conn(port) as c:
        c.send(data)
        r = c.read_response()
        assert r.status == status, str(r)
        assert r.header("Content-Type") == PROBLEM, str(r)
        assert r.header("Connection") == "close", str(r)
        assert r.header("Server") == "doo" and r.header("Date") is not None
        v = json.loads(r.body)
        assert (v["type"], v["status"]) == ("about:blank", status), v
        if detail is not None:
            assert v["detail"] == detail, v
        assert c.closed_by_peer(), "connection left open after a framing error"
    return r


FRAMING_ERRORS = [
    ("missing Host", b"GET /hello/x HTTP/1.1\r\n\r\n", 400, "missing Host"),
    ("repeated Host", b"GET /hello/x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400,
     "repeated Host"),
    ("two Content-Lengths",
     (SIGNUP + "Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}").encode(), 400,
     "conflicting Content-Length"),
    ("Content-Length beside Transfer-Encoding",
     (SIGNUP + "Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}").encode(), 400,
     "Content-Length with Transfer-Encoding"),
    ("signed Content-Length", (SIGNUP + "Content-Length: +2\r\n\r\n{}").encode(), 400,
     "malformed Content-Length"),
    ("negative Content-Length", (SIGNUP + "Content-Length: -1\r\n\r\n").encode(), 400,
     "malformed Content-Length"),
    ("Content-Length list", (SIGNUP + "Content-Length: 2, 2\r\n\r\n{}").encode(), 400,
     "malformed Content-Length"),
    ("overflowing Content-Length",
     (SIGNUP + "Content-Length: 99999999999999999999999\r\n\r\n{}").encode(), 400,
     "malformed Content-Length"),
    ("Transfer-Encoding not ending in chunked",
     (SIGNUP + "Transfer-Encoding: gzip\r\n\r\n{}").encode(), 400,
     "Transfer-Encoding does not end in chunked"),
    ("unknown transfer coding",
     (SIGNUP + "Transfer-Encoding: gzip, chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n").encode(), 501,
     "unsupported transfer coding"),
    ("signed chunk size",
     (SIGNUP + "Transfer-Encoding: chunked\r\n\r\n+2\r\n{}\r\n0\r\n\r\n").encode(), 400,
     "malformed chunked body"),
    ("0x chunk size",
     (SIGNUP + "Transfer-Encoding: chunked\r\n\r\n0x2\r\n{}\r\n0\r\n\r\n").encode(), 400,
     "malformed chunked body"),
    ("17-digit chunk size",
     (SIGNUP + "Transfer-Encoding: chunked\r\n\r\n" + "0" * 16 + "2\r\n{}\r\n0\r\n\r\n").encode(),
     400, "malformed chunked body"),
    ("chunk line ending in bare LF",
     (SIGNUP + "Transfer-Encoding: chunked\r\n\r\n2\n{}\r\n0\r\n\r\n").encode(), 400,
     "malformed chunked body"),
    ("chunk extension over 4 KiB",
     (SIGNUP + "Transfer-Encoding: chunked\r\n\r\n2;" + "a" * 5000 + "\r\n{}\r\n0\r\n\r\n").encode(),
     400, None),
    ("HTTP/2.0", b"GET /hello/x HTTP/2.0\r\nHost: a\r\n\r\n", 505, None),
    ("HTTP/1.2", b"GET /hello/x HTTP/1.2\r\nHost: a\r\n\r\n", 505, None),
    ("lower-case version", b"GET /hello/x http/1.1\r\nHost: a\r\n\r\n", 400, None),
    ("whitespace before colon", b"GET /hello/x HTTP/1.1\r\nHost: a\r\nFoo : b\r\n\r\n", 400,
     None),
    ("obs-fold", b"GET /hello/x HTTP/1.1\r\nHost: a\r\nFoo: b\r\n c\r\n\r\n", 400, None),
    ("NUL in a header value", b"GET /hello/x HTTP/1.1\r\nHost: a\r\nFoo: a\x00b\r\n\r\n", 400,
     None),
    ("bare CR in a header value",
     b"GET /hello/x HTTP/1.1\r\nHost: a\r\nX-Request-Id: a\rSet-Cookie: x\r\n\r\n", 400, None),
    ("bare LF line endings", b"GET /hello/x HTTP/1.1\nHost: a\n\n", 400, None),
    ("garbage request line", b"HELLO\r\n\r\n", 400, None),
]


@pytest.mark.parametrize("data, status, detail", [f[1:] for f in FRAMING_ERRORS],
                         ids=[f[0] for f in FRAMING_ERRORS])
def test_framing_error_is_answered_and_closed(port, data, status, detail):
    answer_and_close(port, data, status, detail)


def test_same_content_length_twice_is_accepted(port):
    r = fetch(port, "POST", "/signup", [("Content-Type", "application/json"),
                                        ("Content-Length", str(len(VALID))),
                                        ("Content-Length", str(len(VALID)))], VALID)
    assert r.status == 201, str(r)


def test_8000_octet_request_line_works(port):
    name = "a" * (8000 - len("GET /hello/ HTTP/1.1"))
    data = f"GET /hello/{name} HTTP/1.1\r\nHost: a\r\n\r\n".encode()
    assert data.index(b"\r\n") == 8000
    with Conn(port) as c:
        c.send(data)
        r = c.read_response()
    assert r.status == 200 and r.body == f"Hello, {name}!".encode()


def test_request_line_over_8_kib_is_414(port):
    answer_and_close(port, b"GET /hello/" + b"a" * 9000 + b" HTTP/1.1\r\nHost: a\r\n\r\n", 414)


def test_header_line_over_8_kib_is_431(port):
    answer_and_close(port, b"GET /hello/x HTTP/1.1\r\nHost: a\r\nX-Big: " + b"a" * 9000
                     + b"\r\n\r\n", 431)


def test_headers_over_16_kib_in_total_is_431(port):
    hs = b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 6000) for i in range(3))
    answer_and_close(port, b"GET /hello/x HTTP/1.1\r\nHost: a\r\n" + hs + b"\r\n", 431)


def test_100_header_fields_work_and_101_are_431(port):
    hs = b"".join(b"X-H%d: v\r\n" % i for i in range(99))
    with Conn(port) as c:
        c.send(b"GET /hello/x HTTP/1.1\r\nHost: a\r\n" + hs + b"\r\n")
        assert c.read_response().status == 200
    answer_and_close(port, b"GET /hello/x HTTP/1.1\r\nHost: a\r\n" + hs + b"X-More: v\r\n"
                     + b"X-Last: v\r\n\r\n", 431)


def test_body_over_1_mib_is_413_before_it_is_sent(port):
    answer_and_close(port, (SIGNUP + "Content-Length: 2000000\r\n\r\n").encode(), 413,
                     "body too large")


def test_chunked_body_over_1_mib_is_413(port):
    answer_and_close(port, (SIGNUP + "Transfer-Encoding: chunked\r\n\r\n200000\r\n").encode(),
                     413)


def test_expect_100_continue_over_the_limit_is_413_without_100(port):
    r = answer_and_close(port, (SIGNUP + "Expect: 100-continue\r\nContent-Length: 2000000\r\n\r\n")
                         .encode(), 413)
    assert r.status != 100


def test_expect_100_continue_gets_100_then_the_response(port):
    with Conn(port) as c:
        c.send((SIGNUP + f"Expect: 100-continue\r\nContent-Length: {len(VALID)}\r\n\r\n").encode())
        interim = c.read_response()
        assert (interim.status, interim.reason) == (100, "Continue")
        c.send(VALID)
        r = c.read_response()
    assert r.status == 201, str(r)


def test_chunk_extension_is_ignored(port):
    data = (SIGNUP + "Transfer-Encoding: chunked\r\n\r\n").encode() + \
        b"%x;ext=1\r\n%s\r\n0\r\n\r\n" % (len(VALID), VALID)
    with Conn(port) as c:
        c.send(data)
        assert c.read_response().status == 201


def test_unknown_method_is_501_and_connection_stays(port):
    with Conn(port) as c:
        c.send(b"BREW /hello/x HTTP/1.1\r\nHost: a\r\n\r\n")
        assert c.read_response().status == 501
        assert c.request("GET", "/hello/x").body == b"Hello, x!"


def test_header_deadline_is_408_and_close(port):
    with Conn(port) as c:
        t0 = time.monotonic()
        c.send(b"GET /hello/x HTTP/1.1\r\nHost: a\r\n")
        for _ in range(3):  # trickling bytes does not extend the whole-header deadline
            c.send(b"X-Slow: 1\r\n")
            time.sleep(0.3)
        r = c.read_response()
        elapsed = time.monotonic() - t0
        assert r.status == 408 and r.header("Connection") == "close", str(r)
        assert 0.9 <= elapsed < 3, elapsed
        assert c.closed_by_peer()


def test_body_idle_deadline_is_408_and_close(port):
    with Conn(port) as c:
        c.send((SIGNUP + "Content-Length: 10\r\n\r\n{").encode())
        r = c.read_response()
        assert r.status == 408 and r.header("Connection") == "close", str(r)
        assert c.closed_by_peer()


def test_idle_keep_alive_connection_is_closed(binaries, server_factory):
    s = server_factory(binaries("handlers"), env={"DOO_KEEPALIVE_TIMEOUT": "1"})
    with Conn(s.port) as c:
        assert c.request("GET", "/hello/x").status == 200
        t0 = time.monotonic()
        assert c.closed_by_peer(timeout=3), "idle keep-alive connection was not closed"
        assert 0.9 <= time.monotonic() - t0 < 3


def test_last_request_on_a_connection_says_close(binaries, server_factory):
    s = server_factory(binaries("handlers"), env={"DOO_MAX_REQUESTS_PER_CONN": "3"})
    with Conn(s.port) as c:
        c.send(request_bytes("GET", "/hello/x") * 4)
        rs = [c.read_response() for _ in range(3)]
        assert [r.header("Connection") for r in rs] == [None, None, "close"]
        assert c.closed_by_peer()


def test_bad_limit_value_stops_start_up(binaries, tmp_path):
    env = dict(os.environ, DOO_ADDR=f"127.0.0.1:{free_port()}", DOO_THREADS="1",
               DOO_MAX_BODY="lots")
    p = subprocess.run([str(binaries("handlers"))], env=env, capture_output=True, text=True,
                       timeout=5, cwd=tmp_path, check=False)
    assert p.returncode == 1
    assert p.stderr.strip().splitlines() == [
        'doo: invalid DOO_MAX_BODY "lots" (expected a plain decimal number in range)']


H11_REQUESTS = [
    ("GET", "/hello/h11", [], b""),
    ("HEAD", "/stats?count=4", [], b""),
    ("DELETE", "/items/3", [], b""),
    ("POST", "/signup", [("Content-Type", "application/json")], VALID),
    ("POST", "/signup", [("Content-Type", "application/json")], b"{}"),
    ("GET", "/panic", [], b""),
    ("PUT", "/hello/x", [], b""),
]


def test_responses_parse_with_h11_as_a_second_opinion(port):
    """h11 (a strict reference implementation) reads every kind of response on one
    keep-alive connection without a protocol error."""
    h11 = pytest.importorskip("h11")
    client = h11.Connection(h11.CLIENT)
    statuses = []
    with Conn(port) as c:
        for method, target, headers, body in H11_REQUESTS:
            hs = [("Host", "test")] + headers
            if body:
                hs.append(("Content-Length", str(len(body))))
            data = client.send(h11.Request(method=method, target=target, headers=hs))
            if body:
                data += client.send(h11.Data(data=body))
            data += client.send(h11.EndOfMessage())
            c.send(data)
            got_body = b""
            while True:
                event = client.next_event()
                if event is h11.NEED_DATA:
                    c.sock.settimeout(5)
                    client.receive_data(c.sock.recv(65536))
                    continue
                if isinstance(event, h11.Response):
                    statuses.append(event.status_code)
                    names = {n.lower() for n, _ in event.headers}
                    assert {b"server", b"date", b"x-request-id"} <= names, event.headers
                elif isinstance(event, h11.Data):
                    got_body += event.data
                elif isinstance(event, h11.EndOfMessage):
                    break
            if method == "HEAD":
                assert got_body == b""
            client.start_next_cycle()
    assert statuses == [200, 200, 204, 201, 422, 500, 405]
