"""Everything by keyboard: the skip link, answering each kind of checkpoint question and reaching
its feedback with Tab, Shift+Tab, Space, Enter and the arrow keys, no focus trap, and a visible
focus indicator with enough contrast on every stop of the Tab key."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest

from annquiz.courses.models import Answer
from tests.browser.keyboard import MIN_FOCUS_CONTRAST, focus_matches, focused, tab_to
from tests.browser.pages import ARCHITECTURE, BASICS, STATES, STUDENT, load_catalog, log_in
from tests.factories import DEFAULT_PASSWORD, StudentFactory

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def feedback_has_focus(page: Page, question: str) -> str:
    """Wait until the answer's feedback is in and focused; return its verdict."""
    section = f"#question-{question}"
    page.wait_for_function(
        "(s) => document.activeElement === document.querySelector(`${s} [data-feedback]`)",
        arg=section,
    )
    verdict = page.locator(f"{section} [data-feedback] [data-verdict]")
    return str(verdict.get_attribute("data-verdict"))


def arrow_to(page: Page, group: str, value: str) -> None:
    """Press ArrowDown in the focused radio group of ``group`` until option ``value`` is the
    checked and focused one (the arrow keys go round the group)."""
    for _ in range(page.locator(f"{group} input[type=radio]").count()):
        page.keyboard.press("ArrowDown")
        if focus_matches(page, f"{group} input[value={value}]:checked"):
            return
    raise AssertionError(f"ArrowDown never reached option {value} of {group}")


def test_the_skip_link_is_the_first_tab_stop_and_jumps_past_the_navigation(
    page: Page, screenshot: Any
) -> None:
    load_catalog()
    log_in(page)
    page.goto("/courses/")
    skip = page.locator("a.skip-link")
    hidden = skip.bounding_box()
    assert hidden is None or hidden["y"] + hidden["height"] <= 0  # above the page until focused
    page.keyboard.press("Tab")
    assert focus_matches(page, "a.skip-link")
    assert skip.inner_text() == "Skip to the content"
    box = skip.bounding_box()
    assert box is not None and box["y"] >= 0 and box["width"] > 50  # on screen once focused
    screenshot(page, "keyboard-skip-link", full_page=False)
    page.keyboard.press("Enter")
    assert focus_matches(page, "main#main")
    page.keyboard.press("Tab")  # the next stop is the page's first link, not the navigation
    where = focused(page)
    assert where is not None and where["inMain"], where


