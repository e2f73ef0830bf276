"""Work for the fault tests: students, submissions through the API, waiting for results."""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from typing import Any

import pytest
from rest_framework.test import APIClient

from annquiz.coding.models import CodingTask, Submission
from annquiz.coding.statuses import FINISHED_STATUSES, JUDGED_STATUSES
from tests.factories import StudentFactory
from tests.worker import WorkerProcess
from training.solutions import parse_solution
from training.spec import spec_to_dict

HANDOUT = "handout-keras"
# A NumPy judging of several seconds within the task's limits: 200 epochs in batches of 2.
LONG_RUN = {"epochs": 200, "batch_size": 2}
SUCCEEDED = re.compile(
    r"Task annquiz\.coding\.grade_submission\[[0-9a-f-]+\] succeeded in [^:]+: (.*)"
)


def student_api() -> APIClient:
    client = APIClient()
    client.force_authenticate(user=StudentFactory.create())
    return client


def reference_spec(task: CodingTask, **changes: Any) -> dict[str, Any]:
    spec = spec_to_dict(parse_solution(task.reference_kind, task.reference_source))
    spec.update(changes)
    return spec


def tiny(task: CodingTask, number: int) -> dict[str, Any]:
    """The task's reference snippet (a judging of well under a second), made a new network
    by a comment: the same network sent again would get the earlier verdict instead."""
    return {"keras": f"{task.reference_source}\n# submission {number}\n"}


def submit(api: APIClient, task: CodingTask, body: dict[str, Any]) -> int:
    response = api.post(f"/api/v1/tasks/{task.slug}/submissions/", body, format="json")
    assert response.status_code == 202, response.content
    submission_id: int = response.json()["id"]
    return submission_id


def wait_all_final(
    ids: Iterable[int], timeout: float, workers: Iterable[WorkerProcess] = ()
) -> list[Submission]:
    """The submissions, once every one of them has its final status."""
    wanted = list(ids)
    deadline = time.monotonic() + timeout
    while True:
        rows = list(Submission.objects.filter(pk__in=wanted).order_by("pk"))
        if len(rows) == len(wanted) and all(row.status in FINISHED_STATUSES for row in rows):
            return rows
        if time.monotonic() > deadline:
            pending = [(row.pk, row.status) for row in rows if row.status not in FINISHED_STATUSES]
            logs = "\n".join(worker.log_tail()[-2000:] for worker in workers)
            pytest.fail(f"not final within {timeout} s: {pending}\n{logs}")
        for worker in workers:
            worker.assert_alive()
        time.sleep(0.1)


def judged_once(rows: Iterable[Submission]) -> None:
    """Every submission has exactly one judged result: a verdict of the network, with a
    result and a finish time, none of them a failure of the service."""
    for row in rows:
        assert row.status in JUDGED_STATUSES, (row.pk, row.status, row.message)
        assert row.result is not None and row.result["verdict"] == row.status, row.pk
        assert row.finished_at is not None and row.counts_as_attempt


def results_logged(*workers: WorkerProcess) -> list[str]:
    """The return value of every finished judging task, from the workers' logs."""
    return [value for worker in workers for value in SUCCEEDED.findall(worker.log_text())]
