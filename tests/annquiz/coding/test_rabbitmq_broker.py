"""Judging through RabbitMQ: ``CELERY_BROKER_URL=amqp://…`` (docs/deployment.md, "RabbitMQ").

A real ``celery worker`` on the test database consumes from RabbitMQ at ``ANNQUIZ_TEST_AMQP_URL``
(default ``amqp://guest:guest@127.0.0.1:5672//``), while Redis (a private database, as in the
other worker tests) keeps only the workers' heartbeats. The test process's Celery app
publishes to RabbitMQ too, so a submission made through the API is queued there.

The broker is shared with whatever else uses it: when ``rabbitmqctl`` can be run (the server
on this machine), the test makes a virtual host of its own and deletes it afterwards;
otherwise it purges the queues it uses before and after. Without a RabbitMQ answering, the
test is skipped, except with ``CI=true``, where it fails.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import urllib.parse
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from kombu import Connection, Queue
from rest_framework.test import APIClient

from annquiz.celery import app
from annquiz.coding.statuses import JUDGED_STATUSES, Status
from annquiz.core.processes import WORKER_QUEUES, redact_url
from tests.annquiz.coding.conftest import store_task
from tests.factories import StudentFactory
from tests.worker import CeleryStack, WorkerOptions, point_app_at, skip_or_fail

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672//"
GRADE_TIMEOUT = 60.0


def amqp_server_url() -> str:
    return os.environ.get("ANNQUIZ_TEST_AMQP_URL", "").strip() or DEFAULT_AMQP_URL


def broker_error(url: str) -> str | None:
    """Why the AMQP broker at ``url`` cannot be used, or None when it answers."""
    connection = Connection(url, connect_timeout=3)
    try:
        connection.ensure_connection(max_retries=1, timeout=3)
    except Exception as error:  # kombu raises the transport's own errors
        return f"{type(error).__name__}: {error}"
    finally:
        connection.release()
    return None


def rabbitmqctl(*arguments: str) -> str:
    completed = subprocess.run(
        ["rabbitmqctl", "-q", *arguments], capture_output=True, text=True, timeout=60, check=True
    )
    return completed.stdout


def with_vhost(url: str, vhost: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path="/" + urllib.parse.quote(vhost, safe="")))


@dataclass
class Broker:
    url: str
    vhost: str | None  # our own virtual host, or None when sharing the URL's and purging

    def queue_depths(self) -> dict[str, int]:
        """Messages ready in each queue of our virtual host (rabbitmqctl), else {}."""
        if self.vhost is None:
            return {}
        depths = {}
        for line in rabbitmqctl("list_queues", "-p", self.vhost, "name", "messages").splitlines():
            name, _, count = line.strip().rpartition("\t")
            if name and count.isdigit():
                depths[name] = int(count)
        return depths


def purge(url: str) -> None:
    """Empty the judging queues at ``url`` (one that does not exist yet has nothing)."""
    with Connection(url, connect_timeout=3) as connection:
        for name in WORKER_QUEUES:
            with contextlib.suppress(*connection.channel_errors):
                Queue(name, channel=connection.channel()).purge()


@pytest.fixture
def rabbitmq(celery_stack: CeleryStack) -> Iterator[Broker]:
    server = amqp_server_url()
    error = broker_error(server)
    if error is not None:
        skip_or_fail(f"no RabbitMQ answers at {redact_url(server)} ({error})")
    vhost = None
    if shutil.which("rabbitmqctl") and os.geteuid() == 0:
        vhost = f"annquiz-test-{uuid.uuid4().hex[:10]}"
        rabbitmqctl("add_vhost", vhost)
        user = urllib.parse.urlsplit(server).username or "guest"
        rabbitmqctl("set_permissions", "-p", vhost, user, ".*", ".*", ".*")
        broker = Broker(url=with_vhost(server, vhost), vhost=vhost)
    else:
        broker = Broker(url=server, vhost=None)
        purge(server)
    point_app_at(app, broker.url)
    try:
        yield broker
    finally:
        celery_stack.stop_all()  # before the virtual host goes
        point_app_at(app, celery_stack.broker_url)
        if vhost is not None:
            rabbitmqctl("delete_vhost", vhost)
        else:
            purge(server)


def test_a_submission_is_judged_through_rabbitmq(
    celery_stack: CeleryStack, rabbitmq: Broker
) -> None:
    worker = celery_stack.start_worker(
        WorkerOptions(env={"CELERY_BROKER_URL": rabbitmq.url}, queues=("numpy",))
    )
    assert "amqp://" in worker.log_text()
    task = store_task("handout-keras")
    api = APIClient()
    api.force_authenticate(user=StudentFactory.create())

    response = api.post(
        f"/api/v1/tasks/{task.slug}/submissions/",
        {"keras": task.reference_source},
        format="json",
    )
    assert response.status_code == 202, response.content
    submission = worker.wait_for(
        response.json()["id"], [*JUDGED_STATUSES, Status.TIMED_OUT, Status.ERROR], GRADE_TIMEOUT
    )

    assert submission.status == Status.PASSED, submission.message
    assert api.get(response.json()["url"]).json()["result"]["verdict"] == "passed"
    # The message went through RabbitMQ, not Redis: Redis holds no queue, only heartbeats.
    assert not celery_stack.redis.exists("numpy", "_kombu.binding.numpy")
    assert celery_stack.redis.keys("annquiz:worker:*")
    if rabbitmq.vhost is not None:
        assert rabbitmq.queue_depths().get("numpy") == 0  # declared there, and drained
