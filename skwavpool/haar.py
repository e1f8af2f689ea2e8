"""Multi-level 2-D Haar decomposition (MRD) and its inverse, in pure torch.

The results equal ``pywt.wavedec2(x, "haar", mode=mode, level=levels,
axes=(-2, -1))`` to float rounding, on any device, for any leading batch or
channel dimensions, and autograd flows through both directions.

One Haar step maps each 2x2 block ``[[p, q], [r, s]]`` of an image with even
sides to one coefficient in each of four half-size bands::

    approximation  A = (p + q + r + s) / 2
    horizontal     H = (p + q - r - s) / 2    (difference between rows)
    vertical       V = (p - q + r - s) / 2    (difference between columns)
    diagonal       D = (p - q - r + s) / 2

An odd side is first extended by one row or column as the signal-extension
``mode`` says (for Haar only the one extra sample matters), and the next level
decomposes ``A``. The 4x4 matrix of the step is symmetric and orthogonal, so
the inverse applies the same formulas to ``A, H, V, D`` to get back ``p, q, r,
s``, and crops the extended samples away.

This module computes exactly that, as whole-tensor torch expressions
(:func:`_haar_step`, :func:`_inverse_step`): the reference, differentiable any
number of times by construction. Two faster engines compute the same
coefficients, each in a private module of its own:

- :mod:`skwavpool._haar_passes` writes all coefficients into one buffer in
  place, a cache-sized chunk of images at a time, with a dense product for the
  smallest levels. It supports no autograd, and :func:`_use_passes` is the one
  place that chooses it: whenever no gradient is needed.
- :mod:`skwavpool._haar_compiled` hands the reference's own expressions to
  ``torch.compile``, for ``haar_mrd(..., compiled=True)``.

``benchmarks/bench_haar.py`` measures each engine against the reference and
batched PyWavelets.
"""

from __future__ import annotations

import math
import warnings
from numbers import Integral
from typing import NamedTuple

import torch

__all__ = [
    "MODES",
    "HaarMRD",
    "haar_imrd",
    "haar_imrd_packed",
    "haar_matrix",
    "haar_mrd",
    "haar_mrd_packed",
    "max_level",
    "mrd_shapes",
    "n_coefficients",
]

# Signal-extension modes, as in PyWavelets. For Haar only the one sample
# appended to a side of odd length n matters; it is a linear combination of
# samples of that side: (index, weight) pairs, a negative index counting from
# the end.
_EXTENSION = {
    "symmetric": ((-1, 1.0),),
    "periodization": ((-1, 1.0),),
    "constant": ((-1, 1.0),),
    "zero": (),
    "periodic": ((0, 1.0),),
    "reflect": ((-2, 1.0),),
    "antisymmetric": ((-1, -1.0),),
    "smooth": ((-1, 2.0), (-2, -1.0)),
    "antireflect": ((-1, 2.0), (-2, -1.0)),
}
#: The signal-extension modes :func:`haar_mrd` accepts.
MODES = tuple(_EXTENSION)


class HaarMRD(NamedTuple):
    """The result of :func:`haar_mrd`.

    Attributes
    ----------
    approx : torch.Tensor
        Approximation at the coarsest level, shape ``(..., h_n, w_n)``.
    details : tuple of (H, V, D) tensors
        Horizontal, vertical and diagonal detail bands per level, coarsest
        level first, as in ``pywt.wavedec2``: ``details[-1]`` is level 1, the
        finest, of shape ``(..., ceil(H / 2), ceil(W / 2))``.
    shape : tuple of int
        ``(H, W)`` of the decomposed images, so that the inverse can crop.
    """

    approx: torch.Tensor
    details: tuple[tuple[torch.Tensor, torch.Tensor, torch.Tensor], ...]
    shape: tuple[int, int]


def max_level(shape):
    """Deepest useful Haar level for images of ``shape=(H, W)``.

    The same as ``pywt.dwtn_max_level(shape, "haar")``: ``floor(log2(min(H, W)))``.

    Examples
    --------
    >>> from skwavpool.haar import max_level
    >>> max_level((28, 28)), max_level((32, 32)), max_level((7, 100))
    (4, 5, 2)
    """
    return max(int(min(shape)).bit_length() - 1, 0)


