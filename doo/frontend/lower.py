"""Lowering: checked AST → IR.

Input: a `Checked` program (the checker found no errors).
Output: an `ir.Program`. Expressions that contain control flow — `?`, `??` with a block,
`&&`/`||` whose right side needs statements, `if` and `match` used as values — are
flattened into statements and temporaries, keeping Doo's left-to-right evaluation order:
when a later operand needs statements, earlier operands are first saved in temporaries.
Implicit conversions (a value into an optional, `nil`) become explicit IR nodes here.
"""

from __future__ import annotations

import os

from doo.frontend import ast as A
from doo.frontend import ir
from doo.frontend.checker import DB_ERROR_TY, Checked, FnInfo, RouteInfo
from doo.frontend.types import (
    BOOL,
    ERROR,
    FLOAT,
    INT,
    NEVER,
    NIL,
    REQUEST,
    SERVER,
    STR,
    VOID,
    ArrayTy,
    EnumTy,
    OptTy,
    ResultTy,
    StructTy,
    Ty,
)


class Lowerer:
    def __init__(self, checked: Checked, root: str):
        self.c = checked
        self.root = root
        self.fn: FnInfo | None = None
        self.ntemp = 0
        self.file = ""

    # ---- helpers

    def loc(self, node: A.Expr | A.Stmt) -> str:
        return f"{self.file}:{node.span.line}:{node.span.col}"

    def rel(self, path: str) -> str:
        try:
            r = os.path.relpath(path, self.root)
        except ValueError:
            r = path
        return r.replace(os.sep, "/")

    def temp(self, ty: Ty, value: ir.Expr | None, out: list[ir.Stmt], line: int = 0) -> ir.Var:
        self.ntemp += 1
        name = f"_t{self.ntemp}"
        out.append(ir.Decl(name, ty, value, line))
        return ir.Var(ty, name)

    def ty(self, e: A.Expr) -> Ty:
        return self.c.ty(e)

    def adapt(self, v: ir.Expr, to: Ty) -> ir.Expr:
        """Make v (of type v.ty) fit a place of type `to`."""
        src = v.ty
        if isinstance(to, OptTy) and not isinstance(src, OptTy):
            if src == NIL:
                return ir.NoneV(to)
            if isinstance(v, ir.Panic):
                return ir.Panic(to, v.msg, v.loc)
            return ir.Some(to, self.adapt(v, to.inner))
        if isinstance(v, ir.Panic) and to != src:
            return ir.Panic(to, v.msg, v.loc)
        if isinstance(to, ArrayTy) and isinstance(src, ArrayTy) and src.elem == NEVER:
            return ir.NewArray(to, [])
        if isinstance(v, ir.NoneV) and to != v.ty:
            return ir.NoneV(to)
        return v

    # ---- program

    def program(self) -> ir.Program:
        p = ir.Program()
        for fi in self.c.fns:
            p.functions.append(self.function(fi))
        for i, r in enumerate(self.c.routes):
            p.routes.append(self.route(r, i))
        if self.c.main is not None:
            p.main = self.c.main.cname
        return p

    def route(self, r: RouteInfo, i: int) -> ir.Route:
        safe = "".join(ch if ch.isalnum() else "_" for ch in r.path).strip("_") or "root"
        if r.handler is None:
            assert r.table is not None
            return ir.Route(r.method, r.path, f"dooh_crud_{r.crud}",
                            f"doo_route_{i}_{r.crud}_{r.table.name}")
        return ir.Route(r.method, r.path, r.handler.cname,
                        f"doo_route_{i}_{r.method.lower()}_{safe}")

    def function(self, fi: FnInfo) -> ir.Function:
        self.fn = fi
        self.ntemp = 0
        self.file = self.rel(fi.decl.span.file)
        params = [(v.cname, v.ty) for v in fi.param_vars]
        body: list[ir.Stmt] = []
        ret = fi.result
        is_main = fi is self.c.main
        if isinstance(fi.decl.body, A.Block):
            self.stmts(fi.decl.body.stmts, body)
        else:
            e = fi.decl.body
            v = self.expr(e, body)
            if fi.ret == VOID:
                body.append(ir.Eval(v, e.span.line))
            else:
                body.append(ir.Return(self.ret_value(v), e.span.line))
        if is_main:
            ret = INT
            body.append(ir.Return(ir.Const(INT, 0)))
        elif ret != VOID and not (body and isinstance(body[-1], ir.Return)):
            # The checker proved every path returns; this keeps C compilers convinced.
            body.append(ir.Eval(ir.Panic(VOID, ir.Const(STR, "missing return"),
                                         f"{self.file}:{fi.decl.span.end_line}:1")))
        doc = f"fn {fi.receiver + '.' if fi.receiver else ''}{fi.name}"
        return ir.Function(fi.cname, params, ret, body, self.file, fi.decl.span.line, doc)

    def ret_value(self, v: ir.Expr) -> ir.Expr:
        fn = self.fn
        assert fn is not None
        if fn.err is not None:
            return ir.MakeResult(fn.result, True, self.adapt(v, fn.ret))
        return self.adapt(v, fn.ret)

    # ---- statements

    def stmts(self, ss: list[A.Stmt], out: list[ir.Stmt]) -> None:
        for s in ss:
            self.stmt(s, out)

    def stmt(self, s: A.Stmt, out: list[ir.Stmt]) -> None:
        line = s.span.line
        if isinstance(s, A.Let):
            self.let(s, out)
        elif isinstance(s, A.Assign):
            target = self.lvalue(s.target, out)
            v = self.expr(s.value, out)
            if s.op != "=":
                v = self.arith(s.op[0], target, v, target.ty, self.loc(s))
            out.append(ir.Set(target, self.adapt(v, target.ty), line))
        elif isinstance(s, A.IncDec):
            target = self.lvalue(s.target, out)
            v = ir.Bin(INT, "+" if s.op == "++" else "-", target, ir.Const(INT, 1), self.loc(s))
            out.append(ir.Set(target, v, line))
        elif isinstance(s, A.ExprStmt):
            self.expr_stmt(s.expr, out)
        elif isinstance(s, A.Return):
            fn = self.fn
            assert fn is not None
            if fn is self.c.main:
                out.append(ir.Return(ir.Const(INT, 0), line))
            elif s.value is None:
                out.append(ir.Return(None, line))
            else:
                out.append(ir.Return(self.ret_value(self.expr(s.value, out)), line))
        elif isinstance(s, A.OkStmt):
            out.append(ir.Return(self.ret_value(self.expr(s.value, out)), line))
        elif isinstance(s, A.ErrStmt):
            fn = self.fn
            assert fn is not None and fn.err is not None
            v = self.adapt(self.expr(s.value, out), fn.err)
            out.append(ir.Return(ir.MakeResult(fn.result, False, v), line))
        elif isinstance(s, A.ForIn):
            self.for_in(s, out)
        elif isinstance(s, A.ForCond):
            body: list[ir.Stmt] = []
            if s.cond is not None:
                c = self.expr(s.cond, body)
                body.append(ir.If(ir.Un(BOOL, "!", c), [ir.Break()], [], line))
            self.stmts(s.body.stmts, body)
            out.append(ir.Loop(body, line))
        elif isinstance(s, A.Break):
            out.append(ir.Break(line))
        elif isinstance(s, A.Continue):
            out.append(ir.Continue(line))
        elif isinstance(s, A.Block):
            inner: list[ir.Stmt] = []
            self.stmts(s.stmts, inner)
            out.append(ir.Block(inner, line))

    def expr_stmt(self, e: A.Expr, out: list[ir.Stmt]) -> None:
        line = e.span.line
        if isinstance(e, A.IfExpr):
            self.if_stmt(e, out, None)
            return
        if isinstance(e, A.Match):
            self.match(e, out, None)
            return
        if isinstance(e, A.Call):
            tgt = self.c.calls.get(id(e))
            if tgt is not None and tgt.kind == "server":
                self.server_call(e, tgt.name, out)
                return
        v = self.expr(e, out)
        if not isinstance(v, (ir.Var, ir.Const)):
            out.append(ir.Eval(v, line))

    def server_call(self, e: A.Call, name: str, out: list[ir.Stmt]) -> None:
        # Routes are a static table built by the backend; only start() does work at run time.
        if name == "start":
            out.append(ir.Return(ir.CallRt(INT, "server.start", []), e.span.line))
        elif name == "auth":
            # JWT_SECRET is checked where the program declares auth: a bad one stops start-up.
            out.append(ir.Eval(ir.CallRt(VOID, "auth.open", []), e.span.line))

    def let(self, s: A.Let, out: list[ir.Stmt]) -> None:
        line = s.span.line
        v1 = self.c.vars[id(s)]
        if isinstance(s.value, A.Call) and self.ty(s.value) == SERVER:
            addr = self.expr(s.value.args[0], out) if s.value.args else ir.Const(STR, ":3000")
            out.append(ir.Eval(ir.CallRt(VOID, "server.new", [addr]), line))
            return
        val = self.expr(s.value, out)
        if len(s.names) == 2:
            v2 = self.c.vars2[id(s)]
            res = val if isinstance(val, ir.Var) else self.temp(val.ty, val, out, line)
            assert isinstance(res.ty, ResultTy)
            out.append(ir.Decl(v1.cname, v1.ty, self.adapt(ir.ResPart(res.ty.ok, res, "val"),
                                                         v1.ty), line))
            opt = v2.ty
            err_v = ir.Cond(opt, ir.ResPart(BOOL, res, "ok"), ir.NoneV(opt),
                            ir.Some(opt, ir.ResPart(res.ty.err, res, "err")))
            out.append(ir.Decl(v2.cname, opt, err_v, line))
            return
        out.append(ir.Decl(v1.cname, v1.ty, self.adapt(val, v1.ty), line))

    def lvalue(self, e: A.Expr, out: list[ir.Stmt]) -> ir.Expr:
        if isinstance(e, A.Name):
            v = self.c.vars[id(e)]
            return ir.Var(v.ty, v.cname)
        if isinstance(e, A.Field):
            return ir.GetField(self.ty(e), self.lvalue(e.obj, out), e.name)
        if isinstance(e, A.Index):
            arr = self.lvalue(e.obj, out)
            idx = self.expr(e.index, out)
            return ir.Index(self.ty(e), arr, idx, self.loc(e))
        raise AssertionError("not an lvalue")  # pragma: no cover - checked

    def for_in(self, s: A.ForIn, out: list[ir.Stmt]) -> None:
        var = self.c.vars[id(s)]
        body: list[ir.Stmt] = []
        self.stmts(s.body.stmts, body)
        it = s.iterable
        if isinstance(it, A.Range):
            a, b = self.exprs([it.start, it.end], out)
            out.append(ir.ForRange(var.cname, a, b, it.inclusive, body, s.span.line))
            return
        arr = self.expr(it, out)
        if not isinstance(arr, ir.Var):
            arr = self.temp(arr.ty, arr, out, s.span.line)
        idx = self.c.vars2.get(id(s))
        out.append(ir.ForEach(idx.cname if idx else None, var.cname, var.ty, arr, body,
                              s.span.line))

    def if_stmt(self, e: A.IfExpr, out: list[ir.Stmt], result: ir.Var | None) -> None:
        cond = self.expr(e.cond, out)
        then: list[ir.Stmt] = []
        self.branch(e.then, then, result)
        els: list[ir.Stmt] = []
        if isinstance(e.else_, A.Block):
            self.branch(e.else_, els, result)
        elif isinstance(e.else_, A.IfExpr):
            self.if_stmt(e.else_, els, result)
        out.append(ir.If(cond, then, els, e.span.line))

    def branch(self, b: A.Block, out: list[ir.Stmt], result: ir.Var | None) -> None:
        """Lower a block; when `result` is set, its last expression is stored there."""
        if result is None or not b.stmts or not isinstance(b.stmts[-1], A.ExprStmt):
            self.stmts(b.stmts, out)
            return
        inner: list[ir.Stmt] = []
        self.stmts(b.stmts[:-1], inner)
        last = b.stmts[-1]
        assert isinstance(last, A.ExprStmt)
        v = self.expr(last.expr, inner)
        inner.append(ir.Set(result, self.adapt(v, result.ty), last.span.line))
        out.extend(inner)

    def match(self, e: A.Match, out: list[ir.Stmt], result: ir.Var | None) -> None:
        subj = self.expr(e.subject, out)
        if not isinstance(subj, (ir.Var, ir.Const)):
            subj = self.temp(subj.ty, subj, out, e.span.line)
        chain: list[ir.Stmt] = out
        pending: ir.If | None = None
        for arm in e.arms:
            body: list[ir.Stmt] = []
            if isinstance(arm.body, A.Block):
                self.branch(arm.body, body, result)
            else:
                if result is None:
                    self.expr_stmt(arm.body, body)
                else:
                    v = self.expr(arm.body, body)
                    body.append(ir.Set(result, self.adapt(v, result.ty), arm.span.line))
            if any(isinstance(p, A.WildcardPat) for p in arm.patterns):
                chain.extend(body)
                return
            tests = [self.pattern_test(subj, p) for p in arm.patterns
                     if isinstance(p, A.ValuePat)]
            cond = tests[0]
            for t in tests[1:]:
                cond = ir.Bin(BOOL, "||", cond, t)
            node = ir.If(cond, body, [], arm.span.line)
            chain.append(node)
            pending = node
            chain = node.else_
        del pending

    def pattern_test(self, subj: ir.Expr, p: A.ValuePat) -> ir.Expr:
        v = self.expr(p.value, [])
        if subj.ty == STR:
            return ir.CallRt(BOOL, "str.eq", [subj, v])
        return ir.Bin(BOOL, "==", subj, v)

    # ---- expressions

    def exprs(self, es: list[A.Expr], out: list[ir.Stmt]) -> list[ir.Expr]:
        """Lower operands left to right; if a later one needs statements, the values of
        earlier ones are saved first so that evaluation order is kept."""
        vals: list[ir.Expr] = []
        for e in es:
            pre: list[ir.Stmt] = []
            v = self.expr(e, pre)
            if pre:
                for i, pv in enumerate(vals):
                    if not isinstance(pv, (ir.Var, ir.Const)):
                        vals[i] = self.temp(pv.ty, pv, out)
                out.extend(pre)
            vals.append(v)
        return vals

    def expr(self, e: A.Expr, out: list[ir.Stmt]) -> ir.Expr:
        ty = self.ty(e)
        if isinstance(e, A.IntLit):
            return ir.Const(FLOAT, float(e.value)) if ty == FLOAT else ir.Const(INT, e.value)
        if isinstance(e, A.FloatLit):
            return ir.Const(FLOAT, e.value)
        if isinstance(e, A.StrLit):
            return ir.Const(STR, e.value)
        if isinstance(e, A.BoolLit):
            return ir.Const(BOOL, e.value)
        if isinstance(e, A.NilLit):
            return ir.NoneV(ty) if isinstance(ty, OptTy) else ir.Const(NIL, None)
        if isinstance(e, A.InterpStr):
            exprs = [p for p in e.parts if not isinstance(p, str)]
            vals = iter(self.exprs(exprs, out))
            parts: list[ir.Expr] = []
            for p in e.parts:
                if isinstance(p, str):
                    if p:
                        parts.append(ir.Const(STR, p))
                else:
                    v = next(vals)
                    parts.append(v if v.ty == STR else ir.ToStr(STR, v))
            return ir.StrCat(STR, parts)
        if isinstance(e, A.Name):
            if id(e) in self.c.vars:
                var = self.c.vars[id(e)]
                return ir.Var(var.ty, var.cname)
            ci = self.c.consts_used.get(id(e))
            if ci is not None:
                return self.adapt(self.expr(ci.decl.value, out), ci.ty)
            raise AssertionError(f"unresolved name {e.name}")  # pragma: no cover
        if isinstance(e, A.Path):
            assert isinstance(ty, EnumTy)
            return ir.Const(ty, self.c.enums[ty.name].variants.index(e.parts[-1]))
        if isinstance(e, A.Unary):
            v = self.expr(e.operand, out)
            return ir.Un(ty, e.op, v, self.loc(e))
        if isinstance(e, A.Binary):
            return self.binary(e, out)
        if isinstance(e, A.Coalesce):
            return self.coalesce(e, out)
        if isinstance(e, A.Call):
            return self.call(e, out)
        if isinstance(e, A.Field):
            obj = self.expr(e.obj, out)
            if obj.ty == REQUEST:
                return ir.CallRt(STR, "req.body", [obj])
            return ir.GetField(ty, obj, e.name)
        if isinstance(e, A.Index):
            arr, idx = self.exprs([e.obj, e.index], out)
            return ir.Index(ty, arr, idx, self.loc(e))
        if isinstance(e, A.Cast):
            v = self.expr(e.expr, out)
            if ty == v.ty:
                return v
            if ty == STR:
                return ir.ToStr(STR, v)
            return ir.Convert(ty, v, self.loc(e))
        if isinstance(e, A.Try):
            return self.try_(e, out)
        if isinstance(e, A.StructLit):
            return self.struct_lit(e, out)
        if isinstance(e, A.ArrayLit):
            assert isinstance(ty, ArrayTy)
            items = self.exprs(e.items, out)
            return ir.NewArray(ty, [self.adapt(i, ty.elem) for i in items])
        if isinstance(e, A.IfExpr):
            return self.value_if(e, out)
        if isinstance(e, A.Match):
            r = self.temp(ty, None, out, e.span.line)
            self.match(e, out, r)
            return r
        raise AssertionError(f"cannot lower {e!r}")  # pragma: no cover

    def arith(self, op: str, a: ir.Expr, b: ir.Expr, ty: Ty, loc: str) -> ir.Expr:
        if ty == STR:
            return ir.StrCat(STR, [a, b])
        return ir.Bin(ty, op, a, b, loc)

    def binary(self, e: A.Binary, out: list[ir.Stmt]) -> ir.Expr:
        op = e.op
        if op in ("&&", "||"):
            left = self.expr(e.left, out)
            pre: list[ir.Stmt] = []
            right = self.expr(e.right, pre)
            if not pre:
                return ir.Bin(BOOL, op, left, right)
            t = self.temp(BOOL, left, out, e.span.line)
            cond: ir.Expr = t if op == "&&" else ir.Un(BOOL, "!", t)
            out.append(ir.If(cond, pre + [ir.Set(t, right)], [], e.span.line))
            return t
        a, b = self.exprs([e.left, e.right], out)
        lt, _rt = a.ty, b.ty
        if op in ("==", "!="):
            eq = self.equality(a, b, out)
            return eq if op == "==" else ir.Un(BOOL, "!", eq)
        if op in ("<", ">", "<=", ">="):
            if lt == STR:
                return ir.Bin(BOOL, op, ir.CallRt(INT, "str.cmp", [a, b]), ir.Const(INT, 0))
            return ir.Bin(BOOL, op, a, b)
        return self.arith(op, a, b, self.ty(e), self.loc(e))

    def equality(self, a: ir.Expr, b: ir.Expr, out: list[ir.Stmt]) -> ir.Expr:
        if b.ty == NIL or isinstance(b, ir.NoneV):
            return ir.Un(BOOL, "!", ir.OptHas(BOOL, a))
        if a.ty == NIL or isinstance(a, ir.NoneV):
            return ir.Un(BOOL, "!", ir.OptHas(BOOL, b))
        if isinstance(a.ty, OptTy) or isinstance(b.ty, OptTy):
            opt, val = (a, b) if isinstance(a.ty, OptTy) else (b, a)
            if isinstance(val.ty, OptTy):
                # Two optionals: equal when both absent or both present and equal.
                x = self.temp(opt.ty, opt, out)
                y = self.temp(val.ty, val, out)
                assert isinstance(x.ty, OptTy)
                both = ir.Bin(BOOL, "&&", ir.OptHas(BOOL, x), ir.OptHas(BOOL, y))
                same = self.equality(ir.OptGet(x.ty.inner, x), ir.OptGet(x.ty.inner, y), out)
                none = ir.Bin(BOOL, "&&", ir.Un(BOOL, "!", ir.OptHas(BOOL, x)),
                              ir.Un(BOOL, "!", ir.OptHas(BOOL, y)))
                return ir.Bin(BOOL, "||", none, ir.Bin(BOOL, "&&", both, same))
            x = opt if isinstance(opt, ir.Var) else self.temp(opt.ty, opt, out)
            assert isinstance(x.ty, OptTy)
            return ir.Bin(BOOL, "&&", ir.OptHas(BOOL, x),
                          self.equality(ir.OptGet(x.ty.inner, x), val, out))
        if a.ty == STR:
            return ir.CallRt(BOOL, "str.eq", [a, b])
        return ir.Bin(BOOL, "==", a, b)

    def coalesce(self, e: A.Coalesce, out: list[ir.Stmt]) -> ir.Expr:
        ty = self.ty(e)
        left = self.expr(e.left, out)
        x = left if isinstance(left, ir.Var) else self.temp(left.ty, left, out, e.span.line)
        if isinstance(x.ty, ResultTy):
            has: ir.Expr = ir.ResPart(BOOL, x, "ok")
            get: ir.Expr = ir.ResPart(x.ty.ok, x, "val")
        else:
            has, get = ir.OptHas(BOOL, x), ir.OptGet(ty, x)
        pre: list[ir.Stmt] = []
        right = self.adapt(self.expr(e.right, pre), ty)
        if not pre:
            return ir.Cond(ty, has, get, right)
        r = self.temp(ty, None, out, e.span.line)
        out.append(ir.If(has, [ir.Set(r, get)], pre + [ir.Set(r, right)], e.span.line))
        return r

    def try_(self, e: A.Try, out: list[ir.Stmt]) -> ir.Expr:
        v = self.expr(e.expr, out)
        x = v if isinstance(v, ir.Var) else self.temp(v.ty, v, out, e.span.line)
        rt = x.ty
        assert isinstance(rt, ResultTy)
        fn = self.fn
        assert fn is not None
        err = ir.ResPart(rt.err, x, "err")
        if fn is self.c.main and rt.err == DB_ERROR_TY:
            # The data layer already printed one line saying what failed.
            fail: ir.Stmt = ir.Eval(ir.CallRt(VOID, "exit", [ir.Const(INT, 1)]), e.span.line)
        elif fn is self.c.main or fn.err is None:
            msg: ir.Expr = ir.StrCat(STR, [ir.Const(STR, "error: "), ir.ToStr(STR, err)]) \
                if rt.err == STR or isinstance(rt.err, EnumTy) else ir.Const(STR, "error")
            fail = ir.Eval(ir.Panic(VOID, msg, self.loc(e)), e.span.line)
        else:
            fail = ir.Return(ir.MakeResult(fn.result, False, self.adapt(err, fn.err)),
                             e.span.line)
        out.append(ir.If(ir.Un(BOOL, "!", ir.ResPart(BOOL, x, "ok")), [fail], [], e.span.line))
        return ir.ResPart(rt.ok, x, "val")

    def value_if(self, e: A.IfExpr, out: list[ir.Stmt]) -> ir.Expr:
        ty = self.ty(e)
        simple = (len(e.then.stmts) == 1 and isinstance(e.then.stmts[0], A.ExprStmt)
                  and isinstance(e.else_, A.Block) and len(e.else_.stmts) == 1
                  and isinstance(e.else_.stmts[0], A.ExprStmt))
        if simple:
            assert isinstance(e.else_, A.Block)
            a_stmt, b_stmt = e.then.stmts[0], e.else_.stmts[0]
            assert isinstance(a_stmt, A.ExprStmt) and isinstance(b_stmt, A.ExprStmt)
            cond = self.expr(e.cond, out)
            pa: list[ir.Stmt] = []
            pb: list[ir.Stmt] = []
            a = self.expr(a_stmt.expr, pa)
            b = self.expr(b_stmt.expr, pb)
            if not pa and not pb:
                return ir.Cond(ty, cond, self.adapt(a, ty), self.adapt(b, ty))
            del pa, pb  # fall through: lower again in statement form
        r = self.temp(ty, None, out, e.span.line)
        self.if_stmt(e, out, r)
        return r

    def struct_lit(self, e: A.StructLit, out: list[ir.Stmt]) -> ir.Expr:
        ty = self.ty(e)
        assert isinstance(ty, StructTy)
        si = self.c.structs[ty.name]
        given = {f.name: f.value for f in e.fields}
        names = [f.name for f in e.fields]
        vals = dict(zip(names, self.exprs([f.value for f in e.fields], out)))
        fields: list[tuple[str, ir.Expr]] = []
        for fi in si.fields:
            if fi.name in given:
                v = self.adapt(vals[fi.name], fi.ty)
            elif fi.default is not None:
                v = self.adapt(self.default_value(fi.default, fi.ty), fi.ty)
            elif isinstance(fi.ty, OptTy):
                v = ir.NoneV(fi.ty)
            else:
                v = ir.Const(fi.ty, None)  # @auto: zero until the database assigns it
            fields.append((fi.name, v))
        return ir.NewStruct(ty, fields)

    def default_value(self, d: A.Expr, ty: Ty) -> ir.Expr:
        """A decorator's constant (it was typed when the struct was checked)."""
        base = ty.inner if isinstance(ty, OptTy) else ty
        if isinstance(d, A.Path):
            assert isinstance(base, EnumTy)
            return ir.Const(base, self.c.enums[base.name].variants.index(d.parts[-1]))
        if isinstance(d, A.NilLit):
            return ir.NoneV(ty)
        neg = isinstance(d, A.Unary)
        lit = d.operand if isinstance(d, A.Unary) else d
        assert isinstance(lit, (A.IntLit, A.FloatLit, A.StrLit, A.BoolLit))
        val = lit.value
        if neg:
            assert isinstance(val, (int, float))
            val = -val
        if base == FLOAT:
            assert isinstance(val, (int, float))
            return ir.Const(FLOAT, float(val))
        return ir.Const(base, val)

    def call(self, e: A.Call, out: list[ir.Stmt]) -> ir.Expr:
        ty = self.ty(e)
        tgt = self.c.calls[id(e)]
        kind, name = tgt.kind, tgt.name
        loc = self.loc(e)
        if kind == "fn":
            fi = tgt.fn
            assert fi is not None
            if fi.receiver is not None:
                assert isinstance(e.func, A.Field)
                vals = self.exprs([e.func.obj] + e.args, out)
            else:
                vals = self.exprs(e.args, out)
            args = [self.adapt(v, pt) for v, (_, pt) in zip(vals, fi.params)]
            return ir.CallFn(ty, fi.cname, args)
        if kind == "builtin":
            vals = self.exprs(e.args, out)
            if name == "panic":
                return ir.Panic(NEVER, vals[0], loc)
            if name == "print":
                return ir.CallRt(VOID, "print",
                                 [v if v.ty == STR else ir.ToStr(STR, v) for v in vals])
            return ir.CallRt(ty, name, vals, loc)
        if kind in ("response", "json"):
            vals = self.exprs(e.args, out)
            return ir.CallRt(ty, f"{kind}.{name}", vals, loc)
        if kind == "db":
            return self.db_call(e, name, ty, loc, out)
        assert isinstance(e.func, A.Field)
        if kind == "tostr":
            return ir.ToStr(STR, self.expr(e.func.obj, out))
        if kind == "arr" and name == "push":
            target = self.lvalue(e.func.obj, out)
            v = self.expr(e.args[0], out)
            assert isinstance(target.ty, ArrayTy)
            return ir.CallRt(VOID, "arr.push", [target, self.adapt(v, target.ty.elem)], loc)
        vals = self.exprs([e.func.obj] + e.args, out)
        if kind == "arr" and name in ("first", "last"):
            arr = vals[0] if isinstance(vals[0], ir.Var) else self.temp(vals[0].ty, vals[0], out)
            vals = [arr]
        return ir.CallRt(ty, f"{kind}.{name}", vals, loc)

    def db_call(self, e: A.Call, name: str, ty: Ty, loc: str,
                out: list[ir.Stmt]) -> ir.Expr:
        """Data-layer calls. `db.query(sql, [a, b])` becomes `db.query(sql, a, b)` (the
        parameters may have different types); an array variable of parameters becomes
        `db.query_dyn(sql, arr)`."""
        if name in ("open", "sqlite", "get"):
            args = self.exprs(e.args, out)
            return ir.CallRt(ty, f"db.{name}", args, loc)
        sql = e.args[0]
        assert isinstance(sql, A.StrLit)
        params = e.args[1] if len(e.args) > 1 else None
        op = f"db.{name}"
        if params is None:
            vals: list[ir.Expr] = []
        elif isinstance(params, A.ArrayLit):
            vals = self.exprs(params.items, out)
        elif isinstance(self.ty(params), ArrayTy):
            vals = [self.expr(params, out)]
            op += "_dyn"
        else:
            vals = [self.expr(params, out)]
        return ir.CallRt(ty, op, [ir.Const(STR, sql.value)] + vals, loc)


def lower(checked: Checked, root: str) -> ir.Program:
    """Lower a checked program (no errors) to IR. `root` is the project folder; source
    locations in the IR are relative to it."""
    return Lowerer(checked, root).program()


__all__ = ["ERROR", "lower"]
