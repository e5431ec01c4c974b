"""Terse helpers over pycparser's c_ast, and the printer of generated C.

Two ways to make C syntax trees:
- builders (`call`, `ref`, `lit_str`, …) for code translated node by node from the IR;
- `parse_funcs` for the fixed-shape helpers generated per type or route (serialisers,
  decoders, binding wrappers): they are written as C text, parsed by pycparser into c_ast
  and then printed with everything else, so every line of output comes from one tree.
`Printer` is CGenerator plus `#line` markers: a statement whose coord names a .doo file is
preceded by `#line N "file"` so that C compiler messages point at Doo source.
"""

from __future__ import annotations

import math

from pycparser import c_ast, c_generator, c_parser
from pycparser.c_ast import Node

# Typedef names that appear in generated C; pycparser must know them to parse snippets.
RUNTIME_TYPEDEFS = [
    "int64_t", "int32_t", "uint64_t", "size_t", "bool", "dooh_str", "dooh_arr", "dooh_ctx",
    "dooh_request", "dooh_response", "dooh_buf", "dooh_jv", "dooh_regex", "dooh_route",
    "dooh_app", "dooh_verr", "dooh_dbv", "dooh_rows", "dooh_column", "dooh_table", "dooh_rules",
    "dooh_auth_user", "dooh_auth_config", "dooh_ratelimit", "dooh_cors",
]


def ID(name: str) -> c_ast.ID:
    return c_ast.ID(name)


def call(fn: str, *args: Node) -> c_ast.FuncCall:
    return c_ast.FuncCall(c_ast.ID(fn), c_ast.ExprList(list(args)) if args else None)


def lit_int(v: int) -> Node:
    if v == -(2 ** 63):
        return ID("INT64_MIN")
    if v < 0:
        return c_ast.UnaryOp("-", lit_int(-v))
    text = str(v) if v <= 2 ** 31 - 1 else f"INT64_C({v})"
    return c_ast.Constant("int", text)


def lit_float(v: float) -> Node:
    if math.isnan(v):
        return ID("NAN")
    if v in (float("inf"), float("-inf")):
        return ID("INFINITY") if v > 0 else c_ast.UnaryOp("-", ID("INFINITY"))
    text = repr(v)
    if v < 0:
        return c_ast.UnaryOp("-", c_ast.Constant("double", repr(-v)))
    return c_ast.Constant("double", text)


def c_string(s: str) -> str:
    """A C string literal of s's UTF-8 bytes. Non-printable bytes become 3-digit octal
    escapes (so a following digit can never extend them) and `?` is escaped (trigraphs)."""
    out = ['"']
    for b in s.encode("utf-8"):
        ch = chr(b)
        if ch in '"\\?':
            out.append("\\" + ch)
        elif 32 <= b < 127:
            out.append(ch)
        else:
            out.append(f"\\{b:03o}")
    out.append('"')
    return "".join(out)


def lit_cstr(s: str) -> c_ast.Constant:
    return c_ast.Constant("string", c_string(s))


def lit_str(s: str) -> Node:
    """A dooh_str for a literal: DOOH_LIT("…") (its length is sizeof - 1, NULs included)."""
    return call("DOOH_LIT", lit_cstr(s))


def ref(obj: Node, field: str, arrow: bool = False) -> c_ast.StructRef:
    return c_ast.StructRef(obj, "->" if arrow else ".", ID(field))


def binop(op: str, a: Node, b: Node) -> c_ast.BinaryOp:
    return c_ast.BinaryOp(op, a, b)


def typename(ctype: str) -> c_ast.Typename:
    if ctype.endswith("*"):
        base = ctype[:-1].strip()
        return c_ast.Typename(None, [], None, c_ast.PtrDecl(
            [], c_ast.TypeDecl(None, [], None, c_ast.IdentifierType([base]))))
    return c_ast.Typename(None, [], None, c_ast.TypeDecl(None, [], None,
                                                         c_ast.IdentifierType([ctype])))


def cast(ctype: str, e: Node) -> c_ast.Cast:
    return c_ast.Cast(typename(ctype), e)


def compound_lit(ctype: str, inits: list[tuple[str | None, Node]]) -> c_ast.CompoundLiteral:
    exprs: list[Node] = []
    for name, value in inits:
        exprs.append(c_ast.NamedInitializer([ID(name)], value) if name else value)
    if not exprs:
        exprs = [c_ast.Constant("int", "0")]
    return c_ast.CompoundLiteral(typename(ctype), c_ast.InitList(exprs), [])


