"""Load a Doo program: the entry file and every local module it imports, transitively.

Input: a path, either a project folder (whose `main.doo` is the entry) or a `.doo` file.
Output: a `Program` with each module's AST keyed by its module name ("main" for the entry,
"models" or "a::b" for `models.doo` / `a/b.doo`), the text of every file read (for rendering
diagnostics), and the diagnostics found while loading and parsing.

Import resolution: `import a::b::{X}` and `import a::b::X;` both name module `a::b`, the file
`a/b.doo` under the entry file's folder (always that folder, also for imports made by other
modules). For the non-braced form the last segment is the imported item and the rest the
module, so `import models::Task;` loads `models.doo`; a single segment (`import models;`) is the
module itself. A path whose first segment is `std` is a standard-library import and loads no
file. Each segment is matched case-sensitively first, then case-insensitively (so
`import Models::Task` finds `models.doo`); the module key is spelled as the file is.
Cycles are reported once (E0004), at the import that closes them, and never followed.

Codes: E0003 module not found, E0004 import cycle, E0006 unreadable file (the entry, or a
module file that exists but cannot be read), E0007 file is not valid UTF-8.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from doo.diagnostics import Diagnostic, Span
from doo.frontend import ast
from doo.frontend.parser import parse_module

ENTRY_KEY = "main"


@dataclass
class Program:
    entry: ast.Module
    modules: dict[str, ast.Module]  # module key -> AST, "main" first, then in load order
    sources: dict[str, str]  # file path (as in spans) -> text
    # (importing module key, index of the Import in its decls) -> imported module key; std
    # imports and imports of missing modules have no entry.
    resolved: dict[tuple[str, int], str] = field(default_factory=dict)


def module_path_of(imp: ast.Import) -> list[str] | None:
    """The module an import names (None for a std import): the whole path for the braced
    and single-segment forms, all but the last segment otherwise."""
    if imp.path and imp.path[0] == "std":
        return None
    if imp.items is not None or len(imp.path) == 1:
        return list(imp.path)
    return list(imp.path[:-1])


def load_program(entry: Path) -> tuple[Program, list[Diagnostic]]:
    """Read and parse the entry and all local modules it imports. Never raises on bad input."""
    entry_file = entry / "main.doo" if entry.is_dir() else entry
    loader = _Loader(entry_file.parent)
    text = loader.read(entry_file, Span(str(entry_file), 0, 0, 0, 0))
    if text is None:
        empty = ast.Module(path=str(entry_file))
        return Program(empty, {ENTRY_KEY: empty}, loader.sources), loader.diags
    module = loader.parse(entry_file, text)
    loader.modules[ENTRY_KEY] = module
    loader.key_of_file[_identity(entry_file)] = ENTRY_KEY
    loader.visit(ENTRY_KEY, module, [ENTRY_KEY])
    program = Program(module, loader.modules, loader.sources, loader.resolved)
    return program, loader.diags


def _identity(path: Path) -> str:
    try:
        return str(path.resolve())
    except OSError:
        return str(path.absolute())


class _Loader:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.modules: dict[str, ast.Module] = {}
        self.sources: dict[str, str] = {}
        self.diags: list[Diagnostic] = []
        self.resolved: dict[tuple[str, int], str] = {}
        self.key_of_file: dict[str, str] = {}  # resolved file path -> module key

    def read(self, file: Path, span: Span) -> str | None:
        """The file's text, or None with a diagnostic (E0006 unreadable, E0007 not UTF-8)."""
        name = str(file)
        try:
            data = file.read_bytes()
        except FileNotFoundError:
            self.diags.append(Diagnostic("E0006", f"cannot read `{name}`: no such file", span))
            return None
        except OSError as e:
            reason = e.strerror or type(e).__name__
            self.diags.append(Diagnostic("E0006", f"cannot read `{name}`: {reason}", span))
            return None
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as e:
            text = data.decode("utf-8", errors="replace")
            self.sources[name] = text
            before = data[: e.start].decode("utf-8", errors="replace")
            line = before.count("\n") + 1
            col = len(before) - (before.rfind("\n") + 1) + 1
            self.diags.append(Diagnostic(
                "E0007", f"`{name}` is not valid UTF-8 (byte 0x{data[e.start]:02X})",
                Span.point(name, line, col), hint="Doo source files must be UTF-8"))
            return None

    def parse(self, file: Path, text: str) -> ast.Module:
        self.sources[str(file)] = text
        module, diags = parse_module(text, str(file))
        self.diags.extend(diags)
        return module

    def visit(self, key: str, module: ast.Module, stack: list[str]) -> None:
        """Load every module `module` imports (depth first, in source order)."""
        for index, decl in enumerate(module.decls):
            if not isinstance(decl, ast.Import):
                continue
            segments = module_path_of(decl)
            if segments is None:
                continue
            file = self.find(segments)
            if file is None:
                shown = "::".join(segments)
                wanted = "/".join(segments) + ".doo"
                self.diags.append(Diagnostic(
                    "E0003", f"cannot find module `{shown}` (looked for {wanted})", decl.span))
                continue
            target = self.key_of_file.get(_identity(file))
            if target is None:
                target = "::".join(file.relative_to(self.root).with_suffix("").parts)
            self.resolved[(key, index)] = target
            if target in stack:
                cycle = " -> ".join(stack[stack.index(target):] + [target])
                self.diags.append(Diagnostic("E0004", f"import cycle: {cycle}", decl.span,
                                             hint="modules cannot import each other in a loop"))
                continue
            if target in self.modules or target in self.key_of_file.values():
                continue  # already loaded (or unreadable, reported once)
            self.key_of_file[_identity(file)] = target
            text = self.read(file, decl.span)
            if text is None:
                continue
            child = self.parse(file, text)
            self.modules[target] = child
            self.visit(target, child, stack + [target])

    def find(self, segments: list[str]) -> Path | None:
        """`a/b.doo` for ["a", "b"] under the root: exact spelling first, then ignoring case."""
        exact = self.root.joinpath(*segments[:-1], segments[-1] + ".doo")
        if exact.is_file() and _spelled_as(exact, self.root):
            return exact
        folder = self.root
        for n, segment in enumerate(segments):
            last = n == len(segments) - 1
            wanted = (segment + ".doo").lower() if last else segment.lower()
            try:
                entries = sorted(folder.iterdir())
            except OSError:
                return None
            match = next((p for p in entries if p.name.lower() == wanted
                          and (p.is_file() if last else p.is_dir())), None)
            if match is None:
                return None
            folder = match
        return folder


def _spelled_as(path: Path, root: Path) -> bool:
    """On a case-insensitive file system `exists` ignores case: check the real spelling."""
    try:
        rel = path.relative_to(root)
        folder = root
        for part in rel.parts:
            if part not in {p.name for p in folder.iterdir()}:
                return False
            folder = folder / part
        return True
    except (OSError, ValueError):
        return False
