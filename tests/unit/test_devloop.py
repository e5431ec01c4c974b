"""The dev loop without a terminal: a temp copy of examples/hello, a real watcher, real builds
and real servers on free loopback ports. Every wait is for an event, with a deadline."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from doo import pipeline
from doo.devloop import events as ev
from doo.devloop.console import Printer
from doo.devloop.engine import DevLoop, default_addr, is_watched, snapshot
from doo.devloop.routes import fill_path, routes_of

REPO = Path(__file__).resolve().parents[2]
DEADLINE = 60.0  # generous: the very first runtime build on a cold machine takes ~40 s


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pid_exists(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists()


class Recorder:
    """Collects events from the loop's threads; `wait` blocks until one matches."""

    def __init__(self) -> None:
        self.events: list[ev.Event] = []
        self.cond = threading.Condition()

    def __call__(self, e: ev.Event) -> None:
        with self.cond:
            self.events.append(e)
            self.cond.notify_all()

    def wait(self, pred: Callable[[ev.Event], bool], after: int = 0,
             deadline: float = DEADLINE) -> ev.Event:
        with self.cond:
            found: list[ev.Event] = []

            def match() -> bool:
                found[:] = [e for e in self.events[after:] if pred(e)]
                return bool(found)

            assert self.cond.wait_for(match, timeout=deadline), \
                f"no matching event; got {[e.kind for e in self.events[after:]]}"
            return found[0]

    def finished(self, build: int) -> ev.BuildFinished:
        e = self.wait(lambda e: isinstance(e, ev.BuildFinished) and e.build == build)
        assert isinstance(e, ev.BuildFinished)
        return e

    def of_build(self, build: int) -> list[str]:
        """The kinds of the events of one build (log lines and the watcher start left out)."""
        kinds, inside = [], False
        for e in list(self.events):
            if isinstance(e, ev.BuildStarted):
                inside = e.build == build
            if inside and not isinstance(e, (ev.ServerLog, ev.Watching)):
                kinds.append(e.kind)
            if isinstance(e, ev.BuildFinished) and e.build == build:
                break
        return kinds


@pytest.fixture
def project(tmp_path: Path) -> Path:
    dst = tmp_path / "hello"
    shutil.copytree(REPO / "examples" / "hello", dst)
    return dst


@pytest.fixture
def loop(project: Path) -> Iterator[tuple[DevLoop, Recorder]]:
    rec = Recorder()
    dev = DevLoop(project, rec, addr=f"127.0.0.1:{free_port()}")
    dev.start()
    try:
        assert dev.watching.wait(10), "the watcher did not start"
        assert rec.finished(1).ok
        yield dev, rec
    finally:
        dev.stop()


def get(addr: str, path: str) -> str:
    with urllib.request.urlopen(f"http://{addr}{path}", timeout=5) as r:
        return str(r.read().decode())


def edit(project: Path, old: str, new: str) -> None:
    main = project / "main.doo"
    text = main.read_text()
    assert old in text
    main.write_text(text.replace(old, new, 1))


def test_the_engine_never_imports_textual() -> None:
    code = ("import sys, doo.devloop.engine, doo.devloop.console, doo.devloop.server, "
            "doo.devloop.routes, doo.devloop.client\n"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'doo.tui'))\n"
            "bad += [m for m in sys.modules if m.startswith('doo.tui')]\n"
            "print(','.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == ""


def test_first_build_serves_and_times_every_phase(loop: tuple[DevLoop, Recorder]) -> None:
    dev, rec = loop
    assert rec.of_build(1) == ["BuildStarted", "Diagnostics", "Routes", "ServerStarted",
                               "BuildFinished"]
    fin = rec.finished(1)
    assert set(fin.timings) == {"check", "c", "zig", "start", "total"}
    assert all(v >= 0 for v in fin.timings.values())
    assert get(dev.addr, "/plaintext") == "Hello, World!"
    routes = rec.wait(lambda e: isinstance(e, ev.Routes))
    assert isinstance(routes, ev.Routes)
    assert [r.label for r in routes.routes] == ["GET /plaintext", "GET /json"]


