"""Loss functions with forward and backward passes, computed the way Keras 3 on TensorFlow does.

Shapes: predictions ``y_pred`` are ``(..., B, K)`` (leading axes are seeds); targets are
``(..., B, K)`` (``(..., B)`` integer labels for the sparse loss); the result of ``forward`` is
one loss per sample, shape ``(..., B)``.

Cross-entropy from logits. When the output layer's activation is sigmoid or softmax, Keras
computes cross-entropy from the pre-activation ``z`` the activation cached (``_keras_logits``):
``sigmoid_cross_entropy_with_logits`` for binary, ``softmax_cross_entropy_with_logits`` for
categorical and sparse. Such a loss has ``from_logits = True``; ``backward`` then returns the
gradient with respect to ``z`` and the activation's own backward pass is skipped. Otherwise
probabilities are clipped to ``[1e-7, 1 - 1e-7]`` first (zero gradient outside the clip).

Reduction ``sum_over_batch_size``: ``loss = sum_b(w_b * l_b) / B`` with per-sample weights
``w`` (class weights) or ``w = 1``; see ``reduce_loss`` and ``reduce_loss_gradient``.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from training.numpy_backend.activations import sigmoid, softmax
from training.spec import LOSSES

__all__ = [
    "EPSILON",
    "BinaryCrossentropy",
    "CategoricalCrossentropy",
    "Loss",
    "MeanAbsoluteError",
    "MeanSquaredError",
    "SparseCategoricalCrossentropy",
    "get_loss",
    "reduce_loss",
    "reduce_loss_gradient",
]

# Keras' backend.epsilon(), used to clip probabilities.
EPSILON = 1e-7

_LOGIT_ACTIVATIONS = ("sigmoid", "softmax")


class Loss(Protocol):
    name: str
    from_logits: bool

    def forward(
        self, y_true: np.ndarray, y_pred: np.ndarray, logits: np.ndarray | None = None
    ) -> np.ndarray: ...

    def backward(
        self, y_true: np.ndarray, y_pred: np.ndarray, logits: np.ndarray | None = None
    ) -> np.ndarray: ...


def _need_logits(logits: np.ndarray | None, name: str) -> np.ndarray:
    if logits is None:
        raise ValueError(f"{name} computed from logits needs the output layer's logits")
    return logits


def _clip_mask(p: np.ndarray) -> np.ndarray:
    """Where ``clip(p, eps, 1 - eps)`` passes the gradient through (TensorFlow's rule)."""
    return (p >= EPSILON) & (p <= 1.0 - EPSILON)


def _one_hot_like(labels: np.ndarray, like: np.ndarray) -> np.ndarray:
    idx = np.broadcast_to(labels, like.shape[:-1])[..., None]
    out = np.zeros_like(like)
    np.put_along_axis(out, idx, 1.0, axis=-1)
    return out


def _pick(values: np.ndarray, labels: np.ndarray) -> np.ndarray:
    idx = np.broadcast_to(labels, values.shape[:-1])[..., None]
    return np.take_along_axis(values, idx, axis=-1)[..., 0]


def _mean_last(values: np.ndarray) -> np.ndarray:
    """Mean over the last axis (a view when it has length 1)."""
    k = values.shape[-1]
    if k == 1:
        return values[..., 0]
    result: np.ndarray = np.add.reduce(values, axis=-1)
    result *= 1.0 / k
    return result


def _logsumexp(z: np.ndarray) -> np.ndarray:
    m = z.max(axis=-1, keepdims=True)
    result: np.ndarray = np.log(np.exp(z - m).sum(axis=-1)) + m[..., 0]
    return result


class BinaryCrossentropy:
    """Per sample: mean over the K outputs of ``-(y log p + (1 - y) log(1 - p))``.

    From logits (``p = sigmoid(z)``): ``max(z, 0) - z y + log(1 + e^{-|z|})``, gradient
    ``(sigmoid(z) - y) / K``. From probabilities: ``p`` clipped, gradient
    ``(-y / p + (1 - y) / (1 - p)) / K`` inside the clip range.
    """

    name = "binary_crossentropy"

    def __init__(self, from_logits: bool = False, output_activation: str | None = None) -> None:
        self.from_logits = from_logits
        # With a sigmoid output, ``y_pred`` already is ``sigmoid(z)``.
        self._pred_is_sigmoid = output_activation == "sigmoid"

    def forward(
        self, y_true: np.ndarray, y_pred: np.ndarray, logits: np.ndarray | None = None
    ) -> np.ndarray:
        if self.from_logits:
            z = _need_logits(logits, self.name)
            per = np.maximum(z, 0.0)
            per -= z * y_true
            per += np.log1p(np.exp(-np.abs(z)))
        else:
            p = np.clip(y_pred, EPSILON, 1.0 - EPSILON)
            per = -(y_true * np.log(p) + (1.0 - y_true) * np.log(1.0 - p))
        return _mean_last(per)

    def backward(
        self, y_true: np.ndarray, y_pred: np.ndarray, logits: np.ndarray | None = None
    ) -> np.ndarray:
        k = y_pred.shape[-1]
        if self.from_logits:
            z = _need_logits(logits, self.name)
            p = y_pred if self._pred_is_sigmoid else sigmoid(z)
            result: np.ndarray = p - y_true
            if k != 1:
                result *= 1.0 / k
            return result
        p = np.clip(y_pred, EPSILON, 1.0 - EPSILON)
        grad: np.ndarray = (-y_true / p + (1.0 - y_true) / (1.0 - p)) / k
        grad *= _clip_mask(y_pred)
        return grad


class CategoricalCrossentropy:
    """Per sample: ``-sum_k y_k log p_k`` over one-hot (or soft) targets.

    From logits: ``sum(y) logsumexp(z) - sum(y z)``, gradient ``sum(y) softmax(z) - y``.
    From probabilities (Keras): ``p`` renormalised to sum 1, then clipped; gradient through both.
    """

    name = "categorical_crossentropy"

    def __init__(self, from_logits: bool = False, output_activation: str | None = None) -> None:
        self.from_logits = from_logits
        # With a softmax output, ``y_pred`` already is ``softmax(z)``.
        self._pred_is_softmax = output_activation == "softmax"

    def forward(
        self, y_true: np.ndarray, y_pred: np.ndarray, logits: np.ndarray | None = None
    ) -> np.ndarray:
        if self.from_logits:
            z = _need_logits(logits, self.name)
            result: np.ndarray = y_true.sum(axis=-1) * _logsumexp(z) - (y_true * z).sum(axis=-1)
            return result
        o = y_pred / y_pred.sum(axis=-1, keepdims=True)
        c = np.clip(o, EPSILON, 1.0 - EPSILON)
        result = -(y_true * np.log(c)).sum(axis=-1)
        return result

    def backward(
        self, y_true: np.ndarray, y_pred: np.ndarray, logits: np.ndarray | None = None
    ) -> np.ndarray:
        if self.from_logits:
            z = _need_logits(logits, self.name)
            p = y_pred if self._pred_is_softmax else softmax(z)
            grad: np.ndarray = y_true.sum(axis=-1, keepdims=True) * p - y_true
            return grad
        total = y_pred.sum(axis=-1, keepdims=True)
        o = y_pred / total
        c = np.clip(o, EPSILON, 1.0 - EPSILON)
        g = -y_true / c * _clip_mask(o)
        grad = (g - (g * o).sum(axis=-1, keepdims=True)) / total
        return grad


class SparseCategoricalCrossentropy:
    """Per sample: ``-log p_label`` with integer labels.

    From logits: ``logsumexp(z) - z_label``, gradient ``softmax(z) - onehot(label)``.
    From probabilities (Keras): ``c = clip(p)``, loss ``log(sum c) - log c_label`` (Keras feeds
    ``log c`` to the sparse softmax cross-entropy), gradient through the clip.
    """

    name = "sparse_categorical_crossentropy"

    def __init__(self, from_logits: bool = False, output_activation: str | None = None) -> None:
        self.from_logits = from_logits
        self._pred_is_softmax = output_activation == "softmax"

    def forward(
        self, y_true: np.ndarray, y_pred: np.ndarray, logits: np.ndarray | None = None
    ) -> np.ndarray:
        labels = y_true.astype(np.intp, copy=False)
        if self.from_logits:
            z = _need_logits(logits, self.name)
            result: np.ndarray = _logsumexp(z) - _pick(z, labels)
            return result
        c = np.clip(y_pred, EPSILON, 1.0 - EPSILON)
        result = np.log(c.sum(axis=-1)) - np.log(_pick(c, labels))
        return result

    def backward(
        self, y_true: np.ndarray, y_pred: np.ndarray, logits: np.ndarray | None = None
    ) -> np.ndarray:
        labels = y_true.astype(np.intp, copy=False)
        if self.from_logits:
            z = _need_logits(logits, self.name)
            p = y_pred if self._pred_is_softmax else softmax(z)
            result: np.ndarray = p - _one_hot_like(labels, z)
            return result
        c = np.clip(y_pred, EPSILON, 1.0 - EPSILON)
        grad: np.ndarray = 1.0 / c.sum(axis=-1, keepdims=True) - _one_hot_like(labels, c) / c
        grad *= _clip_mask(y_pred)
        return grad


class MeanSquaredError:
    """Per sample: ``mean_k (y_k - p_k)^2``; gradient ``2 (p - y) / K``."""

    name = "mse"
    from_logits = False

    def forward(
        self, y_true: np.ndarray, y_pred: np.ndarray, logits: np.ndarray | None = None
    ) -> np.ndarray:
        d = y_pred - y_true
        d *= d
        return _mean_last(d)

    def backward(
        self, y_true: np.ndarray, y_pred: np.ndarray, logits: np.ndarray | None = None
    ) -> np.ndarray:
        grad: np.ndarray = (2.0 / y_pred.shape[-1]) * (y_pred - y_true)
        return grad


class MeanAbsoluteError:
    """Per sample: ``mean_k |y_k - p_k|``; gradient ``sign(p - y) / K`` (0 where equal)."""

    name = "mae"
    from_logits = False

    def forward(
        self, y_true: np.ndarray, y_pred: np.ndarray, logits: np.ndarray | None = None
    ) -> np.ndarray:
        return _mean_last(np.abs(y_pred - y_true))

    def backward(
        self, y_true: np.ndarray, y_pred: np.ndarray, logits: np.ndarray | None = None
    ) -> np.ndarray:
        grad: np.ndarray = np.sign(y_pred - y_true) / y_pred.shape[-1]
        return grad


def get_loss(
    name: str, output_activation: str | None = None
) -> (
    BinaryCrossentropy
    | CategoricalCrossentropy
    | SparseCategoricalCrossentropy
    | MeanSquaredError
    | MeanAbsoluteError
):
    """The loss called ``name``; cross-entropies use logits when ``output_activation`` is
    sigmoid or softmax, as Keras does."""
    logits = output_activation in _LOGIT_ACTIVATIONS
    if name == "binary_crossentropy":
        return BinaryCrossentropy(logits, output_activation)
    if name == "categorical_crossentropy":
        return CategoricalCrossentropy(logits, output_activation)
    if name == "sparse_categorical_crossentropy":
        return SparseCategoricalCrossentropy(logits, output_activation)
    if name == "mse":
        return MeanSquaredError()
    if name == "mae":
        return MeanAbsoluteError()
    raise ValueError(f"unknown loss {name!r}: choose one of {', '.join(LOSSES)}")


def reduce_loss(per_sample: np.ndarray, sample_weight: np.ndarray | None = None) -> np.ndarray:
    """``sum_b(w_b * l_b) / B`` over the last (batch) axis: Keras' ``sum_over_batch_size``."""
    if sample_weight is not None:
        per_sample = per_sample * sample_weight
    result: np.ndarray = np.add.reduce(per_sample, axis=-1)
    result *= 1.0 / per_sample.shape[-1]
    return result


def reduce_loss_gradient(
    per_sample_grad: np.ndarray, sample_weight: np.ndarray | None = None
) -> np.ndarray:
    """Chain ``reduce_loss`` onto ``d(l_b)/d(.)`` of shape ``(..., B, K)``: ``w_b / B`` per row.

    Scales ``per_sample_grad`` in place and returns it.
    """
    batch = per_sample_grad.shape[-2]
    if sample_weight is None:
        per_sample_grad *= 1.0 / batch
        return per_sample_grad
    per_sample_grad *= (sample_weight / batch)[..., None]
    return per_sample_grad
