"""Architectures as layers: anila.nn, torch modules converted both ways, cross-checked at
float64 against PyTorch."""

import numpy as np
import pytest

import anila
from anila import convert, nn

torch = pytest.importorskip("torch")

IMAGE = (2, 9, 8)


def mlp():
    return nn.Sequential(nn.Linear(3, 16), nn.SiLU(), nn.Sequential(nn.Linear(16, 8, bias=False), nn.Tanh()), nn.Linear(8, 4),
                         nn.ELU(0.5), nn.Linear(4, 4), nn.Softplus(), nn.Linear(4, 4), nn.GELU(), nn.Linear(4, 4),
                         nn.LeakyReLU(0.0), nn.Linear(4, 1))


def convnet():
    return nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.LeakyReLU(0.2), nn.AvgPool2d(3, stride=1, padding=1),
                         nn.Residual(nn.Sequential(nn.Conv2d(4, 4, 3, padding=1), nn.SiLU(), nn.Conv2d(4, 4, 3, padding=1))),
                         nn.Residual(nn.Sequential(nn.Conv2d(4, 6, 3, stride=2, padding=1), nn.SiLU(),
                                                   nn.Conv2d(6, 6, 3, padding=1)), shortcut=nn.Conv2d(4, 6, 1, stride=2)),
                         nn.Conv2d(6, 6, 3, stride=1, bias=False), nn.SiLU(), nn.AvgPool2d(2), nn.Flatten(), nn.Linear(6 * 1 * 1, 5),
                         nn.Tanh(), nn.Linear(5, 1))


def _grads(mod, X):
    x = torch.from_numpy(X.copy()).requires_grad_(True)
    f = mod(x)
    gx, = torch.autograd.grad(f.sum(), x, retain_graph=True)
    mod.zero_grad()
    f.sum().backward()
    return f.detach().numpy(), gx.numpy(), anila.torch.flat_gradients(mod)


@pytest.mark.parametrize("make, dim", [(mlp, 3), (convnet, IMAGE)])
def test_layers_match_pytorch_at_float64(make, dim, tmp_path):
    """A model built from anila.nn computes what its PyTorch twin computes (f, ∇x f, ∇θ f
    to 1e-10), trains, samples, and survives save and load."""
    X = np.random.default_rng(0).normal(size=(12,) + ((dim,) if isinstance(dim, int) else dim))
    model = anila.new_model(dim, energy=make(), dtype="float64", seed=1)
    model.set_parameters(np.random.default_rng(2).normal(scale=0.4, size=model.parameters().size))
    twin = model.to_torch()
    f_t, gx_t, gp_t = _grads(twin, X)
    flat = X.reshape(len(X), -1)
    assert np.max(np.abs(model.energy(X) - f_t)) < 1e-10 * max(1, np.abs(f_t).max())
    assert np.max(np.abs(model.energy_grad(X).reshape(len(X), -1) - gx_t.reshape(len(X), -1))) < 1e-10
    assert np.max(np.abs(model.param_grad(flat, np.ones(len(X))) - gp_t)) < 1e-10
    model.fit_more(X, 5, progress=False)
    assert model.iteration == 5 and np.isfinite(model.parameters()).all()
    Z = model.sample(6, steps=3)
    assert Z.shape == (6,) + ((dim,) if isinstance(dim, int) else dim)
    path = tmp_path / "layers.anila"
    model.save(path)
    again = anila.load(path)
    assert again.arch["layers"] == model.arch["layers"]
    np.testing.assert_array_equal(again.energy(X), model.energy(X))


def _model_of(module, dim, dtype):
    """The anila model of a torch module, by anila.convert, with its weights (and u, v)."""
    specs, weights = convert.layers_of(module)
    m = anila.new_model(dim, energy="layers", layers=specs, dtype=dtype)
    m.set_parameters(weights.astype(dtype))
    state = convert.spectral_state(module)
    if state.size:
        m.set_spectral_state(state)
    return m


