"""The WavPool block as PyTorch modules: :class:`MicroWav`, :class:`WavPoolBlock`, :class:`WavPool`.

WavPool (McDermott, Voetberg & Nord, arXiv 2306.08734) decomposes an image with
the multi-level Haar transform, gives each detail band of each level its own
dense layer (one :class:`MicroWav` per level), stacks the level outputs as
``(batch, hidden, 3 bands, levels)``, pools that stack and classifies the
pooled features with a linear layer.

:class:`WavPoolBlock` is everything up to the pooled features, a layer that can
sit anywhere in a network; :class:`WavPool` is the block followed by dropout and
a linear output layer. The decomposition runs in torch (:mod:`skwavpool.haar`)
once per forward pass, on the input's device, with gradients flowing to the
input.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Integral

import torch
from torch import nn

from skwavpool._checks import check_image_shape_param, check_n_classes, is_positive_int
from skwavpool.haar import MODES, haar_mrd_packed, max_level, mrd_shapes, n_coefficients

__all__ = [
    "ACTIVATIONS",
    "PAPER_CONFIG",
    "MicroWav",
    "WavPool",
    "WavPoolBlock",
    "n_parameters",
    "n_parameters_with_gradient",
]

#: Names accepted for ``activation``; ``None`` means none, as in the paper.
ACTIVATIONS = {
    "relu": nn.ReLU,
    "gelu": nn.GELU,
    "silu": nn.SiLU,
    "tanh": nn.Tanh,
    "elu": nn.ELU,
    "leaky_relu": nn.LeakyReLU,
}

#: The network of the paper and of ``wavpool`` 0.1.3, for one-to-one comparisons:
#: ``WavPool(image_shape, n_classes, hidden_size=268, **PAPER_CONFIG)``. Note
#: that with a pooling kernel of 2 over the band axis it drops the diagonal
#: band, and over an odd number of levels the finest level.
PAPER_CONFIG = {
    "hidden_layer_scaling": True,
    "normalize_levels": False,
    "approximation": False,
    "pooling": "max",
    "pooling_kernel": (2, 2, 2),
    "ceil_mode": False,
    "activation": None,
    "dropout": 0.0,
    "mode": "symmetric",
}


def _activation(name):
    return ACTIVATIONS[name]() if name else nn.Identity()


class MicroWav(nn.Module):
    """One decomposition level: a dense layer for each of the three detail bands.

    Parameters
    ----------
    band_size : int
        Values in one band of one image, ``C * h * w``.
    hidden_size : int
        Outputs of each band's layer.
    activation : str or None, default=None
        Applied to each layer's output; a key of :data:`ACTIVATIONS`.

    Examples
    --------
    >>> import torch
    >>> from skwavpool import MicroWav
    >>> level = MicroWav(band_size=49, hidden_size=16, activation="relu")
    >>> h = v = d = torch.rand(8, 49)
    >>> level(h, v, d).shape  # (batch, band, hidden)
    torch.Size([8, 3, 16])
    """

    def __init__(self, band_size, hidden_size, activation=None):
        super().__init__()
        self.horizontal = nn.Linear(band_size, hidden_size)
        self.vertical = nn.Linear(band_size, hidden_size)
        self.diagonal = nn.Linear(band_size, hidden_size)
        self.activation = _activation(activation)

    def forward(self, horizontal, vertical, diagonal):
        """Each band ``(batch, band_size)`` through its layer: ``(batch, bands, hidden)``.

        A band passed as ``None`` is skipped, for a caller that would discard
        its output anyway.
        """
        heads = (self.horizontal, self.vertical, self.diagonal)
        bands = (horizontal, vertical, diagonal)
        return self.activation(torch.stack([head(b) for head, b in zip(heads, bands) if b is not None], dim=1))


def _level_hidden_sizes(hidden_size, levels, scaling):
    if isinstance(hidden_size, Sequence) and not isinstance(hidden_size, str):
        if not all(is_positive_int(s) for s in hidden_size):
            raise ValueError(f"hidden_size must hold positive integers, one per level, got {hidden_size!r}.")
        if len(hidden_size) != len(levels):
            raise ValueError(
                f"hidden_size has {len(hidden_size)} entries but {len(levels)} levels are used "
                f"({list(levels)}); give one size per level, finest first."
            )
        sizes = [int(s) for s in hidden_size]
    elif not is_positive_int(hidden_size):
        raise ValueError(f"hidden_size must be a positive integer or a list of them, got {hidden_size!r}.")
    elif scaling:
        # The paper: the finest level gets the full size, the next half, then a third...
        sizes = [int(hidden_size / (rank + 1)) for rank in range(len(levels))]
    else:
        sizes = [int(hidden_size)] * len(levels)
    if any(s < 1 for s in sizes):
        raise ValueError(f"hidden_size must give every level at least one unit, got {sizes}.")
    return sizes


def _pooled_size(size, kernel, ceil_mode):
    return -(-size // kernel) if ceil_mode else size // kernel


class WavPoolBlock(nn.Module):
    """The WavPool layers without an output layer: images to pooled features.

    Haar decomposition, a :class:`MicroWav` per level, the level outputs
    stacked as ``(batch, hidden, band, level)`` and pooled, and optionally a
    dense layer on the coarsest approximation band. It maps ``(batch, C, H, W)``
    (or ``(batch, H, W)`` for one channel, or flat rows) to ``(batch,
    out_features)``, differentiably, so it can follow other layers, a
    convolutional stem for instance, whose feature maps are its channels.

    Parameters
    ----------
    image_shape : tuple of int
        ``(C, H, W)`` (or ``(H, W)`` for one channel) of the input images.
    hidden_size : int or list of int, default=180
        Units of each band layer; a list gives one size per used level, finest
        first.
    hidden_layer_scaling : bool, default=False
        The paper's scaling of an int ``hidden_size``: the finest used level
        gets ``hidden_size``, the next ``int(hidden_size / 2)``, then
        ``int(hidden_size / 3)``... Smaller outputs are zero-padded at the front
        of the hidden axis before stacking, as in the paper.
    levels : list of int or None, default=None
        Detail levels to use, 1 being the finest (half the image size); ``None``
        uses all of them, down to ``floor(log2(min(H, W)))``.
    normalize_levels : bool, default=False
        Divide the coefficients of level ``l`` by ``2**l``, so that every band
        is in pixel units (the approximation a local mean, the details
        differences of local means). The orthonormal coefficients, as in the
        paper, trained better in our measurements (MNIST, 10k images, Adam:
        0.959 against 0.927 validation accuracy after 10 epochs).
    approximation : bool, default=True
        Also feed the coarsest approximation band (the low-pass image of the
        deepest used level, as local means) through a dense layer of the
        coarsest level's size and join it to the pooled features. The paper
        does not; it gives the classifier the overall brightness and keeps
        tiny images (with no detail level at all) usable.
    pooling : {"max", "avg"}, default="max"
        Pooling of the ``(hidden, band, level)`` stack, torch's ``MaxPool3d``
        or ``AvgPool3d`` (partial windows average their valid entries). Max
        pooling passes each sample's gradient to the winner of each window
        only; averaging passes it to every unit, but trained worse (0.957
        against 0.969 above).
    pooling_kernel : int or tuple of 3 int, default=(4, 1, 1)
        Pooling kernel (and stride) over ``(hidden, band, level)``. The default
        takes the maximum of groups of 4 hidden units (a maxout layer) and
        keeps every band and level apart; the paper's ``(2, 2, 2)`` drops the
        diagonal band.
    ceil_mode : bool, default=True
        Keep the partial pooling windows at the ends of each axis, so that no
        band, level or unit is dropped; the paper's network uses ``False``.
    activation : str or None, default="leaky_relu"
        Nonlinearity after each band layer (see :data:`ACTIVATIONS`); the paper
        has none. Leaky ReLU, unlike ReLU, leaves no unit without gradient; it
        matched ReLU and beat GELU in a search on protocol A's validation data
        (``benchmarks/results/tuning.md``).
    mode : str, default="reflect"
        Signal extension for odd image sides (see :data:`skwavpool.haar.MODES`).
        The paper's ``"symmetric"`` repeats the last row or column, which makes
        the differences across it zero: their weights never learn.

    Attributes
    ----------
    out_features : int
        Features per image: the pooled windows, then the approximation
        layer's outputs.
    levels_used : list of int
        The detail levels in use, finest first.
    micro_wavs : torch.nn.ModuleList
        One :class:`MicroWav` per used level, coarsest level first.
    approximation : torch.nn.Sequential or None
        The approximation band's layer and activation.
    n_parameters : int
        Number of trainable parameters.

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> from skwavpool.nn import WavPoolBlock
    >>> block = WavPoolBlock((8, 28, 28), hidden_size=32)
    >>> net = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), block, nn.Linear(block.out_features, 10))
    >>> net(torch.rand(5, 1, 28, 28)).shape
    torch.Size([5, 10])
    """

    def __init__(
        self,
        image_shape,
        *,
        hidden_size=180,
        hidden_layer_scaling=False,
        levels=None,
        normalize_levels=False,
        approximation=True,
        pooling="max",
        pooling_kernel=(4, 1, 1),
        ceil_mode=True,
        activation="leaky_relu",
        mode="reflect",
    ):
        super().__init__()
        image_shape = check_image_shape_param(image_shape)
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}.")
        if pooling not in ("max", "avg"):
            raise ValueError(f"pooling must be 'max' or 'avg', got {pooling!r}.")
        if activation is not None and activation not in ACTIVATIONS:
            raise ValueError(f"activation must be None or one of {sorted(ACTIVATIONS)}, got {activation!r}.")
        deepest = max_level(image_shape[1:])
        levels = list(range(1, deepest + 1)) if levels is None else sorted(set(levels))
        if any(not isinstance(lv, Integral) or not 1 <= lv <= deepest for lv in levels):
            raise ValueError(
                f"levels must be detail levels between 1 and {deepest} for images of shape "
                f"{image_shape[1:]}, got {levels}."
            )
        if not levels and not approximation:
            raise ValueError(
                f"images of shape {image_shape[1:]} have no detail level to use; "
                "set approximation=True or use larger images."
            )
        kernel = (pooling_kernel,) * 3 if isinstance(pooling_kernel, Integral) else tuple(pooling_kernel)
        if len(kernel) != 3 or any(not isinstance(k, Integral) or k < 1 for k in kernel):
            raise ValueError(f"pooling_kernel must be a positive int or 3 positive ints, got {pooling_kernel!r}.")

        self.image_shape = image_shape
        self.mode = mode
        self.levels_used = levels
        self.depth = max(levels, default=0)
        self.pooling, self.pooling_kernel, self.ceil_mode = pooling, kernel, ceil_mode
        channels = image_shape[0]
        shapes = mrd_shapes(image_shape[1:], self.depth)
        sizes = _level_hidden_sizes(hidden_size, levels, hidden_layer_scaling)
        self.max_hidden = max(sizes, default=0)
        # Coarsest level first: the order in which the paper stacks the levels,
        # and so the order in which its level pooling groups them.
        self.micro_wavs = nn.ModuleList(
            MicroWav(channels * math.prod(shapes[lv]), size, activation)
            for lv, size in reversed(list(zip(levels, sizes)))
        )
        band_rows = self._band_rows(channels, shapes)
        self._approx_rows = slice(0, channels * math.prod(shapes[-1]))
        scale = None
        if normalize_levels:
            scale = torch.full((channels * n_coefficients(image_shape[1:], self.depth),), 0.5**self.depth)
            for level, rows in band_rows.items():
                scale[rows[0].start : rows[-1].stop] = 0.5**level
        # A derived constant, not a weight: kept out of the state dict.
        self.register_buffer("level_scale", scale, persistent=False)
        # The approximation layer sees local means whatever normalize_levels says:
        # an orthonormal approximation grows as 2**depth (16x the mean for
        # 28x28) and drove the layer's activations (GELUs then) into saturation.
        self._approx_scale = 1.0 if normalize_levels else 0.5**self.depth
        features = 0
        if levels:
            stack = (self.max_hidden, 3, len(levels))
            if any(k > s for k, s in zip(kernel, stack)):
                raise ValueError(
                    f"pooling_kernel={kernel} is larger than the (hidden, band, level) stack {stack}."
                )
            features += math.prod(_pooled_size(s, k, ceil_mode) for s, k in zip(stack, kernel))
        # Without ceil_mode, pooling drops the bands and levels that do not
        # fill a window (the paper's network loses the diagonal band, and with
        # 5 levels the finest): their layers exist but are not evaluated.
        pooled_bands = 3 if ceil_mode else 3 // kernel[1] * kernel[1]
        pooled_levels = len(levels) if ceil_mode else len(levels) // kernel[2] * kernel[2]
        # The band rows fed to each MicroWav (coarsest level first), None for a dropped band.
        self._stack_rows = [
            [rows if band < pooled_bands else None for band, rows in enumerate(band_rows[level])]
            for level in reversed(levels)
        ][:pooled_levels]
        if approximation:
            approx_size = sizes[-1] if sizes else int(hidden_size if isinstance(hidden_size, Integral) else 1)
            self.approximation = nn.Sequential(
                nn.Linear(channels * math.prod(shapes[-1]), approx_size), _activation(activation)
            )
            features += approx_size
        else:
            self.approximation = None
        self.out_features = features

    def _band_rows(self, channels, shapes):
        """Slices of each used level's (H, V, D) bands in the packed coefficients."""
        start = channels * math.prod(shapes[-1])
        rows = {}
        for level in range(self.depth, 0, -1):
            size = channels * math.prod(shapes[level])
            rows[level] = [slice(start + k * size, start + (k + 1) * size) for k in range(3)]
            start += 3 * size
        return rows

    @property
    def n_parameters(self):
        return n_parameters(self)

    def forward(self, x):
        """Pooled features ``(batch, out_features)`` of a batch of images ``x``."""
        coeffs = haar_mrd_packed(x.reshape(x.shape[0], *self.image_shape), self.depth, self.mode)
        if self.level_scale is not None:
            coeffs = coeffs * self.level_scale
        features = []
        if self.levels_used:
            features.append(self.pool(self.stack(coeffs)).flatten(1))
        if self.approximation is not None:
            features.append(self.approximation(coeffs[:, self._approx_rows] * self._approx_scale))
        return torch.cat(features, dim=1)

    def stack(self, coeffs):
        """The band layers' outputs as ``(batch, level, band, hidden)``, coarsest level first.

        This is the paper's ``(hidden, band, level)`` stack of each image with
        its axes in reverse order, the order in which the layers write their
        outputs, so that stacking them copies each once. Levels with fewer
        hidden units are zero-padded at the front of the hidden axis, as in
        the paper.
        """
        levels = []
        for micro_wav, rows in zip(self.micro_wavs, self._stack_rows):
            out = micro_wav(*(None if r is None else coeffs[:, r] for r in rows))  # (batch, band, hidden)
            levels.append(nn.functional.pad(out, (self.max_hidden - out.shape[2], 0)))
        return torch.stack(levels, dim=1)

    def pool(self, stack):
        """Max or average pooling of ``stack`` ``(batch, level, band, hidden)``
        with ``pooling_kernel`` over ``(hidden, band, level)``: the windows as
        ``(batch, hidden, band, level)``, the paper's order."""
        kernel = self.pooling_kernel[::-1]
        if stack.shape[0] == 0:  # torch's pooling needs a batch
            windows = [_pooled_size(n, k, self.ceil_mode) for n, k in zip(stack.shape[1:], kernel)]
            return stack.new_zeros(0, *windows[::-1])
        pool = nn.functional.max_pool3d if self.pooling == "max" else nn.functional.avg_pool3d
        return pool(stack.unsqueeze(1), kernel, ceil_mode=self.ceil_mode).squeeze(1).permute(0, 3, 2, 1)


