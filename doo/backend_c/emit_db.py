"""C text for the data layer: table descriptors, query helpers, parameter conversions.

Input: the checked program (its tables) and the types the unit's queries use. Output: C
definitions as text, parsed into the unit's syntax tree by emit.py. The descriptors follow
libdooh's dooh/db.h: one `dooh_column` per struct field in declaration order, one
`dooh_table` per table, and `doo_tables`, the array `Database::open()` hands to
`dooh_db_open`. Row decoding: `doo_query_<T>` turns `dooh_rows` into the annotated type,
matching struct fields to result columns by name (field name, then snake_case).
"""

from __future__ import annotations

from doo.backend_c import cbuild as C
from doo.backend_c.names import ctype, ident, mangle
from doo.frontend import ast as A
from doo.frontend.checker import Checked, FieldInfo, TableInfo, snake_case
from doo.frontend.types import (
    BOOL,
    FLOAT,
    INT,
    STR,
    ArrayTy,
    EnumTy,
    OptTy,
    ResultTy,
    StructTy,
    Ty,
)

COL_TYPES: dict[Ty, str] = {INT: "DOOH_COL_INT", FLOAT: "DOOH_COL_FLOAT", BOOL: "DOOH_COL_BOOL",
             STR: "DOOH_COL_TEXT"}


def base_of(t: Ty) -> Ty:
    return t.inner if isinstance(t, OptTy) else t


def rules(f: FieldInfo, patterns: list[str]) -> str:
    """A dooh_rules initializer for a field's @min @max @email @url @pattern."""
    flags = []
    if f.min is not None:
        flags.append("DOOH_RULE_MIN")
    if f.max is not None:
        flags.append("DOOH_RULE_MAX")
    if f.has("email"):
        flags.append("DOOH_RULE_EMAIL")
    if f.has("url"):
        flags.append("DOOH_RULE_URL")
    pattern, src = "NULL", "NULL"
    if f.pattern is not None:
        flags.append("DOOH_RULE_PATTERN")
        pattern = f"(const dooh_regex *const *)&doo_regex[{patterns.index(f.pattern)}]"
        src = C.c_string(f.pattern)
    lo = repr(float(f.min)) if f.min is not None else "0.0"
    hi = repr(float(f.max)) if f.max is not None else "0.0"
    return f"{{ {' | '.join(flags) or '0'}, {lo}, {hi}, {pattern}, {src} }}"


def default_sql(f: FieldInfo) -> str:
    """@default as an SQL literal in a C string, or NULL."""
    d = f.default
    if d is None or isinstance(d, A.NilLit):
        return "NULL"
    if isinstance(d, A.Path):
        lit = "'" + d.parts[-1] + "'"
    elif isinstance(d, A.BoolLit):
        lit = "1" if d.value else "0"
    elif isinstance(d, A.StrLit):
        lit = "'" + d.value.replace("'", "''") + "'"
    elif isinstance(d, A.Unary) and isinstance(d.operand, (A.IntLit, A.FloatLit)):
        lit = repr(-d.operand.value)
    elif isinstance(d, (A.IntLit, A.FloatLit)):
        lit = repr(float(d.value)) if base_of(f.ty) == FLOAT else repr(d.value)
    else:  # pragma: no cover - the checker allows only constants
        return "NULL"
    return C.c_string(lit)


def column(c: Checked, t: TableInfo, f: FieldInfo) -> str:
    base = base_of(f.ty)
    flags = []
    if f.name == t.pk:
        flags.append("DOOH_COL_PRIMARY")
    if f.has("auto") or (f.name == t.pk and f.has("primary") and f.has("auto")):
        flags.append("DOOH_COL_AUTO")
    if f.has("unique"):
        flags.append("DOOH_COL_UNIQUE")
    if isinstance(f.ty, OptTy):
        flags.append("DOOH_COL_OPTIONAL")
    if not f.output:
        flags.append("DOOH_COL_NO_OUTPUT")
    if not f.input:
        flags.append("DOOH_COL_NO_INPUT")
    if f.has("hash"):
        flags.append("DOOH_COL_HASH")
    if f.has("owner"):
        flags.append("DOOH_COL_OWNER")
    if isinstance(base, EnumTy):
        kind, variants = "DOOH_COL_ENUM", f"doo_variants_{base.name}"
        nvariants = len(c.enums[base.name].variants)
    else:
        kind, variants, nvariants = COL_TYPES[base], "NULL", 0
    foreign = "NULL"
    ref = f.decorators.get("foreign")
    if ref is not None and isinstance(ref.args[0], A.Name):
        target = next((x for x in c.tables if x.struct.name == ref.args[0].name), None)
        foreign = C.c_string(target.name) if target is not None else "NULL"
    return (f"    {{ {C.c_string(f.name)}, {C.c_string(snake_case(f.name))}, {kind}, "
            f"{' | '.join(flags) or '0'}, {variants}, {nvariants}, {rules(f, c.patterns)}, "
            f"{default_sql(f)}, {foreign} }},\n")


