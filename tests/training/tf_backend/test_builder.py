"""The spec built as tf.keras: every layer, activation, optimizer, loss and regularizer."""

from __future__ import annotations

import numpy as np
import pytest

from training.errors import TrainingError, UnsupportedByBackend
from training.spec import (
    ACTIVATIONS,
    LOSSES,
    LSTM,
    METRICS,
    OPTIMIZERS,
    Activation,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    MaxPooling2D,
    ModelSpec,
    Optimizer,
    Regularizer,
    SimpleRNN,
)
from training.tf_backend import _runtime
from training.tf_backend.backend import TensorflowBackend, capabilities
from training.tf_backend.builder import build_model, make_loss, make_optimizer

pytestmark = pytest.mark.tensorflow

X = np.array([[-2.0, -0.5, 0.0, 0.5, 2.0]])


def _single_dense(activation: Activation) -> ModelSpec:
    return ModelSpec(input_shape=(5,), layers=(Dense(5, activation),))


def _identity_output(activation: Activation) -> np.ndarray:
    built = build_model(_single_dense(activation), dtype="float64")
    weights = built.model.get_weights()
    weights[0] = np.eye(5)
    weights[1] = np.zeros(5)
    built.model.set_weights(weights)
    return np.asarray(built.model(X, training=False))


@pytest.mark.parametrize(
    ("activation", "expected"),
    [
        (Activation("sigmoid"), 1.0 / (1.0 + np.exp(-X))),
        (Activation("tanh"), np.tanh(X)),
        (Activation("relu"), np.maximum(X, 0.0)),
        (Activation("leaky_relu"), np.where(X > 0, X, 0.01 * X)),
        (Activation("leaky_relu", alpha=0.3), np.where(X > 0, X, 0.3 * X)),
        (Activation("prelu"), np.maximum(X, 0.0)),
        (Activation("prelu", alpha=0.25), np.where(X > 0, X, 0.25 * X)),
        (Activation("elu"), np.where(X > 0, X, np.exp(X) - 1.0)),
        (Activation("elu", alpha=0.5), np.where(X > 0, X, 0.5 * (np.exp(X) - 1.0))),
        (Activation("softmax"), np.exp(X) / np.exp(X).sum()),
        (Activation("linear"), X),
    ],
    ids=lambda value: getattr(value, "name", None) and f"{value.name}-{value.alpha}",
)
def test_every_activation_computes_the_handouts_formula(
    activation: Activation, expected: np.ndarray
) -> None:
    # TensorFlow's LeakyRelu op holds its slope as a float32 attribute, even in float64.
    np.testing.assert_allclose(_identity_output(activation), expected, rtol=1e-7, atol=1e-12)


def test_activations_cover_the_spec_vocabulary() -> None:
    assert set(capabilities()["activations"]) == set(ACTIVATIONS)


def test_leaky_relu_defaults_to_the_handouts_slope_not_keras_02() -> None:
    out = _identity_output(Activation("leaky_relu"))
    assert out[0, 0] == pytest.approx(-0.02)


def test_prelu_adds_one_learned_alpha_per_unit_after_kernel_and_bias() -> None:
    built = build_model(_single_dense(Activation("prelu", alpha=0.1)))
    shapes = [w.shape for w in built.model.get_weights()]
    assert shapes == [(5, 5), (5,), (5,)]
    np.testing.assert_allclose(built.model.get_weights()[2], 0.1)
    assert len(built.model.trainable_variables) == 3


def test_regularizer_adds_l1_and_l2_of_the_kernel_to_the_losses() -> None:
    spec = ModelSpec(
        input_shape=(3,),
        layers=(Dense(2, Activation("relu"), kernel_regularizer=Regularizer(l1=0.01, l2=0.1)),),
    )
    built = build_model(spec, dtype="float64")
    kernel = built.model.get_weights()[0]
    expected = 0.01 * np.abs(kernel).sum() + 0.1 * np.square(kernel).sum()
    assert float(sum(np.asarray(t) for t in built.model.losses)) == pytest.approx(expected)


