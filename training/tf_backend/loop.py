"""The compiled training program: one traced ``tf.function`` per epoch, batches in a graph loop.

A ``Program`` owns one Keras model, its optimizer and the traced functions for one model
architecture. ``train_epoch`` runs every batch of an epoch inside a ``tf.while_loop`` over a
pre-shuffled index vector (no per-step Python dispatch) and returns the epoch's sums:

- ``loss``: ``Σ_b n_b · L_b`` where ``L_b = mean_i(w_i · loss(y_i, p_i)) + R(θ)`` is the batch
  loss Keras minimises (sample weights ``w``, regularization ``R`` included), so the history
  value ``Σ_b n_b · L_b / Σ_b n_b`` is Keras' epoch ``loss``;
- per-sample metric sums on the training-mode predictions made before each update, as Keras'
  ``compute_metrics`` accumulates them;
- for balanced accuracy, per-class hit and row counts (mean recall = ``mean_c hits_c / rows_c``
  over classes that occur).

The loop stops at the first batch whose loss is NaN or ±inf (that batch's update is applied,
as in Keras with ``TerminateOnNaN``). The same call then evaluates the validation rows in
inference mode (``val_loss`` and validation metrics at the end of the epoch, as Keras does),
so an epoch costs one call into the graph.

Programs are cached by architecture (``program_for``), so consecutive fits of the same spec
reuse the traced functions and variables: each seed re-initialises the variables from a fresh
Keras build under ``keras.utils.set_random_seed(seed)`` and resets the optimizer's slots.
"""

from __future__ import annotations

import gc
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np

from training.spec import ModelSpec
from training.tf_backend._runtime import keras as _keras
from training.tf_backend._runtime import tensorflow as _tf
from training.tf_backend.builder import BuiltModel, build_model, make_loss, make_optimizer

# Serialises use of the cached programs (their variables are shared across fits).
LOCK = threading.RLock()
CACHE_SIZE = 4
# Rows per inference batch: the mean loss does not depend on it (up to rounding).
EVAL_CHUNK = 512

# Programs of the CACHE_SIZE most recently used architectures. Evicting a program frees its
# model, optimizer and traced graphs (and unregisters its custom gradient, see ``_forget``),
# but TensorFlow and Keras still keep roughly 0.3 MB of process-wide bookkeeping per new
# architecture for the life of the process. A long-lived worker that trains many different
# architectures therefore grows slowly: run such work in worker processes that are replaced
# after a bounded number of tasks (Celery's ``worker_max_tasks_per_child``), rather than
# relying on this cache to bound memory. ``bench/training_bench.py`` measures the growth.
_cache: OrderedDict[Hashable, Program] = OrderedDict()


def _key(spec: ModelSpec, dtype: str) -> Hashable:
    return (
        spec.input_shape,
        spec.layers,
        spec.optimizer,
        spec.loss,
        spec.metrics,
        dtype,
    )


def program_for(spec: ModelSpec, dtype: str) -> Program:
    """The cached program for this architecture, built (and traced lazily) on first use."""
    key = _key(spec, dtype)
    with LOCK:
        program = _cache.get(key)
        if program is not None:
            _cache.move_to_end(key)
            return program
        while len(_cache) >= CACHE_SIZE:
            _cache.popitem(last=False)
            gc.collect()
        program = Program(spec, dtype)
        _cache[key] = program
        return program


def _gradient_registry() -> dict[str, Any] | None:
    """TensorFlow's process-wide table of registered gradient functions (None if unknown)."""
    try:
        from tensorflow.python.framework import ops
    except ImportError:  # pragma: no cover - a TensorFlow without this internal module
        return None
    table = getattr(getattr(ops, "_gradient_registry", None), "_registry", None)
    return table if isinstance(table, dict) else None


def _custom_gradients() -> set[str] | None:
    registry = _gradient_registry()
    if registry is None:
        return None
    return {name for name in registry if name.startswith("CustomGradient-")}


def _forget(gradients: list[str]) -> None:
    """Unregister the custom gradients a freed program's traces registered.

    Keras' optimizer sums gradients with a one-replica all-reduce whose ``tf.custom_gradient``
    registers a gradient function in TensorFlow's global registry on every trace. That
    function holds the traced graph (and with it the loop functions in the eager context),
    and TensorFlow never unregisters it: without this, every architecture ever trained would
    keep several MB alive for the life of the process.
    """
    registry = _gradient_registry()
    if registry is not None:
        for name in gradients:
            registry.pop(name, None)


def clear_cache() -> None:
    """Drop every cached program and Keras' global state (layer-name counters)."""
    with LOCK:
        _cache.clear()
        _keras().backend.clear_session()
        gc.collect()


