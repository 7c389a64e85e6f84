"""`Model`, a trained (or loaded) energy model, and what makes one: `train`, `resume`,
`new_model`, `from_torch` and `load`. A run's parameters go to Go as given (JSON) with a
summary of the data; Go resolves them (defaults, bounds, data-derived scales and boxes) and
answers with the model or an error naming the parameter. Training itself runs in
`anila.run`."""

from __future__ import annotations

import ctypes
import json
import math
import os
import sys
import weakref

import numpy as np

from . import convert, distributed, likelihood, nn, sampling
from ._chunks import Interrupted, in_chunks, stoppable
from ._lib import capi, carray, cfunc, check_process, close_handle, go_floats, gocall, ptr
from ._validate import as_points, check_bool, check_choice, check_float, check_int, check_seed, jsonable
from .errors import DivergenceError
from .run import run as _run
from .torch import to_torch as _to_torch


_GRAD_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_longlong, ctypes.c_void_p, ctypes.c_longlong)


class Model:
    """An energy model f(x) (log density up to a constant) held by anila's Go core.

    Make one with `anila.train`, `anila.EBM(...).fit` or `anila.load`. Arrays go in and come
    out as NumPy arrays of the model's dtype (`dtype`).
    """

    def __init__(self, handle: int):
        self._h = int(handle)
        self._finalizer = weakref.finalize(self, close_handle, self._h)
        self._grad_hook = self._grad_fn = None
        meta = json.loads(gocall(capi.ModelMeta, self._h))
        #: The element type of the model's arrays (float32 or float64).
        self.dtype = np.dtype(meta["dtype"])
        #: The data dimension (C·H·W for image models).
        self.dim = int(meta["arch"]["in"])
        #: The architecture as Go holds it (kind, layer specs, standardisation).
        self.arch = meta["arch"]
        a = self.arch
        #: (C, H, W) for the conv energies, None for MLPs.
        self.image_shape = (a["channels"], a["height"], a["width"]) if a.get("channels") else None

    # -- lifetime ---------------------------------------------------------------------------
    @property
    def closed(self) -> bool:
        """Whether `close` has been called."""
        return not self._finalizer.alive

    def close(self) -> None:
        """Free the Go-side model; further use raises ValueError. Calling it twice is fine."""
        if self._finalizer.alive:
            self._finalizer()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _handle(self) -> int:
        if self.closed:
            raise ValueError("this model is closed")
        check_process()
        return self._h

    def _meta(self) -> dict:
        return json.loads(gocall(capi.ModelMeta, self._handle()))

    @property
    def iteration(self) -> int:
        """Training iterations done so far."""
        return int(self._meta()["iteration"])

    @property
    def recoveries(self) -> list:
        """Iterations at which a divergence was rolled back (training parameter `recover`)."""
        return list(self._meta()["recoveries"] or [])

    @property
    def config(self) -> dict:
        """The Go-side training configuration, as a dict."""
        return self._meta()["config"]

    @property
    def params(self) -> dict:
        """The model's settings by the names of `anila.train`'s parameters, as Go resolved
        them (step_size and threshold in data units, lr the current learning rate)."""
        return {k: tuple(v) if isinstance(v, list) and k != "layers" else v
                for k, v in self._meta()["params"].items()}

    @property
    def plan(self) -> dict | None:
        """The run's plan as the model file holds it (target iterations, seed, checkpoint
        interval and data fingerprint of a checkpointed run), or None."""
        return self._meta()["plan"]

    def __repr__(self) -> str:
        if self.closed:
            return "<anila.Model (closed)>"
        m = self._meta()
        c = m["config"]
        method = c["Sampler"]["Method"]
        a = m["arch"]
        if a["kind"] == "layers":
            shape = "x".join(str(v) for v in self.image_shape) if self.image_shape is not None else str(a["in"])
            net = f"layers[{', '.join(s['type'] for s in a['layers'])}] on {shape}"
        elif self.image_shape is not None:
            net = f"{a['kind']} nf={a['nf']} on {'x'.join(str(v) for v in self.image_shape)}"
        else:
            net = f"{a['kind']} {a['in']}-{'-'.join(str(h) for h in a['hidden'] or [])}-1"
        return f"<anila.Model {net} {m['dtype']}, sampler={method}, iteration={m['iteration']}>"

    def _points(self, X, name="X", allow_empty=False):
        """X as (n, dim) points of the model's dtype; image models also take (n, C, H, W)
        and, for one channel, (n, H, W)."""
        if self.image_shape is not None:
            arr = np.asarray(X) if not isinstance(X, (str, bytes)) else X
            if isinstance(arr, np.ndarray) and arr.ndim in (3, 4):
                want = self.image_shape if arr.ndim == 4 else self.image_shape[1:]
                if arr.shape[1:] != tuple(want) or (arr.ndim == 3 and self.image_shape[0] != 1):
                    raise ValueError(f"{name} has image shape {arr.shape[1:]}, the model takes {self.image_shape}")
                X = arr.reshape(arr.shape[0], -1)
        return as_points(X, name, self.dtype, self.dim, allow_empty=allow_empty)

    def _shaped(self, Z: np.ndarray) -> np.ndarray:
        """(n, dim) points as images (n, C, H, W) for image models."""
        return Z.reshape(Z.shape[0], *self.image_shape) if self.image_shape is not None else Z

    # -- evaluation -------------------------------------------------------------------------
    def energy(self, X) -> np.ndarray:
        """f(x) for each row of X (n, dim): the unnormalised log density, shape (n,)."""
        h = self._handle()
        X = self._points(X, allow_empty=True)
        f = np.empty(X.shape[0], dtype=self.dtype)
        if X.shape[0]:
            cfunc("anila_energy", h, ptr(X), X.shape[0], X.shape[1], ptr(f), None)
        return f

    def energy_grad(self, X) -> np.ndarray:
        """∇x f(x) for each row of X (n, dim), shape (n, dim)."""
        h = self._handle()
        X = self._points(X, allow_empty=True)
        f = np.empty(X.shape[0], dtype=self.dtype)
        g = np.empty_like(X)
        if X.shape[0]:
            cfunc("anila_energy", h, ptr(X), X.shape[0], X.shape[1], ptr(f), ptr(g))
        return self._shaped(g)

    def log_likelihood(self, X, log_z=None, **ais) -> np.ndarray:
        """log p(x) = f(x) − log Z for each row of X (n, dim), float64, shape (n,). log_z: a
        number or the `LogPartition` of `anila.metrics.log_partition(model)`; None computes
        it here with log_partition's defaults and `ais` (its keyword arguments)."""
        f = self.energy(X)
        if log_z is None:
            log_z = likelihood.log_partition(self, **ais)
        elif ais:
            raise TypeError(f"log_likelihood: {sorted(ais)} are log_partition's arguments, used only without log_z")
        return likelihood.log_likelihood(f, log_z)

    def param_grad(self, X, weights=None) -> np.ndarray:
        """∇θ Σ_i w_i f(x_i): the gradient of a weighted sum of energies with respect to the
        flat parameter vector (w = 1 when weights is None); shape like `parameters()`."""
        h = self._handle()
        X = self._points(X)
        if weights is None:
            w = np.ones(X.shape[0], dtype=self.dtype)
        else:
            w = np.ascontiguousarray(np.asarray(weights), dtype=self.dtype)
            if w.shape != (X.shape[0],):
                raise ValueError(f"weights must have shape ({X.shape[0]},), got {w.shape}")
        out = np.empty(int(self._meta()["num_params"]), dtype=self.dtype)
        cfunc("anila_param_grad", h, ptr(X), X.shape[0], X.shape[1], ptr(w), ptr(out))
        return out

    def score_samples(self, X) -> np.ndarray:
        """Same as `energy`: the unnormalised log density (scikit-learn's name)."""
        return self.energy(X)

    # -- parameters -------------------------------------------------------------------------
    def parameters(self, training: bool = False) -> np.ndarray:
        """A copy of the flat parameter vector the model's energy uses (layer by layer; a
        Linear layer's weight (out×in, row-major) then its bias, as PyTorch orders them).
        With ema > 0 that is the moving average of the training parameters; training=True
        gives the training parameters themselves (the last iterate)."""
        h = self._handle()
        out = np.empty(int(self._meta()["num_params"]), dtype=self.dtype)
        cfunc("anila_params", h, ptr(out), out.size, 2 if training else 0)
        return out

    def set_parameters(self, v, training: bool = False) -> None:
        """Replace the flat parameter vector with v (same length as `parameters()`): both
        the training parameters and their moving average, so that training continues from v;
        training=True replaces the training parameters only."""
        h = self._handle()
        n = int(self._meta()["num_params"])
        arr = np.asarray(v)
        if arr.ndim != 1 or arr.size != n:
            raise ValueError(f"v must be a 1-D vector of {n} parameters, got shape {arr.shape}")
        arr = as_points(arr[:, None], "v", self.dtype, 1).ravel()
        cfunc("anila_params", h, ptr(arr), arr.size, 3 if training else 1)

    def spectral_state(self) -> np.ndarray:
        """The u and v vectors of the spectrally normalised layers (each layer's u then v, in
        layer order; empty without spectral_norm)."""
        return np.asarray(list(gocall(capi.SpectralState, self._handle())), dtype=np.float64)

    def set_spectral_state(self, v) -> None:
        """Replace the vectors `spectral_state` gives."""
        arr = np.asarray(v, dtype=np.float64).ravel()
        if not np.isfinite(arr).all():
            raise ValueError("spectral state must be finite")
        gocall(capi.SetSpectralState, self._handle(), go_floats(arr))

    # -- history ----------------------------------------------------------------------------
    @property
    def history(self) -> dict:
        """Per-iteration training record, a dict of NumPy arrays: the fields Go records
        (f_data, f_sample, gap, grad_norm, gamma_mean, gamma_min, gamma_max, clipped,
        sample_grad_norm, accept, seconds, jump_accept) and iteration (1-based)."""
        h = self._handle()
        meta = self._meta()
        n = int(meta["iteration"])
        out = {"iteration": np.arange(1, n + 1)}
        for i, name in enumerate(meta["history_fields"]):
            a = np.empty(n, dtype=np.float64)
            cfunc("anila_history", h, i, ptr(a), 0, n, 0)
            out[name] = a
        return out

    # -- training ---------------------------------------------------------------------------
    def _set_data(self, X: np.ndarray) -> None:
        cfunc("anila_set_data", self._handle(), ptr(X), X.shape[0], X.shape[1])

    def fit_more(self, X, iterations: int, progress: bool = True, callback=None,
                 max_seconds: float | None = None, comm=None, checkpoint=None, checkpoint_every: int = 0) -> "Model":
        """Continue training on X for `iterations` more iterations (or until max_seconds of
        wall time have passed); returns self. checkpoint and checkpoint_every write this run's
        checkpoints (as in `train`); nothing is written where they are not given. With comm
        (see `anila.train`), every rank calls it with its own shard X and the same settings,
        and continues its own chains."""
        c = distributed.wrap(comm)
        err = None
        try:
            X = self._points(X)
            iterations = check_int("iterations", iterations, 0)
            max_seconds = _check_seconds(max_seconds)
            path, every = _check_checkpoint(checkpoint, checkpoint_every)
        except (ValueError, TypeError) as exc:
            err = exc
        c.check(err)
        c.agree_on_settings({"dim": self.dim, "dtype": str(self.dtype), "iteration": self.iteration,
                             "iterations": iterations, "config": {k: v for k, v in self.config.items() if k != "Seed"}})
        self._set_data(X)
        c.share_parameters(self)
        _run(self, iterations, progress=progress, callback=callback, max_seconds=max_seconds, coord=c,
             checkpoint=path, every=every)
        return self

    def set_grad_hook(self, fn) -> None:
        """Call fn(iteration, grad) in every training iteration, right after the parameter
        gradient is computed and before clipping and the optimizer step: grad is a NumPy view
        (the model's dtype, `parameters()` order) of the gradient of the loss that the
        optimizer descends, and changing it in place changes the update. This is where
        data-parallel training averages gradients across processes. fn runs on anila's
        training thread with the GIL held; an exception in it stops training, undoes that
        iteration and is re-raised by `fit_more`/`train`. None removes the hook."""
        h = self._handle()
        if fn is None:
            gocall(capi.SetGradHook, h, 0)
            self._grad_hook = self._grad_fn = None
            return
        if not callable(fn):
            raise TypeError(f"fn must be callable or None, got {type(fn).__name__}")
        state = {"exc": None}

        def call(iteration, p, n):
            try:
                fn(int(iteration), carray(p, n, self.dtype))
                return 0
            except BaseException as exc:  # KeyboardInterrupt too: Go stops, then it is re-raised
                state["exc"] = exc
                return 1

        cb = _GRAD_FN(call)
        gocall(capi.SetGradHook, h, ctypes.cast(cb, ctypes.c_void_p).value)
        self._grad_hook = (cb, state)  # kept alive while installed
        self._grad_fn = fn

    def _train(self, n: int) -> int:
        """n iterations in Go (Ctrl-C stops them within a Langevin step); a divergence becomes
        DivergenceError."""
        h = self._handle()
        try:
            return stoppable(h, gocall, capi.Train, h, n)
        except ValueError as exc:
            hook = getattr(self, "_grad_hook", None)
            if hook is not None and hook[1]["exc"] is not None:
                err, hook[1]["exc"] = hook[1]["exc"], None
                raise err from None
            msg = str(exc)
            if msg.startswith("training diverged"):
                it = None
                try:
                    it = int(msg.split("iteration ")[1].split(":")[0])
                except (IndexError, ValueError):
                    pass
                raise DivergenceError(msg, it, self.history) from None
            raise

    # -- sampling ---------------------------------------------------------------------------
    def sample(self, n: int | None = None, steps: int | None = None, init=None, seed: int = 0, *,
               mask=None, noise=None, uniforms=None, progress: bool = False, return_info: bool = False,
               trace: bool = False, **params):
        """Draw n samples from this model's energy by `steps` steps of a sampler (after a
        warm-up that tunes its step size when none is given).

        steps: the kept steps (default: 5 × the training steps K). init: "buffer" (the
        replay buffer, the default when the model has one), "noise" (uniform over the data's
        range), "data" or an array of start points (n, dim) or (n, *image_shape); with an
        array, n may be left out (it is the array's length). mask: True where a coordinate
        stays fixed at init's value, so that the others are drawn from the conditional
        distribution given it (inpainting, denoising): one mask for every chain (an
        example's shape) or one per chain (init's shape); it needs an array init.

        The sampling parameters (`params`, by their names in `anila.parameters()`) default
        to the training sampler's and the table's:
        {params}

        Returns an (n, dim) array, image-shaped for image models, or with trace=True every
        kept step's positions, (steps, n, dim) (for diagnostics: `anila.metrics` ESS and
        R-hat); and a dict of step statistics when return_info is True ( acceptance, the adapted step_size, warm-up and
        kept step counts, gradient evaluations per chain and step, HMC's inv_mass, and
        tempering's temperatures and swap_rates).

        For tests and experiments the randomness can be given: noise, an array (steps, n, dim)
        of the standard normals of each step (Langevin's ξ, HMC's momenta), and for adjusted
        samplers and HMC uniforms, an array (steps, n) of the U[0, 1) draws of the Metropolis
        tests. Then init should be an array, and there is no warm-up or tempering.
        """
        h = self._handle()
        if not isinstance(init, (str, type(None))):
            init = self._points(init, "init")
            if n is None:
                n = len(init)
            elif check_int("n", n, 1, 1 << 24) != len(init):
                raise ValueError(f"n is {n} but init has {len(init)} start points; pass n=None "
                                 "(or leave it out) to sample from every row of init")
        if n is None:
            raise TypeError("sample() needs n, the number of samples, unless init is an array of start points")
        n = check_int("n", n, 1, 1 << 24)
        seed = check_seed(seed)
        meta = self._meta()
        cfg = meta["config"]
        if steps is None:
            steps = 5 * int(cfg["Steps"])
        steps = check_int("steps", steps, 0)
        if init is None:
            init = "buffer" if meta["has_buffer"] else "noise"
        out = sampling.run_chains(h, self.dim, self.dtype, params, n, steps, init, seed,
                                  (cfg["NoiseLo"], cfg["NoiseHi"]), progress, return_info, noise, uniforms, mask,
                                  trace)
        shaped = self._traced if trace else self._shaped
        if return_info:
            return shaped(out[0]), out[1]
        return shaped(out)

    def _traced(self, Z: np.ndarray) -> np.ndarray:
        """A trace (steps, n, dim) with each point in the model's example shape."""
        return Z.reshape(*Z.shape[:2], *self.image_shape) if self.image_shape is not None else Z

    def train_step(self, batch, z0, noise, uniforms=None) -> np.ndarray:
        """One training iteration with all its randomness given, for cross-checks against
        other implementations: the data batch (batch_size, dim), used as is; the chain starts
        z0 (batch_size, dim); noise (steps, batch_size, dim), the Langevin normals; and for
        adjusted samplers uniforms (steps, batch_size). Leaves the replay buffer and the
        random stream alone. Returns the final samples (batch_size, dim)."""
        h = self._handle()
        meta = self._meta()
        cfg = meta["config"]
        m, k = int(cfg["BatchSize"]), int(cfg["Steps"])
        batch = self._points(batch, "batch")
        z0 = self._points(z0, "z0")
        for name, a in (("batch", batch), ("z0", z0)):
            if a.shape[0] != m:
                raise ValueError(f"{name} must have batch_size={m} rows, got {a.shape[0]}")
        xi, u = sampling.noise_arrays(noise, uniforms, k, m, self.dim, self.dtype, bool(meta["metropolis"]))
        out = np.empty((m, self.dim), dtype=self.dtype)
        try:
            cfunc("anila_train_step", h, ptr(batch), ptr(z0), ptr(xi), xi.size, ptr(u), u.size, ptr(out))
        except ValueError as exc:
            if str(exc).startswith("training diverged"):
                raise DivergenceError(str(exc), None, self.history) from None
            raise
        return self._shaped(out)

    def to_torch(self):
        """The equivalent torch.nn.Module with a copy of the weights (anila.torch's twin)."""
        return _to_torch(self)

    # -- persistence ------------------------------------------------------------------------
    def save(self, path) -> None:
        """Write the model (parameters, optimizer state, replay buffer, random state,
        history) to path, atomically, with a format version and a checksum."""
        gocall(capi.Save, self._handle(), os.fspath(path))


