"""The samplers through the Python API: HMC, step-size adaptation, parallel tempering and
masked (conditional) sampling on analytic energies with known answers, on Python functions
and on models; and their errors."""

import numpy as np
import pytest

import anila
from anila.energies import Gaussian, Mixture


def _zscores(x, mean, cov):
    """z-scores of the draws' means and covariances against the truth (independent draws)."""
    n = len(x)
    m = x.mean(0)
    c = np.cov(x.T)
    zm = (m - mean) / np.sqrt(np.diag(cov) / n)
    se = np.sqrt((np.outer(np.diag(cov), np.diag(cov)) + cov**2) / n)
    zc = (c - cov) / se
    return np.concatenate([zm.ravel(), zc.ravel()])


def _rotated(d, kappa, seed):
    q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(d, d)))
    return q @ np.diag(np.geomspace(1, kappa, d)) @ q.T


def test_hmc_with_adaptation_is_exact():
    d = 8
    cov = _rotated(d, 100, 0)
    mean = np.arange(d) - 3.0
    g = Gaussian(mean, cov)
    x, info = anila.sample(g, 1000, steps=150, sampler="hmc", leapfrog=10, seed=1, return_info=True)
    assert np.abs(_zscores(x, mean, cov)).max() < 4
    # the warm-up tuned h toward HMC's target acceptance, then kept it
    assert info["warmup"] == 100 and info["steps"] == 150
    assert abs(info["accept_prob"] - 0.8) < 0.05
    assert info["grad_evals"] == 10
    assert info["inv_mass"].shape == (d,) and (info["inv_mass"] > 0).all()


def test_given_step_size_is_used_as_is():
    g = Gaussian([0, 0], np.eye(2))
    _, info = anila.sample(g, 50, steps=20, sampler="sgld", adjusted=True, step_size=0.123, return_info=True)
    assert info["warmup"] == 0 and info["step_size"] == 0.123
    _, info = anila.sample(g, 50, steps=20, sampler="sgld", adjusted=True, return_info=True)
    assert info["warmup"] == 100 and info["step_size"] != anila.settings.defaults()["step_size"]
    assert abs(info["accept_prob"] - 0.574) < 0.1
    # adapt="no" keeps the default step size; a warm-up can still be asked for
    _, info = anila.sample(g, 50, steps=20, sampler="sgld", adjusted=True, adapt="no", warmup=10, return_info=True)
    assert info["warmup"] == 10 and info["step_size"] == anila.settings.defaults()["step_size"]


def test_tempering_finds_the_mode_weights():
    means = np.array([[0, 0], [10, 0], [0, 10], [10, 10]], float)
    w = np.array([0.1, 0.2, 0.3, 0.4])
    mix = Mixture(w, means, [np.eye(2)] * 4)
    start = np.random.default_rng(0).normal(size=(100, 2))  # every chain in the lightest mode

    def weights(**kw):
        draws = []
        for k in range(8):  # kept draws at 8 points of the run (the chains are continued by seed)
            x = anila.sample(mix, steps=50 * (k + 1), init=start, seed=3, sampler="sgld", adjusted=True, **kw)
            draws.append(x)
        x = np.concatenate(draws)
        nearest = np.argmin(((x[:, None, :] - means[None]) ** 2).sum(-1), axis=1)
        return np.bincount(nearest, minlength=4) / len(x)

    alone = weights()
    tempered = weights(replicas=8, max_temperature=60.0)
    assert np.abs(alone - w).max() > 0.3
    assert np.abs(tempered - w).max() < 0.05, tempered


def test_tempering_reports_its_ladder():
    mix = Mixture([0.5, 0.5], [[-5, 0], [5, 0]], [np.eye(2)] * 2)
    _, info = anila.sample(mix, 64, steps=100, sampler="hmc", replicas=5, max_temperature=30.0, return_info=True)
    t = info["temperatures"]
    assert t[0] == 1 and t[-1] == 30 and (np.diff(t) > 0).all()
    assert info["swap_rates"].shape == (4,) and (info["swap_rates"] > 0.2).all()


