"""Grading benchmark: submissions to coding tasks through the API and real Celery workers.

Run from the repository root (PostgreSQL on 127.0.0.1:5432 with trust auth, Redis on
127.0.0.1:6379 or ``REDIS_URL``)::

    .venv/bin/python -m bench.grading_bench                  # about 15 minutes; updates RESULTS.md
    .venv/bin/python -m bench.grading_bench --runs 10 --burst 30 --tf-grades 20 --no-write

One command, in this order:

1. drops and creates the database ``annquiz_bench`` (``--database``), migrates it and loads
   the task catalog (``manage.py load_tasks``); empties a private Redis database
   (``--redis-db``, default 13; refused unless empty or left by an earlier run);
2. (a) latency: one real worker (``celery -A annquiz worker``, prefork, concurrency 1);
   ``--runs`` submissions of the handout-keras reference snippet (NumPy backend, the task's
   3 seeds), one at a time, each POSTed through the API with DRF's test client in this
   process (no HTTP server); the time from submit to stored verdict is taken from the
   database's timestamps (``created_at`` to ``finished_at``) and as seen by a client polling
   ``GET /api/v1/submissions/<id>/`` every ``--poll-ms``; targets p50 <= 1.0 s, p95 <= 1.5 s.
   The peer: the same judging in this process with no queue (``training.judging.judge``);
3. (b) drain rate: ``--burst`` submissions POSTed in one transaction, so that their messages
   are all queued when it commits, drained by one worker with two pool processes
   (``--concurrency 2``); grades per minute from the commit to the last stored verdict
   (target >= 100). The peer: one process judging the same submissions back to back in-process;
4. (c) memory: one worker (concurrency 1, no child replacement) grades ``--tf-grades``
   TensorFlow-backend submissions of the image-cnn task, cycling over ``--tf-architectures``
   different networks (the reference and variants of it); the pool process's resident set
   size (psutil) after the first grade and after the last (target: within 100 MB), then over
   ``--tf-new-architectures`` further grades of as many new networks. The peer: tf.keras
   ``model.fit`` of the same reference CNN in a loop in a fresh process (``clear_session()``
   after each), measured the same way;
5. writes its section of ``bench/RESULTS.md`` (between ``<!-- grading_bench -->`` markers).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gc
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from annquiz.core.processes import celery_worker_command
from bench import common

ROOT = Path(__file__).resolve().parent.parent
START_MARK = "<!-- grading_bench -->"
END_MARK = "<!-- /grading_bench -->"
PG_SERVER = common.PG_SERVER
HANDOUT = "handout-keras"
TF_TASK = "image-cnn"
TARGETS = {"p50_s": 1.0, "p95_s": 1.5, "drain_per_min": 100.0, "rss_growth_mb": 100.0}
OWNER_KEY = "annquiz:grading-bench:owner"
FINISHED = ("passed", "failed", "diverged", "timed_out", "error")


# --- set-up ----------------------------------------------------------------------------------


def redis_url(db: int) -> str:
    server = os.environ.get("REDIS_URL", "").strip() or "redis://127.0.0.1:6379"
    server = re.sub(r"/\d+$", "", server.rstrip("/"))
    if not server.startswith(("redis://", "rediss://")):
        raise SystemExit(f"REDIS_URL={server!r}: the benchmark needs a TCP Redis (redis://)")
    return f"{server}/{db}"


def claim_redis(url: str) -> None:
    """Empty the private Redis database; refuse one that something else is using."""
    import redis

    client = redis.Redis.from_url(url)
    if client.dbsize() and client.get(OWNER_KEY) is None:
        raise SystemExit(
            f"Redis database {url} is not empty and was not left by this benchmark: "
            "choose another with --redis-db"
        )
    client.flushdb()
    client.set(OWNER_KEY, str(os.getpid()))
    client.close()


def environment(database: str, broker: str, var_dir: Path) -> dict[str, str]:
    """The environment of the benchmarked service (this process and its workers)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "CELERY_", "ANNQUIZ_"))
        and key != "REDIS_URL"
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "annquiz.settings",
            "DATABASE_URL": f"{PG_SERVER}/{database}",
            "REDIS_URL": broker,
            "CELERY_BROKER_URL": broker,
            "DEBUG": "false",
            "SECRET_KEY": "grading-bench-secret-key-not-for-production-use-0123456789",
            "ANNQUIZ_VAR_DIR": str(var_dir),
            # Every submission comes from its own student; the rate limit is not measured here.
            "ANNQUIZ_SUBMISSION_RATE_LIMIT": "100000",
            # The memory figure needs one pool process for all its gradings.
            "ANNQUIZ_WORKER_MAX_TASKS_PER_CHILD": "100000",
            "ANNQUIZ_TF_THREADS": "1",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "PYTHONUNBUFFERED": "1",
            "LOG_LEVEL": "WARNING",
        }
    )
    return env


