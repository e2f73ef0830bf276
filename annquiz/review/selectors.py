"""Reads of the review, each with its permission check.

Instructors reach an answer or a submission through the offering they teach
(``dashboards.selectors.offering_get_for_teacher`` first, then ``*_get_for_teacher``);
students reach only their own (``*_get_for_owner``). Anything else is the 404 of a missing
object.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from annquiz.coding.models import Submission
from annquiz.courses.models import Answer
from annquiz.review.agreement import Vote
from annquiz.review.models import Dispute, DisputeStatus, GradeChange

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    from annquiz.enrolment.models import Offering

    AnyUser = AbstractBaseUser | AnonymousUser


def _answers() -> QuerySet[Answer]:
    return Answer.objects.select_related("question", "student", "offering")


def _submissions() -> QuerySet[Submission]:
    return Submission.objects.select_related("task", "student", "offering", "grade_override")


def answer_get_for_teacher(*, offering: Offering, answer_id: int) -> Answer:
    """An answer made in ``offering`` (which the caller checked the user teaches); else 404."""
    answer = _answers().filter(pk=answer_id, offering_id=offering.pk).first()
    if answer is None:
        raise Http404(f"no answer {answer_id}")
    return answer


def submission_get_for_teacher(*, offering: Offering, submission_id: int) -> Submission:
    """A submission made in ``offering`` (which the caller checked the user teaches)."""
    submission = _submissions().filter(pk=submission_id, offering_id=offering.pk).first()
    if submission is None:
        raise Http404(f"no submission {submission_id}")
    return submission


def answer_get_for_owner(*, user: AnyUser, answer_id: int, course_slug: str | None) -> Answer:
    """The user's own answer (made in the course ``course_slug`` when given); else 404, the
    same for someone else's answer as for a missing one."""
    answers = _answers().filter(pk=answer_id, student_id=user.pk)
    if course_slug is not None:
        answers = answers.filter(offering__slug=course_slug)
    answer = answers.first() if user.is_authenticated else None
    if answer is None:
        raise Http404(f"no answer {answer_id}")
    return answer


def submission_get_for_owner(
    *, user: AnyUser, submission_id: int, course_slug: str | None
) -> Submission:
    """The user's own submission (made in the course ``course_slug`` when given); else 404."""
    submissions = _submissions().filter(
        pk=submission_id, student_id=user.pk, offering__isnull=False
    )
    if course_slug is not None:
        submissions = submissions.filter(offering__slug=course_slug)
    submission = submissions.first() if user.is_authenticated else None
    if submission is None:
        raise Http404(f"no submission {submission_id}")
    return submission


# --- one answer or submission ----------------------------------------------------------------


def _changes() -> QuerySet[GradeChange]:
    return GradeChange.objects.select_related(
        "decided_by", "student", "answer__question", "submission__task"
    ).order_by("decided_at", "id")


def changes_of(*, answer: Answer | None = None, submission: Submission | None = None) -> list[Any]:
    """The decisions on one answer or one submission, oldest first."""
    if answer is not None:
        return list(_changes().filter(answer_id=answer.pk))
    assert submission is not None
    return list(_changes().filter(submission_id=submission.pk))


def open_dispute_of(
    *, answer: Answer | None = None, submission: Submission | None = None
) -> Dispute | None:
    if answer is not None:
        target = {"answer_id": answer.pk}
    else:
        assert submission is not None
        target = {"submission_id": submission.pk}
    return Dispute.objects.filter(status=DisputeStatus.OPEN, **target).first()


def changes_by_target(
    *, student_id: int, offering: Offering
) -> dict[tuple[str, int | None], list[Any]]:
    """A student's decisions in the offering, ``{("answer" | "submission", id): [changes]}``."""
    grouped: dict[tuple[str, int | None], list[Any]] = defaultdict(list)
    for change in _changes().filter(offering_id=offering.pk, student_id=student_id):
        if change.answer_id is not None:
            grouped[("answer", change.answer_id)].append(change)
        else:
            grouped[("submission", change.submission_id)].append(change)
    return grouped


# --- the queue -------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueItem:
    """An answer or a submission waiting for an instructor: flagged by the grader as unsure
    (answers only) or disputed by its student (``dispute``)."""

    answer: Answer | None
    submission: Submission | None
    dispute: Dispute | None

    @property
    def waiting_since(self) -> datetime:
        if self.dispute is not None:
            return self.dispute.created_at
        assert self.answer is not None
        return self.answer.created_at


def review_queue(*, offering: Offering) -> list[QueueItem]:
    """What waits for review in the offering, the longest waiting first (three queries)."""
    open_disputes = Dispute.objects.filter(status=DisputeStatus.OPEN)
    disputes = {
        (d.answer_id, d.submission_id): d for d in open_disputes.filter(offering_id=offering.pk)
    }
    answers = _answers().filter(
        Q(needs_review=True) | Exists(open_disputes.filter(answer_id=OuterRef("pk"))),
        offering_id=offering.pk,
    )
    items = [QueueItem(a, None, disputes.get((a.pk, None))) for a in answers]
    submissions = _submissions().filter(
        Exists(open_disputes.filter(submission_id=OuterRef("pk"))), offering_id=offering.pk
    )
    items += [QueueItem(None, s, disputes.get((None, s.pk))) for s in submissions]
    return sorted(items, key=lambda item: item.waiting_since)


# --- the audit trail and the agreement -------------------------------------------------------


def changes_of_offering(*, offering: Offering) -> list[Any]:
    """Every decision in the offering, the newest first."""
    return list(_changes().filter(offering_id=offering.pk).order_by("-decided_at", "-id"))


def agreement_votes(*, offering: Offering) -> list[Vote]:
    """The first decision on each automatic answer grade in the offering, as votes."""
    rows = GradeChange.objects.filter(
        offering_id=offering.pk, answer__isnull=False, before_automatic=True
    ).values_list("answer__question__key", "decided_at", "before_verdict", "after_verdict")
    return [
        Vote(key=key, day=timezone.localtime(when).date(), agrees=before == after)
        for key, when, before, after in rows
    ]