def _examples(X):
    """Training data as (n, d) float points and one example's shape: (d,) for points, (C, H, W)
    for images given as (N, C, H, W) or, one channel, (N, H, W). Which the energy takes is
    Go's to check."""
    if isinstance(X, (str, bytes)):
        raise TypeError(f"X must be an array of floats, got {type(X).__name__}")
    try:
        arr = np.asarray(X)
    except Exception:  # noqa: BLE001 - ragged lists and the like: as_points names the problem
        arr = X
    if isinstance(arr, np.ndarray) and arr.ndim in (3, 4):
        if arr.ndim == 3:
            arr = arr[:, None]
        shape = tuple(int(v) for v in arr.shape[1:])
        return as_points(arr.reshape(arr.shape[0], -1), "X", _float_dtype(arr)), shape
    pts = as_points(arr, "X", _float_dtype(arr))
    return pts, (pts.shape[1],)


def _float_dtype(arr):
    """The array's own float type (float32 or float64; other kinds are as_points' to refuse)."""
    dt = getattr(arr, "dtype", None)
    return dt if dt is not None and dt in (np.float32, np.float64) else np.float64


def _summary(X: np.ndarray) -> np.ndarray:
    """Go's summary of the points X (n, d): count, then per coordinate sums, squares, minima
    and maxima (1 + 4d values), the form ranks merge."""
    out = np.empty(1 + 4 * X.shape[1], dtype=np.float64)
    cfunc("anila_data_summary", ptr(X), X.shape[0], X.shape[1], int(X.dtype == np.float64), ptr(out))
    return out


