"""Docstring sections that the estimators share, filled in by :func:`fill_doc`.

An estimator's docstring (or a method's) names a shared section as
``%(name)s`` (Python's %-formatting, so a literal percent sign is written
``%%``); :func:`fill_doc` substitutes :data:`SECTIONS` and the class's own
defaults of ``max_epochs`` and ``max_shift``, which differ between estimators.
"""

from __future__ import annotations

import inspect

SECTIONS = {
    "image_parameters": """    image_shape : tuple of int or None, default=None
        ``(H, W)`` or ``(C, H, W)`` to read flat rows as images; with 3-D or
        4-D input it may only restate the images' own shape. Without it,
        3-D input ``(n, H, W)`` is one channel, 4-D input ``(n, C, H, W)`` is
        read as is, and rows of ``n_features`` values are single-channel
        ``(h, n_features // h)`` images, ``h`` the largest divisor of
        ``n_features`` not above its square root (64 -> 8x8, 784 -> 28x28); a
        guess that is not square warns.
""",
    "training_parameters": """    optimizer : {"adam", "adamw", "sgd"}, default="adamw"
        The torch optimizer; Adam and AdamW run torch's fused implementation.
    lr : float, default=3e-3
        Learning rate (the starting one, with an ``lr_schedule``).
    lr_schedule : {"cosine"} or None, default="cosine"
        ``"cosine"`` anneals the learning rate to zero over ``max_epochs``
        (``torch.optim.lr_scheduler.CosineAnnealingLR``); ``None`` keeps it
        constant, as in the paper.
    weight_decay : float, default=0.05
        Weight decay passed to the optimizer (decoupled for ``"adamw"``, an
        L2 penalty for the others).
    momentum : float, default=0.0
        Momentum, for ``optimizer="sgd"`` only (the paper uses none).
    max_epochs : int, default=%(max_epochs)s
        Passes over the training data.
    batch_size : int, default=64
        Samples per gradient step. Predictions are made in batches of this
        size, at most 1024, so memory stays bounded on large inputs.
    max_shift : int or float, default=%(max_shift)s
        Augmentation: in every epoch each training image moves by a random
        whole number of pixels, up to ``max_shift`` along each axis, its
        uncovered border filled with zeros (seeded by ``random_state``). A
        float in [0, 1) is a fraction of the image's shorter side, rounded
        down (0.0625, 1/16: no shift for 8x8 images, 1 pixel for 28x28, 2 for
        32x32). 0 trains on the images as given. Validation data, the
        early-stopping split and predictions are never shifted.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (stratified for
        classifiers, seeded by ``random_state``), stop when the validation
        loss has not improved for ``patience`` epochs, and restore the best
        weights.
    validation_fraction : float, default=0.1
        Share of the training data held out when ``early_stopping``.
    patience : int, default=5
        Epochs without improvement before stopping.
    device : str, default="auto"
        ``"auto"`` (CUDA when available, else Apple's MPS when available,
        else the CPU), ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"``...
        Under ``GridSearchCV(n_jobs>1)`` every worker trains on this device.
        Ignored with an ``accelerator``, which places the model itself.
    n_threads : int or None, default=None
        Number of torch intra-op threads while fitting and predicting
        (restored afterwards). ``None`` leaves torch's setting, which follows
        ``OMP_NUM_THREADS``: all cores in a plain process, 1 in a Dask
        worker, whose nanny sets ``OMP_NUM_THREADS=1`` so that parallel fits
        do not oversubscribe the cores. Pin it to compare runs bit for bit
        across processes: float sums depend on how the work is split.
    accelerator : accelerate.Accelerator or None, default=None
        Train through Hugging Face Accelerate (skorch's ``AccelerateMixin``):
        data-parallel over several GPUs or machines when the script runs under
        ``accelerate launch``, mixed precision as the accelerator says. The
        model is unwrapped after training, so the fitted estimator predicts
        and pickles as usual.
    random_state : int, RandomState instance or None, default=None
        Seeds the weights, the batch order and the validation split. With a
        fixed value, two fits on the CPU give identical models. The global
        torch random state is left as it was.
    verbose : int, default=0
        0 is silent, 1 prints skorch's table of per-epoch losses, 2 adds a
        progress bar over the batches.
    warm_start : bool, default=False
        Continue training the fitted network on the next :meth:`fit` instead of
        starting afresh: its weights and ``net_.history`` carry over, while the
        optimizer, the learning-rate schedule and the other training
        parameters start afresh from their current values (as in scikit-learn's
        ``MLPClassifier``). The data must keep the layout and classes, and the
        architecture parameters must not change.
    callbacks : list of skorch callbacks or None, default=None
        Extra callbacks for the skorch net (checkpoints, LR schedulers...).
    dtype : {"float32", "float64"}, default="float32"
        Precision of the weights and of every computation in training and
        prediction. ``"float64"`` costs about twice the time on a CPU and
        far more on most GPUs; it is there for work that needs double
        precision, such as comparing fits whose float32 results would
        differ only by rounding.
""",
    "sample_weight_parameter": """        sample_weight : array-like of shape (n_samples,) or None, default=None
            Non-negative weights of the samples in the loss: an integer
            weight counts as the sample repeated that many times, up to the
            randomness of the batches, and a sample of weight 0 is left out.
            The loss of a batch is the mean of weight times loss, with the
            weights scaled to a mean of 1 over the training samples. The
            validation loss and scores are not weighted.
""",
    "fit_images_parameter": """        X : array-like of shape (n_samples, n_features), (n_samples, H, W) or \
(n_samples, C, H, W)
            Training images; integers and float64 are converted to ``dtype``.
            Values are used as given, not rescaled: divide 0..255 pixels by 255.
""",
    "fit_labels_parameter": """        y : array-like of shape (n_samples,)
            Class labels of any type.
""",
    "fit_validation_labels_parameter": """        validation_data : tuple (X_val, y_val) or None, default=None
            Images and labels scored after every epoch (``valid_loss`` and
            ``valid_acc`` in ``net_.history``). With ``early_stopping`` they
            replace the ``validation_fraction`` split.
""",
    "wavpool_parameters": """    hidden_size : int or list of int, default=%(hidden_size)s
        Units of each band layer; a list gives one size per level, finest first.
    hidden_layer_scaling : bool, default=False
        The paper's shrinking of ``hidden_size`` for coarser levels.
    levels : list of int or None, default=None
        Detail levels to use, 1 the finest; ``None`` uses all.
    normalize_levels : bool, default=False
        Scale level ``l`` by ``2**-l`` so every band is in pixel units (the
        orthonormal coefficients, as in the paper, trained better).
    approximation : bool, default=True
        Also learn from the coarsest approximation band.
    pooling : {"max", "avg"}, default="max"
        Pooling of the ``(hidden, band, level)`` stack.
    pooling_kernel : int or tuple of 3 int, default=%(pooling_kernel)s
        Pooling kernel and stride over ``(hidden, band, level)``: by default
        the maximum of groups of 4 hidden units, every band and level kept.
    ceil_mode : bool, default=True
        Keep partial pooling windows, so nothing is dropped.
    activation : str or None, default="leaky_relu"
        Nonlinearity after each band layer: ``"relu"``, ``"gelu"``, ``"silu"``,
        ``"tanh"``, ``"elu"``, ``"leaky_relu"`` or None.
    dropout : float, default=%(dropout)s
        Dropout rate before the output layer.
    mode : str, default="reflect"
        Signal extension of the Haar transform for odd image sides (the
        paper's ``"symmetric"`` leaves some weights without gradient).
""",
    "class_weight_parameter": """    class_weight : dict, "balanced" or None, default=None
        Weights of the classes in the loss, as in scikit-learn: a dict maps a
        class label to its weight (others weigh 1); ``"balanced"`` weighs
        each class by ``n_samples / (n_classes * count)``, counting samples by
        their ``sample_weight``. A sample's loss is weighted by its class's
        weight times its own.
""",
    "training_attributes": """    net_ : skorch.NeuralNet
        The fitted skorch net; ``net_.module_`` is the torch network and
        ``net_.history`` the training history.
    loss_curve_ : list of float
        The training loss of each epoch, over all fits of a warm start.
    validation_scores_ : list of float or None
        The score on the validation data (accuracy for classifiers, R^2 for
        regressors) after each epoch; None when nothing was held out.
    best_validation_score_ : float or None
        The best of ``validation_scores_`` with ``early_stopping``, else None.
    n_iter_ : int
        Epochs trained, over all fits of a warm start.
    device_ : torch.device
        The device the model was trained on.
    image_shape_ : tuple of int
        ``(C, H, W)`` of one image.
    input_shape_ : tuple of int
        Shape of one sample as passed to :meth:`fit`.
    n_features_in_ : int
        Values per sample.
    feature_names_in_ : ndarray of str
        Column names of a DataFrame passed to :meth:`fit`.
""",
}


def fill_doc(obj):
    """Decorator of a class or a function: substitute :data:`SECTIONS`, with
    the defaults of ``obj``'s parameters substituted into them, into
    ``obj.__doc__``."""
    values = {name: param.default for name, param in inspect.signature(obj).parameters.items()}
    named = {name: text % values for name, text in SECTIONS.items() if f"%({name})s" in obj.__doc__}
    obj.__doc__ = obj.__doc__ % named
    return obj
