"""A course (offering) with a student, a classmate and an instructor; an answer and a coding
submission of the student's to review."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib.auth.models import User

from annquiz.coding.models import Submission
from annquiz.coding.statuses import Status
from annquiz.courses.models import Question
from annquiz.enrolment.models import Membership, Offering, Role
from tests.annquiz.coding.conftest import store_task
from tests.annquiz.courses.factories import (
    CourseFactory,
    LessonFactory,
    QuestionFactory,
    default_offering,
)
from tests.factories import StudentFactory, UserFactory


@dataclass
class Course:
    offering: Offering
    question: Question
    student: User
    classmate: User
    instructor: User


@pytest.fixture
def course() -> Course:
    content = CourseFactory.create(slug="ann-handout")
    offering = default_offering(content)
    question = QuestionFactory.create(lesson=LessonFactory.create(course=content), key="pick")
    people = [StudentFactory.create(), StudentFactory.create(), UserFactory.create()]
    for user, role in zip(people, (Role.STUDENT, Role.STUDENT, Role.INSTRUCTOR), strict=True):
        Membership.objects.get_or_create(user=user, offering=offering, defaults={"role": role})
    return Course(offering, question, *people)


def submission_of(course: Course, status: Status = Status.FAILED) -> Submission:
    task = store_task("handout-keras")
    return Submission.objects.create(
        task=task,
        student=course.student,
        offering=course.offering,
        number=Submission.objects.filter(student=course.student).count() + 1,
        source_kind="keras",
        source=task.starter_source,
        spec={},
        queue=task.queue,
        status=status,
    )
