"""The course content: parse ``fixtures/course/`` into frozen definitions, pure Python.

Layout of a course directory::

    course.yaml                  slug, title, description (Markdown)
    lessons/NN-<slug>.md         one lesson per file, in order

A lesson file is Markdown with YAML front matter between ``---`` lines::

    ---
    slug: ann-architecture
    title: ANN architecture
    order: 3
    summary: Layers, weights, biases and activation functions.
    questions:
      - key: q1-weights
        kind: free_text
        prompt: What's the role of weights in an ANN?
        explanation: ...              # Markdown, shown with the grade
        model_answer: ...             # Markdown, shown once earned
        handout_section: ann-architecture#structure   # optional: "<lesson>[#<heading id>]"
        max_attempts: 3               # optional, default 3
        points: 1                     # optional, default 1
        config: {...}                 # kind-specific, checked by the grading engine
    ---
    Markdown text ...

    [[question:q1-weights]]

Each question is placed in the text by a marker line ``[[question:KEY]]`` after the passage it
tests. :func:`load_course` reads and checks everything (every error names the file and line
as ``path:line: message``) and returns a :class:`CourseDef`; it never touches a database.
Storing the result is the ``load_course`` management command's job.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from annquiz.core.markdown_rendering import RenderError, render_markdown

__all__ = [
    "COURSE_FIELDS",
    "DEFAULT_MAX_ATTEMPTS",
    "DEFAULT_POINTS",
    "LESSON_FIELDS",
    "QUESTION_FIELDS",
    "QUESTION_KINDS",
    "ConfigValidator",
    "ContentError",
    "CourseDef",
    "HtmlBlock",
    "LessonDef",
    "QuestionBlock",
    "QuestionDef",
    "SourceRef",
    "grading_config_validator",
    "load_course",
]

QUESTION_KINDS = ("single_choice", "multiple_choice", "numeric", "free_text", "parametrized")
COURSE_FIELDS = frozenset({"slug", "title", "description"})
LESSON_FIELDS = frozenset({"slug", "title", "order", "summary", "questions"})
QUESTION_FIELDS = frozenset(
    {
        "key",
        "kind",
        "prompt",
        "explanation",
        "model_answer",
        "handout_section",
        "max_attempts",
        "points",
        "config",
    }
)
DEFAULT_MAX_ATTEMPTS = 3
DEFAULT_POINTS = 1.0

#: ``validate_config(kind, config)``: raises (typically ``ValueError``) for a broken config.
ConfigValidator = Callable[[str, Mapping[str, Any]], None]

_SLUG_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_KEY_RE = re.compile(r"[a-z0-9][a-z0-9_-]*")
_LESSON_FILE_RE = re.compile(r"(?P<number>\d{2})-(?P<slug>[a-z0-9]+(?:-[a-z0-9]+)*)\.md")
_MARKER_RE = re.compile(r"\[\[question:(?P<key>[^\]\s]*)\]\]\s*")
_FENCE_LINE_RE = re.compile(r"^[ \t]{0,3}(?P<fence>`{3,}|~{3,})")
_HEADING_ID_RE = re.compile(r"<h[1-6] id=\"(?P<id>[^\"]+)\"")
_CONFIG_PATH_RE = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


# --- the definitions ----------------------------------------------------------------------


@dataclass(frozen=True)
class SourceRef:
    """Where a definition comes from: a path relative to the course directory, 1-based line."""

    path: str
    line: int


@dataclass(frozen=True)
class QuestionDef:
    key: str
    kind: str
    prompt_html: str
    explanation_html: str
    model_answer_html: str
    handout_section: str  # "<lesson slug>" or "<lesson slug>#<heading id>"
    max_attempts: int
    points: float
    config: dict[str, Any]
    source: SourceRef
    order: int  # 1-based position of the question's marker in its lesson


@dataclass(frozen=True)
class HtmlBlock:
    html: str


@dataclass(frozen=True)
class QuestionBlock:
    key: str


@dataclass(frozen=True)
class LessonDef:
    slug: str
    title: str
    order: int
    summary: str
    blocks: tuple[HtmlBlock | QuestionBlock, ...]
    questions: tuple[QuestionDef, ...]  # in the order of their markers
    source: SourceRef


@dataclass(frozen=True)
class CourseDef:
    slug: str
    title: str
    description_html: str
    lessons: tuple[LessonDef, ...]  # by order


class ContentError(Exception):
    """A problem in the course files; ``str()`` is ``"path:line: message"``."""

    def __init__(self, path: str | Path, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path = str(path)
        self.line = line
        self.message = message

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


# --- the grading engine's hook ---------------------------------------------------------------


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


# --- YAML with line numbers -------------------------------------------------------------------


@dataclass(frozen=True)
class _Yaml:
    """A parsed YAML document: its node tree (for lines) and its data."""

    path: Path
    node: Node
    data: Any
    first_line: int  # the file line of the document's first line

    def line(self, node: Node) -> int:
        return int(node.start_mark.line) + self.first_line

    def error(self, node: Node, message: str) -> ContentError:
        return ContentError(self.path, self.line(node), message)


def _parse_yaml(text: str, path: Path, first_line: int) -> _Yaml:
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return _Yaml(path, ScalarNode("tag:yaml.org,2002:null", ""), None, first_line)
        _check_duplicate_keys(node, path, first_line)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = int(mark.line) + first_line if mark is not None else first_line
        problem = " ".join(p for p in (exc.context, exc.problem) if p) or "invalid YAML"
        raise ContentError(path, line, f"YAML syntax error: {problem}") from exc
    except yaml.YAMLError as exc:
        raise ContentError(path, first_line, f"YAML error: {exc}") from exc
    finally:
        loader.dispose()
    return _Yaml(path, node, data, first_line)


def _check_duplicate_keys(node: Node, path: Path, first_line: int) -> None:
    if isinstance(node, MappingNode):
        seen: dict[object, int] = {}
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode):
                line = int(key_node.start_mark.line) + first_line
                if key_node.value in seen:
                    raise ContentError(
                        path,
                        line,
                        f"duplicate field {key_node.value!r} "
                        f"(already given on line {seen[key_node.value]})",
                    )
                seen[key_node.value] = line
            _check_duplicate_keys(value_node, path, first_line)
    elif isinstance(node, SequenceNode):
        for item in node.value:
            _check_duplicate_keys(item, path, first_line)


def _key_node(node: Node, key: str) -> Node | None:
    if isinstance(node, MappingNode):
        for key_node, _ in node.value:
            if isinstance(key_node, ScalarNode) and key_node.value == key:
                return key_node
    return None


def _value_node(node: Node, key: str) -> Node | None:
    if isinstance(node, MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode) and key_node.value == key:
                found: Node = value_node
                return found
    return None


def _node_at(node: Node, config_path: str) -> Node:
    """The deepest node along a path like ``rubric.concepts[2].weight`` below ``node``."""
    current = node
    for name, index in _CONFIG_PATH_RE.findall(config_path):
        child: Node | None
        if index and isinstance(current, SequenceNode):
            position = int(index)
            child = current.value[position] if position < len(current.value) else None
        else:
            child = _value_node(current, name) or _key_node(current, name)
        if child is None:
            break
        current = child
    return current


# --- small field checks ------------------------------------------------------------------------


def _check_fields(doc: _Yaml, node: Node, data: Mapping[Any, Any], allowed: frozenset[str]) -> None:
    for key in data:
        if key not in allowed:
            where = _key_node(node, str(key)) or node
            raise doc.error(where, f"unknown field {key!r} (allowed: {', '.join(sorted(allowed))})")


def _field_node(node: Node, key: str) -> Node:
    return _value_node(node, key) or node


def _text_field(
    doc: _Yaml, node: Node, data: Mapping[str, Any], key: str, *, required: bool, what: str
) -> str:
    value = data.get(key)
    if value is None:
        if required:
            raise doc.error(node, f"{what} has no {key!r}")
        return ""
    if not isinstance(value, str):
        raise doc.error(
            _field_node(node, key), f"{what}: {key!r} must be text, not {type(value).__name__}"
        )
    if required and not value.strip():
        raise doc.error(_field_node(node, key), f"{what}: {key!r} is empty")
    return value


def _int_field(
    doc: _Yaml, node: Node, data: Mapping[str, Any], key: str, *, default: int | None, what: str
) -> int:
    value = data.get(key, default)
    if value is None:
        raise doc.error(node, f"{what} has no {key!r}")
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise doc.error(
            _field_node(node, key), f"{what}: {key!r} must be a whole number ≥ 1, not {value!r}"
        )
    return value


def _render(
    doc: _Yaml, node: Node, data: Mapping[str, Any], key: str, text: str, static_prefix: str
) -> str:
    try:
        return render_markdown(text, static_prefix=static_prefix)
    except RenderError as exc:
        value_node = _field_node(node, key)
        line = doc.line(value_node)
        if isinstance(value_node, ScalarNode) and value_node.style in ("|", ">"):
            line += exc.line or 1  # block scalars start on the line after the indicator
        elif exc.line:
            line += exc.line - 1
        raise ContentError(doc.path, line, f"{key}: {exc.message}") from exc


# --- the course --------------------------------------------------------------------------------


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
    doc = _parse_yaml(_read_text(course_path), course_path, 1)
    if not isinstance(doc.data, dict):
        raise doc.error(doc.node, "course.yaml must be a mapping with slug, title, description")
    _check_fields(doc, doc.node, doc.data, COURSE_FIELDS)
    slug = _text_field(doc, doc.node, doc.data, "slug", required=True, what="the course")
    if not _SLUG_RE.fullmatch(slug):
        raise doc.error(
            _field_node(doc.node, "slug"),
            f"course slug {slug!r} must be lower-case letters, digits and hyphens",
        )
    title = _text_field(doc, doc.node, doc.data, "title", required=True, what="the course")
    description = _text_field(
        doc, doc.node, doc.data, "description", required=False, what="the course"
    )
    description_html = _render(doc, doc.node, doc.data, "description", description, static_prefix)

    parsed = [
        _parse_lesson(path, directory, static_prefix=static_prefix, kinds=kinds)
        for path in _lesson_files(directory)
    ]
    parsed.sort(key=lambda lesson: lesson.definition.order)
    _check_course_wide(parsed, validator)
    return CourseDef(
        slug=slug,
        title=title.strip(),
        description_html=description_html,
        lessons=tuple(lesson.definition for lesson in parsed),
    )


def _read_text(path: Path) -> str:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ContentError(path, line, "file is not valid UTF-8 text") from exc
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def _lesson_files(directory: Path) -> list[Path]:
    lessons_dir = directory / "lessons"
    if not lessons_dir.is_dir():
        raise ContentError(lessons_dir, 1, "lessons directory is missing")
    files = sorted(p for p in lessons_dir.iterdir() if p.suffix == ".md")
    if not files:
        raise ContentError(lessons_dir, 1, "no lesson files (lessons/NN-<slug>.md)")
    for path in files:
        if not _LESSON_FILE_RE.fullmatch(path.name):
            raise ContentError(
                path, 1, "lesson file names look like NN-<slug>.md (e.g. 03-ann-architecture.md)"
            )
    return files


# --- one lesson ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _ParsedQuestion:
    definition: QuestionDef
    doc: _Yaml
    node: Node
    config_node: Node
    explicit_section: bool


@dataclass(frozen=True)
class _ParsedLesson:
    definition: LessonDef
    path: Path
    doc: _Yaml
    heading_ids: frozenset[str]
    questions: tuple[_ParsedQuestion, ...]


def _split_front_matter(path: Path, text: str) -> tuple[str, list[str], int]:
    """(front matter text, body lines, file line of the body's first line)."""
    lines = text.split("\n")
    if lines[0].strip() != "---":
        raise ContentError(path, 1, "a lesson starts with YAML front matter between '---' lines")
    for index in range(1, len(lines)):
        if lines[index].rstrip() in ("---", "..."):
            return "\n".join(lines[1:index]), lines[index + 1 :], index + 2
    raise ContentError(path, 1, "the front matter is never closed by a '---' line")


def _parse_lesson(
    path: Path, directory: Path, *, static_prefix: str, kinds: Sequence[str]
) -> _ParsedLesson:
    relative = path.relative_to(directory).as_posix()
    front, body_lines, body_line = _split_front_matter(path, _read_text(path))
    doc = _parse_yaml(front, path, 2)
    what = "the lesson"
    if not isinstance(doc.data, dict):
        raise ContentError(path, 2, "the front matter must be a mapping (slug, title, order, ...)")
    _check_fields(doc, doc.node, doc.data, LESSON_FIELDS)
    slug = _text_field(doc, doc.node, doc.data, "slug", required=True, what=what)
    name = _LESSON_FILE_RE.fullmatch(path.name)
    assert name is not None  # checked by _lesson_files
    if slug != name.group("slug"):
        raise doc.error(
            _field_node(doc.node, "slug"),
            f"slug {slug!r} does not match the file name's {name.group('slug')!r}",
        )
    title = _text_field(doc, doc.node, doc.data, "title", required=True, what=what)
    order = _int_field(doc, doc.node, doc.data, "order", default=None, what=what)
    if order != int(name.group("number")):
        raise doc.error(
            _field_node(doc.node, "order"),
            f"order {order} does not match the file name's number {name.group('number')}",
        )
    summary = _text_field(doc, doc.node, doc.data, "summary", required=False, what=what)

    questions_data = doc.data.get("questions") or []
    questions_node = _field_node(doc.node, "questions")
    if questions_data and not (
        isinstance(questions_data, list) and isinstance(questions_node, SequenceNode)
    ):
        raise doc.error(questions_node, "'questions' must be a list of questions")
    raw_questions: dict[str, tuple[dict[str, Any], Node]] = {}
    item_nodes = questions_node.value if isinstance(questions_node, SequenceNode) else []
    for data, node in zip(questions_data, item_nodes, strict=True):
        key = _check_question_head(doc, node, data, kinds)
        if key in raw_questions:
            raise doc.error(node, f"duplicate question key {key!r} in this lesson")
        raw_questions[key] = (data, node)

    blocks, placed, heading_before = _parse_body(
        path, body_lines, body_line, set(raw_questions), static_prefix=static_prefix
    )
    for key, (_, node) in raw_questions.items():
        if key not in placed:
            raise doc.error(
                node, f"question {key!r} is never placed: add a line [[question:{key}]] to the text"
            )

    questions = tuple(
        _build_question(
            doc,
            raw_questions[key][1],
            raw_questions[key][0],
            relative=relative,
            order=position,
            default_section=f"{slug}#{heading_before[key]}" if heading_before[key] else slug,
            static_prefix=static_prefix,
        )
        for position, key in enumerate(placed, start=1)
    )
    headings = frozenset(
        match.group("id")
        for block in blocks
        if isinstance(block, HtmlBlock)
        for match in _HEADING_ID_RE.finditer(block.html)
    )
    definition = LessonDef(
        slug=slug,
        title=title.strip(),
        order=order,
        summary=summary.strip(),
        blocks=blocks,
        questions=tuple(q.definition for q in questions),
        source=SourceRef(relative, 1),
    )
    return _ParsedLesson(definition, path, doc, headings, questions)


def _check_question_head(doc: _Yaml, node: Node, data: object, kinds: Sequence[str]) -> str:
    """Check a question's shape, key and kind; return its key."""
    if not isinstance(data, dict):
        raise doc.error(node, "each question must be a mapping with key, kind and prompt")
    _check_fields(doc, node, data, QUESTION_FIELDS)
    key = data.get("key")
    if key is None:
        raise doc.error(node, "question has no 'key'")
    if not isinstance(key, str) or not _KEY_RE.fullmatch(key):
        raise doc.error(
            _field_node(node, "key"),
            f"question key {key!r} must be lower-case letters, digits, '-' and '_'",
        )
    what = f"question {key!r}"
    kind = data.get("kind")
    if kind is None:
        raise doc.error(node, f"{what} has no 'kind'")
    if kind not in kinds:
        raise doc.error(
            _field_node(node, "kind"),
            f"{what}: unknown kind {kind!r} (known: {', '.join(kinds)})",
        )
    _text_field(doc, node, data, "prompt", required=True, what=what)
    return key


def _parse_body(
    path: Path,
    body_lines: list[str],
    body_line: int,
    keys: set[str],
    *,
    static_prefix: str,
) -> tuple[tuple[HtmlBlock | QuestionBlock, ...], list[str], dict[str, str]]:
    """Render the lesson text; return its blocks, the placed keys in order and, per key, the
    id of the last heading above its marker (or "")."""
    token = "QMARKERX"
    source_lines: list[int] = []  # file line of each line handed to the renderer
    text_lines: list[str] = []
    placed: list[str] = []
    marker_lines: dict[str, int] = {}
    fence: str | None = None
    for offset, line in enumerate(body_lines):
        file_line = body_line + offset
        fence_match = _FENCE_LINE_RE.match(line)
        if fence_match is not None:
            mark = fence_match.group("fence")
            if fence is None:
                fence = mark
            elif mark[0] == fence[0] and len(mark) >= len(fence) and not line.strip()[len(mark) :]:
                fence = None
        marker = _MARKER_RE.fullmatch(line) if fence is None else None
        if marker is None:
            if fence is None and "[[question:" in line:
                raise ContentError(
                    path, file_line, "a question marker stands alone on its line: [[question:KEY]]"
                )
            text_lines.append(line)
            source_lines.append(file_line)
            continue
        key = marker.group("key")
        if key not in keys:
            raise ContentError(
                path, file_line, f"marker [[question:{key}]] names no question of this lesson"
            )
        if key in marker_lines:
            raise ContentError(
                path,
                file_line,
                f"question {key!r} is already placed on line {marker_lines[key]}",
            )
        marker_lines[key] = file_line
        placed.append(key)
        text_lines.extend(["", f"{token}{len(placed) - 1}E", ""])
        source_lines.extend([file_line] * 3)

    try:
        rendered = render_markdown("\n".join(text_lines), static_prefix=static_prefix)
    except RenderError as exc:
        at = body_line
        if exc.line and exc.line <= len(source_lines):
            at = source_lines[exc.line - 1]
        raise ContentError(path, at, exc.message) from exc

    parts = re.split(r"<p>" + token + r"(\d+)E</p>", rendered)
    found = [int(index) for index in parts[1::2]]
    for position, key in enumerate(placed):
        if found.count(position) != 1:
            raise ContentError(
                path,
                marker_lines[key],
                "a question marker must stand alone between paragraphs "
                "(not inside a list, quote or table)",
            )

    blocks: list[HtmlBlock | QuestionBlock] = []
    heading_before: dict[str, str] = {}
    last_heading = ""
    for index, part in enumerate(parts):
        if index % 2 == 1:
            key = placed[int(part)]
            blocks.append(QuestionBlock(key))
            heading_before[key] = last_heading
        elif part.strip():
            blocks.append(HtmlBlock(part.strip()))
            ids = _HEADING_ID_RE.findall(part)
            if ids:
                last_heading = ids[-1]
    return tuple(blocks), placed, heading_before


def _build_question(
    doc: _Yaml,
    node: Node,
    data: dict[str, Any],
    *,
    relative: str,
    order: int,
    default_section: str,
    static_prefix: str,
) -> _ParsedQuestion:
    key: str = data["key"]
    what = f"question {key!r}"
    texts = {
        field: _text_field(doc, node, data, field, required=field == "prompt", what=what)
        for field in ("prompt", "explanation", "model_answer")
    }
    html = {
        field: _render(doc, node, data, field, text, static_prefix) if text.strip() else ""
        for field, text in texts.items()
    }
    section = data.get("handout_section")
    if section is not None and (not isinstance(section, str) or not section.strip()):
        raise doc.error(
            _field_node(node, "handout_section"),
            f"{what}: 'handout_section' must be '<lesson slug>' or '<lesson slug>#<heading id>'",
        )
    points = data.get("points", DEFAULT_POINTS)
    if isinstance(points, bool) or not isinstance(points, int | float) or not points > 0:
        raise doc.error(
            _field_node(node, "points"), f"{what}: 'points' must be a number > 0, not {points!r}"
        )
    config = data.get("config", {})
    if not isinstance(config, dict):
        raise doc.error(_field_node(node, "config"), f"{what}: 'config' must be a mapping")
    definition = QuestionDef(
        key=key,
        kind=data["kind"],
        prompt_html=html["prompt"],
        explanation_html=html["explanation"],
        model_answer_html=html["model_answer"],
        handout_section=section.strip() if isinstance(section, str) else default_section,
        max_attempts=_int_field(
            doc, node, data, "max_attempts", default=DEFAULT_MAX_ATTEMPTS, what=what
        ),
        points=float(points),
        config=config,
        source=SourceRef(relative, doc.line(node)),
        order=order,
    )
    return _ParsedQuestion(
        definition=definition,
        doc=doc,
        node=node,
        config_node=_field_node(node, "config"),
        explicit_section=section is not None,
    )


# --- checks across the course --------------------------------------------------------------------


def _check_course_wide(lessons: list[_ParsedLesson], validator: ConfigValidator | None) -> None:
    by_slug: dict[str, _ParsedLesson] = {}
    by_order: dict[int, _ParsedLesson] = {}
    for lesson in lessons:
        slug, order = lesson.definition.slug, lesson.definition.order
        if slug in by_slug:
            raise lesson.doc.error(
                _field_node(lesson.doc.node, "slug"),
                f"lesson slug {slug!r} is also used by {by_slug[slug].path.name}",
            )
        if order in by_order:
            raise lesson.doc.error(
                _field_node(lesson.doc.node, "order"),
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


def _check_section(question: _ParsedQuestion, lessons: Mapping[str, _ParsedLesson]) -> None:
    section = question.definition.handout_section
    slug, _, anchor = section.partition("#")
    where = _field_node(question.node, "handout_section")
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


def _check_config(question: _ParsedQuestion, validator: ConfigValidator) -> None:
    q = question.definition
    try:
        validator(q.kind, q.config)
    except Exception as exc:  # the validator's own error type; a crash is a bad config too
        config_path = getattr(exc, "path", "")
        message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        node = (
            _node_at(question.config_node, config_path)
            if isinstance(config_path, str) and config_path
            else question.config_node
        )
        location = f"config.{config_path}" if config_path else "config"
        raise question.doc.error(node, f"question {q.key!r}: bad {location}: {message}") from exc
