"""The pages of the site as a whole: the 404 page speaks of where the visitor is, the favicon is
served from static, and the home page tells a visitor what annquiz is."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from tests.factories import StudentFactory

pytestmark = pytest.mark.django_db


def main_of(page: str) -> str:
    return page.split("<main", 1)[1].split("</main>", 1)[0]


@pytest.fixture
def student_client() -> Client:
    client = Client()
    client.force_login(StudentFactory.create(username="alice"))
    return client


def test_a_missing_coding_task_page_speaks_of_tasks(student_client: Client) -> None:
    response = student_client.get("/tasks/no-such-task/")
    assert response.status_code == 404
    page = main_of(response.content.decode())
    assert "coding task" in page and 'href="/tasks/">Go to the coding tasks' in page
    assert "lesson" not in page


def test_a_missing_lesson_page_speaks_of_courses(student_client: Client) -> None:
    response = student_client.get("/courses/nope/lessons/basics/")
    assert response.status_code == 404
    page = main_of(response.content.decode())
    assert "course or lesson" in page and 'href="/courses/">Go to the courses' in page
    assert "coding task" not in page


def test_any_other_missing_page_leads_home(student_client: Client) -> None:
    response = student_client.get("/no/such/page/")
    assert response.status_code == 404
    page = main_of(response.content.decode())
    assert 'href="/">Go to the home page' in page
    assert "lesson" not in page and "coding task" not in page


def test_every_page_names_the_favicon_served_from_static(client: Client) -> None:
    page = client.get("/accounts/login/").content.decode()
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page
    path = finders.find("favicon.svg")
    assert path is not None
    svg = Path(path).read_text(encoding="utf-8")
    assert svg.startswith("<svg") and "<script" not in svg and "href" not in svg


def test_favicon_ico_leads_to_the_static_icon(client: Client) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == "/static/favicon.svg"
