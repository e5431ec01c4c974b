"""doo.backend_c.toolchain: zig cc builds of C + libdooh, for this machine and cross targets.

The builds use the real cache (cache_dir(), so $DOO_CACHE_DIR is honoured) to stay fast on a
warm machine; outputs go to tmp_path. Sources that must not be cached carry a fresh marker.
"""

from __future__ import annotations

import importlib.util
import struct
import subprocess
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from doo.backend_c import toolchain
from doo.backend_c.toolchain import BuildOptions, ToolchainError, build

REPO = Path(__file__).resolve().parents[2]

HELLO = r"""#include "dooh/dooh.h"
#include <stdio.h>

int main(void) {
    dooh_buf b;
    dooh_buf_init(&b);
    dooh_buf_put(&b, "hello, ", 7);
    dooh_buf_put(&b, "doo", 3);
    printf("%.*s %zu\n", (int)b.len, b.p, b.len);
    dooh_buf_free(&b);
    return 0;
}
"""

EM_X86_64 = 62
EM_AARCH64 = 183
PT_INTERP = 3


def elf_info(path: Path) -> tuple[int, list[int]]:
    """(e_machine, program header types) of a little-endian ELF64 file."""
    data = path.read_bytes()
    assert data[:4] == b"\x7fELF", "not an ELF file"
    assert data[4] == 2 and data[5] == 1, "not a little-endian 64-bit ELF"
    (e_machine,) = struct.unpack_from("<H", data, 18)
    (e_phoff,) = struct.unpack_from("<Q", data, 32)
    e_phentsize, e_phnum = struct.unpack_from("<HH", data, 54)
    types = [struct.unpack_from("<I", data, e_phoff + i * e_phentsize)[0] for i in range(e_phnum)]
    return e_machine, types


