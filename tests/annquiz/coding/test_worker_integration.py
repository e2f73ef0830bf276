"""End to end through the API and a real Celery worker: grading, recovery, limits, isolation.

The test process submits with DRF's ``APIClient``; a real ``celery worker`` subprocess
(``tests/worker.py``) on the same PostgreSQL test database and a private Redis database
claims, trains, judges and stores. Nothing is eager or mocked.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import psutil
import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from annquiz.coding.models import CodingTask, Submission
from annquiz.coding.statuses import JUDGED_STATUSES, Status
from tests.annquiz.coding.conftest import store_task
from tests.factories import StudentFactory
from tests.worker import FAST_SWEEP, SHORT_LEASE, CeleryStack, WorkerOptions, WorkerProcess
from training.solutions import parse_solution
from training.spec import spec_to_dict

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

CATALOG = Path(__file__).resolve().parents[3] / "fixtures" / "tasks"
HANDOUT = "handout-keras"
# A NumPy grading of several seconds within the task's limits: 200 epochs in batches of 2.
LONG_RUN = {"epochs": 200, "batch_size": 2}
FINISHED = [*JUDGED_STATUSES, Status.TIMED_OUT, Status.ERROR]
GRADE_TIMEOUT = 60.0
TF_TASK = "image-cnn"
# TensorFlow with ANNQUIZ_TF_THREADS=1: its own pools of one thread, plus the pool process's
# own (Celery, PostgreSQL, Redis) threads.
MAX_TF_CHILD_THREADS = 24
SUCCEEDED = re.compile(
    r"Task annquiz\.coding\.grade_submission\[[0-9a-f-]+\] succeeded in [^:]+: (.*)"
)


def reference_spec(task: CodingTask, **changes: Any) -> dict[str, Any]:
    """The task's reference solution as a JSON spec, with ``changes`` applied."""
    spec = spec_to_dict(parse_solution(task.reference_kind, task.reference_source))
    spec.update(changes)
    return spec


def body_for(kind: str, source: str) -> dict[str, Any]:
    return {"keras": source} if kind == "keras" else {"spec": json.loads(source)}


@pytest.fixture
def student() -> User:
    return StudentFactory.create()


@pytest.fixture
def api(student: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=student)
    return client


def submit(api: APIClient, task: CodingTask, body: dict[str, Any], key: str = "") -> dict[str, Any]:
    headers = {"Idempotency-Key": key} if key else {}
    response = api.post(
        f"/api/v1/tasks/{task.slug}/submissions/", body, format="json", headers=headers
    )
    assert response.status_code == 202, response.content
    data: dict[str, Any] = response.json()
    assert response["Location"] == data["url"]
    return data


def read(api: APIClient, url: str) -> dict[str, Any]:
    response = api.get(url)
    assert response.status_code == 200, response.content
    data: dict[str, Any] = response.json()
    return data


def outcomes_logged(worker: WorkerProcess) -> list[str]:
    """Return values of every finished grade_submission task, from the worker's log."""
    return SUCCEEDED.findall(worker.log_text())


def running_with_progress(submission: Submission) -> bool:
    return bool(submission.progress) and submission.progress.get("epoch", 0) >= 1


def kill_pool_child(worker: WorkerProcess) -> int:
    """SIGKILL the worker's pool process (the child running the grading); return its pid."""
    (child,) = worker.pool_pids()
    assert child in worker.child_pids() and child != worker.pid
    psutil.Process(child).kill()
    return child


# --------------------------------------------------------------------------- the fixture


def test_the_worker_answers_and_stopping_it_leaves_no_process_behind(
    celery_stack: CeleryStack,
) -> None:
    worker = celery_stack.start_worker(WorkerOptions(beat=True))

    children = worker.child_pids()
    pool = worker.pool_pids()
    assert len(pool) == 1 and set(pool) < set(children), (pool, children)  # pool + beat
    processes = [psutil.Process(pid) for pid in [worker.pid, *children]]
    assert celery_stack.redis.exists("_kombu.binding.numpy")

    worker.stop()

    assert worker.process.returncode is not None
    _, alive = psutil.wait_procs(processes, timeout=5)
    assert [p for p in alive if p.status() != psutil.STATUS_ZOMBIE] == []
    assert "Warm shutdown" in worker.log_text()


# --------------------------------------------------------------------------- grading


