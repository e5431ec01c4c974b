"""The route table of a checked program, in a form the Requests tab and tools can use.

Input: `doo.frontend.checker.Checked` (its `routes` and `structs`). Output: `RouteSpec`s with
the path parameters, the query parameters and, for a route that takes a JSON body, an example
body pre-filled from the struct's fields (defaults where declared, otherwise a value of the
field's type that passes the common decorators). `fill_path` builds the request target.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from doo.frontend import ast as A
from doo.frontend.checker import Checked, FieldInfo, RouteInfo
from doo.frontend.types import ArrayTy, EnumTy, OptTy, Prim, StructTy, Ty


@dataclass(frozen=True)
class Param:
    """A path or query parameter: its name (the key in the URL) and its type as written."""

    name: str
    type: str
    optional: bool = False


@dataclass(frozen=True)
class RouteSpec:
    method: str
    path: str
    handler: str
    path_params: tuple[Param, ...] = ()
    query_params: tuple[Param, ...] = ()
    body_type: str = ""  # the struct a JSON body binds to ("" for none)
    body_example: str = ""  # pretty JSON pre-filled from the struct's fields

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"


def routes_of(checked: Checked) -> tuple[RouteSpec, ...]:
    return tuple(_route(checked, r) for r in checked.routes)


def _route(checked: Checked, r: RouteInfo) -> RouteSpec:
    path_params: list[Param] = []
    query: list[Param] = []
    body_type = body = ""
    for b in r.bindings:
        if b.kind == "path":
            path_params.append(Param(b.key, str(b.ty)))
        elif b.kind == "query":
            query.append(Param(b.key, str(_base(b.ty)), isinstance(b.ty, OptTy)))
        elif b.kind == "query_struct" and isinstance(b.ty, StructTy):
            si = checked.structs.get(b.ty.name)
            for f in si.fields if si else []:
                query.append(Param(f.name, str(_base(f.ty)),
                                   isinstance(f.ty, OptTy) or f.default is not None))
        elif b.kind == "body" and isinstance(b.ty, StructTy):
            body_type = b.ty.name
            body = json.dumps(example_value(checked, b.ty, set()), indent=2)
    # Generated CRUD routes (the data layer) have no handler and no bindings: their path
    # parameters come from the path and their body from the table's struct.
    crud = str(getattr(r, "crud", "") or "")
    table = getattr(r, "table", None)
    if crud:
        named = {p.name for p in path_params}
        path_params += [Param(seg[1:], "Str") for seg in r.path.split("/")
                        if seg.startswith(":") and seg[1:] not in named]
        if crud in ("create", "replace", "update") and table is not None and not body:
            body_type = table.struct.name
            value = example_value(checked, StructTy(table.struct.name), set())
            value.pop(getattr(table, "pk", ""), None)  # the database assigns the key
            body = json.dumps(value, indent=2)
    path_params.sort(key=lambda p: r.path.find(":" + p.name))
    handler = r.handler.name if r.handler is not None else f"crud {crud}".strip()
    return RouteSpec(r.method, r.path, handler, tuple(path_params), tuple(query), body_type,
                     body)


def _base(ty: Ty) -> Ty:
    return ty.inner if isinstance(ty, OptTy) else ty


def example_value(checked: Checked, ty: Ty, seen: set[str]) -> Any:
    """A JSON value of type `ty` for a request body a person edits before sending."""
    ty = _base(ty)
    if isinstance(ty, StructTy):
        si = checked.structs.get(ty.name)
        if si is None or ty.name in seen:
            return {}
        return {f.name: _field_example(checked, f, seen | {ty.name}) for f in si.fields}
    if isinstance(ty, ArrayTy):
        return [example_value(checked, ty.elem, seen)]
    if isinstance(ty, EnumTy):
        en = checked.enums.get(ty.name)
        return en.variants[0] if en and en.variants else ""
    if isinstance(ty, Prim):
        return {"Int": 0, "Float": 0.0, "Bool": False}.get(ty.name, "")
    return None


def _field_example(checked: Checked, f: FieldInfo, seen: set[str]) -> Any:
    if f.default is not None:
        lit = _literal(f.default)
        if lit is not None:
            return lit
    base = _base(f.ty)
    deco = f.decorators
    if isinstance(base, Prim) and base.name == "Str":
        if "email" in deco:
            return "someone@example.com"
        if "url" in deco:
            return "https://example.com"
        size = int(f.min) if isinstance(f.min, (int, float)) and f.min > 0 else 0
        text = f.name if len(f.name) >= size else (f.name * (size // max(1, len(f.name)) + 1))
        return text[: int(f.max)] if isinstance(f.max, (int, float)) else text
    if isinstance(base, Prim) and base.name in ("Int", "Float"):
        low = f.min if isinstance(f.min, (int, float)) else 0
        return int(low) if base.name == "Int" else float(low)
    return example_value(checked, f.ty, seen)


def _literal(e: A.Expr) -> Any:
    """The JSON value of a literal default (`@default("ABC-0000")`, `@default(Priority::Low)`)."""
    if isinstance(e, (A.StrLit, A.IntLit, A.FloatLit, A.BoolLit)):
        return e.value
    if isinstance(e, A.Path):
        return e.parts[-1]
    return None


def fill_path(path: str, values: dict[str, str], query: dict[str, str] | None = None) -> str:
    """The request target: `:name` segments replaced by their (percent-encoded) values, then
    the non-empty query parameters."""
    parts = []
    for seg in path.split("/"):
        if seg.startswith(":"):
            seg = quote(values.get(seg[1:], ""), safe="")
        parts.append(seg)
    target = "/".join(parts)
    pairs = [(k, v) for k, v in (query or {}).items() if v != ""]
    return target + ("?" + urlencode(pairs) if pairs else "")
