"""Build an example with gcc and AddressSanitizer + UBSan, for running the e2e suite against it.

zig cc ships no sanitizer runtime, so this bypasses the toolchain: the example's C comes from
`python -m doo emit-c examples/<name>`, libdooh's sources are compiled with gcc and the same
sanitizer flags into a static archive (as the real build does, so runtime modules the program
does not use are not linked), and the two are linked into one binary.

    python tests/e2e/sanitized.py hello OUT_DIR      # prints the binary's path
"""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LIBDOOH = REPO / "libdooh"
SAN_FLAGS = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-g", "-O1"]
CFLAGS = ["-std=c11", "-D_GNU_SOURCE", *SAN_FLAGS, f"-I{LIBDOOH / 'include'}"]
# Sanitizer settings for the servers: reports go to stderr (the e2e fixtures keep it), a
# leak at exit fails the run, and UBSan prints where it stopped.
SERVER_ENV = {
    "ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0:exitcode=86",
    "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1",
}
# What a sanitizer writes when it finds something.
REPORT_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                  "SUMMARY: UndefinedBehaviorSanitizer")


def _run(cmd: list[str]) -> None:
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:3])} … exited {proc.returncode}\n{proc.stderr}")


def build_runtime(out_dir: Path) -> Path:
    """libdooh compiled with gcc and sanitizers into out_dir/libdooh_san.a."""
    obj_dir = out_dir / "obj"
    obj_dir.mkdir(parents=True, exist_ok=True)
    sources = sorted((LIBDOOH / "src").glob("*.c"))

    def compile_one(src: Path) -> Path:
        obj = obj_dir / (src.stem + ".o")
        _run(["gcc", *CFLAGS, "-c", str(src), "-o", str(obj)])
        return obj

    with ThreadPoolExecutor() as pool:
        objs = list(pool.map(compile_one, sources))
    archive = out_dir / "libdooh_san.a"
    archive.unlink(missing_ok=True)
    _run(["ar", "rcs", str(archive), *map(str, objs)])
    return archive


def build_example(name: str, out_dir: Path, runtime: Path | None = None) -> Path:
    """examples/<name> linked against the sanitized runtime; the binary's path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    runtime = runtime or build_runtime(out_dir)
    emitted = subprocess.run([sys.executable, "-m", "doo", "emit-c", str(REPO / "examples" / name)],
                             cwd=REPO, capture_output=True, text=True, check=False)
    if emitted.returncode != 0:
        raise RuntimeError(f"doo emit-c examples/{name} exited {emitted.returncode}\n"
                           f"{emitted.stderr}")
    unit = out_dir / f"{name}.c"
    unit.write_text(emitted.stdout)
    exe = out_dir / f"{name}_san"
    _run(["gcc", *CFLAGS, str(unit), str(runtime), "-o", str(exe), "-lpthread", "-lm"])
    return exe


if __name__ == "__main__":
    print(build_example(sys.argv[1], Path(sys.argv[2])))
