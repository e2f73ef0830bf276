"""The TensorFlow backend: the spec as a Keras model, trained with ``model.fit`` semantics.

``TensorflowBackend().fit`` gives the history Keras' ``model.fit`` would give for the same
initial weights and batch order, but runs each epoch as one compiled graph (see ``loop.py``):

- ``validation_split`` holds out the rows from ``⌊n·(1 - split)⌋`` on, before shuffling, as
  Keras does; explicit ``x_val``/``y_val`` take precedence;
- with shuffling on, each epoch's order is a permutation drawn from
  ``numpy.random.default_rng(seed)``; off, rows are taken in order;
- ``class_weight`` becomes per-sample weights on the training rows only: ``"balanced"`` gives
  class ``c`` the weight ``n / (k · n_c)`` over the ``k`` classes present; a dict maps class
  index to weight (classes it omits weigh 1, as in Keras);
- after each epoch ``val_loss`` and validation metrics are computed in inference mode;
- early stopping follows ``keras.callbacks.EarlyStopping`` (``best_epoch`` is 0-based);
- training stops after the first epoch whose loss is NaN/inf (``diverged=True``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from training.early_stopping import EarlyStoppingMonitor
from training.errors import DataError
from training.fitting import EpochCallback, FitData, FitResult, check_fit_limits
from training.spec import DEFAULT_LIMITS, Limits, ModelSpec
from training.tf_backend import builder
from training.tf_backend._runtime import tensorflow as _tf
from training.tf_backend.loop import LOCK, Program, program_for


def capabilities() -> dict[str, list[str]]:
    """What the TensorFlow backend supports: layers, activations, optimizers, losses, ..."""
    return builder.capabilities()


class TfTrainedModel:
    """A trained model: its final weights on the (shared) program of its architecture.

    Every call loads these weights into the program's Keras model first, so results of
    several seeds or fits can be used in any order.
    """

    def __init__(self, program: Program, weights: list[np.ndarray]) -> None:
        self._program = program
        self._weights = [np.array(w, copy=True) for w in weights]

    @property
    def keras_model(self) -> Any:
        """The Keras model, holding this result's weights (shared: do not keep it)."""
        self._program.set_weights(self._weights)
        return self._program.model

    def with_weights(self, weights: list[np.ndarray]) -> TfTrainedModel:
        """The same architecture holding ``weights`` (Keras ``get_weights()`` order)."""
        return TfTrainedModel(
            self._program,
            _check_initial_weights(weights, self._program.weight_shapes(), "weights"),
        )

    def _x(self, x: np.ndarray) -> np.ndarray:
        return _check_x(np.asarray(x), self._program.spec, "x", self._program.dtype)

    def _y(self, y: np.ndarray, rows: int) -> np.ndarray:
        return _shape_targets(np.asarray(y), self._program, rows, "y")

    def predict(self, x: np.ndarray) -> np.ndarray:
        x = self._x(x)
        with LOCK:
            self._program.set_weights(self._weights)
            return self._program.predict(x)

    def evaluate(self, x: np.ndarray, y: np.ndarray) -> dict[str, float]:
        x = self._x(x)
        y = self._y(y, len(x))
        tf = _tf()
        with LOCK:
            self._program.set_weights(self._weights)
            return self._program.evaluate(tf.constant(x), tf.constant(y))

    def get_weights(self) -> list[np.ndarray]:
        return [np.array(w, copy=True) for w in self._weights]

    def layer_outputs(self, x: np.ndarray) -> list[np.ndarray]:
        x = self._x(x)
        with LOCK:
            self._program.set_weights(self._weights)
            return self._program.layer_outputs(x)

    def gradient_norms(self, x: np.ndarray, y: np.ndarray) -> list[float]:
        x = self._x(x)
        y = self._y(y, len(x))
        tf = _tf()
        with LOCK:
            self._program.set_weights(self._weights)
            return self._program.gradient_norms(tf.constant(x), tf.constant(y))


@dataclass
class _Prepared:
    x: np.ndarray
    y: np.ndarray
    weights: np.ndarray
    x_val: np.ndarray | None
    y_val: np.ndarray | None


