"""anila: energy-based models trained with anisotropic Langevin dynamics (AniLA) or SGLD,
on a Go engine.

Quick start::

    import anila
    X = anila.datasets.rings(10_000, seed=0)
    model = anila.train(X, sampler="anila", iterations=2000, seed=0)
    Z = model.sample(1000)

What lives where: `model` (Model, and what makes one: train, resume, new_model, from_torch,
load), `run` (the training loop: chunks, progress, Ctrl-C, checkpoints), `settings` (the
run's parameters as Go's table has them), `estimator` (EBM), `datasets` (toy and image
data), `nn` (architectures as layers, torch.nn's names), `convert` (torch modules to layer
specs, by graph capture), `torch` (the PyTorch twin and reference computations), `energies`
(analytic energies, Python functions, sample), `sampling` (sampling runs in Go: warm-up,
tempering, masks, traces), `metrics`, `plot` (matplotlib figures),
`distributed` (data-parallel training over MPI or torch.distributed, `train(comm=...)`),
`errors` (DivergenceError, DistributedError). The Go core is reached through one shared
library (`_lib`); `_chunks` runs its long calls.
anila uses the Go runtime: after fork it cannot run; use multiprocessing's 'spawn' method.
"""

from __future__ import annotations

from . import datasets, distributed, energies, metrics, nn, settings
from ._lib import capi as _capi
from ._validate import check_int as _check_int
from .arviz_io import to_arviz
from .energies import sample
from .errors import DistributedError, DivergenceError
from .estimator import EBM
from .model import Model, from_torch, load, new_model, resume, train
from .settings import parameters

__version__ = _capi.LibraryVersion()


def set_num_threads(n: int) -> None:
    """Compute on n threads (n < 1: all cores). Results do not depend on it."""
    _capi.SetThreads(_check_int("n", n))


def get_num_threads() -> int:
    """The number of threads anila computes on."""
    return int(_capi.Threads())


def model_defaults(energy: str = "mlp") -> dict:
    """The defaults of every parameter of `train` and `EBM` for an energy kind ("mlp", or the
    image energies "convnet" and "vanilla", whose defaults differ), from Go's table; for a
    standardising MLP, train scales step_size and threshold by the data's scale."""
    return settings.defaults(energy)


def blas() -> str:
    """The BLAS in use: OpenBLAS with its version and the kernel family it chose for this
    processor at load time (e.g. "OpenBLAS 0.3.34.481.3 (scipy-openblas32, SkylakeX kernels)"),
    or "gonum (pure Go)" for a build with ANILA_BLAS=go."""
    return _capi.BLAS()


def __getattr__(name):
    # anila.plot imports matplotlib on first use.
    if name == "plot":
        import importlib

        return importlib.import_module("." + name, __name__)
    raise AttributeError(f"module 'anila' has no attribute {name!r}")


__all__ = ["train", "new_model", "from_torch", "load", "Model", "EBM", "sample", "to_arviz", "datasets", "energies", "metrics", "nn",
           "settings", "parameters",
           "DivergenceError", "DistributedError", "distributed", "model_defaults", "resume", "set_num_threads", "get_num_threads", "blas", "__version__"]
