"""Judging one regrade item in a worker of the "regrade" queue, and sweeping lost items.

The protocol is the live judging's (``annquiz.coding.judging``) on ``RegradeItem`` rows: a
worker claims the item its message names with a conditional update that issues a fresh claim
token (an item still queued, or running under a lost claim: no heartbeat for the lease, or a
claimer gone from this host), writes a heartbeat while it trains, and stores the proposed
result only while it holds that token. A re-delivered message is therefore harmless, and an
item whose worker died is judged again by the next message: the one Redis gives back
(``acks_late``) or the one the periodic regrade sweep sends. An item that took down its
worker ``ANNQUIZ_GRADE_MAX_WORKER_ATTEMPTS`` times ends as "not judged".

Nothing here touches a ``Submission``: the result is a proposal until the run is applied
(``annquiz.coding.regrading.regrade_run_apply``).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db.models import Exists, F, Q
from django.utils import timezone

from annquiz.coding.judging import (
    PROGRESS_INTERVAL,
    ClaimLost,
    JudgeOutcome,
    claimer_is_gone,
    lease,
    worker_identity,
)
from annquiz.coding.models import RegradeItem, RegradeItemStatus, RegradeRun, RegradeRunStatus
from annquiz.coding.queueing import regrade_item_enqueue
from annquiz.coding.selectors import task_definition
from annquiz.coding.statuses import Status
from annquiz.coding.versions import definition_hash
from annquiz.core.database_retry import retrying_on_connection_loss
from training.errors import SpecError, UnsupportedByBackend
from training.judging import judge
from training.solutions import admitted_spec_load

logger = logging.getLogger(__name__)

FINISHED_ITEM_STATUSES = (RegradeItemStatus.DONE, RegradeItemStatus.ERROR)


def _claimable(now: datetime, dead_claim: uuid.UUID | None) -> Q:
    lost = Q(status=RegradeItemStatus.RUNNING, heartbeat_at__lt=now - lease())
    if dead_claim is not None:
        lost |= Q(status=RegradeItemStatus.RUNNING, claim_token=dead_claim)
    return Q(status=RegradeItemStatus.QUEUED) | lost


def _claim(item_id: int, now: datetime, dead_claim: uuid.UUID | None) -> uuid.UUID | None:
    token = uuid.uuid4()
    claimed = (
        RegradeItem.objects.filter(_claimable(now, dead_claim), pk=item_id)
        .filter(worker_attempts__lt=settings.ANNQUIZ_GRADE_MAX_WORKER_ATTEMPTS)
        .update(
            status=RegradeItemStatus.RUNNING,
            claim_token=token,
            claimed_by=worker_identity(),
            heartbeat_at=now,
            worker_attempts=F("worker_attempts") + 1,
        )
    )
    return token if claimed else None


def _give_up_if_worker_keeps_dying(
    item_id: int, now: datetime, dead_claim: uuid.UUID | None = None
) -> bool:
    cap: int = settings.ANNQUIZ_GRADE_MAX_WORKER_ATTEMPTS
    ended = (
        RegradeItem.objects.filter(_claimable(now, dead_claim), pk=item_id)
        .filter(worker_attempts__gte=cap)
        .update(
            status=RegradeItemStatus.ERROR,
            claim_token=None,
            finished_at=now,
            new_message=f"Judging it again stopped the worker {cap} times.",
        )
    )
    return bool(ended)


def regrade_run_mark_judged(*, run_id: int) -> bool:
    """Mark the run ready for review once none of its items is queued or running; True when
    this call did (a conditional update: two workers finishing together mark it once)."""
    unfinished = RegradeItem.objects.filter(run_id=run_id).exclude(
        status__in=FINISHED_ITEM_STATUSES
    )
    return bool(
        RegradeRun.objects.filter(pk=run_id, status=RegradeRunStatus.JUDGING)
        .exclude(Exists(unfinished))
        .update(status=RegradeRunStatus.READY, judged_at=timezone.now())
    )


def _finish(item_id: int, token: uuid.UUID, **fields: Any) -> bool:
    """Store the item's outcome only while ``token`` holds its claim."""
    finished_at = timezone.now()
    return bool(
        retrying_on_connection_loss(
            lambda: RegradeItem.objects.filter(
                pk=item_id, claim_token=token, status=RegradeItemStatus.RUNNING
            ).update(finished_at=finished_at, claim_token=None, **fields)
        )
    )


def _heartbeat(item_id: int, token: uuid.UUID) -> Callable[[int, int, dict[str, float]], None]:
    """The judge's epoch callback: a heartbeat at most every ``PROGRESS_INTERVAL`` seconds;
    stops the judging when another worker took the item over."""
    last_write = 0.0

    def beat(seed: int, epoch: int, logs: dict[str, float]) -> None:
        nonlocal last_write
        now = time.monotonic()
        if now - last_write < PROGRESS_INTERVAL:
            return
        last_write = now
        alive = RegradeItem.objects.filter(
            pk=item_id, claim_token=token, status=RegradeItemStatus.RUNNING
        ).update(heartbeat_at=timezone.now())
        if not alive:
            raise ClaimLost(f"regrade item {item_id}: the claim was taken over")

    return beat


