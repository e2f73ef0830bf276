"""The sweeper: runs past the hard limit end as timed out, fresh work is left alone."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from annquiz.coding import sweeper
from annquiz.coding.models import CodingTask, Submission
from annquiz.coding.statuses import Status
from tests.annquiz.coding.conftest import submit

if TYPE_CHECKING:
    from pytest_django.fixtures import Settings

pytestmark = pytest.mark.django_db


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
    report = sweeper.submissions_sweep(now=now)
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
    report = sweeper.submissions_sweep()
    assert report.requeued == [] and report.given_up == []
