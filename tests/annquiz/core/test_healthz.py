from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import redis
from django.db import OperationalError, connection
from django.test import Client

from annquiz.core.worker_presence import KEY_PREFIX, forget_worker, record_heartbeat, workers_online

if TYPE_CHECKING:
    from pytest_django.fixtures import Settings

pytestmark = pytest.mark.django_db


def test_healthz_reports_ok_when_database_and_broker_answer(
    client: Client, settings: Settings, embedded_redis_url: str
) -> None:
    settings.REDIS_URL = embedded_redis_url

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {
        "database": "ok",
        "broker": "ok",
        "workers": "down",
        "maintenance": "down",
    }
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_healthz_reports_workers_ok_while_a_heartbeat_is_fresh(
    client: Client, settings: Settings, embedded_redis_url: str
) -> None:
    settings.REDIS_URL = embedded_redis_url
    redis_client = redis.Redis.from_url(embedded_redis_url)
    record_heartbeat(redis_client, hostname="grader@test", queues=("numpy",))

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {
        "database": "ok",
        "broker": "ok",
        "workers": "ok",
        "maintenance": "down",
    }
    (worker,) = workers_online() or []
    assert (worker.hostname, worker.queues) == ("grader@test", ("numpy",))
    assert 0 < redis_client.ttl(f"{KEY_PREFIX}grader@test:{os.getpid()}") <= 30

    forget_worker(redis_client, hostname="grader@test")
    assert client.get("/healthz").json()["workers"] == "down"
    redis_client.close()


def test_healthz_is_503_when_the_broker_does_not_answer(
    client: Client, settings: Settings, short_tmp_dir: Path
) -> None:
    settings.REDIS_URL = f"unix://{short_tmp_dir / 'nobody-listens.sock'}"

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {
        "database": "ok",
        "broker": "down",
        "workers": "unknown",
        "maintenance": "unknown",
    }


def test_healthz_is_503_when_the_database_fails(
    client: Client,
    settings: Settings,
    embedded_redis_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings.REDIS_URL = embedded_redis_url

    def broken_cursor(*args: object, **kwargs: object) -> None:
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", broken_cursor)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {
        "database": "down",
        "broker": "ok",
        "workers": "down",
        "maintenance": "down",
    }


def test_healthz_needs_no_login_and_only_answers_get(client: Client) -> None:
    assert client.post("/healthz").status_code == 405
