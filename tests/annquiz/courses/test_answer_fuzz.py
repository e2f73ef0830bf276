"""Fuzzed responses to every question kind, through the three ways of answering: the API, the
lesson page's form without JavaScript and the same form posted with fetch.

The questions are the shipped course's, one of each response shape (a choice, choices, a
number, a vector, text, a choice with text). Each example is a response that fits, almost
fits or does not fit at all: wrong types, missing and extra keys, vectors of every length,
numbers too large for a float, NaN and infinity as text, nested junk, empty values. The check:
never a server error; a refusal is a 4xx that says what is wrong, an accepted answer is graded.
The examples are derandomized, so each run sends the same requests.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token

from annquiz.courses import grading, services
from annquiz.courses.models import Answer, Question, QuestionProgress
from tests.factories import StudentFactory

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db,
    pytest.mark.skipif(
        not (Path(django_settings.BASE_DIR) / "fixtures" / "course" / "course.yaml").exists(),
        reason="the course content is not in fixtures/course",
    ),
]

MAX_EXAMPLES = 30  # per response shape and way of answering
RESPONSE_FIELDS = ("choice", "choices", "value", "values", "text")
# Every response shape of the shipped course: (kind, the fields its response takes).
SHAPES = [
    ("single_choice", ("choice",)),
    ("multiple_choice", ("choices",)),
    ("numeric", ("value",)),
    ("free_text", ("text",)),
    ("free_text", ("choice", "text")),
    ("parametrized", ("value",)),
    ("parametrized", ("values",)),
]
SHAPE_IDS = [f"{kind}-{'+'.join(fields)}" for kind, fields in SHAPES]

# Numbers as a student might type them, and text that only looks like a number.
NUMBER_TEXTS = st.sampled_from(
    [
        "0.5",
        " -7.31E-1 ",
        ".5",
        "1e999",
        "-1e999",
        "1e-400",
        "NaN",
        "nan",
        "inf",
        "-Infinity",
        "0x1p3",
        "1_000",
        "1,5",
        "",
        "   ",
        "\u0661\u0662",
        "9" * 64,
        "9" * 65,
    ]
)
PLAIN_NUMBERS = st.one_of(
    st.floats(-1e6, 1e6), st.floats(0, 1).map(str), st.integers(-5, 5), st.floats(0, 1)
)
HUGE_INTEGERS = st.sampled_from([10**309, -(10**400), 2**1024]) | st.integers()
NUMBERS = st.one_of(PLAIN_NUMBERS, st.floats(), HUGE_INTEGERS, NUMBER_TEXTS)
SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, st.text(max_size=40))
JUNK = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=10,
)
# Text a browser can send in a form (no lone surrogates: they cannot be encoded).
FORM_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=60)
LONG_TEXT = st.just("word " * 1001)


@dataclass(frozen=True)
class Shape:
    """A shipped question, the fields its response takes and the keys of its choices."""

    question: Question
    fields: tuple[str, ...]
    keys: tuple[str, ...]


@pytest.fixture
def shapes(db: None) -> dict[tuple[str, tuple[str, ...]], Shape]:
    """The first active question of the shipped course of each response shape."""
    call_command("load_course", stdout=io.StringIO())
    found: dict[tuple[str, tuple[str, ...]], Shape] = {}
    for question in Question.objects.filter(is_active=True).select_related("lesson__course"):
        public = grading.public_config(question.kind, question.config)
        fields = tuple(public["fields"])
        keys = tuple(choice["key"] for choice in public["choices"])
        found.setdefault((question.kind, fields), Shape(question, fields, keys))
    assert set(found) == set(SHAPES), sorted(found)
    return found


@pytest.fixture
def student(db: None) -> User:
    user: User = StudentFactory.create(username="fuzz-answers")
    return user


def _weighted(*choices: tuple[int, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """One of the strategies, each drawn ``weight`` times as often as a weight of 1."""
    pool = [strategy for weight, strategy in choices for _ in range(weight)]
    return st.sampled_from(pool).flatmap(lambda strategy: strategy)


def _near(field: str, keys: tuple[str, ...]) -> st.SearchStrategy[Any]:
    """Values for ``field`` that fit, almost fit, or are junk."""
    key = st.sampled_from(keys) if keys else st.text(max_size=3)
    near: dict[str, st.SearchStrategy[Any]] = {
        "choice": key | st.text(max_size=120),
        "choices": st.lists(key, max_size=8) | st.lists(key | st.text(max_size=4), max_size=8),
        "value": NUMBERS,
        "values": st.lists(PLAIN_NUMBERS, max_size=40) | st.lists(NUMBERS, max_size=40),
        "text": st.text(max_size=300) | LONG_TEXT,
    }
    return _weighted((3, near[field]), (1, JUNK))


def _responses(shape: Shape) -> st.SearchStrategy[Any]:
    """The question's own fields, any known fields, extra keys, or no object at all."""
    own = st.fixed_dictionaries({f: _near(f, shape.keys) for f in shape.fields})
    known = st.fixed_dictionaries({}, optional={f: _near(f, shape.keys) for f in RESPONSE_FIELDS})
    extra = st.dictionaries(st.text(max_size=8), JUNK, min_size=1, max_size=2)
    with_extra = st.builds(lambda fit, more: {**fit, **more}, own, extra)
    return _weighted((3, own), (1, known), (1, with_extra), (1, JUNK))


