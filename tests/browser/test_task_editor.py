"""The task page's editor says "✓ Valid" only for the text the server checked, keeps Submit
disabled until then, and shows a refusal once and whole."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.test_coding_tasks import TASK, feedback_text, log_in_as_new_student

if TYPE_CHECKING:
    from playwright.sync_api import Page, Route

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_editor_starts_clean_and_shows_only_checked_validity(
    page: Page, catalog: None, screenshot: Any
) -> None:
    log_in_as_new_student(page)
    page.goto(TASK)
    page.wait_for_function(
        "document.querySelector('[data-editor-feedback]').textContent.includes('Valid')"
    )
    starter = page.locator("#spec-keras").input_value()
    assert "```" not in starter
    assert starter.startswith(
        "from tensorflow.keras.models import Sequential\n"
        "from tensorflow.keras.layers import Dense\n"
    )
    submit = page.locator("[data-submit]")
    assert submit.is_enabled()
    screenshot(page, "coding-editor-valid-desktop", full_page=False)

    # The server answers slowly: until it has, the new text is not called valid.
    held: list[Route] = []
    page.route("**/validate/", lambda route: held.append(route))
    page.fill("#spec-keras", starter.replace("epochs=50", "epochs=40"))
    assert "Valid" not in feedback_text(page)
    assert submit.is_disabled()
    page.wait_for_function(
        "document.querySelector('[data-editor-feedback]').textContent.includes('Checking')"
    )
    assert submit.is_disabled()
    assert len(held) == 1
    held[0].continue_()
    page.unroute("**/validate/")
    page.wait_for_function(
        "document.querySelector('[data-editor-feedback]').textContent.includes('Valid')"
    )
    assert submit.is_enabled()

    # A refused import: the whole sentence, once on the page, and no way to submit it.
    page.fill("#spec-keras", "import os\n" + starter)
    assert submit.is_disabled()
    page.wait_for_function("document.querySelector('[data-editor-feedback] .error') !== null")
    message = feedback_text(page)
    assert "only tensorflow/keras imports are allowed" in message, message
    page_text = page.locator("main").inner_text()
    assert page_text.count("import os is not allowed") == 1
    assert submit.is_disabled()
    screenshot(page, "coding-editor-refused-desktop", full_page=False)
    page.set_viewport_size({"width": 375, "height": 812})
    page.locator("[data-editor-feedback]").scroll_into_view_if_needed()
    box = page.locator("[data-editor-feedback] .error").bounding_box()
    assert box is not None and box["x"] + box["width"] <= 375
    screenshot(page, "coding-editor-refused-phone", full_page=False)

    # Back to the starter: checked again, valid again, submittable again.
    page.click("[data-reset]")
    page.wait_for_function(
        "document.querySelector('[data-editor-feedback]').textContent.includes('Valid')"
    )
    assert re.search(r"289 parameters", feedback_text(page))
    assert submit.is_enabled()
