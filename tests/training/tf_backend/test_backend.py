"""Training on the TensorFlow backend: model.fit's semantics, determinism, stopping rules."""

from __future__ import annotations

import dataclasses
from typing import Literal

import numpy as np
import pytest

from tests.training.keras_reference import keras_module, reference_fit, seeded_weights
from training.backends import get_backend
from training.early_stopping import EarlyStoppingMonitor
from training.errors import DataError
from training.fitting import FitData
from training.spec import (
    LSTM,
    Activation,
    Conv2D,
    Dense,
    Dropout,
    EarlyStopping,
    Flatten,
    MaxPooling2D,
    ModelSpec,
    Optimizer,
    Regularizer,
    SimpleRNN,
)
from training.tf_backend.backend import (
    TensorflowBackend,
    TfTrainedModel,
    sample_weights,
)

pytestmark = pytest.mark.tensorflow

HANDOUT = ModelSpec(
    input_shape=(8,),
    layers=(
        Dense(16, Activation("relu")),
        Dense(8, Activation("relu"), kernel_regularizer=Regularizer(l2=0.001)),
        Dense(1, Activation("sigmoid")),
    ),
    optimizer=Optimizer("adam", learning_rate=0.01),
    loss="binary_crossentropy",
    metrics=("accuracy",),
    epochs=4,
    batch_size=10,
    validation_split=0.25,
)


def _binary_data(rows: int = 64, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 8))
    y = (x[:, 0] + x[:, 1] * x[:, 2] > 0).astype(np.float64)
    return x, y


def _close(ours: list[float], reference: list[float], rel: float = 2e-5) -> None:
    np.testing.assert_allclose(ours, reference, rtol=rel, atol=1e-6)


def test_get_backend_returns_the_tensorflow_backend() -> None:
    backend = get_backend("tensorflow")
    assert backend.name == "tensorflow"
    assert isinstance(backend, TensorflowBackend)


def test_history_matches_keras_model_fit_from_the_same_weights() -> None:
    x, y = _binary_data()
    start = seeded_weights(HANDOUT, 3)
    result = TensorflowBackend().fit(
        HANDOUT, FitData(x, y), seeds=[3], initial_weights=start, shuffle=False
    )[0]
    reference = reference_fit(HANDOUT, x, y, initial_weights=start)
    assert set(result.history) == set(reference) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    for key, values in reference.items():
        _close(result.history[key], values)
    assert result.epochs_run == 4


@pytest.mark.parametrize(
    ("loss", "output", "metrics"),
    [
        ("sparse_categorical_crossentropy", Dense(3, Activation("softmax")), ("accuracy",)),
        ("categorical_crossentropy", Dense(3, Activation("softmax")), ("accuracy", "mae")),
        ("mse", Dense(1, Activation("linear")), ("mse", "mae")),
        ("mae", Dense(1, Activation("tanh")), ("mse",)),
    ],
)
def test_every_loss_and_metric_matches_model_fit(
    loss: str, output: Dense, metrics: tuple[str, ...]
) -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(48, 4))
    classes = (x[:, 0] > 0).astype(int) + (x[:, 1] > 0.5).astype(int)
    if loss == "sparse_categorical_crossentropy":
        y = classes
    elif loss == "categorical_crossentropy":
        y = np.eye(3)[classes]
    else:
        y = np.tanh(x[:, :1] - x[:, 1:2])
    spec = ModelSpec(
        input_shape=(4,),
        layers=(Dense(6, Activation("elu")), output),
        optimizer=Optimizer("rmsprop", learning_rate=0.01),
        loss=loss,
        metrics=metrics,
        epochs=3,
        batch_size=8,
        validation_split=0.25,
    )
    start = seeded_weights(spec, 0)
    result = TensorflowBackend().fit(
        spec, FitData(x, y), seeds=[0], initial_weights=start, shuffle=False
    )[0]
    reference = reference_fit(spec, x, y, initial_weights=start)
    for key, values in reference.items():
        _close(result.history[key], values)


