"""log Z by annealed importance sampling, measured (`make study` runs it after run.py; it
writes its section of study/results.md between its markers, and study/results/likelihood.json):

1. the issue's analytic target: a Gaussian in d = 784 with condition number 100, along the
   coordinate axes and along rotated ones, AIS's base (diagonal) fitted to 2,000 of its draws
   (it is not told the mean or covariance), reverse AIS from exact draws; error, bracket
   width and seconds;
2. every toy set: a model trained with the defaults, AIS (reverse from HMC samples) against
   quadrature on a fine grid, for AniLA and SGLD;
3. Fashion-MNIST ConvNets trained with AniLA and SGLD (the study's image settings): bits per
   dimension of 1,000 dequantised test images, with the bracket;
4. ebmkit 0.16's ais_log_z / reverse_ais_log_z on the same models (the rings MLP and the AniLA
   ConvNet, anila's weights in a torch module), the same base, start points and budget:
   bracket and seconds, both sides in one run.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time
import warnings

import numpy as np

import anila

HERE = os.path.dirname(os.path.abspath(__file__))
TOYS = ("rings", "8gaussians", "25gaussians", "2spirals", "checkerboard", "pinwheel", "moons")
BIN = 2 / 255  # Fashion-MNIST in [-1, 1]: 8-bit levels 2/255 apart


def gaussian_784(rotated: bool, seed=0):
    """N(mean, Σ) in d = 784 with eigenvalues from 0.1 to 10 (condition number 100), along
    random axes (rotated) or the coordinate axes, and 2,000 exact draws of it."""
    d, kappa = 784, 100.0
    rng = np.random.default_rng(seed)
    ev = np.geomspace(1.0, kappa, d) / math.sqrt(kappa)
    mean = rng.standard_normal(d)
    if rotated:
        q, _ = np.linalg.qr(rng.standard_normal((d, d)))
        cov = (q * ev) @ q.T
        cov = (cov + cov.T) / 2
        draws = mean + rng.standard_normal((2000, d)) @ np.linalg.cholesky(cov).T
    else:
        cov = np.diag(ev)
        draws = mean + rng.standard_normal((2000, d)) * np.sqrt(ev)
    return anila.energies.Gaussian(mean, cov), draws


def section_gaussian(args):
    rows = []
    for rotated in (False, True):
        g, draws = gaussian_784(rotated)
        for dist in args.gaussian_distributions:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", anila.metrics.WideBracketWarning)
                lp = anila.metrics.log_partition(g, base=draws, reverse=draws[:args.chains], distributions=dist,
                                                 chains=args.chains, seed=1)
            lo, hi = lp.bracket
            rows.append(dict(axes="rotated" if rotated else "coordinate", distributions=dist, chains=args.chains,
                             lower=lp.lower, upper=lp.upper, bracket=[lo, hi], error=lp.log_z, width=lp.width,
                             seconds=lp.seconds, lower_ess=lp.lower_ess, upper_ess=lp.upper_ess))
            print(f"gaussian d=784 ({rows[-1]['axes']} axes): K={dist}: {lp} ({lp.seconds:.1f} s)", flush=True)
    return rows


def _toy_model(name, sampler, iterations, seed=0):
    X = anila.datasets.toy(name, 20_000, seed=seed)
    m = anila.train(X, sampler=sampler, iterations=iterations, seed=seed, progress=False)
    lo, hi = X.min(axis=0), X.max(axis=0)
    w = hi - lo
    lim = ((lo[0] - 0.5 * w[0], hi[0] + 0.5 * w[0]), (lo[1] - 0.5 * w[1], hi[1] + 0.5 * w[1]))
    return m, X, lim


def section_toys(args):
    rows = []
    for name in TOYS:
        for sampler in ("anila", "sgld"):
            m, X, lim = _toy_model(name, sampler, args.toy_iterations)
            grid = anila.metrics.log_normaliser(m, lim, resolution=1000)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", anila.metrics.WideBracketWarning)
                lp = anila.metrics.log_partition(m, distributions=500, chains=128, transition="mala", steps=2, seed=0)
            held = anila.datasets.toy(name, 5000, seed=99)
            rows.append(dict(toy=name, sampler=sampler, grid=grid, lower=lp.lower, upper=lp.upper, log_z=lp.log_z,
                             error=lp.log_z - grid, width=lp.width, seconds=lp.seconds,
                             nll_grid=float(-(m.energy(held).astype(float) - grid).mean()),
                             nll_ais=float(-m.log_likelihood(held, log_z=lp).mean())))
            r = rows[-1]
            print(f"{name} {sampler}: grid {grid:.4f}, AIS [{lp.lower:.4f}, {lp.upper:.4f}] error {r['error']:+.4f} "
                  f"({lp.seconds:.1f} s)", flush=True)
            m.close()
    return rows


def _fashion_models(args):
    X = anila.datasets.fashion_mnist("train")
    out = {}
    for sampler in ("anila", "sgld"):
        t0 = time.perf_counter()
        m = anila.train(X, energy="convnet", sampler=sampler, iterations=args.image_iterations, buffer_size=2000,
                        seed=1, progress=False)
        print(f"fashion {sampler}: trained {args.image_iterations} iterations in {time.perf_counter() - t0:.0f} s",
              flush=True)
        out[sampler] = m
    return out


def _fashion_figures(m, sampler, test):
    """The diagnostics of a Fashion-MNIST model: energy histograms of test images, samples
    and noise, with the training curves; and 4 pixels' chains (study/likelihood-*.png)."""
    import matplotlib

    matplotlib.use("Agg")
    S = m.sample(500, init="buffer", steps=100, seed=0)
    noise = np.random.default_rng(0).uniform(-1, 1, size=(500,) + test.shape[1:]).astype(np.float32)
    anila.plot.energy_histogram(m, {"test images": test[:500], "samples (buffer + 100 steps)": S, "uniform noise": noise},
                                path=os.path.join(HERE, f"likelihood-energies-{sampler}.png"),
                                title=f"Fashion-MNIST ConvNet ({sampler}): energies")
    anila.plot.history(m, path=os.path.join(HERE, f"likelihood-history-{sampler}.png"))
    T = m.sample(8, init="buffer", steps=400, trace=True, seed=1)
    anila.plot.chains(T, coords=[14 * 28 + 14, 10 * 28 + 14, 20 * 28 + 8], names=["pixel (14, 14)", "pixel (10, 14)",
                      "pixel (20, 8)"], path=os.path.join(HERE, f"likelihood-chains-{sampler}.png"))


