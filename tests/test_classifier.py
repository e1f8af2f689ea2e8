"""WavPoolClassifier: scikit-learn's rules, training, persistence, model selection, bad input."""

import io
import itertools
import pickle

import joblib
import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from skwavpool import CNNBaselineClassifier, MLPBaselineClassifier, WavPool, WavPoolClassifier
from tests.conftest import run_sklearn_check

FAST = {"max_epochs": 10, "hidden_size": 32, "random_state": 0}


@parametrize_with_checks([WavPoolClassifier(), MLPBaselineClassifier(), CNNBaselineClassifier()])
def test_sklearn_compatible(estimator, check):
    run_sklearn_check(estimator, check)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return train_test_split(X / 16, y, test_size=0.25, stratify=y, random_state=0)


def test_learns_digits(digits):
    X_train, X_test, y_train, y_test = digits
    clf = WavPoolClassifier(max_epochs=20, random_state=0).fit(X_train, y_train)
    assert clf.score(X_test, y_test) >= 0.95
    assert len(clf.net_.history) == 20
    assert clf.net_.history[-1, "train_loss"] < clf.net_.history[0, "train_loss"]
    assert clf.device_ == torch.device("cuda" if torch.cuda.is_available() else "cpu")


def test_random_state_makes_fits_identical_and_spares_the_global_rng(digits):
    X_train, X_test, y_train, _ = digits
    torch.manual_seed(123)
    before = torch.get_rng_state()
    first = WavPoolClassifier(device="cpu", **FAST).fit(X_train, y_train).predict_proba(X_test)
    assert torch.equal(torch.get_rng_state(), before)
    second = WavPoolClassifier(device="cpu", **FAST).fit(X_train, y_train).predict_proba(X_test)
    np.testing.assert_array_equal(first, second)
    other = WavPoolClassifier(device="cpu", **{**FAST, "random_state": 1}).fit(X_train, y_train)
    assert not np.array_equal(first, other.predict_proba(X_test))


@pytest.mark.parametrize("labels", [np.array(["zero", "one", "two"]), np.array([5, 6, 7])])
def test_any_labels_come_back_as_given(digits, labels):
    X_train, X_test, y_train, y_test = digits
    keep_train, keep_test = y_train < 3, y_test < 3
    clf = WavPoolClassifier(**{**FAST, "max_epochs": 15}).fit(X_train[keep_train], labels[y_train[keep_train]])
    np.testing.assert_array_equal(clf.classes_, np.sort(labels))
    assert set(clf.predict(X_test[keep_test])) <= set(labels)
    assert clf.score(X_test[keep_test], labels[y_test[keep_test]]) > 0.8


def test_probabilities_and_input_layouts(digits):
    X_train, X_test, y_train, _ = digits
    clf = WavPoolClassifier(**FAST).fit((X_train * 16).astype(np.int64), y_train)  # integer images
    proba = clf.predict_proba(X_test * 16)
    assert proba.shape == (len(X_test), 10)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    as_3d = WavPoolClassifier(**FAST).fit(X_train.reshape(-1, 8, 8), y_train)
    assert as_3d.input_shape_ == (8, 8) and as_3d.image_shape_ == (1, 8, 8)
    assert as_3d.predict(X_test.reshape(-1, 8, 8)).shape == (len(X_test),)
    flipped = (X_test * 16).astype(np.float32)[::-1]  # negative strides, which torch cannot view
    np.testing.assert_allclose(clf.predict_proba(flipped), proba[::-1], rtol=1e-5, atol=1e-6)
    colour = np.repeat(X_train.reshape(-1, 1, 8, 8), 3, axis=1)
    as_4d = WavPoolClassifier(**FAST).fit(colour, y_train)
    assert as_4d.image_shape_ == (3, 8, 8)
    assert as_4d.net_.module_.micro_wavs[-1].horizontal.in_features == 3 * 4 * 4


def test_predicts_in_batches_of_bounded_size(digits, monkeypatch):
    X_train, X_test, y_train, _ = digits
    clf = WavPoolClassifier(**{**FAST, "batch_size": 50}).fit(X_train, y_train)
    sizes = []
    forward = clf.net_.module_.forward
    monkeypatch.setattr(clf.net_.module_, "forward", lambda x: sizes.append(len(x)) or forward(x))
    clf.predict(X_test)
    assert max(sizes) == 50 and sum(sizes) == len(X_test)


