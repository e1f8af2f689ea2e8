"""The paper's baseline networks, as torch modules: an MLP and a small CNN.

Voetberg et al. compare WavPool with a two-layer MLP with no activation and a
two-block CNN; both are given here as published, so that the benchmark can
train all three through the same estimator machinery
(:class:`skwavpool.MLPBaselineClassifier`, :class:`skwavpool.CNNBaselineClassifier`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from torch import nn
from torch.nn import functional as F

from skwavpool._checks import check_image_shape_param, check_n_classes, check_positive_int, is_positive_int

__all__ = ["PaperCNN", "PaperMLP"]


class _BatchNorm2d(nn.BatchNorm2d):
    """``BatchNorm2d`` that normalizes a training batch holding one value per
    channel (one 1x1 feature map) with the running statistics, as in evaluation,
    instead of refusing it: one value has no batch variance to normalize by.
    Every other batch goes through ``BatchNorm2d`` unchanged."""

    def forward(self, x):
        if self.training and x.shape[0] * x.shape[2] * x.shape[3] == 1:
            return F.batch_norm(
                x, self.running_mean, self.running_var, self.weight, self.bias, training=False, eps=self.eps
            )
        return super().forward(x)


class PaperMLP(nn.Module):
    """``Flatten -> Linear(C*H*W, hidden) -> Linear(hidden, n_classes)``, no activation.

    Parameters
    ----------
    image_shape : tuple of int
        ``(C, H, W)`` or ``(H, W)``.
    n_classes : int
        Number of outputs (logits).
    hidden_size : int, default=272
        Width of the hidden layer (the paper's tuned MNIST value).

    Examples
    --------
    >>> import torch
    >>> from skwavpool.baselines import PaperMLP
    >>> PaperMLP((28, 28), 10)(torch.rand(2, 1, 28, 28)).shape
    torch.Size([2, 10])
    """

    def __init__(self, image_shape, n_classes, hidden_size=272):
        super().__init__()
        self.image_shape = check_image_shape_param(image_shape)
        n_classes = check_n_classes(n_classes)
        hidden_size = check_positive_int(hidden_size, "hidden_size")
        self.hidden = nn.Linear(math.prod(self.image_shape), hidden_size)
        self.output = nn.Linear(hidden_size, n_classes)

    def forward(self, x):
        """Class scores (logits) for a batch of images ``x``."""
        return self.output(self.hidden(x.reshape(x.shape[0], -1)))


class PaperCNN(nn.Module):
    """Two ``Conv2d(bias=False) -> BatchNorm2d -> ReLU`` blocks, padding 1, no pooling, then ``Linear``.

    Parameters
    ----------
    image_shape : tuple of int
        ``(C, H, W)`` or ``(H, W)``.
    n_classes : int
        Number of outputs (logits).
    channels : tuple of 2 int, default=(19, 12)
        Output channels of the two convolutions (the paper's tuned MNIST and
        CIFAR-10 values; Fashion-MNIST used ``(15, 17)``).
    kernel_size : int, default=3
        Convolution kernel (the paper used 2 for Fashion-MNIST).

    Examples
    --------
    >>> import torch
    >>> from skwavpool.baselines import PaperCNN
    >>> PaperCNN((1, 28, 28), 10, channels=(15, 17), kernel_size=2)(torch.rand(2, 1, 28, 28)).shape
    torch.Size([2, 10])
    """

    def __init__(self, image_shape, n_classes, channels=(19, 12), kernel_size=3):
        super().__init__()
        self.image_shape = check_image_shape_param(image_shape)
        n_classes = check_n_classes(n_classes)
        if (
            not isinstance(channels, Sequence)
            or isinstance(channels, str)
            or len(channels) != 2
            or not all(is_positive_int(c) for c in channels)
        ):
            raise ValueError(f"channels must be 2 positive ints, one per convolution, got {channels!r}.")
        kernel_size = check_positive_int(kernel_size, "kernel_size")
        channels = [int(c) for c in channels]
        c, h, w = self.image_shape
        layers = []
        for c_out in channels:
            layers += [
                nn.Conv2d(c, c_out, kernel_size, padding=1, bias=False),
                _BatchNorm2d(c_out),
                nn.ReLU(),
            ]
            c, h, w = c_out, h + 3 - kernel_size, w + 3 - kernel_size
        if min(h, w) < 1:
            raise ValueError(f"kernel_size={kernel_size} is too large for images of shape {self.image_shape}.")
        self.features = nn.Sequential(*layers)
        self.output = nn.Linear(c * h * w, n_classes)

    def forward(self, x):
        """Class scores (logits) for a batch of images ``x``."""
        return self.output(self.features(x.reshape(x.shape[0], *self.image_shape)).flatten(1))
