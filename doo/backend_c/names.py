"""C names for Doo types and identifiers.

Input: semantic types (`doo.frontend.types`). Output: the C spelling of each type, and a
stable mangled name used to name the helpers generated per type (`doo_json_Arr_Task`).
"""

from __future__ import annotations

from doo.frontend.types import (
    AUTHUSER,
    BOOL,
    DATABASE,
    FLOAT,
    INT,
    NEVER,
    NIL,
    REQUEST,
    RESPONSE,
    STR,
    VOID,
    ArrayTy,
    EnumTy,
    OptTy,
    ResultTy,
    StructTy,
    Ty,
)

C_KEYWORDS = {
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else",
    "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long", "register",
    "restrict", "return", "short", "signed", "sizeof", "static", "struct", "switch",
    "typedef", "union", "unsigned", "void", "volatile", "while", "bool", "true", "false",
    "main", "errno", "NULL", "ctx", "req", "res", "has", "val", "ok", "err",
}


def ident(name: str) -> str:
    """A Doo identifier (field name) as a C identifier that cannot clash."""
    return f"{name}_" if name in C_KEYWORDS or name.startswith("_") else name


def mangle(t: Ty) -> str:
    if t in (INT, FLOAT, BOOL, STR, VOID):
        return str(t)
    if isinstance(t, ArrayTy):
        return f"Arr_{mangle(t.elem)}"
    if isinstance(t, OptTy):
        return f"Opt_{mangle(t.inner)}"
    if isinstance(t, ResultTy):
        return f"Res_{mangle(t.ok)}_{mangle(t.err)}"
    if isinstance(t, (StructTy, EnumTy)):
        return t.name
    if t == RESPONSE:
        return "Response"
    if t == DATABASE:
        return "Database"
    if t in (NEVER, NIL):
        return "Void"
    raise AssertionError(f"no C name for {t}")


def ctype(t: Ty) -> str:
    if t == INT:
        return "int64_t"
    if t == FLOAT:
        return "double"
    if t == BOOL:
        return "bool"
    if t == STR:
        return "dooh_str"
    if t in (VOID, NEVER):
        return "void"
    if isinstance(t, EnumTy):
        return "int32_t"
    if isinstance(t, ArrayTy):
        return "dooh_arr"
    if t == REQUEST:
        return "dooh_request *"
    if t == AUTHUSER:
        return "dooh_auth_user"
    if t == DATABASE:
        return "int32_t"  # a handle without state: connections are per worker thread
    return f"doo_{mangle(t)}"