def mrd_shapes(shape, levels):
    """Band shapes ``(h_l, w_l)`` for levels ``0..levels`` (0 is the image itself).

    Each level halves each side, rounding up.

    Examples
    --------
    >>> from skwavpool.haar import mrd_shapes
    >>> mrd_shapes((28, 27), 3)
    [(28, 27), (14, 14), (7, 7), (4, 4)]
    """
    shapes = [tuple(int(s) for s in shape)]
    for _ in range(levels):
        h, w = shapes[-1]
        shapes.append(((h + 1) // 2, (w + 1) // 2))
    return shapes


def n_coefficients(shape, levels):
    """Number of coefficients of one ``(H, W)`` image decomposed to ``levels``.

    Examples
    --------
    >>> from skwavpool.haar import n_coefficients
    >>> n_coefficients((28, 28), 4)  # 2*2 + 3 * (2*2 + 4*4 + 7*7 + 14*14)
    799
    """
    shapes = mrd_shapes(shape, levels)
    return shapes[-1][0] * shapes[-1][1] + 3 * sum(h * w for h, w in shapes[1:])


# --- The reference -----------------------------------------------------------


def _extra(x, dim, mode):
    """The sample that ``mode`` appends to the odd side ``dim`` of ``x``: a new
    tensor of size 1 along ``dim``."""
    n = x.shape[dim]
    terms = [x.narrow(dim, index % n, 1) * weight for index, weight in _EXTENSION[mode]]
    return sum(terms[1:], terms[0]) if terms else torch.zeros_like(x.narrow(dim, 0, 1))


def _extend(x, mode):
    """Append one sample, as ``mode`` says, to each odd side of ``x`` (..., h, w).

    Rows first, then columns over all rows: the corner of a doubly odd image is
    the extension of the extension, as with pywt's axis-by-axis transform.
    """
    for dim in (-2, -1):
        if x.shape[dim] % 2:
            x = torch.cat([x, _extra(x, dim, mode)], dim)
    return x


def _haar_step(x, mode):
    """One level: ``(A, H, V, D)`` of the images ``x`` (..., h, w)."""
    x = _extend(x, mode)
    p, q = x[..., 0::2, 0::2], x[..., 0::2, 1::2]
    r, s = x[..., 1::2, 0::2], x[..., 1::2, 1::2]
    return (p + q + r + s) / 2, (p + q - r - s) / 2, (p - q + r - s) / 2, (p - q - r + s) / 2


def _mrd_levels(x, levels, mode):
    """``(A, H, V, D)`` of every level of ``x`` (..., H, W), finest first."""
    steps, a = [], x
    for _ in range(levels):
        steps.append(_haar_step(a, mode))
        a = steps[-1][0]
    return steps


def _inverse_step(a, h, v, d, shape):
    """The images of shape ``(..., *shape)`` whose Haar step is ``a, h, v, d``."""
    p, q = (a + h + v + d) / 2, (a + h - v - d) / 2
    r, s = (a - h + v - d) / 2, (a - h - v + d) / 2
    # (..., h, 2, w, 2): block row i, row in block, block column j, column in block.
    blocks = torch.stack([torch.stack([p, q], -1), torch.stack([r, s], -1)], -3)
    rows, columns = 2 * a.shape[-2], 2 * a.shape[-1]
    return blocks.reshape(*a.shape[:-2], rows, columns)[..., : shape[0], : shape[1]]


def _bands(coeffs, rest, shapes):
    """Views of packed ``coeffs`` (B, K) as ``(B, *rest, h, w)`` bands, pywt order."""
    sizes = [shapes[-1]] + [s for s in reversed(shapes[1:]) for _ in range(3)]
    per_sample = math.prod(rest)
    bands, start = [], 0
    for h, w in sizes:
        stop = start + per_sample * h * w
        bands.append(coeffs[:, start:stop].view(coeffs.shape[0], *rest, h, w))
        start = stop
    return bands


def _pywt_order(x, steps):
    """The bands of ``steps`` (from :func:`_mrd_levels` of ``x``) in
    ``pywt.wavedec2`` order: the coarsest approximation (``x`` for no levels),
    then ``H, V, D`` of each level, coarsest first."""
    return [steps[-1][0] if steps else x] + [band for step in reversed(steps) for band in step[1:]]


def _mrd_reference(x, levels, mode):
    """The packed MRD of ``x`` (B, *rest, H, W), as :func:`haar_mrd_packed` returns it."""
    bands = _pywt_order(x, _mrd_levels(x, levels, mode))
    return torch.cat([band.flatten(1) for band in bands], dim=1)


def _imrd_reference(coeffs, rest, shape, levels):
    """The images ``(B, *rest, H, W)`` of the packed ``coeffs``."""
    shapes = mrd_shapes(shape, levels)
    a, *details = _bands(coeffs, rest, shapes)
    for k, size in zip(range(0, 3 * levels, 3), reversed(shapes[:-1])):
        a = _inverse_step(a, *details[k : k + 3], size)
    return a.clone() if levels == 0 else a  # a new tensor, never a view of coeffs


def _use_passes(x):
    """Whether :mod:`skwavpool._haar_passes` decomposes or reconstructs ``x``
    instead of the reference: exactly when no gradient is needed, as the passes
    write in place and support no autograd. Eager torch runs the reference as
    one pass over whole-batch temporaries per operation; the passes work on
    cache-sized chunks and write each coefficient once, into its place in the
    packed layout (``benchmarks/bench_haar.py`` compares the two)."""
    return not (torch.is_grad_enabled() and x.requires_grad)


# --- Input checks ------------------------------------------------------------


def _check_levels(levels, shape):
    deepest = max_level(shape)
    if levels is None:
        return deepest
    if isinstance(levels, bool) or not isinstance(levels, Integral):
        raise TypeError(f"levels must be an int or None, got {type(levels).__name__}.")
    if not 0 <= levels <= deepest:
        raise ValueError(
            f"levels={levels} is out of range for images of shape {tuple(shape)}: "
            f"it must be between 0 and {deepest} (floor(log2(min(H, W))))."
        )
    return int(levels)


def _check_mode(mode):
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}.")


def _check_compiled(compiled):
    if not isinstance(compiled, bool):
        raise TypeError(f"compiled must be True or False, got {compiled!r}.")


def _check_images(x, name, min_ndim):
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}.")
    if not x.is_floating_point():
        raise TypeError(
            f"{name} must have a real floating point dtype, got {x.dtype}; "
            f"convert it first, e.g. with {name}.float()."
        )
    if x.ndim < min_ndim:
        raise ValueError(f"{name} must have at least {min_ndim} dimensions, got shape {tuple(x.shape)}.")


