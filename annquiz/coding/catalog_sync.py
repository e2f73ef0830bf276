"""Storing the task catalog (``annquiz.coding.catalog`` reads it from files) in the database.

``task_catalog_load`` creates or updates every task by slug and deactivates tasks no longer in
the catalog; their submissions are kept. A task's ``opens_after`` must name an active question
of its course, which is therefore loaded first (``CatalogError`` otherwise, and nothing is
stored). ``manage.py load_tasks`` runs it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from annquiz.coding.catalog import CatalogError, TaskFile
from annquiz.coding.models import CodingTask
from annquiz.core.markdown_rendering import render_markdown
from annquiz.core.static_files import static_prefix
from annquiz.courses.models import Course, Lesson, Question


@dataclass(frozen=True)
class CatalogLoadSummary:
    created: list[str]
    updated: list[str]
    unchanged: list[str]
    deactivated: list[str]

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deactivated)

    def __str__(self) -> str:
        parts = [
            f"{len(items)} {label}"
            + (f" ({', '.join(items)})" if items and label != "unchanged" else "")
            for label, items in (
                ("created", self.created),
                ("updated", self.updated),
                ("unchanged", self.unchanged),
                ("deactivated", self.deactivated),
            )
        ]
        return "tasks: " + ", ".join(parts)


def _check_opens_after(task_file: TaskFile, course: Course | None) -> None:
    """The question ``opens_after`` names must exist in the task's course: a task whose gate
    cannot be checked would otherwise be open to everyone, rules and all."""
    key = task_file.opens_after
    if not key:
        return
    where = f"{task_file.slug}/task.md"
    if course is None:
        raise CatalogError(
            where,
            "opens_after",
            f"the task opens after the question {key!r} of the course {task_file.course!r}, "
            "which is not loaded: run load_course first",
        )
    if not Question.objects.active().filter(course=course, key=key).exists():
        raise CatalogError(
            where,
            "opens_after",
            f"the course {course.slug!r} has no question {key!r}; name the key of one of its "
            "questions, such as a lesson's checkpoint",
        )


def _task_fields(task_file: TaskFile) -> dict[str, Any]:
    course = Course.objects.filter(slug=task_file.course).first() if task_file.course else None
    lesson = (
        Lesson.objects.filter(course=course, slug=task_file.lesson).first()
        if course is not None and task_file.lesson
        else None
    )
    _check_opens_after(task_file, course)
    return {
        "title": task_file.title,
        "order": task_file.order,
        "summary": task_file.summary,
        "course": course,
        "lesson": lesson,
        "statement_markdown": task_file.statement_markdown,
        "statement_html": render_markdown(
            task_file.statement_markdown, static_prefix=static_prefix()
        ),
        "definition": dict(task_file.definition_data),
        "backend": task_file.definition.backend,
        "starter_kind": task_file.starter_kind,
        "starter_source": task_file.starter_source,
        "reference_kind": task_file.reference_kind,
        "reference_source": task_file.reference_source,
        "broken_kind": task_file.broken_kind,
        "broken_source": task_file.broken_source,
        "max_attempts": task_file.max_attempts,
        "is_open": task_file.is_open,
        "opens_after": task_file.opens_after,
        "is_active": True,
    }


@transaction.atomic
def task_catalog_load(*, catalog: list[TaskFile]) -> CatalogLoadSummary:
    """Create or update every task of ``catalog`` by slug; deactivate tasks no longer in it
    (their submissions are kept). Safe to run any number of times; ``CatalogError`` (with
    nothing stored) when a task's ``opens_after`` names no question of its course."""
    created: list[str] = []
    updated: list[str] = []
    unchanged: list[str] = []
    existing = {task.slug: task for task in CodingTask.objects.select_for_update()}
    for task_file in catalog:
        fields = _task_fields(task_file)
        task = existing.get(task_file.slug)
        if task is None:
            CodingTask.objects.create(slug=task_file.slug, **fields)
            created.append(task_file.slug)
            continue
        changed = [name for name, value in fields.items() if getattr(task, name) != value]
        if changed:
            for name in changed:
                setattr(task, name, fields[name])
            task.save(update_fields=[*changed, "updated_at"])
            updated.append(task_file.slug)
        else:
            unchanged.append(task_file.slug)
    slugs = {task_file.slug for task_file in catalog}
    gone = [slug for slug, task in existing.items() if slug not in slugs and task.is_active]
    CodingTask.objects.filter(slug__in=gone).update(is_active=False)
    if created or updated or gone:
        lesson_pages_refresh()
    return CatalogLoadSummary(created, updated, unchanged, sorted(gone))


def lesson_pages_refresh() -> None:
    """Lesson pages list the tasks that practise them, and a cached page is kept under its
    course's update time (``courses/lesson_cache.py``): touch the courses, so no page shows a
    task list from before a change of the tasks."""
    Course.objects.update(updated_at=timezone.now())
