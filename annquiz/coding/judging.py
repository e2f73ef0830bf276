"""Judging one submission in a worker: claim, heartbeat, train and judge, store once.

A worker calls ``submission_judge`` with the submission its message names: it claims that
row if its worker was lost, else the oldest submission of the same queue that lost its worker,
else the queued submission next in turn on that queue (the students take turns:
``annquiz.coding.turns``), with a conditional update that issues a fresh
claim token, trains and judges the network on the training core, writing progress (the
heartbeat) as it goes, and stores the one result only while it still holds that token. A claim
is lost when its heartbeat stops for the lease (``ANNQUIZ_GRADE_LEASE_SECONDS``) or when the
process that made it is gone from this host; a submission that has already taken down its
worker ``ANNQUIZ_GRADE_MAX_WORKER_ATTEMPTS`` times ends as "error".
"""

from __future__ import annotations

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
from django.db.models import F, Q
from django.utils import timezone

from annquiz.coding.models import Submission
from annquiz.coding.selectors import task_definition
from annquiz.coding.statuses import Status
from annquiz.coding.turns import next_in_turn
from annquiz.core.database_retry import (
    CONNECTION_LOST,
    connection_discard,
    retrying_on_connection_loss,
)
from training.checks import json_safe
from training.judging import judge, training_progress
from training.solutions import admitted_spec_load

logger = logging.getLogger(__name__)

# Progress is written at most this often (seconds); each write is also the worker's heartbeat.
PROGRESS_INTERVAL = 0.5

SERVICE_FAILURE_NOTE = "This does not use up one of your attempts: submit it again."


class ClaimLost(Exception):
    """Another worker took the submission over (its lease had expired): stop, store nothing."""


@dataclass(frozen=True)
class JudgeOutcome:
    """What a worker did: ``status`` stored, or ``retry_in`` seconds when another worker holds
    a live claim, or ``status=None`` when there was nothing (left) to do."""

    status: str | None
    retry_in: float | None = None


def lease() -> timedelta:
    """How long a claim lives without a heartbeat."""
    return timedelta(seconds=settings.ANNQUIZ_GRADE_LEASE_SECONDS)


def worker_identity() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def claimer_is_gone(claimed_by: str) -> bool:
    """True when the claim was made by a process of this host that no longer exists (killed
    mid-judging: its message comes back at once, long before the lease runs out)."""
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
    lost = Q(status=Status.RUNNING, heartbeat_at__lt=now - lease())
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
            claimed_by=worker_identity(),
            started_at=now,
            heartbeat_at=now,
            worker_attempts=F("worker_attempts") + 1,
            progress={},
        )
    )
    return token if claimed else None


