"""Benchmark anila's samplers side by side with BlackJAX's, both sides in one run.

Three targets, each sampled by both libraries with the same algorithm and settings:
  * gaussian: d = 100, covariance Q diag(λ) Qᵀ with λ geometric from 1 to 100 (κ = 100) and Q a
    random rotation (fixed seed), a random mean; anila.energies.Gaussian against the same log
    density in JAX;
  * banana: Haario's 2-D twisted Gaussian, x₀ ~ N(0, s²), x₁ − b(x₀² − s²) ~ N(0, 1), s = 10,
    b = 0.03; a NumPy function energy vectorised over chains (anila calls back into Python
    once per gradient evaluation) against the same function in JAX;
  * mlp: the energy of an anila MLP (3×128 SiLU on standardised input, float64) trained for
    a few hundred iterations on anila.datasets.rings, its weights copied into a JAX function
    that is checked against Model.energy before anything is timed.
Two algorithms on each:
  * HMC with L = 10 leapfrog steps, a diagonal mass and the step size adapted over the same
    warm-up toward the same acceptance (0.8): anila's warm-up (one step size shared by all
    chains, dual averaging then Robbins–Monro; the mass from the warm-up draws' variances)
    against blackjax.window_adaptation (Stan's windows) run per chain under jax.vmap, then
    blackjax.hmc with each chain's adapted parameters; and, as the exact-kernel control, BlackJAX's
    HMC at anila's adapted step size and inverse mass (a burn-in of the warm-up's length, then
    the kept steps), which separates the kernels from their adaptations;
  * MALA: anila's adjusted SGLD, its step size γ adapted toward 0.574 over the warm-up, then
    BlackJAX's blackjax.mala at the same fixed step (BlackJAX's step_size = γ/2, the same
    proposal x + (γ/2)∇log p + √γ ξ) for a burn-in of the same length and the same kept
    steps, so that the kept steps are the same kernel on both sides.
Both sides run the same number of chains from the same start points, in float64 (JAX with
x64 on the CPU). The start points are draws from the target (exact for the Gaussian and the
banana; for the MLP, points of the data it was trained on): chains started far out in the
tails stay stuck there at the MALA step adapted for the bulk, which BlackJAX's burn-in at a
fixed step cannot undo as anila's warm-up (starting from a small step) does.
ESS is anila.metrics.ess (Stan's multi-chain estimator) of each coordinate's kept draws
(chains × kept steps), the same function on both sides' traces; the table gives its minimum
and median over coordinates. ESS/grad = ESS / (chains × kept steps × gradient
evaluations per step); ESS/s = ESS / wall-clock seconds of warm-up plus kept steps. JAX's
compile time is excluded from ESS/s and reported on its own: the jitted run is compiled ahead
of time (timed), run once with one key, then timed on a second run with another key, whose
draws are the ones measured. Acceptance is the realized rate over the kept steps; the step
size is anila's adapted one and BlackJAX's (the median over chains for HMC) in anila's
units (BlackJAX's MALA step_size × 2).

Writes its section of bench/results.md (between markers, so that a re-run replaces it) and
prints the table. Run with `make bench`, or from bench/:
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=1 ../.venv/bin/python samplers.py
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import numpy as np  # noqa: E402

import anila  # noqa: E402
from machine import cpu_model  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
BEGIN = "<!-- samplers.py: begin -->"
END = "<!-- samplers.py: end -->"

#: HMC's leapfrog steps and target acceptance, on both sides.
LEAPFROG = 10
TARGET_HMC = 0.8
#: The control row's label: BlackJAX's HMC at anila's adapted step size and inverse mass.
FIXED_HMC = "hmc, anila's h and M⁻¹"
#: The banana's scale s and twist b.
BANANA_S, BANANA_B = 10.0, 0.03


def jax_modules():
    """jax, jax.numpy and blackjax, with x64 enabled (so that JAX computes in float64)."""
    import jax

    jax.config.update("jax_enable_x64", True)
    import blackjax
    import jax.numpy as jnp

    return jax, jnp, blackjax


# ---------------------------------------------------------------- targets


def gaussian_target(jnp, d=100, kappa=100.0, seed=0):
    """The d-dimensional Gaussian with condition number kappa: anila's energy and JAX's log density."""
    rng = np.random.default_rng(seed)
    q, r = np.linalg.qr(rng.standard_normal((d, d)))
    q *= np.sign(np.diag(r))  # a Haar-distributed rotation
    lam = np.geomspace(1.0, kappa, d)
    cov = (q * lam) @ q.T
    cov = (cov + cov.T) / 2
    mean = rng.standard_normal(d)
    prec = np.linalg.inv(cov)
    prec = (prec + prec.T) / 2
    mean_j, prec_j = jnp.asarray(mean), jnp.asarray(prec)

    def logdensity(x):
        r = x - mean_j
        return -0.5 * r @ (prec_j @ r)

    return dict(name="gaussian", what=f"Gaussian d={d}, κ={kappa:g}", dim=d,
                anila=anila.energies.Gaussian(mean, cov), jax=logdensity,
                start=lambda rng, n: mean + rng.standard_normal((n, d)) @ np.linalg.cholesky(cov).T)


def banana_f(x):
    """Haario's banana log density (up to a constant) at x (…, 2), NumPy or JAX arrays."""
    s, b = BANANA_S, BANANA_B
    u = x[..., 1] - b * (x[..., 0] ** 2 - s * s)
    return -0.5 * x[..., 0] ** 2 / (s * s) - 0.5 * u * u


