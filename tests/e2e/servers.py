"""Running the examples as real servers: build once, start on a free port, stop by pid.

An example is built once per test session with `python -m doo build examples/<name> -o …`.
`DOO_E2E_BINARY_<NAME>` (e.g. DOO_E2E_BINARY_HELLO) names a prebuilt binary instead, so CI
can run the same suite against a sanitizer build. Servers bind 127.0.0.1 on a free port,
are awaited by polling the port with a deadline, and are stopped by pid with SIGTERM.
Each server's stdout and stderr go to files; `DOO_E2E_SERVER_LOG_DIR` collects them in one
folder, so a sanitizer run can check every server's stderr for reports afterwards.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BUILD_TIMEOUT = 300  # zig's very first build of the runtime takes about 40 s
START_DEADLINE = 10.0
STOP_DEADLINE = 15.0  # the drain deadline is 10 s


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build_example(name: str, out_dir: Path) -> Path:
    """The binary of examples/<name>: the prebuilt one from the environment, or a fresh build."""
    prebuilt = os.environ.get(f"DOO_E2E_BINARY_{name.upper()}")
    if prebuilt:
        path = Path(prebuilt)
        assert path.is_file() and os.access(path, os.X_OK), \
            f"DOO_E2E_BINARY_{name.upper()}={prebuilt} is not an executable file"
        return path
    out = out_dir / name
    proc = subprocess.run(
        [sys.executable, "-m", "doo", "build", str(REPO / "examples" / name), "-o", str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=BUILD_TIMEOUT, check=False,
    )
    if proc.returncode != 0:
        pytest.fail(f"doo build examples/{name} exited {proc.returncode}\n"
                    f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}", pytrace=False)
    assert out.is_file(), f"doo build exited 0 but wrote no binary at {out}"
    return out


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    port: int
    stdout_path: Path
    stderr_path: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stdout(self) -> str:
        return self.stdout_path.read_text(encoding="utf-8", errors="replace")

    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> int:
        """SIGTERM by pid; the exit status (SIGKILL and a failure if it does not exit)."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
        try:
            return self.proc.wait(timeout=STOP_DEADLINE)
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            pytest.fail(f"server pid {self.pid} ignored SIGTERM for {STOP_DEADLINE} s\n"
                        f"stderr:\n{self.stderr()}")

    def wait_stderr(self, text: str, deadline: float = 5.0) -> str:
        """Poll the server's stderr until it contains `text`; the whole stderr."""
        end = time.monotonic() + deadline
        while True:
            err = self.stderr()
            if text in err or time.monotonic() > end:
                return err
            time.sleep(0.02)


def start_server(binary: Path, workdir: Path, threads: int = 1,
                 env: dict[str, str] | None = None) -> Server:
    """Start `binary` on a free 127.0.0.1 port and wait until the port accepts connections."""
    port = free_port()
    full_env = {k: v for k, v in os.environ.items() if k not in ("PORT", "DOO_ADDR", "DOO_LOG")}
    full_env.update({"DOO_ADDR": f"127.0.0.1:{port}", "DOO_THREADS": str(threads)})
    full_env.update(env or {})
    workdir.mkdir(parents=True, exist_ok=True)
    log_dir = Path(os.environ.get("DOO_E2E_SERVER_LOG_DIR") or workdir)
    log_dir.mkdir(parents=True, exist_ok=True)
    out, err = log_dir / f"server-{port}.stdout", log_dir / f"server-{port}.stderr"
    with open(out, "wb") as fo, open(err, "wb") as fe:
        proc = subprocess.Popen([str(binary)], stdout=fo, stderr=fe, stdin=subprocess.DEVNULL,
                                env=full_env, cwd=workdir)
    server = Server(proc, port, out, err)
    deadline = time.monotonic() + START_DEADLINE
    while True:
        if proc.poll() is not None:
            pytest.fail(f"{binary.name} exited {proc.returncode} before accepting connections\n"
                        f"stderr:\n{server.stderr()}", pytrace=False)
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return server
        except OSError:
            if time.monotonic() > deadline:
                server.stop()
                pytest.fail(f"{binary.name} did not accept on port {port} within "
                            f"{START_DEADLINE} s\nstderr:\n{server.stderr()}", pytrace=False)
            time.sleep(0.02)


def module_server(binary: Path, workdir: Path) -> Iterator[Server]:
    """A server shared by a test module; it must still be alive and exit 0 on SIGTERM."""
    s = start_server(binary, workdir)
    yield s
    assert s.alive(), f"server died during the tests (exit {s.proc.returncode})\n{s.stderr()}"
    code = s.stop()
    assert code == 0, f"server exited {code} on SIGTERM\nstderr:\n{s.stderr()}"


def build_demo(name: str, out_dir: Path) -> Path:
    """libdooh/tests/<name>.c — a hand-written program over the runtime — built with gcc and
    the system SQLite; the test is skipped where either is missing."""
    import re
    import shutil

    from doo.backend_c import toolchain

    if shutil.which("gcc") is None:
        pytest.skip("gcc is not installed")
    lib = toolchain.system_sqlite()
    if lib is None:
        pytest.skip("no system libsqlite3 (3.35 or newer)")
    libdooh = REPO / "libdooh"
    demo = libdooh / "tests" / f"{name}.c"
    needs = re.search(r"/\*\s*needs:([^*]*)\*/", demo.read_text())
    assert needs, f"{demo} has no /* needs: */ line"
    sources = [str(libdooh / "src" / src) for src in needs.group(1).split()]
    out = out_dir / name
    # test_sanitized.py re-runs the demo suites against AddressSanitizer + UBSan builds.
    opt = ["-O2"]
    if os.environ.get("DOO_E2E_DEMO_SANITIZE") == "1":
        import sanitized
        opt = sanitized.SAN_FLAGS
    proc = subprocess.run(
        ["gcc", "-std=c11", "-D_GNU_SOURCE", *opt, "-Wall", "-Wextra", "-Werror",
         f"-I{libdooh / 'include'}", f"-I{libdooh / 'tests'}", *sources, str(demo), str(lib),
         "-lpthread", "-o", str(out)],
        capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    return out
