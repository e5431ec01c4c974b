"""Doo's semantic types.

The checker gives every expression one of these; the IR and the C backend read them.
Types are frozen dataclasses, so they compare and hash by value.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Ty:
    """Base of all types."""

    def __str__(self) -> str:  # pragma: no cover - overridden
        return "?"


@dataclass(frozen=True)
class Prim(Ty):
    """Int, Float, Bool, Str, and the internal Void / Nil / Never."""

    name: str

    def __str__(self) -> str:
        return self.name


INT = Prim("Int")
FLOAT = Prim("Float")
BOOL = Prim("Bool")
STR = Prim("Str")
VOID = Prim("Void")
NIL = Prim("nil")  # the type of the `nil` literal before it meets an optional
NEVER = Prim("Never")  # panic(): fits anywhere
ERROR = Prim("<error>")  # after a reported error: silences follow-up diagnostics


@dataclass(frozen=True)
class ArrayTy(Ty):
    elem: Ty

    def __str__(self) -> str:
        return f"[{self.elem}]"


@dataclass(frozen=True)
class OptTy(Ty):
    inner: Ty

    def __str__(self) -> str:
        return f"{self.inner}?"


@dataclass(frozen=True)
class StructTy(Ty):
    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class EnumTy(Ty):
    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class ResultTy(Ty):
    """The value of calling a `-> T ! E` function, before `?`, `??` or `let v, err =`."""

    ok: Ty
    err: Ty

    def __str__(self) -> str:
        return f"{self.ok} ! {self.err}"


@dataclass(frozen=True)
class StdTy(Ty):
    """Opaque std types: Server, Request, Response, Database, AuthUser, Middleware."""

    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class FnRefTy(Ty):
    """A function named as a value (a handler passed to `app.get`)."""

    name: str

    def __str__(self) -> str:
        return f"fn {self.name}"


@dataclass(frozen=True)
class TypeRefTy(Ty):
    """A struct named as a value (`User` in `app.auth(…, User, db)`)."""

    name: str

    def __str__(self) -> str:
        return f"type {self.name}"


@dataclass(frozen=True)
class OptionsTy(Ty):
    """An option object `{ max: 100 }`."""

    def __str__(self) -> str:
        return "options"


SERVER = StdTy("Server")
REQUEST = StdTy("Request")
RESPONSE = StdTy("Response")
DATABASE = StdTy("Database")
AUTHUSER = StdTy("AuthUser")
MIDDLEWARE = StdTy("Middleware")

PRIMS = {"Int": INT, "Float": FLOAT, "Bool": BOOL, "Str": STR}
SCALARS = (INT, FLOAT, BOOL, STR)


def is_scalar(t: Ty) -> bool:
    return t in SCALARS or isinstance(t, EnumTy)


def assignable(dst: Ty, src: Ty) -> bool:
    """May a value of type src be stored where dst is expected (implicit wrapping into an
    optional, nil into any optional, Never and <error> anywhere)?"""
    if src == dst or src in (NEVER, ERROR) or dst == ERROR:
        return True
    if isinstance(dst, OptTy):
        return src == NIL or assignable(dst.inner, src)
    if isinstance(dst, ArrayTy) and isinstance(src, ArrayTy):
        return src.elem == NEVER  # the empty array literal `[]`
    return False
