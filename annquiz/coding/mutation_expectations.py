"""A task's ``mutations.yaml``: the expected verdict of its broken solution and of each
variant of its reference (`training.judging.mutations`), read and checked.

The file sits beside ``task.md`` in the task's folder; docs/judging.md, "Mutation tests",
describes it. Every problem raises ``CatalogError`` naming the file and the entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from annquiz.coding.catalog import DEFAULT_CATALOG_DIRECTORY, CatalogError, TaskFile
from training.datasets import load_dataset
from training.judging.mutations import (
    Expectation,
    ExpectationError,
    Mutant,
    check_names,
    mutation_family,
    parse_expectations,
)
from training.solutions import parse_solution

__all__ = ["MUTATIONS_FILE", "TaskMutations", "load_task_mutations"]

MUTATIONS_FILE = "mutations.yaml"


@dataclass(frozen=True)
class TaskMutations:
    """A task's mutants of its reference, with what is expected of them and of ``broken``."""

    broken: Expectation
    mutants: list[Mutant]
    expected: dict[str, Expectation]


def load_task_mutations(
    task: TaskFile, directory: Path = DEFAULT_CATALOG_DIRECTORY
) -> TaskMutations:
    """The task's mutation family and its ``mutations.yaml``; ``CatalogError`` when missing
    or malformed."""
    path = Path(directory) / task.slug / MUTATIONS_FILE
    if not path.is_file():
        raise CatalogError(path, "", "is missing: write the expected verdict of each variant")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise CatalogError(path, "", f"cannot be read as YAML: {error}") from None
    try:
        broken, expected = parse_expectations(data, check_names(task.definition))
    except ExpectationError as error:
        raise CatalogError(path, "", str(error)) from None
    reference = parse_solution(task.reference_kind, task.reference_source)
    dataset = load_dataset(task.definition.dataset, task.definition.dataset_seed)
    return TaskMutations(
        broken=broken, mutants=mutation_family(reference, dataset.task), expected=expected
    )