def tables(c: Checked) -> str:
    """Variant name arrays, column arrays, tables and `doo_tables`."""
    out: list[str] = []
    enums = sorted({base_of(f.ty).name for t in c.tables for f in t.struct.fields  # type: ignore[attr-defined]
                    if isinstance(base_of(f.ty), EnumTy)})
    for name in enums:
        names = ", ".join(C.c_string(v) for v in c.enums[name].variants)
        out.append(f"static const char *const doo_variants_{name}[] = {{ {names} }};\n")
    for t in c.tables:
        cols = "".join(column(c, t, f) for f in t.struct.fields)
        pk = [f.name for f in t.struct.fields].index(t.pk)
        path = C.c_string(t.path) if t.path is not None else "NULL"
        out.append(f"static const dooh_column doo_cols_{t.name}[] = {{\n{cols}}};\n")
        out.append(f"static const dooh_table doo_table_{t.name} = {{ {C.c_string(t.name)}, "
                   f"{C.c_string(t.struct.name)}, {path}, doo_cols_{t.name}, "
                   f"{len(t.struct.fields)}, {pk} }};\n")
    if c.auth is not None:
        a = c.auth
        field_names = [f.name for f in a.table.struct.fields]
        role = field_names.index(a.role) if a.role is not None else -1
        out.append(f"static const dooh_auth_config doo_auth = {{ &doo_table_{a.table.name}, "
                   f"{field_names.index(a.email)}, {field_names.index(a.hash)}, {role}, "
                   f"{C.c_string(a.signup)}, {C.c_string(a.login)}, {C.c_string(a.me)} }};\n"
                   "static void doo_auth_open(void) {\n"
                   "    if (!dooh_auth_open(&doo_auth)) exit(1);\n}\n")
    refs = ", ".join(f"&doo_table_{t.name}" for t in c.tables) or "NULL"
    out.append(f"static const dooh_table *const doo_tables[] = {{ {refs} }};\n")
    out.append(
        "static doo_Res_Database_DatabaseError doo_db_open(dooh_ctx *ctx, const char *path) {\n"
        "    doo_Res_Database_DatabaseError r = { false, 0, DOOH_DBERR_INTERNAL };\n"
        "    (void)ctx;\n"
        f"    if (dooh_db_open(path, doo_tables, {len(c.tables)})) r.ok = true;\n"
        "    return r;\n}\n")
    return "".join(out)


def dbv_helper(c: Checked, t: Ty) -> str:
    """`doo_dbv_<T>`: a Doo value as a bound SQL value (enums bind their variant names)."""
    m, ct = mangle(t), ctype(t)
    head = f"static dooh_dbv doo_dbv_{m}(dooh_ctx *ctx, {ct} v) {{\n"
    if isinstance(t, OptTy):
        inner = f"doo_dbv_{mangle(t.inner)}(ctx, v.val)"
        return head + ("    dooh_dbv n = { DOOH_DBV_NULL, 0, 0.0, { NULL, 0 } };\n"
                       f"    return v.has ? {inner} : n;\n}}\n")
    assert isinstance(t, EnumTy)
    return head + ("    dooh_dbv x = { DOOH_DBV_TEXT, 0, 0.0, { NULL, 0 } };\n"
                   f"    x.s = doo_tostr_{m}(ctx, v);\n    return x;\n}}\n")


def cell(t: Ty, c: Checked, row: str, col: str, what: str) -> str:
    """An expression reading one non-null cell as type t (wrong types panic: a 500 with the
    reason in the log)."""
    if isinstance(t, EnumTy):
        n = len(c.enums[t.name].variants)
        return (f"doo_cell_enum(ctx, {row}, {col}, doo_enum_names_{t.name}, {n}, "
                f"{C.c_string(what)}, loc)")
    readers: dict[Ty, str] = {INT: "doo_cell_i64", FLOAT: "doo_cell_f64",
                              BOOL: "doo_cell_bool", STR: "doo_cell_str"}
    fn = readers[t]
    return f"{fn}(ctx, {row}, {col}, {C.c_string(what)}, loc)"