def _claim_for_message(item_id: int, now: datetime) -> uuid.UUID | JudgeOutcome:
    holder = (
        RegradeItem.objects.filter(pk=item_id)
        .values("status", "heartbeat_at", "claim_token", "claimed_by", "run_id")
        .first()
    )
    if holder is None:
        return JudgeOutcome(None)
    running = holder["status"] == RegradeItemStatus.RUNNING
    dead_claim = (
        holder["claim_token"] if running and claimer_is_gone(holder["claimed_by"]) else None
    )
    token = _claim(item_id, now, dead_claim)
    if token is not None:
        return token
    if _give_up_if_worker_keeps_dying(item_id, now, dead_claim):
        regrade_run_mark_judged(run_id=holder["run_id"])
        return JudgeOutcome(RegradeItemStatus.ERROR)
    if running and holder["heartbeat_at"]:
        expires = holder["heartbeat_at"] + lease()
        return JudgeOutcome(None, retry_in=max(1.0, (expires - now).total_seconds() + 0.5))
    return JudgeOutcome(None)


def _judged_fields(
    item: RegradeItem, beat: Callable[[int, int, dict[str, float]], None]
) -> dict[str, Any]:
    """Judge the item's submission under its task's current definition: the fields to store."""
    run = item.run
    task = item.submission.task
    if definition_hash(task.definition) != run.definition_hash:
        return {
            "status": RegradeItemStatus.ERROR,
            "new_message": "The task's definition changed during this run: start a new one.",
        }
    definition = task_definition(task)
    spec = admitted_spec_load(item.submission.admitted_record())
    try:
        judgement = judge(definition, spec, on_epoch_end=beat)
    except (SpecError, UnsupportedByBackend) as refusal:
        # The task's new limits refuse the network: no verdict to propose.
        return {
            "status": RegradeItemStatus.ERROR,
            "new_message": f"The task's current rules refuse this network: {refusal}",
        }
    return {
        "status": RegradeItemStatus.DONE,
        "new_status": Status(judgement.verdict),
        "new_result": judgement.to_dict(),
        "new_message": judgement.summary,
    }


def regrade_item_judge(*, item_id: int) -> JudgeOutcome:
    """Claim one regrade item, judge its submission again and store the proposed result
    exactly once; mark its run ready when it was the last item."""
    claimed = _claim_for_message(item_id, timezone.now())
    if isinstance(claimed, JudgeOutcome):
        return claimed
    token = claimed
    item = RegradeItem.objects.select_related("run", "submission", "submission__task").get(
        pk=item_id
    )
    try:
        fields = _judged_fields(item, _heartbeat(item_id, token))
    except ClaimLost:
        logger.warning("regrade item %s: claim lost mid-judging; result discarded", item_id)
        return JudgeOutcome(None)
    except SoftTimeLimitExceeded:
        fields = {
            "status": RegradeItemStatus.ERROR,
            "new_message": "Judging it again ran past the time budget.",
        }
    except Exception as error:
        logger.exception("regrade item %s: judging failed", item_id)
        fields = {
            "status": RegradeItemStatus.ERROR,
            "new_message": f"Judging it again failed on our side ({type(error).__name__}).",
        }
    stored = _finish(item_id, token, **fields)
    regrade_run_mark_judged(run_id=item.run_id)
    return JudgeOutcome(str(fields["status"]) if stored else None)


@dataclass(frozen=True)
class RegradeSweepReport:
    requeued: list[int]
    given_up: list[int]


def regrade_items_sweep(*, now: datetime | None = None) -> RegradeSweepReport:
    """Send a new message for every regrade item left behind: never sent (the broker was
    down), queued ``ANNQUIZ_GRADE_QUEUED_DEADLINE`` seconds after it was sent, or running
    with no heartbeat for the lease; an item that used every worker attempt ends as "not
    judged" instead; a run whose items are all finished is marked ready. The claim makes a
    duplicate message harmless."""
    now = now or timezone.now()
    deadline = now - timedelta(seconds=settings.ANNQUIZ_GRADE_QUEUED_DEADLINE)
    stuck = (
        RegradeItem.objects.filter(
            Q(status=RegradeItemStatus.QUEUED, message_sent=False)
            | Q(status=RegradeItemStatus.QUEUED, enqueued_at__lt=deadline)
            | Q(status=RegradeItemStatus.RUNNING, heartbeat_at__lt=now - lease())
        )
        .order_by("id")
        .values_list("pk", "run_id")
    )
    requeued: list[int] = []
    given_up: list[int] = []
    for item_id, run_id in stuck:
        if _give_up_if_worker_keeps_dying(item_id, now):
            given_up.append(item_id)
            regrade_run_mark_judged(run_id=run_id)
        elif regrade_item_enqueue(item_id=item_id):
            requeued.append(item_id)
    # A worker that stored the last item's result and died before marking its run.
    judging = RegradeRun.objects.filter(status=RegradeRunStatus.JUDGING).values_list(
        "pk", flat=True
    )
    for run_id in judging:
        regrade_run_mark_judged(run_id=run_id)
    if requeued or given_up:
        logger.warning("regrade sweep: re-enqueued %s, gave up on %s", requeued, given_up)
    return RegradeSweepReport(requeued=requeued, given_up=given_up)