def _check_image_shape(shape, name, form="(*channels, H, W)"):
    """``shape`` as a tuple of ints: at least ``(H, W)``, exactly that if ``form`` is ``"(H, W)"``."""
    try:
        sizes = tuple(shape)
    except TypeError:
        sizes = None
    if (
        sizes is None
        or len(sizes) < 2
        or (form == "(H, W)" and len(sizes) != 2)
        or not all(isinstance(s, Integral) and not isinstance(s, bool) and s >= 0 for s in sizes)
    ):
        raise ValueError(f"{name} must be a tuple {form} of non-negative ints, got {shape!r}.")
    return tuple(int(s) for s in sizes)


# --- Public API --------------------------------------------------------------


def haar_mrd_packed(x, levels=None, mode="symmetric", *, out=None):
    """Haar MRD of a batch, all coefficients of a sample packed in one row.

    Parameters
    ----------
    x : torch.Tensor of shape ``(n_samples, *channels, H, W)``
        Real floating point images, on any device.
    levels : int or None, default=None
        Decomposition depth; ``None`` is the deepest, :func:`max_level`.
    mode : str, default="symmetric"
        Signal extension for odd sides, one of :data:`MODES`.
    out : torch.Tensor of shape (n_samples, n_coefficients) or None, default=None
        Write the coefficients into this C-contiguous tensor of ``x``'s dtype and
        device instead of a new one, saving the copy when the caller has the
        final buffer (a numpy array seen through :func:`torch.from_numpy`, say).
        It must not share memory with ``x``. Like torch's own ``out=``
        arguments, it does not support autograd.

    Returns
    -------
    coeffs : torch.Tensor of shape (n_samples, n_coefficients)
        Per sample, each band of shape ``(*channels, h, w)`` flattened, bands in
        ``pywt.wavedec2`` order ``cA_n, cH_n, cV_n, cD_n, ..., cH_1, cV_1, cD_1``.
        This is the output layout of :class:`skwavpool.HaarMRDTransformer`.

    Examples
    --------
    >>> import torch
    >>> from skwavpool.haar import haar_mrd_packed
    >>> haar_mrd_packed(torch.ones(5, 3, 8, 8)).shape  # 3 channels * 64
    torch.Size([5, 192])
    """
    _check_images(x, "x", 3)
    _check_mode(mode)
    levels = _check_levels(levels, x.shape[-2:])
    if out is not None:
        expected = (x.shape[0], math.prod(x.shape[1:-2]) * n_coefficients(x.shape[-2:], levels))
        if not isinstance(out, torch.Tensor) or tuple(out.shape) != expected:
            got = getattr(out, "shape", type(out).__name__)
            raise ValueError(f"out must be a tensor of shape {expected}, got {got}.")
        if out.dtype != x.dtype or out.device != x.device or not out.is_contiguous():
            raise ValueError(
                f"out must be a contiguous {x.dtype} tensor on {x.device}, got "
                f"{'a contiguous' if out.is_contiguous() else 'a non-contiguous'} {out.dtype} tensor on {out.device}."
            )
        if x.numel() and out.untyped_storage().data_ptr() == x.untyped_storage().data_ptr():
            # The passes read the images after writing coefficients.
            raise ValueError("out must not share memory with x.")
        if torch.is_grad_enabled() and (x.requires_grad or out.requires_grad):
            raise RuntimeError("haar_mrd_packed(..., out=...) does not support autograd; leave out=None.")
    if _use_passes(x):  # always so with out=, checked above
        from skwavpool import _haar_passes  # it builds on this module's helpers

        return _haar_passes.decompose(x, levels, mode, out)
    return _mrd_reference(x, levels, mode)


