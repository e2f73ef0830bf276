"""Web benchmark: the lesson page and the answer API behind gunicorn on PostgreSQL.

Run from the repository root (PostgreSQL on 127.0.0.1:5432 with trust auth, Debian's ``wrk``)::

    .venv/bin/python -m bench.web_bench                # about 2 minutes; updates bench/RESULTS.md
    .venv/bin/python -m bench.web_bench --no-write     # print only

One command, in this order:

1. drops and creates the database ``annquiz_bench`` (``--database``), migrates it, collects
   the static files and loads the course (``manage.py load_course``);
2. creates ``--users`` students, each with an API token, a logged-in session and a CSRF
   cookie, and draws their variants of the lesson's parametrized questions (as their first
   visit would);
3. profiles each kind of request (``--profile-rounds`` times) in-process against the same
   database, its time split into session, user, view, templates, database and the rest
   (``bench/request_phases.py``), before any load starts;
4. starts gunicorn on a free port, ``--workers`` workers x ``--threads`` threads (gthread),
   and drives it from a second process, ``wrk``, at ``--connections`` concurrent clients:
   the lesson page (GET with each student's cookies in turn), the answer API (POST
   ``/api/v1/questions/{id}/answers/`` with each student's token in turn over the course's
   numeric and single-choice questions), the floor (``GET /`` by a visitor) and the login
   page; the targets are ratios to the floor: lesson p95 <= 1.2 x the floor's p95, answers/s
   >= 0.5 x the floor's requests/s;
5. does the same against the peer, gunicorn with 1 sync worker, in the same run;
6. writes its section of ``bench/RESULTS.md`` (between ``<!-- web_bench -->`` markers; every
   other section of that file is kept).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import common

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
WRK_DIR = BENCH / "wrk"
START_MARK = "<!-- web_bench -->"
END_MARK = "<!-- /web_bench -->"
PG_SERVER = common.PG_SERVER
LESSON_P95_TARGET_MS = 50.0
ANSWER_RPS_TARGET = 200.0
# The targets, as ratios to the floor measured in the same run (the machine's load moves
# both alike): lesson page p95 <= 1.2 x the floor's p95; answers/s >= 0.5 x the floor's req/s.
LESSON_P95_PER_FLOOR = 1.2
ANSWER_RPS_PER_FLOOR = 0.5
TABLE_COLUMNS = (
    "Server",
    "lesson GET warm p50 / p95 / p99 ms",
    "req/s",
    "cold p95 ms",
    "cold req/s",
    "answer POST req/s",
    "answer p95 ms",
    "floor p95 ms",
    "floor req/s",
    "login page p95 ms",
    "login page req/s",
    "errors",
)
TABLE_HEADER = "| " + " | ".join(TABLE_COLUMNS) + " |\n" + "|---" * len(TABLE_COLUMNS) + "|"
_WRK_JSON = re.compile(r"^WRK-JSON (\{.*\})$", re.MULTILINE)


@dataclass(frozen=True)
class ServerConfig:
    label: str
    workers: int
    threads: int

    @property
    def description(self) -> str:
        if self.threads > 1:
            return f"gunicorn, {self.workers} workers x {self.threads} threads (gthread)"
        return f"gunicorn, {self.workers} sync worker{'s' if self.workers > 1 else ''}"


# --- set-up (in this process, through Django) ----------------------------------------------


def environment(database: str, var_dir: Path) -> dict[str, str]:
    """The environment of the benchmarked service: production settings, PostgreSQL."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "annquiz.settings",
            "DATABASE_URL": f"{PG_SERVER}/{database}",
            "DEBUG": "false",
            "SECRET_KEY": "web-bench-secret-key-not-for-production-use-0123456789",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "ANNQUIZ_VAR_DIR": str(var_dir),
            "LOG_LEVEL": "ERROR",
        }
    )
    return env


