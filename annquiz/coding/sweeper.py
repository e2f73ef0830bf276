"""Recovering lost work: the periodic sweep over submissions that nothing is judging.

A message can be lost (a broker that could not be reached when the submission was stored, a
broker restarted without its data) and a worker can die mid-judging; the sweeper sends such
submissions new messages, and the claim (``annquiz.coding.judging``) makes a duplicate
message harmless. It ends as "timed out" a run cut off by the hard time limit, and as "error"
one that has used every worker attempt.

Messages are turns on their queue (``annquiz.coding.turns``): any message judges whatever is
next on its queue. So a queue is whole when it holds at least as many messages as it has
queued submissions, and the sweep sends the shortfall, naming the oldest queued submissions.
That finds, within one sweep of the broker's return, every message a restarted broker lost
and every message that could not be sent while it was down, without waiting for a deadline.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from annquiz.coding.judging import SERVICE_FAILURE_NOTE, give_up_if_worker_keeps_dying, lease
from annquiz.coding.models import Backend, Submission
from annquiz.coding.queueing import messages_waiting, submission_enqueue
from annquiz.coding.statuses import Status

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SweepReport:
    requeued: list[int]
    given_up: list[int]
    # Per judging queue: the turns it lacked and were sent (queued submissions beyond the
    # messages waiting); a queue whose broker could not be asked is left out.
    shortfall: dict[str, int] = field(default_factory=dict)


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


def _send_missing_turns(
    queue: str, *, lost_running: int, already_sent: set[int]
) -> tuple[list[int], int | None]:
    """Send ``queue`` the messages it lacks: one per queued submission and per running one
    whose worker was lost (``lost_running``, already sent a message) beyond the messages
    waiting, naming the submissions never sent first, then the oldest. Returns the ids sent
    and the shortfall (None when the broker cannot be reached)."""
    waiting = messages_waiting(queue)
    if waiting is None:
        return [], None
    queued = Submission.objects.filter(queue=queue, status=Status.QUEUED)
    shortfall = queued.count() + lost_running - waiting
    if shortfall <= 0:
        return [], 0
    named = (
        queued.exclude(pk__in=already_sent)
        .order_by("message_sent", "created_at", "pk")
        .values_list("pk", flat=True)[:shortfall]
    )
    return [pk for pk in named if submission_enqueue(submission_id=pk, queue=queue)], shortfall


def submissions_sweep(*, now: datetime | None = None) -> SweepReport:
    """Re-enqueue submissions a lost message or a dead worker left behind.

    A submission running with no heartbeat for the lease (``ANNQUIZ_GRADE_LEASE_SECONDS``),
    or still queued ``ANNQUIZ_GRADE_QUEUED_DEADLINE`` seconds after it was last sent, gets a
    new message, the oldest first; one that has used every worker attempt ends as "error"
    instead. Then each judging queue gets the messages it lacks for its queued submissions
    (the module's docstring). The claim makes any duplicate message harmless.
    """
    now = now or timezone.now()
    queued_deadline = now - timedelta(seconds=settings.ANNQUIZ_GRADE_QUEUED_DEADLINE)
    stuck = (
        Submission.objects.filter(
            Q(status=Status.QUEUED, enqueued_at__lt=queued_deadline)
            | Q(status=Status.RUNNING, heartbeat_at__lt=now - lease())
        )
        .order_by("created_at", "pk")
        .values_list("pk", "queue", "status")
    )
    requeued: list[int] = []
    given_up: list[int] = []
    lost_running: Counter[str] = Counter()
    for submission_id, queue, status in stuck:
        if _time_out_if_past_hard_limit(submission_id, now):
            given_up.append(submission_id)
            continue
        if give_up_if_worker_keeps_dying(submission_id, now):
            given_up.append(submission_id)
            continue
        if submission_enqueue(submission_id=submission_id, queue=queue):
            requeued.append(submission_id)
            lost_running[queue] += status == Status.RUNNING
    shortfalls: dict[str, int] = {}
    for queue in Backend.values:
        sent, shortfall = _send_missing_turns(
            queue, lost_running=lost_running[queue], already_sent=set(requeued)
        )
        requeued.extend(sent)
        if shortfall is not None:
            shortfalls[queue] = shortfall
    if requeued or given_up:
        logger.warning("sweeper: re-enqueued %s, gave up on %s", requeued, given_up)
    return SweepReport(requeued=requeued, given_up=given_up, shortfall=shortfalls)
