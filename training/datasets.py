"""Datasets for the handout's scenarios, generated from a seed (nothing is downloaded).

Every set has fixed train/validation/test splits and a short description a student can read.
The same ``(name, seed)`` always gives the same arrays; ``load_dataset`` caches them and marks
the arrays read-only so that a cached set cannot be changed by accident.

Shapes and types:

- ``binary``: ``x`` is ``(n, features)`` float64, ``y`` is ``(n, 1)`` float64 of 0/1 (one
  sigmoid unit, ``binary_crossentropy``).
- ``multiclass``: ``y`` is ``(n,)`` int64 class indices (``sparse_categorical_crossentropy``).
- ``regression``: ``y`` is ``(n, 1)`` float64.
- ``sequence-regression``: ``x`` is ``(n, timesteps, 1)``, ``y`` is ``(n, 1)``.

Features are standardised with the mean and standard deviation of the training split only, so
that no information from the validation or test rows leaks into training.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from training.errors import DataError
from training.fitting import FitData

Task = Literal["binary", "multiclass", "regression", "sequence-regression"]
Split = Literal["train", "validation", "test"]


@dataclass(frozen=True, eq=False)
class Dataset:
    """One generated dataset with its fixed train/validation/test splits."""

    name: str
    title: str
    description: str
    task: Task
    feature_names: tuple[str, ...]
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    def to_fit_data(self) -> FitData:
        """The splits as a backend's ``FitData`` (explicit validation, so no validation_split)."""
        return FitData(
            x_train=self.x_train,
            y_train=self.y_train,
            x_val=self.x_val,
            y_val=self.y_val,
            x_test=self.x_test,
            y_test=self.y_test,
        )

    def split(self, which: Split) -> tuple[np.ndarray, np.ndarray]:
        """``(x, y)`` of the ``"train"``, ``"validation"`` or ``"test"`` split."""
        if which == "train":
            return self.x_train, self.y_train
        if which == "validation":
            return self.x_val, self.y_val
        if which == "test":
            return self.x_test, self.y_test
        raise DataError(f"unknown split {which!r}: choose 'train', 'validation' or 'test'")

    @property
    def n_classes(self) -> int | None:
        """Number of classes for classification sets, else None."""
        if self.task == "binary":
            return 2
        if self.task == "multiclass":
            return int(max(self.y_train.max(), self.y_val.max(), self.y_test.max())) + 1
        return None

    def summary(self) -> dict[str, Any]:
        """JSON-ready facts about the set: names, description, sizes and shapes."""
        return {
            "name": self.name,
            "title": self.title,
            "task": self.task,
            "description": self.description,
            "feature_names": list(self.feature_names),
            "input_shape": list(self.x_train.shape[1:]),
            "target_shape": list(self.y_train.shape[1:]),
            "n_classes": self.n_classes,
            "rows": {
                "train": int(self.x_train.shape[0]),
                "validation": int(self.x_val.shape[0]),
                "test": int(self.x_test.shape[0]),
            },
        }


# --------------------------------------------------------------------------- helpers


def _sigmoid(z: np.ndarray) -> np.ndarray:
    out: np.ndarray = 0.5 * (1.0 + np.tanh(0.5 * z))
    return out


