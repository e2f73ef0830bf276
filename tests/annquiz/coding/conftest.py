"""Coding tasks from the real catalog (fixtures/tasks/), stored in the test database."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User

from annquiz.coding import submitting
from annquiz.coding.catalog import DEFAULT_CATALOG_DIRECTORY, TaskFile, load_task_folder
from annquiz.coding.catalog_sync import task_catalog_load
from annquiz.coding.models import CodingTask, Submission
from tests.annquiz.courses.factories import CourseFactory
from tests.factories import StudentFactory

CATALOG = DEFAULT_CATALOG_DIRECTORY


def catalog_task(slug: str) -> TaskFile:
    return load_task_folder(CATALOG / slug)


def store_task(slug: str) -> CodingTask:
    """The catalog's task, in its course's content (an empty ``ann-handout`` with its default
    offering unless the test loaded the real one)."""
    CourseFactory.create(slug="ann-handout")
    task_catalog_load(catalog=[catalog_task(slug)])
    return CodingTask.objects.get(slug=slug)


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
