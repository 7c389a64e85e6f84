"""Energy architectures as layers, with torch.nn's names and arguments.

    import anila
    from anila import nn
    energy = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.SiLU(), nn.Conv2d(16, 32, 4, stride=2),
                           nn.SiLU(), nn.Flatten(), nn.Linear(32 * 13 * 13, 1))
    model = anila.train(images, energy=energy)

A Sequential is a description, not a computation: anila's Go core builds and runs it (the
layer types are registered there; `layer_types()` lists them). The last layer must give one
value per example, the energy f(x). `anila.train(X, energy=<torch.nn.Module>)` and
`anila.torch.from_torch` accept PyTorch modules built from the same layers.
"""

from __future__ import annotations

import json

__all__ = ["Layer", "Linear", "Conv2d", "Flatten", "LeakyReLU", "SiLU", "Tanh", "ELU", "Sequential",
           "layer_types"]


def _int(name: str, v, lo: int = 1) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        if isinstance(v, tuple) and len(v) == 2 and v[0] == v[1]:
            return _int(name, v[0], lo)
        raise TypeError(f"{name} must be an int (or a pair of equal ints), got {v!r}")
    if v < lo:
        raise ValueError(f"{name} must be >= {lo}, got {v}")
    return v


class Layer:
    """A layer of an anila architecture: `spec()` is the dict the Go core builds it from."""

    type = ""

    def spec(self) -> dict:
        """The layer as data (type and settings), as model files store it."""
        return {"type": self.type}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.spec().items() if k != "type")
        return f"{type(self).__name__}({args})"

    def __eq__(self, other) -> bool:
        return isinstance(other, Layer) and self.spec() == other.spec()

    def __hash__(self) -> int:
        return hash(json.dumps(self.spec(), sort_keys=True))


class Linear(Layer):
    """y = x·Wᵀ + b on flat features (torch.nn.Linear)."""

    type = "linear"

    def __init__(self, in_features: int, out_features: int, bias: bool = True):
        self.in_features = _int("in_features", in_features)
        self.out_features = _int("out_features", out_features)
        if bias is not True:
            raise ValueError("Linear(bias=False) is not supported: anila's Linear layers have a bias")

    def spec(self) -> dict:
        return {"type": "linear", "in": self.in_features, "out": self.out_features}


class Conv2d(Layer):
    """A 2-D convolution with bias over (C, H, W) maps (torch.nn.Conv2d): square kernels,
    equal strides and paddings, zero padding, no dilation or groups."""

    type = "conv2d"

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, bias: bool = True):
        self.in_channels = _int("in_channels", in_channels)
        self.out_channels = _int("out_channels", out_channels)
        self.kernel_size = _int("kernel_size", kernel_size)
        self.stride = _int("stride", stride)
        self.padding = _int("padding", padding, 0)
        if bias is not True:
            raise ValueError("Conv2d(bias=False) is not supported: anila's convolutions have a bias")

    def spec(self) -> dict:
        return {"type": "conv2d", "in": self.in_channels, "out": self.out_channels, "kernel": self.kernel_size,
                "stride": self.stride, "padding": self.padding}


class Flatten(Layer):
    """(C, H, W) maps as flat features, in NCHW order (torch.nn.Flatten)."""

    type = "flatten"


class LeakyReLU(Layer):
    """x if x > 0, else negative_slope·x (torch.nn.LeakyReLU; the same default slope)."""

    type = "leakyrelu"

    def __init__(self, negative_slope: float = 0.01):
        if isinstance(negative_slope, bool) or not isinstance(negative_slope, (int, float)):
            raise TypeError(f"negative_slope must be a number, got {negative_slope!r}")
        self.negative_slope = float(negative_slope)

    def spec(self) -> dict:
        return {"type": "leakyrelu", "slope": self.negative_slope}


class SiLU(Layer):
    """x·σ(x) (torch.nn.SiLU)."""

    type = "silu"


class Tanh(Layer):
    """tanh(x) (torch.nn.Tanh)."""

    type = "tanh"


class ELU(Layer):
    """x if x > 0, else exp(x) − 1 (torch.nn.ELU; alpha 1 only)."""

    type = "elu"

    def __init__(self, alpha: float = 1.0):
        if alpha != 1.0:
            raise ValueError(f"ELU supports alpha=1 only, got {alpha!r}")


class Sequential(Layer):
    """Layers applied in order (torch.nn.Sequential); nested Sequentials are flattened."""

    type = "sequential"

    def __init__(self, *layers):
        flat = []
        for i, layer in enumerate(layers):
            if isinstance(layer, Sequential):
                flat.extend(layer.layers)
            elif isinstance(layer, Layer):
                flat.append(layer)
            else:
                raise TypeError(f"Sequential's layer {i} must be an anila.nn layer, got {type(layer).__name__}")
        if not flat:
            raise ValueError("Sequential needs at least one layer")
        self.layers = tuple(flat)

    def specs(self) -> list:
        """The layer specs, in order."""
        return [layer.spec() for layer in self.layers]

    def spec(self) -> dict:
        return {"type": "sequential", "layers": self.specs()}

    def takes_images(self) -> bool:
        """Whether the net takes (C, H, W) images (its first weighted layer is a Conv2d)."""
        for layer in self.layers:
            if isinstance(layer, (Conv2d, Linear)):
                return isinstance(layer, Conv2d)
        return False

    def __iter__(self):
        return iter(self.layers)

    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, i):
        return self.layers[i]

    def __repr__(self) -> str:
        inner = "".join(f"\n  ({i}): {layer!r}" for i, layer in enumerate(self.layers))
        return f"Sequential({inner}\n)"


_CLASSES = {"linear": Linear, "conv2d": Conv2d, "flatten": Flatten, "leakyrelu": LeakyReLU, "silu": SiLU,
            "tanh": Tanh, "elu": ELU}


def from_specs(specs) -> Sequential:
    """The Sequential of a list of layer specs (as `Model.arch["layers"]` holds them)."""
    layers = []
    for i, s in enumerate(specs):
        t = s.get("type")
        if t == "linear":
            layers.append(Linear(s["in"], s["out"]))
        elif t == "conv2d":
            layers.append(Conv2d(s["in"], s["out"], s["kernel"], stride=s.get("stride") or 1,
                                 padding=s.get("padding", 0)))
        elif t == "leakyrelu":
            layers.append(LeakyReLU(s.get("slope", 0.0)))
        elif t in _CLASSES:
            layers.append(_CLASSES[t]())
        else:
            raise ValueError(f"layer {i}: no anila.nn class for layer type {t!r}")
    return Sequential(*layers)


def layer_types() -> dict:
    """The layer types anila's Go core has registered: {name: what it computes}."""
    from ._lib import capi

    return dict(json.loads(capi.LayerTypes()))
