"""Health checks behind ``/healthz``: the database, the Celery broker (Redis) and the workers."""

from __future__ import annotations

import logging

import redis
from django.conf import settings
from django.db import DatabaseError, connection

from annquiz.core import worker_presence
from annquiz.core.processes import redact_url

logger = logging.getLogger(__name__)

BROKER_TIMEOUT_SECONDS = 1.0


def check_database() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.exception("health check: the database does not answer")
        return False
    return True


def check_broker() -> bool:
    """Redis PING at ``settings.REDIS_URL`` with a short timeout."""
    client = redis.Redis.from_url(
        settings.REDIS_URL,
        socket_timeout=BROKER_TIMEOUT_SECONDS,
        socket_connect_timeout=BROKER_TIMEOUT_SECONDS,
    )
    try:
        return bool(client.ping())
    except (redis.RedisError, OSError) as exc:
        logger.warning(
            "health check: the broker at %s does not answer: %s",
            redact_url(settings.REDIS_URL),
            exc,
        )
        return False
    finally:
        client.close()


def check_workers() -> str:
    """ "ok" when at least one Celery worker's heartbeat is fresh, else "down"."""
    workers = worker_presence.workers_online()
    return "ok" if workers else "down"
