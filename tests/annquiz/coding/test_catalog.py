"""The task catalog in fixtures/tasks loads, links real handout sections, and bad folders fail."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from annquiz.coding.catalog import (
    DEFAULT_CATALOG_DIRECTORY,
    CatalogError,
    TaskFile,
    load_catalog,
    load_task_folder,
)
from annquiz.courses.content import HtmlBlock, load_course
from training.judging import parse_task_definition
from training.solutions import parse_solution

COURSE_DIRECTORY = DEFAULT_CATALOG_DIRECTORY.parent / "course"
EXPECTED_SLUGS = {
    "handout-keras",
    "rainfall",
    "fix-overfitting",
    "show-overfitting",
    "optimizer-race",
    "vanishing-gradients",
    "stock-forecast",
    "small-data",
    "imbalanced",
    "image-cnn",
}


@pytest.fixture(scope="module")
def catalog() -> list[TaskFile]:
    return load_catalog()


@pytest.fixture(scope="module")
def headings() -> dict[str, set[str]]:
    """Heading ids of every lesson, by lesson slug, as the course pages render them."""
    course = load_course(COURSE_DIRECTORY)
    found: dict[str, set[str]] = {}
    for lesson in course.lessons:
        ids: set[str] = set()
        for block in lesson.blocks:
            if isinstance(block, HtmlBlock):
                ids.update(re.findall(r'<h[1-6] id="([^"]+)"', block.html))
        found[lesson.slug] = ids
    return found


def test_the_catalog_has_the_ten_tasks_in_order(catalog: list[TaskFile]) -> None:
    assert {task.slug for task in catalog} == EXPECTED_SLUGS
    assert len(catalog) == 10
    assert [task.order for task in catalog] == list(range(1, 11))
    backends = {task.slug: task.definition.backend for task in catalog}
    assert backends["stock-forecast"] == backends["image-cnn"] == "tensorflow"
    assert sum(backend == "numpy" for backend in backends.values()) == 8


def test_every_task_belongs_to_a_real_lesson_and_links_real_sections(
    catalog: list[TaskFile], headings: dict[str, set[str]]
) -> None:
    course = load_course(COURSE_DIRECTORY)
    for task in catalog:
        assert task.course == course.slug, task.slug
        assert task.lesson in headings, f"{task.slug}: no lesson {task.lesson!r}"
        for check in task.definition.checks:
            assert check.section is not None, f"{task.slug}: {check.label}"
            lesson, _, anchor = check.section.partition("#")
            assert lesson in headings, f"{task.slug}: {check.section}"
            assert anchor in headings[lesson], f"{task.slug}: {check.section}"


def test_the_judges_default_sections_resolve_too(headings: dict[str, set[str]]) -> None:
    from training.judging import DEFAULT_SECTIONS

    for name, section in DEFAULT_SECTIONS.items():
        lesson, _, anchor = section.partition("#")
        assert anchor in headings.get(lesson, set()), f"{name}: {section}"


def test_definition_data_is_plain_json_that_parses_to_the_same_definition(
    catalog: list[TaskFile],
) -> None:
    for task in catalog:
        stored = json.loads(json.dumps(dict(task.definition_data), allow_nan=False))
        assert parse_task_definition(stored) == task.definition
        assert task.max_attempts == 10
        assert task.is_open
        assert task.title and task.summary and task.statement_markdown.strip()


def test_the_handout_keras_task_uses_the_handouts_code_exactly_as_printed(
    catalog: list[TaskFile],
) -> None:
    task = next(task for task in catalog if task.slug == "handout-keras")
    assert task.reference_kind == "keras"
    source = task.reference_source
    assert source.startswith(
        "from tensorflow.keras.models import Sequential from tensorflow.keras.layers import Dense"
    )
    assert "    Dense(16, input_dim=8, activation='relu'), Dense(8,\n    activation='relu'),\n" in (
        source
    )
    assert source.count("```") == 2
    spec = parse_solution("keras", source)
    assert [layer.units for layer in spec.layers] == [16, 8, 1]  # type: ignore[union-attr]
    assert (spec.epochs, spec.batch_size, spec.optimizer.name) == (50, 10, "adam")


# --------------------------------------------------------------------------- bad folders


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A private copy of a real task folder to break."""
    target = tmp_path / "rainfall"
    shutil.copytree(DEFAULT_CATALOG_DIRECTORY / "rainfall", target)
    return target


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_a_copied_folder_loads(folder: Path) -> None:
    task = load_task_folder(folder)
    assert task.slug == "rainfall"
    assert task.starter_kind == task.reference_kind == task.broken_kind == "json"