def test_masked_sampling_is_conditional():
    d = 6
    cov = _rotated(d, 20, 4)
    mean = np.linspace(-1, 1, d)
    fixed = np.array([True, False, True, False, False, True])
    at = np.array([1.0, 0, -0.5, 0, 0, 2.0])
    a, b = ~fixed, fixed
    cm = mean[a] + cov[np.ix_(a, b)] @ np.linalg.solve(cov[np.ix_(b, b)], at[b] - mean[b])
    cc = cov[np.ix_(a, a)] - cov[np.ix_(a, b)] @ np.linalg.solve(cov[np.ix_(b, b)], cov[np.ix_(b, a)])
    init = np.tile(at, (1500, 1))
    for kw in (dict(sampler="anila", adjusted=True), dict(sampler="hmc")):
        x = anila.sample(Gaussian(mean, cov), steps=200, init=init, mask=fixed, seed=2, **kw)
        assert (x[:, fixed] == at[fixed]).all()
        assert np.abs(_zscores(x[:, a], cm, cc)).max() < 4, kw


def test_masked_sampling_of_a_function_and_per_chain_masks():
    def fn(X):
        return -0.5 * (X**2).sum(1), -X

    init = np.arange(12.0).reshape(4, 3)
    mask = np.zeros((4, 3), bool)
    mask[np.arange(4), np.arange(4) % 3] = True
    x = anila.sample(fn, dim=3, init=init, mask=mask, steps=20, sampler="hmc")
    assert (x[mask] == init[mask]).all() and (x[~mask] != init[~mask]).all()


def test_a_model_trained_with_hmc_samples_and_inpaints(rings):
    m = anila.train(rings, sampler="hmc", leapfrog=3, step_size=0.05, iterations=10, hidden=(16, 16), steps=3,
                    batch_size=32, buffer_size=200, progress=False, seed=0)
    assert m.params["sampler"] == "hmc" and m.params["leapfrog"] == 3
    init = rings[:50].copy()
    z, info = m.sample(init=init, mask=[True, False], steps=10, return_info=True)
    assert (z[:, 0] == init[:, 0]).all() and np.isfinite(z).all()
    assert info["grad_evals"] == 3


def test_image_model_inpaints_exactly_the_free_pixels():
    X = np.random.default_rng(0).uniform(-1, 1, size=(16, 1, 8, 8)).astype(np.float32)
    m = anila.new_model((1, 8, 8), energy="convnet", nf=4)
    mask = np.zeros((1, 8, 8), bool)
    mask[:, :4] = True  # the top half is observed
    z = m.sample(init=X, mask=mask, steps=5, sampler="anila", adjusted=True, noise_scale=1.0, seed=0)
    assert z.shape == X.shape
    assert (z[:, :, :4] == X[:, :, :4]).all() and (z[:, :, 4:] != X[:, :, 4:]).any()