def banana_numpy(X):
    """The banana as an anila function energy: (f, ∇f) for chains X (n, 2), vectorised."""
    # anila's Function energies must return finite values (a non-finite one stops the run):
    # where a divergent HMC trajectory overflows, f is −1e300 and ∇f 0, so that the proposal
    # is rejected, as BlackJAX rejects a divergence
    s, b = BANANA_S, BANANA_B
    x0, x1 = X[:, 0], X[:, 1]
    with np.errstate(over="ignore", invalid="ignore"):
        u = x1 - b * (x0 * x0 - s * s)
        f = -0.5 * x0 * x0 / (s * s) - 0.5 * u * u
        g = np.empty_like(X)
        g[:, 0] = -x0 / (s * s) + 2 * b * x0 * u
        g[:, 1] = -u
    bad = ~(np.isfinite(f) & np.isfinite(g).all(axis=1))
    if bad.any():
        f[bad], g[bad] = -1e300, 0.0
    return f, g


def banana_draws(rng, n):
    """n independent draws from the banana."""
    x0 = BANANA_S * rng.standard_normal(n)
    return np.stack([x0, rng.standard_normal(n) + BANANA_B * (x0 * x0 - BANANA_S ** 2)], axis=1)


def banana_target():
    """The 2-D banana: anila's function energy and JAX's log density."""
    return dict(name="banana", what=f"banana d=2 (s={BANANA_S:g}, b={BANANA_B:g}), NumPy fn", dim=2,
                anila=banana_numpy, jax=banana_f, start=banana_draws)


def train_mlp(iterations, seed=0):
    """An anila MLP energy (the default 3×128 SiLU, float64, no clamp box) trained on rings."""
    X = anila.datasets.rings(10_000, seed=0)
    t = time.perf_counter()
    m = anila.train(X, iterations=iterations, progress=False, seed=seed, dtype="float64", clamp=None)
    return m, time.perf_counter() - t


def mlp_jax(m, jax):
    """The model's f(x) as a JAX function of one point, from its arch and flat parameters."""
    jnp = jax.numpy
    arch, flat = m.arch, m.parameters()
    off, layers = 0, []
    for s in arch["layers"]:
        if s["type"] == "linear":
            n_in, n_out = s["in"], s["out"]
            w = flat[off:off + n_out * n_in].reshape(n_out, n_in)
            off += n_out * n_in
            b = flat[off:off + n_out]
            off += n_out
            layers.append(("linear", jnp.asarray(w), jnp.asarray(b)))
        elif s["type"] == "silu":
            layers.append(("silu", None, None))
        else:
            raise ValueError(f"layer type {s['type']!r} has no JAX twin here")
    if off != flat.size:
        raise ValueError(f"parameter count mismatch: read {off}, model has {flat.size}")
    shift = jnp.asarray(arch["in_shift"]) if arch.get("in_scale") else None
    inv = 1 / float(arch["in_scale"]) if arch.get("in_scale") else None

    def f(x):
        h = x if shift is None else (x - shift) * inv
        for kind, w, b in layers:
            if kind == "linear":
                h = w @ h + b
            else:
                h = jax.nn.silu(h)
        return h[0]

    return f


