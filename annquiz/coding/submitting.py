"""Submitting a network for a coding task: every refusal made before training, then the queue.

``submission_create`` validates everything that can be refused before training (nothing is
stored or queued for a bad request): the source and its network against the task's rules and
limits, the Idempotency-Key, the rate limit and the attempts left. It stores the Submission row,
the source of truth, and sends the judging message once the transaction commits.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from annquiz.coding.architecture import architecture_diagram
from annquiz.coding.errors import (
    IdempotencyKeyReused,
    InvalidSubmission,
    RateLimited,
    TaskClosed,
    TooManyActive,
)
from annquiz.coding.gating import task_require_unlocked
from annquiz.coding.models import CodingTask, SourceKind, Submission
from annquiz.coding.queueing import submission_enqueue
from annquiz.coding.selectors import max_attempts_in, task_definition, task_offering
from annquiz.coding.statuses import SERVICE_FAILURE_STATUSES
from annquiz.core.database_retry import transaction_retrying_once
from annquiz.core.errors import AttemptsExhausted, NotEnrolled
from annquiz.enrolment.models import Offering
from annquiz.enrolment.selectors import task_settings_of
from training.errors import TrainingError
from training.judging import admit
from training.solutions import admitted_spec_record, parse_solution
from training.spec import ModelSpec, spec_to_dict

MAX_SOURCE_CHARS = 50_000
MAX_IDEMPOTENCY_KEY_CHARS = 255


def judging_time_budget() -> float:
    """Seconds a judging may be estimated to take: a quarter of the worker's soft time limit,
    so that an admitted network finishes long before it even on a busy machine."""
    return settings.ANNQUIZ_GRADE_SOFT_TIME_LIMIT / 4


def submission_spec_parse(*, task: CodingTask, source_kind: str, source: str) -> ModelSpec:
    """The network ``source`` describes, checked against ``task``'s rules and limits and the
    time a judging may take (``judging_time_budget``).

    Raises ``InvalidSubmission`` whose ``field`` is ``spec`` (a JSON spec) or ``keras`` (a
    snippet) and whose message names the path or line that is wrong.
    """
    if source_kind not in SourceKind.values:
        raise InvalidSubmission(
            f"unknown source kind {source_kind!r}: use 'json' or 'keras'", field="kind"
        )
    field = "spec" if source_kind == SourceKind.JSON else "keras"
    if len(source) > MAX_SOURCE_CHARS:
        raise InvalidSubmission(
            f"the {field} is {len(source):,} characters long; at most {MAX_SOURCE_CHARS:,}",
            field=field,
        )
    try:
        spec = parse_solution(source_kind, source)
        admit(task_definition(task), spec, time_budget=judging_time_budget())
    except TrainingError as error:
        raise InvalidSubmission(str(error), field=field) from None
    return spec


def _fingerprint(task: CodingTask, source_kind: str, source: str) -> str:
    return hashlib.sha256(f"{task.slug}\n{source_kind}\n{source}".encode()).hexdigest()


def _check_idempotency_key(key: str) -> str:
    if len(key) > MAX_IDEMPOTENCY_KEY_CHARS or not key.isprintable():
        raise InvalidSubmission(
            f"the Idempotency-Key must be printable and at most {MAX_IDEMPOTENCY_KEY_CHARS} "
            "characters",
            field="Idempotency-Key",
        )
    return key


def _replayed(student: AbstractBaseUser, key: str, fingerprint: str) -> Submission | None:
    """The submission first made with ``key``, if any (409 if that was another request)."""
    if not key:
        return None
    first = Submission.objects.filter(student_id=student.pk, idempotency_key=key).first()
    if first is not None and first.request_fingerprint != fingerprint:
        raise IdempotencyKeyReused(
            "this Idempotency-Key was already used for a different submission; use a new key "
            "for a new submission"
        )
    return first


def _check_rate(student: AbstractBaseUser, now: datetime) -> None:
    limit: int = settings.ANNQUIZ_SUBMISSION_RATE_LIMIT
    window: int = settings.ANNQUIZ_SUBMISSION_RATE_WINDOW
    recent = list(
        Submission.objects.filter(student_id=student.pk)
        .created_since(now - timedelta(seconds=window))
        .order_by("-created_at")
        .values_list("created_at", flat=True)[:limit]
    )
    if len(recent) >= limit:
        oldest = recent[-1]
        retry_after = (oldest + timedelta(seconds=window) - now).total_seconds()
        raise RateLimited(
            f"at most {limit} submissions per {window} seconds; try again in "
            f"{max(1, round(retry_after))} s",
            retry_after=retry_after,
        )


def _check_active(student: AbstractBaseUser) -> None:
    """At most ``ANNQUIZ_MAX_ACTIVE_SUBMISSIONS_PER_STUDENT`` of a student's submissions, over
    every task, may be queued or running at once, so that no student can hold the workers."""
    cap: int = settings.ANNQUIZ_MAX_ACTIVE_SUBMISSIONS_PER_STUDENT
    active = Submission.objects.filter(student_id=student.pk).pending().count()
    if active >= cap:
        wait = judging_time_budget()
        raise TooManyActive(
            f"{active} of your submissions are still waiting for or in grading, and at most "
            f"{cap} may be at once: submit again when one of them has its result (each takes "
            f"at most about {wait:.0f} s once its turn comes)",
            retry_after=wait,
        )


def attempts_used(*, student: AbstractBaseUser, task: CodingTask) -> int:
    return (
        Submission.objects.filter(student_id=student.pk, task=task).counting_as_attempts().count()
    )


def _next_number(student: AbstractBaseUser, task: CodingTask) -> int:
    """The number of the student's next submission to ``task``: read under the same lock on
    the student as the attempts, so two concurrent submissions never get the same one (the
    unique constraint on student, task and number is the last line of defence)."""
    last = (
        Submission.objects.filter(student_id=student.pk, task=task)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    return (last or 0) + 1


def _offering_of(
    student: AbstractBaseUser, task: CodingTask, offering: Offering | None
) -> Offering:
    """The course the submission belongs to: ``offering``, or the one the student works on
    the task's content in; ``NotEnrolled`` (404) when there is none."""
    if offering is None:
        offering = task_offering(user=student, task=task)
    if offering is None or offering.course_id != task.course_id:
        raise NotEnrolled(f"no task called {task.slug!r}", field="task")
    return offering