@pytest.mark.parametrize(
    "optimizer",
    [
        Optimizer("sgd", learning_rate=0.05, momentum=0.9, nesterov=True),
        Optimizer("adagrad", learning_rate=0.05),
        Optimizer("adadelta", learning_rate=1.0),
    ],
)
def test_other_optimizers_and_activations_match_model_fit(optimizer: Optimizer) -> None:
    x, y = _binary_data(40, seed=2)
    spec = dataclasses.replace(
        HANDOUT,
        layers=(
            Dense(6, Activation("leaky_relu")),
            Dense(5, Activation("prelu"), kernel_regularizer=Regularizer(l1=0.01)),
            Dense(4, Activation("tanh")),
            Dense(1, Activation("sigmoid")),
        ),
        optimizer=optimizer,
        epochs=3,
    )
    start = seeded_weights(spec, 1)
    start[4] = np.full_like(start[4], 0.2)  # a non-zero PReLU alpha, so it gets gradients
    result = TensorflowBackend().fit(
        spec, FitData(x, y), seeds=[1], initial_weights=start, shuffle=False
    )[0]
    reference = reference_fit(spec, x, y, initial_weights=start)
    for key, values in reference.items():
        _close(result.history[key], values)


def test_class_weights_match_model_fit_with_the_balanced_dict() -> None:
    x, y = _binary_data(60, seed=5)
    y[:30] = 0.0  # mostly negatives
    spec = dataclasses.replace(HANDOUT, class_weight="balanced")
    split = 45  # floor(60 * 0.75): the training rows
    negatives = int(np.sum(y[:split] == 0))
    positives = split - negatives
    balanced = {0: split / (2 * negatives), 1: split / (2 * positives)}
    np.testing.assert_allclose(
        sample_weights(y[:split], "balanced", "float64"),
        np.where(y[:split] == 1, balanced[1], balanced[0]),
    )
    start = seeded_weights(spec, 0)
    result = TensorflowBackend().fit(
        spec, FitData(x, y), seeds=[0], initial_weights=start, shuffle=False
    )[0]
    reference = reference_fit(
        dataclasses.replace(spec, class_weight=None),
        x,
        y,
        initial_weights=start,
        class_weight=balanced,
    )
    for key, values in reference.items():
        _close(result.history[key], values)


def test_a_dict_class_weight_weighs_omitted_classes_one() -> None:
    y = np.array([0.0, 1.0, 2.0, 1.0])
    np.testing.assert_allclose(sample_weights(y, {1: 3.0}, "float64"), [1.0, 3.0, 1.0, 3.0])