def prepare(students: int) -> None:
    import django
    from django.core.management import call_command

    django.setup()
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import User

    call_command("migrate", verbosity=0)
    call_command("load_tasks", verbosity=0)
    password = make_password("bench-password")
    User.objects.bulk_create(
        [User(username=f"grader{index:05d}", password=password) for index in range(students)]
    )


class Students:
    """A fresh student for every submission: attempt caps never get in the way."""

    def __init__(self) -> None:
        from django.contrib.auth.models import User

        self._users = iter(User.objects.filter(username__startswith="grader").order_by("id"))

    def client(self) -> Any:
        from rest_framework.test import APIClient

        client = APIClient(SERVER_NAME="127.0.0.1")
        client.force_authenticate(user=next(self._users))
        return client


# --- workers -----------------------------------------------------------------------------


class Worker:
    """``celery -A annquiz worker`` in its own process group."""

    def __init__(self, env: dict[str, str], concurrency: int, log: Path) -> None:
        from annquiz.celery import app

        self.app = app
        self.hostname = f"grading-bench-{uuid.uuid4().hex[:6]}@{socket.gethostname()}"
        command = celery_worker_command(
            concurrency=concurrency,
            hostname=self.hostname,
            loglevel="warning",
            quiet_cluster=True,
        )
        self.log = log
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 90
        while not app.control.ping(destination=[self.hostname], timeout=1.0):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise SystemExit(f"the worker did not start:\n{log.read_text()[-3000:]}")

    def pool_pids(self) -> list[int]:
        for _ in range(20):
            stats = self.app.control.inspect(destination=[self.hostname], timeout=1.0).stats()
            if stats and self.hostname in stats:
                return [int(pid) for pid in stats[self.hostname]["pool"]["processes"]]
        raise SystemExit("the worker did not report its pool processes")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=30)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


# --- measurements ------------------------------------------------------------------------


def post(client: Any, slug: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"/api/v1/tasks/{slug}/submissions/", body, format="json")
    if response.status_code != 202:
        raise SystemExit(f"submission refused: {response.status_code} {response.content!r}")
    data: dict[str, Any] = response.json()
    return data


def body_of(kind: str, source: str) -> dict[str, Any]:
    return {"keras": source} if kind == "keras" else {"spec": json.loads(source)}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = (len(ordered) - 1) * q
    low = int(index)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (index - low)


def summary(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50_s": percentile(values, 0.5),
        "p95_s": percentile(values, 0.95),
        "min_s": min(values),
        "max_s": max(values),
    }


def measure_latency(
    students: Students, runs: int, warmup: int, poll_s: float, log: Path
) -> dict[str, Any]:
    """(a) submit -> stored verdict, one submission at a time, one worker process."""
    from annquiz.coding.models import CodingTask, Submission
    from annquiz.coding.selectors import task_definition
    from training.judging import judge
    from training.solutions import parse_solution

    task = CodingTask.objects.get(slug=HANDOUT)
    body = body_of(task.reference_kind, task.reference_source)
    env = dict(os.environ)
    worker = Worker(env, 1, log)
    try:
        client_s: list[float] = []
        db_s: list[float] = []
        pickup_s: list[float] = []
        worker_s: list[float] = []
        judge_s: list[float] = []
        verdicts: set[str] = set()
        for index in range(warmup + runs):
            client = students.client()
            started = time.perf_counter()
            submitted = post(client, task.slug, body)
            while True:
                seen = client.get(submitted["url"]).json()
                if seen["finished"]:
                    break
                time.sleep(poll_s)
            elapsed = time.perf_counter() - started
            if index < warmup:
                continue
            row = Submission.objects.get(pk=submitted["id"])
            assert row.finished_at and row.started_at and row.result
            verdicts.add(row.status)
            client_s.append(elapsed)
            db_s.append((row.finished_at - row.created_at).total_seconds())
            pickup_s.append((row.started_at - row.created_at).total_seconds())
            worker_s.append((row.finished_at - row.started_at).total_seconds())
            judge_s.append(float(row.result["seconds"]))
    finally:
        worker.stop()
    definition = task_definition(task)
    spec = parse_solution(task.reference_kind, task.reference_source)
    judge(definition, spec)  # warm-up, as the worker's first grading was
    peer: list[float] = []
    for _ in range(runs):
        started = time.perf_counter()
        judge(definition, spec)
        peer.append(time.perf_counter() - started)
    return {
        "verdicts": sorted(verdicts),
        "poll_ms": poll_s * 1000,
        "db": summary(db_s),
        "client": summary(client_s),
        "created_to_started": summary(pickup_s),
        "started_to_finished": summary(worker_s),
        "judge_in_worker": summary(judge_s),
        "peer_in_process": summary(peer),
    }