def test_the_handout_snippet_passes_and_the_broken_one_fails(
    celery_worker_process: WorkerProcess, api: APIClient
) -> None:
    task = store_task(HANDOUT)
    reference = submit(api, task, body_for(task.reference_kind, task.reference_source))
    broken = submit(api, task, body_for(task.broken_kind, task.broken_source))
    assert reference["status"] == "queued" and reference["queue_position"] in (1, None)

    celery_worker_process.wait_for(reference["id"], FINISHED, GRADE_TIMEOUT)
    celery_worker_process.wait_for(broken["id"], FINISHED, GRADE_TIMEOUT)

    passed = read(api, reference["url"])
    assert passed["status"] == "passed", passed["message"]
    assert passed["finished"] and passed["counts_as_attempt"]
    assert passed["queue_position"] is None
    result = passed["result"]
    assert result["verdict"] == "passed"
    assert result["checks"] and all(check["passed"] for check in result["checks"])
    assert len(result["seeds"]) == 3
    curves = result["seeds"][result["representative"]]["history"]
    assert len(curves["loss"]) == 50 and len(curves["val_loss"]) == 50
    assert passed["progress"]["epochs"] == 50

    failed = read(api, broken["url"])
    assert failed["status"] == "failed", failed["message"]
    assert not all(check["passed"] for check in failed["result"]["checks"])
    assert failed["counts_as_attempt"]
    rows = Submission.objects.filter(pk__in=[reference["id"], broken["id"]])
    assert sorted(rows.values_list("worker_attempts", flat=True)) == [1, 1]
    assert sorted(outcomes_logged(celery_worker_process)) == ["'failed'", "'passed'"]


def test_early_stopping_on_val_loss_without_validation_split_is_graded_by_the_worker(
    celery_worker_process: WorkerProcess, api: APIClient
) -> None:
    """Accepted at submit time because the task supplies the validation rows, and judged
    in the worker from the spec stored as admitted (it used to end "error" there)."""
    task = store_task("fix-overfitting")
    stop = {"monitor": "val_loss", "patience": 10, "restore_best_weights": True}
    body = {"spec": reference_spec(task, early_stopping=stop, metrics=[])}
    assert body["spec"]["validation_split"] == 0.0

    submitted = submit(api, task, body)
    graded = celery_worker_process.wait_for(submitted["id"], FINISHED, GRADE_TIMEOUT)

    assert graded.status in JUDGED_STATUSES, graded.message
    assert graded.status == Status.PASSED, graded.message
    assert graded.admitted_spec["spec"]["early_stopping"]["monitor"] == "val_loss"
    assert outcomes_logged(celery_worker_process) == ["'passed'"]


def test_the_same_idempotency_key_twice_is_one_submission_graded_once(
    celery_worker_process: WorkerProcess, api: APIClient, student: User
) -> None:
    task = store_task(HANDOUT)
    body = body_for(task.reference_kind, task.reference_source)

    first = submit(api, task, body, key="retry-after-a-network-error")
    again = api.post(
        f"/api/v1/tasks/{task.slug}/submissions/",
        body,
        format="json",
        headers={"Idempotency-Key": "retry-after-a-network-error"},
    )

    assert again.status_code == 202 and again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first["id"]
    graded = celery_worker_process.wait_for(first["id"], FINISHED, GRADE_TIMEOUT)
    time.sleep(1.0)  # room for a second grading, if a second message had been sent
    graded.refresh_from_db()
    assert graded.status == Status.PASSED
    assert (graded.worker_attempts, graded.enqueue_count) == (1, 1)
    assert Submission.objects.filter(student=student).count() == 1
    assert outcomes_logged(celery_worker_process) == ["'passed'"]


# --------------------------------------------------------------------------- lost workers


@pytest.mark.parametrize("celery_worker_process", [WorkerOptions(env=SHORT_LEASE)], indirect=True)
def test_a_submission_that_keeps_killing_its_worker_ends_as_an_error_not_an_attempt(
    celery_worker_process: WorkerProcess, api: APIClient, settings: Any
) -> None:
    worker = celery_worker_process
    task = store_task(HANDOUT)
    submitted = submit(api, task, {"spec": reference_spec(task, **LONG_RUN)})
    cap = settings.ANNQUIZ_GRADE_MAX_WORKER_ATTEMPTS

    for attempt in range(1, cap + 1):

        def running_again(submission: Submission, attempt: int = attempt) -> bool:
            return submission.worker_attempts == attempt and running_with_progress(submission)

        worker.wait_for(submitted["id"], [Status.RUNNING], 30, condition=running_again)
        kill_pool_child(worker)

    ended = worker.wait_for(submitted["id"], FINISHED, 30)
    assert ended.status == Status.ERROR, ended.message
    assert ended.worker_attempts == cap
    assert ended.result is None
    assert f"{cap} times" in ended.message
    shown = read(api, submitted["url"])
    assert shown["counts_as_attempt"] is False and shown["finished"] is True
    detail = read(api, f"/api/v1/tasks/{task.slug}/")
    assert detail["attempts_used"] == 0
    worker.assert_alive()


