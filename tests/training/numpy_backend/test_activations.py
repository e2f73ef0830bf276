from __future__ import annotations

import numpy as np
import pytest

from tests.training.numpy_backend.gradcheck import numerical_gradient, relative_error
from training.numpy_backend.activations import PReLU, apply_activation, get_activation

# Away from 0 so the kinks of relu-like functions are never straddled by the differences.
X = np.array([[-2.1, -0.7, -0.05, 0.3, 1.4], [0.9, -1.3, 2.2, -0.2, 0.04]])


@pytest.mark.parametrize(
    ("name", "alpha"),
    [
        ("linear", None),
        ("sigmoid", None),
        ("tanh", None),
        ("relu", None),
        ("leaky_relu", None),
        ("leaky_relu", 0.3),
        ("elu", None),
        ("elu", 0.5),
        ("prelu", 0.25),
        ("softmax", None),
    ],
)
def test_backward_matches_central_differences(name: str, alpha: float | None) -> None:
    act = get_activation(name, alpha)
    x = X.copy()
    upstream = np.random.default_rng(1).normal(size=x.shape)

    def f() -> float:
        return float((act.forward(x) * upstream).sum())

    numeric = numerical_gradient(f, x)
    out = act.forward(x)
    analytic = act.backward(x, out, upstream)
    assert relative_error(analytic, numeric) < 1e-6


def test_prelu_alpha_gradient_matches_central_differences() -> None:
    alpha = np.array([[0.1, -0.2, 0.3, 0.0, 0.5]])
    act = PReLU(alpha)
    x = X.copy()
    upstream = np.random.default_rng(2).normal(size=x.shape)

    def f() -> float:
        return float((act.forward(x) * upstream).sum())

    numeric = numerical_gradient(f, act.alpha)
    analytic = act.alpha_gradient(x, upstream).sum(axis=0, keepdims=True)
    assert relative_error(analytic, numeric) < 1e-6


def test_leaky_relu_defaults_to_the_handouts_slope() -> None:
    out = apply_activation("leaky_relu", np.array([-10.0, 3.0]))
    np.testing.assert_allclose(out, [-0.1, 3.0])


def test_elu_and_prelu_values() -> None:
    np.testing.assert_allclose(apply_activation("elu", np.array([-1.0, 2.0])), [np.e**-1 - 1, 2.0])
    np.testing.assert_allclose(
        apply_activation("elu", np.array([-1.0]), alpha=2.0), [2 * (np.e**-1 - 1)]
    )
    # Keras' PReLU starts with alpha = 0, i.e. as a ReLU.
    np.testing.assert_allclose(apply_activation("prelu", np.array([-3.0, 3.0])), [0.0, 3.0])
    np.testing.assert_allclose(apply_activation("prelu", np.array([-3.0]), alpha=0.5), [-1.5])


def test_neuron_output_and_sigmoid_values() -> None:
    z = np.array([0.0, 2.0, -800.0, 800.0])
    expected = [0.5, 1 / (1 + np.exp(-2.0)), 0.0, 1.0]
    np.testing.assert_allclose(apply_activation("sigmoid", z), expected, atol=1e-300)
    np.testing.assert_allclose(apply_activation("tanh", np.array([0.5])), [np.tanh(0.5)])
    np.testing.assert_allclose(apply_activation("relu", np.array([-1.0, 2.0])), [0.0, 2.0])
    np.testing.assert_allclose(apply_activation("linear", np.array([-1.5])), [-1.5])


def test_softmax_is_stable_for_large_logits() -> None:
    p = apply_activation("softmax", np.array([1000.0, 1001.0, 1002.0]))
    expected = np.exp([0.0, 1.0, 2.0]) / np.exp([0.0, 1.0, 2.0]).sum()
    np.testing.assert_allclose(p, expected)
    assert p.sum() == pytest.approx(1.0)


def test_unknown_activation_and_misplaced_alpha_are_named() -> None:
    with pytest.raises(ValueError, match="swish"):
        get_activation("swish")
    with pytest.raises(ValueError, match=r"relu.*alpha"):
        get_activation("relu", 0.1)
