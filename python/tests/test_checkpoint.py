"""Checkpoints during training and `anila.resume`: bit-identical continuation, also after the
training process is killed, and clear errors for the wrong data or file."""

import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import anila

TOY = dict(hidden=(16, 16), steps=5, batch_size=32, buffer_size=200, seed=3, progress=False)
IMAGES = dict(energy="convnet", nf=2, steps=3, batch_size=8, buffer_size=32, seed=4, progress=False)


def _images(n=40, seed=0):
    rng = np.random.default_rng(seed)
    return np.tanh(rng.normal(size=(n, 1, 8, 8))).astype(np.float32)


@pytest.mark.parametrize("kind", ["toy", "images"])
def test_resume_is_bit_identical(tmp_path, kind):
    X, kw = (anila.datasets.rings(500, seed=1), TOY) if kind == "toy" else (_images(), IMAGES)
    whole = anila.train(X, iterations=20, **kw)
    path = tmp_path / "run.anila"
    part = anila.train(X, iterations=10, checkpoint=path, checkpoint_every=4, **kw)
    assert part.iteration == 10 and path.exists()
    back = anila.resume(path, X, iterations=20)
    assert back.iteration == 20
    np.testing.assert_array_equal(back.parameters(), whole.parameters())
    for k, v in whole.history.items():
        if k == "seconds":  # wall time
            continue
        np.testing.assert_array_equal(back.history[k][~np.isnan(v)], v[~np.isnan(v)], err_msg=k)
    # the resumed run kept checkpointing: the file now holds iteration 20
    assert anila.load(path).iteration == 20
    if kind == "images":
        assert back.sample(4, steps=2).shape == (4, 1, 8, 8)


def test_checkpoint_every_writes_during_the_run(tmp_path):
    X = anila.datasets.rings(500, seed=1)
    path = tmp_path / "run.anila"
    seen = []

    def watch(model, history):
        if path.exists():
            seen.append(anila.load(path).iteration)

    anila.train(X, iterations=30, checkpoint=path, checkpoint_every=7, callback=watch, **TOY)
    assert all(i % 7 == 0 for i in seen), seen
    m = anila.load(path)
    assert m.iteration == 30 and m.plan["checkpoint_every"] == 7
    assert m.params["hidden"] == (16, 16)


def test_resume_after_kill(tmp_path):
    """SIGKILL mid-run loses nothing but the iterations since the last checkpoint, and the
    continued run is bit-identical to an uninterrupted one."""
    path = tmp_path / "run.anila"
    child = textwrap.dedent(f"""
        import anila
        X = anila.datasets.rings(500, seed=1)
        anila.train(X, iterations=10**7, checkpoint={str(path)!r}, checkpoint_every=25,
                    hidden=(16, 16), steps=5, batch_size=32, buffer_size=200, seed=3, progress=False)
    """)
    proc = subprocess.Popen([sys.executable, "-c", child])
    try:
        deadline = time.time() + 120
        while time.time() < deadline and (not path.exists() or anila.load(path).iteration < 50):
            time.sleep(0.05)  # load raises if it ever sees a torn file
        time.sleep(0.1)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    saved = anila.load(path)  # atomic writes: never a torn file
    it = saved.iteration
    assert it >= 50 and it % 25 == 0
    X = anila.datasets.rings(500, seed=1)
    back = anila.resume(path, X, iterations=it + 10)
    whole = anila.train(X, iterations=it + 10, **TOY)
    np.testing.assert_array_equal(back.parameters(), whole.parameters())


def test_resume_errors(tmp_path):
    X = anila.datasets.rings(500, seed=1)
    path = tmp_path / "run.anila"
    anila.train(X, iterations=4, checkpoint=path, checkpoint_every=2, **TOY)
    with pytest.raises(ValueError, match="not the data"):
        anila.resume(path, X + 1e-3)
    plain = tmp_path / "plain.anila"
    anila.train(X, iterations=2, **TOY).save(plain)
    with pytest.raises(ValueError, match="fit_more"):
        anila.resume(plain, X)
    with pytest.raises(ValueError, match="checkpoint_every=5 needs checkpoint"):
        anila.train(X, iterations=2, checkpoint_every=5, **TOY)
    with pytest.raises(ValueError, match="does not exist"):
        anila.train(X, iterations=2, checkpoint=tmp_path / "no" / "such.anila", **TOY)
    with pytest.raises(ValueError, match="checkpoint_every"):
        anila.train(X, iterations=2, checkpoint=path, checkpoint_every=-1, **TOY)
    with pytest.raises(FileNotFoundError):
        anila.resume(tmp_path / "missing.anila", X)