def _check_checkpoint(checkpoint, checkpoint_every):
    """Validated (path or None, every)."""
    every = check_int("checkpoint_every", checkpoint_every, 0)
    if checkpoint is None:
        if every:
            raise ValueError(f"checkpoint_every={every} needs checkpoint=<path of the checkpoint file>")
        return None, 0
    if not isinstance(checkpoint, (str, os.PathLike)):
        raise TypeError(f"checkpoint must be a file path, got {type(checkpoint).__name__}")
    path = os.path.abspath(os.fspath(checkpoint))
    folder = os.path.dirname(path)
    if not os.path.isdir(folder):
        raise ValueError(f"checkpoint={os.fspath(checkpoint)!r}: folder {folder!r} does not exist")
    return path, every


def _check_seconds(max_seconds):
    """None, or a positive number of seconds."""
    if max_seconds is None:
        return None
    return check_float("max_seconds", max_seconds, 0, lo_open=True)


def energy_layers(energy):
    """(layer specs, flat weights or None) of an energy given as an object: an
    anila.nn.Sequential or layer (no weights), or a torch.nn.Module read by anila.convert."""
    if isinstance(energy, nn.Layer):
        return (energy if isinstance(energy, nn.Sequential) else nn.Sequential(energy)).specs(), None
    torch = sys.modules.get("torch")
    if torch is None or not isinstance(energy, torch.nn.Module):
        raise TypeError(f"energy must be a name ('mlp', 'convnet', 'vanilla'), an anila.nn.Sequential "
                        f"or a torch.nn.Module, got {type(energy).__name__}")
    return convert.layers_of(energy)


