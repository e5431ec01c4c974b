"""Wire-level helpers for the end-to-end tests: raw HTTP/1.1 over a socket, one response at a time.

The tests talk to the compiled server through plain sockets so they see the exact bytes it
writes. `Conn` keeps the bytes it has read past the end of a response, so pipelined and
keep-alive responses are read one after another from the same buffer. Every read has a
deadline; a server that stays silent fails the test with the bytes seen so far.
"""

from __future__ import annotations

import json
import re
import socket
import time
from dataclasses import dataclass, field
from typing import Self

READ_TIMEOUT = 5.0

IMF_FIXDATE = re.compile(
    r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} "
    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT"
)
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")


class WireError(AssertionError):
    """The server's bytes could not be read as an HTTP/1.1 response."""


@dataclass
class Response:
    version: str
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes
    head: bytes = field(repr=False)  # status line and header block, as received

    def all(self, name: str) -> list[str]:
        """Every value of header `name` (case-insensitive), in order."""
        return [v for n, v in self.headers if n.lower() == name.lower()]

    def header(self, name: str) -> str | None:
        """The single value of header `name`, None if absent; fails if it is repeated."""
        values = self.all(name)
        assert len(values) <= 1, f"header {name} repeated: {values}\n{self.head!r}"
        return values[0] if values else None

    def names(self) -> list[str]:
        return [n.lower() for n, _ in self.headers]

    def json_text(self) -> str:
        return self.body.decode("utf-8")

    def __str__(self) -> str:
        return (self.head + self.body).decode("utf-8", "replace")


def request_bytes(method: str, target: str, headers: list[tuple[str, str]] | None = None,
                  body: bytes = b"", version: str = "HTTP/1.1", host: bool = True) -> bytes:
    """A request as bytes. Adds `Host: test` (unless host=False) and, when there is a body,
    Content-Length (unless the caller gave one or a Transfer-Encoding)."""
    hs = list(headers or [])
    lower = {n.lower() for n, _ in hs}
    if host and "host" not in lower:
        hs.insert(0, ("Host", "test"))
    if body and "content-length" not in lower and "transfer-encoding" not in lower:
        hs.append(("Content-Length", str(len(body))))
    lines = [f"{method} {target} {version}"] + [f"{n}: {v}" for n, v in hs]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class Conn:
    """One client connection with a read buffer that survives between responses."""

    def __init__(self, port: int, timeout: float = READ_TIMEOUT) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.timeout = timeout
        self.buf = b""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.sock.close()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def request(self, method: str, target: str, headers: list[tuple[str, str]] | None = None,
                body: bytes = b"", version: str = "HTTP/1.1") -> Response:
        """Send one request and read its response."""
        self.send(request_bytes(method, target, headers, body, version))
        return self.read_response(head=(method == "HEAD"))

    def _fill(self, deadline: float, what: str) -> None:
        left = deadline - time.monotonic()
        if left <= 0:
            raise WireError(f"timed out waiting for {what}; received so far: {self.buf!r}")
        self.sock.settimeout(left)
        try:
            data = self.sock.recv(65536)
        except TimeoutError:
            raise WireError(f"timed out waiting for {what}; received so far: {self.buf!r}")
        if not data:
            raise WireError(f"connection closed while waiting for {what}; "
                            f"received so far: {self.buf!r}")
        self.buf += data

    def read_response(self, head: bool = False) -> Response:
        """Read exactly one response. `head`: the request was HEAD, so no body follows."""
        deadline = time.monotonic() + self.timeout
        while b"\r\n\r\n" not in self.buf:
            self._fill(deadline, "the response head")
        end = self.buf.index(b"\r\n\r\n") + 4
        raw_head, self.buf = self.buf[:end], self.buf[end:]
        lines = raw_head[:-4].decode("latin-1").split("\r\n")
        m = re.fullmatch(r"(HTTP/1\.[01]) (\d{3}) (.*)", lines[0])
        if not m:
            raise WireError(f"bad status line {lines[0]!r}")
        headers = []
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if not sep or name != name.strip() or not name:
                raise WireError(f"bad header line {line!r}")
            headers.append((name, value.strip(" \t")))
        status = int(m.group(2))
        resp = Response(m.group(1), status, m.group(3), headers, b"", raw_head)
        if head or status in (204, 304) or 100 <= status < 200:
            return resp
        if resp.header("Transfer-Encoding") is not None:
            raise WireError(f"unexpected Transfer-Encoding (doo sends Content-Length): {raw_head!r}")
        length = resp.header("Content-Length")
        if length is None or not length.isdigit():
            raise WireError(f"missing or bad Content-Length: {raw_head!r}")
        n = int(length)
        while len(self.buf) < n:
            self._fill(deadline, f"a {n}-byte body")
        resp.body, self.buf = self.buf[:n], self.buf[n:]
        return resp

    def closed_by_peer(self, timeout: float = 2.0) -> bool:
        """True when the server closes the connection (EOF or reset) within `timeout` without
        sending anything more; False when it stays open and silent. Extra bytes fail."""
        assert self.buf == b"", f"unread bytes after the response: {self.buf!r}"
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(65536)
        except TimeoutError:
            return False
        except ConnectionResetError:
            return True
        assert data == b"", f"unexpected bytes after the response: {data!r}"
        return True


def fetch(port: int, method: str, target: str, headers: list[tuple[str, str]] | None = None,
          body: bytes = b"", version: str = "HTTP/1.1") -> Response:
    """One request on a fresh connection."""
    with Conn(port) as c:
        return c.request(method, target, headers, body, version)


def problem(status: int, title: str, detail: str, instance: str, errors: str = "") -> bytes:
    """The exact problem+json body the runtime writes (member order is part of the contract).
    `errors` is the already-serialised array, e.g. '[{"field":"age",...}]'."""
    text = (f'{{"type":"about:blank","title":{json.dumps(title)},"status":{status},'
            f'"detail":{json.dumps(detail, ensure_ascii=False)},'
            f'"instance":{json.dumps(instance, ensure_ascii=False)}')
    if errors:
        text += f',"errors":{errors}'
    return (text + "}").encode("utf-8")