def prepare(*, users: int, lesson_slug: str, out: Path) -> tuple[Path, Path, str, dict[str, Any]]:
    """Migrate, load the course, create students; return the data files for wrk."""
    import django
    from django.core.management import call_command

    django.setup()
    from django.conf import settings
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import User
    from django.contrib.sessions.backends.base import VALID_KEY_CHARS
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH
    from django.utils import timezone
    from django.utils.crypto import get_random_string
    from rest_framework.authtoken.models import Token

    from annquiz.courses import selectors, services
    from annquiz.courses.models import Lesson, Question, QuestionKind
    from annquiz.enrolment.models import Membership, Role
    from annquiz.enrolment.services import offering_ensure_default

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    call_command("load_course", verbosity=0)
    lesson = Lesson.objects.select_related("course").get(slug=lesson_slug)
    lesson_path = f"/courses/{lesson.course.slug}/lessons/{lesson.slug}/"

    password = make_password("bench-password")
    User.objects.bulk_create(
        [User(username=f"bench{index:05d}", password=password) for index in range(users)]
    )
    students = list(User.objects.filter(username__startswith="bench").order_by("id"))
    Token.objects.bulk_create([Token(user=user, key=Token.generate_key()) for user in students])
    tokens = dict(Token.objects.values_list("user_id", "key"))
    # Every student has joined the course's default offering, as a class does with its code.
    offering = offering_ensure_default(course=lesson.course).offering
    Membership.objects.bulk_create(
        [Membership(user=user, offering=offering, role=Role.STUDENT) for user in students]
    )
    expires = timezone.now() + dt.timedelta(days=1)
    store = SessionStore()
    sessions = []
    for user in students:
        data = {
            "_auth_user_id": str(user.pk),
            "_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
            "_auth_user_hash": user.get_session_auth_hash(),
        }
        key = get_random_string(32, VALID_KEY_CHARS)
        sessions.append(
            Session(session_key=key, session_data=store.encode(data), expire_date=expires)
        )
    Session.objects.bulk_create(sessions)

    lesson_full = selectors.lesson_get_for_user(user=students[0], lesson_id=lesson.pk)
    for user in students:
        services.variants_get_or_create(
            student=user, questions=selectors.lesson_questions(lesson_full)
        )

    out.mkdir(parents=True, exist_ok=True)
    users_file = out / "users.tsv"
    # Each student's browser also holds a CSRF cookie, as any browser that has used the
    # log-in form does; the lesson page's forms carry tokens made from it.
    users_file.write_text(
        "".join(
            f"{s.session_key}\t{get_random_string(CSRF_SECRET_LENGTH, CSRF_ALLOWED_CHARS)}"
            f"\t{tokens[u.pk]}\n"
            for s, u in zip(sessions, students, strict=True)
        )
    )
    questions = list(
        Question.objects.active()
        .filter(kind__in=[QuestionKind.NUMERIC, QuestionKind.SINGLE_CHOICE])
        .order_by("lesson__order", "order")
    )
    lines = []
    for question in questions:
        if question.kind == QuestionKind.NUMERIC:
            response: dict[str, Any] = {"value": question.config["answer"]}
        else:
            response = {"choice": question.config["choices"][0]["key"]}
        lines.append(f"{question.pk}\t{json.dumps({'response': response})}\n")
    questions_file = out / "questions.tsv"
    questions_file.write_text("".join(lines))
    capacity = users * sum(q.max_attempts for q in questions)
    info = {
        "lesson": lesson_path,
        "lesson_questions": len(selectors.lesson_questions(lesson_full)),
        "answer_questions": len(questions),
        "attempt_capacity": capacity,
        "static_root": str(settings.STATIC_ROOT),
    }
    return users_file, questions_file, lesson_path, info


PROFILED = {
    "floor": "floor: `GET /`, a visitor",
    "login": "`GET /accounts/login/`, a visitor",
    "lesson": "lesson page, cached",
    "lesson_uncached": "lesson page, rendered afresh",
    "answer": "answer POST (first answer)",
}