def mlp_target(jax, jnp, iterations):
    """The trained MLP: the anila Model and its JAX twin, checked to 1e-5 relative."""
    m, secs = train_mlp(iterations)
    X = anila.datasets.rings(10_000, seed=0)
    f = mlp_jax(m, jax)
    pts = np.random.default_rng(1).normal(scale=2.0, size=(1000, 2))
    a = m.energy(pts)
    j = np.asarray(jax.jit(jax.vmap(f))(jnp.asarray(pts)))
    ga = m.energy_grad(pts)
    gj = np.asarray(jax.jit(jax.vmap(jax.grad(f)))(jnp.asarray(pts)))
    err = np.max(np.abs(a - j) / np.maximum(np.abs(a), 1e-3))
    gerr = np.max(np.abs(ga - gj)) / np.max(np.abs(ga))
    if not (err < 1e-5 and gerr < 1e-5):
        raise AssertionError(f"JAX MLP disagrees with Model.energy: rel err {err:.2e}, grad {gerr:.2e}")
    hidden = "×".join(str(h) for h in m.arch["hidden"])
    print(f"mlp: trained {iterations} iterations in {secs:.1f} s; JAX twin matches Model.energy "
          f"(max rel err f {err:.1e}, ∇f {gerr:.1e})", flush=True)
    return dict(name="mlp", what=f"trained MLP 2-{hidden}-1 {m.arch['activation']} ({iterations} it.)", dim=2,
                anila=m, jax=f, start=lambda rng, n: X[rng.choice(len(X), n, replace=False)].astype(np.float64),
                model=m)


# ---------------------------------------------------------------- runs


def anila_run(target, x0, algo, warmup, kept, seed, step_size=None):
    """One anila run: trace (kept, chains, dim), info dict and wall seconds."""
    params = dict(sampler="hmc", leapfrog=LEAPFROG, mass="diag", target_accept=TARGET_HMC) if algo == "hmc" \
        else dict(sampler="sgld", adjusted=True)
    if step_size is not None:
        params.update(step_size=step_size, adapt="no")
    else:
        params.update(adapt="yes")
    params.update(noise_scale=1, warmup=warmup)
    kw = dict(dim=target["dim"]) if callable(target["anila"]) and not isinstance(target["anila"], anila.Model) else {}
    t = time.perf_counter()
    tr, info = anila.sample(target["anila"], steps=kept, init=x0, seed=seed, trace=True, return_info=True,
                            **kw, **params)
    secs = time.perf_counter() - t
    if info["warmup"] != warmup or info["steps"] != kept:
        raise AssertionError(f"anila ran {info['warmup']} warm-up and {info['steps']} kept steps, "
                             f"want {warmup} and {kept}")
    return tr, info, secs


def blackjax_hmc_fn(jax, blackjax, logdensity, warmup, kept):
    """A jittable (keys, x0) -> draws: per-chain window adaptation, then kept HMC steps."""
    from blackjax.adaptation.base import get_filter_adapt_info_fn

    adapt = blackjax.window_adaptation(blackjax.hmc, logdensity, target_acceptance_rate=TARGET_HMC,
                                       adaptation_info_fn=get_filter_adapt_info_fn(),
                                       num_integration_steps=LEAPFROG)

    def one(key, x):
        k1, k2 = jax.random.split(key)
        (state, params), _ = adapt.run(k1, x, num_steps=warmup)
        kernel = blackjax.hmc(logdensity, **params)

        def step(st, k):
            st, info = kernel.step(k, st)
            return st, (st.position, info.is_accepted, info.acceptance_rate)

        _, (xs, acc, prob) = jax.lax.scan(step, state, jax.random.split(k2, kept))
        return xs, acc, prob, params["step_size"]

    return jax.vmap(one)


