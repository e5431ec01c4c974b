"""Tests for doo.frontend.parser: AST shapes, precedence, strings, and every syntax error's
rendered diagnostic (header, source line and caret)."""

from __future__ import annotations

import dataclasses
import random
import time

import pytest

from doo.diagnostics import Diagnostic, Span, render
from doo.frontend import ast
from doo.frontend.parser import parse_module

HELLO = """\
import std::Http::Server;
struct Message { message: Str }
fn jsonHandler() -> Message {
    return Message { message: "Hello, World!" };
}
fn plainHandler() -> Str {
    return "hello";
}
fn main() {
    let app = Server::new(":3000");
    app.get("/plaintext", plainHandler);
    app.get("/json", jsonHandler);
    app.start();
}
"""

TOUR = '''\
import std::Database::{DatabaseError};
import Models::{Task, Priority, Status};
enum Priority { Low, Medium, High }
struct User {
    id: Int @primary @auto,                 // comment
    Email: Str @email @unique,
    Password: Str @hash @min(8) @max(20),
    Role: Str @default("user"),
    Priority: Priority @default(Priority::Medium),
    Notes: Str?,
    Tags: [Str],
}
fn Task.IsDone(self) -> Bool => self.Status == Status::Done;
fn GetUrgent() -> [Task] ! DatabaseError {
    let db = Database::get()?;
    let result: [Task] = db.rawWithParams(
        "SELECT * FROM tasks WHERE priority = $1 AND status != $2",
        [Priority::High, Status::Done]
    )?;
    Ok result;
}
fn parseNumber(s: Str) -> Int ! Str { if s == "42" { Ok 42; } Err "invalid number"; }
fn main() {
    let r1, e1 = doubleNumber("42");
    if e1 != nil { print("Error:", e1); } else { print("Doubled:", r1); }
    let mut i: Int = 0; i++; i--; i += 2;
    for { if count >= 5 { break; } count++; }
    for i, num in nums { print("  Index:", i, "Value:", num); }
    for i in 0..=3 { } for i in 0..n { } for x < 10 { x += 1; }
    let name = match color { Color::Red => "red", Color::Green | Color::Blue => "other", _ => "unknown", };
    match c2 { Color::Red => print("It's red"), _ => { print("x"); } }
    let s = "id=${task.id} and ${a + b}"; let t = """
        indented
          text
        """;
    let v = f() ?? panic("msg"); let w = x as Float; let k = -7; let z = !done && (a || b);
    let big = if a > b { a } else { b };
    app.ratelimit({ max: 100, window: 60 });
    app.get("/me/tasks", Jwt(), MyTasks);
    let t = Task { Title: "x", Done: false };
    xs[0] = 3; task.Title = "y";
    const MaxTitle = 200;
}
'''


# ---------------------------------------------------------------- helpers


def sx(node: object) -> str:
    """A compact s-expression of an AST (spans left out) to compare shapes in one line."""
    if isinstance(node, list):
        return "[" + " ".join(sx(x) for x in node) + "]"
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        names = [f.name for f in dataclasses.fields(node)
                 if f.name not in ("span", "name_span", "name_spans")]
        return "(" + type(node).__name__ + "".join(" " + sx(getattr(node, n)) for n in names) + ")"
    return repr(node)


def ok(src: str) -> ast.Module:
    module, diags = parse_module(src, "t.doo")
    assert diags == [], [render(d, {"t.doo": src}) for d in diags]
    return module


def body(src: str) -> list[ast.Stmt]:
    """The statements of `fn f() { src }`."""
    fn = ok("fn f() {\n" + src + "\n}\n").decls[0]
    assert isinstance(fn, ast.Fn) and isinstance(fn.body, ast.Block)
    return fn.body.stmts


def expr(src: str) -> str:
    """The s-expression of `let x = src;`."""
    (let,) = body(f"let x = {src};")
    assert isinstance(let, ast.Let)
    return sx(let.value)


def errors(src: str) -> str:
    """All diagnostics of `src`, rendered as the user sees them."""
    _, diags = parse_module(src, "t.doo")
    return "\n".join(render(d, {"t.doo": src}) for d in diags)


def text_at(src: str, span: Span) -> str:
    """The source text a single-line span covers."""
    assert span.line == span.end_line
    return src.splitlines()[span.line - 1][span.col - 1:span.end_col - 1]


# ---------------------------------------------------------------- the examples


