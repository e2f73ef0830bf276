"""One definition of every measured figure: listing ``metrics`` changes nothing a check reads.

For every task of the catalog, its reference and broken solutions are judged on the task's own
seeds with no metrics and with every metric the task's dataset knows; the measured figures
(per seed and aggregated), the pass/fail of every check and the verdict are identical. The
NumPy backend for every NumPy task, TensorFlow for one task.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from annquiz.coding.catalog import TaskFile, load_catalog
from training.judging import Judgement, judge
from training.solutions import parse_solution
from training.spec import ModelSpec

CATALOG = load_catalog()


def measured(judgement: Judgement) -> dict[str, Any]:
    return {
        "verdict": judgement.verdict,
        "checks": [
            (
                check["name"],
                check["passed"],
                check["measured"],
                [(s["passed"], s["measured"]) for s in check["per_seed"]],
            )
            for check in judgement.checks
        ],
        "test": [seed["test"] for seed in judgement.seeds],
    }


def with_and_without_metrics(spec: ModelSpec) -> tuple[ModelSpec, ModelSpec]:
    listed = ("mse", "mae") if spec.loss in ("mse", "mae") else ("accuracy", "balanced_accuracy")
    return (
        dataclasses.replace(spec, metrics=()),
        dataclasses.replace(spec, metrics=listed),
    )


def _cases(backend: str) -> list[Any]:
    return [
        pytest.param(task, which, id=f"{task.slug}-{which}")
        for task in CATALOG
        if task.definition.backend == backend
        for which in ("reference", "broken")
    ]


def solution(task: TaskFile, which: str) -> ModelSpec:
    if which == "reference":
        return parse_solution(task.reference_kind, task.reference_source)
    return parse_solution(task.broken_kind, task.broken_source)


@pytest.mark.parametrize(("task", "which"), _cases("numpy"))
def test_listing_metrics_changes_no_figure_and_no_verdict(task: TaskFile, which: str) -> None:
    without, listed = with_and_without_metrics(solution(task, which))

    plain = judge(task.definition, without)
    logged = judge(task.definition, listed)

    assert measured(plain) == measured(logged)
    assert set(logged.seeds[0]["history"]) > set(plain.seeds[0]["history"])


@pytest.mark.tensorflow
def test_listing_metrics_changes_no_figure_on_tensorflow() -> None:
    task = next(t for t in CATALOG if t.slug == "image-cnn")
    without, listed = with_and_without_metrics(solution(task, "broken"))

    assert measured(judge(task.definition, without)) == measured(judge(task.definition, listed))


def test_the_fix_overfitting_gap_is_the_same_with_and_without_the_accuracy_metric() -> None:
    """The network of the report: dropout, and early stopping restoring the best weights. The
    gap was read from the training history (dropout on, the last epoch) when accuracy was
    listed, and from the final model otherwise."""
    task = next(t for t in CATALOG if t.slug == "fix-overfitting")
    spec = parse_solution(
        "json",
        """{"layers": [
              {"type": "dense", "units": 64, "activation": "relu", "input_dim": 40},
              {"type": "dropout", "rate": 0.5},
              {"type": "dense", "units": 1, "activation": "sigmoid"}],
            "optimizer": {"name": "adam", "learning_rate": 0.003},
            "loss": "binary_crossentropy", "epochs": 80, "batch_size": 16,
            "early_stopping": {"monitor": "val_loss", "patience": 8,
                               "restore_best_weights": true}}""",
    )
    without, listed = with_and_without_metrics(spec)
    assert measured(judge(task.definition, without)) == measured(judge(task.definition, listed))
