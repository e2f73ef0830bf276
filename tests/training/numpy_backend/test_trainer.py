from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from training.early_stopping import EarlyStoppingMonitor
from training.errors import DataError, UnsupportedByBackend
from training.fitting import FitData
from training.numpy_backend.backend import NumpyBackend
from training.numpy_backend.data import balanced_class_weight, sample_weights
from training.numpy_backend.model import StackedModel
from training.numpy_backend.optimizers import get_optimizer
from training.spec import (
    Activation,
    Conv2D,
    Dense,
    Dropout,
    EarlyStopping,
    Flatten,
    ModelSpec,
    Optimizer,
    Regularizer,
)

RNG = np.random.default_rng(42)
X = RNG.normal(size=(60, 4))
Y = (X[:, 0] - X[:, 1] + 0.3 * RNG.normal(size=60) > 0).astype(float)

BASE = ModelSpec(
    input_shape=(4,),
    layers=(
        Dense(8, Activation("relu"), kernel_regularizer=Regularizer(l2=0.01)),
        Dropout(0.2),
        Dense(1, Activation("sigmoid")),
    ),
    optimizer=Optimizer("adam", learning_rate=0.01),
    loss="binary_crossentropy",
    metrics=("accuracy", "balanced_accuracy"),
    epochs=6,
    batch_size=8,
    validation_split=0.25,
)


def _fit(spec: ModelSpec, data: FitData | None = None, **kw):
    return NumpyBackend().fit(spec, data or FitData(X, Y), **kw)


def test_history_has_keras_keys_and_one_value_per_epoch() -> None:
    (res,) = _fit(BASE)
    assert list(res.history) == [
        "loss",
        "accuracy",
        "balanced_accuracy",
        "val_loss",
        "val_accuracy",
        "val_balanced_accuracy",
    ]
    assert all(len(v) == 6 for v in res.history.values())
    assert res.epochs_run == 6 and not res.diverged and not res.stopped_early
    assert res.best_epoch is None
    assert res.history["loss"][-1] < res.history["loss"][0]


def test_several_seeds_trained_together_equal_each_seed_alone() -> None:
    spec = replace(
        BASE,
        epochs=12,
        early_stopping=EarlyStopping(monitor="val_loss", patience=1, restore_best_weights=True),
    )
    together = _fit(spec, seeds=[5, 6, 7])
    assert len({r.epochs_run for r in together}) > 1  # the seeds stopped at different epochs
    for res in together:
        (alone,) = _fit(spec, seeds=[res.seed])
        assert alone.history.keys() == res.history.keys()
        for key in res.history:
            np.testing.assert_allclose(res.history[key], alone.history[key], rtol=1e-12)
        assert (alone.best_epoch, alone.stopped_early) == (res.best_epoch, res.stopped_early)
        for a, b in zip(alone.model.get_weights(), res.model.get_weights(), strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-12)


def test_seeds_are_reproducible_and_distinct() -> None:
    first = _fit(BASE, seeds=[1, 2])
    again = _fit(BASE, seeds=[1, 2])
    assert first[0].history == again[0].history
    assert first[0].history["loss"] != first[1].history["loss"]


def test_validation_split_holds_out_the_last_rows() -> None:
    (res,) = _fit(BASE)
    head, tail = slice(0, 45), slice(45, 60)
    on_tail = res.model.evaluate(X[tail], Y[tail])
    assert res.history["val_loss"][-1] == pytest.approx(on_tail["loss"], rel=1e-12)
    assert res.history["val_accuracy"][-1] == pytest.approx(on_tail["accuracy"])
    assert res.model.evaluate(X[head], Y[head])["loss"] != pytest.approx(on_tail["loss"])


def test_explicit_validation_data_takes_precedence_over_the_split() -> None:
    (res,) = _fit(BASE, FitData(X[:40], Y[:40], x_val=X[50:], y_val=Y[50:]))
    assert res.history["val_loss"][-1] == pytest.approx(
        res.model.evaluate(X[50:], Y[50:])["loss"], rel=1e-12
    )


