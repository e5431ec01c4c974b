"""The dev loop: on every save, re-check in-process, rebuild, and restart the server.

Input: a project folder (or .doo file), the address to serve on, and a callback for events.
Output: a sequence of `doo.devloop.events` objects, and at most one running server.

Two threads:
- the watcher runs watchfiles on the project folder (only `.doo` files and `.env`; the build
  outputs under `build/` are outside the watched set) and queues batches of changed paths.
  watchfiles debounces: a batch is handed over once no new change came for `step_ms`, so an
  editor's write-rename-chmod arrives as one save.
- the builder takes every batch waiting in the queue at once (saves during a build coalesce
  into one rebuild), compares file contents with the last build's (a save that changes no
  byte is skipped), then checks, builds and restarts.

A build: check (`pipeline.check_path`, in-process and warm, so diagnostics arrive within a
few milliseconds of the debounce) → build (`pipeline.build`, dev mode; the toolchain installs
the binary by atomic rename) → stop the old server (SIGTERM to its process group, wait until it
is reaped) → start the new one on the same address and wait until the port accepts. A failed
check or build leaves the last good server running and reports it stale. `stop()` ends both
threads and the server; no server outlives the loop.
"""

from __future__ import annotations

import hashlib
import os
import queue
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from watchfiles import Change, DefaultFilter, watch

from doo import pipeline
from doo.backend_c import toolchain
from doo.devloop import events as ev
from doo.devloop.routes import routes_of
from doo.devloop.server import ServerProcess, StartError

EventFn = Callable[[ev.Event], None]
DEFAULT_ADDR = "127.0.0.1:3000"


def default_addr(environ: dict[str, str] | None = None) -> str:
    """DOO_ADDR (":8080" means 127.0.0.1:8080), else PORT, else 127.0.0.1:3000."""
    env = os.environ if environ is None else environ
    addr = env.get("DOO_ADDR", "").strip()
    if addr:
        host, _, port = addr.rpartition(":")
        return f"{host or '127.0.0.1'}:{port}"
    port = env.get("PORT", "").strip()
    return f"127.0.0.1:{port}" if port else DEFAULT_ADDR


def is_watched(path: Path, root: Path) -> bool:
    """Sources and the environment file; never anything under the build folder."""
    if path.name != ".env" and path.suffix != ".doo":
        return False
    try:
        rel = path.relative_to(root)
    except ValueError:
        return False
    return not rel.parts or rel.parts[0] != "build"


class _Filter(DefaultFilter):
    def __init__(self, root: Path):
        super().__init__(ignore_paths=[str(root / "build")])
        self.root = root

    def __call__(self, change: Change, path: str) -> bool:
        return super().__call__(change, path) and is_watched(Path(path), self.root)


def snapshot(root: Path) -> dict[str, str]:
    """sha256 of every watched file under `root`, by path: the "did anything change" test."""
    out: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        dirnames[:] = [d for d in dirnames if not d.startswith(".")
                       and not (here == root and d == "build")]
        for name in filenames:
            p = here / name
            if is_watched(p, root):
                try:
                    out[str(p)] = hashlib.sha256(p.read_bytes()).hexdigest()
                except OSError:
                    continue
    return out


