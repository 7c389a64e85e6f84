"""The Itô drift correction for AniLA's state-dependent step (a study and test tool).

AniLA's step z ← z + (γ/2)⊙∇f + √γ⊙ξ with γ_i = η·b / max(b, |∂_i f|) is, as η → 0, the
diffusion dz = D∇f dt + √(2D) dW with D = diag(γ)/2 that depends on z. Its stationary density
is p/D, not p: in the coordinates where |∂_i f| > b (clipped) the chain piles up where the step
is small. Adding the drift ∂_i D_i = ½ ∂γ_i/∂z_i restores p; for |∂_i f| > b

    ½ ∂γ_i/∂z_i = −½ η b sign(∂_i f) ∂²_ii f / (∂_i f)²,

which needs the Hessian's diagonal. This module runs both steps, in NumPy, on 2-D Gaussians
diag(1, 1/κ) (∂²_ii f exact and constant) and measures the bias of the sampled variances, and
measures what the diagonal costs for anila's nets (by central differences of ∇f: 2·d extra
gradient evaluations per step).

    python study/ito.py            # the table: variance errors with and without the correction
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def anila_step(z, g, hdiag, eta, b, xi, ito=False):
    """One unadjusted AniLA step from z (n, d) with ∇f = g, the Hessian diagonal hdiag (for
    the correction) and standard normal noise xi; ito adds ½ ∂γ_i/∂z_i to the drift."""
    a = np.abs(g)
    clipped = a > b
    gamma = np.where(clipped, eta * b / np.where(clipped, a, 1.0), eta)
    drift = 0.5 * gamma * g
    if ito:
        safe = np.where(clipped, g, 1.0)
        drift = drift + np.where(clipped, -0.5 * eta * b * np.sign(g) * hdiag / (safe * safe), 0.0)
    return z + drift + np.sqrt(gamma) * xi


def gaussian_variances(kappa, eta, b, ito, *, chains=4000, steps=20_000, seed=1):
    """Variances of each coordinate sampled by AniLA on the Gaussian with covariance
    diag(1, 1/κ), chains started from the target, averaged over the second half of the run
    (the coordinates are independent, so each is a 1-D problem); also the mean fraction of
    clipped coordinates and, for each variance, a Monte Carlo standard error (from batch means
    over 10 blocks of chains)."""
    rng = np.random.default_rng(seed)
    prec = np.array([1.0, float(kappa)])  # f = −½ Σ prec_i z_i²: ∂_i f = −prec_i z_i, ∂²_ii f = −prec_i
    z = rng.standard_normal((chains, 2)) / np.sqrt(prec)
    acc = np.zeros((chains, 2))
    clip, count = 0.0, 0
    for k in range(steps):
        g = -prec * z
        if k >= steps // 2:
            acc += z * z
            clip += float((np.abs(g) > b).mean())
            count += 1
        z = anila_step(z, g, -prec, eta, b, rng.standard_normal(z.shape), ito)
    per_chain = acc / count
    var = per_chain.mean(0)
    blocks = per_chain.reshape(10, -1, 2).mean(1)
    se = blocks.std(0, ddof=1) / np.sqrt(10)
    return var * prec, se * prec, clip / count


def net_hessian_cost(model, n=128, reps=20, seed=0):
    """Seconds per call of model.energy_grad on n points, and of the Hessian diagonal by
    central differences of ∇f (2·d more energy_grad calls): the cost of the correction for a
    net, as a ratio of the step's gradient."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, model.dim)).astype(model.dtype)
    h = 1e-3

    def diag(z):
        out = np.empty_like(z)
        for i in range(z.shape[1]):
            e = np.zeros(z.shape[1], dtype=z.dtype)
            e[i] = h
            out[:, i] = (model.energy_grad(z + e)[:, i] - model.energy_grad(z - e)[:, i]) / (2 * h)
        return out

    t0 = time.perf_counter()
    for _ in range(reps):
        model.energy_grad(z)
    grad = (time.perf_counter() - t0) / reps
    t0 = time.perf_counter()
    for _ in range(reps):
        diag(z)
    return grad, (time.perf_counter() - t0) / reps


def study(kappas=(10, 100, 1000), steps=20_000, chains=4000, seed=1) -> list:
    """Rows for every κ and b in {0.3, 1, 3}·√κ (the steep coordinate's typical |∂f| is
    √κ): variance ratios (sampled / true) of both coordinates without and with the correction,
    at η = 0.05/κ (a small step, so that the discretisation's own bias is small)."""
    rows = []
    for kappa in kappas:
        eta = 0.05 / kappa
        for bf in (0.3, 1.0, 3.0):
            b = bf * np.sqrt(kappa)
            for ito in (False, True):
                t0 = time.perf_counter()
                var, se, clip = gaussian_variances(kappa, eta, b, ito, chains=chains, steps=steps, seed=seed)
                rows.append(dict(kappa=kappa, eta=eta, b=float(b), b_factor=bf, ito=ito, var_ratio=var.tolist(),
                                 se=se.tolist(), clipped=clip, seconds=time.perf_counter() - t0))
                print(f"κ={kappa:5d} b={b:8.3f} ito={ito!s:5}: variance ratios {var[0]:.4f} ± {se[0]:.4f}, "
                      f"{var[1]:.4f} ± {se[1]:.4f} (clipped {clip:.2f})", flush=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=20_000)
    ap.add_argument("--chains", type=int, default=4000)
    args = ap.parse_args()
    study(steps=args.steps, chains=args.chains)


if __name__ == "__main__":
    main()
