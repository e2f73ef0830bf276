"""Admission's cost checks: the time model's features, the time budget and the FLOPs limit,
and refusals that name the largest epochs, the largest units or the smallest batch size that
fit (never the seeds, which are the task's)."""

from __future__ import annotations

import dataclasses
import json
import math
import re
from importlib import resources
from typing import Any

import pytest

from annquiz.coding.catalog import load_catalog
from training.cost import FEATURES, cost_features, time_model
from training.cost.estimate import _parse_model
from training.errors import LimitExceeded
from training.judging import TaskDefinition, admit
from training.judging.budget import DEFAULT_TIME_BUDGET, judging_cost
from training.spec import ModelSpec, parse_spec

TASKS = {task.slug: task.definition for task in load_catalog()}
STOCK = TASKS["stock-forecast"]


def lstm_stack(depth: int, units: int, **fields: Any) -> ModelSpec:
    """``depth`` stacked LSTM layers on the stock windows, then one linear output."""
    layers: list[dict[str, Any]] = [
        {"type": "lstm", "units": units, "return_sequences": i < depth - 1} for i in range(depth)
    ]
    layers[0]["input_shape"] = [20, 1]
    return parse_spec({"layers": [*layers, {"type": "dense", "units": 1}], "loss": "mse", **fields})


def dense_net(units: int, depth: int = 1, **fields: Any) -> ModelSpec:
    hidden: list[dict[str, Any]] = [
        {"type": "dense", "units": units, "activation": "relu"} for _ in range(depth)
    ]
    hidden[0]["input_dim"] = 8
    return parse_spec(
        {
            "layers": [*hidden, {"type": "dense", "units": 1, "activation": "sigmoid"}],
            "loss": "binary_crossentropy",
            **fields,
        }
    )


def refusal(task: TaskDefinition, spec: ModelSpec, **options: Any) -> str:
    with pytest.raises(LimitExceeded) as caught:
        admit(task, spec, **options)
    return str(caught.value)


def number_after(text: str, pattern: str) -> int:
    found = re.search(pattern, text)
    assert found is not None, text
    return int(found.group(1))


# --- the features ----------------------------------------------------------------------------


def test_steps_count_every_seed_trained_one_after_another() -> None:
    spec = lstm_stack(2, 4, epochs=5, batch_size=32)
    features = cost_features(spec, fit_rows=880, val_rows=280, n_seeds=3, seeds_together=False)
    assert features["epochs"] == 3 * 5
    assert features["steps"] == 3 * 5 * math.ceil(880 / 32)
    assert features["steps_lstm"] == features["steps"] * 2 * 20  # 2 layers x 20 timesteps
    assert features["steps_dense"] == features["steps"]
    assert features["recurrent_layers"] == 2 and features["layers"] == 1
    assert features["judging"] == 1


def test_seeds_trained_together_make_one_pass_but_every_seed_counts_its_flops() -> None:
    spec = dense_net(16, epochs=4, batch_size=10)
    apart = cost_features(spec, fit_rows=461, val_rows=154, n_seeds=3, seeds_together=False)
    together = cost_features(spec, fit_rows=461, val_rows=154, n_seeds=3, seeds_together=True)
    assert together["steps"] == 4 * math.ceil(461 / 10) == apart["steps"] / 3
    assert together["gflops"] == apart["gflops"]


def test_a_full_batch_is_one_step_per_epoch() -> None:
    spec = dense_net(16, epochs=7, batch_size="full")
    features = cost_features(spec, fit_rows=461, val_rows=154, n_seeds=1, seeds_together=False)
    assert features["steps"] == 7


def test_the_estimate_grows_with_epochs_and_shrinks_with_the_batch_size() -> None:
    small = judging_cost(STOCK, lstm_stack(3, 8, epochs=5, batch_size=32)).seconds
    assert judging_cost(STOCK, lstm_stack(3, 8, epochs=10, batch_size=32)).seconds > small
    assert judging_cost(STOCK, lstm_stack(3, 8, epochs=5, batch_size=128)).seconds < small
    assert judging_cost(STOCK, lstm_stack(5, 8, epochs=5, batch_size=32)).seconds > small


