"""Property-based test of the REST API from its own OpenAPI schema (schemathesis).

Every operation in ``/api/schema/`` is driven through Django's WSGI app in-process, with
generated valid and invalid requests (with ids of real lessons and questions too), by a
student with a token, on the shipped course; the examples are derandomized, so each run sends
the same requests. The
checks: never a server error, every status documented, every body (errors included) matching
the schema, invalid requests refused, and after each request no answer stored twice and no
progress row out of step with the answers.

Left out: ``positive_data_acceptance``. A schema-valid answer can still be wrong for one
question (the choice ``"zz"`` on a question with choices a-d, ``{"value": 1}`` on a free text
question); that is a 400 with the field named, which the schema cannot express.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.db.models import Count
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import positive_data_acceptance

from annquiz.coding.models import CodingTask, Submission
from annquiz.courses.models import Answer, Course, Lesson, Question, QuestionProgress
from tests.factories import StudentFactory

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db,
    pytest.mark.skipif(
        not (Path(django_settings.BASE_DIR) / "fixtures" / "course" / "course.yaml").exists(),
        reason="the course content is not in fixtures/course",
    ),
]

EXCLUDED_CHECKS = [positive_data_acceptance]
# An invalid request may be refused for its size before it is parsed: 413 is a refusal too.
CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {
            "negative_data_rejection": {
                "expected-statuses": [400, 401, 403, 404, 405, 406, 409, 413, 415, 422, 429]
            }
        }
    }
)
MAX_EXAMPLES = 50  # per operation and mode
NO_NEGATIVE_CASES = {
    "GET /api/v1/me/progress/",
    "GET /api/v1/memberships/",
    "GET /api/v1/courses/{slug}/",
    "GET /api/v1/tasks/",
    "GET /api/v1/tasks/{slug}/",
}


@pytest.fixture
def api_schema(db: None) -> Iterator[Any]:
    call_command("load_course", stdout=io.StringIO())
    call_command("load_tasks", stdout=io.StringIO())
    # As Django's test client does: keep the test's connection (and its transaction) open
    # across requests instead of closing it when each request ends.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/schema/", WSGIHandler(), config=CONFIG)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def student_token(db: None) -> str:
    student: User = StudentFactory.create(username="fuzz-student")
    token, _ = Token.objects.get_or_create(user=student)
    return token.key


def assert_answers_consistent() -> None:
    """No (student, question, attempt) stored twice; every progress row counts exactly the
    student's stored answers, never more than the question allows."""
    duplicates = (
        Answer.objects.values("student_id", "question_id", "attempt_number")
        .annotate(copies=Count("id"))
        .filter(copies__gt=1)
    )
    assert not duplicates.exists(), list(duplicates)
    stored = {
        (row["student_id"], row["question_id"]): row["n"]
        for row in Answer.objects.values("student_id", "question_id").annotate(n=Count("id"))
    }
    for progress in QuestionProgress.objects.select_related("question"):
        count = stored.pop((progress.student_id, progress.question_id), 0)
        assert progress.attempts_used == count, (progress.question.key, progress.attempts_used)
        assert count <= progress.question.max_attempts, progress.question.key
    assert not stored, f"answers without a progress row: {stored}"


def _existing_ids() -> dict[str, list[Any]]:
    """Path parameters that name real objects, so requests reach past the 404."""
    return {
        "question_id": list(Question.objects.order_by("pk").values_list("pk", flat=True)),
        "answer_id": list(Answer.objects.order_by("pk").values_list("pk", flat=True)),
        "lesson_id": list(Lesson.objects.order_by("pk").values_list("pk", flat=True)),
        "slug": [
            *Course.objects.values_list("slug", flat=True),
            *CodingTask.objects.values_list("slug", flat=True),
        ],
        "submission_id": list(Submission.objects.order_by("pk").values_list("pk", flat=True)),
    }


def _strategy(operation: Any, mode: GenerationMode, ids: dict[str, list[Any]]) -> Any:
    """Cases for ``operation`` in ``mode``: with generated path parameters and, for the
    positive mode, with each parameter set to a real object in turn."""
    strategies = [operation.as_strategy(generation_mode=mode)]
    names = [param.name for param in operation.path_parameters]
    if mode is GenerationMode.POSITIVE and names:
        for value in ids[names[0]]:
            strategies.append(
                operation.as_strategy(generation_mode=mode, path_parameters={names[0]: value})
            )
    return st.one_of(strategies)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_api_conforms_to_its_schema_and_never_fails(
    api_schema: Any, student_token: str, mode: GenerationMode
) -> None:
    ids = _existing_ids()
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 9, [op.label for op in operations]
    headers = {"Authorization": f"Token {student_token}"}
    for operation in operations:

        @given(case=_strategy(operation, mode, ids))
        @settings(
            max_examples=MAX_EXAMPLES,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Any) -> None:
            case.call_and_validate(headers=headers, excluded_checks=EXCLUDED_CHECKS)
            assert_answers_consistent()

        try:
            check()
        except Unsatisfiable:
            # No invalid request exists for GET /api/v1/me/progress/, /api/v1/memberships/
            # and /api/v1/tasks/ (no input at all) or GET /api/v1/courses/{slug}/ and
            # /api/v1/tasks/{slug}/ (schemathesis sends no path parameter that would change
            # the URL); every other operation must get its examples.
            if mode is GenerationMode.NEGATIVE and operation.label in NO_NEGATIVE_CASES:
                continue
            raise Unsatisfiable(f"no examples for {operation.label} ({mode.value})") from None
        except Exception as exc:
            exc.add_note(f"operation: {operation.label} ({mode.value})")
            raise
