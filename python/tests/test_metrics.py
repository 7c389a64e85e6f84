"""anila.metrics against known answers: sliced Wasserstein of a shift, ESS of AR(1) chains,
R̂ of chains that disagree."""

import numpy as np
import pytest

import anila
from anila import metrics


def _ar1(rng, chains, n, phi):
    x = np.empty((chains, n))
    z = rng.normal(size=chains)
    for t in range(n):
        z = phi * z + np.sqrt(1 - phi * phi) * rng.normal(size=chains)
        x[:, t] = z
    return x


def test_sliced_wasserstein_of_a_shift():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2000, 3))
    assert metrics.sliced_wasserstein(X, X) == 0.0
    v = np.array([1.0, -2.0, 2.0])  # |v| = 3, so SW = 3/√3
    sw = metrics.sliced_wasserstein(X, X + v, projections=3000)
    assert abs(sw - 3 / np.sqrt(3)) < 0.05
    assert metrics.sliced_wasserstein(X, X + v, seed=1) == metrics.sliced_wasserstein(X, X + v, seed=1)
    with pytest.raises(ValueError, match="projections"):
        metrics.sliced_wasserstein(X, X, projections=0)
    with pytest.raises(ValueError):
        metrics.sliced_wasserstein(X, X[:, :2])


@pytest.mark.parametrize("phi", [0.0, 0.9])
def test_ess_of_ar1_chains(phi):
    d = _ar1(np.random.default_rng(1), 4, 2000, phi)
    want = d.size * (1 - phi) / (1 + phi)
    out = metrics.chain_diagnostics(d)
    assert abs(out["ess"] / want - 1) < 0.2, out
    assert out["rhat"] < 1.02
    assert metrics.ess(d) == out["ess"] and metrics.split_rhat(d) == out["rhat"]


def test_rhat_sees_disagreeing_chains():
    d = _ar1(np.random.default_rng(2), 4, 1000, 0.5) + np.arange(4)[:, None]
    assert metrics.split_rhat(d) > 1.2
    with pytest.raises(ValueError, match="finite"):
        metrics.ess([1.0, 2.0, np.nan, 3.0, 4.0])
    with pytest.raises(ValueError, match="at least 4"):
        metrics.ess([[1.0, 2.0]])


def test_sampler_ess_on_a_gaussian():
    """ESS per chain of a sampler on a known target: adjusted AniLA on a 1-D standard
    Gaussian mixes, so R̂ is near 1 and ESS is a sizeable part of the draws."""
    g = anila.energies.Gaussian(mean=[0.0], cov=[[1.0]])
    chains = []
    z = np.random.default_rng(3).normal(size=(8, 1))
    for _ in range(400):
        z = anila.sample(g, 8, sampler="anila", adjusted=True, steps=1, step_size=0.5, threshold=1.0,
                         init=z, seed=len(chains))
        chains.append(z[:, 0].copy())
    d = np.array(chains).T
    out = metrics.chain_diagnostics(d)
    assert out["rhat"] < 1.05 and out["ess"] > 100, out
