"""Problems: the diagnostics of the last check, errors first, with the code frame of the
selected one; a failed C build or server start is listed too. Clears itself on a clean build.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from doo.devloop import events as ev
from doo.diagnostics import Diagnostic, render


class ProblemsPane(Vertical):
    """`root` is the project folder: file names are shown relative to it."""

    def __init__(self, root: Path, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.root = root
        self.diagnostics: list[Diagnostic] = []
        self.sources: dict[str, str] = {}
        self.build_error = ""

    def compose(self) -> ComposeResult:
        yield Static("No problems.", id="problems-summary")
        table: DataTable[str] = DataTable(id="problems-table", cursor_type="row")
        table.add_columns("severity", "code", "where", "message")
        yield table
        yield Static("", id="problems-frame")

    def apply(self, e: ev.Event) -> None:
        if isinstance(e, ev.Diagnostics):
            # The engine sorts them (errors first); names are made relative to the project.
            self.diagnostics = [replace(d, span=replace(d.span, file=self._rel(d.span.file)))
                                for d in e.diagnostics]
            self.sources = {self._rel(k): v for k, v in e.sources.items()}
            self.build_error = ""
            self.refresh_table()
        elif isinstance(e, ev.BuildFinished) and not e.ok and e.phase != "check":
            self.build_error = f"{e.phase} failed: {e.error}"
            self.refresh_table()

    def refresh_table(self) -> None:
        table = self.query_one("#problems-table", DataTable)
        table.clear()
        for i, d in enumerate(self.diagnostics):
            sev = Text(d.severity, style="bold red" if d.severity == "error" else "yellow")
            where = f"{d.span.file}:{d.span.line}:{d.span.col}"
            table.add_row(sev, d.code, where, d.message, key=str(i))
        if self.build_error:
            table.add_row(Text("error", style="bold red"), "build", "",
                          self.build_error.splitlines()[0], key="build")
        errors = sum(1 for d in self.diagnostics if d.severity == "error")
        warnings = len(self.diagnostics) - errors + (1 if self.build_error else 0)
        errors += 1 if self.build_error else 0
        summary = self.query_one("#problems-summary", Static)
        if errors or warnings:
            summary.update(Text(f"{errors} error{'s' if errors != 1 else ''}, {warnings} "
                                f"warning{'s' if warnings != 1 else ''}", style="bold red"))
        else:
            summary.update(Text("No problems.", style="green"))
        self.show_frame(0)

    def show_frame(self, row: int) -> None:
        frame = self.query_one("#problems-frame", Static)
        if row < len(self.diagnostics):
            frame.update(Text(render(self.diagnostics[row], self.sources)))
        elif self.build_error:
            frame.update(Text(self.build_error))
        else:
            frame.update("")

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show_frame(event.cursor_row)

    def _rel(self, file: str) -> str:
        try:
            return str(Path(file).relative_to(self.root))
        except ValueError:
            return file

    @property
    def count(self) -> int:
        return len(self.diagnostics) + (1 if self.build_error else 0)

