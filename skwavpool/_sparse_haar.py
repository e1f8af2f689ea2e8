"""A speed path for :meth:`skwavpool.nn.WavPoolBlock.decompose`: the packed Haar
decomposition of a small CPU batch as one product with a cached sparse matrix.

For a few dozen small images, :func:`skwavpool.haar.haar_mrd_packed` spends its
time on per-operation overhead, while one sparse product does all levels at once
(``benchmarks/bench_wavpool.py`` measures what it buys a training step).
:func:`applies` is the one predicate that chooses it; the results equal
``haar_mrd_packed``'s to float rounding (``tests/test_nn.py``).
"""

from __future__ import annotations

import functools
import math

import torch

from skwavpool.haar import haar_matrix

# Up to this many values in a batch, and this many per image: beyond them the
# passes of haar_mrd_packed catch up, and the matrix (values per image squared
# while it is built) grows.
MAX_BATCH_VALUES = 1 << 18
MAX_IMAGE_VALUES = 4096


def applies(images):
    """Whether the batch ``images`` ``(batch, C, H, W)`` takes the sparse product:
    float32 or float64 on the CPU, small enough, outside autocast (which has no
    sparse kernel for half precision)."""
    return (
        images.device.type == "cpu"
        and images.dtype in (torch.float32, torch.float64)
        and not torch.is_autocast_enabled("cpu")
        and images.numel() <= MAX_BATCH_VALUES
        and math.prod(images.shape[1:]) <= MAX_IMAGE_VALUES
    )


@functools.lru_cache(maxsize=16)
def _matrix(image_shape, levels, mode, dtype):
    # Built outside inference mode even when first needed inside it: an
    # inference tensor could not take part in a later forward pass with autograd.
    with torch.inference_mode(False):
        return haar_matrix(image_shape, levels, mode, dtype=dtype)


def haar_mrd_packed(images, levels, mode):
    """``skwavpool.haar.haar_mrd_packed(images, levels, mode)`` as one sparse product."""
    matrix = _matrix(tuple(images.shape[1:]), levels, mode, images.dtype)
    return (matrix @ images.flatten(1).T).T
