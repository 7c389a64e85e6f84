"""`Model`: a trained (or loaded) energy model, and `train`, which makes one."""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import json
import os
import signal
import threading
import time
import warnings
import weakref

import numpy as np

from . import _config, distributed
from ._lib import capi, carray, cfunc, check_process, close_handle, go_floats, gocall, ptr
from ._progress import bar
from ._validate import as_points, check_bool, check_choice, check_float, check_int, check_seed
from .errors import DivergenceError

#: Seconds of work per call into Go, so that Ctrl-C and progress bars stay responsive.
CHUNK_SECONDS = 0.2


_GRAD_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_longlong, ctypes.c_void_p, ctypes.c_longlong)


class Model:
    """An energy model f(x) (log density up to a constant) held by anila's Go core.

    Make one with `anila.train`, `anila.EBM(...).fit` or `anila.load`. Arrays go in and come
    out as NumPy arrays of the model's dtype (`dtype`).
    """

    def __init__(self, handle: int, params: dict | None = None):
        self._h = int(handle)
        self._finalizer = weakref.finalize(self, close_handle, self._h)
        meta = json.loads(gocall(capi.ModelMeta, self._h))
        self.dtype = np.dtype(meta["dtype"])
        self.dim = int(meta["arch"]["in"])
        self.arch = meta["arch"]
        a = self.arch
        #: (C, H, W) for the conv energies, None for MLPs.
        self.image_shape = (a["channels"], a["height"], a["width"]) if a.get("channels") else None
        #: The run's checkpoint settings (target iterations, path, every, data fingerprint) when
        #: trained with `checkpoint_every`, else None.
        self.run_info = None
        if params is None and meta.get("note"):
            params, self.run_info = _from_note(meta["note"])
        self.params = dict(params) if params is not None else None
        self._clamp = None
        if params is not None and params.get("_clamp_box") is not None:
            self._clamp = tuple(params["_clamp_box"])

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
        """Per-iteration training record, a dict of NumPy arrays: f_data, f_sample, gap,
        grad_norm, gamma_mean, gamma_min, gamma_max, clipped, sample_grad_norm, accept,
        seconds, and iteration (1-based)."""
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
                 max_seconds: float | None = None, comm=None) -> "Model":
        """Continue training on X for `iterations` more iterations (or until max_seconds of
        wall time have passed); returns self. With comm (see `anila.train`), every rank calls
        it with its own shard X and the same settings, and continues its own chains."""
        c = distributed.wrap(comm)
        err = None
        try:
            X = self._points(X)
            iterations = check_int("iterations", iterations, 0)
            max_seconds = _check_seconds(max_seconds)
        except (ValueError, TypeError) as exc:
            if c is None:
                raise
            err = exc
        if c is not None:
            cfg = {k: v for k, v in self.config.items() if k != "Seed"}
            distributed.agree_on_start(c, err, {"dim": self.dim, "dtype": str(self.dtype), "config": cfg,
                                                "iteration": self.iteration, "iterations": iterations})
        self._set_data(X)
        if c is not None:
            distributed.share_parameters(c, self)
        self._run(iterations, progress, callback, max_seconds, c)
        return self

    def _run(self, iterations: int, progress: bool, callback, max_seconds=None, comm=None) -> None:
        """Train for `iterations` in chunks (stopping early after max_seconds); with
        `run_info` set, write a checkpoint every `checkpoint_every` iterations, at the end
        and when Ctrl-C stops the run. With a communicator, gradients are averaged across
        ranks, chunks and stops are agreed, and history is reduced after each chunk."""
        h = self._handle()
        deadline = None if max_seconds is None else time.perf_counter() + max_seconds
        info = self.run_info
        every = int(info["checkpoint_every"]) if info else 0
        it = self.iteration
        c = comm

        def chunk(n):
            nonlocal it
            done = 0
            while done < n:
                m = n - done
                if every:
                    m = min(m, every - it % every)
                k = self._train(h, m)
                if c is not None:
                    distributed.reduce_history(c, self, it, it + k)
                    distributed.check_in_step(c, self)
                done, it = done + k, it + k
                if every and k and it % every == 0:
                    self._checkpoint(c)
                if k < m:
                    break
            postfix = None
            if done:
                last = self._meta()["last"]  # the newest entry only: O(1) per chunk
                postfix = {k: f"{float('nan') if last.get(k) is None else last[k]:.3g}" for k in ("gap", "f_data")}
                if callback is not None:
                    callback(self, self.history)
            return done, postfix

        try:
            if c is None:
                _in_chunks(iterations, "training", progress, chunk, 10_000, deadline)
            else:
                with _agreed_chunks(c, deadline) as agree, self._hook_for(c):
                    _in_chunks(iterations, "training", progress and c.rank == 0, chunk, 10_000, agree=agree)
        except _Interrupted as stop:
            where = ""
            if every:
                self._checkpoint(c)
                where = f"; checkpoint written to {info['checkpoint']!r} (anila.resume continues it)"
            warnings.warn(f"training interrupted after {stop.done} of {iterations} iterations; "
                          f"the model keeps what it learned so far{where}", RuntimeWarning, stacklevel=3)
            return
        if every and it % every:
            self._checkpoint(c)

    def _checkpoint(self, c) -> None:
        """Write the run's checkpoint: the model to run_info["checkpoint"]; in data-parallel
        training also each other rank's model (its chains, buffer and random state) next to
        it, in `rank_checkpoint`'s files, before rank 0's."""
        path = self.run_info["checkpoint"]
        if c is None or c.size == 1:
            self.save(path)
            return
        if c.rank > 0:
            self.save(rank_checkpoint(path, c.rank))
        c.allgather(None)  # every rank's state is written before rank 0's model
        if c.rank == 0:
            self.save(path)

    @contextlib.contextmanager
    def _hook_for(self, c):
        """Install data-parallel training's gradient hook for the duration of a run; the
        caller's own hook, if any, runs after it and sees the averaged gradient."""
        dist_hook = distributed.gradient_hook(c)
        own = getattr(self, "_grad_fn", None)

        def both(it, g):
            dist_hook(it, g)
            own(it, g)

        self.set_grad_hook(dist_hook if own is None else both)
        try:
            yield
        finally:
            self.set_grad_hook(own)

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

    def _train(self, h: int, n: int) -> int:
        """n iterations in Go; a divergence becomes DivergenceError."""
        try:
            return gocall(capi.Train, h, n)
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
               sampler: str | None = None, step_size: float | None = None,
               threshold: float | None = None, noise_scale: float | None = None,
               adjusted: bool | None = None, anisotropy: str | None = None,
               noise=None, uniforms=None, progress: bool = False, return_info: bool = False):
        """Draw n samples by Langevin dynamics on this model's energy.

        steps: Langevin steps (default: 5 × the training steps K). init: "buffer" (the
        replay buffer, the default when the model has one), "noise" (uniform over the data's
        range), "data" or an array of start points (n, dim); with an array, n may be left
        out (it is the array's length). The sampler settings default to
        the training ones. Returns an (n, dim) array (and a dict of step statistics when
        return_info is True).

        For tests and experiments the randomness can be given: noise, an array (steps, n, dim)
        of the standard normals ξ of each step, and for adjusted samplers uniforms, an array
        (steps, n) of the U[0, 1) draws of the Metropolis tests. Then init should be an array.
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
        sc = cfg["Sampler"]
        p = {
            "sampler": sampler if sampler is not None else sc["Method"],
            "step_size": sc["StepSize"] if step_size is None else step_size,
            "threshold": sc["Threshold"] if threshold is None else threshold,
            "noise_scale": sc["NoiseScale"] if noise_scale is None else noise_scale,
            "adjusted": sc["Adjusted"] if adjusted is None else adjusted,
            "anisotropy": sc["Anisotropy"] if anisotropy is None else anisotropy,
        }
        p["sampler"] = check_choice("sampler", p["sampler"], _config.SAMPLERS)
        p["step_size"] = check_float("step_size", p["step_size"], 0, lo_open=True)
        p["threshold"] = check_float("threshold", p["threshold"], 0, lo_open=True)
        p["noise_scale"] = check_float("noise_scale", p["noise_scale"], 0)
        p["adjusted"] = check_bool("adjusted", p["adjusted"])
        p["anisotropy"] = check_choice("anisotropy", p["anisotropy"], _config.ANISOTROPY)
        p["channels"] = int(sc.get("Channels", 1) or 1)
        box = (sc["Lo"], sc["Hi"])
        sopts = _config.sampler_options(p, box)
        if init is None:
            init = "buffer" if meta["has_buffer"] else "noise"
        out = _run_chains(h, self.dim, self.dtype, sopts, n, steps, init, seed,
                          (cfg["NoiseLo"], cfg["NoiseHi"]), progress, return_info, noise, uniforms)
        if return_info:
            return self._shaped(out[0]), out[1]
        return self._shaped(out)

    def train_step(self, batch, z0, noise, uniforms=None) -> np.ndarray:
        """One training iteration with all its randomness given, for cross-checks against
        other implementations: the data batch (batch_size, dim), used as is; the chain starts
        z0 (batch_size, dim); noise (steps, batch_size, dim), the Langevin normals; and for
        adjusted samplers uniforms (steps, batch_size). Leaves the replay buffer and the
        random stream alone. Returns the final samples (batch_size, dim)."""
        h = self._handle()
        cfg = self._meta()["config"]
        m, k = int(cfg["BatchSize"]), int(cfg["Steps"])
        batch = self._points(batch, "batch")
        z0 = self._points(z0, "z0")
        for name, a in (("batch", batch), ("z0", z0)):
            if a.shape[0] != m:
                raise ValueError(f"{name} must have batch_size={m} rows, got {a.shape[0]}")
        xi, u = _noise_arrays(noise, uniforms, k, m, self.dim, self.dtype, bool(cfg["Sampler"]["Adjusted"]))
        out = np.empty((m, self.dim), dtype=self.dtype)
        try:
            cfunc("anila_train_step", h, ptr(batch), ptr(z0), ptr(xi), xi.size, ptr(u), u.size, ptr(out))
        except ValueError as exc:
            if str(exc).startswith("training diverged"):
                raise DivergenceError(str(exc), None, self.history) from None
            raise
        return self._shaped(out)

    def to_torch(self):
        """The equivalent torch.nn.Module with a copy of the weights (see anila.torch)."""
        from .torch import to_torch

        return to_torch(self)

    # -- persistence ------------------------------------------------------------------------
    def save(self, path) -> None:
        """Write the model (parameters, optimizer state, replay buffer, random state,
        history) to path, atomically, with a format version and a checksum."""
        path = os.fspath(path)
        if self.params is not None:
            gocall(capi.SetNote, self._handle(), _to_note(self.params, self.run_info))
        gocall(capi.Save, self._handle(), path)


class _Interrupted(Exception):
    """Ctrl-C during chunked work, after `done` units."""

    def __init__(self, done):
        super().__init__(done)
        self.done = done


def _in_chunks(total: int, desc: str, progress: bool, run, max_chunk: int, deadline=None, agree=None) -> None:
    """Do `total` units of work as run(k) -> (units done, progress-bar postfix or None),
    in chunks sized to about CHUNK_SECONDS each so that Ctrl-C and the bar stay responsive,
    stopping after the chunk that passes `deadline` (a time.perf_counter() value) if given.
    Ctrl-C raises _Interrupted with the units done. With agree (data-parallel training),
    agree(k, done) -> (k, stop) sets each chunk's size and whether to stop before it, the
    same on every rank (it raises _Interrupted itself)."""
    pbar = bar(total, desc, progress)
    done, chunk = 0, 1
    try:
        while done < total:
            n = min(chunk, total - done)
            if agree is not None:
                n, stop = agree(n, done)
                if stop:
                    break
            t0 = time.perf_counter()
            k, postfix = run(n)
            dt = time.perf_counter() - t0
            done += k
            pbar.update(k)
            if postfix:
                pbar.set_postfix(**postfix)
            if k < n or (deadline is not None and time.perf_counter() >= deadline):  # stopped early
                break
            chunk = max(1, min(max_chunk, int(CHUNK_SECONDS / max(dt / max(k, 1), 1e-7))))
    except KeyboardInterrupt:
        raise _Interrupted(done) from None
    finally:
        pbar.close()


@contextlib.contextmanager
def _agreed_chunks(c, deadline):
    """The `agree` of `_in_chunks` for data-parallel training: chunk sizes and the deadline
    are rank 0's; Ctrl-C on any rank (caught by a handler installed here, in the main thread)
    stops every rank before the same chunk."""
    flag = [False]
    old = None
    if threading.current_thread() is threading.main_thread():
        def on_sigint(signum, frame):
            flag[0] = True

        old = signal.signal(signal.SIGINT, on_sigint)

    def agree(n, done):
        late = deadline is not None and done > 0 and time.perf_counter() >= deadline
        n, stop, interrupted = distributed.agree_on_chunk(c, n, late, flag[0])
        if interrupted:
            raise _Interrupted(done)
        return n, stop

    try:
        yield agree
    finally:
        if old is not None:
            signal.signal(signal.SIGINT, old)


def rank_checkpoint(path: str, rank: int) -> str:
    """The file holding rank `rank`'s part of a data-parallel checkpoint at path (rank 0's is
    path itself: the model)."""
    return path if rank == 0 else f"{path}.rank{rank}"


def _noise_arrays(noise, uniforms, steps, n, dim, dtype, adjusted):
    """Check caller-given noise (steps, n, dim) and uniforms (steps, n) and return them as
    contiguous arrays of dtype (uniforms empty for unadjusted samplers)."""
    xi = np.ascontiguousarray(np.asarray(noise), dtype=dtype)
    if xi.ndim > 3 and xi.shape[:2] == (steps, n) and int(np.prod(xi.shape[2:])) == dim:
        xi = xi.reshape(steps, n, dim)  # image-shaped noise
    if xi.shape != (steps, n, dim):
        raise ValueError(f"noise must have shape (steps, n, dim) = {(steps, n, dim)}, got {xi.shape}")
    if not np.isfinite(xi).all():
        raise ValueError("noise must be finite")
    if adjusted:
        if uniforms is None:
            raise ValueError("uniforms (steps, n) are needed with noise for an adjusted sampler")
        u = np.ascontiguousarray(np.asarray(uniforms), dtype=dtype)
        if u.shape != (steps, n):
            raise ValueError(f"uniforms must have shape (steps, n) = {(steps, n)}, got {u.shape}")
    else:
        if uniforms is not None:
            raise ValueError("uniforms are only used by adjusted samplers")
        u = np.empty(0, dtype=dtype)
    return xi, u


def _run_chains(target: int, dim: int, dtype, sopts, n, steps, init, seed, noise_box, progress, return_info,
                noise=None, uniforms=None):
    """Run n chains on the energy `target` and return their final positions; with noise
    (and uniforms) given, the steps use them instead of the seeded stream."""
    ch = gocall(capi.NewChains, target, sopts, n, seed)
    try:
        if isinstance(init, str):
            init = check_choice("init", init, ("buffer", "noise", "data", "normal"))
            gocall(capi.InitChains, ch, init, float(noise_box[0]), float(noise_box[1]))
        else:
            z0 = as_points(init, "init", dtype, dim)
            if z0.shape[0] != n:
                raise ValueError(f"init has {z0.shape[0]} rows, want n={n}")
            cfunc("anila_chains_positions", ch, ptr(z0), z0.size, 1)
        if noise is not None:
            xi, u = _noise_arrays(noise, uniforms, steps, n, dim, dtype, bool(sopts.Adjusted))
            cfunc("anila_chains_step_fixed", ch, steps, ptr(xi), xi.size, ptr(u), u.size)
            steps = 0
        elif uniforms is not None:
            raise ValueError("uniforms are given without noise")
        def chunk(k):
            gocall(capi.StepChains, ch, k)
            return k, None

        try:
            _in_chunks(steps, "sampling", progress, chunk, 100_000)
        except _Interrupted:
            raise KeyboardInterrupt from None
        out = np.empty((n, dim), dtype=dtype)
        cfunc("anila_chains_positions", ch, ptr(out), out.size, 0)
        if return_info:
            info = json.loads(gocall(capi.ChainsInfo, ch))
            return out, {k: float("nan") if v is None else float(v) for k, v in info.items()}
        return out
    finally:
        close_handle(ch)


def _data_and_shape(X, p):
    """Training data as (n, dim) points and, for the conv energies, the image shape: X may be
    (N, C, H, W), (N, H, W) (one channel) or, for MLPs, (N, d). AniLA's "pixel" mode takes
    its channel count from the images."""
    if not _config.is_image(p):
        return as_points(X, "X", np.dtype(p["dtype"])), None
    if isinstance(X, (str, bytes)):
        raise TypeError(f"X must be an array of images, got {type(X).__name__}")
    arr = np.asarray(X)
    if arr.ndim == 3:
        arr = arr[:, None]
    if arr.ndim != 4:
        raise ValueError(f"X must be images (N, C, H, W) or (N, H, W) for energy={p['energy']!r}, got shape {arr.shape}")
    shape = arr.shape[1:]
    p["channels"] = int(shape[0])
    return as_points(arr.reshape(arr.shape[0], -1), "X", np.dtype(p["dtype"])), shape


def _to_note(params: dict, run_info) -> str:
    """The JSON note saved with a model: its Python parameters and checkpoint settings."""
    def plain(v):
        return list(v) if isinstance(v, tuple) else v
    return json.dumps({"anila_params": {k: plain(v) for k, v in params.items()}, "run": run_info})


def _from_note(note: str):
    """(params, run_info) from a note written by `_to_note`, or (None, None)."""
    try:
        d = json.loads(note)
        params = d["anila_params"]
    except (ValueError, KeyError, TypeError):
        return None, None
    for k in ("hidden", "betas", "_clamp_box", "clamp", "noise_box"):
        if isinstance(params.get(k), list):
            params[k] = tuple(params[k])
    return params, d.get("run")


def _fingerprint(X: np.ndarray) -> str:
    """SHA-256 of the training points (n, dim) with their shape and dtype."""
    hsh = hashlib.sha256(f"{X.shape}{X.dtype.str}".encode())
    hsh.update(memoryview(np.ascontiguousarray(X)).cast("B"))
    return hsh.hexdigest()


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


def train(X, *, progress: bool = True, callback=None, checkpoint=None, checkpoint_every: int = 0,
          max_seconds: float | None = None, comm=None, **params) -> Model:
    """Train an energy-based model on X (n, d) by maximum likelihood with Langevin sampling.

    Parameters (all keyword; see README "API at a glance" for the full list and defaults):
    energy="mlp", hidden=(128, 128, 128), activation="silu", standardize=True,
    sampler="anila" | "sgld", adjusted=False, steps=K, step_size=η, threshold=b,
    threshold_quantile, noise_scale=ε, anisotropy="coordinate" | "pixel" | "chain",
    init="buffer" | "noise" | "data", buffer_size, reinit, jump, jump_width, ema, iterations,
    batch_size, lr, lr_decay="none" | "cosine", lr_floor, optimizer="adam" | "sgd", betas,
    momentum, l2, data_noise, grad_clip, clamp="auto" | "data" | None | (lo, hi),
    noise_box="auto" | "central" | "data" | (lo, hi) (where chains start from noise),
    dtype="float32" | "float64", seed. For the MLP, step_size and threshold left at their
    defaults are per unit of the data's scale (standardize). progress shows a tqdm bar when
    tqdm is installed;
    callback(model, history) is called after each chunk of iterations. Ctrl-C stops
    training and returns the model trained so far.

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
    replay buffer, so R ranks × batch b sample as one process with batch R·b); every rank
    returns the same model and history. Rank 0's
    checkpoint file is the model; the other ranks' chains, buffers and random states go to
    `<checkpoint>.rank<r>`.
    """
    c = distributed.wrap(comm)
    err = None
    try:
        params, init_weights = _energy_object(params)
        p = _config.resolve(params)
        progress = check_bool("progress", progress)
        path, every = _check_checkpoint(checkpoint, checkpoint_every)
        max_seconds = _check_seconds(max_seconds)
        if path is not None and not every:
            every = max(p["iterations"], 1)
        X, image_shape = _data_and_shape(X, p)
    except (ValueError, TypeError) as exc:
        if c is None:
            raise
        err = exc
    stats = _config.data_stats(X, p) if err is None else None
    if c is not None:
        summary = {} if err else {"settings": p, "dim": X.shape[1], "image_shape": image_shape,
                                  "checkpoint": path, "checkpoint_every": every}
        distributed.agree_on_start(c, err, summary)
        stats = distributed.gather_stats(c, stats)
    if err is None:
        _config.standardize(p, stats, params)
    box = _config.clamp_box(p["clamp"], stats)
    p["_clamp_box"] = box
    go_p = p
    if c is not None:  # each rank: its own stream and its share of the replay buffer
        go_p = dict(p, seed=distributed.rank_seed(p["seed"], c.rank),
                    buffer_size=distributed.rank_buffer_size(p["buffer_size"], c.size))
    h = gocall(capi.NewModel, _config.model_options(go_p, X.shape[1], _config.noise_box(p, stats), image_shape),
               _config.sampler_options(p, box))
    model = Model(h, p)
    _start_from_module(model, init_weights)
    if path is not None:
        model.run_info = {"iterations": p["iterations"], "checkpoint": path, "checkpoint_every": every,
                          "data_sha256": _fingerprint(X)}
        if c is not None and c.size > 1:
            model.run_info.update(ranks=c.size, rank=c.rank)
    model._set_data(X)
    if c is not None:
        distributed.share_parameters(c, model)
    model._run(p["iterations"], progress, callback, max_seconds, c)
    return model


def resume(path, X, *, iterations: int | None = None, progress: bool = True, callback=None, comm=None) -> Model:
    """Continue a run that `train(..., checkpoint=path, checkpoint_every=N)` checkpointed:
    load it, check that X is the data it was trained on (checkpoints hold the model,
    optimizer, buffer and random state, not the data), and train up to the run's total
    iterations (or `iterations` in total when given), checkpointing as before. The result is
    bit-identical to the uninterrupted run with the same seed. A data-parallel run resumes
    with comm and the same number of ranks, each with its own shard."""
    c = distributed.wrap(comm)
    ranks = 1 if c is None else c.size
    rank = 0 if c is None else c.rank
    model, err, target = None, None, 0
    try:
        mine = rank_checkpoint(os.fspath(path), rank)
        model = load(mine)
        info = model.run_info
        if info is None or model.params is None:
            raise ValueError(f"{mine!r} is not a checkpoint of anila.train(checkpoint=..., "
                             "checkpoint_every=...); continue a saved model with Model.fit_more")
        if int(info.get("ranks", 1)) != ranks:
            raise ValueError(f"{mine!r} is a checkpoint of a run on {info.get('ranks', 1)} processes; resume "
                             f"it on as many (this is {ranks})")
        Xp, _ = _data_and_shape(X, dict(model.params))
        if _fingerprint(Xp) != info["data_sha256"]:
            raise ValueError(f"X is not the data the checkpoint {mine!r} was trained on "
                             f"(shape {Xp.shape}, or different values); resume needs the same X")
        target = info["iterations"] if iterations is None else check_int("iterations", iterations, 0)
        progress = check_bool("progress", progress)
    except (ValueError, TypeError, OSError) as exc:
        if model is not None:
            model.close()
        if c is None:
            raise
        err = exc
    if c is not None:
        distributed.agree_on_start(c, err, {} if err else {"iteration": model.iteration, "target": target})
    info["checkpoint"] = os.path.abspath(os.fspath(path))
    model._set_data(Xp)
    if c is not None:
        distributed.check_in_step(c, model)
    model._run(max(0, target - model.iteration), progress, callback, None, c)
    return model


def load(path) -> Model:
    """Read a model written by `Model.save`."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no such model file: {path!r}")
    return Model(gocall(capi.Load, path))


