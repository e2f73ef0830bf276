"""Adversarial answers to every free-text checkpoint, with a teacher's verdict for each.

``adversarial_answers.yaml`` was written before the rubrics were tuned against it: keyword
dumps, negated and reversed claims, swapped subjects, underfitting described for overfitting,
copies of the prompt, right words in wrong claims, and right answers in words the handout
does not use. No answer a teacher would not accept may be graded ``correct``; overall the
engine must agree with the teacher's verdict (correct / partial / incorrect) on at least 90 %.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from annquiz.courses.content import CourseDef, QuestionDef, load_course
from annquiz.courses.grading import Grade, grade

COURSE_DIR = Path(__file__).resolve().parents[4] / "fixtures" / "course"
ANSWERS: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).resolve().parent / "adversarial_answers.yaml").read_text(encoding="utf-8")
)
MIN_AGREEMENT = 0.9


@pytest.fixture(scope="module")
def questions() -> dict[str, QuestionDef]:
    course: CourseDef = load_course(COURSE_DIR)
    return {q.key: q for lesson in course.lessons for q in lesson.questions}


def grade_answer(question: QuestionDef, item: dict[str, Any]) -> Grade:
    response: dict[str, Any] = {"text": item["text"]}
    if question.config.get("choices"):
        right = next(c["key"] for c in question.config["choices"] if c.get("correct"))
        response["choice"] = item.get("choice", right)
    return grade(question.kind, question.config, response)


def test_the_set_covers_every_free_text_question(questions: dict[str, QuestionDef]) -> None:
    free_text = {key for key, q in questions.items() if q.kind == "free_text"}
    assert {item["question"] for item in ANSWERS} == free_text
    assert len(ANSWERS) >= 60


@pytest.mark.parametrize(
    "item",
    [item for item in ANSWERS if item["verdict"] != "correct"],
    ids=lambda item: f"{item['question']}:{item['text'][:40]}",
)
def test_no_wrong_answer_is_graded_correct(
    questions: dict[str, QuestionDef], item: dict[str, Any]
) -> None:
    result = grade_answer(questions[item["question"]], item)
    assert result.verdict != "correct", (result.score, result.feedback)


def test_the_engine_agrees_with_the_teacher_on_nine_answers_in_ten(
    questions: dict[str, QuestionDef],
) -> None:
    disagreements = []
    for item in ANSWERS:
        verdict = grade_answer(questions[item["question"]], item).verdict
        if verdict != item["verdict"]:
            disagreements.append((item["question"], item["text"], item["verdict"], verdict))
    agreement = 1 - len(disagreements) / len(ANSWERS)
    assert agreement >= MIN_AGREEMENT, disagreements
