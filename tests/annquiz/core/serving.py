"""Helpers for tests that run ``manage.py serve`` as a subprocess (its fixtures are in
``conftest.py``)."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil
import pytest
from celery import Celery

READY_LINE = "annquiz is ready: "
STARTUP_SECONDS = 240


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_text(log: Path, text: str, process: subprocess.Popen[bytes], timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        content = log.read_text(errors="replace")
        if text in content:
            return content
        if process.poll() is not None:
            pytest.fail(f"serve exited with {process.returncode} before {text!r}:\n{content}")
        time.sleep(0.25)
    pytest.fail(f"no {text!r} within {timeout} s:\n{log.read_text(errors='replace')}")


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def worker_answers_ping(broker_url: str, timeout: float) -> bool:
    app = Celery("serve-test-ping", broker=broker_url)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if app.control.ping(timeout=1.0):
                return True
            time.sleep(0.5)
        return False
    finally:
        app.close()


def gone(process: psutil.Process) -> bool:
    try:
        return bool(process.status() == psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return True