def test_log_in_by_keyboard(page: Page) -> None:
    load_catalog()  # a student of the course lands on the course list
    StudentFactory.create(username=STUDENT)
    page.goto("/accounts/login/")
    tab_to(page, "input[name=username]")
    page.keyboard.type(STUDENT)
    page.keyboard.press("Tab")
    assert focus_matches(page, "input[name=password]")
    page.keyboard.type(DEFAULT_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/courses/$"))


def test_each_question_kind_is_answered_and_its_feedback_reached_by_keyboard(
    page: Page, screenshot: Any
) -> None:
    load_catalog()
    log_in(page)

    # Single choice: the arrow keys pick in the radio group, Enter submits.
    page.goto(ARCHITECTURE)
    group = "#question-output-activation-multiclass"
    tab_to(page, f"{group} input[type=radio]")
    arrow_to(page, group, "b")  # b (sigmoid): wrong; the options come in the student's order
    page.keyboard.press("Tab")
    assert focus_matches(page, "#question-output-activation-multiclass button[type=submit]")
    page.keyboard.press("Enter")
    assert feedback_has_focus(page, "output-activation-multiclass") == "incorrect"
    screenshot(page, "keyboard-single-choice-wrong", full_page=False)
    # Back with Shift+Tab to the choices, the right one, submitted again.
    tab_to(page, f"{group} input[type=radio]", key="Shift+Tab")
    arrow_to(page, group, "a")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")  # a button is pressed by Space too
    page.wait_for_function(
        "document.querySelector('#question-output-activation-multiclass [data-verdict]')"
        ".dataset.verdict === 'correct'"
    )
    assert feedback_has_focus(page, "output-activation-multiclass") == "correct"

    # Multiple choice: Space ticks each right box on the way.
    boxes = "#question-hyperparameters-pick input[type=checkbox]"
    first = page.locator(boxes).first.get_attribute("value")  # the student's order
    tab_to(page, boxes, key="Shift+Tab")
    while not focus_matches(page, f"#question-hyperparameters-pick input[value={first}]"):
        page.keyboard.press("Shift+Tab")
    for value in page.locator(boxes).evaluate_all("(boxes) => boxes.map((b) => b.value)"):
        if value in "abcde":  # the five hyperparameters; f (the weights) is learned
            page.keyboard.press("Space")
        page.keyboard.press("Tab")
    tab_to(page, "#question-hyperparameters-pick button[type=submit]")
    page.keyboard.press("Enter")
    assert feedback_has_focus(page, "hyperparameters-pick") == "correct"

    # Free text: typed into the box, then Tab to the button.
    page.goto(ARCHITECTURE)
    tab_to(page, "#question-q1-weights textarea")
    page.keyboard.type("Weights set how strongly each input influences the neuron's output.")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert feedback_has_focus(page, "q1-weights") in {"correct", "partial", "incorrect"}

    # Parametrized, several numbers: Enter in the field submits its form. Too few numbers (the
    # student has 3 or 4 logits) are refused next to the field, which keeps the focus.
    tab_to(page, "#question-softmax-variant input[name=values]")
    page.keyboard.type("0.5, 0.5")
    page.keyboard.press("Enter")
    error = page.locator("#question-softmax-variant [data-answer-error] .error")
    error.wait_for()
    assert error.locator("xpath=..").get_attribute("role") == "alert"
    wanted = re.search(r"expected exactly (\d+) numbers", error.inner_text())
    assert wanted is not None, error.inner_text()
    assert focus_matches(page, "#question-softmax-variant input[name=values]")
    page.keyboard.press("Control+A")
    page.keyboard.type(", ".join(["0.25"] * int(wanted.group(1))))
    page.keyboard.press("Enter")
    assert feedback_has_focus(page, "softmax-variant") in {"correct", "incorrect"}

    # Numeric, and parametrized with one number.
    page.goto(BASICS)
    tab_to(page, "#question-neuron-output-worked input[name=value]")
    page.keyboard.type("0.622")
    page.keyboard.press("Enter")
    assert feedback_has_focus(page, "neuron-output-worked") == "correct"
    tab_to(page, "#question-neuron-output-variant input[name=value]")
    page.keyboard.type("0.5")
    page.keyboard.press("Enter")
    assert feedback_has_focus(page, "neuron-output-variant") in {"correct", "incorrect"}
    screenshot(page, "keyboard-parametrized-feedback", full_page=False)

    assert Answer.objects.filter(student__username=STUDENT).count() == 7


@pytest.mark.parametrize(
    "state",
    ["home-visitor", "lesson-after-a-wrong-answer", "task-editor", "submission-graded"],
)
def test_tab_reaches_every_control_without_a_trap_and_each_shows_its_focus(
    page: Page, state: str
) -> None:
    STATES[state](page)
    # Every control the Tab key should stop at (one stop per radio group).
    expected = page.evaluate(
        """() => {
          const all = document.querySelectorAll(
            'a[href], button, input, select, textarea, summary, [tabindex]');
          const seen = new Set();
          const keys = [];
          for (const el of all) {
            if (el.tabIndex < 0 || el.disabled) continue;
            if (el.closest('fieldset[disabled], [hidden], [inert]')) continue;
            if (el.type === 'hidden' || !el.getClientRects().length) continue;
            if (getComputedStyle(el).visibility === 'hidden') continue;
            const details = el.closest('details:not([open])');
            if (details && el.tagName !== 'SUMMARY') continue;
            const key = el.type === 'radio' ? 'radio:' + el.name : el;
            if (seen.has(key)) continue;
            seen.add(key);
            keys.push(el.type === 'radio' ? 'radio:' + el.name : null);
            el.dataset.kbExpected = keys.length;
          }
          return keys.length;
        }"""
    )
    assert expected > 3
    # Start before the first control, wherever the setting-up left the focus.
    page.evaluate("document.querySelector(\"[data-kb-expected='1']\").focus()")
    page.keyboard.press("Shift+Tab")
    reached: set[str] = set()
    no_indicator: list[str] = []
    for _ in range(expected + 5):
        page.keyboard.press("Tab")
        where = focused(page)
        if where is None:
            break  # past the last control: the focus leaves the page, so nothing traps it
        mark = page.evaluate(
            "() => { const el = document.activeElement;"
            " const group = el.type === 'radio' ? document.querySelector("
            "   `[data-kb-expected][name='${el.name}']`) : el;"
            " return group ? (group.dataset.kbExpected || '') : ''; }"
        )
        if mark and mark in reached:
            break  # back at the start
        reached.add(mark)
        if where["indicator"] == "none" or where["contrast"] < MIN_FOCUS_CONTRAST:
            no_indicator.append(f"{where['selector']} {where['label']!r}: {where}")
    missing = page.evaluate(
        "(reached) => [...document.querySelectorAll('[data-kb-expected]')]"
        ".filter((el) => !reached.includes(el.dataset.kbExpected))"
        ".map((el) => el.outerHTML.slice(0, 120))",
        sorted(reached),
    )
    assert not missing, f"never reached by Tab on {state}: {missing}"
    assert not no_indicator, "focus not visible:\n" + "\n".join(no_indicator)

    # Shift+Tab walks back from the end to the first control.
    page.keyboard.press("Shift+Tab")
    for _ in range(expected + 5):
        if focus_matches(page, "[data-kb-expected='1']"):
            break
        page.keyboard.press("Shift+Tab")
    assert focus_matches(page, "[data-kb-expected='1']"), focused(page)
