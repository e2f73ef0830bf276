"""The check runners: one check (`CheckSpec`) on one seed's run (`SeedRun`).

Each check kind has a runner; `run_check` dispatches, turns a diverged seed or a figure
that could not be computed into a failed check, and appends the check's advice on failure.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from training import checks as core_checks
from training.checks import CheckResult
from training.datasets import naive_last_value_mse
from training.diagnostics import vanishing_gradients
from training.errors import DataError
from training.judging.seed_run import DIAGNOSTIC_ROWS, SeedRun
from training.judging.task import CLASSIFICATION_METRICS, CheckSpec
from training.spec import count_params

__all__ = ["DIVERGED_MESSAGE", "run_check"]


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


def _final_figures(run: SeedRun, split: str, *metrics: str) -> dict[str, float]:
    """``run.figures(split)``, refusing with ``DataError`` when a metric is not available."""
    figures = run.figures(split)
    missing = [m for m in metrics if figures is None or m not in figures]
    if figures is None or missing:
        raise DataError(f"the {split} {', '.join(missing) or 'figures'} could not be computed")
    return figures


def _threshold(spec: CheckSpec, run: SeedRun) -> CheckResult:
    p = spec.params
    metric, split = p["metric"], p["split"]
    fn = (
        core_checks.metric_at_least
        if spec.kind == "metric_at_least"
        else core_checks.metric_at_most
    )
    figures = _final_figures(run, split, metric)
    return fn(None, metric, p["threshold"], split=split, evaluation=figures)


def _overfitting(spec: CheckSpec, run: SeedRun) -> CheckResult:
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


def _gap(spec: CheckSpec, run: SeedRun) -> CheckResult:
    p = spec.params
    metric = p["metric"]
    train = _final_figures(run, "train", metric)
    validation = _final_figures(run, "validation", metric)
    return core_checks.train_validation_gap(train, validation, metric, max_gap=p["max_gap"])


def _naive(spec: CheckSpec, run: SeedRun) -> CheckResult:
    figures = _final_figures(run, "test", "mse")
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


def _gradient(spec: CheckSpec, run: SeedRun) -> CheckResult:
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


def _params(spec: CheckSpec, run: SeedRun) -> CheckResult:
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


def _near_reference(spec: CheckSpec, run: SeedRun) -> CheckResult:
    p = spec.params
    metric, split = p["metric"], p["split"]
    value = _final_figures(run, split, metric)[metric]
    higher = core_checks.higher_is_better(metric)
    margin, reference = float(p["margin"]), float(p["reference"])
    limit = reference - margin if higher else reference + margin
    passed = math.isfinite(value) and (value >= limit if higher else value <= limit)
    fraction = metric in CLASSIFICATION_METRICS

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


def _converged(spec: CheckSpec, run: SeedRun) -> CheckResult:
    p = spec.params
    return core_checks.converged(
        run.history, key=p["key"], window=p["window"], rel_tol=p["rel_tol"]
    )


def _not_diverged(spec: CheckSpec, run: SeedRun) -> CheckResult:
    p = spec.params
    return core_checks.diverged(run.history, key=p["key"], factor=p["factor"])


_RUNNERS: dict[str, Callable[[CheckSpec, SeedRun], CheckResult]] = {
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


def run_check(spec: CheckSpec, run: SeedRun) -> CheckResult:
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
