"""Recovering lost work: the periodic sweep over submissions that nothing is judging.

A message can be lost (a broker that could not be reached when the submission was stored) and
a worker can die mid-judging; the sweeper sends such a submission a new message, and the claim
(``annquiz.coding.judging``) makes a duplicate message harmless. It ends as "timed out" a run
cut off by the hard time limit, and as "error" one that has used every worker attempt.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from annquiz.coding.judging import SERVICE_FAILURE_NOTE, give_up_if_worker_keeps_dying, lease
from annquiz.coding.models import Submission
from annquiz.coding.queueing import submission_enqueue
from annquiz.coding.statuses import Status

logger = logging.getLogger(__name__)


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
        heartbeat_at__lt=now - lease(),
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
        | Q(status=Status.RUNNING, heartbeat_at__lt=now - lease())
    ).values_list("pk", "queue")
    requeued: list[int] = []
    given_up: list[int] = []
    for submission_id, queue in stuck:
        if _time_out_if_past_hard_limit(submission_id, now):
            given_up.append(submission_id)
            continue
        if give_up_if_worker_keeps_dying(submission_id, now):
            given_up.append(submission_id)
            continue
        submission_enqueue(submission_id=submission_id, queue=queue)
        requeued.append(submission_id)
    if requeued or given_up:
        logger.warning("sweeper: re-enqueued %s, gave up on %s", requeued, given_up)
    return SweepReport(requeued=requeued, given_up=given_up)
