"""The compiled Haar kernels (``compiled=True``) against PyWavelets, the reference and the default."""

import pytest
import torch
from torch._dynamo.utils import counters

from skwavpool.haar import MODES, haar_imrd, haar_mrd
from tests.conftest import DEVICES
from tests.test_haar import TOL, all_bands, assert_matches_pywt, pywt_reference, reference

pytestmark = pytest.mark.usefixtures("fresh_compile_cache")


def compiled_graphs():
    # torch's own count of the graphs it compiled (an internal counter).
    return counters["stats"]["unique_graphs"]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize(
    ("mode", "dtype", "levels"),
    [(mode, torch.float32, None) for mode in MODES]
    + [("smooth", torch.float64, None), ("zero", torch.float32, 1), ("periodic", torch.float64, 2)],
)
def test_matches_pywt_and_the_reference(monkeypatch, device, mode, dtype, levels):
    x = torch.randn(3, 2, 13, 10, dtype=dtype, generator=torch.Generator().manual_seed(0)).to(device)
    mrd = haar_mrd(x, levels=levels, mode=mode, compiled=True)
    assert compiled_graphs() == 1
    assert mrd.approx.dtype == dtype and mrd.approx.device.type == device
    assert_matches_pywt(mrd, pywt_reference(x, levels, mode), TOL[dtype])
    want = all_bands(reference(monkeypatch, haar_mrd, x, levels, mode))
    for got, expected in zip(all_bands(mrd), want, strict=True):
        torch.testing.assert_close(got, expected, rtol=TOL[dtype], atol=TOL[dtype] * 10)
    assert torch.allclose(haar_imrd(mrd), x, rtol=0, atol=TOL[dtype] * 10)


def assert_same_bands(got, want):
    for g, w in zip([got.approx, *sum(got.details, ())], [want.approx, *sum(want.details, ())]):
        assert g.shape == w.shape
        torch.testing.assert_close(g, w, rtol=1e-5, atol=1e-5)


def test_one_kernel_serves_every_batch_size():
    x = torch.randn(7, 2, 9, 8, generator=torch.Generator().manual_seed(1))
    for images in (x, x[:3], x[:, 0], x[2:5, 1]):
        assert_same_bands(haar_mrd(images, compiled=True), haar_mrd(images))
    assert compiled_graphs() == 1


def test_each_image_size_gets_a_kernel_of_its_own():
    # Not one generic in the size, which torch would otherwise compile on
    # the second size seen and reuse for the third: twice as slow.
    for side in (8, 12, 16):  # even sides at both levels: the same graph but for the size
        x = torch.randn(5, side, side, generator=torch.Generator().manual_seed(3))
        assert_same_bands(haar_mrd(x, levels=2, compiled=True), haar_mrd(x, levels=2))
    assert compiled_graphs() == 3


def test_inside_a_callers_torch_compile():
    x = torch.randn(4, 13, 10, generator=torch.Generator().manual_seed(4))
    caller = torch.compile(lambda t: haar_mrd(t, compiled=True).details[-1][2] * 2)
    torch.testing.assert_close(caller(x), haar_mrd(x).details[-1][2] * 2, rtol=1e-5, atol=1e-5)


def test_gradients():
    x = torch.randn(2, 7, 9, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: haar_mrd(t, mode="reflect", compiled=True).details[-1][1], (x,))
    assert torch.autograd.gradcheck(lambda t: haar_mrd(t, levels=2, compiled=True).approx, (x,))
    assert compiled_graphs() >= 1


def test_no_levels_and_empty_batches_need_no_kernel():
    x = torch.randn(4, 6, 6)
    assert torch.equal(haar_mrd(x, levels=0, compiled=True).approx, x)
    assert haar_mrd(x[:0], compiled=True).approx.shape == haar_mrd(x[:0]).approx.shape
    assert compiled_graphs() == 0


@pytest.mark.parametrize("compiled", [1, "yes", None])
def test_compiled_must_be_a_bool(compiled):
    with pytest.raises(TypeError, match="compiled must be True or False"):
        haar_mrd(torch.zeros(2, 4, 4), compiled=compiled)
