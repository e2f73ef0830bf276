"""The deployment of docs/deployment.md on one machine, each part its own process as it would
be its own host or container: a fresh PostgreSQL database, a private Redis on a free port,
the release step (migrate, collectstatic, load the content and tasks), web processes on
ports of their own behind one nginx address, Celery workers for the ``numpy``,
``tensorflow`` and ``maintenance`` queues, and one beat.

Every process gets the same environment (the production variables of the guide, with
``DEBUG`` off and one shared ``SECRET_KEY``), as every host of a deployment would; only the
worker's hostname differs.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
import urllib.parse
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from annquiz.core.processes import (
    celery_worker_command,
    find_redis_server,
    maintenance_worker_command,
)
from bench import common
from bench.rehearsal import client, proxy
from bench.rehearsal.processes import Child, Launcher, RehearsalError, free_port

ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT = 120.0
# The release step, run once per deploy before the new processes start.
RELEASE_COMMANDS = (
    ("migrate", "--noinput"),
    ("collectstatic", "--noinput"),
    ("load_course",),
    ("load_tasks",),
)
NUMPY_QUEUES = ("numpy",)
TENSORFLOW_QUEUES = ("tensorflow", "celery")


@dataclass(frozen=True)
class StackConfig:
    database: str = "annquiz_rehearsal"
    web_processes: int = 2
    numpy_workers: int = 1
    # Seconds between sweeps: shorter than the default 30 so that a short rehearsal sees
    # beat send one and the maintenance worker run it.
    sweep_interval: int = 10
    # CELERY_BROKER_URL when the broker is not the private Redis (e.g. amqp://…); Redis still
    # holds the workers' heartbeats (/healthz).
    broker_url: str = ""
    install_nginx: bool = True


def wait_for(ready: Callable[[], bool], *, what: str, timeout: float, launcher: Launcher) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        launcher.check_alive()
        if time.monotonic() > deadline:
            raise RehearsalError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.2)


def _gunicorn_extra_options() -> list[str]:
    """Gunicorn 25+ opens a control socket in ~/.gunicorn by default: none is needed."""
    import gunicorn.config

    return ["--no-control-socket"] if hasattr(gunicorn.config, "ControlSocketDisable") else []


@dataclass
class Stack:
    config: StackConfig
    run_dir: Path
    launcher: Launcher = field(init=False)
    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:6])
    redis_port: int = 0
    web_ports: list[int] = field(default_factory=list)
    public_port: int = 0
    database_created: bool = False
    numpy_worker_names: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        (self.run_dir / "logs").mkdir(parents=True, exist_ok=True)
        self.launcher = Launcher(log_dir=self.run_dir / "logs", cwd=ROOT)
        self.redis_port = free_port()
        self.public_port = free_port()
        self.secret_key = secrets.token_urlsafe(50)

    # -- addresses and environment ------------------------------------------------------

    @property
    def public_url(self) -> str:
        return f"http://127.0.0.1:{self.public_port}"

    @property
    def database_url(self) -> str:
        return f"{common.PG_SERVER}/{self.config.database}"

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/0"

    @property
    def env(self) -> dict[str, str]:
        """The environment of every process (docs/deployment.md, "Environment")."""
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DJANGO_", "DATABASE_", "CELERY_", "ANNQUIZ_"))
            and key not in {"REDIS_URL", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS"}
        }
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "annquiz.settings",
                "DEBUG": "false",
                "SECRET_KEY": self.secret_key,
                "ALLOWED_HOSTS": "127.0.0.1,localhost",
                "ANNQUIZ_TRUST_X_FORWARDED_PROTO": "true",
                "DATABASE_URL": self.database_url,
                "REDIS_URL": self.redis_url,
                "CELERY_BROKER_URL": self.config.broker_url or self.redis_url,
                "ANNQUIZ_VAR_DIR": str(self.run_dir / "var"),
                "ANNQUIZ_SWEEP_INTERVAL": str(self.config.sweep_interval),
                "ANNQUIZ_TF_THREADS": "1",
                "TF_CPP_MIN_LOG_LEVEL": "2",
                "PYTHONUNBUFFERED": "1",
                "LOG_LEVEL": "INFO",
            }
        )
        return env

    # -- the parts, in the order a deploy starts them --------------------------------------

    def create_database(self) -> None:
        common.recreate_database(self.config.database)
        self.database_created = True

    def drop_database(self) -> None:
        if self.database_created:
            common.drop_database(self.config.database)
            self.database_created = False

    def start_redis(self) -> None:
        redis_server = find_redis_server()
        command = [
            str(redis_server),
            "--port", str(self.redis_port),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "no",
            "--dir", str(self.run_dir),
        ]  # fmt: skip
        self.launcher.start("redis", command, self.env)
        import redis

        def answers() -> bool:
            connection = redis.Redis.from_url(self.redis_url, socket_timeout=0.5)
            try:
                return bool(connection.ping())
            except (redis.RedisError, OSError):
                return False
            finally:
                connection.close()

        wait_for(answers, what="Redis", timeout=30, launcher=self.launcher)

    def release(self) -> None:
        """migrate, collectstatic, load_course, load_tasks: what a deploy runs once."""
        log = self.run_dir / "logs" / "release.log"
        for arguments in RELEASE_COMMANDS:
            with log.open("ab") as out:
                completed = subprocess.run(  # nosec B603  # fixed commands, no shell
                    [sys.executable, "manage.py", *arguments],
                    cwd=ROOT,
                    env=self.env,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    check=False,
                )
            if completed.returncode != 0:
                tail = log.read_text(errors="replace")[-3000:]
                raise RehearsalError(f"manage.py {' '.join(arguments)} failed:\n{tail}")

    def start_web(self) -> None:
        for number in range(1, self.config.web_processes + 1):
            port = free_port()
            self.web_ports.append(port)
            command = [
                sys.executable, "-m", "gunicorn", "annquiz.wsgi",
                "--bind", f"127.0.0.1:{port}",
                "--workers", "1",
                "--threads", "4",
                "--graceful-timeout", "5",
                *_gunicorn_extra_options(),
            ]  # fmt: skip
            self.launcher.start(f"web-{number}", command, self.env)
        for port in self.web_ports:
            wait_for(
                lambda port=port: _answers(f"http://127.0.0.1:{port}/healthz"),  # type: ignore[misc]
                what=f"the web process on port {port}",
                timeout=STARTUP_TIMEOUT,
                launcher=self.launcher,
            )

    def start_proxy(self) -> None:
        nginx = proxy.find_nginx(install=self.config.install_nginx)
        run_dir = self.run_dir / "nginx"
        run_dir.mkdir(exist_ok=True)
        config = proxy.write_nginx_config(
            nginx=nginx,
            listen_port=self.public_port,
            upstreams=[f"127.0.0.1:{port}" for port in self.web_ports],
            run_dir=run_dir,
        )
        self.launcher.start("nginx", proxy.nginx_command(nginx, config), self.env)
        wait_for(
            lambda: _answers(f"{self.public_url}/healthz"),
            what=f"nginx on {self.public_url}",
            timeout=30,
            launcher=self.launcher,
        )

    def _start_worker(self, name: str, command: list[str]) -> Child:
        return self.launcher.start(name, command, self.env)

    def start_numpy_workers(self, count: int) -> None:
        """``count`` worker processes (one pool process each) for the ``numpy`` queue, as
        ``count`` hosts or replicas would run them."""
        names = []
        for number in range(1, count + 1):
            name = f"worker-numpy-{number}"
            self._start_worker(
                name,
                celery_worker_command(
                    concurrency=1,
                    queues=NUMPY_QUEUES,
                    hostname=f"numpy{number}-{self.tag}@%h",
                    quiet_cluster=True,
                ),
            )
            names.append(name)
        self.numpy_worker_names = names
        self.wait_workers_ready(names)

    def stop_numpy_workers(self) -> None:
        self.launcher.stop(self.numpy_worker_names)
        self.numpy_worker_names = []

    def start_other_workers_and_beat(self) -> None:
        self._start_worker(
            "worker-tensorflow",
            celery_worker_command(
                concurrency=1,
                queues=TENSORFLOW_QUEUES,
                hostname=f"tensorflow-{self.tag}@%h",
                quiet_cluster=True,
            ),
        )
        self._start_worker(
            "worker-maintenance",
            maintenance_worker_command(
                beat_schedule=None, hostname=f"maintenance-{self.tag}@%h", quiet_cluster=True
            ),
        )
        self.launcher.start(
            "beat",
            [
                sys.executable, "-m", "celery", "-A", "annquiz", "beat",
                "--schedule", str(self.run_dir / "celerybeat-schedule"),
                "--loglevel", "info",
            ],
            self.env,
        )  # fmt: skip
        self.wait_workers_ready(["worker-tensorflow", "worker-maintenance"])

    def wait_workers_ready(self, names: list[str]) -> None:
        """Until each named worker's log says it is ready (its consumer runs)."""
        children = [child for child in self.launcher.children if child.name in names]
        for child in children:
            wait_for(
                lambda child=child: " ready." in child.log_tail(100_000),  # type: ignore[misc]
                what=f"{child.name} to be ready",
                timeout=STARTUP_TIMEOUT,
                launcher=self.launcher,
            )

    def health(self) -> tuple[int, dict[str, str]]:
        status, body = client.call(self.public_url, "GET", "/healthz")
        return status, body if isinstance(body, dict) else {}

    def wait_healthy(self, timeout: float = 60) -> dict[str, str]:
        """Until ``/healthz`` through the proxy says every part is "ok"."""
        seen: dict[str, str] = {}

        def healthy() -> bool:
            nonlocal seen
            status, seen = self.health()
            return status == 200 and bool(seen) and set(seen.values()) == {"ok"}

        try:
            wait_for(
                healthy,
                what="/healthz to report every part ok",
                timeout=timeout,
                launcher=self.launcher,
            )
        except RehearsalError as exc:
            raise RehearsalError(f"{exc}; last /healthz: {seen}") from None
        return seen

    def log_of(self, name: str) -> str:
        for child in self.launcher.children:
            if child.name == name:
                return child.log_tail(10_000_000)
        path = self.run_dir / "logs" / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> list[str]:
        """Stop every process; returns any left behind (none expected)."""
        return self.launcher.stop_all()


def _answers(url: str) -> bool:
    """Whether an HTTP server answers at ``url`` (a 503 from /healthz counts: it serves)."""
    parts = urllib.parse.urlsplit(url)
    try:
        status, _ = client.call(f"{parts.scheme}://{parts.netloc}", "GET", parts.path)
    except RehearsalError:
        return False
    return status < 500 or status == 503
