"""The workbench app: a status line, four tabs (Problems, Server, Requests, Bench), the keys
in the footer and `?` for help.

Input: a project path and the address to serve on. The app owns one `DevLoop`: the loop's
threads post each event as an `EngineEvent` message, and `on_engine_event` hands it to the
widgets on the UI thread. Requests and bench runs are thread workers that post messages too;
nothing slow runs on the UI thread. Quitting stops the bench run (its release server), then
the loop and its dev server, before the app exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from pathlib import Path
from typing import ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Footer, TabbedContent, TabPane

from doo.devloop import events as ev
from doo.devloop.engine import DevLoop, default_addr
from doo.tui.bench import BenchPane
from doo.tui.help import HelpScreen
from doo.tui.messages import EngineEvent
from doo.tui.problems import ProblemsPane
from doo.tui.requests import RequestsPane
from doo.tui.server_log import ServerPane
from doo.tui.status import StatusLine

TABS = ("problems", "server", "requests", "bench")
FIRST_FOCUS = {"problems": "#problems-table", "server": "#server-log",
               "requests": "#routes", "bench": "#bench-run"}


class WorkbenchApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "doo tui"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "help", "Help"),
        Binding("1", "show_tab('problems')", "Problems"),
        Binding("2", "show_tab('server')", "Server"),
        Binding("3", "show_tab('requests')", "Requests"),
        Binding("4", "show_tab('bench')", "Bench"),
        Binding("r", "rebuild", "Rebuild"),
    ]

    def __init__(self, path: Path, addr: str | None = None) -> None:
        super().__init__()
        self.path = path.resolve()
        self.addr = addr or default_addr()
        self.engine = DevLoop(self.path, self._from_engine, addr=self.addr)
        self.events: list[ev.Event] = []  # everything the loop said, for tests and debugging
        self._shut_down = False
        self.bench: BenchPane | None = None

    def compose(self) -> ComposeResult:
        root = self.path if self.path.is_dir() else self.path.parent
        yield StatusLine(root.name, self.addr, id="status")
        with TabbedContent(initial="problems"):
            with TabPane("Problems", id="problems"):
                yield ProblemsPane(root, id="problems-pane")
            with TabPane("Server", id="server"):
                yield ServerPane(id="server-pane")
            with TabPane("Requests", id="requests"):
                yield RequestsPane(self.addr, id="requests-pane")
            with TabPane("Bench", id="bench"):
                yield BenchPane(self.path, id="bench-pane")
        yield Footer()

    def on_mount(self) -> None:
        self.bench = self.query_one(BenchPane)
        self.engine.start()
        self.query_one("#problems-table").focus()

    # --- the dev loop --------------------------------------------------------------------

    def _from_engine(self, e: ev.Event) -> None:
        """Called on the loop's threads: hand the event to the UI thread."""
        self.post_message(EngineEvent(e))

    def on_engine_event(self, message: EngineEvent) -> None:
        e = message.event
        self.events.append(e)
        self.query_one(StatusLine).apply(e)
        self.query_one(ProblemsPane).apply(e)
        self.query_one(ServerPane).apply(e)
        if isinstance(e, ev.Routes):
            self.query_one(RequestsPane).set_routes(e.routes)
            self.query_one(BenchPane).set_routes(e.routes)
        if isinstance(e, ev.ServerStarted):
            self.query_one(RequestsPane).addr = e.addr

    # --- actions -------------------------------------------------------------------------

    def action_show_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        self.query_one(FIRST_FOCUS[tab]).focus()

    def action_rebuild(self) -> None:
        self.engine.build_now()

    def action_help(self) -> None:
        sections: list[tuple[str, list[BindingType]]] = [
            ("Everywhere", list(self.BINDINGS)),
            ("Problems", [Binding("up,down", "", "select a problem (its code frame shows "
                                  "below)")]),
            ("Server", list(ServerPane.BINDINGS)),
            ("Requests", [*RequestsPane.BINDINGS,
                          Binding("enter", "", "send the selected route / from a field"),
                          Binding("tab", "", "move between the route, fields and body")]),
            ("Bench", list(BenchPane.BINDINGS)),
        ]
        self.push_screen(HelpScreen(sections))

    async def action_quit(self) -> None:
        await self.shutdown()
        self.exit()

    async def shutdown(self) -> None:
        """Stop the bench run and wait for its worker (which stops its server), then the
        dev loop and its server. Safe to call twice."""
        if self._shut_down:
            return
        self._shut_down = True
        self.query_one(BenchPane).stop_event.set()
        for worker in list(self.workers):
            if worker.group == "bench":
                with contextlib.suppress(Exception):  # a failed run has nothing left to stop
                    await worker.wait()
        await asyncio.to_thread(self.engine.stop)


def run(path: Path, addr: str | None = None) -> int:
    app = WorkbenchApp(path, addr)
    # A closed terminal (SIGHUP) or a kill (SIGTERM) ends the app the normal way, so that the
    # `finally` below still stops the servers (they run in their own sessions).
    for sig in (signal.SIGHUP, signal.SIGTERM):
        signal.signal(sig, lambda signum, frame: app.exit())
    try:
        app.run()
    finally:
        # However the app ended (quit key, Ctrl-C, a crash), no child process may remain.
        if app.bench is not None:
            app.bench.stop_event.set()
            if app.bench.thread is not None:
                app.bench.thread.join(timeout=30)
        app.engine.stop()
    return 0
