"""End to end: ``manage.py serve`` on embedded defaults (SQLite, embedded Redis), then Ctrl-C."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
import urllib.error
from pathlib import Path

import psutil
import pytest
from django.conf import settings

from tests.annquiz.core.serving import (
    READY_LINE,
    STARTUP_SECONDS,
    free_port,
    get,
    gone,
    wait_for_text,
    worker_answers_ping,
)

pytestmark = pytest.mark.slow


def test_serve_starts_everything_and_ctrl_c_leaves_nothing_behind(
    serve_process: tuple[subprocess.Popen[bytes], Path, int],
    serve_env: dict[str, str],
    short_tmp_dir: Path,
) -> None:
    process, log, port = serve_process
    var_dir = short_tmp_dir / "var"
    socket_path = var_dir / "redis.sock"
    base = f"http://127.0.0.1:{port}"

    output = wait_for_text(log, READY_LINE, process, STARTUP_SECONDS)

    assert f"{READY_LINE}{base}/" in output
    assert f"{base}/api/docs/" in output
    assert "instructor / serve-test-demo" in output
    assert "student / serve-test-demo" in output

    status, body = get(f"{base}/healthz")
    assert status == 200
    assert json.loads(body)["database"] == json.loads(body)["broker"] == "ok"
    status, body = get(f"{base}/accounts/login/")
    assert status == 200 and b'name="password"' in body
    status, _ = get(f"{base}/static/css/site.css")
    assert status == 200

    assert socket_path.is_socket()
    assert (var_dir / "annquiz.sqlite3").is_file()
    assert worker_answers_ping(f"redis+socket://{socket_path}", timeout=120), (
        "the Celery worker did not answer a ping:\n" + log.read_text(errors="replace")
    )
    assert wait_for_health(base, workers="ok", timeout=60), log.read_text(errors="replace")

    second = subprocess.run(
        [sys.executable, "manage.py", "serve", "--port", str(free_port())],
        cwd=settings.BASE_DIR,
        env=serve_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert second.returncode != 0
    assert "another `manage.py serve`" in second.stderr
    assert socket_path.is_socket(), "a refused second serve must leave the first one's socket"

    children = psutil.Process(process.pid).children(recursive=True)
    names = " ".join(" ".join(child.cmdline()) for child in children)
    assert "redis-server" in names and "celery" in names and "gunicorn" in names

    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=90) == 0, log.read_text(errors="replace")

    _, alive = psutil.wait_procs(children, timeout=15)
    still_running = [child for child in alive if not gone(child)]
    assert still_running == [], f"left behind: {still_running}"
    assert not socket_path.exists()
    assert "annquiz stopped." in log.read_text(errors="replace")


def test_serve_refuses_a_port_that_is_taken(serve_env: dict[str, str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]

        result = subprocess.run(
            [sys.executable, "manage.py", "serve", "--port", str(port)],
            cwd=settings.BASE_DIR,
            env=serve_env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    assert result.returncode != 0
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr


def test_a_process_that_dies_is_restarted_while_the_site_keeps_serving(
    serve_process: tuple[subprocess.Popen[bytes], Path, int], short_tmp_dir: Path
) -> None:
    process, log, port = serve_process
    base = f"http://127.0.0.1:{port}"
    socket_path = short_tmp_dir / "var" / "redis.sock"
    wait_for_text(log, READY_LINE, process, STARTUP_SECONDS)
    assert wait_for_health(base, workers="ok", timeout=90), log.read_text(errors="replace")

    worker = child_running(process, "numpy")  # the judging worker
    worker.kill()
    # The site answers throughout, and /healthz says when the worker is gone.
    statuses = []
    deadline = time.monotonic() + 120
    while "celery worker restarted" not in log.read_text(errors="replace"):
        assert time.monotonic() < deadline, log.read_text(errors="replace")
        statuses.append(get(f"{base}/accounts/login/")[0])
        time.sleep(0.2)
    assert set(statuses) <= {200}, statuses
    assert "celery worker (pid" in log.read_text(errors="replace")
    assert worker_answers_ping(f"redis+socket://{socket_path}", timeout=120)
    assert wait_for_health(base, workers="ok", timeout=60)
    assert child_running(process, "numpy").pid != worker.pid

    web = child_running(process, "gunicorn")
    web.kill()
    assert wait_for_text(log, "gunicorn restarted", process, 60)
    assert wait_for_health(base, workers="ok", timeout=90), log.read_text(errors="replace")
    assert process.poll() is None

    children = psutil.Process(process.pid).children(recursive=True)
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=90) == 0, log.read_text(errors="replace")
    _, alive = psutil.wait_procs(children, timeout=15)
    assert [child for child in alive if not gone(child)] == []
    assert not socket_path.exists()


def child_running(process: subprocess.Popen[bytes], name: str) -> psutil.Process:
    """The direct child of serve whose command line names ``name``."""
    (child,) = [
        child
        for child in psutil.Process(process.pid).children()
        if name in " ".join(child.cmdline()) and child.is_running() and not gone(child)
    ]
    return child


def wait_for_health(base: str, *, workers: str, timeout: float) -> bool:
    """Whether /healthz reports everything up and the workers as ``workers`` in time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            status, body = get(f"{base}/healthz")
        except urllib.error.URLError:  # nothing listens while gunicorn restarts
            status, body = 0, b"{}"
        parts = json.loads(body)
        if status == 200 and parts.get("workers") == parts.get("maintenance") == workers:
            return True
        time.sleep(0.5)
    return False
