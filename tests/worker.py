"""A real Celery worker for integration tests: ``celery -A annquiz worker`` as a subprocess.

Registered as a pytest plugin by ``tests/conftest.py``. The worker runs against the test's own
PostgreSQL database (the test must be ``@pytest.mark.django_db(transaction=True)``, so that
what the test writes is committed and the worker can see it) and a private Redis database,
flushed before and after. It is a prefork worker consuming the queues ``celery``, ``numpy``
and ``tensorflow``, exactly as deployed (with beat, also the sweeper's ``maintenance``
queue); never eager mode.

Fixtures:

- ``celery_worker_process``: a running worker (``WorkerOptions()`` by default; parametrize it
  indirectly with other ``WorkerOptions`` for beat or short lease/deadline settings);
- ``celery_stack``: the private Redis database, with the test process's Celery app pointed at
  it, and ``start_worker(options)`` to start workers when the test chooses (e.g. after
  queuing work while no worker runs). Every worker it started is stopped at teardown.

The database is PostgreSQL only: on SQLite (the in-memory test database cannot be shared with
another process) the test is skipped, except in CI (``CI=true``) where it fails.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.parse
import uuid
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import pytest
import redis
from kombu import pools as kombu_pools

from annquiz.core.processes import MAINTENANCE_QUEUES, WORKER_QUEUES, celery_worker_command

DEFAULT_REDIS_SERVER = "redis://127.0.0.1:6379"
# Redis databases 1..15 are tried for a private one; 0 is left to development servers.
PRIVATE_DB_RANGE = range(1, 16)
OWNER_KEY = "annquiz:test-worker:owner"
STARTUP_TIMEOUT = 90.0
STOP_GRACE = 15.0
LOG_TAIL_CHARS = 6000


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() == "true"


def skip_or_fail(reason: str) -> None:
    """Skip locally; in CI a missing service is a failure, never a silent skip."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: integration tests must run)")
    pytest.skip(reason)


# --------------------------------------------------------------------------- Redis


def redis_server_url() -> str:
    """``REDIS_URL`` without its database number (``redis://127.0.0.1:6379`` if unset)."""
    raw = os.environ.get("REDIS_URL", "").strip() or DEFAULT_REDIS_SERVER
    parts = urllib.parse.urlsplit(raw)
    if parts.scheme not in {"redis", "rediss"}:
        skip_or_fail(f"REDIS_URL={raw!r}: the worker tests need a TCP Redis (redis://host:port)")
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, "", "", ""))


def _as_text(value: bytes | str | None) -> str | None:
    return value.decode(errors="replace") if isinstance(value, bytes) else value


def _owner_alive(owner: str) -> bool:
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True  # another machine's claim: respect it until it expires
    return psutil.pid_exists(int(pid))


def claim_redis_db(server: str) -> int:
    """A Redis database nobody else uses, marked as this process's with ``OWNER_KEY``.

    A database is free when it is empty, or when its owner mark names a process of this
    machine that no longer exists (a test run that was killed). The mark expires after a day.
    """
    me = f"{socket.gethostname()}:{os.getpid()}"
    for number in PRIVATE_DB_RANGE:
        client = redis.Redis.from_url(f"{server}/{number}", socket_timeout=5)
        try:
            owner = _as_text(client.get(OWNER_KEY))
            if owner == me:
                return number
            if owner is not None and _owner_alive(owner):
                continue
            if owner is None and client.dbsize() > 0:
                continue  # used by something that does not mark its databases
            if client.set(OWNER_KEY, me, nx=owner is None, xx=owner is not None, ex=86400):
                return number
        finally:
            client.close()
    pytest.fail(
        f"no free Redis database on {server}: databases {PRIVATE_DB_RANGE.start}.."
        f"{PRIVATE_DB_RANGE.stop - 1} are all in use"
    )


def flush_private_db(client: redis.Redis) -> None:
    """Empty the database but keep it marked as ours."""
    owner = client.get(OWNER_KEY)
    client.flushdb()
    if owner is not None:
        client.set(OWNER_KEY, owner, ex=86400)


# --------------------------------------------------------------------------- the database


