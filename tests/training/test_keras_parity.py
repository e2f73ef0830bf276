"""The reference test: the NumPy backend trains exactly as tf.keras ``model.fit`` does.

For the same initial weights and a fixed batch order (``shuffle=False``), the per-epoch
training ``loss``, ``val_loss`` and metrics of the NumPy backend agree with a plain,
hand-written tf.keras model trained by ``model.fit`` to 1e-4 relative, in float64 on both
sides, for every optimizer, activation, loss, l1/l2 regularization and class weights.
Networks have no dropout here (dropout is tested by its statistics).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from tests.training.keras_reference import keras_module, reference_fit, seeded_weights
from training.backends import get_backend
from training.fitting import FitData
from training.spec import Activation, Dense, ModelSpec, Optimizer, Regularizer

pytestmark = pytest.mark.tensorflow

RTOL = 1e-4
ROWS = 64
EPOCHS = 5

BASE = ModelSpec(
    input_shape=(6,),
    layers=(
        Dense(7, Activation("relu")),
        Dense(5, Activation("tanh")),
        Dense(1, Activation("sigmoid")),
    ),
    optimizer=Optimizer("adam", learning_rate=0.01),
    loss="binary_crossentropy",
    metrics=("accuracy",),
    epochs=EPOCHS,
    batch_size=10,  # 48 training rows: four full batches and one of 8
    validation_split=0.25,
)


@pytest.fixture(scope="module", autouse=True)
def keras_in_float64() -> Iterator[None]:
    """Keras computes losses and metrics in ``floatx``: float64 for a tight comparison."""
    keras = keras_module()
    previous = keras.backend.floatx()
    keras.backend.set_floatx("float64")
    yield
    keras.backend.set_floatx(previous)


def _features(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(ROWS, 6))


def _targets(x: np.ndarray, loss: str, units: int) -> np.ndarray:
    score = x[:, 0] - 0.8 * x[:, 1] * x[:, 2] + 0.3 * x[:, 3]
    if loss == "binary_crossentropy":
        return np.asarray(score > 0, dtype=np.float64).reshape(-1, 1)
    edges = np.quantile(score, np.linspace(0, 1, units + 1)[1:-1])
    classes: np.ndarray = np.digitize(score, edges)
    if loss == "sparse_categorical_crossentropy":
        return classes
    if loss == "categorical_crossentropy":
        return np.asarray(np.eye(units)[classes])
    return np.column_stack([np.tanh(score + k) for k in range(units)])


def _start_weights(spec: ModelSpec, seed: int = 0) -> list[np.ndarray]:
    weights = seeded_weights(spec, seed, dtype="float64")
    index = 0
    for layer in spec.layers:
        if not isinstance(layer, Dense):
            continue
        index += 2 if layer.use_bias else 1
        if layer.activation.name == "prelu":
            # Keras starts PReLU's alpha at 0; a spread of slopes exercises its gradient.
            weights[index] = np.linspace(0.05, 0.4, weights[index].size).reshape(
                weights[index].shape
            )
            index += 1
    return weights


def _assert_parity(
    spec: ModelSpec,
    x: np.ndarray,
    y: np.ndarray,
    *,
    keras_class_weight: dict[int, float] | None = None,
    seeds: tuple[int, ...] = (0,),
) -> dict[str, list[float]]:
    start = _start_weights(spec)
    results = get_backend("numpy").fit(
        spec, FitData(x, y), seeds=list(seeds), initial_weights=start, shuffle=False
    )
    reference = reference_fit(
        dataclasses.replace(spec, class_weight=None),
        x,
        y,
        initial_weights=start,
        dtype="float64",
        class_weight=keras_class_weight,
    )
    assert "val_loss" in reference or not spec.validation_split
    for result in results:
        assert result.epochs_run == spec.epochs
        for key, expected in reference.items():
            assert key in result.history, f"numpy history lacks {key!r}"
            np.testing.assert_allclose(
                result.history[key],
                expected,
                rtol=RTOL,
                atol=1e-12,
                err_msg=f"{key} differs from model.fit (seed {result.seed})",
            )
    return reference


OPTIMIZERS = {
    "sgd": Optimizer("sgd", learning_rate=0.1),
    "sgd+momentum": Optimizer("sgd", learning_rate=0.05, momentum=0.9),
    "sgd+nesterov": Optimizer("sgd", learning_rate=0.05, momentum=0.9, nesterov=True),
    "adagrad": Optimizer("adagrad", learning_rate=0.1),
    "rmsprop": Optimizer("rmsprop", learning_rate=0.01),
    "rmsprop+momentum": Optimizer("rmsprop", learning_rate=0.005, momentum=0.5, rho=0.8),
    "adam": Optimizer("adam", learning_rate=0.01),
    "adam(tuned)": Optimizer("adam", learning_rate=0.02, beta_1=0.8, beta_2=0.99, epsilon=1e-4),
    "adadelta": Optimizer("adadelta", learning_rate=1.0),
    "adadelta(default rate)": Optimizer("adadelta"),
    "adagrad(defaults)": Optimizer("adagrad"),
}


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS.values()), ids=list(OPTIMIZERS))
def test_every_optimizer_trains_like_model_fit(optimizer: Optimizer) -> None:
    x = _features()
    spec = dataclasses.replace(BASE, optimizer=optimizer)
    _assert_parity(spec, x, _targets(x, spec.loss, 1))


HIDDEN_ACTIVATIONS = {
    "sigmoid": Activation("sigmoid"),
    "tanh": Activation("tanh"),
    "relu": Activation("relu"),
    "leaky_relu": Activation("leaky_relu"),
    "leaky_relu(0.2)": Activation("leaky_relu", alpha=0.2),
    "prelu": Activation("prelu"),
    "elu": Activation("elu"),
    "elu(0.5)": Activation("elu", alpha=0.5),
    "linear": Activation("linear"),
}


@pytest.mark.parametrize(
    "activation", list(HIDDEN_ACTIVATIONS.values()), ids=list(HIDDEN_ACTIVATIONS)
)
def test_every_hidden_activation_trains_like_model_fit(activation: Activation) -> None:
    x = _features(1)
    spec = dataclasses.replace(
        BASE,
        layers=(Dense(7, activation), Dense(4, activation), Dense(1, Activation("sigmoid"))),
    )
    _assert_parity(spec, x, _targets(x, spec.loss, 1))


LOSS_CASES = {
    "binary_crossentropy": (Dense(1, Activation("sigmoid")), ("accuracy",)),
    "categorical_crossentropy": (Dense(3, Activation("softmax")), ("accuracy", "mae")),
    "sparse_categorical_crossentropy": (Dense(3, Activation("softmax")), ("accuracy",)),
    "mse": (Dense(2, Activation("linear")), ("mse", "mae")),
    "mae": (Dense(1, Activation("tanh")), ("mae", "mse")),
}


@pytest.mark.parametrize("loss", list(LOSS_CASES))
def test_every_loss_and_metric_trains_like_model_fit(loss: str) -> None:
    output, metrics = LOSS_CASES[loss]
    x = _features(2)
    spec = dataclasses.replace(
        BASE,
        layers=(Dense(8, Activation("elu")), output),
        loss=loss,
        metrics=metrics,
        optimizer=Optimizer("rmsprop", learning_rate=0.01),
    )
    reference = _assert_parity(spec, x, _targets(x, loss, output.units))
    assert set(reference) == {"loss", "val_loss", *metrics, *(f"val_{m}" for m in metrics)}


@pytest.mark.parametrize(
    "regularizer",
    [Regularizer(l1=0.01), Regularizer(l2=0.05), Regularizer(l1=0.005, l2=0.02)],
    ids=["l1", "l2", "l1+l2"],
)
def test_regularized_losses_match_model_fit(regularizer: Regularizer) -> None:
    x = _features(3)
    spec = dataclasses.replace(
        BASE,
        layers=(
            Dense(7, Activation("relu"), kernel_regularizer=regularizer),
            Dense(5, Activation("tanh"), kernel_regularizer=regularizer, use_bias=False),
            Dense(1, Activation("sigmoid")),
        ),
        optimizer=Optimizer("sgd", learning_rate=0.05, momentum=0.5),
    )
    _assert_parity(spec, x, _targets(x, spec.loss, 1))


def _imbalanced() -> tuple[np.ndarray, np.ndarray]:
    x = _features(4)
    y = _targets(x, "binary_crossentropy", 1)
    y[: ROWS // 2] = 0.0  # about three negatives for every positive in the training rows
    return x, y


def test_balanced_class_weights_match_model_fit_with_the_same_weights() -> None:
    x, y = _imbalanced()
    train = y[: int(np.floor(ROWS * (1 - BASE.validation_split)))].ravel().astype(int)
    counts = np.bincount(train, minlength=2)
    balanced = {c: len(train) / (2 * int(counts[c])) for c in (0, 1)}
    assert balanced[1] > 1.5 > 1.0 > balanced[0]
    spec = dataclasses.replace(BASE, class_weight="balanced")
    _assert_parity(spec, x, y, keras_class_weight=balanced)


def test_dict_class_weights_match_model_fit() -> None:
    x, y = _imbalanced()
    weights = {0: 0.7, 1: 2.5}
    spec = dataclasses.replace(BASE, class_weight=weights)
    _assert_parity(spec, x, y, keras_class_weight=weights)


def test_full_batch_and_single_row_batches_match_model_fit() -> None:
    x = _features(5)
    y = _targets(x, "binary_crossentropy", 1)
    _assert_parity(dataclasses.replace(BASE, batch_size=None), x, y)
    _assert_parity(dataclasses.replace(BASE, batch_size=1, epochs=2), x[:20], y[:20])


def test_every_stacked_seed_matches_model_fit_from_the_same_weights() -> None:
    x = _features(6)
    y = _targets(x, "binary_crossentropy", 1)
    _assert_parity(BASE, x, y, seeds=(0, 1, 2))


def test_the_parity_check_can_fail() -> None:
    """A changed rule (Adam's epsilon 1e-7 vs 1e-3) is caught at this tolerance."""
    x = _features()
    y = _targets(x, BASE.loss, 1)
    start = _start_weights(BASE)
    ours = get_backend("numpy").fit(BASE, FitData(x, y), initial_weights=start, shuffle=False)
    other: Any = dataclasses.replace(
        BASE, optimizer=Optimizer("adam", learning_rate=0.01, epsilon=1e-3)
    )
    reference = reference_fit(other, x, y, initial_weights=start, dtype="float64")
    difference = np.abs(np.array(ours[0].history["loss"]) - reference["loss"])
    assert np.max(difference / np.abs(reference["loss"])) > RTOL
