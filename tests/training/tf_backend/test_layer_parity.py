"""The TensorFlow backend against plain tf.keras for conv2d, max_pooling2d, flatten,
simple_rnn and lstm, and for every SGD variant.

- Keras parity: for the same initial weights and a fixed batch order, per-epoch ``loss`` and
  ``val_loss`` of the backend agree with a hand-written tf.keras model trained by
  ``model.fit(shuffle=False)`` to 1e-4 relative, in float64 on both sides.
- Gradient checks: ``tf.GradientTape`` gradients of the loss (regularization included) with
  respect to every weight of the backend's model agree with central differences of the loss
  the backend evaluates, in float64.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from tests.training.keras_reference import keras_module, reference_fit, seeded_weights
from tests.training.numpy_backend.gradcheck import relative_error
from training.fitting import FitData
from training.spec import (
    LSTM,
    Activation,
    Conv2D,
    Dense,
    Flatten,
    MaxPooling2D,
    ModelSpec,
    Optimizer,
    Regularizer,
    SimpleRNN,
)
from training.tf_backend import builder
from training.tf_backend._runtime import tensorflow
from training.tf_backend.backend import TensorflowBackend, TfTrainedModel

pytestmark = pytest.mark.tensorflow

RTOL = 1e-4

CNN = ModelSpec(
    input_shape=(6, 6, 1),
    layers=(
        Conv2D(3, (3, 3), activation=Activation("tanh"), kernel_regularizer=Regularizer(l2=0.01)),
        MaxPooling2D((2, 2)),
        Flatten(),
        Dense(3, Activation("softmax")),
    ),
    optimizer=Optimizer("adam", learning_rate=0.02),
    loss="sparse_categorical_crossentropy",
    metrics=("accuracy",),
    epochs=4,
    batch_size=8,
    validation_split=0.25,
)
SIMPLE_RNN = ModelSpec(
    input_shape=(5, 2),
    layers=(SimpleRNN(4, return_sequences=True), SimpleRNN(3), Dense(1)),
    optimizer=Optimizer("adam", learning_rate=0.02),
    loss="mse",
    metrics=("mae",),
    epochs=4,
    batch_size=8,
    validation_split=0.25,
)
LSTM_NET = ModelSpec(
    input_shape=(5, 2),
    layers=(LSTM(3, return_sequences=True), LSTM(2), Dense(1)),
    optimizer=Optimizer("rmsprop", learning_rate=0.02),
    loss="mse",
    metrics=("mae",),
    epochs=4,
    batch_size=8,
    validation_split=0.25,
)
DENSE = ModelSpec(
    input_shape=(6,),
    layers=(Dense(5, Activation("tanh")), Dense(1, Activation("sigmoid"))),
    loss="binary_crossentropy",
    metrics=("accuracy",),
    epochs=5,
    batch_size=10,
    validation_split=0.25,
)
NETS = {"conv2d+max_pooling2d+flatten": CNN, "simple_rnn": SIMPLE_RNN, "lstm": LSTM_NET}


@pytest.fixture(scope="module", autouse=True)
def keras_in_float64() -> Iterator[None]:
    """Keras computes losses and metrics in ``floatx``: float64 for a tight comparison."""
    keras = keras_module()
    previous = keras.backend.floatx()
    keras.backend.set_floatx("float64")
    yield
    keras.backend.set_floatx(previous)


def _data(spec: ModelSpec, rows: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, *spec.input_shape))
    if spec.loss == "sparse_categorical_crossentropy":
        # Three classes from which quadrant of the image is brightest (4 quadrants, 3 labels).
        quadrants = [x[:, :3, :3], x[:, :3, 3:], x[:, 3:, :3], x[:, 3:, 3:]]
        brightest = np.argmax([q.mean(axis=(1, 2, 3)) for q in quadrants], axis=0)
        return x, np.minimum(brightest, 2).astype(np.float64)
    if spec.loss == "binary_crossentropy":
        return x, (x[:, 0] - x[:, 1] * x[:, 2] > 0).astype(np.float64).reshape(-1, 1)
    # Sequences: the target mixes the last two steps of the first feature.
    return x, (0.7 * x[:, -1, 0] - 0.4 * x[:, -2, 1]).reshape(-1, 1)


def _assert_same_history(ours: dict[str, list[float]], reference: dict[str, list[float]]) -> None:
    assert {"loss", "val_loss"} <= set(reference)
    for key, values in reference.items():
        np.testing.assert_allclose(ours[key], values, rtol=RTOL, atol=1e-7, err_msg=key)


# --------------------------------------------------------------------------- Keras parity


@pytest.mark.parametrize("spec", NETS.values(), ids=NETS.keys())
def test_history_matches_model_fit_for_conv_and_recurrent_nets(spec: ModelSpec) -> None:
    x, y = _data(spec, 40)
    start = seeded_weights(spec, 5, dtype="float64")
    result = TensorflowBackend(dtype="float64").fit(
        spec, FitData(x, y), seeds=[5], initial_weights=start, shuffle=False
    )[0]
    reference = reference_fit(spec, x, y, initial_weights=start, dtype="float64")
    assert result.epochs_run == spec.epochs
    assert set(reference) == set(result.history)
    _assert_same_history(result.history, reference)
    # Training moved the weights: the comparison is of a run, not of a fixed point.
    assert result.history["loss"][-1] < result.history["loss"][0]


@pytest.mark.parametrize(
    "optimizer",
    [
        Optimizer("sgd", learning_rate=0.1),
        Optimizer("sgd", learning_rate=0.05, momentum=0.9),
        Optimizer("sgd", learning_rate=0.05, momentum=0.9, nesterov=True),
    ],
    ids=["sgd", "sgd+momentum", "sgd+nesterov"],
)
def test_history_matches_model_fit_for_every_sgd_variant(optimizer: Optimizer) -> None:
    spec = dataclasses.replace(DENSE, optimizer=optimizer)
    x, y = _data(spec, 60)
    start = seeded_weights(spec, 2, dtype="float64")
    result = TensorflowBackend(dtype="float64").fit(
        spec, FitData(x, y), seeds=[2], initial_weights=start, shuffle=False
    )[0]
    reference = reference_fit(spec, x, y, initial_weights=start, dtype="float64")
    _assert_same_history(result.history, reference)
    assert result.history["loss"][-1] < result.history["loss"][0]


def test_the_sgd_variants_train_differently() -> None:
    """Momentum and Nesterov reach the backend's optimizer (the parity above is not vacuous)."""
    x, y = _data(DENSE, 60)
    start = seeded_weights(DENSE, 2, dtype="float64")
    losses = []
    for optimizer in (
        Optimizer("sgd", learning_rate=0.05),
        Optimizer("sgd", learning_rate=0.05, momentum=0.9),
        Optimizer("sgd", learning_rate=0.05, momentum=0.9, nesterov=True),
    ):
        spec = dataclasses.replace(DENSE, optimizer=optimizer)
        result = TensorflowBackend(dtype="float64").fit(
            spec, FitData(x, y), seeds=[2], initial_weights=start, shuffle=False
        )[0]
        losses.append(result.history["loss"][-1])
    assert len(set(losses)) == 3


