"""The run: training a model for a number of iterations in chunks, with a progress bar,
callbacks, a wall-time limit, Ctrl-C (through Go's Stop, within a Langevin step),
checkpoints, and data-parallel coordination behind `distributed.Coordinator`.

`train`, `resume` and `Model.fit_more` (anila.model) decide what to run; `run` runs it. It
works on any model object with the methods used here and imports nothing of anila.model.
"""

from __future__ import annotations

import contextlib
import time
import warnings

from ._chunks import Interrupted, in_chunks
from .distributed import Coordinator, Local


def run(model, iterations: int, *, progress: bool = True, callback=None, max_seconds: float | None = None,
        coord: Coordinator | None = None, checkpoint: str | None = None, every: int = 0) -> None:
    """Train model for `iterations` more iterations in chunks (stopping early after
    max_seconds). With checkpoint (a path), write the model there every `every` iterations
    (when every > 0), at the end and when Ctrl-C stops the run. With a Coordinator of several
    ranks, gradients are averaged, chunks and stops are agreed, and history is reduced after
    each chunk. Ctrl-C stops within a Langevin step, keeps every whole iteration done and
    warns."""
    c = coord or Local()
    deadline = None if max_seconds is None else time.perf_counter() + max_seconds
    start = model.iteration
    it = start

    def chunk(n):
        nonlocal it
        done = 0
        while done < n:
            m = n - done
            if every:
                m = min(m, every - it % every)
            k = model._train(m)
            c.after_chunk(model, it, it + k)
            done, it = done + k, it + k
            if checkpoint and every and k and it % every == 0:
                c.write_checkpoint(model, checkpoint)
            if k < m:
                break
        postfix = None
        if done:
            last = model._meta()["last"]  # the newest entry only: O(1) per chunk
            postfix = {k: f"{float('nan') if last.get(k) is None else last[k]:.3g}" for k in ("gap", "f_data")}
            if callback is not None:
                callback(model, model.history)
        return done, postfix

    try:
        with c.chunks(deadline) as agree, _hook(model, c.gradient_hook()):
            in_chunks(iterations, "training", progress and c.rank == 0, chunk, 10_000,
                      None if agree is not None else deadline, agree)
    except Interrupted:
        where = ""
        if checkpoint:
            c.write_checkpoint(model, checkpoint)
            where = f"; checkpoint written to {checkpoint!r} (anila.resume continues it)"
        warnings.warn(f"training interrupted after {model.iteration - start} of {iterations} iterations; "
                      f"the model keeps what it learned so far{where}", RuntimeWarning, stacklevel=3)
        return
    if checkpoint and (not every or it % every):
        c.write_checkpoint(model, checkpoint)


@contextlib.contextmanager
def _hook(model, dist_hook):
    """Install data-parallel training's gradient hook for the duration of a run; the
    caller's own hook, if any, runs after it and sees the averaged gradient."""
    if dist_hook is None:
        yield
        return
    own = model._grad_fn

    def both(it, g):
        dist_hook(it, g)
        own(it, g)

    model.set_grad_hook(dist_hook if own is None else both)
    try:
        yield
    finally:
        model.set_grad_hook(own)
