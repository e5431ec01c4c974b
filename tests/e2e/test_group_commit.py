"""Group commit on the wire (docs/data.md, "Group commit"): the generated writes one worker
answers in one round share one transaction, and their responses are sent only after it
commits.

The server is libdooh/tests/demo_db.c (the tasks and users tables through app.crud, built
with gcc and the system SQLite), one worker thread, so concurrent writes land in the same
round. What must hold: every write is answered exactly once and in order with what was
stored; a read after a write on the same connection sees it; a group whose COMMIT fails is
answered with an error in place of every response that waited for it, and none of its rows
is stored; DOO_DB_GROUP_COMMIT=off turns it off and a bad value stops start-up.
"""

from __future__ import annotations

import json
import resource
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from servers import Server, build_demo
from wire import Conn, request_bytes

JSON = [("Content-Type", "application/json")]


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo("demo_db", tmp_path_factory.mktemp("demo_db"))


def post_task(title: str) -> bytes:
    return request_bytes("POST", "/tasks", JSON, json.dumps({"Title": title}).encode())


def stored_titles(db: Path) -> list[str]:
    with sqlite3.connect(db) as c:
        return [t for (t,) in c.execute("SELECT title FROM tasks ORDER BY id")]


@pytest.mark.parametrize("threads", [1, 2])
def test_concurrent_writes_are_each_answered_once_with_their_own_row(
        demo_db: Path, tmp_path: Path, server_factory: Callable[..., Server], threads: int) -> None:
    """With two workers, their groups take turns (one write transaction at a time)."""
    db = tmp_path / "group.db"
    s = server_factory(demo_db, threads=threads, env={"DATABASE_URL": f"sqlite:{db}"})
    conns = [Conn(s.port) for _ in range(64)]
    try:
        # Every request is on the wire before the first answer is read: one worker sees
        # them in a few rounds, so they commit in groups.
        for i, c in enumerate(conns):
            c.send(post_task(f"concurrent-{i}"))
        ids = []
        for i, c in enumerate(conns):
            r = c.read_response()
            assert r.status == 201, str(r)
            row = json.loads(r.body)["data"]
            assert row["Title"] == f"concurrent-{i}"
            assert r.header("Location") == f"/tasks/{row['id']}"
            ids.append(row["id"])
        assert len(set(ids)) == 64
    finally:
        for c in conns:
            c.close()
    assert sorted(stored_titles(db)) == sorted(f"concurrent-{i}" for i in range(64))


def test_pipelined_writes_and_reads_are_answered_in_order(
        demo_db: Path, tmp_path: Path, server_factory: Callable[..., Server]) -> None:
    db = tmp_path / "pipe.db"
    s = server_factory(demo_db, env={"DATABASE_URL": f"sqlite:{db}"})
    with Conn(s.port) as c:
        # One write, one send: a write, the read that must see it, a conflicting write, a
        # second write and a count.
        c.send(post_task("pipe-a")
               + request_bytes("GET", "/tasks?Title=eq.pipe-a&select=Title")
               + post_task("pipe-a")
               + post_task("pipe-b")
               + request_bytes("GET", "/tasks?Title=like.pipe-*&select=Title&order=Title",
                               [("Prefer", "count=exact")]))
        first = c.read_response()
        assert first.status == 201
        assert c.read_response().body == b'{"data":[{"Title":"pipe-a"}]}'
        conflict = c.read_response()
        assert conflict.status == 409
        assert b'"Title must be unique: another Task has this value"' in conflict.body
        assert c.read_response().status == 201
        listed = c.read_response()
        assert listed.body == b'{"data":[{"Title":"pipe-a"},{"Title":"pipe-b"}]}'
        assert listed.header("Content-Range") == "0-1/2"
    assert stored_titles(db) == ["pipe-a", "pipe-b"]


