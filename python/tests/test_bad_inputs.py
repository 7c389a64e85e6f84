"""Bad input raises ValueError or TypeError naming the parameter and the value."""

import numpy as np
import pytest

import anila
from conftest import FAST


@pytest.mark.parametrize("X, exc, match", [
    (np.zeros(5), ValueError, "X must be 2-D"),
    (np.zeros((2, 3, 4)), ValueError, "X must be 2-D"),
    (np.zeros((0, 2)), ValueError, "at least one row"),
    (np.zeros((3, 0)), ValueError, "at least one column"),
    (np.array([["a", "b"]]), TypeError, "X must hold floats"),
    (np.array([[1, 2]], dtype=object), TypeError, "X must hold floats"),
    (np.zeros((3, 2), dtype=complex), TypeError, "complex"),
    (np.zeros((3, 2), dtype=int), TypeError, "int64"),
    (np.zeros((3, 2), dtype=bool), TypeError, "bool"),
    (np.array([[0.0, np.nan]]), ValueError, "finite.*nan"),
    (np.array([[np.inf, 0.0]]), ValueError, "finite.*inf"),
    ("rings", TypeError, "X must be an array"),
    ([[1.0, 2.0], [3.0]], ValueError, "X could not be read"),
])
def test_bad_data(X, exc, match):
    with pytest.raises(exc, match=match):
        anila.train(X, iterations=1, **FAST)


@pytest.mark.parametrize("kw, exc, match", [
    ({"steps": 0}, ValueError, "steps must be >= 1, got 0"),
    ({"steps": "10"}, TypeError, "steps must be an integer, got '10'"),
    ({"step_size": -0.1}, ValueError, "step_size must be > 0"),
    ({"step_size": float("nan")}, ValueError, "step_size must be finite, got nan"),
    ({"threshold": 0}, ValueError, "threshold must be > 0"),
    ({"noise_scale": -1}, ValueError, "noise_scale must be >= 0"),
    ({"lr": 0}, ValueError, "lr must be > 0"),
    ({"lr": "fast"}, TypeError, "lr must be a number, got 'fast'"),
    ({"reinit": 1.5}, ValueError, "reinit must be <= 1"),
    ({"batch_size": -3}, ValueError, "batch_size must be >= 1, got -3"),
    ({"buffer_size": 10, "batch_size": 64}, ValueError, "buffer_size must be >= batch_size"),
    ({"sampler": "nuts"}, ValueError, "sampler must be one of"),
    ({"anisotropy": "row"}, ValueError, "anisotropy must be one of"),
    ({"init": "zeros"}, ValueError, "init must be one of"),
    ({"optimizer": "adagrad"}, ValueError, "optimizer must be one of"),
    ({"activation": "relu6"}, ValueError, "activation must be one of"),
    ({"dtype": "float16"}, ValueError, "dtype must be one of"),
    ({"hidden": 128}, TypeError, "hidden must be a sequence"),
    ({"hidden": (128, 0)}, ValueError, r"hidden\[1\] must be >= 1"),
    ({"betas": (0.5, 1.0)}, ValueError, r"betas\[1\] must be < 1"),
    ({"clamp": (1, -1)}, ValueError, "clamp must have lo < hi"),
    ({"noise_box": (1, -1)}, ValueError, "noise_box must have lo < hi"),
    ({"noise_box": "wide"}, TypeError, "noise_box must be"),
    ({"noise_box": (0, float("nan"))}, ValueError, "noise_box\\[1\\]"),
    ({"adjusted": "yes"}, TypeError, "adjusted must be True or False"),
    ({"seed": -1}, ValueError, "seed must be >= 0"),
    ({"iterations": 2.5}, TypeError, "iterations must be an integer"),
    ({"stepsize": 0.1}, TypeError, r"unknown parameter\(s\) \['stepsize'\]"),
    ({"pixel_channels": 3, "anisotropy": "pixel", "channels": 3}, TypeError, "unknown parameter"),
])
def test_bad_parameters(rings, kw, exc, match):
    params = dict(FAST)
    params.update(kw)
    params.setdefault("iterations", 1)
    with pytest.raises(exc, match=match):
        anila.train(rings, **params)


def test_bad_parameters_for_estimator(rings):
    with pytest.raises(TypeError, match=r"invalid parameter\(s\) \['iterationz'\] for EBM"):
        anila.EBM(iterationz=3)
    with pytest.raises(ValueError, match="l2 must be >= 0"):
        anila.EBM(l2=-1.0).fit(rings)
    est = anila.EBM(iterations=3)
    with pytest.raises(ValueError, match=r"invalid parameter\(s\) \['lr_'\] for EBM"):
        est.set_params(lr_=0.1)
    assert "lr_" not in est.get_params()


