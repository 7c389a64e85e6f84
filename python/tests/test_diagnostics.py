"""Out-of-distribution scores on Fashion-MNIST, the diagnostic plots, and anila.to_arviz."""

import os

import numpy as np
import pytest

import anila
from anila.metrics import ood_auroc, ood_scores

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")


@pytest.fixture(scope="module")
def fashion_model():
    """A small MLP energy on 3,000 flattened Fashion-MNIST training images (a short run)."""
    X = anila.datasets.fashion_mnist("train")[:3000].reshape(3000, -1)
    m = anila.train(X, hidden=(64,), iterations=60, steps=10, batch_size=64, buffer_size=500, seed=0, progress=False)
    return m, X


def test_ood_scores_tell_fashion_from_noise_and_report_the_rest(fashion_model):
    """In-distribution: held-out Fashion-MNIST test images. Uniform noise is told apart by the
    energy (AUROC > 0.95); digits (scikit-learn's, resized) and upside-down Fashion-MNIST are
    measured and reported. (The gradient-norm score can be reversed: noise sits on the flat,
    low-density plateau where the gradient is small.)"""
    m, _ = fashion_model
    all_test = anila.datasets.fashion_mnist("test")
    test = all_test[:500].reshape(500, -1)
    rng = np.random.default_rng(0)
    outs = {
        "noise": rng.uniform(-1, 1, size=(500, 784)).astype(np.float32),
        "digits": anila.datasets.digits(28)[:500].reshape(500, -1),
        "flipped": all_test[500:1000][:, ::-1, :].reshape(500, -1),
    }
    s_in = ood_scores(m, test)
    assert set(s_in) == {"energy", "grad_norm"} and s_in["energy"].shape == (500,)
    auroc = {(k, s): ood_auroc(s_in[s], ood_scores(m, X)[s]) for k, X in outs.items() for s in s_in}
    print({f"{k}/{s}": round(v, 3) for (k, s), v in auroc.items()})
    assert auroc[("noise", "energy")] > 0.95, auroc
    assert all(0 <= v <= 1 for v in auroc.values())
    s_out = ood_scores(m, outs["digits"])
    assert ood_auroc(-s_in["energy"], -s_out["energy"]) == pytest.approx(1 - auroc[("digits", "energy")])


def test_digits_look_like_the_other_image_sets():
    d, y = anila.datasets.digits(28, return_labels=True)
    assert d.shape == (1797, 28, 28) and d.dtype == np.float32 and y.shape == (1797,)
    assert d.min() == -1.0 and d.max() <= 1.0 and (d > 0).mean() > 0.05
    with pytest.raises(ValueError, match="size"):
        anila.datasets.digits(1)
    sklearn_datasets = pytest.importorskip("sklearn.datasets")
    ref = sklearn_datasets.load_digits()
    same = anila.datasets.digits(8)  # resampling to 8×8 is the identity
    np.testing.assert_allclose(same, ref.images / 8 - 1, atol=1e-6)


def test_energy_histogram_and_chain_plots(tmp_path, fashion_model):
    m, X = fashion_model
    S = m.sample(64, steps=20, seed=1)
    noise = np.random.default_rng(1).uniform(-1, 1, size=(64, 784)).astype(np.float32)
    fig = anila.plot.energy_histogram(m, {"data": X[:500], "samples": S, "noise": noise},
                                      path=tmp_path / "energies.png")
    assert os.path.getsize(tmp_path / "energies.png") > 5000
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert [s.split(" ")[0] for s in labels] == ["data", "samples", "noise"]

    g = anila.energies.Gaussian(np.zeros(3), np.diag([1.0, 4.0, 9.0]))
    tr = anila.sample(g, 4, steps=200, seed=0, trace=True, sampler="hmc")
    fig = anila.plot.chains(tr, coords=[0, 2], path=tmp_path / "chains.png", max_lag=30)
    assert len(fig.axes) == 6 and os.path.getsize(tmp_path / "chains.png") > 5000
    ac = fig.axes[2].lines[0].get_ydata()
    assert ac[0] == pytest.approx(1.0) and len(ac) == 31
    with pytest.raises(ValueError, match="coords"):
        anila.plot.chains(tr, coords=[3])
    with pytest.raises(ValueError, match="trace must be"):
        anila.plot.chains(np.zeros(10))


def test_to_arviz_carries_the_draws():
    pytest.importorskip("arviz_base")
    g = anila.energies.Gaussian(np.zeros(2), np.eye(2))
    tr = anila.sample(g, 3, steps=50, seed=0, trace=True, sampler="hmc")
    dt = anila.to_arviz(tr)
    x = dt.posterior["x"]
    assert x.sizes["chain"] == 3 and x.sizes["draw"] == 50 and x.sizes["x_dim"] == 2
    np.testing.assert_array_equal(x.values, np.swapaxes(tr, 0, 1))
    named = anila.to_arviz(tr, names=["a", "b"])
    np.testing.assert_array_equal(named.posterior["b"].values, tr[:, :, 1].T)
    with pytest.raises(ValueError, match="names has 1"):
        anila.to_arviz(tr, names=["a"])
