"""Packaging hook: ship the C runtime (libdooh/) inside the wheel as doo/_libdooh.

The runtime lives at the top of the repository (it is a C project of its own, with its own
tests); a non-editable install needs a copy next to the Python package, because `doo build`
compiles it with zig on the user's machine.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildPyWithRuntime(build_py):
    def run(self) -> None:
        super().run()
        src = Path(__file__).parent / "libdooh"
        dst = Path(self.build_lib) / "doo" / "_libdooh"
        for part in ("include", "src"):
            if (dst / part).exists():
                shutil.rmtree(dst / part)
            shutil.copytree(src / part, dst / part)
        # The bench load generator (C, compiled on first `doo bench`).
        loadgen = Path(__file__).parent / "bench" / "loadgen" / "loadgen.c"
        (Path(self.build_lib) / "doo" / "_loadgen").mkdir(parents=True, exist_ok=True)
        shutil.copy2(loadgen, Path(self.build_lib) / "doo" / "_loadgen" / "loadgen.c")


setup(cmdclass={"build_py": BuildPyWithRuntime})
