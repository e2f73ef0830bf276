"""Usernames are NFKC-normalized, and none may be mistaken for another (usernames.py)."""

from __future__ import annotations

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from annquiz.accounts.usernames import (
    CONFUSABLE_MESSAGE,
    comparison_keys,
    skeleton,
    username_mixes_confusable_scripts,
    username_problem,
)
from tests.factories import StudentFactory, UserFactory

STRONG_PASSWORD = "neurons-fire-together-42"

CYRILLIC_A = "\u0430"
CYRILLIC_O = "\u043e"
CYRILLIC_ES = "\u0441"
CYRILLIC_DE = "\u0434"
GREEK_OMICRON = "\u03bf"
GREEK_CAPITAL_ALPHA = "\u0391"
COMBINING_ACUTE = "\u0301"


def fullwidth(ascii_name: str) -> str:
    """The full-width forms (U+FF01...) of ASCII letters and digits."""
    return "".join(chr(ord(char) + 0xFEE0) for char in ascii_name)


# --- the rule, without a database --------------------------------------------------------------


@pytest.mark.parametrize(
    ("look_alike", "original"),
    [
        (f"{CYRILLIC_A}d{CYRILLIC_A}", "ada"),  # Cyrillic a, Latin d: mixed
        (f"{CYRILLIC_A}{CYRILLIC_ES}{CYRILLIC_O}", "aco"),  # all Cyrillic: one script
        (f"r{GREEK_OMICRON}bert", "robert"),
        (f"{GREEK_CAPITAL_ALPHA}lan", "Alan"),
        (fullwidth("ada"), "ada"),
        ("Ian", "lan"),  # capital I looks like small l
        ("ADA", "ada"),
        ("rn0", "rnO"),  # zero and capital O
    ],
)
def test_look_alikes_share_a_comparison_key(look_alike: str, original: str) -> None:
    assert not comparison_keys(look_alike).isdisjoint(comparison_keys(original))


@pytest.mark.parametrize(
    ("one", "other"),
    [("ada", "adb"), ("ian", "lan"), ("ada", f"ad{'a' + COMBINING_ACUTE}"), ("bob", "bab")],
)
def test_names_that_look_different_do_not(one: str, other: str) -> None:
    assert comparison_keys(one).isdisjoint(comparison_keys(other))


def test_the_skeleton_maps_other_scripts_letters_to_their_latin_prototype() -> None:
    assert skeleton(f"p{CYRILLIC_A}yp{CYRILLIC_A}l") == "paypal"
    assert skeleton(f"r{GREEK_OMICRON}bert") == "robert"
    assert skeleton("paypal") == "paypal"


@pytest.mark.parametrize(
    ("name", "scripts"),
    [
        (f"p{CYRILLIC_A}ypal", {"LATIN", "CYRILLIC"}),
        (f"r{GREEK_OMICRON}bert", {"LATIN", "GREEK"}),
    ],
)
def test_a_name_mixing_scripts_with_confusable_letters_is_dangerous(
    name: str, scripts: set[str]
) -> None:
    assert username_mixes_confusable_scripts(name) == scripts
    problem = username_problem(name, existing=[])
    assert problem is not None and "mixes letters of different alphabets" in problem


@pytest.mark.parametrize(
    "name",
    [
        "ada_lovelace",
        f"{CYRILLIC_A}{CYRILLIC_DE}{CYRILLIC_A}",
        "ivan.petrov-2",
        "\u03b1\u03bb\u03c6\u03b1",  # Greek alpha, lambda, phi, alpha
        "ada@example",
    ],
)
def test_a_name_in_one_script_is_fine_on_its_own(name: str) -> None:
    assert username_mixes_confusable_scripts(name) is None
    assert username_problem(name, existing=["grace", "alan"]) is None


def test_a_look_alike_of_an_existing_name_is_refused() -> None:
    assert username_problem(f"{CYRILLIC_A}{CYRILLIC_ES}{CYRILLIC_O}", existing=["aco"]) == (
        CONFUSABLE_MESSAGE
    )


# --- the sign-up form --------------------------------------------------------------------------


def sign_up(client: Client, username: str) -> str:
    response = client.post(
        reverse("signup"),
        {"username": username, "password1": STRONG_PASSWORD, "password2": STRONG_PASSWORD},
    )
    if response.status_code == 302:
        return ""
    assert response.status_code == 200
    errors: list[str] = response.context["form"].errors.get("username", [])
    assert errors, response.context["form"].errors
    return " ".join(errors)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "look_alike",
    [
        f"{CYRILLIC_A}d{CYRILLIC_A}",  # Cyrillic a in place of a (mixed with Latin d)
        f"{CYRILLIC_A}d{'a'}",
        fullwidth("ada"),  # normalized to ada itself
        "ADA",
        "Ada",
    ],
)
def test_signup_refuses_a_look_alike_of_an_existing_username(
    client: Client, look_alike: str
) -> None:
    StudentFactory.create(username="ada")

    error = sign_up(client, look_alike)

    assert error
    assert User.objects.count() == 1
    assert SESSION_KEY not in client.session


