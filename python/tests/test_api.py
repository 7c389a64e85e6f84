"""The NumPy API: shapes, dtypes, determinism, persistence, estimator, energies."""

import os
import textwrap

import numpy as np
import pytest

import anila
from conftest import FAST, interrupt_when_ready


def test_datasets_shapes_and_seeds():
    for name in anila.datasets.TOY_NAMES:
        a = anila.datasets.toy(name, 300, seed=3)
        assert a.shape == (300, 2) and a.dtype == np.float32
        assert np.array_equal(a, anila.datasets.toy(name, 300, seed=3))
        assert not np.array_equal(a, anila.datasets.toy(name, 300, seed=4))
    r = anila.datasets.rings(4000, seed=0)
    radius = np.hypot(r[:, 0], r[:, 1])
    assert np.abs(radius - 3.0).min() < 0.1 and radius.max() < 3.5


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_train_shapes_and_dtypes(rings, dtype):
    m = anila.train(rings, iterations=5, seed=0, dtype=dtype, **FAST)
    dt = np.dtype(dtype)
    assert m.dtype == dt and m.dim == 2 and m.iteration == 5
    Z = m.sample(50, steps=10)
    assert Z.shape == (50, 2) and Z.dtype == dt and np.isfinite(Z).all()
    f = m.energy(rings[:7])
    assert f.shape == (7,) and f.dtype == dt
    g = m.energy_grad(rings[:7])
    assert g.shape == (7, 2) and g.dtype == dt
    h = m.history
    assert set(h) >= {"f_data", "f_sample", "gap", "grad_norm", "gamma_mean", "accept", "seconds", "iteration"}
    assert all(len(v) == 5 for v in h.values())
    np.testing.assert_allclose(h["gap"], h["f_data"] - h["f_sample"], rtol=1e-12, atol=1e-12)
    p = m.parameters()
    assert p.shape == (2 * 16 + 16 + 16 * 16 + 16 + 16 + 1,) and p.dtype == dt


def test_inputs_of_either_float_dtype_and_noncontiguous(small_model, rings):
    X64 = rings[:10].astype(np.float64)
    X32 = rings[:10].astype(np.float32)
    Xnc = np.asfortranarray(X64)
    wide = np.zeros((10, 4))
    wide[:, ::2] = X64
    strided = wide[:, ::2]
    assert not strided.flags.c_contiguous
    ref = small_model.energy(X32)
    for X in (X64, Xnc, strided, X32.tolist()):
        np.testing.assert_array_equal(small_model.energy(X), ref)


def test_energy_grad_matches_finite_differences(rings):
    m = anila.train(rings, iterations=3, seed=0, dtype="float64", **FAST)
    X = rings[:5].astype(np.float64)
    g = m.energy_grad(X)
    h = 1e-6
    for j in range(2):
        e = np.zeros(2)
        e[j] = h
        num = (m.energy(X + e) - m.energy(X - e)) / (2 * h)
        np.testing.assert_allclose(g[:, j], num, rtol=1e-6, atol=1e-8)


def test_same_seed_same_arrays(rings):
    a = anila.train(rings, iterations=15, seed=5, **FAST)
    b = anila.train(rings, iterations=15, seed=5, **FAST)
    c = anila.train(rings, iterations=15, seed=6, **FAST)
    np.testing.assert_array_equal(a.parameters(), b.parameters())
    assert not np.array_equal(a.parameters(), c.parameters())
    np.testing.assert_array_equal(a.sample(100, seed=2), b.sample(100, seed=2))
    assert not np.array_equal(a.sample(100, seed=2), a.sample(100, seed=3))


def test_results_do_not_depend_on_threads(rings):
    old = anila.get_num_threads()
    try:
        anila.set_num_threads(1)
        one = anila.train(rings, iterations=10, seed=2, batch_size=200, hidden=(8,), steps=3, buffer_size=400, progress=False)
        anila.set_num_threads(2)
        two = anila.train(rings, iterations=10, seed=2, batch_size=200, hidden=(8,), steps=3, buffer_size=400, progress=False)
    finally:
        anila.set_num_threads(old)
    np.testing.assert_array_equal(one.parameters(), two.parameters())