def test_save_rechecks_rebuilds_and_restarts(loop: tuple[DevLoop, Recorder],
                                             project: Path) -> None:
    dev, rec = loop
    assert dev.server is not None
    old_pid = dev.server.pid
    edit(project, 'return "Hello, World!";', 'return "Hello, Doo!";')
    fin = rec.finished(2)
    assert fin.ok, fin.error
    assert rec.of_build(2) == ["BuildStarted", "Diagnostics", "Routes", "ServerExited",
                               "ServerStarted", "BuildFinished"]
    started = rec.wait(lambda e: isinstance(e, ev.BuildStarted) and e.build == 2)
    assert isinstance(started, ev.BuildStarted) and started.files == ("main.doo",)
    exited = rec.wait(lambda e: isinstance(e, ev.ServerExited))
    assert isinstance(exited, ev.ServerExited)
    assert (exited.pid, exited.returncode, exited.expected) == (old_pid, 0, True)
    assert not pid_exists(old_pid)
    assert dev.server is not None and dev.server.pid != old_pid
    assert get(dev.addr, "/plaintext") == "Hello, Doo!"


def test_a_type_error_keeps_the_last_good_server_and_marks_it_stale(
        loop: tuple[DevLoop, Recorder], project: Path) -> None:
    dev, rec = loop
    assert dev.server is not None
    pid = dev.server.pid
    edit(project, 'return "Hello, World!";', 'return 1 + "x";')
    fin = rec.finished(2)
    assert (fin.ok, fin.phase, fin.error) == (False, "check", "1 error")
    assert rec.of_build(2) == ["BuildStarted", "Diagnostics", "Stale", "BuildFinished"]
    diags = rec.wait(lambda e: isinstance(e, ev.Diagnostics) and e.build == 2)
    assert isinstance(diags, ev.Diagnostics)
    assert [(d.code, d.span.line) for d in diags.diagnostics] == [("E0110", 10)]
    stale = rec.wait(lambda e: isinstance(e, ev.Stale))
    assert isinstance(stale, ev.Stale) and stale.serving == 1
    assert dev.stale and dev.server.pid == pid
    assert get(dev.addr, "/plaintext") == "Hello, World!"

    # Fixing it clears the problems and replaces the stale server.
    mark = len(rec.events)
    edit(project, 'return 1 + "x";', 'return "fixed";')
    assert rec.finished(3).ok
    clean = rec.wait(lambda e: isinstance(e, ev.Diagnostics), after=mark)
    assert isinstance(clean, ev.Diagnostics) and clean.diagnostics == ()
    assert not dev.stale and dev.server is not None and dev.server.pid != pid
    assert get(dev.addr, "/plaintext") == "fixed"


def test_a_save_that_changes_nothing_is_skipped(loop: tuple[DevLoop, Recorder],
                                                project: Path) -> None:
    dev, rec = loop
    main = project / "main.doo"
    main.write_bytes(main.read_bytes())
    skipped = rec.wait(lambda e: isinstance(e, ev.SaveSkipped))
    assert isinstance(skipped, ev.SaveSkipped) and skipped.files == ("main.doo",)
    assert dev.build_number == 1
    assert not any(isinstance(e, ev.BuildStarted) and e.build > 1 for e in rec.events)


def test_build_outputs_and_other_files_are_not_watched(project: Path) -> None:
    assert is_watched(project / "main.doo", project)
    assert is_watched(project / "lib" / "util.doo", project)
    assert is_watched(project / ".env", project)
    assert not is_watched(project / "build" / "x.doo", project)
    assert not is_watched(project / "README.md", project)
    (project / "build").mkdir()
    (project / "build" / "copy.doo").write_text("x")
    assert list(snapshot(project)) == [str(project / "main.doo")]