def test_the_checked_in_coefficients_cover_both_backends() -> None:
    document = json.loads(
        resources.files("training.cost").joinpath("coefficients.json").read_text()
    )
    assert set(document["backends"]) == {"numpy", "tensorflow"}
    for backend in ("numpy", "tensorflow"):
        model = time_model(backend)
        assert set(model.coefficients) <= set(FEATURES)
        assert model.coefficients["judging"] > 0
        assert model.margin >= 1.0
    with pytest.raises(ValueError, match="no calibrated time model"):
        time_model("torch")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"coefficients": {"judging": -1.0}, "margin": 1.2}, "negative"),
        ({"coefficients": {"wall_clock": 1.0}, "margin": 1.2}, "unknown features"),
        ({"coefficients": {"judging": 1.0}, "margin": 0.5}, "margin"),
    ],
)
def test_a_malformed_coefficients_file_is_refused(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _parse_model("numpy", raw)


# --- the time budget -------------------------------------------------------------------------


@pytest.mark.tensorflow
def test_seven_lstm_layers_at_batch_size_one_are_refused_with_what_fits() -> None:
    """The network that held the workers: 7 x LSTM(4), 30 epochs, batch_size 1. Building and
    tracing seven recurrent layers takes most of the budget, so no single change is enough:
    the refusal names the largest epochs that fit with the whole training set in one batch."""
    spec = lstm_stack(7, 4, epochs=30, batch_size=1)
    message = refusal(STOCK, spec)
    assert f"at most {DEFAULT_TIME_BUDGET:.0f} s" in message
    assert "seed" not in message.split(" layers. ", 1)[1]  # the advice never mentions seeds
    epochs = number_after(message, r'batch_size "full" \(880 rows in one step\) with epochs (\d+)')
    admit(STOCK, dataclasses.replace(spec, batch_size=None, epochs=epochs))
    with pytest.raises(LimitExceeded):
        admit(STOCK, dataclasses.replace(spec, batch_size=None, epochs=epochs + 1))


@pytest.mark.tensorflow
def test_a_recurrent_network_at_batch_size_one_is_told_the_smallest_batch_size_that_fits() -> None:
    spec = lstm_stack(3, 4, epochs=30, batch_size=1)
    message = refusal(STOCK, spec)
    batch = number_after(message, r"batch_size (\d+) or more")
    admit(STOCK, dataclasses.replace(spec, batch_size=batch))
    with pytest.raises(LimitExceeded):
        admit(STOCK, dataclasses.replace(spec, batch_size=batch - 1))


def test_the_refusal_names_the_largest_epochs_and_units_that_fit() -> None:
    pima = TASKS["handout-keras"]
    spec = dense_net(256, epochs=20, batch_size=1)
    message = refusal(pima, spec, time_budget=2.0)
    epochs = number_after(message, r"epochs (\d+) or fewer")
    admit(pima, dataclasses.replace(spec, epochs=epochs), time_budget=2.0)
    with pytest.raises(LimitExceeded):
        admit(pima, dataclasses.replace(spec, epochs=epochs + 1), time_budget=2.0)
    units = number_after(message, r"at most (\d+) units in each hidden layer")
    admit(pima, dense_net(units, epochs=20, batch_size=1), time_budget=2.0)
    with pytest.raises(LimitExceeded):
        admit(pima, dense_net(units + 1, epochs=20, batch_size=1), time_budget=2.0)


def test_a_task_that_fixes_the_batch_size_is_not_told_to_change_it() -> None:
    race = TASKS["optimizer-race"]
    assert race.constraints["batch_size"] == 32
    spec = parse_spec(
        {
            "layers": [
                {"type": "dense", "units": 256, "activation": "relu", "input_dim": 3},
                {"type": "dense", "units": 1},
            ],
            "loss": "mse",
            "optimizer": {"name": "adam", "learning_rate": 0.01},
            "epochs": 10,
            "batch_size": 32,
        }
    )
    message = refusal(race, spec, time_budget=0.2)
    assert "batch_size" not in message.split(" layers. ", 1)[1]


def test_early_stopping_is_not_counted_on_and_the_refusal_says_why() -> None:
    pima = TASKS["handout-keras"]
    stopped = dense_net(
        16,
        epochs=200,
        batch_size=1,
        early_stopping={"monitor": "loss", "patience": 2},
    )
    full = dataclasses.replace(stopped, early_stopping=None)
    assert judging_cost(pima, stopped).seconds == judging_cost(pima, full).seconds
    message = refusal(pima, stopped, time_budget=1.0)
    assert "Early stopping may end training sooner" in message
    assert "Early stopping" not in refusal(pima, full, time_budget=1.0)


def test_a_network_too_slow_for_any_change_but_its_layers_is_told_to_use_fewer() -> None:
    spec = lstm_stack(7, 1, epochs=1, batch_size="full")
    message = refusal(STOCK, spec, time_budget=0.01)
    assert "even one epoch of this network costs too much" in message
    assert "use fewer layers" in message


def test_without_a_time_budget_only_the_flops_limit_applies() -> None:
    spec = lstm_stack(7, 4, epochs=30, batch_size=1)
    admit(STOCK, spec, time_budget=None)


# --- the FLOPs limit -------------------------------------------------------------------------


def test_the_flops_refusal_names_the_largest_epochs_that_fit_and_never_the_seeds() -> None:
    pima = TASKS["handout-keras"]
    spec = dense_net(128, depth=2, epochs=200, batch_size="full")
    message = refusal(pima, spec, time_budget=None)
    assert "floating-point operations, and this task allows" in message
    assert "fewer seeds" not in message and "seeds," not in message
    epochs = number_after(message, r"epochs (\d+) or fewer")
    admit(pima, dataclasses.replace(spec, epochs=epochs), time_budget=None)
    with pytest.raises(LimitExceeded):
        admit(pima, dataclasses.replace(spec, epochs=epochs + 1), time_budget=None)
    units = number_after(message, r"at most (\d+) units")
    admit(pima, dense_net(units, depth=2, epochs=200, batch_size="full"), time_budget=None)
