"""The sweeper against a real Redis (a private database of it, ``tests/worker.py``): runs past
the hard limit end as timed out, fresh work is left alone, and every queue gets back the
messages it lacks for its queued submissions (a restarted broker, a broker that was down)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from annquiz.celery import app
from annquiz.coding import sweeper
from annquiz.coding.models import CodingTask, Submission
from annquiz.coding.statuses import Status
from tests.annquiz.coding.conftest import another_try, submit
from tests.factories import StudentFactory
from tests.worker import CeleryStack, point_app_at

if TYPE_CHECKING:
    from pytest_django.fixtures import Settings

pytestmark = pytest.mark.django_db(transaction=True)

# Nothing listens there: a broker that is down.
UNREACHABLE_BROKER = "redis://127.0.0.1:1/0"


def test_the_sweeper_times_out_a_run_past_the_hard_limit(
    celery_stack: CeleryStack,
    student: User,
    handout_task: CodingTask,
    reference: str,
    settings: Settings,
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
    report = sweeper.submissions_sweep(now=now)
    assert report.given_up == [submission.pk] and report.requeued == []
    submission.refresh_from_db()
    assert submission.status == Status.TIMED_OUT
    assert not submission.counts_as_attempt


def test_the_sweeper_leaves_fresh_work_alone(
    celery_stack: CeleryStack, student: User, handout_task: CodingTask, reference: str
) -> None:
    submit(student, handout_task, reference)
    running = submit(student, handout_task, another_try(reference, 2))
    Submission.objects.filter(pk=running.pk).update(
        status=Status.RUNNING, heartbeat_at=timezone.now(), claim_token=uuid.uuid4()
    )
    assert celery_stack.queue_length("numpy") == 2
    report = sweeper.submissions_sweep()
    assert report.requeued == [] and report.given_up == []
    assert report.shortfall == {"numpy": 0, "tensorflow": 0}
    assert celery_stack.queue_length("numpy") == 2


def test_the_messages_a_restarted_broker_lost_are_sent_again_at_once_oldest_first(
    celery_stack: CeleryStack, handout_task: CodingTask, reference: str
) -> None:
    submitted = [
        submit(StudentFactory.create(), handout_task, another_try(reference, n)).pk
        for n in range(3)
    ]
    assert celery_stack.drop_queue("numpy") == 3  # a Redis restarted without its data

    report = sweeper.submissions_sweep()

    assert report.requeued == submitted and report.shortfall["numpy"] == 3
    assert celery_stack.queue_length("numpy") == 3
    assert list(
        Submission.objects.filter(pk__in=submitted).values_list("enqueue_count", flat=True)
    ) == [2, 2, 2]
    again = sweeper.submissions_sweep()
    assert again.requeued == [] and celery_stack.queue_length("numpy") == 3


def test_only_the_missing_turns_are_sent_and_a_lost_run_counts_as_one(
    celery_stack: CeleryStack, handout_task: CodingTask, reference: str, settings: Settings
) -> None:
    first, second, third = (
        submit(StudentFactory.create(), handout_task, another_try(reference, n)).pk
        for n in range(3)
    )
    celery_stack.drop_queue("numpy")
    lost = timezone.now() - timedelta(seconds=settings.ANNQUIZ_GRADE_LEASE_SECONDS + 1)
    Submission.objects.filter(pk=first).update(
        status=Status.RUNNING, claim_token=uuid.uuid4(), heartbeat_at=lost, worker_attempts=1
    )
    submit(StudentFactory.create(), handout_task, another_try(reference, 9))  # sent: 1 waiting

    report = sweeper.submissions_sweep()

    # The lost run gets its message; the queue then lacks two for the three queued.
    assert report.requeued == [first, second, third] and report.shortfall["numpy"] == 2
    assert celery_stack.queue_length("numpy") == 4


def test_a_submission_stored_while_the_broker_is_down_is_sent_by_the_next_sweep(
    celery_stack: CeleryStack, student: User, handout_task: CodingTask, reference: str
) -> None:
    working = point_app_at(app, UNREACHABLE_BROKER)
    try:
        stored = submit(student, handout_task, reference)
        stored.refresh_from_db()
        assert (stored.status, stored.message_sent, stored.enqueue_count) == ("queued", False, 0)
        down = sweeper.submissions_sweep()
        assert down.requeued == [] and down.shortfall == {}
    finally:
        point_app_at(app, working)
    assert celery_stack.queue_length("numpy") == 0

    report = sweeper.submissions_sweep()

    assert report.requeued == [stored.pk]
    stored.refresh_from_db()
    assert (stored.message_sent, stored.enqueue_count) == (True, 1)
    assert celery_stack.queue_length("numpy") == 1
