"""HaarMRDTransformer: scikit-learn's rules, pywt agreement, pipelines, bad input."""

import tracemalloc
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from skwavpool import HaarMRDTransformer
from skwavpool import transformer as transformer_module
from skwavpool._images import as_tensor
from skwavpool.haar import MODES, max_level
from tests.conftest import DEVICES, pywt_features


@parametrize_with_checks([HaarMRDTransformer()])
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.mark.parametrize("device", DEVICES)
@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 4),
    c=st.integers(1, 6),
    h=st.integers(1, 20),
    w=st.integers(1, 20),
    mode=st.sampled_from(MODES),
    dtype=st.sampled_from([np.float32, np.float64]),
    layout=st.sampled_from(["flat", "3d", "4d"]),
    data=st.data(),
)
def test_transform_matches_pywt_and_inverts(device, n, c, h, w, mode, dtype, layout, data):
    if layout == "3d":
        c = 1
    levels = data.draw(st.integers(0, max_level((h, w))), label="levels")
    images = np.random.default_rng(n * h * w).standard_normal((n, c, h, w)).astype(dtype)
    X = {"flat": images.reshape(n, -1), "3d": images[:, 0], "4d": images}[layout]
    mrd = HaarMRDTransformer(
        levels=levels, mode=mode, device=device, image_shape=(c, h, w) if layout == "flat" else None
    )
    Xt = mrd.fit_transform(X)
    assert Xt.dtype == dtype
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(Xt, pywt_features(images, levels, mode), rtol=tol, atol=tol * 10)
    assert len(mrd.get_feature_names_out()) == Xt.shape[1]
    back = mrd.inverse_transform(Xt)
    assert back.shape == X.shape and back.dtype == dtype
    np.testing.assert_allclose(back, X, rtol=1e-6 if dtype == np.float32 else 1e-12, atol=1e-5)


def test_flat_rows_without_image_shape_use_the_divisor_rule():
    rng = np.random.default_rng(0)
    for n_features, shape in [(64, (1, 8, 8)), (784, (1, 28, 28)), (10, (1, 2, 5)), (7, (1, 1, 7))]:
        # Only perfect squares are read without a warning that the shape is a guess.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            mrd = HaarMRDTransformer().fit(rng.random((3, n_features)))
        assert len(caught) == (shape[1] != shape[2])
        assert mrd.image_shape_ == shape
        assert mrd.n_features_in_ == n_features


@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.int64])
def test_integer_images_become_float64_batch_by_batch(dtype, monkeypatch):
    X = np.random.default_rng(0).integers(0, 256, size=(2000, 8, 8)).astype(dtype)
    expected = HaarMRDTransformer().fit_transform(X.astype(np.float64))
    seen = []

    def recording_as_tensor(array, device):
        seen.append((array.dtype, len(array)))
        return as_tensor(array, device)

    monkeypatch.setattr(transformer_module, "as_tensor", recording_as_tensor)
    mrd = HaarMRDTransformer(batch_size=300)
    tracemalloc.start()
    try:
        mrd.fit(X)
        fit_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        Xt = mrd.transform(X)
        transform_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert Xt.dtype == np.float64
    np.testing.assert_allclose(Xt, expected, rtol=1e-12, atol=1e-12)
    # The integers reach the device as they are, one batch at a time...
    assert seen == [(X.dtype, 300)] * 6 + [(X.dtype, 200)]
    # ...and no float copy of the whole array is made (that copy would be as
    # large as the output).
    assert fit_peak < max(X.nbytes, Xt.nbytes / 4)
    assert transform_peak < 1.5 * Xt.nbytes


def test_feature_names_say_band_level_and_position():
    mrd = HaarMRDTransformer().fit(np.zeros((2, 8, 8)))
    names = mrd.get_feature_names_out()
    assert names[:5].tolist() == ["a3_0_0", "h3_0_0", "v3_0_0", "d3_0_0", "h2_0_0"]
    assert names[-1] == "d1_3_3" and "h1_3_1" in names
    colour = HaarMRDTransformer(levels=1).fit(np.zeros((2, 3, 4, 4))).get_feature_names_out()
    assert colour[:5].tolist() == ["c0_a1_0_0", "c0_a1_0_1", "c0_a1_1_0", "c0_a1_1_1", "c1_a1_0_0"]
    assert colour[-1] == "c2_d1_1_1"


def test_bands_choose_columns_and_inverse_zero_fills():
    X, _ = load_digits(return_X_y=True)
    full = HaarMRDTransformer(image_shape=(8, 8)).fit(X)
    details = HaarMRDTransformer(image_shape=(8, 8), bands="hvd").fit(X)
    names = full.get_feature_names_out()
    kept = np.array([not name.startswith("a") for name in names])
    np.testing.assert_array_equal(details.transform(X), full.transform(X)[:, kept])
    assert details.get_feature_names_out().tolist() == names[kept].tolist()
    coeffs = full.transform(X)
    coeffs[:, ~kept] = 0
    np.testing.assert_allclose(details.inverse_transform(details.transform(X)), full.inverse_transform(coeffs))


def test_pandas_output():
    X, _ = load_digits(return_X_y=True)
    mrd = HaarMRDTransformer(image_shape=(8, 8)).set_output(transform="pandas")
    frame = mrd.fit_transform(pd.DataFrame(X, columns=[f"px{i}" for i in range(64)]))
    assert isinstance(frame, pd.DataFrame)
    assert frame.columns[0] == "a3_0_0" and frame.shape == (1797, 64)