# --------------------------------------------------------------------------- gradient checks


def _tape_gradients(model: TfTrainedModel, spec: ModelSpec, x: np.ndarray, y: np.ndarray) -> Any:
    """Gradients of the mean loss plus regularization w.r.t. every weight, by GradientTape."""
    tf = tensorflow()
    keras_model = model.keras_model
    loss_fn = builder.make_loss(spec.loss, dtype="float64")
    with tf.GradientTape() as tape:
        predicted = keras_model(tf.constant(x), training=False)
        loss = loss_fn(tf.constant(y), predicted)
        for penalty in keras_model.losses:
            loss = loss + penalty
    gradients = tape.gradient(loss, keras_model.trainable_weights)
    return [np.asarray(g) for g in gradients]


def _numerical_gradients(
    model: TfTrainedModel, x: np.ndarray, y: np.ndarray, step: float = 1e-6
) -> list[np.ndarray]:
    """Central differences of the loss the backend evaluates, weight by weight."""
    weights = model.get_weights()
    out = []
    for index, array in enumerate(weights):
        grad = np.zeros_like(array)
        for position in np.ndindex(array.shape):
            losses = []
            for sign in (1.0, -1.0):
                shifted = [w.copy() for w in weights]
                shifted[index][position] += sign * step
                losses.append(model.with_weights(shifted).evaluate(x, y)["loss"])
            grad[position] = (losses[0] - losses[1]) / (2 * step)
        out.append(grad)
    return out


@pytest.mark.parametrize("spec", NETS.values(), ids=NETS.keys())
def test_gradients_of_every_weight_match_central_differences(spec: ModelSpec) -> None:
    x, y = _data(spec, 40)
    model = TensorflowBackend(dtype="float64").fit(spec, FitData(x, y), seeds=[1])[0].model
    assert isinstance(model, TfTrainedModel)
    x_small, y_small = x[:5], y[:5]
    analytic = _tape_gradients(model, spec, x_small, y_small)
    numeric = _numerical_gradients(model, x_small, y_small)
    assert [g.shape for g in analytic] == [w.shape for w in model.get_weights()]
    for index, (a, n) in enumerate(zip(analytic, numeric, strict=True)):
        assert np.any(a != 0), f"weight {index} has a zero gradient: nothing is checked"
        assert relative_error(a, n) < 1e-5, f"weight {index}"
    # The per-layer norms graders see are the norms of the kernels' gradients.
    weights = list(model.keras_model.trainable_weights)
    kernel_positions = [
        next(i for i, w in enumerate(weights) if w is kernel)
        for kernel in model._program.built.kernels
    ]
    np.testing.assert_allclose(
        model.gradient_norms(x_small, y_small),
        [np.linalg.norm(analytic[i]) for i in kernel_positions],
        rtol=1e-8,
    )
