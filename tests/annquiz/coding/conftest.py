"""Coding tasks from the real catalog (fixtures/tasks/), stored in the test database."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User

from annquiz.coding import submitting
from annquiz.coding.catalog import DEFAULT_CATALOG_DIRECTORY, TaskFile, load_task_folder
from annquiz.coding.catalog_sync import task_catalog_load
from annquiz.coding.models import CodingTask, Submission
from annquiz.courses.models import Course, Lesson, Question, QuestionProgress
from tests.annquiz.courses.factories import CourseFactory, LessonFactory, QuestionFactory
from tests.factories import StudentFactory

CATALOG = DEFAULT_CATALOG_DIRECTORY


def catalog_task(slug: str) -> TaskFile:
    return load_task_folder(CATALOG / slug)


def gate_question(task_file: TaskFile) -> Question | None:
    """The question the task opens after (``opens_after``), made in its lesson when the test
    did not load the real course, so that the catalog loads."""
    if not task_file.opens_after:
        return None
    course = Course.objects.get(slug=task_file.course)
    found = Question.objects.filter(course=course, key=task_file.opens_after).first()
    if found is not None:
        return found
    lesson = Lesson.objects.filter(course=course, slug=task_file.lesson).first()
    if lesson is None:
        lesson = LessonFactory.create(course=course, slug=task_file.lesson)
    return QuestionFactory.create(lesson=lesson, key=task_file.opens_after)


def store_task(slug: str) -> CodingTask:
    """The catalog's task, in its course's content (an empty ``ann-handout`` with its default
    offering, and the question the task opens after, unless the test loaded the real one)."""
    CourseFactory.create(slug="ann-handout")
    task_file = catalog_task(slug)
    gate_question(task_file)
    task_catalog_load(catalog=[task_file])
    return CodingTask.objects.get(slug=slug)


def gate_opened(student: User, task: CodingTask) -> None:
    """Mark the question ``task`` opens after as solved by ``student`` (for tests about
    something else than the gate; tests of the gate answer the question)."""
    if task.opens_after:
        question = Question.objects.get(course=task.course, key=task.opens_after)
        QuestionProgress.objects.update_or_create(
            student=student, question=question, defaults={"attempts_used": 1, "solved": True}
        )


@pytest.fixture
def handout_task(db: None) -> CodingTask:
    """The handout-keras task: the handout's own classifier on the pima-like set (NumPy)."""
    return store_task("handout-keras")


@pytest.fixture
def student() -> User:
    return StudentFactory.create(username="alice")


@pytest.fixture
def reference() -> str:
    return catalog_task("handout-keras").reference_source


def another_try(source: str, number: int) -> str:
    """``source`` with a comment that makes it a new submission, not the same one again."""
    return f"{source}\n# try {number}\n"


def submit(student: User, task: CodingTask, source: str, **kwargs: Any) -> Submission:
    kind = kwargs.pop("kind", catalog_task(task.slug).reference_kind)
    return submitting.submission_create(
        student=student, task=task, source_kind=kind, source=source, **kwargs
    ).submission
