"""The compiler pipeline: parse → check → lower → emit → build, one call per stage.

Input: a project folder or a .doo file. Output of each stage: a loaded `Program`, a `Checked`
program, an `ir.Program`, C text, a native binary. User errors never raise out of a stage:
they come back as diagnostics in a `Result`, and later stages do not run.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from doo.backend_c import emit as emit_mod
from doo.backend_c import toolchain
from doo.diagnostics import Diagnostic
from doo.frontend import ir
from doo.frontend.checker import Checked, check
from doo.frontend.lower import lower
from doo.frontend.modules import Program, load_program


@dataclass
class Result:
    """What a pipeline call produced. `ok` is False when any error diagnostic was found."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)
    program: Program | None = None
    checked: Checked | None = None
    ir: ir.Program | None = None
    c_source: str | None = None
    binary: Path | None = None
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not any(d.severity == "error" for d in self.diagnostics)


def project_root(path: Path) -> Path:
    """The project folder: PATH itself, or the folder of a .doo file."""
    return path if path.is_dir() else path.parent


def project_name(path: Path) -> str:
    root = project_root(path.resolve())
    return root.name or "app"


def check_path(path: Path) -> Result:
    """Parse and check. The cheap stage that runs on every save."""
    res = Result()
    t0 = time.perf_counter()
    program, diags = load_program(path)
    res.sources = dict(program.sources) if program is not None else {}
    res.diagnostics += diags
    res.program = program
    if program is None or any(d.severity == "error" for d in diags):
        res.timings["check"] = time.perf_counter() - t0
        return res
    checked, cdiags = check(program)
    res.diagnostics += cdiags
    res.checked = checked
    res.timings["check"] = time.perf_counter() - t0
    return res


def to_ir(path: Path) -> Result:
    res = check_path(path)
    if not res.ok or res.checked is None:
        return res
    t0 = time.perf_counter()
    res.ir = lower(res.checked, str(project_root(path.resolve())))
    res.timings["lower"] = time.perf_counter() - t0
    return res


def to_c(path: Path, mode: str = "dev") -> Result:
    res = to_ir(path)
    if res.ir is None or res.checked is None:
        return res
    t0 = time.perf_counter()
    entry = Path(res.checked.program.entry.path).name
    res.c_source = emit_mod.emit(res.ir, res.checked, entry, mode)
    res.timings["c"] = time.perf_counter() - t0
    return res


def default_output(path: Path, target: str = "native") -> Path:
    root = project_root(path.resolve())
    name = project_name(path)
    if target != "native":
        name = f"{name}-{target}"
    return root / "build" / name


def build(path: Path, out: Path | None = None, opts: toolchain.BuildOptions | None = None,
          progress: Callable[[str], None] | None = None) -> Result:
    """Everything up to the native binary. Raises toolchain.ToolchainError when the C
    compiler fails (a bug of ours or a missing toolchain, reported as one clear message)."""
    opts = opts or toolchain.BuildOptions()
    res = to_c(path, opts.mode)
    if res.c_source is None:
        return res
    if res.checked is not None and res.checked.uses_db:
        opts = dataclasses.replace(opts, sqlite=True)
    out = out or default_output(path, opts.target)
    t0 = time.perf_counter()
    br = toolchain.build(res.c_source, out, opts, progress)
    res.binary = br.binary
    res.timings["zig"] = time.perf_counter() - t0
    return res
