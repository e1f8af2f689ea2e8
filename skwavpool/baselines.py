"""The paper's baseline networks, as torch modules: an MLP and a small CNN.

Voetberg et al. compare WavPool with a two-layer MLP with no activation and a
two-block CNN; both are given here as published, so that the benchmark can
train all three through the same estimator machinery
(:class:`skwavpool.MLPBaselineClassifier`, :class:`skwavpool.CNNBaselineClassifier`).
"""

from __future__ import annotations

import math

from torch import nn

__all__ = ["PaperCNN", "PaperMLP"]


def _image_shape(image_shape):
    shape = tuple(int(s) for s in image_shape)
    shape = (1, *shape) if len(shape) == 2 else shape
    if len(shape) != 3 or min(shape) < 1:
        raise ValueError(f"image_shape must be (C, H, W) or (H, W) of positive ints, got {image_shape}.")
    return shape


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
        self.image_shape = _image_shape(image_shape)
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
        self.image_shape = _image_shape(image_shape)
        c, h, w = self.image_shape
        layers = []
        for c_out in channels:
            layers += [
                nn.Conv2d(c, c_out, kernel_size, padding=1, bias=False),
                nn.BatchNorm2d(c_out),
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
