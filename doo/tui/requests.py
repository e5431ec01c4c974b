"""Requests: the route table of the serving program; pick a route, edit its path parameters,
query and JSON body (pre-filled from the struct), send it, and read the status, headers, body
and time. Every answer goes into the history, where selecting a row shows it again.

Sending is a thread worker (`doo.devloop.client.send`, standard library only) that posts a
`ReplyReceived` message, so a slow handler never blocks the screen.
"""

from __future__ import annotations

from typing import ClassVar
from urllib.parse import parse_qsl

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, DataTable, Input, Label, Static, TextArea

from doo.devloop import client
from doo.devloop.routes import RouteSpec, fill_path
from doo.tui.messages import ReplyReceived

SAMPLE = {"Int": "1", "Float": "1.5", "Bool": "true"}


class RequestsPane(Horizontal):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "send", "Send"), Binding("ctrl+s", "send", "Send", show=False)]

    def __init__(self, addr: str, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.addr = addr
        self.routes: tuple[RouteSpec, ...] = ()
        self.route: RouteSpec | None = None
        self.history: list[client.Reply] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="req-left"):
            routes: DataTable[str] = DataTable(id="routes", cursor_type="row")
            routes.add_columns("method", "path", "handler")
            yield routes
            yield Label("History")
            history: DataTable[str] = DataTable(id="history", cursor_type="row")
            history.add_columns("status", "request", "time")
            yield history
        with VerticalScroll(id="req-right"):
            yield Static("No routes yet (waiting for the first build).", id="req-title")
            yield Vertical(id="req-params")
            yield Input(placeholder="query: a=1&b=2", id="req-query")
            yield TextArea("", id="req-body", soft_wrap=True)
            yield Button("Send  (s)", id="req-send", variant="primary")
            yield Static("", id="resp-status")
            yield Static("", id="resp-headers")
            yield TextArea("", id="resp-body", read_only=True, soft_wrap=True)

    # --- routes --------------------------------------------------------------------------

    def set_routes(self, routes: tuple[RouteSpec, ...]) -> None:
        if routes == self.routes:
            return
        keep = self.route.label if self.route else None
        self.routes = routes
        table = self.query_one("#routes", DataTable)
        table.clear()
        for i, r in enumerate(routes):
            table.add_row(Text(r.method, style="bold"), r.path, r.handler,
                          key=str(i))
        labels = [r.label for r in routes]
        row = labels.index(keep) if keep in labels else 0
        if routes:
            table.move_cursor(row=row)
            self.select(routes[row])

    @on(DataTable.RowHighlighted, "#routes")
    def _route_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if 0 <= event.cursor_row < len(self.routes):
            self.select(self.routes[event.cursor_row])

    @on(DataTable.RowSelected, "#routes")
    def _route_chosen(self, event: DataTable.RowSelected) -> None:
        self.action_send()

    def select(self, route: RouteSpec) -> None:
        if self.route == route:
            return
        self.route = route
        title = f"{route.label}  →  {route.handler}"
        if route.body_type:
            title += f"  (JSON body: {route.body_type})"
        self.query_one("#req-title", Static).update(Text(title, style="bold"))
        params = self.query_one("#req-params", Vertical)
        params.remove_children()
        rows = [Horizontal(Label(f":{p.name} ({p.type})", classes="param-label"),
                           Input(SAMPLE.get(p.type, "world"), name=p.name,
                                 classes="param-input"),
                           classes="param-row") for p in route.path_params]
        if rows:
            params.mount_all(rows)
        self.query_one("#req-query", Input).value = "&".join(
            f"{p.name}=" + ("" if p.optional else SAMPLE.get(p.type, "x"))
            for p in route.query_params)
        self.query_one("#req-body", TextArea).text = route.body_example

    # --- sending -------------------------------------------------------------------------

    def target(self) -> str:
        assert self.route is not None
        values = {str(i.name): i.value for i in self.query(".param-input").results(Input)}
        query = dict(parse_qsl(self.query_one("#req-query", Input).value,
                               keep_blank_values=True))
        return fill_path(self.route.path, values, query)

    def action_send(self) -> None:
        if self.route is None:
            return
        method, target = self.route.method, self.target()
        body = self.query_one("#req-body", TextArea).text
        if method not in ("POST", "PUT", "PATCH") and not self.route.body_type:
            body = ""
        self.query_one("#resp-status", Static).update(f"sending {method} {target}…")
        addr = self.addr

        def work() -> None:
            self.post_message(ReplyReceived(client.send(addr, method, target, body)))

        self.run_worker(work, thread=True, group="requests")

    @on(Button.Pressed, "#req-send")
    def _send_pressed(self) -> None:
        self.action_send()

    @on(Input.Submitted)
    def _input_submitted(self) -> None:
        self.action_send()

    def on_reply_received(self, message: ReplyReceived) -> None:
        r = message.reply
        self.history.append(r)
        table = self.query_one("#history", DataTable)
        table.add_row(_status_text(r), f"{r.method} {r.target}",
                      f"{r.seconds * 1000:.1f} ms", key=str(len(self.history) - 1))
        self.show(r)

    @on(DataTable.RowSelected, "#history")
    def _history_chosen(self, event: DataTable.RowSelected) -> None:
        if 0 <= event.cursor_row < len(self.history):
            self.show(self.history[event.cursor_row])

    def show(self, r: client.Reply) -> None:
        status = _status_text(r)
        status.append(f"  {r.reason}" if r.status else "")
        status.append(f"  {r.method} {r.target}  {r.seconds * 1000:.1f} ms", style="dim")
        self.query_one("#resp-status", Static).update(status)
        self.query_one("#resp-headers", Static).update(
            "\n".join(f"{k}: {v}" for k, v in r.headers))
        self.query_one("#resp-body", TextArea).text = r.body if r.status else r.reason


def _status_text(r: client.Reply) -> Text:
    if r.status == 0:
        return Text("failed", style="bold red")
    style = "bold green" if r.status < 300 else ("bold yellow" if r.status < 500 else "bold red")
    return Text(str(r.status), style=style)
