"""The submission services: refusals that store nothing, the claim, one result, recovery.

Grading is tested by calling the service in this process (what the Celery task calls); the
real worker process is exercised in test_worker_integration.py.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from annquiz.coding import services
from annquiz.coding.errors import (
    IdempotencyKeyReused,
    InvalidSubmission,
    RateLimited,
    TaskClosed,
)
from annquiz.coding.models import CodingTask, Submission
from annquiz.coding.statuses import Status
from annquiz.core.errors import AttemptsExhausted
from tests.annquiz.coding.conftest import catalog_task
from tests.factories import StudentFactory
from tests.worker import point_app_at

if TYPE_CHECKING:
    from pytest_django.fixtures import Settings

pytestmark = pytest.mark.django_db


@pytest.fixture
def student() -> User:
    return StudentFactory.create(username="alice")


@pytest.fixture
def reference() -> str:
    return catalog_task("handout-keras").reference_source


def submit(student: User, task: CodingTask, source: str, **kwargs: Any) -> Submission:
    kind = kwargs.pop("kind", catalog_task(task.slug).reference_kind)
    return services.submission_create(
        student=student, task=task, source_kind=kind, source=source, **kwargs
    ).submission


# --------------------------------------------------------------------------- submitting


def test_a_valid_submission_is_stored_queued_and_enqueued_after_commit(
    student: User,
    handout_task: CodingTask,
    reference: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        submission = submit(student, handout_task, reference)
    assert submission.status == Status.QUEUED
    assert submission.queue == "numpy"
    assert submission.spec["layers"][0]["units"] == 16
    assert submission.architecture["total_params"] == 289
    assert len(callbacks) == 1


@pytest.mark.parametrize(
    ("kind", "source", "field", "named"),
    [
        ("json", json.dumps({"layers": []}), "spec", "layers"),
        ("json", "{not json", "spec", "JSON"),
        ("keras", "import os\nos.system('rm -rf /')", "keras", "line 1"),
        ("yaml", "layers: []", "kind", "yaml"),
    ],
)
def test_a_bad_submission_is_refused_naming_what_is_wrong_and_nothing_is_queued(
    student: User,
    handout_task: CodingTask,
    django_capture_on_commit_callbacks: Any,
    kind: str,
    source: str,
    field: str,
    named: str,
) -> None:
    with (
        django_capture_on_commit_callbacks(execute=False) as callbacks,
        pytest.raises(InvalidSubmission) as caught,
    ):
        submit(student, handout_task, source, kind=kind)
    assert caught.value.field == field
    assert named in caught.value.message
    assert not Submission.objects.exists()
    assert callbacks == []


def test_a_bad_layer_in_a_snippet_is_refused_naming_its_line(
    student: User, handout_task: CodingTask, reference: str
) -> None:
    bad = reference.replace("Dense(16", "Dense(-16")
    assert bad != reference
    with pytest.raises(InvalidSubmission) as caught:
        submit(student, handout_task, bad)
    assert caught.value.field == "keras"
    assert caught.value.message.startswith("line ")
    assert not Submission.objects.exists()


def test_a_network_over_the_tasks_cost_limits_is_refused(
    student: User, handout_task: CodingTask, reference: str
) -> None:
    greedy = reference.replace("epochs=50", "epochs=100000")
    assert greedy != reference
    with pytest.raises(InvalidSubmission) as caught:
        submit(student, handout_task, greedy)
    assert "epochs" in caught.value.message
    assert not Submission.objects.exists()


def test_a_closed_task_takes_no_submission(
    student: User, handout_task: CodingTask, reference: str
) -> None:
    CodingTask.objects.filter(pk=handout_task.pk).update(is_open=False)
    handout_task.refresh_from_db()
    with pytest.raises(TaskClosed) as caught:
        submit(student, handout_task, reference)
    assert caught.value.field == "task"
    assert not Submission.objects.exists()


def test_attempts_run_out_but_failures_of_the_service_do_not_count(
    student: User, handout_task: CodingTask, reference: str
) -> None:
    CodingTask.objects.filter(pk=handout_task.pk).update(max_attempts=2)
    handout_task.refresh_from_db()
    first = submit(student, handout_task, reference)
    Submission.objects.filter(pk=first.pk).update(status=Status.ERROR)
    second = submit(student, handout_task, reference)
    Submission.objects.filter(pk=second.pk).update(status=Status.TIMED_OUT)
    submit(student, handout_task, reference)
    submit(student, handout_task, reference)
    with pytest.raises(AttemptsExhausted) as caught:
        submit(student, handout_task, reference)
    assert caught.value.status_code == 409
    assert "2 attempts" in caught.value.message
    assert Submission.objects.count() == 4


def test_too_many_submissions_in_the_window_are_rate_limited_with_a_retry_delay(
    student: User, handout_task: CodingTask, reference: str, settings: Settings
) -> None:
    settings.ANNQUIZ_SUBMISSION_RATE_LIMIT = 2
    settings.ANNQUIZ_SUBMISSION_RATE_WINDOW = 60
    submit(student, handout_task, reference)
    submit(student, handout_task, reference)
    with pytest.raises(RateLimited) as caught:
        submit(student, handout_task, reference)
    assert caught.value.status_code == 429
    assert 1 <= int(caught.value.headers["Retry-After"]) <= 60
    assert Submission.objects.count() == 2
    # Once the window has moved past the first two, the student may submit again.
    Submission.objects.update(created_at=timezone.now() - timedelta(seconds=61))
    submit(student, handout_task, reference)


def test_another_students_submissions_do_not_use_up_the_rate_limit(
    student: User, handout_task: CodingTask, reference: str, settings: Settings
) -> None:
    settings.ANNQUIZ_SUBMISSION_RATE_LIMIT = 1
    submit(StudentFactory.create(username="bob"), handout_task, reference)
    submit(student, handout_task, reference)


def test_an_idempotency_key_returns_the_first_submission_instead_of_a_second(
    student: User,
    handout_task: CodingTask,
    reference: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = services.submission_create(
            student=student,
            task=handout_task,
            source_kind="keras",
            source=reference,
            idempotency_key="k-1",
        )
        again = services.submission_create(
            student=student,
            task=handout_task,
            source_kind="keras",
            source=reference,
            idempotency_key="k-1",
        )
    assert first.created and not again.created
    assert again.submission.pk == first.submission.pk
    assert Submission.objects.count() == 1
    assert len(callbacks) == 1


def test_an_idempotency_key_reused_for_another_body_is_a_conflict(
    student: User, handout_task: CodingTask, reference: str
) -> None:
    submit(student, handout_task, reference, idempotency_key="k-1")
    with pytest.raises(IdempotencyKeyReused):
        submit(
            student,
            handout_task,
            reference.replace("epochs=50", "epochs=40"),
            idempotency_key="k-1",
        )
    assert Submission.objects.count() == 1


def test_the_same_idempotency_key_of_two_students_makes_two_submissions(
    student: User, handout_task: CodingTask, reference: str
) -> None:
    submit(student, handout_task, reference, idempotency_key="same")
    submit(StudentFactory.create(username="bob"), handout_task, reference, idempotency_key="same")
    assert Submission.objects.count() == 2


# --------------------------------------------------------------------------- grading


def test_grading_stores_one_judged_result_and_a_second_delivery_does_nothing(
    student: User, handout_task: CodingTask, reference: str
) -> None:
    submission = submit(student, handout_task, reference)
    outcome = services.submission_grade(submission_id=submission.pk)
    assert outcome.status == Status.PASSED
    submission.refresh_from_db()
    assert submission.status == Status.PASSED
    assert submission.worker_attempts == 1
    assert submission.result is not None
    assert submission.result["verdict"] == "passed"
    assert {check["passed"] for check in submission.result["checks"]} == {True}
    assert len(submission.result["seeds"]) == 3
    assert submission.progress["fraction"] == 1.0
    assert submission.progress["epoch"] == submission.progress["epochs"] == 50
    assert submission.message
    stored = submission.result

    again = services.submission_grade(submission_id=submission.pk)
    assert again.status is None and again.retry_in is None
    submission.refresh_from_db()
    assert submission.worker_attempts == 1
    assert submission.result == stored


def test_the_broken_solution_is_graded_failed_with_the_failing_check_explained(
    student: User, handout_task: CodingTask
) -> None:
    broken = catalog_task("handout-keras")
    submission = submit(student, handout_task, broken.broken_source, kind=broken.broken_kind)
    assert services.submission_grade(submission_id=submission.pk).status in (
        Status.FAILED,
        Status.DIVERGED,
    )
    submission.refresh_from_db()
    assert submission.result is not None
    failed = [check for check in submission.result["checks"] if not check["passed"]]
    assert failed and all(check["message"] for check in failed)


def test_a_huge_learning_rate_is_graded_diverged_without_training_every_epoch(
    student: User, handout_task: CodingTask, reference: str
) -> None:
    exploding = "from tensorflow.keras.optimizers import Adam\n" + reference.replace(
        "optimizer='adam'", "optimizer=Adam(learning_rate=1e6)"
    )
    assert "optimizer='adam'" in reference, "the reference names its optimizer as the handout does"
    submission = submit(student, handout_task, exploding)
    assert services.submission_grade(submission_id=submission.pk).status == Status.DIVERGED
    submission.refresh_from_db()
    assert submission.result is not None
    epochs_run = [seed["epochs_run"] for seed in submission.result["seeds"]]
    assert max(epochs_run) < 50


def test_a_live_claim_of_another_worker_is_left_alone_and_looked_at_again_later(
    student: User, handout_task: CodingTask, reference: str
) -> None:
    submission = submit(student, handout_task, reference)
    Submission.objects.filter(pk=submission.pk).update(
        status=Status.RUNNING,
        claim_token=uuid.uuid4(),
        heartbeat_at=timezone.now(),
        worker_attempts=1,
    )
    outcome = services.submission_grade(submission_id=submission.pk)
    assert outcome.status is None
    assert outcome.retry_in is not None and outcome.retry_in >= 1
    submission.refresh_from_db()
    assert submission.status == Status.RUNNING and submission.worker_attempts == 1


def test_a_claim_whose_heartbeat_stopped_is_taken_over_and_graded(
    student: User, handout_task: CodingTask, reference: str, settings: Settings
) -> None:
    submission = submit(student, handout_task, reference)
    lost = timezone.now() - timedelta(seconds=settings.ANNQUIZ_GRADE_LEASE_SECONDS + 1)
    Submission.objects.filter(pk=submission.pk).update(
        status=Status.RUNNING, claim_token=uuid.uuid4(), heartbeat_at=lost, worker_attempts=1
    )
    assert services.submission_grade(submission_id=submission.pk).status == Status.PASSED
    submission.refresh_from_db()
    assert submission.worker_attempts == 2


def gone_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def test_the_claim_of_a_worker_process_that_is_gone_is_taken_over_at_once(
    student: User, handout_task: CodingTask, reference: str
) -> None:
    submission = submit(student, handout_task, reference)
    Submission.objects.filter(pk=submission.pk).update(
        status=Status.RUNNING,
        claim_token=uuid.uuid4(),
        claimed_by=f"{socket.gethostname()}:{gone_pid()}",
        heartbeat_at=timezone.now(),
        worker_attempts=1,
    )
    assert services.submission_grade(submission_id=submission.pk).status == Status.PASSED
    submission.refresh_from_db()
    assert submission.worker_attempts == 2
    assert submission.claimed_by == f"{socket.gethostname()}:{os.getpid()}"


@pytest.mark.parametrize(
    "claimed_by",
    [f"{socket.gethostname()}:{os.getpid()}", "another-host:1", "", "no-pid-here"],
    ids=["alive-here", "another-host", "empty", "malformed"],
)
def test_a_claim_that_may_be_alive_waits_for_its_lease(
    student: User, handout_task: CodingTask, reference: str, claimed_by: str
) -> None:
    submission = submit(student, handout_task, reference)
    Submission.objects.filter(pk=submission.pk).update(
        status=Status.RUNNING,
        claim_token=uuid.uuid4(),
        claimed_by=claimed_by,
        heartbeat_at=timezone.now(),
        worker_attempts=1,
    )
    outcome = services.submission_grade(submission_id=submission.pk)
    assert outcome.status is None and outcome.retry_in is not None
    assert Submission.objects.get(pk=submission.pk).worker_attempts == 1


def test_a_submission_that_keeps_killing_its_worker_ends_as_error_not_counted(
    student: User, handout_task: CodingTask, reference: str, settings: Settings
) -> None:
    submission = submit(student, handout_task, reference)
    lost = timezone.now() - timedelta(seconds=settings.ANNQUIZ_GRADE_LEASE_SECONDS + 1)
    Submission.objects.filter(pk=submission.pk).update(
        status=Status.RUNNING,
        claim_token=uuid.uuid4(),
        heartbeat_at=lost,
        worker_attempts=settings.ANNQUIZ_GRADE_MAX_WORKER_ATTEMPTS,
    )
    assert services.submission_grade(submission_id=submission.pk).status == Status.ERROR
    submission.refresh_from_db()
    assert submission.status == Status.ERROR
    assert "does not use up one of your attempts" in submission.message
    assert not submission.counts_as_attempt
    assert services.attempts_used(student=student, task=handout_task) == 0


def test_progress_from_a_worker_that_lost_its_claim_stops_the_grading(
    student: User, handout_task: CodingTask, reference: str
) -> None:
    submission = submit(student, handout_task, reference)
    token = uuid.uuid4()
    Submission.objects.filter(pk=submission.pk).update(status=Status.RUNNING, claim_token=token)
    record = services._progress_recorder(submission.pk, token, n_seeds=3, epochs=50)
    record(0, 0, {"loss": 0.7})
    assert Submission.objects.get(pk=submission.pk).progress["epoch"] == 1
    Submission.objects.filter(pk=submission.pk).update(claim_token=uuid.uuid4())
    time.sleep(services.PROGRESS_INTERVAL)
    with pytest.raises(services.ClaimLost):
        record(0, 1, {"loss": 0.5})


def test_progress_counts_seeds_trained_together_and_one_after_another() -> None:
    together = services.progress_of({0: 10, 1: 10, 2: 10}, n_seeds=3, epochs=50)
    assert together["together"] is True and together["epoch"] == 10
    assert together["fraction"] == pytest.approx(0.2)
    in_turn = services.progress_of({0: 50, 1: 20}, n_seeds=3, epochs=50)
    assert in_turn["together"] is False
    assert (in_turn["seed_index"], in_turn["epoch"]) == (1, 20)
    assert in_turn["fraction"] == pytest.approx(70 / 150, abs=1e-4)


# --------------------------------------------------------------------------- recovery


def test_the_sweeper_times_out_a_run_past_the_hard_limit(
    student: User, handout_task: CodingTask, reference: str, settings: Settings
) -> None:
    submission = submit(student, handout_task, reference)
    now = timezone.now()
    Submission.objects.filter(pk=submission.pk).update(
        status=Status.RUNNING,
        claim_token=uuid.uuid4(),
        worker_attempts=1,
        started_at=now - timedelta(seconds=settings.ANNQUIZ_GRADE_HARD_TIME_LIMIT + 5),
        heartbeat_at=now - timedelta(seconds=settings.ANNQUIZ_GRADE_LEASE_SECONDS + 5),
    )
    report = services.submissions_sweep(now=now)
    assert report.given_up == [submission.pk] and report.requeued == []
    submission.refresh_from_db()
    assert submission.status == Status.TIMED_OUT
    assert not submission.counts_as_attempt


def test_the_sweeper_leaves_fresh_work_alone(
    student: User, handout_task: CodingTask, reference: str
) -> None:
    submit(student, handout_task, reference)
    running = submit(student, handout_task, reference)
    Submission.objects.filter(pk=running.pk).update(
        status=Status.RUNNING, heartbeat_at=timezone.now(), claim_token=uuid.uuid4()
    )
    report = services.submissions_sweep()
    assert report.requeued == [] and report.given_up == []


@pytest.fixture
def unreachable_broker() -> Iterator[None]:
    """Point the Celery app at a port where no broker listens, then back."""
    from annquiz.celery import app

    saved = point_app_at(app, "redis://127.0.0.1:9/0")
    try:
        yield
    finally:
        point_app_at(app, saved)


def test_a_broker_that_cannot_be_reached_leaves_the_submission_queued_for_the_sweeper(
    student: User,
    handout_task: CodingTask,
    reference: str,
    unreachable_broker: None,
    django_capture_on_commit_callbacks: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        submission = submit(student, handout_task, reference)
    submission.refresh_from_db()
    assert submission.status == Status.QUEUED
    assert any("on_commit" in record.getMessage() for record in caplog.records)
