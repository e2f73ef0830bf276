"""The figures a verdict carries for its pages: the representative seed and best epochs."""

from __future__ import annotations

import copy
from typing import Any

from training.judging import parse_task_definition
from training.judging.figures import (
    best_epoch,
    check_figure,
    check_requirement,
    lowest_validation_epoch,
    representative_index,
    with_figures,
)


def seed(
    number: int, val_loss: list[float | None] | None, best: int | None = None
) -> dict[str, Any]:
    history: dict[str, list[float | None]] = {"loss": [1.0, 0.8, 0.6, 0.5]}
    if val_loss is not None:
        history["val_loss"] = val_loss
    return {"seed": number, "history": history, "epochs_run": 4, "best_epoch": best}


def test_the_lowest_validation_loss_gives_the_best_epoch_counted_from_one() -> None:
    assert lowest_validation_epoch({"val_loss": [0.9, 0.4, 0.6, 0.5]}) == 2


def test_a_tie_is_won_by_the_earlier_epoch() -> None:
    assert lowest_validation_epoch({"val_loss": [0.9, 0.4, 0.4]}) == 2


def test_missing_and_non_finite_validation_losses_are_skipped() -> None:
    assert lowest_validation_epoch({"val_loss": [None, float("nan"), float("-inf"), 0.7]}) == 4
    assert lowest_validation_epoch({"val_loss": [None, float("nan")]}) is None
    assert lowest_validation_epoch({"loss": [0.5]}) is None


def test_early_stoppings_best_epoch_is_kept() -> None:
    assert best_epoch(seed(0, [0.9, 0.4, 0.6, 0.5], best=3)) == 3


def test_a_run_without_early_stopping_is_given_its_lowest_validation_loss_epoch() -> None:
    assert best_epoch(seed(0, [0.9, 0.4, 0.6, 0.5])) == 2


def test_a_run_without_validation_has_no_best_epoch() -> None:
    assert best_epoch(seed(0, None)) is None
    assert best_epoch({"seed": 0}) is None


def test_the_representative_is_kept_when_it_names_a_seed() -> None:
    result = {"seeds": [seed(0, None), seed(1, None), seed(2, None)], "representative": 2}
    assert representative_index(result) == 2


def test_a_missing_or_out_of_range_representative_falls_back_to_the_first_seed() -> None:
    seeds = [seed(0, None), seed(1, None)]
    assert representative_index({"seeds": seeds}) == 0
    assert representative_index({"seeds": seeds, "representative": 5}) == 0
    assert representative_index({"seeds": seeds, "representative": -1}) == 0
    assert representative_index({"seeds": seeds, "representative": None}) == 0
    assert representative_index({"seeds": []}) == 0


def test_with_figures_fills_every_seed_and_leaves_the_rest_and_the_input_alone() -> None:
    result = {
        "verdict": "passed",
        "summary": "Passed.",
        "checks": [{"name": "x"}],
        "seeds": [seed(0, [0.5, 0.3, 0.4, 0.6]), seed(1, [0.5, 0.4, 0.3, 0.6], best=1)],
        "representative": 1,
    }
    before = copy.deepcopy(result)
    filled = with_figures(result)
    assert result == before
    assert [s["best_epoch"] for s in filled["seeds"]] == [2, 1]
    assert filled["representative"] == 1
    assert {k: v for k, v in filled.items() if k not in ("seeds", "checks")} == {
        k: v for k, v in before.items() if k not in ("seeds", "checks")
    }
    assert filled["checks"] == [{"name": "x", "figure": "x: not measured"}]
    assert with_figures(filled) == filled


def test_a_check_stored_without_its_figure_in_words_gets_one_with_its_direction() -> None:
    stored = {
        "checks": [
            {
                "name": "not_diverged",
                "kind": "not_diverged",
                "label": "Stable training",
                "measured": 1.0,
                "threshold": 10.0,
            },
            {
                "name": "metric_at_least",
                "kind": "metric_at_least",
                "label": "Validation accuracy",
                "measured": 0.7857,
                "threshold": 0.72,
            },
            {"name": "x", "kind": "metric_at_least", "label": "Kept", "figure": "as it was"},
        ]
    }
    figures = [check["figure"] for check in with_figures(stored)["checks"]]
    assert figures == [
        "Stable training: 1 (needs ≤ 10)",
        "Validation accuracy: 0.7857 (needs ≥ 0.72)",
        "as it was",
    ]


def test_every_check_kind_has_its_figure_in_words_with_unit_and_direction() -> None:
    task = parse_task_definition(
        {
            "dataset": "pima-like",
            "checks": [
                {"kind": "metric_at_least", "params": {"metric": "accuracy", "threshold": 0.85}},
                {"kind": "metric_at_most", "params": {"metric": "loss", "threshold": 0.5}},
                {"kind": "train_val_gap_at_most", "params": {"max_gap": 0.1}},
                {"kind": "no_overfitting"},
                {"kind": "overfitting_shown"},
                {"kind": "converged"},
                {"kind": "not_diverged"},
                {"kind": "first_layer_gradient_at_least", "params": {"min_ratio": 0.05}},
                {"kind": "params_at_most", "params": {"max_params": 7}},
                {
                    "kind": "metric_near_reference",
                    "params": {"metric": "accuracy", "reference": 0.7, "margin": 0.03},
                },
            ],
        }
    )
    figures = [
        (check_figure(c, 0.91, 0.85 if i == 0 else None), check_requirement(c))
        for i, c in enumerate(task.checks)
    ]
    assert figures[0] == (
        "validation accuracy 91.0 % (needs ≥ 85.0 %)",
        "validation accuracy ≥ 85.0 %",
    )
    assert [req for _, req in figures] == [
        "validation accuracy ≥ 85.0 %",
        "validation loss ≤ 0.5",
        "training-validation accuracy gap ≤ 10.0 percentage points",
        "rise of the validation loss above its lowest < 5.0 %",
        "rise of the validation loss above its lowest ≥ 5.0 %",
        "change of the training loss over the last 5 epochs ≤ 1.0 %",
        "largest training loss ≤ 10 times the first epoch's",
        "first layer's gradient ≥ 0.05 times the last layer's",
        "trainable parameters ≤ 7",
        "test accuracy ≥ 67.0 %",
    ]
    gap = task.checks[2]
    assert check_figure(gap, 0.04, 0.1) == (
        "training-validation accuracy gap 4.0 percentage points (needs ≤ 10.0 percentage points)"
    )
    stable = task.checks[6]
    assert check_figure(stable, 1.0, 10.0) == (
        "largest training loss 1.00 times the first epoch's (needs ≤ 10 times the first epoch's)"
    )
    assert check_figure(stable, None, 10.0).startswith("largest training loss not measured")


def test_a_result_without_seeds_stays_without_seeds() -> None:
    assert with_figures({"verdict": "diverged", "seeds": []}) == {
        "verdict": "diverged",
        "seeds": [],
        "representative": 0,
    }