def test_the_same_seed_gives_the_same_history_and_other_seeds_differ() -> None:
    x, y = _binary_data(50)
    spec = dataclasses.replace(
        HANDOUT,
        layers=(Dense(8, Activation("relu")), Dropout(0.3), Dense(1, Activation("sigmoid"))),
        epochs=3,
    )
    backend = TensorflowBackend()
    first = backend.fit(spec, FitData(x, y), seeds=[0, 1])
    # Another architecture in between must not disturb the seeded run.
    backend.fit(dataclasses.replace(HANDOUT, epochs=1), FitData(x, y), seeds=[7])
    again = backend.fit(spec, FitData(x, y), seeds=[0])
    assert first[0].history == again[0].history
    assert first[0].history["loss"] != first[1].history["loss"]
    for a, b in zip(first[0].model.get_weights(), again[0].model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_seeded_initial_weights_are_keras_own_for_that_seed() -> None:
    x, y = _binary_data(20)
    spec = dataclasses.replace(HANDOUT, epochs=1, optimizer=Optimizer("sgd", learning_rate=0.0))
    result = TensorflowBackend().fit(spec, FitData(x, y), seeds=[11])[0]
    for ours, keras_own in zip(result.model.get_weights(), seeded_weights(spec, 11), strict=True):
        np.testing.assert_allclose(ours, keras_own)


def test_shuffling_changes_the_batch_order_reproducibly() -> None:
    x, y = _binary_data(60)
    backend = TensorflowBackend()
    start = seeded_weights(HANDOUT, 0)
    fixed = backend.fit(HANDOUT, FitData(x, y), initial_weights=start, shuffle=False)[0]
    shuffled = backend.fit(HANDOUT, FitData(x, y), initial_weights=start, shuffle=True)[0]
    shuffled_again = backend.fit(HANDOUT, FitData(x, y), initial_weights=start)[0]
    assert fixed.history["loss"] != shuffled.history["loss"]
    assert shuffled.history == shuffled_again.history
    # Validation rows are held out before shuffling: the first epoch's val_loss differs only
    # through training, never through which rows are validated.
    assert len(shuffled.history["val_loss"]) == HANDOUT.epochs


def test_a_conv_net_trains_on_tiny_images() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(24, 8, 8, 1))
    labels = (x[:, :4, :, 0].mean(axis=(1, 2)) > x[:, 4:, :, 0].mean(axis=(1, 2))).astype(int)
    spec = ModelSpec(
        input_shape=(8, 8, 1),
        layers=(
            Conv2D(4, (3, 3), activation=Activation("relu"), padding="same"),
            MaxPooling2D((2, 2)),
            Conv2D(4, (3, 3), activation=Activation("prelu")),
            Flatten(),
            Dense(2, Activation("softmax")),
        ),
        optimizer=Optimizer("adam", learning_rate=0.01),
        loss="sparse_categorical_crossentropy",
        metrics=("accuracy", "balanced_accuracy"),
        epochs=6,
        batch_size=8,
    )
    result = TensorflowBackend().fit(spec, FitData(x, labels), seeds=[0])[0]
    losses = result.history["loss"]
    assert len(losses) == 6 and all(np.isfinite(losses))
    assert losses[-1] < losses[0]
    assert 0.0 <= result.history["balanced_accuracy"][-1] <= 1.0
    assert result.model.predict(x).shape == (24, 2)


@pytest.mark.parametrize("cell", ["simple_rnn", "lstm"])
def test_recurrent_nets_train_on_tiny_sequences(cell: str) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 5, 1))
    y = x[:, -1, :] * 0.5 + x[:, -2, :] * 0.25
    recurrent = (
        SimpleRNN(6, Activation("tanh"), return_sequences=True)
        if cell == "simple_rnn"
        else LSTM(6, Activation("tanh"), return_sequences=True)
    )
    spec = ModelSpec(
        input_shape=(5, 1),
        layers=(recurrent, LSTM(4, Activation("leaky_relu")), Dense(1)),
        optimizer=Optimizer("adam", learning_rate=0.02),
        loss="mse",
        metrics=("mae",),
        epochs=5,
        batch_size=8,
        validation_split=0.25,
    )
    result = TensorflowBackend().fit(spec, FitData(x, y), seeds=[0])[0]
    assert result.epochs_run == 5
    assert result.history["loss"][-1] < result.history["loss"][0]
    assert len(result.model.gradient_norms(x, y)) == 3


def test_early_stopping_stops_after_patience_and_restores_the_best_weights() -> None:
    x, y = _binary_data(80)
    x_val = x[:20]
    y_val = 1.0 - y[:20]  # validation labels flipped: val_loss rises as training improves
    spec = dataclasses.replace(
        HANDOUT,
        validation_split=0.0,
        epochs=30,
        early_stopping=EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True),
    )
    result = TensorflowBackend().fit(spec, FitData(x, y, x_val, y_val), seeds=[0])[0]
    val_loss = result.history["val_loss"]
    assert result.stopped_early
    best = int(np.argmin(val_loss))
    assert result.best_epoch == best
    assert result.epochs_run == best + spec.early_stopping.patience + 1  # type: ignore[union-attr]
    restored = result.model.evaluate(x_val, y_val)
    assert restored["loss"] == pytest.approx(val_loss[best], rel=1e-5)


def test_early_stopping_on_a_missing_value_trains_on_and_says_so() -> None:
    x, y = _binary_data(30)
    spec = dataclasses.replace(
        HANDOUT, validation_split=0.0, epochs=3, early_stopping=EarlyStopping(patience=0)
    )
    result = TensorflowBackend().fit(spec, FitData(x, y), seeds=[0])[0]
    assert result.epochs_run == 3 and not result.stopped_early
    assert result.best_epoch is None
    assert "early_stopping.monitor 'val_loss' is not in the history" in result.extra["warning"]


