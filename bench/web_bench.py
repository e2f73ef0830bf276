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
3. profiles one request of each kind in-process with ``CaptureQueriesContext`` (queries per
   request, time spent rendering) against the same database;
4. starts gunicorn on a free port, ``--workers`` workers x ``--threads`` threads (gthread),
   and drives it from a second process, ``wrk``, at ``--connections`` concurrent clients:
   the lesson page (GET with each student's cookies in turn; target p95 <= 50 ms)
   and the answer API (POST ``/api/v1/questions/{id}/answers/`` with each student's token in
   turn over the course's numeric and single-choice questions; target >= 200 requests/s);
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


def profile(*, lesson_path: str, rounds: int = 20) -> dict[str, Any]:
    """Queries and time per request, in-process with Django's test client (same database).

    Template rendering is timed by wrapping the template backend's ``render`` meanwhile.
    """
    from django.contrib.auth.models import User
    from django.db import connection
    from django.template.backends.django import Template
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from rest_framework.authtoken.models import Token

    from annquiz.courses.models import Question, QuestionKind
    from annquiz.enrolment.models import Offering, Role
    from annquiz.enrolment.services import membership_add

    student = User.objects.create_user("bench-profile", password="bench-password")
    offering = Offering.objects.get(slug=lesson_path.split("/")[2])  # /courses/<slug>/…
    membership_add(user=student, offering=offering, role=Role.STUDENT)
    token = Token.objects.create(user=student)
    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(student)
    client.get(lesson_path)  # draws variants

    from django.core.cache import caches

    from annquiz.courses.lesson_cache import LESSON_PAGES_CACHE

    # Read each capture at once: the next request clears the connection's query log.
    caches[LESSON_PAGES_CACHE].clear()
    with CaptureQueriesContext(connection) as capture:
        response = client.get(lesson_path)
    assert response.status_code == 200, response.status_code
    uncached_queries = [q["sql"] for q in capture.captured_queries]
    with CaptureQueriesContext(connection) as capture:
        response = client.get(lesson_path)
    assert response.status_code == 200, response.status_code
    lesson_queries = [q["sql"] for q in capture.captured_queries]
    caches[LESSON_PAGES_CACHE].clear()
    started = time.perf_counter()
    client.get(lesson_path)
    uncached_seconds = time.perf_counter() - started

    rendering = [0.0]
    original = Template.render

    def timed(self: Any, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(self, *args, **kwargs)
        finally:
            rendering[0] += time.perf_counter() - started

    Template.render = timed  # type: ignore[method-assign]
    try:
        started = time.perf_counter()
        cpu_started = time.process_time()
        for _ in range(rounds):
            client.get(lesson_path)
        request_seconds = (time.perf_counter() - started) / rounds
        request_cpu_seconds = (time.process_time() - cpu_started) / rounds
    finally:
        Template.render = original  # type: ignore[method-assign]

    question = Question.objects.active().filter(kind=QuestionKind.NUMERIC).first()
    assert question is not None
    api = Client(SERVER_NAME="127.0.0.1", headers={"Authorization": f"Token {token.key}"})
    body = json.dumps({"response": {"value": question.config["answer"]}})
    with CaptureQueriesContext(connection) as capture:
        answered = api.post(
            f"/api/v1/questions/{question.pk}/answers/", body, content_type="application/json"
        )
    assert answered.status_code == 201, answered.content
    answer_queries = [q["sql"] for q in capture.captured_queries]
    others = Question.objects.active().filter(kind=QuestionKind.SINGLE_CHOICE)[:1]
    started = time.perf_counter()
    cpu_started = time.process_time()
    api.post(
        f"/api/v1/questions/{others[0].pk}/answers/",
        json.dumps({"response": {"choice": others[0].config["choices"][0]["key"]}}),
        content_type="application/json",
    )
    answer_seconds = time.perf_counter() - started
    answer_cpu_seconds = time.process_time() - cpu_started
    return {
        "lesson_get_queries": len(lesson_queries),
        "lesson_get_uncached_queries": len(uncached_queries),
        "lesson_get_uncached_ms_in_process": round(uncached_seconds * 1000, 2),
        "lesson_get_ms_in_process": round(request_seconds * 1000, 2),
        "lesson_get_cpu_ms_in_process": round(request_cpu_seconds * 1000, 2),
        "lesson_template_render_ms": round(rendering[0] / rounds * 1000, 2),
        "answer_post_queries": len(answer_queries),
        "answer_post_ms_in_process": round(answer_seconds * 1000, 2),
        "answer_post_cpu_ms_in_process": round(answer_cpu_seconds * 1000, 2),
        "lesson_queries_sql": [sql[:160] for sql in lesson_queries],
        "answer_queries_sql": [sql[:160] for sql in answer_queries],
    }


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
    finally:
        stop(server)
    return {
        "server": config.description,
        "lesson_get": lesson,
        "lesson_get_cold": cold,
        "answer_post": answer,
        "login_get": floor,
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
        answer, login = run["answer_post"], run["login_get"]
        errors = sum(run[key]["errors"] for key in ("lesson_get", "lesson_get_cold", "answer_post"))
        rows.append(
            f"| {run['server']} | {warm['p50_ms']} / **{warm['p95_ms']}** / {warm['p99_ms']} "
            f"| {warm['rps']} | {cold['p95_ms']} | {cold['rps']} | **{answer['ok_rps']}** "
            f"| {answer['p95_ms']} | {login['p95_ms']} | {login['rps']} | {errors} |"
        )
    p95 = main["lesson_get"]["p95_ms"]
    rps = main["answer_post"]["ok_rps"]
    if main["login_get"]["p95_ms"] > LESSON_P95_TARGET_MS:
        floor_note = (
            f"Since even that page misses {LESSON_P95_TARGET_MS:g} ms at "
            f"{args.connections} connections on this machine, no page that reads the database "
            "can meet the lesson page's target here; compare the lesson page to the floor."
        )
    else:
        floor_note = (
            f"That page meets {LESSON_P95_TARGET_MS:g} ms, so the lesson page's distance from "
            "the target is its own cost."
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
- floor: `GET /accounts/login/` anonymously, a template page without any query: what this
  stack delivers on this machine for the cheapest page.

The peer is {peer["server"]}, measured in the same run with the same load.

{TABLE_HEADER}
{chr(10).join(rows)}

Targets ({main["server"]}): lesson page p95 <= {LESSON_P95_TARGET_MS:g} ms: {p95} ms,
{common.verdict(p95 <= LESSON_P95_TARGET_MS)}; answer POST >= {ANSWER_RPS_TARGET:g} requests/s:
{rps}/s, {common.verdict(rps >= ANSWER_RPS_TARGET)}.

Reading the figures: the floor, a page that makes no query at all, has a p95 of
{main["login_get"]["p95_ms"]} ms at {main["login_get"]["rps"]} requests/s in this run.
{floor_note} A cached lesson page renders the site layout around its cached content (a
template fragment); the answer POST's cost is its queries, the locked
transaction's round trips and the commit.

Per request, profiled in-process with Django's test client and `CaptureQueriesContext` on the
same database (wall time includes waiting for PostgreSQL and for the other work on the
machine; CPU time is this process's alone): the lesson page makes
{prof["lesson_get_queries"]} queries (session, user, page version) and takes
{prof["lesson_get_ms_in_process"]} ms ({prof["lesson_get_cpu_ms_in_process"]} ms of CPU) once
its content is cached ({prof["lesson_template_render_ms"]} ms of it template rendering), and
{prof["lesson_get_uncached_queries"]} queries and {prof["lesson_get_uncached_ms_in_process"]} ms
when rendered afresh; an answer POST makes {prof["answer_post_queries"]} queries on a first
answer to a question and takes {prof["answer_post_ms_in_process"]} ms
({prof["answer_post_cpu_ms_in_process"]} ms of CPU).

<details><summary>Raw figures</summary>

```json
{json.dumps({"profile": prof, "runs": runs, "setup": info}, indent=2)}
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
        prof = profile(lesson_path=lesson_path)
        print(f"web_bench: profile {json.dumps({k: v for k, v in prof.items() if 'sql' not in k})}")
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
