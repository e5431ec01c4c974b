"""Acknowledged writes survive `kill -9` (reliability.md §5, §6).

libdooh/tests/demo_db.c — the data layer's hand-written stand-in for a compiled program, with
the tasks and users tables — is built with gcc against the system's libsqlite3. Each round
starts it on the same database file, runs 32 concurrent writers POSTing tasks, kills the
server with SIGKILL at a random moment, and then checks with Python's sqlite3 that every
row answered 201 is stored exactly as acknowledged and that `PRAGMA integrity_check` is ok;
the next round restarts the server on the recovered file and reads an acknowledged row back.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import signal
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from servers import Server, build_demo

ROUNDS = 10
WRITERS = 32


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo("demo_db", tmp_path_factory.mktemp("demo_db"))


def write_until_refused(port: int, tag: str, acked: dict[int, str], lock: threading.Lock,
                        stop: threading.Event) -> None:
    """POST tasks over one keep-alive connection until the server goes away."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    n = 0
    try:
        while not stop.is_set():
            title = f"{tag}-{n}"
            n += 1
            conn.request("POST", "/tasks", body=json.dumps({"Title": title, "Done": n % 2 == 0}),
                         headers={"Content-Type": "application/json"})
            resp = conn.getresponse()
            body = resp.read()
            if resp.status == 201:
                row = json.loads(body)["data"]
                assert row["Title"] == title
                with lock:
                    acked[row["id"]] = title
            else:
                assert resp.status == 503, (resp.status, body)  # busy: allowed, not acknowledged
    except (OSError, http.client.HTTPException):
        pass  # the server was killed mid-request: that write is not acknowledged
    finally:
        conn.close()


def test_acknowledged_rows_survive_kill_9(demo_db: Path, tmp_path: Path,
                                         server_factory: Callable[..., Server]) -> None:
    db = tmp_path / "durable.db"
    env = {"DATABASE_URL": f"sqlite:{db}"}
    acked: dict[int, str] = {}
    lock = threading.Lock()
    rng = random.Random(4)
    started = time.monotonic()
    for round_no in range(ROUNDS):
        server = server_factory(demo_db, threads=2, env=env)
        if acked:
            # The restarted server reads what the killed one acknowledged.
            some = rng.choice(sorted(acked))
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
            conn.request("GET", f"/tasks/{some}")
            resp = conn.getresponse()
            assert resp.status == 200 and json.loads(resp.read())["data"]["Title"] == acked[some]
            conn.close()
        stop = threading.Event()
        before = len(acked)
        writers = [threading.Thread(target=write_until_refused,
                                    args=(server.port, f"r{round_no}w{i}", acked, lock, stop))
                   for i in range(WRITERS)]
        for w in writers:
            w.start()
        time.sleep(rng.uniform(0.2, 0.9))
        os.kill(server.pid, signal.SIGKILL)
        server.proc.wait(timeout=10)
        stop.set()
        for w in writers:
            w.join(timeout=10)
            assert not w.is_alive()
        assert len(acked) > before, f"round {round_no}: no write was acknowledged"

        with sqlite3.connect(db) as check:
            assert check.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            stored = dict(check.execute("SELECT id, title FROM tasks").fetchall())
        check.close()
        missing = {i: t for i, t in acked.items() if stored.get(i) != t}
        assert not missing, f"round {round_no}: acknowledged rows lost: {list(missing)[:10]}"
    assert time.monotonic() - started < 60