@pytest.mark.django_db
def test_signup_explains_a_cyrillic_look_alike(client: Client) -> None:
    StudentFactory.create(username="aco")

    error = sign_up(client, f"{CYRILLIC_A}{CYRILLIC_ES}{CYRILLIC_O}")

    assert error == CONFUSABLE_MESSAGE


@pytest.mark.django_db
def test_signup_explains_a_mixed_script_name_even_with_no_look_alike_taken(
    client: Client,
) -> None:
    error = sign_up(client, f"p{CYRILLIC_A}ypal")

    assert "mixes letters of different alphabets (Cyrillic and Latin)" in error
    assert not User.objects.exists()


@pytest.mark.django_db
def test_signup_refuses_a_greek_look_alike(client: Client) -> None:
    StudentFactory.create(username="robert")

    StudentFactory.create(username="ABE")

    assert sign_up(client, f"r{GREEK_OMICRON}bert")
    # All Greek capitals (alpha, beta, epsilon): one script, but it looks like ABE.
    assert sign_up(client, "\u0391\u0392\u0395") == CONFUSABLE_MESSAGE
    assert sign_up(client, "\u03b1\u03b2\u03b5") == ""  # the small ones look like nothing taken


@pytest.mark.django_db
def test_signup_stores_the_nfkc_form_of_the_name(client: Client) -> None:
    assert sign_up(client, fullwidth("grace")) == ""
    assert sign_up(Client(), "a" + COMBINING_ACUTE + "da") == ""

    assert set(User.objects.values_list("username", flat=True)) == {"grace", "\u00e1da"}


@pytest.mark.django_db
def test_signup_with_a_combining_mark_on_a_taken_name_composed_is_a_duplicate(
    client: Client,
) -> None:
    StudentFactory.create(username="\u00e1da")  # a with acute, precomposed

    error = sign_up(client, "a" + COMBINING_ACUTE + "da")

    assert "already exists" in error


@pytest.mark.django_db
def test_signup_refuses_a_lone_combining_mark_as_part_of_a_name(client: Client) -> None:
    error = sign_up(client, "ada" + "\u0338")  # combining long solidus overlay: no composition

    assert "valid username" in error


@pytest.mark.django_db
def test_signup_accepts_a_name_that_only_resembles_in_part(client: Client) -> None:
    StudentFactory.create(username="ada")

    assert sign_up(client, "adam") == ""
    # Cyrillic de does not look like d.
    assert sign_up(Client(), f"{CYRILLIC_A}{CYRILLIC_DE}{CYRILLIC_A}") == ""


# --- the admin ---------------------------------------------------------------------------------


@pytest.fixture
def admin_client() -> Client:
    client = Client()
    client.force_login(UserFactory.create(is_staff=True, is_superuser=True, username="root"))
    return client


@pytest.mark.django_db
def test_the_admin_refuses_to_add_a_look_alike(admin_client: Client) -> None:
    StudentFactory.create(username="ada")

    response = admin_client.post(
        reverse("admin:auth_user_add"),
        {
            "username": f"{CYRILLIC_A}d{CYRILLIC_A}",
            "password1": STRONG_PASSWORD,
            "password2": STRONG_PASSWORD,
            "usable_password": "true",
        },
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["username"]
    assert User.objects.count() == 2


@pytest.mark.django_db
def test_the_admin_refuses_a_rename_to_a_look_alike_but_edits_other_fields(
    admin_client: Client,
) -> None:
    StudentFactory.create(username="ada")
    grace = StudentFactory.create(username="grace")
    url = reverse("admin:auth_user_change", args=[grace.pk])
    form = {
        "username": "ADA",
        "first_name": "",
        "last_name": "",
        "email": "grace@example.com",
        "is_active": "on",
        "date_joined_0": "2025-01-01",
        "date_joined_1": "00:00:00",
    }

    refused = admin_client.post(url, form)
    kept_name = admin_client.post(url, {**form, "username": "grace", "first_name": "Grace"})

    assert refused.status_code == 200
    assert CONFUSABLE_MESSAGE in refused.context["adminform"].form.errors["username"]
    assert kept_name.status_code == 302
    grace.refresh_from_db()
    assert (grace.username, grace.first_name) == ("grace", "Grace")
