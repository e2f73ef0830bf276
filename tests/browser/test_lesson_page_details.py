"""The small things on a lesson page, in a real browser at 1280 and 375 px: each progress bar
beside the figure it draws, one heading a checkpoint, a Submit button that closes when the
question is done, Adam's hat on its eta, and the external link marked as such."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest
from django.core.management import call_command

from annquiz.courses.models import Question
from tests.browser.test_lessons import INTRO, OPTIMIZERS, box, logged_in_student

if TYPE_CHECKING:
    from playwright.sync_api import Page, ViewportSize

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEVICES = [("desktop", {"width": 1280, "height": 900}), ("phone", {"width": 375, "height": 812})]


@pytest.fixture
def course() -> None:
    call_command("load_course", verbosity=0)


@pytest.mark.parametrize(("device", "viewport"), DEVICES)
def test_each_progress_bar_sits_after_the_figure_it_draws(
    page: Page, course: None, screenshot: Any, device: str, viewport: ViewportSize
) -> None:
    logged_in_student(page)
    page.set_viewport_size(viewport)
    page.goto(OPTIMIZERS)
    section = page.locator("#question-q4-adam-preferred")
    section.locator("input[name=choice]").first.check()
    section.locator("button[type=submit]").click()
    section.locator("[data-verdict]").wait_for()
    page.reload()

    line = page.locator(".lesson-progress-line")
    for part, name in (("progress-answered", "Questions answered"), ("progress-score", "Score")):
        figure = line.locator(f".{part}")
        bar = figure.get_by_role("progressbar", name=name)
        assert bar.count() == 1
        bar_box, figure_box = box(bar), box(figure)
        assert figure_box["x"] <= bar_box["x"] <= figure_box["x"] + figure_box["width"]
        assert bar_box["width"] > 30
        assert figure_box["height"] < 30  # one line: the bar never wraps away from its figure
    assert line.locator(".progress-answered").inner_text().startswith("1/")
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, f"lesson-progress-bars-{device}", full_page=False)


def test_the_submit_button_closes_once_the_question_is_solved(
    page: Page, course: None, screenshot: Any
) -> None:
    logged_in_student(page)
    page.goto(OPTIMIZERS)
    section = page.locator("#question-q4-adam-preferred")
    right = Question.objects.get(key="q4-adam-preferred").config["choices"]
    key = next(choice["key"] for choice in right if choice.get("correct"))
    section.locator(f"input[name=choice][value={key}]").check()
    section.locator("button[type=submit]").click()
    section.locator(".answer-closed").wait_for()

    assert section.locator("button[type=submit]").is_disabled()
    assert "Solved" in section.locator(".answer-closed").inner_text()
    section.scroll_into_view_if_needed()
    screenshot(page, "lesson-question-solved", full_page=False)
    page.reload()  # and the page as the server renders it
    assert section.locator("button[type=submit]").is_disabled()
    assert "Solved" in section.locator(".answer-closed").inner_text()


def test_the_further_reading_is_a_link_marked_external(
    page: Page, course: None, screenshot: Any
) -> None:
    logged_in_student(page)
    page.goto(OPTIMIZERS)
    link = page.get_by_role("link", name="Optimizers in deep learning, on medium.com")
    assert link.get_attribute("href", timeout=5_000) == (
        "https://medium.com/@tm.nidheesh95/optimizers-in-deep-learning-b12ef0cd4d8a"
    )
    assert "(external link)" in str(link.text_content())
    arrow = link.evaluate("a => getComputedStyle(a, '::after').content")
    assert arrow == '"\u2197"'
    link.scroll_into_view_if_needed()
    screenshot(page, "lesson-optimizers-external-link", full_page=False)


def test_the_hat_in_adams_rule_sits_on_its_eta(page: Page, course: None, screenshot: Any) -> None:
    logged_in_student(page)
    page.goto(OPTIMIZERS)
    assert page.locator("mover", has_text="^").count() == 0  # no caret stacked over a box
    formula = page.locator(".math-display math", has_text="\U0001d702\u0302").first
    formula.scroll_into_view_if_needed()
    hatted = formula.locator("mi", has_text="\U0001d702\u0302").first
    plain = formula.locator("mi").filter(has_text=re.compile("^\u03b7$")).first
    hatted_box, plain_box = box(hatted), box(plain)
    # The circumflex is drawn on the letter: it takes no room beside it, only above it.
    assert abs(hatted_box["width"] - plain_box["width"]) < 1.5, (hatted_box, plain_box)
    assert hatted_box["height"] >= plain_box["height"] - 0.5
    screenshot(page, "lesson-optimizers-adam-hat", full_page=False)


@pytest.mark.parametrize(("device", "viewport"), DEVICES)
def test_a_checkpoint_reads_under_one_heading(
    page: Page, course: None, screenshot: Any, device: str, viewport: ViewportSize
) -> None:
    logged_in_student(page)
    page.set_viewport_size(viewport)
    page.goto(INTRO)
    card = page.locator("#question-checkpoint-rainfall")
    card.scroll_into_view_if_needed()
    headings = card.locator("h1, h2, h3, h4, h5, h6")
    assert headings.all_inner_texts() == ["Checkpoint: forecasting rainfall"]
    assert card.get_attribute("aria-labelledby") == headings.first.get_attribute("id")
    assert card.locator(".question-prompt").inner_text().startswith("A weather app")
    screenshot(page, f"lesson-intro-checkpoint-{device}", full_page=False)
