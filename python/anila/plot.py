"""Plots with matplotlib (an optional dependency): samples against data, energy landscapes,
training histories, the side-by-side comparison the demo writes, image grids, rows of
images for conditional sampling (originals, what the sampler saw, what it filled in), and
diagnostics: energy histograms of data, samples and noise, and chain traces, rank plots and
autocorrelations."""

from __future__ import annotations

import numpy as np


def _plt():
    """matplotlib.pyplot, with matplotlib's own backend choice (inline in Jupyter, Agg on a
    machine without a display)."""
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("anila.plot needs matplotlib: pip install 'anila[plot]'") from None
    return plt


def _lim(X, margin=0.15):
    lo, hi = X.min(axis=0), X.max(axis=0)
    w = hi - lo
    return (lo[0] - margin * w[0], hi[0] + margin * w[0]), (lo[1] - margin * w[1], hi[1] + margin * w[1])


def scatter(X, ax=None, title=None, lim=None, color="C0", s=1.0):
    """Scatter plot of 2-D points X on ax (a new figure when None); returns ax."""
    plt = _plt()
    X = np.asarray(X)
    if ax is None:
        _, ax = plt.subplots(figsize=(4, 4))
    ax.scatter(X[:, 0], X[:, 1], s=s, alpha=0.5, color=color, linewidths=0)
    if lim is not None:
        ax.set_xlim(*lim[0])
        ax.set_ylim(*lim[1])
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title)
    return ax


def density_grid(model, lim, resolution=200):
    """The model's normalised density exp(f)/Z on a resolution² grid over lim (Z by the
    grid sum): returns (xs, ys, density)."""
    xs = np.linspace(*lim[0], resolution)
    ys = np.linspace(*lim[1], resolution)
    gx, gy = np.meshgrid(xs, ys)
    pts = np.stack([gx.ravel(), gy.ravel()], axis=1)
    f = model.energy(pts).astype(np.float64).reshape(resolution, resolution)
    f -= f.max()
    p = np.exp(f)
    cell = (xs[1] - xs[0]) * (ys[1] - ys[0])
    p /= p.sum() * cell
    return xs, ys, p


def landscape(model, lim, ax=None, title=None, resolution=200):
    """The model's density exp(f(x))/Z as an image over the box lim ((x0, x1), (y0, y1))."""
    plt = _plt()
    if ax is None:
        _, ax = plt.subplots(figsize=(4, 4))
    xs, ys, p = density_grid(model, lim, resolution)
    ax.imshow(p, origin="lower", extent=(xs[0], xs[-1], ys[0], ys[-1]), cmap="viridis", aspect="equal")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title)
    return ax


#: What each history field is, for plot titles.
HISTORY_TITLES = {
    "gap": "energy gap f(data) − f(samples)",
    "f_data": "mean f(data)",
    "f_sample": "mean f(samples)",
    "grad_norm": "parameter-gradient norm",
    "gamma_mean": "mean step size γ",
    "gamma_min": "smallest step size γ",
    "gamma_max": "largest step size γ",
    "clipped": "fraction of coordinates clipped by b",
    "sample_grad_norm": "‖∇x f‖ at the samples",
    "accept": "acceptance rate",
    "jump_accept": "data-driven jump acceptance rate",
    "seconds": "seconds per iteration",
}


def _smooth(y: np.ndarray, window: int) -> np.ndarray:
    """Moving average over `window` points (NaNs ignored), same length as y."""
    if window <= 1 or len(y) < 2:
        return y
    ok = np.isfinite(y)
    k = np.ones(window)
    num = np.convolve(np.where(ok, y, 0.0), k, mode="same")
    den = np.convolve(ok.astype(float), k, mode="same")
    with np.errstate(invalid="ignore", divide="ignore"):
        return num / den


