"""The PyTorch reference: the twin of every anila net (`to_torch`, `module_for`: the
architecture's layer specs as torch.nn layers, `Residual` for residual blocks, with the
model's weights and spectral_norm vectors), and the SGLD/AniLA steps and one training
iteration written in plain PyTorch (`energy_and_grad`, `langevin_step`, `run_chains`,
`train_iteration`, ...). The twins take images or flat rows (n, C·H·W) like anila's core, so
the functions below work on flat (n, d) tensors for every kind. Reading a torch module into
anila layers is `anila.convert`'s (whose layer order `flat_parameters` and `flat_gradients`
follow).

torch is imported lazily: anila itself never needs it. Everything here mirrors the Go core
operation by operation, so that tests can check that anila computes exactly what a PyTorch
implementation would (see python/tests/test_torch_crosscheck.py) and benchmarks can time the
same work (bench/). Nothing here depends on anila's Model: `to_torch` reads a model's arch,
dtype, parameters() and spectral_state() only.
"""

from __future__ import annotations

import json

import numpy as np

from ._lib import capi, gocall
from .convert import layer_modules, leaf_params, spectral


def _torch():
    try:
        import torch
    except ImportError:
        raise ImportError("anila.torch needs PyTorch: pip install 'anila[torch]'") from None
    return torch


def _dtype(torch, dtype):
    return torch.float64 if np.dtype(dtype) == np.float64 else torch.float32


def _layer_module(torch, s: dict):
    """The torch.nn module of one anila layer spec (model.arch["layers"][i]), made from the
    layer type's registration in Go (its torch.nn class and arguments)."""
    from .nn import layer_types, torch_kwargs

    info = layer_types().get(s["type"])
    if info is None:
        raise ValueError(f"layer type {s['type']!r} has no PyTorch twin here")
    if s["type"] == "residual":
        body = torch.nn.Sequential(*[_layer_module(torch, b) for b in s["body"]])
        short = torch.nn.Sequential(*[_layer_module(torch, b) for b in s["shortcut"]]) if s.get("shortcut") else None
        return _residual_class(torch)(body, short)
    mod = getattr(torch.nn, info["torch"])(**torch_kwargs(s))
    if s.get("spectral_norm"):
        mod = torch.nn.utils.parametrizations.spectral_norm(mod)
    return mod


_RESIDUAL = {}


def _residual_class(torch):
    """anila.torch.Residual, made once torch is imported."""
    if "cls" not in _RESIDUAL:
        class Residual(torch.nn.Module):
            """A residual block, y = body(x) + shortcut(x), the shortcut the identity when None
            (the twin of anila.nn.Residual)."""

            def __init__(self, body, shortcut=None):
                super().__init__()
                self.body = body
                self.shortcut = shortcut

            def forward(self, x):  # noqa: D102
                return self.body(x) + (x if self.shortcut is None else self.shortcut(x))

        _RESIDUAL["cls"] = Residual
    return _RESIDUAL["cls"]


def __getattr__(name):
    if name == "Residual":
        return _residual_class(_torch())
    raise AttributeError(f"module 'anila.torch' has no attribute {name!r}")


def _layers_module(torch, arch: dict):
    """The twin of a net given by its layer specs (arch["layers"], every kind once expanded)."""
    image_shape = (arch["channels"], arch["height"], arch["width"]) if arch.get("channels") else None

    class EnergyNet(torch.nn.Sequential):
        """An anila energy as torch layers: takes images (n, C, H, W) or, like anila's core,
        flat rows (n, d), and returns f(x) of shape (n,). A standardising MLP first maps x to
        (x − in_shift)/in_scale (buffers, not parameters)."""

        def forward(self, x):  # noqa: D102
            if self.image_shape is not None and x.dim() == 2:
                x = x.reshape(x.shape[0], *self.image_shape)
            if self.in_shift is not None:
                x = (x - self.in_shift) * self.in_inv  # as anila: times the rounded 1/in_scale
            return super().forward(x).reshape(x.shape[0])

    module = EnergyNet(*[_layer_module(torch, s) for s in arch["layers"]])
    module.image_shape = image_shape
    if arch.get("in_scale"):
        module.register_buffer("in_shift", torch.tensor(arch["in_shift"], dtype=torch.float64))
        module.register_buffer("in_inv", torch.tensor(1 / float(arch["in_scale"]), dtype=torch.float64))
    else:
        module.in_shift = module.in_inv = None
    module.kind = arch.get("kind", "layers")
    return module


