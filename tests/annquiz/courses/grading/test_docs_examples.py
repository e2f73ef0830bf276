"""The config examples in docs/questions.md are valid and grade as the docs say."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from annquiz.courses.grading import grade, validate_config

DOC = Path(__file__).resolve().parents[4] / "docs" / "questions.md"


def examples() -> list[dict[str, Any]]:
    blocks = re.findall(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)
    loaded = [yaml.safe_load(block) for block in blocks]
    return [item for item in loaded if isinstance(item, dict) and "kind" in item]


def test_every_documented_example_config_is_valid() -> None:
    found = examples()
    assert {item["kind"] for item in found} == {
        "single_choice",
        "numeric",
        "free_text",
        "parametrized",
    }
    for item in found:
        validate_config(item["kind"], item["config"])


def test_the_documented_overfitting_example_grades_as_its_table_says() -> None:
    (example,) = [
        item
        for item in examples()
        if item["kind"] == "free_text" and "choices" not in item["config"]
    ]
    config = example["config"]
    table = {
        "Overfitting. Try adding dropout layers, regularization, or early stopping.": (
            1.0,
            "correct",
        ),
        "It's overfiting.": (0.5, "partial"),
        "overfitting dropout early stopping": (0.0, "incorrect"),
        "It is not overfitting, it is underfitting.": (0.0, "incorrect"),
        "Overfitting is not the problem, underfitting is.": (0.0, "incorrect"),
    }
    for text, (score, verdict) in table.items():
        result = grade("free_text", config, {"text": text})
        assert (result.score, result.verdict) == (score, verdict), text
