"""Dask arrays through HaarMRDTransformer: lazy, chunked along samples, equal to numpy.

The threaded scheduler computes them here; on a cluster the same graph runs on the workers.
"""

import dask.array as da
import numpy as np
import pytest

from skwavpool import HaarMRDTransformer


@pytest.fixture(scope="module")
def mnist_sized():
    return np.random.default_rng(0).random((60000, 28, 28), dtype=np.float32)


def test_dask_array_in_dask_array_out_equal_to_numpy(mnist_sized):
    lazy = da.from_array(mnist_sized, chunks=(7000, 28, 28))
    mrd = HaarMRDTransformer().fit(lazy)
    coeffs = mrd.transform(lazy)
    assert isinstance(coeffs, da.Array)
    assert coeffs.shape == (60000, 799) and coeffs.dtype == np.float32
    assert coeffs.chunks[0] == lazy.chunks[0]  # chunked along samples, as the input
    expected = HaarMRDTransformer().fit(mnist_sized).transform(mnist_sized)
    # Chunks change the batches that the matrix products see, which may round differently on other CPUs.
    np.testing.assert_allclose(coeffs.compute(), expected, rtol=1e-6, atol=1e-6)
    back = mrd.inverse_transform(coeffs)
    assert isinstance(back, da.Array) and back.shape == mnist_sized.shape
    np.testing.assert_allclose(back[:5000].compute(), mnist_sized[:5000], atol=1e-6)


@pytest.mark.parametrize("shape, image_shape", [((50, 3, 9, 11), None), ((50, 64), (8, 8)), ((50, 12, 10), None)])
def test_dask_layouts_round_trip(shape, image_shape):
    X = np.random.default_rng(1).random(shape)
    lazy = da.from_array(X, chunks=(16,) + shape[1:])
    mrd = HaarMRDTransformer(image_shape=image_shape, bands="hvd").fit(lazy)
    np.testing.assert_allclose(mrd.transform(lazy).compute(), mrd.transform(X), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(
        mrd.inverse_transform(mrd.transform(lazy)).compute(), mrd.inverse_transform(mrd.transform(X)),
        rtol=1e-12, atol=1e-12,
    )


def test_bad_dask_input_is_refused_early_or_at_compute():
    mrd = HaarMRDTransformer().fit(np.zeros((2, 8, 8)))
    with pytest.raises(ValueError, match=r"samples of shape \(8, 9\)"):
        mrd.transform(da.zeros((10, 8, 9)))
    with pytest.raises(TypeError, match="real numbers"):
        mrd.transform(da.zeros((10, 8, 8), dtype=complex))
    with pytest.raises(ValueError, match=r"shape \(n_samples, 64\)"):
        mrd.inverse_transform(da.zeros((10, 63)))
    lazy = mrd.transform(da.from_array(np.full((10, 8, 8), np.nan), chunks=5))  # lazy: no error yet
    with pytest.raises(ValueError, match="NaN"):
        lazy.compute()
