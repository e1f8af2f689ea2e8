"""Base classes of the skorch-trained estimators.

:class:`NetEstimator` holds the parameters every estimator shares and the
training loop around them: input checks, seeding, the validation split, warm
starts and the fitted attributes scikit-learn users look for. Subclasses say
which torch module to train (``_module``) and how targets are encoded
(``_encode_targets``). :class:`WavPoolParams` adds the WavPool network's
parameters, shared by :class:`~skwavpool.WavPoolClassifier` and
:class:`~skwavpool.WavPoolRegressor`.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, RealNotInt, StrOptions
from sklearn.utils.validation import check_array, check_consistent_length
from skorch.callbacks import Callback
from skorch.helper import predefined_split

from skwavpool import _training
from skwavpool._images import as_tensor, check_image_shape, resolve_device, validate_images
from skwavpool.haar import MODES
from skwavpool.nn import ACTIVATIONS, WavPool


def _check_callbacks(callbacks):
    """A TypeError unless ``callbacks`` holds skorch callbacks or (name, callback) pairs."""
    for entry in callbacks or []:
        callback = entry[1] if isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[0], str) else entry
        if not (isinstance(callback, Callback) or (isinstance(callback, type) and issubclass(callback, Callback))):
            raise TypeError(
                f"callbacks must hold skorch callbacks (or (name, callback) pairs), got {entry!r}."
            )


def _check_sample_weight(sample_weight, n_samples):
    """``sample_weight`` as a float64 array of ``n_samples`` non-negative finite weights, not all 0, or None."""
    if sample_weight is None:
        return None
    weights = check_array(sample_weight, ensure_2d=False, dtype=np.float64, input_name="sample_weight")
    if weights.shape != (n_samples,):
        raise ValueError(f"sample_weight must have shape ({n_samples},), one weight per sample; got {weights.shape}.")
    if (weights < 0).any():
        raise ValueError(f"sample_weight must be non-negative; its smallest weight is {weights.min()}.")
    if not weights.any():
        raise ValueError("sample_weight must hold at least one nonzero weight; all are zero.")
    return weights


class NetEstimator(BaseEstimator):
    """The parameters and the training loop that all estimators here share."""

    _parameter_constraints = {
        "image_shape": [tuple, list, None],
        "optimizer": [StrOptions(set(_training.OPTIMIZERS))],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "lr_schedule": [StrOptions({"cosine"}), None],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "momentum": [Interval(Real, 0, None, closed="left")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "max_shift": [Interval(Integral, 0, None, closed="left"), Interval(RealNotInt, 0, 1, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "patience": [Interval(Integral, 1, None, closed="left")],
        "device": [str, torch.device],
        "n_threads": [Interval(Integral, 1, None, closed="left"), None],
        "accelerator": [HasMethods(["prepare", "backward"]), None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "callbacks": [list, None],
        "dtype": [StrOptions({"float32", "float64"})],
    }

    # "classifier" or "regressor": the loss and the skorch net (see _training.build_net).
    _kind = None

    def __init__(
        self,
        *,
        image_shape=None,
        optimizer="adamw",
        lr=3e-3,
        lr_schedule="cosine",
        weight_decay=0.05,
        momentum=0.0,
        max_epochs=30,
        batch_size=64,
        max_shift=0,
        early_stopping=False,
        validation_fraction=0.1,
        patience=5,
        device="auto",
        n_threads=None,
        accelerator=None,
        random_state=None,
        verbose=0,
        warm_start=False,
        callbacks=None,
        dtype="float32",
    ):
        self.image_shape = image_shape
        self.optimizer = optimizer
        self.lr = lr
        self.lr_schedule = lr_schedule
        self.weight_decay = weight_decay
        self.momentum = momentum
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.max_shift = max_shift
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.device = device
        self.n_threads = n_threads
        self.accelerator = accelerator
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start
        self.callbacks = callbacks
        self.dtype = dtype

    def _fit(self, X, y, sample_weight, validation_data):
        self._validate_params()
        _check_callbacks(self.callbacks)
        warm = self.warm_start and hasattr(self, "net_")
        if warm:
            self._check_warm_start()
        # A warm fit keeps the fitted layout: its data must match it, as at predict time.
        images, y = validate_images(
            self, X, y, reset=not warm, image_shape=self.image_shape, float32=self.dtype == "float32",
            **self._y_checks()
        )
        sample_weight = _check_sample_weight(sample_weight, len(y))
        if sample_weight is not None and not sample_weight.all():
            # A weight of 0 leaves the sample out, from the batches too.
            kept = sample_weight > 0
            images, y, sample_weight = images[kept], y[kept], sample_weight[kept]
        max_shift = self._max_shift_pixels()
        targets, n_outputs = self._encode_targets(y, warm, sample_weight)
        weights = self._loss_weights(y, sample_weight)
        self.device_ = self.accelerator.device if self.accelerator is not None else resolve_device(self.device)
        random_state = check_random_state(self.random_state)
        seed = int(random_state.randint(np.iinfo(np.int32).max))
        train, valid = slice(None), None  # all samples, without a copy
        if validation_data is not None:
            X_val, y_val = validation_data
            val_images = validate_images(self, X_val, reset=False, float32=self.dtype == "float32")
            check_consistent_length(val_images, y_val)
            valid = _training.BatchDataset(self._images_tensor(val_images), self._validation_targets(y_val))
        elif self.early_stopping:
            train, held_out = self._validation_split(y, seed)
            valid = _training.BatchDataset(self._images_tensor(images[held_out]), targets[held_out])
        # Seed the weights and the batch order (a generator of the loader's own,
        # which Accelerate keeps), then give the caller back torch's random state.
        with torch.random.fork_rng(devices=[self.device_] if self.device_.type == "cuda" else []):
            torch.manual_seed(seed)
            module, params = self._module()
            net = _training.build_net(
                self, self._kind, module, {"image_shape": self.image_shape_, "n_classes": n_outputs, **params},
                **self._net_params(n_outputs),
            )
            net.initialize()
            # In place: the optimizer keeps the same parameters, now in this dtype.
            net.module_.to(getattr(torch, self.dtype))
            if warm:
                # As scikit-learn's MLPClassifier does: the weights (and here the
                # history) carry over; the optimizer, the schedule and every
                # other training parameter start afresh from the current values.
                net.module_.load_state_dict(self.net_.module_.state_dict())
                net.history = self.net_.history
            self.net_ = net
            net.train_split = None if valid is None else predefined_split(valid)
            net.iterator_train__generator = torch.Generator().manual_seed(seed)
            if max_shift:
                shift_seed = int(random_state.randint(np.iinfo(np.int32).max))
                net.iterator_train__collate_fn = _training.RandomShift(max_shift, torch.Generator().manual_seed(shift_seed))
            dataset = _training.BatchDataset(
                self._images_tensor(images[train]), targets[train],
                sample_weight=None if weights is None else self._mean_one(weights[train]),
            )
            with _training.torch_threads(self.n_threads):
                net.partial_fit(dataset, None)
        self._set_history_attributes(valid is not None)
        return self

    def _y_checks(self):
        """Keyword arguments of ``validate_data`` for ``y``."""
        return {}

    def _net_params(self, n_outputs):
        """Parameters of the skorch net beyond those :func:`_training.build_net` sets."""
        return {}

    def _max_shift_pixels(self):
        """``max_shift`` in pixels for the fitted image shape; a ValueError if it is too large."""
        height, width = self.image_shape_[1:]
        max_shift = self.max_shift
        if not isinstance(max_shift, Integral):
            return int(max_shift * min(height, width))
        if max_shift >= min(height, width):
            raise ValueError(
                f"max_shift={max_shift} pixels would move {height}x{width} images out of view; "
                f"use at most {min(height, width) - 1}, or a fraction of the side such as 0.0625."
            )
        return int(max_shift)

    def _loss_weights(self, y, sample_weight):
        """Per-sample weights of the loss, or None when every sample weighs the same."""
        return sample_weight

    def _mean_one(self, weights):
        """``weights`` scaled to a mean of 1 as a tensor: the loss of a batch is then
        the mean of ``weight * loss``, an estimate of the weighted mean over the
        training data whatever the batch holds, and unweighted training is
        the case of equal weights."""
        return torch.from_numpy(weights / weights.mean()).to(getattr(torch, self.dtype))

    def _validation_split(self, y, seed):
        """Positions of the samples kept for training and of those held out for early stopping."""
        try:
            return train_test_split(
                np.arange(len(y)), test_size=self.validation_fraction, random_state=seed, stratify=self._stratify(y)
            )
        except ValueError as exc:
            raise ValueError(
                f"early_stopping could not hold out validation_fraction={self.validation_fraction} of "
                f"{len(y)} samples: {exc} Use a larger validation_fraction, more samples, or early_stopping=False."
            ) from exc

    def _stratify(self, y):
        return None

    def _set_history_attributes(self, validated):
        """``loss_curve_``, ``validation_scores_``, ``best_validation_score_``, ``n_iter_`` from the history."""
        history = self.net_.history
        self.loss_curve_ = [float(loss) for loss in history[:, "train_loss"]]
        self.n_iter_ = len(history)
        self.validation_scores_ = None
        if validated:
            self.validation_scores_ = [float(s) for s in history[:, self._validation_score_name]]
        self.best_validation_score_ = (
            max(self.validation_scores_) if self.early_stopping and self.validation_scores_ else None
        )

    def _check_warm_start(self):
        """Raise unless the fitted network's architecture is the one the parameters now ask for."""
        if self.image_shape is not None and check_image_shape(self.image_shape) != self.image_shape_:
            raise ValueError(
                f"warm_start=True needs the same image shape as the previous fit; image_shape={self.image_shape!r} "
                f"after {self.image_shape_}."
            )
        module, params = self._module()
        fitted = self.net_.get_params()
        changed = sorted(name for name, value in params.items() if fitted.get(f"module__{name}") != value)
        if module is not self.net_.module or changed:
            raise ValueError(
                f"warm_start=True needs the same architecture as the previous fit; changed: {changed or 'module'}. "
                "Set warm_start=False to train the new network from scratch."
            )

    def _images_tensor(self, images):
        # Tensors, not arrays: the dataset then indexes batches without sklearn's checks.
        return as_tensor(np.ascontiguousarray(images, dtype=self.dtype), "cpu")

    def _forward(self, X):
        """The network's outputs for images ``X`` as a float64 array, computed in batches."""
        images = validate_images(self, X, reset=False, float32=self.dtype == "float32")
        module = self.net_.module_.eval()
        # Batches are padded to one size: matrix kernels may round differently
        # for other shapes, and a sample's output must not depend on how many
        # others came with it. The size is capped, so that predicting a few
        # samples costs little whatever batch_size a fit used.
        size = min(self.batch_size, 1024)
        outputs = []
        with torch.no_grad(), _training.torch_threads(self.n_threads):
            for start in range(0, len(images), size):
                batch = as_tensor(np.ascontiguousarray(images[start : start + size], dtype=self.dtype), self.device_)
                n = len(batch)
                if n < size:
                    batch = torch.cat([batch, batch.new_zeros(size - n, *batch.shape[1:])])
                outputs.append(module(batch)[:n].double().cpu().numpy())
        n_outputs = self.net_.module_.output.out_features
        return np.concatenate(outputs) if outputs else np.empty((0, n_outputs))

    def __setstate__(self, state):
        # skorch maps a CUDA-trained net to the CPU when no GPU is present;
        # keep device_ telling the truth about where the model now lives.
        super().__setstate__(state)
        if "net_" in state and self.net_.device is not None:  # None: Accelerate placed it
            self.device_ = torch.device(self.net_.device)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        return tags


