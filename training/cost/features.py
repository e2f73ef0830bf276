"""What training a spec costs in the units the time model counts: steps, layers, FLOPs.

``cost_features`` turns one judging (a spec, the rows it trains and validates on, the seeds
and whether the backend trains them together) into the features the time model
(``training.cost.estimate``) weighs with its calibrated coefficients:

- ``judging``: 1 per judging (loading, the checks, the diagnostics);
- ``layers`` and ``recurrent_layers``: layers built and traced once per judging;
- ``epochs``: epochs run, summed over the passes (a backend that trains the seeds together
  makes one pass, one that trains them one after another one pass per seed);
- ``steps``: optimizer steps, ``passes · epochs · ⌈rows / batch⌉``;
- ``steps_<kind>``: steps times the layers of each kind a step goes through, recurrent ones
  once per timestep (their cell runs once per timestep);
- ``mparam_steps``: steps times the trainable parameters updated in each (every seed's, for
  a backend that trains them together), in 1e6: the optimizer's update, and at small batch
  sizes the reading of every weight, cost per parameter and step whatever the batch size;
- ``gflops``: the training FLOPs of every seed (``estimate_training_flops``), in 1e9.
"""

from __future__ import annotations

import math

from training.spec import (
    LSTM,
    Conv2D,
    Dense,
    ModelSpec,
    SimpleRNN,
    count_params,
    estimate_training_flops,
    layer_input_shapes,
)

__all__ = ["FEATURES", "cost_features", "steps_per_epoch"]

FEATURES: tuple[str, ...] = (
    "judging",
    "layers",
    "recurrent_layers",
    "epochs",
    "steps",
    "steps_dense",
    "steps_conv2d",
    "steps_light",
    "steps_simple_rnn",
    "steps_lstm",
    "mparam_steps",
    "gflops",
)


def steps_per_epoch(spec: ModelSpec, fit_rows: int) -> int:
    """Optimizer steps of one epoch: ``⌈rows / batch⌉`` (one for ``batch_size: "full"``)."""
    if fit_rows <= 0:
        return 0
    batch = fit_rows if spec.batch_size is None else min(spec.batch_size, fit_rows)
    return math.ceil(fit_rows / batch)


def _layer_kind(layer: object) -> str:
    if isinstance(layer, Dense):
        return "steps_dense"
    if isinstance(layer, Conv2D):
        return "steps_conv2d"
    if isinstance(layer, SimpleRNN):
        return "steps_simple_rnn"
    if isinstance(layer, LSTM):
        return "steps_lstm"
    return "steps_light"  # dropout, flatten, max_pooling2d: no weights, one cheap op


def cost_features(
    spec: ModelSpec,
    *,
    fit_rows: int,
    val_rows: int,
    n_seeds: int,
    seeds_together: bool,
) -> dict[str, float]:
    """The features of training ``spec`` on ``fit_rows`` rows, validating on ``val_rows``
    after every epoch, for ``n_seeds`` seeds (see the module's docstring)."""
    passes = 1 if seeds_together else n_seeds
    epochs = passes * spec.epochs
    steps = epochs * steps_per_epoch(spec, fit_rows)
    features = dict.fromkeys(FEATURES, 0.0)
    features["judging"] = 1.0
    features["epochs"] = float(epochs)
    features["steps"] = float(steps)
    for layer, in_shape in zip(spec.layers, layer_input_shapes(spec), strict=True):
        recurrent = isinstance(layer, SimpleRNN | LSTM)
        features["recurrent_layers" if recurrent else "layers"] += 1.0
        per_step = float(in_shape[0]) if recurrent else 1.0  # timesteps
        features[_layer_kind(layer)] += steps * per_step
    stacked = n_seeds if seeds_together else 1
    features["mparam_steps"] = steps * count_params(spec) * stacked / 1e6
    flops = estimate_training_flops(spec, fit_rows, n_val_samples=val_rows, n_seeds=n_seeds)
    features["gflops"] = flops / 1e9
    return features
