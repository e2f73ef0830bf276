"""Who edits the shared course content in the admin: superusers and the "instructors" group.

What a user reads (a course, a student's work) is not decided here but by their role in each
course (``annquiz.enrolment.selectors``: ``role_in``, ``may_teach``; docs/courses.md).
"""

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