def test_sampling_in_chunks_matches_one_call(small_model, monkeypatch):
    import anila._chunks as chunks

    whole = small_model.sample(64, steps=40, seed=9)
    monkeypatch.setattr(chunks, "CHUNK_SECONDS", 1e-9)  # one step per call
    np.testing.assert_array_equal(small_model.sample(64, steps=40, seed=9), whole)


def test_sample_init_options(small_model, rings):
    z0 = rings[:32]
    assert np.array_equal(small_model.sample(32, steps=0, init=z0), z0)
    moved = small_model.sample(32, steps=3, init=z0)
    assert not np.array_equal(moved, z0)
    for init in ("noise", "data", "buffer"):
        assert small_model.sample(16, steps=2, init=init).shape == (16, 2)
    Z, info = small_model.sample(16, steps=5, return_info=True)
    assert 0 < info["gamma_mean"] <= info["gamma_max"] and info["accept"] == 1.0
    # MALA's acceptance falls as the step grows: tiny steps are almost always accepted,
    # steps far larger than the density's features almost never
    _, small = small_model.sample(64, steps=20, adjusted=True, step_size=1e-6, return_info=True)
    _, large = small_model.sample(64, steps=20, adjusted=True, step_size=50.0, return_info=True)
    assert small["accept"] > 0.9 and large["accept"] < 0.2, (small["accept"], large["accept"])


def test_set_parameters_round_trip(small_model, rings):
    p = small_model.parameters()
    f = small_model.energy(rings[:5])
    small_model.set_parameters(np.zeros_like(p))
    assert np.all(small_model.energy(rings[:5]) == 0)
    small_model.set_parameters(p)
    np.testing.assert_array_equal(small_model.energy(rings[:5]), f)


def test_save_load_round_trip(tmp_path, rings):
    m = anila.train(rings, iterations=8, seed=4, **FAST)
    path = tmp_path / "model.anila"
    m.save(path)
    back = anila.load(path)
    np.testing.assert_array_equal(back.parameters(), m.parameters())
    np.testing.assert_array_equal(back.energy(rings[:20]), m.energy(rings[:20]))
    for k, v in m.history.items():
        np.testing.assert_array_equal(back.history[k], v)
    np.testing.assert_array_equal(back.sample(30, seed=1), m.sample(30, seed=1))
    assert back.iteration == 8
    # continuing a loaded model equals continuing the original
    m.fit_more(rings, 5, progress=False)
    back.fit_more(rings, 5, progress=False)
    np.testing.assert_array_equal(back.parameters(), m.parameters())
    # nothing but the model file is left in the folder (atomic write)
    assert os.listdir(tmp_path) == ["model.anila"]


def test_estimator(rings):
    est = anila.EBM(iterations=10, seed=0, **{k: v for k, v in FAST.items() if k != "progress"})
    assert not hasattr(est, "model_")
    assert est.get_params()["iterations"] == 10
    with pytest.raises(ValueError, match="not fitted"):
        est.sample(3)
    assert est.fit(rings) is est
    assert est.n_features_in_ == 2 and est.n_iter_ == 10
    assert len(est.history_["gap"]) == 10
    assert est.sample(12, steps=3).shape == (12, 2)
    np.testing.assert_array_equal(est.score_samples(rings[:4]), est.model_.energy(rings[:4]))
    est.set_params(iterations=3)
    assert est.fit(rings).n_iter_ == 3


def test_estimator_params_follow_scikit_learn():
    """get_params lists every parameter with its default (the chosen energy's); a clone made
    from get_params has the same parameters; __init__ stores values without checking them."""
    est = anila.EBM(lr=1e-2)
    params = est.get_params()
    assert set(params) == set(anila.model_defaults()) | {"progress"}
    assert params["lr"] == 1e-2 and params["iterations"] == anila.model_defaults()["iterations"]
    assert anila.EBM(energy="convnet").get_params()["lr"] == anila.model_defaults("convnet")["lr"]
    clone = anila.EBM(**params)
    assert clone.get_params() == params
    assert anila.EBM(l2=-5.0).get_params()["l2"] == -5.0  # validated by fit, not __init__
    assert repr(est) == "EBM(lr=0.01)"


