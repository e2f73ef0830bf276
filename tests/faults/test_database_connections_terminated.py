"""The database's connections terminated (``pg_terminate_backend``, as a restart or a failover
does) under a real gunicorn and a real Celery worker on the PostgreSQL test database: the web
side answers no 5xx afterwards, and a judging running meanwhile stores its result once.

Only the test database's own backends are ended (``datname = current_database()``): the
PostgreSQL server is shared."""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from rest_framework.authtoken.models import Token

from annquiz.coding.models import CodingTask, Submission
from annquiz.coding.statuses import PENDING_STATUSES, Status
from tests.annquiz.coding.conftest import store_task
from tests.annquiz.courses.factories import QuestionFactory
from tests.factories import StudentFactory
from tests.faults import figures
from tests.faults.conftest import GUNICORN_THREADS
from tests.http_client import Client
from tests.worker import WorkerProcess
from training.solutions import parse_solution
from training.spec import spec_to_dict

pytestmark = [pytest.mark.faults, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

HANDOUT = "handout-keras"
# A NumPy judging of several seconds: 200 epochs in batches of 2.
LONG_RUN = {"epochs": 200, "batch_size": 2}
ROUNDS = 3
REQUESTS_PER_ROUND = 24
JUDGED_WITHIN_SECONDS = 60.0
TERMINATE_OTHER_BACKENDS = (
    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
)


def terminate_other_backends() -> int:
    """End every connection to the test database but this process's own; returns how many."""
    with connection.cursor() as cursor:
        cursor.execute(TERMINATE_OTHER_BACKENDS)
        (ended,) = cursor.fetchone()
    return int(ended)


def handout_task() -> CodingTask:
    return store_task(HANDOUT)


def reference_spec(task: CodingTask, **changes: object) -> dict[str, object]:
    spec = spec_to_dict(parse_solution(task.reference_kind, task.reference_source))
    spec.update(changes)
    return spec


def wait_until_finished(worker: WorkerProcess, submission_ids: list[int]) -> None:
    for submission_id in submission_ids:
        worker.wait_for(
            submission_id,
            [status for status in Status.values if status not in PENDING_STATUSES],
            JUDGED_WITHIN_SECONDS,
        )


def test_terminated_connections_give_no_5xx_and_a_running_judging_is_stored_once(
    celery_worker_process: WorkerProcess, gunicorn_url: str
) -> None:
    worker = celery_worker_process
    student = StudentFactory.create()
    token = Token.objects.create(user=student).key
    questions = QuestionFactory.create_batch(4, max_attempts=1000)
    task = handout_task()
    clients = [Client(gunicorn_url, token) for _ in range(GUNICORN_THREADS)]
    submitted: list[int] = []

    def request(number: int) -> None:
        client = clients[number % GUNICORN_THREADS]
        question = questions[number % len(questions)]
        if number % 3 == 0:
            client.call(
                "POST", f"/api/v1/questions/{question.pk}/answers/", {"response": {"choice": "b"}}
            )
        elif number % 3 == 1:
            client.call("GET", f"/api/v1/tasks/{task.slug}/")
        else:
            client.call("GET", "/api/v1/me/progress/")

    def burst(round_number: int) -> None:
        """Requests from every client at once, so that every gunicorn thread holds a
        connection, and one submission under an Idempotency-Key."""
        with ThreadPoolExecutor(GUNICORN_THREADS) as pool:
            list(pool.map(request, range(REQUESTS_PER_ROUND)))
        status, body = clients[0].call(
            "POST",
            f"/api/v1/tasks/{task.slug}/submissions/",
            # A new network each round (a comment makes it one), not the same one sent again.
            {"keras": f"{task.reference_source}\n# round {round_number}\n"},
            headers={"Idempotency-Key": f"round-{round_number}"},
        )
        assert status == 202, body
        submitted.append(body["id"])
        wait_until_finished(worker, submitted)

    burst(0)
    ended = []
    for round_number in range(1, ROUNDS + 1):
        ended.append(terminate_other_backends())
        burst(round_number)

    status, body = clients[0].call(
        "POST",
        f"/api/v1/tasks/{task.slug}/submissions/",
        {"spec": reference_spec(task, **LONG_RUN)},
    )
    assert status == 202, body
    long_id = body["id"]
    worker.wait_for(
        long_id,
        [Status.RUNNING],
        30,
        condition=lambda submission: bool(submission.progress),
    )
    # Terminated again and again while it trains, until (and while) it stores its result.
    terminating_from = time.monotonic()
    deadline = time.monotonic() + JUDGED_WITHIN_SECONDS
    while (
        Submission.objects.get(pk=long_id).status == Status.RUNNING and time.monotonic() < deadline
    ):
        ended.append(terminate_other_backends())
        time.sleep(0.2)
    stored_after = time.monotonic() - terminating_from
    burst(ROUNDS + 1)
    submitted.append(long_id)
    wait_until_finished(worker, submitted)

    statuses = sum((client.statuses for client in clients), Counter())
    errors = [error for client in clients for error in client.server_errors]
    print(
        f"{sum(statuses.values())} requests, statuses {dict(sorted(statuses.items()))}, "
        f"backends ended {ended}"
    )
    assert errors == [], "\n".join(errors[:10])
    assert all(count >= 1 for count in ended[:ROUNDS]), ended
    judged = Submission.objects.filter(pk__in=submitted).order_by("pk")
    assert [(s.status, s.worker_attempts) for s in judged] == [(Status.PASSED, 1)] * len(submitted)
    long_run = judged.get(pk=long_id)
    assert long_run.result is not None and long_run.result["verdict"] == "passed"
    log = worker.log_text()
    assert "progress not written (connection lost)" in log, log[-3000:]
    assert log.count("succeeded in") == len(submitted), log[-3000:]
    worker.assert_alive()
    figures.record(
        "database-connections-terminated",
        title="The database's connections terminated (pg_terminate_backend, test database only)",
        bound="no 5xx; each judging stored once; long run stored within 60 s",
        requests=sum(statuses.values()),
        server_errors=len(errors),
        terminations=len(ended),
        backends_ended=sum(ended),
        long_run_stored_after_s=stored_after,
        submissions=len(submitted),
        **figures.latency_figures(list(judged)),
    )
