"""Image data sets: IDX, Fashion-MNIST (Debian package), CIFAR-10, on small files in the
real formats written here."""

import gzip
import os
import struct

import numpy as np
import pytest

import anila


def write_idx(path, arr, zipped=False):
    arr = np.asarray(arr, dtype=np.uint8)
    head = bytes([0, 0, 8, arr.ndim]) + b"".join(struct.pack(">I", d) for d in arr.shape)
    raw = head + arr.tobytes()
    with (gzip.open if zipped else open)(path, "wb") as f:
        f.write(raw)


def test_idx_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, size=(5, 4, 3), dtype=np.uint8)
    lab = np.array([0, 3, 9, 1, 2], dtype=np.uint8)
    write_idx(tmp_path / "i.gz", img, zipped=True)
    write_idx(tmp_path / "l", lab)
    x, y = anila.datasets.idx(tmp_path / "i.gz", tmp_path / "l", return_labels=True)
    assert x.shape == (5, 4, 3) and x.dtype == np.float32
    np.testing.assert_allclose(x, img / 127.5 - 1, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(y, lab)


def test_idx_errors_name_file_and_offset(tmp_path):
    write_idx(tmp_path / "ok", np.zeros((3, 2, 2)))
    raw = (tmp_path / "ok").read_bytes()
    (tmp_path / "short").write_bytes(raw[:-3])
    with pytest.raises(ValueError, match=r"short.*truncated IDX data at offset"):
        anila.datasets.idx(tmp_path / "short")
    (tmp_path / "foreign").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 40)
    with pytest.raises(ValueError, match=r"foreign.*bad magic"):
        anila.datasets.idx(tmp_path / "foreign")
    with pytest.raises(FileNotFoundError):
        anila.datasets.idx(tmp_path / "missing")


def test_cifar10_folder(tmp_path):
    rng = np.random.default_rng(1)
    recs = []
    for k in range(4):
        recs.append(bytes([k % 10]) + rng.integers(0, 256, 3072, dtype=np.uint8).tobytes())
    (tmp_path / "data_batch_1.bin").write_bytes(b"".join(recs[:3]))
    (tmp_path / "data_batch_2.bin").write_bytes(recs[3])
    x, y = anila.datasets.cifar10(tmp_path, return_labels=True)
    assert x.shape == (4, 3, 32, 32) and x.dtype == np.float32
    np.testing.assert_array_equal(y, [0, 1, 2, 3])
    first = np.frombuffer(recs[0][1:], dtype=np.uint8).reshape(3, 32, 32)
    np.testing.assert_allclose(x[0], first / 127.5 - 1, atol=1e-6)
    (tmp_path / "bad.bin").write_bytes(recs[0] + recs[1][:100])
    with pytest.raises(ValueError, match=r"bad.bin.*truncated CIFAR-10 record at offset 3073"):
        anila.datasets.cifar10(tmp_path / "bad.bin")


def test_fashion_mnist_from_debian():
    if not os.path.exists(os.path.join(anila.datasets.FASHION_MNIST_DIR, "t10k-images-idx3-ubyte.gz")):
        pytest.skip("dataset-fashion-mnist is not installed (make test installs it)")
    x, y = anila.datasets.fashion_mnist("test", return_labels=True)
    assert x.shape == (10000, 28, 28) and x.dtype == np.float32
    assert x.min() == -1.0 and x.max() == 1.0
    assert set(np.unique(y)) == set(range(10))
    with pytest.raises(ValueError, match="split"):
        anila.datasets.fashion_mnist("valid")


def test_image_folder(tmp_path):
    pytest.importorskip("matplotlib")
    import matplotlib.image as mimg

    (tmp_path / "sub").mkdir()
    a = np.zeros((20, 40, 3), dtype=np.float32)
    a[:, :20, 0] = 1.0  # left half red
    a[:, 20:, 2] = 1.0  # right half blue
    mimg.imsave(tmp_path / "a.png", a)
    mimg.imsave(tmp_path / "sub" / "b.png", np.full((16, 16, 3), 0.5, dtype=np.float32))
    x = anila.datasets.image_folder(tmp_path, 10)
    assert x.shape == (2, 3, 10, 10) and x.dtype == np.float32
    assert x[0, 0, 5, 1] == 1.0 and x[0, 2, 5, 1] == -1.0 and x[0, 2, 5, 8] == 1.0
    assert np.allclose(x[1], x[1, 0, 0, 0], atol=0.02)
    (tmp_path / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\nbroken")
    with pytest.raises(ValueError, match="bad.png"):
        anila.datasets.image_folder(tmp_path, 10)
    with pytest.raises(ValueError, match="size must be"):
        anila.datasets.image_folder(tmp_path, 0)
