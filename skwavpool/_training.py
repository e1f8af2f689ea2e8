"""Training plumbing of the estimators: the skorch net, its data, callbacks and augmentation.

The estimators (:mod:`skwavpool.classifier`, :mod:`skwavpool.regressor`) own
their parameters and build a skorch net here with :func:`build_net`. Nothing
in this module is public.
"""

from __future__ import annotations

import math
from contextlib import contextmanager

import torch
from skorch import NeuralNetClassifier, NeuralNetRegressor
from skorch.callbacks import Callback, EarlyStopping, EpochScoring, LRScheduler, ProgressBar
from skorch.dataset import Dataset
from skorch.hf import AccelerateMixin
from torch.optim.lr_scheduler import CosineAnnealingLR

OPTIMIZERS = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW, "sgd": torch.optim.SGD}


class BatchDataset(Dataset):
    """A skorch Dataset of in-memory tensors that hands out a whole batch per call.

    torch's DataLoader fetches through ``__getitems__`` when a dataset has it,
    with all of a batch's indices at once; with :func:`whole_batch` as the
    collate function a batch then costs one indexing call instead of one per
    sample, which for small images cost more than the network's forward pass.
    ``y`` may be None (prediction) and ``sample_weight`` a tensor of one weight
    per sample, returned with the targets as ``(y, weight)``.
    """

    def __init__(self, X, y=None, length=None, sample_weight=None):
        super().__init__(X, y, length)
        self.sample_weight = sample_weight

    def __getitems__(self, indices):
        # Index the tensors directly: skorch's generic indexing goes through
        # sklearn's _safe_indexing, which inspects every index in Python.
        rows = torch.as_tensor(indices)
        X = torch.as_tensor(self.X).index_select(0, rows)
        if self.y is None:
            return X, None
        y = torch.as_tensor(self.y).index_select(0, rows)
        if self.sample_weight is not None:
            y = (y, self.sample_weight.index_select(0, rows))
        return X, y


def whole_batch(batch):
    """Collate function for :class:`BatchDataset`: the batch is already whole."""
    return batch


class RandomShift:
    """Collate function of the training loader: every image of a whole batch
    ``(X, y)`` moved by up to ``max_shift`` pixels along each axis, the
    uncovered border zero-filled, with shifts drawn from ``generator``."""

    def __init__(self, max_shift, generator):
        self.max_shift = max_shift
        self.generator = generator

    def __call__(self, batch):
        X, y = batch
        n, channels, height, width = X.shape
        shift = self.max_shift
        padded = torch.nn.functional.pad(X, (shift, shift, shift, shift)).flatten(2)
        # Each image's window into its padded copy starts at (dy, dx), in 0..2 * shift.
        dy, dx = torch.randint(0, 2 * shift + 1, (2, n, 1, 1), generator=self.generator)
        index = (dy + torch.arange(height).view(1, -1, 1)) * (width + 2 * shift) + dx + torch.arange(width)
        index = index.view(n, 1, height * width).expand(n, channels, height * width)
        return padded.gather(2, index).view(X.shape), y


