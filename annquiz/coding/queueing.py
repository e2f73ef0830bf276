"""The messages of the coding app on the broker: their names, and sending a judging.

The names are part of the protocol with queued messages (pinned by a test): rename one and the
messages already in Redis find no task. A judging is sent by its name, as beat sends the sweep,
so the modules that send it (submitting, the sweeper) need not import the tasks that run it.
"""

from __future__ import annotations

from typing import Any

from celery import current_app
from django.db.models import F
from django.utils import timezone

from annquiz.coding.models import Submission

GRADE_SUBMISSION = "annquiz.coding.grade_submission"
SWEEP_SUBMISSIONS = "annquiz.coding.sweep_submissions"

# No time limits in a judging message: the worker applies its own settings' limits, not the
# sending web process's, which Celery would otherwise write into every message.
LIMITS_FROM_THE_WORKER: dict[str, Any] = {"time_limit": None, "soft_time_limit": None}


def submission_enqueue(*, submission_id: int, queue: str) -> None:
    """Send the judging message to the submission's ``queue`` (its task's backend)."""
    Submission.objects.filter(pk=submission_id).update(
        enqueued_at=timezone.now(), enqueue_count=F("enqueue_count") + 1
    )
    current_app.send_task(
        GRADE_SUBMISSION, args=(submission_id,), queue=queue, **LIMITS_FROM_THE_WORKER
    )
