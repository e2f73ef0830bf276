"""Keras' ``EarlyStopping`` callback as a plain state machine, shared by both backends.

It follows ``keras.callbacks.EarlyStopping`` (Keras 3) with ``baseline=None`` and
``start_from_epoch=0``: an epoch improves on the best value when it beats it by more than
``min_delta`` in the monitored direction; training stops once ``patience`` epochs in a row
have not improved (never at epoch 0). With ``restore_best_weights`` the weights of the first
epoch are kept from the start, then those of every improving epoch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, Literal, TypeVar

from training.spec import EarlyStopping

# Monitored quantities Keras maximises in "auto" mode (metrics whose direction is "up").
MAXIMISED_METRICS: tuple[str, ...] = ("accuracy", "balanced_accuracy")

Weights = TypeVar("Weights")


def monitor_mode(config: EarlyStopping) -> Literal["min", "max"]:
    """``"min"`` or ``"max"``: the mode given, or Keras' "auto" inference from the name."""
    if config.mode != "auto":
        return config.mode
    name = config.monitor.removeprefix("val_")
    return "max" if name in MAXIMISED_METRICS else "min"


class EarlyStoppingMonitor(Generic[Weights]):
    """One training run's early-stopping state; ``Weights`` is whatever a backend keeps."""

    def __init__(self, config: EarlyStopping) -> None:
        self.config = config
        self.maximise = monitor_mode(config) == "max"
        self.min_delta = abs(config.min_delta)
        self.wait = 0
        self.best: float | None = None
        self.best_epoch = 0
        self.best_weights: Weights | None = None
        self.stopped_epoch = 0

    def is_improvement(self, current: float, reference: float | None) -> bool:
        if reference is None:
            return True
        if self.maximise:
            return current - self.min_delta > reference
        return current + self.min_delta < reference

    def on_epoch_end(self, epoch: int, current: float, snapshot: Callable[[], Weights]) -> bool:
        """Record this epoch's monitored value; True when training should stop.

        ``snapshot`` returns a copy of the current weights; it is called only when
        ``restore_best_weights`` needs one.
        """
        restore = self.config.restore_best_weights
        if restore and self.best_weights is None:
            self.best_weights = snapshot()
            self.best_epoch = epoch
        self.wait += 1
        if self.is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if restore:
                self.best_weights = snapshot()
            self.wait = 0
            return False
        if self.wait >= self.config.patience and epoch > 0:
            self.stopped_epoch = epoch
            return True
        return False
