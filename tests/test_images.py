"""Input handling: image layouts, dtypes and the modules' constructor arguments."""

import warnings

import numpy as np
import pytest
import torch
from sklearn.base import BaseEstimator
from torch import nn

from skwavpool import CNNBaselineClassifier, HaarMRDTransformer
from skwavpool._checks import check_image_shape_param, check_n_classes, check_positive_int
from skwavpool._images import validate_images
from skwavpool.baselines import PaperCNN, PaperMLP, _BatchNorm2d


class _Images(BaseEstimator):
    """The least an estimator needs for validate_images."""


# Image layouts


@pytest.mark.parametrize(
    "shape, image_shape_, message",
    [
        ((3, 3072), (1, 48, 64), r"rows of 3072 values are read as single-channel 48x64 images"),
        ((3, 7), (1, 1, 7), r"rows of 7 values are read as single-channel 1x7 images \(images one pixel high"),
        ((3, 32, 32, 3), (32, 32, 3), r"read as \(C, H, W\): 32 channels .*X\.transpose\(0, 3, 1, 2\)"),
        ((3, 28, 28, 1), (28, 28, 1), r"read as \(C, H, W\): 28 channels .*X\.transpose\(0, 3, 1, 2\)"),
    ],
)
def test_a_guessed_image_shape_warns_naming_it_and_image_shape(shape, image_shape_, message):
    X = np.zeros(shape)
    with pytest.warns(UserWarning, match=message) as caught:
        mrd = HaarMRDTransformer().fit(X)
    assert mrd.image_shape_ == image_shape_
    assert f"image_shape_={image_shape_}" in str(caught[0].message)
    assert "pass image_shape=" in str(caught[0].message).lower()
    assert caught[0].filename == __file__  # it points at the caller's fit


@pytest.mark.parametrize(
    "shape, image_shape",
    [
        ((3, 64), None),
        ((3, 784), None),
        ((3, 1), None),
        ((3, 28, 28), None),
        ((3, 3, 32, 32), None),
        ((3, 4, 8, 3), None),  # a first axis of 4 reads as channels
        ((3, 3072), (3, 32, 32)),
        ((3, 32, 32, 3), (32, 32, 3)),  # the guess, stated, is no longer a guess
    ],
)
def test_unambiguous_or_stated_shapes_do_not_warn(shape, image_shape):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        HaarMRDTransformer(image_shape=image_shape).fit(np.zeros(shape))


def test_transform_time_does_not_warn_again():
    mrd = HaarMRDTransformer()
    with pytest.warns(UserWarning, match="3x4 images"):
        mrd.fit(np.zeros((2, 12)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mrd.transform(np.zeros((2, 12)))


# dtypes


def test_float64_beyond_float32_range_is_refused_for_float32_estimators():
    X = np.random.default_rng(0).random((4, 16))
    for scaled in (X * 1e300, -X * 1e300):
        with pytest.raises(ValueError, match=r"X holds values beyond float32's range .* _Images computes in float32"):
            validate_images(_Images(), scaled, reset=True, float32=True)
    # Large but representable values pass and become float32.
    images = validate_images(_Images(), X * 1e38, reset=True, float32=True)
    assert images.dtype == np.float32 and images.shape == (4, 1, 4, 4)
    assert np.isfinite(images).all()


def test_float64_estimators_keep_huge_values():
    X = np.random.default_rng(0).random((4, 16)) * 1e300
    images = validate_images(_Images(), X, reset=True)
    assert images.dtype == np.float64
    Xt = HaarMRDTransformer().fit_transform(X)
    assert Xt.dtype == np.float64 and np.isfinite(Xt).all()


@pytest.mark.parametrize(
    "dtype, float32, keep_integers, expected",
    [
        (np.float64, False, False, np.float64),
        (np.float32, False, False, np.float32),
        (np.uint8, False, False, np.float64),
        (np.uint8, False, True, np.uint8),
        (np.int64, False, True, np.int64),
        (np.bool_, False, True, np.float64),
        (np.float64, True, False, np.float32),
        (np.uint8, True, False, np.float32),
        (np.int16, True, True, np.int16),
        (np.float64, True, True, np.float32),
    ],
)
def test_validated_dtypes(dtype, float32, keep_integers, expected):
    X = np.random.default_rng(0).integers(0, 2, size=(3, 16)).astype(dtype)
    images = validate_images(_Images(), X, reset=True, float32=float32, keep_integers=keep_integers)
    assert images.dtype == expected
    np.testing.assert_array_equal(images.reshape(3, 16), X)


# The modules' constructor arguments


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"channels": (0, 4)}, r"channels must be 2 positive ints, .*got \(0, 4\)"),
        ({"channels": (-1, 4)}, r"channels must be 2 positive ints, .*got \(-1, 4\)"),
        ({"channels": (4.5, 4)}, r"channels must be 2 positive ints, .*got \(4.5, 4\)"),
        ({"channels": (4,)}, r"channels must be 2 positive ints, .*got \(4,\)"),
        ({"channels": ()}, r"channels must be 2 positive ints, .*got \(\)"),
        ({"channels": (4, 4, 4)}, "channels must be 2 positive ints"),
        ({"channels": "ab"}, "channels must be 2 positive ints"),
        ({"channels": (True, 4)}, "channels must be 2 positive ints"),
        ({"kernel_size": 0}, "kernel_size must be a positive int, got 0"),
        ({"kernel_size": -2}, "kernel_size must be a positive int, got -2"),
        ({"kernel_size": 2.5}, "kernel_size must be a positive int, got 2.5"),
        ({"kernel_size": 12}, r"kernel_size=12 is too large for images of shape \(1, 8, 8\)"),
        ({"image_shape": "abc"}, "image_shape must be .* positive ints, got 'abc'"),
        ({"image_shape": (8.5, 8)}, r"image_shape must be .* positive ints, got \(8.5, 8\)"),
        ({"image_shape": (0, 8)}, r"image_shape must be .* positive ints, got \(0, 8\)"),
        ({"image_shape": (1, 2, 8, 8)}, r"image_shape must be \(C, H, W\) or \(H, W\)"),
        ({"n_classes": 0}, "n_classes must be a positive int, got 0"),
        ({"n_classes": -1}, "n_classes must be a positive int, got -1"),
        ({"n_classes": 2.0}, "n_classes must be a positive int, got 2.0"),
    ],
)
def test_paper_cnn_arguments_are_checked(kwargs, match):
    with pytest.raises(ValueError, match=match):
        PaperCNN(**{"image_shape": (8, 8), "n_classes": 3, **kwargs})


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"hidden_size": 0}, "hidden_size must be a positive int, got 0"),
        ({"hidden_size": 2.7}, "hidden_size must be a positive int, got 2.7"),
        ({"hidden_size": True}, "hidden_size must be a positive int, got True"),
        ({"hidden_size": [8, 8]}, r"hidden_size must be a positive int, got \[8, 8\]"),
        ({"image_shape": "abc"}, "image_shape must be .* positive ints, got 'abc'"),
        ({"image_shape": (8.5, 8)}, r"image_shape must be .* positive ints, got \(8.5, 8\)"),
        ({"image_shape": (0, 0)}, r"image_shape must be .* positive ints, got \(0, 0\)"),
        ({"n_classes": 0}, "n_classes must be a positive int, got 0"),
        ({"n_classes": -1}, "n_classes must be a positive int, got -1"),
    ],
)
def test_paper_mlp_arguments_are_checked(kwargs, match):
    with pytest.raises(ValueError, match=match):
        PaperMLP(**{"image_shape": (8, 8), "n_classes": 3, **kwargs})


