"""A run's settings are resolved once, in Go, from one table: defaults, bounds and errors
follow the table; what depends on the data is derived there (standardisation, boxes)."""

import json

import numpy as np
import pytest

import anila
from anila._lib import capi
from conftest import FAST


@pytest.fixture
def table_bound():
    """Change a bound of Go's run table for one test (capi.SetParamBound), then restore it."""
    yield lambda name, which, v: capi.SetParamBound(name, which, float(v))
    capi.RestoreParamBounds()


def test_a_bound_changed_in_the_table_moves_go_and_python(rings, table_bound):
    """The table is the only copy of a bound: with its maximum of steps lowered to 50, Go
    refuses 60 with the table's new bound in the message Python raises, the parameter list
    Python documents shows it, and 50 itself still trains."""
    anila.new_model(2, steps=60)
    table_bound("steps", "max", 50)
    with pytest.raises(ValueError, match=r"^steps must be <= 50, got 60$"):
        anila.train(rings, steps=60, iterations=1, **{k: v for k, v in FAST.items() if k != "steps"})
    with pytest.raises(ValueError, match=r"^steps must be <= 50, got 60$"):
        anila.EBM(steps=60, iterations=1).fit(rings)
    assert next(p for p in anila.parameters() if p["name"] == "steps")["max"] == 50
    assert anila.new_model(2, steps=50).config["Steps"] == 50


def test_defaults_are_the_tables_and_reach_go():
    """A model made with no parameters has in Go's own configuration the table's defaults
    for its kind of data (images get the image column)."""
    table = {p["name"]: p for p in anila.parameters()}
    for energy, dim, col in (("mlp", 2, "default"), ("convnet", (1, 12, 12), "image_default")):
        c = anila.new_model(dim, energy=energy).config
        d = {k: table[k][col] for k in table}
        assert anila.model_defaults(energy)["lr"] == d["lr"]
        got = {"steps": c["Steps"], "batch_size": c["BatchSize"], "lr": c["LR"], "betas": [c["Beta1"], c["Beta2"]],
               "l2": c["L2"], "data_noise": c["DataNoise"], "ema": c["EMA"], "jump": c["Jump"], "init": c["Init"],
               "step_size": c["Sampler"]["StepSize"], "threshold": c["Sampler"]["Threshold"],
               "noise_scale": c["Sampler"]["NoiseScale"], "anisotropy": c["Sampler"]["Anisotropy"],
               "sampler": c["Sampler"]["Method"], "data_init": c["DataInit"]}
        assert got == {k: d[k] for k in got}, energy
    # the image and point columns differ where the pilots found other settings
    assert table["lr"]["default"] != table["lr"]["image_default"]


@pytest.mark.parametrize("params, exc, message", [
    (dict(steps=0), ValueError, r"^steps must be >= 1, got 0$"),
    (dict(steps=2.5), TypeError, r"^steps must be an integer, got 2.5$"),
    (dict(lr=float("nan")), ValueError, r"^lr must be finite, got nan$"),
    (dict(lr="fast"), TypeError, r"^lr must be a number, got 'fast'$"),
    (dict(sampler="stanley"), ValueError, r"sampler must be one of \['anila', 'hmc', 'sgld'\], got 'stanley'"),
    (dict(hidden=(16, 0)), ValueError, r"^hidden\[1\] must be >= 1, got 0$"),
    (dict(clamp=(1.0, 0.0)), ValueError, r"^clamp must have lo < hi"),
    (dict(seed=2**63), ValueError, r"^seed must be <= 9223372036854775807"),
    (dict(betas=(0.9,)), TypeError, r"^betas must be a pair"),
    (dict(hidden=object()), TypeError, r"^hidden must be a sequence of layer widths, got <object object"),
    (dict(colour=1), TypeError, r"^unknown parameter\(s\) \['colour'\]"),
])
def test_bad_parameters_name_themselves(rings, params, exc, message):
    with pytest.raises(exc, match=message):
        anila.train(rings, iterations=1, progress=False, **params)


def test_new_model_standardises_from_its_data():
    """new_model(standardize=True) with data standardises as train does (the flag used to be
    kept and ignored): the net sees (x − mean)/s with s the RMS of the coordinates' sd, and
    step_size and threshold left out are per unit of s. Without data the net sees x as it is.""" 
    X = np.random.default_rng(0).normal(size=(500, 3)) * [1.0, 4.0, 9.0] + [5.0, -2.0, 0.0]
    m = anila.new_model(3, data=X, seed=1)
    s = float(np.sqrt(np.mean(X.std(axis=0) ** 2)))
    np.testing.assert_allclose(m.arch["in_shift"], X.mean(axis=0), rtol=1e-12)
    assert m.arch["in_scale"] == pytest.approx(s, rel=1e-12)
    table = {p["name"]: p for p in anila.parameters()}
    assert m.params["step_size"] == pytest.approx(table["step_size"]["default"] * s * s, rel=1e-12)
    assert m.params["threshold"] == pytest.approx(table["threshold"]["default"] / s, rel=1e-12)
    # the same net on standardised inputs: energies of X equal energies of the identity-
    # standardised model on (X − mean)/s
    plain = anila.new_model(3, seed=1, dtype="float64")
    assert not plain.arch.get("in_scale")
    z = (X - X.mean(axis=0)) / s
    m64 = anila.new_model(3, data=X, seed=1, dtype="float64")
    np.testing.assert_allclose(m64.energy(X), plain.energy(z), rtol=1e-10, atol=1e-12)


def test_float_settings_equal_to_zero_survive():
    """Every float setting that equals 0 reaches Go as 0 and is reported as 0 (a dropped
    zero would come back as a default)."""
    zeros = dict(slope=0.0, l2=0.0, reinit=0.0, jump=0.0, ema=0.0, threshold_quantile=0.0, momentum=0.0,
                 data_noise=0.0, grad_clip=0.0, lr_floor=0.0, noise_scale=0.0)
    m = anila.new_model(2, activation="leakyrelu", **zeros)
    p = m.params
    assert {k: p[k] for k in zeros} == zeros
    assert m.arch["slope"] == 0.0


def test_sampling_settings_are_checked_by_the_table(small_model):
    with pytest.raises(ValueError, match=r"^step_size must be > 0.0, got 0.0$"):
        small_model.sample(4, steps=1, step_size=0.0)
    with pytest.raises(ValueError, match="anisotropy must be one of"):
        anila.sample(anila.energies.Gaussian(np.zeros(2), np.eye(2)), 4, steps=1, anisotropy="pixelwise")
    # None means the model's own sampler
    assert small_model.sample(4, steps=2, seed=3).shape == (4, 2)


def test_ranks_get_their_seed_and_share_of_the_buffer():
    """Go derives a data-parallel rank's seed (rank 0 keeps the run's) and buffer share."""
    assert anila.distributed.rank_seed(7, 0) == 7
    seeds = {anila.distributed.rank_seed(7, r) for r in range(64)}
    assert len(seeds) == 64  # distinct streams
    req = {"params": {"seed": 7, "buffer_size": 1000}, "shape": [2], "summary": [], "rank": 2, "ranks": 3}
    m = anila.Model(capi.NewModel(json.dumps(req)))
    assert m.config["BufferSize"] == 334 and m.config["Seed"] == anila.distributed.rank_seed(7, 2)
    assert m.params["buffer_size"] == 1000 and m.params["seed"] == 7
