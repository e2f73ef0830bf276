"""Processes the fault tests start and stop themselves: gunicorn, and a private Redis server
that a test may stop and start again (never the machine's shared Redis). Celery workers come
from ``tests/worker.py`` (``celery_stack``)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import gunicorn.config
import pytest
import redis
from django.conf import settings

from annquiz.core.processes import find_redis_server
from tests.annquiz.core.serving import free_port
from tests.worker import CeleryStack, point_app_at, worker_database_url, worker_environment

GUNICORN_THREADS = 4
REDIS_START_TIMEOUT = 10.0


def wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"{process.args!r} did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)


@pytest.fixture
def gunicorn_url(celery_stack: CeleryStack) -> Iterator[str]:
    """gunicorn as deployed (gthread, persistent connections) on the test database and the
    test's broker."""
    port = free_port()
    log_path = celery_stack.tmp_dir / "gunicorn.log"
    env = worker_environment(
        database_url=celery_stack.database_url,
        broker_url=celery_stack.broker_url,
        tmp_dir=celery_stack.tmp_dir,
        extra={},
    )
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "annquiz.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "1",
        "--threads",
        str(GUNICORN_THREADS),
    ]
    if hasattr(gunicorn.config, "ControlSocketDisable"):
        command.append("--no-control-socket")  # gunicorn 25+ would open ~/.gunicorn's socket
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=settings.BASE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for_port(port, process, log_path, 60)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class PrivateRedis:
    """A redis-server of the test's own on a spare TCP port, without persistence: stopping
    and starting it again loses every message, as a restart of such a broker does."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        executable = shutil.which("redis-server") or str(find_redis_server())
        log = self.directory / "redis.log"
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                [
                    executable,
                    *("--port", str(self.port), "--bind", "127.0.0.1"),
                    *("--save", "", "--appendonly", "no", "--dir", str(self.directory)),
                ],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        client = redis.Redis.from_url(self.url, socket_timeout=1)
        deadline = time.monotonic() + REDIS_START_TIMEOUT
        try:
            while True:
                try:
                    client.ping()
                    return
                except redis.RedisError:
                    if self.process.poll() is not None or time.monotonic() > deadline:
                        pytest.fail(f"redis-server did not start:\n{log.read_text()[-2000:]}")
                    time.sleep(0.05)
        finally:
            client.close()

    def stop(self) -> None:
        """SIGKILL: the server is gone at once, with whatever it held."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def private_redis_stack(
    request: pytest.FixtureRequest, transactional_db: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[CeleryStack, PrivateRedis]]:
    """``celery_stack`` on a private redis-server the test may stop and start again."""
    from annquiz.celery import app

    tmp_dir = tmp_path_factory.mktemp("faults")
    server = PrivateRedis(tmp_dir)
    server.start()
    stack = CeleryStack(
        broker_url=server.url, database_url=worker_database_url(), tmp_dir=tmp_dir, app=app
    )
    old_url = point_app_at(app, server.url)
    try:
        yield stack, server
    finally:
        try:
            stack.stop_all()
        finally:
            point_app_at(app, old_url)
            stack.redis.close()
            server.stop()


def kill_process_group(pid: int) -> None:
    """SIGKILL what is left of a process group (as ``manage.py serve`` does before restarting
    a dead child)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
