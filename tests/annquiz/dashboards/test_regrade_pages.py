"""The regrade pages: starting a dry run, its progress and proposed changes, applying, and
the grade history on the submission page (instructors) and the regrade note (its student).
The worker side is in tests/annquiz/coding/test_regrading.py and test_regrade_worker.py."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from annquiz.coding.models import (
    CodingTask,
    GradeHistory,
    RegradeRun,
    RegradeRunStatus,
    Submission,
)
from annquiz.coding.regrading import regrade_run_apply
from annquiz.coding.statuses import Status
from annquiz.enrolment.models import Membership, Offering, Role
from tests.annquiz.coding.conftest import store_task
from tests.annquiz.coding.regrade_helpers import judged_run, judged_submission
from tests.annquiz.courses.factories import default_offering
from tests.factories import StudentFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.explicit_enrolment]


@pytest.fixture
def task() -> CodingTask:
    return store_task("handout-keras")


@pytest.fixture
def offering(task: CodingTask) -> Offering:
    assert task.course is not None
    return default_offering(task.course)


@pytest.fixture
def instructor(offering: Offering) -> User:
    user = UserFactory.create(username="teacher")
    Membership.objects.create(user=user, offering=offering, role=Role.INSTRUCTOR)
    return user


@pytest.fixture
def student(offering: Offering) -> User:
    user = StudentFactory.create(username="alice")
    Membership.objects.create(user=user, offering=offering, role=Role.STUDENT)
    return user


@pytest.fixture
def submission(task: CodingTask, offering: Offering, student: User) -> Submission:
    return judged_submission(task, student, offering, status=Status.PASSED)


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _regrade_url(offering: Offering, task: CodingTask) -> str:
    return reverse("dashboards:regrade", args=[offering.slug, task.slug])


def test_starting_a_dry_run_stores_the_run_and_shows_its_progress(
    offering: Offering, task: CodingTask, instructor: User, submission: Submission
) -> None:
    client = _client(instructor)
    assert "Start the dry run" in client.get(_regrade_url(offering, task)).content.decode()

    response = client.post(_regrade_url(offering, task), {"scope": "all"})

    run = RegradeRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "dashboards:regrade-run", args=[offering.slug, task.slug, run.pk]
    )
    page = client.get(response["Location"]).content.decode()
    assert "0 of 1 submissions judged again" in page
    assert "No grade has changed" in page
    assert "dashboards/js/regrade.js" in page
    submission.refresh_from_db()
    assert submission.status == Status.PASSED


def test_a_student_not_in_the_course_is_a_400_naming_the_field(
    offering: Offering, task: CodingTask, instructor: User, submission: Submission
) -> None:
    response = _client(instructor).post(
        _regrade_url(offering, task), {"scope": "student", "student": "mallory"}
    )
    assert response.status_code == 400
    assert "Student: no student &#x27;mallory&#x27; in this course" in response.content.decode()
    assert not RegradeRun.objects.exists()


def test_the_proposed_changes_are_listed_with_counts_and_applied_from_the_page(
    offering: Offering, task: CodingTask, instructor: User, submission: Submission
) -> None:
    run = judged_run(task, offering, {submission: Status.FAILED})
    client = _client(instructor)
    url = reverse("dashboards:regrade-run", args=[offering.slug, task.slug, run.pk])

    page = client.get(url).content.decode()
    assert "1</strong> of 1 grades would be changed" in page
    assert "Apply 1 grade change" in page
    assert "regrade.js" not in page

    apply_url = reverse("dashboards:regrade-apply", args=[offering.slug, task.slug, run.pk])
    assert client.post(apply_url)["Location"] == url
    assert client.post(apply_url)["Location"] == url  # again: nothing more happens
    assert GradeHistory.objects.count() == 1
    run.refresh_from_db()
    assert run.status == RegradeRunStatus.APPLIED
    assert "1 submission updated" in client.get(url).content.decode()


def test_applying_a_run_still_judging_is_a_409(
    offering: Offering, task: CodingTask, instructor: User, submission: Submission
) -> None:
    run = judged_run(task, offering, {submission: Status.FAILED}, status=RegradeRunStatus.JUDGING)
    response = _client(instructor).post(
        reverse("dashboards:regrade-apply", args=[offering.slug, task.slug, run.pk])
    )
    assert response.status_code == 409
    assert "still judging" in response.content.decode()


def test_the_instructor_sees_the_grade_history_and_the_student_only_that_it_was_regraded(
    offering: Offering,
    task: CodingTask,
    instructor: User,
    student: User,
    submission: Submission,
) -> None:
    run = judged_run(task, offering, {submission: Status.FAILED})
    regrade_run_apply(run_id=run.pk, applied_by=instructor)
    url = reverse("coding:submission", args=[task.slug, submission.pk])

    teacher_page = _client(instructor).get(url).content.decode()
    student_page = _client(student).get(url).content.decode()

    assert "Grade history" in teacher_page
    assert "annquiz test" in teacher_page
    assert "Regraded" in teacher_page
    assert "Regraded" in student_page
    assert "Grade history" not in student_page
