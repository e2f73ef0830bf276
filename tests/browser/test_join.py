"""A new student in real headless Chromium: signs up, is sent to join a course, mistypes the
code, joins with it, and reaches the course's lessons."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest
from django.core.management import call_command

from annquiz.enrolment.models import Membership, Offering

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.explicit_enrolment,
]


def test_a_new_student_joins_a_course_with_its_code(page: Page, screenshot: Any) -> None:
    call_command("load_course", verbosity=0)
    course = Offering.objects.get(slug="ann-handout")

    page.goto("/accounts/signup/")
    page.fill("input[name=username]", "nora")
    page.fill("input[name=password1]", "a-long-enough-passphrase")
    page.fill("input[name=password2]", "a-long-enough-passphrase")
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r"/join/$"))
    assert "not in any course yet" in page.inner_text("main")

    page.fill("#join-code", "WRONG123")
    page.click("form.form button[type=submit]")
    error = page.locator("#join-error")
    assert "no course has the code" in error.inner_text()
    assert page.get_attribute("#join-code", "aria-invalid") == "true"
    screenshot(page, "join-wrong-code")

    typed = f"{course.join_code[:4].lower()} {course.join_code[4:].lower()}"
    page.fill("#join-code", typed)
    page.click("form.form button[type=submit]")
    page.wait_for_url(re.compile(r"/courses/ann-handout/$"))
    assert f"You joined {course.title} as a student." in page.inner_text("body")
    assert Membership.objects.filter(user__username="nora", offering=course).exists()
    page.get_by_role("link", name=re.compile("Introduction")).first.click()
    page.wait_for_url(re.compile(r"/courses/ann-handout/lessons/"))