def test_pickle_and_joblib_round_trips(digits):
    X_train, X_test, y_train, _ = digits
    clf = WavPoolClassifier(**FAST).fit(X_train, y_train)
    expected = clf.predict_proba(X_test)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(clf)).predict_proba(X_test), expected)
    buffer = io.BytesIO()
    joblib.dump(clf, buffer)
    buffer.seek(0)
    np.testing.assert_array_equal(joblib.load(buffer).predict_proba(X_test), expected)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_a_model_saved_from_cuda_loads_on_the_cpu(digits):
    # skorch records the training device and maps the weights to the CPU when
    # unpickled without CUDA; mark a CPU-fitted model as CUDA-trained to take that path.
    X_train, X_test, y_train, _ = digits
    clf = WavPoolClassifier(**FAST).fit(X_train, y_train)
    expected = clf.predict(X_test)
    clf.net_.device, clf.device_ = "cuda", torch.device("cuda")
    with pytest.warns(UserWarning, match="no CUDA devices are available|is not available"):
        restored = pickle.loads(pickle.dumps(clf))
    assert restored.device_ == torch.device("cpu")
    np.testing.assert_array_equal(restored.predict(X_test), expected)


def test_early_stopping_restores_the_best_epoch(digits):
    X_train, _, y_train, _ = digits
    clf = WavPoolClassifier(
        max_epochs=40, early_stopping=True, patience=2, validation_fraction=0.2, lr=0.05, random_state=0
    ).fit(X_train, y_train)
    history = clf.net_.history
    assert len(history) < 40
    losses = history[:, "valid_loss"]
    assert int(np.argmin(losses)) == len(losses) - 1 - 2  # stopped `patience` epochs after the best


def test_warm_start_continues_training(digits):
    X_train, _, y_train, _ = digits
    clf = WavPoolClassifier(**{**FAST, "warm_start": True}).fit(X_train, y_train)
    weights = clf.net_.module_.output.weight.detach().clone()
    loss = clf.net_.history[-1, "train_loss"]
    clf.fit(X_train, y_train)
    assert len(clf.net_.history) == 2 * FAST["max_epochs"]
    assert not torch.equal(weights, clf.net_.module_.output.weight)
    assert clf.net_.history[FAST["max_epochs"], "train_loss"] < 1.5 * loss  # not from scratch


def test_warm_start_trains_with_the_current_training_parameters(digits):
    X_train, _, y_train, _ = digits
    clf = WavPoolClassifier(**{**FAST, "max_epochs": 3, "lr": 0.01, "warm_start": True}).fit(X_train, y_train)
    clf.set_params(max_epochs=4, lr=0.02).fit(X_train, y_train)
    lrs = clf.net_.history[:, "event_lr"]
    assert len(lrs) == 7
    # The second fit's cosine schedule starts at its own lr and anneals to zero over its own max_epochs.
    assert lrs[3] == pytest.approx(0.02)
    assert all(a > b for a, b in itertools.pairwise(lrs[3:]))
    assert clf.net_.optimizer_.param_groups[0]["lr"] == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize(
    "change, match",
    [
        ({"hidden_size": 16}, r"same architecture .* changed: \['hidden_size'\]"),
        ({"image_shape": (4, 16)}, "same image shape"),
        ({"X": "half the features"}, "expecting 64 features"),
        ({"y": "five classes"}, "same classes"),
    ],
)
def test_a_rejected_warm_start_leaves_the_fitted_model_intact(digits, change, match):
    X_train, X_test, y_train, _ = digits
    clf = WavPoolClassifier(**{**FAST, "max_epochs": 2, "warm_start": True}).fit(X_train, y_train)
    before = clf.predict_proba(X_test)
    X, y = X_train, y_train
    if "X" in change:
        X = X_train[:, :32]
    elif "y" in change:
        X, y = X_train[y_train < 5], y_train[y_train < 5]
    else:
        clf.set_params(**change)
    with pytest.raises(ValueError, match=match):
        clf.fit(X, y)
    np.testing.assert_array_equal(clf.predict_proba(X_test), before)


