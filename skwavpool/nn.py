"""The WavPool block as PyTorch modules: :class:`MicroWav` and :class:`WavPool`.

WavPool (Voetberg, McDermott & Nord, arXiv 2306.08734) decomposes an image with
the multi-level Haar transform, gives each detail band of each level its own
dense layer (one :class:`MicroWav` per level), stacks the level outputs as
``(batch, hidden, 3 bands, levels)``, pools that stack and classifies the
pooled features with a linear layer.

The decomposition runs in torch (:mod:`skwavpool.haar`) once per forward pass,
on the input's device, with gradients flowing to the input.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from numbers import Integral

import torch
from torch import nn

from skwavpool.haar import MODES, haar_matrix, haar_mrd_packed, max_level, mrd_shapes, n_coefficients

__all__ = ["ACTIVATIONS", "PAPER_CONFIG", "MicroWav", "WavPool", "n_parameters", "n_parameters_with_gradient"]

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


# On the CPU, WavPool decomposes a batch of up to this many values (of images
# of up to _SPARSE_HAAR_PIXELS values each) as one sparse product with
# haar_matrix: faster there than haar_mrd_packed's passes, whose time at small
# batches is operator overhead (28x28: 64 images 0.07 against 0.15 ms). The
# decomposition alone breaks even at about 190 images (0.22 ms each), but
# WavPool's training steps at 192 to 320 images were within 3% either way.
_SPARSE_HAAR_VALUES = 1 << 18
_SPARSE_HAAR_PIXELS = 4096


@functools.lru_cache(maxsize=16)
def _cached_haar_matrix(image_shape, levels, mode, dtype):
    # Built outside inference mode even when first needed inside it: an
    # inference tensor could not take part in a later forward pass with autograd.
    with torch.inference_mode(False):
        return haar_matrix(image_shape, levels, mode, dtype=dtype)


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
        self.activation = ACTIVATIONS[activation]() if activation else nn.Identity()

    def forward(self, horizontal, vertical, diagonal):
        """Each band ``(batch, band_size)`` through its layer: ``(batch, bands, hidden)``.

        A band passed as ``None`` is skipped, for a caller that would discard
        its output anyway.
        """
        bands = (horizontal, vertical, diagonal)
        return self.activation(torch.stack([head(b) for head, b in zip(self.heads, bands) if b is not None], dim=1))

    @property
    def heads(self):
        """The horizontal, vertical and diagonal layers, in band order."""
        modules = self._modules  # not through Module.__getattr__, which costs 0.5 us a name
        return modules["horizontal"], modules["vertical"], modules["diagonal"]


def _level_hidden_sizes(hidden_size, levels, scaling):
    if isinstance(hidden_size, Sequence):
        if len(hidden_size) != len(levels):
            raise ValueError(
                f"hidden_size has {len(hidden_size)} entries but {len(levels)} levels are used "
                f"({list(levels)}); give one size per level, finest first."
            )
        sizes = [int(s) for s in hidden_size]
    elif scaling:
        # The paper: the finest level gets the full size, the next half, then a third...
        sizes = [int(hidden_size / (rank + 1)) for rank in range(len(levels))]
    else:
        sizes = [int(hidden_size)] * len(levels)
    if any(s < 1 for s in sizes):
        raise ValueError(f"hidden_size must give every level at least one unit, got {sizes}.")
    return sizes


class WavPool(nn.Module):
    """The WavPool network: Haar decomposition, a MicroWav per level, pooling, linear.

    Parameters
    ----------
    image_shape : tuple of int
        ``(C, H, W)`` (or ``(H, W)`` for one channel) of the input images.
        Inputs may come as ``(batch, C, H, W)``, ``(batch, H, W)`` or flat.
    n_classes : int
        Number of outputs (class scores, as logits).
    hidden_size : int or list of int, default=180
        Units of each band layer; a list gives one size per used level, finest
        first. 180 keeps the default network below the paper's parameter
        counts (153,370 for 28x28, 195,760 for 32x32 grayscale).
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
        Pooling of the ``(hidden, band, level)`` stack. Max pooling passes each
        sample's gradient to the winner of each window only; averaging passes
        it to every unit, but trained worse (0.957 against 0.969 above).
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
    dropout : float, default=0.5
        Dropout rate on the pooled features, before the output layer.
    mode : str, default="reflect"
        Signal extension for odd image sides (see :data:`skwavpool.haar.MODES`).
        The paper's ``"symmetric"`` repeats the last row or column, which makes
        the differences across it zero: their weights never learn.

    Attributes
    ----------
    levels_used : list of int
        The detail levels in use, finest first.
    n_parameters : int
        Number of trainable parameters.
    fused : bool
        Whether ``forward`` may run the layers after the decomposition as one
        autograd node with a written-out backward pass, where that applies (on
        the CPU; see ``forward``). Set it to False for torch's autograd
        throughout, as for gradients of gradients with respect to the weights,
        which the fused pass does not support.

    See Also
    --------
    PAPER_CONFIG : The settings that reproduce the published network.

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

    fused = True

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
        dropout=0.5,
        mode="reflect",
    ):
        super().__init__()
        image_shape = tuple(int(s) for s in image_shape)
        if len(image_shape) == 2:
            image_shape = (1, *image_shape)
        if len(image_shape) != 3 or min(image_shape) < 1:
            raise ValueError(f"image_shape must be (C, H, W) or (H, W) of positive ints, got {image_shape}.")
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}.")
        if pooling not in ("max", "avg"):
            raise ValueError(f"pooling must be 'max' or 'avg', got {pooling!r}.")
        if activation is not None and activation not in ACTIVATIONS:
            raise ValueError(f"activation must be None or one of {sorted(ACTIVATIONS)}, got {activation!r}.")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout!r}.")
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
        channels = image_shape[0]
        shapes = mrd_shapes(image_shape[1:], self.depth)
        sizes = _level_hidden_sizes(hidden_size, levels, hidden_layer_scaling)
        self.max_hidden = max(sizes, default=0)
        # Heads are kept coarsest level first: the order in which the paper
        # stacks them, and so the order its level pooling groups them.
        self.micro_wavs = nn.ModuleList(
            MicroWav(channels * math.prod(shapes[lv]), size, activation)
            for lv, size in reversed(list(zip(levels, sizes)))
        )
        self._band_rows = self._rows(channels, shapes)
        scale = None
        if normalize_levels:
            scale = torch.full((channels * n_coefficients(image_shape[1:], self.depth),), 0.5**self.depth)
            for level, rows in self._band_rows.items():
                scale[rows[0].start : rows[-1].stop] = 0.5**level
        # A derived constant, not a weight: kept out of the state dict.
        self.register_buffer("level_scale", scale, persistent=False)
        # The approximation head sees local means whatever normalize_levels says:
        # an orthonormal approximation grows as 2**depth (16x the mean for
        # 28x28) and drove the head's activations (GELUs then) into saturation.
        self._approx_scale = 1.0 if normalize_levels else 0.5**self.depth
        self.pooling, self.pooling_kernel, self.ceil_mode = pooling, kernel, ceil_mode
        features = 0
        pooled_columns = None
        if levels:
            stack = (self.max_hidden, 3, len(levels))
            if any(k > s for k, s in zip(kernel, stack)):
                raise ValueError(
                    f"pooling_kernel={kernel} is larger than the (hidden, band, level) stack {stack}."
                )
            windows = [_pooled_size(s, k, ceil_mode) for s, k in zip(stack, kernel)]
            features += math.prod(windows)
            # The output layer's column for each pooled (level, band, hidden) window.
            pooled_columns = torch.arange(features).view(windows).permute(2, 1, 0).flatten()
        self.register_buffer("pooled_columns", pooled_columns, persistent=False)
        # Without ceil_mode, pooling drops the bands and levels that do not
        # fill a window (the paper's network loses the diagonal band, and with
        # 5 levels the finest): their layers exist but are not evaluated.
        pooled_bands = 3 if ceil_mode else 3 // kernel[1] * kernel[1]
        pooled_levels = len(levels) if ceil_mode else len(levels) // kernel[2] * kernel[2]
        # The band rows that _stack feeds to the layers, coarsest level first.
        self._stack_rows = [self._band_rows[level][:pooled_bands] for level in reversed(levels)][:pooled_levels]
        if approximation:
            approx_size = sizes[-1] if sizes else int(hidden_size if isinstance(hidden_size, Integral) else 1)
            self.approximation = nn.Sequential(
                nn.Linear(channels * math.prod(shapes[-1]), approx_size),
                ACTIVATIONS[activation]() if activation else nn.Identity(),
            )
            features += approx_size
        else:
            self.approximation = None
        self.dropout = nn.Dropout(dropout)
        self.output = nn.Linear(features, n_classes)

    def _rows(self, channels, shapes):
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
        """Class scores (logits) for a batch of images ``x``.

        Everything between the decomposition and the scores runs batch-last,
        as ``(features, batch)`` matrices: each band layer is then one product
        ``weight @ bands`` that the stack takes as one contiguous block, and
        the pooling windows of a batch are vectors, which torch's CPU pooling
        vectorises (as ``channels_last``) where, batch-first, it loops over
        them one value at a time. In WavPool's training loop on 28x28 images
        this took 9 % less time per step at batch 64 and 20 % at batch 256.
        With max pooling on the CPU, plain layers and no activation or a
        (leaky) ReLU, as in the paper's configuration and the default one, the
        layers after the decomposition are one autograd node with a written-out
        backward pass (:class:`_FusedWavPool`), with the same results to float
        rounding, unless the images need a gradient (see :attr:`fused`).
        """
        coeffs = self._decompose(x)  # (n_coefficients, batch)
        if self.level_scale is not None:
            coeffs = coeffs * self.level_scale[:, None]
        fused = self._fused_inputs(coeffs)
        if fused is not None:
            return _FusedWavPool.apply(coeffs, self, *fused)
        batch = coeffs.shape[1]
        pooled = approx = None
        if self.levels_used:
            # (level, band, hidden) windows by batch: the output layer's
            # columns run in the paper's (hidden, band, level) order instead.
            pooled = _pool(self._stack(coeffs), self.pooling_kernel[::-1], self.pooling, self.ceil_mode)
        if self.approximation is not None:
            rows = self._approx_inputs(coeffs)
            layer, activation = self.approximation
            approx = self.approximation(rows.T).T if _hooked(self.approximation) else activation(_layer(layer, rows))
        parts = _linear_parts(self.output)
        if parts is None:
            # A hooked or replaced output layer is called as usual, on
            # (batch, features) in the paper's order.
            features = [] if pooled is None else [pooled.permute(3, 2, 1, 0).reshape(batch, -1)]
            features += [] if approx is None else [approx.T]
            return self.output(self._dropout(torch.cat(features, dim=1)))
        weight, logits = parts
        if pooled is not None:
            # Taking the weight's columns in the pooled order is cheaper than permuting the features.
            pooled = self._dropout(pooled.reshape(len(self.pooled_columns), batch))
            logits = torch.addmm(logits, pooled.T, weight.index_select(1, self.pooled_columns).T)
        if approx is not None:
            logits = torch.addmm(logits, self._dropout(approx).T, weight[:, -approx.shape[0] :].T)
        return logits

    def _fused_inputs(self, coeffs):
        """What :class:`_FusedWavPool` needs after ``coeffs``: the activation's
        negative slope, the dropout rate in force, then the band layers'
        weights and biases in the stack's order, the approximation head's and
        the output layer's. None unless it can take the pass: :attr:`fused`,
        max pooling of a batch on the CPU without autocast, coefficients that
        need no gradient, plain layers and an ``nn.Dropout`` (rate below 1),
        no hooks, and no activation or one (leaky) ReLU for the band layers
        and the approximation head."""
        if not (self.fused and self.levels_used and self.pooling == "max" and coeffs.device.type == "cpu"
                and coeffs.shape[1] and not coeffs.requires_grad and not torch.is_autocast_enabled("cpu")):
            return None
        slope = _negative_slope(self.micro_wavs[0].activation)
        dropout = self.dropout
        if slope is None or type(dropout) is not nn.Dropout or _hooked(dropout) or dropout.p >= 1:
            return None
        layers = [head for micro_wav, rows in zip(self.micro_wavs, self._stack_rows)
                  for head, _ in zip(micro_wav.heads, rows)]
        if self.approximation is not None:
            layer, activation = self.approximation
            if _hooked(self.approximation) or _negative_slope(activation) != slope:
                return None
            layers.append(layer)
        parts = [_linear_parts(layer) for layer in (*layers, self.output)]
        if None in parts:
            return None
        return [slope, dropout.p if dropout.training else 0.0, *(tensor for pair in parts for tensor in pair)]

    def _approx_inputs(self, coeffs):
        """The approximation head's input: the coarsest approximation's rows of
        the batch-last ``coeffs``, scaled to local means."""
        return coeffs[: self._band_rows[self.depth][0].start if self.depth else None] * self._approx_scale

    def _dropout(self, features):
        # Without dropout, not even the module call (unless hooked): at small
        # batches every operation counts.
        return self.dropout(features) if self.dropout.p or _hooked(self.dropout) else features

    def _decompose(self, x):
        """Packed Haar coefficients of the images ``x``, batch-last: ``(n_coefficients, batch)``."""
        images = x.reshape(x.shape[0], *self.image_shape)
        if (
            images.device.type == "cpu"
            and images.dtype in (torch.float32, torch.float64)  # the sparse product's dtypes there
            and images.numel() <= _SPARSE_HAAR_VALUES
            and math.prod(self.image_shape) <= _SPARSE_HAAR_PIXELS
        ):
            matrix = _cached_haar_matrix(self.image_shape, self.depth, self.mode, images.dtype)
            return matrix @ images.flatten(1).T
        return haar_mrd_packed(images, self.depth, self.mode).T

    def _stack(self, coeffs):
        """The band layers' outputs as ``(level, band, hidden, batch)``, coarsest level first.

        Built with a single concatenation of the layers' ``(hidden, batch)``
        blocks: per-level stacks and paddings cost more in operator overhead
        than the layers themselves at small batches.
        """
        pieces = []
        zeros = None
        width = self.max_hidden
        # micro_wavs and _stack_rows are both coarsest level first.
        for micro_wav, rows in zip(self.micro_wavs, self._stack_rows):
            for head, band_rows in zip(micro_wav.heads, rows):
                pad = width - head.out_features
                if pad:  # front zero-padding of the hidden axis to the largest size, as in the paper
                    zeros = coeffs.new_zeros(width, coeffs.shape[1]) if zeros is None else zeros
                    pieces.append(zeros[:pad])
                pieces.append(_layer(head, coeffs[band_rows]))
        stack = torch.cat(pieces).view(len(self._stack_rows), len(self._stack_rows[0]), width, coeffs.shape[1])
        # Every activation maps 0 to 0, so one call after the padding equals one per band.
        activation = self.micro_wavs[0].activation
        return stack if type(activation) is nn.Identity and not _hooked(activation) else activation(stack)


