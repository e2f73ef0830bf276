"""Writes of the review: students' disputes and instructors' decisions on grades.

Each service runs in one transaction and locks the graded row first, so two instructors
deciding on the same answer at once are serialised and nothing is half-written when an error
is raised. The permission checks are the selectors' (``answer_get_for_teacher`` …): a service
takes an object its caller was allowed to fetch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone

from annquiz.coding.grades import automatic_score
from annquiz.coding.models import Submission
from annquiz.coding.statuses import PENDING_STATUSES, Status
from annquiz.courses.models import Answer, Verdict
from annquiz.courses.services import question_progress_recompute
from annquiz.review.errors import DisputeAlreadyOpen, NotGradedYet, ReviewInvalid
from annquiz.review.models import (
    Decision,
    Dispute,
    DisputeStatus,
    GradeChange,
    SubmissionOverride,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

REASON_MAX = 2000
COMMENT_MAX = 2000


@dataclass(frozen=True)
class NewGrade:
    """What an instructor decided: confirm the grade, or override it with score and verdict."""

    decision: Decision
    comment: str
    score: float | None = None
    verdict: str | None = None


def _text(value: str, *, field: str, limit: int, what: str) -> str:
    cleaned = value.strip()
    if not cleaned:
        raise ReviewInvalid(f"write {what}; it may not be empty", field=field)
    if len(cleaned) > limit:
        raise ReviewInvalid(f"is {len(cleaned)} characters; at most {limit}", field=field)
    return cleaned


def _checked(grade: NewGrade) -> tuple[str, float | None, str | None]:
    """The comment, score and verdict of ``grade``, validated (ReviewInvalid names what is
    wrong); score and verdict are None for a confirmation."""
    if grade.decision not in Decision.values:
        raise ReviewInvalid(
            f"must be one of {', '.join(Decision.values)}, not {grade.decision!r}",
            field="decision",
        )
    comment = _text(grade.comment, field="comment", limit=COMMENT_MAX, what="a comment")
    if grade.decision == Decision.CONFIRM:
        return comment, None, None
    if grade.score is None or not math.isfinite(grade.score) or not 0.0 <= grade.score <= 1.0:
        raise ReviewInvalid("must be a number from 0 to 1", field="score")
    if grade.verdict not in Verdict.values:
        raise ReviewInvalid(f"must be one of {', '.join(Verdict.values)}", field="verdict")
    return comment, float(grade.score), grade.verdict


def _open_dispute(**target: object) -> Dispute | None:
    return Dispute.objects.select_for_update().filter(status=DisputeStatus.OPEN, **target).first()


def _resolve(dispute: Dispute | None) -> None:
    if dispute is not None:
        dispute.status = DisputeStatus.RESOLVED
        dispute.resolved_at = timezone.now()
        dispute.save(update_fields=["status", "resolved_at"])


def _offering_id(submission: Submission) -> int:
    # The selectors reach only submissions made in a course (offering).
    assert submission.offering_id is not None
    return submission.offering_id


# --- disputes --------------------------------------------------------------------------------


def _dispute_create(*, student: AbstractBaseUser, reason: str, **target: object) -> Dispute:
    cleaned = _text(reason, field="reason", limit=REASON_MAX, what="why the grade seems wrong")
    try:
        with transaction.atomic():
            return Dispute.objects.create(student_id=student.pk, reason=cleaned, **target)
    except IntegrityError:
        raise DisputeAlreadyOpen(
            "this grade is already disputed; an instructor will look at it"
        ) from None


def answer_dispute(*, student: AbstractBaseUser, answer: Answer, reason: str) -> Dispute:
    """Open a dispute of ``answer``'s grade by its own student (the caller fetched it with
    ``answer_get_for_owner``). One open dispute per answer: a second is DisputeAlreadyOpen."""
    return _dispute_create(
        student=student, reason=reason, answer=answer, offering_id=answer.offering_id
    )


def submission_dispute(
    *, student: AbstractBaseUser, submission: Submission, reason: str
) -> Dispute:
    """Open a dispute of a finished submission's grade by its own student."""
    if submission.status in PENDING_STATUSES:
        raise NotGradedYet("the submission is still being graded; dispute it once it is")
    return _dispute_create(
        student=student,
        reason=reason,
        submission=submission,
        offering_id=_offering_id(submission),
    )