def test_sgd_and_verbose_output(digits, capsys):
    X_train, _, y_train, _ = digits
    WavPoolClassifier(**FAST, optimizer="sgd", lr=0.1, momentum=0.9, verbose=1).fit(X_train, y_train)
    assert "train_loss" in capsys.readouterr().out


def test_model_selection_and_pipeline(digits):
    X_train, X_test, y_train, y_test = digits
    scores = cross_val_score(WavPoolClassifier(**FAST), X_train, y_train, cv=3)
    assert scores.mean() > 0.8
    grid = {"hidden_size": [16, 32], "lr": [3e-3, 1e-2], "pooling": ["avg", "max"]}
    search = GridSearchCV(WavPoolClassifier(max_epochs=3, random_state=0), grid, cv=2).fit(X_train, y_train)
    assert set(search.best_params_) == set(grid)
    assert search.score(X_test, y_test) > 0.8
    pipe = make_pipeline(MinMaxScaler(), WavPoolClassifier(**FAST)).fit(X_train * 16, y_train)
    assert pipe.score(X_test * 16, y_test) > 0.8


@pytest.mark.parametrize(
    "params, make_y, error, match",
    [
        ({}, lambda y: np.zeros_like(y), ValueError, "only one class"),
        ({}, lambda y: y[:-1], ValueError, "inconsistent numbers of samples"),
        ({}, lambda y: np.where(np.arange(len(y)) == 0, np.nan, y), ValueError, "Input y contains NaN"),
        ({}, lambda y: y + 0.5, ValueError, "Unknown label type"),
        ({"optimizer": "lbfgs"}, lambda y: y, ValueError, "'optimizer' parameter"),
        ({"lr": 0}, lambda y: y, ValueError, "'lr' parameter"),
        ({"n_threads": 0}, lambda y: y, ValueError, "'n_threads' parameter"),
        ({"accelerator": "yes"}, lambda y: y, ValueError, "'accelerator' parameter"),
        ({"image_shape": (7, 7)}, lambda y: y, ValueError, "image_shape=.* holds 49 values"),
        ({"levels": [4]}, lambda y: y, ValueError, "levels must be detail levels between 1 and 3"),
        ({"device": "cuda:7" if not torch.cuda.is_available() else "nope"}, lambda y: y, ValueError, "device"),
    ],
)
def test_bad_input(digits, params, make_y, error, match):
    X_train, _, y_train, _ = digits
    with pytest.raises(error, match=match):
        WavPoolClassifier(**{**FAST, **params}).fit(X_train, make_y(y_train))


def test_bad_images(digits):
    X_train, X_test, y_train, _ = digits
    with pytest.raises(ValueError, match="Input X contains NaN"):
        WavPoolClassifier(**FAST).fit(np.where(X_train == 0, np.nan, X_train), y_train)
    clf = WavPoolClassifier(**FAST).fit(X_train, y_train)
    with pytest.raises(ValueError, match="expecting 64 features"):
        clf.predict(X_test[:, :60])


def test_validation_data_is_scored_every_epoch_and_drives_early_stopping(digits):
    X_train, X_test, y_train, y_test = digits
    clf = WavPoolClassifier(**FAST).fit(X_train, y_train, validation_data=(X_test, y_test))
    accuracies = clf.net_.history[:, "valid_acc"]
    assert len(accuracies) == FAST["max_epochs"]
    assert accuracies[-1] == pytest.approx(clf.score(X_test, y_test))
    stopped = WavPoolClassifier(**{**FAST, "max_epochs": 60, "early_stopping": True, "patience": 2, "lr": 0.05})
    stopped.fit(X_train, y_train, validation_data=(X_test, y_test))
    assert len(stopped.net_.history) < 60
    with pytest.raises(ValueError, match="previously unseen labels|contains"):
        WavPoolClassifier(**FAST).fit(X_train, y_train, validation_data=(X_test, y_test + 20))


@pytest.mark.parametrize("estimator", [MLPBaselineClassifier(hidden_size=64), CNNBaselineClassifier(channels=(8, 8))])
def test_baselines_learn_digits_through_the_same_machinery(digits, estimator):
    X_train, X_test, y_train, y_test = digits
    clf = estimator.set_params(max_epochs=10, random_state=0).fit(X_train, y_train)
    assert clf.score(X_test, y_test) > 0.9


