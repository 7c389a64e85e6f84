"""Analytic energies with exact answers, to check samplers against the truth, and `sample`,
which draws from any energy with any sampler."""

from __future__ import annotations

import weakref

import numpy as np

from . import _config
from ._lib import capi, cfunc, check_process, close_handle, go_floats, gocall, ptr
from ._validate import as_points, check_bool, check_choice, check_float, check_int, check_seed


class AnalyticEnergy:
    """Base of the analytic energies: f is the exact normalised log density (float64)."""

    dtype = np.dtype(np.float64)

    def __init__(self, handle: int, dim: int):
        self._h = int(handle)
        self.dim = int(dim)
        self._finalizer = weakref.finalize(self, close_handle, self._h)

    def close(self) -> None:
        """Free the Go-side energy; calling it twice is fine."""
        if self._finalizer.alive:
            self._finalizer()

    def _handle(self) -> int:
        if not self._finalizer.alive:
            raise ValueError("this energy is closed")
        check_process()
        return self._h

    def _eval(self, X):
        h = self._handle()
        X = as_points(X, "X", np.float64, self.dim, allow_empty=True)
        f = np.empty(X.shape[0])
        g = np.empty_like(X)
        if X.shape[0]:
            cfunc("anila_energy", h, ptr(X), X.shape[0], self.dim, ptr(f), ptr(g))
        return f, g

    def energy(self, X) -> np.ndarray:
        """log p(x) for each row of X (n, dim)."""
        return self._eval(X)[0]

    def energy_grad(self, X) -> np.ndarray:
        """∇ log p(x) for each row of X (n, dim)."""
        return self._eval(X)[1]


def _floats(name, a) -> np.ndarray:
    """a as a float64 array; numbers of any real dtype are accepted for these small inputs."""
    try:
        arr = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be an array of numbers: {exc}") from None
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} must be finite")
    return arr


def _matrix(name, a, d):
    a = _floats(name, a)
    if a.shape != (d, d):
        raise ValueError(f"{name} must have shape ({d}, {d}), got {a.shape}")
    if not np.isfinite(a).all():
        raise ValueError(f"{name} must be finite")
    return a


class Gaussian(AnalyticEnergy):
    """The energy of N(mean, cov)."""

    def __init__(self, mean, cov):
        self.mean = _floats("mean", mean).ravel()
        if self.mean.size == 0:
            raise ValueError("mean must not be empty")
        d = self.mean.size
        self.cov = _matrix("cov", cov, d)
        super().__init__(gocall(capi.NewGaussianEnergy, go_floats(self.mean), go_floats(self.cov)), d)


class Mixture(AnalyticEnergy):
    """The energy of a Gaussian mixture Σ_k weights[k]·N(means[k], covs[k])."""

    def __init__(self, weights, means, covs):
        self.weights = _floats("weights", weights).ravel()
        k = self.weights.size
        self.means = as_points(_floats("means", means), "means")
        if self.means.shape[0] != k:
            raise ValueError(f"means must have {k} rows (one per weight), got {self.means.shape[0]}")
        d = self.means.shape[1]
        self.covs = _floats("covs", covs)
        if self.covs.shape != (k, d, d):
            raise ValueError(f"covs must have shape ({k}, {d}, {d}), got {self.covs.shape}")
        h = gocall(capi.NewMixtureEnergy, go_floats(self.weights), go_floats(self.means), go_floats(self.covs), d)
        super().__init__(h, d)

    def mean_cov(self):
        """The mixture's mean (d,) and covariance (d, d)."""
        m = self.weights @ self.means
        c = sum(w * (C + np.outer(mu - m, mu - m)) for w, mu, C in zip(self.weights, self.means, self.covs))
        return m, c


def sample(energy, n: int, *, sampler: str = "anila", steps: int = 1000, step_size: float | None = None,
           threshold: float | None = None, noise_scale: float = 1.0, adjusted: bool = False,
           anisotropy: str = "coordinate", init="normal", seed: int = 0, noise=None, uniforms=None,
           progress: bool = False, return_info: bool = False):
    """Draw n samples from an energy (an analytic energy or a `Model`) by `steps` Langevin
    steps of the given sampler, starting from init ("normal", "noise" in [-1, 1], or an
    array (n, dim)). noise (steps, n, dim) and uniforms (steps, n, adjusted only) replace the
    seeded random stream. Returns an (n, dim) array, and the step statistics if return_info."""
    from .model import Model, _run_chains

    if isinstance(energy, Model):
        return energy.sample(n, steps=steps, init=init, seed=seed, sampler=sampler, step_size=step_size,
                             threshold=threshold, noise_scale=noise_scale, adjusted=adjusted,
                             anisotropy=anisotropy, noise=noise, uniforms=uniforms, progress=progress,
                             return_info=return_info)
    if not isinstance(energy, AnalyticEnergy):
        raise TypeError(f"energy must be an anila energy or Model, got {type(energy).__name__}")
    p = {
        "sampler": check_choice("sampler", sampler, _config.SAMPLERS),
        "adjusted": check_bool("adjusted", adjusted),
        "anisotropy": check_choice("anisotropy", anisotropy, _config.ANISOTROPY),
        "noise_scale": check_float("noise_scale", noise_scale, 0),
        "channels": 1,
    }
    p["step_size"] = check_float("step_size", _config.DEFAULT_STEP_SIZE[p["sampler"]] if step_size is None else step_size, 0, lo_open=True)
    p["threshold"] = check_float("threshold", _config.DEFAULT_THRESHOLD if threshold is None else threshold, 0, lo_open=True)
    sopts = _config.sampler_options(p)
    n = check_int("n", n, 1, 1 << 24)
    steps = check_int("steps", steps, 0)
    return _run_chains(energy._handle(), energy.dim, np.float64, sopts, n, steps, init,
                       check_seed(seed), (-1.0, 1.0), progress, return_info, noise, uniforms)
