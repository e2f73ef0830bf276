"""Writes of graded coding tasks: submitting, grading in a worker, recovering lost work.

The Submission row is the source of truth. ``submission_create`` validates everything that can
be refused before training (nothing is stored or queued for a bad request) and enqueues the
grading after the transaction commits. A worker calls ``submission_grade``: it claims the row
with a conditional update that issues a fresh claim token, trains and judges the network, and
stores the one result only while it still holds that token. ``submissions_sweep`` re-enqueues
work whose message was lost or whose worker died, and ends as "error" a submission that has
already taken down its worker ``ANNQUIZ_GRADE_MAX_WORKER_ATTEMPTS`` times.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from annquiz.coding.architecture import architecture_diagram
from annquiz.coding.catalog import TaskFile, parse_solution
from annquiz.coding.errors import (
    IdempotencyKeyReused,
    InvalidSubmission,
    RateLimited,
    TaskClosed,
)
from annquiz.coding.models import CodingTask, SourceKind, Submission
from annquiz.coding.statuses import Status
from annquiz.core.errors import AttemptsExhausted
from annquiz.core.markdown_rendering import render_markdown
from annquiz.core.static_files import static_prefix
from annquiz.courses.models import Course, Lesson
from training.checks import json_safe
from training.errors import TrainingError
from training.judging import TaskDefinition, check_submission, judge
from training.judging import parse_task_definition as _parse_definition
from training.spec import ModelSpec, parse_spec, spec_to_dict

logger = logging.getLogger(__name__)

MAX_SOURCE_CHARS = 50_000
MAX_IDEMPOTENCY_KEY_CHARS = 255
# Progress is written at most this often (seconds); each write is also the worker's heartbeat.
PROGRESS_INTERVAL = 0.5

# No time limits in a grading message: the worker applies its own settings' limits, not the
# sending web process's, which Celery would otherwise write into every message.
LIMITS_FROM_THE_WORKER: dict[str, Any] = {"time_limit": None, "soft_time_limit": None}

SERVICE_FAILURE_NOTE = "This does not use up one of your attempts: submit it again."


# --------------------------------------------------------------------------- submitting


def task_definition(task: CodingTask) -> TaskDefinition:
    return _parse_definition(task.definition)


def submission_spec_parse(*, task: CodingTask, source_kind: str, source: str) -> ModelSpec:
    """The network ``source`` describes, checked against ``task``'s rules and limits.

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
        check_submission(task_definition(task), spec)
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


def attempts_used(*, student: AbstractBaseUser, task: CodingTask) -> int:
    return (
        Submission.objects.filter(student_id=student.pk, task=task).counting_as_attempts().count()
    )


@dataclass(frozen=True)
class SubmissionCreated:
    submission: Submission
    created: bool  # False when an Idempotency-Key replayed an earlier submission