def _given(params: dict):
    """The parameters as JSON carries them to Go, with an energy given as an object
    (`energy_layers`) turned into energy="layers" and its layer specs; and the torch module
    with its weights (or None)."""
    params = dict(params)
    module = None
    energy = params.get("energy")
    if energy is not None and not isinstance(energy, str):
        specs, weights = energy_layers(energy)
        if weights is not None:
            module = (weights, energy)
            params.setdefault("data_init", False)  # keep the module's weights as they are
            params.setdefault("dtype", str(weights.dtype))
        params.update(energy="layers", layers=specs)
    return {k: jsonable(v, k) for k, v in params.items()}, module


def _new(params: dict, shape, summary, coord) -> Model:
    """A model made by Go from the parameters as given (their run resolved there), one
    example's shape and the data's summary (None: no data), with a torch module's weights."""
    given, module = _given(params)
    request = {"params": given, "shape": list(shape), "summary": [] if summary is None else summary.tolist(),
               "rank": coord.rank, "ranks": coord.size}
    model = Model(gocall(capi.NewModel, json.dumps(request)))
    if module is not None:
        _start_from_module(model, module)
    return model


def train(X, *, progress: bool = True, callback=None, checkpoint=None, checkpoint_every: int = 0,
          max_seconds: float | None = None, comm=None, **params) -> Model:
    """Train an energy-based model on X (n, d), or images (N, C, H, W) or (N, H, W), by
    maximum likelihood with Langevin sampling.

    params are the run's settings, all keyword (`anila.parameters()` lists them with their
    kinds, bounds, defaults for point data and for images, and docs): energy="mlp" |
    "convnet" | "vanilla" | an anila.nn.Sequential | a torch.nn.Module, sampler="anila" |
    "sgld", steps=K, step_size=η, threshold=b, iterations, batch_size, lr, ..., seed. Go
    fills what is not given and checks every value; a bad one is a TypeError or ValueError
    naming it. For the MLP, step_size and threshold left out are per unit of the data's
    scale (standardize). progress shows a tqdm bar when tqdm is installed; callback(model,
    history) is called after each chunk of iterations. Ctrl-C stops training within a
    Langevin step and returns the model trained so far (the unfinished iteration undone).

    checkpoint (a file path) with checkpoint_every=N writes the model, optimizer, replay
    buffer and random state there atomically every N iterations, at the end and on Ctrl-C;
    `anila.resume(checkpoint, X)` continues such a run, bit-identically to an uninterrupted
    one. With checkpoint alone, it is written at the end only. max_seconds stops training
    (after a whole iteration) once that much wall time has passed; `model.iteration` tells how
    far it got.

    comm trains data-parallel across processes (see `anila.distributed`): an mpi4py
    communicator (e.g. MPI.COMM_WORLD), a torch.distributed process group or "torch" (the
    default group). Every rank calls train with its own shard X and the same settings;
    batch_size is per rank, buffer_size the whole run's (each of R ranks keeps 1/R of the
    replay buffer); every rank returns the same model and history. Rank 0's checkpoint file
    is the model; the other ranks' chains, buffers and random states go to
    `<checkpoint>.rank<r>`.
    """
    c = distributed.wrap(comm)
    err = summary = shape = None
    try:
        progress = check_bool("progress", progress)
        path, every = _check_checkpoint(checkpoint, checkpoint_every)
        max_seconds = _check_seconds(max_seconds)
        X, shape = _examples(X)
        summary = _summary(X)
    except (ValueError, TypeError) as exc:
        err = exc
    c.check(err)
    c.agree_on_settings({"dim": int(np.prod(shape)), "shape": list(shape)})
    summary = c.merge_summary(summary)
    model = None
    try:
        model = _new(params, shape, summary, c)
    except (ValueError, TypeError) as exc:
        err = exc
    c.check(err)
    c.agree_on_settings({"dim": model.dim, **model.params})  # params' seed is the run's, not the rank's
    model._set_data(np.ascontiguousarray(X, dtype=model.dtype))
    if path is not None and every:
        gocall(capi.RecordCheckpoints, model._handle(), every)
    c.share_parameters(model)
    _run(model, model.plan["iterations"], progress=progress, callback=callback, max_seconds=max_seconds, coord=c,
         checkpoint=path, every=every)
    return model


