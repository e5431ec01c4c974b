"""Build and drive libdooh/tests/crypto_cli.c for the JWT and Argon2 interop tests.

The driver is compiled with gcc under ASan and UBSan from the runtime sources its
`/* needs: ... */` comment names. Secrets and passwords go to it on stdin, one per line.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LIBDOOH = REPO / "libdooh"
CLI = LIBDOOH / "tests" / "crypto_cli.c"
NEEDS_RE = re.compile(r"/\*\s*needs:([^*]*)\*/")


def build_cli(out_dir: Path) -> Path:
    """Compile crypto_cli.c into out_dir; skips the calling test when gcc is missing."""
    if shutil.which("gcc") is None:
        pytest.skip("gcc is not installed")
    needs = NEEDS_RE.search(CLI.read_text()[:1000])
    assert needs, "crypto_cli.c must start with a /* needs: ... */ comment"
    exe = out_dir / "crypto_cli"
    sources = [str(LIBDOOH / "src" / n) for n in needs.group(1).split()]
    cc = subprocess.run(
        ["gcc", "-std=c11", "-D_GNU_SOURCE", "-g", "-O2", "-fsanitize=address,undefined",
         "-fno-sanitize-recover=all", "-Wall", "-Wextra", "-Werror",
         f"-I{LIBDOOH / 'include'}", str(CLI), *sources, "-o", str(exe)],
        capture_output=True, text=True, check=False)
    assert cc.returncode == 0, cc.stderr
    return exe


def run(cli: Path, command: str, *lines: str) -> str:
    """Run one driver command with `lines` on stdin; its stdout, stripped."""
    proc = subprocess.run([str(cli), command], input="\n".join(lines) + "\n",
                          capture_output=True, text=True, timeout=120, check=False,
                          env={**os.environ, "ASAN_OPTIONS": "detect_leaks=1"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout.strip()
