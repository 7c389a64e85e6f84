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
