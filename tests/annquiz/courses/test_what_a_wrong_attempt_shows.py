"""On the real course, through the JSON API and the lesson page (with and without JavaScript,
cached or not): after a wrong attempt the student sees hints, never the explanation nor the
model answer; once solved or out of attempts, both. Choices come in each student's own order,
the same everywhere, and the order shown is stored with the answer."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.cache import caches
from django.core.management import call_command
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from annquiz.courses.choice_order import choice_order
from annquiz.courses.lesson_cache import LESSON_PAGES_CACHE
from annquiz.courses.models import Answer, Question
from tests.factories import StudentFactory

pytestmark = pytest.mark.django_db

FETCH = {"X-Requested-With": "fetch"}
LESSON_URL = "/courses/ann-handout/lessons/loss-convergence-and-epochs/"


@pytest.fixture(autouse=True)
def _course() -> None:
    caches[LESSON_PAGES_CACHE].clear()
    call_command("load_course", stdout=io.StringIO())


@pytest.fixture
def alice() -> User:
    user: User = StudentFactory.create(username="alice")
    return user


def api_client(user: User) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def page_client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def q6() -> Question:
    """Q6 (single choice, 2 attempts): the question whose explanation gave the answer away."""
    return Question.objects.get(key="q6-high-loss")


def right_and_wrong(question: Question) -> tuple[str, list[str]]:
    choices = question.config["choices"]
    right = next(c["key"] for c in choices if c.get("correct"))
    return right, [c["key"] for c in choices if not c.get("correct")]


def texts(question: Question) -> dict[str, str]:
    """Distinctive text of the question's hints, explanation and model answer."""
    return {
        "hint1": question.hints_html[0],
        "hint2": question.hints_html[1],
        "explanation": question.explanation_html,
        "model_answer": question.model_answer_html,
    }


def shown(body: str, question: Question) -> set[str]:
    return {name for name, text in texts(question).items() if text in body}


def post_api(client: APIClient, question: Question, choice: str) -> Any:
    response = client.post(
        f"/api/v1/questions/{question.pk}/answers/", {"response": {"choice": choice}}, format="json"
    )
    assert response.status_code == 201, response.content
    return response


# --- the API -----------------------------------------------------------------------------------


def test_api_after_one_wrong_attempt_hints_but_no_explanation_nor_model_answer(
    alice: User,
) -> None:
    question = q6()
    _, wrong = right_and_wrong(question)
    client = api_client(alice)

    reply = post_api(client, question, wrong[0])

    body = reply.json()
    assert body["hints_html"] == [question.hints_html[0]]
    assert body["explanation_html"] is None and body["model_answer_html"] is None
    assert shown(reply.content.decode(), question) == {"hint1"}
    listed = client.get(f"/api/v1/questions/{question.pk}/").content.decode()
    assert shown(listed, question) == {"hint1"}
    lesson = client.get(f"/api/v1/lessons/{question.lesson_id}/").content.decode()
    assert shown(lesson, question) == {"hint1"}


def test_api_once_solved_the_explanation_and_model_answer_come(alice: User) -> None:
    question = q6()
    right, wrong = right_and_wrong(question)
    client = api_client(alice)
    post_api(client, question, wrong[0])

    body = post_api(client, question, right).json()

    assert body["verdict"] == "correct"
    assert body["explanation_html"] == question.explanation_html
    assert body["model_answer_html"] == question.model_answer_html


def test_api_once_the_attempts_are_used_the_explanation_and_model_answer_come(
    alice: User,
) -> None:
    question = q6()
    _, wrong = right_and_wrong(question)
    client = api_client(alice)
    post_api(client, question, wrong[0])

    body = post_api(client, question, wrong[1]).json()

    assert body["attempts_left"] == 0
    assert body["explanation_html"] == question.explanation_html
    assert body["model_answer_html"] == question.model_answer_html
    assert body["hints_html"] == question.hints_html[:2]