def new_model(dim, **params) -> Model:
    """An untrained model for data of dimension dim (for the image energies, dim is the
    image shape (C, H, W)), its parameters drawn from `seed`; the same parameters as `train`
    (iterations is ignored). Without data, clamp='auto' or 'data' means no clamp and chains
    started from noise use the box [-1, 1]."""
    params, init_weights = _energy_object(params)
    p = _config.resolve(params)
    image_shape = None
    if _config.is_image(p):
        if isinstance(dim, (int, np.integer)) or not hasattr(dim, "__len__") or len(dim) != 3:
            raise ValueError(f"dim must be the image shape (C, H, W) for energy={p['energy']!r}, got {dim!r}")
        image_shape = tuple(check_int(f"dim[{i}]", v, 1, 1 << 14) for i, v in enumerate(dim))
        p["channels"] = image_shape[0]
        dim = int(np.prod(image_shape))
    dim = check_int("dim", dim, 1, 1 << 24)
    box = (0.0, 0.0) if p["clamp"] in (None, "auto", "data") else p["clamp"]
    p["_clamp_box"] = box
    noise_box = box if box[0] < box[1] else (-1.0, 1.0)
    if isinstance(p["noise_box"], tuple):
        noise_box = p["noise_box"]
    h = gocall(capi.NewModel, _config.model_options(p, dim, noise_box, image_shape),
               _config.sampler_options(p, box))
    model = Model(h, p)
    _start_from_module(model, init_weights)
    return model


