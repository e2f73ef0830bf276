"""kill -9 of the pool process judging a submission: the submission is judged again within
seconds, ahead of the newer work queued behind it, and has one result."""

from __future__ import annotations

import time

import psutil
import pytest

from annquiz.coding.models import Submission
from annquiz.coding.statuses import Status
from tests.annquiz.coding.conftest import store_task
from tests.faults import figures
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

REGRADED_WITHIN = 15.0
NEWER = 6
# Long enough to be killed mid-training (a few seconds), short enough to judge again in time.
KILLED_RUN = {"epochs": 100, "batch_size": 2}


def test_a_killed_pool_child_is_judged_again_at_once_ahead_of_newer_work(
    celery_stack: CeleryStack,
) -> None:
    # The default lease (20 s): the regrade must not wait for it to run out.
    worker = celery_stack.start_worker(WorkerOptions(concurrency=1))
    task = store_task(HANDOUT)
    killed_id = submit(student_api(), task, {"spec": reference_spec(task, **KILLED_RUN)})
    worker.wait_for(
        killed_id,
        [Status.RUNNING],
        60,
        condition=lambda row: row.progress.get("epoch", 0) >= 1,
    )
    newer = [submit(student_api(), task, tiny(task, n)) for n in range(NEWER)]

    (child,) = worker.pool_pids()
    psutil.Process(child).kill()
    killed_at = time.monotonic()
    regraded = worker.wait_for(killed_id, [Status.PASSED], 60)
    recovery = time.monotonic() - killed_at

    rows = wait_all_final([killed_id, *newer], 120, [worker])
    judged_once(rows)
    assert regraded.worker_attempts == 2
    assert regraded.started_at is not None and regraded.finished_at is not None
    judging = (regraded.finished_at - regraded.started_at).total_seconds()
    assert recovery <= REGRADED_WITHIN, (recovery, judging)
    later = Submission.objects.filter(pk__in=newer)
    assert all(row.started_at is not None and row.started_at > regraded.started_at for row in later)
    assert [row.worker_attempts for row in later] == [1] * NEWER
    # One result per submission, though the killed child's message came back as well.
    assert len(results_logged(worker)) == NEWER + 1, worker.log_tail()
    (replacement,) = worker.pool_pids()
    assert replacement != child
    figures.record(
        "pool-child-killed",
        title=f"kill -9 of the pool child mid-judging, {NEWER} newer submissions queued",
        bound=f"regraded within {REGRADED_WITHIN:g} s, ahead of newer work",
        recovery_s=recovery,
        regrade_judging_s=judging,
        submissions=len(rows),
        **figures.latency_figures(rows),
    )
