"""Every task in the catalog: the reference solution passes, the broken one fails, the starter
parses and is accepted for judging, all through ``judge()`` on the task's own seeds."""

from __future__ import annotations

import ast

import pytest

from annquiz.coding.catalog import TaskFile, load_catalog
from training.judging import admit, judge
from training.solutions import parse_solution

CATALOG = load_catalog()


def _param(task: TaskFile) -> object:
    marks = [pytest.mark.tensorflow] if task.definition.backend == "tensorflow" else []
    return pytest.param(task, id=task.slug, marks=marks)


TASKS = [_param(task) for task in CATALOG]


@pytest.mark.parametrize("task", TASKS)
def test_the_reference_solution_passes(task: TaskFile) -> None:
    judgement = judge(task.definition, parse_solution(task.reference_kind, task.reference_source))
    failing = [check["message"] for check in judgement.checks if not check["passed"]]
    assert judgement.verdict == "passed", failing


@pytest.mark.parametrize("task", TASKS)
def test_the_broken_solution_fails(task: TaskFile) -> None:
    judgement = judge(task.definition, parse_solution(task.broken_kind, task.broken_source))
    assert judgement.verdict == "failed"
    assert any(not check["passed"] for check in judgement.checks)
    assert judgement.summary.startswith("Not passed yet")


@pytest.mark.parametrize("task", [pytest.param(task, id=task.slug) for task in CATALOG])
def test_the_starter_parses_and_is_accepted_for_judging(task: TaskFile) -> None:
    spec = parse_solution(task.starter_kind, task.starter_source)
    admit(task.definition, spec)


@pytest.mark.parametrize(
    "task",
    [pytest.param(task, id=task.slug) for task in CATALOG if task.starter_kind == "keras"],
)
def test_the_editor_starts_from_clean_python(task: TaskFile) -> None:
    """The starter is what the editor shows: Python as the lessons print it, without the
    handout's run-on imports or Markdown fences (the snippet reader forgives those in a
    student's paste, but the editor should not teach them)."""
    ast.parse(task.starter_source)
    assert "```" not in task.starter_source


@pytest.mark.parametrize("task", [pytest.param(task, id=task.slug) for task in CATALOG])
def test_the_solutions_are_admitted_under_the_services_time_budget(task: TaskFile) -> None:
    """What the task teaches must be submittable: the reference and broken solutions fit the
    time a judging may take (a quarter of the default soft time limit)."""
    for kind, source in (
        (task.reference_kind, task.reference_source),
        (task.broken_kind, task.broken_source),
    ):
        admit(task.definition, parse_solution(kind, source), time_budget=120 / 4)
