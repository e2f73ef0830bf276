"""Test data factories shared by every app: users, students and instructors."""

from __future__ import annotations

from typing import Any

import factory
from django.contrib.auth.models import Group, User

from annquiz.accounts.roles import INSTRUCTORS_GROUP

DEFAULT_PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    """A user with the password ``DEFAULT_PASSWORD`` (pass ``password=`` to change it)."""

    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")

    @factory.post_generation
    def password(self, create: bool, extracted: str | None, **kwargs: Any) -> None:
        self.set_password(extracted or DEFAULT_PASSWORD)
        if create:
            self.save(update_fields=["password"])


class StudentFactory(UserFactory):
    """A student: a plain signed-up user."""

    username = factory.Sequence(lambda n: f"student{n}")


class InstructorFactory(UserFactory):
    """A member of the "instructors" group, staff so it can use the admin."""

    username = factory.Sequence(lambda n: f"instructor{n}")
    is_staff = True

    @factory.post_generation
    def instructor_group(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            group, _ = Group.objects.get_or_create(name=INSTRUCTORS_GROUP)
            self.groups.add(group)
