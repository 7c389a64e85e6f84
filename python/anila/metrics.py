"""Sample-quality metrics computed by the Go core."""

from __future__ import annotations

import numpy as np

from ._lib import cfunc, ptr
from ._validate import as_points, check_float

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
