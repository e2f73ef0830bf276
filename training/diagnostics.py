"""Diagnostics named after the handout's training problems.

- ``dead_relu_fraction``: the "dying ReLU" problem — ReLU units that output 0 for every sample.
- ``vanishing_gradients``: the first layer's gradient is far smaller than the last layer's.
- ``learning_rate_diagnosis``: the loss oscillates, rises or blows up (learning rate too high)
  or barely moves (too low).

Each returns a ``training.checks.CheckResult`` (``passed`` True when the problem was not found;
``details["detected"]`` says whether it was). The model-based ones take any
``training.fitting.TrainedModel`` plus the ``ModelSpec`` it was built from.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from training.checks import CheckResult, History, history_values
from training.errors import DataError
from training.fitting import TrainedModel
from training.spec import LSTM, Conv2D, Dense, ModelSpec, SimpleRNN

# Layers that own a kernel: the ones ``TrainedModel.layer_outputs``/``gradient_norms`` report.
TrainableLayer = Dense | Conv2D | SimpleRNN | LSTM


def trainable_layers(spec: ModelSpec) -> list[tuple[int, TrainableLayer]]:
    """``(index in spec.layers, layer)`` of each layer with a kernel, first to last."""
    found: list[tuple[int, TrainableLayer]] = []
    for i, layer in enumerate(spec.layers):
        if isinstance(layer, Dense | Conv2D | SimpleRNN | LSTM):
            found.append((i, layer))
    return found


def _layer_name(index: int, layer: TrainableLayer) -> str:
    return f"layers[{index}] ({layer.type})"


def _check_batch(x: np.ndarray, what: str) -> np.ndarray:
    array = np.asarray(x)
    if array.ndim < 2 or array.shape[0] == 0:
        raise DataError(f"{what} must be a non-empty batch of samples, got shape {array.shape}")
    return array


def dead_relu_fraction(
    model: TrainedModel,
    spec: ModelSpec,
    x: np.ndarray,
    *,
    max_fraction: float = 0.25,
) -> CheckResult:
    """Fraction of ReLU units that output 0 on every sample of ``x`` ("dying ReLU").

    A unit of a ReLU layer is dead when its output is 0 for every sample (and, for a conv
    layer, every position) of the batch: its gradient is then 0 too and it never learns again.
    ``measured`` is the fraction over all ReLU units; passes when ≤ ``max_fraction``.
    ``details["layers"]`` gives each ReLU layer's dead count. A network without ReLU layers
    passes with ``measured`` None.
    """
    x = _check_batch(x, "x")
    if not 0.0 <= max_fraction <= 1.0:
        raise DataError(f"max_fraction must be between 0 and 1, got {max_fraction!r}")
    layers = trainable_layers(spec)
    outputs = model.layer_outputs(x)
    if len(outputs) != len(layers):
        raise DataError(
            f"the model reports {len(outputs)} layer outputs but the spec has {len(layers)} "
            "layers with weights"
        )
    per_layer: list[dict[str, Any]] = []
    dead_total = units_total = 0
    for (index, layer), out in zip(layers, outputs, strict=True):
        if layer.activation.name != "relu":
            continue
        values = np.asarray(out)
        # Units are the last axis; a unit is dead if it is 0 over every other axis.
        alive = np.any(values.reshape(-1, values.shape[-1]) > 0.0, axis=0)
        dead = int(alive.size - np.count_nonzero(alive))
        per_layer.append(
            {"layer": _layer_name(index, layer), "dead": dead, "units": int(alive.size)}
        )
        dead_total += dead
        units_total += int(alive.size)

    details: dict[str, Any] = {"layers": per_layer, "samples": int(x.shape[0])}
    if units_total == 0:
        details["detected"] = False
        return CheckResult(
            name="dead_relu",
            passed=True,
            measured=None,
            threshold=max_fraction,
            message="The network has no ReLU layers, so no unit can die (the dying ReLU problem).",
            details=details,
        )
    fraction = dead_total / units_total
    detected = fraction > max_fraction
    details["detected"] = detected
    worst = max(per_layer, key=lambda item: item["dead"] / item["units"])
    counts = f"{dead_total} of {units_total} ReLU units ({fraction * 100:.0f} %)"
    details["evidence"] = (
        f"{counts} output 0 for every sample (more than {max_fraction * 100:.0f} % means "
        "they have died)"
    )
    if detected:
        message = (
            f"{counts} output 0 for every sample (more than {max_fraction * 100:.0f} % means "
            f"they have died), worst in {worst['layer']}: the dying ReLU problem, they no "
            "longer learn — use Leaky ReLU or ELU, or a smaller learning rate."
        )
    else:
        message = (
            f"Only {counts} output 0 for every sample (at most {max_fraction * 100:.0f} % "
            "allowed): no dying ReLU problem."
        )
    return CheckResult(
        name="dead_relu",
        passed=not detected,
        measured=fraction,
        threshold=max_fraction,
        message=message,
        details=details,
    )


def vanishing_gradients(
    model: TrainedModel,
    x: np.ndarray,
    y: np.ndarray,
    *,
    min_ratio: float = 0.01,
    spec: ModelSpec | None = None,
) -> CheckResult:
    """Compare the first layer's gradient norm with the last layer's.

    ``measured`` is ``‖∂L/∂W_first‖ / ‖∂L/∂W_last‖`` from ``model.gradient_norms(x, y)``;
    vanishing gradients are detected when it is below ``min_ratio`` (the early layers barely
    learn). ``details["norms"]`` lists every layer's norm, first layer first. With ``spec``
    the layers are named in ``details``.
    """
    x = _check_batch(x, "x")
    if not min_ratio > 0.0:
        raise DataError(f"min_ratio must be a positive number, got {min_ratio!r}")
    norms = [float(n) for n in model.gradient_norms(x, np.asarray(y))]
    if not norms:
        raise DataError("the model reports no layers with weights, so there are no gradients")
    details: dict[str, Any] = {"norms": norms, "detected": False}
    if spec is not None:
        details["layers"] = [_layer_name(i, layer) for i, layer in trainable_layers(spec)]
    first, last = norms[0], norms[-1]
    if not all(math.isfinite(n) for n in norms):
        details["detected"] = None
        return CheckResult(
            name="vanishing_gradients",
            passed=False,
            measured=None,
            threshold=min_ratio,
            message=(
                "Some gradients are NaN or infinite: the gradients exploded rather than "
                "vanished — lower the learning rate."
            ),
            details=details,
        )
    if len(norms) == 1 or last == 0.0:
        reason = (
            "only one layer has weights"
            if len(norms) == 1
            else "the last layer's gradient is 0 (the loss is at a flat point)"
        )
        return CheckResult(
            name="vanishing_gradients",
            passed=True,
            measured=None,
            threshold=min_ratio,
            message=f"Vanishing gradients cannot be judged here: {reason}.",
            details=details,
        )
    ratio = first / last
    detected = ratio < min_ratio
    details["detected"] = detected
    details["evidence"] = (
        f"the first layer's gradient is {ratio:.2g} times the last layer's (below "
        f"{min_ratio:g} means the gradients vanish)"
    )
    if detected:
        message = (
            f"The first layer's gradient is {ratio:.2g} times the last layer's (below "
            f"{min_ratio:g}): the gradients vanish on their way back, so the first layers "
            "barely learn — the handout's solution is ReLU instead of sigmoid or tanh in the "
            "hidden layers."
        )
    else:
        message = (
            f"The first layer's gradient is {ratio:.2g} times the last layer's (below "
            f"{min_ratio:g} means the gradients vanish): no vanishing gradients."
        )
    return CheckResult(
        name="vanishing_gradients",
        passed=not detected,
        measured=ratio,
        threshold=min_ratio,
        message=message,
        details=details,
    )


# The loss "barely falls" when its best value is less than this fraction below the first.
MIN_LOSS_IMPROVEMENT = 0.10


def learning_rate_diagnosis(
    history: History,
    *,
    key: str = "loss",
    min_improvement: float = MIN_LOSS_IMPROVEMENT,
    jump: float = 0.1,
    max_jump_fraction: float = 0.2,
    learning_rate: float | None = None,
) -> CheckResult:
    """Does the loss curve point to a learning rate too high or too low?

    - too high: the loss becomes NaN/infinite, ends above where it started, or oscillates —
      more than ``max_jump_fraction`` of the epochs raise it by over ``jump`` (relative);
    - too low: the loss barely falls — its best value is less than ``min_improvement``
      (relative, 10 %) below the first one;
    - otherwise neither: the curve gives no sign of a learning-rate problem (which does not
      make the rate right: the curve cannot tell).

    ``measured`` is the relative improvement ``(first - best) / |first|``;
    ``details["verdict"]`` is ``"too_high"``, ``"too_low"`` or ``"ok"``, and
    ``details["evidence"]`` the figures read with their thresholds. ``learning_rate``
    (optional) is only quoted in the message.
    """
    values = history_values(history, key)
    for name, value in (
        ("min_improvement", min_improvement),
        ("jump", jump),
        ("max_jump_fraction", max_jump_fraction),
    ):
        if not value >= 0.0:
            raise DataError(f"{name} must be a number of at least 0, got {value!r}")
    rate = f" ({learning_rate:g})" if learning_rate is not None else ""
    details: dict[str, Any] = {"key": key, "epochs": int(values.size), "cause": "learning_rate"}

    def result(verdict: str, measured: float | None, message: str) -> CheckResult:
        details["verdict"] = verdict
        details["detected"] = verdict != "ok"
        return CheckResult(
            name="learning_rate",
            passed=verdict == "ok",
            measured=measured,
            threshold=min_improvement,
            message=message,
            details=details,
        )

    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        details["nonfinite_epoch"] = int(bad[0]) + 1
        details["evidence"] = f"the loss became NaN or infinite at epoch {int(bad[0]) + 1}"
        return result(
            "too_high",
            None,
            f"The loss became NaN or infinite at epoch {int(bad[0]) + 1}: the learning rate"
            f"{rate} is too high, so each update overshoots the minimum — lower it.",
        )
    if values.size < 2:
        raise DataError(f"history[{key!r}] needs at least 2 epochs to judge the learning rate")

    first = float(values[0])
    scale = max(abs(first), 1e-12)
    improvement = (first - float(values.min())) / scale
    steps = np.diff(values)
    previous = np.maximum(np.abs(values[:-1]), 1e-12)
    jumps = int(np.count_nonzero(steps / previous > jump))
    jump_fraction = jumps / steps.size
    fell = (
        f"the loss fell by {improvement * 100:.1f} % over {values.size} epochs (less than "
        f"{min_improvement * 100:.0f} % means it barely falls)"
    )
    rose = (
        f"it rose by more than {jump * 100:.0f} % in {jumps} of {steps.size} epochs (more "
        f"than {max_jump_fraction * 100:.0f} % of them means it oscillates)"
    )
    details.update(
        improvement=improvement,
        jump_fraction=jump_fraction,
        final_change=(float(values[-1]) - first) / scale,
        evidence=f"{fell}; {rose}",
    )

    if values[-1] > first:
        details["evidence"] = f"the loss ended at {values[-1]:.4g}, above its first {first:.4g}"
        return result(
            "too_high",
            improvement,
            f"The loss ended higher than it started ({values[-1]:.4g} vs {first:.4g}): the "
            f"learning rate{rate} is probably too high, so the updates overshoot — lower it.",
        )
    if jump_fraction > max_jump_fraction:
        return result(
            "too_high",
            improvement,
            f"The loss rose by more than {jump * 100:.0f} % in {jumps} of {steps.size} epochs "
            f"(more than {max_jump_fraction * 100:.0f} % of them means it oscillates): the "
            f"learning rate{rate} is too high — lower it.",
        )
    if improvement < min_improvement:
        return result(
            "too_low",
            improvement,
            f"The loss barely falls: it fell by only {improvement * 100:.1f} % over "
            f"{values.size} epochs (less than {min_improvement * 100:.0f} % counts as barely): "
            f"the learning rate{rate} is likely too low for this optimizer, or there are too "
            "few epochs — raise it, train longer, or use an adaptive optimizer such as Adam.",
        )
    return result(
        "ok",
        improvement,
        f"No sign in the loss curve that the learning rate{rate} is too high or too low: "
        f"{fell}, and {rose}.",
    )


def evidence_only(result: CheckResult) -> CheckResult:
    """``result`` (a diagnostic that found nothing) stated as its evidence alone, without the
    conclusion that nothing is wrong: for a cause a failed check names, where the figure
    alone cannot settle the question. ``details["conclusive"]`` is False (the verdict shows
    it as neither fine nor a problem)."""
    evidence = result.details.get("evidence") or result.message
    subject = _SUBJECTS.get(result.name, result.name.replace("_", " "))
    message = f"{subject}: {evidence}. This alone does not rule it out."
    return CheckResult(
        name=result.name,
        passed=result.passed,
        measured=result.measured,
        threshold=result.threshold,
        message=message[0].upper() + message[1:],
        details={**result.details, "conclusive": False},
    )


_SUBJECTS = {
    "learning_rate": "About the learning rate",
    "vanishing_gradients": "About vanishing gradients",
    "dead_relu": "About dying ReLUs",
}

# What a check's explanation names as a possible cause, by the words it uses; the keys are
# the diagnostics' names (``CheckResult.name``).
_CAUSE_WORDS: dict[str, tuple[str, ...]] = {
    "learning_rate": ("learning rate", "learning_rate"),
    "vanishing_gradients": ("vanish", "gradient"),
    "dead_relu": ("dying relu", "dead relu", "leaky relu"),
}


def causes_named(text: str) -> set[str]:
    """The diagnostics' causes (``learning_rate``, ``vanishing_gradients``, ``dead_relu``)
    that ``text`` names."""
    lowered = text.lower()
    return {cause for cause, words in _CAUSE_WORDS.items() if any(w in lowered for w in words)}


def diagnose(
    model: TrainedModel,
    spec: ModelSpec,
    history: History,
    x: np.ndarray,
    y: np.ndarray,
    *,
    learning_rate: float | None = None,
    min_gradient_ratio: float = 0.01,
) -> list[CheckResult]:
    """All three diagnostics on one trained model and a batch of its data
    (``min_gradient_ratio``: the vanishing-gradient threshold)."""
    return [
        dead_relu_fraction(model, spec, x),
        vanishing_gradients(model, x, y, spec=spec, min_ratio=min_gradient_ratio),
        learning_rate_diagnosis(history, learning_rate=learning_rate),
    ]