def submission_create(
    *,
    student: AbstractBaseUser,
    task: CodingTask,
    source_kind: str,
    source: str,
    idempotency_key: str = "",
) -> SubmissionCreated:
    """Store a new submission and queue its grading once the transaction commits.

    Refusals, with nothing stored or queued: ``InvalidSubmission`` (400), ``TaskClosed``
    (400), ``AttemptsExhausted`` (409), ``IdempotencyKeyReused`` (409), ``RateLimited`` (429).
    A request repeated with the same ``idempotency_key`` returns the first submission.
    """
    key = _check_idempotency_key(idempotency_key)
    fingerprint = _fingerprint(task, source_kind, source)
    first = _replayed(student, key, fingerprint)
    if first is not None:
        return SubmissionCreated(first, created=False)
    if not task.is_open or not task.is_active:
        raise TaskClosed(f"the task {task.slug!r} is closed and takes no new submissions")
    spec = submission_spec_parse(task=task, source_kind=source_kind, source=source)
    try:
        with transaction.atomic():
            # One student's submissions are made one at a time, so the rate limit and the
            # attempt count hold under concurrent requests.
            get_user_model().objects.select_for_update().filter(pk=student.pk).first()
            now = timezone.now()
            _check_rate(student, now)
            used = attempts_used(student=student, task=task)
            if used >= task.max_attempts:
                raise AttemptsExhausted(
                    f"all {task.max_attempts} attempts at {task.slug!r} are used", field="task"
                )
            submission = Submission.objects.create(
                task=task,
                student_id=student.pk,
                source_kind=source_kind,
                source=source,
                spec=spec_to_dict(spec),
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
    except IntegrityError:
        # The same Idempotency-Key committed by a concurrent request first.
        first = _replayed(student, key, fingerprint)
        if first is None:
            raise
        return SubmissionCreated(first, created=False)
    return SubmissionCreated(submission, created=True)


def submission_enqueue(*, submission_id: int, queue: str) -> None:
    """Send the grading message to the submission's ``queue`` (its task's backend)."""
    from annquiz.coding.tasks import grade_submission

    Submission.objects.filter(pk=submission_id).update(
        enqueued_at=timezone.now(), enqueue_count=F("enqueue_count") + 1
    )
    grade_submission.apply_async(args=(submission_id,), queue=queue, **LIMITS_FROM_THE_WORKER)


# --------------------------------------------------------------------------- grading


class ClaimLost(Exception):
    """Another worker took the submission over (its lease had expired): stop, store nothing."""


@dataclass(frozen=True)
class GradeOutcome:
    """What a worker did: ``status`` stored, or ``retry_in`` seconds when another worker holds
    a live claim, or ``status=None`` when there was nothing (left) to do."""

    status: str | None
    retry_in: float | None = None


def _lease() -> timedelta:
    return timedelta(seconds=settings.ANNQUIZ_GRADE_LEASE_SECONDS)


def _worker_identity() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _claimer_is_gone(claimed_by: str) -> bool:
    """True when the claim was made by a process of this host that no longer exists (killed
    mid-grade: its message comes back at once, long before the lease runs out)."""
    host, _, pid = claimed_by.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _claimable(now: datetime, dead_claim: uuid.UUID | None) -> Q:
    """Queued, or running under a lost claim: no heartbeat for the lease, or the claim of a
    process known to be gone."""
    lost = Q(status=Status.RUNNING, heartbeat_at__lt=now - _lease())
    if dead_claim is not None:
        lost |= Q(status=Status.RUNNING, claim_token=dead_claim)
    return Q(status=Status.QUEUED) | lost


def _claim(
    submission_id: int, now: datetime, *, dead_claim: uuid.UUID | None = None
) -> uuid.UUID | None:
    token = uuid.uuid4()
    claimed = (
        Submission.objects.filter(_claimable(now, dead_claim), pk=submission_id)
        .filter(worker_attempts__lt=settings.ANNQUIZ_GRADE_MAX_WORKER_ATTEMPTS)
        .update(
            status=Status.RUNNING,
            claim_token=token,
            claimed_by=_worker_identity(),
            started_at=now,
            heartbeat_at=now,
            worker_attempts=F("worker_attempts") + 1,
            progress={},
        )
    )
    return token if claimed else None


def _give_up_if_worker_keeps_dying(
    submission_id: int, now: datetime, *, dead_claim: uuid.UUID | None = None
) -> bool:
    """End as "error" a submission whose every allowed worker attempt was lost."""
    cap: int = settings.ANNQUIZ_GRADE_MAX_WORKER_ATTEMPTS
    ended = (
        Submission.objects.filter(pk=submission_id, worker_attempts__gte=cap)
        .filter(_claimable(now, dead_claim))
        .update(
            status=Status.ERROR,
            finished_at=now,
            claim_token=None,
            message=(
                f"Grading this submission stopped the grading worker {cap} times, so it was "
                f"not graded. {SERVICE_FAILURE_NOTE}"
            ),
        )
    )
    return bool(ended)


def _finish(submission_id: int, token: uuid.UUID, **fields: Any) -> bool:
    """Store the one result, only while ``token`` still holds the claim."""
    return bool(
        Submission.objects.filter(
            pk=submission_id, claim_token=token, status=Status.RUNNING
        ).update(finished_at=timezone.now(), **fields)
    )


def progress_of(epochs_done: dict[int, int], n_seeds: int, epochs: int) -> dict[str, Any]:
    """The progress a running submission shows: ``epoch`` of ``epochs`` on seed
    ``seed_index + 1`` of ``n_seeds`` (``together`` when the backend trains the seeds in one
    pass, as the NumPy backend does), and ``fraction`` of the whole training done."""
    if not epochs_done:
        return {
            "seed_index": 0,
            "n_seeds": n_seeds,
            "epoch": 0,
            "epochs": epochs,
            "together": False,
            "fraction": 0.0,
        }
    done = sum(min(count, epochs) for count in epochs_done.values())
    latest_seed = next(reversed(epochs_done))
    together = len(epochs_done) == n_seeds and len(set(epochs_done.values())) == 1
    return {
        "seed_index": list(epochs_done).index(latest_seed),
        "n_seeds": n_seeds,
        "epoch": epochs_done[latest_seed],
        "epochs": epochs,
        "together": together,
        "fraction": round(done / max(1, n_seeds * epochs), 4),
    }


def _progress_recorder(
    submission_id: int, token: uuid.UUID, *, n_seeds: int, epochs: int
) -> Callable[[int, int, dict[str, float]], None]:
    """The judge's epoch callback: writes progress (and so the heartbeat) at most every
    ``PROGRESS_INTERVAL`` seconds, and stops the grading if the claim was taken over."""
    epochs_done: dict[int, int] = {}
    last_write = 0.0

    def record(seed: int, epoch: int, logs: dict[str, float]) -> None:
        nonlocal last_write
        epochs_done[seed] = epoch + 1
        now = time.monotonic()
        if now - last_write < PROGRESS_INTERVAL:
            return
        last_write = now
        progress = {**progress_of(epochs_done, n_seeds, epochs), "loss": logs.get("loss")}
        alive = Submission.objects.filter(
            pk=submission_id, claim_token=token, status=Status.RUNNING
        ).update(progress=json_safe(progress), heartbeat_at=timezone.now())
        if not alive:
            raise ClaimLost(f"submission {submission_id}: the claim was taken over")

    return record


def submission_grade(*, submission_id: int) -> GradeOutcome:
    """Claim, train and judge one submission, and store its result exactly once."""
    now = timezone.now()
    token = _claim(submission_id, now)
    if token is None:
        holder = (
            Submission.objects.filter(pk=submission_id)
            .values("status", "heartbeat_at", "claim_token", "claimed_by")
            .first()
        )
        running = holder is not None and holder["status"] == Status.RUNNING
        dead_claim = (
            holder["claim_token"]
            if holder is not None and running and _claimer_is_gone(holder["claimed_by"])
            else None
        )
        if dead_claim is not None:
            token = _claim(submission_id, now, dead_claim=dead_claim)
        if token is None:
            if _give_up_if_worker_keeps_dying(submission_id, now, dead_claim=dead_claim):
                return GradeOutcome(Status.ERROR)
            if holder is not None and running and holder["heartbeat_at"]:
                expires = holder["heartbeat_at"] + _lease()
                retry_in = max(1.0, (expires - now).total_seconds() + 0.5)
                return GradeOutcome(None, retry_in=retry_in)
            return GradeOutcome(None)

    try:
        submission = Submission.objects.select_related("task").get(pk=submission_id)
        definition = task_definition(submission.task)
        spec = parse_spec(submission.spec)
        recorder = _progress_recorder(
            submission_id, token, n_seeds=len(definition.seeds), epochs=spec.epochs
        )
        judgement = judge(definition, spec, on_epoch_end=recorder)
    except ClaimLost:
        logger.warning("submission %s: claim lost mid-grade; result discarded", submission_id)
        return GradeOutcome(None)
    except SoftTimeLimitExceeded:
        limit = settings.ANNQUIZ_GRADE_SOFT_TIME_LIMIT
        _finish(
            submission_id,
            token,
            status=Status.TIMED_OUT,
            message=(
                f"Grading ran past its time budget of {limit} s: the service was too busy "
                f"to finish it. {SERVICE_FAILURE_NOTE}"
            ),
        )
        return GradeOutcome(Status.TIMED_OUT)
    except Exception as error:
        logger.exception("submission %s: grading failed", submission_id)
        _finish(
            submission_id,
            token,
            status=Status.ERROR,
            message=f"Grading failed on our side ({type(error).__name__}). {SERVICE_FAILURE_NOTE}",
        )
        return GradeOutcome(Status.ERROR)
    status = Status(judgement.verdict)
    trained = {seed["seed"]: seed["epochs_run"] for seed in judgement.seeds}
    stored = _finish(
        submission_id,
        token,
        status=status,
        result=judgement.to_dict(),
        message=judgement.summary,
        progress={**progress_of(trained, len(trained), spec.epochs), "fraction": 1.0},
    )
    return GradeOutcome(status if stored else None)


# --------------------------------------------------------------------------- recovery


@dataclass(frozen=True)
class SweepReport:
    requeued: list[int]
    given_up: list[int]


def _time_out_if_past_hard_limit(submission_id: int, now: datetime) -> bool:
    """A run cut off by the hard time limit (its worker process was ended) is "timed out"."""
    limit: int = settings.ANNQUIZ_GRADE_HARD_TIME_LIMIT
    ended = Submission.objects.filter(
        pk=submission_id,
        status=Status.RUNNING,
        heartbeat_at__lt=now - _lease(),
        started_at__lt=now - timedelta(seconds=limit),
    ).update(
        status=Status.TIMED_OUT,
        finished_at=now,
        claim_token=None,
        message=(
            f"Grading ran past its hard time limit of {limit} s: the service was too busy to "
            f"finish it. {SERVICE_FAILURE_NOTE}"
        ),
    )
    return bool(ended)


def submissions_sweep(*, now: datetime | None = None) -> SweepReport:
    """Re-enqueue submissions a lost message or a dead worker left behind.

    A submission still queued ``ANNQUIZ_GRADE_QUEUED_DEADLINE`` seconds after it was last
    enqueued, or running with no heartbeat for the lease (``ANNQUIZ_GRADE_LEASE_SECONDS``),
    gets a new message; the claim makes a duplicate message harmless. One that has used every
    worker attempt ends as "error" instead.
    """
    now = now or timezone.now()
    queued_deadline = now - timedelta(seconds=settings.ANNQUIZ_GRADE_QUEUED_DEADLINE)
    stuck = Submission.objects.filter(
        Q(status=Status.QUEUED, enqueued_at__lt=queued_deadline)
        | Q(status=Status.RUNNING, heartbeat_at__lt=now - _lease())
    ).values_list("pk", "queue")
    requeued: list[int] = []
    given_up: list[int] = []
    for submission_id, queue in stuck:
        if _time_out_if_past_hard_limit(submission_id, now):
            given_up.append(submission_id)
            continue
        if _give_up_if_worker_keeps_dying(submission_id, now):
            given_up.append(submission_id)
            continue
        submission_enqueue(submission_id=submission_id, queue=queue)
        requeued.append(submission_id)
    if requeued or given_up:
        logger.warning("sweeper: re-enqueued %s, gave up on %s", requeued, given_up)
    return SweepReport(requeued=requeued, given_up=given_up)


# --------------------------------------------------------------------------- the catalog


@dataclass(frozen=True)
class CatalogLoadSummary:
    created: list[str]
    updated: list[str]
    unchanged: list[str]
    deactivated: list[str]

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deactivated)

    def __str__(self) -> str:
        parts = [
            f"{len(items)} {label}"
            + (f" ({', '.join(items)})" if items and label != "unchanged" else "")
            for label, items in (
                ("created", self.created),
                ("updated", self.updated),
                ("unchanged", self.unchanged),
                ("deactivated", self.deactivated),
            )
        ]
        return "tasks: " + ", ".join(parts)


