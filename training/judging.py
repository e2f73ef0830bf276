"""Judging a submitted network against a coding task: train it, check it, explain the grade.

A task (``TaskDefinition``) names a dataset, a backend, fixed training seeds and a list of
checks (``CheckSpec``). ``judge`` trains the submission once per seed on the dataset's fixed
train/validation/test splits, runs every check on every seed and aggregates:

- **Multi-seed rule.** A check passes when it passes on at least ``required_passes`` of the
  task's seeds (default: seeds 0, 1, 2 and a majority, 2 of 3). The verdict is
  ``"passed"`` when every check passes, else ``"failed"``. Seeds are fixed per task and both
  backends are deterministic, so the same submission always gets the same grade.
- **Divergence.** A seed diverges when its training loss becomes NaN or infinite (the backend
  stops it there) or *explodes*: grows above ``EXPLOSION_FACTOR`` (1e4) times its first epoch's
  value or above ``EXPLOSION_CEILING`` (1e12). The verdict is ``"diverged"`` when more seeds
  diverged than the pass rule can afford (``diverged > n_seeds - required_passes``). The
  epoch callback handed to the backend (wrapping the caller's) stops training by raising a
  private exception that ``judge`` catches: the NumPy backend trains all seeds in one call,
  which is stopped as soon as that many seeds have diverged; the TensorFlow backend trains
  the seeds one after another, so each seed gets its own call, a seed is stopped as soon as
  it diverges, and the remaining seeds are skipped once the verdict is settled. The grade is
  then given from the epochs recorded so far, without training the remaining epochs.
- **Measured figures.** A check's ``measured`` is the median of its per-seed figures;
  its ``message`` is the one of the representative seed: the seed whose main figure (the
  first check's) is the median one. Curves and diagnostics are shown for that seed.
- **Validation rows.** Every task validates on the dataset's own validation split, so a
  spec's ``validation_split`` is ignored; metrics a check needs but the spec does not list are
  computed from the trained model's predictions on the final weights.
- **Diagnostics** (``training.diagnostics.diagnose``: dying ReLU, vanishing gradients,
  learning rate) run on at most ``DIAGNOSTIC_ROWS`` validation rows of the representative
  seed.

Check kinds (``CHECK_KINDS``) and their params (defaults in brackets); every kind also takes
``advice``, a sentence appended to the message when the check fails:

- ``metric_at_least`` / ``metric_at_most``: ``metric``, ``threshold``, ``split``
  [validation] (train | validation | test), ``at`` [final] (final | best).
- ``no_overfitting``: passes when validation loss does *not* turn up while training loss keeps
  falling (``training.checks.overfitting``: ``key`` [loss], ``smooth`` [3], ``patience`` [3],
  ``min_rise`` [0.05], ``train_drop`` [0.01]).
- ``overfitting_shown``: the same detector; passes when overfitting *is* detected.
- ``train_val_gap_at_most``: ``metric`` [accuracy], ``max_gap``, ``at`` [final].
- ``converged``: ``key`` [loss], ``window`` [5], ``rel_tol`` [0.01].
- ``not_diverged``: ``key`` [loss], ``factor`` [10].
- ``beats_naive_forecast``: test mse at most ``factor`` [1.0] times
  ``training.datasets.naive_last_value_mse`` (sequence datasets only).
- ``first_layer_gradient_at_least``: ``min_ratio``: first-layer over last-layer gradient norm
  (``training.diagnostics.vanishing_gradients``) on the validation rows.
- ``params_at_most``: ``max_params``: trainable parameters, counted as Keras does.
- ``metric_near_reference``: ``metric``, ``reference``, ``margin``, ``split`` [test],
  ``reference_label`` [the reference model]: within ``margin`` of a figure measured once for
  a reference model (e.g. the best ANN on a small dataset).

Every check carries a ``section``, the handout section behind it as
``"<lesson slug>#<heading id>"`` (a default per kind when the task gives none).
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, Literal, NoReturn, cast

import numpy as np

from training import checks as core_checks
from training.checks import CheckResult, json_safe
from training.datasets import DATASET_NAMES, Dataset, load_dataset, naive_last_value_mse
from training.diagnostics import (
    diagnose,
    learning_rate_diagnosis,
    trainable_layers,
    vanishing_gradients,
)
from training.errors import DataError, SpecError, TrainingError
from training.fitting import (
    EpochCallback,
    FitResult,
    TrainedModel,
    check_fit_limits,
    get_backend,
)
from training.spec import (
    DEFAULT_LIMITS,
    LAYER_TYPES,
    LSTM,
    OPTIMIZER_DEFAULTS,
    OPTIMIZERS,
    Dense,
    Limits,
    ModelSpec,
    SimpleRNN,
    count_params,
)
from training.verdict_figures import with_figures

__all__ = [
    "CHECK_KINDS",
    "CONSTRAINT_KINDS",
    "DEFAULT_SECTIONS",
    "DIAGNOSTIC_ROWS",
    "EXPLOSION_CEILING",
    "EXPLOSION_FACTOR",
    "TASK_DEFINITION_FIELDS",
    "CheckSpec",
    "Judgement",
    "TaskDefinition",
    "TaskDefinitionError",
    "Verdict",
    "check_submission",
    "effective_learning_rate",
    "judge",
    "parse_task_definition",
]

Verdict = Literal["passed", "failed", "diverged"]
Backend = Literal["numpy", "tensorflow"]

CHECK_KINDS: tuple[str, ...] = (
    "metric_at_least",
    "metric_at_most",
    "no_overfitting",
    "overfitting_shown",
    "train_val_gap_at_most",
    "converged",
    "not_diverged",
    "beats_naive_forecast",
    "first_layer_gradient_at_least",
    "params_at_most",
    "metric_near_reference",
)
CONSTRAINT_KINDS: tuple[str, ...] = (
    "max_epochs",
    "learning_rate",
    "layer_types",
    "max_params",
    "optimizers",
    "batch_size",
    "min_hidden_layers",
)
TASK_DEFINITION_FIELDS: tuple[str, ...] = (
    "dataset",
    "dataset_seed",
    "backend",
    "seeds",
    "required_passes",
    "checks",
    "limits",
    "constraints",
)

DEFAULT_SEEDS: tuple[int, ...] = (0, 1, 2)
MAX_SEEDS = 10
EXPLOSION_FACTOR = 1e4
EXPLOSION_CEILING = 1e12
DIAGNOSTIC_ROWS = 256
# Backends that train all seeds together in one pass (one fit call for every seed).
STACKED_BACKENDS: tuple[str, ...] = ("numpy",)

# Handout sections ("<lesson slug>#<heading id>") behind each check kind and diagnostic.
_OVERFITTING = "challenges-and-solutions#overfitting-vs-underfitting"
_DIVERGENCE_SECTION = "optimizers#1-gradient-descent"
DEFAULT_SECTIONS: dict[str, str] = {
    "metric_at_least": "loss-convergence-and-epochs#reading-the-loss",
    "metric_at_most": "loss-convergence-and-epochs#reading-the-loss",
    "no_overfitting": _OVERFITTING,
    "overfitting_shown": "challenges-and-solutions#qa-overfitting",
    "train_val_gap_at_most": "challenges-and-solutions#checkpoint-98-in-training-60-on-test-data",
    "converged": "loss-convergence-and-epochs#convergence-and-epochs",
    "not_diverged": _DIVERGENCE_SECTION,
    "beats_naive_forecast": "types-of-neural-networks#checkpoint-forecasting-stock-prices",
    "first_layer_gradient_at_least": "challenges-and-solutions#common-issues-in-ann-training",
    "params_at_most": "ann-vs-traditional-algorithms#checkpoint-only-500-samples",
    "metric_near_reference": "ann-vs-traditional-algorithms#comparison",
    # diagnostics
    "dead_relu": "ann-architecture#activation-functions-at-a-glance",
    "vanishing_gradients": "challenges-and-solutions#common-issues-in-ann-training",
    "learning_rate": _DIVERGENCE_SECTION,
}
_DEFAULT_LABELS: dict[str, str] = {
    "metric_at_least": "Score",
    "metric_at_most": "Error",
    "no_overfitting": "No overfitting",
    "overfitting_shown": "Overfitting shown",
    "train_val_gap_at_most": "Training-validation gap",
    "converged": "Convergence",
    "not_diverged": "Stable training",
    "beats_naive_forecast": "Beats the naive forecast",
    "first_layer_gradient_at_least": "First-layer gradients",
    "params_at_most": "Model size",
    "metric_near_reference": "Close to the reference",
}

_SECTION_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*(?:#[a-z0-9][a-z0-9_-]*)?")
_SPLITS: tuple[str, ...] = ("train", "validation", "test")
_ATS: tuple[str, ...] = ("final", "best")
_CHECK_METRICS: tuple[str, ...] = ("loss", "accuracy", "balanced_accuracy", "mse", "mae")
_CLASSIFICATION_METRICS: tuple[str, ...] = ("accuracy", "balanced_accuracy")
_REGRESSION_METRICS: tuple[str, ...] = ("mse", "mae")
_HISTORY_KEYS: tuple[str, ...] = ("loss", "mse", "mae")


class TaskDefinitionError(ValueError):
    """A task definition is malformed; the message starts with the field path."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


