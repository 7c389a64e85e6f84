"""study/ito.py, the Itô drift correction for AniLA's state-dependent step: its step is anila's
AniLA step when uncorrected, and the correction removes the bias of the sampled variance."""

import sys
from pathlib import Path

import numpy as np

import anila

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "study"))
import ito  # noqa: E402


def test_uncorrected_step_is_anilas():
    """The NumPy step without the correction is the step anila's Go sampler takes."""
    cov = np.diag([1.0, 0.01])
    g = anila.energies.Gaussian([0.0, 0.0], cov)
    rng = np.random.default_rng(3)
    z = rng.standard_normal((64, 2)) * np.sqrt(np.diag(cov))
    xi = rng.standard_normal((1, 64, 2))
    eta, b = 0.004, 5.0
    want = anila.sample(g, 64, sampler="anila", steps=1, step_size=eta, threshold=b, init=z, noise=xi)
    grad = -z / np.diag(cov)
    got = ito.anila_step(z, grad, -1 / np.diag(cov), eta, b, xi[0])
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
    assert (np.abs(grad) > b).mean() > 0.2  # the step size is state-dependent here


def test_correction_removes_the_variance_bias():
    """On diag(1, 1/κ), κ = 100, with b = √κ (a fifth of the steep coordinate's steps
    clipped), the uncorrected chain's steep variance is about 1.4 times the truth; with the
    correction it is within the discretisation's own bias (1% at this η) plus noise."""
    var0, se0, clip = ito.gaussian_variances(100, 0.05 / 100, 10.0, False, chains=2000, steps=3000, seed=2)
    var1, se1, _ = ito.gaussian_variances(100, 0.05 / 100, 10.0, True, chains=2000, steps=3000, seed=2)
    assert clip > 0.1
    assert var0[1] > 1.3, var0
    assert abs(var1[1] - 1) < 0.03 + 3 * se1[1], (var1, se1)
