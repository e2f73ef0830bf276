"""The messages of the coding app on the broker: their names, sending a judging, and counting
the judging messages a queue holds.

The names are part of the protocol with queued messages (pinned by a test): rename one and the
messages already in Redis find no task. A judging is sent by its name, as beat sends the sweep,
so the modules that send it (submitting, the sweeper) need not import the tasks that run it.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import current_app
from django.db.models import F
from django.utils import timezone
from kombu.exceptions import ChannelError, KombuError

from annquiz.coding.models import RegradeItem, Submission

logger = logging.getLogger(__name__)

GRADE_SUBMISSION = "annquiz.coding.grade_submission"
SWEEP_SUBMISSIONS = "annquiz.coding.sweep_submissions"
REGRADE_ITEM = "annquiz.coding.regrade_item"
SWEEP_REGRADES = "annquiz.coding.sweep_regrades"

# Regrades are judged on a queue of their own, served by a worker of their own
# (annquiz.core.processes.regrade_worker_command), so they never hold up a student's judging.
REGRADE_QUEUE = "regrade"

# No time limits in a judging message: the worker applies its own settings' limits, not the
# sending web process's, which Celery would otherwise write into every message.
LIMITS_FROM_THE_WORKER: dict[str, Any] = {"time_limit": None, "soft_time_limit": None}

# What a broker that cannot be reached raises through Celery and kombu (kombu's
# OperationalError is a KombuError; redis-py's and the socket's errors are OSErrors or
# ConnectionErrors when they escape kombu's wrapping).
BROKER_UNREACHABLE: tuple[type[Exception], ...] = (KombuError, OSError, ConnectionError)


def submission_enqueue(*, submission_id: int, queue: str) -> bool:
    """Send the judging message to the submission's ``queue`` (its task's backend); record
    whether it was sent (``message_sent``). A broker that cannot be reached is logged, not
    raised: the submission is stored, and the sweeper sends its message once the broker
    answers. Returns True when the message was sent."""
    try:
        current_app.send_task(
            GRADE_SUBMISSION, args=(submission_id,), queue=queue, **LIMITS_FROM_THE_WORKER
        )
    except BROKER_UNREACHABLE as error:
        logger.warning(
            "submission %s: judging message not sent (%s: %s); the sweeper sends it once the "
            "broker answers",
            submission_id,
            type(error).__name__,
            error,
        )
        Submission.objects.filter(pk=submission_id).update(message_sent=False)
        return False
    Submission.objects.filter(pk=submission_id).update(
        message_sent=True, enqueued_at=timezone.now(), enqueue_count=F("enqueue_count") + 1
    )
    return True


def regrade_item_enqueue(*, item_id: int) -> bool:
    """Send the judging message of one regrade item to the regrade queue and record whether
    it was sent; a broker that cannot be reached is logged, and the regrade sweep sends the
    message later. Returns True when the message was sent."""
    try:
        current_app.send_task(
            REGRADE_ITEM, args=(item_id,), queue=REGRADE_QUEUE, **LIMITS_FROM_THE_WORKER
        )
    except BROKER_UNREACHABLE as error:
        logger.warning("regrade item %s: message not sent (%s)", item_id, error)
        RegradeItem.objects.filter(pk=item_id).update(message_sent=False)
        return False
    RegradeItem.objects.filter(pk=item_id).update(message_sent=True, enqueued_at=timezone.now())
    return True


def messages_waiting(queue: str) -> int | None:
    """Messages waiting in ``queue`` on the broker (not those a worker holds); 0 for a queue
    the broker does not have (a Redis restarted without its data); None when the broker
    cannot be reached. A passive declare reports the count on Redis and on RabbitMQ alike."""
    try:
        with current_app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1)
            try:
                channel: Any = connection.default_channel  # kombu's stubs lack queue_declare
                declared = channel.queue_declare(queue=queue, passive=True)
            except ChannelError:
                return 0
            return int(declared.message_count)
    except BROKER_UNREACHABLE as error:
        logger.warning("queue %s: the broker cannot be reached (%s)", queue, error)
        return None
