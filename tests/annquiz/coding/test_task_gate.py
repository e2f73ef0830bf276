"""A task whose rules give a lesson checkpoint's answer away opens once that answer is earned.

small-data allows at most 7 parameters (one sigmoid unit: logistic regression, the answer to
``checkpoint-500-samples``). Until the student has solved that checkpoint or used all its
attempts (the rule that reveals its model answer), the task's page, list entry and API show
its title and summary only, and every way of submitting or checking a network is refused with
409 naming the checkpoint, using no attempt. Instructors of the course and staff see it open.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from annquiz.coding.catalog import CatalogError, load_task_folder
from annquiz.coding.catalog_sync import task_catalog_load
from annquiz.coding.models import CodingTask, Submission
from annquiz.courses import services as course_services
from annquiz.courses.models import Question
from annquiz.enrolment.models import Membership, Offering, Role
from tests.annquiz.coding.conftest import CATALOG, catalog_task, store_task
from tests.annquiz.courses.factories import CourseFactory, default_offering
from tests.factories import InstructorFactory, StudentFactory

pytestmark = [pytest.mark.django_db, pytest.mark.explicit_enrolment]

SLUG = "small-data"
CHECKPOINT = "checkpoint-500-samples"
LESSON = "ann-vs-traditional-algorithms"
# What only the task's statement, rules and starter say: the answer, in other words.
RULES_TEXTS = ("7 parameters", "Dense(1", "params_at_most", "How it is graded", "data-editor")


@pytest.fixture
def task() -> CodingTask:
    return store_task(SLUG)


@pytest.fixture
def question(task: CodingTask) -> Question:
    return Question.objects.get(course=task.course, key=CHECKPOINT)


@pytest.fixture
def offering(task: CodingTask) -> Offering:
    assert task.course is not None
    return default_offering(task.course)


def member(offering: Offering, role: Role, **kwargs: Any) -> User:
    user = StudentFactory.create(**kwargs)
    Membership.objects.create(user=user, offering=offering, role=role)
    return user


@pytest.fixture
def student(offering: Offering) -> User:
    return member(offering, Role.STUDENT, username="alice")


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def answer(student: User, question: Question, choice: str) -> None:
    """An answer through the courses' own service (the question's correct choice is "b")."""
    course_services.answer_submit(student=student, question=question, response={"choice": choice})


def submit(client: Client, source: str) -> Any:
    url = reverse("api:task-submissions", args=[SLUG])
    return client.post(url, json.dumps({"keras": source}), content_type="application/json")


def reference() -> str:
    return catalog_task(SLUG).reference_source


def assert_locked(client: Client, task: CodingTask) -> None:
    page = client.get(reverse("coding:task", args=[SLUG]))
    assert page.status_code == 200
    html = page.content.decode()
    assert task.title in html and task.summary in html
    assert "This task opens once you have answered the checkpoint" in html
    lesson_url = reverse("courses:lesson", args=[task.course.slug, LESSON])  # type: ignore[union-attr]
    assert f'href="{lesson_url}#question-{CHECKPOINT}"' in html
    for text in RULES_TEXTS:
        assert text not in html, text
    assert task.starter_source.strip().splitlines()[-1] not in html

    listed = client.get(reverse("coding:tasks")).content.decode()
    assert task.title in listed and f"#question-{CHECKPOINT}" in listed and "Locked" in listed

    [entry] = [t for t in client.get("/api/v1/tasks/").json() if t["slug"] == SLUG]
    assert entry["locked"] is True and entry["lock"]["checkpoint"] == CHECKPOINT

    detail = client.get(f"/api/v1/tasks/{SLUG}/").json()
    assert detail["locked"] is True
    assert detail["lock"]["checkpoint"] == CHECKPOINT
    assert CHECKPOINT in detail["lock"]["reason"]
    assert detail["lock"]["url"] == f"{lesson_url}#question-{CHECKPOINT}"
    for hidden in ("statement_html", "rules", "starter", "dataset", "validate_url"):
        assert hidden not in detail, hidden
    for text in RULES_TEXTS:
        assert text not in json.dumps(detail), text


def assert_refused(client: Client) -> None:
    before = Submission.objects.count()
    refused = submit(client, reference())
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["field"] == "task" and CHECKPOINT in error["message"]
    body = json.dumps({"keras": reference()})
    validate = client.post(f"/api/v1/tasks/{SLUG}/validate/", body, content_type="application/json")
    assert validate.status_code == 409 and CHECKPOINT in validate.json()["error"]["message"]
    diagram = client.post(
        reverse("coding:diagram", args=[SLUG]), body, content_type="application/json"
    )
    assert diagram.status_code == 409 and diagram.content == b""
    compare = client.get(reverse("coding:compare", args=[SLUG]), {"id": [1, 2]})
    assert compare.status_code == 409 and CHECKPOINT in compare.content.decode()
    for text in RULES_TEXTS:
        assert text not in compare.content.decode(), text
    assert Submission.objects.count() == before


def assert_open(client: Client) -> None:
    page = client.get(reverse("coding:task", args=[SLUG])).content.decode()
    assert "data-editor" in page and "How it is graded" in page
    assert "This task opens once" not in page
    detail = client.get(f"/api/v1/tasks/{SLUG}/").json()
    assert detail["locked"] is False and detail["lock"] is None
    assert detail["rules"]["checks"][0]["kind"] == "params_at_most"
    assert detail["starter"]["source"]


def test_a_student_who_has_not_answered_the_checkpoint_finds_the_task_locked(
    task: CodingTask, student: User
) -> None:
    client = logged_in(student)
    assert_locked(client, task)
    assert_refused(client)


def test_the_page_form_posting_with_the_session_and_csrf_token_is_refused_too(
    task: CodingTask, student: User
) -> None:
    """The page's editor submits to the API with the session and its CSRF token."""
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(student)
    token = strict.get(reverse("coding:tasks")).cookies["csrftoken"].value
    response = strict.post(
        reverse("api:task-submissions", args=[SLUG]),
        json.dumps({"keras": reference()}),
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 409, response.content
    assert CHECKPOINT in response.json()["error"]["message"]
    assert not Submission.objects.exists()


def test_a_wrong_answer_with_attempts_left_keeps_it_locked(
    task: CodingTask, question: Question, student: User
) -> None:
    answer(student, question, "a")
    client = logged_in(student)
    assert_locked(client, task)
    assert_refused(client)


def test_solving_the_checkpoint_opens_the_task(
    task: CodingTask, question: Question, student: User
) -> None:
    answer(student, question, "a")
    answer(student, question, "b")
    client = logged_in(student)
    assert_open(client)
    listed = client.get("/api/v1/tasks/").json()
    assert [t["locked"] for t in listed if t["slug"] == SLUG] == [False]
    assert submit(client, reference()).status_code == 202
    assert Submission.objects.filter(student=student, task=task).count() == 1


def test_using_every_attempt_at_the_checkpoint_opens_the_task(
    task: CodingTask, question: Question, student: User
) -> None:
    for _ in range(question.max_attempts):
        answer(student, question, "a")
    client = logged_in(student)
    assert_open(client)
    assert submit(client, reference()).status_code == 202


def test_the_courses_instructor_and_staff_find_it_open(
    task: CodingTask, offering: Offering, student: User
) -> None:
    instructor = member(offering, Role.INSTRUCTOR)
    assert_open(logged_in(instructor))
    staff = InstructorFactory.create()
    assert staff.is_staff
    assert_open(logged_in(staff))
    # and the student still does not
    assert_locked(logged_in(student), task)


def test_only_gated_tasks_are_locked(offering: Offering, student: User) -> None:
    store_task("handout-keras")
    detail = logged_in(student).get("/api/v1/tasks/handout-keras/").json()
    assert detail["locked"] is False and detail["statement_html"]


# --------------------------------------------------------------------------- the catalog


def test_a_key_that_is_no_question_of_the_course_is_refused_naming_task_and_key() -> None:
    CourseFactory.create(slug="ann-handout")
    bad = dataclasses.replace(catalog_task(SLUG), opens_after="checkpoint-nowhere")
    with pytest.raises(CatalogError) as error:
        task_catalog_load(catalog=[bad])
    message = str(error.value)
    assert message.startswith(f"{SLUG}/task.md: opens_after:")
    assert "'checkpoint-nowhere'" in message and "'ann-handout'" in message
    assert not CodingTask.objects.exists()


def test_a_gated_task_needs_its_course_loaded() -> None:
    with pytest.raises(CatalogError, match=r"opens_after: .*'checkpoint-500-samples'.*load_course"):
        task_catalog_load(catalog=[catalog_task(SLUG)])
    assert not CodingTask.objects.exists()


def test_load_tasks_reports_the_bad_key(tmp_path: Path) -> None:
    CourseFactory.create(slug="ann-handout")
    shutil.copytree(CATALOG / SLUG, tmp_path / SLUG)
    task_md = tmp_path / SLUG / "task.md"
    task_md.write_text(
        task_md.read_text().replace(f"opens_after: {CHECKPOINT}", "opens_after: nope")
    )
    with pytest.raises(CommandError, match=f"{SLUG}/task.md: opens_after: .*'nope'"):
        call_command("load_tasks", str(tmp_path))
    assert not CodingTask.objects.exists()


def test_a_key_that_is_not_a_question_key_is_refused_when_the_folder_is_read(
    tmp_path: Path,
) -> None:
    shutil.copytree(CATALOG / SLUG, tmp_path / SLUG)
    task_md = tmp_path / SLUG / "task.md"
    task_md.write_text(
        task_md.read_text().replace(f"opens_after: {CHECKPOINT}", "opens_after: [a, b]")
    )
    with pytest.raises(CatalogError, match=r"task.md: opens_after: must be the key of a question"):
        load_task_folder(tmp_path / SLUG)


def test_the_catalog_gates_the_two_tasks_whose_rules_answer_a_checkpoint() -> None:
    gated = {
        slug: catalog_task(slug).opens_after
        for slug in (p.name for p in CATALOG.iterdir() if (p / "task.md").is_file())
    }
    assert {slug: key for slug, key in gated.items() if key} == {
        "stock-forecast": "checkpoint-stock-prices",
        "small-data": CHECKPOINT,
    }
