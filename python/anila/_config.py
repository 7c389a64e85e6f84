"""The parameters of `anila.train` and `anila.EBM`: defaults, validation, and conversion to
the Go option structs."""

from __future__ import annotations

import json
import sys

import numpy as np

from ._lib import capi, go_floats, go_ints
from ._validate import check_bool, check_choice, check_float, check_int, check_seed

#: The parameter table from anila's Go core (capi.Schema): every parameter's kind, defaults
#: for point data and for images, bounds, choices and doc. Defaults, bounds and choices live
#: there only; everything below is derived from it.
SCHEMA = {p["name"]: p for p in json.loads(capi.Schema())}


def _choices(name: str) -> tuple:
    return tuple(SCHEMA[name]["choices"])


def _plain(v):
    return tuple(v) if isinstance(v, list) else v


SAMPLERS = _choices("sampler")
ANISOTROPY = _choices("anisotropy")
INITS = _choices("init")
OPTIMIZERS = _choices("optimizer")
ACTIVATIONS = _choices("activation")
ENERGIES = _choices("energy")
DTYPES = _choices("dtype")

#: The step size η and AniLA's threshold b when `step_size` or `threshold` is None (the same
#: for both samplers).
DEFAULT_STEP_SIZE = SCHEMA["step_size"]["default"]
DEFAULT_THRESHOLD = SCHEMA["threshold"]["default"]

#: Defaults of every training parameter (those of `anila.train` and `anila.EBM`); step_size
#: and threshold are None: the energy kind's values (DEFAULT_* or IMAGE_*).
DEFAULTS = {name: _plain(p["default"]) for name, p in SCHEMA.items()}
DEFAULTS.update(step_size=None, threshold=None)

#: Defaults that replace DEFAULTS' for the image energies (the Fashion-MNIST pilots in
#: docs/design.md: large steps with little noise, samples clamped to the data's range, a
#: small energy penalty, data noise, a slow optimizer).
IMAGE_DEFAULTS = {name: _plain(p["image_default"]) for name, p in SCHEMA.items()
                  if p["image_default"] != p["default"] and name not in ("step_size", "threshold")}

#: Step sizes η and AniLA's threshold b for the image energies when not given.
IMAGE_STEP_SIZE = SCHEMA["step_size"]["image_default"]
IMAGE_THRESHOLD = SCHEMA["threshold"]["image_default"]


def check_param(name: str, value):
    """value checked against the schema's kind and bounds for parameter name."""
    p = SCHEMA[name]
    if p["kind"] == "int":
        lo = None if p["min"] is None else int(p["min"])
        hi = None if p["max"] is None else int(p["max"])
        return check_int(name, value, lo, hi)
    if p["kind"] == "float":
        return check_float(name, value, p["min"], p["max"], lo_open=p["min_open"], hi_open=p["max_open"])
    if p["kind"] == "bool":
        return check_bool(name, value)
    if p["kind"] == "choice":
        return check_choice(name, value, tuple(p["choices"]))
    return value


def defaults_for(energy: str, layers=None) -> dict:
    """The defaults of every training parameter for an energy kind ("mlp", "convnet",
    "vanilla", or "layers" with its layer specs); step_size and threshold None mean the
    kind's values (DEFAULT_STEP_SIZE / IMAGE_STEP_SIZE, DEFAULT_THRESHOLD / IMAGE_THRESHOLD).
    Nets on images get the image defaults."""
    d = dict(DEFAULTS, energy=energy)
    if is_image({"energy": energy, "layers": layers}):
        d.update(IMAGE_DEFAULTS)
    return d


def is_image(p: dict) -> bool:
    """Whether the energy takes images (N, C, H, W): the conv presets, and "layers" nets
    whose first weighted layer is a convolution."""
    if p.get("energy") in ("convnet", "vanilla"):
        return True
    for s in p.get("layers") or () if p.get("energy") == "layers" else ():
        if isinstance(s, dict) and s.get("type") in ("conv2d", "linear"):
            return s["type"] == "conv2d"
    return False