def profile(*, lesson_path: str, rounds: int = 50) -> dict[str, Any]:
    """Each kind of request ``rounds`` times in-process with Django's test client on the same
    database, its time split by phase (``bench.request_phases``), and the statements the
    lesson page and an answer make."""
    from django.contrib.auth.models import User
    from django.core.cache import caches
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from rest_framework.authtoken.models import Token

    from annquiz.courses.lesson_cache import LESSON_PAGES_CACHE
    from annquiz.courses.models import Question, QuestionKind
    from annquiz.enrolment.models import Membership, Offering, Role
    from bench.request_phases import measure_phases

    offering = Offering.objects.get(slug=lesson_path.split("/")[2])  # /courses/<slug>/…
    students = User.objects.bulk_create(
        [User(username=f"bench-profile-{index}") for index in range(rounds + 3)]
    )
    Membership.objects.bulk_create(
        [Membership(user=user, offering=offering, role=Role.STUDENT) for user in students]
    )
    tokens = Token.objects.bulk_create([Token(user=u, key=Token.generate_key()) for u in students])
    visitor = Client(SERVER_NAME="127.0.0.1")
    reader = Client(SERVER_NAME="127.0.0.1")
    reader.force_login(students[0])
    page_cache = caches[LESSON_PAGES_CACHE]

    def get(client: Client, path: str) -> None:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)

    def uncached() -> None:
        page_cache.clear()
        get(reader, lesson_path)

    question = Question.objects.active().filter(kind=QuestionKind.NUMERIC).first()
    assert question is not None
    body = json.dumps({"response": {"value": question.config["answer"]}})
    answer_url = f"/api/v1/questions/{question.pk}/answers/"
    next_token = iter(tokens)

    api = Client(SERVER_NAME="127.0.0.1")  # one client: a new one would load the middleware

    def answer() -> None:
        response = api.post(
            answer_url,
            body,
            content_type="application/json",
            headers={"Authorization": f"Token {next(next_token).key}"},
        )
        assert response.status_code == 201, response.content

    senders = {
        "floor": lambda: get(visitor, "/"),
        "login": lambda: get(visitor, "/accounts/login/"),
        "lesson": lambda: get(reader, lesson_path),
        "lesson_uncached": uncached,
        "answer": answer,
    }
    answer()  # warms the API's code paths; the profiled answers are each student's first
    get(reader, lesson_path)  # draws the reader's variants
    phases = {}
    for name, send in senders.items():
        send()  # warm
        phases[name] = measure_phases(send, rounds=rounds)
    with CaptureQueriesContext(connection) as capture:
        get(reader, lesson_path)
    lesson_sql = [q["sql"][:160] for q in capture.captured_queries]
    with CaptureQueriesContext(connection) as capture:
        answer()
    answer_sql = [q["sql"][:160] for q in capture.captured_queries]
    return {"phases": phases, "lesson_sql": lesson_sql, "answer_sql": answer_sql}


def phases_table(phases: dict[str, dict[str, float]]) -> str:
    from bench.request_phases import PHASES

    header = ["Request", "wall ms", "CPU ms", "queries", *(f"{name} ms" for name in PHASES)]
    lines = ["| " + " | ".join(header) + " |", "|---" * len(header) + "|"]
    for key, label in PROFILED.items():
        row = phases[key]
        cells = [label, f"{row['wall_ms']:g}", f"{row['cpu_ms']:g}", f"{row['queries']:g}"]
        cells += [f"{row[f'{name}_ms']:g}" for name in PHASES]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


