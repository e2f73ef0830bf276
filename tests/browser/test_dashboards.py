"""Every instructors' dashboard on a small generated course, checked by axe-core at a
desktop's and a phone's width: no serious or critical violation."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from annquiz.coding.models import CodingTask
from annquiz.courses.models import Question
from annquiz.dashboards.demo_course import demo_course_generate
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
SLUG = "demo-a11y"


def test_every_dashboard_has_no_serious_accessibility_violation(page: Page) -> None:
    require_axe()
    load_catalog()
    course = demo_course_generate(
        content_slug="ann-handout", slug=SLUG, students=20, submissions=60, seed=5
    ).offering
    teacher = log_in(page, "tessa")
    # Every test user is a student of every course (tests/enrolment.py): make this one teach.
    Membership.objects.update_or_create(
        user=teacher, offering=course, defaults={"role": Role.INSTRUCTOR}
    )
    question = Question.objects.filter(answers__offering=course, kind="free_text").first()
    task = CodingTask.objects.filter(submissions__offering=course).first()
    student = Membership.objects.filter(offering=course, role=Role.STUDENT).first()
    assert question is not None and task is not None and student is not None
    base = f"/courses/{SLUG}/dashboard/"
    urls = {
        "overview": base,
        "questions": f"{base}questions/",
        "question": f"{base}questions/{question.key}/",
        "queue": f"{base}queue/",
        "student": f"{base}students/{student.user_id}/",
        "task": f"{base}tasks/{task.slug}/",
    }
    failures = []
    for name, url in urls.items():
        response = page.goto(url)
        assert response is not None and response.status == 200, (name, url)
        for width, viewport in WIDTHS.items():
            page.set_viewport_size(viewport)
            page.wait_for_timeout(200)
            save_artifact(page, f"dashboard-{name}-{width}")
            try:
                assert_no_serious_violations(page, f"dashboard {name} at {width} px")
            except AssertionError as error:
                failures.append(str(error))
    assert not failures, "\n\n".join(failures)
