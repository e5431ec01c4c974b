"""The e2e suite once more, against gcc AddressSanitizer + UBSan builds of both examples.

`sanitized.py` builds examples/hello and examples/handlers with sanitizers; this test runs the
wire tests of tests/e2e (SUITE below) in a child pytest with DOO_E2E_BINARY_HELLO/HANDLERS pointing at them
(and DOO_E2E_DEMO_SANITIZE=1, so the suites that build a hand-written demo server build it
with the same sanitizers) and every server's stderr collected in one folder. It passes when the child run passes and no
server wrote a sanitizer report (a report also makes the server exit non-zero, which the
fixtures catch). Left out: test_cli.py (it builds through zig on purpose) and the
`measurement` tests (memory and CPU figures mean nothing under ASan's allocator).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import sanitized

HERE = Path(__file__).resolve().parent
# The e2e files that exercise hello and handlers through DOO_E2E_BINARY_*.
SUITE = ["test_hello.py", "test_handlers.py", "test_protocol.py", "test_hostile.py",
         "test_connections.py",
         # These build libdooh/tests/demo_*.c themselves, with sanitizers under
         # DOO_E2E_DEMO_SANITIZE=1: group commit (demo_db) and accounts (demo_auth).
         "test_group_commit.py", "test_auth.py"]


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is not installed")
def test_e2e_suite_passes_against_sanitizer_builds(tmp_path: Path) -> None:
    if os.environ.get("DOO_E2E_BINARY_HELLO") or os.environ.get("DOO_E2E_BINARY_HANDLERS"):
        pytest.skip("already running against prebuilt binaries")
    runtime = sanitized.build_runtime(tmp_path / "build")
    bins = {name: sanitized.build_example(name, tmp_path / "build", runtime)
            for name in ("hello", "handlers")}
    logs = tmp_path / "server-logs"
    env = {**os.environ, **sanitized.SERVER_ENV,
           "DOO_E2E_BINARY_HELLO": str(bins["hello"]),
           "DOO_E2E_BINARY_HANDLERS": str(bins["handlers"]),
           "DOO_E2E_SERVER_LOG_DIR": str(logs), "DOO_E2E_DEMO_SANITIZE": "1",
           # The demo builds import doo; the child runs in tests/e2e.
           "PYTHONPATH": os.pathsep.join(p for p in (str(HERE.parent.parent),
                                                     os.environ.get("PYTHONPATH")) if p)}
    files = [str(HERE / f) for f in SUITE if (HERE / f).exists()]
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "-m", "not measurement", *files],
                         cwd=HERE, env=env, capture_output=True, text=True, timeout=900,
                         check=False)
    summary = run.stdout.strip().splitlines()[-1:] or ["(no output)"]
    print(f"sanitized e2e run: {summary[0]}")
    assert run.returncode == 0, run.stdout[-8000:] + run.stderr[-2000:]
    reports = []
    for log in sorted(logs.glob("*.stderr")):
        text = log.read_text(errors="replace")
        if any(m in text for m in sanitized.REPORT_MARKERS):
            reports.append(f"--- {log.name}\n{text[-4000:]}")
    n_servers = len(list(logs.glob("*.stderr")))
    assert n_servers >= 5, f"only {n_servers} servers ran: {run.stdout[-2000:]}"
    assert not reports, "sanitizer reports in server stderr:\n" + "\n".join(reports)