class _FusedWavPool(torch.autograd.Function):
    """WavPool from its batch-last coefficients to its scores as one autograd
    node, for the networks :meth:`WavPool._fused_inputs` accepts.

    The general path's operations, with its results to float rounding, and a
    written-out backward pass: the band layers write straight into the stack,
    which is then not concatenated; the activation comes after the pooling,
    with which it commutes, as it never decreases (where rounding makes two
    units of a window equal after it, the gradient may go to the other one);
    the pooling's gradient is scattered through its indices (its windows do
    not overlap); dropout draws its noise as torch's does. Autograd would walk
    30 to 50 nodes for this; in WavPool's training loop at batch 64 on 28x28
    images a step took 7 to 8 % less time this way, in the paper's
    configuration and in the default one. The backward pass is not itself
    differentiable.
    """

    @staticmethod
    def forward(ctx, coeffs, net, slope, p, *params):
        n_heads = 2 * sum(len(rows) for rows in net._stack_rows)  # weights and biases
        heads, approx, (weight, bias) = params[:n_heads], params[n_heads:-2], params[-2:]
        rows = [band_rows for level_rows in net._stack_rows for band_rows in level_rows]
        width, batch = net.max_hidden, coeffs.shape[1]
        stack = coeffs.new_empty(len(rows) * width, batch)
        for k, band_rows in enumerate(rows):
            block = stack[k * width : (k + 1) * width]
            pad = width - heads[2 * k].shape[0]
            block[:pad].zero_()  # front zero-padding of the hidden axis, as in the paper
            torch.addmm(heads[2 * k + 1][:, None], heads[2 * k], coeffs[band_rows], out=block[pad:])
        stack = stack.view(len(net._stack_rows), len(rows) // len(net._stack_rows), width, batch)
        pooled, indices = nn.functional.max_pool3d(_channels_last(stack), net.pooling_kernel[::-1],
                                                   ceil_mode=net.ceil_mode, return_indices=True)
        pooled = _activate(_batch_last(pooled).reshape(-1, batch), slope)  # (windows, batch)
        features, noise = _drop(pooled, p)
        selected = weight.index_select(1, net.pooled_columns)
        logits = torch.addmm(bias, features.T, selected.T)
        ctx.approx, approx_tensors = bool(approx), ()
        if approx:  # the approximation head, whose features join the pooled ones
            approx_weight, approx_bias = approx
            inputs = net._approx_inputs(coeffs)
            hidden = _activate(torch.addmm(approx_bias[:, None], approx_weight, inputs), slope)
            approx_features, approx_noise = _drop(hidden, p)
            logits = torch.addmm(logits, approx_features.T, weight[:, -hidden.shape[0] :].T)
            approx_tensors = inputs, hidden, approx_features, approx_noise
        indices = _batch_last(indices).reshape(-1, batch)
        ctx.save_for_backward(coeffs, weight, selected, pooled, features, noise, indices, *approx_tensors, *heads)
        ctx.rows, ctx.width, ctx.columns, ctx.slope = rows, width, net.pooled_columns, slope
        return logits

    @staticmethod
    def backward(ctx, grad):
        if torch.is_grad_enabled():  # create_graph=True: this backward pass is not itself differentiable
            raise RuntimeError(
                "WavPool's fused pass cannot be differentiated twice; set the network's fused attribute "
                "to False to use torch's autograd throughout."
            )
        coeffs, weight, selected, pooled, features, noise, indices, *rest = ctx.saved_tensors
        approx_tensors, heads = (rest[:4], rest[4:]) if ctx.approx else ((), rest)
        needs = ctx.needs_input_grad  # coeffs, net, slope, p, *heads, [approximation head,] weight, bias
        # Zeros: an output layer may have columns that no feature reaches, as the general path's gradient says.
        grad_weight = torch.zeros_like(weight) if needs[-2] else None
        grad_bias = grad.sum(0) if needs[-1] else None
        grad_approx = []
        if ctx.approx:
            inputs, hidden, approx_features, approx_noise = approx_tensors
            columns = slice(weight.shape[1] - hidden.shape[0], None)
            if grad_weight is not None:
                torch.mm(grad.T, approx_features.T, out=grad_weight[:, columns])
            grad_hidden = _drop_backward(weight[:, columns].T @ grad.T, approx_noise)
            grad_hidden = _activate_backward(grad_hidden, hidden, ctx.slope)
            grad_approx = [grad_hidden @ inputs.T if needs[-4] else None, grad_hidden.sum(1) if needs[-3] else None]
        if grad_weight is not None:
            grad_weight.index_copy_(1, ctx.columns, grad.T @ features.T)
        grad_pooled = _activate_backward(_drop_backward(selected.T @ grad.T, noise), pooled, ctx.slope)
        grad_stack = coeffs.new_zeros(len(ctx.rows) * ctx.width, grad.shape[0]).scatter_(0, indices, grad_pooled)
        grad_heads = []
        for k, band_rows in enumerate(ctx.rows):
            block = grad_stack[(k + 1) * ctx.width - heads[2 * k].shape[0] : (k + 1) * ctx.width]
            grad_heads.append(block @ coeffs[band_rows].T if needs[4 + 2 * k] else None)
            grad_heads.append(block.sum(1) if needs[5 + 2 * k] else None)
        return None, None, None, None, *grad_heads, *grad_approx, grad_weight, grad_bias


def _negative_slope(activation):
    """``activation`` as the leaky ReLU that :class:`_FusedWavPool` applies:
    its negative slope (1 for an identity, 0 for a ReLU); None for any other
    activation, a decreasing one or a hooked one."""
    if _hooked(activation):
        return None
    slope = {nn.Identity: 1.0, nn.ReLU: 0.0}.get(type(activation))
    if type(activation) is nn.LeakyReLU:
        slope = activation.negative_slope
    return slope if slope is not None and slope >= 0 else None


def _activate(x, slope):
    """``x`` through a leaky ReLU of negative ``slope``, in place."""
    return x if slope == 1 else nn.functional.leaky_relu_(x, slope)


def _activate_backward(grad, result, slope):
    return grad if slope == 1 else torch.ops.aten.leaky_relu_backward(grad, result, slope, True)


def _drop(x, p):
    """``x`` through dropout at rate ``p``, and its noise (None for none): the
    same random draws as torch's dropout on the CPU."""
    if not p:
        return x, None
    noise = torch.empty_like(x).bernoulli_(1 - p).div_(1 - p)
    return x * noise, noise


def _drop_backward(grad, noise):
    return grad if noise is None else grad * noise


def _layer(linear, rows):
    """``linear`` applied to batch-last ``rows`` (in_features, batch): (out_features, batch).

    A plain layer is one ``addmm``; any other (hooked, pruned, parametrized,
    quantized...) is called as a module, on ``rows.T``.
    """
    parts = _linear_parts(linear)
    if parts is not None:
        return torch.addmm(parts[1][:, None], parts[0], rows)
    return linear(rows.T).T


def _linear_parts(module):
    """``(weight, bias)`` of ``module`` if it is an ``nn.Linear`` with a bias
    that no hook watches, one that forward may apply without calling it;
    else None.

    Read from ``_parameters``, as torch's own ``Module.__getattr__`` does,
    without its Python call (about 0.5 us a name).
    """
    if type(module) is not nn.Linear or _hooked(module):
        return None
    weight, bias = module._parameters.get("weight"), module._parameters.get("bias")  # either may be a buffer
    return None if weight is None or bias is None else (weight, bias)


def _hooked(module):
    """Whether calling ``module`` would run hooks, by torch's own test in ``Module.__call__``."""
    hooks = nn.modules.module
    return bool(
        module._forward_hooks or module._forward_pre_hooks or module._backward_hooks or module._backward_pre_hooks
        or hooks._global_forward_hooks or hooks._global_forward_pre_hooks
        or hooks._global_backward_hooks or hooks._global_backward_pre_hooks
    )


def _pooled_size(size, kernel, ceil_mode):
    return -(-size // kernel) if ceil_mode else size // kernel


def _pool(stack, kernel, kind, ceil_mode):
    """Max or average pooling of the batch-last ``stack`` (level, band, hidden, batch).

    ``kernel`` (and stride) is over (level, band, hidden), with torch's
    ``MaxPool3d``/``AvgPool3d(kernel, ceil_mode=ceil_mode)`` semantics (partial
    windows average their valid entries). Max pooling on the CPU is torch's,
    with the batch as the channel axis of a ``channels_last_3d`` tensor, which
    its kernel vectorises forward and backward. Otherwise the windows' members
    are combined elementwise, one axis at a time, with autograd through
    ``torch.maximum`` (which splits the gradient of a tie) or ``torch.add``:
    on this layout torch's ``avg_pool3d`` is the slower (WavPool's training
    step at batch 256 on 28x28 images: 5.1 against 3.8 ms in the paper's
    configuration), and on other devices torch's pooling backward may not be
    deterministic (it is not on CUDA). The same step with max pooling took
    3.7 ms with torch's kernel against 7.7 ms elementwise.
    """
    if all(k == 1 for k in kernel):
        return stack
    if kind == "max" and stack.device.type == "cpu" and stack.shape[3]:  # torch's needs a batch
        return _batch_last(nn.functional.max_pool3d(_channels_last(stack), kernel, ceil_mode=ceil_mode))
    return _window_pool(stack, kernel, kind, ceil_mode)


def _channels_last(stack):
    """The batch-last ``stack`` (level, band, hidden, batch) as torch's pooling
    input ``(1, batch, level, band, hidden)`` in ``channels_last_3d``: the
    memory of the contiguous stack. ``unsqueeze(0)`` alone would give the new
    axis a stride that torch does not read as channels_last."""
    return stack.unsqueeze(0).permute(0, 4, 1, 2, 3)


def _batch_last(pooled):
    """The inverse of :func:`_channels_last`, for torch's pooling output (or indices)."""
    return pooled.permute(0, 2, 3, 4, 1).squeeze(0)


def _window_pool(stack, kernel, kind, ceil_mode):
    """:func:`_pool` as elementwise maxima (sums) of the windows' members."""
    sizes = tuple(stack.shape[:3])
    windows = [_pooled_size(n, k, ceil_mode) for n, k in zip(sizes, kernel)]
    # A partial last window is filled with what never wins or counts.
    padded = _resize(stack, [w * k for w, k in zip(windows, kernel)], -math.inf if kind == "max" else 0.0)
    # Each window member is a strided view whose rows are the batch.
    combine = torch.maximum if kind == "max" else torch.add
    out = padded
    for axis, (w, k) in enumerate(zip(windows, kernel)):
        if k > 1:
            out = functools.reduce(combine, out.unflatten(axis, (w, k)).unbind(axis + 1))
    if kind == "avg":
        valid = [[min(k, n - i * k) for i in range(w)] for n, k, w in zip(sizes, kernel, windows)]
        out = out / out.new_tensor([[[[a * b * c] for c in valid[2]] for b in valid[1]] for a in valid[0]])
    return out


def _resize(x, sizes, value):
    """Batch-last ``x`` with its first three axes cut or extended by ``value`` at their ends to ``sizes``."""
    if tuple(x.shape[:3]) == tuple(sizes):
        return x
    pads = [0, 0] + [p for n, s in zip(reversed(x.shape[:3]), reversed(sizes)) for p in (0, s - n)]
    return nn.functional.pad(x, pads, value=value)


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