def _manual_epoch_loss(spec: ModelSpec, x: np.ndarray, y: np.ndarray, seed: int) -> float:
    """An epoch written out plainly: batch losses before each update, weighted by batch size."""
    model = StackedModel(spec, 1)
    model.initialize([seed])
    opt = get_optimizer(spec.optimizer)
    opt.build([model.params])
    assert spec.batch_size is not None
    total = 0.0
    for start in range(0, len(x), spec.batch_size):
        xb, yb = x[start : start + spec.batch_size], y[start : start + spec.batch_size, None]
        loss, _ = model.loss_and_gradients(xb, yb)
        total += float(loss[0]) * len(xb)
        opt.apply([model.grads], [model.params])
    return total / len(x)


def test_epoch_loss_is_the_batch_size_weighted_mean_of_pre_update_batch_losses() -> None:
    spec = replace(BASE, layers=(BASE.layers[0], BASE.layers[2]), epochs=1, batch_size=7)
    (res,) = _fit(spec, shuffle=False, seeds=[3])
    expected = _manual_epoch_loss(spec, X[:45], Y[:45], seed=3)  # 45 rows: last batch of 3
    assert res.history["loss"][0] == pytest.approx(expected, rel=1e-12)


def test_full_batch_gradient_descent() -> None:
    spec = replace(BASE, layers=(BASE.layers[0], BASE.layers[2]), epochs=1, batch_size=None)
    (res,) = _fit(spec, seeds=[3])
    assert res.history["loss"][0] == pytest.approx(
        _manual_epoch_loss(replace(spec, batch_size=45), X[:45], Y[:45], seed=3), rel=1e-12
    )


def test_initial_weights_replace_the_seeded_initialisation_for_every_seed() -> None:
    spec = replace(BASE, optimizer=Optimizer("sgd", learning_rate=0.0), epochs=1)
    weights = [np.full((4, 8), 0.1), np.zeros(8), np.full((8, 1), -0.2), np.array([0.05])]
    results = _fit(spec, seeds=[0, 1], initial_weights=weights)
    for res in results:
        for got, want in zip(res.model.get_weights(), weights, strict=True):
            np.testing.assert_array_equal(got, want)
    assert results[0].history["val_loss"] == results[1].history["val_loss"]


def test_class_weights_weight_the_training_loss_only() -> None:
    spec = replace(
        BASE,
        layers=(BASE.layers[0], BASE.layers[2]),
        optimizer=Optimizer("sgd", learning_rate=0.0),
        epochs=1,
        batch_size=None,
    )
    (plain,) = _fit(spec)
    (weighted,) = _fit(replace(spec, class_weight={0: 3.0}))
    assert weighted.history["val_loss"] == plain.history["val_loss"]
    model = StackedModel(spec, 1)
    model.set_weights(plain.model.get_weights())
    y = Y[:45, None]
    per_sample = model.per_sample_loss(y, model.forward(X[:45]))[0]
    w = np.where(Y[:45] == 0, 3.0, 1.0)
    reg = float(model.regularization()[0])
    expected = float((w * per_sample).sum() / 45) + reg
    assert weighted.history["loss"][0] == pytest.approx(expected, rel=1e-12)


def test_balanced_class_weights_follow_scikit_learn() -> None:
    y = np.array([0, 0, 0, 1, 1, 1, 1, 1, 1, 2])
    assert balanced_class_weight(y) == pytest.approx({0: 10 / 9, 1: 10 / 18, 2: 10 / 3})
    one_hot = np.eye(3)[y]
    weights = sample_weights(one_hot, "balanced")
    assert weights is not None
    assert weights[9] == pytest.approx(10 / 3)
    custom = sample_weights(y[:, None].astype(float), {1: 2.0})
    assert custom is not None
    np.testing.assert_array_equal(custom, [1, 1, 1, 2, 2, 2, 2, 2, 2, 1])


