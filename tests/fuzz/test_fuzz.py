"""libdooh's fuzz targets (libdooh/fuzz/fuzz_*.c): replayed under gcc + ASan/UBSan, and fuzzed.

Each target is one file with LLVMFuzzerTestOneInput; its first line names the runtime
sources it links (`/* needs: a.c b.c */`). Two tests per target:

* replay — plain gcc with AddressSanitizer and UBSan links the target with
  libdooh/fuzz/replay.c and runs it over its seed corpus (libdooh/fuzz/corpus/<name>/) and
  its regression inputs (libdooh/fuzz/regressions/<name>/). Always runs where gcc exists.
* fuzz — clang's libFuzzer runs the target for DOO_FUZZ_SECONDS (default 60) from a copy of
  the seed corpus. Skipped when clang cannot build with -fsanitize=fuzzer (CI installs it).
  Executions per second and the total are printed and written to build/fuzz/<name>.json.
  A crash fails the test and leaves the input in build/fuzz/<name>/: fix the bug, then add
  the input to the regression folder (docs/fuzzing.md).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LIBDOOH = REPO / "libdooh"
FUZZ = LIBDOOH / "fuzz"
TARGETS = sorted(p.stem.removeprefix("fuzz_") for p in FUZZ.glob("fuzz_*.c"))
NEEDS_RE = re.compile(r"/\*\s*needs:([^*]*)\*/")
SAN = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all"]
CFLAGS = ["-std=c11", "-D_GNU_SOURCE", "-g", "-O1", "-Wall", "-Wextra", "-Werror",
          f"-I{LIBDOOH / 'include'}"]
SAN_ENV = {"ASAN_OPTIONS": "detect_leaks=1", "UBSAN_OPTIONS": "print_stacktrace=1"}
DONE_RE = re.compile(r"Done (\d+) runs in (\d+) second")
OUT = REPO / "build" / "fuzz"


def sources(name: str) -> list[str]:
    src = FUZZ / f"fuzz_{name}.c"
    m = NEEDS_RE.search(src.read_text()[:500])
    assert m, f"{src.name} must start with a /* needs: a.c b.c */ comment"
    return [str(src)] + [str(LIBDOOH / "src" / n) for n in m.group(1).split()]


def test_every_target_has_a_corpus_and_a_regression_folder() -> None:
    assert set(TARGETS) == {"http_parse", "chunked", "json", "url", "jwt"}, TARGETS
    for name in TARGETS:
        assert any((FUZZ / "corpus" / name).iterdir()), f"empty corpus for {name}"
        assert (FUZZ / "regressions" / name).is_dir(), f"no regression folder for {name}"


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is not installed")
@pytest.mark.parametrize("name", TARGETS)
def test_replay_corpus_and_regressions_under_asan(name: str, tmp_path: Path) -> None:
    exe = tmp_path / f"replay_{name}"
    cc = subprocess.run(["gcc", *CFLAGS, *SAN, *sources(name), str(FUZZ / "replay.c"),
                         "-o", str(exe)], capture_output=True, text=True, check=False)
    assert cc.returncode == 0, cc.stderr
    corpus, regressions = FUZZ / "corpus" / name, FUZZ / "regressions" / name
    run = subprocess.run([str(exe), str(corpus), str(regressions)], capture_output=True,
                         text=True, errors="replace", env={**os.environ, **SAN_ENV},
                         timeout=120, check=False)
    assert run.returncode == 0, run.stderr[-4000:]
    n_inputs = sum(1 for p in [*corpus.iterdir(), *regressions.iterdir()]
                   if not p.name.startswith(".") and p.name != "README")
    assert run.stdout.strip() == f"replayed {n_inputs} inputs", run.stdout


def clang_fuzzer_works(tmp: Path) -> bool:
    if shutil.which("clang") is None:
        return False
    probe = tmp / "probe.c"
    probe.write_text("#include <stdint.h>\n#include <stddef.h>\n"
                     "int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)"
                     "{ (void)d; (void)n; return 0; }\n")
    r = subprocess.run(["clang", "-fsanitize=fuzzer", str(probe), "-o", str(tmp / "probe")],
                       capture_output=True, check=False)
    return r.returncode == 0


@pytest.mark.parametrize("name", TARGETS)
def test_fuzz_for_a_minute_without_a_crash(name: str, tmp_path: Path) -> None:
    if not clang_fuzzer_works(tmp_path):
        pytest.skip("clang with libFuzzer is not installed (apt-get install clang)")
    seconds = int(os.environ.get("DOO_FUZZ_SECONDS", "60"))
    exe = tmp_path / f"fuzz_{name}"
    cc = subprocess.run(["clang", *CFLAGS, "-fsanitize=fuzzer,address,undefined",
                         "-fno-sanitize-recover=all", *sources(name), "-o", str(exe)],
                        capture_output=True, text=True, check=False)
    assert cc.returncode == 0, cc.stderr
    work = tmp_path / "corpus"
    shutil.copytree(FUZZ / "corpus" / name, work)
    crashes = OUT / name
    shutil.rmtree(crashes, ignore_errors=True)
    crashes.mkdir(parents=True)
    run = subprocess.run(
        [str(exe), f"-max_total_time={seconds}", "-max_len=4096", "-rss_limit_mb=1024",
         "-timeout=5", "-print_final_stats=1", f"-artifact_prefix={crashes}/", str(work)],
        capture_output=True, text=True, errors="replace", env={**os.environ, **SAN_ENV},
        timeout=seconds + 120, check=False)
    found = [p.name for p in crashes.iterdir()]
    assert run.returncode == 0 and not found, \
        f"fuzz_{name} failed (exit {run.returncode}); inputs in {crashes}: {found}\n" \
        f"{run.stderr[-6000:]}"
    m = DONE_RE.search(run.stderr)
    assert m, run.stderr[-2000:]
    total, secs = int(m.group(1)), max(int(m.group(2)), 1)
    stats = {"target": name, "seconds": secs, "executions": total,
             "execs_per_second": total // secs, "crashes": 0,
             "corpus_after": sum(1 for _ in work.iterdir())}
    (OUT / f"{name}.json").write_text(json.dumps(stats) + "\n")
    print(f"fuzz_{name}: {total} executions in {secs} s = {total // secs}/s, 0 crashes, "
          f"corpus {stats['corpus_after']} inputs")
