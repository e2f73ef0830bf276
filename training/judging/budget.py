"""The cost checks of admission: the task's FLOPs limit and the time a judging may take.

A judging must not hold a worker for long: `check_cost` refuses a spec whose training needs
more floating-point operations than the task allows (`limits.max_training_flops`) or whose
estimated time (`training.cost`, with its calibration margin) is over the time budget (a
quarter of the worker's soft time limit, passed in by the caller). Each refusal says what to
change in the student's own terms: the largest epochs, the largest units per hidden layer or
the smallest batch size that fits, each on its own. The seeds are the task's, not the
student's, so they are never offered as a change.

Early stopping is not counted on: whether it triggers is known only once training runs, so
both checks count every epoch of the spec; the refusal says so, since with early stopping
on, asking for fewer epochs costs nothing when training would have stopped by then anyway.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from training.backends import get_backend
from training.cost import (
    CostEstimate,
    cost_features,
    estimate_judging_seconds,
    steps_per_epoch,
)
from training.datasets import Dataset, load_dataset
from training.diagnostics import trainable_layers
from training.errors import LimitExceeded
from training.judging.task import TaskDefinition
from training.spec import LSTM, Conv2D, Dense, ModelSpec, SimpleRNN, estimate_training_flops

__all__ = ["DEFAULT_TIME_BUDGET", "check_cost", "judging_cost", "judging_features"]

# Seconds a judging may take: a quarter of the worker's default soft time limit (120 s).
DEFAULT_TIME_BUDGET = 30.0

_Fits = Callable[[ModelSpec], bool]


def _rows(dataset: Dataset) -> tuple[int, int]:
    val = 0 if dataset.x_val is None else len(dataset.x_val)
    return len(dataset.x_train), val


def _judging(task: TaskDefinition) -> dict[str, Any]:
    fit_rows, val_rows = _rows(load_dataset(task.dataset, task.dataset_seed))
    return {
        "fit_rows": fit_rows,
        "val_rows": val_rows,
        "n_seeds": len(task.seeds),
        "seeds_together": get_backend(task.backend).trains_seeds_together,
    }


def judging_features(task: TaskDefinition, spec: ModelSpec) -> dict[str, float]:
    """What judging ``spec`` against ``task`` does, as the time model counts it."""
    return cost_features(spec, **_judging(task))


def judging_cost(task: TaskDefinition, spec: ModelSpec) -> CostEstimate:
    """The estimated time of judging ``spec`` against ``task``: every seed, every epoch."""
    return estimate_judging_seconds(spec, backend=task.backend, **_judging(task))


def _largest(low: int, high: int, ok: Callable[[int], bool]) -> int | None:
    """The largest ``n`` in ``[low, high]`` with ``ok(n)``, for ``ok`` true up to a point."""
    if high < low or not ok(low):
        return None
    while low < high:
        middle = (low + high + 1) // 2
        if ok(middle):
            low = middle
        else:
            high = middle - 1
    return low


def _smallest(low: int, high: int, ok: Callable[[int], bool]) -> int | None:
    """The smallest ``n`` in ``[low, high]`` with ``ok(n)``, for ``ok`` true from a point."""
    if high < low or not ok(high):
        return None
    while low < high:
        middle = (low + high) // 2
        if ok(middle):
            high = middle
        else:
            low = middle + 1
    return low


def _hidden(spec: ModelSpec) -> list[int]:
    """Indices of the layers with units or filters, but the output layer."""
    return [index for index, _ in trainable_layers(spec)[:-1]]


def _capped(spec: ModelSpec, size: int) -> ModelSpec:
    """``spec`` with at most ``size`` units (filters) in every hidden layer."""
    layers = list(spec.layers)
    for index in _hidden(spec):
        layer = layers[index]
        if isinstance(layer, Conv2D):
            layers[index] = dataclasses.replace(layer, filters=min(layer.filters, size))
        elif isinstance(layer, Dense | SimpleRNN | LSTM):
            layers[index] = dataclasses.replace(layer, units=min(layer.units, size))
    return dataclasses.replace(spec, layers=tuple(layers))


def _hidden_size(spec: ModelSpec) -> int:
    sizes = [0]
    for index in _hidden(spec):
        layer = spec.layers[index]
        sizes.append(layer.filters if isinstance(layer, Conv2D) else getattr(layer, "units", 0))
    return max(sizes)


def _changes_that_fit(task: TaskDefinition, spec: ModelSpec, fit_rows: int, fits: _Fits) -> str:
    """The student's options, each enough on its own, as one sentence."""
    options: list[str] = []
    epochs = _largest(1, spec.epochs - 1, lambda e: fits(dataclasses.replace(spec, epochs=e)))
    if epochs is not None:
        options.append(f"epochs {epochs} or fewer")
    if spec.batch_size is not None and "batch_size" not in task.constraints:
        batch = _smallest(
            spec.batch_size + 1,
            fit_rows,
            lambda b: fits(dataclasses.replace(spec, batch_size=b)),
        )
        if batch is not None:
            options.append(
                'batch_size "full"' if batch >= fit_rows else f"batch_size {batch} or more"
            )
    size = _hidden_size(spec)
    if size > 1:
        units = _largest(1, size - 1, lambda u: fits(_capped(spec, u)))
        if units is not None:
            conv = any(layer.type == "conv2d" for layer in spec.layers)
            what = (
                ("unit or filter" if conv else "unit")
                if units == 1
                else ("units or filters" if conv else "units")
            )
            options.append(f"at most {units} {what} in each hidden layer")
    if not options:
        return _no_single_change(task, spec, fit_rows, fits)
    advice = f"Any one of these fits: {'; '.join(options)}."
    if spec.early_stopping is not None:
        advice += (
            " Early stopping may end training sooner, but that is known only once it runs, so "
            "every epoch counts; fewer epochs cost nothing if it would have stopped by then."
        )
    return advice