# --- the page ----------------------------------------------------------------------------------


def test_page_after_one_wrong_attempt_without_javascript_shows_only_the_first_hint(
    alice: User,
) -> None:
    question = q6()
    right, wrong = right_and_wrong(question)
    client = page_client(alice)
    answer = f"{LESSON_URL}questions/{question.key}/answer/"

    client.post(answer, {"choice": wrong[0]})
    first = client.get(LESSON_URL).content.decode()
    again = client.get(LESSON_URL).content.decode()  # from the cache now

    assert shown(first, question) == shown(again, question) == {"hint1"}

    client.post(answer, {"choice": right})
    solved = client.get(LESSON_URL).content.decode()
    assert {"explanation", "model_answer"} <= shown(solved, question)


def test_page_fragment_for_javascript_follows_the_same_rule(alice: User) -> None:
    question = q6()
    _, wrong = right_and_wrong(question)
    client = page_client(alice)
    answer = f"{LESSON_URL}questions/{question.key}/answer/"

    first = client.post(answer, {"choice": wrong[0]}, headers=FETCH).content.decode()
    last = client.post(answer, {"choice": wrong[1]}, headers=FETCH).content.decode()

    assert shown(first, question) == {"hint1"}
    assert {"explanation", "model_answer"} <= shown(last, question)


# --- the order of the choices ------------------------------------------------------------------


def order_on_page(page: str, question: Question) -> list[str]:
    section = page.split(f'id="question-{question.key}"', 1)[1].split("</section>", 1)[0]
    return [part.split('"', 1)[0] for part in section.split('name="choice" value="')[1:]]


def test_each_student_sees_the_choices_in_an_order_of_their_own_everywhere() -> None:
    question = q6()
    keys = [c["key"] for c in question.config["choices"]]
    students = [StudentFactory.create() for _ in range(8)]
    orders = []
    for student in students:
        expected = choice_order(student_id=student.pk, question_key=question.key, choice_keys=keys)
        api = api_client(student).get(f"/api/v1/questions/{question.pk}/").json()
        page = page_client(student).get(LESSON_URL).content.decode()
        assert [c["key"] for c in api["public_config"]["choices"]] == expected
        assert order_on_page(page, question) == expected
        assert order_on_page(page_client(student).get(LESSON_URL).content.decode(), question) == (
            expected
        )
        orders.append(tuple(expected))
    assert len(set(orders)) > 1, "every student saw the same order"
    assert sorted(orders[0]) == sorted(keys)


def test_the_right_option_is_not_always_first_across_students() -> None:
    firsts = set()
    for question in Question.objects.filter(kind="single_choice"):
        right, _ = right_and_wrong(question)
        keys = [c["key"] for c in question.config["choices"]]
        firsts |= {
            choice_order(student_id=sid, question_key=question.key, choice_keys=keys)[0] == right
            for sid in range(1, 30)
        }
    assert firsts == {True, False}


def test_the_order_shown_is_stored_with_the_answer(alice: User) -> None:
    question = q6()
    _, wrong = right_and_wrong(question)
    shown_order = [
        c["key"]
        for c in api_client(alice)
        .get(f"/api/v1/questions/{question.pk}/")
        .json()["public_config"]["choices"]
    ]

    body = post_api(api_client(alice), question, wrong[0]).json()
    page_client(alice).post(f"{LESSON_URL}questions/{question.key}/answer/", {"choice": wrong[1]})

    assert body["choice_order"] == shown_order
    stored = list(Answer.objects.filter(student=alice).order_by("attempt_number"))
    assert [answer.choice_order for answer in stored] == [shown_order, shown_order]
    numeric = Question.objects.get(key="neuron-output-worked")
    api_client(alice).post(
        f"/api/v1/questions/{numeric.pk}/answers/", {"response": {"value": 0.5}}, format="json"
    )
    assert Answer.objects.get(student=alice, question=numeric).choice_order == []
