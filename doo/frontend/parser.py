"""Doo source text -> `ast.Module`, with every lexical and syntax error as a diagnostic.

Input: the text of one .doo file and the path to show in spans. Output: the module's AST and
the diagnostics found (E0001 syntax, E0002 strings/characters/comments, E0005 number range).
`parse_module` never raises on user input.

The grammar (grammar.lark) is LALR(1) with lark's contextual lexer; the `_Builder`
transformer only turns parse-tree nodes into AST nodes, one method per grammar alias. Strings
are decoded here: escapes, triple-quote dedenting, and `${expr}` interpolations, whose
expressions are parsed with the `interp` start symbol at their real position in the file.

Syntax errors: for an LALR parser the state in which an error is found is shared by every
context that reaches it, so lark's `match_examples` (which keys on that state) cannot name
errors reliably. Instead `_syntax_error` asks the parser which tokens it could really accept
next (feeding each candidate to a copy of the parser state) and phrases that in Doo terms:
"expected `;` after statement", "expected an expression, found `}`". The first syntax error of
each top-level declaration is reported; parsing resumes at the next line that starts with
`fn`, `struct`, `enum`, `const` or `import`, so independent errors are reported together
without a cascade.
"""

from __future__ import annotations

import functools
import math
import re
from copy import copy
from pathlib import Path as FsPath
from typing import Any

from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken, VisitError
from lark.lexer import PatternStr
from lark.parsers.lalr_parser_state import ParserState
from lark.tree import Meta

from doo.diagnostics import Diagnostic, Span
from doo.frontend import ast

KEYWORDS = frozenset((
    "let", "mut", "fn", "import", "as", "struct", "enum", "const", "if", "else", "for", "in",
    "return", "break", "continue", "Ok", "Err", "nil", "true", "false", "match",
))
INT_MAX = 2**63 - 1

_GRAMMAR = FsPath(__file__).with_name("grammar.lark")
_DECL_START = re.compile(r"^(?:fn|struct|enum|const|import)\b", re.MULTILINE)


class _LexError(Exception):
    """Raised from a lexer callback; carries a diagnostic without its file."""

    def __init__(self, code: str, message: str, tok: Token, hint: str = "") -> None:
        super().__init__(message)
        self.code, self.message, self.tok, self.hint = code, message, tok, hint


def _unclosed_comment(tok: Token) -> Token:
    raise _LexError("E0002", "unterminated block comment", tok, "`/*` has no matching `*/`")


def _reserved_word(tok: Token) -> Token:
    """An identifier the lexer saw where its keyword is not allowed is still the keyword."""
    kw = _KEYWORD_TERMS.get(str(tok))
    return Token.new_borrow_pos(kw, str(tok), tok) if kw else tok


_KEYWORD_TERMS: dict[str, str] = {}


@functools.cache
def _lark() -> Lark:
    """The one parser instance (building it takes ~0.1 s; parsing then takes milliseconds)."""
    parser = Lark(
        _GRAMMAR.read_text(encoding="utf-8"),
        parser="lalr",
        lexer="contextual",
        start=["start", "interp"],
        propagate_positions=True,
        maybe_placeholders=True,
        lexer_callbacks={"UNCLOSED_COMMENT": _unclosed_comment, "IDENT": _reserved_word},
    )
    for term in parser.terminals:
        if isinstance(term.pattern, PatternStr) and term.pattern.value in KEYWORDS:
            _KEYWORD_TERMS[term.pattern.value] = term.name
    return parser


# ---------------------------------------------------------------- public entry point


def parse_module(text: str, path: str) -> tuple[ast.Module, list[Diagnostic]]:
    """Parse one file. Returns the module (declarations that parsed) and all diagnostics."""
    text = text.removeprefix("\ufeff")
    diags: list[Diagnostic] = []
    module = ast.Module(path=path)
    pos = 0
    while True:
        # Blank out what came before `pos` (keeping newlines) so that lark's line and
        # column numbers are the file's.
        chunk = _blank(text[:pos]) + text[pos:]
        tree, errors, err_offset = _parse_tree(chunk, path, "start")
        if tree is not None:
            module.decls.extend(_build(tree, path, diags, "start"))
            break
        diags.extend(errors)
        # Keep the declarations before the failing one: parse that prefix on its own.
        good_end = _decl_start_before(text, pos, err_offset)
        if good_end > pos:
            prefix = _blank(text[:pos]) + text[pos:good_end]
            ptree, perrors, _ = _parse_tree(prefix, path, "start")
            if ptree is not None and not perrors:
                module.decls.extend(_build(ptree, path, diags, "start"))
        resume = _resume_point(text, pos, err_offset)
        if resume is None:
            break
        pos = resume
    return module, diags


