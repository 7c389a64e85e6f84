"""Toy data sets in two dimensions, each seeded and with a documented density (see the Go
package anila/data for the exact definitions)."""

from __future__ import annotations

import numpy as np

from ._lib import capi, cfunc, ptr
from ._validate import check_int, check_seed

#: Names of the toy data sets.
TOY_NAMES = tuple(capi.ToyNames())


def toy(name: str, n: int, seed: int = 0) -> np.ndarray:
    """n points of the named toy set as a float32 array (n, 2); see TOY_NAMES."""
    if not isinstance(name, str) or name not in TOY_NAMES:
        raise ValueError(f"name must be one of {list(TOY_NAMES)}, got {name!r}")
    n = check_int("n", n, 0, 1 << 26)
    seed = check_seed(seed)
    out = np.empty((n, 2), dtype=np.float64)
    if n:
        cfunc("anila_toy", name.encode(), n, seed, ptr(out))
    return out.astype(np.float32)


def log_density(name: str, X) -> np.ndarray:
    """The true log density of the named toy set at the points X (n, 2), in float64: closed
    forms where they exist (8 and 25 Gaussians, checkerboard), otherwise exact up to a
    4,000-point quadrature (rings, two spirals, two moons) or a root finder (pinwheel).
    −inf where the density is 0 (off the checkerboard)."""
    from ._toy_density import DENSITIES
    from ._validate import as_points

    if name not in DENSITIES:
        raise ValueError(f"name must be one of {sorted(DENSITIES)}, got {name!r}")
    return DENSITIES[name](as_points(X, "X", np.float64, 2))


def rings(n: int, seed: int = 0) -> np.ndarray:
    """Four concentric rings (radii 0.75, 1.5, 2.25, 3; noise sd 0.08)."""
    return toy("rings", n, seed)


def eight_gaussians(n: int, seed: int = 0) -> np.ndarray:
    """Eight Gaussians (sd 0.354) on a circle of radius 2.83."""
    return toy("8gaussians", n, seed)


def twentyfive_gaussians(n: int, seed: int = 0) -> np.ndarray:
    """25 Gaussians (sd 0.1) on the grid {-3, -1.5, 0, 1.5, 3}²."""
    return toy("25gaussians", n, seed)


def two_spirals(n: int, seed: int = 0) -> np.ndarray:
    """Two interleaved spirals (noise sd 0.15)."""
    return toy("2spirals", n, seed)


def checkerboard(n: int, seed: int = 0) -> np.ndarray:
    """Uniform on the 8 dark squares of a 4×4 board on [-4, 4]²."""
    return toy("checkerboard", n, seed)


def pinwheel(n: int, seed: int = 0) -> np.ndarray:
    """Five curved arms of a pinwheel."""
    return toy("pinwheel", n, seed)


def two_moons(n: int, seed: int = 0) -> np.ndarray:
    """Two interleaved half circles (noise sd 0.1)."""
    return toy("moons", n, seed)


#: Where Debian's dataset-fashion-mnist package puts the files (`make test` installs it).
FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"


def _load_images(kind: str, paths, return_labels: bool, size: int = 0):
    import json
    import os

    from ._lib import close_handle, go_strings, gocall

    paths = [os.fspath(p) for p in paths]
    for p in paths:
        if not os.path.exists(p):
            raise FileNotFoundError(f"no such file: {p!r}")
    h = gocall(capi.LoadImages, kind, go_strings(paths), size)
    try:
        meta = json.loads(gocall(capi.ImagesMeta, h))
        shape = (meta["n"], *meta["shape"])
        out = np.empty(shape, dtype=np.float32)
        labels = np.empty(meta["n"], dtype=np.uint8) if meta["labels"] else None
        cfunc("anila_images_copy", h, ptr(out), out.size, None if labels is None else ptr(labels))
    finally:
        close_handle(h)
    return (out, labels) if return_labels else out


