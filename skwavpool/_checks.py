"""Checks of the torch modules' constructor arguments, shared by nn.py and baselines.py.

The estimators' layer (:mod:`skwavpool._images`) reads ``image_shape`` with
the same check.
"""

from __future__ import annotations

from numbers import Integral


def is_positive_int(value):
    """Whether ``value`` is an int (not a bool) of at least 1."""
    return isinstance(value, Integral) and not isinstance(value, bool) and value >= 1


def check_positive_int(value, name):
    """``value`` as a positive int; a ValueError names the parameter ``name``."""
    if not is_positive_int(value):
        raise ValueError(f"{name} must be a positive int, got {value!r}.")
    return int(value)


def check_image_shape_param(image_shape):
    """``image_shape`` as ``(C, H, W)`` of ints; a ValueError names what is wrong."""
    well_formed = not isinstance(image_shape, str) and hasattr(image_shape, "__len__")
    if not (well_formed and len(image_shape) in (2, 3) and all(is_positive_int(s) for s in image_shape)):
        raise ValueError(f"image_shape must be (C, H, W) or (H, W) of positive ints, got {image_shape!r}.")
    shape = tuple(int(s) for s in image_shape)
    return shape if len(shape) == 3 else (1, *shape)


def check_n_classes(n_classes):
    """``n_classes`` as a positive int; a ValueError names what is wrong."""
    return check_positive_int(n_classes, "n_classes")