def measure_drain(students: Students, burst: int, concurrency: int, log: Path) -> dict[str, Any]:
    """(b) ``burst`` submissions queued at once, drained by one worker with ``concurrency``
    pool processes."""
    from django.db import transaction
    from django.db.models import Max, Min
    from django.utils import timezone

    from annquiz.coding.models import CodingTask, Submission
    from annquiz.coding.selectors import task_definition
    from training.judging import judge
    from training.solutions import parse_solution

    task = CodingTask.objects.get(slug=HANDOUT)
    body = body_of(task.reference_kind, task.reference_source)
    worker = Worker(dict(os.environ), concurrency, log)
    clients = [students.client() for _ in range(burst)]
    try:
        with transaction.atomic():
            ids = [post(client, task.slug, body)["id"] for client in clients]
        committed = timezone.now()
        batch = Submission.objects.filter(pk__in=ids)
        deadline = time.monotonic() + 60 + burst * 10
        while batch.exclude(status__in=FINISHED).exists():
            if time.monotonic() > deadline:
                raise SystemExit("the burst was not drained in time")
            time.sleep(0.1)
    finally:
        worker.stop()
    span = batch.aggregate(first=Min("started_at"), last=Max("finished_at"))
    drain = (span["last"] - committed).total_seconds()
    statuses = sorted(set(batch.values_list("status", flat=True)))
    definition = task_definition(task)
    spec = parse_solution(task.reference_kind, task.reference_source)
    peer_n = max(5, burst // 5)
    started = time.perf_counter()
    for _ in range(peer_n):
        judge(definition, spec)
    peer_s = time.perf_counter() - started
    return {
        "burst": burst,
        "concurrency": concurrency,
        "statuses": statuses,
        "drain_s": drain,
        "first_start_after_commit_s": (span["first"] - committed).total_seconds(),
        "grades_per_min": burst / drain * 60,
        "peer_grades": peer_n,
        "peer_s": peer_s,
        "peer_grades_per_min": peer_n / peer_s * 60,
    }


def cnn_variants(reference: dict[str, Any], count: int, offset: int = 0) -> list[dict[str, Any]]:
    """The reference CNN with ``count`` different numbers of filters (8 is the reference's)."""
    variants = []
    for index in range(count):
        spec = json.loads(json.dumps(reference))
        conv = next(layer for layer in spec["layers"] if layer["type"] == "conv2d")
        conv["filters"] = int(conv["filters"]) + offset + index
        variants.append(spec)
    return variants


def measure_tf_memory(
    students: Students, grades: int, architectures: int, new_architectures: int, log: Path
) -> dict[str, Any]:
    """(c) the pool process's RSS over many TensorFlow-backend gradings."""
    import psutil

    from annquiz.coding.models import CodingTask
    from training.solutions import parse_solution
    from training.spec import spec_to_dict

    task = CodingTask.objects.get(slug=TF_TASK)
    reference = spec_to_dict(parse_solution(task.reference_kind, task.reference_source))
    specs = cnn_variants(reference, architectures)
    fresh = cnn_variants(reference, new_architectures, offset=architectures)
    worker = Worker(dict(os.environ), 1, log)
    readings: list[tuple[int, float]] = []
    times: list[float] = []
    statuses: dict[str, int] = {}
    try:
        (child,) = worker.pool_pids()
        process = psutil.Process(child)
        rss_start = process.memory_info().rss / 2**20

        def grade(spec: dict[str, Any]) -> None:
            client = students.client()
            started = time.perf_counter()
            submitted = post(client, task.slug, {"spec": spec})
            while True:
                seen = client.get(submitted["url"]).json()
                if seen["finished"]:
                    break
                time.sleep(0.05)
            times.append(time.perf_counter() - started)
            statuses[seen["status"]] = statuses.get(seen["status"], 0) + 1

        def rss() -> float:
            time.sleep(0.3)  # the task returns just after the verdict is stored
            return float(process.memory_info().rss / 2**20)

        for number in range(1, grades + 1):
            grade(specs[(number - 1) % len(specs)])
            if number in (1, len(specs)) or number % 20 == 0 or number == grades:
                readings.append((number, rss()))
                print(f"grading_bench:   {number} TF grades, child RSS {readings[-1][1]:.0f} MB")
        after_all = readings[-1][1]
        for spec in fresh:
            grade(spec)
        after_fresh = rss()
        (still,) = worker.pool_pids()
        if still != child:
            raise SystemExit("the pool process was replaced during the memory measurement")
    finally:
        worker.stop()
    first = readings[0][1]
    return {
        "task": TF_TASK,
        "grades": grades,
        "architectures": architectures,
        "rss_idle_mb": rss_start,
        "rss_after_first_mb": first,
        "rss_after_all_mb": after_all,
        "rss_growth_mb": after_all - first,
        "readings": readings,
        "new_architectures": new_architectures,
        "rss_after_new_mb": after_fresh,
        "rss_new_growth_mb": after_fresh - after_all,
        "grade_p50_s": statistics.median(times),
        "statuses": statuses,
    }


def worker_keras_cnn(fits: int) -> dict[str, Any]:
    """Peer (own process): tf.keras ``model.fit`` of the image-cnn reference in a loop."""
    import keras
    import psutil

    from training.datasets import load_dataset

    data = load_dataset("small-images", 0)

    def fit(seed: int) -> None:
        keras.utils.set_random_seed(seed)
        model = keras.Sequential(
            [
                keras.Input(shape=(12, 12, 1)),
                keras.layers.Conv2D(8, (3, 3), activation="relu"),
                keras.layers.MaxPooling2D((2, 2)),
                keras.layers.Flatten(),
                keras.layers.Dense(4, activation="softmax"),
            ]
        )
        model.compile(
            optimizer=keras.optimizers.Adam(learning_rate=0.01),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
        model.fit(data.x_train, data.y_train, epochs=8, batch_size=32, verbose=0)
        keras.backend.clear_session()

    fit(0)
    process = psutil.Process()
    gc.collect()
    before = process.memory_info().rss / 2**20
    times = []
    for seed in range(1, fits + 1):
        started = time.perf_counter()
        fit(seed)
        times.append(time.perf_counter() - started)
    gc.collect()
    after = process.memory_info().rss / 2**20
    return {
        "fits": fits,
        "rss_before_mb": before,
        "rss_after_mb": after,
        "rss_growth_mb": after - before,
        "fit_p50_s": statistics.median(times),
    }


def run_peer_keras(fits: int) -> dict[str, Any]:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    completed = subprocess.run(
        [sys.executable, "-m", "bench.grading_bench", "--worker", "keras-cnn", "--fits", str(fits)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=False,
    )
    if completed.returncode != 0:
        raise SystemExit(f"the tf.keras peer failed:\n{completed.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


# --- the report --------------------------------------------------------------------------


def report(
    *,
    latency: dict[str, Any] | None,
    drain: dict[str, Any] | None,
    memory: dict[str, Any] | None,
    peer_memory: dict[str, Any] | None,
    args: Any,
    load_before: str,
) -> str:
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    host = common.machine()
    rows = ["| Measurement | Figure | Target | Verdict |", "|---|---|---|---|"]
    if latency:
        db, client, peer = latency["db"], latency["client"], latency["peer_in_process"]
        db_ok = db["p50_s"] <= TARGETS["p50_s"] and db["p95_s"] <= TARGETS["p95_s"]
        client_ok = client["p50_s"] <= TARGETS["p50_s"] and client["p95_s"] <= TARGETS["p95_s"]
        rows += [
            f"| (a) submit -> verdict stored, database timestamps, p50 / p95 "
            f"({db['n']} runs) | {db['p50_s']:.3f} s / {db['p95_s']:.3f} s "
            f"| <= 1.0 s / <= 1.5 s | {common.verdict(db_ok)} |",
            f"| (a) the same, as seen by a client polling every {latency['poll_ms']:g} ms, "
            f"p50 / p95 | {client['p50_s']:.3f} s / {client['p95_s']:.3f} s "
            f"| <= 1.0 s / <= 1.5 s | {common.verdict(client_ok)} |",
            f"| (a) of which: created -> claimed by the worker, p50 / p95 "
            f"| {latency['created_to_started']['p50_s']:.3f} s / "
            f"{latency['created_to_started']['p95_s']:.3f} s | | |",
            f"| (a) of which: claimed -> stored (training and judging in the worker), p50 / p95 "
            f"| {latency['started_to_finished']['p50_s']:.3f} s / "
            f"{latency['started_to_finished']['p95_s']:.3f} s | | |",
            f"| (a) peer: the same judging in-process, no queue, p50 / p95 "
            f"| {peer['p50_s']:.3f} s / {peer['p95_s']:.3f} s | | |",
        ]
    if drain:
        rows += [
            f"| (b) drain rate, {drain['burst']} submissions queued at once, one worker with "
            f"{drain['concurrency']} pool processes | {drain['grades_per_min']:.0f} grades/min "
            f"({drain['drain_s']:.1f} s) | >= 100/min "
            f"| {common.verdict(drain['grades_per_min'] >= TARGETS['drain_per_min'])} |",
            f"| (b) peer: one process judging back to back in-process ({drain['peer_grades']} "
            f"gradings) | {drain['peer_grades_per_min']:.0f} grades/min | | |",
        ]
    if memory:
        rows += [
            f"| (c) worker child RSS after {memory['grades']} TensorFlow-backend grades "
            f"({memory['task']}, {memory['architectures']} architectures in turn) vs after the "
            f"first | {memory['rss_growth_mb']:+.1f} MB ({memory['rss_after_first_mb']:.0f} -> "
            f"{memory['rss_after_all_mb']:.0f} MB) | within 100 MB "
            f"| {common.verdict(abs(memory['rss_growth_mb']) <= TARGETS['rss_growth_mb'])} |",
            f"| (c) then {memory['new_architectures']} grades of as many new architectures "
            f"| {memory['rss_new_growth_mb']:+.1f} MB | | |",
            f"| (c) one TensorFlow grade (3 seeds), submit -> verdict seen, median "
            f"| {memory['grade_p50_s']:.2f} s | | |",
        ]
    if peer_memory:
        rows.append(
            f"| (c) peer: tf.keras model.fit of the reference CNN, {peer_memory['fits']} fits in "
            f"a loop (clear_session() after each) | {peer_memory['rss_growth_mb']:+.1f} MB "
            f"({peer_memory['rss_before_mb']:.0f} -> {peer_memory['rss_after_mb']:.0f} MB), "
            f"{peer_memory['fit_p50_s']:.2f} s per fit | | |"
        )
    raw = {"latency": latency, "drain": drain, "memory": memory, "peer_memory": peer_memory}
    return f"""{START_MARK}
## Grading: submissions through the API and real workers

Produced by `.venv/bin/python -m bench.grading_bench` on {now}.

Machine: {host["nproc"]} CPUs ({host["cpu"]}), {host["ram"]} RAM, {host["os"]};
Python {host["python"]}. Load average before the run: {load_before}; when it ended:
{host["load"]}. Workers, PostgreSQL, Redis and the submitting client share these CPUs.

How it was measured: database `{args.database}` on PostgreSQL (dropped and created afresh,
migrated, task catalog loaded), a private Redis database as the broker, real
`celery -A annquiz worker` processes (prefork, production settings, `ANNQUIZ_TF_THREADS=1`).
Submissions are POSTed to `/api/v1/tasks/<slug>/submissions/` and followed with
`GET /api/v1/submissions/<id>/` through DRF's test client inside the benchmark process (the
API's own code and queries, no HTTP server), each by its own student. (a) handout-keras
reference snippet, NumPy backend, 3 seeds, one submission at a time, one worker process,
after {args.warmup} warm-up submissions; (b) {args.burst} such submissions POSTed in one
transaction so all messages are queued when it commits, one worker with {args.concurrency}
pool processes; (c) image-cnn, TensorFlow backend, a worker with one pool process that is
never replaced, RSS read (psutil) while the process is idle after a verdict is stored.

{chr(10).join(rows)}

<details><summary>Raw figures</summary>

```json
{json.dumps(raw, indent=2, default=str)}
```

</details>
{END_MARK}
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--database", default="annquiz_bench")
    parser.add_argument("--redis-db", type=int, default=13)
    parser.add_argument("--runs", type=int, default=40, help="(a) measured submissions")
    parser.add_argument("--warmup", type=int, default=3, help="(a) submissions not measured")
    parser.add_argument("--poll-ms", type=float, default=20.0, help="(a) client poll interval")
    parser.add_argument("--burst", type=int, default=100, help="(b) submissions queued at once")
    parser.add_argument("--concurrency", type=int, default=2, help="(b) pool processes")
    parser.add_argument("--tf-grades", type=int, default=200, help="(c) TensorFlow gradings")
    parser.add_argument("--tf-architectures", type=int, default=4, help="(c) networks in turn")
    parser.add_argument("--tf-new-architectures", type=int, default=10)
    parser.add_argument("--keras-fits", type=int, default=10, help="(c) peer model.fit calls")
    parser.add_argument("--skip", choices=["latency", "drain", "memory"], action="append")
    parser.add_argument("--no-write", action="store_true", help="print only, keep RESULTS.md")
    parser.add_argument("--worker", choices=["keras-cnn"], help=argparse.SUPPRESS)
    parser.add_argument("--fits", type=int, default=10, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker == "keras-cnn":
        print(json.dumps(worker_keras_cnn(args.fits)))
        return 0
    if min(args.runs, args.burst, args.concurrency, args.tf_grades, args.tf_architectures) < 1:
        parser.error("counts must be at least 1")
    skip = set(args.skip or [])
    load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())
    broker = redis_url(args.redis_db)
    claim_redis(broker)
    with tempfile.TemporaryDirectory(prefix="annquiz-grading-bench-") as tmp:
        env = environment(args.database, broker, Path(tmp) / "var")
        # WhiteNoise warns on every new client while STATIC_ROOT is missing; no page is served.
        (Path(tmp) / "var" / "static").mkdir(parents=True)
        for key in [key for key in os.environ if key not in env]:
            del os.environ[key]
        os.environ.update(env)
        common.recreate_database(args.database)
        students = args.warmup + args.runs + args.burst + args.tf_grades
        students += args.tf_new_architectures + 10
        print(f"grading_bench: preparing {args.database}", flush=True)
        prepare(students)
        pool = Students()
        log = Path(tmp) / "worker.log"
        latency = drain = memory = peer_memory = None
        try:
            if "latency" not in skip:
                print(f"grading_bench: (a) {args.runs} submissions one at a time", flush=True)
                latency = measure_latency(pool, args.runs, args.warmup, args.poll_ms / 1000, log)
                print(f"grading_bench:   {json.dumps(latency['db'])}", flush=True)
            if "drain" not in skip:
                print(f"grading_bench: (b) {args.burst} submissions at once", flush=True)
                drain = measure_drain(pool, args.burst, args.concurrency, log)
                print(f"grading_bench:   {drain['grades_per_min']:.0f} grades/min", flush=True)
            if "memory" not in skip:
                print(f"grading_bench: (c) {args.tf_grades} TensorFlow grades", flush=True)
                memory = measure_tf_memory(
                    pool, args.tf_grades, args.tf_architectures, args.tf_new_architectures, log
                )
                print(f"grading_bench: (c) peer, {args.keras_fits} model.fit calls", flush=True)
                peer_memory = run_peer_keras(args.keras_fits)
        finally:
            import redis

            redis.Redis.from_url(broker).flushdb()
    section = report(
        latency=latency,
        drain=drain,
        memory=memory,
        peer_memory=peer_memory,
        args=args,
        load_before=load_before,
    )
    print(section)
    if not args.no_write:
        common.write_section(section, start_mark=START_MARK, end_mark=END_MARK)
        print(f"grading_bench: written to {common.RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
