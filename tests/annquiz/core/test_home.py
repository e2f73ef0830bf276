from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse

from tests.factories import StudentFactory

pytestmark = pytest.mark.django_db


def test_home_tells_a_visitor_what_annquiz_is_with_log_in_and_sign_up(client: Client) -> None:
    response = client.get("/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "Learn artificial neural networks" in page
    assert "Checkpoint questions" in page and "Coding tasks" in page
    assert f'href="{reverse("signup")}">Sign up</a>' in page
    assert f'href="{reverse("login")}">log in</a>' in page


def test_home_sends_students_to_the_course_list(client: Client) -> None:
    client.force_login(StudentFactory.create(username="alice"))
    response = client.get("/")

    try:
        course_list = reverse("courses:course-list")
    except NoReverseMatch:
        assert response.status_code == 200
    else:
        assert response.status_code == 302
        assert response["Location"] == course_list


def test_the_site_stylesheet_defines_the_verdict_classes() -> None:
    from django.contrib.staticfiles import finders

    path = finders.find("css/site.css")
    assert path is not None
    css = Path(path).read_text(encoding="utf-8")
    for verdict in ("correct", "partial", "incorrect"):
        assert f".verdict-{verdict}" in css
    assert "@media" in css
    assert "http" not in css  # no CDN, no external fonts
