"""libdooh's C unit tests, run under AddressSanitizer and UBSan, and its portability under zig.

Each libdooh/tests/test_*.c is one pytest case: its first lines name the runtime sources it
links (`/* needs: a.c b.c */`, files in libdooh/src) and any libraries (`/* links: sqlite3 */`:
the system's libsqlite3, found as the toolchain finds it); it is compiled with gcc and sanitizers,
run, and must exit 0 with a last line "N passed, 0 failed". New test files are picked up by
the glob. A second test compiles every runtime source with zig cc, warnings as errors, for
this machine and for cross targets.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from doo.backend_c import toolchain

REPO = Path(__file__).resolve().parents[2]
LIBDOOH = REPO / "libdooh"
JSON_CORPUS = REPO.parent / "shared" / "data" / "jsontestsuite" / "test_parsing"
C_TESTS = sorted((LIBDOOH / "tests").glob("test_*.c"))

GCC_FLAGS = [
    "-std=c11",
    "-D_GNU_SOURCE",
    "-g",
    "-O1",
    "-fsanitize=address,undefined",
    "-fno-sanitize-recover=all",
    "-Wall",
    "-Wextra",
    "-Werror",
    f"-I{LIBDOOH / 'include'}",
    f"-I{LIBDOOH / 'tests'}",
]
SANITIZER_ENV = {
    "ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0",
    "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1",
}
NEEDS_RE = re.compile(r"/\*\s*needs:([^*]*)\*/")
LINKS_RE = re.compile(r"/\*\s*links:([^*]*)\*/")
REPORT_RE = re.compile(r"^\d+ passed, 0 failed$")


def needed_sources(test_file: Path) -> list[Path]:
    """The runtime sources named by the `/* needs: ... */` comment at the top of a test."""
    match = NEEDS_RE.search(test_file.read_text()[:2000])
    assert match, f"{test_file.name} must start with a /* needs: a.c b.c */ comment"
    return [LIBDOOH / "src" / name for name in match.group(1).split()]


def needed_libraries(test_file: Path) -> list[str]:
    """Link arguments for the `/* links: ... */` comment (only sqlite3 is known)."""
    match = LINKS_RE.search(test_file.read_text()[:2000])
    if not match:
        return []
    args: list[str] = []
    for name in match.group(1).split():
        assert name == "sqlite3", f"{test_file.name}: unknown library {name!r} in links:"
        lib = toolchain.system_sqlite()
        if lib is None:
            pytest.skip("no system libsqlite3 (3.35 or newer) to link against")
        args += [str(lib), "-lpthread"]
    return args


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is not installed")
@pytest.mark.parametrize("test_file", C_TESTS, ids=[p.stem for p in C_TESTS])
def test_c_unit_tests_pass_under_sanitizers(test_file: Path, tmp_path: Path) -> None:
    args: list[str] = []
    if test_file.stem == "test_jsonsuite":
        if not JSON_CORPUS.is_dir():
            pytest.skip(f"the JSONTestSuite corpus is not at {JSON_CORPUS}")
        args.append(str(JSON_CORPUS))
    exe = tmp_path / test_file.stem
    sources = [str(p) for p in needed_sources(test_file)]
    libraries = needed_libraries(test_file)
    compiled = subprocess.run(
        ["gcc", *GCC_FLAGS, str(test_file), *sources, *libraries, "-o", str(exe)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert compiled.returncode == 0, compiled.stderr
    proc = subprocess.run(
        [str(exe), *args],
        capture_output=True,
        text=True,
        errors="replace",
        env={**os.environ, **SANITIZER_ENV},
        timeout=300,
        check=False,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-4000:]
    last = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
    assert REPORT_RE.match(last), f"last line {last!r}; output:\n{output[-4000:]}"


@pytest.mark.parametrize("target", ["native", "x86_64-linux-musl", "aarch64-linux-musl"])
def test_runtime_sources_compile_warning_free_with_zig(target: str, tmp_path: Path) -> None:
    target_flags = [] if target == "native" else ["-target", target, "-mcpu=baseline"]
    flags = [
        *target_flags,
        "-std=c11",
        "-D_GNU_SOURCE",
        "-O2",
        "-Wall",
        "-Wextra",
        "-Werror",
        f"-I{LIBDOOH / 'include'}",
    ]

    def compile_one(src: Path) -> str:
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "ziglang",
                "cc",
                *flags,
                "-c",
                str(src),
                "-o",
                str(tmp_path / (src.stem + ".o")),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        return "" if proc.returncode == 0 else f"{src.name}:\n{proc.stderr}"

    sources = sorted((LIBDOOH / "src").glob("*.c"))
    assert sources
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        failures = [f for f in pool.map(compile_one, sources) if f]
    assert not failures, "\n".join(failures)
