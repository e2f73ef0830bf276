"""Wrong passwords at the log-in page and the token endpoint are throttled by django-axes:
per username and per address, 429 with ``Retry-After`` for the cool-off."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import User
from django.db.models import F
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories import DEFAULT_PASSWORD, StudentFactory

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
HOME = "10.0.0.1"
ELSEWHERE = "10.0.0.2"


def student() -> User:
    user: User = StudentFactory.create()
    return user


def limit() -> int:
    return int(settings.AXES_FAILURE_LIMIT)


def cooloff_seconds() -> int:
    return int(settings.ANNQUIZ_LOGIN_COOLOFF_SECONDS)


def page_login(client: Client, username: str, password: str, address: str = HOME) -> int:
    response = client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )
    return response.status_code


def token_login(username: str, password: str, address: str = HOME) -> HttpResponse:
    return APIClient().post(
        TOKEN_URL, {"username": username, "password": password}, format="json", REMOTE_ADDR=address
    )


def let_the_cooloff_pass() -> None:
    AccessAttempt.objects.update(
        attempt_time=F("attempt_time") - timedelta(seconds=cooloff_seconds() + 1)
    )


def test_the_login_page_answers_429_with_retry_after_once_the_limit_is_reached() -> None:
    ada = student()
    client = Client()
    for _ in range(limit() - 1):
        assert page_login(client, ada.username, "wrong") == 200

    assert page_login(client, ada.username, "wrong") == 429
    response = client.post(
        reverse("login"), {"username": ada.username, "password": DEFAULT_PASSWORD}
    )

    assert response.status_code == 429
    assert response["Retry-After"] == str(cooloff_seconds())
    assert "Too many failed log-in attempts" in response.content.decode()
    assert SESSION_KEY not in client.session


def test_the_token_endpoint_answers_429_in_the_error_shape_with_retry_after() -> None:
    ada = student()
    for _ in range(limit() - 1):
        assert token_login(ada.username, "wrong").status_code == 400
    assert token_login(ada.username, "wrong").status_code == 429

    response = token_login(ada.username, DEFAULT_PASSWORD)

    assert response.status_code == 429
    assert response["Retry-After"] == str(cooloff_seconds())
    body = json.loads(response.content)
    assert body == {"error": {"field": None, "message": body["error"]["message"]}}
    assert "too many failed log-in attempts" in body["error"]["message"]


def test_a_locked_account_stays_locked_from_another_address() -> None:
    ada = student()
    for _ in range(limit()):
        token_login(ada.username, "wrong", HOME)

    assert token_login(ada.username, DEFAULT_PASSWORD, ELSEWHERE).status_code == 429
    assert page_login(Client(), ada.username, DEFAULT_PASSWORD, ELSEWHERE) == 429


def test_another_account_from_the_same_address_is_allowed_below_the_address_limit() -> None:
    ada, bob = student(), student()
    for _ in range(limit() - 1):
        token_login(ada.username, "wrong", HOME)

    assert token_login(bob.username, DEFAULT_PASSWORD, HOME).status_code == 200


def test_an_address_is_locked_once_its_failures_over_all_accounts_reach_the_limit() -> None:
    ada, bob, cyd = student(), student(), student()
    for _ in range(limit() - 2):
        token_login(ada.username, "wrong", HOME)
    token_login(bob.username, "wrong", HOME)
    token_login(bob.username, "wrong", HOME)

    assert token_login(cyd.username, DEFAULT_PASSWORD, HOME).status_code == 429
    assert page_login(Client(), cyd.username, DEFAULT_PASSWORD, HOME) == 429
    # Each account on its own is below the limit: from elsewhere it may log in.
    assert token_login(ada.username, DEFAULT_PASSWORD, ELSEWHERE).status_code == 200
    assert page_login(Client(), bob.username, DEFAULT_PASSWORD, ELSEWHERE) == 302


def test_the_right_password_works_again_after_the_cooloff() -> None:
    ada = student()
    for _ in range(limit()):
        token_login(ada.username, "wrong")
    assert token_login(ada.username, DEFAULT_PASSWORD).status_code == 429

    let_the_cooloff_pass()

    assert token_login(ada.username, DEFAULT_PASSWORD).status_code == 200
    assert page_login(Client(), ada.username, DEFAULT_PASSWORD) == 302


def test_logging_into_ones_own_account_does_not_clear_the_failures_against_another() -> None:
    victim, attacker = student(), student()
    for _ in range(limit() - 1):
        page_login(Client(), victim.username, "wrong")
    assert page_login(Client(), attacker.username, DEFAULT_PASSWORD) == 302
    page_login(Client(), victim.username, "wrong")
    # The victim's failures still count: the account is locked, from anywhere.
    assert page_login(Client(), victim.username, DEFAULT_PASSWORD, ELSEWHERE) == 429


def test_logging_in_with_force_login_many_times_is_never_locked_out(client: Client) -> None:
    ada = student()
    for _ in range(3 * limit()):
        client.force_login(ada)

    assert page_login(Client(), ada.username, DEFAULT_PASSWORD) == 302
