"""Mutation families: each variant derived from a reference spec, the expectations' format,
and how an outcome is compared with an expectation (training.judging.mutations)."""

from __future__ import annotations

from typing import Any

import pytest

from training.judging import parse_task_definition
from training.judging.mutations import (
    MUTATIONS,
    Expectation,
    ExpectationError,
    Mutant,
    Outcome,
    disagreement,
    mutation_family,
    outcome_on_seeds,
    parse_expectations,
    seed_outcomes,
    variant_outcome,
)
from training.spec import ModelSpec, parse_spec


def dense(units: int, activation: str = "relu", **extra: Any) -> dict[str, Any]:
    return {"type": "dense", "units": units, "activation": activation, **extra}


def classifier(**fields: Any) -> ModelSpec:
    data: dict[str, Any] = {
        "layers": [dense(16, input_dim=8), dense(8), dense(1, "sigmoid")],
        "optimizer": "adam",
        "loss": "binary_crossentropy",
        "metrics": ["accuracy"],
        "epochs": 50,
        "batch_size": 10,
    }
    data.update(fields)
    return parse_spec(data, external_validation=True)


def family_of(spec: ModelSpec, task: str = "binary") -> dict[str, Mutant]:
    return {mutant.name: mutant for mutant in mutation_family(spec, task)}


def test_every_mutation_is_derived_in_order_and_named() -> None:
    family = mutation_family(classifier(), "binary")
    assert [m.name for m in family] == list(MUTATIONS)
    assert len(family) >= 8
    assert all(m.title and m.change for m in family)


def test_the_learning_rate_is_scaled_from_the_optimizers_default_when_unset() -> None:
    family = family_of(classifier())
    assert family["lr_x100"].document["optimizer"]["learning_rate"] == pytest.approx(0.1)
    assert family["lr_div100"].document["optimizer"]["learning_rate"] == pytest.approx(1e-5)


def test_a_quarter_of_the_epochs_rounds_down_but_keeps_one() -> None:
    assert family_of(classifier())["quarter_epochs"].document["epochs"] == 12
    assert family_of(classifier(epochs=3))["quarter_epochs"].document["epochs"] == 1


def test_no_hidden_layer_keeps_only_the_output_layer() -> None:
    layers = family_of(classifier())["no_hidden_layer"].document["layers"]
    assert [(layer["units"], layer["activation"]) for layer in layers] == [(1, "sigmoid")]
    assert layers[0]["input_dim"] == 8


def test_without_hidden_layers_the_counterparts_add_one_and_make_the_output_linear() -> None:
    logistic = classifier(layers=[dense(1, "sigmoid", input_dim=6)])
    family = family_of(logistic)
    added = family["no_hidden_layer"].document["layers"]
    assert [(layer["units"], layer["activation"]) for layer in added] == [
        (16, "relu"),
        (1, "sigmoid"),
    ]
    assert family["linear_activations"].document["layers"][0]["activation"] == "linear"
    dropout = family["dropout"].document["layers"]
    assert dropout[0] == {"type": "dropout", "input_dim": 6, "rate": 0.2}


def test_linear_activations_leave_the_output_alone() -> None:
    layers = family_of(classifier())["linear_activations"].document["layers"]
    assert [layer["activation"] for layer in layers] == ["linear", "linear", "sigmoid"]


def test_dropout_and_l2_are_added_when_absent_and_removed_when_present() -> None:
    plain = family_of(classifier())
    assert [layer["type"] for layer in plain["dropout"].document["layers"]] == [
        "dense",
        "dense",
        "dropout",
        "dense",
    ]
    assert all(
        layer["kernel_regularizer"] == {"l1": 0.0, "l2": 0.01}
        for layer in plain["l2"].document["layers"]
    )
    regularised = classifier(
        layers=[
            dense(16, input_dim=8, kernel_regularizer={"l2": 0.5}),
            {"type": "dropout", "rate": 0.5},
            dense(1, "sigmoid"),
        ]
    )
    family = family_of(regularised)
    assert "dropout" not in [layer["type"] for layer in family["dropout"].document["layers"]]
    assert all(layer.get("kernel_regularizer") is None for layer in family["l2"].document["layers"])
    assert family["l2"].title == "L2 removed" and family["dropout"].title == "dropout removed"


def test_the_wrong_loss_and_output_depend_on_the_dataset_task() -> None:
    binary = family_of(classifier())
    assert binary["wrong_loss"].document["loss"] == "mse"
    assert binary["wrong_output_activation"].document["layers"][-1]["activation"] == "softmax"
    regression = family_of(
        classifier(layers=[dense(8, input_dim=3), dense(1, "linear")], loss="mse", metrics=["mse"]),
        "regression",
    )
    assert regression["wrong_loss"].document["loss"] == "binary_crossentropy"
    assert regression["wrong_output_activation"].document["layers"][-1]["activation"] == "relu"
    with pytest.raises(ValueError, match="unknown dataset task"):
        mutation_family(classifier(), "ranking")


