"""The quality study: AniLA against SGLD, measured on data we have.

Sections (each writes study/results/<section>.json; results.md and the figures are made
from all saved sections, so sections can be run separately):

- toy:      every toy set; both samplers with the library's defaults; seeds 1-5. Held-out
            NLL under the model density normalised by quadrature on a grid (exact up to
            the grid), its gap to the true density's (= KL(true ‖ model)), MMD² (σ = 0.2)
            and sliced Wasserstein of samples.
- decompose: every toy set, the first seed: the held-out NLL gap to the true density of the
            net trained by exact likelihood (study/exact_ml.py) and of MCMC training.
- scale:    rings and 8 Gaussians scaled by 0.01, 1 and 100: the gap with the defaults.
- stretched: rings stretched 1:100, SGLD against AniLA with b adapted to
            the median |∂f/∂z_i|, each at its best step size; seeds 1-5.
- ito:      the Itô drift correction for AniLA's state-dependent step on Gaussians of
            condition number 10-1000 (study/ito.py), and its cost for a net.
- sampling: samplers alone on analytic targets (2-D Gaussians with condition numbers 10,
            100, 1000; a two-component mixture), adjusted and unadjusted: effective sample
            size per gradient evaluation at the best step size of a grid, and the error of
            the sampled covariance.
- sampling_seeds: the best setting of each sampler per target, over chain seeds 1-5.
- sweep:    AniLA's threshold b and step size η on rings (gap to the true density), in the
            standardised units of the defaults, the first two seeds (`--seeds`).
- stepsizes: AniLA's per-coordinate γ on an anisotropic Gaussian and on a rings model.
- images:   Fashion-MNIST, both samplers at the same compute budget (iterations × K),
            seeds 1-5: FID (anila's feature net) of replay-buffer samples to the test set.
- images_adapted: the same with AniLA's b adapted to the median per-pixel |∂f/∂z_i|
            (threshold_quantile = 0.5), compared with the images section's SGLD runs.

Run with `make study` (all sections) or `python study/run.py --sections toy,sweep`.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import time

import numpy as np

import anila
from anila import metrics

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "results")
SAMPLERS = ("anila", "sgld")
LIM = ((-4.5, 4.5), (-4.5, 4.5))


def true_kl(name, seed, nll):
    """KL(true ‖ model) = E_true[log p_true − log p_model], estimated on the run's held-out
    points: the model's held-out NLL plus the mean true log density there
    (anila.datasets.log_density)."""
    held = anila.datasets.toy(name, 2_000, seed=seed + 1000)
    return float(nll + anila.datasets.log_density(name, held).mean())


def toy_run(name, sampler, seed, stretch=(1.0, 1.0), **params):
    """Train on toy set `name` (10,000 points; coordinates multiplied by `stretch`) with the
    library's defaults and params; held-out NLL (normalised by quadrature over the stretched
    box), its gap to the true density (the KL(true ‖ model) estimate: the NLL plus the mean
    true log density, both in the unstretched coordinates), MMD² and sliced W₂ of samples
    (MMD² and sliced W₂ in the unstretched coordinates)."""
    st = np.asarray(stretch, dtype=np.float64)
    X = anila.datasets.toy(name, 10_000, seed=seed).astype(np.float64) * st
    held = anila.datasets.toy(name, 2_000, seed=seed + 1000).astype(np.float64)
    t0 = time.perf_counter()
    m = anila.train(X, sampler=sampler, seed=seed, progress=False, **params)
    secs = time.perf_counter() - t0
    Z = m.sample(2000, seed=seed + 7) / st
    lim = tuple((a * c, b * c) for (a, b), c in zip(LIM, st))
    nll = metrics.heldout_nll(m, held * st, lim) - float(np.log(st).sum())
    h = m.history
    out = dict(set=name, sampler=sampler, seed=seed, nll=nll, kl=true_kl(name, seed, nll),
               mmd=metrics.mmd(Z, held), swd=metrics.sliced_wasserstein(Z, held, seed=seed),
               seconds=secs, gamma_mean=float(np.nanmean(h["gamma_mean"][-500:])),
               clipped=float(np.nanmean(h["clipped"][-500:])), jump_accept=float(np.nanmean(h["jump_accept"][-500:])),
               stretch=list(st), params=params)
    m.close()
    return out


def section_toy(args):
    """Every toy set, both samplers with the library's defaults, every seed."""
    rows = []
    for name in anila.datasets.TOY_NAMES:
        for sampler in SAMPLERS:
            for seed in args.seeds:
                r = toy_run(name, sampler, seed)
                rows.append(r)
                print(f"toy {name:12s} {sampler:5s} seed {seed}: gap {r['kl']:.3f} NLL {r['nll']:.3f} "
                      f"MMD² {r['mmd']:.5f} ({r['seconds']:.0f} s)", flush=True)
    return rows


def section_scale(args):
    """Rings and 8 Gaussians scaled by 0.01, 1 and 100 (the first seed, the defaults): the
    gap must not depend on the scale."""
    rows = []
    for name in ("rings", "8gaussians"):
        for c in (0.01, 1.0, 100.0):
            r = toy_run(name, "anila", args.seeds[0], stretch=(c, c))
            rows.append(r)
            print(f"scale {name:12s} ×{c:g}: gap {r['kl']:.3f} ({r['seconds']:.0f} s)", flush=True)
    return rows


