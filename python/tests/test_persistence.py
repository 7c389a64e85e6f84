"""Model files: one copy of a run's settings (Go's header), files of the previous format
still load, a loaded copy never writes where a file says, the umask is honoured, and large
standardised models save."""

import os
import shutil

import numpy as np
import pytest

import anila
from conftest import FAST

DATA = os.path.join(os.path.dirname(__file__), "data")


def test_a_loaded_copy_writes_only_where_its_caller_says(tmp_path, rings):
    """A model file holds no checkpoint path: fit_more on a loaded copy of a checkpointed run
    writes nothing (it used to overwrite the original run's checkpoint, named in the file),
    and writes where fit_more is told."""
    original = tmp_path / "run.anila"
    anila.train(rings, iterations=6, checkpoint=original, checkpoint_every=3, seed=2, **FAST)
    before = original.read_bytes()
    copy = tmp_path / "copy.anila"
    shutil.copy(original, copy)
    m = anila.load(copy)
    m.fit_more(rings, 4, progress=False)
    assert original.read_bytes() == before and copy.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["copy.anila", "run.anila"]
    there = tmp_path / "there.anila"
    m.fit_more(rings, 2, progress=False, checkpoint=there, checkpoint_every=1)
    assert anila.load(there).iteration == 12 and original.read_bytes() == before


def test_files_of_the_previous_format_load_and_resume(tmp_path):
    """A format-2 checkpoint (settings twice: Go's header and a Python note with the run's
    absolute checkpoint path) loads with the same energies, and resumes to the path given,
    never to the one in its note."""
    src = os.path.join(DATA, "format2_checkpoint.anila")
    path = tmp_path / "old.anila"
    shutil.copy(src, path)
    m = anila.load(path)
    X = anila.datasets.two_moons(500, seed=0)
    # float32 energies: other OpenBLAS kernels round differently (7e-7 relative with Prescott's)
    np.testing.assert_allclose(m.energy(X[:8]), np.load(os.path.join(DATA, "format2_checkpoint.energies.npy")),
                               rtol=1e-5, atol=1e-7)
    assert m.plan["iterations"] == 30 and m.plan["checkpoint_every"] == 10
    assert m.params["hidden"] == (16, 16) and m.params["steps"] == 5
    noted = "/tmp/old_ckpt.anila"  # where the note says the run checkpointed
    stamp = os.stat(noted).st_mtime_ns if os.path.exists(noted) else None
    back = anila.resume(path, X, iterations=34, progress=False)
    assert back.iteration == 34 and anila.load(path).iteration == 34
    assert (os.stat(noted).st_mtime_ns if os.path.exists(noted) else None) == stamp
    with pytest.raises(ValueError, match="not the data"):
        anila.resume(path, X[:400], iterations=40, progress=False)


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_saved_files_honour_the_umask(tmp_path, small_model, umask, mode):
    old = os.umask(umask)
    try:
        small_model.save(tmp_path / "m.anila")
    finally:
        os.umask(old)
    assert os.stat(tmp_path / "m.anila").st_mode & 0o777 == mode


def test_large_standardised_model_saves(tmp_path):
    """A standardised MLP on d = 30,000 saves and loads (its settings once, in Go's header; a
    JSON note of them used to pass its 1 MiB limit above d ≈ 26,000)."""
    X = np.random.default_rng(1).normal(size=(20, 30_000)).astype(np.float32)
    m = anila.new_model(30_000, data=X, hidden=(4,), batch_size=8, buffer_size=16, seed=0)
    m.save(tmp_path / "big.anila")
    back = anila.load(tmp_path / "big.anila")
    np.testing.assert_array_equal(back.energy(X[:3]), m.energy(X[:3]))
    assert len(back.arch["in_shift"]) == 30_000
