"""Activation functions, each with its forward pass and its backward pass side by side.

Every activation is a small object with two methods:

* ``forward(x) -> out``: the activation applied elementwise (softmax: along the last axis).
* ``backward(x, out, grad) -> grad_x``: given the pre-activation ``x``, the forward output
  ``out`` and the upstream gradient ``grad = dL/d(out)``, return ``dL/dx``.

``PReLU`` also owns a learned slope ``alpha`` (one per unit, shape broadcastable to ``x``) and
has ``alpha_gradient(x, grad)`` returning ``dL/d(alpha)`` elementwise (the layer sums it over
the batch axis).

Definitions follow Keras on TensorFlow, including the derivative at the kinks (ReLU's and
leaky ReLU's slope at exactly 0 is the negative-side slope). One deliberate difference: the
course handout defines leaky ReLU as ``max(0.01x, x)``, so ``leaky_relu`` defaults to
``alpha=0.01`` while Keras' string default is 0.2.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from training.spec import ACTIVATIONS, DEFAULT_ALPHA

__all__ = [
    "ELU",
    "ActivationFunction",
    "LeakyReLU",
    "Linear",
    "PReLU",
    "ReLU",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "apply_activation",
    "get_activation",
    "sigmoid",
    "softmax",
]


def sigmoid(x: np.ndarray) -> np.ndarray:
    """``1 / (1 + exp(-x))``; ``exp`` is capped at ``e^709`` so it never overflows."""
    t = np.negative(x)
    np.minimum(t, 709.0, out=t)
    np.exp(t, out=t)
    t += 1.0
    result: np.ndarray = np.reciprocal(t, out=t)
    return result


def softmax(x: np.ndarray) -> np.ndarray:
    """``exp(x_i) / sum_j exp(x_j)`` along the last axis, shifted by the max for stability."""
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    e /= e.sum(axis=-1, keepdims=True)
    result: np.ndarray = e
    return result


class ActivationFunction(Protocol):
    name: str

    def forward(self, x: np.ndarray) -> np.ndarray: ...

    def backward(self, x: np.ndarray, out: np.ndarray, grad: np.ndarray) -> np.ndarray: ...


class Linear:
    """``f(x) = x``; ``f'(x) = 1``."""

    name = "linear"

    def forward(self, x: np.ndarray) -> np.ndarray:
        return x

    def backward(self, x: np.ndarray, out: np.ndarray, grad: np.ndarray) -> np.ndarray:
        return grad


class Sigmoid:
    """``f(x) = 1 / (1 + e^-x)``; ``f'(x) = f(x) (1 - f(x))``."""

    name = "sigmoid"

    def forward(self, x: np.ndarray) -> np.ndarray:
        return sigmoid(x)

    def backward(self, x: np.ndarray, out: np.ndarray, grad: np.ndarray) -> np.ndarray:
        result: np.ndarray = grad * out * (1.0 - out)
        return result


class Tanh:
    """``f(x) = tanh(x)``; ``f'(x) = 1 - f(x)^2``."""

    name = "tanh"

    def forward(self, x: np.ndarray) -> np.ndarray:
        result: np.ndarray = np.tanh(x)
        return result

    def backward(self, x: np.ndarray, out: np.ndarray, grad: np.ndarray) -> np.ndarray:
        result: np.ndarray = grad * (1.0 - out * out)
        return result


class ReLU:
    """``f(x) = max(0, x)``; ``f'(x) = 1 if x > 0 else 0``."""

    name = "relu"

    def forward(self, x: np.ndarray) -> np.ndarray:
        result: np.ndarray = np.maximum(x, 0.0)
        return result

    def backward(self, x: np.ndarray, out: np.ndarray, grad: np.ndarray) -> np.ndarray:
        return grad * (x > 0)


class LeakyReLU:
    """``f(x) = x if x > 0 else alpha x`` (the handout's ``max(0.01x, x)`` for alpha 0.01).

    ``f'(x) = 1 if x > 0 else alpha``.
    """

    name = "leaky_relu"

    def __init__(self, alpha: float = DEFAULT_ALPHA["leaky_relu"]) -> None:
        self.alpha = float(alpha)

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.where(x > 0, x, self.alpha * x)

    def backward(self, x: np.ndarray, out: np.ndarray, grad: np.ndarray) -> np.ndarray:
        return np.where(x > 0, grad, self.alpha * grad)


