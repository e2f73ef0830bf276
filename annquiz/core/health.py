"""Health checks behind ``/healthz``: the database, the Celery broker (Redis) and the workers."""

from __future__ import annotations

import logging
from collections.abc import Collection

import redis
from django.conf import settings
from django.db import DatabaseError, connection

from annquiz.core import worker_presence
from annquiz.core.processes import MAINTENANCE_QUEUES, WORKER_QUEUES, redact_url

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


JUDGING_QUEUES = tuple(queue for queue in WORKER_QUEUES if queue not in MAINTENANCE_QUEUES)


def check_workers(queues: Collection[str]) -> str:
    """ "ok" when a Celery worker consuming one of ``queues`` has a fresh heartbeat, else
    "down"."""
    workers = worker_presence.workers_online() or []
    return "ok" if any(set(worker.queues) & set(queues) for worker in workers) else "down"
