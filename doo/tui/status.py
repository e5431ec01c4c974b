"""The status line: project, last build and its phase timings, the server, the watcher.

It keeps its own small state, updated from dev-loop events, and redraws once a second for
the server's uptime.
"""

from __future__ import annotations

import time

from rich.text import Text
from textual.widgets import Static

from doo.devloop import events as ev
from doo.devloop.console import timing_line


def uptime(seconds: float) -> str:
    s = int(seconds)
    if s >= 3600:
        return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"
    return f"{s // 60}:{s % 60:02d}"


class StatusLine(Static):
    def __init__(self, project: str, addr: str, **kw: object) -> None:
        super().__init__("", **kw)  # type: ignore[arg-type]
        self.project = project
        self.addr = addr
        self.build = 0
        self.result = "starting"  # "building", "ok", "failed at check", ...
        self.timings: dict[str, float] = {}
        self.pid: int | None = None
        self.serving: int | None = None
        self.since: float | None = None
        self.stale = False
        self.watch_state = "starting"

    def on_mount(self) -> None:
        self.set_interval(1.0, self.redraw)
        self.redraw()

    def apply(self, e: ev.Event) -> None:
        if isinstance(e, ev.Watching):
            self.watch_state = "watching"
        elif isinstance(e, ev.BuildStarted):
            self.build, self.result, self.timings = e.build, "building", {}
        elif isinstance(e, ev.ServerStarted):
            self.pid, self.addr, self.serving, self.since = e.pid, e.addr, e.build, time.time()
            self.stale = False
        elif isinstance(e, ev.ServerExited) and e.pid == self.pid:
            self.pid, self.since = None, None
        elif isinstance(e, ev.Stale):
            self.stale = True
        elif isinstance(e, ev.BuildFinished):
            self.result = "ok" if e.ok else f"failed at {e.phase}"
            self.timings = dict(e.timings)
        elif isinstance(e, ev.Stopped):
            self.watch_state, self.pid = "stopped", None
        else:
            return
        self.redraw()

    def redraw(self) -> None:
        t = Text()
        t.append(" doo ", style="bold reverse")
        t.append(f" {self.project} ", style="bold")
        t.append("│ ")
        t.append(f"#{self.build} " if self.build else "")
        style = "green" if self.result == "ok" else ("yellow" if self.result in (
            "building", "starting") else "bold red")
        t.append(self.result, style=style)
        if self.timings:
            t.append("  " + timing_line(self.timings), style="dim")
        t.append("\n")
        t.append(" server ", style="reverse")
        t.append(" ")
        if self.pid is not None and self.since is not None:
            t.append(f"pid {self.pid} http://{self.addr} up {uptime(time.time() - self.since)}")
            if self.stale:
                t.append(f"  STALE (serving #{self.serving})", style="bold yellow")
        else:
            t.append(f"no server ({self.addr})", style="red" if self.build else "dim")
        t.append(f" │ {self.watch_state}", style="dim")
        self.update(t)
