"""The Doo abstract syntax tree.

Input: built by `doo.frontend.parser` from lark's parse tree, one node per grammar construct.
Output: consumed by the checker. Nodes are plain dataclasses; every node carries the `Span`
of the source text it came from so that diagnostics can point at it. Nodes hold no types:
the checker keeps those in its own tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from doo.diagnostics import Span

# ---------------------------------------------------------------- types as written


@dataclass
class TypeName:
    """`Int`, `Str`, `Task`, `Request`."""

    name: str
    span: Span


@dataclass
class ArrayType:
    """`[T]`."""

    elem: TypeExpr
    span: Span


@dataclass
class OptionalType:
    """`T?`."""

    inner: TypeExpr
    span: Span


TypeExpr = TypeName | ArrayType | OptionalType

# ---------------------------------------------------------------- expressions


@dataclass
class IntLit:
    value: int
    span: Span


@dataclass
class FloatLit:
    value: float
    span: Span


@dataclass
class StrLit:
    """A string without interpolation; escapes already decoded."""

    value: str
    span: Span


@dataclass
class InterpStr:
    """`"id=${task.id}!"`: literal text parts (escapes decoded) and expressions, in order."""

    parts: list[str | Expr]
    span: Span


@dataclass
class BoolLit:
    value: bool
    span: Span


@dataclass
class NilLit:
    span: Span


@dataclass
class Name:
    """A bare identifier: variable, function, constant, type used as a value (`User` in
    `app.auth(..., User, db)`)."""

    name: str
    span: Span


@dataclass
class Path:
    """`Priority::High`, `Server::new`, `Database::open` (two or more segments)."""

    parts: list[str]
    span: Span


@dataclass
class Unary:
    op: str  # "-" or "!"
    operand: Expr
    span: Span


@dataclass
class Binary:
    op: str  # "||" "&&" "==" "!=" "<" ">" "<=" ">=" "+" "-" "*" "/" "%"
    left: Expr
    right: Expr
    span: Span


@dataclass
class Coalesce:
    """`a ?? b`: the value of optional/result `a`, or `b` (often `panic("…")`)."""

    left: Expr
    right: Expr
    span: Span


@dataclass
class Call:
    """`f(a, b)`; a method call is a Call whose func is a `Field`."""

    func: Expr
    args: list[Expr]
    span: Span


@dataclass
class Field:
    """`obj.name`."""

    obj: Expr
    name: str
    span: Span
    name_span: Span


@dataclass
class Index:
    obj: Expr
    index: Expr
    span: Span


@dataclass
class Cast:
    """`e as T`."""

    expr: Expr
    type: TypeExpr
    span: Span


@dataclass
class Try:
    """`e?`: propagate the error of a result (or absence of an optional) to the caller."""

    expr: Expr
    span: Span


@dataclass
class FieldInit:
    name: str
    value: Expr
    span: Span  # of the name


@dataclass
class StructLit:
    """`Task { Title: "x", Done: false }`."""

    name: str
    fields: list[FieldInit]
    span: Span
    name_span: Span


@dataclass
class ArrayLit:
    items: list[Expr]
    span: Span


@dataclass
class ObjectLit:
    """`{ max: 100, window: 60 }`: option objects for std functions."""

    fields: list[FieldInit]
    span: Span


@dataclass
class Range:
    """`a..b` or `a..=b` (only as the iterable of a `for`)."""

    start: Expr
    end: Expr
    inclusive: bool
    span: Span


@dataclass
class IfExpr:
    """`if c { … } else { … }` used as a statement or as a value (last expression of each
    branch block is the value)."""

    cond: Expr
    then: Block
    else_: Block | IfExpr | None
    span: Span


@dataclass
class WildcardPat:
    span: Span


@dataclass
class ValuePat:
    """A literal (`1`, `"a"`, `true`) or an enum variant path (`Color::Red`)."""

    value: Expr
    span: Span


Pattern = WildcardPat | ValuePat


@dataclass
class MatchArm:
    patterns: list[Pattern]  # `A | B => …` has two
    body: Expr | Block
    span: Span


@dataclass
class Match:
    subject: Expr
    arms: list[MatchArm]
    span: Span


Expr = IntLit | FloatLit | StrLit | InterpStr | BoolLit | NilLit | Name | Path | Unary | Binary | Coalesce | Call | Field | Index | Cast | Try | StructLit | ArrayLit | ObjectLit | Range | IfExpr | Match

# ---------------------------------------------------------------- statements


@dataclass
class Let:
    """`let x = e;`, `let mut x: T = e;`, `let v, err = f();` (two names)."""

    names: list[str]
    mutable: bool
    type: TypeExpr | None
    value: Expr
    span: Span
    name_spans: list[Span]


@dataclass
class Assign:
    """`target = e;` or a compound `target += e;` (op is "=", "+=", "-=", "*=", "/=", "%=")."""

    target: Expr
    op: str
    value: Expr
    span: Span


@dataclass
class IncDec:
    """`i++;` / `i--;` (Doolang)."""

    target: Expr
    op: str  # "++" or "--"
    span: Span


@dataclass
class ExprStmt:
    expr: Expr
    span: Span


@dataclass
class Return:
    value: Expr | None
    span: Span


@dataclass
class OkStmt:
    """`Ok e;`: return a success value from a `-> T ! E` function."""

    value: Expr
    span: Span


@dataclass
class ErrStmt:
    """`Err e;`: return an error from a `-> T ! E` function."""

    value: Expr
    span: Span


@dataclass
class ForIn:
    """`for x in xs {}`, `for i, x in xs {}`, `for i in 0..n {}`."""

    var: str
    index_var: str | None  # set for the two-name form: `for i, x in xs` -> index_var="i", var="x"
    iterable: Expr
    body: Block
    span: Span


@dataclass
class ForCond:
    """`for cond {}` (while) and `for {}` (forever: cond is None)."""

    cond: Expr | None
    body: Block
    span: Span


@dataclass
class Break:
    span: Span


@dataclass
class Continue:
    span: Span


@dataclass
class Block:
    stmts: list[Stmt]
    span: Span


Stmt = Let | Assign | IncDec | ExprStmt | Return | OkStmt | ErrStmt | ForIn | ForCond | Break | Continue | Block

# ---------------------------------------------------------------- declarations


@dataclass
class ImportItem:
    name: str
    alias: str | None
    span: Span


@dataclass
class Import:
    """`import std::Http::Server;` -> path ["std", "Http", "Server"], items None.
    `import std::Http::{Server, Request};` -> path ["std", "Http"], items [Server, Request].
    `import models::{Task as T};` -> path ["models"], items [ImportItem("Task", "T")].
    `import a::b as c;` -> path ["a", "b"], items None, alias "c"."""

    path: list[str]
    items: list[ImportItem] | None
    alias: str | None
    span: Span


@dataclass
class Const:
    name: str
    type: TypeExpr | None
    value: Expr
    span: Span
    name_span: Span


@dataclass
class Variant:
    name: str
    span: Span


@dataclass
class Enum:
    name: str
    variants: list[Variant]
    span: Span
    name_span: Span


@dataclass
class Decorator:
    """`@min(8)`: name without the `@`, arguments as expressions."""

    name: str
    args: list[Expr]
    span: Span


@dataclass
class StructField:
    name: str
    type: TypeExpr
    decorators: list[Decorator]
    span: Span  # of the name


@dataclass
class Struct:
    name: str
    fields: list[StructField]
    span: Span
    name_span: Span


@dataclass
class Param:
    """A parameter; the receiver of a method is Param("self", None)."""

    name: str
    type: TypeExpr | None
    span: Span


@dataclass
class Fn:
    """`fn name(params) -> Ret ! Err { body }` or `fn name(…) -> Ret => expr;`.
    `fn Task.IsUrgent(self) -> Bool {…}` has receiver "Task" and a first Param("self")."""

    name: str
    receiver: str | None
    params: list[Param]
    ret: TypeExpr | None
    err: TypeExpr | None
    body: Block | Expr
    span: Span
    name_span: Span


Decl = Import | Const | Enum | Struct | Fn


@dataclass
class Module:
    """One parsed .doo file."""

    path: str  # file path as given to the parser (used in spans)
    decls: list[Decl] = field(default_factory=list)