#: The stretched toy sets: the second coordinate multiplied by 0.01, and the settings compared:
#: SGLD and AniLA with b adapted to the median |∂f/∂z_i| (threshold_quantile=0.5), each at
#: every step size of the grid (per unit of the data's scale).
STRETCH, STRETCH_ETAS, STRETCH_SETS = (1.0, 0.01), (1e-3, 1e-4, 1e-5, 1e-6), ("rings",)


def section_stretched(args):
    """Anisotropic data: rings stretched 1:100 (STRETCH_SETS). Each sampler's step size is
    chosen on the first seed from STRETCH_ETAS (AniLA with b adapted to the median of |∂f/∂z_i|,
    so that about half of the coordinates are clipped), then run on every seed."""
    rows = []
    for name in STRETCH_SETS:
        for sampler in SAMPLERS:
            extra = {"threshold_quantile": 0.5} if sampler == "anila" else {}
            grid = []
            for eta in STRETCH_ETAS:
                r = toy_run(name, sampler, args.seeds[0], stretch=STRETCH, step_size=eta * _scale2_of(name), **extra)
                r["grid"] = True
                grid.append(r)
                print(f"stretched {name} {sampler} η₀={eta:g}: gap {r['kl']:.3f} clipped {r['clipped']:.2f}", flush=True)
            best = min(grid, key=lambda q: q["kl"] if np.isfinite(q["kl"]) else np.inf)
            rows += grid
            for seed in args.seeds:
                r = best if seed == args.seeds[0] else toy_run(name, sampler, seed, stretch=STRETCH, **best["params"])
                rows.append(dict(r, grid=False))
                print(f"stretched {name} {sampler} seed {seed}: gap {r['kl']:.3f}", flush=True)
    return rows


def _data_scale(X):
    """The scale s the library standardises the data X by (the RMS of the coordinates'
    standard deviations, as Go resolves it for a standardising MLP); η₀ and b₀ are per unit
    of it."""
    return float(anila.new_model(X.shape[1], data=X).arch["in_scale"])


@functools.lru_cache(maxsize=None)
def _scale2_of(name):
    """s² of the stretched data (first seed), s its `_data_scale`: step sizes are η₀·s², as
    the library's default is (cached: the report asks once per row)."""
    return _data_scale(anila.datasets.toy(name, 10_000, seed=1).astype(np.float64) * np.asarray(STRETCH)) ** 2


def section_ito(args):
    """The Itô drift correction on the Gaussians diag(1, 1/κ), κ = 10, 100, 1000 (study/ito.py),
    and the cost of the Hessian diagonal for a trained rings model."""
    import ito

    rows = ito.study()
    X = anila.datasets.toy("rings", 10_000, seed=1)
    m = anila.train(X, seed=1, progress=False)
    grad, hess = ito.net_hessian_cost(m)
    rows.append(dict(cost=True, grad_seconds=grad, hessian_seconds=hess, dim=2))
    print(f"Hessian diagonal by differences: {hess / grad:.1f}x a gradient", flush=True)
    return rows


SWEEP_ETA = (0.0025, 0.005, 0.01)  # η₀, per unit² of the data's scale (the default is 0.005)
SWEEP_B = (1.0, 3.0, 10.0)  # b₀, per 1/unit of the data's scale (the default is 10)


def section_sweep(args):
    """AniLA on rings over a grid of η₀ and b₀ in the standardised units of the defaults
    (passed in data units as η₀·s² and b₀/s, s the data's scale), the first two seeds."""
    seeds = args.seeds[:2]
    scales = {seed: _data_scale(anila.datasets.toy("rings", 10_000, seed=seed)) for seed in seeds}
    rows = []
    for eta in SWEEP_ETA:
        for b in SWEEP_B:
            for seed in seeds:
                sc = scales[seed]
                r = toy_run("rings", "anila", seed, step_size=eta * sc * sc, threshold=b / sc)
                r.update(eta0=eta, b0=b)
                rows.append(r)
                print(f"sweep η₀={eta} b₀={b} seed {seed}: gap {r['kl']:.3f}, clipped {r['clipped']:.2f}", flush=True)
    return rows


# --- sampling-only tasks ----------------------------------------------------------------------

def targets():
    """Name, energy, true covariance, and typical scale of the 2-D targets."""
    out = []
    for kappa in (10, 100, 1000):
        cov = np.diag([1.0, 1.0 / kappa])
        out.append((f"gaussian κ={kappa}", anila.energies.Gaussian([0.0, 0.0], cov), cov))
    w, mus = np.array([0.5, 0.5]), np.array([[-1.5, 0.0], [1.5, 0.0]])
    covs = np.array([np.diag([0.3, 0.03]), np.diag([0.3, 0.03])])
    mix = anila.energies.Mixture(w, mus, covs)
    mean = (w[:, None] * mus).sum(0)
    cov = sum(wi * (c + np.outer(m - mean, m - mean)) for wi, m, c in zip(w, mus, covs))
    out.append(("mixture", mix, cov))
    return out


