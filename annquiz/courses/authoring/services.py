"""Storing an edit of a question made on the web."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from annquiz.courses import grading
from annquiz.courses.authoring.content import QuestionContent, content_render
from annquiz.courses.authoring.table_test import table_run
from annquiz.courses.errors import QuestionEditConflict, QuestionEditInvalid, TableTestFailed
from annquiz.courses.models import Question, QuestionVersion


def question_content_check(*, question: Question, content: QuestionContent) -> None:
    """Refuse content that could not be stored: ``QuestionEditInvalid`` for a text that
    cannot be rendered or a config the grading engine refuses (its path named), then
    ``TableTestFailed`` when a test answer does not get its expected verdict."""
    content_render(content)
    try:
        grading.validate_config(question.kind, content.config)
    except grading.ConfigError as exc:
        raise QuestionEditInvalid(exc.message, field=f"config.{exc.path}") from None
    failures = table_run(question.kind, content.config, content.test_answers)
    if failures:
        raise TableTestFailed(failures)


@transaction.atomic
def question_base(question: Question) -> str:
    """What an edit names as the state it started from: the question's update time."""
    return question.updated_at.isoformat()


def question_edit(
    *,
    question: Question,
    content: QuestionContent,
    author: AbstractBaseUser,
    base: str = "",
) -> QuestionVersion:
    """Store ``content`` as the question's new version: checked first (see
    ``question_content_check``; nothing is written when it fails), then the question's texts,
    config and answer table replaced, marked as edited on the web (``load_course`` keeps it
    while the files differ) and a version recorded with its author.

    The content is shared by every offering of the question's course. ``base`` (from
    ``question_base`` when the edit was opened) guards against a lost update:
    ``QuestionEditConflict`` when the question changed since, by another edit or a load.
    """
    question_content_check(question=question, content=content)
    rendered = content_render(content)
    locked = Question.objects.select_for_update().get(pk=question.pk)
    if base and base != question_base(locked):
        latest = QuestionVersion.objects.filter(question=locked).select_related("author").first()
        by = f" (last edit: version {latest.number} by {latest.author})" if latest else ""
        raise QuestionEditConflict(
            f"this question changed since you opened it{by}; your text is kept below: check "
            "the versions and the preview, then save again to replace it",
            current=question_base(locked),
        )
    stored = content.as_json()
    locked.prompt_html = rendered.prompt_html
    locked.hints_html = rendered.hints_html
    locked.explanation_html = rendered.explanation_html
    locked.model_answer_html = rendered.model_answer_html
    locked.config = stored["config"]
    locked.markdown = stored["markdown"]
    locked.test_answers = stored["test_answers"]
    locked.edited_on_web_at = timezone.now()
    locked.save(
        update_fields=[
            "prompt_html",
            "hints_html",
            "explanation_html",
            "model_answer_html",
            "config",
            "markdown",
            "test_answers",
            "edited_on_web_at",
            "updated_at",
        ]
    )
    last = QuestionVersion.objects.filter(question=locked).aggregate(n=Max("number"))["n"] or 0
    return QuestionVersion.objects.create(
        question=locked, number=last + 1, author_id=author.pk, content=stored
    )
