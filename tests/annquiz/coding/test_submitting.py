"""Submitting: refusals that store nothing, idempotency, the rate limit, the queue after commit."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from django.contrib.auth.models import User
from django.db import connection, connections
from django.utils import timezone

from annquiz.coding import submitting
from annquiz.coding.errors import (
    IdempotencyKeyReused,
    InvalidSubmission,
    RateLimited,
    TaskClosed,
    TooManyActive,
)
from annquiz.coding.models import CodingTask, Submission
from annquiz.coding.statuses import Status
from annquiz.core.errors import AttemptsExhausted
from tests.annquiz.coding.conftest import another_try, catalog_task, store_task, submit
from tests.factories import StudentFactory
from tests.worker import point_app_at

if TYPE_CHECKING:
    from pytest_django.fixtures import Settings

pytestmark = pytest.mark.django_db


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
    first = submit(student, handout_task, another_try(reference, 1))
    Submission.objects.filter(pk=first.pk).update(status=Status.ERROR)
    second = submit(student, handout_task, another_try(reference, 2))
    Submission.objects.filter(pk=second.pk).update(status=Status.TIMED_OUT)
    submit(student, handout_task, another_try(reference, 3))
    submit(student, handout_task, another_try(reference, 4))
    with pytest.raises(AttemptsExhausted) as caught:
        submit(student, handout_task, another_try(reference, 5))
    assert caught.value.status_code == 409
    assert "2 attempts" in caught.value.message
    assert Submission.objects.count() == 4


def test_too_many_submissions_in_the_window_are_rate_limited_with_a_retry_delay(
    student: User, handout_task: CodingTask, reference: str, settings: Settings
) -> None:
    settings.ANNQUIZ_SUBMISSION_RATE_LIMIT = 2
    settings.ANNQUIZ_SUBMISSION_RATE_WINDOW = 60
    submit(student, handout_task, another_try(reference, 1))
    submit(student, handout_task, another_try(reference, 2))
    with pytest.raises(RateLimited) as caught:
        submit(student, handout_task, another_try(reference, 3))
    assert caught.value.status_code == 429
    assert 1 <= int(caught.value.headers["Retry-After"]) <= 60
    assert Submission.objects.count() == 2
    # Once the window has moved past the first two, the student may submit again.
    Submission.objects.update(created_at=timezone.now() - timedelta(seconds=61))
    submit(student, handout_task, another_try(reference, 4))


def test_a_student_with_no_attempts_left_hears_409_at_once_not_429_first(
    student: User, handout_task: CodingTask, reference: str, settings: Settings
) -> None:
    settings.ANNQUIZ_SUBMISSION_RATE_LIMIT = 2
    CodingTask.objects.filter(pk=handout_task.pk).update(max_attempts=2)
    handout_task.refresh_from_db()
    submit(student, handout_task, another_try(reference, 1))
    submit(student, handout_task, another_try(reference, 2))
    # Both the attempts and the rate limit are used up: the lasting refusal comes first.
    with pytest.raises(AttemptsExhausted) as caught:
        submit(student, handout_task, another_try(reference, 3))
    assert caught.value.status_code == 409
    assert Submission.objects.count() == 2


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
        first = submitting.submission_create(
            student=student,
            task=handout_task,
            source_kind="keras",
            source=reference,
            idempotency_key="k-1",
        )
        again = submitting.submission_create(
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
    assert (submission.message_sent, submission.enqueue_count) == (False, 0)
    assert any("judging message not sent" in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize("earlier_status", [Status.PASSED, Status.FAILED, Status.QUEUED])
def test_the_same_network_sent_again_gets_the_earlier_submission_and_uses_no_attempt(
    student: User, handout_task: CodingTask, reference: str, earlier_status: Status
) -> None:
    CodingTask.objects.filter(pk=handout_task.pk).update(max_attempts=1)
    handout_task.refresh_from_db()
    first = submit(student, handout_task, reference)
    Submission.objects.filter(pk=first.pk).update(status=earlier_status)
    outcome = submitting.submission_create(
        student=student, task=handout_task, source_kind="keras", source=reference
    )
    assert (outcome.submission.pk, outcome.created, outcome.identical) == (first.pk, False, True)
    assert Submission.objects.count() == 1
    # Anything else is a new attempt, and there is none left.
    with pytest.raises(AttemptsExhausted):
        submit(student, handout_task, another_try(reference, 1))


@pytest.mark.parametrize("failure", [Status.ERROR, Status.TIMED_OUT])
def test_the_same_network_is_judged_again_when_the_service_failed_it(
    student: User, handout_task: CodingTask, reference: str, failure: Status
) -> None:
    first = submit(student, handout_task, reference)
    Submission.objects.filter(pk=first.pk).update(status=failure)
    again = submit(student, handout_task, reference)
    assert again.pk != first.pk
    assert Submission.objects.count() == 2


def test_another_students_identical_network_is_a_submission_of_their_own(
    student: User, handout_task: CodingTask, reference: str
) -> None:
    first = submit(student, handout_task, reference)
    Submission.objects.filter(pk=first.pk).update(status=Status.PASSED)
    other = submit(StudentFactory.create(username="bob"), handout_task, reference)
    assert other.pk != first.pk and other.status == Status.QUEUED


# --------------------------------------------------------------------------- active submissions


def test_a_student_may_have_only_so_many_submissions_queued_or_running(
    student: User, handout_task: CodingTask, reference: str, settings: Settings
) -> None:
    settings.ANNQUIZ_MAX_ACTIVE_SUBMISSIONS_PER_STUDENT = 2
    first = submit(student, handout_task, another_try(reference, 1))
    second = submit(student, handout_task, another_try(reference, 2))
    Submission.objects.filter(pk=second.pk).update(status=Status.RUNNING)
    with pytest.raises(TooManyActive) as caught:
        submit(student, handout_task, another_try(reference, 3))
    assert caught.value.status_code == 429
    assert int(caught.value.headers["Retry-After"]) >= 1
    assert "at most 2 may be at once" in caught.value.message
    assert Submission.objects.count() == 2
    # A finished one (judged, or failed on the service's side) no longer counts.
    Submission.objects.filter(pk=first.pk).update(status=Status.TIMED_OUT)
    submit(student, handout_task, another_try(reference, 4))


def test_the_cap_counts_every_task_and_only_the_students_own(
    student: User, handout_task: CodingTask, reference: str, settings: Settings
) -> None:
    settings.ANNQUIZ_MAX_ACTIVE_SUBMISSIONS_PER_STUDENT = 1
    submit(StudentFactory.create(username="bob"), handout_task, reference)
    submit(student, handout_task, reference)
    rainfall = store_task("rainfall")
    with pytest.raises(TooManyActive):
        submit(student, rainfall, catalog_task("rainfall").reference_source)


def test_the_same_network_again_is_answered_with_the_earlier_one_even_at_the_cap(
    student: User, handout_task: CodingTask, reference: str, settings: Settings
) -> None:
    settings.ANNQUIZ_MAX_ACTIVE_SUBMISSIONS_PER_STUDENT = 1
    first = submit(student, handout_task, reference)
    assert submit(student, handout_task, reference).pk == first.pk


@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_never_exceed_the_cap(
    handout_task: CodingTask, reference: str, settings: Settings
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("concurrent requests need a shared database (set DATABASE_URL)")
    settings.ANNQUIZ_MAX_ACTIVE_SUBMISSIONS_PER_STUDENT = 2
    student = StudentFactory.create(username="racer")
    racers = 6
    barrier = threading.Barrier(racers)
    outcomes: list[str] = []
    lock = threading.Lock()

    def race(number: int) -> None:
        try:
            barrier.wait(timeout=10)
            submit(student, handout_task, another_try(reference, number))
            result = "stored"
        except TooManyActive:
            result = "capped"
        except Exception as exc:  # recorded and asserted on below
            result = f"error: {exc!r}"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=race, args=(n,)) for n in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["capped"] * 4 + ["stored"] * 2
    assert Submission.objects.filter(student=student).count() == 2
