"""The `doo` command line: argument parsing and exit codes only.

Exit codes: 0 ok, 1 user error (diagnostics printed), 2 usage error, 3 a bug in doo (the
message says so; DOO_DEBUG=1 shows the traceback). No Python traceback reaches a user
otherwise. Every command's work is a call into `doo.pipeline` or `doo.backend_c.toolchain`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from doo import __version__, pipeline
from doo.backend_c import toolchain
from doo.diagnostics import render, to_json_lines
from doo.frontend import ir

EXIT_OK, EXIT_USER, EXIT_USAGE, EXIT_BUG = 0, 1, 2, 3


class UsageError(Exception):
    pass


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # type: ignore[name-defined]  # noqa: F821
        raise UsageError(message)


def progress(msg: str) -> None:
    print(f"doo: {msg}", file=sys.stderr, flush=True)


def report(res: pipeline.Result, as_json: bool = False) -> None:
    diags = sorted(res.diagnostics, key=lambda d: (d.severity != "error", d.span.file,
                                                   d.span.line, d.span.col))
    if as_json:
        if diags:
            print(to_json_lines(diags))
        return
    for d in diags:
        print(render(d, res.sources), file=sys.stderr)
        print(file=sys.stderr)
    errors = sum(1 for d in diags if d.severity == "error")
    if errors:
        print(f"doo: {errors} error{'s' if errors != 1 else ''}", file=sys.stderr)


def resolve(path: str | None) -> Path:
    p = Path(path or ".")
    if not p.exists():
        raise UsageError(f"no such file or folder: {p}")
    if p.is_dir() and not (p / "main.doo").exists():
        raise UsageError(f"{p} has no main.doo (give a project folder or a .doo file)")
    if p.is_file() and p.suffix != ".doo":
        raise UsageError(f"{p} is not a .doo file")
    return p


def cmd_check(a: argparse.Namespace) -> int:
    res = pipeline.check_path(resolve(a.path))
    report(res, a.json)
    if res.ok and not a.json:
        print("doo: no problems found", file=sys.stderr)
    return EXIT_OK if res.ok else EXIT_USER


def build_opts(a: argparse.Namespace, target: str = "native") -> toolchain.BuildOptions:
    mode = "release" if getattr(a, "release", False) else (
        "debug" if getattr(a, "debug", False) else "dev")
    return toolchain.BuildOptions(target=target, mode=mode)


def do_build(path: Path, out: Path | None, opts: toolchain.BuildOptions) -> Path | None:
    res = pipeline.build(path, out, opts, progress)
    report(res)
    if not res.ok:
        return None
    assert res.binary is not None
    return res.binary


def cmd_build(a: argparse.Namespace) -> int:
    binary = do_build(resolve(a.path), Path(a.output) if a.output else None, build_opts(a))
    if binary is None:
        return EXIT_USER
    progress(f"built {binary}")
    return EXIT_OK


def cmd_compile(a: argparse.Namespace) -> int:
    opts = toolchain.BuildOptions(target=a.target, mode="release")
    binary = do_build(resolve(a.path), Path(a.output) if a.output else None, opts)
    if binary is None:
        return EXIT_USER
    progress(f"built {binary} for {a.target}")
    return EXIT_OK


def load_env_file(root: Path) -> dict[str, str]:
    """KEY=VALUE lines of the project's .env (comments and blank lines skipped; the process
    environment wins over the file)."""
    env: dict[str, str] = {}
    f = root / ".env"
    if not f.is_file():
        return env
    for line in f.read_text(encoding="utf-8", errors="replace").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        k, v = line.split("=", 1)
        k = k.strip().removeprefix("export ").strip()
        v = v.strip()
        if len(v) >= 2 and v[0] == v[-1] and v[0] in "'\"":
            v = v[1:-1]
        env[k] = v
    return env


def cmd_run(a: argparse.Namespace) -> int:
    path = resolve(a.path)
    binary = do_build(path, None, build_opts(a))
    if binary is None:
        return EXIT_USER
    env = load_env_file(pipeline.project_root(path.resolve()))
    env.update(os.environ)
    sys.stdout.flush()
    sys.stderr.flush()
    # Replace this process so that signals (Ctrl-C, SIGTERM) reach the server directly.
    os.execve(str(binary), [str(binary)], env)
    return EXIT_BUG  # pragma: no cover - execve does not return


def cmd_emit_c(a: argparse.Namespace) -> int:
    res = pipeline.to_c(resolve(a.path), "release" if a.release else "dev")
    report(res)
    if res.c_source is None:
        return EXIT_USER
    sys.stdout.write(res.c_source)
    return EXIT_OK


def cmd_emit_ir(a: argparse.Namespace) -> int:
    res = pipeline.to_ir(resolve(a.path))
    report(res)
    if res.ir is None:
        return EXIT_USER
    sys.stdout.write(ir.show(res.ir))
    return EXIT_OK


def cmd_bench(a: argparse.Namespace) -> int:
    from doo.devloop import bench, benchrun  # the engine is only needed here

    try:
        duration = bench.parse_duration(a.duration)
    except ValueError as e:
        raise UsageError(f"-d: {e} (use e.g. 10s, 500ms, 1m)") from e
    if not a.route.startswith("/") or a.connections < 1 or not 1 <= a.pipeline <= 256:
        raise UsageError("--route must start with /, -c must be ≥ 1, --pipeline 1..256")
    cfg = bench.BenchConfig(path=a.route, connections=a.connections, duration=duration,
                            pipeline=a.pipeline, tick=1.0 if duration >= 3 else 0.25)
    try:
        run = benchrun.bench_project(
            resolve(a.path), cfg, on_tick=lambda t: print(bench.format_tick(t), flush=True),
            progress=progress)
    except bench.BenchError as e:
        print(f"doo: bench: {e}", file=sys.stderr)
        return EXIT_USER
    report(run.build)
    if run.result is None:
        return EXIT_USER
    print(f"\ndoo bench: GET {a.route}, {a.connections} connections, {duration:g} s, "
          f"pipeline {a.pipeline} ({run.cpus})")
    print(bench.format_result(run.result))
    return EXIT_OK


def cmd_dev(a: argparse.Namespace) -> int:
    from doo.devloop import console

    return console.run(resolve(a.path), f"127.0.0.1:{a.port}" if a.port else None, a.jsonl)


def cmd_tui(a: argparse.Namespace) -> int:
    try:
        from doo.tui.app import run as run_tui
    except ImportError as e:
        print(f"doo: the workbench needs textual ({e}); run `pip install textual`",
              file=sys.stderr)
        return EXIT_USER
    return run_tui(resolve(a.path), f"127.0.0.1:{a.port}" if a.port else None)


TEMPLATES = {
    "hello": """import std::Http::Server;