class WavPool(WavPoolBlock):
    """The WavPool network: a :class:`WavPoolBlock`, dropout and a linear output layer.

    Parameters
    ----------
    image_shape : tuple of int
        ``(C, H, W)`` (or ``(H, W)`` for one channel) of the input images.
        Inputs may come as ``(batch, C, H, W)``, ``(batch, H, W)`` or flat.
    n_classes : int
        Number of outputs (class scores as logits, or regression targets).
    hidden_size : int or list of int, default=180
        Units of each band layer; a list gives one size per used level, finest
        first. 180 keeps the default network below the paper's parameter
        counts (153,370 for 28x28, 195,760 for 32x32 grayscale).
    hidden_layer_scaling, levels, normalize_levels, approximation, pooling, \
pooling_kernel, ceil_mode, activation : see :class:`WavPoolBlock`
        The block's parameters, with the same defaults.
    dropout : float, default=0.25
        Dropout rate on the block's features, before the output layer.
    mode : str, default="reflect"
        Signal extension for odd image sides, as in :class:`WavPoolBlock`.

    Attributes
    ----------
    levels_used : list of int
        The detail levels in use, finest first.
    n_parameters : int
        Number of trainable parameters.

    See Also
    --------
    PAPER_CONFIG : The settings that reproduce the published network.
    WavPoolBlock : The same layers without dropout and output layer.

    Examples
    --------
    >>> import torch
    >>> from skwavpool import WavPool
    >>> from skwavpool.nn import PAPER_CONFIG
    >>> net = WavPool((1, 28, 28), 10)
    >>> net(torch.rand(5, 1, 28, 28)).shape
    torch.Size([5, 10])
    >>> WavPool((28, 28), 10, hidden_size=268, **PAPER_CONFIG).n_parameters
    186722
    """

    def __init__(
        self,
        image_shape,
        n_classes,
        *,
        hidden_size=180,
        hidden_layer_scaling=False,
        levels=None,
        normalize_levels=False,
        approximation=True,
        pooling="max",
        pooling_kernel=(4, 1, 1),
        ceil_mode=True,
        activation="leaky_relu",
        dropout=0.25,
        mode="reflect",
    ):
        super().__init__(
            image_shape,
            hidden_size=hidden_size,
            hidden_layer_scaling=hidden_layer_scaling,
            levels=levels,
            normalize_levels=normalize_levels,
            approximation=approximation,
            pooling=pooling,
            pooling_kernel=pooling_kernel,
            ceil_mode=ceil_mode,
            activation=activation,
            mode=mode,
        )
        n_classes = check_n_classes(n_classes)
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout!r}.")
        self.dropout = nn.Dropout(dropout)
        self.output = nn.Linear(self.out_features, n_classes)

    def forward(self, x):
        """Class scores (logits) for a batch of images ``x``."""
        return self.output(self.dropout(super().forward(x)))


