"""Image input for the estimators: validation, shape resolution and devices.

Shared by :class:`~skwavpool.HaarMRDTransformer` and
:class:`~skwavpool.WavPoolClassifier`, so both read images the same way.
"""

from __future__ import annotations

import math
import sys
import warnings

import numpy as np
import torch
from sklearn.utils.validation import validate_data

# The estimators read their image_shape parameter (when not None) as the modules do.
from skwavpool._checks import check_image_shape_param as check_image_shape

# Integer arrays that validate_images(..., keep_integers=True) returns as they are.
_INTEGER_DTYPES = [np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.int64, np.uint64]

# A last axis of this length, after a first one that is not, suggests channels-last images.
_CHANNEL_COUNTS = (1, 3, 4)


def _divisor_shape(n_features):
    """``(h, w)`` with ``h * w == n_features`` and ``h`` the largest divisor of
    ``n_features`` not above its square root: ``(s, s)`` for a perfect square."""
    h = max(math.isqrt(n_features), 1)
    while n_features % h:
        h -= 1
    return h, n_features // h


def _guess_shape(sample_shape, n_features):
    """``(C, H, W)`` for samples of ``sample_shape`` (None for flat rows of
    ``n_features`` values) when no ``image_shape`` is given, warning when the
    layout is a guess that may misread the images."""
    # stacklevel 4 names the line that called the estimator's fit.
    if sample_shape is None:
        h, w = _divisor_shape(n_features)
        if h != w:
            flat = " (images one pixel high, which have no Haar level)" if h == 1 else ""
            warnings.warn(
                f"X's rows of {n_features} values are read as single-channel {h}x{w} images{flat}: "
                f"image_shape_=(1, {h}, {w}), a guess since {n_features} is not a perfect square. "
                f"Pass image_shape=(H, W) or (C, H, W) to say how the rows are laid out.",
                UserWarning,
                stacklevel=4,
            )
        return 1, h, w
    if len(sample_shape) == 2:
        return (1, *sample_shape)
    channels, height, width = sample_shape
    if width in _CHANNEL_COUNTS and channels not in _CHANNEL_COUNTS:
        warnings.warn(
            f"X's samples of shape {tuple(sample_shape)} are read as (C, H, W): {channels} channels of "
            f"{height}x{width} images, image_shape_={tuple(sample_shape)}. If they are channels-last "
            f"(H, W, C) images, pass X.transpose(0, 3, 1, 2); to keep this reading without the "
            f"warning, pass image_shape={tuple(sample_shape)}.",
            UserWarning,
            stacklevel=4,
        )
    return tuple(sample_shape)


def _check_float32_range(X, estimator):
    """Raise unless the float64 array ``X`` fits in float32, which the estimator computes in."""
    largest = float(np.finfo(np.float32).max)
    if X.size and (X.max() > largest or X.min() < -largest):
        raise ValueError(
            f"X holds values beyond float32's range (largest magnitude {max(X.max(), -X.min()):.3g}, "
            f"float32's is {largest:.3g}); {type(estimator).__name__} computes in float32, so scale X "
            f"first, e.g. with sklearn.preprocessing.StandardScaler."
        )


