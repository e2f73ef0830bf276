"""A question's editable content: the Markdown of its texts, its config and its answer table;
and the same content rendered to the HTML students are shown."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from typing import Any

from django.utils.html import strip_tags

from annquiz.core.markdown_rendering import RenderError, render_markdown
from annquiz.core.static_files import static_prefix
from annquiz.courses.errors import QuestionEditInvalid
from annquiz.courses.models import Question

TEXT_FIELDS = ("prompt", "explanation", "model_answer")


@dataclass(frozen=True)
class QuestionContent:
    """``markdown``: {"prompt", "explanation", "model_answer": str, "hints": [str]};
    ``test_answers``: cases {text, expect, kind, why[, choice]} (free-text questions)."""

    markdown: dict[str, Any]
    config: dict[str, Any]
    test_answers: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The content as stored with a version: a JSON copy."""
        value: dict[str, Any] = json.loads(
            json.dumps(
                {
                    "markdown": self.markdown,
                    "config": self.config,
                    "test_answers": self.test_answers,
                }
            )
        )
        return value


@dataclass(frozen=True)
class RenderedContent:
    prompt_html: str
    hints_html: list[str]
    explanation_html: str
    model_answer_html: str


def _from_html(fragment: str) -> str:
    """A rendered text as plain text: the stand-in for Markdown never recorded."""
    return html.unescape(strip_tags(fragment)).strip()


def content_of(question: Question) -> QuestionContent:
    """The question's content as stored. A row loaded before its Markdown was kept gets the
    text of its HTML instead (``markdown_recorded`` tells which)."""
    markdown = (
        dict(question.markdown)
        if markdown_recorded(question)
        else {
            "prompt": _from_html(question.prompt_html),
            "hints": [_from_html(hint) for hint in question.hints_html],
            "explanation": _from_html(question.explanation_html),
            "model_answer": _from_html(question.model_answer_html),
        }
    )
    return QuestionContent(
        markdown=markdown,
        config=json.loads(json.dumps(question.config)),
        test_answers=[dict(case) for case in question.test_answers],
    )


def markdown_recorded(question: Question) -> bool:
    return bool(question.markdown.get("prompt"))


def _render(text: str, name: str) -> str:
    if not text.strip():
        return ""
    try:
        return render_markdown(text, static_prefix=static_prefix())
    except RenderError as exc:
        where = f" (line {exc.line})" if exc.line else ""
        raise QuestionEditInvalid(f"{exc}{where}", field=name) from None


def content_render(content: QuestionContent) -> RenderedContent:
    """The content's texts as students see them; ``QuestionEditInvalid`` naming the text
    that cannot be rendered (bad math, a foreign image, an unsafe link) or a blank prompt."""
    markdown = content.markdown
    if not str(markdown.get("prompt", "")).strip():
        raise QuestionEditInvalid("a question needs a prompt", field="prompt")
    for index, hint in enumerate(markdown.get("hints", [])):
        if not str(hint).strip():
            raise QuestionEditInvalid(
                "a hint cannot be blank: remove it instead", field=f"hints[{index}]"
            )
    return RenderedContent(
        prompt_html=_render(markdown["prompt"], "prompt"),
        hints_html=[
            _render(hint, f"hints[{index}]") for index, hint in enumerate(markdown.get("hints", []))
        ],
        explanation_html=_render(markdown.get("explanation", ""), "explanation"),
        model_answer_html=_render(markdown.get("model_answer", ""), "model_answer"),
    )