CHECKS = ["metric_at_least", "not_diverged"]


def expectations(**variants: Any) -> dict[str, Any]:
    entries = {name: {"verdict": "passed", "why": "fine"} for name in MUTATIONS}
    entries.update(variants)
    return {
        "broken": {"verdict": "failed", "fails": ["metric_at_least"], "why": "slow"},
        "variants": entries,
    }


def test_expectations_are_read_for_the_broken_solution_and_every_variant() -> None:
    broken, variants = parse_expectations(
        expectations(wrong_loss={"verdict": "not admitted", "field": "loss", "why": "mse"}),
        CHECKS,
    )
    assert broken == Expectation("failed", frozenset({"metric_at_least"}), why="slow")
    assert set(variants) == set(MUTATIONS)
    assert variants["wrong_loss"].describe() == "not admitted (loss)"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"l2": {"verdict": "fine", "why": "x"}}, "variants.l2.verdict: must be one of"),
        ({"l2": {"verdict": "failed", "why": "x"}}, "variants.l2.fails: list the failing"),
        ({"l2": {"verdict": "passed", "fails": ["metric_at_least"], "why": "x"}}, "exactly"),
        ({"l2": {"verdict": "failed", "fails": ["converged"], "why": "x"}}, "not a check"),
        ({"l2": {"verdict": "passed"}}, "variants.l2.why: is missing"),
        ({"l2": {"verdict": "passed", "field": "loss", "why": "x"}}, "only a 'not admitted'"),
        ({"l3": {"verdict": "passed", "why": "x"}}, "unknown l3"),
    ],
)
def test_a_malformed_expectation_is_refused_naming_the_entry(
    change: dict[str, Any], message: str
) -> None:
    with pytest.raises(ExpectationError, match=message):
        parse_expectations(expectations(**change), CHECKS)


def test_a_missing_variant_is_refused() -> None:
    data = expectations()
    del data["variants"]["l2"]
    with pytest.raises(ExpectationError, match="missing l2"):
        parse_expectations(data, CHECKS)


def test_an_outcome_agrees_only_with_the_same_verdict_and_the_same_failing_checks() -> None:
    failed = Expectation("failed", frozenset({"metric_at_least"}))
    assert disagreement(failed, Outcome("failed", frozenset({"metric_at_least"}))) is None
    assert disagreement(failed, Outcome("passed")) == (
        "expected failed (metric_at_least), got passed"
    )
    both = frozenset({"metric_at_least", "not_diverged"})
    assert disagreement(failed, Outcome("failed", both)) is not None
    refused = Expectation("not admitted", field="loss")
    assert disagreement(refused, Outcome("not admitted", field="loss")) is None
    assert disagreement(refused, Outcome("not admitted", field="class_weight")) is not None
    assert disagreement(Expectation("not admitted"), Outcome("not admitted", field="x")) is None


PIMA_TASK = parse_task_definition(
    {
        "dataset": "pima-like",
        "seeds": [0, 1, 2],
        "checks": [
            {"kind": "metric_at_least", "params": {"metric": "accuracy", "threshold": 0.72}},
            {"kind": "not_diverged"},
        ],
    }
)


def test_a_variant_refused_by_the_parser_or_by_admission_is_not_admitted() -> None:
    family = family_of(classifier(epochs=5, batch_size=64))
    softmax = variant_outcome(PIMA_TASK, family["wrong_output_activation"].document)
    assert (softmax.verdict, softmax.field) == ("not admitted", "layers[2].activation")
    mse = variant_outcome(PIMA_TASK, family["wrong_loss"].document)
    assert (mse.verdict, mse.field) == ("not admitted", "loss")


def test_a_judged_variant_reports_its_verdict_and_each_seed_reads_the_same_rule() -> None:
    family = family_of(classifier(epochs=5, batch_size=64))
    slow = variant_outcome(PIMA_TASK, family["lr_div100"].document)
    assert slow.verdict == "failed" and slow.fails == {"metric_at_least"}
    assert slow.judgement is not None
    per_seed = seed_outcomes(slow.judgement)
    assert [o.verdict for o in per_seed] == ["failed"] * 3
    assert outcome_on_seeds(slow.judgement, [0, 1, 2], 2) == Outcome(
        "failed", frozenset({"metric_at_least"})
    )
    assert outcome_on_seeds(slow.judgement, [1], 1).fails == {"metric_at_least"}