def _blank(text: str) -> str:
    """`text` with everything but newlines turned into spaces."""
    return re.sub(r"[^\n]", " ", text)


def _decl_start_before(text: str, start: int, offset: int) -> int:
    """The offset of the last declaration start in text[start:offset] (or `start`)."""
    best = start
    for m in _DECL_START.finditer(text, start, max(start, offset)):
        best = m.start()
    return best


def _resume_point(text: str, start: int, offset: int) -> int | None:
    """Where to resume after an error at `offset`: the next declaration start on a later line."""
    nl = text.find("\n", max(start, offset))
    if nl < 0:
        return None
    m = _DECL_START.search(text, nl + 1)
    return m.start() if m else None


def _build(tree: Tree[Token], path: str, diags: list[Diagnostic], start: str) -> Any:
    builder = _Builder(path, diags)
    try:
        result = builder.transform(tree)
    except VisitError as e:
        if isinstance(e.orig_exc, RecursionError):
            diags.append(Diagnostic("E0001", "expression nested too deeply",
                                    Span.point(path, 1, 1)))
            return [] if start == "start" else None
        raise e.orig_exc from e
    except RecursionError:
        diags.append(Diagnostic("E0001", "expression nested too deeply", Span.point(path, 1, 1)))
        return [] if start == "start" else None
    builder.finish()
    return result


def _parse_tree(text: str, path: str, start: str
                ) -> tuple[Tree[Token] | None, list[Diagnostic], int]:
    """Run lark. On failure: no tree, one diagnostic, and the error's offset in `text`."""
    try:
        return _lark().parse(text, start=start), [], -1
    except _LexError as e:
        line, col = e.tok.line or 1, e.tok.column or 1
        span = Span(path, line, col, line, col + 2)  # the `/*`
        return None, [Diagnostic(e.code, e.message, span, hint=e.hint)], len(text)
    except UnexpectedCharacters as e:
        return None, [_bad_character(text, e, path)], e.pos_in_stream or 0
    except UnexpectedToken as e:
        offset = e.token.start_pos if e.token.start_pos is not None else len(text)
        if e.token.type == "$END":
            offset = len(text)
        return None, [_syntax_error(e, path, start)], offset
    except UnexpectedInput as e:  # pragma: no cover - not raised by the LALR parser
        span = Span.point(path, e.line or 1, e.column or 1)
        return None, [Diagnostic("E0001", "syntax error", span)], 0
    except RecursionError:
        return None, [Diagnostic("E0001", "program nested too deeply",
                                 Span.point(path, 1, 1))], len(text)


# ---------------------------------------------------------------- lexical errors


def _bad_character(text: str, e: UnexpectedCharacters, path: str) -> Diagnostic:
    pos, line, col = e.pos_in_stream or 0, e.line or 1, e.column or 1
    ch = text[pos]
    if ch == '"':
        line_end = text.find("\n", pos)
        line_end = len(text) if line_end < 0 else line_end
        if text.startswith('"""', pos - 2) and pos >= 2:
            span = Span(path, line, col - 2, line, col + 1)
            return Diagnostic("E0002", "unterminated triple-quoted string", span,
                              hint='no closing `"""`')
        span = Span(path, line, col, line, col + max(1, line_end - pos))
        return Diagnostic("E0002", "unterminated string", span,
                          hint='strings end on their line; use """…""" for several lines')
    shown = f"`{ch}`" if ch.isprintable() and not ch.isspace() else f"U+{ord(ch):04X}"
    return Diagnostic("E0002", f"invalid character {shown}",
                      Span(path, line, col, line, col + 1))


# ---------------------------------------------------------------- syntax errors

