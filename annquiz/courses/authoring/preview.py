"""The question as a student sees it before answering, built from unsaved content: the same
``QuestionBlockView`` the lesson page renders with ``courses/_question.html``."""

from __future__ import annotations

from dataclasses import dataclass

from annquiz.courses import grading
from annquiz.courses.authoring.content import QuestionContent, RenderedContent, content_render
from annquiz.courses.choice_order import public_config_for_student
from annquiz.courses.errors import QuestionEditInvalid
from annquiz.courses.models import Question
from annquiz.courses.selectors import QuestionBlockView, QuestionStatus


@dataclass(frozen=True)
class Preview:
    """``block`` for ``courses/_question.html``; ``texts`` for the hints, explanation and
    model answer; ``error`` when the content cannot be shown (then both are None)."""

    block: QuestionBlockView | None
    texts: RenderedContent | None
    error: str = ""


def question_preview(*, question: Question, content: QuestionContent, viewer_id: int) -> Preview:
    """``content`` shown as ``question`` would be, in the choice order of ``viewer_id``."""
    try:
        texts = content_render(content)
        public = grading.public_config(question.kind, content.config)
    except QuestionEditInvalid as exc:
        return Preview(None, None, str(exc))
    except grading.ConfigError as exc:
        return Preview(None, None, f"config.{exc.path}: {exc.message}")
    shown = Question(
        pk=question.pk,
        course_id=question.course_id,
        lesson=question.lesson,
        key=question.key,
        kind=question.kind,
        prompt_html=texts.prompt_html,
        hints_html=texts.hints_html,
        explanation_html=texts.explanation_html,
        model_answer_html=texts.model_answer_html,
        max_attempts=question.max_attempts,
        points=question.points,
        config=content.config,
    )
    status = QuestionStatus(
        question=shown,
        attempts_used=0,
        attempts_left=question.max_attempts,
        best_score=0.0,
        solved=False,
        last_answered_at=None,
    )
    block = QuestionBlockView(
        question=shown,
        status=status,
        public_config=public_config_for_student(
            public, student_id=viewer_id, question_key=question.key
        ),
        variant=None,
        last_feedback=None,
    )
    return Preview(block, texts)