def test_n_threads_holds_while_fitting_and_predicting_then_is_restored(digits, monkeypatch):
    X_train, X_test, y_train, _ = digits
    seen = []
    forward = WavPool.forward
    monkeypatch.setattr(WavPool, "forward", lambda self, x: seen.append(torch.get_num_threads()) or forward(self, x))
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        clf = WavPoolClassifier(**{**FAST, "max_epochs": 1}, n_threads=1).fit(X_train, y_train)
        clf.predict(X_test)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
    assert seen and set(seen) == {1}


@pytest.mark.parametrize("max_epochs", [2, 5])
def test_cosine_schedule_anneals_the_learning_rate_to_zero_over_max_epochs(digits, max_epochs):
    X_train, _, y_train, _ = digits
    params = {**FAST, "max_epochs": max_epochs, "lr": 0.01}
    cosine = WavPoolClassifier(**params).fit(X_train, y_train)
    constant = WavPoolClassifier(**params, lr_schedule=None).fit(X_train, y_train)
    assert constant.net_.optimizer_.param_groups[0]["lr"] == 0.01
    assert cosine.net_.optimizer_.param_groups[0]["lr"] == pytest.approx(0.0, abs=1e-12)
    assert not np.array_equal(cosine.predict_proba(X_train), constant.predict_proba(X_train))


def test_training_through_accelerate_gives_the_same_model(digits):
    from accelerate import Accelerator
    from skorch.hf import AccelerateMixin

    X_train, X_test, y_train, _ = digits
    plain = WavPoolClassifier(**FAST, n_threads=1).fit(X_train, y_train)
    accelerated = WavPoolClassifier(**FAST, n_threads=1, accelerator=Accelerator(cpu=True)).fit(X_train, y_train)
    assert isinstance(accelerated.net_, AccelerateMixin)
    assert accelerated.device_ == torch.device("cpu")
    np.testing.assert_array_equal(accelerated.predict_proba(X_test), plain.predict_proba(X_test))
    with pytest.warns(UserWarning, match="device"):  # skorch: Accelerate placed the model, not the net
        restored = pickle.loads(pickle.dumps(accelerated))
    np.testing.assert_array_equal(restored.predict_proba(X_test), plain.predict_proba(X_test))


def test_random_shift_moves_each_training_image_within_max_shift():
    from skwavpool._training import RandomShift

    X = torch.arange(1.0, 1 + 40 * 2 * 5 * 6).view(40, 2, 5, 6)  # distinct nonzero pixels
    y = torch.arange(40)
    shifted, y_out = RandomShift(2, torch.Generator().manual_seed(0))((X, y))
    assert y_out is y and shifted.shape == X.shape
    seen = set()
    for image, moved in zip(X, shifted):
        # The shift that explains the moved image, zeros where the border was uncovered.
        matches = [
            (dy, dx) for dy in range(-2, 3) for dx in range(-2, 3)
            if torch.equal(moved, torch.nn.functional.pad(image, (2, 2, 2, 2))[:, 2 - dy : 7 - dy, 2 - dx : 8 - dx])
        ]
        assert len(matches) == 1  # both channels moved together
        seen.add(matches[0])
    assert len(seen) > 10  # shifts vary from image to image


def test_max_shift_augments_training_only_and_is_seeded(digits):
    X_train, X_test, y_train, _ = digits
    shifted = WavPoolClassifier(**{**FAST, "max_epochs": 3, "max_shift": 1}).fit(X_train, y_train)
    again = WavPoolClassifier(**{**FAST, "max_epochs": 3, "max_shift": 1}).fit(X_train, y_train)
    plain = WavPoolClassifier(**{**FAST, "max_epochs": 3, "max_shift": 0}).fit(X_train, y_train)
    np.testing.assert_array_equal(shifted.predict_proba(X_test), again.predict_proba(X_test))
    assert not np.array_equal(shifted.predict_proba(X_test), plain.predict_proba(X_test))
    # Validation batches go through the plain collate function: never shifted.
    assert shifted.net_.iterator_valid__collate_fn is plain.net_.iterator_train__collate_fn
    restored = pickle.loads(pickle.dumps(shifted))  # the shift's seeded generator pickles too
    np.testing.assert_array_equal(restored.predict_proba(X_test), shifted.predict_proba(X_test))


