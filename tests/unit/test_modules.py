"""Tests for doo.frontend.modules: entry resolution, module lookup, cycles, bad files."""

from __future__ import annotations

from pathlib import Path

from doo.diagnostics import Diagnostic, Span, render_all
from doo.frontend import ast
from doo.frontend.modules import Program, load_program, module_path_of


def write(root: Path, files: dict[str, str | bytes]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def rendered(program: Program, diags: list[Diagnostic]) -> str:
    return render_all(diags, program.sources)


def test_folder_entry_loads_main_and_its_modules_in_load_order(tmp_path: Path) -> None:
    write(tmp_path, {
        "main.doo": "import std::Http::Server;\nimport models::{Task};\nimport a::b::{X};\n"
                    "fn main() {}\n",
        "models.doo": "struct Task { id: Int }\n",
        "a/b.doo": "import models::{Task};\nconst X = 1;\n",
        "unused.doo": "this is not even valid",
    })
    program, diags = load_program(tmp_path)
    assert diags == []
    assert list(program.modules) == ["main", "models", "a::b"]
    assert program.entry is program.modules["main"]
    assert program.entry.path == str(tmp_path / "main.doo")
    assert program.modules["a::b"].path == str(tmp_path / "a" / "b.doo")
    assert set(program.sources) == {str(tmp_path / n) for n in ("main.doo", "models.doo",
                                                                 "a/b.doo")}
    assert program.resolved == {("main", 1): "models", ("main", 2): "a::b",
                                ("a::b", 0): "models"}


def test_file_entry_is_the_main_module(tmp_path: Path) -> None:
    write(tmp_path, {"app.doo": "import lib::Helper;\nfn main() {}\n",
                     "lib.doo": "fn Helper() {}\n"})
    program, diags = load_program(tmp_path / "app.doo")
    assert diags == []
    assert list(program.modules) == ["main", "lib"]
    assert [type(d).__name__ for d in program.entry.decls] == ["Import", "Fn"]


def test_unbraced_import_names_an_item_and_lookup_falls_back_to_any_case(tmp_path: Path) -> None:
    write(tmp_path, {"main.doo": "import Models::Task;\nimport Sub::Deep::{Y};\n",
                     "models.doo": "struct Task { id: Int }\n",
                     "sub/deep.doo": "const Y = 2;\n"})
    program, diags = load_program(tmp_path)
    assert diags == []
    assert list(program.modules) == ["main", "models", "sub::deep"]


def test_exact_spelling_wins_over_a_case_insensitive_match(tmp_path: Path) -> None:
    write(tmp_path, {"main.doo": "import Models::{A};\n", "Models.doo": "const A = 1;\n",
                     "models.doo": "const B = 1;\n"})
    if len(list(tmp_path.iterdir())) < 3:  # a case-insensitive file system keeps one file
        return
    program, diags = load_program(tmp_path)
    assert diags == []
    assert list(program.modules) == ["main", "Models"]


def test_module_path_of_each_import_form() -> None:
    span = Span("m.doo", 1, 1, 1, 2)
    item = ast.ImportItem("X", None, span)
    assert module_path_of(ast.Import(["std", "Http", "Server"], None, None, span)) is None
    assert module_path_of(ast.Import(["models", "Task"], None, None, span)) == ["models"]
    assert module_path_of(ast.Import(["a", "b"], [item], None, span)) == ["a", "b"]
    assert module_path_of(ast.Import(["models"], None, None, span)) == ["models"]
    assert module_path_of(ast.Import(["a", "b", "c"], None, "d", span)) == ["a", "b"]


def test_missing_module_is_reported_at_the_import(tmp_path: Path) -> None:
    write(tmp_path, {"main.doo": "fn main() {}\nimport models::{Task};\nimport a::b::C;\n"})
    program, diags = load_program(tmp_path)
    main = str(tmp_path / "main.doo")
    assert rendered(program, diags) == (
        f"{main}:2:1: error[E0003]: cannot find module `models` (looked for models.doo)\n"
        " 2 | import models::{Task};\n"
        "   | ^^^^^^^^^^^^^^^^^^^^^^\n"
        f"{main}:3:1: error[E0003]: cannot find module `a::b` (looked for a/b.doo)\n"
        " 3 | import a::b::C;\n"
        "   | ^^^^^^^^^^^^^^^")
    assert list(program.modules) == ["main"]


def test_import_cycle_is_reported_once_and_not_followed(tmp_path: Path) -> None:
    write(tmp_path, {"main.doo": "import a::{X};\n",
                     "a.doo": "import b::{Y};\nconst X = 1;\n",
                     "b.doo": "import a::{X};\nconst Y = 2;\n"})
    program, diags = load_program(tmp_path)
    b = str(tmp_path / "b.doo")
    assert rendered(program, diags) == (
        f"{b}:1:1: error[E0004]: import cycle: a -> b -> a\n"
        " 1 | import a::{X};\n"
        "   | ^^^^^^^^^^^^^^ modules cannot import each other in a loop")
    assert list(program.modules) == ["main", "a", "b"]


def test_importing_the_entry_is_a_cycle(tmp_path: Path) -> None:
    write(tmp_path, {"main.doo": "import util::{F};\n", "util.doo": "import main::{G};\n"})
    _, diags = load_program(tmp_path)
    assert [(d.code, d.message) for d in diags] == [
        ("E0004", "import cycle: main -> util -> main")]


def test_self_import_is_a_cycle(tmp_path: Path) -> None:
    write(tmp_path, {"main.doo": "import lib::{A};\n", "lib.doo": "import lib::{A};\n"})
    _, diags = load_program(tmp_path)
    assert [(d.code, d.message) for d in diags] == [("E0004", "import cycle: lib -> lib")]


def test_a_shared_module_is_loaded_once(tmp_path: Path) -> None:
    write(tmp_path, {"main.doo": "import a::{A};\nimport b::{B};\n",
                     "a.doo": "import shared::{S};\n", "b.doo": "import Shared::S;\n",
                     "shared.doo": "const S = 1;\n"})
    program, diags = load_program(tmp_path)
    assert diags == []
    assert list(program.modules) == ["main", "a", "shared", "b"]
    assert program.resolved[("b", 0)] == "shared"


def test_missing_entry_is_a_diagnostic_without_a_span(tmp_path: Path) -> None:
    missing = tmp_path / "nope.doo"
    program, diags = load_program(missing)
    assert [(d.code, d.span) for d in diags] == [("E0006", Span(str(missing), 0, 0, 0, 0))]
    assert diags[0].message == f"cannot read `{missing}`: no such file"
    assert program.entry.decls == []
    assert rendered(program, diags) == (
        f"{missing}:0:0: error[E0006]: cannot read `{missing}`: no such file")


def test_folder_without_main_doo(tmp_path: Path) -> None:
    _, diags = load_program(tmp_path)
    assert [(d.code, d.message) for d in diags] == [
        ("E0006", f"cannot read `{tmp_path / 'main.doo'}`: no such file")]


def test_non_utf8_source_is_a_diagnostic_at_the_bad_byte(tmp_path: Path) -> None:
    write(tmp_path, {"main.doo": b"fn main() {\n  let s = \"caf\xe9\";\n}\n"})
    program, diags = load_program(tmp_path)
    main = str(tmp_path / "main.doo")
    assert rendered(program, diags) == (
        f"{main}:2:15: error[E0007]: `{main}` is not valid UTF-8 (byte 0xE9)\n"
        " 2 |   let s = \"caf\ufffd\";\n"
        "   |               ^ Doo source files must be UTF-8")


def test_syntax_errors_in_modules_are_collected_with_their_sources(tmp_path: Path) -> None:
    write(tmp_path, {"main.doo": "import m::{A};\nfn main() { let x = ; }\n",
                     "m.doo": "const A = 1\n"})
    program, diags = load_program(tmp_path)
    assert [(d.code, d.span.file, d.span.line) for d in diags] == [
        ("E0001", str(tmp_path / "main.doo"), 2), ("E0001", str(tmp_path / "m.doo"), 1)]
    assert "const A = 1" in rendered(program, diags)
