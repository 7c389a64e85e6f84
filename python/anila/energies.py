"""Analytic energies with exact answers, to check samplers against the truth, and `sample`,
which draws from any energy with any sampler."""

from __future__ import annotations

import ctypes
import weakref

import numpy as np

from ._lib import capi, carray, cfunc, check_process, close_handle, go_floats, gocall, ptr
from .model import Model
from .sampling import params_doc, run_chains
from ._validate import as_points, check_int, check_seed


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


_ENERGY_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_longlong, ctypes.c_longlong, ctypes.c_void_p,
                              ctypes.c_void_p, ctypes.c_void_p)


class Function(AnalyticEnergy):
    """An energy you compute in Python: ``fn(X) -> (f, grad)``, with X a float64 array
    (n, dim) of points and f (n,) the unnormalised log density f(x) (high = likely) and grad
    (n, dim) its gradient ∇f(x), both float64-convertible and finite, except f = −inf where
    the density is zero (outside the target's support: the Metropolis tests of adjusted
    samplers and HMC reject proposals there; the gradient is not read).

    Go calls fn once per Langevin step with all n chains (and once more to start them), from
    its sampling thread, through a ctypes callback; each call costs about 30 µs on top of fn
    itself (the array wrapping and taking the GIL; measured: 28.7 µs per step with a trivial
    fn on 16 chains, against 0.7 µs on an analytic Gaussian), which matters only for cheap
    energies.
    An exception raised in fn stops the sampler and comes back to the caller of `sample`
    as that same exception. X is a copy that fn may keep.
    """

    def __init__(self, fn, dim: int):
        if not callable(fn):
            raise TypeError(f"fn must be callable, got {type(fn).__name__}")
        self.fn = fn
        self.exception = None
        dim = check_int("dim", dim, 1, 1 << 24)
        self._cb = _ENERGY_FN(self._call)  # kept alive as long as the handle
        addr = ctypes.cast(self._cb, ctypes.c_void_p).value
        super().__init__(gocall(capi.NewCallbackEnergy, addr, dim), dim)

    def _call(self, n, d, px, pf, pg):
        try:
            X = carray(px, n * d, np.float64).reshape(n, d).copy()
            out = self.fn(X)
            if not isinstance(out, tuple) or len(out) != 2:
                raise TypeError(f"fn must return a pair (f, grad), got {type(out).__name__}")
            f = np.asarray(out[0], dtype=np.float64)
            g = np.asarray(out[1], dtype=np.float64)
            if f.shape != (n,):
                raise ValueError(f"fn returned f of shape {f.shape}, want ({n},) for X of shape ({n}, {d})")
            if g.shape != (n, d):
                raise ValueError(f"fn returned grad of shape {g.shape}, want ({n}, {d})")
            # f = −inf is zero density (outside the support): Metropolis tests reject such
            # proposals; the gradient is not read there
            out_of_support = f == -np.inf
            if out_of_support.any():
                g = g.copy()
                g[out_of_support] = 0.0
            for name, a in (("f", np.where(out_of_support, 0.0, f)), ("grad", g)):
                if not np.isfinite(a).all():
                    i = int(np.argwhere(~np.isfinite(a))[0][0])
                    raise ValueError(f"fn returned a non-finite {name} at row {i}: {a[i]!r}")
            carray(pf, n, np.float64)[:] = f
            if pg:
                carray(pg, n * d, np.float64)[:] = g.ravel()
            return 0
        except BaseException as exc:  # KeyboardInterrupt too: Go stops, then it is re-raised
            self.exception = exc
            return 1

    def _reraise(self):
        exc, self.exception = self.exception, None
        if exc is not None:
            raise exc

    def _eval(self, X):
        self.exception = None
        try:
            return super()._eval(X)
        except (ValueError, RuntimeError):
            self._reraise()
            raise


def sample(energy, n: int | None = None, *, steps: int = 1000, init="normal", seed: int = 0, mask=None,
           noise=None, uniforms=None, progress: bool = False, return_info: bool = False, dim: int | None = None,
           trace: bool = False, **params):
    """Draw n samples from an energy by `steps` steps of a sampler, after a warm-up that
    tunes the step size when none is given, starting from init ("normal", "noise" in
    [-1, 1], or an array (n, dim); with an array, n may be left out). The energy is an
    analytic one (`Gaussian`, `Mixture`), a `Model` (see `Model.sample`), or a Python function
    ``fn(X) -> (f, grad)`` of NumPy float64 arrays, X (n, dim) in, f (n,) and grad (n, dim)
    out, with ``dim`` given (see `Function` for its cost per step; an exception raised in fn
    comes back from `sample` as that exception). mask: True where a coordinate stays fixed at
    init's value (one mask of dim values, or (n, dim)); the others are drawn from the
    conditional distribution given them.

    The sampling parameters (`params`, by their names in `anila.parameters()`) left out are a
    Model's training sampler's, or for other energies the run table's defaults for point
    data (AniLA, η = 0.005 before adaptation, b = 10, ε = 1, per coordinate, unadjusted):
    {params}

    noise (steps, n, dim) and uniforms (steps, n; adjusted samplers and HMC) replace the
    seeded random stream. Returns an (n, dim) array, or with trace=True every kept step's
    positions (steps, n, dim), and the step statistics if return_info (see `Model.sample`).
    Ctrl-C stops within a step."""
    if callable(energy) and not isinstance(energy, (AnalyticEnergy, Model)):
        if dim is None:
            raise TypeError("sample(fn, n, dim=...) needs dim, the dimension of the points fn takes")
        fe = Function(energy, dim)
        try:
            return sample(fe, n, steps=steps, init=init, seed=seed, mask=mask, noise=noise, uniforms=uniforms,
                          progress=progress, return_info=return_info, trace=trace, **params)
        finally:
            fe.close()
    if dim is not None and hasattr(energy, "dim") and check_int("dim", dim, 1) != energy.dim:
        raise ValueError(f"dim is {dim} but the energy's dimension is {energy.dim}")

    if isinstance(energy, Model):
        return energy.sample(n, steps=steps, init=init, seed=seed, mask=mask, noise=noise, uniforms=uniforms,
                             progress=progress, return_info=return_info, trace=trace, **params)
    if not isinstance(energy, AnalyticEnergy):
        raise TypeError(f"energy must be an anila energy or Model, got {type(energy).__name__}")
    if not isinstance(init, str):
        init = as_points(init, "init", np.float64, energy.dim)
        if n is None:
            n = len(init)
    if n is None:
        raise TypeError("sample() needs n, the number of samples, unless init is an array of start points")
    n = check_int("n", n, 1, 1 << 24)
    steps = check_int("steps", steps, 0)
    if isinstance(energy, Function):
        energy.exception = None
    try:
        return run_chains(energy._handle(), energy.dim, np.float64, params, n, steps, init,
                          check_seed(seed), (-1.0, 1.0), progress, return_info, noise, uniforms, mask, trace)
    except (ValueError, RuntimeError):
        if isinstance(energy, Function):
            energy._reraise()
        raise


if sample.__doc__:
    sample.__doc__ = sample.__doc__.replace("{params}", params_doc().strip())
