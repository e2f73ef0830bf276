"""The course content's definitions: what ``load_course`` returns, and its error."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

QUESTION_KINDS = ("single_choice", "multiple_choice", "numeric", "free_text", "parametrized")
COURSE_FIELDS = frozenset({"slug", "title", "description"})
LESSON_FIELDS = frozenset({"slug", "title", "order", "summary", "questions"})
QUESTION_FIELDS = frozenset(
    {
        "key",
        "kind",
        "prompt",
        "hints",
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
    hints_html: tuple[str, ...]  # shown one more after each wrong attempt
    explanation_html: str
    model_answer_html: str
    handout_section: str  # "<lesson slug>" or "<lesson slug>#<heading id>"
    max_attempts: int
    points: float
    config: dict[str, Any]
    source: SourceRef
    order: int  # 1-based position of the question's marker in its lesson
    # The Markdown as written: {"prompt", "explanation", "model_answer": str, "hints": [str]}.
    markdown: dict[str, Any] = field(default_factory=dict)
    # A free-text question's answer table (``answer_tables/<key>.yaml``): each case a dict
    # with text, expect (a verdict), kind, why and, with a choice part, choice.
    test_answers: tuple[dict[str, Any], ...] = ()


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