def resume(path, X, *, iterations: int | None = None, progress: bool = True, callback=None, comm=None) -> Model:
    """Continue a run that `train(..., checkpoint=path, checkpoint_every=N)` checkpointed:
    load it, check that X is the data it was trained on (checkpoints hold the model,
    optimizer, buffer and random state, not the data), and train up to the run's total
    iterations (or `iterations` in total when given), checkpointing to path as before. The
    result is bit-identical to the uninterrupted run with the same seed. A data-parallel run
    resumes with comm and the same number of ranks, each with its own shard."""
    c = distributed.wrap(comm)
    model, err, target, every = None, None, 0, 0
    try:
        path = os.path.abspath(os.fspath(path))
        mine = distributed.rank_checkpoint(path, c.rank)
        model = load(mine)
        plan = model.plan
        if plan is None or not plan.get("checkpoint_every"):
            raise ValueError(f"{mine!r} is not a checkpoint of anila.train(checkpoint=..., "
                             "checkpoint_every=...); continue a saved model with Model.fit_more")
        if int(plan.get("ranks") or 1) != c.size:
            raise ValueError(f"{mine!r} is a checkpoint of a run on {plan.get('ranks') or 1} processes; resume "
                             f"it on as many (this is {c.size})")
        model._set_data(model._points(X))
        if gocall(capi.DataSHA256, model._handle()) != plan["data_sha256"]:
            raise ValueError(f"X is not the data the checkpoint {mine!r} was trained on "
                             f"(its shape or values differ); resume needs the same X")
        every = int(plan["checkpoint_every"])
        target = plan["iterations"] if iterations is None else check_int("iterations", iterations, 0)
        progress = check_bool("progress", progress)
    except (ValueError, TypeError, OSError) as exc:
        if model is not None:
            model.close()
        err = exc
    c.check(err)
    c.agree_on_settings({"iteration": model.iteration, "target": target})
    c.check_in_step(model)
    _run(model, max(0, target - model.iteration), progress=progress, callback=callback, coord=c,
         checkpoint=path, every=every)
    return model


