"""Normalised densities in any dimension: log Z by annealed importance sampling (AIS) run in
Go, forward (a stochastic lower bound) and reverse (an upper bound from exact draws,
approximate otherwise), as a `LogPartition` bracket; log-likelihoods and bits per
dimension from it. `anila.metrics.log_partition` and `Model.log_likelihood` are the entry
points."""

from __future__ import annotations

import json
import math
import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from ._chunks import Interrupted, in_chunks, stoppable
from ._lib import capi, cfunc, close_handle, gocall, ptr
from ._validate import as_points, check_float, check_int, check_seed
from .sampling import run_chains

#: A bracket wider than this (nats) comes with a `WideBracketWarning`.
WIDE_BRACKET = 1.0


class WideBracketWarning(UserWarning):
    """The forward and reverse AIS estimates of log Z are far apart: more distributions (or
    chains, or better reverse start points) are needed before log Z can be reported."""


@dataclass(frozen=True)
class LogPartition:
    """log Z = log ∫ exp(f(x)/T) dx of an energy by AIS, as a bracket.

    lower is forward AIS from the base Gaussian (its expectation is below log Z); upper is
    reverse AIS from `reverse_from` start points (an upper bound in expectation when they
    are exact draws of exp(f/T); from MCMC samples or data, as RAISE, it is approximate:
    an estimate that is usually, not surely, above). Each has a standard error (delta
    method) and the importance weights' effective sample size out of `chains`. Both are
    bounds in expectation only, so the bracket to read is `bracket`, (lower − 2·lower_se,
    upper + 2·upper_se), and `width` its width: a wide bracket is a warning, not a number
    to report. `log_z` is the midpoint of lower and upper (lower alone without a reverse
    run)."""

    lower: float
    lower_se: float
    lower_ess: float
    upper: float | None
    upper_se: float | None
    upper_ess: float | None
    reverse_from: str
    temperature: float
    distributions: int
    chains: int
    transition: str
    seconds: float
    #: The base Gaussian's mean and standard deviation per coordinate.
    base_mean: np.ndarray = field(repr=False)
    base_std: np.ndarray = field(repr=False)
    #: Forward AIS's log weights, and reverse AIS's log(1/w) (both per chain).
    forward_log_weights: np.ndarray = field(repr=False)
    reverse_log_weights: np.ndarray | None = field(repr=False)

    @property
    def log_z(self) -> float:
        """The estimate: the bracket's midpoint, or the forward estimate without a reverse run."""
        return self.lower if self.upper is None else 0.5 * (self.lower + self.upper)

    @property
    def bracket(self) -> tuple[float, float]:
        """(lower − 2·lower_se, upper + 2·upper_se): where log Z lies (upper end inf without
        a reverse run)."""
        hi = math.inf if self.upper is None else self.upper + 2 * self.upper_se
        return self.lower - 2 * self.lower_se, hi

    @property
    def width(self) -> float:
        """The bracket's width in nats (inf without a reverse run; negative when the reverse
        estimate lies below the forward one beyond their errors: its start points were not
        draws of the target)."""
        lo, hi = self.bracket
        return hi - lo

    def __float__(self) -> float:
        return self.log_z

    def __str__(self) -> str:
        lo, hi = self.bracket
        if self.upper is None:
            return f"log Z ≥ {lo:.3f} (forward AIS {self.lower:.3f} ± {self.lower_se:.3f}; no reverse run)"
        if hi < lo:
            return (f"log Z ≥ {lo:.3f} (forward {self.lower:.3f} ± {self.lower_se:.3f}); the reverse estimate "
                    f"{self.upper:.3f} ± {self.upper_se:.3f} from {self.reverse_from} lies below it: those start "
                    "points are not draws of the target")
        return (f"log Z in [{lo:.3f}, {hi:.3f}] (width {self.width:.3f} nat): forward {self.lower:.3f} ± "
                f"{self.lower_se:.3f}, reverse {self.upper:.3f} ± {self.upper_se:.3f} from {self.reverse_from}")


def _base_request(base) -> tuple[dict, np.ndarray | None]:
    """The request's base fields and the points to fit it to, from the caller's `base`."""
    if isinstance(base, str):
        if base not in ("data", "noise"):
            raise ValueError(f"base must be 'data', 'noise', an array of points or (mean, std), got {base!r}")
        return {"base": base}, None
    if isinstance(base, tuple) and len(base) == 2:
        mean = np.asarray(base[0], dtype=np.float64).ravel()
        std = np.asarray(base[1], dtype=np.float64).ravel()
        return {"base": "given", "mean": mean.tolist(), "std": std.tolist()}, None
    return {"base": "points"}, base