# --------------------------------------------------------------------------------------------
# The definitions
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckSpec:
    kind: str
    label: str
    params: Mapping[str, Any]
    section: str | None


@dataclass(frozen=True)
class TaskDefinition:
    dataset: str
    dataset_seed: int
    backend: Backend
    seeds: tuple[int, ...]
    required_passes: int
    checks: tuple[CheckSpec, ...]
    limits: Limits
    constraints: Mapping[str, Any]


# --------------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------------


def _fail(path: str, reason: str) -> NoReturn:
    raise TaskDefinitionError(path, reason)


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _int(value: object, path: str, *, minimum: int = 0, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        _fail(path, f"must be a whole number, got {_show(value)}")
    if value < minimum:
        _fail(path, f"must be at least {minimum}, got {value}")
    if maximum is not None and value > maximum:
        _fail(path, f"must be at most {maximum}, got {value}")
    return value


def _float(value: object, path: str, *, low: float | None = None, low_open: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        _fail(path, f"must be a number, got {_show(value)}")
    number = float(value)
    if not math.isfinite(number):
        _fail(path, f"must be a finite number, got {number}")
    if low is not None and (number <= low if low_open else number < low):
        _fail(path, f"must be {'greater than' if low_open else 'at least'} {low:g}, got {number:g}")
    return number


def _choice(value: object, path: str, options: Sequence[str]) -> str:
    if not isinstance(value, str) or value not in options:
        _fail(path, f"must be one of {', '.join(options)}, got {_show(value)}")
    return value


def _text(value: object, path: str) -> str:
    if not isinstance(value, str) or not value.strip():
        _fail(path, f"must be a non-empty text, got {_show(value)}")
    return value.strip()


def _mapping(value: object, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        _fail(path, f"must be a mapping of names to values, got {_show(value)}")
    for key in value:
        if not isinstance(key, str):
            _fail(path, f"has a key {_show(key)}; keys must be text")
    return cast(Mapping[str, Any], value)


_Param = Callable[[object, str], Any]
_REQUIRED = object()


def _p_metric(value: object, path: str) -> str:
    return _choice(value, path, _CHECK_METRICS)


def _p_key(value: object, path: str) -> str:
    return _choice(value, path, _HISTORY_KEYS)


def _p_split(value: object, path: str) -> str:
    return _choice(value, path, _SPLITS)


def _p_at(value: object, path: str) -> str:
    return _choice(value, path, _ATS)


def _p_number(value: object, path: str) -> float:
    return _float(value, path)


def _p_non_negative(value: object, path: str) -> float:
    return _float(value, path, low=0.0)


def _p_positive(value: object, path: str) -> float:
    return _float(value, path, low=0.0, low_open=True)


def _p_count(value: object, path: str) -> int:
    return _int(value, path, minimum=1)


def _p_text(value: object, path: str) -> str:
    return _text(value, path)


_OVERFITTING_PARAMS: dict[str, tuple[_Param, object]] = {
    "key": (_p_key, "loss"),
    "smooth": (_p_count, 3),
    "patience": (_p_count, 3),
    "min_rise": (_p_non_negative, 0.05),
    "train_drop": (_p_non_negative, 0.01),
}
_THRESHOLD_PARAMS: dict[str, tuple[_Param, object]] = {
    "metric": (_p_metric, _REQUIRED),
    "threshold": (_p_number, _REQUIRED),
    "split": (_p_split, "validation"),
    "at": (_p_at, "final"),
}
_PARAMS: dict[str, dict[str, tuple[_Param, object]]] = {
    "metric_at_least": _THRESHOLD_PARAMS,
    "metric_at_most": _THRESHOLD_PARAMS,
    "no_overfitting": _OVERFITTING_PARAMS,
    "overfitting_shown": _OVERFITTING_PARAMS,
    "train_val_gap_at_most": {
        "metric": (_p_metric, "accuracy"),
        "max_gap": (_p_non_negative, _REQUIRED),
        "at": (_p_at, "final"),
    },
    "converged": {
        "key": (_p_key, "loss"),
        "window": (_p_count, 5),
        "rel_tol": (_p_non_negative, 0.01),
    },
    "not_diverged": {"key": (_p_key, "loss"), "factor": (_p_positive, 10.0)},
    "beats_naive_forecast": {"factor": (_p_positive, 1.0)},
    "first_layer_gradient_at_least": {"min_ratio": (_p_positive, _REQUIRED)},
    "params_at_most": {"max_params": (_p_count, _REQUIRED)},
    "metric_near_reference": {
        "metric": (_p_metric, _REQUIRED),
        "reference": (_p_number, _REQUIRED),
        "margin": (_p_non_negative, _REQUIRED),
        "split": (_p_split, "test"),
        "reference_label": (_p_text, "the reference model"),
    },
}
_CHECK_FIELDS: tuple[str, ...] = ("kind", "label", "params", "section")


def _parse_check(data: object, path: str, dataset: Dataset) -> CheckSpec:
    entry = _mapping(data, path)
    for key in entry:
        if key not in _CHECK_FIELDS:
            _fail(f"{path}.{key}", f"unknown field; allowed: {', '.join(_CHECK_FIELDS)}")
    if "kind" not in entry:
        _fail(f"{path}.kind", f"is missing; one of {', '.join(CHECK_KINDS)}")
    kind = _choice(entry["kind"], f"{path}.kind", CHECK_KINDS)
    label = _text(entry.get("label", _DEFAULT_LABELS[kind]), f"{path}.label")
    section_value = entry.get("section", DEFAULT_SECTIONS[kind])
    section: str | None = None
    if section_value is not None:
        section = _text(section_value, f"{path}.section")
        if not _SECTION_RE.fullmatch(section):
            _fail(f"{path}.section", f"must be '<lesson slug>#<heading id>', got {_show(section)}")
    raw = _mapping(entry.get("params", {}), f"{path}.params")
    schema = _PARAMS[kind]
    params: dict[str, Any] = {}
    for key, value in raw.items():
        if key == "advice":
            params["advice"] = _text(value, f"{path}.params.advice")
            continue
        if key not in schema:
            allowed = ", ".join([*schema, "advice"])
            _fail(f"{path}.params.{key}", f"unknown parameter for {kind}; allowed: {allowed}")
        params[key] = schema[key][0](value, f"{path}.params.{key}")
    for key, (_, default) in schema.items():
        if key not in params:
            if default is _REQUIRED:
                _fail(f"{path}.params.{key}", f"is missing: {kind} needs it")
            params[key] = default
    _check_fits_dataset(kind, params, path, dataset)
    return CheckSpec(kind=kind, label=label, params=params, section=section)


def _check_fits_dataset(kind: str, params: Mapping[str, Any], path: str, dataset: Dataset) -> None:
    classification = dataset.task in ("binary", "multiclass")
    metric = params.get("metric")
    if metric in _CLASSIFICATION_METRICS and not classification:
        _fail(
            f"{path}.params.metric",
            f"{metric} needs a classification dataset; {dataset.name} is {dataset.task}",
        )
    if metric in _REGRESSION_METRICS and classification:
        _fail(
            f"{path}.params.metric",
            f"{metric} needs a regression dataset; {dataset.name} is {dataset.task}",
        )
    if kind == "beats_naive_forecast" and dataset.task != "sequence-regression":
        _fail(
            f"{path}.kind",
            f"beats_naive_forecast needs a sequence dataset; {dataset.name} is {dataset.task}",
        )


def _parse_limits(data: object, path: str) -> Limits:
    raw = _mapping(data, path)
    names = [f.name for f in fields(Limits)]
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in names:
            _fail(f"{path}.{key}", f"unknown limit; known: {', '.join(names)}")
        default = getattr(DEFAULT_LIMITS, key)
        if isinstance(default, int):
            values[key] = _int(value, f"{path}.{key}", minimum=1, maximum=default)
        else:
            number = _float(value, f"{path}.{key}", low=0.0, low_open=True)
            if number > default:
                _fail(f"{path}.{key}", f"must be at most the default {default:g}, got {number:g}")
            values[key] = number
    return Limits(**values)


def _parse_constraints(data: object, path: str) -> dict[str, Any]:
    raw = _mapping(data, path)
    out: dict[str, Any] = {}
    for key, value in raw.items():
        where = f"{path}.{key}"
        if key in ("max_epochs", "max_params", "min_hidden_layers"):
            out[key] = _int(value, where, minimum=1)
        elif key == "learning_rate":
            out[key] = _float(value, where, low=0.0, low_open=True)
        elif key in ("layer_types", "optimizers"):
            options = LAYER_TYPES if key == "layer_types" else OPTIMIZERS
            if not isinstance(value, list) or not value:
                _fail(where, f"must be a non-empty list of {', '.join(options)}")
            out[key] = [_choice(item, f"{where}[{i}]", options) for i, item in enumerate(value)]
        elif key == "batch_size":
            if value == "full":
                out[key] = "full"
            else:
                out[key] = _int(value, where, minimum=1)
        else:
            _fail(where, f"unknown constraint; known: {', '.join(CONSTRAINT_KINDS)}")
    return out


def parse_task_definition(data: Mapping[str, Any]) -> TaskDefinition:
    """Validate a task definition (the ``TASK_DEFINITION_FIELDS`` of a mapping).

    Raises ``TaskDefinitionError`` whose message starts with the field path
    (``checks[2].params.threshold: ...``).
    """
    root = _mapping(data, "task")
    for key in root:
        if key not in TASK_DEFINITION_FIELDS:
            _fail(key, f"unknown field; allowed: {', '.join(TASK_DEFINITION_FIELDS)}")
    if "dataset" not in root:
        _fail("dataset", f"is missing; one of {', '.join(DATASET_NAMES)}")
    dataset_name = _choice(root["dataset"], "dataset", DATASET_NAMES)
    dataset_seed = _int(root.get("dataset_seed", 0), "dataset_seed")
    backend = cast(
        Backend, _choice(root.get("backend", "numpy"), "backend", ("numpy", "tensorflow"))
    )
    raw_seeds = root.get("seeds", list(DEFAULT_SEEDS))
    if not isinstance(raw_seeds, list) or not raw_seeds:
        _fail("seeds", f"must be a non-empty list of seeds, got {_show(raw_seeds)}")
    if len(raw_seeds) > MAX_SEEDS:
        _fail("seeds", f"has {len(raw_seeds)} seeds; at most {MAX_SEEDS}")
    seeds = tuple(_int(s, f"seeds[{i}]") for i, s in enumerate(raw_seeds))
    if len(set(seeds)) != len(seeds):
        _fail("seeds", "must not repeat a seed")
    required = _int(
        root.get("required_passes", len(seeds) // 2 + 1),  # a majority: 2 of the default 3
        "required_passes",
        minimum=1,
        maximum=len(seeds),
    )
    dataset = load_dataset(dataset_name, dataset_seed)
    raw_checks = root.get("checks")
    if not isinstance(raw_checks, list) or not raw_checks:
        _fail("checks", "must be a non-empty list of checks")
    parsed_checks = tuple(
        _parse_check(item, f"checks[{i}]", dataset) for i, item in enumerate(raw_checks)
    )
    limits = _parse_limits(root.get("limits", {}), "limits")
    constraints = _parse_constraints(root.get("constraints", {}), "constraints")
    if "max_epochs" in constraints and constraints["max_epochs"] > limits.max_epochs:
        _fail("constraints.max_epochs", f"is above limits.max_epochs ({limits.max_epochs})")
    return TaskDefinition(
        dataset=dataset_name,
        dataset_seed=dataset_seed,
        backend=backend,
        seeds=seeds,
        required_passes=required,
        checks=parsed_checks,
        limits=limits,
        constraints=constraints,
    )


# --------------------------------------------------------------------------------------------
# Before training
# --------------------------------------------------------------------------------------------


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


def check_submission(task: TaskDefinition, spec: ModelSpec) -> None:
    """Reject before training what cannot be judged, naming the field path.

    In order: the task's constraints (``epochs: 50 is over this task's 20``), what the
    task's backend supports (``UnsupportedByBackend``), the input shape against the dataset's,
    the output units and loss against the dataset's task, and the cost limits
    (``training.fitting.check_fit_limits`` for all the task's seeds under ``task.limits``,
    raising ``LimitExceeded``).
    """
    _check_constraints(task, spec)
    get_backend(task.backend).supports(spec)
    dataset = load_dataset(task.dataset, task.dataset_seed)
    _check_fits_data(spec, dataset)
    check_fit_limits(spec, dataset.to_fit_data(), n_seeds=len(task.seeds), limits=task.limits)


# --------------------------------------------------------------------------------------------
# The judgement
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Judgement:
    verdict: Verdict
    summary: str
    checks: list[dict[str, Any]]
    diagnostics: list[dict[str, Any]]
    seeds: list[dict[str, Any]]
    representative: int
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """Everything as plain JSON data (NaN/inf become None)."""
        data = {
            "verdict": self.verdict,
            "summary": self.summary,
            "checks": self.checks,
            "diagnostics": self.diagnostics,
            "seeds": self.seeds,
            "representative": self.representative,
            "seconds": self.seconds,
        }
        safe: dict[str, Any] = json_safe(data)
        return with_figures(safe)


class _TrainingExploded(Exception):
    """Raised from the epoch callback to stop training once the verdict is "diverged"."""


@dataclass
class _Watch:
    """Records every seed's epoch logs and stops training once there is no point going on.

    It raises ``_TrainingExploded`` when more than ``allowed_bad`` seeds diverged (the verdict
    is then "diverged" whatever the others do) and, with ``stop_each``, as soon as the seed
    being trained diverges (for backends that train one seed per ``fit`` call).
    """

    seeds: tuple[int, ...]
    allowed_bad: int
    caller: EpochCallback | None
    stop_each: bool = False
    logs: dict[int, dict[str, list[float]]] = field(default_factory=dict)
    first_loss: dict[int, float] = field(default_factory=dict)
    bad: set[int] = field(default_factory=set)

    def __call__(self, seed: int, epoch: int, logs: dict[str, float]) -> None:
        history = self.logs.setdefault(seed, {})
        for key, value in logs.items():
            history.setdefault(key, []).append(float(value))
        loss = logs.get("loss")
        if loss is not None:
            loss = float(loss)
            first = self.first_loss.setdefault(seed, loss)
            if _exploded(loss, first):
                self.bad.add(seed)
        if self.caller is not None:
            self.caller(seed, epoch, logs)
        if len(self.bad) > self.allowed_bad or (self.stop_each and seed in self.bad):
            raise _TrainingExploded

    @property
    def verdict_settled(self) -> bool:
        return len(self.bad) > self.allowed_bad


def _exploded(loss: float, first: float) -> bool:
    if not math.isfinite(loss) or abs(loss) > EXPLOSION_CEILING:
        return True
    return math.isfinite(first) and first > 0 and loss > EXPLOSION_FACTOR * first


def _history_exploded(history: Mapping[str, Sequence[float]]) -> bool:
    losses = list(history.get("loss", []))
    if not losses:
        return False
    first = float(losses[0])
    return any(_exploded(float(v), first) for v in losses)


@dataclass
class _SeedRun:
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
        """``model.evaluate`` of ``split`` plus the metrics every check may ask for."""
        if split not in self._figures:
            self._figures[split] = self._compute(split)
        return self._figures[split]

    def _compute(self, split: str) -> dict[str, float] | None:
        model = self.model
        if model is None:
            return None
        x, y = self.dataset.split(cast(Any, split))
        try:
            evaluation = {k: float(v) for k, v in model.evaluate(x, y).items()}
            predicted = np.asarray(model.predict(x), dtype=np.float64)
        except (TrainingError, FloatingPointError, ValueError):
            return None
        evaluation.update(_prediction_metrics(self.dataset, predicted, np.asarray(y)))
        return evaluation


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


# --------------------------------------------------------------------------------------------
# Running one check on one seed
# --------------------------------------------------------------------------------------------


def _with_advice(result: CheckResult, params: Mapping[str, Any]) -> CheckResult:
    advice = params.get("advice")
    if result.passed or not advice:
        return result
    return CheckResult(
        name=result.name,
        passed=result.passed,
        measured=result.measured,
        threshold=result.threshold,
        message=f"{result.message} {advice}",
        details=result.details,
    )


def _history_for(run: _SeedRun, metric: str, split: str) -> dict[str, list[float]]:
    """The history, with the final-model figure standing in for a metric it lacks."""
    key = metric if split == "train" else f"val_{metric}"
    if key in run.history:
        return run.history
    figures = run.figures(split)
    if figures is None or metric not in figures:
        raise DataError(f"the {split} {metric} could not be computed")
    return {**run.history, key: [figures[metric]]}


def _threshold(spec: CheckSpec, run: _SeedRun) -> CheckResult:
    p = spec.params
    metric, split, at = p["metric"], p["split"], p["at"]
    fn = (
        core_checks.metric_at_least
        if spec.kind == "metric_at_least"
        else core_checks.metric_at_most
    )
    if split == "test":
        figures = run.figures("test")
        if figures is None:
            raise DataError("the test figures could not be computed")
        return fn(None, metric, p["threshold"], split="test", evaluation=figures)
    history = _history_for(run, metric, split)
    return fn(history, metric, p["threshold"], split=split, at=at)


def _overfitting(spec: CheckSpec, run: _SeedRun) -> CheckResult:
    p = spec.params
    result = core_checks.overfitting(
        run.history,
        key=p["key"],
        smooth=p["smooth"],
        patience=p["patience"],
        min_rise=p["min_rise"],
        train_drop=p["train_drop"],
    )
    if spec.kind == "no_overfitting":
        return result
    detected = bool(result.details.get("detected"))
    if detected:
        message = (
            f"{result.message.split(': the model is overfitting')[0]}: this is overfitting, "
            "as asked — the network memorises the training rows instead of learning the "
            "pattern."
        )
    else:
        message = (
            "No overfitting yet: the checks look for validation loss turning up while "
            "training loss keeps falling, and did not see it ("
            + result.message.rstrip(".")
            + "). Overfitting comes from a model too complex for the data, too many epochs "
            "and no regularization: use more neurons, more epochs, no dropout, no L2 and no "
            "early stopping."
        )
    return CheckResult(
        name="overfitting_shown",
        passed=detected,
        measured=result.measured,
        threshold=result.threshold,
        message=message,
        details=result.details,
    )


def _gap(spec: CheckSpec, run: _SeedRun) -> CheckResult:
    p = spec.params
    metric = p["metric"]
    base = run.history
    if metric not in base or f"val_{metric}" not in base:
        train = run.figures("train")
        val = run.figures("validation")
        if train is None or val is None:
            raise DataError(f"the {metric} could not be computed")
        base = {metric: [train[metric]], f"val_{metric}": [val[metric]]}
    return core_checks.train_val_gap(base, metric, max_gap=p["max_gap"], at=p["at"])


def _naive(spec: CheckSpec, run: _SeedRun) -> CheckResult:
    figures = run.figures("test")
    if figures is None:
        raise DataError("the test figures could not be computed")
    naive = naive_last_value_mse(run.dataset, "test")
    limit = naive * float(spec.params["factor"])
    mse = figures["mse"]
    passed = math.isfinite(mse) and mse <= limit
    ratio = mse / naive if naive > 0 else math.inf
    factor = float(spec.params["factor"])
    wanted = (
        "below the naive forecast's" if factor == 1.0 else f"at most {factor:g} times the naive"
    )
    if passed:
        message = (
            f"Test mean squared error is {mse:.4g}, {ratio:.2f} times the naive 'tomorrow = "
            f"today' forecast's {naive:.4g}: the recurrent network learned patterns over time "
            "that the naive forecast misses."
        )
    else:
        message = (
            f"Test mean squared error is {mse:.4g}, {ratio:.2f} times the naive 'tomorrow = "
            f"today' forecast's {naive:.4g} ({wanted} {naive:.4g} needed): the network has not "
            "learned more than repeating the last price — give the recurrent layer (SimpleRNN "
            "or LSTM) enough units and epochs and a suitable learning rate (RMSprop or Adam "
            "suit time series)."
        )
    return CheckResult(
        name="beats_naive_forecast",
        passed=bool(passed),
        measured=mse,
        threshold=limit,
        message=message,
        details={"naive_mse": naive, "ratio": ratio},
    )


def _gradient(spec: CheckSpec, run: _SeedRun) -> CheckResult:
    model = run.model
    if model is None:
        raise DataError("the model is not available")
    x = run.dataset.x_val[:DIAGNOSTIC_ROWS]
    y = run.dataset.y_val[:DIAGNOSTIC_ROWS]
    result = vanishing_gradients(model, x, y, min_ratio=spec.params["min_ratio"], spec=run.spec)
    return CheckResult(
        name="first_layer_gradient",
        passed=result.passed,
        measured=result.measured,
        threshold=result.threshold,
        message=result.message,
        details=result.details,
    )


def _params(spec: CheckSpec, run: _SeedRun) -> CheckResult:
    limit = int(spec.params["max_params"])
    n = count_params(run.spec)
    passed = n <= limit
    if passed:
        message = f"The model has {n:,} trainable parameters (at most {limit:,} allowed)."
    else:
        message = (
            f"The model has {n:,} trainable parameters, more than the {limit:,} allowed: a "
            "bigger network needs more data and overfits easily on few rows, and it is slower "
            "and harder to interpret than a simple model."
        )
    return CheckResult(
        name="params_at_most",
        passed=passed,
        measured=float(n),
        threshold=float(limit),
        message=message,
        details={"params": n},
    )


def _near_reference(spec: CheckSpec, run: _SeedRun) -> CheckResult:
    p = spec.params
    metric, split = p["metric"], p["split"]
    figures = run.figures(split)
    if figures is None or metric not in figures:
        raise DataError(f"the {split} {metric} could not be computed")
    value = figures[metric]
    higher = core_checks.higher_is_better(metric)
    margin, reference = float(p["margin"]), float(p["reference"])
    limit = reference - margin if higher else reference + margin
    passed = math.isfinite(value) and (value >= limit if higher else value <= limit)
    fraction = metric in _CLASSIFICATION_METRICS

    def fmt(v: float) -> str:
        return f"{v * 100:.1f} %" if fraction else f"{v:.4g}"

    gap = f"{margin * 100:.1f} percentage points" if fraction else f"{margin:.4g}"
    name = metric.replace("_", " ")
    split_label = {"train": "training", "validation": "validation", "test": "test"}[split]
    subject = f"{split_label.capitalize()} {name} is {fmt(value)}"
    who = p["reference_label"]
    if passed:
        message = f"{subject}, within {gap} of {who}'s {fmt(reference)}: as good, for less."
    else:
        message = (
            f"{subject}, more than {gap} {'below' if higher else 'above'} {who}'s "
            f"{fmt(reference)} (at least {fmt(limit)} needed): the model has not learned the "
            "task well enough yet — check the learning rate, the optimizer and the number of "
            "epochs."
        )
    return CheckResult(
        name="metric_near_reference",
        passed=bool(passed),
        measured=value,
        threshold=limit,
        message=message,
        details={"reference": reference, "margin": margin, "metric": metric, "split": split},
    )


def _converged(spec: CheckSpec, run: _SeedRun) -> CheckResult:
    p = spec.params
    return core_checks.converged(
        run.history, key=p["key"], window=p["window"], rel_tol=p["rel_tol"]
    )


def _not_diverged(spec: CheckSpec, run: _SeedRun) -> CheckResult:
    p = spec.params
    return core_checks.diverged(run.history, key=p["key"], factor=p["factor"])


_RUNNERS: dict[str, Callable[[CheckSpec, _SeedRun], CheckResult]] = {
    "metric_at_least": _threshold,
    "metric_at_most": _threshold,
    "no_overfitting": _overfitting,
    "overfitting_shown": _overfitting,
    "train_val_gap_at_most": _gap,
    "converged": _converged,
    "not_diverged": _not_diverged,
    "beats_naive_forecast": _naive,
    "first_layer_gradient_at_least": _gradient,
    "params_at_most": _params,
    "metric_near_reference": _near_reference,
}
_HISTORY_ONLY = ("not_diverged", "converged", "params_at_most")

DIVERGED_MESSAGE = (
    "Training diverged on this seed: the loss became NaN or infinite or exploded, so the "
    "weights are useless — the learning rate is most likely too high, so each update "
    "overshoots the minimum; lower it or use an adaptive optimizer such as Adam."
)


def _run_check(spec: CheckSpec, run: _SeedRun) -> CheckResult:
    if run.diverged and spec.kind in _HISTORY_ONLY and spec.kind != "params_at_most":
        result = _RUNNERS[spec.kind](spec, run) if run.history.get("loss") else None
        if result is not None and not result.passed:
            return _with_advice(result, spec.params)
    if run.diverged and spec.kind != "params_at_most":
        return CheckResult(
            name=spec.kind, passed=False, measured=None, threshold=None, message=DIVERGED_MESSAGE
        )
    try:
        result = _RUNNERS[spec.kind](spec, run)
    except DataError as error:
        result = CheckResult(
            name=spec.kind,
            passed=False,
            measured=None,
            threshold=None,
            message=f"This check could not be judged: {error}.",
        )
    return _with_advice(result, spec.params)


# --------------------------------------------------------------------------------------------
# Aggregation
# --------------------------------------------------------------------------------------------


def _finite(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return float(value)


def _representative(results: list[list[CheckResult]]) -> int:
    """The seed whose first check's figure is the median (seeds without one sort last)."""
    if not results or not results[0]:
        return 0
    figures = [_finite(r[0].measured) for r in results]
    order = sorted(range(len(results)), key=lambda i: (figures[i] is None, figures[i] or 0.0, i))
    return order[(len(order) - 1) // 2]


def _check_names(specs: Sequence[CheckSpec]) -> list[str]:
    names: list[str] = []
    for spec in specs:
        name, n = spec.kind, 2
        while name in names:
            name, n = f"{spec.kind}_{n}", n + 1
        names.append(name)
    return names


def _aggregate(
    task: TaskDefinition, runs: list[_SeedRun], results: list[list[CheckResult]], rep: int
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for index, (spec, name) in enumerate(zip(task.checks, _check_names(task.checks), strict=True)):
        per_seed = [seed_results[index] for seed_results in results]
        passes = sum(1 for r in per_seed if r.passed)
        figures = [f for f in (_finite(r.measured) for r in per_seed) if f is not None]
        measured = float(np.median(figures)) if figures else None
        chosen = per_seed[rep]
        threshold = chosen.threshold
        if threshold is None:
            threshold = next((r.threshold for r in per_seed if r.threshold is not None), None)
        out.append(
            {
                "name": name,
                "kind": spec.kind,
                "label": spec.label,
                "passed": passes >= task.required_passes,
                "measured": measured,
                "threshold": threshold,
                "message": chosen.message,
                "section": spec.section,
                "seeds_passed": passes,
                "n_seeds": len(runs),
                "per_seed": [
                    {
                        "seed": run.seed,
                        "passed": bool(r.passed),
                        "measured": _finite(r.measured),
                        "message": r.message,
                    }
                    for run, r in zip(runs, per_seed, strict=True)
                ],
            }
        )
    return json_safe(out)  # type: ignore[no-any-return]


def _seed_entry(run: _SeedRun) -> dict[str, Any]:
    history = run.history
    onset: int | None = None
    if "val_loss" in history and "loss" in history and not run.diverged:
        try:
            found = core_checks.overfitting(history).details.get("onset_epoch")
            onset = int(found) if found is not None else None
        except DataError:
            onset = None
    result = run.result
    test: dict[str, float] | None = None
    if result is not None and not run.diverged:
        try:
            x, y = run.dataset.split("test")
            test = {k: float(v) for k, v in result.model.evaluate(x, y).items()}
        except (TrainingError, FloatingPointError, ValueError):
            test = None
    best = None if result is None or result.best_epoch is None else result.best_epoch + 1
    return {
        "seed": run.seed,
        "history": {k: [float(v) for v in values] for k, values in history.items()},
        "epochs_run": len(history.get("loss", [])) if result is None else result.epochs_run,
        "best_epoch": best,
        "overfitting_onset": onset,
        "diverged": run.diverged,
        "stopped_early": False if result is None else bool(result.stopped_early),
        "test": test,
    }


def _diagnostics(run: _SeedRun) -> list[dict[str, Any]]:
    rate = effective_learning_rate(run.spec)
    found: list[CheckResult] = []
    model = run.model
    if model is not None and not run.diverged:
        x = run.dataset.x_val[:DIAGNOSTIC_ROWS]
        y = run.dataset.y_val[:DIAGNOSTIC_ROWS]
        try:
            found = diagnose(model, run.spec, run.history, x, y, learning_rate=rate)
        except (TrainingError, FloatingPointError, ValueError):
            found = []
    if not found and len(run.history.get("loss", [])) >= 2:
        try:
            found = [learning_rate_diagnosis(run.history, learning_rate=rate)]
        except DataError:
            found = []
    out = []
    for result in found:
        entry = result.to_dict()
        entry["section"] = DEFAULT_SECTIONS.get(result.name)
        out.append(entry)
    return out


def _summary(
    verdict: Verdict, checks: list[dict[str, Any]], task: TaskDefinition, diverged: int
) -> str:
    n = len(task.seeds)
    if verdict == "diverged":
        return (
            f"Training diverged on {diverged} of the {n} training seeds: the loss became NaN, "
            "infinite or exploded, so the network learned nothing. The learning rate is most "
            "likely too high — lower it, or use an adaptive optimizer such as Adam."
        )
    if verdict == "passed":
        return (
            f"Passed: all {len(checks)} checks held on at least {task.required_passes} of the "
            f"{n} training seeds."
        )
    failing = [c for c in checks if not c["passed"]]
    labels = ", ".join(c["label"] for c in failing)
    return (
        f"Not passed yet: {len(failing)} of {len(checks)} checks failed ({labels}). "
        f"{_headline(failing[0]['message'])} Each check below says what to change."
    )


def _headline(message: str) -> str:
    """The first statement of a check's message: up to its first colon or sentence end."""
    end = len(message)
    for mark in (": ", ". ", " — "):
        found = message.find(mark)
        if found != -1:
            end = min(end, found)
    return message[:end].rstrip(".") + "."


def _train(
    task: TaskDefinition, spec: ModelSpec, dataset: Dataset, watch: _Watch
) -> dict[int, FitResult]:
    """Each seed's result; a seed stopped by ``watch`` (or never started) has none.

    A stacked backend trains every seed in one ``fit`` call, so a stop ends them all. Other
    backends train the seeds one after another anyway: each gets its own call, so a seed that
    blows up is stopped alone, and the seeds after it are skipped once the verdict is settled.
    """
    backend = get_backend(task.backend)
    data = dataset.to_fit_data()
    if task.backend in STACKED_BACKENDS:
        try:
            results = backend.fit(spec, data, seeds=task.seeds, on_epoch_end=watch)
        except _TrainingExploded:
            return {}
        return {result.seed: result for result in results}
    fitted: dict[int, FitResult] = {}
    for seed in task.seeds:
        if watch.verdict_settled:
            break
        try:
            (fitted[seed],) = backend.fit(spec, data, seeds=[seed], on_epoch_end=watch)
        except _TrainingExploded:
            continue
    return fitted


def judge(
    task: TaskDefinition, spec: ModelSpec, *, on_epoch_end: EpochCallback | None = None
) -> Judgement:
    """``check_submission``, train every seed, run every check per seed, aggregate, diagnose.

    Errors of ``check_submission`` (``SpecError``, ``LimitExceeded``,
    ``UnsupportedByBackend``) propagate; everything after that ends in a ``Judgement``.
    """
    started = time.perf_counter()
    check_submission(task, spec)
    dataset = load_dataset(task.dataset, task.dataset_seed)
    n = len(task.seeds)
    watch = _Watch(
        seeds=task.seeds,
        allowed_bad=n - task.required_passes,
        caller=on_epoch_end,
        stop_each=task.backend not in STACKED_BACKENDS,
    )
    fitted = _train(task, spec, dataset, watch)

    runs: list[_SeedRun] = []
    for seed in task.seeds:
        result = fitted.get(seed)
        if result is not None:
            history = {k: [float(v) for v in vs] for k, vs in result.history.items()}
            bad = result.diverged or seed in watch.bad or _history_exploded(history)
        else:
            result = None
            history = watch.logs.get(seed, {})
            bad = seed in watch.bad or _history_exploded(history)
        runs.append(
            _SeedRun(
                seed=seed, history=history, result=result, diverged=bad, spec=spec, dataset=dataset
            )
        )

    diverged = sum(1 for run in runs if run.diverged)
    results = [[_run_check(check, run) for check in task.checks] for run in runs]
    rep = _representative(results)
    if diverged > n - task.required_passes:
        # Show a diverged seed's curve: the one that trained longest before it blew up.
        rep = max(
            (i for i, run in enumerate(runs) if run.diverged),
            key=lambda i: (len(runs[i].history.get("loss", [])), -i),
        )
    checks = _aggregate(task, runs, results, rep)
    verdict: Verdict
    if diverged > n - task.required_passes:
        verdict = "diverged"
    elif all(c["passed"] for c in checks):
        verdict = "passed"
    else:
        verdict = "failed"
    return Judgement(
        verdict=verdict,
        summary=_summary(verdict, checks, task, diverged),
        checks=checks,
        diagnostics=_diagnostics(runs[rep]),
        seeds=[_seed_entry(run) for run in runs],
        representative=rep,
        seconds=time.perf_counter() - started,
    )