@dataclass(frozen=True)
class SubmissionCreated:
    submission: Submission
    created: bool  # False when an earlier submission answers this request
    # True when that earlier submission is the same network sent again (see _earlier_identical)
    identical: bool = False


def _earlier_identical(
    student: AbstractBaseUser, task: CodingTask, fingerprint: str
) -> Submission | None:
    """The student's latest submission of the same source to ``task`` that was judged or is
    being judged. Judging is deterministic (fixed seeds), so its verdict is the one a new
    submission would get; one that failed on the service's side is judged again instead."""
    return (
        Submission.objects.filter(student_id=student.pk, task=task, request_fingerprint=fingerprint)
        .exclude(status__in=SERVICE_FAILURE_STATUSES)
        .order_by("-created_at")
        .first()
    )


def submission_create(
    *,
    student: AbstractBaseUser,
    task: CodingTask,
    source_kind: str,
    source: str,
    idempotency_key: str = "",
    offering: Offering | None = None,
) -> SubmissionCreated:
    """Store a new submission and queue its judging once the transaction commits.

    The submission belongs to ``offering`` (by default the course the student takes the
    task's content in), whose settings give the attempts allowed and the deadline after
    which it is marked late; it gets the student's next number for the task.

    Refusals, with nothing stored or queued: ``NotEnrolled`` (404), ``TaskLocked`` (409: the
    task opens once a lesson's checkpoint is answered, ``annquiz.coding.gating``),
    ``InvalidSubmission`` (400), ``TaskClosed`` (400), ``AttemptsExhausted`` (409),
    ``IdempotencyKeyReused`` (409),
    ``TooManyActive`` (429: too many of the student's submissions queued or running) and
    ``RateLimited`` (429).
    A request repeated with the same ``idempotency_key`` returns the first submission; a
    network the student already submitted to the task (same kind and source) returns that
    earlier submission and its verdict, using no attempt (``identical``).
    """
    course = _offering_of(student, task, offering)
    task_require_unlocked(user=student, task=task)
    key = _check_idempotency_key(idempotency_key)
    fingerprint = _fingerprint(task, source_kind, source)
    first = _replayed(student, key, fingerprint)
    if first is not None:
        return SubmissionCreated(first, created=False)
    if not task.is_open or not task.is_active:
        raise TaskClosed(f"the task {task.slug!r} is closed and takes no new submissions")
    earlier = _earlier_identical(student, task, fingerprint)
    if earlier is not None:
        return SubmissionCreated(earlier, created=False, identical=True)
    spec = submission_spec_parse(task=task, source_kind=source_kind, source=source)
    max_attempts = max_attempts_in(task=task, offering=course)
    settings_here = task_settings_of(offering_id=course.pk, task_id=task.pk)
    due_at = settings_here.due_at if settings_here is not None else None

    def store() -> SubmissionCreated:
        # One student's submissions are made one at a time, so the attempt count, the cap on
        # active submissions and the rate limit hold under concurrent requests.
        get_user_model().objects.select_for_update().filter(pk=student.pk).first()
        # A retry after a commit whose reply was lost finds the submission it stored.
        replayed = _replayed(student, key, fingerprint)
        if replayed is not None:
            return SubmissionCreated(replayed, created=False)
        now = timezone.now()
        # Attempts first: a student with none left is told so at once, not asked to wait
        # out the rate limit only to hear it afterwards.
        used = attempts_used(student=student, task=task)
        if used >= max_attempts:
            raise AttemptsExhausted(
                f"all {max_attempts} attempts at {task.slug!r} are used", field="task"
            )
        _check_active(student)
        _check_rate(student, now)
        submission = Submission.objects.create(
            task=task,
            student_id=student.pk,
            offering=course,
            number=_next_number(student, task),
            is_late=due_at is not None and now > due_at,
            source_kind=source_kind,
            source=source,
            spec=spec_to_dict(spec),
            admitted_spec=admitted_spec_record(spec),
            architecture=architecture_diagram(spec),
            queue=task.queue,
            idempotency_key=key,
            request_fingerprint=fingerprint,
            enqueued_at=now,
        )
        # robust: a broker that cannot be reached is logged, not turned into an error
        # for a submission that is already stored; the sweeper sends its message later.
        transaction.on_commit(
            lambda: submission_enqueue(submission_id=submission.pk, queue=submission.queue),
            robust=True,
        )
        return SubmissionCreated(submission, created=True)

    try:
        # Run again after a lost connection; after one lost during the commit only under an
        # Idempotency-Key, whose look-up then finds the submission if the commit went through.
        return transaction_retrying_once(store, idempotent=bool(key))
    except IntegrityError:
        # The same Idempotency-Key committed by a concurrent request first.
        first = _replayed(student, key, fingerprint)
        if first is None:
            raise
        return SubmissionCreated(first, created=False)
