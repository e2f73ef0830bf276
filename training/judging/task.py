"""A coding task's definition (`TaskDefinition`) and its parsing from a mapping.

`parse_task_definition` validates a definition as the catalog and the admin hand it over;
its errors (`TaskDefinitionError`) start with the path of the field at fault.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, Literal, NoReturn, cast

from training.datasets import DATASET_NAMES, Dataset, load_dataset
from training.spec import DEFAULT_LIMITS, LAYER_TYPES, OPTIMIZERS, Limits
from training.validation import as_mapping, check_known_keys

__all__ = [
    "CHECK_KINDS",
    "CLASSIFICATION_METRICS",
    "CONSTRAINT_KINDS",
    "DEFAULT_SECTIONS",
    "TASK_DEFINITION_FIELDS",
    "BackendName",
    "CheckSpec",
    "TaskDefinition",
    "TaskDefinitionError",
    "parse_task_definition",
]

BackendName = Literal["numpy", "tensorflow"]

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
# Every figure a check compares is measured on the final model (docs/judging.md), so "final"
# is the only moment there is; the parameter stays for the task files that spell it out.
_ATS: tuple[str, ...] = ("final",)
_CHECK_METRICS: tuple[str, ...] = ("loss", "accuracy", "balanced_accuracy", "mse", "mae")
CLASSIFICATION_METRICS: tuple[str, ...] = ("accuracy", "balanced_accuracy")
_REGRESSION_METRICS: tuple[str, ...] = ("mse", "mae")
# Curves the behaviour checks read: only the loss is logged whatever the spec's metrics.
_HISTORY_KEYS: tuple[str, ...] = ("loss",)


class TaskDefinitionError(ValueError):
    """A task definition is malformed; the message starts with the field path."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


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
    backend: BackendName
    seeds: tuple[int, ...]
    required_passes: int
    checks: tuple[CheckSpec, ...]
    limits: Limits
    constraints: Mapping[str, Any]


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
    return as_mapping(
        value,
        path,
        fail=_fail,
        not_a_mapping=lambda bad: f"must be a mapping of names to values, got {_show(bad)}",
        key_not_text=lambda key: f"has a key {_show(key)}; keys must be text",
    )


def _unknown_field(allowed: Sequence[str]) -> Callable[[str], str]:
    return lambda _: f"unknown field; allowed: {', '.join(allowed)}"


_Param = Callable[[object, str], Any]
_REQUIRED = object()


def _p_metric(value: object, path: str) -> str:
    return _choice(value, path, _CHECK_METRICS)


def _p_key(value: object, path: str) -> str:
    return _choice(value, path, _HISTORY_KEYS)


def _p_split(value: object, path: str) -> str:
    return _choice(value, path, _SPLITS)


def _p_at(value: object, path: str) -> str:
    if value == "best":
        _fail(
            path,
            "must be final: every figure is measured on the final model (with the best "
            "epoch's weights when early stopping restores them), see docs/judging.md",
        )
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
    check_known_keys(entry, path, _CHECK_FIELDS, fail=_fail, unknown=_unknown_field(_CHECK_FIELDS))
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
    if metric in CLASSIFICATION_METRICS and not classification:
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
    # The fields are named from the root: `checks`, not `task.checks`.
    check_known_keys(
        root, "", TASK_DEFINITION_FIELDS, fail=_fail, unknown=_unknown_field(TASK_DEFINITION_FIELDS)
    )
    if "dataset" not in root:
        _fail("dataset", f"is missing; one of {', '.join(DATASET_NAMES)}")
    dataset_name = _choice(root["dataset"], "dataset", DATASET_NAMES)
    dataset_seed = _int(root.get("dataset_seed", 0), "dataset_seed")
    backend = cast(
        BackendName, _choice(root.get("backend", "numpy"), "backend", ("numpy", "tensorflow"))
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