def test_a_lost_message_is_sent_again_by_the_sweeper_and_graded(
    celery_stack: CeleryStack, api: APIClient
) -> None:
    task = store_task(HANDOUT)
    submitted = submit(api, task, body_for(task.reference_kind, task.reference_source))
    assert celery_stack.queue_length("numpy") == 1
    assert celery_stack.drop_queue("numpy") == 1  # the message is lost

    # A worker without the sweeper has nothing to take: the submission sits in "queued".
    idle = celery_stack.start_worker(WorkerOptions(env=FAST_SWEEP))
    time.sleep(int(FAST_SWEEP["ANNQUIZ_GRADE_QUEUED_DEADLINE"]) + 1.0)
    waiting = read(api, submitted["url"])
    assert (waiting["status"], waiting["queue_position"]) == ("queued", 1)
    idle.stop()

    worker = celery_stack.start_worker(WorkerOptions(beat=True, env=FAST_SWEEP))
    graded = worker.wait_for(submitted["id"], FINISHED, 45)

    assert graded.status == Status.PASSED, graded.message
    assert (graded.enqueue_count, graded.worker_attempts) >= (2, 1)
    assert graded.worker_attempts == 1
    assert f"re-enqueued [{submitted['id']}]" in worker.log_text()


# --------------------------------------------------------------------------- bad networks, limits


def test_a_diverging_network_is_graded_quickly_and_the_worker_goes_on(
    celery_worker_process: WorkerProcess, api: APIClient
) -> None:
    worker = celery_worker_process
    task = store_task(HANDOUT)
    explosive = reference_spec(task, epochs=200, optimizer={"name": "adam", "learning_rate": 1e6})
    diverging = submit(api, task, {"spec": explosive})
    (child,) = worker.pool_pids()

    graded = worker.wait_for(diverging["id"], FINISHED, GRADE_TIMEOUT)

    assert graded.status == Status.DIVERGED, graded.message
    assert all(seed["epochs_run"] <= 10 for seed in graded.result["seeds"]), [
        seed["epochs_run"] for seed in graded.result["seeds"]
    ]
    assert graded.result["seconds"] < 5
    assert read(api, diverging["url"])["counts_as_attempt"] is True
    following = submit(api, task, body_for(task.reference_kind, task.reference_source))
    assert worker.wait_for(following["id"], FINISHED, GRADE_TIMEOUT).status == Status.PASSED
    assert worker.pool_pids() == [child]


TIME_LIMITS = {"ANNQUIZ_GRADE_SOFT_TIME_LIMIT": "2", "ANNQUIZ_GRADE_HARD_TIME_LIMIT": "4"}


def grading_is_timed_out_and_the_worker_goes_on(worker: WorkerProcess, api: APIClient) -> None:
    task = store_task(HANDOUT)
    slow = submit(api, task, {"spec": reference_spec(task, **LONG_RUN)})

    ended = worker.wait_for(slow["id"], FINISHED, 30)

    assert ended.status == Status.TIMED_OUT, ended.message
    assert ended.finished_at is not None and ended.started_at is not None
    assert (ended.finished_at - ended.started_at).total_seconds() < 4
    shown = read(api, slow["url"])
    assert shown["counts_as_attempt"] is False and "2 s" in shown["message"]
    following = submit(api, task, body_for(task.reference_kind, task.reference_source))
    assert worker.wait_for(following["id"], FINISHED, GRADE_TIMEOUT).status == Status.PASSED
    assert read(api, f"/api/v1/tasks/{task.slug}/")["attempts_used"] == 1


@pytest.mark.parametrize("celery_worker_process", [WorkerOptions(env=TIME_LIMITS)], indirect=True)
def test_a_grading_past_the_workers_time_limit_is_timed_out_and_not_an_attempt(
    celery_worker_process: WorkerProcess, api: APIClient
) -> None:
    # The limits are the worker's own (ANNQUIZ_GRADE_*_TIME_LIMIT in its environment), not
    # the web process's: the message carries none.
    grading_is_timed_out_and_the_worker_goes_on(celery_worker_process, api)


# --------------------------------------------------------------------------- TensorFlow


def mapped_files(pid: int) -> str:
    return Path(f"/proc/{pid}/maps").read_text(errors="replace")


def test_tensorflow_runs_only_in_the_worker_child_with_bounded_threads(
    celery_worker_process: WorkerProcess, api: APIClient
) -> None:
    worker = celery_worker_process
    task = store_task(TF_TASK)
    assert task.backend == "tensorflow"
    (child,) = worker.pool_pids()
    assert "tensorflow" not in mapped_files(worker.pid)
    assert "tensorflow" not in mapped_files(child)

    submitted = submit(api, task, body_for(task.reference_kind, task.reference_source))
    graded = worker.wait_for(submitted["id"], FINISHED, 150)

    assert graded.status == Status.PASSED, graded.message
    assert worker.pool_pids() == [child]
    assert "libtensorflow" in mapped_files(child)
    assert "tensorflow" not in mapped_files(worker.pid)
    # The pool process configured TensorFlow's thread pools before first use, as it reports.
    configured = f"TensorFlow in process {child}: 1 inter-op and 1 intra-op threads"
    assert configured in worker.log_text()
    threads = psutil.Process(child).num_threads()
    assert threads <= MAX_TF_CHILD_THREADS, threads