def test_sampling_errors_name_the_parameter():
    g = Gaussian([0, 0], np.eye(2))
    with pytest.raises(TypeError, match=r"unknown sampler parameter\(s\) \['leapfrg'\]"):
        anila.sample(g, 10, leapfrg=3)
    with pytest.raises(ValueError, match=r"leapfrog must be >= 1, got 0"):
        anila.sample(g, 10, sampler="hmc", leapfrog=0)
    with pytest.raises(ValueError, match=r"replicas must be <= 1024, got 5000"):
        anila.sample(g, 10, replicas=5000)
    with pytest.raises(ValueError, match=r"max_temperature must be > 1.0, got 1.0"):
        anila.sample(g, 10, replicas=3, max_temperature=1.0)
    with pytest.raises(ValueError, match=r"target_accept must be < 1.0, got 1.5"):
        anila.sample(g, 10, target_accept=1.5)
    with pytest.raises(ValueError, match="mask needs init, an array"):
        anila.sample(g, 10, mask=[True, False])
    with pytest.raises(ValueError, match=r"mask must have one value per coordinate \(2\)"):
        anila.sample(g, init=np.zeros((4, 2)), mask=[True, False, True])
    with pytest.raises(TypeError, match="mask must be an array of bools"):
        anila.sample(g, init=np.zeros((4, 2)), mask=[0.5, 1.0])
    noise = np.zeros((5, 4, 2))
    with pytest.raises(ValueError, match=r"replicas must be 1 with the noise given"):
        anila.sample(g, init=np.zeros((4, 2)), steps=5, noise=noise, replicas=2)
    with pytest.raises(ValueError, match=r"adapt='yes' cannot run with the noise given"):
        anila.sample(g, init=np.zeros((4, 2)), steps=5, noise=noise, adapt="yes")


def test_training_refuses_sampling_only_parameters(rings):
    with pytest.raises(TypeError, match=r"unknown parameter\(s\) \['replicas'\]"):
        anila.train(rings, replicas=4, iterations=1, progress=False)
    names = {p["name"]: p for p in anila.parameters()}
    assert names["replicas"]["sample_only"] and not names["leapfrog"]["sample_only"]
    assert "hmc" in names["sampler"]["choices"]


def test_hmc_with_given_noise_is_reproducible():
    g = Gaussian([0, 1], [[1, 0.5], [0.5, 2]])
    rng = np.random.default_rng(5)
    init = rng.normal(size=(6, 2))
    noise, u = rng.normal(size=(4, 6, 2)), rng.uniform(size=(4, 6))
    a = anila.sample(g, init=init, steps=4, sampler="hmc", step_size=0.3, leapfrog=3, noise=noise, uniforms=u)
    b = anila.sample(g, init=init, steps=4, sampler="hmc", step_size=0.3, leapfrog=3, noise=noise, uniforms=u)
    assert (a == b).all() and (a != init).any()
    with pytest.raises(ValueError, match="uniforms"):
        anila.sample(g, init=init, steps=4, sampler="hmc", step_size=0.3, noise=noise)


def test_trace_holds_every_kept_step():
    g = Gaussian([0, 0], [[1, 0.5], [0.5, 1]])
    tr, info = anila.sample(g, 16, steps=40, sampler="hmc", seed=4, trace=True, return_info=True)
    assert tr.shape == (40, 16, 2) and info["steps"] == 40
    # the trace's last row is where the same chains end
    last = anila.sample(g, 16, steps=40, sampler="hmc", seed=4)
    assert (tr[-1] == last).all()
    # consecutive draws differ where proposals were accepted: the acceptance rate
    moved = (tr[1:] != tr[:-1]).any(axis=2).mean()
    assert abs(moved - info["accept"]) < 0.02
    with pytest.raises(ValueError, match="trace=True takes the seeded stream"):
        anila.sample(g, init=np.zeros((2, 2)), steps=1, noise=np.zeros((1, 2, 2)), trace=True)


def test_function_energy_may_be_zero_outside_its_support():
    """A Python energy that returns f = -inf outside the unit disc: HMC and MALA proposals
    there are rejected, so every draw stays inside; NaN is still an error."""
    def disc(X):
        r2 = (X**2).sum(1)
        f = np.where(r2 < 1, -0.5 * r2, -np.inf)
        return f, -X

    for kw in (dict(sampler="hmc", leapfrog=5), dict(sampler="sgld", adjusted=True)):
        x = anila.sample(disc, 200, dim=2, steps=100, init=np.zeros((200, 2)), **kw)
        assert ((x**2).sum(1) < 1).all() and x.std() > 0.2, kw
    with pytest.raises(ValueError, match="non-finite f"):
        anila.sample(lambda X: (np.full(len(X), np.nan), -X), 4, dim=2, steps=2)