def test_hello_example_parses_to_the_expected_declarations() -> None:
    m = ok(HELLO)
    assert [type(d).__name__ for d in m.decls] == ["Import", "Struct", "Fn", "Fn", "Fn"]
    assert sx(m.decls[0]) == "(Import ['std' 'Http' 'Server'] None None)"
    assert sx(m.decls[1]) == "(Struct 'Message' [(StructField 'message' (TypeName 'Str') [])])"
    assert sx(m.decls[2]) == (
        "(Fn 'jsonHandler' None [] (TypeName 'Message') None (Block [(Return (StructLit "
        "'Message' [(FieldInit 'message' (StrLit 'Hello, World!'))]))]))")
    main = m.decls[4]
    assert isinstance(main, ast.Fn) and isinstance(main.body, ast.Block)
    assert [sx(s) for s in main.body.stmts] == [
        "(Let ['app'] False None (Call (Path ['Server' 'new']) [(StrLit ':3000')]))",
        ("(ExprStmt (Call (Field (Name 'app') 'get') [(StrLit '/plaintext') "
         "(Name 'plainHandler')]))"),
        "(ExprStmt (Call (Field (Name 'app') 'get') [(StrLit '/json') (Name 'jsonHandler')]))",
        "(ExprStmt (Call (Field (Name 'app') 'start') []))",
    ]


def test_tour_example_declarations() -> None:
    m = ok(TOUR)
    d = m.decls
    assert sx(d[0]) == "(Import ['std' 'Database'] [(ImportItem 'DatabaseError' None)] None)"
    assert sx(d[1]) == ("(Import ['Models'] [(ImportItem 'Task' None) (ImportItem 'Priority' None)"
                        " (ImportItem 'Status' None)] None)")
    assert sx(d[2]) == "(Enum 'Priority' [(Variant 'Low') (Variant 'Medium') (Variant 'High')])"
    assert sx(d[3]) == (
        "(Struct 'User' [(StructField 'id' (TypeName 'Int') [(Decorator 'primary' []) "
        "(Decorator 'auto' [])]) (StructField 'Email' (TypeName 'Str') [(Decorator 'email' []) "
        "(Decorator 'unique' [])]) (StructField 'Password' (TypeName 'Str') [(Decorator 'hash' "
        "[]) (Decorator 'min' [(IntLit 8)]) (Decorator 'max' [(IntLit 20)])]) (StructField "
        "'Role' (TypeName 'Str') [(Decorator 'default' [(StrLit 'user')])]) (StructField "
        "'Priority' (TypeName 'Priority') [(Decorator 'default' [(Path ['Priority' 'Medium'])])])"
        " (StructField 'Notes' (OptionalType (TypeName 'Str')) []) (StructField 'Tags' "
        "(ArrayType (TypeName 'Str')) [])])")
    assert sx(d[4]) == (
        "(Fn 'IsDone' 'Task' [(Param 'self' None)] (TypeName 'Bool') None (Binary '==' (Field "
        "(Name 'self') 'Status') (Path ['Status' 'Done'])))")
    assert sx(d[5]) == (
        "(Fn 'GetUrgent' None [] (ArrayType (TypeName 'Task')) (TypeName 'DatabaseError') (Block "
        "[(Let ['db'] False None (Try (Call (Path ['Database' 'get']) []))) (Let ['result'] False "
        "(ArrayType (TypeName 'Task')) (Try (Call (Field (Name 'db') 'rawWithParams') [(StrLit "
        "'SELECT * FROM tasks WHERE priority = $1 AND status != $2') (ArrayLit [(Path ['Priority'"
        " 'High']) (Path ['Status' 'Done'])])]))) (OkStmt (Name 'result'))]))")
    assert sx(d[6]) == (
        "(Fn 'parseNumber' None [(Param 's' (TypeName 'Str'))] (TypeName 'Int') (TypeName 'Str') "
        "(Block [(ExprStmt (IfExpr (Binary '==' (Name 's') (StrLit '42')) (Block [(OkStmt (IntLit"
        " 42))]) None)) (ErrStmt (StrLit 'invalid number'))]))")


