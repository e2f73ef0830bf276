"""The gradebook, its grading policy (with errors) and the groups page on a small generated
course at a desktop's and a phone's width: no serious or critical axe-core violation, the wide
table scrolls within its own region and keeps the students' column in view."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from annquiz.courses.models import Answer
from annquiz.dashboards.demo_course import GROUPS, demo_course_generate
from annquiz.enrolment.models import Membership, Role
from tests.browser.axe import assert_no_serious_violations, require_axe, save_artifact
from tests.browser.pages import load_catalog, log_in

if TYPE_CHECKING:
    from playwright.sync_api import Page, ViewportSize

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS: dict[str, ViewportSize] = {
    "1280": {"width": 1280, "height": 900},
    "375": {"width": 375, "height": 812},
}
SLUG = "demo-gradebook"
BASE = f"/courses/{SLUG}/dashboard/"


def _check(page: Page, name: str, failures: list[str]) -> None:
    for width, viewport in WIDTHS.items():
        page.set_viewport_size(viewport)
        page.wait_for_timeout(200)
        save_artifact(page, f"gradebook-{name}-{width}")
        try:
            assert_no_serious_violations(page, f"{name} at {width} px")
        except AssertionError as error:
            failures.append(str(error))


def test_the_gradebook_pages_read_well_at_both_widths(page: Page) -> None:
    require_axe()
    load_catalog()
    course = demo_course_generate(
        content_slug="ann-handout", slug=SLUG, students=20, submissions=60, seed=5
    ).offering
    late = Answer.objects.filter(offering=course).order_by("id").values_list("id", flat=True)[:40]
    Answer.objects.filter(id__in=list(late)).update(is_late=True)
    teacher = log_in(page, "tessa")
    # Every test user is a student of every course (tests/enrolment.py): make this one teach.
    Membership.objects.update_or_create(
        user=teacher, offering=course, defaults={"role": Role.INSTRUCTOR}
    )
    failures: list[str] = []

    response = page.goto(f"{BASE}gradebook/")
    assert response is not None and response.status == 200
    assert page.locator("td.gb-late").count() > 0 and page.locator("td.gb-missing").count() > 0
    _check(page, "table", failures)

    # At a phone's width the table scrolls inside its region, not the page, and the
    # students' column stays where it is.
    page.set_viewport_size(WIDTHS["375"])
    region = page.locator(".gradebook-scroll")
    assert region.evaluate("el => el.scrollWidth > el.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    first = page.locator(".gradebook tbody th").first
    before = first.bounding_box()
    region.evaluate("el => { el.scrollLeft = 400; }")
    after = first.bounding_box()
    assert before is not None and after is not None and abs(before["x"] - after["x"]) < 1

    page.set_viewport_size(WIDTHS["1280"])
    page.goto(f"{BASE}gradebook/?group={GROUPS[0].replace(' ', '+')}")
    assert page.locator(".gradebook tbody tr").count() == 5
    _check(page, "group", failures)

    page.goto(f"{BASE}gradebook/policy/")
    _check(page, "policy", failures)
    page.fill("#id_late_factor", "3")
    page.click(".policy-form button[type=submit]")
    assert page.locator(".errorlist").count() > 0
    _check(page, "policy-errors", failures)

    page.goto(f"{BASE}groups/")
    _check(page, "groups", failures)
    assert not failures, "\n\n".join(failures)
