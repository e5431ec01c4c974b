"""`doo dev`: the dev loop with plain terminal output, or JSON lines for tools.

Plain output is one line per build with its phase timings, the diagnostics of a failed check
with their code frames (`doo.diagnostics.render`), and the server's log lines prefixed with
`[server PID]`. `--jsonl` writes every event as one JSON object per line (`Event.to_json`).
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import TextIO

from doo.devloop import events as ev
from doo.devloop.engine import DevLoop
from doo.diagnostics import render


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def timing_line(timings: dict[str, float]) -> str:
    parts = [f"{k} {ms(timings[k])}" for k in ev.PHASES if k in timings]
    if "total" in timings:
        parts.append(f"save→serving {ms(timings['total'])}")
    return " · ".join(parts)


class Printer:
    """Turns events into lines. Called from the loop's threads, so it prints under a lock."""

    def __init__(self, out: TextIO, jsonl: bool = False):
        self.out = out
        self.jsonl = jsonl
        self.lock = threading.Lock()
        self.addr = ""

    def __call__(self, e: ev.Event) -> None:
        with self.lock:
            text = json.dumps(e.to_json(), ensure_ascii=False) if self.jsonl else self.format(e)
            if text is not None:
                print(text, file=self.out, flush=True)

    def format(self, e: ev.Event) -> str | None:
        if isinstance(e, ev.Watching):
            return f"doo dev: watching {e.root} (Ctrl-C stops)"
        if isinstance(e, ev.SaveSkipped):
            return f"doo dev: {', '.join(e.files) or 'a file'} saved without changes; skipped"
        if isinstance(e, ev.Diagnostics):
            return "\n\n".join(render(d, e.sources) for d in e.diagnostics) or None
        if isinstance(e, ev.ServerStarted):
            self.addr = e.addr
            return None
        if isinstance(e, ev.ServerLog):
            return f"[server {e.pid}] {e.line}"
        if isinstance(e, ev.ServerExited):
            return None if e.expected else \
                f"doo dev: the server (pid {e.pid}) exited with status {e.returncode}"
        if isinstance(e, ev.Stale):
            served = f"build #{e.serving}" if e.serving else "nothing"
            return f"doo dev: still serving {served} (stale)"
        if isinstance(e, ev.BuildFinished):
            if e.ok:
                return f"doo dev: #{e.build} serving http://{self.addr}  {timing_line(e.timings)}"
            first = e.error.splitlines()[0] if e.error else ""
            rest = "\n".join(e.error.splitlines()[1:])
            line = f"doo dev: #{e.build} failed at {e.phase}: {first}"
            return line + (f"\n{rest}" if rest else "")
        if isinstance(e, ev.Stopped):
            return "doo dev: stopped"
        return None


def run(path: Path, addr: str | None, jsonl: bool, out: TextIO | None = None) -> int:
    """Run the loop in the foreground until Ctrl-C, SIGTERM or SIGHUP; stop the server."""
    loop = DevLoop(path, Printer(out or sys.stdout, jsonl), addr=addr)

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, interrupt)
    try:
        loop.run()
    except KeyboardInterrupt:
        pass
    finally:
        loop.stop()
    return 0
