"""WavPoolRegressor: scikit-learn's rules, targets in any units and shapes, persistence, pipelines."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils.estimator_checks import parametrize_with_checks

from skwavpool import WavPoolRegressor
from tests.conftest import run_sklearn_check

FAST = {"max_epochs": 15, "hidden_size": 32, "random_state": 0}


@parametrize_with_checks([WavPoolRegressor()])
def test_sklearn_compatible(estimator, check):
    run_sklearn_check(estimator, check)


@pytest.fixture(scope="module")
def digits():
    """8x8 digit images and two targets in different units: the ink in the
    right half minus the left, and a tenth of the ink in the top half."""
    images = load_digits().images / 16
    ink_right = images[:, :, 4:].sum(axis=(1, 2)) - images[:, :, :4].sum(axis=(1, 2))
    ink_top = images[:, :4].sum(axis=(1, 2)) / 10
    return images[:, None], np.column_stack([ink_right, ink_top])


def test_learns_single_and_multi_output_targets_in_their_shapes(digits):
    X, Y = digits
    single = WavPoolRegressor(**FAST).fit(X[:1400], Y[:1400, 0])
    assert single.predict(X[1400:]).shape == (len(X) - 1400,)
    assert single.score(X[1400:], Y[1400:, 0]) > 0.8
    multi = WavPoolRegressor(**FAST).fit(X[:1400], Y[:1400])
    assert multi.predict(X[1400:]).shape == (len(X) - 1400, 2) and multi.n_outputs_ == 2
    assert multi.score(X[1400:], Y[1400:]) > 0.8
    column = WavPoolRegressor(**{**FAST, "max_epochs": 1}).fit(X[:100], Y[:100, :1])
    assert column.predict(X[:3]).shape == (3, 1)


def test_targets_are_standardised_for_training_and_mapped_back(digits):
    X, Y = digits
    y = Y[:1400, 0]
    plain = WavPoolRegressor(**FAST).fit(X[:1400], y)
    np.testing.assert_allclose(plain.y_mean_, [y.mean()])
    np.testing.assert_allclose(plain.y_scale_, [y.std()])
    # Targets in other units train the same network: predictions follow the units.
    shifted = WavPoolRegressor(**FAST).fit(X[:1400], 1000 * y + 5e4)
    np.testing.assert_allclose(shifted.predict(X[1400:]), 1000 * plain.predict(X[1400:]) + 5e4, rtol=1e-4, atol=0.5)
    constant = WavPoolRegressor(**{**FAST, "max_epochs": 2}).fit(X[:100], np.full(100, 7.0))
    np.testing.assert_allclose(constant.y_scale_, [1.0])
    np.testing.assert_allclose(constant.predict(X[:5]), 7.0, atol=0.5)


def test_determinism_pickle_and_pipelines(digits):
    X, Y = digits
    first = WavPoolRegressor(**FAST, device="cpu").fit(X[:500], Y[:500])
    second = WavPoolRegressor(**FAST, device="cpu").fit(X[:500], Y[:500])
    np.testing.assert_array_equal(first.predict(X[500:600]), second.predict(X[500:600]))
    restored = pickle.loads(pickle.dumps(first))
    np.testing.assert_array_equal(restored.predict(X[500:600]), first.predict(X[500:600]))
    flat = X.reshape(len(X), -1) * 16
    pipe = make_pipeline(FunctionTransformer(lambda Z: Z / 16), WavPoolRegressor(**FAST))
    assert cross_val_score(pipe, flat[:900], Y[:900, 0], cv=3).mean() > 0.7


def test_fitted_attributes_and_warm_start(digits):
    X, Y = digits
    reg = WavPoolRegressor(**{**FAST, "max_epochs": 3, "warm_start": True}).fit(X[:300], Y[:300])
    assert reg.n_iter_ == 3 and len(reg.loss_curve_) == 3 and reg.validation_scores_ is None
    mean = reg.y_mean_.copy()
    reg.fit(X[:300], Y[:300] + 100)  # a warm start keeps the units the network learned in
    assert reg.n_iter_ == 6 and len(reg.loss_curve_) == 6
    np.testing.assert_array_equal(reg.y_mean_, mean)
    with pytest.raises(ValueError, match="same number of targets"):
        reg.fit(X[:300], Y[:300, 0])
    validated = WavPoolRegressor(**FAST, early_stopping=True).fit(X[:600], Y[:600])
    assert len(validated.validation_scores_) == validated.n_iter_
    assert validated.best_validation_score_ == max(validated.validation_scores_)
    held_out = WavPoolRegressor(**FAST).fit(X[:600], Y[:600], validation_data=(X[600:800], Y[600:800]))
    assert held_out.validation_scores_[-1] == pytest.approx(held_out.score(X[600:800], Y[600:800]), abs=1e-4)


def test_a_diverged_fit_raises(digits):
    X, Y = digits
    with pytest.raises(ValueError, match="loss became"):
        WavPoolRegressor(**FAST, optimizer="sgd", lr=1e4).fit(X[:200] * 255, Y[:200])


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_trains_on_cuda(digits):
    X, Y = digits
    reg = WavPoolRegressor(**FAST, device="cuda").fit(X[:300], Y[:300])
    assert reg.device_.type == "cuda" and reg.predict(X[:5]).shape == (5, 2)


def test_sample_weights_act_as_repetition_and_a_zero_weight_leaves_the_sample_out(digits):
    X, Y = digits
    weights = np.random.default_rng(0).integers(0, 4, 60)
    # No dropout, no shifts, one batch: weighted and repeated fits differ by float32 rounding only.
    params = {"hidden_size": 16, "dropout": 0.0, "max_shift": 0, "batch_size": 256, "max_epochs": 5, "random_state": 0}
    weighted = WavPoolRegressor(**params).fit(X[:60], Y[:60], sample_weight=weights)
    repeated = WavPoolRegressor(**params).fit(np.repeat(X[:60], weights, axis=0), np.repeat(Y[:60], weights, axis=0))
    np.testing.assert_allclose(weighted.y_mean_, np.average(Y[:60], axis=0, weights=weights))
    np.testing.assert_allclose(weighted.y_mean_, repeated.y_mean_)
    np.testing.assert_allclose(weighted.y_scale_, repeated.y_scale_)
    np.testing.assert_allclose(weighted.predict(X[60:]), repeated.predict(X[60:]), atol=1e-5 * weighted.y_scale_.max())
    kept = weights > 0
    left_out = WavPoolRegressor(**params).fit(X[:60][kept], Y[:60][kept], sample_weight=weights[kept])
    np.testing.assert_array_equal(weighted.predict(X[60:]), left_out.predict(X[60:]))
