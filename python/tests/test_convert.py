"""anila.convert: torch modules read by graph capture (torch.fx) into anila layer specs and
weights, checked against the modules at float64 (1e-10)."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import torch.nn.functional as F  # noqa: E402

import anila  # noqa: E402
from anila import convert  # noqa: E402

tnn = torch.nn


def model_of(module, dim, dtype="float64"):
    """The anila model of a module: its specs and weights (and u, v) from anila.convert."""
    specs, weights = convert.layers_of(module)
    m = anila.new_model(dim, energy="layers", layers=specs, dtype=dtype)
    m.set_parameters(weights)
    state = convert.spectral_state(module)
    if state.size:
        m.set_spectral_state(state)
    return m


def check_matches(module, dim, n=7, tol=1e-10):
    """The converted model's f and ∇x f equal the module's (float64), and its weights are the
    module's parameters in anila's order."""
    module = module.double().eval()
    m = model_of(module, dim)
    shape = (n,) + ((dim,) if isinstance(dim, int) else tuple(dim))
    X = np.random.default_rng(3).normal(size=shape)
    x = torch.from_numpy(X).requires_grad_(True)
    f = module(x).reshape(n)
    gx, = torch.autograd.grad(f.sum(), x)
    f_t, g_t = f.detach().numpy(), gx.numpy()
    assert np.max(np.abs(m.energy(X) - f_t)) < tol * max(1, np.abs(f_t).max())
    assert np.max(np.abs(m.energy_grad(X) - g_t)) < tol * max(1, np.abs(g_t).max())
    assert m.parameters().size == sum(p.numel() for p in module.parameters())
    return m


class Renamed(tnn.Module):
    """A residual block written with other names than body/shortcut."""

    def __init__(self, c=5):
        super().__init__()
        self.c1, self.c2 = tnn.Linear(c, c), tnn.Linear(c, c)
        self.act = tnn.SiLU()

    def forward(self, x):
        return x + self.c2(self.act(self.c1(self.act(x))))


def test_residual_block_with_other_names():
    """x + self.c2(act(self.c1(act(x)))) becomes a residual block; its weights c1 then c2."""
    block = Renamed()
    mod = tnn.Sequential(tnn.Linear(3, 5), block, Renamed(), tnn.Linear(5, 1))
    specs, weights = convert.layers_of(mod)
    assert [s["type"] for s in specs] == ["linear", "residual", "residual", "linear"]
    assert [s["type"] for s in specs[1]["body"]] == ["silu", "linear", "silu", "linear"]
    assert "shortcut" not in specs[1]
    n0 = 3 * 5 + 5
    np.testing.assert_array_equal(weights[n0:n0 + 25], block.c1.weight.detach().numpy().ravel())
    m = check_matches(mod, 3)
    np.testing.assert_array_equal(anila.torch.flat_parameters(mod.double()), m.parameters())


class Functional(tnn.Module):
    """A forward written with torch.nn.functional and torch functions."""

    def __init__(self):
        super().__init__()
        self.l1, self.l2, self.l3, self.l4 = tnn.Linear(3, 8), tnn.Linear(8, 8), tnn.Linear(8, 8), tnn.Linear(8, 1)

    def forward(self, x):
        h = F.silu(self.l1(x))
        h = F.leaky_relu(self.l2(h), 0.2)
        h = h + F.elu(self.l3(torch.tanh(h)), alpha=0.5)
        return self.l4(F.gelu(F.softplus(h))).squeeze(-1)


def test_functional_forward():
    specs, _ = convert.layers_of(Functional())
    assert specs[:4] == [{"type": "linear", "in": 3, "out": 8}, {"type": "silu"},
                         {"type": "linear", "in": 8, "out": 8}, {"type": "leakyrelu", "slope": 0.2}]
    assert specs[4] == {"type": "residual", "body": [{"type": "tanh"}, {"type": "linear", "in": 8, "out": 8},
                                                     {"type": "elu", "alpha": 0.5}]}
    check_matches(Functional(), 3)
    act = tnn.Sequential(tnn.Linear(2, 4), tnn.LeakyReLU(0.0), tnn.Linear(4, 1))
    assert convert.layers_of(act)[0][1] == {"type": "leakyrelu", "slope": 0.0}  # a 0 is kept


class ResNetBlock(tnn.Module):
    """IGEBM's / ResNet's block: two 3x3 convolutions, a 1x1 stride-2 convolution as shortcut."""

    def __init__(self, cin, cout):
        super().__init__()
        self.conv1 = tnn.Conv2d(cin, cout, 3, stride=2, padding=1)
        self.conv2 = tnn.Conv2d(cout, cout, 3, padding=1)
        self.skip = tnn.utils.parametrizations.spectral_norm(tnn.Conv2d(cin, cout, 1, stride=2))

    def forward(self, x):
        return F.leaky_relu(self.conv2(F.leaky_relu(self.conv1(x), 0.2)), 0.2) + self.skip(x)


class ConvNet(tnn.Module):
    def __init__(self):
        super().__init__()
        self.stem = tnn.Conv2d(2, 4, 3, padding=1)
        self.block = ResNetBlock(4, 6)
        self.head = tnn.Linear(6 * 4 * 4, 1)

    def forward(self, x):
        h = self.block(F.silu(self.stem(x)))
        return self.head(h.view(h.size(0), -1))


def test_resnet_block_with_conv_shortcut():
    """A block whose shortcut is a (spectrally normalised) 1x1 convolution: body then shortcut
    in the specs and the weights; flattening by view(x.size(0), -1)."""
    net = ConvNet()
    specs, weights = convert.layers_of(net)
    block = specs[2]
    assert [s["type"] for s in block["body"]] == ["conv2d", "leakyrelu", "conv2d", "leakyrelu"]
    assert block["shortcut"] == [{"type": "conv2d", "in": 4, "out": 6, "kernel": 1, "stride": 2, "padding": 0,
                                  "spectral_norm": True}]
    assert specs[3] == {"type": "flatten"}
    body_end = sum(p.numel() for p in (*net.stem.parameters(), *net.block.conv1.parameters(),
                                       *net.block.conv2.parameters()))
    skip_w = net.block.skip.parametrizations.weight.original.detach().numpy().ravel()
    np.testing.assert_array_equal(weights[body_end:body_end + skip_w.size], skip_w)
    assert convert.spectral_state(net).size == 6 + 4
    check_matches(net, (2, 8, 8))


class BodyShortcut(tnn.Module):
    def __init__(self):
        super().__init__()
        self.body = tnn.Sequential(tnn.Conv2d(2, 3, 3, padding=1), tnn.Tanh())
        self.shortcut = tnn.Conv2d(2, 3, 1)

    def forward(self, x):
        return self.body(x) + self.shortcut(x)


def test_old_forms_still_convert():
    """Sequentials (nested), body/shortcut-named blocks, anila's twins, torch.flatten(x, 1)."""
    # (a conv first: anila's image check looks at the first weighted layer outside blocks)
    mod = tnn.Sequential(tnn.Conv2d(2, 2, 1), BodyShortcut(), tnn.Sequential(tnn.AvgPool2d(2), tnn.Flatten()),
                         tnn.Linear(3 * 3 * 3, 1))
    specs, _ = convert.layers_of(mod)
    assert specs[1]["type"] == "residual" and specs[1]["shortcut"][0]["kernel"] == 1
    check_matches(mod, (2, 6, 6))
    twin = anila.new_model((2, 6, 6), energy="layers", layers=specs, dtype="float64").to_torch()
    assert convert.layers_of(twin)[0] == specs

    class Flat(tnn.Module):
        def __init__(self):
            super().__init__()
            self.c, self.l = tnn.Conv2d(1, 2, 3), tnn.Linear(2 * 2 * 2, 1)

        def forward(self, x):
            return self.l(torch.flatten(self.c(x), 1))

    check_matches(Flat(), (1, 4, 4))

    class Views(tnn.Module):
        def __init__(self):
            super().__init__()
            self.c, self.l1, self.l2 = tnn.Conv2d(1, 2, 3), tnn.Linear(2 * 2 * 2, 4), tnn.Linear(4, 1)

        def forward(self, x):
            h = self.c(x).reshape(x.shape[0], -1)
            return self.l2(self.l1(h).tanh().flatten(1)).view(-1)

    assert [s["type"] for s in convert.layers_of(Views())[0]] == ["conv2d", "flatten", "linear", "tanh", "flatten",
                                                                  "linear"]
    check_matches(Views(), (1, 4, 4))
    assert convert.layers_of(tnn.Linear(3, 1))[0] == [{"type": "linear", "in": 3, "out": 1}]


