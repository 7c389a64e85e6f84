"""Exact maximum likelihood for 2-D energy nets: the reference that separates what the net can
represent from what MCMC training costs (a study and test tool, not a training mode).

The net (anila's, through its PyTorch twin, float64) is trained on −mean f(x) + log Z with
log Z = log ∫ exp f by the midpoint rule on a grid over the box, the grid shifted by a random
fraction of a cell at every step (so the net cannot hide mass between grid points), by Adam
with cosine decay. Its held-out NLL gap to the true density is what the architecture and its
optimisation reach; the gap of MCMC training above it is what sampling and the training loop
cost.

    python study/exact_ml.py rings --steps 1500      # one toy set: prints the gaps
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

import anila
from anila import metrics

#: The box the toy sets live in (their points lie within about ±4).
LIM = ((-4.5, 4.5), (-4.5, 4.5))


def train_exact(X, *, hidden=None, activation=None, steps=1500, batch=512, lr=3e-3, grid=100,
                lim=LIM, seed=0, progress=False):
    """An anila Model (float64) trained on the (n, 2) points X by exact maximum likelihood;
    its parameters start from anila's initialisation with `seed`. hidden and activation
    default to the library's MLP defaults."""
    import torch

    d = anila.model_defaults()
    hidden = d["hidden"] if hidden is None else hidden
    activation = d["activation"] if activation is None else activation
    torch.manual_seed(seed)
    model = anila.new_model(2, hidden=hidden, activation=activation, dtype="float64", seed=seed, data_init=False)
    net = model.to_torch()
    Xt = torch.from_numpy(np.asarray(X, dtype=np.float64))
    (x0, x1), (y0, y1) = lim
    hx, hy = (x1 - x0) / grid, (y1 - y0) / grid
    gx, gy = torch.meshgrid(torch.arange(grid, dtype=torch.float64), torch.arange(grid, dtype=torch.float64),
                            indexing="ij")
    cells = torch.stack([gx.reshape(-1), gy.reshape(-1)], dim=1)
    log_area = math.log(hx * hy)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    gen = torch.Generator().manual_seed(seed)
    t0 = time.perf_counter()
    for step in range(steps):
        idx = torch.randint(0, Xt.shape[0], (batch,), generator=gen)
        shift = torch.rand(2, generator=gen, dtype=torch.float64)
        pts = torch.stack([x0 + hx * (cells[:, 0] + shift[0]), y0 + hy * (cells[:, 1] + shift[1])], dim=1)
        log_z = torch.logsumexp(net(pts).reshape(-1), 0) + log_area
        loss = -net(Xt[idx]).mean() + log_z
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if progress and (step + 1) % 250 == 0:
            print(f"  step {step + 1}: loss {loss.item():.4f} ({time.perf_counter() - t0:.0f} s)", flush=True)
    from anila.torch import flat_parameters

    model.set_parameters(flat_parameters(net))
    return model


def gaps(name, *, seed=0, n=20_000, steps=1500, grid=100, mcmc=True, progress=False) -> dict:
    """Held-out NLL gaps to the true density on toy set `name` (2,000 held-out points): of
    the net trained by exact likelihood, and (mcmc) of anila.train with its defaults."""
    X = anila.datasets.toy(name, n, seed)
    held = anila.datasets.toy(name, 2000, seed + 1000).astype(np.float64)
    true_nll = float(-anila.datasets.log_density(name, held).mean())
    out = {"name": name, "seed": seed, "true_nll": true_nll}
    t0 = time.perf_counter()
    m = train_exact(X, steps=steps, grid=grid, seed=seed, progress=progress)
    out["exact_gap"] = metrics.heldout_nll(m, held, LIM) - true_nll
    out["exact_seconds"] = time.perf_counter() - t0
    if mcmc:
        t0 = time.perf_counter()
        mm = anila.train(X, seed=seed, progress=False)
        out["mcmc_gap"] = metrics.heldout_nll(mm, held, LIM) - true_nll
        out["mcmc_seconds"] = time.perf_counter() - t0
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("names", nargs="*", default=list(anila.datasets.TOY_NAMES))
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--grid", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    for name in args.names:
        r = gaps(name, seed=args.seed, steps=args.steps, grid=args.grid, progress=True)
        print(f"{name}: true NLL {r['true_nll']:.3f}; gap of exact ML {r['exact_gap']:.3f} nat "
              f"({r['exact_seconds']:.0f} s), of MCMC training {r['mcmc_gap']:.3f} nat ({r['mcmc_seconds']:.0f} s)",
              flush=True)


if __name__ == "__main__":
    main()
