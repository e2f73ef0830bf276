"""Which Celery workers are alive: each worker writes a heartbeat key to Redis, and readers
(``/healthz``, the grading-queue views) count the keys that have not expired.

A worker's key is ``annquiz:worker:<hostname>:<pid>`` (two workers given one node name still
count apart), rewritten every ``HEARTBEAT_SECONDS`` with a time to live of three beats, so a
worker that is killed (even with SIGKILL) leaves the count within three beats. The beat runs
in a daemon thread of the worker's main process: a slow or absent Redis delays only the
heartbeat, never the consumer.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from typing import Any

import redis
from celery import bootsteps
from django.conf import settings

from annquiz.core.processes import redact_url

logger = logging.getLogger(__name__)

KEY_PREFIX = "annquiz:worker:"
HEARTBEAT_SECONDS = 10.0
REDIS_TIMEOUT_SECONDS = 1.0


@dataclass(frozen=True)
class WorkerPresence:
    hostname: str
    pid: int
    queues: tuple[str, ...]
    seen_at: float


def _client() -> redis.Redis:
    return redis.Redis.from_url(
        settings.REDIS_URL,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
    )


def record_heartbeat(client: redis.Redis, *, hostname: str, queues: tuple[str, ...]) -> None:
    """Write (or refresh) the worker's key; it expires after three missed beats."""
    value = json.dumps(
        {"hostname": hostname, "pid": os.getpid(), "queues": list(queues), "at": time.time()}
    )
    client.set(_key(hostname), value, ex=int(3 * HEARTBEAT_SECONDS))


def forget_worker(client: redis.Redis, *, hostname: str) -> None:
    client.delete(_key(hostname))


def _key(hostname: str) -> str:
    return f"{KEY_PREFIX}{hostname}:{os.getpid()}"


def workers_online() -> list[WorkerPresence] | None:
    """The workers whose heartbeat has not expired; None when Redis does not answer."""
    client = _client()
    try:
        keys = list(client.scan_iter(match=KEY_PREFIX + "*", count=100))
        values = client.mget(keys) if keys else []
    except (redis.RedisError, OSError) as exc:
        logger.warning("worker presence: Redis at %s: %s", redact_url(settings.REDIS_URL), exc)
        return None
    finally:
        client.close()
    workers = []
    for raw in values:
        if raw is None:  # expired between SCAN and MGET
            continue
        record = json.loads(raw)
        workers.append(
            WorkerPresence(
                hostname=str(record["hostname"]),
                pid=int(record["pid"]),
                queues=tuple(record["queues"]),
                seen_at=float(record["at"]),
            )
        )
    return sorted(workers, key=lambda worker: worker.hostname)


class HeartbeatStep(bootsteps.StartStopStep):
    """Worker bootstep: a daemon thread that records the worker's heartbeat until it stops."""

    requires = ("celery.worker.components:Pool",)

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, parent: Any) -> None:
        hostname = str(parent.hostname)
        queues = tuple(sorted(parent.app.amqp.queues.consume_from or ()))
        self._stopping.clear()
        self._thread = threading.Thread(
            target=self._beat, args=(hostname, queues), name="annquiz-heartbeat", daemon=True
        )
        self._thread.start()

    def stop(self, parent: Any) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=2 * REDIS_TIMEOUT_SECONDS)
            self._thread = None
        client = _client()
        try:
            forget_worker(client, hostname=str(parent.hostname))
        except (redis.RedisError, OSError):
            pass  # the key expires by itself
        finally:
            client.close()

    def _beat(self, hostname: str, queues: tuple[str, ...]) -> None:
        client = _client()
        try:
            while not self._stopping.is_set():
                try:
                    record_heartbeat(client, hostname=hostname, queues=queues)
                except (redis.RedisError, OSError) as exc:
                    logger.warning("worker heartbeat not recorded: %s", exc)
                self._stopping.wait(HEARTBEAT_SECONDS)
        finally:
            client.close()