@pytest.mark.parametrize("max_shift, pixels", [(0.05, 0), (0.25, 2), (0.3, 2), (3, 3)])
def test_a_float_max_shift_is_a_fraction_of_the_shorter_side(digits, max_shift, pixels):
    X_train, _, y_train, _ = digits
    clf = WavPoolClassifier(**{**FAST, "max_epochs": 1, "max_shift": max_shift}).fit(X_train, y_train)  # 8x8 images
    assert getattr(clf.net_.iterator_train__collate_fn, "max_shift", 0) == pixels


# Silent failures a fuzz campaign found: each now raises or warns, naming the parameter or input.


@pytest.mark.parametrize("estimator", [WavPoolClassifier(hidden_size=16), MLPBaselineClassifier(hidden_size=16)])
def test_a_diverged_fit_raises_instead_of_leaving_a_nan_model(estimator):
    rng = np.random.default_rng(0)
    X, y = rng.random((300, 64)) * 255, rng.integers(0, 10, 300)
    estimator.set_params(optimizer="sgd", lr=1e3, max_epochs=3, random_state=0)
    with pytest.raises(ValueError, match="loss became .*(nan|inf).* Scale the input.*lower lr"):
        estimator.fit(X, y)


def test_values_beyond_float32_are_refused(digits):
    X_train, X_test, y_train, y_test = digits
    with pytest.raises(ValueError, match="X holds values beyond float32's range"):
        WavPoolClassifier(**FAST).fit(X_train.astype(float) * 1e300, y_train)
    with pytest.raises(ValueError, match="X holds values beyond float32's range"):
        WavPoolClassifier(**FAST).fit(X_train, y_train, validation_data=(X_test * 1e300, y_test))
    clf = WavPoolClassifier(**{**FAST, "max_epochs": 1}).fit(X_train, y_train)
    with pytest.raises(ValueError, match="X holds values beyond float32's range"):
        clf.predict(X_test * 1e300)


