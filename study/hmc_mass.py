"""HMC's mass matrix: none, the draws' variances (Stan's choice), or AniLA's rule carried to
HMC (the paper's idea: a coordinate's step shrinks where the gradient is steep; here
M⁻¹ᵢ = b / max(b, rms ∂f/∂zᵢ) estimated over the warm-up). Does the gradient rule help?

For each target, 8 chains of HMC with L = 10 leapfrog steps, a 500-step warm-up that adapts
the step size (and the mass), then 1,000 kept steps; ESS per coordinate (anila.metrics.ess
over the chains) per gradient evaluation, the minimum and the median over coordinates, over
3 seeds. Targets: a diagonal Gaussian in d = 100 with variances from 1 to κ (κ = 100, 1000),
the same rotated (d = 50, κ = 100: no diagonal mass can fix a rotation), and the energy of
an MLP trained on rings stretched 1:100 (anila's defaults).

    python study/hmc_mass.py          # prints the table (about 3 minutes on 2 cores)
"""

from __future__ import annotations

import numpy as np

import anila
from anila.energies import Gaussian

CHAINS, L, WARMUP, STEPS = 8, 10, 500, 1000


def targets():
    """(name, energy, dim) for each target."""
    out = []
    for kappa in (100, 1000):
        v = np.geomspace(1, kappa, 100)
        out.append((f"diagonal Gaussian d=100 κ={kappa}", Gaussian(np.zeros(100), np.diag(v)), 100))
    q, _ = np.linalg.qr(np.random.default_rng(0).normal(size=(50, 50)))
    cov = q @ np.diag(np.geomspace(1, 100, 50)) @ q.T
    out.append(("rotated Gaussian d=50 κ=100", Gaussian(np.zeros(50), cov), 50))
    X = anila.datasets.rings(10_000, seed=0)
    X[:, 1] *= 0.01
    m = anila.train(X, iterations=1500, seed=0, progress=False, dtype="float64")
    out.append(("MLP on rings stretched 1:100", m, 2))
    return out


def ess_per_grad(energy, seed, **kw):
    """(min, median) over coordinates of ESS per gradient evaluation, and the adapted step."""
    init = "normal" if not isinstance(energy, anila.Model) else "data"
    tr, info = anila.sample(energy, CHAINS, steps=STEPS, warmup=WARMUP, init=init, seed=seed, trace=True,
                            return_info=True, sampler="hmc", leapfrog=L, **kw)
    ess = np.array([anila.metrics.ess(tr[:, :, j].T) for j in range(tr.shape[2])])
    grads = CHAINS * STEPS * info["grad_evals"]
    return ess.min() / grads, np.median(ess) / grads, info["step_size"], info["accept"]


def main() -> None:
    masses = [("identity", dict(mass="identity")), ("diag (variances)", dict(mass="diag"))]
    masses += [(f"gradient, b = {b:g}", dict(mass="gradient", threshold=b)) for b in (0.1, 1.0, 10.0)]
    print(f"HMC, {CHAINS} chains, L = {L}, warm-up {WARMUP}, {STEPS} kept steps; ESS per 1,000 gradient "
          "evaluations (min, median over coordinates), mean ± sd over seeds 1-3\n")
    print(f"| target | mass | ESS/1k grads, min | ESS/1k grads, median | step h | acceptance |")
    print("|---|---|---|---|---|---|")
    for name, e, _ in targets():
        for label, kw in masses:
            rows = np.array([ess_per_grad(e, s, **kw) for s in (1, 2, 3)])
            mn, md = 1000 * rows[:, 0], 1000 * rows[:, 1]
            print(f"| {name} | {label} | {mn.mean():.2f} ± {mn.std(ddof=1):.2f} | {md.mean():.2f} ± {md.std(ddof=1):.2f} "
                  f"| {rows[:, 2].mean():.3g} | {rows[:, 3].mean():.2f} |", flush=True)


if __name__ == "__main__":
    main()
