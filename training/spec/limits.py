"""Cost limits: `check_limits` bounds what training a spec may cost before anything runs."""

from __future__ import annotations

import math
from dataclasses import dataclass

from training.errors import LimitExceeded
from training.spec.shapes import count_params, layer_input_shapes, layer_output_shapes
from training.spec.types import (
    LSTM,
    Conv2D,
    Dense,
    MaxPooling2D,
    ModelSpec,
    SimpleRNN,
)


@dataclass(frozen=True)
class Limits:
    """Hard bounds on what one training run may cost, checked before anything trains.

    The defaults admit every course scenario with a wide margin (the handout's 8-16-8-1
    network has 289 parameters and needs about 5e7 FLOPs for 50 epochs on 768 rows; a small
    CNN on 1,000 28x28 images for 20 epochs about 3e10) while bounding one run (all its
    seeds together) to seconds on one CPU core: ``max_training_flops`` 2e11 is roughly 20 s
    at 10 GFLOP/s.
    """

    max_layers: int = 20
    max_units_per_layer: int = 1024  # units of dense/recurrent layers, filters of conv2d
    max_params: int = 1_000_000
    max_epochs: int = 500
    max_training_flops: float = 2e11


DEFAULT_LIMITS = Limits()


def _forward_macs(spec: ModelSpec) -> int:
    """Multiply-adds of one sample's forward pass (pooling counts its comparisons)."""
    total = 0
    for layer, in_shape, out_shape in zip(
        spec.layers, layer_input_shapes(spec), layer_output_shapes(spec), strict=True
    ):
        if isinstance(layer, Dense):
            total += in_shape[0] * layer.units
        elif isinstance(layer, Conv2D):
            kh, kw = layer.kernel_size
            total += out_shape[0] * out_shape[1] * layer.filters * kh * kw * in_shape[2]
        elif isinstance(layer, MaxPooling2D):
            ph, pw = layer.pool_size
            total += math.prod(out_shape) * ph * pw
        elif isinstance(layer, SimpleRNN):
            timesteps, features = in_shape
            total += timesteps * layer.units * (features + layer.units)
        elif isinstance(layer, LSTM):
            timesteps, features = in_shape
            total += timesteps * 4 * layer.units * (features + layer.units)
    return total


def _split_rows(
    spec: ModelSpec, n_train_samples: int, n_val_samples: int | None
) -> tuple[int, int]:
    """Rows trained on and rows validated on per epoch, as Keras' ``validation_split``."""
    for name, value in (("n_train_samples", n_train_samples), ("n_val_samples", n_val_samples)):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value < 0
        ):
            raise ValueError(f"{name} must be a whole number ≥ 0, got {value!r}")
    if n_val_samples is not None:
        return n_train_samples, n_val_samples
    fit_rows = int(n_train_samples * (1.0 - spec.validation_split))
    return fit_rows, n_train_samples - fit_rows


def _check_seed_count(n_seeds: int) -> None:
    if isinstance(n_seeds, bool) or not isinstance(n_seeds, int) or n_seeds < 1:
        raise ValueError(f"n_seeds must be a whole number ≥ 1, got {n_seeds!r}")


def estimate_training_flops(
    spec: ModelSpec, n_train_samples: int, *, n_val_samples: int | None = None, n_seeds: int = 1
) -> float:
    """Floating-point operations of training ``n_seeds`` models for ``spec.epochs`` epochs.

    ``flops = seeds · epochs · (3 · F · n_fit + F · n_val)`` with ``F = 2 ·`` (multiply-adds of
    one sample's forward pass): the backward pass costs about twice the forward one, and the
    validation rows are only evaluated; every seed trains its own model on all the rows.
    ``n_train_samples`` is the number of rows handed to training; without ``n_val_samples``
    the last ``validation_split`` fraction of them is held out, as Keras does; with it,
    ``validation_split`` is not applied.
    """
    _check_seed_count(n_seeds)
    fit_rows, val_rows = _split_rows(spec, n_train_samples, n_val_samples)
    forward = 2.0 * float(_forward_macs(spec))
    return float(n_seeds) * float(spec.epochs) * (3.0 * forward * fit_rows + forward * val_rows)


def check_size_limits(spec: ModelSpec, *, limits: Limits = DEFAULT_LIMITS) -> None:
    """Raise ``LimitExceeded(path, reason)`` if ``spec`` has more layers, units, parameters
    or epochs than ``limits`` allow: the bounds that do not depend on the data."""
    if len(spec.layers) > limits.max_layers:
        raise LimitExceeded(
            "layers",
            f"the network has {len(spec.layers)} layers; the limit is {limits.max_layers}",
        )
    for index, layer in enumerate(spec.layers):
        if isinstance(layer, (Dense, SimpleRNN, LSTM)):
            size, key = layer.units, "units"
        elif isinstance(layer, Conv2D):
            size, key = layer.filters, "filters"
        else:
            continue
        if size > limits.max_units_per_layer:
            raise LimitExceeded(
                f"layers[{index}].{key}",
                f"{size} {key} in one layer; the limit is {limits.max_units_per_layer}",
            )
    params = count_params(spec)
    if params > limits.max_params:
        raise LimitExceeded(
            "layers",
            f"the network has {params:,} parameters; the limit is {limits.max_params:,}",
        )
    if spec.epochs > limits.max_epochs:
        raise LimitExceeded("epochs", f"{spec.epochs} epochs; the limit is {limits.max_epochs}")


def check_limits(
    spec: ModelSpec,
    *,
    n_train_samples: int,
    n_val_samples: int | None = None,
    n_seeds: int = 1,
    limits: Limits = DEFAULT_LIMITS,
) -> None:
    """Raise ``LimitExceeded(path, reason)`` if training ``spec`` would cost too much.

    The reason states the limit and the measured value. ``n_train_samples``,
    ``n_val_samples`` and ``n_seeds`` mean what they mean in ``estimate_training_flops``:
    the FLOPs limit bounds one whole run, all its seeds together.
    """
    _check_seed_count(n_seeds)
    check_size_limits(spec, limits=limits)
    flops = estimate_training_flops(
        spec, n_train_samples, n_val_samples=n_val_samples, n_seeds=n_seeds
    )
    if flops > limits.max_training_flops:
        seeds = f", {n_seeds} seeds" if n_seeds > 1 else ""
        raise LimitExceeded(
            "",
            f"training would take about {flops:.2g} floating-point operations "
            f"({spec.epochs} epochs on {n_train_samples} rows{seeds}); the limit is "
            f"{limits.max_training_flops:.2g}: use fewer "
            f"{'seeds, ' if n_seeds > 1 else ''}epochs or smaller layers",
        )