def test_a_torch_module_converts_with_its_weights():
    """convert.layers_of takes a torch module's architecture and weights (a nested Sequential
    is flattened); the model computes what the module computes and trains."""
    mod = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.LeakyReLU(0.1),
                              torch.nn.Sequential(torch.nn.Linear(8, 8), torch.nn.SiLU()), torch.nn.Linear(8, 1))
    mod = mod.double()
    X = anila.datasets.rings(500, seed=0).astype(np.float64)
    m0 = _model_of(mod, 2, "float64")
    np.testing.assert_array_equal(m0.parameters(), anila.torch.flat_parameters(mod))
    f = mod(torch.from_numpy(X[:5])).detach().numpy().ravel()
    np.testing.assert_allclose(m0.energy(X[:5]), f, rtol=1e-12, atol=1e-12)
    p0 = m0.parameters().copy()
    m0.fit_more(X, 20, progress=False)
    assert m0.iteration == 20 and not np.array_equal(m0.parameters(), p0)
    conv = torch.nn.Sequential(torch.nn.Conv2d(2, 3, 3, padding=1), torch.nn.Tanh(), torch.nn.AvgPool2d(2),
                               torch.nn.Flatten(), torch.nn.Linear(3 * 4 * 4, 1))
    mc = _model_of(conv, IMAGE, "float32")
    Xi = np.random.default_rng(1).normal(size=(4,) + IMAGE).astype(np.float32)
    np.testing.assert_allclose(mc.energy(Xi), conv(torch.from_numpy(Xi)).detach().numpy().ravel(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("module, match", [
    (lambda: torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1)), r"submodule 1 \(ReLU\)"),
    (lambda: torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.GELU(approximate="tanh"), torch.nn.Linear(3, 1)),
     r"submodule 1 \(GELU\): approximate='tanh' is not supported"),
    (lambda: torch.nn.Sequential(torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Dropout()), torch.nn.Linear(3, 1)),
     r"submodule 0\.1 \(Dropout\)"),
    (lambda: torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3, dilation=2), torch.nn.Flatten(), torch.nn.Linear(2, 1)),
     "dilation"),
])
def test_unsupported_torch_modules(module, match):
    with pytest.raises(TypeError, match=match):
        convert.layers_of(module())


def test_bad_layer_lists():
    X = np.random.default_rng(0).normal(size=(20, 3))
    with pytest.raises(ValueError, match=r"layer 0 \(linear\) says in=4 but its input has shape \(3\)"):
        anila.train(X, energy=nn.Sequential(nn.Linear(4, 1)), iterations=1)
    with pytest.raises(ValueError, match="last layer must give 1 output"):
        anila.train(X, energy=nn.Sequential(nn.Linear(3, 2)), iterations=1)
    with pytest.raises(ValueError, match="add a flatten layer"):
        anila.new_model((1, 4, 4), energy=nn.Sequential(nn.Conv2d(1, 2, 3), nn.Linear(8, 1)))
    with pytest.raises(TypeError, match="must be an anila.nn layer"):
        nn.Sequential(nn.Linear(2, 1), "relu")
    with pytest.raises(TypeError, match="bias must be True or False"):
        nn.Linear(2, 1, bias=0)
    assert nn.Linear(2, 1, bias=False).spec() == {"type": "linear", "in": 2, "out": 1, "bias": False}
    with pytest.raises(TypeError, match="needs out_features"):
        nn.Linear(2)
    with pytest.raises(ValueError, match="square kernels"):
        nn.Conv2d(1, 2, (3, 5))
    assert nn.Conv2d(1, 2, kernel_size=(3, 3), stride=2).spec() == {
        "type": "conv2d", "in": 1, "out": 2, "kernel": 3, "stride": 2, "padding": 0}
    assert nn.LeakyReLU().negative_slope == 0.01  # torch's default
    with pytest.raises(TypeError, match="energy must be a name"):
        anila.train(X, energy=42, iterations=1)


def _example_spec(info):
    """A small spec of a layer type: its required arguments set to 2."""
    return {"type": info["name"], **{a["field"]: 2 for a in info["args"] if a["default"] is None}}


def test_python_and_go_agree_on_layer_types():
    """Every layer type Go has registered has an anila.nn class and a PyTorch twin (made
    from the registration), specs round-trip through them, and the float64 cross-checks above
    cover every type."""
    types = nn.layer_types()
    for name, info in types.items():
        cls = getattr(nn, info["torch"])
        twin_module = anila.torch if info["nested"] else torch.nn
        assert cls.type == name and isinstance(getattr(twin_module, info["torch"]), type)
        spec = {"type": name, "body": [{"type": "tanh"}]} if info["nested"] else _example_spec(info)
        layer = nn.from_specs([spec])[0]
        assert {k: v for k, v in layer.spec().items() if k in spec} == spec
        twin = anila.torch._layer_module(torch, layer.spec())
        back, _ = convert.layers_of(torch.nn.Sequential(twin))
        assert back == [layer.spec()]
    covered = {s["type"] for make in (mlp, convnet) for s in make().specs()}
    assert covered == set(types), f"no float64 cross-check for {sorted(set(types) - covered)}"


class Block(torch.nn.Module):
    """A residual block as users write them: forward is x + body(x) (or x − body(x), which
    anila does not read)."""

    def __init__(self, minus=False):
        super().__init__()
        self.body = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.Tanh(), torch.nn.Linear(4, 4))
        self.minus = minus

    def forward(self, x):
        return x - self.body(x) if self.minus else x + self.body(x)


