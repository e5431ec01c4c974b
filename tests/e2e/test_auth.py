"""Auth, rate limits and CORS on the wire (http.md §5–§6, reliability.md §4).

libdooh/tests/demo_auth.c — a hand-written stand-in for a compiled program with `app.auth`,
an `@owner` tasks table, `app.ratelimit`, a `RateLimit(3, 60)` route and `app.cors` — is
built with gcc against the system's libsqlite3, as test_durability.py builds demo_db.c.
Rate-limit tests bind their client sockets to distinct loopback addresses (127.0.0.2, …,
127.x.y.z) so that each request comes from its own client address.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import socket
import statistics
import subprocess
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from servers import Server, build_demo

jwt = pytest.importorskip("jwt")

SECRET = "e2e-secret-0123456789abcdefghijklmnopqrstuvwxyz"


@pytest.fixture(scope="module")
def demo_auth(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo("demo_auth", tmp_path_factory.mktemp("demo_auth"))


@pytest.fixture
def start(demo_auth: Path, tmp_path: Path,
          server_factory: Callable[..., Server]) -> Callable[..., Server]:
    """start(**env) → a demo_auth server on a fresh database with JWT_SECRET set."""
    count = 0

    def make(threads: int = 2, **env: str) -> Server:
        nonlocal count
        count += 1
        full = {"JWT_SECRET": SECRET, "DATABASE_URL": f"sqlite:{tmp_path / f'auth{count}.db'}"}
        full.update(env)
        return server_factory(demo_auth, threads=threads, env=full)

    return make


# ---- a tiny HTTP/1.1 client with a chosen source address ----

class Resp:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    def json(self) -> dict[str, object]:
        return json.loads(self.body)  # type: ignore[no-any-return]


def request(port: int, method: str, path: str, body: object = None, token: str | None = None,
            source: str = "127.0.0.1", headers: dict[str, str] | None = None,
            raw_body: bytes | None = None) -> Resp:
    """One request on a new connection from `source` (any 127.x.y.z); the parsed response."""
    data = raw_body if raw_body is not None else (
        json.dumps(body).encode() if body is not None else b"")
    lines = [f"{method} {path} HTTP/1.1", "Host: localhost", "Connection: close",
             f"Content-Length: {len(data)}"]
    if body is not None or raw_body is not None:
        lines.append("Content-Type: application/json")
    if token is not None:
        lines.append(f"Authorization: Bearer {token}")
    for k, v in (headers or {}).items():
        lines.append(f"{k}: {v}")
    wire = ("\r\n".join(lines) + "\r\n\r\n").encode() + data
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(10)
        s.bind((source, 0))
        s.connect(("127.0.0.1", port))
        s.sendall(wire)
        chunks = []
        while True:
            b = s.recv(65536)
            if not b:
                break
            chunks.append(b)
    raw = b"".join(chunks)
    head, _, rest = raw.partition(b"\r\n\r\n")
    status_line, *hlines = head.decode("latin-1").split("\r\n")
    hdrs: dict[str, str] = {}
    for h in hlines:
        k, _, v = h.partition(":")
        key = k.strip().lower()
        hdrs[key] = hdrs[key] + ", " + v.strip() if key in hdrs else v.strip()
    return Resp(int(status_line.split()[1]), hdrs, rest)


def addr(n: int) -> str:
    """The n-th loopback client address: 127.0.0.2, 127.0.0.3, … (n ≥ 0)."""
    n += 2
    return f"127.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


_next = [100000]


def fresh() -> str:
    """A source address no other test used (so per-address login limits never interfere)."""
    _next[0] += 1
    return addr(_next[0])


def signup(port: int, email: str, password: str = "correct horse", name: str = "N") -> Resp:
    return request(port, "POST", "/auth/signup",
                   {"Email": email, "Password": password, "Name": name}, source=fresh())


def login(port: int, email: str, password: str) -> Resp:
    return request(port, "POST", "/auth/login", {"Email": email, "Password": password},
                   source=fresh())


# ---- accounts and owners ----

def test_signup_login_and_owners_see_only_their_rows(start: Callable[..., Server]) -> None:
    s = start()
    r = signup(s.port, "ann@example.com", name="Ann")
    assert r.status == 201, r.body
    data = r.json()["data"]
    assert set(data) == {"token", "id", "Email", "Name", "Role"}  # no Password
    assert data["Role"] == "user" and b"correct horse" not in r.body and b"argon2" not in r.body
    claims = jwt.decode(data["token"], SECRET, algorithms=["HS256"], issuer="doo")
    assert claims["sub"] == str(data["id"]) and claims["email"] == "ann@example.com"
    assert claims["role"] == "user" and claims["exp"] - claims["iat"] == 86400
    assert signup(s.port, "bea@example.com", name="Bea").status == 201

    ann = login(s.port, "ann@example.com", "correct horse").json()["data"]["token"]
    bea = login(s.port, "bea@example.com", "correct horse").json()["data"]["token"]
    me = request(s.port, "GET", "/auth/me", token=bea)
    assert me.status == 200 and me.json() == {
        "data": {"id": 2, "Email": "bea@example.com", "Name": "Bea", "Role": "user"}}

    assert request(s.port, "POST", "/tasks", {"Title": "x"}).status == 401
    assert request(s.port, "GET", "/tasks").status == 401
    t1 = request(s.port, "POST", "/tasks", {"Title": "ann 1", "OwnerId": 2}, token=ann)
    assert t1.status == 201 and t1.json()["data"]["OwnerId"] == 1
    request(s.port, "POST", "/tasks", {"Title": "ann 2"}, token=ann)
    t3 = request(s.port, "POST", "/tasks", {"Title": "bea 1"}, token=bea).json()["data"]
    assert [t["Title"] for t in request(s.port, "GET", "/tasks", token=ann).json()["data"]] == \
        ["ann 1", "ann 2"]
    assert [t["Title"] for t in request(s.port, "GET", "/tasks?OwnerId=eq.1",
                                        token=bea).json()["data"]] == []
    assert request(s.port, "GET", f"/tasks/{t3['id']}", token=ann).status == 404
    assert request(s.port, "DELETE", f"/tasks/{t3['id']}", token=ann).status == 404
    assert request(s.port, "PATCH", f"/tasks/{t3['id']}", {"Done": True}, token=ann).status == 404
    assert request(s.port, "GET", f"/tasks/{t3['id']}", token=bea).json()["data"]["Done"] is False


def test_signup_refusals(start: Callable[..., Server]) -> None:
    s = start()
    assert signup(s.port, "dup@example.com").status == 201
    r = signup(s.port, "dup@example.com", password="another password")
    assert r.status == 409 and r.json()["errors"][0]["field"] == "Email"
    r = signup(s.port, "e@example.com", password="")
    assert r.status == 422 and r.json()["errors"] == [
        {"field": "Password", "code": "required", "detail": "must not be empty"}]
    t0 = time.monotonic()
    r = signup(s.port, "big@example.com", password="x" * 65536)
    elapsed = time.monotonic() - t0
    assert r.status == 422 and r.json()["errors"][0]["code"] == "max"
    assert elapsed < 0.05, f"a 64 KiB password took {elapsed * 1000:.1f} ms"
    t0 = time.monotonic()
    r = login(s.port, "dup@example.com", "x" * 65536)
    assert r.status == 401 and time.monotonic() - t0 < 0.05


def test_login_failures_are_identical_and_take_the_same_time(start: Callable[..., Server]) -> None:
    s = start(threads=1)
    # Four accounts, so no account reaches its 10-failures-per-15-minutes limit.
    for i in range(4):
        assert signup(s.port, f"user{i}@example.com").status == 201
    unknown = login(s.port, "nobody@example.com", "correct horse")
    wrong = login(s.port, "user0@example.com", "wrong horse")
    assert unknown.status == wrong.status == 401
    assert unknown.body == wrong.body
    assert unknown.headers["www-authenticate"] == wrong.headers["www-authenticate"] == "Bearer"

    def timed(email: str, password: str) -> float:
        t0 = time.perf_counter()
        r = login(s.port, email, password)
        elapsed = time.perf_counter() - t0
        assert r.status == 401, r.body
        return elapsed

    t_unknown, t_wrong = [], []
    for i in range(30):  # interleaved, so drift affects both alike
        t_unknown.append(timed(f"nobody{i}@example.com", "correct horse"))
        t_wrong.append(timed(f"user{i % 4}@example.com", f"wrong {i}"))
    ratio = statistics.median(t_unknown) / statistics.median(t_wrong)
    assert 0.8 <= ratio <= 1.25, (ratio, statistics.median(t_unknown), statistics.median(t_wrong))


# ---- hostile tokens ----

def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge(header: dict[str, object], claims: dict[str, object], key: bytes = SECRET.encode(),
          digest: Callable[..., object] = hashlib.sha256) -> str:
    signing = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    sig = hmac.new(key, signing.encode(), digest).digest()  # type: ignore[arg-type]
    return f"{signing}.{b64(sig)}"


def hostile_tokens() -> dict[str, str]:
    now = int(time.time())
    good = {"sub": "1", "email": "ann@example.com", "iat": now, "exp": now + 3600, "iss": "doo"}
    valid = jwt.encode(good, SECRET, algorithm="HS256")
    h, p, sig = valid.split(".")
    tokens = {
        "hs384": jwt.encode(good, SECRET, algorithm="HS384"),
        "hs512": jwt.encode(good, SECRET, algorithm="HS512"),
        "other secret": jwt.encode(good, "x" * 40, algorithm="HS256"),
        "tampered signature": f"{h}.{p}.{sig[:-2]}{'A' if sig[-2] != 'A' else 'B'}{sig[-1]}",
        "cut signature": f"{h}.{p}.{sig[:-1]}",
        "padded signature": f"{h}.{p}.{sig}=",
        "tampered claims": f"{h}.{b64(json.dumps({**good, 'sub': '2'}).encode())}.{sig}",
        "expired": jwt.encode({**good, "exp": now - 31}, SECRET, algorithm="HS256"),
        "future nbf": jwt.encode({**good, "nbf": now + 3600}, SECRET, algorithm="HS256"),
        "future iat": jwt.encode({**good, "iat": now + 3600}, SECRET, algorithm="HS256"),
        "no exp": jwt.encode({k: v for k, v in good.items() if k != "exp"}, SECRET,
                             algorithm="HS256"),
        "string exp": forge({"alg": "HS256", "typ": "JWT"}, {**good, "exp": str(now + 3600)}),
        "other issuer": jwt.encode({**good, "iss": "evil"}, SECRET, algorithm="HS256"),
        "two segments": f"{h}.{p}",
        "four segments": f"{h}.{p}.{sig}.{sig}",
        "crit": jwt.encode(good, SECRET, algorithm="HS256", headers={"crit": ["exp"]}),
        "64 KiB": jwt.encode({**good, "pad": "x" * 65536}, SECRET, algorithm="HS256"),
        "empty": "",
    }
    for alg in ("none", "None", "NONE", "nOnE"):
        tokens[f"alg {alg}"] = f"{b64(json.dumps({'alg': alg, 'typ': 'JWT'}).encode())}.{p}."
    for alg in ("hs256", "Hs256", "HS256 "):
        tokens[f"alg {alg!r}"] = forge({"alg": alg, "typ": "JWT"}, good)
    tokens["hs384 forged"] = forge({"alg": "HS384", "typ": "JWT"}, good, digest=hashlib.sha384)
    return tokens


def test_hostile_tokens_are_all_401(start: Callable[..., Server]) -> None:
    # No app-wide limit (50-odd requests from one address), and header limits raised so that
    # the 64 KiB token reaches the JWT code instead of the 431 of the 8 KiB line limit.
    s = start(DEMO_RL_MAX="0", DOO_MAX_HEADER_LINE="131072", DOO_MAX_HEADERS_SIZE="262144")
    assert signup(s.port, "ann@example.com").status == 201
    valid = jwt.encode({"sub": "1", "iat": int(time.time()), "exp": int(time.time()) + 600,
                        "iss": "doo"}, SECRET, algorithm="HS256")
    assert request(s.port, "GET", "/private", token=valid).status == 200
    for name, tok in hostile_tokens().items():
        for path in ("/private", "/auth/me"):
            r = request(s.port, "GET", path, token=tok)
            assert r.status == 401, (name, path, r.status, r.body[:200])
            assert r.headers.get("www-authenticate") == "Bearer", name
            assert SECRET.encode() not in r.body
    assert s.alive()


def test_missing_or_short_secret_refuses_to_start(demo_auth: Path, tmp_path: Path) -> None:
    for secret in (None, "", "too-short-secret-0123456789"):
        env = {k: v for k, v in os.environ.items() if k != "JWT_SECRET"}
        env.update({"DATABASE_URL": f"sqlite:{tmp_path / 'x.db'}", "DOO_ADDR": "127.0.0.1:1"})
        if secret is not None:
            env["JWT_SECRET"] = secret
        proc = subprocess.run([str(demo_auth)], env=env, capture_output=True, text=True,
                              timeout=10, check=False)
        assert proc.returncode != 0
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and "JWT_SECRET" in lines[0], proc.stderr
        assert not secret or secret not in proc.stderr
    env["JWT_SECRET"] = SECRET
    env["JWT_EXPIRY"] = "soon"
    proc = subprocess.run([str(demo_auth)], env=env, capture_output=True, text=True, timeout=10,
                          check=False)
    assert proc.returncode != 0 and "JWT_EXPIRY" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


# ---- rate limits ----

def test_rate_limits_are_per_address_with_headers(start: Callable[..., Server]) -> None:
    s = start(DEMO_RL_MAX="5")
    # /limited: RateLimit(3, 60) and the app's 5 per minute; the tighter one is shown.
    for i in range(3):
        r = request(s.port, "GET", "/limited", source="127.0.0.2")
        assert r.status == 200
        assert r.headers["ratelimit-limit"] == "3"
        assert r.headers["ratelimit-remaining"] == str(2 - i)
        assert r.headers["ratelimit-policy"] == "3;w=60"
        assert int(r.headers["ratelimit-reset"]) in range(1, 61)
    r = request(s.port, "GET", "/limited", source="127.0.0.2")
    assert r.status == 429 and r.headers["retry-after"] == "20"
    assert r.headers["content-type"] == "application/problem+json"
    assert r.headers["ratelimit-remaining"] == "0"
    # Another address has its own buckets.
    r = request(s.port, "GET", "/limited", source="127.0.0.3")
    assert r.status == 200 and r.headers["ratelimit-remaining"] == "2"
    # The app-wide limit covers every route: 127.0.0.2 spent 4 of its 5 (the 429 included).
    r = request(s.port, "GET", "/auth/me", source="127.0.0.2")
    assert r.status == 401 and r.headers["ratelimit-policy"] == "5;w=60"
    assert r.headers["ratelimit-remaining"] == "0"
    r = request(s.port, "GET", "/auth/me", source="127.0.0.2")
    assert r.status == 429 and int(r.headers["retry-after"]) == 12
    # Built-in probes are never limited.
    assert request(s.port, "GET", "/health", source="127.0.0.2").status == 200
    # Login is limited per address whatever the app says: 10 a minute.
    for i in range(10):
        r = request(s.port, "POST", "/auth/login", {"Email": f"u{i}@example.com", "Password": "p"},
                    source="127.0.0.9")
        assert r.status in (401, 429)
    r = request(s.port, "POST", "/auth/login", {"Email": "z@example.com", "Password": "p"},
                source="127.0.0.9")
    assert r.status == 429


def test_forwarded_for_counts_only_behind_a_trusted_proxy(start: Callable[..., Server]) -> None:
    for trust in ("0", "1"):
        s = start(DEMO_RL_MAX="2", DEMO_TRUST_PROXY=trust)
        statuses = [request(s.port, "GET", "/auth/me", source="127.0.0.5",
                            headers={"X-Forwarded-For": f"198.51.100.{i}, 10.0.0.1"}).status
                    for i in range(4)]
        assert statuses == ([401, 401, 429, 429] if trust == "0" else [401] * 4), trust
        s.stop()


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.mark.measurement
def test_memory_stays_bounded_under_50000_addresses(start: Callable[..., Server]) -> None:
    # A table of 16,384 entries (768 KiB) so that 50,000 addresses overflow it many times.
    s = start(threads=2, DEMO_RL_MAX="2", DOO_RATELIMIT_ENTRIES="16384")

    def hit(n: int) -> str:
        return request(s.port, "GET", "/auth/me", source=addr(n)).headers["ratelimit-remaining"]

    assert hit(0) == "1"
    with ThreadPoolExecutor(8) as pool:
        assert set(pool.map(hit, range(1, 10000))) == {"1"}
        rss_10k = rss_kib(s.pid)
        assert set(pool.map(hit, range(10000, 50000))) == {"1"}
    rss_50k = rss_kib(s.pid)
    assert rss_50k - rss_10k < 1024, (rss_10k, rss_50k)
    # The first address was evicted long ago (it starts full again); the last one was not.
    assert hit(0) == "1"
    assert hit(49999) == "0"


# ---- CORS ----

def preflight(port: int, origin: str, path: str = "/tasks",
              req_headers: str | None = "content-type, authorization") -> Resp:
    h = {"Origin": origin, "Access-Control-Request-Method": "POST"}
    if req_headers is not None:
        h["Access-Control-Request-Headers"] = req_headers
    return request(port, "OPTIONS", path, headers=h)


def test_cors_any_origin(start: Callable[..., Server]) -> None:
    s = start()
    r = preflight(s.port, "https://anything.example")
    assert r.status == 204
    assert r.headers["access-control-allow-origin"] == "*"
    assert r.headers["access-control-allow-methods"] == "GET, HEAD, POST"
    assert r.headers["access-control-allow-headers"] == "content-type, authorization"
    assert "access-control-allow-credentials" not in r.headers
    assert "access-control-max-age" not in r.headers
    r = preflight(s.port, "https://anything.example", path="/tasks/7")
    assert r.headers["access-control-allow-methods"] == "GET, HEAD, PUT, PATCH, DELETE"
    r = preflight(s.port, "https://a.example", req_headers="x-ok, bad header")
    assert r.status == 204 and "access-control-allow-headers" not in r.headers
    assert preflight(s.port, "https://a.example", path="/nope").status == 404
    r = request(s.port, "GET", "/limited", headers={"Origin": "https://a.example"},
                source=fresh())
    assert r.headers["access-control-allow-origin"] == "*"
    expose = r.headers["access-control-expose-headers"]
    for name in ("Location", "Content-Range", "RateLimit-Remaining", "X-Request-Id"):
        assert name in expose


def test_cors_listed_origins_with_credentials(start: Callable[..., Server]) -> None:
    s = start(DEMO_CORS_ORIGINS="https://app.example,http://localhost:5173",
              DEMO_CORS_CREDENTIALS="1", DEMO_CORS_MAX_AGE="600")
    r = preflight(s.port, "http://localhost:5173")
    assert r.status == 204
    assert r.headers["access-control-allow-origin"] == "http://localhost:5173"
    assert r.headers["access-control-allow-credentials"] == "true"
    assert r.headers["access-control-max-age"] == "600"
    assert r.headers["vary"] == "Origin"
    r = request(s.port, "GET", "/limited", headers={"Origin": "https://app.example"},
                source=fresh())
    assert r.headers["access-control-allow-origin"] == "https://app.example"
    assert r.headers["access-control-allow-credentials"] == "true"
    assert r.headers["vary"] == "Origin"
    # Disallowed origins: no CORS header at all; the preflight is still 204 (the browser
    # refuses it for lack of Access-Control-Allow-Origin).
    for origin in ("https://evil.example", "https://app.example.evil.example", "null",
                   "https://APP.example"):
        r = preflight(s.port, origin)
        assert r.status == 204
        assert not [k for k in r.headers if k.startswith("access-control-")], (origin, r.headers)
        r = request(s.port, "GET", "/limited", headers={"Origin": origin}, source=fresh())
        assert r.status == 200
        assert not [k for k in r.headers if k.startswith("access-control-")]


@pytest.fixture(autouse=True)
def _loopback_aliases() -> Iterator[None]:
    """127.0.0.0/8 is all loopback on Linux; skip where binding 127.0.0.2 does not work."""
    try:
        with socket.socket() as s:
            s.bind(("127.0.0.2", 0))
    except OSError:
        pytest.skip("cannot bind 127.0.0.2")
    yield
