"""Disputes and decisions on grades: what they write, what they refuse, and what follows
(progress, the queue, the audit trail, a submission's grade)."""

from __future__ import annotations

import pytest

from annquiz.coding.grades import submission_score
from annquiz.coding.models import Submission
from annquiz.coding.statuses import Status
from annquiz.courses import services as courses
from annquiz.courses.models import Answer, QuestionProgress, Verdict
from annquiz.review import selectors, services
from annquiz.review.errors import DisputeAlreadyOpen, NotGradedYet, ReviewInvalid
from annquiz.review.models import Decision, Dispute, DisputeStatus, GradeChange
from annquiz.review.services import NewGrade
from tests.annquiz.courses.factories import AnswerFactory
from tests.annquiz.review.conftest import Course, submission_of

pytestmark = [pytest.mark.django_db, pytest.mark.explicit_enrolment]

CONFIRM = NewGrade(Decision.CONFIRM, "The grade stands.")


def _override(score: float, verdict: str, comment: str = "Regraded by hand.") -> NewGrade:
    return NewGrade(Decision.OVERRIDE, comment, score=score, verdict=verdict)


def _wrong_answer(course: Course) -> Answer:
    """A graded (wrong) answer stored the real way, so the student has a progress row."""
    return courses.answer_submit(
        student=course.student,
        question=course.question,
        response={"choice": "a"},
        offering=course.offering,
    )


def _flagged(course: Course, **fields: object) -> Answer:
    return AnswerFactory.create(
        student=course.student,
        question=course.question,
        offering=course.offering,
        needs_review=True,
        score=0.5,
        verdict=Verdict.PARTIAL,
        **fields,
    )


# --- disputes --------------------------------------------------------------------------------


def test_a_student_disputes_an_answer_once_while_the_dispute_is_open(course: Course) -> None:
    answer = _flagged(course)
    dispute = services.answer_dispute(student=course.student, answer=answer, reason="  I did!  ")
    assert (dispute.status, dispute.reason, dispute.offering_id) == (
        DisputeStatus.OPEN,
        "I did!",
        course.offering.pk,
    )
    with pytest.raises(DisputeAlreadyOpen):
        services.answer_dispute(student=course.student, answer=answer, reason="again")
    assert Dispute.objects.count() == 1


@pytest.mark.parametrize("reason", ["", "   ", "x" * 2001])
def test_a_blank_or_overlong_reason_is_refused_naming_the_reason(
    course: Course, reason: str
) -> None:
    with pytest.raises(ReviewInvalid) as refused:
        services.answer_dispute(student=course.student, answer=_flagged(course), reason=reason)
    assert refused.value.field == "reason"
    assert refused.value.status_code == 400
    assert not Dispute.objects.exists()


def test_a_submission_still_being_graded_cannot_be_disputed(course: Course) -> None:
    submission = submission_of(course, Status.RUNNING)
    with pytest.raises(NotGradedYet):
        services.submission_dispute(student=course.student, submission=submission, reason="why")


def test_a_resolved_dispute_lets_the_student_dispute_again(course: Course) -> None:
    answer = _flagged(course)
    services.answer_dispute(student=course.student, answer=answer, reason="first")
    services.answer_decide(instructor=course.instructor, answer=answer, grade=CONFIRM)
    services.answer_dispute(student=course.student, answer=answer, reason="second")
    assert list(Dispute.objects.values_list("status", flat=True)) == ["resolved", "open"]


# --- decisions on answers --------------------------------------------------------------------


def test_confirming_keeps_the_grade_and_takes_the_answer_out_of_the_queue(course: Course) -> None:
    answer = _flagged(course)
    assert [item.answer for item in selectors.review_queue(offering=course.offering)] == [answer]
    change = services.answer_decide(instructor=course.instructor, answer=answer, grade=CONFIRM)
    answer.refresh_from_db()
    assert (answer.score, answer.verdict, answer.needs_review) == (0.5, Verdict.PARTIAL, False)
    assert selectors.review_queue(offering=course.offering) == []
    assert (change.decision, change.before_score, change.after_score) == ("confirm", 0.5, 0.5)
    assert change.agrees and change.before_automatic


def test_overriding_writes_the_new_grade_and_an_audit_row(course: Course) -> None:
    answer = _flagged(course)
    services.answer_dispute(student=course.student, answer=answer, reason="It's right")
    change = services.answer_decide(
        instructor=course.instructor, answer=answer, grade=_override(1.0, Verdict.CORRECT)
    )
    answer.refresh_from_db()
    assert (answer.score, answer.verdict) == (1.0, Verdict.CORRECT)
    row = GradeChange.objects.get()
    assert row == change
    assert (row.decided_by_id, row.student_id, row.offering_id) == (
        course.instructor.pk,
        course.student.pk,
        course.offering.pk,
    )
    assert (row.before_score, row.before_verdict, row.after_score, row.after_verdict) == (
        0.5,
        "partial",
        1.0,
        "correct",
    )
    assert row.comment == "Regraded by hand." and not row.agrees
    dispute = Dispute.objects.get()
    assert dispute.status == DisputeStatus.RESOLVED and dispute.resolved_at is not None
    assert row.dispute_id == dispute.pk


