"""The typed intermediate representation, and its printer (`doo emit-ir`).

Input: built by `doo.frontend.lower` from a checked program.
Output: read by the C backend. The IR is statement-structured and close to C, but keeps Doo's
meaning: every expression has a type, expressions are free of control flow (`?`, `match`,
block-valued `if` are already flattened into statements and temporaries), checked operations
carry the source location they report on failure, and calls name their target directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from doo.frontend.types import Ty

# ---------------------------------------------------------------- expressions


@dataclass
class Const:
    ty: Ty
    value: int | float | bool | str | None  # enums: variant index; None: the zero value


@dataclass
class Var:
    ty: Ty
    name: str


@dataclass
class CallFn:
    """A call of a Doo function (C name), with the context as a hidden first argument."""

    ty: Ty
    fn: str
    args: list[Expr]


@dataclass
class CallRt:
    """A call of a runtime operation by name (`str.len`, `arr.push`, `print`, …); the backend
    maps each name to libdooh."""

    ty: Ty
    op: str
    args: list[Expr]
    loc: str = ""


@dataclass
class Bin:
    ty: Ty
    op: str
    left: Expr
    right: Expr
    loc: str = ""


@dataclass
class Un:
    ty: Ty
    op: str
    operand: Expr
    loc: str = ""


@dataclass
class GetField:
    ty: Ty
    obj: Expr
    name: str


@dataclass
class Index:
    ty: Ty
    arr: Expr
    index: Expr
    loc: str


@dataclass
class NewStruct:
    ty: Ty
    fields: list[tuple[str, Expr]]  # every field, in declaration order


@dataclass
class NewArray:
    ty: Ty
    items: list[Expr]


@dataclass
class Some:
    """Wrap a value into an optional (ty is the optional type)."""

    ty: Ty
    value: Expr


@dataclass
class NoneV:
    ty: Ty


@dataclass
class OptHas:
    ty: Ty
    opt: Expr


@dataclass
class OptGet:
    ty: Ty
    opt: Expr


@dataclass
class MakeResult:
    """A result value: ok with `value`, or an error with `value` (ty is the ResultTy)."""

    ty: Ty
    ok: bool
    value: Expr | None


@dataclass
class ResPart:
    """`.ok` (Bool), `.val` or `.err` of a result."""

    ty: Ty
    res: Expr
    part: str


@dataclass
class Cond:
    ty: Ty
    cond: Expr
    then: Expr
    else_: Expr


@dataclass
class StrCat:
    ty: Ty
    parts: list[Expr]


@dataclass
class ToStr:
    """A scalar (or optional scalar) as text, for interpolation and print."""

    ty: Ty
    value: Expr


@dataclass
class Convert:
    """`as Float` / `as Int`."""

    ty: Ty
    value: Expr
    loc: str = ""


@dataclass
class Panic:
    """panic(msg): never returns; typed as whatever its context needs."""

    ty: Ty
    msg: Expr
    loc: str


Expr = Const | Var | CallFn | CallRt | Bin | Un | GetField | Index | NewStruct | NewArray | Some | NoneV | OptHas | OptGet | MakeResult | ResPart | Cond | StrCat | ToStr | Convert | Panic

# ---------------------------------------------------------------- statements


@dataclass
class Decl:
    name: str
    ty: Ty
    init: Expr | None
    line: int = 0


@dataclass
class Set:
    target: Expr  # Var, GetField or Index
    value: Expr
    line: int = 0


@dataclass
class Eval:
    expr: Expr
    line: int = 0


@dataclass
class If:
    cond: Expr
    then: list[Stmt]
    else_: list[Stmt]
    line: int = 0


@dataclass
class Loop:
    """`for (;;) { body }`: exits by Break or Return."""

    body: list[Stmt]
    line: int = 0


@dataclass
class ForRange:
    var: str
    start: Expr
    end: Expr
    inclusive: bool
    body: list[Stmt]
    line: int = 0


@dataclass
class ForEach:
    index: str | None
    var: str
    elem_ty: Ty
    arr: Expr
    body: list[Stmt]
    line: int = 0


@dataclass
class Break:
    line: int = 0


@dataclass
class Continue:
    line: int = 0


@dataclass
class Return:
    value: Expr | None
    line: int = 0


@dataclass
class Block:
    body: list[Stmt]
    line: int = 0


Stmt = Decl | Set | Eval | If | Loop | ForRange | ForEach | Break | Continue | Return | Block

# ---------------------------------------------------------------- program


@dataclass
class Function:
    cname: str
    params: list[tuple[str, Ty]]
    ret: Ty  # VOID, a value type, or a ResultTy
    body: list[Stmt]
    file: str
    line: int
    doc: str = ""  # "fn jsonHandler() -> Message"


@dataclass
class Route:
    method: str
    path: str
    handler: str  # C name of the handler function
    wrapper: str  # C name of the generated binding wrapper


@dataclass
class Program:
    functions: list[Function] = field(default_factory=list)
    routes: list[Route] = field(default_factory=list)
    main: str | None = None
    server_addr: Expr | None = None


# ---------------------------------------------------------------- printer


def show_expr(e: Expr) -> str:
    if isinstance(e, Const):
        return repr(e.value) if not isinstance(e.value, str) else _quote(e.value)
    if isinstance(e, Var):
        return e.name
    if isinstance(e, CallFn):
        return f"{e.fn}({', '.join(show_expr(a) for a in e.args)})"
    if isinstance(e, CallRt):
        return f"@{e.op}({', '.join(show_expr(a) for a in e.args)})"
    if isinstance(e, Bin):
        return f"({show_expr(e.left)} {e.op} {show_expr(e.right)})"
    if isinstance(e, Un):
        return f"({e.op}{show_expr(e.operand)})"
    if isinstance(e, GetField):
        return f"{show_expr(e.obj)}.{e.name}"
    if isinstance(e, Index):
        return f"{show_expr(e.arr)}[{show_expr(e.index)}]"
    if isinstance(e, NewStruct):
        return f"{e.ty} {{ " + ", ".join(f"{n}: {show_expr(v)}" for n, v in e.fields) + " }"
    if isinstance(e, NewArray):
        return "[" + ", ".join(show_expr(i) for i in e.items) + "]"
    if isinstance(e, Some):
        return f"some({show_expr(e.value)})"
    if isinstance(e, NoneV):
        return f"none<{e.ty}>"
    if isinstance(e, OptHas):
        return f"has({show_expr(e.opt)})"
    if isinstance(e, OptGet):
        return f"get({show_expr(e.opt)})"
    if isinstance(e, MakeResult):
        inner = show_expr(e.value) if e.value is not None else ""
        return f"{'ok' if e.ok else 'err'}({inner})"
    if isinstance(e, ResPart):
        return f"{show_expr(e.res)}.{e.part}"
    if isinstance(e, Cond):
        return f"({show_expr(e.cond)} ? {show_expr(e.then)} : {show_expr(e.else_)})"
    if isinstance(e, StrCat):
        return "cat(" + ", ".join(show_expr(p) for p in e.parts) + ")"
    if isinstance(e, ToStr):
        return f"str({show_expr(e.value)})"
    if isinstance(e, Convert):
        return f"({show_expr(e.value)} as {e.ty})"
    if isinstance(e, Panic):
        return f"panic({show_expr(e.msg)})"
    raise AssertionError(e)  # pragma: no cover


def _quote(s: str) -> str:
    return '"' + s.encode("unicode_escape").decode("ascii").replace('"', '\\"') + '"'


def show_stmts(stmts: list[Stmt], indent: int) -> list[str]:
    pad = "  " * indent
    out: list[str] = []
    for s in stmts:
        if isinstance(s, Decl):
            init = f" = {show_expr(s.init)}" if s.init is not None else ""
            out.append(f"{pad}let {s.name}: {s.ty}{init}")
        elif isinstance(s, Set):
            out.append(f"{pad}{show_expr(s.target)} = {show_expr(s.value)}")
        elif isinstance(s, Eval):
            out.append(f"{pad}{show_expr(s.expr)}")
        elif isinstance(s, If):
            out.append(f"{pad}if {show_expr(s.cond)} {{")
            out += show_stmts(s.then, indent + 1)
            if s.else_:
                out.append(f"{pad}}} else {{")
                out += show_stmts(s.else_, indent + 1)
            out.append(f"{pad}}}")
        elif isinstance(s, Loop):
            out.append(f"{pad}loop {{")
            out += show_stmts(s.body, indent + 1)
            out.append(f"{pad}}}")
        elif isinstance(s, ForRange):
            dots = "..=" if s.inclusive else ".."
            out.append(f"{pad}for {s.var} in {show_expr(s.start)}{dots}{show_expr(s.end)} {{")
            out += show_stmts(s.body, indent + 1)
            out.append(f"{pad}}}")
        elif isinstance(s, ForEach):
            idx = f"{s.index}, " if s.index else ""
            out.append(f"{pad}for {idx}{s.var} in {show_expr(s.arr)} {{")
            out += show_stmts(s.body, indent + 1)
            out.append(f"{pad}}}")
        elif isinstance(s, Break):
            out.append(f"{pad}break")
        elif isinstance(s, Continue):
            out.append(f"{pad}continue")
        elif isinstance(s, Return):
            out.append(f"{pad}return" + (f" {show_expr(s.value)}" if s.value is not None else ""))
        elif isinstance(s, Block):
            out.append(f"{pad}{{")
            out += show_stmts(s.body, indent + 1)
            out.append(f"{pad}}}")
    return out


def show(p: Program) -> str:
    out: list[str] = []
    for f in p.functions:
        params = ", ".join(f"{n}: {t}" for n, t in f.params)
        out.append(f"fn {f.cname}({params}) -> {f.ret} {{   // {f.file}:{f.line}")
        out += show_stmts(f.body, 1)
        out.append("}")
        out.append("")
    for r in p.routes:
        out.append(f"route {r.method} {r.path} -> {r.handler} via {r.wrapper}")
    if p.main:
        out.append(f"main {p.main}")
    return "\n".join(out) + "\n"
