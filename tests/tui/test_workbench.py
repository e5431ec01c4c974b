"""Pilot tests of the workbench: each drives the real app (a real dev loop on a temp copy of an
example, real builds, a real server on a free port) with keys, and asserts what the screen
shows. Text snapshots at a fixed size (120×40) live in snapshots/; regenerate them with
DOO_UPDATE_SNAPSHOTS=1 and review the diff."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from screen import masked, screen_text, until
from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from doo.devloop import events as ev
from doo.tui.app import WorkbenchApp

REPO = Path(__file__).resolve().parents[2]
SNAPSHOTS = Path(__file__).parent / "snapshots"
SIZE = (120, 40)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def copy_example(tmp_path: Path, name: str) -> Path:
    dst = tmp_path / name
    shutil.copytree(REPO / "examples" / name, dst)
    return dst


def drive(project: Path, script: Callable[[WorkbenchApp, Pilot[None]], Awaitable[None]]) -> \
        WorkbenchApp:
    """Run the app on `project` at SIZE, wait for the first build, run `script`, quit with q."""
    app = WorkbenchApp(project, f"127.0.0.1:{free_port()}")

    async def main() -> None:
        async with app.run_test(size=SIZE) as pilot:
            try:
                await until(pilot, lambda: finished(app, 1) is not None, "the first build")
                await script(app, pilot)
                await pilot.press("q")
                await until(pilot, lambda: not app.is_running, "the app to quit", 30)
            finally:
                app.engine.stop()

    asyncio.run(main())
    return app


def finished(app: WorkbenchApp, build: int) -> ev.BuildFinished | None:
    for e in app.events:
        if isinstance(e, ev.BuildFinished) and e.build == build:
            return e
    return None


def text_of(app: WorkbenchApp, selector: str) -> str:
    return str(app.query_one(selector, Static).render())


async def check_snapshot(app: WorkbenchApp, pilot: Pilot[None], name: str) -> None:
    # Let pending layout (table column widths, wrapped text) settle before reading: on a
    # loaded machine a DataTable may draw once before it has measured its new rows, so wait
    # until two captures 50 ms apart agree (bounded).
    await pilot.wait_for_scheduled_animations()
    got = masked(screen_text(app))
    for _ in range(60):
        await pilot.pause(0.05)
        again = masked(screen_text(app))
        if again == got:
            break
        got = again
    path = SNAPSHOTS / f"{name}.txt"
    if os.environ.get("DOO_UPDATE_SNAPSHOTS") or not path.exists():
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(got, encoding="utf-8")
    assert got == path.read_text(encoding="utf-8"), f"screen differs from {path}"


def pid_exists(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists()


def edit(project: Path, old: str, new: str) -> None:
    main = project / "main.doo"
    text = main.read_text()
    assert old in text
    main.write_text(text.replace(old, new, 1))


def test_requests_tab_sends_the_selected_route_and_shows_200(tmp_path: Path) -> None:
    project = copy_example(tmp_path, "hello")

    async def script(app: WorkbenchApp, pilot: Pilot[None]) -> None:
        await pilot.press("3")
        await until(pilot, lambda: app.query_one("#routes", DataTable).row_count == 2, "routes")
        await pilot.press("s")
        await until(pilot, lambda: "200" in text_of(app, "#resp-status"), "the reply")
        assert "200  OK  GET /plaintext" in text_of(app, "#resp-status")
        assert app.query_one("#resp-body").text == "Hello, World!"  # type: ignore[attr-defined]
        assert "Content-Type: text/plain" in text_of(app, "#resp-headers")
        await pilot.press("down", "s")  # GET /json
        await until(pilot, lambda: app.query_one("#history", DataTable).row_count == 2,
                    "the second reply")
        assert app.query_one("#resp-body").text == '{"message":"Hello, World!"}'  # type: ignore[attr-defined]

    drive(project, script)


def test_a_type_error_shows_in_problems_and_the_fix_restarts_the_server(
        tmp_path: Path) -> None:
    project = copy_example(tmp_path, "hello")
    pids: list[int] = []

    async def script(app: WorkbenchApp, pilot: Pilot[None]) -> None:
        assert "No problems." in text_of(app, "#problems-summary")
        assert app.engine.server is not None
        pids.append(app.engine.server.pid)
        edit(project, 'return "Hello, World!";', 'return 1 + "x";')
        await until(pilot, lambda: finished(app, 2) is not None, "the failed build")
        table = app.query_one("#problems-table", DataTable)
        assert table.row_count == 1
        assert "1 error, 0 warnings" in text_of(app, "#problems-summary")
        frame = text_of(app, "#problems-frame")
        assert "error[E0110]: `+` does not apply to `Int` and `Str`" in frame
        assert ' 10 |     return 1 + "x";' in frame
        status = text_of(app, "#status")
        assert "#2 failed at check" in status and "STALE (serving #1)" in status
        await check_snapshot(app, pilot, "problems_type_error")

        await pilot.press("2")
        assert "STALE: build #2 failed (check failed); build #1 is still serving" in \
            text_of(app, "#server-banner")

        edit(project, 'return 1 + "x";', 'return "fixed";')
        await until(pilot, lambda: finished(app, 3) is not None, "the fixed build")
        assert finished(app, 3).ok  # type: ignore[union-attr]
        assert app.query_one("#problems-table", DataTable).row_count == 0
        assert "No problems." in text_of(app, "#problems-summary")
        assert text_of(app, "#server-banner") == ""
        assert app.engine.server is not None and app.engine.server.pid != pids[0]
        pids.append(app.engine.server.pid)
        assert not pid_exists(pids[0])
        assert "STALE" not in text_of(app, "#status")
        assert f"pid {pids[1]}" in text_of(app, "#status")

    drive(project, script)
    assert not any(pid_exists(p) for p in pids), "quitting left a server running"


def test_requests_tab_prefills_params_and_the_body_from_the_struct(tmp_path: Path) -> None:
    project = copy_example(tmp_path, "handlers")

    async def script(app: WorkbenchApp, pilot: Pilot[None]) -> None:
        await pilot.press("3")
        await until(pilot, lambda: app.query_one("#routes", DataTable).row_count == 9, "routes")
        await pilot.press("down")  # GET /square/:n, n pre-filled with 1
        await until(pilot, lambda: "/square/:n" in text_of(app, "#req-title"), "the route")
        param = app.query_one(".param-input")
        param.value = "12"  # type: ignore[attr-defined]
        await pilot.press("s")
        await until(pilot, lambda: "GET /square/12" in text_of(app, "#resp-status"), "a reply")
        assert app.query_one("#resp-body").text == "144"  # type: ignore[attr-defined]
        await pilot.press("down", "down", "down", "down")  # POST /signup
        await until(pilot, lambda: "Signup" in text_of(app, "#req-title"), "the body route")
        body = app.query_one("#req-body").text  # type: ignore[attr-defined]
        assert '"email": "someone@example.com"' in body and '"priority": "Medium"' in body
        await pilot.press("s")
        await until(pilot, lambda: "201" in text_of(app, "#resp-status"), "201 Created")
        await check_snapshot(app, pilot, "requests_signup")

    drive(project, script)


def test_help_lists_every_key(tmp_path: Path) -> None:
    project = copy_example(tmp_path, "hello")

    async def script(app: WorkbenchApp, pilot: Pilot[None]) -> None:
        await pilot.press("question_mark")
        await pilot.pause()
        screen = screen_text(app)
        for key, what in (("q", "Quit"), ("r", "Rebuild"), ("s", "Send"), ("b", "Run bench"),
                          ("c", "Clear log"), ("4", "Bench")):
            assert any(line.split()[1:3] == [key, what.split()[0]] for line in
                       screen.splitlines() if len(line.split()) > 2), f"{key} {what}"
        await check_snapshot(app, pilot, "help")
        await pilot.press("escape")
        await pilot.pause()

    drive(project, script)


def test_bench_tab_loads_a_release_build_and_compares_runs(tmp_path: Path) -> None:
    pytest.importorskip("doo.devloop.benchrun")
    project = copy_example(tmp_path, "hello")

    async def script(app: WorkbenchApp, pilot: Pilot[None]) -> None:
        await pilot.press("4")
        pane = app.bench
        assert pane is not None
        app.query_one("#bench-duration").value = "1s"  # type: ignore[attr-defined]
        app.query_one("#bench-conns").value = "4"  # type: ignore[attr-defined]
        for run in (1, 2):
            await pilot.press("b")
            await until(pilot, lambda n=run: len(pane.results) == n,  # type: ignore[misc]
                        f"bench run {run}", 120)
        assert len(pane.rps) >= 2, "no live ticks were drawn"
        table = app.query_one("#bench-compare", DataTable)
        assert table.row_count == 7
        row = [str(c) for c in table.get_row_at(0)]
        assert row[0] == "requests/s" and row[1] and row[2] and row[3].endswith("%")
        assert "requests in" in text_of(app, "#bench-live")
        assert pane.results[-1].errors == 0 and pane.results[-1].non2xx == 0
        # The dev server was not what we loaded: it saw no bench traffic.
        assert not any(isinstance(e, ev.ServerLog) and "/plaintext" in e.line
                       for e in app.events)

    drive(project, script)