struct Message { message: Str }

fn Hello() -> Message {
    return Message { message: "Hello, World!" };
}

fn Greet(name: Str) -> Str => "Hello, ${name}!";

fn main() {
    let app = Server::new(":3000");
    app.get("/", Hello);
    app.get("/hello/:name", Greet);
    app.start();
}
""",
}


def cmd_init(a: argparse.Namespace) -> int:
    if a.template not in TEMPLATES:
        print(f"doo: the `{a.template}` template needs the data layer, which is not built yet; "
              "use --template hello", file=sys.stderr)
        return EXIT_USER
    d = Path(a.dir)
    if (d / "main.doo").exists():
        print(f"doo: {d / 'main.doo'} already exists", file=sys.stderr)
        return EXIT_USER
    d.mkdir(parents=True, exist_ok=True)
    (d / "main.doo").write_text(TEMPLATES[a.template], encoding="utf-8")
    (d / ".gitignore").write_text("build/\n.env\n*.db\n*.db-wal\n*.db-shm\n", encoding="utf-8")
    (d / "README.md").write_text(
        f"# {d.resolve().name}\n\nA Doo API. Run it with `doo run`, then "
        "`curl localhost:3000/`.\n", encoding="utf-8")
    progress(f"created {d / 'main.doo'}; run it with: doo run {d}")
    return EXIT_OK


def make_parser() -> Parser:
    p = Parser(prog="doo", description="Doo: a small compiled language for HTTP APIs.")
    p.add_argument("--version", action="version", version=f"doo {__version__}")
    sub = p.add_subparsers(dest="cmd", required=True, parser_class=Parser)

    s = sub.add_parser("init", help="create a new project")
    s.add_argument("--template", default="hello", choices=["hello", "crud", "auth"])
    s.add_argument("dir")
    s.set_defaults(fn=cmd_init)

    s = sub.add_parser("check", help="parse and type-check; diagnostics only")
    s.add_argument("path", nargs="?")
    s.add_argument("--json", action="store_true", help="diagnostics as JSON lines")
    s.set_defaults(fn=cmd_check)

    for name, fn, helptext in (("build", cmd_build, "build a native binary"),
                               ("run", cmd_run, "build (cached) and start the server")):
        s = sub.add_parser(name, help=helptext)
        s.add_argument("path", nargs="?")
        if name == "build":
            s.add_argument("-o", "--output")
        g = s.add_mutually_exclusive_group()
        g.add_argument("--release", action="store_true")
        g.add_argument("--debug", action="store_true")
        s.set_defaults(fn=fn)

    s = sub.add_parser("compile", help="optimised, stripped binary for another machine")
    s.add_argument("path", nargs="?")
    s.add_argument("--target", required=True, help="zig triple, e.g. x86_64-linux-musl, "
                   "aarch64-linux-musl, or native")
    s.add_argument("-o", "--output")
    s.set_defaults(fn=cmd_compile)

    s = sub.add_parser("bench", help="build with --release, start, load a route, report")
    s.add_argument("path", nargs="?")
    s.add_argument("--route", default="/plaintext", help="request target (default /plaintext)")
    s.add_argument("-c", "--connections", type=int, default=256)
    s.add_argument("-d", "--duration", default="10s", help="e.g. 10s, 500ms, 1m")
    s.add_argument("--pipeline", type=int, default=1, help="requests per write (1 = none)")
    s.set_defaults(fn=cmd_bench)

    s = sub.add_parser("dev", help="watch: on save re-check, rebuild, restart the server")
    s.add_argument("path", nargs="?")
    s.add_argument("--port", type=int, help="serve on 127.0.0.1:PORT (default: DOO_ADDR, "
                   "PORT, or 3000)")
    s.add_argument("--jsonl", action="store_true", help="every event as one JSON line")
    s.set_defaults(fn=cmd_dev)

    s = sub.add_parser("tui", help="the workbench: problems, server log, requests, bench")
    s.add_argument("path", nargs="?")
    s.add_argument("--port", type=int, help="serve on 127.0.0.1:PORT")
    s.set_defaults(fn=cmd_tui)

    s = sub.add_parser("emit-c", help="print the generated C")
    s.add_argument("path", nargs="?")
    s.add_argument("--release", action="store_true")
    s.set_defaults(fn=cmd_emit_c)

    s = sub.add_parser("emit-ir", help="print the IR")
    s.add_argument("path", nargs="?")
    s.set_defaults(fn=cmd_emit_ir)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = make_parser().parse_args(argv)
        code: int = args.fn(args)
        return code
    except UsageError as e:
        print(f"doo: {e}", file=sys.stderr)
        print("usage: doo {init,check,build,compile,run,emit-c,emit-ir} [PATH] (doo --help)",
              file=sys.stderr)
        return EXIT_USAGE
    except toolchain.ToolchainError as e:
        print(f"doo: {e}", file=sys.stderr)
        return EXIT_USER
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # noqa: BLE001 - a bug in doo: say so plainly, never a traceback
        if os.environ.get("DOO_DEBUG"):
            traceback.print_exc()
        print(f"doo: internal error ({type(e).__name__}: {e}). This is a bug in doo; "
              "run with DOO_DEBUG=1 for details.", file=sys.stderr)
        return EXIT_BUG


def _json_dump(obj: object) -> str:  # kept for tools that import it
    return json.dumps(obj)


if __name__ == "__main__":
    sys.exit(main())