def test_model_calls_with_bad_input(small_model):
    m = small_model
    with pytest.raises(ValueError, match="X has 3 features but the model takes 2"):
        m.energy(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="X must be finite"):
        m.energy_grad(np.array([[np.nan, 1.0]]))
    with pytest.raises(ValueError, match="n must be >= 1, got 0"):
        m.sample(0)
    with pytest.raises(TypeError, match="n must be an integer"):
        m.sample("5")
    with pytest.raises(ValueError, match="steps must be >= 0"):
        m.sample(5, steps=-1)
    with pytest.raises(ValueError, match="init must be one of"):
        m.sample(5, init="zeros")
    with pytest.raises(ValueError, match="n is 5 but init has 3 start points"):
        m.sample(5, init=np.zeros((3, 2)))
    with pytest.raises(ValueError, match="step_size must be > 0"):
        m.sample(5, step_size=0)
    with pytest.raises(ValueError, match="1-D vector of"):
        m.set_parameters(np.zeros(3))
    with pytest.raises(ValueError, match="X has 3 features"):
        m.fit_more(np.zeros((10, 3)), 1)


def test_sample_analytic_bad_input():
    g = anila.energies.Gaussian([0.0, 0.0], np.eye(2))
    with pytest.raises(TypeError, match="energy must be an anila energy"):
        anila.sample("gaussian", 10)
    with pytest.raises(ValueError, match="cov must have shape"):
        anila.energies.Gaussian([0.0, 0.0], np.eye(3))
    with pytest.raises(ValueError, match="not positive definite"):
        anila.energies.Gaussian([0.0, 0.0], [[1.0, 2.0], [2.0, 1.0]])
    with pytest.raises(ValueError, match="sampler must be one of"):
        anila.sample(g, 10, sampler="nuts")
    with pytest.raises(ValueError, match="init=\"buffer\" needs a trained model"):
        anila.sample(g, 10, init="buffer")


def test_gaussian_covariance_symmetric_up_to_rounding():
    """A covariance built as Q·diag(s)·Qᵀ is symmetric only to rounding: it is accepted (and
    gives the same energy as its symmetrised form); a clearly asymmetric one is rejected with
    the offending entries named."""
    rng = np.random.default_rng(0)
    q, _ = np.linalg.qr(rng.normal(size=(6, 6)))
    cov = q @ np.diag(np.logspace(-2, 2, 6)) @ q.T
    assert not np.array_equal(cov, cov.T)  # the case this test is about
    g = anila.energies.Gaussian(np.zeros(6), cov)
    sym = anila.energies.Gaussian(np.zeros(6), (cov + cov.T) / 2)
    X = rng.normal(size=(20, 6))
    np.testing.assert_allclose(g.energy(X), sym.energy(X), rtol=1e-12)
    bad = np.eye(3)
    bad[0, 2] = 0.1
    with pytest.raises(ValueError, match=r"not symmetric: cov\[0\]\[2\] = 0.1 but cov\[2\]\[0\] = 0"):
        anila.energies.Gaussian(np.zeros(3), bad)
    with pytest.raises(ValueError, match="not symmetric"):
        anila.energies.Mixture([1.0], np.zeros((1, 3)), bad[None])


def test_sample_n_from_init_array(small_model):
    """With an array of start points, n may be left out; a different n is an error."""
    z0 = np.zeros((7, small_model.dim), dtype=small_model.dtype)
    assert small_model.sample(init=z0, steps=2).shape == (7, small_model.dim)
    assert small_model.sample(7, init=z0, steps=2).shape == (7, small_model.dim)
    with pytest.raises(ValueError, match="n is 5 but init has 7 start points"):
        small_model.sample(5, init=z0, steps=2)
    with pytest.raises(TypeError, match="needs n"):
        small_model.sample(steps=2)


@pytest.mark.parametrize("content, match", [
    (b"", "only 0 bytes"),
    (b"GIF89a" + b"\0" * 100, "bad magic"),
    (None, "checksum"),  # a real model file with one byte flipped
    ("truncate", "checksum|truncated"),
])
def test_load_rejects_corrupt_files(tmp_path, small_model, content, match):
    path = tmp_path / "bad.anila"
    if content is None or content == "truncate":
        small_model.save(path)
        raw = bytearray(path.read_bytes())
        if content is None:
            raw[len(raw) // 2] ^= 0xFF
        else:
            raw = raw[: len(raw) - 50]
        path.write_bytes(bytes(raw))
    else:
        path.write_bytes(content)
    with pytest.raises(ValueError, match=match):
        anila.load(path)


def test_load_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such model file"):
        anila.load(tmp_path / "nope.anila")
