"""The review's pages and API: the queue, deciding, disputing, the audit trail and what the
student sees afterwards; bad input is a 4xx naming what is wrong, with nothing stored."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from annquiz.coding.statuses import Status
from annquiz.courses import services as courses
from annquiz.courses.models import Answer, QuestionProgress, Verdict
from annquiz.review.models import Dispute, GradeChange
from tests.annquiz.courses.factories import AnswerFactory
from tests.annquiz.review.conftest import Course, submission_of

pytestmark = [pytest.mark.django_db, pytest.mark.explicit_enrolment]


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _flagged(course: Course) -> Answer:
    return AnswerFactory.create(
        student=course.student,
        question=course.question,
        offering=course.offering,
        needs_review=True,
        score=0.4,
        verdict=Verdict.PARTIAL,
        response={"text": "Dropout stops memorising."},
    )


def _rows(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode())))


def test_the_queue_lists_flagged_and_disputed_answers_with_links(course: Course) -> None:
    answer = _flagged(course)
    Dispute.objects.create(
        offering=course.offering, student=course.student, answer=answer, reason="Please look"
    )
    page = _client(course.instructor).get(reverse("review:queue", args=[course.offering.slug]))
    assert page.status_code == 200
    text = page.content.decode()
    assert reverse("review:answer", args=[course.offering.slug, answer.pk]) in text
    assert "disputed: Please look" in text
    assert 'aria-current="page">Review<' in text


def test_deciding_by_form_overrides_and_returns_to_the_queue(course: Course) -> None:
    answer = _flagged(course)
    client = _client(course.instructor)
    url = reverse("review:answer", args=[course.offering.slug, answer.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {"decision": "override", "score": "0.9", "verdict": "correct", "comment": "Fine."},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("review:queue", args=[course.offering.slug])
    answer.refresh_from_db()
    assert (answer.score, answer.verdict, answer.needs_review) == (0.9, "correct", False)


@pytest.mark.parametrize(
    ("form", "says"),
    [
        ({"decision": "confirm", "comment": ""}, "Comment: write a comment"),
        ({"comment": "x"}, "Decision: choose whether"),
        (
            {"decision": "override", "score": "lots", "verdict": "correct", "comment": "x"},
            "New score: must be a number from 0 to 1",
        ),
        (
            {"decision": "override", "score": "2", "verdict": "correct", "comment": "x"},
            "New score: must be a number from 0 to 1",
        ),
        (
            {"decision": "override", "score": "1", "verdict": "nope", "comment": "x"},
            "New verdict: must be one of",
        ),
    ],
)
def test_a_bad_decision_form_is_a_400_naming_the_field_and_stores_nothing(
    course: Course, form: dict[str, str], says: str
) -> None:
    answer = _flagged(course)
    url = reverse("review:answer", args=[course.offering.slug, answer.pk])
    response = _client(course.instructor).post(url, form)
    assert response.status_code == 400
    assert says in response.content.decode()
    assert not GradeChange.objects.exists()
    answer.refresh_from_db()
    assert answer.needs_review


def test_a_student_disputes_from_the_grade_page_and_then_sees_the_decision(
    course: Course,
) -> None:
    answer = courses.answer_submit(
        student=course.student,
        question=course.question,
        response={"choice": "a"},
        offering=course.offering,
    )
    student = _client(course.student)
    url = reverse("grades:answer", args=[course.offering.slug, answer.pk])
    assert student.get(url).status_code == 200

    assert student.post(url, {"reason": ""}).status_code == 400
    assert student.post(url, {"reason": "Option a is right too"}).status_code == 302
    shown = student.get(url).content.decode()
    assert "You disputed this grade" in shown and 'name="reason"' not in shown
    assert student.post(url, {"reason": "again"}).status_code == 409

    _client(course.instructor).post(
        reverse("review:answer", args=[course.offering.slug, answer.pk]),
        {"decision": "override", "score": "1", "verdict": "correct", "comment": "Agreed, a."},
    )
    shown = student.get(url).content.decode()
    assert "Agreed, a." in shown and "Overridden" in shown
    progress = QuestionProgress.objects.get(student=course.student, question=course.question)
    assert (progress.best_score, progress.solved) == (1.0, True)


def test_the_lesson_page_shows_an_overridden_grade_at_once(course: Course) -> None:
    answer = courses.answer_submit(
        student=course.student,
        question=course.question,
        response={"choice": "a"},
        offering=course.offering,
    )
    student = _client(course.student)
    lesson = reverse("courses:lesson", args=[course.offering.slug, course.question.lesson.slug])
    before = student.get(lesson).content.decode()  # now cached
    assert "score 0&nbsp;%" in before
    assert reverse("grades:answer", args=[course.offering.slug, answer.pk]) in before
    _client(course.instructor).post(
        reverse("review:answer", args=[course.offering.slug, answer.pk]),
        {"decision": "override", "score": "1", "verdict": "correct", "comment": "Yes."},
    )
    assert "score 100&nbsp;%" in student.get(lesson).content.decode()


def test_a_pending_submission_cannot_be_disputed_or_decided(course: Course) -> None:
    submission = submission_of(course, Status.QUEUED)
    slug = course.offering.slug
    response = _client(course.student).post(
        reverse("grades:submission", args=[slug, submission.pk]), {"reason": "why"}
    )
    assert response.status_code == 409
    response = _client(course.instructor).post(
        reverse("review:submission", args=[slug, submission.pk]),
        {"decision": "override", "score": "1", "verdict": "correct", "comment": "x"},
    )
    assert response.status_code == 409
    assert not Dispute.objects.exists() and not GradeChange.objects.exists()


def test_the_audit_page_and_the_student_page_show_each_decision(course: Course) -> None:
    answer = _flagged(course)
    submission = submission_of(course, Status.FAILED)
    instructor = _client(course.instructor)
    slug = course.offering.slug
    instructor.post(
        reverse("review:answer", args=[slug, answer.pk]),
        {"decision": "confirm", "comment": "Partial is fair."},
    )
    instructor.post(
        reverse("review:submission", args=[slug, submission.pk]),
        {"decision": "override", "score": "1", "verdict": "correct", "comment": "Checker bug."},
    )
    audit = instructor.get(
        reverse("review:audit", args=[slug]), {"format": "csv", "table": "audit"}
    )
    rows = _rows(audit.content)
    assert rows[0][:3] == ["Student", "Answer or submission", "When"]
    assert [(row[4], row[5], row[8], row[9]) for row in rows[1:]] == [
        ("Overridden", "0.0", "correct", "Checker bug."),
        ("Confirmed", "0.4", "partial", "Partial is fair."),
    ]
    page = instructor.get(reverse("dashboards:student", args=[slug, course.student.pk]))
    text = page.content.decode()
    assert "Partial is fair." in text and "Checker bug." in text
    submissions = instructor.get(
        reverse("dashboards:student", args=[slug, course.student.pk]),
        {"format": "csv", "table": "submissions"},
    )
    assert _rows(submissions.content)[1][3:5] == ["Failed", "1.0"]


def test_the_agreement_tables_download_as_csv(course: Course) -> None:
    instructor = _client(course.instructor)
    slug = course.offering.slug
    instructor.post(
        reverse("review:answer", args=[slug, _flagged(course).pk]),
        {"decision": "confirm", "comment": "ok"},
    )
    url = reverse("review:queue", args=[slug])
    by_question = instructor.get(url, {"format": "csv", "table": "agreement_questions"})
    assert _rows(by_question.content) == [
        ["Question", "Decisions", "Agreed", "Agreement rate"],
        ["pick", "1", "1", "1.0"],
    ]
    assert "<svg" in instructor.get(url).content.decode()
    assert instructor.get(url, {"format": "csv", "table": "nope"}).status_code == 400


def test_the_api_opens_one_dispute_per_answer(course: Course) -> None:
    answer = _flagged(course)
    client = _client(course.student)
    url = reverse("api:answer-disputes", args=[answer.pk])

    def post(body: object) -> tuple[int, dict[str, object]]:
        response = client.post(url, json.dumps(body), content_type="application/json")
        return response.status_code, response.json()

    status, body = post({"reason": " "})
    assert status == 400 and "reason" in json.dumps(body)
    status, body = post({})
    assert status == 400 and "reason" in json.dumps(body)
    status, body = post({"reason": "Look again please"})
    assert status == 201 and body["answer"] == answer.pk and body["status"] == "open"
    status, body = post({"reason": "And again"})
    assert status == 409
    assert Dispute.objects.count() == 1


def test_the_submission_page_links_its_own_student_to_the_grade_page(course: Course) -> None:
    submission = submission_of(course, Status.FAILED)
    url = reverse("coding:submission", args=[submission.task.slug, submission.pk])
    grade = reverse("grades:submission", args=[course.offering.slug, submission.pk])
    assert grade in _client(course.student).get(url).content.decode()
    assert grade not in _client(course.instructor).get(url).content.decode()
