"""Metrics computed by the Go core: sample quality (MMD, sliced Wasserstein, FID), chain
diagnostics (ESS, R̂), normalised densities (log Z by AIS: `log_partition`; bits per
dimension) and out-of-distribution scores (`ood_scores`, `ood_auroc`)."""

from __future__ import annotations

import numpy as np

import json
import os
import weakref

from ._lib import capi, cfunc, close_handle, gocall, ptr
from ._validate import as_points, check_float, check_int, check_seed
from .likelihood import LogPartition, WideBracketWarning, bits_per_dim, log_partition

__all__ = ["mmd", "sliced_wasserstein", "chain_diagnostics", "ess", "split_rhat", "log_normaliser", "heldout_nll",
           "log_partition", "LogPartition", "WideBracketWarning", "bits_per_dim", "ood_scores", "ood_auroc",
           "FeatureNet", "feature_net", "load_feature_net", "fid", "frechet_distance"]

#: The default RBF bandwidth of `mmd`: narrow, so that blurred toy samples are seen.
DEFAULT_BANDWIDTH = 0.2


def mmd(X, Y, bandwidth: float | None = DEFAULT_BANDWIDTH) -> float:
    """Unbiased squared maximum mean discrepancy between samples X (n, d) and Y (m, d) under
    the RBF kernel exp(−‖a−b‖²/(2σ²)) of bandwidth σ (None: the median heuristic, the median
    distance between the points of the pooled sample, of its first 1,000 points: up to 500
    of X, then Y's). Near 0 (and possibly slightly negative) when the two come from the same
    distribution."""
    X = as_points(X, "X")
    Y = as_points(Y, "Y", dim=X.shape[1])
    if X.shape[0] < 2 or Y.shape[0] < 2:
        raise ValueError(f"mmd needs at least 2 points in each sample, got {X.shape[0]} and {Y.shape[0]}")
    sigma = 0.0 if bandwidth is None else check_float("bandwidth", bandwidth, 0, lo_open=True)
    out = np.zeros(1)
    cfunc("anila_mmd", ptr(X), X.shape[0], ptr(Y), Y.shape[0], X.shape[1], sigma, ptr(out))
    return float(out[0])


def sliced_wasserstein(X, Y, projections: int = 200, seed: int = 0) -> float:
    """Sliced 2-Wasserstein distance between samples X (n, d) and Y (m, d): the root mean
    over `projections` random directions (drawn from seed) of the squared 1-D Wasserstein-2
    distance between the projected samples, computed exactly. In the data's units."""
    X = as_points(X, "X", np.float64)
    Y = as_points(Y, "Y", np.float64, dim=X.shape[1])
    projections = check_int("projections", projections, 1, 1 << 20)
    seed = check_seed(seed)
    out = np.zeros(1)
    cfunc("anila_sliced_wasserstein", ptr(X), X.shape[0], ptr(Y), Y.shape[0], X.shape[1], projections, seed, ptr(out))
    return float(out[0])


def _draws(draws) -> np.ndarray:
    d = np.asarray(draws, dtype=np.float64)
    if d.ndim == 1:
        d = d[None]
    if d.ndim != 2:
        raise ValueError(f"draws must be (chains, n) or (n,), got shape {d.shape}")
    if d.shape[1] < 4:
        raise ValueError(f"draws need at least 4 per chain, got {d.shape[1]}")
    if not np.isfinite(d).all():
        raise ValueError("draws must be finite")
    return np.ascontiguousarray(d)


def chain_diagnostics(draws) -> dict:
    """Split R̂ and effective sample size of one scalar over chains: draws (chains, n) or
    (n,). R̂ near 1 (below 1.01) means the chains agree; ESS is the number of independent
    draws that would estimate the mean as precisely (Stan's estimators, without rank
    normalisation). Returns {"rhat": ..., "ess": ...}."""
    d = _draws(draws)
    out = np.zeros(2)
    cfunc("anila_chain_diagnostics", ptr(d), d.shape[0], d.shape[1], ptr(out))
    return {"rhat": float(out[0]), "ess": float(out[1])}


def ess(draws) -> float:
    """Effective sample size of draws (chains, n) or (n,); see `chain_diagnostics`."""
    return chain_diagnostics(draws)["ess"]


def split_rhat(draws) -> float:
    """Split R̂ of draws (chains, n); see `chain_diagnostics`."""
    return chain_diagnostics(draws)["rhat"]


