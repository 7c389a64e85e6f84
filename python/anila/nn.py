"""Energy architectures as layers, with torch.nn's names and arguments.

    import anila
    from anila import nn
    energy = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.SiLU(), nn.Conv2d(16, 32, 4, stride=2),
                           nn.SiLU(), nn.Flatten(), nn.Linear(32 * 13 * 13, 1))
    model = anila.train(images, energy=energy)

A Sequential is a description, not a computation: anila's Go core builds and runs it. The
layer classes here are made from the layer types the Go core registers (`layer_types()`):
each has its torch.nn name and that class's arguments (positional in torch's order, or by
keyword, with torch's defaults), each argument with its declared kind ("int", "float" or
"bool"), which is how values are checked and written into specs. So a new layer type in Go,
or a new setting of one, appears here, in the PyTorch twin (`Model.to_torch`) and in
`anila.convert.layers_of` without Python changes. The last layer must give one value per
example, the energy f(x).
"""

from __future__ import annotations

import json
import math
import numbers

from ._lib import capi

# Go gives null for a type without fixed settings; here it is always a dict.
_TYPES = {t["name"]: {**t, "fixed": t["fixed"] or {}} for t in json.loads(capi.LayerTypes())}


class Layer:
    """A layer of an anila architecture: `spec()` is the dict the Go core builds it from."""

    type = ""
    _info: dict = {}

    def __init__(self, *args, **kwargs):
        info = self._info
        names = [a["torch"] for a in info["args"]]
        if len(args) > len(names):
            raise TypeError(f"{type(self).__name__} takes at most {len(names)} positional arguments "
                            f"({', '.join(names)}), got {len(args)}")
        given = dict(zip(names, args))
        for k, v in kwargs.items():
            if k in given:
                raise TypeError(f"{type(self).__name__} got {k!r} twice")
            if k not in names and k not in info["fixed"]:
                raise TypeError(f"{type(self).__name__} got an unexpected argument {k!r}; it takes {names}")
            given[k] = v
        for k, want in info["fixed"].items():
            if k in given and _scalar(k, given.pop(k)) != want:
                raise ValueError(f"{type(self).__name__}({k}=...) supports {k}={want!r} only")
        self._values = {}
        for a in sorted(info["args"], key=lambda a: isinstance(a["default"], str)):  # references last
            if a["torch"] in given and given[a["torch"]] is not None:
                v = _scalar(a["torch"], given[a["torch"]])
            elif isinstance(a["default"], str):  # the value of another argument, e.g. stride = kernel
                v = self._values[_torch_name(info, a["default"])]
            elif a["default"] is not None:
                v = a["default"]
            else:
                raise TypeError(f"{type(self).__name__} needs {a['torch']}")
            v = _check_value(type(self).__name__, a, v)
            self._values[a["torch"]] = v
            setattr(self, a["torch"], v)

    def spec(self) -> dict:
        """The layer as data (type and settings), as model files store it."""
        s = {"type": self.type}
        for a in self._info["args"]:
            v = self._values[a["torch"]]
            if a["kind"] == "bool":
                if v != a["default"]:  # flags are stored only when they differ (bias=False)
                    s[a["field"]] = v
            else:
                s[a["field"]] = _KINDS[a["kind"]](v)
        if getattr(self, "_spectral_norm", False):
            s["spectral_norm"] = True
        return s

    def __repr__(self) -> str:
        inner = f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self._values.items())})"
        return f"spectral_norm({inner})" if getattr(self, "_spectral_norm", False) else inner

    def __eq__(self, other) -> bool:
        return isinstance(other, Layer) and self.spec() == other.spec()

    def __hash__(self) -> int:
        return hash(json.dumps(self.spec(), sort_keys=True))


_KINDS = {"int": int, "float": float, "bool": bool}


def _check_value(cls: str, arg: dict, v):
    """v as a value of the argument's declared kind ("int", "float" or "bool"): flags must be
    True or False, numbers finite, ints whole and at least the argument's min."""
    name, kind = arg["torch"], arg["kind"]
    if kind == "bool":
        if not isinstance(v, bool):
            raise TypeError(f"{cls}: {name} must be True or False, got {v!r}")
        return v
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        raise TypeError(f"{cls}: {name} must be a number, got {v!r}")
    if not math.isfinite(v):
        raise ValueError(f"{cls}: {name} must be finite, got {v!r}")
    if kind == "int":
        if v != int(v) or v < arg.get("min", 0):
            raise ValueError(f"{cls}: {name} must be an integer >= {arg.get('min', 0)}, got {v!r}")
        return int(v)
    return float(v)


def _torch_name(info: dict, field: str) -> str:
    """The torch argument name of a spec field of a layer type."""
    return next(a["torch"] for a in info["args"] if a["field"] == field)