def blackjax_fixed_fn(jax, jnp, kernel, step_size, warmup, kept):
    """A jittable (keys, x0) -> draws: a fixed kernel for `warmup` burn-in steps, then kept steps."""

    def one(key, x):
        k1, k2 = jax.random.split(key)
        state = kernel.init(x)
        state, _ = jax.lax.scan(lambda st, k: (kernel.step(k, st)[0], None), state, jax.random.split(k1, warmup))

        def step(st, k):
            st, info = kernel.step(k, st)
            return st, (st.position, info.is_accepted, info.acceptance_rate)

        _, (xs, acc, prob) = jax.lax.scan(step, state, jax.random.split(k2, kept))
        return xs, acc, prob, jnp.asarray(step_size, dtype=jnp.float64)

    return jax.vmap(one)


def blackjax_run(jax, fn, x0, seed):
    """Compile fn ahead of time (timed), run it once, then time a run with another key."""
    n = x0.shape[0]
    x0 = jax.numpy.asarray(x0)
    keys = [jax.random.split(jax.random.key(seed + i), n) for i in (0, 1)]
    t = time.perf_counter()
    compiled = jax.jit(fn).lower(keys[0], x0).compile()
    compile_s = time.perf_counter() - t
    jax.block_until_ready(compiled(keys[0], x0))
    t = time.perf_counter()
    out = jax.block_until_ready(compiled(keys[1], x0))
    secs = time.perf_counter() - t
    xs, acc, prob, step = (np.asarray(o) for o in out)
    return np.swapaxes(xs, 0, 1), dict(accept=float(acc.mean()), accept_prob=float(prob.mean()),
                                       step_size=float(np.median(step)), step_min=float(step.min()),
                                       step_max=float(step.max())), secs, compile_s


def ess_coords(trace):
    """ESS and split R̂ of every coordinate of a trace (kept, chains, dim), by anila.metrics."""
    d = trace.shape[2]
    out = [anila.metrics.chain_diagnostics(np.ascontiguousarray(trace[:, :, j].T)) for j in range(d)]
    return np.array([o["ess"] for o in out]), np.array([o["rhat"] for o in out])


def row(side, target, algo, trace, info, secs, chains, kept, grads, compile_s=None):
    """One table row's numbers from a side's trace and statistics."""
    ess, rhat = ess_coords(trace)
    evals = chains * kept * grads
    return dict(side=side, target=target["name"], what=target["what"], algo=algo, chains=chains, kept=kept,
                grads=grads, ess_min=float(ess.min()), ess_med=float(np.median(ess)),
                ess_grad_min=float(ess.min()) / evals, ess_grad_med=float(np.median(ess)) / evals,
                ess_s_min=float(ess.min()) / secs, ess_s_med=float(np.median(ess)) / secs,
                rhat_max=float(rhat.max()), accept=info["accept"], accept_prob=info["accept_prob"],
                step_size=info["step_size"], secs=secs, compile_s=compile_s,
                step_range=(info.get("step_min"), info.get("step_max")))


# ---------------------------------------------------------------- report