def test_tour_example_main_statements() -> None:
    main = ok(TOUR).decls[7]
    assert isinstance(main, ast.Fn) and isinstance(main.body, ast.Block)
    assert [sx(s) for s in main.body.stmts] == [
        "(Let ['r1' 'e1'] False None (Call (Name 'doubleNumber') [(StrLit '42')]))",
        ("(ExprStmt (IfExpr (Binary '!=' (Name 'e1') (NilLit)) (Block [(ExprStmt (Call (Name "
        "'print') [(StrLit 'Error:') (Name 'e1')]))]) (Block [(ExprStmt (Call (Name 'print') "
        "[(StrLit 'Doubled:') (Name 'r1')]))])))"),
        "(Let ['i'] True (TypeName 'Int') (IntLit 0))",
        "(IncDec (Name 'i') '++')",
        "(IncDec (Name 'i') '--')",
        "(Assign (Name 'i') '+=' (IntLit 2))",
        ("(ForCond None (Block [(ExprStmt (IfExpr (Binary '>=' (Name 'count') (IntLit 5)) (Block "
        "[(Break)]) None)) (IncDec (Name 'count') '++')]))"),
        ("(ForIn 'num' 'i' (Name 'nums') (Block [(ExprStmt (Call (Name 'print') [(StrLit '  "
        "Index:') (Name 'i') (StrLit 'Value:') (Name 'num')]))]))"),
        "(ForIn 'i' None (Range (IntLit 0) (IntLit 3) True) (Block []))",
        "(ForIn 'i' None (Range (IntLit 0) (Name 'n') False) (Block []))",
        ("(ForCond (Binary '<' (Name 'x') (IntLit 10)) (Block [(Assign (Name 'x') '+=' (IntLit "
        "1))]))"),
        ("(Let ['name'] False None (Match (Name 'color') [(MatchArm [(ValuePat (Path ['Color' "
        "'Red']))] (StrLit 'red')) (MatchArm [(ValuePat (Path ['Color' 'Green'])) (ValuePat "
        "(Path ['Color' 'Blue']))] (StrLit 'other')) (MatchArm [(WildcardPat)] (StrLit "
        "'unknown'))]))"),
        ("(ExprStmt (Match (Name 'c2') [(MatchArm [(ValuePat (Path ['Color' 'Red']))] (Call (Name"
        " 'print') [(StrLit \"It's red\")])) (MatchArm [(WildcardPat)] (Block [(ExprStmt (Call "
        "(Name 'print') [(StrLit 'x')]))]))]))"),
        ("(Let ['s'] False None (InterpStr ['id=' (Field (Name 'task') 'id') ' and ' (Binary '+' "
        "(Name 'a') (Name 'b'))]))"),
        "(Let ['t'] False None (StrLit 'indented\\n  text'))",
        ("(Let ['v'] False None (Coalesce (Call (Name 'f') []) (Call (Name 'panic') [(StrLit "
        "'msg')])))"),
        "(Let ['w'] False None (Cast (Name 'x') (TypeName 'Float')))",
        "(Let ['k'] False None (Unary '-' (IntLit 7)))",
        ("(Let ['z'] False None (Binary '&&' (Unary '!' (Name 'done')) (Binary '||' (Name 'a') "
        "(Name 'b'))))"),
        ("(Let ['big'] False None (IfExpr (Binary '>' (Name 'a') (Name 'b')) (Block [(ExprStmt "
        "(Name 'a'))]) (Block [(ExprStmt (Name 'b'))])))"),
        ("(ExprStmt (Call (Field (Name 'app') 'ratelimit') [(ObjectLit [(FieldInit 'max' (IntLit "
        "100)) (FieldInit 'window' (IntLit 60))])]))"),
        ("(ExprStmt (Call (Field (Name 'app') 'get') [(StrLit '/me/tasks') (Call (Name 'Jwt') [])"
        " (Name 'MyTasks')]))"),
        ("(Let ['t'] False None (StructLit 'Task' [(FieldInit 'Title' (StrLit 'x')) (FieldInit "
        "'Done' (BoolLit False))]))"),
        "(Assign (Index (Name 'xs') (IntLit 0)) '=' (IntLit 3))",
        "(Assign (Field (Name 'task') 'Title') '=' (StrLit 'y'))",
        "(Let ['MaxTitle'] False None (IntLit 200))",
    ]


def test_parsing_the_tour_takes_well_under_50_ms() -> None:
    parse_module(TOUR, "t.doo")  # builds the parser
    times = []
    for _ in range(5):
        start = time.perf_counter()
        parse_module(TOUR, "t.doo")
        times.append(time.perf_counter() - start)
    assert sorted(times)[2] < 0.05


# ---------------------------------------------------------------- spans


def test_name_spans_point_at_the_name_only() -> None:
    m = ok(TOUR)
    src = TOUR
    user = m.decls[3]
    assert isinstance(user, ast.Struct)
    assert text_at(src, user.name_span) == "User"
    assert text_at(src, user.fields[1].span) == "Email"
    assert text_at(src, user.fields[2].decorators[1].span) == "@min(8)"
    is_done = m.decls[4]
    assert isinstance(is_done, ast.Fn)
    assert text_at(src, is_done.name_span) == "IsDone"
    assert text_at(src, is_done.span) == src.splitlines()[12]
    main = m.decls[7]
    assert isinstance(main, ast.Fn) and isinstance(main.body, ast.Block)
    let = main.body.stmts[0]
    assert isinstance(let, ast.Let)
    assert [text_at(src, s) for s in let.name_spans] == ["r1", "e1"]
    task = main.body.stmts[22]
    assert isinstance(task, ast.Let) and isinstance(task.value, ast.StructLit)
    assert text_at(src, task.value.name_span) == "Task"
    assert text_at(src, task.value.fields[1].span) == "Done"
    assert text_at(src, task.value.span) == 'Task { Title: "x", Done: false }'
    assign = main.body.stmts[24]
    assert isinstance(assign, ast.Assign) and isinstance(assign.target, ast.Field)
    assert text_at(src, assign.target.name_span) == "Title"
    assert text_at(src, assign.span) == 'task.Title = "y";'