def test_analytic_energies_and_sample():
    g = anila.energies.Gaussian([1.0, -1.0], [[1.0, 0.3], [0.3, 0.5]])
    x = np.array([[0.0, 0.0], [1.0, -1.0]])
    cov = np.array([[1.0, 0.3], [0.3, 0.5]])
    r = x - np.array([1.0, -1.0])
    want = -0.5 * np.einsum("ni,ij,nj->n", r, np.linalg.inv(cov), r) - 0.5 * np.log(np.linalg.det(2 * np.pi * cov))
    np.testing.assert_allclose(g.energy(x), want, rtol=1e-12)
    np.testing.assert_allclose(g.energy_grad(x), -r @ np.linalg.inv(cov), rtol=1e-12, atol=1e-15)
    Z = anila.sample(g, 3000, sampler="sgld", adjusted=True, step_size=0.5, steps=400, seed=1)
    assert np.abs(Z.mean(0) - [1, -1]).max() < 0.1
    np.testing.assert_allclose(np.cov(Z.T), cov, atol=0.1)
    mix = anila.energies.Mixture([0.5, 0.5], [[-1, 0], [1, 0]], [np.eye(2) * 0.3] * 2)
    m, c = mix.mean_cov()
    Z = anila.sample(mix, 3000, sampler="anila", adjusted=True, step_size=0.5, threshold=1.0, steps=600, seed=2)
    assert np.abs(Z.mean(0) - m).max() < 0.1
    np.testing.assert_allclose(np.cov(Z.T), c, atol=0.12)


def test_mmd_and_nll(small_model):
    a = anila.datasets.rings(500, seed=1)
    b = anila.datasets.rings(500, seed=2)
    c = anila.datasets.eight_gaussians(500, seed=3)
    assert anila.metrics.mmd(a, c) > 20 * abs(anila.metrics.mmd(a, b))
    nll = anila.metrics.heldout_nll(small_model, a)
    assert np.isfinite(nll)


def test_plot_writes_png(tmp_path, small_model, rings):
    pytest.importorskip("matplotlib")
    import anila.plot

    path = tmp_path / "cmp.png"
    anila.plot.compare(rings, {"a": small_model}, path=str(path), n_samples=200)
    assert path.stat().st_size > 10_000
    hp = tmp_path / "hist.png"
    anila.plot.history(small_model, path=str(hp))
    assert hp.stat().st_size > 5_000


def test_close_is_idempotent_and_use_after_close_raises(rings):
    m = anila.train(rings, iterations=1, seed=0, **FAST)
    m.close()
    m.close()
    assert m.closed and "closed" in repr(m)
    for call in (lambda: m.energy(rings[:2]), lambda: m.sample(2), lambda: m.parameters(), lambda: m.save("/tmp/x")):
        with pytest.raises(ValueError, match="closed"):
            call()


def test_ctrl_c_stops_training_quickly(tmp_path):
    """SIGINT during a long `train` returns the model trained so far (a 60 s watchdog guards
    against a hang; how fast it returns is not asserted, since timings vary by machine)."""
    script = tmp_path / "long.py"
    script.write_text(textwrap.dedent("""
        import sys, time, warnings
        import anila
        X = anila.datasets.rings(2000, seed=0)
        print("ready", flush=True)
        model = anila.train(X, iterations=10**7, progress=False, seed=0)
        print("returned", model.iteration, flush=True)
        print(model.energy(X[:3]).shape, flush=True)
    """))
    p, line = interrupt_when_ready(script, 2.0)
    out = p.stdout.read()  # not communicate(): it would lose what readline buffered
    err = p.stderr.read()
    p.wait(timeout=30)
    assert line.startswith("returned"), (line, out, err)
    assert int(line.split()[1]) > 0
    assert "(3,)" in out
    assert p.returncode == 0, err