# --- the server and the load ---------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_gunicorn(config: ServerConfig, env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "annquiz.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(config.workers),
        "--backlog",
        "2048",
        "--log-level",
        "warning",
    ]
    if config.threads > 1:
        command += ["--worker-class", "gthread", "--threads", str(config.threads)]
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=2):
                return process
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            if process.poll() is not None or time.monotonic() > deadline:
                stop(process)
                raise SystemExit(f"gunicorn ({config.description}) did not start") from None
            time.sleep(0.2)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def check_lesson_page(port: int, lesson_path: str, users_file: Path) -> None:
    """A student's cookies get the lesson page itself, not the log-in redirect."""
    session, csrf = users_file.read_text().split("\t", 2)[:2]
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{lesson_path}",
        headers={"Cookie": f"sessionid={session}; csrftoken={csrf}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        body = response.read().decode()
        if response.url.rstrip("/").endswith("login") or 'class="question"' not in body:
            raise SystemExit(f"the lesson page {lesson_path} did not render for a student")


def run_wrk(
    *,
    script: str,
    port: int,
    args: list[str],
    path: str = "",
    connections: int,
    threads: int,
    duration: float,
) -> dict[str, Any]:
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(duration))}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(WRK_DIR / script),
        f"http://127.0.0.1:{port}{path}",
        "--",
        *args,
    ]
    env = {**os.environ, "WRK_REPORT_LUA": str(WRK_DIR / "report.lua")}
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    match = _WRK_JSON.search(result.stdout)
    if result.returncode != 0 or match is None:
        raise SystemExit(f"wrk failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    figures: dict[str, Any] = json.loads(match.group(1))
    seconds = figures["duration_us"] / 1e6
    errors = sum(
        figures[key]
        for key in ("status_errors", "connect_errors", "read_errors", "write_errors", "timeouts")
    )
    figures["rps"] = round(figures["requests"] / seconds, 1)
    figures["ok_rps"] = round((figures["requests"] - figures["status_errors"]) / seconds, 1)
    figures["errors"] = errors
    for key in ("mean_us", "p50_us", "p90_us", "p95_us", "p99_us", "max_us"):
        figures[key.replace("_us", "_ms")] = round(figures[key] / 1000, 1)
    return figures


def measure(
    config: ServerConfig,
    *,
    env: dict[str, str],
    lesson_path: str,
    users_file: Path,
    questions_file: Path,
    connections: int,
    wrk_threads: int,
    duration: float,
    warmup: float,
) -> dict[str, Any]:
    port = free_port()
    server = start_gunicorn(config, env, port)
    # The warm run: one student per connection, each re-reading the page (the rendered
    # content is cached after the warm-up). The cold run: every student in turn, most of
    # whose pages are rendered afresh in each worker.
    warm_file = users_file.with_name("users-warm.tsv")
    warm_file.write_text("".join(users_file.read_text().splitlines(keepends=True)[:connections]))
    try:
        check_lesson_page(port, lesson_path, users_file)

        def load(script: str, args: list[str], seconds: float, path: str = "") -> dict[str, Any]:
            return run_wrk(
                script=script,
                port=port,
                args=args,
                path=path,
                connections=connections,
                threads=wrk_threads,
                duration=seconds,
            )

        warm_args = [str(warm_file), lesson_path, str(wrk_threads)]
        load("lesson.lua", warm_args, warmup)
        lesson = load("lesson.lua", warm_args, duration)
        cold = load("lesson.lua", [str(users_file), lesson_path, str(wrk_threads)], duration)
        answer_args = [str(users_file), str(questions_file), str(wrk_threads)]
        answer = load("answer.lua", answer_args, duration)
        floor = load("plain.lua", [], duration, path="/")
        login = load("plain.lua", [], duration, path="/accounts/login/")
    finally:
        stop(server)
    return {
        "server": config.description,
        "lesson_get": lesson,
        "lesson_get_cold": cold,
        "answer_post": answer,
        "floor_get": floor,
        "login_get": login,
    }


# --- the report ----------------------------------------------------------------------------


def machine() -> dict[str, str]:
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    postgres = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc", "SHOW server_version"],
        capture_output=True,
        text=True,
        check=False,
    )
    return {
        **common.machine(),
        "wrk": " ".join((wrk.stdout or wrk.stderr or "wrk ?").split()[:2]),
        "postgres": postgres.stdout.strip() or "?",
    }