def test_spans_of_multiline_nodes_are_end_exclusive() -> None:
    fn = ok("fn f() {\n  x;\n}\n").decls[0]
    assert isinstance(fn, ast.Fn) and isinstance(fn.body, ast.Block)
    assert fn.span == Span("t.doo", 1, 1, 3, 2)
    assert fn.body.span == Span("t.doo", 1, 8, 3, 2)


def test_columns_count_characters_after_unicode_in_strings() -> None:
    src = 'fn f() { let s = "héllo 😀"; let y = zz; }'
    fn = ok(src).decls[0]
    assert isinstance(fn, ast.Fn) and isinstance(fn.body, ast.Block)
    second = fn.body.stmts[1]
    assert isinstance(second, ast.Let)
    assert text_at(src, second.value.span) == "zz"
    assert second.value.span.col == src.index("zz") + 1


# ---------------------------------------------------------------- expressions


@pytest.mark.parametrize("src, shape", [
    ("a ?? b || c", "(Coalesce (Name 'a') (Binary '||' (Name 'b') (Name 'c')))"),
    ("a || b && c", "(Binary '||' (Name 'a') (Binary '&&' (Name 'b') (Name 'c')))"),
    ("a && b == c", "(Binary '&&' (Name 'a') (Binary '==' (Name 'b') (Name 'c')))"),
    ("a != b < c", "(Binary '!=' (Name 'a') (Binary '<' (Name 'b') (Name 'c')))"),
    ("a <= b + c", "(Binary '<=' (Name 'a') (Binary '+' (Name 'b') (Name 'c')))"),
    ("a - b * c", "(Binary '-' (Name 'a') (Binary '*' (Name 'b') (Name 'c')))"),
    ("a % b / c", "(Binary '/' (Binary '%' (Name 'a') (Name 'b')) (Name 'c'))"),
    ("a - b - c", "(Binary '-' (Binary '-' (Name 'a') (Name 'b')) (Name 'c'))"),
    ("a ?? b ?? c", "(Coalesce (Coalesce (Name 'a') (Name 'b')) (Name 'c'))"),
    ("-a * b", "(Binary '*' (Unary '-' (Name 'a')) (Name 'b'))"),
    ("!a.b()", "(Unary '!' (Call (Field (Name 'a') 'b') []))"),
    ("-x as Float", "(Unary '-' (Cast (Name 'x') (TypeName 'Float')))"),
    ("f(1)?.g[2]", "(Index (Field (Try (Call (Name 'f') [(IntLit 1)])) 'g') (IntLit 2))"),
    ("x as Int?", "(Try (Cast (Name 'x') (TypeName 'Int')))"),
    ("x as [Str]", "(Cast (Name 'x') (ArrayType (TypeName 'Str')))"),
    ("(a + b) * c", "(Binary '*' (Binary '+' (Name 'a') (Name 'b')) (Name 'c'))"),
    ("f(a, b,)", "(Call (Name 'f') [(Name 'a') (Name 'b')])"),
    ("[]", "(ArrayLit [])"),
    ("[1, 2.5, 1e-3]", "(ArrayLit [(IntLit 1) (FloatLit 2.5) (FloatLit 0.001)])"),
    ("true || nil == false", "(Binary '||' (BoolLit True) (Binary '==' (NilLit) (BoolLit False)))"),
    ("a::b::c", "(Path ['a' 'b' 'c'])"),
    ("if a { 1 } else if b { 2 } else { 3 }",
     ("(IfExpr (Name 'a') (Block [(ExprStmt (IntLit 1))]) (IfExpr (Name 'b') (Block [(ExprStmt "
     "(IntLit 2))]) (Block [(ExprStmt (IntLit 3))])))")),
    ("match n { 1 | -2 => \"a\", \"s\" => { b }, true => c, Max => d }",
     ("(Match (Name 'n') [(MatchArm [(ValuePat (IntLit 1)) (ValuePat (IntLit -2))] (StrLit 'a')) "
     "(MatchArm [(ValuePat (StrLit 's'))] (Block [(ExprStmt (Name 'b'))])) (MatchArm [(ValuePat "
     "(BoolLit True))] (Name 'c')) (MatchArm [(ValuePat (Name 'Max'))] (Name 'd'))])")),
])
def test_precedence_and_postfix(src: str, shape: str) -> None:
    assert expr(src) == shape


def test_int64_minimum_is_one_literal_under_unary_minus() -> None:
    assert expr("-9223372036854775808") == "(IntLit -9223372036854775808)"
    assert expr("9223372036854775807") == "(IntLit 9223372036854775807)"


# ---------------------------------------------------------------- struct literal vs block


