"""Golden files: the IR and C generated for each example, reviewed as diffs.

Regenerate after an intended change with `DOO_UPDATE_GOLDEN=1 python -m pytest tests/golden`
and read the diff before committing it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from pycparser import c_ast

from doo import pipeline
from doo.backend_c import cbuild
from doo.frontend import ir

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).parent
EXAMPLES = sorted(p.parent for p in (ROOT / "examples").glob("*/main.doo"))
UPDATE = bool(os.environ.get("DOO_UPDATE_GOLDEN"))


def compare(path: Path, text: str) -> None:
    if UPDATE or not path.exists():
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{path.name} changed; see module doc"


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_ir_golden(example: Path) -> None:
    res = pipeline.to_ir(example)
    assert res.ok and res.ir is not None
    compare(HERE / f"{example.name}.ir", ir.show(res.ir))


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_c_golden_and_deterministic(example: Path) -> None:
    first = pipeline.to_c(example).c_source
    second = pipeline.to_c(example).c_source
    assert first is not None and first == second
    compare(HERE / f"{example.name}.c", first)


def split_unit(c: str) -> str:
    """The part of a unit printed from the syntax tree (after the text prologue and the
    typedefs), without line markers and the one-line comments before functions."""
    body = c[c.index("/* ---- code ---- */") + len("/* ---- code ---- */"):]
    body = re.sub(r"^/\* .* \*/$", "", body, flags=re.M)
    return re.sub(r"^#line .*\n", "", body, flags=re.M)


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_generated_c_reparses_to_the_same_tree(example: Path) -> None:
    res = pipeline.to_c(example)
    assert res.c_source is not None
    body = split_unit(res.c_source)
    gen_h = (ROOT / "libdooh" / "include" / "dooh" / "gen.h").read_text(encoding="utf-8")
    typedefs = re.findall(r"\}\s*(doo_\w+);", res.c_source + gen_h)
    nodes = cbuild.parse_funcs(body, typedefs)
    again = cbuild.Printer(line_markers=False).visit(c_ast.FileAST(nodes))
    nodes2 = cbuild.parse_funcs(again, typedefs)
    assert [type(n).__name__ for n in nodes] == [type(n).__name__ for n in nodes2]
    assert again == cbuild.Printer(line_markers=False).visit(c_ast.FileAST(nodes2))


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_generated_c_is_warning_free(example: Path, tmp_path: Path) -> None:
    from doo.backend_c import toolchain

    res = pipeline.to_c(example)
    assert res.c_source is not None
    assert res.checked is not None
    opts = toolchain.BuildOptions(werror=True, extra_cflags=("-Wshadow", "-Wconversion",
                                                             "-Wno-sign-conversion"),
                                  sqlite=res.checked.uses_db)
    toolchain.build(res.c_source, tmp_path / "bin", opts)