def chains_of(energy, sampler, adjusted, eta, b, z0, steps, seed):
    """(steps, chains, 2) trajectory and the mean acceptance rate."""
    traj, z, acc = [], z0, []
    for k in range(steps):
        z, info = anila.sample(energy, z0.shape[0], sampler=sampler, adjusted=adjusted, steps=1, step_size=eta,
                               threshold=b, init=z, seed=seed * 100_003 + k, return_info=True)
        traj.append(z)
        acc.append(info.get("accept", 1.0))
        if not np.isfinite(z).all():  # diverged: the run fails
            return np.full((steps,) + z0.shape, np.nan), float("nan")
    return np.array(traj), float(np.mean(acc))


#: Each sampling run: this many chains, started from the target, for this many steps.
SAMPLING_CHAINS, SAMPLING_STEPS = 16, 2000


def _score(traj, cov) -> dict:
    """ESS per gradient evaluation (the smaller coordinate's), split R̂ (the larger) and the
    largest relative error of the sampled variances of a (steps, chains, 2) trajectory; NaN
    for a run that diverged."""
    if not np.isfinite(traj).all():
        return dict(ess_per_grad=float("nan"), rhat=float("nan"), cov_err=float("nan"))
    d = traj.transpose(1, 0, 2)  # chains, steps, 2
    S = np.cov(traj.reshape(-1, 2).T)
    return dict(ess_per_grad=min(metrics.ess(d[:, :, i]) for i in range(2)) / traj.shape[0] / traj.shape[1],
                rhat=max(metrics.split_rhat(d[:, :, i]) for i in range(2)),
                cov_err=float(np.abs(np.diag(S) / np.diag(cov) - 1).max()))


def _passes(r):
    """A sampling run counts when it stayed finite, mixed (split R̂ < 1.1) and its variances
    are within 20% of the truth or three Monte Carlo standard errors (√(2/ESS))."""
    return (np.isfinite(r["ess_per_grad"]) and r["rhat"] < 1.1
            and r["cov_err"] < max(0.2, 3 * np.sqrt(2 / max(r["ess_per_grad"] * SAMPLING_STEPS * SAMPLING_CHAINS, 1))))


def _best(rows, tgt, smp, adj):
    ok = [r for r in rows if r["target"] == tgt and r["sampler"] == smp and r["adjusted"] == adj and _passes(r)]
    return max(ok, key=lambda q: q["ess_per_grad"]) if ok else None


def section_sampling_seeds(args):
    """The best setting of each sampler per target (chosen on seed 1 by `sampling`), run
    again from other chain seeds: ESS per gradient and variance error over the seeds."""
    with open(os.path.join(RESULTS, "sampling.json")) as f:
        grid = json.load(f)
    rows = []
    for name, energy, cov in targets():
        for sampler in SAMPLERS:
            for adjusted in (False, True):
                best = _best(grid, name, sampler, adjusted)
                if best is None:
                    continue
                for seed in args.seeds:
                    z0 = np.random.default_rng(seed).multivariate_normal(np.zeros(2), cov, size=SAMPLING_CHAINS)
                    traj, acc = chains_of(energy, sampler, adjusted, best["step_size"], best["threshold"], z0,
                                          SAMPLING_STEPS, seed)
                    rows.append(dict(target=name, sampler=sampler, adjusted=adjusted, seed=seed,
                                     step_size=best["step_size"], threshold=best["threshold"], accept=acc,
                                     **_score(traj, cov)))
        print(f"sampling over seeds: {name} done", flush=True)
    return rows


def section_sampling(args):
    rows = []
    for name, energy, cov in targets():
        kappa = np.linalg.cond(cov)
        z0 = np.random.default_rng(0).multivariate_normal(np.zeros(2), cov, size=SAMPLING_CHAINS)
        etas = sorted({float(v) for v in (0.3 / kappa, 1 / kappa, 1.9 / kappa, 0.01, 0.05, 0.2, 0.5, 1.0)})
        for sampler in SAMPLERS:
            for adjusted in (False, True):
                for b in ((1.0,) if sampler == "sgld" else (0.3, 1.0, 3.0, 10.0)):
                    for eta in etas:
                        traj, acc = chains_of(energy, sampler, adjusted, eta, b, z0, SAMPLING_STEPS, 1)
                        rows.append(dict(target=name, sampler=sampler, adjusted=adjusted, step_size=eta, threshold=b,
                                         accept=acc, **_score(traj, cov)))
        print(f"sampling {name} done", flush=True)
    return rows


# --- images -----------------------------------------------------------------------------------

