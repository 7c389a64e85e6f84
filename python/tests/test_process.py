"""Processes and threads: fork is refused clearly, spawn works, threads give the same results."""

import multiprocessing as mp
import threading

import numpy as np

import anila
from conftest import FAST


def _use_anila(q):
    try:
        import anila as a

        X = a.datasets.rings(100, seed=0)
        q.put(("ok", float(a.train(X, iterations=2, seed=0, **FAST).energy(X[:1])[0])))
    except RuntimeError as exc:
        q.put(("RuntimeError", str(exc)))


def _use_model_from_parent(model, q):
    try:
        model.energy(np.zeros((1, 2)))
        q.put(("ok", ""))
    except RuntimeError as exc:
        q.put(("RuntimeError", str(exc)))


def test_fork_raises_clear_error(small_model):
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    p = ctx.Process(target=_use_model_from_parent, args=(small_model, q))
    p.start()
    kind, msg = q.get(timeout=60)
    p.join(timeout=60)
    assert kind == "RuntimeError" and "spawn" in msg and "fork" in msg
    assert p.exitcode == 0


def test_spawn_works():
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=_use_anila, args=(q,))
    p.start()
    kind, value = q.get(timeout=120)
    p.join(timeout=60)
    assert kind == "ok" and np.isfinite(value)


def test_two_threads_match_sequential(rings):
    seq = [anila.train(rings, iterations=15, seed=s, **FAST).parameters() for s in (1, 2)]
    out = [None, None]

    def work(i, s):
        out[i] = anila.train(rings, iterations=15, seed=s, **FAST).parameters()

    ts = [threading.Thread(target=work, args=(i, s)) for i, s in enumerate((1, 2))]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    for a, b in zip(seq, out):
        np.testing.assert_array_equal(a, b)


def test_models_are_freed(rings):
    import gc

    from anila._lib import capi

    gc.collect()
    before = capi.LiveHandles()
    for _ in range(50):
        m = anila.train(rings, iterations=0, seed=0, **FAST)
        del m
    gc.collect()
    assert capi.LiveHandles() == before


def test_forked_child_survives_garbage_collection(small_model):
    """A forked child that collects garbage does not hang: gopy asks Go for a collection at
    every Python collection, which a forked child must not do (Go cannot run there)."""
    import gc

    def child(q):
        gc.collect()
        q.put("collected")

    ctx = mp.get_context("fork")
    q = ctx.Queue()
    p = ctx.Process(target=child, args=(q,))
    p.start()
    try:
        assert q.get(timeout=60) == "collected"
    finally:
        p.join(timeout=10)
        if p.is_alive():
            p.kill()
    assert p.exitcode == 0
