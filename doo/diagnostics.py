"""Source spans, coded diagnostics and the caret renderer.

Every user error in any stage is a `Diagnostic` with a stable code (`E0102`), a span and a
message, collected in a `DiagnosticBag` and reported together. `render` prints the
`file:line:col: error[CODE]: message` form with the source line and a caret underline;
`to_json` gives one JSON object per diagnostic for `doo check --json`.

Codes (stable; documented in docs/language.md):
  E00xx syntax and files     E01xx names and types    E02xx decorators and structs
  E03xx routes and handlers  E04xx statements         E09xx not supported yet
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Span:
    """A region of one source file; lines and columns are 1-based, end is exclusive."""

    file: str
    line: int
    col: int
    end_line: int
    end_col: int

    @staticmethod
    def point(file: str, line: int, col: int) -> Span:
        return Span(file, line, col, line, col + 1)


NO_SPAN = Span("<builtin>", 0, 0, 0, 0)


@dataclass(frozen=True)
class Diagnostic:
    code: str
    message: str
    span: Span
    severity: str = "error"  # "error" or "warning"
    hint: str = ""  # printed under the caret ("did you mean `User`?")

    def to_json(self) -> dict[str, object]:
        return {
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
            "hint": self.hint,
            "file": self.span.file,
            "line": self.span.line,
            "col": self.span.col,
            "end_line": self.span.end_line,
            "end_col": self.span.end_col,
        }


@dataclass
class DiagnosticBag:
    """Collects diagnostics of one run, in the order they were found."""

    items: list[Diagnostic] = field(default_factory=list)

    def error(self, code: str, message: str, span: Span, hint: str = "") -> None:
        self.items.append(Diagnostic(code, message, span, "error", hint))

    def warning(self, code: str, message: str, span: Span, hint: str = "") -> None:
        self.items.append(Diagnostic(code, message, span, "warning", hint))

    def extend(self, more: Iterable[Diagnostic]) -> None:
        self.items.extend(more)

    @property
    def has_errors(self) -> bool:
        return any(d.severity == "error" for d in self.items)

    def sorted(self) -> list[Diagnostic]:
        """Errors first, then by file and position (stable for equal keys)."""
        return sorted(self.items, key=lambda d: (d.severity != "error", d.span.file,
                                                 d.span.line, d.span.col))


def render(diag: Diagnostic, sources: dict[str, str]) -> str:
    """The human form: header line, the source line with its number, a caret underline."""
    s = diag.span
    head = f"{s.file}:{s.line}:{s.col}: {diag.severity}[{diag.code}]: {diag.message}"
    text = sources.get(s.file)
    if text is None or s.line <= 0:
        return head + (f"\n  = {diag.hint}" if diag.hint else "")
    lines = text.splitlines()
    if s.line > len(lines):
        return head
    src = lines[s.line - 1].expandtabs(4) if "\t" not in lines[s.line - 1] else lines[s.line - 1]
    num = str(s.line)
    pad = " " * len(num)
    width = (s.end_col - s.col) if s.end_line == s.line and s.end_col > s.col else 1
    width = max(1, min(width, max(1, len(src) - s.col + 1)))
    caret = " " * (s.col - 1) + "^" * width
    if diag.hint:
        caret += " " + diag.hint
    return f"{head}\n {num} | {src}\n {pad} | {caret}"


def render_all(diags: Iterable[Diagnostic], sources: dict[str, str]) -> str:
    return "\n".join(render(d, sources) for d in diags)


def to_json_lines(diags: Iterable[Diagnostic]) -> str:
    return "\n".join(json.dumps(d.to_json(), ensure_ascii=False) for d in diags)


class CompileError(Exception):
    """Raised by a stage that cannot go on; carries the diagnostics collected so far."""

    def __init__(self, diags: list[Diagnostic]):
        super().__init__(f"{len(diags)} diagnostic(s)")
        self.diags = diags
