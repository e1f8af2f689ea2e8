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

It is computed as separable passes: the half sums of row pairs,
``((p, q) + (r, s)) / 2``, and from them the half differences ``((p, q) - (r,
s)) / 2``, read whole contiguous rows; then the sums and differences of column
pairs of the first give ``A, V``, and of the second ``H, D``. The 4x4 matrix
behind the step is symmetric and orthogonal, so the inverse runs such passes
in reverse order. An odd side is first extended by one row or column as the
signal-extension ``mode`` says (for Haar only the one extra sample matters),
and the inverse crops it away again. The next level decomposes ``A``.

Speed and memory: all coefficients of one call live in a single buffer that is
allocated once and written in place (``out=``), the images are processed in
chunks, and the chunk-sized scratch is allocated once per call (only the copy
that extends odd sides is made per chunk and level), so the temporaries stay
small whatever the batch size. Once the approximation is down to a few dozen
values per sample, passes over such small images cost mostly per-operation
overhead: the levels left are then one dense product with a cached matrix,
written straight into the packed layout. It sums in float32 for float32
images (summing them in float64, as this once did, made the whole call 8 %
slower on 10000x28x28 and the round trip no more exact), in float64 when
torch's float32 matrix products are set to round more coarsely.

Those passes are torch's eager elementwise kernels, and on the CPU none of
them is vectorised: torch vectorises only inner runs of at least 32
contiguous floats (two AVX-512 vectors), and the row steps' runs are one
image row (28 floats for 28x28 images) while the column steps read every
other value. ``compiled=True`` hands the same arithmetic, as whole-tensor
expressions, to ``torch.compile``, which fuses each level into one pass.
"""

from __future__ import annotations

import functools
import math
import warnings
from numbers import Integral
from typing import NamedTuple

import torch
from torch.autograd.function import once_differentiable

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
# the end. The same table gives the extension and, for the gradient, its adjoint.
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

# Images per chunk are chosen so one chunk of input stays about this size:
# small enough that a chunk's scratch stays mostly in the cores' L2 caches
# between passes and bounds the temporaries (peak memory is the output plus
# about one chunk, two with odd sides), large enough that per-op overhead does
# not dominate (measured on 10000x28x28, as multiples of a copy's time in the
# same run: 2 MiB chunks 6.3x, 3, 4 and 6 MiB 5.9x). A GPU takes the whole
# batch at once.
_CHUNK_BYTES = 3 << 20

# Once an approximation holds at most this many values per sample, the levels
# left are mostly per-operation overhead for the passes: one dense product with
# the matrix of those levels does them all (for 28x28 images, levels 3 and 4
# from the 7x7 approximation).
_DENSE_VALUES = 64


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


def _chunk(images, per_image, itemsize, device):
    """How many images one chunk holds."""
    if device.type != "cpu":
        return max(images, 1)
    return max(1, _CHUNK_BYTES // max(per_image * itemsize, 1))


def _half(a, b, out):
    """Write ``(a + b) / 2`` and ``(a - b) / 2`` into the two ``out``."""
    total, diff = out
    torch.lerp(a, b, 0.5, out=total)  # (a + b) / 2 in one pass
    torch.sub(a, total, out=diff)


def _full(a, b, out):
    """Write ``a + b`` and ``a - b`` into the two ``out``."""
    torch.add(a, b, out=out[0])
    torch.sub(a, b, out=out[1])


def _rows(y):
    """The even and odd rows of ``y`` (..., 2h, w): inner dimension contiguous."""
    return y[..., 0::2, :], y[..., 1::2, :]


def _columns(y):
    """The even and odd columns of ``y`` (..., h, 2w)."""
    return y[..., 0::2], y[..., 1::2]


def _extra(x, dim, mode):
    """The sample that ``mode`` appends to the odd side ``dim`` of ``x``: a new
    tensor of size 1 along ``dim``."""
    n = x.shape[dim]
    terms = [x.narrow(dim, index % n, 1) * weight for index, weight in _EXTENSION[mode]]
    return sum(terms[1:], terms[0]) if terms else torch.zeros_like(x.narrow(dim, 0, 1))


def _extend(x, mode):
    """Append one sample, as ``mode`` says, to each odd side of ``x`` (..., h, w)."""
    h, w = x.shape[-2:]
    if h % 2 == 0 and w % 2 == 0:
        return x
    y = x.new_empty(*x.shape[:-2], h + h % 2, w + w % 2)
    y[..., :h, :w] = x
    # Rows first, then columns over all rows: the corner of a doubly odd image
    # is the extension of the extension, as with pywt's axis-by-axis transform.
    for dim, n, side in ((-2, h, y[..., :w]), (-1, w, y)):
        if n % 2:
            side.narrow(dim, n, 1).copy_(_extra(side.narrow(dim, 0, n), dim, mode))
    return y


def _fold(y, h, w, mode):
    """Crop ``y`` to ``(h, w)``; with a ``mode``, first add the appended samples
    back onto the samples they were made of (the adjoint of :func:`_extend`)."""
    if mode is not None:
        for dim, n, side in ((-1, w, y), (-2, h, y[..., :w])):  # reverse order
            if n % 2:
                extra = side.narrow(dim, n, 1)
                for index, weight in _EXTENSION[mode]:
                    side.narrow(dim, index % n, 1).add_(extra, alpha=weight)
    return y[..., :h, :w]


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


def _decompose(x, levels, mode, coeffs=None, dense=True):
    """Packed MRD of ``x`` (B, *rest, H, W), written into ``coeffs`` (B, K),
    a new tensor unless given; ``dense=False`` keeps to the passes."""
    rest, shape = x.shape[1:-2], x.shape[-2:]
    per_sample = math.prod(rest)
    shapes = mrd_shapes(shape, levels)
    if coeffs is None:
        coeffs = x.new_empty(x.shape[0], per_sample * n_coefficients(shape, levels))
    approx, *details = _bands(coeffs, rest, shapes)
    if levels == 0:
        approx.copy_(x)
        return coeffs
    # The first level whose input the dense product takes; levels + 1: none.
    first_dense = _first_dense(per_sample, shapes) if dense else levels + 1
    step = _chunk(x.shape[0], math.prod(x.shape[1:]), x.element_size(), x.device)
    step = max(min(step, x.shape[0]), 1)  # at least 1, a range() step, for an empty batch
    # Scratch allocated once per call, a chunk's worth per level, with the views
    # the passes take of it set up once too: the row step's results and, except
    # at the coarsest level, whose approximation goes straight into the packed
    # layout, the approximation that the next level or the dense product reads.
    # Its own buffer per level, unlike one shared by all levels as this once
    # did, lets a level read its input after writing its approximation. With
    # this loop, 3 MiB chunks took 10 % less time than the earlier per-chunk
    # setup did.
    passes = []
    for level in range(1, first_dense):
        k = 3 * (levels - level)  # details are stored coarsest level first
        rows = x.new_empty(step, *rest, shapes[level][0], 2 * shapes[level][1])
        target = x.new_empty(step, *rest, *shapes[level]) if level < levels else None
        passes.append((details[k : k + 3], (rows, *_columns(rows)), target))
    matrix = None
    if first_dense <= levels:
        matrix = _dense_matrix("decompose", tuple(rest), shapes[first_dense - 1], levels - first_dense + 1,
                               mode, x.device, _product_dtype(x.dtype, x.device))
    for i in range(0, x.shape[0], step):
        a = x[i : i + step]
        for (h, v, d), (rows, even, odd), target in passes:
            if a.shape[0] < step:  # the last chunk, when it is shorter
                rows, even, odd = rows[: a.shape[0]], even[: a.shape[0]], odd[: a.shape[0]]
                target = None if target is None else target[: a.shape[0]]
            target = approx[i : i + step] if target is None else target
            # Rows first, as passes over contiguous rows that halve the data;
            # only the column steps read every other element. The row means
            # and then the row differences take turns in one scratch, so that
            # a level has one lerp, which costs half as much again as a sub
            # over the same rows.
            top, bottom = _rows(_extend(a, mode))
            torch.lerp(top, bottom, 0.5, out=rows)  # (p + r) / 2, (q + s) / 2
            _full(even, odd, out=(target, v[i : i + step]))
            torch.sub(top, rows, out=rows)  # (p - r) / 2, (q - s) / 2
            _full(even, odd, out=(h[i : i + step], d[i : i + step]))
            a = target
        if matrix is not None:
            # The coarsest levels are the first columns of the packed layout.
            _dense_product(a.reshape(a.shape[0], -1), matrix, out=coeffs[i : i + step, : matrix.shape[1]])
    return coeffs


def _mrd_bands(x, levels, mode):
    """The MRD of ``x`` (N, H, W) as new tensors, written for torch.compile:
    the bands in ``pywt.wavedec2`` order, and the approximation of every level.

    The same passes as :func:`_decompose`, as whole-tensor expressions that
    torch.compile (inductor) fuses into one loop over each level, where eager
    torch makes six passes, none of them vectorised (see the module notes).
    """
    approximations, details = [], []
    a = x
    for _ in range(levels):
        # Odd sides extended by concatenation: writes into a new tensor, as
        # _extend makes them, compile to an indexed scatter over the whole level
        # (13x9 images: 3.6x slower).
        for dim in (-2, -1):
            if a.shape[dim] % 2:
                a = torch.cat([a, _extra(a, dim, mode)], dim)
        top, bottom = _rows(a)
        means = torch.lerp(top, bottom, 0.5)
        diffs = top - means
        (mean_even, mean_odd), (diff_even, diff_odd) = _columns(means), _columns(diffs)
        a = mean_even + mean_odd
        approximations.append(a)
        details.append((diff_even + diff_odd, mean_even - mean_odd, diff_even - diff_odd))
    # Every level's approximation is an output too: an output is stored once,
    # where inductor recomputes an intermediate from the images in every level
    # that reads it (10000 28x28 images: 2.8 against 4.0 ms).
    return [a, *(band for triple in reversed(details) for band in triple)], approximations


@functools.cache
def _compiled_mrd_bands():
    # Built on first use: torch.compile imports its compiler stack, which
    # would slow down every import of skwavpool.
    return torch.compile(_mrd_bands)


def _compiled_bands(x, levels, mode):
    """The bands of :func:`_mrd_bands`, compiled, for the images ``x`` (N, H, W)."""
    if torch.compiler.is_compiling():
        # Inside the caller's own torch.compile, which fuses the passes itself.
        return _mrd_bands(x, levels, mode)[0]
    # Contiguous, the batch size dynamic and the image size static, so that one
    # kernel serves every batch: torch specialises a kernel to its input's
    # strides, and would otherwise compile one for the first batch size it
    # sees and a size-generic one on the next; nor, after a second image size,
    # would it compile another kernel for each size, but one generic in the
    # size too, which took twice as long (3000 32x32 images: 12.4-12.9 against
    # 4.8-7.0 ms; 10000 3x32x32 in bench_haar: 57-63 against 25-27 ms).
    x = x.contiguous()
    torch._dynamo.maybe_mark_dynamic(x, 0)
    torch._dynamo.mark_static(x, 1)
    torch._dynamo.mark_static(x, 2)
    bands, _ = _compiled_mrd_bands()(x, levels, mode)
    return bands


def _first_dense(per_sample, shapes):
    """The first level whose input, ``shapes[level - 1]``, is small enough for
    the dense product; ``len(shapes)`` if none is."""
    return next((level for level in range(1, len(shapes)) if per_sample * math.prod(shapes[level - 1]) <= _DENSE_VALUES),
                len(shapes))


def _dense_product(rows, matrix, out):
    """Write ``rows @ matrix`` into ``out``, summing in ``matrix``'s dtype (see
    :func:`_product_dtype`)."""
    if out.dtype == matrix.dtype:
        torch.mm(rows, matrix, out=out)  # straight into the packed layout: out's rows are strided
    else:
        out.copy_(torch.mm(rows.to(matrix.dtype), matrix))


def _product_dtype(dtype, device):
    """The dtype in which the dense product sums for images of ``dtype``:
    float64 for float64; float32 for float32 and half precision, unless torch
    may round float32 products more coarsely (``torch.set_float32_matmul_precision``
    below ``"highest"``, which means bfloat16 on the CPU at ``"medium"``, or TF32
    on CUDA), in which case float64."""
    if dtype == torch.float64:
        return dtype
    reduced = torch.get_float32_matmul_precision() != "highest" or (
        device.type == "cuda" and torch.backends.cuda.matmul.allow_tf32
    )
    return torch.float64 if reduced else torch.float32


@functools.lru_cache(maxsize=64)
def _dense_matrix(direction, rest, shape, levels, mode, device, dtype):
    """``M`` with ``images.flatten(1) @ M`` the packed MRD of ``images`` (B,
    *rest, *shape) ("decompose"), or ``coeffs @ M`` the flattened images
    ("reconstruct"; with a ``mode``, the adjoint of the decomposition instead):
    the passes applied to every unit vector in float64, then rounded to
    ``dtype``, that of :func:`_product_dtype`."""
    # Not an inference tensor even when first asked for in inference mode,
    # so that later calls with autograd can use it.
    with torch.inference_mode(False):
        pixels = math.prod(rest) * math.prod(shape)
        if direction == "decompose":
            matrix = _decompose(torch.eye(pixels, dtype=torch.float64, device=device).view(pixels, *rest, *shape),
                                levels, mode, dense=False)
        else:
            size = math.prod(rest) * n_coefficients(shape, levels)
            unit = torch.eye(size, dtype=torch.float64, device=device)
            matrix = _reconstruct(unit, rest, shape, levels, mode, dense=False).view(size, pixels)
        return matrix.to(dtype)


def _view(buffer, shape):
    """The start of the flat ``buffer`` seen as a tensor of ``shape``."""
    return buffer[: math.prod(shape)].view(shape)


def _reconstruct(coeffs, rest, shape, levels, fold_mode, dense=True):
    """Images ``(B, *rest, H, W)`` from packed ``coeffs``; with a ``fold_mode``,
    the adjoint of :func:`_decompose` in that mode instead of its inverse;
    ``dense=False`` keeps to the passes."""
    per_sample = math.prod(rest)
    shapes = mrd_shapes(shape, levels)
    approx, *details = _bands(coeffs, rest, shapes)
    out = coeffs.new_empty(coeffs.shape[0], *rest, *shape)
    if levels == 0:
        return out.copy_(approx)
    # As in _decompose: the levels from first_dense on are one dense product.
    first_dense = _first_dense(per_sample, shapes) if dense else levels + 1
    step = _chunk(out.shape[0], math.prod(out.shape[1:]), out.element_size(), out.device)
    # Scratch allocated once per call, sized for the finest level and shared by
    # all levels: the column step's two results and the level's images. The
    # images may overwrite the level's input, which the column step has read
    # by then.
    per_chunk = min(step, out.shape[0]) * per_sample * 4 * shapes[1][0] * shapes[1][1]
    scratch_means, scratch_images = coeffs.new_empty(per_chunk), coeffs.new_empty(per_chunk)
    matrix = None
    if first_dense <= levels:
        matrix = _dense_matrix("reconstruct", tuple(rest), shapes[first_dense - 1], levels - first_dense + 1,
                               fold_mode, coeffs.device, _product_dtype(coeffs.dtype, coeffs.device))
    # Images of even sides need no crop: the finest level writes them straight
    # into out, saving a copy of the whole batch.
    even = shape[0] % 2 == 0 and shape[1] % 2 == 0
    for i in range(0, out.shape[0], step):
        a = approx[i : i + step]
        if matrix is not None:
            rows = coeffs[i : i + step]
            a = out[i : i + step] if first_dense == 1 else _view(
                scratch_images, (rows.shape[0], *rest, *shapes[first_dense - 1]))
            _dense_product(rows[:, : matrix.shape[0]], matrix, out=a.view(rows.shape[0], -1))
        for level in range(min(levels, first_dense - 1), 0, -1):
            k = 3 * (levels - level)
            h, v, d = (band[i : i + step] for band in details[k : k + 3])
            means = _view(scratch_means, (2, *a.shape[:-2], a.shape[-2], 2 * a.shape[-1]))
            _half(a, v, out=_columns(means[0]))
            _half(h, d, out=_columns(means[1]))
            if level == 1 and even:
                y = out[i : i + step]
            else:
                y = _view(scratch_images, (*a.shape[:-2], 2 * a.shape[-2], 2 * a.shape[-1]))
            _full(means[0], means[1], out=_rows(y))
            a = _fold(y, *shapes[level - 1], fold_mode)
        if first_dense > 1 and not even:
            out[i : i + step] = a
    return out


class _Decompose(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, levels, mode):
        ctx.meta = (x.shape[1:-2], x.shape[-2:], levels, mode)
        return _decompose(x, levels, mode)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad):
        rest, shape, levels, mode = ctx.meta
        return _reconstruct(grad.contiguous(), rest, shape, levels, mode), None, None


class _Reconstruct(torch.autograd.Function):
    @staticmethod
    def forward(ctx, coeffs, rest, shape, levels):
        ctx.meta = levels
        return _reconstruct(coeffs, rest, shape, levels, None)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad):
        # The inverse is "Haar step, then crop"; the Haar step is orthogonal
        # and the adjoint of a crop pads with zeros: a zero-mode decomposition.
        return _decompose(grad.contiguous(), ctx.meta, "zero"), None, None, None


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
    if out is None:
        return _Decompose.apply(x, levels, mode)
    expected = (x.shape[0], math.prod(x.shape[1:-2]) * n_coefficients(x.shape[-2:], levels))
    if not isinstance(out, torch.Tensor) or tuple(out.shape) != expected:
        raise ValueError(f"out must be a tensor of shape {expected}, got {getattr(out, 'shape', type(out).__name__)}.")
    if out.dtype != x.dtype or out.device != x.device or not out.is_contiguous():
        raise ValueError(
            f"out must be a contiguous {x.dtype} tensor on {x.device}, "
            f"got {'a contiguous' if out.is_contiguous() else 'a non-contiguous'} {out.dtype} tensor on {out.device}."
        )
    if x.numel() and out.untyped_storage().data_ptr() == x.untyped_storage().data_ptr():
        # The passes read the images after writing coefficients.
        raise ValueError("out must not share memory with x.")
    if torch.is_grad_enabled() and (x.requires_grad or out.requires_grad):
        raise RuntimeError("haar_mrd_packed(..., out=...) does not support autograd; leave out=None.")
    return _decompose(x, levels, mode, out)


def haar_matrix(image_shape, levels=None, mode="symmetric", *, dtype=torch.float32, device=None):
    """The packed Haar MRD of one sample as a sparse matrix.

    ``haar_matrix(shape) @ x.flatten(1).T`` equals ``haar_mrd_packed(x).T`` to
    float rounding, for ``x`` of shape ``(n_samples, *shape)``. On the CPU one
    sparse product is faster than :func:`haar_mrd_packed` for up to about 190
    small images (64 of 28x28: 0.07 against 0.15 ms), whose time there goes
    mostly to per-operation overhead; for more images the passes of
    :func:`haar_mrd_packed` win.

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
    *rest, height, width = (int(s) for s in image_shape)
    _check_mode(mode)
    levels = _check_levels(levels, (height, width))
    n = math.prod(image_shape)
    pixels = torch.eye(n, dtype=dtype, device=device).view(n, *rest, height, width)
    with warnings.catch_warnings():
        # torch calls its sparse CSR layout beta; the product used here is a plain, tested one.
        warnings.filterwarnings("ignore", "Sparse CSR tensor support is in beta", UserWarning)
        return _decompose(pixels, levels, mode).T.to_sparse_csr()


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

    Examples
    --------
    >>> import torch
    >>> from skwavpool.haar import haar_imrd_packed, haar_mrd_packed
    >>> x = torch.rand(4, 2, 7, 9)
    >>> torch.allclose(haar_imrd_packed(haar_mrd_packed(x), (2, 7, 9)), x, atol=1e-6)
    True
    """
    _check_images(coeffs, "coeffs", 2)
    *rest, height, width = image_shape
    levels = _check_levels(levels, (height, width))
    expected = math.prod(rest) * n_coefficients((height, width), levels)
    if coeffs.ndim != 2 or coeffs.shape[1] != expected:
        raise ValueError(
            f"coeffs must have shape (n_samples, {expected}) for image_shape="
            f"{tuple(image_shape)} and levels={levels}, got {tuple(coeffs.shape)}."
        )
    return _Reconstruct.apply(coeffs.contiguous(), tuple(rest), (height, width), levels)


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
        fused pass per level instead of six passes of torch's elementwise
        kernels: on a 2-core CPU, 3x faster than the default on 10000 28x28
        or 3x32x32 images (``benchmarks/bench_haar.py``). The first call for
        each image size, number of levels, mode, dtype and device compiles for
        a few seconds and needs what ``torch.compile`` needs (a C++ compiler
        on the CPU); later calls with any batch size reuse the kernels. Grad
        mode, a batch of a single image and other leading dimensions
        (channels) can count as variants too; torch compiles at most 8 of
        them, then warns and runs the rest uncompiled. The results agree with
        the default passes to float rounding, and autograd flows through them.
        Inside a caller's own ``torch.compile``, the passes are traced into
        the caller's graph instead.

    Returns
    -------
    HaarMRD
        ``(approx, details, shape)``; ``details`` holds one ``(H, V, D)``
        triple per level, coarsest first. All bands are views into one buffer,
        or with ``compiled=True`` tensors of their own.

    See Also
    --------
    haar_imrd : The inverse.
    haar_mrd_packed : The same coefficients packed in one row per sample.

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
        bands = _compiled_bands(x.reshape(-1, *shape), levels, mode)
    else:
        coeffs = _Decompose.apply(x.reshape(-1, 1, *shape), levels, mode)
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
    packed = torch.cat([band.reshape(-1, band.shape[-2] * band.shape[-1]) for band in bands], dim=1)
    return haar_imrd_packed(packed, (1, *shape), levels).view(*lead, *shape)
