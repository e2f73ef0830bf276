"""The coding-task API: submit (202), read back, refusals with the field named, who sees what."""

from __future__ import annotations

import io
import json
from typing import TYPE_CHECKING, Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from rest_framework.test import APIClient

from annquiz.coding import judging, submitting
from annquiz.coding.models import CodingTask, Submission
from annquiz.coding.statuses import Status
from tests.annquiz.coding.conftest import another_try, store_task
from tests.factories import InstructorFactory, StudentFactory
from training.spec import spec_to_dict

if TYPE_CHECKING:
    from pytest_django.fixtures import Settings

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice() -> User:
    return StudentFactory.create(username="alice")


@pytest.fixture
def bob() -> User:
    return StudentFactory.create(username="bob")


def client_for(user: User | None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def post_submission(client: APIClient, body: Any, *, key: str | None = None) -> Any:
    return client.post(
        "/api/v1/tasks/handout-keras/submissions/",
        json.dumps(body),
        content_type="application/json",
        headers={"Idempotency-Key": key} if key else {},
    )


def test_posting_the_handout_snippet_returns_202_with_the_submissions_url(
    alice: User, handout_task: CodingTask, reference: str
) -> None:
    response = post_submission(client_for(alice), {"keras": reference})
    assert response.status_code == 202, response.content
    body = response.json()
    assert response["Location"] == body["url"] == f"/api/v1/submissions/{body['id']}/"
    assert body["status"] == "queued"
    assert body["queue_position"] == 1
    assert body["architecture"]["total_params"] == 289
    assert body["counts_as_attempt"] is True
    assert body["page_url"] == f"/tasks/handout-keras/submissions/{body['id']}/"


def test_posting_a_json_spec_is_accepted_and_stored_as_canonical_json(
    alice: User, handout_task: CodingTask, reference: str
) -> None:
    spec = submitting.submission_spec_parse(
        task=handout_task, source_kind="keras", source=reference
    )

    response = post_submission(client_for(alice), {"spec": spec_to_dict(spec)})
    assert response.status_code == 202, response.content
    submission = Submission.objects.get()
    assert submission.source_kind == "json"
    assert json.loads(submission.source) == spec_to_dict(spec)


def test_the_graded_submission_reads_back_with_checks_curves_and_diagnostics(
    alice: User, handout_task: CodingTask, reference: str
) -> None:
    client = client_for(alice)
    url = post_submission(client, {"keras": reference}).json()["url"]
    submission = Submission.objects.get()
    judging.submission_judge(submission_id=submission.pk)
    body = client.get(url).json()
    assert body["status"] == "passed" and body["finished"] is True
    assert body["queue_position"] is None
    result = body["result"]
    assert result["verdict"] == "passed"
    assert all(
        {"measured", "threshold", "message", "section_url"} <= set(c) for c in result["checks"]
    )
    assert result["diagnostics"]
    shown = result["seeds"][result["representative"]]
    assert len(shown["history"]["loss"]) == len(shown["history"]["val_loss"]) == 50


@pytest.mark.parametrize(
    ("body", "field", "named"),
    [
        ({"keras": "import subprocess"}, "keras", "line 1"),
        ({"spec": {"layers": [{"type": "dense", "units": 0}]}}, "spec", "units"),
        ({"spec": [1, 2]}, "spec", "JSON object"),
        ({}, "spec", "exactly one"),
        ({"spec": {}, "keras": "x"}, "spec", "exactly one"),
    ],
)
def test_a_bad_submission_is_a_400_naming_the_field_and_nothing_is_stored(
    alice: User, handout_task: CodingTask, body: Any, field: str, named: str
) -> None:
    response = post_submission(client_for(alice), body)
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["field"] == field
    assert named in error["message"]
    assert not Submission.objects.exists()


UNKNOWN_FIELDS = [
    ({"keras": "REFERENCE", "extra": 1}, "extra"),
    ({"spec": {}, "extra": 1}, "extra"),
    ({"keras": "REFERENCE", "zeta": None, "alpha": [1]}, "alpha"),
    ({"keras": "REFERENCE", "Spec": {}}, "Spec"),
    ({"extra": 1}, "extra"),
]


@pytest.mark.parametrize("endpoint", ["submissions", "validate"])
@pytest.mark.parametrize(("body", "field"), UNKNOWN_FIELDS)
def test_an_unknown_field_is_a_400_naming_it_and_nothing_is_stored(
    alice: User, handout_task: CodingTask, reference: str, endpoint: str, body: Any, field: str
) -> None:
    body = {name: reference if value == "REFERENCE" else value for name, value in body.items()}
    response = client_for(alice).post(
        f"/api/v1/tasks/handout-keras/{endpoint}/",
        json.dumps(body),
        content_type="application/json",
    )
    assert response.status_code == 400, response.content
    assert response.json() == {
        "error": {
            "field": field,
            "message": f"unknown field {field!r}: the body may only have 'spec' and 'keras'",
        }
    }
    assert not Submission.objects.exists()


def test_the_schema_says_a_submission_body_has_no_other_fields(db: None) -> None:
    schema = APIClient().get("/api/schema/?format=json").json()
    submission_input = schema["components"]["schemas"]["SubmissionInput"]
    assert submission_input["additionalProperties"] is False
    assert set(submission_input["properties"]) == {"spec", "keras"}


def test_a_body_that_is_not_json_is_a_415(alice: User, handout_task: CodingTask) -> None:
    response = client_for(alice).post(
        "/api/v1/tasks/handout-keras/submissions/", "spec=1", content_type="text/plain"
    )
    assert response.status_code == 415
    assert not Submission.objects.exists()


def test_an_unknown_task_is_a_404(alice: User, db: None) -> None:
    response = client_for(alice).post(
        "/api/v1/tasks/no-such-task/submissions/", {"keras": "x"}, format="json"
    )
    assert response.status_code == 404
    assert "no-such-task" in response.json()["error"]["message"]


def test_a_closed_task_is_a_400_naming_the_task(
    alice: User, handout_task: CodingTask, reference: str
) -> None:
    CodingTask.objects.filter(pk=handout_task.pk).update(is_open=False)
    response = post_submission(client_for(alice), {"keras": reference})
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "task"


def test_too_many_submissions_are_a_429_with_retry_after(
    alice: User, handout_task: CodingTask, reference: str, settings: Settings
) -> None:
    settings.ANNQUIZ_SUBMISSION_RATE_LIMIT = 1
    client = client_for(alice)
    assert post_submission(client, {"keras": reference}).status_code == 202
    response = post_submission(client, {"keras": another_try(reference, 2)})
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    assert Submission.objects.count() == 1


def test_no_attempts_left_is_a_409(alice: User, handout_task: CodingTask, reference: str) -> None:
    CodingTask.objects.filter(pk=handout_task.pk).update(max_attempts=1)
    client = client_for(alice)
    assert post_submission(client, {"keras": reference}).status_code == 202
    response = post_submission(client, {"keras": another_try(reference, 2)})
    assert response.status_code == 409


def test_the_same_network_again_is_a_200_with_the_earlier_submission(
    alice: User, handout_task: CodingTask, reference: str
) -> None:
    client = client_for(alice)
    first = post_submission(client, {"keras": reference})
    Submission.objects.filter(pk=first.json()["id"]).update(status=Status.PASSED)
    again = post_submission(client, {"keras": reference})
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again["Location"] == first["Location"]
    assert "Idempotent-Replayed" not in again
    assert Submission.objects.count() == 1


def test_a_retried_post_with_the_same_idempotency_key_returns_the_first_submission(
    alice: User, handout_task: CodingTask, reference: str
) -> None:
    client = client_for(alice)
    first = post_submission(client, {"keras": reference}, key="retry-1")
    again = post_submission(client, {"keras": reference}, key="retry-1")
    assert first.status_code == again.status_code == 202
    assert again.json()["id"] == first.json()["id"]
    assert again["Idempotent-Replayed"] == "true"
    assert Submission.objects.count() == 1
    other = post_submission(client, {"keras": reference.replace("50", "40")}, key="retry-1")
    assert other.status_code == 409
    assert other.json()["error"]["field"] == "Idempotency-Key"


def test_validate_returns_the_diagram_or_the_error_and_stores_nothing(
    alice: User, handout_task: CodingTask, reference: str
) -> None:
    client = client_for(alice)
    ok = client.post("/api/v1/tasks/handout-keras/validate/", {"keras": reference}, format="json")
    assert ok.status_code == 200
    assert [layer["params"] for layer in ok.json()["architecture"]["layers"]] == [144, 136, 9]
    bad = client.post(
        "/api/v1/tasks/handout-keras/validate/",
        {"keras": reference.replace("Dense(16", "Dense(-16")},
        format="json",
    )
    assert bad.status_code == 400
    assert "line" in bad.json()["error"]["message"]
    assert not Submission.objects.exists()


def test_a_refused_import_is_explained_in_a_whole_sentence(
    alice: User, handout_task: CodingTask, reference: str
) -> None:
    response = client_for(alice).post(
        "/api/v1/tasks/handout-keras/validate/", {"keras": "import os\n" + reference}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "line 1: import os is not allowed: only tensorflow/keras imports are allowed"
    )


def test_task_list_and_detail_show_attempts_and_rules_but_no_solutions(
    alice: User, handout_task: CodingTask
) -> None:
    client = client_for(alice)
    listed = client.get("/api/v1/tasks/").json()
    assert [task["slug"] for task in listed] == ["handout-keras"]
    assert listed[0]["attempts_used"] == 0
    detail = client.get("/api/v1/tasks/handout-keras/")
    assert detail.status_code == 200
    body = detail.json()
    assert body["dataset"]["rows"]["train"] > 0
    assert body["rules"]["seeds"] >= 1 and body["rules"]["checks"]
    assert f"of {body['rules']['seeds']} training seeds" in body["rules"]["pass_rule"]
    text = json.dumps(body)
    assert handout_task.broken_source not in text
    assert "reference" not in body


# --------------------------------------------------------------------------- who sees what


@pytest.fixture
def alices_submission(alice: User, handout_task: CodingTask, reference: str) -> Submission:
    return submitting.submission_create(
        student=alice, task=handout_task, source_kind="keras", source=reference
    ).submission


def test_the_owner_reads_her_submission(alice: User, alices_submission: Submission) -> None:
    response = client_for(alice).get(f"/api/v1/submissions/{alices_submission.pk}/")
    assert response.status_code == 200
    assert response.json()["source_text"] == alices_submission.source


def test_another_student_cannot_read_it_nor_learn_that_it_exists(
    bob: User, alices_submission: Submission
) -> None:
    response = client_for(bob).get(f"/api/v1/submissions/{alices_submission.pk}/")
    assert response.status_code == 404
    missing = client_for(bob).get(f"/api/v1/submissions/{alices_submission.pk + 1000}/")
    assert missing.status_code == 404
    listed = client_for(bob).get("/api/v1/tasks/handout-keras/submissions/").json()
    assert listed["results"] == []


def test_an_outsider_is_refused_everything(alices_submission: Submission) -> None:
    outsider = client_for(None)
    assert outsider.get(f"/api/v1/submissions/{alices_submission.pk}/").status_code in (401, 403)
    assert outsider.get("/api/v1/tasks/").status_code in (401, 403)
    response = post_submission(outsider, {"keras": alices_submission.source})
    assert response.status_code in (401, 403)
    assert Submission.objects.count() == 1


def test_an_instructor_reads_any_students_submission(alices_submission: Submission) -> None:
    instructor = InstructorFactory.create(username="carol")
    response = client_for(instructor).get(f"/api/v1/submissions/{alices_submission.pk}/")
    assert response.status_code == 200


def test_a_service_failure_says_it_does_not_use_an_attempt(
    alice: User, alices_submission: Submission
) -> None:
    Submission.objects.filter(pk=alices_submission.pk).update(
        status=Status.TIMED_OUT, message="Grading ran past its time budget."
    )
    body = client_for(alice).get(f"/api/v1/submissions/{alices_submission.pk}/").json()
    assert body["status"] == "timed_out"
    assert body["counts_as_attempt"] is False
    assert body["finished"] is True


def test_each_check_links_the_handout_section_by_its_heading(alice: User) -> None:
    call_command("load_course", stdout=io.StringIO())
    store_task("handout-keras")
    rules = client_for(alice).get("/api/v1/tasks/handout-keras/").json()["rules"]
    accuracy = rules["checks"][0]
    assert accuracy["section_url"] == (
        "/courses/ann-handout/lessons/code-example-using-keras/#a-basic-ann-in-keras"
    )
    assert accuracy["section_title"] == "A basic ANN in Keras (Code example using Keras)"


def test_listing_submissions_costs_the_same_queries_for_one_or_many(
    alice: User, handout_task: CodingTask, reference: str, django_assert_max_num_queries: Any
) -> None:
    call_command("load_course", stdout=io.StringIO())
    handout_task = store_task("handout-keras")
    client = client_for(alice)
    first = submitting.submission_create(
        student=alice, task=handout_task, source_kind="keras", source=reference
    ).submission
    judging.submission_judge(submission_id=first.pk)
    first.refresh_from_db()
    with django_assert_max_num_queries(12) as one:
        assert client.get("/api/v1/tasks/handout-keras/submissions/").status_code == 200
    for _ in range(6):
        copy = submitting.submission_create(
            student=alice, task=handout_task, source_kind="keras", source=reference
        ).submission
        Submission.objects.filter(pk=copy.pk).update(status=first.status, result=first.result)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert client.get("/api/v1/tasks/handout-keras/submissions/").status_code == 200


def test_too_many_active_submissions_are_a_429_with_retry_after_and_a_clear_message(
    alice: User, bob: User, handout_task: CodingTask, reference: str, settings: Settings
) -> None:
    settings.ANNQUIZ_MAX_ACTIVE_SUBMISSIONS_PER_STUDENT = 1
    client = client_for(alice)
    assert post_submission(client, {"keras": reference}).status_code == 202
    response = post_submission(client, {"keras": another_try(reference, 2)})
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    error = response.json()["error"]
    assert "still waiting for or in grading" in error["message"]
    assert "at most 1 may be at once" in error["message"]
    # Another student is not held up by alice's.
    assert post_submission(client_for(bob), {"keras": reference}).status_code == 202