def test_early_stopping_follows_keras_callback_rules() -> None:
    keras = keras_module()
    # (values, monitor, our mode, the mode Keras resolves it to, min_delta, patience); Keras
    # can only resolve "auto" for accuracy from a fitted model's metrics, so it gets "max".
    sequences: list[tuple[list[float], str, Literal["auto", "min", "max"], str, float, int]] = [
        ([0.5, 0.4, 0.41, 0.42, 0.39, 0.5, 0.6], "val_loss", "auto", "auto", 0.0, 2),
        ([0.5, 0.6, 0.6, 0.61, 0.7, 0.7], "val_accuracy", "auto", "max", 0.05, 1),
        ([1.0, 1.0, 1.0], "loss", "min", "min", 0.0, 0),
        ([3.0, 2.0, 1.0, 0.5, 0.1], "val_mse", "max", "max", 0.0, 3),
    ]
    stops: list[int | None] = []
    for values, monitor, mode, keras_mode, min_delta, patience in sequences:
        config = EarlyStopping(monitor=monitor, patience=patience, min_delta=min_delta, mode=mode)
        ours: EarlyStoppingMonitor[list[np.ndarray]] = EarlyStoppingMonitor(config)
        callback = keras.callbacks.EarlyStopping(
            monitor=monitor, patience=patience, min_delta=min_delta, mode=keras_mode
        )
        reference_model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
        reference_model.stop_training = False
        callback.set_model(reference_model)
        callback.on_train_begin()
        stopped_at = None
        for epoch, value in enumerate(values):
            stop = ours.on_epoch_end(epoch, value, list)
            callback.on_epoch_end(epoch, {monitor: value})
            assert stop == bool(reference_model.stop_training), (values, epoch)
            if stop:
                stopped_at = epoch
                break
        assert ours.best_epoch == callback.best_epoch
        assert (stopped_at or 0) == callback.stopped_epoch
        stops.append(stopped_at)
    assert stops == [3, 2, 1, 3]


def test_a_nan_loss_stops_training_as_diverged() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 8)) * 1e3
    y = rng.normal(size=(40, 1)) * 1e6
    spec = ModelSpec(
        input_shape=(8,),
        layers=(Dense(8, Activation("relu")), Dense(1)),
        optimizer=Optimizer("sgd", learning_rate=10.0),
        loss="mse",
        epochs=50,
        batch_size=4,
    )
    seen: list[tuple[int, int]] = []
    result = TensorflowBackend().fit(
        spec, FitData(x, y), seeds=[0], on_epoch_end=lambda s, e, logs: seen.append((s, e))
    )[0]
    assert result.diverged
    assert result.epochs_run < 50
    assert not np.isfinite(result.history["loss"][-1])
    assert all(np.isfinite(result.history["loss"][:-1]))
    assert seen == [(0, epoch) for epoch in range(result.epochs_run)]


def test_the_trained_model_predicts_evaluates_and_reports_layers() -> None:
    x, y = _binary_data(60)
    spec = dataclasses.replace(HANDOUT, metrics=("accuracy", "balanced_accuracy"), epochs=3)
    result = TensorflowBackend().fit(spec, FitData(x, y), seeds=[0])[0]
    model = result.model
    x_val, y_val = x[45:], y[45:]
    scores = model.evaluate(x_val, y_val)
    assert scores["loss"] == pytest.approx(result.history["val_loss"][-1], rel=1e-5)
    assert scores["accuracy"] == pytest.approx(result.history["val_accuracy"][-1])
    predicted = model.predict(x_val)[:, 0] > 0.5
    recalls = [np.mean(predicted[y_val == c] == c) for c in (0, 1) if np.any(y_val == c)]
    assert result.history["val_balanced_accuracy"][-1] == pytest.approx(np.mean(recalls))
    assert scores["balanced_accuracy"] == pytest.approx(np.mean(recalls))
    assert [w.shape for w in model.get_weights()] == [(8, 16), (16,), (16, 8), (8,), (8, 1), (1,)]
    outputs = model.layer_outputs(x_val)
    assert [o.shape for o in outputs] == [(15, 16), (15, 8), (15, 1)]
    np.testing.assert_allclose(outputs[-1], model.predict(x_val), rtol=1e-6)
    assert np.all(outputs[0] >= 0.0)  # relu
    norms = model.gradient_norms(x_val, y_val)
    assert len(norms) == 3 and all(n > 0 for n in norms)