_NAMES: dict[str, str] = {
    "IDENT": "a name", "STRUCT_NAME": "a name", "INT": "a number", "FLOAT": "a number",
    "STRING": "a string", "TRIPLE_STRING": "a string", "PATH_BRACE": "`::{`", "$END":
    "end of file",
}
# Tokens that only continue an expression: never worth listing in "expected …".
_CONTINUATIONS = frozenset((
    "OROR", "ANDAND", "EQEQ", "NOTEQ", "LT", "GT", "LE", "GE", "PLUS", "STAR", "SLASH", "PERCENT",
    "QMARK", "DOT", "AS", "LPAR", "LSQB", "ASSIGN", "PLUS_ASSIGN", "MINUS_ASSIGN", "STAR_ASSIGN",
    "SLASH_ASSIGN", "PERCENT_ASSIGN", "INC", "DEC", "DOTDOT", "DOTDOTEQ", "QQ", "MINUS",
    "PATHSEP",
))
_EXPR_START = frozenset((
    "IDENT", "STRUCT_NAME", "INT", "FLOAT", "STRING", "TRIPLE_STRING", "TRUE", "FALSE", "NIL",
    "LPAR", "LSQB", "MINUS", "BANG", "IF", "MATCH", "LBRACE",
))
_STMT_START = frozenset(["LET", "CONST", "RETURN", "OK", "ERR", "FOR", "BREAK", "CONTINUE"])
_DECL_TERMS = frozenset(["FN", "STRUCT", "ENUM", "CONST", "IMPORT"])


def _term_display(name: str) -> str:
    if name in _NAMES:
        return _NAMES[name]
    term = _lark().get_terminal(name)
    return f"`{term.pattern.value}`" if isinstance(term.pattern, PatternStr) else name


def _found(tok: Token) -> str:
    if tok.type == "$END":
        return "end of file"
    if tok.type in ("IDENT", "STRUCT_NAME"):
        return f"name `{tok}`"
    if str(tok) in KEYWORDS:
        return f"keyword `{tok}`"
    if tok.type in ("INT", "FLOAT"):
        return f"number `{tok}`"
    if tok.type in ("STRING", "TRIPLE_STRING"):
        return "a string"
    return f"`{tok}`"


def _acceptable(state: ParserState[Any]) -> set[str]:
    """Terminals the parser can really take next (after any reductions), unlike the raw
    LALR table row, whose lookaheads are merged across contexts."""
    conf = copy(state.parse_conf)
    conf.callbacks = {}
    result: set[str] = set()
    for name in state.parse_conf.states[state.position]:
        if not name.isupper():
            continue
        trial = state.copy(deepcopy_values=False)
        trial.parse_conf = conf
        try:
            trial.feed_token(Token(name, ""), is_end=name == "$END")
        except (UnexpectedToken, AssertionError, KeyError, IndexError):
            pass  # not acceptable here
        else:
            result.add(name)
    return result


def _end_of(value: object) -> tuple[int, int] | None:
    if isinstance(value, Token):
        if value.end_line is not None and value.end_column is not None:
            return value.end_line, value.end_column
        return None
    if isinstance(value, Tree):
        meta = value.meta
        if not meta.empty and hasattr(meta, "end_line"):
            return meta.end_line, meta.end_column
        for child in reversed(value.children):
            end = _end_of(child)
            if end:
                return end
    return None


def _previous_end(state: ParserState[Any]) -> tuple[int, int] | None:
    for value in reversed(state.value_stack):
        end = _end_of(value)
        if end:
            return end
    return None


def _in_construct(state: ParserState[Any], keyword: str) -> bool:
    """Whether the innermost unfinished construct on the stack starts with `keyword`."""
    for value in reversed(state.value_stack):
        if isinstance(value, Token):
            if value.type == keyword:
                return True
            if value.type in ("LBRACE", "RBRACE", "SEMICOLON"):
                return False
    return False


def _describe_expected(acc: set[str]) -> str:
    wanted: list[str] = []
    rest = set(acc) - _CONTINUATIONS
    if "INT" in rest:
        if _STMT_START & rest:
            wanted.append("a statement")
            rest.discard("SEMICOLON")
        else:
            wanted.append("an expression")
        rest -= _EXPR_START | _STMT_START
    elif _DECL_TERMS <= rest:
        wanted.append("a declaration (`fn`, `struct`, `enum`, `const` or `import`)")
        rest -= _DECL_TERMS | {"SEMICOLON", "$END"}
    elif {"IDENT", "LSQB"} <= acc:
        wanted.append("a type")
        rest -= {"IDENT", "LSQB"}
    order = ["IDENT", "RPAR", "RSQB", "RBRACE", "COMMA", "SEMICOLON", "COLON", "ASSIGN",
             "LBRACE", "FATARROW", "ARROW"]
    items = sorted(rest, key=lambda n: (order.index(n) if n in order else len(order), n))
    wanted.extend(dict.fromkeys(_term_display(n) for n in items))
    if not wanted:
        return "something else"
    if len(wanted) > 5:
        wanted = wanted[:5]
    return wanted[0] if len(wanted) == 1 else ", ".join(wanted[:-1]) + " or " + wanted[-1]


