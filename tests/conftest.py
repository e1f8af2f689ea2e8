import numpy as np
import pytest
import pywt
import torch
from torch._dynamo.utils import counters

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture(params=DEVICES)
def device(request):
    return torch.device(request.param)


@pytest.fixture
def fresh_compile_cache():
    """An empty torch.compile cache before and after the test: torch stops
    compiling a function after 8 variants (sizes, modes, dtypes, grad mode)
    and runs it uncompiled from then on, which would let later tests of the
    compiled Haar kernels pass without testing them."""
    torch._dynamo.reset()
    counters.clear()
    yield
    torch._dynamo.reset()


def pywt_features(images, levels, mode):
    """The documented pywt expression for 4-D ``images``: each coefficient
    array of ``pywt.wavedec2`` flattened per image, in its order, side by side."""
    coeffs = pywt.wavedec2(images, "haar", mode=mode, level=levels, axes=(-2, -1))
    arrays = [coeffs[0]] + [band for triple in coeffs[1:] for band in triple]
    return np.hstack([a.reshape(len(images), -1) for a in arrays])