def section_fashion(args, models):
    test = anila.datasets.fashion_mnist("test")[:1000]
    deq = (test + np.random.default_rng(0).uniform(0, BIN, size=test.shape)).astype(np.float32)
    rows = []
    for sampler, m in models.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", anila.metrics.WideBracketWarning)
            lp = anila.metrics.log_partition(m, distributions=args.image_distributions, chains=args.chains,
                                             reverse_steps=200, seed=0)
        f = m.energy(deq).astype(np.float64)
        r = dict(sampler=sampler, iterations=m.iteration, lower=lp.lower, upper=lp.upper, width=lp.width,
                 lower_se=lp.lower_se, upper_se=lp.upper_se, distributions=lp.distributions, chains=lp.chains,
                 seconds=lp.seconds, lower_ess=lp.lower_ess, upper_ess=lp.upper_ess,
                 bracket=list(lp.bracket),
                 bpd_from_upper=anila.metrics.bits_per_dim(f - lp.bracket[1], 784, BIN),
                 bpd_from_lower=anila.metrics.bits_per_dim(f - lp.bracket[0], 784, BIN))
        rows.append(r)
        _fashion_figures(m, sampler, test)
        print(f"fashion {sampler}: {lp}, bits/dim [{r['bpd_from_upper']:.3f}, "
              f"{r['bpd_from_lower']:.3f}] ({lp.seconds:.0f} s)", flush=True)
    return rows


