"""Enrolment for the tests that are not about it (a pytest plugin of tests/conftest.py).

Reading a course needs a membership (docs/courses.md). Most tests are about something else
(grading, judging, pages), so in them every non-staff user is a student of every offering:
the autouse fixture enrols each user and each offering as they are created, the same
world as before offerings existed. Tests of who may see what opt out with
``@pytest.mark.explicit_enrolment`` and enrol users themselves. Production code never
enrols anyone implicitly: this lives in the tests only.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db.models.signals import post_save

from annquiz.enrolment.models import Membership, Offering, Role


def _enrol_new_user(sender: Any, instance: User, created: bool, **kwargs: Any) -> None:
    if created and not (instance.is_staff or instance.is_superuser):
        Membership.objects.bulk_create(
            [
                Membership(user=instance, offering=offering, role=Role.STUDENT)
                for offering in Offering.objects.all()
            ],
            ignore_conflicts=True,
        )


def _enrol_everyone(sender: Any, instance: Offering, created: bool, **kwargs: Any) -> None:
    if created:
        Membership.objects.bulk_create(
            [
                Membership(user=user, offering=instance, role=Role.STUDENT)
                for user in User.objects.filter(is_staff=False, is_superuser=False)
            ],
            ignore_conflicts=True,
        )


@pytest.fixture(autouse=True)
def _everyone_enrolled(request: pytest.FixtureRequest) -> Iterator[None]:
    if request.node.get_closest_marker("explicit_enrolment") is not None:
        yield
        return
    post_save.connect(_enrol_new_user, sender=User, dispatch_uid="tests-enrol-user")
    post_save.connect(_enrol_everyone, sender=Offering, dispatch_uid="tests-enrol-offering")
    try:
        yield
    finally:
        post_save.disconnect(sender=User, dispatch_uid="tests-enrol-user")
        post_save.disconnect(sender=Offering, dispatch_uid="tests-enrol-offering")