class Sin(tnn.Module):
    def __init__(self):
        super().__init__()
        self.l = tnn.Linear(2, 1)

    def forward(self, x):
        return self.l(torch.sin(x))


class Twice(tnn.Module):
    def __init__(self):
        super().__init__()
        self.l1, self.l2 = tnn.Linear(2, 2), tnn.Linear(2, 1)

    def forward(self, x):
        return self.l2(self.l1(x) * 2)


class Shared(tnn.Module):
    def __init__(self):
        super().__init__()
        self.l1, self.l2 = tnn.Linear(2, 2), tnn.Linear(2, 1)

    def forward(self, x):
        return self.l2(self.l1(self.l1(x)))


class Branches(tnn.Module):
    def __init__(self):
        super().__init__()
        self.l1, self.l2 = tnn.Linear(2, 2), tnn.Linear(2, 1)

    def forward(self, x):
        h = self.l1(x)
        return self.l2(h) + h.sum(1, keepdim=True)


class Crossed(tnn.Module):
    """b feeds two branches that are not added to each other."""

    def __init__(self):
        super().__init__()
        self.l1, self.l2, self.l3, self.l4 = (tnn.Linear(2, 2) for _ in range(4))

    def forward(self, x):
        a = self.l1(x)
        b = self.l2(a)
        return self.l4(b) + (self.l3(b) + a)