def log_normaliser(model, lim, resolution: int = 400) -> float:
    """log Z = log ∫ exp(f(x)) dx of a 2-D model over the box lim ((x0, x1), (y0, y1)) by
    the midpoint rule on a resolution² grid: exact up to quadrature error when the box holds
    the model's mass."""
    if getattr(model, "dim", None) != 2:
        raise ValueError(f"log_normaliser needs a 2-D model, got dim={getattr(model, 'dim', None)}")
    resolution = int(resolution)
    (x0, x1), (y0, y1) = lim
    hx, hy = (x1 - x0) / resolution, (y1 - y0) / resolution
    xs = x0 + hx * (np.arange(resolution) + 0.5)
    ys = y0 + hy * (np.arange(resolution) + 0.5)
    gx, gy = np.meshgrid(xs, ys)
    f = model.energy(np.stack([gx.ravel(), gy.ravel()], axis=1)).astype(np.float64)
    m = f.max()
    return float(m + np.log(np.exp(f - m).sum() * hx * hy))


def heldout_nll(model, X, lim=None, resolution: int = 400) -> float:
    """Mean negative log-likelihood of held-out points X under a 2-D model, normalised by
    quadrature on a grid over lim (default: X's range widened by half its width)."""
    X = as_points(X, "X", dim=2)
    if lim is None:
        lo, hi = X.min(axis=0), X.max(axis=0)
        w = hi - lo
        lim = ((lo[0] - 0.5 * w[0], hi[0] + 0.5 * w[0]), (lo[1] - 0.5 * w[1], hi[1] + 0.5 * w[1]))
    logz = log_normaliser(model, lim, resolution)
    return float(-(model.energy(X).astype(np.float64) - logz).mean())


# --- out-of-distribution scores ------------------------------------------------------------

def ood_scores(model, X) -> dict:
    """Scores of points X under a model, each higher for points more like its training data:
    "energy", f(x) (the unnormalised log density), and "grad_norm", −‖∇ₓ f(x)‖ (typical
    points sit where the density is flat). Each (n,) float64."""
    f = np.asarray(model.energy(X), dtype=np.float64)
    g = np.asarray(model.energy_grad(X), dtype=np.float64).reshape(len(f), -1)
    return {"energy": f, "grad_norm": -np.sqrt((g * g).sum(axis=1))}


def _ranks(v: np.ndarray) -> np.ndarray:
    """Ranks 1..n of v, ties given their mean rank."""
    order = np.argsort(v, kind="mergesort")
    r = np.empty(len(v))
    r[order] = np.arange(1, len(v) + 1)
    _, inv, counts = np.unique(v, return_inverse=True, return_counts=True)
    sums = np.bincount(inv, weights=r)
    return (sums / counts)[inv]


def ood_auroc(scores_in, scores_out) -> float:
    """Area under the ROC curve of telling in-distribution points from out-of-distribution
    ones by a score that is higher in distribution: the probability that a random
    in-distribution point scores above a random out-of-distribution one (ties count half).
    1 separates them perfectly, 0.5 is chance, below 0.5 the score is reversed."""
    a = np.asarray(scores_in, dtype=np.float64).ravel()
    b = np.asarray(scores_out, dtype=np.float64).ravel()
    for name, v in (("scores_in", a), ("scores_out", b)):
        if v.size == 0:
            raise ValueError(f"{name} is empty")
        if not np.isfinite(v).all():
            raise ValueError(f"{name} must be finite ({int((~np.isfinite(v)).sum())} values are not)")
    r = _ranks(np.concatenate([a, b]))
    u = r[: a.size].sum() - a.size * (a.size + 1) / 2
    return float(u / (a.size * b.size))


# --- FID -----------------------------------------------------------------------------------

#: The file `feature_net()` caches the Fashion-MNIST feature net in, unless given a path
#: ($ANILA_CACHE, else ~/.cache/anila).
FEATURE_NET_FILE = "fid-fashion-mnist-v1.anet"


