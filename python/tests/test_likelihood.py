"""log Z by AIS (anila.metrics.log_partition) against known values, log-likelihoods, bits per
dimension, and the out-of-distribution scores."""

import math
import warnings

import numpy as np
import pytest

import anila
from anila.metrics import LogPartition, WideBracketWarning, bits_per_dim, log_partition, ood_auroc


def correlated_gaussian(d, kappa, seed):
    """mean and covariance of a Gaussian with condition number kappa, rotated at random."""
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    ev = np.geomspace(1.0, kappa, d) / math.sqrt(kappa)
    cov = (q * ev) @ q.T
    return rng.standard_normal(d), (cov + cov.T) / 2


def test_log_partition_brackets_a_correlated_gaussian():
    """The analytic Gaussian's f is its normalised log density, so log Z = 0. The base is a
    diagonal Gaussian fitted to 2,000 draws (AIS is not told the mean or covariance); reverse
    AIS starts at exact draws, so the bracket is a true one."""
    d = 20
    mean, cov = correlated_gaussian(d, 100, 0)
    g = anila.energies.Gaussian(mean, cov)
    rng = np.random.default_rng(1)
    draws = rng.multivariate_normal(mean, cov, size=2000)
    lp = log_partition(g, base=draws, reverse=draws[:64], distributions=1000, chains=64)
    assert isinstance(lp, LogPartition)
    assert lp.bracket[0] <= 0 <= lp.bracket[1], lp
    assert lp.width < 0.5 and abs(lp.log_z) < 0.15, lp
    assert lp.chains == 64 and lp.distributions == 1000 and lp.transition == "hmc"
    assert lp.forward_log_weights.shape == (64,) and lp.reverse_log_weights.shape == (64,)
    assert 1 <= lp.lower_ess <= 64 and "given points" in lp.reverse_from
    np.testing.assert_allclose(lp.base_mean, draws.mean(axis=0))
    assert "log Z in [" in str(lp)


def test_temperature_scales_log_z():
    """At temperature T the target is exp(f/T): for a normalised Gaussian f, ∫ N(x)^(1/T) dx
    is known in closed form."""
    d, T = 3, 2.0
    cov = np.diag([0.5, 1.0, 2.0])
    g = anila.energies.Gaussian(np.zeros(d), cov)
    # ∫ N(x; 0, Σ)^(1/T) = (2π)^(d/2 (1 − 1/T)) |Σ|^((1 − 1/T)/2) T^(d/2)
    truth = d / 2 * (1 - 1 / T) * math.log(2 * math.pi) + (1 - 1 / T) / 2 * math.log(np.linalg.det(cov)) \
        + d / 2 * math.log(T)
    draws = np.random.default_rng(3).multivariate_normal(np.zeros(d), T * cov, size=64)
    lp = log_partition(g, base=draws, reverse=draws, temperature=T, distributions=300, chains=64, transition="mala")
    assert lp.bracket[0] <= truth <= lp.bracket[1], (truth, lp)
    assert abs(lp.log_z - truth) < 0.05, (truth, lp)


def test_trained_2d_model_matches_the_grid():
    """A model trained on rings: AIS with its defaults' reverse from HMC samples agrees with
    quadrature on a fine grid within 0.02 nat."""
    X = anila.datasets.rings(4000, seed=0)
    m = anila.train(X, iterations=300, seed=0, progress=False)
    lim = ((-6, 6), (-6, 6))
    grid = anila.metrics.log_normaliser(m, lim, resolution=800)
    lp = log_partition(m, distributions=500, chains=128, transition="mala", steps=2, reverse_steps=300, seed=1)
    assert abs(lp.log_z - grid) <= 0.02, (grid, lp)
    assert lp.width < 0.2, lp
    ll = m.log_likelihood(X[:100], log_z=lp)
    np.testing.assert_allclose(ll, m.energy(X[:100]).astype(np.float64) - lp.log_z)
    assert ll.dtype == np.float64


def test_bits_per_dim_of_a_uniform_density():
    """log p = 0 on the unit cube: each 8-bit coordinate costs exactly 8 bits; a density
    e times higher per coordinate saves 1/ln 2 bits each."""
    assert bits_per_dim(np.zeros(7), dim=10, bin_width=1 / 256) == pytest.approx(8.0)
    assert bits_per_dim(np.full(7, 10.0), dim=10, bin_width=1 / 256) == pytest.approx(8 - 1 / math.log(2))
    with pytest.raises(ValueError, match="bin_width"):
        bits_per_dim(np.zeros(3), dim=2, bin_width=0)


