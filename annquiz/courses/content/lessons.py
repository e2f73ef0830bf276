"""One lesson file: its front matter, its questions and its text with question markers."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from yaml.nodes import Node, ScalarNode, SequenceNode

from annquiz.core.markdown_rendering import RenderError, render_markdown
from annquiz.courses.content.definitions import (
    DEFAULT_MAX_ATTEMPTS,
    DEFAULT_POINTS,
    LESSON_FIELDS,
    QUESTION_FIELDS,
    ContentError,
    HtmlBlock,
    LessonDef,
    QuestionBlock,
    QuestionDef,
    SourceRef,
)
from annquiz.courses.content.yaml_source import (
    YamlDocument,
    check_fields,
    field_node,
    int_field,
    parse_yaml,
    read_text,
    render_field,
    text_field,
)

_KEY_RE = re.compile(r"[a-z0-9][a-z0-9_-]*")
LESSON_FILE_RE = re.compile(r"(?P<number>\d{2})-(?P<slug>[a-z0-9]+(?:-[a-z0-9]+)*)\.md")
_MARKER_RE = re.compile(r"\[\[question:(?P<key>[^\]\s]*)\]\]\s*")
_FENCE_LINE_RE = re.compile(r"^[ \t]{0,3}(?P<fence>`{3,}|~{3,})")
_HEADING_ID_RE = re.compile(r"<h[1-6] id=\"(?P<id>[^\"]+)\"")


@dataclass(frozen=True)
class ParsedQuestion:
    definition: QuestionDef
    doc: YamlDocument
    node: Node
    config_node: Node
    explicit_section: bool


@dataclass(frozen=True)
class ParsedLesson:
    definition: LessonDef
    path: Path
    doc: YamlDocument
    heading_ids: frozenset[str]
    questions: tuple[ParsedQuestion, ...]


def _split_front_matter(path: Path, text: str) -> tuple[str, list[str], int]:
    """(front matter text, body lines, file line of the body's first line)."""
    lines = text.split("\n")
    if lines[0].strip() != "---":
        raise ContentError(path, 1, "a lesson starts with YAML front matter between '---' lines")
    for index in range(1, len(lines)):
        if lines[index].rstrip() in ("---", "..."):
            return "\n".join(lines[1:index]), lines[index + 1 :], index + 2
    raise ContentError(path, 1, "the front matter is never closed by a '---' line")


def parse_lesson(
    path: Path, directory: Path, *, static_prefix: str, kinds: Sequence[str]
) -> ParsedLesson:
    relative = path.relative_to(directory).as_posix()
    front, body_lines, body_line = _split_front_matter(path, read_text(path))
    doc = parse_yaml(front, path, 2)
    what = "the lesson"
    if not isinstance(doc.data, dict):
        raise ContentError(path, 2, "the front matter must be a mapping (slug, title, order, ...)")
    check_fields(doc, doc.node, doc.data, LESSON_FIELDS)
    slug = text_field(doc, doc.node, doc.data, "slug", required=True, what=what)
    name = LESSON_FILE_RE.fullmatch(path.name)
    assert name is not None  # the loader checked the file names
    if slug != name.group("slug"):
        raise doc.error(
            field_node(doc.node, "slug"),
            f"slug {slug!r} does not match the file name's {name.group('slug')!r}",
        )
    title = text_field(doc, doc.node, doc.data, "title", required=True, what=what)
    order = int_field(doc, doc.node, doc.data, "order", default=None, what=what)
    if order != int(name.group("number")):
        raise doc.error(
            field_node(doc.node, "order"),
            f"order {order} does not match the file name's number {name.group('number')}",
        )
    summary = text_field(doc, doc.node, doc.data, "summary", required=False, what=what)

    questions_data = doc.data.get("questions") or []
    questions_node = field_node(doc.node, "questions")
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
    return ParsedLesson(definition, path, doc, headings, questions)


def _check_question_head(doc: YamlDocument, node: Node, data: object, kinds: Sequence[str]) -> str:
    """Check a question's shape, key and kind; return its key."""
    if not isinstance(data, dict):
        raise doc.error(node, "each question must be a mapping with key, kind and prompt")
    check_fields(doc, node, data, QUESTION_FIELDS)
    key = data.get("key")
    if key is None:
        raise doc.error(node, "question has no 'key'")
    if not isinstance(key, str) or not _KEY_RE.fullmatch(key):
        raise doc.error(
            field_node(node, "key"),
            f"question key {key!r} must be lower-case letters, digits, '-' and '_'",
        )
    what = f"question {key!r}"
    kind = data.get("kind")
    if kind is None:
        raise doc.error(node, f"{what} has no 'kind'")
    if kind not in kinds:
        raise doc.error(
            field_node(node, "kind"),
            f"{what}: unknown kind {kind!r} (known: {', '.join(kinds)})",
        )
    text_field(doc, node, data, "prompt", required=True, what=what)
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
    token = "QMARKERX"  # nosec B105  # a placeholder in the text, not a secret
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


def _hints(
    doc: YamlDocument, node: Node, data: dict[str, Any], *, what: str, static_prefix: str
) -> tuple[str, ...]:
    """The question's hints rendered, in order: ``hints`` is one Markdown text or a list of
    them (hint 1 is shown after the first wrong attempt, hint 2 after the second, ...)."""
    value = data.get("hints")
    if value is None:
        return ()
    hints_node = field_node(node, "hints")
    if isinstance(value, str):
        items: list[tuple[object, Node]] = [(value, hints_node)]
    elif isinstance(value, list) and isinstance(hints_node, SequenceNode):
        items = list(zip(value, hints_node.value, strict=True))
    else:
        raise doc.error(hints_node, f"{what}: 'hints' must be a text or a list of texts")
    if not items:
        raise doc.error(hints_node, f"{what}: 'hints' is an empty list: leave it out or add one")
    rendered: list[str] = []
    for index, (text, item_node) in enumerate(items, start=1):
        if not isinstance(text, str) or not text.strip():
            raise doc.error(item_node, f"{what}: hint {index} must be non-empty text")
        try:
            rendered.append(render_markdown(text, static_prefix=static_prefix))
        except RenderError as exc:
            line = doc.line(item_node)
            if isinstance(item_node, ScalarNode) and item_node.style in ("|", ">"):
                line += exc.line or 1  # block scalars start on the line after the indicator
            elif exc.line:
                line += exc.line - 1
            raise ContentError(doc.path, line, f"hints[{index - 1}]: {exc.message}") from exc
    return tuple(rendered)


def _build_question(
    doc: YamlDocument,
    node: Node,
    data: dict[str, Any],
    *,
    relative: str,
    order: int,
    default_section: str,
    static_prefix: str,
) -> ParsedQuestion:
    key: str = data["key"]
    what = f"question {key!r}"
    texts = {
        field: text_field(doc, node, data, field, required=field == "prompt", what=what)
        for field in ("prompt", "explanation", "model_answer")
    }
    html = {
        field: render_field(doc, node, data, field, text, static_prefix) if text.strip() else ""
        for field, text in texts.items()
    }
    hints = _hints(doc, node, data, what=what, static_prefix=static_prefix)
    raw_hints = data.get("hints")
    hint_texts = [raw_hints] if isinstance(raw_hints, str) else list(raw_hints or [])
    section = data.get("handout_section")
    if section is not None and (not isinstance(section, str) or not section.strip()):
        raise doc.error(
            field_node(node, "handout_section"),
            f"{what}: 'handout_section' must be '<lesson slug>' or '<lesson slug>#<heading id>'",
        )
    points = data.get("points", DEFAULT_POINTS)
    if isinstance(points, bool) or not isinstance(points, int | float) or not points > 0:
        raise doc.error(
            field_node(node, "points"), f"{what}: 'points' must be a number > 0, not {points!r}"
        )
    config = data.get("config", {})
    if not isinstance(config, dict):
        raise doc.error(field_node(node, "config"), f"{what}: 'config' must be a mapping")
    definition = QuestionDef(
        key=key,
        kind=data["kind"],
        prompt_html=html["prompt"],
        hints_html=hints,
        explanation_html=html["explanation"],
        model_answer_html=html["model_answer"],
        handout_section=section.strip() if isinstance(section, str) else default_section,
        max_attempts=int_field(
            doc, node, data, "max_attempts", default=DEFAULT_MAX_ATTEMPTS, what=what
        ),
        points=float(points),
        config=config,
        source=SourceRef(relative, doc.line(node)),
        order=order,
        markdown={**texts, "hints": hint_texts},
    )
    return ParsedQuestion(
        definition=definition,
        doc=doc,
        node=node,
        config_node=field_node(node, "config"),
        explicit_section=section is not None,
    )
