"""The C toolchain driver: generated C + libdooh -> one native binary, through `zig cc`.

Role: the last stage of the pipeline. It owns every compiler flag, the build cache and the
translation of compiler failures into one user-facing `ToolchainError`.

Input: the generated C translation unit (a string), an output path and `BuildOptions`
(target triple, mode, -Werror, extra flags).

Output: a `BuildResult` with the binary's path, phase timings and whether anything was rebuilt.

SQLite (for programs that use `Database::open()`, `BuildOptions.sqlite`): native builds link
the system's libsqlite3.so.0 — the one Python's sqlite3 module loads — by its path; static
`--target` builds (and machines without a usable system SQLite) link SQLite compiled from its
official amalgamation, taken from the npm package better-sqlite3 (pinned version and sha512),
cached under `sqlite/<version>/` and compiled once per target. See docs/data.md.

Two caches make rebuilds cheap, both under `cache_dir()`:
- `libdooh/<key>/libdooh.a`: the runtime, compiled once per (target, mode, flags, zig version,
  runtime sources); written into a temporary folder and renamed into place, so concurrent builds
  never see a half-written archive.
- `units/<key>/`: the generated `main.c` and its linked binary `prog`, keyed by the source, the
  flags and the runtime archive; an unchanged program is copied out without running the compiler.
zig keeps its own cache (its libc builds for each target) in its default global cache folder,
so the slow first build for a new target is paid once per machine.
"""

from __future__ import annotations

import base64
import ctypes
import ctypes.util
import hashlib
import importlib.util
import io
import json
import os
import platform
import re
import secrets
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

MODES = ("debug", "dev", "release")
_BASE_CFLAGS = ("-std=c11", "-D_GNU_SOURCE", "-Wall", "-Wextra")
_MAX_OUTPUT_LINES = 30
_KEEP_UNITS = 64  # program builds kept in the cache
_KEEP_RUNTIMES = 16  # runtime archives kept (every libdooh edit makes a new one)
# zig triples are arch-os[-abi] with an optional version range; anything else is a typo, and
# zig would answer it with a list of every architecture it knows.
_TRIPLE_RE = re.compile(r"^[a-z0-9_]+-[a-z0-9_.]+(-[a-z0-9_.]+)?$")

# SQLite's amalgamation, as shipped in deps/sqlite3/ of the npm package better-sqlite3.
# To upgrade: `npm view better-sqlite3@<v> dist` gives the tarball URL and its integrity.
SQLITE_NPM_VERSION = "12.10.1"  # carries SQLite 3.53.2
SQLITE_TARBALL_URL = (
    f"https://registry.npmjs.org/better-sqlite3/-/better-sqlite3-{SQLITE_NPM_VERSION}.tgz"
)
SQLITE_TARBALL_SHA512 = (
    "HfFtzCqnSfwB3+HroF6PSKzyh+7RfNMGPCzHFUZXRlvrPCb4P3cvxKZNN43Sr7IrkofqQZM+gIvffGpA8VvqgA=="
)
# Serialized threading (libdooh opens one connection per thread), no extension loading (static
# binaries have no dlopen), usleep for the busy handler (else it sleeps whole seconds).
_SQLITE_CFLAGS = (
    "-O2",
    "-DSQLITE_THREADSAFE=2",
    "-DSQLITE_OMIT_LOAD_EXTENSION",
    "-DSQLITE_DQS=0",
    "-DSQLITE_DEFAULT_MEMSTATUS=0",
    "-DSQLITE_LIKE_DOESNT_MATCH_BLOBS",
    "-DSQLITE_OMIT_DEPRECATED",
    "-DSQLITE_OMIT_SHARED_CACHE",
    "-DSQLITE_USE_ALLOCA",
    "-DHAVE_USLEEP=1",
    "-w",
)
_MIN_SQLITE = 3035000  # RETURNING


