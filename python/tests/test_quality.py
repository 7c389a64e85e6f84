"""Training quality that a regression would lose: persistent chains that cannot cross between
modes leave the model's mode weights to chance; the data-driven jumps (the default) let the
chains move between modes, so the weights are learned."""

import numpy as np
import pytest

import anila


@pytest.mark.quality
def test_mode_weights_are_learned():
    """Two Gaussian modes (sd 0.15) 4 apart with weights 0.8 and 0.2: the model's mass on the
    heavy side, by quadrature, over seeds 1-5. Measured with the defaults (K = 40): 0.64, 0.62,
    0.64, 0.69, 0.65 (K = 60: 0.66, 0.63, 0.65, 0.69, 0.68); with jump=0, as before the jumps:
    0.60, 0.59, 0.71, 0.37, 0.50."""
    rng = np.random.default_rng(0)
    n = 4000
    heavy = rng.random(n) < 0.8
    X = np.where(heavy[:, None], rng.normal([-2, 0], 0.15, (n, 2)), rng.normal([2, 0], 0.15, (n, 2)))
    g = np.linspace(-4.5, 4.5, 181)
    xx, yy = np.meshgrid(g, g)
    P = np.stack([xx.ravel(), yy.ravel()], 1)
    masses = []
    for seed in (1, 2, 3, 4, 5):
        m = anila.train(X, seed=seed, progress=False, hidden=(32, 32), iterations=800, buffer_size=1000)
        f = m.energy(P).astype(np.float64)
        w = np.exp(f - f.max())
        masses.append(float(w[P[:, 0] < 0].sum() / w.sum()))
        assert np.nanmean(m.history["jump_accept"]) > 0.2
    assert all(0.55 <= v <= 0.95 for v in masses), masses


@pytest.mark.quality
def test_defaults_reach_the_toy_target():
    """The defaults' whole run on two moons, seed 1 (K = 40, 6,600 iterations, about 48 s):
    held-out NLL within 0.1 nat (the issue's target) of the true density's (KL(true ‖ model),
    the study's gap). Measured: 0.043 (seeds 1-5 in study/results.md: 0.034-0.081; another BLAS
    kernel's rounding gives another trajectory, so the bound leaves room for the worst seed);
    the defaults when the target was set, 0.24-0.79 on the toy sets; before the data-driven
    jumps and the deeper net, 0.88 here."""
    from anila import metrics

    X = anila.datasets.toy("moons", 10_000, seed=1)
    held = anila.datasets.toy("moons", 2_000, seed=1001)
    m = anila.train(X, seed=1, progress=False)
    nll = metrics.heldout_nll(m, held, ((-4.5, 4.5), (-4.5, 4.5)))
    gap = nll + float(anila.datasets.log_density("moons", held).mean())
    assert gap < 0.1, gap