def test_early_stopping_follows_keras_rules() -> None:
    es: EarlyStoppingMonitor[np.ndarray]
    es = EarlyStoppingMonitor(EarlyStopping(monitor="val_loss", patience=2, min_delta=0.05))
    w = np.zeros(1).copy
    values = [1.0, 0.9, 0.88, 0.87]
    stops = [es.on_epoch_end(epoch, v, w) for epoch, v in enumerate(values)]
    # 0.88 and 0.87 improve on 0.9 by less than min_delta: the second one exhausts patience.
    assert stops == [False, False, False, True]
    assert (es.best, es.best_epoch, es.stopped_epoch) == (0.9, 1, 3)
    acc: EarlyStoppingMonitor[np.ndarray]
    acc = EarlyStoppingMonitor(EarlyStopping(monitor="val_accuracy", patience=0))
    assert acc.maximise
    assert [acc.on_epoch_end(e, v, w) for e, v in enumerate([0.5, 0.6, 0.6])] == [
        False,
        False,
        True,
    ]


def test_early_stopping_restores_the_best_weights() -> None:
    # Validation labels are the opposite of the training labels: val_loss rises from epoch 0.
    stopping = EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)
    spec = replace(
        BASE, layers=(BASE.layers[0], BASE.layers[2]), epochs=30, early_stopping=stopping
    )
    data = FitData(X[:45], Y[:45], x_val=X[:45], y_val=1.0 - Y[:45])
    (res,) = _fit(spec, data)
    assert res.stopped_early and res.best_epoch == 0 and res.epochs_run == 4
    assert res.history["val_loss"] == sorted(res.history["val_loss"])
    restored = res.model.evaluate(X[:45], 1.0 - Y[:45])["loss"]
    assert restored == pytest.approx(res.history["val_loss"][0], rel=1e-12)
    no_restore = replace(stopping, restore_best_weights=False)
    (plain,) = _fit(replace(spec, early_stopping=no_restore), data)
    final = plain.model.evaluate(X[:45], 1.0 - Y[:45])["loss"]
    assert final == pytest.approx(plain.history["val_loss"][-1], rel=1e-12)


def test_early_stopping_on_a_missing_quantity_is_an_error() -> None:
    spec = replace(BASE, validation_split=0.0, early_stopping=EarlyStopping(monitor="val_loss"))
    with pytest.raises(DataError, match="val_loss"):
        _fit(spec)


def test_learning_rate_blowup_ends_diverged_while_other_seeds_continue() -> None:
    spec = ModelSpec(
        input_shape=(4,),
        layers=(Dense(16, Activation("relu")), Dense(1, Activation("linear"))),
        optimizer=Optimizer("sgd", learning_rate=50.0),
        loss="mse",
        epochs=20,
        batch_size=4,
    )
    results = _fit(spec, FitData(X, 100 * X[:, :1]), seeds=[0, 1])
    for res in results:
        assert res.diverged
        assert res.epochs_run < 20
        assert not np.isfinite(res.history["loss"][-1])
        assert np.isfinite(res.history["loss"][:-1]).all()
    calm = replace(spec, optimizer=Optimizer("sgd", learning_rate=1e-4))
    assert not any(r.diverged for r in _fit(calm, FitData(X, 100 * X[:, :1]), seeds=[0, 1]))


def test_a_seed_diverging_mid_epoch_leaves_the_others_as_if_trained_alone() -> None:
    spec = ModelSpec(
        input_shape=(4,),
        layers=(Dense(16, Activation("relu")), Dense(1, Activation("linear"))),
        optimizer=Optimizer("sgd", learning_rate=0.08),
        loss="mse",
        metrics=("mae",),
        epochs=20,
        batch_size=4,
    )
    data = FitData(X, 10 * X[:, :1])
    together = _fit(spec, data, seeds=[0, 2, 5])
    assert [r.diverged for r in together] == [True, False, True]
    assert [r.epochs_run for r in together] == [2, 20, 7]
    for res in together:
        (alone,) = _fit(spec, data, seeds=[res.seed])
        for key in ("loss", "mae"):
            np.testing.assert_allclose(res.history[key], alone.history[key], rtol=1e-12)
        for a, b in zip(alone.model.get_weights(), res.model.get_weights(), strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-12)