def module_for(arch: dict, dtype="float32"):
    """A torch.nn.Module computing f(x) (shape (n,)) for an anila architecture dict: a model's
    `arch`, built from its layer specs (every architecture has them), or a preset given by
    hand, e.g. {"kind": "mlp", "in": 2, "hidden": [128, 128], "activation": "silu"} or
    {"kind": "convnet" | "vanilla", "channels": C, "height": H, "width": W, "nf": n_f,
    "slope": s}. Its parameters() come in anila's flat order."""
    torch = _torch()
    if not arch.get("layers"):  # a preset by hand: Go expands it into its layers
        arch = json.loads(gocall(capi.ExpandArch, json.dumps({"slope": 0.05, **arch, "layers": None})))
    return _layers_module(torch, arch).to(_dtype(torch, dtype))


def to_torch(model):
    """The torch.nn.Module equivalent of an anila Model, with the same weights (a copy) and,
    for spectrally normalised layers, the same u and v; such a module is returned in eval
    mode, where PyTorch holds u and v as anila does between iterations."""
    torch = _torch()
    module = module_for(model.arch, model.dtype)
    flat = torch.from_numpy(model.parameters().copy())
    state = torch.from_numpy(model.spectral_state())
    off = soff = 0
    with torch.no_grad():
        for leaf in layer_modules(module):
            for p in leaf_params(leaf):
                n = p.numel()
                p.copy_(flat[off:off + n].view_as(p))
                off += n
            sn = spectral(leaf)
            if sn is not None:
                for buf in (sn._u, sn._v):
                    buf.copy_(state[soff:soff + buf.numel()])
                    soff += buf.numel()
    if off != flat.numel() or soff != state.numel():
        raise ValueError(f"parameter count mismatch: module {off}, model {flat.numel()}")
    if soff:
        module.eval()
    return module


def flat_gradients(module) -> np.ndarray:
    """The gradients (.grad) of a module's parameters in anila's order, as flat_parameters."""
    parts = [p.grad.detach().cpu().numpy().ravel() for leaf in layer_modules(module) for p in leaf_params(leaf)]
    return np.concatenate(parts) if parts else np.zeros(0)


def flat_parameters(module) -> np.ndarray:
    """A module's parameters as one flat NumPy vector, in anila's order (per layer, the
    weight, unnormalised for spectral_norm, then the bias)."""
    parts = [p.detach().cpu().numpy().ravel() for leaf in layer_modules(module) for p in leaf_params(leaf)]
    return np.concatenate(parts) if parts else np.zeros(0)


# --- the reference computations -----------------------------------------------------------

def energy_and_grad(module, z):
    """f(z) and ∇z f(z) by autograd."""
    torch = _torch()
    with torch.enable_grad():
        z = z.detach().requires_grad_(True)
        f = module(z)
        (g,) = torch.autograd.grad(f.sum(), z)
    return f.detach(), g.detach()


