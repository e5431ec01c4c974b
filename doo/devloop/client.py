"""One HTTP request to the dev server, with the standard library, timed.

Input: the server address, a method, a request target and an optional body. Output: a
`Reply` with the status, reason, headers, body text and the seconds from connect to the last
body byte. A connection failure is a `Reply` with status 0 and the error as its reason, never
an exception: the Requests tab shows it like any other answer.
"""

from __future__ import annotations

import http.client
import time
from dataclasses import dataclass

from doo.devloop.server import split_addr

TIMEOUT = 10.0
MAX_BODY_SHOWN = 256 * 1024


@dataclass(frozen=True)
class Reply:
    method: str
    target: str
    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    body: str
    seconds: float

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def send(addr: str, method: str, target: str, body: str = "",
         headers: dict[str, str] | None = None, timeout: float = TIMEOUT) -> Reply:
    host, port = split_addr(addr)
    hdrs = dict(headers or {})
    data = body.encode() if body else None
    if data is not None:
        hdrs.setdefault("Content-Type", "application/json")
    t0 = time.perf_counter()
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request(method, target, body=data, headers=hdrs)
        resp = conn.getresponse()
        raw = resp.read()
        took = time.perf_counter() - t0
        text = raw[:MAX_BODY_SHOWN].decode("utf-8", errors="replace")
        return Reply(method, target, resp.status, resp.reason, tuple(resp.getheaders()), text,
                     took)
    except (OSError, http.client.HTTPException) as e:
        return Reply(method, target, 0, f"{type(e).__name__}: {e}", (), "",
                     time.perf_counter() - t0)
    finally:
        conn.close()