def test_predicting_a_few_samples_costs_little_whatever_the_batch_size(digits, monkeypatch):
    X_train, X_test, y_train, _ = digits
    clf = WavPoolClassifier(**{**FAST, "max_epochs": 1, "batch_size": 100_000}).fit(X_train, y_train)
    sizes = []
    forward = clf.net_.module_.forward
    monkeypatch.setattr(clf.net_.module_, "forward", lambda x: sizes.append(len(x)) or forward(x))
    one = clf.predict_proba(X_test[:1])
    assert max(sizes) <= 1024
    np.testing.assert_allclose(one, clf.predict_proba(X_test)[:1], rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("max_shift", [8, 100])
def test_a_max_shift_beyond_the_image_is_refused(digits, max_shift):
    X_train, _, y_train, _ = digits
    with pytest.raises(ValueError, match=f"max_shift={max_shift} pixels would move 8x8 images out of view"):
        WavPoolClassifier(**{**FAST, "max_shift": max_shift}).fit(X_train, y_train)


@pytest.mark.parametrize(
    "estimator, match",
    [
        (WavPoolClassifier(hidden_size=[8, "a", 8]), "hidden_size must hold positive integers"),
        (WavPoolClassifier(hidden_size=[8, 2.7, 8]), "hidden_size must hold positive integers"),
        (WavPoolClassifier(hidden_size=True), "hidden_size"),
        (CNNBaselineClassifier(channels=(0, 4)), "channels must be 2 positive ints"),
        (CNNBaselineClassifier(channels=(4.5, 4)), "channels must be 2 positive ints"),
        (CNNBaselineClassifier(channels=(4,)), "channels must be 2 positive ints"),
    ],
)
def test_bad_architecture_parameters_are_named(digits, estimator, match):
    X_train, _, y_train, _ = digits
    with pytest.raises(ValueError, match=match):
        estimator.set_params(max_epochs=1).fit(X_train, y_train)


def test_callbacks_that_are_not_callbacks_are_refused(digits):
    X_train, _, y_train, _ = digits
    with pytest.raises(TypeError, match="callbacks must hold skorch callbacks.*got 1"):
        WavPoolClassifier(**FAST, callbacks=[1]).fit(X_train, y_train)


def test_an_early_stopping_split_too_small_names_validation_fraction(digits):
    X_train, _, y_train, _ = digits
    with pytest.raises(ValueError, match="validation_fraction=0.01 of 200 samples"):
        WavPoolClassifier(**FAST, early_stopping=True, validation_fraction=0.01).fit(X_train[:200], y_train[:200])


def test_the_cnn_trains_on_1x1_images_with_a_last_batch_of_one():
    rng = np.random.default_rng(0)
    X, y = rng.random((65, 1, 1, 1)), np.arange(65) % 2  # batches of 64 and 1
    clf = CNNBaselineClassifier(channels=(2, 2), max_epochs=2, random_state=0).fit(X, y)
    assert clf.predict(X).shape == (65,)


def test_predict_log_proba_is_the_log_of_predict_proba(digits):
    X_train, X_test, y_train, _ = digits
    clf = WavPoolClassifier(**{**FAST, "max_epochs": 2}).fit(X_train, y_train)
    np.testing.assert_allclose(np.exp(clf.predict_log_proba(X_test)), clf.predict_proba(X_test), rtol=1e-10)
    # skorch's own predict_proba on net_ gives probabilities too, not logits.
    images = X_test.reshape(-1, 1, 8, 8).astype(np.float32)
    np.testing.assert_allclose(clf.net_.predict_proba(images), clf.predict_proba(X_test), rtol=1e-5, atol=1e-6)


def test_fitted_attributes_follow_mlpclassifier(digits):
    X_train, X_test, y_train, y_test = digits
    clf = WavPoolClassifier(**{**FAST, "max_epochs": 4, "warm_start": True}).fit(X_train, y_train)
    assert clf.n_iter_ == 4 and len(clf.loss_curve_) == 4
    assert clf.validation_scores_ is None and clf.best_validation_score_ is None
    clf.fit(X_train, y_train)  # a warm start carries the history on
    assert clf.n_iter_ == 8 and len(clf.loss_curve_) == 8
    validated = WavPoolClassifier(**FAST).fit(X_train, y_train, validation_data=(X_test, y_test))
    assert len(validated.validation_scores_) == FAST["max_epochs"]
    assert validated.validation_scores_[-1] == pytest.approx(validated.score(X_test, y_test))
    stopped = WavPoolClassifier(**FAST, early_stopping=True).fit(X_train, y_train)
    assert stopped.best_validation_score_ == max(stopped.validation_scores_)


def test_class_weight_balanced_raises_balanced_accuracy_on_imbalanced_data(digits):
    from sklearn.metrics import balanced_accuracy_score

    X_train, X_test, y_train, y_test = digits
    keep = (y_train >= 5) | (np.arange(len(y_train)) % 10 == 0)  # a tenth of the digits 0 to 4
    plain = WavPoolClassifier(**FAST).fit(X_train[keep], y_train[keep])
    balanced = WavPoolClassifier(**FAST, class_weight="balanced").fit(X_train[keep], y_train[keep])
    # About 0.47 against 0.76 here: a margin that no rounding difference closes.
    assert balanced_accuracy_score(y_test, balanced.predict(X_test)) > balanced_accuracy_score(
        y_test, plain.predict(X_test)
    ) + 0.1
    with pytest.raises(ValueError, match="class_weight names classes that are not in y: \\[42\\]"):
        WavPoolClassifier(**FAST, class_weight={42: 2.0}).fit(X_train, y_train)


# No dropout, no shifts and one batch for all samples: weighted and repeated
# fits then differ by float32 rounding only, some 1e-7 in the probabilities.
ONE_BATCH = {"max_shift": 0, "batch_size": 256, "max_epochs": 5, "random_state": 0}


@pytest.mark.parametrize(
    "estimator",
    [
        WavPoolClassifier(hidden_size=16, dropout=0.0),
        WavPoolClassifier(hidden_size=16, dropout=0.0, class_weight="balanced"),
        MLPBaselineClassifier(hidden_size=16),
    ],
)
def test_integer_sample_weights_act_as_repeated_samples(digits, estimator):
    X_train, X_test, y_train, _ = digits
    X, y = X_train[:60], y_train[:60]
    weights = np.random.default_rng(0).integers(0, 4, len(y))
    estimator.set_params(**ONE_BATCH)
    weighted = clone(estimator).fit(X, y, sample_weight=weights)
    repeated = clone(estimator).fit(np.repeat(X, weights, axis=0), np.repeat(y, weights))
    np.testing.assert_array_equal(weighted.classes_, repeated.classes_)
    np.testing.assert_allclose(weighted.predict_proba(X_test), repeated.predict_proba(X_test), atol=1e-5)
    # ...and the weights matter: unweighted, the same fit ends elsewhere.
    unweighted = clone(estimator).fit(X[weights > 0], y[weights > 0])
    assert np.abs(unweighted.predict_proba(X_test) - weighted.predict_proba(X_test)).max() > 1e-3


def test_a_zero_weight_leaves_the_sample_out_and_class_weights_multiply(digits):
    X_train, X_test, y_train, _ = digits
    weights = np.random.default_rng(0).integers(0, 3, len(y_train)).astype(float)
    weights[y_train == 9] = 0  # every 9: the class is left out
    zeroed = WavPoolClassifier(**FAST).fit(X_train, y_train, sample_weight=weights)
    kept = weights > 0
    left_out = WavPoolClassifier(**FAST).fit(X_train[kept], y_train[kept], sample_weight=weights[kept])
    np.testing.assert_array_equal(zeroed.classes_, np.arange(9))
    np.testing.assert_array_equal(zeroed.predict_proba(X_test), left_out.predict_proba(X_test))
    # A class weight is a sample weight for each sample of the class.
    by_class = WavPoolClassifier(**FAST, class_weight={3: 4.0}).fit(X_train, y_train, sample_weight=weights + 1)
    by_sample = WavPoolClassifier(**FAST).fit(X_train, y_train, sample_weight=(weights + 1) * np.where(y_train == 3, 4, 1))
    np.testing.assert_array_equal(by_class.predict_proba(X_test), by_sample.predict_proba(X_test))


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        (lambda y: np.ones(len(y) - 1), r"sample_weight must have shape \(\d+,\), one weight per sample"),
        (lambda y: -np.ones(len(y)), "sample_weight must be non-negative"),
        (lambda y: np.zeros(len(y)), "sample_weight must hold at least one nonzero weight"),
        (lambda y: np.full(len(y), np.nan), "sample_weight contains NaN"),
        (lambda y: (y == 3).astype(float), r"y has only one class with a nonzero sample_weight \(3\)"),
    ],
)
def test_bad_sample_weights_raise_naming_them(digits, weights, message):
    X_train, _, y_train, _ = digits
    with pytest.raises(ValueError, match=message):
        WavPoolClassifier(**FAST).fit(X_train, y_train, sample_weight=weights(y_train))


