"""Benchmark anila against the PyTorch reference (anila.torch) on the same work.

For each configuration — per Langevin step and per training iteration; float32 and float64;
1 and 2 threads (torch's thread count set to match); SGLD and AniLA — anila and PyTorch run
alternately, several repetitions each, and the median and spread (min–max) are reported.
Every row names the kernels each side ran: anila's OpenBLAS and the kernel family it picked at
run time (anila.blas(), checked against threadpoolctl), PyTorch's BLAS (MKL), oneDNN and the
CPU capability its kernels were dispatched for (torch.__config__).
Writes bench/results.json and bench/results.md and prints the table. Run with `make bench`,
which unsets OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE for this command so that OpenBLAS picks
its kernels as it would on a user's machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time

import numpy as np

import anila
import anila.torch as at
from machine import cpu_model

HERE = os.path.dirname(os.path.abspath(__file__))


def anila_kernels():
    """anila's BLAS and kernel family, with threadpoolctl's view of the same library."""
    name = anila.blas()
    try:
        import threadpoolctl
    except ImportError:
        return name
    pkg = os.path.dirname(os.path.dirname(anila.__file__))
    ours = [i for i in threadpoolctl.threadpool_info()
            if i.get("internal_api") == "openblas" and i["filepath"].startswith(os.path.join(pkg, "anila"))]
    if ours and ours[0].get("architecture") and ours[0]["architecture"] not in name:
        raise RuntimeError(f"anila.blas() says {name!r} but threadpoolctl sees {ours[0]}")
    return name


def torch_kernels():
    """PyTorch's BLAS, oneDNN and dispatched CPU capability, from torch.__config__."""
    import re

    import torch

    cfg = torch.__config__.show()
    parts = []
    m = re.search(r"Math Kernel Library Version ([\w.]+)", cfg)
    if m:
        parts.append(f"MKL {m.group(1)}")
    elif "BLAS_INFO=" in cfg:
        parts.append("BLAS " + re.search(r"BLAS_INFO=(\w+)", cfg).group(1))
    m = re.search(r"MKL-DNN (v[\w.]+)", cfg)
    if m:
        parts.append(f"oneDNN {m.group(1)}")
    parts.append(f"{torch.backends.cpu.get_cpu_capability()} kernels")
    return ", ".join(parts)


def torch_threads(n):
    import torch

    torch.set_num_threads(n)


#: The activations with a row each (LeakyReLU, the default, has the full set of rows).
OTHER_ACTIVATIONS = ("silu", "tanh", "elu", "softplus", "gelu")


def mlp_case(dtype, sampler, batch=256, hidden=(128, 128), steps=100, activation="leakyrelu"):
    """An anila model and its torch twin for the toy MLP configuration."""
    X = anila.datasets.rings(10_000, seed=0)
    m = anila.new_model(2, hidden=hidden, activation=activation, sampler=sampler, dtype=dtype, steps=steps, batch_size=batch,
                        buffer_size=max(10_000, batch), step_size=0.01, threshold=0.1, init="noise",
                        clamp=None)
    return X, m, m.to_torch()


def conv_case(sampler, batch=64, nf=32, steps=60):
    """The image configuration of issue 4: Fashion-MNIST (the first 10,000 training images),
    the paper's ConvNet with n_f = 32, batch 64, K = 60, float32, the image defaults."""
    X = anila.datasets.fashion_mnist("train")[:10_000]
    m = anila.train(X, energy="convnet", nf=nf, sampler=sampler, steps=steps, batch_size=batch,
                    iterations=0, seed=0, progress=False)
    return X.reshape(len(X), -1), m, m.to_torch()


def anila_steps(m, z0, k):
    t = time.perf_counter()
    m.sample(z0.shape[0], steps=k, init=z0, seed=1)
    return (time.perf_counter() - t) / k


def torch_steps(mod, z0, k, cfg):
    import torch

    z = torch.from_numpy(z0.copy())
    t = time.perf_counter()
    f, g = at.energy_and_grad(mod, z)
    for _ in range(k):
        z, f, g, _ = at.langevin_step(mod, z, f, g, torch.randn_like(z), **cfg)
    return (time.perf_counter() - t) / k


def anila_iters(m, X, k):
    m.fit_more(X, 1, progress=False)  # warm: data copied, buffers grown
    t = time.perf_counter()
    m.fit_more(X, k, progress=False)
    return (time.perf_counter() - t) / k


