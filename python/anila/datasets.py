"""Toy data sets in two dimensions, each seeded and with a documented density (see the Go
package anila/data for the exact definitions)."""

from __future__ import annotations

import numpy as np

from ._lib import capi, cfunc, ptr
from ._validate import check_int, check_seed

#: Names of the toy data sets.
TOY_NAMES = tuple(capi.ToyNames())


def toy(name: str, n: int, seed: int = 0) -> np.ndarray:
    """n points of the named toy set as a float32 array (n, 2); see TOY_NAMES."""
    if not isinstance(name, str) or name not in TOY_NAMES:
        raise ValueError(f"name must be one of {list(TOY_NAMES)}, got {name!r}")
    n = check_int("n", n, 0, 1 << 26)
    seed = check_seed(seed)
    out = np.empty((n, 2), dtype=np.float64)
    if n:
        cfunc("anila_toy", name.encode(), n, seed, ptr(out))
    return out.astype(np.float32)


def rings(n: int, seed: int = 0) -> np.ndarray:
    """Four concentric rings (radii 0.75, 1.5, 2.25, 3; noise sd 0.08)."""
    return toy("rings", n, seed)


def eight_gaussians(n: int, seed: int = 0) -> np.ndarray:
    """Eight Gaussians (sd 0.354) on a circle of radius 2.83."""
    return toy("8gaussians", n, seed)


def twentyfive_gaussians(n: int, seed: int = 0) -> np.ndarray:
    """25 Gaussians (sd 0.1) on the grid {-3, -1.5, 0, 1.5, 3}²."""
    return toy("25gaussians", n, seed)


def two_spirals(n: int, seed: int = 0) -> np.ndarray:
    """Two interleaved spirals (noise sd 0.15)."""
    return toy("2spirals", n, seed)


def checkerboard(n: int, seed: int = 0) -> np.ndarray:
    """Uniform on the 8 dark squares of a 4×4 board on [-4, 4]²."""
    return toy("checkerboard", n, seed)


def pinwheel(n: int, seed: int = 0) -> np.ndarray:
    """Five curved arms of a pinwheel."""
    return toy("pinwheel", n, seed)


def two_moons(n: int, seed: int = 0) -> np.ndarray:
    """Two interleaved half circles (noise sd 0.1)."""
    return toy("moons", n, seed)