def test_the_cnn_takes_no_sample_weight(digits):
    from sklearn.utils.validation import has_fit_parameter

    X_train, _, y_train, _ = digits
    assert has_fit_parameter(WavPoolClassifier(), "sample_weight")
    assert has_fit_parameter(MLPBaselineClassifier(), "sample_weight")
    assert not has_fit_parameter(CNNBaselineClassifier(), "sample_weight")
    with pytest.raises(TypeError, match="sample_weight"):
        CNNBaselineClassifier(max_epochs=1).fit(X_train, y_train, sample_weight=np.ones(len(y_train)))


def test_dtype_float64_trains_and_predicts_in_double_precision(digits):
    X_train, X_test, y_train, y_test = digits
    clf = WavPoolClassifier(**FAST, dtype="float64").fit(X_train, y_train)
    assert {p.dtype for p in clf.net_.module_.parameters()} == {torch.float64}
    assert clf.score(X_test, y_test) > 0.9
    clf.set_params(warm_start=True, max_epochs=1).fit(X_train, y_train)
    assert {p.dtype for p in clf.net_.module_.parameters()} == {torch.float64}
    with pytest.raises(ValueError, match="'dtype' parameter of WavPoolClassifier must be a str among"):
        WavPoolClassifier(dtype="float16").fit(X_train, y_train)


@pytest.mark.parametrize("estimator", [WavPoolClassifier(hidden_size=16), CNNBaselineClassifier(channels=(4, 4))])
def test_a_plain_fit_and_predict_warn_nothing(digits, estimator):
    import warnings

    X_train, X_test, y_train, _ = digits
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        estimator.set_params(max_epochs=2, random_state=0).fit(X_train, y_train).predict_proba(X_test)
