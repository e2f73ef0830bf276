from __future__ import annotations

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import AnonymousUser, User
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.urls import reverse

from annquiz.core.roles import is_instructor
from tests.factories import DEFAULT_PASSWORD, StudentFactory

pytestmark = pytest.mark.django_db

STRONG_PASSWORD = "neurons-fire-together-42"


def test_signup_page_renders_the_form_in_the_base_layout(client: Client) -> None:
    response = client.get(reverse("signup"))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="username"' in html
    assert 'name="password1"' in html and 'name="password2"' in html
    assert '<meta name="viewport"' in html
    assert "css/site.css" in html


def test_signup_page_names_both_the_checkpoint_questions_and_the_coding_tasks(
    client: Client,
) -> None:
    html = client.get(reverse("signup")).content.decode()
    assert "checkpoint questions" in html and "coding tasks" in html


def test_signup_creates_a_logged_in_student_and_follows_next(client: Client) -> None:
    response = client.post(
        reverse("signup"),
        {
            "username": "ada",
            "password1": STRONG_PASSWORD,
            "password2": STRONG_PASSWORD,
            "next": "/healthz",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == "/healthz"
    user = User.objects.get(username="ada")
    assert user.check_password(STRONG_PASSWORD)
    assert not user.is_staff and not user.is_superuser
    assert not is_instructor(user)
    assert client.session[SESSION_KEY] == str(user.pk)


def test_signup_with_mismatched_passwords_shows_an_error_and_creates_nobody(
    client: Client,
) -> None:
    response = client.post(
        reverse("signup"),
        {"username": "ada", "password1": STRONG_PASSWORD, "password2": STRONG_PASSWORD + "x"},
    )

    assert response.status_code == 200
    assert "password2" in response.context["form"].errors
    assert 'class="error"' in response.content.decode()
    assert not User.objects.filter(username="ada").exists()


def test_signup_with_a_taken_username_is_refused(client: Client) -> None:
    StudentFactory.create(username="ada")

    response = client.post(
        reverse("signup"),
        {"username": "ada", "password1": STRONG_PASSWORD, "password2": STRONG_PASSWORD},
    )

    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert User.objects.filter(username="ada").count() == 1


def test_signup_ignores_a_next_url_on_another_host(client: Client) -> None:
    response = client.post(
        reverse("signup"),
        {
            "username": "ada",
            "password1": STRONG_PASSWORD,
            "password2": STRONG_PASSWORD,
            "next": "https://evil.example/",
        },
    )

    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


def test_login_page_renders(client: Client) -> None:
    response = client.get(reverse("login"))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="username"' in html and 'name="password"' in html
    assert reverse("signup") in html


def test_login_with_the_right_password_starts_a_session(client: Client) -> None:
    student = StudentFactory.create()

    response = client.post(
        reverse("login"),
        {"username": student.username, "password": DEFAULT_PASSWORD, "next": "/healthz"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/healthz"
    assert client.session[SESSION_KEY] == str(student.pk)


def test_login_with_a_wrong_password_is_refused(client: Client) -> None:
    student = StudentFactory.create()

    response = client.post(
        reverse("login"), {"username": student.username, "password": "not-the-password"}
    )

    assert response.status_code == 200
    assert SESSION_KEY not in client.session
    assert "correct username and password" in response.content.decode()


def test_the_top_bar_shows_the_username_and_a_log_out_form_when_logged_in(
    rf: RequestFactory,
) -> None:
    request = rf.get("/")
    request.user = StudentFactory.create(username="grace")

    html = render_to_string("base.html", request=request)

    assert "grace" in html
    assert f'action="{reverse("logout")}"' in html
    assert reverse("login") + '"' not in html


def test_the_top_bar_offers_log_in_and_sign_up_to_visitors(rf: RequestFactory) -> None:
    request = rf.get("/")
    request.user = AnonymousUser()

    html = render_to_string("base.html", request=request)

    assert f'href="{reverse("login")}"' in html
    assert f'href="{reverse("signup")}"' in html
    assert 'href="/api/docs/"' in html
    assert f'action="{reverse("logout")}"' not in html


def test_logout_by_post_ends_the_session(client: Client) -> None:
    client.force_login(StudentFactory.create())

    response = client.post(reverse("logout"))

    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert SESSION_KEY not in client.session


def test_logout_by_get_is_not_allowed(client: Client) -> None:
    client.force_login(StudentFactory.create())

    response = client.get(reverse("logout"))

    assert response.status_code == 405
    assert SESSION_KEY in client.session


def test_the_account_urls_live_under_accounts() -> None:
    assert reverse("login") == "/accounts/login/"
    assert reverse("logout") == "/accounts/logout/"
    assert reverse("signup") == "/accounts/signup/"


def test_signup_of_a_username_taken_at_the_same_moment_is_a_form_error_not_a_500(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two sign-ups of one name: both pass the form's check, the second insert collides."""
    from annquiz.accounts.forms import SignupForm

    original_is_valid = SignupForm.is_valid

    def valid_then_taken_by_a_rival(self: SignupForm) -> bool:
        valid = original_is_valid(self)
        User.objects.create_user(username="grace", password=STRONG_PASSWORD)
        return valid

    monkeypatch.setattr(SignupForm, "is_valid", valid_then_taken_by_a_rival)
    response = client.post(
        reverse("signup"),
        {"username": "grace", "password1": STRONG_PASSWORD, "password2": STRONG_PASSWORD},
    )

    assert response.status_code == 200
    assert "A user with that username already exists." in response.content.decode()
    assert User.objects.filter(username="grace").count() == 1
    assert SESSION_KEY not in client.session
