"""The image demo: train AniLA and SGLD ConvNet energy models on Fashion-MNIST for a bounded
time each, then write sample grids and training curves and print a table.

Run with `make demo-images` (which does the set-up, including Debian's
dataset-fashion-mnist), or `python examples/demo_images.py --out DIR --minutes M`.
Writes DIR/fashion-samples.png (data | SGLD | AniLA, persistent-buffer samples and fresh
short-run samples from noise), DIR/fashion-history.png (both runs' energy gap, gradient
norm and step size over iterations) and DIR/fashion-<sampler>.anila (checkpoints, which
`anila.resume` continues).
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

import anila
from anila import metrics


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="demo-out", help="folder for the figures and checkpoints")
    ap.add_argument("--minutes", type=float, default=4.0, help="training time per sampler")
    ap.add_argument("--train-size", type=int, default=60_000, help="training images used")
    ap.add_argument("--buffer", type=int, default=2000,
                    help="replay buffer size (smaller than the default 10,000 so that a short run "
                         "visits each buffered chain several times)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)

    X = anila.datasets.fashion_mnist("train")[: args.train_size]
    test = anila.datasets.fashion_mnist("test")
    d = anila.model_defaults("convnet")
    print(f"anila {anila.__version__}, BLAS: {anila.blas()}, threads: {anila.get_num_threads()}")
    print(f"Fashion-MNIST: {len(X)} training images {X.shape[1:]}; ConvNet n_f={d['nf']}, "
          f"K={d['steps']}, batch {d['batch_size']}, buffer {args.buffer}; {args.minutes:g} min per sampler\n")

    models, fresh, rows = {}, {}, []
    held = test[:1000].reshape(1000, -1)
    for name in ("sgld", "anila"):
        label = "SGLD" if name == "sgld" else "AniLA"
        t0 = time.perf_counter()
        m = anila.train(X, energy="convnet", sampler=name, iterations=10**9, seed=args.seed,
                        max_seconds=60 * args.minutes, buffer_size=args.buffer,
                        checkpoint=os.path.join(args.out, f"fashion-{name}.anila"), checkpoint_every=100)
        secs = time.perf_counter() - t0
        models[label] = m
        buf = m.sample(64, init="buffer", steps=0, seed=args.seed + 1)
        fresh[label] = m.sample(64, init="noise", steps=4 * d["steps"], seed=args.seed + 2)
        h = m.history
        tail = slice(max(0, len(h["gap"]) - 50), None)
        Z = m.sample(1000, init="buffer", steps=0, seed=args.seed + 3).reshape(1000, -1)
        rows.append((label, m.iteration, secs / max(m.iteration, 1), float(np.nanmean(h["gap"][tail])),
                     float(np.nanmean(h["gamma_mean"][tail])), float(np.nanmean(h["clipped"][tail])),
                     metrics.mmd(Z, held, bandwidth=None)))
        models[label + "_buf"] = buf

    fig_path = os.path.join(args.out, "fashion-samples.png")
    plt = anila.plot._plt()
    fig, axes = plt.subplots(1, 5, figsize=(20, 4.4))
    anila.plot.grid(X[:64], ax=axes[0], title="data")
    anila.plot.grid(models["SGLD_buf"], ax=axes[1], title="SGLD (replay buffer)")
    anila.plot.grid(models["AniLA_buf"], ax=axes[2], title="AniLA (replay buffer)")
    anila.plot.grid(fresh["SGLD"], ax=axes[3], title=f"SGLD (noise + {4 * d['steps']} steps)")
    anila.plot.grid(fresh["AniLA"], ax=axes[4], title=f"AniLA (noise + {4 * d['steps']} steps)")
    fig.tight_layout()
    fig.savefig(fig_path, dpi=100)
    hist_path = os.path.join(args.out, "fashion-history.png")
    anila.plot.history({"SGLD": models["SGLD"], "AniLA": models["AniLA"]},
                       fields=("gap", "grad_norm", "gamma_mean", "clipped"), path=hist_path)

    print(f"{'model':8s} {'iterations':>10s} {'s/iter':>7s} {'gap':>9s} {'mean γ':>9s} {'clipped':>8s} "
          f"{'MMD² to test (median σ)':>24s}")
    for label, its, spi, gap, gam, clip, mmd in rows:
        print(f"{label:8s} {its:10d} {spi:7.3f} {gap:9.4f} {gam:9.4f} {clip:8.3f} {mmd:24.5f}")
    print(f"\nfigures: {fig_path}, {hist_path}")


if __name__ == "__main__":
    main()
