"""Diagnostics never contradict the checks: no diagnostic says a cause is fine while a failed
check's explanation blames it, and every diagnostic states the figure it read and its
threshold.

The matrix: every task of the catalog with its broken solution and variants of its reference
with the learning rate times 100 and divided by 100, without hidden layers, and with linear
hidden activations (each variant the task admits), judged on the task's own seeds.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest

from annquiz.coding.catalog import TaskFile, load_catalog
from training.errors import TrainingError
from training.judging import Judgement, admit, judge
from training.solutions import parse_solution
from training.spec import (
    LSTM,
    Activation,
    Conv2D,
    Dense,
    Flatten,
    MaxPooling2D,
    ModelSpec,
    SimpleRNN,
)

CATALOG = load_catalog()

# Words a check's explanation uses when it blames a cause a diagnostic examines. Written out
# here, apart from the code's own reading, so that the test reads the text as a student does.
BLAMES = {
    "learning_rate": re.compile(r"learning[ _]rate", re.IGNORECASE),
    "vanishing_gradients": re.compile(r"vanish|gradient|sigmoid'?s slope", re.IGNORECASE),
    "dead_relu": re.compile(r"dying relu|dead relu|leaky ?relu|died", re.IGNORECASE),
}
# What a diagnostic says when it finds its cause fine.
SAYS_FINE = re.compile(r"looks right|no sign|no vanishing|no dying|no problem", re.IGNORECASE)
# A figure and the threshold it is read against, in a diagnostic's message.
FIGURE_AND_THRESHOLD = re.compile(
    r"\d.*\((?:below|above|less than|more than|at least|at most)[^)]*\d", re.IGNORECASE
)


def _scaled_rate(spec: ModelSpec, factor: float) -> ModelSpec:
    rate = spec.optimizer.learning_rate or 0.001
    return dataclasses.replace(
        spec, optimizer=dataclasses.replace(spec.optimizer, learning_rate=rate * factor)
    )


def _without_hidden_layers(spec: ModelSpec) -> ModelSpec:
    output = spec.layers[-1]
    flat = () if len(spec.input_shape) == 1 else (Flatten(),)
    return dataclasses.replace(spec, layers=(*flat, output))


def _linear(spec: ModelSpec) -> ModelSpec:
    layers = []
    for layer in spec.layers[:-1]:
        if isinstance(layer, Dense | Conv2D | SimpleRNN | LSTM):
            layer = dataclasses.replace(layer, activation=Activation("linear"))
        layers.append(layer)
    return dataclasses.replace(spec, layers=(*layers, spec.layers[-1]))


VARIANTS = {
    "lr-x100": lambda spec: _scaled_rate(spec, 100.0),
    "lr-div100": lambda spec: _scaled_rate(spec, 0.01),
    "no-hidden-layer": _without_hidden_layers,
    "linear-activations": _linear,
}


def variant(task: TaskFile, name: str) -> ModelSpec | None:
    """The variant, or None when the task does not admit it (e.g. a fixed learning rate)."""
    if name == "broken":
        return parse_solution(task.broken_kind, task.broken_source)
    spec = VARIANTS[name](parse_solution(task.reference_kind, task.reference_source))
    if all(isinstance(layer, MaxPooling2D | Flatten) for layer in spec.layers[:-1]) and (
        len(spec.layers) > 1 and name != "no-hidden-layer"
    ):
        return None
    try:
        admit(task.definition, spec)
    except TrainingError:
        return None
    return spec


def assert_consistent(judgement: Judgement) -> None:
    failed = [c for c in judgement.checks if not c["passed"]]
    blamed = {
        cause for c in failed for cause, words in BLAMES.items() if words.search(c["message"])
    }
    for diagnostic in judgement.diagnostics:
        if diagnostic["name"] in blamed:
            assert diagnostic["passed"] is not True, (diagnostic, failed)
            assert not SAYS_FINE.search(diagnostic["message"]), (diagnostic, failed)
        cannot_tell = (
            "cannot be judged" in diagnostic["message"] or "no ReLU" in diagnostic["message"]
        )
        if not cannot_tell and diagnostic["details"].get("nonfinite_epoch") is None:
            assert FIGURE_AND_THRESHOLD.search(diagnostic["message"]), diagnostic


def _cases(backend: str) -> list[Any]:
    return [
        pytest.param(task, name, id=f"{task.slug}-{name}")
        for task in CATALOG
        if task.definition.backend == backend
        for name in ("broken", *VARIANTS)
    ]


@pytest.mark.parametrize(("task", "name"), _cases("numpy"))
def test_diagnostics_agree_with_the_checks(task: TaskFile, name: str) -> None:
    spec = variant(task, name)
    if spec is None:
        pytest.skip(f"{task.slug} does not admit the {name} variant")
    assert_consistent(judge(task.definition, spec))


@pytest.mark.tensorflow
def test_the_image_cnn_broken_solution_is_told_its_loss_barely_falls() -> None:
    """The report: "the loss fell by 2.3 % … the learning rate (0.001) looks right" beside a
    failed accuracy check saying a barely falling loss means the rate is too small."""
    task = next(t for t in CATALOG if t.slug == "image-cnn")
    judgement = judge(task.definition, parse_solution(task.broken_kind, task.broken_source))

    assert_consistent(judgement)
    (rate,) = [d for d in judgement.diagnostics if d["name"] == "learning_rate"]
    assert rate["details"]["verdict"] == "too_low", rate
    assert "barely falls" in rate["message"]
