"""One seed's trained network, as checks and diagnostics see it (the ``TrainedModel`` protocol)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from training.numpy_backend.data import prepare_inputs, prepare_targets
from training.numpy_backend.metrics import MetricAccumulator, target_kind
from training.numpy_backend.model import StackedModel
from training.spec import ModelSpec

__all__ = ["NumpyTrainedModel", "evaluate_stacked"]

# Bound on the elements of one layer's activations while evaluating in chunks.
_CHUNK_ELEMENTS = 2_000_000


def _chunk_rows(model: StackedModel) -> int:
    width = max([model.spec.input_shape[0]] + [d.units for d in model.dense_layers])
    return max(1, _CHUNK_ELEMENTS // (model.n_seeds * width))


def evaluate_stacked(
    model: StackedModel, x: np.ndarray, y: np.ndarray, metric_names: Sequence[str]
) -> dict[str, np.ndarray]:
    """Inference-mode loss (regularization included) and metrics per seed, each ``(S,)``.

    Equal to Keras' ``evaluate``: the mean of the per-batch losses weighted by batch size is
    the mean over all rows, so the rows are processed in memory-bounded chunks.
    """
    kind = target_kind(model.spec.loss, model.output_units)
    n_classes = max(2, model.output_units)
    labels = model.spec.loss == "sparse_categorical_crossentropy"
    accs = [
        MetricAccumulator(m, kind, model.n_seeds, n_classes, labels=labels) for m in metric_names
    ]
    total = np.zeros(model.n_seeds)
    n = x.shape[0]
    step = _chunk_rows(model)
    for start in range(0, n, step):
        xb, yb = x[start : start + step], y[start : start + step]
        out = model.forward(xb, training=False)
        total += model.per_sample_loss(yb, out).sum(axis=-1)
        for acc in accs:
            acc.update(yb, out)
    results = {"loss": total / n + model.regularization()}
    for acc in accs:
        results[acc.name] = acc.result()
    return results


class NumpyTrainedModel:
    """A single trained network built from its weights (Keras ``get_weights()`` order)."""

    def __init__(
        self, spec: ModelSpec, weights: Sequence[np.ndarray], *, check_finite: bool = True
    ) -> None:
        self.spec = spec
        self._model = StackedModel(spec, 1)
        self._model.set_weights(weights, check_finite=check_finite)

    def _x(self, x: np.ndarray) -> np.ndarray:
        return prepare_inputs(x, self.spec.input_shape[0], "x")

    def _y(self, y: np.ndarray, n: int) -> np.ndarray:
        return prepare_targets(y, self.spec.loss, self._model.output_units, n, "y")

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Outputs ``(n, units)`` of the last layer in inference mode."""
        xs = self._x(x)
        step = _chunk_rows(self._model)
        parts = [
            self._model.forward(xs[i : i + step], training=False)[0]
            for i in range(0, xs.shape[0], step)
        ]
        return np.concatenate(parts, axis=0)

    def evaluate(self, x: np.ndarray, y: np.ndarray) -> dict[str, float]:
        """``{"loss": ..., <metric>: ...}``: loss with regularization, as Keras reports it."""
        xs = self._x(x)
        ys = self._y(y, xs.shape[0])
        res = evaluate_stacked(self._model, xs, ys, self.spec.metrics)
        return {k: float(v[0]) for k, v in res.items()}

    def get_weights(self) -> list[np.ndarray]:
        return self._model.get_weights(0)

    def layer_outputs(self, x: np.ndarray) -> list[np.ndarray]:
        """Each dense layer's activation output ``(n, units)``, inference mode."""
        return [out[0] for out in self._model.layer_outputs(self._x(x))]

    def gradient_norms(self, x: np.ndarray, y: np.ndarray) -> list[float]:
        """L2 norm of d(loss)/d(kernel) per dense layer, first layer first.

        The loss is the training loss without class weights (mean over all rows of ``x``,
        regularization included), taken in inference mode so the figure is deterministic.
        """
        xs = self._x(x)
        ys = self._y(y, xs.shape[0])
        norms = self._model.kernel_gradient_norms(xs, ys)
        return [float(v) for v in norms[0]]