def test_uppercase_name_before_a_block_is_not_a_struct_literal() -> None:
    stmts = body("if x < MaxTitle { return 1; }\nfor t in Tasks { t.x(); }\n"
                 "if a == B {} else {}\nif ok == Done { Foo::bar(); }")
    assert [sx(s) for s in stmts] == [
        ("(ExprStmt (IfExpr (Binary '<' (Name 'x') (Name 'MaxTitle')) (Block [(Return (IntLit 1))"
        "]) None))"),
        "(ForIn 't' None (Name 'Tasks') (Block [(ExprStmt (Call (Field (Name 't') 'x') []))]))",
        "(ExprStmt (IfExpr (Binary '==' (Name 'a') (Name 'B')) (Block []) (Block [])))",
        ("(ExprStmt (IfExpr (Binary '==' (Name 'ok') (Name 'Done')) (Block [(ExprStmt (Call (Path"
        " ['Foo' 'bar']) []))]) None))"),
    ]


def test_struct_literals_in_expression_positions() -> None:
    assert expr("Task {}") == "(StructLit 'Task' [])"
    assert expr("f(Task { a: 1 }, [P {\n b: x,\n}])") == (
        "(Call (Name 'f') [(StructLit 'Task' [(FieldInit 'a' (IntLit 1))]) (ArrayLit [(StructLit "
        "'P' [(FieldInit 'b' (Name 'x'))])])])")
    assert sx(body("if t == Task { a: 1 } { }")[0]) == (
        "(ExprStmt (IfExpr (Binary '==' (Name 't') (StructLit 'Task' [(FieldInit 'a' (IntLit 1))]"
        ")) (Block []) None))")


def test_struct_literal_may_have_line_comments_before_its_first_field() -> None:
    assert expr("Task { // why\n  // more\n  Title: 1 }") == \
        "(StructLit 'Task' [(FieldInit 'Title' (IntLit 1))])"


def test_object_literal_and_block_statement() -> None:
    assert [sx(s) for s in body("{ x; }\n{}\nf({ a: 1, });")] == [
        "(Block [(ExprStmt (Name 'x'))])",
        "(Block [])",
        "(ExprStmt (Call (Name 'f') [(ObjectLit [(FieldInit 'a' (IntLit 1))])]))",
    ]


# ---------------------------------------------------------------- statements and declarations


def test_block_like_statements_need_no_semicolon_but_accept_one() -> None:
    stmts = body("if a { } ; match b { _ => 1 } x; for { } ; y")
    assert [type(s).__name__ for s in stmts] == ["ExprStmt", "ExprStmt", "ExprStmt", "ForCond",
                                                 "ExprStmt"]


def test_statement_forms() -> None:
    assert [sx(s) for s in body("return; return x; continue; a[i] -= 1; s.n *= 2; x /= 3; "
                                "x %= 4; let a: Int? = nil;")] == [
        "(Return None)", "(Return (Name 'x'))", "(Continue)",
        "(Assign (Index (Name 'a') (Name 'i')) '-=' (IntLit 1))",
        "(Assign (Field (Name 's') 'n') '*=' (IntLit 2))",
        "(Assign (Name 'x') '/=' (IntLit 3))",
        "(Assign (Name 'x') '%=' (IntLit 4))",
        "(Let ['a'] False (OptionalType (TypeName 'Int')) (NilLit))",
    ]


def test_declaration_forms() -> None:
    m = ok("import a::b as c;\nimport x::{Y as Z, W,};\nimport models;\nconst Max: Int = 5;\n"
           "enum E {}\nstruct S {}\nfn g(a: Int, b: [Str],) -> [Int?]? { }\n;")
    assert [sx(d) for d in m.decls] == [
        "(Import ['a' 'b'] None 'c')",
        "(Import ['x'] [(ImportItem 'Y' 'Z') (ImportItem 'W' None)] None)",
        "(Import ['models'] None None)",
        "(Const 'Max' (TypeName 'Int') (IntLit 5))",
        "(Enum 'E' [])",
        "(Struct 'S' [])",
        ("(Fn 'g' None [(Param 'a' (TypeName 'Int')) (Param 'b' (ArrayType (TypeName 'Str')))] "
        "(OptionalType (ArrayType (OptionalType (TypeName 'Int')))) None (Block []))"),
    ]


def test_empty_file_and_comment_only_file() -> None:
    assert ok("").decls == []
    assert ok("// nothing\n/* still /* nothing */ */\n").decls == []


def test_comments_nest_and_do_not_start_inside_strings() -> None:
    stmts = body("/* a /* b */ still comment */ let s = \"// not /* a comment\"; // end\n"
                 "let t = 1 /* x */ + /**/ 2;")
    assert [sx(s) for s in stmts] == [
        "(Let ['s'] False None (StrLit '// not /* a comment'))",
        "(Let ['t'] False None (Binary '+' (IntLit 1) (IntLit 2)))",
    ]


def test_crlf_line_ends() -> None:
    src = "fn f() {\r\n  break; let x = true;\r\n  return;\r\n}\r\n"
    fn = ok(src).decls[0]
    assert isinstance(fn, ast.Fn) and isinstance(fn.body, ast.Block)
    assert [s.span for s in fn.body.stmts] == [Span("t.doo", 2, 3, 2, 9),
                                              Span("t.doo", 2, 10, 2, 23),
                                              Span("t.doo", 3, 3, 3, 10)]