@dataclass(frozen=True)
class BuildOptions:
    """How to build.

    `target` is "native" or a zig triple (x86_64-linux-musl, aarch64-linux-musl, ...).
    `mode`: "debug" is -O0 -g (zig adds its UBSan runtime); "dev" compiles the generated unit
    at -O1 and the runtime at -O2; "release" is -O3 with LTO for both, stripped when cross.
    `werror` applies to the generated unit only; `extra_cflags` apply to the unit and the
    runtime (so sanitizer flags reach both); `extra_ldflags` go to the final link.
    `sqlite`: link SQLite (set when the program uses the database; see `sqlite_link_inputs`).
    """

    target: str = "native"
    mode: str = "dev"
    werror: bool = False
    extra_cflags: tuple[str, ...] = ()
    extra_ldflags: tuple[str, ...] = ()
    sqlite: bool = False


@dataclass
class BuildResult:
    """`timings` holds seconds for "libdooh" (0.0 when cached) and "cc" (the generated unit)."""

    binary: Path
    timings: dict[str, float]
    cached: bool


class ToolchainError(Exception):
    """A build failure to show the user: one line, then the compiler's output (trimmed)."""


# --- locations ---------------------------------------------------------------------------


def libdooh_dir() -> Path:
    """The runtime sources: the repository's libdooh/ in a checkout, else the packaged copy."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package.parent / "libdooh", package / "_libdooh"):
        if (candidate / "include" / "dooh").is_dir() and (candidate / "src").is_dir():
            return candidate
    raise ToolchainError(
        f"the C runtime (libdooh) is missing: looked in {package.parent / 'libdooh'} "
        f"and {package / '_libdooh'}; reinstall doo"
    )


def cache_dir() -> Path:
    """$DOO_CACHE_DIR, else $XDG_CACHE_HOME/doo, else ~/.cache/doo."""
    explicit = os.environ.get("DOO_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg:
        return Path(xdg) / "doo"
    return Path.home() / ".cache" / "doo"


# --- zig ---------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _zig_command() -> tuple[str, ...]:
    """The zig executable shipped by the `ziglang` wheel (run directly: no Python start-up)."""
    spec = importlib.util.find_spec("ziglang")
    if spec is None or spec.origin is None:
        raise ToolchainError(
            "the C compiler is missing: doo builds with zig from PyPI; run `pip install ziglang`"
        )
    exe = Path(spec.origin).parent / ("zig.exe" if os.name == "nt" else "zig")
    if exe.is_file() and os.access(exe, os.X_OK):
        return (str(exe),)
    return (sys.executable, "-m", "ziglang")


def _zig_env() -> dict[str, str]:
    """The environment for zig: unchanged, unless zig could not find a global cache folder."""
    env = dict(os.environ)
    if not (env.get("ZIG_GLOBAL_CACHE_DIR") or env.get("XDG_CACHE_HOME") or env.get("HOME")):
        env["ZIG_GLOBAL_CACHE_DIR"] = str(cache_dir() / "zig")
    return env


def _run_zig(args: Sequence[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            [*_zig_command(), *args],
            cwd=cwd,
            env=_zig_env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            errors="replace",
            check=False,
        )
    except OSError as exc:
        raise ToolchainError(
            f"could not run zig ({exc.strerror}); reinstall it with `pip install ziglang`"
        ) from exc


@lru_cache(maxsize=1)
def zig_version() -> str:
    """The version of the zig compiler doo uses, e.g. "0.17.1"."""
    proc = _run_zig(["version"], cwd=Path.cwd())
    version = proc.stdout.strip()
    if proc.returncode != 0 or not version:
        raise ToolchainError("zig does not start: " + _trim(proc.stderr or proc.stdout))
    return version


# --- flags -------------------------------------------------------------------------------


def _is_native(target: str) -> bool:
    return target == "native"


def _check_options(opts: BuildOptions) -> None:
    if opts.mode not in MODES:
        raise ValueError(f"unknown build mode {opts.mode!r}; expected one of {MODES}")
    if not _is_native(opts.target) and not _TRIPLE_RE.match(opts.target):
        raise ToolchainError(
            f"unknown target {opts.target!r}: use `native` or a zig triple such as "
            "x86_64-linux-musl or aarch64-linux-musl"
        )


def _target_flags(target: str) -> list[str]:
    """Native builds let zig tune for this CPU; cross builds use the baseline CPU of the arch."""
    if _is_native(target):
        return []
    return ["-target", target, "-mcpu=baseline"]


def _opt_flags(mode: str, *, runtime: bool) -> list[str]:
    if mode == "debug":
        # zig also turns on its UBSan runtime at -O0: undefined behaviour stops with a trace.
        return ["-O0", "-g"]
    if mode == "dev":
        # The generated unit changes on every save, so it favours compile speed.
        return ["-O2"] if runtime else ["-O1"]
    return ["-O3", "-flto"]


def _runtime_cflags(opts: BuildOptions, include: Path) -> list[str]:
    return [
        *_target_flags(opts.target),
        *_BASE_CFLAGS,
        *_opt_flags(opts.mode, runtime=True),
        f"-I{include}",
        *opts.extra_cflags,
    ]


def _unit_flags(opts: BuildOptions, include: Path) -> list[str]:
    flags = [*_target_flags(opts.target), *_BASE_CFLAGS, *_opt_flags(opts.mode, runtime=False)]
    if opts.werror:
        flags.append("-Werror")
    flags += [f"-I{include}", *opts.extra_cflags]
    return flags


def _link_flags(opts: BuildOptions) -> list[str]:
    flags = ["-lpthread"]
    if opts.target.endswith("-musl"):
        flags.append("-static")
    if opts.mode == "release" and not _is_native(opts.target):
        flags.append("-s")
    return [*flags, *opts.extra_ldflags]


# --- cache keys --------------------------------------------------------------------------


def _hash_json(value: object) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()


def _runtime_sources_hash(root: Path) -> str:
    """One hash over every header and source of libdooh (names and bytes)."""
    digest = hashlib.sha256()
    files = [p for part in ("include", "src") for p in (root / part).rglob("*") if p.is_file()]
    for path in sorted(p for p in files if p.suffix in (".c", ".h")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


@lru_cache(maxsize=1)
def _host_cpu() -> str:
    """Native builds are tuned for this CPU, so a shared cache must not mix CPUs."""
    flags = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            flags = next((line for line in f if line.startswith(("flags", "Features"))), "")
    except OSError:
        flags = platform.processor()
    return f"{platform.machine()}:{hashlib.sha256(flags.encode()).hexdigest()[:16]}"


def _runtime_key(opts: BuildOptions, root: Path) -> str:
    parts = {
        "target": opts.target,
        "cpu": _host_cpu() if _is_native(opts.target) else "baseline",
        "mode": opts.mode,
        "cflags": _runtime_cflags(opts, root / "include"),
        "zig": zig_version(),
        "sources": _runtime_sources_hash(root),
    }
    return f"{opts.target}-{opts.mode}-{_hash_json(parts)[:20]}"


# --- building ----------------------------------------------------------------------------


def build_libdooh(opts: BuildOptions, progress: Callable[[str], None] | None = None) -> Path:
    """Return the cached libdooh.a for `opts`, compiling it first if needed."""
    _check_options(opts)
    try:
        archive, _ = _ensure_runtime(opts, libdooh_dir(), progress)
    except OSError as exc:
        raise _file_error(exc) from exc
    return archive


def _ensure_runtime(
    opts: BuildOptions, root: Path, progress: Callable[[str], None] | None
) -> tuple[Path, bool]:
    """The runtime archive for `opts` and whether this call had to build it."""
    final = cache_dir() / "libdooh" / _runtime_key(opts, root)
    archive = final / "libdooh.a"
    if archive.is_file():
        os.utime(final)  # keeps it among the most recently used when pruning
        return archive, False
    if progress is not None:
        progress(
            f"building the runtime for {opts.target} "
            "(zig's first build for a new target takes about 40 s)…"
        )
    final.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".tmp-{final.name}-", dir=final.parent))
    try:
        _compile_runtime(opts, root, work)
        try:
            os.rename(work, final)
        except OSError:
            # Another build renamed its copy first (the folder exists and is not empty);
            # both were built from the same key, so use theirs.
            if not archive.is_file():
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    _prune(final.parent, _KEEP_RUNTIMES)
    return archive, True


def _compile_runtime(opts: BuildOptions, root: Path, work: Path) -> None:
    """Compile every libdooh/src/*.c into `work` in parallel and archive them as libdooh.a."""
    sources = sorted((root / "src").glob("*.c"))
    if not sources:
        raise ToolchainError(f"the C runtime has no sources in {root / 'src'}; reinstall doo")
    cflags = _runtime_cflags(opts, root / "include")

    def compile_one(src: Path) -> tuple[Path, subprocess.CompletedProcess[str]]:
        obj = work / (src.stem + ".o")
        return src, _run_zig(["cc", *cflags, "-c", str(src), "-o", str(obj)], cwd=work)

    workers = max(1, min(os.cpu_count() or 1, 8, len(sources)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(compile_one, sources))
    for src, proc in results:
        if proc.returncode != 0:
            raise ToolchainError(
                f"could not compile the runtime ({src.name}) for {opts.target}:\n"
                + _trim(proc.stderr + proc.stdout)
            )
    objects = [src.stem + ".o" for src, _ in results]
    proc = _run_zig(["ar", "rcs", "libdooh.a", *objects], cwd=work)
    if proc.returncode != 0:
        raise ToolchainError("could not archive the runtime:\n" + _trim(proc.stderr + proc.stdout))
    for name in objects:
        (work / name).unlink()


def build(
    c_source: str,
    out: Path,
    opts: BuildOptions,
    progress: Callable[[str], None] | None = None,
) -> BuildResult:
    """Compile the generated C unit, link it with libdooh and place the binary at `out`."""
    _check_options(opts)
    try:
        return _build(c_source, out, opts, progress)
    except OSError as exc:
        raise _file_error(exc) from exc


def _file_error(exc: OSError) -> ToolchainError:
    """A cache or output folder that cannot be written is the user's to fix, not a bug."""
    where = f" {exc.filename}" if exc.filename else ""
    return ToolchainError(f"cannot write{where}: {exc.strerror or exc}")


def _build(
    c_source: str, out: Path, opts: BuildOptions, progress: Callable[[str], None] | None
) -> BuildResult:
    timings = {"libdooh": 0.0, "cc": 0.0}
    started = time.perf_counter()
    root = libdooh_dir()
    archive, runtime_built = _ensure_runtime(opts, root, progress)
    if runtime_built:
        timings["libdooh"] = time.perf_counter() - started

    cflags = _unit_flags(opts, root / "include")
    ldflags = _link_flags(opts)
    if opts.sqlite:
        ldflags = [*sqlite_link_inputs(opts, progress), *ldflags]
    key = _hash_json(
        {"source": c_source, "cflags": cflags, "ldflags": ldflags, "runtime": archive.parent.name}
    )
    unit = cache_dir() / "units" / key[:32]
    binary = unit / "prog"
    cached = not runtime_built and binary.is_file()
    if binary.is_file():
        os.utime(unit)  # keeps it among the most recently used when pruning
    else:
        started = time.perf_counter()
        _compile_unit(c_source, unit, cflags, ldflags, archive)
        timings["cc"] = time.perf_counter() - started
        _prune(unit.parent, _KEEP_UNITS)
    _install(binary, out)
    return BuildResult(binary=out, timings=timings, cached=cached)


def _compile_unit(
    c_source: str, unit: Path, cflags: list[str], ldflags: list[str], archive: Path
) -> None:
    """One zig invocation compiles and links; the binary appears under its final name last."""
    unit.mkdir(parents=True, exist_ok=True)
    main_c = unit / "main.c"
    _write_atomic(main_c, c_source.encode())
    tmp = unit / f"prog.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    proc = _run_zig(["cc", *cflags, str(main_c), str(archive), *ldflags, "-o", str(tmp)], cwd=unit)
    if proc.returncode != 0:
        tmp.unlink(missing_ok=True)
        raise ToolchainError(
            "the C compiler rejected the generated program:\n" + _trim(proc.stderr + proc.stdout)
        )
    os.replace(tmp, unit / "prog")


def build_tool(source: Path, name: str) -> Path:
    """A standalone C program of ours (no libdooh), such as the bench load generator, built
    for this machine with -O2 and cached by its source, the zig version and the CPU."""
    code = source.read_bytes()
    key = _hash_json({"src": hashlib.sha256(code).hexdigest(), "zig": zig_version(),
                      "cpu": _host_cpu(), "name": name})[:20]
    folder = cache_dir() / "tools" / f"{name}-{key}"
    exe = folder / name
    if exe.is_file():
        return exe
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f"{name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
        proc = _run_zig(["cc", *_BASE_CFLAGS, "-O2", str(source), "-o", str(tmp)], cwd=folder)
        if proc.returncode != 0:
            tmp.unlink(missing_ok=True)
            raise ToolchainError(f"could not compile {source.name}:\n"
                                 + _trim(proc.stderr + proc.stdout))
        os.replace(tmp, exe)
    except OSError as exc:
        raise _file_error(exc) from exc
    return exe


# --- SQLite ------------------------------------------------------------------------------


def sqlite_link_inputs(
    opts: BuildOptions, progress: Callable[[str], None] | None = None
) -> list[str]:
    """What the final link needs for SQLite: the system library (native builds, when it is
    3.35 or newer) or the object compiled from the amalgamation for `opts.target`."""
    if _is_native(opts.target) and os.environ.get("DOO_SQLITE") != "bundled":
        lib = system_sqlite()
        if lib is not None:
            standard = str(lib.parent).startswith(("/lib", "/usr/lib"))
            return [str(lib)] if standard else [str(lib), f"-Wl,-rpath,{lib.parent}"]
    return [str(sqlite_object(opts, progress))]


@lru_cache(maxsize=1)
def system_sqlite() -> Path | None:
    """The libsqlite3 shared library this machine's Python loads (so it is present wherever
    `import sqlite3` works), if it is 3.35 or newer; None otherwise."""
    candidates: list[Path] = []
    try:
        import _sqlite3  # noqa: F401  (loads the library; its path is then in our maps)
    except ImportError:
        pass
    candidates += _mapped_sqlite()
    name = ctypes.util.find_library("sqlite3")
    if not candidates and name:
        try:
            ctypes.CDLL(name)
        except OSError:
            pass
        candidates += _mapped_sqlite()
    for lib in candidates:
        try:
            version = int(ctypes.CDLL(str(lib)).sqlite3_libversion_number())
        except (OSError, AttributeError):
            continue
        if version >= _MIN_SQLITE:
            return lib
    return None


def _mapped_sqlite() -> list[Path]:
    """libsqlite3 shared objects mapped into this process (Linux)."""
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as f:
            paths = {line.split(None, 5)[-1].strip() for line in f if "libsqlite3" in line}
    except OSError:
        return []
    return sorted(Path(p) for p in paths if Path(p).name.startswith("libsqlite3.so"))


def sqlite_amalgamation(progress: Callable[[str], None] | None = None) -> Path:
    """The folder holding sqlite3.c and sqlite3.h of the pinned version, downloading and
    verifying them once (or reading the tarball at $DOO_SQLITE_TARBALL, for offline use)."""
    final = cache_dir() / "sqlite" / SQLITE_NPM_VERSION
    if (final / "sqlite3.c").is_file() and (final / "sqlite3.h").is_file():
        return final
    data = _sqlite_tarball(progress)
    got = base64.b64encode(hashlib.sha512(data).digest()).decode()
    if got != SQLITE_TARBALL_SHA512:
        raise ToolchainError(
            f"the SQLite source (better-sqlite3 {SQLITE_NPM_VERSION}) failed its checksum: "
            f"expected sha512-{SQLITE_TARBALL_SHA512}, got sha512-{got}; delete any "
            "DOO_SQLITE_TARBALL copy and retry, or report it"
        )
    final.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".tmp-{final.name}-", dir=final.parent))
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            for name in ("sqlite3.c", "sqlite3.h"):
                member = tar.extractfile(f"package/deps/sqlite3/{name}")
                if member is None:
                    raise ToolchainError(f"the better-sqlite3 tarball has no {name}")
                (work / name).write_bytes(member.read())
        try:
            os.rename(work, final)
        except OSError:
            if not (final / "sqlite3.c").is_file():
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return final


def _sqlite_tarball(progress: Callable[[str], None] | None) -> bytes:
    local = os.environ.get("DOO_SQLITE_TARBALL")
    if local:
        try:
            return Path(local).read_bytes()
        except OSError as exc:
            raise ToolchainError(f"cannot read DOO_SQLITE_TARBALL={local}: {exc.strerror}") from exc
    if progress is not None:
        progress(f"downloading SQLite's source (npm better-sqlite3 {SQLITE_NPM_VERSION}, 2.6 MB)…")
    try:
        with urllib.request.urlopen(SQLITE_TARBALL_URL, timeout=120) as resp:
            data: bytes = resp.read()
            return data
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise ToolchainError(
            f"cannot download SQLite's source from {SQLITE_TARBALL_URL} ({reason}); static "
            "builds carry SQLite compiled from it. Fix: connect once (it is cached), or fetch "
            "that file elsewhere and set DOO_SQLITE_TARBALL=/path/to/it"
        ) from exc


def sqlite_object(opts: BuildOptions, progress: Callable[[str], None] | None = None) -> Path:
    """sqlite3.o compiled from the amalgamation for `opts.target`, cached per target."""
    _check_options(opts)
    try:
        src = sqlite_amalgamation(progress)
        flags = [*_target_flags(opts.target), *_SQLITE_CFLAGS]
        key = _hash_json(
            {
                "flags": flags,
                "zig": zig_version(),
                "cpu": _host_cpu() if _is_native(opts.target) else "baseline",
            }
        )[:20]
        final = src / "obj" / f"{opts.target}-{key}"
        obj = final / "sqlite3.o"
        if obj.is_file():
            return obj
        if progress is not None:
            progress(f"compiling SQLite for {opts.target} (once per target, about a minute)…")
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = final.parent / f".sqlite3.{os.getpid()}.{secrets.token_hex(4)}.o"
        proc = _run_zig(["cc", *flags, "-c", str(src / "sqlite3.c"), "-o", str(tmp)], cwd=src)
        if proc.returncode != 0:
            tmp.unlink(missing_ok=True)
            raise ToolchainError(
                f"could not compile SQLite for {opts.target}:\n" + _trim(proc.stderr + proc.stdout)
            )
        final.mkdir(exist_ok=True)
        os.replace(tmp, obj)
        return obj
    except OSError as exc:
        raise _file_error(exc) from exc


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def _install(binary: Path, out: Path) -> None:
    """Copy the binary to `out` by rename, so a running old binary is replaced, not rewritten."""
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.is_dir():
        raise ToolchainError(f"cannot write the binary to {out}: it is a folder")
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as dst, open(binary, "rb") as src:
            shutil.copyfileobj(src, dst)
        os.chmod(tmp, 0o755)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _prune(folder: Path, keep: int) -> None:
    """Forget all but the `keep` most recently used builds in `folder` (never work in progress)."""
    try:
        entries = [p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")]
        entries.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    except OSError:
        return
    for stale in entries[keep:]:
        shutil.rmtree(stale, ignore_errors=True)


def _trim(output: str) -> str:
    """The compiler's first lines; error lines further down are kept too."""
    lines = output.strip().splitlines()
    if len(lines) <= _MAX_OUTPUT_LINES:
        return "\n".join(lines)
    head = lines[:_MAX_OUTPUT_LINES]
    late_errors = [line for line in lines[_MAX_OUTPUT_LINES:] if "error" in line][:5]
    rest = len(lines) - len(head) - len(late_errors)
    return "\n".join([*head, f"… ({rest} more lines)", *late_errors])