def _energy_object(params: dict):
    """params with an energy given as an object (anila.nn.Sequential or torch.nn.Module)
    turned into energy="layers" and its layer specs, and the module's weights (or None)."""
    energy = params.get("energy")
    if energy is None or isinstance(energy, str):
        return params, None
    specs, weights = _config.energy_layers(energy)
    params = dict(params, energy="layers", layers=specs)
    if weights is not None:
        params.setdefault("data_init", False)  # keep the module's weights as they are
        params.setdefault("dtype", str(weights.dtype))
        return params, (weights, energy)
    return params, None


def _start_from_module(model, init) -> None:
    """Give model the weights of the torch module it was converted from, and check that it
    computes what the module computes (a module whose forward() is not its layers in order,
    e.g. a residual block that is not body(x) + shortcut(x), is refused)."""
    if init is None:
        return
    weights, module = init
    model.set_parameters(weights)
    import torch

    from .torch import spectral_state

    state = spectral_state(module)
    if state.size:
        model.set_spectral_state(state)

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
        raise TypeError(f"{type(module).__name__} does not compute what its layers compute in order (its forward() "
                        f"differs: f = {f_t[:2]} from torch, {f_a[:2]} from its layers); anila takes Sequentials of "
                        "the supported layers and residual modules whose forward is body(x) + shortcut(x)")
