"""Sample-quality metrics computed by the Go core."""

from __future__ import annotations

import numpy as np

from ._lib import cfunc, ptr
from ._validate import as_points, check_float, check_int, check_seed

#: The default RBF bandwidth of `mmd`: narrow, so that blurred toy samples are seen.
DEFAULT_BANDWIDTH = 0.2


def mmd(X, Y, bandwidth: float | None = DEFAULT_BANDWIDTH) -> float:
    """Unbiased squared maximum mean discrepancy between samples X (n, d) and Y (m, d) under
    the RBF kernel of the given bandwidth (None: the median heuristic). Near 0 (and possibly
    slightly negative) when the two come from the same distribution."""
    X = as_points(X, "X")
    Y = as_points(Y, "Y", dim=X.shape[1])
    if X.shape[0] < 2 or Y.shape[0] < 2:
        raise ValueError(f"mmd needs at least 2 points in each sample, got {X.shape[0]} and {Y.shape[0]}")
    sigma = 0.0 if bandwidth is None else check_float("bandwidth", bandwidth, 0, lo_open=True)
    out = np.zeros(1)
    cfunc("anila_mmd", ptr(X), X.shape[0], ptr(Y), Y.shape[0], X.shape[1], sigma, ptr(out))
    return float(out[0])


def sliced_wasserstein(X, Y, projections: int = 200, seed: int = 0) -> float:
    """Sliced 2-Wasserstein distance between samples X (n, d) and Y (m, d): the root mean
    over `projections` random directions (drawn from seed) of the squared 1-D Wasserstein-2
    distance between the projected samples, computed exactly. In the data's units."""
    X = as_points(X, "X", np.float64)
    Y = as_points(Y, "Y", np.float64, dim=X.shape[1])
    projections = check_int("projections", projections, 1, 1 << 20)
    seed = check_seed(seed)
    out = np.zeros(1)
    cfunc("anila_sliced_wasserstein", ptr(X), X.shape[0], ptr(Y), Y.shape[0], X.shape[1], projections, seed, ptr(out))
    return float(out[0])


def _draws(draws) -> np.ndarray:
    d = np.asarray(draws, dtype=np.float64)
    if d.ndim == 1:
        d = d[None]
    if d.ndim != 2:
        raise ValueError(f"draws must be (chains, n) or (n,), got shape {d.shape}")
    if d.shape[1] < 4:
        raise ValueError(f"draws need at least 4 per chain, got {d.shape[1]}")
    if not np.isfinite(d).all():
        raise ValueError("draws must be finite")
    return np.ascontiguousarray(d)


def chain_diagnostics(draws) -> dict:
    """Split R̂ and effective sample size of one scalar over chains: draws (chains, n) or
    (n,). R̂ near 1 (below 1.01) means the chains agree; ESS is the number of independent
    draws that would estimate the mean as precisely (Stan's estimators, without rank
    normalisation). Returns {"rhat": ..., "ess": ...}."""
    d = _draws(draws)
    out = np.zeros(2)
    cfunc("anila_chain_diagnostics", ptr(d), d.shape[0], d.shape[1], ptr(out))
    return {"rhat": float(out[0]), "ess": float(out[1])}


def ess(draws) -> float:
    """Effective sample size of draws (chains, n) or (n,); see `chain_diagnostics`."""
    return chain_diagnostics(draws)["ess"]


def split_rhat(draws) -> float:
    """Split R̂ of draws (chains, n); see `chain_diagnostics`."""
    return chain_diagnostics(draws)["rhat"]


def log_normaliser(model, lim, resolution: int = 400) -> float:
    """log Z = log ∫ exp(f(x)) dx of a 2-D model over the box lim ((x0, x1), (y0, y1)) by
    the midpoint rule on a resolution² grid: exact up to quadrature error when the box holds
    the model's mass."""
    if getattr(model, "dim", None) != 2:
        raise ValueError(f"log_normaliser needs a 2-D model, got dim={getattr(model, 'dim', None)}")
    resolution = int(resolution)
    (x0, x1), (y0, y1) = lim
    hx, hy = (x1 - x0) / resolution, (y1 - y0) / resolution
    xs = x0 + hx * (np.arange(resolution) + 0.5)
    ys = y0 + hy * (np.arange(resolution) + 0.5)
    gx, gy = np.meshgrid(xs, ys)
    f = model.energy(np.stack([gx.ravel(), gy.ravel()], axis=1)).astype(np.float64)
    m = f.max()
    return float(m + np.log(np.exp(f - m).sum() * hx * hy))


def heldout_nll(model, X, lim=None, resolution: int = 400) -> float:
    """Mean negative log-likelihood of held-out points X under a 2-D model, normalised by
    quadrature on a grid over lim (default: X's range widened by half its width)."""
    X = as_points(X, "X", dim=2)
    if lim is None:
        lo, hi = X.min(axis=0), X.max(axis=0)
        w = hi - lo
        lim = ((lo[0] - 0.5 * w[0], hi[0] + 0.5 * w[0]), (lo[1] - 0.5 * w[1], hi[1] + 0.5 * w[1]))
    logz = log_normaliser(model, lim, resolution)
    return float(-(model.energy(X).astype(np.float64) - logz).mean())