def torch_iters(mod, X, k, p, cfg):
    import torch

    opt = at.optimizer_for(mod, p)
    Xt = torch.from_numpy(X.astype(np.float64 if p["dtype"] == "float64" else np.float32))
    m, steps = p["batch_size"], p["steps"]
    lo, hi = float(X.min()), float(X.max())
    t = time.perf_counter()
    for _ in range(k):
        idx = torch.randint(0, Xt.shape[0], (m,))
        z0 = lo + (hi - lo) * torch.rand(m, Xt.shape[1], dtype=Xt.dtype)
        noise = torch.randn(steps, m, Xt.shape[1], dtype=Xt.dtype)
        at.train_iteration(mod, opt, Xt[idx], z0, noise, l2=p["l2"], **cfg)
    return (time.perf_counter() - t) / k


class TorchEBMCase:
    """The same energy net in TorchEBM (PyPI torchebm, the PyTorch EBM library): its
    LangevinDynamics sampler and persistent ContrastiveDivergence, with the chains, K, batch
    and buffer of the anila rows it sits beside. TorchEBM's energy is −f."""

    def __init__(self, mod, dtype, step_size, noise_scale, steps, buffer_size, lr):
        import torch
        from torchebm.core import BaseModel
        from torchebm.losses import ContrastiveDivergence
        from torchebm.samplers import LangevinDynamics

        class NegF(BaseModel):
            """−f of an anila twin, as TorchEBM wants an energy."""

            def __init__(self, net, dtype):
                super().__init__(dtype=dtype)
                self.net = net

            def forward(self, x):  # noqa: D102
                return -self.net(x)

        tdtype = torch.float64 if dtype == "float64" else torch.float32
        self.energy = NegF(mod, tdtype)
        self.sampler = LangevinDynamics(self.energy, step_size=step_size, noise_scale=noise_scale, dtype=tdtype)
        self.cd = ContrastiveDivergence(model=self.energy, sampler=self.sampler, k_steps=steps, persistent=True,
                                        buffer_size=buffer_size, init_steps=0, new_sample_ratio=0.05)
        self.opt = torch.optim.Adam(self.energy.parameters(), lr=lr)
        self.dtype = tdtype

    def steps(self, z0, k):
        import torch

        z = torch.from_numpy(z0.copy()).to(self.dtype)
        t = time.perf_counter()
        self.sampler.sample(x=z, n_steps=k)
        return (time.perf_counter() - t) / k

    def iters(self, X, k, batch):
        import torch

        Xt = torch.from_numpy(X).to(self.dtype)
        t = time.perf_counter()
        for _ in range(k):
            loss, _ = self.cd(Xt[torch.randint(0, Xt.shape[0], (batch,))])
            self.opt.zero_grad()
            loss.backward()
            self.opt.step()
        return (time.perf_counter() - t) / k


