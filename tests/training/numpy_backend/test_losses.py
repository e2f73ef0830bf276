from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from tests.training.numpy_backend.gradcheck import numerical_gradient, relative_error
from training.numpy_backend.activations import get_activation
from training.numpy_backend.losses import (
    EPSILON,
    get_loss,
    reduce_loss,
    reduce_loss_gradient,
)

RNG = np.random.default_rng(7)
B, K = 6, 3
Z3 = RNG.normal(size=(2, B, K))  # two stacked seeds
Z1 = RNG.normal(size=(2, B, 1))
WEIGHTS = np.array([0.5, 2.0, 1.0, 3.0, 0.25, 1.5])


def _targets(loss: str, k: int) -> np.ndarray:
    rng = np.random.default_rng(3)
    if loss == "sparse_categorical_crossentropy":
        return rng.integers(0, k, size=B)
    if loss == "categorical_crossentropy":
        return np.eye(k)[rng.integers(0, k, size=B)]
    if loss == "binary_crossentropy":
        return rng.integers(0, 2, size=(B, k)).astype(float)
    return rng.normal(size=(B, k))


CASES = [
    ("binary_crossentropy", "sigmoid", 1),  # from logits
    ("binary_crossentropy", "sigmoid", 3),
    ("binary_crossentropy", "linear", 1),  # clipped probabilities
    ("categorical_crossentropy", "softmax", 3),  # from logits
    ("categorical_crossentropy", "relu", 3),  # renormalised, clipped probabilities
    ("sparse_categorical_crossentropy", "softmax", 3),
    ("sparse_categorical_crossentropy", "relu", 3),
    ("mse", "linear", 3),
    ("mse", "tanh", 1),
    ("mae", "linear", 3),
]


def _total_loss(
    name: str, activation: str, z: np.ndarray, y: np.ndarray, w: np.ndarray | None
) -> tuple[Callable[[], float], Callable[[], np.ndarray]]:
    act = get_activation(activation)
    loss = get_loss(name, activation)

    def value() -> float:
        out = act.forward(z)
        return float(reduce_loss(loss.forward(y, out, z), w).sum())

    def gradient() -> np.ndarray:
        out = act.forward(z)
        g = reduce_loss_gradient(loss.backward(y, out, z), w)
        return g if loss.from_logits else act.backward(z, out, g)

    return value, gradient


def _inputs(activation: str, k: int) -> np.ndarray:
    z = (Z1 if k == 1 else Z3).copy()
    if activation == "linear" and k == 1:
        # Probabilities for binary cross-entropy from a linear output: inside (0, 1).
        z = 0.1 + 0.8 * (z - z.min()) / (z.max() - z.min())
    if activation == "relu":
        z = np.abs(z) + 0.1  # positive, away from the kink
    return z


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "class_weighted"])
@pytest.mark.parametrize(("name", "activation", "k"), CASES)
def test_loss_gradient_matches_central_differences(
    name: str, activation: str, k: int, weighted: bool
) -> None:
    z = _inputs(activation, k)
    y = _targets(name, k)
    value, gradient = _total_loss(name, activation, z, y, WEIGHTS if weighted else None)
    numeric = numerical_gradient(value, z)
    assert relative_error(gradient(), numeric) < 1e-5


def test_crossentropy_uses_logits_only_after_sigmoid_or_softmax() -> None:
    assert get_loss("binary_crossentropy", "sigmoid").from_logits
    assert get_loss("categorical_crossentropy", "softmax").from_logits
    assert get_loss("sparse_categorical_crossentropy", "softmax").from_logits
    assert not get_loss("binary_crossentropy", "linear").from_logits
    assert not get_loss("mse", "sigmoid").from_logits


def test_binary_crossentropy_from_logits_does_not_saturate_like_clipped_probabilities() -> None:
    z = np.array([[[-40.0]]])
    y = np.array([[1.0]])
    p = get_activation("sigmoid").forward(z)
    from_logits = get_loss("binary_crossentropy", "sigmoid").forward(y, p, z)
    clipped = get_loss("binary_crossentropy", "linear").forward(y, p)
    assert from_logits[0, 0] == pytest.approx(40.0)
    assert clipped[0, 0] == pytest.approx(-np.log(EPSILON))


def test_values_agree_with_textbook_formulas() -> None:
    z = np.array([[[0.2, -1.0, 0.5]]])
    y = np.array([[0.0, 0.0, 1.0]])
    p = np.exp(z) / np.exp(z).sum()
    cce = get_loss("categorical_crossentropy", "softmax").forward(y, p, z)
    assert cce[0, 0] == pytest.approx(-np.log(p[0, 0, 2]))
    sparse = get_loss("sparse_categorical_crossentropy", "softmax").forward(np.array([2]), p, z)
    assert sparse[0, 0] == pytest.approx(cce[0, 0])
    pred = np.array([[[1.0, 2.0, 4.0]]])
    target = np.array([[1.5, 2.0, 2.0]])
    assert get_loss("mse").forward(target, pred)[0, 0] == pytest.approx((0.25 + 4.0) / 3)
    assert get_loss("mae").forward(target, pred)[0, 0] == pytest.approx((0.5 + 2.0) / 3)


def test_reduction_is_sum_over_batch_size_with_sample_weights() -> None:
    per_sample = np.array([[1.0, 2.0, 3.0, 4.0]])
    w = np.array([1.0, 0.0, 2.0, 0.5])
    assert reduce_loss(per_sample)[0] == pytest.approx(2.5)
    # Divided by the batch size (4), not by the sum of the weights.
    assert reduce_loss(per_sample, w)[0] == pytest.approx((1 + 0 + 6 + 2) / 4)


def test_unknown_loss_is_named() -> None:
    with pytest.raises(ValueError, match="hinge"):
        get_loss("hinge")