def _ebmkit_bracket(model, lp, distributions, chains, leapfrog, starts, seed):
    """ebmkit's forward and reverse AIS on a torch copy of model, with anila's base and starts."""
    import torch
    import ebm
    from ebm.samplers.hmc import HMC

    torch.manual_seed(seed)
    net = model.to_torch().double().eval()
    shape = tuple(getattr(model, "image_shape", None) or (model.dim,))

    def energy(x):  # ebmkit's E is anila's −f
        return -net(x.reshape(x.shape[0], *shape)).reshape(-1)

    mean = torch.as_tensor(lp.base_mean).reshape(shape)
    std = torch.as_tensor(lp.base_std).reshape(shape)
    base = torch.distributions.Independent(torch.distributions.Normal(mean, std), len(shape))
    sampler = HMC(step_size=0.1, leapfrog_steps=leapfrog, steps=1)
    t0 = time.perf_counter()
    fwd = ebm.ais_log_z(energy, shape, base=base, n_temps=distributions, n_chains=chains, transitions=1,
                        sampler=sampler)
    t1 = time.perf_counter()
    x0 = torch.as_tensor(np.asarray(starts, dtype=np.float64)).reshape(chains, *shape)
    rev = ebm.reverse_ais_log_z(energy, x0, base=base, n_temps=distributions, transitions=1, sampler=sampler)
    t2 = time.perf_counter()
    lo, hi = fwd.log_z - 2 * fwd.stderr, rev.log_z + 2 * rev.stderr
    return dict(lower=fwd.log_z, upper=rev.log_z, lower_se=fwd.stderr, upper_se=rev.stderr, bracket=[lo, hi],
                width=hi - lo, seconds_forward=t1 - t0,
                seconds_reverse=t2 - t1, seconds=t2 - t0, lower_ess=fwd.ess, upper_ess=rev.ess)


