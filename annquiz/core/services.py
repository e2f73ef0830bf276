"""Writes of the service shell: the demo accounts that `manage.py serve` creates."""

from __future__ import annotations

import os
from dataclasses import dataclass

from django.contrib.auth.models import Group, Permission, User
from django.db import transaction

from annquiz.core.roles import INSTRUCTORS_GROUP

DEMO_PASSWORD_ENV = "ANNQUIZ_DEMO_PASSWORD"  # nosec B105  # a variable's name
# Bandit B105 (hard-coded password): the demo accounts' documented password (README), which
# production never uses.
DEFAULT_DEMO_PASSWORD = "annquiz-demo"  # nosec B105
DEMO_INSTRUCTOR = "instructor"
DEMO_STUDENT = "student"
# Instructors manage the course content in the admin.
INSTRUCTOR_APP_LABELS = ("courses", "coding", "enrolment")


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    role: str


def demo_password() -> str:
    """The demo users' password: ``ANNQUIZ_DEMO_PASSWORD`` or the documented default."""
    password = os.environ.get(DEMO_PASSWORD_ENV, "")
    return password if password else DEFAULT_DEMO_PASSWORD


def instructors_group_ensure() -> Group:
    """The "instructors" group, holding every permission of the course apps."""
    group, _ = Group.objects.get_or_create(name=INSTRUCTORS_GROUP)
    permissions = Permission.objects.filter(content_type__app_label__in=INSTRUCTOR_APP_LABELS)
    group.permissions.add(*permissions)
    return group


@transaction.atomic
def demo_users_ensure(*, password: str) -> list[DemoUser]:
    """Create or update the demo instructor and demo student; safe to run any number of times.

    Neither is staff: the instructor is in the "instructors" group and teaches the default
    courses as their instructor (``enrolment.services.demo_users_enrol``), so it sees what
    an instructor sees, not everything staff see; the student is a plain user. Both get
    ``password``; a demo account changed since is put back (staff rights included).
    """
    if not password:
        raise ValueError("the demo password must not be empty")
    group = instructors_group_ensure()
    instructor = _user_ensure(username=DEMO_INSTRUCTOR, password=password, is_staff=False)
    instructor.groups.add(group)
    _user_ensure(username=DEMO_STUDENT, password=password, is_staff=False)
    return [
        DemoUser(username=DEMO_INSTRUCTOR, password=password, role="instructor"),
        DemoUser(username=DEMO_STUDENT, password=password, role="student"),
    ]


def _user_ensure(*, username: str, password: str, is_staff: bool) -> User:
    user, created = User.objects.get_or_create(username=username)
    changed: list[str] = []
    if created or not user.check_password(password):
        user.set_password(password)
        changed.append("password")
    if user.is_staff != is_staff:
        user.is_staff = is_staff
        changed.append("is_staff")
    if not user.is_active:
        user.is_active = True
        changed.append("is_active")
    if changed:
        user.save(update_fields=changed)
    return user