def markdown(rows, env, targets):
    """The results section: a header, the side-by-side table and the ratios against the targets."""
    lines = [BEGIN, "", "## Samplers: anila against BlackJAX (bench/samplers.py)", "",
             f"anila {env['anila']} ({env['anila_threads']} threads) vs BlackJAX {env['blackjax']} on JAX "
             f"{env['jax']} (CPU, x64) on {env['cpu']}, {env['cpus']} CPUs; float64 on both sides. "
             f"{env['chains']} chains from the same start points (draws from the target; for the MLP, data "
             f"points); HMC: L = {LEAPFROG}, diagonal mass, step size "
             f"adapted toward acceptance {TARGET_HMC} over {env['warmup']} warm-up steps (anila: one step size "
             f"for all chains; BlackJAX: window_adaptation per chain under jax.vmap, its step size the median "
             f"over chains), {env['kept_hmc']} kept steps; MALA: anila's γ adapted toward 0.574 over "
             f"{env['warmup']} warm-up steps, BlackJAX at the same fixed step (step_size = γ/2) for "
             f"{env['warmup']} burn-in steps, {env['kept_mala']} kept steps. ESS: anila.metrics.ess per "
             f"coordinate (min and median over coordinates) on both sides' draws. ESS/grad = ESS / (chains × "
             f"kept × gradient evaluations per step); ESS/s over warm-up + kept steps, JAX's compile time apart. "
             f"One run, {env['date']}, {env['total']:.0f} s in all; 1-minute load average {env['load']:.1f} "
             f"before it, {env['load_end']:.1f} after.", ""]
    lines += ["| target | algorithm | side | ESS min | ESS median | ESS/grad min | ESS/grad median | ESS/s min | "
              "ESS/s median | max R̂ | accept | step size | wall s | compile s |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        comp = "" if r["compile_s"] is None else f"{r['compile_s']:.1f}"
        lines.append(f"| {r['what']} | {r['algo']} | {r['side']} | {r['ess_min']:.0f} | {r['ess_med']:.0f} | "
                     f"{r['ess_grad_min']:.2e} | {r['ess_grad_med']:.2e} | {r['ess_s_min']:.0f} | "
                     f"{r['ess_s_med']:.0f} | {r['rhat_max']:.3f} | {r['accept']:.3f} | {r['step_size']:.4g} | "
                     f"{r['secs']:.2f} | {comp} |")
    lines += ["", "anila / BlackJAX, with the targets (ESS/grad within 20% on every target; ESS/s ≥ 1x on the "
              "Gaussian and ≥ 2x on the trained MLP; none on the banana):", "",
              "| target | BlackJAX row | ESS/grad min | ESS/grad median | ESS/s min | ESS/s median | "
              "ESS/grad target | ESS/s target |", "|---|---|---|---|---|---|---|---|"]
    for c in compare(rows):
        lines.append(f"| {targets[c['target']]} | {c['algo']} | {c['grad_min']:.2f} | {c['grad_med']:.2f} | "
                     f"{c['s_min']:.2f}x | {c['s_med']:.2f}x | {c['grad_ok']} | {c['s_ok']} |")
    lines += ["", "The row \"hmc, anila's h and M⁻¹\" is BlackJAX's HMC at anila's adapted step size and inverse "
              "mass: the same kernel as anila's row, which separates the kernels from their adaptations "
              "(window_adaptation keeps dual averaging's average step, whose acceptance ends above the target: "
              "see the accept column). One run's ESS is noisy: between seeds, the minimum over coordinates varied by "
              "about 15% on the Gaussian and 20–40% on the 2-D MLP, and the banana's (chains stuck a while in its "
              "tails) by 2–5x, on both sides alike.", "", END]
    return "\n".join(lines) + "\n"


#: The ESS/s ratio (anila / BlackJAX) each target asks for.
SPEED_TARGET = {"gaussian": 1.0, "mlp": 2.0}


def compare(rows):
    """anila / BlackJAX ratios for every BlackJAX row, and whether the issue's targets are met."""
    out = []
    for b in rows:
        if b["side"] != "blackjax":
            continue
        algo = "hmc" if b["algo"] == FIXED_HMC else b["algo"]
        a = next(r for r in rows if r["side"] == "anila" and r["target"] == b["target"] and r["algo"] == algo)
        c = dict(target=a["target"], algo=b["algo"], grad_min=a["ess_grad_min"] / b["ess_grad_min"],
                 grad_med=a["ess_grad_med"] / b["ess_grad_med"], s_min=a["ess_s_min"] / b["ess_s_min"],
                 s_med=a["ess_s_med"] / b["ess_s_med"])
        ratios = (c["grad_min"], c["grad_med"])
        c["grad_ok"] = "met" if all(0.8 <= x <= 1.2 for x in ratios) else \
            "not met (anila higher)" if min(ratios) > 1 else "not met"
        want = SPEED_TARGET.get(a["target"])
        c["s_ok"] = "—" if want is None else \
            ("met" if min(c["s_min"], c["s_med"]) >= want else "not met") + f" (≥ {want:g}x)"
        out.append(c)
    return out


def write_section(md):
    """Put the section into bench/results.md, replacing the previous run's, else appending it."""
    path = os.path.join(HERE, "results.md")
    old = open(path).read() if os.path.exists(path) else ""
    if BEGIN in old and END in old:
        head, rest = old.split(BEGIN, 1)
        new = head + md.rstrip("\n") + rest.split(END, 1)[1]
    else:
        new = old.rstrip("\n") + ("\n\n" if old else "") + md
    with open(path, "w") as f:
        f.write(new)


def main():
    """Run every target and algorithm on both sides, print the table and write results.md."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--chains", type=int, default=16)
    ap.add_argument("--warmup", type=int, default=1000)
    ap.add_argument("--kept-hmc", type=int, default=2000)
    ap.add_argument("--kept-mala", type=int, default=10000)
    ap.add_argument("--mlp-iterations", type=int, default=300)
    ap.add_argument("--only", choices=("gaussian", "banana", "mlp"), help="one target only")
    ap.add_argument("--no-write", dest="write", action="store_false", help="print, do not touch results.md")
    args = ap.parse_args()
    jax, jnp, blackjax = jax_modules()
    env = dict(anila=anila.__version__, anila_threads=anila.get_num_threads(), jax=jax.__version__,
               blackjax=blackjax.__version__, cpu=cpu_model(), cpus=os.cpu_count(), chains=args.chains,
               warmup=args.warmup, kept_hmc=args.kept_hmc, kept_mala=args.kept_mala,
               date=time.strftime("%Y-%m-%d"), load=os.getloadavg()[0])
    print(f"anila {env['anila']} ({env['anila_threads']} threads), JAX {env['jax']} on "
          f"{jax.devices()[0].platform}, BlackJAX {env['blackjax']}", flush=True)
    makers = dict(gaussian=lambda: gaussian_target(jnp), banana=banana_target,
                  mlp=lambda: mlp_target(jax, jnp, args.mlp_iterations))
    rows, names = [], {}
    t_all = time.perf_counter()
    for name, make in makers.items():
        if args.only and name != args.only:
            continue
        target = make()
        names[name] = target["what"]
        logp = target["jax"]
        x0 = target["start"](np.random.default_rng(7), args.chains)
        for algo, kept in (("hmc", args.kept_hmc), ("mala", args.kept_mala)):
            tr, info, secs = anila_run(target, x0, algo, args.warmup, kept, seed=1)
            grads = int(round(info["grad_evals"]))
            rows.append(a := row("anila", target, algo, tr, info, secs, args.chains, kept, grads))
            print(f"{name:8s} {algo:4s} anila:    ESS/grad {a['ess_grad_min']:.2e}/{a['ess_grad_med']:.2e} "
                  f"accept {a['accept']:.3f} step {a['step_size']:.4g} {a['secs']:.2f} s", flush=True)
            if algo == "hmc":
                # BlackJAX adapting its own step size and mass, then (the exact-kernel control) at anila's
                inv_mass = info.get("inv_mass")
                runs = [("hmc", blackjax_hmc_fn(jax, blackjax, logp, args.warmup, kept), 1),
                        (FIXED_HMC, blackjax_fixed_fn(jax, jnp, blackjax.hmc(
                            logp, info["step_size"], jnp.asarray(inv_mass if inv_mass is not None
                                                                 else np.ones(target["dim"])),
                            LEAPFROG), info["step_size"], args.warmup, kept), 1)]
            else:
                # γ/2: BlackJAX's MALA step x + h∇log p + √(2h) ξ is anila's with γ = 2h
                h = info["step_size"] / 2
                runs = [("mala", blackjax_fixed_fn(jax, jnp, blackjax.mala(logp, h), h, args.warmup, kept), 2)]
            for label, fn, unit in runs:
                tr, binfo, bsecs, comp = blackjax_run(jax, fn, x0, seed=100)
                binfo["step_size"] *= unit  # in anila's units
                rows.append(b := row("blackjax", target, label, tr, binfo, bsecs, args.chains, kept,
                                     LEAPFROG if algo == "hmc" else 1, comp))
                extra = f" (chains {b['step_range'][0]:.4g}–{b['step_range'][1]:.4g})" if label == "hmc" else ""
                print(f"{name:8s} {label[:4]:4s} BlackJAX: ESS/grad {b['ess_grad_min']:.2e}/{b['ess_grad_med']:.2e} "
                      f"accept {b['accept']:.3f} step {b['step_size']:.4g}{extra} {b['secs']:.2f} s "
                      f"+ compile {b['compile_s']:.1f} s  [{label}]", flush=True)
        if "model" in target:
            target["model"].close()
    env.update(total=time.perf_counter() - t_all, load_end=os.getloadavg()[0])
    print(f"total {env['total']:.0f} s", flush=True)
    md = markdown(rows, env, names)
    if args.write:
        write_section(md)
    print(md)


if __name__ == "__main__":
    main()
