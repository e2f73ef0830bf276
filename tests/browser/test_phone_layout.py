"""On a 375 px phone: the progress tables show every column, the course page keeps
"· details" with its progress bar, and the verdict plots' marker labels stay above the curves.
Screenshots at 375 and 1280 px are kept under var/screenshots/."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from django.contrib.auth.models import User

from annquiz.coding.statuses import Status
from tests.annquiz.coding.test_views import DEFINITION, handout_spec, make_submission, make_task
from tests.annquiz.courses.factories import CourseFactory
from tests.browser.test_coding_tasks import log_in_as_new_student, no_sideways_scroll
from training.judging import judge, parse_task_definition

if TYPE_CHECKING:
    from playwright.sync_api import Page, ViewportSize

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE: ViewportSize = {"width": 375, "height": 812}
DESKTOP: ViewportSize = {"width": 1280, "height": 900}


def test_the_progress_page_shows_every_column_on_a_phone(
    page: Page, catalog: None, screenshot: Any
) -> None:
    log_in_as_new_student(page)
    page.goto("/courses/progress/")
    screenshot(page, "progress-desktop")
    page.set_viewport_size(PHONE)
    screenshot(page, "progress-phone")
    no_sideways_scroll(page)
    tables = page.locator(".progress-table")
    assert tables.count() == 2  # the course's lessons and the coding tasks
    overflowing = page.evaluate(
        """() => [...document.querySelectorAll('.progress-table')].flatMap((table) => {
          const box = table.parentElement.getBoundingClientRect();
          return [...table.querySelectorAll('th, td')]
            .filter((cell) => cell.getBoundingClientRect().right > box.right + 0.5)
            .map((cell) => cell.textContent.trim());
        })"""
    )
    assert overflowing == []
    for label in ("Attempts", "Score"):
        cell = page.locator(f".progress-table td[data-label={label}]").first
        assert cell.is_visible()
        assert label in cell.evaluate("(td) => getComputedStyle(td, '::before').content")


def test_details_stays_beside_its_progress_bar_on_a_phone(
    page: Page, catalog: None, screenshot: Any
) -> None:
    log_in_as_new_student(page)
    page.goto("/courses/ann-handout/")
    screenshot(page, "course-desktop")
    page.set_viewport_size(PHONE)
    no_sideways_scroll(page)
    lines = page.locator(".lesson-progress-line:has(a)")
    assert lines.count() >= 5
    for index in range(lines.count()):
        line = lines.nth(index)
        # The bar just before "· details": the score's (the answered one comes first).
        bar = line.locator(".progress-bar-score").bounding_box()
        details = line.locator("a", has_text="details").bounding_box()
        assert bar is not None and details is not None
        bar_middle = bar["y"] + bar["height"] / 2
        assert details["y"] <= bar_middle <= details["y"] + details["height"], (bar, details)
    screenshot(page, "course-phone")


def test_marker_labels_stay_above_the_curves_on_a_phone(page: Page, screenshot: Any) -> None:
    course = CourseFactory.create(slug="ann-handout")  # a task is reached through its course
    log_in_as_new_student(page)
    task = make_task(course=course, lesson=None)
    result = judge(parse_task_definition(DEFINITION), handout_spec()).to_dict()
    seed = result["seeds"][result["representative"]]
    assert seed["overfitting_onset"] and seed["best_epoch"]
    submission = make_submission(
        task=task, student=User.objects.get(username="erin"), status=Status.FAILED, result=result
    )
    page.goto(f"/tasks/{task.slug}/submissions/{submission.pk}/")

    def labels_above_the_plot_area() -> None:
        page.wait_for_selector("[data-plot=metric] svg .marker-onset text")
        for plot in ("loss", "metric"):
            placed = page.evaluate(
                """(plot) => {
                  const svg = document.querySelector(`[data-plot=${plot}] svg`);
                  const top = svg.querySelector('.axis path').getBoundingClientRect().top;
                  return [...svg.querySelectorAll('.marker text')].map((text) => ({
                    label: text.textContent,
                    bottom: text.getBoundingClientRect().bottom,
                    top: top,
                  }));
                }""",
                plot,
            )
            assert len(placed) == 2, placed
            for label in placed:
                assert label["bottom"] <= label["top"] + 0.5, (plot, label)

    labels_above_the_plot_area()
    page.locator("[data-plot=metric]").scroll_into_view_if_needed()
    screenshot(page, "verdict-plots-desktop", full_page=False)
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(400)  # the plots are redrawn to the new width
    labels_above_the_plot_area()
    no_sideways_scroll(page)
    page.locator("[data-plot=metric]").scroll_into_view_if_needed()
    screenshot(page, "verdict-plots-phone", full_page=False)
    page.set_viewport_size(DESKTOP)


def test_compared_submissions_share_one_scale_per_plot(page: Page, screenshot: Any) -> None:
    """A run of 50 epochs beside one of 8: the same loss axis, the same accuracy axis and the
    same epochs in every column, so that the curves compare by eye."""
    course = CourseFactory.create(slug="ann-handout")  # a task is reached through its course
    log_in_as_new_student(page)
    erin = User.objects.get(username="erin")
    task = make_task(course=course, lesson=None)
    definition = parse_task_definition(DEFINITION)
    ids = []
    for epochs in (50, 8):
        spec = handout_spec(epochs=epochs)
        result = judge(definition, spec).to_dict()
        verdict = Status.PASSED if result["verdict"] == "passed" else Status.FAILED
        ids.append(
            make_submission(task=task, student=erin, status=verdict, result=result, spec=spec).pk
        )
    page.goto(f"/tasks/{task.slug}/compare/?id={ids[0]}&id={ids[1]}")
    page.wait_for_selector("[data-compare-column] [data-plot=metric] svg path.series")

    def axes(plot: str) -> list[list[str]]:
        return page.evaluate(
            """(plot) => [...document.querySelectorAll(
                 `[data-compare-column] [data-plot=${plot}] svg`
               )].map((svg) => [...svg.querySelectorAll('.axis text')]
                 .map((text) => text.textContent))""",
            plot,
        )

    def same_scale_everywhere() -> None:
        for plot in ("loss", "metric"):
            columns = axes(plot)
            assert len(columns) == 2, plot
            assert columns[0] == columns[1], (plot, columns)
            assert "40" in columns[1], (plot, columns)  # the short run on the long run's epochs
        captions = page.locator("[data-compare-column] figure:has([data-plot=metric]) figcaption")
        assert captions.all_inner_texts() == ["Accuracy", "Accuracy"]

    same_scale_everywhere()
    screenshot(page, "coding-compare-shared-desktop")
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(400)  # redrawn to the new width
    same_scale_everywhere()
    no_sideways_scroll(page)
    screenshot(page, "coding-compare-shared-phone")
    page.set_viewport_size(DESKTOP)


def test_a_lesson_leads_to_its_task_and_the_task_back_to_the_section(
    page: Page, catalog: None, screenshot: Any
) -> None:
    log_in_as_new_student(page)
    page.goto("/courses/ann-handout/lessons/code-example-using-keras/")
    tasks = page.locator(".lesson-tasks")
    tasks.scroll_into_view_if_needed()
    screenshot(page, "lesson-tasks-desktop", full_page=False)
    page.set_viewport_size(PHONE)
    no_sideways_scroll(page)
    tasks.scroll_into_view_if_needed()
    screenshot(page, "lesson-tasks-phone", full_page=False)
    tasks.locator("a", has_text="The handout's first Keras model").click()
    page.wait_for_url("**/tasks/handout-keras/")
    page.locator(".task-sections a", has_text="A basic ANN in Keras").click()
    page.wait_for_url("**/lessons/code-example-using-keras/#a-basic-ann-in-keras")
    page.set_viewport_size(DESKTOP)
