"""Optimizers with exactly the update rules of Keras 3 (``keras/src/optimizers/*.py``).

Each optimizer is a class with ``build(params)`` (creates its state, one slot per parameter
array), ``update_step(grad, param, lr)`` (updates ``param`` and its state in place) and
``get_config()``. ``apply(grads, params)`` runs one step over all parameters and then
increments ``iterations``, as Keras' ``apply_gradients`` does. Updates are elementwise, so a
parameter array may hold many seeds' parameters stacked along its first axis (or all of a
model's parameters flattened into one array) and every seed still gets Keras' update.

Notation: ``g`` gradient, ``w`` parameter, ``lr`` learning rate, ``t`` the 1-based step.

The plain functions ``sgd_step``, ``momentum_step`` and ``adam_step`` run one step of the
classes on given values, for quiz questions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from training.spec import OPTIMIZERS
from training.spec import Optimizer as OptimizerSpec

__all__ = [
    "SGD",
    "Adadelta",
    "Adagrad",
    "Adam",
    "BaseOptimizer",
    "RMSprop",
    "adam_step",
    "get_optimizer",
    "momentum_step",
    "sgd_step",
]


def _check_number(name: str, value: float, *, low: float | None = None) -> float:
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    if low is not None and v < low:
        raise ValueError(f"{name} must be >= {low}, got {value!r}")
    return v


class BaseOptimizer:
    """State handling shared by all optimizers: one list of state arrays per slot name."""

    name = "optimizer"
    _slots: tuple[str, ...] = ()

    def __init__(self, learning_rate: float) -> None:
        self.learning_rate = _check_number("learning_rate", learning_rate, low=0.0)
        self.iterations = 0
        self.state: dict[str, list[np.ndarray]] = {}
        self._index: dict[int, int] = {}

    def _initial_slot_value(self, slot: str) -> float:
        return 0.0

    def build(self, params: Sequence[np.ndarray]) -> None:
        """Create the state arrays (same shape as each parameter) and reset ``iterations``."""
        self.iterations = 0
        self._index = {id(p): i for i, p in enumerate(params)}
        self.state = {
            slot: [
                np.full_like(p, self._initial_slot_value(slot), dtype=np.float64) for p in params
            ]
            for slot in self._slots
        }

    def _slot(self, slot: str, param: np.ndarray) -> np.ndarray:
        try:
            return self.state[slot][self._index[id(param)]]
        except KeyError:
            raise ValueError(
                f"{self.name}: parameter of shape {param.shape} was not passed to build()"
            ) from None

    def update_step(self, grad: np.ndarray, param: np.ndarray, lr: float) -> None:
        raise NotImplementedError

    def apply(self, grads: Sequence[np.ndarray], params: Sequence[np.ndarray]) -> None:
        """One step on every parameter with ``self.learning_rate``, then ``iterations += 1``."""
        for g, p in zip(grads, params, strict=True):
            self.update_step(g, p, self.learning_rate)
        self.iterations += 1

    def select_seeds(self, keep: np.ndarray, params: Sequence[np.ndarray]) -> None:
        """Keep only rows ``keep`` (first axis) of every state array; ``params`` are the
        parameter arrays that replace the ones given to ``build`` (same order)."""
        for slot, arrays in self.state.items():
            self.state[slot] = [a[keep] for a in arrays]
        self._index = {id(p): i for i, p in enumerate(params)}

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "learning_rate": self.learning_rate}


class SGD(BaseOptimizer):
    """Stochastic gradient descent, optionally with (Nesterov) momentum ``mu``.

    * ``mu = 0``: ``w <- w - lr g``
    * momentum: ``m <- mu m - lr g``; ``w <- w + m``
    * Nesterov: ``m <- mu m - lr g``; ``w <- w + mu m - lr g``

    ``m`` starts at 0. Keras defaults: ``lr = 0.01``, ``mu = 0``, ``nesterov = False``.
    """

    name = "sgd"

    def __init__(
        self, learning_rate: float = 0.01, momentum: float = 0.0, nesterov: bool = False
    ) -> None:
        super().__init__(learning_rate)
        self.momentum = _check_number("momentum", momentum, low=0.0)
        if self.momentum > 1.0:
            raise ValueError(f"momentum must be in [0, 1], got {momentum!r}")
        self.nesterov = bool(nesterov)
        self._slots = ("momentum",) if self.momentum != 0 else ()

    def update_step(self, grad: np.ndarray, param: np.ndarray, lr: float) -> None:
        if self.momentum == 0:
            param -= lr * grad
            return
        m = self._slot("momentum", param)
        m *= self.momentum
        m -= lr * grad
        if self.nesterov:
            param += self.momentum * m - lr * grad
        else:
            param += m

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


class Adagrad(BaseOptimizer):
    """Adagrad: ``acc <- acc + g^2``; ``w <- w - lr g / sqrt(acc + eps)``.

    ``acc`` starts at ``initial_accumulator_value`` (Keras: 0.1); epsilon inside the square
    root (Keras: 1e-7). Keras default ``lr = 0.001``.
    """

    name = "adagrad"
    _slots = ("accumulator",)

    def __init__(
        self,
        learning_rate: float = 0.001,
        initial_accumulator_value: float = 0.1,
        epsilon: float = 1e-7,
    ) -> None:
        super().__init__(learning_rate)
        self.initial_accumulator_value = _check_number(
            "initial_accumulator_value", initial_accumulator_value, low=0.0
        )
        self.epsilon = _check_number("epsilon", epsilon, low=0.0)

    def _initial_slot_value(self, slot: str) -> float:
        return self.initial_accumulator_value

    def update_step(self, grad: np.ndarray, param: np.ndarray, lr: float) -> None:
        acc = self._slot("accumulator", param)
        acc += grad * grad
        param -= lr * grad / np.sqrt(acc + self.epsilon)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "initial_accumulator_value": self.initial_accumulator_value,
            "epsilon": self.epsilon,
        }


class RMSprop(BaseOptimizer):
    """RMSprop (not centered): ``v <- rho v + (1 - rho) g^2``; ``inc = lr g / sqrt(v + eps)``.

    * momentum 0: ``w <- w - inc``
    * momentum ``mu > 0``: ``m <- mu m + inc``; ``w <- w - m``

    ``v`` and ``m`` start at 0; epsilon inside the square root. Keras defaults: ``lr = 0.001``,
    ``rho = 0.9``, ``mu = 0``, ``eps = 1e-7``.
    """

    name = "rmsprop"

    def __init__(
        self,
        learning_rate: float = 0.001,
        rho: float = 0.9,
        momentum: float = 0.0,
        epsilon: float = 1e-7,
    ) -> None:
        super().__init__(learning_rate)
        self.rho = _check_number("rho", rho, low=0.0)
        self.momentum = _check_number("momentum", momentum, low=0.0)
        self.epsilon = _check_number("epsilon", epsilon, low=0.0)
        self._slots = ("velocity", "momentum") if self.momentum > 0 else ("velocity",)

    def update_step(self, grad: np.ndarray, param: np.ndarray, lr: float) -> None:
        v = self._slot("velocity", param)
        v *= self.rho
        v += (1.0 - self.rho) * (grad * grad)
        increment = lr * grad / np.sqrt(v + self.epsilon)
        if self.momentum > 0:
            m = self._slot("momentum", param)
            m *= self.momentum
            m += increment
            param -= m
        else:
            param -= increment

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "rho": self.rho,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
        }


class Adam(BaseOptimizer):
    """Adam with Keras' bias correction folded into the step size:

    ``m <- m + (g - m)(1 - b1)``; ``v <- v + (g^2 - v)(1 - b2)``;
    ``alpha = lr sqrt(1 - b2^t) / (1 - b1^t)``; ``w <- w - alpha m / (sqrt(v) + eps)``.

    ``m`` and ``v`` start at 0; epsilon outside the square root. Keras defaults:
    ``lr = 0.001``, ``b1 = 0.9``, ``b2 = 0.999``, ``eps = 1e-7``.
    """

    name = "adam"
    _slots = ("momentum", "velocity")

    def __init__(
        self,
        learning_rate: float = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
    ) -> None:
        super().__init__(learning_rate)
        self.beta_1 = _check_number("beta_1", beta_1, low=0.0)
        self.beta_2 = _check_number("beta_2", beta_2, low=0.0)
        if self.beta_1 >= 1.0 or self.beta_2 >= 1.0:
            raise ValueError(f"beta_1 and beta_2 must be < 1, got {beta_1!r} and {beta_2!r}")
        self.epsilon = _check_number("epsilon", epsilon, low=0.0)

    def update_step(self, grad: np.ndarray, param: np.ndarray, lr: float) -> None:
        t = self.iterations + 1
        alpha = lr * math.sqrt(1.0 - self.beta_2**t) / (1.0 - self.beta_1**t)
        m = self._slot("momentum", param)
        v = self._slot("velocity", param)
        tmp = np.subtract(grad, m)
        tmp *= 1.0 - self.beta_1
        m += tmp
        np.multiply(grad, grad, out=tmp)
        tmp -= v
        tmp *= 1.0 - self.beta_2
        v += tmp
        np.sqrt(v, out=tmp)
        tmp += self.epsilon
        np.divide(m * alpha, tmp, out=tmp)
        param -= tmp

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
        }


class Adadelta(BaseOptimizer):
    """Adadelta: ``a <- rho a + (1 - rho) g^2``;
    ``delta = -sqrt(d + eps) / sqrt(a + eps) * g``; ``d <- rho d + (1 - rho) delta^2``;
    ``w <- w + lr delta``.

    ``a`` and ``d`` start at 0. Keras defaults: ``lr = 0.001``, ``rho = 0.95``, ``eps = 1e-7``.
    """

    name = "adadelta"
    _slots = ("accumulated_grad", "accumulated_delta")

    def __init__(self, learning_rate: float = 0.001, rho: float = 0.95, epsilon: float = 1e-7):
        super().__init__(learning_rate)
        self.rho = _check_number("rho", rho, low=0.0)
        self.epsilon = _check_number("epsilon", epsilon, low=0.0)

    def update_step(self, grad: np.ndarray, param: np.ndarray, lr: float) -> None:
        a = self._slot("accumulated_grad", param)
        d = self._slot("accumulated_delta", param)
        a *= self.rho
        a += (1.0 - self.rho) * (grad * grad)
        delta = -(np.sqrt(d + self.epsilon) * grad) / np.sqrt(a + self.epsilon)
        d *= self.rho
        d += (1.0 - self.rho) * (delta * delta)
        param += lr * delta

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}


def get_optimizer(spec: OptimizerSpec) -> BaseOptimizer:
    """Build the optimizer a spec names; unset hyperparameters take Keras' defaults."""
    kw: dict[str, Any] = {}
    if spec.learning_rate is not None:
        kw["learning_rate"] = spec.learning_rate
    name = spec.name
    if name == "sgd":
        if spec.momentum is not None:
            kw["momentum"] = spec.momentum
        if spec.nesterov is not None:
            kw["nesterov"] = spec.nesterov
        return SGD(**kw)
    if name == "adagrad":
        if spec.initial_accumulator_value is not None:
            kw["initial_accumulator_value"] = spec.initial_accumulator_value
        if spec.epsilon is not None:
            kw["epsilon"] = spec.epsilon
        return Adagrad(**kw)
    if name == "rmsprop":
        for key in ("rho", "momentum", "epsilon"):
            if getattr(spec, key) is not None:
                kw[key] = getattr(spec, key)
        return RMSprop(**kw)
    if name == "adam":
        for key in ("beta_1", "beta_2", "epsilon"):
            if getattr(spec, key) is not None:
                kw[key] = getattr(spec, key)
        return Adam(**kw)
    if name == "adadelta":
        for key in ("rho", "epsilon"):
            if getattr(spec, key) is not None:
                kw[key] = getattr(spec, key)
        return Adadelta(**kw)
    raise ValueError(f"unknown optimizer {name!r}: choose one of {', '.join(OPTIMIZERS)}")