def worker_database_url() -> str:
    """``DATABASE_URL`` of the test database the current test uses (PostgreSQL only)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        skip_or_fail(
            f"the worker integration tests need PostgreSQL (the test database is "
            f"{connection.vendor}, which another process cannot share): set "
            "DATABASE_URL=postgres://postgres@127.0.0.1:5432/test"
        )
    db = connection.settings_dict
    user = urllib.parse.quote(db.get("USER") or "", safe="")
    password = urllib.parse.quote(str(db.get("PASSWORD") or ""), safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}{host}{port}/{urllib.parse.quote(db['NAME'], safe='')}"


# --------------------------------------------------------------------------- the worker


@dataclass(frozen=True)
class WorkerOptions:
    """How to start a worker. ``env`` holds extra settings (all strings), e.g.
    ``{"ANNQUIZ_GRADE_LEASE_SECONDS": "3"}``; ``SHORT_LEASE`` and ``FAST_SWEEP`` are the usual
    short settings for tests."""

    concurrency: int = 1
    # Also run the embedded beat and serve the sweeper's maintenance queue.
    beat: bool = False
    env: dict[str, str] = field(default_factory=dict)
    queues: tuple[str, ...] = WORKER_QUEUES
    pool: str = "prefork"


SHORT_LEASE = {"ANNQUIZ_GRADE_LEASE_SECONDS": "3"}
FAST_SWEEP = {
    "ANNQUIZ_GRADE_LEASE_SECONDS": "3",
    "ANNQUIZ_SWEEP_INTERVAL": "2",
    "ANNQUIZ_GRADE_QUEUED_DEADLINE": "3",
}


class WorkerProcess:
    """A running ``celery worker`` and helpers to watch it."""

    def __init__(
        self,
        *,
        process: subprocess.Popen[bytes],
        log_path: Path,
        hostname: str,
        app: Any,
        options: WorkerOptions,
    ) -> None:
        self.process = process
        self.log_path = log_path
        self.hostname = hostname
        self.app = app
        self.options = options
        self._known: dict[int, psutil.Process] = {}

    @property
    def pid(self) -> int:
        return self.process.pid

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_tail(self) -> str:
        text = self.log_text()
        return text[-LOG_TAIL_CHARS:]

    def child_pids(self) -> list[int]:
        """Every descendant of the worker's main process (pool processes, the embedded beat)."""
        try:
            children = psutil.Process(self.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []
        for child in children:
            self._known.setdefault(child.pid, child)
        return [child.pid for child in children if child.is_running()]

    def pool_pids(self, timeout: float = 5.0) -> list[int]:
        """The pool's own processes (which run tasks), as the worker reports them; without
        beat these are exactly ``child_pids()``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            replies = self.app.control.inspect(destination=[self.hostname], timeout=1.0).stats()
            if replies and self.hostname in replies:
                pids = [int(pid) for pid in replies[self.hostname]["pool"]["processes"]]
                if pids:
                    self.child_pids()  # remember them for the clean-up
                    return pids
            time.sleep(0.1)
        pytest.fail(f"the worker did not report its pool within {timeout} s:\n{self.log_tail()}")

    def answers_ping(self, timeout: float = 1.0) -> bool:
        replies = self.app.control.ping(destination=[self.hostname], timeout=timeout)
        return any(self.hostname in reply for reply in replies or [])

    def assert_alive(self) -> None:
        if self.process.poll() is not None:
            pytest.fail(f"the worker exited with {self.process.returncode}:\n{self.log_tail()}")

    def wait_for(
        self,
        submission_id: int,
        statuses: Collection[str],
        timeout: float,
        *,
        condition: Callable[[Any], bool] | None = None,
        interval: float = 0.05,
    ) -> Any:
        """Poll the database until the submission's status is one of ``statuses`` (and
        ``condition(submission)`` holds, if given); return the submission."""
        from annquiz.coding.models import Submission

        deadline = time.monotonic() + timeout
        submission = None
        while time.monotonic() < deadline:
            submission = Submission.objects.get(pk=submission_id)
            if submission.status in statuses and (condition is None or condition(submission)):
                return submission
            self.assert_alive()
            time.sleep(interval)
        seen = (
            "no row"
            if submission is None
            else (
                f"status {submission.status!r}, progress {submission.progress}, "
                f"worker_attempts {submission.worker_attempts}, message {submission.message!r}"
            )
        )
        pytest.fail(
            f"submission {submission_id} did not reach {sorted(statuses)} within {timeout} s "
            f"({seen}); worker log:\n{self.log_tail()}"
        )

    def stop(self, grace: float = STOP_GRACE) -> None:
        """SIGTERM (warm shutdown), then SIGKILL of the whole process group; waits until no
        process of the worker is left."""
        self.child_pids()
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=grace)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)
        if self.process.poll() is None:
            self.process.wait(timeout=10)
        leftovers = [proc for proc in self._known.values() if _alive(proc)]
        for proc in leftovers:
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.kill()
        _, still = psutil.wait_procs(leftovers, timeout=10)
        if [proc for proc in still if _alive(proc)]:
            pytest.fail(f"worker processes left behind: {still}")


def _alive(proc: psutil.Process) -> bool:
    try:
        return bool(proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


def worker_command(options: WorkerOptions, hostname: str, tmp_dir: Path) -> list[str]:
    queues = options.queues
    if options.beat:
        queues = (*queues, *(q for q in MAINTENANCE_QUEUES if q not in queues))
    return celery_worker_command(
        concurrency=options.concurrency,
        queues=queues,
        pool=options.pool,
        hostname=hostname,
        beat_schedule=tmp_dir / "celerybeat-schedule" if options.beat else None,
        quiet_cluster=True,
    )


def worker_environment(
    *, database_url: str, broker_url: str, tmp_dir: Path, extra: dict[str, str]
) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_", "CELERY_", "ANNQUIZ_GRADE_", "ANNQUIZ_SWEEP_"))
        and key not in {"REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "annquiz.settings",
            "DATABASE_URL": database_url,
            "REDIS_URL": broker_url,
            "CELERY_BROKER_URL": broker_url,
            "ANNQUIZ_VAR_DIR": str(tmp_dir / "var"),
            "ANNQUIZ_TF_THREADS": "1",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "PYTHONUNBUFFERED": "1",
            "LOG_LEVEL": "INFO",
        }
    )
    env.update(extra)
    return env


class CeleryStack:
    """The private Redis database and the workers started on it for one test."""

    def __init__(self, *, broker_url: str, database_url: str, tmp_dir: Path, app: Any) -> None:
        self.broker_url = broker_url
        self.database_url = database_url
        self.tmp_dir = tmp_dir
        self.app = app
        self.redis = redis.Redis.from_url(broker_url, socket_timeout=5)
        self.workers: list[WorkerProcess] = []

    def start_worker(self, options: WorkerOptions | None = None) -> WorkerProcess:
        """Start a worker and wait until it answers a ping."""
        options = options or WorkerOptions()
        number = len(self.workers) + 1
        hostname = f"aqtest-{uuid.uuid4().hex[:8]}@{socket.gethostname()}"
        log_path = self.tmp_dir / f"worker-{number}.log"
        env = worker_environment(
            database_url=self.database_url,
            broker_url=self.broker_url,
            tmp_dir=self.tmp_dir,
            extra=options.env,
        )
        from django.conf import settings

        with log_path.open("wb") as log:
            process = subprocess.Popen(
                worker_command(options, hostname, self.tmp_dir),
                cwd=settings.BASE_DIR,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        worker = WorkerProcess(
            process=process, log_path=log_path, hostname=hostname, app=self.app, options=options
        )
        self.workers.append(worker)
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not worker.answers_ping():
            worker.assert_alive()
            if time.monotonic() > deadline:
                worker.stop()
                pytest.fail(
                    f"the worker did not answer a ping within {STARTUP_TIMEOUT:g} s:\n"
                    f"{worker.log_tail()}"
                )
        worker.child_pids()
        return worker

    def queue_length(self, queue: str) -> int:
        """Messages waiting in ``queue``: kombu's Redis transport keeps a queue as a list under
        the queue's name (and one list per extra priority step, none used here)."""
        return int(self.redis.llen(queue))

    def drop_queue(self, queue: str) -> int:
        """Lose every message waiting in ``queue`` (as a Redis without persistence would on
        a restart); returns how many there were."""
        lost = self.queue_length(queue)
        self.redis.delete(queue)
        return lost

    def stop_all(self) -> None:
        for worker in self.workers:
            worker.stop()


