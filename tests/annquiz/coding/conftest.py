"""Coding tasks from the real catalog (fixtures/tasks/), stored in the test database."""

from __future__ import annotations

import pytest

from annquiz.coding.catalog import DEFAULT_CATALOG_DIRECTORY, TaskFile, load_task_folder
from annquiz.coding.models import CodingTask
from annquiz.coding.services import task_catalog_load

CATALOG = DEFAULT_CATALOG_DIRECTORY


def catalog_task(slug: str) -> TaskFile:
    return load_task_folder(CATALOG / slug)


def store_task(slug: str) -> CodingTask:
    task_catalog_load(catalog=[catalog_task(slug)])
    return CodingTask.objects.get(slug=slug)


@pytest.fixture
def handout_task(db: None) -> CodingTask:
    """The handout-keras task: the handout's own classifier on the pima-like set (NumPy)."""
    return store_task("handout-keras")
