"""The NumPy backend: dense and dropout networks in float64, several seeds trained at once."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from training.errors import DataError, UnsupportedByBackend
from training.fitting import EpochCallback, FitData, FitResult, check_fit_limits
from training.numpy_backend.data import prepare_data
from training.numpy_backend.trainer import fit_seeds
from training.spec import (
    ACTIVATIONS,
    DEFAULT_LIMITS,
    LOSSES,
    METRICS,
    OPTIMIZERS,
    Dense,
    Dropout,
    Limits,
    ModelSpec,
)

__all__ = ["NumpyBackend"]

_LAYERS = ("dense", "dropout")
_TF_ONLY_LAYERS = ("conv2d", "max_pooling2d", "flatten", "simple_rnn", "lstm")


class NumpyBackend:
    """Trains dense/dropout specs with NumPy, following Keras' update rules exactly.

    ``limits`` bound the cost of each ``fit`` call (all its seeds together).
    """

    name = "numpy"
    trains_seeds_together = True  # the seeds' weights are stacked and trained in one pass

    def __init__(self, *, limits: Limits = DEFAULT_LIMITS) -> None:
        self.limits = limits

    def capabilities(self) -> dict[str, list[str]]:
        return {
            "layers": list(_LAYERS),
            "activations": list(ACTIVATIONS),
            "optimizers": list(OPTIMIZERS),
            "losses": list(LOSSES),
            "metrics": list(METRICS),
            "regularizers": ["l1", "l2"],
        }

    def supports(self, spec: ModelSpec) -> None:
        """Raise ``UnsupportedByBackend`` naming the first thing this backend cannot train."""
        for i, layer in enumerate(spec.layers):
            if layer.type in _TF_ONLY_LAYERS:
                raise UnsupportedByBackend(
                    f"layers[{i}]: layer type {layer.type!r} is not supported by the numpy "
                    "backend; use the tensorflow backend (--backend tensorflow) for "
                    f"{', '.join(_TF_ONLY_LAYERS)}"
                )
            if not isinstance(layer, Dense | Dropout):
                raise UnsupportedByBackend(
                    f"layers[{i}]: layer type {layer.type!r} is not supported by the numpy backend"
                )
            if isinstance(layer, Dense) and layer.activation.name not in ACTIVATIONS:
                raise UnsupportedByBackend(
                    f"layers[{i}].activation: {layer.activation.name!r} is not supported"
                )
        if len(spec.input_shape) != 1:
            raise UnsupportedByBackend(
                f"input_shape {list(spec.input_shape)}: the numpy backend takes flat feature "
                "vectors (input_dim); use the tensorflow backend for multi-dimensional inputs"
            )
        if not any(isinstance(layer, Dense) for layer in spec.layers):
            raise UnsupportedByBackend("the numpy backend needs at least one dense layer")
        if spec.loss not in LOSSES:
            raise UnsupportedByBackend(f"loss: {spec.loss!r} is not supported")
        if spec.optimizer.name not in OPTIMIZERS:
            raise UnsupportedByBackend(f"optimizer.name: {spec.optimizer.name!r} is not supported")
        for j, metric in enumerate(spec.metrics):
            if metric not in METRICS:
                raise UnsupportedByBackend(f"metrics[{j}]: {metric!r} is not supported")

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
        """Train one model per seed, all seeds stacked in one pass; see ``trainer``.

        Every result's ``seconds`` is the wall time of the whole pass (``seconds_shared``
        when there are several seeds).
        """
        self.supports(spec)
        seed_list = list(seeds)
        if not seed_list:
            raise DataError("seeds: give at least one seed")
        for s in seed_list:
            if isinstance(s, bool) or not isinstance(s, int | np.integer) or s < 0:
                raise DataError(f"seeds: each seed must be a non-negative integer, got {s!r}")
        check_fit_limits(spec, data, n_seeds=len(seed_list), limits=self.limits)
        last = next(layer for layer in reversed(spec.layers) if isinstance(layer, Dense))
        prepared = prepare_data(spec, data, last.units)
        return fit_seeds(
            spec,
            prepared,
            [int(s) for s in seed_list],
            initial_weights=initial_weights,
            shuffle=spec.shuffle if shuffle is None else shuffle,
            on_epoch_end=on_epoch_end,
        )
