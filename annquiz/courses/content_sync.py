"""Storing the course content: the parsed definitions (``courses/content``) written to the
database, updating what changed, never duplicating, keeping students' answers."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from annquiz.courses import grading
from annquiz.courses.content import CourseDef, LessonDef, QuestionBlock, SourceRef
from annquiz.courses.errors import ContentInvalid
from annquiz.courses.models import Course, Lesson, Question
from annquiz.enrolment.services import offering_ensure_default

CONTENT_KINDS = ("courses", "lessons", "questions")
CONTENT_OUTCOMES = ("created", "updated", "unchanged", "deactivated")
#: The fields an edit on the web changes; the rest of a question comes from the files only.
WEB_EDITED_FIELDS = (
    "prompt_html",
    "hints_html",
    "explanation_html",
    "model_answer_html",
    "config",
    "markdown",
    "test_answers",
)


@dataclass
class LoadSummary:
    """How many rows of each kind were created, updated, left unchanged or deactivated."""

    counts: dict[str, dict[str, int]] = field(
        default_factory=lambda: {kind: dict.fromkeys(CONTENT_OUTCOMES, 0) for kind in CONTENT_KINDS}
    )
    #: Questions edited on the web whose files say otherwise: their web edit was kept ...
    kept: list[str] = field(default_factory=list)
    #: ... or, when forced, replaced by the files.
    overwritten: list[str] = field(default_factory=list)

    def add(self, kind: str, outcome: str) -> None:
        self.counts[kind][outcome] += 1

    @property
    def changed(self) -> bool:
        return any(
            row["created"] or row["updated"] or row["deactivated"] for row in self.counts.values()
        )

    def __str__(self) -> str:
        lines = [
            f"{kind}: " + ", ".join(f"{self.counts[kind][o]} {o}" for o in CONTENT_OUTCOMES)
            for kind in CONTENT_KINDS
        ]
        if self.kept:
            lines.append(
                "kept the web edit of (the files differ; export_course, or load with --force): "
                + ", ".join(self.kept)
            )
        if self.overwritten:
            lines.append("replaced the web edit by the files: " + ", ".join(self.overwritten))
        return "\n".join(lines)


def _json_copy(value: Any) -> Any:
    """The value as it comes back from a JSON column (tuples become lists, and so on)."""
    return json.loads(json.dumps(value))


def _assign(obj: Any, values: Mapping[str, Any]) -> list[str]:
    """Set the fields of ``obj`` that differ from ``values``; return their names."""
    changed = []
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed.append(name)
    return changed


def _clean(obj: Any, source: SourceRef) -> None:
    try:
        obj.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        problems = "; ".join(
            f"{name}: {' '.join(messages)}" for name, messages in exc.message_dict.items()
        )
        raise ContentInvalid(f"{source.path}:{source.line}: {problems}") from None


def _save(obj: Any, changed: list[str], *, created: bool, source: SourceRef) -> str:
    if created:
        _clean(obj, source)
        obj.save()
        return "created"
    if not changed:
        return "unchanged"
    _clean(obj, source)
    obj.save(update_fields=[*changed, "updated_at"])
    return "updated"


def _blocks(lesson: LessonDef) -> list[dict[str, str]]:
    blocks: list[dict[str, str]] = []
    for block in lesson.blocks:
        if isinstance(block, QuestionBlock):
            blocks.append({"type": "question", "key": block.key})
        else:
            blocks.append({"type": "html", "html": block.html})
    return blocks


def _check_configs(definition: CourseDef) -> None:
    for lesson in definition.lessons:
        for question in lesson.questions:
            try:
                grading.validate_config(question.kind, question.config)
            except grading.ConfigError as exc:
                raise ContentInvalid(
                    f"{question.source.path}:{question.source.line}: question "
                    f"{question.key!r}: config.{exc.path}: {exc.message}"
                ) from None


def _meet_web_edit(
    question: Question, values: dict[str, Any], *, force: bool, summary: LoadSummary
) -> dict[str, Any]:
    """The values to store for a question edited on the web since its last load.

    Files equal to the web edit (it was exported): the edit is now the files', its mark is
    cleared. Files that differ: the web edit is kept and reported, unless ``force``.
    """
    if question.pk is None or question.edited_on_web_at is None:
        return values
    differs = any(getattr(question, name) != values[name] for name in WEB_EDITED_FIELDS)
    if differs and not force:
        summary.kept.append(question.key)
        return {name: value for name, value in values.items() if name not in WEB_EDITED_FIELDS}
    if differs:
        summary.overwritten.append(question.key)
    return {**values, "edited_on_web_at": None}


@transaction.atomic
def course_load(
    *, definition: CourseDef, source: SourceRef | None = None, force: bool = False
) -> LoadSummary:
    """Store parsed course content, matched by natural keys, in one transaction.

    A course is found by slug, a lesson by (course, slug), a question by (course, key); what
    changed is updated, what is new is created, lessons and questions no longer in the
    content are deactivated (never deleted) and answers are never touched. The content's
    default offering (slug and title of the content) is created when missing. Running it twice
    with the same content changes nothing. A question edited on the web since its last load
    keeps its web edit when the files say otherwise (``summary.kept``), unless ``force``.
    Raises ContentInvalid (``path:line: message``), after which nothing is written.
    ``source`` names the course file in such messages.
    """
    _check_configs(definition)
    summary = LoadSummary()
    origin = source or SourceRef(path="course.yaml", line=1)

    course = Course.objects.select_for_update().filter(slug=definition.slug).first()
    created = course is None
    if course is None:
        course = Course(slug=definition.slug)
    changed = _assign(
        course, {"title": definition.title, "description_html": definition.description_html}
    )
    summary.add("courses", _save(course, changed, created=created, source=origin))
    # The content's default offering: /courses/<content slug>/ keeps working.
    offering_ensure_default(course=course)

    lessons = {lesson.slug: lesson for lesson in Lesson.objects.filter(course=course)}
    questions = {question.key: question for question in Question.objects.filter(course=course)}
    seen_lessons: set[str] = set()
    seen_questions: set[str] = set()
    for lesson_def in definition.lessons:
        seen_lessons.add(lesson_def.slug)
        lesson = lessons.get(lesson_def.slug)
        created = lesson is None
        if lesson is None:
            lesson = Lesson(course=course, slug=lesson_def.slug)
        changed = _assign(
            lesson,
            {
                "title": lesson_def.title,
                "order": lesson_def.order,
                "summary": lesson_def.summary,
                "blocks": _json_copy(_blocks(lesson_def)),
                "is_active": True,
            },
        )
        summary.add("lessons", _save(lesson, changed, created=created, source=lesson_def.source))

        for question_def in lesson_def.questions:
            seen_questions.add(question_def.key)
            question = questions.get(question_def.key)
            created = question is None
            if question is None:
                question = Question(course=course, lesson=lesson, key=question_def.key)
            values = _meet_web_edit(
                question,
                {
                    "lesson_id": lesson.pk,
                    "kind": question_def.kind,
                    "prompt_html": question_def.prompt_html,
                    "hints_html": list(question_def.hints_html),
                    "explanation_html": question_def.explanation_html,
                    "model_answer_html": question_def.model_answer_html,
                    "handout_section": question_def.handout_section,
                    "max_attempts": question_def.max_attempts,
                    "points": float(question_def.points),
                    "order": question_def.order,
                    "config": _json_copy(dict(question_def.config)),
                    "markdown": _json_copy(dict(question_def.markdown)),
                    "test_answers": _json_copy(list(question_def.test_answers)),
                    "is_active": True,
                },
                force=force,
                summary=summary,
            )
            changed = _assign(question, values)
            changed = ["lesson" if name == "lesson_id" else name for name in changed]
            if "lesson" in changed:
                question.lesson = lesson
            summary.add(
                "questions", _save(question, changed, created=created, source=question_def.source)
            )

    for lesson in lessons.values():
        if lesson.slug not in seen_lessons and lesson.is_active:
            lesson.is_active = False
            lesson.save(update_fields=["is_active", "updated_at"])
            summary.add("lessons", "deactivated")
    for question in questions.values():
        if question.key not in seen_questions and question.is_active:
            question.is_active = False
            question.save(update_fields=["is_active", "updated_at"])
            summary.add("questions", "deactivated")
    return summary
