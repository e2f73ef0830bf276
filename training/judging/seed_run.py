"""One seed's training outcome, and the figures checks and the verdict read from it."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np

from training.datasets import Dataset
from training.errors import TrainingError
from training.fitting import FitResult, TrainedModel
from training.spec import ModelSpec

__all__ = ["DIAGNOSTIC_ROWS", "SeedRun"]

# Diagnostics and the gradient check look at most at this many validation rows.
DIAGNOSTIC_ROWS = 256


@dataclass
class SeedRun:
    """One seed's training outcome and lazily computed figures."""

    seed: int
    history: dict[str, list[float]]
    result: FitResult | None
    diverged: bool
    spec: ModelSpec
    dataset: Dataset
    _figures: dict[str, dict[str, float] | None] = field(default_factory=dict)

    @property
    def model(self) -> TrainedModel | None:
        return None if self.result is None else self.result.model

    def figures(self, split: str) -> dict[str, float] | None:
        """The measured figures of ``split``: the final model (the weights training ended
        with, the best epoch's when early stopping restored them) in inference mode (dropout
        off) on every row of the split.

        ``loss`` is the model's loss as ``model.evaluate`` reports it (regularization
        included); ``accuracy`` and ``balanced_accuracy`` (classification) or ``mse`` and
        ``mae`` (regression) come from its predictions. None of them depends on the spec's
        ``metrics``, which only decide what the training history logs.
        """
        if split not in self._figures:
            self._figures[split] = self._compute(split)
        return self._figures[split]

    def _compute(self, split: str) -> dict[str, float] | None:
        model = self.model
        if model is None:
            return None
        x, y = self.dataset.split(cast(Any, split))
        try:
            loss = float(model.evaluate(x, y)["loss"])
            predicted = np.asarray(model.predict(x), dtype=np.float64)
        except (TrainingError, FloatingPointError, ValueError, KeyError):
            return None
        return {"loss": loss, **_prediction_metrics(self.dataset, predicted, np.asarray(y))}


def _prediction_metrics(dataset: Dataset, predicted: np.ndarray, y: np.ndarray) -> dict[str, float]:
    if not np.all(np.isfinite(predicted)):
        nan = math.nan
        if dataset.task in ("binary", "multiclass"):
            return {"accuracy": nan, "balanced_accuracy": nan}
        return {"mse": nan, "mae": nan}
    if dataset.task in ("binary", "multiclass"):
        if dataset.task == "binary":
            labels = (predicted.reshape(-1) > 0.5).astype(np.int64)
            truth = y.reshape(-1).astype(np.int64)
        else:
            labels = np.argmax(predicted.reshape(len(y), -1), axis=1)
            truth = y.reshape(-1).astype(np.int64)
        recalls = [float(np.mean(labels[truth == c] == c)) for c in np.unique(truth)]
        return {
            "accuracy": float(np.mean(labels == truth)),
            "balanced_accuracy": float(np.mean(recalls)),
        }
    error = predicted.reshape(len(y), -1) - y.reshape(len(y), -1)
    return {"mse": float(np.mean(error**2)), "mae": float(np.mean(np.abs(error)))}