def test_a_missing_task_md_is_named(folder: Path) -> None:
    (folder / "task.md").unlink()
    with pytest.raises(CatalogError) as error:
        load_task_folder(folder)
    assert error.value.path.endswith("task.md")
    assert "is missing" in str(error.value)


def test_a_bad_check_names_the_file_and_the_field_path(folder: Path) -> None:
    replace_in(folder / "task.md", "threshold: 0.15", "threshold: low")
    with pytest.raises(CatalogError) as error:
        load_task_folder(folder)
    assert error.value.path.endswith("rainfall/task.md")
    assert error.value.field == "checks[0].params.threshold"
    assert "must be a number" in str(error.value)


def test_an_unknown_front_matter_field_is_named(folder: Path) -> None:
    replace_in(folder / "task.md", "order: 2\n", "order: 2\ndifficulty: hard\n")
    with pytest.raises(CatalogError) as error:
        load_task_folder(folder)
    assert error.value.field == "difficulty"
    assert "unknown field" in str(error.value)


def test_a_missing_title_and_a_bad_open_flag_are_named(folder: Path) -> None:
    replace_in(folder / "task.md", "order: 2\n", "order: 2\nopen: sometimes\n")
    with pytest.raises(CatalogError) as error:
        load_task_folder(folder)
    assert error.value.field == "open"
    replace_in(folder / "task.md", "open: sometimes\n", "")
    replace_in(folder / "task.md", "title: Forecasting rainfall\n", "")
    with pytest.raises(CatalogError) as error:
        load_task_folder(folder)
    assert error.value.field == "title"
    assert "is missing" in str(error.value)


def test_broken_yaml_is_reported_with_its_line(folder: Path) -> None:
    replace_in(folder / "task.md", "order: 2\n", "order: [2\n")
    with pytest.raises(CatalogError) as error:
        load_task_folder(folder)
    assert error.value.field.startswith("line ")
    assert "not valid YAML" in str(error.value)


def test_a_missing_or_doubled_solution_is_named(folder: Path) -> None:
    (folder / "reference.json").unlink()
    with pytest.raises(CatalogError) as error:
        load_task_folder(folder)
    assert error.value.field == "reference"
    assert "reference.py or reference.json" in str(error.value)
    shutil.copy(folder / "broken.json", folder / "reference.json")
    (folder / "starter.py").write_text("model = Sequential()\n")
    with pytest.raises(CatalogError) as error:
        load_task_folder(folder)
    assert error.value.field == "starter"
    assert "both" in str(error.value)


def test_a_solution_that_does_not_parse_names_its_file_and_path(folder: Path) -> None:
    replace_in(folder / "broken.json", '"units": 16', '"units": -16')
    with pytest.raises(CatalogError) as error:
        load_task_folder(folder)
    assert error.value.path.endswith("broken.json")
    assert error.value.field == "layers[1].units"


def test_an_empty_statement_is_refused(folder: Path) -> None:
    text = (folder / "task.md").read_text()
    head = text[: text.index("---", 4) + 3]
    (folder / "task.md").write_text(head + "\n\n")
    with pytest.raises(CatalogError) as error:
        load_task_folder(folder)
    assert error.value.field == "statement"


def test_a_catalog_with_a_bad_folder_name_or_a_shared_order_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "tasks"
    shutil.copytree(DEFAULT_CATALOG_DIRECTORY / "rainfall", root / "rainfall")
    shutil.copytree(DEFAULT_CATALOG_DIRECTORY / "rainfall", root / "rainfall-copy")
    with pytest.raises(CatalogError) as error:
        load_catalog(root)
    assert error.value.field == "order"
    assert "also the order of rainfall" in str(error.value)
    shutil.rmtree(root / "rainfall-copy")
    shutil.copytree(DEFAULT_CATALOG_DIRECTORY / "rainfall", root / "Rain Fall")
    with pytest.raises(CatalogError) as error:
        load_catalog(root)
    assert error.value.field == "slug"
    (root / "Rain Fall").rename(root / "_drafts")
    assert [task.slug for task in load_catalog(root)] == ["rainfall"]
