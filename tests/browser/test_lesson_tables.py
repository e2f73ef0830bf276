"""Every lesson's tables read whole on a desktop and on a phone: no cell cut off, pushed out of
sight or spilling over its neighbours."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from django.core.management import call_command

from annquiz.courses.models import Lesson
from tests.browser.test_lessons import logged_in_student

if TYPE_CHECKING:
    from playwright.sync_api import Page, ViewportSize

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def course() -> None:
    call_command("load_course", verbosity=0)


# For each table cell the page shows: its box and its content's boxes, and every ancestor
# that would clip it. A cell of a heading row hidden on a phone is checked instead by the
# labels its column's cells carry.
CLIPPED_CELLS = """() => {
  const problems = [];
  const width = window.innerWidth;
  const hiddenHead = (cell) => {
    const head = cell.closest("thead");
    return head !== null && head.getBoundingClientRect().width <= 1;
  };
  const describe = (cell) => `${cell.tagName} "${cell.innerText.trim().slice(0, 40)}"`;
  const tables = document.querySelectorAll(".lesson-html table");
  for (const table of tables) {
    const head = table.querySelector("thead th");
    const labelled = head !== null && hiddenHead(head);
    const headings = [...table.querySelectorAll("thead th")].map((th) => th.innerText.trim());
    for (const cell of table.querySelectorAll("th, td")) {
      if (hiddenHead(cell)) continue;
      const box = cell.getBoundingClientRect();
      if (box.width < 1 || box.height < 1) {
        problems.push(`${describe(cell)} is not shown`);
        continue;
      }
      if (box.left < -0.5 || box.right > width + 0.5) {
        problems.push(`${describe(cell)} spans ${box.left}-${box.right} of ${width} px`);
      }
      if (cell.scrollWidth > cell.clientWidth + 1) {
        problems.push(`${describe(cell)}: content ${cell.scrollWidth} px in ${cell.clientWidth}`);
      }
      for (const part of cell.querySelectorAll("*")) {
        const r = part.getBoundingClientRect();
        if (r.width > 0 && (r.left < box.left - 0.5 || r.right > box.right + 0.5)) {
          problems.push(`${describe(cell)}: <${part.tagName}> sticks out of it`);
        }
      }
      for (let up = cell.parentElement; up && up !== document.body; up = up.parentElement) {
        const style = getComputedStyle(up);
        if (style.overflowX === "visible") continue;
        const clip = up.getBoundingClientRect();
        if (box.left < clip.left - 0.5 || box.right > clip.right + 0.5) {
          problems.push(`${describe(cell)} is cut by <${up.tagName} class="${up.className}">`);
        }
      }
      if (cell.tagName === "TD" && labelled) {
        const index = [...cell.parentElement.children].indexOf(cell);
        const shown = getComputedStyle(cell, "::before").content;
        if (headings[index] && shown !== JSON.stringify(headings[index])) {
          problems.push(`${describe(cell)} shows the label ${shown}, not "${headings[index]}"`);
        }
      }
    }
  }
  return {
    problems,
    tables: tables.length,
    pageWidth: document.documentElement.scrollWidth,
  };
}"""


@pytest.mark.parametrize(
    ("device", "viewport"),
    [("desktop", {"width": 1280, "height": 900}), ("phone", {"width": 375, "height": 812})],
)
def test_no_table_cell_of_any_lesson_is_clipped(
    page: Page, course: None, screenshot: Any, device: str, viewport: ViewportSize
) -> None:
    logged_in_student(page)
    page.set_viewport_size(viewport)
    lessons = list(Lesson.objects.select_related("course").order_by("course__slug", "order"))
    assert len(lessons) == 10
    seen_tables = 0
    for lesson in lessons:
        page.goto(f"/courses/{lesson.course.slug}/lessons/{lesson.slug}/")
        report = page.evaluate(CLIPPED_CELLS)
        assert report["problems"] == [], (lesson.slug, device, report["problems"])
        assert report["pageWidth"] <= viewport["width"], (lesson.slug, report["pageWidth"])
        seen_tables += report["tables"]
        if report["tables"]:
            page.locator(".lesson-html table").first.scroll_into_view_if_needed()
            screenshot(page, f"tables-{lesson.slug}-{device}", full_page=False)
    assert seen_tables >= 5