def run(binary: Path) -> str:
    proc = subprocess.run([str(binary)], capture_output=True, text=True, timeout=30, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def fresh(source: str) -> str:
    """The same program with a comment that no earlier build had, so it is never cached."""
    return f"/* {uuid.uuid4()} */\n{source}"


# --- locations ---------------------------------------------------------------------------


def test_libdooh_dir_is_the_repository_copy_in_a_checkout() -> None:
    assert toolchain.libdooh_dir() == REPO / "libdooh"


def test_cache_dir_prefers_doo_cache_dir_then_xdg_then_home(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DOO_CACHE_DIR", str(tmp_path / "explicit"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert toolchain.cache_dir() == tmp_path / "explicit"
    monkeypatch.delenv("DOO_CACHE_DIR")
    assert toolchain.cache_dir() == tmp_path / "xdg" / "doo"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert toolchain.cache_dir() == tmp_path / "home" / ".cache" / "doo"


def test_zig_version_is_a_version_number() -> None:
    assert toolchain.zig_version().split(".")[0].isdigit()


# --- targets -----------------------------------------------------------------------------


def test_native_build_runs(tmp_path: Path) -> None:
    result = build(HELLO, tmp_path / "bin" / "hello", BuildOptions())
    assert result.binary == tmp_path / "bin" / "hello"
    assert run(result.binary) == "hello, doo 10\n"


def test_x86_64_musl_build_is_static_and_runs(tmp_path: Path) -> None:
    result = build(HELLO, tmp_path / "hello", BuildOptions(target="x86_64-linux-musl"))
    machine, segments = elf_info(result.binary)
    assert machine == EM_X86_64
    assert PT_INTERP not in segments, "a static binary has no program interpreter"
    assert run(result.binary) == "hello, doo 10\n"


def test_aarch64_musl_build_is_a_static_arm64_elf(tmp_path: Path) -> None:
    result = build(HELLO, tmp_path / "hello", BuildOptions(target="aarch64-linux-musl"))
    machine, segments = elf_info(result.binary)
    assert machine == EM_AARCH64
    assert PT_INTERP not in segments


def test_release_build_runs(tmp_path: Path) -> None:
    result = build(HELLO, tmp_path / "hello", BuildOptions(mode="release"))
    assert run(result.binary) == "hello, doo 10\n"


def test_unknown_target_is_a_toolchain_error(tmp_path: Path) -> None:
    with pytest.raises(ToolchainError, match="unknown target 'x86 64'"):
        build(HELLO, tmp_path / "hello", BuildOptions(target="x86 64"))


# --- caching -----------------------------------------------------------------------------


def test_second_build_of_the_same_source_is_cached_and_fast(tmp_path: Path) -> None:
    source = fresh(HELLO)
    first = build(source, tmp_path / "a", BuildOptions())
    assert not first.cached
    started = time.perf_counter()
    second = build(source, tmp_path / "b", BuildOptions())
    elapsed = time.perf_counter() - started
    assert second.cached
    assert second.timings == {"libdooh": 0.0, "cc": 0.0}
    assert elapsed < 1.0
    assert run(tmp_path / "b") == "hello, doo 10\n"


def test_a_one_line_change_recompiles_only_the_unit(tmp_path: Path) -> None:
    build(HELLO, tmp_path / "before", BuildOptions())
    changed = fresh(HELLO.replace('"doo", 3', '"zig", 3'))
    result = build(changed, tmp_path / "after", BuildOptions())
    assert not result.cached
    assert result.timings["libdooh"] == 0.0
    assert result.timings["cc"] > 0.0
    assert run(result.binary) == "hello, zig 10\n"


def test_rebuilding_over_an_existing_binary_replaces_it(tmp_path: Path) -> None:
    out = tmp_path / "hello"
    build(HELLO, out, BuildOptions())
    build(HELLO.replace('"doo", 3', '"ada", 3'), out, BuildOptions())
    assert run(out) == "hello, ada 10\n"


@pytest.fixture
def empty_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    cache = tmp_path / "cache"
    monkeypatch.setenv("DOO_CACHE_DIR", str(cache))
    yield cache


def test_first_runtime_build_says_so_and_the_next_is_silent(empty_cache: Path) -> None:
    messages: list[str] = []
    archive = toolchain.build_libdooh(BuildOptions(), messages.append)
    assert archive.is_file() and archive.is_relative_to(empty_cache / "libdooh")
    assert len(messages) == 1 and messages[0].startswith("building the runtime for native")
    assert toolchain.build_libdooh(BuildOptions(), messages.append) == archive
    assert len(messages) == 1


def test_concurrent_runtime_builds_share_one_complete_archive(empty_cache: Path) -> None:
    with ThreadPoolExecutor(max_workers=2) as pool:
        archives = list(pool.map(lambda _: toolchain.build_libdooh(BuildOptions()), range(2)))
    assert archives[0] == archives[1]
    assert archives[0].read_bytes().startswith(b"!<arch>\n")
    leftovers = [p.name for p in (empty_cache / "libdooh").iterdir() if p.name.startswith(".")]
    assert leftovers == []


# --- errors ------------------------------------------------------------------------------


def test_a_c_syntax_error_is_a_toolchain_error_with_the_compiler_message(tmp_path: Path) -> None:
    broken = '#include "dooh/dooh.h"\nint main(void) {\n    return 0\n}\n'
    with pytest.raises(ToolchainError) as info:
        build(broken, tmp_path / "broken", BuildOptions())
    message = str(info.value)
    assert message.splitlines()[0] == "the C compiler rejected the generated program:"
    assert "main.c:3:13: error: expected ';'" in message
    assert "Traceback" not in message
    assert not (tmp_path / "broken").exists()


WARNS = '#include "dooh/dooh.h"\nint main(void) {\n    int unused = 1;\n    return 0;\n}\n'


def test_werror_turns_a_warning_into_an_error(tmp_path: Path) -> None:
    build(WARNS, tmp_path / "lenient", BuildOptions())
    with pytest.raises(ToolchainError) as info:
        build(WARNS, tmp_path / "strict", BuildOptions(werror=True))
    assert "unused variable 'unused' [-Werror,-Wunused-variable]" in str(info.value)


@pytest.fixture
def no_ziglang(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    real_find_spec = importlib.util.find_spec

    def find_spec(name: str, package: str | None = None) -> object:
        return None if name == "ziglang" else real_find_spec(name, package)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    toolchain._zig_command.cache_clear()
    toolchain.zig_version.cache_clear()
    yield
    monkeypatch.undo()
    toolchain._zig_command.cache_clear()
    toolchain.zig_version.cache_clear()


@pytest.mark.usefixtures("no_ziglang")
def test_missing_ziglang_names_the_install_command(tmp_path: Path) -> None:
    with pytest.raises(ToolchainError, match=r"pip install ziglang"):
        build(HELLO, tmp_path / "hello", BuildOptions())


def test_an_unwritable_output_is_a_toolchain_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(ToolchainError, match="cannot write"):
        build(HELLO, tmp_path / "file" / "hello", BuildOptions())
    (tmp_path / "folder").mkdir()
    with pytest.raises(ToolchainError, match="it is a folder"):
        build(HELLO, tmp_path / "folder", BuildOptions())


# --- SQLite ------------------------------------------------------------------------------

SQLITE_PROGRAM = r"""#include <stdio.h>
#include "dooh/db.h"
const char *sqlite3_libversion(void);
static const dooh_column cols[] = {
    { "id", "id", DOOH_COL_INT, DOOH_COL_PRIMARY | DOOH_COL_AUTO, NULL, 0,
      { 0, 0, 0, NULL, NULL }, NULL, NULL },
    { "Name", "name", DOOH_COL_TEXT, 0, NULL, 0, { 0, 0, 0, NULL, NULL }, NULL, NULL },
};
static const dooh_table things = { "things", "Thing", "/things", cols, 2, 0 };
static const dooh_table *const tables[] = { &things };

int main(int argc, char **argv) {
    dooh_ctx ctx;
    dooh_rows rows;
    int64_t n;
    dooh_dbv name = { DOOH_DBV_TEXT, 0, 0, DOOH_LIT("x") };
    dooh_ctx_init(&ctx);
    if (argc < 2 || !dooh_db_open(argv[1], tables, 1)) return 1;
    if (dooh_db_exec(&ctx, "INSERT INTO things (name) VALUES ($1)", &name, 1, &n)
        != DOOH_DBERR_NONE) return 2;
    if (dooh_db_query(&ctx, "SELECT count(*) FROM things", NULL, 0, &rows) != DOOH_DBERR_NONE)
        return 3;
    printf("%s %lld\n", sqlite3_libversion(), (long long)rows.cells[0].i);
    return 0;
}
"""


def run_with_db(binary: Path, db: Path) -> str:
    proc = subprocess.run(
        [str(binary), str(db)], capture_output=True, text=True, timeout=30, check=False
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_system_sqlite_is_the_library_python_loads() -> None:
    import sqlite3

    lib = toolchain.system_sqlite()
    if tuple(int(x) for x in sqlite3.sqlite_version.split(".")) < (3, 35, 0):
        assert lib is None or lib.name.startswith("libsqlite3.so")
        return
    assert lib is not None and lib.is_file() and lib.name.startswith("libsqlite3.so")


def test_native_sqlite_build_links_the_system_library(tmp_path: Path) -> None:
    import sqlite3

    if toolchain.system_sqlite() is None:
        pytest.skip("no system libsqlite3 3.35+")
    opts = BuildOptions(sqlite=True)
    assert toolchain.sqlite_link_inputs(opts)[0] == str(toolchain.system_sqlite())
    result = build(SQLITE_PROGRAM, tmp_path / "db", opts)
    assert run_with_db(result.binary, tmp_path / "app.db") == f"{sqlite3.sqlite_version} 1\n"
    assert run_with_db(result.binary, tmp_path / "app.db") == f"{sqlite3.sqlite_version} 2\n"


def test_static_sqlite_build_carries_the_pinned_amalgamation(tmp_path: Path) -> None:
    result = build(SQLITE_PROGRAM, tmp_path / "db", BuildOptions(target="x86_64-linux-musl",
                                                                 sqlite=True))
    machine, segments = elf_info(result.binary)
    assert machine == EM_X86_64 and PT_INTERP not in segments
    assert run_with_db(result.binary, tmp_path / "app.db") == "3.53.2 1\n"
    # The amalgamation and its object are cached: the second build compiles nothing of SQLite.
    src = toolchain.sqlite_amalgamation()
    assert (src / "sqlite3.c").stat().st_size > 5_000_000
    started = time.perf_counter()
    toolchain.sqlite_object(BuildOptions(target="x86_64-linux-musl"))
    assert time.perf_counter() - started < 1.0


def test_sqlite_source_that_cannot_be_downloaded_names_the_fix(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DOO_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("DOO_SQLITE_TARBALL", raising=False)
    monkeypatch.setattr(toolchain, "SQLITE_TARBALL_URL", "http://127.0.0.1:9/better-sqlite3.tgz")
    with pytest.raises(ToolchainError) as err:
        toolchain.sqlite_amalgamation()
    assert "cannot download SQLite's source" in str(err.value)
    assert "DOO_SQLITE_TARBALL=" in str(err.value)


def test_sqlite_tarball_with_a_wrong_checksum_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake = tmp_path / "fake.tgz"
    fake.write_bytes(b"not the real tarball")
    monkeypatch.setenv("DOO_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("DOO_SQLITE_TARBALL", str(fake))
    with pytest.raises(ToolchainError, match="failed its checksum"):
        toolchain.sqlite_amalgamation()
    assert not (tmp_path / "cache" / "sqlite" / toolchain.SQLITE_NPM_VERSION).exists()
