"""Bench: load one route of a release build with N connections for D seconds.

The run is `doo.devloop.benchrun.bench_project` (the one load engine, shared with `doo bench`)
in a thread worker: it builds the project with --release, starts that binary on a free port
(not the dev server), loads it and stops it. Its ticks (4 a second) arrive as messages and
redraw requests/s, the latency percentiles and a sparkline of requests/s; at the end the
result is compared with the previous run.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, DataTable, Input, Label, Sparkline, Static

from doo.devloop.routes import RouteSpec

METRICS = (("requests/s", "rps", True), ("p50 ms", "p50_ms", False),
           ("p90 ms", "p90_ms", False), ("p99 ms", "p99_ms", False),
           ("max ms", "max_ms", False), ("errors", "errors", False), ("non-2xx", "non2xx", False))


class BenchTicked(Message):
    def __init__(self, tick: Any) -> None:
        super().__init__()
        self.tick = tick


class BenchProgress(Message):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class BenchDone(Message):
    """`result` is a BenchResult, or None with `error` saying why."""

    def __init__(self, result: Any, error: str = "") -> None:
        super().__init__()
        self.result = result
        self.error = error


def parse_duration(text: str) -> float:
    t = text.strip().lower()
    for suffix, scale in (("ms", 0.001), ("s", 1.0), ("m", 60.0)):
        if t.endswith(suffix):
            return float(t[: -len(suffix)]) * scale
    return float(t)


def delta(now: float, before: float, higher_is_better: bool) -> Text:
    if before == 0:
        return Text("")
    change = (now - before) / before * 100
    good = change >= 0 if higher_is_better else change <= 0
    return Text(f"{change:+.1f}%", style="green" if good else "red")


class BenchPane(Vertical):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("b", "run_bench", "Run bench"), Binding("x", "stop_bench", "Stop")]

    def __init__(self, path: Path, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.path = path
        self.stop_event = threading.Event()
        self.running = False
        self.rps: list[float] = []
        self.results: list[Any] = []  # every finished BenchResult, oldest first
        self.target = ""
        self.thread: threading.Thread | None = None  # the running worker's thread

    def compose(self) -> ComposeResult:
        with Horizontal(id="bench-form"):
            yield Label("route")
            yield Input("/plaintext", id="bench-target")
            yield Label("connections")
            yield Input("64", id="bench-conns", type="integer")
            yield Label("duration")
            yield Input("5s", id="bench-duration")
            yield Button("Run (b)", id="bench-run", variant="primary")
            yield Button("Stop (x)", id="bench-stop")
        yield Static("Press b to build with --release and load the route.", id="bench-live")
        yield Sparkline([], id="bench-spark")
        table: DataTable[str] = DataTable(id="bench-compare", cursor_type="none")
        table.add_columns("", "this run", "previous", "change")
        yield table

    def set_routes(self, routes: tuple[RouteSpec, ...]) -> None:
        """Point the form at a GET route without parameters, unless it already names one."""
        box = self.query_one("#bench-target", Input)
        paths = [r.path for r in routes if r.method == "GET" and not r.path_params]
        if paths and box.value not in paths:
            box.value = paths[0]

    # --- running -------------------------------------------------------------------------

    def action_run_bench(self) -> None:
        if self.running:
            return
        live = self.query_one("#bench-live", Static)
        try:
            from doo.devloop import bench, benchrun
        except ImportError as e:  # the bench engine is a separate module; say so plainly
            live.update(Text(f"the bench engine is not available: {e}", style="red"))
            return
        try:
            conns = int(self.query_one("#bench-conns", Input).value)
            duration = parse_duration(self.query_one("#bench-duration", Input).value)
        except ValueError:
            live.update(Text("connections must be a number and duration like 5s or 500ms",
                             style="red"))
            return
        self.target = self.query_one("#bench-target", Input).value.strip() or "/"
        cfg = bench.BenchConfig(path=self.target, connections=max(1, conns),
                                duration=max(0.1, duration), tick=0.25)
        self.running, self.rps = True, []
        self.stop_event = threading.Event()
        self.query_one("#bench-spark", Sparkline).data = []
        live.update(f"building {self.path.name} with --release…")
        stop, path = self.stop_event, self.path

        def tick(t: Any) -> None:
            self.post_message(BenchTicked(t))

        def say(text: str) -> None:
            self.post_message(BenchProgress(text))

        def work() -> None:
            self.thread = threading.current_thread()
            try:
                run = benchrun.bench_project(path, cfg, on_tick=tick, progress=say, stop=stop)
            except Exception as e:  # noqa: BLE001 - shown in the tab, never a crash
                self.post_message(BenchDone(None, f"{type(e).__name__}: {e}"))
                return
            if run.result is None:
                why = "stopped" if stop.is_set() else "the release build failed " \
                    f"({sum(1 for d in run.build.diagnostics if d.severity == 'error')} errors)"
                self.post_message(BenchDone(None, why))
            else:
                self.post_message(BenchDone(run.result))

        self.run_worker(work, thread=True, group="bench", exit_on_error=False)

    def action_stop_bench(self) -> None:
        self.stop_event.set()

    @on(Button.Pressed, "#bench-run")
    def _run_pressed(self) -> None:
        self.action_run_bench()

    @on(Button.Pressed, "#bench-stop")
    def _stop_pressed(self) -> None:
        self.action_stop_bench()

    def on_bench_progress(self, m: BenchProgress) -> None:
        self.query_one("#bench-live", Static).update(m.text)

    def on_bench_ticked(self, m: BenchTicked) -> None:
        t = m.tick
        self.rps.append(t.rps)
        self.query_one("#bench-spark", Sparkline).data = list(self.rps)
        self.query_one("#bench-live", Static).update(Text(
            f"GET {self.target}  t={t.t:.1f}s  {t.rps:,.0f} req/s   p50 {t.p50_ms:.2f} ms   "
            f"p90 {t.p90_ms:.2f} ms   p99 {t.p99_ms:.2f} ms   max {t.max_ms:.2f} ms   "
            f"errors {t.errors}  non-2xx {t.non2xx}"))

    def on_bench_done(self, m: BenchDone) -> None:
        self.running = False
        live = self.query_one("#bench-live", Static)
        if m.result is None:
            live.update(Text(f"bench: {m.error}", style="red"))
            return
        r = m.result
        live.update(Text(f"GET {self.target}: {r.requests:,} requests in {r.duration:.1f} s, "
                         f"{r.rps:,.0f} req/s", style="bold"))
        prev = self.results[-1] if self.results else None
        self.results.append(r)
        table = self.query_one("#bench-compare", DataTable)
        table.clear()
        for label, attr, higher in METRICS:
            now = float(getattr(r, attr))
            before = float(getattr(prev, attr)) if prev is not None else None
            fmt = "{:,.0f}" if attr in ("rps", "errors", "non2xx") else "{:.2f}"
            table.add_row(label, fmt.format(now), "" if before is None else fmt.format(before),
                          delta(now, before, higher) if before is not None else Text(""))