def step_sizes(g, sampler: str, step_size: float, threshold: float, anisotropy: str = "coordinate", channels: int = 1):
    """γ for every coordinate: η for SGLD; η·b/max(b, |g|) for AniLA, with |g| per
    coordinate, per pixel (norm over the channels of an NCHW sample) or per chain."""
    torch = _torch()
    if sampler == "sgld":
        return torch.full_like(g, step_size)
    b = threshold
    if anisotropy == "coordinate":
        mag = g.abs()
    elif anisotropy == "chain":
        mag = g.norm(dim=1, keepdim=True).expand_as(g)
    elif anisotropy == "pixel":
        n, d = g.shape
        gg = g.view(n, channels, d // channels)
        mag = gg.norm(dim=1, keepdim=True).expand_as(gg).reshape(n, d)
    else:
        raise ValueError(anisotropy)
    return step_size * b / torch.clamp(mag, min=b)


def langevin_step(module, z, f, g, xi, u=None, *, sampler="anila", step_size=0.01, threshold=1.0,
                  noise_scale=1.0, anisotropy="coordinate", channels=1, adjusted=False, clamp=None):
    """One step from chains z with f(z), ∇f(z) = g given; xi (n, d) normals, u (n,) uniforms
    for the adjusted form. Returns (z, f, g, accepted) after the step."""
    torch = _torch()
    gamma = step_sizes(g, sampler, step_size, threshold, anisotropy, channels)
    zp = z + gamma / 2 * g + noise_scale * torch.sqrt(gamma) * xi
    if clamp is not None and not adjusted:
        zp = zp.clamp(clamp[0], clamp[1])
    fp, gp = energy_and_grad(module, zp)
    if not adjusted:
        return zp, fp, gp, torch.ones(z.shape[0], dtype=torch.bool)
    gammap = step_sizes(gp, sampler, step_size, threshold, anisotropy, channels)
    fwd = -(0.5 * xi * xi + 0.5 * torch.log(gamma)).sum(dim=1)
    mu = zp + gammap / 2 * gp
    back = -((z - mu) ** 2 / (2 * noise_scale ** 2 * gammap) + 0.5 * torch.log(gammap)).sum(dim=1)
    log_alpha = fp - f + back - fwd
    ok = torch.log(u) < log_alpha
    if clamp is not None:
        ok &= ((zp >= clamp[0]) & (zp <= clamp[1])).all(dim=1)
    keep = ok[:, None]
    return torch.where(keep, zp, z), torch.where(ok, fp, f), torch.where(keep, gp, g), ok


def run_chains(module, z0, noise, uniforms=None, **cfg):
    """len(noise) steps from z0 with the given noise (steps, n, d) and uniforms (steps, n)."""
    f, g = energy_and_grad(module, z0)
    z = z0
    for k in range(noise.shape[0]):
        z, f, g, _ = langevin_step(module, z, f, g, noise[k], None if uniforms is None else uniforms[k], **cfg)
    return z


def train_iteration(module, optimizer, batch, z0, noise, uniforms=None, *, l2=0.0, grad_clip=0.0, **cfg):
    """One maximum-likelihood iteration as anila's trainer does it: K Langevin steps from z0,
    then a step of `optimizer` on −mean f(x) + mean f(z) + α(mean f(x)² + mean f(z)²).
    Returns the samples."""
    torch = _torch()
    z = run_chains(module, z0, noise, uniforms, **cfg).detach()
    optimizer.zero_grad()
    fx, fz = module(batch), module(z)
    loss = -fx.mean() + fz.mean() + l2 * ((fx ** 2).mean() + (fz ** 2).mean())
    loss.backward()
    if grad_clip > 0:
        torch.nn.utils.clip_grad_norm_(module.parameters(), grad_clip)
    optimizer.step()
    return z


def optimizer_for(module, model_or_params):
    """The torch optimizer matching an anila model's (or a params dict's) settings."""
    torch = _torch()
    p = model_or_params.params if hasattr(model_or_params, "params") else model_or_params
    if p["optimizer"] == "adam":
        return torch.optim.Adam(module.parameters(), lr=p["lr"], betas=tuple(p["betas"]), eps=1e-8)
    return torch.optim.SGD(module.parameters(), lr=p["lr"], momentum=p["momentum"])


def sampler_kwargs(model) -> dict:
    """The langevin_step keywords of an anila model's training sampler, as Go holds it
    (model.config["Sampler"]: step size and threshold in data units, the clamp box)."""
    c = model.config["Sampler"]
    clamp = (c["Lo"], c["Hi"]) if c["Lo"] < c["Hi"] else None
    return dict(sampler=c["Method"], step_size=c["StepSize"], threshold=c["Threshold"], noise_scale=c["NoiseScale"],
                anisotropy=c["Anisotropy"], channels=c["Channels"], adjusted=c["Adjusted"], clamp=clamp)


__all__ = ["Residual", "module_for", "to_torch", "flat_parameters", "flat_gradients", "energy_and_grad", "step_sizes",
           "langevin_step", "run_chains", "train_iteration", "optimizer_for", "sampler_kwargs"]
