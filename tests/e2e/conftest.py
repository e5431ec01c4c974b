"""Fixtures for the end-to-end tests: each example is built once per session (or taken from
DOO_E2E_BINARY_<NAME>), and servers started by a test are stopped by pid when it ends."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from servers import Server, build_example, start_server


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "measurement: a memory/CPU/fd figure of the real build; not run against the "
                   "sanitizer build (whose allocator changes every figure)")


@pytest.fixture(scope="session")
def binaries(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """binaries("hello") → the path of that example's binary, built at most once."""
    out_dir = tmp_path_factory.mktemp("bin")
    cache: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in cache:
            cache[name] = build_example(name, out_dir)
        return cache[name]

    return get


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """Start servers for one test; any still running at the end are stopped (SIGTERM, pid)."""
    started: list[Server] = []

    def make(binary: Path, threads: int = 1, env: dict[str, str] | None = None) -> Server:
        s = start_server(binary, tmp_path / "run", threads, env)
        started.append(s)
        return s

    yield make
    for s in started:
        if s.alive():
            s.stop()
