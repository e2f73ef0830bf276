"""The figures a verdict's pages show, computed once, when the verdict is made.

Every check of a verdict carries ``figure``: its measured figure in words, with its unit and
the direction that passes (``validation accuracy 91.0 % (needs ≥ 85.0 %)``, ``gap 4.0
percentage points (needs ≤ 10.0)``), made by ``check_figure`` from the check's definition;
the pages, the API and the explanations show it as it is.

A verdict (``Judgement.to_dict()``) names its representative seed (``representative``, an
index into ``seeds``) and gives each seed a ``best_epoch`` (1-based). Early stopping decides
the best epoch of the runs that use it; a run without early stopping has none of its own, so
the epoch of the lowest validation loss stands in: the epoch the curves mark as best. A run
without validation loss has no best epoch (``None``).

``with_figures`` fills both in. The judge calls it on every verdict it makes, and a data
migration of ``annquiz.coding`` on the verdicts stored before, so the pages (templates and
scripts alike) only read the figures and never work them out.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from training.checks import higher_is_better
from training.judging.task import CLASSIFICATION_METRICS, CheckSpec

_SPLITS = {"train": "training", "validation": "validation", "test": "test"}
_METRICS = {
    "loss": "loss",
    "accuracy": "accuracy",
    "balanced_accuracy": "balanced accuracy",
    "mse": "mean squared error",
    "mae": "mean absolute error",
}
# Kinds whose figure passes when it is at least the threshold; the others, at most.
_AT_LEAST = ("metric_at_least", "overfitting_shown", "first_layer_gradient_at_least")


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() and abs(value) >= 1 else f"{value:.4g}"


def _percent(value: float) -> str:
    return f"{value * 100:.1f} %"


def _metric_value(metric: str, value: float) -> str:
    return _percent(value) if metric in CLASSIFICATION_METRICS else _number(value)


def _parts(check: CheckSpec) -> tuple[str, bool, Callable[[float], str], Callable[[float], str]]:
    """``check``'s figure: its name, whether it passes high, how a value and how the
    threshold are written."""
    p = check.params
    kind = check.kind
    metric = str(p.get("metric", "loss"))

    def shown(value: float) -> str:
        return _metric_value(metric, value)

    if kind in ("metric_at_least", "metric_at_most", "metric_near_reference"):
        name = f"{_SPLITS[str(p['split'])]} {_METRICS[metric]}"
        high = kind == "metric_at_least" or (
            kind == "metric_near_reference" and higher_is_better(metric)
        )
        return name, high, shown, shown
    if kind == "train_val_gap_at_most":

        def points(value: float) -> str:
            if metric in CLASSIFICATION_METRICS:
                return f"{value * 100:.1f} percentage points"
            return _number(value)

        return f"training-validation {_METRICS[metric]} gap", False, points, points
    if kind in ("no_overfitting", "overfitting_shown"):
        name = "rise of the validation loss above its lowest"
        return name, kind == "overfitting_shown", _percent, _percent
    if kind == "converged":
        name = f"change of the training loss over the last {p['window']} epochs"
        return name, False, _percent, _percent
    if kind == "not_diverged":

        def ratio(value: float) -> str:
            if value < 100:
                return f"{value:.2f} times the first epoch's"
            return f"{value:.3g} times the first epoch's"

        return "largest training loss", False, ratio, lambda t: f"{t:g} times the first epoch's"
    if kind == "beats_naive_forecast":
        factor = float(p["factor"])

        def limit(value: float) -> str:
            return f"{_number(value)}, {factor:g} times the naive forecast's"

        return "test mean squared error", False, _number, limit
    if kind == "first_layer_gradient_at_least":

        def gradient(value: float) -> str:
            return f"{value:.3g} times the last layer's"

        return "first layer's gradient", True, gradient, lambda t: f"{t:g} times the last layer's"
    if kind == "params_at_most":
        return "trainable parameters", False, _number, _number
    return kind.replace("_", " "), kind in _AT_LEAST, _number, _number  # pragma: no cover


def _relation(check: CheckSpec, high: bool) -> str:
    return "≥" if high else ("<" if check.kind == "no_overfitting" else "≤")


def check_figure(check: CheckSpec, measured: float | None, threshold: float | None) -> str:
    """``check``'s figure in words, its unit and the direction that passes:
    ``validation accuracy 91.0 % (needs ≥ 85.0 %)``; "not measured" when there is none."""
    name, high, shown, limit = _parts(check)
    value = "not measured" if measured is None or not math.isfinite(measured) else shown(measured)
    if threshold is None:
        return f"{name} {value}"
    return f"{name} {value} (needs {_relation(check, high)} {limit(threshold)})"


def _requirement_threshold(check: CheckSpec) -> float | None:
    p = check.params
    if check.kind == "metric_near_reference":
        higher = higher_is_better(str(p["metric"]))
        margin = float(p["margin"])
        return float(p["reference"]) - margin if higher else float(p["reference"]) + margin
    for key in ("threshold", "max_gap", "min_rise", "rel_tol", "factor", "min_ratio"):
        if key in p:
            return float(p[key])
    return float(p["max_params"]) if "max_params" in p else None


def check_requirement(check: CheckSpec) -> str | None:
    """What ``check`` needs, in the words of its figure (``validation accuracy ≥ 72.0 %``);
    None for a check without a threshold of its own."""
    name, high, _, limit = _parts(check)
    threshold = _requirement_threshold(check)
    if threshold is None:
        return None
    if check.kind == "beats_naive_forecast":
        return f"{name} ≤ {threshold:g} times the naive forecast's"
    return f"{name} {_relation(check, high)} {limit(threshold)}"


def stored_check_figure(check: Mapping[str, Any]) -> str:
    """The figure of a check stored before verdicts carried one: its label, its figure and
    the direction that passes, without units (the stored check does not keep them)."""
    label = str(check.get("label") or check.get("name") or "figure")
    measured = check.get("measured")
    value = "not measured" if measured is None else _number(float(measured))
    threshold = check.get("threshold")
    if threshold is None:
        return f"{label}: {value}"
    relation = "≥" if check.get("kind") in _AT_LEAST else "≤"
    return f"{label}: {value} (needs {relation} {_number(float(threshold))})"


def lowest_validation_epoch(history: Mapping[str, Sequence[float | None]]) -> int | None:
    """The 1-based epoch of the lowest finite ``val_loss`` (the first one on a tie)."""
    finite = [
        (value, index)
        for index, value in enumerate(history.get("val_loss", []))
        if value is not None and math.isfinite(value)
    ]
    return min(finite)[1] + 1 if finite else None


def best_epoch(seed: Mapping[str, Any]) -> int | None:
    """The seed's own ``best_epoch`` if early stopping set one, else its lowest validation
    loss's epoch."""
    own = seed.get("best_epoch")
    if own:
        return int(own)
    history: Mapping[str, Sequence[float | None]] = seed.get("history") or {}
    return lowest_validation_epoch(history)


def representative_index(result: Mapping[str, Any]) -> int:
    """The verdict's ``representative`` when it names one of its seeds, else the first seed."""
    index = result.get("representative")
    seeds: Sequence[Any] = result.get("seeds") or []
    if isinstance(index, int) and not isinstance(index, bool) and 0 <= index < len(seeds):
        return index
    return 0


def with_figures(result: Mapping[str, Any]) -> dict[str, Any]:
    """``result`` with ``representative`` within its seeds, every seed's ``best_epoch`` and
    every check's ``figure`` filled in (``stored_check_figure`` for a check stored without
    one); the rest is left as it is (a copy: ``result`` is not changed)."""
    seeds = [{**seed, "best_epoch": best_epoch(seed)} for seed in result.get("seeds") or []]
    checks = [
        {**check, "figure": check.get("figure") or stored_check_figure(check)}
        for check in result.get("checks") or []
        if isinstance(check, Mapping)
    ]
    filled = {**result, "seeds": seeds, "representative": representative_index(result)}
    if "checks" in result:
        filled["checks"] = checks
    return filled