def array_lit(elem_ctype: str, items: list[Node]) -> c_ast.CompoundLiteral:
    tn = c_ast.Typename(None, [], None, c_ast.ArrayDecl(
        c_ast.TypeDecl(None, [], None, c_ast.IdentifierType([elem_ctype])), None, []))
    return c_ast.CompoundLiteral(tn, c_ast.InitList(items), [])


def decl(name: str, ctype: str, init: Node | None, storage: list[str] | None = None,
         coord: object | None = None) -> c_ast.Decl:
    if ctype.endswith("*"):
        base = ctype[:-1].strip()
        ty: Node = c_ast.PtrDecl([], c_ast.TypeDecl(name, [], None,
                                                    c_ast.IdentifierType([base])))
    else:
        ty = c_ast.TypeDecl(name, [], None, c_ast.IdentifierType([ctype]))
    return c_ast.Decl(name, [], [], storage or [], [], ty, init, None, coord=coord)


def func_def(name: str, ret: str, params: list[tuple[str, str]], body: list[Node],
             static: bool = True) -> c_ast.FuncDef:
    pdecls: list[Node] = [decl(n, t, None) for n, t in params]
    if not pdecls:
        pdecls = [c_ast.Typename(None, [], None, c_ast.TypeDecl(
            None, [], None, c_ast.IdentifierType(["void"])))]
    fdecl = c_ast.FuncDecl(c_ast.ParamList(pdecls), _ret_decl(name, ret))
    d = c_ast.Decl(name, [], [], ["static"] if static else [], [], fdecl, None, None)
    return c_ast.FuncDef(d, None, c_ast.Compound(body))


def _ret_decl(name: str, ret: str) -> Node:
    if ret.endswith("*"):
        return c_ast.PtrDecl([], c_ast.TypeDecl(name, [], None,
                                                c_ast.IdentifierType([ret[:-1].strip()])))
    return c_ast.TypeDecl(name, [], None, c_ast.IdentifierType([ret]))


def prototype(fd: c_ast.FuncDef) -> c_ast.Decl:
    return fd.decl


_parser: c_parser.CParser | None = None


def parse_funcs(text: str, typedefs: list[str]) -> list[c_ast.Node]:
    """Parse C text (function definitions and declarations) into c_ast nodes.
    `typedefs` names the generated types the text uses, so that pycparser can parse it."""
    global _parser
    if _parser is None:
        _parser = c_parser.CParser()
    prelude = "".join(f"typedef int {t};\n" for t in RUNTIME_TYPEDEFS + typedefs)
    ast = _parser.parse(prelude + text, filename="<generated>")
    nodes = [n for n in ast.ext if not isinstance(n, c_ast.Typedef)]
    for n in nodes:
        _clear_coords(n)
    return nodes


def _clear_coords(n: Node) -> None:
    n.coord = None
    for _, child in n.children():
        _clear_coords(child)


class Coord:
    """A source position for `#line` markers."""

    def __init__(self, file: str, line: int):
        self.file = file
        self.line = line


class Printer(c_generator.CGenerator):
    """CGenerator with `#line` markers before statements from Doo source, and comments
    before top-level nodes (pycparser has no comment node: `comments` maps id(node) to the
    text, for nodes alive while printing)."""

    def __init__(self, line_markers: bool = True, comments: dict[int, str] | None = None):
        super().__init__()
        self.line_markers = line_markers
        self.comments = comments or {}

    def _generate_stmt(self, n: Node, add_indent: bool = False) -> str:
        text = super()._generate_stmt(n, add_indent)
        coord = getattr(n, "coord", None)
        if self.line_markers and isinstance(coord, Coord) and coord.line > 0:
            return f'#line {coord.line} "{coord.file}"\n' + text
        return text

    def visit_FuncDef(self, n: c_ast.FuncDef) -> str:
        text: str = super().visit_FuncDef(n)
        if self.line_markers and "\n#line " in text:
            text += RESET_MARKER + "\n"
        return text

    def visit_FileAST(self, n: c_ast.FileAST) -> str:
        out = []
        for ext in n.ext:
            comment = self.comments.get(id(ext))
            if comment:
                out.append("\n/* " + comment.replace("*/", "* /") + " */\n")
            if isinstance(ext, c_ast.FuncDef):
                out.append(self.visit(ext))
            elif isinstance(ext, c_ast.Pragma):
                out.append(self.visit(ext) + "\n")
            else:
                out.append(self.visit(ext) + ";\n")
        return "".join(out)


RESET_MARKER = '#line 0 "<reset>"'


def reset_line_markers(text: str, c_name: str) -> str:
    """After a function whose statements carry `#line` markers into .doo source, point the
    compiler back at the C file itself, at the right line."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if line == RESET_MARKER:
            lines[i] = f'#line {i + 2} "{c_name}"'
    return "\n".join(lines)
