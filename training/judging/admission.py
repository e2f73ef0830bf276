"""Admission: is this submission acceptable for this task, before anything is trained?

`admit` is the one answer to that question, in this order: the task's constraints, what the
task's backend can train, the input and output against the dataset, the size limits, and the
cost (`training.judging.budget`: the task's FLOPs limit and the time a judging may take). Each
refusal is a `TrainingError` naming the field path (`SpecError`, `UnsupportedByBackend`,
`LimitExceeded`).
"""

from __future__ import annotations

import math

from training.backends import get_backend
from training.datasets import Dataset, load_dataset
from training.diagnostics import trainable_layers
from training.errors import SpecError
from training.judging.budget import DEFAULT_TIME_BUDGET, check_cost
from training.judging.task import TaskDefinition
from training.spec import (
    LSTM,
    OPTIMIZER_DEFAULTS,
    Dense,
    ModelSpec,
    SimpleRNN,
    check_size_limits,
    count_params,
)

__all__ = ["admit", "effective_learning_rate"]


def effective_learning_rate(spec: ModelSpec) -> float:
    """The learning rate training uses: the spec's, or Keras' default for its optimizer."""
    if spec.optimizer.learning_rate is not None:
        return spec.optimizer.learning_rate
    return float(OPTIMIZER_DEFAULTS[spec.optimizer.name]["learning_rate"])


def _check_constraints(task: TaskDefinition, spec: ModelSpec) -> None:
    c = task.constraints
    if "max_epochs" in c and spec.epochs > c["max_epochs"]:
        raise SpecError(
            "epochs",
            f"{spec.epochs} is over this task's {c['max_epochs']}: the task is to reach the "
            f"target within {c['max_epochs']} epochs",
        )
    if "learning_rate" in c:
        rate = effective_learning_rate(spec)
        if not math.isclose(rate, c["learning_rate"], rel_tol=1e-9):
            raise SpecError(
                "optimizer.learning_rate",
                f"{rate:g} is not this task's learning rate: it is fixed at "
                f"{c['learning_rate']:g} for every optimizer, so only the optimizer decides",
            )
    if "optimizers" in c and spec.optimizer.name not in c["optimizers"]:
        raise SpecError(
            "optimizer.name",
            f"{spec.optimizer.name} is not allowed in this task; use one of "
            f"{', '.join(c['optimizers'])}",
        )
    if "batch_size" in c:
        wanted = None if c["batch_size"] == "full" else c["batch_size"]
        if spec.batch_size != wanted:
            shown = "full" if spec.batch_size is None else str(spec.batch_size)
            raise SpecError(
                "batch_size",
                f"{shown} is not this task's batch size: it is fixed at {c['batch_size']}",
            )
    if "layer_types" in c and not any(layer.type in c["layer_types"] for layer in spec.layers):
        raise SpecError(
            "layers",
            f"this task needs at least one layer of type {' or '.join(c['layer_types'])}",
        )
    if "min_hidden_layers" in c:
        hidden = len(trainable_layers(spec)) - 1
        if hidden < c["min_hidden_layers"]:
            raise SpecError(
                "layers",
                f"the network has {hidden} hidden layer(s) with weights; this task is about "
                f"deep networks and needs at least {c['min_hidden_layers']}",
            )
    if "max_params" in c:
        params = count_params(spec)
        if params > c["max_params"]:
            raise SpecError(
                "layers",
                f"the network has {params:,} parameters; this task allows at most "
                f"{c['max_params']:,}",
            )


def _input_path(spec: ModelSpec) -> str:
    return "layers[0].input_dim" if len(spec.input_shape) == 1 else "layers[0].input_shape"


def _check_fits_data(spec: ModelSpec, dataset: Dataset) -> None:
    wanted = tuple(int(n) for n in dataset.x_train.shape[1:])
    if spec.input_shape != wanted:
        shown = wanted[0] if len(wanted) == 1 else list(wanted)
        got = spec.input_shape[0] if len(spec.input_shape) == 1 else list(spec.input_shape)
        raise SpecError(
            _input_path(spec),
            f"is {got}, but each sample of {dataset.name} has shape {list(wanted)} "
            f"({len(dataset.feature_names)} feature(s): {', '.join(dataset.feature_names)}); "
            f"the first layer must say {'input_dim' if len(wanted) == 1 else 'input_shape'}="
            f"{shown}",
        )
    last_index = len(spec.layers) - 1
    last = spec.layers[-1]
    units = last.units if isinstance(last, Dense | SimpleRNN | LSTM) else None
    activation = last.activation.name if isinstance(last, Dense | SimpleRNN | LSTM) else None
    if dataset.task == "binary":
        if spec.loss != "binary_crossentropy":
            raise SpecError(
                "loss",
                f"{spec.loss} does not fit this yes/no (binary classification) task: use "
                "binary_crossentropy with one sigmoid output unit",
            )
    elif dataset.task == "multiclass":
        n_classes = dataset.n_classes
        if spec.loss != "sparse_categorical_crossentropy":
            raise SpecError(
                "loss",
                f"{spec.loss} does not fit this task: its labels are class numbers, so use "
                f"sparse_categorical_crossentropy with a {n_classes}-unit softmax output",
            )
        if units != n_classes:
            raise SpecError(
                f"layers[{last_index}].units",
                f"is {units}, but the task has {n_classes} classes: the softmax output needs "
                f"one unit per class ({n_classes})",
            )
    else:
        if spec.loss not in ("mse", "mae"):
            raise SpecError(
                "loss",
                f"{spec.loss} is a classification loss, but this task predicts a number: "
                "use mse (or mae)",
            )
        if units != 1:
            raise SpecError(
                f"layers[{last_index}].units",
                f"is {units}, but the task predicts one number: end with one output unit",
            )
        if activation in ("sigmoid", "softmax"):
            raise SpecError(
                f"layers[{last_index}].activation",
                f"{activation} squeezes the output into (0, 1), but the target is a "
                "standardised number that can be negative: use a linear output",
            )


def admit(
    task: TaskDefinition, spec: ModelSpec, *, time_budget: float | None = DEFAULT_TIME_BUDGET
) -> None:
    """Refuse, before training, what cannot be judged, naming the field path.

    In order: the task's constraints (`epochs: 50 is over this task's 20`), what the task's
    backend supports (`UnsupportedByBackend`), the input shape against the dataset's, the
    output units and loss against the dataset's task, the size limits of `task.limits`
    (layers, units, parameters, epochs), then the cost (`budget.check_cost`): the FLOPs of all
    the task's seeds under `task.limits`, and the estimated time of the whole judging against
    ``time_budget`` seconds (``None``: not checked), each raising `LimitExceeded` with the
    largest epochs, the largest units or the smallest batch size that fits. Returns nothing
    when the submission is acceptable.
    """
    _check_constraints(task, spec)
    get_backend(task.backend).supports(spec)
    dataset = load_dataset(task.dataset, task.dataset_seed)
    _check_fits_data(spec, dataset)
    check_size_limits(spec, limits=task.limits)
    check_cost(task, spec, time_budget=time_budget)