def test_stop_leaves_no_server(project: Path) -> None:
    rec = Recorder()
    dev = DevLoop(project, rec, addr=f"127.0.0.1:{free_port()}", watch_files=False)
    dev.start()
    assert rec.finished(1).ok
    assert dev.server is not None
    pid = dev.server.pid
    dev.stop()
    assert not pid_exists(pid)
    assert [e.kind for e in rec.events][-2:] == ["ServerExited", "Stopped"]


def test_a_server_that_cannot_start_is_a_failed_build(project: Path) -> None:
    rec = Recorder()
    dev = DevLoop(project, rec, addr=f"127.0.0.1:{free_port()}", watch_files=False,
                  env={"DOO_MAX_BODY": "lots"})
    dev.start()
    try:
        fin = rec.finished(1)
    finally:
        dev.stop()
    assert (fin.ok, fin.phase) == (False, "start")
    assert "exited with status" in fin.error
    logs = [e.line for e in rec.events if isinstance(e, ev.ServerLog)]
    assert any("DOO_MAX_BODY" in line for line in logs)
    assert dev.server is None


def test_default_addr() -> None:
    assert default_addr({}) == "127.0.0.1:3000"
    assert default_addr({"PORT": "8080"}) == "127.0.0.1:8080"
    assert default_addr({"DOO_ADDR": ":9000", "PORT": "1"}) == "127.0.0.1:9000"
    assert default_addr({"DOO_ADDR": "0.0.0.0:81"}) == "0.0.0.0:81"


def test_routes_of_handlers_prefill_the_body_from_the_struct() -> None:
    res = pipeline.check_path(REPO / "examples" / "handlers")
    assert res.checked is not None
    routes = {r.label: r for r in routes_of(res.checked)}
    assert list(routes)[:3] == ["GET /hello/:name", "GET /square/:n", "GET /stats"]
    assert [(p.name, p.type) for p in routes["GET /square/:n"].path_params] == [("n", "Int")]
    search = routes["GET /search"]
    assert [(p.name, p.type, p.optional) for p in search.query_params] == [
        ("q", "Str", False), ("limit", "Int", True)]
    signup = routes["POST /signup"]
    assert signup.body_type == "Signup"
    assert json.loads(signup.body_example) == {
        "email": "someone@example.com", "password": "password", "name": "name",
        "website": "https://example.com", "code": "ABC-0000", "age": 13,
        "priority": "Medium"}


def test_fill_path_encodes_params_and_query() -> None:
    assert fill_path("/hello/:name", {"name": "a b/c"}) == "/hello/a%20b%2Fc"
    assert fill_path("/search", {}, {"q": "x y", "limit": ""}) == "/search?q=x+y"


def test_printer_lines_and_json_lines() -> None:
    lines: list[str] = []

    class Out:
        def write(self, s: str) -> None:
            lines.append(s)

        def flush(self) -> None:
            pass

    p = Printer(Out())  # type: ignore[arg-type]
    p(ev.ServerStarted(1, 42, "127.0.0.1:3000", 0.002))
    p(ev.BuildFinished(1, True, {"check": 0.002, "c": 0.005, "zig": 0.09, "start": 0.002,
                                 "total": 0.2}))
    p(ev.ServerLog(42, "hello"))
    text = "".join(lines)
    assert "doo dev: #1 serving http://127.0.0.1:3000  check 2 ms · c 5 ms · zig 90 ms · " \
           "start 2 ms · save→serving 200 ms\n" in text
    assert "[server 42] hello\n" in text
    lines.clear()
    Printer(Out(), jsonl=True)(ev.Stale(3, 2, "check failed"))  # type: ignore[arg-type]
    assert json.loads("".join(lines)) == {"event": "Stale", "build": 3, "serving": 2,
                                          "reason": "check failed"}


def test_no_orphans_after_tests() -> None:
    """Servers started by this module are children of this process; none may remain."""
    me = os.getpid()
    kids = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == me:
                kids.append(d.name)
    assert kids == []