# --- decisions -------------------------------------------------------------------------------


def answer_decide(*, instructor: AbstractBaseUser, answer: Answer, grade: NewGrade) -> GradeChange:
    """Confirm or override ``answer``'s grade (the caller fetched it with
    ``answer_get_for_teacher``), with the instructor's comment.

    An override writes the new score and verdict on the answer; either way the answer leaves
    the review queue (``needs_review`` is cleared, its open dispute resolved), the decision
    is written to the audit trail and the student's progress on the question is computed
    again from all their answers.
    """
    comment, score, verdict = _checked(grade)
    with transaction.atomic():
        locked = Answer.objects.select_for_update().get(pk=answer.pk)
        earlier = GradeChange.objects.filter(answer_id=locked.pk).exists()
        dispute = _open_dispute(answer_id=locked.pk)
        change = GradeChange.objects.create(
            offering_id=locked.offering_id,
            student_id=locked.student_id,
            answer=locked,
            decision=grade.decision,
            decided_by_id=instructor.pk,
            before_score=locked.score,
            before_verdict=locked.verdict,
            before_automatic=not earlier,
            after_score=locked.score if score is None else score,
            after_verdict=locked.verdict if verdict is None else verdict,
            comment=comment,
            dispute=dispute,
        )
        locked.score, locked.verdict = change.after_score, change.after_verdict
        locked.needs_review = False
        locked.save(update_fields=["score", "verdict", "needs_review"])
        _resolve(dispute)
        question_progress_recompute(student_id=locked.student_id, question_id=locked.question_id)
    answer.score, answer.verdict, answer.needs_review = locked.score, locked.verdict, False
    return change


def automatic_verdict(submission: Submission) -> str:
    """The verdict the grader gave a submission: correct when it passed, incorrect when it
    was judged and did not pass, none ("") when it was not graded."""
    score = automatic_score(submission)
    if score is None:
        return ""
    return Verdict.CORRECT if submission.status == Status.PASSED else Verdict.INCORRECT


def submission_decide(
    *, instructor: AbstractBaseUser, submission: Submission, grade: NewGrade
) -> GradeChange:
    """Confirm or override a finished submission's grade (the caller fetched it with
    ``submission_get_for_teacher``), with the instructor's comment.

    An override stores the submission's ``SubmissionOverride`` (which
    ``coding.grades.submission_score`` honours); a confirmation needs a grade to confirm.
    Either way the decision is written to the audit trail and an open dispute is resolved.
    """
    comment, score, verdict = _checked(grade)
    with transaction.atomic():
        locked = Submission.objects.select_for_update().get(pk=submission.pk)
        if locked.status in PENDING_STATUSES:
            raise NotGradedYet("the submission is still being graded; decide once it is")
        current = SubmissionOverride.objects.select_for_update().filter(submission=locked).first()
        before_score: float | None
        if current is not None:
            before_score, before_verdict = current.score, current.verdict
        else:
            before_score, before_verdict = automatic_score(locked), automatic_verdict(locked)
        after_score = before_score if score is None else score
        if after_score is None:
            raise NotGradedYet("the submission has no grade to confirm; override it instead")
        dispute = _open_dispute(submission_id=locked.pk)
        change = GradeChange.objects.create(
            offering_id=_offering_id(locked),
            student_id=locked.student_id,
            submission=locked,
            decision=grade.decision,
            decided_by_id=instructor.pk,
            before_score=before_score,
            before_verdict=before_verdict,
            before_automatic=not GradeChange.objects.filter(submission_id=locked.pk).exists(),
            after_score=after_score,
            after_verdict=before_verdict if verdict is None else verdict,
            comment=comment,
            dispute=dispute,
        )
        if grade.decision == Decision.OVERRIDE:
            SubmissionOverride.objects.update_or_create(
                submission=locked,
                defaults={
                    "score": change.after_score,
                    "verdict": change.after_verdict,
                    "change": change,
                },
            )
        _resolve(dispute)
    return change
