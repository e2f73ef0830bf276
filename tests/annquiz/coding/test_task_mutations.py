"""Every task's mutation family: each variant of the reference (training.judging.mutations)
gets, on the task's own grading seeds, the verdict its ``mutations.yaml`` expects, and so does
the broken solution. A grade that cannot tell these variants apart is not a valid grade.

The NumPy tasks take a few seconds each; the two TensorFlow tasks take minutes (docs/judging.md,
"Mutation tests", has the timings).
"""

from __future__ import annotations

import pytest

from annquiz.coding.catalog import TaskFile, load_catalog
from annquiz.coding.mutation_expectations import load_task_mutations
from training.judging.mutations import MUTATIONS, disagreement, variant_outcome
from training.solutions import parse_solution
from training.spec import spec_to_dict

CATALOG = load_catalog()


def _param(task: TaskFile) -> object:
    marks = [pytest.mark.slow]
    if task.definition.backend == "tensorflow":
        marks.append(pytest.mark.tensorflow)
    return pytest.param(task, id=task.slug, marks=marks)


@pytest.mark.parametrize("task", [pytest.param(task, id=task.slug) for task in CATALOG])
def test_every_task_writes_down_what_it_expects_of_each_variant(task: TaskFile) -> None:
    mutations = load_task_mutations(task)
    assert [mutant.name for mutant in mutations.mutants] == list(MUTATIONS)
    assert len(MUTATIONS) >= 8
    assert all(expectation.why for expectation in mutations.expected.values())


@pytest.mark.parametrize("task", [_param(task) for task in CATALOG])
def test_each_variant_of_the_reference_gets_the_expected_verdict(task: TaskFile) -> None:
    mutations = load_task_mutations(task)
    broken = spec_to_dict(parse_solution(task.broken_kind, task.broken_source))
    found = []
    differs = disagreement(mutations.broken, variant_outcome(task.definition, broken))
    if differs is not None:
        found.append(f"broken: {differs}")
    for mutant in mutations.mutants:
        outcome = variant_outcome(task.definition, mutant.document)
        differs = disagreement(mutations.expected[mutant.name], outcome)
        if differs is not None:
            found.append(f"{mutant.name} ({mutant.title}): {differs}")
    assert not found, "\n".join(found)
