"""The checker: names, types, decorators, handler signatures and the route table.

Input: a `Program` (parsed modules) from `doo.frontend.modules`.
Output: a `Checked` program — symbol tables, a type for every expression, the variable each
name refers to, the call target of every call, and the route table — plus diagnostics.
Every user error becomes a coded diagnostic; checking goes on after an error (the `ERROR`
type silences follow-ups) so that one run reports everything.
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass, field

from doo.diagnostics import NO_SPAN, Diagnostic, DiagnosticBag, Span
from doo.frontend import ast as A
from doo.frontend.modules import Program
from doo.frontend.types import (
    AUTHUSER,
    BOOL,
    DATABASE,
    ERROR,
    FLOAT,
    INT,
    MIDDLEWARE,
    NEVER,
    NIL,
    PRIMS,
    REQUEST,
    RESPONSE,
    SERVER,
    STR,
    VOID,
    ArrayTy,
    EnumTy,
    FnRefTy,
    OptionsTy,
    OptTy,
    ResultTy,
    StdTy,
    StructTy,
    Ty,
    TypeRefTy,
    assignable,
    is_scalar,
)

# Std modules and the names each one exports. Std names are always in scope (a prelude);
# an import of a std name only checks that it exists.
STD_EXPORTS: dict[str, set[str]] = {
    "Http": {"Server", "Request", "Response", "Jwt", "RateLimit", "AuthUser"},
    "Database": {"Database", "DatabaseError"},
    "Auth": {"Jwt", "AuthUser"},
    "Json": {"JSON"},
    "JSON": {"JSON"},
}
STD_MODULE_ITEMS = {"Http", "Database", "Auth", "Json", "JSON"}
STD_TYPES: dict[str, Ty] = {"Request": REQUEST, "Response": RESPONSE, "AuthUser": AUTHUSER,
                            "Server": SERVER, "Database": DATABASE}

# Enum variants that map an `Err` to an HTTP status (http.md §2).
STATUS_VARIANTS = {
    "BadRequest": 400, "Unauthorized": 401, "Forbidden": 403, "NotFound": 404,
    "Conflict": 409, "Gone": 410, "ValidationError": 422, "UnprocessableContent": 422,
    "TooManyRequests": 429, "InternalError": 500, "ServiceUnavailable": 503,
}

HTTP_METHODS = ("get", "post", "put", "patch", "delete")

# The std error enum of the data layer; its variant order is libdooh's DOOH_DBERR_* values.
DB_ERROR = "DatabaseError"
DB_ERROR_VARIANTS = ("NotFound", "Conflict", "ServiceUnavailable", "InternalError",
                     "BadRequest")
DB_ERROR_TY = EnumTy(DB_ERROR)

AUTHUSER_FIELDS: dict[str, Ty] = {"id": INT, "email": STR, "role": STR}

CRUD_ROUTES = (("GET", "", "list"), ("POST", "", "create"), ("GET", "/:id", "get"),
               ("PUT", "/:id", "replace"), ("PATCH", "/:id", "update"),
               ("DELETE", "/:id", "delete"))

DECORATORS = {
    # name: (argument count, allowed field types description)
    "primary": 0, "auto": 0, "unique": 0, "email": 0, "url": 0, "pattern": 1, "min": 1,
    "max": 1, "default": 1, "foreign": 1, "hash": 0, "writeOnly": 0, "readOnly": 0,
    "internal": 0, "owner": 0, "role": 0,
}

STR_METHODS: dict[str, tuple[list[Ty], Ty]] = {
    "len": ([], INT), "contains": ([STR], BOOL), "startsWith": ([STR], BOOL),
    "endsWith": ([STR], BOOL), "indexOf": ([STR], INT), "substring": ([INT, INT], STR),
    "toUpper": ([], STR), "toLower": ([], STR), "trim": ([], STR),
    "replace": ([STR, STR], STR), "split": ([STR], ArrayTy(STR)), "repeat": ([INT], STR),
    "toInt": ([], ResultTy(INT, STR)), "toStr": ([], STR), "isEmpty": ([], BOOL),
}


# ---------------------------------------------------------------- checked program model


@dataclass
class FieldInfo:
    name: str
    ty: Ty
    span: Span
    decorators: dict[str, A.Decorator]
    min: int | float | None = None
    max: int | float | None = None
    pattern: str | None = None
    default: A.Expr | None = None

    def has(self, name: str) -> bool:
        return name in self.decorators

    @property
    def output(self) -> bool:
        """Included in JSON responses."""
        return not (self.has("hash") or self.has("writeOnly") or self.has("internal"))

    @property
    def input(self) -> bool:
        """Accepted from a client body."""
        return not (self.has("auto") or self.has("readOnly") or self.has("internal")
                    or self.has("owner"))


@dataclass
class StructInfo:
    name: str
    module: str
    decl: A.Struct
    fields: list[FieldInfo] = field(default_factory=list)

    def field(self, name: str) -> FieldInfo | None:
        return next((f for f in self.fields if f.name == name), None)


@dataclass
class EnumInfo:
    name: str
    module: str
    decl: A.Enum
    variants: list[str]


@dataclass
class VarInfo:
    name: str
    ty: Ty
    mutable: bool
    cname: str


@dataclass
class FnInfo:
    name: str  # as declared ("IsUrgent" for a method)
    module: str
    decl: A.Fn
    params: list[tuple[str, Ty]]
    ret: Ty  # VOID when absent
    err: Ty | None
    receiver: str | None
    cname: str
    param_vars: list[VarInfo] = field(default_factory=list)

    @property
    def result(self) -> Ty:
        """What a call evaluates to."""
        return ResultTy(self.ret, self.err) if self.err is not None else self.ret


@dataclass
class ConstInfo:
    name: str
    module: str
    decl: A.Const
    ty: Ty
    cname: str


@dataclass
class CallTarget:
    """What a Call node calls. kind: "fn" (user function or method; fn set), "builtin"
    (print panic env now), "str" / "arr" / "int" / "float" (value methods; name set),
    "req" (Request methods), "response" (Response.json/text/status), "json" (JSON.stringify),
    "server" (Server::new and app.* calls), "middleware"."""

    kind: str
    name: str
    fn: FnInfo | None = None


@dataclass
class Binding:
    """How one handler parameter gets its value.
    kind: "path" (index into the route's params), "query", "body" (JSON body → struct),
    "query_struct" (query string → struct), "request"."""

    name: str
    kind: str
    ty: Ty
    index: int = -1
    key: str = ""  # the path or query parameter name


@dataclass
class TableInfo:
    """A database table: a struct used with `app.crud` or referenced by `@foreign`."""

    name: str  # "tasks"
    struct: StructInfo
    path: str | None  # the CRUD path, or None for a table that is only referenced
    pk: str  # the primary key field


@dataclass
class RouteInfo:
    method: str  # "GET", …
    path: str
    handler: FnInfo | None  # None for generated CRUD routes
    bindings: list[Binding]
    span: Span
    crud: str = ""  # CRUD operation (list create get replace update delete) or auth endpoint
    table: TableInfo | None = None
    jwt: bool = False  # `Jwt()` middleware: a valid token is required
    limit: tuple[int, int] | None = None  # `RateLimit(max, seconds)` for this route


@dataclass
class AuthInfo:
    """`app.auth(signup, login, User, db)`."""

    table: TableInfo
    email: str  # the @email field
    hash: str  # the @hash field
    role: str | None  # a @role field, or one named Role
    signup: str
    login: str
    me: str
    span: Span


@dataclass
class CorsInfo:
    origins: list[str]  # empty: any origin
    credentials: bool
    max_age: int


@dataclass
class RateLimitInfo:
    max: int
    window: int
    trust_proxy: bool


@dataclass
class ServerInfo:
    var: VarInfo
    addr: A.Expr
    start_span: Span | None = None


@dataclass
class Checked:
    program: Program
    structs: dict[str, StructInfo] = field(default_factory=dict)
    enums: dict[str, EnumInfo] = field(default_factory=dict)
    fns: list[FnInfo] = field(default_factory=list)
    consts: list[ConstInfo] = field(default_factory=list)
    types: dict[int, Ty] = field(default_factory=dict)
    vars: dict[int, VarInfo] = field(default_factory=dict)
    vars2: dict[int, VarInfo] = field(default_factory=dict)  # `err` of `let v, err`; index of `for i, x`
    calls: dict[int, CallTarget] = field(default_factory=dict)
    consts_used: dict[int, ConstInfo] = field(default_factory=dict)
    routes: list[RouteInfo] = field(default_factory=list)
    server: ServerInfo | None = None
    main: FnInfo | None = None
    patterns: list[str] = field(default_factory=list)  # @pattern regexes, index = id
    tables: list[TableInfo] = field(default_factory=list)
    uses_db: bool = False  # the program calls Database::open / ::sqlite
    auth: AuthInfo | None = None
    cors: CorsInfo | None = None
    ratelimit: RateLimitInfo | None = None

    def ty(self, e: A.Expr) -> Ty:
        return self.types.get(id(e), ERROR)


# ---------------------------------------------------------------- scopes


@dataclass
class ModuleScope:
    """What one module can name: its own declarations and its imports."""

    key: str
    structs: dict[str, StructInfo] = field(default_factory=dict)
    enums: dict[str, EnumInfo] = field(default_factory=dict)
    fns: dict[str, FnInfo] = field(default_factory=dict)
    consts: dict[str, ConstInfo] = field(default_factory=dict)


class Scope:
    def __init__(self, parent: Scope | None = None, loop: bool = False):
        self.parent = parent
        self.vars: dict[str, VarInfo] = {}
        self.loop = loop

    def lookup(self, name: str) -> VarInfo | None:
        s: Scope | None = self
        while s is not None:
            if name in s.vars:
                return s.vars[name]
            s = s.parent
        return None

    def in_loop(self) -> bool:
        s: Scope | None = self
        while s is not None:
            if s.loop:
                return True
            s = s.parent
        return False


def suggest(name: str, candidates: list[str], prefix: str = "") -> str:
    close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    return f"did you mean `{prefix}{close[0]}`?" if close else ""


def route_params(path: str) -> list[str]:
    return [seg[1:] for seg in path.split("/") if seg.startswith(":")]


# ---------------------------------------------------------------- the checker


class Checker:
    def __init__(self, program: Program):
        self.program = program
        self.out = Checked(program)
        self.bag = DiagnosticBag()
        self.scopes: dict[str, ModuleScope] = {}
        self.fn: FnInfo | None = None  # function being checked
        self.module = "main"
        self.cname_counts: dict[str, int] = {}
        self.jwt_spans: list[Span] = []  # routes with Jwt(), checked against app.auth
        self.sql_checks: list[tuple[str, Ty, Span]] = []  # literal queries and row types

    # ---- entry

    def run(self) -> tuple[Checked, list[Diagnostic]]:
        self.collect()
        self.add_std_enums()
        self.resolve_imports()
        self.resolve_structs()
        self.resolve_signatures()
        self.check_consts()
        for fn in self.out.fns:
            self.check_fn(fn)
        self.check_main()
        self.check_sql_columns()
        return self.out, self.bag.items

    def err(self, code: str, msg: str, span: Span, hint: str = "") -> None:
        self.bag.error(code, msg, span, hint)

    # ---- declarations

    def collect(self) -> None:
        for key, mod in self.program.modules.items():
            sc = self.scopes.setdefault(key, ModuleScope(key))
            seen: dict[str, Span] = {}
            for d in mod.decls:
                if isinstance(d, A.Import):
                    continue
                name = d.name if not (isinstance(d, A.Fn) and d.receiver) else \
                    f"{d.receiver}.{d.name}"
                nspan = d.name_span
                if name in seen:
                    self.err("E0103", f"`{name}` is defined twice", nspan,
                             f"first defined at line {seen[name].line}")
                    continue
                seen[name] = nspan
                if isinstance(d, A.Struct):
                    if d.name in STD_TYPES or d.name in PRIMS:
                        self.err("E0104", f"`{d.name}` is a built-in type name", nspan)
                    info = StructInfo(d.name, key, d)
                    sc.structs[d.name] = info
                    self.out.structs.setdefault(d.name, info)
                elif isinstance(d, A.Enum):
                    ei = EnumInfo(d.name, key, d, [v.name for v in d.variants])
                    vseen: set[str] = set()
                    for v in d.variants:
                        if v.name in vseen:
                            self.err("E0103", f"variant `{v.name}` is defined twice", v.span)
                        vseen.add(v.name)
                    sc.enums[d.name] = ei
                    self.out.enums.setdefault(d.name, ei)
                elif isinstance(d, A.Fn):
                    cname = self.unique_cname(
                        f"doo_{key.replace('::', '_')}_"
                        + (f"{d.receiver}_{d.name}" if d.receiver else d.name))
                    fi = FnInfo(d.name, key, d, [], VOID, None, d.receiver, cname)
                    sc.fns[name] = fi
                    self.out.fns.append(fi)
                    if d.name == "main" and key == "main" and not d.receiver:
                        self.out.main = fi
                elif isinstance(d, A.Const):
                    ci = ConstInfo(d.name, key, d, ERROR,
                                   self.unique_cname(f"doo_{key.replace('::', '_')}_{d.name}"))
                    sc.consts[d.name] = ci
                    self.out.consts.append(ci)
        # The same struct or enum name in two modules would collide in C and in JSON.
        names: dict[str, str] = {}
        for key, sc in self.scopes.items():
            for n, si in list(sc.structs.items()) + list(sc.enums.items()):
                if n in names and names[n] != key:
                    self.err("E0103", f"type `{n}` is defined in modules `{names[n]}` and "
                             f"`{key}`; type names must be unique in a program",
                             si.decl.name_span)
                names[n] = key

    def add_std_enums(self) -> None:
        """`DatabaseError` is a std enum visible everywhere (a module may declare its own)."""
        decl = A.Enum(DB_ERROR, [A.Variant(v, NO_SPAN) for v in DB_ERROR_VARIANTS], NO_SPAN,
                      NO_SPAN)
        info = EnumInfo(DB_ERROR, "std", decl, list(DB_ERROR_VARIANTS))
        self.out.enums.setdefault(DB_ERROR, info)
        for sc in self.scopes.values():
            sc.enums.setdefault(DB_ERROR, info)

    def unique_cname(self, base: str) -> str:
        base = re.sub(r"[^A-Za-z0-9_]", "_", base)
        n = self.cname_counts.get(base, 0)
        self.cname_counts[base] = n + 1
        return base if n == 0 else f"{base}_{n}"

    def resolve_imports(self) -> None:
        for key, mod in self.program.modules.items():
            sc = self.scopes[key]
            for d in mod.decls:
                if not isinstance(d, A.Import):
                    continue
                if d.path and d.path[0] == "std":
                    self.check_std_import(d)
                    continue
                whole = self.find_module(d.path) if d.items is None else None
                if whole is not None and self.find_module(d.path[:-1]) is None:
                    # `import models;`: every public name of the module.
                    wsc = self.scopes[whole]
                    names = list(wsc.structs) + list(wsc.enums) + list(wsc.fns) + list(wsc.consts)
                    for n in names:
                        if n[:1].isupper() and "." not in n:
                            self.import_item(sc, wsc, A.ImportItem(n, None, d.span))
                    continue
                if d.items is None:
                    mod_path, items = d.path[:-1], [A.ImportItem(d.path[-1], d.alias, d.span)]
                else:
                    mod_path, items = d.path, d.items
                target = self.find_module(mod_path)
                if target is None:
                    continue  # the loader reported it
                tsc = self.scopes[target]
                for it in items:
                    self.import_item(sc, tsc, it)

    def find_module(self, path: list[str]) -> str | None:
        want = "::".join(path)
        if want in self.scopes:
            return want
        for k in self.scopes:
            if k.lower() == want.lower():
                return k
        return None

    def check_std_import(self, d: A.Import) -> None:
        rest = d.path[1:]
        if not rest:
            self.err("E0106", "`import std` needs a module name, e.g. `import std::Http::Server;`",
                     d.span)
            return
        if d.items is None:
            if len(rest) == 1:
                if rest[0] not in STD_MODULE_ITEMS:
                    self.err("E0106", f"unknown std module `{rest[0]}`", d.span,
                             suggest(rest[0], sorted(STD_EXPORTS)))
                return
            mod, names = rest[0], [rest[-1]]
        else:
            mod, names = rest[0], [i.name for i in d.items]
        if mod not in STD_EXPORTS:
            self.err("E0106", f"unknown std module `{mod}`", d.span,
                     suggest(mod, sorted(STD_EXPORTS)))
            return
        for n in names:
            if n not in STD_EXPORTS[mod]:
                self.err("E0106", f"`std::{mod}` has no item `{n}`", d.span,
                         suggest(n, sorted(STD_EXPORTS[mod])))

    def import_item(self, sc: ModuleScope, tsc: ModuleScope, it: A.ImportItem) -> None:
        name = it.name
        alias = it.alias or name
        found = name in tsc.structs or name in tsc.enums or name in tsc.fns or \
            name in tsc.consts
        if name in tsc.structs:
            sc.structs[alias] = tsc.structs[name]
        if name in tsc.enums:
            sc.enums[alias] = tsc.enums[name]
        if name in tsc.fns:
            sc.fns[alias] = tsc.fns[name]
        if name in tsc.consts:
            sc.consts[alias] = tsc.consts[name]
        if not found:
            cands = list(tsc.structs) + list(tsc.enums) + list(tsc.fns) + list(tsc.consts)
            self.err("E0105", f"module `{tsc.key}` has no item `{name}`", it.span,
                     suggest(name, cands))
        elif name[:1].islower():
            self.err("E0105", f"`{name}` is private to module `{tsc.key}`", it.span,
                     f"rename it `{name[:1].upper() + name[1:]}` to make it public")
        # Methods of an imported struct come along with it.
        for k, fi in tsc.fns.items():
            if fi.receiver == name and "." in k:
                sc.fns.setdefault(f"{alias}.{fi.name}", fi)

    # ---- types

    def resolve_type(self, t: A.TypeExpr) -> Ty:
        if isinstance(t, A.ArrayType):
            inner = self.resolve_type(t.elem)
            return ERROR if inner == ERROR else ArrayTy(inner)
        if isinstance(t, A.OptionalType):
            inner = self.resolve_type(t.inner)
            if isinstance(inner, OptTy):
                self.err("E0102", "an optional cannot be optional again", t.span)
                return ERROR
            return ERROR if inner == ERROR else OptTy(inner)
        sc = self.scopes[self.module]
        n = t.name
        if n in PRIMS:
            return PRIMS[n]
        if n in sc.structs:
            return StructTy(sc.structs[n].name)
        if n in sc.enums:
            return EnumTy(sc.enums[n].name)
        if n in STD_TYPES:
            return STD_TYPES[n]
        known = list(PRIMS) + list(sc.structs) + list(sc.enums) + list(STD_TYPES)
        elsewhere = self.defined_elsewhere(n)
        hint = f"import it: `import {elsewhere}::{{{n}}};`" if elsewhere else suggest(n, known)
        self.err("E0102", f"unknown type `{n}`", t.span, hint)
        return ERROR

    def defined_elsewhere(self, name: str) -> str | None:
        for key, sc in self.scopes.items():
            if key != self.module and (name in sc.structs or name in sc.enums
                                       or name in sc.fns or name in sc.consts):
                return key
        return None

    def resolve_structs(self) -> None:
        for key, sc in self.scopes.items():
            self.module = key
            for si in sc.structs.values():
                if si.module != key or si.fields:
                    continue
                seen: set[str] = set()
                for f in si.decl.fields:
                    if f.name in seen:
                        self.err("E0201", f"field `{f.name}` is declared twice", f.span)
                        continue
                    seen.add(f.name)
                    ty = self.resolve_type(f.type)
                    fi = FieldInfo(f.name, ty, f.span, {})
                    self.check_decorators(si, fi, f)
                    si.fields.append(fi)
                self.check_struct_keys(si)
        self.check_recursive_structs()

    def check_struct_keys(self, si: StructInfo) -> None:
        prim = [f for f in si.fields if f.has("primary")]
        if len(prim) > 1:
            self.err("E0205", f"struct `{si.name}` has more than one @primary field",
                     prim[1].decorators["primary"].span)

    def check_recursive_structs(self) -> None:
        def contains(ty: Ty, target: str, seen: set[str]) -> bool:
            if isinstance(ty, OptTy):
                return contains(ty.inner, target, seen)
            if isinstance(ty, StructTy):
                if ty.name == target:
                    return True
                if ty.name in seen:
                    return False
                seen.add(ty.name)
                si = self.out.structs.get(ty.name)
                return si is not None and any(contains(f.ty, target, seen) for f in si.fields)
            return False  # arrays are indirect

        for si in self.out.structs.values():
            if any(contains(f.ty, si.name, set()) for f in si.fields):
                self.err("E0206", f"struct `{si.name}` contains itself", si.decl.name_span,
                         "use an array `[T]` for a recursive field")

    def check_decorators(self, si: StructInfo, fi: FieldInfo, f: A.StructField) -> None:
        base = fi.ty.inner if isinstance(fi.ty, OptTy) else fi.ty
        for d in f.decorators:
            if d.name not in DECORATORS:
                self.err("E0202", f"unknown decorator `@{d.name}`", d.span,
                         suggest(d.name, list(DECORATORS), "@"))
                continue
            if d.name in fi.decorators:
                self.err("E0202", f"decorator `@{d.name}` is repeated", d.span)
                continue
            want = DECORATORS[d.name]
            if len(d.args) != want:
                self.err("E0203", f"`@{d.name}` takes {want or 'no'} argument"
                         f"{'s' if want != 1 else ''}, found {len(d.args)}", d.span)
                continue
            fi.decorators[d.name] = d
            if fi.ty == ERROR:
                continue
            self.check_decorator_use(si, fi, d, base)
        self.check_decorator_combinations(fi, f)

    def check_decorator_use(self, si: StructInfo, fi: FieldInfo, d: A.Decorator,
                            base: Ty) -> None:
        n = d.name

        def need(ok: bool, what: str) -> bool:
            if not ok:
                self.err("E0204", f"`@{n}` applies to {what} fields, not `{fi.ty}`", d.span)
            return ok

        if n in ("primary", "auto", "owner"):
            need(base == INT, "Int")
        elif n in ("email", "url", "hash", "role"):
            need(base == STR, "Str")
        elif n == "pattern":
            if need(base == STR, "Str"):
                arg = d.args[0]
                if not isinstance(arg, A.StrLit):
                    self.err("E0203", "`@pattern` takes a string literal", arg.span)
                else:
                    bad = check_posix_ere(arg.value)
                    if bad:
                        self.err("E0203", f"invalid regular expression: {bad}", arg.span)
                    else:
                        fi.pattern = arg.value
                        if arg.value not in self.out.patterns:
                            self.out.patterns.append(arg.value)
        elif n in ("min", "max"):
            if need(base in (INT, FLOAT, STR) or isinstance(base, ArrayTy),
                    "Str, Int, Float or array"):
                v = const_number(d.args[0])
                if v is None or (base != FLOAT and isinstance(v, float)):
                    self.err("E0203", f"`@{n}` takes "
                             f"{'a number' if base == FLOAT else 'an integer'}", d.args[0].span)
                    return
                if base != INT and base != FLOAT and v < 0:
                    self.err("E0203", f"`@{n}` on a length cannot be negative", d.args[0].span)
                    return
                setattr(fi, n, v)
                if fi.min is not None and fi.max is not None and fi.min > fi.max:
                    self.err("E0207", f"`@min({fi.min})` is greater than `@max({fi.max})`",
                             d.span)
        elif n == "default":
            arg = d.args[0]
            ty = self.const_expr_type(arg)
            if ty != ERROR and not assignable(fi.ty, ty) and not (
                    fi.ty == FLOAT and ty == INT):
                self.err("E0203", f"`@default` value of type `{ty}` does not fit field "
                         f"`{fi.name}: {fi.ty}`", arg.span)
            else:
                fi.default = arg
        elif n == "foreign":
            arg = d.args[0]
            need(base == INT, "Int")
            if not isinstance(arg, A.Name) or arg.name not in self.scopes[self.module].structs:
                self.err("E0203", "`@foreign` takes the name of a struct", arg.span)

    def check_decorator_combinations(self, fi: FieldInfo, f: A.StructField) -> None:
        pairs = [("readOnly", "writeOnly"), ("internal", "readOnly"), ("internal", "writeOnly"),
                 ("auto", "default"), ("hash", "email"), ("hash", "readOnly"),
                 ("primary", "foreign")]
        for a, b in pairs:
            if a in fi.decorators and b in fi.decorators:
                self.err("E0207", f"`@{a}` and `@{b}` contradict each other",
                         fi.decorators[b].span)
        if "auto" in fi.decorators and "primary" not in fi.decorators:
            pass  # an @auto non-key column is allowed (filled by the database)

    def const_expr_type(self, e: A.Expr) -> Ty:
        """Type of a compile-time constant (decorator arguments)."""
        if isinstance(e, A.IntLit):
            return INT
        if isinstance(e, A.FloatLit):
            return FLOAT
        if isinstance(e, A.StrLit):
            return STR
        if isinstance(e, A.BoolLit):
            return BOOL
        if isinstance(e, A.NilLit):
            return NIL
        if isinstance(e, A.Unary) and e.op == "-" and isinstance(e.operand,
                                                                 (A.IntLit, A.FloatLit)):
            return INT if isinstance(e.operand, A.IntLit) else FLOAT
        if isinstance(e, A.Path) and len(e.parts) == 2:
            ei = self.scopes[self.module].enums.get(e.parts[0])
            if ei and e.parts[1] in ei.variants:
                self.out.types[id(e)] = EnumTy(ei.name)
                return EnumTy(ei.name)
            self.err("E0101", f"unknown enum value `{'::'.join(e.parts)}`", e.span)
            return ERROR
        self.err("E0203", "expected a constant (number, string, bool, nil or enum value)",
                 e.span)
        return ERROR

    def resolve_signatures(self) -> None:
        for fn in self.out.fns:
            self.module = fn.module
            d = fn.decl
            if d.receiver and d.receiver not in self.scopes[fn.module].structs:
                self.err("E0102", f"unknown type `{d.receiver}` for method `{d.name}`",
                         d.name_span)
            seen: set[str] = set()
            for i, p in enumerate(d.params):
                if p.name in seen:
                    self.err("E0107", f"parameter `{p.name}` is declared twice", p.span)
                seen.add(p.name)
                if p.type is None:
                    if p.name == "self" and i == 0 and d.receiver:
                        ty: Ty = StructTy(d.receiver)
                    else:
                        self.err("E0107", f"parameter `{p.name}` needs a type", p.span)
                        ty = ERROR
                else:
                    ty = self.resolve_type(p.type)
                fn.params.append((p.name, ty))
            fn.ret = self.resolve_type(d.ret) if d.ret is not None else VOID
            fn.err = self.resolve_type(d.err) if d.err is not None else None
            if fn is self.out.main and (d.params or d.ret is not None or d.err is not None):
                self.err("E0304", "`main` takes no parameters and returns nothing",
                         d.name_span)

    def check_consts(self) -> None:
        for ci in self.out.consts:
            self.module = ci.module
            scope = Scope()
            ty = self.expr(ci.decl.value, scope, None)
            if ci.decl.type is not None:
                want = self.resolve_type(ci.decl.type)
                self.expect(want, ty, ci.decl.value.span)
                ty = want
            if not is_scalar(ty) and ty != ERROR:
                self.err("E0108", "a constant must be an Int, Float, Bool, Str or enum value",
                         ci.decl.value.span)
            ci.ty = ty

    # ---- function bodies

    def check_fn(self, fn: FnInfo) -> None:
        self.fn = fn
        self.module = fn.module
        scope = Scope()
        for (name, ty), p in zip(fn.params, fn.decl.params):
            v = self.declare(scope, name, ty, False, p.span)
            fn.param_vars.append(v)
        body = fn.decl.body
        if isinstance(body, A.Block):
            self.block(body, scope)
            if fn.ret != VOID and not self.terminates(body):
                self.err("E0142", f"function `{fn.name}` may end without returning a value",
                         fn.decl.name_span, f"add a `return` (or `Ok`) of type `{fn.ret}`")
        else:
            want = fn.ret
            ty = self.expr(body, scope, want)
            if fn.ret == VOID:
                pass
            else:
                self.expect(want, ty, body.span)
        self.fn = None

    def declare(self, scope: Scope, name: str, ty: Ty, mutable: bool, span: Span) -> VarInfo:
        if name in scope.vars and name != "_":
            self.err("E0140", f"`{name}` is already defined in this scope", span,
                     "use another name, or assign with `=` to a `let mut`")
        v = VarInfo(name, ty, mutable, self.local_cname(name))
        scope.vars[name] = v
        return v

    def local_cname(self, name: str) -> str:
        assert True
        key = f"{self.fn.cname if self.fn else ''}::{name}"
        n = self.cname_counts.get(key, 0)
        self.cname_counts[key] = n + 1
        return f"v_{name}" if n == 0 else f"v_{name}_{n}"

    def block(self, b: A.Block, scope: Scope, loop: bool = False) -> None:
        inner = Scope(scope, loop)
        for s in b.stmts:
            self.stmt(s, inner)

    def stmt(self, s: A.Stmt, scope: Scope) -> None:
        if isinstance(s, A.Let):
            self.let(s, scope)
        elif isinstance(s, A.Assign):
            self.assign(s, scope)
        elif isinstance(s, A.IncDec):
            t = self.lvalue(s.target, scope)
            self.expect(INT, t, s.target.span, f"`{s.op}` needs an Int")
        elif isinstance(s, A.ExprStmt):
            t = self.expr(s.expr, scope, None, stmt=True)
            if isinstance(t, ResultTy):
                self.err("E0123", "the error of this call is ignored", s.expr.span,
                         "use `?`, `??` or `let v, err = …`")
        elif isinstance(s, A.Return):
            self.ret(s, scope)
        elif isinstance(s, (A.OkStmt, A.ErrStmt)):
            self.ok_err(s, scope)
        elif isinstance(s, A.ForIn):
            self.for_in(s, scope)
        elif isinstance(s, A.ForCond):
            if s.cond is not None:
                self.expect(BOOL, self.expr(s.cond, scope, BOOL), s.cond.span)
            self.block(s.body, scope, loop=True)
        elif isinstance(s, (A.Break, A.Continue)):
            if not scope.in_loop():
                kw = "break" if isinstance(s, A.Break) else "continue"
                self.err("E0141", f"`{kw}` outside of a loop", s.span)
        elif isinstance(s, A.Block):
            self.block(s, scope)
        else:  # pragma: no cover - the parser makes no other statements
            raise AssertionError(f"unknown statement {s!r}")  # noqa: TRY004

    def let(self, s: A.Let, scope: Scope) -> None:
        want = self.resolve_type(s.type) if s.type is not None else None
        if len(s.names) == 2:
            ty = self.expr(s.value, scope, ResultTy(want, ERROR) if want is not None else None)
            if not isinstance(ty, ResultTy):
                if ty != ERROR:
                    self.err("E0122", "`let v, err = …` needs a call that can fail "
                             f"(`-> T ! E`), found `{ty}`", s.value.span)
                ok: Ty = ERROR
                er: Ty = ERROR
            else:
                ok, er = ty.ok, ty.err
            if want is not None:
                self.expect(want, ok, s.value.span)
                ok = want
            v1 = self.declare(scope, s.names[0], ok, s.mutable, s.name_spans[0])
            v2 = self.declare(scope, s.names[1], OptTy(er) if er != ERROR else ERROR,
                              s.mutable, s.name_spans[1])
            self.out.vars[id(s)] = v1
            self.out.vars2[id(s)] = v2
            return
        ty = self.expr(s.value, scope, want)
        if isinstance(ty, ResultTy):
            self.err("E0122", "this call can fail: handle its error", s.value.span,
                     "use `?`, `??` or `let v, err = …`")
            ty = ty.ok
        if want is not None:
            self.expect(want, ty, s.value.span)
            ty = want
        elif ty in (NIL, VOID) or (isinstance(ty, ArrayTy) and ty.elem == NEVER):
            what = "`nil`" if ty == NIL else ("a call that returns nothing" if ty == VOID
                                               else "`[]`")
            self.err("E0124", f"cannot infer the type of `{s.names[0]}` from {what}",
                     s.value.span, "add a type: `let x: T = …`")
            ty = ERROR
        elif isinstance(ty, (FnRefTy, TypeRefTy, OptionsTy)) or ty == NEVER:
            if ty != NEVER:
                self.err("E0124", f"`{s.names[0]}` cannot hold {ty}", s.value.span)
            ty = ERROR
        v = self.declare(scope, s.names[0], ty, s.mutable, s.name_spans[0])
        self.out.vars[id(s)] = v

    def assign(self, s: A.Assign, scope: Scope) -> None:
        t = self.lvalue(s.target, scope)
        vt = self.expr(s.value, scope, t)
        if s.op == "=":
            self.expect(t, vt, s.value.span)
            return
        op = s.op[0]
        if t == STR and op == "+":
            self.expect(STR, vt, s.value.span)
        elif t in (INT, FLOAT) and (op != "%" or t == INT):
            self.expect(t, vt, s.value.span)
        elif t != ERROR:
            self.err("E0110", f"`{s.op}` does not apply to `{t}`", s.span)

    def lvalue(self, e: A.Expr, scope: Scope) -> Ty:
        root = e
        while isinstance(root, (A.Field, A.Index)):
            root = root.obj
        if not isinstance(root, A.Name):
            self.err("E0143", "cannot assign to this expression", e.span)
            return ERROR
        v = scope.lookup(root.name)
        if v is not None and not v.mutable:
            self.err("E0144", f"`{root.name}` is not mutable", root.span,
                     f"declare it with `let mut {root.name}`")
        return self.expr(e, scope, None)

    def ret(self, s: A.Return, scope: Scope) -> None:
        fn = self.fn
        assert fn is not None
        if s.value is None:
            if fn.ret != VOID:
                self.err("E0145", f"`return` needs a value of type `{fn.ret}`", s.span)
            return
        ty = self.expr(s.value, scope, fn.ret)
        if fn.ret == VOID:
            self.err("E0145", f"function `{fn.name}` returns nothing", s.value.span)
            return
        self.expect(fn.ret, ty, s.value.span)

    def ok_err(self, s: A.OkStmt | A.ErrStmt, scope: Scope) -> None:
        fn = self.fn
        assert fn is not None
        kw = "Ok" if isinstance(s, A.OkStmt) else "Err"
        if fn.err is None:
            self.err("E0146", f"`{kw}` is only allowed in a function that can fail "
                     f"(`-> T ! E`)", s.span)
            self.expr(s.value, scope, None)
            return
        want = fn.ret if isinstance(s, A.OkStmt) else fn.err
        ty = self.expr(s.value, scope, want)
        self.expect(want, ty, s.value.span)

    def for_in(self, s: A.ForIn, scope: Scope) -> None:
        inner = Scope(scope, loop=True)
        it = s.iterable
        if isinstance(it, A.Range):
            self.expect(INT, self.expr(it.start, scope, INT), it.start.span)
            self.expect(INT, self.expr(it.end, scope, INT), it.end.span)
            if s.index_var is not None:
                self.err("E0147", "a range gives one value: `for i in a..b`", s.span)
            elem: Ty = INT
        else:
            t = self.expr(it, scope, None)
            if isinstance(t, ArrayTy):
                elem = t.elem
            else:
                if t != ERROR:
                    self.err("E0147", f"cannot iterate over `{t}`", it.span,
                             "iterate over an array or a range `a..b`")
                elem = ERROR
        if s.index_var is not None:
            self.out.vars2[id(s)] = self.declare(inner, s.index_var, INT, False, s.span)
        self.out.vars[id(s)] = self.declare(inner, s.var, elem, False, s.span)
        for st in s.body.stmts:
            self.stmt(st, inner)

    def terminates(self, s: A.Stmt | A.Block | A.Expr | None) -> bool:
        """Does control never fall off the end of s?"""
        if isinstance(s, A.Block):
            return any(self.terminates(x) for x in s.stmts)
        if isinstance(s, (A.Return, A.OkStmt, A.ErrStmt)):
            return True
        if isinstance(s, A.ExprStmt):
            return self.terminates(s.expr)
        if isinstance(s, A.Call):
            return self.ty(s) == NEVER
        if isinstance(s, A.IfExpr):
            return s.else_ is not None and self.terminates(s.then) and \
                self.terminates(s.else_)
        if isinstance(s, A.Match):
            return all(self.terminates(a.body) for a in s.arms) and \
                self.match_exhaustive(s)
        if isinstance(s, A.ForCond):
            return s.cond is None and not has_break(s.body)
        return False

    def ty(self, e: A.Expr) -> Ty:
        return self.out.types.get(id(e), ERROR)

    # ---- expressions

    def expect(self, want: Ty, got: Ty, span: Span, msg: str = "") -> None:
        if want == ERROR or got == ERROR or assignable(want, got):
            return
        self.err("E0111", msg or f"expected `{want}`, found `{got}`", span)

    def expr(self, e: A.Expr, scope: Scope, want: Ty | None, stmt: bool = False) -> Ty:
        ty = self.expr_inner(e, scope, want, stmt)
        self.out.types[id(e)] = ty
        return ty

    def expr_inner(self, e: A.Expr, scope: Scope, want: Ty | None, stmt: bool) -> Ty:
        if isinstance(e, A.IntLit):
            return FLOAT if want == FLOAT or want == OptTy(FLOAT) else INT
        if isinstance(e, A.FloatLit):
            return FLOAT
        if isinstance(e, A.StrLit):
            return STR
        if isinstance(e, A.InterpStr):
            for p in e.parts:
                if not isinstance(p, str):
                    t = self.expr(p, scope, None)
                    if not (is_scalar(t) or t == ERROR or (isinstance(t, OptTy)
                                                           and is_scalar(t.inner))):
                        self.err("E0110", f"cannot put a `{t}` into a string", p.span,
                                 "interpolate Int, Float, Bool, Str or enum values")
            return STR
        if isinstance(e, A.BoolLit):
            return BOOL
        if isinstance(e, A.NilLit):
            return want if isinstance(want, OptTy) else NIL
        if isinstance(e, A.Name):
            return self.name(e, scope)
        if isinstance(e, A.Path):
            return self.path_value(e)
        if isinstance(e, A.Unary):
            t = self.expr(e.operand, scope, want if e.op == "-" else BOOL)
            if e.op == "-":
                if t not in (INT, FLOAT, ERROR):
                    self.err("E0110", f"`-` does not apply to `{t}`", e.span)
                    return ERROR
                return t
            self.expect(BOOL, t, e.operand.span, f"`!` needs a Bool, found `{t}`")
            return BOOL
        if isinstance(e, A.Binary):
            return self.binary(e, scope)
        if isinstance(e, A.Coalesce):
            lt = self.expr(e.left, scope, None)
            if isinstance(lt, ResultTy):
                inner = lt.ok
            elif isinstance(lt, OptTy):
                inner = lt.inner
            else:
                if lt != ERROR:
                    self.err("E0112", f"`??` needs an optional or a call that can fail, "
                             f"found `{lt}`", e.left.span)
                inner = ERROR
            rt = self.expr(e.right, scope, inner)
            self.expect(inner, rt, e.right.span)
            return inner
        if isinstance(e, A.Call):
            return self.call(e, scope, want, stmt)
        if isinstance(e, A.Field):
            return self.field(e, scope)
        if isinstance(e, A.Index):
            t = self.expr(e.obj, scope, None)
            it = self.expr(e.index, scope, INT)
            self.expect(INT, it, e.index.span)
            if isinstance(t, ArrayTy):
                return t.elem
            if t != ERROR:
                self.err("E0113", f"cannot index into `{t}`", e.obj.span)
            return ERROR
        if isinstance(e, A.Cast):
            t = self.expr(e.expr, scope, None)
            to = self.resolve_type(e.type)
            if t == ERROR or to == ERROR or t == to:
                return to
            if (t, to) in ((INT, FLOAT), (FLOAT, INT)) or (to == STR and is_scalar(t)):
                return to
            self.err("E0114", f"cannot convert `{t}` to `{to}` with `as`", e.span)
            return to
        if isinstance(e, A.Try):
            return self.try_(e, scope, want)
        if isinstance(e, A.StructLit):
            return self.struct_lit(e, scope)
        if isinstance(e, A.ArrayLit):
            return self.array_lit(e, scope, want)
        if isinstance(e, A.ObjectLit):
            for f in e.fields:
                self.expr(f.value, scope, None)
            return OptionsTy()
        if isinstance(e, A.Range):
            self.err("E0147", "a range is only allowed in `for … in a..b`", e.span)
            return ERROR
        if isinstance(e, A.IfExpr):
            return self.if_expr(e, scope, want, stmt)
        if isinstance(e, A.Match):
            return self.match(e, scope, want, stmt)
        raise AssertionError(f"unknown expression {e!r}")  # pragma: no cover

    def name(self, e: A.Name, scope: Scope) -> Ty:
        v = scope.lookup(e.name)
        if v is not None:
            self.out.vars[id(e)] = v
            return v.ty
        sc = self.scopes[self.module]
        if e.name in sc.consts:
            ci = sc.consts[e.name]
            self.out.consts_used[id(e)] = ci
            return ci.ty
        if e.name in sc.fns:
            return FnRefTy(e.name)
        if e.name in sc.structs:
            return TypeRefTy(e.name)
        cands = list(self.visible_vars(scope)) + list(sc.consts) + list(sc.fns)
        elsewhere = self.defined_elsewhere(e.name)
        hint = (f"import it: `import {elsewhere}::{{{e.name}}};`" if elsewhere
                else suggest(e.name, cands))
        self.err("E0101", f"unknown name `{e.name}`", e.span, hint)
        return ERROR

    def visible_vars(self, scope: Scope) -> list[str]:
        out: list[str] = []
        s: Scope | None = scope
        while s is not None:
            out.extend(s.vars)
            s = s.parent
        return out

    def path_value(self, e: A.Path) -> Ty:
        if len(e.parts) == 2:
            ei = self.scopes[self.module].enums.get(e.parts[0])
            if ei is not None:
                if e.parts[1] in ei.variants:
                    return EnumTy(ei.name)
                self.err("E0101", f"enum `{ei.name}` has no variant `{e.parts[1]}`", e.span,
                         suggest(e.parts[1], ei.variants))
                return ERROR
        self.err("E0101", f"unknown name `{'::'.join(e.parts)}`", e.span)
        return ERROR

    def binary(self, e: A.Binary, scope: Scope) -> Ty:
        op = e.op
        if op in ("&&", "||"):
            self.expect(BOOL, self.expr(e.left, scope, BOOL), e.left.span)
            self.expect(BOOL, self.expr(e.right, scope, BOOL), e.right.span)
            return BOOL
        lt = self.expr(e.left, scope, None)
        rt = self.expr(e.right, scope, lt if lt != NIL else None)
        if lt == INT and rt == FLOAT and isinstance(e.left, A.IntLit):
            lt = self.expr(e.left, scope, FLOAT)
        if ERROR in (lt, rt):
            return BOOL if op in ("==", "!=", "<", ">", "<=", ">=") else ERROR
        if op in ("==", "!="):
            if lt == rt and (is_scalar(lt) or isinstance(lt, OptTy)):
                return BOOL
            if (isinstance(lt, OptTy) and rt == NIL) or (isinstance(rt, OptTy) and lt == NIL):
                return BOOL
            if isinstance(lt, OptTy) and assignable(lt, rt) or \
                    isinstance(rt, OptTy) and assignable(rt, lt):
                return BOOL
            self.err("E0110", f"cannot compare `{lt}` with `{rt}`", e.span)
            return BOOL
        if op in ("<", ">", "<=", ">="):
            if lt == rt and lt in (INT, FLOAT, STR):
                return BOOL
            self.err("E0110", f"cannot order `{lt}` and `{rt}` with `{op}`", e.span)
            return BOOL
        if op == "+" and lt == STR and rt == STR:
            return STR
        if lt == rt and lt in (INT, FLOAT) and (op != "%" or lt == INT):
            return lt
        hint = "convert with `as Float` or `as Int`" if {lt, rt} == {INT, FLOAT} else (
            "convert with `as Str` or use \"${…}\"" if STR in (lt, rt) else "")
        self.err("E0110", f"`{op}` does not apply to `{lt}` and `{rt}`", e.span, hint)
        return ERROR

    def try_(self, e: A.Try, scope: Scope, want: Ty | None = None) -> Ty:
        t = self.expr(e.expr, scope, ResultTy(want, ERROR) if want is not None else None)
        if t == ERROR:
            return ERROR
        if not isinstance(t, ResultTy):
            self.err("E0115", f"`?` needs a call that can fail, found `{t}`", e.expr.span)
            return ERROR
        fn = self.fn
        if fn is not None and fn is not self.out.main:
            if fn.err is None:
                self.err("E0115", f"`?` passes the error on, but `{fn.name}` cannot fail",
                         e.span, f"declare it `-> {fn.ret} ! {t.err}`")
            elif not assignable(fn.err, t.err):
                self.err("E0115", f"the error `{t.err}` does not fit `{fn.name}`'s error "
                         f"type `{fn.err}`", e.span)
        return t.ok

    def struct_lit(self, e: A.StructLit, scope: Scope) -> Ty:
        si = self.scopes[self.module].structs.get(e.name)
        if si is None:
            elsewhere = self.defined_elsewhere(e.name)
            hint = (f"import it: `import {elsewhere}::{{{e.name}}};`" if elsewhere
                    else suggest(e.name, list(self.scopes[self.module].structs)))
            self.err("E0102", f"unknown struct `{e.name}`", e.name_span, hint)
            for f in e.fields:
                self.expr(f.value, scope, None)
            return ERROR
        seen: set[str] = set()
        for f in e.fields:
            fi = si.field(f.name)
            if fi is None:
                self.err("E0120", f"struct `{si.name}` has no field `{f.name}`", f.span,
                         suggest(f.name, [x.name for x in si.fields]))
                self.expr(f.value, scope, None)
                continue
            if f.name in seen:
                self.err("E0120", f"field `{f.name}` is given twice", f.span)
            seen.add(f.name)
            self.expect(fi.ty, self.expr(f.value, scope, fi.ty), f.value.span)
        missing = [fi.name for fi in si.fields if fi.name not in seen
                   and not isinstance(fi.ty, OptTy) and fi.default is None
                   and not fi.has("auto")]
        if missing:
            self.err("E0121", f"missing field{'s' if len(missing) > 1 else ''} "
                     + ", ".join(f"`{m}`" for m in missing) + f" in `{si.name}`", e.name_span)
        return StructTy(si.name)

    def array_lit(self, e: A.ArrayLit, scope: Scope, want: Ty | None) -> Ty:
        elem_want = want.elem if isinstance(want, ArrayTy) else None
        if not e.items:
            return want if isinstance(want, ArrayTy) else ArrayTy(NEVER)
        first = self.expr(e.items[0], scope, elem_want)
        elem = elem_want if elem_want is not None else first
        for it in e.items[1:]:
            self.expect(elem, self.expr(it, scope, elem), it.span,
                        "array elements must all have the same type")
        if elem_want is not None:
            self.expect(elem_want, first, e.items[0].span)
        return ArrayTy(elem) if elem not in (ERROR, NIL) else ERROR

    def value_of_block(self, b: A.Block, scope: Scope, want: Ty | None) -> Ty:
        """Check a block used as a value: its last statement is the value expression."""
        inner = Scope(scope)
        for s in b.stmts[:-1]:
            self.stmt(s, inner)
        if not b.stmts:
            return VOID
        last = b.stmts[-1]
        if isinstance(last, A.ExprStmt):
            return self.expr(last.expr, inner, want)
        self.stmt(last, inner)
        return NEVER if self.terminates(last) else VOID

    def if_expr(self, e: A.IfExpr, scope: Scope, want: Ty | None, stmt: bool) -> Ty:
        self.expect(BOOL, self.expr(e.cond, scope, BOOL), e.cond.span)
        if stmt or e.else_ is None:
            self.block(e.then, scope)
            if isinstance(e.else_, A.Block):
                self.block(e.else_, scope)
            elif isinstance(e.else_, A.IfExpr):
                self.expr(e.else_, scope, None, stmt=True)
            if not stmt:
                self.err("E0116", "an `if` used as a value needs an `else`", e.span)
                return ERROR
            return VOID
        a = self.value_of_block(e.then, scope, want)
        if isinstance(e.else_, A.Block):
            b = self.value_of_block(e.else_, scope, want if want else a)
        else:
            b = self.expr(e.else_, scope, want if want else a)
        return self.unify(a, b, e.span)

    def unify(self, a: Ty, b: Ty, span: Span) -> Ty:
        if a == NEVER:
            return b
        if b == NEVER or a == b or ERROR in (a, b):
            return a if a != ERROR else b
        if isinstance(a, OptTy) and assignable(a, b):
            return a
        if isinstance(b, OptTy) and assignable(b, a):
            return b
        self.err("E0111", f"branches have different types: `{a}` and `{b}`", span)
        return ERROR

    def match(self, e: A.Match, scope: Scope, want: Ty | None, stmt: bool) -> Ty:
        st = self.expr(e.subject, scope, None)
        if st != ERROR and not (st in (INT, STR, BOOL) or isinstance(st, EnumTy)):
            self.err("E0130", f"cannot match on `{st}`", e.subject.span,
                     "match works on enums, Int, Str and Bool")
            st = ERROR
        seen: set[object] = set()
        result: Ty | None = None
        for arm in e.arms:
            for p in arm.patterns:
                if isinstance(p, A.WildcardPat):
                    continue
                pt = self.expr(p.value, scope, st)
                if not isinstance(p.value, (A.IntLit, A.StrLit, A.BoolLit, A.Path)) or (
                        isinstance(p.value, A.Path) and not isinstance(pt, EnumTy)):
                    self.err("E0131", "a pattern must be a literal or an enum value", p.span)
                    continue
                self.expect(st, pt, p.span, f"pattern of type `{pt}` cannot match `{st}`")
                key = pattern_key(p.value)
                if key in seen:
                    self.err("E0132", "this pattern is already covered", p.span)
                seen.add(key)
            if isinstance(arm.body, A.Block) and stmt:
                self.block(arm.body, scope)
                t: Ty = VOID
            elif isinstance(arm.body, A.Block):
                t = self.value_of_block(arm.body, scope, want)
            else:
                t = self.expr(arm.body, scope, want, stmt=stmt)
            if not stmt:
                result = t if result is None else self.unify(result, t, arm.span)
        if st != ERROR and not self.match_exhaustive(e):
            missing = ""
            if isinstance(st, EnumTy) and st.name in self.out.enums:
                names = {pattern_key(p.value) for a in e.arms for p in a.patterns
                         if isinstance(p, A.ValuePat)}
                rest = [v for v in self.out.enums[st.name].variants
                        if ("enum", v) not in names]
                missing = "missing " + ", ".join(f"`{st.name}::{v}`" for v in rest)
            self.err("E0133", "this `match` does not cover every value", e.span,
                     missing or "add a `_ => …` arm")
        if stmt:
            return VOID
        return result if result is not None else VOID

    def match_exhaustive(self, e: A.Match) -> bool:
        if any(isinstance(p, A.WildcardPat) for a in e.arms for p in a.patterns):
            return True
        st = self.ty(e.subject)
        keys = {pattern_key(p.value) for a in e.arms for p in a.patterns
                if isinstance(p, A.ValuePat)}
        if isinstance(st, EnumTy) and st.name in self.out.enums:
            return all(("enum", v) in keys for v in self.out.enums[st.name].variants)
        if st == BOOL:
            return ("lit", True) in keys and ("lit", False) in keys
        return False

    # ---- fields and calls

    def field(self, e: A.Field, scope: Scope) -> Ty:
        if isinstance(e.obj, A.Name) and e.obj.name in ("Response", "JSON") and \
                scope.lookup(e.obj.name) is None:
            self.err("E0117", f"`{e.obj.name}.{e.name}` must be called", e.span)
            return ERROR
        t = self.expr(e.obj, scope, None)
        if isinstance(t, StructTy):
            si = self.out.structs.get(t.name)
            fi = si.field(e.name) if si else None
            if fi is None:
                self.err("E0118", f"`{t}` has no field `{e.name}`", e.name_span,
                         suggest(e.name, [f.name for f in si.fields] if si else []))
                return ERROR
            return fi.ty
        if t == REQUEST and e.name == "body":
            return STR
        if t == AUTHUSER and e.name in AUTHUSER_FIELDS:
            return AUTHUSER_FIELDS[e.name]
        if t != ERROR:
            self.err("E0118", f"`{t}` has no field `{e.name}`", e.name_span)
        return ERROR

    def call(self, e: A.Call, scope: Scope, want: Ty | None, stmt: bool) -> Ty:
        f = e.func
        if isinstance(f, A.Name) and scope.lookup(f.name) is None:
            builtin = self.builtin_call(e, f.name, scope)
            if builtin is not None:
                return builtin
            sc = self.scopes[self.module]
            fi = sc.fns.get(f.name)
            if fi is None:
                self.name(f, scope)
                self.args_any(e, scope)
                return ERROR
            self.out.calls[id(e)] = CallTarget("fn", fi.name, fi)
            self.args(e, fi, fi.params, scope)
            return fi.result
        if isinstance(f, A.Path):
            return self.path_call(e, f, scope)
        if isinstance(f, A.Field):
            return self.method_call(e, f, scope, want)
        self.err("E0119", "this expression cannot be called", f.span)
        self.args_any(e, scope)
        return ERROR

    def args_any(self, e: A.Call, scope: Scope) -> None:
        for a in e.args:
            self.expr(a, scope, None)

    def args(self, e: A.Call, fi: FnInfo | None, params: list[tuple[str, Ty]],
             scope: Scope, what: str = "") -> None:
        name = what or (fi.name if fi else "?")
        if len(e.args) != len(params):
            self.err("E0119", f"`{name}` takes {len(params)} argument"
                     f"{'s' if len(params) != 1 else ''}, found {len(e.args)}", e.span)
        for a, (pn, pt) in zip(e.args, params):
            self.expect(pt, self.expr(a, scope, pt), a.span)
        for a in e.args[len(params):]:
            self.expr(a, scope, None)

    def builtin_call(self, e: A.Call, name: str, scope: Scope) -> Ty | None:
        if name in self.scopes[self.module].fns:
            return None
        if name == "print":
            for a in e.args:
                t = self.expr(a, scope, None)
                if not (is_scalar(t) or t == ERROR or (isinstance(t, OptTy) and
                                                       is_scalar(t.inner))):
                    self.err("E0110", f"cannot print a `{t}`", a.span,
                             "print Int, Float, Bool, Str or enum values "
                             "(JSON.stringify(v) for others)")
            self.out.calls[id(e)] = CallTarget("builtin", "print")
            return VOID
        sigs: dict[str, tuple[list[Ty], Ty]] = {
            "panic": ([STR], NEVER), "env": ([STR], OptTy(STR)), "now": ([], INT),
        }
        if name in sigs:
            ps, rt = sigs[name]
            self.args(e, None, [(f"arg{i}", t) for i, t in enumerate(ps)], scope, name)
            self.out.calls[id(e)] = CallTarget("builtin", name)
            return rt
        if name in ("Jwt", "RateLimit"):
            self.args_any(e, scope)
            self.out.calls[id(e)] = CallTarget("middleware", name)
            return MIDDLEWARE
        return None

    def path_call(self, e: A.Call, f: A.Path, scope: Scope) -> Ty:
        head = f.parts[0]
        if f.parts == ["Server", "new"]:
            self.args(e, None, [("addr", STR)], scope, "Server::new")
            self.out.calls[id(e)] = CallTarget("server", "new")
            return SERVER
        if head == "Database" and len(f.parts) == 2:
            return self.database_call(e, f.parts[1], scope, f.span)
        if head == "Response" and len(f.parts) == 2:
            return self.response_call(e, f.parts[1], scope, f.span)
        if head == "JSON" and len(f.parts) == 2:
            return self.json_call(e, f.parts[1], scope, f.span)
        self.args_any(e, scope)
        if head in self.scopes[self.module].enums:
            self.err("E0119", "an enum value cannot be called", e.span)
        else:
            self.err("E0101", f"unknown function `{'::'.join(f.parts)}`", f.span)
        return ERROR

    def response_call(self, e: A.Call, name: str, scope: Scope, span: Span) -> Ty:
        self.out.calls[id(e)] = CallTarget("response", name)
        if name == "json":
            if not e.args or len(e.args) > 2:
                self.err("E0119", "`Response.json` takes a value and an optional status",
                         e.span)
            if e.args:
                t = self.expr(e.args[0], scope, None)
                self.check_serialisable(t, e.args[0].span)
            for a in e.args[1:2]:
                self.expect(INT, self.expr(a, scope, INT), a.span)
            return RESPONSE
        if name == "text":
            ps: list[tuple[str, Ty]] = [("body", STR), ("status", INT)]
            ps = ps[:max(1, min(2, len(e.args)))]
            self.args(e, None, ps, scope, "Response.text")
            return RESPONSE
        if name == "status":
            self.args(e, None, [("status", INT)], scope, "Response.status")
            return RESPONSE
        self.err("E0101", f"`Response` has no function `{name}`", span,
                 suggest(name, ["json", "text", "status"]))
        self.args_any(e, scope)
        return ERROR

    def json_call(self, e: A.Call, name: str, scope: Scope, span: Span) -> Ty:
        if name == "stringify":
            self.out.calls[id(e)] = CallTarget("json", "stringify")
            if len(e.args) != 1:
                self.err("E0119", "`JSON.stringify` takes one value", e.span)
            for a in e.args[:1]:
                self.check_serialisable(self.expr(a, scope, None), a.span)
            return STR
        self.args_any(e, scope)
        if name == "parse":
            self.err("E0901", "`JSON.parse` is not supported yet", span)
        else:
            self.err("E0101", f"`JSON` has no function `{name}`", span)
        return ERROR

    # ---- the data layer

    def database_call(self, e: A.Call, name: str, scope: Scope, span: Span) -> Ty:
        """`Database::open()`, `Database::sqlite(path)`, `Database::get()`."""
        result = ResultTy(DATABASE, DB_ERROR_TY)
        if name in ("open", "sqlite"):
            params: list[tuple[str, Ty]] = [("path", STR)] if name == "sqlite" else []
            self.args(e, None, params, scope, f"Database::{name}")
            if self.fn is not self.out.main:
                self.err("E0313", f"`Database::{name}()` belongs in `main`", span,
                         "handlers use `Database::get()`")
            self.out.uses_db = True
            self.out.calls[id(e)] = CallTarget("db", name)
            return result
        if name == "get":
            self.args(e, None, [], scope, "Database::get")
            self.out.calls[id(e)] = CallTarget("db", name)
            return result
        self.args_any(e, scope)
        if name == "postgres":
            self.err("E0901", "PostgreSQL is not supported yet", span,
                     "use `Database::open()` with DATABASE_URL=sqlite:app.db")
        else:
            self.err("E0101", f"`Database` has no function `{name}`", span,
                     suggest(name, ["open", "sqlite", "get"]))
        return ERROR

    def db_call(self, e: A.Call, f: A.Field, scope: Scope, want: Ty | None) -> Ty:
        """`db.query(sql, params)` (alias `rawWithParams`) and `db.exec(sql, params)`."""
        name = f.name
        if name not in ("query", "rawWithParams", "exec"):
            self.args_any(e, scope)
            self.err("E0101", f"`Database` has no method `{name}`", f.name_span,
                     suggest(name, ["query", "exec"]))
            return ERROR
        self.out.calls[id(e)] = CallTarget("db", "exec" if name == "exec" else "query")
        if not e.args or len(e.args) > 2:
            self.err("E0119", f"`db.{name}` takes an SQL string and its parameters", e.span)
            self.args_any(e, scope)
            return ERROR
        sql_e = e.args[0]
        self.expr(sql_e, scope, STR)
        nparams = self.db_params(e.args[1] if len(e.args) > 1 else None, scope)
        if not isinstance(sql_e, A.StrLit):
            self.err("E0315", "the SQL of a query must be a string literal", sql_e.span,
                     "pass values as parameters: `$1`, `$2`, …")
        elif nparams is not None:
            used = [int(m) for m in re.findall(r"\$(\d+)", sql_e.value)]
            top = max(used, default=0)
            if top != nparams or (used and set(used) != set(range(1, top + 1))):
                self.err("E0316", f"the SQL uses {top} parameter{'s' if top != 1 else ''} "
                         f"but {nparams} {'is' if nparams == 1 else 'are'} given", sql_e.span)
        if name == "exec":
            return ResultTy(INT, DB_ERROR_TY)
        target = want.ok if isinstance(want, ResultTy) else want
        if target is None or target == ERROR:
            self.err("E0314", "the type of a query's rows must be written out", e.span,
                     "e.g. `let rows: [Task] = db.query(…)?;`")
            return ERROR
        if not self.row_type_ok(target):
            self.err("E0314", f"query rows cannot be read as `{target}`", e.span,
                     "use [Struct], Struct?, [Int], Int, Str?, … with scalar fields")
            return ERROR
        if isinstance(sql_e, A.StrLit):
            # Checked once the tables are known (they are declared in main).
            self.sql_checks.append((sql_e.value, target, sql_e.span))
        return ResultTy(target, DB_ERROR_TY)

    def check_sql_columns(self) -> None:
        """Where a literal query selects from a table of the program and its columns can be
        read off the text (`*` or plain column names), every non-optional field of the row
        struct must be among them."""
        for sql, target, span in self.sql_checks:
            elem = target.elem if isinstance(target, ArrayTy) else (
                target.inner if isinstance(target, OptTy) else target)
            if not isinstance(elem, StructTy):
                continue
            m = re.fullmatch(r"\s*SELECT\s+(.*?)\s+FROM\s+([A-Za-z_]\w*)\b.*", sql,
                             re.IGNORECASE | re.DOTALL)
            table = next((t for t in self.out.tables if m and t.name == m.group(2)), None)
            if m is None or table is None:
                continue
            available = selected_columns(m.group(1), table)
            if available is None:
                continue
            si = self.out.structs[elem.name]
            for f in si.fields:
                if isinstance(f.ty, OptTy) or f.name in available or \
                        snake_case(f.name) in available:
                    continue
                self.err("E0321", f"the query returns no column for field `{f.name}` of "
                         f"`{si.name}`", span, f"select `{snake_case(f.name)}` from "
                         f"`{table.name}`, or make the field optional")

    def row_type_ok(self, t: Ty) -> bool:
        inner = t.elem if isinstance(t, ArrayTy) else (t.inner if isinstance(t, OptTy) else t)
        if is_scalar(inner):
            return True
        if isinstance(inner, StructTy):
            si = self.out.structs[inner.name]
            return all(is_scalar(f.ty.inner if isinstance(f.ty, OptTy) else f.ty)
                       for f in si.fields)
        return False

    def db_params(self, arg: A.Expr | None, scope: Scope) -> int | None:
        """Check query parameters: an array literal of scalars (types may differ), one
        scalar, or an array of scalars. Returns the count when it is known."""
        if arg is None:
            return 0
        if isinstance(arg, A.ArrayLit):
            for it in arg.items:
                self.check_param(self.expr(it, scope, None), it.span)
            self.out.types[id(arg)] = ArrayTy(NEVER)
            return len(arg.items)
        t = self.expr(arg, scope, None)
        if isinstance(t, ArrayTy):
            self.check_param(t.elem, arg.span)
            return None
        self.check_param(t, arg.span)
        return 1

    def check_param(self, t: Ty, span: Span) -> None:
        base = t.inner if isinstance(t, OptTy) else t
        if t not in (ERROR, NIL) and not is_scalar(base):
            self.err("E0110", f"a `{t}` cannot be a query parameter", span)

    def crud(self, e: A.Call, seen: dict[tuple[str, str], RouteInfo]) -> None:
        """`app.crud("/tasks", Task, db)`: a table and six routes."""
        if len(e.args) != 3:
            self.err("E0119", "`app.crud` takes a path, a struct and the database", e.span)
            return
        path_e, type_e, db_e = e.args
        if not isinstance(path_e, A.StrLit):
            self.err("E0310", "a route path must be a string literal", path_e.span)
            return
        bad = check_route_path(path_e.value) or (
            "a CRUD path has no parameters" if ":" in path_e.value else "") or (
            "a CRUD path needs a name" if path_e.value == "/" else "")
        if bad:
            self.err("E0310", f"invalid route path: {bad}", path_e.span)
            return
        if self.ty(db_e) not in (DATABASE, ERROR):
            self.err("E0111", f"expected the `Database`, found `{self.ty(db_e)}`", db_e.span)
        if not isinstance(type_e, A.Name) or not isinstance(self.ty(type_e), TypeRefTy):
            if self.ty(type_e) != ERROR:
                self.err("E0311", "the second argument of `app.crud` must be a struct",
                         type_e.span)
            return
        si = self.scopes["main"].structs[type_e.name]
        name = path_e.value.rstrip("/").split("/")[-1]
        table = self.make_table(si, name, path_e.value, type_e.span)
        if table is None:
            return
        for method, suffix, op in CRUD_ROUTES:
            path = path_e.value + suffix
            self.add_route(RouteInfo(method, path, None, [], path_e.span, op, table), seen,
                           " of `app.crud`")

    def make_table(self, si: StructInfo, name: str, path: str | None,
                   span: Span) -> TableInfo | None:
        existing = next((t for t in self.out.tables if t.struct is si), None)
        if existing is not None:
            if path is not None and existing.path is not None:
                self.err("E0317", f"struct `{si.name}` already has CRUD routes at "
                         f"{existing.path}", span)
                return None
            if path is not None:
                existing.path = path
            return existing
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            self.err("E0310", f"`{name}` cannot name a table: the last segment of a CRUD path "
                     "must be an identifier", span)
            return None
        if any(t.name == name for t in self.out.tables):
            self.err("E0317", f"two structs would share the table `{name}`", span)
            return None
        pk = next((f for f in si.fields if f.has("primary")), None) or si.field("id")
        if pk is None or pk.ty != INT:
            self.err("E0208", f"struct `{si.name}` needs an Int primary key", span,
                     "add `id: Int @primary @auto`")
            return None
        for f in si.fields:
            base = f.ty.inner if isinstance(f.ty, OptTy) else f.ty
            if not is_scalar(base) and f.ty != ERROR:
                self.err("E0208", f"field `{f.name}: {f.ty}` of `{si.name}` cannot be a table "
                         "column", f.span, "columns are Int, Float, Bool, Str or enums")
                return None
        table = TableInfo(name, si, path, pk.name)
        self.out.tables.append(table)
        for f in si.fields:
            ref = f.decorators.get("foreign")
            if ref is not None and isinstance(ref.args[0], A.Name):
                target = self.out.structs.get(ref.args[0].name)
                if target is not None and not any(t.struct is target for t in self.out.tables):
                    self.make_table(target, snake_case(target.name) + "s", None, ref.span)
        return table

    # ---- auth, rate limits, CORS

    def middleware(self, mids: list[A.Expr]) -> tuple[bool, tuple[int, int] | None]:
        """`Jwt()` and `RateLimit(max, seconds)` between a route's path and handler."""
        jwt = False
        limit: tuple[int, int] | None = None
        for m in mids:
            tgt = self.out.calls.get(id(m)) if isinstance(m, A.Call) else None
            if tgt is None or tgt.kind != "middleware":
                self.err("E0311", "between the path and the handler only `Jwt()` and "
                         "`RateLimit(max, seconds)` are allowed", m.span)
                continue
            assert isinstance(m, A.Call)
            if tgt.name == "Jwt":
                if m.args:
                    self.err("E0119", "`Jwt()` takes no arguments", m.span)
                jwt = True
                self.jwt_spans.append(m.span)
                continue
            nums = [const_number(a) for a in m.args]
            if len(nums) != 2 or not all(isinstance(n, int) and n > 0 for n in nums):
                self.err("E0119", "`RateLimit` takes two positive integer literals: the "
                         "number of requests and the window in seconds", m.span)
                continue
            limit = (int(nums[0] or 0), int(nums[1] or 0))
        return jwt, limit

    def auth(self, e: A.Call, seen: dict[tuple[str, str], RouteInfo]) -> None:
        """`app.auth("/auth/signup", "/auth/login", User, db)`."""
        if self.out.auth is not None:
            self.err("E0307", "`app.auth` is declared twice", e.span)
            return
        if len(e.args) != 4:
            self.err("E0119", "`app.auth` takes the signup path, the login path, the user "
                     "struct and the database", e.span)
            return
        signup_e, login_e, type_e, db_e = e.args
        paths: list[str] = []
        for pe in (signup_e, login_e):
            if not isinstance(pe, A.StrLit):
                self.err("E0310", "a route path must be a string literal", pe.span)
                return
            bad = check_route_path(pe.value) or ("an auth path has no parameters"
                                                 if ":" in pe.value else "")
            if bad:
                self.err("E0310", f"invalid route path: {bad}", pe.span)
                return
            paths.append(pe.value)
        if self.ty(db_e) not in (DATABASE, ERROR):
            self.err("E0111", f"expected the `Database`, found `{self.ty(db_e)}`", db_e.span)
        if not isinstance(type_e, A.Name) or not isinstance(self.ty(type_e), TypeRefTy):
            if self.ty(type_e) != ERROR:
                self.err("E0311", "the third argument of `app.auth` must be the user struct",
                         type_e.span)
            return
        si = self.scopes["main"].structs[type_e.name]
        email = next((f for f in si.fields if f.has("email")), None)
        pw = next((f for f in si.fields if f.has("hash")), None)
        if email is None or pw is None or email.ty != STR or pw.ty != STR:
            missing = "an `@email` field" if email is None or email.ty != STR else \
                "an `@hash` field"
            self.err("E0209", f"the user struct `{si.name}` needs {missing}", type_e.span,
                     "e.g. `Email: Str @email @unique, Password: Str @hash @min(8)`")
            return
        role = next((f for f in si.fields if f.has("role")), None) or si.field("Role")
        if role is not None and not (role.ty == STR or isinstance(role.ty, EnumTy)):
            role = None
        existing = next((t for t in self.out.tables if t.struct is si), None)
        table = existing or self.make_table(si, snake_case(si.name) + "s", None, type_e.span)
        if table is None:
            return
        prefix = os.path.commonpath([paths[0], paths[1]]) if paths[0] != paths[1] else ""
        me = (prefix.rstrip("/") or "") + "/me"
        self.out.auth = AuthInfo(table, email.name, pw.name, role.name if role else None,
                                 paths[0], paths[1], me, e.span)
        for method, path, op in (("POST", paths[0], "signup"), ("POST", paths[1], "login"),
                                 ("GET", me, "me")):
            self.add_route(RouteInfo(method, path, None, [], e.span, op, table), seen,
                           " of `app.auth`")

    def options(self, e: A.Call, what: str, allowed: dict[str, str]) -> dict[str, A.Expr] | None:
        """The literal option object of `app.cors({…})` / `app.ratelimit({…})`."""
        if not e.args:
            return {}
        if len(e.args) != 1 or not isinstance(e.args[0], A.ObjectLit):
            self.err("E0119", f"`app.{what}` takes one option object, e.g. "
                     f"`{{ {', '.join(f'{k}: …' for k in allowed)} }}`", e.span)
            return None
        out: dict[str, A.Expr] = {}
        for f in e.args[0].fields:
            if f.name not in allowed:
                self.err("E0119", f"`app.{what}` has no option `{f.name}`", f.span,
                         suggest(f.name, list(allowed)))
                return None
            out[f.name] = f.value
        return out

    def cors(self, e: A.Call) -> None:
        opts = self.options(e, "cors", {"origins": "[Str]", "credentials": "Bool",
                                        "maxAge": "Int"})
        if opts is None:
            return
        origins: list[str] = []
        if "origins" in opts:
            lit = opts["origins"]
            if not isinstance(lit, A.ArrayLit) or not all(isinstance(i, A.StrLit)
                                                          for i in lit.items):
                self.err("E0119", "`origins` takes a list of string literals", lit.span)
                return
            origins = [i.value for i in lit.items if isinstance(i, A.StrLit)]
            for i in lit.items:
                assert isinstance(i, A.StrLit)
                if i.value == "*":
                    origins = []
                elif not re.fullmatch(r"https?://[A-Za-z0-9.-]+(:\d{1,5})?", i.value):
                    self.err("E0119", f"`{i.value}` is not an origin (scheme://host[:port])",
                             i.span)
                    return
        cred = opts.get("credentials")
        credentials = isinstance(cred, A.BoolLit) and cred.value
        if cred is not None and not isinstance(cred, A.BoolLit):
            self.err("E0119", "`credentials` takes `true` or `false`", cred.span)
            return
        if credentials and not origins:
            self.err("E0319", "`credentials: true` cannot be combined with any origin (`*`)",
                     e.span, "list the origins: `origins: [\"https://app.example\"]`")
            return
        age = const_number(opts["maxAge"]) if "maxAge" in opts else 0
        if not isinstance(age, int) or age < 0:
            self.err("E0119", "`maxAge` takes a non-negative integer (seconds)", e.span)
            return
        self.out.cors = CorsInfo(origins, credentials, age)

    def app_ratelimit(self, e: A.Call) -> None:
        opts = self.options(e, "ratelimit", {"max": "Int", "window": "Int",
                                             "trustProxy": "Bool"})
        if opts is None:
            return
        mx = const_number(opts["max"]) if "max" in opts else 100
        window = const_number(opts["window"]) if "window" in opts else 60
        if not (isinstance(mx, int) and isinstance(window, int) and mx > 0 and window > 0):
            self.err("E0119", "`max` and `window` take positive integer literals", e.span)
            return
        tp = opts.get("trustProxy")
        if tp is not None and not isinstance(tp, A.BoolLit):
            self.err("E0119", "`trustProxy` takes `true` or `false`", tp.span)
            return
        self.out.ratelimit = RateLimitInfo(mx, window, isinstance(tp, A.BoolLit) and tp.value)

    def check_serialisable(self, t: Ty, span: Span) -> None:
        if t == ERROR:
            return
        base = t.inner if isinstance(t, OptTy) else t
        while isinstance(base, ArrayTy):
            base = base.elem
        if not (is_scalar(base) or isinstance(base, StructTy) or base == NEVER):
            self.err("E0110", f"a `{t}` cannot be written as JSON", span)

    def method_call(self, e: A.Call, f: A.Field, scope: Scope, want: Ty | None = None) -> Ty:
        obj = f.obj
        if isinstance(obj, A.Name) and scope.lookup(obj.name) is None:
            if obj.name == "Response":
                return self.response_call(e, f.name, scope, f.name_span)
            if obj.name == "JSON":
                return self.json_call(e, f.name, scope, f.name_span)
        t = self.expr(obj, scope, None)
        name = f.name
        if t == ERROR:
            self.args_any(e, scope)
            return ERROR
        if t == DATABASE:
            return self.db_call(e, f, scope, want)
        if t == SERVER:
            self.out.calls[id(e)] = CallTarget("server", name)
            self.args_any(e, scope)
            if name not in HTTP_METHODS + ("start", "crud", "auth", "cors", "ratelimit"):
                self.err("E0101", f"`Server` has no method `{name}`", f.name_span,
                         suggest(name, list(HTTP_METHODS) + ["start", "crud", "auth"]))
            return VOID
        if t == REQUEST:
            if name in ("header", "query", "param"):
                self.args(e, None, [("name", STR)], scope, f"req.{name}")
                self.out.calls[id(e)] = CallTarget("req", name)
                return OptTy(STR)
            self.err("E0101", f"`Request` has no method `{name}`", f.name_span,
                     suggest(name, ["header", "query", "param"]))
            self.args_any(e, scope)
            return ERROR
        if t == STR and name in STR_METHODS:
            ps, rt = STR_METHODS[name]
            self.args(e, None, [(f"a{i}", p) for i, p in enumerate(ps)], scope, name)
            self.out.calls[id(e)] = CallTarget("str", name)
            return rt
        if t in (INT, FLOAT, BOOL) and name == "toStr" or (isinstance(t, EnumTy)
                                                            and name == "toStr"):
            self.args(e, None, [], scope, name)
            self.out.calls[id(e)] = CallTarget("tostr", name)
            return STR
        if isinstance(t, ArrayTy):
            return self.array_method(e, f, t, scope)
        if isinstance(t, StructTy):
            fi = self.scopes[self.module].fns.get(f"{t.name}.{name}")
            if fi is None:
                fi = next((x for x in self.out.fns if x.receiver == t.name and x.name == name),
                          None)
            if fi is not None:
                self.out.calls[id(e)] = CallTarget("fn", name, fi)
                self.args(e, fi, fi.params[1:], scope)
                return fi.result
        self.err("E0101", f"`{t}` has no method `{name}`", f.name_span,
                 suggest(name, list(STR_METHODS) if t == STR else []))
        self.args_any(e, scope)
        return ERROR

    def array_method(self, e: A.Call, f: A.Field, t: ArrayTy, scope: Scope) -> Ty:
        name = f.name
        el = t.elem
        sigs: dict[str, tuple[list[Ty], Ty]] = {
            "len": ([], INT), "isEmpty": ([], BOOL), "first": ([], OptTy(el)),
            "last": ([], OptTy(el)), "contains": ([el], BOOL), "indexOf": ([el], INT),
            "push": ([el], VOID), "join": ([STR], STR),
        }
        if name not in sigs:
            self.err("E0101", f"arrays have no method `{name}`", f.name_span,
                     suggest(name, list(sigs)))
            self.args_any(e, scope)
            return ERROR
        ps, rt = sigs[name]
        self.args(e, None, [(f"a{i}", p) for i, p in enumerate(ps)], scope, name)
        self.out.calls[id(e)] = CallTarget("arr", name)
        if name in ("contains", "indexOf") and not is_scalar(el):
            self.err("E0110", f"`{name}` works on arrays of Int, Float, Bool, Str or enums",
                     f.name_span)
        if name == "join" and el != STR:
            self.err("E0110", "`join` works on `[Str]`", f.name_span)
        if name == "push":
            root = f.obj
            while isinstance(root, (A.Field, A.Index)):
                root = root.obj
            v = scope.lookup(root.name) if isinstance(root, A.Name) else None
            if v is None or not v.mutable:
                self.err("E0144", "`push` needs a mutable array", f.obj.span,
                         "declare it with `let mut`")
        return rt

    # ---- main: the server and its routes

    def check_main(self) -> None:
        main = self.out.main
        if main is None:
            mod = self.program.entry
            self.err("E0306", "the program has no `fn main()`", Span(mod.path, 1, 1, 1, 2))
            return
        body = main.decl.body
        if not isinstance(body, A.Block):
            return
        seen: dict[tuple[str, str], RouteInfo] = {}
        for s in body.stmts:
            if isinstance(s, A.Let) and isinstance(s.value, A.Call) and \
                    self.out.calls.get(id(s.value), CallTarget("", "")).kind == "server":
                v = self.out.vars.get(id(s))
                if v is not None:
                    if self.out.server is not None:
                        self.err("E0307", "only one `Server` per program", s.span)
                    else:
                        self.out.server = ServerInfo(v, s.value.args[0] if s.value.args
                                                     else A.StrLit(":3000", s.span))
                continue
            if isinstance(s, A.ExprStmt) and isinstance(s.expr, A.Call):
                tgt = self.out.calls.get(id(s.expr))
                if tgt is not None and tgt.kind == "server":
                    self.server_call(s.expr, tgt.name, seen)
        if self.out.auth is None:
            for span in self.jwt_spans:
                self.err("E0320", "`Jwt()` needs `app.auth(…)` to issue the tokens", span)
        if self.out.server is not None and self.out.server.start_span is None:
            self.err("E0305", "the server is never started", main.decl.name_span,
                     "add `app.start();` at the end of `main`")
        self.check_server_calls_outside_main()

    def check_server_calls_outside_main(self) -> None:
        main = self.out.main
        for fn in self.out.fns:
            if fn is main:
                continue
            if any(p[1] == SERVER for p in fn.params):
                self.err("E0308", "routes are declared in `main`; a function cannot take a "
                         "`Server`", fn.decl.name_span)

    def server_call(self, e: A.Call, name: str, seen: dict[tuple[str, str], RouteInfo]) -> None:
        srv = self.out.server
        if srv is None:
            return
        if name == "start":
            if srv.start_span is not None:
                self.err("E0307", "the server is started twice", e.span)
            srv.start_span = e.span
            return
        if name == "crud":
            if srv.start_span is not None:
                self.err("E0309", "routes must be declared before `app.start()`", e.span)
            self.crud(e, seen)
            return
        if name == "auth":
            self.auth(e, seen)
            return
        if name == "cors":
            self.cors(e)
            return
        if name == "ratelimit":
            self.app_ratelimit(e)
            return
        if name not in HTTP_METHODS:
            return
        if srv.start_span is not None:
            self.err("E0309", "routes must be declared before `app.start()`", e.span)
        if len(e.args) < 2:
            self.err("E0119", f"`app.{name}` takes a path and a handler", e.span)
            return
        path_e, handler_e, mids = e.args[0], e.args[-1], e.args[1:-1]
        if not isinstance(path_e, A.StrLit):
            self.err("E0310", "a route path must be a string literal", path_e.span)
            return
        jwt, limit = self.middleware(mids)
        path = path_e.value
        bad = check_route_path(path)
        if bad:
            self.err("E0310", f"invalid route path: {bad}", path_e.span)
            return
        if not isinstance(handler_e, A.Name) or not isinstance(self.ty(handler_e), FnRefTy):
            if self.ty(handler_e) != ERROR:
                self.err("E0311", "the last argument of a route must be a handler function",
                         handler_e.span)
            return
        fi = self.scopes["main"].fns[handler_e.name]
        method = name.upper()
        if route_shape(method, path) in seen:
            self.add_route(RouteInfo(method, path, fi, [], path_e.span), seen)  # reports it
            return
        bindings = self.bind_handler(fi, method, path, handler_e.span, jwt)
        if bindings is None:
            return
        self.check_handler_return(fi, handler_e.span)
        self.add_route(RouteInfo(method, path, fi, bindings, path_e.span, jwt=jwt, limit=limit),
                       seen)

    def add_route(self, ri: RouteInfo, seen: dict[tuple[str, str], RouteInfo],
                  what: str = "") -> None:
        """Add a route to the table unless one of the same method and shape is there: two
        routes that differ only in parameter names could never both be reached (E0301)."""
        key = route_shape(ri.method, ri.path)
        prev = seen.get(key)
        if prev is None:
            seen[key] = ri
            self.out.routes.append(ri)
            return
        msg = (f"duplicate route {ri.method} {ri.path}" if prev.path == ri.path and not what
               else f"route {ri.method} {ri.path}{what} conflicts with {ri.method} {prev.path}")
        self.err("E0301", msg, ri.span, f"first declared at line {prev.span.line}")

    def bind_handler(self, fi: FnInfo, method: str, path: str,
                     span: Span, jwt: bool = False) -> list[Binding] | None:
        params = route_params(path)
        out: list[Binding] = []
        ok = True
        by_name = {n for n, _ in fi.params}
        unclaimed = [p for p in params if p not in by_name]
        body_taken = False
        for (name, ty), p in zip(fi.params, fi.decl.params):
            base = ty.inner if isinstance(ty, OptTy) else ty
            if ty == ERROR:
                ok = False
                continue
            if ty == REQUEST:
                out.append(Binding(name, "request", ty))
            elif ty == AUTHUSER:
                if not jwt:
                    self.err("E0318", f"`{name}: AuthUser` needs a token: add `Jwt()` to the "
                             "route", p.span, f"app.{method.lower()}(\"{path}\", Jwt(), "
                             f"{fi.name})")
                    ok = False
                out.append(Binding(name, "user", ty))
            elif is_scalar(base):
                if name in params and not isinstance(ty, OptTy):
                    out.append(Binding(name, "path", ty, params.index(name), name))
                elif unclaimed and not isinstance(ty, OptTy):
                    # Doolang's positional form: an unnamed path parameter binds to the
                    # next scalar parameter that matches no name.
                    key = unclaimed.pop(0)
                    out.append(Binding(name, "path", ty, params.index(key), key))
                else:
                    out.append(Binding(name, "query", ty, key=name))
            elif isinstance(ty, StructTy):
                if body_taken:
                    self.err("E0303", f"parameter `{name}` of handler `{fi.name}` matches "
                             "nothing: only one struct parameter can be bound", p.span)
                    ok = False
                    continue
                body_taken = True
                if method in ("POST", "PUT", "PATCH"):
                    out.append(Binding(name, "body", ty))
                else:
                    si = self.out.structs.get(ty.name)
                    nested = [f.name for f in si.fields if not is_scalar(
                        f.ty.inner if isinstance(f.ty, OptTy) else f.ty)] if si else []
                    if nested:
                        self.err("E0303", f"`{ty}` is bound from the query string on "
                                 f"{method}, but field `{nested[0]}` is not a scalar", p.span)
                        ok = False
                        continue
                    out.append(Binding(name, "query_struct", ty))
            else:
                self.err("E0303", f"parameter `{name}: {ty}` of handler `{fi.name}` matches "
                         "nothing", p.span,
                         "handlers take path/query scalars, one struct, `req: Request`")
                ok = False
        for key in unclaimed:
            self.err("E0312", f"path parameter `:{key}` is not used by handler `{fi.name}`",
                     span, f"add a parameter `{key}: Str` (or Int)")
            ok = False
        if fi.receiver is not None:
            self.err("E0311", "a method cannot be a handler", span)
            ok = False
        return out if ok else None

    def check_handler_return(self, fi: FnInfo, span: Span) -> None:
        t = fi.ret
        if t in (VOID, RESPONSE, ERROR):
            return
        self.check_serialisable(t, fi.decl.ret.span if fi.decl.ret else span)


def selected_columns(select: str, table: TableInfo) -> set[str] | None:
    """The column names a SELECT list yields, or None when they cannot be known from the
    text (expressions, functions)."""
    if select.strip() == "*":
        names = {f.name for f in table.struct.fields}
        return names | {snake_case(n) for n in names}
    out: set[str] = set()
    for item in select.split(","):
        m = re.fullmatch(r"\s*(?:[A-Za-z_]\w*\.)?([A-Za-z_]\w*)(?:\s+(?:AS\s+)?([A-Za-z_]\w*))?\s*",
                         item, re.IGNORECASE)
        if m is None:
            return None
        out.add(m.group(2) or m.group(1))
    return out


def route_shape(method: str, path: str) -> tuple[str, str]:
    """The key two routes collide on: the method and the path with parameters unnamed."""
    return method, "/".join(":" if s.startswith(":") else s for s in path.split("/"))


def snake_case(name: str) -> str:
    """`AuthorId` → `author_id`, `HTTPCode` → `http_code`, `id` → `id`."""
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    return s.lower()


def has_break(b: A.Block) -> bool:
    """Does a `break` in b leave the loop whose body b is (nested loops excluded)?"""
    def walk(s: object) -> bool:
        if isinstance(s, A.Break):
            return True
        if isinstance(s, (A.ForIn, A.ForCond)):
            return False
        if isinstance(s, A.Block):
            return any(walk(x) for x in s.stmts)
        if isinstance(s, A.ExprStmt):
            return walk(s.expr)
        if isinstance(s, A.IfExpr):
            return walk(s.then) or walk(s.else_)
        if isinstance(s, A.Match):
            return any(walk(a.body) for a in s.arms)
        return False
    return walk(b)


def pattern_key(e: A.Expr) -> tuple[str, object]:
    if isinstance(e, A.Path):
        return ("enum", e.parts[-1])
    if isinstance(e, (A.IntLit, A.StrLit, A.BoolLit)):
        return ("lit", e.value)
    return ("other", id(e))


def const_number(e: A.Expr) -> int | float | None:
    if isinstance(e, (A.IntLit, A.FloatLit)):
        return e.value
    if isinstance(e, A.Unary) and e.op == "-" and isinstance(e.operand, (A.IntLit, A.FloatLit)):
        return -e.operand.value
    return None


def check_route_path(path: str) -> str:
    if not path.startswith("/"):
        return "it must start with `/`"
    if path != "/" and path.endswith("/"):
        return "it must not end with `/`"
    names: set[str] = set()
    for seg in path.split("/")[1:]:
        if path == "/":
            break
        if not seg:
            return "empty segment `//`"
        if seg.startswith(":"):
            n = seg[1:]
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", n):
                return f"bad parameter name `{seg}`"
            if n in names:
                return f"parameter `:{n}` appears twice"
            names.add(n)
        elif not re.fullmatch(r"[A-Za-z0-9._~!$&'()*+,;=@-]+", seg):
            return f"segment `{seg}` has characters that need percent-encoding"
    return ""


def check_posix_ere(pattern: str) -> str:
    """A conservative validity check for a POSIX extended regex (the C side compiles it with
    regcomp at start-up; this catches mistakes at compile time). Returns "" when fine."""
    depth = 0
    i = 0
    prev_atom = False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            if i + 1 >= len(pattern):
                return "trailing backslash"
            i += 2
            prev_atom = True
            continue
        if c == "[":
            j = i + 1
            if j < len(pattern) and pattern[j] == "^":
                j += 1
            if j < len(pattern) and pattern[j] == "]":
                j += 1
            while j < len(pattern) and pattern[j] != "]":
                if pattern[j] == "[" and j + 1 < len(pattern) and pattern[j + 1] in ":.=":
                    end = pattern.find(pattern[j + 1] + "]", j + 2)
                    if end < 0:
                        return "unterminated character class name"
                    j = end + 2
                    continue
                j += 1
            if j >= len(pattern):
                return "unterminated `[`"
            i = j + 1
            prev_atom = True
            continue
        if c == "(":
            depth += 1
            prev_atom = False
        elif c == ")":
            depth -= 1
            if depth < 0:
                return "unmatched `)`"
            prev_atom = True
        elif c in "*+?":
            if not prev_atom:
                return f"`{c}` has nothing to repeat"
        elif c == "{":
            m = re.match(r"\{(\d+)(,(\d*))?\}", pattern[i:])
            if not m or not prev_atom:
                return "bad `{…}` repetition"
            lo, hi = int(m.group(1)), m.group(3)
            if hi and int(hi) < lo:
                return "bad `{…}` repetition bounds"
            i += m.end()
            continue
        elif c == "|":
            prev_atom = False
        else:
            prev_atom = True
        i += 1
    if depth:
        return "unmatched `(`"
    return ""


def check(program: Program) -> tuple[Checked, list[Diagnostic]]:
    """Check a loaded program. Never raises on user input."""
    return Checker(program).run()


__all__ = [
    "NO_SPAN",
    "STATUS_VARIANTS",
    "Binding",
    "CallTarget",
    "Checked",
    "EnumInfo",
    "FieldInfo",
    "FnInfo",
    "RouteInfo",
    "StdTy",
    "StructInfo",
    "VarInfo",
    "check",
]
