from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from annquiz.core.roles import is_instructor
from tests.factories import InstructorFactory, StudentFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_member_of_the_instructors_group_is_an_instructor() -> None:
    assert is_instructor(InstructorFactory.create())


def test_a_student_is_not_an_instructor() -> None:
    assert not is_instructor(StudentFactory.create())


def test_staff_alone_does_not_make_an_instructor() -> None:
    assert not is_instructor(UserFactory.create(is_staff=True))


def test_a_superuser_is_an_instructor() -> None:
    assert is_instructor(UserFactory.create(is_superuser=True))


def test_an_anonymous_visitor_is_not_an_instructor() -> None:
    assert not is_instructor(AnonymousUser())