def section_images(args, variants=(("anila", {}), ("sgld", {})), figures=True):
    """Fashion-MNIST: train each (sampler, params) variant per seed with the image defaults;
    FID of replay-buffer samples and of noise + 80 steps to 2,000 test images."""
    X = anila.datasets.fashion_mnist("train")
    test = anila.datasets.fashion_mnist("test")
    net = metrics.feature_net(progress=False)
    ref = test[:2000]
    rows = []
    for seed in args.seeds:
        for sampler, params in variants:
            t0 = time.perf_counter()
            m = anila.train(X, energy="convnet", sampler=sampler, iterations=args.image_iterations,
                            buffer_size=2000, seed=seed, progress=False, **params)
            secs = time.perf_counter() - t0
            Zb = m.sample(1000, init="buffer", steps=0, seed=seed)
            Zn = m.sample(1000, init="noise", steps=80, seed=seed)
            r = dict(sampler=sampler, seed=seed, iterations=args.image_iterations, seconds=secs,
                     fid_buffer=metrics.fid(Zb, ref, net), fid_noise=metrics.fid(Zn, ref, net),
                     clipped=float(np.nanmean(m.history["clipped"][-50:])), params=params)
            rows.append(r)
            if figures and seed == args.seeds[0]:
                anila.plot.grid(Zb[:64], title=f"{sampler} (seed {seed})", path=os.path.join(HERE, f"fashion-{sampler}.png"))
            m.close()
            print(f"images {sampler} seed {seed}: FID buffer {r['fid_buffer']:.1f}, noise+80 {r['fid_noise']:.1f} "
                  f"({secs:.0f} s)", flush=True)
    if not figures:
        return rows
    rows.append(dict(reference=True, fid_test_vs_train=metrics.fid(X[:2000], ref, net),
                     fid_noise_vs_test=metrics.fid(np.random.default_rng(0).uniform(-1, 1, (1000, 28, 28)), ref, net),
                     feature_net_accuracy=net.test_accuracy))
    return rows


ADAPTED_QUANTILE = 0.5


def section_images_adapted(args):
    """Fashion-MNIST with AniLA's b adapted to the median per-pixel |∂f/∂z_i|
    (threshold_quantile = 0.5, so half of the pixels are clipped): compared in the report
    with the `images` section's SGLD runs (same seeds, iterations and settings otherwise)."""
    return section_images(args, variants=(("anila", {"threshold_quantile": ADAPTED_QUANTILE}),), figures=False)


def section_stepsizes(args):
    """What AniLA's γ = η·b/max(b, |g|) looks like: per coordinate on the κ = 100 Gaussian
    at stationarity, and against |g| on samples of a rings model trained with the defaults."""
    out = {}
    cov = np.diag([1.0, 0.01])
    g = anila.energies.Gaussian([0.0, 0.0], cov)
    Z = np.random.default_rng(0).multivariate_normal(np.zeros(2), cov, size=4000)
    eta, b = 0.5, 1.0
    G = g.energy_grad(Z)
    gam = eta * b / np.maximum(b, np.abs(G))
    out["gaussian"] = dict(eta=eta, b=b, gamma_flat=gam[:, 0].tolist(), gamma_steep=gam[:, 1].tolist())
    X = anila.datasets.rings(10_000, seed=1)
    m = anila.train(X, sampler="anila", seed=1, progress=False)
    Zr = m.sample(4000, seed=2)
    Gr = m.energy_grad(Zr)
    p = m.params
    out["rings"] = dict(eta=p["step_size"], b=p["threshold"], grad=np.abs(Gr).ravel().tolist(),
                        gamma=(p["step_size"] * p["threshold"] / np.maximum(p["threshold"], np.abs(Gr))).ravel().tolist(),
                        history_gamma=m.history["gamma_mean"].tolist(), history_clipped=m.history["clipped"].tolist())
    return out


def section_decompose(args):
    """Every toy set, the first seed: the held-out NLL gap to the true density of the net
    trained by exact likelihood (study/exact_ml.py) and of MCMC training with the defaults."""
    import exact_ml

    rows = []
    for name in anila.datasets.TOY_NAMES:
        r = exact_ml.gaps(name, seed=args.seeds[0])
        rows.append(r)
        print(f"decompose {name:12s}: exact ML gap {r['exact_gap']:.3f}, MCMC gap {r['mcmc_gap']:.3f} "
              f"({r['exact_seconds']:.0f} + {r['mcmc_seconds']:.0f} s)", flush=True)
    return rows


SECTIONS = {"toy": section_toy, "decompose": section_decompose, "scale": section_scale,
            "stretched": section_stretched, "ito": section_ito, "sampling": section_sampling,
            "sampling_seeds": section_sampling_seeds, "sweep": section_sweep, "stepsizes": section_stepsizes,
            "images": section_images, "images_adapted": section_images_adapted}


# --- report -----------------------------------------------------------------------------------

def ms(v, digits=3):
    """mean ± sd (ddof 1) of the finite values of v."""
    v = np.asarray([x for x in v if x is not None and np.isfinite(x)], dtype=float)
    if len(v) == 0:
        return "–"
    return f"{v.mean():.{digits}f} ± {v.std(ddof=1) if len(v) > 1 else 0:.{digits}f}"


