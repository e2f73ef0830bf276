"""Failed log-ins count against the client's address, also behind reverse proxies."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from annquiz.accounts.client_address import client_address
from tests.factories import DEFAULT_PASSWORD, StudentFactory

if TYPE_CHECKING:
    from pytest_django.fixtures import Settings

PROXY = "10.0.0.9"


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, None, PROXY),
        (0, "203.0.113.7", PROXY),  # without proxies the header is anyone's to send
        (1, "203.0.113.7", "203.0.113.7"),
        (1, "198.51.100.1, 203.0.113.7", "203.0.113.7"),  # the left entry is the client's claim
        (2, "198.51.100.1, 203.0.113.7, 192.0.2.4", "203.0.113.7"),
        (2, "203.0.113.7", PROXY),  # shorter than two proxies make it: not through them
        (1, "not-an-address", PROXY),
        (1, "2001:db8::1", "2001:db8::1"),
        (1, "", PROXY),
    ],
)
def test_the_address_is_the_trusted_proxys_entry(
    settings: Settings, proxies: int, forwarded: str | None, expected: str
) -> None:
    settings.ANNQUIZ_TRUSTED_PROXIES = proxies
    request = RequestFactory().get("/", REMOTE_ADDR=PROXY)
    if forwarded is not None:
        request.META["HTTP_X_FORWARDED_FOR"] = forwarded

    assert client_address(request) == expected


@pytest.mark.django_db
def test_behind_a_proxy_one_clients_failures_do_not_lock_out_another(
    settings: Settings,
) -> None:
    settings.ANNQUIZ_TRUSTED_PROXIES = 1
    guesser, bystander = StudentFactory.create(), StudentFactory.create()
    client = Client()

    def log_in(username: str, password: str, client_ip: str) -> int:
        response = client.post(
            reverse("login"),
            {"username": username, "password": password},
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR=client_ip,
        )
        return response.status_code

    statuses = [
        log_in(f"{guesser.username}-{n}", "wrong", "203.0.113.7")
        for n in range(int(settings.AXES_FAILURE_LIMIT) + 1)
    ]
    assert statuses[-1] == 429  # the guessing address is locked out

    assert log_in(bystander.username, DEFAULT_PASSWORD, "198.51.100.1") == 302


@pytest.mark.django_db
def test_without_the_setting_everyone_behind_the_proxy_shares_one_count(
    settings: Settings,
) -> None:
    """Why the setting exists: counted by the proxy's address, the guesser locks out all."""
    settings.ANNQUIZ_TRUSTED_PROXIES = 0
    guesser, bystander = StudentFactory.create(), StudentFactory.create()
    client = Client()
    for n in range(int(settings.AXES_FAILURE_LIMIT)):
        client.post(
            reverse("login"),
            {"username": f"{guesser.username}-{n}", "password": "wrong"},
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR="203.0.113.7",
        )

    response = client.post(
        reverse("login"),
        {"username": bystander.username, "password": DEFAULT_PASSWORD},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="198.51.100.1",
    )

    assert response.status_code == 429