class ELU:
    """``f(x) = x if x > 0 else alpha (e^x - 1)``; ``f'(x) = 1 if x > 0 else alpha e^x``."""

    name = "elu"

    def __init__(self, alpha: float = DEFAULT_ALPHA["elu"]) -> None:
        self.alpha = float(alpha)

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.where(x > 0, x, self.alpha * np.expm1(np.minimum(x, 0.0)))

    def backward(self, x: np.ndarray, out: np.ndarray, grad: np.ndarray) -> np.ndarray:
        return np.where(x > 0, grad, grad * self.alpha * np.exp(np.minimum(x, 0.0)))


class PReLU:
    """Keras' ``PReLU`` layer: ``f(x) = relu(x) - alpha * relu(-x)`` with a learned ``alpha``.

    ``df/dx = 1 if x > 0, alpha if x < 0, 0 at x = 0`` (TensorFlow's ReLU gradient at 0);
    ``df/d(alpha) = -relu(-x) = min(x, 0)``. ``alpha`` starts at 0.0 as in Keras.
    """

    name = "prelu"

    def __init__(self, alpha: np.ndarray | float = DEFAULT_ALPHA["prelu"]) -> None:
        self.alpha: np.ndarray = np.asarray(alpha, dtype=np.float64)

    def forward(self, x: np.ndarray) -> np.ndarray:
        result: np.ndarray = np.maximum(x, 0.0) + self.alpha * np.minimum(x, 0.0)
        return result

    def backward(self, x: np.ndarray, out: np.ndarray, grad: np.ndarray) -> np.ndarray:
        result: np.ndarray = grad * ((x > 0) + self.alpha * (x < 0))
        return result

    def alpha_gradient(self, x: np.ndarray, grad: np.ndarray) -> np.ndarray:
        """Elementwise ``dL/d(alpha) = grad * min(x, 0)`` (sum over the batch axis yourself)."""
        result: np.ndarray = grad * np.minimum(x, 0.0)
        return result


class Softmax:
    """``f(x)_i = e^{x_i} / sum_j e^{x_j}`` along the last axis.

    Jacobian-vector product: ``dx_i = out_i (grad_i - sum_j grad_j out_j)``.
    """

    name = "softmax"

    def forward(self, x: np.ndarray) -> np.ndarray:
        return softmax(x)

    def backward(self, x: np.ndarray, out: np.ndarray, grad: np.ndarray) -> np.ndarray:
        result: np.ndarray = out * (grad - (grad * out).sum(axis=-1, keepdims=True))
        return result


def get_activation(
    name: str, alpha: float | None = None
) -> Linear | Sigmoid | Tanh | ReLU | LeakyReLU | ELU | PReLU | Softmax:
    """The activation called ``name``; ``alpha`` sets leaky_relu's slope, elu's alpha, or
    prelu's initial slope (``None`` means the default: 0.01, 1.0 and 0.0 respectively)."""
    if alpha is not None:
        if name not in DEFAULT_ALPHA:
            raise ValueError(f"activation {name!r} takes no alpha (got alpha={alpha!r})")
        if not np.isfinite(alpha):
            raise ValueError(f"activation {name!r}: alpha must be a finite number, got {alpha!r}")
    a = DEFAULT_ALPHA.get(name, 0.0) if alpha is None else float(alpha)
    if name == "linear":
        return Linear()
    if name == "sigmoid":
        return Sigmoid()
    if name == "tanh":
        return Tanh()
    if name == "relu":
        return ReLU()
    if name == "leaky_relu":
        return LeakyReLU(a)
    if name == "elu":
        return ELU(a)
    if name == "prelu":
        return PReLU(a)
    if name == "softmax":
        return Softmax()
    raise ValueError(f"unknown activation {name!r}: choose one of {', '.join(ACTIVATIONS)}")


def apply_activation(name: str, x: np.ndarray, alpha: float | None = None) -> np.ndarray:
    """``name`` applied to ``x`` (any shape; softmax along the last axis), in float64.

    For example ``apply_activation("softmax", np.array([1.0, 2.0, 3.0]))`` or a neuron's
    output ``apply_activation("relu", w @ x + b)``. For prelu, ``alpha`` is the slope.
    """
    arr = np.asarray(x, dtype=np.float64)
    return get_activation(name, alpha).forward(arr)