@contextmanager
def torch_threads(n_threads):
    """Run the block with ``n_threads`` torch threads (None: leave them as they are)."""
    if n_threads is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(n_threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


class WeightedLoss(torch.nn.Module):
    """``loss`` (a criterion class) averaged with per-sample weights.

    Targets come as ``y`` or, with sample weights, as ``(y, weight)``; the
    loss of a batch is the batch mean of ``weight * loss``. The estimators
    scale the weights to a mean of 1 over the training data, so that a
    batch's loss estimates the weighted mean loss of the whole training set,
    as scikit-learn defines it, whatever weights the batch happens to hold.
    """

    def __init__(self, loss, **kwargs):
        super().__init__()
        self.loss = loss(reduction="none", **kwargs)

    def forward(self, y_pred, target):
        if not isinstance(target, (tuple, list)):
            return self.loss(y_pred, target).mean()
        y, weight = target
        losses = self.loss(y_pred, y)
        losses = losses.reshape(len(losses), -1).mean(dim=1)
        return (losses * weight).mean()


class CheckFiniteLoss(Callback):
    """Stop training with a ValueError as soon as a batch's loss is not finite:
    a diverged fit would otherwise leave a model that predicts NaN."""

    def on_batch_end(self, net, batch=None, training=None, loss=None, **kwargs):
        loss = loss.item()  # the batch's loss, as skorch passes it on
        if not math.isfinite(loss):
            raise ValueError(
                f"The {'training' if training else 'validation'} loss became {loss} in epoch "
                f"{len(net.history)}: training diverged. Scale the input (pixels in [0, 1], e.g. divide "
                "uint8 images by 255), lower lr, or use optimizer='adamw'."
            )


class CosineSchedule(LRScheduler):
    """skorch's LRScheduler with torch's cosine annealing to zero over ``max_epochs``,
    leaving the optimizer picklable after training.

    torch's scheduler wraps an optimizer's ``step`` in an instance attribute;
    for Accelerate's optimizer, pickle then fails to find that wrapper under
    the method's name. The next fit's scheduler wraps it again.
    """

    def __init__(self, max_epochs):
        # last_epoch=-1: each fit anneals over its own max_epochs, also when a
        # warm start carries a history (skorch would count its epochs).
        super().__init__(policy=CosineAnnealingLR, T_max=max_epochs, last_epoch=-1)

    def on_train_end(self, net, **kwargs):
        super().on_train_end(net, **kwargs)
        vars(net.optimizer_).pop("step", None)


class AcceleratedNetClassifier(AccelerateMixin, NeuralNetClassifier):
    """skorch's classifier trained through a Hugging Face ``accelerate.Accelerator``."""


class AcceleratedNetRegressor(AccelerateMixin, NeuralNetRegressor):
    """skorch's regressor trained through a Hugging Face ``accelerate.Accelerator``."""


_NETS = {
    "classifier": (NeuralNetClassifier, AcceleratedNetClassifier, torch.nn.CrossEntropyLoss),
    "regressor": (NeuralNetRegressor, AcceleratedNetRegressor, torch.nn.MSELoss),
}


def build_net(estimator, kind, module, module_params, **net_params):
    """The skorch net that trains ``module(**module_params)`` for ``estimator``.

    ``kind`` is ``"classifier"`` (cross-entropy on logits) or ``"regressor"``
    (squared error); ``net_params`` go to the net as they are. Training batches
    are shuffled; the training split is set by the caller, who knows the
    validation data.
    """
    optimizer_kwargs = {"optimizer__weight_decay": estimator.weight_decay}
    if estimator.optimizer == "sgd":
        optimizer_kwargs["optimizer__momentum"] = estimator.momentum
    else:
        # torch's fused Adam: one kernel for all parameters instead of a loop over them.
        optimizer_kwargs["optimizer__fused"] = True
    callbacks = [*(estimator.callbacks or []), ("check_finite_loss", CheckFiniteLoss())]
    if kind == "regressor":  # skorch's classifier scores valid_acc itself
        callbacks.append(EpochScoring("r2", lower_is_better=False, name="valid_r2"))
    if estimator.lr_schedule == "cosine":
        callbacks.append(CosineSchedule(estimator.max_epochs))
    if estimator.early_stopping:
        callbacks.append(EarlyStopping(patience=estimator.patience, load_best=True))
    if estimator.verbose >= 2:
        callbacks.append(ProgressBar())
    net_class, accelerated_class, loss = _NETS[kind]
    placement = {"device": str(estimator.device_)}
    if estimator.accelerator is not None:
        # The accelerator's print speaks once per run of several processes;
        # plain print keeps skorch's rule that verbose=0 prints nothing.
        net_class, placement = accelerated_class, {
            "accelerator": estimator.accelerator,
            "device": None,
            "callbacks__print_log__sink": estimator.accelerator.print if estimator.verbose else print,
        }
    return net_class(
        module,
        **{f"module__{name}": value for name, value in module_params.items()},
        # The modules return logits or values: cross-entropy, not skorch's default NLLLoss.
        criterion=WeightedLoss,
        criterion__loss=loss,
        optimizer=OPTIMIZERS[estimator.optimizer],
        lr=estimator.lr,
        max_epochs=estimator.max_epochs,
        batch_size=estimator.batch_size,
        dataset=BatchDataset,
        iterator_train__shuffle=True,
        iterator_train__collate_fn=whole_batch,
        iterator_valid__collate_fn=whole_batch,
        train_split=None,
        callbacks=callbacks,
        verbose=int(estimator.verbose > 0),
        **net_params,
        **placement,
        **optimizer_kwargs,
    )
