"""The generated datasets: shapes, determinism, splits, and the claims their descriptions make."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from training import datasets
from training.backends import get_backend
from training.datasets import DATASET_NAMES, Dataset, load_dataset, naive_last_value_mse
from training.errors import DataError
from training.spec import parse_spec

ARRAYS = ("x_train", "y_train", "x_val", "y_val", "x_test", "y_test")


def fit_numpy(spec: dict[str, Any], ds: Dataset, *, seed: int = 0) -> Any:
    """Train ``spec`` on ``ds`` with the NumPy backend; returns the trained model."""
    (result,) = get_backend("numpy").fit(parse_spec(spec), ds.to_fit_data(), seeds=(seed,))
    return result.model


def logistic_regression(
    x: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None
) -> np.ndarray:
    """Newton's method on the (weighted) log-likelihood; returns coefficients, bias last."""
    design = np.column_stack([x, np.ones(len(x))])
    target = y.ravel()
    w = np.ones(len(target)) if weights is None else weights
    beta = np.zeros(design.shape[1])
    for _ in range(25):
        p = 1.0 / (1.0 + np.exp(-design @ beta))
        gradient = design.T @ (w * (p - target)) + 1e-6 * beta
        hessian = (design * (w * p * (1 - p))[:, None]).T @ design + 1e-6 * np.eye(len(beta))
        beta -= np.linalg.solve(hessian, gradient)
    return beta


def lr_predict(beta: np.ndarray, x: np.ndarray) -> np.ndarray:
    return np.asarray(np.column_stack([x, np.ones(len(x))]) @ beta > 0.0)


def balanced_accuracy(pred: np.ndarray, y: np.ndarray) -> float:
    truth = y.ravel() > 0.5
    pred = pred.ravel()
    return float(0.5 * (np.mean(pred[truth]) + np.mean(~pred[~truth])))


# --------------------------------------------------------------------------- every set


@pytest.mark.parametrize("name", DATASET_NAMES)
def test_dataset_shapes_types_and_description(name: str) -> None:
    ds = load_dataset(name)
    assert ds.name == name
    assert ds.title and len(ds.description) > 80
    for x, y in (ds.split("train"), ds.split("validation"), ds.split("test")):
        assert x.shape[0] == y.shape[0] > 0
        assert x.shape[1:] == ds.x_train.shape[1:]
        assert x.dtype == np.float64
        assert np.all(np.isfinite(x))
    if ds.task == "binary":
        assert ds.y_train.shape[1:] == (1,)
        assert set(np.unique(ds.y_train)) == {0.0, 1.0}
    elif ds.task == "multiclass":
        assert ds.y_train.ndim == 1 and ds.y_train.dtype == np.int64
    elif ds.task == "regression":
        assert ds.y_train.shape[1:] == (1,)
    else:
        assert ds.task == "sequence-regression"
        assert ds.x_train.ndim == 3 and ds.x_train.shape[2] == 1
    if ds.x_train.ndim == 2:
        assert len(ds.feature_names) == ds.x_train.shape[1]
    summary = ds.summary()
    assert summary["rows"]["train"] == ds.x_train.shape[0]
    assert summary["input_shape"] == list(ds.x_train.shape[1:])


@pytest.mark.parametrize("name", DATASET_NAMES)
def test_dataset_is_deterministic_per_seed_and_differs_across_seeds(name: str) -> None:
    first = load_dataset(name, seed=3)
    assert load_dataset(name, seed=3) is first  # cached
    datasets._load_cached.cache_clear()
    again = load_dataset(name, seed=3)
    assert again is not first
    for key in ARRAYS:
        np.testing.assert_array_equal(getattr(first, key), getattr(again, key))
    other = load_dataset(name, seed=4)
    assert not np.array_equal(first.x_train, other.x_train)


@pytest.mark.parametrize("name", DATASET_NAMES)
def test_splits_are_disjoint(name: str) -> None:
    ds = load_dataset(name)
    rows = [
        {row.tobytes() for row in x.reshape(x.shape[0], -1)}
        for x in (ds.x_train, ds.x_val, ds.x_test)
    ]
    assert sum(len(r) for r in rows) == ds.x_train.shape[0] + ds.x_val.shape[0] + ds.x_test.shape[0]
    assert not rows[0] & rows[1] and not rows[0] & rows[2] and not rows[1] & rows[2]


def test_cached_arrays_are_read_only() -> None:
    ds = load_dataset("pima-like")
    with pytest.raises(ValueError, match="read-only"):
        ds.x_train[0, 0] = 1.0


def test_unknown_dataset_lists_the_known_names() -> None:
    with pytest.raises(DataError, match="unknown dataset 'mnist'; known datasets: pima-like, "):
        load_dataset("mnist")
    with pytest.raises(DataError, match="seed"):
        load_dataset("rainfall", seed=-1)


def test_describe_datasets_covers_every_set_in_order() -> None:
    described = datasets.describe_datasets()
    assert [d["name"] for d in described] == list(DATASET_NAMES)
    assert all(d["description"] for d in described)


