"""The question edit page: the form and its preview, refusals (400 for a bad field, 422 for a
broken test answer, nothing stored), a good edit stored and shown to students."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from annquiz.courses.authoring.content import content_of
from annquiz.courses.authoring.services import question_base, question_edit
from annquiz.courses.models import Lesson, Question, QuestionVersion
from annquiz.enrolment.models import Membership, Offering, Role
from tests.annquiz.courses.authoring_forms import edit_form_data, rows
from tests.factories import StudentFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.explicit_enrolment]
SLUG = "ann-handout"


@pytest.fixture
def offering() -> Offering:
    call_command("load_course", verbosity=0)
    cache.clear()
    return Offering.objects.get(slug=SLUG)


@pytest.fixture
def instructor(offering: Offering) -> Client:
    user = UserFactory.create()
    Membership.objects.create(user=user, offering=offering, role=Role.INSTRUCTOR)
    client = Client()
    client.force_login(user)
    return client


def _url(key: str) -> str:
    return reverse("dashboards:question-edit", args=[SLUG, key])


def _stored(key: str) -> tuple[object, ...]:
    q = Question.objects.get(key=key)
    return (q.prompt_html, q.hints_html, q.config, q.markdown, q.test_answers, q.edited_on_web_at)


def test_the_page_shows_the_question_in_a_form_beside_its_preview(instructor: Client) -> None:
    response = instructor.get(_url("q2-bias"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "**Q2.** Why do we need a bias?" in body  # the Markdown in the form
    assert 'id="question-q2-bias"' in body  # the student's template in the preview
    assert "<strong>Q2.</strong> Why do we need a bias?" in body
    assert "every offering of its content" in body
    assert 'name="tests-0-text"' in body and 'name="claims-0-subject"' in body
    assert "dashboards/js/question_edit.js" in body


def test_the_statistics_page_links_to_the_edit_page(instructor: Client) -> None:
    response = instructor.get(reverse("dashboards:question", args=[SLUG, "q2-bias"]))
    assert _url("q2-bias") in response.content.decode()


def test_a_preview_shows_the_typed_text_and_stores_nothing(instructor: Client) -> None:
    before = _stored("q2-bias")
    data = {**edit_form_data(Question.objects.get(key="q2-bias")), "action": "preview"}
    data["question-prompt"] = "A *previewed* prompt"
    response = instructor.post(_url("q2-bias"), data)
    assert response.status_code == 200
    assert "A <em>previewed</em> prompt" in response.content.decode()
    assert _stored("q2-bias") == before

    fragment = instructor.post(_url("q2-bias"), data, headers={"X-Preview": "fragment"})
    assert fragment.status_code == 200
    assert "A <em>previewed</em> prompt" in fragment.content.decode()
    assert "<html" not in fragment.content.decode()


def test_a_blank_prompt_is_refused_with_a_400_naming_it(instructor: Client) -> None:
    before = _stored("q2-bias")
    data = {**edit_form_data(Question.objects.get(key="q2-bias")), "action": "save"}
    data["question-prompt"] = "   "
    response = instructor.post(_url("q2-bias"), data)
    assert response.status_code == 400
    body = response.content.decode()
    assert "Prompt: a question needs a prompt" in body
    assert _stored("q2-bias") == before


def test_a_negative_weight_and_a_claim_of_no_concept_are_refused(instructor: Client) -> None:
    data = {**edit_form_data(Question.objects.get(key="q2-bias")), "action": "save"}
    data["concepts-0-weight"] = "-1"
    data["claims-0-owner"] = "no-such-concept"
    response = instructor.post(_url("q2-bias"), data)
    assert response.status_code == 400
    body = response.content.decode()
    assert "Ensure this value is greater than or equal to" in body
    assert "no concept or contradiction above has this key" in body
    assert not QuestionVersion.objects.exists()


def test_a_rubric_that_breaks_a_test_answer_is_refused_with_each_failing_answer(
    instructor: Client,
) -> None:
    before = _stored("q2-bias")
    data = {**edit_form_data(Question.objects.get(key="q2-bias")), "action": "save"}
    for index in range(rows(data, "claims") - 1):  # the last row is the empty new one
        data[f"claims-{index}-polarity"] = "negative"
    response = instructor.post(_url("q2-bias"), data)
    assert response.status_code == 422
    body = response.content.decode()
    assert "did not get the expected verdict with the edited question; nothing was saved" in body
    assert body.count("data-failure") >= 10
    assert "It shifts the output, like an intercept." in body  # a failing answer, shown
    assert _stored("q2-bias") == before
    assert not QuestionVersion.objects.exists()


def test_a_config_the_grader_refuses_is_a_400_naming_its_path(instructor: Client) -> None:
    question = Question.objects.get(key="q6-high-loss")
    data = {**edit_form_data(question), "action": "save"}
    for index in range(rows(data, "choices") - 1):
        data[f"choices-{index}-correct"] = "on"
    response = instructor.post(_url("q6-high-loss"), data)
    assert response.status_code == 400
    assert "config.choices: exactly one choice must be correct" in response.content.decode()
    assert not QuestionVersion.objects.exists()


def test_a_good_edit_is_stored_as_a_version_and_shown_to_students(
    offering: Offering, instructor: Client
) -> None:
    question = Question.objects.get(key="q2-bias")
    data = {**edit_form_data(question), "action": "save"}
    data["question-prompt"] = "**Q2.** What is the bias of a neuron *for*?"
    new_hint = rows(data, "hints") - 1  # the empty row for a new hint
    data[f"hints-{new_hint}-text"] = "Picture the line $y = wx$ and where it must pass."
    new_case = rows(data, "tests") - 1
    data.update(
        {
            f"tests-{new_case}-text": "It shifts the output away from zero, like an intercept.",
            f"tests-{new_case}-expect": "correct",
            f"tests-{new_case}-kind": "terse",
            f"tests-{new_case}-why": "added on the web",
        }
    )
    response = instructor.post(_url("q2-bias"), data)
    assert response.status_code == 302 and response["Location"] == _url("q2-bias")

    question.refresh_from_db()
    assert "What is the bias of a neuron <em>for</em>?" in question.prompt_html
    assert len(question.hints_html) == 3
    assert question.test_answers[-1]["why"] == "added on the web"
    version = QuestionVersion.objects.get(question=question)
    assert version.number == 1 and version.author is not None
    assert version.content["markdown"]["prompt"] == "**Q2.** What is the bias of a neuron *for*?"
    page = instructor.get(_url("q2-bias")).content.decode()
    assert "Saved as version 1" in page and "Version 1 ·" in page

    student: User = StudentFactory.create()
    Membership.objects.create(user=student, offering=offering, role=Role.STUDENT)
    reader = Client()
    reader.force_login(student)
    lesson = Lesson.objects.get(pk=question.lesson_id)
    shown = reader.get(reverse("courses:lesson", args=[SLUG, lesson.slug]))
    assert "What is the bias of a neuron <em>for</em>?" in shown.content.decode()


def test_a_choice_question_edits_its_options(instructor: Client) -> None:
    question = Question.objects.get(key="q6-high-loss")
    data = {**edit_form_data(question), "action": "save"}
    data["choices-0-text"] = "An edited option"
    response = instructor.post(_url("q6-high-loss"), data)
    assert response.status_code == 302
    question.refresh_from_db()
    assert question.config["choices"][0]["text"] == "An edited option"
    assert question.test_answers == []


def test_a_save_over_a_newer_edit_is_a_409_keeping_the_typed_text(instructor: Client) -> None:
    question = Question.objects.get(key="q6-high-loss")
    data = {**edit_form_data(question), "action": "save"}
    data["question-prompt"] = "The stale edit"
    question_edit(question=question, content=content_of(question), author=UserFactory.create())
    question.refresh_from_db()

    response = instructor.post(_url("q6-high-loss"), data)
    assert response.status_code == 409
    body = response.content.decode()
    assert "This question changed since you opened it (last edit: version 1 by" in body
    assert "The stale edit" in body  # the typed text is still in the form
    assert f'value="{question_base(question)}"' in body  # saving again replaces the edit
    assert QuestionVersion.objects.filter(question=question).count() == 1

    data["question-base"] = question_base(question)
    assert instructor.post(_url("q6-high-loss"), data).status_code == 302
    assert QuestionVersion.objects.filter(question=question).count() == 2
