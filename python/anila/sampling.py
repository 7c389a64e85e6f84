"""Sampling runs on any energy: `run_chains` starts chains in Go, sets their start points and
mask, takes the warm-up and the kept steps in chunks (progress, Ctrl-C) and reads the draws
and their statistics back. `Model.sample` and `anila.sample` call it; the sampler's
parameters go to Go as given, and Go's table (`anila.parameters()`, those with
``sample_only`` and the sampler's own) decides and checks them."""

from __future__ import annotations

import json

import numpy as np

from ._chunks import Interrupted, in_chunks, stoppable
from ._lib import capi, cfunc, close_handle, gocall, ptr
from ._validate import as_points, check_choice, jsonable
from .settings import parameters

_TABLE = {p["name"]: p for p in parameters()}
#: The parameters sampling takes, by their table names.
SAMPLER_PARAMS = tuple(capi.SamplerParams())


def params_doc() -> str:
    """The sampling parameters' lines for docstrings, from Go's table."""
    lines = []
    for name in SAMPLER_PARAMS:
        p = _TABLE[name]
        lines.append(f"    {name}: {p['doc']}.")
    return "\n".join(lines)


def noise_arrays(noise, uniforms, steps, n, dim, dtype, metropolis):
    """Check caller-given noise (steps, n, dim) and uniforms (steps, n) and return them as
    contiguous arrays of dtype (uniforms empty unless the steps have a Metropolis test)."""
    xi = np.ascontiguousarray(np.asarray(noise), dtype=dtype)
    if xi.ndim > 3 and xi.shape[:2] == (steps, n) and int(np.prod(xi.shape[2:])) == dim:
        xi = xi.reshape(steps, n, dim)  # image-shaped noise
    if xi.shape != (steps, n, dim):
        raise ValueError(f"noise must have shape (steps, n, dim) = {(steps, n, dim)}, got {xi.shape}")
    if not np.isfinite(xi).all():
        raise ValueError("noise must be finite")
    if metropolis:
        if uniforms is None:
            raise ValueError("uniforms (steps, n) are needed with noise for an adjusted sampler or HMC")
        u = np.ascontiguousarray(np.asarray(uniforms), dtype=dtype)
        if u.shape != (steps, n):
            raise ValueError(f"uniforms must have shape (steps, n) = {(steps, n)}, got {u.shape}")
    else:
        if uniforms is not None:
            raise ValueError("uniforms are only used by adjusted samplers and HMC")
        u = np.empty(0, dtype=dtype)
    return xi, u


def mask_array(mask, n: int, dim: int) -> np.ndarray:
    """The mask as contiguous (n, dim) bytes, 1 where a coordinate is held fixed: from one
    mask for every chain (dim values, or an example's shape) or one per chain (n rows)."""
    m = np.asarray(mask)
    if m.dtype != np.bool_:
        if not (np.issubdtype(m.dtype, np.integer) and np.isin(m, (0, 1)).all()):
            raise TypeError(f"mask must be an array of bools (True: held fixed), got dtype {m.dtype}")
        m = m.astype(bool)
    if m.size == dim:
        m = np.broadcast_to(m.reshape(1, dim), (n, dim))
    elif m.size == n * dim and m.shape[0] == n:
        m = m.reshape(n, dim)
    else:
        raise ValueError(f"mask must have one value per coordinate ({dim}) or per chain and coordinate "
                         f"({n}, {dim}), got shape {m.shape}")
    return np.ascontiguousarray(m, dtype=np.uint8)


def run_chains(target: int, dim: int, dtype, params: dict, n, steps, init, seed, noise_box, progress, return_info,
               noise=None, uniforms=None, mask=None, trace=False):
    """Run n chains on the energy `target` (a model's or an analytic energy's handle) with
    the sampling parameters given (None: the target's own or the table's; Go decides the
    warm-up and checks them) and return the kept chains' final positions (n, dim), or with
    trace their positions after every kept step (steps, n, dim); with noise (and uniforms)
    given, the steps use them instead of the seeded stream; with mask, the coordinates it
    marks stay at init's values. Ctrl-C stops within a step and raises KeyboardInterrupt."""
    given = {k: jsonable(v, k) for k, v in params.items() if v is not None}
    request = {"params": given, "steps": int(steps), "fixed_noise": noise is not None}
    ch = gocall(capi.NewChains, target, json.dumps(request), n, seed)
    try:
        if isinstance(init, str):
            if mask is not None:
                raise ValueError("mask needs init, an array of start points whose masked values stay fixed")
            init = check_choice("init", init, ("buffer", "noise", "data", "normal"))
            gocall(capi.InitChains, ch, init, float(noise_box[0]), float(noise_box[1]))
        else:
            z0 = as_points(init, "init", dtype, dim)
            if z0.shape[0] != n:
                raise ValueError(f"init has {z0.shape[0]} rows, want n={n}")
            cfunc("anila_chains_positions", ch, ptr(z0), z0.size, 1)
        if mask is not None:
            m = mask_array(mask, n, dim)
            cfunc("anila_chains_mask", ch, ptr(m), m.size)
        plan = json.loads(gocall(capi.ChainsPlan, ch))
        if trace and noise is not None:
            raise ValueError("trace=True takes the seeded stream; it cannot be used with noise")
        if noise is not None:
            xi, u = noise_arrays(noise, uniforms, steps, n, dim, dtype, bool(plan["metropolis"]))
            cfunc("anila_chains_step_fixed", ch, steps, ptr(xi), xi.size, ptr(u), u.size)
            steps = 0
        elif uniforms is not None:
            raise ValueError("uniforms are given without noise")

        warmup = int(plan["warmup"])
        kept = np.empty((steps if trace else 0, n, dim), dtype=dtype)
        done = [0]

        def warm(k):
            stoppable(ch, gocall, capi.StepChains, ch, k)
            return k, None

        def keep(k):
            if trace:
                stoppable(ch, cfunc, "anila_chains_trace", ch, k, ptr(kept[done[0]:]), k * n * dim)
            else:
                stoppable(ch, gocall, capi.StepChains, ch, k)
            done[0] += k
            return k, None

        try:
            in_chunks(warmup, "warm-up", progress, warm, 100_000)
            in_chunks(steps, "sampling", progress, keep, 100_000)
        except Interrupted:
            raise KeyboardInterrupt from None
        out = kept
        if not trace:
            out = np.empty((n, dim), dtype=dtype)
            cfunc("anila_chains_positions", ch, ptr(out), out.size, 0)
        if return_info:
            return out, _info(json.loads(gocall(capi.ChainsInfo, ch)))
        return out
    finally:
        close_handle(ch)


def _info(raw: dict) -> dict:
    """ChainsInfo's JSON as Python values: floats (None, a non-finite statistic, as NaN),
    counts as ints, lists as arrays."""
    out = {}
    for k, v in raw.items():
        if isinstance(v, list):
            out[k] = np.asarray(v, dtype=float)
        elif k in ("warmup", "steps"):
            out[k] = int(v)
        else:
            out[k] = float("nan") if v is None else float(v)
    return out
