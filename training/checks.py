"""Behaviour checks over a training history, in the handout's terms.

A history is what Keras' ``model.fit`` returns in ``history.history`` (and what every backend
puts in ``FitResult.history``): a mapping from ``loss``, ``val_loss``, ``accuracy``,
``val_accuracy``... to one float per epoch. Test figures come from ``model.evaluate`` on the
test rows, a mapping such as ``{"loss": 0.41, "accuracy": 0.8}``.

Every check returns a ``CheckResult``: whether it passed, the measured figure, the threshold
it was compared with, and one sentence a student understands.

Conventions:

- ``passed`` always means "this is fine". For the checks that look for a problem
  (``diverged``, ``overfitting``, ``underfitting``, the gap checks) ``passed`` is True when
  the problem was *not* found, and ``details["detected"]`` says whether it was.
- Epoch numbers in messages and ``details`` count from 1, as Keras prints them
  (``Epoch 1/50``).
- A missing history key or a malformed argument raises ``training.errors.DataError`` naming it.

Why one module of some 800 lines: every check is one public function over the same history
conventions and the same small helpers (metric labels, number formatting, figure lookup);
each is short, and a reader compares their messages side by side. Split it by check family
when a new family brings helpers of its own.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from training.errors import DataError

History = Mapping[str, Sequence[float]]
Split = Literal["train", "validation", "test"]
At = Literal["final", "best"]

OVERFITTING_REMEDIES = "the handout's remedies are dropout, L2 regularization or early stopping"

_HIGHER_IS_BETTER = {"accuracy": True, "balanced_accuracy": True, "auc": True}
_LOWER_IS_BETTER = {"loss", "mse", "mae"}
_LABELS = {
    "loss": "loss",
    "accuracy": "accuracy",
    "balanced_accuracy": "balanced accuracy",
    "mse": "mean squared error",
    "mae": "mean absolute error",
}
_SPLIT_LABELS = {"train": "training", "validation": "validation", "test": "test"}


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check (see the module docstring for the conventions)."""

    name: str
    passed: bool
    measured: float | None
    threshold: float | None
    message: str
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; NaN and infinite figures become ``None``."""
        return {
            "name": self.name,
            "passed": bool(self.passed),
            "measured": json_safe(self.measured),
            "threshold": json_safe(self.threshold),
            "message": self.message,
            "details": json_safe(self.details),
        }


# --------------------------------------------------------------------------- helpers


def json_safe(value: Any) -> Any:
    """``value`` as plain JSON data: NumPy scalars/arrays converted, NaN/inf → None."""
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [json_safe(v) for v in value]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        as_float = float(value)
        return as_float if math.isfinite(as_float) else None
    return value


def history_values(history: History, key: str) -> np.ndarray:
    """``history[key]`` as a float array; a missing key or bad values raise ``DataError``."""
    if not isinstance(history, Mapping):
        raise DataError(f"a history must be a mapping of name -> per-epoch values, got {history!r}")
    if key not in history:
        known = ", ".join(sorted(history)) or "nothing"
        raise DataError(f"history has no {key!r} (it has: {known})")
    try:
        values = np.asarray(history[key], dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(f"history[{key!r}] must be a list of numbers: {exc}") from None
    if values.ndim != 1 or values.size == 0:
        raise DataError(f"history[{key!r}] must be a non-empty list of per-epoch numbers")
    return values


def _base_metric(metric: str) -> str:
    for prefix in ("val_", "test_"):
        if metric.startswith(prefix):
            return metric[len(prefix) :]
    return metric


def higher_is_better(metric: str) -> bool:
    """True for accuracy-like metrics, False for losses and errors (``val_``/``test_`` ignored)."""
    base = _base_metric(metric)
    if base in _HIGHER_IS_BETTER:
        return True
    if base in _LOWER_IS_BETTER or base.endswith(("loss", "_error")):
        return False
    raise DataError(
        f"cannot tell whether a higher {metric!r} is better; known metrics: "
        + ", ".join(sorted({*_HIGHER_IS_BETTER, *_LOWER_IS_BETTER}))
    )


def _label(metric: str) -> str:
    base = _base_metric(metric)
    return _LABELS.get(base, base.replace("_", " "))


def _is_fraction_metric(metric: str) -> bool:
    return _base_metric(metric) in _HIGHER_IS_BETTER


def _fmt(metric: str, value: float) -> str:
    """Accuracies as percentages, everything else with 4 significant digits."""
    if not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("infinite" if value > 0 else "-infinite")
    if _is_fraction_metric(metric):
        return f"{value * 100:.1f} %"
    return f"{value:.4g}"


def _fmt_gap(metric: str, value: float) -> str:
    if _is_fraction_metric(metric):
        return f"{value * 100:.1f} percentage points"
    return f"{value:.4g}"


def _percent(fraction: float) -> str:
    return f"{fraction * 100:.1f} %"


def _moving_average(values: np.ndarray, width: int) -> np.ndarray:
    """Centred moving average; the window shrinks at both ends instead of padding."""
    if width <= 1 or values.size < 2:
        return values.copy()
    kernel = np.ones(width)
    sums = np.convolve(values, kernel, mode="same")
    counts = np.convolve(np.ones_like(values), kernel, mode="same")
    out: np.ndarray = sums / counts
    return out


def _first_nonfinite(values: np.ndarray) -> int | None:
    bad = np.flatnonzero(~np.isfinite(values))
    return int(bad[0]) if bad.size else None


def _positive_int(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise DataError(f"{name} must be a positive integer, got {value!r}")
    return value


def _non_negative(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        raise DataError(f"{name} must be a number of at least 0, got {value!r}")
    return float(value)


def _figure_key(metric: str, split: Split) -> str:
    if split == "train":
        return _base_metric(metric)
    if split == "validation":
        return metric if metric.startswith("val_") else f"val_{_base_metric(metric)}"
    return f"test_{_base_metric(metric)}"


def _figure(
    history: History | None,
    metric: str,
    *,
    split: Split,
    at: At,
    best_is_max: bool,
    evaluation: Mapping[str, float] | None,
) -> tuple[float, int | None]:
    """The figure a threshold check compares, and its 1-based epoch (None for a figure of
    ``evaluation``: the final model evaluated on ``split``, which is always used when given)."""
    if split not in _SPLIT_LABELS:
        raise DataError(f"split must be 'train', 'validation' or 'test', got {split!r}")
    if at not in ("final", "best"):
        raise DataError(f"at must be 'final' or 'best', got {at!r}")
    if evaluation is not None or split == "test":
        base = _base_metric(metric)
        if evaluation is None:
            raise DataError("a test-split check needs the test evaluation figures (evaluation=)")
        if base not in evaluation:
            known = ", ".join(sorted(evaluation)) or "nothing"
            raise DataError(f"the {split} evaluation has no {base!r} (it has: {known})")
        return float(evaluation[base]), None
    if history is None:
        raise DataError(f"a {split}-split check needs the training history")
    values = history_values(history, _figure_key(metric, split))
    if at == "final":
        return float(values[-1]), values.size
    finite = np.where(np.isfinite(values), values, -np.inf if best_is_max else np.inf)
    index = int(np.argmax(finite) if best_is_max else np.argmin(finite))
    return float(values[index]), index + 1


# --------------------------------------------------------------------------- thresholds


def _threshold_check(
    history: History | None,
    metric: str,
    threshold: float,
    *,
    at_most: bool,
    split: Split,
    at: At,
    evaluation: Mapping[str, float] | None,
    name: str | None,
) -> CheckResult:
    if isinstance(threshold, bool) or not isinstance(threshold, int | float):
        raise DataError(f"threshold must be a number, got {threshold!r}")
    if not math.isfinite(threshold):
        raise DataError(f"threshold must be finite, got {threshold!r}")
    value, epoch = _figure(
        history, metric, split=split, at=at, best_is_max=not at_most, evaluation=evaluation
    )
    key = _figure_key(metric, split)
    where = "" if split == "test" else ("Final " if at == "final" or epoch is None else "Best ")
    subject = f"{where}{_SPLIT_LABELS[split]} {_label(metric)}"
    subject = subject[0].upper() + subject[1:]
    if epoch is not None and at == "best":
        subject += f" (epoch {epoch})"
    passed = math.isfinite(value) and (value <= threshold if at_most else value >= threshold)
    shown, limit = _fmt(metric, value), _fmt(metric, float(threshold))
    if passed:
        relation = "at most" if at_most else "at least"
        message = f"{subject} is {shown}, {relation} the required {limit}."
    else:
        relation = "above the allowed maximum" if at_most else "below the required"
        message = (
            f"{subject} is {shown}, {relation} {limit}: the model has not learned the task "
            "well enough yet — check the learning rate, the optimizer, the number of epochs "
            "and the model's size, as the handout suggests."
        )
    check_name = name or f"{'best_' if at == 'best' and epoch is not None else ''}{key}_at_" + (
        "most" if at_most else "least"
    )
    return CheckResult(
        name=check_name,
        passed=bool(passed),
        measured=value,
        threshold=float(threshold),
        message=message,
        details={"key": key, "split": split, "at": at, "epoch": epoch},
    )


def metric_at_most(
    history: History | None,
    metric: str,
    threshold: float,
    *,
    split: Split = "validation",
    at: At = "final",
    evaluation: Mapping[str, float] | None = None,
    name: str | None = None,
) -> CheckResult:
    """Pass when ``metric`` on ``split`` is ≤ ``threshold`` (a loss or an error target).

    ``metric`` is the plain name (``"loss"``, ``"mae"``). With ``evaluation`` (the final
    model's figures on ``split``, required for ``"test"``) the figure is
    ``evaluation[metric]``; without it ``split`` picks ``loss`` / ``val_loss`` from the
    history, where ``at="final"`` takes the last epoch and ``at="best"`` the lowest value.
    """
    return _threshold_check(
        history,
        metric,
        threshold,
        at_most=True,
        split=split,
        at=at,
        evaluation=evaluation,
        name=name,
    )


def metric_at_least(
    history: History | None,
    metric: str,
    threshold: float,
    *,
    split: Split = "validation",
    at: At = "final",
    evaluation: Mapping[str, float] | None = None,
    name: str | None = None,
) -> CheckResult:
    """Pass when ``metric`` on ``split`` is ≥ ``threshold`` (an accuracy target).

    Same arguments as ``metric_at_most``; ``at="best"`` takes the highest value.
    """
    return _threshold_check(
        history,
        metric,
        threshold,
        at_most=False,
        split=split,
        at=at,
        evaluation=evaluation,
        name=name,
    )


# --------------------------------------------------------------------------- behaviour


def converged(
    history: History,
    *,
    key: str = "loss",
    window: int = 5,
    rel_tol: float = 0.01,
    abs_tol: float = 1e-8,
) -> CheckResult:
    """Pass when ``key`` has flattened out: the handout's "loss no longer improves much".

    Over the last ``window`` epochs (``window + 1`` values) the spread ``max - min`` must be
    at most ``rel_tol * mean(|values|)`` (or ``abs_tol`` for a loss near 0). ``measured`` is
    that spread relative to the mean. ``details["converged_epoch"]`` is the first epoch from
    which the rest of the curve stays within the same tolerance (None if it never does).
    """
    values = history_values(history, key)
    _positive_int("window", window)
    rel_tol = _non_negative("rel_tol", rel_tol)
    abs_tol = _non_negative("abs_tol", abs_tol)
    label = f"{_SPLIT_LABELS['validation' if key.startswith('val_') else 'train']} {_label(key)}"
    label_cap = label[0].upper() + label[1:]
    details: dict[str, Any] = {"key": key, "window": window, "epochs": int(values.size)}

    bad = _first_nonfinite(values)
    if bad is not None:
        details.update(converged_epoch=None, nonfinite_epoch=bad + 1)
        return CheckResult(
            name="converged",
            passed=False,
            measured=None,
            threshold=rel_tol,
            message=(
                f"{label_cap} became {_fmt(key, float(values[bad]))} at epoch {bad + 1}, so "
                "training diverged instead of converging — the learning rate is probably too "
                "high."
            ),
            details=details,
        )
    if values.size < window + 1:
        details["converged_epoch"] = None
        return CheckResult(
            name="converged",
            passed=False,
            measured=None,
            threshold=rel_tol,
            message=(
                f"Only {values.size} epochs were trained, too few to see the {label} flatten "
                f"out (at least {window + 1} are needed) — train for more epochs."
            ),
            details=details,
        )

    def spread_ok(segment: np.ndarray) -> tuple[bool, float]:
        level = float(np.mean(np.abs(segment)))
        spread = float(segment.max() - segment.min())
        ok = spread <= max(rel_tol * level, abs_tol)
        return ok, (spread / level if level > 0 else 0.0)

    passed, measured = spread_ok(values[-(window + 1) :])
    # The earliest epoch whose whole tail (of at least window + 1 values) is within tolerance.
    suffix_max = np.maximum.accumulate(values[::-1])[::-1]
    suffix_min = np.minimum.accumulate(values[::-1])[::-1]
    suffix_mean = np.cumsum(np.abs(values)[::-1])[::-1] / np.arange(values.size, 0, -1)
    ok = (suffix_max - suffix_min) <= np.maximum(rel_tol * suffix_mean, abs_tol)
    ok[values.size - window :] = False
    converged_epoch = int(np.argmax(ok)) + 1 if passed and ok.any() else None
    details["converged_epoch"] = converged_epoch
    details["relative_change_last_window"] = measured

    if passed:
        since = f" from epoch {converged_epoch} on" if converged_epoch is not None else ""
        message = (
            f"{label_cap} flattened out{since}: over the last {window} epochs it changed by "
            f"only {_percent(measured)} (at most {_percent(rel_tol)} counts as converged)."
        )
    else:
        start, end = values[-(window + 1)], values[-1]
        direction = "rising" if end > start else ("falling" if end < start else "changing")
        message = (
            f"{label_cap} was still {direction} by {_percent(measured)} over the last "
            f"{window} epochs (at most {_percent(rel_tol)} counts as converged): it has not "
            "converged — train for more epochs or check the learning rate, as the handout "
            "suggests."
        )
    return CheckResult(
        name="converged",
        passed=passed,
        measured=measured,
        threshold=rel_tol,
        message=message,
        details=details,
    )


def diverged(history: History, *, key: str = "loss", factor: float = 10.0) -> CheckResult:
    """Pass when training did *not* diverge.

    Divergence is a NaN/infinite ``key`` (or ``val_<key>``) at any epoch, or ``key`` growing
    above ``factor`` times its first value. ``measured`` is the largest value divided by the
    first (infinite, shown as None in JSON, when a value is NaN/inf).
    """
    values = history_values(history, key)
    factor = _non_negative("factor", factor)
    label = _label(key)
    details: dict[str, Any] = {"key": key, "detected": False, "epoch": None}

    bad = _first_nonfinite(values)
    val_key = _figure_key(key, "validation")
    val_bad = None
    if val_key != key and val_key in history:
        val_bad = _first_nonfinite(history_values(history, val_key))
    if bad is not None or val_bad is not None:
        if bad is not None:
            epoch, which, shown = bad + 1, f"Training {label}", _fmt(key, float(values[bad]))
        else:
            assert val_bad is not None
            val_values = history_values(history, val_key)
            epoch, which = val_bad + 1, f"Validation {label}"
            shown = _fmt(key, float(val_values[val_bad]))
        details.update(detected=True, epoch=epoch, reason="nonfinite")
        return CheckResult(
            name="diverged",
            passed=False,
            measured=math.inf,
            threshold=factor,
            message=(
                f"{which} became {shown} at epoch {epoch}: training diverged — the learning "
                "rate is most likely too high, so the updates overshoot; lower it."
            ),
            details=details,
        )

    start = max(abs(float(values[0])), 1e-12)
    ratios = values / start
    ratio = float(ratios.max())
    if ratio > factor:
        epoch = int(np.argmax(ratios > factor)) + 1
        details.update(detected=True, epoch=epoch, reason="exploded")
        return CheckResult(
            name="diverged",
            passed=False,
            measured=ratio,
            threshold=factor,
            message=(
                f"Training {label} grew to {ratio:.3g} times its first value by epoch {epoch}: "
                "training diverged — the learning rate is most likely too high, so the updates "
                "overshoot; lower it."
            ),
            details=details,
        )
    return CheckResult(
        name="diverged",
        passed=True,
        measured=ratio,
        threshold=factor,
        message=(
            f"Training {label} stayed finite and never exceeded {factor:g} times its first "
            "value: training did not diverge."
        ),
        details=details,
    )


def overfitting(
    history: History,
    *,
    key: str = "loss",
    smooth: int = 3,
    patience: int = 3,
    min_rise: float = 0.05,
    train_drop: float = 0.01,
) -> CheckResult:
    """Pass when there is *no* overfitting: validation loss turning up while training loss falls.

    Both curves are smoothed with a centred moving average of ``smooth`` epochs, so single
    noisy epochs do not count. Overfitting is detected when, after the epoch where smoothed
    ``val_<key>`` is lowest, it stays above that minimum by at least ``min_rise`` (relative)
    over each of the last ``patience`` epochs, while smoothed training ``key`` has fallen by
    at least ``train_drop`` (relative) since that epoch. ``measured`` is the sustained rise;
    ``details["onset_epoch"]`` is the first epoch after the validation minimum
    (``details["best_epoch"]``).
    """
    train = history_values(history, key)
    val = history_values(history, _figure_key(key, "validation"))
    _positive_int("smooth", smooth)
    _positive_int("patience", patience)
    min_rise = _non_negative("min_rise", min_rise)
    train_drop = _non_negative("train_drop", train_drop)
    n = min(train.size, val.size)
    train, val = train[:n], val[:n]
    label = _label(key)
    details: dict[str, Any] = {
        "key": key,
        "detected": False,
        "onset_epoch": None,
        "best_epoch": None,
        "epochs": n,
    }

    if _first_nonfinite(train) is not None or _first_nonfinite(val) is not None:
        return CheckResult(
            name="overfitting",
            passed=True,
            measured=None,
            threshold=min_rise,
            message=(
                f"Overfitting could not be judged because the {label} became NaN or infinite: "
                "training diverged first."
            ),
            details=details,
        )
    if n < patience + 2:
        return CheckResult(
            name="overfitting",
            passed=True,
            measured=None,
            threshold=min_rise,
            message=(
                f"Only {n} epochs were trained, too few to see whether validation {label} "
                f"turns up (at least {patience + 2} are needed)."
            ),
            details=details,
        )

    smooth_train = _moving_average(train, smooth)
    smooth_val = _moving_average(val, smooth)
    best = int(np.argmin(smooth_val))
    low = float(smooth_val[best])
    scale = max(abs(low), 1e-12)
    tail = smooth_val[-patience:] if best < n - patience else smooth_val[best + 1 :]
    rise = float((tail.min() - low) / scale) if tail.size else 0.0
    train_change = float(
        (smooth_train[best] - smooth_train[-1]) / max(abs(smooth_train[best]), 1e-12)
    )
    details.update(
        best_epoch=best + 1,
        val_rise=rise,
        train_drop=train_change,
    )
    sustained = best < n - patience and rise >= min_rise
    detected = sustained and train_change >= train_drop

    if detected:
        onset = best + 2
        details.update(detected=True, onset_epoch=onset)
        message = (
            f"Validation {label} was lowest at epoch {best + 1} and rose by {_percent(rise)} from "
            f"epoch {onset} on while training {label} kept falling: the model is overfitting — "
            f"{OVERFITTING_REMEDIES}."
        )
    elif sustained:
        message = (
            f"Validation {label} rose by {_percent(rise)} after epoch {best + 1}, but training "
            f"{label} did not keep falling, so this is not overfitting: training itself is "
            "unstable — check the learning rate."
        )
    else:
        message = (
            f"Validation {label} did not turn up for good (lowest at epoch {best + 1} of {n}, "
            f"{_percent(max(rise, 0.0))} above that at the end, at most {_percent(min_rise)} "
            "allowed): no sign of overfitting."
        )
    return CheckResult(
        name="overfitting",
        passed=not detected,
        measured=rise,
        threshold=min_rise,
        message=message,
        details=details,
    )


def _gap(metric: str, train_value: float, other_value: float) -> float:
    """How much worse the unseen-data figure is than the training figure (≥ 0 means worse)."""
    if higher_is_better(metric):
        return train_value - other_value
    return other_value - train_value


def _gap_result(
    *,
    name: str,
    metric: str,
    train_value: float,
    other_value: float,
    other_label: str,
    max_gap: float,
    details: dict[str, Any],
) -> CheckResult:
    gap = _gap(metric, train_value, other_value)
    detected = not math.isfinite(gap) or gap > max_gap
    label = _label(metric)
    figures = (
        f"training {label} is {_fmt(metric, train_value)} but {other_label} {label} is "
        f"{_fmt(metric, other_value)}"
    )
    details.update(detected=detected, train=train_value, other=other_value, metric=metric)
    if detected:
        message = (
            f"The model is overfitting: {figures}, a gap of {_fmt_gap(metric, gap)} (at most "
            f"{_fmt_gap(metric, max_gap)} allowed) — great on training data, poor on unseen "
            f"data; {OVERFITTING_REMEDIES}."
        )
    else:
        message = (
            f"The model generalises: {figures}, a gap of {_fmt_gap(metric, gap)} (at most "
            f"{_fmt_gap(metric, max_gap)} allowed)."
        )
    message = message[0].upper() + message[1:]
    return CheckResult(
        name=name,
        passed=not detected,
        measured=gap,
        threshold=max_gap,
        message=message,
        details=details,
    )


def train_val_gap(
    history: History,
    metric: str = "accuracy",
    *,
    max_gap: float = 0.1,
    at: At = "final",
) -> CheckResult:
    """Pass when the training figure is at most ``max_gap`` better than the validation one.

    The gap is ``train - validation`` for accuracy-like metrics and ``validation - train`` for
    losses and errors (absolute, in the metric's own units). ``at="final"`` compares the last
    epoch; ``at="best"`` compares both at the epoch with the best validation figure.
    """
    max_gap = _non_negative("max_gap", max_gap)
    base = _base_metric(metric)
    train = history_values(history, base)
    val = history_values(history, _figure_key(base, "validation"))
    n = min(train.size, val.size)
    if at == "final":
        index = n - 1
    elif at == "best":
        finite = np.where(np.isfinite(val[:n]), val[:n], np.nan)
        if np.all(np.isnan(finite)):
            index = n - 1
        else:
            index = int(np.nanargmax(finite) if higher_is_better(base) else np.nanargmin(finite))
    else:
        raise DataError(f"at must be 'final' or 'best', got {at!r}")
    return _gap_result(
        name="train_val_gap",
        metric=base,
        train_value=float(train[index]),
        other_value=float(val[index]),
        other_label="validation",
        max_gap=max_gap,
        details={"epoch": index + 1, "at": at},
    )


def _evaluation_gap(
    train_evaluation: Mapping[str, float],
    other_evaluation: Mapping[str, float],
    metric: str,
    *,
    other: str,
    max_gap: float,
) -> CheckResult:
    max_gap = _non_negative("max_gap", max_gap)
    base = _base_metric(metric)
    values = []
    for which, evaluation in (("training", train_evaluation), (other, other_evaluation)):
        if not isinstance(evaluation, Mapping) or base not in evaluation:
            known = ", ".join(sorted(evaluation)) if isinstance(evaluation, Mapping) else "?"
            raise DataError(f"the {which} evaluation has no {base!r} (it has: {known})")
        values.append(float(evaluation[base]))
    short = "val" if other == "validation" else other
    return _gap_result(
        name=f"train_{short}_gap",
        metric=base,
        train_value=values[0],
        other_value=values[1],
        other_label=other,
        max_gap=max_gap,
        details={},
    )


def train_test_gap(
    train_evaluation: Mapping[str, float],
    test_evaluation: Mapping[str, float],
    metric: str = "accuracy",
    *,
    max_gap: float = 0.1,
) -> CheckResult:
    """Like ``train_val_gap`` on ``model.evaluate`` figures of the training and test rows.

    This is the handout's "98 % accurate in training, only 60 % on test data" check.
    """
    return _evaluation_gap(train_evaluation, test_evaluation, metric, other="test", max_gap=max_gap)


def train_validation_gap(
    train_evaluation: Mapping[str, float],
    validation_evaluation: Mapping[str, float],
    metric: str = "accuracy",
    *,
    max_gap: float = 0.1,
) -> CheckResult:
    """Like ``train_val_gap`` on the final model's figures of the training and validation
    rows (what the judge measures: inference mode, the weights training ended with)."""
    return _evaluation_gap(
        train_evaluation, validation_evaluation, metric, other="validation", max_gap=max_gap
    )


def underfitting(
    history: History,
    metric: str = "accuracy",
    *,
    threshold: float,
) -> CheckResult:
    """Pass when the model is *not* underfitting: poor on both training and validation data.

    Underfitting is detected when the final training figure and (if the history has one) the
    final validation figure are both worse than ``threshold`` (below it for accuracy-like
    metrics, above it for losses and errors). ``measured`` is the final training figure.
    """
    if isinstance(threshold, bool) or not isinstance(threshold, int | float):
        raise DataError(f"threshold must be a number, got {threshold!r}")
    base = _base_metric(metric)
    better_high = higher_is_better(base)
    train_value = float(history_values(history, base)[-1])
    val_key = _figure_key(base, "validation")
    val_value = float(history_values(history, val_key)[-1]) if val_key in history else None

    def poor(value: float) -> bool:
        if not math.isfinite(value):
            return True
        return value < threshold if better_high else value > threshold

    detected = poor(train_value) and (val_value is None or poor(val_value))
    label = _label(base)
    relation = "below" if better_high else "above"
    if val_value is None:
        figures = f"training {label} is {_fmt(base, train_value)}"
    else:
        figures = (
            f"training {label} is {_fmt(base, train_value)} and validation {label} is "
            f"{_fmt(base, val_value)}"
        )
    limit = _fmt(base, float(threshold))
    if detected:
        both = "both " if val_value is not None else ""
        message = (
            f"The model is underfitting: {figures}, {both}{relation} {limit} — poor even on "
            "the data it trains on; the handout suggests more epochs, a bigger model (more "
            "neurons or layers), non-linear activations or a better learning rate."
        )
    else:
        message = f"The model is not underfitting: {figures} (poor means {relation} {limit})."
    return CheckResult(
        name="underfitting",
        passed=not detected,
        measured=train_value,
        threshold=float(threshold),
        message=message,
        details={"detected": detected, "metric": base, "train": train_value, "val": val_value},
    )


def default_checks(history: History) -> list[CheckResult]:
    """The checks run when nothing else is asked for: diverged, converged, overfitting.

    ``overfitting`` is only run when the history has a ``val_loss``.
    """
    results = [diverged(history), converged(history)]
    if "val_loss" in history:
        results.append(overfitting(history))
    return results