def test_reads_sent_after_a_write_was_acknowledged_see_it(
        demo_db: Path, tmp_path: Path, server_factory: Callable[..., Server]) -> None:
    """Pipelined reads share one snapshot; it must never be older than the bytes it answers.
    Two workers, readers spread over both, each read batch sent after the 201."""
    db = tmp_path / "seen.db"
    s = server_factory(demo_db, threads=2, env={"DATABASE_URL": f"sqlite:{db}"})
    with Conn(s.port) as writer:
        readers = [Conn(s.port) for _ in range(4)]
        try:
            for i in range(100):
                r = writer.request("POST", "/tasks", JSON, json.dumps({"Title": f"seen-{i}"}).encode())
                assert r.status == 201
                rid = json.loads(r.body)["data"]["id"]
                reader = readers[i % 4]
                reader.send(request_bytes("GET", f"/tasks/{rid}") * 3)
                for _ in range(3):
                    got = reader.read_response()
                    assert got.status == 200, (i, str(got))
                    assert json.loads(got.body)["data"]["Title"] == f"seen-{i}"
        finally:
            for c in readers:
                c.close()


def test_a_group_that_cannot_be_committed_is_answered_500_and_stores_nothing(
        demo_db: Path, tmp_path: Path, server_factory: Callable[..., Server]) -> None:
    """A file-size limit (what `ulimit -f` sets) makes the WAL append of a COMMIT fail with
    EFBIG: the write was answered into its connection already, and must be replaced."""
    db = tmp_path / "limited.db"
    s = server_factory(demo_db, env={"DATABASE_URL": f"sqlite:{db}"})
    with Conn(s.port) as c:
        assert c.request("POST", "/tasks", JSON, b'{"Title":"before the limit"}').status == 201
    wal = Path(f"{db}-wal")
    limit = wal.stat().st_size + 40_000  # room for a few commits of one page each
    # The soft limit only, so that it can be lifted again without privileges.
    resource.prlimit(s.pid, resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
    acked = ["before the limit"]
    refused = None
    for i in range(100):
        with Conn(s.port) as c:
            r = c.request("POST", "/tasks", JSON, json.dumps({"Title": f"row {i}"}).encode())
            if r.status == 201:
                acked.append(f"row {i}")
                continue
            refused = (i, r)
            assert r.header("Connection") == "close"
            assert c.closed_by_peer()
            break
    assert refused is not None, "the file-size limit was never reached"
    i, r = refused
    assert r.status == 500, str(r)
    assert r.header("Content-Type") == "application/problem+json"
    assert r.header("Retry-After") is None
    body = json.loads(r.body)
    assert (body["status"], body["title"], body["detail"]) == (
        500, "Internal Server Error", "the change could not be saved; nothing was written")
    assert '"msg":"cannot commit a group of writes"' in s.wait_stderr("cannot commit")
    assert s.alive()
    # Lift the limit: the server goes on, and the refused row is not there.
    resource.prlimit(s.pid, resource.RLIMIT_FSIZE,
                     (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    with Conn(s.port) as c:
        assert c.request("POST", "/tasks", JSON, b'{"Title":"after the limit"}').status == 201
    assert s.stop() == 0
    assert stored_titles(db) == acked + ["after the limit"]
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_group_commit_can_be_turned_off_and_a_bad_setting_stops_start_up(
        demo_db: Path, tmp_path: Path, server_factory: Callable[..., Server]) -> None:
    db = tmp_path / "off.db"
    s = server_factory(demo_db, env={"DATABASE_URL": f"sqlite:{db}", "DOO_DB_GROUP_COMMIT": "off"})
    with Conn(s.port) as c:
        assert c.request("POST", "/tasks", JSON, b'{"Title":"alone"}').status == 201
    assert stored_titles(db) == ["alone"]
    proc = subprocess.run([str(demo_db)], env={"DATABASE_URL": f"sqlite:{db}",
                                               "DOO_ADDR": "127.0.0.1:0",
                                               "DOO_DB_GROUP_COMMIT": "sometimes"},
                          capture_output=True, text=True, timeout=10, check=False)
    assert proc.returncode == 1
    assert proc.stderr == "doo: database: DOO_DB_GROUP_COMMIT must be on or off\n"