def haar_matrix(image_shape, levels=None, mode="symmetric", *, dtype=torch.float32, device=None):
    """The packed Haar MRD of one sample as a sparse matrix.

    ``haar_matrix(shape) @ x.flatten(1).T`` equals ``haar_mrd_packed(x).T`` to
    float rounding, for ``x`` of shape ``(n_samples, *shape)``. On the CPU,
    for a small batch of small images, whose decomposition costs mostly
    per-operation overhead there, one sparse product can be faster than
    :func:`haar_mrd_packed`.

    Parameters
    ----------
    image_shape : tuple of int
        ``(*channels, H, W)`` of one sample.
    levels : int or None, default=None
        Decomposition depth; ``None`` is the deepest, :func:`max_level`.
    mode : str, default="symmetric"
        Signal extension for odd sides, one of :data:`MODES`.
    dtype : torch.dtype, default=torch.float32
        Floating point dtype of the matrix, that of the images it will multiply.
    device : torch.device or str or None, default=None
        Where the matrix lives; ``None`` is the CPU.

    Returns
    -------
    torch.Tensor of shape (n_coefficients, prod(image_shape))
        In sparse CSR layout, with ``prod(image_shape) * (3 * levels + 1)``
        stored entries or fewer when the sides stay even or the mode extends an
        odd side with its last sample only (``"symmetric"``, ``"zero"``...);
        modes that reuse other samples store some more (28x28 to 4 levels:
        10,480 with ``"reflect"``, 11,872 with ``"periodic"``, against a bound
        of 10,192). It is built from the decomposition of every
        pixel's indicator image, which takes ``prod(image_shape) ** 2`` values
        of memory for a moment: meant for small images.

    Examples
    --------
    >>> import torch
    >>> from skwavpool.haar import haar_matrix, haar_mrd_packed
    >>> x = torch.rand(5, 3, 8, 8)
    >>> op = haar_matrix((3, 8, 8))
    >>> op.shape
    torch.Size([192, 192])
    >>> torch.allclose(op @ x.flatten(1).T, haar_mrd_packed(x).T, atol=1e-6)
    True
    """
    image_shape = _check_image_shape(image_shape, "image_shape")
    _check_mode(mode)
    levels = _check_levels(levels, image_shape[-2:])  # before the n x n identity is allocated
    n = math.prod(image_shape)
    coeffs = haar_mrd_packed(torch.eye(n, dtype=dtype, device=device).view(n, *image_shape), levels, mode)
    with warnings.catch_warnings():
        # torch calls its sparse CSR layout beta; the product used here is a plain, tested one.
        warnings.filterwarnings("ignore", "Sparse CSR tensor support is in beta", UserWarning)
        return coeffs.T.to_sparse_csr()


