"""anila against the PyTorch reference (anila.torch): same nets, same weights, same noise.

float64: energies to 1e-12 relative, gradients to 1e-10, steps and 50-step chains to 1e-10,
one training iteration's parameters to 1e-10. float32: float32 tolerances. The MLPs, and the
conv energies ("convnet", "vanilla") on small images.
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import anila  # noqa: E402
import anila.torch as at  # noqa: E402
from anila import convert  # noqa: E402

ACTS = ["silu", "leakyrelu", "tanh", "elu", "softplus", "gelu"]
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
    specs, weights = convert.layers_of(mod)
    assert specs == m.arch["layers"] and weights.dtype == np.float64
    np.testing.assert_array_equal(weights, m.parameters())
    back = anila.new_model(4, energy="layers", layers=specs, dtype="float64")
    back.set_parameters(weights)
    X = np.random.default_rng(0).normal(size=(5, 4))
    np.testing.assert_array_equal(back.energy(X), m.energy(X))
    bad = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
    with pytest.raises(TypeError, match=r"submodule 1 \(ReLU\) is not supported"):
        convert.layers_of(bad)


def _cfg(m, s):
    kw = at.sampler_kwargs(m)
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
    if dtype == "float32" and s["adjusted"] and steps > 1:
        # In float32 an acceptance probability within rounding of its uniform can be decided
        # differently by the two implementations (it depends on the BLAS kernels' summation
        # order, e.g. OpenBLAS's Prescott kernels), and that chain then goes its own way. All
        # but at most 2 of the 20 chains must still agree to the tolerance.
        scale = max(np.max(np.abs(z_t.numpy())), 1e-30)
        per_chain = np.max(np.abs(z_a.astype(np.float64) - z_t.numpy().astype(np.float64)), axis=1) / scale
        assert np.sum(per_chain >= TOL[dtype]["chain"]) <= 2, per_chain
    else:
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
    cfg = at.sampler_kwargs(m)
    beta = m.params["ema"]
    assert beta > 0  # the point default: the model's energy uses a moving average of the parameters
    avg = at.flat_parameters(mod).astype(np.float64)
    for it in range(3):  # several iterations exercise Adam's moments and SGD's momentum
        batch = rng.normal(size=(32, 4)).astype(dtype)
        z0 = rng.normal(size=(32, 4)).astype(dtype)
        xi = rng.normal(size=(5, 32, 4)).astype(dtype)
        z_a = m.train_step(batch, z0, xi)
        z_t = at.train_iteration(mod, opt, torch.from_numpy(batch), torch.from_numpy(z0), torch.from_numpy(xi),
                                 l2=0.1, **cfg)
        assert relmax(z_a, z_t.numpy()) < TOL[dtype]["chain"], it
        assert relmax(m.parameters(training=True), at.flat_parameters(mod)) < TOL[dtype]["params"], it
        b = min(beta, (1 + it) / (10 + it))  # the average's warm-up (anila/train/ema.go)
        avg = b * avg + (1 - b) * at.flat_parameters(mod)
        assert relmax(m.parameters(), avg) < TOL[dtype]["params"], it
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
    mc = anila.new_model(4, **{**m.params, "grad_clip": 0.05})
    mc.set_parameters(m.parameters())
    mc.train_step(batch, z0, xi)
    at.train_iteration(mod, opt, torch.from_numpy(batch), torch.from_numpy(z0), torch.from_numpy(xi),
                       grad_clip=0.05, **at.sampler_kwargs(m))
    assert relmax(mc.parameters(training=True), at.flat_parameters(mod)) < 1e-10
    m2.train_step(batch, z0, xi)  # unclipped differs
    assert relmax(m2.parameters(training=True), mc.parameters(training=True)) > 1e-6


# --- the conv energies ("convnet", "vanilla") ----------------------------------------------
# Image shapes chosen so that every layer shape is exercised: non-square maps and a Linear head
# over a 2×1 map (convnet 3×10×6), odd maps floored by the stride-2 4×4 convolutions and a
# final convolution with a 2×2 kernel (vanilla 3×18×18), and the 1×1 end maps of 8×8 images.
CONV_SHAPES = [("convnet", (1, 8, 8)), ("convnet", (3, 10, 6)), ("vanilla", (1, 8, 8)), ("vanilla", (3, 18, 18))]
CONV_IDS = [f"{k}-{'x'.join(map(str, s))}" for k, s in CONV_SHAPES]
#: AniLA's threshold b per net, near the top of its random weights' |∇x f|: some coordinates
#: are clipped, and the adjusted chains still accept often.
CONV_THRESHOLD = {CONV_IDS[0]: 0.2, CONV_IDS[1]: 0.5, CONV_IDS[2]: 0.5, CONV_IDS[3]: 1.0}
CONV_SAMPLERS = [c for c in SAMPLERS if c["anisotropy"] != "chain"]


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    """One torch thread: these nets are tiny, and torch's idle threads spinning against the Go
    core's workers on a small machine can slow the tests down tenfold."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def make_conv(kind, shape, dtype="float64", nf=2, seed=0, defaults=False, **kw):
    """An untrained conv model on images of `shape` (C, H, W), with random weights. Every
    sampler and optimizer setting is pinned (the image energies have their own defaults)
    unless `defaults`, which keeps the energy's defaults but for the sizes and kw."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(8, *shape))
    params = dict(energy=kind, nf=nf, slope=0.1, iterations=0, dtype=dtype, seed=seed, steps=3, batch_size=4,
                  buffer_size=8, progress=False)
    if not defaults:
        params.update(sampler="anila", adjusted=False, step_size=0.05, noise_scale=1.0, anisotropy="coordinate",
                      threshold=CONV_THRESHOLD[f"{kind}-{'x'.join(map(str, shape))}"], clamp=None,
                      optimizer="adam", lr=1e-2, betas=(0.9, 0.999), momentum=0.0, l2=0.1, data_noise=0.0,
                      grad_clip=0.0)
    params.update(kw)
    m = anila.train(X, **params)
    m.set_parameters(rng.normal(scale=0.3, size=m.parameters().size))
    return m


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kind,shape", CONV_SHAPES, ids=CONV_IDS)
def test_conv_energy_and_gradients(kind, shape, dtype):
    m = make_conv(kind, shape, dtype)
    assert m.image_shape == shape and m.arch["kind"] == kind
    mod = m.to_torch()
    assert mod.image_shape == shape
    np.testing.assert_array_equal(at.flat_parameters(mod), m.parameters())
    X = np.random.default_rng(1).uniform(-1, 1, size=(6, *shape)).astype(dtype)
    Xf = torch.from_numpy(X.reshape(6, -1))
    f_t, g_t = at.energy_and_grad(mod, Xf)
    # the module takes images as well as flat rows
    np.testing.assert_array_equal(mod(torch.from_numpy(X)).detach().numpy(), f_t.numpy())
    g_a = m.energy_grad(X)
    assert g_a.shape == X.shape
    assert relmax(m.energy(X), f_t.numpy()) < TOL[dtype]["f"]
    assert relmax(m.energy(X.reshape(6, -1)), f_t.numpy()) < TOL[dtype]["f"]
    assert relmax(g_a.reshape(6, -1), g_t.numpy()) < TOL[dtype]["g"]
    w = np.random.default_rng(2).normal(size=6).astype(dtype)
    mod.zero_grad()
    (mod(Xf) * torch.from_numpy(w)).sum().backward()
    gp_t = np.concatenate([p.grad.numpy().ravel() for p in mod.parameters()])
    assert relmax(m.param_grad(X, w), gp_t) < TOL[dtype]["g"]


def test_conv_module_layers():
    """The PyTorch twin of the conv presets (anila/nn/arch.go's convSpecs), layer by layer."""
    nn = torch.nn
    a = make_conv("convnet", (3, 10, 6), nf=4).arch
    mod = at.module_for(a, "float64")
    convs = [m for m in mod if isinstance(m, nn.Conv2d)]
    assert [(c.in_channels, c.out_channels, c.kernel_size, c.stride, c.padding) for c in convs] == [
        (3, 4, (3, 3), (1, 1), (1, 1)), (4, 8, (3, 3), (2, 2), (1, 1)),
        (8, 16, (3, 3), (2, 2), (1, 1)), (16, 32, (3, 3), (2, 2), (1, 1))]
    assert isinstance(mod[-1], nn.Linear) and (mod[-1].in_features, mod[-1].out_features) == (32 * 2 * 1, 1)
    assert all(m.negative_slope == 0.1 for m in mod if isinstance(m, nn.LeakyReLU))
    a = make_conv("vanilla", (3, 18, 18), nf=4).arch
    mod = at.module_for(a, "float64")
    convs = [m for m in mod if isinstance(m, nn.Conv2d)]
    assert [(c.in_channels, c.out_channels, c.kernel_size, c.stride, c.padding) for c in convs] == [
        (3, 4, (3, 3), (1, 1), (1, 1)), (4, 8, (4, 4), (2, 2), (1, 1)), (8, 16, (4, 4), (2, 2), (1, 1)),
        (16, 32, (4, 4), (2, 2), (1, 1)), (32, 1, (2, 2), (1, 1), (0, 0))]
    assert sum(isinstance(m, nn.LeakyReLU) for m in mod) == 4
    assert not any(isinstance(m, nn.Linear) for m in mod)
    with pytest.raises(ValueError, match="square"):
        at.module_for({**a, "width": 12, "in": 3 * 18 * 12, "layers": None})
    specs, weights = convert.layers_of(mod)
    back = anila.new_model(mod.image_shape, energy="layers", layers=specs, dtype="float64")
    back.set_parameters(weights)
    assert back.arch["layers"] == a["layers"] and back.image_shape == (3, 18, 18)
    X = np.random.default_rng(0).normal(size=(3, 3, 18, 18))
    np.testing.assert_allclose(back.energy(X), mod(torch.from_numpy(X)).detach().numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("s", CONV_SAMPLERS, ids=lambda s: f"{s['sampler']}-{s['anisotropy']}-{'adj' if s['adjusted'] else 'ula'}")
@pytest.mark.parametrize("kind,shape", CONV_SHAPES, ids=CONV_IDS)
def test_conv_chains_match(kind, shape, s):
    m = make_conv(kind, shape, sampler=s["sampler"], anisotropy=s["anisotropy"], adjusted=s["adjusted"],
                  step_size=0.2 if s["sampler"] == "sgld" else 0.05)
    assert m.params["channels"] == shape[0]  # "pixel" takes the channel count from the images
    mod = m.to_torch()
    rng = np.random.default_rng(3)
    n, steps, d = 5, 8, int(np.prod(shape))
    z0 = rng.uniform(-1, 1, size=(n, *shape))
    xi = rng.normal(size=(steps, n, d))
    u = rng.uniform(size=(steps, n)) if s["adjusted"] else None
    z_a, info = m.sample(n, steps=steps, init=z0, noise=xi, uniforms=u, return_info=True)
    assert z_a.shape == (n, *shape)
    z_t = at.run_chains(mod, torch.from_numpy(z0.reshape(n, d)), torch.from_numpy(xi),
                        None if u is None else torch.from_numpy(u), **at.sampler_kwargs(m))
    assert relmax(z_a.reshape(n, d), z_t.numpy()) < TOL["float64"]["chain"]
    if s["sampler"] == "anila":
        assert info["clipped"] > 0  # the threshold is active, so AniLA's γ varies
    if s["adjusted"]:
        assert 0 < info["accept"] < 1  # both branches of the Metropolis test were taken


@pytest.mark.parametrize("s", [dict(sampler="sgld", anisotropy="coordinate"),
                               dict(sampler="anila", anisotropy="pixel", optimizer="sgd", momentum=0.5),
                               dict(sampler="anila", anisotropy="coordinate", clamp=(-1.2, 1.2), noise_scale=0.1),
                               dict(defaults=True)],
                         ids=["sgld-adam", "anila-pixel-sgd", "anila-clamp-adam", "image-defaults"])
@pytest.mark.parametrize("kind,shape", [CONV_SHAPES[1], CONV_SHAPES[3]], ids=[CONV_IDS[1], CONV_IDS[3]])
def test_conv_training_iteration_matches(kind, shape, s):
    m = make_conv(kind, shape, **s)
    mod = m.to_torch()
    opt = at.optimizer_for(mod, m)
    cfg = at.sampler_kwargs(m)
    if "clamp" in s:
        assert cfg["clamp"] == s["clamp"]
    l2 = m.params["l2"]
    rng = np.random.default_rng(4)
    d = int(np.prod(shape))
    for it in range(2):  # the second iteration uses Adam's moments / SGD's momentum
        batch = rng.uniform(-1, 1, size=(4, *shape))
        z0 = rng.uniform(-1, 1, size=(4, *shape))
        xi = rng.normal(size=(3, 4, d))
        z_a = m.train_step(batch, z0, xi)
        assert z_a.shape == (4, *shape)
        z_t = at.train_iteration(mod, opt, torch.from_numpy(batch.reshape(4, d)), torch.from_numpy(z0.reshape(4, d)),
                                 torch.from_numpy(xi), l2=l2, grad_clip=m.params["grad_clip"], **cfg)
        assert relmax(z_a.reshape(4, d), z_t.numpy()) < TOL["float64"]["chain"], it
        assert relmax(m.parameters(training=True), at.flat_parameters(mod)) < TOL["float64"]["params"], it


def test_slope_zero_survives_the_twin():
    """LeakyReLU(0.0) is a ReLU: its twin must have negative_slope 0, not torch's default 0.01
    (a 0 used to be dropped from the spec's JSON)."""
    net = anila.nn.Sequential(anila.nn.Linear(3, 16), anila.nn.LeakyReLU(0.0), anila.nn.Linear(16, 1))
    m = anila.new_model(3, energy=net, dtype="float64", seed=0)
    m.set_parameters(np.random.default_rng(0).normal(scale=0.5, size=m.parameters().size))
    twin = m.to_torch()
    X = np.random.default_rng(1).normal(size=(40, 3))
    diff = np.max(np.abs(m.energy(X) - twin(torch.from_numpy(X)).detach().numpy()))
    print("slope 0: max |f_anila - f_torch| =", diff)
    assert twin[1].negative_slope == 0.0
    assert diff < 1e-12
