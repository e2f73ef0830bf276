"""How a gradebook cell is drawn: a score, a score marked late, "pending" or missing (never
shown as a zero). The number is the one the CSV and the JSON hold.

A table of 200 students has thousands of cells, so a row's cells are drawn in one go from
fixed markup and numbers (digits and a point: nothing to escape), not one template node and
one ``format_html`` each."""

from __future__ import annotations

from collections.abc import Iterable

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from annquiz.gradebook.scoring import Cell

register = template.Library()

MISSING_CELL = (
    '<td class="gb-missing"><span aria-hidden="true">\u2013</span>'
    '<span class="visually-hidden">missing</span></td>'
)
PENDING_CELL = '<td class="gb-pending">pending</td>'


def number(value: float | None) -> str:
    """A score or a percentage as the CSV writes it (no trailing zeros)."""
    if value is None:
        return ""
    return f"{value:.4f}".rstrip("0").rstrip(".")


@register.filter
def percent(value: float | None) -> str | SafeString:
    if value is None:
        return format_html('<span class="gb-none">{}</span>', "no weight")
    return number(value)


def grade_cell(cell: Cell) -> str:
    if cell.attempts == 0:
        return MISSING_CELL
    if cell.score is None:
        return PENDING_CELL
    if cell.late:
        return (
            f'<td class="gb-late">{number(cell.score)} <span class="gb-late-mark">late</span></td>'
        )
    return f"<td>{number(cell.score)}</td>"


@register.simple_tag
def grade_cells(cells: Iterable[Cell]) -> SafeString:
    """A row's cells: fixed markup around numbers, so nothing needs escaping."""
    # Bandit B703: the markup is this module's constants around numbers it formatted itself.
    return SafeString("".join(grade_cell(cell) for cell in cells))  # nosec B703