def test_torch_residual_modules():
    """A torch module with a body child whose forward is x + body(x) converts to a residual
    block (and back, as anila.torch.Residual); one whose forward is something else is refused."""
    mod = torch.nn.Sequential(torch.nn.Linear(2, 4), Block(), torch.nn.SiLU(), torch.nn.Linear(4, 1)).double()
    m = _model_of(mod, 2, "float64")
    assert [s["type"] for s in m.arch["layers"]] == ["linear", "residual", "silu", "linear"]
    X = np.random.default_rng(0).normal(size=(6, 2))
    np.testing.assert_allclose(m.energy(X), mod(torch.from_numpy(X)).detach().numpy().ravel(), rtol=1e-12, atol=1e-12)
    twin = m.to_torch()
    assert isinstance(twin[1], anila.torch.Residual)
    np.testing.assert_allclose(twin(torch.from_numpy(X)).detach().numpy(), m.energy(X), rtol=1e-12, atol=1e-12)
    bad = torch.nn.Sequential(torch.nn.Linear(2, 4), Block(minus=True), torch.nn.Linear(4, 1)).double()
    with pytest.raises(TypeError, match=r"node sub \(call_function operator.sub .*test_nn.py:\d+: return x - self.body"):
        convert.layers_of(bad)


def test_estimator_with_layers():
    est = anila.EBM(energy=nn.Sequential(nn.Linear(2, 8), nn.SiLU(), nn.Linear(8, 1)), iterations=5)
    assert isinstance(est.get_params()["energy"], nn.Sequential)
    assert est.get_params()["lr"] == anila.model_defaults("mlp")["lr"]
    on_images = anila.EBM(energy=convnet())  # a conv net gets the image defaults, as train gives it
    assert on_images.get_params()["lr"] == anila.model_defaults("convnet")["lr"]
    est.fit(anila.datasets.rings(300, seed=0))
    assert est.model_.arch["kind"] == "layers" and est.n_iter_ == 5


def test_spectral_norm_matches_pytorch_and_survives_saving(tmp_path):
    """spectral_norm layers compute what PyTorch's parametrizations.spectral_norm computes in
    eval mode with the same u and v (f, ∇x, ∇θ to 1e-10 at float64); training advances u and
    v; save and load keep them; a torch module with spectral_norm converts with its u and v."""
    net = nn.Sequential(nn.spectral_norm(nn.Conv2d(2, 4, 3, padding=1)), nn.SiLU(),
                        nn.Residual(nn.Sequential(nn.spectral_norm(nn.Conv2d(4, 4, 3, padding=1)), nn.Tanh())),
                        nn.Flatten(), nn.spectral_norm(nn.Linear(4 * 9 * 8, 6)), nn.ELU(), nn.Linear(6, 1))
    model = anila.new_model(IMAGE, energy=net, dtype="float64", seed=2)
    state = model.spectral_state()
    assert state.size == (4 + 18) + (4 + 36) + (6 + 288)
    twin = model.to_torch()
    assert not twin.training
    X = np.random.default_rng(0).normal(size=(5,) + IMAGE)
    f_t, gx_t, gp_t = _grads(twin, X)
    np.testing.assert_allclose(model.energy(X), f_t, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(model.energy_grad(X), gx_t, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(model.param_grad(X.reshape(5, -1), np.ones(5)), gp_t, rtol=1e-9, atol=1e-10)
    model.fit_more(X, 3, progress=False)
    assert not np.array_equal(model.spectral_state(), state)
    model.save(tmp_path / "sn.anila")
    again = anila.load(tmp_path / "sn.anila")
    np.testing.assert_array_equal(again.spectral_state(), model.spectral_state())
    np.testing.assert_array_equal(again.energy(X), model.energy(X))
    back = _model_of(twin, IMAGE, "float64")
    np.testing.assert_array_equal(back.spectral_state(), state)
    np.testing.assert_array_equal(back.parameters(), anila.torch.flat_parameters(twin))
    assert [s.get("spectral_norm", False) for s in back.arch["layers"] if s["type"] in ("linear", "conv2d")] == \
        [True, True, False]
    with pytest.raises(TypeError, match="spectral_norm applies to Linear and Conv2d"):
        nn.spectral_norm(nn.Tanh())
    old_style = torch.nn.Sequential(torch.nn.utils.spectral_norm(torch.nn.Linear(2, 3)), torch.nn.Linear(3, 1))
    with pytest.raises(TypeError, match="parametrizations.spectral_norm"):
        convert.layers_of(old_style)