def test_on_epoch_end_is_called_per_seed_per_epoch() -> None:
    calls: list[tuple[int, int, str]] = []
    _fit(
        replace(BASE, epochs=2),
        seeds=[4, 9],
        on_epoch_end=lambda seed, epoch, logs: calls.append((seed, epoch, min(logs))),
    )
    assert sorted(calls) == [
        (4, 0, "accuracy"),
        (4, 1, "accuracy"),
        (9, 0, "accuracy"),
        (9, 1, "accuracy"),
    ]


def test_trained_model_reports_predictions_outputs_and_gradient_norms() -> None:
    (res,) = _fit(BASE)
    model = res.model
    pred = model.predict(X[:5])
    assert pred.shape == (5, 1) and np.all((pred > 0) & (pred < 1))
    outs = model.layer_outputs(X[:5])
    assert [o.shape for o in outs] == [(5, 8), (5, 1)]
    np.testing.assert_allclose(outs[-1], pred)
    norms = model.gradient_norms(X, Y)
    assert len(norms) == 2 and all(n > 0 for n in norms)
    evaluated = model.evaluate(X, Y)
    assert set(evaluated) == {"loss", "accuracy", "balanced_accuracy"}


def test_sparse_and_categorical_targets_train() -> None:
    labels = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0).astype(int)
    spec = replace(
        BASE,
        layers=(Dense(8, Activation("tanh")), Dense(3, Activation("softmax"))),
        loss="sparse_categorical_crossentropy",
        epochs=15,
        validation_split=0.0,
    )
    (sparse,) = _fit(spec, FitData(X, labels), shuffle=False)
    (onehot,) = _fit(
        replace(spec, loss="categorical_crossentropy"), FitData(X, np.eye(3)[labels]), shuffle=False
    )
    np.testing.assert_allclose(sparse.history["loss"], onehot.history["loss"], rtol=1e-12)
    np.testing.assert_allclose(sparse.history["accuracy"], onehot.history["accuracy"])
    assert sparse.history["accuracy"][-1] > 0.7


def test_bad_data_is_named() -> None:
    with pytest.raises(DataError, match=r"x_train.*\(n_samples, 4\)"):
        _fit(BASE, FitData(X[:, :3], Y))
    with pytest.raises(DataError, match=r"y_train: has 60 rows but the inputs have 59"):
        _fit(BASE, FitData(X[:59], Y))
    with pytest.raises(DataError, match=r"x_train.*NaN"):
        _fit(BASE, FitData(np.full((60, 4), np.nan), Y))
    with pytest.raises(DataError, match=r"class labels must be integers in \[0, 2\]"):
        spec = replace(
            BASE, layers=(Dense(3, Activation("softmax")),), loss="sparse_categorical_crossentropy"
        )
        _fit(spec, FitData(X, np.arange(60) % 4))
    with pytest.raises(DataError, match="validation_split"):
        _fit(replace(BASE, validation_split=0.99), FitData(X[:10], Y[:10]))
    with pytest.raises(DataError, match="seeds"):
        _fit(BASE, seeds=[-1])


def test_unsupported_layers_point_to_the_tensorflow_backend() -> None:
    spec = replace(BASE, input_shape=(8, 8, 1), layers=(Conv2D(4, (3, 3)), Flatten(), Dense(1)))
    with pytest.raises(UnsupportedByBackend, match=r"layers\[0\].*conv2d.*tensorflow"):
        NumpyBackend().supports(spec)
    with pytest.raises(UnsupportedByBackend, match="tensorflow"):
        _fit(spec)


def test_capabilities() -> None:
    caps = NumpyBackend().capabilities()
    assert set(caps) == {"layers", "activations", "optimizers", "losses", "metrics", "regularizers"}
    assert caps["layers"] == ["dense", "dropout"]
    assert "prelu" in caps["activations"] and "adadelta" in caps["optimizers"]
    assert NumpyBackend.name == "numpy"
