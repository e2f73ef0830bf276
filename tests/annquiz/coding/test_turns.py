"""Students take turns: whose queued submission a worker judges next, and what a judging
message does when another student's turn comes first."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from annquiz.coding import judging
from annquiz.coding.models import CodingTask, Submission
from annquiz.coding.selectors import queue_position
from annquiz.coding.statuses import Status
from annquiz.coding.turns import next_in_turn
from tests.annquiz.coding.conftest import another_try, submit
from tests.factories import StudentFactory

if TYPE_CHECKING:
    from pytest_django.fixtures import Settings

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _many_active(settings: Settings) -> None:
    settings.ANNQUIZ_MAX_ACTIVE_SUBMISSIONS_PER_STUDENT = 20
    settings.ANNQUIZ_SUBMISSION_RATE_LIMIT = 20


def flood(student: User, task: CodingTask, reference: str, count: int) -> list[Submission]:
    return [submit(student, task, another_try(reference, n)) for n in range(count)]


def test_a_student_never_judged_goes_before_one_who_was_judged_a_moment_ago(
    student: User, handout_task: CodingTask, reference: str
) -> None:
    mine = flood(student, handout_task, reference, 5)
    Submission.objects.filter(pk=mine[0].pk).update(status=Status.PASSED, started_at=timezone.now())
    bob = submit(StudentFactory.create(username="bob"), handout_task, reference)

    order = next_in_turn(queue="numpy")

    assert order[0] == bob.pk
    assert order[1:] == [s.pk for s in mine[1:]]  # then the flood, oldest first
    assert queue_position(submission=bob) == 1
    assert queue_position(submission=mine[4]) == 5


def test_students_alternate_by_whose_judging_started_longest_ago(
    student: User, handout_task: CodingTask, reference: str
) -> None:
    bob = StudentFactory.create(username="bob")
    mine = flood(student, handout_task, reference, 3)
    his = flood(bob, handout_task, reference, 3)
    now = timezone.now()
    Submission.objects.filter(pk=his[0].pk).update(status=Status.PASSED, started_at=now)
    Submission.objects.filter(pk=mine[0].pk).update(
        status=Status.PASSED, started_at=now - timedelta(seconds=5)
    )

    assert next_in_turn(queue="numpy", limit=1) == [mine[1].pk]
    Submission.objects.filter(pk=mine[1].pk).update(
        status=Status.PASSED, started_at=now + timedelta(seconds=1)
    )
    assert next_in_turn(queue="numpy", limit=1) == [his[1].pk]


def test_a_student_with_a_submission_running_waits_behind_one_with_none(
    student: User, handout_task: CodingTask, reference: str
) -> None:
    mine = flood(student, handout_task, reference, 2)
    bob = submit(StudentFactory.create(username="bob"), handout_task, reference)
    Submission.objects.filter(pk=bob.pk).update(started_at=timezone.now())  # judged before
    Submission.objects.filter(pk=mine[0].pk).update(
        status=Status.RUNNING, started_at=timezone.now() - timedelta(hours=1)
    )
    assert next_in_turn(queue="numpy") == [bob.pk, mine[1].pk]


def test_the_turns_are_per_queue(student: User, handout_task: CodingTask, reference: str) -> None:
    submit(student, handout_task, reference)
    assert next_in_turn(queue="tensorflow") == []


def test_a_message_of_the_flood_judges_the_other_students_submission_first(
    student: User, handout_task: CodingTask, reference: str
) -> None:
    mine = flood(student, handout_task, reference, 4)
    Submission.objects.filter(pk=mine[0].pk).update(status=Status.PASSED, started_at=timezone.now())
    bob = submit(StudentFactory.create(username="bob"), handout_task, reference)

    outcome = judging.submission_judge(submission_id=mine[1].pk)

    assert outcome.status == Status.PASSED
    assert Submission.objects.get(pk=bob.pk).status == Status.PASSED
    assert Submission.objects.get(pk=mine[1].pk).status == Status.QUEUED
    # Bob's own message comes later and judges the next in turn: the flood, oldest first.
    judging.submission_judge(submission_id=bob.pk)
    assert Submission.objects.get(pk=mine[1].pk).status == Status.PASSED


def test_a_message_whose_submission_another_worker_runs_judges_the_next_in_turn(
    student: User, handout_task: CodingTask, reference: str
) -> None:
    """Its submission was taken in another message's turn: the message does not wait for
    that worker's lease but judges what is queued, so nothing queued is left without one."""
    running, queued = flood(student, handout_task, reference, 2)
    Submission.objects.filter(pk=running.pk).update(
        status=Status.RUNNING,
        claim_token=uuid.uuid4(),
        heartbeat_at=timezone.now(),
        started_at=timezone.now(),
        worker_attempts=1,
    )
    outcome = judging.submission_judge(submission_id=running.pk)
    assert outcome.status == Status.PASSED and outcome.retry_in is None
    assert Submission.objects.get(pk=queued.pk).status == Status.PASSED
    assert Submission.objects.get(pk=running.pk).status == Status.RUNNING