def test_callback_sees_growing_history(rings, monkeypatch):
    import anila._chunks as chunks

    monkeypatch.setattr(chunks, "CHUNK_SECONDS", 1e-9)  # one iteration per chunk
    seen = []
    anila.train(rings, iterations=4, seed=0, callback=lambda m, h: seen.append((m.iteration, len(h["gap"]))), **FAST)
    assert seen == [(1, 1), (2, 2), (3, 3), (4, 4)]


def test_noise_box_defaults():
    """MLPs start chains on the data's central box (mean ± sd), images on the pixel range."""
    X = anila.datasets.rings(2000, seed=0)
    c = anila.train(X, iterations=0, progress=False).config
    m, s = X.astype(np.float64).mean(0), X.astype(np.float64).std(0)
    assert abs(c["NoiseLo"] - (m - s).min()) < 1e-5 and abs(c["NoiseHi"] - (m + s).max()) < 1e-5
    c = anila.train(X, iterations=0, noise_box="data", progress=False).config
    assert abs(c["NoiseLo"] - float(X.min())) < 1e-6 and abs(c["NoiseHi"] - float(X.max())) < 1e-6
    c = anila.train(X, iterations=0, noise_box=(-2, 3), progress=False).config
    assert (c["NoiseLo"], c["NoiseHi"]) == (-2, 3)
    imgs = np.random.default_rng(0).uniform(-1, 1, size=(20, 1, 8, 8)).astype(np.float32)
    c = anila.train(imgs, energy="convnet", nf=2, iterations=0, progress=False).config
    assert abs(c["NoiseLo"] - float(imgs.min())) < 1e-6 and abs(c["NoiseHi"] - float(imgs.max())) < 1e-6


def test_blas_names_library_version_and_kernels():
    """anila.blas() names OpenBLAS, its version and the kernels it picked (or pure Go), and the
    kernels are those that the loaded library reports to threadpoolctl."""
    import re

    name = anila.blas()
    if name == "gonum (pure Go)":
        return
    m = re.fullmatch(r"OpenBLAS (0\.3\.[\d.]+) \(scipy-openblas32, (\w+) kernels\)", name)
    assert m, name
    threadpoolctl = pytest.importorskip("threadpoolctl")
    pkg = os.path.dirname(anila.__file__)
    ours = [i for i in threadpoolctl.threadpool_info()
            if i.get("internal_api") == "openblas" and os.path.dirname(i["filepath"]).startswith(pkg)]
    assert len(ours) == 1, threadpoolctl.threadpool_info()
    assert ours[0]["version"] == m.group(1) and ours[0]["architecture"] == m.group(2), (ours, name)
    assert ours[0]["num_threads"] == 1  # anila parallelises over chains itself




def test_docs_name_every_history_field(small_model):
    """The README's API table and Model.history's docstring list exactly the fields Go records."""
    import re

    fields = set(small_model.history)
    readme = open(os.path.join(os.path.dirname(__file__), "..", "..", "README.md")).read()
    row = next(line for line in readme.splitlines() if line.startswith("| `Model.history`"))
    assert set(re.findall(r"`(\w+)`", row.split("|")[2])) == fields
    doc = anila.Model.history.__doc__
    assert set(re.findall(r"\b[a-z]+(?:_[a-z]+)+\b|\b(?:gap|accept|seconds|clipped|iteration)\b", doc)) >= fields


def test_no_import_circles_in_the_package():
    """No module of python/anila imports, directly or through others, a module that imports
    it back: function-local imports count too."""
    import ast

    pkg = os.path.dirname(anila.__file__)
    mods = {f[:-3] for f in os.listdir(pkg) if f.endswith(".py")}
    graph = {}
    for m in mods:
        deps = set()
        for n in ast.walk(ast.parse(open(os.path.join(pkg, m + ".py")).read())):
            if isinstance(n, ast.ImportFrom) and n.level == 1:
                deps |= {n.module.split(".")[0]} if n.module else {a.name for a in n.names}
        graph[m] = deps & mods

    def reach(m, seen):
        for d in graph[m]:
            if d not in seen:
                seen.add(d)
                reach(d, seen)
        return seen

    circles = sorted(m for m in mods if m in reach(m, set()))
    assert not circles, {m: sorted(graph[m]) for m in circles}