def peer_rows(args, threads):
    """anila against TorchEBM on the configuration people would run in it: persistent CD with
    a 10,000-point buffer, the MLP (K = 20, batch 128, 256 chains per step row) and the
    ConvNet (K = 60, batch 64), float32."""
    try:
        import torchebm
    except ImportError:
        print("torchebm is not installed: no TorchEBM rows (make bench installs it)", flush=True)
        return []
    rows = []
    k_step, k_iter = (5, 2) if args.quick else (50, 5)
    X = anila.datasets.rings(10_000, seed=0)
    sampler = "sgld"
    for dtype in ("float32", "float64"):
        m = anila.new_model(2, hidden=(128, 128), sampler=sampler, steps=20, batch_size=128, buffer_size=10_000,
                            step_size=0.01, init="buffer", clamp=None, seed=0, dtype=dtype)
        peer = TorchEBMCase(m.to_torch(), dtype, 0.01, 1.0, 20, 10_000, m.params["lr"])
        z0 = np.random.default_rng(0).uniform(-3, 3, size=(256, 2)).astype(dtype)
        a, t = measure(args.reps, lambda: anila_steps(m, z0, k_step), lambda: peer.steps(z0, k_step))
        rows.append(dict(model="mlp 2-128-128-1", what="langevin step (256 chains)", batch=256, threads=threads,
                         dtype=dtype, sampler=sampler, peer=f"TorchEBM {torchebm.__version__}", anila=summary(a), torch=summary(t)))
        a, t = measure(args.reps, lambda: anila_iters(m, X.astype(dtype), k_iter), lambda: peer.iters(X, k_iter, 128))
        rows.append(dict(model="mlp 2-128-128-1", what="PCD train iteration (K=20)", batch=128, threads=threads,
                         dtype=dtype, sampler=sampler, peer=f"TorchEBM {torchebm.__version__}", anila=summary(a), torch=summary(t)))
        m.close()
    if args.only != "mlp":
        Xi, mc, mod = conv_case(sampler)
        peer = TorchEBMCase(mod, "float32", 1.0, 0.01, 60, 10_000, mc.params["lr"])
        z0 = np.random.default_rng(0).uniform(-1, 1, size=(64, Xi.shape[1])).astype(np.float32)
        k = 2 if args.quick else 10
        a, t = measure(args.reps, lambda: anila_steps(mc, z0, k), lambda: peer.steps(z0, k))
        rows.append(dict(model="convnet nf=32 1x28x28", what="langevin step (64 chains)", batch=64, threads=threads,
                         dtype="float32", sampler=sampler, peer=f"TorchEBM {torchebm.__version__}", anila=summary(a), torch=summary(t)))
        a, t = measure(args.reps, lambda: anila_iters(mc, Xi, 1), lambda: peer.iters(Xi, 1, 64))
        rows.append(dict(model="convnet nf=32 1x28x28", what="PCD train iteration (K=60)", batch=64, threads=threads,
                         dtype="float32", sampler=sampler, peer=f"TorchEBM {torchebm.__version__}", anila=summary(a), torch=summary(t)))
        mc.close()
    return rows


def measure(reps, fa, ft):
    fa(), ft()  # warm-up, not recorded: first calls pay for lazy set-up (oneDNN primitives, buffers)
    a, t = [], []
    for _ in range(reps):  # alternate so that drifts in machine load hit both alike
        a.append(fa())
        t.append(ft())
    return a, t


