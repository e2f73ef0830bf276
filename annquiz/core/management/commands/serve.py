"""``manage.py serve``: the whole service on embedded defaults, stopped with Ctrl-C.

Prepares the database and static files, loads the course, creates the demo users, then runs
the broker (an embedded Redis on a unix socket when ``REDIS_URL`` is unset), the Celery worker
that judges submissions, a light Celery worker with the beat that runs the sweeper on its own
queue (so no judging can hold it up), a one-process worker of the regrade queue at a lower
priority, and gunicorn, each in its own process group. SIGINT or
SIGTERM stops them all and exits 0. Once the service is up, a child that dies on its own is
restarted, with a growing delay if it keeps dying (``processes.RestartPolicy``), and the others
keep serving; a child that dies during start-up stops the rest and exits non-zero naming it.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import time
import urllib.error
import urllib.request
from argparse import ArgumentParser
from io import StringIO
from pathlib import Path
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandError

from annquiz.core.processes import (
    ProcessError,
    Supervisor,
    celery_worker_command,
    check_socket_path,
    find_redis_server,
    maintenance_worker_command,
    redact_url,
    redis_answers,
    redis_server_command,
    regrade_worker_command,
    wait_until,
)
from annquiz.core.services import DemoUser, demo_password, demo_users_ensure
from training.errors import TrainingError
from training.tf_backend import thread_count

STARTUP_TIMEOUT = 120.0


class Command(BaseCommand):
    help = (
        "Start annquiz: migrate, collect static files, load the course, create the demo users, "
        "load the coding tasks, then run the broker (embedded Redis unless REDIS_URL is set), "
        "a Celery worker for the judgings, a light one with the sweeper's beat, and "
        "gunicorn until Ctrl-C."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
        parser.add_argument("--port", type=int, default=8000, help="port to bind (8000)")
        parser.add_argument(
            "--grace",
            type=float,
            default=10.0,
            help="seconds each process gets to stop after SIGTERM before SIGKILL (10)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        host: str = options["host"]
        port: int = options["port"]
        if not 0 < port < 65536:
            raise CommandError(f"--port {port} is not a TCP port (1-65535)")
        self._stop_signal: int | None = None
        self._hurry = False
        self._course_codes: list[str] = []
        self._started_socket: Path | None = None

        var_dir = Path(settings.VAR_DIR)
        var_dir.mkdir(parents=True, exist_ok=True)
        self._check_port_free(host, port)
        embedded_socket: Path | None = None
        if not os.environ.get("REDIS_URL"):
            embedded_socket = Path(settings.EMBEDDED_REDIS_SOCKET)
            try:
                check_socket_path(embedded_socket)
                _check_no_other_instance(embedded_socket)
            except ProcessError as exc:
                raise CommandError(str(exc)) from None

        try:
            users = self._prepare(options["verbosity"])
        except KeyboardInterrupt:
            self.stdout.write("Interrupted before start-up finished; nothing was started.")
            return
        env = self._child_env(var_dir, embedded_socket)
        supervisor = Supervisor(
            env=env, cwd=Path(settings.BASE_DIR), grace_seconds=options["grace"]
        )

        previous = {
            signum: signal.signal(signum, self._on_signal)
            for signum in (signal.SIGINT, signal.SIGTERM)
        }
        failure: str | None = None
        try:
            failure = self._run(supervisor, host, port, embedded_socket, users)
        except ProcessError as exc:
            failure = str(exc)
        finally:
            if supervisor.children:
                self.stdout.write("Stopping annquiz…")
                self.stdout.flush()
            supervisor.stop_all(hurry=lambda: self._hurry)
            if self._started_socket is not None:
                self._started_socket.unlink(missing_ok=True)
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        if failure is not None:
            raise CommandError(failure)
        self.stdout.write("annquiz stopped.")

    # -- start-up steps ---------------------------------------------------------------------

    def _prepare(self, verbosity: int) -> list[DemoUser]:
        quiet = max(verbosity - 1, 0)
        self._warn_if_workers_oversubscribe()
        self.stdout.write("Applying database migrations…")
        call_command("migrate", interactive=False, verbosity=quiet)
        self.stdout.write("Collecting static files…")
        call_command("collectstatic", interactive=False, verbosity=quiet)
        if "load_course" in get_commands():
            self.stdout.write("Loading the course…")
            call_command("load_course", verbosity=verbosity)
        else:
            self.stdout.write("No load_course command is installed: skipping the course content.")
        if "load_tasks" in get_commands():
            self.stdout.write("Loading the coding tasks…")
            call_command("load_tasks", verbosity=verbosity)
        users = demo_users_ensure(password=demo_password())
        if "enrol_demo_users" in get_commands():
            # The demo accounts join each default course; its output is each course's code.
            codes = StringIO()
            call_command("enrol_demo_users", stdout=codes)
            self._course_codes = codes.getvalue().splitlines()
        return users

    def _warn_if_workers_oversubscribe(self) -> None:
        """TensorFlow threads x worker processes should not exceed the cores."""
        try:
            threads = thread_count()
        except TrainingError as exc:
            raise CommandError(str(exc)) from None
        processes: int = settings.ANNQUIZ_WORKER_CONCURRENCY
        if processes < 1:
            raise CommandError(f"ANNQUIZ_WORKER_CONCURRENCY={processes}: at least 1 is needed")
        cores = os.cpu_count() or 1
        if processes * threads > cores:
            self.stdout.write(
                self.style.WARNING(
                    f"{processes} worker processes x {threads} TensorFlow threads "
                    f"(ANNQUIZ_WORKER_CONCURRENCY x ANNQUIZ_TF_THREADS) exceed the {cores} "
                    "cores: gradings will compete for the CPU."
                )
            )

    def _run(
        self,
        supervisor: Supervisor,
        host: str,
        port: int,
        embedded_socket: Path | None,
        users: list[DemoUser],
    ) -> str | None:
        interrupted = self._interrupted
        python = sys.executable
        if embedded_socket is not None:
            if not self._start_embedded_redis(supervisor, embedded_socket):
                return None
        elif not redis_answers(settings.REDIS_URL, timeout=2.0):
            raise ProcessError(
                f"the Redis at REDIS_URL={redact_url(settings.REDIS_URL)} does not answer PING"
            )

        supervisor.start(
            "celery worker",
            celery_worker_command(concurrency=settings.ANNQUIZ_WORKER_CONCURRENCY),
        )
        supervisor.start(
            "celery maintenance worker",
            maintenance_worker_command(
                # The embedded beat runs the sweeper that recovers lost judgings; one beat per
                # deployment (run `celery beat` on its own when there are several workers).
                # The sweep goes to the maintenance queue, which this worker alone serves, so
                # it runs on time however long the judgings of the other worker take.
                beat_schedule=Path(settings.VAR_DIR) / "celerybeat-schedule",
            ),
        )
        # Regrades judge on their own queue, with one process below the live worker's
        # priority: an instructor's regrade never slows a student's judging.
        supervisor.start("celery regrade worker", regrade_worker_command())
        web = supervisor.start(
            "gunicorn",
            [
                python,
                "-m",
                "gunicorn",
                "annquiz.wsgi",
                "--bind",
                f"{_url_host(host)}:{port}",
                # 2 gthread workers x 4 threads: one process per core, threads to overlap the
                # database round trips, and kept-alive connections. Measured on the 2-core
                # development machine with bench/web_bench.py (32 clients, same run): 3 or 4
                # sync workers served the lesson page and the answer API several times slower.
                "--workers",
                "2",
                "--threads",
                "4",
                "--graceful-timeout",
                "5",
                *_gunicorn_extra_options(),
            ],
        )
        base_url = f"http://{_url_host(_connect_host(host))}:{port}"
        if not wait_until(
            lambda: _http_answers(f"{base_url}/healthz"),
            what=f"gunicorn to answer on {base_url}",
            timeout=STARTUP_TIMEOUT,
            child=web,
            interrupted=interrupted,
        ):
            return None
        dead = supervisor.first_dead()
        if dead is not None:
            return f"{dead.name} exited with code {dead.popen.returncode} during start-up"

        self._print_ready(base_url, users)
        while not interrupted():
            for event in supervisor.revive():
                self.stdout.write(self.style.WARNING(event))
                self.stdout.flush()
            time.sleep(0.2)
        return None

    def _start_embedded_redis(self, supervisor: Supervisor, socket_path: Path) -> bool:
        url = f"unix://{socket_path}"
        _check_no_other_instance(socket_path)
        # What is left is a stale socket from a serve that was killed: nobody answers on it.
        socket_path.unlink(missing_ok=True)
        self.stdout.write(f"Starting the embedded Redis on {socket_path}…")
        self._started_socket = socket_path
        child = supervisor.start(
            "embedded redis-server", redis_server_command(find_redis_server(), socket_path)
        )
        return wait_until(
            lambda: redis_answers(url),
            what=f"the embedded Redis to answer on {socket_path}",
            timeout=30.0,
            child=child,
            interrupted=self._interrupted,
        )

    def _child_env(self, var_dir: Path, embedded_socket: Path | None) -> dict[str, str]:
        """The children's environment: the same data directory, Redis and broker as ours."""
        redis_url: str = settings.REDIS_URL
        broker_url: str = settings.CELERY_BROKER_URL
        if embedded_socket is not None:
            redis_url = f"unix://{embedded_socket}"
            if not os.environ.get("CELERY_BROKER_URL"):
                broker_url = f"redis+socket://{embedded_socket}"
        env = dict(os.environ)
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": os.environ.get(
                    "DJANGO_SETTINGS_MODULE", "annquiz.settings"
                ),
                "ANNQUIZ_VAR_DIR": str(var_dir),
                "REDIS_URL": redis_url,
                "CELERY_BROKER_URL": broker_url,
                "PYTHONUNBUFFERED": "1",
            }
        )
        return env

    def _check_port_free(self, host: str, port: int) -> None:
        family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host.strip("[]"), port))
            except OSError as exc:
                raise CommandError(
                    f"cannot listen on {host}:{port} ({exc.strerror}): choose another --port"
                ) from None

    def _print_ready(self, base_url: str, users: list[DemoUser]) -> None:
        lines = [
            "",
            "=" * 64,
            f"annquiz is ready: {base_url}/",
            f"  API docs:  {base_url}/api/docs/",
            f"  Admin:     {base_url}/admin/",
            "  Demo logins:",
        ]
        lines += [f"    {user.role:<11} {user.username} / {user.password}" for user in users]
        if self._course_codes:
            lines += ["  Courses (students join with the code at /join/):"]
            lines += [f"    {line}" for line in self._course_codes]
        lines += ["Press Ctrl-C to stop.", "=" * 64, ""]
        self.stdout.write("\n".join(lines))
        self.stdout.flush()

    # -- signals ----------------------------------------------------------------------------

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if self._stop_signal is not None:
            # A second Ctrl-C: stop waiting for graceful shutdowns.
            self._hurry = True
            return
        self._stop_signal = signum

    def _interrupted(self) -> bool:
        return self._stop_signal is not None