def _task_fields(task_file: TaskFile) -> dict[str, Any]:
    course = Course.objects.filter(slug=task_file.course).first() if task_file.course else None
    lesson = (
        Lesson.objects.filter(course=course, slug=task_file.lesson).first()
        if course is not None and task_file.lesson
        else None
    )
    return {
        "title": task_file.title,
        "order": task_file.order,
        "summary": task_file.summary,
        "course": course,
        "lesson": lesson,
        "statement_markdown": task_file.statement_markdown,
        "statement_html": render_markdown(
            task_file.statement_markdown, static_prefix=static_prefix()
        ),
        "definition": dict(task_file.definition_data),
        "backend": task_file.definition.backend,
        "starter_kind": task_file.starter_kind,
        "starter_source": task_file.starter_source,
        "reference_kind": task_file.reference_kind,
        "reference_source": task_file.reference_source,
        "broken_kind": task_file.broken_kind,
        "broken_source": task_file.broken_source,
        "max_attempts": task_file.max_attempts,
        "is_open": task_file.is_open,
        "is_active": True,
    }


@transaction.atomic
def task_catalog_load(*, catalog: list[TaskFile]) -> CatalogLoadSummary:
    """Create or update every task of ``catalog`` by slug; deactivate tasks no longer in it
    (their submissions are kept). Safe to run any number of times."""
    created: list[str] = []
    updated: list[str] = []
    unchanged: list[str] = []
    existing = {task.slug: task for task in CodingTask.objects.select_for_update()}
    for task_file in catalog:
        fields = _task_fields(task_file)
        task = existing.get(task_file.slug)
        if task is None:
            CodingTask.objects.create(slug=task_file.slug, **fields)
            created.append(task_file.slug)
            continue
        changed = [name for name, value in fields.items() if getattr(task, name) != value]
        if changed:
            for name in changed:
                setattr(task, name, fields[name])
            task.save(update_fields=[*changed, "updated_at"])
            updated.append(task_file.slug)
        else:
            unchanged.append(task_file.slug)
    slugs = {task_file.slug for task_file in catalog}
    gone = [slug for slug, task in existing.items() if slug not in slugs and task.is_active]
    CodingTask.objects.filter(slug__in=gone).update(is_active=False)
    return CatalogLoadSummary(created, updated, unchanged, sorted(gone))
