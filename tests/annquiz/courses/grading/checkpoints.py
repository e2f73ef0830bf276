"""The handout's 7 checkpoint scenarios, with the rubrics the course itself uses.

The rubrics are read from the question fixtures in ``fixtures/course`` (the same configs the
service grades with), so these tests exercise the real thing. ``CHOICES`` names each
scenario's choice keys by what they stand for.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from annquiz.courses.content import load_course

COURSE_DIR = Path(__file__).resolve().parents[4] / "fixtures" / "course"

SCENARIOS: dict[str, str] = {
    "weather": "checkpoint-rainfall",
    "stocks": "checkpoint-stock-prices",
    "input_dim": "checkpoint-input-dim",
    "loss_rises": "checkpoint-loss-rises",
    "train_test_gap": "checkpoint-train-98-test-60",
    "small_data": "checkpoint-500-samples",
    "validation_rises": "checkpoint-20-epochs",
}

# The fixtures' choice keys by meaning, per scenario that has a choice part.
CHOICES: dict[str, dict[str, str]] = {
    "weather": {"ann": "a", "rules": "b"},
    "stocks": {"fnn": "a", "cnn": "b", "rnn": "c", "mlp": "d"},
    "input_dim": {"first": "a", "last": "b", "compile": "c", "fit": "d"},
    "loss_rises": {"overfitting": "a", "underfitting": "b", "converged": "c"},
    "train_test_gap": {"overfitting": "a", "underfitting": "b", "imbalance": "c"},
    "small_data": {"ann": "a", "logreg": "b"},
}


def _load() -> dict[str, tuple[str, dict[str, Any]]]:
    course = load_course(COURSE_DIR)
    questions = {q.key: q for lesson in course.lessons for q in lesson.questions}
    return {
        name: (questions[key].kind, dict(questions[key].config)) for name, key in SCENARIOS.items()
    }


CHECKPOINTS: dict[str, tuple[str, dict[str, Any]]] = _load()


def response(name: str, text: str, choice: str | None = None) -> dict[str, Any]:
    """A response to scenario ``name``: ``choice`` by meaning (the right one when omitted)."""
    result: dict[str, Any] = {"text": text}
    config = CHECKPOINTS[name][1]
    if config.get("choices"):
        if choice is None:
            result["choice"] = next(c["key"] for c in config["choices"] if c.get("correct"))
        else:
            result["choice"] = CHOICES[name][choice]
    return result
