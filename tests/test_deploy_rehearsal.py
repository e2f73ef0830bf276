"""The deployment rehearsal (``python -m bench.deploy_rehearsal``, docs/deployment.md): the
whole multi-process layout on this machine, graded through its public address, and stopped.

The rehearsal runs as a subprocess, exactly as documented, with a database of its own; the
tests read its JSON outcome and look at the machine afterwards: no process it started is left
and its database is gone, after a full run and after a Ctrl-C in the middle of start-up.
Needs PostgreSQL on 127.0.0.1:5432 and nginx (installed with apt-get when missing and run as
root); without them the tests are skipped, except with ``CI=true``, where they fail.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil
import pytest

from bench import common
from bench.rehearsal import proxy
from bench.rehearsal.processes import RehearsalError
from tests.worker import skip_or_fail

ROOT = Path(__file__).resolve().parent.parent
REHEARSAL_TIMEOUT = 400


def postgres_databases() -> set[str]:
    import psycopg

    try:
        with psycopg.connect(f"{common.PG_SERVER}/postgres", connect_timeout=3) as conn:
            return {row[0] for row in conn.execute("SELECT datname FROM pg_database")}
    except psycopg.Error as error:
        skip_or_fail(f"no PostgreSQL at {common.PG_SERVER} ({error})")
        raise


@pytest.fixture
def nginx() -> Path:
    try:
        return proxy.find_nginx(install=True)
    except RehearsalError as error:
        skip_or_fail(str(error))
        raise


@pytest.fixture
def database() -> str:
    name = f"test_rehearsal_{os.getpid()}"
    assert name not in postgres_databases()
    return name


def rehearsal(database: str, out: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable, "-m", "bench.deploy_rehearsal",
            "--database", database, "--json", str(out), "--no-write", *extra,
        ],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip


def left_alive(pids: list[int]) -> list[str]:
    """Processes still in a process group the rehearsal started."""
    alive = []
    for proc in psutil.process_iter(["pid", "cmdline", "status"]):
        try:
            if os.getpgid(proc.pid) in pids and proc.info["status"] != psutil.STATUS_ZOMBIE:
                alive.append(f"{proc.pid} {' '.join(proc.info['cmdline'] or [])[:80]}")
        except (ProcessLookupError, psutil.Error):
            continue
    return alive


def outcome_of(out: Path, output: str) -> dict[str, Any]:
    assert out.exists(), output
    data: dict[str, Any] = json.loads(out.read_text())
    return data


@pytest.mark.slow
def test_the_rehearsal_grades_on_both_backends_through_one_address_and_leaves_nothing(
    nginx: Path, database: str, tmp_path: Path
) -> None:
    out = tmp_path / "outcome.json"
    process = rehearsal(database, out)
    output, _ = process.communicate(timeout=REHEARSAL_TIMEOUT)

    assert process.returncode == 0, output
    outcome = outcome_of(out, output)
    assert outcome["ok"] and "rehearsal passed" in output
    assert outcome["health"] == dict.fromkeys(
        ("database", "broker", "workers", "maintenance"), "ok"
    )
    verdicts = [(item["task"], item["network"], item["status"]) for item in outcome["smoke"]]
    assert verdicts == [
        ("handout-keras", "reference.py", "passed"),
        ("handout-keras", "broken.py", "failed"),
        ("image-cnn", "reference.py", "passed"),
    ]
    assert outcome["judgings_per_worker"] == {
        "worker-numpy-1": 2,
        "worker-tensorflow": 1,
        "worker-maintenance": 0,
    }
    assert outcome["sweeps"] >= 1
    served = outcome["requests_per_web_process"]
    assert len(served) == 2 and min(served.values()) >= 1, served
    # web x2, nginx, redis, three workers and beat; all gone, and so is the database.
    assert len(outcome["pids"]) == 8
    assert outcome["left_behind"] == [] and left_alive(outcome["pids"]) == []
    assert database not in postgres_databases()
    assert not Path(outcome["run_dir"]).exists()


@pytest.mark.slow
def test_ctrl_c_during_start_up_stops_everything_and_drops_the_database(
    nginx: Path, database: str, tmp_path: Path
) -> None:
    out = tmp_path / "outcome.json"
    process = rehearsal(database, out)
    assert process.stdout is not None
    lines = []
    deadline = time.monotonic() + REHEARSAL_TIMEOUT
    for line in process.stdout:  # until the workers are being started: most of the stack runs
        lines.append(line)
        if "workers: numpy" in line or time.monotonic() > deadline:
            break
    time.sleep(1.0)
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=120)
    output = "".join(lines) + output

    assert process.returncode == 130, output
    outcome = outcome_of(out, output)
    assert outcome["error"] == "interrupted" and "interrupted: stopping everything" in output
    assert len(outcome["pids"]) >= 4, outcome  # redis, web x2, nginx at least
    assert outcome["left_behind"] == [] and left_alive(outcome["pids"]) == []
    assert database not in postgres_databases()


def test_the_proxy_config_passes_nginx_t_and_its_log_names_each_upstream(
    nginx: Path, tmp_path: Path
) -> None:
    config = proxy.write_nginx_config(
        nginx=nginx,
        listen_port=18080,
        upstreams=["127.0.0.1:18001", "127.0.0.1:18002"],
        run_dir=tmp_path,
    )
    text = config.read_text()
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in text
    assert "server 127.0.0.1:18001" in text and "server 127.0.0.1:18002" in text
    (tmp_path / "access.log").write_text(
        '127.0.0.1 "GET /healthz HTTP/1.1" 200 upstream=127.0.0.1:18001 rt=0.004\n'
        '127.0.0.1 "GET / HTTP/1.1" 200 upstream=127.0.0.1:18002 rt=0.010\n'
        '127.0.0.1 "GET / HTTP/1.1" 502 upstream=127.0.0.1:18001, 127.0.0.1:18002 rt=0.1\n'
        '127.0.0.1 "GET /x HTTP/1.1" 400 upstream=- rt=0.000\n'
    )
    assert proxy.upstreams_served(tmp_path / "access.log") == {
        "127.0.0.1:18001": 2,
        "127.0.0.1:18002": 2,
    }


def test_a_broken_proxy_config_is_refused_with_nginx_s_reason(nginx: Path, tmp_path: Path) -> None:
    with pytest.raises(RehearsalError, match="nginx -t refused"):
        proxy.write_nginx_config(
            nginx=nginx, listen_port=18080, upstreams=["not an address;"], run_dir=tmp_path
        )
