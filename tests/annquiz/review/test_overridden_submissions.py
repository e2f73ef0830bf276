"""A submission's grade overridden by an instructor is the grade the student sees everywhere:
the task list, the progress page, the task page and the submission page agree with it."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from annquiz.coding import selectors as coding
from annquiz.coding.grades import submission_score
from annquiz.coding.models import Submission
from annquiz.coding.statuses import Status
from annquiz.courses.models import Verdict
from annquiz.review.models import Decision
from annquiz.review.services import NewGrade, submission_decide
from tests.annquiz.review.conftest import Course, submission_of

pytestmark = [pytest.mark.django_db, pytest.mark.explicit_enrolment]


def _override(course: Course, submission: Submission, verdict: str, score: float) -> None:
    submission_decide(
        instructor=course.instructor,
        submission=submission,
        grade=NewGrade(Decision.OVERRIDE, "Checked by hand.", score=score, verdict=verdict),
    )


def _standing(course: Course, submission: Submission) -> dict[str, Any]:
    task = submission.task
    listed = next(
        t for t in coding.task_list_for_user(user=course.student) if t["slug"] == task.slug
    )
    progress = next(
        t
        for t in coding.task_progress_for_student(student=course.student)
        if t["slug"] == task.slug
    )
    detail = coding.task_detail_view(task=task, student=course.student)
    fresh = Submission.objects.select_related("grade_override").get(pk=submission.pk)
    return {
        "listed": listed["passed"],
        "progress": (progress["passed"], progress["best_verdict"]),
        "detail": detail["passed"],
        "score": submission_score(fresh),
    }


@pytest.mark.parametrize(
    ("judged", "verdict", "score", "expected"),
    [
        (
            Status.FAILED,
            Verdict.CORRECT,
            1.0,
            {"listed": True, "progress": (True, "passed"), "detail": True, "score": 1.0},
        ),
        (
            Status.PASSED,
            Verdict.INCORRECT,
            0.0,
            {"listed": False, "progress": (False, "failed"), "detail": False, "score": 0.0},
        ),
        (
            Status.DIVERGED,
            Verdict.PARTIAL,
            0.5,
            {"listed": False, "progress": (False, "failed"), "detail": False, "score": 0.5},
        ),
    ],
)
def test_an_overridden_grade_is_the_one_every_student_view_shows(
    course: Course, judged: Status, verdict: str, score: float, expected: dict[str, Any]
) -> None:
    submission = submission_of(course, status=judged)
    _override(course, submission, verdict, score)
    assert _standing(course, submission) == expected


def test_the_submission_page_shows_the_instructors_grade_and_comment(course: Course) -> None:
    submission = submission_of(course, status=Status.FAILED)
    _override(course, submission, Verdict.CORRECT, 1.0)
    client = Client()
    client.force_login(course.student)
    page = client.get(
        reverse("coding:submission", args=[submission.task.slug, submission.pk])
    ).content.decode()
    assert "Grade set by an instructor: correct, score 1." in page
    assert "Checked by hand." in page


def test_the_api_gives_the_grade_with_the_instructors_comment(course: Course) -> None:
    submission = submission_of(course, status=Status.FAILED)
    client = Client()
    client.force_login(course.student)
    url = reverse("api:submission-detail", args=[submission.pk])
    assert client.get(url).json()["grade"] == {
        "score": 0.0,
        "set_by_instructor": False,
        "comment": "",
    }
    _override(course, submission, Verdict.CORRECT, 1.0)
    body = client.get(url).json()
    assert body["status"] == "failed"  # the judge's verdict is kept
    assert body["grade"] == {
        "score": 1.0,
        "set_by_instructor": True,
        "comment": "Checked by hand.",
    }


def test_the_gradebook_counts_the_instructors_grade_at_once(course: Course) -> None:
    submission = submission_of(course, status=Status.FAILED)
    client = Client()
    client.force_login(course.instructor)
    url = reverse("gradebook:page", args=[course.offering.slug]) + "?format=json"

    def cell() -> Any:
        (row,) = [s for s in client.get(url).json()["students"] if s["id"] == course.student.pk]
        return row["cells"][f"t:{submission.task.slug}"]["score"]

    assert cell() == 0.0  # computed, and kept in the cache
    _override(course, submission, Verdict.PARTIAL, 0.5)
    assert cell() == 0.5
    Submission.objects.filter(pk=submission.pk).update(status=Status.PASSED)
    submission_of(course, status=Status.RUNNING)  # a new submission: the course's work changed
    assert cell() == 0.5  # the override still wins
