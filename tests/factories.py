"""Test data factories shared by every app: users, students and instructors.

``StudentFactory.create(...)`` is typed to return a ``User`` (``StudentFactory(...)`` works too).
"""

# factory_boy's declarations are untyped.
# mypy: allow-untyped-calls

from __future__ import annotations

from typing import Any

import factory.django
from django.contrib.auth.models import Group, User
from factory.declarations import LazyAttribute, PostGeneration, Sequence

from annquiz.core.roles import INSTRUCTORS_GROUP

DEFAULT_PASSWORD = "correct-horse-battery"


def _set_password(user: User, create: bool, extracted: str | None, **kwargs: Any) -> None:
    user.set_password(extracted or DEFAULT_PASSWORD)
    if create:
        user.save(update_fields=["password"])


def _join_instructors(user: User, create: bool, extracted: Any, **kwargs: Any) -> None:
    if create:
        group, _ = Group.objects.get_or_create(name=INSTRUCTORS_GROUP)
        user.groups.add(group)


class UserFactory(factory.django.DjangoModelFactory[User]):
    """A user with the password ``DEFAULT_PASSWORD`` (pass ``password=`` to change it)."""

    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = Sequence(lambda n: f"user{n}")
    email = LazyAttribute(lambda user: f"{user.username}@example.com")
    password = PostGeneration(_set_password)


class StudentFactory(UserFactory):
    """A student: a plain signed-up user."""

    username = Sequence(lambda n: f"student{n}")


class InstructorFactory(UserFactory):
    """A member of the "instructors" group, staff so it can use the admin."""

    username = Sequence(lambda n: f"instructor{n}")
    is_staff = True
    instructor_group = PostGeneration(_join_instructors)