def test_a_wide_bracket_warns():
    d = 30
    mean, cov = correlated_gaussian(d, 1000, 5)
    g = anila.energies.Gaussian(mean, cov)
    draws = np.random.default_rng(0).multivariate_normal(mean, cov, size=16)
    with pytest.warns(WideBracketWarning, match="nat wide"):
        lp = log_partition(g, base=(np.zeros(d), np.full(d, 5.0)), reverse=draws, distributions=2, chains=16)
    assert lp.width > 1


def test_forward_only_and_its_bound():
    g = anila.energies.Gaussian(np.zeros(2), np.eye(2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lp = log_partition(g, base=(np.zeros(2), np.ones(2)), reverse=None, distributions=10, chains=8)
    # the base is the target here: every weight is exactly 1
    assert lp.upper is None and lp.width == math.inf and abs(lp.lower) < 1e-12 and lp.lower_ess == pytest.approx(8)


@pytest.mark.parametrize("kwargs, err, match", [
    (dict(chains=1), ValueError, "chains must be in"),
    (dict(distributions=0), ValueError, "distributions"),
    (dict(transition="nuts"), ValueError, "transition must be"),
    (dict(transition="mala", leapfrog=5), ValueError, "leapfrog is HMC's"),
    (dict(temperature=0), ValueError, "temperature"),
    (dict(target_accept=1.5), ValueError, "target_accept"),
    (dict(base="everywhere"), ValueError, "base must be"),
    (dict(base="data"), ValueError, "needs a trained model"),
    (dict(base=(np.zeros(2), np.zeros(2))), ValueError, "std must be finite and > 0"),
    (dict(base=np.zeros((1, 2))), ValueError, "at least 2 points"),
    (dict(base=np.zeros((5, 3))), ValueError, "base has 3 features"),
    (dict(reverse=np.zeros((3, 2))), ValueError, "reverse start points must have shape"),
    (dict(reverse="exact"), ValueError, "reverse must be"),
])
def test_bad_arguments_name_themselves(kwargs, err, match):
    g = anila.energies.Gaussian(np.zeros(2), np.eye(2))
    args = dict(base=(np.zeros(2), np.ones(2)), distributions=5, chains=4)
    args.update(kwargs)
    with pytest.raises(err, match=match):
        log_partition(g, **args)


def test_log_partition_on_a_python_function():
    """A Python energy function (normalised Gaussian in 2-D, log Z = 0): AIS calls it
    through the callback; an exception inside comes back."""
    def fn(X):
        return -0.5 * (X ** 2).sum(axis=1) - math.log(2 * math.pi), -X

    f = anila.energies.Function(fn, 2)
    draws = np.random.default_rng(0).standard_normal((16, 2))
    lp = log_partition(f, base=(np.full(2, 0.5), np.full(2, 1.5)), reverse=draws, distributions=100, chains=16)
    assert lp.bracket[0] <= 0 <= lp.bracket[1], lp

    def bad(X):
        raise ZeroDivisionError("inside the energy")

    fb = anila.energies.Function(bad, 2)
    with pytest.raises((ZeroDivisionError, ValueError, RuntimeError), match="inside the energy"):
        log_partition(fb, base=(np.zeros(2), np.ones(2)), reverse=None, distributions=5, chains=4)


def test_ood_auroc_is_the_pairwise_probability():
    rng = np.random.default_rng(0)
    a = rng.normal(1, 1, 200).round(1)  # rounded: ties across the two sets
    b = rng.normal(0, 1, 150).round(1)
    pairs = (a[:, None] > b[None, :]).mean() + 0.5 * (a[:, None] == b[None, :]).mean()
    assert ood_auroc(a, b) == pytest.approx(pairs, abs=1e-12)
    assert ood_auroc(np.arange(5) + 10, np.arange(5)) == 1.0
    assert ood_auroc(np.arange(5), np.arange(5) + 10) == 0.0
    with pytest.raises(ValueError, match="scores_out"):
        ood_auroc(a, [np.nan])
    with pytest.raises(ValueError, match="scores_in is empty"):
        ood_auroc([], b)


def test_reverse_starts_far_from_the_target_are_flagged():
    """Reverse AIS from points that are not draws of the target (all at one far corner) lands
    below the forward estimate: the result says so and warns, instead of a negative width."""
    g = anila.energies.Gaussian(np.zeros(2), np.eye(2))
    bad = np.full((16, 2), 6.0)  # 6 standard deviations out
    with pytest.warns(WideBracketWarning, match="not draws of the model"):
        lp = log_partition(g, base=(np.zeros(2), np.full(2, 2.0)), reverse=bad, distributions=10, chains=16)
    assert lp.bracket[1] < lp.bracket[0] and "not draws of the target" in str(lp)