def point_app_at(app: Any, broker_url: str) -> str:
    """Make the test process's Celery app publish to ``broker_url``; return the old URL."""
    old = str(app.conf.broker_url)
    # kombu keeps one pool per broker URL in a registry of its own: close them all, and make
    # the app look its pools up again.
    kombu_pools.reset()
    app.conf.broker_url = broker_url
    app._pool = None
    app.amqp._producer_pool = None
    return old


@pytest.fixture
def celery_stack(
    request: pytest.FixtureRequest, transactional_db: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CeleryStack]:
    """A private Redis database, the test's Celery app publishing to it, and a way to start
    real workers on the test database. Stops every worker and empties the database after."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not marker.kwargs.get("transaction"):
        pytest.fail(
            "a test with a real worker must be marked @pytest.mark.django_db(transaction=True): "
            "the worker can only see committed rows"
        )
    database_url = worker_database_url()
    server = redis_server_url()
    probe = redis.Redis.from_url(server, socket_timeout=2, socket_connect_timeout=2)
    try:
        probe.ping()
    except redis.RedisError as error:
        skip_or_fail(f"no Redis at {server} ({error}): set REDIS_URL")
    finally:
        probe.close()
    number = claim_redis_db(server)
    broker_url = f"{server}/{number}"

    from annquiz.celery import app

    tmp_dir = tmp_path_factory.mktemp("worker")
    stack = CeleryStack(broker_url=broker_url, database_url=database_url, tmp_dir=tmp_dir, app=app)
    flush_private_db(stack.redis)
    old_url = point_app_at(app, broker_url)
    try:
        yield stack
    finally:
        try:
            stack.stop_all()
        finally:
            point_app_at(app, old_url)
            stack.redis.flushdb()
            stack.redis.close()


@pytest.fixture
def celery_worker_process(
    request: pytest.FixtureRequest, celery_stack: CeleryStack
) -> WorkerProcess:
    """A running worker on the test database (parametrize indirectly with ``WorkerOptions``)."""
    options = getattr(request, "param", None) or WorkerOptions()
    if not isinstance(options, WorkerOptions):
        pytest.fail(f"celery_worker_process takes WorkerOptions, got {options!r}")
    return celery_stack.start_worker(options)
