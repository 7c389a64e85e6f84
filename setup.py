"""Build anila: compile the Go core and its gopy binding into one shared library inside the
Python package.

`pip install .` runs this. It needs Go (>= 1.26) and a C compiler; gopy and goimports are
built from the Go module proxy at the versions pinned in go.mod. With libopenblas-dev
installed, matrix products use OpenBLAS (build tag `cblas`); without it, pure Go.
Environment: ANILA_BLAS=openblas|go forces the choice; GO names the go binary.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile

from setuptools import Distribution, setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))
RUNTIME_FILES = ("__init__.py", "capi.py", "go.py")


class BuildError(RuntimeError):
    """The Go library could not be built."""


def _find_go() -> str:
    cand = [os.environ.get("GO"), shutil.which("go"), "/usr/local/go/bin/go"]
    for c in cand:
        if c and os.path.exists(c):
            return c
    raise BuildError("anila needs Go >= 1.26 to build (https://go.dev/dl/): `go` was not found on PATH "
                     "(set GO=/path/to/go to point at one)")


def _find_cc() -> str:
    for c in (os.environ.get("CC"), "cc", "gcc", "clang"):
        if c and shutil.which(c):
            return shutil.which(c)
    raise BuildError("anila needs a C compiler to build (cgo): none of cc, gcc, clang was found; "
                     "install one, e.g. `apt-get install gcc`")


def _have_openblas(cc: str) -> bool:
    with tempfile.TemporaryDirectory() as d:
        src = os.path.join(d, "t.c")
        with open(src, "w") as f:
            f.write("void openblas_set_num_threads(int);\nint main(void){openblas_set_num_threads(1);return 0;}\n")
        r = subprocess.run([cc, src, "-o", os.path.join(d, "t"), "-lopenblas"], capture_output=True)
        return r.returncode == 0


def _run(cmd, env, cwd=HERE):
    print("anila build:", " ".join(cmd), flush=True)
    r = subprocess.run(cmd, env=env, cwd=cwd)
    if r.returncode != 0:
        raise BuildError(f"command failed with exit code {r.returncode}: {' '.join(cmd)}")


def build_library(dest: str) -> None:
    """Compile the shared library and its gopy wrapper into dest (a package folder)."""
    go = _find_go()
    cc = _find_cc()
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(go) + os.pathsep + env.get("PATH", "")
    env.setdefault("CC", cc)
    env["CGO_ENABLED"] = "1"
    if "-buildvcs" not in env.get("GOFLAGS", ""):
        env["GOFLAGS"] = (env.get("GOFLAGS", "") + " -buildvcs=false").strip()
    choice = os.environ.get("ANILA_BLAS", "auto")
    if choice not in ("auto", "openblas", "go"):
        raise BuildError(f"ANILA_BLAS must be openblas, go or auto, got {choice!r}")
    use_openblas = choice == "openblas" or (choice == "auto" and _have_openblas(cc))
    if choice == "openblas" and not _have_openblas(cc):
        raise BuildError("ANILA_BLAS=openblas but -lopenblas does not link: apt-get install libopenblas-dev")
    tools = os.path.join(HERE, "build", "tools")
    os.makedirs(tools, exist_ok=True)
    _run([go, "build", "-o", tools + os.sep, "github.com/go-python/gopy", "golang.org/x/tools/cmd/goimports"], env)
    env["PATH"] = tools + os.pathsep + env["PATH"]
    # gopy's output must lie inside the Go module; a folder starting with "_" keeps the
    # generated package main out of ./...
    out = os.path.join(HERE, "build", "_gopy")
    shutil.rmtree(out, ignore_errors=True)
    cmd = [os.path.join(tools, "gopy"), "build", f"-output={out}", f"-vm={sys.executable}", "-name=capi"]
    if use_openblas:
        cmd.append("-build-tags=cblas")
    cmd.append("./capi")
    _run(cmd, env)
    os.makedirs(dest, exist_ok=True)
    so = [f for f in os.listdir(out) if f.startswith("_capi") and f.endswith(".so")]
    if len(so) != 1:
        raise BuildError(f"gopy produced {so} in {out}, expected one _capi*.so")
    for f in RUNTIME_FILES + (so[0],):
        shutil.copy2(os.path.join(out, f), os.path.join(dest, f))
    print(f"anila build: BLAS = {'OpenBLAS' if use_openblas else 'pure Go (gonum)'}", flush=True)


class BuildPyWithGo(build_py):
    """build_py that also builds the Go library into anila/_capi."""

    def run(self):
        super().run()
        try:
            build_library(os.path.join(self.build_lib, "anila", "_capi"))
        except BuildError as exc:
            sys.exit(f"error: {exc}")


class BinaryDistribution(Distribution):
    """The wheel holds a compiled library, so it is platform specific."""

    def has_ext_modules(self):
        return True


setup(
    cmdclass={"build_py": BuildPyWithGo},
    distclass=BinaryDistribution,
    package_dir={"": "python"},
    packages=["anila"],
)
