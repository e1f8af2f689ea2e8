"""The multi-resolution Haar decomposition as a scikit-learn transformer."""

from __future__ import annotations

from numbers import Integral
from typing import ClassVar

import numpy as np
import torch
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import check_array
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from skwavpool._images import (
    as_tensor,
    check_dask_images,
    is_dask_array,
    map_sample_chunks,
    resolve_device,
    validate_images,
)
from skwavpool.haar import MODES, _check_levels, haar_imrd_packed, haar_mrd_packed, mrd_shapes

__all__ = ["HaarMRDTransformer"]

_BAND_KINDS = ("a", "h", "v", "d")


class HaarMRDTransformer(TransformerMixin, BaseEstimator):
    """Multi-level 2-D Haar decomposition of images, flattened into features.

    Each image is decomposed with :func:`skwavpool.haar.haar_mrd` and its
    coefficient arrays are concatenated in ``pywt.wavedec2`` order
    (``cA_n, cH_n, cV_n, cD_n, ..., cH_1, cV_1, cD_1``), each array of shape
    ``(C, h, w)`` flattened. The result equals
    ``np.hstack([c.reshape(n, -1) for c in flatten(pywt.wavedec2(X, "haar",
    mode=mode, level=levels, axes=(-2, -1)))])`` to float rounding, and
    :meth:`inverse_transform` gives the images back exactly.

    Parameters
    ----------
    levels : int or None, default=None
        Decomposition depth; ``None`` is the deepest possible,
        ``floor(log2(min(H, W)))``.
    mode : str, default="symmetric"
        Signal extension for odd sides, a PyWavelets mode name (see
        :data:`skwavpool.haar.MODES`).
    image_shape : tuple of int or None, default=None
        ``(H, W)`` or ``(C, H, W)`` of one image, to read flat rows as images;
        with 3-D or 4-D input it may only restate the images' own shape.
        Without it, 3-D input ``(n, H, W)`` is single-channel, 4-D input
        ``(n, C, H, W)`` is read as is, and 2-D rows of ``n_features`` values are
        single-channel ``(h, n_features // h)`` images, ``h`` the largest divisor
        of ``n_features`` not above its square root (64 -> 8x8, 784 -> 28x28).
        :meth:`fit` warns when that reading is a guess: rows whose length is
        not a perfect square (3072 values become one 48x64 image, not 3x32x32),
        and 4-D samples that look channels-last, such as ``(32, 32, 3)``, which
        ``X.transpose(0, 3, 1, 2)`` turns into ``(C, H, W)``.
    bands : str or None, default=None
        Which kinds of band to output, a string of ``"a"`` (approximation),
        ``"h"``, ``"v"``, ``"d"`` (horizontal, vertical, diagonal details), e.g.
        ``"hvd"`` for the details only; ``None`` keeps all. With some bands
        dropped, :meth:`inverse_transform` takes them as zero.
    device : str, default="cpu"
        Where torch computes: ``"cpu"``, ``"cuda"``, ``"cuda:1"``... or ``"auto"``
        (CUDA when available). Inputs and outputs stay numpy arrays.
    batch_size : int or None, default=None
        Images sent to the device per call; ``None`` sends all at once. On the
        CPU the coefficients are written straight into the output array and
        the engine works in chunks of a few MiB, so for float input peak
        memory is the input plus the output plus a few MiB whatever this says.
        Integer input adds a float64 copy of one batch, made on the device. On
        a GPU, with some ``bands`` dropped, or for integer input, set it to
        bound the memory on large inputs.

    Attributes
    ----------
    levels_ : int
        The number of levels used.
    image_shape_ : tuple of int
        ``(C, H, W)`` of one image.
    input_shape_ : tuple of int
        Shape of one sample as passed to :meth:`fit`; :meth:`inverse_transform`
        returns samples of this shape.
    n_features_in_ : int
        Number of values per sample.
    feature_names_in_ : ndarray of str
        Column names of a DataFrame passed to :meth:`fit`.

    See Also
    --------
    skwavpool.haar.haar_mrd : The torch function behind it.

    Notes
    -----
    Values are not rescaled, as in scikit-learn: 8-bit images of 0..255 give
    coefficients up to ``255 * 2**levels`` in the approximation band. Models
    downstream usually want them scaled: divide ``X`` by 255 first, or put a
    :class:`~sklearn.preprocessing.StandardScaler` after the transformer.
    Integer input gives float64 coefficients. The approximation band grows
    by a factor of 2 per level, so float32 input with magnitudes above about
    ``3.4e38 / 2**levels`` (float32's largest value, 3.4e38) can overflow to
    infinity, as in PyWavelets; pass such data as float64.

    A ``dask.array.Array`` passed to :meth:`transform` or
    :meth:`inverse_transform` gives a dask array back, lazily: each chunk of
    samples is transformed when it is computed, so arrays larger than memory
    go through chunk by chunk. :meth:`fit` reads only its shape and its first
    sample; NaN and infinity are caught chunk by chunk, at compute time.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skwavpool import HaarMRDTransformer
    >>> X, y = load_digits(return_X_y=True)
    >>> mrd = HaarMRDTransformer(image_shape=(8, 8)).fit(X)
    >>> Xt = mrd.transform(X)
    >>> Xt.shape, mrd.levels_
    ((1797, 64), 3)
    >>> mrd.get_feature_names_out()[:6].tolist()
    ['a3_0_0', 'h3_0_0', 'v3_0_0', 'd3_0_0', 'h2_0_0', 'h2_0_1']
    >>> bool(abs(mrd.inverse_transform(Xt) - X).max() < 1e-12)
    True
    """

    _parameter_constraints: ClassVar[dict] = {
        "levels": [Interval(Integral, 0, None, closed="left"), None],
        "mode": [StrOptions(set(MODES))],
        "image_shape": [tuple, list, None],
        "bands": [str, None],
        "device": [str, torch.device],
        "batch_size": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(
        self,
        *,
        levels=None,
        mode="symmetric",
        image_shape=None,
        bands=None,
        device="cpu",
        batch_size=None,
    ):
        self.levels = levels
        self.mode = mode
        self.image_shape = image_shape
        self.bands = bands
        self.device = device
        self.batch_size = batch_size

    def fit(self, X, y=None):
        """Check the parameters against the images in ``X`` and store the layout.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), (n_samples, H, W) or \
(n_samples, C, H, W)
            Images.
        y : None
            Ignored.

        Returns
        -------
        self : HaarMRDTransformer
        """
        self._validate_params()
        if self.bands is not None and (not self.bands or set(self.bands) - set(_BAND_KINDS)):
            raise ValueError(f"bands must be None or a string of 'a', 'h', 'v', 'd', got {self.bands!r}.")
        resolve_device(self.device)
        # Fitting needs the layout only: a dask array's first sample tells it.
        validate_images(
            self, X[:1].compute() if is_dask_array(X) else X, reset=True, image_shape=self.image_shape, keep_integers=True
        )
        self.levels_ = _check_levels(self.levels, self.image_shape_[1:])
        return self

    def _band_layout(self):
        """``(kind, level, h, w)`` of each band, in output order."""
        shapes = mrd_shapes(self.image_shape_[1:], self.levels_)
        layout = [("a", self.levels_, *shapes[-1])]
        for level in range(self.levels_, 0, -1):
            layout += [(kind, level, *shapes[level]) for kind in "hvd"]
        return layout

    def _kept_columns(self):
        """Boolean mask over all coefficient columns of the bands kept."""
        channels = self.image_shape_[0]
        keep = self.bands or "".join(_BAND_KINDS)
        return np.concatenate(
            [np.full(channels * h * w, kind in keep) for kind, _, h, w in self._band_layout()]
        )

    def _batches(self, n):
        step = self.batch_size or max(n, 1)
        return [slice(i, i + step) for i in range(0, n, step)]

    def transform(self, X):
        """Haar coefficients of each image, one row per image.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), (n_samples, H, W) or \
(n_samples, C, H, W)
            Images of the shape seen in :meth:`fit`.

        Returns
        -------
        Xt : ndarray of shape (n_samples, n_features_out)
            Coefficients in ``pywt.wavedec2`` order, float32 for float32 ``X``
            and float64 for any other (integers included); a lazy dask
            array, chunked along samples as ``X``, for a dask array ``X``.
        """
        check_is_fitted(self)
        kept = self._kept_columns()
        if is_dask_array(X):
            check_dask_images(self, X)
            return map_sample_chunks(self.transform, X, (int(kept.sum()),))
        # Integer images stay integers here and become float64 batch by batch,
        # on the device, so that their float copy is one batch, not the whole array.
        images = validate_images(self, X, reset=False, keep_integers=True)
        float32 = images.dtype == np.float32
        device = resolve_device(self.device)
        out = np.empty((images.shape[0], int(kept.sum())), dtype=np.float32 if float32 else np.float64)
        with torch.no_grad():
            for rows in self._batches(images.shape[0]):
                batch = as_tensor(images[rows], device).to(torch.float32 if float32 else torch.float64)
                if device.type == "cpu" and self.bands is None:
                    # Straight into the output: no batch-sized temporary.
                    haar_mrd_packed(batch, self.levels_, self.mode, out=torch.from_numpy(out[rows]))
                    continue
                coeffs = haar_mrd_packed(batch, self.levels_, self.mode).cpu().numpy()
                out[rows] = coeffs if self.bands is None else coeffs[:, kept]
        return out

    def inverse_transform(self, X):
        """Images from their coefficients; dropped ``bands`` count as zero.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features_out)
            Coefficients as :meth:`transform` returns them.

        Returns
        -------
        X_original : ndarray of shape ``(n_samples, *input_shape_)``
            The images, shaped as the samples passed to :meth:`fit`; a lazy
            dask array for a dask array ``X``.
        """
        check_is_fitted(self)
        kept = self._kept_columns()
        if is_dask_array(X):
            if X.ndim != 2 or X.shape[1] != kept.sum():
                raise ValueError(
                    f"X must have shape (n_samples, {int(kept.sum())}), got a dask array of shape {X.shape}."
                )
            return map_sample_chunks(self.inverse_transform, X, self.input_shape_)
        X = check_array(X, dtype=[np.float64, np.float32], input_name="X")
        if X.shape[1] != kept.sum():
            raise ValueError(
                f"X has {X.shape[1]} features, but {type(self).__name__}.inverse_transform "
                f"expects {int(kept.sum())} coefficients per sample."
            )
        device = resolve_device(self.device)
        out = np.empty((X.shape[0], *self.input_shape_), dtype=X.dtype)
        with torch.no_grad():
            for rows in self._batches(X.shape[0]):
                coeffs = np.zeros((len(X[rows]), kept.size), dtype=X.dtype)
                coeffs[:, kept] = X[rows]
                images = haar_imrd_packed(as_tensor(coeffs, device), self.image_shape_, self.levels_)
                out[rows] = images.cpu().numpy().reshape(-1, *self.input_shape_)
        return out

    def get_feature_names_out(self, input_features=None):
        """Names of the output columns.

        ``<band><level>_<row>_<col>``, level 1 the finest: ``a3_0_0`` is the
        coarsest approximation, ``h1_3_5`` a horizontal detail of level 1 at
        row 3, column 5. Images with several channels get a channel prefix,
        ``c2_h1_3_5``.

        Parameters
        ----------
        input_features : None
            Ignored; present for API consistency.

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self)
        channels = self.image_shape_[0]
        names = []
        for kind, level, h, w in self._band_layout():
            if self.bands is not None and kind not in self.bands:
                continue
            for c in range(channels):
                prefix = f"c{c}_" if channels > 1 else ""
                names += [f"{prefix}{kind}{level}_{i}_{j}" for i in range(h) for j in range(w)]
        return np.asarray(names, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