def test_gradient_norms_are_the_kernel_gradients_of_the_loss() -> None:
    x, y = _binary_data(30)
    spec = dataclasses.replace(HANDOUT, epochs=1, validation_split=0.0)
    model = TensorflowBackend(dtype="float64").fit(spec, FitData(x, y), seeds=[0])[0].model
    assert isinstance(model, TfTrainedModel)
    weights = model.get_weights()
    norms = model.gradient_norms(x, y)
    assert len(norms) == 3
    # Central differences over the output layer's kernel (index 4 in Keras order).
    step = 1e-6
    grad = np.zeros_like(weights[4])
    for index in np.ndindex(grad.shape):
        loss = []
        for sign in (1.0, -1.0):
            shifted = [w.copy() for w in weights]
            shifted[4][index] += sign * step
            loss.append(model.with_weights(shifted).evaluate(x, y)["loss"])
        grad[index] = (loss[0] - loss[1]) / (2 * step)
    assert norms[2] == pytest.approx(float(np.linalg.norm(grad)), rel=1e-5)


def test_results_of_several_seeds_keep_their_own_weights() -> None:
    x, y = _binary_data(40)
    results = TensorflowBackend().fit(
        dataclasses.replace(HANDOUT, epochs=2), FitData(x, y), seeds=[0, 1]
    )
    first = results[0].model.predict(x)
    second = results[1].model.predict(x)
    assert not np.allclose(first, second)
    np.testing.assert_array_equal(results[0].model.predict(x), first)


def test_bad_data_and_weights_are_refused_with_what_is_wrong() -> None:
    x, y = _binary_data(20)
    backend = TensorflowBackend()
    with pytest.raises(DataError, match=r"x_train has shape \(20, 7\).*input_shape \(8,\)"):
        backend.fit(HANDOUT, FitData(x[:, :7], y))
    with pytest.raises(DataError, match="y_train has 19 rows, expected 20"):
        backend.fit(HANDOUT, FitData(x, y[:19]))
    with pytest.raises(DataError, match="x_train contains NaN"):
        bad = x.copy()
        bad[0, 0] = np.nan
        backend.fit(HANDOUT, FitData(bad, y))
    weights = seeded_weights(HANDOUT, 0)
    weights[2] = weights[2][:, :3]
    with pytest.raises(
        DataError, match=r"initial_weights\[2\] has shape \(16, 3\), expected \(16, 8\)"
    ):
        backend.fit(HANDOUT, FitData(x, y), initial_weights=weights)
    with pytest.raises(DataError, match="initial_weights has 2 arrays; this model has 6"):
        backend.fit(HANDOUT, FitData(x, y), initial_weights=weights[:2])
    sparse = ModelSpec(
        input_shape=(8,),
        layers=(Dense(3, Activation("softmax")),),
        loss="sparse_categorical_crossentropy",
    )
    with pytest.raises(DataError, match=r"class indices 0\.\.2"):
        backend.fit(sparse, FitData(x, np.full(20, 3)))


def test_a_freed_architecture_leaves_no_gradient_functions_registered() -> None:
    import gc

    from training.tf_backend import loop

    x, y = _binary_data(30)
    spec = dataclasses.replace(
        HANDOUT, layers=(Dense(3, Activation("tanh")), Dense(1, Activation("sigmoid"))), epochs=1
    )
    registry = loop._gradient_registry()
    assert registry is not None
    before = {name for name in registry if name.startswith("CustomGradient-")}
    results = TensorflowBackend().fit(spec, FitData(x, y), seeds=[0])
    added = {name for name in registry if name.startswith("CustomGradient-")} - before
    assert added, "tracing registers the optimizer's custom gradient"
    del results
    loop.clear_cache()
    gc.collect()
    assert not added & set(registry)