def idx(images_path, labels_path=None, return_labels: bool = False):
    """Read an IDX file of bytes (MNIST format, gzipped or not) as float32 scaled to [-1, 1],
    shape (N, ...) as stored; with labels_path and return_labels, also the uint8 labels."""
    paths = [images_path] + ([labels_path] if labels_path is not None else [])
    return _load_images("idx", paths, return_labels)


def fashion_mnist(split: str = "train", path: str = FASHION_MNIST_DIR, return_labels: bool = False):
    """Fashion-MNIST from Debian's dataset-fashion-mnist package (or `path`): images
    (N, 28, 28) float32 in [-1, 1]; split is "train" (60,000) or "test" (10,000)."""
    import os

    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    stem = "train" if split == "train" else "t10k"
    img = os.path.join(path, f"{stem}-images-idx3-ubyte.gz")
    lab = os.path.join(path, f"{stem}-labels-idx1-ubyte.gz")
    if not os.path.exists(img):
        raise FileNotFoundError(f"Fashion-MNIST not found at {img!r}: install Debian's "
                                "dataset-fashion-mnist package (make setup does) or pass path=")
    return _load_images("idx", [img, lab], return_labels)


def digits(size: int = 28, return_labels: bool = False):
    """scikit-learn's 1,797 handwritten digits (8×8, shipped inside its wheel: offline),
    resized bilinearly to size×size and scaled to [-1, 1] like `fashion_mnist`: images
    (1797, size, size) float32. An out-of-distribution set for Fashion-MNIST models. Needs
    scikit-learn."""
    import importlib.util
    import os

    if not isinstance(size, int) or size < 2:
        raise ValueError(f"size must be an int >= 2, got {size!r}")
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("digits() needs scikit-learn's data file: pip install scikit-learn")
    # read the file scikit-learn's load_digits reads, without importing scikit-learn (whose
    # import takes seconds)
    path = os.path.join(spec.submodule_search_locations[0], "datasets", "data", "digits.csv.gz")
    raw = np.loadtxt(path, delimiter=",")
    img = raw[:, :64].reshape(-1, 8, 8) / 16.0  # (n, 8, 8) in [0, 1]
    target = raw[:, 64].astype(np.uint8)
    # bilinear resampling with pixel centres aligned
    src = (np.arange(size) + 0.5) * 8 / size - 0.5
    i0 = np.clip(np.floor(src).astype(int), 0, 7)
    i1 = np.clip(i0 + 1, 0, 7)
    w = np.clip(src - i0, 0, 1)
    rows = img[:, i0, :] * (1 - w)[None, :, None] + img[:, i1, :] * w[None, :, None]
    out = rows[:, :, i0] * (1 - w)[None, None, :] + rows[:, :, i1] * w[None, None, :]
    out = (2 * out - 1).astype(np.float32)
    return (out, target) if return_labels else out


def cifar10(path, return_labels: bool = False):
    """CIFAR-10 from its binary batches: path is a folder (all data_batch_*.bin) or a list
    of .bin files; images (N, 3, 32, 32) float32 in [-1, 1]."""
    import glob
    import os

    if isinstance(path, (str, os.PathLike)) and os.path.isdir(path):
        files = sorted(glob.glob(os.path.join(path, "data_batch_*.bin")))
        if not files:
            raise FileNotFoundError(f"no data_batch_*.bin files in {os.fspath(path)!r}")
    elif isinstance(path, (str, os.PathLike)):
        files = [path]
    else:
        files = list(path)
    return _load_images("cifar10", files, return_labels)


def image_folder(path, size: int):
    """Every JPEG and PNG below the folder `path` (sorted by path), resized so that the
    shorter side is `size` and centre-cropped to size×size: (N, 3, size, size) float32 in
    [-1, 1]. Oxford Flowers is read this way."""
    import os

    size = check_int("size", size, 1, 4096)
    if not os.path.isdir(path):
        raise FileNotFoundError(f"no such folder: {os.fspath(path)!r}")
    return _load_images("folder", [path], False, size)
