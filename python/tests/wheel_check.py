"""Install a built anila wheel into a fresh virtualenv and use it as a user without Go or a C
compiler would: `make test-wheel` runs this after `make wheel`.

The check runs in a subprocess whose PATH holds only the new venv's bin folder (no go, gcc, cc,
clang or zig), with LD_LIBRARY_PATH, CC and GO unset, in an empty working folder: it imports
anila, checks that the OpenBLAS it loaded is the one bundled in the wheel (anila.libs/), trains
50 iterations on rings, samples, saves and loads. Exits non-zero on any failure.
"""

from __future__ import annotations

import argparse
import glob
import os
import shutil
import subprocess
import sys
import tempfile

USER_SCRIPT = r'''
import os, sys, shutil
for tool in ("go", "gcc", "cc", "clang", "zig"):
    assert shutil.which(tool) is None, f"{tool} is on PATH: {shutil.which(tool)}"
assert "LD_LIBRARY_PATH" not in os.environ
import numpy as np
import anila
site = os.path.dirname(os.path.dirname(anila.__file__))
assert anila.__file__.startswith(sys.prefix), anila.__file__
blas = anila.blas()
print("anila", anila.__version__, "from", os.path.dirname(anila.__file__))
print("BLAS:", blas)
assert blas.startswith("OpenBLAS 0.3.") and "scipy-openblas32" in blas and "kernels" in blas, blas
with open("/proc/self/maps") as f:
    libs = {line.split()[-1] for line in f if "libscipy_openblas" in line}
print("OpenBLAS libraries loaded:", sorted(libs))
# numpy brings its own (libscipy_openblas64_, 64-bit integers); anila's is the 32-bit one.
ours = {p for p in libs if "openblas64" not in os.path.basename(p)}
assert ours and all(p.startswith(os.path.join(site, "anila.libs") + os.sep) for p in ours), ours
X = anila.datasets.rings(2000, seed=0)
model = anila.train(X, iterations=50, seed=0, progress=False)
Z = model.sample(200, seed=1)
assert Z.shape == (200, 2) and np.isfinite(Z).all()
assert len(model.history["gap"]) == 50
model.save("rings.anila")
again = anila.load("rings.anila")
np.testing.assert_array_equal(again.energy(X[:100]), model.energy(X[:100]))
print("trained 50 iterations, sampled", Z.shape, "saved and loaded: OK")
'''


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--wheels", default="dist", help="folder with the built wheels")
    ap.add_argument("--python", default="python3", help="the Python to make the venv with")
    args = ap.parse_args()
    py = shutil.which(args.python) or args.python
    tag = subprocess.run([py, "-c", "import sys; print(f'cp{sys.version_info[0]}{sys.version_info[1]}')"],
                         capture_output=True, text=True, check=True).stdout.strip()
    wheels = sorted(glob.glob(os.path.join(os.path.abspath(args.wheels), f"anila-*-{tag}-{tag}-manylinux*.whl")))
    if len(wheels) != 1:
        print(f"wheel_check: want one manylinux wheel for {tag} in {args.wheels}, found {wheels}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="anila-wheel-") as tmp:
        venv = os.path.join(tmp, "venv")
        subprocess.run([py, "-m", "venv", venv], check=True)
        vpy = os.path.join(venv, "bin", "python")
        subprocess.run([vpy, "-m", "pip", "install", "-q", wheels[0]], check=True)
        env = {k: v for k, v in os.environ.items()
               if k not in ("LD_LIBRARY_PATH", "CC", "GO", "GOROOT", "GOPATH", "PYTHONPATH", "VIRTUAL_ENV")}
        env["PATH"] = os.path.join(venv, "bin")
        work = os.path.join(tmp, "work")
        os.mkdir(work)
        print(f"wheel_check: {os.path.basename(wheels[0])} in a fresh venv, PATH={env['PATH']}", flush=True)
        r = subprocess.run([vpy, "-c", USER_SCRIPT], cwd=work, env=env, timeout=600)
        if r.returncode != 0:
            print("wheel_check: FAILED", file=sys.stderr)
            return 1
    print("wheel_check: 1 passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