def test_an_override_recomputes_the_students_progress_both_ways(course: Course) -> None:
    answer = _wrong_answer(course)
    progress = QuestionProgress.objects.get(student=course.student, question=course.question)
    assert (progress.best_score, progress.solved, progress.attempts_used) == (0.0, False, 1)

    services.answer_decide(
        instructor=course.instructor, answer=answer, grade=_override(1.0, Verdict.CORRECT)
    )
    progress.refresh_from_db()
    assert (progress.best_score, progress.solved, progress.attempts_used) == (1.0, True, 1)

    services.answer_decide(
        instructor=course.instructor, answer=answer, grade=_override(0.25, Verdict.PARTIAL)
    )
    progress.refresh_from_db()
    assert (progress.best_score, progress.solved) == (0.25, False)
    second = GradeChange.objects.order_by("id").last()
    assert second is not None and not second.before_automatic


@pytest.mark.parametrize(
    ("grade", "field"),
    [
        (NewGrade(Decision.CONFIRM, "   "), "comment"),
        (NewGrade(Decision.OVERRIDE, "c", score=None, verdict="correct"), "score"),
        (NewGrade(Decision.OVERRIDE, "c", score=1.5, verdict="correct"), "score"),
        (NewGrade(Decision.OVERRIDE, "c", score=-0.1, verdict="correct"), "score"),
        (NewGrade(Decision.OVERRIDE, "c", score=float("nan"), verdict="correct"), "score"),
        (NewGrade(Decision.OVERRIDE, "c", score=0.5, verdict="great"), "verdict"),
        (NewGrade("maybe", "c"), "decision"),  # type: ignore[arg-type]
    ],
)
def test_a_bad_decision_is_refused_and_nothing_is_written(
    course: Course, grade: NewGrade, field: str
) -> None:
    answer = _flagged(course)
    with pytest.raises(ReviewInvalid) as refused:
        services.answer_decide(instructor=course.instructor, answer=answer, grade=grade)
    assert refused.value.field == field
    answer.refresh_from_db()
    assert (answer.score, answer.needs_review) == (0.5, True)
    assert not GradeChange.objects.exists()


# --- decisions on submissions ----------------------------------------------------------------


def test_an_override_of_a_submission_wins_in_submission_score(course: Course) -> None:
    submission = submission_of(course, Status.FAILED)
    assert submission_score(submission) == 0.0
    change = services.submission_decide(
        instructor=course.instructor,
        submission=submission,
        grade=_override(0.8, Verdict.PARTIAL),
    )
    assert (change.before_score, change.before_verdict) == (0.0, "incorrect")
    fresh = Submission.objects.select_related("grade_override").get(pk=submission.pk)
    assert submission_score(fresh) == 0.8

    again = services.submission_decide(
        instructor=course.instructor, submission=fresh, grade=CONFIRM
    )
    assert (again.before_score, again.after_score, again.before_automatic) == (0.8, 0.8, False)
    assert submission_score(Submission.objects.get(pk=submission.pk)) == 0.8


def test_a_submission_without_a_grade_can_be_overridden_but_not_confirmed(
    course: Course,
) -> None:
    submission = submission_of(course, Status.ERROR)
    with pytest.raises(NotGradedYet):
        services.submission_decide(
            instructor=course.instructor, submission=submission, grade=CONFIRM
        )
    change = services.submission_decide(
        instructor=course.instructor, submission=submission, grade=_override(1.0, "correct")
    )
    assert change.before_score is None and change.before_verdict == ""
    assert submission_score(Submission.objects.get(pk=submission.pk)) == 1.0


def test_a_disputed_submission_is_queued_until_decided(course: Course) -> None:
    submission = submission_of(course, Status.PASSED)
    services.submission_dispute(student=course.student, submission=submission, reason="hm")
    queued = selectors.review_queue(offering=course.offering)
    assert [item.submission for item in queued] == [submission]
    services.submission_decide(instructor=course.instructor, submission=submission, grade=CONFIRM)
    assert selectors.review_queue(offering=course.offering) == []


def test_the_agreement_votes_count_first_decisions_on_answers_only(course: Course) -> None:
    agreed, overridden = _flagged(course), _flagged(course, attempt_number=2)
    services.answer_decide(instructor=course.instructor, answer=agreed, grade=CONFIRM)
    services.answer_decide(
        instructor=course.instructor, answer=overridden, grade=_override(0.0, "incorrect")
    )
    services.answer_decide(instructor=course.instructor, answer=overridden, grade=CONFIRM)
    services.submission_decide(
        instructor=course.instructor,
        submission=submission_of(course),
        grade=_override(1.0, "correct"),
    )
    votes = selectors.agreement_votes(offering=course.offering)
    assert sorted(vote.agrees for vote in votes) == [False, True]
    assert {vote.key for vote in votes} == {"pick"}
