"""Admin: question configs are checked by the grading engine; answers are read-only."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from annquiz.courses.admin import QuestionAdminForm
from annquiz.courses.models import Lesson, Question
from tests.annquiz.courses.factories import (
    AnswerFactory,
    LessonFactory,
    QuestionFactory,
    single_choice_config,
)
from tests.factories import InstructorFactory, StudentFactory

pytestmark = pytest.mark.django_db


def form_data(lesson: Lesson, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "lesson": lesson.pk,
        "key": "new-question",
        "kind": "single_choice",
        "prompt_html": "<p>Which?</p>",
        "explanation_html": "",
        "model_answer_html": "",
        "handout_section": "",
        "max_attempts": 3,
        "points": 1.0,
        "order": 1,
        "config": json.dumps(single_choice_config()),
        "is_active": True,
    }
    data.update(changes)
    return data


def test_a_valid_question_is_saved_in_its_lessons_course() -> None:
    lesson = LessonFactory.create()
    form = QuestionAdminForm(data=form_data(lesson))
    assert form.is_valid(), form.errors
    question = form.save()
    assert question.course_id == lesson.course_id


def test_a_config_the_grading_engine_refuses_is_a_form_error_naming_the_path() -> None:
    lesson = LessonFactory.create()
    config = single_choice_config()
    for choice in config["choices"]:
        choice["correct"] = False
    form = QuestionAdminForm(data=form_data(lesson, config=json.dumps(config)))
    assert not form.is_valid()
    assert "config" in form.errors
    assert "config." in form.errors["config"][0]


def test_a_config_of_the_wrong_json_type_is_a_form_error() -> None:
    form = QuestionAdminForm(data=form_data(LessonFactory.create(), config="[1, 2]"))
    assert not form.is_valid()
    assert "JSON object" in form.errors["config"][0]


def test_a_duplicate_key_in_the_course_is_a_form_error_not_a_crash() -> None:
    existing = QuestionFactory.create(key="taken")
    form = QuestionAdminForm(data=form_data(existing.lesson, key="taken"))
    assert not form.is_valid()
    assert "already has a question" in form.errors["key"][0]
    assert Question.objects.filter(key="taken").count() == 1


def test_instructors_can_browse_answers_but_not_change_them() -> None:
    answer = AnswerFactory.create()
    client = Client()
    client.force_login(InstructorFactory.create())
    assert client.get("/admin/courses/answer/").status_code == 200
    detail = client.get(f"/admin/courses/answer/{answer.pk}/change/")
    assert detail.status_code == 200
    assert b'name="_save"' not in detail.content
    assert client.get("/admin/courses/answer/add/").status_code == 403
    assert client.get(f"/admin/courses/question/{answer.question_id}/change/").status_code == 200
    assert (
        client.get(f"/admin/courses/lesson/{answer.question.lesson_id}/change/").status_code == 200
    )


def test_instructors_can_add_questions_and_students_cannot_use_the_admin() -> None:
    instructor = Client()
    instructor.force_login(InstructorFactory.create())
    assert instructor.get("/admin/courses/question/add/").status_code == 200
    assert instructor.get("/admin/courses/course/").status_code == 200
    student = Client()
    student.force_login(StudentFactory.create())
    assert student.get("/admin/courses/question/").status_code == 302  # to the admin login
