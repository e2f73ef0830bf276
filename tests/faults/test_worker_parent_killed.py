"""kill -9 of a grading worker's main process mid-judging, then what ``manage.py serve`` does:
kill what is left of its process group and start it again. Every submission ends with one
result; the killed worker's unacknowledged message, which Redis would hand out again only
after its visibility timeout (an hour), is not needed, and when it does come back late it
judges nothing twice."""

from __future__ import annotations

import json
import os
import signal
import time
from typing import Any

import pytest

from annquiz.celery import app
from annquiz.coding.models import Submission
from annquiz.coding.statuses import Status
from annquiz.coding.submitting import attempts_used
from annquiz.core.processes import MAINTENANCE_QUEUES
from tests.annquiz.coding.conftest import store_task
from tests.faults import figures
from tests.faults.conftest import kill_process_group
from tests.faults.work import (
    HANDOUT,
    LONG_RUN,
    judged_once,
    reference_spec,
    results_logged,
    student_api,
    submit,
    tiny,
    wait_all_final,
)
from tests.worker import CeleryStack, WorkerOptions

pytestmark = [pytest.mark.faults, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

# A short lease and sweep, so that the sweeper's resend is seen within the test.
SETTINGS = {"ANNQUIZ_GRADE_LEASE_SECONDS": "4", "ANNQUIZ_SWEEP_INTERVAL": "2"}
RECOVERED_WITHIN = 30.0
# As manage.py serve's supervisor: restart a dead child after a second.
RESTART_DELAY = 1.0


def unacked_tags(stack: CeleryStack) -> list[str]:
    """Delivery tags of the messages Redis holds as delivered but not acknowledged."""
    return [tag.decode() if isinstance(tag, bytes) else tag for tag in stack.redis.hkeys("unacked")]


def unacked_arguments(stack: CeleryStack, tag: str) -> str:
    """The arguments of the task an unacknowledged message holds, as Celery shows them."""
    message, _exchange, _routing_key = json.loads(stack.redis.hget("unacked", tag) or "null")
    arguments: str = message["headers"]["argsrepr"]
    return arguments


def test_a_killed_worker_parent_loses_no_submission_and_its_stale_message_judges_nothing_twice(
    celery_stack: CeleryStack,
) -> None:
    maintenance = celery_stack.start_worker(
        WorkerOptions(queues=MAINTENANCE_QUEUES, beat=True, pool="solo", env=SETTINGS)
    )
    worker = celery_stack.start_worker(WorkerOptions(concurrency=1, env=SETTINGS))
    task = store_task(HANDOUT)
    running_api = student_api()
    running = submit(running_api, task, {"spec": reference_spec(task, **LONG_RUN)})
    worker.wait_for(
        running, [Status.RUNNING], 60, condition=lambda row: row.progress.get("epoch", 0) >= 1
    )
    queued = [submit(student_api(), task, tiny(task, n)) for n in range(2)]
    (stranded,) = unacked_tags(celery_stack)
    assert unacked_arguments(celery_stack, stranded) == f"({running},)"

    os.kill(worker.pid, signal.SIGKILL)
    killed_at = time.monotonic()
    worker.process.wait(timeout=10)
    time.sleep(RESTART_DELAY)
    kill_process_group(worker.pid)
    restarted = celery_stack.start_worker(WorkerOptions(concurrency=1, env=SETTINGS))

    rows = wait_all_final([running, *queued], 120, [restarted, maintenance])
    recovery = time.monotonic() - killed_at
    judged_once(rows)
    assert recovery <= RECOVERED_WITHIN, recovery
    # Three submissions, and only the two queued ones' messages in the queue: the sweeper
    # sent the missing turn. The killed worker's message is still held in Redis,
    # unacknowledged: nothing needed it.
    assert "sweeper: re-enqueued" in maintenance.log_text(), maintenance.log_tail()
    assert stranded in unacked_tags(celery_stack)
    taken_over = Submission.objects.get(pk=running)
    assert taken_over.worker_attempts == 2
    before = {
        row.pk: (row.status, row.result, row.finished_at, row.worker_attempts, row.claim_token)
        for row in Submission.objects.filter(pk__in=[running, *queued])
    }
    used = attempts_used(student=taken_over.student, task=task)
    results = results_logged(restarted)

    # The visibility timeout runs out at last: Redis hands the stale message out again.
    with app.connection_for_write() as connection:
        channel: Any = connection.default_channel  # kombu's Redis channel, with its QoS
        channel.qos.restore_by_tag(stranded)
    deadline = time.monotonic() + 20
    while celery_stack.queue_length("numpy") or stranded in unacked_tags(celery_stack):
        assert time.monotonic() < deadline, restarted.log_tail()
        time.sleep(0.2)
    time.sleep(1.0)  # room for a second result, were one to be stored

    after = {
        row.pk: (row.status, row.result, row.finished_at, row.worker_attempts, row.claim_token)
        for row in Submission.objects.filter(pk__in=[running, *queued])
    }
    assert after == before
    assert attempts_used(student=taken_over.student, task=task) == used == 1
    # The stale message ran, and found nothing to judge.
    assert results_logged(restarted) == [*results, "None"]
    figures.record(
        "worker-parent-killed",
        title="kill -9 of the grading worker's main process mid-judging, 2 submissions queued",
        bound=f"all judged within {RECOVERED_WITHIN:g} s of the kill; the stale message "
        "delivered late changes nothing",
        recovery_s=recovery,
        submissions=len(rows),
        **figures.latency_figures(rows),
    )
