"""The REST API under /api/v1/: owner, another student and anonymous on every endpoint,
bad input, and the OpenAPI schema."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from drf_spectacular.validation import validate_schema
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from annquiz.courses.choice_order import choice_order
from annquiz.courses.models import Answer, Lesson, Question, QuestionKind, QuestionProgress
from annquiz.courses.services import answer_submit, variant_get_or_create
from tests.annquiz.courses.factories import (
    CourseFactory,
    LessonFactory,
    QuestionFactory,
    free_text_config,
    numeric_config,
    parametrized_question,
    softmax_question,
)
from tests.factories import DEFAULT_PASSWORD, StudentFactory

pytestmark = pytest.mark.django_db

SECRET_KEYS = {"correct", "rubric", "answer", "tolerance", "claims", "concepts", "confidence"}
SECRET_TEXTS = ("MODEL-ANSWER-TEXT", "fb-b", "fb-c")


def client_for(user: User | None) -> APIClient:
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def answers_url(question: Question) -> str:
    return f"/api/v1/questions/{question.pk}/answers/"


def post_answer(client: APIClient, question: Question, body: Any) -> Any:
    return client.post(answers_url(question), body, format="json")


def error_of(response: Any) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"field", "message"}, body
    assert body["error"]["message"]
    return dict(body["error"])


def assert_no_secrets(payload: Any) -> None:
    """No answer key, rubric, choice flag or unearned model answer anywhere in ``payload``."""

    def keys(value: Any) -> set[str]:
        if isinstance(value, dict):
            return set(value).union(*(keys(item) for item in value.values()))
        if isinstance(value, list):
            return set().union(*(keys(item) for item in value))
        return set()

    assert not keys(payload) & SECRET_KEYS, keys(payload) & SECRET_KEYS
    text = json.dumps(payload)
    for secret in SECRET_TEXTS:
        assert secret not in text, secret


@pytest.fixture
def lesson() -> Lesson:
    lesson: Lesson = LessonFactory.create(
        course=CourseFactory.create(slug="ann"), blocks=[{"type": "html", "html": "<p>Intro</p>"}]
    )
    return lesson


@pytest.fixture
def question(lesson: Lesson) -> Question:
    question: Question = QuestionFactory.create(lesson=lesson, max_attempts=2)
    return question


@pytest.fixture
def alice() -> User:
    user: User = StudentFactory.create(username="alice")
    return user


@pytest.fixture
def bob() -> User:
    user: User = StudentFactory.create(username="bob")
    return user


# --- auth -----------------------------------------------------------------------------------


def test_a_token_is_issued_for_good_credentials_only(alice: User) -> None:
    client = APIClient()
    ok = client.post(
        "/api/v1/auth/token/", {"username": "alice", "password": DEFAULT_PASSWORD}, format="json"
    )
    assert ok.status_code == 200
    assert ok.json()["token"] == Token.objects.get(user=alice).key
    bad = client.post(
        "/api/v1/auth/token/", {"username": "alice", "password": "wrong"}, format="json"
    )
    assert bad.status_code == 400
    error_of(bad)


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/courses/",
        "/api/v1/courses/ann/",
        "/api/v1/courses/ann/lessons/",
        "/api/v1/lessons/{lesson}/",
        "/api/v1/questions/{question}/",
        "/api/v1/questions/{question}/answers/",
        "/api/v1/me/progress/",
    ],
)
def test_anonymous_requests_are_401(url: str, question: Question) -> None:
    response = APIClient().get(url.format(lesson=question.lesson_id, question=question.pk))
    assert response.status_code == 401
    error_of(response)


def test_anonymous_cannot_answer(question: Question) -> None:
    response = post_answer(APIClient(), question, {"response": {"choice": "b"}})
    assert response.status_code == 401
    assert not Answer.objects.exists()


def test_session_auth_works_for_the_web_pages(alice: User, question: Question) -> None:
    client = APIClient()
    client.force_login(alice)
    assert client.get(f"/api/v1/questions/{question.pk}/").status_code == 200


# --- reading --------------------------------------------------------------------------------


def test_courses_are_listed_with_their_lesson_counts(alice: User, lesson: Lesson) -> None:
    response = client_for(alice).get("/api/v1/courses/")
    assert response.status_code == 200
    results = response.json()["results"]
    assert [(c["slug"], c["lesson_count"]) for c in results] == [("ann", 1)]


def test_course_detail_has_lessons_and_the_users_progress(
    alice: User, bob: User, question: Question
) -> None:
    answer_submit(student=alice, question=question, response={"choice": "b"})
    mine = client_for(alice).get("/api/v1/courses/ann/").json()
    theirs = client_for(bob).get("/api/v1/courses/ann/").json()
    assert [lesson["slug"] for lesson in mine["lessons"]] == [question.lesson.slug]
    assert mine["progress"]["answered"] == 1
    assert mine["progress"]["score_percent"] == 100.0
    assert theirs["progress"]["answered"] == 0
    assert client_for(alice).get("/api/v1/courses/nope/").status_code == 404


def test_course_lessons_are_listed_in_order_without_inactive_ones(
    alice: User, lesson: Lesson
) -> None:
    LessonFactory.create(course=lesson.course, order=lesson.order + 1, slug="later")
    LessonFactory.create(course=lesson.course, order=lesson.order + 2, slug="gone", is_active=False)
    response = client_for(alice).get("/api/v1/courses/ann/lessons/")
    assert response.status_code == 200
    assert [item["slug"] for item in response.json()["results"]] == [lesson.slug, "later"]
    assert client_for(alice).get("/api/v1/courses/nope/lessons/").status_code == 404


def test_a_lesson_shows_blocks_and_public_question_parts_only(
    alice: User, bob: User, question: Question
) -> None:
    param = parametrized_question(lesson=question.lesson)
    answer_submit(student=alice, question=question, response={"choice": "a"})

    response = client_for(alice).get(f"/api/v1/lessons/{question.lesson_id}/")

    assert response.status_code == 200
    body = response.json()
    assert [block["type"] for block in body["blocks"]] == ["html", "question", "question"]
    shown = body["blocks"][1]["question"]
    assert shown["id"] == question.pk
    assert shown["attempts_used"] == 1 and shown["attempts_left"] == 1
    assert [c["key"] for c in shown["public_config"]["choices"]] == choice_order(
        student_id=alice.pk, question_key=question.key, choice_keys=["a", "b", "c"]
    )
    assert shown["last_feedback"]["model_answer_html"] is None
    variant_block = body["blocks"][2]["question"]
    own_variant = variant_get_or_create(student=alice, question=param)
    assert variant_block["variant"]["id"] == own_variant.pk
    assert variant_block["prompt_html"] == own_variant.prompt_html
    assert_no_secrets(body)

    other = client_for(bob).get(f"/api/v1/lessons/{question.lesson_id}/").json()
    assert other["blocks"][1]["question"]["attempts_used"] == 0
    assert other["blocks"][2]["question"]["variant"]["id"] != own_variant.pk


def test_inactive_lessons_and_questions_are_404(alice: User, question: Question) -> None:
    client = client_for(alice)
    Question.objects.filter(pk=question.pk).update(is_active=False)
    assert client.get(f"/api/v1/questions/{question.pk}/").status_code == 404
    assert post_answer(client, question, {"response": {"choice": "b"}}).status_code == 404
    Lesson.objects.filter(pk=question.lesson_id).update(is_active=False)
    response = client.get(f"/api/v1/lessons/{question.lesson_id}/")
    assert response.status_code == 404
    error_of(response)
    assert client.get("/api/v1/questions/999999/").status_code == 404
    assert not Answer.objects.exists()


def test_question_detail_is_public_and_per_student(
    alice: User, bob: User, question: Question
) -> None:
    answer_submit(student=alice, question=question, response={"choice": "a"})
    mine = client_for(alice).get(f"/api/v1/questions/{question.pk}/").json()
    theirs = client_for(bob).get(f"/api/v1/questions/{question.pk}/").json()
    assert mine["attempts_used"] == 1 and theirs["attempts_used"] == 0
    assert theirs["last_feedback"] is None
    assert mine["kind"] == "single_choice"
    assert mine["prompt_html"] == question.prompt_html
    assert_no_secrets(mine)


def test_own_answers_only(alice: User, bob: User, question: Question) -> None:
    answer_submit(student=alice, question=question, response={"choice": "a"})
    mine = client_for(alice).get(answers_url(question)).json()
    theirs = client_for(bob).get(answers_url(question)).json()
    assert [a["attempt_number"] for a in mine["results"]] == [1]
    assert mine["results"][0]["response"] == {"choice": "a"}
    assert theirs["results"] == []


def test_my_progress_covers_every_course(alice: User, bob: User, question: Question) -> None:
    QuestionFactory.create(lesson=LessonFactory.create(course=CourseFactory.create(slug="other")))
    answer_submit(student=alice, question=question, response={"choice": "b"})
    mine = client_for(alice).get("/api/v1/me/progress/").json()
    assert {c["course"]: c["solved"] for c in mine} == {"ann": 1, "other": 0}
    lesson = next(c for c in mine if c["course"] == "ann")["lessons"][0]
    assert lesson["questions"][0]["best_score"] == 1.0
    theirs = client_for(bob).get("/api/v1/me/progress/").json()
    assert {c["course"]: c["answered"] for c in theirs} == {"ann": 0, "other": 0}


# --- answering ------------------------------------------------------------------------------


def test_an_answer_is_graded_and_the_model_answer_waits_until_earned(
    alice: User, question: Question
) -> None:
    client = client_for(alice)
    first = post_answer(client, question, {"response": {"choice": "a"}})
    assert first.status_code == 201
    body = first.json()
    assert (body["verdict"], body["score"], body["attempt_number"]) == ("incorrect", 0.0, 1)
    assert body["attempts_left"] == 1
    assert body["feedback"]
    assert body["hints_html"] == ["<p>HINT-ONE-TEXT</p>"]
    assert body["explanation_html"] is None
    assert body["model_answer_html"] is None
    assert "MODEL-ANSWER-TEXT" not in first.content.decode()
    assert "The explanation from the handout." not in first.content.decode()

    second = post_answer(client, question, {"response": {"choice": "b"}}).json()
    assert (second["verdict"], second["attempt_number"], second["attempts_left"]) == (
        "correct",
        2,
        0,
    )
    assert second["model_answer_html"] == question.model_answer_html
    assert second["explanation_html"] == question.explanation_html


def test_used_up_attempts_are_409_and_nothing_is_stored(alice: User, question: Question) -> None:
    client = client_for(alice)
    for _ in range(2):
        assert post_answer(client, question, {"response": {"choice": "a"}}).status_code == 201
    response = post_answer(client, question, {"response": {"choice": "b"}})
    assert response.status_code == 409
    assert "attempts" in error_of(response)["message"]
    assert Answer.objects.filter(student=alice).count() == 2


def test_a_parametrized_question_uses_the_students_variant(alice: User, bob: User) -> None:
    question = parametrized_question(max_attempts=5)
    variant = variant_get_or_create(student=alice, question=question)
    value = variant.answer
    ok = post_answer(
        client_for(alice), question, {"response": {"value": value}, "variant": variant.pk}
    )
    assert ok.status_code == 201
    assert ok.json()["verdict"] == "correct"
    assert ok.json()["variant"] == variant.pk

    stolen = post_answer(
        client_for(bob), question, {"response": {"value": value}, "variant": variant.pk}
    )
    assert stolen.status_code == 403
    assert error_of(stolen)["field"] == "variant"
    assert Answer.objects.filter(student=bob).count() == 0


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ([0.2, 0.8], "expected exactly 3 numbers, one per class in order; got 2"),
        ([1], "expected exactly 3 numbers, one per class in order; got 1"),
        ([0.1, 0.2, 0.3, 0.4], "expected exactly 3 numbers, one per class in order; got 4"),
        (["0.5"] * 32, "expected exactly 3 numbers, one per class in order; got 32"),
    ],
)
def test_a_vector_of_the_wrong_length_for_the_students_variant_is_400_and_uses_no_attempt(
    alice: User, values: list[Any], message: str
) -> None:
    question = softmax_question(max_attempts=1)
    client = client_for(alice)

    response = post_answer(client, question, {"response": {"values": values}})

    assert response.status_code == 400, response.content
    assert error_of(response) == {"field": "response.values", "message": message}
    assert not Answer.objects.exists()
    assert not QuestionProgress.objects.filter(attempts_used__gt=0).exists()
    variant = variant_get_or_create(student=alice, question=question)
    right = post_answer(client, question, {"response": {"values": variant.answer}})
    assert right.status_code == 201, right.content
    assert right.json()["verdict"] == "correct"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"response": {"choice": "zz"}}, "response.choice"),
        ({"response": {}}, "response"),
        ({"response": {"choice": "b", "extra": 1}}, "response"),
        ({"response": "b"}, "response"),
        ({}, "response"),
        ({"response": {"choice": "b"}, "hack": True}, "hack"),
        ({"response": {"choice": "b"}, "variant": "x"}, "variant"),
        ({"response": {"choice": "b"}, "variant": 5}, "variant"),
        ([{"choice": "b"}], None),
    ],
)
def test_bad_answers_are_400_naming_the_field(
    alice: User, question: Question, body: Any, field: str | None
) -> None:
    response = post_answer(client_for(alice), question, body)
    assert response.status_code == 400, response.content
    error = error_of(response)
    if field is not None:
        assert error["field"] is not None and error["field"].startswith(field), error
    assert not Answer.objects.exists()


def test_a_choice_that_does_not_exist_lists_the_valid_ones(alice: User, question: Question) -> None:
    error = error_of(post_answer(client_for(alice), question, {"response": {"choice": "zz"}}))
    assert "zz" in error["message"]


@pytest.mark.parametrize(
    "text", ["", "   ", "bin\x00ary", "x" * 5001], ids=["empty", "blank", "nul", "too-long"]
)
def test_bad_free_text_is_400(alice: User, text: str) -> None:
    question = QuestionFactory.create(kind=QuestionKind.FREE_TEXT, config=free_text_config())
    response = post_answer(client_for(alice), question, {"response": {"text": text}})
    assert response.status_code == 400
    assert error_of(response)["field"] == "response.text"
    assert not Answer.objects.exists()


@pytest.mark.parametrize(
    "raw",
    [
        '{"response": {"choice": "\\ud800"}}',
        '{"response": {"choice": "b\\u0000"}}',
        '{"response": {"choice\\u0000": "b"}}',
        '{"response": {"choice": [[[[["b"]]]]]}}',
    ],
    ids=["lone-surrogate", "nul-in-value", "nul-in-key", "nested"],
)
def test_text_that_cannot_be_stored_is_400(alice: User, question: Question, raw: str) -> None:
    response = client_for(alice).generic(
        "POST", answers_url(question), raw, content_type="application/json"
    )
    assert response.status_code == 400
    assert error_of(response)["field"].startswith("response")
    assert not Answer.objects.exists()


def test_a_one_megabyte_answer_is_a_clean_413(alice: User) -> None:
    question = QuestionFactory.create(kind=QuestionKind.FREE_TEXT, config=free_text_config())
    response = post_answer(client_for(alice), question, {"response": {"text": "a" * 1_048_576}})
    assert response.status_code == 413
    error = error_of(response)
    assert error["field"] == "body"
    assert "bytes" in error["message"]
    assert not Answer.objects.exists()


@pytest.mark.parametrize(
    ("payload", "content_type", "status", "field"),
    [
        (b'{"response": {"choice": ', "application/json", 400, "body"),
        (b"\xff\xfe\x00\x01binary", "application/json", 400, "body"),
        # NaN is read as a number, then refused by the field that holds it.
        (b'{"response": {"value": NaN}}', "application/json", 400, "response.value"),
        (
            b'{"response": {"text": ' + b"[" * 20_000 + b"]" * 20_000 + b"}}",
            "application/json",
            400,
            "body",
        ),
        (b"\x89PNG\r\n\x1a\n", "image/png", 415, "body"),
        (b"response=b", "application/x-www-form-urlencoded", 415, "body"),
    ],
    ids=["truncated", "binary", "nan", "deep", "png", "form"],
)
def test_malformed_bodies_are_4xx_with_a_message(
    alice: User, question: Question, payload: bytes, content_type: str, status: int, field: str
) -> None:
    response = client_for(alice).generic(
        "POST",
        answers_url(question),
        payload,  # type: ignore[arg-type]  # Django sends bytes as they are
        content_type=content_type,
    )
    assert response.status_code == status
    assert error_of(response)["field"] == field
    assert not Answer.objects.exists()


# --- the schema ----------------------------------------------------------------------------


def test_the_schema_is_valid_openapi_3_and_lists_every_endpoint() -> None:
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)
    for path in (
        "/api/v1/auth/token/",
        "/api/v1/courses/",
        "/api/v1/courses/{slug}/",
        "/api/v1/courses/{slug}/lessons/",
        "/api/v1/lessons/{lesson_id}/",
        "/api/v1/questions/{question_id}/",
        "/api/v1/questions/{question_id}/answers/",
        "/api/v1/me/progress/",
    ):
        assert path in schema["paths"], path
    post = schema["paths"]["/api/v1/questions/{question_id}/answers/"]["post"]
    assert {"201", "400", "403", "404", "409", "413"} <= set(post["responses"])


def test_the_docs_page_uses_local_assets() -> None:
    response = APIClient().get("/api/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "swagger-ui" in page
    assert "cdn." not in page and "unpkg" not in page


def strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return [text for item in value for text in strings(item)]
    return []


@pytest.mark.skipif(
    not (Path(settings.BASE_DIR) / "fixtures" / "course" / "course.yaml").exists(),
    reason="the course content is not in fixtures/course yet",
)
def test_no_lesson_of_the_shipped_course_leaks_an_answer_key(alice: User) -> None:
    call_command("load_course", stdout=io.StringIO())
    client = client_for(alice)
    course = client.get("/api/v1/courses/").json()["results"][0]
    lessons = client.get(f"/api/v1/courses/{course['slug']}/lessons/").json()["results"]
    kinds: set[str] = set()
    for lesson in lessons:
        body = client.get(f"/api/v1/lessons/{lesson['id']}/").json()
        questions = [b["question"] for b in body["blocks"] if b["type"] == "question"]
        kinds.update(q["kind"] for q in questions)
        assert_no_secrets(body)
        texts = strings(body)
        for question in questions:
            stored = Question.objects.get(pk=question["id"])
            if stored.model_answer_html:
                assert not any(stored.model_answer_html in text for text in texts)
    assert {"free_text", "parametrized"} <= kinds


# --- bad input found by fuzzing the schema -------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/questions/abc/",
        "/api/v1/questions/-1/answers/",
        "/api/v1/courses/%C3%A9t%C3%A9/",
        "/api/v1/courses/a%0Ab/",
        "/api/v1/nothing-here/",
    ],
)
def test_a_url_under_the_api_that_names_no_endpoint_is_a_json_404(alice: User, path: str) -> None:
    for response in (client_for(alice).get(path), client_for(alice).post(path, {}, format="json")):
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
        assert "no API endpoint" in error_of(response)["message"]


def test_a_missing_trailing_slash_is_still_redirected_not_refused(alice: User) -> None:
    response = client_for(alice).get("/api/v1/courses")

    assert response.status_code == 301
    assert response["Location"] == "/api/v1/courses/"


@pytest.mark.parametrize("page", ["abc", "0", "-1", "1.5", "\x00", ""])
def test_a_page_that_is_not_a_page_number_is_a_400_naming_page(
    alice: User, lesson: Lesson, page: str
) -> None:
    response = client_for(alice).get("/api/v1/courses/", {"page": page})

    assert response.status_code == 400
    assert error_of(response)["field"] == "page"


def test_a_page_past_the_last_one_is_a_404(alice: User, lesson: Lesson) -> None:
    for page in ("2", "9" * 5000):
        response = client_for(alice).get("/api/v1/courses/", {"page": page})
        assert response.status_code == 404
        error_of(response)


def test_a_number_too_large_for_a_float_is_named_and_nothing_is_stored(
    alice: User, lesson: Lesson
) -> None:
    question: Question = QuestionFactory.create(
        lesson=lesson, kind=QuestionKind.NUMERIC, config=numeric_config()
    )
    client = client_for(alice)
    body = '{"response": {"value": 1e999}}'

    response = client.post(answers_url(question), body, content_type="application/json")

    assert response.status_code == 400
    assert error_of(response) == {
        "field": "response.value",
        "message": "is not a finite number (it overflows a float)",
    }
    assert not Answer.objects.filter(question=question).exists()


def test_token_endpoint_refuses_deep_nesting_and_huge_bodies_in_the_error_shape(
    alice: User,
) -> None:
    client = APIClient()
    deep = '{"username": ' + "[" * 5000 + "]" * 5000 + ', "password": "x"}'
    huge = json.dumps({"username": "a" * 3_000_000, "password": DEFAULT_PASSWORD})

    nested = client.post("/api/v1/auth/token/", deep, content_type="application/json")
    too_large = client.post("/api/v1/auth/token/", huge, content_type="application/json")

    assert nested.status_code == 400
    assert error_of(nested)["field"] == "body"
    assert too_large.status_code == 413
    assert error_of(too_large)["field"] == "body"
    assert not Token.objects.exists()


def test_schema_describes_the_answer_body_and_the_token_errors() -> None:
    schema = APIClient().get("/api/schema/?format=json").json()
    answer_input = schema["components"]["schemas"]["AnswerInput"]
    token = schema["paths"]["/api/v1/auth/token/"]["post"]
    courses = schema["paths"]["/api/v1/courses/"]["get"]
    progress = schema["paths"]["/api/v1/me/progress/"]["get"]

    assert answer_input["additionalProperties"] is False
    response = answer_input["properties"]["response"]
    assert response["type"] == "object" and response["additionalProperties"] is False
    assert set(response["properties"]) == {"choice", "choices", "value", "values", "text"}
    assert {"400", "413", "415"} <= set(token["responses"])
    assert {"400", "401", "404"} <= set(courses["responses"])
    page = next(p for p in courses["parameters"] if p["name"] == "page")
    assert page["schema"]["minimum"] == 1
    assert "parameters" not in progress  # not paginated