def test_to_fit_data_passes_explicit_validation_and_test_rows() -> None:
    ds = load_dataset("small-tabular")
    data = ds.to_fit_data()
    assert data.x_val is ds.x_val and data.y_test is ds.y_test


def test_tabular_features_are_standardised_on_the_training_rows() -> None:
    for name in ("pima-like", "rainfall", "small-tabular", "imbalanced", "overfit-prone"):
        x = load_dataset(name).x_train
        np.testing.assert_allclose(x.mean(axis=0), 0.0, atol=1e-9)
        np.testing.assert_allclose(x.std(axis=0), 1.0, atol=1e-9)


# --------------------------------------------------------------------------- pima-like


def test_pima_like_matches_the_handout_example() -> None:
    ds = load_dataset("pima-like")
    total = ds.x_train.shape[0] + ds.x_val.shape[0] + ds.x_test.shape[0]
    assert total == 768 and ds.x_train.shape[1] == 8
    positives = np.concatenate([ds.y_train, ds.y_val, ds.y_test]).mean()
    assert 0.28 <= positives <= 0.42


def test_pima_like_mixes_informative_and_noisy_features() -> None:
    ds = load_dataset("pima-like")
    x = np.concatenate([ds.x_train, ds.x_val, ds.x_test])
    y = np.concatenate([ds.y_train, ds.y_val, ds.y_test]).ravel()
    correlation = {
        name: abs(np.corrcoef(x[:, i], y)[0, 1]) for i, name in enumerate(ds.feature_names)
    }
    assert correlation["glucose"] > 0.3
    assert correlation["skin_thickness"] < 0.15 and correlation["blood_pressure"] < 0.15


def test_pima_like_handout_network_reaches_the_expected_accuracy() -> None:
    ds = load_dataset("pima-like")
    spec = {
        "layers": [
            {"type": "dense", "units": 16, "activation": "relu", "input_dim": 8},
            {"type": "dense", "units": 8, "activation": "relu"},
            {"type": "dense", "units": 1, "activation": "sigmoid"},
        ],
        "optimizer": "adam",
        "loss": "binary_crossentropy",
        "metrics": ["accuracy"],
        "epochs": 10,
        "batch_size": 10,
    }
    model = fit_numpy(spec, ds)
    accuracy = model.evaluate(ds.x_val, ds.y_val)["accuracy"]
    assert 0.72 <= accuracy <= 0.9


# --------------------------------------------------------------------------- rainfall


def test_rainfall_needs_non_linear_activations() -> None:
    ds = load_dataset("rainfall")

    def spec(activation: str) -> dict[str, Any]:
        return {
            "layers": [
                {"type": "dense", "units": 16, "activation": activation, "input_dim": 3},
                {"type": "dense", "units": 8, "activation": activation},
                {"type": "dense", "units": 1, "activation": "linear"},
            ],
            "optimizer": {"name": "adam", "learning_rate": 0.01},
            "loss": "mse",
            "epochs": 20,
            "batch_size": 32,
        }

    linear = fit_numpy(spec("linear"), ds).evaluate(ds.x_val, ds.y_val)["loss"]
    relu = fit_numpy(spec("relu"), ds).evaluate(ds.x_val, ds.y_val)["loss"]
    tanh = fit_numpy(spec("tanh"), ds).evaluate(ds.x_val, ds.y_val)["loss"]
    # The best any network without activations can do is least squares.
    design = np.column_stack([ds.x_train, np.ones(len(ds.x_train))])
    beta = np.linalg.lstsq(design, ds.y_train, rcond=None)[0]
    ols = float(
        np.mean((np.column_stack([ds.x_val, np.ones(len(ds.x_val))]) @ beta - ds.y_val) ** 2)
    )
    assert linear >= 0.95 * ols
    assert relu < 0.5 * linear
    assert tanh < 0.5 * linear


def test_rainfall_only_when_humid_and_low_pressure() -> None:
    dry_air = datasets.rainfall_mm(np.array([20.0]), np.array([40.0]), np.array([990.0]))
    high_pressure = datasets.rainfall_mm(np.array([20.0]), np.array([95.0]), np.array([1030.0]))
    storm = datasets.rainfall_mm(np.array([20.0]), np.array([95.0]), np.array([995.0]))
    assert dry_air[0] == 0.0 and high_pressure[0] == 0.0 and storm[0] > 5.0


# --------------------------------------------------------------------------- stock-prices


def test_stock_prices_windows_and_naive_baseline() -> None:
    ds = load_dataset("stock-prices")
    assert ds.x_train.shape[1:] == (datasets.STOCK_TIMESTEPS, 1)
    assert ds.y_train.shape[1:] == (1,)
    expected = float(np.mean((ds.y_test[:, 0] - ds.x_test[:, -1, 0]) ** 2))
    assert naive_last_value_mse(ds) == pytest.approx(expected)
    assert naive_last_value_mse(ds, "validation") > 0.0


