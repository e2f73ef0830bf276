"""Reading a whole course directory: the course file, every lesson, checks across lessons."""

from __future__ import annotations

import importlib
import importlib.util
import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from annquiz.courses.content.answer_tables import check_table_questions, read_answer_tables
from annquiz.courses.content.definitions import (
    COURSE_FIELDS,
    QUESTION_KINDS,
    ConfigValidator,
    ContentError,
    CourseDef,
    SourceRef,
)
from annquiz.courses.content.lessons import (
    LESSON_FILE_RE,
    ParsedLesson,
    ParsedQuestion,
    parse_lesson,
)
from annquiz.courses.content.yaml_source import (
    check_fields,
    field_node,
    node_at,
    parse_yaml,
    read_text,
    render_field,
    text_field,
)

_SLUG_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def grading_config_validator() -> ConfigValidator | None:
    """The grading engine's ``validate_config``, or ``None`` when the engine is not installed.

    This is the hook :func:`load_course` calls to check each question's ``config``.
    """
    if importlib.util.find_spec("annquiz.courses.grading") is None:
        return None
    grading = importlib.import_module("annquiz.courses.grading")
    validator: ConfigValidator | None = getattr(grading, "validate_config", None)
    return validator


def _known_kinds() -> tuple[str, ...]:
    if importlib.util.find_spec("annquiz.courses.grading") is None:
        return QUESTION_KINDS
    kinds = getattr(importlib.import_module("annquiz.courses.grading"), "QUESTION_KINDS", None)
    return tuple(kinds) if kinds else QUESTION_KINDS


def load_course(
    directory: Path,
    *,
    static_prefix: str = "/static/",
    validate_config: ConfigValidator | None = None,
) -> CourseDef:
    """Read and check the course in ``directory``; return its definitions.

    ``validate_config`` checks each question's config; by default it is the grading engine's
    :func:`grading_config_validator`. Raises :class:`ContentError` naming the file and line of
    the first problem found.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise ContentError(directory, 1, "course directory does not exist")
    validator = validate_config if validate_config is not None else grading_config_validator()
    kinds = _known_kinds()

    course_path = directory / "course.yaml"
    if not course_path.is_file():
        raise ContentError(course_path, 1, "course file is missing")
    doc = parse_yaml(read_text(course_path), course_path, 1)
    if not isinstance(doc.data, dict):
        raise doc.error(doc.node, "course.yaml must be a mapping with slug, title, description")
    check_fields(doc, doc.node, doc.data, COURSE_FIELDS)
    slug = text_field(doc, doc.node, doc.data, "slug", required=True, what="the course")
    if not _SLUG_RE.fullmatch(slug):
        raise doc.error(
            field_node(doc.node, "slug"),
            f"course slug {slug!r} must be lower-case letters, digits and hyphens",
        )
    title = text_field(doc, doc.node, doc.data, "title", required=True, what="the course")
    description = text_field(
        doc, doc.node, doc.data, "description", required=False, what="the course"
    )
    description_html = render_field(
        doc, doc.node, doc.data, "description", description, static_prefix
    )

    parsed = [
        parse_lesson(path, directory, static_prefix=static_prefix, kinds=kinds)
        for path in _lesson_files(directory)
    ]
    parsed.sort(key=lambda lesson: lesson.definition.order)
    _check_course_wide(parsed, validator)
    tables = read_answer_tables(directory)
    question_kinds = {q.key: q.kind for lesson in parsed for q in lesson.definition.questions}
    check_table_questions(tables, question_kinds, directory)
    lessons = tuple(
        replace(
            lesson.definition,
            questions=tuple(
                replace(q, test_answers=tables[q.key]) if q.key in tables else q
                for q in lesson.definition.questions
            ),
        )
        for lesson in parsed
    )
    return CourseDef(
        slug=slug, title=title.strip(), description_html=description_html, lessons=lessons
    )


def _lesson_files(directory: Path) -> list[Path]:
    lessons_dir = directory / "lessons"
    if not lessons_dir.is_dir():
        raise ContentError(lessons_dir, 1, "lessons directory is missing")
    files = sorted(p for p in lessons_dir.iterdir() if p.suffix == ".md")
    if not files:
        raise ContentError(lessons_dir, 1, "no lesson files (lessons/NN-<slug>.md)")
    for path in files:
        if not LESSON_FILE_RE.fullmatch(path.name):
            raise ContentError(
                path, 1, "lesson file names look like NN-<slug>.md (e.g. 03-ann-architecture.md)"
            )
    return files


def _check_course_wide(lessons: list[ParsedLesson], validator: ConfigValidator | None) -> None:
    by_slug: dict[str, ParsedLesson] = {}
    by_order: dict[int, ParsedLesson] = {}
    for lesson in lessons:
        slug, order = lesson.definition.slug, lesson.definition.order
        if slug in by_slug:
            raise lesson.doc.error(
                field_node(lesson.doc.node, "slug"),
                f"lesson slug {slug!r} is also used by {by_slug[slug].path.name}",
            )
        if order in by_order:
            raise lesson.doc.error(
                field_node(lesson.doc.node, "order"),
                f"lesson order {order} is also used by {by_order[order].path.name}",
            )
        by_slug[slug], by_order[order] = lesson, lesson

    first_seen: dict[str, SourceRef] = {}
    for lesson in lessons:
        for question in lesson.questions:
            q = question.definition
            if q.key in first_seen:
                where = first_seen[q.key]
                raise question.doc.error(
                    question.node,
                    f"duplicate question key {q.key!r} "
                    f"(first defined in {where.path}:{where.line})",
                )
            first_seen[q.key] = q.source
            if question.explicit_section:
                _check_section(question, by_slug)
            if validator is not None:
                _check_config(question, validator)


def _check_section(question: ParsedQuestion, lessons: Mapping[str, ParsedLesson]) -> None:
    section = question.definition.handout_section
    slug, _, anchor = section.partition("#")
    where = field_node(question.node, "handout_section")
    target = lessons.get(slug)
    if target is None:
        raise question.doc.error(
            where, f"handout_section {section!r}: there is no lesson with the slug {slug!r}"
        )
    if anchor and anchor not in target.heading_ids:
        known = ", ".join(sorted(target.heading_ids)) or "none"
        raise question.doc.error(
            where,
            f"handout_section {section!r}: lesson {slug!r} has no heading with the id "
            f"{anchor!r} (its heading ids: {known})",
        )


def _check_config(question: ParsedQuestion, validator: ConfigValidator) -> None:
    q = question.definition
    try:
        validator(q.kind, q.config)
    except Exception as exc:  # the validator's own error type; a crash is a bad config too
        config_path = getattr(exc, "path", "")
        message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        node = (
            node_at(question.config_node, config_path)
            if isinstance(config_path, str) and config_path
            else question.config_node
        )
        location = f"config.{config_path}" if config_path else "config"
        raise question.doc.error(node, f"question {q.key!r}: bad {location}: {message}") from exc
