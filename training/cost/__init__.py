"""The cost of judging a spec in seconds, estimated before anything is trained.

`features` counts what a judging does (steps, layers, FLOPs); `estimate` weighs that with the
coefficients that `bench/cost_calibration.py` fitted to measured judgings (`coefficients.json`).
"""

from training.cost.estimate import CostEstimate, TimeModel, estimate_judging_seconds, time_model
from training.cost.features import FEATURES, cost_features, steps_per_epoch

__all__ = [
    "FEATURES",
    "CostEstimate",
    "TimeModel",
    "cost_features",
    "estimate_judging_seconds",
    "steps_per_epoch",
    "time_model",
]
