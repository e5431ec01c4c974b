"""The `doo` command line on hand-made bad programs: one coded diagnostic each, exit codes.

Every call is a subprocess (`python -m doo …`) run in tmp_path with a relative file name, so
the diagnostic's `file:line:col` is exactly what a user sees. A diagnostic is rendered as

    a.doo:3:11: error[E0102]: unknown type `Strr`
     3 | fn f() -> Strr {
       |           ^^^^ did you mean `Str`?

and the run ends with `doo: 1 error`; exit 1 for user errors, 2 for usage errors, and never
a Python traceback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

MAIN = """
fn main() {
    let app = Server::new(":3000");
%s
    app.start();
}
"""


def program(decls: str, routes: str) -> str:
    """A program: the Server import, `decls`, then main() with `routes` inside."""
    return ("import std::Http::Server;\n\n" + textwrap.dedent(decls).strip() + "\n"
            + MAIN % textwrap.indent(textwrap.dedent(routes).strip(), "    "))


def doo(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DOO_DEBUG"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, "-m", "doo", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def no_traceback(p: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in p.stdout + p.stderr, p.stdout + p.stderr


# Each case: name, source, and the exact diagnostic (header line, source line, caret line).
CASES = [
    ("type_typo", program("""
        fn f() -> Strr {
            return "x";
        }
     """, 'app.get("/f", f);'),
     ("type_typo.doo:3:11: error[E0102]: unknown type `Strr`\n"
     " 3 | fn f() -> Strr {\n"
     "   |           ^^^^ did you mean `Str`?\n")),

    ("unknown_decorator", program("""
        struct User {
            email: Str @emial,
        }

        fn H(body: User) -> Str => "ok";
     """, 'app.post("/u", H);'),
     ("unknown_decorator.doo:4:16: error[E0202]: unknown decorator `@emial`\n"
     " 4 |     email: Str @emial,\n"
     "   |                ^^^^^^ did you mean `@email`?\n")),

    ("decorator_wrong_argument_type", program("""
        struct User {
            name: Str @min("x"),
        }

        fn H(body: User) -> Str => "ok";
     """, 'app.post("/u", H);'),
     ("decorator_wrong_argument_type.doo:4:20: error[E0203]: `@min` takes an integer\n"
     " 4 |     name: Str @min(\"x\"),\n"
     "   |                    ^^^\n")),

    ("decorator_missing_argument", program("""
        struct User {
            name: Str @min(),
        }

        fn H(body: User) -> Str => "ok";
     """, 'app.post("/u", H);'),
     ("decorator_missing_argument.doo:4:15: error[E0203]: `@min` takes 1 argument, found 0\n"
     " 4 |     name: Str @min(),\n"
     "   |               ^^^^^^\n")),

    ("decorator_extra_argument", program("""
        struct User {
            name: Str @max(1, 2),
        }

        fn H(body: User) -> Str => "ok";
     """, 'app.post("/u", H);'),
     ("decorator_extra_argument.doo:4:15: error[E0203]: `@max` takes 1 argument, found 2\n"
     " 4 |     name: Str @max(1, 2),\n"
     "   |               ^^^^^^^^^^\n")),

    ("decorator_bad_regex", program("""
        struct User {
            code: Str @pattern("[a-"),
        }

        fn H(body: User) -> Str => "ok";
     """, 'app.post("/u", H);'),
     ("decorator_bad_regex.doo:4:24: error[E0203]: invalid regular expression: "
     "unterminated `[`\n"
     " 4 |     code: Str @pattern(\"[a-\"),\n"
     "   |                        ^^^^^\n")),

    ("duplicate_route", program("""
        fn H() -> Str => "ok";
     """, """
        app.get("/a", H);
        app.get("/a", H);
     """),
     ("duplicate_route.doo:8:13: error[E0301]: duplicate route GET /a\n"
     " 8 |     app.get(\"/a\", H);\n"
     "   |             ^^^^ first declared at line 7\n")),

    ("conflicting_param_routes", program("""
        fn H(x: Str) -> Str => x;
        fn H2(y: Str) -> Str => y;
     """, """
        app.get("/a/:x", H);
        app.get("/a/:y", H2);
     """),
     ("conflicting_param_routes.doo:9:13: error[E0301]: route GET /a/:y conflicts with "
     "GET /a/:x\n"
     " 9 |     app.get(\"/a/:y\", H2);\n"
     "   |             ^^^^^^^ first declared at line 8\n")),

    ("unbindable_parameter", program("""
        fn H(xs: [Int]) -> Str => "ok";
     """, 'app.get("/a", H);'),
     ("unbindable_parameter.doo:3:6: error[E0303]: parameter `xs: [Int]` of handler `H` "
     "matches nothing\n"
     " 3 | fn H(xs: [Int]) -> Str => \"ok\";\n"
     "   |      ^^^^^^^^^ handlers take path/query scalars, one struct, `req: Request`\n")),

    ("missing_semicolon_mid_file", program("""
        fn A() -> Str {
            let x = 1
            return "a";
        }

        fn B() -> Str => "b";
     """, """
        app.get("/a", A);
        app.get("/b", B);
     """),
     ("missing_semicolon_mid_file.doo:4:14: error[E0001]: expected `;` after statement\n"
     " 4 |     let x = 1\n"
     "   |              ^ found keyword `return`\n")),

    ("stray_brace_mid_file", program("""
        fn A() -> Str {
            return "a";
        }
        }

        fn B() -> Str => "b";
     """, """
        app.get("/a", A);
        app.get("/b", B);
     """),
     ("stray_brace_mid_file.doo:6:1: error[E0001]: unexpected `}`\n"
     " 6 | }\n"
     "   | ^ expected `fn`, `struct`, `enum`, `const` or `import`\n")),

    ("unknown_name_in_interpolation", program("""
        fn Hello(name: Str) -> Str {
            let greeting = "Hello";
            return "${greting}, ${name}!";
        }
     """, 'app.get("/hello/:name", Hello);'),
     ("unknown_name_in_interpolation.doo:5:15: error[E0101]: unknown name `greting`\n"
     " 5 |     return \"${greting}, ${name}!\";\n"
     "   |               ^^^^^^^ did you mean `greeting`?\n")),

    ("unknown_handler_name", program("""
        fn Hello() -> Str => "hi";
     """, 'app.get("/a", Helo);'),
     ("unknown_handler_name.doo:7:19: error[E0101]: unknown name `Helo`\n"
     " 7 |     app.get(\"/a\", Helo);\n"
     "   |                   ^^^^ did you mean `Hello`?\n")),

    ("unknown_function_call", program("""
        fn Greet(n: Str) -> Str => "hi ${n}";
        fn H() -> Str => Gret("x");
     """, 'app.get("/a", H);'),
     ("unknown_function_call.doo:4:18: error[E0101]: unknown name `Gret`\n"
     " 4 | fn H() -> Str => Gret(\"x\");\n"
     "   |                  ^^^^ did you mean `Greet`?\n")),
]


@pytest.mark.parametrize("name, source, expected", CASES, ids=[c[0] for c in CASES])
def test_check_reports_exactly_one_diagnostic(tmp_path, name, source, expected):
    (tmp_path / f"{name}.doo").write_text(source, encoding="utf-8")
    p = doo("check", f"{name}.doo", cwd=tmp_path)
    no_traceback(p)
    assert p.returncode == 1, p
    assert p.stdout == ""
    assert p.stderr == expected + "\ndoo: 1 error\n"


def test_check_reports_independent_errors_together(tmp_path):
    src = program("""
        fn A() -> Strr => "a";

        fn B() -> Str {
            return nope;
        }
     """, """
        app.get("/a", A);
        app.get("/b", B);
     """)
    (tmp_path / "multi.doo").write_text(src, encoding="utf-8")
    p = doo("check", "multi.doo", cwd=tmp_path)
    no_traceback(p)
    assert p.returncode == 1
    assert p.stderr == (
        "multi.doo:3:11: error[E0102]: unknown type `Strr`\n"
        " 3 | fn A() -> Strr => \"a\";\n"
        "   |           ^^^^ did you mean `Str`?\n"
        "\n"
        "multi.doo:6:12: error[E0101]: unknown name `nope`\n"
        " 6 |     return nope;\n"
        "   |            ^^^^\n"
        "\n"
        "doo: 2 errors\n")

    j = doo("check", "--json", "multi.doo", cwd=tmp_path)
    no_traceback(j)
    assert j.returncode == 1
    rows = [json.loads(line) for line in j.stdout.splitlines() if line.strip()]
    assert [(r["severity"], r["code"], r["file"], r["line"], r["col"], r["end_line"],
             r["end_col"]) for r in rows] == [
        ("error", "E0102", "multi.doo", 3, 11, 3, 15),
        ("error", "E0101", "multi.doo", 6, 12, 6, 16)]
    assert rows[0]["message"] == "unknown type `Strr`"
    assert rows[0]["hint"] == "did you mean `Str`?"


@pytest.mark.parametrize("name, source, expected", [CASES[0], CASES[6], CASES[9]],
                         ids=[CASES[0][0], CASES[6][0], CASES[9][0]])
def test_check_json_prints_one_line_per_diagnostic(tmp_path, name, source, expected):
    (tmp_path / f"{name}.doo").write_text(source, encoding="utf-8")
    p = doo("check", "--json", f"{name}.doo", cwd=tmp_path)
    no_traceback(p)
    assert p.returncode == 1
    lines = p.stdout.splitlines()
    assert len(lines) == 1, p.stdout
    row = json.loads(lines[0])
    header = expected.splitlines()[0]  # "file:line:col: error[CODE]: message"
    where, _, rest = header.partition(": error[")
    file, line, col = where.rsplit(":", 2)
    code, _, message = rest.partition("]: ")
    assert (row["file"], row["line"], row["col"], row["code"], row["message"]) == (
        file, int(line), int(col), code, message)
    caret = expected.splitlines()[2]
    assert row["end_col"] - row["col"] == caret.count("^")


@pytest.mark.parametrize("example", ["hello", "handlers"])
def test_check_accepts_the_examples(example):
    p = doo("check", f"examples/{example}", cwd=REPO)
    no_traceback(p)
    assert p.returncode == 0, p.stderr
    assert p.stderr == "doo: no problems found\n"
    j = doo("check", "--json", f"examples/{example}", cwd=REPO)
    assert (j.returncode, j.stdout) == (0, "")


def test_build_of_a_bad_program_exits_1_without_a_binary(tmp_path):
    name, source, expected = CASES[9]
    (tmp_path / "bad.doo").write_text(source, encoding="utf-8")
    p = doo("build", "bad.doo", "-o", "out", cwd=tmp_path)
    no_traceback(p)
    assert p.returncode == 1, p
    assert expected.replace(f"{name}.doo", "bad.doo") in p.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("args, message", [
    (["nosuchcmd"], "invalid choice: 'nosuchcmd'"),
    (["check", "/nonexistent"], "no such file or folder: /nonexistent"),
    ([], "required"),
    (["check"], "has no main.doo"),  # run in an empty folder
    (["check", "notes.txt"], "notes.txt"),
])
def test_usage_errors_exit_2(tmp_path, args, message):
    (tmp_path / "notes.txt").write_text("x", encoding="utf-8")
    p = doo(*args, cwd=tmp_path)
    no_traceback(p)
    assert p.returncode == 2, p
    assert message in p.stderr, p.stderr
