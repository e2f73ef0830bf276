"""The two hot paths kept cheap: the lesson page served from the cache is the page rendered
afresh, and an answer is stored and reported with a fixed, small number of
queries, the progress row created and locked in the answer's own transaction."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.contrib.messages import constants
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import caches
from django.db import connection
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from annquiz.courses import selectors
from annquiz.courses.errors import InvalidAnswer
from annquiz.courses.lesson_cache import LESSON_PAGES_CACHE
from annquiz.courses.models import Answer, Lesson, Question, QuestionProgress
from annquiz.courses.services import answer_submit, answer_submit_with_progress
from tests.annquiz.courses.factories import (
    CourseFactory,
    LessonFactory,
    QuestionFactory,
    single_choice_config,
)
from tests.factories import StudentFactory

pytestmark = pytest.mark.django_db

_CSRF_VALUE = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]+"')


@pytest.fixture(autouse=True)
def _empty_page_cache() -> None:
    caches[LESSON_PAGES_CACHE].clear()


@pytest.fixture
def lesson() -> Lesson:
    course = CourseFactory.create(slug="ann", title="ANN course")
    lesson: Lesson = LessonFactory.create(
        course=course,
        slug="basics",
        title='Weights <&> "biases"',
        order=1,
        blocks=[{"type": "html", "html": "<p>INTRO-TEXT</p>"}],
    )
    return lesson


@pytest.fixture
def question(lesson: Lesson) -> Question:
    question: Question = QuestionFactory.create(
        lesson=lesson, key="pick", max_attempts=3, config=single_choice_config("b")
    )
    return question


def lesson_url(lesson: Lesson) -> str:
    return f"/courses/{lesson.course.slug}/lessons/{lesson.slug}/"


def page_of(client: Client, lesson: Lesson) -> str:
    response = client.get(lesson_url(lesson))
    assert response.status_code == 200
    return str(response.content.decode())


def without_csrf_tokens(page: str) -> str:
    """Each response masks the CSRF secret afresh; compare pages without the tokens."""
    return _CSRF_VALUE.sub(r'\1TOKEN"', page)


# --- the lesson page ------------------------------------------------------------------------


def test_a_page_from_the_cache_is_the_page_rendered_afresh(
    lesson: Lesson, question: Question
) -> None:
    student = StudentFactory.create(username='al<i>ce&"')
    client = Client()
    client.force_login(student)
    page_of(client, lesson)  # fills the cache
    fast = page_of(client, lesson)
    caches[LESSON_PAGES_CACHE].clear()
    slow = page_of(client, lesson)
    assert without_csrf_tokens(fast) == without_csrf_tokens(slow)
    assert "al&lt;i&gt;ce&amp;&quot;" in fast
    assert "<title>Weights &lt;&amp;&gt; &quot;biases&quot; · annquiz</title>" in fast
    assert "@@annquiz" not in fast


def test_a_cached_page_shows_the_students_current_name(lesson: Lesson, question: Question) -> None:
    student = StudentFactory.create(username="before")
    client = Client()
    client.force_login(student)
    page_of(client, lesson)  # fills the cache
    student.username = "after"
    student.save(update_fields=["username"])
    page = page_of(client, lesson)
    assert '<span class="username">after</span>' in page
    assert "before" not in page


def test_every_csrf_token_of_the_page_is_a_real_one(lesson: Lesson, question: Question) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(StudentFactory.create())
    page_of(client, lesson)
    tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page_of(client, lesson))
    assert len(tokens) == 2  # the log-out form in the layout and the question's form
    response = client.post("/accounts/logout/", {"csrfmiddlewaretoken": tokens[0]})
    assert response.status_code == 302
    assert client.get(lesson_url(lesson)).status_code == 302  # logged out


def test_a_waiting_message_is_shown_once(lesson: Lesson, question: Question) -> None:
    client = Client()
    client.force_login(StudentFactory.create())
    page_of(client, lesson)
    storage = CookieStorage(RequestFactory().get("/"))
    storage.add(constants.INFO, "WELCOME-NOTICE")
    carrier = HttpResponse()
    storage.update(carrier)
    client.cookies["messages"] = carrier.cookies["messages"].value
    assert "WELCOME-NOTICE" in page_of(client, lesson)
    assert "WELCOME-NOTICE" not in page_of(client, lesson)


def test_logging_out_ends_the_session_on_the_server(lesson: Lesson, question: Question) -> None:
    client = Client()
    client.force_login(StudentFactory.create())
    page_of(client, lesson)
    copied = client.cookies["sessionid"].value
    client.post("/accounts/logout/")
    replay = Client()
    replay.cookies["sessionid"] = copied
    response = replay.get(lesson_url(lesson))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


# --- answering ------------------------------------------------------------------------------


def api_for(student: User) -> APIClient:
    client = APIClient()
    token = Token.objects.create(user=student)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def answers_url(question: Question) -> str:
    return f"/api/v1/questions/{question.pk}/answers/"


def statements(capture: CaptureQueriesContext) -> list[str]:
    """The statements that did work (transaction and savepoint bookkeeping left out)."""
    skipped = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE SAVEPOINT")
    return [q["sql"] for q in capture.captured_queries if not q["sql"].upper().startswith(skipped)]


def test_an_answer_costs_a_fixed_number_of_queries(question: Question) -> None:
    student = StudentFactory.create()
    client = api_for(student)
    with CaptureQueriesContext(connection) as first:
        response = client.post(answers_url(question), {"response": {"choice": "a"}}, format="json")
    assert response.status_code == 201
    first_sql = statements(first)
    with CaptureQueriesContext(connection) as later:
        response = client.post(answers_url(question), {"response": {"choice": "b"}}, format="json")
    assert response.status_code == 201
    later_sql = statements(later)
    # token and user; question with the student's course and its deadline of the lesson;
    # progress created or locked (one upsert); answer inserted; progress updated. The first
    # answer costs the same: the upsert creates the progress row.
    assert len(later_sql) == 5, later_sql
    assert len(first_sql) == 5, first_sql
    assert sum("ON CONFLICT" in sql for sql in later_sql) == 1
    body: dict[str, Any] = response.json()
    assert (body["attempts_used"], body["attempts_left"], body["model_answer_earned"]) == (
        2,
        1,
        True,
    )
    progress = QuestionProgress.objects.get(student=student, question=question)
    assert (progress.attempts_used, progress.solved) == (2, True)


def test_the_first_answer_creates_the_progress_row_with_the_answer(question: Question) -> None:
    student = StudentFactory.create()
    submitted = answer_submit_with_progress(
        student=student, question=question, response={"choice": "a"}
    )
    stored = QuestionProgress.objects.get(student=student, question=question)
    assert submitted.progress.pk == stored.pk
    assert (submitted.progress.attempts_used, stored.attempts_used) == (1, 1)
    assert stored.last_answered_at == submitted.answer.created_at
    assert QuestionProgress.objects.count() == 1


def test_an_invalid_first_answer_leaves_no_progress_row(question: Question) -> None:
    student = StudentFactory.create()
    with pytest.raises(InvalidAnswer):
        answer_submit(student=student, question=question, response={"choice": "zz"})
    assert not QuestionProgress.objects.exists()
    assert not Answer.objects.exists()


def test_feedback_refuses_progress_of_another_student(question: Question) -> None:
    alice, bob = StudentFactory.create(), StudentFactory.create()
    answer = answer_submit(student=alice, question=question, response={"choice": "a"})
    theirs = answer_submit_with_progress(
        student=bob, question=question, response={"choice": "b"}
    ).progress
    with pytest.raises(ValueError, match="not student"):
        selectors.feedback_for_answer(answer=answer, progress=theirs)


def test_feedback_from_the_returned_progress_matches_a_fresh_read(question: Question) -> None:
    student = StudentFactory.create()
    answer_submit(student=student, question=question, response={"choice": "a"})
    submitted = answer_submit_with_progress(
        student=student, question=question, response={"choice": "b"}
    )
    given = selectors.feedback_for_answer(answer=submitted.answer, progress=submitted.progress)
    read = selectors.feedback_for_answer(answer=submitted.answer)
    assert given == read
    assert given.model_answer_earned