def n_parameters(module):
    """Number of trainable parameters of ``module``.

    Examples
    --------
    >>> from torch import nn
    >>> from skwavpool.nn import n_parameters
    >>> n_parameters(nn.Linear(3, 2))
    8
    """
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def n_parameters_with_gradient(module, x):
    """Trainable parameters that receive a nonzero gradient from a batch ``x``.

    Backpropagates the sum of the outputs for ``x`` and counts the parameter
    entries whose gradient is not exactly zero. Entries the architecture cuts
    off (a pooled-away band, say) always count as zero; use a batch of a few
    dozen varied images so that no entry is zero by chance.

    Examples
    --------
    >>> import torch
    >>> from skwavpool import WavPool
    >>> from skwavpool.nn import PAPER_CONFIG, n_parameters_with_gradient
    >>> paper = WavPool((28, 28), 10, hidden_size=268, **PAPER_CONFIG)
    >>> x = torch.rand(64, 1, 28, 28)
    >>> n_parameters_with_gradient(paper, x) < paper.n_parameters  # diagonal band cut off
    True
    >>> every_band = WavPool((28, 28), 10, pooling="avg")  # max pooling: only each window's winner
    >>> n_parameters_with_gradient(every_band, x) == every_band.n_parameters
    True
    """
    params = [p for p in module.parameters() if p.requires_grad]
    grads = torch.autograd.grad(module(x).sum(), params, allow_unused=True)
    return sum(int((g != 0).sum()) for g in grads if g is not None)
