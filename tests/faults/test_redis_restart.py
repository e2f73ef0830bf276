"""The broker restarted with 20 submissions queued: a private redis-server (never the
machine's shared one), without persistence, so every waiting message is lost. Submissions
made while it is down are stored (202) and sent once it answers. Every submission is judged
within a minute of the broker's return, with the production sweep interval (10 s) and the
production queued deadline (300 s), so the recovery owes nothing to the deadline."""

from __future__ import annotations

import time

import pytest
from django.utils import timezone

from annquiz.coding.models import Submission
from annquiz.coding.statuses import Status
from annquiz.core.processes import MAINTENANCE_QUEUES
from tests.annquiz.coding.conftest import store_task
from tests.faults import figures
from tests.faults.conftest import PrivateRedis
from tests.faults.work import (
    HANDOUT,
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

QUEUED = 20
WHILE_DOWN = 3
RECOVERED_WITHIN = 60.0
DOWN_SECONDS = 5.0
# A judging long enough to keep the one grading process busy while the queue fills up.
BUSY_RUN = {"epochs": 200, "batch_size": 2}


def test_every_queued_submission_is_judged_within_a_minute_of_the_brokers_return(
    private_redis_stack: tuple[CeleryStack, PrivateRedis],
) -> None:
    stack, server = private_redis_stack
    settings_env = {"ANNQUIZ_SWEEP_INTERVAL": "10", "ANNQUIZ_GRADE_QUEUED_DEADLINE": "300"}
    maintenance = stack.start_worker(
        WorkerOptions(queues=MAINTENANCE_QUEUES, beat=True, pool="solo", env=settings_env)
    )
    worker = stack.start_worker(WorkerOptions(concurrency=2, env=settings_env))
    task = store_task(HANDOUT)
    students = [student_api() for _ in range(QUEUED // 2 + WHILE_DOWN)]
    busy = [submit(students[n], task, {"spec": reference_spec(task, **BUSY_RUN)}) for n in (0, 1)]
    for submission_id in busy:
        worker.wait_for(submission_id, [Status.RUNNING], 60)
    queued = [submit(students[n // 2], task, tiny(task, n)) for n in range(QUEUED)]
    assert stack.queue_length("numpy") >= QUEUED - 2, stack.queue_length("numpy")

    server.stop()
    down_from = time.monotonic()
    during = [
        submit(students[QUEUED // 2 + n], task, tiny(task, 100 + n)) for n in range(WHILE_DOWN)
    ]
    unsent = Submission.objects.filter(pk__in=during)
    assert [row.message_sent for row in unsent] == [False] * WHILE_DOWN
    time.sleep(max(0.0, DOWN_SECONDS - (time.monotonic() - down_from)))
    server.start()
    back_at = time.monotonic()
    back_moment = timezone.now()

    everything = [*busy, *queued, *during]
    rows = wait_all_final(everything, 180, [worker, maintenance])
    recovery = time.monotonic() - back_at

    judged_once(rows)
    assert recovery <= RECOVERED_WITHIN, recovery
    assert len([r for r in results_logged(worker) if r != "None"]) <= len(everything)
    assert all(row.worker_attempts == 1 for row in rows), [row.worker_attempts for row in rows]
    assert all(row.message_sent for row in Submission.objects.filter(pk__in=during))
    after_return = [row for row in rows if row.pk not in busy]
    assert all(row.finished_at and row.finished_at > back_moment for row in after_return)
    figures.record(
        "redis-restart",
        title=f"Redis restarted (down {DOWN_SECONDS:g} s, no persistence) with {QUEUED} queued; "
        f"{WHILE_DOWN} submitted while it was down",
        bound=f"all judged within {RECOVERED_WITHIN:g} s of the broker's return",
        recovery_s=recovery,
        submissions=len(rows),
        **figures.latency_figures(after_return),
    )