def _run(handle: int, request: dict, dim: int, points, starts, desc: str, progress: bool) -> dict:
    """One AIS direction on the energy `handle`: start it in Go, advance it in chunks
    (progress bar, Ctrl-C) and return its result."""
    pts = np.empty((0, dim))
    if points is not None:
        pts = as_points(points, "base", np.float64, dim)
    st = None
    if starts is not None:
        st = np.ascontiguousarray(starts, dtype=np.float64)
    out = np.zeros(1, dtype=np.int64)
    cfunc("anila_ais_new", handle, json.dumps(request).encode(), ptr(pts), pts.shape[0], dim,
          ptr(st) if st is not None else None, 0 if st is None else st.shape[0], ptr(out))
    h = int(out[0])
    try:
        total = int(request.get("distributions") or json.loads(gocall(capi.AISResult, h))["distributions"])

        def advance(k):
            left = stoppable(h, gocall, capi.StepAIS, h, k)
            done = total - left
            advance.done, did = done, done - advance.done
            return did, None

        advance.done = 0
        try:
            in_chunks(total, desc, progress, advance, 1_000_000)
        except Interrupted:
            raise KeyboardInterrupt from None
        res = json.loads(gocall(capi.AISResult, h))
        if res["remaining"]:
            raise KeyboardInterrupt
        return res
    finally:
        close_handle(h)


def _nan(v):
    return float("nan") if v is None else float(v)


def log_partition(energy, *, base="data", reverse="samples", temperature: float = 1.0,
                  distributions: int | None = None, chains: int | None = None, steps: int | None = None,
                  transition: str | None = None, leapfrog: int | None = None, step_size: float | None = None,
                  target_accept: float | None = None, reverse_steps: int = 1000, seed: int = 0,
                  progress: bool = False) -> LogPartition:
    """log Z = log ∫ exp(f(x)/T) dx of a Model or an anila energy, bracketed by forward and
    reverse annealed importance sampling (Neal 2001; Grosse et al. 2016), run in Go.

    The path goes from a diagonal Gaussian base q to exp(f/T) through `distributions`
    densities q^(1−β)·exp(f/T)^β (β on a sigmoid schedule), with `steps` Metropolis-adjusted
    transitions at each ("hmc", the default with `leapfrog` 10 steps, or "mala"), whose step
    size starts at `step_size` and is steered toward `target_accept` from one distribution
    to the next; `chains` independent runs give the importance weights. None: Go's defaults
    (1,000 distributions, 64 chains, 1 HMC transition of 10 leapfrog steps).

    base: "data" (fitted to a model's training data, the default), "noise" (covering the
    model's noise box), an array of points to fit it to (held-out data, or draws), or
    (mean, std) given. reverse: "samples" (start points drawn from the target by HMC with an
    adapted step: `reverse_steps` steps after a warm-up, from draws of the base: an
    approximate upper estimate), an array of `chains` start points (exact draws give a true
    upper bound; held-out data gives RAISE's approximate one), or None (forward only).
    temperature: T (1: the model's own density). A bracket (see `LogPartition`) wider than
    1 nat warns (`WideBracketWarning`).
    """
    if not hasattr(energy, "_handle") or not hasattr(energy, "dim"):
        raise TypeError(f"energy must be an anila Model or energy, got {type(energy).__name__}")
    handle, dim = energy._handle(), int(energy.dim)
    temperature = check_float("temperature", temperature, 0, lo_open=True)
    seed = check_seed(seed)
    reverse_steps = check_int("reverse_steps", reverse_steps, 1)
    request = {k: v for k, v in dict(distributions=distributions, chains=chains, steps=steps, transition=transition,
                                     leapfrog=leapfrog, step_size=step_size, target_accept=target_accept).items()
               if v is not None}
    for k in ("distributions", "chains", "steps", "leapfrog"):
        if k in request:
            request[k] = check_int(k, request[k], 1)
    for k in ("step_size", "target_accept"):
        if k in request:
            request[k] = check_float(k, request[k])
    request.update(temperature=temperature, seed=seed)
    fields, points = _base_request(base)
    request.update(fields)
    t0 = time.perf_counter()
    if hasattr(energy, "_reraise"):  # a Python function: its own exception comes back
        energy.exception = None
        try:
            return _bracket(energy, handle, dim, request, points, reverse, reverse_steps, temperature, seed, progress, t0)
        except (ValueError, RuntimeError):
            energy._reraise()
            raise
    return _bracket(energy, handle, dim, request, points, reverse, reverse_steps, temperature, seed, progress, t0)