def test_byte_order_mark_is_ignored() -> None:
    assert sx(ok("\ufeffconst A = 1;").decls[0]) == "(Const 'A' None (IntLit 1))"


# ---------------------------------------------------------------- strings


def test_escapes_are_decoded() -> None:
    assert expr(r'"a\nb\rc\td\\e\"f\0g\$h\u{1F600}\u{e9}"') == \
        "(StrLit " + repr("a\nb\rc\td\\e\"f\0g$h\U0001F600\xe9") + ")"


def test_dollar_without_brace_and_escaped_interpolation_are_text() -> None:
    assert expr(r'"cost $5 \${x}"') == "(StrLit 'cost $5 ${x}')"


def test_interpolation_parts_and_nested_strings() -> None:
    assert expr('"${a}${b.c(\"x\")} end ${ {k: 1} }"') == (
        "(InterpStr [(Name 'a') (Call (Field (Name 'b') 'c') [(StrLit 'x')]) ' end ' (ObjectLit "
        "[(FieldInit 'k' (IntLit 1))])])")


def test_interpolation_may_contain_strings_with_braces_and_interpolations() -> None:
    assert expr('"${f("}")}"') == "(InterpStr [(Call (Name 'f') [(StrLit '}')])])"
    assert expr('"<${ "a${b}" }>"') == "(InterpStr ['<' (InterpStr ['a' (Name 'b')]) '>'])"


def test_interpolated_expressions_have_file_spans() -> None:
    src = 'fn f() {\n  let s = "é ${ foo(bar) }!";\n}\n'
    fn = ok(src).decls[0]
    assert isinstance(fn, ast.Fn) and isinstance(fn.body, ast.Block)
    let = fn.body.stmts[0]
    assert isinstance(let, ast.Let) and isinstance(let.value, ast.InterpStr)
    call = let.value.parts[1]
    assert isinstance(call, ast.Call)
    assert text_at(src, call.span) == "foo(bar)"
    assert text_at(src, call.args[0].span) == "bar"


def test_triple_quoted_strings_strip_common_indentation() -> None:
    src = 'let t = """\n        a ${x}\n          b\\tc\n\n        d\n        """;'
    (let,) = body(src)
    assert isinstance(let, ast.Let)
    assert sx(let.value) == "(InterpStr ['a ' (Name 'x') '\\n  b\\tc\\n\\nd'])"
    assert expr('"""one\n   two"""') == "(StrLit 'one\\ntwo')"
    assert expr('""""""') == "(StrLit '')"
    assert expr('"""\n  say "hi"\n  """') == "(StrLit 'say \"hi\"')"
    assert expr('"""\r\n    a\r\n      b\r\n    """') == "(StrLit 'a\\n  b')"


def test_triple_quoted_interpolation_points_at_the_original_text() -> None:
    src = 'fn f() {\n    let t = """\n        a ${zz}\n        """;\n}\n'
    fn = ok(src).decls[0]
    assert isinstance(fn, ast.Fn) and isinstance(fn.body, ast.Block)
    let = fn.body.stmts[0]
    assert isinstance(let, ast.Let) and isinstance(let.value, ast.InterpStr)
    name = let.value.parts[1]
    assert isinstance(name, ast.Name)
    assert name.span == Span("t.doo", 3, 13, 3, 15)


# ---------------------------------------------------------------- diagnostics, as rendered


