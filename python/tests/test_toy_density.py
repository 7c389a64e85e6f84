"""anila.datasets.log_density: each toy density integrates to 1 and agrees with the
generator's samples."""

import numpy as np
import pytest

import anila


@pytest.mark.parametrize("name", ["rings", "8gaussians", "25gaussians", "2spirals", "moons", "checkerboard", "pinwheel"])
def test_toy_density_is_normalised_and_matches_samples(name):
    h = 0.1
    xs = np.arange(-6, 6, h) + h / 2
    gx, gy = np.meshgrid(xs, xs)
    lp = anila.datasets.log_density(name, np.stack([gx.ravel(), gy.ravel()], 1))
    assert abs(np.exp(lp).sum() * h * h - 1) < 5e-3
    # samples fall where the density is: a coarse histogram matches cell probabilities
    S = anila.datasets.toy(name, 10_000, seed=1)
    assert np.isfinite(anila.datasets.log_density(name, S)).all()
    H, _, _ = np.histogram2d(S[:, 0], S[:, 1], bins=12, range=[[-6, 6], [-6, 6]])
    P = np.exp(lp).reshape(len(xs), len(xs)).T  # [x index, y index]
    cells = P.reshape(12, len(xs) // 12, 12, len(xs) // 12).sum(axis=(1, 3)) * h * h
    expected = cells * len(S)
    big = expected > 100
    z = (H[big] - expected[big]) / np.sqrt(expected[big])
    assert np.abs(z).max() < 6, np.abs(z).max()


def test_log_density_errors():
    with pytest.raises(ValueError, match="name must be one of"):
        anila.datasets.log_density("spiral", np.zeros((2, 2)))
    with pytest.raises(ValueError):
        anila.datasets.log_density("rings", np.zeros((2, 3)))
