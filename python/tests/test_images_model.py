"""Image energies from Python: (N, C, H, W) and (N, H, W) input, image-shaped output."""

import numpy as np
import pytest

import anila

IMG = dict(energy="convnet", nf=2, steps=3, batch_size=8, buffer_size=32, step_size=0.1,
           noise_scale=0.01, l2=0.01, progress=False)


@pytest.fixture(scope="module")
def images():
    rng = np.random.default_rng(0)
    return rng.uniform(-1, 1, size=(40, 2, 8, 8)).astype(np.float32)


@pytest.mark.parametrize("kind", ["convnet", "vanilla"])
def test_train_and_sample_images(images, kind):
    m = anila.train(images, iterations=3, seed=0, **{**IMG, "energy": kind})
    assert m.image_shape == (2, 8, 8) and m.dim == 128 and m.iteration == 3
    Z = m.sample(5, steps=2)
    assert Z.shape == (5, 2, 8, 8) and np.isfinite(Z).all()
    f = m.energy(images[:4])
    np.testing.assert_array_equal(f, m.energy(images[:4].reshape(4, -1)))
    g = m.energy_grad(images[:4])
    assert g.shape == (4, 2, 8, 8)
    with pytest.raises(ValueError, match="image shape"):
        m.energy(np.zeros((2, 3, 8, 8)))


def test_single_channel_and_pixel_anisotropy(images):
    gray = images[:, 0]
    m = anila.train(gray, iterations=2, seed=1, sampler="anila", anisotropy="pixel", threshold=0.01, **IMG)
    assert m.image_shape == (1, 8, 8)
    Z, info = m.sample(4, steps=2, return_info=True)
    assert Z.shape == (4, 1, 8, 8) and 0 < info["gamma_mean"] <= 0.1 + 1e-6  # float32 η
    m2 = anila.train(images, iterations=1, seed=1, anisotropy="pixel", **IMG)
    assert m2.config["Sampler"]["Channels"] == 2


def test_image_model_save_load(tmp_path, images):
    m = anila.train(images, iterations=2, seed=2, **IMG)
    m.save(tmp_path / "m.anila")
    back = anila.load(tmp_path / "m.anila")
    assert back.image_shape == (2, 8, 8)
    np.testing.assert_array_equal(back.energy(images[:3]), m.energy(images[:3]))


def test_bad_image_input(images):
    with pytest.raises(ValueError, match="images"):
        anila.train(images[:, 0, 0], iterations=1, **IMG)
    with pytest.raises(ValueError, match="nf must be"):
        anila.train(images, iterations=1, **{**IMG, "nf": 0})
    with pytest.raises(ValueError, match="leaves no output|vanilla"):
        anila.train(np.zeros((4, 1, 2, 3), np.float32), iterations=1, **{**IMG, "energy": "vanilla"})


def test_plot_grid(tmp_path, images):
    pytest.importorskip("matplotlib")
    import anila.plot

    p = tmp_path / "g.png"
    anila.plot.grid(images[:10, :1], path=str(p))
    assert p.stat().st_size > 2000
    anila.plot.grid(np.repeat(images[:4, :1], 3, axis=1), path=str(tmp_path / "rgb.png"))
    with pytest.raises(ValueError, match="images must be"):
        anila.plot.grid(images[:4])  # 2 channels


def test_image_defaults(images):
    d, toy = anila.model_defaults("convnet"), anila.model_defaults()
    assert d["noise_scale"] == 0.01 and d["clamp"] == "data" and d["anisotropy"] == "pixel"
    assert toy["noise_scale"] == 1.0 and toy["clamp"] == "auto"
    m = anila.train(images, energy="convnet", nf=2, iterations=1, batch_size=8, buffer_size=32, progress=False)
    p = m.params
    assert p["step_size"] == 1.0 and p["noise_scale"] == 0.01 and p["l2"] == d["l2"]
    s = m.config["Sampler"]
    assert (s["Lo"], s["Hi"]) == (float(images.min()), float(images.max()))  # the data's range
    assert m.config["Sampler"]["Channels"] == 2
    # what the caller gives wins over the image defaults
    m2 = anila.train(images, energy="convnet", nf=2, iterations=0, noise_scale=0.5, clamp=None, progress=False)
    s2 = m2.config["Sampler"]
    assert m2.params["noise_scale"] == 0.5 and m2.params["clamp"] is None and (s2["Lo"], s2["Hi"]) == (0.0, 0.0)
    with pytest.raises(ValueError, match="energy"):
        anila.model_defaults("resnet")


def test_new_model_for_images():
    m = anila.new_model((3, 8, 8), energy="vanilla", nf=2, seed=1)
    assert m.image_shape == (3, 8, 8) and m.sample(2, steps=1).shape == (2, 3, 8, 8)
    assert "vanilla nf=2 on 3x8x8" in repr(m)
    with pytest.raises(ValueError, match=r"image shape \(C, H, W\)"):
        anila.new_model(192, energy="vanilla")


def test_max_seconds_bounds_training():
    X = anila.datasets.rings(500, seed=0)
    # 20,000 iterations take tens of seconds; max_seconds stops after the chunk (about 0.2 s
    # of work) that passes the deadline
    m = anila.train(X, hidden=(16, 16), iterations=20_000, max_seconds=0.3, progress=False)
    assert 0 < m.iteration < 20_000 and m.history["seconds"].sum() < 0.3 + 2.0
    n = m.iteration
    m.fit_more(X, 20_000, max_seconds=0.2, progress=False)
    assert n < m.iteration < n + 20_000
    with pytest.raises(ValueError, match="max_seconds"):
        anila.train(X, iterations=1, max_seconds=0, progress=False)


def test_history_plot_overlays_runs(tmp_path, images):
    pytest.importorskip("matplotlib")
    runs = {s: anila.train(images, iterations=4, sampler=s, seed=0, **IMG) for s in ("sgld", "anila")}
    path = tmp_path / "h.png"
    fig = anila.plot.history(runs, fields=("gap", "grad_norm", "gamma_mean", "clipped"), path=str(path))
    assert path.stat().st_size > 1000
    axes = fig.axes
    assert len(axes) == 4 and len(axes[0].get_lines()) >= 2
    assert axes[0].get_legend() is not None
    with pytest.raises(ValueError, match="unknown history field"):
        anila.plot.history(runs["sgld"], fields=("nope",))