def haar_imrd_packed(coeffs, image_shape, levels=None):
    """Inverse of :func:`haar_mrd_packed`.

    Parameters
    ----------
    coeffs : torch.Tensor of shape (n_samples, n_coefficients)
        Packed coefficients, as :func:`haar_mrd_packed` returns them.
    image_shape : tuple of int
        ``(*channels, H, W)`` of one sample.
    levels : int or None, default=None
        The depth the coefficients were computed with.

    Returns
    -------
    images : torch.Tensor of shape ``(n_samples, *image_shape)``

    Notes
    -----
    The packed layout does not record the depth: pass the ``levels`` that
    :func:`haar_mrd_packed` was given. A wrong depth raises a ``ValueError``
    where it implies another number of coefficients, but for sides that are
    powers of two every depth has as many coefficients as pixels, and
    coefficients of another depth then come back as wrong images, silently.
    :func:`haar_mrd` and :func:`haar_imrd` carry the depth with the bands.

    Examples
    --------
    >>> import torch
    >>> from skwavpool.haar import haar_imrd_packed, haar_mrd_packed
    >>> x = torch.rand(4, 2, 7, 9)
    >>> torch.allclose(haar_imrd_packed(haar_mrd_packed(x), (2, 7, 9)), x, atol=1e-6)
    True
    """
    _check_images(coeffs, "coeffs", 2)
    *rest, height, width = _check_image_shape(image_shape, "image_shape")
    levels = _check_levels(levels, (height, width))
    expected = math.prod(rest) * n_coefficients((height, width), levels)
    if coeffs.ndim != 2 or coeffs.shape[1] != expected:
        raise ValueError(
            f"coeffs must have shape (n_samples, {expected}) for image_shape="
            f"{tuple(image_shape)} and levels={levels}, got {tuple(coeffs.shape)}; "
            f"levels must be the depth the coefficients were computed with."
        )
    if _use_passes(coeffs):
        from skwavpool import _haar_passes  # it builds on this module's helpers

        return _haar_passes.reconstruct(coeffs.contiguous(), tuple(rest), (height, width), levels)
    return _imrd_reference(coeffs, tuple(rest), (height, width), levels)


