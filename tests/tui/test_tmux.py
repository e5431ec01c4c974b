"""`doo tui` as a person uses it: in a real terminal (tmux, 120×40), keys sent with send-keys,
the screen read with capture-pane. Quitting must leave no process behind."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def tmux(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, check=False)


def processes_under(folder: Path) -> list[int]:
    """Processes whose executable or command line names something inside `folder`."""
    found = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit() or int(d.name) == os.getpid():
            continue
        try:
            cmdline = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            exe = os.readlink(d / "exe") if (d / "exe").exists() else ""
        except OSError:
            continue
        if str(folder) in cmdline or exe.startswith(str(folder)):
            found.append(int(d.name))
    return found


class Terminal:
    def __init__(self, name: str):
        self.name = name

    def screen(self) -> str:
        return tmux("capture-pane", "-p", "-t", self.name).stdout

    def keys(self, *keys: str) -> None:
        tmux("send-keys", "-t", self.name, *keys)

    def alive(self) -> bool:
        return tmux("has-session", "-t", self.name).returncode == 0

    def wait_until_gone(self, pattern: str, deadline: float = 10.0) -> None:
        end = time.monotonic() + deadline
        while re.search(pattern, self.screen()):
            assert time.monotonic() < end, f"{pattern!r} is still on the screen"
            time.sleep(0.05)

    def wait_for(self, pattern: str, deadline: float = 60.0) -> re.Match[str]:
        end = time.monotonic() + deadline
        while True:
            m = re.search(pattern, self.screen())
            if m:
                return m
            if time.monotonic() > end:
                size = tmux("display", "-p", "-t", self.name, "#{window_width}x#{window_height}")
                raise AssertionError(f"{pattern!r} never appeared on the {size.stdout.strip()} "
                                     f"screen:\n{self.screen()}")
            time.sleep(0.05)


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[tuple[Terminal, Path]]:
    project = tmp_path / "hello"
    shutil.copytree(REPO / "examples" / "hello", project)
    name = f"doo-tui-test-{os.getpid()}"
    # COLUMNS/LINES inherited from the test's environment would override the pane's size.
    cmd = f"exec env -u COLUMNS -u LINES {sys.executable} -m doo tui {project} " \
          f"--port {free_port()}"
    # Start a plain shell first and type the command into it, as a person would: the pane has
    # its final size by then (a program started with the session can see the default 80×24).
    proc = tmux("new-session", "-d", "-s", name, "-x", "120", "-y", "40", "-c", str(REPO),
                "sh")
    assert proc.returncode == 0, proc.stderr
    tmux("resize-window", "-t", name, "-x", "120", "-y", "40")
    tmux("send-keys", "-t", name, cmd, "Enter")
    term = Terminal(name)
    try:
        yield term, project
    finally:
        if term.alive():
            tmux("kill-session", "-t", name)


def test_doo_tui_in_a_terminal_serves_sends_and_quits_cleanly(
        terminal: tuple[Terminal, Path]) -> None:
    term, project = terminal
    term.wait_for(r"#1 ok")
    pid = int(term.wait_for(r"pid (\d+) http://127\.0\.0\.1:\d+").group(1))
    assert Path(f"/proc/{pid}").exists()
    assert "No problems." in term.screen()
    assert "q Quit" in term.screen() and "? Help" in term.screen()

    term.keys("3")
    term.wait_for(r"GET\s+/plaintext")
    term.keys("s")
    term.wait_for(r"200\s+OK\s+GET /plaintext")

    term.keys("?")
    term.wait_for(r"Keys")
    term.keys("Escape")
    # Wait for the help to close: an Escape followed at once by q would read as Alt+q.
    term.wait_until_gone(r"Keys\s+\(Esc")

    term.keys("q")
    end = time.monotonic() + 30
    while term.alive() and time.monotonic() < end:
        time.sleep(0.05)
    assert not term.alive(), "doo tui did not exit on q"
    assert not Path(f"/proc/{pid}").exists(), "the dev server outlived the workbench"
    assert processes_under(project) == []
