"""The time model: how long judging a spec holds a worker, before anything is trained.

``seconds ≈ Σ_f coefficient[backend][f] · feature[f]`` over the features of
``training.cost.features``: a fixed cost per judging, per layer built, per epoch, per
optimizer step, per step and layer of each kind (per timestep for recurrent layers), and per
GFLOP. The coefficients are fitted by ``bench/cost_calibration.py`` to measured judgings on
both backends and stored in ``coefficients.json`` next to this module, with the machine they
were measured on and the ``margin``: the largest ratio of measured to estimated time over the
calibration runs, by which admission multiplies the estimate before comparing it with the
budget.

The unit is CPU seconds of the judging process: on an idle core that is its wall time; on a
busy machine the wall time is longer by the contention (which the budget's distance from the
time limit absorbs; see docs/judging.md).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from training.cost.features import FEATURES, cost_features
from training.spec import ModelSpec

__all__ = ["CostEstimate", "TimeModel", "estimate_judging_seconds", "time_model"]

COEFFICIENTS_FILE = "coefficients.json"


@dataclass(frozen=True)
class TimeModel:
    """One backend's calibrated coefficients (seconds per unit of each feature)."""

    backend: str
    coefficients: Mapping[str, float]
    margin: float

    def seconds(self, features: Mapping[str, float]) -> float:
        return sum(self.coefficients.get(name, 0.0) * features[name] for name in FEATURES)


@dataclass(frozen=True)
class CostEstimate:
    """``seconds`` is the model's estimate; ``upper_seconds`` adds the calibration margin."""

    seconds: float
    upper_seconds: float
    features: Mapping[str, float]


def _parse_model(backend: str, raw: Any) -> TimeModel:
    coefficients = raw["coefficients"]
    unknown = set(coefficients) - set(FEATURES)
    if unknown:
        raise ValueError(f"{COEFFICIENTS_FILE}: unknown features {sorted(unknown)} for {backend}")
    values = {name: float(value) for name, value in coefficients.items()}
    if any(value < 0 for value in values.values()):
        raise ValueError(f"{COEFFICIENTS_FILE}: a negative coefficient for {backend}")
    margin = float(raw["margin"])
    if margin < 1.0:
        raise ValueError(f"{COEFFICIENTS_FILE}: margin {margin} below 1 for {backend}")
    return TimeModel(backend=backend, coefficients=values, margin=margin)


@cache
def _models() -> dict[str, TimeModel]:
    text = resources.files("training.cost").joinpath(COEFFICIENTS_FILE).read_text()
    backends = json.loads(text)["backends"]
    return {name: _parse_model(name, raw) for name, raw in backends.items()}


def time_model(backend: str) -> TimeModel:
    """The calibrated time model of ``backend`` (``"numpy"`` or ``"tensorflow"``)."""
    try:
        return _models()[backend]
    except KeyError:
        raise ValueError(f"no calibrated time model for backend {backend!r}") from None


def estimate_judging_seconds(
    spec: ModelSpec,
    *,
    backend: str,
    fit_rows: int,
    val_rows: int,
    n_seeds: int,
    seeds_together: bool,
) -> CostEstimate:
    """Estimate the CPU seconds of judging ``spec`` for every seed and all its epochs.

    Early stopping is not counted on: whether it stops a run early is known only once the
    run is under way, so the estimate is for the full ``spec.epochs``.
    """
    model = time_model(backend)
    features = cost_features(
        spec,
        fit_rows=fit_rows,
        val_rows=val_rows,
        n_seeds=n_seeds,
        seeds_together=seeds_together,
    )
    seconds = model.seconds(features)
    return CostEstimate(seconds=seconds, upper_seconds=seconds * model.margin, features=features)
