"""The judging protocol: the claim, one stored result, heartbeats, lost and dead claims.

Judging is tested by calling the protocol in this process (what the Celery task calls); the
real worker process is exercised in test_worker_integration.py.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from annquiz.coding import judging, submitting
from annquiz.coding.models import CodingTask, Submission
from annquiz.coding.statuses import Status
from tests.annquiz.coding.conftest import catalog_task, submit
from tests.factories import StudentFactory

if TYPE_CHECKING:
    from pytest_django.fixtures import Settings

pytestmark = pytest.mark.django_db


def test_grading_stores_one_judged_result_and_a_second_delivery_does_nothing(
    student: User, handout_task: CodingTask, reference: str
) -> None:
    submission = submit(student, handout_task, reference)
    outcome = judging.submission_judge(submission_id=submission.pk)
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

    again = judging.submission_judge(submission_id=submission.pk)
    assert again.status is None and again.retry_in is None
    submission.refresh_from_db()
    assert submission.worker_attempts == 1
    assert submission.result == stored


def test_the_broken_solution_is_graded_failed_with_the_failing_check_explained(
    student: User, handout_task: CodingTask
) -> None:
    broken = catalog_task("handout-keras")
    submission = submit(student, handout_task, broken.broken_source, kind=broken.broken_kind)
    assert judging.submission_judge(submission_id=submission.pk).status in (
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
    assert judging.submission_judge(submission_id=submission.pk).status == Status.DIVERGED
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
    outcome = judging.submission_judge(submission_id=submission.pk)
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
    assert judging.submission_judge(submission_id=submission.pk).status == Status.PASSED
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
    assert judging.submission_judge(submission_id=submission.pk).status == Status.PASSED
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
    outcome = judging.submission_judge(submission_id=submission.pk)
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
    assert judging.submission_judge(submission_id=submission.pk).status == Status.ERROR
    submission.refresh_from_db()
    assert submission.status == Status.ERROR
    assert "does not use up one of your attempts" in submission.message
    assert not submission.counts_as_attempt
    assert submitting.attempts_used(student=student, task=handout_task) == 0


def test_progress_from_a_worker_that_lost_its_claim_stops_the_grading(
    student: User, handout_task: CodingTask, reference: str
) -> None:
    submission = submit(student, handout_task, reference)
    token = uuid.uuid4()
    Submission.objects.filter(pk=submission.pk).update(status=Status.RUNNING, claim_token=token)
    record = judging._progress_recorder(submission.pk, token, n_seeds=3, epochs=50, backend="numpy")
    record(0, 0, {"loss": 0.7})
    assert Submission.objects.get(pk=submission.pk).progress["epoch"] == 1
    Submission.objects.filter(pk=submission.pk).update(claim_token=uuid.uuid4())
    time.sleep(judging.PROGRESS_INTERVAL)
    with pytest.raises(judging.ClaimLost):
        record(0, 1, {"loss": 0.5})


def test_any_message_first_takes_over_the_oldest_run_whose_worker_process_is_gone(
    handout_task: CodingTask, reference: str
) -> None:
    """A killed pool process's submission is judged again by the next message of its queue,
    whoever's it is, ahead of newer queued work: not behind the queue."""
    older = submit(StudentFactory.create(), handout_task, reference)
    dead_token = uuid.uuid4()
    Submission.objects.filter(pk=older.pk).update(
        status=Status.RUNNING,
        claim_token=dead_token,
        claimed_by=f"{socket.gethostname()}:{gone_pid()}",
        heartbeat_at=timezone.now(),
        worker_attempts=1,
    )
    newer = submit(StudentFactory.create(), handout_task, reference)

    assert judging.submission_judge(submission_id=newer.pk).status == Status.PASSED

    older.refresh_from_db()
    assert (older.status, older.worker_attempts) == (Status.PASSED, 2)
    assert older.claim_token != dead_token
    assert Submission.objects.get(pk=newer.pk).status == Status.QUEUED


def test_another_message_leaves_a_live_run_of_this_host_alone(
    handout_task: CodingTask, reference: str
) -> None:
    running = submit(StudentFactory.create(), handout_task, reference)
    Submission.objects.filter(pk=running.pk).update(
        status=Status.RUNNING,
        claim_token=uuid.uuid4(),
        claimed_by=f"{socket.gethostname()}:{os.getpid()}",
        heartbeat_at=timezone.now(),
        worker_attempts=1,
    )
    queued = submit(StudentFactory.create(), handout_task, reference)

    assert judging.submission_judge(submission_id=queued.pk).status == Status.PASSED

    assert Submission.objects.get(pk=queued.pk).worker_attempts == 1
    assert Submission.objects.get(pk=running.pk).status == Status.RUNNING
