from __future__ import annotations

import numpy as np
import pytest

from tests.training.numpy_backend.gradcheck import numerical_gradient, relative_error
from training.errors import DataError, UnsupportedByBackend
from training.numpy_backend.layers import Dropout
from training.numpy_backend.model import StackedModel
from training.spec import (
    LSTM,
    Activation,
    Dense,
    ModelSpec,
    Regularizer,
)
from training.spec import Dropout as DropoutSpec


def _spec(layers: tuple, loss: str, n_in: int = 4) -> ModelSpec:
    return ModelSpec(input_shape=(n_in,), layers=layers, loss=loss)


def _check_model_gradient(spec: ModelSpec, y: np.ndarray, weighted: bool) -> None:
    model = StackedModel(spec, 2)
    model.initialize([3, 4])
    x = np.random.default_rng(0).normal(size=(7, spec.input_shape[0]))
    w = np.linspace(0.5, 2.0, 7) if weighted else None
    model.loss_and_gradients(x, y, w, training=False)
    analytic = model.grads.copy()

    def f() -> float:
        loss, _ = model.evaluate_loss(x, y, w)
        return float(loss.sum())

    numeric = numerical_gradient(f, model.params)
    assert relative_error(analytic, numeric) < 1e-5


@pytest.mark.parametrize("weighted", [False, True])
def test_whole_network_gradient_with_every_hidden_activation_and_regularizers(
    weighted: bool,
) -> None:
    spec = _spec(
        (
            Dense(5, Activation("relu"), kernel_regularizer=Regularizer(l1=0.01)),
            DropoutSpec(0.3),  # inactive in inference mode
            Dense(4, Activation("prelu", 0.2), kernel_regularizer=Regularizer(l2=0.02)),
            Dense(4, Activation("elu", 0.7), kernel_regularizer=Regularizer(l1=0.01, l2=0.01)),
            Dense(3, Activation("leaky_relu")),
            Dense(3, Activation("tanh"), use_bias=False),
            Dense(1, Activation("sigmoid")),
        ),
        "binary_crossentropy",
    )
    y = (np.arange(7) % 2).astype(float)[:, None]
    _check_model_gradient(spec, y, weighted)


@pytest.mark.parametrize(
    ("loss", "activation"),
    [
        ("sparse_categorical_crossentropy", "softmax"),
        ("categorical_crossentropy", "softmax"),
        ("mse", "linear"),
        ("mae", "sigmoid"),
    ],
)
def test_whole_network_gradient_for_each_output(loss: str, activation: str) -> None:
    spec = _spec((Dense(6, Activation("sigmoid")), Dense(3, Activation(activation))), loss)
    labels = np.array([0, 2, 1, 1, 0, 2, 2])
    if loss == "sparse_categorical_crossentropy":
        y = labels
    elif loss == "categorical_crossentropy":
        y = np.eye(3)[labels]
    else:
        y = np.random.default_rng(5).normal(size=(7, 3))
    _check_model_gradient(spec, y, weighted=True)


def test_weights_follow_keras_order_with_glorot_kernels_and_zero_biases() -> None:
    spec = _spec((Dense(5, Activation("prelu")), Dense(2, Activation("softmax"))), "mse")
    model = StackedModel(spec, 2)
    model.initialize([0, 1])
    w0 = model.get_weights(0)
    assert [a.shape for a in w0] == [(4, 5), (5,), (5,), (5, 2), (2,)]
    limit = np.sqrt(6 / (4 + 5))
    assert np.all(np.abs(w0[0]) <= limit) and np.abs(w0[0]).max() > limit / 2
    assert not w0[1].any() and not w0[2].any()  # bias zero, prelu alpha starts at 0
    again = StackedModel(spec, 1)
    again.initialize([0])
    for a, b in zip(again.get_weights(0), w0, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(model.get_weights(1)[0], w0[0])


def test_set_weights_names_the_wrong_array() -> None:
    spec = _spec((Dense(3, Activation("relu")), Dense(1, Activation("linear"))), "mse")
    model = StackedModel(spec, 1)
    good = [np.ones((4, 3)), np.zeros(3), np.ones((3, 1)), np.zeros(1)]
    model.set_weights(good)
    np.testing.assert_array_equal(model.get_weights(0)[2], np.ones((3, 1)))
    with pytest.raises(DataError, match=r"array 2 has shape \(1, 3\), expected \(3, 1\)"):
        model.set_weights([good[0], good[1], np.ones((1, 3)), good[3]])
    with pytest.raises(DataError, match="expected 4 arrays"):
        model.set_weights(good[:2])


def test_unsupported_layer_is_an_error_pointing_to_tensorflow() -> None:
    spec = _spec((LSTM(4), Dense(1)), "mse")
    with pytest.raises(UnsupportedByBackend, match=r"layers\[0\].*lstm.*tensorflow"):
        StackedModel(spec, 1)


def test_dropout_statistics_and_inference_mode() -> None:
    layer = Dropout(0.3)
    rngs = [np.random.default_rng(s) for s in range(2)]
    x = np.ones((2, 400, 250))
    out = layer.forward(x, training=True, rngs=rngs)
    dropped = (out == 0).mean()
    assert dropped == pytest.approx(0.3, abs=0.01)
    assert out.mean() == pytest.approx(1.0, abs=0.02)  # inverted scaling keeps the mean
    np.testing.assert_allclose(np.unique(out), [0.0, 1 / 0.7])
    grad = layer.backward(np.ones_like(x))
    assert grad is not None
    np.testing.assert_array_equal(grad == 0, out == 0)  # same mask backwards
    # Kept units pass the upstream gradient scaled by 1/(1 - rate), exactly as forward scales
    # them: for an all-ones input and upstream gradient, the gradient equals the output.
    np.testing.assert_array_equal(grad, out)
    np.testing.assert_allclose(grad[grad != 0], 1 / 0.7)
    np.testing.assert_array_equal(layer.forward(x, training=False), x)
    assert not np.array_equal(out[0], out[1])  # each seed draws its own mask