def energy_layers(energy):
    """(layer specs, initial weights or None) of an energy given as an object: an
    anila.nn.Sequential (or layer) or a torch.nn.Module built from supported layers."""
    from . import nn

    if isinstance(energy, nn.Sequential):
        return energy.specs(), None
    if isinstance(energy, nn.Layer):
        return nn.Sequential(energy).specs(), None
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(energy, torch.nn.Module):
        from .torch import layers_of

        return layers_of(energy)
    raise TypeError(f"energy must be a name ({', '.join(repr(e) for e in ENERGIES[:-1])}), an anila.nn.Sequential "
                    f"or a torch.nn.Module, got {type(energy).__name__}")


def _check_layers(layers) -> list:
    if not isinstance(layers, (list, tuple)) or not layers or not all(isinstance(s, dict) for s in layers):
        raise TypeError(f"layers must be a non-empty list of layer specs (dicts), got {layers!r}; "
                        "pass energy=anila.nn.Sequential(...) instead")
    return [dict(s) for s in layers]


def resolve(params: dict) -> dict:
    """Validate training parameters (unknown names raise TypeError) and fill the defaults of
    the energy kind (`defaults_for`)."""
    unknown = sorted(set(params) - set(DEFAULTS))
    if unknown:
        raise TypeError(f"unknown parameter(s) {unknown}; known: {sorted(DEFAULTS)}")
    energy = params.get("energy", DEFAULTS["energy"])
    if not isinstance(energy, str):
        params = dict(params, energy="layers", layers=energy_layers(energy)[0])
        energy = "layers"
    energy = check_choice("energy", energy, ENERGIES)
    if energy == "layers":
        params = dict(params, layers=_check_layers(params.get("layers")))
    elif params.get("layers") is not None:
        raise ValueError(f"layers is for energy='layers' (or energy=anila.nn.Sequential(...)), not energy={energy!r}")
    image = is_image(params | {"energy": energy})
    p = defaults_for(energy, params.get("layers"))
    p.update(params)
    p["energy"] = energy
    if p["step_size"] is None:
        p["step_size"] = IMAGE_STEP_SIZE if image else DEFAULT_STEP_SIZE
    if p["threshold"] is None:
        p["threshold"] = IMAGE_THRESHOLD if image else DEFAULT_THRESHOLD
    for name in SCHEMA:  # numbers, flags and choices: kinds and bounds from Go's schema
        if name != "dtype":
            p[name] = check_param(name, p[name])
    hidden = p["hidden"]
    if isinstance(hidden, (int, str)) or not hasattr(hidden, "__iter__"):
        raise TypeError(f"hidden must be a sequence of layer widths, got {hidden!r}")
    p["hidden"] = tuple(check_int(f"hidden[{i}]", h, 1, 65536) for i, h in enumerate(hidden))
    if p["adjusted"] and p["noise_scale"] == 0:
        raise ValueError("noise_scale must be > 0 for an adjusted sampler, got 0.0")
    if p["clamp"] is not None:
        p["clamp"] = _box("clamp", p["clamp"], ("auto", "data"), "None ")
    p["noise_box"] = _box("noise_box", p["noise_box"], ("auto", "central", "data"))
    if p["init"] == "buffer" and p["buffer_size"] < p["batch_size"]:
        raise ValueError(f"buffer_size must be >= batch_size ({p['batch_size']}), got {p['buffer_size']}")
    betas = p["betas"]
    if isinstance(betas, str) or not hasattr(betas, "__len__") or len(betas) != 2:
        raise TypeError(f"betas must be a pair (beta1, beta2), got {betas!r}")
    p["betas"] = (check_float("betas[0]", betas[0], 0, 1, hi_open=True),
                  check_float("betas[1]", betas[1], 0, 1, hi_open=True))
    p["dtype"] = check_dtype(p["dtype"])
    p["seed"] = check_seed(p["seed"])
    return p


