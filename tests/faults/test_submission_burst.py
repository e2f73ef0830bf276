"""A burst: 300 submissions from 30 students within one minute, over HTTP to gunicorn, judged
by a real worker. Refusals are 429 with Retry-After (the cap on a student's active
submissions, the rate limit), nothing is a 5xx, and every accepted submission is judged once.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from rest_framework.authtoken.models import Token

from annquiz.core.processes import MAINTENANCE_QUEUES
from tests.annquiz.coding.conftest import store_task
from tests.factories import StudentFactory
from tests.faults import figures
from tests.faults.work import HANDOUT, judged_once, tiny, wait_all_final
from tests.http_client import Client
from tests.worker import CeleryStack, WorkerOptions

pytestmark = [pytest.mark.faults, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

STUDENTS = 30
EACH = 10
MINUTE = 60.0
# Each student sends its first few at once (a burst past the cap of 3 active), the rest
# spread over the minute.
AT_ONCE = 4


def test_a_burst_of_300_submissions_is_refused_politely_and_loses_nothing(
    celery_stack: CeleryStack, gunicorn_url: str
) -> None:
    maintenance = celery_stack.start_worker(
        WorkerOptions(queues=MAINTENANCE_QUEUES, beat=True, pool="solo")
    )
    worker = celery_stack.start_worker(WorkerOptions(concurrency=2))
    task = store_task(HANDOUT)
    clients = [
        Client(gunicorn_url, Token.objects.create(user=StudentFactory.create()).key)
        for _ in range(STUDENTS)
    ]
    accepted: list[int] = []
    refusals: list[str | None] = []
    started = time.monotonic()

    def student_sends(number: int) -> None:
        client = clients[number]
        rng = random.Random(number)
        offsets = sorted(
            [0.0] * AT_ONCE + [rng.uniform(0, MINUTE - 5) for _ in range(EACH - AT_ONCE)]
        )
        for attempt, offset in enumerate(offsets):
            time.sleep(max(0.0, started + offset - time.monotonic()))
            status, body = client.call(
                "POST",
                f"/api/v1/tasks/{task.slug}/submissions/",
                tiny(task, number * EACH + attempt),
            )
            if status == 202:
                accepted.append(body["id"])
            elif status == 429:
                refusals.append(client.last_headers.get("Retry-After"))
            else:
                pytest.fail(f"{status}: {body}")

    with ThreadPoolExecutor(STUDENTS) as pool:
        list(pool.map(student_sends, range(STUDENTS)))
    sent_in = time.monotonic() - started

    rows = wait_all_final(accepted, 300, [worker, maintenance])
    statuses = sum((client.statuses for client in clients), Counter())
    errors = [error for client in clients for error in client.server_errors]
    assert errors == [], errors[:5]
    assert sum(statuses.values()) == STUDENTS * EACH
    assert set(statuses) <= {202, 429}, statuses
    assert refusals and all(value and float(value) > 0 for value in refusals), refusals[:5]
    judged_once(rows)
    assert len({row.pk for row in rows}) == len(accepted)
    figures.record(
        "submission-burst",
        title=f"{STUDENTS * EACH} submissions from {STUDENTS} students in one minute "
        "(gunicorn, 1 worker process x 4 threads; 2 judging processes)",
        bound="no 5xx; every refusal 429 with Retry-After; every accepted one judged once",
        sent_in_s=sent_in,
        accepted=statuses[202],
        refused_429=statuses[429],
        server_errors=len(errors),
        **figures.latency_figures(rows),
    )