SYNTAX_ERRORS = [
    ("fn main() {\n    let x = 1\n    let y = 2;\n}\n",
     ("t.doo:2:14: error[E0001]: expected `;` after statement\n"
     " 2 |     let x = 1\n"
     "   |              ^ found keyword `let`")),
    ("fn main() { return 1 }\n",
     ("t.doo:1:21: error[E0001]: expected `;` after statement\n"
     " 1 | fn main() { return 1 }\n"
     "   |                     ^ found `}`")),
    ("fn main() { x y; }\n",
     ("t.doo:1:14: error[E0001]: expected `;` after statement\n"
     " 1 | fn main() { x y; }\n"
     "   |              ^ found name `y`")),
    ("import std::Http::Server\nfn main() {}\n",
     ("t.doo:1:25: error[E0001]: expected `;` after import\n"
     " 1 | import std::Http::Server\n"
     "   |                         ^ found keyword `fn`")),
    ("const X = 1\n",
     ("t.doo:1:12: error[E0001]: expected `;` after constant\n"
     " 1 | const X = 1\n"
     "   |            ^ found end of file")),
    ("fn f() -> Int => 1\nfn g() {}\n",
     ("t.doo:1:19: error[E0001]: expected `;` after function body\n"
     " 1 | fn f() -> Int => 1\n"
     "   |                   ^ found keyword `fn`")),
    ("fn main() {}\n}\n",
     ("t.doo:2:1: error[E0001]: unexpected `}`\n"
     " 2 | }\n"
     "   | ^ expected `fn`, `struct`, `enum`, `const` or `import`")),
    ("let x = 1;\n",
     ("t.doo:1:1: error[E0001]: unexpected keyword `let`\n"
     " 1 | let x = 1;\n"
     "   | ^^^ expected `fn`, `struct`, `enum`, `const` or `import`")),
    ("fn main() {\n",
     ("t.doo:1:12: error[E0001]: expected a statement or `}`, found end of file\n"
     " 1 | fn main() {\n"
     "   |            ^")),
    ("fn main() {\n    foo(1, 2;\n}\n",
     ("t.doo:2:13: error[E0001]: expected `)` or `,`, found `;`\n"
     " 2 |     foo(1, 2;\n"
     "   |             ^")),
    ("fn main() { let x = [1, 2; }\n",
     ("t.doo:1:26: error[E0001]: expected `]` or `,`, found `;`\n"
     " 1 | fn main() { let x = [1, 2; }\n"
     "   |                          ^")),
    ("fn main() { let x = ; }\n",
     ("t.doo:1:21: error[E0001]: expected an expression, found `;`\n"
     " 1 | fn main() { let x = ; }\n"
     "   |                     ^")),
    ("fn main() { f(); ) }\n",
     ("t.doo:1:18: error[E0001]: expected a statement or `}`, found `)`\n"
     " 1 | fn main() { f(); ) }\n"
     "   |                  ^")),
    ("fn main() { let let = 1; }\n",
     ("t.doo:1:17: error[E0001]: expected a name or `mut`, found keyword `let`\n"
     " 1 | fn main() { let let = 1; }\n"
     "   |                 ^^^")),
    ("struct A { x: }\n",
     ("t.doo:1:15: error[E0001]: expected a type, found `}`\n"
     " 1 | struct A { x: }\n"
     "   |               ^")),
    ("enum E { A B }\n",
     ("t.doo:1:12: error[E0001]: expected `}` or `,`, found name `B`\n"
     " 1 | enum E { A B }\n"
     "   |            ^")),
    ("fn main() { if x { } else }\n",
     ("t.doo:1:27: error[E0001]: expected `{` or `if`, found `}`\n"
     " 1 | fn main() { if x { } else }\n"
     "   |                           ^")),
    ("fn main() { match x { A => 1 B => 2 } }\n",
     ("t.doo:1:30: error[E0001]: expected `}` or `,`, found name `B`\n"
     " 1 | fn main() { match x { A => 1 B => 2 } }\n"
     "   |                              ^")),
    ("fn main() { let s = \"${a +}\"; }\n",
     ("t.doo:1:27: error[E0001]: expected an expression, found the end of the interpolation\n"
     " 1 | fn main() { let s = \"${a +}\"; }\n"
     "   |                           ^")),
    ("fn main() { let s = \"é ${}\"; }\n",
     ("t.doo:1:24: error[E0001]: empty interpolation `${}`\n"
     " 1 | fn main() { let s = \"é ${}\"; }\n"
     "   |                        ^^^ put an expression between the braces")),
]


@pytest.mark.parametrize("src, rendered", SYNTAX_ERRORS)
def test_syntax_error_is_one_clear_diagnostic(src: str, rendered: str) -> None:
    assert errors(src) == rendered


LEXICAL_ERRORS = [
    ("fn main() { let s = \"abc;\n}\n",
     ("t.doo:1:21: error[E0002]: unterminated string\n"
     " 1 | fn main() { let s = \"abc;\n"
     "   |                     ^^^^^ strings end on their line; "
     "use \"\"\"…\"\"\" for several lines")),
    ("fn main() { let s = \"\"\"abc; }\n",
     ("t.doo:1:21: error[E0002]: unterminated triple-quoted string\n"
     " 1 | fn main() { let s = \"\"\"abc; }\n"
     "   |                     ^^^ no closing `\"\"\"`")),
    ("fn main() { let s = \"a\\qb\"; }\n",
     ("t.doo:1:23: error[E0002]: unknown escape `\\q`\n"
     " 1 | fn main() { let s = \"a\\qb\"; }\n"
     "   |                       ^^ valid escapes: \\n \\r \\t \\\\ \\\" \\0 \\$ \\u{…}")),
    ("fn main() { let s = \"\\u{110000}\"; }\n",
     ("t.doo:1:22: error[E0002]: invalid unicode escape\n"
     " 1 | fn main() { let s = \"\\u{110000}\"; }\n"
     "   |                      ^^^^^^^^^^ write `\\u{1F600}`: 1 to 6 hex digits, at most 10FFFF")),
    ("fn main() { let x = 1 # 2; }\n",
     ("t.doo:1:23: error[E0002]: invalid character `#`\n"
     " 1 | fn main() { let x = 1 # 2; }\n"
     "   |                       ^")),
    ("fn main() { let x =\u00a01; }\n",
     ("t.doo:1:20: error[E0002]: invalid character U+00A0\n"
     " 1 | fn main() { let x =\u00a01; }\n"
     "   |                    ^")),
    ("/* open /* nested */\nfn main() {}\n",
     ("t.doo:1:1: error[E0002]: unterminated block comment\n"
     " 1 | /* open /* nested */\n"
     "   | ^^ `/*` has no matching `*/`")),
    ("fn main() { let n = 9223372036854775808; }\n",
     ("t.doo:1:21: error[E0005]: integer literal `9223372036854775808` is out of range for Int\n"
     " 1 | fn main() { let n = 9223372036854775808; }\n"
     "   |                     ^^^^^^^^^^^^^^^^^^^ the largest Int is 9223372036854775807")),
    ("fn main() { let n = -99999999999999999999; }\n",
     ("t.doo:1:22: error[E0005]: integer literal `99999999999999999999` is out of range for Int\n"
     " 1 | fn main() { let n = -99999999999999999999; }\n"
     "   |                      ^^^^^^^^^^^^^^^^^^^^ the largest Int is 9223372036854775807")),
    ("fn main() { let f = 1e999; }\n",
     ("t.doo:1:21: error[E0005]: float literal `1e999` is out of range for Float\n"
     " 1 | fn main() { let f = 1e999; }\n"
     "   |                     ^^^^^")),
]