def _no_single_change(task: TaskDefinition, spec: ModelSpec, fit_rows: int, fits: _Fits) -> str:
    """Advice when no single change of epochs, batch size or units is enough."""
    if "batch_size" not in task.constraints:
        whole = dataclasses.replace(spec, batch_size=None)
        epochs = _largest(1, spec.epochs, lambda e: fits(dataclasses.replace(whole, epochs=e)))
        if epochs is not None:
            return (
                "No single change of the epochs, the batch size or the units is enough; "
                f'batch_size "full" ({fit_rows:,} rows in one step) with epochs {epochs} or '
                "fewer is, or use fewer layers."
            )
    return (
        "No change of the epochs, the batch size or the units is enough: even one epoch of "
        "this network costs too much, so use fewer layers."
    )


def _run_description(task: TaskDefinition, spec: ModelSpec, fit_rows: int) -> str:
    seeds = len(task.seeds)
    steps = steps_per_epoch(spec, fit_rows)
    rows = (
        f"all {fit_rows:,} rows in one batch"
        if spec.batch_size is None
        else f"{fit_rows:,} rows in batches of {spec.batch_size}"
    )
    times = f"{seeds} times (once per seed), each time" if seeds > 1 else "once,"
    epochs = f"{spec.epochs} epoch{'s' if spec.epochs != 1 else ''}"
    return (
        f"the task trains the network {times} {epochs} of {steps:,} "
        f"step{'s' if steps != 1 else ''} ({rows}) through "
        f"{len(spec.layers)} layers"
    )


def _seconds(value: float) -> str:
    return f"{value:,.0f} s" if value >= 10 else f"{value:.1f} s"


def check_cost(task: TaskDefinition, spec: ModelSpec, *, time_budget: float | None) -> None:
    """Raise ``LimitExceeded`` if ``spec`` needs more FLOPs than ``task.limits`` allow or,
    with a ``time_budget`` (seconds), if judging it may take longer than that."""
    fit_rows, val_rows = _rows(load_dataset(task.dataset, task.dataset_seed))
    n_seeds = len(task.seeds)

    def flops(candidate: ModelSpec) -> float:
        return estimate_training_flops(candidate, fit_rows, n_val_samples=val_rows, n_seeds=n_seeds)

    limit = task.limits.max_training_flops
    needed = flops(spec)
    if needed > limit:
        raise LimitExceeded(
            "",
            f"training would take about {needed:.2g} floating-point operations, and this "
            f"task allows {limit:.2g}: {_run_description(task, spec, fit_rows)}. "
            + _changes_that_fit(task, spec, fit_rows, lambda c: flops(c) <= limit),
        )
    if time_budget is None:
        return
    estimate = judging_cost(task, spec)
    if estimate.upper_seconds > time_budget:

        def fits(candidate: ModelSpec) -> bool:
            return judging_cost(task, candidate).upper_seconds <= time_budget

        raise LimitExceeded(
            "",
            f"judging this network would take up to about {_seconds(estimate.upper_seconds)}, "
            f"and a submission may take at most {_seconds(time_budget)}: "
            f"{_run_description(task, spec, fit_rows)}. "
            + _changes_that_fit(task, spec, fit_rows, fits),
        )
