"""No student holds the workers, and nothing holds the sweeper: with real Celery workers.

One student floods the queue and another's one submission is still judged at its first
chance; the sweeper, on its own queue and light worker, recovers a lost message while every
grading worker is busy. Submissions go through the API; the workers are real
``celery worker`` processes (``tests/worker.py``) on the test's PostgreSQL database.
"""

from __future__ import annotations

import json
import re
import statistics
import time
from typing import TYPE_CHECKING, Any

import pytest
from rest_framework.test import APIClient

from annquiz.coding.models import CodingTask, Submission
from annquiz.coding.statuses import JUDGED_STATUSES, Status
from annquiz.core.processes import MAINTENANCE_QUEUES
from tests.annquiz.coding.conftest import store_task
from tests.factories import StudentFactory
from tests.worker import FAST_SWEEP, CeleryStack, WorkerOptions
from training.solutions import parse_solution
from training.spec import spec_to_dict

if TYPE_CHECKING:
    from pytest_django.fixtures import Settings

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

HANDOUT = "handout-keras"
FINISHED = [*JUDGED_STATUSES, Status.TIMED_OUT, Status.ERROR]
FLOOD = 10


def api_for_new_student(username: str) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=StudentFactory.create(username=username))
    return client


def submit_spec(api: APIClient, task: CodingTask, **changes: Any) -> int:
    spec = spec_to_dict(parse_solution(task.reference_kind, task.reference_source))
    spec.update(changes)
    response = api.post(
        f"/api/v1/tasks/{task.slug}/submissions/",
        json.dumps({"spec": spec}),
        content_type="application/json",
    )
    assert response.status_code == 202, response.content
    submission_id: int = response.json()["id"]
    return submission_id


def wait_all_finished(ids: list[int], timeout: float) -> list[Submission]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = list(Submission.objects.filter(pk__in=ids))
        if all(row.status in FINISHED for row in rows):
            return rows
        time.sleep(0.2)
    pytest.fail(f"not all of {ids} finished within {timeout} s")


def latency(submission: Submission) -> float:
    assert submission.finished_at is not None
    return (submission.finished_at - submission.created_at).total_seconds()


def test_one_students_flood_does_not_hold_up_another_students_submission(
    celery_stack: CeleryStack, settings: Settings
) -> None:
    settings.ANNQUIZ_MAX_ACTIVE_SUBMISSIONS_PER_STUDENT = FLOOD
    settings.ANNQUIZ_SUBMISSION_RATE_LIMIT = FLOOD + 5
    task = store_task(HANDOUT)
    alice, bob = api_for_new_student("alice"), api_for_new_student("bob")
    worker = celery_stack.start_worker(WorkerOptions(concurrency=1))

    # Bob's normal latency: one submission and an idle worker.
    alone = worker.wait_for(submit_spec(bob, task, epochs=40), FINISHED, 120)
    assert alone.status == Status.PASSED, alone.message

    # Alice floods (each a different network, so each is judged), then Bob submits one.
    flood = [submit_spec(alice, task, epochs=41 + n) for n in range(FLOOD)]
    worker.wait_for(flood[0], [Status.RUNNING, *FINISHED], 120)
    bobs = submit_spec(bob, task, epochs=60)
    rows = {row.pk: row for row in wait_all_finished([*flood, bobs], 600)}

    his = rows[bobs]
    hers = [rows[pk] for pk in flood]
    assert his.status == Status.PASSED, his.message
    assert his.started_at is not None
    # Bob's submission was claimed at the first chance: at most the one of Alice's that a
    # worker was taking as it arrived started between its arrival and its own start...
    started_between = [
        row.pk
        for row in hers
        if row.started_at is not None and his.created_at < row.started_at < his.started_at
    ]
    assert len(started_between) <= 1, started_between
    # ... so it was judged before most of hers (first in, first out would put it last).
    assert his.finished_at is not None
    after = [
        row.pk for row in hers if row.finished_at is not None and row.finished_at > his.finished_at
    ]
    assert len(after) >= 7, after
    judging_s = [
        (row.finished_at - row.started_at).total_seconds()
        for row in hers
        if row.finished_at and row.started_at
    ]
    # Within its normal latency: its own judging, plus what was running when it arrived.
    assert latency(his) <= latency(alone) + max(judging_s) + 5.0, (
        latency(his),
        latency(alone),
        judging_s,
    )
    print(
        f"\nflood latencies: bob alone {latency(alone):.2f} s; bob during the flood "
        f"{latency(his):.2f} s; alice's median {statistics.median(map(latency, hers)):.2f} s, "
        f"max {max(map(latency, hers)):.2f} s; one judging {statistics.median(judging_s):.2f} s"
    )


def test_the_sweeper_runs_while_every_grading_worker_is_busy(celery_stack: CeleryStack) -> None:
    settings_env = {**FAST_SWEEP, "ANNQUIZ_GRADE_LEASE_SECONDS": "15"}
    task = store_task(HANDOUT)
    grading = celery_stack.start_worker(WorkerOptions(concurrency=1, env=settings_env))
    maintenance = celery_stack.start_worker(
        WorkerOptions(queues=MAINTENANCE_QUEUES, beat=True, pool="solo", env=settings_env)
    )
    long = submit_spec(api_for_new_student("alice"), task, **LONG_RUN)
    grading.wait_for(long, [Status.RUNNING], 120)

    lost = submit_spec(api_for_new_student("bob"), task)
    assert celery_stack.drop_queue("numpy") == 1  # its message is lost

    # The sweeper sends it a new message while the one grading worker is still busy.
    deadline = time.monotonic() + 60
    while Submission.objects.get(pk=lost).enqueue_count < 2:
        assert time.monotonic() < deadline, maintenance.log_tail()
        maintenance.assert_alive()
        time.sleep(0.2)
    assert Submission.objects.get(pk=long).status == Status.RUNNING
    # The sweep that sent it may have sent others too (a loaded machine can let the long
    # run's heartbeat lapse): what matters is that the maintenance worker sent this one.
    resent = re.findall(r"re-enqueued \[([0-9, ]*)\]", maintenance.log_text())
    assert any(str(lost) in ids.split(", ") for ids in resent), maintenance.log_tail()
    assert "Task annquiz.coding.sweep_submissions[" not in grading.log_text()

    rows = wait_all_finished([long, lost], 240)
    assert {row.status for row in rows} == {Status.PASSED}


# A NumPy judging of many seconds that is still admitted: 200 epochs one row at a time.
LONG_RUN = {"epochs": 200, "batch_size": 1}
