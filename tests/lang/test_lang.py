"""Language tests written in Doo: each tests/lang/*.doo program states its expected
standard output (`// OUTPUT:` lines), exit status (`// EXIT:`, default 0) and a line its
standard error must contain (`// STDERR:`). Each is compiled with the real toolchain and run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
PROGRAMS = sorted(HERE.glob("*.doo"))


def expectations(src: str) -> tuple[list[str], int, list[str]]:
    out, code, err = [], 0, []
    for line in src.splitlines():
        if line.startswith("// OUTPUT:"):
            out.append(line[len("// OUTPUT:"):].strip())
        elif line.startswith("// EXIT:"):
            code = int(line[len("// EXIT:"):])
        elif line.startswith("// STDERR:"):
            err.append(line[len("// STDERR:"):].strip())
    return out, code, err


@pytest.mark.parametrize("program", PROGRAMS, ids=[p.stem for p in PROGRAMS])
def test_program_output(program: Path, tmp_path: Path) -> None:
    binary = tmp_path / program.stem
    build = subprocess.run([sys.executable, "-m", "doo", "build", str(program), "-o",
                            str(binary)], capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stderr
    run = subprocess.run([str(binary)], capture_output=True, text=True, timeout=30)
    out, code, err = expectations(program.read_text(encoding="utf-8"))
    assert run.stdout.splitlines() == out
    assert run.returncode == code, run.stderr
    for line in err:
        assert line in run.stderr
    assert "Traceback" not in run.stderr