def history(runs, fields=("gap", "grad_norm", "gamma_mean"), path=None, smooth: int | None = None):
    """Training curves over iterations, one panel per history field (see HISTORY_TITLES).

    runs: a Model, a history dict, or a dict {label: Model or history} to overlay several
    runs (e.g. {"AniLA": m1, "SGLD": m2}). Curves are moving averages over `smooth`
    iterations (default: 1/50 of the run) over the raw values drawn faintly. Saved to path
    if given; returns the figure."""
    plt = _plt()
    if isinstance(runs, dict) and "iteration" not in runs:
        items = list(runs.items())
    else:
        items = [(None, runs)]
    fig, axes = plt.subplots(1, len(fields), figsize=(4.2 * len(fields), 3.2))
    axes = np.atleast_1d(axes)
    for i, (label, run) in enumerate(items):
        h = run if isinstance(run, dict) else run.history
        it = np.asarray(h["iteration"])
        for ax, name in zip(axes, fields):
            if name not in h:
                raise ValueError(f"unknown history field {name!r}; fields: {sorted(h)}")
            y = np.asarray(h[name], dtype=float)
            w = smooth if smooth is not None else max(1, len(y) // 50)
            color = f"C{i}"
            if w > 1:
                ax.plot(it, y, lw=0.5, alpha=0.25, color=color)
            ax.plot(it, _smooth(y, w), lw=1.2, color=color, label=label)
    for ax, name in zip(axes, fields):
        ax.set_title(HISTORY_TITLES.get(name, name), fontsize=10)
        ax.set_xlabel("iteration")
        if name in ("grad_norm", "gamma_mean", "gamma_min", "gamma_max", "sample_grad_norm"):
            ax.set_yscale("log")
    if len(items) > 1:
        axes[0].legend(fontsize=8)
    fig.tight_layout()
    if path:
        fig.savefig(path, dpi=110)
    return fig


def compare(data, models: dict, path=None, n_samples=2000, seed=0, lim=None):
    """One row per model: data | model samples | model density, as the demo shows."""
    plt = _plt()
    data = np.asarray(data)
    lim = lim or _lim(data)
    fig, axes = plt.subplots(len(models), 3, figsize=(9, 3 * len(models)), squeeze=False)
    for row, (name, model) in enumerate(models.items()):
        z = model.sample(n_samples, seed=seed)
        scatter(data[:n_samples], axes[row, 0], "data", lim, color="C7")
        scatter(z, axes[row, 1], f"{name}: samples", lim, color="C0" if row == 0 else "C3")
        landscape(model, lim, axes[row, 2], f"{name}: density exp(f)/Z")
    fig.tight_layout()
    if path:
        fig.savefig(path, dpi=110)
    return fig


def grid(images, nrow: int | None = None, ax=None, title=None, path=None):
    """A grid of images (N, C, H, W) or (N, H, W) with values in [-1, 1] (clipped), C = 1
    (gray) or 3 (RGB); saved to path if given. Returns the figure."""
    plt = _plt()
    x = np.asarray(images, dtype=np.float32)
    if x.ndim == 3:
        x = x[:, None]
    if x.ndim != 4 or x.shape[1] not in (1, 3) or x.shape[0] == 0:
        raise ValueError(f"images must be (N, 1|3, H, W) or (N, H, W) with N >= 1, got shape {x.shape}")
    n, c, h, w = x.shape
    nrow = nrow or int(np.ceil(np.sqrt(n)))
    ncol = int(np.ceil(n / nrow))
    canvas = np.ones((ncol * (h + 1) + 1, nrow * (w + 1) + 1, c), dtype=np.float32)
    for k in range(n):
        r, q = divmod(k, nrow)
        canvas[1 + r * (h + 1):1 + r * (h + 1) + h, 1 + q * (w + 1):1 + q * (w + 1) + w] = x[k].transpose(1, 2, 0)
    canvas = (np.clip(canvas, -1, 1) + 1) / 2
    if ax is None:
        fig, ax = plt.subplots(figsize=(max(2, nrow * 0.6), max(2, ncol * 0.6)))
    else:
        fig = ax.figure
    ax.imshow(canvas[..., 0] if c == 1 else canvas, cmap="gray" if c == 1 else None, vmin=0, vmax=1)
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title)
    if path:
        fig.savefig(path, dpi=110, bbox_inches="tight")
    return fig