class Program:
    """One architecture's model, optimizer and compiled functions."""

    def __init__(self, spec: ModelSpec, dtype: str) -> None:
        tf = _tf()
        self.spec = spec
        self.dtype = dtype
        self.built: BuiltModel = build_model(spec, dtype=dtype)
        self.model = self.built.model
        self.optimizer = make_optimizer(spec.optimizer)
        self.optimizer.build(self.model.trainable_variables)
        self._optimizer_start = [np.array(v.numpy()) for v in self.optimizer.variables]
        self.loss_fn = make_loss(spec.loss, dtype=dtype)
        out_tail = tuple(int(d) for d in self.model.output_shape[1:])
        self.output_shape: tuple[int, ...] = out_tail
        self.units = out_tail[-1] if out_tail else 1
        self.sparse = spec.loss == "sparse_categorical_crossentropy"
        # Targets: class indices for the sparse loss, else one row shaped like the output.
        self.target_shape: tuple[int, ...] = () if self.sparse else out_tail
        self.n_classes = 2 if self.units == 1 else self.units
        self.metrics = tuple(spec.metrics)
        x_spec = tf.TensorSpec([None, *spec.input_shape], dtype)
        y_spec = tf.TensorSpec([None, *self.target_shape], dtype)
        w_spec = tf.TensorSpec([None], dtype)
        idx_spec = tf.TensorSpec([None], tf.int32)
        size_spec = tf.TensorSpec([], tf.int32)
        self._train_epoch = tf.function(
            self._train_epoch_graph,
            autograph=False,
            input_signature=[x_spec, y_spec, w_spec, idx_spec, size_spec, x_spec, y_spec],
        )
        self._evaluate = tf.function(
            self._evaluate_graph,
            input_signature=[x_spec, y_spec, size_spec],
            autograph=False,
        )
        self._predict = tf.function(
            lambda x: self.model(x, training=False), input_signature=[x_spec], autograph=False
        )
        self._grad_norms = tf.function(
            self._grad_norms_graph,
            input_signature=[x_spec, y_spec],
            autograph=False,
        )
        self._outputs_fn: Any = None
        self._x_spec = x_spec
        # Custom gradients this program's traces registered, unregistered when it is freed.
        self._gradients: list[str] = []
        self._traced: set[str] = set()
        weakref.finalize(self, _forget, self._gradients)

    def _call(self, name: str, function: Callable[..., Any], *args: Any) -> Any:
        """Call a compiled function; on its first call, note what its trace registered."""
        if name in self._traced:
            return function(*args)
        before = _custom_gradients()
        result = function(*args)
        after = _custom_gradients()
        self._traced.add(name)
        if before is not None and after is not None:
            self._gradients.extend(sorted(after - before))
        return result

    # -- state ---------------------------------------------------------------------------

    def reset(self, seed: int) -> None:
        """Seed every generator and re-initialise weights and optimizer slots for ``seed``."""
        keras = _keras()
        keras.utils.set_random_seed(seed)
        fresh = build_model(self.spec, dtype=self.dtype).model
        for target, source in zip(self.model.variables, fresh.variables, strict=True):
            target.assign(source)
        for variable, start in zip(self.optimizer.variables, self._optimizer_start, strict=True):
            variable.assign(start)
        del fresh

    def weight_shapes(self) -> list[tuple[int, ...]]:
        return [tuple(int(d) for d in w.shape) for w in self.model.weights]

    def get_weights(self) -> list[np.ndarray]:
        return [np.array(w) for w in self.model.get_weights()]

    def set_weights(self, weights: list[np.ndarray]) -> None:
        self.model.set_weights(weights)

    # -- graph pieces --------------------------------------------------------------------

    def _objective(self, y: Any, pred: Any, weights: Any) -> Any:
        """Keras' ``compute_loss``: the compiled loss plus every regularization term."""
        ops = _keras().ops
        loss = self.loss_fn(y, pred, sample_weight=weights)
        extra = self.model.losses
        if extra:
            return ops.sum([loss, *[ops.cast(term, loss.dtype) for term in extra]])
        return loss

    def _zero_stats(self) -> dict[str, Any]:
        tf = _tf()
        stats: dict[str, Any] = {
            "loss": tf.constant(0.0, tf.float64),
            "rows": tf.constant(0.0, tf.float64),
        }
        for name in self.metrics:
            if name == "balanced_accuracy":
                stats["hits"] = tf.zeros([self.n_classes], tf.float64)
                stats["totals"] = tf.zeros([self.n_classes], tf.float64)
            else:
                stats[name] = tf.constant(0.0, tf.float64)
        return stats

    def _classes(self, y: Any, pred: Any) -> tuple[Any, Any]:
        tf = _tf()
        if self.units == 1:
            predicted = tf.cast(tf.reshape(pred, [-1]) > 0.5, tf.int32)
        else:
            predicted = tf.cast(tf.argmax(tf.reshape(pred, [-1, self.units]), axis=-1), tf.int32)
        if self.sparse or self.units == 1:
            true = tf.cast(tf.round(tf.reshape(y, [-1])), tf.int32)
        else:
            true = tf.cast(tf.argmax(tf.reshape(y, [-1, self.units]), axis=-1), tf.int32)
        true = tf.clip_by_value(true, 0, self.n_classes - 1)
        return true, predicted

    @staticmethod
    def _row_means(values: Any, pred: Any) -> Any:
        """Average per-element values within each row, so every row counts once."""
        tf = _tf()
        return tf.reduce_mean(tf.reshape(values, [tf.shape(pred)[0], -1]), axis=-1)

    def _metric_sums(self, y: Any, pred: Any) -> dict[str, Any]:
        """Per-batch sums of each metric's per-sample values (Keras' MeanMetricWrapper)."""
        tf = _tf()
        sums: dict[str, Any] = {}
        for name in self.metrics:
            if name == "accuracy":
                if self.units == 1:
                    hit = tf.cast(tf.equal(tf.cast(pred > 0.5, y.dtype), y), tf.float64)
                else:
                    true, predicted = self._classes(y, pred)
                    hit = tf.cast(tf.equal(true, predicted), tf.float64)
                sums[name] = tf.reduce_sum(self._row_means(hit, pred))
            elif name in ("mse", "mae"):
                target = tf.cast(tf.reshape(y, tf.shape(pred)), pred.dtype)
                diff = pred - target
                err = tf.square(diff) if name == "mse" else tf.abs(diff)
                sums[name] = tf.reduce_sum(self._row_means(tf.cast(err, tf.float64), pred))
            elif name == "balanced_accuracy":
                true, predicted = self._classes(y, pred)
                hit = tf.cast(tf.equal(true, predicted), tf.float64)
                sums["hits"] = tf.math.unsorted_segment_sum(hit, true, self.n_classes)
                sums["totals"] = tf.math.unsorted_segment_sum(
                    tf.ones_like(hit), true, self.n_classes
                )
        return sums

    def _train_epoch_graph(
        self, x: Any, y: Any, w: Any, order: Any, batch_size: Any, x_val: Any, y_val: Any
    ) -> dict[str, Any]:
        """Train on every batch of ``order``, then evaluate on ``x_val`` (may have 0 rows)."""
        tf = _tf()
        n = tf.shape(order)[0]
        batches = (n + batch_size - 1) // batch_size
        variables = self.model.trainable_variables

        def cond(step: Any, finite: Any, stats: dict[str, Any]) -> Any:
            return tf.logical_and(step < batches, finite)

        def body(step: Any, finite: Any, stats: dict[str, Any]) -> Any:
            start = step * batch_size
            idx = order[start : tf.minimum(start + batch_size, n)]
            xb = tf.gather(x, idx)
            yb = tf.gather(y, idx)
            wb = tf.gather(w, idx)
            with tf.GradientTape() as tape:
                pred = self.model(xb, training=True)
                loss = self._objective(yb, pred, wb)
            grads = tape.gradient(loss, variables)
            self.optimizer.apply_gradients(zip(grads, variables, strict=True))
            rows = tf.cast(tf.shape(idx)[0], tf.float64)
            new = dict(stats)
            new["loss"] = stats["loss"] + tf.cast(loss, tf.float64) * rows
            new["rows"] = stats["rows"] + rows
            for name, value in self._metric_sums(yb, pred).items():
                new[name] = stats[name] + value
            return step + 1, tf.math.is_finite(loss), new

        _, finite, stats = tf.while_loop(
            cond, body, (tf.constant(0), tf.constant(True), self._zero_stats())
        )
        result: dict[str, Any] = dict(stats)
        result["finite"] = finite
        # Program order puts these variable reads after the loop's updates.
        val = self._evaluate_graph(x_val, y_val, tf.constant(EVAL_CHUNK, tf.int32))
        result.update({f"val/{key}": value for key, value in val.items()})
        return result

    def _evaluate_graph(self, x: Any, y: Any, batch_size: Any) -> dict[str, Any]:
        tf = _tf()
        n = tf.shape(x)[0]
        batches = (n + batch_size - 1) // batch_size
        weights = tf.ones([n], x.dtype)

        def body(step: Any, stats: dict[str, Any]) -> Any:
            start = step * batch_size
            end = tf.minimum(start + batch_size, n)
            xb, yb, wb = x[start:end], y[start:end], weights[start:end]
            pred = self.model(xb, training=False)
            loss = self._objective(yb, pred, wb)
            rows = tf.cast(end - start, tf.float64)
            new = dict(stats)
            new["loss"] = stats["loss"] + tf.cast(loss, tf.float64) * rows
            new["rows"] = stats["rows"] + rows
            for name, value in self._metric_sums(yb, pred).items():
                new[name] = stats[name] + value
            return step + 1, new

        _, stats = tf.while_loop(
            lambda step, stats: step < batches, body, (tf.constant(0), self._zero_stats())
        )
        return dict(stats)

    def _grad_norms_graph(self, x: Any, y: Any) -> Any:
        tf = _tf()
        kernels = self.built.kernels
        with tf.GradientTape() as tape:
            pred = self.model(x, training=False)
            loss = self._objective(y, pred, tf.ones([tf.shape(x)[0]], x.dtype))
        grads = tape.gradient(loss, kernels)
        return tf.stack([tf.cast(tf.norm(g), tf.float64) for g in grads])

    # -- numpy-facing calls ----------------------------------------------------------------

    def logs_from(self, stats: dict[str, Any], prefix: str = "") -> dict[str, float]:
        """Turn summed statistics into Keras-style logs (``loss``, metrics) with ``prefix``."""
        rows = float(stats["rows"])
        logs = {f"{prefix}loss": float(stats["loss"]) / rows if rows else float("nan")}
        for name in self.metrics:
            if name == "balanced_accuracy":
                hits = np.asarray(stats["hits"], dtype=np.float64)
                totals = np.asarray(stats["totals"], dtype=np.float64)
                present = totals > 0
                value = float(np.mean(hits[present] / totals[present])) if present.any() else 0.0
            else:
                value = float(stats[name]) / rows if rows else float("nan")
            logs[f"{prefix}{name}"] = value
        return logs

    def train_epoch(
        self,
        x: Any,
        y: Any,
        w: Any,
        order: np.ndarray,
        batch_size: int,
        validation: tuple[Any, Any] | None = None,
    ) -> tuple[dict[str, float], bool]:
        """Run one epoch over ``order``, then validate; return the logs and whether every
        batch loss was finite. Validation logs (``val_loss``...) only with ``validation``."""
        tf = _tf()
        if validation is None:
            x_val = tf.zeros([0, *self.spec.input_shape], self.dtype)
            y_val = tf.zeros([0, *self.target_shape], self.dtype)
        else:
            x_val, y_val = validation
        stats = self._call(
            "train_epoch",
            self._train_epoch,
            x,
            y,
            w,
            tf.constant(order, tf.int32),
            tf.constant(batch_size, tf.int32),
            x_val,
            y_val,
        )
        values = {k: v.numpy() for k, v in stats.items()}
        train = {k: v for k, v in values.items() if not k.startswith("val/")}
        logs = self.logs_from(train)
        if validation is not None:
            val = {k.removeprefix("val/"): v for k, v in values.items() if k.startswith("val/")}
            logs.update(self.logs_from(val, prefix="val_"))
        return logs, bool(values["finite"])

    def evaluate(self, x: Any, y: Any, prefix: str = "") -> dict[str, float]:
        """Loss (regularization included) and metrics in inference mode, unweighted."""
        tf = _tf()
        stats = self._call("evaluate", self._evaluate, x, y, tf.constant(EVAL_CHUNK, tf.int32))
        return self.logs_from({k: v.numpy() for k, v in stats.items()}, prefix)

    def predict(self, x: np.ndarray) -> np.ndarray:
        tf = _tf()
        parts = [
            np.asarray(self._predict(tf.constant(x[i : i + EVAL_CHUNK], self.dtype)))
            for i in range(0, len(x), EVAL_CHUNK)
        ]
        if not parts:
            return np.zeros((0, *self.output_shape), dtype=self.dtype)
        return np.concatenate(parts, axis=0)

    def layer_outputs(self, x: np.ndarray) -> list[np.ndarray]:
        tf = _tf()
        if self._outputs_fn is None:
            keras = _keras()
            probe = keras.Model(
                inputs=self.model.inputs, outputs=[layer.output for layer in self.built.outputs]
            )
            self._outputs_fn = tf.function(
                lambda inputs: probe(inputs, training=False),
                input_signature=[self._x_spec],
                autograph=False,
            )
        outputs = self._call("layer_outputs", self._outputs_fn, tf.constant(x, self.dtype))
        return [np.asarray(out) for out in outputs]

    def gradient_norms(self, x: Any, y: Any) -> list[float]:
        norms = self._call("gradient_norms", self._grad_norms, x, y)
        return [float(v) for v in norms.numpy()]
