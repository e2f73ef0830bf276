"""Regrades through a real Celery worker of the "regrade" queue (``tests/worker.py``): the
dry run is judged there and changes no grade, applying it does; the live worker never takes
a regrade's messages, and an item whose worker process died is judged again."""

from __future__ import annotations

import copy
import json
import time

import pytest
from django.contrib.auth.models import User

from annquiz.coding.models import (
    CodingTask,
    GradeHistory,
    RegradeItem,
    RegradeItemStatus,
    RegradeRun,
    RegradeRunStatus,
    RegradeScope,
    Submission,
)
from annquiz.coding.regrading import regrade_run_apply, regrade_run_start
from annquiz.coding.statuses import Status
from annquiz.core.processes import REGRADE_QUEUES
from annquiz.enrolment.models import Offering
from tests.annquiz.coding.conftest import store_task
from tests.annquiz.coding.regrade_helpers import judged_submission
from tests.annquiz.coding.test_worker_integration import LONG_RUN, kill_pool_child, reference_spec
from tests.annquiz.courses.factories import default_offering
from tests.factories import InstructorFactory, StudentFactory
from tests.worker import SHORT_LEASE, CeleryStack, WorkerOptions, WorkerProcess

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

REGRADE_TIMEOUT = 90.0


def _wait_until_judged(run: RegradeRun, worker: WorkerProcess, timeout: float) -> RegradeRun:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.status == RegradeRunStatus.READY:
            return run
        worker.assert_alive()
        time.sleep(0.1)
    items = list(RegradeItem.objects.filter(run=run).values("status", "new_message"))
    pytest.fail(f"the regrade was not judged within {timeout} s ({items}):\n{worker.log_tail()}")


def _threshold(task: CodingTask, threshold: float) -> None:
    definition = copy.deepcopy(task.definition)
    definition["checks"][0]["params"]["threshold"] = threshold
    CodingTask.objects.filter(pk=task.pk).update(definition=definition)


@pytest.fixture
def instructor() -> User:
    return InstructorFactory.create()


def test_a_dry_run_and_its_regrade_complete_on_the_regrade_queue(
    celery_stack: CeleryStack, instructor: User
) -> None:
    task = store_task("handout-keras")
    assert task.course is not None
    offering: Offering = default_offering(task.course)
    alice, bob = StudentFactory.create(), StudentFactory.create()
    # The reference reaches 0.72: stored as passed, it fails a threshold of 0.99.
    changes = judged_submission(task, alice, offering, status=Status.PASSED)
    stays = judged_submission(task, bob, offering, status=Status.FAILED)
    _threshold(task, 0.99)
    live = celery_stack.start_worker(WorkerOptions())

    run = regrade_run_start(
        task=task, offering=offering, scope=RegradeScope.ALL, started_by=instructor
    )

    # The live worker serves the judging queues only: the regrade waits in its own queue.
    time.sleep(1.0)
    assert celery_stack.queue_length("regrade") == 2
    assert set(RegradeItem.objects.values_list("status", flat=True)) == {RegradeItemStatus.QUEUED}
    live.stop()
    worker = celery_stack.start_worker(WorkerOptions(queues=REGRADE_QUEUES))
    run = _wait_until_judged(run, worker, REGRADE_TIMEOUT)

    proposed = dict(RegradeItem.objects.values_list("submission_id", "new_status"))
    assert proposed == {changes.pk: Status.FAILED, stays.pk: Status.FAILED}
    assert dict(Submission.objects.values_list("pk", "status")) == {
        changes.pk: Status.PASSED,
        stays.pk: Status.FAILED,
    }
    assert not GradeHistory.objects.exists()
    assert "annquiz.coding.regrade_item" in worker.log_text()

    applied = regrade_run_apply(run_id=run.pk, applied_by=instructor)

    assert applied.applied == 2  # one verdict changed, one result with the new threshold
    changes.refresh_from_db()
    assert changes.status == Status.FAILED
    assert changes.result is not None and changes.result["verdict"] == Status.FAILED
    entry = GradeHistory.objects.get(submission=changes)
    assert (entry.old_status, entry.new_status, entry.seeds) == (
        Status.PASSED,
        Status.FAILED,
        [0, 1, 2],
    )


def test_an_item_whose_worker_process_died_is_judged_again(
    celery_stack: CeleryStack, instructor: User
) -> None:
    task = store_task("handout-keras")
    assert task.course is not None
    offering = default_offering(task.course)
    spec = json.dumps(reference_spec(task, **LONG_RUN))
    submission = judged_submission(
        task, StudentFactory.create(), offering, status=Status.PASSED, source=spec, kind="json"
    )
    worker = celery_stack.start_worker(WorkerOptions(queues=REGRADE_QUEUES, env=SHORT_LEASE))
    run = regrade_run_start(
        task=task, offering=offering, scope=RegradeScope.ALL, started_by=instructor
    )
    deadline = time.monotonic() + 30
    while not RegradeItem.objects.filter(run=run, status=RegradeItemStatus.RUNNING).exists():
        assert time.monotonic() < deadline, worker.log_tail()
        time.sleep(0.05)

    kill_pool_child(worker)
    run = _wait_until_judged(run, worker, REGRADE_TIMEOUT)

    item = RegradeItem.objects.get(run=run)
    assert item.status == RegradeItemStatus.DONE, item.new_message
    assert item.worker_attempts == 2
    assert item.new_status in (Status.PASSED, Status.FAILED, Status.DIVERGED)
    submission.refresh_from_db()
    assert submission.status == Status.PASSED
