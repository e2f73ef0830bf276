"""What every backend takes and gives back: the data to fit, the per-seed results, and the
``Backend`` protocol the backends implement.

A backend is chosen by name with ``training.backends.get_backend``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from training.errors import DataError
from training.spec import DEFAULT_LIMITS, Limits, ModelSpec, check_limits

# Called after every epoch with (seed, epoch index from 0, logs such as {"loss": 0.5, ...}).
EpochCallback = Callable[[int, int, dict[str, float]], None]


@dataclass(frozen=True)
class FitData:
    """Arrays to train on. With ``x_val``/``y_val`` given, ``validation_split`` is ignored.

    With only ``x_train``/``y_train``, the last ``validation_split`` fraction of the rows is
    held out for validation before shuffling, exactly as Keras' ``model.fit`` does.
    ``x_test``/``y_test`` are never trained on; checks may evaluate on them.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray | None = None
    y_val: np.ndarray | None = None
    x_test: np.ndarray | None = None
    y_test: np.ndarray | None = None


class TrainedModel(Protocol):
    """A model after training, as checks and diagnostics see it."""

    def predict(self, x: np.ndarray) -> np.ndarray: ...

    def evaluate(self, x: np.ndarray, y: np.ndarray) -> dict[str, float]:
        """Loss (regularization included, as Keras reports it) and the spec's metrics."""
        ...

    def get_weights(self) -> list[np.ndarray]:
        """Arrays in Keras ``model.get_weights()`` order."""
        ...

    def layer_outputs(self, x: np.ndarray) -> list[np.ndarray]:
        """Each trainable layer's activation output on ``x`` (inference mode)."""
        ...

    def gradient_norms(self, x: np.ndarray, y: np.ndarray) -> list[float]:
        """L2 norm of the loss gradient w.r.t. each trainable layer's kernel, first layer first."""
        ...


@dataclass
class FitResult:
    """One seed's training run.

    ``history`` maps Keras history keys (``loss``, ``val_loss``, ``accuracy``,
    ``val_accuracy``...) to one float per epoch trained. ``diverged`` is True when the loss
    became NaN/inf or exploded and training was stopped there. ``best_epoch`` is the 0-based
    epoch with the best monitored value when early stopping is configured, else None.
    ``seconds`` is the training time of this seed; when ``seconds_shared`` is True the seeds
    of one ``fit`` call were trained together and ``seconds`` is their common wall time.
    """

    seed: int
    history: dict[str, list[float]]
    model: TrainedModel
    epochs_run: int
    stopped_early: bool = False
    best_epoch: int | None = None
    diverged: bool = False
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)
    seconds_shared: bool = False


def _rows(array: Any, name: str) -> int:
    shape = np.shape(array)
    if not shape:
        raise DataError(f"{name} has no rows: it is a single number, not an array of samples")
    return int(shape[0])


def check_fit_limits(
    spec: ModelSpec, data: FitData, *, n_seeds: int, limits: Limits = DEFAULT_LIMITS
) -> None:
    """Raise ``LimitExceeded`` if training ``spec`` on ``data`` for ``n_seeds`` seeds costs
    more than ``limits`` allow (``check_limits`` with the rows of ``data``).

    Every backend calls this at the start of ``fit``, before it builds or trains anything.
    """
    check_limits(
        spec,
        n_train_samples=_rows(data.x_train, "x_train"),
        n_val_samples=None if data.x_val is None else _rows(data.x_val, "x_val"),
        n_seeds=n_seeds,
        limits=limits,
    )


class Backend(Protocol):
    name: str
    # True when one ``fit`` call trains all its seeds in one pass (the NumPy backend stacks
    # them), False when it trains them one after another.
    trains_seeds_together: bool

    def supports(self, spec: ModelSpec) -> None:
        """Raise ``UnsupportedByBackend`` naming the first layer/feature it cannot train."""
        ...

    def capabilities(self) -> dict[str, list[str]]:
        """What it can train: keys ``layers``, ``activations``, ``optimizers``, ``losses``,
        ``metrics``, ``regularizers`` (shown by ``python -m training capabilities``)."""
        ...

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
        """Train one model per seed; ``shuffle=None`` means the spec's ``shuffle``.

        Raises ``LimitExceeded`` (``check_fit_limits`` for all the seeds together) before
        anything is built or trained.

        ``initial_weights`` (Keras ``get_weights()`` order) replaces the seeded
        initialisation for every seed. Training stops at the first NaN/inf loss
        (``diverged=True``), like Keras' ``TerminateOnNaN``.
        """
        ...
