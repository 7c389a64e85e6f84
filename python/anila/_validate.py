"""Checks of user input that name the parameter and the bad value."""

from __future__ import annotations

import math
import numbers

import numpy as np

MAX_ELEMENTS = 1 << 31  # refuse arrays larger than this before allocating


def as_points(X, name: str = "X", dtype=np.float64, dim: int | None = None, allow_empty: bool = False) -> np.ndarray:
    """X as a C-contiguous (n, d) array of `dtype`, or a TypeError/ValueError naming `name`."""
    if isinstance(X, (str, bytes)):
        raise TypeError(f"{name} must be an array of floats, got {type(X).__name__}")
    try:
        arr = np.asarray(X)
    except Exception as exc:  # ragged lists and the like
        raise ValueError(f"{name} could not be read as an array: {exc}") from None
    if arr.dtype == object or arr.dtype.kind in "USVO":
        raise TypeError(f"{name} must hold floats (float32 or float64), got dtype {arr.dtype}")
    if arr.dtype.kind == "c":
        raise TypeError(f"{name} must hold real floats, got complex dtype {arr.dtype}")
    if arr.dtype.kind in "biu":
        raise TypeError(f"{name} must hold floats (float32 or float64), got dtype {arr.dtype}; convert with X.astype(float)")
    if arr.dtype.kind != "f":
        raise TypeError(f"{name} must hold floats, got dtype {arr.dtype}")
    if arr.ndim == 1 and dim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_features), got shape {arr.shape}")
    if arr.shape[0] == 0 and not allow_empty:
        raise ValueError(f"{name} must hold at least one row, got shape {arr.shape}")
    if arr.shape[1] == 0:
        raise ValueError(f"{name} must have at least one column, got shape {arr.shape}")
    if dim is not None and arr.shape[1] != dim:
        raise ValueError(f"{name} has {arr.shape[1]} features but the model takes {dim}; got shape {arr.shape}")
    arr = np.ascontiguousarray(arr, dtype=dtype)
    if not np.isfinite(arr).all():
        bad = np.argwhere(~np.isfinite(arr))[0]
        raise ValueError(f"{name} must be finite, got {arr[tuple(bad)]} at index {tuple(int(i) for i in bad)}")
    return arr


def check_int(name: str, value, lo: int | None = None, hi: int | None = None) -> int:
    """An int in [lo, hi], or a TypeError/ValueError naming `name`."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise TypeError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if lo is not None and value < lo:
        raise ValueError(f"{name} must be >= {lo}, got {value}")
    if hi is not None and value > hi:
        raise ValueError(f"{name} must be <= {hi}, got {value}")
    return value


def check_float(name: str, value, lo: float | None = None, hi: float | None = None,
                lo_open: bool = False, hi_open: bool = False) -> float:
    """A finite float in the given range, or a TypeError/ValueError naming `name`."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if lo is not None and (value < lo or (lo_open and value == lo)):
        raise ValueError(f"{name} must be {'>' if lo_open else '>='} {lo}, got {value}")
    if hi is not None and (value > hi or (hi_open and value == hi)):
        raise ValueError(f"{name} must be {'<' if hi_open else '<='} {hi}, got {value}")
    return value


def check_choice(name: str, value, choices) -> str:
    """One of `choices`, or a TypeError/ValueError naming `name`."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be one of {list(choices)}, got {value!r}")
    if value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}, got {value!r}")
    return value


def check_bool(name: str, value) -> bool:
    """A bool, or a TypeError naming `name`."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def check_seed(value) -> int:
    """A seed in [0, 2**63)."""
    return check_int("seed", value, 0, 2**63 - 1)


def jsonable(value, name: str):
    """A parameter value as JSON carries it: NumPy scalars as numbers, tuples and arrays as
    lists, non-finite floats as the strings Go reads as such ("NaN", "Infinity"), a dtype by
    its name, and anything else as {"__repr__": repr}, so that Go's error can name it."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        if math.isnan(f):
            return "NaN"
        if math.isinf(f):
            return "Infinity" if f > 0 else "-Infinity"
        return f
    if isinstance(value, (list, tuple, np.ndarray)):
        return [jsonable(v, name) for v in (value.tolist() if isinstance(value, np.ndarray) else value)]
    if isinstance(value, dict):
        return {str(k): jsonable(v, name) for k, v in value.items()}
    if name == "dtype":
        try:
            return np.dtype(value).name
        except TypeError:
            pass
    return {"__repr__": repr(value)}
