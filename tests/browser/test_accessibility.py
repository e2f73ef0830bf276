"""Every page a visitor or a student can reach, in the states that matter, checked by axe-core
at a desktop's and a phone's width: no serious or critical violation. Screenshots of each are
kept under test-artifacts/a11y/."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.browser.axe import assert_no_serious_violations, require_axe, save_artifact
from tests.browser.pages import STATES

if TYPE_CHECKING:
    from playwright.sync_api import Page, ViewportSize

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS: dict[str, ViewportSize] = {
    "1280": {"width": 1280, "height": 900},
    "375": {"width": 375, "height": 812},
}


@pytest.mark.parametrize("state", list(STATES))
def test_page_has_no_serious_accessibility_violation(page: Page, state: str) -> None:
    require_axe()
    STATES[state](page)
    failures = []
    for width, viewport in WIDTHS.items():
        page.set_viewport_size(viewport)
        page.wait_for_timeout(300)  # the plots are redrawn to the new width
        save_artifact(page, f"{state}-{width}")
        try:
            assert_no_serious_violations(page, f"{state} at {width} px")
        except AssertionError as error:
            failures.append(str(error))
    assert not failures, "\n\n".join(failures)
