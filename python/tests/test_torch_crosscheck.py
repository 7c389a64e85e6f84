"""anila against the PyTorch reference (anila.torch): same nets, same weights, same noise.

float64: energies to 1e-12 relative, gradients to 1e-10, steps and 50-step chains to 1e-10,
one training iteration's parameters to 1e-10. float32: float32 tolerances.
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import anila  # noqa: E402
import anila.torch as at  # noqa: E402

ACTS = ["silu", "leakyrelu", "tanh", "elu"]
TOL = {"float64": dict(f=1e-12, g=1e-10, chain=1e-10, params=1e-10),
       "float32": dict(f=1e-6, g=1e-5, chain=1e-4, params=1e-5)}
SAMPLERS = [
    dict(sampler="sgld", anisotropy="coordinate", adjusted=False),
    dict(sampler="sgld", anisotropy="coordinate", adjusted=True),
    dict(sampler="anila", anisotropy="coordinate", adjusted=False),
    dict(sampler="anila", anisotropy="coordinate", adjusted=True),
    dict(sampler="anila", anisotropy="pixel", adjusted=False),
    dict(sampler="anila", anisotropy="pixel", adjusted=True),
    dict(sampler="anila", anisotropy="chain", adjusted=False),
    dict(sampler="anila", anisotropy="chain", adjusted=True),
]


def relmax(a, b):
    """Elementwise relative error for float64; for float32, where sums of terms cancel,
    the error relative to the array's scale (max |b|)."""
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype == np.float32 or b.dtype == np.float32:
        a, b = a.astype(np.float64), b.astype(np.float64)
        return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-30))
    return float(np.max(np.abs(a - b) / np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-3)))


def make(dtype, activation="silu", dim=4, seed=0, **kw):
    params = dict(hidden=(24, 16), activation=activation, seed=seed, dtype=dtype, steps=5, batch_size=32,
                  buffer_size=64, step_size=0.05, threshold=0.5)
    params.update(kw)
    m = anila.new_model(dim, **params)
    # random, not-too-small weights so every activation regime is exercised
    rng = np.random.default_rng(seed)
    m.set_parameters(rng.normal(scale=0.4, size=m.parameters().size))
    return m


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("act", ACTS)
def test_energy_and_gradients(dtype, act):
    m = make(dtype, act)
    mod = m.to_torch()
    X = np.random.default_rng(1).normal(size=(50, 4)).astype(dtype)
    f_t, g_t = at.energy_and_grad(mod, torch.from_numpy(X))
    assert relmax(m.energy(X), f_t.numpy()) < TOL[dtype]["f"]
    assert relmax(m.energy_grad(X), g_t.numpy()) < TOL[dtype]["g"]
    w = np.random.default_rng(2).normal(size=50).astype(dtype)
    mod.zero_grad()
    (mod(torch.from_numpy(X)) * torch.from_numpy(w)).sum().backward()
    gp_t = np.concatenate([p.grad.numpy().ravel() for p in mod.parameters()])
    assert relmax(m.param_grad(X, w), gp_t) < TOL[dtype]["g"]


def test_weights_round_trip():
    m = make("float64", "leakyrelu", slope=0.1)
    mod = m.to_torch()
    assert isinstance(mod, torch.nn.Module)
    assert mod[1].negative_slope == 0.1
    np.testing.assert_array_equal(at.flat_parameters(mod), m.parameters())
    back = anila.torch.from_torch(mod)
    assert back.arch["hidden"] == [24, 16] and back.arch["activation"] == "leakyrelu" and back.dtype == np.float64
    np.testing.assert_array_equal(back.parameters(), m.parameters())
    bad = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
    with pytest.raises(ValueError, match="ReLU is not supported"):
        anila.torch.from_torch(bad)


