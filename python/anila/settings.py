"""The run's parameters as Go's one table (anila/run) has them: `parameters()` lists each
parameter's kind, bounds or choices, defaults for point data and for images, and doc;
`defaults(energy)` gives the defaults for an energy. Nothing here states a default or a
bound of its own."""

from __future__ import annotations

import json

from ._lib import capi, gocall

_TABLE = json.loads(capi.Schema())


def _plain(v):
    return tuple(v) if isinstance(v, list) else v


def parameters() -> list:
    """Every parameter of `anila.train` and `anila.EBM`, then those of sampling alone
    (`Model.sample`, `anila.sample`: sample_only true), in the order of the docs: a dict each
    with name, kind ("int", "float", "bool", "choice", "ints", "pair", "box", "layers"),
    default (point data), image_default, min, max (with min_open, max_open), choices,
    nullable, sample_only and doc."""
    return [dict(p) for p in json.loads(capi.Schema())]


def names() -> list:
    """The names of a training run's parameters (those of sampling alone, marked
    sample_only, are not among them)."""
    return [p["name"] for p in _TABLE if not p.get("sample_only")]


def defaults(energy: str = "mlp", layers=None) -> dict:
    """The default of every parameter of `train` and `EBM` for an energy kind ("mlp", the
    image energies "convnet" and "vanilla", or "layers" with its layer specs: the image
    defaults when its first weighted layer is a convolution). step_size and threshold are
    the table's; for a standardising MLP, train scales them by the data."""
    d = json.loads(gocall(capi.Defaults, json.dumps({"energy": energy, "layers": layers})))
    return {k: _plain(v) for k, v in d.items()}