def test_shared_checks_return_plain_values():
    assert check_image_shape_param(np.array([4, 6])) == (1, 4, 6)
    assert check_image_shape_param(torch.Size([3, 4, 6])) == (3, 4, 6)
    assert check_n_classes(np.int64(3)) == 3 and type(check_n_classes(np.int64(3))) is int
    with pytest.raises(ValueError, match="levels must be a positive int, got None"):
        check_positive_int(None, "levels")


def test_estimator_passes_module_errors_through():
    X, y = np.random.default_rng(0).random((10, 64)), np.arange(10) % 2
    with pytest.raises(ValueError, match=r"channels must be 2 positive ints, .*got \(4,\)"):
        CNNBaselineClassifier(channels=(4,), max_epochs=1).fit(X, y)


# Batch norm on one value per channel


def test_batch_norm_is_batch_norm_for_batches_of_several_values():
    torch.manual_seed(0)
    ours, torchs = _BatchNorm2d(3), nn.BatchNorm2d(3)
    for x in (torch.randn(2, 3, 1, 1), torch.randn(1, 3, 2, 2), torch.randn(5, 3, 4, 4)):
        torch.testing.assert_close(ours(x), torchs(x))
        torch.testing.assert_close(ours.running_mean, torchs.running_mean)
        torch.testing.assert_close(ours.running_var, torchs.running_var)


def test_batch_norm_uses_running_statistics_for_one_value_per_channel():
    torch.manual_seed(0)
    norm = _BatchNorm2d(3)
    norm(torch.randn(8, 3, 1, 1))  # some running statistics
    mean, var = norm.running_mean.clone(), norm.running_var.clone()
    x = torch.randn(1, 3, 1, 1, requires_grad=True)
    out = norm(x)
    torch.testing.assert_close(out, norm.eval()(x))
    torch.testing.assert_close(norm.running_mean, mean)
    torch.testing.assert_close(norm.running_var, var)
    out.sum().backward()
    assert torch.isfinite(x.grad).all()


@pytest.mark.parametrize("n_samples", [1, 3])  # one sample; a last batch of one
def test_cnn_trains_on_1x1_images_with_a_batch_of_one(n_samples):
    torch.manual_seed(0)
    net = PaperCNN((1, 1), 2, channels=(2, 2)).train()
    for batch in torch.rand(n_samples, 1, 1, 1).split(2):
        net(batch).sum().backward()
    assert all(torch.isfinite(p.grad).all() for p in net.parameters())


def test_cnn_classifier_fits_1x1_images_when_the_last_batch_has_one_sample():
    X = np.random.default_rng(0).random((5, 1))
    clf = CNNBaselineClassifier(channels=(2, 2), max_epochs=2, batch_size=2, random_state=0)
    clf.fit(X, np.arange(5) % 2)
    assert np.isfinite(clf.predict_proba(X)).all()


@pytest.mark.parametrize(
    "cuda, mps, expected", [(True, True, "cuda"), (False, True, "mps"), (False, False, "cpu")]
)
def test_auto_device_prefers_cuda_then_mps_then_the_cpu(monkeypatch, cuda, mps, expected):
    from skwavpool._images import resolve_device

    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)
    assert resolve_device("auto") == torch.device(expected)