def image_rows(rows: dict, path=None, ncol: int | None = None, size: float = 0.9):
    """Rows of images side by side, one row per entry of `rows` (label → images (N, C, H, W)
    or (N, H, W) in [-1, 1]), column k showing image k of every row: for conditional
    sampling, e.g. {"original": X, "observed": masked, "filled in": Z}. ncol limits the
    columns (default: the shortest row). Saved to path if given; returns the figure."""
    plt = _plt()
    if not isinstance(rows, dict) or not rows:
        raise ValueError("rows must be a non-empty dict of label -> images")
    arrays = {}
    for label, images in rows.items():
        x = np.asarray(images, dtype=np.float32)
        if x.ndim == 3:
            x = x[:, None]
        if x.ndim != 4 or x.shape[1] not in (1, 3) or x.shape[0] == 0:
            raise ValueError(f"rows[{label!r}] must be (N, 1|3, H, W) or (N, H, W) with N >= 1, got shape {x.shape}")
        arrays[label] = x
    n = min(len(x) for x in arrays.values())
    n = min(n, ncol) if ncol else n
    fig, axes = plt.subplots(len(arrays), n, figsize=(size * n + 1.2, size * len(arrays)), squeeze=False)
    for r, (label, x) in enumerate(arrays.items()):
        for k in range(n):
            ax = axes[r, k]
            img = (np.clip(x[k].transpose(1, 2, 0), -1, 1) + 1) / 2
            ax.imshow(img[..., 0] if img.shape[2] == 1 else img, cmap="gray" if img.shape[2] == 1 else None,
                      vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            if k == 0:
                ax.set_ylabel(label, rotation=0, ha="right", va="center")
    fig.subplots_adjust(wspace=0.05, hspace=0.05, left=1.1 / (size * n + 1.2))
    if path:
        fig.savefig(path, dpi=110, bbox_inches="tight")
    return fig


def energy_histogram(model, sets: dict, path=None, bins: int = 60, ax=None, title=None):
    """Histograms of the energy f(x) of several point sets under a model, overlaid: e.g.
    {"data": X, "samples": model.sample(...), "noise": U}. A healthy EBM gives data and
    its samples overlapping histograms, well above noise; samples far above the data mean
    the sampler overshoots (or the model diverges), far below that it has not mixed. Saved to
    path if given; returns the figure."""
    plt = _plt()
    if ax is None:
        fig, ax = plt.subplots(figsize=(5.5, 3.4))
    else:
        fig = ax.figure
    energies = {name: np.asarray(model.energy(X), dtype=float) for name, X in sets.items()}
    finite = np.concatenate([e[np.isfinite(e)] for e in energies.values()])
    if finite.size == 0:
        raise ValueError("no finite energies to plot")
    lo, hi = np.percentile(finite, [0.5, 99.5])
    edges = np.linspace(lo, hi, bins + 1)
    for i, (name, e) in enumerate(energies.items()):
        ax.hist(np.clip(e, lo, hi), bins=edges, alpha=0.45, density=True, color=f"C{i}",
                label=f"{name} (mean {np.mean(e):.3g})")
    ax.set_xlabel("energy f(x) (log density + log Z)")
    ax.set_ylabel("density")
    ax.legend(fontsize=8)
    ax.set_title(title or "energies", fontsize=10)
    fig.tight_layout()
    if path:
        fig.savefig(path, dpi=110)
    return fig


def _autocorr(x: np.ndarray, max_lag: int) -> np.ndarray:
    """Autocorrelation of a 1-D series at lags 0..max_lag (by FFT)."""
    x = x - x.mean()
    n = len(x)
    f = np.fft.rfft(x, 2 * n)
    ac = np.fft.irfft(f * np.conj(f))[: max_lag + 1]
    return ac / ac[0] if ac[0] > 0 else np.zeros(max_lag + 1)


def chains(trace, coords=None, path=None, max_lag: int = 100, names=None):
    """Per-coordinate chain diagnostics, one row per coordinate: the traces of every chain,
    rank plots (histograms of each chain's draws' ranks among all chains': flat when the
    chains agree), and the autocorrelation by lag (mean over chains). trace: (steps, chains,
    dim) as `Model.sample(..., trace=True)` returns (image-shaped traces are flattened),
    or (steps, chains) for one scalar. coords: the coordinates to show (default: the first
    three). Saved to path if given; returns the figure."""
    plt = _plt()
    t = np.asarray(trace, dtype=float)
    if t.ndim == 2:
        t = t[:, :, None]
    if t.ndim > 3:
        t = t.reshape(t.shape[0], t.shape[1], -1)
    if t.ndim != 3 or t.shape[0] < 4:
        raise ValueError(f"trace must be (steps >= 4, chains, dim), got shape {np.shape(trace)}")
    steps, nchain, dim = t.shape
    coords = list(range(min(3, dim))) if coords is None else [int(c) for c in coords]
    for c in coords:
        if not 0 <= c < dim:
            raise ValueError(f"coords: {c} is not a coordinate of dimension {dim}")
    names = names or [f"x[{c}]" for c in coords]
    fig, axes = plt.subplots(len(coords), 3, figsize=(12, 2.6 * len(coords)), squeeze=False)
    lag = min(max_lag, steps - 1)
    for row, (c, name) in enumerate(zip(coords, names)):
        x = t[:, :, c]
        for k in range(nchain):
            axes[row, 0].plot(x[:, k], lw=0.6, alpha=0.7)
        axes[row, 0].set_title(f"{name}: traces", fontsize=10)
        axes[row, 0].set_xlabel("step")
        order = np.argsort(x.ravel(), kind="mergesort")
        ranks = np.empty(order.size)
        ranks[order] = np.arange(order.size)
        ranks = ranks.reshape(steps, nchain)
        edges = np.linspace(0, order.size, 21)
        shown = min(nchain, 8)
        for k in range(shown):
            axes[row, 1].hist(ranks[:, k], bins=edges, histtype="step", lw=1)
        axes[row, 1].axhline(steps / 20, color="k", lw=0.8, ls="--")
        axes[row, 1].set_title(f"{name}: rank plot ({shown} chains; flat is good)", fontsize=10)
        ac = np.mean([_autocorr(x[:, k], lag) for k in range(nchain)], axis=0)
        axes[row, 2].plot(np.arange(lag + 1), ac, lw=1.2)
        axes[row, 2].axhline(0, color="k", lw=0.6)
        axes[row, 2].set_title(f"{name}: autocorrelation", fontsize=10)
        axes[row, 2].set_xlabel("lag")
    fig.tight_layout()
    if path:
        fig.savefig(path, dpi=110)
    return fig
