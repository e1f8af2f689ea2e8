import numpy as np
import pytest
import pywt
import torch
from sklearn.base import clone
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


def run_sklearn_check(estimator, check):
    """Run one of scikit-learn's common checks on ``estimator``.

    scikit-learn's check that integer sample weights act as repeated samples
    compares the predictions of the two fits at a relative tolerance of
    1e-7, below float32's resolution (1.2e-7), and dropout and random
    shifts draw per sample. As scikit-learn runs its own stochastic
    estimators through that check in a configuration of their own
    (``MLPClassifier`` with ``solver="lbfgs"``), it runs here on the
    configuration in which the equivalence is exact up to float64 rounding:
    float64, no dropout, no shifts, and one batch for all of the check's
    (at most 60) samples.
    """
    if getattr(check, "func", check).__name__ == "check_sample_weight_equivalence_on_dense_data":
        exact = {"dtype": "float64", "max_shift": 0, "batch_size": 64}
        if "dropout" in estimator.get_params():
            exact["dropout"] = 0.0
        estimator = clone(estimator).set_params(**exact)
    check(estimator)