def _syntax_error(e: UnexpectedToken, path: str, start: str) -> Diagnostic:
    tok: Token = e.token
    state = e.state if isinstance(e.state, ParserState) else None
    acc = _acceptable(state) if state is not None else set(e.expected)
    prev = _previous_end(state) if state is not None else None
    found = _found(tok)
    if tok.type == "$END" and start == "interp":
        found = "the end of the interpolation"
    tok_span = (Span(path, tok.line, tok.column or 1, tok.end_line or tok.line,
                     tok.end_column or (tok.column or 1) + 1)
                if tok.type != "$END" and tok.line is not None else None)
    span = tok_span or (Span.point(path, prev[0], prev[1]) if prev else Span.point(path, 1, 1))
    if _DECL_TERMS <= acc:
        if tok.type == "$END":  # cannot happen: a module may end between declarations
            return Diagnostic("E0001", "unexpected end of file", span)
        return Diagnostic("E0001", f"unexpected {found}", span,
                          hint="expected `fn`, `struct`, `enum`, `const` or `import`")
    # `;` is wanted to end something (not merely allowed as an empty statement).
    if "SEMICOLON" in acc and "LET" not in acc and prev is not None and state is not None:
        what = "statement"
        if _in_construct(state, "IMPORT"):
            what = "import"
        elif _in_construct(state, "CONST"):
            what = "constant"
        elif _in_construct(state, "FATARROW"):
            what = "function body"
        return Diagnostic("E0001", f"expected `;` after {what}",
                          Span.point(path, prev[0], prev[1]), hint=f"found {found}")
    return Diagnostic("E0001", f"expected {_describe_expected(acc)}, found {found}", span)


# ---------------------------------------------------------------- strings

_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "\\": "\\", '"': '"', "0": "\0", "$": "$"}


def _dedent_triple(raw: str) -> tuple[str, list[int]]:
    """The text of a `\"\"\"…\"\"\"` token with its common indentation removed, and for each
    character the index in `raw` it came from.

    The rest of the opening line is dropped if it is blank (so the text starts on the next
    line), and so is a blank last line (the one holding the closing quotes), together with the
    newline before it. Text on the opening line itself is kept as is and does not count for
    the indentation. `\\r\\n` line ends become `\\n`.
    """
    lines: list[tuple[int, str]] = []  # (index in raw of the first char, text without \r)
    at = 3
    for piece in raw[3:-3].split("\n"):
        lines.append((at, piece.removesuffix("\r")))
        at += len(piece) + 1
    first_kept = True
    if len(lines) > 1 and not lines[0][1].strip(" \t"):
        lines.pop(0)
        first_kept = False
    if len(lines) > 1 and not lines[-1][1].strip(" \t"):
        lines.pop()
    body = lines[1:] if first_kept else lines
    indents = [len(t) - len(t.lstrip(" \t")) for _, t in body if t.strip(" \t")]
    indent = min(indents, default=0)
    out: list[str] = []
    idx: list[int] = []
    for n, (start, text) in enumerate(lines):
        if n:
            out.append("\n")
            idx.append(start - 1)
        cut = 0 if (n == 0 and first_kept) else min(indent, len(text) - len(text.lstrip(" \t")))
        out.append(text[cut:])
        idx.extend(range(start + cut, start + len(text)))
    return "".join(out), idx


def _interp_end(text: str, i: int) -> int:
    """Index of the `}` closing an interpolation whose expression starts at `i`, or -1."""
    depth = 0
    while i < len(text):
        ch = text[i]
        if ch == '"':
            i += 1
            while i < len(text) and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
        elif ch == "{":
            depth += 1
        elif ch == "}":
            if depth == 0:
                return i
            depth -= 1
        i += 1
    return -1


# ---------------------------------------------------------------- the AST builder

Children = list[Any]


