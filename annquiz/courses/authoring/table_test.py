"""The table test: every test answer graded with the edited config must get the verdict it
expects. An answer marked ``known`` (the grader is known to get it wrong, with the reason) may
get another verdict, but never ``correct`` when it must not be. Pure: no database."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from annquiz.courses import grading


@dataclass(frozen=True)
class TableFailure:
    """A test answer graded otherwise than it expects; ``got`` is the verdict it got (or
    ``"refused"`` when the response itself does not fit the question, with the reason)."""

    index: int
    text: str
    choice: str | None
    expect: str
    got: str
    score: float
    feedback: str


def table_run(
    kind: str, config: Mapping[str, Any], test_answers: Sequence[Mapping[str, Any]]
) -> list[TableFailure]:
    """The test answers that do not get their expected verdict (less the known ones that
    are not wrongly passed), in table order."""
    failures = []
    for index, case in enumerate(test_answers):
        response: dict[str, Any] = {"text": case["text"]}
        choice = case.get("choice") or None
        if choice is not None:
            response["choice"] = choice
        try:
            result = grading.grade(kind, config, response)
        except grading.AnswerError as exc:
            failures.append(
                TableFailure(index, case["text"], choice, case["expect"], "refused", 0.0, str(exc))
            )
            continue
        false_pass = result.verdict == "correct" and case["expect"] != "correct"
        if result.verdict != case["expect"] and (not case.get("known") or false_pass):
            failures.append(
                TableFailure(
                    index,
                    case["text"],
                    choice,
                    case["expect"],
                    result.verdict,
                    result.score,
                    result.feedback,
                )
            )
    return failures
