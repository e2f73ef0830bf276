"""Writes about answering questions: variants drawn per student, answers graded and stored."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from annquiz.core.database_retry import transaction_retrying_once
from annquiz.core.errors import AttemptsExhausted, NotEnrolled
from annquiz.core.markdown_rendering import render_markdown
from annquiz.core.static_files import static_prefix
from annquiz.courses import grading
from annquiz.courses.choice_order import choice_order
from annquiz.courses.errors import (
    AnswerConflict,
    InvalidAnswer,
    QuestionInactive,
    VariantMismatch,
)
from annquiz.courses.models import (
    Answer,
    Question,
    QuestionKind,
    QuestionProgress,
    QuestionVariant,
    Verdict,
)
from annquiz.enrolment import selectors as enrolment

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


def _draw(*, student_id: int, question: Question) -> QuestionVariant:
    """An unsaved variant of ``question`` for the student: deterministic in (student, key)."""
    seed = grading.variant_seed(student_id, question.key)
    drawn = grading.draw_variant(question.config, seed=seed)
    answer: Any = list(drawn.answer) if isinstance(drawn.answer, list | tuple) else drawn.answer
    return QuestionVariant(
        question=question,
        student_id=student_id,
        seed=seed,
        params=drawn.params,
        prompt_text=drawn.prompt_text,
        prompt_html=render_markdown(drawn.prompt_text, static_prefix=static_prefix()),
        answer=answer,
        tolerance=drawn.tolerance,
    )


def _require_parametrized(question: Question) -> None:
    if question.kind != QuestionKind.PARAMETRIZED:
        raise ValueError(f"question {question.key!r} is {question.kind}, not parametrized")


_REDRAWN_FIELDS = ("seed", "params", "prompt_text", "prompt_html", "answer", "tolerance")


def _still_answerable(variant: QuestionVariant, question: Question) -> QuestionVariant:
    """``variant``, drawn again in place when a reload changed the shape of the question's
    answer (a number became softmax's vector, or the reverse), since it could not be graded.

    Earlier answers keep their own response, score and feedback.
    """
    if grading.variant_fits(question.config, variant.answer):
        return variant
    fresh = _draw(student_id=variant.student_id, question=question)
    for name in _REDRAWN_FIELDS:
        setattr(variant, name, getattr(fresh, name))
    variant.save(update_fields=list(_REDRAWN_FIELDS))
    return variant


def variant_get_or_create(*, student: AbstractBaseUser, question: Question) -> QuestionVariant:
    """The student's own variant of a parametrized question, drawn on first use.

    The seed comes from the student's id and the question's key, so the numbers are the same
    after the course is reloaded; once stored, a variant keeps its numbers and answer unless a
    reload changes the shape of the answer (``_still_answerable``).
    """
    _require_parametrized(question)
    existing = QuestionVariant.objects.filter(question=question, student_id=student.pk).first()
    if existing is not None:
        return _still_answerable(existing, question)
    drawn = _draw(student_id=student.pk, question=question)
    try:
        with transaction.atomic():
            drawn.save()
    except IntegrityError:
        # A concurrent request stored the same student's variant first: use that one.
        return QuestionVariant.objects.get(question=question, student_id=student.pk)
    return drawn


def variants_get_or_create(
    *, student: AbstractBaseUser, questions: Iterable[Question]
) -> dict[int, QuestionVariant]:
    """``{question_id: variant}`` for the parametrized ones among ``questions``.

    One query for those already drawn, one insert for the missing ones (concurrent inserts of
    the same variant are ignored) and one query to read them back.
    """
    wanted = {q.pk: q for q in questions if q.kind == QuestionKind.PARAMETRIZED}
    if not wanted:
        return {}
    found = {
        v.question_id: _still_answerable(v, wanted[v.question_id])
        for v in QuestionVariant.objects.filter(student_id=student.pk, question_id__in=wanted)
    }
    missing = [q for pk, q in wanted.items() if pk not in found]
    if missing:
        QuestionVariant.objects.bulk_create(
            [_draw(student_id=student.pk, question=q) for q in missing], ignore_conflicts=True
        )
        found.update(
            {
                v.question_id: v
                for v in QuestionVariant.objects.filter(
                    student_id=student.pk, question_id__in=[q.pk for q in missing]
                )
            }
        )
    return found


def _variant_for_answer(
    *, student: AbstractBaseUser, question: Question, variant_id: int | None
) -> QuestionVariant | None:
    if question.kind != QuestionKind.PARAMETRIZED:
        if variant_id is not None:
            raise InvalidAnswer(
                f"question {question.key!r} has no variants: leave out 'variant'",
                field="variant",
            )
        return None
    if variant_id is None:
        return variant_get_or_create(student=student, question=question)
    variant = QuestionVariant.objects.filter(pk=variant_id).first()
    if variant is None:
        raise InvalidAnswer(f"variant {variant_id} does not exist", field="variant")
    if variant.student_id != student.pk:
        raise VariantMismatch(f"variant {variant_id} belongs to another student")
    if variant.question_id != question.pk:
        raise InvalidAnswer(
            f"variant {variant_id} belongs to another question, not {question.key!r}",
            field="variant",
        )
    return _still_answerable(variant, question)


def _as_grading_variant(variant: QuestionVariant) -> grading.Variant:
    return grading.Variant(
        params=dict(variant.params),
        prompt_text=variant.prompt_text,
        answer=variant.answer,
        tolerance=variant.tolerance,
    )


def _attempts_exhausted(question: Question) -> AttemptsExhausted:
    return AttemptsExhausted(
        f"all {question.max_attempts} attempts at question {question.key!r} are used",
        field="question",
    )


def _progress_upsert_sql() -> str:
    # Bandit B608: the only name put in is the model's own table; the values are parameters.
    table = QuestionProgress._meta.db_table
    return (
        f"INSERT INTO {table} (student_id, question_id, attempts_used, best_score, solved) "  # nosec B608
        "VALUES (%s, %s, 0, 0, %s) "
        "ON CONFLICT (student_id, question_id) "
        f"DO UPDATE SET attempts_used = {table}.attempts_used "
        "RETURNING id, student_id, question_id, attempts_used, best_score, solved, "
        "last_answered_at"
    )


def _progress_locked(*, student_id: int, question: Question) -> QuestionProgress:
    """The student's progress row on ``question``, locked until the surrounding transaction
    ends; created first if missing.

    One statement does both: ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``. On
    PostgreSQL the update of an existing row locks it as ``SELECT ... FOR UPDATE`` would,
    and a concurrent create of the same row waits for the other transaction, then updates
    (and locks) the row it made; on SQLite the write itself takes the database's write lock.
    It is the answer's hottest path: one round trip instead of up to three.
    """
    rows = QuestionProgress.objects.raw(_progress_upsert_sql(), [student_id, question.pk, False])
    progress = next(iter(rows))
    progress.question = question
    return progress


@dataclass(frozen=True)
class SubmittedAnswer:
    """A stored answer and the student's progress on its question right after it."""

    answer: Answer
    progress: QuestionProgress


def answer_submit(
    *,
    student: AbstractBaseUser,
    question: Question,
    response: object,
    variant_id: int | None = None,
    place: enrolment.WorkPlace | None = None,
) -> Answer:
    """Grade ``response`` and store it as the student's next attempt at ``question``.

    See ``answer_submit_with_progress``, which also returns the progress row.
    """
    return answer_submit_with_progress(
        student=student,
        question=question,
        response=response,
        variant_id=variant_id,
        place=place,
    ).answer


def _work_place(
    *, student: AbstractBaseUser, question: Question, place: enrolment.WorkPlace | None
) -> enrolment.WorkPlace:
    """The course the answer belongs to, with its deadline of the question's lesson:
    ``place`` (found by the caller, such as the course of the page answered on), or the
    offering the student takes the content in."""
    if place is None:
        place = enrolment.work_place_for_content(
            user=student, course_id=question.course_id, lesson_id=question.lesson_id
        )
    if place is None or place.offering.course_id != question.course_id:
        raise NotEnrolled(f"no question {question.pk}", field="question")
    return place


def answer_submit_with_progress(
    *,
    student: AbstractBaseUser,
    question: Question,
    response: object,
    variant_id: int | None = None,
    place: enrolment.WorkPlace | None = None,
) -> SubmittedAnswer:
    """Grade ``response``, store it as the student's next attempt at ``question`` and return
    it with the student's progress on the question after it.

    The student's progress row is locked (``SELECT ... FOR UPDATE``, created first when
    missing) before the attempt limit is checked, so concurrent submissions are serialised;
    the unique (student, question, attempt_number) constraint is the last line of defence.
    The limit is checked before the response is validated or graded, so a student with no
    attempts left cannot make us grade. The response is validated against the student's
    variant as well (a vector of the wrong length is InvalidAnswer, like any other misfit).
    The answer and the progress update are stored in the same transaction; nothing is stored
    when an error is raised. The answer records the order in which the student was shown the
    question's choices (``choice_order``).

    The answer belongs to the offering of ``place`` (see ``_work_place``) and is late after the
    offering's deadline of the lesson.

    Raises NotEnrolled, QuestionInactive, InvalidAnswer, VariantMismatch, AttemptsExhausted,
    AnswerConflict.
    """
    if not question.is_active or not question.lesson.is_active:
        raise QuestionInactive(f"question {question.key!r} is no longer part of the course")
    place = _work_place(student=student, question=question, place=place)
    variant = _variant_for_answer(student=student, question=question, variant_id=variant_id)

    def store() -> SubmittedAnswer:
        progress = _progress_locked(student_id=student.pk, question=question)
        if progress.attempts_used >= question.max_attempts:
            raise _attempts_exhausted(question)
        drawn = _as_grading_variant(variant) if variant is not None else None
        try:
            cleaned = grading.validate_response(
                question.kind, question.config, response, variant=drawn
            )
        except grading.AnswerError as exc:
            raise InvalidAnswer(exc.message, field=exc.field) from None
        result = grading.grade(question.kind, question.config, cleaned, variant=drawn)
        public = grading.public_config(question.kind, question.config)
        shown = choice_order(
            student_id=student.pk,
            question_key=question.key,
            choice_keys=[str(choice["key"]) for choice in public["choices"]],
        )
        answer = Answer.objects.create(
            student_id=student.pk,
            question=question,
            variant=variant,
            response=cleaned,
            score=result.score,
            verdict=result.verdict,
            feedback=result.feedback,
            details=result.details,
            confidence=result.confidence,
            needs_review=result.confidence < settings.ANNQUIZ_REVIEW_CONFIDENCE,
            choice_order=shown,
            attempt_number=progress.attempts_used + 1,
            offering=place.offering,
            is_late=place.lesson_due_at is not None and timezone.now() > place.lesson_due_at,
        )
        progress.attempts_used = answer.attempt_number
        progress.best_score = max(progress.best_score, answer.score)
        progress.solved = progress.solved or answer.verdict == Verdict.CORRECT
        progress.last_answered_at = answer.created_at
        progress.save(update_fields=["attempts_used", "best_score", "solved", "last_answered_at"])
        return SubmittedAnswer(answer=answer, progress=progress)

    try:
        # Run again after a connection lost before the commit (nothing was stored), never
        # after one lost during the commit: the answer may have been stored already.
        return transaction_retrying_once(store)
    except IntegrityError:
        raise AnswerConflict(
            f"another answer to question {question.key!r} was stored at the same time; "
            "reload and try again"
        ) from None


def question_progress_recompute(*, student_id: int, question_id: int) -> QuestionProgress | None:
    """Set the student's ``best_score`` and ``solved`` on the question again from all their
    answers to it, after an answer's grade changed (an instructor's override): the best
    score of any answer, solved when any answer is correct. Locks the row; call it inside the
    transaction that changed the grade. None when the student has no progress row."""
    progress = (
        QuestionProgress.objects.select_for_update()
        .filter(student_id=student_id, question_id=question_id)
        .first()
    )
    if progress is None:
        return None
    totals = Answer.objects.filter(student_id=student_id, question_id=question_id).aggregate(
        best=Max("score"), correct=Count("id", filter=Q(verdict=Verdict.CORRECT))
    )
    progress.best_score = totals["best"] or 0.0
    progress.solved = totals["correct"] > 0
    progress.save(update_fields=["best_score", "solved"])
    return progress
