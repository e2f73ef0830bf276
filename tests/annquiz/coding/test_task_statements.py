"""A coding task's statement never states a lesson checkpoint's answer.

Tasks are open from the start, next to the lessons whose checkpoints they build on, so what a
student reads about a task (its title, summary, statement and the labels of the checks it is
judged by) must not hand them a checkpoint's model answer. "States" is the key-phrase test of
``courses.content.answer_phrases``, the same one the hints are held to.

A task's *rules* can still imply an answer without stating it: stock-forecast requires a
SimpleRNN or LSTM layer, small-data allows 7 parameters (one sigmoid unit). Those two open
only once their checkpoint's answer is earned (``opens_after``, test_task_gate.py), and their
title and summary, which a locked task still shows, pass this test like every other task's.
"""

from __future__ import annotations

from functools import cache

import pytest

from annquiz.coding.catalog import TaskFile, load_catalog
from annquiz.courses.content import QuestionDef, load_course
from annquiz.courses.content.answer_phrases import AnswerPhrases, answer_phrases, find_giveaways
from tests.annquiz.coding.test_catalog import COURSE_DIRECTORY


@cache
def checkpoints() -> tuple[QuestionDef, ...]:
    """The handout's checkpoint questions (their keys start with ``checkpoint-``)."""
    course = load_course(COURSE_DIRECTORY)
    return tuple(
        question
        for lesson in course.lessons
        for question in lesson.questions
        if question.key.startswith("checkpoint-")
    )


def key_of(question: QuestionDef) -> AnswerPhrases:
    return answer_phrases(
        kind=question.kind, prompt=question.prompt_html, model_answer=question.model_answer_html
    )


def shown_before_judging(task: TaskFile) -> dict[str, str]:
    parts = {
        "title": task.title,
        "summary": task.summary,
        "statement": task.statement_markdown,
    }
    for index, check in enumerate(task.definition.checks):
        parts[f"checks[{index}].label"] = check.label
    return parts


def test_the_course_has_the_handouts_seven_checkpoints() -> None:
    assert len(checkpoints()) == 7
    assert all(key_of(question) for question in checkpoints())


@pytest.mark.parametrize("task", load_catalog(), ids=lambda task: task.slug)
def test_no_task_statement_states_a_checkpoints_answer(task: TaskFile) -> None:
    problems = []
    for question in checkpoints():
        key = key_of(question)
        for where, text in shown_before_judging(task).items():
            found = find_giveaways(text, key)
            if found:
                problems.append(f"{where} gives {question.key}'s answer away: {found}")
    assert problems == []


def test_the_check_finds_a_quoted_answer() -> None:
    question = next(q for q in checkpoints() if q.key == "checkpoint-500-samples")
    quoted = "The handout answers: logistic regression; an ANN needs large datasets."
    assert find_giveaways(quoted, key_of(question)) != []
