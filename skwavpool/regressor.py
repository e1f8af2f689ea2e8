"""WavPoolRegressor: the WavPool network with a regression head, trained by skorch."""

from __future__ import annotations

import numpy as np
import torch
from sklearn.base import RegressorMixin
from sklearn.utils.validation import check_is_fitted

from skwavpool._base import NetEstimator, WavPoolParams
from skwavpool._docstrings import fill_doc

__all__ = ["WavPoolRegressor"]


@fill_doc
class WavPoolRegressor(WavPoolParams, RegressorMixin, NetEstimator):
    """Image regressor built on the WavPool block, trained with skorch.

    The same network and training loop as :class:`WavPoolClassifier`, with
    one linear output per target and a squared-error loss. The targets are
    standardised for training (each column to zero mean and unit variance on
    the training data, kept as ``y_mean_`` and ``y_scale_``) and predictions
    are mapped back, so targets in any units train alike. ``score`` is
    :math:`R^2`, as for every scikit-learn regressor.

    Its defaults differ from the classifier's in three ways, chosen on a
    validation split of a regression benchmark (the rotation angle and scale
    of Fashion-MNIST items, ``benchmarks/results/regression_search.md``): no
    pooling (``pooling_kernel=1``: every unit of every band layer reaches the
    output layer), dropout 0.1 and 60 epochs. Random shifts of the training
    images help here too, when the targets do not change with a shift of a
    pixel; set ``max_shift=0`` for targets that do (a position, say).

    Parameters
    ----------
%(image_parameters)s%(wavpool_parameters)s%(training_parameters)s
    Attributes
    ----------
    y_mean_ : ndarray of shape (n_outputs,)
        Mean of each target on the training data (weighted by ``sample_weight``).
    y_scale_ : ndarray of shape (n_outputs,)
        Standard deviation of each target on the training data (weighted
        likewise; 1 where it is 0).
    n_outputs_ : int
        Number of targets.
%(training_attributes)s
    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from skwavpool import WavPoolRegressor
    >>> images = load_digits().images / 16
    >>> y = images[:, :, 4:].sum(axis=(1, 2)) - images[:, :, :4].sum(axis=(1, 2))  # ink right minus left
    >>> reg = WavPoolRegressor(max_epochs=20, random_state=0).fit(images[:1500], y[:1500])
    >>> reg.predict(images[1500:1503]).shape
    (3,)
    >>> bool(reg.score(images[1500:], y[1500:]) > 0.8)
    True
    """

    _parameter_constraints = {**NetEstimator._parameter_constraints, **WavPoolParams._parameter_constraints}
    _kind = "regressor"
    _validation_score_name = "valid_r2"

    def __init__(
        self,
        *,
        image_shape=None,
        hidden_size=180,
        hidden_layer_scaling=False,
        levels=None,
        normalize_levels=False,
        approximation=True,
        pooling="max",
        pooling_kernel=1,
        ceil_mode=True,
        activation="leaky_relu",
        dropout=0.1,
        mode="reflect",
        optimizer="adamw",
        lr=3e-3,
        lr_schedule="cosine",
        weight_decay=0.05,
        momentum=0.0,
        max_epochs=60,
        batch_size=64,
        max_shift=0.0625,
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
        super().__init__(
            image_shape=image_shape,
            hidden_size=hidden_size,
            hidden_layer_scaling=hidden_layer_scaling,
            levels=levels,
            normalize_levels=normalize_levels,
            approximation=approximation,
            pooling=pooling,
            pooling_kernel=pooling_kernel,
            ceil_mode=ceil_mode,
            activation=activation,
            dropout=dropout,
            mode=mode,
            optimizer=optimizer,
            lr=lr,
            lr_schedule=lr_schedule,
            weight_decay=weight_decay,
            momentum=momentum,
            max_epochs=max_epochs,
            batch_size=batch_size,
            max_shift=max_shift,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            patience=patience,
            device=device,
            n_threads=n_threads,
            accelerator=accelerator,
            random_state=random_state,
            verbose=verbose,
            warm_start=warm_start,
            callbacks=callbacks,
            dtype=dtype,
        )

    @fill_doc
    def fit(self, X, y, sample_weight=None, validation_data=None):
        """Train the network on images ``X`` with targets ``y``.

        Parameters
        ----------
%(fit_images_parameter)s        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets, in any units; :meth:`predict` returns the same shape.
            They are standardised for training with their mean and standard
            deviation (weighted by ``sample_weight``).
%(sample_weight_parameter)s        validation_data : tuple (X_val, y_val) or None, default=None
            Images and targets scored after every epoch (``valid_loss`` and
            ``valid_r2`` in ``net_.history``). With ``early_stopping`` they
            replace the ``validation_fraction`` split.

        Returns
        -------
        self : object
            The fitted regressor.
        """
        return self._fit(X, y, sample_weight, validation_data)

    def _y_checks(self):
        return {"y_numeric": True, "multi_output": True}

    def _encode_targets(self, y, warm, sample_weight):
        y = np.asarray(y, dtype=np.float64)
        columns = y.reshape(len(y), -1)
        if warm:
            if columns.shape[1] != self.n_outputs_:
                raise ValueError(
                    f"warm_start=True needs the same number of targets as the previous fit; got "
                    f"{columns.shape[1]} after {self.n_outputs_}."
                )
        else:
            # A warm start keeps the units the network has learned in.
            self.n_outputs_ = columns.shape[1]
            self.y_mean_ = np.average(columns, axis=0, weights=sample_weight)
            scale = np.sqrt(np.average((columns - self.y_mean_) ** 2, axis=0, weights=sample_weight))
            self.y_scale_ = np.where(scale > 0, scale, 1.0)
        self._y_ndim = y.ndim
        return self._standardised(columns), self.n_outputs_

    def _standardised(self, columns):
        return torch.from_numpy(((columns - self.y_mean_) / self.y_scale_).astype(self.dtype))

    def _validation_targets(self, y_val):
        y_val = np.asarray(y_val, dtype=np.float64)
        return self._standardised(y_val.reshape(len(y_val), -1))

    def predict(self, X):
        """Predicted targets for images ``X``, in the units and shape of ``fit``'s ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), (n_samples, H, W) or \
(n_samples, C, H, W)
            Images of the shape seen in :meth:`fit`.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        """
        check_is_fitted(self)
        y_pred = self._forward(X) * self.y_scale_ + self.y_mean_
        return y_pred[:, 0] if self._y_ndim == 1 else y_pred

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
