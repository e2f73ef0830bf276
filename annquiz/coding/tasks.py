"""Celery tasks of coding tasks: thin wrappers over the judging protocol and the sweeper.

The names (``annquiz.coding.queueing``) are part of the protocol with queued messages (pinned
by a test): rename one and the messages already in Redis find no task.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.conf import settings

from annquiz.coding import judging, regrade_judging, sweeper
from annquiz.coding.queueing import (
    GRADE_SUBMISSION,
    REGRADE_ITEM,
    SWEEP_REGRADES,
    SWEEP_SUBMISSIONS,
)


@shared_task(
    name=GRADE_SUBMISSION,
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=settings.ANNQUIZ_GRADE_SOFT_TIME_LIMIT,
    time_limit=settings.ANNQUIZ_GRADE_HARD_TIME_LIMIT,
    max_retries=None,
)
def grade_submission(self: Any, submission_id: int) -> str | None:
    """Judge one submission; if another worker's claim is still alive, look again when its
    lease runs out (the claim makes any duplicate message a no-op)."""
    outcome = judging.submission_judge(submission_id=submission_id)
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)
    return None if outcome.status is None else str(outcome.status)


@shared_task(name=SWEEP_SUBMISSIONS, ignore_result=True)
def sweep_submissions() -> dict[str, Any]:
    """Re-enqueue submissions left behind by a lost message or a dead worker (periodic)."""
    report = sweeper.submissions_sweep()
    return {"requeued": report.requeued, "given_up": report.given_up, "shortfall": report.shortfall}


@shared_task(
    name=REGRADE_ITEM,
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=settings.ANNQUIZ_GRADE_SOFT_TIME_LIMIT,
    time_limit=settings.ANNQUIZ_GRADE_HARD_TIME_LIMIT,
    max_retries=None,
)
def regrade_item(self: Any, item_id: int) -> str | None:
    """Judge one regrade item again (on the "regrade" queue) and store its proposed result;
    if another worker's claim is alive, look again when its lease runs out."""
    outcome = regrade_judging.regrade_item_judge(item_id=item_id)
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.status


@shared_task(name=SWEEP_REGRADES, ignore_result=True)
def sweep_regrades() -> dict[str, Any]:
    """Re-send regrade items left behind by a lost message or a dead worker (periodic)."""
    report = regrade_judging.regrade_items_sweep()
    return {"requeued": report.requeued, "given_up": report.given_up}
