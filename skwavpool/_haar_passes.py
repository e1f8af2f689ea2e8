"""The Haar MRD and its inverse as chunked passes written in place, without autograd.

:mod:`skwavpool.haar` holds the reference and runs this engine when no
gradient is needed (:func:`skwavpool.haar._use_passes`); the results agree
with the reference to float rounding.

One level is computed as separable passes: the half sums of row pairs,
``((p, q) + (r, s)) / 2``, and from them the half differences ``((p, q) - (r,
s)) / 2``, read whole contiguous rows; then the sums and differences of column
pairs of the first give ``A, V``, and of the second ``H, D``. The inverse runs
such passes in reverse order.

All coefficients of one call live in a single buffer that is allocated once
and written in place (``out=``), the images are processed in chunks, and the
chunk-sized scratch is allocated once per call (only the copy that extends odd
sides is made per chunk and level), so the temporaries stay small whatever
the batch size. Once the approximation is down to a few dozen values per
sample, passes over such small images cost mostly per-operation overhead: the
levels left are then one dense product with a cached matrix, written straight
into the packed layout. It sums in float32 for float32 images (float64 sums
make the call slower and the round trip no more exact), in float64 when
torch's float32 matrix products are set to round more coarsely.

``benchmarks/bench_haar.py`` measures this engine against the reference.
"""

from __future__ import annotations

import functools
import math

import torch

from skwavpool.haar import _bands, _extend, mrd_shapes, n_coefficients

# Images per chunk are chosen so one chunk of input stays about this size:
# small enough that a chunk's scratch stays mostly in the cores' L2 caches
# between passes and bounds the temporaries (peak memory is the output plus
# about one chunk, two with odd sides), large enough that per-op overhead does
# not dominate; benchmarks/bench_haar.py shows the effect of a change. A GPU
# takes the whole batch at once.
_CHUNK_BYTES = 3 << 20

# Once an approximation holds at most this many values per sample, the levels
# left are mostly per-operation overhead for the passes: one dense product with
# the matrix of those levels does them all (for 28x28 images, levels 3 and 4
# from the 7x7 approximation).
_DENSE_VALUES = 64


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


def decompose(x, levels, mode, coeffs=None, dense=True):
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
    # Each level has a buffer of its own, so that a level can read its input
    # after writing its approximation.
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
            # a level has one lerp, which costs more than a sub over the same
            # rows.
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


def reconstruct(coeffs, rest, shape, levels, dense=True):
    """Images ``(B, *rest, H, W)`` from packed ``coeffs``; ``dense=False``
    keeps to the passes."""
    per_sample = math.prod(rest)
    shapes = mrd_shapes(shape, levels)
    approx, *details = _bands(coeffs, rest, shapes)
    out = coeffs.new_empty(coeffs.shape[0], *rest, *shape)
    if levels == 0:
        return out.copy_(approx)
    # As in decompose: the levels from first_dense on are one dense product.
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
                               None, coeffs.device, _product_dtype(coeffs.dtype, coeffs.device))
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
            height, width = shapes[level - 1]
            a = y[..., :height, :width]  # the extended samples cropped away
        if first_dense > 1 and not even:
            out[i : i + step] = a
    return out


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
    """``M`` with ``images.flatten(1) @ M`` the packed MRD in ``mode`` of
    ``images`` (B, *rest, *shape) ("decompose"), or ``coeffs @ M`` the
    flattened images ("reconstruct", ``mode`` None): the passes applied to
    every unit vector in float64, then rounded to ``dtype``, that of
    :func:`_product_dtype`."""
    # Not an inference tensor even when first asked for in inference mode:
    # torch restricts the use of inference tensors outside that mode.
    with torch.inference_mode(False):
        pixels = math.prod(rest) * math.prod(shape)
        if direction == "decompose":
            matrix = decompose(torch.eye(pixels, dtype=torch.float64, device=device).view(pixels, *rest, *shape),
                               levels, mode, dense=False)
        else:
            size = math.prod(rest) * n_coefficients(shape, levels)
            unit = torch.eye(size, dtype=torch.float64, device=device)
            matrix = reconstruct(unit, rest, shape, levels, dense=False).view(size, pixels)
        return matrix.to(dtype)


def _view(buffer, shape):
    """The start of the flat ``buffer`` seen as a tensor of ``shape``."""
    return buffer[: math.prod(shape)].view(shape)
