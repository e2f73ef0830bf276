"""Checking and preparing training data the way Keras' ``model.fit`` sees it.

Pure NumPy, so any backend may use it: the validation split (Keras takes the *last*
``validation_split`` fraction of the rows, before any shuffling), target shapes for each
loss, and class weights turned into per-sample weights.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from training.errors import DataError
from training.fitting import FitData
from training.spec import ClassWeight, ModelSpec

__all__ = [
    "PreparedData",
    "balanced_class_weight",
    "class_labels",
    "prepare_data",
    "prepare_inputs",
    "prepare_targets",
    "sample_weights",
    "validation_split",
]


@dataclass(frozen=True)
class PreparedData:
    """float64 inputs ``(n, d)``; targets ``(n, K)`` float (``(n,)`` int for the sparse loss);
    per-sample training weights from ``class_weight`` (None without class weights)."""

    x_train: np.ndarray
    y_train: np.ndarray
    sample_weight: np.ndarray | None
    x_val: np.ndarray | None
    y_val: np.ndarray | None


def prepare_inputs(x: object, input_dim: int, name: str) -> np.ndarray:
    """``x`` as float64 ``(n, input_dim)``, or a ``DataError`` naming ``name``."""
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise DataError(f"{name}: expected an array of numbers") from None
    if arr.ndim != 2 or arr.shape[1] != input_dim:
        raise DataError(
            f"{name}: expected shape (n_samples, {input_dim}) to match input_dim={input_dim}, "
            f"got {arr.shape}"
        )
    if arr.shape[0] == 0:
        raise DataError(f"{name}: no rows")
    if not np.all(np.isfinite(arr)):
        raise DataError(f"{name}: contains NaN or infinity")
    return arr


def prepare_targets(y: object, loss: str, output_units: int, n: int, name: str) -> np.ndarray:
    """Targets as the loss needs them, or a ``DataError`` naming ``name`` and the problem.

    Sparse categorical cross-entropy: integer labels ``(n,)`` in ``[0, units)`` (``(n, 1)`` is
    accepted). Otherwise float ``(n, units)``; ``(n,)`` is accepted for a one-unit output.
    Cross-entropy targets must lie in ``[0, 1]``.
    """
    try:
        arr = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError):
        raise DataError(f"{name}: expected an array of numbers") from None
    if arr.ndim == 0:
        raise DataError(f"{name}: expected one target per row, got a single number")
    if arr.shape[0] != n:
        raise DataError(f"{name}: has {arr.shape[0]} rows but the inputs have {n}")
    if not np.all(np.isfinite(arr)):
        raise DataError(f"{name}: contains NaN or infinity")
    if loss == "sparse_categorical_crossentropy":
        if arr.ndim == 2 and arr.shape[1] == 1:
            arr = arr[:, 0]
        if arr.ndim != 1:
            raise DataError(
                f"{name}: sparse_categorical_crossentropy needs integer class labels of shape "
                f"(n_samples,), got {arr.shape}; use categorical_crossentropy for one-hot targets"
            )
        if np.any(arr != np.rint(arr)) or np.any(arr < 0) or np.any(arr >= output_units):
            raise DataError(
                f"{name}: class labels must be integers in [0, {output_units - 1}] for an output "
                f"layer of {output_units} units"
            )
        return arr.astype(np.intp)
    if arr.ndim == 1 and output_units == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[1] != output_units:
        raise DataError(
            f"{name}: expected shape (n_samples, {output_units}) to match the output layer's "
            f"{output_units} units, got {arr.shape}"
        )
    if loss in ("binary_crossentropy", "categorical_crossentropy") and (
        np.any(arr < 0) or np.any(arr > 1)
    ):
        raise DataError(f"{name}: {loss} targets must lie in [0, 1]")
    return arr


def validation_split(
    x: np.ndarray, y: np.ndarray, fraction: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Keras' split: the first ``floor(n (1 - fraction))`` rows train, the rest validate."""
    n = x.shape[0]
    split_at = math.floor(n * (1.0 - fraction))
    if split_at == 0 or split_at == n:
        raise DataError(
            f"validation_split={fraction} leaves {split_at} of {n} rows for training; "
            "both parts need at least one row"
        )
    return x[:split_at], y[:split_at], x[split_at:], y[split_at:]


def class_labels(y: np.ndarray) -> np.ndarray:
    """Class index per row as Keras derives it for ``class_weight``: argmax of a multi-column
    target, else the rounded value."""
    arr = np.asarray(y)
    if arr.ndim > 1:
        arr = arr.argmax(axis=-1) if arr.shape[-1] != 1 else arr[..., 0]
    result: np.ndarray = np.rint(arr).astype(np.intp)
    return result


def balanced_class_weight(labels: np.ndarray) -> dict[int, float]:
    """scikit-learn's ``"balanced"`` rule: ``n_samples / (n_classes * count(class))`` for
    every class present in ``labels``."""
    classes, counts = np.unique(labels, return_counts=True)
    n = labels.shape[0]
    return {int(c): n / (len(classes) * int(k)) for c, k in zip(classes, counts, strict=True)}


def sample_weights(y: np.ndarray, class_weight: ClassWeight) -> np.ndarray | None:
    """Per-row weights from ``class_weight`` (``"balanced"`` or ``{class: weight}``); classes
    missing from the dict weigh 1, as in Keras. None when there are no class weights."""
    if class_weight is None:
        return None
    labels = class_labels(y)
    if class_weight == "balanced":
        mapping = balanced_class_weight(labels)
    elif isinstance(class_weight, dict):
        mapping = {}
        for key, value in class_weight.items():
            w = float(value)
            if not math.isfinite(w) or w < 0:
                raise DataError(f"class_weight[{key}]: must be a finite number >= 0, got {value!r}")
            mapping[int(key)] = w
    else:
        raise DataError(f"class_weight: expected 'balanced' or a dict, got {class_weight!r}")
    lookup = np.ones(int(labels.max(initial=0)) + 1)
    for c, w in mapping.items():
        if 0 <= c < lookup.shape[0]:
            lookup[c] = w
    result: np.ndarray = lookup[labels]
    return result


def prepare_data(spec: ModelSpec, data: FitData, output_units: int) -> PreparedData:
    """Check ``data`` against ``spec`` and apply the validation split and class weights."""
    if len(spec.input_shape) != 1:
        raise DataError(f"input_shape {spec.input_shape}: expected one feature axis")
    dim = spec.input_shape[0]
    x = prepare_inputs(data.x_train, dim, "x_train")
    y = prepare_targets(data.y_train, spec.loss, output_units, x.shape[0], "y_train")
    x_val: np.ndarray | None = None
    y_val: np.ndarray | None = None
    if (data.x_val is None) != (data.y_val is None):
        raise DataError("x_val and y_val: give both or neither")
    if data.x_val is not None:
        x_val = prepare_inputs(data.x_val, dim, "x_val")
        y_val = prepare_targets(data.y_val, spec.loss, output_units, x_val.shape[0], "y_val")
    elif spec.validation_split > 0:
        x, y, x_val, y_val = validation_split(x, y, spec.validation_split)
    return PreparedData(
        x_train=x,
        y_train=y,
        sample_weight=sample_weights(y, spec.class_weight),
        x_val=x_val,
        y_val=y_val,
    )
