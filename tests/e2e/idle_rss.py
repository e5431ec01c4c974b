"""RSS per 1,000 idle keep-alive connections, for Doo or nginx, measured the same way.

    python tests/e2e/idle_rss.py doo BINARY [N]     # e.g. a `doo build examples/hello` binary
    python tests/e2e/idle_rss.py nginx [N]          # needs nginx (Debian: nginx-light)

Starts the server on a free 127.0.0.1 port with one worker, makes 20 warm-up requests,
reads the RSS of every server process (/proc/PID/status VmRSS, summed over nginx's master
and worker), opens N connections (default 10,000) from several loopback source addresses,
sends one GET on each and reads its answer, then reads the RSS again with all N held open.
Prints the growth per 1,000 connections. test_connections.py asserts the Doo figure.
"""

from __future__ import annotations

import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from servers import free_port
from test_connections import connect, read_answers, rss_kb

NGINX_CONF = """
worker_processes 1;
daemon off;
master_process on;
pid {dir}/nginx.pid;
error_log {dir}/error.log;
events {{ worker_connections 20000; }}
http {{
    access_log off;
    keepalive_timeout 600;
    keepalive_requests 100000;
    client_body_temp_path {dir};
    proxy_temp_path {dir};
    fastcgi_temp_path {dir};
    uwsgi_temp_path {dir};
    scgi_temp_path {dir};
    server {{
        listen 127.0.0.1:{port};
        location /plaintext {{ default_type text/plain; return 200 "Hello, World!"; }}
    }}
}}
"""


def children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True,
                         check=False).stdout
    return [int(x) for x in out.split()]


def start(kind: str, binary: str | None, port: int, tmp: Path) -> subprocess.Popen[bytes]:
    if kind == "nginx":
        conf = tmp / "nginx.conf"
        conf.write_text(NGINX_CONF.format(dir=tmp, port=port))
        cmd = ["nginx", "-c", str(conf), "-p", str(tmp)]
        env = dict(os.environ)
    else:
        assert binary
        cmd = [binary]
        env = {**os.environ, "DOO_ADDR": f"127.0.0.1:{port}", "DOO_THREADS": "1"}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    end = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc
        except OSError:
            if time.monotonic() > end or proc.poll() is not None:
                raise SystemExit(f"{kind} did not start")
            time.sleep(0.05)


def measure(kind: str, binary: str | None, n: int) -> float:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 1000), hard))
    port = free_port()
    with tempfile.TemporaryDirectory() as d:
        proc = start(kind, binary, port, Path(d))
        try:
            pids = [proc.pid] + children(proc.pid)
            for _ in range(20):
                c = connect(port)
                c.sendall(b"GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n")
                read_answers([c], 5)
                c.close()
            time.sleep(0.5)
            before = sum(rss_kb(p) for p in pids)
            socks = []
            for i in range(n):
                c = connect(port, i)
                c.sendall(b"GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n")
                socks.append(c)
            answered = read_answers(socks, 60)
            time.sleep(1)
            after = sum(rss_kb(p) for p in pids)
            for c in socks:
                c.close()
        finally:
            os.kill(proc.pid, signal.SIGTERM if kind != "nginx" else signal.SIGQUIT)
            proc.wait(timeout=15)
    per_1000 = (after - before) * 1000 / n
    print(f"{kind}: {len(answered)}/{n} answered; RSS {before} KB -> {after} KB; "
          f"{per_1000:.0f} KB per 1,000 idle keep-alive connections "
          f"({(after - before) * 1024 / n:.0f} bytes each)")
    return per_1000


if __name__ == "__main__":
    kind = sys.argv[1]
    if kind == "doo":
        measure("doo", sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 10_000)
    else:
        measure("nginx", None, int(sys.argv[2]) if len(sys.argv) > 2 else 10_000)