class DevLoop:
    """Watch → check → build → restart. `start()` runs it in the background; `stop()` ends it.

    `notify(paths)` queues a change by hand (what the watcher does on a save); `build_now()`
    rebuilds whatever the files say. Both are safe from any thread.
    """

    def __init__(self, path: Path, on_event: EventFn, addr: str | None = None,
                 env: dict[str, str] | None = None, step_ms: int = 40,
                 opts: toolchain.BuildOptions | None = None, watch_files: bool = True):
        self.path = path.resolve()
        self.root = pipeline.project_root(self.path)
        self.addr = addr or default_addr()
        self.emit = on_event
        self.extra_env = env or {}
        self.step_ms = step_ms
        self.opts = opts or toolchain.BuildOptions(mode="dev")
        self.watch_files = watch_files
        self.out = pipeline.default_output(self.path)
        self.build_number = 0
        self.server: ServerProcess | None = None
        self.serving_build: int | None = None
        self.stale = False
        self.watching = threading.Event()
        self._stop = threading.Event()
        self._queue: queue.Queue[tuple[str, ...] | None] = queue.Queue()
        self._hashes: dict[str, str] = {}
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()  # one build or stop at a time
        self._stopped = False

    # --- control -------------------------------------------------------------------------

    def start(self) -> None:
        builder = threading.Thread(target=self._build_loop, name="doo-dev-build", daemon=True)
        self._threads = [builder]
        if self.watch_files:
            self._threads.append(threading.Thread(target=self._watch_loop, name="doo-dev-watch",
                                                  daemon=True))
        for t in self._threads:
            t.start()

    def run(self) -> None:
        """Run in the calling thread until `stop()` (or Ctrl-C, which stops cleanly)."""
        self.start()
        try:
            while any(t.is_alive() for t in self._threads):
                for t in self._threads:
                    t.join(timeout=0.2)
        finally:
            self.stop()

    def stop(self) -> None:
        """End the watcher and the builder, then stop the server. Idempotent."""
        self._stop.set()
        self._queue.put(None)
        for t in self._threads:
            if t is not threading.current_thread():
                t.join(timeout=30)
        with self._lock:
            self._stop_server()
            if not self._stopped:
                self._stopped = True
                self.emit(ev.Stopped())

    def notify(self, paths: Iterable[str | Path]) -> None:
        self._queue.put(tuple(str(p) for p in paths))

    def build_now(self) -> None:
        """Rebuild even if nothing changed (the `r` key)."""
        self._hashes = {}
        self._queue.put(())

    # --- threads -------------------------------------------------------------------------

    def _watch_loop(self) -> None:
        # yield_on_timeout: the first empty batch says the watcher is set up, and later ones
        # let the loop notice stop() even if watchfiles misses the stop event.
        for changes in watch(self.root, watch_filter=_Filter(self.root), step=self.step_ms,
                             debounce=1600, rust_timeout=100, yield_on_timeout=True,
                             stop_event=self._stop, raise_interrupt=False):
            if not self.watching.is_set():
                self.watching.set()
                self.emit(ev.Watching(str(self.root), self.addr))
            if self._stop.is_set():
                return
            if changes:
                self._queue.put(tuple(sorted({p for _, p in changes})))

    def _build_loop(self) -> None:
        self._build(())
        while not self._stop.is_set():
            batch = self._queue.get()
            files: set[str] = set()
            while True:
                if batch is None or self._stop.is_set():
                    return
                files.update(batch)
                try:
                    batch = self._queue.get_nowait()
                except queue.Empty:
                    break
            self._on_change(tuple(sorted(files)))

    # --- one save ------------------------------------------------------------------------

    def _on_change(self, files: tuple[str, ...]) -> None:
        current = snapshot(self.root)
        if current == self._hashes:
            self.emit(ev.SaveSkipped(tuple(self._rel(f) for f in files)))
            return
        changed = sorted(k for k in current.keys() | self._hashes.keys()
                         if current.get(k) != self._hashes.get(k))
        self._build(tuple(changed), current)

    def _rel(self, f: str) -> str:
        try:
            return str(Path(f).relative_to(self.root))
        except ValueError:
            return f

    def _saved_at(self, files: tuple[str, ...]) -> float:
        times = []
        for f in files:
            try:
                times.append(os.stat(f).st_mtime)
            except OSError:
                continue
        return max(times) if times else time.time()

    def _build(self, files: tuple[str, ...], hashes: dict[str, str] | None = None) -> None:
        with self._lock:
            if self._stop.is_set():
                return
            saved = self._saved_at(files) if files else time.time()
            self._hashes = hashes if hashes is not None else snapshot(self.root)
            self.build_number += 1
            n = self.build_number
            self.emit(ev.BuildStarted(n, tuple(self._rel(f) for f in files)))
            timings: dict[str, float] = {}

            checked = pipeline.check_path(self.path)
            timings["check"] = checked.timings.get("check", 0.0)
            diags = tuple(sorted(checked.diagnostics, key=lambda d: (
                d.severity != "error", d.span.file, d.span.line, d.span.col)))
            self.emit(ev.Diagnostics(n, diags, checked.sources, timings["check"]))
            if not checked.ok:
                errors = sum(1 for d in diags if d.severity == "error")
                return self._fail(n, timings, "check",
                                  f"{errors} error{'s' if errors != 1 else ''}")

            try:
                res = pipeline.build(self.path, self.out, self.opts)
            except toolchain.ToolchainError as e:
                return self._fail(n, timings, "zig", str(e))
            except Exception as e:  # noqa: BLE001 - a compiler bug must not end the loop
                return self._fail(n, timings, "c", f"internal error ({type(e).__name__}: {e}); "
                                  "this is a bug in doo")
            if not res.ok or res.binary is None or res.checked is None:
                return self._fail(n, timings, "check", "the build found errors")
            timings["c"] = res.timings.get("lower", 0.0) + res.timings.get("c", 0.0)
            timings["zig"] = res.timings.get("zig", 0.0)
            self.emit(ev.Routes(n, routes_of(res.checked)))

            self._stop_server()
            try:
                self.server, timings["start"] = ServerProcess.start(
                    res.binary, self.addr, self._env(), cwd=self.root, on_log=self._log,
                    on_exit=self._exited)
            except StartError as e:
                self.serving_build = None
                return self._fail(n, timings, "start", str(e))
            self.serving_build, self.stale = n, False
            self.emit(ev.ServerStarted(n, self.server.pid, self.server.addr, timings["start"]))
            timings["total"] = max(0.0, time.time() - saved)
            self.emit(ev.BuildFinished(n, True, timings))

    def _fail(self, n: int, timings: dict[str, float], phase: str, error: str) -> None:
        if self.server is not None and self.server.alive():
            self.stale = True
            self.emit(ev.Stale(n, self.serving_build, f"{phase} failed"))
        self.emit(ev.BuildFinished(n, False, timings, phase, error))

    # --- the server ----------------------------------------------------------------------

    def _env(self) -> dict[str, str]:
        from doo.cli import load_env_file  # the same .env rules as `doo run`

        env = load_env_file(self.root)
        env.update(os.environ)
        env.setdefault("DOO_LOG", "access")  # the Server tab shows one line per request
        env.setdefault("DOO_DRAIN_TIMEOUT", "1")  # restarts should not wait for idle clients
        env.update(self.extra_env)
        return env

    def _log(self, pid: int, line: str, stream: str) -> None:
        self.emit(ev.ServerLog(pid, line, stream))

    def _exited(self, pid: int, code: int, expected: bool) -> None:
        self.emit(ev.ServerExited(pid, code, expected))

    def _stop_server(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None