def report(
    *, info: dict[str, Any], prof: dict[str, Any], runs: list[dict[str, Any]], args: Any
) -> str:
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    host = machine()
    main, peer = runs[0], runs[-1]
    rows = []
    for run in runs:
        warm, cold = run["lesson_get"], run["lesson_get_cold"]
        answer, floor, login = run["answer_post"], run["floor_get"], run["login_get"]
        errors = sum(run[key]["errors"] for key in ("lesson_get", "lesson_get_cold", "answer_post"))
        rows.append(
            f"| {run['server']} | {warm['p50_ms']} / **{warm['p95_ms']}** / {warm['p99_ms']} "
            f"| {warm['rps']} | {cold['p95_ms']} | {cold['rps']} | **{answer['ok_rps']}** "
            f"| {answer['p95_ms']} | {floor['p95_ms']} | {floor['rps']} | {login['p95_ms']} "
            f"| {login['rps']} | {errors} |"
        )
    p95 = main["lesson_get"]["p95_ms"]
    rps = main["answer_post"]["ok_rps"]
    ratios = []
    for key, label in (("floor_get", "the floor (`GET /`)"), ("login_get", "the login page")):
        reference = main[key]
        p95_ratio = p95 / reference["p95_ms"]
        rps_ratio = rps / reference["rps"]
        ratios.append(
            f"| {label} | {reference['p95_ms']} | {p95_ratio:.2f} "
            f"(<= {LESSON_P95_PER_FLOOR:g}: {common.verdict(p95_ratio <= LESSON_P95_PER_FLOOR)}) "
            f"| {reference['rps']} | {rps_ratio:.2f} "
            f"(>= {ANSWER_RPS_PER_FLOOR:g}: {common.verdict(rps_ratio >= ANSWER_RPS_PER_FLOOR)}) |"
        )
    return f"""{START_MARK}
# Web benchmark

Produced by `.venv/bin/python -m bench.web_bench` on {now}.

Machine: {host["nproc"]} CPUs ({host["cpu"]}), {host["ram"]} RAM, {host["os"]};
Python {host["python"]}, PostgreSQL {host["postgres"]}, load tool: {host["wrk"]}.
Load average when the run ended: {host["load"]}. The load generator, gunicorn and
PostgreSQL share these {host["nproc"]} CPUs, and so does whatever else runs on the machine.

How it was measured: database `{args.database}` (PostgreSQL on 127.0.0.1, dropped and
created afresh), migrated, course loaded, {args.users} students created, each with an API
token, a logged-in session and a CSRF cookie. gunicorn serves `annquiz.wsgi` with production
settings (DEBUG off, static files by WhiteNoise). The load comes from a second process,
Debian's `wrk`, with {args.connections} concurrent connections ({args.wrk_threads} wrk threads),
{args.duration:g} s per measurement, driven by the Lua scripts in `bench/wrk/`:

- lesson page, warm: `GET {info["lesson"]}` ({info["lesson_questions"]} questions, a wide
  table, math, a figure) by {args.connections} students, one per connection, each re-reading
  the page, after a {args.warmup:g} s warm-up; the rendered page is cached per process;
- lesson page, cold: the same page for all {args.users} students in turn, so most requests
  render the page for the student afresh in that worker;
- answer: `POST /api/v1/questions/{{id}}/answers/` with the next student's token, over the
  course's {info["answer_questions"]} numeric and single-choice questions, so that no student
  reaches an attempt limit (room for {info["attempt_capacity"]:,} answers); each answer is
  graded and stored (progress row locked, answer inserted, progress updated); only 201
  replies are counted;
- floor: `GET /` by a visitor, the home page (the site's layout and text, no query): what
  this stack delivers on this machine for its cheapest page;
- login page: `GET /accounts/login/` by a visitor, a form and no query.

The peer is {peer["server"]}, measured in the same run with the same load.

{TABLE_HEADER}
{chr(10).join(rows)}

Targets, as ratios to a page measured in the same run ({main["server"]}): the lesson page's
p95 at most {LESSON_P95_PER_FLOOR:g} x that page's p95, and answers per second at least
{ANSWER_RPS_PER_FLOOR:g} x that page's requests per second. The floor is the cheapest page
the stack serves: the home page for a visitor, the site's layout and text without any query.
The login page, the floor of earlier runs, also makes no query but renders a form (about
twice the floor's CPU time, see below); both are shown.

| Reference page | its p95 ms | lesson p95 / its p95 | its req/s | answers/s / its req/s |
|---|---|---|---|---|
{chr(10).join(ratios)}

Absolute figures ({main["server"]}): lesson page p95 {p95} ms (the lessons' first target was
{LESSON_P95_TARGET_MS:g} ms); {rps} answers/s (first target {ANSWER_RPS_TARGET:g}/s). On this
machine even the floor's p95 is {main["floor_get"]["p95_ms"]} ms at {args.connections}
connections, which is why the targets are ratios.

Where the time goes: each kind of request {args.profile_rounds} times in-process, through
Django's test client on the same database while nothing else runs (`bench/request_phases.py`;
each phase's own wall time, without the phases inside it, so the phases add up to the wall
time; CPU is this process's alone):

{phases_table(prof["phases"])}

The cached lesson page's statements: {"; ".join(prof["lesson_sql"])}.

The answer's statements: {"; ".join(prof["answer_sql"])}.

<details><summary>Raw figures</summary>

```json
{json.dumps({"profile": prof["phases"], "runs": runs, "setup": info}, indent=2)}
```

</details>
{END_MARK}
"""


