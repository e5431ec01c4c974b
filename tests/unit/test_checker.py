"""Checker diagnostics: each bad program gives the exact coded diagnostic (and only it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from doo import pipeline
from doo.diagnostics import render

HEADER = "import std::Http::{Server, Request, Response};\n"


def diagnose(tmp_path: Path, body: str) -> list[str]:
    f = tmp_path / "main.doo"
    f.write_text(HEADER + body, encoding="utf-8")
    res = pipeline.check_path(f)
    return [f"{d.span.line - 1}:{d.span.col}: {d.code} {d.message}" + (
        f" | {d.hint}" if d.hint else "") for d in res.diagnostics]


CASES = [
    ("unknown_type", "fn f() -> Strr { return \"\"; }\nfn main() {}\n",
     ["1:11: E0102 unknown type `Strr` | did you mean `Str`?"]),
    ("unknown_decorator", "struct U { email: Str @emial }\nfn main() {}\n",
     ["1:23: E0202 unknown decorator `@emial` | did you mean `@email`?"]),
    ("decorator_arity", "struct U { n: Int @min() }\nfn main() {}\n",
     ["1:19: E0203 `@min` takes 1 argument, found 0"]),
    ("decorator_arg_type", "struct U { n: Int @min(\"x\") }\nfn main() {}\n",
     ["1:24: E0203 `@min` takes an integer"]),
    ("decorator_on_wrong_type", "struct U { n: Int @email }\nfn main() {}\n",
     ["1:19: E0204 `@email` applies to Str fields, not `Int`"]),
    ("contradictory_decorators", "struct U { n: Str @readOnly @writeOnly }\nfn main() {}\n",
     ["1:29: E0207 `@readOnly` and `@writeOnly` contradict each other"]),
    ("min_over_max", "struct U { n: Int @min(5) @max(2) }\nfn main() {}\n",
     ["1:27: E0207 `@min(5)` is greater than `@max(2)`"]),
    ("bad_pattern", "struct U { n: Str @pattern(\"a(b\") }\nfn main() {}\n",
     ["1:28: E0203 invalid regular expression: unmatched `(`"]),
    ("unknown_name", "fn f() -> Int { let count = 1; return cuont; }\nfn main() {}\n",
     ["1:39: E0101 unknown name `cuont` | did you mean `count`?"]),
    ("type_mismatch", "fn f() -> Int { return \"x\"; }\nfn main() {}\n",
     ["1:24: E0111 expected `Int`, found `Str`"]),
    ("mixed_arith", "fn f() -> Float { return 1.5 + 2 * 3; }\nfn main() {}\n",
     ["1:26: E0110 `+` does not apply to `Float` and `Int` | convert with `as Float` or `as Int`"]),
    ("immutable", "fn main() { let x = 1; x = 2; }\n",
     ["1:24: E0144 `x` is not mutable | declare it with `let mut x`"]),
    ("missing_return", "fn f(a: Int) -> Int { if a > 0 { return 1; } }\nfn main() {}\n",
     ["1:4: E0142 function `f` may end without returning a value | add a `return` (or `Ok`) of type `Int`"]),
    ("break_outside_loop", "fn main() { break; }\n", ["1:13: E0141 `break` outside of a loop"]),
    ("redeclared", "fn main() { let a = 1; let a = 2; }\n",
     ["1:28: E0140 `a` is already defined in this scope | use another name, or assign with `=` to a `let mut`"]),
    ("match_not_exhaustive",
     "enum C { R, G }\nfn f(c: C) -> Str { return match c { C::R => \"r\" }; }\nfn main() {}\n",
     ["2:28: E0133 this `match` does not cover every value | missing `C::G`"]),
    ("ignored_error", "fn p() -> Int ! Str { Ok 1; }\nfn main() { p(); }\n",
     ["2:13: E0123 the error of this call is ignored | use `?`, `??` or `let v, err = …`"]),
    ("duplicate_route",
     "fn H() -> Str => \"x\";\nfn main() {\n let app = Server::new(\":3000\");\n"
     " app.get(\"/a\", H);\n app.get(\"/a\", H);\n app.start();\n}\n",
     ["5:10: E0301 duplicate route GET /a | first declared at line 5"]),
    ("conflicting_params",
     "fn H(a: Str) -> Str => a;\nfn main() {\n let app = Server::new(\":3000\");\n"
     " app.get(\"/x/:a\", H);\n app.get(\"/x/:b\", H);\n app.start();\n}\n",
     ["5:10: E0301 route GET /x/:b conflicts with GET /x/:a | first declared at line 5"]),
    ("param_matches_nothing",
     "fn H(xs: [Int]) -> Str => \"x\";\nfn main() {\n let app = Server::new(\":3000\");\n"
     " app.get(\"/a\", H);\n app.start();\n}\n",
     ["1:6: E0303 parameter `xs: [Int]` of handler `H` matches nothing | handlers take path/query scalars, one struct, `req: Request`"]),
    ("unused_path_param",
     "fn H() -> Str => \"x\";\nfn main() {\n let app = Server::new(\":3000\");\n"
     " app.get(\"/a/:id\", H);\n app.start();\n}\n",
     ["4:20: E0312 path parameter `:id` is not used by handler `H` | add a parameter `id: Str` (or Int)"]),
    ("never_started",
     "fn H() -> Str => \"x\";\nfn main() {\n let app = Server::new(\":3000\");\n"
     " app.get(\"/a\", H);\n}\n",
     ["2:4: E0305 the server is never started | add `app.start();` at the end of `main`"]),
    ("bad_route_path",
     "fn H() -> Str => \"x\";\nfn main() {\n let app = Server::new(\":3000\");\n"
     " app.get(\"a//b\", H);\n app.start();\n}\n",
     ["4:10: E0310 invalid route path: it must start with `/`"]),
    ("postgres_not_supported_yet",
     "fn main() {\n let db = Database::postgres()?;\n}\n",
     ["2:11: E0901 PostgreSQL is not supported yet | use `Database::open()` with "
      "DATABASE_URL=sqlite:app.db"]),
    ("not_supported_yet", "fn main() {\n let v = JSON.parse(\"1\");\n}\n",
     ["2:15: E0901 `JSON.parse` is not supported yet"]),
    ("query_needs_row_type",
     "fn f() -> Int ! DatabaseError {\n let db = Database::get()?;\n"
     " let n = db.query(\"SELECT 1\", [])?;\n Ok 1;\n}\nfn main() {}\n",
     ["3:10: E0314 the type of a query's rows must be written out | e.g. "
      "`let rows: [Task] = db.query(…)?;`"]),
    ("query_sql_must_be_literal",
     "fn f(s: Str) -> Int ! DatabaseError {\n let db = Database::get()?;\n"
     " let n: Int = db.query(\"SELECT \" + s, [])?;\n Ok n;\n}\nfn main() {}\n",
     ["3:24: E0315 the SQL of a query must be a string literal | pass values as parameters: "
      "`$1`, `$2`, …"]),
    ("query_param_count",
     "fn f() -> Int ! DatabaseError {\n let db = Database::get()?;\n"
     " let n: Int = db.query(\"SELECT $1 + $2\", [1])?;\n Ok n;\n}\nfn main() {}\n",
     ["3:24: E0316 the SQL uses 2 parameters but 1 is given"]),
    ("open_outside_main",
     "fn f() -> Int ! DatabaseError {\n let db = Database::open()?;\n Ok 1;\n}\n"
     "fn main() {}\n",
     ["2:11: E0313 `Database::open()` belongs in `main` | handlers use `Database::get()`"]),
    ("query_columns_checked_against_the_table",
     "struct Task { id: Int @primary @auto, Title: Str, Done: Bool }\n"
     "struct Brief { id: Int, Title: Str, Owner: Str }\n"
     "fn Briefs() -> [Brief] ! DatabaseError {\n let db = Database::get()?;\n"
     " let rows: [Brief] = db.query(\"SELECT id, title FROM tasks\", [])?;\n Ok rows;\n}\n"
     "fn All() -> [Brief] ! DatabaseError {\n let db = Database::get()?;\n"
     " let rows: [Brief] = db.query(\"SELECT * FROM tasks WHERE done = $1\", [true])?;\n"
     " Ok rows;\n}\n"
     "fn Counted() -> [Brief] ! DatabaseError {\n let db = Database::get()?;\n"
     " let rows: [Brief] = db.query(\"SELECT id, title, upper(title) AS Owner FROM tasks\", [])?;\n"
     " Ok rows;\n}\n"
     "fn main() {\n let db = Database::open()?;\n let app = Server::new(\":3000\");\n"
     " app.crud(\"/tasks\", Task, db);\n app.start();\n}\n",
     ["5:31: E0321 the query returns no column for field `Owner` of `Brief` | select `owner` "
      "from `tasks`, or make the field optional",
      "10:31: E0321 the query returns no column for field `Owner` of `Brief` | select `owner` "
      "from `tasks`, or make the field optional"]),
    ("crud_needs_primary_key",
     "struct Note { Text: Str }\nfn main() {\n let db = Database::open()?;\n"
     " let app = Server::new(\":3000\");\n app.crud(\"/notes\", Note, db);\n app.start();\n}\n",
     ["5:21: E0208 struct `Note` needs an Int primary key | add `id: Int @primary @auto`"]),
    ("no_main", "fn f() {}\n", ["0:1: E0306 the program has no `fn main()`"]),
    ("auth_needs_email_and_hash",
     "struct U { id: Int @primary @auto, Email: Str @email }\nfn main() {\n"
     " let db = Database::open()?;\n let app = Server::new(\":3000\");\n"
     " app.auth(\"/auth/signup\", \"/auth/login\", U, db);\n app.start();\n}\n",
     ["5:42: E0209 the user struct `U` needs an `@hash` field | e.g. `Email: Str @email "
      "@unique, Password: Str @hash @min(8)`"]),
    ("authuser_needs_jwt",
     "fn H(user: AuthUser) -> Str => user.email;\nfn main() {\n"
     " let app = Server::new(\":3000\");\n app.get(\"/me\", H);\n app.start();\n}\n",
     ["1:6: E0318 `user: AuthUser` needs a token: add `Jwt()` to the route | "
      "app.get(\"/me\", Jwt(), H)"]),
    ("jwt_needs_app_auth",
     "fn H() -> Str => \"x\";\nfn main() {\n let app = Server::new(\":3000\");\n"
     " app.get(\"/x\", Jwt(), H);\n app.start();\n}\n",
     ["4:16: E0320 `Jwt()` needs `app.auth(…)` to issue the tokens"]),
    ("cors_credentials_with_any_origin",
     "fn main() {\n let app = Server::new(\":3000\");\n app.cors({ credentials: true });\n"
     " app.start();\n}\n",
     ["3:2: E0319 `credentials: true` cannot be combined with any origin (`*`) | list the "
      "origins: `origins: [\"https://app.example\"]`"]),
    ("ratelimit_options",
     "fn main() {\n let app = Server::new(\":3000\");\n app.ratelimit({ max: 10, windw: 60 });\n"
     " app.start();\n}\n",
     ["3:27: E0119 `app.ratelimit` has no option `windw` | did you mean `window`?"]),
]


@pytest.mark.parametrize("name,body,expected", CASES, ids=[c[0] for c in CASES])
def test_checker_diagnostic(tmp_path: Path, name: str, body: str, expected: list[str]) -> None:
    assert diagnose(tmp_path, body) == expected


def test_all_errors_of_a_run_are_reported_together(tmp_path: Path) -> None:
    body = ("struct U { a: Strr, b: Int @nope }\n"
            "fn f() -> Int { return x; }\nfn main() {}\n")
    codes = [d.split()[1] for d in diagnose(tmp_path, body)]
    assert codes == ["E0102", "E0202", "E0101"]


def test_rendered_diagnostic_has_caret_and_hint(tmp_path: Path) -> None:
    f = tmp_path / "main.doo"
    f.write_text("fn main() {\n    let n: Intt = 1;\n}\n", encoding="utf-8")
    res = pipeline.check_path(f)
    assert [render(d, res.sources) for d in res.diagnostics] == [
        f"{f}:2:12: error[E0102]: unknown type `Intt`\n"
        " 2 |     let n: Intt = 1;\n"
        "   |            ^^^^ did you mean `Int`?"]


def test_doo_run_writes_a_development_secret_once(tmp_path: Path) -> None:
    from doo.cli import ensure_dev_secret, load_env_file

    (tmp_path / ".env").write_text("PORT=8080", encoding="utf-8")
    env: dict[str, str] = {}
    ensure_dev_secret(tmp_path, env)
    stored = load_env_file(tmp_path)
    assert stored["PORT"] == "8080"
    assert len(stored["JWT_SECRET"]) >= 32 and env["JWT_SECRET"] == stored["JWT_SECRET"]
    ensure_dev_secret(tmp_path, dict(stored))  # already set: nothing is written
    assert (tmp_path / ".env").read_text(encoding="utf-8").count("JWT_SECRET=") == 1