def section_ebmkit(args, models):
    """Both sides on the same models: anila's log_partition (reverse from given start points:
    HMC samples drawn once, shared) against ebmkit's, with the same base, distributions,
    chains and HMC transitions (10 leapfrog steps; anila steers its step size toward 0.8,
    ebmkit by its ×1.1/×0.9 rule)."""
    import torch

    torch.set_num_threads(anila.get_num_threads())
    rows = []
    rings, _, lim = _toy_model("rings", "anila", args.toy_iterations)
    cases = [("rings (2-D MLP)", rings, anila.metrics.log_normaliser(rings, lim, resolution=1000), 500, 128)]
    cases += [(f"Fashion-MNIST ConvNet ({s})", m, None, args.image_distributions, args.chains)
              for s, m in models.items() if s == "anila"]
    for name, m, truth, dist, chains in cases:
        starts = m.sample(chains, steps=1000, init="data" if m.image_shape is None else "buffer", sampler="hmc",
                          leapfrog=10, seed=5)
        starts = np.asarray(starts, dtype=np.float64).reshape(chains, -1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", anila.metrics.WideBracketWarning)
            lp = anila.metrics.log_partition(m, reverse=starts, distributions=dist, chains=chains, leapfrog=10, seed=0)
        ours = dict(side="anila", lower=lp.lower, upper=lp.upper, lower_se=lp.lower_se, upper_se=lp.upper_se,
                    bracket=list(lp.bracket), width=lp.width, seconds=lp.seconds,
                    lower_ess=lp.lower_ess, upper_ess=lp.upper_ess)
        theirs = dict(side="ebmkit", **_ebmkit_bracket(m, lp, dist, chains, 10, starts, 0))
        sides = [ours, theirs]
        if truth is not None:  # the small model: anila again with ebmkit's time, as more distributions
            k = max(1, round(theirs["seconds"] / ours["seconds"]))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", anila.metrics.WideBracketWarning)
                lp5 = anila.metrics.log_partition(m, reverse=starts, distributions=k * dist, chains=chains, leapfrog=10,
                                                  seed=0)
            sides.append(dict(side=f"anila, {k}× distributions (ebmkit's time)", lower=lp5.lower, upper=lp5.upper,
                              lower_se=lp5.lower_se, upper_se=lp5.upper_se, bracket=list(lp5.bracket),
                              width=lp5.width, seconds=lp5.seconds, lower_ess=lp5.lower_ess, upper_ess=lp5.upper_ess,
                              distributions_run=k * dist))
        for r in sides:
            r.update(model=name, distributions=r.pop("distributions_run", dist), chains=chains, truth=truth)
            rows.append(r)
            print(f"{name} {r['side']}: forward {r['lower']:.3f}, reverse {r['upper']:.3f}, bracket width {r['width']:.3f} "
                  f"({r['seconds']:.1f} s)", flush=True)
    return rows


def report(res):
    L = ["<!-- likelihood.py: begin -->", "", "## Likelihood: log Z by AIS (study/likelihood.py)", ""]
    L += [f"anila {anila.__version__}, {anila.blas()}, {anila.get_num_threads()} threads. One run, "
          f"{time.strftime('%Y-%m-%d')}.", ""]
    if "gaussian" in res:
        L += ["### Analytic Gaussian, d = 784, condition number 100", "",
              "Eigenvalues 0.1 to 10, along the coordinate axes or random rotated ones. Base: a diagonal Gaussian "
              "fitted to 2,000 draws; reverse from exact draws; HMC, 10 leapfrog steps, one transition per "
              f"distribution, {res['gaussian'][0]['chains']} chains. True log Z = 0. Bracket: forward − 2 s.e. to "
              "reverse + 2 s.e.", "",
              "| axes | distributions | forward | reverse | bracket | width | midpoint error | ESS fwd / rev | seconds |",
              "|---|---|---|---|---|---|---|---|---|"]
        for r in res["gaussian"]:
            L.append(f"| {r['axes']} | {r['distributions']} | {r['lower']:.3f} | {r['upper']:.3f} | "
                     f"[{r['bracket'][0]:.3f}, {r['bracket'][1]:.3f}] | {r['width']:.3f} | {r['error']:+.3f} | "
                     f"{r['lower_ess']:.0f} / {r['upper_ess']:.0f} | {r['seconds']:.1f} |")
        L.append("")
    if "toys" in res:
        L += ["### Toy sets: AIS against quadrature", "",
              "Models trained with the defaults; AIS: base fitted to the training data, MALA (2 steps per "
              "distribution), 500 distributions, 128 chains, reverse from HMC samples (approximate). Grid: the "
              "midpoint rule on 1000² points over the data's range widened by half its width.", "",
              "| toy | sampler | log Z (grid) | AIS lower | AIS upper | midpoint − grid | held-out NLL (grid) | "
              "held-out NLL (AIS) | seconds |", "|---|---|---|---|---|---|---|---|---|"]
        for r in res["toys"]:
            L.append(f"| {r['toy']} | {r['sampler']} | {r['grid']:.4f} | {r['lower']:.4f} | {r['upper']:.4f} | "
                     f"{r['error']:+.4f} | {r['nll_grid']:.4f} | {r['nll_ais']:.4f} | {r['seconds']:.1f} |")
        L.append("")
    if "fashion" in res:
        L += ["### Fashion-MNIST: bits per dimension", "",
              "ConvNets trained with the image defaults; 1,000 test images dequantised uniformly (bins 2/255 wide "
              "in [-1, 1]). AIS: base fitted to the training data, HMC (10 leapfrog steps), "
              f"{res['fashion'][0].get('distributions', '')} distributions, {res['fashion'][0].get('chains', '')} "
              "chains; reverse from HMC samples (200 steps after a warm-up, from base draws). Forward − 2 s.e. is a "
              "lower bound on log Z, so a lower bound on bits/dim. Where the reverse estimate lies below the forward "
              "one, its start points were not draws of the model, and there is no upper end.", "",
              "| sampler | iterations | log Z forward | log Z reverse | bracket | bits/dim | seconds |",
              "|---|---|---|---|---|---|---|"]
        for r in res["fashion"]:
            lo, hi = r["bracket"]
            if hi < lo:
                br, bpd = f"≥ {lo:.1f} (reverse below forward)", f"≥ {r['bpd_from_lower']:.3f}"
            else:
                br, bpd = f"[{lo:.1f}, {hi:.1f}]", f"{r['bpd_from_upper']:.3f} – {r['bpd_from_lower']:.3f}"
            L.append(f"| {r['sampler']} | {r['iterations']} | {r['lower']:.1f} ± {r['lower_se']:.1f} | "
                     f"{r['upper']:.1f} ± {r['upper_se']:.1f} | {br} | {bpd} | {r['seconds']:.0f} |")
        L.append("")
    if "ebmkit" in res:
        L += ["### Against ebmkit 0.16 (same model, base, start points and budget)", "",
              "Both sides: the base anila fitted (diagonal Gaussian), the same reverse start points (anila HMC samples, "
              "1,000 steps), HMC with 10 leapfrog steps and one transition per distribution; anila steers its step "
              "toward acceptance 0.8 and uses the base's variances as the mass, ebmkit its ×1.1/×0.9 rule from 0.1 "
              "with identity mass; anila's sigmoid schedule, ebmkit's linear one (its default). ebmkit in float64 "
              f"on torch with {anila.get_num_threads()} threads.", "",
              "| model | side | distributions | chains | forward | reverse | bracket (±2 s.e.) | width | truth (grid) | seconds |",
              "|---|---|---|---|---|---|---|---|---|---|"]
        for r in res["ebmkit"]:
            t = "" if r["truth"] is None else f"{r['truth']:.4f}"
            lo, hi = r["bracket"]
            br = f"[{lo:.3f}, {hi:.3f}]" if hi >= lo else f"≥ {lo:.3f} (reverse below forward)"
            w = f"{r['width']:.3f}" if hi >= lo else "—"
            L.append(f"| {r['model']} | {r['side']} | {r['distributions']} | {r['chains']} | {r['lower']:.3f} | "
                     f"{r['upper']:.3f} | {br} | {w} | {t} | {r['seconds']:.1f} |")
        L += ["", "Where the reverse estimate lies below the forward one (the ConvNet: its HMC samples are not draws "
              "of the model), only the forward lower bound stands, and the higher of two lower bounds is the "
              "tighter one."]
        L.append("")
    L.append("<!-- likelihood.py: end -->")
    path = os.path.join(HERE, "results.md")
    text = open(path).read() if os.path.exists(path) else ""
    block = "\n".join(L)
    if "<!-- likelihood.py: begin -->" in text:
        a = text.index("<!-- likelihood.py: begin -->")
        b = text.index("<!-- likelihood.py: end -->") + len("<!-- likelihood.py: end -->")
        text = text[:a] + block + text[b:]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    with open(path, "w") as f:
        f.write(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sections", default="gaussian,toys,fashion,ebmkit")
    ap.add_argument("--chains", type=int, default=64)
    ap.add_argument("--gaussian-distributions", type=lambda s: [int(v) for v in s.split(",")], default="100,300,1000")
    ap.add_argument("--toy-iterations", type=int, default=2000)
    ap.add_argument("--image-iterations", type=int, default=300)
    ap.add_argument("--image-distributions", type=int, default=300)
    ap.add_argument("--report-only", action="store_true", help="rewrite the report from results/likelihood.json")
    args = ap.parse_args()
    sections = args.sections.split(",")
    out = os.path.join(HERE, "results", "likelihood.json")
    res = json.load(open(out)) if os.path.exists(out) else {}
    if args.report_only:
        report(res)
        return
    if "gaussian" in sections:
        res["gaussian"] = section_gaussian(args)
    if "toys" in sections:
        res["toys"] = section_toys(args)
    models = _fashion_models(args) if {"fashion", "ebmkit"} & set(sections) else {}
    if "fashion" in sections:
        res["fashion"] = section_fashion(args, models)
    if "ebmkit" in sections:
        res["ebmkit"] = section_ebmkit(args, models)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        json.dump(res, f, indent=1)
    report(res)


if __name__ == "__main__":
    main()
