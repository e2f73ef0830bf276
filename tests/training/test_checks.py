"""Behaviour checks on hand-made training curves."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from training import checks
from training.checks import CheckResult
from training.errors import DataError


def decaying(n: int, start: float = 1.0, end: float = 0.2, rate: float = 0.3) -> list[float]:
    """An exponentially decaying loss that flattens out."""
    t = np.arange(n)
    return list(end + (start - end) * np.exp(-rate * t))


def overfitting_history(n: int = 30, turn: int = 10, noise: float = 0.0) -> dict[str, list[float]]:
    """Training loss keeps falling; validation loss bottoms out at epoch index ``turn``."""
    rng = np.random.default_rng(0)
    t = np.arange(n)
    train = 1.0 * np.exp(-0.1 * t) + 0.05
    val = 0.5 + 0.004 * (t - turn) ** 2
    val = val + rng.normal(0.0, noise, n)
    return {"loss": list(train), "val_loss": list(val)}


# --------------------------------------------------------------------------- result type


def test_check_result_to_dict_is_json_ready_and_drops_non_finite_figures() -> None:
    result = CheckResult(
        name="x",
        passed=np.bool_(False),  # type: ignore[arg-type]
        measured=math.inf,
        threshold=np.float64(2.0),
        message="m",
        details={"epoch": np.int64(3), "curve": np.array([1.0, np.nan])},
    )
    data = result.to_dict()
    assert data == {
        "name": "x",
        "passed": False,
        "measured": None,
        "threshold": 2.0,
        "message": "m",
        "details": {"epoch": 3, "curve": [1.0, None]},
    }
    json.dumps(data, allow_nan=False)


# --------------------------------------------------------------------------- thresholds


def test_metric_at_most_passes_on_final_validation_loss_below_threshold() -> None:
    history = {"loss": [1.0, 0.5], "val_loss": [1.1, 0.4]}
    result = checks.metric_at_most(history, "loss", 0.45)
    assert result.passed
    assert result.measured == pytest.approx(0.4)
    assert result.threshold == 0.45
    assert result.name == "val_loss_at_most"
    assert result.details["epoch"] == 2
    assert "Final validation loss is 0.4" in result.message


def test_metric_at_most_fails_above_threshold_with_a_student_sentence() -> None:
    history = {"loss": [1.0, 0.5], "val_loss": [1.1, 0.6]}
    result = checks.metric_at_most(history, "loss", 0.45)
    assert not result.passed
    assert "above the allowed maximum" in result.message
    assert result.message.endswith(".")


def test_best_value_uses_lowest_for_at_most_and_highest_for_at_least() -> None:
    history = {
        "loss": [1.0, 0.3, 0.5],
        "val_loss": [1.0, 0.3, 0.5],
        "accuracy": [0.5, 0.9, 0.7],
        "val_accuracy": [0.5, 0.9, 0.7],
    }
    low = checks.metric_at_most(history, "loss", 0.35, split="train", at="best")
    assert low.passed and low.measured == pytest.approx(0.3) and low.details["epoch"] == 2
    high = checks.metric_at_least(history, "accuracy", 0.85, at="best")
    assert high.passed and high.measured == pytest.approx(0.9)
    assert high.name == "best_val_accuracy_at_least"
    final = checks.metric_at_least(history, "accuracy", 0.85)
    assert not final.passed and final.measured == pytest.approx(0.7)
    assert "70.0 %" in final.message


def test_test_split_threshold_reads_the_evaluation_figures() -> None:
    result = checks.metric_at_least(
        None, "accuracy", 0.75, split="test", evaluation={"accuracy": 0.8}
    )
    assert result.passed and result.name == "test_accuracy_at_least"
    with pytest.raises(DataError, match="test evaluation"):
        checks.metric_at_least(None, "accuracy", 0.75, split="test")
    with pytest.raises(DataError, match="'accuracy'"):
        checks.metric_at_least(None, "accuracy", 0.75, split="test", evaluation={"loss": 1.0})


def test_nan_figure_never_passes_a_threshold() -> None:
    result = checks.metric_at_most({"loss": [1.0, math.nan]}, "loss", 10.0, split="train")
    assert not result.passed
    assert "NaN" in result.message


def test_missing_history_key_names_the_key_and_what_exists() -> None:
    with pytest.raises(DataError, match=r"no 'val_loss' \(it has: loss\)"):
        checks.metric_at_most({"loss": [1.0]}, "loss", 1.0)


def test_bad_threshold_is_rejected() -> None:
    with pytest.raises(DataError, match="threshold"):
        checks.metric_at_most({"loss": [1.0]}, "loss", math.nan, split="train")


# --------------------------------------------------------------------------- converged


def test_converged_passes_on_a_flattening_loss_and_reports_the_epoch() -> None:
    history = {"loss": decaying(50)}
    result = checks.converged(history, window=5, rel_tol=0.01)
    assert result.passed
    epoch = result.details["converged_epoch"]
    assert isinstance(epoch, int) and 10 < epoch < 40
    # From that epoch on the curve really is within 1 % of its level.
    tail = np.array(history["loss"][epoch - 1 :])
    assert tail.max() - tail.min() <= 0.01 * np.abs(tail).mean()
    before = np.array(history["loss"][epoch - 2 :])
    assert before.max() - before.min() > 0.01 * np.abs(before).mean()
    assert f"from epoch {epoch} on" in result.message


def test_converged_fails_while_loss_still_falls() -> None:
    result = checks.converged({"loss": list(np.linspace(1.0, 0.5, 20))}, window=5)
    assert not result.passed
    assert result.measured is not None and result.measured > 0.01
    assert result.details["converged_epoch"] is None
    assert "not converged" in result.message


def test_converged_tolerates_noise_within_the_tolerance_but_not_oscillation() -> None:
    rng = np.random.default_rng(1)
    calm = list(0.3 + rng.uniform(-0.001, 0.001, 30))
    assert checks.converged({"loss": calm}, rel_tol=0.01).passed
    bouncing = [0.3 if i % 2 else 0.6 for i in range(30)]
    assert not checks.converged({"loss": bouncing}, rel_tol=0.01).passed


def test_converged_fails_on_nan_and_on_too_few_epochs() -> None:
    nan = checks.converged({"loss": [1.0, 0.5, math.nan]})
    assert not nan.passed and nan.details["nonfinite_epoch"] == 3
    assert "diverged" in nan.message
    short = checks.converged({"loss": [1.0, 0.9]}, window=5)
    assert not short.passed and "too few" in short.message


def test_converged_uses_absolute_tolerance_near_zero_loss() -> None:
    tiny = [1e-12, 2e-12, 1e-12, 3e-12, 1e-12, 2e-12]
    assert checks.converged({"loss": tiny}, window=5, abs_tol=1e-9).passed


# --------------------------------------------------------------------------- diverged


def test_diverged_passes_on_a_healthy_curve() -> None:
    result = checks.diverged({"loss": decaying(10)})
    assert result.passed
    assert result.details["detected"] is False
    assert result.measured == pytest.approx(1.0)


def test_diverged_detects_nan_with_its_epoch() -> None:
    result = checks.diverged({"loss": [1.0, 2.0, math.nan]})
    assert not result.passed
    assert result.details == {"key": "loss", "detected": True, "epoch": 3, "reason": "nonfinite"}
    assert "NaN at epoch 3" in result.message and "learning rate" in result.message
    assert result.to_dict()["measured"] is None


def test_diverged_detects_nan_in_validation_loss() -> None:
    result = checks.diverged({"loss": [1.0, 0.9], "val_loss": [1.0, math.inf]})
    assert not result.passed and result.details["epoch"] == 2
    assert result.message.startswith("Validation loss became infinite")


def test_diverged_detects_explosion_over_factor() -> None:
    result = checks.diverged({"loss": [1.0, 3.0, 12.0, 50.0]}, factor=10.0)
    assert not result.passed
    assert result.measured == pytest.approx(50.0)
    assert result.details["epoch"] == 3 and result.details["reason"] == "exploded"
    assert checks.diverged({"loss": [1.0, 3.0, 9.0]}, factor=10.0).passed


# --------------------------------------------------------------------------- overfitting


def test_overfitting_detects_turning_validation_loss_with_onset_epoch() -> None:
    result = checks.overfitting(overfitting_history(turn=10))
    assert not result.passed
    assert result.details["detected"] is True
    assert result.details["best_epoch"] == 11  # index 10 is epoch 11
    assert result.details["onset_epoch"] == 12
    assert result.measured is not None and result.measured > 0.05
    assert "overfitting" in result.message
    assert "dropout, L2 regularization or early stopping" in result.message


def test_overfitting_onset_is_robust_to_noise() -> None:
    result = checks.overfitting(overfitting_history(n=40, turn=12, noise=0.02), smooth=5)
    assert not result.passed
    assert abs(result.details["onset_epoch"] - 14) <= 3


def test_single_noisy_spike_is_not_overfitting() -> None:
    history = {"loss": decaying(20), "val_loss": decaying(20, start=1.1, end=0.3)}
    history["val_loss"][-1] *= 1.5  # one bad last epoch
    result = checks.overfitting(history)
    assert result.passed
    assert "no sign of overfitting" in result.message


def test_falling_validation_loss_is_not_overfitting() -> None:
    history = {"loss": decaying(30), "val_loss": decaying(30, start=1.2, end=0.3)}
    result = checks.overfitting(history)
    assert result.passed and result.details["detected"] is False


def test_both_losses_rising_is_unstable_training_not_overfitting() -> None:
    rising = [1.0, 0.8, 0.6, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1]
    result = checks.overfitting({"loss": rising, "val_loss": rising})
    assert result.passed
    assert "not overfitting" in result.message and "learning rate" in result.message


def test_overfitting_cannot_be_judged_on_nan_or_few_epochs() -> None:
    nan = checks.overfitting({"loss": [1.0, math.nan], "val_loss": [1.0, 1.0]})
    assert nan.passed and nan.measured is None and "diverged" in nan.message
    few = checks.overfitting({"loss": [1.0, 0.5], "val_loss": [1.0, 2.0]})
    assert few.passed and "too few" in few.message


def test_overfitting_needs_validation_loss() -> None:
    with pytest.raises(DataError, match="val_loss"):
        checks.overfitting({"loss": [1.0, 0.5]})


def test_train_val_gap_flags_the_handouts_98_vs_60_scenario() -> None:
    history = {"accuracy": [0.7, 0.9, 0.98], "val_accuracy": [0.65, 0.62, 0.60]}
    result = checks.train_val_gap(history, "accuracy", max_gap=0.1)
    assert not result.passed
    assert result.measured == pytest.approx(0.38)
    assert "98.0 %" in result.message and "60.0 %" in result.message
    ok = checks.train_val_gap({"accuracy": [0.8], "val_accuracy": [0.78]}, max_gap=0.1)
    assert ok.passed


def test_gap_on_a_loss_is_validation_minus_training_and_best_uses_best_val_epoch() -> None:
    history = {"loss": [1.0, 0.4, 0.1], "val_loss": [1.1, 0.5, 0.9]}
    final = checks.train_val_gap(history, "loss", max_gap=0.2)
    assert not final.passed and final.measured == pytest.approx(0.8)
    best = checks.train_val_gap(history, "loss", max_gap=0.2, at="best")
    assert best.passed and best.details["epoch"] == 2 and best.measured == pytest.approx(0.1)


def test_train_test_gap_on_evaluations() -> None:
    result = checks.train_test_gap({"accuracy": 0.98}, {"accuracy": 0.6})
    assert not result.passed and result.name == "train_test_gap"
    assert "test accuracy is 60.0 %" in result.message
    with pytest.raises(DataError, match="test evaluation has no 'accuracy'"):
        checks.train_test_gap({"accuracy": 0.9}, {"loss": 0.3})


# --------------------------------------------------------------------------- underfitting


def test_underfitting_detected_when_poor_on_both() -> None:
    result = checks.underfitting(
        {"accuracy": [0.5, 0.6], "val_accuracy": [0.5, 0.58]}, threshold=0.7
    )
    assert not result.passed and result.details["detected"] is True
    assert result.measured == pytest.approx(0.6)
    assert "underfitting" in result.message and "both below 70.0 %" in result.message


def test_good_training_figure_is_not_underfitting_even_if_validation_is_poor() -> None:
    result = checks.underfitting({"accuracy": [0.95], "val_accuracy": [0.6]}, threshold=0.7)
    assert result.passed


def test_underfitting_on_a_loss_means_above_threshold() -> None:
    poor = checks.underfitting({"loss": [2.0, 1.5], "val_loss": [2.1, 1.6]}, "loss", threshold=0.5)
    assert not poor.passed and "above" in poor.message
    good = checks.underfitting({"loss": [2.0, 0.3], "val_loss": [2.1, 0.4]}, "loss", threshold=0.5)
    assert good.passed


def test_unknown_metric_direction_is_an_error() -> None:
    with pytest.raises(DataError, match="higher 'f1'"):
        checks.underfitting({"f1": [0.5]}, "f1", threshold=0.7)


# --------------------------------------------------------------------------- defaults


def test_default_checks_skip_overfitting_without_validation() -> None:
    names = [r.name for r in checks.default_checks({"loss": decaying(20)})]
    assert names == ["diverged", "converged"]
    with_val = {"loss": decaying(20), "val_loss": decaying(20)}
    assert [r.name for r in checks.default_checks(with_val)] == [
        "diverged",
        "converged",
        "overfitting",
    ]
