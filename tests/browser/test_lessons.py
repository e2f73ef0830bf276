"""A student in real headless Chromium: sign up, log in, read lessons with math and figures,
answer in place without losing the scroll position, run out of attempts, and use a phone."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest
from django.core.management import call_command

from annquiz.courses.models import Answer, Question
from tests.factories import DEFAULT_PASSWORD, StudentFactory

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COURSE = "/courses/ann-handout"
INTRO = f"{COURSE}/lessons/introduction-to-ann/"
BASICS = f"{COURSE}/lessons/understanding-the-basics/"
ARCHITECTURE = f"{COURSE}/lessons/ann-architecture/"
OPTIMIZERS = f"{COURSE}/lessons/optimizers/"


@pytest.fixture
def course() -> None:
    call_command("load_course", verbosity=0)


def log_in(page: Page, username: str, password: str = DEFAULT_PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r"/courses/$"))


def logged_in_student(page: Page) -> None:
    StudentFactory.create(username="carol")
    log_in(page, "carol")


def box(locator: Locator) -> dict[str, float]:
    rect = locator.bounding_box()
    assert rect is not None, "the element is not rendered"
    return {"x": rect["x"], "y": rect["y"], "width": rect["width"], "height": rect["height"]}


def test_sign_up_log_out_and_log_in_again(page: Page, course: None, screenshot: Any) -> None:
    page.goto("/")  # anonymous: told what annquiz is, with the way in
    assert "Learn artificial neural networks" in page.inner_text("main")
    screenshot(page, "home-visitor-desktop")
    page.set_viewport_size({"width": 375, "height": 812})
    screenshot(page, "home-visitor-phone")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.click("main >> text=Sign up")
    page.wait_for_url(re.compile(r"/accounts/signup/"))
    page.fill("input[name=username]", "dora")
    page.fill("input[name=password1]", "a-long-unusual-passphrase")
    page.fill("input[name=password2]", "a-long-unusual-passphrase")
    page.click("form.form button[type=submit]")
    page.wait_for_url(re.compile(r"/courses/$"))
    assert page.locator("h1").inner_text() == "Courses"
    assert "Deep Learning: Artificial Neural Networks" in page.inner_text("main")
    screenshot(page, "course-list-desktop")

    page.click("text=Log out")
    page.wait_for_url(re.compile(r"/accounts/login/"))
    log_in(page, "dora", "a-long-unusual-passphrase")
    page.click("text=Open the course")
    page.wait_for_url(re.compile(rf"{COURSE}/$"))
    lessons = page.locator(".lesson-link").all_inner_texts()
    assert lessons[:2] == ["Introduction to ANN", "Understanding the basics"]
    assert len(lessons) == 10


def test_lesson_shows_rendered_math_the_svg_figure_and_highlighted_code(
    page: Page, course: None, screenshot: Any
) -> None:
    logged_in_student(page)
    page.goto(BASICS)

    formula = page.locator(".math-display math").first
    size = box(formula)
    assert size["width"] > 20 and size["height"] > 10
    inline = page.locator("p math").first
    assert box(inline)["width"] > 0

    figure = page.locator("img.figure").first
    figure.scroll_into_view_if_needed()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=figure.element_handle()
    )
    assert str(figure.get_attribute("src")).endswith("courses/figures/neuron-model.svg")
    figure_box = box(figure)
    assert 200 < figure_box["width"] <= 480  # capped: never stretched across a wide page
    screenshot(page, "lesson-basics-desktop")

    page.goto(f"{COURSE}/lessons/code-example-using-keras/")
    code = page.locator(".codehilite").first
    assert box(code)["height"] > 0
    keyword_color = page.eval_on_selector(
        ".codehilite .kn, .codehilite .k", "e => getComputedStyle(e).color"
    )
    assert keyword_color != page.eval_on_selector(
        ".codehilite pre", "e => getComputedStyle(e).color"
    )


def test_a_checkpoint_answered_in_free_text_shows_feedback_in_place(
    page: Page, course: None, screenshot: Any
) -> None:
    logged_in_student(page)
    page.goto(INTRO)
    section = page.locator("#question-checkpoint-rainfall")
    section.scroll_into_view_if_needed()
    page.evaluate("window.scrollBy(0, 120)")
    page.evaluate("window.__samePage = true")
    before = page.evaluate("window.scrollY")
    assert before > 0

    # An empty explanation is refused next to the form, not as a page of its own.
    section.locator("input[name=choice][value=a]").check()
    section.locator("textarea[name=text]").fill("   ")
    section.locator("button[type=submit]").click()
    error = section.locator("[data-answer-error] .error")
    error.wait_for()
    assert "is empty" in error.inner_text()
    assert page.evaluate("window.__samePage") is True
    assert Answer.objects.filter(question__key="checkpoint-rainfall").count() == 0

    section.locator("textarea[name=text]").fill(
        "An ANN learns the complex, non-linear relationship between temperature, humidity and "
        "pressure from past data, and it adapts and generalizes better than fixed if-else rules."
    )
    section.locator("button[type=submit]").click()

    verdict = section.locator("[data-verdict]")
    verdict.wait_for()
    assert verdict.get_attribute("data-verdict") == "correct"
    assert "Correct" in verdict.inner_text()
    assert "Model answer" in section.inner_text()
    assert "Explanation" in section.inner_text()
    assert "1 of 3 used" in section.locator("[data-attempts]").inner_text()
    assert page.evaluate("window.__samePage") is True  # no reload
    assert page.evaluate("window.scrollY") == before
    assert Answer.objects.filter(question__key="checkpoint-rainfall").count() == 1
    screenshot(page, "lesson-intro-feedback-desktop")

    # Solved: the form is closed, and says why.
    assert section.locator("button[type=submit]").is_disabled()
    assert "Solved" in section.locator(".answer-closed").inner_text()


def test_wrong_answers_show_hints_until_the_attempts_run_out_and_reveal_the_model_answer(
    page: Page, course: None, screenshot: Any
) -> None:
    logged_in_student(page)
    question = Question.objects.get(key="q4-adam-preferred")
    wrong = next(c["key"] for c in question.config["choices"] if not c.get("correct"))
    page.goto(OPTIMIZERS)
    section = page.locator(f"#question-{question.key}")
    section.scroll_into_view_if_needed()

    for attempt in range(1, question.max_attempts + 1):
        section.locator(f"input[name=choice][value={wrong}]").check()
        section.locator("button[type=submit]").click()
        section.locator("[data-attempts]").filter(
            has_text=f"{attempt} of {question.max_attempts} used"
        ).wait_for()
        assert section.locator("[data-verdict]").get_attribute("data-verdict") == "incorrect"
        if attempt < question.max_attempts:
            # Hints so far, one per attempt; the explanation and model answer wait.
            assert section.locator("[data-hint]").count() == attempt
            assert section.locator("[data-explanation]").count() == 0
            assert section.locator("[data-model-answer]").count() == 0

    section.locator("[data-model-answer]").wait_for()
    assert section.locator("[data-explanation]").count() == 1
    assert "0 left" in section.locator("[data-attempts]").inner_text()
    assert section.locator("fieldset").evaluate("f => f.disabled")
    assert section.locator("button[type=submit]").is_disabled()
    screenshot(page, "lesson-optimizers-attempts-used")


@pytest.mark.parametrize("url", [INTRO, ARCHITECTURE, OPTIMIZERS])
def test_lessons_with_tables_fit_a_phone_screen(
    page: Page, course: None, screenshot: Any, url: str
) -> None:
    logged_in_student(page)
    page.set_viewport_size({"width": 375, "height": 812})
    page.goto(url)

    assert page.locator(".table-scroll table").count() > 0
    widths = page.evaluate(
        "({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})"
    )
    assert widths["scroll"] <= widths["inner"], widths
    table = page.locator(".table-scroll").last
    table_box = box(table)
    assert table_box["x"] >= 0 and table_box["x"] + table_box["width"] <= 375
    name = url.strip("/").split("/")[-1]
    screenshot(page, f"phone-{name}")
    table.scroll_into_view_if_needed()
    screenshot(page, f"phone-{name}-table", full_page=False)
    page.locator(".question").first.scroll_into_view_if_needed()
    screenshot(page, f"phone-{name}-question", full_page=False)