def assign_cell(t: Ty, c: Checked, target: str, row: str, col: str, what: str,
                pad: str) -> str:
    """Statements storing a cell (possibly NULL) into target of type t."""
    if isinstance(t, OptTy):
        return (f"{pad}if ({col} < 0 || {row}[{col}].type == DOOH_DBV_NULL) "
                f"{target}.has = false;\n"
                f"{pad}else {{ {target}.has = true; "
                f"{target}.val = {cell(t.inner, c, row, col, what)}; }}\n")
    return (f"{pad}if ({col} < 0) dooh_panic(ctx, loc, DOOH_LIT("
            f"{C.c_string('the query result has no column for ' + what)}));\n"
            f"{pad}{target} = {cell(t, c, row, col, what)};\n")


def query_helper(c: Checked, t: Ty) -> str:
    """`doo_query_<T>`: run a query and decode its rows as t."""
    m = mangle(t)
    rt = ctype(ResultTy(t, EnumTy("DatabaseError")))
    out = [(f"static {rt} doo_query_{m}(dooh_ctx *ctx, const char *sql, const dooh_dbv *params, "
           "int n, const char *loc) {\n"),
           f"    {rt} r;\n    dooh_rows rows;\n    int e;\n    int64_t i;\n",
           "    memset(&r, 0, sizeof r);\n",
           "    e = dooh_db_query(ctx, sql, params, n, &rows);\n",
           "    if (e != DOOH_DBERR_NONE) { r.err = e; return r; }\n", "    (void)i;\n"]
    elem = t.elem if isinstance(t, ArrayTy) else base_of(t)
    many = isinstance(t, ArrayTy)
    if not many:
        if isinstance(t, OptTy):
            out.append("    if (rows.nrows == 0) { r.ok = true; r.val.has = false; return r; }\n")
        else:
            out.append("    if (rows.nrows == 0) { r.err = DOOH_DBERR_NOT_FOUND; return r; }\n")
    if isinstance(elem, StructTy):
        si = c.structs[elem.name]
        for f in si.fields:
            out.append(f"    int c_{ident(f.name)} = dooh_rows_col(&rows, "
                       f"{C.c_string(f.name)});\n")
        body = "".join(assign_cell(f.ty, c, f"o->{ident(f.name)}", "row", f"c_{ident(f.name)}",
                                   f"field {f.name} of {si.name}", "        ")
                       for f in si.fields)
    else:
        body = assign_cell(elem, c, "*o", "row", "0", "the result", "        ")
    if many:
        out.append("    r.val = (dooh_arr){ NULL, 0, 0 };\n"
                   "    for (i = 0; i < rows.nrows; i++) {\n"
                   "        const dooh_dbv *row = rows.cells + i * rows.ncols;\n"
                   f"        {ctype(elem)} *o = dooh_arr_push(ctx, &r.val, sizeof({ctype(elem)}));\n"
                   f"{body}    }}\n")
    else:
        target = "r.val.val" if isinstance(t, OptTy) else "r.val"
        out.append("    {\n        const dooh_dbv *row = rows.cells;\n"
                   f"        {ctype(elem)} *o = &{target};\n{body}    }}\n")
        if isinstance(t, OptTy):
            out.append("    r.val.has = true;\n")
    out.append("    r.ok = true;\n    return r;\n}\n")
    return "".join(out)


def enum_names(c: Checked, name: str) -> str:
    names = ", ".join(C.c_string(v) for v in c.enums[name].variants)
    return f"static const char *const doo_enum_names_{name}[] = {{ {names} }};\n"


def exec_helper() -> str:
    rt = "doo_Res_Int_DatabaseError"
    return (f"static {rt} doo_exec(dooh_ctx *ctx, const char *sql, const dooh_dbv *params, "
            "int n) {\n"
            f"    {rt} r = {{ false, 0, 0 }};\n"
            "    int e = dooh_db_exec(ctx, sql, params, n, &r.val);\n"
            "    if (e != DOOH_DBERR_NONE) { r.err = e; return r; }\n"
            "    r.ok = true;\n    return r;\n}\n")


def dyn_params(t: Ty) -> str:
    """`doo_dbvs_<[T]>`: an array of values as bound parameters."""
    assert isinstance(t, ArrayTy)
    m, et = mangle(t), ctype(t.elem)
    conv = (f"doo_dbv_{mangle(t.elem)}(ctx, (({et} *)a.data)[i])")
    return (f"static const dooh_dbv *doo_dbvs_{m}(dooh_ctx *ctx, dooh_arr a) {{\n"
            "    dooh_dbv *p = dooh_alloc(ctx, sizeof(dooh_dbv) * (size_t)(a.len + 1));\n"
            "    int64_t i;\n"
            f"    for (i = 0; i < a.len; i++) p[i] = {conv};\n"
            "    return p;\n}\n")


__all__ = [
    "StructTy",
    "base_of",
    "dbv_helper",
    "dyn_params",
    "enum_names",
    "exec_helper",
    "query_helper",
    "tables",
]