class WavPoolParams:
    """The WavPool network's parameters, for an estimator that trains :class:`~skwavpool.WavPool`.

    Placed left of the estimator's base class, its ``__init__`` stores the
    network's parameters and passes the rest on.
    """

    _parameter_constraints = {
        "hidden_size": [Interval(Integral, 1, None, closed="left"), list, tuple],
        "hidden_layer_scaling": ["boolean"],
        "levels": [list, tuple, None],
        "normalize_levels": ["boolean"],
        "approximation": ["boolean"],
        "pooling": [StrOptions({"avg", "max"})],
        "pooling_kernel": [Interval(Integral, 1, None, closed="left"), tuple, list],
        "ceil_mode": ["boolean"],
        "activation": [StrOptions(set(ACTIVATIONS)), None],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "mode": [StrOptions(set(MODES))],
    }

    def __init__(
        self,
        *,
        hidden_size,
        hidden_layer_scaling,
        levels,
        normalize_levels,
        approximation,
        pooling,
        pooling_kernel,
        ceil_mode,
        activation,
        dropout,
        mode,
        **training,
    ):
        super().__init__(**training)
        self.hidden_size = hidden_size
        self.hidden_layer_scaling = hidden_layer_scaling
        self.levels = levels
        self.normalize_levels = normalize_levels
        self.approximation = approximation
        self.pooling = pooling
        self.pooling_kernel = pooling_kernel
        self.ceil_mode = ceil_mode
        self.activation = activation
        self.dropout = dropout
        self.mode = mode

    def _module(self):
        names = WavPoolParams._parameter_constraints
        return WavPool, {name: getattr(self, name) for name in names}