def _as_array(value: np.ndarray | float) -> np.ndarray:
    return np.array(value, dtype=np.float64, ndmin=1)


def _out(arr: np.ndarray, like: np.ndarray | float) -> np.ndarray | float:
    return float(arr[0]) if np.ndim(like) == 0 else arr.reshape(np.shape(like))


def sgd_step(w: np.ndarray | float, g: np.ndarray | float, lr: float) -> np.ndarray | float:
    """One plain gradient-descent step ``w - lr g`` (Keras ``SGD``); floats in, float out."""
    wa = _as_array(w)
    opt = SGD(learning_rate=lr)
    opt.build([wa])
    opt.apply([_as_array(g)], [wa])
    return _out(wa, w)


def momentum_step(
    w: np.ndarray | float,
    g: np.ndarray | float,
    m: np.ndarray | float,
    lr: float,
    momentum: float,
) -> tuple[np.ndarray | float, np.ndarray | float]:
    """One SGD-with-momentum step from velocity ``m``: ``m' = mu m - lr g``, ``w' = w + m'``.

    Returns ``(w', m')``.
    """
    wa = _as_array(w)
    opt = SGD(learning_rate=lr, momentum=momentum)
    opt.build([wa])
    if momentum != 0:
        opt.state["momentum"][0][...] = _as_array(m)
    opt.apply([_as_array(g)], [wa])
    m_new = opt.state["momentum"][0] if momentum != 0 else -lr * _as_array(g)
    return _out(wa, w), _out(m_new, w)


def adam_step(
    w: np.ndarray | float,
    g: np.ndarray | float,
    m: np.ndarray | float,
    v: np.ndarray | float,
    t: int,
    lr: float = 0.001,
    beta_1: float = 0.9,
    beta_2: float = 0.999,
    epsilon: float = 1e-7,
) -> tuple[np.ndarray | float, np.ndarray | float, np.ndarray | float]:
    """Adam's step number ``t`` (1 for the first step) from moments ``m``, ``v``.

    Returns ``(w', m', v')`` computed by ``Adam`` exactly as Keras does.
    """
    if int(t) != t or t < 1:
        raise ValueError(f"t is the 1-based step number, got {t!r}")
    wa = _as_array(w)
    opt = Adam(learning_rate=lr, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon)
    opt.build([wa])
    opt.state["momentum"][0][...] = _as_array(m)
    opt.state["velocity"][0][...] = _as_array(v)
    opt.iterations = int(t) - 1
    opt.apply([_as_array(g)], [wa])
    return _out(wa, w), _out(opt.state["momentum"][0], w), _out(opt.state["velocity"][0], w)