def test_stock_prices_are_predictable_beyond_the_naive_forecast() -> None:
    # A linear autoregression on the window (least squares) is a lower bar than an RNN; if it
    # beats the naive forecast clearly, the momentum and cycle are there to be learned.
    ds = load_dataset("stock-prices")
    x, x_test = ds.x_train[:, :, 0], ds.x_test[:, :, 0]
    beta = np.linalg.lstsq(np.column_stack([x, np.ones(len(x))]), ds.y_train, rcond=None)[0]
    ar = np.column_stack([x_test, np.ones(len(x_test))]) @ beta
    ar_mse = float(np.mean((ar - ds.y_test) ** 2))
    assert ar_mse < 0.75 * naive_last_value_mse(ds)


def test_naive_baseline_needs_a_sequence_dataset() -> None:
    with pytest.raises(DataError, match="sequence-regression"):
        naive_last_value_mse(load_dataset("rainfall"))


# --------------------------------------------------------------------------- small-tabular


def test_small_tabular_logistic_regression_does_as_well_as_an_ann() -> None:
    ds = load_dataset("small-tabular")
    assert ds.x_train.shape[0] + ds.x_val.shape[0] + ds.x_test.shape[0] == 500
    x_eval = np.concatenate([ds.x_val, ds.x_test])
    y_eval = np.concatenate([ds.y_val, ds.y_test]).ravel() > 0.5
    beta = logistic_regression(ds.x_train, ds.y_train)
    lr_accuracy = float(np.mean(lr_predict(beta, x_eval) == y_eval))
    spec = {
        "layers": [
            {"type": "dense", "units": 32, "activation": "relu", "input_dim": 6},
            {"type": "dense", "units": 16, "activation": "relu"},
            {"type": "dense", "units": 1, "activation": "sigmoid"},
        ],
        "optimizer": {"name": "adam", "learning_rate": 0.003},
        "loss": "binary_crossentropy",
        "metrics": ["accuracy"],
        "epochs": 40,
        "batch_size": 16,
    }
    model = fit_numpy(spec, ds)
    ann_accuracy = float(np.mean((model.predict(x_eval).ravel() > 0.5) == y_eval))
    assert lr_accuracy >= 0.7
    assert lr_accuracy >= ann_accuracy - 0.03


# --------------------------------------------------------------------------- imbalanced


def test_imbalanced_needs_class_weights_for_balanced_accuracy() -> None:
    ds = load_dataset("imbalanced")
    y = ds.y_train.ravel()
    assert 0.07 <= y.mean() <= 0.13
    balanced = np.where(y > 0.5, len(y) / (2 * y.sum()), len(y) / (2 * (len(y) - y.sum())))
    plain = balanced_accuracy(
        lr_predict(logistic_regression(ds.x_train, ds.y_train), ds.x_val), ds.y_val
    )
    weighted = balanced_accuracy(
        lr_predict(logistic_regression(ds.x_train, ds.y_train, balanced), ds.x_val), ds.y_val
    )
    assert plain < 0.7
    assert weighted > plain + 0.1


# --------------------------------------------------------------------------- small-images


def test_small_images_show_learnable_stripe_orientations() -> None:
    ds = load_dataset("small-images")
    assert ds.x_train.shape[1:] == (12, 12, 1)
    assert ds.x_train.min() >= 0.0 and ds.x_train.max() <= 1.0
    assert np.bincount(ds.y_train).tolist() == [120, 120, 120, 120]
    img = ds.x_test[..., 0]
    # Stripes are constant along their own direction: the smallest neighbour difference
    # along (row, column, anti-diagonal, diagonal) gives the class.
    along = np.stack(
        [
            np.mean((img[:, :, 1:] - img[:, :, :-1]) ** 2, axis=(1, 2)),  # horizontal stripes
            np.mean((img[:, 1:, :] - img[:, :-1, :]) ** 2, axis=(1, 2)),  # vertical stripes
            np.mean((img[:, 1:, :-1] - img[:, :-1, 1:]) ** 2, axis=(1, 2)),  # rows + cols const
            np.mean((img[:, 1:, 1:] - img[:, :-1, :-1]) ** 2, axis=(1, 2)),  # rows - cols const
        ],
        axis=1,
    )
    accuracy = float(np.mean(np.argmin(along, axis=1) == ds.y_test))
    assert accuracy > 0.9


# --------------------------------------------------------------------------- overfit-prone


def test_overfit_prone_big_network_memorises_but_does_not_generalise() -> None:
    ds = load_dataset("overfit-prone")
    assert ds.x_train.shape == (100, 40)
    spec = {
        "layers": [
            {"type": "dense", "units": 64, "activation": "relu", "input_dim": 40},
            {"type": "dense", "units": 64, "activation": "relu"},
            {"type": "dense", "units": 1, "activation": "sigmoid"},
        ],
        "optimizer": {"name": "adam", "learning_rate": 0.003},
        "loss": "binary_crossentropy",
        "metrics": ["accuracy"],
        "epochs": 60,
        "batch_size": 10,
    }
    model = fit_numpy(spec, ds)
    train_accuracy = model.evaluate(ds.x_train, ds.y_train)["accuracy"]
    test_accuracy = model.evaluate(ds.x_test, ds.y_test)["accuracy"]
    assert train_accuracy >= 0.97
    assert test_accuracy <= 0.75