@pytest.mark.parametrize("module, match", [
    (Crossed, r"node l2 \(call_module l2 .*\) feeds two branches"),
    (Sin, r"node sin \(call_function torch.sin \(.*test_convert.py:\d+: return self.l\(torch.sin\(x\)\)\)\) is not "
          r"supported"),
    (Twice, r"node mul \(call_function operator.mul \(.*test_convert.py:\d+: return self.l2\(self.l1\(x\) \* 2\)\)\)"),
    (Shared, r"submodule l1 \(Linear\) is called twice"),
    (Branches, r"node sum\w* \(call_method sum"),
    (lambda: tnn.Sequential(tnn.Linear(2, 2), tnn.ReLU(), tnn.Linear(2, 1)), r"submodule 1 \(ReLU\) is not supported"),
])
def test_unsupported_nodes_are_named(module, match):
    with pytest.raises(TypeError, match=match):
        convert.layers_of(module())


def test_unsupported_settings_of_functions():
    class Gelu(tnn.Module):
        def __init__(self):
            super().__init__()
            self.l = tnn.Linear(2, 1)

        def forward(self, x):
            return self.l(F.gelu(x, approximate="tanh"))

    with pytest.raises(TypeError, match=r"node gelu .*approximate='tanh' is not supported"):
        convert.layers_of(Gelu())

    class FlatAll(tnn.Module):
        def __init__(self):
            super().__init__()
            self.l = tnn.Linear(8, 1)

        def forward(self, x):
            return self.l(torch.flatten(x))  # start_dim 0 flattens the batch too

    with pytest.raises(TypeError, match=r"start_dim=0 is not supported"):
        convert.layers_of(FlatAll())


def test_elu_alpha_twin():
    """anila.nn.ELU(0.5): the model's energies equal its PyTorch twin's, which converts back."""
    net = anila.nn.Sequential(anila.nn.Linear(3, 8), anila.nn.ELU(0.5), anila.nn.Linear(8, 1))
    m = anila.new_model(3, energy=net, dtype="float64", seed=0)
    m.set_parameters(np.random.default_rng(0).normal(scale=0.8, size=m.parameters().size))
    twin = m.to_torch()
    assert twin[1].alpha == 0.5
    X = np.random.default_rng(1).normal(size=(30, 3))
    np.testing.assert_allclose(m.energy(X), twin(torch.from_numpy(X)).detach().numpy(), rtol=1e-12, atol=1e-12)
    specs, weights = convert.layers_of(twin)
    assert specs == m.arch["layers"] and specs[1] == {"type": "elu", "alpha": 0.5}
    np.testing.assert_array_equal(weights, m.parameters())
    m32 = anila.new_model(3, energy=net, dtype="float32", seed=0)
    m32.set_parameters(m.parameters().astype(np.float32))
    np.testing.assert_allclose(m32.energy(X.astype(np.float32)), m.energy(X), rtol=1e-5, atol=1e-5)


def test_torch_module_is_the_twin_and_reference_only():
    """anila.torch no longer reads torch modules, and imports nothing from model.py or
    _config.py (not even inside functions)."""
    import inspect
    import re

    import anila.torch as at

    assert not hasattr(at, "from_torch") and not hasattr(at, "layers_of")
    src = inspect.getsource(at)
    assert not re.search(r"from \.(model|_config) import|import anila\.(model|_config)|from \. import (model|_config)", src)
