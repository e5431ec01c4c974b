"""Server: the live log of the running binary, with a line per restart, and a banner that says
when the server is stale (the last build failed and an older binary is still serving)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import RichLog, Static

from doo.devloop import events as ev

MAX_LINES = 5000


class ServerPane(Vertical):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("c", "clear_log", "Clear log")]

    def compose(self) -> ComposeResult:
        yield Static("", id="server-banner")
        yield RichLog(id="server-log", max_lines=MAX_LINES, wrap=True, markup=False)

    @property
    def log_widget(self) -> RichLog:
        return self.query_one("#server-log", RichLog)

    def apply(self, e: ev.Event) -> None:
        log = self.log_widget
        banner = self.query_one("#server-banner", Static)
        if isinstance(e, ev.ServerLog):
            log.write(Text(f"[{e.pid}] {e.line}"))
        elif isinstance(e, ev.ServerStarted):
            log.write(Text(f"── build #{e.build}: pid {e.pid} serving http://{e.addr}",
                           style="bold"))
            banner.update("")
            banner.remove_class("stale")
        elif isinstance(e, ev.ServerExited):
            how = "stopped" if e.expected else "EXITED UNEXPECTEDLY"
            log.write(Text(f"── pid {e.pid} {how} (status {e.returncode})",
                           style="dim" if e.expected else "bold red"))
        elif isinstance(e, ev.Stale):
            served = f"build #{e.serving}" if e.serving else "an older build"
            banner.update(f"STALE: build #{e.build} failed ({e.reason}); {served} is still "
                          "serving")
            banner.add_class("stale")
        elif isinstance(e, ev.BuildFinished) and not e.ok and e.phase == "start":
            banner.update(f"build #{e.build} did not start: {e.error}")
            banner.add_class("stale")

    def action_clear_log(self) -> None:
        self.log_widget.clear()
