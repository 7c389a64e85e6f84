"""The demo: train AniLA and SGLD energy models on the rings toy data, write a figure with the
data, both models' samples and both density landscapes, and print a table of metrics.

Run with `make demo` (which does the set-up), or `python examples/demo_rings.py --out DIR`.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

import anila
from anila import metrics


def true_rings_nll(X: np.ndarray) -> float:
    """NLL of X under the true rings density (angle integral by a 2000-point rule)."""
    from math import pi

    radii, sd = np.array([0.75, 1.5, 2.25, 3.0]), 0.08
    t = np.linspace(0, 2 * pi, 2000, endpoint=False)
    dens = np.zeros(len(X))
    for r in radii:
        cx, cy = r * np.cos(t), r * np.sin(t)
        d2 = (X[:, :1] - cx) ** 2 + (X[:, 1:] - cy) ** 2
        dens += 0.25 * np.exp(-d2 / (2 * sd * sd)).mean(axis=1) / (2 * pi * sd * sd)
    return float(-np.log(dens).mean())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", default="demo-out", help="folder for the figure")
    ap.add_argument("--iterations", type=int, default=None, help="training iterations per model")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    iterations = args.iterations or anila.model_defaults()["iterations"]

    X = anila.datasets.rings(10_000, seed=args.seed)
    held = anila.datasets.rings(2_000, seed=args.seed + 1)
    lim = ((-4.5, 4.5), (-4.5, 4.5))
    print(f"anila {anila.__version__}, BLAS: {anila.blas()}, threads: {anila.get_num_threads()}")
    print(f"training on rings: {len(X)} points, {iterations} iterations per model\n")

    models, rows = {}, []
    for name in ("anila", "sgld"):
        untrained = anila.train(X, sampler=name, iterations=0, seed=args.seed, progress=False)
        t0 = time.perf_counter()
        model = anila.train(X, sampler=name, iterations=iterations, seed=args.seed)
        secs = time.perf_counter() - t0
        models[name.upper() if name == "sgld" else "AniLA"] = model
        for label, m, s in ((f"{name} (untrained)", untrained, 0.0), (name, model, secs)):
            Z = m.sample(2_000, seed=args.seed + 7)
            rows.append((label, metrics.mmd(Z, held), metrics.mmd(Z, held, bandwidth=None),
                         metrics.heldout_nll(m, held, lim), s))
        untrained.close()
    rows.append(("true density", float("nan"), float("nan"), true_rings_nll(held.astype(np.float64)), 0.0))

    path = os.path.join(args.out, "rings.png")
    anila.plot.compare(X, models, path=path, lim=lim, seed=args.seed + 7)
    for name, m in models.items():
        anila.plot.history(m, path=os.path.join(args.out, f"history-{name.lower()}.png"))

    print(f"{'model':22s} {'MMD² (σ=0.2)':>14s} {'MMD² (median σ)':>16s} {'held-out NLL':>13s} {'train s':>8s}")
    for label, a, b, nll, s in rows:
        print(f"{label:22s} {a:14.5f} {b:16.5f} {nll:13.3f} {s:8.1f}")
    print(f"\nfigure: {path}")


if __name__ == "__main__":
    main()
