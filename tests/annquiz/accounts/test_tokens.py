"""API tokens expire (ANNQUIZ_TOKEN_TTL_HOURS) and are revoked whenever the password changes."""

from __future__ import annotations

import getpass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from annquiz.accounts.tokens import token_issue
from tests.factories import DEFAULT_PASSWORD, StudentFactory, UserFactory

if TYPE_CHECKING:
    from pytest_django.fixtures import Settings

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
SOME_ENDPOINT = "/api/v1/courses/"
NEW_PASSWORD = "a-brand-new-passphrase-77"


def obtain(username: str, password: str = DEFAULT_PASSWORD) -> dict[str, str]:
    response = APIClient().post(
        TOKEN_URL, {"username": username, "password": password}, format="json"
    )
    assert response.status_code == 200, response.content
    body: dict[str, str] = response.json()
    return body


def call_with(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def age_token(key: str, by: timedelta) -> None:
    Token.objects.filter(key=key).update(created=timezone.now() - by)


def test_the_token_response_says_when_the_token_expires(settings: Settings) -> None:
    settings.ANNQUIZ_TOKEN_TTL_HOURS = 48
    student = StudentFactory.create()

    body = obtain(student.username)

    token = Token.objects.get(user=student)
    assert body["token"] == token.key
    assert datetime.fromisoformat(body["expires"]) == token.created + timedelta(hours=48)


def test_the_default_lifetime_is_thirty_days() -> None:
    from django.conf import settings

    assert settings.ANNQUIZ_TOKEN_TTL_HOURS == 30 * 24


def test_a_token_works_until_its_lifetime_is_over(settings: Settings) -> None:
    settings.ANNQUIZ_TOKEN_TTL_HOURS = 2
    student = StudentFactory.create()
    key = obtain(student.username)["token"]

    age_token(key, timedelta(hours=1, minutes=59))
    assert call_with(key).get(SOME_ENDPOINT).status_code == 200

    age_token(key, timedelta(hours=2, seconds=1))
    refused = call_with(key).get(SOME_ENDPOINT)

    assert refused.status_code == 401
    assert refused["WWW-Authenticate"] == "Token"
    error = refused.json()["error"]
    assert error["field"] is None
    assert "the token expired at" in error["message"]
    assert TOKEN_URL in error["message"]
    assert "for a new one" in error["message"]


def test_asking_again_while_the_token_is_valid_gives_the_same_token_and_expiry() -> None:
    student = StudentFactory.create()
    first = obtain(student.username)
    age_token(first["token"], timedelta(days=3))

    second = obtain(student.username)

    assert second["token"] == first["token"]
    assert datetime.fromisoformat(second["expires"]) == Token.objects.get(
        user=student
    ).created + timedelta(days=30)


def test_asking_after_expiry_gives_a_new_token_and_the_old_one_stays_refused() -> None:
    student = StudentFactory.create()
    old = obtain(student.username)["token"]
    age_token(old, timedelta(days=31))

    new = obtain(student.username)

    assert new["token"] != old
    assert datetime.fromisoformat(new["expires"]) > timezone.now() + timedelta(days=29)
    assert call_with(new["token"]).get(SOME_ENDPOINT).status_code == 200
    refused = call_with(old).get(SOME_ENDPOINT)
    assert refused.status_code == 401
    assert refused.json()["error"]["message"] == "Invalid token."
    assert Token.objects.filter(user=student).count() == 1


def test_an_expired_token_is_replaced_even_when_issued_from_code() -> None:
    student = StudentFactory.create()
    old = token_issue(user=student)
    age_token(old.key, timedelta(days=30))

    new = token_issue(user=student)

    assert new.key != old.key
    assert not Token.objects.filter(key=old.key).exists()


# --- revocation when the password changes ----------------------------------------------------


@pytest.fixture
def student_with_tokens() -> tuple[User, str, str]:
    """A student with a token, and another student's token that must survive."""
    student: User = StudentFactory.create()
    other: User = StudentFactory.create()
    return student, obtain(student.username)["token"], obtain(other.username)["token"]


def assert_revoked(student: User, key: str, others_key: str) -> None:
    assert not Token.objects.filter(user=student).exists()
    assert call_with(key).get(SOME_ENDPOINT).status_code == 401
    assert call_with(others_key).get(SOME_ENDPOINT).status_code == 200


def test_changing_the_password_on_the_password_page_revokes_the_tokens(
    student_with_tokens: tuple[User, str, str],
) -> None:
    student, key, others_key = student_with_tokens
    client = Client()
    client.force_login(student)

    response = client.post(
        reverse("password_change"),
        {
            "old_password": DEFAULT_PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("password_change_done")
    assert_revoked(student, key, others_key)
    done = client.get(reverse("password_change_done"))  # this browser stays logged in
    assert done.status_code == 200
    assert "Every API token of your account is revoked" in done.content.decode()


def test_a_wrong_old_password_changes_nothing_and_keeps_the_tokens(
    student_with_tokens: tuple[User, str, str],
) -> None:
    student, key, _ = student_with_tokens
    client = Client()
    client.force_login(student)

    response = client.post(
        reverse("password_change"),
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 200
    assert "old_password" in response.context["form"].errors
    assert call_with(key).get(SOME_ENDPOINT).status_code == 200


def test_the_password_page_needs_a_login_and_says_what_a_change_revokes() -> None:
    assert Client().get(reverse("password_change")).status_code == 302
    client = Client()
    client.force_login(StudentFactory.create())
    html = client.get(reverse("password_change")).content.decode()
    assert "revokes every API token" in html


def test_an_administrator_changing_the_password_in_the_admin_revokes_the_tokens(
    student_with_tokens: tuple[User, str, str],
) -> None:
    student, key, others_key = student_with_tokens
    admin = UserFactory.create(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin)

    response = client.post(
        reverse("admin:auth_user_password_change", args=[student.pk]),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )

    assert response.status_code == 302, response.content.decode()[-2000:]
    student.refresh_from_db()
    assert student.check_password(NEW_PASSWORD)
    assert_revoked(student, key, others_key)


def test_set_password_and_save_from_code_revokes_the_tokens(
    student_with_tokens: tuple[User, str, str],
) -> None:
    student, key, others_key = student_with_tokens
    user = User.objects.get(pk=student.pk)  # a fresh copy, as a command would load it

    user.set_password(NEW_PASSWORD)
    user.save()

    assert_revoked(student, key, others_key)


def test_manage_py_changepassword_revokes_the_tokens(
    student_with_tokens: tuple[User, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    student, key, others_key = student_with_tokens
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": NEW_PASSWORD)

    call_command("changepassword", student.username)

    assert_revoked(student, key, others_key)


def test_making_the_password_unusable_revokes_the_tokens(
    student_with_tokens: tuple[User, str, str],
) -> None:
    student, key, others_key = student_with_tokens

    student.set_unusable_password()
    student.save(update_fields=["password"])

    assert_revoked(student, key, others_key)


def test_saves_that_leave_the_password_alone_keep_the_tokens(
    student_with_tokens: tuple[User, str, str],
) -> None:
    student, key, _ = student_with_tokens

    student.first_name = "Ada"
    student.save()
    student.save(update_fields=["first_name"])
    Client().post(reverse("login"), {"username": student.username, "password": DEFAULT_PASSWORD})

    assert call_with(key).get(SOME_ENDPOINT).status_code == 200


def test_a_failed_save_revokes_nothing(student_with_tokens: tuple[User, str, str]) -> None:
    from django.db import IntegrityError, transaction

    student, key, _ = student_with_tokens
    taken = StudentFactory.create().username
    student.set_password(NEW_PASSWORD)
    student.username = taken

    with pytest.raises(IntegrityError), transaction.atomic():
        student.save()

    assert call_with(key).get(SOME_ENDPOINT).status_code == 200


# --- logging out ------------------------------------------------------------------------------


def test_logging_out_says_what_it_ends_and_leaves_the_tokens_working() -> None:
    student = StudentFactory.create()
    key = obtain(student.username)["token"]
    client = Client()
    client.force_login(student)

    response = client.post(reverse("logout"), follow=True)

    html = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("login")
    assert "logged out in this browser" in html
    assert "API tokens still work until they expire (30 days after they were issued)" in html
    assert "changing your password revokes every token" in html
    assert call_with(key).get(SOME_ENDPOINT).status_code == 200