def load(path) -> Model:
    """Read a model written by `Model.save` (or by anila.train's checkpoints)."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no such model file: {path!r}")
    return Model(gocall(capi.Load, path))


def new_model(dim, *, data=None, **params) -> Model:
    """An untrained model for data of dimension dim (for the image energies, dim is the
    image shape (C, H, W)), its parameters drawn from `seed`; the same parameters as `train`
    (iterations is kept for a later fit_more's bookkeeping only). With data (points (n, d) or
    images), what depends on the data is taken from it as `train` does: the MLP's input
    standardisation, step_size and threshold per unit of its scale, the clamp and noise
    boxes. Without data there is nothing to standardise by (the net sees x as it is),
    clamp='auto' or 'data' means no clamp and chains started from noise use the box [-1, 1]."""
    if isinstance(dim, (int, np.integer)) and not isinstance(dim, bool):
        shape = (check_int("dim", dim, 1, 1 << 24),)
    elif hasattr(dim, "__len__") and len(dim) == 3:
        shape = tuple(check_int(f"dim[{i}]", v, 1, 1 << 14) for i, v in enumerate(dim))
    else:
        raise TypeError(f"dim must be the data dimension (an int) or the image shape (C, H, W), got {dim!r}")
    summary = None
    if data is not None:
        X, data_shape = _examples(data)
        if int(np.prod(data_shape)) != int(np.prod(shape)):
            raise ValueError(f"data has examples of shape {data_shape}, the model takes {shape}")
        summary = _summary(X)
    return _new(params, shape, summary, distributed.Local())


def from_torch(module, *, image_shape=None, **params) -> Model:
    """An anila Model with the architecture and weights of a torch module (traced by
    torch.fx: supported layers, torch.nn.functional activations, flatten and residual
    additions; anything else is a TypeError naming the first unsupported node). params are
    `anila.train`'s (sampler settings and so on); the module's dtype sets the model's unless
    given. Image nets (first weighted layer a Conv2d) need image_shape=(C, H, W) unless the
    module carries one."""
    specs, _ = convert.layers_of(module)
    image_shape = image_shape or getattr(module, "image_shape", None)
    weighted = [s for s in specs if s["type"] in ("linear", "conv2d")]
    if weighted and weighted[0]["type"] == "conv2d":
        if image_shape is None:
            raise ValueError("from_torch of a conv net needs image_shape=(C, H, W)")
        dim = tuple(int(v) for v in image_shape)
    elif weighted:
        dim = weighted[0]["in"]
    else:
        raise TypeError(f"{type(module).__name__} has no Linear or Conv2d layer")
    return new_model(dim, energy=module, **params)


def _start_from_module(model, init) -> None:
    """Give model the weights of the torch module it was converted from, and check on a few
    random inputs that it computes what the module computes."""
    weights, module = init
    model.set_parameters(weights)
    state = convert.spectral_state(module)
    if state.size:
        model.set_spectral_state(state)
    torch = sys.modules["torch"]
    shape = (4,) + (tuple(model.image_shape) if model.image_shape is not None else (model.dim,))
    X = np.random.default_rng(0).uniform(-1, 1, size=shape)
    dtype = next(module.parameters()).dtype
    training = module.training
    module.eval()  # PyTorch's train mode would advance spectral_norm's power iteration here
    try:
        with torch.no_grad():
            f_t = module(torch.from_numpy(X).to(dtype)).reshape(-1).double().numpy()
    finally:
        module.train(training)
    f_a = model.energy(X.astype(model.dtype)).astype(np.float64)
    tol = 1e-8 if dtype == torch.float64 and model.dtype == np.float64 else 1e-3
    if f_t.shape != f_a.shape or not np.allclose(f_a, f_t, rtol=tol, atol=tol * (1 + np.abs(f_t).max())):
        model.close()
        raise TypeError(f"{type(module).__name__} does not compute what its converted layers compute (f = {f_t[:2]} "
                        f"from torch, {f_a[:2]} from anila); its forward uses something the conversion missed")


if Model.sample.__doc__:
    Model.sample.__doc__ = Model.sample.__doc__.replace("{params}", sampling.params_doc().strip())
