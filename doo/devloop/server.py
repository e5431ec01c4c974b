"""One server child process: started in its own process group, its output read line by line,
stopped by signalling that group.

Input: a binary, a host:port to listen on (passed as DOO_ADDR) and extra environment.
Output: a running process whose log lines go to a callback, and its exit status.

Why a process group: the server is ours to stop, with everything it may have started, and a
signal to the group reaches all of it. `stop` sends SIGTERM, waits for the drain (the dev loop
sets a short DOO_DRAIN_TIMEOUT), and only then SIGKILLs; it returns after the process has been
reaped, so a new server never starts while the old one still holds the port.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

LogFn = Callable[[int, str, str], None]  # (pid, line, stream)
ExitFn = Callable[[int, int, bool], None]  # (pid, returncode, expected)

START_DEADLINE = 10.0
STOP_DEADLINE = 5.0


class StartError(Exception):
    """The server exited or did not accept connections in time; the message says which."""


def split_addr(addr: str) -> tuple[str, int]:
    host, _, port = addr.rpartition(":")
    return host or "127.0.0.1", int(port)


def port_accepts(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=0.2).close()
        return True
    except OSError:
        return False


class ServerProcess:
    """A started server. Construct with `start`; always end with `stop`."""

    def __init__(self, proc: subprocess.Popen[bytes], addr: str, on_log: LogFn | None,
                 on_exit: ExitFn | None = None):
        self.proc = proc
        self.on_exit = on_exit
        self.addr = addr
        self.started_at = time.time()
        self.stopping = False
        self._readers = [
            threading.Thread(target=self._read, args=(proc.stdout, "stdout", on_log, proc.pid),
                             name=f"doo-log-out-{proc.pid}", daemon=True),
            threading.Thread(target=self._read, args=(proc.stderr, "stderr", on_log, proc.pid),
                             name=f"doo-log-err-{proc.pid}", daemon=True),
        ]
        for t in self._readers:
            t.start()
        self._waiter = threading.Thread(target=self._wait, name=f"doo-wait-{proc.pid}",
                                        daemon=True)
        self._waiter.start()

    def _wait(self) -> None:
        """Reap the process, let its last log lines through, then report the exit."""
        code = self.proc.wait()
        self.join_logs()
        if self.on_exit is not None:
            self.on_exit(self.proc.pid, code, self.stopping)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    @classmethod
    def start(cls, binary: Path, addr: str, env: Mapping[str, str] | None = None,
              cwd: Path | None = None, on_log: LogFn | None = None,
              on_exit: ExitFn | None = None, deadline: float = START_DEADLINE) -> tuple[ServerProcess, float]:
        """Exec `binary` listening on `addr` and wait until its port accepts a connection.
        Returns the server and the seconds from exec to accepting. Raises StartError (after
        stopping the process) when it exits first or the deadline passes."""
        host, port = split_addr(addr)
        full_env = dict(os.environ if env is None else env)
        full_env["DOO_ADDR"] = f"{host}:{port}"
        full_env.pop("PORT", None)
        t0 = time.perf_counter()
        proc = subprocess.Popen([str(binary)], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=full_env, cwd=cwd,
                                start_new_session=True)
        server = cls(proc, f"{host}:{port}", on_log, on_exit)
        # The server binds before it prints "listening"; polling the port measures what a
        # client sees. 2 ms steps keep the measurement fine without burning a core.
        while not port_accepts(host, port):
            if proc.poll() is not None:
                server.stop()
                raise StartError(f"the server exited with status {proc.returncode} "
                                 "before accepting connections")
            if time.perf_counter() - t0 > deadline:
                server.stop()
                raise StartError(f"the server did not accept connections on {host}:{port} "
                                 f"within {deadline:g} s")
            time.sleep(0.002)
        return server, time.perf_counter() - t0

    def stop(self, deadline: float = STOP_DEADLINE) -> int:
        """SIGTERM the process group, wait up to `deadline`, then SIGKILL. The exit status."""
        self.stopping = True
        if self.proc.poll() is None:
            self._signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=deadline)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
                self.proc.wait()
        # Anything else left in the group (the server starts no children today) goes too.
        self._signal(signal.SIGKILL)
        if self._waiter is not threading.current_thread():
            self._waiter.join(timeout=2.0)
        return self.proc.returncode

    def join_logs(self) -> None:
        for t in self._readers:
            t.join(timeout=1.0)

    def _signal(self, sig: signal.Signals) -> None:
        try:
            os.killpg(self.proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    @staticmethod
    def _read(stream: object, name: str, on_log: LogFn | None, pid: int) -> None:
        assert hasattr(stream, "readline")
        for raw in iter(stream.readline, b""):
            if on_log is not None:
                line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
                on_log(pid, line, name)
        stream.close()  # type: ignore[attr-defined]