def summary(xs):
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs), "runs": xs}


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="fewer steps and iterations (smoke test)")
    ap.add_argument("--only", choices=("mlp", "conv"), help="run one model's configurations only")
    ap.add_argument("--no-peers", dest="peers", action="store_false", help="skip the TorchEBM rows")
    args = ap.parse_args()
    import torch

    step_k, iter_k = (20, 2) if args.quick else (200, 5)
    kernels = dict(anila=anila_kernels(), torch=torch_kernels(),
                   OPENBLAS_CORETYPE=os.environ.get("OPENBLAS_CORETYPE"))
    print(f"anila: {kernels['anila']}\ntorch: {kernels['torch']}", flush=True)
    rows = []
    for threads in (1, 2):
        anila.set_num_threads(threads)
        torch_threads(threads)
        for sampler in ("sgld", "anila") if args.only != "mlp" else ():
            X, m, mod = conv_case(sampler)
            cfg = at.sampler_kwargs(m)
            z0 = np.random.default_rng(0).uniform(-1, 1, size=(64, X.shape[1])).astype(np.float32)
            k = 5 if args.quick else 20
            a, t = measure(args.reps, lambda: anila_steps(m, z0, k), lambda: torch_steps(mod, z0, k, cfg))
            rows.append(dict(model="convnet nf=32 1x28x28", what="langevin step", batch=64, threads=threads,
                             dtype="float32", sampler=sampler, anila=summary(a), torch=summary(t)))
            a, t = measure(args.reps, lambda: anila_iters(m, X, 1), lambda: torch_iters(mod, X, 1, m.params, cfg))
            rows.append(dict(model="convnet nf=32 1x28x28", what="train iteration (K=60)", batch=64, threads=threads,
                             dtype="float32", sampler=sampler, anila=summary(a), torch=summary(t)))
            m.close()
        for dtype in ("float32", "float64") if args.only != "conv" else ():
            for sampler in ("sgld", "anila"):
                X, m, mod = mlp_case(dtype, sampler)
                cfg = at.sampler_kwargs(m)
                z0 = np.random.default_rng(0).uniform(-3, 3, size=(256, 2)).astype(dtype)
                a, t = measure(args.reps, lambda: anila_steps(m, z0, step_k), lambda: torch_steps(mod, z0, step_k, cfg))
                rows.append(dict(model="mlp 2-128-128-1", what="langevin step", batch=256, threads=threads, dtype=dtype,
                                 sampler=sampler, anila=summary(a), torch=summary(t)))
                a, t = measure(args.reps, lambda: anila_iters(m, X, iter_k), lambda: torch_iters(mod, X, iter_k, m.params, cfg))
                rows.append(dict(model="mlp 2-128-128-1", what="train iteration (K=100)", batch=256, threads=threads,
                                 dtype=dtype, sampler=sampler, anila=summary(a), torch=summary(t)))
                m.close()
            for act in OTHER_ACTIVATIONS:
                X, m, mod = mlp_case(dtype, "sgld", activation=act)
                cfg = at.sampler_kwargs(m)
                a, t = measure(args.reps, lambda: anila_iters(m, X, iter_k), lambda: torch_iters(mod, X, iter_k, m.params, cfg))
                rows.append(dict(model=f"mlp 2-128-128-1 {act}", what="train iteration (K=100)", batch=256,
                                 threads=threads, dtype=dtype, sampler="sgld", anila=summary(a), torch=summary(t)))
                m.close()
        if args.peers:
            rows += peer_rows(args, threads)
    for r in rows:
        r["speedup"] = r["torch"]["median"] / r["anila"]["median"]
        r.setdefault("anila_kernels", kernels["anila"])
        r.setdefault("torch_kernels", (r["peer"] + " on " if r.get("peer") else "") + kernels["torch"])
    old_path = os.path.join(HERE, "results.json")
    if args.only and os.path.exists(old_path):  # keep the other model's rows from the last run
        with open(old_path) as f:
            measured = {r["model"] for r in rows}
            rows = [r for r in json.load(f)["rows"] if r["model"] not in measured] + rows
    # AniLA's overhead over SGLD, per configuration
    overhead = []
    for r in rows:
        if r["sampler"] != "anila" or r.get("peer"):
            continue
        base = next(q for q in rows if q["sampler"] == "sgld" and not q.get("peer")
                    and all(q[k] == r[k] for k in ("what", "threads", "dtype", "model")))
        overhead.append(dict(what=r["what"], threads=r["threads"], dtype=r["dtype"],
                             anila=r["anila"]["median"] / base["anila"]["median"] - 1,
                             torch=r["torch"]["median"] / base["torch"]["median"] - 1))
    env = dict(machine=platform.machine(), processor=cpu_model(), cpus=os.cpu_count(),
               OPENBLAS_CORETYPE=kernels["OPENBLAS_CORETYPE"],
               anila=anila.__version__, blas=anila.blas(), torch=torch.__version__, reps=args.reps,
               python=platform.python_version(), date=time.strftime("%Y-%m-%d"))
    out = dict(env=env, rows=rows, anila_overhead_over_sgld=overhead)
    with open(os.path.join(HERE, "results.json"), "w") as f:
        json.dump(out, f, indent=1)
    lines = [f"anila {env['anila']} vs PyTorch {env['torch']} on {env['processor']}, {env['cpus']} CPUs, "
             f"median of {args.reps} alternating runs (min–max in brackets); "
             f"OPENBLAS_CORETYPE {'unset' if env['OPENBLAS_CORETYPE'] is None else '= ' + env['OPENBLAS_CORETYPE']}", "",
             "| model | work | threads | dtype | sampler | anila ms | reference ms | reference/anila | anila kernels | reference (plain PyTorch, or the peer library named) |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        a, t = r["anila"], r["torch"]
        lines.append(f"| {r['model']} | {r['what']} | {r['threads']} | {r['dtype']} | {r['sampler']} | "
                     f"{1e3 * a['median']:.3f} [{1e3 * a['min']:.3f}–{1e3 * a['max']:.3f}] | "
                     f"{1e3 * t['median']:.3f} [{1e3 * t['min']:.3f}–{1e3 * t['max']:.3f}] | {r['speedup']:.2f}x | "
                     f"{r.get('anila_kernels', '?')} | {r.get('torch_kernels', '?')} |")
    lines += ["", "AniLA's overhead over SGLD (median time ratio − 1):", "",
              "| work | threads | dtype | anila | torch |", "|---|---|---|---|---|"]
    for o in overhead:
        lines.append(f"| {o['what']} | {o['threads']} | {o['dtype']} | {100 * o['anila']:+.1f}% | {100 * o['torch']:+.1f}% |")
    md = "\n".join(lines) + "\n"
    with open(os.path.join(HERE, "results.md"), "w") as f:
        f.write(md)
    print(md)


if __name__ == "__main__":
    main()
