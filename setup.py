"""Build anila: compile the Go core and its gopy binding into one shared library inside the
Python package.

`pip install .` (and `make wheel`) run this. Building needs Go (>= 1.26) and a C compiler;
gopy and goimports are built from the Go module proxy at the versions pinned in go.mod, and
OpenBLAS comes from the PyPI package scipy-openblas32 (a build requirement in pyproject.toml):
its libscipy_openblas.so, which picks kernels for the processor at run time, is copied next to
the extension (found there through the RPATH $ORIGIN), so an installed anila needs no system
BLAS. For wheels (`make wheel`) auditwheel copies it into anila.libs/ instead.

Environment:
- ANILA_BLAS=openblas|go: OpenBLAS (default) or gonum's pure Go BLAS (no OpenBLAS at all).
- ANILA_BUNDLE_OPENBLAS=0: do not copy the library into the package; the extension's RPATH
  names scipy-openblas32's folder, and auditwheel bundles the library (`make wheel` sets it).
- GO names the go binary; CC the C compiler (e.g. `python -m ziglang cc -target
  x86_64-linux-gnu.2.28` for wheels that run on older glibc).
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys

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
    raise BuildError("anila needs Go >= 1.26 to build from source (https://go.dev/dl/): `go` was not "
                     "found on PATH (set GO=/path/to/go to point at one). Without Go, install a wheel: "
                     "`pip install anila`")


def _find_cc() -> str:
    cc = os.environ.get("CC")
    if cc:
        return cc
    for c in ("cc", "gcc", "clang"):
        if shutil.which(c):
            return shutil.which(c)
    raise BuildError("anila needs a C compiler to build from source (cgo): none of cc, gcc, clang was "
                     "found; install one, e.g. `apt-get install gcc`, or install a wheel: `pip install anila`")


def _openblas():
    """(include dir, lib dir, library file name) of the scipy-openblas32 package."""
    try:
        import scipy_openblas32 as sob
    except ImportError as exc:
        raise BuildError("ANILA_BLAS=openblas needs the PyPI package scipy-openblas32 at build time "
                         "(pyproject.toml's build requirements install it; for a build without build "
                         "isolation, `pip install scipy-openblas32`), or build with ANILA_BLAS=go") from exc
    return sob.get_include_dir(), sob.get_lib_dir(), sob.get_library(fullname=True)


def _run(cmd, env, cwd=HERE):
    print("anila build:", " ".join(cmd), flush=True)
    r = subprocess.run(cmd, env=env, cwd=cwd)
    if r.returncode != 0:
        raise BuildError(f"command failed with exit code {r.returncode}: {' '.join(cmd)}")


def build_library(dest: str) -> None:
    """Compile the shared library and its gopy wrapper into dest (a package folder), with
    libscipy_openblas beside it unless ANILA_BLAS=go."""
    go = _find_go()
    cc = _find_cc()
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(go) + os.pathsep + env.get("PATH", "")
    env["CC"] = cc
    env["CGO_ENABLED"] = "1"
    # -trimpath: no build folder in the binary, so builds from any folder (a clone, pip's
    # temporary sdist folder) are the same and share Go's build cache.
    for flag, value in (("-buildvcs", "-buildvcs=false"), ("-trimpath", "-trimpath")):
        if flag not in env.get("GOFLAGS", ""):
            env["GOFLAGS"] = (env.get("GOFLAGS", "") + " " + value).strip()
    choice = os.environ.get("ANILA_BLAS", "openblas")
    if choice not in ("openblas", "go"):
        raise BuildError(f"ANILA_BLAS must be openblas or go, got {choice!r}")
    openblas = choice == "openblas"
    blas_copy = None  # the library copied next to the extension, for source installs
    if openblas:
        inc, libdir, libname = _openblas()
        env["CGO_CFLAGS"] = (env.get("CGO_CFLAGS", "") + f" -I{shlex.quote(inc)}").strip()
        bundle = os.environ.get("ANILA_BUNDLE_OPENBLAS", "1")
        if bundle not in ("0", "1"):
            raise BuildError(f"ANILA_BUNDLE_OPENBLAS must be 0 or 1, got {bundle!r}")
        # Installed from source, the extension finds libscipy_openblas beside itself ($ORIGIN);
        # in a wheel, auditwheel copies it into anila.libs/ and rewrites the RPATH.
        if bundle == "1":
            blas_copy = os.path.join(libdir, libname)
        rpath = "$ORIGIN" if bundle == "1" else shlex.quote(libdir)
        env["CGO_LDFLAGS"] = (env.get("CGO_LDFLAGS", "") + f" -L{shlex.quote(libdir)} -Wl,-rpath,{rpath}").strip()
    tools = os.path.join(HERE, "build", "tools")
    os.makedirs(tools, exist_ok=True)
    tool_env = dict(env, CC=shutil.which("cc") or cc)  # gopy and goimports are pure Go
    tool_env["CGO_ENABLED"] = "0"
    _run([go, "build", "-o", tools + os.sep, "github.com/go-python/gopy", "golang.org/x/tools/cmd/goimports"], tool_env)
    env["PATH"] = tools + os.pathsep + env["PATH"]
    # gopy's output must lie inside the Go module; a folder starting with "_" keeps the
    # generated package main out of ./...
    out = os.path.join(HERE, "build", "_gopy")
    shutil.rmtree(out, ignore_errors=True)
    # -dynamic-link: the extension does not link libpython; the interpreter that loads it
    # provides the symbols (manylinux interpreters have no libpython.so).
    cmd = [os.path.join(tools, "gopy"), "build", f"-output={out}", f"-vm={sys.executable}", "-name=capi",
           "-dynamic-link=true"]
    if openblas:
        cmd.append("-build-tags=cblas")
    cmd.append("./capi")
    _run(cmd, env)
    os.makedirs(dest, exist_ok=True)
    so = [f for f in os.listdir(out) if f.startswith("_capi") and f.endswith(".so")]
    if len(so) != 1:
        raise BuildError(f"gopy produced {so} in {out}, expected one _capi*.so")
    for f in RUNTIME_FILES + (so[0],):
        shutil.copy2(os.path.join(out, f), os.path.join(dest, f))
    if blas_copy:
        shutil.copy2(blas_copy, os.path.join(dest, os.path.basename(blas_copy)))
    print(f"anila build: BLAS = {'OpenBLAS from scipy-openblas32' if openblas else 'pure Go (gonum)'}", flush=True)


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
