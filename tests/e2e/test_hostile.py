"""Hostile input on the wire, one rule of reliability.md §1–§2 per case (examples/handlers).

Every case sends raw bytes followed at once by a second, valid request on the same socket
(`GET /hello/next`), then asserts the exact status of the first answer and whether the server
closed the connection. Where the connection stays open, the second answer must be exactly
"Hello, next!": if the server had misjudged where the first request ended (request smuggling,
desync), the second answer would be wrong or missing. Where it closes, nothing may follow.

Also here: every valid request split at every byte boundary (sampled for long ones) must be
answered exactly like the whole request, invalid ones split at sampled boundaries must be
refused the same way, and a differential check against h11 on the same corpus, with the
deliberate divergences listed in H11_DIVERGENCES.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

import pytest
from servers import Server, start_server
from wire import Conn, Response

FOLLOW = b"GET /hello/next HTTP/1.1\r\nHost: a\r\n\r\n"
FOLLOW_BODY = b"Hello, next!"
SIGNUP_BODY = b'{"email":"a@b.co","password":"secret123","name":"Ada","age":36}'
JSON = b"Content-Type: application/json\r\n"


def req(head: str, *headers: str, body: bytes = b"", version: str = "HTTP/1.1",
        host: bool = True) -> bytes:
    """`head` is "METHOD target"; headers are raw lines without CRLF."""
    lines = [f"{head} {version}"] + (["Host: a"] if host else []) + list(headers)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def signup(*headers: str, body: bytes = SIGNUP_BODY) -> bytes:
    """POST /signup with a JSON body; Content-Length is added unless a framing header is given."""
    framed = any(h.lower().startswith(("content-length:", "transfer-encoding:")) for h in headers)
    extra = () if framed else (f"Content-Length: {len(body)}",)
    return req("POST /signup", "Content-Type: application/json", *headers, *extra, body=body)


def chunked(body: bytes) -> bytes:
    return signup("Transfer-Encoding: chunked", body=body)


@dataclass(frozen=True)
class Case:
    id: str
    raw: bytes
    status: int
    closes: bool
    rule: str  # the reliability.md row it proves


BIG = 8192
OVERHEAD = b"1\r\na\r\n" * 21000  # 126 KB of chunks, 5 framing bytes per data byte

CASES = [
    # §1 limits
    Case("request line of 8000 octets works",
         req("GET /hello/" + "a" * (8000 - len("GET /hello/ HTTP/1.1"))), 200, False,
         "§1 request line"),
    Case("request line over 8 KiB", req("GET /hello/" + "a" * BIG), 414, True,
         "§1 request line"),
    Case("header line over 8 KiB", req("GET /hello/x", "X: " + "v" * BIG), 431, True,
         "§1 header line"),
    Case("headers over 16 KiB", req("GET /hello/x", *(["X: " + "v" * 6000] * 3)), 431, True,
         "§1 all headers"),
    Case("100 header fields work", req("GET /hello/x", *(["X: y"] * 99)), 200, False,
         "§1 header count"),
    Case("101 header fields", req("GET /hello/x", *(["X: y"] * 100)), 431, True,
         "§1 header count"),
    Case("body over 1 MiB refused before it is sent",
         signup(f"Content-Length: {(1 << 20) + 1}", body=b""), 413, True, "§1 body"),
    Case("body over 1 MiB with Expect: 100-continue",
         signup(f"Content-Length: {(1 << 20) + 1}", "Expect: 100-continue", body=b""), 413,
         True, "§1 body"),
    Case("chunked body over 1 MiB",
         chunked(b"100001\r\n" + b"a" * 0x100001 + b"\r\n0\r\n\r\n"), 413, True, "§1 body"),
    Case("chunk extension of 4 KiB works",
         chunked(b"%x;" % len(SIGNUP_BODY) + b"e" * 4093 + b"\r\n" + SIGNUP_BODY
                 + b"\r\n0\r\n\r\n"), 201, False, "§1 chunk extension"),
    Case("chunk extension over 4 KiB",
         chunked(b"2;" + b"e" * 4096 + b"\r\n{}\r\n0\r\n\r\n"), 400, True, "§1 chunk extension"),
    Case("chunk framing overhead over 80 % past 100 KiB", chunked(OVERHEAD + b"0\r\n\r\n"), 400,
         True, "§1 chunk framing overhead"),
    Case("JSON nested 64 deep is read", signup(body=b'{"email":"a@b.co","password":"secret123",'
                                              b'"x":' + b"[" * 63 + b"]" * 63 + b"}"),
         422, False, "§1 JSON nesting depth"),
    Case("JSON nested 65 deep", signup(body=b'{"x":' + b"[" * 64 + b"]" * 64 + b"}"), 400,
         False, "§1 JSON nesting depth"),
    # §2 Content-Length
    Case("signed Content-Length", signup("Content-Length: +2", body=b"{}"), 400, True,
         "§2 Content-Length digits"),
    Case("negative Content-Length", signup("Content-Length: -2", body=b"{}"), 400, True,
         "§2 Content-Length digits"),
    Case("Content-Length with inner space", signup("Content-Length: 1 2", body=b"{}"), 400,
         True, "§2 Content-Length digits"),
    Case("hex Content-Length", signup("Content-Length: 0x2", body=b"{}"), 400, True,
         "§2 Content-Length digits"),
    Case("empty Content-Length", signup("Content-Length: ", body=b"{}"), 400, True,
         "§2 Content-Length digits"),
    Case("Content-Length list", signup("Content-Length: 2, 2", body=b"{}"), 400, True,
         "§2 Content-Length list"),
    Case("overflowing Content-Length", signup("Content-Length: 184467440737095516160",
                                              body=b"{}"), 400, True,
         "§2 Content-Length overflow"),
    Case("two different Content-Lengths",
         signup("Content-Length: 2", "Content-Length: 3", body=b"{}"), 400, True,
         "§2 two Content-Length values"),
    Case("the same Content-Length twice",
         signup(f"Content-Length: {len(SIGNUP_BODY)}", f"Content-Length: {len(SIGNUP_BODY)}"),
         201, False, "§2 two Content-Length values"),
    Case("Content-Length beside Transfer-Encoding",
         signup("Content-Length: 7", "Transfer-Encoding: chunked", body=b"2\r\n{}\r\n0\r\n\r\n"),
         400, True, "§2 Content-Length beside Transfer-Encoding"),
    # §2 Transfer-Encoding and chunks
    Case("Transfer-Encoding gzip", signup("Transfer-Encoding: gzip", body=b"{}"), 400, True,
         "§2 TE must end in chunked"),
    Case("Transfer-Encoding chunked, gzip",
         signup("Transfer-Encoding: chunked, gzip", body=b"{}"), 400, True,
         "§2 TE must end in chunked"),
    Case("Transfer-Encoding chunked twice",
         signup("Transfer-Encoding: chunked, chunked", body=b"2\r\n{}\r\n0\r\n\r\n"), 400, True,
         "§2 TE must end in chunked"),
    Case("Transfer-Encoding with an empty element",
         signup("Transfer-Encoding: ,chunked", body=b"2\r\n{}\r\n0\r\n\r\n"), 400, True,
         "§2 TE must end in chunked"),
    Case("Transfer-Encoding in HTTP/1.0",
         req("POST /signup", "Transfer-Encoding: chunked", body=b"2\r\n{}\r\n0\r\n\r\n",
             version="HTTP/1.0"), 400, True, "§2 TE must end in chunked"),
    Case("unknown transfer coding", signup("Transfer-Encoding: gzip, chunked",
                                           body=b"2\r\n{}\r\n0\r\n\r\n"), 501, True,
         "§2 unknown coding 501"),
    Case("chunked body with extensions and trailers",
         chunked(b"%x;a=b;c\r\n" % len(SIGNUP_BODY) + SIGNUP_BODY
                 + b"\r\n0\r\nX-Trailer: t\r\n\r\n"), 201, False, "§2 chunked"),
    Case("upper-case hex chunk size",
         chunked(b"%X\r\n" % len(SIGNUP_BODY) + SIGNUP_BODY + b"\r\n0\r\n\r\n"), 201, False,
         "§2 chunk size hex"),
    Case("signed chunk size", chunked(b"+2\r\n{}\r\n0\r\n\r\n"), 400, True, "§2 chunk size hex"),
    Case("0x chunk size", chunked(b"0x2\r\n{}\r\n0\r\n\r\n"), 400, True, "§2 chunk size hex"),
    Case("negative chunk size", chunked(b"-2\r\n{}\r\n0\r\n\r\n"), 400, True,
         "§2 chunk size hex"),
    Case("16-digit chunk size works", chunked(b"%016x\r\n" % len(SIGNUP_BODY) + SIGNUP_BODY
                                              + b"\r\n0\r\n\r\n"), 201, False,
         "§2 chunk size ≤ 16 digits"),
    Case("17-digit chunk size", chunked(b"00000000000000002\r\n{}\r\n0\r\n\r\n"), 400, True,
         "§2 chunk size ≤ 16 digits"),
    Case("chunk size line ending in bare LF", chunked(b"2\n{}\r\n0\r\n\r\n"), 400, True,
         "§2 chunk lines end in CRLF"),
    Case("chunk data not followed by CRLF", chunked(b"2\r\n{}XX0\r\n\r\n"), 400, True,
         "§2 chunk lines end in CRLF"),
    Case("last chunk without its final CRLF", chunked(b"2\r\n{}\r\n0\r\n\n"), 400, True,
         "§2 chunk lines end in CRLF"),
    Case("missing chunk size", chunked(b"\r\n{}\r\n0\r\n\r\n"), 400, True,
         "§2 chunk size hex"),
    # §2 Host
    Case("missing Host in HTTP/1.1", req("GET /hello/x", host=False), 400, True, "§2 Host"),
    Case("missing Host in HTTP/1.0 is fine",
         req("GET /hello/x", "Connection: keep-alive", version="HTTP/1.0", host=False), 200,
         False, "§2 Host"),
    Case("repeated Host", req("GET /hello/x", "Host: b"), 400, True, "§2 Host"),
    Case("Host with a space", req("GET /hello/x", "Host: a b", host=False), 400, True,
         "§2 Host"),
    Case("Host with userinfo", req("GET /hello/x", "Host: u@a", host=False), 400, True,
         "§2 Host"),
    Case("Host with a bad port", req("GET /hello/x", "Host: a:80x", host=False), 400, True,
         "§2 Host"),
    Case("Host with an unclosed IPv6 literal", req("GET /hello/x", "Host: [::1", host=False),
         400, True, "§2 Host"),
    Case("Host IPv6 literal with port", req("GET /hello/x", "Host: [::1]:8080", host=False),
         200, False, "§2 Host"),
    # §2 header syntax
    Case("whitespace before the colon", req("GET /hello/x", "Foo : b"), 400, True,
         "§2 whitespace before colon"),
    Case("tab before the colon", req("GET /hello/x", "Foo\t: b"), 400, True,
         "§2 whitespace before colon"),
    Case("obs-fold", req("GET /hello/x", "Foo: b", " c"), 400, True, "§2 obs-fold"),
    Case("obs-fold with a tab", req("GET /hello/x", "Foo: b", "\tc"), 400, True, "§2 obs-fold"),
    Case("bare CR in a header value", req("GET /hello/x", "Foo: a\rb"), 400, True,
         "§2 bare CR"),
    Case("bare CR in the request line", b"GET /hello/x\r HTTP/1.1\r\nHost: a\r\n\r\n", 400,
         True, "§2 bare CR"),
    Case("NUL in a header value", req("GET /hello/x", "Foo: a\x00b"), 400, True, "§2 NUL"),
    Case("NUL in a header name", req("GET /hello/x", "Fo\x00o: b"), 400, True, "§2 NUL"),
    Case("control byte in a header value", req("GET /hello/x", "Foo: a\x01b"), 400, True,
         "§2 control bytes"),
    Case("DEL in a header value", req("GET /hello/x", "Foo: a\x7fb"), 400, True,
         "§2 control bytes"),
    Case("space inside a header name", req("GET /hello/x", "Foo Bar: b"), 400, True,
         "§2 control bytes"),
    Case("empty header name", req("GET /hello/x", ": b"), 400, True, "§2 control bytes"),
    Case("header line without a colon", req("GET /hello/x", "Foo"), 400, True,
         "§2 control bytes"),
    Case("tab and obs-text in a value are fine", req("GET /hello/x", "Foo: a\tb\xe9"), 200,
         False, "§2 control bytes"),
    Case("bare LF line endings", b"GET /hello/x HTTP/1.1\nHost: a\n\n", 400, True,
         "§2 bare LF (rule: reject, never repair)"),
    Case("bare LF after the headers", b"GET /hello/x HTTP/1.1\r\nHost: a\r\n\n", 400, True,
         "§2 bare LF (rule: reject, never repair)"),
    # §2 version and request line
    Case("HTTP/2.0", req("GET /hello/x", version="HTTP/2.0"), 505, True, "§2 version"),
    Case("HTTP/1.2", req("GET /hello/x", version="HTTP/1.2"), 505, True, "§2 version"),
    Case("HTTP/0.9 style", req("GET /hello/x", version="HTTP/0.9"), 505, True, "§2 version"),
    Case("lower-case version", req("GET /hello/x", version="http/1.1"), 400, True,
         "§2 version"),
    Case("version with three digits", req("GET /hello/x", version="HTTP/1.10"), 400, True,
         "§2 version"),
    Case("request line without a version", b"GET /hello/x\r\nHost: a\r\n\r\n", 400, True,
         "§2 version"),
    Case("two spaces after the method", b"GET  /hello/x HTTP/1.1\r\nHost: a\r\n\r\n", 400,
         True, "§2 request line"),
    Case("trailing space after the version", b"GET /hello/x HTTP/1.1 \r\nHost: a\r\n\r\n",
         400, True, "§2 request line"),
    Case("leading empty line", b"\r\nGET /hello/x HTTP/1.1\r\nHost: a\r\n\r\n", 400, True,
         "§2 request line"),
    Case("fragment in the target", req("GET /hello/x#y"), 400, True, "§2 request line"),
    Case("raw non-ASCII in the target", req("GET /hello/\xe9"), 400, True, "§2 request line"),
    Case("unknown method is 501 and keeps the connection", req("BREW /hello/x"), 501, False,
         "§2 request line"),
    Case("absolute-form target", req("GET http://a/hello/abs"), 200, False,
         "§2 absolute-form"),
    Case("absolute-form without a path", req("GET http://a"), 404, False, "§2 absolute-form"),
    Case("authority-form target", req("GET a:80"), 400, True, "§2 absolute-form"),
    Case("asterisk-form for GET", req("GET *"), 400, True, "§2 absolute-form"),
    # §2 Expect and Connection
    Case("unknown expectation", req("GET /hello/x", "Expect: teapot"), 417, True,
         "§2 Expect"),
    Case("Connection: close", req("GET /hello/x", "Connection: close"), 200, True,
         "§2 Connection"),
    Case("Connection list with close", req("GET /hello/x", "Connection: keep-alive, Close"),
         200, True, "§2 Connection"),
    Case("HTTP/1.0 closes by default", req("GET /hello/x", version="HTTP/1.0"), 200, True,
         "§2 HTTP/1.0"),
    Case("HTTP/1.0 keep-alive", req("GET /hello/x", "Connection: keep-alive",
                                    version="HTTP/1.0"), 200, False, "§2 HTTP/1.0"),
    # §2 bodies are never requests; pipelining
    Case("a body that looks like a request is only a body",
         signup(body=b"GET /hello/evil HTTP/1.1\r\nHost: a\r\n\r\n"), 400, False,
         "§2 a body is never parsed as a request"),
    Case("a chunked body that looks like a request",
         chunked(b"25\r\nGET /hello/evil HTTP/1.1\r\nHost: a\r\n\r\n\r\n0\r\n\r\n"), 400, False,
         "§2 a body is never parsed as a request"),
    Case("GET with a Content-Length body keeps framing",
         req("GET /hello/x", "Content-Length: 5", body=b"GET /"), 200, False,
         "§2 a body is never parsed as a request"),
    # §2 percent-decoding: refused by the router, so the connection stays usable
    Case("%00 in a path parameter", req("GET /hello/a%00b"), 400, False, "§2 percent-decoding"),
    Case("encoded slash in a path parameter", req("GET /hello/a%2Fb"), 400, False,
         "§2 percent-decoding"),
    Case("bad escape in a path parameter", req("GET /hello/a%zz"), 400, False,
         "§2 percent-decoding"),
    Case("truncated escape in a path parameter", req("GET /hello/a%4"), 400, False,
         "§2 percent-decoding"),
    Case("encoded invalid UTF-8 in a path parameter", req("GET /hello/%ff"), 400, False,
         "§2 percent-decoding"),
    Case("bad escape in a query parameter", req("GET /search?q=%zz"), 400, False,
         "§2 percent-decoding"),
    Case("encoded CRLF in the path is not reflected",
         req("GET /nope%0d%0aSet-Cookie:%20x=1"), 404, False, "§2 nothing reflected raw"),
]


@pytest.fixture(scope="module")
def handlers(binaries, tmp_path_factory) -> Server:
    s = start_server(binaries("handlers"), tmp_path_factory.mktemp("hostile"))
    yield s
    assert s.alive(), f"server died during the tests\n{s.stderr()}"
    assert s.stop() == 0, s.stderr()


@pytest.fixture(scope="module")
def port(handlers: Server) -> int:
    return handlers.port


def check_answer(c: Conn, case: Case) -> Response:
    """Read the answer to case.raw (FOLLOW was sent after it) and check status and framing."""
    r = c.read_response(head=case.raw.startswith(b"HEAD"))
    assert r.status == case.status, f"{case.id}: {r}"
    assert b"Set-Cookie" not in r.head, f"{case.id}: client bytes reflected into the head"
    if case.closes:
        assert r.header("Connection") == "close", f"{case.id}: {r}"
        assert c.closed_by_peer(), f"{case.id}: connection stayed open"
    else:
        assert r.header("Connection") in (None, "keep-alive"), f"{case.id}: {r}"
        nxt = c.read_response()
        assert (nxt.status, nxt.body) == (200, FOLLOW_BODY), \
            f"{case.id}: the request after it was answered wrongly (desync): {nxt}"
    return r


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rule(port: int, case: Case) -> None:
    with Conn(port) as c:
        c.send(case.raw + FOLLOW)
        r = check_answer(c, case)
        if r.status >= 400 and r.header("Content-Type") == "application/problem+json":
            assert json.loads(r.body)["status"] == case.status


def test_100_continue_comes_before_the_answer_and_the_connection_stays(port: int) -> None:
    with Conn(port) as c:
        c.send(signup(f"Content-Length: {len(SIGNUP_BODY)}", "Expect: 100-continue", body=b""))
        interim = c.read_response()
        assert interim.status == 100, str(interim)
        c.send(SIGNUP_BODY + FOLLOW)
        check_answer(c, Case("expect", b"", 201, False, "§2 Expect"))


def test_pipelined_mix_is_answered_in_order(port: int) -> None:
    batch = [req("GET /hello/one"), signup(body=b"{"), req("HEAD /hello/two"),
             req("BREW /x"), req("GET /hello/a%2Fb"), signup(), req("GET /hello/three")]
    with Conn(port) as c:
        c.send(b"".join(batch))
        got = [c.read_response(head=b.startswith(b"HEAD")) for b in batch]
    assert [r.status for r in got] == [200, 400, 200, 501, 400, 201, 200]
    assert [got[0].body, got[2].body, got[6].body] == [b"Hello, one!", b"", b"Hello, three!"]


# ---- every byte boundary ----

VALID = [c for c in CASES if not c.closes and len(c.raw) < 2000]
SPLIT_SAMPLE = 400  # boundaries per request at most (all of them for shorter requests)


def boundaries(n: int, cap: int) -> list[int]:
    if n - 1 <= cap:
        return list(range(1, n))
    step = (n - 1) / cap
    return sorted({1 + int(i * step) for i in range(cap)} | {n - 1})


def normal(r: Response) -> tuple[int, bytes, str | None]:
    return r.status, r.body, r.header("Content-Type")


@pytest.mark.parametrize("case", VALID, ids=[c.id for c in VALID])
def test_valid_request_split_at_every_byte_boundary(port: int, case: Case) -> None:
    with Conn(port) as c:
        c.send(case.raw)
        whole = normal(c.read_response())
        for k in boundaries(len(case.raw), SPLIT_SAMPLE):
            c.send(case.raw[:k])
            time.sleep(0.0005)  # let the server read the first part on its own
            c.send(case.raw[k:])
            assert normal(c.read_response()) == whole, f"{case.id}: split at {k}"


INVALID = [c for c in CASES if c.closes and c.status != 200 and len(c.raw) < 20000]


@pytest.mark.parametrize("case", INVALID, ids=[c.id for c in INVALID])
def test_invalid_request_split_is_refused_the_same_way(port: int, case: Case) -> None:
    for k in boundaries(len(case.raw), 6):
        with Conn(port) as c:
            c.send(case.raw[:k])
            time.sleep(0.002)
            try:
                c.send(case.raw[k:])
            except (BrokenPipeError, ConnectionResetError):
                pass  # refused on the first part already: the answer is waiting
            r = c.read_response()
            assert (r.status, r.header("Connection")) == (case.status, "close"), \
                f"{case.id}: split at {k}: {r}"


# ---- h11 as a second opinion ----

# Where Doo and h11 deliberately judge a request differently, and why. Everything else must
# agree: both accept, or both refuse.
H11_DIVERGENCES = {
    # Limits are ours (reliability.md §1); h11 only bounds an incomplete head at 16 KiB.
    "request line over 8 KiB": "our 8 KiB request-line limit (414)",
    "header line over 8 KiB": "our 8 KiB header-line limit (431)",
    "headers over 16 KiB": "our 16 KiB limit on all header lines (431)",
    "101 header fields": "our 100-field limit (431)",
    "body over 1 MiB refused before it is sent": "our 1 MiB body limit (413)",
    "body over 1 MiB with Expect: 100-continue": "our 1 MiB body limit (413)",
    "chunked body over 1 MiB": "our 1 MiB body limit (413)",
    "chunk extension over 4 KiB": "our 4 KiB chunk-extension limit",
    "chunk framing overhead over 80 % past 100 KiB": "our chunk-overhead guard",
    # reliability.md §2: where RFC 9112 allows "reject or repair", we reject; h11 repairs.
    "obs-fold": "h11 unfolds obs-fold; we refuse it (§2)",
    "obs-fold with a tab": "h11 unfolds obs-fold; we refuse it (§2)",
    "bare LF line endings": "h11 accepts bare LF as a line end; we refuse it (§2)",
    "bare LF after the headers": "h11 accepts bare LF as a line end; we refuse it (§2)",
    "last chunk without its final CRLF": "h11 accepts bare LF in chunk lines; we refuse it",
    "Content-Length list": "h11 collapses a list of equal values (RFC 9110 §8.6 allows it); "
                           "§2 refuses lists",
    "Content-Length beside Transfer-Encoding": "h11 lets Transfer-Encoding win (RFC 9112 §6.3 "
                                               "allows it); §2 refuses the pair (smuggling)",
    "control byte in a header value": "h11 accepts control bytes other than CR, LF and NUL "
                                      "in values; §2 refuses them",
    "DEL in a header value": "h11 accepts DEL in values; §2 refuses control bytes",
    "Host with a space": "h11 does not check the Host syntax; we do (§2)",
    "Host with userinfo": "h11 does not check the Host syntax; we do (§2)",
    "Host with a bad port": "h11 does not check the Host syntax; we do (§2)",
    "Host with an unclosed IPv6 literal": "h11 does not check the Host syntax; we do (§2)",
    "17-digit chunk size": "h11 allows 20 hex digits; §2 allows 16",
    "HTTP/2.0": "h11 parses any HTTP/x.y; we answer 505 (§2)",
    "HTTP/1.2": "h11 parses any HTTP/x.y; we answer 505 (§2)",
    "HTTP/0.9 style": "h11 parses any HTTP/x.y; we answer 505 (§2)",
    "Transfer-Encoding in HTTP/1.0": "h11 honours it; RFC 9112 §6.1 says treat it as faulty",
    "fragment in the target": "h11 accepts any visible byte in the target; a fragment is "
                              "never sent, so we refuse it",
    "authority-form target": "h11 does not check the target form; we accept only origin, "
                             "absolute and OPTIONS *",
    "asterisk-form for GET": "h11 does not check the target form; '*' is OPTIONS only",
    "unknown expectation": "h11 ignores Expect; we answer 417",
}


def h11_refuses(raw: bytes) -> bool:
    """True when h11's server side raises a protocol error on these bytes."""
    h11 = pytest.importorskip("h11")
    conn = h11.Connection(h11.SERVER)
    try:
        conn.receive_data(raw)
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA or isinstance(event, h11.EndOfMessage):
                return False
    except h11.RemoteProtocolError:
        return True


