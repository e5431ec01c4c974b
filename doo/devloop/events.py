"""The events of the dev loop: plain, frozen dataclasses.

The engine reports everything it does through one callback that receives these objects, in
order, from its own threads. `doo dev` prints them, `doo dev --jsonl` writes `to_json()` of
each as one line, the workbench turns them into widget updates, and the tests assert on the
sequence. A build is numbered from 1; events that belong to a build carry its number.

Timings are seconds. A build's phases are "check" (parse and type-check, in-process), "c"
(lower to IR and emit C), "zig" (compile and link) and "start" (exec of the new server until
its port accepts connections); "total" is from the save (the newest changed file's mtime) to
serving.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from doo.devloop.routes import RouteSpec
from doo.diagnostics import Diagnostic

PHASES = ("check", "c", "zig", "start")


@dataclass(frozen=True)
class Event:
    """Base of every event; `kind` is the class name, used as the JSON "event" field."""

    @property
    def kind(self) -> str:
        return type(self).__name__

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"event": self.kind}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name == "sources":
                continue  # the program text: large, and the tool has the files
            out[f.name] = _jsonable(value)
        return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, Diagnostic):
        return value.to_json()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: _jsonable(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, float):
        return round(value, 6)
    return value


@dataclass(frozen=True)
class Watching(Event):
    """The watcher is running on `root` (build outputs under `root/build` are ignored)."""

    root: str
    addr: str


@dataclass(frozen=True)
class SaveSkipped(Event):
    """Files were saved but no watched file changed its content: nothing to do."""

    files: tuple[str, ...]


@dataclass(frozen=True)
class BuildStarted(Event):
    """A build begins; `files` are the changed files (empty for the first build)."""

    build: int
    files: tuple[str, ...]


@dataclass(frozen=True)
class Diagnostics(Event):
    """The result of the in-process check, always sent (an empty list clears old problems).
    `sources` maps file names to text, for `doo.diagnostics.render`."""

    build: int
    diagnostics: tuple[Diagnostic, ...]
    sources: dict[str, str] = field(default_factory=dict, compare=False)
    seconds: float = 0.0

    @property
    def errors(self) -> int:
        return sum(1 for d in self.diagnostics if d.severity == "error")


@dataclass(frozen=True)
class Routes(Event):
    """The route table of the program that was just built (and is about to serve)."""

    build: int
    routes: tuple[RouteSpec, ...]


@dataclass(frozen=True)
class ServerStarted(Event):
    """A server accepts connections at `addr` (host:port); `seconds` is exec → accepting."""

    build: int
    pid: int
    addr: str
    seconds: float


@dataclass(frozen=True)
class ServerLog(Event):
    """One line the server wrote; `stream` is "stdout" or "stderr"."""

    pid: int
    line: str
    stream: str = "stderr"


@dataclass(frozen=True)
class ServerExited(Event):
    """A server process ended. `expected` is False when it died without being asked to."""

    pid: int
    returncode: int
    expected: bool


@dataclass(frozen=True)
class Stale(Event):
    """Build `build` failed; the server of build `serving` (if any) keeps running, stale."""

    build: int
    serving: int | None
    reason: str


@dataclass(frozen=True)
class BuildFinished(Event):
    """The end of a build. `ok` means the new binary is serving. `phase` names the phase
    that failed ("check", "zig", "start") and `error` says why (empty when ok)."""

    build: int
    ok: bool
    timings: dict[str, float]
    phase: str = ""
    error: str = ""


@dataclass(frozen=True)
class Stopped(Event):
    """The loop has ended and its server (if any) has exited."""