def haar_mrd(x, levels=None, mode="symmetric", *, compiled=False):
    """Multi-level 2-D Haar decomposition of the last two dimensions of ``x``.

    Equal, to float rounding, to ``pywt.wavedec2(x, "haar", mode=mode,
    level=levels, axes=(-2, -1))``, but in torch: on ``x``'s device, in its
    dtype, differentiable, and for a whole batch at once.

    Parameters
    ----------
    x : torch.Tensor of shape (..., H, W)
        Real floating point images; any leading dimensions (batch, channels).
    levels : int or None, default=None
        Number of levels, between 0 and ``max_level((H, W))``; ``None`` means
        the deepest, as pywt's default.
    mode : str, default="symmetric"
        How a side of odd length is extended, one of :data:`MODES` (pywt's
        names; ``"symmetric"`` repeats the last row/column).
    compiled : bool, default=False
        Run the decomposition as kernels that ``torch.compile`` generates, one
        fused pass per level instead of one pass per elementwise operation;
        ``benchmarks/bench_haar.py`` measures the gain. The first call for
        each image size, number of levels, mode, dtype and device compiles for
        a few seconds and needs what ``torch.compile`` needs (a C++ compiler
        on the CPU); later calls with any batch size reuse the kernels. Grad
        mode, a batch of a single image and other leading dimensions
        (channels) can count as variants too; torch compiles at most 8 of
        them, then warns and runs the rest uncompiled. The results agree with
        the default to float rounding, and autograd flows through them.
        Inside a caller's own ``torch.compile``, the decomposition is traced
        into the caller's graph instead.

    Returns
    -------
    HaarMRD
        ``(approx, details, shape)``; ``details`` holds one ``(H, V, D)``
        triple per level, coarsest first. All bands are views into one buffer
        of packed coefficients (:func:`haar_mrd_packed`), or with
        ``compiled=True`` tensors of their own.

    See Also
    --------
    haar_imrd : The inverse.
    haar_mrd_packed : The same coefficients packed in one row per sample.

    Notes
    -----
    The sums of the Haar step can overflow to ``inf`` for float32 images with
    values of the order of 1e38 (float32's largest is about 3.4e38), as
    PyWavelets' float32 transform does; decompose such images in float64.

    Examples
    --------
    >>> import torch
    >>> from skwavpool.haar import haar_mrd
    >>> mrd = haar_mrd(torch.rand(16, 28, 28))
    >>> mrd.approx.shape, [tuple(h.shape) for h, v, d in mrd.details]
    (torch.Size([16, 2, 2]), [(16, 2, 2), (16, 4, 4), (16, 7, 7), (16, 14, 14)])
    """
    _check_images(x, "x", 2)
    _check_mode(mode)
    lead, shape = x.shape[:-2], x.shape[-2:]
    _check_compiled(compiled)
    levels = _check_levels(levels, shape)
    if compiled and levels and x.numel():
        from skwavpool import _haar_compiled  # it builds on this module's reference

        images = x.reshape(-1, *shape)
        bands = _pywt_order(images, _haar_compiled.mrd_levels(images, levels, mode))
    else:
        # Each image a sample of one channel; math.prod, as reshape cannot infer
        # a -1 from an empty tensor.
        coeffs = haar_mrd_packed(x.reshape(math.prod(lead), 1, *shape), levels, mode)
        bands = _bands(coeffs, (1,), mrd_shapes(shape, levels))
    bands = [b.view(*lead, *b.shape[-2:]) for b in bands]
    details = tuple(tuple(bands[k : k + 3]) for k in range(1, len(bands), 3))
    return HaarMRD(bands[0], details, (int(shape[0]), int(shape[1])))


def haar_imrd(mrd):
    """Inverse of :func:`haar_mrd`: the images, at their original ``mrd.shape``.

    Unlike ``pywt.waverec2``, odd sides come back at their odd length.

    Parameters
    ----------
    mrd : HaarMRD
        ``(approx, details, shape)`` as :func:`haar_mrd` returns it; the bands
        may be modified or replaced by tensors of the same shapes.

    Returns
    -------
    torch.Tensor of shape (..., H, W)

    Notes
    -----
    The round trip is exact up to rounding: a few float32 roundings of the
    image's magnitude (under 1e-6 for standard-normal images). The
    extrapolating modes ``"smooth"`` and ``"antireflect"`` can lose more at
    odd sides: their appended samples grow over the levels (the coarse
    coefficients of a 33x33 standard-normal image reach about 1,250), and the
    coefficients' own float32 rounding then puts up to about 2e-6 on the
    pixels next to those sides, as in PyWavelets' float32 round trip. The
    error stays below 1e-6 of the image's norm.

    Examples
    --------
    >>> import torch
    >>> from skwavpool.haar import haar_imrd, haar_mrd
    >>> x = torch.rand(3, 13, 10, dtype=torch.float64)
    >>> torch.allclose(haar_imrd(haar_mrd(x)), x)
    True
    """
    approx, details, shape = mrd
    _check_images(approx, "mrd.approx", 2)
    shape = _check_image_shape(shape, "mrd.shape", "(H, W)")
    lead = approx.shape[:-2]
    levels = len(details)
    shapes = mrd_shapes(shape, levels)
    bands = [approx, *(band for triple in details for band in triple)]
    expected = [shapes[-1]] + [s for s in reversed(shapes[1:]) for _ in range(3)]
    for index, (band, size) in enumerate(zip(bands, expected)):
        if tuple(band.shape) != (*lead, *size):
            name = "mrd.approx" if index == 0 else f"mrd.details[{(index - 1) // 3}][{(index - 1) % 3}]"
            raise ValueError(
                f"{name} has shape {tuple(band.shape)}, expected {(*lead, *size)} "
                f"for images of shape {tuple(shape)} and {levels} levels."
            )
    n = math.prod(lead)
    packed = torch.cat([band.reshape(n, band.shape[-2] * band.shape[-1]) for band in bands], dim=1)
    return haar_imrd_packed(packed, (1, *shape), levels).view(*lead, *shape)
