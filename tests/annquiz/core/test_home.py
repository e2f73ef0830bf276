from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse

pytestmark = pytest.mark.django_db


def test_home_sends_visitors_to_the_course_list_or_welcomes_them(client: Client) -> None:
    response = client.get("/")

    try:
        course_list = reverse("courses:course-list")
    except NoReverseMatch:
        assert response.status_code == 200
        assert reverse("signup") in response.content.decode()
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