def _split_indices(
    n: int, fractions: tuple[float, float], rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shuffled, disjoint train/validation/test row indices; ``fractions`` = (train, val)."""
    order = rng.permutation(n)
    n_train = round(n * fractions[0])
    n_val = round(n * fractions[1])
    return order[:n_train], order[n_train : n_train + n_val], order[n_train + n_val :]


def _stratified_split(
    y: np.ndarray, fractions: tuple[float, float], rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Like ``_split_indices`` but keeps each class's share equal across the splits."""
    parts: list[list[np.ndarray]] = [[], [], []]
    for cls in np.unique(y):
        rows = np.flatnonzero(y == cls)
        tr, va, te = _split_indices(rows.size, fractions, rng)
        parts[0].append(rows[tr])
        parts[1].append(rows[va])
        parts[2].append(rows[te])
    train, val, test = (rng.permutation(np.concatenate(p)) for p in parts)
    return train, val, test


def _standardise(x_train: np.ndarray, *others: np.ndarray) -> tuple[np.ndarray, ...]:
    """Scale every feature to mean 0 / std 1 using the training rows' statistics only."""
    mean = x_train.mean(axis=0)
    std = x_train.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    return tuple((a - mean) / std for a in (x_train, *others))


def _tabular(
    *,
    name: str,
    title: str,
    description: str,
    task: Task,
    feature_names: tuple[str, ...],
    x: np.ndarray,
    y: np.ndarray,
    fractions: tuple[float, float],
    rng: np.random.Generator,
    stratify: bool,
    scale_target: bool = False,
) -> Dataset:
    """Split rows, standardise the features (and optionally the target) on the training rows."""
    if stratify:
        tr, va, te = _stratified_split(y.ravel(), fractions, rng)
    else:
        tr, va, te = _split_indices(x.shape[0], fractions, rng)
    x_tr, x_va, x_te = _standardise(x[tr], x[va], x[te])
    y_tr, y_va, y_te = y[tr], y[va], y[te]
    if scale_target:
        y_tr, y_va, y_te = _standardise(y_tr, y_va, y_te)
    return Dataset(
        name=name,
        title=title,
        description=description,
        task=task,
        feature_names=feature_names,
        x_train=x_tr,
        y_train=y_tr,
        x_val=x_va,
        y_val=y_va,
        x_test=x_te,
        y_test=y_te,
    )


def _as_binary_targets(y: np.ndarray) -> np.ndarray:
    return y.astype(np.float64).reshape(-1, 1)


# --------------------------------------------------------------------------- generators


def _pima_like(seed: int) -> Dataset:
    """768 patients, 8 measurements, diabetes yes/no (the handout's ``input_dim=8``)."""
    rng = np.random.default_rng([seed, 1])
    n = 768
    age = 21.0 + rng.gamma(shape=2.0, scale=6.0, size=n)
    pregnancies = np.clip(rng.poisson(lam=0.6 + 0.1 * (age - 21.0)), 0, 17).astype(np.float64)
    glucose = np.clip(rng.normal(118.0, 30.0, n) + 0.3 * (age - 33.0), 45.0, 199.0)
    bmi = np.clip(rng.normal(32.0, 7.0, n), 18.0, 67.0)
    blood_pressure = np.clip(rng.normal(69.0, 12.0, n) + 0.15 * (age - 33.0), 30.0, 122.0)
    skin_thickness = np.clip(0.6 * (bmi - 32.0) + rng.normal(29.0, 8.5, n), 7.0, 99.0)
    insulin = np.clip(np.exp(rng.normal(4.6, 0.6, n) + 0.006 * (glucose - 118.0)), 14.0, 846.0)
    pedigree = np.clip(rng.lognormal(mean=-0.95, sigma=0.6, size=n), 0.08, 2.4)

    z_glu = (glucose - 118.0) / 30.0
    z_bmi = (bmi - 32.0) / 7.0
    z_age = (age - 33.0) / 12.0
    logit = (
        -1.45
        + 1.7 * z_glu
        + 0.6 * np.maximum(z_glu - 0.7, 0.0)  # risk climbs faster at high glucose
        + 1.0 * np.tanh(z_bmi + 0.4)  # overweight matters, extreme BMI adds little more
        + 0.6 * z_age
        - 0.25 * np.maximum(z_age - 1.5, 0.0)
        + 0.35 * np.log(pedigree / 0.4)
        + 0.08 * pregnancies
        + 0.05 * (blood_pressure - 69.0) / 12.0
    )
    y = (rng.random(n) < _sigmoid(logit)).astype(np.float64)
    x = np.column_stack(
        [pregnancies, glucose, blood_pressure, skin_thickness, insulin, bmi, pedigree, age]
    )
    return _tabular(
        name="pima-like",
        title="Diabetes screening (8 measurements)",
        description=(
            "768 patients described by 8 measurements (pregnancies, glucose, blood pressure, "
            "skin thickness, insulin, BMI, diabetes pedigree, age); predict whether the "
            "patient has diabetes (about 1 in 3 do). Some features carry real signal, some "
            "are mostly noise. Features are standardised. This is the 8-input binary "
            "classification the handout's Keras example (input_dim=8) is written for."
        ),
        task="binary",
        feature_names=(
            "pregnancies",
            "glucose",
            "blood_pressure",
            "skin_thickness",
            "insulin",
            "bmi",
            "diabetes_pedigree",
            "age",
        ),
        x=x,
        y=_as_binary_targets(y),
        fractions=(0.6, 0.2),
        rng=rng,
        stratify=True,
    )


def rainfall_mm(temperature: np.ndarray, humidity: np.ndarray, pressure: np.ndarray) -> np.ndarray:
    """The noise-free rainfall (mm) behind the ``rainfall`` set.

    It only rains when the air is humid and the pressure is low; then the amount grows with
    both the humidity surplus and the pressure deficit (a product, not a sum), and warm air
    holds more water, so temperature scales the amount.
    """
    wet = np.maximum(humidity - 65.0, 0.0) / 10.0
    low = np.maximum(1015.0 - pressure, 0.0) / 6.0
    warmth = 1.0 + 0.6 * np.tanh((temperature - 15.0) / 8.0)
    out: np.ndarray = 2.0 * wet * low * warmth
    return out


def _rainfall(seed: int) -> Dataset:
    rng = np.random.default_rng([seed, 2])
    n = 1000
    temperature = rng.normal(16.0, 7.0, n)
    humidity = np.clip(rng.normal(68.0, 14.0, n), 15.0, 100.0)
    pressure = rng.normal(1013.0, 7.0, n) - 0.08 * (humidity - 68.0)
    rain = rainfall_mm(temperature, humidity, pressure)
    rain = rain + rng.normal(0.0, 0.35, n) * (1.0 + 0.1 * rain)
    rain = np.maximum(rain, 0.0)
    x = np.column_stack([temperature, humidity, pressure])
    return _tabular(
        name="rainfall",
        title="Tomorrow's rainfall from temperature, humidity and pressure",
        description=(
            "1000 days of weather readings (temperature in °C, relative humidity in %, air "
            "pressure in hPa) and the next day's rainfall. It rains only when the air is "
            "humid AND the pressure is low, and the amount depends on how far both are from "
            "those thresholds: a non-linear relationship, like the handout's weather-app "
            "checkpoint. Features and rainfall are standardised; the loss is mse."
        ),
        task="regression",
        feature_names=("temperature", "humidity", "pressure"),
        x=x,
        y=rain.reshape(-1, 1),
        fractions=(0.6, 0.2),
        rng=rng,
        stratify=False,
        scale_target=True,
    )


STOCK_TIMESTEPS = 20


def _price_series(rng: np.random.Generator, n: int) -> np.ndarray:
    """A geometric random walk with drift, a 20-day cycle and momentum in the daily returns."""
    returns = np.empty(n)
    previous = 0.0
    drift = 0.0004
    momentum = 0.6
    shocks = rng.normal(0.0, 0.01, n)
    for t in range(n):
        seasonal = 0.004 * np.sin(2.0 * np.pi * t / 20.0)
        previous = drift + momentum * previous + seasonal + shocks[t]
        returns[t] = previous
    prices: np.ndarray = 100.0 * np.exp(np.cumsum(returns))
    return prices


def _windows(log_prices: np.ndarray, timesteps: int) -> tuple[np.ndarray, np.ndarray]:
    """Sliding windows; each is scaled relative to its own first price (see the description)."""
    n = log_prices.size - timesteps
    idx = np.arange(timesteps)[None, :] + np.arange(n)[:, None]
    window = log_prices[idx]
    base = window[:, :1]
    x = (window - base) / _STOCK_SCALE
    y = (log_prices[timesteps:, None] - base) / _STOCK_SCALE
    return x[:, :, None], y


_STOCK_SCALE = 0.05  # 5 % move of the log-price = 1.0 in the scaled units


def _stock_prices(seed: int) -> Dataset:
    rng = np.random.default_rng([seed, 3])
    prices = _price_series(rng, 1500)
    log_prices = np.log(prices)
    # Chronological, non-overlapping segments: no price appears in two splits, and the model
    # is validated and tested on later days than it was trained on.
    cut1, cut2 = 900, 1200
    parts = [log_prices[:cut1], log_prices[cut1:cut2], log_prices[cut2:]]
    (x_tr, y_tr), (x_va, y_va), (x_te, y_te) = (_windows(p, STOCK_TIMESTEPS) for p in parts)
    return Dataset(
        name="stock-prices",
        title="Next-day stock price from the last 20 days",
        description=(
            "1500 daily prices of a simulated stock (a random walk with a slow upward trend, "
            "a 20-day cycle and momentum: a rising day tends to be followed by another). "
            "Each sample is a window of 20 consecutive days, shape (20, 1), and the target is "
            "the next day's price. Prices are on a log scale relative to the window's first "
            "day (1.0 = a 5 % move). Training, validation and test are consecutive, "
            "non-overlapping periods. Beat the naive forecast 'tomorrow = today' with a "
            "recurrent network (SimpleRNN or LSTM), as the handout's checkpoint suggests."
        ),
        task="sequence-regression",
        feature_names=("log_price",),
        x_train=x_tr,
        y_train=y_tr,
        x_val=x_va,
        y_val=y_va,
        x_test=x_te,
        y_test=y_te,
    )


def _small_tabular(seed: int) -> Dataset:
    rng = np.random.default_rng([seed, 4])
    n = 500
    n_features = 6
    cov = 0.3 * np.ones((n_features, n_features)) + 0.7 * np.eye(n_features)
    # Cholesky, not the default SVD: cov has a repeated eigenvalue, whose eigenvectors each
    # LAPACK build may choose differently, so the SVD drew other rows on other CPUs.
    x = rng.multivariate_normal(np.zeros(n_features), cov, size=n, method="cholesky")
    weights = np.array([1.4, -1.0, 0.8, 0.5, 0.0, 0.0])
    y = (rng.random(n) < _sigmoid(x @ weights + 0.2)).astype(np.float64)
    return _tabular(
        name="small-tabular",
        title="500 customers: will they renew?",
        description=(
            "500 rows with 6 numeric features (2 of them carry no signal) and a yes/no "
            "target whose log-odds are a weighted sum of the features plus noise. With so "
            "few rows and a linear truth, logistic regression (a single sigmoid unit) does "
            "as well as a bigger ANN, which is the handout's answer for 500 samples. "
            "Features are standardised."
        ),
        task="binary",
        feature_names=tuple(f"feature_{i + 1}" for i in range(n_features)),
        x=x,
        y=_as_binary_targets(y),
        fractions=(0.6, 0.2),
        rng=rng,
        stratify=True,
    )


def _imbalanced(seed: int) -> Dataset:
    rng = np.random.default_rng([seed, 5])
    n = 2000
    n_features = 6
    y = (rng.random(n) < 0.1).astype(np.float64)
    x = rng.normal(0.0, 1.0, (n, n_features))
    shift = np.array([1.2, 1.0, 0.7, 0.0, 0.0, 0.0])  # positives sit a little off-centre
    x = x + y[:, None] * shift
    return _tabular(
        name="imbalanced",
        title="Fraud detection: 1 transaction in 10 is fraud",
        description=(
            "2000 transactions with 6 standardised features; about 10 % are fraudulent. "
            "Frauds overlap with normal transactions, so a model trained without class "
            "weights learns to answer 'not fraud' almost always: high accuracy, poor "
            "balanced accuracy. Class weights (class_weight='balanced'), the handout's "
            "remedy for data imbalance, fix that. Judge it with balanced accuracy."
        ),
        task="binary",
        feature_names=tuple(f"feature_{i + 1}" for i in range(n_features)),
        x=x,
        y=_as_binary_targets(y),
        fractions=(0.6, 0.2),
        rng=rng,
        stratify=True,
    )


IMAGE_SIZE = 12
IMAGE_CLASSES: tuple[str, ...] = (
    "horizontal stripes",
    "vertical stripes",
    "diagonal stripes (\\)",
    "diagonal stripes (/)",
)


def _stripe_images(rng: np.random.Generator, labels: np.ndarray) -> np.ndarray:
    """12x12 grayscale stripe patterns, one orientation per class, with noise."""
    n = labels.size
    rows, cols = np.mgrid[0:IMAGE_SIZE, 0:IMAGE_SIZE].astype(np.float64)
    coordinate = np.stack([rows, cols, rows + cols, rows - cols])[labels]  # (n, 12, 12)
    period = rng.uniform(3.0, 6.0, n)[:, None, None]
    phase = rng.uniform(0.0, 2.0 * np.pi, n)[:, None, None]
    contrast = rng.uniform(0.6, 1.0, n)[:, None, None]
    pattern = np.sin(2.0 * np.pi * coordinate / period + phase)
    images = 0.5 + 0.5 * contrast * pattern + rng.normal(0.0, 0.25, (n, IMAGE_SIZE, IMAGE_SIZE))
    result: np.ndarray = np.clip(images, 0.0, 1.0)[..., None]
    return result


def _small_images(seed: int) -> Dataset:
    rng = np.random.default_rng([seed, 6])
    n = 800
    labels = np.repeat(np.arange(len(IMAGE_CLASSES)), n // len(IMAGE_CLASSES))
    images = _stripe_images(rng, labels)
    tr, va, te = _stratified_split(labels, (0.6, 0.2), rng)
    return Dataset(
        name="small-images",
        title="Stripe orientation in small images",
        description=(
            "800 grayscale images of 12x12 pixels, shape (12, 12, 1), pixel values in "
            "[0, 1], each showing noisy stripes in one of 4 orientations: "
            + ", ".join(f"{i} = {c}" for i, c in enumerate(IMAGE_CLASSES))
            + ". Labels are class numbers (use sparse_categorical_crossentropy and a "
            "4-unit softmax output). Made for a small CNN (Conv2D, MaxPooling2D, Flatten)."
        ),
        task="multiclass",
        feature_names=("pixel",),
        x_train=images[tr],
        y_train=labels[tr].astype(np.int64),
        x_val=images[va],
        y_val=labels[va].astype(np.int64),
        x_test=images[te],
        y_test=labels[te].astype(np.int64),
    )


def _overfit_prone(seed: int) -> Dataset:
    rng = np.random.default_rng([seed, 7])
    n_train, n_val, n_test = 100, 100, 200
    n = n_train + n_val + n_test
    n_features = 40
    x = rng.normal(0.0, 1.0, (n, n_features))
    logit = 1.1 * x[:, 0] - 0.9 * x[:, 1] + 0.6 * x[:, 0] * x[:, 2]
    y = (rng.random(n) < _sigmoid(logit)).astype(np.float64)
    train, val = n_train / n, n_val / n
    return _tabular(
        name="overfit-prone",
        title="Few rows, many features: easy to overfit",
        description=(
            "400 rows with 40 standardised features of which only 3 matter; only 100 rows "
            "are for training. A big network memorises the training rows (close to 100 % "
            "training accuracy) but scores little better than a coin toss on unseen rows, the "
            "handout's '98 % on training, 60 % on test' overfitting scenario. Remedies: "
            "dropout, L2 regularization, early stopping, a smaller model."
        ),
        task="binary",
        feature_names=tuple(f"feature_{i + 1}" for i in range(n_features)),
        x=x,
        y=_as_binary_targets(y),
        fractions=(train, val),
        rng=rng,
        stratify=True,
    )


_GENERATORS: dict[str, Callable[[int], Dataset]] = {
    "pima-like": _pima_like,
    "rainfall": _rainfall,
    "stock-prices": _stock_prices,
    "small-tabular": _small_tabular,
    "imbalanced": _imbalanced,
    "small-images": _small_images,
    "overfit-prone": _overfit_prone,
}

DATASET_NAMES: tuple[str, ...] = tuple(_GENERATORS)


def _freeze(dataset: Dataset) -> Dataset:
    for array in (
        dataset.x_train,
        dataset.y_train,
        dataset.x_val,
        dataset.y_val,
        dataset.x_test,
        dataset.y_test,
    ):
        array.setflags(write=False)
    return dataset


@functools.lru_cache(maxsize=64)
def _load_cached(name: str, seed: int) -> Dataset:
    return _freeze(_GENERATORS[name](seed))


def load_dataset(name: str, seed: int = 0) -> Dataset:
    """The dataset called ``name`` generated from ``seed`` (cached; arrays are read-only).

    Raises ``DataError`` listing the known names when ``name`` is unknown.
    """
    if name not in _GENERATORS:
        raise DataError(f"unknown dataset {name!r}; known datasets: {', '.join(DATASET_NAMES)}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise DataError(f"dataset seed must be an integer, got {seed!r}")
    if seed < 0:
        raise DataError(f"dataset seed must be 0 or more, got {seed}")
    return _load_cached(name, int(seed))


def describe_datasets(seed: int = 0) -> list[dict[str, Any]]:
    """``Dataset.summary()`` of every set, in ``DATASET_NAMES`` order."""
    return [load_dataset(name, seed).summary() for name in DATASET_NAMES]


def naive_last_value_mse(dataset: Dataset, split: Split = "test") -> float:
    """Mean squared error of the forecast "next value = last value in the window".

    The baseline a sequence model has to beat on ``stock-prices`` (any
    ``sequence-regression`` set), in the dataset's scaled units.
    """
    if dataset.task != "sequence-regression":
        raise DataError(
            f"naive_last_value_mse needs a sequence-regression dataset, "
            f"{dataset.name!r} is {dataset.task}"
        )
    x, y = dataset.split(split)
    forecast = x[:, -1, :]
    return float(np.mean((y - forecast) ** 2))