def test_batch_size_gives_the_same_result():
    X, _ = load_digits(return_X_y=True)
    whole = HaarMRDTransformer(image_shape=(8, 8)).fit(X)
    batched = HaarMRDTransformer(image_shape=(8, 8), batch_size=100).fit(X)
    # Other batches may round differently in the matrix products on other CPUs: equal up to rounding.
    np.testing.assert_allclose(whole.transform(X), batched.transform(X), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(
        whole.inverse_transform(whole.transform(X)), batched.inverse_transform(whole.transform(X)),
        rtol=1e-12, atol=1e-12,
    )


def test_pipeline_cross_validation_and_grid_search():
    X, y = load_digits(return_X_y=True)
    pipe = make_pipeline(
        HaarMRDTransformer(image_shape=(8, 8)), StandardScaler(), LogisticRegression(max_iter=2000)
    )
    scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.mean() > 0.9
    search = GridSearchCV(pipe, {"haarmrdtransformer__levels": [1, 3]}, cv=3).fit(X, y)
    assert search.best_params_["haarmrdtransformer__levels"] in (1, 3)
    assert search.best_score_ > 0.9


@pytest.mark.parametrize(
    "params, X, error, match",
    [
        ({}, np.array([[np.nan] * 4]), ValueError, "Input X contains NaN"),
        ({}, np.array([[np.inf] * 4]), ValueError, "Input X contains infinity"),
        ({}, np.ones((2, 4), dtype=complex), ValueError, "X must hold real numbers: Complex data not supported"),
        ({}, np.array([["a"] * 4]), ValueError, "X must hold numbers"),
        ({}, np.array([[object()] * 4]), TypeError, "X must hold numbers"),
        ({}, sp.csr_matrix(np.ones((2, 4))), TypeError, "Sparse data"),
        ({"image_shape": (3, 3)}, np.ones((2, 4)), ValueError, "image_shape=.* holds 9 values"),
        ({"image_shape": (2, 0)}, np.ones((2, 4)), ValueError, r"image_shape must be \(C, H, W\) or \(H, W\) of pos"),
        ({"image_shape": (4,)}, np.ones((2, 4)), ValueError, r"image_shape must be \(C, H, W\) or \(H, W\)"),
        ({"image_shape": (2.5, 2)}, np.ones((2, 5)), ValueError, r"image_shape must be .* positive ints, got \(2.5, 2\)"),
        ({"image_shape": (4, 16)}, np.ones((2, 8, 8)), ValueError, r"image_shape=\(4, 16\) does not match X's images"),
        ({"image_shape": (3, 4, 4)}, np.ones((2, 1, 8, 6)), ValueError, "image_shape=.* does not match X's images"),
        ({"levels": 2}, np.ones((2, 3, 3)), ValueError, "levels=2 is out of range for images of shape"),
        ({"levels": -1}, np.ones((2, 4)), ValueError, "'levels' parameter"),
        ({"mode": "mirror"}, np.ones((2, 4)), ValueError, "'mode' parameter"),
        ({"bands": "hx"}, np.ones((2, 4)), ValueError, "bands must be None or a string"),
        ({"batch_size": 0}, np.ones((2, 4)), ValueError, "'batch_size' parameter"),
        ({"device": "warp-drive"}, np.ones((2, 4)), ValueError, "device must be 'auto'"),
        ({"device": "meta"}, np.ones((2, 4)), ValueError, "device='meta' holds no values"),
        ({}, np.ones((2, 2, 2, 2, 2)), ValueError, "got 5 dimensions"),
    ],
)
def test_bad_input_gets_a_clear_error(params, X, error, match):
    with pytest.raises(error, match=match):
        HaarMRDTransformer(**params).fit(X)


@pytest.mark.skipif(torch.backends.mps.is_available(), reason="MPS is usable here")
def test_a_device_torch_knows_but_cannot_use_is_refused_at_fit():
    with pytest.raises(ValueError, match="device='mps' cannot be used here"):
        HaarMRDTransformer(device="mps").fit(np.ones((2, 4)))


def test_image_shape_may_restate_the_images_own_shape():
    X = np.random.default_rng(0).random((3, 2, 8, 6))
    np.testing.assert_array_equal(
        HaarMRDTransformer(image_shape=(2, 8, 6)).fit_transform(X), HaarMRDTransformer().fit_transform(X)
    )
    np.testing.assert_array_equal(
        HaarMRDTransformer(image_shape=(8, 6)).fit_transform(X[:, 0]), HaarMRDTransformer().fit_transform(X[:, 0])
    )


def test_flipped_views_are_read_like_copies():
    X, _ = load_digits(return_X_y=True)
    mrd = HaarMRDTransformer(image_shape=(8, 8)).fit(X)
    np.testing.assert_array_equal(mrd.transform(X[::-1]), mrd.transform(X)[::-1])
    np.testing.assert_array_equal(mrd.transform(X[:, ::-1]), mrd.transform(np.ascontiguousarray(X[:, ::-1])))
    coeffs = mrd.transform(X)
    np.testing.assert_array_equal(mrd.inverse_transform(coeffs[::-1]), mrd.inverse_transform(coeffs)[::-1])


def test_wrong_shape_at_transform_time():
    mrd = HaarMRDTransformer().fit(np.ones((2, 8, 8)))
    with pytest.raises(ValueError, match="expecting 64 features"):
        mrd.transform(np.ones((2, 63)))
    with pytest.raises(ValueError, match=r"samples of shape \(4, 16\).*fitted on samples of shape \(8, 8\)"):
        mrd.transform(np.ones((2, 4, 16)))
    with pytest.raises(ValueError, match="expects 64 coefficients"):
        mrd.inverse_transform(np.ones((2, 65)))
    with pytest.raises(ValueError, match="Input X contains NaN"):
        mrd.inverse_transform(np.full((2, 64), np.nan))
    np.testing.assert_allclose(mrd.transform(np.ones((2, 64))), mrd.transform(np.ones((2, 8, 8))))