def _box(name: str, value, words: tuple, also: str = ""):
    """One of the words, or a pair (lo, hi) of finite floats with lo < hi."""
    if isinstance(value, str) and value in words:
        return value
    if isinstance(value, str) or not hasattr(value, "__len__") or len(value) != 2:
        choices = ", ".join(repr(w) for w in words)
        raise TypeError(f"{name} must be {choices}, {also}or a pair (lo, hi), got {value!r}")
    lo, hi = check_float(f"{name}[0]", value[0]), check_float(f"{name}[1]", value[1])
    if not lo < hi:
        raise ValueError(f"{name} must have lo < hi, got {value!r}")
    return (lo, hi)


def check_dtype(value) -> str:
    """'float32' or 'float64' from a name, a NumPy type or a dtype."""
    if not isinstance(value, str):
        try:
            value = np.dtype(value).name
        except TypeError:
            raise TypeError(f"dtype must be 'float32' or 'float64', got {value!r}") from None
    return check_choice("dtype", value, DTYPES)


def data_stats(X, p: dict) -> dict:
    """What the clamp and noise boxes and the input standardisation of parameters p need of
    the training data X (n, d): its count and range, and, for the 'central' noise box or a
    standardising MLP only, the per-coordinate mean and standard deviation (computed in
    float64; image data never needs them, and a float64 copy of an image set is large)."""
    stats = {"n": int(X.shape[0]), "min": float(X.min()), "max": float(X.max())}
    if _noise_box_kind(p) == "central" or standardizes(p) or (p["jump"] > 0 and not is_image(p)):
        X64 = np.asarray(X, dtype=np.float64)
        stats["mean"], stats["std"] = X64.mean(axis=0), X64.std(axis=0)
    return stats


def standardizes(p: dict) -> bool:
    """Whether a model of parameters p standardises its inputs: the MLP preset with
    standardize=True."""
    return bool(p["standardize"]) and p["energy"] == "mlp"


def standardize(p: dict, stats: dict, given: dict) -> None:
    """Set the input standardisation of a standardising MLP (`standardizes`) in p from the
    data's `data_stats`: the net sees (x − mean)/s, s the RMS of the coordinates' standard
    deviations (one scale, so the data's anisotropy stays). The step size and threshold not
    in the user's parameters `given` are per unit of s, so they become η·s² and b/s: Langevin
    on the data then moves exactly as on the standardised data, and training does not
    depend on the data's scale. It also keeps the data's standard deviation per coordinate,
    the unit of the jump's width in that coordinate."""
    s = data_scale(stats)
    if s is not None:
        p["_data_sd"] = [float(v) if v > 0 else s for v in stats["std"]]
    if not standardizes(p):
        return
    s = s or 1.0
    p["_in_shift"] = [float(v) for v in stats["mean"]]
    p["_in_scale"] = s
    if given.get("step_size") is None:
        p["step_size"] = p["step_size"] * s * s
    if given.get("threshold") is None:
        p["threshold"] = p["threshold"] / s


def data_scale(stats: dict):
    """The data's scale: the RMS of its coordinates' standard deviations (1 for constant
    data; None when the stats have no standard deviations, as for images)."""
    if "std" not in stats:
        return None
    sd = np.asarray(stats["std"], dtype=np.float64)
    s = float(np.sqrt(np.mean(sd * sd)))
    return s if s > 0 and np.isfinite(s) else 1.0


def pooled_stats(parts: list) -> dict:
    """The `data_stats` of the union of data sets from the stats of each (data-parallel
    training: one part per process)."""
    n = sum(q["n"] for q in parts)
    out = {"n": n, "min": min(q["min"] for q in parts), "max": max(q["max"] for q in parts)}
    if "mean" in parts[0]:
        mean = sum(q["n"] * q["mean"] for q in parts) / n
        var = sum(q["n"] * (q["std"] ** 2 + (q["mean"] - mean) ** 2) for q in parts) / n
        out["mean"], out["std"] = mean, np.sqrt(var)
    return out