def give_up_if_worker_keeps_dying(
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
    """Store the one result, only while ``token`` still holds the claim; after a lost
    database connection, again once the database is back (the update is conditional on the
    claim, so it stores the result once)."""
    finished_at = timezone.now()
    return bool(
        retrying_on_connection_loss(
            lambda: Submission.objects.filter(
                pk=submission_id, claim_token=token, status=Status.RUNNING
            ).update(finished_at=finished_at, **fields)
        )
    )


def _progress_recorder(
    submission_id: int, token: uuid.UUID, *, n_seeds: int, epochs: int, backend: str
) -> Callable[[int, int, dict[str, float]], None]:
    """The judge's epoch callback: writes progress (and so the heartbeat) at most every
    ``PROGRESS_INTERVAL`` seconds, and stops the judging if the claim was taken over."""
    epochs_done: dict[int, int] = {}
    last_write = 0.0

    def record(seed: int, epoch: int, logs: dict[str, float]) -> None:
        nonlocal last_write
        epochs_done[seed] = epoch + 1
        now = time.monotonic()
        if now - last_write < PROGRESS_INTERVAL:
            return
        last_write = now
        progress = {
            **training_progress(epochs_done, n_seeds=n_seeds, epochs=epochs, backend=backend),
            "loss": logs.get("loss"),
        }
        try:
            alive = Submission.objects.filter(
                pk=submission_id, claim_token=token, status=Status.RUNNING
            ).update(progress=json_safe(progress), heartbeat_at=timezone.now())
        except CONNECTION_LOST:
            # Training goes on; the next write reconnects. Should the database stay away for
            # the lease, another worker takes the claim over and this result is discarded.
            logger.warning("submission %s: progress not written (connection lost)", submission_id)
            connection_discard()
            return
        if not alive:
            raise ClaimLost(f"submission {submission_id}: the claim was taken over")

    return record


def _claim_in_turn(queue: str, now: datetime) -> tuple[int, uuid.UUID] | None:
    """Claim the queued submission of ``queue`` whose student's turn it is (``turns``)."""
    for candidate in next_in_turn(queue=queue):
        token = _claim(candidate, now)
        if token is not None:
            return candidate, token
    return None


def _take_over(
    submission_id: int, claimed_by: str, claim_token: uuid.UUID | None, now: datetime
) -> uuid.UUID | JudgeOutcome | None:
    """Claim a running submission whose worker was lost (its lease ran out, or its claimer is
    gone from this host); end it as "error" if it used every worker attempt (an outcome);
    None if its worker is alive."""
    dead_claim = claim_token if claimer_is_gone(claimed_by) else None
    token = _claim(submission_id, now, dead_claim=dead_claim)
    if token is not None:
        return token
    if give_up_if_worker_keeps_dying(submission_id, now, dead_claim=dead_claim):
        return JudgeOutcome(Status.ERROR)
    return None


def _claim_orphan(queue: str, now: datetime) -> tuple[int, uuid.UUID] | None:
    """Claim the oldest submission of ``queue`` that lost its worker: its claimer gone from
    this host (a killed pool process) or its lease run out. Any message on the queue takes
    such a submission over before the next one in turn, so a judging cut short is judged
    again at the first free worker, ahead of newer work, not behind the queue."""
    here = f"{socket.gethostname()}:"
    suspects = (
        Submission.objects.filter(queue=queue, status=Status.RUNNING)
        .filter(Q(claimed_by__startswith=here) | Q(heartbeat_at__lt=now - lease()))
        .order_by("created_at", "pk")
        .values_list("pk", "claimed_by", "claim_token")
    )
    for submission_id, claimed_by, claim_token in suspects:
        taken = _take_over(submission_id, claimed_by, claim_token, now)
        if isinstance(taken, uuid.UUID):
            return submission_id, taken
    return None


def _claim_for_message(submission_id: int, now: datetime) -> tuple[int, uuid.UUID] | JudgeOutcome:
    """What the message of ``submission_id`` judges: that submission if its worker was lost
    (a lease run out, or a claimer gone from this host), else the oldest submission of its
    queue that lost its worker, else the queued submission next in turn on its queue; or,
    with nothing to claim, what to do with the message."""
    holder = (
        Submission.objects.filter(pk=submission_id)
        .values("status", "queue", "heartbeat_at", "claim_token", "claimed_by")
        .first()
    )
    if holder is None:
        return JudgeOutcome(None)
    running = holder["status"] == Status.RUNNING
    if running:
        taken = _take_over(submission_id, holder["claimed_by"], holder["claim_token"], now)
        if isinstance(taken, uuid.UUID):
            return submission_id, taken
        if taken is not None:
            return taken
    orphan = _claim_orphan(holder["queue"], now)
    if orphan is not None:
        return orphan
    in_turn = _claim_in_turn(holder["queue"], now)
    if in_turn is not None:
        return in_turn
    token = _claim(submission_id, now)
    if token is not None:
        return submission_id, token
    if running and holder["heartbeat_at"]:
        # Its worker is alive: look again when the lease would run out, in case it dies.
        expires = holder["heartbeat_at"] + lease()
        return JudgeOutcome(None, retry_in=max(1.0, (expires - now).total_seconds() + 0.5))
    return JudgeOutcome(None)


def submission_judge(*, submission_id: int) -> JudgeOutcome:
    """Claim, train and judge one submission, and store its result exactly once.

    The message names ``submission_id``; the submission judged is that one when its worker
    was lost, else the oldest of its queue that lost its worker, else the one next in turn on
    its queue (``annquiz.coding.turns``).
    """
    claimed = _claim_for_message(submission_id, timezone.now())
    if isinstance(claimed, JudgeOutcome):
        return claimed
    submission_id, token = claimed

    try:
        submission = Submission.objects.select_related("task").get(pk=submission_id)
        definition = task_definition(submission.task)
        # The spec as it was admitted at submit time, in the context it was parsed in.
        spec = admitted_spec_load(submission.admitted_record())
        recorder = _progress_recorder(
            submission_id,
            token,
            n_seeds=len(definition.seeds),
            epochs=spec.epochs,
            backend=definition.backend,
        )
        judgement = judge(definition, spec, on_epoch_end=recorder)
    except ClaimLost:
        logger.warning("submission %s: claim lost mid-judging; result discarded", submission_id)
        return JudgeOutcome(None)
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
        return JudgeOutcome(Status.TIMED_OUT)
    except Exception as error:
        logger.exception("submission %s: judging failed", submission_id)
        _finish(
            submission_id,
            token,
            status=Status.ERROR,
            message=f"Grading failed on our side ({type(error).__name__}). {SERVICE_FAILURE_NOTE}",
        )
        return JudgeOutcome(Status.ERROR)
    status = Status(judgement.verdict)
    trained = {seed["seed"]: seed["epochs_run"] for seed in judgement.seeds}
    stored = _finish(
        submission_id,
        token,
        status=status,
        result=judgement.to_dict(),
        message=judgement.summary,
        progress={
            **training_progress(
                trained, n_seeds=len(trained), epochs=spec.epochs, backend=definition.backend
            ),
            "fraction": 1.0,
        },
    )
    return JudgeOutcome(status if stored else None)
