"""anila: energy-based models trained with anisotropic Langevin dynamics (AniLA) or SGLD,
on a Go engine.

Quick start::

    import anila
    X = anila.datasets.rings(10_000, seed=0)
    model = anila.train(X, sampler="anila", iterations=2000, seed=0)
    Z = model.sample(1000)

What lives where: `model` (Model, train, load, resume), `estimator` (EBM), `datasets` (toy data),
`nn` (architectures as layers, torch.nn's names), `energies` (analytic energies, Python
functions, sample), `metrics` (mmd), `plot` (matplotlib figures),
`distributed` (data-parallel training over MPI or torch.distributed, `train(comm=...)`),
`errors` (DivergenceError, DistributedError). The Go core is reached through one shared library (`_lib`).
anila uses the Go runtime: after fork it cannot run; use multiprocessing's 'spawn' method.
"""

from __future__ import annotations

from . import datasets, distributed, energies, metrics, nn
from ._lib import capi as _capi
from .energies import sample
from .errors import DistributedError, DivergenceError
from .estimator import EBM
from .model import Model, load, new_model, resume, train

__version__ = _capi.LibraryVersion()


def set_num_threads(n: int) -> None:
    """Compute on n threads (n < 1: all cores). Results do not depend on it."""
    from ._validate import check_int

    _capi.SetThreads(check_int("n", n))


def get_num_threads() -> int:
    """The number of threads anila computes on."""
    return int(_capi.Threads())


def model_defaults(energy: str = "mlp") -> dict:
    """The defaults of every parameter of `train` and `EBM` for an energy kind ("mlp", or the
    image energies "convnet" and "vanilla", whose defaults differ); step_size and threshold
    None mean the energy kind's values."""
    from . import _config

    return _config.defaults_for(_config.check_choice("energy", energy, _config.ENERGIES))


def blas() -> str:
    """The BLAS in use: OpenBLAS with its version and the kernel family it chose for this
    processor at load time (e.g. "OpenBLAS 0.3.34.481.3 (scipy-openblas32, SkylakeX kernels)"),
    or "gonum (pure Go)" for a build with ANILA_BLAS=go."""
    return _capi.BLAS()


def __getattr__(name):
    # anila.plot imports matplotlib lazily.
    if name in ("plot", "torch"):
        import importlib

        return importlib.import_module("." + name, __name__)
    raise AttributeError(f"module 'anila' has no attribute {name!r}")


__all__ = ["train", "new_model", "load", "Model", "EBM", "sample", "datasets", "energies", "metrics", "nn",
           "DivergenceError", "DistributedError", "distributed", "model_defaults", "resume", "set_num_threads", "get_num_threads", "blas", "__version__"]