def validate_images(
    estimator, X, y="no_validation", *, reset, image_shape=None, float32=False, keep_integers=False, **y_params
):
    """Validate ``X`` and return it as an array of images ``(n, C, H, W)``.

    With ``y``, validate it too (as :func:`~sklearn.utils.validation.validate_data`
    does, with ``y_params`` such as ``y_numeric=True`` or ``multi_output=True``)
    and return ``(images, y)``.

    ``X`` is 2-D ``(n, n_features)``, 3-D ``(n, H, W)`` or 4-D ``(n, C, H, W)``.
    Values are checked by :func:`sklearn.utils.validation.validate_data` on
    the flattened rows, so ``n_features_in_`` counts every pixel.

    The images come back as float32 for float32 ``X`` and float64 otherwise;
    all float32 with ``float32=True``, for an estimator that computes in
    float32: float64 values beyond float32's range, which would become
    infinite, then raise a ValueError. With ``keep_integers=True``, integer
    ``X`` comes back with its own dtype, for a caller that converts it batch
    by batch.

    With ``reset=True`` the layout is resolved and stored on the estimator:
    ``image_shape_`` as ``(C, H, W)`` and ``input_shape_``, the shape of one
    sample as given, so that outputs can be shaped back. Without an
    ``image_shape``, 3-D input is one channel, 4-D input is read as is, and
    2-D rows of ``n`` features are single-channel ``(h, n // h)`` images with
    ``h`` the largest divisor of ``n`` not above ``sqrt(n)``: 64 features are
    8x8, 784 are 28x28, 10 are 2x5. A UserWarning names the shape chosen when
    it is a guess: rows whose length is not a perfect square, and 4-D samples
    that look channels-last (a last axis of 1, 3 or 4 after a first that is not).
    """
    ndim = X.ndim if hasattr(X, "ndim") else np.ndim(X) if isinstance(X, (list, tuple)) else 2
    sample_shape = None
    if ndim > 2:
        if ndim > 4:
            raise ValueError(
                f"X must be 2-D (n_samples, n_features), 3-D (n_samples, H, W) or "
                f"4-D (n_samples, C, H, W); got {ndim} dimensions."
            )
        X = np.asarray(X)
        sample_shape = X.shape[1:]
        X = X.reshape(X.shape[0], -1)
    # Integers are accepted as they are when they are kept, and when they become
    # float32: either way without a float64 copy of the whole array.
    dtypes = [np.float64, np.float32] + (_INTEGER_DTYPES if float32 or keep_integers else [])
    try:
        out = validate_data(estimator, X, y, reset=reset, dtype=dtypes, **y_params)
    except ValueError as exc:
        if "could not convert" in str(exc):
            raise ValueError(f"X must hold numbers: {exc}") from exc
        if "Complex data" in str(exc):  # sklearn's message goes on with the whole array
            raise ValueError("X must hold real numbers: Complex data not supported.") from exc
        raise
    except TypeError as exc:  # objects that float() refuses
        raise TypeError(f"X must hold numbers: {exc}") from exc
    with_y = not (isinstance(y, str) and y == "no_validation")
    X, y = out if with_y else (out, y)
    if float32 and X.dtype != np.float32 and not (keep_integers and X.dtype.kind in "iu"):
        if X.dtype == np.float64:
            _check_float32_range(X, estimator)
        X = X.astype(np.float32)

    if reset:
        own = None if sample_shape is None else sample_shape if len(sample_shape) == 3 else (1, *sample_shape)
        if image_shape is not None:
            shape = check_image_shape(image_shape)
            # Images come with their own shape; a different one would silently
            # regroup their pixels.
            if own is not None and shape != own:
                raise ValueError(
                    f"image_shape={image_shape!r} does not match X's images of shape {tuple(sample_shape)}; "
                    f"image_shape is for flat 2-D rows, leave it None for 3-D or 4-D X."
                )
        else:
            shape = _guess_shape(sample_shape, X.shape[1])
        if math.prod(shape) != X.shape[1]:
            raise ValueError(
                f"image_shape={image_shape!r} holds {math.prod(shape)} values per "
                f"image, but X has {X.shape[1]} features per sample."
            )
        estimator.image_shape_ = shape
        estimator.input_shape_ = tuple(sample_shape) if sample_shape else (X.shape[1],)
    elif sample_shape is not None and sample_shape != estimator.input_shape_:
        raise ValueError(
            f"X has samples of shape {sample_shape}, but {type(estimator).__name__} "
            f"was fitted on samples of shape {estimator.input_shape_}."
        )
    images = X.reshape(X.shape[0], *estimator.image_shape_)
    return (images, y) if with_y else images


def is_dask_array(X):
    """Whether ``X`` is a ``dask.array.Array`` (without importing dask)."""
    dask_array = sys.modules.get("dask.array")
    return dask_array is not None and isinstance(X, dask_array.Array)


def check_dask_images(estimator, X):
    """Check a dask array's layout against the fitted estimator, without computing it.

    Its values (NaN, infinity) are checked chunk by chunk when it is computed.
    """
    expected = estimator.input_shape_
    if X.ndim not in (2, 3, 4) or (X.ndim == 2 and X.shape[1:] != (estimator.n_features_in_,)) or (
        X.ndim > 2 and X.shape[1:] != expected
    ):
        raise ValueError(
            f"X has samples of shape {X.shape[1:]}, but {type(estimator).__name__} was fitted on "
            f"samples of shape {expected} ({estimator.n_features_in_} features)."
        )
    if X.dtype.kind not in "biuf":
        raise TypeError(f"X must hold real numbers, got a dask array of dtype {X.dtype}.")


def map_sample_chunks(function, X, sample_shape):
    """Lazily apply ``function`` (numpy in, numpy out) to each chunk of samples
    of the dask array ``X``; ``function`` returns samples of ``sample_shape``,
    float32 for float32 input and float64 otherwise."""
    X = X.rechunk({axis: -1 for axis in range(1, X.ndim)})  # whole samples in every chunk
    ndim = 1 + len(sample_shape)
    dtype = np.float32 if X.dtype == np.float32 else np.float64
    return X.map_blocks(
        function,
        drop_axis=list(range(ndim, X.ndim)),
        new_axis=list(range(X.ndim, ndim)) or None,
        chunks=(X.chunks[0], *((size,) for size in sample_shape)),
        dtype=dtype,
        meta=np.empty((0,) * ndim, dtype=dtype),
    )


def resolve_device(device):
    """``torch.device`` for a ``device`` parameter; ``"auto"`` picks CUDA when
    available, else Apple's MPS when available, else the CPU."""
    if device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("mps" if torch.backends.mps.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(f"device must be 'auto' or a torch device name, got {device!r}.") from exc
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} was asked for, but CUDA is not available.")
    if resolved.type == "meta":
        raise ValueError("device='meta' holds no values, so it cannot compute coefficients or scores.")
    try:
        torch.empty(0, device=resolved)
    except Exception as exc:  # each backend fails its own way: RuntimeError, AssertionError, ImportError
        raise ValueError(f"device={device!r} cannot be used here: {exc}") from exc
    return resolved


def as_tensor(array, device):
    """Tensor view of a numpy array (no copy on the CPU), moved to ``device``.

    Read-only arrays (memory maps, joblib's shared inputs) are viewed too: torch
    warns because it cannot protect them, but they are only ever read here.
    """
    if any(stride < 0 for stride in array.strides):  # flipped views, which torch cannot view
        array = array.copy()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
        return torch.from_numpy(array).to(device)
