"""Helpers for the workbench tests: a plain-text screenshot with the variable parts masked,
and waiting for a condition of the running app (each wait has a deadline)."""

from __future__ import annotations

import io
import re
from collections.abc import Callable

from rich.console import Console
from textual.app import App
from textual.pilot import Pilot

MASKS = [
    (re.compile(r"pid \d+"), "pid N"),
    (re.compile(r"\[\d+\]"), "[N]"),
    (re.compile(r"127\.0\.0\.1:\d+"), "127.0.0.1:PORT"),
    (re.compile(r"\d+(\.\d+)? ms"), "N ms"),
    (re.compile(r"up \d+:\d\d(:\d\d)?"), "up T"),
    (re.compile(r"(Date: ).*"), r"\1DATE"),
    (re.compile(r"(X-Request-Id: )\w+"), r"\1ID"),
    (re.compile(r"/tmp/\S+/"), "TMP/"),
]


def screen_text(app: App[None]) -> str:
    """The screen as plain text, as `App.export_screenshot` renders it but without styles."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True,
                      color_system=None, record=True, legacy_windows=False, safe_box=False)
    console.print(app.screen._compositor.render_update(
        full=True, screen_stack=app._background_screens))
    return console.export_text(styles=False)


def masked(text: str) -> str:
    for pattern, repl in MASKS:
        text = pattern.sub(repl, text)
    return "\n".join(line.rstrip() for line in text.splitlines()) + "\n"


async def until(pilot: Pilot[None], cond: Callable[[], bool], what: str,
                deadline: float = 60.0) -> None:
    """Let the app run until `cond()` holds; fail naming `what` after `deadline` seconds."""
    waited = 0.0
    while not cond():
        if waited > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.02)
        waited += 0.02
