"""The reference Haar MRD of :mod:`skwavpool.haar` compiled by ``torch.compile``,
for ``haar_mrd(..., compiled=True)``.

Eager torch runs the reference's whole-tensor expressions one elementwise
kernel at a time, and on the CPU none of those kernels is vectorised: torch
vectorises only inner runs of at least 32 contiguous floats (two AVX-512
vectors), and a Haar level reads every other value of rows that are often
shorter (28 floats for 28x28 images). ``torch.compile`` (inductor) fuses each
level into one loop instead. ``benchmarks/bench_haar.py`` measures the gain.
"""

from __future__ import annotations

import functools

import torch

from skwavpool.haar import _mrd_levels


@functools.cache
def _compiled_mrd_levels():
    # Built on first use: torch.compile imports its compiler stack, which
    # would slow down every import of skwavpool. Every level's approximation
    # is an output of the compiled function (the reference returns them all):
    # an output is stored once, where inductor would recompute an intermediate
    # from the images in every level that reads it.
    return torch.compile(_mrd_levels)


def mrd_levels(x, levels, mode):
    """``(A, H, V, D)`` of every level of the images ``x`` (N, H, W), finest
    first, as the reference's :func:`skwavpool.haar._mrd_levels` gives them."""
    if torch.compiler.is_compiling():
        # Inside the caller's own torch.compile, which fuses the reference itself.
        return _mrd_levels(x, levels, mode)
    # Contiguous, the batch size dynamic and the image size static, so that one
    # kernel serves every batch: torch specialises a kernel to its input's
    # strides, and would otherwise compile one for the first batch size it
    # sees and a size-generic one on the next; nor, after a second image size,
    # would it compile another kernel for each size, but one generic in the
    # size too, whose loops run slower than those of a kernel for one size.
    x = x.contiguous()
    torch._dynamo.maybe_mark_dynamic(x, 0)
    torch._dynamo.mark_static(x, 1)
    torch._dynamo.mark_static(x, 2)
    return _compiled_mrd_levels()(x, levels, mode)