def torch_kwargs(spec: dict) -> dict:
    """The torch.nn constructor arguments of a layer spec (defaults filled, references such as
    AvgPool2d's stride = kernel_size resolved)."""
    return dict(from_specs([spec])[0]._values)


def _scalar(name, v):
    """v, with a pair of equal values (torch's (k, k)) as one value."""
    if isinstance(v, (tuple, list)):
        if len(v) != 2 or v[0] != v[1]:
            raise ValueError(f"{name}={v!r}: anila supports square kernels and equal strides and paddings only")
        return v[0]
    return v


def _make_class(info: dict) -> type:
    args = ", ".join(a["torch"] + ("" if a["default"] is None else f"={a['default']!r}") for a in info["args"])
    doc = f"{info['doc']}. Arguments: ({args})." if args else f"{info['doc']}."
    return type(info["torch"], (Layer,), {"type": info["name"], "_info": info, "__doc__": doc,
                                          "__module__": __name__})


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
        """{"type": "sequential", "layers": specs()}."""
        return {"type": "sequential", "layers": self.specs()}

    def __iter__(self):
        return iter(self.layers)

    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, i):
        return self.layers[i]

    def __repr__(self) -> str:
        inner = "".join(f"\n  ({i}): {layer!r}" for i, layer in enumerate(self.layers))
        return f"Sequential({inner}\n)"


class Residual(Layer):
    """A residual block, y = body(x) + shortcut(x): body and shortcut are Sequentials (or
    single layers); without a shortcut it is the identity, and the body must keep the shape.
    IGEBM's block: ``Residual(Sequential(Conv2d(c, d, 3, stride=2, padding=1), SiLU(),
    Conv2d(d, d, 3, padding=1)), shortcut=Conv2d(c, d, 1, stride=2))``. Its PyTorch twin is
    `anila.torch.Residual`; a torch module whose forward adds two branches from one input,
    e.g. ``x + self.c2(act(self.c1(x)))``, converts to it (`anila.convert.layers_of`)."""

    type = "residual"

    def __init__(self, body, shortcut=None):
        self.body = body if isinstance(body, Sequential) else Sequential(body)
        self.shortcut = None if shortcut is None else (
            shortcut if isinstance(shortcut, Sequential) else Sequential(shortcut))

    def spec(self) -> dict:
        """{"type": "residual", "body": [...], "shortcut": [...]} (no shortcut: the identity)."""
        s = {"type": "residual", "body": self.body.specs()}
        if self.shortcut is not None:
            s["shortcut"] = self.shortcut.specs()
        return s

    def __repr__(self) -> str:
        return f"Residual(body={self.body!r}, shortcut={self.shortcut!r})"


_CLASSES = {name: _make_class(info) for name, info in _TYPES.items() if not info.get("nested")}
globals().update({cls.__name__: cls for cls in _CLASSES.values()})
_CLASSES["residual"] = Residual


def spectral_norm(layer: Layer) -> Layer:
    """The layer with its weight spectrally normalised, W/σ (as
    torch.nn.utils.parametrizations.spectral_norm; IGEBM's default), for Linear and Conv2d.
    σ = uᵀWv comes from power iteration; anila advances it once per training iteration and
    saves u and v with the model. Returns the layer (changed in place), as PyTorch does."""
    if not isinstance(layer, Layer) or not getattr(layer, "_info", {}).get("spectral_norm"):
        raise TypeError(f"spectral_norm applies to Linear and Conv2d layers, got {type(layer).__name__}")
    layer._spectral_norm = True
    return layer


def from_specs(specs) -> Sequential:
    """The Sequential of a list of layer specs (as `Model.arch["layers"]` holds them)."""
    layers = []
    for i, s in enumerate(specs):
        cls = _CLASSES.get(s.get("type"))
        if cls is None:
            raise ValueError(f"layer {i}: unknown layer type {s.get('type')!r} (known: {sorted(_CLASSES)})")
        if cls is Residual:
            layers.append(Residual(from_specs(s["body"]), from_specs(s["shortcut"]) if s.get("shortcut") else None))
            continue
        # a 0 in a field whose default refers to another (AvgPool2d's stride) means that default
        kw = {a["torch"]: s[a["field"]] for a in cls._info["args"]
              if a["field"] in s and not (isinstance(a["default"], str) and s[a["field"]] == 0)}
        layer = cls(**kw)
        layers.append(spectral_norm(layer) if s.get("spectral_norm") else layer)
    return Sequential(*layers)


def layer_types() -> dict:
    """The layer types anila's Go core has registered: {name: {doc, torch, args, fixed, ...}},
    each arg {field (spec key), torch (argument name), kind ("int", "float", "bool"), default, min}."""
    return {name: dict(info) for name, info in _TYPES.items()}


__all__ = ["Layer", "Sequential", "from_specs", "layer_types", "spectral_norm"] + sorted(cls.__name__ for cls in _CLASSES.values())
