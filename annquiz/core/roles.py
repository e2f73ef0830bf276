"""Who may do what: students are every signed-up user, instructors a group."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser, User

INSTRUCTORS_GROUP = "instructors"


def is_instructor(user: AbstractBaseUser | AnonymousUser) -> bool:
    """True for a superuser or a member of the "instructors" group; False for anyone else."""
    if not user.is_authenticated or not isinstance(user, User):
        return False
    if user.is_superuser:
        return True
    return user.groups.filter(name=INSTRUCTORS_GROUP).exists()