def _cfg(m, s):
    kw = at.sampler_kwargs(m.params)
    kw.update(s)
    kw["channels"] = 2 if s["anisotropy"] == "pixel" else 1
    return kw


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("s", SAMPLERS, ids=lambda s: f"{s['sampler']}-{s['anisotropy']}-{'adj' if s['adjusted'] else 'ula'}")
@pytest.mark.parametrize("steps", [1, 50])
def test_chains_match(dtype, s, steps):
    channels = 2 if s["anisotropy"] == "pixel" else 1
    m = make(dtype, "silu", channels=channels, anisotropy=s["anisotropy"], sampler=s["sampler"], adjusted=s["adjusted"],
             step_size=0.8)
    mod = m.to_torch()
    rng = np.random.default_rng(3)
    n = 20
    z0 = rng.normal(size=(n, 4)).astype(dtype)
    xi = rng.normal(size=(steps, n, 4)).astype(dtype)
    u = rng.uniform(size=(steps, n)).astype(dtype) if s["adjusted"] else None
    z_a, info = m.sample(n, steps=steps, init=z0, noise=xi, uniforms=u, return_info=True)
    z_t = at.run_chains(mod, torch.from_numpy(z0), torch.from_numpy(xi), None if u is None else torch.from_numpy(u), **_cfg(m, s))
    assert relmax(z_a, z_t.numpy()) < TOL[dtype]["chain"]
    if s["sampler"] == "anila":
        assert info["clipped"] > 0  # the threshold is active, so AniLA's γ varies
    if s["adjusted"] and steps > 1:
        assert 0 < info["accept"] < 1  # both branches of the Metropolis test were taken


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
@pytest.mark.parametrize("sampler", ["sgld", "anila"])
def test_training_iteration_matches(dtype, optimizer, sampler):
    m = make(dtype, "silu", optimizer=optimizer, sampler=sampler, l2=0.1, lr=1e-2, momentum=0.5 if optimizer == "sgd" else 0.0)
    mod = m.to_torch()
    opt = at.optimizer_for(mod, m)
    rng = np.random.default_rng(4)
    cfg = at.sampler_kwargs(m.params)
    for it in range(3):  # several iterations exercise Adam's moments and SGD's momentum
        batch = rng.normal(size=(32, 4)).astype(dtype)
        z0 = rng.normal(size=(32, 4)).astype(dtype)
        xi = rng.normal(size=(5, 32, 4)).astype(dtype)
        z_a = m.train_step(batch, z0, xi)
        z_t = at.train_iteration(mod, opt, torch.from_numpy(batch), torch.from_numpy(z0), torch.from_numpy(xi),
                                 l2=0.1, **cfg)
        assert relmax(z_a, z_t.numpy()) < TOL[dtype]["chain"], it
        assert relmax(m.parameters(), at.flat_parameters(mod)) < TOL[dtype]["params"], it
    h = m.history
    assert len(h["gap"]) == 3


def test_training_iteration_with_grad_clip():
    m = make("float64", "tanh", l2=0.0, lr=1e-2)
    m2 = make("float64", "tanh", l2=0.0, lr=1e-2)
    mod = m.to_torch()
    opt = at.optimizer_for(mod, m)
    rng = np.random.default_rng(5)
    batch, z0, xi = rng.normal(size=(32, 4)), rng.normal(size=(32, 4)), rng.normal(size=(5, 32, 4))
    # grad_clip is a training parameter; build a clipped model through new_model
    mc = anila.new_model(4, **{**{k: v for k, v in m.params.items() if not k.startswith("_")}, "grad_clip": 0.05})
    mc.set_parameters(m.parameters())
    mc.train_step(batch, z0, xi)
    at.train_iteration(mod, opt, torch.from_numpy(batch), torch.from_numpy(z0), torch.from_numpy(xi),
                       grad_clip=0.05, **at.sampler_kwargs(m.params))
    assert relmax(mc.parameters(), at.flat_parameters(mod)) < 1e-10
    m2.train_step(batch, z0, xi)  # unclipped differs
    assert relmax(m2.parameters(), mc.parameters()) > 1e-6
