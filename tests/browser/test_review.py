"""The review pages on a small generated course, checked by axe-core at a desktop's and a
phone's width: no serious or critical violation; and a decision made through the form."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from annquiz.coding.models import Submission
from annquiz.courses.models import Answer
from annquiz.dashboards.demo_course import demo_course_generate
from annquiz.enrolment.models import Membership, Role
from annquiz.review.models import Dispute, GradeChange
from tests.browser.axe import assert_no_serious_violations, require_axe, save_artifact
from tests.browser.pages import load_catalog, log_in

if TYPE_CHECKING:
    from playwright.sync_api import Page, ViewportSize

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS: dict[str, ViewportSize] = {
    "1280": {"width": 1280, "height": 900},
    "375": {"width": 375, "height": 812},
}
SLUG = "demo-review"


def _check(page: Page, name: str, url: str, failures: list[str]) -> None:
    response = page.goto(url)
    assert response is not None and response.status == 200, (name, url)
    for width, viewport in WIDTHS.items():
        page.set_viewport_size(viewport)
        page.wait_for_timeout(200)
        save_artifact(page, f"review-{name}-{width}")
        try:
            assert_no_serious_violations(page, f"review {name} at {width} px")
        except AssertionError as error:
            failures.append(str(error))


def test_the_review_pages_have_no_serious_accessibility_violation(page: Page) -> None:
    require_axe()
    load_catalog()
    course = demo_course_generate(
        content_slug="ann-handout", slug=SLUG, students=12, submissions=30, seed=7
    ).offering
    teacher = log_in(page, "tessa")
    Membership.objects.update_or_create(
        user=teacher, offering=course, defaults={"role": Role.INSTRUCTOR}
    )
    free_text = list(
        Answer.objects.filter(offering=course, question__kind="free_text").order_by("id")[:3]
    )
    assert len(free_text) == 3
    Answer.objects.filter(pk__in=[a.pk for a in free_text]).update(needs_review=True)
    first, disputed, _ = free_text
    Dispute.objects.create(
        offering=course, student=disputed.student, answer=disputed, reason="Dropout counts!"
    )
    submission = Submission.objects.filter(offering=course).first()
    assert submission is not None
    base = f"/courses/{SLUG}/dashboard/review/"

    # Decide on the first answer through the form, as an instructor would.
    page.goto(f"{base}answers/{first.pk}/")
    page.check("input[name=decision][value=override]")
    page.fill("input[name=score]", "0.75")
    page.select_option("select[name=verdict]", "correct")
    page.fill("textarea[name=comment]", "The remedy is named, if briefly.")
    page.click("form.form button[type=submit]")
    page.wait_for_url(f"**{base}")
    change = GradeChange.objects.get()
    assert (change.after_score, change.after_verdict) == (0.75, "correct")

    failures: list[str] = []
    for name, url in {
        "queue": base,
        "answer": f"{base}answers/{disputed.pk}/",
        "submission": f"{base}submissions/{submission.pk}/",
        "audit": f"{base}audit/",
    }.items():
        _check(page, name, url, failures)
    assert not failures, "\n\n".join(failures)