def clamp_box(clamp, stats: dict) -> tuple[float, float]:
    """The clamp box from the data's `data_stats`: 'data' is the data's range, 'auto' widens
    it by 20% of its width on each side, None is no clamp."""
    if clamp is None:
        return 0.0, 0.0
    if clamp == "data":
        lo, hi = stats["min"], stats["max"]
        return (lo, hi) if lo < hi else (lo - 1e-6, hi + 1e-6)
    if clamp == "auto":
        lo, hi = stats["min"], stats["max"]
        w = max(hi - lo, 1e-6)
        return lo - 0.2 * w, hi + 0.2 * w
    return clamp


def noise_box(p: dict, stats: dict) -> tuple[float, float]:
    """The box of the uniform noise chains start and restart from, from the data's
    `data_stats`: 'central' is the data's central box [min_j (mean_j − sd_j), max_j (mean_j +
    sd_j)] over coordinates j (it trains better toy models than the full range;
    anila/train/trainer.go CentralBox has the measurements), 'data' the data's range; 'auto'
    is 'central' for MLPs and 'data' for the image energies (short-run EBMs start from noise
    over the pixel range)."""
    nb = _noise_box_kind(p)
    if nb == "data":
        lo, hi = stats["min"], stats["max"]
    elif nb == "central":
        m, s = stats["mean"], stats["std"]
        lo, hi = float((m - s).min()), float((m + s).max())
    else:
        return nb
    return (lo, hi) if lo < hi else (lo - 1.0, hi + 1.0)


def _noise_box_kind(p: dict):
    """The noise box setting with 'auto' resolved: 'central' for MLPs, 'data' for the image
    energies, else as given ('data', 'central' or a (lo, hi) pair)."""
    nb = p["noise_box"]
    if nb == "auto":
        return "data" if is_image(p) else "central"
    return nb


def sampler_options(p: dict, box=(0.0, 0.0)):
    """A Go SamplerOptions from resolved parameters."""
    s = capi.DefaultSamplerOptions()
    s.Sampler = p["sampler"]
    s.Adjusted = p["adjusted"]
    s.StepSize = p["step_size"]
    s.Threshold = p["threshold"]
    s.NoiseScale = p["noise_scale"]
    s.Anisotropy = p["anisotropy"]
    s.Channels = p["channels"]
    s.ClampLo, s.ClampHi = float(box[0]), float(box[1])
    return s


def model_options(p: dict, dim: int, noise_box=(0.0, 0.0), image_shape=None):
    """A Go Options from resolved parameters; image_shape (C, H, W) for the conv energies."""
    o = capi.DefaultOptions()
    o.Energy = p["energy"]
    if p["energy"] == "layers":
        o.Layers = json.dumps(p["layers"])
    o.Dim = int(dim)
    if image_shape is not None:
        o.Channels, o.Height, o.Width = (int(v) for v in image_shape)
    o.NF = p["nf"]
    o.Hidden = go_ints(p["hidden"])
    if p.get("_in_scale"):
        o.InShift, o.InScale = go_floats(p["_in_shift"]), float(p["_in_scale"])
    o.Activation = p["activation"]
    o.Slope = p["slope"]
    o.Dtype = p["dtype"]
    o.Steps = p["steps"]
    o.BatchSize = p["batch_size"]
    o.Init = p["init"]
    o.BufferSize = p["buffer_size"]
    o.Reinit = p["reinit"]
    o.Optimizer = p["optimizer"]
    o.LR = p["lr"]
    o.LRDecay = int(p["iterations"]) if p["lr_decay"] == "cosine" else 0
    o.LRFloor = p["lr_floor"]
    o.Beta1, o.Beta2 = p["betas"]
    o.Momentum = p["momentum"]
    o.ThresholdQuantile = p["threshold_quantile"]
    o.Jump = p["jump"]
    o.EMA = p["ema"]
    o.JumpWidth = go_floats(np.asarray(p.get("_data_sd", [1.0]), dtype=np.float64) * p["jump_width"])
    o.L2 = p["l2"]
    o.DataNoise = p["data_noise"]
    o.GradClip = p["grad_clip"]
    o.DataInit = p["data_init"]
    o.Recover = p["recover"]
    o.NoiseLo, o.NoiseHi = float(noise_box[0]), float(noise_box[1])
    o.Seed = p["seed"]
    return o
