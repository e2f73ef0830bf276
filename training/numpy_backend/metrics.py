"""Metrics accumulated over the batches of an epoch, per stacked seed, as Keras' metric objects.

``accuracy`` is resolved the way Keras' ``compile`` resolves the string: binary accuracy
(``y_pred > 0.5`` equals the 0/1 target) for a one-unit output, sparse categorical accuracy
(argmax equals the integer label) for integer labels, categorical accuracy (argmax equals
the target's argmax) otherwise. ``balanced_accuracy`` is the mean over classes present in
the targets of the per-class recall (scikit-learn's definition), counted over the whole
epoch. ``mse``/``mae`` are the per-sample means over the last axis, averaged over samples.
Metrics are not weighted by class weights (Keras only weights ``weighted_metrics``).
"""

from __future__ import annotations

import numpy as np

from training.spec import METRICS

__all__ = ["MetricAccumulator", "target_kind"]


def target_kind(loss: str, output_units: int) -> str:
    """``"binary"``, ``"sparse"`` or ``"categorical"``: how targets and outputs compare."""
    if output_units == 1:
        return "binary"
    if loss == "sparse_categorical_crossentropy":
        return "sparse"
    return "categorical"


class MetricAccumulator:
    """Running totals of one metric for ``n_seeds`` seeds; ``result()`` gives ``(S,)``."""

    def __init__(
        self, name: str, kind: str, n_seeds: int, n_classes: int, *, labels: bool = False
    ) -> None:
        """``labels``: targets are integer class labels without the K axis (sparse loss)."""
        if name not in METRICS:
            raise ValueError(f"unknown metric {name!r}: choose one of {', '.join(METRICS)}")
        self.name = name
        self.kind = kind
        self.labels = labels or kind == "sparse"
        self.n_classes = n_classes
        self.n_seeds = n_seeds
        self.reset()

    def reset(self) -> None:
        # balanced_accuracy counts hits and rows per class; the others one total per seed.
        shape = (
            (self.n_seeds, self.n_classes) if self.name == "balanced_accuracy" else (self.n_seeds,)
        )
        self.total: np.ndarray = np.zeros(shape)
        self.count: np.ndarray = np.zeros(shape)

    def select_seeds(self, keep: np.ndarray) -> None:
        self.total = self.total[keep]
        self.count = self.count[keep]
        self.n_seeds = len(keep)

    def _classes(self, y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(true class, predicted class), each ``(S, B)`` or broadcastable."""
        if self.kind == "binary":
            return np.rint(y_true[..., 0]).astype(np.intp), (y_pred[..., 0] > 0.5).astype(np.intp)
        pred = y_pred.argmax(axis=-1)
        if self.kind == "sparse":
            return y_true[..., 0].astype(np.intp), pred
        return y_true.argmax(axis=-1), pred

    def update(self, y_true: np.ndarray, y_pred: np.ndarray) -> None:
        """Add one batch: ``y_pred`` is ``(S, B, K)``, ``y_true`` the batch's targets."""
        if self.labels:
            y_true = y_true[..., None]  # the K axis back, as Keras expands to the same rank
        batch, k = y_pred.shape[-2:]
        if self.name == "accuracy":
            if self.kind == "binary":
                # Per element, then averaged over the K outputs of each sample.
                hits = np.add.reduce((y_pred > 0.5) == y_true, axis=(-2, -1))
                self.total += hits if k == 1 else hits / k
            else:
                true, pred = self._classes(y_true, y_pred)
                self.total += np.add.reduce(true == pred, axis=-1)
            self.count += batch
        elif self.name in ("mse", "mae"):
            diff = y_pred - y_true
            per = np.square(diff) if self.name == "mse" else np.abs(diff)
            self.total += np.add.reduce(per, axis=(-2, -1)) / k
            self.count += batch
        else:
            true, pred = self._classes(y_true, y_pred)
            true = np.broadcast_to(true, y_pred.shape[:-1])
            onehot = true[..., None] == np.arange(self.n_classes)
            self.count += onehot.sum(axis=-2)
            self.total += (onehot & (pred == true)[..., None]).sum(axis=-2)

    def result(self) -> np.ndarray:
        if self.name == "balanced_accuracy":
            present = self.count > 0
            recall = np.divide(self.total, self.count, out=np.zeros_like(self.total), where=present)
            n_present = present.sum(axis=-1)
            balanced: np.ndarray = np.divide(
                recall.sum(axis=-1),
                n_present,
                out=np.full(self.n_seeds, np.nan),
                where=n_present > 0,
            )
            return balanced
        mean: np.ndarray = np.divide(
            self.total, self.count, out=np.full(self.n_seeds, np.nan), where=self.count > 0
        )
        return mean
