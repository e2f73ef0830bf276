"""The coding-task catalog: parse ``fixtures/tasks/`` into frozen definitions, no database.

Layout of a catalog directory: one folder per task, named by the task's slug::

    <slug>/task.md                 YAML front matter + the statement in Markdown
    <slug>/starter.py|json         what the editor starts with
    <slug>/reference.py|json       a solution that passes
    <slug>/broken.py|json          a solution that fails

The front matter holds the task's title, order, summary, course, lesson, max_attempts
(default 10), open (default true) and opens_after (the key of a question of the course, such
as a lesson checkpoint, that the task's rules give the answer to: the task opens to a student
once that question's model answer is earned; optional), plus the judging definition that
``training.judging.parse_task_definition`` reads (dataset, dataset_seed, backend, seeds,
required_passes, checks, limits, constraints). A ``.py`` solution is a Keras snippet read by
``training.keras_snippet`` (never run); a ``.json`` one is an architecture spec.

Every problem raises ``CatalogError`` naming the file and the field: ``path: field: reason``.
Storing the catalog is the ``load_tasks`` management command's job; it checks what needs the
course in the database (that ``opens_after`` names one of its questions).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from training.errors import SpecError
from training.judging import (
    TASK_DEFINITION_FIELDS,
    TaskDefinition,
    TaskDefinitionError,
    parse_task_definition,
)
from training.solutions import parse_solution

__all__ = [
    "DEFAULT_CATALOG_DIRECTORY",
    "DEFAULT_MAX_ATTEMPTS",
    "SOLUTION_KINDS",
    "TASK_FIELDS",
    "CatalogError",
    "SolutionKind",
    "TaskFile",
    "load_catalog",
    "load_task_folder",
]

SolutionKind = Literal["keras", "json"]
SOLUTION_KINDS: tuple[str, ...] = ("keras", "json")
DEFAULT_MAX_ATTEMPTS = 10
DEFAULT_CATALOG_DIRECTORY = Path(__file__).resolve().parents[2] / "fixtures" / "tasks"
TASK_FIELDS: tuple[str, ...] = (
    "title",
    "order",
    "summary",
    "course",
    "lesson",
    "max_attempts",
    "open",
    "opens_after",
    *TASK_DEFINITION_FIELDS,
)
_SLUG_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_QUESTION_KEY_RE = re.compile(r"[a-z0-9][a-z0-9_-]*")  # as the lessons' question keys
_SUFFIX_KINDS: dict[str, SolutionKind] = {".py": "keras", ".json": "json"}
_SOLUTIONS: tuple[str, ...] = ("starter", "reference", "broken")


class CatalogError(Exception):
    """A problem in the catalog files; ``str()`` is ``"path: field: reason"``."""

    def __init__(self, path: str | Path, field: str, reason: str) -> None:
        self.path = str(path)
        self.field = field
        self.reason = reason
        where = f"{self.path}: {field}" if field else self.path
        super().__init__(f"{where}: {reason}")


@dataclass(frozen=True)
class TaskFile:
    slug: str
    title: str
    order: int
    summary: str
    course: str
    lesson: str
    max_attempts: int
    is_open: bool
    opens_after: str  # a question key of the course; "" when open from the start
    statement_markdown: str
    definition_data: Mapping[str, Any]
    definition: TaskDefinition
    starter_kind: SolutionKind
    starter_source: str
    reference_kind: SolutionKind
    reference_source: str
    broken_kind: SolutionKind
    broken_source: str


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise CatalogError(path, "", f"is not UTF-8 text ({error.reason})") from None
    except OSError as error:
        raise CatalogError(path, "", f"cannot be read: {error.strerror}") from None


def _front_matter(path: Path) -> tuple[dict[str, Any], str]:
    text = _read(path)
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise CatalogError(path, "front matter", "must start with a '---' line")
    end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
    if end is None:
        raise CatalogError(path, "front matter", "has no closing '---' line")
    try:
        data = yaml.safe_load("".join(lines[1:end]))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 2}" if mark is not None else "front matter"
        raise CatalogError(path, where, f"is not valid YAML: {error}") from None
    if not isinstance(data, dict):
        raise CatalogError(path, "front matter", "must be a mapping of fields")
    return data, "".join(lines[end + 1 :]).strip() + "\n"


def _text(path: Path, data: Mapping[str, Any], key: str, *, default: str | None = None) -> str:
    value = data.get(key, default)
    if value is None:
        raise CatalogError(path, key, "is missing")
    if not isinstance(value, str) or not value.strip():
        raise CatalogError(path, key, f"must be a non-empty text, got {value!r}")
    return value.strip()


def _int(path: Path, data: Mapping[str, Any], key: str, *, default: int | None = None) -> int:
    value = data.get(key, default)
    if value is None:
        raise CatalogError(path, key, "is missing")
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise CatalogError(path, key, f"must be a whole number of at least 1, got {value!r}")
    return value


def _solution(folder: Path, name: str) -> tuple[SolutionKind, str, Path]:
    found = [folder / f"{name}{suffix}" for suffix in _SUFFIX_KINDS]
    present = [p for p in found if p.is_file()]
    if not present:
        raise CatalogError(folder, name, f"is missing: add {name}.py or {name}.json")
    if len(present) > 1:
        raise CatalogError(folder, name, f"has both {name}.py and {name}.json; keep one")
    path = present[0]
    return _SUFFIX_KINDS[path.suffix], _read(path), path


def load_task_folder(path: Path) -> TaskFile:
    """Read and check one task folder (see the module docstring)."""
    folder = Path(path)
    slug = folder.name
    if not _SLUG_RE.fullmatch(slug):
        raise CatalogError(folder, "slug", "the folder name must be a slug such as 'rainfall'")
    task_md = folder / "task.md"
    if not task_md.is_file():
        raise CatalogError(task_md, "", "is missing")
    data, statement = _front_matter(task_md)
    for key in data:
        if key not in TASK_FIELDS:
            raise CatalogError(
                task_md, str(key), f"unknown field; allowed: {', '.join(TASK_FIELDS)}"
            )
    is_open = data.get("open", True)
    if not isinstance(is_open, bool):
        raise CatalogError(task_md, "open", f"must be true or false, got {is_open!r}")
    opens_after = data.get("opens_after", "")
    if "opens_after" in data and not (
        isinstance(opens_after, str) and _QUESTION_KEY_RE.fullmatch(opens_after)
    ):
        raise CatalogError(
            task_md,
            "opens_after",
            f"must be the key of a question of the course, such as 'checkpoint-stock-prices', "
            f"got {opens_after!r}",
        )
    definition_data = {k: data[k] for k in TASK_DEFINITION_FIELDS if k in data}
    try:
        json.dumps(definition_data, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise CatalogError(task_md, "definition", f"must be plain JSON data: {error}") from None
    try:
        definition = parse_task_definition(definition_data)
    except TaskDefinitionError as error:
        raise CatalogError(task_md, error.path, error.reason) from None
    if not statement.strip():
        raise CatalogError(task_md, "statement", "is empty: write the task below the front matter")

    sources: dict[str, tuple[SolutionKind, str]] = {}
    for name in _SOLUTIONS:
        kind, source, solution_path = _solution(folder, name)
        try:
            parse_solution(kind, source)
        except SpecError as error:
            raise CatalogError(solution_path, error.path or "spec", error.reason) from None
        sources[name] = (kind, source)

    return TaskFile(
        slug=slug,
        title=_text(task_md, data, "title"),
        order=_int(task_md, data, "order"),
        summary=_text(task_md, data, "summary"),
        course=_text(task_md, data, "course"),
        lesson=_text(task_md, data, "lesson"),
        max_attempts=_int(task_md, data, "max_attempts", default=DEFAULT_MAX_ATTEMPTS),
        is_open=is_open,
        opens_after=opens_after,
        statement_markdown=statement,
        definition_data=definition_data,
        definition=definition,
        starter_kind=sources["starter"][0],
        starter_source=sources["starter"][1],
        reference_kind=sources["reference"][0],
        reference_source=sources["reference"][1],
        broken_kind=sources["broken"][0],
        broken_source=sources["broken"][1],
    )


def load_catalog(root: Path = DEFAULT_CATALOG_DIRECTORY) -> list[TaskFile]:
    """Every task folder under ``root`` (each folder not starting with ``.`` or ``_``), by order.

    Raises ``CatalogError`` for the first problem, and for two tasks sharing an order.
    """
    directory = Path(root)
    if not directory.is_dir():
        raise CatalogError(directory, "", "is not a directory")
    tasks = [
        load_task_folder(child)
        for child in sorted(directory.iterdir())
        if child.is_dir() and not child.name.startswith((".", "_"))
    ]
    seen: dict[int, str] = {}
    for task in tasks:
        if task.order in seen:
            raise CatalogError(
                directory / task.slug / "task.md",
                "order",
                f"{task.order} is also the order of {seen[task.order]}",
            )
        seen[task.order] = task.slug
    return sorted(tasks, key=lambda task: task.order)