def ensure_wrk() -> None:
    """Make sure Debian's ``wrk`` is installed: with apt-get when running as root, else stop
    with a message that says how to install it."""
    if shutil.which("wrk") is not None:
        return
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise SystemExit(
            "web_bench needs the load tool wrk, which is not installed: install Debian's "
            "package as root (`sudo apt-get install -y wrk`), then run the benchmark again"
        )
    print("web_bench: wrk is missing; installing Debian's package with apt-get", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "--no-install-recommends", "wrk"]
    if subprocess.run(install, env=env, check=False).returncode != 0:
        # The package lists may be missing or stale: refresh them and try once more.
        subprocess.run(["apt-get", "update"], env=env, check=False)
        subprocess.run(install, env=env, check=False)
    if shutil.which("wrk") is None:
        raise SystemExit("`apt-get install -y wrk` did not install wrk: see apt-get's output above")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="annquiz_bench")
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--lesson", default="ann-architecture", help="the lesson page's slug")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--duration", type=float, default=15.0, help="seconds per measurement")
    parser.add_argument(
        "--profile-rounds", type=int, default=50, help="requests of each kind profiled in-process"
    )
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--no-peer", action="store_true", help="skip the 1-worker peer")
    parser.add_argument("--no-write", action="store_true", help="print only, keep RESULTS.md")
    args = parser.parse_args(argv)
    ensure_wrk()
    if args.users < args.wrk_threads:
        raise SystemExit("--users must be at least --wrk-threads")

    with tempfile.TemporaryDirectory(prefix="annquiz-web-bench-") as tmp:
        var_dir = Path(tmp) / "var"
        env = environment(args.database, var_dir)
        os.environ.update(env)
        for key in [k for k in os.environ if k not in env]:
            if key.startswith("DATABASE_"):
                del os.environ[key]
        common.recreate_database(args.database)
        print(f"web_bench: preparing {args.database} with {args.users} students", flush=True)
        users_file, questions_file, lesson_path, info = prepare(
            users=args.users, lesson_slug=args.lesson, out=Path(tmp)
        )
        prof = profile(lesson_path=lesson_path, rounds=args.profile_rounds)
        print(f"web_bench: profile {json.dumps(prof['phases'])}")
        configs = [ServerConfig("main", args.workers, args.threads)]
        if not args.no_peer:
            configs.append(ServerConfig("peer", 1, 1))
        runs = []
        for config in configs:
            print(f"web_bench: measuring {config.description}", flush=True)
            run = measure(
                config,
                env=env,
                lesson_path=lesson_path,
                users_file=users_file,
                questions_file=questions_file,
                connections=args.connections,
                wrk_threads=args.wrk_threads,
                duration=args.duration,
                warmup=args.warmup,
            )
            print(
                f"web_bench:   lesson GET p95 {run['lesson_get']['p95_ms']} ms, "
                f"{run['lesson_get']['rps']} req/s; cold p95 {run['lesson_get_cold']['p95_ms']} "
                f"ms, {run['lesson_get_cold']['rps']} req/s; "
                f"answer POST {run['answer_post']['ok_rps']} "
                f"req/s (p95 {run['answer_post']['p95_ms']} ms), "
                f"errors {run['lesson_get']['errors']}/{run['answer_post']['errors']}",
                flush=True,
            )
            runs.append(run)
    section = report(info=info, prof=prof, runs=runs, args=args)
    print(section)
    if not args.no_write:
        common.write_section(section, start_mark=START_MARK, end_mark=END_MARK)
        print(f"web_bench: written to {common.RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