@pytest.mark.parametrize("src, rendered", LEXICAL_ERRORS)
def test_lexical_error_is_one_clear_diagnostic(src: str, rendered: str) -> None:
    assert errors(src) == rendered


def test_independent_errors_in_separate_declarations_are_all_reported() -> None:
    src = "fn a() { let = 1; }\nfn b() { let x = ; }\nfn c() {}\nstruct D { x: Int }\n"
    module, diags = parse_module(src, "t.doo")
    assert [(d.code, d.span.line, d.span.col) for d in diags] == [("E0001", 1, 14),
                                                                  ("E0001", 2, 18)]
    assert [d.name for d in module.decls if isinstance(d, (ast.Fn, ast.Struct))] == ["c", "D"]


def test_declarations_before_an_error_are_kept() -> None:
    module, diags = parse_module("struct A { x: Int }\nfn b() { ) }\n", "t.doo")
    assert len(diags) == 1
    assert [sx(d) for d in module.decls] == ["(Struct 'A' [(StructField 'x' (TypeName 'Int') [])])"]


def test_string_errors_do_not_stop_the_parse() -> None:
    module, diags = parse_module('fn a() { let s = "\\q"; }\nfn b() { let t = "\\w"; }\n',
                                 "t.doo")
    assert [(d.code, d.span.line) for d in diags] == [("E0002", 1), ("E0002", 2)]
    assert len(module.decls) == 2


def test_deep_nesting_is_a_diagnostic_not_a_crash() -> None:
    _, diags = parse_module("fn f() { let x = " + "-" * 5000 + "1; }", "t.doo")
    assert [d.message for d in diags] == ["expression nested too deeply"]


# ---------------------------------------------------------------- never raises


def _check_no_crash(src: str) -> list[Diagnostic]:
    module, diags = parse_module(src, "f.doo")
    assert isinstance(module, ast.Module)
    for d in diags:
        assert d.span.line >= 1 and d.span.col >= 1
        render(d, {"f.doo": src})
    return diags


def test_every_prefix_of_a_program_returns_diagnostics_not_exceptions() -> None:
    for i in range(len(TOUR) + 1):
        _check_no_crash(TOUR[:i])


def test_every_truncation_that_cuts_a_declaration_is_an_error() -> None:
    # Cut inside `fn main() {` … `}`: always an error, never a silent partial module.
    start = TOUR.index("fn main()")
    for i in range(start + 3, len(TOUR) - 2, 7):
        assert _check_no_crash(TOUR[:i]), repr(TOUR[start:i])


def test_garbage_inputs_never_raise() -> None:
    rng = random.Random(20240501)
    pieces = ["fn", "(", ")", "{", "}", '"', '"""', "${", "let", "=", "x", "1", ";", ".", "::",
              "[", "]", "?", "??", "as", "match", "=>", "if", "else", "for", "in", "..", "/*",
              "*/", "//", "\n", "\\", "@", "Task", "Ok", "-", "!", ",", ":", "$", "é", "\t",
              "9223372036854775808", "\\u{", "\0"]
    for _ in range(400):
        _check_no_crash(bytes(rng.randrange(256) for _ in range(rng.randrange(80)))
                        .decode("latin-1"))
        _check_no_crash(" ".join(rng.choice(pieces) for _ in range(rng.randrange(40))))
        chars = list(TOUR)
        for _ in range(rng.randrange(1, 4)):
            chars.insert(rng.randrange(len(chars)), rng.choice(pieces))
        _check_no_crash("".join(chars))