@v_args(meta=True)
class _Builder(Transformer[Token, Any]):
    """Parse tree -> AST. One method per rule alias; nothing but node construction (and the
    decoding of literals, whose errors are diagnostics)."""

    def __init__(self, path: str, diags: list[Diagnostic]) -> None:
        super().__init__()
        self.file = path  # not `self.path`: that is the `path` rule's method
        self.diags = diags
        # IntLits of value 2**63: valid only as the operand of unary minus (folded in `neg`
        # into one IntLit of -2**63, the only way to write Int's minimum); any left at the
        # end are reported as out of range.
        self.pending_min: list[ast.IntLit] = []

    def finish(self) -> None:
        for lit in self.pending_min:
            self._out_of_range(str(lit.value), lit.span)
        self.pending_min.clear()

    # ---- helpers
    def _span(self, m: Meta) -> Span:
        return Span(self.file, m.line, m.column, m.end_line, m.end_column)

    def _tspan(self, t: Token) -> Span:
        return Span(self.file, t.line or 0, t.column or 0, t.end_line or 0, t.end_column or 0)

    def _error(self, code: str, message: str, span: Span, hint: str = "") -> None:
        self.diags.append(Diagnostic(code, message, span, hint=hint))

    def _out_of_range(self, text: str, span: Span) -> None:
        self._error("E0005", f"integer literal `{text}` is out of range for Int", span,
                    hint=f"the largest Int is {INT_MAX}")

    # ---- module
    def start(self, m: Meta, c: Children) -> list[ast.Decl]:
        return [d for d in c if d is not None]

    def interp(self, m: Meta, c: Children) -> ast.Expr:
        return c[0]  # type: ignore[no-any-return]

    # ---- imports
    def import_path(self, m: Meta, c: Children) -> list[str]:
        return [str(t) for t in c]

    def import_plain(self, m: Meta, c: Children) -> ast.Import:
        return ast.Import(c[0], None, None, self._span(m))

    def import_braced(self, m: Meta, c: Children) -> ast.Import:
        return ast.Import(c[0], c[2], None, self._span(m))

    def import_alias(self, m: Meta, c: Children) -> ast.Import:
        return ast.Import(c[0], None, str(c[1]), self._span(m))

    def import_items(self, m: Meta, c: Children) -> list[ast.ImportItem]:
        return list(c)

    def import_item(self, m: Meta, c: Children) -> ast.ImportItem:
        return ast.ImportItem(str(c[0]), str(c[1]) if c[1] is not None else None, self._span(m))

    # ---- declarations
    def const_decl(self, m: Meta, c: Children) -> ast.Const:
        return ast.Const(str(c[0]), c[1], c[2], self._span(m), self._tspan(c[0]))

    def enum_decl(self, m: Meta, c: Children) -> ast.Enum:
        variants = [v for v in c[1:] if v is not None]
        return ast.Enum(str(c[0]), variants, self._span(m), self._tspan(c[0]))

    def variant(self, m: Meta, c: Children) -> ast.Variant:
        return ast.Variant(str(c[0]), self._tspan(c[0]))

    def struct_decl(self, m: Meta, c: Children) -> ast.Struct:
        fields = [f for f in c[1:] if f is not None]
        return ast.Struct(str(c[0]), fields, self._span(m), self._tspan(c[0]))

    def struct_field(self, m: Meta, c: Children) -> ast.StructField:
        return ast.StructField(str(c[0]), c[1], list(c[2:]), self._tspan(c[0]))

    def decorator(self, m: Meta, c: Children) -> ast.Decorator:
        args = next((a for a in c[1:] if isinstance(a, list)), [])
        return ast.Decorator(str(c[0]), args, self._span(m))

    def fn_decl(self, m: Meta, c: Children) -> ast.Fn:
        (receiver, name_tok), params, ret, body = c
        ret_t, err_t = ret if ret is not None else (None, None)
        return ast.Fn(str(name_tok), receiver, params or [], ret_t, err_t, body,
                      self._span(m), self._tspan(name_tok))

    def fn_name(self, m: Meta, c: Children) -> tuple[str | None, Token]:
        return (None, c[0]) if c[1] is None else (str(c[0]), c[1])

    def params(self, m: Meta, c: Children) -> list[ast.Param]:
        return list(c)

    def param(self, m: Meta, c: Children) -> ast.Param:
        return ast.Param(str(c[0]), c[1], self._span(m))

    def ret(self, m: Meta, c: Children) -> tuple[ast.TypeExpr, ast.TypeExpr | None]:
        return c[0], c[1]

    # ---- types
    def type_name(self, m: Meta, c: Children) -> ast.TypeName:
        return ast.TypeName(str(c[0]), self._span(m))

    def array_type(self, m: Meta, c: Children) -> ast.ArrayType:
        return ast.ArrayType(c[0], self._span(m))

    def optional_type(self, m: Meta, c: Children) -> ast.OptionalType:
        return ast.OptionalType(c[0], self._span(m))

    # ---- statements
    def block(self, m: Meta, c: Children) -> ast.Block:
        stmts: list[ast.Stmt] = [s for s in c[:-1] if s is not None]
        if c[-1] is not None:  # the tail expression, the block's value
            stmts.append(ast.ExprStmt(c[-1], c[-1].span))
        return ast.Block(stmts, self._span(m))

    def let_stmt(self, m: Meta, c: Children) -> ast.Let:
        names: list[Token] = c[1:-2]
        return ast.Let([str(n) for n in names], c[0] is not None, c[-2], c[-1], self._span(m),
                       [self._tspan(n) for n in names])

    def const_stmt(self, m: Meta, c: Children) -> ast.Let:
        # A local `const` is an immutable `let` (the AST has no local-constant statement).
        return ast.Let([str(c[0])], False, c[1], c[2], self._span(m), [self._tspan(c[0])])

    def assign_stmt(self, m: Meta, c: Children) -> ast.Assign:
        return ast.Assign(c[0], str(c[1]), c[2], self._span(m))

    def incdec_stmt(self, m: Meta, c: Children) -> ast.IncDec:
        return ast.IncDec(c[0], str(c[1]), self._span(m))

    def expr_stmt(self, m: Meta, c: Children) -> ast.ExprStmt:
        return ast.ExprStmt(c[0], self._span(m))

    def block_expr_stmt(self, m: Meta, c: Children) -> ast.ExprStmt:
        return ast.ExprStmt(c[0], self._span(m))

    def return_stmt(self, m: Meta, c: Children) -> ast.Return:
        return ast.Return(c[0], self._span(m))

    def ok_stmt(self, m: Meta, c: Children) -> ast.OkStmt:
        return ast.OkStmt(c[0], self._span(m))

    def err_stmt(self, m: Meta, c: Children) -> ast.ErrStmt:
        return ast.ErrStmt(c[0], self._span(m))

    def break_stmt(self, m: Meta, c: Children) -> ast.Break:
        return ast.Break(self._span(m))

    def continue_stmt(self, m: Meta, c: Children) -> ast.Continue:
        return ast.Continue(self._span(m))

    def for_ever(self, m: Meta, c: Children) -> ast.ForCond:
        return ast.ForCond(None, c[0], self._span(m))

    def for_cond(self, m: Meta, c: Children) -> ast.ForCond:
        return ast.ForCond(c[0], c[1], self._span(m))

    def for_in(self, m: Meta, c: Children) -> ast.ForIn:
        return ast.ForIn(str(c[0]), None, c[1], c[2], self._span(m))

    def for_in2(self, m: Meta, c: Children) -> ast.ForIn:
        return ast.ForIn(str(c[1]), str(c[0]), c[2], c[3], self._span(m))

    def range(self, m: Meta, c: Children) -> ast.Range:
        return ast.Range(c[0], c[2], str(c[1]) == "..=", self._span(m))

    # ---- operators
    def coalesce(self, m: Meta, c: Children) -> ast.Coalesce:
        return ast.Coalesce(c[0], c[1], self._span(m))

    def binary(self, m: Meta, c: Children) -> ast.Binary:
        return ast.Binary(str(c[1]), c[0], c[2], self._span(m))

    def neg(self, m: Meta, c: Children) -> ast.Expr:
        operand = c[1]
        if isinstance(operand, ast.IntLit) and any(operand is p for p in self.pending_min):
            self.pending_min = [p for p in self.pending_min if p is not operand]
            return ast.IntLit(-(2**63), self._span(m))
        return ast.Unary("-", operand, self._span(m))

    def not_(self, m: Meta, c: Children) -> ast.Unary:
        return ast.Unary("!", c[1], self._span(m))

    def call(self, m: Meta, c: Children) -> ast.Call:
        return ast.Call(c[0], c[1] or [], self._span(m))

    def field(self, m: Meta, c: Children) -> ast.Field:
        return ast.Field(c[0], str(c[1]), self._span(m), self._tspan(c[1]))

    def index(self, m: Meta, c: Children) -> ast.Index:
        return ast.Index(c[0], c[1], self._span(m))

    def cast(self, m: Meta, c: Children) -> ast.Cast:
        return ast.Cast(c[0], c[1], self._span(m))

    def try_(self, m: Meta, c: Children) -> ast.Try:
        return ast.Try(c[0], self._span(m))

    # ---- atoms
    def name(self, m: Meta, c: Children) -> ast.Name:
        return ast.Name(str(c[0]), self._span(m))

    def path(self, m: Meta, c: Children) -> ast.Path:
        return ast.Path([str(t) for t in c], self._span(m))

    def struct_lit(self, m: Meta, c: Children) -> ast.StructLit:
        return ast.StructLit(str(c[0]), c[1] or [], self._span(m), self._tspan(c[0]))

    def array_lit(self, m: Meta, c: Children) -> ast.ArrayLit:
        return ast.ArrayLit(c[0] or [], self._span(m))

    def object_lit(self, m: Meta, c: Children) -> ast.ObjectLit:
        return ast.ObjectLit(c[0], self._span(m))

    def args(self, m: Meta, c: Children) -> list[ast.Expr]:
        return list(c)

    def field_inits(self, m: Meta, c: Children) -> list[ast.FieldInit]:
        return list(c)

    def field_init(self, m: Meta, c: Children) -> ast.FieldInit:
        return ast.FieldInit(str(c[0]), c[1], self._tspan(c[0]))

    def if_expr(self, m: Meta, c: Children) -> ast.IfExpr:
        return ast.IfExpr(c[0], c[1], c[2], self._span(m))

    def match_expr(self, m: Meta, c: Children) -> ast.Match:
        return ast.Match(c[0], [a for a in c[1:] if a is not None], self._span(m))

    def match_arm(self, m: Meta, c: Children) -> ast.MatchArm:
        return ast.MatchArm(c[0], c[1], self._span(m))

    def patterns(self, m: Meta, c: Children) -> list[ast.Pattern]:
        return list(c)

    def pat_ident(self, m: Meta, c: Children) -> ast.Pattern:
        if str(c[0]) == "_":
            return ast.WildcardPat(self._span(m))
        return ast.ValuePat(ast.Name(str(c[0]), self._span(m)), self._span(m))

    def pat_value(self, m: Meta, c: Children) -> ast.ValuePat:
        return ast.ValuePat(c[0], self._span(m))

    def pat_neg(self, m: Meta, c: Children) -> ast.ValuePat:
        value = int(c[1])
        if value > INT_MAX + 1:
            self._out_of_range(str(c[1]), self._tspan(c[1]))
        return ast.ValuePat(ast.IntLit(-value, self._span(m)), self._span(m))

    # ---- literals
    def int_lit(self, m: Meta, c: Children) -> ast.IntLit:
        lit = ast.IntLit(int(c[0]), self._span(m))
        if lit.value == INT_MAX + 1:
            self.pending_min.append(lit)
        elif lit.value > INT_MAX:
            self._out_of_range(str(c[0]), lit.span)
        return lit

    def float_lit(self, m: Meta, c: Children) -> ast.FloatLit:
        value = float(c[0])
        if math.isinf(value):
            self._error("E0005", f"float literal `{c[0]}` is out of range for Float",
                        self._span(m))
        return ast.FloatLit(value, self._span(m))

    def true_lit(self, m: Meta, c: Children) -> ast.BoolLit:
        return ast.BoolLit(True, self._span(m))

    def false_lit(self, m: Meta, c: Children) -> ast.BoolLit:
        return ast.BoolLit(False, self._span(m))

    def nil_lit(self, m: Meta, c: Children) -> ast.NilLit:
        return ast.NilLit(self._span(m))

    def string(self, m: Meta, c: Children) -> ast.StrLit | ast.InterpStr:
        return _StringDecoder(self, c[0]).decode(self._span(m))

    def parse_interpolation(self, source: str, line: int, col: int) -> ast.Expr | None:
        """Parse the expression of a `${…}` found at (line, col) of this file."""
        padded = "\n" * (line - 1) + " " * (col - 1) + source
        tree, errors, _ = _parse_tree(padded, self.file, "interp")
        self.diags.extend(errors)
        if tree is None:
            return None
        result: ast.Expr | None = _build(tree, self.file, self.diags, "interp")
        return result


