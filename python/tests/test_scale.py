"""Training does not depend on the data's location and scale: the MLP standardises its inputs,
the step size, threshold, boxes and jump width follow the data's scale."""

import numpy as np
import pytest

import anila

FAST = dict(hidden=(32, 32), iterations=30, batch_size=64, buffer_size=500, steps=10, jump=1.0, dtype="float64")


@pytest.mark.parametrize("c", [0.01, 100.0])
def test_scaled_and_shifted_data_trains_the_same_model(c):
    """Data scaled by c and shifted gives, at corresponding points, the same energies (up to
    rounding, which training's chaos amplifies a little) and samples scaled by c. (The shift
    is the same for both coordinates: the clamp and noise boxes are cubes.)"""
    X = anila.datasets.toy("8gaussians", 2000, seed=4).astype(np.float64)
    shift = -7.0
    m1 = anila.train(X, seed=2, progress=False, **FAST)
    m2 = anila.train(X * c + shift, seed=2, progress=False, **FAST)
    P = anila.datasets.toy("8gaussians", 200, seed=5).astype(np.float64)
    f1, f2 = m1.energy(P), m2.energy(P * c + shift)
    np.testing.assert_allclose(f2, f1, rtol=1e-6, atol=1e-6 * np.abs(f1).max())
    assert m2.params["step_size"] == pytest.approx(m1.params["step_size"] * c * c)
    assert m2.params["threshold"] == pytest.approx(m1.params["threshold"] / c)
    Z1, Z2 = m1.sample(100, seed=3), m2.sample(100, seed=3)
    np.testing.assert_allclose(Z2, Z1 * c + shift, rtol=1e-5, atol=1e-5 * c)


def test_without_standardization_scale_matters():
    """The check above can fail: with standardize=False and the same explicit settings the
    scaled data trains another model."""
    X = anila.datasets.toy("8gaussians", 2000, seed=4)
    kw = dict(FAST, standardize=False, step_size=0.01, threshold=10.0)
    m1 = anila.train(X, seed=2, progress=False, **kw)
    m2 = anila.train(X * 100, seed=2, progress=False, **kw)
    P = anila.datasets.toy("8gaussians", 200, seed=5)
    f1, f2 = m1.energy(P), m2.energy(P * 100)
    assert np.abs(f2 - f1).max() > 0.1 * np.abs(f1).max()


def test_standardization_survives_save_load_and_torch(tmp_path):
    """A standardising model keeps its shift and scale through save/load, and its PyTorch twin
    standardises too."""
    torch = pytest.importorskip("torch")
    X = anila.datasets.toy("rings", 1000, seed=1).astype(np.float64) * [50, 20] + [10, -3]
    m = anila.train(X, seed=1, progress=False, **FAST)
    assert m.arch["in_scale"] == pytest.approx(np.sqrt(X.var(0).mean()))
    m.save(tmp_path / "m.anila")
    m2 = anila.load(tmp_path / "m.anila")
    np.testing.assert_array_equal(m2.energy(X[:50]), m.energy(X[:50]))
    t = m.to_torch()
    np.testing.assert_allclose(t(torch.from_numpy(X[:50])).detach().numpy(), m.energy(X[:50]), rtol=1e-10, atol=1e-10)
