"""anila.metrics against known answers (sliced Wasserstein of a shift, ESS of AR(1) chains, R̂
of chains that disagree) and against other libraries on the same inputs: ESS and split R̂
against ArviZ, the Fréchet distance against pytorch-fid, MMD against plain NumPy."""

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


# --- against other libraries (test extras: arviz-stats, pytorch-fid) and plain formulas ---------

@pytest.mark.parametrize("chains,n,phi,shift", [(4, 2000, 0.8, 0.3), (1, 501, 0.3, 0.0), (3, 64, 0.95, 1.0),
                                                 (8, 1000, -0.5, 0.0), (2, 7, 0.0, 0.0)])
def test_chain_diagnostics_match_arviz(chains, n, phi, shift):
    """ESS and split R̂ equal ArviZ's (arviz-stats' ess(method="mean") and rhat(method="split"):
    Stan's estimators without rank normalisation) on the same draws, to 1e-10."""
    from arviz_stats.base import array_stats

    rng = np.random.default_rng(chains * n)
    d = _ar1(rng, chains, n, phi) + shift * rng.normal(size=(chains, 1))
    out = metrics.chain_diagnostics(d)
    assert out["ess"] == pytest.approx(float(array_stats.ess(d, method="mean")), rel=1e-10)
    if chains == 1:  # ArviZ wants two chains for R̂; anila (as Stan) splits the one
        assert np.isnan(array_stats.rhat(d, method="split")) and np.isfinite(out["rhat"])
    else:
        assert out["rhat"] == pytest.approx(float(array_stats.rhat(d, method="split")), rel=1e-10)


def test_frechet_distance_matches_pytorch_fid():
    """The Fréchet distance equals pytorch-fid's calculate_frechet_distance on the same
    Gaussian fits (64 dimensions, correlated covariances), to 1e-8 relative."""
    from pytorch_fid.fid_score import calculate_frechet_distance

    rng = np.random.default_rng(4)
    for d, n in ((64, 500), (8, 20)):
        A, B = rng.normal(size=(n, d)), rng.normal(size=(n, d)) @ rng.normal(size=(d, d)) * 0.3 + 0.5
        m1, m2 = A.mean(0), B.mean(0)
        c1, c2 = np.cov(A, rowvar=False), np.cov(B, rowvar=False)
        want = calculate_frechet_distance(m1, c1, m2, c2)
        assert metrics.frechet_distance(m1, c1, m2, c2) == pytest.approx(want, rel=1e-8)


def _mmd_numpy(X, Y, sigma):
    """Unbiased MMD² under exp(−‖a−b‖²/(2σ²)), written out with NumPy."""
    def k(A, B):
        d2 = ((A[:, None, :] - B[None, :, :]) ** 2).sum(-1)
        return np.exp(-d2 / (2 * sigma * sigma))
    n, m = len(X), len(Y)
    kxx, kyy = k(X, X), k(Y, Y)
    return ((kxx.sum() - np.trace(kxx)) / (n * (n - 1)) + (kyy.sum() - np.trace(kyy)) / (m * (m - 1))
            - 2 * k(X, Y).mean())


def test_mmd_matches_numpy():
    """MMD² equals the plain NumPy formula, for a given bandwidth and for the median
    heuristic (the median distance between points of the pooled sample)."""
    rng = np.random.default_rng(5)
    X, Y = rng.normal(size=(300, 3)), rng.normal(size=(200, 3)) * 1.2 + 0.1
    for sigma in (0.2, 1.0, 3.0):
        assert metrics.mmd(X, Y, bandwidth=sigma) == pytest.approx(_mmd_numpy(X, Y, sigma), rel=1e-10, abs=1e-14)
    Z = np.vstack([X, Y])
    dist = np.sqrt(((Z[:, None, :] - Z[None, :, :]) ** 2).sum(-1))[np.triu_indices(len(Z), 1)]
    assert metrics.mmd(X, Y, bandwidth=None) == pytest.approx(_mmd_numpy(X, Y, np.median(dist)), rel=1e-10)
