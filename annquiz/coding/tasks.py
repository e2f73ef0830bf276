"""Celery tasks of coding tasks: thin wrappers over the judging protocol and the sweeper.

The names (``annquiz.coding.queueing``) are part of the protocol with queued messages (pinned
by a test): rename one and the messages already in Redis find no task.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.conf import settings

from annquiz.coding import judging, sweeper
from annquiz.coding.queueing import GRADE_SUBMISSION, SWEEP_SUBMISSIONS


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