def _check_x(x: np.ndarray, spec: ModelSpec, name: str, dtype: str) -> np.ndarray:
    if x.ndim < 2 or tuple(x.shape[1:]) != tuple(spec.input_shape):
        raise DataError(
            f"{name} has shape {tuple(x.shape)}, but the spec's input_shape "
            f"{tuple(spec.input_shape)} needs (rows, {', '.join(map(str, spec.input_shape))})"
        )
    try:
        out = np.asarray(x, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{name} must be numeric: {exc}") from exc
    if not np.all(np.isfinite(out)):
        raise DataError(f"{name} contains NaN or infinite values")
    return out


def _shape_targets(y: np.ndarray, program: Program, rows: int, name: str) -> np.ndarray:
    if y.shape[:1] != (rows,):
        raise DataError(f"{name} has {y.shape[0] if y.ndim else 0} rows, expected {rows}")
    try:
        y = np.asarray(y, dtype=program.dtype)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{name} must be numeric: {exc}") from exc
    if not np.all(np.isfinite(y)):
        raise DataError(f"{name} contains NaN or infinite values")
    if program.sparse:
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if y.ndim != 1:
            raise DataError(
                f"{name} has shape {tuple(y.shape)}; sparse_categorical_crossentropy needs "
                "one class index per row"
            )
        if np.any(y != np.round(y)) or np.any(y < 0) or np.any(y >= program.units):
            raise DataError(
                f"{name} must hold class indices 0..{program.units - 1} for "
                "sparse_categorical_crossentropy"
            )
        return y
    want = program.target_shape
    if y.ndim == 1 and want == (1,):
        y = y.reshape(-1, 1)
    if tuple(y.shape[1:]) != want:
        raise DataError(
            f"{name} has shape {tuple(y.shape)}, but the output layer gives "
            f"(rows, {', '.join(map(str, want))})"
        )
    return y


def _class_indices(y: np.ndarray) -> np.ndarray:
    """Keras' rule: argmax of one-hot rows, else the rounded label."""
    if y.ndim > 1 and y.shape[-1] != 1:
        return np.asarray(np.argmax(y.reshape(len(y), -1), axis=-1), dtype=np.int64)
    return np.round(y.reshape(len(y))).astype(np.int64)


def sample_weights(y: np.ndarray, class_weight: Any, dtype: str) -> np.ndarray:
    """Per-row weights for ``class_weight`` (``None``, ``"balanced"`` or ``{class: weight}``)."""
    weights = np.ones(len(y), dtype=dtype)
    if class_weight is None:
        return weights
    classes = _class_indices(y)
    if class_weight == "balanced":
        present, counts = np.unique(classes, return_counts=True)
        table = {
            int(c): len(classes) / (len(present) * int(k))
            for c, k in zip(present, counts, strict=True)
        }
    elif isinstance(class_weight, dict):
        table = {int(k): float(v) for k, v in class_weight.items()}
    else:
        raise DataError(f"class_weight must be 'balanced' or a dict, got {class_weight!r}")
    for index, cls in enumerate(classes):
        weights[index] = table.get(int(cls), 1.0)
    return weights


def _prepare(spec: ModelSpec, data: FitData, program: Program) -> _Prepared:
    dtype = program.dtype
    x = _check_x(np.asarray(data.x_train), spec, "x_train", dtype)
    y = _shape_targets(np.asarray(data.y_train), program, len(x), "y_train")
    if len(x) == 0:
        raise DataError("x_train has no rows")
    x_val: np.ndarray | None = None
    y_val: np.ndarray | None = None
    if (data.x_val is None) != (data.y_val is None):
        raise DataError("x_val and y_val must be given together")
    if data.x_val is not None and data.y_val is not None:
        x_val = _check_x(np.asarray(data.x_val), spec, "x_val", dtype)
        y_val = _shape_targets(np.asarray(data.y_val), program, len(x_val), "y_val")
    elif spec.validation_split > 0:
        split_at = math.floor(len(x) * (1.0 - spec.validation_split))
        if split_at in (0, len(x)):
            raise DataError(
                f"validation_split {spec.validation_split} leaves "
                f"{split_at} of {len(x)} rows for training; use more rows or another split"
            )
        x, x_val = x[:split_at], x[split_at:]
        y, y_val = y[:split_at], y[split_at:]
    weights = sample_weights(y, spec.class_weight, dtype)
    return _Prepared(x=x, y=y, weights=weights, x_val=x_val, y_val=y_val)


def _check_initial_weights(
    initial: list[np.ndarray], shapes: list[tuple[int, ...]], name: str = "initial_weights"
) -> list[np.ndarray]:
    if len(initial) != len(shapes):
        raise DataError(
            f"{name} has {len(initial)} arrays; this model has {len(shapes)} "
            f"(Keras get_weights() order: shapes {shapes})"
        )
    out: list[np.ndarray] = []
    for index, (array, shape) in enumerate(zip(initial, shapes, strict=True)):
        array = np.asarray(array)
        if tuple(array.shape) != shape:
            raise DataError(f"{name}[{index}] has shape {tuple(array.shape)}, expected {shape}")
        if not np.all(np.isfinite(array)):
            raise DataError(f"{name}[{index}] contains NaN or infinite values")
        out.append(array)
    return out


class TensorflowBackend:
    """Trains a spec as a tf.keras model in a compiled loop; ``dtype`` float32 or float64.

    ``limits`` bound the cost of each ``fit`` call (all its seeds together). Seeds train one
    after another, so each result's ``seconds`` is that seed's own training time.
    """

    name = "tensorflow"
    trains_seeds_together = False  # one seed after another, each in its own compiled loop

    def __init__(self, dtype: str = "float32", *, limits: Limits = DEFAULT_LIMITS) -> None:
        if dtype not in builder.DTYPES:
            raise ValueError(f"dtype must be one of {builder.DTYPES}, got {dtype!r}")
        self.dtype = dtype
        self.limits = limits

    def supports(self, spec: ModelSpec) -> None:
        builder.check_supported(spec)

    def capabilities(self) -> dict[str, list[str]]:
        return capabilities()

    def fit(
        self,
        spec: ModelSpec,
        data: FitData,
        *,
        seeds: Sequence[int] = (0,),
        initial_weights: list[np.ndarray] | None = None,
        shuffle: bool | None = None,
        on_epoch_end: EpochCallback | None = None,
    ) -> list[FitResult]:
        self.supports(spec)
        seeds = [int(seed) for seed in seeds]
        if not seeds:
            raise DataError("seeds is empty: give at least one seed")
        check_fit_limits(spec, data, n_seeds=len(seeds), limits=self.limits)
        tf = _tf()
        with LOCK:
            program = program_for(spec, self.dtype)
            prepared = _prepare(spec, data, program)
            start_weights = (
                _check_initial_weights(initial_weights, program.weight_shapes())
                if initial_weights is not None
                else None
            )
            x, y = tf.constant(prepared.x), tf.constant(prepared.y)
            w = tf.constant(prepared.weights)
            val = (
                (tf.constant(prepared.x_val), tf.constant(prepared.y_val))
                if prepared.x_val is not None and prepared.y_val is not None
                else None
            )
            rows = len(prepared.x)
            batch_size = rows if spec.batch_size is None else min(spec.batch_size, rows)
            do_shuffle = spec.shuffle if shuffle is None else shuffle
            return [
                self._fit_seed(
                    program,
                    spec,
                    seed,
                    x,
                    y,
                    w,
                    val,
                    rows,
                    batch_size,
                    do_shuffle,
                    start_weights,
                    on_epoch_end,
                )
                for seed in seeds
            ]

    def _fit_seed(
        self,
        program: Program,
        spec: ModelSpec,
        seed: int,
        x: Any,
        y: Any,
        w: Any,
        val: tuple[Any, Any] | None,
        rows: int,
        batch_size: int,
        do_shuffle: bool,
        start_weights: list[np.ndarray] | None,
        on_epoch_end: EpochCallback | None,
    ) -> FitResult:
        started = time.perf_counter()
        program.reset(seed)
        if start_weights is not None:
            program.set_weights(start_weights)
        rng = np.random.default_rng(seed)
        stopper: EarlyStoppingMonitor[list[np.ndarray]] | None = (
            EarlyStoppingMonitor(spec.early_stopping) if spec.early_stopping is not None else None
        )
        monitor_seen = False
        history: dict[str, list[float]] = {}
        diverged = stopped = False
        epochs_run = 0
        for epoch in range(spec.epochs):
            order = rng.permutation(rows) if do_shuffle else np.arange(rows)
            logs, finite = program.train_epoch(x, y, w, order, batch_size, val)
            for key, value in logs.items():
                history.setdefault(key, []).append(value)
            epochs_run = epoch + 1
            if on_epoch_end is not None:
                on_epoch_end(seed, epoch, dict(logs))
            if not finite or not math.isfinite(logs["loss"]):
                diverged = True
                break
            current = logs.get(stopper.config.monitor) if stopper is not None else None
            if stopper is not None and current is not None:
                monitor_seen = True
                if stopper.on_epoch_end(epoch, current, program.get_weights):
                    stopped = True
                    break
        extra: dict[str, Any] = {"backend": "tensorflow", "dtype": program.dtype}
        best_epoch: int | None = None
        if stopper is not None:
            best_epoch = stopper.best_epoch
            if not monitor_seen:
                extra["warning"] = (
                    f"early_stopping.monitor {stopper.config.monitor!r} "
                    f"is not in the history ({', '.join(history)}); early stopping did nothing"
                )
                best_epoch = None
            if stopper.best_weights is not None:
                program.set_weights(stopper.best_weights)
        return FitResult(
            seed=seed,
            history=history,
            model=TfTrainedModel(program, program.get_weights()),
            epochs_run=epochs_run,
            stopped_early=stopped,
            best_epoch=best_epoch,
            diverged=diverged,
            seconds=time.perf_counter() - started,
            extra=extra,
        )