def doo_refuses(case: Case) -> bool:
    """The server refused the request itself (an error answered with Connection: close)."""
    return case.closes and case.status >= 400


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_h11_agrees_except_for_listed_divergences(case: Case) -> None:
    theirs = h11_refuses(case.raw)
    ours = doo_refuses(case)
    if case.id in H11_DIVERGENCES:
        assert ours != theirs, f"{case.id}: listed as a divergence but both agree ({ours})"
    else:
        assert ours == theirs, f"{case.id}: doo refuses={ours}, h11 refuses={theirs}"


# ---- the chunk limits are settable ----

def test_chunk_limits_follow_the_environment(binaries, server_factory) -> None:
    s = server_factory(binaries("handlers"),
                       env={"DOO_MAX_CHUNK_EXT": "16", "DOO_CHUNK_OVERHEAD_MIN": "2048"})
    n = b"%x" % len(SIGNUP_BODY)
    cases = [
        Case("16-byte extension", chunked(n + b";" + b"e" * 15 + b"\r\n" + SIGNUP_BODY
                                          + b"\r\n0\r\n\r\n"), 201, False, "§1"),
        Case("17-byte extension", chunked(n + b";" + b"e" * 16 + b"\r\n" + SIGNUP_BODY
                                          + b"\r\n0\r\n\r\n"), 400, True, "§1"),
        Case("2 KiB of tiny chunks", chunked(b"1\r\na\r\n" * 500 + b"0\r\n\r\n"), 400, True,
             "§1"),
    ]
    for case in cases:
        with Conn(s.port) as c:
            c.send(case.raw + FOLLOW)
            check_answer(c, case)