def _form_data(shape: Shape) -> st.SearchStrategy[dict[str, Any]]:
    """What a form can post: the question's fields and others, text once or repeated."""
    key = st.sampled_from(shape.keys) if shape.keys else FORM_TEXT
    vector = st.lists(PLAIN_NUMBERS.map(str) | NUMBER_TEXTS, max_size=40).map(", ".join)
    item = st.one_of(key, vector, NUMBER_TEXTS, FORM_TEXT, LONG_TEXT)
    value = item | st.lists(item, max_size=5)
    own = st.fixed_dictionaries({}, optional=dict.fromkeys(shape.fields, value))
    names = st.sampled_from([*RESPONSE_FIELDS, "variant", "response", "x"])
    more = st.dictionaries(names, value, max_size=3)
    return st.builds(lambda more, own: {**more, **own}, more, own)


def _run(strategy: st.SearchStrategy[Any], check: Callable[[Any], None]) -> None:
    @given(example=strategy)
    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(example: Any) -> None:
        check(example)

    run()


def _fresh_attempts(student: User) -> None:
    """Every example starts with every attempt left, so each one reaches the grading."""
    Answer.objects.filter(student=student).delete()
    QuestionProgress.objects.filter(student=student).delete()


def _answer_url(question: Question) -> str:
    lesson = question.lesson
    return f"/courses/{lesson.course.slug}/lessons/{lesson.slug}/questions/{question.key}/answer/"


@pytest.mark.parametrize("shape_name", SHAPES, ids=SHAPE_IDS)
def test_fuzzed_api_answers_are_graded_or_refused_with_a_message(
    shapes: dict[tuple[str, tuple[str, ...]], Shape],
    student: User,
    shape_name: tuple[str, tuple[str, ...]],
) -> None:
    shape = shapes[shape_name]
    other = StudentFactory.create(username="fuzz-other")
    variant_ids = [
        variant.pk
        for owner in (student, other)
        for variant in services.variants_get_or_create(
            student=owner, questions=[s.question for s in shapes.values()]
        ).values()
    ]
    token, _ = Token.objects.get_or_create(user=student)
    client = Client(headers={"Authorization": f"Token {token.key}"})
    variant = st.none() | st.integers() | st.text(max_size=4) | st.sampled_from(variant_ids)
    url = f"/api/v1/questions/{shape.question.pk}/answers/"

    def check(body: Any) -> None:
        _fresh_attempts(student)
        response = client.post(url, json.dumps(body), content_type="application/json")
        assert response.status_code < 500, (body, response.content)
        if response.status_code >= 400:
            error = response.json()["error"]
            assert error["message"], (body, error)
        else:
            assert response.status_code == 201, (body, response.content)
            assert response.json()["verdict"] in ("correct", "partial", "incorrect")

    response = _responses(shape)
    with_variant = st.fixed_dictionaries({"response": response}, optional={"variant": variant})
    bare = response.map(lambda r: {"response": r})
    _run(_weighted((3, bare), (1, with_variant), (1, JUNK)), check)


@pytest.mark.parametrize("fetch", [False, True], ids=["plain-post", "fetch"])
@pytest.mark.parametrize("shape_name", SHAPES, ids=SHAPE_IDS)
def test_fuzzed_form_answers_are_graded_or_refused_with_a_message(
    shapes: dict[tuple[str, tuple[str, ...]], Shape],
    student: User,
    shape_name: tuple[str, tuple[str, ...]],
    fetch: bool,
) -> None:
    shape = shapes[shape_name]
    client = Client()
    client.force_login(student)
    headers = {"X-Requested-With": "fetch"} if fetch else {}
    url = _answer_url(shape.question)

    def check(data: dict[str, Any]) -> None:
        _fresh_attempts(student)
        response = client.post(url, data, headers=headers)
        assert response.status_code < 500, (data, response.content)
        if not fetch:
            assert response.status_code == 302, (data, response.status_code)
            return
        assert response.status_code in (200, 400), (data, response.status_code)
        page = response.content.decode()
        if response.status_code == 400:
            assert '<p class="error">' in page, data
        else:
            assert "data-verdict=" in page, data

    _run(_form_data(shape), check)
