"""The figures a verdict carries for its pages: the representative seed and best epochs."""

from __future__ import annotations

import copy
from typing import Any

from training.judging.figures import (
    best_epoch,
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
    assert {k: v for k, v in filled.items() if k != "seeds"} == {
        k: v for k, v in before.items() if k != "seeds"
    }
    assert with_figures(filled) == filled


def test_a_result_without_seeds_stays_without_seeds() -> None:
    assert with_figures({"verdict": "diverged", "seeds": []}) == {
        "verdict": "diverged",
        "seeds": [],
        "representative": 0,
    }