def _bracket(energy, handle, dim, request, points, reverse, reverse_steps, temperature, seed, progress, t0):
    """log_partition's runs, its arguments checked."""
    fwd = _run(handle, request, dim, points, None, "AIS forward", progress)
    n = int(fwd["chains"])
    mean, std = np.asarray(fwd["base_mean"], dtype=np.float64), np.asarray(fwd["base_std"], dtype=np.float64)
    rev, reverse_from = None, "none"
    if reverse is not None and reverse is not False:
        if isinstance(reverse, str):
            if reverse != "samples":
                raise ValueError(f"reverse must be 'samples', an array of start points or None, got {reverse!r}")
            rng = np.random.default_rng(seed + 1)
            z0 = mean + std * rng.standard_normal((n, dim))
            sampler_params = {"sampler": "hmc", "leapfrog": 10}
            if temperature != 1.0:
                raise ValueError("reverse='samples' draws from the model at T = 1; give reverse start points "
                                 f"drawn at temperature {temperature}, or reverse=None")
            starts = run_chains(handle, dim, getattr(energy, "dtype", np.float64), sampler_params, n, reverse_steps,
                                z0, seed + 2, (-1.0, 1.0), progress, False)
            starts = np.asarray(starts, dtype=np.float64).reshape(n, dim)
            reverse_from = f"HMC samples ({reverse_steps} steps after a warm-up; approximate)"
        else:
            starts = np.asarray(reverse, dtype=np.float64)
            starts = starts.reshape(starts.shape[0], -1) if starts.ndim > 2 else starts
            if starts.shape != (n, dim):
                raise ValueError(f"reverse start points must have shape (chains, dim) = {(n, dim)}, got {starts.shape}")
            if not np.isfinite(starts).all():
                raise ValueError("reverse start points must be finite")
            reverse_from = "given points (an upper bound if they are exact draws; approximate otherwise)"
        rreq = dict(request, base="given", mean=mean.tolist(), std=std.tolist(), seed=seed + 3)
        rev = _run(handle, rreq, dim, None, starts, "AIS reverse", progress)
    res = LogPartition(
        lower=_nan(fwd["log_z"]), lower_se=_nan(fwd["std_err"]), lower_ess=_nan(fwd["ess"]),
        upper=None if rev is None else _nan(rev["log_z"]), upper_se=None if rev is None else _nan(rev["std_err"]),
        upper_ess=None if rev is None else _nan(rev["ess"]), reverse_from=reverse_from, temperature=temperature,
        distributions=int(fwd["distributions"]), chains=n, transition=str(fwd["transition"]),
        seconds=time.perf_counter() - t0, base_mean=mean, base_std=std,
        forward_log_weights=np.asarray([_nan(v) for v in fwd["log_weights"]]),
        reverse_log_weights=None if rev is None else np.asarray([_nan(v) for v in rev["log_weights"]]))
    if rev is not None and res.bracket[1] < res.bracket[0]:
        warnings.warn(f"AIS estimates disagree: reverse {res.upper:.3f} is below forward {res.lower:.3f} beyond their "
                      "errors, so the reverse start points are not draws of the model (its samplers have not reached "
                      "its distribution): read the forward estimate as a lower bound, and draw better start points "
                      "(more reverse_steps, or exact draws)", WideBracketWarning, stacklevel=2)
    elif rev is not None and not res.width <= WIDE_BRACKET:
        warnings.warn(f"AIS bracket [{res.bracket[0]:.3f}, {res.bracket[1]:.3f}] is {res.width:.3f} nat wide "
                      f"(> {WIDE_BRACKET}): "
                      "more distributions or chains are needed before log Z can be reported", WideBracketWarning,
                      stacklevel=2)
    return res


def log_likelihood(f: np.ndarray, log_z, temperature: float = 1.0) -> np.ndarray:
    """log p(x) = f(x)/T − log Z for energies f (n,) and log Z (a number or a LogPartition)."""
    lz = float(log_z)
    if not math.isfinite(lz):
        raise ValueError(f"log_z must be finite, got {lz}")
    return np.asarray(f, dtype=np.float64) / temperature - lz


def bits_per_dim(log_lik, dim: int, bin_width: float) -> float:
    """Bits per dimension of quantised data from the log-likelihoods log p(x̃) (n,) of its
    uniformly dequantised points x̃ = x + u·bin_width (u ~ U[0, 1)^dim; x the lower corner of
    its bin, in the model's units): −(mean log p(x̃) + dim·log bin_width) / (dim·log 2),
    a bound on the discrete model's code length (8-bit images in [0, 1] as k/255:
    bin_width 1/255)."""
    dim = check_int("dim", dim, 1)
    bin_width = check_float("bin_width", bin_width, 0, lo_open=True)
    ll = np.asarray(log_lik, dtype=np.float64)
    return float(-(ll.mean() + dim * math.log(bin_width)) / (dim * math.log(2)))