class _StringDecoder:
    """Decodes one STRING or TRIPLE_STRING token: escapes, dedent, interpolations."""

    def __init__(self, builder: _Builder, tok: Token) -> None:
        self.builder = builder
        self.tok = tok
        self.raw = str(tok)
        if self.raw.startswith('"""'):
            self.text, self.idx = _dedent_triple(self.raw)
        else:
            self.text, self.idx = self.raw[1:-1], list(range(1, len(self.raw) - 1))

    def pos(self, raw_index: int) -> tuple[int, int]:
        """(line, column) in the file of raw[raw_index]."""
        before = self.raw[:raw_index]
        nl = before.rfind("\n")
        line = (self.tok.line or 1) + before.count("\n")
        col = raw_index - nl if nl >= 0 else (self.tok.column or 1) + raw_index
        return line, col

    def span(self, i: int, j: int) -> Span:
        """The span of text[i:j] (j exclusive, clamped to the text)."""
        first = self.idx[i] if i < len(self.idx) else len(self.raw) - 1
        last = self.idx[min(j, len(self.idx)) - 1] if j > i and self.idx else first
        (l1, c1), (l2, c2) = self.pos(first), self.pos(last)
        return Span(self.builder.file, l1, c1, l2, c2 + 1)

    def decode(self, span: Span) -> ast.StrLit | ast.InterpStr:
        parts: list[str | ast.Expr] = []
        buf: list[str] = []
        text, i = self.text, 0
        while i < len(text):
            ch = text[i]
            if ch == "\\":
                i = self.escape(i, buf)
            elif ch == "$" and text.startswith("{", i + 1):
                end = _interp_end(text, i + 2)
                if end < 0:
                    self.builder._error("E0002", "unterminated interpolation `${`",
                                        self.span(i, i + 2), hint="add the closing `}`")
                    break
                expr = self.interpolation(i, end)
                if expr is not None:
                    if buf:
                        parts.append("".join(buf))
                        buf = []
                    parts.append(expr)
                i = end + 1
            else:
                buf.append(ch)
                i += 1
        if buf:
            parts.append("".join(buf))
        if any(not isinstance(p, str) for p in parts):
            return ast.InterpStr(parts, span)
        return ast.StrLit("".join(p for p in parts if isinstance(p, str)), span)

    def escape(self, i: int, buf: list[str]) -> int:
        """Decode the escape at text[i] into buf; returns the index after it."""
        text = self.text
        kind = text[i + 1] if i + 1 < len(text) else ""
        if kind in _ESCAPES and kind:
            buf.append(_ESCAPES[kind])
            return i + 2
        if kind == "u":
            m = re.compile(r"\{([0-9A-Fa-f]{1,6})\}").match(text, i + 2)
            if m and (int(m.group(1), 16) <= 0x10FFFF
                      and not 0xD800 <= int(m.group(1), 16) <= 0xDFFF):
                buf.append(chr(int(m.group(1), 16)))
                return m.end()
            end = m.end() if m else i + 2
            self.builder._error("E0002", "invalid unicode escape", self.span(i, end),
                                hint="write `\\u{1F600}`: 1 to 6 hex digits, at most 10FFFF")
            return end
        shown = kind if kind.isprintable() and kind.strip() else f"U+{ord(kind or ' '):04X}"
        self.builder._error("E0002", f"unknown escape `\\{shown}`", self.span(i, i + 2),
                            hint='valid escapes: \\n \\r \\t \\\\ \\" \\0 \\$ \\u{…}')
        return i + 2

    def interpolation(self, i: int, end: int) -> ast.Expr | None:
        start_raw, end_raw = self.idx[i + 2] if i + 2 < end else self.idx[end], self.idx[end]
        source = self.raw[start_raw:end_raw]
        if not source.strip():
            self.builder._error("E0001", "empty interpolation `${}`", self.span(i, end + 1),
                                hint="put an expression between the braces")
            return None
        line, col = self.pos(start_raw)
        return self.builder.parse_interpolation(source, line, col)


__all__ = ["KEYWORDS", "parse_module"]
