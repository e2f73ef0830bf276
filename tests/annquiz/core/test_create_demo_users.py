from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command

from annquiz.core.roles import INSTRUCTORS_GROUP, is_instructor
from annquiz.core.services import DEFAULT_DEMO_PASSWORD, DEMO_PASSWORD_ENV, demo_users_ensure

pytestmark = pytest.mark.django_db


def run_command() -> str:
    out = StringIO()
    call_command("create_demo_users", stdout=out)
    return out.getvalue()


def test_creates_an_instructor_and_a_student_with_the_default_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(DEMO_PASSWORD_ENV, raising=False)

    output = run_command()

    instructor = User.objects.get(username="instructor")
    student = User.objects.get(username="student")
    assert not instructor.is_staff and is_instructor(instructor)
    assert not student.is_staff and not is_instructor(student)
    assert instructor.check_password(DEFAULT_DEMO_PASSWORD)
    assert student.check_password(DEFAULT_DEMO_PASSWORD)
    assert f"instructor / {DEFAULT_DEMO_PASSWORD}" in output
    assert f"student / {DEFAULT_DEMO_PASSWORD}" in output


def test_running_it_again_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DEMO_PASSWORD_ENV, raising=False)
    run_command()
    before = {u.username: (u.pk, u.password) for u in User.objects.all()}

    run_command()

    after = {u.username: (u.pk, u.password) for u in User.objects.all()}
    assert after == before
    assert User.objects.count() == 2
    assert Group.objects.filter(name=INSTRUCTORS_GROUP).count() == 1
    assert User.objects.get(username="instructor").groups.count() == 1


def test_the_password_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    run_command()
    monkeypatch.setenv(DEMO_PASSWORD_ENV, "a-private-demo-secret")

    output = run_command()

    assert User.objects.get(username="student").check_password("a-private-demo-secret")
    assert User.objects.get(username="instructor").check_password("a-private-demo-secret")
    assert "a-private-demo-secret" in output


def test_a_demo_user_that_was_changed_is_put_back() -> None:
    demo_users_ensure(password="pw-one-two")
    User.objects.filter(username="instructor").update(is_staff=True, is_active=False)
    User.objects.get(username="instructor").groups.clear()

    demo_users_ensure(password="pw-one-two")

    instructor = User.objects.get(username="instructor")
    assert not instructor.is_staff and instructor.is_active and is_instructor(instructor)


def test_an_empty_password_is_refused() -> None:
    with pytest.raises(ValueError, match="must not be empty"):
        demo_users_ensure(password="")
