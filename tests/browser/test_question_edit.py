"""The question edit page in a browser: the preview follows the typing, a refused save lists
the broken test answers, and both read well at a desktop's and a phone's width (axe-core: no
serious or critical violation; nothing wider than the phone)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from django.core.management import call_command

from annquiz.enrolment.models import Membership, Offering, Role
from tests.browser.axe import ARTIFACTS, assert_no_serious_violations, require_axe
from tests.browser.pages import log_in

if TYPE_CHECKING:
    from playwright.sync_api import Page, ViewportSize

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS: dict[str, ViewportSize] = {
    "1280": {"width": 1280, "height": 900},
    "375": {"width": 375, "height": 812},
}
URL = "/courses/ann-handout/dashboard/questions/q2-bias/edit/"


def _check(page: Page, state: str) -> list[str]:
    failures = []
    for width, viewport in WIDTHS.items():
        page.set_viewport_size(viewport)
        page.wait_for_timeout(200)
        # The visible part only: the whole form of a free-text question is very long.
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"question-edit-{state}-{width}.png"))
        sizes = page.evaluate(
            "({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})"
        )
        if sizes["scroll"] > sizes["inner"]:
            failures.append(f"{state} at {width} px scrolls sideways: {sizes}")
        try:
            assert_no_serious_violations(page, f"question edit ({state}) at {width} px")
        except AssertionError as error:
            failures.append(str(error))
    return failures


def test_the_edit_page_previews_as_one_types_and_reads_well_at_both_widths(page: Page) -> None:
    require_axe()
    call_command("load_course", verbosity=0)
    teacher = log_in(page, "tessa")
    Membership.objects.update_or_create(
        user=teacher,
        offering=Offering.objects.get(slug="ann-handout"),
        defaults={"role": Role.INSTRUCTOR},
    )
    response = page.goto(URL)
    assert response is not None and response.status == 200
    failures = _check(page, "form")

    page.set_viewport_size(WIDTHS["1280"])
    page.fill("#id_question-prompt", "What does a *live* bias do?")
    preview = page.locator("#question-preview .question-prompt em", has_text="live")
    preview.wait_for(state="visible")
    assert page.locator("#preview-status").inner_text() == "Preview updated."

    # Every claim stated negated: the table's right answers fail, the save is refused.
    page.evaluate(
        """() => {
          const selects = [...document.querySelectorAll('select[name$="-polarity"]')];
          selects.slice(0, -1).forEach((s) => { s.value = "negative"; });
        }"""
    )
    page.click("button[value=save]")
    page.locator("#edit-error [data-failure]").first.wait_for(state="visible")
    assert page.locator("#edit-error [data-failure]").count() >= 10
    failures += _check(page, "refused")
    assert not failures, "\n\n".join(failures)