def _cache_dir() -> str:
    return os.environ.get("ANILA_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "anila")


class FeatureNet:
    """The classifier whose hidden features FID compares: a small ConvNet (3×3 conv to 32,
    two 4×4 stride-2 convs to 64, Linear to 128 features, Linear to the classes; LeakyReLU
    0.1) held by anila's Go core. `feature_net()` gives the one trained on Fashion-MNIST."""

    def __init__(self, handle: int):
        self._h = int(handle)
        self._finalizer = weakref.finalize(self, close_handle, self._h)
        m = json.loads(gocall(capi.FeatureNetMeta, self._h))
        #: (C, H, W) of the images it takes.
        self.image_shape = (m["channels"], m["height"], m["width"])
        self.classes = int(m["classes"])
        self.n_features = int(m["features"])
        #: Per-epoch (loss, accuracy) of the last `fit`.
        self.history_ = None

    @classmethod
    def new(cls, image_shape, classes: int, seed: int = 0) -> "FeatureNet":
        """An untrained feature net for images (C, H, W) and `classes` classes."""
        c, h, w = (check_int(f"image_shape[{i}]", v, 1) for i, v in enumerate(image_shape))
        return cls(gocall(capi.NewFeatureNet, c, h, w, check_int("classes", classes, 2), check_seed(seed)))

    @property
    def _meta(self) -> dict:
        return json.loads(gocall(capi.FeatureNetMeta, self._handle()))

    @property
    def dataset(self) -> str:
        """What it was trained on."""
        return self._meta["dataset"]

    @property
    def test_accuracy(self) -> float:
        """Its accuracy on the test set of `dataset` (−1 when not measured)."""
        return float(self._meta["test_accuracy"])

    def _handle(self) -> int:
        if not self._finalizer.alive:
            raise ValueError("this feature net is closed")
        return self._h

    def close(self) -> None:
        """Free the Go-side net; calling it twice is fine."""
        if self._finalizer.alive:
            self._finalizer()

    def _images(self, X, name="X") -> np.ndarray:
        arr = np.asarray(X, dtype=np.float32) if not isinstance(X, (str, bytes)) else X
        d = int(np.prod(self.image_shape))
        if isinstance(arr, np.ndarray) and arr.ndim >= 3:
            arr = arr.reshape(arr.shape[0], -1)
        return as_points(arr, name, np.float32, d)

    def _labels(self, y, n) -> np.ndarray:
        lab = np.ascontiguousarray(np.asarray(y), dtype=np.int64)
        if lab.shape != (n,):
            raise ValueError(f"labels must have shape ({n},), got {lab.shape}")
        if n and (lab.min() < 0 or lab.max() >= self.classes):
            raise ValueError(f"labels must be in [0, {self.classes}), got range [{lab.min()}, {lab.max()}]")
        return lab

    def fit(self, X, labels, epochs: int = 3, batch_size: int = 128, lr: float = 1e-3, seed: int = 1,
            progress: bool = True) -> "FeatureNet":
        """Train by softmax cross-entropy with Adam, one epoch per call into Go (Ctrl-C
        stops between epochs); per-epoch (loss, accuracy) go to history_. Returns self."""
        from ._chunks import bar

        Xf = self._images(X)
        lab = self._labels(labels, Xf.shape[0])
        epochs = check_int("epochs", epochs, 1, 10_000)
        batch_size = check_int("batch_size", batch_size, 1, 1 << 20)
        lr = check_float("lr", lr, 0, lo_open=True)
        seed = check_seed(seed)
        hist = []
        pbar = bar(epochs, "feature net", progress)
        try:
            for e in range(epochs):
                out = np.zeros(2)
                cfunc("anila_featurenet_train", self._handle(), ptr(Xf), ptr(lab), Xf.shape[0], Xf.shape[1],
                      1, batch_size, lr, seed + e, ptr(out))
                hist.append((float(out[0]), float(out[1])))
                pbar.update(1)
                pbar.set_postfix(loss=f"{out[0]:.3f}", acc=f"{out[1]:.3f}")
        finally:
            pbar.close()
            self.history_ = np.array(hist).reshape(-1, 2)
        return self

    def accuracy(self, X, labels) -> float:
        """The fraction of images X classified as their labels."""
        Xf = self._images(X)
        lab = self._labels(labels, Xf.shape[0])
        out = np.zeros(2)
        cfunc("anila_featurenet_eval", self._handle(), ptr(Xf), ptr(lab), Xf.shape[0], Xf.shape[1], ptr(out))
        return float(out[1])

    def features(self, X) -> np.ndarray:
        """The n_features hidden features of images X (n, C, H, W), (n, H, W) or (n, C·H·W)."""
        Xf = self._images(X)
        out = np.empty((Xf.shape[0], self.n_features), dtype=np.float32)
        if Xf.shape[0]:
            cfunc("anila_featurenet_features", self._handle(), ptr(Xf), Xf.shape[0], Xf.shape[1], ptr(out), out.size)
        return out

    def save(self, path) -> None:
        """Write the net to path atomically, with a checksum."""
        gocall(capi.SaveFeatureNet, self._handle(), os.fspath(path))

    def __repr__(self):
        if not self._finalizer.alive:
            return "<anila.metrics.FeatureNet (closed)>"
        m = self._meta
        return (f"<anila.metrics.FeatureNet {'x'.join(map(str, self.image_shape))} -> {self.n_features} features, "
                f"{self.classes} classes, trained on {m['dataset'] or '?'}, test accuracy {m['test_accuracy']:.4f}>")


def load_feature_net(path) -> FeatureNet:
    """Read a feature net written by `FeatureNet.save`."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no such feature-net file: {path!r}")
    return FeatureNet(gocall(capi.LoadFeatureNet, path))


def feature_net(path=None, *, retrain: bool = False, progress: bool = True, epochs: int = 3) -> FeatureNet:
    """The FID feature net for Fashion-MNIST-sized images (1×28×28): loaded from path
    (default: FEATURE_NET_FILE in $ANILA_CACHE or ~/.cache/anila), or, when the file is
    missing or retrain is set, trained on the Fashion-MNIST training set (Debian's
    dataset-fashion-mnist), scored on its test set (`test_accuracy`) and saved there."""
    from . import datasets

    path = os.fspath(path) if path is not None else os.path.join(_cache_dir(), FEATURE_NET_FILE)
    if os.path.exists(path) and not retrain:
        return load_feature_net(path)
    X, y = datasets.fashion_mnist("train", return_labels=True)
    Xt, yt = datasets.fashion_mnist("test", return_labels=True)
    net = FeatureNet.new((1, 28, 28), 10, seed=0).fit(X, y, epochs=epochs, progress=progress)
    gocall(capi.SetFeatureNetInfo, net._handle(), "Fashion-MNIST", net.accuracy(Xt, yt))
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    net.save(path)
    return net


def fid(X, Y, net: FeatureNet | None = None) -> float:
    """Fréchet distance between Gaussian fits of the features of image sets X and Y (each
    (n, C, H, W) or (n, H, W), n >= 2): FID with anila's feature net (`feature_net()` by
    default) in place of Inception, so values are comparable only between runs that use the
    same net, not with published FIDs."""
    net = feature_net() if net is None else net
    fx = net.features(X).astype(np.float64)
    fy = net.features(Y).astype(np.float64)
    if fx.shape[0] < 2 or fy.shape[0] < 2:
        raise ValueError(f"fid needs at least 2 images in each set, got {fx.shape[0]} and {fy.shape[0]}")
    out = np.zeros(1)
    cfunc("anila_fid", ptr(fx), fx.shape[0], ptr(fy), fy.shape[0], fx.shape[1], ptr(out))
    return float(out[0])


def frechet_distance(mean1, cov1, mean2, cov2) -> float:
    """The Fréchet (2-Wasserstein²) distance between N(mean1, cov1) and N(mean2, cov2):
    ‖μ₁−μ₂‖² + tr(Σ₁ + Σ₂ − 2(Σ₁^½ Σ₂ Σ₁^½)^½), the formula FID applies to feature fits."""
    m1 = np.ascontiguousarray(mean1, dtype=np.float64).ravel()
    d = m1.size
    m2 = np.ascontiguousarray(mean2, dtype=np.float64).ravel()
    c1 = np.ascontiguousarray(cov1, dtype=np.float64)
    c2 = np.ascontiguousarray(cov2, dtype=np.float64)
    if d < 1 or m2.size != d or c1.shape != (d, d) or c2.shape != (d, d):
        raise ValueError(f"means must be (d,) and covariances (d, d), got {m1.shape}, {c1.shape}, {m2.shape}, {c2.shape}")
    if not all(np.isfinite(a).all() for a in (m1, m2, c1, c2)):
        raise ValueError("means and covariances must be finite")
    out = np.zeros(1)
    cfunc("anila_frechet", ptr(m1), ptr(c1), ptr(m2), ptr(c2), d, ptr(out))
    return float(out[0])
