"""FID: the Fréchet distance against closed forms, the feature net's training, features,
persistence and cache, and FID's behaviour on image sets."""

import numpy as np
import pytest

from anila import metrics


def test_frechet_distance_closed_forms():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(5, 5))
    cov = a @ a.T
    mu = rng.normal(size=5)
    v = rng.normal(size=5)
    assert abs(metrics.frechet_distance(mu, cov, mu, cov)) < 1e-9
    assert abs(metrics.frechet_distance(mu, cov, mu + v, cov) - v @ v) < 1e-9
    # N(0, Σ) against N(0, 4Σ): tr Σ + 4 tr Σ − 2·2 tr Σ = tr Σ
    assert abs(metrics.frechet_distance(mu, cov, mu, 4 * cov) - np.trace(cov)) < 1e-9 * np.trace(cov)
    # diagonal: Σ (√a − √b)²
    d1, d2 = np.array([4.0, 1.0, 9.0]), np.array([1.0, 4.0, 9.0])
    assert abs(metrics.frechet_distance(np.zeros(3), np.diag(d1), np.zeros(3), np.diag(d2)) - 2.0) < 1e-12
    with pytest.raises(ValueError, match="covariances"):
        metrics.frechet_distance(mu, cov, mu[:3], cov)
    with pytest.raises(ValueError, match="finite"):
        metrics.frechet_distance(mu, cov * np.nan, mu, cov)


def _bars(n, seed):
    """Three classes of noisy 12×12 images: a bright bar at the top, middle or bottom."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, size=n)
    X = 0.4 * rng.normal(size=(n, 12, 12)).astype(np.float32)
    for k, c in enumerate(y):
        X[k, 1 + 4 * c:3 + 4 * c] += 1
    return X, y


@pytest.fixture(scope="module")
def bars_net():
    X, y = _bars(900, 1)
    return metrics.FeatureNet.new((1, 12, 12), 3, seed=0).fit(X, y, epochs=4, batch_size=32, progress=False)


def test_feature_net_learns_and_round_trips(tmp_path, bars_net):
    Xt, yt = _bars(300, 2)
    assert bars_net.accuracy(Xt, yt) > 0.95
    assert bars_net.history_.shape == (4, 2) and bars_net.history_[-1, 0] < bars_net.history_[0, 0]
    F = bars_net.features(Xt)
    assert F.shape == (300, 128) and F.dtype == np.float32 and np.isfinite(F).all()
    path = tmp_path / "bars.anet"
    bars_net.save(path)
    back = metrics.load_feature_net(path)
    np.testing.assert_array_equal(back.features(Xt), F)
    # feature_net() takes a cached file as it is, without training
    cached = metrics.feature_net(path)
    assert cached.image_shape == (1, 12, 12) and cached.classes == 3
    with pytest.raises(ValueError, match="labels"):
        bars_net.fit(Xt, yt + 3, epochs=1, progress=False)
    with pytest.raises(ValueError):
        bars_net.features(np.zeros((2, 1, 10, 10)))
    bad = tmp_path / "bad.anet"
    bad.write_bytes(path.read_bytes()[:-5])
    with pytest.raises(ValueError, match="corrupt|truncated|not an anila"):
        metrics.load_feature_net(bad)


def test_fid_orders_image_sets(bars_net):
    A, _ = _bars(600, 3)
    B, _ = _bars(600, 4)
    noise = np.random.default_rng(5).uniform(-1, 1, size=(600, 12, 12)).astype(np.float32)
    one_class = A[_bars(600, 3)[1] == 0]
    same, other, worse = metrics.fid(A, B, bars_net), metrics.fid(A, one_class, bars_net), metrics.fid(A, noise, bars_net)
    assert abs(metrics.fid(A, A, bars_net)) < 1e-3
    assert 5 * same < min(other, worse), (same, other, worse)  # same distribution: only finite-sample bias