def test_every_layer_type_builds_with_keras_output_shapes() -> None:
    images = ModelSpec(
        input_shape=(8, 8, 1),
        layers=(
            Conv2D(4, (3, 3), activation=Activation("relu"), padding="same"),
            Conv2D(2, (3, 3), activation=Activation("leaky_relu"), strides=(1, 1)),
            MaxPooling2D((2, 2)),
            Flatten(),
            Dropout(0.25),
            Dense(3, Activation("softmax")),
        ),
    )
    built = build_model(images)
    assert built.model.output_shape == (None, 3)
    assert [k.shape for k in built.kernels] == [(3, 3, 1, 4), (3, 3, 4, 2), (18, 3)]
    sequences = ModelSpec(
        input_shape=(6, 2),
        layers=(
            SimpleRNN(4, Activation("tanh"), return_sequences=True),
            LSTM(3, Activation("elu", alpha=0.5)),
            Dense(1, Activation("linear")),
        ),
    )
    built = build_model(sequences)
    assert built.model.output_shape == (None, 1)
    assert [k.shape for k in built.kernels] == [(2, 4), (4, 12), (3, 1)]
    assert {"dense", "dropout", "conv2d", "max_pooling2d", "flatten", "simple_rnn", "lstm"} == set(
        capabilities()["layers"]
    )


def test_prelu_inside_a_recurrent_cell_is_refused_with_the_layer_named() -> None:
    spec = ModelSpec(input_shape=(4, 1), layers=(SimpleRNN(2, Activation("prelu")), Dense(1)))
    with pytest.raises(UnsupportedByBackend, match=r"layers\[0\]\.activation: prelu"):
        TensorflowBackend().supports(spec)


@pytest.mark.parametrize(
    ("optimizer", "cls", "expected"),
    [
        (Optimizer("sgd"), "SGD", {"learning_rate": 0.01, "momentum": 0.0, "nesterov": False}),
        (
            Optimizer("sgd", learning_rate=0.1, momentum=0.9, nesterov=True),
            "SGD",
            {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True},
        ),
        (Optimizer("adagrad"), "Adagrad", {"initial_accumulator_value": 0.1, "epsilon": 1e-7}),
        (Optimizer("rmsprop", rho=0.8), "RMSprop", {"rho": 0.8, "momentum": 0.0}),
        (
            Optimizer("adam", learning_rate=0.01),
            "Adam",
            {"learning_rate": 0.01, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7},
        ),
        (Optimizer("adadelta"), "Adadelta", {"learning_rate": 0.001, "rho": 0.95}),
    ],
)
def test_optimizers_take_the_specs_values_or_keras_defaults(
    optimizer: Optimizer, cls: str, expected: dict[str, float]
) -> None:
    built = make_optimizer(optimizer)
    assert type(built).__name__ == cls
    config = built.get_config()
    for key, value in expected.items():
        assert config[key] == pytest.approx(value), key
    assert set(capabilities()["optimizers"]) == set(OPTIMIZERS)


def test_an_optimizer_setting_it_does_not_have_is_refused() -> None:
    with pytest.raises(UnsupportedByBackend, match=r"optimizer\.beta_1: sgd has no beta_1"):
        make_optimizer(Optimizer("sgd", beta_1=0.9))


@pytest.mark.parametrize(
    ("loss", "y", "p", "expected"),
    [
        ("mse", [[1.0], [0.0]], [[0.5], [0.5]], 0.25),
        ("mae", [[1.0], [0.0]], [[0.5], [0.25]], 0.375),
        (
            "binary_crossentropy",
            [[1.0], [0.0]],
            [[0.8], [0.4]],
            -(np.log(0.8) + np.log(0.6)) / 2,
        ),
        (
            "categorical_crossentropy",
            [[0.0, 1.0], [1.0, 0.0]],
            [[0.3, 0.7], [0.9, 0.1]],
            -(np.log(0.7) + np.log(0.9)) / 2,
        ),
        (
            "sparse_categorical_crossentropy",
            [1, 0],
            [[0.3, 0.7], [0.9, 0.1]],
            -(np.log(0.7) + np.log(0.9)) / 2,
        ),
    ],
)
def test_every_loss_is_the_batch_mean_of_its_formula(
    loss: str, y: list[float], p: list[list[float]], expected: float
) -> None:
    value = make_loss(loss, dtype="float64")(np.array(y), np.array(p))
    assert float(value) == pytest.approx(expected, rel=1e-6)
    assert set(capabilities()["losses"]) == set(LOSSES)


def test_capabilities_list_every_kind() -> None:
    caps = capabilities()
    assert set(caps) == {"layers", "activations", "optimizers", "losses", "metrics", "regularizers"}
    assert set(caps["metrics"]) == set(METRICS)
    assert caps["regularizers"] == ["l1", "l2"]


def test_a_bad_thread_count_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANNQUIZ_TF_THREADS", "many")
    with pytest.raises(TrainingError, match="ANNQUIZ_TF_THREADS must be a positive integer"):
        _runtime.thread_count()
    monkeypatch.setenv("ANNQUIZ_TF_THREADS", "3")
    assert _runtime.thread_count() == 3
