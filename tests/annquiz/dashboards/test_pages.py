"""The dashboards on a generated course: what each page shows, its CSV, its bad input, and
the number of queries it costs (bounded, whatever the number of students)."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from annquiz.coding.models import CodingTask
from annquiz.courses.models import Answer, Question
from annquiz.dashboards.demo_course import demo_course_generate
from annquiz.enrolment.models import Membership, Offering, Role
from annquiz.review.models import Decision
from annquiz.review.services import NewGrade, answer_decide
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.explicit_enrolment]
SLUG = "demo-small"


@pytest.fixture
def course() -> Offering:
    call_command("load_course", verbosity=0)
    call_command("load_tasks", verbosity=0)
    cache.clear()
    return demo_course_generate(
        content_slug="ann-handout", slug=SLUG, students=30, submissions=120, seed=3
    ).offering


@pytest.fixture
def instructor(course: Offering) -> User:
    user = UserFactory.create()
    Membership.objects.create(user=user, offering=course, role=Role.INSTRUCTOR)
    return user


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _urls(course: Offering) -> dict[str, str]:
    question = Question.objects.filter(answers__offering=course).order_by("id").first()
    task = CodingTask.objects.filter(submissions__offering=course).order_by("id").first()
    student = Membership.objects.filter(offering=course, role=Role.STUDENT).first()
    answer = Answer.objects.filter(offering=course).order_by("id").first()
    submission = course.submissions.filter(status="failed").order_by("id").first()
    assert question is not None and task is not None and student is not None
    assert answer is not None and submission is not None
    return {
        "overview": reverse("dashboards:overview", args=[SLUG]),
        "questions": reverse("dashboards:questions", args=[SLUG]),
        "question": reverse("dashboards:question", args=[SLUG, question.key]),
        "queue": reverse("dashboards:queue", args=[SLUG]),
        "student": reverse("dashboards:student", args=[SLUG, student.user_id]),
        "task": reverse("dashboards:task", args=[SLUG, task.slug]),
        "regrade": reverse("dashboards:regrade", args=[SLUG, task.slug]),
        "question edit": reverse("dashboards:question-edit", args=[SLUG, question.key]),
        "groups": reverse("dashboards:groups", args=[SLUG]),
        "gradebook": reverse("gradebook:page", args=[SLUG]),
        "grading policy": reverse("gradebook:policy", args=[SLUG]),
        "review queue": reverse("review:queue", args=[SLUG]),
        "review of an answer": reverse("review:answer", args=[SLUG, answer.pk]),
        "review of a submission": reverse("review:submission", args=[SLUG, submission.pk]),
        "grade audit": reverse("review:audit", args=[SLUG]),
    }


def test_the_generated_course_has_graded_answers_and_judged_submissions(course: Offering) -> None:
    answers = Answer.objects.filter(offering=course)
    assert answers.count() > 30 * 10
    assert (
        answers.filter(verdict="correct").exists() and answers.exclude(verdict="correct").exists()
    )
    assert answers.filter(question__kind="free_text").exclude(details__missing=[]).exists()
    assert course.submissions.count() == 120


@pytest.mark.parametrize(
    "page",
    [
        "overview",
        "questions",
        "question",
        "queue",
        "student",
        "task",
        "regrade",
        "question edit",
        "groups",
        "gradebook",
        "grading policy",
        "review queue",
        "review of an answer",
        "review of a submission",
        "grade audit",
    ],
)
def test_each_dashboard_costs_a_bounded_number_of_queries(
    course: Offering, instructor: User, page: str, django_assert_max_num_queries: object
) -> None:
    client = _client(instructor)
    url = _urls(course)[page]
    with django_assert_max_num_queries(25):  # type: ignore[operator]
        response = client.get(url)
    assert response.status_code == 200


def test_the_question_page_states_its_definitions_and_figures(
    course: Offering, instructor: User
) -> None:
    response = _client(instructor).get(_urls(course)["question"] + "?attempt=best")
    text = response.content.decode()
    for words in (
        "Facility index",
        "Discrimination index",
        "Discriminative efficiency",
        "Median time to answer",
        "Cronbach",
        "<svg",
        'role="img"',
    ):
        assert words in text


def test_the_items_table_downloads_as_csv_with_a_row_per_answered_question(
    course: Offering, instructor: User
) -> None:
    response = _client(instructor).get(_urls(course)["questions"] + "?format=csv&table=items")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:2] == ["Lesson", "Question"]
    answered = Question.objects.filter(answers__offering=course).distinct().count()
    assert len(rows) - 1 == answered


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("?from=yesterday", "From"),
        ("?attempt=worst", "Attempt"),
        ("?format=csv&table=nope", "Table"),
        ("?from=2025-02-01&to=2025-01-01", "From"),
    ],
)
def test_a_bad_filter_is_a_400_naming_it(
    course: Offering, instructor: User, query: str, named: str
) -> None:
    response = _client(instructor).get(_urls(course)["questions"] + query)
    assert response.status_code == 400
    assert f"{named}:" in response.content.decode()


def test_a_new_answer_changes_the_statistics_shown(course: Offering, instructor: User) -> None:
    client = _client(instructor)
    url = _urls(course)["questions"] + "?format=csv&table=items"
    before = client.get(url).content
    answer = Answer.objects.filter(offering=course, attempt_number=1).first()
    assert answer is not None
    Answer.objects.filter(pk=answer.pk).update(score=1.0 - answer.score)
    Answer.objects.create(  # a new answer: a new fingerprint
        student=answer.student,
        question=answer.question,
        response=answer.response,
        score=0.0,
        verdict="incorrect",
        attempt_number=99,
        offering=course,
    )
    assert client.get(url).content != before


def test_an_instructors_override_changes_the_statistics_shown(
    course: Offering, instructor: User
) -> None:
    client = _client(instructor)
    url = _urls(course)["questions"] + "?format=csv&table=items"
    before = client.get(url).content
    answer = Answer.objects.filter(offering=course, attempt_number=1, score__lt=1).first()
    assert answer is not None
    answer_decide(
        instructor=instructor,
        answer=answer,
        grade=NewGrade(Decision.OVERRIDE, "Right after all.", score=1.0, verdict="correct"),
    )
    assert client.get(url).content != before


def test_the_course_page_links_its_instructor_to_the_dashboard(
    course: Offering, instructor: User
) -> None:
    student = Membership.objects.filter(offering=course, role=Role.STUDENT).first()
    assert student is not None
    dashboard = reverse("dashboards:overview", args=[SLUG])
    page = reverse("courses:course", args=[SLUG])
    assert dashboard in _client(instructor).get(page).content.decode()
    assert dashboard not in _client(student.user).get(page).content.decode()


def test_the_overview_lists_the_answers_flagged_for_review(
    course: Offering, instructor: User
) -> None:
    client = _client(instructor)
    url = _urls(course)["overview"] + "?format=csv&table=review"
    Answer.objects.filter(offering=course).update(needs_review=False)
    assert list(csv.reader(io.StringIO(client.get(url).content.decode())))[1:] == []

    answer = Answer.objects.filter(offering=course).order_by("pk").first()
    assert answer is not None
    Answer.objects.filter(pk=answer.pk).update(needs_review=True)

    rows = list(csv.reader(io.StringIO(client.get(url).content.decode())))[1:]
    assert [row[2] for row in rows] == [answer.question.key]