def report():
    res = {}
    for s in SECTIONS:
        p = os.path.join(RESULTS, f"{s}.json")
        if os.path.exists(p):
            with open(p) as f:
                res[s] = json.load(f)
    lines = ["# AniLA vs SGLD: what we measured", "",
             "Made by `study/run.py` (`make study`); mean ± sd over seeds. Lower is better everywhere "
             "except ESS.", ""]
    if "toy" in res:
        rows = res["toy"]
        for r in rows:
            if r.get("kl") is None:
                r["kl"] = true_kl(r["set"], r["seed"], r["nll"])
        p0 = anila.model_defaults()
        lines += [f"## Toy data (library defaults: {'×'.join(str(h) for h in p0['hidden'])} {p0['activation']} MLP, "
                  f"K = {p0['steps']}, {p0['iterations']:,} iterations, jump={p0['jump']:g}, ema={p0['ema']:g})", "",
                  "Gap = held-out NLL minus the true density's (= KL(true ‖ model), nats); the target is a median "
                  "gap ≤ 0.1 over the seeds.", "",
                  "| data | sampler | median gap | gap | held-out NLL | MMD² (σ=0.2) | sliced W₂ | clipped by b | s per model | seeds |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        for name in dict.fromkeys(r["set"] for r in rows):
            for smp in SAMPLERS:
                rr = [r for r in rows if r["set"] == name and r["sampler"] == smp]
                med = float(np.median([r["kl"] for r in rr]))
                lines.append(f"| {name} | {smp} | {med:.3f}{' ✓' if med <= 0.1 else ''} | {ms([r['kl'] for r in rr])} | "
                             f"{ms([r['nll'] for r in rr])} | {ms([r['mmd'] for r in rr], 5)} | {ms([r['swd'] for r in rr])} | "
                             f"{ms([r['clipped'] for r in rr])} | {np.mean([r['seconds'] for r in rr]):.0f} | {len(rr)} |")
        lines += ["", "Which sampler wins (gap; MMD²; Welch's |t| over the seeds, a winner needs |t| ≥ 2):", ""]
        for name in dict.fromkeys(r["set"] for r in rows):
            a = [r for r in rows if r["set"] == name and r["sampler"] == "anila"]
            g = [r for r in rows if r["set"] == name and r["sampler"] == "sgld"]
            lines.append(f"- {name}: gap {_verdict([r['kl'] for r in a], [r['kl'] for r in g])}; "
                         f"MMD² {_verdict([r['mmd'] for r in a], [r['mmd'] for r in g])}")
        lines += ["", "Held-out NLL uses the model density normalised by quadrature on a 400² grid over "
                  "[−4.5, 4.5]²; the true density is `anila.datasets.log_density`, on the same 2,000 held-out "
                  "points. Seconds are wall time on the machine that ran the study. Figure: `toy.png`.", ""]
        _toy_figure(rows)
    if "decompose" in res:
        rows = res["decompose"]
        lines += ["## Where the toy-data gap comes from", "",
                  "Held-out NLL above the true density's (nats; 2,000 held-out points, seed "
                  f"{rows[0]['seed']}): the library's default net trained by exact maximum likelihood "
                  "(log Z by the midpoint rule on a 100² grid over [−4.5, 4.5]², shifted at random each step; "
                  "Adam 3e-3 with cosine decay, 1,500 steps of batch 512, float64; `study/exact_ml.py`) shows "
                  "what the net can represent; MCMC training with the library's defaults pays the rest.", "",
                  "| data | true NLL | gap, exact ML | gap, MCMC training | MCMC's own share |",
                  "|---|---|---|---|---|"]
        for r in rows:
            lines.append(f"| {r['name']} | {r['true_nll']:.3f} | {r['exact_gap']:.3f} | {r['mcmc_gap']:.3f} | "
                         f"{r['mcmc_gap'] - r['exact_gap']:+.3f} |")
        lines.append("")
    if "scale" in res:
        rows = res["scale"]
        lines += ["## The data's scale (defaults, seed " f"{rows[0]['seed']}; gap in nats)", "",
                  "| data | ×0.01 | ×1 | ×100 |", "|---|---|---|---|"]
        for name in dict.fromkeys(r["set"] for r in rows):
            cells = [f"{r['kl']:.3f}" for r in rows if r["set"] == name]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        lines.append("")
        toy = [r for r in res.get("toy", []) if r["sampler"] == "anila" and r["stretch"] == [1.0, 1.0]]
        spread = [(name, [r["kl"] for r in toy if r["set"] == name]) for name in dict.fromkeys(r["set"] for r in rows)]
        if all(k for _, k in spread):
            lines += ["The three scales run the same arithmetic up to float32 rounding (`test_scale.py` checks the "
                      "energies to 1e-6 on a short float64 run); over a whole run training amplifies the rounding "
                      "into a different trajectory, so compare a difference across scales with the spread over "
                      "seeds at ×1 (toy section, AniLA): " +
                      "; ".join(f"{name} {min(k):.3f} to {max(k):.3f}" for name, k in spread) + ".", ""]
    if "stretched" in res:
        rows = res["stretched"]
        lines += ["## Anisotropic data: rings stretched 1:100 (second coordinate × 0.01)", "",
                  "Each sampler's step size η₀ (per unit of the data's scale, s² times it in data units) chosen "
                  "on the first seed from " + ", ".join(f"{e:g}" for e in STRETCH_ETAS) + "; AniLA adapts b to "
                  "the median of |∂f/∂z_i| over the chains (threshold_quantile=0.5). Everything else the defaults.", "",
                  "| data | sampler | η₀ | gap | MMD² | clipped by b | jump acceptance | seeds |", "|---|---|---|---|---|---|---|---|"]
        for name in dict.fromkeys(r["set"] for r in rows):
            for smp in SAMPLERS:
                rr = [r for r in rows if r["set"] == name and r["sampler"] == smp and not r["grid"]]
                eta = rr[0]["params"]["step_size"] / _scale2_of(name)
                lines.append(f"| {name} | {smp} | {eta:.0e} | {ms([r['kl'] for r in rr])} | {ms([r['mmd'] for r in rr], 5)} | "
                             f"{ms([r['clipped'] for r in rr])} | {ms([r['jump_accept'] for r in rr])} | {len(rr)} |")
        lines += ["", "Grid (first seed, gap): " + "; ".join(
            f"{r['set']} {r['sampler']} η₀={r['params']['step_size'] / _scale2_of(r['set']):.0e}: {r['kl']:.3f}"
            for r in rows if r["grid"]), "", "Which sampler wins (gap; Welch's |t| ≥ 2):", ""]
        for name in dict.fromkeys(r["set"] for r in rows):
            a = [r["kl"] for r in rows if r["set"] == name and r["sampler"] == "anila" and not r["grid"]]
            g = [r["kl"] for r in rows if r["set"] == name and r["sampler"] == "sgld" and not r["grid"]]
            am = [r["mmd"] for r in rows if r["set"] == name and r["sampler"] == "anila" and not r["grid"]]
            gm = [r["mmd"] for r in rows if r["set"] == name and r["sampler"] == "sgld" and not r["grid"]]
            lines.append(f"- {name} stretched: gap {_verdict(a, g)}; MMD² {_verdict(am, gm)}")
        lines.append("")
    if "ito" in res:
        rows = [r for r in res["ito"] if not r.get("cost")]
        cost = [r for r in res["ito"] if r.get("cost")]
        lines += ["## The Itô correction for AniLA's state-dependent step (`study/ito.py`)", "",
                  "Unadjusted AniLA on N(0, diag(1, 1/κ)), η = 0.05/κ, 4,000 chains started from the target, "
                  "20,000 steps; sampled variance over the true one (second half of the run; ± Monte Carlo "
                  "standard error). Without the drift ½∂γᵢ/∂zᵢ the chains pile up where steps are small.", "",
                  "| κ | b | clipped | steep variance ratio, uncorrected | corrected | flat ratio, uncorrected | corrected |",
                  "|---|---|---|---|---|---|---|"]
        for kappa in dict.fromkeys(r["kappa"] for r in rows):
            for bf in dict.fromkeys(r["b_factor"] for r in rows):
                u = [r for r in rows if r["kappa"] == kappa and r["b_factor"] == bf and not r["ito"]][0]
                c = [r for r in rows if r["kappa"] == kappa and r["b_factor"] == bf and r["ito"]][0]
                lines.append(f"| {kappa} | {u['b']:.3g} | {u['clipped']:.2f} | {u['var_ratio'][1]:.3f} ± {u['se'][1]:.3f} | "
                             f"{c['var_ratio'][1]:.3f} ± {c['se'][1]:.3f} | {u['var_ratio'][0]:.3f} ± {u['se'][0]:.3f} | "
                             f"{c['var_ratio'][0]:.3f} ± {c['se'][0]:.3f} |")
        if cost:
            c = cost[0]
            lines += ["", f"Cost: on the analytic Gaussians the Hessian diagonal is free. For a net it is not: on a "
                      f"trained 2-D rings model (128 points), one ∇f takes {c['grad_seconds'] * 1e3:.2f} ms and the "
                      f"diagonal by central differences of ∇f (2d = {2 * c['dim']} more gradients) "
                      f"{c['hessian_seconds'] * 1e3:.2f} ms, {c['hessian_seconds'] / c['grad_seconds']:.1f}x a step's "
                      "gradient; it grows with the dimension d."]
        lines.append("")
    if "sampling" in res:
        rows = res["sampling"]
        lines += [f"## Samplers alone on analytic targets ({SAMPLING_CHAINS} chains × {SAMPLING_STEPS:,} steps "
                  "from the target)", "",
                  "Best ESS per gradient evaluation (the smaller of the two coordinates') over the step-size "
                  "grid η ∈ {0.3/κ, 1/κ, 1.9/κ, 0.01, 0.05, 0.2, 0.5, 1} (and b ∈ {0.3, 1, 3, 10} for AniLA), "
                  "among runs that stayed finite, with split R̂ < 1.1 and sampled variances within 20% of the "
                  "truth or within three Monte Carlo standard errors (√(2/ESS)): a biased sampler does not "
                  "win by mixing fast to the wrong distribution. 'none passed' means no setting on the grid "
                  "met all three.", "",
                  "| target | sampler | adjusted | ESS / gradient | η | b | R̂ | variance error | acceptance |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for tgt in dict.fromkeys(r["target"] for r in rows):
            for smp in SAMPLERS:
                for adj in (False, True):
                    r = _best(rows, tgt, smp, adj)
                    if r is None:
                        lines.append(f"| {tgt} | {smp} | {adj} | none passed | | | | | |")
                        continue
                    lines.append(f"| {tgt} | {smp} | {adj} | {r['ess_per_grad']:.4f} | {r['step_size']:.4g} | "
                                 f"{r['threshold'] if smp == 'anila' else '–'} | {r['rhat']:.3f} | {r['cov_err']:.3f} | "
                                 f"{r['accept']:.2f} |")
        lines.append("")
    if "sampling_seeds" in res:
        rows = res["sampling_seeds"]
        lines += ["Those settings again, over chain seeds " + ", ".join(str(x) for x in sorted({r["seed"] for r in rows}))
                  + " (mean ± sd):", "",
                  "| target | sampler | adjusted | ESS / gradient | variance error | runs with R̂ < 1.1 |",
                  "|---|---|---|---|---|---|"]
        keys = list(dict.fromkeys((r["target"], r["sampler"], r["adjusted"]) for r in rows))
        for tgt, smp, adj in keys:
            rr = [r for r in rows if (r["target"], r["sampler"], r["adjusted"]) == (tgt, smp, adj)]
            lines.append(f"| {tgt} | {smp} | {adj} | {ms([r['ess_per_grad'] for r in rr], 4)} | "
                         f"{ms([r['cov_err'] for r in rr])} | {sum(r['rhat'] < 1.1 for r in rr)}/{len(rr)} |")
        lines.append("")
    if "stepsizes" in res:
        st = res["stepsizes"]
        ga, rg = st["gaussian"], st["rings"]
        clip = float(np.mean(np.array(rg["grad"]) > rg["b"]))
        lines += ["## What the anisotropy does to the step sizes", "",
                  f"On N(0, diag(1, 0.01)) at η = {ga['eta']}, b = {ga['b']}: the flat coordinate keeps γ = "
                  f"{np.median(ga['gamma_flat']):.3f} (median) while the steep one gets {np.median(ga['gamma_steep']):.3f}. "
                  f"On rings with the defaults (η = {rg['eta']:.4g}, b = {rg['b']:.4g} in the data's units), "
                  f"{clip:.1%} of the coordinates of model samples have |g| > b, so "
                  + ("AniLA is nearly SGLD there. " if clip < 0.1 else "AniLA's step is cut on that share of the coordinates. ")
                  + "Figure: `stepsizes.png`.", ""]
        _stepsize_figure(st)
    if "sweep" in res:
        rows = res["sweep"]
        ss = sorted({r["seed"] for r in rows})
        seeds = ("seed " if len(ss) == 1 else "seeds ") + ", ".join(str(v) for v in ss)
        etas = sorted({r["eta0"] for r in rows})
        bs = sorted({r["b0"] for r in rows})
        lines += ["## AniLA's sensitivity to b and η (rings, the defaults otherwise; gap to the true density in nats, "
                  f"mean over {seeds}; fraction clipped)", "",
                  "η₀ and b₀ in the standardised units of the defaults (η₀ = 0.005, b₀ = 10; in the data's units "
                  "η₀·s² and b₀/s, s the data's scale).", "",
                  "| η \\ b | " + " | ".join(f"{b:g}" for b in bs) + " |", "|---" * (len(bs) + 1) + "|"]
        for e in etas:
            cells = []
            for b in bs:
                rr = [r for r in rows if r["eta0"] == e and r["b0"] == b]
                cells.append(f"{np.mean([r['kl'] for r in rr]):.3f} ({np.mean([r['clipped'] for r in rr]):.2f})")
            lines.append(f"| {e:g} | " + " | ".join(cells) + " |")
        lines.append("")
    if "images" in res:
        rows = [r for r in res["images"] if not r.get("reference")]
        ref = [r for r in res["images"] if r.get("reference")]
        its = rows[0]["iterations"] if rows else 0
        lines += [f"## Fashion-MNIST (ConvNet, image defaults, {its} iterations × K = 20 per run)", "",
                  "| sampler | FID, replay buffer | FID, noise + 80 steps | clipped by b | s per run | seeds |",
                  "|---|---|---|---|---|---|"]
        for smp in SAMPLERS:
            rr = [r for r in rows if r["sampler"] == smp]
            lines.append(f"| {smp} | {ms([r['fid_buffer'] for r in rr])} | {ms([r['fid_noise'] for r in rr])} | "
                         f"{ms([r['clipped'] for r in rr])} | {np.mean([r['seconds'] for r in rr]):.0f} | {len(rr)} |")
        a = [r["fid_buffer"] for r in rows if r["sampler"] == "anila"]
        g = [r["fid_buffer"] for r in rows if r["sampler"] == "sgld"]
        lines += ["", f"Which sampler wins (FID of the replay buffer): {_verdict(a, g)}."]
        if "images_adapted" in res:
            ad = [r for r in res["images_adapted"] if not r.get("reference")]
            q = ad[0]["params"]["threshold_quantile"] if ad else ADAPTED_QUANTILE
            lines += ["", f"AniLA with b adapted during training to the {q:g} quantile of the per-pixel |∂f/∂z_i| "
                      f"(threshold_quantile = {q:g}, so about {1 - q:.0%} of the pixels are clipped), the same runs otherwise:",
                      "", "| sampler | FID, replay buffer | FID, noise + 80 steps | clipped by b | s per run | seeds |",
                      "|---|---|---|---|---|---|",
                      f"| anila, adapted b | {ms([r['fid_buffer'] for r in ad])} | {ms([r['fid_noise'] for r in ad])} | "
                      f"{ms([r['clipped'] for r in ad])} | {np.mean([r['seconds'] for r in ad]):.0f} | {len(ad)} |", "",
                      f"Against SGLD above (FID of the replay buffer): {_verdict([r['fid_buffer'] for r in ad], g, 'AniLA (adapted b)')}; "
                      f"noise + 80 steps: {_verdict([r['fid_noise'] for r in ad], [r['fid_noise'] for r in rows if r['sampler'] == 'sgld'], 'AniLA (adapted b)')}."]
        if ref:
            r = ref[0]
            lines += ["", f"FID against 2,000 test images with anila's feature net (test accuracy "
                      f"{r['feature_net_accuracy']:.4f}): 2,000 training images {r['fid_test_vs_train']:.1f}, uniform "
                      f"noise {r['fid_noise_vs_test']:.1f}. Not comparable with Inception FIDs. Sample grids: "
                      "`fashion-anila.png`, `fashion-sgld.png`.", ""]
    with open(os.path.join(HERE, "results.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


def _stepsize_figure(st):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.5))
    ga, rg = st["gaussian"], st["rings"]
    bins = np.linspace(0, ga["eta"] * 1.05, 40)
    axes[0].hist(ga["gamma_flat"], bins=bins, alpha=0.7, label="flat coordinate (var 1)")
    axes[0].hist(ga["gamma_steep"], bins=bins, alpha=0.7, label="steep coordinate (var 0.01)")
    axes[0].set_title("AniLA γ per coordinate, Gaussian κ = 100")
    axes[0].legend(fontsize=8)
    axes[1].scatter(rg["grad"][:4000], rg["gamma"][:4000], s=2)
    axes[1].set_xscale("log")
    axes[1].axvline(rg["b"], color="k", lw=0.8, ls="--")
    axes[1].set_xlabel("|∂f/∂z_i|")
    axes[1].set_title("γ against |g| on rings model samples")
    axes[2].plot(rg["history_clipped"], lw=0.8)
    axes[2].set_xlabel("iteration")
    axes[2].set_title("fraction clipped by b while training on rings")
    fig.tight_layout()
    fig.savefig(os.path.join(HERE, "stepsizes.png"), dpi=110)


def _verdict(a, s, name="AniLA", other="SGLD", lower_better=True):
    """Which of two lists of per-seed values is better, and whether by more than the seeds'
    spread (Welch's t above 2)."""
    a, s = np.asarray(a, float), np.asarray(s, float)
    if len(a) < 2 or len(s) < 2:
        return "too few seeds"
    diff = a.mean() - s.mean()
    se = np.sqrt(a.var(ddof=1) / len(a) + s.var(ddof=1) / len(s))
    better = name if (diff < 0) == lower_better else other
    if se == 0 or abs(diff) / se < 2:
        return f"no clear winner (difference {abs(diff):.3g}, |t| = {abs(diff) / se if se else 0:.1f})"
    return f"{better} (difference {abs(diff):.3g}, |t| = {abs(diff) / se:.1f})"


def _toy_figure(rows):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    sets = list(dict.fromkeys(r["set"] for r in rows))
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
    for ax, key, title in ((axes[0], "nll", "held-out NLL"), (axes[1], "mmd", "MMD² (σ = 0.2)")):
        for j, smp in enumerate(SAMPLERS):
            for i, s in enumerate(sets):
                v = [r[key] for r in rows if r["set"] == s and r["sampler"] == smp]
                ax.scatter(np.full(len(v), i + (j - 0.5) * 0.25), v, color=f"C{j}", s=14,
                           label=smp if i == 0 else None)
        ax.set_xticks(range(len(sets)), sets)
        ax.set_title(title)
    axes[0].legend()
    fig.tight_layout()
    fig.savefig(os.path.join(HERE, "toy.png"), dpi=110)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sections", default="toy,decompose,scale,stretched,ito,sampling,sampling_seeds,sweep,stepsizes,"
                    "images,images_adapted")
    ap.add_argument("--seeds", default="1,2,3,4,5")
    ap.add_argument("--image-iterations", type=int, default=300)
    ap.add_argument("--report-only", action="store_true")
    args = ap.parse_args()
    args.seeds = [int(s) for s in args.seeds.split(",")]
    os.makedirs(RESULTS, exist_ok=True)
    if not args.report_only:
        for s in args.sections.split(","):
            rows = SECTIONS[s](args)
            with open(os.path.join(RESULTS, f"{s}.json"), "w") as f:
                json.dump(rows, f, indent=1)
    report()


if __name__ == "__main__":
    main()