def _check_no_other_instance(socket_path: Path) -> None:
    if socket_path.exists() and redis_answers(f"unix://{socket_path}"):
        raise ProcessError(
            f"a Redis already answers on {socket_path}: is another `manage.py serve` "
            "running with the same ANNQUIZ_VAR_DIR?"
        )


def _gunicorn_extra_options() -> list[str]:
    """Gunicorn 25+ opens a control socket in ~/.gunicorn by default: serve needs none."""
    import gunicorn.config

    return ["--no-control-socket"] if hasattr(gunicorn.config, "ControlSocketDisable") else []


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def _connect_host(host: str) -> str:
    """Address to reach a server bound to ``host`` (a wildcard bind is reached via loopback)."""
    bare = host.strip("[]")
    if not bare or bare == "0.0.0.0":  # nosec B104  # compared with, not bound to
        return "127.0.0.1"
    if bare == "::":
        return "::1"
    return bare


def _http_answers(url: str) -> bool:
    try:
        # Bandit B310 (urlopen of any scheme): the URL is the http:// one built for the server
        # this command just started.
        with urllib.request.urlopen(url, timeout=2) as response:  # nosec B310
            return bool(response.status < 500)
    except urllib.error.HTTPError as exc:
        # Any HTTP answer means gunicorn serves; /healthz may report 503 for a broker hiccup.
        return exc.code < 500 or exc.code == 503
    except (urllib.error.URLError, OSError):
        return False
